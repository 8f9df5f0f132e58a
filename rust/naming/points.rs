//! Labels on the data points of renamed metrics: per-request attributes
//! dropped ([`super::guard`]), attribute keys in label form, the resource
//! attributes dashboards filter on, the scope, and the
//! dashboard-compatibility SDK name.

use std::collections::HashSet;
use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{any_value::Value, InstrumentationScope, KeyValue};

use crate::attrs;
use crate::stats::Stats;

use super::guard::PointGuard;
use super::sanitize::{is_label_name, label_name};

/// The SDK-name label dashboards filter on.
pub const SDK_NAME_LABEL: &str = "telemetry_sdk_name";
const SDK_NAME_ATTR: &str = "telemetry.sdk.name";

/// Newer resource attributes read when a wanted one is absent: semantic
/// conventions 1.27 renamed `deployment.environment`, and SDKs configured
/// the new way would otherwise be missing from environment filters.
const FALLBACKS: [(&str, &str); 1] = [("deployment.environment", "deployment.environment.name")];

/// What is written on every point of one scope's renamed metrics.
#[derive(Debug, Default)]
pub struct PointLabels {
    /// (label, value) copied from the resource.
    pub resource: Vec<(String, Value)>,
    /// (label, value) for the scope name and version.
    pub scope: Vec<(String, Value)>,
    /// Dashboard compatibility: the SDK name to show, the label keeping the
    /// true one, and the true one (if the resource says).
    pub compat: Option<(String, String, Option<Value>)>,
    /// The cardinality guard (shared by every resource's labels).
    pub guard: Arc<PointGuard>,
}

impl PointLabels {
    /// Collects the labels of one resource (scope added per scope).
    pub fn for_resource(
        resource_attrs: &[KeyValue],
        wanted: &[String],
        compat: Option<(&str, &str)>,
        guard: Arc<PointGuard>,
    ) -> Self {
        let resource = wanted
            .iter()
            .filter_map(|key| {
                let v = attrs::get(resource_attrs, key).or_else(|| {
                    let (_, newer) = FALLBACKS.iter().find(|(old, _)| old == key)?;
                    attrs::get(resource_attrs, newer)
                })?;
                Some((label_name(key), v.clone()))
            })
            .collect();
        let compat = compat.map(|(shown, original_label)| {
            (
                shown.to_string(),
                original_label.to_string(),
                attrs::get(resource_attrs, SDK_NAME_ATTR).cloned(),
            )
        });
        Self {
            resource,
            scope: Vec::new(),
            compat,
            guard,
        }
    }

    /// Sets the scope labels as VictoriaMetrics writes `scope.name` and
    /// `scope.version`: "unknown" when the scope leaves them empty.
    pub fn set_scope(&mut self, scope: Option<&InstrumentationScope>, enabled: bool) {
        self.scope.clear();
        let (true, Some(scope)) = (enabled, scope) else {
            return;
        };
        let or_unknown = |s: &str| attrs::string(if s.is_empty() { "unknown" } else { s });
        self.scope
            .push(("scope_name".into(), or_unknown(&scope.name)));
        self.scope
            .push(("scope_version".into(), or_unknown(&scope.version)));
    }

    /// Whether [`Self::apply`] reads the value of a point attribute with
    /// this key (after renaming): only the SDK-name labels' are read, and
    /// the guard's length bound reads the others' (see
    /// [`PointGuard::ignores_values_of`]). Everything else it does depends
    /// on a point's keys alone.
    pub fn reads_value_of(&self, key: &str) -> bool {
        self.compat
            .as_ref()
            .is_some_and(|(_, original_label, _)| key == SDK_NAME_LABEL || key == original_label)
    }

    /// Rewrites one point's attributes, counting the attributes the guard
    /// drops; returns whether anything changed.
    pub fn apply(&self, attrs: &mut Vec<KeyValue>, stats: &mut Stats) -> bool {
        let dropped = self.guard.apply(attrs);
        stats.point_attributes_dropped += dropped as u64;
        let mut changed = rename_keys(attrs) | (dropped > 0);
        // One allocation for the labels added below instead of growth steps,
        // which would copy the list each time.
        attrs.reserve(self.resource.len() + self.scope.len() + 2);
        for (label, value) in self.resource.iter().chain(&self.scope) {
            if attrs::find(attrs, label).is_none() {
                attrs.push(attrs::kv(label, value.clone()));
                changed = true;
            }
        }
        if let Some((shown, original_label, true_name)) = &self.compat {
            if attrs::find(attrs, original_label).is_none() {
                let original = true_name
                    .clone()
                    .or_else(|| attrs::get(attrs, SDK_NAME_LABEL).cloned());
                if let Some(v) = original {
                    attrs.push(attrs::kv(original_label, v));
                    changed = true;
                }
            }
            if attrs::get_str(attrs, SDK_NAME_LABEL) != Some(shown.as_str()) {
                attrs::set(attrs, SDK_NAME_LABEL, attrs::string(shown.as_str()));
                changed = true;
            }
        }
        changed
    }
}

