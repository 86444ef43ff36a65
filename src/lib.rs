//! newsdex: search an archive of news and analysis articles by passage.
//!
//! The pipeline, one module a stage:
//! `path -> ingest -> Article -> passage -> Passage -> extract -> index -> search -> Hit -> render`.
//! See ARCHITECTURE.md for the code map and the invariants.

pub mod backend;
pub mod bench;
pub mod browse;
pub mod build;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod entity_stats;
pub mod error;
pub mod eval;
pub mod expand;
pub mod extract;
pub mod facets;
pub mod filtered;
pub mod incremental;
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
pub mod union;
