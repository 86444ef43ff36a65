//! Build stage, incremental: corpus folder + the manifest in the last commit -> only the
//! changed files read, their articles deleted and re-added, removed files' articles deleted,
//! and one tantivy commit that carries the new manifest in its payload. It never prints
//! (progress goes through `BuildObserver`), and it writes nothing outside tantivy's commit, so
//! a build killed at any moment leaves the previous commit as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};

use tantivy::indexer::UserOperation;
use tantivy::{IndexWriter, TantivyDocument, Term};

use anyhow::bail;
use rustc_hash::FxHashSet;

use crate::build::{BuildObserver, BuildOptions, BuildReport, PlanSummary, field_map};
use crate::error::{IndexError, IngestError};
use crate::extract::acronyms::{
    ACRONYMS_PREFIX, ACRONYMS_SUFFIX, AcronymPair, AcronymTable, ArticleAcronyms,
    read_bracketed_acronyms,
};
use crate::extract::entities::EntityExtractor;
use crate::index::last_payload;
use crate::index::{self, IndexHandle};
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile, Format, SkipReason};
use crate::manifest::{self, ChangeCounts, FileEntry, Manifest, Observed, Payload};
use crate::model::{Article, Entity};
use crate::passage::split_passages;

fn tantivy_error(handle: &IndexHandle) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    }
}

/// An error while adding documents or committing: nothing of this build reached the index.
fn write_failed(error: IndexError) -> IndexError {
    match error {
        IndexError::Tantivy { path, source } => IndexError::WriteFailed {
            path,
            message: source.to_string(),
        },
        other => other,
    }
}

/// Fails early, with the directory's name, when the index directory cannot take new files (a
/// read-only directory or file system, a full disk), instead of deep inside tantivy's threads.
fn probe_writable(dir: &Path) -> Result<(), IndexError> {
    let probe = dir.join(".newsdex-write-probe");
    let not_writable = |error| IndexError::NotWritable {
        path: dir.to_path_buf(),
        error,
    };
    std::fs::write(&probe, b"probe").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

fn modified_ns(metadata: &std::fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| {
            i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
        })
}

/// The path relative to the corpus root, `/`-separated; `""` for the root itself.
fn relative_to(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// JSON Lines and CSV files larger than this go into the index chunk by chunk as they are read,
/// so that a file of any size is indexed with bounded memory. Smaller files are held until
/// they are read whole, so that one that changes while it is read keeps its old articles.
pub const STREAM_ABOVE_BYTES: u64 = 8 << 20;

/// Passages handed to the writer in one operation batch: a batch wakes an indexing thread
/// once instead of once per passage, and tantivy's queue of batches stays bounded in passages.
const PASSAGES_PER_BATCH: usize = 8;

/// One article read, split, annotated and turned into documents by a worker.
struct ReadArticle {
    id: String,
    hash: u64,
    path: String,
    documents: Vec<TantivyDocument>,
    text_bytes: u64,
    warnings: Vec<String>,
    /// Acronyms it defines and uses, for the corpus table.
    acronyms: ArticleAcronyms,
    /// When it uses acronyms the final table may resolve otherwise, what its documents lack
    /// and what holding it costs (`held_cost`): held back (`HeldArticle`), the final table
    /// completes them; written at once, the table of this build's reading does.
    as_written: Option<(AsWritten, usize)>,
}

/// What the documents of an article that uses acronyms it does not define lack until a table
/// resolves them (`complete_documents`): its passages' entities with those acronyms as
/// written, and its URL, the value that follows them in field order.
struct AsWritten {
    entities: Vec<Vec<Entity>>,
    url: Option<String>,
}

impl AsWritten {
    /// What holding it costs, about: its names and URL, and a few words per entity.
    fn cost(&self) -> usize {
        let names: usize = self
            .entities
            .iter()
            .flatten()
            .map(|entity| 32 + entity.name.len())
            .sum();
        names + self.url.as_ref().map_or(0, String::len)
    }
}

/// An article read in this build and not yet written: it uses acronyms, and the table that
/// resolves them may not be the final one.
struct HeldArticle {
    /// Without their entities.
    documents: Vec<TantivyDocument>,
    as_written: AsWritten,
    /// Its `ArticleAcronyms::used`.
    used: Vec<String>,
    /// Its share of the hold budget (`PipelineSizes::hold_bytes`).
    cost: usize,
}

/// Documents held back from the writer at most, in bytes (as `held_cost` estimates them), so
/// that memory stays bounded whatever the size of the corpus. Articles that fit are completed
/// from memory with the final table (Reuters-21578 holds 1,750 of its 21,578 stories); past
/// it, articles are written at once, and read again from their files (`Relabel`) if the final
/// table labels them otherwise.
pub(crate) const HOLD_BYTES: usize = 64 << 20;

/// What holding an article costs, about: its documents' values (each passage's text twice, as
/// stored and as analysed; the title, stored and `TITLE_WEIGHT` times analysed; the id and
/// the path; not the short section headings and categories), its entities, and a few words of
/// bookkeeping per value. Estimated from the article, not read back from the documents, whose
/// values would each have to be decoded.
fn held_cost(
    article: &Article,
    documents: &[TantivyDocument],
    text_bytes: u64,
    as_written: &AsWritten,
) -> usize {
    let title = article.title.len();
    let per_document = article.id.len()
        + article.path.as_os_str().len()
        + title * (1 + index::TITLE_WEIGHT)
        + 16 * documents.first().map_or(0, TantivyDocument::len);
    // `text_bytes` holds the title once, then each passage's text.
    let texts = usize::try_from(text_bytes.saturating_sub(title as u64))
        .map_or(usize::MAX, |bytes| bytes.saturating_mul(2));
    documents.len() * per_document + texts + as_written.cost()
}

/// What a worker made of one chunk of a file (or of a whole file).
struct ChunkResult {
    file: usize,
    bytes: u64,
    articles: Vec<ReadArticle>,
    errors: Vec<IngestError>,
    seen_fields: u64,
    /// The file (or the rest of it) could not be read.
    failed: bool,
    /// The content hash, for files read whole (streamed files are hashed before they are cut).
    hash: Option<u64>,
    /// The bytes hash as in the manifest: nothing was parsed.
    same_content: bool,
}

/// What flows from the reader and the workers to the writing thread.
enum Output {
    Chunk(ChunkResult),
    /// Every chunk of the file has been handed out.
    Done {
        file: usize,
        n_chunks: usize,
        hash: Option<u64>,
        same_content: bool,
        failed: Option<IngestError>,
    },
}

/// A unit of work for the workers.
enum Job {
    Whole(usize),
    Chunk(usize, ingest::Chunk),
}

/// The settings of the read-and-write pipeline (tests shrink the sizes).
#[derive(Debug, Clone, Copy)]
struct PipelineSizes {
    chunk_bytes: usize,
    stream_above: u64,
    workers: usize,
    hold_bytes: usize,
}

impl Default for PipelineSizes {
    fn default() -> PipelineSizes {
        PipelineSizes {
            chunk_bytes: ingest::CHUNK_BYTES,
            stream_above: STREAM_ABOVE_BYTES,
            hold_bytes: HOLD_BYTES,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(1, 16),
        }
    }
}

/// Everything the pipeline reads.
struct Pipeline<'a> {
    handle: &'a IndexHandle,
    writer: &'a IndexWriter,
    files: &'a [CorpusFile],
    observed: &'a [Observed],
    old_manifest: &'a Manifest,
    map: &'a FieldMap,
    extractor: &'a EntityExtractor,
    /// Acronyms whose meaning may change by the end of the build (`acronyms_to_hold`): an
    /// article that uses one is held.
    hold_keys: &'a FxHashSet<String>,
    observer: &'a dyn BuildObserver,
    sizes: PipelineSizes,
}

/// Everything the pipeline produces.
#[derive(Default)]
struct Accumulated {
    counts: ChangeCounts,
    report: BuildReport,
    manifest: Manifest,
    seen_fields: u64,
    read_records: bool,
    /// Article id -> the acronym-like names it uses (`ArticleAcronyms::used`), for the
    /// articles read in this build that use any and are not held: those to read again if the
    /// table changes.
    acronyms_used: Vec<(String, Vec<String>)>,
    /// Articles added or updated in this build that use acronyms, by id, not yet written (the
    /// delete of an updated one's old version is sent at once): written once the final table
    /// is known.
    held: BTreeMap<String, HeldArticle>,
    /// The sum of the held articles' `cost`, at most `PipelineSizes::hold_bytes`.
    held_bytes: usize,
}

