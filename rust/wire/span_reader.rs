//! Spans read for counting, not rewriting: the `genai` connector needs a
//! span's times, status, the attributes the stages and its own rule read,
//! and the few events that state a failure or a first token. Reading only
//! those from the bytes (every other attribute and event skipped without a
//! copy) spares most of what decoding whole spans with prost costs, which
//! is an allocation per string. Input the reader does not expect gives
//! [`Fallback`], and the caller decodes the batch with prost instead
//! (`span_metrics`, tested against each other in `tests/span_metrics.rs`).

use hashbrown::HashMap;
use opentelemetry_proto::tonic::common::v1::KeyValue;

use super::codec::{fields, Field};
use super::kv;
use super::proto::request::RESOURCE_ITEMS;
use super::proto::resource::ATTRIBUTES as RESOURCE_ATTRIBUTES;
use super::proto::resource_items::{RESOURCE, SCOPE_ITEMS};
use super::proto::scope_items::{ITEMS, SCOPE};
use super::proto::{self, span, span_event, status};
use super::Fallback;

/// What the reader keeps of one span; reused from span to span.
#[derive(Debug, Default)]
pub struct SpanView {
    /// The attributes `wanted` accepted, in their order.
    pub attributes: Vec<KeyValue>,
    /// Its times, status and the events `wanted_event` accepted (with the
    /// attributes `wanted` accepted).
    pub facts: Facts,
}

/// One event the reader kept.
#[derive(Debug, Default, Clone)]
pub struct EventView {
    pub name: String,
    pub time_unix_nano: u64,
    pub attributes: Vec<KeyValue>,
}

/// What a reader hands the spans of a batch to.
pub trait SpanSink {
    /// Which span and event attributes to keep, by key.
    fn wanted(&self, key: &[u8]) -> bool;
    /// Which events to keep, by name.
    fn wanted_event(&self, name: &str) -> bool;
    /// A resource's attributes (all of them), before its spans.
    fn resource(&mut self, attributes: &mut Vec<KeyValue>);
    /// A scope of the last resource, by name, before its spans.
    fn scope(&mut self, name: &str);
    /// One span of the last scope.
    fn span(&mut self, span: &mut SpanView);
}

/// Which attributes and events a span reader keeps, asked by key or name.
pub trait ReadsKeys {
    /// Whether a resource, span or event attribute named `key` is read.
    fn reads(&self, key: &[u8]) -> bool;
    /// Whether a span event named `name` is read.
    fn reads_event(&self, name: &str) -> bool;
}

/// What the processor's walk hands a trace batch's resources, scopes and
/// spans to once the stages ran on them, in the order the batch holds
/// them (the genai connector's `span_metrics::Reading`).
pub trait SpanReading<'c> {
    /// The attributes and events it reads beyond what the stages read,
    /// decoded apart for it.
    fn keys(&self) -> &'c dyn ReadsKeys;
    /// A `ResourceSpans` begins.
    fn begin_resource(&mut self);
    /// The current resource's attributes, in two lists.
    fn resource(&mut self, attributes: &[KeyValue], more: &[KeyValue]);
    /// A `ScopeSpans` of the current resource begins.
    fn begin_scope(&mut self);
    /// The current scope's name.
    fn scope_name(&mut self, name: &str);
    /// One span of the current scope: its attributes in two lists, and
    /// its times, status and kept events.
    fn span(&mut self, attributes: &[KeyValue], more: &[KeyValue], facts: &Facts);
    /// The walk gave up on the batch: nothing read counts.
    fn spoil(&mut self);
}

/// Hands every span of an `ExportTraceServiceRequest` to `sink`. On
/// `Fallback` the sink may have seen part of the batch: the caller starts
/// again with a fresh one.
pub fn read_spans(input: &[u8], sink: &mut impl SpanSink) -> Result<(), Fallback> {
    let mut resource = Vec::new();
    let mut view = SpanView::default();
    // The sink's answer per key, for the batch (keys repeat from span to
    // span); hashbrown's default hasher is seeded, so keys a sender crafts
    // to collide cannot make the lookups quadratic.
    let mut memo = Memo::new();
    for f in fields(input) {
        let f = f?;
        if f.number != RESOURCE_ITEMS {
            continue;
        }
        let items = f.message()?;
        resource.clear();
        for f in fields(items) {
            let f = f?;
            if f.number == RESOURCE {
                for f in fields(f.message()?) {
                    let f = f?;
                    if f.number == RESOURCE_ATTRIBUTES {
                        resource.push(attribute(f)?);
                    }
                }
            }
        }
        sink.resource(&mut resource);
        for f in fields(items) {
            let f = f?;
            if f.number != SCOPE_ITEMS {
                continue;
            }
            let scope_items = f.message()?;
            let mut scope = "";
            for f in fields(scope_items) {
                let f = f?;
                if f.number == SCOPE {
                    scope = scope_name(f.message()?)?;
                }
            }
            sink.scope(scope);
            for f in fields(scope_items) {
                let f = f?;
                if f.number == ITEMS {
                    read_span(f.message()?, sink, &mut memo, &mut view)?;
                    sink.span(&mut view);
                }
            }
        }
    }
    Ok(())
}

