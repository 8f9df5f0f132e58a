//! Cost on spans and log records through the whole processor: golden cases
//! per provider family (hand-computed from the built-in prices and checked
//! against a golden file), and the rules for existing costs, unknown models,
//! missing or broken token counts, breakdown and accounting overrides.
//!
//! `GENAI_BLESS=1 cargo test --test pricing` rewrites
//! tests/fixtures/pricing/golden_costs.txt; review the diff by eye.

mod support;

use std::fmt::Write as _;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use otelcol_genai::{Processor, Signal, Stats};
use prost::Message;
use support::kv;

const GOLDEN: &str = "tests/fixtures/pricing/golden_costs.txt";

fn processor(config: &str) -> Processor {
    Processor::from_json(config.as_bytes()).expect("valid config")
}

/// Runs one span through the processor; returns its attributes and the stats.
fn run(p: &Processor, attrs: Vec<KeyValue>) -> (Vec<KeyValue>, Stats, Vec<String>) {
    let req = support::traces(vec![], vec![support::span("chat", attrs)]);
    let input = req.encode_to_vec();
    let out = p.process(Signal::Traces, &input).expect("valid batch");
    let bytes = out.output.unwrap_or(input);
    let req = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
    let span = req.resource_spans[0].scope_spans[0].spans[0].clone();
    (span.attributes, out.stats, out.unknown_models)
}

fn double(attrs: &[KeyValue], key: &str) -> Option<f64> {
    match otelcol_genai::attrs::get(attrs, key) {
        Some(Value::DoubleValue(d)) => Some(*d),
        _ => None,
    }
}

fn cost(attrs: &[KeyValue]) -> Option<f64> {
    double(attrs, "gen_ai.usage.cost")
}

fn assert_close(got: f64, want: f64, what: &str) {
    let tol = 1e-12_f64.max(want.abs() * 1e-9);
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want}");
}

/// Asserts that a cost was written on `attrs` and is `want`.
fn assert_cost(attrs: &[KeyValue], want: f64, what: &str) {
    let got = cost(attrs).unwrap_or_else(|| panic!("{what}: no cost written"));
    assert_close(got, want, what);
}

struct Case {
    name: &'static str,
    attrs: Vec<KeyValue>,
    /// Hand-computed from the prices in rust/pricing/data.
    want: f64,
}

fn call(provider: &str, model: &str, tokens: &[(&str, i64)]) -> Vec<KeyValue> {
    let mut a = vec![
        kv("gen_ai.provider.name", provider),
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.request.model", model),
    ];
    for (k, v) in tokens {
        a.push(kv(&format!("gen_ai.usage.{k}"), *v));
    }
    a
}

/// The call most rule tests price: gpt-4o, 1000 input and 100 output tokens.
fn gpt_4o_call() -> Vec<KeyValue> {
    call(
        "openai",
        "gpt-4o",
        &[("input_tokens", 1000), ("output_tokens", 100)],
    )
}

/// The cost of [`gpt_4o_call`] in USD: gpt-4o's built-in $2.50 input and $10
/// output per 1M tokens.
const GPT_4O_CALL_USD: f64 = 1000.0 * 2.5e-6 + 100.0 * 1e-5;

