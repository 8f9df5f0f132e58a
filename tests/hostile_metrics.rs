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
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
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

/// The keys of the first point of the first metric named `name`.
fn point_keys(out: &[u8], name: &str) -> Vec<String> {
    let req = ExportMetricsServiceRequest::decode(out).expect("valid output");
    let metric = req
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"));
    let Some(Data::Histogram(h)) = &metric.data else {
        panic!("{name} is not a histogram");
    };
    h.data_points[0]
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
