//! The walk over trace and log batches. Both signals share the outer shape
//! (request -> resource -> scope -> item, same field numbers); they differ
//! in the items.

use super::attr_list::{AttrList, Interest};
use super::codec::{fields, put_bytes, put_nested, Field};
use super::edits::{Edits, Location, Target};
use super::span_reader::{Facts, SpanReading};
use super::{kv, Fallback};
use crate::normalize::Place;
use crate::semconv;
use crate::signal::Signal;
use crate::stages::{Batch, Stages};

use super::proto::request::RESOURCE_ITEMS;
use super::proto::resource::ATTRIBUTES as RESOURCE_ATTRIBUTES;
use super::proto::resource_items::{RESOURCE, SCOPE_ITEMS};
use super::proto::scope_items::{ITEMS, SCHEMA_URL, SCOPE};
use super::proto::{log_record, span, span_event};

/// `InstrumentationScope.name`.
const SCOPE_NAME: u32 = 1;

/// Messages that carry an attribute list the stages work on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Item {
    Resource,
    Span,
    SpanEvent,
    LogRecord,
}

impl Item {
    fn attributes_field(self) -> u32 {
        match self {
            Item::Resource => RESOURCE_ATTRIBUTES,
            Item::Span => span::ATTRIBUTES,
            Item::SpanEvent => span_event::ATTRIBUTES,
            Item::LogRecord => log_record::ATTRIBUTES,
        }
    }

    /// Span.events, the one nested item.
    const SPAN_EVENTS: u32 = span::EVENTS;

    fn target(self) -> Target {
        match self {
            Item::Resource => Target::Resource,
            Item::Span => Target::Span,
            Item::SpanEvent => Target::SpanEvent,
            Item::LogRecord => Target::LogRecord,
        }
    }
}

/// Processes a trace or log batch on the wire. `Ok(None)`: nothing
/// changed, keep the input. With `edits`, the changes are recorded there
/// ([`Edits`]) instead, and the output, when `Some`, is not a batch. With
/// `reading` (traces), each resource and span is handed to it once through
/// the stages, for the connector it was made for.
pub fn walk<'p, 'c: 'p>(
    p: &'p Stages,
    signal: Signal,
    input: &[u8],
    batch: &mut Batch,
    edits: Option<&'p mut Edits>,
    reading: Option<&'p mut dyn SpanReading<'c>>,
) -> Result<Option<Vec<u8>>, Fallback> {
    let item = match signal {
        Signal::Traces => Item::Span,
        Signal::Logs => Item::LogRecord,
        // Metrics are restructured by the naming stage: reference path only.
        Signal::Metrics => return Err(Fallback),
    };
    let connector = reading.as_ref().map(|r| r.keys());
    let mut walk = Walk {
        p,
        item,
        interest: Interest::new(p, connector),
        scratch: Vec::new(),
        edits,
        reading,
        at: Location::default(),
    };
    let mut resources = 0;
    // Room for the attributes the stages add without a reallocation; with
    // edits, only one item at a time is written.
    let capacity = match walk.edits {
        Some(_) => 1 << 12,
        None => input.len() + input.len() / 4,
    };
    let mut out = Vec::with_capacity(capacity);
    let mut changed = false;
    for f in fields(input) {
        let f = f?;
        if f.number == RESOURCE_ITEMS {
            let body = f.message()?;
            walk.at = Location {
                resource: resources,
                ..Location::default()
            };
            resources += 1;
            changed |= put_nested(&mut out, f.number, body.len(), |o| {
                walk.resource_items(body, o, batch)
            })?;
        } else {
            out.extend_from_slice(f.raw);
        }
    }
    if !walk.interest.genai_key_seen {
        // Not a GenAI batch (see `Stages::is_genai_key`): whatever the
        // stages did to it is dropped, counters included.
        *batch = Batch::default();
        return Ok(None);
    }
    Ok(changed.then_some(out))
}

