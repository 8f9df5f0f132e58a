//! The library's allocator as the collector links it (feature `mimalloc`,
//! turned on by `make lib` and the benchmarks): the stages allocate many
//! small strings and glibc malloc was a fifth of the profile.
//!
//! The library lives inside a Go process whose memory is judged as a whole,
//! so mimalloc is held to giving back what it does not use:
//! - built with `no_thp`, it does not ask for transparent huge pages, which
//!   turned a 3 MiB pricing table into 18 MiB of resident memory;
//! - once a processor is built, the memory freed while parsing the built-in
//!   pricing table is returned at once ([`release_free_memory`]). Purging
//!   after every call instead (`purge_delay` 0 or 10 ms) cost 5-10 % of
//!   the Go benchmarks' time, so batches keep mimalloc's default delay.
//!
//! Measured in docs/benchmarks.md ("Memory").

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns the memory freed so far to the OS; for the end of one-time
/// work such as building a processor, not for the hot path.
pub(crate) fn release_free_memory() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: `mi_collect` takes no pointers; it only walks mimalloc's own
    // structures, and may be called from any thread at any time.
    unsafe {
        libmimalloc_sys::mi_collect(true)
    };
}
