//! Throughput of the Rust core per signal, workload and stage (issue #6).
//! Reports bytes/s of OTLP input; items/s follow from the batch sizes (1,000
//! items per batch). Run with `cargo bench --bench process`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::pdata_order::pdata_order;
use support::workloads::*;

const ITEMS: usize = 1000;

/// Stage selections measured separately and together.
const CONFIGS: [(&str, &str); 5] = [
    ("all", "{}"),
    (
        "normalize",
        r#"{"cost":{"enabled":false},"naming":{"enabled":false}}"#,
    ),
    (
        "cost",
        r#"{"normalize":{"enabled":false},"naming":{"enabled":false}}"#,
    ),
    (
        "naming",
        r#"{"normalize":{"enabled":false},"cost":{"enabled":false}}"#,
    ),
    (
        "none",
        r#"{"normalize":{"enabled":false},"cost":{"enabled":false},"naming":{"enabled":false}}"#,
    ),
];

fn bench(c: &mut Criterion) {
    let (plain_t, plain_m, plain_l) = plain_workload(ITEMS);
    let spans = genai_spans(ITEMS).encode_to_vec();
    let logs = genai_logs(ITEMS).encode_to_vec();
    let workloads: Vec<(&str, Signal, Vec<u8>)> = vec![
        (
            "genai_metrics",
            Signal::Metrics,
            genai_metrics(ITEMS).encode_to_vec(),
        ),
        // In a collector the processor gets pdata's field order (a
        // KeyValue's value before its key): measured as well.
        (
            "genai_spans_pdata",
            Signal::Traces,
            pdata_order(&spans, false),
        ),
        ("genai_logs_pdata", Signal::Logs, pdata_order(&logs, true)),
        ("genai_spans", Signal::Traces, spans),
        ("genai_logs", Signal::Logs, logs),
        ("plain_spans", Signal::Traces, plain_t.encode_to_vec()),
        ("plain_metrics", Signal::Metrics, plain_m.encode_to_vec()),
        ("plain_logs", Signal::Logs, plain_l.encode_to_vec()),
    ];
    for (wname, signal, input) in &workloads {
        let mut group = c.benchmark_group(*wname);
        group.throughput(Throughput::Bytes(input.len() as u64));
        for (cname, config) in CONFIGS {
            let p = Processor::from_json(config.as_bytes()).expect("bench config is valid");
            group.bench_function(cname, |b| {
                b.iter_batched_ref(
                    || (),
                    |_| p.process(*signal, input).expect("workload decodes"),
                    BatchSize::SmallInput,
                )
            });
        }
        // What the Go component calls: all stages, the changes returned as
        // edits.
        let p = Processor::from_json(b"{}").expect("default config");
        group.bench_function("edits", |b| {
            b.iter_batched_ref(
                || (),
                |_| p.process_edits(*signal, input).expect("workload decodes"),
                BatchSize::SmallInput,
            )
        });
        // The floor: decode + encode with prost and nothing else.
        group.bench_function("prost_roundtrip", |b| {
            b.iter(|| roundtrip(*signal, input));
        });
        group.finish();
    }
}

fn roundtrip(signal: Signal, input: &[u8]) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::{logs::v1::*, metrics::v1::*, trace::v1::*};
    match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(input)
            .unwrap()
            .encode_to_vec(),
        Signal::Metrics => ExportMetricsServiceRequest::decode(input)
            .unwrap()
            .encode_to_vec(),
        Signal::Logs => ExportLogsServiceRequest::decode(input)
            .unwrap()
            .encode_to_vec(),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
