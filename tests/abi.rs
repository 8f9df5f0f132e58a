//! The C ABI exercised as C would use it: handles, buffers, statuses and
//! messages, on all three signals, including bad input and concurrency.

mod support;

use std::ffi::CStr;

use otelcol_genai::ffi::*;
use prost::Message;
use support::*;

/// Owns a handle for the test's duration.
struct Handle(GenaiHandle);

impl Handle {
    fn new(config: &str) -> Result<Handle, (GenaiStatus, String)> {
        let mut handle: GenaiHandle = 0;
        let mut err = empty_buffer();
        // SAFETY: valid pointers to live locals; config outlives the call.
        let status =
            unsafe { genai_processor_new(config.as_ptr(), config.len(), &mut handle, &mut err) };
        let msg = take_string(&mut err);
        match status {
            GenaiStatus::Ok => Ok(Handle(handle)),
            s => Err((s, msg)),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        genai_processor_free(self.0);
    }
}

fn empty_buffer() -> GenaiBuffer {
    GenaiBuffer {
        ptr: std::ptr::null_mut(),
        len: 0,
        cap: 0,
    }
}

/// Copies a buffer's bytes out as a String and frees it.
fn take_string(b: &mut GenaiBuffer) -> String {
    let s = if b.ptr.is_null() {
        String::new()
    } else {
        // SAFETY: the library filled `b` with `len` initialised bytes.
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(b.ptr, b.len) }).into_owned()
    };
    // SAFETY: `b` came from the library.
    unsafe { genai_buffer_free(b) };
    s
}

type Entry = unsafe extern "C" fn(GenaiHandle, *const u8, usize, *mut GenaiResult) -> GenaiStatus;

struct Processed {
    status: GenaiStatus,
    changed: bool,
    edits: bool,
    data: Vec<u8>,
    error: String,
    items: u64,
}

fn call(entry: Entry, handle: GenaiHandle, input: &[u8]) -> Processed {
    let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
    // SAFETY: input is a live slice; out is writable; the library initialises it.
    let status = unsafe { entry(handle, input.as_ptr(), input.len(), out.as_mut_ptr()) };
    // SAFETY: every process call initialises `out`, whatever the status.
    let mut out = unsafe { out.assume_init() };
    let data = if out.data.ptr.is_null() {
        Vec::new()
    } else {
        // SAFETY: filled by the library with `len` bytes.
        unsafe { std::slice::from_raw_parts(out.data.ptr, out.data.len) }.to_vec()
    };
    let error = if out.error.ptr.is_null() {
        String::new()
    } else {
        // SAFETY: as above.
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(out.error.ptr, out.error.len) })
            .into_owned()
    };
    let p = Processed {
        status,
        changed: out.changed,
        edits: out.edits,
        data,
        error,
        items: out.stats.items,
    };
    // SAFETY: `out` was filled by the library; freeing twice is allowed.
    unsafe {
        genai_result_free(&mut out);
        genai_result_free(&mut out);
    }
    p
}

fn golden_batches() -> Vec<(&'static str, Entry, Vec<u8>)> {
    vec![
        (
            "traces",
            genai_process_traces as Entry,
            plain_traces().encode_to_vec(),
        ),
        (
            "metrics",
            genai_process_metrics as Entry,
            plain_metrics().encode_to_vec(),
        ),
        (
            "logs",
            genai_process_logs as Entry,
            plain_logs().encode_to_vec(),
        ),
    ]
}

#[test]
fn batches_without_anything_to_change_come_back_unchanged() {
    let h = Handle::new("{}").unwrap();
    for (name, entry, input) in golden_batches() {
        let p = call(entry, h.0, &input);
        assert_eq!(p.status, GenaiStatus::Ok, "{name}: {}", p.error);
        assert!(!p.changed, "{name}: reported a change");
        assert!(
            p.data.is_empty(),
            "{name}: returned data although unchanged"
        );
    }
}

