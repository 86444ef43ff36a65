//! newsdex: search an archive of news and analysis articles by passage.
//!
//! The pipeline, one module a stage:
//! `path -> ingest -> Article -> passage -> Passage -> extract -> index -> search -> Hit -> render`.
//! See ARCHITECTURE.md for the code map and the invariants.

/// Makes mimalloc the program's global allocator (with the `mimalloc` feature, on by default).
/// The library sets none, so a program that embeds it keeps its own; the binary, the benches
/// and the measuring examples call this. An index build makes and drops millions of small
/// strings on several threads, and glibc's `malloc` and `free` took about a quarter of the
/// reading threads' CPU time in a build of Reuters-21578 (`perf record`); with mimalloc the
/// whole build is about 15% faster. It is built without transparent huge pages (`no_thp`),
/// whose zeroing cost a one-shot search 2 ms.
#[macro_export]
macro_rules! use_mimalloc {
    () => {
        #[cfg(feature = "mimalloc")]
        #[global_allocator]
        static ALLOCATOR: $crate::mimalloc::MiMalloc = $crate::mimalloc::MiMalloc;

        // Before mimalloc's own constructor (priority 101 when built by clang, none by gcc):
        // see `tune_allocator`.
        #[cfg(all(feature = "mimalloc", target_os = "linux"))]
        #[used]
        #[unsafe(link_section = ".init_array.00100")]
        static TUNE_ALLOCATOR: extern "C" fn() = $crate::tune_allocator;
    };
}

#[cfg(feature = "mimalloc")]
#[doc(hidden)]
pub use mimalloc;

/// mimalloc's option `arena_reserve`: its index in mimalloc 3's `mi_option_e`, which
/// `libmimalloc-sys` does not name (a test checks that it is the option of 1 GiB by default).
#[cfg(feature = "mimalloc")]
const MI_OPTION_ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;

/// Makes mimalloc reserve its first arena 64 MiB at a time instead of 1 GiB, unless the
/// environment chooses a size (`MIMALLOC_ARENA_RESERVE`): setting up the bookkeeping of a 1 GiB
/// arena touches about 40 pages, 0.1 ms of a one-shot `newsdex search`, and a build reserves
/// more arenas as it grows, as fast (docs/performance.md). mimalloc reserves its first arena
/// before `main` runs, and reads the environment when the program is loaded, so `use_mimalloc!`
/// runs this from the program's constructors, before mimalloc's own: it only changes the
/// default, which the environment still overrides.
#[cfg(feature = "mimalloc")]
#[doc(hidden)]
pub extern "C" fn tune_allocator() {
    // SAFETY: it writes the default of an option in mimalloc's table of plain integers, from
    // the loader's thread, before any other code of the program runs.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_ARENA_RESERVE, 64 << 10) }
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    /// `MI_OPTION_ARENA_RESERVE` is the option whose default is mimalloc's 1 GiB first arena
    /// (this test program does not run `tune_allocator`), and it is read in KiB.
    #[test]
    fn the_arena_option_is_the_one_of_1_gib() {
        if std::env::var_os("MIMALLOC_ARENA_RESERVE").is_some() {
            return;
        }
        // SAFETY: reads an integer from mimalloc's table of options.
        let kib = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_ARENA_RESERVE) };
        assert_eq!(kib, 1 << 20);
    }
}

pub mod analysis;
pub mod backend;
pub mod bench;
pub mod browse;
pub mod build;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod entity_names;
pub mod entity_stats;
pub mod error;
pub mod eval;
pub mod extract;
pub mod facets;
pub mod fingerprint;
pub mod index;
pub mod ingest;
pub mod manifest;
pub mod model;
pub mod passage;
pub mod query;
pub mod render;
pub mod schema;
pub mod search;
pub mod serve;
pub mod snippet;
pub mod stats;
pub mod synth;
