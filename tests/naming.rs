//! The naming stage through the public processor API: OTLP bytes in, OTLP
//! bytes out, as the collector calls it.

mod support;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, AggregationTemporality, Histogram, Metric, NumberDataPoint,
    Sum,
};
use otelcol_genai::{Processor, Signal, Stats};
use prost::Message;
use support::*;

/// Naming alone: the other stages are switched off so the assertions see
/// only what this stage does.
fn processor(naming: &str) -> Processor {
    let json = format!(
        r#"{{"normalize": {{"enabled": false}}, "cost": {{"enabled": false}}, "naming": {naming}}}"#
    );
    Processor::from_json(json.as_bytes()).expect("valid configuration")
}

fn run(
    p: &Processor,
    req: &ExportMetricsServiceRequest,
) -> (Option<ExportMetricsServiceRequest>, Stats) {
    let out = p.process(Signal::Metrics, &req.encode_to_vec()).unwrap();
    let decoded = out
        .output
        .map(|b| ExportMetricsServiceRequest::decode(b.as_slice()).unwrap());
    (decoded, out.stats)
}

fn all_metrics(req: &ExportMetricsServiceRequest) -> Vec<&Metric> {
    req.resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .collect()
}

fn metric<'a>(req: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    all_metrics(req)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}: {:?}", names(req)))
}

fn names(req: &ExportMetricsServiceRequest) -> Vec<String> {
    all_metrics(req).iter().map(|m| m.name.clone()).collect()
}

/// The data of the histogram with this (output) name.
fn histogram_data<'a>(req: &'a ExportMetricsServiceRequest, name: &str) -> &'a Histogram {
    match &metric(req, name).data {
        Some(Data::Histogram(h)) => h,
        other => panic!("{name}: histogram expected, got {other:?}"),
    }
}

