//! How the stages' change to one attribute list becomes edit ops: a merge
//! of the decoded input with the result finds deletions, sets and
//! appended keys, then checks that Go's `Map` semantics reach exactly the
//! result (each touched key once among the inputs; no placeholder could
//! hold an appended key), in time linear in the list; renames pair a
//! deletion with an append of the same value.

use opentelemetry_proto::tonic::common::v1::KeyValue;

use super::attr_list::is_placeholder;
use super::edits::{encode_any_value, Original};
use crate::attrs::same_key;
use crate::hash::FxHasher;
use std::hash::Hasher;

pub(super) enum Op<'a, 'k> {
    Delete(Original<'k>),
    Set(&'a KeyValue),
    /// The attribute `.0` is removed and its value appended under the key
    /// of `.1` (the same key: a move).
    Rename(&'k [u8], &'a KeyValue),
}

fn key<'o>(op: &'o Op<'_, '_>) -> &'o [u8] {
    match op {
        Op::Delete(o) => o.key,
        Op::Set(kv) | Op::Rename(_, kv) => kv.key.as_bytes(),
    }
}

/// Most key comparisons the checks in [`ops`] would make pairwise for one
/// list; a list whose changes would need more (thousands of changes in a
/// list of thousands) is sent whole instead. Past [`PAIRWISE_CHECKS`] the
/// checks hash the keys, so their time is linear up to this bound too.
const MAX_COMPARISONS: usize = 1 << 20;

