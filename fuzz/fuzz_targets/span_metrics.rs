//! The connector's entry points of the C ABI on arbitrary bytes: a batch
//! consumed, then a flush. Nothing may panic, a flush must be a valid OTLP
//! metrics request, and the series stay within the cardinality limit
//! whatever the batches say.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_genai::ffi::*;
use otelcol_genai::stats::SpanMetricsStats;
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

fuzz_target!(|data: &[u8]| {
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
