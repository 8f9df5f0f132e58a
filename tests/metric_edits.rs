//! Metric batches answered as edits (`Processor::process_edits`, the call
//! the Go component makes): applied to the input with pdata's semantics,
//! the edits must give exactly the batch the processor would otherwise
//! return whole, with the same counters; batches edits cannot express come
//! back whole. Batches: the metrics workload, GenAI mixed with plain
//! metrics, a scope that already has a cost histogram (derived points are
//! appended to it), and the captured output of real instrumentations.
//! The whole output (`Processor::process`, the same edits applied to the
//! input's bytes) must also agree with the reference prost path.

mod support;

use std::path::PathBuf;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, ExponentialHistogram,
    ExponentialHistogramDataPoint, Gauge, Metric, NumberDataPoint, ScopeMetrics, Sum, Summary,
    SummaryDataPoint,
};
use otelcol_genai::metric_points::for_each_point_attrs;
use otelcol_genai::naming::legacy;
use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::workloads::{genai_metrics, plain_workload};

const CONFIGS: &[&str] = &[
    "{}",
    r#"{"naming":{"enabled":false}}"#,
    r#"{"cost":{"enabled":false}}"#,
    r#"{"naming":{"scope_labels":false,"compat_sdk_name":""}}"#,
    r#"{"naming":{"metrics":"all","upgrade_legacy":false}}"#,
    r#"{"normalize":{"overwrite":true,"remove_originals":true},"cost":{"breakdown":true}}"#,
];

fn batches() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![(
        "genai_metrics".to_string(),
        genai_metrics(300).encode_to_vec(),
    )];
    let (_, plain, _) = plain_workload(50);
    let mut mixed = genai_metrics(40);
    mixed.resource_metrics.extend(plain.resource_metrics);
    mixed
        .resource_metrics
        .extend(genai_metrics(7).resource_metrics);
    out.push(("mixed".into(), mixed.encode_to_vec()));
    out.push((
        "with a cost histogram".into(),
        with_cost_histogram().encode_to_vec(),
    ));
    out.push((
        "a cost point after the token usage it prices".into(),
        priced_after_token_usage().encode_to_vec(),
    ));
    out.push(("legacy counters".into(), legacy_counters().encode_to_vec()));
    out.push((
        "repeated lists with a value that does not coerce".into(),
        uncoercible_on_every_point().encode_to_vec(),
    ));
    out.push((
        "every point type".into(),
        every_point_type().encode_to_vec(),
    ));
    out.push((
        "attribute fields split by other fields".into(),
        split_attribute_fields(),
    ));
    let captured = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/captured");
    for dir in std::fs::read_dir(&captured).expect("captured fixtures") {
        let dir = dir.unwrap().path();
        if let Ok(bytes) = std::fs::read(dir.join("metrics.pb")) {
            out.push((dir.file_name().unwrap().to_string_lossy().into(), bytes));
        }
    }
    out
}

fn scopes(req: &mut ExportMetricsServiceRequest) -> impl Iterator<Item = &mut ScopeMetrics> {
    req.resource_metrics
        .iter_mut()
        .flat_map(|rm| &mut rm.scope_metrics)
}

/// The workload with `gen_ai.request.max_tokens` (an int) given as a
/// word on every point: each list fails coercion and is counted, though it
/// comes back unchanged, and the lists repeat from metric to metric.
fn uncoercible_on_every_point() -> ExportMetricsServiceRequest {
    let mut req = genai_metrics(40);
    for sm in scopes(&mut req) {
        for metric in &mut sm.metrics {
            for_each_point_attrs(metric, |attrs| {
                attrs.push(KeyValue {
                    key: "gen_ai.request.max_tokens".into(),
                    value: Some(AnyValue {
                        value: Some(Value::StringValue("many".into())),
                    }),
                    ..Default::default()
                })
            });
        }
    }
    req
}

