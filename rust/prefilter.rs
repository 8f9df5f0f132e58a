//! A byte scan that lets batches without GenAI content skip decoding.
//!
//! Every attribute key a stage reads and every metric name it renames
//! contains one of the stages' needles (each stage's tests check its own
//! tables against its needles). A batch whose bytes contain none of them
//! cannot be changed, so it is answered "unchanged" after one linear scan,
//! without allocating. False positives only cost a decode.

use aho_corasick::{packed, AhoCorasick};

use crate::naming::Naming;
use crate::normalize::Normalizer;
use crate::signal::Signal;

#[derive(Debug)]
pub struct Prefilter {
    /// Needles for spans and logs.
    events: Option<Matcher>,
    /// Needles for metrics (the naming stage may want every metric).
    metrics: Option<Matcher>,
}

/// The SIMD "Teddy" searcher when the target and needle set allow it: on
/// input without any needle it scans 20-50x faster than the automaton, whose
/// own prefilter gives up once a few needles share common first bytes.
#[derive(Debug)]
enum Matcher {
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Matcher {
    fn is_match(&self, haystack: &[u8]) -> bool {
        match self {
            Matcher::Packed(s) => s.find(haystack).is_some(),
            Matcher::Automaton(a) => a.is_match(haystack),
        }
    }
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

    /// Whether `bytes` (an attribute key) holds one of the span and log
    /// needles.
    pub fn events_may_apply(&self, bytes: &[u8]) -> bool {
        self.events.as_ref().is_none_or(|m| m.is_match(bytes))
    }

    /// Whether `bytes` (a metric name) holds one of the metric needles.
    pub fn metrics_may_apply(&self, bytes: &[u8]) -> bool {
        self.metrics.as_ref().is_none_or(|m| m.is_match(bytes))
    }
}

/// `None` needles mean "always apply".
fn build(needles: Option<Vec<String>>) -> Option<Matcher> {
    let mut needles = needles?;
    needles.sort();
    needles.dedup();
    if needles.is_empty() {
        return None;
    }
    if let Some(s) = packed::Searcher::new(needles.iter()) {
        return Some(Matcher::Packed(s));
    }
    // The needles are short ASCII strings: construction cannot fail.
    Some(Matcher::Automaton(
        AhoCorasick::new(&needles).expect("prefilter needles are valid patterns"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_matchers_find_needles_anywhere() {
        let needles: Vec<String> = ["gen_ai", "llm.", "ai.usage.", "session.id"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let automaton = Matcher::Automaton(AhoCorasick::new(&needles).unwrap());
        let built = build(Some(needles)).unwrap();
        for m in [&built, &automaton] {
            assert!(m.is_match(b"x\x0asession.id"));
            assert!(
                m.is_match(b"llm."),
                "haystack shorter than the SIMD minimum"
            );
            assert!(m.is_match(&[b"z".repeat(4096), b"gen_ai".to_vec()].concat()));
            assert!(!m.is_match(&b"http.request.method".repeat(100)));
            assert!(!m.is_match(b""));
        }
    }
}
