//! Structured fuzzing: the input bytes steer the building of a *valid* OTLP
//! batch from GenAI-shaped parts (the keys the stages react to, model names,
//! hostile token counts as ints, doubles and strings, nested values), so
//! every run reaches the stages instead of stopping in the decoder. Checks:
//! no panic, no decode error on a valid batch, the output decodes, no item
//! is lost, and every cost the core writes is a finite number >= 0.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, KeyValueList};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otelcol_genai::{Processor, Signal};
use prost::Message;

const KEYS: &[&str] = &[
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.operation.name",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.audio.input_tokens",
    "gen_ai.usage.cost",
    "gen_ai.request.image_size",
    "gen_ai.request.image_quality",
    "gen_ai.request.n",
    "gen_ai.token.type",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.model_name",
    "llm.provider",
    "ai.model.id",
    "ai.usage.promptTokens",
    "gen_ai.prompt",
    "deployment.environment",
    "service.name",
    "app.other",
];
const STRINGS: &[&str] = &[
    "gpt-4o",
    "gpt-4o-mini",
    "claude-3-5-sonnet-20241022",
    "openai",
    "anthropic",
    "aws.bedrock",
    "chat",
    "input",
    "output",
    "1000",
    " 12 ",
    "-5",
    "1e400",
    "NaN",
    "inf",
    "",
    "hd",
    "1024x1024",
];
const F64S: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e300,
    f64::MAX,
    f64::MIN_POSITIVE,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// Reads choices from the fuzz input; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        *b
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.u8() as usize % from.len()]
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(std::array::from_fn(|_| self.u8()))
    }
    fn value(&mut self, depth: u8) -> Value {
        match self.u8() % 8 {
            0 | 1 => Value::StringValue(self.pick(STRINGS).to_string()),
            2 => Value::IntValue(self.i64()),
            3 => Value::IntValue(i64::from(self.u8()) * 100),
            4 => Value::DoubleValue(self.pick(F64S)),
            5 => Value::DoubleValue(f64::from_bits(self.i64() as u64)),
            6 if depth < 3 => Value::KvlistValue(KeyValueList {
                values: self.attrs(depth + 1),
            }),
            _ => Value::BoolValue(self.u8() % 2 == 0),
        }
    }
    fn attrs(&mut self, depth: u8) -> Vec<KeyValue> {
        (0..self.u8() % 12)
            .map(|_| KeyValue {
                key: self.pick(KEYS).to_string(),
                value: Some(AnyValue {
                    value: Some(self.value(depth)),
                }),
                ..Default::default()
            })
            .collect()
    }
}

fn processor(which: u8) -> &'static Processor {
    static P: OnceLock<[Processor; 2]> = OnceLock::new();
    &P.get_or_init(|| {
        [
            Processor::from_json(b"{}").unwrap(),
            Processor::from_json(
                br#"{"normalize":{"overwrite":true,"remove_originals":true},
                    "cost":{"override":true,"breakdown":true,
                            "models":[{"model":"gpt-4o","input":1e300,"output":1e300}]}}"#,
            )
            .unwrap(),
        ]
    })[usize::from(which % 2)]
}

fn is_cost_key(k: &str) -> bool {
    k.starts_with("gen_ai.usage.") && k.ends_with("cost")
}

