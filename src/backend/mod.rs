//! The backend seam: a `SearchRequest` -> `SearchResults` (and facet counts) from either the
//! local tantivy index (`local`) or a Quickwit cluster (`quickwit`), with the same `Hit`s so
//! that `render` writes the same output. Choosing and configuring a backend is the command's
//! job; this module holds no I/O of its own.

pub mod local;
pub mod quickwit;

use crate::error::IndexError;
use crate::facets::Facets;
use crate::search::{SearchRequest, SearchResults};

use self::quickwit::client::QuickwitError;
use self::quickwit::translate::TranslateError;

/// Which engine answers searches and receives builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackendKind {
    /// The tantivy index on this machine.
    #[default]
    Local,
    /// A Quickwit 0.9 cluster, over its REST API.
    Quickwit,
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

/// What newsdex needs from a search engine.
pub trait SearchBackend {
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
}
