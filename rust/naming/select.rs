//! Which metrics the naming stage touches, and the prefilter needles that
//! let batches without such metrics skip decoding.

use super::config::{MetricSelection, NamingConfig};

/// Prefixes of the metric names `metrics: genai` selects: current GenAI
/// names (dotted, or already underscored by an earlier hop) and the `llm.`
/// names of OpenLLMetry and the pre-`gen_ai` semantic conventions.
const GENAI_PREFIXES: [&str; 2] = ["gen_ai", "llm."];

/// Decides per metric name whether it is renamed.
#[derive(Debug, Clone)]
pub struct Selector {
    all: bool,
    prefixes: Vec<String>,
}

impl Selector {
    pub fn new(config: &NamingConfig) -> Self {
        let mut prefixes: Vec<String> = GENAI_PREFIXES.iter().map(|p| p.to_string()).collect();
        prefixes.extend(config.include_prefixes.iter().cloned());
        Self {
            all: config.metrics == MetricSelection::All,
            prefixes,
        }
    }

    /// Whether the metric called `name` is renamed.
    pub fn selects(&self, name: &str) -> bool {
        self.all || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }

    /// Byte strings one of which every selected metric name contains;
    /// `None` when every metric is selected.
    pub fn needles(&self) -> Option<Vec<String>> {
        (!self.all).then(|| self.prefixes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genai_selection_and_extra_prefixes() {
        let config = NamingConfig {
            include_prefixes: vec!["myapp.llm".into()],
            ..Default::default()
        };
        let s = Selector::new(&config);
        for name in [
            "gen_ai.client.operation.duration",
            "gen_ai_client_token_usage",
            "llm.openai.chat_completions.tokens",
            "myapp.llm.calls",
        ] {
            assert!(s.selects(name), "{name}");
        }
        for name in ["http.server.request.duration", "db.total.requests", "genai"] {
            assert!(!s.selects(name), "{name}");
        }
        // Every selected name contains a needle (the prefilter relies on it).
        let needles = s.needles().unwrap();
        assert!(needles
            .iter()
            .any(|n| "myapp.llm.calls".contains(n.as_str())));
    }

    #[test]
    fn all_selects_everything_and_has_no_needles() {
        let config = NamingConfig {
            metrics: MetricSelection::All,
            ..Default::default()
        };
        let s = Selector::new(&config);
        assert!(s.selects("process.cpu.time"));
        assert_eq!(s.needles(), None);
    }
}
