//! Batches of the adversarial shapes of issue 24, built at a requested size,
//! so the scaling benchmark (`benches/adversarial.rs`) and the scaling test
//! (`tests/hostile_scaling.rs`) measure the same inputs. Each shape grows
//! along the dimension an attacker would grow: one model name, the keys of
//! one attribute list, the number of items, the nesting of one value.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use otelcol_genai::pricing::table::MAX_MODEL_NAME_BYTES;
use otelcol_genai::Signal;
use prost::Message;

use super::{hist_point, histogram, kv, len_field, log, logs, metrics, span, traces, SplitMix64};

/// The default configuration, as `genai:` alone gives it.
pub const DEFAULT: &str = "{}";
/// Normalization removing the attributes it mapped.
pub const REMOVE_ORIGINALS: &str = r#"{"normalize":{"remove_originals":true}}"#;

/// One adversarial shape: the signal, the configuration it is processed
/// with, and a builder of a batch of about `n` bytes.
pub struct Shape {
    pub name: &'static str,
    pub signal: Signal,
    pub config: &'static str,
    pub build: fn(usize) -> Vec<u8>,
}

/// Every shape, in the order the benchmark reports them.
pub const SHAPES: &[Shape] = &[
    Shape {
        name: "model_slash_at",
        signal: Signal::Traces,
        config: DEFAULT,
        build: model_slash_at,
    },
    Shape {
        name: "model_slash",
        signal: Signal::Traces,
        config: DEFAULT,
        build: model_slash,
    },
    Shape {
        name: "model_names_at_limit",
        signal: Signal::Traces,
        config: DEFAULT,
        build: model_names_at_limit,
    },
    Shape {
        name: "metric_dotted_keys",
        signal: Signal::Metrics,
        config: DEFAULT,
        build: metric_dotted_keys,
    },
    Shape {
        name: "metric_dotted_keys_taken",
        signal: Signal::Metrics,
        config: DEFAULT,
        build: metric_dotted_keys_taken,
    },
    Shape {
        name: "legacy_keys_remove_originals",
        signal: Signal::Traces,
        config: REMOVE_ORIGINALS,
        build: legacy_keys_plus_plain,
    },
    Shape {
        name: "large_distinct_keys",
        signal: Signal::Traces,
        config: DEFAULT,
        build: large_distinct_keys,
    },
    Shape {
        name: "openinference_messages",
        signal: Signal::Traces,
        config: DEFAULT,
        build: openinference_messages,
    },
    // Every message attribute removed once mapped: thousands of changes
    // in a list of thousands.
    Shape {
        name: "openinference_messages_remove_originals",
        signal: Signal::Traces,
        config: REMOVE_ORIGINALS,
        build: openinference_messages,
    },
    Shape {
        name: "nested_values",
        signal: Signal::Logs,
        config: DEFAULT,
        build: nested_values,
    },
    Shape {
        name: "deep_nesting",
        signal: Signal::Logs,
        config: DEFAULT,
        build: deep_nesting,
    },
];

/// What an LLM call's span carries besides its model.
fn call_attrs(model: &str) -> Vec<KeyValue> {
    vec![
        kv("gen_ai.provider.name", "openai"),
        kv("gen_ai.operation.name", "chat"),
        kv("gen_ai.request.model", model),
        kv("gen_ai.usage.input_tokens", 1000),
        kv("gen_ai.usage.output_tokens", 500),
    ]
}

fn one_span(attrs: Vec<KeyValue>) -> Vec<u8> {
    traces(vec![kv("service.name", "svc")], vec![span("chat", attrs)]).encode_to_vec()
}

/// `pattern` repeated to exactly `n` bytes (ASCII patterns only).
fn repeat_to(pattern: &str, n: usize) -> String {
    pattern.repeat(n / pattern.len() + 1)[..n].to_string()
}

/// One span whose request model is `a/@` repeated: a provider segment and
/// a version suffix to strip at every step (issue 24, row 1).
pub fn model_slash_at(n: usize) -> Vec<u8> {
    one_span(call_attrs(&repeat_to("a/@", n.saturating_sub(160))))
}

/// One span whose request model is `/` alone (issue 24, row 1).
pub fn model_slash(n: usize) -> Vec<u8> {
    one_span(call_attrs(&repeat_to("/", n.saturating_sub(160))))
}

