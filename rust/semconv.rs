//! Names from the OpenTelemetry GenAI semantic conventions (1.37+, as
//! OpenLIT 1.45 writes them) that more than one stage reads or writes,
//! defined once. A stage's own names live with the stage
//! (`normalize::table`, `pricing::keys`).

/// The semantic conventions version whose GenAI attributes we emit; set as
/// the `schema_url` of scopes we touched that had none.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/1.37.0";

pub const PROVIDER: &str = "gen_ai.provider.name";
pub const OPERATION: &str = "gen_ai.operation.name";
pub const REQUEST_MODEL: &str = "gen_ai.request.model";
pub const RESPONSE_MODEL: &str = "gen_ai.response.model";
pub const INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
pub const OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
pub const CACHE_READ_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
pub const CACHE_CREATION_TOKENS: &str = "gen_ai.usage.cache_creation.input_tokens";
pub const REASONING_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
/// The cost of a call, USD (OpenLIT's attribute; not yet in the conventions).
pub const COST: &str = "gen_ai.usage.cost";
pub const TOKEN_TYPE: &str = "gen_ai.token.type";

/// Sets `schema_url` to ours when the scope was changed and had none.
pub(crate) fn mark_schema(schema_url: &mut String, touched: bool) -> bool {
    if touched && schema_url.is_empty() {
        schema_url.push_str(SCHEMA_URL);
        return true;
    }
    false
}