/// The ops from the `decoded` attributes to the stages' `result`: the
/// stages keep the attributes they do not remove in order and append new
/// ones, so one merge pass finds the deleted, changed and appended keys.
/// Where the result has no placeholders (`whole`: the whole list was
/// decoded, as for metric points), a key may also move: deleted, then appended again
/// (the naming stage renames keys in place, so the keys after the first
/// renamed one move to the end and back). `None` when the result is not
/// of these shapes, or a key the ops touch is repeated or could be held by
/// a placeholder (`reads` says no).
pub(super) fn ops<'a, 'k>(
    decoded: &[Original<'k>],
    result: &'a [KeyValue],
    whole: bool,
    reads: &mut dyn FnMut(&[u8]) -> bool,
    scratch: &mut Vec<u8>,
) -> Option<Vec<Op<'a, 'k>>> {
    let mut after = result.iter().filter(|kv| !is_placeholder(kv)).peekable();
    let mut ops = Vec::with_capacity(result.len());
    for o in decoded {
        match after.next_if(|kv| same_key(kv.key.as_bytes(), o.key)) {
            Some(kv) => {
                scratch.clear();
                encode_any_value(kv.value.as_ref(), scratch);
                if !same_key(scratch, o.value) {
                    ops.push(Op::Set(kv));
                }
            }
            None => ops.push(Op::Delete(*o)),
        }
    }
    let first_new = ops.len();
    ops.extend(after.map(Op::Set));
    // Without placeholders or repeated keys on either side every check
    // below holds (a key both in the input and appended was deleted by
    // the merge: kept, it would be in the result twice): skip them, as
    // for metric points, where they were most of the cost.
    if whole
        && distinct(decoded.iter().map(|o| o.key))
        && distinct(result.iter().map(|kv| kv.key.as_bytes()))
    {
        return Some(ops);
    }
    if ops.len().saturating_mul(decoded.len() + ops.len()) > MAX_COMPARISONS {
        return None;
    }
    let fits = match ops.len().saturating_mul(decoded.len() + ops.len()) {
        n if n <= PAIRWISE_CHECKS => fits_pairwise(decoded, &ops, first_new, whole, reads),
        _ => fits_hashed(decoded, &ops, first_new, whole, reads),
    };
    fits.then_some(ops)
}

/// Lists whose checks take at most this many key comparisons pairwise
/// are checked so ([`fits_pairwise`]); longer ones through hash maps
/// ([`fits_hashed`]), in time linear in the list.
const PAIRWISE_CHECKS: usize = 4096;

/// Whether `ops` (the first `first_new` from the merge, the rest
/// appended) can be applied as pdata applies them: each touched key once
/// among the inputs the stages saw (pdata finds the first of duplicates)
/// and once among the ops, but for a move; a new key not among the inputs
/// (unless moved) nor a placeholder's.
pub(super) fn fits_pairwise(
    decoded: &[Original<'_>],
    ops: &[Op<'_, '_>],
    first_new: usize,
    whole: bool,
    reads: &mut dyn FnMut(&[u8]) -> bool,
) -> bool {
    ops.iter().enumerate().all(|(n, op)| {
        let k = key(op);
        let in_input = decoded.iter().filter(|o| same_key(o.key, k)).count();
        if n < first_new {
            in_input == 1 && ops[..n].iter().all(|other| !same_key(key(other), k))
        } else {
            let deleted = ops[..first_new]
                .iter()
                .any(|other| matches!(other, Op::Delete(d) if same_key(d.key, k)));
            let fresh = match deleted {
                true => whole && in_input == 1,
                false => in_input == 0 && ops[..first_new].iter().all(|o| !same_key(key(o), k)),
            };
            fresh
                && ops[first_new..n]
                    .iter()
                    .all(|other| !same_key(key(other), k))
                && reads(k)
        }
    })
}

/// [`fits_pairwise`] with the inputs and ops counted by key in hash maps
/// (std's randomly keyed hasher: keys are the sender's to choose), one
/// pass over the ops: the merge's ops come first, so each appended op
/// sees all of them counted.
pub(super) fn fits_hashed(
    decoded: &[Original<'_>],
    ops: &[Op<'_, '_>],
    first_new: usize,
    whole: bool,
    reads: &mut dyn FnMut(&[u8]) -> bool,
) -> bool {
    /// The ops with one key met so far: from the merge, whether one of
    /// them is a delete, and appended.
    #[derive(Default)]
    struct Seen {
        merged: usize,
        deleted: bool,
        appended: usize,
    }
    let mut in_input: std::collections::HashMap<&[u8], usize> = Default::default();
    for o in decoded {
        *in_input.entry(o.key).or_default() += 1;
    }
    let mut seen: std::collections::HashMap<&[u8], Seen> = Default::default();
    ops.iter().enumerate().all(|(n, op)| {
        let k = key(op);
        let in_input = in_input.get(k).copied().unwrap_or(0);
        let s = seen.entry(k).or_default();
        if n < first_new {
            let fits = in_input == 1 && s.merged == 0;
            s.merged += 1;
            s.deleted |= matches!(op, Op::Delete(_));
            fits
        } else {
            let fresh = match s.deleted {
                true => whole && in_input == 1,
                false => in_input == 0 && s.merged == 0,
            };
            let fits = fresh && s.appended == 0;
            s.appended += 1;
            fits && reads(k)
        }
    })
}

/// Whether no two `keys` are equal; `false` also for lists too long to
/// check this way. Pairwise on hashes, then bytes: lists are short.
fn distinct<'x>(keys: impl ExactSizeIterator<Item = &'x [u8]>) -> bool {
    const MAX: usize = 64;
    if keys.len() > MAX {
        return false;
    }
    let mut seen = [(0u64, &[][..]); MAX];
    for (n, k) in keys.enumerate() {
        let mut h = FxHasher::default();
        h.write(k);
        let h = h.finish();
        if seen[..n].iter().any(|&(sh, sk)| sh == h && same_key(sk, k)) {
            return false;
        }
        seen[n] = (h, k);
    }
    true
}

/// Turns a deleted attribute and a later appended one with the same value
/// into a rename (pairs taken in order), which carries no value and, being the same from item to item,
/// lets a repeat (`GENAI_EDIT_REPEAT`) stand for a whole list's ops. The deletion moves to the
/// rename; so that nothing sees the attribute it leaves in place longer,
/// the appended key must be new to the list (or the deleted key itself,
/// a move) and the deleted key must not be set again.
pub(super) fn renames<'a, 'k>(
    decoded: &[Original<'k>],
    mut ops: Vec<Op<'a, 'k>>,
    scratch: &mut Vec<u8>,
) -> Vec<Op<'a, 'k>> {
    // Which ops became a rename's source, as bits: longer lists keep
    // their deletes and sets.
    if ops.len() > 64 || !ops.iter().any(|op| matches!(op, Op::Delete(_))) {
        return ops;
    }
    let mut taken = 0u64;
    // Deletes and appends pair up in order (the naming stage renames in
    // place), so the search for a source resumes after the last one.
    let mut next = 0;
    for n in 0..ops.len() {
        let Op::Set(kv) = ops[n] else { continue };
        let to = kv.key.as_bytes();
        scratch.clear();
        encode_any_value(kv.value.as_ref(), scratch);
        // Values first: they rarely match, and the key checks scan lists.
        let source = (next..n).find(|&d| {
            let Op::Delete(from) = ops[d] else {
                return false;
            };
            same_key(from.value, scratch)
                && (same_key(from.key, to)
                    || (!decoded.iter().any(|o| same_key(o.key, to))
                        && !ops[d + 1..].iter().any(|op| same_key(key(op), from.key))))
        });
        if let Some(d) = source {
            let Op::Delete(from) = ops[d] else {
                unreachable!("found as a delete")
            };
            taken |= 1 << d;
            next = d + 1;
            ops[n] = Op::Rename(from.key, kv);
        }
    }
    if taken != 0 {
        let mut i = 0;
        ops.retain(|_| {
            i += 1;
            taken & (1 << (i - 1)) == 0
        });
    }
    ops
}
