//! The wire-level paths: walks of a batch's protobuf bytes, for spans and
//! logs ([`span_log_walk`]) down to the attribute lists, for metrics
//! ([`metric_walk`]) to what the stages read, that hand the stages only
//! the attributes they may read (decoded directly, or by prost when
//! unusual) and answer with edits, which [`apply_edits`] applies to the
//! input's bytes when the whole batch is asked for. Where the metric walk
//! leaves a batch to the prost reference, [`metric_diff`] turns the
//! reference's result into edits.
//!
//! Modules by concern: [`proto`] (field numbers) and `codec` (the
//! protobuf reader) are the format; `kv` and `attr_list` decode the
//! attribute lists a stage reads; the two walks; [`edits`] writes the
//! edit buffer, `list_diff` finds one list's ops, `edit_reader` reads it
//! back for [`apply_edits`]; `unchanged_lists` remembers lists the metric
//! walk met before.
//!
//! The prost path in [`crate::signals`] stays the reference: on input whose
//! shape the walk does not fully understand (groups, malformed framing, a
//! field it interprets given twice or with the wrong wire type) the walk
//! gives up with [`Fallback`] and the batch takes the reference path, which
//! decides what the input means. On every input the reference path accepts,
//! both produce the same decoded output and counters (`tests/wire.rs`, and
//! the `fast_path_diff` fuzz target). Bytes the walk copies are not validated:
//! where the reference path would reject a batch for, say, a span name that
//! is not UTF-8, this path passes the batch on with its GenAI attributes
//! processed and the rest as received.

pub mod apply_edits;
mod attr_list;
mod codec;
mod edit_reader;
pub mod edits;
mod kv;
mod list_diff;
pub mod metric_diff;
pub mod metric_walk;
pub mod proto;
pub mod span_log_walk;
pub mod span_reader;
mod unchanged_lists;

/// The target of each entry of a finished edit list, in order (for tests);
/// `None` if `edits` is not one.
pub fn edit_targets(edits: &[u8]) -> Option<Vec<u8>> {
    Some(
        edit_reader::entries(edits)?
            .iter()
            .map(|e| e.target)
            .collect(),
    )
}

/// The walk met input it leaves to the reference path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;
