//! The C ABI, used by the Go collector component through cgo.
//!
//! Contract, common to every function:
//! - A processor is named by an opaque non-zero `GenaiHandle`, created by
//!   [`genai_processor_new`] and destroyed by [`genai_processor_free`]. A
//!   handle is never reused, so a destroyed or made-up handle is reported as
//!   `GENAI_STATUS_INVALID_HANDLE`, never dereferenced. A live handle may be
//!   used from any number of threads at once.
//! - Input bytes are borrowed for the duration of the call only. A length
//!   over `PTRDIFF_MAX` is refused with `GENAI_STATUS_INVALID_ARGUMENT`
//!   before a byte is read; any other length must be that of the buffer.
//! - Every buffer returned in a [`GenaiBuffer`] or [`GenaiResult`] is owned
//!   by Rust and must be released with [`genai_buffer_free`] or
//!   [`genai_result_free`]; freeing twice is harmless (the free functions
//!   null the pointer).
//! - No function unwinds into C: a panic becomes `GENAI_STATUS_PANIC` with
//!   its message.
//!
//! The whole C ABI is this one file, over 500 lines: it is what cbindgen
//! reads for the header and holds every `unsafe` block of the boundary,
//! so a reviewer audits it in one place.

use std::collections::HashMap;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use crate::error::ConfigError;
use crate::processor::Processor;
use crate::signal::Signal;
use crate::span_metrics::{Counted, SpanMetrics};
use crate::stats::{SpanMetricsStats, Stats};

/// Outcome of a call.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenaiStatus {
    Ok = 0,
    /// A required pointer was null, a length came without its pointer, or a
    /// length was over `PTRDIFF_MAX`.
    InvalidArgument = 1,
    /// The configuration was refused; the error names the field.
    InvalidConfig = 2,
    /// The handle is zero, destroyed, or was never created.
    InvalidHandle = 3,
    /// The batch is not a valid OTLP protobuf request of the signal.
    Decode = 4,
    /// A bug: Rust panicked. The batch should pass on unchanged.
    Panic = 5,
}

/// Opaque name of a processor; 0 is never valid.
pub type GenaiHandle = u64;

/// A Rust-owned byte buffer. `ptr` is null when `len` is 0.
#[repr(C)]
#[derive(Debug)]
pub struct GenaiBuffer {
    pub ptr: *mut u8,
    pub len: usize,
    pub cap: usize,
}

/// The result of processing one batch.
#[repr(C)]
#[derive(Debug)]
pub struct GenaiResult {
    /// The transformed batch, or the edits turning the input into it when
    /// `edits` is set; empty when `changed` is false.
    pub data: GenaiBuffer,
    /// Whether the batch changed. When false, keep the input as it is.
    pub changed: bool,
    /// Whether `data` holds edits (see `genai_edit_traces`) rather than a
    /// whole batch.
    pub edits: bool,
    /// Counters for this batch.
    pub stats: Stats,
    /// The calls of this batch left unpriced because no pricing table knows
    /// their model, per model and provider, as UTF-8 text: one line per
    /// distinct (model, provider) pair, in the order first met, at most 16,
    /// each `model TAB provider TAB calls LF` (`calls` in decimal; the
    /// provider is `gen_ai.provider.name`, empty when not reported). Names
    /// are shortened to 256 bytes (at a character boundary), and a tab,
    /// line feed or carriage return in one becomes a space. When more
    /// pairs were met, a last line with an empty model and provider,
    /// `TAB TAB calls LF`, counts the calls of the pairs not listed. Empty
    /// when every call was priced. Calls without any model name are not
    /// here (`stats.cost_unknown_model` counts them with these).
    pub unknown_models: GenaiBuffer,
    /// A readable message when the status is not OK; otherwise empty.
    pub error: GenaiBuffer,
}

impl GenaiBuffer {
    const EMPTY: GenaiBuffer = GenaiBuffer {
        ptr: std::ptr::null_mut(),
        len: 0,
        cap: 0,
    };

    fn from_vec(v: Vec<u8>) -> Self {
        if v.capacity() == 0 {
            return Self::EMPTY;
        }
        let mut v = std::mem::ManuallyDrop::new(v);
        GenaiBuffer {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }

    fn from_string(s: String) -> Self {
        Self::from_vec(s.into_bytes())
    }

    /// Releases the buffer and leaves it empty.
    fn release(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: a non-null `ptr` was produced by `from_vec` from a Vec
            // with exactly this length and capacity, and is nulled right after,
            // so it is rebuilt and dropped once.
            drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
        }
        *self = Self::EMPTY;
    }
}

