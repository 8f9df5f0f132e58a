//! OpenInference flattens chat messages into one attribute per field
//! (`llm.input_messages.0.message.role`, `...content`,
//! `...tool_calls.0.tool_call.function.name`). The current conventions carry
//! them as one JSON string per direction (`gen_ai.input.messages`,
//! `gen_ai.output.messages`, parts typed `text`, `tool_call`,
//! `tool_call_response`); this rebuilds that string.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use serde_json::{json, Value as Json};

/// One message's fields as found.
#[derive(Default)]
struct Message {
    role: String,
    content: String,
    /// Multimodal `message.contents.N.message_content.text` parts.
    contents: BTreeMap<usize, String>,
    tool_call_id: String,
    tool_calls: BTreeMap<usize, ToolCall>,
}

#[derive(Default)]
struct ToolCall {
    id: String,
    name: String,
    arguments: String,
}

/// The JSON messages built from the attributes under `prefix` (which ends
/// with a dot), and the indices of the attributes used. `None` when there
/// are none.
pub fn rebuild(attrs: &[KeyValue], prefix: &str) -> Option<(String, Vec<usize>)> {
    let mut messages: BTreeMap<usize, Message> = BTreeMap::new();
    let mut used = Vec::new();
    for (i, kv) in attrs.iter().enumerate() {
        let Some(rest) = kv.key.strip_prefix(prefix) else {
            continue;
        };
        let Some((index, field)) = indexed(rest) else {
            continue;
        };
        let Some(field) = field.strip_prefix("message.") else {
            continue;
        };
        let value = text(kv);
        let m = messages.entry(index).or_default();
        match field {
            "role" => m.role = value,
            "content" => m.content = value,
            "tool_call_id" => m.tool_call_id = value,
            _ => {
                if let Some(rest) = field.strip_prefix("tool_calls.") {
                    let Some((n, f)) = indexed(rest) else {
                        continue;
                    };
                    let tc = m.tool_calls.entry(n).or_default();
                    match f {
                        "tool_call.id" => tc.id = value,
                        "tool_call.function.name" => tc.name = value,
                        "tool_call.function.arguments" => tc.arguments = value,
                        _ => continue,
                    }
                } else if let Some(rest) = field.strip_prefix("contents.") {
                    let Some((n, "message_content.text")) = indexed(rest) else {
                        continue;
                    };
                    m.contents.insert(n, value);
                } else {
                    continue;
                }
            }
        }
        used.push(i);
    }
    if messages.is_empty() {
        return None;
    }
    let list: Vec<Json> = messages.into_values().map(to_json).collect();
    Some((Json::Array(list).to_string(), used))
}

/// `"3.rest"` -> `(3, "rest")`.
fn indexed(s: &str) -> Option<(usize, &str)> {
    let (n, rest) = s.split_once('.')?;
    Some((n.parse().ok()?, rest))
}

fn text(kv: &KeyValue) -> String {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.clone(),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn to_json(m: Message) -> Json {
    if !m.tool_call_id.is_empty() {
        // A tool's result, sent back to the model.
        let role = if m.role == "user" || m.role.is_empty() {
            "tool".to_string()
        } else {
            m.role
        };
        return json!({"role": role, "parts": [
            {"type": "tool_call_response", "id": m.tool_call_id, "response": m.content}]});
    }
    let mut parts: Vec<Json> = Vec::new();
    if !m.content.is_empty() {
        parts.push(json!({"type": "text", "content": m.content}));
    }
    for t in m.contents.into_values() {
        parts.push(json!({"type": "text", "content": t}));
    }
    for tc in m.tool_calls.into_values() {
        let mut part = json!({"type": "tool_call", "id": tc.id, "name": tc.name});
        if !tc.arguments.is_empty() {
            // Arguments are a JSON document in the source; keep them as one
            // when they parse, as the raw string otherwise.
            part["arguments"] =
                serde_json::from_str(&tc.arguments).unwrap_or(Json::String(tc.arguments));
        }
        parts.push(part);
    }
    json!({"role": m.role, "parts": parts})
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::AnyValue;

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(v.into())),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn rebuilds_messages_in_index_order() {
        let p = "llm.input_messages.";
        let attrs = vec![
            kv("llm.input_messages.1.message.role", "assistant"),
            kv(
                "llm.input_messages.1.message.tool_calls.0.tool_call.function.name",
                "weather",
            ),
            kv(
                "llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments",
                "{\"city\":\"Oslo\"}",
            ),
            kv(
                "llm.input_messages.1.message.tool_calls.0.tool_call.id",
                "c1",
            ),
            kv("llm.input_messages.0.message.role", "user"),
            kv("llm.input_messages.0.message.content", "hi"),
            kv("llm.input_messages.2.message.role", "tool"),
            kv("llm.input_messages.2.message.tool_call_id", "c1"),
            kv("llm.input_messages.2.message.content", "sunny"),
            kv("llm.input_messages.x.message.role", "ignored"),
            kv("other", "ignored"),
        ];
        let (json, used) = rebuild(&attrs, p).unwrap();
        assert_eq!(used, (0..9).collect::<Vec<_>>());
        let v: Json = serde_json::from_str(&json).unwrap();
        assert_eq!(
            v,
            json!([
                {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
                {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1",
                    "name": "weather", "arguments": {"city": "Oslo"}}]},
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1",
                    "response": "sunny"}]}
            ])
        );
        assert!(rebuild(&attrs, "llm.output_messages.").is_none());
    }
}
