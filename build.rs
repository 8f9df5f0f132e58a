//! Generates the C header of the ABI (rust/ffi.rs) with cbindgen into OUT_DIR.
//! The committed copy in include/ is what cgo compiles against; the
//! `header` integration test fails when it drifts from this output.

use std::env;
use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("otelcol_genai.h");
    let config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("rust/ffi.rs"))
        .with_src(root.join("rust/stats.rs"))
        .generate()
        .expect("cbindgen can parse rust/ffi.rs")
        .write_to_file(&out);
    for f in ["rust/ffi.rs", "rust/stats.rs", "cbindgen.toml", "build.rs"] {
        println!("cargo:rerun-if-changed={f}");
    }
}
