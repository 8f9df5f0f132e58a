//! A batch's edits ([`super::metric_walk`], [`super::span_log_walk`])
//! applied to its bytes: the whole output [`crate::Processor::process`]
//! returns, without decoding the batch. Messages no edit reaches are
//! copied as they came; the rest are rewritten field by field, with
//! pdata's `Map` semantics for attribute ops (as the Go component applies
//! the same edits). Within an edited message, fields keep their order,
//! except an edited attribute list, written whole where its first
//! attribute was, and appended points, metrics and new fields, written at
//! its end; decoders read either order the same.
//!
//! Edits that do not fit the input (an index or key it lacks) give
//! [`Fallback`]: the caller takes the reference path.
//!
//! One module, over 500 lines: one function per message level (request,
//! resource, scope, metric or span, data, attribute list), sharing the
//! state of the application (entries applied, the last ops read and their
//! values) that splitting would pass through every call.

use super::codec::{fields, put_bytes, put_nested, Field};
use super::edit_reader::{self, Body, Entry, Op};
use super::edits::Target;
use super::proto::{
    data, log_record, metric, request, resource, resource_items, scope_items, span, span_event,
};
use super::{kv, Fallback};
use crate::signal::Signal;

/// The `signal` batch `input` with `edits` applied.
pub fn apply<'a>(signal: Signal, input: &'a [u8], edits: &'a [u8]) -> Result<Vec<u8>, Fallback> {
    let mut entries = edit_reader::entries(edits).ok_or(Fallback)?;
    // Edits come in walk order but for the scope-level ones, written after
    // the scope's metrics; stable, so entries of one place keep theirs.
    entries.sort_by_key(|e| (e.at.resource, e.at.scope, e.at.item, e.at.event));
    let mut s = Splice {
        item: match signal {
            Signal::Metrics => Splice::metric,
            Signal::Traces => Splice::span,
            Signal::Logs => {
                |s, buf, entries, out| s.list(buf, log_record::ATTRIBUTES, entries, out)
            }
        },
        applied: 0,
        values: Vec::new(),
        ops: Vec::new(),
        ops_of: None,
        attrs: Vec::new(),
        list: Vec::new(),
    };
    // Naming copies the resource's labels onto every point: the metrics
    // workload's output is 1.5x its input, and growing past a quarter
    // more copied the whole buffer (3 % of the call). Spans and logs
    // grow by the attributes the stages add.
    let mut out = Vec::with_capacity(match signal {
        Signal::Metrics => input.len() * 2,
        _ => input.len() + input.len() / 4,
    });
    let mut rest = &entries[..];
    let mut r = 0;
    for f in fields(input) {
        let f = f?;
        match f.number {
            request::RESOURCE_ITEMS => {
                let mine = take(&mut rest, r, |e| e.at.resource);
                s.nested(&mut out, f, mine, Splice::resource)?;
                r += 1;
            }
            _ => out.extend_from_slice(f.raw),
        }
    }
    match s.applied == entries.len() {
        true => Ok(out),
        false => Err(Fallback),
    }
}

/// The leading entries of `rest` whose index (`index`) is `i`, taken off
/// it; entries for an earlier index are left behind, unapplied.
fn take<'r, 'e>(
    rest: &mut &'r [Entry<'e>],
    i: u32,
    index: impl Fn(&Entry<'e>) -> u32,
) -> &'r [Entry<'e>] {
    let from = rest.partition_point(|e| index(e) < i);
    let to = from + rest[from..].partition_point(|e| index(e) == i);
    let mine = &rest[from..to];
    *rest = &rest[to..];
    mine
}

/// One attribute of a list being edited.
struct Attr<'a> {
    key: &'a [u8],
    value: Value<'a>,
    /// The attribute's field as it came, while it is unchanged.
    raw: Option<&'a [u8]>,
}

#[derive(Clone, Copy)]
enum Value<'a> {
    Absent,
    Input(&'a [u8]),
    /// A range of [`Splice::values`].
    Set(usize, usize),
}

