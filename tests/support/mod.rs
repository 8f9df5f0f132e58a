//! Builders for OTLP requests used by the integration tests, so every test
//! makes batches the same way.
#![allow(dead_code)]

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value, AnyValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, AggregationTemporality, Histogram, HistogramDataPoint, Metric, ResourceMetrics,
    ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};

/// One attribute from a key and anything convertible into a value.
pub fn kv(key: &str, value: impl Into<V>) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue {
            value: Some(value.into().0),
        }),
        ..Default::default()
    }
}

/// Conversion helper so `kv("k", 3)`, `kv("k", "s")`, `kv("k", 1.5)` all work.
pub struct V(pub Value);
impl From<&str> for V {
    fn from(s: &str) -> Self {
        V(Value::StringValue(s.to_string()))
    }
}
impl From<i64> for V {
    fn from(i: i64) -> Self {
        V(Value::IntValue(i))
    }
}
impl From<f64> for V {
    fn from(d: f64) -> Self {
        V(Value::DoubleValue(d))
    }
}
impl From<bool> for V {
    fn from(b: bool) -> Self {
        V(Value::BoolValue(b))
    }
}
impl From<Value> for V {
    fn from(v: Value) -> Self {
        V(v)
    }
}

pub fn resource(attrs: Vec<KeyValue>) -> Option<Resource> {
    Some(Resource {
        attributes: attrs,
        ..Default::default()
    })
}

pub fn scope(name: &str) -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: name.to_string(),
        version: "1.0.0".to_string(),
        ..Default::default()
    })
}

pub fn span(name: &str, attrs: Vec<KeyValue>) -> Span {
    Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        name: name.to_string(),
        kind: 3,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_001_000_000_000,
        attributes: attrs,
        ..Default::default()
    }
}

pub fn traces(res: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(res),
            scope_spans: vec![ScopeSpans {
                scope: scope("test"),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn log(body: &str, attrs: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000,
        severity_number: 9,
        severity_text: "INFO".to_string(),
        body: Some(AnyValue {
            value: Some(Value::StringValue(body.to_string())),
        }),
        attributes: attrs,
        ..Default::default()
    }
}

pub fn logs(res: Vec<KeyValue>, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(res),
            scope_logs: vec![ScopeLogs {
                scope: scope("test"),
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A cumulative histogram data point with the given sum and count and two buckets.
pub fn hist_point(attrs: Vec<KeyValue>, sum: f64, count: u64) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: attrs,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        time_unix_nano: 1_700_000_060_000_000_000,
        count,
        sum: Some(sum),
        bucket_counts: vec![count, 0],
        explicit_bounds: vec![1e9],
        ..Default::default()
    }
}

pub fn histogram(name: &str, unit: &str, points: Vec<HistogramDataPoint>) -> Metric {
    Metric {
        name: name.to_string(),
        unit: unit.to_string(),
        description: String::new(),
        data: Some(Data::Histogram(Histogram {
            data_points: points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
        })),
        ..Default::default()
    }
}

pub fn metrics(res: Vec<KeyValue>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(res),
            scope_metrics: vec![ScopeMetrics {
                scope: scope("test"),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// HTTP-server spans, runtime metrics and application logs: traffic with no
/// GenAI content, the bulk of what a shared collector sees.
pub fn plain_traces() -> ExportTraceServiceRequest {
    traces(
        vec![
            kv("service.name", "checkout"),
            kv("telemetry.sdk.name", "opentelemetry"),
        ],
        vec![span(
            "GET /cart",
            vec![
                kv("http.request.method", "GET"),
                kv("http.response.status_code", 200i64),
                kv("url.path", "/cart"),
            ],
        )],
    )
}

pub fn plain_metrics() -> ExportMetricsServiceRequest {
    metrics(
        vec![kv("service.name", "checkout")],
        vec![histogram(
            "http.server.request.duration",
            "s",
            vec![hist_point(vec![kv("http.request.method", "GET")], 0.5, 4)],
        )],
    )
}

pub fn plain_logs() -> ExportLogsServiceRequest {
    logs(
        vec![kv("service.name", "checkout")],
        vec![log(
            "cart loaded",
            vec![kv("code.function.name", "load_cart")],
        )],
    )
}

/// SplitMix64: a small seeded generator, so generated test data needs no
/// crate and a failure reproduces from its seed.
pub struct SplitMix64(pub u64);
impl SplitMix64 {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A length-delimited protobuf field, for inputs built by hand.
pub fn len_field(number: u32, payload: &[u8]) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, WireType};
    let mut out = Vec::with_capacity(payload.len() + 8);
    encode_key(number, WireType::LengthDelimited, &mut out);
    encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

pub mod adversarial;
pub mod pdata_order;
pub mod workloads;
