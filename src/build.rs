//! The build pipeline: corpus folder -> walk -> split files into chunks (one thread) -> read,
//! split passages, find entities and make documents (rayon, all cores) -> the single index
//! writer -> commit. Records stream through bounded channels, so memory stays bounded however
//! large a file is. Reports progress through `BuildObserver` and returns a `BuildReport`; it
//! never prints. One bad file or record never stops the build.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::bail;
use rayon::prelude::*;
use tantivy::TantivyDocument;

use crate::error::{IndexError, IngestError};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, IndexHandle};
use crate::ingest::mapping::{CorpusConfig, FieldMap, FieldOverride};
use crate::ingest::{self, Chunk, CorpusFile, Format, SkipReason, Skipped, WalkOptions};
use crate::model::{Article, Passage};
use crate::passage::split_passages;
use crate::schema::Fields;

#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub walk: WalkOptions,
    pub memory_mb: usize,
    /// `--field ROLE=NAME` overrides for structured input.
    pub fields: Vec<FieldOverride>,
}

/// Hears about the build as it goes; the command line shows a progress bar with it.
pub trait BuildObserver: Sync {
    fn started(&self, _n_files: usize, _total_bytes: u64) {}
    /// Bytes of input that have been read and written to the index.
    fn progress(&self, _bytes: u64) {}
    /// A file or record that could not be indexed.
    fn error(&self, _error: &IngestError) {}
    /// An article that went in with a problem (for instance undated).
    fn warning(&self, _path: &str, _message: &str) {}
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
    pub elapsed: Duration,
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

/// One article made ready for the writer by a worker.
#[derive(Debug)]
pub struct ProcessedArticle {
    pub id: String,
    pub documents: Vec<TantivyDocument>,
    pub warnings: Vec<String>,
    pub text_bytes: u64,
}

/// A chunk's articles made ready for the writer.
#[derive(Debug)]
pub struct ProcessedChunk {
    pub file: Arc<CorpusFile>,
    pub articles: Vec<Result<ProcessedArticle, IngestError>>,
    pub seen_fields: u64,
    pub bytes: u64,
    pub last_of_file: bool,
    pub failed: bool,
}

/// Splits and annotates one article and makes its documents: everything but the write.
pub fn process_article(
    article: &Article,
    extractor: &EntityExtractor,
    fields: &Fields,
) -> (Vec<Passage>, Vec<TantivyDocument>) {
    let mut passages = split_passages(article);
    extractor.annotate(article, &mut passages);
    let documents = passages
        .iter()
        .map(|passage| index::passage_document(fields, article, passage))
        .collect();
    (passages, documents)
}

/// Reads a chunk and prepares every article in it.
pub fn process_chunk(
    chunk: Chunk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    fields: &Fields,
) -> ProcessedChunk {
    let output = ingest::read_chunk(chunk, map);
    let articles = output
        .articles
        .into_iter()
        .map(|result| {
            result.map(|article| {
                let (passages, documents) = process_article(&article, extractor, fields);
                let text_bytes = article.title.len() as u64
                    + passages.iter().map(|p| p.text.len() as u64).sum::<u64>();
                ProcessedArticle {
                    id: article.id,
                    documents,
                    warnings: article.warnings,
                    text_bytes,
                }
            })
        })
        .collect();
    ProcessedChunk {
        file: output.file,
        articles,
        seen_fields: output.seen_fields,
        bytes: output.bytes,
        last_of_file: output.last_of_file,
        failed: output.failed,
    }
}

/// The field mapping of a build: defaults, `newsdex.toml` at the corpus root, `--field`.
pub fn field_map(options: &BuildOptions) -> anyhow::Result<FieldMap> {
    let config = CorpusConfig::load(&options.corpus)?;
    FieldMap::new(&options.fields, config.as_ref()).map_err(anyhow::Error::msg)
}

/// Builds (replaces) the index at `options.index` from the corpus at `options.corpus`.
pub fn build_index(
    options: &BuildOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let map = field_map(options)?;
    let walk = ingest::walk_corpus(&options.corpus, &options.walk)?;
    let has_records = walk
        .files
        .iter()
        .any(|file| matches!(file.format, Format::Json | Format::Jsonl | Format::Csv));
    if !map.explicit().is_empty() && !has_records {
        bail!(
            "{} maps a field, but the corpus has no JSON, JSON Lines or CSV file to map; nothing was written",
            map.explicit()[0]
        );
    }
    // A build replaces the whole index, so an index of another schema version is replaced too.
    let handle = index::open_or_create(&options.index, true)?;
    let writer = index::writer(&handle, options.memory_mb)?;
    // The whole index is replaced; tantivy applies this with the commit, so a failed build
    // leaves the previous index as it was.
    writer
        .delete_all_documents()
        .map_err(|source| IndexError::Tantivy {
            path: handle.path.clone(),
            source,
        })?;

    let mut report = BuildReport::default();
    for skipped in walk.skipped {
        match skipped.reason {
            SkipReason::Hidden => report.hidden += 1,
            SkipReason::UnknownExtension => report.unknown_extension += 1,
            _ => {
                observer.error(&IngestError::new(
                    &skipped.path,
                    skip_message(&skipped.reason),
                ));
                report.skipped.push(skipped);
            }
        }
    }
    let total_bytes = walk.files.iter().map(|file| file.size).sum();
    observer.started(walk.files.len(), total_bytes);

    let seen_fields = run_pipeline(
        walk.files,
        &map,
        extractor,
        &handle,
        &writer,
        observer,
        &mut report,
    )?;
    let missing = map.missing(seen_fields);
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        // Dropping the writer without a commit leaves the previous index as it was.
        bail!(
            "{} names a field that no record has; nothing was written",
            names.join(", ")
        );
    }
    index::commit(&handle, writer)?;
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Chunks kept in each channel per worker: enough to keep every core busy while the writer
/// catches up, few enough that memory stays a small multiple of `CHUNK_BYTES`.
const CHUNKS_IN_FLIGHT_PER_WORKER: usize = 2;

/// Streams the files through the splitter, the workers and the writer. Returns the explicitly
/// mapped fields that some record had.
fn run_pipeline(
    files: Vec<CorpusFile>,
    map: &FieldMap,
    extractor: &EntityExtractor,
    handle: &IndexHandle,
    writer: &tantivy::IndexWriter,
    observer: &dyn BuildObserver,
    report: &mut BuildReport,
) -> anyhow::Result<u64> {
    let fields = handle.fields;
    let capacity = rayon::current_num_threads().max(1) * CHUNKS_IN_FLIGHT_PER_WORKER;
    let cancelled = AtomicBool::new(false);
    let cancelled = &cancelled;
    std::thread::scope(|scope| {
        let (chunk_tx, chunk_rx) = mpsc::sync_channel::<Chunk>(capacity);
        let (done_tx, done_rx) = mpsc::sync_channel::<ProcessedChunk>(capacity);
        scope.spawn(move || {
            for file in files {
                let mut open = true;
                ingest::split_file(file, ingest::CHUNK_BYTES, &mut |chunk| {
                    open = !cancelled.load(Ordering::Relaxed) && chunk_tx.send(chunk).is_ok();
                    open
                });
                if !open {
                    break;
                }
            }
        });
        scope.spawn(move || {
            chunk_rx
                .into_iter()
                .par_bridge()
                .for_each_with(done_tx, |done_tx, chunk| {
                    if cancelled.load(Ordering::Relaxed) {
                        return;
                    }
                    // A closed channel means the writer stopped; the build is failing anyway.
                    let _ = done_tx.send(process_chunk(chunk, map, extractor, &fields));
                });
        });
        let mut seen_fields = 0;
        for processed in done_rx {
            if let Err(error) = write_chunk(
                handle,
                writer,
                processed,
                observer,
                report,
                &mut seen_fields,
            ) {
                cancelled.store(true, Ordering::Relaxed);
                return Err(error.into());
            }
        }
        Ok(seen_fields)
    })
}

fn write_chunk(
    handle: &IndexHandle,
    writer: &tantivy::IndexWriter,
    processed: ProcessedChunk,
    observer: &dyn BuildObserver,
    report: &mut BuildReport,
    seen_fields: &mut u64,
) -> Result<(), IndexError> {
    *seen_fields |= processed.seen_fields;
    for result in processed.articles {
        match result {
            Ok(article) => {
                report.passages += article.documents.len();
                for document in article.documents {
                    writer
                        .add_document(document)
                        .map_err(|source| IndexError::Tantivy {
                            path: handle.path.clone(),
                            source,
                        })?;
                }
                for warning in &article.warnings {
                    observer.warning(&article.id, warning);
                    report.warnings += 1;
                }
                report.articles += 1;
                report.text_bytes += article.text_bytes;
            }
            Err(error) => {
                observer.error(&error);
                report.errors.push(error);
            }
        }
    }
    if !processed.failed {
        report.bytes += processed.bytes;
        if processed.last_of_file {
            report.files_read += 1;
        }
    }
    observer.progress(processed.bytes);
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
