//! Field numbers of the OTLP messages the wire walks read, named as in
//! opentelemetry-proto's `.proto` files (one module per message; the
//! numbers are the same in every OTLP release since 1.0).

/// `Export{Trace,Metrics,Logs}ServiceRequest`.
pub mod request {
    /// `resource_spans`, `resource_metrics`, `resource_logs`.
    pub const RESOURCE_ITEMS: u32 = 1;
}

/// `ResourceSpans`, `ResourceMetrics`, `ResourceLogs`.
pub mod resource_items {
    pub const RESOURCE: u32 = 1;
    /// `scope_spans`, `scope_metrics`, `scope_logs`.
    pub const SCOPE_ITEMS: u32 = 2;
}

/// `Resource`.
pub mod resource {
    pub const ATTRIBUTES: u32 = 1;
}

/// `ScopeSpans`, `ScopeMetrics`, `ScopeLogs`.
pub mod scope_items {
    pub const SCOPE: u32 = 1;
    /// `spans`, `metrics`, `log_records`.
    pub const ITEMS: u32 = 2;
    pub const SCHEMA_URL: u32 = 3;
}

/// `InstrumentationScope`.
pub mod scope {
    pub const NAME: u32 = 1;
}

/// `Span`.
pub mod span {
    pub const START_TIME_UNIX_NANO: u32 = 7;
    pub const END_TIME_UNIX_NANO: u32 = 8;
    pub const ATTRIBUTES: u32 = 9;
    pub const EVENTS: u32 = 11;
    pub const STATUS: u32 = 15;
}

/// `Status`.
pub mod status {
    pub const CODE: u32 = 3;
}

/// `Span.Event`.
pub mod span_event {
    pub const TIME_UNIX_NANO: u32 = 1;
    pub const NAME: u32 = 2;
    pub const ATTRIBUTES: u32 = 3;
}

/// `LogRecord`.
pub mod log_record {
    pub const ATTRIBUTES: u32 = 6;
}

/// `Metric`.
pub mod metric {
    pub const NAME: u32 = 1;
    pub const DESCRIPTION: u32 = 2;
    pub const UNIT: u32 = 3;
    /// The `data` oneof.
    pub const GAUGE: u32 = 5;
    pub const SUM: u32 = 7;
    pub const HISTOGRAM: u32 = 9;
    pub const EXPONENTIAL_HISTOGRAM: u32 = 10;
    pub const SUMMARY: u32 = 11;
    pub const METADATA: u32 = 12;

    /// The field number of a point's attributes in a metric whose data is
    /// in field `data` (the `data` oneof).
    pub fn point_attributes(data: u32) -> u32 {
        match data {
            HISTOGRAM => super::histogram_point::ATTRIBUTES,
            EXPONENTIAL_HISTOGRAM => super::exponential_histogram_point::ATTRIBUTES,
            _ => super::number_point::ATTRIBUTES, // gauge, sum, summary
        }
    }

    /// Whether field `n` is one of the `data` oneof.
    pub fn is_data(n: u32) -> bool {
        matches!(n, GAUGE | SUM | HISTOGRAM | EXPONENTIAL_HISTOGRAM | SUMMARY)
    }
}

/// `Gauge`, `Sum`, `Histogram`, `ExponentialHistogram`, `Summary`.
pub mod data {
    pub const DATA_POINTS: u32 = 1;
    /// Not in `Gauge` and `Summary`.
    pub const AGGREGATION_TEMPORALITY: u32 = 2;
    /// `Sum` only.
    pub const IS_MONOTONIC: u32 = 3;
}

/// `NumberDataPoint`, `SummaryDataPoint`.
pub mod number_point {
    pub const ATTRIBUTES: u32 = 7;
}

/// `HistogramDataPoint`, `ExponentialHistogramDataPoint`: the fields both
/// share (their attributes differ: [`histogram_point::ATTRIBUTES`],
/// [`exponential_histogram_point::ATTRIBUTES`]).
pub mod histogram_point {
    pub const START_TIME_UNIX_NANO: u32 = 2;
    pub const TIME_UNIX_NANO: u32 = 3;
    pub const COUNT: u32 = 4;
    pub const SUM: u32 = 5;
    /// `HistogramDataPoint` only.
    pub const ATTRIBUTES: u32 = 9;
}

/// `ExponentialHistogramDataPoint`.
pub mod exponential_histogram_point {
    pub const ATTRIBUTES: u32 = 1;
}
