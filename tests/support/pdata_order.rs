//! Re-encodes a trace or log request the way the collector's pdata
//! marshaler lays it out: it writes messages back to front, so fields come
//! highest number first (a `KeyValue`'s value before its key, a resource
//! after its scopes) while repeated elements keep their order, and a span's
//! empty parent span id and status are written too. Every batch the genai
//! processor receives in a collector has this layout; prost (and so every
//! other test input) writes fields in number order. On the spans workload
//! the result is byte for byte what pdata v1.67 writes; pdata places a
//! few fields (span flags) elsewhere, which the walk does not care about.

/// Message types whose fields hold messages, by OTLP schema.
#[derive(Clone, Copy)]
enum M {
    TraceRequest,
    ResourceSpans,
    ScopeSpans,
    Span,
    Event,
    Link,
    LogsRequest,
    ResourceLogs,
    ScopeLogs,
    LogRecord,
    Resource,
    Scope,
    KeyValue,
    AnyValue,
    ArrayValue,
    KvList,
    Status,
}

impl M {
    /// The message type of field `number`, if it holds a message.
    fn child(self, number: u64) -> Option<M> {
        use M::*;
        Some(match (self, number) {
            (TraceRequest, 1) => ResourceSpans,
            (ResourceSpans, 1) | (ResourceLogs, 1) => Resource,
            (ResourceSpans, 2) => ScopeSpans,
            (ScopeSpans, 1) | (ScopeLogs, 1) => Scope,
            (ScopeSpans, 2) => Span,
            (Span, 9) | (Event, 3) | (Link, 4) | (LogRecord, 6) => KeyValue,
            (Resource, 1) | (Scope, 3) | (KvList, 1) => KeyValue,
            (Span, 11) => Event,
            (Span, 12) => Link,
            (Span, 15) => Status,
            (LogsRequest, 1) => ResourceLogs,
            (ResourceLogs, 2) => ScopeLogs,
            (ScopeLogs, 2) => LogRecord,
            (LogRecord, 5) | (KeyValue, 2) | (ArrayValue, 1) => AnyValue,
            (AnyValue, 5) => ArrayValue,
            (AnyValue, 6) => KvList,
            _ => return None,
        })
    }
}

/// `bytes` (an ExportTraceServiceRequest, or logs with `logs`) in pdata's
/// field order.
pub fn pdata_order(bytes: &[u8], logs: bool) -> Vec<u8> {
    try_pdata_order(bytes, logs).expect("a well-formed test batch")
}

/// As [`pdata_order`]; `None` for bytes it cannot frame (groups, truncated
/// fields), which pdata would not write.
pub fn try_pdata_order(bytes: &[u8], logs: bool) -> Option<Vec<u8>> {
    let root = if logs {
        M::LogsRequest
    } else {
        M::TraceRequest
    };
    let mut out = Vec::with_capacity(bytes.len());
    reorder(root, bytes, &mut out)?;
    Some(out)
}

fn reorder(m: M, bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let tag = varint(bytes, &mut pos)?;
        let payload = match tag & 7 {
            0 => {
                varint(bytes, &mut pos)?;
                None
            }
            1 => {
                pos += 8;
                None
            }
            5 => {
                pos += 4;
                None
            }
            2 => {
                let len = usize::try_from(varint(bytes, &mut pos)?).ok()?;
                pos = pos.checked_add(len)?;
                Some(bytes.get(pos - len..pos)?)
            }
            _ => return None,
        };
        fields.push((tag >> 3, tag, payload, bytes.get(start..pos)?));
    }
    // pdata writes a span's parent span id and status even when empty.
    if matches!(m, M::Span) {
        for (number, raw) in [(4, &[0x22, 0][..]), (15, &[0x7a, 0])] {
            if !fields.iter().any(|f| f.0 == number) {
                fields.push((number, raw[0].into(), Some(&[]), raw));
            }
        }
    }
    // Highest number first; repeated elements keep their order.
    fields.sort_by_key(|f| std::cmp::Reverse(f.0));
    for (number, tag, payload, raw) in fields {
        match (m.child(number), payload) {
            (Some(child), Some(p)) => {
                let mut inner = Vec::with_capacity(p.len());
                reorder(child, p, &mut inner)?;
                put_varint(out, tag);
                put_varint(out, inner.len() as u64);
                out.extend_from_slice(&inner);
            }
            _ => out.extend_from_slice(raw),
        }
    }
    Some(())
}

fn varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0;
    for i in 0..10 {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}
