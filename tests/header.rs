//! The header cgo compiles against (include/otelcol_genai.h) must be exactly
//! what build.rs generates from rust/ffi.rs. `GENAI_BLESS=1 cargo test --test
//! header` (or `make header`) rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_generated() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/otelcol_genai.h");
    let generated = otelcol_genai::ffi::GENERATED_HEADER;
    if std::env::var_os("GENAI_BLESS").is_some() {
        std::fs::write(&path, generated).expect("write include/otelcol_genai.h");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/otelcol_genai.h differs from the header build.rs generates; run `make header`"
    );
}
