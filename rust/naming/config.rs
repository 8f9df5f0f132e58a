//! The `naming:` section of the processor configuration.

use serde::Deserialize;

use crate::error::ConfigError;

use super::sanitize::is_label_name;

/// Which metrics get VictoriaMetrics-style names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricSelection {
    /// GenAI metrics only: names starting with `gen_ai` (dotted or already
    /// underscored), the legacy `llm.` metrics of OpenLLMetry and older
    /// semantic conventions, and `include_prefixes`.
    #[default]
    Genai,
    /// Every metric that passes through the processor.
    All,
}

/// `naming:` section of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamingConfig {
    /// Turns the whole stage (legacy upgrade and renaming) on or off.
    pub enabled: bool,
    /// Which metrics are renamed.
    pub metrics: MetricSelection,
    /// Further metric-name prefixes renamed when `metrics` is `genai`.
    pub include_prefixes: Vec<String>,
    /// Maps legacy GenAI metric names (OpenLIT <= 1.36, OpenLLMetry, older
    /// semantic conventions) to the current ones before anything else runs.
    pub upgrade_legacy: bool,
    /// Resource attributes copied onto every data point of a renamed metric,
    /// under their label-style names, so dashboards can filter on them even
    /// where the backend does not promote resource attributes.
    pub resource_attributes: Vec<String>,
    /// Writes the instrumentation scope name and version as `scope_name` and
    /// `scope_version` point labels (VictoriaMetrics' own `scope.name` and
    /// `scope.version` labels keep their dots without the Prometheus flag).
    pub scope_labels: bool,
    /// Dashboard compatibility: when set (e.g. `openlit`), the points of
    /// renamed metrics get `telemetry_sdk_name` set to this value, and the
    /// true SDK name under `original_sdk_name_label`. Off when empty.
    pub compat_sdk_name: String,
    /// Label that keeps the true `telemetry.sdk.name` when
    /// `compat_sdk_name` is set.
    pub original_sdk_name_label: String,
    /// Point attributes of renamed metrics that are per request by nature
    /// and dropped (keys, `prefix*` or `*suffix`; see `guard`).
    pub drop_point_attributes: Vec<String>,
    /// Keys kept whatever `drop_point_attributes` and
    /// `max_point_attribute_bytes` say.
    pub keep_point_attributes: Vec<String>,
    /// String point attributes longer than this are dropped; 0: no bound.
    pub max_point_attribute_bytes: usize,
}

impl Default for NamingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            metrics: MetricSelection::Genai,
            include_prefixes: Vec::new(),
            upgrade_legacy: true,
            resource_attributes: vec![
                "service.name".to_string(),
                "deployment.environment".to_string(),
                "telemetry.sdk.name".to_string(),
            ],
            scope_labels: true,
            compat_sdk_name: String::new(),
            original_sdk_name_label: "telemetry_sdk_original_name".to_string(),
            drop_point_attributes: [
                // LiteLLM: the request's hidden parameters (cost, headers,
                // timings) as JSON, and its request metadata.
                "hidden_params",
                "metadata.*",
                "litellm.call_id",
                // Ids of one request or response.
                "gen_ai.response.id",
                "*request_id",
                "*request.id",
            ]
            .map(String::from)
            .to_vec(),
            keep_point_attributes: Vec::new(),
            max_point_attribute_bytes: 256,
        }
    }
}

impl NamingConfig {
    /// Checks values serde cannot; errors name the field as written in YAML.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (i, p) in self.include_prefixes.iter().enumerate() {
            if p.is_empty() {
                return Err(ConfigError::new(
                    format!("naming.include_prefixes[{i}]"),
                    "empty prefix would select every metric; use `metrics: all`",
                ));
            }
        }
        for (i, a) in self.resource_attributes.iter().enumerate() {
            if a.is_empty() {
                return Err(ConfigError::new(
                    format!("naming.resource_attributes[{i}]"),
                    "empty attribute name",
                ));
            }
        }
        if !self.compat_sdk_name.is_empty() {
            let label = &self.original_sdk_name_label;
            if !is_label_name(label) {
                return Err(ConfigError::new(
                    "naming.original_sdk_name_label",
                    format!("{label:?} is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
                ));
            }
            if label == "telemetry_sdk_name" {
                return Err(ConfigError::new(
                    "naming.original_sdk_name_label",
                    "must differ from telemetry_sdk_name, which compat_sdk_name overwrites",
                ));
            }
        }
        Ok(())
    }
}
