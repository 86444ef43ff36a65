//! What a build is asked (`BuildOptions`), whom it tells as it goes (`BuildObserver`) and what it
//! answers (`BuildReport`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::IngestError;
use crate::ingest::mapping::FieldOverride;
use crate::ingest::{Skipped, WalkOptions};

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus: PathBuf,
    /// More sources to index beside `corpus`, each tracked as its own folder of the index
    /// (article ids start with its name, as `reuters/…`); its `newsdex.toml` is `corpus`'s.
    pub more_sources: Vec<PathBuf>,
    pub index: PathBuf,
    pub walk: WalkOptions,
    pub memory_mb: usize,
    /// Replace the whole index instead of updating what changed.
    pub rebuild: bool,
    /// `--field ROLE=NAME` overrides for structured input.
    pub fields: Vec<FieldOverride>,
    /// `--extra NAME[:TYPE]`: record fields kept as fields of their own.
    pub extras: Vec<crate::model::ExtraField>,
}

/// Hears about the build as it goes; the command line shows a progress bar with it.
pub trait BuildObserver: Sync {
    fn started(&self, _n_files: usize, _total_bytes: u64) {}
    /// Bytes of input that have been read.
    fn progress(&self, _bytes: u64) {}
    /// A file or record that could not be indexed.
    fn error(&self, _error: &IngestError) {}
    /// An article that went in with a problem (for instance undated).
    fn warning(&self, _path: &str, _message: &str) {}
    /// What an incremental build is about to do.
    fn planned(&self, _plan: &PlanSummary) {}
}

/// What the build is about to do, for the observer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub files_new: usize,
    pub files_to_check: usize,
    pub files_unchanged: usize,
    pub files_removed: usize,
    pub full_rebuild: bool,
}

/// An observer that ignores everything.
pub struct Silent;
impl BuildObserver for Silent {}

#[derive(Debug, Default)]
pub struct BuildReport {
    pub files_read: usize,
    pub articles: usize,
    pub passages: usize,
    /// Bytes of the files that were read.
    pub bytes: u64,
    /// Bytes of article text (titles and passages) that went into the index.
    pub text_bytes: u64,
    pub hidden: usize,
    pub unknown_extension: usize,
    /// Paths the walk could not use (too large, unreadable), with reasons.
    pub skipped: Vec<Skipped>,
    /// Files and records that could not be read as articles, sorted by path and line.
    pub errors: Vec<IngestError>,
    pub warnings: usize,
    /// Articles labelled again because the corpus acronym table changed (an acronym defined in
    /// a file read after them, or a definition that is gone).
    pub articles_relabelled: usize,
    /// Articles a build that cannot replace what it wrote (the Quickwit build) wrote past the
    /// hold budget with the acronym table known then, which the final table resolves
    /// otherwise: labelled with an acronym as written, or with another long form.
    pub articles_provisional: usize,
    pub elapsed: Duration,
    /// Articles and files added, updated, removed and unchanged.
    pub changes: crate::manifest::ChangeCounts,
}

impl BuildReport {
    /// Everything that should have gone in did.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty() && !self.skipped.iter().any(Skipped::is_problem)
    }

    pub fn megabytes_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64().max(1e-9);
        self.bytes as f64 / 1e6 / seconds
    }
}

impl BuildOptions {
    /// Every source of the build, `corpus` first.
    pub fn sources(&self) -> Vec<&Path> {
        std::iter::once(self.corpus.as_path())
            .chain(self.more_sources.iter().map(PathBuf::as_path))
            .collect()
    }

    /// How the index's payload names the sources: as given, joined by `, `.
    pub fn corpus_display(&self) -> String {
        sources_display(&self.sources())
    }

    /// The sources as canonical paths (as given, when a source cannot be resolved).
    pub fn canonical_sources(&self) -> Vec<String> {
        self.sources().into_iter().map(canonical).collect()
    }
}

/// Sources as given, joined by `, `.
pub(super) fn sources_display(sources: &[&Path]) -> String {
    sources
        .iter()
        .map(|source| source.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A path made canonical, or as given when it cannot be resolved.
pub(super) fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}
