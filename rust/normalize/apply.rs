//! Rewriting one attribute list. A first pass only looks keys up and checks
//! whether anything would change, so lists without work cost no allocation;
//! a second pass does the work.
//!
//!
//! One module, over 500 lines: the first pass over a list (which rules
//! apply, which keys are present) and the rewrite it feeds share the
//! per-list key analysis.

use opentelemetry_proto::tonic::common::v1::{any_value::Value, AnyValue, KeyValue};

use super::coerce::{acceptable_in_place, coerce, kind_of, Kind};
use super::rules::{Action, KeyId, Rule, Rules};
use super::table::{
    Places, Transform, JSON_MAX_BYTES, OPERATION, PROVIDER, REQUEST_MODEL, RESPONSE_MODEL,
    TOKEN_TYPE, USAGE_PREFIX,
};
use super::{messages, values};
use crate::attrs::{self, same_key};
use crate::stats::Stats;

/// Lists up to this long keep their rules on the stack.
const RULES_ON_STACK: usize = 64;

/// Key sets of up to 64 times this many ids live on the stack (the
/// built-in tables have a few hundred keys).
const KEY_WORDS_ON_STACK: usize = 8;

/// A set of [`KeyId`]s, a bit each: which keys a list holds, or which
/// targets were written. It spares searching the list once per target.
struct KeySet {
    stack: [u64; KEY_WORDS_ON_STACK],
    heap: Vec<u64>,
}

impl KeySet {
    /// An empty set for ids below `ids`.
    fn new(ids: usize) -> Self {
        let words = ids.div_ceil(64);
        KeySet {
            stack: [0; KEY_WORDS_ON_STACK],
            heap: match words > KEY_WORDS_ON_STACK {
                true => vec![0; words],
                false => Vec::new(),
            },
        }
    }

    fn words(&self) -> &[u64] {
        match self.heap.is_empty() {
            true => &self.stack,
            false => &self.heap,
        }
    }

    fn words_mut(&mut self) -> &mut [u64] {
        match self.heap.is_empty() {
            true => &mut self.stack,
            false => &mut self.heap,
        }
    }

    fn insert(&mut self, id: KeyId) {
        let id = id as usize;
        self.words_mut()[id / 64] |= 1 << (id % 64);
    }

    fn contains(&self, id: KeyId) -> bool {
        let id = id as usize;
        self.words()[id / 64] & (1 << (id % 64)) != 0
    }
}

/// What a first pass over a list found about its keys.
struct ListKeys {
    /// Where the list is (its prefixes depend on it).
    place: Places,
    /// The ids of the keys it holds.
    present: KeySet,
    /// Which flattened-message prefixes occur (bit i:
    /// `message_prefixes[i]`, bit 63 standing for all from the 63rd on).
    prefixes: u64,
}

/// Options `apply` needs besides the rules.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub overwrite: bool,
    pub remove_originals: bool,
}

/// The attribute's value; an empty string counts as unset (OpenLIT writes
/// `""` for parameters the caller did not pass, e.g. `gen_ai.request.seed`).
fn value_of(kv: &KeyValue) -> Option<&Value> {
    kv.value
        .as_ref()
        .and_then(|v| v.value.as_ref())
        .filter(|v| !matches!(v, Value::StringValue(s) if s.is_empty()))
}

/// `key.starts_with(prefix)`, compared a word at a time inline: every
/// decoded key is checked against each message prefix, and `starts_with`
/// calls `memcmp`.
fn starts_with(key: &str, prefix: &str) -> bool {
    key.len() >= prefix.len() && same_key(&key.as_bytes()[..prefix.len()], prefix.as_bytes())
}

/// The rules among `rules` that apply at `place`.
fn at(rules: &[Rule], place: Places) -> impl Iterator<Item = &Rule> {
    rules.iter().filter(move |r| r.places & place != 0)
}

