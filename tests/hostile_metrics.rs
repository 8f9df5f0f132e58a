//! Metric batches shaped to make the metric path slow or its counts wrong:
//! each costs time linear in its size, and what the stages write stays
//! exact. Times are asserted with a wide margin (the machine running the
//! tests may be shared and the build unoptimized): a bound far below what
//! the quadratic work these tests guard against took, and a ratio between
//! two sizes that linear work keeps and quadratic work breaks.

mod support;

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, HistogramDataPoint, Metric,
    NumberDataPoint, Sum,
};
use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::*;

/// One token usage point with `n` dotted attribute keys (each turned into
/// a label by naming), and with `n` more already spelled as those labels
/// when `taken` (so that no key may be renamed).
fn dotted_keys_batch(n: usize, taken: bool) -> Vec<u8> {
    let mut attrs: Vec<KeyValue> = (0..n).map(|i| kv(&format!("app.k{i}.x"), "v")).collect();
    if taken {
        attrs.extend((0..n).map(|i| kv(&format!("app_k{i}_x"), "w")));
    }
    attrs.push(kv("gen_ai.request.model", "gpt-4o"));
    let point = hist_point(attrs, 10.0, 2);
    let req = metrics(
        vec![kv("service.name", "svc")],
        vec![histogram(
            "gen_ai.client.token.usage",
            "{token}",
            vec![point],
        )],
    );
    req.encode_to_vec()
}

/// The quickest of three runs of `f` (the others pay for a busy machine).
fn quickest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .expect("three runs")
}

/// The points of the histogram named `name` in the batch `out`.
fn histogram_points(out: &[u8], name: &str) -> Vec<HistogramDataPoint> {
    let req = ExportMetricsServiceRequest::decode(out).expect("valid output");
    let metric = req
        .resource_metrics
        .into_iter()
        .flat_map(|rm| rm.scope_metrics)
        .flat_map(|sm| sm.metrics)
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"));
    let Some(Data::Histogram(h)) = metric.data else {
        panic!("{name} is not a histogram");
    };
    h.data_points
}

/// The keys of the first point of the histogram named `name`.
fn point_keys(out: &[u8], name: &str) -> Vec<String> {
    histogram_points(out, name)[0]
        .attributes
        .iter()
        .map(|kv| kv.key.clone())
        .collect()
}

/// Issue 24: label renaming compared every key of a point with every
/// other, and 40,000 dotted keys on one point (a 830 KB request) took
/// 25 s. Linear, it takes milliseconds: both the whole-batch and the
/// edits answer stay under 5 s here, and ten times the keys cost at most
/// 40 times the time (quadratic work: 100 times).
#[test]
fn forty_thousand_dotted_keys_on_one_point_take_linear_time() {
    let p = Processor::from_json(b"{}").unwrap();
    for taken in [false, true] {
        let (small, large) = (
            dotted_keys_batch(4_000, taken),
            dotted_keys_batch(40_000, taken),
        );
        for (what, call) in [
            (
                "process",
                Processor::process as fn(&Processor, Signal, &[u8]) -> _,
            ),
            ("process_edits", Processor::process_edits),
        ] {
            let run = |input: &[u8]| {
                call(&p, Signal::Metrics, input).expect("a valid batch");
            };
            let (t_small, t_large) = (quickest(|| run(&small)), quickest(|| run(&large)));
            let what =
                format!("{what}, labels taken: {taken}: 4k keys {t_small:?}, 40k {t_large:?}");
            assert!(t_large < Duration::from_secs(5), "{what}");
            assert!(
                t_large < 40 * t_small.max(Duration::from_millis(1)),
                "{what}"
            );
        }
        // Every key renamed, or none when every label is taken.
        let out = p.process(Signal::Metrics, &large).unwrap().output.unwrap();
        let keys = point_keys(&out, "gen_ai_client_token_usage");
        let renamed = keys.iter().filter(|k| k.starts_with("app_k")).count();
        let kept = keys.iter().filter(|k| k.starts_with("app.k")).count();
        match taken {
            false => assert_eq!((renamed, kept), (40_000, 0)),
            true => assert_eq!((renamed, kept), (40_000, 40_000)),
        }
    }
}

/// A cumulative monotonic counter (as OpenLIT's legacy ones) of one LLM
/// call's attribute set, one point per value, all in the same window.
fn openlit_counter(name: &str, values: &[i64]) -> Metric {
    let attrs = vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.request.model", "gpt-4o"),
    ];
    let point = |v| NumberDataPoint {
        attributes: attrs.clone(),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        time_unix_nano: 1_700_000_060_000_000_000,
        value: Some(number_data_point::Value::AsInt(v)),
        ..Default::default()
    };
    Metric {
        name: name.to_string(),
        unit: "1".to_string(),
        data: Some(Data::Sum(Sum {
            data_points: values.iter().copied().map(point).collect(),
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

/// Issue 24: two legacy request counter points of the same attribute set
/// and window (3 and 4 requests) and their token counter points. Each
/// token point pairs with one request point, in order, so the token usage
/// points count 3 and 4 operations and the derived cost counts the 7
/// requests (each token point took the last request count, 4, and the
/// cost counted 8). The cost is that of the same calls sent as one point.
#[test]
fn repeated_legacy_points_are_counted_once_in_the_derived_cost() {
    let p = Processor::from_json(b"{}").unwrap();
    let batch = |requests: &[i64], input: &[i64], output: &[i64]| {
        let req = metrics(
            vec![kv("service.name", "chatbot")],
            vec![
                openlit_counter("gen_ai.total.requests", requests),
                openlit_counter("gen_ai.usage.input_tokens", input),
                openlit_counter("gen_ai.usage.output_tokens", output),
            ],
        );
        let out = p.process(Signal::Metrics, &req.encode_to_vec()).unwrap();
        out.output.expect("legacy counters converted")
    };
    let repeated = batch(&[3, 4], &[300, 400], &[30, 40]);
    let single = batch(&[7], &[700], &[70]);
    let counts = |out: &[u8], name| -> Vec<u64> {
        histogram_points(out, name)
            .iter()
            .map(|p| p.count)
            .collect()
    };
    let operations = counts(&repeated, "gen_ai_client_operation_duration_seconds");
    assert_eq!(operations, [3, 4]);
    let tokens: Vec<(u64, Option<f64>)> = histogram_points(&repeated, "gen_ai_client_token_usage")
        .iter()
        .map(|p| (p.count, p.sum))
        .collect();
    assert_eq!(
        tokens,
        [
            (3, Some(300.0)),
            (4, Some(400.0)),
            (3, Some(30.0)),
            (4, Some(40.0))
        ]
    );
    let cost = |out: &[u8]| -> Vec<(u64, Option<f64>)> {
        histogram_points(out, "gen_ai_usage_cost_USD")
            .iter()
            .map(|p| (p.count, p.sum))
            .collect()
    };
    let (got, want) = (cost(&repeated), cost(&single));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, 7, "{got:?}");
    let (got_usd, want_usd) = (got[0].1.unwrap(), want[0].1.unwrap());
    assert!(
        (got_usd - want_usd).abs() <= 1e-12 * want_usd,
        "{got_usd} vs {want_usd}"
    );
}