/// Lists up to this long are renamed by comparing keys pairwise, which
/// allocates nothing and is quicker than hashing for the few keys a point
/// has; longer lists go through a set of the labels taken.
const PAIRWISE_MAX: usize = 32;

/// Gives every key its label form. A key whose label form is already taken
/// by another attribute keeps its spelling, so no value is lost (with
/// `-opentelemetry.usePrometheusNaming` VictoriaMetrics then keeps the last).
/// Keys are renamed in order: a label is taken by a key that already is
/// one or by an earlier key renamed to it.
fn rename_keys(attrs: &mut [KeyValue]) -> bool {
    if attrs.len() <= PAIRWISE_MAX {
        rename_keys_pairwise(attrs)
    } else {
        rename_keys_hashed(attrs)
    }
}

/// [`rename_keys`] comparing every key with every other: quadratic, for
/// short lists only.
fn rename_keys_pairwise(attrs: &mut [KeyValue]) -> bool {
    let mut changed = false;
    for i in 0..attrs.len() {
        if is_label_name(&attrs[i].key) {
            continue;
        }
        if let Some(same_length) = label_in_place(&attrs[i].key) {
            // The common case, without building the label: it is taken
            // when another key reads as it, byte for byte.
            let key = &attrs[i].key;
            if !attrs
                .iter()
                .any(|kv| is_label_of(&kv.key, key, same_length))
            {
                let mut bytes = std::mem::take(&mut attrs[i].key).into_bytes();
                bytes.iter_mut().for_each(|b| *b = same_length(*b));
                attrs[i].key = String::from_utf8(bytes).expect("ASCII in, ASCII out");
                changed = true;
            }
            continue;
        }
        let label = label_name(&attrs[i].key);
        if label == attrs[i].key || attrs.iter().any(|kv| kv.key == label) {
            continue;
        }
        attrs[i].key = label;
        changed = true;
    }
    changed
}

/// [`rename_keys`] in time linear in the list: the labels of the keys that
/// are not label names are built first, then given in order to those whose
/// label no key holds yet. A key that is not a label name can never equal
/// a label (a label always is one), so the labels taken are the keys that
/// already are label names and the labels given so far.
fn rename_keys_hashed(attrs: &mut [KeyValue]) -> bool {
    let labels: Vec<(usize, String)> = attrs
        .iter()
        .enumerate()
        .filter(|(_, kv)| !is_label_name(&kv.key))
        .map(|(i, kv)| (i, label_name(&kv.key)))
        .filter(|(i, label)| *label != attrs[*i].key)
        .collect();
    if labels.is_empty() {
        return false;
    }
    // std's randomly keyed hasher: keys are the sender's to choose, and
    // keys crafted to collide would make an unkeyed hash quadratic again.
    let mut taken: HashSet<&str> = attrs
        .iter()
        .map(|kv| kv.key.as_str())
        .filter(|key| is_label_name(key))
        .collect();
    let given: Vec<bool> = labels
        .iter()
        .map(|(_, label)| taken.insert(label.as_str()))
        .collect();
    let mut changed = false;
    for ((i, label), given) in labels.into_iter().zip(given) {
        if given {
            attrs[i].key = label;
            changed = true;
        }
    }
    changed
}

/// For an ASCII key starting with a letter, whose label is the key with
/// some bytes replaced by `_`, the byte mapping that gives it (`None`
/// for other keys: `label_name` builds theirs).
fn label_in_place(key: &str) -> Option<fn(u8) -> u8> {
    let first = *key.as_bytes().first()?;
    (first.is_ascii_alphabetic() && key.is_ascii()).then_some(|b: u8| {
        if b.is_ascii_alphanumeric() || b == b'_' {
            b
        } else {
            b'_'
        }
    })
}

