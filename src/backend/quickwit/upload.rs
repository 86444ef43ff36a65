//! Quickwit build: corpus -> the same pipeline as the local build (`build::process_file_with`,
//! and the corpus acronym table: articles that use an acronym another may define wait for it)
//! -> NDJSON batches of bounded size -> a Quickwit index newsdex created from its own mapping.
//! Replaces changed files through delete tasks (asynchronous) or the whole index with
//! `rebuild`. Reports rejected documents by article path; prints nothing itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::build::{BuildObserver, BuildReport, process_file_with, skip_message};
use crate::build::{HOLD_BYTES, acronyms_to_hold, corpus_table};
use crate::error::IngestError;
use crate::extract::acronyms::AcronymTable;
use crate::extract::entities::EntityExtractor;
use crate::ingest::mapping::{CorpusConfig, FieldMap, FieldOverride};
use crate::ingest::{self, SkipReason, Walk, WalkOptions};
use crate::model::{Article, Passage};

use super::client::{Commit, QuickwitClient, QuickwitError};
use super::document::{Analysers, Batch, Batcher, encode, to_ndjson_line};
use super::mapping::{self, COMMIT_TIMEOUT_SECS, field};
use super::translate::{DeleteQuery, SearchBody, quoted};

/// Bounds of one ingest request: Quickwit refuses bodies over 10 MB.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
pub const MAX_BATCH_DOCS: usize = 1_000;
/// Files named in one delete task.
pub const PATHS_PER_DELETE_TASK: usize = 200;

#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub corpus: PathBuf,
    pub walk: WalkOptions,
    pub index_id: String,
    /// Delete the index and create it again instead of updating it.
    pub rebuild: bool,
    pub max_batch_bytes: usize,
    pub max_batch_docs: usize,
    /// `--field ROLE=NAME`: record field names, over the corpus's `newsdex.toml`.
    pub fields: Vec<FieldOverride>,
    /// Wait until what was sent is searchable (`None`: `--no-wait`, for feeds).
    pub wait: Option<WaitOptions>,
}

/// How long a build waits for Quickwit to make what it sent searchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Bound of the last ingest request, sent with `commit=wait_for`: Quickwit answers it
    /// when its commit timer (`commit_timeout_secs`) has made the documents searchable.
    pub commit_timeout: Duration,
    /// Bound of the wait for the delete tasks of an update to be applied (by Quickwit's
    /// janitor, in its own time); past it the build ends and says what is still pending.
    pub delete_timeout: Duration,
    /// Time between two counts of the old passages still searchable.
    pub poll_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> WaitOptions {
        WaitOptions {
            commit_timeout: Duration::from_secs(COMMIT_TIMEOUT_SECS * 12),
            delete_timeout: Duration::from_secs(180),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// What the build waited for, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// `--no-wait`, or nothing was sent.
    NotWaited,
    /// Quickwit committed the last batch `after` it was sent, and with it every earlier one.
    Searchable { after: Duration, deletes: Deletes },
}

/// The delete tasks of an update, once the new passages are searchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletes {
    /// None were submitted (a new or rebuilt index).
    None,
    /// No old passage of the corpus files is searchable any more, `after` the wait began.
    Applied { after: Duration },
    /// `old_passages` old passages of the corpus files were still searchable when the wait
    /// ended, after `waited`.
    Pending { old_passages: u64, waited: Duration },
}

/// What happened to the index before the documents went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexAction {
    Created,
    Recreated,
    /// The index existed: the corpus files' old passages are deleted by delete tasks, which
    /// Quickwit applies later.
    Updated {
        delete_tasks: usize,
    },
}

/// A batch Quickwit rejected documents of. Quickwit does not say which documents, so the
/// batch's articles are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedBatch {
    pub n_rejected: u64,
    pub n_docs: usize,
    pub article_paths: Vec<String>,
}

#[derive(Debug)]
pub struct UploadReport {
    pub build: BuildReport,
    pub action: IndexAction,
    pub batches: usize,
    pub ingested: u64,
    pub rejected: u64,
    pub rejected_batches: Vec<RejectedBatch>,
    pub visibility: Visibility,
}

