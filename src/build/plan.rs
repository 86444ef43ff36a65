//! Planning: the walk of the corpus -> the files observed (size, time) -> what to read again,
//! keep and remove against the last commit's manifest, with the walk's skips reported. A build
//! that would remove every file of another corpus is refused here, before any work.

use anyhow::bail;

use super::options::{BuildObserver, BuildOptions, BuildReport, PlanSummary};
use super::read::{modified_ns, relative_to, skip_message};
use crate::error::IngestError;
use crate::index::{IndexHandle, last_payload};
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile, Format, SkipReason};
use crate::manifest::{self, Manifest, Observed, Plan};

/// The files of a build and what to do with each.
pub(super) struct Planned {
    /// The files the walk found that can be read, in walk order.
    pub(super) files: Vec<CorpusFile>,
    /// What was observed of each of `files`, at the same position.
    pub(super) observed: Vec<Observed>,
    pub(super) plan: Plan,
    /// The walk's skips and the files that could not be observed, so far.
    pub(super) report: BuildReport,
}

/// Walks the corpus and plans the build against `old_manifest`.
pub(super) fn plan_files(
    options: &BuildOptions,
    map: &FieldMap,
    handle: &IndexHandle,
    old_manifest: &Manifest,
    full_rebuild: bool,
    observer: &dyn BuildObserver,
) -> anyhow::Result<Planned> {
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
                    skip_message(&skipped.reason),
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

    let plan = manifest::plan(&observed, old_manifest, &unreadable);
    // Another folder built into an index that holds one would silently remove all of it.
    if !options.rebuild
        && !observed.is_empty()
        && !old_manifest.files.is_empty()
        && plan.removed.len() == old_manifest.files.len()
    {
        let held = last_payload(handle)?
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
    Ok(Planned {
        files,
        observed,
        plan,
        report,
    })
}
