//! LiteLLM's OpenTelemetry callback as captured in
//! tests/fixtures/captured/litellm-<version>[-metrics]/ (skipped when
//! absent): after the processor every successful call's `litellm_request`
//! span has the request model, the manifest's provider, its token counts
//! (the cache and reasoning counts read from the `metadata.usage_object`
//! dict literal) and LiteLLM's own cost as `gen_ai.usage.cost`; the
//! `raw_gen_ai_request` child is not made a call; and the processor's own
//! price of each call equals LiteLLM's to 1e-9 relative.

use std::path::{Path, PathBuf};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{status::StatusCode, Span};
use otelcol_genai::{attrs, Processor, Signal};
use prost::Message;
use serde_json::Value as Json;

fn captures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captured");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(|d| d.ok().map(|d| d.path())).collect())
        .unwrap_or_default();
    dirs.retain(|d| {
        d.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("litellm-"))
            && d.join("traces.pb").exists()
    });
    dirs.sort();
    if dirs.is_empty() {
        eprintln!("no LiteLLM capture present; skipped");
    }
    dirs
}

fn processed(config: &str, dir: &Path) -> (Vec<Span>, otelcol_genai::stats::Stats) {
    let input = std::fs::read(dir.join("traces.pb")).unwrap();
    let p = Processor::from_json(config.as_bytes()).unwrap();
    let out = p.process(Signal::Traces, &input).unwrap();
    let bytes = out.output.unwrap_or(input);
    let req = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    let spans = req
        .resource_spans
        .into_iter()
        .flat_map(|rs| rs.scope_spans)
        .flat_map(|ss| ss.spans)
        .collect();
    (spans, out.stats)
}

fn calls(dir: &Path) -> Vec<Json> {
    let m: Json =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["calls"].as_array().unwrap().clone()
}

