//! Allocation behaviour, checked with a counting global allocator:
//! - `Normalizer::apply` must not allocate for attribute lists it leaves
//!   unchanged (non-GenAI items, and GenAI items already canonical): it runs
//!   on every span and data point;
//! - the wire path must not decode attributes no stage reads;
//! - the built-in pricing table, resident for the collector's life, is held
//!   in a handful of blocks.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue, KeyValue};
use otelcol_genai::normalize::{NormalizeConfig, Normalizer, Place, Work};
use otelcol_genai::pricing::{builtin, formats::litellm, table::Table};
use otelcol_genai::Stats;

struct Counting;

/// What this thread did with the heap while counting was on.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    /// Allocations and reallocations.
    allocations: u64,
    /// Blocks allocated and not freed.
    live_blocks: i64,
    /// Bytes allocated and not freed.
    live_bytes: i64,
}

thread_local! {
    /// `None`: counting is off.
    static COUNT: Cell<Option<Counts>> = const { Cell::new(None) };
}

fn note(f: impl FnOnce(&mut Counts)) {
    // try_with: the thread-local may already be gone during thread teardown.
    let _ = COUNT.try_with(|c| {
        if let Some(mut n) = c.get() {
            f(&mut n);
            c.set(Some(n));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local Cell without destructor, so
// touching it cannot allocate or re-enter the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(|n| {
            n.allocations += 1;
            n.live_blocks += 1;
            n.live_bytes += layout.size() as i64;
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(|n| {
            n.live_blocks -= 1;
            n.live_bytes -= layout.size() as i64;
        });
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(|n| {
            n.allocations += 1;
            n.live_bytes += new_size as i64 - layout.size() as i64;
        });
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counted(f: impl FnOnce()) -> Counts {
    COUNT.with(|c| c.set(Some(Counts::default())));
    f();
    COUNT.with(|c| c.replace(None)).unwrap_or_default()
}

fn allocations(f: impl FnOnce()) -> u64 {
    counted(f).allocations
}

/// Normalizes a copy of `list` at `place` (the copy is made before counting);
/// returns whether it changed, the allocations `apply` made, and its counters.
fn apply_counted(n: &Normalizer, list: &[KeyValue], place: Place) -> (bool, u64, Stats) {
    let mut attrs = list.to_vec();
    let (mut stats, mut work) = (Stats::default(), Work::default());
    let mut changed = false;
    let n_alloc = allocations(|| changed = n.apply(&mut attrs, place, &mut stats, &mut work));
    (changed, n_alloc, stats)
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(v: &str) -> Value {
    Value::StringValue(v.to_string())
}

#[test]
fn unchanged_lists_cost_no_allocation() {
    let n = Normalizer::new(&NormalizeConfig::default()).unwrap();
    let plain = vec![
        kv("http.request.method", s("GET")),
        kv("url.path", s("/api")),
        kv("http.response.status_code", Value::IntValue(200)),
        kv("service.name", s("web")),
    ];
    let canonical = vec![
        kv("gen_ai.provider.name", s("openai")),
        kv("gen_ai.operation.name", s("chat")),
        kv("gen_ai.request.model", s("gpt-4o")),
        kv("gen_ai.response.model", s("gpt-4o-2024-08-06")),
        kv("gen_ai.request.model", s("gpt-4o")),
        kv("gen_ai.usage.input_tokens", Value::IntValue(10)),
        kv("gen_ai.usage.output_tokens", Value::IntValue(5)),
        kv("gen_ai.usage.cost", Value::DoubleValue(0.001)),
        kv("gen_ai.token.type", s("input")),
        kv(
            "gen_ai.response.finish_reasons",
            Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(s("stop")),
                }],
            }),
        ),
        kv("deployment.environment", s("prod")),
    ];
    // Both spellings present (as Vercel's inner spans write them): the
    // canonical ones win, so there is nothing to do either.
    let both = vec![
        kv("gen_ai.request.model", s("gpt-4o")),
        kv("ai.model.id", s("gpt-4o")),
        kv("gen_ai.provider.name", s("openai")),
        kv("ai.model.provider", s("openai.chat")),
        kv("gen_ai.usage.input_tokens", Value::IntValue(10)),
        kv("ai.usage.promptTokens", Value::IntValue(10)),
    ];
    for list in [&plain, &canonical, &both] {
        for place in [
            Place::Span,
            Place::SpanEvent,
            Place::LogRecord,
            Place::Resource,
        ] {
            let (changed, n_alloc, _) = apply_counted(&n, list, place);
            assert!(!changed, "{place:?}");
            assert_eq!(
                n_alloc, 0,
                "{place:?}: {n_alloc} allocations for an unchanged list"
            );
        }
    }
    // Data points with a response and a request model: nothing to fill.
    let (_, n_alloc, _) = apply_counted(&n, &canonical, Place::DataPoint);
    assert_eq!(n_alloc, 0);

    // The counter does see the work path.
    let work = [kv("llm.token_count.prompt", Value::IntValue(3))];
    let (_, n_alloc, _) = apply_counted(&n, &work, Place::Span);
    assert!(n_alloc > 0);
}

/// The work path allocates little more than the attributes it writes.
#[test]
fn allocations_per_rewritten_item() {
    let n = Normalizer::new(&NormalizeConfig::default()).unwrap();
    let i = |v: i64| Value::IntValue(v);
    let cases: Vec<(&str, Vec<KeyValue>)> = vec![
        (
            "openllmetry",
            vec![
                kv("gen_ai.system", s("openai")),
                kv("llm.request.type", s("chat")),
                kv("gen_ai.request.model", s("gpt-4o")),
                kv("gen_ai.response.model", s("gpt-4o")),
                kv("llm.usage.prompt_tokens", i(100)),
                kv("llm.usage.completion_tokens", i(20)),
                kv("llm.usage.total_tokens", i(120)),
                kv("llm.request.temperature", Value::DoubleValue(0.7)),
                kv("traceloop.span.kind", s("task")),
                kv("traceloop.entity.name", s("answer")),
                kv("llm.response.finish_reason", s("stop")),
            ],
        ),
        (
            "openinference",
            vec![
                kv("openinference.span.kind", s("LLM")),
                kv("llm.provider", s("openai")),
                kv("llm.system", s("openai")),
                kv("llm.model_name", s("gpt-4o")),
                kv("llm.token_count.prompt", i(100)),
                kv("llm.token_count.completion", i(20)),
                kv("llm.token_count.total", i(120)),
                kv("session.id", s("sess-42")),
            ],
        ),
    ];
    for (name, attrs) in cases {
        let (_, n_alloc, stats) = apply_counted(&n, &attrs, Place::Span);
        let written = stats.attributes_normalized;
        eprintln!("{name}: {n_alloc} allocations for {written} canonical attributes written");
        // Per written attribute: its key and (string) value; plus a fixed
        // handful of work lists. Deterministic, so a bound, not a timing.
        assert!(written >= 7, "{name}: {written}");
        assert!(n_alloc <= 2 * written + 6, "{name}: {n_alloc} allocations");
    }
}

/// Per-list work buffers (normalization's mappings to make, the edits'
/// replayed keys) live as long as the batch, so what a span whose
/// OpenLLMetry attributes are all mapped costs the edits call is what it
/// writes: a key and a value per attribute written, values it builds, the
/// list's ops.
#[test]
fn rewritten_spans_allocate_for_what_they_write() {
    use opentelemetry_proto::tonic::trace::v1::Span;
    use otelcol_genai::{Processor, Signal};
    let span = |i: usize| Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: "openai.chat".into(),
        attributes: vec![
            kv("gen_ai.system", s("openai")),
            kv("llm.request.type", s("chat")),
            kv("llm.request.model", s("gpt-4o")),
            kv("llm.response.model", s("gpt-4o-2024-08-06")),
            kv("llm.usage.prompt_tokens", Value::IntValue(100 + i as i64)),
            kv("llm.usage.completion_tokens", Value::IntValue(20)),
            kv("llm.response.finish_reason", s("stop")),
            kv("traceloop.entity.name", s("answer")),
        ],
        ..Default::default()
    };
    let batch = |spans: usize| trace_batch((0..spans).map(span).collect());
    let p = Processor::from_json(b"{}").unwrap();
    let counted = |spans: usize| {
        let input = batch(spans);
        let mut written = 0;
        let n = allocations(|| {
            let out = p.process_edits(Signal::Traces, &input).expect("decodes");
            assert!(out.edits && out.output.is_some());
            written = out.stats.attributes_normalized;
        });
        (n, written)
    };
    let (few, _) = counted(10);
    let (many, written) = counted(110);
    let per_span = (many - few) as f64 / 100.0;
    let written_per_span = written as f64 / 110.0;
    eprintln!("{per_span} allocations per span, {written_per_span} attributes written per span");
    assert!(written_per_span >= 7.0, "{written}");
    // A key and a value per attribute written, three values built (an
    // operation looked up, a one-string array, the cost: its key), the
    // ops: 21 here; 29 when the work lists were allocated per list.
    assert!(
        per_span <= 2.0 * written_per_span + 6.0,
        "{per_span} allocations per span"
    );
}

