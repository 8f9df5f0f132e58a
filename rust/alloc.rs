//! The library's allocator as the collector links it (feature `mimalloc`,
//! turned on by `make lib` and the benchmarks): the stages allocate many
//! small strings, which mimalloc serves faster than glibc's malloc
//! (docs/benchmarks.md has the profiles).
//!
//! The library lives inside a Go process whose memory is judged as a whole,
//! so mimalloc is held to giving back what it does not use:
//! - built with `no_thp`, it does not ask for transparent huge pages, which
//!   turned a 3 MiB pricing table into 18 MiB of resident memory;
//! - a processor is built with freed memory purged at once, and what is
//!   free afterwards is returned ([`one_time`]): parsing the built-in
//!   pricing table frees megabytes of garbage, which mimalloc's delayed
//!   purge (10 ms) and `mi_collect` left resident. Purging at once on
//!   every call instead cost 5-10 % of the Go benchmarks' time, so batches
//!   keep mimalloc's default delay.
//!
//! Measured in docs/benchmarks.md ("Memory").

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs one-time work such as building a processor with memory freed
/// during it returned to the OS at once, then returns what is left free.
/// Not for the hot path.
pub(crate) fn one_time<T>(work: impl FnOnce() -> T) -> T {
    #[cfg(feature = "mimalloc")]
    let _purging = prompt::Purge::start();
    work()
}

#[cfg(feature = "mimalloc")]
mod prompt {
    use std::sync::{Mutex, MutexGuard};

    use libmimalloc_sys::{mi_collect, mi_option_get, mi_option_set, mi_option_t};

    /// `mi_option_purge_delay` (milliseconds; default 10) in mimalloc's
    /// option enum, which `libmimalloc-sys` does not name: the entry just
    /// before `use_numa_nodes`, which it does (checked below), in v2 and v3
    /// alike.
    const PURGE_DELAY: mi_option_t = 15;
    const _: () = assert!(
        PURGE_DELAY + 1 == libmimalloc_sys::mi_option_use_numa_nodes,
        "mimalloc's option enum moved: look up mi_option_purge_delay again"
    );

    /// Held while the option is changed: two processors built at once
    /// would otherwise restore each other's 0.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// Purging at once until dropped (also when the work panics).
    pub(super) struct Purge {
        delay: std::ffi::c_long,
        _lock: MutexGuard<'static, ()>,
    }

    impl Purge {
        pub(super) fn start() -> Self {
            let lock = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            // SAFETY: mimalloc's options are plain integers it reads on
            // each purge decision; they take no pointers and may be read
            // and set from any thread at any time.
            let delay = unsafe { mi_option_get(PURGE_DELAY) };
            // SAFETY: as above.
            unsafe { mi_option_set(PURGE_DELAY, 0) };
            Purge { delay, _lock: lock }
        }
    }

    impl Drop for Purge {
        fn drop(&mut self) {
            // SAFETY: as in `start`; `mi_collect` takes no pointers and
            // only walks mimalloc's own structures.
            unsafe {
                mi_option_set(PURGE_DELAY, self.delay);
                mi_collect(true);
            }
        }
    }
}
