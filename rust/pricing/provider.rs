//! Provider names: tables use LiteLLM's or OpenLIT's spellings, telemetry uses
//! the semantic conventions' `gen_ai.provider.name` values. Everything is
//! compared in the semconv vocabulary.

/// The `gen_ai.provider.name` value for a LiteLLM `litellm_provider` (or a
/// name a user wrote in a pricing file). Unknown names are kept, lower-cased.
pub fn canonical(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let mapped = match lower.as_str() {
        "openai" | "text-completion-openai" | "openai.chat" | "openai.responses" => "openai",
        "azure" | "azure_text" | "az.ai.openai" => "azure.ai.openai",
        "azure_ai" | "az.ai.inference" => "azure.ai.inference",
        "anthropic" => "anthropic",
        "bedrock" | "bedrock_converse" | "bedrock_mantle" | "aws" => "aws.bedrock",
        "gemini" => "gcp.gemini",
        "vertexai" => "gcp.vertex_ai",
        "mistral" | "mistralai" | "codestral" | "text-completion-codestral" => "mistral_ai",
        "cohere" | "cohere_chat" => "cohere",
        "xai" => "x_ai",
        "watsonx" | "watsonx_text" => "ibm.watsonx.ai",
        s if s.starts_with("vertex_ai") => "gcp.vertex_ai",
        _ => return lower,
    };
    mapped.to_string()
}

/// Providers whose native APIs report `input_tokens` without the cache
/// tokens (cache reads and writes come on top), so the default accounting
/// for them is additive. See docs/pricing.md.
pub fn reports_cache_apart(provider: &str) -> bool {
    matches!(provider, "anthropic" | "aws.bedrock")
}

/// Providers whose native APIs report reasoning ("thinking") tokens apart
/// from the output tokens (Gemini's `thoughts_token_count` is not part of
/// `candidates_token_count`), so the default accounting for them is additive.
pub fn reports_reasoning_apart(provider: &str) -> bool {
    matches!(provider, "gcp.gemini" | "gcp.vertex_ai" | "gcp.gen_ai")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litellm_names_map_to_semconv() {
        assert_eq!(canonical("bedrock_converse"), "aws.bedrock");
        assert_eq!(canonical("vertex_ai-language-models"), "gcp.vertex_ai");
        assert_eq!(canonical("Azure"), "azure.ai.openai");
        assert_eq!(canonical("groq"), "groq");
        assert_eq!(canonical("FireWorks_AI"), "fireworks_ai");
    }
}
