//! One configured processor, the entry point of the C ABI: a batch without
//! GenAI content is answered at once (the prefilter); the rest is walked
//! on the wire (`wire`) into edits, applied to the input's bytes where a
//! whole batch is asked for, or, where the wire walk leaves the input
//! alone or its changes are not edits, decoded and walked by the
//! reference path (`signals`). Every walk runs the same [`Stages`].

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::config::Config;
use crate::error::{ConfigError, ProcessError};
pub use crate::pricing::UnknownModel;
pub use crate::signal::Signal;
use crate::signals;
use crate::span_metrics::Reading;
use crate::stages::{Batch, Stages};
use crate::stats::Stats;
use crate::wire;

/// The result of processing one batch.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The transformed batch, or `None` when nothing changed and the caller
    /// should keep its input as it is.
    pub output: Option<Vec<u8>>,
    /// Counters for this batch.
    pub stats: Stats,
    /// Model names no pricing table knows (distinct, at most 16): the
    /// names of [`Self::unknown_model_calls`].
    pub unknown_models: Vec<String>,
    /// The unknown models' calls per model and provider (distinct pairs,
    /// at most 16), for the collector's self-telemetry.
    pub unknown_model_calls: Vec<UnknownModel>,
    /// Calls of unknown models beyond the pairs listed.
    pub unknown_calls_unlisted: u64,
    /// `output` holds edits to apply to the input (`wire::edits`, docs/wire.md)
    /// rather than a whole batch (only from [`Processor::process_edits`]).
    pub edits: bool,
}

/// The outcome of a batch whose walk is done.
fn finish(batch: Batch, output: Option<Vec<u8>>) -> Outcome {
    let calls = batch.pricing.unknown_models;
    let mut names: Vec<String> = Vec::with_capacity(calls.len());
    for m in &calls {
        if !names.contains(&m.model) {
            names.push(m.model.clone());
        }
    }
    Outcome {
        output,
        stats: batch.stats,
        unknown_models: names,
        unknown_model_calls: calls,
        unknown_calls_unlisted: batch.pricing.unknown_unlisted,
        edits: false,
    }
}

/// A processor built from one configuration. Immutable after construction,
/// so one instance serves any number of threads at once.
#[derive(Debug)]
pub struct Processor {
    stages: Stages,
    /// Its configuration, to tell whether a connector reads spans alike
    /// ([`Self::process_edits_counting`]).
    config: Config,
}

