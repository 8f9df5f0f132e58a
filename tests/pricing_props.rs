//! Properties of the cost calculation over many generated prices and token
//! counts (a seeded generator, so failures reproduce), and the model lookup
//! answering the same on a 10-entry and a 5,000-entry table.

mod support;

use otelcol_genai::pricing::calc::{cost, Accounting, Tokens};
use otelcol_genai::pricing::price::{Price, Tier};
use otelcol_genai::pricing::table::{Entry, Table};
// The seeded generator pricing_metrics.rs uses too.
use support::SplitMix64 as Rng;

/// The draws these properties make, on top of the shared generator.
trait Draws {
    fn chance(&mut self) -> bool;
    /// A price per token between 1e-9 and 1e-4 USD, or none.
    fn price(&mut self) -> Option<f64>;
    fn count(&mut self) -> f64;
}
impl Draws for Rng {
    fn chance(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn price(&mut self) -> Option<f64> {
        self.chance()
            .then(|| (1 + self.below(100_000)) as f64 * 1e-9)
    }
    fn count(&mut self) -> f64 {
        self.below(300_000) as f64
    }
}

const CASES: u64 = 5_000;

fn gen_price(rng: &mut Rng, tiers: bool) -> Price {
    let mut p = Price {
        input: Some((1 + rng.below(100_000)) as f64 * 1e-9),
        output: rng.price(),
        cache_read: rng.price(),
        cache_creation: rng.price(),
        cache_creation_1h: rng.price(),
        reasoning: rng.price(),
        input_audio: rng.price(),
        output_audio: rng.price(),
        ..Default::default()
    };
    if tiers && rng.chance() {
        p.tiers.push(Tier {
            above_input_tokens: 128_000,
            input: rng.price(),
            output: rng.price(),
            cache_read: rng.price(),
            cache_creation: rng.price(),
        });
    }
    p
}

fn gen_tokens(rng: &mut Rng) -> Tokens {
    let mut t = Tokens {
        input: rng.count(),
        output: rng.count(),
        cache_read: rng.count(),
        cache_creation: rng.count(),
        reasoning: rng.count(),
        input_audio: rng.count(),
        output_audio: rng.count(),
        ..Default::default()
    };
    t.cache_creation_1h = (t.cache_creation * 0.3).floor();
    t
}

fn gen_accounting(rng: &mut Rng) -> Accounting {
    Accounting {
        cache_inclusive: rng.chance(),
        reasoning_inclusive: rng.chance(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12_f64.max(a.abs().max(b.abs()) * 1e-9)
}

#[test]
fn cost_is_never_negative() {
    let mut rng = Rng(1);
    for i in 0..CASES {
        let p = gen_price(&mut rng, true);
        let t = gen_tokens(&mut rng);
        let b = cost(&p, &t, gen_accounting(&mut rng), None);
        for part in [
            b.input,
            b.output,
            b.cache_read,
            b.cache_creation,
            b.reasoning,
            b.total(),
        ] {
            assert!(
                part >= 0.0 && part.is_finite(),
                "case {i}: {b:?} for {t:?} / {p:?}"
            );
        }
    }
}

#[test]
fn zero_tokens_cost_zero() {
    let mut rng = Rng(2);
    for _ in 0..CASES {
        let p = gen_price(&mut rng, true);
        assert_eq!(
            cost(&p, &Tokens::default(), gen_accounting(&mut rng), None).total(),
            0.0
        );
    }
}

/// With additive accounting every count is priced on its own, so the cost
/// is linear in each of them: f(a + b) - f(0) = (f(a) - f(0)) + (f(b) - f(0)).
#[test]
fn cost_is_linear_in_each_token_count() {
    let additive = Accounting {
        cache_inclusive: false,
        reasoning_inclusive: false,
    };
    let fields: [fn(&mut Tokens) -> &mut f64; 5] = [
        |t| &mut t.input,
        |t| &mut t.output,
        |t| &mut t.cache_read,
        |t| &mut t.cache_creation,
        |t| &mut t.reasoning,
    ];
    let mut rng = Rng(3);
    for i in 0..CASES {
        let p = gen_price(&mut rng, false);
        let mut base = gen_tokens(&mut rng);
        base.input_audio = 0.0;
        base.output_audio = 0.0;
        base.cache_creation_1h = 0.0;
        let field = fields[rng.below(fields.len() as u64) as usize];
        let (a, b) = (rng.count(), rng.count());
        let f = |x: f64| {
            let mut t = base;
            *field(&mut t) = x;
            cost(&p, &t, additive, None).total()
        };
        let lhs = f(a + b) - f(0.0);
        let rhs = (f(a) - f(0.0)) + (f(b) - f(0.0));
        assert!(close(lhs, rhs), "case {i}: {lhs} vs {rhs}");
    }
}

/// Under any accounting, scaling every count scales the cost (no tiers):
/// what metrics aggregate is priced like the calls it sums.
#[test]
fn cost_scales_with_the_traffic() {
    let mut rng = Rng(4);
    for i in 0..CASES {
        let p = gen_price(&mut rng, false);
        let t = gen_tokens(&mut rng);
        let k = (1 + rng.below(50)) as f64;
        let scaled = Tokens {
            input: t.input * k,
            output: t.output * k,
            cache_read: t.cache_read * k,
            cache_creation: t.cache_creation * k,
            cache_creation_1h: t.cache_creation_1h * k,
            reasoning: t.reasoning * k,
            input_audio: t.input_audio * k,
            output_audio: t.output_audio * k,
        };
        let acct = gen_accounting(&mut rng);
        let (one, many) = (
            cost(&p, &t, acct, None).total(),
            cost(&p, &scaled, acct, None).total(),
        );
        assert!(close(many, one * k), "case {i}: {many} vs {one} * {k}");
    }
}

fn entry(model: &str, provider: Option<&str>, input: f64) -> Entry {
    Entry {
        model: model.to_string(),
        provider: provider.map(str::to_string),
        price: Price {
            input: Some(input),
            output: Some(input),
            ..Default::default()
        },
    }
}

fn ten() -> Vec<Entry> {
    vec![
        entry("gpt-4o", Some("openai"), 1.0),
        entry("gpt-4o-2024-05-13", Some("openai"), 2.0),
        entry("azure/gpt-4o", Some("azure"), 3.0),
        entry("claude-3-5-sonnet-20240620", Some("anthropic"), 4.0),
        entry(
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            Some("bedrock"),
            5.0,
        ),
        entry("gemini/gemini-2.5-pro", Some("gemini"), 6.0),
        entry("gemini-2.5-pro", Some("vertex_ai-language-models"), 7.0),
        entry("groq/llama-3.1-8b-instant", Some("groq"), 8.0),
        entry("text-embedding-3-small", Some("openai"), 9.0),
        entry("mistral/mistral-large-latest", Some("mistral"), 10.0),
    ]
}

#[test]
fn lookup_answers_the_same_on_10_and_5000_entries() {
    let small = Table::from_entries(ten());
    let mut entries = ten();
    let mut rng = Rng(5);
    while entries.len() < 5000 {
        let n = rng.next();
        // Fillers share prefixes and shapes with the real names without
        // being (derived forms of) any of the queries below.
        let name = match n % 4 {
            0 => format!("filler-{n:x}"),
            1 => format!("prov{}/m-{n:x}", n % 50),
            2 => format!("us.vendor.model-{n:x}-v1:0"),
            _ => format!("gpt-4o-x{n:x}"),
        };
        entries.push(entry(&name, Some(&format!("p{}", n % 7)), 99.0));
    }
    let large = Table::from_entries(entries);
    assert_eq!(large.len(), 5000);
    let queries = [
        ("gpt-4o", Some("openai")),
        ("GPT-4o", None),
        ("openai/gpt-4o", Some("openai")),
        ("gpt-4o-2024-05-13", None),
        ("gpt-4o-2024-08-06", Some("openai")),
        ("gpt-4o", Some("azure.ai.openai")),
        ("claude-3-5-sonnet@20240620", Some("gcp.vertex_ai")),
        (
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            Some("aws.bedrock"),
        ),
        ("gemini-2.5-pro", Some("gcp.gemini")),
        ("gemini-2.5-pro-002", Some("gcp.vertex_ai")),
        ("llama-3.1-8b-instant", Some("groq")),
        ("mistral-large-latest", Some("mistral_ai")),
        ("mistral-large", Some("mistral_ai")),
        ("text-embedding-3-small", None),
        ("no-such-model", None),
        ("", None),
    ];
    for (model, provider) in queries {
        let a = small.lookup(model, provider).and_then(|p| p.input);
        let b = large.lookup(model, provider).and_then(|p| p.input);
        assert_eq!(a, b, "{model} / {provider:?}");
    }
    // And the answers are the intended ones.
    let got = |m, p| small.lookup(m, p).and_then(|x| x.input);
    assert_eq!(got("gpt-4o-2024-08-06", Some("openai")), Some(1.0));
    assert_eq!(got("gpt-4o", Some("azure.ai.openai")), Some(3.0));
    assert_eq!(got("gemini-2.5-pro", Some("gcp.gemini")), Some(6.0));
    assert_eq!(got("gemini-2.5-pro-002", Some("gcp.vertex_ai")), Some(7.0));
    assert_eq!(got("mistral-large", Some("mistral_ai")), None);
    assert_eq!(
        got("us.anthropic.claude-3-5-sonnet-20240620-v1:0", None),
        Some(5.0)
    );
}
