//! Batches captured from real instrumentation libraries
//! (tests/fixtures/captured/<library-version>/, written by the capture
//! tooling). Skipped when the captures are absent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otelcol_genai::{attrs, Processor, Signal};
use prost::Message;

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captured");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        eprintln!("skipped: {} absent", root.display());
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|d| d.ok().map(|d| d.path()))
        .filter(|d| d.join("traces.pb").exists() && d.join("metrics.pb").exists())
        .collect();
    dirs.sort();
    dirs
}

fn cost(a: &[KeyValue]) -> Option<f64> {
    match attrs::get(a, "gen_ai.usage.cost") {
        Some(Value::DoubleValue(d)) => Some(*d),
        Some(Value::IntValue(i)) => Some(*i as f64),
        _ => None,
    }
}

fn spans(p: &Processor, dir: &Path) -> (Vec<Vec<KeyValue>>, Vec<Vec<KeyValue>>, Vec<String>) {
    let input = std::fs::read(dir.join("traces.pb")).unwrap();
    let before = ExportTraceServiceRequest::decode(input.as_slice()).unwrap();
    let out = p.process(Signal::Traces, &input).unwrap();
    let after = match out.output {
        Some(b) => ExportTraceServiceRequest::decode(b.as_slice()).unwrap(),
        None => before.clone(),
    };
    let flat = |r: &ExportTraceServiceRequest| -> Vec<Vec<KeyValue>> {
        r.resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .flat_map(|ss| &ss.spans)
            .map(|s| s.attributes.clone())
            .collect()
    };
    (flat(&before), flat(&after), out.unknown_models)
}

#[test]
fn captured_llm_spans_are_priced_and_instrumentation_costs_kept() {
    let p = Processor::from_json(b"{}").unwrap();
    for dir in captures() {
        let (before, after, unknown) = spans(&p, &dir);
        for (b, a) in before.iter().zip(&after) {
            let has_tokens = attrs::get(a, "gen_ai.usage.input_tokens").is_some();
            match cost(b) {
                // A real cost from the instrumentation is kept as it was.
                Some(c) if c > 0.0 => assert_eq!(cost(a), Some(c), "{}", dir.display()),
                _ if has_tokens => {
                    let model = attrs::get_str(a, "gen_ai.response.model")
                        .or(attrs::get_str(a, "gen_ai.request.model"))
                        .unwrap_or("");
                    let priced = cost(a).is_some_and(|c| c > 0.0);
                    assert!(
                        priced || unknown.iter().any(|m| m == model),
                        "{}: {model} neither priced nor reported unknown",
                        dir.display()
                    );
                }
                _ => {}
            }
        }
    }
}

/// Instrumentations that report no cost themselves: each cost point derived
/// from their token usage metric equals the summed cost of their spans of
/// the same operation and model where those spans report no cache tokens
/// (the aggregates then lose nothing). Where they do (OpenLLMetry), the
/// token usage metric has no cache split, so the derived cost prices every
/// input token at the input rate: at least the spans' cost, never less
/// (docs/pricing.md; the `genai` connector's cost from the spans is exact).
/// A capture may hold metrics for fewer calls than spans; only the models
/// the metrics cover are compared.
#[test]
fn captured_token_usage_metrics_cost_what_the_spans_cost() {
    let p = Processor::from_json(br#"{"naming": {"enabled": false}}"#).unwrap();
    let key = |a: &[KeyValue]| {
        let s = |k| attrs::get_str(a, k).unwrap_or("").to_string();
        (s("gen_ai.operation.name"), s("gen_ai.response.model"))
    };
    let mut compared = 0;
    for dir in captures() {
        let (before, after, _) = spans(&p, &dir);
        // The instrumentation prices its calls itself (OpenLIT; LiteLLM, in
        // its own gen_ai.cost.total_cost)
        if before
            .iter()
            .any(|a| cost(a).is_some() || attrs::get(a, "gen_ai.cost.total_cost").is_some())
        {
            continue;
        }
        let mut by_model: HashMap<(String, String), f64> = HashMap::new();
        let mut cached: std::collections::HashSet<(String, String)> = Default::default();
        for a in &after {
            if let Some(c) = cost(a) {
                *by_model.entry(key(a)).or_default() += c;
            }
            let tokens = |k| {
                attrs::get_number(a, k)
                    .ok()
                    .flatten()
                    .map_or(0.0, |n| n.as_f64())
            };
            if tokens("gen_ai.usage.cache_read.input_tokens")
                + tokens("gen_ai.usage.cache_creation.input_tokens")
                > 0.0
            {
                cached.insert(key(a));
            }
        }
        let input = std::fs::read(dir.join("metrics.pb")).unwrap();
        let out = p.process(Signal::Metrics, &input).unwrap();
        let req = ExportMetricsServiceRequest::decode(out.output.expect("cost derived").as_slice())
            .unwrap();
        let points = req
            .resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| &sm.metrics)
            .filter(|m| m.name == "gen_ai.usage.cost")
            .flat_map(|m| match &m.data {
                Some(Data::Histogram(h)) => h.data_points.clone(),
                _ => Vec::new(),
            });
        for dp in points {
            let k = key(&dp.attributes);
            let want = by_model[&k];
            let got = dp.sum.unwrap();
            if cached.contains(&k) {
                assert!(
                    got >= want * (1.0 - 1e-9),
                    "{} {k:?}: metric {got} below the spans' {want}",
                    dir.display()
                );
            } else {
                assert!(
                    (got - want).abs() <= want * 1e-9,
                    "{} {k:?}: metric {got} vs spans {want}",
                    dir.display()
                );
            }
            compared += 1;
        }
    }
    if !captures().is_empty() {
        assert!(compared > 0, "no derived cost point compared");
    }
}
