//! Real instrumentation output captured into `tests/fixtures/captured/`
//! (each capture skipped when absent). OpenLIT 1.45 is the canonical target:
//! normalization must leave it as it is. Every other capture must come out
//! with the provider its manifest names on every span, data point and log
//! record that names a provider or a model, without coercion failures.

use std::collections::HashMap;
use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otelcol_genai::{Processor, Signal};
use prost::Message;

fn dir(name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests/fixtures/captured", name]
        .iter()
        .collect()
}

fn capture(name: &str, file: &str) -> Option<Vec<u8>> {
    std::fs::read(dir(name).join(file)).ok()
}

fn normalize_only() -> Processor {
    Processor::from_json(br#"{"cost": {"enabled": false}, "naming": {"enabled": false}}"#)
        .expect("config")
}

fn get<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attrs
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| v.value.as_ref())
    {
        Some(Value::StringValue(s)) => Some(s),
        _ => None,
    }
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

/// Model -> provider, from a capture's manifest.
fn manifest(name: &str) -> Option<HashMap<String, String>> {
    let text = std::fs::read_to_string(dir(name).join("manifest.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    Some(
        json["calls"]
            .as_array()?
            .iter()
            .filter_map(|c| Some((c["model"].as_str()?.into(), c["provider"].as_str()?.into())))
            .collect(),
    )
}

/// Attribute lists of every span, data point and log record of a batch.
fn items(signal: Signal, bytes: &[u8]) -> Vec<(String, Vec<KeyValue>)> {
    let mut out = Vec::new();
    match signal {
        Signal::Traces => {
            for rs in ExportTraceServiceRequest::decode(bytes)
                .unwrap()
                .resource_spans
            {
                for ss in rs.scope_spans {
                    out.extend(ss.spans.into_iter().map(|s| (s.name, s.attributes)));
                }
            }
        }
        Signal::Metrics => {
            for rm in ExportMetricsServiceRequest::decode(bytes)
                .unwrap()
                .resource_metrics
            {
                for sm in rm.scope_metrics {
                    for m in sm.metrics {
                        let points: Vec<Vec<KeyValue>> = match m.data {
                            Some(Data::Histogram(h)) => {
                                h.data_points.into_iter().map(|d| d.attributes).collect()
                            }
                            Some(Data::Sum(s)) => {
                                s.data_points.into_iter().map(|d| d.attributes).collect()
                            }
                            Some(Data::Gauge(g)) => {
                                g.data_points.into_iter().map(|d| d.attributes).collect()
                            }
                            _ => Vec::new(),
                        };
                        out.extend(points.into_iter().map(|a| (m.name.clone(), a)));
                    }
                }
            }
        }
        Signal::Logs => {
            for rl in ExportLogsServiceRequest::decode(bytes)
                .unwrap()
                .resource_logs
            {
                for sl in rl.scope_logs {
                    out.extend(
                        sl.log_records
                            .into_iter()
                            .map(|r| (r.event_name, r.attributes)),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn captured_libraries_get_the_manifest_provider() {
    let p = normalize_only();
    let mut checked = 0;
    for name in [
        "openlit-1.33.23",
        "otel-openai-v2-2.1b0",
        "otel-openai-v2-2.4b0",
        "otel-openai-v2-2.4b0-latest-experimental",
    ] {
        let Some(providers) = manifest(name) else {
            eprintln!("{name}: no capture; skipped");
            continue;
        };
        for (file, signal) in [
            ("traces.pb", Signal::Traces),
            ("metrics.pb", Signal::Metrics),
            ("logs.pb", Signal::Logs),
        ] {
            let Some(bytes) = capture(name, file) else {
                continue;
            };
            let out = p.process(signal, &bytes).expect("captured batch decodes");
            assert_eq!(
                out.stats.coercion_failures, 0,
                "{name}/{file}: {:?}",
                out.stats
            );
            let result = out.output.unwrap_or(bytes);
            for (item, attrs) in items(signal, &result) {
                let system = get(&attrs, "gen_ai.system");
                let model = get(&attrs, "gen_ai.request.model")
                    .or_else(|| get(&attrs, "gen_ai.response.model"));
                let want = model.and_then(|m| providers.get(m)).map(String::as_str);
                let got = get(&attrs, "gen_ai.provider.name");
                if system.is_some() || want.is_some() {
                    assert!(
                        got.is_some(),
                        "{name}/{file} {item}: no gen_ai.provider.name"
                    );
                    checked += 1;
                }
                if let Some(want) = want {
                    assert_eq!(got, Some(want), "{name}/{file} {item} ({model:?})");
                }
            }
        }
    }
    eprintln!("{checked} captured items checked");
}
