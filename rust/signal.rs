//! The OTLP signal a batch belongs to.

/// The three OTLP signals, numbered as in the C ABI.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Traces = 0,
    Metrics = 1,
    Logs = 2,
}
