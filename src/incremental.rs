//! Build stage, incremental: corpus folder + the manifest in the last commit -> only the
//! changed files read, their articles deleted and re-added, removed files' articles deleted,
//! and one tantivy commit that carries the new manifest in its payload. It never prints
//! (progress goes through `BuildObserver`), and it writes nothing outside tantivy's commit, so
//! a build killed at any moment leaves the previous commit as it was.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Instant, UNIX_EPOCH};

use rayon::prelude::*;
use tantivy::{IndexWriter, Term};

use anyhow::bail;

use crate::build::{
    BuildObserver, BuildOptions, BuildReport, FILES_PER_BATCH, add_article, field_map, process_file,
};
use crate::error::{IndexError, IngestError};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, IndexHandle};
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile, Format, SkipReason};
use crate::manifest::{self, ChangeCounts, FileEntry, Manifest, Observed, Payload};
use crate::model::{Article, Passage};

/// What the build is about to do, for the observer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub files_new: usize,
    pub files_to_check: usize,
    pub files_unchanged: usize,
    pub files_removed: usize,
    pub full_rebuild: bool,
}

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

/// The manifest of the last commit, or `None` when the index has none newsdex can use.
pub fn last_payload(handle: &IndexHandle) -> Result<Option<Payload>, IndexError> {
    let metas = handle.index.load_metas().map_err(tantivy_error(handle))?;
    Ok(metas.payload.as_deref().and_then(Payload::from_json))
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

/// The outcome of reading one planned file.
enum FileOutcome {
    /// Read, but its bytes hash as in the manifest: only size and time are updated.
    SameContent {
        entry: FileEntry,
    },
    Read {
        entry: FileEntry,
        articles: Vec<(Article, Vec<Passage>, u64)>,
        /// Records that could not be read; the others go in.
        errors: Vec<IngestError>,
        seen_fields: u64,
    },
    Failed(IngestError),
}

/// Reads a file whose size or time changed (or that is new), hashing its bytes first and
/// checking afterwards that it did not change while it was read.
fn read_planned(
    file: &CorpusFile,
    observed: &Observed,
    old: Option<&FileEntry>,
    map: &FieldMap,
    extractor: &EntityExtractor,
) -> FileOutcome {
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(error) => {
            return FileOutcome::Failed(IngestError::new(
                &file.path,
                format!("cannot read: {error}"),
            ));
        }
    };
    let hash = manifest::file_hash(&bytes);
    drop(bytes);
    if let Some(old) = old.filter(|old| old.hash == hash) {
        return FileOutcome::SameContent {
            entry: FileEntry {
                size: observed.size,
                mtime_ns: observed.mtime_ns,
                hash,
                articles: old.articles.clone(),
            },
        };
    }
    let mut read = process_file(file, map, extractor);
    if read.failed && read.articles.is_empty() {
        let error = read
            .errors
            .pop()
            .unwrap_or_else(|| IngestError::new(&file.path, "cannot read the file"));
        return FileOutcome::Failed(error);
    }
    // A file written to while it was read may have gone in half old, half new: report it and
    // keep what the index had, so that the next build reads it again.
    let changed = match std::fs::metadata(&file.path) {
        Ok(metadata) => {
            metadata.len() != observed.size || modified_ns(&metadata) != observed.mtime_ns
        }
        Err(_) => true,
    };
    if changed {
        return FileOutcome::Failed(IngestError::new(
            &file.path,
            "the file changed while it was read; run the build again",
        ));
    }
    let articles: Vec<_> = read
        .articles
        .into_iter()
        .map(|(article, passages)| {
            let article_hash = manifest::article_hash(&article);
            (article, passages, article_hash)
        })
        .collect();
    FileOutcome::Read {
        entry: FileEntry {
            size: observed.size,
            mtime_ns: observed.mtime_ns,
            hash,
            articles: articles
                .iter()
                .map(|(article, _, hash)| (article.id.clone(), *hash))
                .collect(),
        },
        articles,
        errors: read.errors,
        seen_fields: read.seen_fields,
    }
}

