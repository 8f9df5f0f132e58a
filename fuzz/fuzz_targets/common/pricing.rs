//! Shared checks of the pricing-file fuzz targets: a parser either refuses the
//! text with a message or returns entries whose every price is a finite
//! number >= 0 (a NaN or negative price would write a NaN or negative cost),
//! and the table built from them answers a lookup of each model without
//! panicking.

use otelcol_genai::pricing::price::Price;
use otelcol_genai::pricing::table::{Entry, Table};

fn valid(x: Option<f64>) -> bool {
    x.is_none_or(|v| v.is_finite() && v >= 0.0)
}

fn check_price(model: &str, p: &Price) {
    let all = [
        p.input,
        p.output,
        p.cache_read,
        p.cache_creation,
        p.cache_creation_1h,
        p.reasoning,
        p.input_audio,
        p.output_audio,
    ];
    assert!(all.iter().all(|v| valid(*v)), "{model}: bad price {p:?}");
    for t in &p.tiers {
        let tier = [t.input, t.output, t.cache_read, t.cache_creation];
        assert!(tier.iter().all(|v| valid(*v)), "{model}: bad tier {t:?}");
    }
    for i in &p.images {
        assert!(
            i.usd.is_finite() && i.usd >= 0.0,
            "{model}: bad image price {i:?}"
        );
    }
}

/// Runs `parse` on `data` (when it is UTF-8) and checks what it returns.
pub fn run(data: &[u8], parse: impl Fn(&str) -> Result<Vec<Entry>, String>) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text) {
        Err(msg) => assert!(!msg.is_empty(), "a refusal says why"),
        Ok(entries) => {
            for e in &entries {
                check_price(&e.model, &e.price);
            }
            let models: Vec<(String, Option<String>)> = entries
                .iter()
                .map(|e| (e.model.clone(), e.provider.clone()))
                .collect();
            let table = Table::from_entries(entries);
            for (model, provider) in &models {
                if let Some(p) = table.lookup(model, provider.as_deref()) {
                    check_price(model, p);
                }
            }
        }
    }
}
