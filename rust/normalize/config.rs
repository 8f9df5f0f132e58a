//! The `normalize:` configuration section.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `normalize:` section of the configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NormalizeConfig {
    /// Normalization on or off as a whole.
    pub enabled: bool,
    /// Built-in sources, each switchable.
    pub sources: SourcesConfig,
    /// Mapped values replace canonical attributes that are already present.
    pub overwrite: bool,
    /// Source attributes are removed once mapped.
    pub remove_originals: bool,
    /// Which of `deployment.environment` / `deployment.environment.name` is
    /// written from the other.
    pub environment: EnvironmentDirection,
    /// User-defined sources.
    pub custom_sources: Vec<CustomSource>,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            sources: SourcesConfig::default(),
            overwrite: false,
            remove_originals: false,
            environment: EnvironmentDirection::Legacy,
            custom_sources: Vec::new(),
        }
    }
}

/// `normalize.sources`: one switch per built-in source (all on by default).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Older OTel GenAI conventions and the official instrumentations.
    pub otel_legacy: bool,
    /// OpenLIT SDK up to 1.36.
    pub openlit_legacy: bool,
    /// OpenLLMetry / Traceloop.
    pub openllmetry: bool,
    /// OpenInference (Arize Phoenix).
    pub openinference: bool,
    /// Vercel AI SDK telemetry.
    pub vercel_ai: bool,
    /// Langfuse OTel attributes.
    pub langfuse: bool,
    /// LiteLLM's OpenTelemetry callback.
    pub litellm: bool,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        Self {
            otel_legacy: true,
            openlit_legacy: true,
            openllmetry: true,
            openinference: true,
            vercel_ai: true,
            langfuse: true,
            litellm: true,
        }
    }
}

impl SourcesConfig {
    /// Whether the built-in source called `name` (a `table::BUILTIN` name) is on.
    pub fn enabled(&self, name: &str) -> bool {
        match name {
            "otel_legacy" => self.otel_legacy,
            "openlit_legacy" => self.openlit_legacy,
            "openllmetry" => self.openllmetry,
            "openinference" => self.openinference,
            "vercel_ai" => self.vercel_ai,
            "langfuse" => self.langfuse,
            "litellm" => self.litellm,
            _ => false,
        }
    }
}

/// `normalize.environment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentDirection {
    /// `deployment.environment.name` is copied to `deployment.environment`
    /// (what the dashboard filters on). The default.
    Legacy,
    /// `deployment.environment` is copied to `deployment.environment.name`.
    Name,
    /// Neither.
    Off,
}

/// Where a user-defined source is consulted relative to the built-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Before the built-ins: its mappings and values win over theirs.
    Before,
    /// After the built-ins: it only fills what they leave. The default.
    #[default]
    After,
}

/// One entry of `normalize.custom_sources`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomSource {
    /// A name for messages and documentation.
    pub name: String,
    /// Before or after the built-in sources.
    pub position: Position,
    /// Source key -> canonical key.
    pub attributes: BTreeMap<String, String>,
    /// Canonical key -> (value -> canonical value).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}
