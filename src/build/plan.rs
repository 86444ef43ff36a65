//! Planning: the walk of the corpus -> the files observed (size, time) -> what to read again,
//! keep and remove against the last commit's manifest, with the walk's skips reported. A build
//! that would remove every file of another corpus is refused here, before any work.

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::options::{BuildObserver, BuildOptions, BuildReport, PlanSummary, canonical};
use super::read::{nanos_since_epoch, relative_to, skip_message};
use crate::error::IngestError;
use crate::index::{IndexHandle, last_payload};
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile, Format, SkipReason, Walk};
use crate::manifest::{self, Manifest, Observed, Payload, Plan};

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
    let (walk, unreadable_roots) = walk_sources(options)?;
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
                if matches!(skipped.reason, SkipReason::Unreadable(_))
                    && let Some((root, label)) = unreadable_roots
                        .iter()
                        .find(|(root, _)| skipped.path.starts_with(root))
                {
                    unreadable.push(format!("{label}{}", relative_to(root, &skipped.path)));
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
    let (files, observed) = observe_files(walk.files, observer, &mut report);

    let plan = manifest::plan(&observed, old_manifest, &unreadable);
    // A build that leaves out a source the index holds would silently remove all of its files.
    if !options.rebuild && !old_manifest.files.is_empty() && !plan.removed.is_empty() {
        let held = last_payload(handle)?
            // An index built before its sources were recorded knows its corpus only as given:
            // it is taken for another only when the build would remove every file.
            .filter(|payload| {
                !payload.sources.is_empty() || plan.removed.len() == old_manifest.files.len()
            });
        let new_sources = options.canonical_sources();
        let missing: Vec<String> = held
            .map(|payload| held_sources(&payload))
            .unwrap_or_default()
            .into_iter()
            .filter(|(canonical, _)| !new_sources.contains(canonical))
            .map(|(_, shown)| shown)
            .collect();
        if !missing.is_empty() {
            bail!(
                "the index at `{}` also holds `{}`, which this build does not name: it would remove {} of its {} files; name every source to keep them (`newsdex index build {} {}`), pass --rebuild to keep only `{}`, or --index to build another index (nothing was written)",
                handle.path.display(),
                missing.join("`, `"),
                plan.removed.len(),
                old_manifest.files.len(),
                options.corpus_display().replace(", ", " "),
                missing.join(" "),
                options.corpus_display(),
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

/// Each walked file's size and modification time, as the walk read them, for the manifest's
/// plan. A file whose path is not UTF-8 (an article id is text: a lossy conversion could merge
/// two names) is reported, counted and left out. (A file whose metadata the walk could not read
/// is a skip of the walk, kept as unreadable.)
pub(super) fn observe_files(
    walked: Vec<CorpusFile>,
    observer: &dyn BuildObserver,
    report: &mut BuildReport,
) -> (Vec<CorpusFile>, Vec<Observed>) {
    let mut files = Vec::with_capacity(walked.len());
    let mut observed = Vec::with_capacity(walked.len());
    for file in walked {
        if file.path.to_str().is_none() {
            let error = IngestError::new(
                &file.path,
                "the path is not valid UTF-8; rename the file to index it",
            );
            observer.error(&error);
            report.errors.push(error);
            continue;
        }
        observed.push(Observed {
            relative: file.relative.clone(),
            size: file.size,
            mtime_ns: nanos_since_epoch(file.modified),
        });
        files.push(file);
    }
    (files, observed)
}

/// The walk of every source of the build. With one, files are named relative to it; with
/// several, relative to their source, after its label (`label/`): the name of its folder or
/// file, numbered when two are alike. Also each source's root and label, for the paths of
/// files the walk could not read.
fn walk_sources(options: &BuildOptions) -> anyhow::Result<(Walk, Vec<(PathBuf, String)>)> {
    let sources = options.sources();
    if let [only] = sources.as_slice() {
        let walk = ingest::walk_corpus(only, &options.walk)?;
        return Ok((walk, vec![(only.to_path_buf(), String::new())]));
    }
    let mut walk = Walk::default();
    let mut roots = Vec::with_capacity(sources.len());
    let mut labels: Vec<String> = Vec::with_capacity(sources.len());
    for source in sources {
        let name = source
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "corpus".to_string());
        let mut label = name.clone();
        let mut n = 2;
        while labels.contains(&label) {
            label = format!("{name}-{n}");
            n += 1;
        }
        let mut one = ingest::walk_corpus(source, &options.walk)?;
        for file in &mut one.files {
            file.relative = format!("{label}/{}", file.relative);
        }
        walk.files.extend(one.files);
        walk.skipped.extend(one.skipped);
        roots.push((source.to_path_buf(), format!("{label}/")));
        labels.push(label);
    }
    Ok((walk, roots))
}

/// The sources an index holds: (canonical path, as the build named it).
fn held_sources(payload: &Payload) -> Vec<(String, String)> {
    if payload.sources.is_empty() {
        // An index built before sources were recorded: its one corpus, as given.
        return vec![(
            canonical(Path::new(&payload.corpus)),
            payload.corpus.clone(),
        )];
    }
    let shown: Vec<&str> = payload.corpus.split(", ").collect();
    payload
        .sources
        .iter()
        .enumerate()
        .map(|(idx, source)| {
            let name = shown.get(idx).map_or(source.as_str(), |shown| shown);
            (source.clone(), name.to_string())
        })
        .collect()
}
