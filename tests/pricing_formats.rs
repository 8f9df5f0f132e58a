//! User pricing tables: each file format, a broken file of each, the size
//! limit, inline prices and their precedence over files and the built-in
//! table.

use std::path::PathBuf;

use otelcol_genai::pricing::{CostConfig, Pricer};
use otelcol_genai::{Config, ConfigError};

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pricing")
        .join(name);
    p.to_string_lossy().into_owned()
}

fn pricer(cost: serde_json::Value) -> Result<Pricer, ConfigError> {
    let config = Config::from_json(serde_json::json!({ "cost": cost }).to_string().as_bytes())?;
    Pricer::new(&config.cost)
}

fn file(path: &str, format: &str) -> serde_json::Value {
    serde_json::json!({ "path": path, "format": format })
}

fn input_price(p: &Pricer, model: &str, provider: Option<&str>) -> Option<f64> {
    p.price_of(model, provider).and_then(|x| x.input)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= b.abs() * 1e-12
}

#[test]
fn openlit_format() {
    let p = pricer(serde_json::json!({
        "pricing_files": [file(&fixture("openlit-pricing.json"), "openlit")]
    }))
    .unwrap();
    // chat: per 1K tokens.
    let gpt = p.price_of("gpt-4.1-mini", Some("openai")).unwrap();
    assert!(close(gpt.input.unwrap(), 0.0004 / 1000.0));
    assert!(close(gpt.cache_read.unwrap(), 0.0001 / 1000.0));
    // embeddings and images.
    assert!(close(
        input_price(&p, "text-embedding-3-large", None).unwrap(),
        0.00013 / 1000.0
    ));
    let dalle = p.price_of("dall-e-3", Some("openai")).unwrap();
    assert_eq!(dalle.image(Some("standard"), Some("1024x1024")), Some(0.04));
    assert_eq!(dalle.image(Some("hd"), Some("1792x1024")), Some(0.12));
    // `azure_` names apply to Azure OpenAI only.
    let azure = p.price_of("dall-e-3", Some("azure.ai.openai")).unwrap();
    assert_eq!(azure.image(Some("hd"), Some("1024x1024")), Some(0.08));
}

#[test]
fn litellm_format() {
    let p = pricer(serde_json::json!({
        "pricing_files": [file(&fixture("litellm.json"), "litellm")]
    }))
    .unwrap();
    let acme = p.price_of("acme-chat", Some("acme")).unwrap();
    assert_eq!(acme.input, Some(2e-6));
    assert_eq!(acme.tiers[0].above_input_tokens, 128_000);
    assert_eq!(acme.tiers[0].output, Some(1.6e-5));
    assert_eq!(
        p.price_of("acme-think", None).unwrap().reasoning,
        Some(8e-6)
    );
}

#[test]
fn yaml_format() {
    let p = pricer(serde_json::json!({
        "pricing_files": [file(&fixture("prices.yaml"), "yaml")]
    }))
    .unwrap();
    let acme = p.price_of("ACME-chat", Some("acme")).unwrap();
    assert!(close(acme.input.unwrap(), 2e-6));
    assert!(close(acme.tiers[0].input.unwrap(), 4e-6));
    let painter = p.price_of("acme-painter", None).unwrap();
    assert_eq!(painter.image(Some("HD"), Some("1024x1024")), Some(0.09));
    assert_eq!(painter.image(Some("standard"), Some("512x512")), Some(0.05));
}

#[test]
fn the_shared_openlit_reference_matches_the_fixture_copy() {
    let shared = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/pricing/openlit-pricing.json"
    ));
    let Ok(reference) = std::fs::read(shared) else {
        eprintln!("skipped: {} absent", shared.display());
        return;
    };
    assert_eq!(
        reference,
        std::fs::read(fixture("openlit-pricing.json")).unwrap()
    );
}

fn load_error(path: &str, format: &str) -> ConfigError {
    pricer(serde_json::json!({ "pricing_files": [
        file(&fixture("prices.yaml"), "yaml"),
        file(path, format),
    ]}))
    .unwrap_err()
}

#[test]
fn broken_files_name_file_entry_and_problem() {
    let cases = [
        (
            "openlit-broken.json",
            "openlit",
            "entry \"chat.acme-chat\": promptPrice: expected a number",
        ),
        (
            "litellm-broken.json",
            "litellm",
            "entry \"acme-chat\": output_cost_per_token: must be a finite number >= 0",
        ),
        ("broken.yaml", "yaml", "models[1]"),
    ];
    for (name, format, problem) in cases {
        let err = load_error(&fixture(name), format);
        assert_eq!(err.field, "cost.pricing_files[1]", "{err}");
        assert!(err.message.contains(&fixture(name)), "{err}");
        assert!(err.message.contains(problem), "{name}: {err}");
    }
    let err = load_error(&fixture("broken.yaml"), "yaml");
    assert!(err.message.contains("ouptut"), "{err}");
}