impl GenaiResult {
    const EMPTY: GenaiResult = GenaiResult {
        data: GenaiBuffer::EMPTY,
        changed: false,
        edits: false,
        stats: Stats {
            items: 0,
            attributes_normalized: 0,
            values_normalized: 0,
            coercion_failures: 0,
            costs_computed: 0,
            costs_existing: 0,
            cost_unknown_model: 0,
            cost_no_tokens: 0,
            cost_non_numeric_tokens: 0,
            cost_points_derived: 0,
            metrics_renamed: 0,
            metric_name_collisions: 0,
            point_attributes_dropped: 0,
        },
        unknown_models: GenaiBuffer::EMPTY,
        error: GenaiBuffer::EMPTY,
    };
}

/// Live handles of one kind. Handles come from one counter for every
/// kind and are never reused, so a stale handle, or one of another kind,
/// finds nothing instead of another object.
struct Registry<T>(LazyLock<RwLock<HashMap<GenaiHandle, Arc<T>>>>);

static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);
/// Live processors.
static PROCESSORS: Registry<Processor> = Registry::new();
/// Live connectors.
static CONNECTORS: Registry<SpanMetrics> = Registry::new();
/// Readings of span batches made by a processor for a connector, until the
/// connector records them or the caller frees them (whichever first takes
/// the calls; the handle lives until freed).
static COUNTED: Registry<Mutex<Option<Counted>>> = Registry::new();

impl<T> Registry<T> {
    const fn new() -> Self {
        Self(LazyLock::new(|| RwLock::new(HashMap::new())))
    }

    // A poisoned lock only means a panic happened elsewhere while it was
    // held; the map itself is always consistent (insert/remove are atomic).
    fn get(&self, handle: GenaiHandle) -> Option<Arc<T>> {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(&handle).cloned()
    }

    fn insert(&self, value: T) -> GenaiHandle {
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.insert(handle, Arc::new(value));
        handle
    }

    fn remove(&self, handle: GenaiHandle) -> Option<Arc<T>> {
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        map.remove(&handle)
    }
}

/// The live processor `handle` names, or the error that says it is none.
fn processor(handle: GenaiHandle) -> Result<Arc<Processor>, (GenaiStatus, String)> {
    PROCESSORS.get(handle).ok_or_else(|| {
        (
            GenaiStatus::InvalidHandle,
            format!("unknown genai handle {handle}"),
        )
    })
}

/// Runs `f`, turning a panic into `GENAI_STATUS_PANIC` and its message.
fn guarded(f: impl FnOnce() -> Result<(), (GenaiStatus, String)>) -> (GenaiStatus, Option<String>) {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => (GenaiStatus::Ok, None),
        Ok(Err((status, msg))) => (status, Some(msg)),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            (
                GenaiStatus::Panic,
                Some(format!("genai core panicked: {msg}")),
            )
        }
    }
}

/// Borrows `len` bytes at `ptr`; a null pointer is accepted only with
/// length 0, and no length over `PTRDIFF_MAX` (no object is that large).
///
/// # Safety
/// When `ptr` is non-null it must point to `len` readable bytes that stay
/// valid and unmodified for the returned lifetime.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], (GenaiStatus, String)> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err((
            GenaiStatus::InvalidArgument,
            format!("null data pointer with length {len}"),
        ));
    }
    if isize::try_from(len).is_err() {
        return Err((
            GenaiStatus::InvalidArgument,
            format!("length {len} is over PTRDIFF_MAX"),
        ));
    }
    // SAFETY: non-null, at most isize::MAX bytes (from_raw_parts' limit)
    // and, by this function's contract, `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes an error message to `err` when the caller gave one.
///
/// # Safety
/// `err` is null or points to a writable `GenaiBuffer`.
unsafe fn report(err: *mut GenaiBuffer, msg: Option<String>) {
    if let (false, Some(m)) = (err.is_null(), msg) {
        // SAFETY: non-null and writable by contract; the old value is not
        // read (callers pass an empty or uninitialised buffer).
        unsafe { err.write(GenaiBuffer::from_string(m)) };
    }
}

/// Checks a JSON configuration without creating a processor: pricing files
/// are read and every option validated exactly as by `genai_processor_new`.
///
/// # Safety
/// `config` points to `config_len` readable bytes (or is null with length 0).
/// `err` is null or points to a writable `GenaiBuffer`, which receives the
/// message on failure and must then be freed with `genai_buffer_free`.
#[no_mangle]
pub unsafe extern "C" fn genai_config_validate(
    config: *const u8,
    config_len: usize,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract. The collector validates before
    // it builds: this call is the first to parse the built-in pricing
    // table (see `create`).
    unsafe { validate(config, config_len, err, Processor::from_json) }
}