impl Rules {
    /// Every rule for `key`, in any place. An empty key (the wire path's
    /// placeholders) has none and costs no lookup.
    fn rules_of(&self, key: &str) -> &[Rule] {
        if key.is_empty() {
            return &[];
        }
        self.by_key.get(key).map_or(&[], |k| k.rules.as_slice())
    }

    fn rules_for<'a>(&'a self, key: &str, place: Places) -> impl Iterator<Item = &'a Rule> {
        at(self.rules_of(key), place)
    }

    /// Rewrites `attrs` for `place`; returns whether anything changed.
    pub fn apply(
        &self,
        opts: Options,
        attrs: &mut Vec<KeyValue>,
        place: Places,
        stats: &mut Stats,
        work: &mut Work,
    ) -> bool {
        // Each attribute's rules, looked up once for both passes; on the
        // stack for lists of usual length, so lists without work cost no
        // allocation.
        let mut on_stack: [&[Rule]; RULES_ON_STACK] = [&[]; RULES_ON_STACK];
        let mut on_heap = Vec::new();
        let rules: &mut [&[Rule]] = match attrs.len() {
            n if n <= RULES_ON_STACK => &mut on_stack[..n],
            n => {
                on_heap.resize(n, &[][..]);
                &mut on_heap
            }
        };
        let mut keys = ListKeys {
            place,
            present: KeySet::new(self.ids()),
            prefixes: 0,
        };
        for (kv, slot) in attrs.iter().zip(rules.iter_mut()) {
            if kv.key.is_empty() {
                continue;
            }
            if let Some(keyed) = self.by_key.get(kv.key.as_str()) {
                *slot = &keyed.rules;
                keys.present.insert(keyed.id);
            }
            keys.prefixes |= self.message_prefixes_of(&kv.key, place);
        }
        let has_work = keys.prefixes != 0
            || attrs.iter().zip(rules.iter()).any(|(kv, slot)| {
                at(slot, place)
                    .any(|r| self.needs_work(r, opts, &kv.key, value_of(kv), &keys.present))
            });
        has_work && self.rewrite(opts, attrs, rules, &keys, stats, work)
    }

    /// The flattened-message prefixes `key` falls under at `place`, as
    /// bits (bit i: `message_prefixes[i]`, bit 63 standing for all from
    /// the 63rd on).
    fn message_prefixes_of(&self, key: &str, place: Places) -> u64 {
        self.message_prefixes
            .iter()
            .enumerate()
            .filter(|(_, m)| m.places & place != 0 && starts_with(key, &m.prefix))
            .fold(0, |bits, (i, _)| bits | 1 << i.min(63))
    }

    /// Whether `rule` would change something; never allocates.
    fn needs_work(
        &self,
        rule: &Rule,
        opts: Options,
        key: &str,
        value: Option<&Value>,
        present: &KeySet,
    ) -> bool {
        let Some(value) = value else { return false };
        match &rule.action {
            // A target already present wins: nothing to do (the common case
            // of instrumentations writing both spellings).
            Action::Map {
                to_id, transform, ..
            } => {
                matches!(transform, Transform::Json(_))
                    || opts.overwrite
                    || !present.contains(*to_id)
            }
            Action::Canonical { kind } => {
                !acceptable_in_place(*kind, value)
                    || matches!(value, Value::StringValue(s) if self.respell(key, s).is_some())
            }
            Action::FillRequestModel => !present.contains(self.request_model),
        }
    }

    /// The canonical spelling of a canonical key's string value, or `None`
    /// when it already is: custom "before" maps, then the built-in
    /// respelling (providers, operations, token types), then custom "after"
    /// maps.
    pub fn respell(&self, key: &str, v: &str) -> Option<String> {
        let changed = |to: &String| (to != v).then(|| to.clone());
        if let Some(maps) = self.values_before.get(key) {
            if let Some(to) = maps.iter().find_map(|m| m.get(v)) {
                return changed(to);
            }
        }
        let builtin = match key {
            PROVIDER => values::provider(v, false),
            OPERATION => values::operation(v).map(str::to_string),
            TOKEN_TYPE => values::token_type(v).map(str::to_string),
            _ => None,
        };
        if let Some(maps) = self.values_after.get(key) {
            let current = builtin.as_deref().unwrap_or(v);
            if let Some(to) = maps
                .iter()
                .find_map(|m| m.get(current).or_else(|| m.get(v)))
            {
                return changed(to);
            }
        }
        builtin
    }

    /// `rules` holds each attribute's rules, `keys` what the first pass
    /// found about the list's keys; `work` holds the work lists.
    fn rewrite(
        &self,
        opts: Options,
        attrs: &mut Vec<KeyValue>,
        rules: &[&[Rule]],
        keys: &ListKeys,
        stats: &mut Stats,
        work: &mut Work,
    ) -> bool {
        let Work { todo, originals } = work;
        let (present, place) = (&keys.present, keys.place);
        let mut changed = false;

        // Canonical attributes first, in place: their type and spelling.
        for (kv, rules) in attrs.iter_mut().zip(rules) {
            let kind = at(rules, place).find_map(|r| match r.action {
                Action::Canonical { kind } => Some(kind),
                _ => None,
            });
            let (Some(kind), Some(v)) = (kind, value_of(kv)) else {
                continue;
            };
            let coerced = match acceptable_in_place(kind, v) {
                true => Ok(None),
                false => coerce(kind, v),
            };
            let fixed = match coerced {
                Err(()) => {
                    stats.coercion_failures += 1;
                    continue;
                }
                Ok(c) => self.respelled(&kv.key, c.as_ref().unwrap_or(v)).or(c),
            };
            if let Some(new) = fixed {
                kv.value = Some(AnyValue { value: Some(new) });
                stats.values_normalized += 1;
                changed = true;
            }
        }

        // Then mappings, highest-ranked source key first.
        todo.clear();
        for (i, (kv, rules)) in attrs.iter().zip(rules).enumerate() {
            for (j, r) in rules.iter().enumerate() {
                if r.places & place != 0
                    && matches!(r.action, Action::Map { .. })
                    && value_of(kv).is_some()
                {
                    todo.push((r.rank, i as u32, j as u32));
                }
            }
        }
        todo.sort_unstable();
        let inputs = attrs.len();
        // One allocation instead of growth steps: mapped items are the hot
        // path of GenAI batches.
        attrs.reserve(todo.len());
        let mut written = KeySet::new(self.ids());
        originals.clear();
        let mut vercel_outer: Option<bool> = None;
        // A target is taken when written already, or, without overwrite,
        // present in the input.
        let blocked = |written: &KeySet, target: KeyId| {
            written.contains(target) || (!opts.overwrite && present.contains(target))
        };
        for &(_, i, j) in todo.iter() {
            let i = i as usize;
            let Action::Map {
                to,
                to_id,
                transform,
                kind,
            } = &rules[i][j as usize].action
            else {
                continue;
            };
            // Targets are checked before the value is built, so conflicts
            // cost no copy.
            let outputs = match transform {
                Transform::Json(fields) => {
                    let Some(Value::StringValue(s)) = value_of(&attrs[i]) else {
                        stats.coercion_failures += 1;
                        continue;
                    };
                    let Some(fields) = expand_json(s, fields, stats) else {
                        continue;
                    };
                    let with_ids = fields.into_iter().map(|(target, value)| {
                        let id = self
                            .id_of(target)
                            .expect("Rules::build numbers Json targets");
                        (target, id, value)
                    });
                    Outputs::Many(with_ids.collect::<Vec<_>>().into_iter())
                }
                _ => {
                    if blocked(&written, *to_id) {
                        continue;
                    }
                    let Some(src) = value_of(&attrs[i]) else {
                        continue;
                    };
                    match self.produce(src, to, *transform, *kind, stats) {
                        Some(v) => Outputs::One(Some((&**to, *to_id, v))),
                        None => continue,
                    }
                }
            };
            let mut wrote = false;
            for (target, id, value) in outputs {
                if blocked(&written, id)
                    || (target.starts_with(USAGE_PREFIX)
                        && self.vercel
                        && *vercel_outer.get_or_insert_with(|| {
                            let [id, name] = self.vercel_context;
                            (present.contains(id) || present.contains(name))
                                && is_vercel_outer(attrs)
                        }))
                {
                    continue;
                }
                // Not blocked: without overwrite the target is absent (it is
                // neither an input key nor written), so it is appended
                // without a search.
                match opts.overwrite {
                    true => attrs::set(attrs, target, value),
                    false => attrs.push(attrs::kv(target, value)),
                }
                written.insert(id);
                stats.attributes_normalized += 1;
                wrote = true;
            }
            if wrote {
                changed = true;
                originals.push(i);
            }
        }

        // OpenInference's flattened messages, one JSON string per direction.
        for (i, m) in self.message_prefixes.iter().enumerate() {
            if keys.prefixes & (1 << i.min(63)) == 0
                || m.places & place == 0
                || blocked(&written, m.to_id)
            {
                continue;
            }
            if let Some((json, used)) = messages::rebuild(&attrs[..inputs], &m.prefix) {
                attrs::set(attrs, &m.to, Value::StringValue(json));
                written.insert(m.to_id);
                stats.attributes_normalized += 1;
                changed = true;
                originals.extend(used);
            }
        }

        // OpenLLMetry metrics name only the response model.
        if self
            .rules_for(RESPONSE_MODEL, place)
            .any(|r| matches!(r.action, Action::FillRequestModel))
            && !present.contains(self.request_model)
            && !written.contains(self.request_model)
        {
            if let Some(model) = attrs::get_str(attrs, RESPONSE_MODEL).map(str::to_string) {
                attrs.push(attrs::kv(REQUEST_MODEL, Value::StringValue(model)));
                stats.attributes_normalized += 1;
                changed = true;
            }
        }

        if opts.remove_originals && !originals.is_empty() {
            // One pass: removing them one by one moved the rest each time.
            originals.sort_unstable();
            let mut i = 0;
            attrs.retain(|_| {
                i += 1;
                originals.binary_search(&(i - 1)).is_err()
            });
        }
        changed
    }

    /// Respelling of an already-typed value, as a new value when it changes.
    fn respelled(&self, key: &str, v: &Value) -> Option<Value> {
        match v {
            Value::StringValue(s) => self.respell(key, s).map(Value::StringValue),
            _ => None,
        }
    }

    /// The canonical value one source value yields, or `None` when there is
    /// nothing to write (a failure is counted here).
    fn produce(
        &self,
        src: &Value,
        to: &str,
        transform: Transform,
        kind: Kind,
        stats: &mut Stats,
    ) -> Option<Value> {
        let transformed = match (transform, src) {
            (Transform::Copy, _) => None,
            (Transform::VercelProvider, Value::StringValue(s)) => {
                values::provider(s, true).map(Value::StringValue)
            }
            // `openai/gpt-4o-mini`: the provider; a bare model names none.
            (Transform::SlashProvider, Value::StringValue(s)) => {
                let (provider, _) = s.split_once('/')?;
                if provider.is_empty() {
                    return None;
                }
                Some(Value::StringValue(provider.to_string()))
            }
            // A kind without an operation (e.g. Vercel's outer spans): nothing to write.
            (Transform::Lookup(table), Value::StringValue(s)) => {
                Some(Value::StringValue(values::lookup(table, s)?.to_string()))
            }
            _ => {
                stats.coercion_failures += 1;
                return None;
            }
        };
        let current = transformed.as_ref().unwrap_or(src);
        let value = match coerce(kind, current) {
            Ok(Some(c)) => c,
            Ok(None) => transformed.unwrap_or_else(|| src.clone()),
            Err(()) => {
                stats.coercion_failures += 1;
                return None;
            }
        };
        let value = self.respelled(to, &value).unwrap_or(value);
        if let (Value::StringValue(a), Value::StringValue(b)) = (src, &value) {
            if a != b {
                stats.values_normalized += 1;
            }
        }
        Some(value)
    }
}

