//! The `gen_ai.usage.cost` histogram derived from `gen_ai.client.token.usage`:
//! for the same synthetic traffic, its sum equals the sum of the span costs
//! and its count the number of calls.

mod support;

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint,
    Metric,
};
use otelcol_genai::{attrs, Processor, Signal, Stats};
use prost::Message;
use support::{kv, SplitMix64};

/// Naming is switched off so the derived metric keeps its semconv name here.
const CONFIG: &str = r#"{"naming": {"enabled": false}}"#;

/// Who is called; the attributes an instrumentation puts on both signals.
fn route_attrs(provider: &str, model: &str) -> Vec<KeyValue> {
    vec![
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.provider.name", provider),
        kv("gen_ai.request.model", model),
    ]
}

struct Call {
    route: usize,
    input: i64,
    output: i64,
}

/// Calls of every route; input sizes stay within one price tier per route.
fn traffic(routes: &[(&str, &str, u64, u64)], calls: usize, seed: u64) -> Vec<Call> {
    let mut rng = SplitMix64(seed);
    (0..calls)
        .map(|_| {
            let route = rng.below(routes.len() as u64) as usize;
            let (_, _, lo, hi) = routes[route];
            Call {
                route,
                input: (lo + rng.below(hi - lo)) as i64,
                output: rng.below(4000) as i64,
            }
        })
        .collect()
}

/// Prices every call as a span; returns the cost summed per route.
fn span_costs(p: &Processor, routes: &[(&str, &str, u64, u64)], calls: &[Call]) -> Vec<f64> {
    let spans = calls
        .iter()
        .map(|c| {
            let (provider, model, _, _) = routes[c.route];
            let mut a = route_attrs(provider, model);
            a.push(kv("gen_ai.usage.input_tokens", c.input));
            a.push(kv("gen_ai.usage.output_tokens", c.output));
            support::span("chat", a)
        })
        .collect();
    let out = p
        .process(
            Signal::Traces,
            &support::traces(vec![], spans).encode_to_vec(),
        )
        .unwrap();
    assert_eq!(out.stats.costs_computed, calls.len() as u64);
    let req = ExportTraceServiceRequest::decode(out.output.unwrap().as_slice()).unwrap();
    let mut sums = vec![0.0; routes.len()];
    for (c, s) in calls
        .iter()
        .zip(&req.resource_spans[0].scope_spans[0].spans)
    {
        match attrs::get(&s.attributes, "gen_ai.usage.cost") {
            Some(Value::DoubleValue(d)) => sums[c.route] += d,
            other => panic!("no cost on a span: {other:?}"),
        }
    }
    sums
}

/// What an SDK would export for the same calls: one token usage point per
/// route and token type.
fn usage_metrics(routes: &[(&str, &str, u64, u64)], calls: &[Call]) -> ExportMetricsServiceRequest {
    let mut points = Vec::new();
    for (r, (provider, model, _, _)) in routes.iter().enumerate() {
        let mine: Vec<&Call> = calls.iter().filter(|c| c.route == r).collect();
        for (ty, tokens) in [
            ("input", mine.iter().map(|c| c.input).sum::<i64>()),
            ("output", mine.iter().map(|c| c.output).sum::<i64>()),
        ] {
            let mut a = route_attrs(provider, model);
            a.insert(1, kv("gen_ai.token.type", ty));
            points.push(support::hist_point(a, tokens as f64, mine.len() as u64));
        }
    }
    support::metrics(
        vec![kv("service.name", "svc")],
        vec![support::histogram(
            "gen_ai.client.token.usage",
            "{token}",
            points,
        )],
    )
}

fn process_metrics(
    p: &Processor,
    req: &ExportMetricsServiceRequest,
) -> (Vec<Metric>, Stats, Vec<String>) {
    let input = req.encode_to_vec();
    let out = p.process(Signal::Metrics, &input).unwrap();
    let bytes = out.output.unwrap_or(input);
    let req = ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap();
    let metrics = req.resource_metrics[0].scope_metrics[0].metrics.clone();
    (metrics, out.stats, out.unknown_models)
}

fn cost_metric(metrics: &[Metric]) -> Option<&Metric> {
    metrics.iter().find(|m| m.name == "gen_ai.usage.cost")
}