/// Creates a processor from a JSON configuration (the `genai` section of the
/// collector YAML, as JSON; `{}` means all defaults). On success writes a
/// new handle to `out`.
///
/// # Safety
/// `config` points to `config_len` readable bytes (or is null with length 0);
/// `out` points to a writable `GenaiHandle`; `err` is null or points to a
/// writable `GenaiBuffer` that receives the message on failure and must then
/// be freed with `genai_buffer_free`.
#[no_mangle]
pub unsafe extern "C" fn genai_processor_new(
    config: *const u8,
    config_len: usize,
    out: *mut GenaiHandle,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        create(
            config,
            config_len,
            out,
            err,
            &PROCESSORS,
            Processor::from_json,
        )
    }
}

/// Checks a configuration by building from it, as `genai_*_new` would.
///
/// # Safety
/// As for `genai_config_validate`.
unsafe fn validate<T>(
    config: *const u8,
    config_len: usize,
    err: *mut GenaiBuffer,
    build: fn(&[u8]) -> Result<T, ConfigError>,
) -> GenaiStatus {
    let (status, msg) = guarded(|| {
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { input(config, config_len) }?;
        crate::alloc::one_time(|| build(bytes).map(drop))
            .map_err(|e| (GenaiStatus::InvalidConfig, e.to_string()))
    });
    // SAFETY: forwarded caller contract.
    unsafe { report(err, msg) };
    status
}

/// Builds an object from a configuration and registers it under a new
/// handle, written to `out`.
///
/// # Safety
/// As for `genai_processor_new`.
unsafe fn create<T>(
    config: *const u8,
    config_len: usize,
    out: *mut GenaiHandle,
    err: *mut GenaiBuffer,
    registry: &Registry<T>,
    build: fn(&[u8]) -> Result<T, ConfigError>,
) -> GenaiStatus {
    let (status, msg) = guarded(|| {
        if out.is_null() {
            return Err((GenaiStatus::InvalidArgument, "null handle pointer".into()));
        }
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { input(config, config_len) }?;
        // Parsing the built-in pricing table frees megabytes the collector
        // would otherwise hold until the next calls reuse them.
        let built = crate::alloc::one_time(|| build(bytes))
            .map_err(|e| (GenaiStatus::InvalidConfig, e.to_string()))?;
        let handle = registry.insert(built);
        // SAFETY: `out` is non-null (checked) and writable by contract.
        unsafe { out.write(handle) };
        Ok(())
    });
    // SAFETY: forwarded caller contract.
    unsafe { report(err, msg) };
    status
}

/// Drops one reference to a registered object; the last one frees the
/// object with its memory returned at once ([`crate::alloc::one_time`]):
/// a processor replaced while the collector runs (pricing files reloaded)
/// holds megabytes of tables, which would otherwise stay resident.
fn release<T>(object: Arc<T>) {
    if let Some(last) = Arc::into_inner(object) {
        crate::alloc::one_time(|| drop(last));
    }
}

/// Unregisters `handle`; what still runs on it finishes first, and the
/// last call to end frees it ([`release`]).
fn destroy<T>(registry: &Registry<T>, handle: GenaiHandle, kind: &str) -> GenaiStatus {
    guarded(|| {
        registry.remove(handle).map(release).ok_or_else(|| {
            (
                GenaiStatus::InvalidHandle,
                format!("unknown genai {kind}handle {handle}"),
            )
        })
    })
    .0
}

/// Destroys a processor. Calls already running on it finish normally; later
/// calls with the handle return `GENAI_STATUS_INVALID_HANDLE`, and so does
/// destroying it again.
#[no_mangle]
pub extern "C" fn genai_processor_free(handle: GenaiHandle) -> GenaiStatus {
    destroy(&PROCESSORS, handle, "")
}

/// What a process call returns for a changed batch.
#[derive(Clone, Copy)]
enum Mode {
    #[cfg(feature = "test-abi")]
    Whole,
    Edits,
}

