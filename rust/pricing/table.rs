//! The merged pricing table and model-name matching.
//!
//! Keys are lower-cased once, when a table is loaded. Besides its own name,
//! every entry is also reachable under each suffix after a `/` (LiteLLM's
//! `azure/gpt-4o` answers for `gpt-4o` on Azure), as a secondary candidate.
//! A lookup tries a handful of names derived from the requested one, each a
//! hash-map probe: its cost depends on the length of the model name, never on
//! the size of the table, and is bounded whatever the name: names over
//! [`MAX_MODEL_NAME_BYTES`] are not priced (no table holds one), and at most
//! [`MAX_SEGMENT_STRIPS`] leading `provider/` segments and
//! [`MAX_VERSION_STRIPS`] version suffixes are tried.
//!
//!
//! One module, over 500 lines: the builder and the frozen table share the
//! layout (one string, candidates, prices) that keeps 4,000 models in a
//! handful of allocations.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};

use hashbrown::HashTable;

use super::price::Price;
use super::provider;
use crate::hash::FxHasher;

type Fx = BuildHasherDefault<FxHasher>;

/// One priced model as a table file states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The model name as written in the table.
    pub model: String,
    /// `gen_ai.provider.name` value the price applies to; `None`: any.
    pub provider: Option<String>,
    pub price: Price,
}

/// A price's place in the table that returned it, and only that table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceId(u32);

/// One way a name can be priced.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    /// Index of the provider's name; `None`: any provider.
    provider: Option<u32>,
    /// Listed under its own name (not only under a `/` suffix of it).
    primary: bool,
    /// Index of the price.
    price: u32,
}

/// A string of [`Table::strings`].
#[derive(Debug, Clone, Copy)]
struct Text {
    at: u32,
    len: u32,
}

impl Text {
    fn push(strings: &mut String, s: &str) -> Self {
        let at = u32::try_from(strings.len()).expect("table text under 4 GiB");
        strings.push_str(s);
        Text {
            at,
            len: s.len() as u32,
        }
    }

    fn of(self, strings: &str) -> &str {
        &strings[self.at as usize..][..self.len as usize]
    }
}

/// A name and its candidates, `candidates[first..first + count]` (one per
/// provider at most), in the order they were listed.
#[derive(Debug, Clone, Copy)]
struct Name {
    text: Text,
    first: u32,
    count: u32,
}

/// Model name -> the prices of that name, frozen. The table lives as long
/// as the collector, so it is held in a handful of allocations (names in
/// one string, candidates and prices in one vector each) rather than one
/// or more per name: 4,000 models would otherwise be 20,000 small blocks
/// interleaved with the garbage of parsing them.
#[derive(Default)]
pub struct Table {
    /// Every name and provider name, back to back.
    strings: String,
    names: Vec<Name>,
    /// Hash of a name -> its index in `names`.
    index: HashTable<u32>,
    candidates: Vec<Candidate>,
    providers: Vec<Text>,
    prices: Vec<Price>,
    entries: usize,
}

impl std::fmt::Debug for Table {
    /// A summary: the processor's debug output should not list 4,000 prices.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("entries", &self.entries)
            .field("names", &self.names.len())
            .field("prices", &self.prices.len())
            .finish()
    }
}

/// The longest model name priced, in bytes. Pricing files refuse longer
/// names and a lookup answers "unknown" for them at once, so a crafted name
/// from telemetry costs a bounded number of probes of bounded length. The
/// longest name in LiteLLM's table is 76 bytes.
pub const MAX_MODEL_NAME_BYTES: usize = 256;

/// Leading `provider/` segments a lookup strips from a name, and `/`
/// positions a table entry is also listed after. LiteLLM's names have at
/// most 6 `/`.
pub const MAX_SEGMENT_STRIPS: usize = 8;

