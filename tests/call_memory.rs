//! Peak live Rust heap of one call on a large batch, against the batch's
//! size (issue 24, "memory the limiter can see"). A counting global
//! allocator tracks, per thread, the bytes allocated and not yet freed
//! and their highest value during the call; the input is built before
//! counting starts. The factors asserted here (peak bytes / input bytes)
//! are the ones the Go component's in-flight byte budget is sized with
//! (go-shim/genaiprocessor/README.md, `max_inflight_bytes`); run with
//! `--nocapture` to print them.
//!
//! Batches answered as edits hold less than their input. The legacy batch
//! is decoded whole with prost (several bytes of heap per input byte); the
//! upgrade, naming's labels and the derived cost points grow it, and its
//! encoding, larger than the input, is written while it is held
//! (docs/benchmarks.md, "Memory", has the figures).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::workloads::{genai_logs, genai_metrics, genai_spans};
use support::*;

struct Counting;

/// This thread's live heap bytes and their peak while counting was on.
#[derive(Debug, Default, Clone, Copy)]
struct Live {
    now: i64,
    peak: i64,
}

thread_local! {
    /// `None`: counting is off.
    static LIVE: Cell<Option<Live>> = const { Cell::new(None) };
}

fn note(delta: i64) {
    // try_with: the thread-local may already be gone during thread teardown.
    let _ = LIVE.try_with(|c| {
        if let Some(mut l) = c.get() {
            l.now += delta;
            l.peak = l.peak.max(l.now);
            c.set(Some(l));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local Cell without destructor, so
// touching it cannot allocate or re-enter the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as i64));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as a new block before the old one is freed: a copying
        // reallocation holds both for a moment.
        note(new_size as i64);
        note(-(layout.size() as i64));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The peak live bytes of one `process_edits` call on `input` (the call
/// the Go component makes), its output included.
fn peak_of_edits_call(p: &Processor, signal: Signal, input: &[u8]) -> (i64, bool) {
    LIVE.with(|c| c.set(Some(Live::default())));
    let out = p.process_edits(signal, input).expect("a valid batch");
    let edits = out.edits;
    drop(out);
    let live = LIVE.with(|c| c.replace(None)).unwrap_or_default();
    (live.peak, edits)
}

/// OpenLIT's legacy counters (request count, input and output tokens,
/// OpenLIT <= 1.36) for `calls` distinct attribute sets: the batch the
/// legacy upgrade turns into histograms, which takes the decoded (prost)
/// path. 19 MB at 23,000 calls, the size of issue 24's load.
pub fn legacy_counters(calls: usize) -> ExportMetricsServiceRequest {
    let points = |value: fn(usize) -> i64| {
        (0..calls)
            .map(|i| NumberDataPoint {
                attributes: vec![
                    kv("gen_ai.system", "openai"),
                    kv("gen_ai.operation.name", "chat"),
                    kv("gen_ai.request.model", "gpt-4o"),
                    kv("gen_ai.application_name", "checkout-assistant"),
                    kv("gen_ai.environment", "production"),
                    kv("server.address", "api.openai.com"),
                    kv("app.user", format!("user-{i:08}").as_str()),
                ],
                start_time_unix_nano: 1_700_000_000_000_000_000,
                time_unix_nano: 1_700_000_060_000_000_000,
                value: Some(number_data_point::Value::AsInt(value(i))),
                ..Default::default()
            })
            .collect()
    };
    let counter = |name: &str, data_points| Metric {
        name: name.to_string(),
        unit: "1".to_string(),
        data: Some(Data::Sum(Sum {
            data_points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(vec![
                kv("service.name", "checkout"),
                kv("telemetry.sdk.name", "openlit"),
            ]),
            scope_metrics: vec![ScopeMetrics {
                scope: scope("openlit.otel.metrics"),
                metrics: vec![
                    counter("gen_ai.total.requests", points(|i| 1 + (i % 3) as i64)),
                    counter(
                        "gen_ai.usage.input_tokens",
                        points(|i| 100 + (i % 50) as i64),
                    ),
                    counter(
                        "gen_ai.usage.output_tokens",
                        points(|i| 20 + (i % 30) as i64),
                    ),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// Peak / input for each large batch, with the bound each is held to.
/// The bounds leave room above what was measured (printed) so that an
/// unrelated change does not trip them, and fail on a change that keeps
/// several copies of the batch at once.
#[test]
fn peak_rust_heap_per_call_is_proportional_to_the_input() {
    let p = Processor::from_json(b"{}").unwrap();
    let cases: Vec<(&str, Signal, Vec<u8>, f64)> = vec![
        (
            "legacy metrics",
            Signal::Metrics,
            legacy_counters(23_000).encode_to_vec(),
            16.0,
        ),
        (
            "metrics",
            Signal::Metrics,
            genai_metrics(60_000).encode_to_vec(),
            1.5,
        ),
        (
            "spans",
            Signal::Traces,
            genai_spans(16_000).encode_to_vec(),
            1.5,
        ),
        (
            "logs",
            Signal::Logs,
            genai_logs(30_000).encode_to_vec(),
            1.5,
        ),
    ];
    for (name, signal, input, bound) in cases {
        let (peak, edits) = peak_of_edits_call(&p, signal, &input);
        let factor = peak as f64 / input.len() as f64;
        println!(
            "{name}: {} bytes in, peak live Rust heap {peak} bytes, {factor:.2}x (edits: {edits})",
            input.len()
        );
        assert!(
            factor <= bound,
            "{name}: peak {peak} bytes for {} bytes in ({factor:.2}x, bound {bound}x)",
            input.len()
        );
    }
}

/// The legacy batch of the test above is what issue 24 sent, 19 MB.
#[test]
fn the_legacy_batch_is_issue_24s_size() {
    let n = legacy_counters(23_000).encoded_len();
    assert!((17_000_000..21_000_000).contains(&n), "{n} bytes");
}

/// The `genai` connector's memory per active series: the live heap it
/// holds after counting calls of `n` distinct attribute sets (each a model
/// name of about 20 bytes, with tokens and a cost: four histograms), per
/// series, and its own estimate (`state_bytes`). docs/connector.md quotes
/// the figure; the bound here has a margin over it.
#[test]
fn connector_memory_per_active_series() {
    use otelcol_genai::span_metrics::SpanMetrics;
    let n = 10_000;
    let spans = (0..n)
        .map(|i| {
            span(
                "chat",
                vec![
                    kv("gen_ai.operation.name", "chat"),
                    kv("gen_ai.provider.name", "openai"),
                    kv(
                        "gen_ai.request.model",
                        format!("model-{i:08}-mini").as_str(),
                    ),
                    kv(
                        "gen_ai.response.model",
                        format!("model-{i:08}-mini").as_str(),
                    ),
                    kv("server.address", "api.openai.com"),
                    kv("gen_ai.usage.input_tokens", 100),
                    kv("gen_ai.usage.output_tokens", 50),
                    kv("gen_ai.usage.cost", 0.001),
                ],
            )
        })
        .collect();
    let batch = traces(vec![kv("service.name", "checkout")], spans).encode_to_vec();
    let c = SpanMetrics::from_json(br#"{"cardinality_limit": 100000}"#).unwrap();
    // Warm up the stages (first-use allocations are not series).
    c.consume(&traces(vec![], vec![]).encode_to_vec(), 1)
        .unwrap();
    LIVE.with(|l| l.set(Some(Live::default())));
    let stats = c.consume(&batch, 1).unwrap();
    let live = LIVE.with(|l| l.replace(None)).unwrap_or_default();
    assert_eq!(stats.series_active, n as u64);
    let per_series = live.now as f64 / n as f64;
    let estimate = stats.state_bytes as f64 / n as f64;
    eprintln!("connector: {per_series:.0} live bytes per series (estimate {estimate:.0}); peak during the call {} bytes for a {} byte batch", live.peak, batch.len());
    assert!(per_series < 4096.0, "{per_series:.0} bytes per series");
    assert!(
        estimate > 0.5 * per_series && estimate < 2.0 * per_series,
        "estimate {estimate:.0} vs {per_series:.0}"
    );
}
