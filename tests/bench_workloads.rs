//! The reference workloads as OTLP protobuf files for the Go side of the
//! performance work (go-shim/bench): one generator (tests/support/workloads.rs),
//! its bytes read by Go, so Rust and Go benchmarks measure the same batches.
//!
//! - `write_bench_workloads` (ignored; run by scripts/bench.sh) writes the
//!   1,000-item batches and 16-item batches (for the 1M-batch RSS check)
//!   into `$GENAI_BENCH_WORKLOADS`.
//! - The 100-item batches under go-shim/bench/testdata feed the Go test that
//!   compares genai with the pure-Go pipeline; `bench_testdata_is_current`
//!   fails when they are stale (`GENAI_BLESS=1` rewrites them).
//! - `top_models.json` beside them is the price list the pure-Go pipeline's
//!   OTTL cost statements are generated from: the first 50 of `POPULAR` that
//!   the built-in table prices, each as the core's own lookup resolves it.

mod support;

use std::path::{Path, PathBuf};

use prost::Message;
use support::workloads::*;

/// Every workload file at `n` items: (file stem, OTLP request bytes).
fn files(n: usize) -> Vec<(String, Vec<u8>)> {
    let (t, m, l) = plain_workload(n);
    [
        ("genai_metrics", genai_metrics(n).encode_to_vec()),
        ("genai_spans", genai_spans(n).encode_to_vec()),
        ("genai_logs", genai_logs(n).encode_to_vec()),
        ("plain_spans", t.encode_to_vec()),
        ("plain_metrics", m.encode_to_vec()),
        ("plain_logs", l.encode_to_vec()),
    ]
    .into_iter()
    .map(|(stem, bytes)| (format!("{stem}_{n}.pb"), bytes))
    .collect()
}