/// Version or date suffixes a lookup strips from one form of a name, one
/// after another (`-v1:0` then `-20240307` is the most a real name needs).
pub const MAX_VERSION_STRIPS: usize = 4;

/// The longest prefix of `name` of at most `max` bytes that ends on a
/// character boundary: how an over-long name is shown in logs and errors.
pub fn shown_prefix(name: &str, max: usize) -> &str {
    let mut end = max.min(name.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// Bedrock cross-region inference profiles and similar route prefixes.
const REGION_PREFIXES: &[&str] = &[
    "us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca.",
];

impl Table {
    /// Builds a table from entries; a later duplicate of a name and provider
    /// does not replace the first.
    pub fn from_entries(entries: Vec<Entry>) -> Self {
        let mut b = Builder::default();
        for e in entries {
            b.add(e, false);
        }
        b.freeze()
    }

    /// This table with layers of higher precedence on top, in order: each
    /// entry replaces what the table had for its name and provider (for
    /// every provider when it names none).
    pub fn layered(&self, layers: Vec<Vec<Entry>>) -> Self {
        let mut b = Builder::thaw(self);
        for e in layers.into_iter().flatten() {
            b.add(e, true);
        }
        b.freeze()
    }

    /// Number of entries loaded (after replacements, counting each once).
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The price of `model` as called through `provider`, most specific name
    /// first (see docs/pricing.md, "Model matching").
    pub fn lookup(&self, model: &str, provider: Option<&str>) -> Option<&Price> {
        self.lookup_id(model, provider).map(|id| self.price(id))
    }

    /// [`Self::lookup`], as an id to keep (see [`Self::price`]).
    pub fn lookup_id(&self, model: &str, provider: Option<&str>) -> Option<PriceId> {
        let model = model.trim();
        if model.len() > MAX_MODEL_NAME_BYTES {
            return None;
        }
        let name = model.to_ascii_lowercase();
        let provider = provider.map(provider::canonical);
        let provider = provider.as_deref();
        let forms = name_forms(&name);
        for f in &forms {
            if let Some(p) = self.best(f, provider) {
                return Some(p);
            }
        }
        for f in &forms {
            let mut s = *f;
            for _ in 0..MAX_VERSION_STRIPS {
                let Some(shorter) = strip_version(s) else {
                    break;
                };
                if let Some(p) = self.best(shorter, provider) {
                    return Some(p);
                }
                s = shorter;
            }
        }
        None
    }

    /// The price an id of this table stands for.
    pub fn price(&self, id: PriceId) -> &Price {
        &self.prices[id.0 as usize]
    }

    fn text(&self, t: Text) -> &str {
        t.of(&self.strings)
    }

    fn name(&self, i: u32) -> &str {
        self.text(self.names[i as usize].text)
    }

    /// The candidates of one name, as listed.
    fn candidates_of(&self, n: Name) -> &[Candidate] {
        &self.candidates[n.first as usize..][..n.count as usize]
    }

    /// The candidates of the name `key`.
    fn bucket(&self, key: &str) -> Option<&[Candidate]> {
        let i = *self.index.find(name_hash(key), |&i| self.name(i) == key)?;
        Some(self.candidates_of(self.names[i as usize]))
    }

    /// The candidate of one name that fits the provider best: same provider,
    /// then a provider-less entry, then any; primary names before suffixes;
    /// earlier entries first. A suffix entry of another provider
    /// (`aiml/dall-e-3` for `dall-e-3` on `openai`) is a reseller's price
    /// and is not used when the call names its provider.
    fn best(&self, key: &str, provider: Option<&str>) -> Option<PriceId> {
        let bucket = self.bucket(key)?;
        let named = |c: &Candidate| c.provider.map(|p| self.text(self.providers[p as usize]));
        let usable = |c: &Candidate| match (named(c), provider) {
            (Some(a), Some(b)) => c.primary || a == b,
            _ => true,
        };
        let rank = |c: &Candidate| {
            let p = match (named(c), provider) {
                (Some(a), Some(b)) if a == b => 2,
                (None, _) => 1,
                _ => 0,
            };
            (p, c.primary as u8)
        };
        let mut best: Option<&Candidate> = None;
        for c in bucket.iter().filter(|c| usable(c)) {
            if best.is_none_or(|b| rank(c) > rank(b)) {
                best = Some(c);
            }
        }
        best.map(|c| PriceId(c.price))
    }
}

/// A table being built or layered: one growable bucket per name.
#[derive(Default)]
struct Builder {
    buckets: HashMap<Box<str>, Vec<Candidate>, Fx>,
    providers: Vec<Box<str>>,
    provider_ids: HashMap<Box<str>, u32, Fx>,
    /// Every price added; those no candidate keeps are dropped by `freeze`.
    prices: Vec<Price>,
    entries: usize,
}

impl Builder {
    /// A builder holding what `table` holds.
    fn thaw(table: &Table) -> Self {
        let mut b = Builder {
            buckets: table
                .names
                .iter()
                .map(|&n| (table.text(n.text).into(), table.candidates_of(n).to_vec()))
                .collect(),
            prices: table.prices.clone(),
            entries: table.entries,
            ..Default::default()
        };
        // A table's providers are distinct: they get their ids again.
        for &p in &table.providers {
            b.provider_id(table.text(p));
        }
        b
    }

    fn add(&mut self, e: Entry, replace: bool) {
        let key = e.model.trim().to_ascii_lowercase();
        if key.is_empty() {
            return;
        }
        let provider = e
            .provider
            .as_deref()
            .map(|p| self.provider_id(&provider::canonical(p)));
        let price = u32::try_from(self.prices.len()).expect("fewer than 2^32 prices");
        self.prices.push(e.price);
        let c = Candidate {
            provider,
            primary: true,
            price,
        };
        if self.insert(&key, c, replace) {
            self.entries += 1;
        }
        let mut rest = key.as_str();
        for _ in 0..MAX_SEGMENT_STRIPS {
            let Some(i) = rest.find('/') else {
                break;
            };
            rest = &rest[i + 1..];
            if !rest.is_empty() {
                let suffix = Candidate {
                    primary: false,
                    ..c
                };
                self.insert(rest, suffix, replace);
            }
        }
    }

    fn provider_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.provider_ids.get(name) {
            return id;
        }
        let id = u32::try_from(self.providers.len()).expect("fewer than 2^32 providers");
        self.providers.push(name.into());
        self.provider_ids.insert(name.into(), id);
        id
    }

    /// Returns whether a new candidate was added (as opposed to replacing one).
    fn insert(&mut self, key: &str, c: Candidate, replace: bool) -> bool {
        let bucket = self.buckets.entry(key.into()).or_default();
        let shadows = |o: &Candidate| {
            (c.provider.is_none() || o.provider == c.provider) && (c.primary || !o.primary)
        };
        let mut replaced_primary = false;
        if replace {
            bucket.retain(|o| {
                let gone = shadows(o);
                replaced_primary |= gone && o.primary;
                !gone
            });
        } else if bucket
            .iter()
            .any(|o| o.provider == c.provider && o.primary == c.primary)
        {
            return false;
        }
        bucket.push(c);
        // A replaced primary was already counted.
        c.primary && !replaced_primary
    }

    /// The table, in a handful of exactly sized allocations; prices no
    /// candidate uses any more (replaced by a layer) are left out.
    fn freeze(self) -> Table {
        let text_len = self.buckets.keys().map(|k| k.len()).sum::<usize>()
            + self.providers.iter().map(|p| p.len()).sum::<usize>();
        let mut t = Table {
            strings: String::with_capacity(text_len),
            names: Vec::with_capacity(self.buckets.len()),
            index: HashTable::with_capacity(self.buckets.len()),
            candidates: Vec::with_capacity(self.buckets.values().map(Vec::len).sum()),
            providers: Vec::with_capacity(self.providers.len()),
            prices: Vec::new(),
            entries: self.entries,
        };
        for p in &self.providers {
            t.providers.push(Text::push(&mut t.strings, p));
        }
        // Old price index -> index in the table, for the prices a candidate
        // still uses (0 marks those until they are placed). Equal prices are
        // stored once: 4,000 models have about 1,600 distinct prices.
        let mut kept = vec![u32::MAX; self.prices.len()];
        for c in self.buckets.values().flatten() {
            kept[c.price as usize] = 0;
        }
        let bits = |p: Option<f64>| p.map_or(u64::MAX, f64::to_bits);
        let mut same: HashMap<(u64, u64), Vec<u32>, Fx> = HashMap::default();
        for (slot, price) in kept.iter_mut().zip(self.prices) {
            if *slot != 0 {
                continue;
            }
            let ids = same
                .entry((bits(price.input), bits(price.output)))
                .or_default();
            *slot = match ids.iter().find(|&&i| t.prices[i as usize] == price) {
                Some(&i) => i,
                None => {
                    let i = t.prices.len() as u32;
                    ids.push(i);
                    t.prices.push(price);
                    i
                }
            };
        }
        t.prices.shrink_to_fit();
        for (key, bucket) in &self.buckets {
            let first = t.candidates.len() as u32;
            t.candidates.extend(bucket.iter().map(|c| Candidate {
                price: kept[c.price as usize],
                ..*c
            }));
            let i = t.names.len() as u32;
            t.names.push(Name {
                text: Text::push(&mut t.strings, key),
                first,
                count: bucket.len() as u32,
            });
            let (strings, names) = (&t.strings, &t.names);
            let rehash = |&i: &u32| name_hash(names[i as usize].text.of(strings));
            t.index.insert_unique(name_hash(key), i, rehash);
        }
        t
    }
}

/// The hash a name is indexed under.
fn name_hash(name: &str) -> u64 {
    Fx::default().hash_one(name)
}

/// The requested name, then without each leading `provider/` segment (at
/// most [`MAX_SEGMENT_STRIPS`]); each followed by its form without a region
/// prefix when it has one.
fn name_forms(name: &str) -> Vec<&str> {
    let mut forms = Vec::with_capacity(4);
    let mut rest = name;
    for _ in 0..=MAX_SEGMENT_STRIPS {
        forms.push(rest);
        if let Some(stripped) = strip_region(rest) {
            forms.push(stripped);
        }
        match rest.find('/') {
            Some(i) if i + 1 < rest.len() => rest = &rest[i + 1..],
            _ => break,
        }
    }
    forms
}

fn strip_region(name: &str) -> Option<&str> {
    REGION_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .filter(|rest| !rest.is_empty())
}

/// The name without its last version or date suffix, if it has one:
/// `@20240620` / `@001` (Vertex), `:0` (Bedrock), `-v1:0`, `-2024-08-06`,
/// `-20240620`, `-0613`, `-002`, `-latest`.
pub fn strip_version(name: &str) -> Option<&str> {
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if let Some(i) = name.rfind('@') {
        if i > 0 {
            return Some(&name[..i]);
        }
    }
    if let Some(i) = name.rfind(':') {
        if i > 0 && all_digits(&name.as_bytes()[i + 1..]) {
            let head = &name[..i];
            // `-v1:0` goes as one unit.
            if let Some(j) = head.rfind('-') {
                let seg = &head[j + 1..];
                if seg.len() > 1 && seg.starts_with('v') && all_digits(&seg.as_bytes()[1..]) {
                    return Some(&head[..j]);
                }
            }
            return Some(head);
        }
    }
    // -YYYY-MM-DD, checked on bytes: model names come from telemetry and
    // may hold any character, and a str slice must fall on char boundaries.
    let n = name.len();
    if n > 11 {
        let t = &name.as_bytes()[n - 11..];
        if t[0] == b'-'
            && all_digits(&t[1..5])
            && t[5] == b'-'
            && all_digits(&t[6..8])
            && t[8] == b'-'
            && all_digits(&t[9..11])
        {
            // Byte n - 11 is the ASCII '-': a char boundary.
            return Some(&name[..n - 11]);
        }
    }
    let j = name.rfind('-')?;
    if j == 0 {
        return None;
    }
    let seg = &name[j + 1..];
    if (all_digits(seg.as_bytes()) && (3..=8).contains(&seg.len())) || seg == "latest" {
        return Some(&name[..j]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64) -> Price {
        Price {
            input: Some(input),
            output: Some(input),
            ..Default::default()
        }
    }

    fn entry(model: &str, provider: Option<&str>, input: f64) -> Entry {
        Entry {
            model: model.into(),
            provider: provider.map(Into::into),
            price: price(input),
        }
    }

    fn input_of(t: &Table, model: &str, provider: Option<&str>) -> Option<f64> {
        t.lookup(model, provider).and_then(|p| p.input)
    }

    #[test]
    fn version_suffixes() {
        assert_eq!(strip_version("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(
            strip_version("claude-3-5-sonnet-20240620"),
            Some("claude-3-5-sonnet")
        );
        assert_eq!(
            strip_version("claude-3-5-sonnet@20240620"),
            Some("claude-3-5-sonnet")
        );
        assert_eq!(
            strip_version("anthropic.claude-3-haiku-20240307-v1:0"),
            Some("anthropic.claude-3-haiku-20240307")
        );
        assert_eq!(strip_version("gpt-4-0613"), Some("gpt-4"));
        assert_eq!(strip_version("gemini-1.5-pro-002"), Some("gemini-1.5-pro"));
        assert_eq!(strip_version("claude-3-opus-latest"), Some("claude-3-opus"));
        assert_eq!(strip_version("gpt-4"), None);
        assert_eq!(strip_version("llama-3-70b"), None);
        assert_eq!(strip_version("o1"), None);
    }

    /// Found by fuzzing (`fast_path_diff`): a multi-byte character where a
    /// date suffix would start panicked on a str slice.
    #[test]
    fn names_with_any_characters_are_looked_up_without_panicking() {
        assert_eq!(strip_version("claude-3-5ӌonnet"), None);
        assert_eq!(strip_version("ӌӌӌӌӌӌ-2024-08-06"), Some("ӌӌӌӌӌӌ"));
        assert_eq!(strip_version("modèle-2024-08-06"), Some("modèle"));
        assert_eq!(strip_version("é-é-é-é-é-é-é"), None);
        let t = Table::from_entries(vec![entry("gpt-4o", Some("openai"), 1.0)]);
        for model in ["gpt-4ӌ-2024-08-06", "ӌ-3-5ӌonnet", "ü@1", "ä:1", "-ß-1234"] {
            assert_eq!(input_of(&t, model, None), None, "{model}");
        }
    }

    #[test]
    fn most_specific_name_wins() {
        let t = Table::from_entries(vec![
            entry("gpt-4o", Some("openai"), 1.0),
            entry("gpt-4o-2024-05-13", Some("openai"), 2.0),
        ]);
        assert_eq!(input_of(&t, "gpt-4o-2024-05-13", None), Some(2.0));
        assert_eq!(input_of(&t, "GPT-4o-2024-08-06", None), Some(1.0));
        assert_eq!(input_of(&t, "openai/gpt-4o", Some("openai")), Some(1.0));
        assert_eq!(input_of(&t, "gpt-5", None), None);
    }

    #[test]
    fn provider_disambiguates_and_suffix_keys_answer() {
        let t = Table::from_entries(vec![
            entry("llama-3-70b", Some("groq"), 1.0),
            entry("together_ai/llama-3-70b", Some("together_ai"), 2.0),
            entry("azure/gpt-4o", Some("azure"), 3.0),
            entry("gpt-4o", Some("openai"), 4.0),
        ]);
        assert_eq!(input_of(&t, "llama-3-70b", Some("together_ai")), Some(2.0));
        assert_eq!(input_of(&t, "llama-3-70b", Some("groq")), Some(1.0));
        // Unknown provider: the entry listed under its own name.
        assert_eq!(input_of(&t, "llama-3-70b", Some("acme")), Some(1.0));
        assert_eq!(input_of(&t, "gpt-4o", Some("azure.ai.openai")), Some(3.0));
        assert_eq!(input_of(&t, "gpt-4o", None), Some(4.0));
        // Another provider's suffix entry answers only calls without a provider.
        assert_eq!(input_of(&t, "llama-3-70b", None), Some(1.0));
        let t = Table::from_entries(vec![entry("aiml/dall-e-3", Some("aiml"), 5.0)]);
        assert_eq!(input_of(&t, "dall-e-3", Some("openai")), None);
        assert_eq!(input_of(&t, "dall-e-3", None), Some(5.0));
    }

    #[test]
    fn bedrock_region_prefixes() {
        let t = Table::from_entries(vec![entry(
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            Some("bedrock"),
            3.0,
        )]);
        for m in [
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "eu.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "apac.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "global.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        ] {
            assert_eq!(input_of(&t, m, Some("aws.bedrock")), Some(3.0), "{m}");
        }
    }

    /// Freezing stores each distinct price once and drops the prices a
    /// layer replaced everywhere; lookups are unchanged by either.
    #[test]
    fn frozen_tables_hold_each_used_price_once() {
        let mut t = Table::from_entries(vec![
            entry("gpt-4o", Some("openai"), 1.0),
            entry("azure/gpt-4o", Some("azure"), 1.0),
            entry("gpt-4o-mini", Some("openai"), 2.0),
        ]);
        assert_eq!((t.len(), t.prices.len()), (3, 2));
        assert_eq!(input_of(&t, "gpt-4o", Some("azure")), Some(1.0));
        t = t.layered(vec![vec![entry("gpt-4o-mini", None, 3.0)]]);
        assert_eq!((t.len(), t.prices.len()), (3, 2));
        assert_eq!(input_of(&t, "gpt-4o-mini", Some("openai")), Some(3.0));
        assert_eq!(input_of(&t, "gpt-4o", Some("openai")), Some(1.0));
        t = t.layered(vec![vec![entry("o1", Some("openai"), 4.0)]]);
        assert_eq!((t.len(), t.prices.len()), (4, 3));
        assert_eq!(input_of(&t, "openai/o1", Some("openai")), Some(4.0));
    }

    #[test]
    fn layers_replace_by_name_and_provider() {
        let mut t = Table::from_entries(vec![
            entry("gpt-4o", Some("openai"), 1.0),
            entry("azure/gpt-4o", Some("azure"), 2.0),
        ]);
        t = t.layered(vec![vec![entry("gpt-4o", Some("openai"), 10.0)]]);
        assert_eq!(input_of(&t, "gpt-4o", Some("openai")), Some(10.0));
        assert_eq!(input_of(&t, "gpt-4o", Some("azure.ai.openai")), Some(2.0));
        t = t.layered(vec![vec![entry("gpt-4o", None, 20.0)]]);
        assert_eq!(input_of(&t, "gpt-4o", Some("azure.ai.openai")), Some(20.0));
        assert_eq!(input_of(&t, "gpt-4o", Some("openai")), Some(20.0));
        assert_eq!(t.len(), 2);
        // A name known only as a suffix becomes an entry of its own.
        t = t.layered(vec![
            vec![entry("azure/dall-e-3", Some("azure"), 1.0)],
            vec![entry("dall-e-3", None, 2.0)],
        ]);
        assert_eq!(t.len(), 4);
    }
}
