//! Reads the edit format of `rust/wire/edits.rs` and applies it to a
//! decoded batch as the Go component does to pdata, so that tests and the
//! `fast_path_diff` fuzz target can compare edits with whole outputs.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_genai::Signal;
use prost::Message;

/// Reads the edit format of `rust/wire/edits.rs`, as the Go component does.
struct EditReader<'a>(&'a [u8]);

impl<'a> EditReader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    fn bytes(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        self.take(n)
    }
    fn string(&mut self) -> String {
        String::from_utf8(self.bytes().to_vec()).unwrap()
    }
    fn value(&mut self) -> Option<opentelemetry_proto::tonic::common::v1::any_value::Value> {
        use opentelemetry_proto::tonic::common::v1::{
            any_value::Value, AnyValue, ArrayValue, KeyValue, KeyValueList,
        };
        let any = |v| AnyValue { value: v };
        Some(match self.u8() {
            0 => return None,
            1 => Value::StringValue(self.string()),
            2 => Value::BoolValue(self.u8() != 0),
            3 => Value::IntValue(i64::from_le_bytes(self.take(8).try_into().unwrap())),
            4 => Value::DoubleValue(f64::from_le_bytes(self.take(8).try_into().unwrap())),
            5 => Value::BytesValue(self.bytes().to_vec()),
            6 => Value::ArrayValue(ArrayValue {
                values: (0..self.u32()).map(|_| any(self.value())).collect(),
            }),
            7 => Value::KvlistValue(KeyValueList {
                values: (0..self.u32())
                    .map(|_| KeyValue {
                        key: self.string(),
                        value: Some(any(self.value())),
                        ..Default::default()
                    })
                    .collect(),
            }),
            t => panic!("value type {t}"),
        })
    }
}

/// Applies edits to a decoded batch with pdata's `Map` semantics; the
/// batch after them, in its `Debug` form.
pub fn apply_edits(signal: Signal, input: &[u8], edits: &[u8]) -> String {
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
    let mut traces = ExportTraceServiceRequest::default();
    let mut logs = ExportLogsServiceRequest::default();
    match signal {
        Signal::Traces => traces = ExportTraceServiceRequest::decode(input).unwrap(),
        _ => logs = ExportLogsServiceRequest::decode(input).unwrap(),
    }
    let mut r = EditReader(edits);
    for _ in 0..r.u32() {
        let target = r.u8();
        let [res, scope, item, event] = [r.u32(), r.u32(), r.u32(), r.u32()].map(|i| i as usize);
        let attrs: &mut Vec<KeyValue> = match (signal, target) {
            (_, 4) => {
                let url = r.string();
                match signal {
                    Signal::Traces => {
                        traces.resource_spans[res].scope_spans[scope].schema_url = url
                    }
                    _ => logs.resource_logs[res].scope_logs[scope].schema_url = url,
                }
                continue;
            }
            (Signal::Traces, 0) => {
                &mut traces.resource_spans[res]
                    .resource
                    .as_mut()
                    .unwrap()
                    .attributes
            }
            (Signal::Traces, 1) => {
                &mut traces.resource_spans[res].scope_spans[scope].spans[item].attributes
            }
            (Signal::Traces, 2) => {
                &mut traces.resource_spans[res].scope_spans[scope].spans[item].events[event]
                    .attributes
            }
            (Signal::Logs, 0) => {
                &mut logs.resource_logs[res]
                    .resource
                    .as_mut()
                    .unwrap()
                    .attributes
            }
            (Signal::Logs, 3) => {
                &mut logs.resource_logs[res].scope_logs[scope].log_records[item].attributes
            }
            other => panic!("target {other:?}"),
        };
        for _ in 0..r.u32() {
            let kind = r.u8();
            let key = r.string();
            let at = attrs.iter().position(|kv| kv.key == key);
            if kind == 0 {
                attrs.remove(at.expect("deleted key exists"));
                continue;
            }
            let value = Some(AnyValue { value: r.value() });
            match at {
                Some(i) => attrs[i].value = value,
                None => attrs.push(KeyValue {
                    key,
                    value,
                    ..Default::default()
                }),
            }
        }
    }
    assert!(r.0.is_empty(), "trailing bytes in the edits");
    match signal {
        Signal::Traces => format!("{traces:?}"),
        _ => format!("{logs:?}"),
    }
}