fn cases() -> Vec<Case> {
    vec![
        Case {
            // OpenAI: input includes the cached tokens, output the reasoning tokens.
            name: "openai o1 cached + reasoning",
            attrs: call(
                "openai",
                "o1",
                &[
                    ("input_tokens", 2000),
                    ("cache_read.input_tokens", 1000),
                    ("output_tokens", 500),
                    ("reasoning.output_tokens", 300),
                ],
            ),
            want: 1000.0 * 1.5e-5 + 1000.0 * 7.5e-6 + 500.0 * 6e-5,
        },
        Case {
            name: "openai gpt-4o dated version falls back",
            attrs: call(
                "openai",
                "gpt-4o-2099-01-01",
                &[("input_tokens", 1000), ("output_tokens", 100)],
            ),
            want: 1000.0 * 2.5e-6 + 100.0 * 1e-5,
        },
        Case {
            // Anthropic's API reports input without cache tokens; 1h writes cost more.
            name: "anthropic cache creation 5m + 1h",
            attrs: call(
                "anthropic",
                "claude-sonnet-4-5-20250929",
                &[
                    ("input_tokens", 100),
                    ("cache_read.input_tokens", 2000),
                    ("cache_creation.input_tokens", 1000),
                    ("cache_creation_1h.input_tokens", 400),
                    ("output_tokens", 300),
                ],
            ),
            want: 100.0 * 3e-6 + 2000.0 * 3e-7 + 600.0 * 3.75e-6 + 400.0 * 6e-6 + 300.0 * 1.5e-5,
        },
        Case {
            name: "bedrock apac region prefix",
            attrs: call(
                "aws.bedrock",
                "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
                &[
                    ("input_tokens", 1000),
                    ("cache_read.input_tokens", 500),
                    ("output_tokens", 100),
                ],
            ),
            want: 1000.0 * 3e-6 + 500.0 * 3e-7 + 100.0 * 1.5e-5,
        },
        Case {
            name: "bedrock global route with response model",
            attrs: {
                let mut a = call(
                    "aws.bedrock",
                    "claude-3-5-sonnet",
                    &[("input_tokens", 10), ("output_tokens", 10)],
                );
                a.push(kv(
                    "gen_ai.response.model",
                    "global.anthropic.claude-3-5-sonnet-20240620-v1:0",
                ));
                a
            },
            want: 10.0 * 3e-6 + 10.0 * 1.5e-5,
        },
        Case {
            name: "gemini 2.5 pro below the 200k tier",
            attrs: call(
                "gcp.gemini",
                "gemini-2.5-pro",
                &[("input_tokens", 1000), ("output_tokens", 100)],
            ),
            want: 1000.0 * 1.25e-6 + 100.0 * 1e-5,
        },
        Case {
            name: "gemini 2.5 pro above the 200k tier",
            attrs: call(
                "gcp.gemini",
                "gemini-2.5-pro",
                &[("input_tokens", 250_000), ("output_tokens", 1000)],
            ),
            want: 250_000.0 * 2.5e-6 + 1000.0 * 1.5e-5,
        },
        Case {
            // Gemini reports thoughts apart from candidates: reasoning on top.
            name: "gemini flash reasoning on top of output",
            attrs: call(
                "gcp.gemini",
                "gemini-2.5-flash",
                &[
                    ("input_tokens", 1000),
                    ("output_tokens", 100),
                    ("reasoning.output_tokens", 50),
                ],
            ),
            want: 1000.0 * 3e-7 + 100.0 * 2.5e-6 + 50.0 * 2.5e-6,
        },
        Case {
            name: "openai embeddings",
            attrs: {
                let mut a = call(
                    "openai",
                    "text-embedding-3-small",
                    &[("input_tokens", 10_000)],
                );
                a[1] = kv("gen_ai.operation.name", "embeddings");
                a
            },
            want: 10_000.0 * 2e-8,
        },
        Case {
            name: "azure dall-e-3 hd 1024x1792, two images",
            attrs: {
                let mut a = call("azure.ai.openai", "dall-e-3", &[]);
                a.push(kv("gen_ai.request.image_size", "1024x1792"));
                a.push(kv("gen_ai.request.image_quality", "hd"));
                a.push(kv("gen_ai.request.n", 2));
                a
            },
            want: 2.0 * 7.19343e-08 * 1024.0 * 1792.0,
        },
    ]
}

