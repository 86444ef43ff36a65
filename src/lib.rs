//! newsdex: search an archive of news and analysis articles by passage.
//!
//! The pipeline, one module a stage:
//! `path -> ingest -> Article -> passage -> Passage -> extract -> index -> search -> Hit -> render`.
//! See ARCHITECTURE.md for the code map and the invariants.

pub mod browse;
pub mod build;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod extract;
pub mod facets;
pub mod index;
pub mod ingest;
pub mod model;
pub mod passage;
pub mod query;
pub mod render;
pub mod schema;
pub mod search;
pub mod serve;
pub mod snippet;