/// xxh3 of a file's bytes, read as a stream.
fn stream_hash(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.digest());
        }
        hasher.update(&buffer[..n]);
    }
}

fn is_streamed(format: Format) -> bool {
    matches!(format, Format::Jsonl | Format::Csv)
}

/// The size or modification time of the file differs from what the walk saw.
fn changed_since_walk(file: &CorpusFile, observed: &Observed) -> bool {
    match std::fs::metadata(&file.path) {
        Ok(metadata) => {
            metadata.len() != observed.size || modified_ns(&metadata) != observed.mtime_ns
        }
        Err(_) => true,
    }
}

impl Pipeline<'_> {
    fn old_entry(&self, index: usize) -> Option<&FileEntry> {
        self.old_manifest.files.get(&self.files[index].relative)
    }

    /// The reader: hashes streamed files, cuts them into chunks, hands out the work in order.
    fn produce(
        &self,
        to_read: &[usize],
        jobs: &std::sync::mpsc::SyncSender<Job>,
        outputs: &std::sync::mpsc::SyncSender<Output>,
    ) {
        for &index in to_read {
            let file = &self.files[index];
            if !is_streamed(file.format) {
                if jobs.send(Job::Whole(index)).is_err() {
                    return;
                }
                let done = Output::Done {
                    file: index,
                    n_chunks: 1,
                    hash: None,
                    same_content: false,
                    failed: None,
                };
                if outputs.send(done).is_err() {
                    return;
                }
                continue;
            }
            let hash = match stream_hash(&file.path) {
                Ok(hash) => hash,
                Err(error) => {
                    let error = IngestError::new(&file.path, format!("cannot read: {error}"));
                    let done = Output::Done {
                        file: index,
                        n_chunks: 0,
                        hash: None,
                        same_content: false,
                        failed: Some(error),
                    };
                    if outputs.send(done).is_err() {
                        return;
                    }
                    continue;
                }
            };
            if self.old_entry(index).is_some_and(|old| old.hash == hash) {
                let done = Output::Done {
                    file: index,
                    n_chunks: 0,
                    hash: Some(hash),
                    same_content: true,
                    failed: None,
                };
                if outputs.send(done).is_err() {
                    return;
                }
                continue;
            }
            let mut n_chunks = 0;
            let mut open = true;
            ingest::split_file(file.clone(), self.sizes.chunk_bytes, &mut |chunk| {
                open = jobs.send(Job::Chunk(index, chunk)).is_ok();
                n_chunks += 1;
                open
            });
            let done = Output::Done {
                file: index,
                n_chunks,
                hash: Some(hash),
                same_content: false,
                failed: None,
            };
            if !open || outputs.send(done).is_err() {
                return;
            }
        }
    }

    /// A worker: parse, split passages, find entities, make the documents.
    fn work(&self, job: Job) -> ChunkResult {
        let (index, output, hash) = match job {
            Job::Chunk(index, chunk) => (index, ingest::read_chunk(chunk, self.map), None),
            Job::Whole(index) => {
                let file = &self.files[index];
                let bytes = match std::fs::read(&file.path) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        return ChunkResult {
                            file: index,
                            bytes: file.size,
                            articles: Vec::new(),
                            errors: vec![IngestError::new(
                                &file.path,
                                format!("cannot read: {error}"),
                            )],
                            seen_fields: 0,
                            failed: true,
                            hash: None,
                            same_content: false,
                        };
                    }
                };
                let hash = manifest::file_hash(&bytes);
                if self.old_entry(index).is_some_and(|old| old.hash == hash) {
                    return ChunkResult {
                        file: index,
                        bytes: file.size,
                        articles: Vec::new(),
                        errors: Vec::new(),
                        seen_fields: 0,
                        failed: false,
                        hash: Some(hash),
                        same_content: true,
                    };
                }
                (
                    index,
                    ingest::read_whole_bytes(file, bytes, self.map),
                    Some(hash),
                )
            }
        };
        let mut result = ChunkResult {
            file: index,
            bytes: output.bytes,
            articles: Vec::with_capacity(output.articles.len()),
            errors: Vec::new(),
            seen_fields: output.seen_fields,
            failed: output.failed,
            hash,
            same_content: false,
        };
        let fields = &self.handle.fields;
        for article in output.articles {
            match article {
                Ok(mut article) => {
                    let ArticleDocuments {
                        mut documents,
                        as_written,
                        acronyms,
                        text_bytes,
                    } = article_documents(fields, self.extractor, &article);
                    let may_change = acronyms.used.iter().any(|key| self.hold_keys.contains(key));
                    let as_written = match as_written {
                        Some(as_written) if may_change => {
                            // A document reserves a kilobyte, twice what a passage usually
                            // needs.
                            for document in &mut documents {
                                document.shrink_to_fit();
                            }
                            let cost = held_cost(&article, &documents, text_bytes, &as_written);
                            Some((as_written, cost))
                        }
                        Some(as_written) => {
                            // The final table resolves its acronyms as the table of this
                            // build's reading does.
                            let used = &acronyms.used;
                            complete_documents(
                                fields,
                                self.extractor,
                                used,
                                &mut documents,
                                as_written,
                            );
                            None
                        }
                        None => None,
                    };
                    result.articles.push(ReadArticle {
                        hash: manifest::article_hash(&article),
                        path: article.path.to_string_lossy().into_owned(),
                        warnings: std::mem::take(&mut article.warnings),
                        id: article.id,
                        documents,
                        text_bytes,
                        acronyms,
                        as_written,
                    });
                }
                Err(error) => result.errors.push(error),
            }
        }
        result
    }
}

/// Bytes of a file the acronym scan reads at a time.
const SCAN_BLOCK_BYTES: usize = 1 << 20;

/// The acronyms to which the final table of a build may give another meaning than the table
/// its articles are read with: those in brackets in the files to read (`bracketed_acronyms`, a
/// superset of those they define, from a scan of their bytes on all cores, at memory speed)
/// and those of the last commit's table (a definition may be gone). An article that uses none
/// of them is labelled as the final table would label it and is written at once; one that uses
/// some is held back to the end (`HeldArticle`), when the table is known. A definition the
/// scan misses (markup inside the brackets, say) costs only time: the articles that use it
/// are read again (`Relabel`). An extractor that finds nothing defines nothing: no scan.
pub(crate) fn acronyms_to_hold(
    extractor: &EntityExtractor,
    files: &[CorpusFile],
    to_read: &[usize],
    old: &AcronymTable,
) -> FxHashSet<String> {
    use rayon::prelude::*;
    let mut keys = if extractor.finds_nothing() {
        FxHashSet::default()
    } else {
        to_read
            .par_iter()
            .map(|&index| bracketed_acronyms_of_file(&files[index].path))
            .reduce(FxHashSet::default, |mut keys, more| {
                keys.extend(more);
                keys
            })
    };
    keys.extend(old.keys().map(str::to_string));
    keys
}

/// `bracketed_acronyms` of a file; a file that cannot be read gives none (the pipeline reports
/// it).
fn bracketed_acronyms_of_file(path: &Path) -> FxHashSet<String> {
    std::fs::File::open(path)
        .and_then(|file| read_bracketed_acronyms(file, SCAN_BLOCK_BYTES))
        .unwrap_or_default()
}

/// What the writing thread knows of a file while its chunks come in.
#[derive(Default)]
struct FileState {
    received: usize,
    n_chunks: Option<usize>,
    hash: Option<u64>,
    same_content: bool,
    cannot_read: Option<IngestError>,
    /// Chunks held until the file is complete (files that are not streamed).
    pending: Vec<ChunkResult>,
    /// Article id -> hash of what this build read, in the manifest's form.
    articles: BTreeMap<String, u64>,
    /// Ids left in the index as they were.
    unchanged: std::collections::HashSet<String>,
    errors: Vec<IngestError>,
    seen_fields: u64,
    failed: bool,
    n_read: usize,
    /// Acronyms the file's articles define.
    acronyms: Vec<AcronymPair>,
}