#[test]
fn genai_batches_with_every_stage_off_come_back_unchanged() {
    let h = Handle::new(
        r#"{"normalize": {"enabled": false}, "cost": {"enabled": false}, "naming": {"enabled": false}}"#,
    )
    .unwrap();
    let spans = traces(
        vec![kv("service.name", "bot")],
        vec![span(
            "chat gpt-4o",
            vec![
                kv("gen_ai.system", "openai"),
                kv("gen_ai.request.model", "gpt-4o"),
                kv("gen_ai.usage.prompt_tokens", 10i64),
            ],
        )],
    );
    let p = call(genai_process_traces, h.0, &spans.encode_to_vec());
    assert_eq!(p.status, GenaiStatus::Ok, "{}", p.error);
    assert!(!p.changed);
    assert_eq!(p.items, 1, "the GenAI batch was decoded and walked");
}

#[test]
fn empty_batches_are_valid_and_unchanged() {
    let h = Handle::new("{}").unwrap();
    for (name, entry, _) in golden_batches() {
        // Zero length with a null pointer, as cgo passes an empty slice.
        let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
        // SAFETY: null with length 0 is allowed by the contract.
        let status = unsafe { entry(h.0, std::ptr::null(), 0, out.as_mut_ptr()) };
        // SAFETY: initialised by the call.
        let mut out = unsafe { out.assume_init() };
        assert_eq!(status, GenaiStatus::Ok, "{name}");
        assert!(!out.changed);
        // SAFETY: from the library.
        unsafe { genai_result_free(&mut out) };
    }
}

#[test]
fn garbage_bytes_are_a_decode_error_with_a_message() {
    let h = Handle::new("{}").unwrap();
    // Mentions gen_ai so the prefilter lets it through to the decoder.
    let garbage = b"\xff\xff\xff\xffgen_ai.system\x00\x01garbage";
    for (name, entry, _) in golden_batches() {
        let p = call(entry, h.0, garbage);
        assert_eq!(p.status, GenaiStatus::Decode, "{name}");
        assert!(!p.changed);
        assert!(p.data.is_empty());
        assert!(
            p.error.contains("malformed OTLP protobuf"),
            "{name}: {}",
            p.error
        );
    }
}

#[test]
fn truncated_batches_are_a_decode_error() {
    let h = Handle::new("{}").unwrap();
    let spans = traces(
        vec![],
        vec![span("chat", vec![kv("gen_ai.request.model", "gpt-4o")])],
    )
    .encode_to_vec();
    let p = call(genai_process_traces, h.0, &spans[..spans.len() - 3]);
    assert_eq!(p.status, GenaiStatus::Decode, "{}", p.error);
}