/// Spans each with a distinct crafted model name of the longest length
/// still looked up: the most lookup work per byte (no memo hit, every
/// bounded strip taken).
pub fn model_names_at_limit(n: usize) -> Vec<u8> {
    let per_span = MAX_MODEL_NAME_BYTES + 180;
    let spans: Vec<Span> = (0..(n / per_span).max(1))
        .map(|i| {
            let name = repeat_to(&format!("{i:08}a/@"), MAX_MODEL_NAME_BYTES);
            span("chat", call_attrs(&name))
        })
        .collect();
    traces(vec![kv("service.name", "svc")], spans).encode_to_vec()
}

/// One token usage point with dotted attribute keys (each a label to
/// rename), and when `taken` as many keys already spelled as those labels
/// (issue 24, row 4).
fn dotted_keys_point(n: usize, taken: bool) -> Vec<u8> {
    let per_key = if taken { 34 } else { 17 };
    let keys = (n.saturating_sub(120) / per_key).max(1);
    let mut attrs: Vec<KeyValue> = (0..keys).map(|i| kv(&format!("app.k{i}.x"), "v")).collect();
    if taken {
        attrs.extend((0..keys).map(|i| kv(&format!("app_k{i}_x"), "w")));
    }
    attrs.push(kv("gen_ai.request.model", "gpt-4o"));
    metrics(
        vec![kv("service.name", "svc")],
        vec![histogram(
            "gen_ai.client.token.usage",
            "{token}",
            vec![hist_point(attrs, 10.0, 2)],
        )],
    )
    .encode_to_vec()
}

pub fn metric_dotted_keys(n: usize) -> Vec<u8> {
    dotted_keys_point(n, false)
}

pub fn metric_dotted_keys_taken(n: usize) -> Vec<u8> {
    dotted_keys_point(n, true)
}

/// One span with legacy GenAI keys (each mapped, then removed with
/// `remove_originals`) and plain attributes (issue 24, row 5).
pub fn legacy_keys_plus_plain(n: usize) -> Vec<u8> {
    let mut attrs = vec![
        kv("gen_ai.system", "openai"),
        kv("gen_ai.request.model", "gpt-4o"),
        kv("gen_ai.usage.prompt_tokens", 1000),
        kv("gen_ai.usage.completion_tokens", 500),
        kv("llm.usage.total_tokens", 1500),
    ];
    let plain = (n.saturating_sub(220) / 22).max(1);
    attrs.extend((0..plain).map(|i| kv(&format!("attr.{i:07}"), "value")));
    one_span(attrs)
}

/// One span with distinct 1 KB keys under `gen_ai.` (so the stages read
/// each) next to an LLM call (issue 24, row 2, as the core meets it).
pub fn large_distinct_keys(n: usize) -> Vec<u8> {
    let mut attrs = call_attrs("gpt-4o");
    let key_len = 1024.min(n.saturating_sub(200)).max(16);
    let keys = (n.saturating_sub(200) / (key_len + 8)).max(1);
    attrs.extend((0..keys).map(|i| {
        let key = repeat_to(&format!("gen_ai.x{i:08}."), key_len);
        kv(&key, "v")
    }));
    one_span(attrs)
}

/// One span with OpenInference's flattened chat messages, rebuilt into one
/// JSON string: content full of characters JSON must escape.
pub fn openinference_messages(n: usize) -> Vec<u8> {
    let content = repeat_to("\"\\\n\u{1}<é>", 64);
    let per_message = 140;
    let mut attrs = vec![
        kv("openinference.span.kind", "LLM"),
        kv("llm.model_name", "gpt-4o"),
        kv("llm.provider", "openai"),
    ];
    for i in 0..(n.saturating_sub(160) / per_message).max(1) {
        let prefix = format!("llm.input_messages.{i}.message");
        attrs.push(kv(&format!("{prefix}.role"), "user"));
        attrs.push(kv(&format!("{prefix}.content"), content.as_str()));
    }
    one_span(attrs)
}

/// Array levels of `nested_values`: each is two messages (an `AnyValue`
/// holding an `ArrayValue`), and the decoder refuses more than 100.
pub const NESTED_LEVELS: usize = 40;

