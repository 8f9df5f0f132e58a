//! Per-batch counters, returned across the C ABI so the collector can report
//! them through its own telemetry.

/// What happened while one batch was processed. Every field is a count for
/// that batch only; the Go side adds them to its cumulative self-metrics.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Spans, log records or metric data points looked at.
    pub items: u64,
    /// Attributes written under their canonical key by a source mapping.
    pub attributes_normalized: u64,
    /// Attribute values rewritten to their canonical spelling (providers, operations).
    pub values_normalized: u64,
    /// Values that could not be coerced to the canonical type; left as they were.
    pub coercion_failures: u64,
    /// Costs written (spans, log records and derived metric points).
    pub costs_computed: u64,
    /// Items that already carried a cost from the instrumentation, kept as is.
    pub costs_existing: u64,
    /// LLM calls whose model is not in any pricing table: no cost written.
    pub cost_unknown_model: u64,
    /// LLM calls without token counts: no cost written.
    pub cost_no_tokens: u64,
    /// LLM calls whose token counts are not finite numbers >= 0, or so large
    /// that the cost overflows: no cost written.
    pub cost_non_numeric_tokens: u64,
    /// `gen_ai.usage.cost` histogram data points derived from token usage metrics.
    pub cost_points_derived: u64,
    /// Metrics given their VictoriaMetrics (Prometheus-style) name.
    pub metrics_renamed: u64,
    /// Named metrics whose VictoriaMetrics name an earlier metric of the
    /// batch with another OTLP name also got (`gen_ai.a.b` and `gen_ai_a_b`
    /// both become `gen_ai_a_b`): VictoriaMetrics stores their series under
    /// one name. Each such metric is counted, the first of a name is not.
    pub metric_name_collisions: u64,
    /// Point attributes of renamed metrics dropped as per request by
    /// nature (`naming.drop_point_attributes`, `max_point_attribute_bytes`).
    pub point_attributes_dropped: u64,
}

/// What one call of the `genai` connector did (`genai_connector_consume`,
/// `genai_connector_flush`). Counts are for that call; `series_active` and
/// `state_bytes` are the state after it (both 0 when a consume call
/// decoded nothing: a batch without GenAI attribute keys is not looked at).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpanMetricsStats {
    /// Spans decoded (a batch with no GenAI attribute key is not decoded).
    pub spans: u64,
    /// Model calls counted into series.
    pub calls: u64,
    /// Spans that are no model call (wrappers, agents, tools, plain spans).
    pub skipped_not_call: u64,
    /// Model calls left to their source's own GenAI metrics (`derive`).
    pub skipped_source_metrics: u64,
    /// Calls counted into the overflow series (cardinality limit reached).
    pub overflowed: u64,
    /// Series created.
    pub series_created: u64,
    /// Series dropped after `expiration` without a call.
    pub series_expired: u64,
    /// Series held, the overflow series not included.
    pub series_active: u64,
    /// Histogram data points exported with the series' totals.
    pub points: u64,
    /// Zero points at a series' start time exported besides them.
    pub zero_points: u64,
    /// Bytes the series hold (keys and histograms).
    pub state_bytes: u64,
    /// The flush's number, for `genai_connector_confirm` (0: not a flush).
    pub generation: u64,
}

impl Stats {
    /// Adds every counter of `other` to `self`.
    pub fn add(&mut self, other: &Stats) {
        self.items += other.items;
        self.attributes_normalized += other.attributes_normalized;
        self.values_normalized += other.values_normalized;
        self.coercion_failures += other.coercion_failures;
        self.costs_computed += other.costs_computed;
        self.costs_existing += other.costs_existing;
        self.cost_unknown_model += other.cost_unknown_model;
        self.cost_no_tokens += other.cost_no_tokens;
        self.cost_non_numeric_tokens += other.cost_non_numeric_tokens;
        self.cost_points_derived += other.cost_points_derived;
        self.metrics_renamed += other.metrics_renamed;
        self.metric_name_collisions += other.metric_name_collisions;
        self.point_attributes_dropped += other.point_attributes_dropped;
    }
}
