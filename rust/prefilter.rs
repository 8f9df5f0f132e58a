//! A byte scan that lets batches without GenAI content skip decoding.
//!
//! Every attribute key a stage reads and every metric name it renames
//! contains one of the stages' needles (each stage's tests check its own
//! tables against its needles). A batch whose bytes contain none of them
//! cannot be changed, so it is answered "unchanged" after one linear scan,
//! without allocating. False positives only cost a decode.

use aho_corasick::AhoCorasick;

use crate::naming::Naming;
use crate::normalize::Normalizer;
use crate::processor::Signal;

#[derive(Debug)]
pub struct Prefilter {
    /// Needles for spans and logs.
    events: Option<AhoCorasick>,
    /// Needles for metrics (the naming stage may want every metric).
    metrics: Option<AhoCorasick>,
}

impl Prefilter {
    pub fn new(normalizer: &Normalizer, naming: &Naming) -> Self {
        let base: Vec<String> = normalizer.needles();
        let metrics = naming.needles().map(|mut extra| {
            extra.extend(base.iter().cloned());
            extra
        });
        Self {
            events: build(Some(base)),
            metrics: build(metrics),
        }
    }

    /// Whether the batch may contain anything a stage would change.
    pub fn may_apply(&self, signal: Signal, input: &[u8]) -> bool {
        let matcher = match signal {
            Signal::Metrics => &self.metrics,
            Signal::Traces | Signal::Logs => &self.events,
        };
        match matcher {
            None => true,
            Some(ac) => ac.is_match(input),
        }
    }
}

/// `None` needles mean "always apply".
fn build(needles: Option<Vec<String>>) -> Option<AhoCorasick> {
    let mut needles = needles?;
    needles.sort();
    needles.dedup();
    if needles.is_empty() {
        return None;
    }
    // The needles are short ASCII strings: construction cannot fail.
    Some(AhoCorasick::new(&needles).expect("prefilter needles are valid patterns"))
}