/// A token usage histogram whose points repeat one attribute list, the
/// later ones with more attributes after the point's other fields (as no
/// marshaler writes them, but protobuf allows): an old semconv key there
/// must be normalized though the attributes before it are a list
/// normalization left alone on an earlier point.
fn split_attribute_fields() -> Vec<u8> {
    use support::len_field as field;
    let attr = |k: &str, v: &str| field(9, &support::kv(k, v).encode_to_vec());
    let head = [
        attr("gen_ai.request.model", "gpt-4o"),
        attr("gen_ai.token.type", "input"),
    ]
    .concat();
    let numbers = support::hist_point(vec![], 12.0, 1).encode_to_vec();
    let old_key = attr("gen_ai.system", "openai");
    let points = [
        [head.as_slice(), &numbers].concat(),
        [head.as_slice(), &numbers, &old_key].concat(),
        [head.as_slice(), &old_key, &numbers].concat(),
        [head.as_slice(), &numbers].concat(),
    ];
    let mut histogram: Vec<u8> = points.iter().flat_map(|p| field(1, p)).collect();
    histogram.extend([16, AggregationTemporality::Delta as u8]);
    let mut metric = support::histogram("gen_ai.client.token.usage", "{token}", vec![]);
    metric.data = None;
    let metric = [metric.encode_to_vec(), field(9, &histogram)].concat();
    let mut req = support::metrics(vec![support::kv("service.name", "split")], vec![]);
    let rm = &mut req.resource_metrics[0];
    let mut scope = rm.scope_metrics.remove(0).encode_to_vec();
    scope.extend(field(2, &metric));
    let rm = [rm.encode_to_vec(), field(2, &scope)].concat();
    field(1, &rm)
}

/// The workload with, in every scope, a cost histogram of the token usage
/// histogram's temporality holding one point of another model: the derived
/// points join it.
fn with_cost_histogram() -> ExportMetricsServiceRequest {
    let mut req = genai_metrics(60);
    for sm in scopes(&mut req) {
        let Some(temporality) = sm.metrics.iter().find_map(|m| match &m.data {
            Some(Data::Histogram(h)) if m.name == "gen_ai.client.token.usage" => {
                Some(h.aggregation_temporality)
            }
            _ => None,
        }) else {
            continue;
        };
        let point = support::hist_point(
            vec![support::kv("gen_ai.request.model", "elsewhere-priced")],
            0.5,
            1,
        );
        let mut cost = support::histogram("gen_ai.usage.cost", "USD", vec![point]);
        if let Some(Data::Histogram(h)) = cost.data.as_mut() {
            h.aggregation_temporality = temporality;
        }
        sm.metrics.insert(0, cost);
    }
    req
}

/// The workload with, in every scope, a point of the cost histogram (the
/// scope's last metric) for the attribute set of the first token usage
/// point: the walk meets the cost after the tokens it prices, the prost
/// path both at once.
fn priced_after_token_usage() -> ExportMetricsServiceRequest {
    let mut req = genai_metrics(60);
    for sm in scopes(&mut req) {
        let tokens = sm.metrics.iter().find_map(|m| match &m.data {
            Some(Data::Histogram(h)) if m.name == "gen_ai.client.token.usage" => {
                h.data_points.first()
            }
            _ => None,
        });
        let Some(first) = tokens else { continue };
        let mut attrs = first.attributes.clone();
        attrs.retain(|kv| kv.key != "gen_ai.token.type");
        let point = support::hist_point(attrs, 0.75, first.count);
        let cost = sm
            .metrics
            .iter_mut()
            .rev()
            .find(|m| m.name == "gen_ai.usage.cost");
        match cost.and_then(|m| m.data.as_mut()) {
            Some(Data::Histogram(h)) => h.data_points.push(point),
            _ => panic!("the workload's scopes end with a cost histogram"),
        }
    }
    req
}

