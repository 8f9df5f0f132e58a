//! Real instrumentation output captured into `tests/fixtures/captured/`
//! (skipped when a capture is absent). OpenLIT 1.45 is the canonical
//! target: normalization must leave its spans, logs and metrics as they are.

use std::path::PathBuf;

use otelcol_genai::{Processor, Signal};

fn capture(dir: &str, file: &str) -> Option<Vec<u8>> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/captured",
        dir,
        file,
    ]
    .iter()
    .collect();
    std::fs::read(path).ok()
}

fn normalize_only() -> Processor {
    Processor::from_json(br#"{"cost": {"enabled": false}, "naming": {"enabled": false}}"#)
        .expect("config")
}

#[test]
fn openlit_1_45_output_is_already_canonical() {
    let p = normalize_only();
    let mut seen = 0;
    for (file, signal) in [
        ("traces.pb", Signal::Traces),
        ("metrics.pb", Signal::Metrics),
        ("logs.pb", Signal::Logs),
    ] {
        let Some(bytes) = capture("openlit-1.45.0", file) else {
            continue;
        };
        seen += 1;
        let out = p.process(signal, &bytes).expect("captured batch decodes");
        assert!(out.stats.items > 0, "{file}: nothing walked");
        assert!(
            out.output.is_none(),
            "{file}: normalization changed canonical OpenLIT 1.45 output: {:?}",
            out.stats
        );
    }
    if seen == 0 {
        eprintln!("no OpenLIT 1.45 capture present; skipped");
    }
}
