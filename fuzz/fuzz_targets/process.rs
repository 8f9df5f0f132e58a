//! Every batch entry point of the C ABI on arbitrary bytes: the first byte
//! picks the signal, the rest is the batch. Nothing may panic, and a batch
//! reported as changed must decode as a valid request of the same signal
//! whenever the input does (the processor never corrupts data; the wire
//! path for spans and logs passes bytes it does not interpret on as they
//! came, so a flaw in those stays for the collector's unmarshal to refuse).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::{logs::v1::*, metrics::v1::*, trace::v1::*};
use otelcol_genai::ffi::*;
use prost::Message;

fn handle() -> GenaiHandle {
    static HANDLE: OnceLock<GenaiHandle> = OnceLock::new();
    *HANDLE.get_or_init(|| {
        let mut h = 0;
        // SAFETY: a static config string, a writable local, no error buffer.
        let status = unsafe { genai_processor_new(b"{}".as_ptr(), 2, &mut h, std::ptr::null_mut()) };
        assert_eq!(status, GenaiStatus::Ok);
        h
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, batch)) = data.split_first() else { return };
    let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
    let entry = match selector % 3 {
        0 => genai_process_traces,
        1 => genai_process_metrics,
        _ => genai_process_logs,
    };
    // SAFETY: `batch` is a live slice and `out` is writable.
    let status = unsafe { entry(handle(), batch.as_ptr(), batch.len(), out.as_mut_ptr()) };
    // SAFETY: every process call initialises `out`.
    let mut out = unsafe { out.assume_init() };
    assert_ne!(status, GenaiStatus::Panic, "the core panicked");
    if out.changed {
        // SAFETY: the library filled `data` with `len` bytes.
        let bytes = unsafe { std::slice::from_raw_parts(out.data.ptr, out.data.len) };
        let valid = |b: &[u8]| match selector % 3 {
            0 => ExportTraceServiceRequest::decode(b).is_ok(),
            1 => ExportMetricsServiceRequest::decode(b).is_ok(),
            _ => ExportLogsServiceRequest::decode(b).is_ok(),
        };
        assert!(
            valid(bytes) || !valid(batch),
            "a valid batch came back as an invalid request"
        );
    }
    // SAFETY: filled by the library.
    unsafe { genai_result_free(&mut out) };
});
