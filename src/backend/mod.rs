//! The backend seam: a `SearchRequest` -> `SearchResults` (and facet and entity counts) from
//! either the local tantivy index (`local`) or a Quickwit cluster (`quickwit`), with the same
//! `Hit`s so that `render` writes the same output. Choosing and configuring a backend is the
//! command's job (`config::backend_settings`); this module holds no I/O of its own.

pub mod local;
pub mod quickwit;

use std::path::PathBuf;

use crate::entity_stats::EntityCounts;
use crate::error::IndexError;
use crate::facets::Facets;
use crate::model::EntityKind;
use crate::search::{SearchRequest, SearchResults};

use self::quickwit::client::QuickwitError;
use self::quickwit::translate::TranslateError;

/// Which engine answers searches and receives builds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Deserialize,
    serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The tantivy index on this machine.
    #[default]
    Local,
    /// A Quickwit 0.9 cluster, over its REST API.
    Quickwit,
}

impl BackendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Local => "local",
            BackendKind::Quickwit => "quickwit",
        }
    }
}

/// Errors of either backend; each displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Local(#[from] IndexError),
    #[error(transparent)]
    Translate(#[from] TranslateError),
    #[error(transparent)]
    Quickwit(#[from] QuickwitError),
}

/// What a backend holds, for reports such as `newsdex bench`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendInfo {
    /// The index directory, or `URL index ID` for Quickwit.
    pub name: String,
    /// Passages that can be searched now.
    pub passages: u64,
    /// tantivy segments, or Quickwit's published splits.
    pub segments: usize,
    /// The local index directory (`None` for Quickwit).
    pub local_path: Option<PathBuf>,
}

/// What newsdex needs from a search engine. `Sync`, so that `bench` can query from threads.
pub trait SearchBackend: Sync {
    /// Ranked, grouped hits with snippets, and counts or facets when asked for.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, BackendError>;

    /// Entity, category and month counts over every passage the request matches.
    fn facets(&self, request: &SearchRequest) -> Result<Facets, BackendError> {
        let mut request = request.clone();
        request.facets = true;
        request.limit = 1;
        request.offset = 0;
        Ok(self.search(&request)?.facets.unwrap_or_default())
    }

    /// Passages per entity over every passage `query` matches (every passage when `None`),
    /// entities of `kind` only when given, the `top` most mentioned (see `entity_stats`).
    fn entity_counts(
        &self,
        query: Option<&str>,
        kind: Option<EntityKind>,
        top: usize,
    ) -> Result<EntityCounts, BackendError>;

    /// Checks that `query` can be run here (it parses and, for Quickwit, translates), without
    /// running it.
    fn check_query(&self, query: &str) -> Result<(), BackendError>;

    /// What the backend holds now.
    fn describe(&self) -> Result<BackendInfo, BackendError>;
}