impl UploadReport {
    pub fn is_complete(&self) -> bool {
        self.build.is_complete() && self.rejected == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Quickwit(#[from] QuickwitError),
    #[error("invalid index id: {0}")]
    IndexId(#[from] super::mapping::BadIndexId),
    #[error(
        "the Quickwit index `{index_id}` was not made by this newsdex (fields missing: {missing}): rebuild it with --rebuild"
    )]
    Incompatible { index_id: String, missing: String },
    #[error(
        "gave up waiting for Quickwit index `{index_id}` to make what was sent searchable ({sent}): {reason}; Quickwit may have commits disabled or the node may be down (check the node, run the build again, or pass --no-wait not to wait)"
    )]
    NotSearchable {
        index_id: String,
        sent: String,
        reason: String,
    },
}

/// The field mapping of a corpus: the defaults, its `newsdex.toml`, then `overrides`.
pub fn corpus_field_map(
    corpus: &std::path::Path,
    overrides: &[FieldOverride],
) -> Result<FieldMap, IngestError> {
    let config = CorpusConfig::load(corpus)?;
    FieldMap::new(overrides, config.as_ref()).map_err(|reason| IngestError::new(corpus, reason))
}

/// Runs the pipeline over the walked corpus and hands each document, as an NDJSON line, to
/// `sink` with its article's path. Files that cannot be read are reported and counted, never
/// fatal.
pub fn encode_corpus<E>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    sink: impl FnMut(String, &str) -> Result<(), E>,
) -> Result<BuildReport, E> {
    encode_corpus_holding(walk, map, extractor, observer, HOLD_BYTES, sink)
}

/// `encode_corpus`, holding articles that wait for the corpus acronym table up to `hold_bytes`
/// of their text; past it, an article is labelled with the table of the files read so far.
fn encode_corpus_holding<E>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    hold_bytes: usize,
    mut sink: impl FnMut(String, &str) -> Result<(), E>,
) -> Result<BuildReport, E> {
    let started = Instant::now();
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
    // As the local build does: an article that uses an acronym some file may define is held
    // until every file is read and the corpus table is known (up to `hold_bytes`); the others
    // go out at once.
    let all: Vec<usize> = (0..walk.files.len()).collect();
    let hold_keys = acronyms_to_hold(extractor, &walk.files, &all, &AcronymTable::default());
    let mut pairs = Vec::new();
    let mut held = Vec::new();
    let mut held_bytes = 0;
    // For articles past the hold budget: an extractor with the table of the definitions read
    // so far, made again only when more have been read.
    let (mut so_far, mut so_far_pairs) = (extractor.clone(), 0);
    let mut out = Encoder {
        analysers: Analysers::default(),
        observer,
        report: &mut report,
        sink: &mut sink,
    };
    for file in &walk.files {
        let mut acronyms = Vec::new();
        let read = process_file_with(file, map, |article, passages| {
            acronyms.push(extractor.annotate_article_as_written(article, passages));
        });
        observer.progress(file.size);
        for error in read.errors {
            observer.error(&error);
            out.report.errors.push(error);
        }
        if read.failed && read.articles.is_empty() {
            continue;
        }
        out.report.files_read += 1;
        out.report.bytes += file.size;
        for ((article, mut passages), acronyms) in read.articles.into_iter().zip(acronyms) {
            pairs.extend(acronyms.defined);
            if acronyms.used.iter().any(|key| hold_keys.contains(key)) {
                let cost: usize = passages.iter().map(|passage| passage.text.len()).sum();
                if held_bytes + cost <= hold_bytes {
                    held_bytes += cost;
                    held.push((article, passages, acronyms.used));
                    continue;
                }
                if so_far_pairs != pairs.len() {
                    let table = Arc::new(corpus_table(extractor, &pairs));
                    so_far = extractor.clone().with_acronyms(table);
                    so_far_pairs = pairs.len();
                }
                let lists = passages.iter_mut().map(|passage| &mut passage.entities);
                so_far.resolve_used_acronyms(&acronyms.used, lists);
            }
            out.article(&article, &passages)?;
        }
    }
    let labelling = extractor
        .clone()
        .with_acronyms(Arc::new(corpus_table(extractor, &pairs)));
    for (article, mut passages, used) in held {
        labelling.resolve_used_acronyms(&used, passages.iter_mut().map(|p| &mut p.entities));
        out.article(&article, &passages)?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Where `encode_corpus` sends the documents of each article, and what it counts.
struct Encoder<'a, S> {
    analysers: Analysers,
    observer: &'a dyn BuildObserver,
    report: &'a mut BuildReport,
    sink: &'a mut S,
}

impl<S> Encoder<'_, S> {
    fn article<E>(&mut self, article: &Article, passages: &[Passage]) -> Result<(), E>
    where
        S: FnMut(String, &str) -> Result<(), E>,
    {
        let article_path = article.path.to_string_lossy();
        for passage in passages {
            (self.sink)(
                to_ndjson_line(&encode(&mut self.analysers, article, passage)),
                &article_path,
            )?;
        }
        let place = crate::build::record_place(&article_path, &article.id);
        for warning in &article.warnings {
            self.observer.warning(&place, warning);
            self.report.warnings += 1;
        }
        self.report.articles += 1;
        self.report.passages += passages.len();
        Ok(())
    }
}

