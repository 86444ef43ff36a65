//! Build stage: corpus folder + the manifest of the last commit -> one tantivy commit, reading
//! only new and changed files. It never prints (progress goes through `BuildObserver`), one bad
//! file or record never stops it, and it writes nothing outside tantivy's commit, so a build
//! killed at any moment leaves the previous commit as it was.
//!
//! One stream, one module per step: `plan` (walk, observe, plan against the manifest) ->
//! `predict` (a full build's corpus acronym table, from the passages that may define one) ->
//! `pipeline` (read in chunks on every core: parse, split passages, find entities, encode;
//! in order on the driver: the acronym hold, manifest entries, deletes by id) -> `sink` (the
//! `Sink` the stream feeds: `IndexSink`, the tantivy index, or the Quickwit NDJSON sink) ->
//! `hold` (articles waiting for the corpus acronym table, completed with it; articles
//! relabelled) -> `commit` (one commit with the manifest; then the spelling table of the
//! committed segments). `build_index` drives it into the index; `stream` runs it over a walked
//! corpus without a manifest (the Quickwit build and export). `read` reads one file into
//! articles (`inspect`, benches); `options` holds what a build is asked and answers.

mod budget;
mod commit;
mod hold;
mod options;
mod pipeline;
mod plan;
mod predict;
mod read;
mod sink;
mod stream;
#[cfg(test)]
mod tests;
mod work;

use commit::{
    commit_with_manifest, committed_searcher, load_manifest, probe_writable, store_spellings,
    tantivy_error, write_failed,
};
pub use hold::{HOLD_BYTES, acronyms_to_hold, corpus_table};
use hold::{Relabel, corpus_acronyms, labelled_with, release_held};
pub use options::{BuildObserver, BuildOptions, BuildReport, PlanSummary, Silent};
pub use pipeline::STREAM_ABOVE_BYTES;
use pipeline::{Accumulated, Pipeline, PipelineSizes};
use plan::{Planned, plan_files};
use predict::predicted_table;
pub use read::{
    FileArticles, field_map, process_file, process_file_with, record_place, skip_message,
};
pub use sink::{DocumentEncoder, Encoder, IndexSink, Item, Sink};
pub use stream::stream_corpus;
#[cfg(test)]
pub(crate) use stream::stream_corpus_holding;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use anyhow::bail;
use tantivy::Term;

use crate::error::IndexError;
use crate::extract::entities::EntityExtractor;
use crate::index::{self, last_payload};
use crate::manifest::{ChangeCounts, Manifest};

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
    // The writer lock first, so that a second build fails at once, before any work; the
    // writer itself, whose arena is what the rest of the build leaves of `--memory`, once the
    // walk has counted the files.
    let lock = index::build_lock(&handle)?;
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
        committed_searcher(&handle).map(drop)?;
    }
    // Without its manifest (lost, damaged, or never written) nothing is known to be indexed.
    let old_manifest = previous.and_then(|payload| load_manifest(&handle, &payload));
    let full_rebuild = old_manifest.is_none();
    let old_manifest = old_manifest.unwrap_or_default();
    // The acronym table of the last commit: its articles were labelled with it, and this
    // build's articles are labelled with it first (most builds leave it as it is).
    let old_acronyms = Arc::new(corpus_acronyms(extractor, &old_manifest));

    let Planned {
        files,
        observed,
        plan,
        report,
    } = plan_files(
        options,
        &map,
        &handle,
        &old_manifest,
        full_rebuild,
        observer,
    )?;
    let mut sizes = PipelineSizes::default();
    let budget = budget::share(options.memory_mb, files.len(), sizes.workers, !full_rebuild)?;
    sizes.hold_bytes = budget.hold_bytes;
    drop(lock);
    let writer = index::build_writer(&handle, budget.writer_mb)?;
    // A build killed before its commit leaves files that no commit names; the next build would
    // write some of them again under the same names (opstamps are replayed), so they go first.
    writer
        .garbage_collect_files()
        .wait()
        .map_err(tantivy_error(&handle))?;
    if full_rebuild {
        // Applied with the commit: a build that fails leaves the previous index as it was.
        writer
            .delete_all_documents()
            .map_err(tantivy_error(&handle))?;
        // Every segment is merged into one after the commit: merging some of them while the
        // build runs would only merge their documents twice.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }
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
    let (reading_extractor, hold_keys) = if full_rebuild {
        // Every article is read: its definitions are labelled first, and every article is
        // labelled with that table, held back for none.
        let kept = new_manifest.acronym_pairs();
        let table = predicted_table(extractor, &files, &to_read, &map, kept);
        let reading = extractor.clone().with_acronyms(Arc::new(table));
        (reading, Arc::new(rustc_hash::FxHashSet::default()))
    } else {
        let reading = extractor.clone().with_acronyms(old_acronyms.clone());
        let keys = acronyms_to_hold(extractor, &files, &to_read, &old_acronyms);
        (reading, Arc::new(keys))
    };
    let pipeline = Pipeline {
        files: &files,
        observed: &observed,
        old_manifest: &old_manifest,
        map: &map,
        extractor: &reading_extractor,
        hold_keys: &hold_keys,
        observer,
        sizes,
    };
    let mut acc = Accumulated {
        counts,
        report,
        manifest: new_manifest,
        ..Accumulated::default()
    };
    let mut sink = IndexSink::new(&handle, &writer);
    if let Err(error) = pipeline.run(&to_read, &mut acc, &mut sink) {
        // A batch the writer refused means one of its indexing threads stopped; its own error
        // (a full disk, say) comes out when its work is collected. Nothing is committed.
        drop(sink);
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
        written,
        hold,
        so_far: _,
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
    // Articles written with a table that resolves their acronyms otherwise are read again
    // from their files.
    let mut ids: HashSet<String> = written.differing(&acronyms).map(str::to_string).collect();
    if !changed.is_empty() && !full_rebuild {
        // A held article replaces its version of the last commit: it is labelled below.
        let in_last_commit = labelled_with(&handle, &changed, &old_acronyms)?;
        ids.extend(in_last_commit.into_iter().filter(|id| !hold.contains(id)));
    }
    report.articles_relabelled =
        release_held(&mut sink, hold, &changed, &labelling).map_err(write_failed)?;
    if !ids.is_empty() {
        let relabel = Relabel {
            files: &files,
            map: &map,
            extractor: &labelling,
        };
        report.articles_relabelled += relabel
            .run(&mut sink, &mut new_manifest, &ids)
            .map_err(write_failed)?;
    }
    sink.flush().map_err(write_failed)?;
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    let unchanged_payload = !full_rebuild && counts.is_nothing() && new_manifest == old_manifest;
    if unchanged_payload {
        // Nothing to write: dropping the writer rolls back and releases the lock. The spelling
        // table is written if the last build stopped before it.
        store_spellings(&handle)?;
        drop(writer);
    } else {
        commit_with_manifest(
            &handle,
            writer,
            &options.sources(),
            &map,
            &new_manifest,
            &acronyms,
        )
        .map_err(write_failed)?;
        if full_rebuild {
            // What the stream kept is written: its memory goes back before the merge, which
            // reads each segment's document store whole.
            drop((new_manifest, old_manifest, files, observed, plan, written));
            index::merge_segments(&handle)?;
        }
        // Counted on the committed (merged) segments, so after the commit: see `store_spellings`.
        store_spellings(&handle)?;
        index::share_files_as_created(&handle.path);
    }
    report.articles = counts.articles_added + counts.articles_updated;
    report.changes = counts;
    report.elapsed = started.elapsed();
    Ok(report)
}