/// Shared body of the per-signal entry points; with `counting` (a
/// connector's handle and where its reading's handle goes), the batch is
/// read for that connector too.
///
/// # Safety
/// As for `genai_edit_traces`; `counting.1`, when given, is non-null
/// and writable.
unsafe fn process(
    handle: GenaiHandle,
    signal: Signal,
    mode: Mode,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
    counting: Option<(GenaiHandle, *mut GenaiHandle)>,
) -> GenaiStatus {
    if out.is_null() {
        return GenaiStatus::InvalidArgument;
    }
    // SAFETY: `out` is non-null and writable by contract; start it empty so
    // that it can always be freed whatever happens below.
    unsafe { out.write(GenaiResult::EMPTY) };
    let mut result = GenaiResult::EMPTY;
    let (status, msg) = guarded(|| {
        let processor = processor(handle)?;
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { input(data, len) }?;
        let outcome = match (mode, counting) {
            (Mode::Edits, Some((connector_handle, counted_out))) => {
                let connector = connector(connector_handle)?;
                let mut reading = connector.reading();
                let outcome = processor.process_edits_counting(bytes, &mut reading);
                if let Some(counted) = reading.finish().filter(|_| outcome.is_ok()) {
                    let counted = COUNTED.insert(Mutex::new(Some(counted)));
                    // SAFETY: non-null and writable by this function's contract.
                    unsafe { counted_out.write(counted) };
                }
                outcome
            }
            #[cfg(feature = "test-abi")]
            (Mode::Whole, _) => processor.process(signal, bytes),
            (Mode::Edits, _) => processor.process_edits(signal, bytes),
        }
        .map_err(|e| (GenaiStatus::Decode, e.to_string()))?;
        result.changed = outcome.output.is_some();
        result.edits = outcome.edits;
        result.data = GenaiBuffer::from_vec(outcome.output.unwrap_or_default());
        result.stats = outcome.stats;
        result.unknown_models = GenaiBuffer::from_string(unknown_models_text(
            &outcome.unknown_model_calls,
            outcome.unknown_calls_unlisted,
        ));
        // The last call on a destroyed processor frees it.
        release(processor);
        Ok(())
    });
    if status != GenaiStatus::Ok {
        // A half-filled result is discarded: on error the caller keeps its input.
        result.data.release();
        result.unknown_models.release();
        result.changed = false;
        result.edits = false;
        result.error = GenaiBuffer::from_string(msg.unwrap_or_default());
    }
    // SAFETY: `out` is non-null and writable (checked above).
    unsafe { out.write(result) };
    status
}

/// The `unknown_models` buffer's text (see [`GenaiResult`]).
fn unknown_models_text(calls: &[crate::processor::UnknownModel], unlisted: u64) -> String {
    use std::fmt::Write;
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut text = String::new();
    for m in calls {
        let _ = writeln!(
            text,
            "{}\t{}\t{}",
            clean(&m.model),
            clean(&m.provider),
            m.calls
        );
    }
    if unlisted > 0 {
        let _ = writeln!(text, "\t\t{unlisted}");
    }
    text
}

/// Processes one OTLP `ExportTraceServiceRequest` (protobuf bytes) into a
/// whole new batch: the edits of `genai_edit_traces` applied to the input.
/// For tests only (feature `test-abi`; the header declares it under
/// `GENAI_TEST_ABI`): the collector takes edits.
///
/// On `GENAI_STATUS_OK`, `out->changed` says whether `out->data` holds a new
/// batch; otherwise `out->error` says why and the input should pass on as it
/// is. In every case `out` must be released with `genai_result_free`.
///
/// # Safety
/// As for `genai_edit_traces`.
#[cfg(feature = "test-abi")]
#[no_mangle]
pub unsafe extern "C" fn genai_process_traces(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Traces, Mode::Whole, data, len, out, None) }
}

/// Processes one OTLP `ExportMetricsServiceRequest`; as `genai_process_traces`.
///
/// # Safety
/// As for `genai_edit_traces`.
#[cfg(feature = "test-abi")]
#[no_mangle]
pub unsafe extern "C" fn genai_process_metrics(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Metrics, Mode::Whole, data, len, out, None) }
}

/// Processes one OTLP `ExportLogsServiceRequest`; as `genai_process_traces`.
///
/// # Safety
/// As for `genai_edit_traces`.
#[cfg(feature = "test-abi")]
#[no_mangle]
pub unsafe extern "C" fn genai_process_logs(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Logs, Mode::Whole, data, len, out, None) }
}