#[test]
fn golden_costs_per_provider_family() {
    let p = processor(r#"{"cost": {"breakdown": true}}"#);
    let mut golden = String::from(
        "# Costs written by the genai processor with the built-in table (USD).\n\
         # Generated by tests/pricing.rs; GENAI_BLESS=1 rewrites it.\n",
    );
    for case in cases() {
        let (attrs, stats, _) = run(&p, case.attrs.clone());
        let got = cost(&attrs).unwrap_or_else(|| panic!("{}: no cost written", case.name));
        assert_close(got, case.want, case.name);
        assert_eq!(stats.costs_computed, 1, "{}", case.name);
        let parts: Vec<String> = attrs
            .iter()
            .filter(|kv| kv.key.ends_with("_cost"))
            .map(|kv| format!("{}={:.12}", kv.key, double(&attrs, &kv.key).unwrap()))
            .collect();
        let sum: f64 = attrs
            .iter()
            .filter(|kv| kv.key.ends_with("_cost"))
            .filter_map(|kv| double(&attrs, &kv.key))
            .sum();
        assert_close(sum, got, &format!("{}: breakdown adds up", case.name));
        writeln!(golden, "{}: cost={got:.12} {}", case.name, parts.join(" ")).unwrap();
    }
    if std::env::var_os("GENAI_BLESS").is_some() {
        std::fs::write(GOLDEN, &golden).unwrap();
    }
    let want = std::fs::read_to_string(GOLDEN).expect("golden file (GENAI_BLESS=1 writes it)");
    assert_eq!(
        golden, want,
        "golden costs changed; rerun with GENAI_BLESS=1 and review"
    );
}

#[test]
fn existing_cost_is_kept_unless_override() {
    let mut attrs = gpt_4o_call();
    attrs.push(kv("gen_ai.usage.cost", 0.5));
    let (out, stats, _) = run(&processor("{}"), attrs.clone());
    assert_eq!(cost(&out), Some(0.5));
    assert_eq!(stats.costs_existing, 1);
    assert_eq!(stats.costs_computed, 0);

    let (out, stats, _) = run(&processor(r#"{"cost": {"override": true}}"#), attrs);
    assert_cost(&out, GPT_4O_CALL_USD, "override");
    assert_eq!(stats.costs_computed, 1);
    assert_eq!(
        out.iter()
            .filter(|kv| kv.key == "gen_ai.usage.cost")
            .count(),
        1
    );
}

#[test]
fn unknown_model_gets_no_cost_and_is_named() {
    let attrs = call(
        "openai",
        "gpt-nonexistent-9",
        &[("input_tokens", 10), ("output_tokens", 1)],
    );
    let (out, stats, unknown) = run(&processor("{}"), attrs);
    assert_eq!(cost(&out), None, "never a made-up 0");
    assert_eq!(stats.cost_unknown_model, 1);
    assert_eq!(unknown, vec!["gpt-nonexistent-9".to_string()]);
}

#[test]
fn missing_and_broken_token_counts_are_counted_by_reason() {
    let p = processor("{}");
    let (out, stats, _) = run(&p, call("openai", "gpt-4o", &[]));
    assert_eq!(cost(&out), None);
    assert_eq!(stats.cost_no_tokens, 1);

    let mut attrs = call("openai", "gpt-4o", &[("output_tokens", 5)]);
    attrs.push(kv("gen_ai.usage.input_tokens", "many"));
    let (out, stats, _) = run(&p, attrs);
    assert_eq!(cost(&out), None);
    assert_eq!(stats.cost_non_numeric_tokens, 1);

    // String counts that are numbers are fine.
    let mut attrs = call("openai", "gpt-4o", &[("output_tokens", 100)]);
    attrs.push(kv("gen_ai.usage.input_tokens", "1000"));
    let (out, _, _) = run(&p, attrs);
    assert_cost(&out, GPT_4O_CALL_USD, "string count");
}

#[test]
fn items_that_are_not_llm_calls_are_not_counted() {
    let (out, stats, _) = run(
        &processor("{}"),
        vec![
            kv("gen_ai.operation.name", "execute_tool"),
            kv("gen_ai.tool.name", "search"),
        ],
    );
    assert_eq!(cost(&out), None);
    assert_eq!(
        (
            stats.costs_computed,
            stats.cost_no_tokens,
            stats.cost_unknown_model
        ),
        (0, 0, 0)
    );
}

#[test]
fn accounting_can_be_overridden_per_provider() {
    // Anthropic default: additive. Told inclusive, cache tokens come out of input.
    let attrs = call(
        "anthropic",
        "claude-sonnet-4-5",
        &[
            ("input_tokens", 3000),
            ("cache_read.input_tokens", 2000),
            ("output_tokens", 0),
        ],
    );
    let (out, _, _) = run(&processor("{}"), attrs.clone());
    assert_cost(&out, 3000.0 * 3e-6 + 2000.0 * 3e-7, "additive");
    let p = processor(r#"{"cost": {"accounting": {"anthropic": {"cache": "inclusive"}}}}"#);
    let (out, _, _) = run(&p, attrs);
    assert_cost(&out, 1000.0 * 3e-6 + 2000.0 * 3e-7, "inclusive");
}

#[test]
fn disabled_stage_writes_nothing() {
    let attrs = call("openai", "gpt-4o", &[("input_tokens", 10)]);
    let (out, stats, _) = run(&processor(r#"{"cost": {"enabled": false}}"#), attrs);
    assert_eq!(cost(&out), None);
    assert_eq!(stats.costs_computed, 0);
}

#[test]
fn log_records_are_priced_too() {
    let p = processor("{}");
    let req = support::logs(vec![], vec![support::log("", gpt_4o_call())]);
    let out = p.process(Signal::Logs, &req.encode_to_vec()).unwrap();
    let req = ExportLogsServiceRequest::decode(out.output.expect("changed").as_slice()).unwrap();
    let attrs = &req.resource_logs[0].scope_logs[0].log_records[0].attributes;
    assert_cost(attrs, GPT_4O_CALL_USD, "log record");
}

#[test]
fn every_key_the_stage_reacts_to_passes_the_prefilter() {
    let p = otelcol_genai::pricing::Pricer::new(&Default::default()).unwrap();
    let needles = p.needles();
    for key in otelcol_genai::pricing::keys::ALL {
        assert!(needles.iter().any(|n| key.contains(n.as_str())), "{key}");
    }
}

#[test]
fn spans_are_priced_with_the_other_stages_switched_off() {
    // The prefilter must let GenAI batches through for the cost stage alone.
    let p = processor(r#"{"normalize": {"enabled": false}, "naming": {"enabled": false}}"#);
    let (out, _, _) = run(&p, call("openai", "gpt-4o", &[("input_tokens", 1000)]));
    assert_cost(&out, 1000.0 * 2.5e-6, "cost stage alone");
}

#[test]
fn other_instrumentations_are_priced_after_normalization() {
    let p = processor("{}");
    // OpenLLMetry / Traceloop.
    let (out, _, _) = run(
        &p,
        vec![
            kv("gen_ai.system", "OpenAI"),
            kv("llm.request.type", "chat"),
            kv("gen_ai.request.model", "gpt-4o"),
            kv("llm.usage.prompt_tokens", 1000),
            kv("llm.usage.completion_tokens", 100),
        ],
    );
    assert_cost(&out, GPT_4O_CALL_USD, "openllmetry");
    // OpenInference: its own cost is respected.
    let (out, stats, _) = run(
        &p,
        vec![
            kv("openinference.span.kind", "LLM"),
            kv("llm.model_name", "gpt-4o"),
            kv("llm.provider", "openai"),
            kv("llm.token_count.prompt", 1000),
            kv("llm.token_count.completion", 100),
            kv("llm.cost.total", 0.25),
        ],
    );
    assert_eq!(cost(&out), Some(0.25));
    assert_eq!(stats.costs_existing, 1);
}

#[test]
fn openlit_zero_placeholder_is_replaced_when_the_model_is_known() {
    let mut attrs = gpt_4o_call();
    attrs.push(kv("gen_ai.usage.cost", 0_i64));
    let (out, stats, _) = run(&processor("{}"), attrs.clone());
    assert_cost(&out, GPT_4O_CALL_USD, "replaced");
    assert_eq!((stats.costs_computed, stats.costs_existing), (1, 0));

    let (out, stats, _) = run(&processor(r#"{"cost": {"replace_zero": false}}"#), attrs);
    assert_eq!(
        otelcol_genai::attrs::get(&out, "gen_ai.usage.cost"),
        Some(&Value::IntValue(0))
    );
    assert_eq!(stats.costs_existing, 1);

    // Unknown model: the 0 stays, the model is reported.
    let mut attrs = call("acme", "acme-9", &[("input_tokens", 10)]);
    attrs.push(kv("gen_ai.usage.cost", 0.0));
    let (out, stats, unknown) = run(&processor("{}"), attrs);
    assert_eq!(cost(&out), Some(0.0));
    assert_eq!(stats.cost_unknown_model, 1);
    assert_eq!(unknown, vec!["acme-9".to_string()]);

    // A 0 cost for 0 tokens is a real 0.
    let mut attrs = call("openai", "gpt-4o", &[("input_tokens", 0)]);
    attrs.push(kv("gen_ai.usage.cost", 0.0));
    let (_, stats, _) = run(&processor("{}"), attrs);
    assert_eq!(stats.costs_existing, 1);
}