impl Pipeline<'_> {
    /// Reads the planned files on all cores and writes their articles as they come: a reader
    /// thread cuts files into chunks, workers parse and annotate them, and this thread feeds
    /// the single index writer, whose own threads index while the next chunks are read.
    fn run(&self, to_read: &[usize], acc: &mut Accumulated) -> Result<(), IndexError> {
        use std::sync::mpsc::sync_channel;
        let workers = self.sizes.workers;
        let (job_sender, job_receiver) = sync_channel::<Job>(workers * 2);
        let (output_sender, output_receiver) = sync_channel::<Output>(workers * 2);
        let job_receiver = std::sync::Arc::new(std::sync::Mutex::new(job_receiver));
        std::thread::scope(|scope| {
            let reader_outputs = output_sender.clone();
            scope.spawn(move || self.produce(to_read, &job_sender, &reader_outputs));
            for _ in 0..workers {
                let outputs = output_sender.clone();
                let job_receiver = job_receiver.clone();
                scope.spawn(move || {
                    loop {
                        let job = match job_receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        if outputs.send(Output::Chunk(self.work(job))).is_err() {
                            return;
                        }
                    }
                });
            }
            // Only the workers hold the jobs' receiver, and only they and the reader hold the
            // outputs' sender: when this thread stops reading, they all stop.
            drop(job_receiver);
            drop(output_sender);
            let mut states: std::collections::HashMap<usize, FileState> =
                std::collections::HashMap::new();
            // On an error the receiver is dropped, which stops the reader and the workers.
            for output in output_receiver {
                let index = match output {
                    Output::Chunk(chunk) => {
                        let index = chunk.file;
                        self.observer.progress(chunk.bytes);
                        let state = states.entry(index).or_default();
                        state.received += 1;
                        if chunk.same_content {
                            state.same_content = true;
                        }
                        if chunk.hash.is_some() {
                            state.hash = chunk.hash;
                        }
                        if self.files[index].size > self.sizes.stream_above
                            && is_streamed(self.files[index].format)
                        {
                            self.apply_chunk(index, state, chunk, acc)?;
                        } else {
                            state.pending.push(chunk);
                        }
                        index
                    }
                    Output::Done {
                        file,
                        n_chunks,
                        hash,
                        same_content,
                        failed,
                    } => {
                        let state = states.entry(file).or_default();
                        state.n_chunks = Some(n_chunks);
                        state.same_content |= same_content;
                        if hash.is_some() {
                            state.hash = hash;
                        }
                        state.cannot_read = failed;
                        file
                    }
                };
                let complete = states
                    .get(&index)
                    .is_some_and(|state| state.n_chunks == Some(state.received));
                if complete && let Some(state) = states.remove(&index) {
                    self.finish_file(index, state, acc)?;
                }
            }
            Ok(())
        })
    }

    /// Sends the articles of one chunk to the writer: new ones are added, changed ones replaced
    /// by id, unchanged ones left alone.
    fn apply_chunk(
        &self,
        index: usize,
        state: &mut FileState,
        chunk: ChunkResult,
        acc: &mut Accumulated,
    ) -> Result<(), IndexError> {
        state.seen_fields |= chunk.seen_fields;
        state.failed |= chunk.failed;
        state.errors.extend(chunk.errors);
        state.n_read += chunk.articles.len();
        let empty = BTreeMap::new();
        let old = self
            .old_entry(index)
            .map_or(&empty, |entry| &entry.articles);
        let article_id = self.handle.fields.article_id;
        for mut article in chunk.articles {
            state
                .acronyms
                .extend(std::mem::take(&mut article.acronyms.defined));
            let used = std::mem::take(&mut article.acronyms.used);
            let first = !state.articles.contains_key(&article.id);
            if !first && let Some(mut held) = acc.held.remove(&article.id) {
                // The same id again in one file: its first occurrence is written as it would
                // have been, and both are read again if need be, as any article not held.
                acc.held_bytes -= held.cost;
                complete_documents(
                    &self.handle.fields,
                    self.extractor,
                    &held.used,
                    &mut held.documents,
                    held.as_written,
                );
                acc.acronyms_used.push((article.id.clone(), held.used));
                self.send_documents(held.documents)?;
            }
            let mut operations = Vec::with_capacity(PASSAGES_PER_BATCH + 1);
            let add = if !first {
                // The same id again in one file: it follows its first occurrence.
                !state.unchanged.contains(&article.id)
            } else {
                match old.get(&article.id) {
                    None => {
                        acc.counts.articles_added += 1;
                        true
                    }
                    Some(&hash) if hash == article.hash => {
                        acc.counts.articles_unchanged += 1;
                        state.unchanged.insert(article.id.clone());
                        false
                    }
                    Some(_) => {
                        acc.counts.articles_updated += 1;
                        operations.push(UserOperation::Delete(Term::from_field_text(
                            article_id,
                            &article.id,
                        )));
                        true
                    }
                }
            };
            if add {
                acc.report.passages += article.documents.len();
                acc.report.text_bytes += article.text_bytes;
                let place = crate::build::record_place(&article.path, &article.id);
                for warning in &article.warnings {
                    self.observer.warning(&place, warning);
                    acc.report.warnings += 1;
                }
            }
            let fits = |cost: usize| add && first && acc.held_bytes + cost <= self.sizes.hold_bytes;
            match article.as_written {
                Some((as_written, cost)) if fits(cost) => {
                    acc.held_bytes += cost;
                    let held = HeldArticle {
                        documents: article.documents,
                        as_written,
                        used,
                        cost,
                    };
                    acc.held.insert(article.id.clone(), held);
                }
                as_written => {
                    if let Some((as_written, _)) = as_written {
                        complete_documents(
                            &self.handle.fields,
                            self.extractor,
                            &used,
                            &mut article.documents,
                            as_written,
                        );
                    }
                    if !used.is_empty() {
                        acc.acronyms_used.push((article.id.clone(), used));
                    }
                    if add {
                        for document in article.documents {
                            operations.push(UserOperation::Add(document));
                            if operations.len() >= PASSAGES_PER_BATCH {
                                self.send(std::mem::take(&mut operations))?;
                            }
                        }
                    }
                }
            }
            if !operations.is_empty() {
                self.send(operations)?;
            }
            state.articles.insert(article.id, article.hash);
        }
        Ok(())
    }

    fn send(&self, operations: Vec<UserOperation>) -> Result<(), IndexError> {
        self.writer
            .run(operations)
            .map(drop)
            .map_err(tantivy_error(self.handle))
    }

    fn send_documents(&self, documents: Vec<TantivyDocument>) -> Result<(), IndexError> {
        send_documents(self.writer, documents).map_err(tantivy_error(self.handle))
    }

    /// Settles a file once all its chunks are in: its manifest entry, the articles it no longer
    /// has, its errors and counts.
    fn finish_file(
        &self,
        index: usize,
        mut state: FileState,
        acc: &mut Accumulated,
    ) -> Result<(), IndexError> {
        let file = &self.files[index];
        let observed = &self.observed[index];
        let old = self.old_entry(index);
        let keep_old = |acc: &mut Accumulated, error: IngestError| {
            // Nothing already indexed is lost: the old entry (if any) stays, and its size and
            // time differ from the file's, so the next build reads it again.
            if let Some(old) = old {
                acc.counts.articles_unchanged += old.articles.len();
                acc.manifest
                    .files
                    .insert(file.relative.clone(), old.clone());
            }
            self.observer.error(&error);
            acc.report.errors.push(error);
        };
        if let Some(error) = state.cannot_read.take() {
            keep_old(acc, error);
            return Ok(());
        }
        if state.same_content
            && let (Some(old), Some(hash)) = (old, state.hash)
        {
            acc.counts.files_unchanged += 1;
            acc.counts.articles_unchanged += old.articles.len();
            let entry = FileEntry {
                size: observed.size,
                mtime_ns: observed.mtime_ns,
                hash,
                articles: old.articles.clone(),
                acronyms: old.acronyms.clone(),
            };
            acc.manifest.files.insert(file.relative.clone(), entry);
            return Ok(());
        }
        let pending = std::mem::take(&mut state.pending);
        let n_pending: usize = pending.iter().map(|chunk| chunk.articles.len()).sum();
        let any_failed = state.failed || pending.iter().any(|chunk| chunk.failed);
        if any_failed && n_pending + state.n_read == 0 {
            let error = pending
                .into_iter()
                .flat_map(|chunk| chunk.errors)
                .chain(std::mem::take(&mut state.errors))
                .last()
                .unwrap_or_else(|| IngestError::new(&file.path, "cannot read the file"));
            keep_old(acc, error);
            return Ok(());
        }
        // A file written to while it was read may have gone in half old, half new.
        let changed = changed_since_walk(file, observed);
        let changed_error = || {
            IngestError::new(
                &file.path,
                "the file changed while it was read; run the build again",
            )
        };
        if changed && state.n_read == 0 {
            // Held whole and not yet written: keep what the index had.
            keep_old(acc, changed_error());
            return Ok(());
        }
        for chunk in pending {
            self.apply_chunk(index, &mut state, chunk, acc)?;
        }
        let removed: Vec<&String> = old
            .map(|old| {
                old.articles
                    .keys()
                    .filter(|id| !state.articles.contains_key(*id))
                    .collect()
            })
            .unwrap_or_default();
        acc.counts.articles_removed += removed.len();
        let article_id = self.handle.fields.article_id;
        let deletes: Vec<UserOperation> = removed
            .into_iter()
            .map(|id| UserOperation::Delete(Term::from_field_text(article_id, id)))
            .collect();
        if !deletes.is_empty() {
            self.send(deletes)?;
        }
        if old.is_some_and(|old| !old.articles.is_empty()) {
            acc.counts.files_updated += 1;
        } else {
            acc.counts.files_added += 1;
        }
        acc.seen_fields |= state.seen_fields;
        acc.read_records |= matches!(file.format, Format::Json | Format::Jsonl | Format::Csv);
        acc.report.files_read += 1;
        acc.report.bytes += file.size;
        for error in state.errors {
            self.observer.error(&error);
            acc.report.errors.push(error);
        }
        // One pair per defining article: the table counts them.
        let mut acronyms = state.acronyms;
        acronyms.sort_unstable();
        let mut entry = FileEntry {
            size: observed.size,
            mtime_ns: observed.mtime_ns,
            hash: state.hash.unwrap_or(0),
            articles: state.articles,
            acronyms,
        };
        if changed {
            // Streamed: the index holds what was read, and the entry says so; a time no file
            // has makes the next build read the file again.
            entry.mtime_ns = i64::MIN;
            entry.hash = 0;
            let error = changed_error();
            self.observer.error(&error);
            acc.report.errors.push(error);
        }
        acc.manifest.files.insert(file.relative.clone(), entry);
        Ok(())
    }
}

