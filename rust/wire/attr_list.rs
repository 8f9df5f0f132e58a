//! One attribute list of the input, made ready for the stages: attributes a
//! stage may read are decoded; every other one stays behind a placeholder,
//! which no edit touches.

use std::collections::HashMap;

use hashbrown::DefaultHashBuilder;

use opentelemetry_proto::tonic::common::v1::KeyValue;

use super::codec::{fields, Field, LEN};
use super::edits::Original;
use super::kv;
use super::span_reader::ReadsKeys;
use super::Fallback;
use crate::attrs::same_key;
use crate::stages::Stages;

/// Decides which attributes the stages may need to see, remembering the
/// answer per key for the batch (keys repeat from item to item).
pub struct Interest<'p, 'a> {
    processor: &'p Stages,
    /// The connector the batch is read for too, if any: the attributes
    /// its rule reads beyond the stages are decoded apart
    /// ([`AttrList::extra`]).
    connector: Option<&'p dyn ReadsKeys>,
    /// Keyed by the sender's bytes: hashed with a per-process random seed,
    /// so keys crafted to collide cannot make the lookups quadratic.
    verdicts: HashMap<&'a [u8], Verdict, DefaultHashBuilder>,
    /// The keys and verdicts last met at each position of a list:
    /// instrumentations write their attributes in the same order on every
    /// item, so most keys are answered by a comparison or two, without
    /// hashing. A few per position, as batches mix instrumentations.
    by_position: Vec<Recent<'a>>,
    /// Whether a GenAI key ([`Stages::is_genai_key`]) was met: without
    /// one the batch is not processed.
    pub genai_key_seen: bool,
}

#[derive(Clone, Copy)]
struct Verdict {
    wanted: bool,
    genai: bool,
    /// Not wanted by the stages, but read for the connector.
    extra: bool,
}

/// Positions remembered; later attributes of longer lists are looked up
/// by hashing.
const POSITIONS: usize = 256;

/// The last few keys met at one position, replaced oldest first.
#[derive(Clone, Copy, Default)]
struct Recent<'a> {
    keys: [Option<(&'a [u8], Verdict)>; 4],
    next: usize,
}

impl<'a> Recent<'a> {
    fn get(&self, key: &[u8]) -> Option<Verdict> {
        self.keys
            .iter()
            .flatten()
            .find(|(k, _)| same_key(k, key))
            .map(|&(_, v)| v)
    }

    fn put(&mut self, key: &'a [u8], v: Verdict) {
        self.keys[self.next] = Some((key, v));
        self.next = (self.next + 1) % self.keys.len();
    }
}

impl<'p, 'a> Interest<'p, 'a> {
    pub fn new(processor: &'p Stages, connector: Option<&'p dyn ReadsKeys>) -> Self {
        Self {
            processor,
            connector,
            verdicts: HashMap::default(),
            by_position: Vec::new(),
            genai_key_seen: false,
        }
    }

    /// Whether a stage may read the attribute encoded as `entry` (a
    /// `KeyValue`), by its key ([`Stages::reads_attribute`]), with its
    /// key and value payloads when its layout is the usual one
    /// ([`kv::split`]). An attribute whose key or value is framed wrongly
    /// is decoded too, so that the reference decoder reports it.
    fn wants(&mut self, entry: &'a [u8], position: usize) -> Result<Wants<'a>, Fallback> {
        let parts = kv::split(entry);
        let key = match parts {
            Some((key, _)) => key,
            None => match any_key(entry)? {
                Some(key) => key,
                None => {
                    return Ok(Wants {
                        stages: true,
                        extra: false,
                        parts: None,
                    })
                }
            },
        };
        if position == self.by_position.len() && position < POSITIONS {
            self.by_position.push(Recent::default());
        }
        let verdict = match self.by_position.get_mut(position) {
            Some(recent) => match recent.get(key) {
                Some(v) => v,
                None => {
                    let v = verdict(self.processor, self.connector, &mut self.verdicts, key);
                    recent.put(key, v);
                    v
                }
            },
            None => verdict(self.processor, self.connector, &mut self.verdicts, key),
        };
        self.genai_key_seen |= verdict.genai;
        Ok(Wants {
            stages: verdict.wanted,
            extra: verdict.extra,
            parts,
        })
    }
}

/// What to do with one attribute.
struct Wants<'a> {
    /// Decode it for the stages.
    stages: bool,
    /// Decode it apart, for the connector.
    extra: bool,
    parts: Option<kv::Parts<'a>>,
}

/// The verdict on `key`, remembered in `verdicts`.
fn verdict<'a>(
    processor: &Stages,
    connector: Option<&dyn ReadsKeys>,
    verdicts: &mut HashMap<&'a [u8], Verdict, DefaultHashBuilder>,
    key: &'a [u8],
) -> Verdict {
    *verdicts.entry(key).or_insert_with(|| {
        let wanted = processor.reads_attribute(key);
        Verdict {
            wanted,
            genai: processor.is_genai_key(key),
            extra: !wanted && connector.is_some_and(|c| c.reads(key)),
        }
    })
}