/// Processes one OTLP `ExportTraceServiceRequest` (protobuf bytes).
///
/// On `GENAI_STATUS_OK`, `out->changed` says whether the batch changed;
/// otherwise `out->error` says why and the input should pass on as it is.
/// A changed batch comes back, when it can, as edits to apply to the input
/// (`out->edits` set): for each attribute list the stages changed, keys to
/// delete and keys to set (pdata `Map` semantics: a set key keeps its
/// place, a new one is appended), and scopes whose schema URL is set; the
/// `GENAI_EDIT_*` constants name the format's numbers (`rust/edit_format.rs`
/// specifies it). A caller that holds the batch decoded applies them
/// instead of decoding a new batch. When `out->edits` is false, `out->data`
/// is the whole new batch. In every case `out` must be released with
/// `genai_result_free`.
///
/// # Safety
/// `data` points to `len` readable bytes (or is null with length 0) that stay
/// unmodified during the call; `out` points to a writable `GenaiResult`.
#[no_mangle]
pub unsafe extern "C" fn genai_edit_traces(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Traces, Mode::Edits, data, len, out, None) }
}

/// As `genai_edit_traces`, and also reads each span, once the stages ran on
/// it, for the connector `connector`: the model calls that connector
/// counts when it receives this processor's output. On success
/// `*counted` receives a handle of that reading for
/// `genai_connector_record`, or 0 when the connector would not read the
/// output as the stages did (its normalization or pricing settings differ
/// from this processor's) or the batch was not walked on the wire; the
/// connector then reads the batch itself. A non-zero handle must be freed
/// with `genai_counted_free`, recorded or not.
///
/// # Safety
/// As for `genai_edit_traces`; `counted` points to a writable
/// `GenaiHandle`.
#[no_mangle]
pub unsafe extern "C" fn genai_edit_traces_counting(
    handle: GenaiHandle,
    connector: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
    counted: *mut GenaiHandle,
) -> GenaiStatus {
    if counted.is_null() {
        return GenaiStatus::InvalidArgument;
    }
    // SAFETY: non-null (checked) and writable by contract; 0 until a
    // reading is registered.
    unsafe { counted.write(0) };
    // SAFETY: same contract as this function.
    unsafe {
        process(
            handle,
            Signal::Traces,
            Mode::Edits,
            data,
            len,
            out,
            Some((connector, counted)),
        )
    }
}

/// As `genai_edit_traces`, for an `ExportLogsServiceRequest`.
///
/// # Safety
/// As for `genai_edit_traces`.
#[no_mangle]
pub unsafe extern "C" fn genai_edit_logs(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Logs, Mode::Edits, data, len, out, None) }
}

/// As `genai_edit_traces`, for an `ExportMetricsServiceRequest`. Metric
/// edits also rename metrics and append points and metrics (the derived
/// cost histograms), carried as small encoded metric batches; see
/// `rust/wire/edits.rs`. A batch the legacy-name upgrade reshaped comes
/// back whole.
///
/// # Safety
/// As for `genai_edit_traces`.
#[no_mangle]
pub unsafe extern "C" fn genai_edit_metrics(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    out: *mut GenaiResult,
) -> GenaiStatus {
    // SAFETY: same contract as this function.
    unsafe { process(handle, Signal::Metrics, Mode::Edits, data, len, out, None) }
}

/// Whether the attribute key given by the `key_len` bytes at `key` is a
/// GenAI key; the answer goes to `*is_genai`. A trace or log batch none of
/// whose resource, span, span event or log record attribute keys is one
/// comes back unchanged from `genai_edit_traces`/`_logs`, so a caller
/// that checks its keys (and remembers the answers: they never change for
/// a handle) can pass such a batch on without serializing it.
///
/// # Safety
/// `key` points to `key_len` readable bytes (or is null with length 0);
/// `is_genai` points to a writable `bool`; `err` is null or points to a
/// writable `GenaiBuffer`, which receives the message on failure and must
/// then be freed with `genai_buffer_free`.
#[no_mangle]
pub unsafe extern "C" fn genai_attribute_key_is_genai(
    handle: GenaiHandle,
    key: *const u8,
    key_len: usize,
    is_genai: *mut bool,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        tell(key, key_len, is_genai, err, |key| {
            let processor = processor(handle)?;
            let answer = processor.is_genai_key(key);
            release(processor);
            Ok(answer)
        })
    }
}

