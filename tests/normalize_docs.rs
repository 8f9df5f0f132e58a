//! `docs/normalization.md` is generated from the code's own tables: this
//! test fails when it is stale and rewrites it with `GENAI_BLESS=1`.

use std::path::Path;

#[test]
fn normalization_reference_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/normalization.md");
    let want = otelcol_genai::normalize::doc::reference();
    if std::env::var_os("GENAI_BLESS").is_some() {
        std::fs::write(&path, &want).expect("write docs/normalization.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/normalization.md is stale: rerun with GENAI_BLESS=1 cargo test --test normalize_docs"
    );
}

#[test]
fn reference_lists_every_builtin_mapping() {
    let doc = otelcol_genai::normalize::doc::reference();
    for t in otelcol_genai::normalize::table::BUILTIN {
        assert!(doc.contains(&format!("`sources.{}`", t.name)));
        for m in t.mappings {
            assert!(
                doc.contains(&format!("| `{}` | `{}` |", m.from, m.to)),
                "{} missing",
                m.from
            );
        }
    }
}