#[test]
fn derived_histogram_sum_equals_the_sum_of_span_costs() {
    let routes = [
        ("openai", "gpt-4o", 10, 20_000),
        ("anthropic", "claude-sonnet-4-5", 10, 20_000),
        ("gcp.gemini", "gemini-2.5-pro", 10, 150_000),
        ("gcp.gemini", "gemini-2.5-pro-002", 210_000, 900_000), // above the 200k tier
        (
            "aws.bedrock",
            "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
            10,
            50_000,
        ),
    ];
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let calls = traffic(&routes, 500, 42);
    let spans = span_costs(&p, &routes, &calls);

    let (metrics, stats, unknown) = process_metrics(&p, &usage_metrics(&routes, &calls));
    assert!(unknown.is_empty(), "{unknown:?}");
    assert_eq!(stats.cost_points_derived, routes.len() as u64);
    let m = cost_metric(&metrics).expect("a derived cost histogram");
    assert_eq!(m.unit, "USD");
    let Some(Data::Histogram(h)) = &m.data else {
        panic!("not a histogram")
    };
    assert_eq!(
        h.aggregation_temporality,
        AggregationTemporality::Cumulative as i32
    );
    assert_eq!(h.data_points.len(), routes.len());

    let by_model: HashMap<&str, usize> = routes.iter().enumerate().map(|(i, r)| (r.1, i)).collect();
    for dp in &h.data_points {
        assert!(attrs::get(&dp.attributes, "gen_ai.token.type").is_none());
        let model = attrs::get_str(&dp.attributes, "gen_ai.request.model").unwrap();
        let r = by_model[model];
        let want = spans[r];
        let got = dp.sum.unwrap();
        assert!(
            (got - want).abs() <= want * 1e-9,
            "{model}: metric {got} vs spans {want}"
        );
        assert_eq!(
            dp.count,
            calls.iter().filter(|c| c.route == r).count() as u64
        );
        assert_eq!(dp.bucket_counts, vec![dp.count]);
        assert!(dp.explicit_bounds.is_empty());
        assert_eq!(dp.time_unix_nano, 1_700_000_060_000_000_000);
        assert_eq!(dp.start_time_unix_nano, 1_700_000_000_000_000_000);
    }
}

#[test]
fn an_existing_cost_histogram_for_the_same_attributes_is_respected() {
    let routes = [
        ("openai", "gpt-4o", 10, 100),
        ("openai", "gpt-4o-mini", 10, 100),
    ];
    let calls = traffic(&routes, 20, 7);
    let mut req = usage_metrics(&routes, &calls);
    // The instrumentation already reports the cost of gpt-4o (attributes in another order).
    let mut a = route_attrs("openai", "gpt-4o");
    a.reverse();
    req.resource_metrics[0].scope_metrics[0]
        .metrics
        .push(support::histogram(
            "gen_ai.usage.cost",
            "USD",
            vec![support::hist_point(a, 0.25, 3)],
        ));
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let (metrics, stats, _) = process_metrics(&p, &req);
    assert_eq!(stats.costs_existing, 1);
    assert_eq!(stats.cost_points_derived, 1);
    let Some(Data::Histogram(h)) = &cost_metric(&metrics).unwrap().data else {
        panic!()
    };
    // The derived point joins the existing histogram of the same temporality.
    assert_eq!(h.data_points.len(), 2);
    assert_eq!(h.data_points[0].sum, Some(0.25));
    assert_eq!(
        attrs::get_str(&h.data_points[1].attributes, "gen_ai.request.model"),
        Some("gpt-4o-mini")
    );
    assert_eq!(
        metrics
            .iter()
            .filter(|m| m.name == "gen_ai.usage.cost")
            .count(),
        1
    );
}

