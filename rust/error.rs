//! Error types shared by the configuration and the per-batch path.

use std::fmt;

/// A configuration the processor refuses. `field` is the dotted path of the
/// offending option as the user wrote it in the collector YAML
/// (e.g. `cost.pricing_files[1].path`), so the message can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "invalid genai configuration: {}", self.message)
        } else {
            write!(
                f,
                "invalid genai configuration: {}: {}",
                self.field, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

/// A batch that could not be processed. The caller passes such a batch on
/// unchanged: the processor never drops data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessError {
    /// The input bytes are not a valid OTLP export request of the signal.
    Decode(String),
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessError::Decode(m) => write!(f, "malformed OTLP protobuf: {m}"),
        }
    }
}

impl std::error::Error for ProcessError {}