fn int(a: &[KeyValue], key: &str) -> Option<i64> {
    match attrs::get(a, key) {
        Some(Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

fn num(a: &[KeyValue], key: &str) -> Option<f64> {
    match attrs::get(a, key) {
        Some(Value::DoubleValue(d)) => Some(*d),
        Some(Value::IntValue(i)) => Some(*i as f64),
        _ => None,
    }
}

fn failed(s: &Span) -> bool {
    s.status
        .as_ref()
        .is_some_and(|st| st.code == StatusCode::Error as i32)
}

/// The `litellm_request` spans, one per call in the manifest's order (the
/// app waits for LiteLLM's callbacks after each call).
fn requests(spans: &[Span]) -> Vec<&Span> {
    spans
        .iter()
        .filter(|s| s.name == "litellm_request")
        .collect()
}

#[test]
fn every_successful_call_span_has_model_provider_tokens_cache_and_litellm_cost() {
    for dir in captures() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (spans, stats) = processed("{}", &dir);
        assert_eq!(stats.coercion_failures, 0, "{name}: {stats:?}");
        let calls = calls(&dir);
        let reqs = requests(&spans);
        assert_eq!(
            reqs.len(),
            calls.len(),
            "{name}: one litellm_request per call"
        );
        let mut costed = 0;
        for (span, call) in reqs.iter().zip(&calls) {
            let a = &span.attributes;
            let what = format!("{name} {}", call["name"]);
            let model = call["model"].as_str().unwrap();
            assert_eq!(
                attrs::get_str(a, "gen_ai.request.model"),
                Some(model),
                "{what}"
            );
            assert_eq!(
                attrs::get_str(a, "gen_ai.provider.name"),
                call["provider"].as_str(),
                "{what}"
            );
            let op = if call["operation"] == "embeddings" {
                "embeddings"
            } else {
                "chat"
            };
            assert_eq!(
                attrs::get_str(a, "gen_ai.operation.name"),
                Some(op),
                "{what}"
            );
            if !call["error_type"].is_null() {
                assert!(failed(span), "{what}: status");
                assert_eq!(
                    attrs::get_str(a, "error.type"),
                    call["error_type"].as_str(),
                    "{what}"
                );
                assert_eq!(int(a, "gen_ai.usage.input_tokens"), None, "{what}");
                continue;
            }
            assert!(!failed(span), "{what}: status");
            let field = |k: &str| call[k].as_i64().unwrap();
            // LiteLLM adds Anthropic's cache reads and writes into its input.
            let input = match call["provider"] == "anthropic" {
                true => {
                    field("input_tokens") + field("cached_tokens") + field("cache_creation_tokens")
                }
                false => field("input_tokens"),
            };
            assert_eq!(int(a, "gen_ai.usage.input_tokens"), Some(input), "{what}");
            assert_eq!(
                int(a, "gen_ai.usage.output_tokens"),
                Some(field("output_tokens")),
                "{what}"
            );
            if op == "chat" {
                assert_eq!(
                    int(a, "gen_ai.usage.cache_read.input_tokens"),
                    Some(field("cached_tokens")),
                    "{what}: cached tokens"
                );
                assert_eq!(
                    int(a, "gen_ai.usage.reasoning.output_tokens").unwrap_or(0),
                    field("reasoning_tokens"),
                    "{what}: reasoning tokens"
                );
            }
            if call["provider"] == "anthropic" {
                assert_eq!(
                    int(a, "gen_ai.usage.cache_creation.input_tokens"),
                    Some(field("cache_creation_tokens")),
                    "{what}: cache writes"
                );
            }
            // LiteLLM's own price, kept exactly.
            if let Some(theirs) = num(a, "gen_ai.cost.total_cost") {
                assert_eq!(num(a, "gen_ai.usage.cost"), Some(theirs), "{what}: cost");
                costed += 1;
            }
        }
        assert!(
            costed >= 5,
            "{name}: only {costed} calls carry LiteLLM's cost"
        );
    }
}

#[test]
fn the_raw_provider_request_span_is_not_a_call() {
    for dir in captures() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (spans, _) = processed("{}", &dir);
        let raw: Vec<&Span> = spans
            .iter()
            .filter(|s| s.name == "raw_gen_ai_request")
            .collect();
        assert!(!raw.is_empty(), "{name}");
        for s in raw {
            let parent = spans.iter().find(|p| p.span_id == s.parent_span_id);
            assert_eq!(
                parent.map(|p| p.name.as_str()),
                Some("litellm_request"),
                "{name}"
            );
            let genai: Vec<&str> = s
                .attributes
                .iter()
                .map(|kv| kv.key.as_str())
                .filter(|k| k.starts_with("gen_ai."))
                .collect();
            assert!(genai.is_empty(), "{name}: raw_gen_ai_request got {genai:?}");
        }
    }
}

/// The processor's own price (cost.override) of each call equals LiteLLM's
/// (its cost_per_token, cache reads at the cached rate) where both price the
/// model: proof the cached tokens were read. Without the litellm source the
/// cached calls cost more.
#[test]
fn processor_prices_equal_litellm_prices_with_the_cache() {
    for dir in captures() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (spans, _) = processed(r#"{"cost": {"override": true}}"#, &dir);
        let (without, _) = processed(
            r#"{"cost": {"override": true}, "normalize": {"sources": {"litellm": false}}}"#,
            &dir,
        );
        let calls = calls(&dir);
        let mut compared = 0;
        let mut cached = 0;
        for ((span, plain), call) in requests(&spans).iter().zip(requests(&without)).zip(&calls) {
            let a = &span.attributes;
            let (Some(theirs), Some(ours)) = (
                num(a, "gen_ai.cost.total_cost"),
                num(a, "gen_ai.usage.cost"),
            ) else {
                continue;
            };
            if theirs == 0.0 {
                continue;
            }
            assert!(
                (ours - theirs).abs() <= 1e-9 * theirs,
                "{name} {}: processor {ours} vs LiteLLM {theirs}",
                call["name"]
            );
            compared += 1;
            if call["cached_tokens"].as_i64().unwrap() > 0 {
                let full = num(&plain.attributes, "gen_ai.usage.cost").unwrap();
                assert!(
                    full > theirs * 1.01,
                    "{name} {}: {full} vs {theirs}",
                    call["name"]
                );
                cached += 1;
            }
        }
        assert!(
            compared >= 5 && cached >= 2,
            "{name}: {compared} compared, {cached} cached"
        );
    }
}

/// LiteLLM's own metrics (captured with its metrics on) put the request's
/// `hidden_params` JSON and `metadata.*` on every point, so every request
/// is a series. After the processor, no point of a GenAI metric carries a
/// per-request attribute, and a metric holds one series per combination
/// of the attributes that are dimensions; both walks agree.
#[test]
fn litellm_metric_points_lose_their_per_request_attributes() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use otelcol_genai::metric_points::point_attrs;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/captured/litellm-1.110.2-metrics");
    let Ok(input) = std::fs::read(dir.join("metrics.pb")) else {
        eprintln!("skipped: {} absent", dir.display());
        return;
    };
    let p = Processor::from_json(b"{}").unwrap();
    let out = p.process(Signal::Metrics, &input).unwrap();
    let reference = p.process_reference(Signal::Metrics, &input).unwrap();
    assert!(out.stats.point_attributes_dropped > 0);
    assert_eq!(out.stats, reference.stats);
    let decode =
        |b: Option<Vec<u8>>| ExportMetricsServiceRequest::decode(b.unwrap().as_slice()).unwrap();
    let req = decode(out.output);
    assert!(
        req == decode(reference.output),
        "the wire walk and the reference agree"
    );
    let before = ExportMetricsServiceRequest::decode(input.as_slice()).unwrap();
    let metrics = |r: &ExportMetricsServiceRequest| {
        r.resource_metrics
            .iter()
            .flat_map(|rm| &rm.scope_metrics)
            .flat_map(|sm| sm.metrics.clone())
            .collect::<Vec<_>>()
    };
    let mut dropped = 0;
    for (m, orig) in metrics(&req).iter().zip(metrics(&before)) {
        let mut series = std::collections::BTreeSet::new();
        for a in point_attrs(m) {
            for kv in a {
                assert!(
                    kv.key != "hidden_params" && !kv.key.starts_with("metadata"),
                    "{}: {} kept",
                    m.name,
                    kv.key
                );
            }
            let mut keys: Vec<String> = a
                .iter()
                .map(|kv| format!("{}={:?}", kv.key, kv.value))
                .collect();
            keys.sort();
            series.insert(keys.join(","));
        }
        let orig_series: std::collections::BTreeSet<String> = point_attrs(&orig)
            .iter()
            .map(|a| format!("{a:?}"))
            .collect();
        eprintln!(
            "{}: {} points (was {}), {} series (was {})",
            m.name,
            point_attrs(m).len(),
            point_attrs(&orig).len(),
            series.len(),
            orig_series.len()
        );
        assert_eq!(
            point_attrs(m).len(),
            series.len(),
            "{}: one point per series and time",
            m.name
        );
        if m.name == "gen_ai_usage_cost_USD" {
            // Plus the cost points the processor derives for the calls
            // LiteLLM did not price (deepseek-chat).
            assert!(count_total(m) > count_total(&orig), "{}", m.name);
        } else {
            assert_eq!(
                count_total(m),
                count_total(&orig),
                "{}: every call still counted",
                m.name
            );
        }
        dropped += orig_series.len() - series.len();
    }
    assert!(dropped > 0, "some requests' points now share a series");
}

/// Calls (histogram counts) or the sum of values in a metric's points.
fn count_total(m: &opentelemetry_proto::tonic::metrics::v1::Metric) -> f64 {
    use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point};
    match &m.data {
        Some(Data::Histogram(h)) => h.data_points.iter().map(|p| p.count as f64).sum(),
        Some(Data::Sum(s)) => s
            .data_points
            .iter()
            .map(|p| match p.value {
                Some(number_data_point::Value::AsInt(i)) => i as f64,
                Some(number_data_point::Value::AsDouble(d)) => d,
                None => 0.0,
            })
            .sum(),
        _ => 0.0,
    }
}