/// One log record whose mapped attribute `gen_ai.tool.args` (copied to
/// `gen_ai.tool.call.arguments`) holds arrays nested [`NESTED_LEVELS`] deep, the innermost
/// one as many strings as the size allows: a large value decoded, copied
/// and encoded again.
pub fn nested_values(n: usize) -> Vec<u8> {
    use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, ArrayValue};
    let array = |values| Value::ArrayValue(ArrayValue { values });
    let string = |i: usize| AnyValue {
        value: Some(Value::StringValue(format!("argument {i:08}"))),
    };
    let mut value = array((0..n.saturating_sub(600) / 20).map(string).collect());
    for _ in 0..NESTED_LEVELS {
        value = array(vec![AnyValue { value: Some(value) }]);
    }
    let record = log(
        "tool call",
        vec![
            kv("gen_ai.provider.name", "openai"),
            kv("gen_ai.operation.name", "execute_tool"),
            kv("gen_ai.tool.args", value),
        ],
    );
    logs(vec![kv("service.name", "svc")], vec![record]).encode_to_vec()
}

/// One log record whose mapped attribute `gen_ai.tool.args` holds arrays
/// nested as deep as the size allows (written by hand: prost's encoder
/// would recurse once per level). Past the decoder's nesting limit (100
/// levels) the batch is refused as undecodable.
pub fn deep_nesting(n: usize) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, WireType};
    // Innermost value: AnyValue { string_value: "x" }.
    let inner = [0x0a, 0x01, b'x'];
    // Each level is AnyValue { array_value (5): ArrayValue { values (1): .. } }.
    let depth = (n.saturating_sub(200) / 8).max(1);
    let mut sizes = Vec::with_capacity(depth + 1);
    sizes.push(inner.len());
    let header = |len: usize| 1 + prost::encoding::encoded_len_varint(len as u64);
    for _ in 0..depth {
        let array = sizes.last().unwrap() + header(*sizes.last().unwrap());
        sizes.push(array + header(array));
    }
    let mut value = Vec::with_capacity(sizes[depth]);
    for level in (1..=depth).rev() {
        let array = sizes[level - 1] + header(sizes[level - 1]);
        encode_key(5, WireType::LengthDelimited, &mut value);
        encode_varint(array as u64, &mut value);
        encode_key(1, WireType::LengthDelimited, &mut value);
        encode_varint(sizes[level - 1] as u64, &mut value);
    }
    value.extend_from_slice(&inner);
    // KeyValue { key (1), value (2) } appended as a raw attribute field (6)
    // of the record, after the attributes the builder encodes.
    let mut entry = len_field(1, b"gen_ai.tool.args");
    entry.extend(len_field(2, &value));
    let record = log(
        "tool call",
        vec![
            kv("gen_ai.provider.name", "openai"),
            kv("gen_ai.operation.name", "execute_tool"),
        ],
    );
    let mut record = record.encode_to_vec();
    record.extend(len_field(6, &entry));
    // ExportLogsServiceRequest { resource_logs (1): { scope_logs (2): {
    // log_records (2): record } } }, the record spliced in by hand.
    let scope = {
        let shell = logs(vec![kv("service.name", "svc")], vec![]);
        let rl = &shell.resource_logs[0];
        let mut scope = rl.scope_logs[0].encode_to_vec();
        scope.extend(len_field(2, &record));
        let mut resource_logs = rl.resource.as_ref().unwrap().encode_to_vec();
        resource_logs = len_field(1, &resource_logs);
        resource_logs.extend(len_field(2, &scope));
        resource_logs
    };
    len_field(1, &scope)
}

/// Keys the stages react to, for the random shapes.
const STAGE_KEYS: &[&str] = &[
    "gen_ai.system",
    "gen_ai.provider.name",
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.response.finish_reasons",
    "gen_ai.tool.args",
    "gen_ai.application_name",
    "gen_ai.environment",
    "llm.usage.prompt_tokens",
    "llm.usage.total_tokens",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.request.type",
    "openinference.span.kind",
    "deployment.environment.name",
    "ai.model.id",
    "ai.usage.promptTokens",
    "langfuse.observation.model.name",
];

/// Bytes model names and keys are drawn from.
const NAME_BYTES: &[u8] = b"/@:-.abcxyz";

/// A random adversarial shape: the signal and the dimension that grows with
/// the size follow from `seed`, the configuration and every attribute are
/// drawn from it, so the batches at `n` and at `16 n` are the same recipe.
#[derive(Clone, Copy, Debug)]
pub struct RandomShape {
    pub seed: u64,
}

