//! Hostile token counts: negative, NaN, infinite, huge (overflowing the
//! cost), string-typed. Defined behaviour: a count that is not a finite
//! number >= 0 prices nothing and is counted in `cost_non_numeric_tokens`; a
//! numeric string is read as its number; no cost written is ever negative,
//! NaN or infinite, on spans, log records or derived metric points.

mod support;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use otelcol_genai::{Processor, Signal, Stats};
use prost::Message;
use support::*;

/// Prices one span whose input tokens are `input` (output tokens 500);
/// returns the cost written, if any, and the batch's counters.
fn price_span(p: &Processor, model: &str, input: V, output: V) -> (Option<f64>, Stats) {
    let attrs = vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.request.model", model),
        kv("gen_ai.usage.input_tokens", input),
        kv("gen_ai.usage.output_tokens", output),
    ];
    let input = traces(vec![], vec![span("chat", attrs)]).encode_to_vec();
    let out = p.process(Signal::Traces, &input).unwrap();
    let cost = out.output.and_then(|b| {
        let req = ExportTraceServiceRequest::decode(&b[..]).unwrap();
        let attrs: Vec<KeyValue> = req.resource_spans[0].scope_spans[0].spans[0]
            .attributes
            .clone();
        attrs
            .iter()
            .find(|kv| kv.key == "gen_ai.usage.cost")
            .map(
                |kv| match kv.value.as_ref().unwrap().value.as_ref().unwrap() {
                    Value::DoubleValue(d) => *d,
                    v => panic!("cost of the wrong type: {v:?}"),
                },
            )
    });
    if let Some(c) = cost {
        assert!(c.is_finite() && c >= 0.0, "cost written: {c}");
    }
    (cost, out.stats)
}

fn s(x: &str) -> V {
    V::from(x)
}
fn d(x: f64) -> V {
    V::from(x)
}
fn i(x: i64) -> V {
    V::from(x)
}

#[test]
fn counts_that_are_not_finite_non_negative_numbers_price_nothing_and_are_counted() {
    let p = Processor::from_json(b"{}").unwrap();
    let bad: Vec<(&str, V)> = vec![
        ("negative int", i(-5)),
        ("i64::MIN", i(i64::MIN)),
        ("negative double", d(-0.5)),
        ("NaN", d(f64::NAN)),
        ("+inf", d(f64::INFINITY)),
        ("-inf", d(f64::NEG_INFINITY)),
        ("string word", s("lots")),
        ("string NaN", s("NaN")),
        ("string inf", s("inf")),
        ("string overflowing to inf", s("1e400")),
        ("string negative", s("-12")),
        ("empty string", s("")),
        ("bool", V::from(true)),
        ("bytes", V(Value::BytesValue(vec![1, 2]))),
    ];
    for (name, v) in bad {
        let (cost, stats) = price_span(&p, "gpt-4o", v, i(500));
        assert_eq!(cost, None, "{name}: a cost was written");
        assert_eq!(stats.cost_non_numeric_tokens, 1, "{name}: not counted");
        assert_eq!(stats.costs_computed, 0, "{name}");
    }
}

#[test]
fn numeric_strings_are_read_as_numbers() {
    let p = Processor::from_json(b"{}").unwrap();
    let (as_int, _) = price_span(&p, "gpt-4o", i(1000), i(500));
    for v in [" 1000 ", "1000", "1000.0", "1e3"] {
        let (cost, stats) = price_span(&p, "gpt-4o", s(v), s("500"));
        assert_eq!(cost, as_int, "{v:?}");
        assert_eq!(stats.costs_computed, 1);
    }
}

#[test]
fn huge_counts_give_a_finite_cost_or_none() {
    let p = Processor::from_json(b"{}").unwrap();
    for (input, output) in [
        (i(i64::MAX), i(i64::MAX)),
        (d(f64::MAX), d(f64::MAX)),
        (s("1.7e308"), d(1e308)),
    ] {
        // Each call asserts that a cost, if written, is finite and >= 0.
        let (_, stats) = price_span(&p, "gpt-4o", input, output);
        assert_eq!(stats.cost_non_numeric_tokens + stats.costs_computed, 1);
    }
}

