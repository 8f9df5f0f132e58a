//! Points that the cardinality guard ([`super::guard`]) left with the same
//! attributes are one series: they are added up. A source that put a
//! request id on every point exported one cumulative stream per request;
//! once the id is gone those streams are one series, whose value at a
//! time is the sum of theirs (and whose start is the earliest of theirs).
//! Left as separate points, VictoriaMetrics would keep one sample per
//! timestamp and lose the rest.
//!
//! Points are added when their metric, attributes and time are equal
//! (histograms also need equal bucket bounds); gauges, summaries and
//! exponential histograms are left as they are. A merge sees one batch:
//! a source whose streams of one export are split over several batches
//! (a batch processor before this one) is merged per part.

use hashbrown::hash_map::Entry;
use hashbrown::HashMap;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, HistogramDataPoint, Metric, NumberDataPoint,
};
use prost::Message;

/// Adds up the points of `metric` that share attributes and time; returns
/// how many points were folded into others.
pub fn merge_same_series(metric: &mut Metric) -> usize {
    match &mut metric.data {
        Some(Data::Sum(s)) => merge(&mut s.data_points, number_key, add_number),
        Some(Data::Histogram(h)) => merge(&mut h.data_points, histogram_key, add_histogram),
        _ => 0,
    }
}

/// Folds every point into the first point of its key, in order.
fn merge<P>(points: &mut Vec<P>, key: fn(&P) -> Vec<u8>, add: fn(&mut P, P)) -> usize {
    let before = points.len();
    if before < 2 {
        return 0;
    }
    // hashbrown's default hasher is seeded, so a sender cannot aim keys at
    // one bucket.
    let mut first: HashMap<Vec<u8>, usize> = HashMap::with_capacity(before);
    let mut kept: Vec<P> = Vec::with_capacity(before);
    for p in points.drain(..) {
        match first.entry(key(&p)) {
            Entry::Occupied(e) => add(&mut kept[*e.get()], p),
            Entry::Vacant(e) => {
                e.insert(kept.len());
                kept.push(p);
            }
        }
    }
    *points = kept;
    before - points.len()
}

/// A point's series and time: its attributes as encoded (equal lists in
/// the same order meet), its time, and `extra` (what else must be equal).
fn attrs_key(attrs: &[KeyValue], time: u64, extra: &[f64]) -> Vec<u8> {
    let mut key = Vec::new();
    for kv in attrs {
        kv.encode(&mut key).expect("a Vec grows");
    }
    key.extend_from_slice(&time.to_le_bytes());
    for b in extra {
        key.extend_from_slice(&b.to_bits().to_le_bytes());
    }
    key
}

fn number_key(p: &NumberDataPoint) -> Vec<u8> {
    // Int and double values are not added together.
    let kind = match p.value {
        Some(number_data_point::Value::AsInt(_)) => 1.0,
        _ => 2.0,
    };
    attrs_key(&p.attributes, p.time_unix_nano, &[kind])
}

fn add_number(into: &mut NumberDataPoint, p: NumberDataPoint) {
    use number_data_point::Value::{AsDouble, AsInt};
    into.value = match (into.value, p.value) {
        (Some(AsInt(a)), Some(AsInt(b))) => Some(AsInt(a.saturating_add(b))),
        (Some(AsDouble(a)), Some(AsDouble(b))) => Some(AsDouble(a + b)),
        (v, _) => v,
    };
    into.start_time_unix_nano = earliest(into.start_time_unix_nano, p.start_time_unix_nano);
    into.exemplars.extend(p.exemplars);
}

fn histogram_key(p: &HistogramDataPoint) -> Vec<u8> {
    let mut bounds = p.explicit_bounds.clone();
    bounds.push(p.bucket_counts.len() as f64);
    attrs_key(&p.attributes, p.time_unix_nano, &bounds)
}

fn add_histogram(into: &mut HistogramDataPoint, p: HistogramDataPoint) {
    into.count = into.count.saturating_add(p.count);
    into.sum = match (into.sum, p.sum) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
    for (a, b) in into.bucket_counts.iter_mut().zip(&p.bucket_counts) {
        *a = a.saturating_add(*b);
    }
    into.min = match (into.min, p.min) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => None,
    };
    into.max = match (into.max, p.max) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    };
    into.start_time_unix_nano = earliest(into.start_time_unix_nano, p.start_time_unix_nano);
    into.exemplars.extend(p.exemplars);
}

/// The earlier of two start times, 0 meaning unknown.
fn earliest(a: u64, b: u64) -> u64 {
    match (a, b) {
        (0, x) | (x, 0) => x,
        (a, b) => a.min(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::{kv, string};
    use opentelemetry_proto::tonic::metrics::v1::{Histogram, Sum};

    fn hist(model: &str, start: u64, time: u64, count: u64, sum: f64) -> HistogramDataPoint {
        HistogramDataPoint {
            attributes: vec![kv("gen_ai.request.model", string(model))],
            start_time_unix_nano: start,
            time_unix_nano: time,
            count,
            sum: Some(sum),
            bucket_counts: vec![count, 0],
            explicit_bounds: vec![10.0],
            min: Some(sum / count as f64),
            max: Some(sum / count as f64),
            ..Default::default()
        }
    }

    #[test]
    fn streams_of_one_series_add_up() {
        let mut m = Metric {
            data: Some(Data::Histogram(Histogram {
                data_points: vec![
                    hist("a", 5, 100, 1, 3.0),
                    hist("b", 5, 100, 1, 4.0),
                    hist("a", 2, 100, 2, 10.0),
                    hist("a", 5, 200, 1, 3.0),
                ],
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(merge_same_series(&mut m), 1);
        let Some(Data::Histogram(h)) = &m.data else {
            unreachable!()
        };
        let a = &h.data_points[0];
        assert_eq!((a.count, a.sum, a.start_time_unix_nano), (3, Some(13.0), 2));
        assert_eq!(
            (a.min, a.max, &a.bucket_counts),
            (Some(3.0), Some(5.0), &vec![3, 0])
        );
        assert_eq!(
            h.data_points.len(),
            3,
            "another model and another time stay apart"
        );
    }

    #[test]
    fn sums_add_and_different_bounds_stay_apart() {
        let point = |v: i64| NumberDataPoint {
            attributes: vec![kv("k", string("v"))],
            time_unix_nano: 1,
            value: Some(number_data_point::Value::AsInt(v)),
            ..Default::default()
        };
        let mut m = Metric {
            data: Some(Data::Sum(Sum {
                data_points: vec![point(1), point(2), point(3)],
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(merge_same_series(&mut m), 2);
        let Some(Data::Sum(s)) = &m.data else {
            unreachable!()
        };
        assert_eq!(
            s.data_points[0].value,
            Some(number_data_point::Value::AsInt(6))
        );

        let mut other = hist("a", 5, 100, 1, 3.0);
        other.explicit_bounds = vec![20.0];
        let mut m = Metric {
            data: Some(Data::Histogram(Histogram {
                data_points: vec![hist("a", 5, 100, 1, 3.0), other],
                ..Default::default()
            })),
            ..Default::default()
        };
        assert_eq!(merge_same_series(&mut m), 0);
    }
}