/// Whether `candidate` is `key` mapped byte by byte with `map`.
fn is_label_of(candidate: &str, key: &str, map: fn(u8) -> u8) -> bool {
    candidate.len() == key.len() && candidate.bytes().zip(key.bytes()).all(|(c, k)| c == map(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{kv, string};

    fn keys(a: &[KeyValue]) -> Vec<&str> {
        a.iter().map(|kv| kv.key.as_str()).collect()
    }

    #[test]
    fn newer_environment_attribute_fills_the_dashboard_label() {
        let res = vec![kv("deployment.environment.name", string("prod"))];
        let wanted = vec!["deployment.environment".to_string()];
        let pl = PointLabels::for_resource(&res, &wanted, None, Arc::default());
        let mut a = Vec::new();
        pl.apply(&mut a, &mut Stats::default());
        assert_eq!(attrs::get_str(&a, "deployment_environment"), Some("prod"));
        // The older attribute wins when both are there.
        let res = vec![
            kv("deployment.environment.name", string("new")),
            kv("deployment.environment", string("old")),
        ];
        let pl = PointLabels::for_resource(&res, &wanted, None, Arc::default());
        let mut a = Vec::new();
        pl.apply(&mut a, &mut Stats::default());
        assert_eq!(attrs::get_str(&a, "deployment_environment"), Some("old"));
    }

    #[test]
    fn keys_become_labels_and_collisions_keep_both_values() {
        let mut a = vec![
            kv("gen_ai.request.model", string("m")),
            kv("error.type", string("timeout")),
            kv("gen_ai.system", string("a")),
            kv("gen_ai_system", string("b")),
        ];
        assert!(PointLabels::default().apply(&mut a, &mut Stats::default()));
        assert_eq!(
            keys(&a),
            [
                "gen_ai_request_model",
                "error_type",
                "gen_ai.system",
                "gen_ai_system"
            ]
        );
        assert!(
            !PointLabels::default().apply(&mut a, &mut Stats::default()),
            "idempotent"
        );
    }

    /// The in-place renaming gives what `label_name` gives, and the keys
    /// it leaves to `label_name` get theirs too.
    #[test]
    fn every_key_gets_its_label_name() {
        for key in [
            "gen_ai.request.model",
            "a-b/c:d",
            "x",
            "1st.key",
            "_private.key",
            "__reserved.key",
            ".leading",
            "modèle.nom",
            "already_a_label",
        ] {
            let mut a = vec![kv(key, string("v"))];
            rename_keys(&mut a);
            assert_eq!(a[0].key, label_name(key), "{key}");
        }
    }

    /// The pairwise and the hashed renaming give the same keys, on lists
    /// of keys drawn from a few spellings of a few labels (so that labels
    /// collide with keys, earlier labels and each other), short and long.
    #[test]
    fn pairwise_and_hashed_renaming_agree() {
        let spellings = [
            "a.b", "a_b", "a-b", "a/b", "1.b", "key_1_b", "_a.b", "key_a_b", "é.b", "key__b", "",
            "__a.b", "__a_b",
        ];
        let mut rng = crate::test_rng::TestRng::new(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        for round in 0..2000 {
            let len = if round % 10 == 0 {
                40 + next(60)
            } else {
                next(12)
            };
            let list: Vec<KeyValue> = (0..len)
                .map(|_| kv(spellings[next(spellings.len())], string("v")))
                .collect();
            let (mut pairwise, mut hashed) = (list.clone(), list.clone());
            let changed = rename_keys_pairwise(&mut pairwise);
            assert_eq!(
                rename_keys_hashed(&mut hashed),
                changed,
                "{:?}",
                keys(&list)
            );
            assert_eq!(keys(&pairwise), keys(&hashed), "{:?}", keys(&list));
        }
    }

    #[test]
    fn resource_scope_and_compat_labels() {
        let res = vec![
            kv("service.name", string("svc")),
            kv("telemetry.sdk.name", string("opentelemetry")),
        ];
        let wanted = vec![
            "service.name".to_string(),
            "deployment.environment".to_string(),
            "telemetry.sdk.name".to_string(),
        ];
        let mut pl = PointLabels::for_resource(
            &res,
            &wanted,
            Some(("openlit", "telemetry_sdk_original_name")),
            Arc::default(),
        );
        let scope = InstrumentationScope {
            name: "openai.v2".into(),
            ..Default::default()
        };
        pl.set_scope(Some(&scope), true);
        let mut a = vec![kv("service.name", string("point-own"))];
        assert!(pl.apply(&mut a, &mut Stats::default()));
        let get = |k| attrs::get_str(&a, k).map(str::to_string);
        assert_eq!(
            get("service_name").as_deref(),
            Some("point-own"),
            "point wins"
        );
        assert_eq!(get("telemetry_sdk_name").as_deref(), Some("openlit"));
        assert_eq!(
            get("telemetry_sdk_original_name").as_deref(),
            Some("opentelemetry")
        );
        assert_eq!(get("scope_name").as_deref(), Some("openai.v2"));
        assert_eq!(get("scope_version").as_deref(), Some("unknown"));
        assert_eq!(get("deployment_environment"), None, "absent stays absent");
        assert_eq!(get("telemetry_sdk_language"), None, "only wanted ones");
        let before = a.clone();
        assert!(!pl.apply(&mut a, &mut Stats::default()), "idempotent");
        assert_eq!(a, before);
    }
}