/// GenAI metrics of every type: gauges, a monotonic sum (renamed with
/// `_total`), a summary, exponential histograms of token usage (priced
/// into a new cost histogram) and of cost (of another model), a metric
/// without data, and metadata overriding the Prometheus type.
fn every_point_type() -> ExportMetricsServiceRequest {
    let attrs = |token_type: &str| {
        vec![
            support::kv("gen_ai.system", "openai"),
            support::kv("gen_ai.request.model", "gpt-4o"),
            support::kv("gen_ai.token.type", token_type),
        ]
    };
    let number = |token_type: &str| NumberDataPoint {
        attributes: attrs(token_type),
        time_unix_nano: 1_700_000_060_000_000_000,
        value: Some(number_data_point::Value::AsDouble(3.0)),
        ..Default::default()
    };
    let exponential = |token_type: &str, sum: f64| ExponentialHistogramDataPoint {
        attributes: attrs(token_type),
        start_time_unix_nano: 1_700_000_000_000_000_000,
        time_unix_nano: 1_700_000_060_000_000_000,
        count: 4,
        sum: Some(sum),
        scale: 2,
        ..Default::default()
    };
    let metric = |name: &str, unit: &str, data: Data| Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    };
    let temporality = AggregationTemporality::Delta as i32;
    let mut typed = metric(
        "gen_ai.client.operation.count",
        "{operation}",
        Data::Sum(Sum {
            data_points: vec![number("input")],
            aggregation_temporality: temporality,
            is_monotonic: true,
        }),
    );
    typed.metadata = vec![support::kv("prometheus.type", "unknown")];
    support::metrics(
        vec![support::kv("service.name", "chatbot")],
        vec![
            metric(
                "gen_ai.usage.cost",
                "USD",
                Data::ExponentialHistogram(ExponentialHistogram {
                    data_points: vec![ExponentialHistogramDataPoint {
                        attributes: vec![support::kv("gen_ai.request.model", "elsewhere")],
                        ..exponential("input", 0.1)
                    }],
                    aggregation_temporality: temporality,
                }),
            ),
            metric(
                "gen_ai.server.queue.size",
                "1",
                Data::Gauge(Gauge {
                    data_points: vec![number("input"), number("output")],
                }),
            ),
            metric(
                "gen_ai.client.request.count",
                "{request}",
                Data::Sum(Sum {
                    data_points: vec![number("output")],
                    aggregation_temporality: temporality,
                    is_monotonic: true,
                }),
            ),
            typed,
            metric(
                "gen_ai.server.request.duration",
                "s",
                Data::Summary(Summary {
                    data_points: vec![SummaryDataPoint {
                        attributes: attrs("input"),
                        count: 2,
                        sum: 0.5,
                        ..Default::default()
                    }],
                }),
            ),
            metric(
                "gen_ai.client.token.usage",
                "{token}",
                Data::ExponentialHistogram(ExponentialHistogram {
                    data_points: vec![exponential("input", 1200.0), exponential("output", 300.0)],
                    aggregation_temporality: temporality,
                }),
            ),
            Metric {
                name: "gen_ai.client.empty".into(),
                ..Default::default()
            },
        ],
    )
}

/// OpenLIT's legacy request and token counters, which the legacy upgrade
/// turns into histograms.
fn legacy_counters() -> ExportMetricsServiceRequest {
    let counter = |name: &str, value: i64| Metric {
        name: name.into(),
        unit: "1".into(),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                attributes: vec![
                    support::kv("gen_ai.provider.name", "openai"),
                    support::kv("gen_ai.request.model", "gpt-4o"),
                ],
                time_unix_nano: 1_700_000_060_000_000_000,
                value: Some(number_data_point::Value::AsInt(value)),
                ..Default::default()
            }],
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    support::metrics(
        vec![support::kv("service.name", "chatbot")],
        vec![
            counter("gen_ai.total.requests", 7),
            counter("gen_ai.usage.prompt_tokens", 700),
        ],
    )
}

fn has_legacy_names(input: &[u8]) -> bool {
    let req = ExportMetricsServiceRequest::decode(input).unwrap();
    req.resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .any(|m| legacy::legacy_names().any(|n| n == m.name))
}