/// Work lists of `rewrite`, kept in the batch so that rewriting a list
/// does not allocate them each time.
#[derive(Debug, Default)]
pub struct Work {
    /// The mappings to make: (rank, attribute, rule of the attribute).
    todo: Vec<(u32, u32, u32)>,
    /// Attributes mapped, to remove when originals are removed.
    originals: Vec<usize>,
}

/// What one mapping writes (key, its id, value): usually one attribute,
/// several for JSON details.
enum Outputs<'a> {
    One(Option<(&'a str, KeyId, Value)>),
    Many(std::vec::IntoIter<(&'a str, KeyId, Value)>),
}

impl<'a> Iterator for Outputs<'a> {
    type Item = (&'a str, KeyId, Value);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Outputs::One(o) => o.take(),
            Outputs::Many(it) => it.next(),
        }
    }
}

/// A JSON object string's known fields: Langfuse's usage and cost details
/// (numbers), OpenInference's invocation parameters (the model, a string),
/// LiteLLM's usage object (a Python dict literal, nested details). A field
/// is a name or a dotted path into nested objects; a field that is absent
/// or null is skipped. Strings over [`JSON_MAX_BYTES`] are not parsed.
fn expand_json(
    s: &str,
    fields: &'static [(&'static str, &'static str)],
    stats: &mut Stats,
) -> Option<Vec<(&'static str, Value)>> {
    if s.len() > JSON_MAX_BYTES {
        stats.coercion_failures += 1;
        return None;
    }
    let parsed = serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .or_else(|| python_literal_as_json(s).and_then(|j| serde_json::from_str(&j).ok()));
    let Some(serde_json::Value::Object(obj)) = parsed else {
        stats.coercion_failures += 1;
        return None;
    };
    let mut out = Vec::new();
    for (field, target) in fields {
        let mut path = field.split('.');
        let first = path.next().and_then(|f| obj.get(f));
        let Some(n) = path.try_fold(first, |node, f| Some(node?.get(f))).flatten() else {
            continue;
        };
        if n.is_null() {
            continue;
        }
        let v = match (kind_of(target), n.as_i64(), n.as_f64()) {
            (Kind::Int, Some(i), _) => Value::IntValue(i),
            (Kind::Int, None, Some(d)) if d.fract() == 0.0 => Value::IntValue(d as i64),
            (Kind::Double, _, Some(d)) => Value::DoubleValue(d),
            (Kind::Str, _, _) if n.is_string() => Value::StringValue(n.as_str()?.to_string()),
            _ => {
                stats.coercion_failures += 1;
                continue;
            }
        };
        out.push((*target, v));
    }
    Some(out)
}

/// A Python literal (`repr` of a dict, as LiteLLM writes its usage object:
/// `{'prompt_tokens': 10, 'details': None}`) rewritten as JSON, or `None`
/// when it is not one: single- or double-quoted strings become JSON strings,
/// `None` / `True` / `False` become `null` / `true` / `false`, everything
/// else is copied. Linear in the input; the caller bounds its length.
fn python_literal_as_json(s: &str) -> Option<String> {
    if !s.trim_start().starts_with('{') {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        q if q == c => break,
                        '\\' => match chars.next()? {
                            '\'' => out.push('\''),
                            'x' => {
                                let hex: String = [chars.next()?, chars.next()?].iter().collect();
                                out.push_str("\\u00");
                                out.push_str(&hex);
                            }
                            e => {
                                out.push('\\');
                                out.push(e);
                            }
                        },
                        '"' => out.push_str("\\\""),
                        ch if (ch as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", ch as u32)),
                        ch => out.push(ch),
                    }
                }
                out.push('"');
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if !(n.is_ascii_alphanumeric() || n == '_') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push_str(match word.as_str() {
                    "None" => "null",
                    "True" => "true",
                    "False" => "false",
                    // Something else (e.g. a class name in a repr): JSON parsing
                    // will fail on it, as it should.
                    w => w,
                });
            }
            c => out.push(c),
        }
    }
    Some(out)
}

