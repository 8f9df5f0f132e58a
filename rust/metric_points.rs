//! The data points of a decoded metric, whatever its type, and a new
//! histogram metric to put points in.

use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, Histogram, Metric};

/// A histogram metric without points, of `temporality`
/// (`AggregationTemporality` as i32).
pub fn histogram_metric(name: &str, unit: &str, description: &str, temporality: i32) -> Metric {
    Metric {
        name: name.to_string(),
        unit: unit.to_string(),
        description: description.to_string(),
        data: Some(Data::Histogram(Histogram {
            data_points: Vec::new(),
            aggregation_temporality: temporality,
        })),
        ..Default::default()
    }
}

/// Calls `f` on the attribute list of every data point of `metric`.
pub fn for_each_point_attrs(metric: &mut Metric, mut f: impl FnMut(&mut Vec<KeyValue>)) {
    match metric.data.as_mut() {
        Some(Data::Gauge(g)) => g
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Sum(s)) => s
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Histogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::ExponentialHistogram(h)) => h
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        Some(Data::Summary(s)) => s
            .data_points
            .iter_mut()
            .for_each(|dp| f(&mut dp.attributes)),
        None => {}
    }
}

/// The attribute lists of every data point of `metric`, read-only.
pub fn point_attrs(metric: &Metric) -> Vec<&[KeyValue]> {
    fn of<P>(points: &[P], attrs: impl Fn(&P) -> &[KeyValue]) -> Vec<&[KeyValue]> {
        points.iter().map(attrs).collect()
    }
    match metric.data.as_ref() {
        Some(Data::Gauge(g)) => of(&g.data_points, |p| &p.attributes),
        Some(Data::Sum(s)) => of(&s.data_points, |p| &p.attributes),
        Some(Data::Histogram(h)) => of(&h.data_points, |p| &p.attributes),
        Some(Data::ExponentialHistogram(h)) => of(&h.data_points, |p| &p.attributes),
        Some(Data::Summary(s)) => of(&s.data_points, |p| &p.attributes),
        None => Vec::new(),
    }
}