#[test]
fn a_cost_that_overflows_is_not_written_and_is_counted() {
    // A price of 1e300 USD per 1M tokens times 1e300 tokens is beyond f64.
    let p = Processor::from_json(
        br#"{"cost":{"models":[{"model":"huge","input":1e300,"output":1e300}]}}"#,
    )
    .unwrap();
    let (cost, stats) = price_span(&p, "huge", d(1e300), d(1e300));
    assert_eq!(cost, None);
    assert_eq!(stats.costs_computed, 0);
    assert_eq!(stats.cost_non_numeric_tokens, 1);
    let (cost, _) = price_span(&p, "huge", i(1), i(1));
    assert!(cost.unwrap() > 0.0, "small counts are still priced");
}

/// Derived cost points of a token usage histogram with these input sums
/// (each input point counting one call).
fn derived_cost_points(input_sums: &[f64]) -> Vec<f64> {
    let points: Vec<(f64, u64)> = input_sums.iter().map(|s| (*s, 1)).collect();
    derived_cost_points_counted(&points).0
}

/// Derived cost points (their sums) and the batch's counters for input
/// points of these (sum, count).
fn derived_cost_points_counted(input_points: &[(f64, u64)]) -> (Vec<f64>, Stats) {
    let p = Processor::from_json(b"{}").unwrap();
    let attrs = |ty: &str| {
        vec![
            kv("gen_ai.provider.name", "openai"),
            kv("gen_ai.request.model", "gpt-4o"),
            kv("gen_ai.operation.name", "chat"),
            kv("gen_ai.token.type", ty),
        ]
    };
    let mut points: Vec<_> = input_points
        .iter()
        .map(|(s, n)| hist_point(attrs("input"), *s, *n))
        .collect();
    points.push(hist_point(attrs("output"), 10.0, 1));
    let input = metrics(
        vec![],
        vec![histogram("gen_ai.client.token.usage", "{token}", points)],
    )
    .encode_to_vec();
    let outcome = p.process(Signal::Metrics, &input).unwrap();
    let Some(out) = outcome.output else {
        return (Vec::new(), outcome.stats);
    };
    let req = ExportMetricsServiceRequest::decode(&out[..]).unwrap();
    let costs = req.resource_metrics[0].scope_metrics[0]
        .metrics
        .iter()
        .filter(|m| m.name.contains("cost"))
        .flat_map(|m| match &m.data {
            Some(Data::Histogram(h)) => h.data_points.iter().map(|p| p.sum.unwrap()).collect(),
            _ => Vec::new(),
        })
        .collect();
    (costs, outcome.stats)
}

#[test]
fn point_counts_that_overflow_derive_no_cost_point_and_are_counted() {
    // Found by the `process` fuzz target: two points of one series whose
    // counts add past u64::MAX (a panic under overflow checks, a wrapped
    // count in release builds). Now: no derived point, counted.
    let huge = u64::MAX / 2 + 1;
    let (costs, stats) = derived_cost_points_counted(&[(1000.0, huge), (1000.0, huge)]);
    assert!(costs.is_empty(), "derived {costs:?}");
    assert_eq!(stats.cost_non_numeric_tokens, 1);
    // One short of overflowing still derives a point.
    let (costs, stats) = derived_cost_points_counted(&[(1000.0, huge), (1000.0, huge - 2)]);
    assert_eq!(costs.len(), 1);
    assert_eq!(stats.cost_non_numeric_tokens, 0);
}

#[test]
fn derived_metric_costs_are_finite_and_non_negative() {
    for sums in [
        vec![1000.0],
        vec![f64::NAN],
        vec![-1000.0],
        vec![f64::INFINITY],
        // Two points of the same series and window: their sum overflows.
        vec![1.5e308, 1.5e308],
    ] {
        for cost in derived_cost_points(&sums) {
            assert!(
                cost.is_finite() && cost >= 0.0,
                "{sums:?}: cost point sum {cost}"
            );
        }
    }
    assert_eq!(
        derived_cost_points(&[1000.0]).len(),
        1,
        "the normal case derives a point"
    );
}
