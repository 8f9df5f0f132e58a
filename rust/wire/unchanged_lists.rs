//! Metric point attribute lists that normalization left alone, remembered
//! for the batch by their input bytes.
//!
//! A series' attribute set recurs on each of its metrics (operation
//! duration, token usage, time to first token, cost) and on every export
//! of them, and normalization's answer depends on a list's keys and values
//! alone (and its place, here always a data point). So a list met again
//! skips normalization when the first time changed nothing and moved no
//! counter. Other lists (changed, or counted as failing coercion) are not
//! remembered, so the memo holds no results, only the lists needing none.

use hashbrown::HashSet;

use super::codec::put_bytes;
use super::edits::Original;

/// Distinct lists remembered per batch: beyond this, lists are normalized
/// as if unseen (a batch has far fewer series than points).
const MAX_LISTS: usize = 4096;

#[derive(Default)]
pub struct UnchangedLists {
    /// Each list as its attributes' key and value bytes, framed so that no
    /// two lists share an encoding.
    lists: HashSet<Box<[u8]>>,
    /// The encoding of the list last asked about.
    last: Vec<u8>,
}

impl UnchangedLists {
    /// Whether the list of `originals` (a point's attributes as they came)
    /// was left alone by normalization before in this batch.
    pub fn seen(&mut self, originals: &[Original<'_>]) -> bool {
        self.last.clear();
        for o in originals {
            put_bytes(&mut self.last, 1, o.key);
            put_bytes(&mut self.last, 2, o.value);
        }
        self.lists.contains(self.last.as_slice())
    }

    /// Remembers the list last asked about ([`Self::seen`]) as left alone.
    pub fn note_last(&mut self) {
        if self.lists.len() < MAX_LISTS {
            self.lists.insert(self.last.as_slice().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list<'a>(kvs: &[(&'a str, &'a str)]) -> Vec<Original<'a>> {
        kvs.iter()
            .map(|(k, v)| Original {
                key: k.as_bytes(),
                value: v.as_bytes(),
            })
            .collect()
    }

    #[test]
    fn only_lists_noted_are_seen_with_their_exact_bytes() {
        let mut memo = UnchangedLists::default();
        let a = list(&[("gen_ai.provider.name", "openai"), ("server.port", "443")]);
        assert!(!memo.seen(&a));
        memo.note_last();
        assert!(memo.seen(&a));
        // Another value, another order, a key and value split elsewhere,
        // one attribute fewer: all new lists.
        for other in [
            list(&[("gen_ai.provider.name", "openai"), ("server.port", "444")]),
            list(&[("server.port", "443"), ("gen_ai.provider.name", "openai")]),
            list(&[("gen_ai.provider.nameo", "penai"), ("server.port", "443")]),
            list(&[("gen_ai.provider.name", "openai")]),
        ] {
            assert!(!memo.seen(&other));
        }
        // Asking is not noting.
        assert!(!memo.seen(&list(&[("server.port", "444")])));
        assert!(memo.seen(&a));
    }
}
