//! The walk over trace and log batches: every attribute list through the
//! stages, each change recorded as edits ([`Edits`]), which
//! [`super::apply_edits`] turns into a whole batch where one is needed.
//! Both signals share the outer shape (request -> resource -> scope ->
//! item, same field numbers); they differ in the items.

use super::attr_list::{AttrList, Interest};
use super::codec::{fields, Field};
use super::edits::{Edits, Location, Target};
use super::span_reader::{scope_name, Facts, SpanReading};
use super::Fallback;
use crate::normalize::Place;
use crate::semconv;
use crate::signal::Signal;
use crate::stages::{Batch, Stages};

use super::proto::request::RESOURCE_ITEMS;
use super::proto::resource::ATTRIBUTES as RESOURCE_ATTRIBUTES;
use super::proto::resource_items::{RESOURCE, SCOPE_ITEMS};
use super::proto::scope_items::{ITEMS, SCHEMA_URL, SCOPE};
use super::proto::{log_record, span, span_event};

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

/// Processes a trace or log batch on the wire, recording its changes in
/// `edits`; whether anything changed (`false`: keep the input). With
/// `reading` (traces), each resource and span is handed to it once through
/// the stages, for the connector it was made for.
pub fn walk<'p, 'c: 'p>(
    p: &'p Stages,
    signal: Signal,
    input: &[u8],
    batch: &mut Batch,
    edits: &'p mut Edits,
    reading: Option<&'p mut dyn SpanReading<'c>>,
) -> Result<bool, Fallback> {
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
    let mut changed = false;
    for f in fields(input) {
        let f = f?;
        if f.number == RESOURCE_ITEMS {
            walk.at = Location {
                resource: resources,
                ..Location::default()
            };
            resources += 1;
            changed |= walk.resource_items(f.message()?, batch)?;
        }
    }
    if !walk.interest.genai_key_seen {
        // Not a GenAI batch (see `Stages::is_genai_key`): whatever the
        // stages did to it is dropped, counters included.
        *batch = Batch::default();
        return Ok(false);
    }
    Ok(changed)
}

struct Walk<'p, 'a, 'c> {
    p: &'p Stages,
    item: Item,
    interest: Interest<'p, 'a>,
    /// Buffers of the items being walked, one per nesting level, kept for
    /// the next item: a batch allocates them once, not once per item.
    scratch: Vec<Scratch<'a>>,
    edits: &'p mut Edits,
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
    fn resource_items(&mut self, body: &'a [u8], b: &mut Batch) -> Result<bool, Fallback> {
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
                    changed |= self.item(Item::Resource, f.message()?, b)?;
                }
                SCOPE_ITEMS => {
                    let scope = f.message()?;
                    if let Some(r) = self.reading.as_deref_mut() {
                        r.begin_scope();
                    }
                    self.at.scope = scopes;
                    scopes += 1;
                    changed |= self.scope(scope, b)?;
                }
                _ => {}
            }
        }
        Ok(changed)
    }

    /// ScopeSpans / ScopeLogs: the items, then the schema URL of a scope
    /// we changed (as `semconv::mark_schema` does).
    fn scope(&mut self, body: &'a [u8], b: &mut Batch) -> Result<bool, Fallback> {
        let mut touched = false;
        let mut schema_urls = 0;
        let mut schema_url_empty = true;
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
                }
                ITEMS => {
                    b.stats.items += 1;
                    let item = f.message()?;
                    self.at.item = items;
                    self.at.event = 0;
                    items += 1;
                    touched |= self.item(self.item, item, b)?;
                }
                SCHEMA_URL => {
                    schema_urls += 1;
                    if schema_urls > 1 {
                        return Err(Fallback);
                    }
                    schema_url_empty = f.message()?.is_empty();
                }
                _ => {}
            }
        }
        if touched && schema_url_empty {
            self.edits
                .schema_url(self.at, semconv::SCHEMA_URL.as_bytes());
        }
        Ok(touched)
    }

    /// A message with an attribute list: the list goes through the stages
    /// and its changes into the edits; span events recurse.
    fn item(&mut self, item: Item, body: &'a [u8], b: &mut Batch) -> Result<bool, Fallback> {
        let mut scratch = self.scratch.pop().unwrap_or_default();
        let result = self.item_in(item, body, b, &mut scratch);
        scratch.list.clear();
        scratch.others.clear();
        self.scratch.push(scratch);
        result
    }

    fn item_in(
        &mut self,
        item: Item,
        body: &'a [u8],
        b: &mut Batch,
        scratch: &mut Scratch<'a>,
    ) -> Result<bool, Fallback> {
        let attrs_field = item.attributes_field();
        let Scratch { list, others } = scratch;
        // One pass over the fields: the list is collected, the others kept
        // for the events and the reading.
        for f in fields(body) {
            let f = f?;
            if f.number == attrs_field {
                list.push(f, &mut self.interest)?;
            } else {
                others.push(f);
            }
        }
        let list_changed = list.has_decoded() && self.stages(item, list, b);
        if list_changed {
            let p = self.p;
            let reads = |key: &[u8]| p.reads_attribute(key);
            self.edits
                .list(item.target(), self.at, list.originals(), &list.kvs, &reads);
        }
        if let Some(reading) = self.reading.as_deref_mut() {
            // An item the reading cannot read spoils it, and the walk goes
            // on as without one.
            let read = match item {
                _ if list.extra_unreadable => Err(Fallback),
                Item::Resource => {
                    reading.resource(&list.kvs, list.extra());
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
            if item == Item::Span && f.number == Item::SPAN_EVENTS {
                self.at.event = events;
                events += 1;
                changed |= self.item(Item::SpanEvent, f.message()?, b)?;
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
    reading.span(&list.kvs, list.extra(), &facts);
    Ok(())
}