/// Builds or updates the index at `options.index` from the corpus at `options.corpus`:
/// incremental unless `options.rebuild` is set or the index has no manifest.
pub fn build_index(
    options: &BuildOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> anyhow::Result<BuildReport> {
    let created = !options.index.exists();
    let result = build_into_index(options, extractor, observer);
    if result.is_err() && created && crate::manifest::never_committed(&options.index) {
        // A first build that failed leaves no index folder behind.
        let _ = std::fs::remove_dir_all(&options.index);
    }
    result
}

/// `build_index`, leaving whatever it created when it fails.
fn build_into_index(
    options: &BuildOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let map = field_map(options)?;
    let handle = index::open_or_create(&options.index, options.rebuild)?;
    // The writer lock first, so that a second build fails at once, before any work.
    let writer = index::build_writer(&handle, options.memory_mb)?;
    probe_writable(&handle.path)?;
    // A build killed before its commit leaves files that no commit names; the next build would
    // write some of them again under the same names (opstamps are replayed), so they go first.
    writer
        .garbage_collect_files()
        .wait()
        .map_err(tantivy_error(&handle))?;
    let mapping = map.fingerprint();
    let previous = if options.rebuild {
        None
    } else {
        // A new field mapping reads the same files differently: read everything again.
        last_payload(&handle)?.filter(|payload| payload.mapping == mapping)
    };
    if !options.rebuild {
        // Opening every segment checks its files, so that a damaged index is reported by file
        // before the build, rather than kept as it is when nothing in the corpus changed.
        handle
            .index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map(drop)
            .map_err(tantivy_error(&handle))?;
    }
    // Without its manifest (lost, damaged, or never written) nothing is known to be indexed.
    let old_manifest = previous.and_then(|payload| load_manifest(&handle, &payload));
    let full_rebuild = old_manifest.is_none();
    let old_manifest = old_manifest.unwrap_or_default();
    // The acronym table of the last commit: its articles were labelled with it, and this
    // build's articles are labelled with it first (most builds leave it as it is).
    let old_acronyms = Arc::new(corpus_acronyms(extractor, &old_manifest));
    let reading_extractor = extractor.clone().with_acronyms(old_acronyms.clone());
    if full_rebuild {
        // Applied with the commit: a build that fails leaves the previous index as it was.
        writer
            .delete_all_documents()
            .map_err(tantivy_error(&handle))?;
        // Every segment is merged into one after the commit: merging some of them while the
        // build runs would only merge their documents twice.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }

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
    let mut report = BuildReport::default();
    let mut unreadable = Vec::new();
    for skipped in walk.skipped {
        match skipped.reason {
            SkipReason::Hidden => report.hidden += 1,
            SkipReason::UnknownExtension => report.unknown_extension += 1,
            _ => {
                if matches!(skipped.reason, SkipReason::Unreadable(_)) {
                    unreadable.push(relative_to(&options.corpus, &skipped.path));
                }
                observer.error(&IngestError::new(
                    &skipped.path,
                    crate::build::skip_message(&skipped.reason),
                ));
                report.skipped.push(skipped);
            }
        }
    }

    // Observe every file: size and time decide what is read again.
    let mut files = Vec::with_capacity(walk.files.len());
    let mut observed = Vec::with_capacity(walk.files.len());
    for file in walk.files {
        if file.path.to_str().is_none() {
            // An article id is text; a lossy conversion could merge two names silently.
            let error = IngestError::new(
                &file.path,
                "the path is not valid UTF-8; rename the file to index it",
            );
            observer.error(&error);
            report.errors.push(error);
            continue;
        }
        match std::fs::metadata(&file.path) {
            Ok(metadata) => {
                observed.push(Observed {
                    relative: file.relative.clone(),
                    size: metadata.len(),
                    mtime_ns: modified_ns(&metadata),
                });
                files.push(file);
            }
            Err(error) => {
                unreadable.push(file.relative.clone());
                let error = IngestError::new(&file.path, format!("cannot read: {error}"));
                observer.error(&error);
                report.errors.push(error);
            }
        }
    }

    let plan = manifest::plan(&observed, &old_manifest, &unreadable);
    // Another folder built into an index that holds one would silently remove all of it.
    if !options.rebuild
        && !observed.is_empty()
        && !old_manifest.files.is_empty()
        && plan.removed.len() == old_manifest.files.len()
    {
        let held = last_payload(&handle)?
            .map(|payload| payload.corpus)
            .unwrap_or_default();
        if held != options.corpus.display().to_string() {
            bail!(
                "the index at `{}` holds the corpus `{held}`, which `{}` does not contain: building it would remove all {} of its files; pass --rebuild to replace them, or --index to build another index (nothing was written)",
                handle.path.display(),
                options.corpus.display(),
                old_manifest.files.len()
            );
        }
    }
    observer.planned(&PlanSummary {
        files_new: plan.new.len(),
        files_to_check: plan.check.len(),
        files_unchanged: plan.unchanged.len(),
        files_removed: plan.removed.len(),
        full_rebuild,
    });
    let mut counts = ChangeCounts {
        full_rebuild,
        ..ChangeCounts::default()
    };
    let mut new_manifest = Manifest::default();
    for &index in &plan.unchanged {
        let relative = &observed[index].relative;
        if let Some(entry) = old_manifest.files.get(relative) {
            counts.files_unchanged += 1;
            counts.articles_unchanged += entry.articles.len();
            new_manifest.files.insert(relative.clone(), entry.clone());
        }
    }
    // Files the walk could not reach keep their articles and entries.
    for relative in &plan.kept_unreachable {
        if let Some(entry) = old_manifest.files.get(relative) {
            counts.articles_unchanged += entry.articles.len();
            new_manifest.files.insert(relative.clone(), entry.clone());
        }
    }
    for relative in &plan.removed {
        writer.delete_term(Term::from_field_text(handle.fields.path, relative));
        counts.files_removed += 1;
        counts.articles_removed += old_manifest
            .files
            .get(relative)
            .map_or(0, |e| e.articles.len());
    }

    let mut to_read: Vec<usize> = plan.check.iter().chain(&plan.new).copied().collect();
    to_read.sort_unstable();
    let total_bytes = to_read.iter().map(|&index| observed[index].size).sum();
    observer.started(to_read.len(), total_bytes);
    let hold_keys = acronyms_to_hold(extractor, &files, &to_read, &old_acronyms);
    let pipeline = Pipeline {
        handle: &handle,
        writer: &writer,
        files: &files,
        observed: &observed,
        old_manifest: &old_manifest,
        map: &map,
        extractor: &reading_extractor,
        hold_keys: &hold_keys,
        observer,
        sizes: PipelineSizes::default(),
    };
    let mut acc = Accumulated {
        counts,
        report,
        manifest: new_manifest,
        ..Accumulated::default()
    };
    if let Err(error) = pipeline.run(&to_read, &mut acc) {
        // A batch the writer refused means one of its indexing threads stopped; its own error
        // (a full disk, say) comes out when its work is collected. Nothing is committed.
        let mut writer = writer;
        let cause = match writer.prepare_commit() {
            Err(source) => IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            },
            Ok(prepared) => {
                let _ = prepared.abort();
                error
            }
        };
        return Err(write_failed(cause).into());
    }
    let Accumulated {
        counts,
        mut report,
        manifest: mut new_manifest,
        seen_fields,
        read_records,
        acronyms_used,
        held,
        held_bytes: _,
    } = acc;

    let missing = map.missing(seen_fields);
    // Only records read in this build tell which fields exist.
    if read_records && !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        // Dropping the writer without a commit leaves the previous index as it was.
        bail!(
            "{} names a field that no record has; nothing was written",
            names.join(", ")
        );
    }
    // Every file is read: the table of the corpus is known. Articles labelled with another
    // (those read before the file that defines an acronym, those that used a definition that
    // is gone) are labelled again, so that the index is as if every article had been read
    // knowing the final table, whatever the order of the files.
    let acronyms = Arc::new(corpus_acronyms(extractor, &new_manifest));
    let changed = acronyms.changed_keys(&old_acronyms);
    let labelling = extractor.clone().with_acronyms(acronyms.clone());
    // Articles written before the table was known are read again from their files.
    let mut ids: HashSet<String> = HashSet::new();
    if !changed.is_empty() {
        ids.extend(
            acronyms_used
                .into_iter()
                .filter(|(_, used)| used.iter().any(|key| changed.contains(key)))
                .map(|(id, _)| id),
        );
        if !full_rebuild {
            // A held article replaces its version of the last commit: it is labelled below.
            let in_last_commit = labelled_with(&handle, &changed, &old_acronyms)?;
            ids.extend(
                in_last_commit
                    .into_iter()
                    .filter(|id| !held.contains_key(id)),
            );
        }
    }
    report.articles_relabelled =
        write_held(&handle, &writer, held, &changed, &labelling).map_err(write_failed)?;
    if !ids.is_empty() {
        let relabel = Relabel {
            handle: &handle,
            writer: &writer,
            files: &files,
            map: &map,
            extractor: &labelling,
        };
        report.articles_relabelled += relabel.run(&mut new_manifest, &ids).map_err(write_failed)?;
    }
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    let unchanged_payload = !full_rebuild && counts.is_nothing() && new_manifest == old_manifest;
    if unchanged_payload {
        // Nothing to write: dropping the writer rolls back and releases the lock.
        drop(writer);
    } else {
        commit_with_manifest(
            &handle,
            writer,
            &options.corpus,
            mapping,
            &new_manifest,
            &acronyms,
        )
        .map_err(write_failed)?;
        if full_rebuild {
            index::merge_segments(&handle)?;
        }
        index::share_files_as_created(&handle.path);
    }
    report.articles = counts.articles_added + counts.articles_updated;
    report.changes = counts;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Commits the writer's work together with its manifest, then waits for merges so that the
/// files on disk are final. The manifest file is written first, under a name no other manifest
/// has; the payload that names it goes into `meta.json` with the commit. Until tantivy renames
/// the new `meta.json` into place, readers see the previous commit and its manifest file, which
/// is removed only after the commit.
pub fn commit_with_manifest(
    handle: &IndexHandle,
    mut writer: IndexWriter,
    corpus: &Path,
    mapping: String,
    manifest: &Manifest,
    acronyms: &AcronymTable,
) -> Result<(), IndexError> {
    let manifest_file = store_manifest(handle, manifest)?;
    let mut payload = Payload::new(corpus, manifest_file, manifest.files.len());
    payload.mapping = mapping;
    if !acronyms.is_empty() {
        let (name, bytes) = acronyms.pack();
        payload.acronyms_file = store_side_file(handle, &name, &bytes)?;
    }
    let mut prepared = writer.prepare_commit().map_err(tantivy_error(handle))?;
    prepared.set_payload(&payload.to_json());
    prepared.commit().map_err(tantivy_error(handle))?;
    writer
        .wait_merging_threads()
        .map_err(tantivy_error(handle))?;
    remove_stale_manifests(handle, &payload.manifest_file, &payload.acronyms_file);
    Ok(())
}

/// Writes the manifest into the index directory (atomically: a temporary file renamed into
/// place) and returns its file name. An in-memory index keeps no manifest.
fn store_manifest(handle: &IndexHandle, manifest: &Manifest) -> Result<String, IndexError> {
    if !handle.path.is_dir() {
        return Ok(String::new());
    }
    let (name, bytes) = manifest.pack();
    store_side_file(handle, &name, &bytes)
}

/// Writes a file of the commit into the index directory, atomically (a temporary file renamed
/// into place), and returns its name; an in-memory index keeps none.
fn store_side_file(handle: &IndexHandle, name: &str, bytes: &[u8]) -> Result<String, IndexError> {
    if !handle.path.is_dir() {
        return Ok(String::new());
    }
    let io_error = |error: std::io::Error| IndexError::WriteFailed {
        path: handle.path.clone(),
        message: format!("cannot write `{name}`: {error}"),
    };
    let mut file = tempfile::NamedTempFile::new_in(&handle.path).map_err(io_error)?;
    file.write_all(bytes).map_err(io_error)?;
    file.as_file().sync_all().map_err(io_error)?;
    file.persist(handle.path.join(name))
        .map_err(|error| io_error(error.error))?;
    Ok(name.to_string())
}

/// The manifest that `payload` names, or `None` when it is missing or unreadable.
pub fn load_manifest(handle: &IndexHandle, payload: &Payload) -> Option<Manifest> {
    if payload.manifest_file.is_empty() {
        return None;
    }
    let bytes = std::fs::read(handle.path.join(&payload.manifest_file)).ok()?;
    Manifest::unpack(&bytes).ok()
}

/// The acronym table of the definitions a manifest holds, without the acronyms the extractor's
/// lists know (which win).
fn corpus_acronyms(extractor: &EntityExtractor, manifest: &Manifest) -> AcronymTable {
    corpus_table(extractor, manifest.acronym_pairs())
}

/// The acronym table of a corpus's definitions, without the acronyms the extractor's lists
/// know (which win).
pub(crate) fn corpus_table<'a>(
    extractor: &EntityExtractor,
    pairs: impl IntoIterator<Item = &'a AcronymPair>,
) -> AcronymTable {
    let mut table = AcronymTable::from_pairs(pairs);
    table.retain_unknown(|key| extractor.gazetteer().form(key).is_some());
    table
}

