//! Walks over each signal's OTLP structure (resource -> scope -> item),
//! calling the stages on the attribute lists they own. Each walk returns
//! whether anything changed.

pub mod logs;
pub mod metrics;
pub mod traces;

/// The semantic conventions version whose GenAI attributes we emit; set as
/// the `schema_url` of scopes we touched that had none.
pub const SEMCONV_SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.37.0";

/// Sets `schema_url` to ours when the scope was changed and had none.
pub(crate) fn mark_schema(schema_url: &mut String, touched: bool) -> bool {
    if touched && schema_url.is_empty() {
        schema_url.push_str(SEMCONV_SCHEMA_URL);
        return true;
    }
    false
}