#[test]
fn a_file_in_the_wrong_format_is_refused() {
    let err = load_error(&fixture("prices.yaml"), "litellm");
    assert!(err.message.contains("not valid JSON"), "{err}");
    let err = load_error(&fixture("litellm.json"), "openlit");
    assert!(err.message.contains("openlit format"), "{err}");
    assert!(err.message.contains("unknown section"), "{err}");
}

#[test]
fn missing_and_oversized_files_name_the_path_field() {
    let err = load_error("/nonexistent/prices.yaml", "yaml");
    assert_eq!(err.field, "cost.pricing_files[1].path");
    assert!(err.message.contains("/nonexistent/prices.yaml"), "{err}");

    let big = std::env::temp_dir().join(format!("genai-pricing-big-{}.json", std::process::id()));
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(otelcol_genai::pricing::MAX_PRICING_FILE_BYTES + 1)
        .unwrap(); // sparse
    let err = load_error(big.to_str().unwrap(), "litellm");
    std::fs::remove_file(&big).ok();
    assert_eq!(err.field, "cost.pricing_files[1].path");
    assert!(err.message.contains("limited to 16777216 bytes"), "{err}");
}

#[test]
fn precedence_inline_then_later_files_then_builtin() {
    let builtin = Pricer::new(&CostConfig::default()).unwrap();
    assert_eq!(
        input_price(&builtin, "gpt-4o", Some("openai")),
        Some(2.5e-6)
    );

    let litellm = file(&fixture("litellm.json"), "litellm"); // gpt-4o: 2e-5
    let yaml = file(&fixture("prices.yaml"), "yaml"); // gpt-4o: 3e-5
    let one = pricer(serde_json::json!({ "pricing_files": [yaml.clone()] })).unwrap();
    assert!(close(
        input_price(&one, "gpt-4o", Some("openai")).unwrap(),
        3e-5
    ));
    let both =
        pricer(serde_json::json!({ "pricing_files": [yaml.clone(), litellm.clone()] })).unwrap();
    assert_eq!(input_price(&both, "gpt-4o", Some("openai")), Some(2e-5));
    let swapped =
        pricer(serde_json::json!({ "pricing_files": [litellm.clone(), yaml.clone()] })).unwrap();
    assert!(close(
        input_price(&swapped, "gpt-4o", Some("openai")).unwrap(),
        3e-5
    ));

    let inline = pricer(serde_json::json!({
        "pricing_files": [litellm, yaml],
        "models": [{"model": "gpt-4o", "input": 1.0, "output": 2.0}],
    }))
    .unwrap();
    assert!(close(
        input_price(&inline, "gpt-4o", Some("openai")).unwrap(),
        1e-6
    ));
    // A provider-less override applies to every provider of that name.
    assert!(close(
        input_price(&inline, "gpt-4o", Some("azure.ai.openai")).unwrap(),
        1e-6
    ));
    // Names the layers do not mention keep their built-in price.
    assert_eq!(
        input_price(&inline, "gpt-4o-mini", Some("openai")),
        Some(1.5e-7)
    );
}

#[test]
fn inline_models_errors_name_the_field() {
    let err = pricer(serde_json::json!({
        "models": [{"model": "a", "input": 1}, {"model": "b", "input": -1}]
    }))
    .unwrap_err();
    assert_eq!(err.field, "cost.models[1].input");
    let err = pricer(serde_json::json!({ "models": [{"model": "a"}] })).unwrap_err();
    assert_eq!(err.field, "cost.models[0].input");
    assert!(err.message.contains("no price given"), "{err}");
    let err = pricer(serde_json::json!({ "models": [{"model": "a", "imput": 1}] })).unwrap_err();
    assert!(err.field.starts_with("cost.models[0]"), "{err}");
    let err = pricer(serde_json::json!({ "pricing_files": [{"path": "x", "format": "csv"}] }))
        .unwrap_err();
    assert_eq!(err.field, "cost.pricing_files[0].format");
    let err = pricer(serde_json::json!({ "accounting": {"anthropic": {"cache": "sometimes"}} }))
        .unwrap_err();
    assert_eq!(err.field, "cost.accounting.anthropic.cache");
}

#[test]
fn custom_model_is_priced_on_spans() {
    let p = pricer(serde_json::json!({
        "models": [{"model": "my-finetune", "provider": "openai", "input": 3.0, "output": 12.0}]
    }))
    .unwrap();
    assert!(close(
        input_price(&p, "my-finetune", Some("openai")).unwrap(),
        3e-6
    ));
    assert!(p.models() > 4000);
}
