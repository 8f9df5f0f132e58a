//! VictoriaMetrics-ready metric and label names.
//!
//! VictoriaMetrics stores OTLP metric names and attribute keys unchanged
//! unless it runs with `-opentelemetry.usePrometheusNaming`; dashboards
//! written for the Prometheus-style names then stay empty. This stage gives
//! the selected metrics the names VictoriaMetrics would produce with the
//! flag ([`sanitize`]), so the same dashboard works in both modes:
//!
//! - [`legacy`] first maps legacy GenAI metric names to current ones (before
//!   attribute normalization and cost derivation);
//! - [`Naming::apply`] runs last: it renames the selected metrics
//!   ([`select`]), turns point attribute keys into label names and copies the
//!   configured resource attributes, the scope and optionally a
//!   dashboard-compatibility SDK name onto every point ([`points`]).
//!
//! Names are fixed points of VictoriaMetrics' conversion: a name we emit,
//! ingested with or without the flag, comes out the same.

pub mod config;
pub mod guard;
pub mod legacy;
pub mod merge;
pub mod points;
pub mod sanitize;
pub mod select;
pub mod units;

use std::collections::HashMap;

use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, Metric, ResourceMetrics, ScopeMetrics,
};

use crate::attrs;
use crate::error::ConfigError;
use crate::metric_points::for_each_point_attrs;
use crate::stats::Stats;

pub use config::{MetricSelection, NamingConfig};

use points::PointLabels;
use sanitize::{prometheus_metric_name, PromType};
use select::Selector;

/// The naming stage for one configuration.
#[derive(Debug)]
pub struct Naming {
    config: NamingConfig,
    selector: Selector,
    guard: std::sync::Arc<guard::PointGuard>,
}

impl Naming {
    /// Validates the `naming:` section and builds the stage.
    pub fn new(config: &NamingConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let guard = guard::PointGuard::new(
            &config.drop_point_attributes,
            &config.keep_point_attributes,
            config.max_point_attribute_bytes,
        )?;
        Ok(Self {
            config: config.clone(),
            selector: Selector::new(config),
            guard: std::sync::Arc::new(guard),
        })
    }

    /// Maps legacy GenAI metrics of one scope (older OpenLIT, OpenLLMetry,
    /// pre-`gen_ai` semantic conventions) to the current semantic-convention
    /// metrics where that is faithful (see [`legacy`]); returns whether it did.
    pub fn upgrade_legacy_names(&self, sm: &mut ScopeMetrics) -> bool {
        if !self.config.enabled || !self.config.upgrade_legacy {
            return false;
        }
        legacy::upgrade_scope(sm)
    }

    /// Renames the selected metrics of one resource and relabels their
    /// points; counts renamed metrics in the batch's `metrics_renamed`.
    /// Returns whether anything changed.
    pub fn apply(&self, rm: &mut ResourceMetrics, stats: &mut Stats, names: &mut NameMemo) -> bool {
        let resource_attrs = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes);
        let Some(mut labels) = self.resource_labels(resource_attrs) else {
            return false;
        };
        let mut changed = false;
        for sm in &mut rm.scope_metrics {
            self.set_scope(&mut labels, sm.scope.as_ref());
            for metric in &mut sm.metrics {
                let Some(renamed) = self.rename(metric, stats, names) else {
                    continue;
                };
                changed |= renamed;
                let dropped = stats.point_attributes_dropped;
                for_each_point_attrs(metric, |a| changed |= labels.apply(a, stats));
                if stats.point_attributes_dropped != dropped {
                    merge::merge_same_series(metric);
                }
            }
        }
        changed
    }

    /// The labels the points of one resource get (the scope's are set per
    /// scope with [`Self::set_scope`]); `None` when the stage is off.
    pub fn resource_labels(&self, resource_attrs: &[KeyValue]) -> Option<PointLabels> {
        if !self.config.enabled {
            return None;
        }
        let compat = (!self.config.compat_sdk_name.is_empty()).then_some((
            self.config.compat_sdk_name.as_str(),
            self.config.original_sdk_name_label.as_str(),
        ));
        Some(PointLabels::for_resource(
            resource_attrs,
            &self.config.resource_attributes,
            compat,
            self.guard.clone(),
        ))
    }

    /// Sets the scope labels of `labels` for the scope's points.
    pub fn set_scope(&self, labels: &mut PointLabels, scope: Option<&InstrumentationScope>) {
        labels.set_scope(scope, self.config.scope_labels);
    }

    /// Gives a selected metric its Prometheus-style name, counting it in
    /// the batch's `metrics_renamed` when that changed it and in its
    /// `metric_name_collisions` when another name got the same one
    /// first (it is renamed all the same); returns whether it
    /// changed, or `None` when the metric is not selected (its points then
    /// keep their labels). Only the name, unit, type and metadata are read.
    pub fn rename(
        &self,
        metric: &mut Metric,
        stats: &mut Stats,
        names: &mut NameMemo,
    ) -> Option<bool> {
        if !self.config.enabled || !self.selector.selects(&metric.name) {
            return None;
        }
        let (renamed, collides) = rename_metric(metric, names);
        stats.metrics_renamed += u64::from(renamed);
        stats.metric_name_collisions += u64::from(collides);
        Some(renamed)
    }

    /// Whether [`Self::upgrade_legacy_names`] may change a scope holding a
    /// metric called `name`.
    pub fn may_upgrade(&self, name: &str) -> bool {
        self.config.enabled && self.config.upgrade_legacy && legacy::is_legacy_name(name)
    }

    /// Needles for the prefilter; `None` when every metric batch must be seen.
    pub fn needles(&self) -> Option<Vec<String>> {
        if !self.config.enabled {
            return Some(Vec::new());
        }
        self.selector.needles()
    }
}

