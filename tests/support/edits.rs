//! Reads the edit format of `rust/wire/edits.rs` and applies it to a
//! decoded batch as the Go component does to pdata, so that tests and the
//! `fast_path_diff` fuzz target can compare edits with whole outputs.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_genai::edit_format::*;
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
            GENAI_EDIT_VALUE_EMPTY => return None,
            GENAI_EDIT_VALUE_STRING => Value::StringValue(self.string()),
            GENAI_EDIT_VALUE_BOOL => Value::BoolValue(self.u8() != 0),
            GENAI_EDIT_VALUE_INT => {
                Value::IntValue(i64::from_le_bytes(self.take(8).try_into().unwrap()))
            }
            GENAI_EDIT_VALUE_DOUBLE => {
                Value::DoubleValue(f64::from_le_bytes(self.take(8).try_into().unwrap()))
            }
            GENAI_EDIT_VALUE_BYTES => Value::BytesValue(self.bytes().to_vec()),
            GENAI_EDIT_VALUE_ARRAY => Value::ArrayValue(ArrayValue {
                values: (0..self.u32()).map(|_| any(self.value())).collect(),
            }),
            GENAI_EDIT_VALUE_MAP => Value::KvlistValue(KeyValueList {
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
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut traces = ExportTraceServiceRequest::default();
    let mut logs = ExportLogsServiceRequest::default();
    let mut metrics = ExportMetricsServiceRequest::default();
    match signal {
        Signal::Traces => traces = ExportTraceServiceRequest::decode(input).unwrap(),
        Signal::Logs => logs = ExportLogsServiceRequest::decode(input).unwrap(),
        Signal::Metrics => metrics = ExportMetricsServiceRequest::decode(input).unwrap(),
    }
    // The one metric scope of an appended batch.
    let appended = |b: &[u8]| {
        let mut req = ExportMetricsServiceRequest::decode(b).unwrap();
        assert_eq!(req.resource_metrics.len(), 1);
        assert_eq!(req.resource_metrics[0].scope_metrics.len(), 1);
        req.resource_metrics
            .remove(0)
            .scope_metrics
            .remove(0)
            .metrics
    };
    let mut r = EditReader(edits);
    // The ops of the last list entry, for a repeat.
    let mut prev_ops: &[u8] = &[];
    for _ in 0..r.u32() {
        let target = r.u8();
        let [res, scope, item, event] = [r.u32(), r.u32(), r.u32(), r.u32()].map(|i| i as usize);
        let attrs: &mut Vec<KeyValue> = match (signal, target) {
            (Signal::Metrics, GENAI_EDIT_TARGET_SCHEMA_URL) => {
                metrics.resource_metrics[res].scope_metrics[scope].schema_url = r.string();
                continue;
            }
            (_, GENAI_EDIT_TARGET_SCHEMA_URL) => {
                let url = r.string();
                match signal {
                    Signal::Traces => {
                        traces.resource_spans[res].scope_spans[scope].schema_url = url
                    }
                    _ => logs.resource_logs[res].scope_logs[scope].schema_url = url,
                }
                continue;
            }
            (Signal::Metrics, GENAI_EDIT_TARGET_METRIC_NAME) => {
                let m = &mut metrics.resource_metrics[res].scope_metrics[scope].metrics[item];
                m.name = r.string();
                m.unit = r.string();
                continue;
            }
            (Signal::Metrics, GENAI_EDIT_TARGET_APPENDED_POINTS) => {
                let m = &mut metrics.resource_metrics[res].scope_metrics[scope].metrics[item];
                let mut tail = appended(r.bytes());
                assert_eq!(tail.len(), 1);
                match (m.data.as_mut().unwrap(), tail.remove(0).data.unwrap()) {
                    (Data::Gauge(d), Data::Gauge(t)) => d.data_points.extend(t.data_points),
                    (Data::Sum(d), Data::Sum(t)) => d.data_points.extend(t.data_points),
                    (Data::Histogram(d), Data::Histogram(t)) => d.data_points.extend(t.data_points),
                    (Data::ExponentialHistogram(d), Data::ExponentialHistogram(t)) => {
                        d.data_points.extend(t.data_points)
                    }
                    (Data::Summary(d), Data::Summary(t)) => d.data_points.extend(t.data_points),
                    _ => panic!("appended points of another type"),
                }
                continue;
            }
            (Signal::Metrics, GENAI_EDIT_TARGET_APPENDED_METRICS) => {
                let new = appended(r.bytes());
                metrics.resource_metrics[res].scope_metrics[scope]
                    .metrics
                    .extend(new);
                continue;
            }
            (Signal::Metrics, GENAI_EDIT_TARGET_RESOURCE) => {
                &mut metrics.resource_metrics[res]
                    .resource
                    .get_or_insert_with(Default::default)
                    .attributes
            }
            (Signal::Metrics, GENAI_EDIT_TARGET_DATA_POINT) => {
                let m = &mut metrics.resource_metrics[res].scope_metrics[scope].metrics[item];
                match m.data.as_mut().unwrap() {
                    Data::Gauge(d) => &mut d.data_points[event].attributes,
                    Data::Sum(d) => &mut d.data_points[event].attributes,
                    Data::Histogram(d) => &mut d.data_points[event].attributes,
                    Data::ExponentialHistogram(d) => &mut d.data_points[event].attributes,
                    Data::Summary(d) => &mut d.data_points[event].attributes,
                }
            }
            (Signal::Traces, GENAI_EDIT_TARGET_RESOURCE) => {
                &mut traces.resource_spans[res]
                    .resource
                    .as_mut()
                    .unwrap()
                    .attributes
            }
            (Signal::Traces, GENAI_EDIT_TARGET_SPAN) => {
                &mut traces.resource_spans[res].scope_spans[scope].spans[item].attributes
            }
            (Signal::Traces, GENAI_EDIT_TARGET_SPAN_EVENT) => {
                &mut traces.resource_spans[res].scope_spans[scope].spans[item].events[event]
                    .attributes
            }
            (Signal::Logs, GENAI_EDIT_TARGET_RESOURCE) => {
                &mut logs.resource_logs[res]
                    .resource
                    .as_mut()
                    .unwrap()
                    .attributes
            }
            (Signal::Logs, GENAI_EDIT_TARGET_LOG_RECORD) => {
                &mut logs.resource_logs[res].scope_logs[scope].log_records[item].attributes
            }
            other => panic!("target {other:?}"),
        };
        let before = r.0;
        let repeat = r.u32() == GENAI_EDIT_REPEAT;
        let mut ops = match repeat {
            true => EditReader(prev_ops),
            false => EditReader(before),
        };
        let n = ops.u32();
        for _ in 0..n {
            let kind = ops.u8();
            let key = ops.string();
            let at = attrs.iter().position(|kv| kv.key == key);
            match kind {
                GENAI_EDIT_OP_DELETE => {
                    attrs.remove(at.expect("deleted key exists"));
                    continue;
                }
                GENAI_EDIT_OP_RENAME => {
                    let to = ops.string();
                    let mut kv = attrs.remove(at.expect("renamed key exists"));
                    assert!(attrs.iter().all(|a| a.key != to), "rename onto {to}");
                    kv.key = to;
                    attrs.push(kv);
                    continue;
                }
                _ => {}
            }
            let value = Some(AnyValue { value: ops.value() });
            match at {
                Some(i) => attrs[i].value = value,
                None => attrs.push(KeyValue {
                    key,
                    value,
                    ..Default::default()
                }),
            }
        }
        if !repeat {
            let used = before.len() - ops.0.len();
            prev_ops = &before[..used];
            r.0 = ops.0;
        }
    }
    assert!(r.0.is_empty(), "trailing bytes in the edits");
    match signal {
        Signal::Traces => format!("{traces:?}"),
        Signal::Logs => format!("{logs:?}"),
        Signal::Metrics => format!("{metrics:?}"),
    }
}

/// The target of every entry of an edit buffer, in order.
#[allow(dead_code)] // not every test binary asks
pub fn targets(edits: &[u8]) -> Vec<u8> {
    let mut r = EditReader(edits);
    let mut out = Vec::new();
    for _ in 0..r.u32() {
        let target = r.u8();
        r.take(16);
        out.push(target);
        match target {
            4 | 7 | 8 => drop(r.bytes()),
            6 => drop((r.bytes(), r.bytes())),
            _ => {
                let n = match r.u32() {
                    GENAI_EDIT_REPEAT => 0, // a repeat: no ops follow
                    n => n,
                };
                for _ in 0..n {
                    let kind = r.u8();
                    r.bytes();
                    match kind {
                        1 => drop(r.value()),
                        2 => drop(r.bytes()),
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(r.0.is_empty(), "trailing bytes in the edits");
    out
}