#[test]
fn unknown_models_and_switched_off_derivation_add_nothing() {
    let routes = [("acme", "acme-unknown-model", 10, 100)];
    let calls = traffic(&routes, 5, 1);
    let req = usage_metrics(&routes, &calls);
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let (metrics, stats, unknown) = process_metrics(&p, &req);
    assert!(cost_metric(&metrics).is_none());
    assert_eq!(stats.cost_unknown_model, 1);
    assert_eq!(unknown, vec!["acme-unknown-model".to_string()]);

    let routes = [("openai", "gpt-4o", 10, 100)];
    let req = usage_metrics(&routes, &traffic(&routes, 5, 1));
    let off =
        Processor::from_json(br#"{"naming": {"enabled": false}, "cost": {"metrics": false}}"#)
            .unwrap();
    let (metrics, stats, _) = process_metrics(&off, &req);
    assert!(cost_metric(&metrics).is_none());
    assert_eq!(stats.cost_points_derived, 0);
}

#[test]
fn delta_temporality_and_windows_are_kept_apart() {
    let routes = [("openai", "gpt-4o", 10, 100)];
    let mut req = usage_metrics(&routes, &traffic(&routes, 4, 3));
    let m = &mut req.resource_metrics[0].scope_metrics[0].metrics[0];
    let Some(Data::Histogram(h)) = m.data.as_mut() else {
        panic!()
    };
    h.aggregation_temporality = AggregationTemporality::Delta as i32;
    // A second window for the input tokens only: output-less windows still count operations.
    let mut later = h.data_points[0].clone();
    later.start_time_unix_nano = later.time_unix_nano;
    later.time_unix_nano += 60_000_000_000;
    later.sum = Some(1000.0);
    later.count = 2;
    h.data_points.push(later);
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let (metrics, stats, _) = process_metrics(&p, &req);
    assert_eq!(stats.cost_points_derived, 2);
    let Some(Data::Histogram(h)) = &cost_metric(&metrics).unwrap().data else {
        panic!()
    };
    assert_eq!(
        h.aggregation_temporality,
        AggregationTemporality::Delta as i32
    );
    assert_eq!(h.data_points[1].count, 2);
    assert!((h.data_points[1].sum.unwrap() - 1000.0 * 2.5e-6).abs() < 1e-15);
}

/// SDKs start each attribute set's series when it is first recorded, so the
/// input and output points of the same calls carry start times microseconds
/// apart (seen in the Python SDK). They are still one operation set: one cost
/// point, with the earliest start, the full cost and the call count.
#[test]
fn input_and_output_points_with_different_starts_make_one_cost_point() {
    let routes = [("openai", "gpt-4o", 10, 100)];
    let calls = traffic(&routes, 5, 11);
    let mut req = usage_metrics(&routes, &calls);
    let m = &mut req.resource_metrics[0].scope_metrics[0].metrics[0];
    let Some(Data::Histogram(h)) = m.data.as_mut() else {
        panic!()
    };
    let earliest = h
        .data_points
        .iter()
        .map(|p| p.start_time_unix_nano)
        .min()
        .unwrap();
    for (i, p) in h.data_points.iter_mut().enumerate() {
        p.start_time_unix_nano += 35_000 * i as u64;
    }
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let (metrics, stats, _) = process_metrics(&p, &req);
    assert_eq!(stats.cost_points_derived, 1);
    let Some(Data::Histogram(h)) = &cost_metric(&metrics).unwrap().data else {
        panic!()
    };
    assert_eq!(h.data_points.len(), 1);
    let point = &h.data_points[0];
    assert_eq!(point.count, 5);
    assert_eq!(point.start_time_unix_nano, earliest);
    let spans = span_costs(&p, &routes, &calls);
    assert!(
        (point.sum.unwrap() - spans[0]).abs() < 1e-12,
        "{:?} vs {spans:?}",
        point.sum
    );
}

/// Token usage may come as an exponential histogram (an SDK view can choose
/// it): the same sums and counts must give the same cost points.
#[test]
fn exponential_token_usage_histograms_are_priced_like_explicit_ones() {
    let routes = [
        ("openai", "gpt-4o", 10, 20_000),
        ("anthropic", "claude-sonnet-4-5", 10, 20_000),
    ];
    let explicit = usage_metrics(&routes, &traffic(&routes, 50, 7));
    let mut exponential = explicit.clone();
    let m = &mut exponential.resource_metrics[0].scope_metrics[0].metrics[0];
    let Some(Data::Histogram(h)) = m.data.take() else {
        panic!("usage_metrics makes a histogram")
    };
    m.data = Some(Data::ExponentialHistogram(ExponentialHistogram {
        aggregation_temporality: h.aggregation_temporality,
        data_points: h
            .data_points
            .into_iter()
            .map(|p| ExponentialHistogramDataPoint {
                attributes: p.attributes,
                start_time_unix_nano: p.start_time_unix_nano,
                time_unix_nano: p.time_unix_nano,
                count: p.count,
                sum: p.sum,
                ..Default::default()
            })
            .collect(),
    }));
    let p = Processor::from_json(CONFIG.as_bytes()).unwrap();
    let (want, want_stats, _) = process_metrics(&p, &explicit);
    let (got, got_stats, _) = process_metrics(&p, &exponential);
    assert_eq!(got_stats.cost_points_derived, routes.len() as u64);
    assert_eq!(
        got_stats.cost_points_derived,
        want_stats.cost_points_derived
    );
    assert_eq!(
        cost_metric(&got).expect("a derived cost histogram"),
        cost_metric(&want).unwrap()
    );
}
