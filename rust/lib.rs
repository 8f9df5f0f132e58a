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
//! [`Processor`] ties them together for one configuration; [`ffi`] exposes it
//! to C (and so to the Go collector through cgo). Batches are decoded with the
//! `opentelemetry-proto` prost types, walked per signal ([`signals`]) and
//! re-encoded only when something changed: that is the reference path.
//! Spans and logs take a wire-level path that decodes only the attributes
//! a stage may read and copies every other byte (`wire`, checked against
//! the reference). [`prefilter`] lets batches without any GenAI content
//! skip decoding entirely.

mod alloc;
pub mod attrs;
pub mod config;
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
pub mod stats;
mod wire;

pub use config::Config;
pub use error::{ConfigError, ProcessError};
pub use processor::{Outcome, Processor, Signal};
pub use stats::Stats;