/// Builds or updates the index at `options.index` from the corpus at `options.corpus`:
/// incremental unless `options.rebuild` is set or the index has no manifest.
pub fn build_index(
    options: &BuildOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let map = field_map(options)?;
    let handle = index::open_or_create(&options.index, options.rebuild)?;
    // The writer lock first, so that a second build fails at once, before any work.
    let writer = index::writer(&handle, options.memory_mb)?;
    probe_writable(&handle.path)?;
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
    let full_rebuild = previous.is_none();
    let old_manifest = previous.map(|payload| payload.manifest).unwrap_or_default();
    if full_rebuild {
        // Applied with the commit: a build that fails leaves the previous index as it was.
        writer
            .delete_all_documents()
            .map_err(tantivy_error(&handle))?;
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
    let mut seen_fields = 0u64;
    let mut read_records = false;
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
    for batch in to_read.chunks(FILES_PER_BATCH) {
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|&index| {
                let file = &files[index];
                let old = old_manifest.files.get(&file.relative);
                let outcome = read_planned(file, &observed[index], old, &map, extractor);
                observer.progress(file.size);
                (index, outcome)
            })
            .collect();
        for (index, outcome) in outcomes {
            let file = &files[index];
            let old = old_manifest.files.get(&file.relative);
            match outcome {
                FileOutcome::SameContent { entry } => {
                    counts.files_unchanged += 1;
                    counts.articles_unchanged += entry.articles.len();
                    new_manifest.files.insert(file.relative.clone(), entry);
                }
                FileOutcome::Read {
                    entry,
                    articles,
                    errors,
                    seen_fields: seen,
                } => {
                    seen_fields |= seen;
                    read_records |=
                        matches!(file.format, Format::Json | Format::Jsonl | Format::Csv);
                    for error in errors {
                        observer.error(&error);
                        report.errors.push(error);
                    }
                    report.files_read += 1;
                    report.bytes += file.size;
                    apply_file(
                        &handle,
                        &writer,
                        old.map(|old| &old.articles),
                        articles,
                        &mut counts,
                        &mut report,
                        observer,
                    )
                    .map_err(write_failed)?;
                    new_manifest.files.insert(file.relative.clone(), entry);
                }
                FileOutcome::Failed(error) => {
                    // Nothing already indexed is lost: the old entry (if any) stays, and its
                    // size and time differ from the file's, so the next build reads it again.
                    if let Some(old) = old {
                        counts.articles_unchanged += old.articles.len();
                        new_manifest
                            .files
                            .insert(file.relative.clone(), old.clone());
                    }
                    observer.error(&error);
                    report.errors.push(error);
                }
            }
        }
    }

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
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    let unchanged_payload = !full_rebuild && counts.is_nothing() && new_manifest == old_manifest;
    if unchanged_payload {
        // Nothing to write: dropping the writer rolls back and releases the lock.
        drop(writer);
    } else {
        let mut payload = Payload::new(&options.corpus, new_manifest);
        payload.mapping = mapping;
        commit_with_payload(&handle, writer, &payload).map_err(write_failed)?;
        if full_rebuild {
            index::merge_segments(&handle)?;
        }
    }
    report.articles = counts.articles_added + counts.articles_updated;
    report.changes = counts;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Deletes and adds the articles of one file that was read, by comparing their hashes with
/// the manifest entry.
fn apply_file(
    handle: &IndexHandle,
    writer: &IndexWriter,
    old_articles: Option<&BTreeMap<String, u64>>,
    articles: Vec<(Article, Vec<Passage>, u64)>,
    counts: &mut ChangeCounts,
    report: &mut BuildReport,
    observer: &dyn BuildObserver,
) -> Result<(), IndexError> {
    let empty = BTreeMap::new();
    let old_articles = old_articles.unwrap_or(&empty);
    let ids: Vec<(String, u64)> = articles
        .iter()
        .map(|(article, _, hash)| (article.id.clone(), *hash))
        .collect();
    let diff = manifest::diff_articles(old_articles, &ids);
    if old_articles.is_empty() {
        counts.files_added += 1;
    } else {
        counts.files_updated += 1;
    }
    for id in diff.removed.iter().chain(&diff.updated) {
        writer.delete_term(Term::from_field_text(handle.fields.article_id, id));
    }
    counts.articles_removed += diff.removed.len();
    counts.articles_updated += diff.updated.len();
    counts.articles_added += diff.added.len();
    counts.articles_unchanged += diff.unchanged.len();
    let unchanged: std::collections::HashSet<&str> =
        diff.unchanged.iter().map(String::as_str).collect();
    for (article, passages, _) in &articles {
        if unchanged.contains(article.id.as_str()) {
            continue;
        }
        add_article(handle, writer, article, passages)?;
        report.text_bytes +=
            article.title.len() as u64 + passages.iter().map(|p| p.text.len() as u64).sum::<u64>();
        for warning in &article.warnings {
            observer.warning(&article.path.to_string_lossy(), warning);
            report.warnings += 1;
        }
        report.passages += passages.len();
    }
    Ok(())
}

/// Commits the writer's work together with the payload, then waits for merges so that the
/// files on disk are final. Until tantivy renames the new `meta.json` into place, readers see
/// the previous commit, payload included.
pub fn commit_with_payload(
    handle: &IndexHandle,
    mut writer: IndexWriter,
    payload: &Payload,
) -> Result<(), IndexError> {
    let mut prepared = writer.prepare_commit().map_err(tantivy_error(handle))?;
    prepared.set_payload(&payload.to_json());
    prepared.commit().map_err(tantivy_error(handle))?;
    writer.wait_merging_threads().map_err(tantivy_error(handle))
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

    #[test]
    fn a_file_whose_bytes_hash_as_before_is_not_parsed_again() {
        let dir = tempfile::tempdir().unwrap();
        let text = " date 2024-01-02 Serbia builds shells.";
        let (file, observed) = corpus_file(dir.path(), text);
        let extractor = EntityExtractor::builtin();
        let old = FileEntry {
            size: 1,
            mtime_ns: 1,
            hash: manifest::file_hash(text.as_bytes()),
            articles: [("a.txt".to_string(), 42)].into_iter().collect(),
        };
        match read_planned(
            &file,
            &observed,
            Some(&old),
            &FieldMap::default(),
            &extractor,
        ) {
            FileOutcome::SameContent { entry } => {
                assert_eq!(entry.size, observed.size);
                assert_eq!(entry.mtime_ns, observed.mtime_ns);
                assert_eq!(entry.articles, old.articles);
            }
            _ => panic!("expected the same content"),
        }
        match read_planned(&file, &observed, None, &FieldMap::default(), &extractor) {
            FileOutcome::Read {
                entry, articles, ..
            } => {
                assert_eq!(articles.len(), 1);
                assert_eq!(entry.articles.len(), 1);
                assert_eq!(entry.hash, old.hash);
            }
            _ => panic!("expected the file to be read"),
        }
    }

    #[test]
    fn a_file_that_changed_while_it_was_read_is_reported_and_not_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let (file, mut observed) =
            corpus_file(dir.path(), " date 2024-01-02 Serbia builds shells.");
        // The walk saw an older version of the file than the one that was read.
        observed.mtime_ns -= 1_000_000_000;
        let extractor = EntityExtractor::builtin();
        match read_planned(&file, &observed, None, &FieldMap::default(), &extractor) {
            FileOutcome::Failed(error) => {
                assert_eq!(error.path, file.path);
                assert!(
                    error.reason.contains("changed while it was read"),
                    "{error}"
                );
            }
            _ => panic!("expected a failure"),
        }
    }

    #[test]
    fn relative_paths_use_slashes_and_the_root_is_empty() {
        let root = Path::new("/corpus");
        assert_eq!(relative_to(root, Path::new("/corpus/a/b.txt")), "a/b.txt");
        assert_eq!(relative_to(root, root), "");
    }
}