/// Ids of the articles of the last commit that may use one of the `changed` acronyms: those
/// labelled with the acronym as written (the table did not know it) or with the long form the
/// table of that commit gave it.
fn labelled_with(
    handle: &IndexHandle,
    changed: &BTreeSet<String>,
    old: &AcronymTable,
) -> Result<HashSet<String>, IndexError> {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Value};
    let mut keyword = crate::schema::keyword_analyzer();
    let mut terms = BTreeSet::new();
    for key in changed {
        terms.extend(crate::schema::analyse(&mut keyword, key));
        if let Some(entity) = old.get(key) {
            terms.extend(crate::schema::analyse(&mut keyword, &entity.name));
        }
    }
    let fields = &handle.fields;
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|term| {
            let term = Term::from_field_text(fields.entity, term);
            let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
            (Occur::Should, query)
        })
        .collect();
    let reader: tantivy::IndexReader = handle
        .index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
        .map_err(tantivy_error(handle))?;
    let searcher = reader.searcher();
    let addresses = searcher
        .search(&BooleanQuery::new(clauses), &DocSetCollector)
        .map_err(tantivy_error(handle))?;
    let mut ids = HashSet::new();
    for address in addresses {
        let document: TantivyDocument = searcher.doc(address).map_err(tantivy_error(handle))?;
        if let Some(id) = document
            .get_first(fields.article_id)
            .and_then(|v| v.as_str())
        {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

/// One article's passages as tantivy documents (`article_documents`).
struct ArticleDocuments {
    documents: Vec<TantivyDocument>,
    /// When the article uses acronyms it does not define (`acronyms.used`): what its documents
    /// lack until `complete_documents`.
    as_written: Option<AsWritten>,
    /// What it defines and uses.
    acronyms: ArticleAcronyms,
    /// The bytes of its text (title and passages).
    text_bytes: u64,
}

impl ArticleDocuments {
    /// The documents, complete, the acronyms resolved with `labelling`'s table.
    fn completed(
        mut self,
        fields: &crate::schema::Fields,
        labelling: &EntityExtractor,
    ) -> Vec<TantivyDocument> {
        if let Some(as_written) = self.as_written {
            complete_documents(
                fields,
                labelling,
                &self.acronyms.used,
                &mut self.documents,
                as_written,
            );
        }
        self.documents
    }
}

/// Splits and labels one article once: an article that uses acronyms is labelled as written
/// (`EntityExtractor::annotate_article_as_written`), and whichever table is final resolves them
/// later without tagging it again.
fn article_documents(
    fields: &crate::schema::Fields,
    extractor: &EntityExtractor,
    article: &Article,
) -> ArticleDocuments {
    let mut passages = split_passages(article);
    let acronyms = extractor.annotate_article_as_written(article, &mut passages);
    let text_bytes =
        article.title.len() as u64 + passages.iter().map(|p| p.text.len() as u64).sum::<u64>();
    let mut documents: Vec<TantivyDocument> = passages
        .iter()
        .map(|passage| index::passage_document_without_entities(fields, article, passage))
        .collect();
    let entities = passages.into_iter().map(|passage| passage.entities);
    let as_written = AsWritten {
        entities: entities.collect(),
        url: article.url.clone(),
    };
    if acronyms.used.is_empty() {
        // Nothing for a table to resolve: complete at once.
        complete_documents(fields, extractor, &[], &mut documents, as_written);
        return ArticleDocuments {
            documents,
            as_written: None,
            acronyms,
            text_bytes,
        };
    }
    ArticleDocuments {
        documents,
        as_written: Some(as_written),
        acronyms,
        text_bytes,
    }
}

/// Adds to the documents of an article that uses the acronyms `used` what they lack
/// (`as_written`), the acronyms resolved with `labelling`'s table.
fn complete_documents(
    fields: &crate::schema::Fields,
    labelling: &EntityExtractor,
    used: &[String],
    documents: &mut [TantivyDocument],
    mut as_written: AsWritten,
) {
    labelling.resolve_used_acronyms(used, as_written.entities.iter_mut());
    let url = as_written.url.as_deref();
    for (document, entities) in documents.iter_mut().zip(&as_written.entities) {
        index::add_entities_and_url(fields, document, entities, url);
    }
}

/// Adds documents to the index, `PASSAGES_PER_BATCH` at a time.
fn send_documents(
    writer: &IndexWriter,
    documents: impl IntoIterator<Item = TantivyDocument>,
) -> tantivy::Result<()> {
    let mut operations = Vec::with_capacity(PASSAGES_PER_BATCH);
    for document in documents {
        operations.push(UserOperation::Add(document));
        if operations.len() >= PASSAGES_PER_BATCH {
            writer.run(std::mem::take(&mut operations))?;
        }
    }
    if !operations.is_empty() {
        writer.run(operations)?;
    }
    Ok(())
}

/// Writes the articles held back by the pipeline once the final acronym table is known,
/// completed with it (`labelling`). None was written before, so none is deleted. Returns the
/// articles that use one of the `changed` acronyms: labelled otherwise than the table they
/// were read with would have.
fn write_held(
    handle: &IndexHandle,
    writer: &IndexWriter,
    held: BTreeMap<String, HeldArticle>,
    changed: &BTreeSet<String>,
    labelling: &EntityExtractor,
) -> Result<usize, IndexError> {
    let fields = &handle.fields;
    let mut relabelled = 0;
    let documents = held.into_values().flat_map(|mut held| {
        relabelled += usize::from(held.used.iter().any(|key| changed.contains(key)));
        complete_documents(
            fields,
            labelling,
            &held.used,
            &mut held.documents,
            held.as_written,
        );
        held.documents
    });
    send_documents(writer, documents).map_err(tantivy_error(handle))?;
    Ok(relabelled)
}

/// Labels articles of the index again with the final acronym table of a build.
struct Relabel<'a> {
    handle: &'a IndexHandle,
    writer: &'a IndexWriter,
    files: &'a [CorpusFile],
    map: &'a FieldMap,
    /// With the final table.
    extractor: &'a EntityExtractor,
}

impl Relabel<'_> {
    /// Reads the articles `ids` (those the manifest still holds) again from their files and
    /// replaces them by id in this build's commit. An article its file no longer holds as the
    /// manifest says (the file changed, or cannot be read now) is marked in the manifest so
    /// that the next build reads its file and replaces it. Returns the articles replaced.
    fn run(&self, manifest: &mut Manifest, ids: &HashSet<String>) -> Result<usize, IndexError> {
        // File -> its articles to label again, with their hashes in the manifest.
        let mut wanted: BTreeMap<String, HashMap<String, u64>> = BTreeMap::new();
        for (relative, entry) in &manifest.files {
            for (id, hash) in &entry.articles {
                if ids.contains(id) {
                    wanted
                        .entry(relative.clone())
                        .or_default()
                        .insert(id.clone(), *hash);
                }
            }
        }
        let files: HashMap<&str, &CorpusFile> = self
            .files
            .iter()
            .map(|file| (file.relative.as_str(), file))
            .collect();
        let hashes: HashMap<&str, u64> = wanted
            .values()
            .flatten()
            .map(|(id, hash)| (id.as_str(), *hash))
            .collect();
        let mut done = HashSet::new();
        // Chunks are read and labelled on all cores, a few per core at a time.
        let batch_len = 2 * rayon::current_num_threads().max(1);
        let mut batch = Vec::with_capacity(batch_len);
        for relative in wanted.keys() {
            let Some(file) = files.get(relative.as_str()) else {
                continue;
            };
            let mut result = Ok(());
            ingest::split_file((*file).clone(), ingest::CHUNK_BYTES, &mut |chunk| {
                batch.push(chunk);
                if batch.len() >= batch_len {
                    result = self.relabel_chunks(std::mem::take(&mut batch), &hashes, &mut done);
                }
                result.is_ok()
            });
            result?;
        }
        self.relabel_chunks(batch, &hashes, &mut done)?;
        for (relative, articles) in &wanted {
            if articles.keys().all(|id| done.contains(id)) {
                continue;
            }
            if let Some(entry) = manifest.files.get_mut(relative) {
                // A time no file has and a hash no article has: read and replaced next time.
                entry.mtime_ns = i64::MIN;
                entry.hash = 0;
                for id in articles.keys().filter(|id| !done.contains(*id)) {
                    entry.articles.insert(id.clone(), 0);
                }
            }
        }
        Ok(done.len())
    }

    /// Reads chunks in parallel and replaces the articles of `hashes` (id -> hash in the
    /// manifest) they hold unchanged; their ids go into `done`.
    fn relabel_chunks(
        &self,
        chunks: Vec<ingest::Chunk>,
        hashes: &HashMap<&str, u64>,
        done: &mut HashSet<String>,
    ) -> Result<(), IndexError> {
        use rayon::prelude::*;
        let fields = &self.handle.fields;
        let labelled: Vec<Vec<(String, Vec<TantivyDocument>)>> = chunks
            .into_par_iter()
            .map(|chunk| {
                let output = ingest::read_chunk(chunk, self.map);
                output
                    .articles
                    .into_iter()
                    .flatten()
                    .filter(|article| {
                        hashes.get(article.id.as_str()) == Some(&manifest::article_hash(article))
                    })
                    .map(|article| {
                        let documents = article_documents(fields, self.extractor, &article)
                            .completed(fields, self.extractor);
                        (article.id, documents)
                    })
                    .collect()
            })
            .collect();
        for (id, documents) in labelled.into_iter().flatten() {
            if done.contains(&id) {
                // The same id again in one file: the first one stands, as when it was read.
                continue;
            }
            let mut operations = Vec::with_capacity(documents.len() + 1);
            operations.push(UserOperation::Delete(Term::from_field_text(
                fields.article_id,
                &id,
            )));
            operations.extend(documents.into_iter().map(UserOperation::Add));
            self.writer
                .run(operations)
                .map_err(tantivy_error(self.handle))?;
            done.insert(id);
        }
        Ok(())
    }
}