struct Splice<'a> {
    /// Rewrites an item (metric, span or log record) some entries reach.
    item: Level<'a>,
    /// Entries applied so far; all of them must be.
    applied: usize,
    attrs: Vec<Attr<'a>>,
    /// The ops of the last list entry read, and where they were read
    /// from: most points repeat the last point's ops, read once.
    ops: Vec<Op<'a>>,
    ops_of: Option<&'a [u8]>,
    /// Values the ops set, as `AnyValue` bytes.
    values: Vec<u8>,
    /// A span's edited attribute list, written before its events' lists
    /// reuse `attrs` and `values`.
    list: Vec<u8>,
}

/// Rewrites the payload of a message some entries reach.
type Level<'a> = fn(&mut Splice<'a>, &'a [u8], &[Entry<'a>], &mut Vec<u8>) -> Result<(), Fallback>;

impl<'a> Splice<'a> {
    /// Copies field `f` when no entry reaches it, else writes it again
    /// with `level` rewriting its payload.
    fn nested(
        &mut self,
        out: &mut Vec<u8>,
        f: Field<'a>,
        entries: &[Entry<'a>],
        level: Level<'a>,
    ) -> Result<(), Fallback> {
        if entries.is_empty() {
            out.extend_from_slice(f.raw);
            return Ok(());
        }
        let payload = f.message()?;
        put_nested(out, f.number, payload.len(), |out| {
            level(self, payload, entries, out)
        })
    }

    /// A `ResourceMetrics`: resource attributes, then scopes.
    fn resource(
        &mut self,
        buf: &'a [u8],
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let (attrs, below): (Vec<Entry>, Vec<Entry>) = entries
            .iter()
            .partition(|e| e.target == Target::Resource as u8);
        let mut rest = &below[..];
        let (mut s, mut resource_seen) = (0, false);
        for f in fields(buf) {
            let f = f?;
            match f.number {
                resource_items::RESOURCE if !resource_seen => {
                    resource_seen = true;
                    self.nested(out, f, &attrs, |s, buf, attrs, out| {
                        s.list(buf, resource::ATTRIBUTES, attrs, out)
                    })?;
                }
                resource_items::SCOPE_ITEMS => {
                    let mine = take(&mut rest, s, |e| e.at.scope);
                    self.nested(out, f, mine, Splice::scope)?;
                    s += 1;
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        if !resource_seen && !attrs.is_empty() {
            put_nested(out, 1, 0, |out| self.list(&[], 1, &attrs, out))?;
        }
        Ok(())
    }

    /// A `ScopeSpans`, `ScopeLogs` or `ScopeMetrics`: the items, the
    /// schema URL, appended metrics.
    fn scope(
        &mut self,
        buf: &'a [u8],
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let (mut url, mut appended) = (None, Vec::new());
        let mut below = Vec::with_capacity(entries.len());
        for e in entries {
            match e.body {
                Body::SchemaUrl(u) => url = Some(u),
                Body::AppendedMetrics(batch) => appended.push(batch),
                _ => {
                    below.push(*e);
                    continue;
                }
            }
            self.applied += 1;
        }
        let mut rest = &below[..];
        let mut i = 0;
        for f in fields(buf) {
            let f = f?;
            match f.number {
                scope_items::ITEMS => {
                    let mine = take(&mut rest, i, |e| e.at.item);
                    self.nested(out, f, mine, self.item)?;
                    i += 1;
                }
                scope_items::SCHEMA_URL if url.is_some() => {
                    put_bytes(out, scope_items::SCHEMA_URL, url.take().unwrap_or_default())
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        if let Some(url) = url {
            put_bytes(out, scope_items::SCHEMA_URL, url);
        }
        for batch in appended {
            for metric in batch_metrics(batch)? {
                out.extend_from_slice(metric.raw);
            }
        }
        Ok(())
    }

    /// A `Span`: its attribute list, then its events' lists.
    fn span(
        &mut self,
        buf: &'a [u8],
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        // Entries are sorted by event index, the span's own (index 0) first.
        let own = entries
            .iter()
            .take_while(|e| e.target == Target::Span as u8)
            .count();
        let (own, events) = entries.split_at(own);
        let mut list = std::mem::take(&mut self.list);
        list.clear();
        if !own.is_empty() {
            self.edited_attrs(buf, span::ATTRIBUTES, own)?;
            self.write_attrs(span::ATTRIBUTES, &mut list);
        }
        let (mut rest, mut e, mut written) = (events, 0, own.is_empty());
        for f in fields(buf) {
            let f = f?;
            match f.number {
                span::ATTRIBUTES if !own.is_empty() => {
                    if !written {
                        out.extend_from_slice(&list);
                        written = true;
                    }
                }
                span::EVENTS => {
                    let mine = take(&mut rest, e, |e| e.at.event);
                    self.nested(out, f, mine, |s, buf, entries, out| {
                        s.list(buf, span_event::ATTRIBUTES, entries, out)
                    })?;
                    e += 1;
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        if !written {
            out.extend_from_slice(&list);
        }
        self.list = list;
        Ok(())
    }

    /// A `Metric`: name and unit, its points, appended points.
    fn metric(
        &mut self,
        buf: &'a [u8],
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let mut name = None;
        for e in entries {
            if let Body::MetricName { name: n, unit } = e.body {
                name = Some((n, unit));
                self.applied += 1;
            }
        }
        let (mut new_name, mut new_unit) = (name.map(|n| n.0), name.map(|n| n.1));
        let to_points = entries
            .iter()
            .any(|e| matches!(e.body, Body::Ops(_) | Body::AppendedPoints(_)));
        for f in fields(buf) {
            let f = f?;
            match f.number {
                metric::NAME if new_name.is_some() => put_text(out, metric::NAME, new_name.take()),
                metric::UNIT if new_unit.is_some() => put_text(out, metric::UNIT, new_unit.take()),
                // Given twice: the walk falls back first.
                metric::NAME | metric::UNIT if name.is_some() => {}
                n if metric::is_data(n) && to_points => {
                    let (number, payload) = (f.number, f.message()?);
                    put_nested(out, number, payload.len(), |out| {
                        self.data(payload, number, entries, out)
                    })?;
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        put_text(out, metric::NAME, new_name);
        put_text(out, metric::UNIT, new_unit);
        Ok(())
    }

    /// A metric's data (field `number`): its points, then appended ones.
    fn data(
        &mut self,
        buf: &'a [u8],
        number: u32,
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        let attributes = metric::point_attributes(number);
        let mut appended = Vec::new();
        let mut lists = Vec::with_capacity(entries.len());
        for e in entries {
            match e.body {
                Body::AppendedPoints(batch) => {
                    appended.push(batch);
                    self.applied += 1;
                }
                Body::Ops(_) => lists.push(*e),
                _ => {} // the metric's name
            }
        }
        let mut rest = &lists[..];
        let mut p = 0;
        for f in fields(buf) {
            let f = f?;
            if f.number != data::DATA_POINTS {
                out.extend_from_slice(f.raw);
                continue;
            }
            let mine = take(&mut rest, p, |e| e.at.event);
            p += 1;
            if mine.is_empty() {
                out.extend_from_slice(f.raw);
                continue;
            }
            let payload = f.message()?;
            put_nested(out, 1, payload.len(), |out| {
                self.list(payload, attributes, mine, out)
            })?;
        }
        for batch in appended {
            let [metric] = batch_metrics(batch)?[..] else {
                return Err(Fallback);
            };
            let mut data = None;
            for f in fields(metric.message()?) {
                let f = f?;
                if matches!(f.number, 5 | 7 | 9 | 10 | 11) {
                    data = Some(f);
                    break;
                }
            }
            let data = data.filter(|d| d.number == number).ok_or(Fallback)?;
            for point in fields(data.message()?) {
                let point = point?;
                if point.number == data::DATA_POINTS {
                    out.extend_from_slice(point.raw);
                }
            }
        }
        Ok(())
    }

    /// The message `buf` with the ops of `entries` applied to its attribute
    /// list (field `number`); its other fields copied.
    fn list(
        &mut self,
        buf: &'a [u8],
        number: u32,
        entries: &[Entry<'a>],
        out: &mut Vec<u8>,
    ) -> Result<(), Fallback> {
        self.edited_attrs(buf, number, entries)?;
        let mut written = false;
        for f in fields(buf) {
            let f = f?;
            match f.number == number {
                false => out.extend_from_slice(f.raw),
                true if written => {}
                true => {
                    self.write_attrs(number, out);
                    written = true;
                }
            }
        }
        if !written {
            self.write_attrs(number, out);
        }
        Ok(())
    }

    /// Reads the attribute list (field `number`) of the message `buf` into
    /// `attrs` and applies the ops of `entries` to it.
    fn edited_attrs(
        &mut self,
        buf: &'a [u8],
        number: u32,
        entries: &[Entry<'a>],
    ) -> Result<(), Fallback> {
        self.attrs.clear();
        for f in fields(buf) {
            let f = f?;
            if f.number == number {
                let (key, value) = kv::split(f.message()?).ok_or(Fallback)?;
                self.attrs.push(Attr {
                    key,
                    value: value.map_or(Value::Absent, Value::Input),
                    raw: Some(f.raw),
                });
            }
        }
        for (n, e) in entries.iter().enumerate() {
            let Body::Ops(body) = e.body else {
                return Err(Fallback);
            };
            self.applied += 1;
            let read = self.ops_of.is_some_and(|o| std::ptr::eq(o, body));
            if !read {
                // Values of an earlier entry of this list stay: its
                // attributes may hold them.
                if n == 0 {
                    self.values.clear();
                }
                self.ops.clear();
                let mut ops = edit_reader::ops(body).ok_or(Fallback)?;
                while let Some(op) = ops.next_op(&mut self.values).ok_or(Fallback)? {
                    self.ops.push(op);
                }
                self.ops_of = Some(body);
            }
            for i in 0..self.ops.len() {
                self.op(self.ops[i])?;
            }
        }
        Ok(())
    }

    /// One op, as pdata's `Map` does it.
    fn op(&mut self, op: Op<'a>) -> Result<(), Fallback> {
        let at = |attrs: &[Attr], key: &[u8]| attrs.iter().position(|a| a.key == key);
        match op {
            Op::Delete(key) => {
                let i = at(&self.attrs, key).ok_or(Fallback)?;
                self.attrs.remove(i);
            }
            Op::Set(key, (from, to)) => {
                let value = Value::Set(from, to);
                match at(&self.attrs, key) {
                    Some(i) => (self.attrs[i].value, self.attrs[i].raw) = (value, None),
                    None => self.attrs.push(Attr {
                        key,
                        value,
                        raw: None,
                    }),
                }
            }
            Op::Rename(from, to) => {
                let i = at(&self.attrs, from).ok_or(Fallback)?;
                let mut a = self.attrs.remove(i);
                (a.key, a.raw) = (to, None);
                self.attrs.push(a);
            }
        }
        Ok(())
    }

    fn write_attrs(&self, number: u32, out: &mut Vec<u8>) {
        for a in &self.attrs {
            if let Some(raw) = a.raw {
                out.extend_from_slice(raw);
                continue;
            }
            let value = match a.value {
                Value::Absent => None,
                Value::Input(v) => Some(v),
                Value::Set(from, to) => Some(&self.values[from..to]),
            };
            kv::encode_parts(a.key, value, number, out);
        }
    }
}

/// A non-empty string field.
fn put_text(out: &mut Vec<u8>, number: u32, text: Option<&[u8]>) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        put_bytes(out, number, text);
    }
}

/// The metric fields (`ScopeMetrics.metrics`) of an appended batch's one
/// scope.
fn batch_metrics(batch: &[u8]) -> Result<Vec<Field<'_>>, Fallback> {
    let mut metrics = Vec::new();
    for rm in fields(batch) {
        let rm = rm?;
        if rm.number != request::RESOURCE_ITEMS {
            continue;
        }
        for sm in fields(rm.message()?) {
            let sm = sm?;
            if sm.number != resource_items::SCOPE_ITEMS {
                continue;
            }
            for m in fields(sm.message()?) {
                let m = m?;
                if m.number == scope_items::ITEMS {
                    metrics.push(m);
                }
            }
        }
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::metrics::v1::{
        metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    };
    use prost::Message;

    use super::*;

    fn kv(key: &str, v: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.into())),
            }),
            key_strindex: 0,
        }
    }

    /// A gauge of `points` points with attributes `a=1, b=2`.
    fn batch(points: usize) -> Vec<u8> {
        let point = NumberDataPoint {
            attributes: vec![kv("a", "1"), kv("b", "2")],
            ..Default::default()
        };
        let metric = Metric {
            name: "m".into(),
            data: Some(Data::Gauge(Gauge {
                data_points: vec![point; points],
            })),
            ..Default::default()
        };
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![metric],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
        .encode_to_vec()
    }

    /// Ops: kind, key, and the rename target or a string value.
    type Ops<'o> = &'o [(u8, &'o str, &'o str)];

    /// Edits of point entries at `[resource, scope, metric, point]`, each
    /// with its ops or (`None`) a repeat of the last entry's.
    fn edits(entries: &[([u32; 4], Option<Ops>)]) -> Vec<u8> {
        let bytes = |out: &mut Vec<u8>, b: &str| {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b.as_bytes());
        };
        let mut e = (entries.len() as u32).to_le_bytes().to_vec();
        for (at, ops) in entries {
            e.push(Target::DataPoint as u8);
            at.iter()
                .for_each(|i| e.extend_from_slice(&i.to_le_bytes()));
            let Some(ops) = ops else {
                e.extend_from_slice(&u32::MAX.to_le_bytes());
                continue;
            };
            e.extend_from_slice(&(ops.len() as u32).to_le_bytes());
            for &(kind, key, arg) in *ops {
                e.push(kind);
                bytes(&mut e, key);
                match kind {
                    1 => {
                        e.push(1);
                        bytes(&mut e, arg);
                    }
                    2 => bytes(&mut e, arg),
                    _ => {}
                }
            }
        }
        e
    }

    fn points_attrs(out: &[u8]) -> Vec<Vec<KeyValue>> {
        let req = ExportMetricsServiceRequest::decode(out).unwrap();
        match &req.resource_metrics[0].scope_metrics[0].metrics[0].data {
            Some(Data::Gauge(g)) => g.data_points.iter().map(|p| p.attributes.clone()).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ops_act_as_pdata_map_operations() {
        // Set an existing key in place, rename (appended), set a new key
        // (appended), delete.
        let ops: Ops = &[(1, "a", "x"), (2, "b", "c"), (1, "d", "y"), (0, "a", "")];
        let out = apply(
            Signal::Metrics,
            &batch(1),
            &edits(&[([0, 0, 0, 0], Some(ops))]),
        )
        .unwrap();
        assert_eq!(points_attrs(&out), [[kv("c", "2"), kv("d", "y")]]);
    }

    /// Repeated ops are read once and their values kept for the points
    /// that repeat them; a second entry of one list keeps the values of
    /// the first.
    #[test]
    fn repeated_ops_give_every_point_their_values() {
        let set_x: Ops = &[(1, "x", "v1"), (2, "a", "a2")];
        let set_y: Ops = &[(1, "y", "v2")];
        let e = edits(&[
            ([0, 0, 0, 0], Some(set_x)),
            ([0, 0, 0, 1], None),
            ([0, 0, 0, 2], None),
            ([0, 0, 0, 2], Some(set_y)),
        ]);
        let out = apply(Signal::Metrics, &batch(3), &e).unwrap();
        let with_x = vec![kv("b", "2"), kv("x", "v1"), kv("a2", "1")];
        let mut with_y = with_x.clone();
        with_y.push(kv("y", "v2"));
        assert_eq!(points_attrs(&out), [with_x.clone(), with_x, with_y]);
    }

    #[test]
    fn edits_that_do_not_fit_the_input_fall_back() {
        let input = batch(1);
        let delete_a: Ops = &[(0, "a", "")];
        for (at, ops) in [
            ([0, 0, 0, 1], delete_a),            // no second point
            ([1, 0, 0, 0], delete_a),            // no second resource
            ([0, 0, 0, 0], &[(0, "z", "")][..]), // no key z
            ([0, 0, 0, 0], &[(2, "z", "a")][..]),
        ] {
            let e = edits(&[(at, Some(ops))]);
            assert_eq!(
                apply(Signal::Metrics, &input, &e),
                Err(Fallback),
                "{at:?} {ops:?}"
            );
        }
        assert_eq!(
            apply(Signal::Metrics, &input, b"\x01\x00"),
            Err(Fallback),
            "not edits"
        );
    }
}
