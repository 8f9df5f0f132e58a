//! The connector's entry points of the C ABI on arbitrary bytes: a batch
//! consumed, then a flush. Nothing may panic, a flush must be a valid OTLP
//! metrics request, and the series stay within the cardinality limit
//! whatever the batches say. Two more connectors take every input, one
//! reading spans on the wire and one with prost: they must count alike.
//! And a processor reads every input for a connector of its own
//! (`process_edits_counting`): its answer must be the processor's without
//! a reading, and what that connector records what a twin counts reading
//! the processor's output itself.
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_genai::ffi::*;
use otelcol_genai::span_metrics::SpanMetrics;
use otelcol_genai::stats::SpanMetricsStats;
use otelcol_genai::{Processor, Signal};
use prost::Message;

const LIMIT: u64 = 50;

fn handle() -> GenaiHandle {
    static HANDLE: OnceLock<GenaiHandle> = OnceLock::new();
    *HANDLE.get_or_init(|| {
        let config = br#"{"cardinality_limit": 50, "derive": {"default": "always"}}"#;
        let mut h = 0;
        // SAFETY: a static config string, a writable local, no error buffer.
        let status = unsafe {
            genai_connector_new(config.as_ptr(), config.len(), &mut h, std::ptr::null_mut())
        };
        assert_eq!(status, GenaiStatus::Ok);
        h
    })
}

/// The wire reader's connector and the prost path's, fed the same inputs.
fn new_pair() -> (SpanMetrics, SpanMetrics) {
    let config = br#"{"cardinality_limit": 50, "derive": {"default": "always"}}"#;
    let make = || SpanMetrics::from_json(config).expect("valid config");
    (make(), make())
}

static PAIR: Mutex<Option<(SpanMetrics, SpanMetrics)>> = Mutex::new(None);

/// A processor, the connector it reads for, and that connector's twin.
static SHARED: Mutex<Option<(Processor, SpanMetrics, SpanMetrics)>> = Mutex::new(None);

fn shared_reading(data: &[u8]) {
    let mut guard = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    let (processor, shared, own) = guard.get_or_insert_with(|| {
        let (a, b) = new_pair();
        (Processor::from_json(b"{}").expect("valid config"), a, b)
    });
    let Ok(outcome) = processor.process(Signal::Traces, data) else {
        return;
    };
    let mut reading = shared.reading();
    let edited = processor.process_edits_counting(data, &mut reading);
    let alone = processor.process_edits(Signal::Traces, data);
    assert_eq!(
        edited.as_ref().map(|o| (&o.output, o.edits, &o.stats)).ok(),
        alone.as_ref().map(|o| (&o.output, o.edits, &o.stats)).ok(),
        "the reading leaves the processor's answer as it is"
    );
    if edited.is_err() {
        return;
    }
    let Some(counted) = reading.finish() else {
        return;
    };
    let a = shared.record(&counted, 1).expect("its own reading");
    match own.consume(outcome.output.as_deref().unwrap_or(data), 1) {
        Ok(b) => {
            assert_eq!(a, b, "the processor's reading counts as the connector");
            assert_eq!(shared.flush(2).0, own.flush(2).0, "same series");
        }
        // Output the connector refuses (bytes the walk copied unvalidated):
        // the states part, so the next input starts afresh.
        Err(_) => *guard = None,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut guard = PAIR.lock().unwrap_or_else(|e| e.into_inner());
    let (wire, prost) = guard.get_or_insert_with(new_pair);
    let a = wire.consume(data, 1);
    let b = prost.consume_reference(data, 1);
    // The wire reader may accept what prost refuses (bytes it skips are not
    // validated): only batches prost accepts are compared.
    match b {
        Ok(b) => {
            assert_eq!(a, Ok(b), "the wire reader and prost count alike");
            assert_eq!(wire.flush(2).0, prost.flush(2).0, "same series");
        }
        // Calls counted by the wire reader alone: the two states part, so
        // the next input starts from a new pair.
        Err(_) if a.is_ok_and(|s| s.calls > 0) => *guard = None,
        Err(_) => {}
    }
    drop(guard);
    shared_reading(data);
    let mut stats = SpanMetricsStats::default();
    let mut err = std::mem::MaybeUninit::<GenaiBuffer>::zeroed();
    // SAFETY: `data` is a live slice; `stats` and `err` are writable.
    let status = unsafe {
        genai_connector_consume(handle(), data.as_ptr(), data.len(), 1, &mut stats, err.as_mut_ptr())
    };
    // SAFETY: null or filled by the library; freed once.
    unsafe { genai_buffer_free(err.as_mut_ptr()) };
    assert_ne!(status, GenaiStatus::Panic, "the core panicked");
    assert!(stats.series_active <= LIMIT, "{} series", stats.series_active);

    let mut metrics = std::mem::MaybeUninit::<GenaiBuffer>::zeroed();
    let mut err = std::mem::MaybeUninit::<GenaiBuffer>::zeroed();
    // SAFETY: every out-pointer is writable.
    let status = unsafe {
        genai_connector_flush(handle(), 2, metrics.as_mut_ptr(), &mut stats, err.as_mut_ptr())
    };
    assert_eq!(status, GenaiStatus::Ok);
    // SAFETY: the flush filled `metrics`.
    let metrics = unsafe { metrics.assume_init_mut() };
    if metrics.len > 0 {
        // SAFETY: the library filled `ptr` with `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(metrics.ptr, metrics.len) };
        assert!(ExportMetricsServiceRequest::decode(bytes).is_ok(), "a flush is a valid request");
    }
    // SAFETY: both filled by the library (or null), freed once.
    unsafe {
        genai_buffer_free(metrics);
        genai_buffer_free(err.as_mut_ptr());
    }
});