/// Removes the manifest files of earlier commits and of builds killed before their commit.
/// Best effort: a file left behind costs only disk space, and the next build tries again.
fn remove_stale_manifests(handle: &IndexHandle, keep: &str, keep_acronyms: &str) {
    let Ok(entries) = std::fs::read_dir(&handle.path) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let stale = (name.starts_with(manifest::MANIFEST_PREFIX)
            && name.ends_with(manifest::MANIFEST_SUFFIX)
            && name != keep)
            || (name.starts_with(ACRONYMS_PREFIX)
                && name.ends_with(ACRONYMS_SUFFIX)
                && name != keep_acronyms);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;

    fn corpus_file(dir: &Path, text: &str) -> (CorpusFile, Observed) {
        let path = dir.join("a.txt");
        std::fs::write(&path, text).unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        let file = CorpusFile {
            path,
            relative: "a.txt".to_string(),
            format: Format::Seed,
            size: metadata.len(),
        };
        let observed = Observed {
            relative: "a.txt".to_string(),
            size: metadata.len(),
            mtime_ns: modified_ns(&metadata),
        };
        (file, observed)
    }

    /// Runs the pipeline over `files` against `old` (labelled with no acronym table), writes the
    /// held articles labelled with the final table, commits, and returns what it did (without
    /// the held articles).
    fn run_pipeline(
        handle: &IndexHandle,
        files: &[CorpusFile],
        observed: &[Observed],
        old: &Manifest,
        sizes: PipelineSizes,
    ) -> Accumulated {
        let writer = index::writer(handle, 50).unwrap();
        let extractor = EntityExtractor::builtin();
        let map = FieldMap::default();
        let to_read: Vec<usize> = (0..files.len()).collect();
        let hold_keys = acronyms_to_hold(&extractor, files, &to_read, &AcronymTable::default());
        let pipeline = Pipeline {
            handle,
            writer: &writer,
            files,
            observed,
            old_manifest: old,
            map: &map,
            extractor: &extractor,
            hold_keys: &hold_keys,
            observer: &crate::build::Silent,
            sizes,
        };
        let mut acc = Accumulated::default();
        pipeline.run(&to_read, &mut acc).unwrap();
        let acronyms = Arc::new(corpus_acronyms(&extractor, &acc.manifest));
        let changed = acronyms.changed_keys(&AcronymTable::default());
        let labelling = extractor.clone().with_acronyms(acronyms.clone());
        let held = std::mem::take(&mut acc.held);
        acc.report.articles_relabelled =
            write_held(handle, &writer, held, &changed, &labelling).unwrap();
        commit_with_manifest(
            handle,
            writer,
            Path::new("corpus"),
            String::new(),
            &acc.manifest,
            &acronyms,
        )
        .unwrap();
        acc
    }

    fn n_docs(handle: &IndexHandle) -> u64 {
        handle.index.reader().unwrap().searcher().num_docs()
    }

    #[test]
    fn a_file_whose_bytes_hash_as_before_is_not_parsed_again() {
        let dir = tempfile::tempdir().unwrap();
        let text = " date 2024-01-02 Serbia builds shells.";
        let (file, observed) = corpus_file(dir.path(), text);
        let handle = index::create_in_ram();
        let old_entry = FileEntry {
            size: 1,
            mtime_ns: 1,
            hash: manifest::file_hash(text.as_bytes()),
            articles: [("a.txt".to_string(), 42)].into_iter().collect(),
            acronyms: Vec::new(),
        };
        let mut old = Manifest::default();
        old.files.insert("a.txt".to_string(), old_entry.clone());
        let files = [file];
        let observed = [observed];
        let acc = run_pipeline(&handle, &files, &observed, &old, PipelineSizes::default());
        assert_eq!(acc.counts.files_unchanged, 1);
        assert_eq!(acc.report.passages, 0);
        assert_eq!(n_docs(&handle), 0);
        let entry = &acc.manifest.files["a.txt"];
        assert_eq!(
            (entry.size, entry.mtime_ns),
            (observed[0].size, observed[0].mtime_ns)
        );
        assert_eq!(entry.articles, old_entry.articles);

        let acc = run_pipeline(
            &handle,
            &files,
            &observed,
            &Manifest::default(),
            PipelineSizes::default(),
        );
        assert_eq!(acc.counts.articles_added, 1);
        assert_eq!(acc.manifest.files["a.txt"].hash, old_entry.hash);
        assert_eq!(n_docs(&handle), 1);
    }

    #[test]
    fn a_file_that_changed_while_it_was_read_is_reported_and_not_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let (file, mut observed) =
            corpus_file(dir.path(), " date 2024-01-02 Serbia builds shells.");
        // The walk saw an older version of the file than the one that was read.
        observed.mtime_ns -= 1_000_000_000;
        let handle = index::create_in_ram();
        let acc = run_pipeline(
            &handle,
            std::slice::from_ref(&file),
            &[observed],
            &Manifest::default(),
            PipelineSizes::default(),
        );
        assert_eq!(acc.report.errors.len(), 1);
        assert_eq!(acc.report.errors[0].path, file.path);
        assert!(
            acc.report.errors[0]
                .reason
                .contains("changed while it was read"),
            "{}",
            acc.report.errors[0]
        );
        assert!(acc.manifest.files.is_empty());
        assert_eq!(n_docs(&handle), 0);
    }

    fn jsonl_file(dir: &Path, records: &[(usize, &str)]) -> (CorpusFile, Observed) {
        let path = dir.join("feed.jsonl");
        let text: String = records
            .iter()
            .map(|(id, body)| {
                format!(
                    "{{\"id\": \"r{id}\", \"title\": \"Story {id}\", \"date\": \"2024-01-02\", \"body\": \"{body}\"}}\n"
                )
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        let file = CorpusFile {
            path,
            relative: "feed.jsonl".to_string(),
            format: Format::Jsonl,
            size: metadata.len(),
        };
        let observed = Observed {
            relative: "feed.jsonl".to_string(),
            size: metadata.len(),
            mtime_ns: modified_ns(&metadata),
        };
        (file, observed)
    }

    #[test]
    fn a_streamed_file_is_written_chunk_by_chunk_and_tracked_article_by_article() {
        let dir = tempfile::tempdir().unwrap();
        // Chunks of about two records, every file streamed.
        let sizes = PipelineSizes {
            chunk_bytes: 150,
            stream_above: 0,
            workers: 3,
            ..PipelineSizes::default()
        };
        let mut records: Vec<(usize, &str)> =
            (1..=30).map(|id| (id, "Grain exports rose.")).collect();
        let (file, observed) = jsonl_file(dir.path(), &records);
        let handle = index::create_in_ram();
        let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
        assert_eq!(acc.counts.articles_added, 30);
        assert!(acc.report.errors.is_empty());
        assert_eq!(acc.manifest.files["feed.jsonl"].articles.len(), 30);
        assert_eq!(n_docs(&handle), 30);

        records[2].1 = "Copper prices fell.";
        records.remove(6);
        records.push((31, "Tin output doubled."));
        let (file, observed) = jsonl_file(dir.path(), &records);
        let old = acc.manifest;
        let acc = run_pipeline(&handle, &[file], &[observed], &old, sizes);
        assert_eq!(
            (
                acc.counts.articles_added,
                acc.counts.articles_updated,
                acc.counts.articles_removed,
                acc.counts.articles_unchanged,
            ),
            (1, 1, 1, 28)
        );
        assert_eq!(acc.report.passages, 2);
        let articles = &acc.manifest.files["feed.jsonl"].articles;
        assert!(articles.contains_key("feed.jsonl#r31"));
        assert!(!articles.contains_key("feed.jsonl#r7"));
        assert_eq!(n_docs(&handle), 30);
        let searcher = handle.index.reader().unwrap().searcher();
        let count = |id: &str| {
            let query = tantivy::query::TermQuery::new(
                Term::from_field_text(handle.fields.article_id, id),
                tantivy::schema::IndexRecordOption::Basic,
            );
            searcher.search(&query, &tantivy::collector::Count).unwrap()
        };
        assert_eq!(count("feed.jsonl#r3"), 1);
        assert_eq!(count("feed.jsonl#r7"), 0);
        assert_eq!(count("feed.jsonl#r31"), 1);
    }

    /// The entity names of the passages of `id`, and the deleted documents of the index.
    fn entities_and_deleted(handle: &IndexHandle, id: &str) -> (BTreeSet<String>, u32) {
        let searcher = handle.index.reader().unwrap().searcher();
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(handle.fields.article_id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        let addresses = searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .unwrap();
        assert!(!addresses.is_empty(), "no passage of {id}");
        let mut entities = BTreeSet::new();
        for address in addresses {
            let document: TantivyDocument = searcher.doc(address).unwrap();
            for label in crate::index::stored_entity_labels(&handle.fields, &document) {
                let (_, name) = label.split_once(':').unwrap();
                entities.insert(name.to_string());
            }
        }
        let deleted = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.num_deleted_docs())
            .sum();
        (entities, deleted)
    }

    /// A feed whose first record uses BAMG, which its last record defines.
    fn bamg_feed(dir: &Path, first_id: usize) -> (CorpusFile, Observed) {
        jsonl_file(
            dir,
            &[
                (first_id, "Exports of artillery shells slowed, BAMG said."),
                (2, "Grain exports rose."),
                (
                    3,
                    "The Balkan Arms Monitoring Group (BAMG) counted artillery shells.",
                ),
            ],
        )
    }

    /// Builds `bamg_feed(first_id)` into a fresh index with `sizes`.
    fn build_bamg_feed(first_id: usize, sizes: PipelineSizes) -> (IndexHandle, Accumulated) {
        let dir = tempfile::tempdir().unwrap();
        let (file, observed) = bamg_feed(dir.path(), first_id);
        let handle = index::create_in_ram();
        let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
        (handle, acc)
    }

    /// The articles left to be read again if the table changes.
    fn left_to_read_again(acc: &Accumulated) -> Vec<&str> {
        acc.acronyms_used
            .iter()
            .map(|(id, _)| id.as_str())
            .collect()
    }

    #[test]
    fn articles_that_use_acronyms_are_held_and_labelled_with_the_final_table() {
        let (handle, acc) = build_bamg_feed(1, PipelineSizes::default());
        // Held, not written and read again: nothing to read again, nothing deleted.
        assert!(left_to_read_again(&acc).is_empty());
        assert_eq!(acc.report.articles_relabelled, 1);
        assert_eq!(acc.counts.articles_added, 3);
        assert_eq!(n_docs(&handle), 3);
        let (entities, deleted) = entities_and_deleted(&handle, "feed.jsonl#r1");
        assert!(
            entities.contains("Balkan Arms Monitoring Group"),
            "{entities:?}"
        );
        assert!(!entities.contains("BAMG"), "{entities:?}");
        assert_eq!(deleted, 0);
    }

    #[test]
    fn an_article_whose_acronyms_no_bracket_defines_is_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (file, observed) = jsonl_file(
            dir.path(),
            &[
                (1, "Exports slowed, BAMG said."),
                (2, "Exports slowed, QXRT said."),
                (
                    3,
                    "The Balkan Arms Monitoring Group (BAMG) counted artillery shells.",
                ),
            ],
        );
        let handle = index::create_in_ram();
        let acc = run_pipeline(
            &handle,
            &[file],
            &[observed],
            &Manifest::default(),
            PipelineSizes::default(),
        );
        // QXRT is in no brackets: its meaning cannot change, it is not held (and is left to
        // read again only should a definition the scan missed turn up). BAMG's user is held.
        assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r2"]);
        assert_eq!(acc.report.articles_relabelled, 1);
        let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r2");
        assert!(entities.contains("QXRT"), "{entities:?}");
        let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r1");
        assert!(
            entities.contains("Balkan Arms Monitoring Group"),
            "{entities:?}"
        );
    }

    #[test]
    fn past_the_hold_budget_articles_are_written_at_once_and_left_to_read_again() {
        let sizes = PipelineSizes {
            hold_bytes: 0,
            ..PipelineSizes::default()
        };
        let (handle, acc) = build_bamg_feed(1, sizes);
        assert_eq!(acc.report.articles_relabelled, 0);
        assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r1"]);
        assert_eq!(n_docs(&handle), 3);
        // Written with the table it was read with: `Relabel` is left to label it again.
        let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r1");
        assert!(entities.contains("BAMG"), "{entities:?}");
    }

    #[test]
    fn a_held_article_whose_id_comes_again_is_written_as_any_other() {
        // Record 2 twice: the first uses BAMG (held), the second comes after it.
        let (handle, acc) = build_bamg_feed(2, PipelineSizes::default());
        assert_eq!(acc.report.articles_relabelled, 0);
        assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r2"]);
        // Both occurrences are in the index, as when nothing was held.
        assert_eq!(n_docs(&handle), 3);
    }

    #[test]
    fn documents_completed_with_a_table_equal_those_made_with_it_at_once() {
        use crate::model::{EntityKind, Section};
        use tantivy::Document;
        let handle = index::create_in_ram();
        let (fields, schema) = (&handle.fields, handle.index.schema());
        let long_form = Entity {
            name: "Balkan Arms Monitoring Group".into(),
            kind: EntityKind::Organisation,
        };
        let table = AcronymTable::from_pairs(&[("bamg".to_string(), long_form.clone())]);
        let extractor = EntityExtractor::builtin().with_acronyms(Arc::new(table));
        let article = Article {
            id: "a.md".into(),
            path: "a.md".into(),
            title: "Shell exports".into(),
            url: Some("https://example.org/a".into()),
            lead: "Exports of shells slowed, BAMG said in Belgrade.".into(),
            sections: vec![Section {
                heading: Some("Outlook".into()),
                paragraphs: vec!["Serbia expects more, the BAMG report adds.".into()],
            }],
            given_entities: vec![Entity {
                name: "bamg".into(),
                kind: EntityKind::Organisation,
            }],
            ..Article::default()
        };
        let made = article_documents(fields, &extractor, &article);
        assert_eq!(made.acronyms.used, ["bamg"]);
        let missing = made.as_written.as_ref().expect("it uses BAMG");
        assert!(missing.entities.iter().flatten().any(|e| e.name == "BAMG"));
        let completed = made.completed(fields, &extractor);
        let mut passages = split_passages(&article);
        extractor.annotate_article(&article, &mut passages);
        assert!(passages.iter().all(|p| p.entities.contains(&long_form)));
        let at_once: Vec<String> = passages
            .iter()
            .map(|passage| index::passage_document(fields, &article, passage).to_json(&schema))
            .collect();
        let completed: Vec<String> = completed
            .iter()
            .map(|document| document.to_json(&schema))
            .collect();
        assert_eq!(completed, at_once);
    }

    #[test]
    fn the_held_cost_estimates_what_the_documents_hold() {
        use crate::model::Section;
        use tantivy::schema::Value;
        let handle = index::create_in_ram();
        let paragraph = |n: usize| {
            format!("Paragraph {n}: exports of shells slowed, BAMG said in Belgrade on Monday.")
        };
        let article = Article {
            id: "a.md".into(),
            path: "corpus/a.md".into(),
            title: "Shell exports slow as BAMG reports".into(),
            lead: paragraph(0),
            sections: vec![Section {
                heading: Some("Outlook".into()),
                paragraphs: (1..8).map(paragraph).collect(),
            }],
            ..Article::default()
        };
        let extractor = EntityExtractor::builtin();
        let made = article_documents(&handle.fields, &extractor, &article);
        let as_written = made.as_written.as_ref().expect("it uses BAMG");
        assert!(made.documents.len() > 2);
        let estimate = held_cost(&article, &made.documents, made.text_bytes, as_written);
        // What the values hold, read back from the documents.
        let values: usize = made
            .documents
            .iter()
            .flat_map(|document| document.field_values())
            .map(|(_, value)| 16 + value.as_str().map_or(8, str::len))
            .sum();
        let held = values + as_written.cost();
        assert!(
            estimate * 10 >= held * 8 && estimate <= held * 2,
            "estimate {estimate}, held {held}"
        );
    }

    #[test]
    fn relative_paths_use_slashes_and_the_root_is_empty() {
        let root = Path::new("/corpus");
        assert_eq!(relative_to(root, Path::new("/corpus/a/b.txt")), "a/b.txt");
        assert_eq!(relative_to(root, root), "");
    }
}
