//! Pricing under attacker-sized input: model names crafted to make a price
//! lookup expensive, and pricing files built to exhaust memory or hang
//! start-up. Each test times or sizes the work with a wide margin (at least
//! 100x the figure measured on the project's 2-core machine) and fails on
//! the code before its bound existed (RELIABILITY.md, "Cost per request").

mod support;

use std::time::{Duration, Instant};

use otelcol_genai::pricing::table::MAX_MODEL_NAME_BYTES;
use otelcol_genai::pricing::{CostConfig, Pricer};
use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::*;

/// Names of `n` bytes built to make every step of a lookup do the most
/// work: a `/` (a provider segment to strip), an `@` (a version suffix to
/// strip) and a byte between them, repeated; and `/` alone.
fn crafted_names(n: usize) -> Vec<String> {
    vec![
        "a/@".repeat(n / 3),
        "/".repeat(n),
        "@".repeat(n),
        "a/b@1:0-2024-01-01/".repeat(n / 19),
    ]
}

/// The slowest of `reps` runs of `f`.
fn slowest(reps: usize, mut f: impl FnMut()) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .max()
        .unwrap()
}

/// A 16 KB crafted name took 52 s in the lookup, 1 MB never finished; the
/// bar is 1 ms, asserted with a 100x margin.
#[test]
fn crafted_model_names_cost_a_bounded_lookup() {
    let pricer = Pricer::new(&CostConfig::default()).unwrap();
    for n in [MAX_MODEL_NAME_BYTES, 16 * 1024, 1024 * 1024] {
        for name in crafted_names(n) {
            let t = slowest(3, || {
                assert!(pricer.price_of(&name, Some("openai")).is_none());
            });
            assert!(
                t < Duration::from_millis(100),
                "{} bytes: {t:?}",
                name.len()
            );
        }
    }
    // Real names with prefixes and suffixes are still priced.
    for name in [
        "openai/gpt-4o-2024-08-06",
        "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "vertex_ai/claude-3-5-sonnet@20240620",
    ] {
        assert!(pricer.price_of(name, None).is_some(), "{name}");
    }
}

/// Through the whole processor: a span with a 16 KB and one with a 1 MB
/// crafted model name, each in its own batch, cost about what a plain span
/// of their size does; the name is counted as unknown and reported to the
/// collector shortened to the name limit.
#[test]
fn spans_with_crafted_model_names_are_processed_in_linear_time() {
    let p = Processor::from_json(b"{}").unwrap();
    for n in [16 * 1024, 1024 * 1024] {
        let name = "a/@".repeat(n / 3);
        let batch = traces(
            vec![kv("service.name", "svc")],
            vec![span(
                "chat",
                vec![
                    kv("gen_ai.provider.name", "openai"),
                    kv("gen_ai.request.model", name.as_str()),
                    kv("gen_ai.usage.input_tokens", 10),
                    kv("gen_ai.usage.output_tokens", 10),
                ],
            )],
        )
        .encode_to_vec();
        let mut outcome = None;
        let t = slowest(3, || {
            outcome = Some(p.process_edits(Signal::Traces, &batch).unwrap())
        });
        let outcome = outcome.unwrap();
        assert_eq!(outcome.stats.cost_unknown_model, 1);
        assert_eq!(
            outcome.unknown_models,
            vec![name[..MAX_MODEL_NAME_BYTES].to_string()]
        );
        assert!(t < Duration::from_millis(500), "{n} bytes: {t:?}");
    }
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("genai-hostile-pricing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn with_file(path: &std::path::Path, format: &str) -> String {
    format!(
        r#"{{"cost":{{"pricing_files":[{{"path":{:?},"format":"{format}"}}]}}}}"#,
        path.display().to_string()
    )
}

/// A `/`-heavy model name in a pricing file stored every `/` suffix as a
/// key: 40 KB of file took 860 MB, 120 KB aborted the process. Refused now,
/// naming the file, the entry and the limit, in every format and inline.
#[test]
fn pricing_files_with_pathological_model_names_are_refused() {
    let name = "a/".repeat(60 * 1024);
    let files = [
        (
            "yaml",
            format!("models:\n  - model: ok\n    input: 1\n  - model: \"{name}\"\n    input: 1\n"),
        ),
        (
            "litellm",
            format!(
                r#"{{"ok": {{"input_cost_per_token": 1e-6}}, "{name}": {{"input_cost_per_token": 1e-6}}}}"#
            ),
        ),
        (
            "openlit",
            format!(
                r#"{{"chat": {{"ok": {{"promptPrice": 1, "completionPrice": 1}}, "{name}": {{"promptPrice": 1, "completionPrice": 1}}}}}}"#
            ),
        ),
    ];
    for (format, text) in files {
        let path = write_temp(&format!("long-name.{format}"), &text);
        let t = Instant::now();
        let err = Processor::from_json(with_file(&path, format).as_bytes()).unwrap_err();
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{format}: {:?}",
            t.elapsed()
        );
        assert_eq!(err.field, "cost.pricing_files[0]", "{format}: {err}");
        let shown = path.display().to_string();
        for part in [shown.as_str(), "\"a/a/a/", "122880 bytes", "256-byte limit"] {
            assert!(
                err.message.contains(part),
                "{format}: {part:?} not in {err}"
            );
        }
    }
    let inline = format!(r#"{{"cost":{{"models":[{{"model":"{name}","input":1}}]}}}}"#);
    let err = Processor::from_json(inline.as_bytes()).unwrap_err();
    assert_eq!(err.field, "cost.models[0].model");
    assert!(err.message.contains("256-byte limit"), "{err}");
}

/// A FIFO as a pricing file hung start-up forever (no writer ever came);
/// now refused at once.
#[test]
fn a_fifo_as_pricing_file_is_refused_at_once() {
    let path = write_temp("fifo-placeholder", "");
    let fifo = path.with_file_name("prices.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let config = with_file(&fifo, "yaml");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(Processor::from_json(config.as_bytes()).map(|_| ()));
    });
    let err = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("configuration with a FIFO still loading after 10 s")
        .unwrap_err();
    assert_eq!(err.field, "cost.pricing_files[0].path");
    assert!(err.message.contains("not a regular file"), "{err}");
}

/// Deeply nested YAML took 41 s for 200 KB before the depth limit applied;
/// now 1 MB is refused in about a millisecond (bound: 1 s).
#[test]
fn deeply_nested_pricing_yaml_is_refused_quickly() {
    for n in [100 * 1024, 200 * 1024, 1024 * 1024] {
        for text in [
            format!("models: {}", "[".repeat(n)),
            format!("models: {}", "{a: ".repeat(n / 4)),
            format!("models:\n{}", "- ".repeat(n / 2)),
        ] {
            let path = write_temp("deep.yaml", &text);
            let t = Instant::now();
            let err = Processor::from_json(with_file(&path, "yaml").as_bytes()).unwrap_err();
            let shape = &text[..12];
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "{n} {shape:?}: {:?}",
                t.elapsed()
            );
            assert_eq!(err.field, "cost.pricing_files[0]", "{err}");
        }
    }
}
