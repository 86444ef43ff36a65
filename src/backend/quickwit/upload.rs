//! Quickwit build: corpus -> the build's stream (`build::stream_corpus`: the local build's
//! pipeline and acronym hold) -> `NdjsonSink`, the stream's second sink (documents encoded on
//! its workers) -> NDJSON batches of bounded size -> a Quickwit index newsdex created from its
//! own mapping.
//! Replaces changed files through delete tasks (asynchronous) or the whole index with
//! `rebuild`. Reports rejected documents by article path; prints nothing itself.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::build::{BuildObserver, BuildReport, Encoder, Sink, stream_corpus};
use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::ingest::mapping::{CorpusConfig, FieldMap, FieldOverride};
use crate::ingest::{self, Walk, WalkOptions};
use crate::model::{Article, Entity, ExtraField, Passage};

use super::client::{Commit, QuickwitClient, QuickwitError};
use super::document::{
    Analysers, Batch, Batcher, QuickwitDocument, encode_article_without_entities, set_entities,
    to_ndjson_line,
};
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
    /// `--extra NAME[:TYPE]`: record fields kept as fields of their own.
    pub extras: Vec<ExtraField>,
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
    extras: &[ExtraField],
) -> Result<FieldMap, IngestError> {
    let config = CorpusConfig::load(corpus)?;
    FieldMap::new(overrides, extras, config.as_ref())
        .map_err(|reason| IngestError::new(corpus, reason))
}

/// Runs the build's stream (`build::stream_corpus`) over the walked corpus and hands each
/// document, as an NDJSON line, to `send` with its article's path. Files that cannot be read
/// are reported and counted, never fatal.
pub fn encode_corpus<E>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    send: impl FnMut(String, &str) -> Result<(), E>,
) -> Result<BuildReport, E> {
    let mut sink = NdjsonSink { send };
    stream_corpus(walk, map, extractor, observer, &mut sink)
}

/// The Quickwit sink: each passage as the NDJSON line of its document, handed to `send` with
/// its article's path. Quickwit deletes whole files (delete tasks, before the stream), never
/// an article by id.
pub(super) struct NdjsonSink<F> {
    pub(super) send: F,
}

impl<F, E> Sink for NdjsonSink<F>
where
    F: FnMut(String, &str) -> Result<(), E>,
{
    type Encoder = NdjsonEncoder;
    type Error = E;

    fn encoder(&self) -> NdjsonEncoder {
        NdjsonEncoder(Analysers::default())
    }

    fn add(&mut self, documents: Vec<QuickwitDocument>) -> Result<(), E> {
        for document in documents {
            (self.send)(to_ndjson_line(&document), &document.path)?;
        }
        Ok(())
    }

    /// A stream without a manifest never deletes.
    fn delete(&mut self, _id: &str) -> Result<(), E> {
        Ok(())
    }

    fn flush(&mut self) -> Result<(), E> {
        Ok(())
    }
}

/// Passages -> Quickwit documents, analysed (`document::encode`).
pub struct NdjsonEncoder(Analysers);

impl Encoder for NdjsonEncoder {
    type Item = Vec<QuickwitDocument>;

    fn encode(&mut self, article: &Article, passages: &[Passage]) -> Vec<QuickwitDocument> {
        encode_article_without_entities(&mut self.0, article, passages)
    }

    fn complete(
        &mut self,
        documents: &mut Vec<QuickwitDocument>,
        entities: &[Vec<Entity>],
        _url: Option<&str>,
    ) {
        for (document, entities) in documents.iter_mut().zip(entities) {
            set_entities(&mut self.0, document, entities);
        }
    }

    /// Each passage's text three times (as written and analysed twice) and the title
    /// `2 + TITLE_WEIGHT` times per document, with a few words per value.
    fn hold(
        &self,
        article: &Article,
        documents: &mut Vec<QuickwitDocument>,
        text_bytes: u64,
    ) -> usize {
        let title = article.title.len();
        let per_document = 2 * article.id.len()
            + article.path.as_os_str().len()
            + title * (2 + crate::index::TITLE_WEIGHT)
            + 16 * 16;
        let texts = usize::try_from(text_bytes.saturating_sub(title as u64))
            .map_or(usize::MAX, |bytes| bytes.saturating_mul(3));
        documents.len() * per_document + texts
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
    extras: &[ExtraField],
) -> Result<IndexAction, UploadError> {
    let config = mapping::index_config_with(&options.index_id, extras);
    let config_yaml = mapping::to_yaml(&config);
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
            let missing: Vec<&str> = config
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
    let map = corpus_field_map(&options.corpus, &options.fields, &options.extras)?;
    let corpus_paths: Vec<String> = walk.files.iter().map(|f| f.relative.clone()).collect();
    let action = prepare_index(client, options, &corpus_paths, map.extras())?;
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