/// The attributes that tell a Vercel AI SDK span's kind; read besides the
/// rule keys, so they count among the keys normalization reads.
pub const VERCEL_CONTEXT: [&str; 2] = ["ai.operationId", "operation.name"];

/// A Vercel AI SDK span that wraps the LLM calls (`ai.generateText`,
/// `ai.streamText`, ...): it repeats their usage, which must be counted once.
fn is_vercel_outer(attrs: &[KeyValue]) -> bool {
    let [operation_id, operation_name] = VERCEL_CONTEXT;
    let op = attrs::get_str(attrs, operation_id)
        .or_else(|| attrs::get_str(attrs, operation_name).filter(|s| s.starts_with("ai.")));
    op.is_some_and(|op| !values::vercel_is_llm_call(op))
}

#[cfg(test)]
mod tests {
    use super::{expand_json, python_literal_as_json, KeySet};
    use crate::normalize::table::{
        CACHE_READ_TOKENS, JSON_MAX_BYTES, LITELLM_USAGE_FIELDS, REASONING_TOKENS,
    };
    use crate::stats::Stats;
    use opentelemetry_proto::tonic::common::v1::any_value::Value;

    #[test]
    fn nested_fields_are_read_and_big_values_are_not_parsed() {
        let mut stats = Stats::default();
        let usage = "{'prompt_tokens': 120, 'prompt_tokens_details': {'cached_tokens': 40}, \
                     'completion_tokens_details': None}";
        let out = expand_json(usage, LITELLM_USAGE_FIELDS, &mut stats).expect("parsed");
        assert!(out.contains(&(CACHE_READ_TOKENS, Value::IntValue(40))));
        assert!(!out.iter().any(|(k, _)| *k == REASONING_TOKENS));
        assert_eq!(stats.coercion_failures, 0);
        // Over the bound: not parsed, counted.
        let big = format!(
            "{{'prompt_tokens': 1, 'pad': '{}'}}",
            "x".repeat(JSON_MAX_BYTES)
        );
        assert!(expand_json(&big, LITELLM_USAGE_FIELDS, &mut stats).is_none());
        assert_eq!(stats.coercion_failures, 1);
    }