fn labels(attrs: &[KeyValue]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = attrs
        .iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                Some(Value::IntValue(i)) => i.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect();
    v.sort();
    v
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = p
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

fn counter(name: &str, points: Vec<(Vec<KeyValue>, i64)>) -> Metric {
    Metric {
        name: name.to_string(),
        unit: "1".to_string(),
        data: Some(Data::Sum(Sum {
            data_points: points
                .into_iter()
                .map(|(attributes, v)| NumberDataPoint {
                    attributes,
                    start_time_unix_nano: 1_700_000_000_000_000_000,
                    time_unix_nano: 1_700_000_060_000_000_000,
                    value: Some(number_data_point::Value::AsInt(v)),
                    ..Default::default()
                })
                .collect(),
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

fn openlit_resource() -> Vec<KeyValue> {
    vec![
        kv("service.name", "chatbot"),
        kv("deployment.environment", "production"),
        kv("telemetry.sdk.name", "openlit"),
        kv("telemetry.sdk.language", "python"),
    ]
}

fn call_attrs(model: &str) -> Vec<KeyValue> {
    vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.request.model", model),
    ]
}

/// The metric names after the stage (configured by `naming`) changed a batch
/// of `list` from an OpenLIT-instrumented service: the shape of the tests
/// that only check which names come out.
fn openlit_names(naming: &str, list: Vec<Metric>) -> Vec<String> {
    let (out, _) = run(&processor(naming), &metrics(openlit_resource(), list));
    names(&out.expect("renamed"))
}

#[test]
fn dashboard_metrics_get_prometheus_names_and_labels() {
    let p = processor("{}");
    let mut with_error = call_attrs("gpt-4o");
    with_error.push(kv("error.type", "timeout"));
    let mut tokens = call_attrs("gpt-4o");
    tokens.push(kv("gen_ai.token.type", "input"));
    let req = metrics(
        openlit_resource(),
        vec![
            histogram(
                "gen_ai.client.operation.duration",
                "s",
                vec![hist_point(with_error, 2.5, 3)],
            ),
            histogram(
                "gen_ai.client.token.usage",
                "{token}",
                vec![hist_point(tokens, 300.0, 3)],
            ),
            histogram(
                "gen_ai.usage.cost",
                "USD",
                vec![hist_point(call_attrs("gpt-4o"), 0.03, 3)],
            ),
            histogram(
                "gen_ai.server.time_to_first_token",
                "s",
                vec![hist_point(call_attrs("gpt-4o"), 0.6, 3)],
            ),
        ],
    );
    let (out, stats) = run(&p, &req);
    let out = out.expect("renamed");
    assert_eq!(
        names(&out),
        [
            "gen_ai_client_operation_duration_seconds",
            "gen_ai_client_token_usage",
            "gen_ai_usage_cost_USD",
            "gen_ai_server_time_to_first_token_seconds",
        ]
    );
    assert_eq!(stats.metrics_renamed, 4);
    let h = histogram_data(&out, "gen_ai_client_operation_duration_seconds");
    assert_eq!(
        labels(&h.data_points[0].attributes),
        pairs(&[
            ("gen_ai_provider_name", "openai"),
            ("gen_ai_operation_name", "chat"),
            ("gen_ai_request_model", "gpt-4o"),
            ("error_type", "timeout"),
            ("service_name", "chatbot"),
            ("deployment_environment", "production"),
            ("telemetry_sdk_name", "openlit"),
            ("scope_name", "test"),
            ("scope_version", "1.0.0"),
        ])
    );
    // Values are untouched.
    assert_eq!(
        (h.data_points[0].count, h.data_points[0].sum),
        (3, Some(2.5))
    );
    // Units stay: VictoriaMetrics with -opentelemetry.usePrometheusNaming
    // finds them in the name already and does not append them again.
    assert_eq!(metric(&out, "gen_ai_usage_cost_USD").unit, "USD");

    // Idempotent: our output passes through unchanged.
    let (again, stats) = run(&p, &out);
    assert!(
        again.is_none(),
        "second pass changed {:?}",
        again.map(|r| names(&r))
    );
    assert_eq!(stats.metrics_renamed, 0);
}

#[test]
fn other_metrics_are_left_alone_unless_all_are_selected() {
    let req = plain_metrics();
    let (out, _) = run(&processor("{}"), &req);
    assert!(out.is_none(), "non-GenAI batch must pass unchanged");

    let (out, stats) = run(&processor(r#"{"metrics": "all"}"#), &req);
    let out = out.expect("renamed");
    assert_eq!(names(&out), ["http_server_request_duration_seconds"]);
    assert_eq!(stats.metrics_renamed, 1);

    let (out, _) = run(&processor(r#"{"metrics": "all", "enabled": false}"#), &req);
    assert!(out.is_none());
}

#[test]
fn include_prefixes_extend_the_genai_selection() {
    let req = plain_metrics();
    let (out, _) = run(&processor(r#"{"include_prefixes": ["http.server"]}"#), &req);
    assert_eq!(
        names(&out.expect("renamed")),
        ["http_server_request_duration_seconds"]
    );
}

#[test]
fn compat_option_shows_other_sdks_as_openlit_and_keeps_the_true_name() {
    let p = processor(r#"{"compat_sdk_name": "openlit"}"#);
    let req = metrics(
        vec![
            kv("service.name", "search"),
            kv("telemetry.sdk.name", "opentelemetry"),
        ],
        vec![histogram(
            "gen_ai.client.operation.duration",
            "s",
            vec![hist_point(call_attrs("claude"), 1.0, 1)],
        )],
    );
    let (out, _) = run(&p, &req);
    let out = out.unwrap();
    let h = histogram_data(&out, "gen_ai_client_operation_duration_seconds");
    let l = labels(&h.data_points[0].attributes);
    assert!(
        l.contains(&("telemetry_sdk_name".into(), "openlit".into())),
        "{l:?}"
    );
    assert!(
        l.contains(&("telemetry_sdk_original_name".into(), "opentelemetry".into())),
        "{l:?}"
    );
    // The resource keeps the truth.
    let res = &out.resource_metrics[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes;
    assert!(res.iter().any(|kv| kv.key == "telemetry.sdk.name"
        && kv.value.as_ref().and_then(|v| v.value.as_ref())
            == Some(&Value::StringValue("opentelemetry".into()))));
}

#[test]
fn early_openlit_counters_become_semconv_histograms() {
    let p = processor("{}");
    let req = metrics(
        openlit_resource(),
        vec![
            counter(
                "gen_ai.total.requests",
                vec![(call_attrs("gpt-4o"), 7), (call_attrs("gpt-4o-mini"), 2)],
            ),
            counter(
                "gen_ai.usage.prompt_tokens",
                vec![(call_attrs("gpt-4o"), 700), (call_attrs("gpt-4o-mini"), 40)],
            ),
            counter(
                "gen_ai.usage.completion_tokens",
                // Attribute order differs: still the same attribute set.
                vec![(call_attrs("gpt-4o").into_iter().rev().collect(), 350)],
            ),
            counter(
                "gen_ai.usage.total_tokens",
                vec![(call_attrs("gpt-4o"), 1050)],
            ),
            histogram(
                "gen_ai.usage.cost",
                "USD",
                vec![hist_point(call_attrs("gpt-4o"), 0.01, 7)],
            ),
        ],
    );
    let (out, _) = run(&p, &req);
    let out = out.unwrap();
    let mut got = names(&out);
    got.sort();
    assert_eq!(
        got,
        [
            "gen_ai_client_operation_duration_seconds",
            "gen_ai_client_token_usage",
            "gen_ai_usage_cost_USD",
            // VictoriaMetrics moves the first "total" token to the end.
            "gen_ai_usage_tokens_total",
        ]
    );
    // Requests: count exact, sum unknown, one +Inf bucket.
    let d = histogram_data(&out, "gen_ai_client_operation_duration_seconds");
    let counts: Vec<(u64, Option<f64>, Vec<u64>)> = d
        .data_points
        .iter()
        .map(|p| (p.count, p.sum, p.bucket_counts.clone()))
        .collect();
    assert_eq!(counts, [(7, None, vec![7]), (2, None, vec![2])]);
    assert!(d.data_points.iter().all(|p| p.explicit_bounds.is_empty()));
    // Tokens: sum = tokens, count = the paired request count.
    let t = histogram_data(&out, "gen_ai_client_token_usage");
    let mut tok: Vec<(String, String, u64, Option<f64>)> = t
        .data_points
        .iter()
        .map(|p| {
            let l = labels(&p.attributes);
            let get = |k: &str| l.iter().find(|(kk, _)| kk == k).unwrap().1.clone();
            (
                get("gen_ai_request_model"),
                get("gen_ai_token_type"),
                p.count,
                p.sum,
            )
        })
        .collect();
    tok.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(
        tok,
        [
            ("gpt-4o".into(), "input".into(), 7, Some(700.0)),
            ("gpt-4o".into(), "output".into(), 7, Some(350.0)),
            ("gpt-4o-mini".into(), "input".into(), 2, Some(40.0)),
        ]
    );
}

#[test]
fn openlit_counters_next_to_semconv_histograms_are_kept() {
    // OpenLIT 1.2x-1.36 sends both: converting would count every call twice.
    let list = vec![
        histogram(
            "gen_ai.client.operation.duration",
            "s",
            vec![hist_point(call_attrs("gpt-4o"), 3.0, 7)],
        ),
        histogram(
            "gen_ai.client.token.usage",
            "{token}",
            vec![hist_point(call_attrs("gpt-4o"), 700.0, 7)],
        ),
        counter("gen_ai.total.requests", vec![(call_attrs("gpt-4o"), 7)]),
        counter(
            "gen_ai.usage.input_tokens",
            vec![(call_attrs("gpt-4o"), 700)],
        ),
    ];
    assert_eq!(
        openlit_names("{}", list),
        [
            "gen_ai_client_operation_duration_seconds",
            "gen_ai_client_token_usage",
            "gen_ai_requests_total",
            "gen_ai_usage_input_tokens_total",
        ]
    );
}

#[test]
fn unpaired_token_counters_stay_under_their_legacy_name() {
    let list = vec![counter(
        "gen_ai.usage.input_tokens",
        vec![(call_attrs("gpt-4o"), 10)],
    )];
    assert_eq!(
        openlit_names("{}", list),
        ["gen_ai_usage_input_tokens_total"]
    );
}

#[test]
fn openllmetry_histograms_get_current_names_and_implied_attributes() {
    let p = processor("{}");
    let req = metrics(
        vec![
            kv("service.name", "rag"),
            kv("telemetry.sdk.name", "opentelemetry"),
        ],
        vec![
            histogram(
                "llm.openai.chat_completions.streaming_time_to_first_token",
                "s",
                vec![hist_point(
                    vec![kv("gen_ai.response.model", "gpt-4o")],
                    0.4,
                    2,
                )],
            ),
            histogram(
                "llm.openai.embeddings.duration",
                "s",
                vec![hist_point(vec![kv("gen_ai.system", "openai")], 0.2, 5)],
            ),
            histogram(
                "llm.openai.chat_completions.duration",
                "ms",
                vec![hist_point(vec![], 200.0, 1)],
            ),
        ],
    );
    let (out, _) = run(&p, &req);
    let out = out.unwrap();
    assert_eq!(
        names(&out),
        [
            "gen_ai_server_time_to_first_token_seconds",
            "gen_ai_client_operation_duration_seconds",
            // Milliseconds would need rescaling: renamed as it is.
            "llm_openai_chat_completions_duration_milliseconds",
        ]
    );
    let attrs_of = |name| labels(&histogram_data(&out, name).data_points[0].attributes);
    let ttft = attrs_of("gen_ai_server_time_to_first_token_seconds");
    assert!(
        ttft.contains(&("gen_ai_provider_name".into(), "openai".into())),
        "{ttft:?}"
    );
    assert!(ttft.contains(&("gen_ai_operation_name".into(), "chat".into())));
    let emb = attrs_of("gen_ai_client_operation_duration_seconds");
    // gen_ai.system is there: the normalizer maps it, we do not add a second provider.
    assert!(
        !emb.iter().any(|(k, _)| k == "gen_ai_provider_name"),
        "{emb:?}"
    );
    assert!(emb.contains(&("gen_ai_operation_name".into(), "embeddings".into())));
}

#[test]
fn legacy_upgrade_can_be_switched_off() {
    let list = vec![counter(
        "gen_ai.total.requests",
        vec![(call_attrs("gpt-4o"), 3)],
    )];
    assert_eq!(
        openlit_names(r#"{"upgrade_legacy": false}"#, list),
        ["gen_ai_requests_total"]
    );
}

#[test]
fn configuration_errors_name_the_field() {
    let cases = [
        (r#"{"naming": {"metric": "all"}}"#, "naming.metric"),
        (r#"{"naming": {"metrics": "some"}}"#, "naming.metrics"),
        (
            r#"{"naming": {"resource_attributes": ["a", ""]}}"#,
            "naming.resource_attributes[1]",
        ),
        (
            r#"{"naming": {"include_prefixes": [""]}}"#,
            "naming.include_prefixes[0]",
        ),
        (
            r#"{"naming": {"compat_sdk_name": "openlit", "original_sdk_name_label": "sdk.name"}}"#,
            "naming.original_sdk_name_label",
        ),
        (
            r#"{"naming": {"compat_sdk_name": "openlit", "original_sdk_name_label": "telemetry_sdk_name"}}"#,
            "naming.original_sdk_name_label",
        ),
    ];
    for (json, field) in cases {
        let err = Processor::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.field, field, "{json}: {err}");
    }
}

/// Issue 24: two OTLP names that naming turns into one VictoriaMetrics
/// name are counted, on every path, and renamed all the same (naming
/// does not decide which one VictoriaMetrics keeps).
#[test]
fn names_that_collide_after_naming_are_counted() {
    let p = processor("{}");
    let point = || vec![hist_point(call_attrs("gpt-4o"), 1.0, 1)];
    let scope = || {
        vec![
            histogram("gen_ai.a.b", "", point()),
            histogram("gen_ai_a_b", "", point()),
            histogram("gen_ai.a.b", "", point()),
            // The unit gives the same name.
            histogram("gen_ai.wait", "s", point()),
            histogram("gen_ai.wait.seconds", "", point()),
            histogram("gen_ai.other", "", point()),
        ]
    };
    let mut req = metrics(openlit_resource(), scope());
    // Another resource with the same metrics: its metrics collide with
    // the first ones of their names too.
    req.resource_metrics.push(req.resource_metrics[0].clone());
    let input = req.encode_to_vec();
    for (path, call) in [
        (
            "process",
            Processor::process as fn(&Processor, Signal, &[u8]) -> _,
        ),
        ("process_edits", Processor::process_edits),
        ("process_reference", Processor::process_reference),
    ] {
        let out = call(&p, Signal::Metrics, &input).unwrap();
        // gen_ai_a_b twice, gen_ai.wait.seconds twice.
        assert_eq!(out.stats.metric_name_collisions, 4, "{path}");
    }
    let (out, stats) = run(&p, &req);
    assert_eq!(stats.metric_name_collisions, 4);
    assert_eq!(
        names(&out.unwrap())[..6],
        [
            "gen_ai_a_b",
            "gen_ai_a_b",
            "gen_ai_a_b",
            "gen_ai_wait_seconds",
            "gen_ai_wait_seconds",
            "gen_ai_other",
        ]
    );
    // Names that do not collide are not counted.
    let (_, stats) = run(&p, &metrics(openlit_resource(), scope().split_off(5)));
    assert_eq!(stats.metric_name_collisions, 0);
}
