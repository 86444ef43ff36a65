//! The build pipeline: corpus folder -> walk -> read (parallel) -> passages -> entities ->
//! index writer -> commit. Reports progress through `BuildObserver` and returns a
//! `BuildReport`; it never prints. One bad file never stops the build.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{IndexError, IngestError};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, IndexHandle};
use crate::ingest::{self, CorpusFile, SkipReason, Skipped, WalkOptions};
use crate::model::{Article, Passage};
use crate::passage::split_passages;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub walk: WalkOptions,
    pub memory_mb: usize,
    /// Replace the whole index instead of updating it (issue 5).
    pub rebuild: bool,
}

/// Hears about the build as it goes; the command line shows a progress bar with it.
pub trait BuildObserver: Sync {
    fn started(&self, _n_files: usize, _total_bytes: u64) {}
    fn file_done(&self, _file: &CorpusFile) {}
    /// A file or record that could not be indexed.
    fn error(&self, _error: &IngestError) {}
    /// An article that went in with a problem (for instance undated).
    fn warning(&self, _path: &str, _message: &str) {}
    /// The incremental plan, once the walk is compared with the manifest (issue 5).
    fn planned(&self, _plan: &crate::incremental::PlanSummary) {}
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
    pub hidden: usize,
    pub unknown_extension: usize,
    /// Paths the walk could not use (too large, unreadable), with reasons.
    pub skipped: Vec<Skipped>,
    /// Files and records that could not be read as articles.
    pub errors: Vec<IngestError>,
    pub warnings: usize,
    pub elapsed: Duration,
    /// Articles and files added, updated, removed and unchanged (issue 5).
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

/// Files handed to the parallel readers at once: bounds the memory held between read and write.
pub const FILES_PER_BATCH: usize = 512;

/// Reads, splits and annotates the articles of one file.
pub fn process_file(
    file: &CorpusFile,
    extractor: &EntityExtractor,
) -> Result<Vec<(Article, Vec<Passage>)>, IngestError> {
    let articles = ingest::read_file(file)?;
    Ok(articles
        .into_iter()
        .map(|article| {
            let mut passages = split_passages(&article);
            extractor.annotate(&article, &mut passages);
            (article, passages)
        })
        .collect())
}

/// Builds or updates the index at `options.index` from the corpus at `options.corpus`.
pub fn build_index(
    options: &BuildOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> anyhow::Result<BuildReport> {
    // Incremental hook (issue 5): every build goes through the manifest in the commit payload.
    crate::incremental::build_index(options, extractor, observer)
}

pub fn add_article(
    handle: &IndexHandle,
    writer: &tantivy::IndexWriter,
    article: &Article,
    passages: &[Passage],
) -> Result<(), IndexError> {
    for passage in passages {
        writer
            .add_document(index::passage_document(&handle.fields, article, passage))
            .map_err(|source| IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            })?;
    }
    Ok(())
}

/// The one-line reason for a path the walk passed over.
pub fn skip_message(reason: &SkipReason) -> String {
    match reason {
        SkipReason::Hidden => "hidden".to_string(),
        SkipReason::UnknownExtension => "unknown extension".to_string(),
        SkipReason::TooLarge { size, limit } => {
            format!("file of {size} bytes is over the limit of {limit} bytes (--max-file-size)")
        }
        SkipReason::Unreadable(reason) => format!("cannot read: {reason}"),
    }
}
