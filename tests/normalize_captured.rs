//! Real instrumentation output captured into `tests/fixtures/captured/`
//! (skipped when a capture is absent). OpenLIT 1.45 is the canonical
//! target: normalization must leave its spans, logs and metrics as they are.

use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otelcol_genai::{Processor, Signal};
use prost::Message;

fn capture(dir: &str, file: &str) -> Option<Vec<u8>> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/fixtures/captured",
        dir,
        file,
    ]
    .iter()
    .collect();
    std::fs::read(path).ok()
}

fn normalize_only() -> Processor {
    Processor::from_json(br#"{"cost": {"enabled": false}, "naming": {"enabled": false}}"#)
        .expect("config")
}

#[test]
fn openlit_1_45_output_is_already_canonical() {
    let p = normalize_only();
    let mut seen = 0;
    for (file, signal) in [
        ("traces.pb", Signal::Traces),
        ("metrics.pb", Signal::Metrics),
        ("logs.pb", Signal::Logs),
    ] {
        let Some(bytes) = capture("openlit-1.45.0", file) else {
            continue;
        };
        seen += 1;
        let out = p.process(signal, &bytes).expect("captured batch decodes");
        assert!(out.stats.items > 0, "{file}: nothing walked");
        assert!(
            out.output.is_none(),
            "{file}: normalization changed canonical OpenLIT 1.45 output: {:?}",
            out.stats
        );
    }
    if seen == 0 {
        eprintln!("no OpenLIT 1.45 capture present; skipped");
    }
}

fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// Every list carrying `gen_ai.system` must come out with the same provider
/// under `gen_ai.provider.name` (the original kept); returns how many.
fn check_provider(attrs: &[KeyValue], what: &str) -> usize {
    let Some(Value::StringValue(system)) = get(attrs, "gen_ai.system") else {
        return 0;
    };
    let provider = get(attrs, "gen_ai.provider.name");
    assert_eq!(
        provider,
        Some(&Value::StringValue(system.clone())),
        "{what}"
    );
    1
}

#[test]
fn openlit_1_33_output_gets_the_current_provider_key() {
    let p = normalize_only();
    let Some(traces) = capture("openlit-1.33.23", "traces.pb") else {
        eprintln!("no OpenLIT 1.33 capture present; skipped");
        return;
    };
    let out = p.process(Signal::Traces, &traces).unwrap();
    assert_eq!(out.stats.coercion_failures, 0, "{:?}", out.stats);
    let req = ExportTraceServiceRequest::decode(out.output.expect("changed").as_slice()).unwrap();
    let mut n = 0;
    for rs in &req.resource_spans {
        for ss in &rs.scope_spans {
            for sp in &ss.spans {
                n += check_provider(&sp.attributes, &sp.name);
                if get(&sp.attributes, "gen_ai.request.service_tier").is_some() {
                    assert!(get(&sp.attributes, "openai.request.service_tier").is_some());
                }
            }
            if ss
                .spans
                .iter()
                .any(|s| get(&s.attributes, "gen_ai.system").is_some())
            {
                assert!(!ss.schema_url.is_empty(), "touched scope gets a schema_url");
            }
        }
    }
    assert!(n > 0, "no OpenLIT LLM span in the capture");

    if let Some(metrics) = capture("openlit-1.33.23", "metrics.pb") {
        let out = p.process(Signal::Metrics, &metrics).unwrap();
        let req =
            ExportMetricsServiceRequest::decode(out.output.expect("changed").as_slice()).unwrap();
        let mut n = 0;
        for rm in &req.resource_metrics {
            for sm in &rm.scope_metrics {
                for m in &sm.metrics {
                    let points: Vec<&Vec<KeyValue>> = match &m.data {
                        Some(Data::Histogram(h)) => {
                            h.data_points.iter().map(|d| &d.attributes).collect()
                        }
                        Some(Data::Sum(s)) => s.data_points.iter().map(|d| &d.attributes).collect(),
                        Some(Data::Gauge(g)) => {
                            g.data_points.iter().map(|d| &d.attributes).collect()
                        }
                        _ => Vec::new(),
                    };
                    for a in points {
                        n += check_provider(a, &m.name);
                    }
                }
            }
        }
        assert!(n > 0, "no OpenLIT GenAI data point in the capture");
    }
    if let Some(logs) = capture("openlit-1.33.23", "logs.pb") {
        let out = p.process(Signal::Logs, &logs).unwrap();
        let req =
            ExportLogsServiceRequest::decode(out.output.expect("changed").as_slice()).unwrap();
        for rl in &req.resource_logs {
            for sl in &rl.scope_logs {
                for r in &sl.log_records {
                    check_provider(&r.attributes, "log record");
                }
            }
        }
    }
}
