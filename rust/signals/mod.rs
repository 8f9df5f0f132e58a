//! Walks over each signal's OTLP structure (resource -> scope -> item),
//! calling the stages on the attribute lists they own. Each walk returns
//! whether anything changed.

pub mod logs;
pub mod metrics;
pub mod traces;