/// The Prometheus type VictoriaMetrics gives `metric` (its `prometheus.type`
/// metadata overrides the OTLP type for unknown/info/stateset).
fn prom_type(metric: &Metric) -> PromType {
    if matches!(
        attrs::get_str(&metric.metadata, "prometheus.type"),
        Some("unknown" | "info" | "stateset")
    ) {
        return PromType::Other;
    }
    match &metric.data {
        Some(Data::Sum(s)) if s.is_monotonic => PromType::Counter,
        Some(Data::Sum(_)) | Some(Data::Gauge(_)) => PromType::Gauge,
        _ => PromType::Other,
    }
}

/// Prometheus names computed for one batch, by OTLP name, unit and type: a
/// batch repeats a few metrics over many resources and scopes, and
/// computing a name took a twentieth of the metrics call. Also tells which
/// names collide: another OTLP name got the same Prometheus name first.
#[derive(Debug, Default)]
pub struct NameMemo {
    named: Vec<Named>,
    /// The first OTLP name of each Prometheus name given in the batch, for
    /// up to [`MAX_FIRST_NAMES`] Prometheus names.
    first_names: HashMap<String, String>,
}

#[derive(Debug)]
struct Named {
    name: String,
    unit: String,
    kind: PromType,
    prometheus: String,
    clear_unit: bool,
    /// Another OTLP name got `prometheus` first.
    collides: bool,
}

/// Distinct names a memo keeps; a batch with more computes the rest.
const MEMO_NAMES: usize = 32;

/// Distinct Prometheus names whose first OTLP name a memo keeps, so that
/// its memory stays bounded; a collision on a name given after these is
/// not counted.
const MAX_FIRST_NAMES: usize = 4096;

/// What [`NameMemo::get`] answers for one metric.
struct Answer<'m> {
    prometheus: &'m str,
    clear_unit: bool,
    collides: bool,
}

impl NameMemo {
    /// [`prometheus_metric_name`] of `metric`'s name, unit and type, and
    /// whether another name got it first.
    fn get(&mut self, name: &str, unit: &str, kind: PromType) -> Answer<'_> {
        let at = self
            .named
            .iter()
            .position(|n| n.kind == kind && n.name == name && n.unit == unit);
        let i = match at {
            Some(i) => i,
            None => {
                let (prometheus, clear_unit) = prometheus_metric_name(name, unit, kind);
                let collides = match self.first_names.get(&prometheus) {
                    Some(first) => first != name,
                    None => {
                        if self.first_names.len() < MAX_FIRST_NAMES {
                            self.first_names
                                .insert(prometheus.clone(), name.to_string());
                        }
                        false
                    }
                };
                if self.named.len() == MEMO_NAMES {
                    self.named.pop();
                }
                self.named.push(Named {
                    name: name.to_string(),
                    unit: unit.to_string(),
                    kind,
                    prometheus,
                    clear_unit,
                    collides,
                });
                self.named.len() - 1
            }
        };
        let n = &self.named[i];
        Answer {
            prometheus: &n.prometheus,
            clear_unit: n.clear_unit,
            collides: n.collides,
        }
    }
}

/// Gives `metric` its Prometheus-style name; returns whether it changed
/// and whether the name collides (see [`NameMemo`]).
fn rename_metric(metric: &mut Metric, memo: &mut NameMemo) -> (bool, bool) {
    let kind = prom_type(metric);
    let answer = memo.get(&metric.name, &metric.unit, kind);
    let renamed = answer.prometheus != metric.name;
    if renamed {
        metric.name.clear();
        metric.name.push_str(answer.prometheus);
    }
    if answer.clear_unit {
        metric.unit.clear();
    }
    (renamed || answer.clear_unit, answer.collides)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prefilter skips batches without a needle: every legacy name the
    /// stage upgrades, and every name it selects, must contain one.
    #[test]
    fn every_legacy_name_contains_a_needle_and_is_selected() {
        let naming = Naming::new(&NamingConfig::default()).unwrap();
        let needles = naming.needles().unwrap();
        for name in legacy::legacy_names() {
            assert!(needles.iter().any(|n| name.contains(n.as_str())), "{name}");
            assert!(naming.selector.selects(name), "{name}");
        }
    }

    /// The memo answers as the function does, past its capacity too.
    #[test]
    fn remembered_names_are_the_computed_ones() {
        let mut memo = NameMemo::default();
        for round in 0..2 {
            for i in 0..MEMO_NAMES + 8 {
                let (name, unit) = (format!("gen_ai.m{i}.tokens"), ["s", "{token}", "1"][i % 3]);
                for kind in [PromType::Counter, PromType::Gauge, PromType::Other] {
                    let want = prometheus_metric_name(&name, unit, kind);
                    let got = memo.get(&name, unit, kind);
                    assert_eq!(
                        (got.prometheus, got.clear_unit),
                        (want.0.as_str(), want.1),
                        "{name} {kind:?} {round}"
                    );
                }
            }
        }
        assert_eq!(memo.named.len(), MEMO_NAMES);
    }

    #[test]
    fn disabled_stage_adds_no_needles_and_changes_nothing() {
        let config = NamingConfig {
            enabled: false,
            ..Default::default()
        };
        let naming = Naming::new(&config).unwrap();
        assert_eq!(naming.needles(), Some(Vec::new()));
        let mut rm = ResourceMetrics::default();
        rm.scope_metrics.push(ScopeMetrics {
            metrics: vec![Metric {
                name: "gen_ai.client.token.usage".into(),
                ..Default::default()
            }],
            ..Default::default()
        });
        let before = rm.clone();
        assert!(!naming.apply(&mut rm, &mut Stats::default(), &mut NameMemo::default()));
        assert_eq!(rm, before);
    }
}