/// Runs `input` through the edits and the reference path: the edits,
/// applied to the input (`Processor::process`), give the reference's
/// output; returns whether they came as edits.
fn check(p: &Processor, input: &[u8], what: &str) -> Option<bool> {
    let reference = p
        .process_reference(Signal::Metrics, input)
        .expect("accepted");
    let edited = p.process_edits(Signal::Metrics, input).expect("accepted");
    assert_eq!(edited.stats, reference.stats, "{what}: counters");
    assert_eq!(edited.unknown_models, reference.unknown_models, "{what}");
    assert_eq!(
        edited.output.is_some(),
        reference.output.is_some(),
        "{what}: changed flag"
    );
    let output = edited.output.as_ref()?;
    let decoded = |b: &[u8]| format!("{:?}", ExportMetricsServiceRequest::decode(b).unwrap());
    let want = decoded(reference.output.as_deref()?);
    if !edited.edits {
        assert!(decoded(output) == want, "{what}: whole output");
        return Some(false);
    }
    let applied = p.process(Signal::Metrics, input).expect("accepted");
    let got = decoded(applied.output.as_deref().expect("changed"));
    assert!(got == want, "{what}: edits give\n{got}\nnot\n{want}");
    Some(true)
}

#[test]
fn metric_edits_applied_to_the_input_give_the_output() {
    let batches = batches();
    assert!(batches.len() >= 5, "captured fixtures missing");
    let (mut as_edits, mut whole, mut walked) = (0, 0, 0);
    for config in CONFIGS {
        let p = Processor::from_json(config.as_bytes()).expect("valid config");
        for (name, input) in &batches {
            // The wire walk answers every batch but those with legacy
            // metrics to upgrade and those whose points lose per-request
            // attributes to the cardinality guard (their series are then
            // added up), which take the prost path.
            let upgrades = !config.contains(r#""naming":{"enabled":false"#)
                && !config.contains(r#""upgrade_legacy":false"#);
            let guarded = p
                .process_reference(Signal::Metrics, input)
                .is_ok_and(|o| o.stats.point_attributes_dropped > 0);
            let walks = !(guarded || upgrades && has_legacy_names(input));
            assert_eq!(
                p.walks_metrics(input),
                walks,
                "{name} with {config}: walked"
            );
            walked += usize::from(walks);
            match check(&p, input, &format!("{name} with {config}")) {
                Some(true) => as_edits += 1,
                Some(false) => {
                    // Only batches the walk leaves to the prost path (legacy
                    // counters become histograms; guarded series are added
                    // up) are sent whole.
                    assert!(!walks, "{name} with {config}: walked, yet sent whole");
                    whole += 1;
                }
                None => {}
            }
        }
    }
    eprintln!("{as_edits} metric batches as edits ({walked} walked on the wire), {whole} whole");
    assert!(
        as_edits >= 5 * CONFIGS.len() - 2 && whole >= CONFIGS.len() - 2,
        "{as_edits} as edits, {whole} whole"
    );
}

/// The whole output (`Processor::process`: the walk's edits applied to
/// the input's bytes) against the reference prost path.
#[test]
fn metrics_processed_on_the_wire_agree_with_the_reference() {
    let batches = batches();
    let mut changed = 0;
    for config in CONFIGS {
        let p = Processor::from_json(config.as_bytes()).expect("valid config");
        for (name, input) in &batches {
            let what = format!("{name} with {config}");
            let reference = p
                .process_reference(Signal::Metrics, input)
                .expect("reference accepts");
            let wire = p.process(Signal::Metrics, input).expect("accepted");
            assert_eq!(wire.stats, reference.stats, "{what}: counters");
            assert_eq!(wire.unknown_models, reference.unknown_models, "{what}");
            let decoded = |o: &Option<Vec<u8>>| {
                o.as_ref().map(|b| {
                    let req = ExportMetricsServiceRequest::decode(&b[..]).expect("decodes");
                    format!("{req:?}")
                })
            };
            let (w, r) = (decoded(&wire.output), decoded(&reference.output));
            assert!(
                w == r,
                "{what}: outputs differ\nwire:      {w:?}\nreference: {r:?}"
            );
            changed += usize::from(r.is_some());
        }
    }
    // Only the plain-only batches a configuration leaves alone may stay
    // unchanged: the comparison must have seen changed output.
    assert!(
        changed >= batches.len() * (CONFIGS.len() - 1),
        "only {changed} runs changed anything"
    );
}

#[test]
fn derived_points_join_an_existing_cost_histogram() {
    let p = Processor::from_json(b"{}").unwrap();
    let input = with_cost_histogram().encode_to_vec();
    let out = p.process_edits(Signal::Metrics, &input).unwrap();
    assert!(out.edits);
    // Target 7 (points appended to a metric) occurs, and no cost metric is
    // appended to a scope that has one.
    let targets = otelcol_genai::edit_targets(&out.output.unwrap()).unwrap();
    assert!(targets.contains(&7), "{targets:?}");
    assert!(!targets.contains(&8), "{targets:?}");
}

#[test]
fn every_point_type_is_walked_renamed_and_priced() {
    let p = Processor::from_json(b"{}").unwrap();
    let input = every_point_type().encode_to_vec();
    assert!(p.walks_metrics(&input));
    let out = p.process_edits(Signal::Metrics, &input).unwrap();
    assert!(out.edits);
    assert_eq!(out.stats.cost_points_derived, 1, "{:?}", out.stats);
    // Point labels (5), metric renames (6) and the new cost histogram (8).
    let targets = otelcol_genai::edit_targets(&out.output.unwrap()).unwrap();
    for target in [5, 6, 8] {
        assert!(targets.contains(&target), "{targets:?}");
    }
}

/// The promise the Go component relies on to skip marshaling: a metric
/// batch none of whose metric names is a GenAI one and none of whose
/// resource or point attribute keys is a GenAI key comes back unchanged,
/// with no counters, whatever its values, descriptions and scopes say.
#[test]
fn batches_without_genai_names_or_keys_come_back_unchanged() {
    let mut req = plain_workload(30).1;
    for rm in &mut req.resource_metrics {
        let resource = rm.resource.get_or_insert_default();
        resource
            .attributes
            .push(support::kv("deployment.environment", "gen_ai.prod"));
        for sm in &mut rm.scope_metrics {
            sm.scope.get_or_insert_default().name = "gen_ai.instrumentation".into();
            for m in &mut sm.metrics {
                m.description = "gen_ai.client.token.usage".into();
                if let Some(Data::Histogram(h)) = m.data.as_mut() {
                    for p in &mut h.data_points {
                        p.attributes
                            .push(support::kv("app.note", "gen_ai.usage.input_tokens"));
                    }
                }
            }
        }
    }
    let input = req.encode_to_vec();
    let p = Processor::from_json(b"{}").unwrap();
    for (what, out) in [
        ("whole", p.process(Signal::Metrics, &input).unwrap()),
        ("edits", p.process_edits(Signal::Metrics, &input).unwrap()),
    ] {
        assert!(out.output.is_none(), "{what}: changed");
        assert_eq!(out.stats, Default::default(), "{what}: counters");
    }
    assert!(p.walks_metrics(&input));
    // One GenAI point key, or naming every metric, makes it a GenAI batch.
    let mut keyed = req.clone();
    if let Some(Data::Histogram(h)) = keyed.resource_metrics[0].scope_metrics[0].metrics[0]
        .data
        .as_mut()
    {
        h.data_points[0]
            .attributes
            .push(support::kv("gen_ai.system", "openai"));
    }
    let all = Processor::from_json(br#"{"naming":{"metrics":"all"}}"#).unwrap();
    for (p, input) in [(&p, keyed.encode_to_vec()), (&all, input)] {
        assert_eq!(check(p, &input, "genai content"), Some(true));
    }
}

#[test]
fn a_point_repeating_a_key_the_edits_move_comes_back_whole() {
    let p = Processor::from_json(b"{}").unwrap();
    let mut req = genai_metrics(4);
    let Some(Data::Histogram(h)) = req.resource_metrics[0].scope_metrics[0].metrics[0]
        .data
        .as_mut()
    else {
        panic!("the workload starts with a histogram");
    };
    let first = h.data_points[0].attributes[0].clone();
    h.data_points[0].attributes.push(first);
    let input = req.encode_to_vec();
    assert_eq!(check(&p, &input, "repeated key"), Some(false));
}

/// Points with the same keys: the walk repeats the last point's edits
/// instead of computing labels again (`Edits::repeat_positional`), which
/// must still leave every point its own values and its own scope's labels:
/// values differing where the last point's were equal (request and
/// response model), a value normalization rewrites (an older provider
/// spelling), the SDK-name attribute whose value naming reads for the
/// dashboard-compatibility label (with `compat_sdk_name` and no SDK name on
/// the resource), and the same keys met again in the next scope and the
/// next resource.
#[test]
fn points_of_the_same_keys_keep_their_own_values() {
    use otelcol_genai::attrs::{kv, set, string};

    let mut req = genai_metrics(4);
    let rm = &mut req.resource_metrics[0];
    let resource = rm.resource.as_mut().unwrap();
    resource
        .attributes
        .retain(|kv| kv.key != "telemetry.sdk.name");
    let sm = &mut rm.scope_metrics[0];
    for (m, sdk) in [(0, false), (1, true)] {
        let Some(Data::Histogram(h)) = sm.metrics[m].data.as_mut() else {
            panic!("the workload starts with two histograms");
        };
        let template = h.data_points[0].clone();
        let point = |i: usize, provider: &str, request: &str, response: &str| {
            let mut p = template.clone();
            set(&mut p.attributes, "gen_ai.provider.name", string(provider));
            set(&mut p.attributes, "gen_ai.request.model", string(request));
            set(&mut p.attributes, "gen_ai.response.model", string(response));
            if sdk {
                let name = if i == 6 { "traceloop" } else { "openlit" };
                p.attributes.push(kv("telemetry.sdk.name", string(name)));
            }
            p
        };
        h.data_points = vec![
            point(0, "openai", "gpt-4o", "gpt-4o"),
            point(1, "openai", "gpt-4o", "gpt-4o-2024-08-06"),
            point(2, "openai", "gpt-4o-mini", "gpt-4o-mini"),
            point(3, "azure_openai", "gpt-4o", "gpt-4o"),
            point(4, "openai", "gpt-4o", "gpt-4o-mini"),
            point(5, "openai", "gpt-4o-mini", "gpt-4o"),
            point(6, "openai", "gpt-4o-mini", "gpt-4o"),
        ];
    }
    // The scope ends and the next one starts with points of the same keys.
    sm.metrics.truncate(2);
    let first = sm.metrics[0].clone();
    sm.metrics.push(first);
    let mut next_scope = sm.clone();
    next_scope.scope.as_mut().unwrap().version = "9.9.9".into();
    rm.scope_metrics = vec![rm.scope_metrics[0].clone(), next_scope];
    let mut next_resource = rm.clone();
    let resource = next_resource.resource.as_mut().unwrap();
    set(&mut resource.attributes, "service.name", string("another"));
    req.resource_metrics = vec![req.resource_metrics[0].clone(), next_resource];
    let input = req.encode_to_vec();
    let compat = r#"{"naming":{"compat_sdk_name":"openlit"}}"#;
    for config in CONFIGS.iter().chain([&compat]) {
        let p = Processor::from_json(config.as_bytes()).unwrap();
        assert!(p.walks_metrics(&input), "{config}");
        check(&p, &input, &format!("same keys with {config}"));
    }
}
