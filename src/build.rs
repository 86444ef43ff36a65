//! The build pipeline: corpus folder -> walk -> read files in chunks (all cores: parse, split
//! passages, find entities, make documents) -> the single index writer -> one commit. `incremental` drives it
//! (only new and changed files are read); this module holds the pieces: options, the
//! observer, the report, reading one file, and writing one article. It never prints; one bad
//! file or record never stops the build.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{IndexError, IngestError};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, IndexHandle};
use crate::ingest::mapping::{CorpusConfig, FieldMap, FieldOverride};
use crate::ingest::{self, CorpusFile, SkipReason, Skipped, WalkOptions};
use crate::model::{Article, Passage};
use crate::passage::split_passages;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub walk: WalkOptions,
    pub memory_mb: usize,
    /// Replace the whole index instead of updating what changed.
    pub rebuild: bool,
    /// `--field ROLE=NAME` overrides for structured input.
    pub fields: Vec<FieldOverride>,
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

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct FileArticles {
    pub articles: Vec<(Article, Vec<Passage>)>,
    /// Records that could not be read (the others still go in).
    pub errors: Vec<IngestError>,
    /// Bit set of the explicitly mapped fields (`FieldMap::explicit`) some record had.
    pub seen_fields: u64,
    /// The file could not be read at all.
    pub failed: bool,
}

/// The field mapping of a build: defaults, `newsdex.toml` at the corpus root, `--field`.
pub fn field_map(options: &BuildOptions) -> anyhow::Result<FieldMap> {
    let config = CorpusConfig::load(&options.corpus)?;
    FieldMap::new(&options.fields, config.as_ref()).map_err(anyhow::Error::msg)
}

/// Reads, splits and annotates the articles of one file; JSON Lines and CSV are read in
/// chunks, a bad record is an error of its own.
pub fn process_file(
    file: &CorpusFile,
    map: &FieldMap,
    extractor: &EntityExtractor,
) -> FileArticles {
    process_file_with(file, map, |article, passages| {
        extractor.annotate(article, passages)
    })
}

/// `process_file`, with `annotate` filling in the passages' entities, article by article in
/// the file's order.
pub fn process_file_with(
    file: &CorpusFile,
    map: &FieldMap,
    mut annotate: impl FnMut(&Article, &mut [Passage]),
) -> FileArticles {
    let mut result = FileArticles::default();
    ingest::split_file(file.clone(), ingest::CHUNK_BYTES, &mut |chunk| {
        let output = ingest::read_chunk(chunk, map);
        result.seen_fields |= output.seen_fields;
        result.failed |= output.failed;
        for article in output.articles {
            match article {
                Ok(article) => {
                    let mut passages = split_passages(&article);
                    annotate(&article, &mut passages);
                    result.articles.push((article, passages));
                }
                Err(error) => result.errors.push(error),
            }
        }
        true
    });
    result
}

/// Writes the passages of one article.
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

/// Where a warning about an article points: its file, and for a record of a JSON, JSON Lines
/// or CSV file the record (`file#7`: the record's id, or its line), as in its article id.
pub fn record_place(path: &str, article_id: &str) -> String {
    match article_id.rsplit_once('#') {
        Some((_, record)) => format!("{path}#{record}"),
        None => path.to_string(),
    }
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
