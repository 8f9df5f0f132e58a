//! The compiled rule set: built-in tables, environment rule and user-defined
//! sources folded into one hash map from attribute key to what to do with
//! it, built once per configuration.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use crate::hash::FxHasher;

use super::apply::VERCEL_CONTEXT;
use super::coerce::{kind_of, Kind, CANONICAL_TYPES};
use super::config::{EnvironmentDirection, NormalizeConfig, Position};
use super::table::{
    Places, Source, Transform, ALL, BUILTIN, DEPLOYMENT_ENVIRONMENT, DEPLOYMENT_ENVIRONMENT_NAME,
    ITEMS, NEEDLES, POINT, REQUEST_MODEL, RESPONSE_MODEL,
};

/// A key's number among the keys of one [`Rules`]: every rule key and
/// every key a rule writes has one, so that `apply` tells which keys a list
/// holds with a bit each instead of searching the list for each target.
pub type KeyId = u32;

/// The rules of one key (none for a key only written), and its id.
#[derive(Debug)]
pub struct Keyed {
    pub id: KeyId,
    pub rules: Vec<Rule>,
}

/// What to do with an attribute whose key matched.
#[derive(Debug)]
pub enum Action {
    /// Write the (transformed, coerced) value under `to`.
    Map {
        to: Box<str>,
        to_id: KeyId,
        transform: Transform,
        kind: Kind,
    },
    /// The key is canonical: coerce and respell its value in place.
    Canonical { kind: Kind },
    /// OpenLLMetry metrics: fill `gen_ai.request.model` from this
    /// (`gen_ai.response.model`) when absent.
    FillRequestModel,
}

/// One rule for one key.
#[derive(Debug)]
pub struct Rule {
    pub action: Action,
    pub places: Places,
    /// Consultation order: lower ranks win when two keys map to one target.
    pub rank: u32,
}

/// OpenInference's flattened messages under `prefix` become one JSON
/// string under `to`.
#[derive(Debug)]
pub struct MessagePrefix {
    pub prefix: Box<str>,
    pub to: Box<str>,
    pub to_id: KeyId,
    pub places: Places,
}

/// Value maps of user-defined sources for one canonical key.
pub type ValueMap = HashMap<String, String>;

/// Everything `apply` needs, immutable after construction.
#[derive(Debug, Default)]
pub struct Rules {
    pub by_key: HashMap<Box<str>, Keyed, BuildHasherDefault<FxHasher>>,
    /// Custom value maps consulted before the built-in respelling.
    pub values_before: HashMap<Box<str>, Vec<ValueMap>>,
    /// Custom value maps consulted after it.
    pub values_after: HashMap<Box<str>, Vec<ValueMap>>,
    /// Prefixes of flattened message attributes -> canonical key.
    pub message_prefixes: Vec<MessagePrefix>,
    /// The id of `gen_ai.request.model`, which OpenLLMetry's metrics fill.
    pub request_model: KeyId,
    /// The Vercel source is on (outer spans get no usage).
    pub vercel: bool,
    /// The ids of `VERCEL_CONTEXT`'s keys.
    pub vercel_context: [KeyId; 2],
    /// Keys of user-defined sources, which need needles of their own.
    pub custom_keys: Vec<String>,
    /// Every key `apply` reads or writes (rule keys, their targets and the
    /// Vercel context), flattened-message prefixes aside.
    pub reads: HashSet<Box<[u8]>, BuildHasherDefault<FxHasher>>,
}