/// Whether the metric name given by the `name_len` bytes at `name` is a
/// GenAI metric name; the answer goes to `*is_genai`. A metric batch none
/// of whose metric names is one and none of whose resource or data point
/// attribute keys is a GenAI key (`genai_attribute_key_is_genai`) comes
/// back unchanged from `genai_edit_metrics`, so a caller that checks
/// them (and remembers the answers) can pass it on without serializing it.
///
/// # Safety
/// As for `genai_attribute_key_is_genai`, with `name` for `key`.
#[no_mangle]
pub unsafe extern "C" fn genai_metric_name_is_genai(
    handle: GenaiHandle,
    name: *const u8,
    name_len: usize,
    is_genai: *mut bool,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        tell(name, name_len, is_genai, err, |name| {
            let processor = processor(handle)?;
            let answer = processor.is_genai_metric_name(name);
            release(processor);
            Ok(answer)
        })
    }
}

/// Writes `question`'s answer on the `len` bytes at `bytes` to `*answer`.
///
/// # Safety
/// `bytes` points to `len` readable bytes (or is null with length 0);
/// `answer` is null or points to a writable `bool`; `err` is null or points
/// to a writable `GenaiBuffer`.
unsafe fn tell(
    bytes: *const u8,
    len: usize,
    answer: *mut bool,
    err: *mut GenaiBuffer,
    question: impl FnOnce(&[u8]) -> Result<bool, (GenaiStatus, String)>,
) -> GenaiStatus {
    if answer.is_null() {
        return GenaiStatus::InvalidArgument;
    }
    let (status, msg) = guarded(|| {
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { input(bytes, len) }?;
        let told = question(bytes)?;
        // SAFETY: `answer` is non-null (checked above) and writable by contract.
        unsafe { answer.write(told) };
        Ok(())
    });
    // SAFETY: forwarded caller contract.
    unsafe { report(err, msg) };
    status
}

fn connector(handle: GenaiHandle) -> Result<Arc<SpanMetrics>, (GenaiStatus, String)> {
    CONNECTORS.get(handle).ok_or_else(|| {
        (
            GenaiStatus::InvalidHandle,
            format!("unknown genai connector handle {handle}"),
        )
    })
}

/// Checks a JSON connector configuration without creating a connector, as
/// `genai_config_validate` does for a processor.
///
/// # Safety
/// As for `genai_config_validate`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_config_validate(
    config: *const u8,
    config_len: usize,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe { validate(config, config_len, err, SpanMetrics::from_json) }
}

/// Creates a `genai` connector (GenAI spans in, GenAI metrics out) from a
/// JSON configuration; on success writes its handle to `out`. Its series
/// are its own: two connectors never share state.
///
/// # Safety
/// As for `genai_processor_new`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_new(
    config: *const u8,
    config_len: usize,
    out: *mut GenaiHandle,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        create(
            config,
            config_len,
            out,
            err,
            &CONNECTORS,
            SpanMetrics::from_json,
        )
    }
}

/// Destroys a connector and its series (flush first to keep them). Calls
/// already running finish normally; later ones get
/// `GENAI_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn genai_connector_free(handle: GenaiHandle) -> GenaiStatus {
    destroy(&CONNECTORS, handle, "connector ")
}

/// Counts the model calls of one OTLP `ExportTraceServiceRequest`
/// (protobuf bytes) at `now_unix_nano`, the caller's clock. `*stats`
/// receives what the call did (zeroed on error). A malformed batch is
/// `GENAI_STATUS_DECODE` and counts nothing.
///
/// # Safety
/// `data` points to `len` readable bytes (or is null with length 0) that
/// stay unmodified during the call; `stats` points to a writable
/// `GenaiSpanMetricsStats`; `err` is null or points to a writable
/// `GenaiBuffer`, which receives the message on failure and must then be
/// freed with `genai_buffer_free`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_consume(
    handle: GenaiHandle,
    data: *const u8,
    len: usize,
    now_unix_nano: u64,
    stats: *mut SpanMetricsStats,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    let consume = || {
        let connector = connector(handle)?;
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { input(data, len) }?;
        connector
            .consume(bytes, now_unix_nano)
            .map_err(|e| (GenaiStatus::Decode, e.to_string()))
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_stats(stats, err, consume) }
}

/// Runs a connector call that answers with stats, written to `*stats`
/// (zeroed on error), its message to `err`.
///
/// # Safety
/// `stats` is null (refused) or points to a writable
/// `GenaiSpanMetricsStats`; `err` is null or points to a writable
/// `GenaiBuffer`.
unsafe fn with_stats(
    stats: *mut SpanMetricsStats,
    err: *mut GenaiBuffer,
    call: impl FnOnce() -> Result<SpanMetricsStats, (GenaiStatus, String)>,
) -> GenaiStatus {
    if stats.is_null() {
        return GenaiStatus::InvalidArgument;
    }
    let mut answer = SpanMetricsStats::default();
    let (status, msg) = guarded(|| {
        answer = call()?;
        Ok(())
    });
    // SAFETY: `stats` is non-null (checked above) and writable by contract.
    unsafe { stats.write(answer) };
    // SAFETY: forwarded caller contract.
    unsafe { report(err, msg) };
    status
}

