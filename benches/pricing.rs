//! Model lookup on a 10-entry and a 5,000-entry table (the cost must not
//! grow with the table), parsing the built-in table, and pricing one span.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

use otelcol_genai::pricing::formats::litellm;
use otelcol_genai::pricing::price::Price;
use otelcol_genai::pricing::table::{Entry, Table};

fn entry(model: String, provider: &str) -> Entry {
    Entry {
        model,
        provider: Some(provider.to_string()),
        price: Price {
            input: Some(1e-6),
            output: Some(2e-6),
            ..Default::default()
        },
    }
}

fn table(n: usize) -> Table {
    let mut entries = vec![
        entry("gpt-4o".into(), "openai"),
        entry(
            "anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
            "bedrock",
        ),
    ];
    entries.extend((entries.len()..n).map(|i| entry(format!("prov{}/model-{i}", i % 40), "other")));
    Table::from_entries(entries)
}

fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("pricing_lookup");
    for n in [10usize, 5000] {
        let t = table(n);
        let queries = [
            ("gpt-4o", Some("openai")),            // exact
            ("gpt-4o-2024-08-06", Some("openai")), // dated fallback
            (
                "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                Some("aws.bedrock"),
            ), // region prefix
            ("no-such-model-2024-01-01", None),    // miss
        ];
        g.bench_with_input(BenchmarkId::from_parameter(n), &t, |b, t| {
            b.iter(|| {
                for (m, p) in queries {
                    black_box(t.lookup(black_box(m), p));
                }
            })
        });
    }
    g.finish();
}

fn builtin(c: &mut Criterion) {
    let mut g = c.benchmark_group("pricing_builtin");
    g.sample_size(10);
    g.bench_function("parse_and_index", |b| {
        b.iter(|| {
            Table::from_entries(
                litellm::parse_lines(&otelcol_genai::pricing::builtin::text()).unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, lookup, builtin);
criterion_main!(benches);