/// Widely used chat models (provider as the instrumentation reports it), the
/// reference workloads' models first. Models the built-in table does not
/// price are skipped; the first 50 priced ones make the list.
const POPULAR: &[(&str, &str)] = &[
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("gcp.gemini", "gemini-1.5-pro"),
    ("aws.bedrock", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("mistral_ai", "mistral-large-latest"),
    ("openai", "gpt-4.1"),
    ("openai", "gpt-4.1-mini"),
    ("openai", "gpt-4.1-nano"),
    ("openai", "gpt-5"),
    ("openai", "gpt-5-mini"),
    ("openai", "gpt-5-nano"),
    ("openai", "o1"),
    ("openai", "o1-mini"),
    ("openai", "o3"),
    ("openai", "o3-mini"),
    ("openai", "o4-mini"),
    ("openai", "gpt-4-turbo"),
    ("openai", "gpt-4"),
    ("openai", "gpt-3.5-turbo"),
    ("openai", "text-embedding-3-small"),
    ("openai", "text-embedding-3-large"),
    ("openai", "text-embedding-ada-002"),
    ("anthropic", "claude-3-5-haiku-20241022"),
    ("anthropic", "claude-3-7-sonnet-20250219"),
    ("anthropic", "claude-sonnet-4-20250514"),
    ("anthropic", "claude-opus-4-20250514"),
    ("anthropic", "claude-opus-4-1-20250805"),
    ("anthropic", "claude-sonnet-4-5-20250929"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-opus-4-5"),
    ("anthropic", "claude-sonnet-4-6"),
    ("anthropic", "claude-opus-4-6"),
    ("anthropic", "claude-opus-4-7"),
    ("gcp.gemini", "gemini-3-flash-preview"),
    ("gcp.gemini", "gemini-3.1-pro-preview"),
    ("cohere", "command-a-03-2025"),
    ("anthropic", "claude-3-opus-20240229"),
    ("anthropic", "claude-3-haiku-20240307"),
    ("gcp.gemini", "gemini-1.5-flash"),
    ("gcp.gemini", "gemini-2.0-flash"),
    ("gcp.gemini", "gemini-2.0-flash-lite"),
    ("gcp.gemini", "gemini-2.5-pro"),
    ("gcp.gemini", "gemini-2.5-flash"),
    ("gcp.gemini", "gemini-2.5-flash-lite"),
    ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ("aws.bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"),
    ("aws.bedrock", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
    ("aws.bedrock", "amazon.nova-pro-v1:0"),
    ("aws.bedrock", "amazon.nova-lite-v1:0"),
    ("aws.bedrock", "amazon.nova-micro-v1:0"),
    ("aws.bedrock", "meta.llama3-1-70b-instruct-v1:0"),
    ("mistral_ai", "mistral-small-latest"),
    ("mistral_ai", "mistral-medium-latest"),
    ("mistral_ai", "codestral-latest"),
    ("mistral_ai", "open-mistral-nemo"),
    ("deepseek", "deepseek-chat"),
    ("deepseek", "deepseek-reasoner"),
    ("x_ai", "grok-3"),
    ("x_ai", "grok-3-mini"),
    ("x_ai", "grok-4"),
    ("cohere", "command-r"),
    ("cohere", "command-r-plus"),
    ("groq", "llama-3.3-70b-versatile"),
    ("groq", "llama-3.1-8b-instant"),
    ("perplexity", "sonar"),
    ("perplexity", "sonar-pro"),
    ("openai", "chatgpt-4o-latest"),
    ("openai", "gpt-4o-2024-08-06"),
    ("openai", "gpt-4o-2024-11-20"),
];

/// The price list as JSON lines: model, provider, USD per input and output
/// token, as the core's lookup resolves them.
fn top_models() -> String {
    let table = otelcol_genai::pricing::builtin::table().expect("built-in table parses");
    let mut out = String::new();
    let mut n = 0;
    for (provider, model) in POPULAR {
        let Some(price) = table.lookup(model, Some(provider)) else {
            continue;
        };
        let (Some(input), Some(output)) = (price.input, price.output) else {
            continue;
        };
        let line = serde_json::json!({
            "model": model, "provider": provider, "input": input, "output": output
        });
        out.push_str(&line.to_string());
        out.push('\n');
        n += 1;
        if n == 50 {
            return out;
        }
    }
    panic!("only {n} of POPULAR are priced; add models");
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("go-shim/bench/testdata")
}

#[test]
fn bench_testdata_is_current() {
    let dir = testdata();
    let bless = std::env::var_os("GENAI_BLESS").is_some();
    if bless {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let generated = files(100)
        .into_iter()
        .chain([("top_models.jsonl".to_string(), top_models().into_bytes())]);
    for (name, bytes) in generated {
        let path = dir.join(&name);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run GENAI_BLESS=1 cargo test --test bench_workloads",
                path.display()
            )
        });
        assert!(
            committed == bytes,
            "{} is stale: run GENAI_BLESS=1 cargo test --test bench_workloads",
            path.display()
        );
    }
}

#[test]
#[ignore = "writes benchmark inputs; run by scripts/bench.sh"]
fn write_bench_workloads() {
    let Some(dir) = std::env::var_os("GENAI_BENCH_WORKLOADS") else {
        panic!("set GENAI_BENCH_WORKLOADS to the output directory");
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in files(1000).into_iter().chain(files(16)) {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// The driver profiled by scripts/bench.sh under callgrind: the Rust core,
/// with `$GENAI_PROFILE_CONFIG` (default `{}`: all stages on), over `$GENAI_PROFILE_ITERS` 1,000-item batches of
/// `$GENAI_PROFILE_WORKLOAD` (genai_metrics, genai_spans or genai_logs, the
/// last two also in pdata's field order as `genai_spans_pdata` and
/// `genai_logs_pdata`); `$GENAI_PROFILE_EDITS` profiles the edits call;
/// `$GENAI_PROFILE_INPUT` names a file to take the batch from instead.
#[test]
#[ignore = "profiling driver; run by scripts/bench.sh under valgrind"]
fn profile_driver() {
    use otelcol_genai::{Processor, Signal};
    let workload = std::env::var("GENAI_PROFILE_WORKLOAD").unwrap_or_else(|_| "genai_spans".into());
    let iters: usize = std::env::var("GENAI_PROFILE_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let (signal, input) = match workload.as_str() {
        "genai_metrics" => (Signal::Metrics, genai_metrics(1000).encode_to_vec()),
        "genai_spans" => (Signal::Traces, genai_spans(1000).encode_to_vec()),
        "genai_logs" => (Signal::Logs, genai_logs(1000).encode_to_vec()),
        // As a collector hands them over (pdata's field order).
        "genai_spans_pdata" => (
            Signal::Traces,
            support::pdata_order::pdata_order(&genai_spans(1000).encode_to_vec(), false),
        ),
        "genai_logs_pdata" => (
            Signal::Logs,
            support::pdata_order::pdata_order(&genai_logs(1000).encode_to_vec(), true),
        ),
        other => panic!("GENAI_PROFILE_WORKLOAD: unknown workload {other}"),
    };
    // `$GENAI_PROFILE_INPUT`: the batch's bytes from a file instead (e.g.
    // as the Go component marshals it), with the workload's signal.
    let input = match std::env::var_os("GENAI_PROFILE_INPUT") {
        Some(path) => std::fs::read(path).expect("GENAI_PROFILE_INPUT is readable"),
        None => input,
    };
    let config = std::env::var("GENAI_PROFILE_CONFIG").unwrap_or_else(|_| "{}".into());
    let p = Processor::from_json(config.as_bytes()).expect("GENAI_PROFILE_CONFIG is valid");
    // `$GENAI_PROFILE_EDITS` set: the edits call the Go component makes for
    // traces and logs.
    let run = |input: &[u8]| match std::env::var_os("GENAI_PROFILE_EDITS") {
        Some(_) => p.process_edits(signal, input),
        None => p.process(signal, input),
    };
    // The pricing table is parsed on first use: keep that out of the loop.
    run(&input).expect("workload decodes");
    for _ in 0..iters {
        std::hint::black_box(run(&input).expect("workload decodes"));
    }
}
