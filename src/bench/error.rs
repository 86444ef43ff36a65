//! Why a benchmark could not run, and whether a build holds the index.

use std::path::{Path, PathBuf};

use super::class::QueryClass;
use crate::backend::BackendError;
use crate::error::IndexError;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("`{path}`: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` holds no query that can be run ({skipped} skipped)", path = .path.display())]
    NoQueries { path: PathBuf, skipped: usize },
    #[error(
        "the index at `{path}` holds no passages yet{building}; build it with `newsdex index build CORPUS --index {path}`",
        path = .path.display(),
        building = if *.building { " (an index build is running: wait for it to commit)" } else { "" }
    )]
    EmptyIndex { path: PathBuf, building: bool },
    #[error(
        "{name} holds no searchable passages yet; build it with `newsdex index build CORPUS --backend quickwit` (Quickwit makes new passages searchable after its commit timeout)"
    )]
    EmptyQuickwit { name: String },
    #[error(
        "the seeded query mix is drawn from a local index: with --backend quickwit pass --queries FILE, or --index DIR to draw the mix from a local index of the same corpus"
    )]
    NoQuerySource,
    #[error("could not draw any query of class {class} from the index; pass --queries FILE")]
    NoGeneratedQueries { class: QueryClass },
    #[error("--threads must be at least 1")]
    NoThreads,
    #[error("--rounds must be at least 1")]
    NoRounds,
    #[error("query `{query}` failed: {source}")]
    Query {
        query: String,
        #[source]
        source: BackendError,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("a benchmark thread stopped unexpectedly")]
    ThreadPanicked,
}

/// True while an index writer holds the index (a build is running). It probes tantivy's writer
/// lock (an OS file lock) and lets go of it at once.
pub fn build_in_progress(index: &Path) -> bool {
    use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
    let Ok(directory) = MmapDirectory::open(index) else {
        return false;
    };
    matches!(
        directory.acquire_lock(&INDEX_WRITER_LOCK),
        Err(tantivy::directory::error::LockError::LockBusy)
    )
}