/// The key of an attribute in any layout (the last key field, as decoders
/// take it); `None` when a key or value is not length-delimited.
fn any_key(entry: &[u8]) -> Result<Option<&[u8]>, Fallback> {
    let mut key: &[u8] = &[];
    for f in fields(entry) {
        let f = f?;
        match (f.number, f.wire_type) {
            (1, LEN) => key = f.payload,
            (2, LEN) => {}
            (1 | 2, _) => return Ok(None),
            _ => {}
        }
    }
    Ok(Some(key))
}

/// An attribute list: `kvs` is what the stages see and change, with a
/// placeholder (empty key, no value) standing for each attribute they do
/// not read. The stages never write, move or remove an attribute with an
/// empty key, so the placeholders keep their relative order, and the edits
/// ([`super::edits::Edits::list`]) leave those attributes as they came.
#[derive(Default)]
pub struct AttrList<'a> {
    pub kvs: Vec<KeyValue>,
    /// Placeholders in `kvs`.
    placeholders: usize,
    /// Attributes pushed.
    pushed: usize,
    /// Key and value bytes of the decoded attributes, in order, for edits.
    decoded: Vec<Original<'a>>,
    /// Attributes no stage reads that the connector reads (see
    /// [`Interest`]), decoded, the first `extra_len` of them ([`Self::extra`]);
    /// the stages and the output never see them. The slots past
    /// `extra_len` are the earlier lists': items of one kind write these
    /// few keys in the same order, so an attribute is decoded in place into
    /// the slot of the one at its position in the list before, whose
    /// strings fit, and no slot moves.
    extra: Vec<KeyValue>,
    extra_len: usize,
    /// One of them did not decode: the list cannot be read for the
    /// connector (its bytes still go out as they came).
    pub extra_unreadable: bool,
    /// A decoded attribute had an unusual layout: no edits for this list.
    unusual: bool,
    /// Attributes of earlier lists, whose strings the next decoded
    /// attributes reuse: a batch allocates for its longest list, not for
    /// every attribute.
    spare: Vec<KeyValue>,
}

/// At most this many spare attributes per list buffer (more than any
/// instrumentation writes on one item).
const MAX_SPARE: usize = 256;

/// Whether `kv` stands for an attribute no stage reads, kept as its bytes.
pub(super) fn is_placeholder(kv: &KeyValue) -> bool {
    kv.key.is_empty() && kv.value.is_none()
}

impl<'a> AttrList<'a> {
    /// Adds one attribute field of the input.
    pub fn push(
        &mut self,
        field: Field<'a>,
        interest: &mut Interest<'_, 'a>,
    ) -> Result<(), Fallback> {
        let entry = field.message()?;
        let position = self.pushed;
        self.pushed += 1;
        let Wants {
            stages: wanted,
            extra,
            parts,
        } = interest.wants(entry, position)?;
        if extra {
            if self.extra_len == self.extra.len() {
                self.extra.push(KeyValue::default());
            }
            match kv::decode_into(entry, parts, &mut self.extra[self.extra_len]) {
                Ok(()) => self.extra_len += 1,
                Err(_) => self.extra_unreadable = true,
            }
        }
        // The slot is moved into the list before it is filled: filling it
        // on the stack and moving it after showed in the profile.
        if wanted {
            self.kvs.push(self.spare.pop().unwrap_or_default());
            let slot = self.kvs.last_mut().expect("pushed above");
            kv::decode_into(entry, parts, slot).map_err(|_| Fallback)?;
            // An attribute that decodes to nothing is a placeholder to the
            // stages: kept as it came.
            if !is_placeholder(slot) {
                match parts {
                    Some((key, value)) => self.decoded.push(Original {
                        key,
                        value: value.unwrap_or_default(),
                    }),
                    None => self.unusual = true,
                }
                return Ok(());
            }
        } else {
            // `resize_with` writes the placeholder in place; `push` built it
            // on the stack and read it back too early (a stall).
            self.kvs.resize_with(self.kvs.len() + 1, KeyValue::default);
        }
        self.placeholders += 1;
        Ok(())
    }

    /// Whether any attribute was decoded: without one no stage has
    /// anything to read, so none needs to run.
    pub fn has_decoded(&self) -> bool {
        self.kvs.len() > self.placeholders
    }

    /// Empties the list, keeping its buffers for the next one.
    pub fn clear(&mut self) {
        // The stages add attributes, so the spares are bounded.
        self.spare.append(&mut self.kvs);
        self.spare.truncate(MAX_SPARE);
        self.extra_len = 0;
        self.placeholders = 0;
        self.pushed = 0;
        self.decoded.clear();
        self.unusual = false;
        self.extra_unreadable = false;
    }

    /// The attributes no stage reads that the connector reads, decoded.
    pub fn extra(&self) -> &[KeyValue] {
        &self.extra[..self.extra_len]
    }

    /// The decoded attributes as they came (key and value bytes), for
    /// [`super::edits::Edits::list`]; `None` when one had a layout edits
    /// do not handle.
    pub fn originals(&self) -> Option<&[Original<'a>]> {
        (!self.unusual).then_some(&self.decoded[..])
    }
}
