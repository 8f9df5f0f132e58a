//! Generates the C header of the ABI (rust/ffi.rs, the counters of
//! rust/stats.rs, the edit format's constants of rust/edit_format.rs) with
//! cbindgen into OUT_DIR.
//! The committed copy in include/ is what cgo compiles against; the
//! `header` integration test fails when it drifts from this output.
//!
//! Also deflates the built-in pricing table into OUT_DIR: compiled in as
//! text, its 750 kB stayed resident in every collector after parsing.

use std::env;
use std::path::PathBuf;

const PRICING_TABLE: &str = "rust/pricing/data/litellm_prices.jsonl";

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
        .with_src(root.join("rust/edit_format.rs"))
        .generate()
        .expect("cbindgen can parse rust/ffi.rs")
        .write_to_file(&out);

    let table = root.join(PRICING_TABLE);
    let text = std::fs::read(&table).expect("the built-in pricing table is readable");
    let deflated = miniz_oxide::deflate::compress_to_vec(&text, 9);
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("litellm_prices.jsonl.deflate"), deflated)
        .expect("OUT_DIR is writable");

    for f in [
        "rust/ffi.rs",
        "rust/stats.rs",
        "rust/edit_format.rs",
        "cbindgen.toml",
        "build.rs",
        PRICING_TABLE,
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
}