/// The processor's reading for the connector allocates nothing per span
/// beyond the processor's own work: the attributes only the connector reads
/// (a string and an int here) reuse the slots of the span before's, each
/// of the type it held.
#[test]
fn the_connectors_reading_reuses_its_slots_span_after_span() {
    use opentelemetry_proto::tonic::trace::v1::Span;
    use otelcol_genai::span_metrics::SpanMetrics;
    use otelcol_genai::{Processor, Signal};
    let span = |i: usize| Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: "chat gpt-4o".into(),
        start_time_unix_nano: 1,
        end_time_unix_nano: 1_000_000,
        attributes: vec![
            kv("gen_ai.operation.name", s("chat")),
            kv("gen_ai.provider.name", s("openai")),
            kv("gen_ai.request.model", s("gpt-4o")),
            kv("gen_ai.usage.input_tokens", Value::IntValue(100 + i as i64)),
            kv("server.address", s("api.openai.com")),
            kv("http.response.status_code", Value::IntValue(200)),
        ],
        ..Default::default()
    };
    let p = Processor::from_json(b"{}").unwrap();
    let c = SpanMetrics::from_json(b"{}").unwrap();
    // Allocations the reading adds to the processor's call on `spans` spans.
    let added = |spans: usize| {
        let input = trace_batch((0..spans).map(span).collect());
        let plain = allocations(|| {
            p.process_edits(Signal::Traces, &input).expect("decodes");
        });
        let reading = allocations(|| {
            let mut r = c.reading();
            p.process_edits_counting(&input, &mut r).expect("decodes");
            let counted = r.finish().expect("read");
            assert_eq!(counted.len(), spans);
        });
        reading as f64 - plain as f64
    };
    let per_span = (added(1010) - added(10)) / 1000.0;
    eprintln!("{per_span} allocations per span for the reading");
    // Growing the reading's lists: a few per batch. A string decoded into
    // an int's slot (and back) would be one per span.
    assert!(per_span < 0.1, "{per_span} allocations per span");
}

