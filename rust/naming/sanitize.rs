//! Metric and label names as VictoriaMetrics' OTLP converter makes them with
//! `-opentelemetry.usePrometheusNaming` (VictoriaMetrics v1.151.0,
//! `lib/protoparser/opentelemetry/stream/sanitize.go`), so that a name we
//! produce comes out of VictoriaMetrics unchanged in either mode.

use super::units::{main_unit_word, per_unit_word};

/// The Prometheus type VictoriaMetrics assigns to an OTLP metric; only
/// counters (`total`) and gauges (`ratio` for unit `1`) affect the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromType {
    /// Monotonic sum.
    Counter,
    /// Gauge or non-monotonic sum.
    Gauge,
    /// Histograms, exponential histograms, summaries and metrics whose
    /// `prometheus.type` metadata says unknown/info/stateset.
    Other,
}

/// Characters VictoriaMetrics splits metric names on.
fn is_separator(c: char) -> bool {
    matches!(c, '/' | '_' | '.' | '-' | ':' | ' ')
}

/// Splits `name` into its non-empty tokens the way VictoriaMetrics does.
fn tokens(name: &str) -> Vec<String> {
    name.split(is_separator)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Moves the first `word` token to the end, or appends it.
fn move_or_append(tokens: &mut Vec<String>, word: &str) {
    if let Some(i) = tokens.iter().position(|t| t == word) {
        tokens.remove(i);
    }
    tokens.push(word.to_string());
}

/// The metric name VictoriaMetrics derives from an OTLP name, unit and type
/// when `-opentelemetry.usePrometheusNaming` is set (before it adds the
/// `_bucket`/`_sum`/`_count` suffixes of histograms and summaries).
pub fn vm_metric_name(name: &str, unit: &str, kind: PromType) -> String {
    let mut toks = tokens(name);
    let (main, per) = match unit.find('/') {
        Some(i) => (unit[..i].trim(), unit[i + 1..].trim()),
        None => (unit.trim(), ""),
    };
    if !main.is_empty() && !main.contains('{') {
        let word = main_unit_word(main);
        if !word.is_empty() && !toks.iter().any(|t| t == word) {
            toks.push(word.to_string());
        }
    }
    if !per.is_empty() && !per.contains('{') {
        let word = per_unit_word(per);
        if !word.is_empty() && !toks.iter().any(|t| t == word) {
            toks.push("per".to_string());
            toks.push(word.to_string());
        }
    }
    match kind {
        PromType::Counter => move_or_append(&mut toks, "total"),
        PromType::Gauge if unit == "1" => move_or_append(&mut toks, "ratio"),
        _ => {}
    }
    toks.join("_")
}

/// The name the processor gives a metric, and whether its unit must be
/// cleared to keep the name stable.
///
/// This is [`vm_metric_name`] with one difference: characters that are not
/// valid in a Prometheus metric name (anything outside `[a-zA-Z0-9_]` once
/// the separators are gone, e.g. from a unit such as `kWh.h`) become `_`,
/// which VictoriaMetrics would keep. If VictoriaMetrics would then append the
/// unit a second time (its unit token no longer matches one of the name's),
/// the unit is cleared: the name already carries it.
pub fn prometheus_metric_name(name: &str, unit: &str, kind: PromType) -> (String, bool) {
    let raw = vm_metric_name(name, unit, kind);
    let cleaned = tokens(&sanitize_chars(&raw)).join("_");
    let clear_unit = vm_metric_name(&cleaned, unit, kind) != cleaned;
    (cleaned, clear_unit)
}

/// Replaces every character outside `[a-zA-Z0-9_]` with `_` (one per
/// character, as Go's regexp replacement does for multi-byte runes).
fn sanitize_chars(s: &str) -> String {
    let keep = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if s.is_ascii() {
        // The common case, byte by byte: every byte stays ASCII.
        let bytes = s.bytes().map(|b| if keep(b) { b } else { b'_' }).collect();
        return String::from_utf8(bytes).expect("ASCII in, ASCII out");
    }
    s.chars()
        .map(|c| {
            if c.is_ascii() && keep(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A label name as VictoriaMetrics makes it from an attribute key with
/// `-opentelemetry.usePrometheusNaming` (and the default
/// `-opentelemetry.labelNameUnderscoreSanitization`): characters outside
/// `[a-zA-Z0-9_]` become `_`, a leading digit gets `key_`, a single leading
/// `_` gets `key` (reserved `__` names are kept).
pub fn label_name(key: &str) -> String {
    if key.is_empty() {
        return String::new();
    }
    let s = sanitize_chars(key);
    if s.as_bytes()[0].is_ascii_digit() {
        format!("key_{s}")
    } else if s.starts_with('_') && !s.starts_with("__") {
        format!("key{s}")
    } else {
        s
    }
}

/// Whether `key` is already a label name VictoriaMetrics keeps as it is
/// (checked without allocating: most keys on a hot path already are).
pub fn is_label_name(key: &str) -> bool {
    let b = key.as_bytes();
    let Some(&first) = b.first() else {
        return false;
    };
    let single_underscore = first == b'_' && b.get(1) != Some(&b'_');
    b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && !first.is_ascii_digit()
        && !single_underscore
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases of VictoriaMetrics' own `TestSanitizePrometheusMetricName`.
    #[test]
    fn metric_names_match_victoriametrics_test_cases() {
        let cases = [
            ("", "", PromType::Other, ""),
            ("foo", "", PromType::Other, "foo"),
            ("foo", "s", PromType::Other, "foo_seconds"),
            ("foo_seconds", "s", PromType::Other, "foo_seconds"),
            ("foo", "", PromType::Counter, "foo_total"),
            ("foo_total", "", PromType::Counter, "foo_total"),
            ("foo", "s", PromType::Counter, "foo_seconds_total"),
            ("foo_seconds", "s", PromType::Counter, "foo_seconds_total"),
            ("foo_total", "s", PromType::Counter, "foo_seconds_total"),
            (
                "foo_seconds_total",
                "s",
                PromType::Counter,
                "foo_seconds_total",
            ),
            (
                "foo_total_seconds",
                "s",
                PromType::Counter,
                "foo_seconds_total",
            ),
            ("foo", "1", PromType::Gauge, "foo_ratio"),
            ("foo", "m/s", PromType::Other, "foo_meters_per_second"),
            ("foo_second", "m/s", PromType::Other, "foo_second_meters"),
            (
                "foo_meters",
                "m/s",
                PromType::Other,
                "foo_meters_per_second",
            ),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(vm_metric_name(name, unit, kind), want, "{name} {unit}");
        }
    }

    /// The cases of VictoriaMetrics' own `TestSanitizePrometheusLabelName`.
    #[test]
    fn label_names_match_victoriametrics_test_cases() {
        for (key, want) in [
            ("", ""),
            ("foo", "foo"),
            ("foo_bar/baz:abc", "foo_bar_baz_abc"),
            ("1foo", "key_1foo"),
            ("_foo", "key_foo"),
            ("__bar", "__bar"),
            ("gen_ai.token.type", "gen_ai_token_type"),
            ("modèle", "mod_le"),
        ] {
            assert_eq!(label_name(key), want, "{key}");
        }
    }

    #[test]
    fn genai_dashboard_names() {
        let cases = [
            (
                "gen_ai.client.operation.duration",
                "s",
                PromType::Other,
                "gen_ai_client_operation_duration_seconds",
            ),
            (
                "gen_ai.client.token.usage",
                "{token}",
                PromType::Other,
                "gen_ai_client_token_usage",
            ),
            (
                "gen_ai.usage.cost",
                "USD",
                PromType::Other,
                "gen_ai_usage_cost_USD",
            ),
            (
                "gen_ai.server.time_to_first_token",
                "s",
                PromType::Other,
                "gen_ai_server_time_to_first_token_seconds",
            ),
            (
                "gen_ai.total.requests",
                "1",
                PromType::Counter,
                "gen_ai_requests_total",
            ),
            (
                "gen_ai.cache.hit",
                "1",
                PromType::Gauge,
                "gen_ai_cache_hit_ratio",
            ),
            ("x.bytes", "By", PromType::Other, "x_bytes"),
            ("x.load", "%", PromType::Gauge, "x_load_percent"),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(
                prometheus_metric_name(name, unit, kind),
                (want.into(), false)
            );
        }
    }

    /// Every name we emit is a fixed point of VictoriaMetrics' conversion
    /// with the unit we leave on the metric.
    #[test]
    fn produced_names_are_fixed_points() {
        let names = [
            "gen_ai.a",
            "x__y",
            "a-b c:d/e",
            "rate.total.x",
            "é.ü",
            "9lives",
        ];
        let units = [
            "",
            "1",
            "s",
            "ms",
            "By",
            "%",
            "USD",
            "{token}",
            "m/s",
            "1/s",
            "kWh.h",
            "a b",
            "tokens/{call}",
            "/s",
        ];
        let kinds = [PromType::Counter, PromType::Gauge, PromType::Other];
        for name in names {
            for unit in units {
                for kind in kinds {
                    let (out, clear) = prometheus_metric_name(name, unit, kind);
                    let kept = if clear { "" } else { unit };
                    assert_eq!(
                        vm_metric_name(&out, kept, kind),
                        out,
                        "{name} {unit} {kind:?}"
                    );
                    assert!(
                        out.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{out}"
                    );
                    // And processing our own output again changes nothing.
                    assert_eq!(
                        prometheus_metric_name(&out, kept, kind),
                        (out.clone(), false)
                    );
                }
            }
        }
    }

    #[test]
    fn unit_with_separators_is_cleared() {
        assert_eq!(
            prometheus_metric_name("energy", "kWh.h", PromType::Other),
            ("energy_kWh_h".to_string(), true)
        );
    }

    #[test]
    fn label_names_are_fixed_points() {
        for key in ["a.b", "1x", "_x", "__x", "x-y", "ok_name", "ä", "_", "__"] {
            let once = label_name(key);
            assert_eq!(label_name(&once), once);
            assert!(is_label_name(&once), "{once}");
            assert_eq!(is_label_name(key), label_name(key) == key, "{key}");
        }
        assert!(!is_label_name("service.name"));
        assert!(!is_label_name(""));
    }
}