/// Wanted answers by key.
type Memo = HashMap<Box<[u8]>, bool>;

fn read_span(
    buf: &[u8],
    sink: &impl SpanSink,
    memo: &mut Memo,
    view: &mut SpanView,
) -> Result<(), Fallback> {
    view.attributes.clear();
    view.facts = Facts::default();
    let facts = &mut view.facts;
    let mut wanted = |key: &[u8]| match memo.get(key) {
        Some(&w) => w,
        None => {
            let w = sink.wanted(key);
            memo.insert(key.into(), w);
            w
        }
    };
    for f in fields(buf) {
        let f = f?;
        if f.number == span::ATTRIBUTES {
            keep_wanted(f, &mut wanted, &mut view.attributes)?;
        } else {
            facts.take(f, &|name| sink.wanted_event(name), &mut wanted)?;
        }
    }
    Ok(())
}

/// A span's times, status and wanted events, from its fields other than
/// the attributes (the processor's walk collects those fields anyway).
#[derive(Debug, Default)]
pub struct Facts {
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub status_code: i32,
    pub events: Vec<EventView>,
}

impl Facts {
    /// Takes what `f`, one field of a span, says; other fields are left.
    /// Inlined: a span has about ten fields, and this is called for each
    /// one but its attributes.
    #[inline]
    pub fn take(
        &mut self,
        f: Field<'_>,
        wanted_event: &dyn Fn(&str) -> bool,
        wanted: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), Fallback> {
        match f.number {
            span::START_TIME_UNIX_NANO => self.start_time_unix_nano = f.number_value()?,
            span::END_TIME_UNIX_NANO => self.end_time_unix_nano = f.number_value()?,
            span::EVENTS => self.take_event(f, wanted_event, wanted)?,
            span::STATUS => self.take_status(f)?,
            _ => {}
        }
        Ok(())
    }

    fn take_event(
        &mut self,
        f: Field<'_>,
        wanted_event: &dyn Fn(&str) -> bool,
        wanted: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<(), Fallback> {
        if let Some(event) = read_event(f.message()?, wanted_event, wanted)? {
            self.events.push(event);
        }
        Ok(())
    }

    fn take_status(&mut self, f: Field<'_>) -> Result<(), Fallback> {
        // A repeated message merges: its last code wins, as in prost.
        for f in fields(f.message()?) {
            let f = f?;
            if f.number == status::CODE {
                self.status_code = f.number_value()? as i32;
            }
        }
        Ok(())
    }
}

fn read_event(
    buf: &[u8],
    wanted_event: &dyn Fn(&str) -> bool,
    wanted: &mut dyn FnMut(&[u8]) -> bool,
) -> Result<Option<EventView>, Fallback> {
    let mut name = None;
    for f in fields(buf) {
        let f = f?;
        if f.number == span_event::NAME {
            name = Some(kv::utf8(f.message()?).ok_or(Fallback)?);
        }
    }
    let Some(name) = name.filter(|n| wanted_event(n)) else {
        return Ok(None);
    };
    let mut event = EventView {
        name: name.to_string(),
        ..Default::default()
    };
    for f in fields(buf) {
        let f = f?;
        match f.number {
            span_event::TIME_UNIX_NANO => event.time_unix_nano = f.number_value()?,
            span_event::ATTRIBUTES => keep_wanted(f, wanted, &mut event.attributes)?,
            _ => {}
        }
    }
    Ok(Some(event))
}

/// Decodes the attribute in `f` into `list` when its key is wanted.
fn keep_wanted(
    f: Field<'_>,
    wanted: &mut dyn FnMut(&[u8]) -> bool,
    list: &mut Vec<KeyValue>,
) -> Result<(), Fallback> {
    let entry = f.message()?;
    let parts = kv::split(entry);
    // An unusual layout: decoded to learn its key.
    let key = match parts {
        Some((key, _)) => key,
        None => return keep_decoded(entry, wanted, list),
    };
    if wanted(key) {
        let mut slot = KeyValue::default();
        kv::decode_into(entry, parts, &mut slot).map_err(|_| Fallback)?;
        list.push(slot);
    }
    Ok(())
}

fn keep_decoded(
    entry: &[u8],
    wanted: &mut dyn FnMut(&[u8]) -> bool,
    list: &mut Vec<KeyValue>,
) -> Result<(), Fallback> {
    let mut slot = KeyValue::default();
    kv::decode_into(entry, None, &mut slot).map_err(|_| Fallback)?;
    if wanted(slot.key.as_bytes()) {
        list.push(slot);
    }
    Ok(())
}

fn attribute(f: Field<'_>) -> Result<KeyValue, Fallback> {
    let entry = f.message()?;
    let mut slot = KeyValue::default();
    kv::decode_into(entry, kv::split(entry), &mut slot).map_err(|_| Fallback)?;
    Ok(slot)
}

/// The name in an `InstrumentationScope` (the last one, as decoders take it).
pub(super) fn scope_name(scope: &[u8]) -> Result<&str, Fallback> {
    let mut name = "";
    for f in fields(scope) {
        let f = f?;
        if f.number == proto::scope::NAME {
            name = kv::utf8(f.message()?).ok_or(Fallback)?;
        }
    }
    Ok(name)
}
