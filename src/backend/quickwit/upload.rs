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
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::super::client::ClientOptions;
    use super::super::replay::{Canned, ReceivedRequest, ReplayServer, Route};
    use super::*;
    use crate::build::Silent;

    fn corpus() -> tempfile::TempDir {
        let corpus = tempfile::tempdir().unwrap();
        for idx in 0..4 {
            std::fs::write(
                corpus.path().join(format!("a{idx}.md")),
                format!(
                    "# Report {idx}\n\nSerbian shells were exported to Ukraine.\n\nNATO said little.\n"
                ),
            )
            .unwrap();
        }
        corpus
    }

    fn options(corpus: &std::path::Path, rebuild: bool) -> UploadOptions {
        UploadOptions {
            corpus: corpus.to_path_buf(),
            walk: WalkOptions::default(),
            index_id: "news".to_string(),
            rebuild,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_batch_docs: 3,
            fields: Vec::new(),
            wait: Some(fast_wait()),
        }
    }

    fn fast_wait() -> WaitOptions {
        WaitOptions {
            commit_timeout: Duration::from_secs(5),
            delete_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(10),
        }
    }

    /// `POST /api/v1/news/search` answered with a count of `n_hits`.
    fn count(n_hits: u64) -> Canned {
        Canned::new(
            200,
            json!({"num_hits": n_hits, "hits": [], "elapsed_time_micros": 1, "errors": []})
                .to_string(),
        )
    }

    /// A replay server holding an index `news` of newsdex's mapping: delete tasks are
    /// accepted, ingests answered with 3 documents each, counts with `counts` in turn.
    fn existing_news_server(counts: Vec<Canned>) -> ReplayServer {
        let names: Vec<&str> = mapping::index_config("news")
            .doc_mapping
            .field_mappings
            .iter()
            .map(|field| field.name)
            .collect();
        ReplayServer::start(vec![
            existing_index(&names),
            Route::new(
                "POST",
                "/api/v1/news/delete-tasks",
                vec![Canned::new(
                    200,
                    json!({"create_timestamp": 1, "opstamp": 1, "delete_query": {}}).to_string(),
                )],
            ),
            Route::ingest("news", vec![Canned::ingested(3, 0)]),
            Route::search("news", counts),
        ])
        .unwrap()
    }

    #[test]
    fn only_the_last_batch_waits_for_its_commit() {
        let corpus = corpus();
        let server = news_server(vec![Canned::ingested(3, 0)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        let targets: Vec<String> = server
            .received()
            .into_iter()
            .filter(|r| r.target.contains("/ingest"))
            .map(|r| r.target)
            .collect();
        assert!(targets.len() >= 2, "{targets:?}");
        let (last, earlier) = targets.split_last().unwrap();
        assert_eq!(last, "/api/v1/news/ingest?commit=wait_for");
        assert!(
            earlier.iter().all(|t| t == "/api/v1/news/ingest"),
            "{targets:?}"
        );
        assert!(matches!(
            report.visibility,
            Visibility::Searchable {
                deletes: Deletes::None,
                ..
            }
        ));
        // --no-wait: nothing waits, and the report says so.
        let server = news_server(vec![Canned::ingested(3, 0)]);
        let client = QuickwitClient::new(&server.url(), ClientOptions::default());
        let mut no_wait = options(corpus.path(), false);
        no_wait.wait = None;
        let report = upload(&no_wait, &EntityExtractor::builtin(), &client, &Silent).unwrap();
        assert_eq!(report.visibility, Visibility::NotWaited);
        assert!(
            server
                .received()
                .iter()
                .all(|r| !r.target.contains("commit"))
        );
    }

    #[test]
    fn a_server_that_never_commits_ends_the_wait_with_a_clear_message() {
        let corpus = corpus();
        // The only batch waits for a commit that does not come within the bound.
        let server = news_server(vec![
            Canned::ingested(8, 0).delayed(Duration::from_millis(1500)),
        ]);
        let client = QuickwitClient::new(&server.url(), ClientOptions::default());
        let mut options = options(corpus.path(), false);
        options.max_batch_docs = MAX_BATCH_DOCS;
        options.wait = Some(WaitOptions {
            commit_timeout: Duration::from_millis(300),
            ..fast_wait()
        });
        let error = upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("gave up waiting for Quickwit index `news` to make what was sent searchable (8 passages in 1 ingest requests, the last with commit=wait_for): Quickwit at "),
            "{message}"
        );
        assert!(message.contains("did not answer within 0.3 s"), "{message}");
        assert!(message.contains("--no-wait"), "{message}");
    }

    #[test]
    fn an_update_waits_until_the_delete_tasks_are_applied() {
        let corpus = corpus();
        // Old and new passages, then the new ones only.
        let server = existing_news_server(vec![count(17), count(17), count(9)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        assert_eq!(report.ingested, 9);
        assert!(
            matches!(
                report.visibility,
                Visibility::Searchable {
                    deletes: Deletes::Applied { .. },
                    ..
                }
            ),
            "{:?}",
            report.visibility
        );
        let received = server.received();
        let counts: Vec<&ReceivedRequest> = received
            .iter()
            .filter(|r| r.target.ends_with("/search"))
            .collect();
        assert_eq!(counts.len(), 3);
        let sent: serde_json::Value = serde_json::from_str(&counts[0].body).unwrap();
        assert_eq!(
            sent,
            json!({"query": "path:\"a0.md\" OR path:\"a1.md\" OR path:\"a2.md\" OR path:\"a3.md\"",
                   "max_hits": 0, "count_all": true})
        );
        // Every count comes after the last batch was committed.
        let last_ingest = received
            .iter()
            .rposition(|r| r.target.contains("/ingest"))
            .unwrap();
        assert!(received[last_ingest].target.ends_with("commit=wait_for"));
        assert!(
            received
                .iter()
                .position(|r| r.target.ends_with("/search"))
                .unwrap()
                > last_ingest
        );
    }

    #[test]
    fn delete_tasks_still_pending_at_the_bound_are_reported_not_waited_for_forever() {
        let corpus = corpus();
        let server = existing_news_server(vec![count(17)]);
        let client = QuickwitClient::new(&server.url(), ClientOptions::default());
        let mut options = options(corpus.path(), false);
        options.wait = Some(WaitOptions {
            delete_timeout: Duration::from_millis(200),
            ..fast_wait()
        });
        let report = upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap();
        let Visibility::Searchable {
            deletes: Deletes::Pending { old_passages, .. },
            ..
        } = report.visibility
        else {
            panic!("{:?}", report.visibility)
        };
        assert_eq!(old_passages, 8);
    }

    /// Uploads `corpus` to index `news` on `url`, with batches of 3 passages and short backoffs.
    fn upload_to(
        url: &str,
        corpus: &std::path::Path,
        rebuild: bool,
    ) -> Result<UploadReport, UploadError> {
        let client = QuickwitClient::new(
            url,
            ClientOptions {
                backoff: Duration::from_millis(5),
                ..ClientOptions::default()
            },
        );
        upload(
            &options(corpus, rebuild),
            &EntityExtractor::builtin(),
            &client,
            &Silent,
        )
    }

    /// `GET /api/v1/indexes/news`, answered with an index of these field names.
    fn existing_index(field_names: &[&str]) -> Route {
        let fields: Vec<_> = field_names
            .iter()
            .map(|name| json!({"name": name}))
            .collect();
        let metadata = json!({"index_uid": "news:01", "index_config": {"doc_mapping": {"field_mappings": fields}}});
        Route::new(
            "GET",
            "/api/v1/indexes/news",
            vec![Canned::new(200, metadata.to_string())],
        )
    }

    /// Every document `server` was sent to ingest, in the order it received them.
    fn ingested_documents(server: &ReplayServer) -> Vec<serde_json::Value> {
        server
            .received()
            .into_iter()
            .filter(|r| r.target.contains("/ingest"))
            .flat_map(|r| {
                r.body
                    .lines()
                    .map(|line| serde_json::from_str(line).unwrap())
                    .collect::<Vec<serde_json::Value>>()
            })
            .collect()
    }

    /// A replay server on which the index `news` is created and each ingest gets the next of
    /// `replies`.
    fn news_server(replies: Vec<Canned>) -> ReplayServer {
        ReplayServer::start(vec![
            Route::create_index("news"),
            Route::ingest("news", replies),
        ])
        .unwrap()
    }

    #[test]
    fn creates_the_index_then_ingests_bounded_batches() {
        let corpus = corpus();
        let server = news_server(vec![Canned::ingested(3, 0)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        assert_eq!(report.action, IndexAction::Created);
        let received = server.received();
        assert_eq!(received[0].method, "GET");
        assert_eq!(
            received[1].content_type.as_deref(),
            Some("application/yaml")
        );
        assert!(received[1].body.contains("index_id: news"));
        let ingests: Vec<_> = received
            .iter()
            .filter(|r| r.target.contains("ingest"))
            .collect();
        let n_lines: usize = ingests.iter().map(|r| r.body.lines().count()).sum();
        assert_eq!(n_lines, report.build.passages);
        assert!(ingests.iter().all(|r| r.body.lines().count() <= 3));
        assert!(ingests.iter().all(|r| !r.target.contains("commit=force")));
        assert_eq!(report.batches, ingests.len());
        assert!(report.is_complete());
    }

    #[test]
    fn field_overrides_and_the_given_extractor_shape_the_documents() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(
            corpus.path().join("feed.jsonl"),
            r#"{"headline": "Shells", "story": "Zorblax Industries sold shells.", "when": "2024-03-28", "date": "1999-01-01"}"#,
        )
        .unwrap();
        let entities = corpus.path().join("entities.tsv");
        std::fs::write(&entities, "Zorblax Industries\torganisation\tZorblax\n").unwrap();
        let extractor = EntityExtractor::from_option(Some(entities.as_path())).unwrap();
        let server = news_server(vec![Canned::ingested(1, 0)]);
        let mut options = options(corpus.path(), false);
        options.fields = ["date=when", "body=story"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let client = QuickwitClient::new(&server.url(), ClientOptions::default());
        let report = upload(&options, &extractor, &client, &Silent).unwrap();
        assert!(report.is_complete());
        let documents = ingested_documents(&server);
        assert!(
            documents
                .iter()
                .all(|d| d["date"] == "2024-03-28T00:00:00Z")
        );
        assert!(documents.iter().any(|d| {
            d["entity_labels"]
                .as_array()
                .unwrap()
                .contains(&json!("organisation:Zorblax Industries"))
        }));
    }

    /// a.md and c.md use ICCO; b.md, read between them, defines it; d.md names no acronym.
    fn acronym_corpus() -> tempfile::TempDir {
        let corpus = tempfile::tempdir().unwrap();
        for (name, text) in [
            (
                "a.md",
                "# Cocoa\n\nThe ICCO council met in London on Tuesday.\n",
            ),
            (
                "b.md",
                "# Pact\n\nThe International Cocoa Organization (ICCO) agreed on a buffer stock.\n",
            ),
            (
                "c.md",
                "# Stocks\n\nThe ICCO buffer stock manager bought cocoa.\n",
            ),
            ("d.md", "# Markets\n\nPrices rose in Belgrade.\n"),
        ] {
            std::fs::write(corpus.path().join(name), text).unwrap();
        }
        corpus
    }

    /// The entity labels of the documents of `path` among NDJSON `documents`.
    fn labels_of(documents: &[serde_json::Value], path: &str) -> Vec<String> {
        documents
            .iter()
            .filter(|d| d["path"] == path)
            .flat_map(|d| d["entity_labels"].as_array().cloned().unwrap_or_default())
            .map(|label| label.as_str().unwrap().to_string())
            .collect()
    }

    /// The documents `encode_corpus_holding` makes of `corpus`, in the order it sends them.
    fn encoded(corpus: &std::path::Path, hold_bytes: usize) -> Vec<serde_json::Value> {
        let walk = ingest::walk_corpus(corpus, &WalkOptions::default()).unwrap();
        let map = corpus_field_map(corpus, &[]).unwrap();
        let mut documents = Vec::new();
        encode_corpus_holding(
            walk,
            &map,
            &EntityExtractor::builtin(),
            &Silent,
            hold_bytes,
            |line, _| {
                documents.push(serde_json::from_str(&line).unwrap());
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        documents
    }

    /// The one label of b.md's long form, "kind:International Cocoa Organization".
    fn long_form(documents: &[serde_json::Value]) -> String {
        let labels = labels_of(documents, "b.md");
        let long: Vec<&String> = labels
            .iter()
            .filter(|label| label.ends_with(":International Cocoa Organization"))
            .collect();
        assert_eq!(long.len(), 1, "{labels:?}");
        long[0].clone()
    }

    #[test]
    fn an_acronym_another_file_defines_resolves_through_the_corpus_table() {
        let corpus = acronym_corpus();
        let server = news_server(vec![Canned::ingested(1, 0)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        assert!(report.is_complete());
        let documents = ingested_documents(&server);
        let long_form = long_form(&documents);
        for path in ["a.md", "c.md"] {
            let used = labels_of(&documents, path);
            assert!(used.contains(&long_form), "{path}: {used:?}");
            assert!(
                !used.iter().any(|label| label.ends_with(":ICCO")),
                "{used:?}"
            );
        }
        // The articles that use the acronym wait for the table; the others do not.
        let order: Vec<&str> = documents
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["b.md", "d.md", "a.md", "c.md"]);
    }

    #[test]
    fn past_the_hold_budget_an_article_takes_the_table_of_the_files_read_before_it() {
        let corpus = acronym_corpus();
        let documents = encoded(corpus.path(), 0);
        let order: Vec<&str> = documents
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(order, ["a.md", "b.md", "c.md", "d.md"]);
        let long_form = long_form(&documents);
        // a.md comes before the definition: its acronym stays as written.
        let first = labels_of(&documents, "a.md");
        assert!(
            first.iter().any(|label| label.ends_with(":ICCO")),
            "{first:?}"
        );
        assert!(!first.contains(&long_form), "{first:?}");
        assert!(labels_of(&documents, "c.md").contains(&long_form));
        // With room to hold them, both wait for the whole table.
        let documents = encoded(corpus.path(), HOLD_BYTES);
        assert!(labels_of(&documents, "a.md").contains(&long_form));
    }

    #[test]
    fn rejected_documents_are_counted_with_their_articles() {
        let corpus = corpus();
        let server = news_server(vec![Canned::ingested(3, 2), Canned::ingested(3, 0)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        assert_eq!(report.rejected, 2);
        assert!(!report.is_complete());
        assert_eq!(report.rejected_batches.len(), 1);
        assert_eq!(report.rejected_batches[0].article_paths[0], "a0.md");
    }

    #[test]
    fn an_existing_index_gets_delete_tasks_before_new_passages() {
        let corpus = corpus();
        let server = existing_news_server(vec![count(9)]);
        let report = upload_to(&server.url(), corpus.path(), false).unwrap();
        assert_eq!(report.action, IndexAction::Updated { delete_tasks: 1 });
        let received = server.received();
        assert!(received[1].target.ends_with("/delete-tasks"));
        assert_eq!(
            received[1].body,
            r#"{"query":"path:\"a0.md\" OR path:\"a1.md\" OR path:\"a2.md\" OR path:\"a3.md\""}"#
        );
        assert!(received[2].target.ends_with("/ingest"));
    }

    #[test]
    fn an_index_of_another_mapping_is_refused_and_rebuild_replaces_it() {
        let corpus = corpus();
        let server = ReplayServer::start(vec![
            existing_index(&["body"]),
            Route::new(
                "DELETE",
                "/api/v1/indexes/news",
                vec![Canned::new(200, "[]")],
            ),
            Route::create_index("news"),
            Route::ingest("news", vec![Canned::ingested(3, 0)]),
        ])
        .unwrap();
        let error = upload_to(&server.url(), corpus.path(), false).unwrap_err();
        assert!(error.to_string().contains("--rebuild"), "{error}");
        assert!(
            !server
                .received()
                .iter()
                .any(|r| r.target.contains("ingest"))
        );
        let report = upload_to(&server.url(), corpus.path(), true).unwrap();
        assert_eq!(report.action, IndexAction::Recreated);
        assert!(server.received().iter().any(|r| r.method == "DELETE"));
    }

    #[test]
    fn a_server_that_is_down_fails_before_anything_is_read() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let corpus = corpus();
        let error = upload_to(&url, corpus.path(), false).unwrap_err();
        assert!(error.to_string().contains(&url), "{error}");
    }
}
