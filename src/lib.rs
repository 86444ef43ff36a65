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
    };
}

#[cfg(feature = "mimalloc")]
#[doc(hidden)]
pub use mimalloc;

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