impl Processor {
    /// Builds every stage; fails on the first invalid option, naming it.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            stages: Stages::new(config)?,
            config: config.clone(),
        })
    }

    /// The stages, for a walk run without the processor's prefilter (the
    /// differential fuzz target checks the prefilter against that).
    #[doc(hidden)]
    pub fn stages(&self) -> &Stages {
        &self.stages
    }

    /// Decodes and validates a JSON configuration, then builds the processor.
    pub fn from_json(config: &[u8]) -> Result<Self, ConfigError> {
        Self::new(&Config::from_json(config)?)
    }

    /// Processes one OTLP export request of `signal`, given as protobuf bytes.
    ///
    /// Batches that cannot contain anything to change are answered without
    /// decoding. The rest are processed on the wire (`wire`, docs/wire.md):
    /// walked into edits that are then applied to the input's bytes;
    /// anything the wire walks leave alone by the reference path. A
    /// malformed batch is an error; the caller passes it on as is.
    pub fn process(&self, signal: Signal, input: &[u8]) -> Result<Outcome, ProcessError> {
        let mut outcome = match signal {
            // A metric batch the wire walk leaves is the reference path's
            // output as it is, not diffed into edits to apply again.
            Signal::Metrics if self.may_apply(signal, input) => match self.metric_walk(input) {
                Some(outcome) => outcome,
                None => return self.reference(signal, input),
            },
            _ => self.process_edits(signal, input)?,
        };
        if outcome.edits {
            let edits = outcome.output.take().unwrap_or_default();
            match wire::apply_edits::apply(signal, input, &edits) {
                Ok(output) => outcome.output = Some(output),
                Err(wire::Fallback) => return self.reference(signal, input),
            }
            outcome.edits = false;
        }
        Ok(outcome)
    }

    /// As [`Self::process`], but a changed batch comes back, when it can,
    /// as the edits that turn the input into the output
    /// (`wire::edits`, `Outcome::edits` set): a caller holding the
    /// input decoded applies them instead of decoding a whole new batch.
    /// Batches whose changes edits cannot express come back whole.
    pub fn process_edits(&self, signal: Signal, input: &[u8]) -> Result<Outcome, ProcessError> {
        self.edits_reading(signal, input, None)
    }

    /// As [`Self::process_edits`] for a trace batch, also reading each span,
    /// once it went through the stages, into `reading`: the model calls
    /// its connector counts when it gets this processor's output (see
    /// `span_metrics::reading`). When the connector would not read the
    /// output as the stages did (its normalization or pricing settings
    /// differ from this processor's), or the walk leaves the batch to the
    /// reference path, the reading is spoiled and the connector reads the
    /// batch itself.
    pub fn process_edits_counting(
        &self,
        input: &[u8],
        reading: &mut Reading<'_>,
    ) -> Result<Outcome, ProcessError> {
        if !reading.connector().reads_like(&self.config) {
            wire::span_reader::SpanReading::spoil(reading);
            return self.process_edits(Signal::Traces, input);
        }
        self.edits_reading(Signal::Traces, input, Some(reading))
    }

    fn edits_reading(
        &self,
        signal: Signal,
        input: &[u8],
        mut reading: Option<&mut Reading<'_>>,
    ) -> Result<Outcome, ProcessError> {
        if !self.may_apply(signal, input) {
            return Ok(Outcome::default());
        }
        if signal == Signal::Metrics {
            return self.metric_edits(input);
        }
        let mut batch = Batch::default();
        let mut edits = wire::edits::Edits::default();
        let walked = wire::span_log_walk::walk(
            &self.stages,
            signal,
            input,
            &mut batch,
            &mut edits,
            reading
                .as_deref_mut()
                .map(|r| r as &mut dyn wire::span_reader::SpanReading<'_>),
        );
        if walked.is_err() {
            if let Some(r) = reading {
                wire::span_reader::SpanReading::spoil(r);
            }
        }
        match walked {
            Ok(false) => Ok(finish(batch, None)),
            Ok(true) if !edits.unrepresentable => {
                let mut outcome = finish(batch, Some(edits.finish()));
                outcome.edits = true;
                Ok(outcome)
            }
            // Changes edits cannot express (repeated keys): the batch
            // again, whole.
            Ok(true) | Err(_) => self.reference(signal, input),
        }
    }

    /// Whether any stage may change a batch: without a byte the prefilter
    /// looks for, the batch comes back unchanged.
    fn may_apply(&self, signal: Signal, input: &[u8]) -> bool {
        !input.is_empty() && self.stages.prefilter.may_apply(signal, input)
    }

    /// Metrics as edits, walked on the wire ([`crate::wire::metric_walk`]);
    /// `None` when the walk leaves the batch to the reference path.
    fn metric_walk(&self, input: &[u8]) -> Option<Outcome> {
        let mut batch = Batch::default();
        let edits = wire::metric_walk::edits(&self.stages, input, &mut batch).ok()?;
        let edited = edits.is_some();
        let mut outcome = finish(batch, edits);
        outcome.edits = edited;
        Some(outcome)
    }

    /// Metrics as edits: walked on the wire, or else the reference path,
    /// then the difference between its result and the input
    /// ([`crate::wire::metric_diff`]).
    fn metric_edits(&self, input: &[u8]) -> Result<Outcome, ProcessError> {
        if let Some(outcome) = self.metric_walk(input) {
            return Ok(outcome);
        }
        let mut batch = Batch::default();
        let mut req = decode::<ExportMetricsServiceRequest>(input)?;
        if !signals::metrics::process(&self.stages, &mut req, &mut batch) {
            return Ok(finish(batch, None));
        }
        let edits = match batch.legacy_upgraded {
            true => None,
            false => wire::metric_diff::diff(input, &req),
        };
        let edited = edits.is_some();
        let mut outcome = finish(batch, Some(edits.unwrap_or_else(|| req.encode_to_vec())));
        outcome.edits = edited;
        Ok(outcome)
    }

    /// Whether [`Self::process_edits`] answers this metric batch from the
    /// wire walk rather than the prost path (for tests).
    #[doc(hidden)]
    pub fn walks_metrics(&self, input: &[u8]) -> bool {
        wire::metric_walk::edits(&self.stages, input, &mut Batch::default()).is_ok()
    }

    /// Whether a resource, span, span event or log record attribute key
    /// holds one of the prefilter's needles (as every key a GenAI source
    /// table maps and every key the cost stage reads does). A trace or log
    /// batch is processed only when one of its attribute keys does; any
    /// other comes back unchanged, whatever its names and values say. The
    /// Go component relies on this to pass such batches on without
    /// marshaling them (`genai_attribute_key_is_genai`).
    pub fn is_genai_key(&self, key: &[u8]) -> bool {
        self.stages.is_genai_key(key)
    }

    /// Whether a metric name holds one of the prefilter's metric needles
    /// (as every name the naming stage selects or upgrades and the cost
    /// stage reads does; every name, when naming selects all metrics). A
    /// metric batch is processed only when one of its metric names is one,
    /// or one of its resource or data point attribute keys is a GenAI key
    /// ([`Self::is_genai_key`]); any other comes back unchanged, whatever
    /// its values say. The Go component relies on this to pass such
    /// batches on without marshaling them (`genai_metric_name_is_genai`).
    pub fn is_genai_metric_name(&self, name: &[u8]) -> bool {
        self.stages.is_genai_metric_name(name)
    }

    /// The reference path: the whole batch decoded into prost types,
    /// walked by [`crate::signals`] and re-encoded when changed. What the
    /// wire path is tested against.
    pub fn process_reference(&self, signal: Signal, input: &[u8]) -> Result<Outcome, ProcessError> {
        if input.is_empty() || !self.stages.prefilter.may_apply(signal, input) {
            return Ok(Outcome::default());
        }
        self.reference(signal, input)
    }

    fn reference(&self, signal: Signal, input: &[u8]) -> Result<Outcome, ProcessError> {
        let mut batch = Batch::default();
        let output = match signal {
            Signal::Traces => {
                let mut req = decode::<ExportTraceServiceRequest>(input)?;
                signals::traces::process(&self.stages, &mut req, &mut batch)
                    .then(|| req.encode_to_vec())
            }
            Signal::Metrics => {
                let mut req = decode::<ExportMetricsServiceRequest>(input)?;
                signals::metrics::process(&self.stages, &mut req, &mut batch)
                    .then(|| req.encode_to_vec())
            }
            Signal::Logs => {
                let mut req = decode::<ExportLogsServiceRequest>(input)?;
                signals::logs::process(&self.stages, &mut req, &mut batch)
                    .then(|| req.encode_to_vec())
            }
        };
        Ok(finish(batch, output))
    }
}

fn decode<M: Message + Default>(input: &[u8]) -> Result<M, ProcessError> {
    M::decode(input).map_err(|e| ProcessError::Decode(e.to_string()))
}
