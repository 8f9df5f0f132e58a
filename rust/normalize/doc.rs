//! Generates the mapping reference (`docs/normalization.md`) from the code's
//! own tables, so the documentation cannot drift from the behaviour. The
//! test `tests/normalize_docs.rs` fails when the file is stale and rewrites
//! it with `GENAI_BLESS=1`.

use std::fmt::Write;

use super::coerce::CANONICAL_TYPES;
use super::table::{Places, Transform, ALL, BUILTIN, EVENT, ITEMS, LOG, POINT, RESOURCE, SPAN};
use super::values::{
    CANONICAL_OPERATIONS, CANONICAL_PROVIDERS, OPERATION_ALIASES, PROVIDER_ALIASES,
    TOKEN_TYPE_ALIASES,
};

const INTRO: &str = "\
# Attribute normalization

The `genai` processor rewrites GenAI telemetry from many instrumentation
libraries into the current OpenTelemetry GenAI semantic conventions (1.37+,
as OpenLIT 1.45 emits them), on span, span event, log record, metric data
point and resource attributes, so one dashboard and one cost engine serve
everything.

<!-- Generated from rust/normalize/{table,values,coerce}.rs by
     tests/normalize_docs.rs (GENAI_BLESS=1 cargo test --test normalize_docs).
     Do not edit by hand. -->

## Configuration

```yaml
processors:
  genai:
    normalize:
      enabled: true            # the whole stage
      overwrite: false         # mapped values replace canonical attributes already present
      remove_originals: false  # drop a source attribute once its value was written
      environment: legacy      # legacy: deployment.environment.name -> deployment.environment
                               # name:   deployment.environment -> deployment.environment.name
                               # off:    neither
      sources:                 # built-in sources, all on by default
        otel_legacy: true
        openlit_legacy: true
        openllmetry: true
        openinference: true
        vercel_ai: true
        langfuse: true
        litellm: true
      custom_sources:
        - name: my_gateway
          position: after      # after (default): built-ins win; before: this source wins
          attributes:          # source key -> canonical key
            my_gateway.tokens.in: gen_ai.usage.input_tokens
            my_gateway.model: gen_ai.request.model
          values:              # canonical key -> (exact value -> canonical value)
            gen_ai.provider.name:
              my-openai-proxy: openai
```

## Rules

- A source key is mapped only if its canonical key is absent, unless
  `overwrite` is set. When several source keys of one item map to the same
  canonical key, the one listed first below wins (custom sources with
  `position: before` come before every built-in, those with `position: after`
  after them).
- Values are coerced to the canonical type (below): `\"123\"` tokens become
  int 123, a single finish reason becomes a one-element list. A value that
  cannot be coerced is left where it was (the source attribute is kept even
  with `remove_originals`) and counted in `coercion_failures`. Canonical
  attributes already present are coerced and respelled in place too (an
  int where a double is expected is left as it is: OpenLIT 1.45 writes a zero
  cost as int 0).
- An empty string counts as unset: it is neither mapped nor coerced (OpenLIT
  writes `\"\"` for parameters the caller did not pass).
- `remove_originals` removes a source attribute only once its value was
  written; a source attribute whose mapping was skipped (canonical key
  present, coercion failure) is kept, so nothing is lost.
- Vercel AI SDK: only the inner `doGenerate` / `doStream` / `doEmbed` spans
  are LLM calls. On the outer spans (`ai.operationId` or `operation.name` such
  as `ai.generateText`, `ai.streamText`), no `gen_ai.usage.*` attribute is
  written, so neither token sums nor cost count a call twice; they get no
  `gen_ai.operation.name` either.
- LiteLLM (`litellm.callbacks = [\"otel\"]`): each call is a
  `litellm_request` span (model, `gen_ai.system`, usage, operation, status,
  LiteLLM's own cost) with a `raw_gen_ai_request` child holding the provider's
  raw request and response as `llm.<provider>.*` keys. Only the former is
  normalized into a call: nothing is mapped from `llm.<provider>.*`, so the
  child gets no operation, model or usage and is not counted twice. The cache
  and reasoning token counts exist only inside `metadata.usage_object`, a
  Python dict literal, which is read with a size bound.
  `gen_ai.cost.total_cost` becomes `gen_ai.usage.cost`, which the cost stage
  keeps unless `cost.override` is set.
- OpenLLMetry metrics carry `gen_ai.response.model` but no
  `gen_ai.request.model`: with `sources.openllmetry` on, the request model of
  a metric data point is filled from its response model when absent.
- OpenInference's flattened messages (`llm.input_messages.<i>.message.*`,
  `llm.output_messages.<i>.message.*`) are rebuilt into one JSON string per
  direction, in the conventions' message shape.