/// The number a value reads as (ints, doubles, numeric strings).
fn number(v: &Option<AnyValue>) -> Option<f64> {
    match v.as_ref()?.value.as_ref()? {
        Value::IntValue(i) => Some(*i as f64),
        Value::DoubleValue(d) => Some(*d),
        Value::StringValue(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Costs in `out` that the input did not already carry are finite and >= 0.
/// A cost the instrumentation wrote is kept, possibly coerced to a double
/// (normalization), whatever its value.
fn check_costs(input: &[KeyValue], out: &[KeyValue]) {
    for kv in out.iter().filter(|kv| is_cost_key(&kv.key)) {
        let carried = input.iter().any(|i| {
            i.key == kv.key
                && (i.value == kv.value
                    || number(&i.value).map(f64::to_bits) == number(&kv.value).map(f64::to_bits))
        });
        if carried {
            continue;
        }
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(Value::DoubleValue(d)) => assert!(d.is_finite() && *d >= 0.0, "{}: {d}", kv.key),
            other => panic!("{}: written as {other:?}", kv.key),
        }
    }
}

fn resource(b: &mut Bytes) -> Option<Resource> {
    Some(Resource {
        attributes: b.attrs(0),
        ..Default::default()
    })
}

fn traces(b: &mut Bytes) {
    let p = processor(b.u8());
    let spans: Vec<Span> = (0..1 + b.u8() % 4)
        .map(|_| Span {
            name: "chat".into(),
            attributes: b.attrs(0),
            ..Default::default()
        })
        .collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(b),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = p
        .process(Signal::Traces, &req.encode_to_vec())
        .expect("a valid batch decodes");
    let Some(bytes) = out.output else { return };
    let got = ExportTraceServiceRequest::decode(&bytes[..]).expect("output decodes");
    let (a, b) = (
        &req.resource_spans[0].scope_spans[0].spans,
        &got.resource_spans[0].scope_spans[0].spans,
    );
    assert_eq!(a.len(), b.len(), "spans lost");
    for (x, y) in a.iter().zip(b) {
        check_costs(&x.attributes, &y.attributes);
    }
}

fn logs(b: &mut Bytes) {
    let p = processor(b.u8());
    let records: Vec<LogRecord> = (0..1 + b.u8() % 4)
        .map(|_| LogRecord {
            attributes: b.attrs(0),
            ..Default::default()
        })
        .collect();
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(b),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = p
        .process(Signal::Logs, &req.encode_to_vec())
        .expect("a valid batch decodes");
    let Some(bytes) = out.output else { return };
    let got = ExportLogsServiceRequest::decode(&bytes[..]).expect("output decodes");
    let (a, b) = (
        &req.resource_logs[0].scope_logs[0].log_records,
        &got.resource_logs[0].scope_logs[0].log_records,
    );
    assert_eq!(a.len(), b.len(), "log records lost");
    for (x, y) in a.iter().zip(b) {
        check_costs(&x.attributes, &y.attributes);
    }
}

fn metrics(b: &mut Bytes) {
    let p = processor(b.u8());
    let points: Vec<HistogramDataPoint> = (0..1 + b.u8() % 6)
        .map(|_| {
            let mut attributes = b.attrs(0);
            let ty = if b.u8() % 2 == 0 { "input" } else { "output" };
            attributes.push(KeyValue {
                key: "gen_ai.token.type".into(),
                value: Some(AnyValue {
                    value: Some(Value::StringValue(ty.into())),
                }),
                ..Default::default()
            });
            let sum = match b.u8() % 3 {
                0 => b.pick(F64S),
                1 => f64::from(b.u8()) * 1000.0,
                _ => f64::from_bits(b.i64() as u64),
            };
            HistogramDataPoint {
                attributes,
                time_unix_nano: u64::from(b.u8() % 2),
                count: u64::from(b.u8()),
                sum: Some(sum),
                ..Default::default()
            }
        })
        .collect();
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(b),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "gen_ai.client.token.usage".into(),
                    unit: "{token}".into(),
                    data: Some(Data::Histogram(Histogram {
                        data_points: points,
                        aggregation_temporality: 1 + i32::from(b.u8() % 2),
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let out = p
        .process(Signal::Metrics, &req.encode_to_vec())
        .expect("a valid batch decodes");
    let Some(bytes) = out.output else { return };
    let got = ExportMetricsServiceRequest::decode(&bytes[..]).expect("output decodes");
    let before: usize = 1;
    let after = &got.resource_metrics[0].scope_metrics[0].metrics;
    assert!(after.len() >= before, "metrics lost");
    // The input has no cost metric: every cost point was derived by the core.
    for m in after.iter().filter(|m| m.name.contains("cost")) {
        if let Some(Data::Histogram(h)) = &m.data {
            for dp in &h.data_points {
                let s = dp.sum.unwrap_or(0.0);
                assert!(s.is_finite() && s >= 0.0, "derived cost point sum {s}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    match b.u8() % 3 {
        0 => traces(&mut b),
        1 => metrics(&mut b),
        _ => logs(&mut b),
    }
});
