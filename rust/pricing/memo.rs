//! The prices one batch has looked up. Calls in a batch name few models,
//! and a table lookup normalizes the name several ways (lowercase, provider
//! and region prefixes, version suffixes): remembering the answer per
//! model and provider turns the repeats into one hash lookup.

use std::collections::HashMap;

use hashbrown::DefaultHashBuilder;

use super::calc::Accounting;
use super::price::Price;
use super::table::{PriceId, MAX_MODEL_NAME_BYTES};
use super::Pricer;

/// Distinct (model, provider) pairs remembered per batch; later ones are
/// looked up each time, so unbounded model names cost no unbounded memory.
const MAX_ENTRIES: usize = 1024;

/// What a lookup found: the price (`None`: unknown model) and the
/// accounting for the provider and model.
pub type Priced<'a> = (Option<&'a Price>, Accounting);

/// Per-batch memo of [`Pricer::priced`], for one pricer.
#[derive(Debug, Default)]
pub struct Memo {
    /// Keyed by model names from telemetry: hashed with a per-process
    /// random seed, so names crafted to collide cannot make it quadratic.
    found: HashMap<Box<str>, (Option<PriceId>, Accounting), DefaultHashBuilder>,
    /// The key being looked up, built without allocating.
    key: String,
}

impl Pricer {
    /// The price and accounting of a call to `model` at `provider`.
    pub fn priced(&self, memo: &mut Memo, model: &str, provider: Option<&str>) -> Priced<'_> {
        // NUL separates the parts (it occurs in neither); `-` or `+` tells
        // an absent provider from an empty one.
        memo.key.clear();
        memo.key.push_str(model);
        memo.key.push('\0');
        match provider {
            None => memo.key.push('-'),
            Some(p) => {
                memo.key.push('+');
                memo.key.push_str(p);
            }
        }
        let (id, acct) = match memo.found.get(memo.key.as_str()) {
            Some(&found) => found,
            None => {
                let found = (
                    self.table.lookup_id(model, provider),
                    self.accounting(provider, model),
                );
                // An over-long model name is answered at once without the
                // table, so the memo keeps short keys only: its bytes stay
                // under MAX_ENTRIES * 2 * MAX_MODEL_NAME_BYTES.
                if memo.found.len() < MAX_ENTRIES && memo.key.len() <= 2 * MAX_MODEL_NAME_BYTES {
                    memo.found.insert(memo.key.as_str().into(), found);
                }
                found
            }
        };
        (id.map(|id| self.table.price(id)), acct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::CostConfig;

    /// The memo answers exactly as the table and the accounting do, first
    /// time and every time after, and stays bounded.
    #[test]
    fn remembered_answers_are_the_tables() {
        let pricer = Pricer::new(&CostConfig::default()).unwrap();
        let calls = [
            ("gpt-4o", Some("openai")),
            ("gpt-4o", None),
            ("gpt-4o", Some("")),
            ("GPT-4o-2024-08-06", Some("azure")),
            ("claude-3-5-sonnet", Some("gcp.vertex_ai")),
            ("no-such-model", Some("openai")),
        ];
        let mut memo = Memo::default();
        for _ in 0..2 {
            for (model, provider) in calls {
                let (price, acct) = pricer.priced(&mut memo, model, provider);
                assert_eq!(
                    price,
                    pricer.price_of(model, provider),
                    "{model} {provider:?}"
                );
                assert_eq!(
                    acct,
                    pricer.accounting(provider, model),
                    "{model} {provider:?}"
                );
            }
        }
        assert_eq!(memo.found.len(), calls.len());
        for i in 0..2 * MAX_ENTRIES {
            pricer.priced(&mut memo, &format!("model-{i}"), None);
        }
        assert_eq!(memo.found.len(), MAX_ENTRIES);
    }
}