/// Counts, at `now_unix_nano`, the model calls a processor read for this
/// connector (`genai_edit_traces_counting`), as `genai_connector_consume`
/// counts a batch. A reading is recorded once: recording it again, or
/// into another connector, is `GENAI_STATUS_INVALID_ARGUMENT` and counts
/// nothing. The handle stays valid until `genai_counted_free`.
///
/// # Safety
/// `stats` points to a writable `GenaiSpanMetricsStats`; `err` as for
/// `genai_connector_consume`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_record(
    handle: GenaiHandle,
    counted: GenaiHandle,
    now_unix_nano: u64,
    stats: *mut SpanMetricsStats,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        with_stats(stats, err, || {
            let connector = connector(handle)?;
            let reading = COUNTED.get(counted).ok_or_else(|| {
                (
                    GenaiStatus::InvalidHandle,
                    format!("unknown genai reading handle {counted}"),
                )
            })?;
            let mut calls = reading.lock().unwrap_or_else(|e| e.into_inner());
            let read = calls.as_ref().ok_or_else(|| {
                (
                    GenaiStatus::InvalidArgument,
                    format!("genai reading {counted} was recorded already"),
                )
            })?;
            let recorded = connector
                .record(read, now_unix_nano)
                .map_err(|e| (GenaiStatus::InvalidArgument, e.to_string()))?;
            *calls = None;
            Ok(recorded)
        })
    }
}

/// Frees a reading made by `genai_edit_traces_counting`, recorded or not.
/// Freeing it again is `GENAI_STATUS_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn genai_counted_free(counted: GenaiHandle) -> GenaiStatus {
    // Dropped as any batch's memory, on the hot path: not `destroy`'s
    // prompt purge, which is for the megabytes of a processor's tables.
    guarded(|| {
        COUNTED.remove(counted).map(drop).ok_or_else(|| {
            (
                GenaiStatus::InvalidHandle,
                format!("unknown genai reading handle {counted}"),
            )
        })
    })
    .0
}

/// As `genai_attribute_key_is_genai`, for a connector: a trace batch none
/// of whose resource, span or span event attribute keys is a GenAI key
/// counts no call in `genai_connector_consume`, so a caller that checks
/// its keys can skip serializing it.
///
/// # Safety
/// As for `genai_attribute_key_is_genai`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_attribute_key_is_genai(
    handle: GenaiHandle,
    key: *const u8,
    key_len: usize,
    is_genai: *mut bool,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        tell(key, key_len, is_genai, err, |key| {
            Ok(connector(handle)?.is_genai_key(key))
        })
    }
}

/// Writes the connector's metrics at `now_unix_nano` to `*metrics`: an
/// OTLP `ExportMetricsServiceRequest` (protobuf bytes, Rust-owned: free
/// with `genai_buffer_free`), empty when no series has a total. Series idle
/// past the configured expiration are dropped first. `*stats` receives the
/// points written and the state left.
///
/// # Safety
/// `metrics` points to a writable `GenaiBuffer`; `stats` points to a
/// writable `GenaiSpanMetricsStats`; `err` as for `genai_connector_consume`.
#[no_mangle]
pub unsafe extern "C" fn genai_connector_flush(
    handle: GenaiHandle,
    now_unix_nano: u64,
    metrics: *mut GenaiBuffer,
    stats: *mut SpanMetricsStats,
    err: *mut GenaiBuffer,
) -> GenaiStatus {
    if metrics.is_null() || stats.is_null() {
        return GenaiStatus::InvalidArgument;
    }
    let mut out = GenaiBuffer::EMPTY;
    let mut flushed = SpanMetricsStats::default();
    let (status, msg) = guarded(|| {
        let (bytes, s) = connector(handle)?.flush(now_unix_nano);
        out = GenaiBuffer::from_vec(bytes.unwrap_or_default());
        flushed = s;
        Ok(())
    });
    // SAFETY: both non-null (checked above) and writable by contract.
    unsafe {
        metrics.write(out);
        stats.write(flushed);
    }
    // SAFETY: forwarded caller contract.
    unsafe { report(err, msg) };
    status
}