/// The dimension a random shape grows along.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Grows {
    /// One model name.
    ModelName,
    /// The attributes of one item.
    Attributes,
    /// The number of items.
    Items,
    /// The length of each attribute key.
    KeyLength,
}

impl RandomShape {
    fn rng(&self) -> SplitMix64 {
        SplitMix64(self.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xA5A5)
    }

    /// The signal: seeds 0 to 11 cover every signal with every growing
    /// dimension; the rest of the shape is drawn.
    pub fn signal(&self) -> Signal {
        [Signal::Traces, Signal::Logs, Signal::Metrics][(self.seed % 3) as usize]
    }

    pub fn config(&self) -> &'static str {
        [
            DEFAULT,
            REMOVE_ORIGINALS,
            r#"{"normalize":{"overwrite":true,"remove_originals":true}}"#,
        ][self.rng().below(3) as usize]
    }

    pub fn grows(&self) -> Grows {
        [
            Grows::ModelName,
            Grows::Attributes,
            Grows::Items,
            Grows::KeyLength,
        ][(self.seed / 3 % 4) as usize]
    }

    /// A batch of about `n` bytes.
    pub fn build(&self, n: usize) -> Vec<u8> {
        let mut rng = self.rng();
        rng.next();
        let grows = self.grows();
        let name = |rng: &mut SplitMix64, len: usize| -> String {
            (0..len)
                .map(|_| NAME_BYTES[rng.below(NAME_BYTES.len() as u64) as usize] as char)
                .collect()
        };
        // An item: some stage keys with random values, a model name.
        let fixed = 1 + rng.below(8) as usize;
        let mut item: Vec<KeyValue> = (0..fixed)
            .map(|_| {
                let key = STAGE_KEYS[rng.below(STAGE_KEYS.len() as u64) as usize];
                match rng.below(3) {
                    0 => kv(key, rng.below(100_000) as i64),
                    1 => {
                        let len = 1 + rng.below(40) as usize;
                        kv(key, name(&mut rng, len).as_str())
                    }
                    _ => kv(key, "openai"),
                }
            })
            .collect();
        let model_len = match grows {
            Grows::ModelName => n.saturating_sub(300).max(1),
            _ => 1 + rng.below(300) as usize,
        };
        item.push(kv(
            "gen_ai.request.model",
            name(&mut rng, model_len).as_str(),
        ));
        // Extra attributes: stage keys, dotted plain keys or random names.
        let key_len = match grows {
            Grows::KeyLength => (n / 64).max(8),
            _ => 8 + rng.below(24) as usize,
        };
        let extra = match grows {
            Grows::Attributes => n / (key_len + 12),
            Grows::KeyLength => 48,
            _ => rng.below(16) as usize,
        };
        let seed = rng.next();
        item.extend((0..extra).map(|i| {
            let mut rng = SplitMix64(seed ^ i as u64);
            let key = match rng.below(3) {
                0 => format!(
                    "{}.{i}",
                    STAGE_KEYS[rng.below(STAGE_KEYS.len() as u64) as usize]
                ),
                1 => format!("app.{i}.x"),
                _ => format!("gen_ai.{}", name(&mut rng, 4)),
            };
            kv(&repeat_to(&key, key.len().max(key_len)), "v")
        }));
        let item_bytes: usize = item.iter().map(|kv| kv.encoded_len() + 2).sum::<usize>() + 40;
        let items = match grows {
            Grows::Items => (n / item_bytes).max(1),
            _ => 1,
        };
        let res = vec![kv("service.name", "svc")];
        match self.signal() {
            Signal::Traces => traces(
                res,
                (0..items).map(|_| span("chat", item.clone())).collect(),
            )
            .encode_to_vec(),
            Signal::Logs => logs(
                res,
                (0..items).map(|_| log("event", item.clone())).collect(),
            )
            .encode_to_vec(),
            Signal::Metrics => metrics(
                res,
                vec![histogram(
                    "gen_ai.client.token.usage",
                    "{token}",
                    (0..items)
                        .map(|_| hist_point(item.clone(), 10.0, 2))
                        .collect(),
                )],
            )
            .encode_to_vec(),
        }
    }
}