/// `spans` spans, each with a GenAI attribute the normalizer renames
/// plus `extra` attributes no stage reads.
fn spans_with_plain_attributes(spans: usize, extra: usize) -> Vec<u8> {
    use opentelemetry_proto::tonic::trace::v1::Span;
    let span = |i: usize| {
        let mut attributes = vec![kv("llm.token_count.prompt", Value::IntValue(i as i64))];
        attributes.extend((0..extra).map(|j| kv(&format!("app.field_{j}"), s("some value"))));
        Span {
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            name: "llm".into(),
            attributes,
            ..Default::default()
        }
    };
    trace_batch((0..spans).map(span).collect())
}

/// `spans` in one resource and scope, encoded.
fn trace_batch(spans: Vec<opentelemetry_proto::tonic::trace::v1::Span>) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
    use prost::Message;
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// The wire path copies attributes no stage reads as bytes: forty more of
/// them on each of twenty spans cost fewer allocations than one per
/// distinct key (decoding them would cost at least two per attribute: its
/// key and its value; per-item buffers are reused).
#[test]
fn attributes_no_stage_reads_are_not_decoded() {
    use otelcol_genai::{Processor, Signal};
    let p = Processor::from_json(b"{}").unwrap();
    let (spans, extra) = (20, 40);
    let counted = |input: &[u8]| {
        let mut changed = false;
        let n = allocations(|| {
            let out = p.process(Signal::Traces, input).expect("decodes");
            changed = out.output.is_some() && out.stats.attributes_normalized == spans as u64;
        });
        assert!(changed, "the GenAI attribute of every span is normalized");
        n
    };
    let lean = counted(&spans_with_plain_attributes(spans, 0));
    let wide = counted(&spans_with_plain_attributes(spans, extra));
    eprintln!("{lean} allocations without, {wide} with {extra} plain attributes per span");
    assert!(
        wide - lean < extra as u64,
        "{} more allocations for {} attributes no stage reads",
        wide - lean,
        spans * extra
    );
}

/// The built-in table lives as long as the collector. Held as several
/// blocks per model (a key, a bucket, a provider name, a shared price),
/// its 4,000 models were 20,000 blocks interleaved with the garbage of
/// parsing them, and fragmented the heap for good. Frozen, the table is a
/// handful of arrays plus the few prices with tiers or per-image sizes.
#[test]
fn builtin_pricing_table_is_held_in_few_blocks() {
    let text = builtin::text();
    let mut table = None;
    let held = counted(|| {
        let entries = litellm::parse_lines(&text).expect("the built-in table parses");
        table = Some(Table::from_entries(entries));
    });
    let table = table.unwrap();
    eprintln!(
        "built-in table {table:?}: held in {} blocks, {} bytes",
        held.live_blocks, held.live_bytes
    );
    assert!(table.len() > 4000, "{} entries", table.len());
    assert!(
        held.live_blocks * 10 < table.len() as i64,
        "{} entries held in {} blocks",
        table.len(),
        held.live_blocks
    );
}