struct Walk<'p, 'a, 'c> {
    p: &'p Stages,
    item: Item,
    interest: Interest<'p, 'a>,
    /// Buffers of the items being walked, one per nesting level, kept for
    /// the next item: a batch allocates them once, not once per item.
    scratch: Vec<Scratch<'a>>,
    edits: Option<&'p mut Edits>,
    reading: Option<&'p mut dyn SpanReading<'c>>,
    /// Indices of the messages being walked, for the edits.
    at: Location,
}

#[derive(Default)]
struct Scratch<'a> {
    list: AttrList<'a>,
    others: Vec<Field<'a>>,
}

impl<'a> Walk<'_, 'a, '_> {
    /// ResourceSpans / ResourceLogs.
    fn resource_items(
        &mut self,
        body: &'a [u8],
        out: &mut Vec<u8>,
        b: &mut Batch,
    ) -> Result<bool, Fallback> {
        let mut changed = false;
        let mut resources = 0;
        let mut scopes = 0;
        if let Some(r) = self.reading.as_deref_mut() {
            r.begin_resource();
        }
        for f in fields(body) {
            let f = f?;
            match f.number {
                RESOURCE => {
                    // A repeated singular message is merged by decoders:
                    // the reference path decides what that means.
                    resources += 1;
                    if resources > 1 {
                        return Err(Fallback);
                    }
                    let res = f.message()?;
                    changed |= put_nested(out, f.number, res.len(), |o| {
                        self.item(Item::Resource, res, o, b)
                    })?;
                }
                SCOPE_ITEMS => {
                    let scope = f.message()?;
                    if let Some(r) = self.reading.as_deref_mut() {
                        r.begin_scope();
                    }
                    self.at.scope = scopes;
                    scopes += 1;
                    changed |= put_nested(out, f.number, scope.len(), |o| self.scope(scope, o, b))?;
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        Ok(changed)
    }

    /// ScopeSpans / ScopeLogs: the items, then the schema URL of a scope
    /// we changed (as `semconv::mark_schema` does).
    fn scope(
        &mut self,
        body: &'a [u8],
        out: &mut Vec<u8>,
        b: &mut Batch,
    ) -> Result<bool, Fallback> {
        let mut touched = false;
        let mut schema_urls = 0;
        let mut empty_schema_url: Option<&[u8]> = None;
        let mut items = 0;
        for f in fields(body) {
            let f = f?;
            match f.number {
                SCOPE if self.reading.is_some() => {
                    // What the walk makes of the batch does not depend on
                    // the reading: a scope it cannot read spoils it.
                    if let Some(r) = self.reading.as_deref_mut() {
                        match f.message().and_then(scope_name) {
                            Ok(name) => r.scope_name(name),
                            Err(Fallback) => r.spoil(),
                        }
                    }
                    out.extend_from_slice(f.raw);
                }
                ITEMS => {
                    b.stats.items += 1;
                    let item = f.message()?;
                    self.at.item = items;
                    self.at.event = 0;
                    items += 1;
                    let mark = out.len();
                    touched |= put_nested(out, f.number, item.len(), |o| {
                        self.item(self.item, item, o, b)
                    })?;
                    if self.edits.is_some() {
                        // The edits say it all: the items' bytes are not needed.
                        out.truncate(mark);
                    }
                }
                SCHEMA_URL => {
                    schema_urls += 1;
                    if schema_urls > 1 {
                        return Err(Fallback);
                    }
                    if f.message()?.is_empty() {
                        empty_schema_url = Some(f.raw);
                    } else {
                        out.extend_from_slice(f.raw);
                    }
                }
                _ => out.extend_from_slice(f.raw),
            }
        }
        if touched && (schema_urls == 0 || empty_schema_url.is_some()) {
            put_bytes(out, SCHEMA_URL, semconv::SCHEMA_URL.as_bytes());
            if let Some(edits) = self.edits.as_deref_mut() {
                edits.schema_url(self.at, semconv::SCHEMA_URL.as_bytes());
            }
        } else if let Some(raw) = empty_schema_url {
            out.extend_from_slice(raw);
        }
        Ok(touched)
    }

    /// A message with an attribute list: the list goes through the stages
    /// and is written where it began; span events recurse.
    fn item(
        &mut self,
        item: Item,
        body: &'a [u8],
        out: &mut Vec<u8>,
        b: &mut Batch,
    ) -> Result<bool, Fallback> {
        let mut scratch = self.scratch.pop().unwrap_or_default();
        let result = self.item_in(item, body, out, b, &mut scratch);
        scratch.list.clear();
        scratch.others.clear();
        self.scratch.push(scratch);
        result
    }

    fn item_in(
        &mut self,
        item: Item,
        body: &'a [u8],
        out: &mut Vec<u8>,
        b: &mut Batch,
        scratch: &mut Scratch<'a>,
    ) -> Result<bool, Fallback> {
        let attrs_field = item.attributes_field();
        let Scratch { list, others } = scratch;
        // One pass over the fields: the list is collected, the others kept
        // in order with the first attribute field marking where the list
        // is written back.
        for f in fields(body) {
            let f = f?;
            if f.number == attrs_field {
                if list.is_empty() {
                    others.push(f);
                }
                list.push(f, &mut self.interest)?;
            } else {
                others.push(f);
            }
        }
        let list_changed = list.has_decoded() && self.stages(item, list, b);
        if list_changed {
            if let Some(edits) = self.edits.as_deref_mut() {
                let p = self.p;
                let reads = |key: &[u8]| p.reads_attribute(key);
                edits.list(item.target(), self.at, list.originals(), &list.kvs, &reads);
            }
        }
        if let Some(reading) = self.reading.as_deref_mut() {
            // An item the reading cannot read spoils it, and the walk goes
            // on as without one.
            let read = match item {
                _ if list.extra_unreadable => Err(Fallback),
                Item::Resource => {
                    reading.resource(&list.kvs, &list.extra);
                    Ok(())
                }
                Item::Span => read_span(reading, list, others),
                Item::SpanEvent | Item::LogRecord => Ok(()),
            };
            if read.is_err() {
                reading.spoil();
            }
        }
        let mut changed = list_changed;
        let mut events = 0;
        for &f in others.iter() {
            if f.number == attrs_field {
                if self.edits.is_none() {
                    list.write(out, attrs_field, list_changed);
                }
            } else if item == Item::Span && f.number == Item::SPAN_EVENTS {
                let event = f.message()?;
                self.at.event = events;
                events += 1;
                changed |= put_nested(out, f.number, event.len(), |o| {
                    self.item(Item::SpanEvent, event, o, b)
                })?;
            } else if self.edits.is_none() {
                // With edits, the item's bytes are dropped (see `scope`):
                // copying them cost a pass over the batch.
                out.extend_from_slice(f.raw);
            }
        }
        Ok(changed)
    }

    /// The stages for one list.
    fn stages(&self, item: Item, list: &mut AttrList<'_>, b: &mut Batch) -> bool {
        let place = match item {
            Item::Resource => Place::Resource,
            Item::SpanEvent => Place::SpanEvent,
            Item::Span => Place::Span,
            Item::LogRecord => Place::LogRecord,
        };
        self.p.attributes(place, &mut list.kvs, b)
    }
}

/// Hands one span, through the stages, to the reading.
fn read_span(
    reading: &mut dyn SpanReading<'_>,
    list: &AttrList<'_>,
    others: &[Field<'_>],
) -> Result<(), Fallback> {
    let keys = reading.keys();
    let mut facts = Facts::default();
    let mut wanted = |key: &[u8]| keys.reads(key);
    for &f in others {
        facts.take(f, &|name| keys.reads_event(name), &mut wanted)?;
    }
    reading.span(&list.kvs, &list.extra, &facts);
    Ok(())
}

/// The name in an `InstrumentationScope` (the last one, as decoders take it).
fn scope_name(scope: &[u8]) -> Result<&str, Fallback> {
    let mut name = "";
    for f in fields(scope) {
        let f = f?;
        if f.number == SCOPE_NAME {
            name = kv::utf8(f.message()?).ok_or(Fallback)?;
        }
    }
    Ok(name)
}
