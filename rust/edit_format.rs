//! The edit buffer: how the core tells the collector what to change in the
//! batch it holds, instead of sending a whole new batch. Written by
//! `wire::edits`, read by `wire::edit_reader` (Rust) and
//! `go-shim/genaiprocessor/edits*.go` (Go); the constants below are exported
//! in the C header (`GENAI_EDIT_*`), so both languages name the same numbers.
//! Semantics of the ops: pdata's `Map` (setting an existing key keeps its
//! place, a new key is appended, deleting keeps the order of the rest).
//!
//! Format, little-endian: `u32` entry count, then entries:
//!
//! ```text
//! entry  := u8 target, u32 resource, u32 scope, u32 item, u32 event, body
//!           target 0 resource, 1 span, 2 span event, 3 log record,
//!                  5 metric data point (item: metric, event: point):   body := ops
//!           target 4 scope schema URL:                                 body := bytes
//!           target 6 metric name and unit (item: metric):              body := bytes name, bytes unit
//!           target 7 points appended to a metric (item: metric),
//!                  8 metrics appended to a scope:                      body := bytes batch
//! batch  := an OTLP ExportMetricsServiceRequest (protobuf) holding one
//!           resource with one scope: for 7 one metric of the target's
//!           type whose points are appended, for 8 the metrics appended
//! ops    := u32 n, op*  |  u32 0xffffffff (the ops of the previous list entry)
//! op     := u8 0 (delete), bytes key | u8 1 (set), bytes key, value
//!         | u8 2 (rename), bytes from, bytes to: remove `from`, append its
//!           value under `to` (`to` is absent by then; equal keys: a move)
//! value  := u8 0 (empty) | 1 string: bytes | 2 bool: u8 | 3 int: i64 | 4 double: f64
//!         | 5 bytes: bytes | 6 array: u32 n, value* | 7 map: u32 n, (bytes key, value)*
//! bytes  := u32 length, the bytes
//! ```
//!
//! Indices count the messages of each kind in their parent, in wire order.

// Targets: where an entry applies.
/// Edit buffer target: a resource's attributes. (The edit buffer is
/// `GenaiResult.data` when `edits` is set; its format is specified in
/// rust/edit_format.rs.)
pub const GENAI_EDIT_TARGET_RESOURCE: u8 = 0;
/// A span's attributes.
pub const GENAI_EDIT_TARGET_SPAN: u8 = 1;
/// A span event's attributes.
pub const GENAI_EDIT_TARGET_SPAN_EVENT: u8 = 2;
/// A log record's attributes.
pub const GENAI_EDIT_TARGET_LOG_RECORD: u8 = 3;
/// A scope's schema URL.
pub const GENAI_EDIT_TARGET_SCHEMA_URL: u8 = 4;
/// A metric data point's attributes.
pub const GENAI_EDIT_TARGET_DATA_POINT: u8 = 5;
/// A metric's name and unit.
pub const GENAI_EDIT_TARGET_METRIC_NAME: u8 = 6;
/// Points appended to a metric.
pub const GENAI_EDIT_TARGET_APPENDED_POINTS: u8 = 7;
/// Metrics appended to a scope.
pub const GENAI_EDIT_TARGET_APPENDED_METRICS: u8 = 8;

// Ops on an attribute list.
/// Delete a key.
pub const GENAI_EDIT_OP_DELETE: u8 = 0;
/// Set a key to a value.
pub const GENAI_EDIT_OP_SET: u8 = 1;
/// Remove a key and append its value under another.
pub const GENAI_EDIT_OP_RENAME: u8 = 2;
/// In place of an op count: the ops of the previous list entry again.
pub const GENAI_EDIT_REPEAT: u32 = 0xffff_ffff;

// Value kinds.
/// No value (an `AnyValue` without one).
pub const GENAI_EDIT_VALUE_EMPTY: u8 = 0;
pub const GENAI_EDIT_VALUE_STRING: u8 = 1;
pub const GENAI_EDIT_VALUE_BOOL: u8 = 2;
pub const GENAI_EDIT_VALUE_INT: u8 = 3;
pub const GENAI_EDIT_VALUE_DOUBLE: u8 = 4;
pub const GENAI_EDIT_VALUE_BYTES: u8 = 5;
pub const GENAI_EDIT_VALUE_ARRAY: u8 = 6;
pub const GENAI_EDIT_VALUE_MAP: u8 = 7;