impl Rules {
    /// Compiles a validated configuration.
    pub fn build(config: &NormalizeConfig) -> Self {
        let mut r = Rules {
            vercel: config.sources.vercel_ai,
            ..Default::default()
        };
        let mut rank = 0u32;
        let customs = |pos: Position| {
            config
                .custom_sources
                .iter()
                .filter(move |s| s.position == pos)
        };
        for s in customs(Position::Before) {
            for (from, to) in &s.attributes {
                r.add_map(from, to, Transform::Copy, ALL, &mut rank);
            }
        }
        for table in BUILTIN {
            if !config.sources.enabled(table.name) {
                continue;
            }
            for m in table.mappings {
                if m.transform == Transform::Messages {
                    let to_id = r.id(m.to);
                    r.message_prefixes.push(MessagePrefix {
                        prefix: m.from.trim_end_matches('*').into(),
                        to: m.to.into(),
                        to_id,
                        places: m.places,
                    });
                    continue;
                }
                r.add_map(m.from, m.to, m.transform, m.places, &mut rank);
            }
            if table.source == Source::Openllmetry {
                r.push(RESPONSE_MODEL, Action::FillRequestModel, POINT, u32::MAX);
            }
        }
        match config.environment {
            EnvironmentDirection::Legacy => r.add_map(
                DEPLOYMENT_ENVIRONMENT_NAME,
                DEPLOYMENT_ENVIRONMENT,
                Transform::Copy,
                ALL,
                &mut rank,
            ),
            EnvironmentDirection::Name => r.add_map(
                DEPLOYMENT_ENVIRONMENT,
                DEPLOYMENT_ENVIRONMENT_NAME,
                Transform::Copy,
                ALL,
                &mut rank,
            ),
            EnvironmentDirection::Off => {}
        }
        for s in customs(Position::After) {
            for (from, to) in &s.attributes {
                r.add_map(from, to, Transform::Copy, ALL, &mut rank);
            }
        }
        for (key, kind) in CANONICAL_TYPES {
            r.push(key, Action::Canonical { kind: *kind }, ITEMS, 0);
        }
        for s in &config.custom_sources {
            for (key, values) in &s.values {
                let map = values.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
                let maps = match s.position {
                    Position::Before => &mut r.values_before,
                    Position::After => &mut r.values_after,
                };
                maps.entry(key.as_str().into()).or_default().push(map);
                if !r.has_canonical(key) {
                    r.push(key, Action::Canonical { kind: kind_of(key) }, ALL, 0);
                }
                r.custom_keys.push(key.clone());
            }
            r.custom_keys.extend(s.attributes.keys().cloned());
        }
        r.request_model = r.id(REQUEST_MODEL);
        let [operation_id, operation_name] = VERCEL_CONTEXT;
        r.vercel_context = [r.id(operation_id), r.id(operation_name)];
        // `by_key` now holds every key apply reads or writes.
        r.reads = r.by_key.keys().map(|k| k.as_bytes().into()).collect();
        r
    }

    /// `key`'s entry, given the next id on first sight.
    fn entry(&mut self, key: &str) -> &mut Keyed {
        let next = KeyId::try_from(self.by_key.len()).expect("fewer than 2^32 keys");
        self.by_key.entry(key.into()).or_insert(Keyed {
            id: next,
            rules: Vec::new(),
        })
    }

    fn id(&mut self, key: &str) -> KeyId {
        self.entry(key).id
    }

    /// The id of `key`, a key some rule reads or writes.
    pub fn id_of(&self, key: &str) -> Option<KeyId> {
        self.by_key.get(key).map(|k| k.id)
    }

    /// How many keys have ids.
    pub fn ids(&self) -> usize {
        self.by_key.len()
    }

    /// Whether `apply` may read or write the attribute `key`.
    pub fn reads(&self, key: &[u8]) -> bool {
        self.reads.contains(key)
            || self
                .message_prefixes
                .iter()
                .any(|m| key.starts_with(m.prefix.as_bytes()))
    }

    /// Adds a mapping unless an earlier source already maps `from` in an
    /// overlapping place (the first enabled source decides).
    fn add_map(
        &mut self,
        from: &str,
        to: &str,
        transform: Transform,
        places: Places,
        rank: &mut u32,
    ) {
        let taken = self.by_key.get(from).is_some_and(|k| {
            k.rules
                .iter()
                .any(|r| matches!(r.action, Action::Map { .. }) && r.places & places != 0)
        });
        if taken {
            return;
        }
        if let Transform::Json(fields) = transform {
            for (_, target) in fields {
                self.id(target);
            }
        }
        let action = Action::Map {
            to: to.into(),
            to_id: self.id(to),
            transform,
            kind: kind_of(to),
        };
        self.push(from, action, places, *rank);
        *rank += 1;
    }

    fn has_canonical(&self, key: &str) -> bool {
        self.by_key.get(key).is_some_and(|k| {
            k.rules
                .iter()
                .any(|r| matches!(r.action, Action::Canonical { .. }))
        })
    }

    fn push(&mut self, key: &str, action: Action, places: Places, rank: u32) {
        self.entry(key).rules.push(Rule {
            action,
            places,
            rank,
        });
    }

    /// Needles for the prefilter: the built-in list plus every user key.
    pub fn needles(&self) -> Vec<String> {
        let mut n: Vec<String> = NEEDLES.iter().map(|s| s.to_string()).collect();
        n.extend(self.custom_keys.iter().cloned());
        n
    }
}