/// Tells the connector that the flush numbered `generation` (its stats'
/// `generation`) reached the pipeline: the zero start points it sent are
/// not sent again. Until a flush is confirmed, every flush sends them, so
/// an export that fails loses none.
#[no_mangle]
pub extern "C" fn genai_connector_confirm(handle: GenaiHandle, generation: u64) -> GenaiStatus {
    guarded(|| {
        connector(handle)?.confirm(generation);
        Ok(())
    })
    .0
}

/// Releases every buffer of a result and leaves it empty; null is ignored.
///
/// # Safety
/// `result` is null or points to a `GenaiResult` filled by a process call
/// (or already freed by this function).
#[no_mangle]
pub unsafe extern "C" fn genai_result_free(result: *mut GenaiResult) {
    // SAFETY: null or a valid result, by contract.
    if let Some(r) = unsafe { result.as_mut() } {
        r.data.release();
        r.unknown_models.release();
        r.error.release();
    }
}

/// Releases a buffer returned by this library and leaves it empty; null is ignored.
///
/// # Safety
/// `buffer` is null or points to a `GenaiBuffer` filled by this library (or
/// already freed by this function).
#[no_mangle]
pub unsafe extern "C" fn genai_buffer_free(buffer: *mut GenaiBuffer) {
    // SAFETY: null or a valid buffer, by contract.
    if let Some(b) = unsafe { buffer.as_mut() } {
        b.release();
    }
}

/// A static, NUL-terminated name for a status code (e.g. "invalid_config"),
/// or "unknown" for a value that is no `GenaiStatus`. The code is taken as
/// an integer: a C enum may hold any value, a Rust enum may not.
#[no_mangle]
pub extern "C" fn genai_status_name(status: i32) -> *const c_char {
    const ALL: [GenaiStatus; 6] = [
        GenaiStatus::Ok,
        GenaiStatus::InvalidArgument,
        GenaiStatus::InvalidConfig,
        GenaiStatus::InvalidHandle,
        GenaiStatus::Decode,
        GenaiStatus::Panic,
    ];
    let name: &'static [u8] = match ALL.into_iter().find(|&s| s as i32 == status) {
        Some(GenaiStatus::Ok) => b"ok\0",
        Some(GenaiStatus::InvalidArgument) => b"invalid_argument\0",
        Some(GenaiStatus::InvalidConfig) => b"invalid_config\0",
        Some(GenaiStatus::InvalidHandle) => b"invalid_handle\0",
        Some(GenaiStatus::Decode) => b"decode_error\0",
        Some(GenaiStatus::Panic) => b"panic\0",
        None => b"unknown\0",
    };
    name.as_ptr().cast()
}

/// The library version, static and NUL-terminated.
#[no_mangle]
pub extern "C" fn genai_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The header `build.rs` generated for this build, so a test can check the
/// committed copy in `include/` against it.
#[doc(hidden)]
pub const GENERATED_HEADER: &str = include_str!(concat!(env!("OUT_DIR"), "/otelcol_genai.h"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_a_status_with_the_message() {
        let (status, msg) = guarded(|| panic!("boom {}", 7));
        assert_eq!(status, GenaiStatus::Panic);
        assert_eq!(msg.unwrap(), "genai core panicked: boom 7");
        let (status, msg) = guarded(|| std::panic::panic_any(42u8));
        assert_eq!(status, GenaiStatus::Panic);
        assert!(msg.unwrap().contains("unknown panic"));
    }

    #[test]
    fn errors_pass_through_guarded() {
        let (status, msg) = guarded(|| Err((GenaiStatus::Decode, "bad".to_string())));
        assert_eq!((status, msg.as_deref()), (GenaiStatus::Decode, Some("bad")));
        assert_eq!(guarded(|| Ok(())), (GenaiStatus::Ok, None));
    }

    #[test]
    fn unknown_models_are_lines_of_model_provider_calls() {
        let m = |model: &str, provider: &str, calls| crate::processor::UnknownModel {
            model: model.into(),
            provider: provider.into(),
            calls,
        };
        assert_eq!(unknown_models_text(&[], 0), "");
        let calls = [m("acme-9", "acme", 3), m("tab\there\nline\r", "", 1)];
        assert_eq!(
            unknown_models_text(&calls, 0),
            "acme-9\tacme\t3\ntab here line \t\t1\n"
        );
        assert_eq!(
            unknown_models_text(&calls[..1], 7),
            "acme-9\tacme\t3\n\t\t7\n"
        );
    }
}