/// Field names of an index config as Quickwit returns it.
fn mapped_fields(index_config: &serde_json::Value) -> Vec<String> {
    index_config["doc_mapping"]["field_mappings"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|field| field["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Makes sure the index exists with newsdex's mapping; returns what was done.
fn prepare_index(
    client: &QuickwitClient,
    options: &UploadOptions,
    corpus_paths: &[String],
) -> Result<IndexAction, UploadError> {
    let config_yaml = mapping::to_yaml(&mapping::index_config(&options.index_id));
    let existing = client.get_index(&options.index_id)?;
    match existing {
        None => {
            client.create_index(&config_yaml)?;
            Ok(IndexAction::Created)
        }
        Some(_) if options.rebuild => {
            client.delete_index(&options.index_id)?;
            client.create_index(&config_yaml)?;
            Ok(IndexAction::Recreated)
        }
        Some(metadata) => {
            let present = mapped_fields(&metadata.index_config);
            let missing: Vec<&str> = mapping::index_config(&options.index_id)
                .doc_mapping
                .field_mappings
                .iter()
                .map(|field| field.name)
                .filter(|name| !present.iter().any(|p| p == name))
                .collect();
            if !missing.is_empty() {
                return Err(UploadError::Incompatible {
                    index_id: options.index_id.clone(),
                    missing: missing.join(", "),
                });
            }
            let mut delete_tasks = 0;
            for chunk in corpus_paths.chunks(PATHS_PER_DELETE_TASK) {
                client.delete_task(&options.index_id, &delete_by_path(chunk))?;
                delete_tasks += 1;
            }
            Ok(IndexAction::Updated { delete_tasks })
        }
    }
}

/// The delete task that removes every passage of the given files.
pub fn delete_by_path(paths: &[String]) -> DeleteQuery {
    let clauses: Vec<String> = paths
        .iter()
        .map(|path| format!("{}:{}", field::PATH, quoted(path)))
        .collect();
    DeleteQuery {
        query: clauses.join(" OR "),
    }
}

/// Builds (or updates) the Quickwit index from the corpus.
pub fn upload(
    options: &UploadOptions,
    extractor: &EntityExtractor,
    client: &QuickwitClient,
    observer: &dyn BuildObserver,
) -> Result<UploadReport, UploadError> {
    mapping::check_index_id(&options.index_id).map_err(UploadError::IndexId)?;
    // The walk runs first so that a missing corpus fails before the index is touched.
    let walk = ingest::walk_corpus(&options.corpus, &options.walk)?;
    let map = corpus_field_map(&options.corpus, &options.fields)?;
    let corpus_paths: Vec<String> = walk.files.iter().map(|f| f.relative.clone()).collect();
    let action = prepare_index(client, options, &corpus_paths)?;
    let mut batcher = Batcher::new(options.max_batch_bytes, options.max_batch_docs);
    let mut state = IngestState::default();
    let send = |batch: Batch, state: &mut IngestState, commit: Commit| -> Result<(), UploadError> {
        let timeout = options
            .wait
            .map_or(Duration::ZERO, |wait| wait.commit_timeout);
        let response =
            match client.ingest_committing(&options.index_id, &batch.body, commit, timeout) {
                Ok(response) => response,
                Err(
                    error @ (QuickwitError::Timeout { .. } | QuickwitError::Unreachable { .. }),
                ) if commit == Commit::WaitFor => {
                    return Err(UploadError::NotSearchable {
                        index_id: options.index_id.clone(),
                        sent: format!(
                            "{} passages in {} ingest requests, the last with commit=wait_for",
                            state.passages_sent + batch.n_docs,
                            state.batches + 1
                        ),
                        reason: error.to_string(),
                    });
                }
                Err(error) => return Err(error.into()),
            };
        let rejected = response.num_rejected_docs.unwrap_or(0);
        state.batches += 1;
        state.passages_sent += batch.n_docs;
        state.ingested += response
            .num_ingested_docs
            .unwrap_or(response.num_docs_for_processing - rejected);
        state.rejected += rejected;
        if rejected > 0 {
            state.rejected_batches.push(RejectedBatch {
                n_rejected: rejected,
                n_docs: batch.n_docs,
                article_paths: batch.article_paths,
            });
        }
        Ok(())
    };
    // One full batch is held back, so that the last one, which waits, is known.
    let mut held: Option<Batch> = None;
    let build = encode_corpus(walk, &map, extractor, observer, |line, path| match batcher
        .push(&line, path)
    {
        Some(full) => match held.replace(full) {
            Some(previous) => send(previous, &mut state, Commit::Auto),
            None => Ok(()),
        },
        None => Ok(()),
    })?;
    if let Some(last) = batcher.finish()
        && let Some(previous) = held.replace(last)
    {
        send(previous, &mut state, Commit::Auto)?;
    }
    let mut visibility = Visibility::NotWaited;
    if let Some(last) = held {
        let commit = if options.wait.is_some() {
            Commit::WaitFor
        } else {
            Commit::Auto
        };
        let sent_at = Instant::now();
        send(last, &mut state, commit)?;
        if let Some(wait) = options.wait {
            let after = sent_at.elapsed();
            let deletes = match action {
                IndexAction::Updated { delete_tasks } if delete_tasks > 0 => {
                    wait_for_deletes(client, options, &corpus_paths, state.ingested, wait)?
                }
                _ => Deletes::None,
            };
            visibility = Visibility::Searchable { after, deletes };
        }
    }
    Ok(UploadReport {
        build,
        action,
        batches: state.batches,
        ingested: state.ingested,
        rejected: state.rejected,
        rejected_batches: state.rejected_batches,
        visibility,
    })
}

/// Passages of the corpus files searchable now: the new ones (all committed by now) and the
/// old ones the delete tasks have not removed yet.
fn corpus_passages(
    client: &QuickwitClient,
    index_id: &str,
    corpus_paths: &[String],
) -> Result<u64, QuickwitError> {
    let mut total = 0;
    for chunk in corpus_paths.chunks(PATHS_PER_DELETE_TASK) {
        let body = SearchBody {
            query: delete_by_path(chunk).query,
            max_hits: 0,
            start_offset: 0,
            start_timestamp: None,
            end_timestamp: None,
            sort_by: None,
            count_all: true,
            aggs: None,
        };
        total += client.search(index_id, &body)?.num_hits;
    }
    Ok(total)
}

/// Waits, up to `wait.delete_timeout`, until the corpus files hold only the `ingested` new
/// passages, i.e. Quickwit has applied the delete tasks of their old ones.
fn wait_for_deletes(
    client: &QuickwitClient,
    options: &UploadOptions,
    corpus_paths: &[String],
    ingested: u64,
    wait: WaitOptions,
) -> Result<Deletes, UploadError> {
    let started = Instant::now();
    loop {
        let found = corpus_passages(client, &options.index_id, corpus_paths).map_err(|error| {
            UploadError::NotSearchable {
                index_id: options.index_id.clone(),
                sent: format!(
                    "delete tasks for the old passages of {} files, and {ingested} new passages",
                    corpus_paths.len()
                ),
                reason: error.to_string(),
            }
        })?;
        if found <= ingested {
            return Ok(Deletes::Applied {
                after: started.elapsed(),
            });
        }
        if started.elapsed() + wait.poll_interval > wait.delete_timeout {
            return Ok(Deletes::Pending {
                old_passages: found - ingested,
                waited: started.elapsed(),
            });
        }
        std::thread::sleep(wait.poll_interval);
    }
}

#[derive(Debug, Default)]
struct IngestState {
    batches: usize,
    passages_sent: usize,
    ingested: u64,
    rejected: u64,
    rejected_batches: Vec<RejectedBatch>,
}

#[cfg(test)]
mod tests;
