//! The library's allocator as the collector links it (feature `mimalloc`,
//! turned on by `make lib` and the benchmarks): the stages allocate many
//! small strings and glibc malloc was a fifth of the profile.
//!
//! The library lives inside a Go process whose memory is judged as a whole,
//! so mimalloc is told to give memory back as a C library should:
//! - built with `no_thp`, it does not ask for transparent huge pages, which
//!   turned a 3 MiB pricing table into 18 MiB of resident memory;
//! - with no purge delay, pages freed after a call (or after parsing the
//!   built-in table) go back to the OS at once instead of a second later.
//!
//! Neither changed the throughput measured (BENCHMARKS.md, docs/benchmarks.md).

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (`mimalloc.h`);
/// libmimalloc-sys names no constant for it. `purge_delay_option_is_the_one_meant`
/// checks the index against the option's documented default.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator options above, once per process; afterwards a call
/// costs one atomic load. Any thread.
pub(crate) fn configure() {
    #[cfg(feature = "mimalloc")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: `mi_option_set` only stores an integer in mimalloc's
            // option table; valid before or after mimalloc initializes.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
        });
    }
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_option_is_the_one_meant() {
        // SAFETY: reads an integer from mimalloc's option table.
        let before = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // v3 documents 1000 ms; a different index would read another option.
        assert_eq!(before, 1000, "index 15 is not mi_option_purge_delay");
        configure();
        // SAFETY: as above.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
            0
        );
    }
}