- Counters: `attributes_normalized` counts canonical attributes written by a
  mapping; `values_normalized` counts values respelled (provider, operation,
  token type, custom value maps, a mapped value that changed spelling) and
  canonical values coerced in place; `coercion_failures` counts values left
  alone.
- Only GenAI batches are normalized: a trace or log batch needs a resource,
  span, span event or log record attribute whose key is a GenAI key (it holds
  one of the needles `gen_ai`, `llm.`, `traceloop.`, ... or a custom source's
  key); GenAI words in names, values or bodies do not count. So the
  environment copy happens on the resources of GenAI batches only:
  `deployment.environment(.name)` alone does not make a batch GenAI (most
  non-GenAI traffic carries it).
- The `schema_url` of every touched scope that had none is set to the semantic
  conventions version we emit.
";

fn places(p: Places) -> String {
    match p {
        ALL => "all".into(),
        ITEMS => "items".into(),
        _ => [
            (RESOURCE, "resource"),
            (SPAN, "span"),
            (EVENT, "span event"),
            (LOG, "log"),
            (POINT, "metric point"),
        ]
        .iter()
        .filter(|(bit, _)| p & bit != 0)
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(", "),
    }
}

fn pairs(table: &[(&str, &str)]) -> String {
    table
        .iter()
        .map(|(a, b)| format!("`{a}` → `{b}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole reference document.
pub fn reference() -> String {
    let mut out = String::from(INTRO);
    out.push_str(
        "\n## Built-in sources\n\n\
         Places: *items* = spans, span events, log records and metric data points; \
         *all* adds the resource.\n",
    );
    for t in BUILTIN {
        let _ = write!(
            out,
            "\n### {} (`sources.{}`)\n\n| source key | canonical key | places | value |\n|---|---|---|---|\n",
            t.title, t.name
        );
        for m in t.mappings {
            let value = match m.transform {
                Transform::Copy => String::new(),
                Transform::VercelProvider => "part before the first dot, then respelled".into(),
                Transform::SlashProvider => {
                    "part before the first slash (none without one), then respelled".into()
                }
                Transform::Lookup(table) => pairs(table),
                Transform::Json(fields) => format!(
                    "JSON (or Python dict literal) fields, at most {} bytes: {}",
                    super::table::JSON_MAX_BYTES,
                    pairs(fields)
                ),
                Transform::Messages => {
                    "flattened messages rebuilt as one JSON string (`text`, `tool_call`, \
                     `tool_call_response` parts)"
                        .into()
                }
            };
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} | {} |",
                m.from,
                m.to,
                places(m.places),
                value
            );
        }
    }
    out.push_str(
        "\n### Environment (`environment`)\n\n\
         | `environment` | source key | canonical key | places |\n|---|---|---|---|\n\
         | `legacy` (default) | `deployment.environment.name` | `deployment.environment` | all |\n\
         | `name` | `deployment.environment` | `deployment.environment.name` | all |\n",
    );
    out.push_str("\n## Values\n\n### `gen_ai.provider.name`\n\nCanonical: ");
    out.push_str(
        &CANONICAL_PROVIDERS
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(
        ".\n\nMatched case-insensitively. A dotted value whose first one or two segments \
         name a provider takes it (`openai.chat` → `openai`, `google.vertex.chat` → \
         `gcp.vertex_ai`); any other value is kept, lower-cased.\n\n\
         | value | canonical |\n|---|---|\n",
    );
    for (a, b) in PROVIDER_ALIASES {
        let _ = writeln!(out, "| `{a}` | `{b}` |");
    }
    out.push_str("\n### `gen_ai.operation.name`\n\nCanonical: ");
    out.push_str(
        &CANONICAL_OPERATIONS
            .iter()
            .map(|(p, _)| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let _ = write!(
        out,
        ".\n\nAlso respelled: {}. Other values are kept.\n",
        pairs(OPERATION_ALIASES)
    );
    let _ = write!(
        out,
        "\n### `gen_ai.token.type`\n\n{}.\n",
        pairs(TOKEN_TYPE_ALIASES)
    );
    out.push_str("\n## Canonical types\n\n| key | type |\n|---|---|\n");
    for (k, kind) in CANONICAL_TYPES {
        let _ = writeln!(out, "| `{k}` | {} |", kind.name());
    }
    out.push_str("\nOther keys are copied with whatever type they have.\n");
    out
}