#[test]
fn invalid_config_is_refused_naming_the_field() {
    let (status, msg) = Handle::new(r#"{"normalize": {"overwrite": 3}}"#)
        .err()
        .unwrap();
    assert_eq!(status, GenaiStatus::InvalidConfig);
    assert!(msg.contains("normalize.overwrite"), "{msg}");

    let (status, msg) = Handle::new("not json").err().unwrap();
    assert_eq!(status, GenaiStatus::InvalidConfig);
    assert!(msg.starts_with("invalid genai configuration"), "{msg}");

    let mut err = empty_buffer();
    let bad = br#"{"no_such_section": {}}"#;
    // SAFETY: live slice and buffer.
    let status = unsafe { genai_config_validate(bad.as_ptr(), bad.len(), &mut err) };
    assert_eq!(status, GenaiStatus::InvalidConfig);
    assert!(take_string(&mut err).contains("no_such_section"));
}

#[test]
fn empty_document_is_refused_and_empty_object_means_defaults() {
    let mut handle = 0;
    // SAFETY: null with length 0 is allowed; `handle` is writable; err may be null.
    let status =
        unsafe { genai_processor_new(std::ptr::null(), 0, &mut handle, std::ptr::null_mut()) };
    // An empty document is not JSON: refused, and no handle written.
    assert_eq!(status, GenaiStatus::InvalidConfig);
    assert_eq!(handle, 0);
    assert!(Handle::new("{}").is_ok());
}

#[test]
fn null_pointers_are_invalid_arguments() {
    let h = Handle::new("{}").unwrap();
    let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
    // SAFETY: the library must reject a null data pointer with a length.
    let status = unsafe { genai_process_traces(h.0, std::ptr::null(), 10, out.as_mut_ptr()) };
    assert_eq!(status, GenaiStatus::InvalidArgument);
    // SAFETY: initialised by the call.
    let mut out = unsafe { out.assume_init() };
    assert!(take_string(&mut out.error).contains("null data pointer"));
    // SAFETY: from the library.
    unsafe { genai_result_free(&mut out) };

    // SAFETY: a null result pointer must be rejected, not written.
    let status = unsafe { genai_process_logs(h.0, b"x".as_ptr(), 1, std::ptr::null_mut()) };
    assert_eq!(status, GenaiStatus::InvalidArgument);

    // SAFETY: null handle pointer must be rejected.
    let status = unsafe {
        genai_processor_new(
            b"{}".as_ptr(),
            2,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(status, GenaiStatus::InvalidArgument);

    // SAFETY: null is ignored by the free functions.
    unsafe {
        genai_result_free(std::ptr::null_mut());
        genai_buffer_free(std::ptr::null_mut());
    }
}

/// No object is larger than `PTRDIFF_MAX` bytes, so a length over it is a
/// caller's error every entry point refuses before it reads a byte (the
/// pointer here points to one byte only: reading would crash the test).
#[test]
fn lengths_over_ptrdiff_max_are_invalid_arguments() {
    let h = Handle::new("{}").unwrap();
    let byte = b"{";
    for len in [isize::MAX as usize + 1, usize::MAX] {
        for entry in [
            genai_process_traces as Entry,
            genai_process_metrics,
            genai_process_logs,
            genai_edit_traces,
            genai_edit_metrics,
            genai_edit_logs,
        ] {
            let mut out = std::mem::MaybeUninit::<GenaiResult>::uninit();
            // SAFETY: the library must refuse the length before reading.
            let status = unsafe { entry(h.0, byte.as_ptr(), len, out.as_mut_ptr()) };
            assert_eq!(status, GenaiStatus::InvalidArgument, "{len}");
            // SAFETY: initialised by the call.
            let mut out = unsafe { out.assume_init() };
            assert!(take_string(&mut out.error).contains("PTRDIFF_MAX"));
            // SAFETY: from the library.
            unsafe { genai_result_free(&mut out) };
        }
        for ask in [genai_attribute_key_is_genai, genai_metric_name_is_genai] {
            let (mut answer, mut err) = (false, empty_buffer());
            // SAFETY: as above; answer and err are writable locals.
            let status = unsafe { ask(h.0, byte.as_ptr(), len, &mut answer, &mut err) };
            assert_eq!(status, GenaiStatus::InvalidArgument, "{len}");
            assert!(take_string(&mut err).contains("PTRDIFF_MAX"));
        }
        let mut err = empty_buffer();
        // SAFETY: as above.
        let status = unsafe { genai_config_validate(byte.as_ptr(), len, &mut err) };
        assert_eq!(status, GenaiStatus::InvalidArgument, "{len}");
        assert!(take_string(&mut err).contains("PTRDIFF_MAX"));
        let (mut handle, mut err) = (0, empty_buffer());
        // SAFETY: as above.
        let status = unsafe { genai_processor_new(byte.as_ptr(), len, &mut handle, &mut err) };
        assert_eq!(status, GenaiStatus::InvalidArgument, "{len}");
        assert_eq!(handle, 0);
        assert!(take_string(&mut err).contains("PTRDIFF_MAX"));
    }
}

#[test]
fn destroyed_and_unknown_handles_are_refused() {
    let h = Handle::new("{}").unwrap();
    let id = h.0;
    drop(h);
    let input = plain_traces().encode_to_vec();
    let p = call(genai_process_traces, id, &input);
    assert_eq!(p.status, GenaiStatus::InvalidHandle);
    assert!(p.error.contains("unknown genai handle"), "{}", p.error);
    assert_eq!(
        genai_processor_free(id),
        GenaiStatus::InvalidHandle,
        "double free"
    );
    assert_eq!(genai_processor_free(0), GenaiStatus::InvalidHandle);
    assert_eq!(
        call(genai_process_metrics, u64::MAX, &input).status,
        GenaiStatus::InvalidHandle
    );
}

#[test]
fn handles_are_never_reused() {
    let a = Handle::new("{}").unwrap().0;
    let b = Handle::new("{}").unwrap();
    assert_ne!(a, b.0);
}

#[test]
fn status_names_and_version_are_static_strings() {
    for (s, name) in [
        (GenaiStatus::Ok, "ok"),
        (GenaiStatus::InvalidArgument, "invalid_argument"),
        (GenaiStatus::InvalidConfig, "invalid_config"),
        (GenaiStatus::InvalidHandle, "invalid_handle"),
        (GenaiStatus::Decode, "decode_error"),
        (GenaiStatus::Panic, "panic"),
    ] {
        // SAFETY: the library returns a static NUL-terminated string.
        assert_eq!(
            unsafe { CStr::from_ptr(genai_status_name(s as i32)) }
                .to_str()
                .unwrap(),
            name
        );
    }
    // A C enum may hold any value: one that is no status has a name too.
    for code in [6, 42, -1, i32::MIN, i32::MAX] {
        // SAFETY: as above.
        let name = unsafe { CStr::from_ptr(genai_status_name(code)) };
        assert_eq!(name.to_str().unwrap(), "unknown", "{code}");
    }
    // SAFETY: as above.
    let v = unsafe { CStr::from_ptr(genai_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

#[test]
fn eight_threads_share_one_handle() {
    let h = Handle::new("{}").unwrap();
    let id = h.0;
    let genai = traces(
        vec![kv("service.name", "bot")],
        vec![span(
            "chat",
            vec![
                kv("gen_ai.system", "openai"),
                kv("gen_ai.request.model", "gpt-4o"),
            ],
        )],
    )
    .encode_to_vec();
    let expected = call(genai_process_traces, id, &genai);
    assert_eq!(expected.status, GenaiStatus::Ok);
    std::thread::scope(|s| {
        for t in 0..8 {
            let genai = &genai;
            let expected = &expected;
            s.spawn(move || {
                for i in 0..200 {
                    let got = call(genai_process_traces, id, genai);
                    assert_eq!(got.status, GenaiStatus::Ok, "thread {t} call {i}");
                    assert_eq!(got.changed, expected.changed);
                    assert_eq!(
                        got.data, expected.data,
                        "thread {t} call {i}: output differs"
                    );
                    let plain = call(genai_process_logs, id, &plain_logs().encode_to_vec());
                    assert_eq!(plain.status, GenaiStatus::Ok);
                }
            });
        }
    });
}

#[test]
fn handles_created_and_destroyed_concurrently_stay_distinct() {
    let ids = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..50 {
                    let h = Handle::new("{}").unwrap();
                    ids.lock().unwrap().push(h.0);
                }
            });
        }
    });
    let mut ids = ids.into_inner().unwrap();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn genai_metric_names_are_told_apart() {
    let h = Handle::new("{}").unwrap();
    let ok = |answer| (GenaiStatus::Ok, answer, String::new());
    for name in [
        "gen_ai.client.token.usage",
        "gen_ai.usage.cost",
        "gen_ai_client_operation_duration_seconds",
    ] {
        assert_eq!(is_genai_metric(h.0, name), ok(true), "{name}");
    }
    for name in ["http.server.request.duration", "process.cpu.time", ""] {
        assert_eq!(is_genai_metric(h.0, name), ok(false), "{name}");
    }
    // Naming every metric makes every name one.
    let all = Handle::new(r#"{"naming":{"metrics":"all"}}"#).unwrap();
    assert_eq!(is_genai_metric(all.0, "process.cpu.time"), ok(true));
    let (status, _, msg) = is_genai_metric(u64::MAX, "gen_ai.usage.cost");
    assert_eq!(status, GenaiStatus::InvalidHandle);
    assert!(msg.contains("unknown genai handle"), "{msg}");
    // SAFETY: the library must reject a null answer pointer without
    // writing through it.
    let null_answer = unsafe {
        genai_metric_name_is_genai(
            h.0,
            b"m".as_ptr(),
            1,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    assert_eq!(null_answer, GenaiStatus::InvalidArgument);
}

/// Asks the library whether `name` is a GenAI metric name.
fn is_genai_metric(handle: GenaiHandle, name: &str) -> (GenaiStatus, bool, String) {
    let mut answer = false;
    let mut err = empty_buffer();
    // SAFETY: name is a live slice; answer and err are writable locals.
    let status = unsafe {
        genai_metric_name_is_genai(handle, name.as_ptr(), name.len(), &mut answer, &mut err)
    };
    (status, answer, take_string(&mut err))
}

/// Asks the library whether `key` is a GenAI attribute key.
fn is_genai(handle: GenaiHandle, key: &str) -> (GenaiStatus, bool, String) {
    let mut answer = false;
    let mut err = empty_buffer();
    // SAFETY: key is a live slice; answer and err are writable locals.
    let status = unsafe {
        genai_attribute_key_is_genai(handle, key.as_ptr(), key.len(), &mut answer, &mut err)
    };
    (status, answer, take_string(&mut err))
}

#[test]
fn genai_attribute_keys_are_told_apart() {
    let h = Handle::new("{}").unwrap();
    let ok = |answer| (GenaiStatus::Ok, answer, String::new());
    for key in [
        "gen_ai.request.model",
        "llm.token_count.prompt",
        "ai.usage.promptTokens",
        "traceloop.entity.name",
    ] {
        assert_eq!(is_genai(h.0, key), ok(true), "{key}");
    }
    // Read by normalization on GenAI batches, but no sign of one.
    for key in [
        "deployment.environment",
        "service.name",
        "http.request.method",
        "",
    ] {
        assert_eq!(is_genai(h.0, key), ok(false), "{key}");
    }
    // A custom source's keys are GenAI keys of its processor.
    let custom = Handle::new(
        r#"{"normalize":{"custom_sources":[{"name":"gw","attributes":{"x-gw.model":"gen_ai.request.model"}}]}}"#,
    )
    .unwrap();
    assert_eq!(is_genai(custom.0, "x-gw.model"), ok(true));
    assert_eq!(is_genai(h.0, "x-gw.model"), ok(false));

    let (status, _, msg) = is_genai(u64::MAX, "gen_ai.system");
    assert_eq!(status, GenaiStatus::InvalidHandle);
    assert!(msg.contains("unknown genai handle"), "{msg}");
    // SAFETY: the library must reject a null answer pointer, and a null key
    // with a length, without writing through them.
    unsafe {
        let null_answer = genai_attribute_key_is_genai(
            h.0,
            b"k".as_ptr(),
            1,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        assert_eq!(null_answer, GenaiStatus::InvalidArgument);
        let mut answer = true;
        let null_key = genai_attribute_key_is_genai(
            h.0,
            std::ptr::null(),
            3,
            &mut answer,
            std::ptr::null_mut(),
        );
        assert_eq!(null_key, GenaiStatus::InvalidArgument);
    }
}

#[test]
fn edit_entry_points_answer_with_edits_or_unchanged() {
    let h = Handle::new("{}").unwrap();
    let (spans, logs) = (
        support::workloads::genai_spans(20).encode_to_vec(),
        support::workloads::genai_logs(20).encode_to_vec(),
    );
    let cases: [(Entry, Entry, &[u8]); 2] = [
        (genai_edit_traces, genai_process_traces, &spans),
        (genai_edit_logs, genai_process_logs, &logs),
    ];
    for (edit, whole, input) in cases {
        let e = call(edit, h.0, input);
        let w = call(whole, h.0, input);
        assert_eq!(
            (e.status, e.changed, e.edits),
            (GenaiStatus::Ok, true, true)
        );
        assert_eq!(
            (w.changed, w.edits),
            (true, false),
            "the whole-batch call never sends edits"
        );
        assert_eq!(e.items, w.items);
        assert!(
            e.data.len() < w.data.len() / 2,
            "edits are small: {} vs {}",
            e.data.len(),
            w.data.len()
        );
    }
    let plain = call(genai_edit_traces, h.0, &plain_traces().encode_to_vec());
    assert_eq!(
        (plain.status, plain.changed, plain.edits),
        (GenaiStatus::Ok, false, false)
    );
    assert!(plain.data.is_empty());
    let bad = call(genai_edit_logs, h.0, b"\xff\xff\xffgen_ai");
    assert_eq!(
        (bad.status, bad.changed, bad.edits),
        (GenaiStatus::Decode, false, false)
    );
    assert!(!bad.error.is_empty());
    assert_eq!(
        call(genai_edit_traces, u64::MAX, &[]).status,
        GenaiStatus::InvalidHandle
    );
}