    #[test]
    fn python_literals_read_as_json() {
        let lit = "{'a': 1, 'b': None, 'c': {'d': True, 'e': False}, \"q\": 'it\\'s \"x\"', 'u': 'caf\\xe9'}";
        let json = python_literal_as_json(lit).expect("a dict");
        let v: serde_json::Value = serde_json::from_str(&json).expect(&json);
        assert_eq!(v["a"], 1);
        assert!(v["b"].is_null());
        assert_eq!(v["c"]["d"], true);
        assert_eq!(v["c"]["e"], false);
        assert_eq!(v["q"], "it's \"x\"");
        assert_eq!(v["u"], "caf\u{e9}");
        assert_eq!(python_literal_as_json("[1, 2]"), None);
        // unterminated string: not a literal
        assert_eq!(python_literal_as_json("{'a"), None);
    }

    #[test]
    fn key_sets_hold_exactly_their_ids_on_stack_and_heap() {
        // 100 ids fit on the stack; 5,000 (many user-defined keys) do not.
        for ids in [100u32, 5_000] {
            let mut set = KeySet::new(ids as usize);
            let members = [0, 1, 63, 64, ids / 2, ids - 1];
            for id in members {
                set.insert(id);
            }
            for id in 0..ids {
                assert_eq!(set.contains(id), members.contains(&id), "id {id} of {ids}");
            }
        }
    }
}
