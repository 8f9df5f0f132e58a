//! # otelcol-genai core
//!
//! Transforms OTLP batches so that GenAI telemetry from any instrumentation
//! reaches the VictoriaMetrics stack in the shape a GenAI dashboard expects.
//!
//! A batch goes through three stages, each in its own module:
//!
//! 1. [`normalize`] rewrites attributes from OpenLIT, OpenLLMetry, OpenInference,
//!    the Vercel AI SDK, Langfuse and older semantic conventions into the current
//!    OpenTelemetry GenAI conventions (keys and values);
//! 2. [`pricing`] computes the USD cost of every LLM call from its token counts;
//! 3. [`naming`] gives GenAI metrics the Prometheus-style names and labels that
//!    VictoriaMetrics would produce with `-opentelemetry.usePrometheusNaming`.
//!
//! Dependencies point one way: [`ffi`] -> [`processor`] -> the walks
//! (`wire` on the protobuf bytes, [`signals`] on prost types, the
//! reference the wire walks are tested against) -> [`stages`], which runs
//! the stages in their order at each place -> the stages -> leaves shared
//! by several layers ([`semconv`], [`metric_points`], [`attrs`], [`stats`],
//! `hash`, `signal`). [`prefilter`] lets batches without any GenAI content
//! skip decoding entirely. docs/architecture.md follows a batch through
//! the files.

mod alloc;
pub mod attrs;
pub mod config;
pub mod edit_format;
pub mod error;
pub mod ffi;
mod hash;
pub mod metric_points;
pub mod naming;
pub mod normalize;
pub mod prefilter;
pub mod pricing;
pub mod processor;
pub mod semconv;
mod signal;
pub mod signals;
pub mod span_metrics;
pub mod stages;
pub mod stats;
#[cfg(test)]
mod test_rng;
mod wire;

pub use config::Config;
pub use error::{ConfigError, ProcessError};
pub use processor::{Outcome, Processor, Signal};
pub use stats::Stats;
#[doc(hidden)]
pub use wire::edit_targets;
