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
//!
//! A list is known by its attribute fields as encoded in the point (tags
//! and lengths included), which the walk takes as one slice of the input
//! when they are contiguous, as every marshaler writes them: the same
//! bytes decode to the same list, and hashing one slice costs less than
//! framing the attributes one by one.

use hashbrown::HashSet;

/// Distinct lists remembered per batch: beyond this, lists are normalized
/// as if unseen (a batch has far fewer series than points).
const MAX_LISTS: usize = 4096;

#[derive(Default)]
pub struct UnchangedLists {
    /// Each list as its point's attribute fields.
    lists: HashSet<Box<[u8]>>,
}

impl UnchangedLists {
    /// Whether the list encoded as `fields` (a point's attribute fields,
    /// as they came) was left alone by normalization before in this batch.
    pub fn seen(&self, fields: &[u8]) -> bool {
        self.lists.contains(fields)
    }

    /// Remembers the list encoded as `fields` as left alone.
    pub fn note(&mut self, fields: &[u8]) {
        if self.lists.len() < MAX_LISTS {
            self.lists.insert(fields.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lists_noted_are_seen_and_at_most_max_lists() {
        let mut memo = UnchangedLists::default();
        let list = |i: usize| format!("list {i}").into_bytes();
        assert!(!memo.seen(&list(0)));
        memo.note(&list(0));
        assert!(memo.seen(&list(0)));
        // Asking is not noting; a prefix is another list.
        assert!(!memo.seen(&list(1)));
        assert!(!memo.seen(b"list "));
        for i in 1..MAX_LISTS + 10 {
            memo.note(&list(i));
        }
        assert!(memo.seen(&list(MAX_LISTS - 1)));
        assert!(!memo.seen(&list(MAX_LISTS)), "beyond the bound");
    }
}
