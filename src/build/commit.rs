//! Writing: documents to the writer in batches, and the one tantivy commit that carries the
//! writer's work with the manifest and the acronym table it names (side files written before
//! it, removed after the next one); then the spelling table counted on the committed segments.

use crate::ingest::mapping::FieldMap;
use std::io::Write;
use std::path::Path;

use tantivy::IndexWriter;

use super::options::{canonical, sources_display};
use crate::error::IndexError;
use crate::extract::acronyms::{ACRONYMS_PREFIX, ACRONYMS_SUFFIX, AcronymTable};
use crate::extract::spelling::{SPELLINGS_PREFIX, SPELLINGS_SUFFIX, spellings_file};
use crate::index::IndexHandle;
use crate::manifest::{self, Manifest, Payload};

/// A searcher of the index's last commit, opened without a reload policy (the build reads it
/// once). Opening it checks every segment's files.
pub(super) fn committed_searcher(handle: &IndexHandle) -> Result<tantivy::Searcher, IndexError> {
    let reader: tantivy::IndexReader = handle
        .index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
        .map_err(tantivy_error(handle))?;
    Ok(reader.searcher())
}

pub(super) fn tantivy_error(
    handle: &IndexHandle,
) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    }
}

/// An error while adding documents or committing: nothing of this build reached the index.
pub(super) fn write_failed(error: IndexError) -> IndexError {
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
pub(super) fn probe_writable(dir: &Path) -> Result<(), IndexError> {
    let probe = dir.join(".newsdex-write-probe");
    let not_writable = |error| IndexError::NotWritable {
        path: dir.to_path_buf(),
        error,
    };
    std::fs::write(&probe, b"probe").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

/// Commits the writer's work together with its manifest, then waits for merges so that the
/// files on disk are final. The writer's last segment is written first, which frees its
/// arena, so that the arena and the packed manifest are not held at once; then the manifest
/// file, under a name no other manifest has; the payload that names it goes into
/// `meta.json` with the commit. Until tantivy renames the new `meta.json` into place, readers
/// see the previous commit and its manifest file, which is removed only after the commit.
pub fn commit_with_manifest(
    handle: &IndexHandle,
    mut writer: IndexWriter,
    sources: &[&Path],
    map: &FieldMap,
    manifest: &Manifest,
    acronyms: &AcronymTable,
) -> Result<(), IndexError> {
    let mut prepared = writer.prepare_commit().map_err(tantivy_error(handle))?;
    let payload = match store_payload_files(handle, sources, map, manifest, acronyms) {
        Ok(payload) => payload,
        Err(error) => {
            // Nothing is committed: the index stays as it was.
            let _ = prepared.abort();
            return Err(error);
        }
    };
    prepared.set_payload(&payload.to_json());
    prepared.commit().map_err(tantivy_error(handle))?;
    writer
        .wait_merging_threads()
        .map_err(tantivy_error(handle))?;
    remove_stale_manifests(handle, &payload.manifest_file, &payload.acronyms_file);
    Ok(())
}

/// Writes the files the commit's payload names (the manifest, the acronym table) and returns
/// the payload.
fn store_payload_files(
    handle: &IndexHandle,
    sources: &[&Path],
    map: &FieldMap,
    manifest: &Manifest,
    acronyms: &AcronymTable,
) -> Result<Payload, IndexError> {
    let manifest_file = store_manifest(handle, manifest)?;
    let shown = sources_display(sources);
    let mut payload = Payload::new(Path::new(&shown), manifest_file, manifest.files.len());
    payload.sources = sources.iter().map(|source| canonical(source)).collect();
    payload.mapping = map.fingerprint();
    payload.extras = map.extras().to_vec();
    if !acronyms.is_empty() {
        let (name, bytes) = acronyms.pack();
        payload.acronyms_file = store_side_file(handle, &name, &bytes)?;
    }
    Ok(payload)
}

/// Writes the manifest into the index directory (atomically: a temporary file renamed into
/// place) and returns its file name. An in-memory index keeps no manifest.
pub(super) fn store_manifest(
    handle: &IndexHandle,
    manifest: &Manifest,
) -> Result<String, IndexError> {
    if !handle.path.is_dir() {
        return Ok(String::new());
    }
    let (name, bytes) = manifest.pack();
    store_side_file(handle, &name, &bytes)
}

/// Writes a file of the commit into the index directory, atomically (a temporary file renamed
/// into place), and returns its name; an in-memory index keeps none.
pub(super) fn store_side_file(
    handle: &IndexHandle,
    name: &str,
    bytes: &[u8],
) -> Result<String, IndexError> {
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

/// Writes the spelling table of the committed index (`spellings-<key>.tsv`, keyed by the
/// segments it is counted on: `index::segments_key`) unless the file of that key is there, and
/// removes the tables of other segments. Run after the commit (and the merge of a full build),
/// and by a build that changed nothing, so that an index whose table is missing gets one.
/// A build stopped before this step leaves the index searchable, its entities shown as written.
pub(super) fn store_spellings(handle: &IndexHandle) -> Result<(), IndexError> {
    if !handle.path.is_dir() {
        return Ok(());
    }
    let searcher = committed_searcher(handle)?;
    let key = crate::index::segments_key(&searcher);
    let name = spellings_file(&key);
    if !handle.path.join(&name).is_file() {
        let table = crate::entity_stats::count_spellings(&searcher, &handle.fields)?;
        if !table.is_empty() {
            let (name, bytes) = table.pack(&key);
            store_side_file(handle, &name, &bytes)?;
        }
    }
    let Ok(entries) = std::fs::read_dir(&handle.path) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(SPELLINGS_PREFIX) && file.ends_with(SPELLINGS_SUFFIX) && file != name {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The manifest that `payload` names, or `None` when it is missing or unreadable.
pub fn load_manifest(handle: &IndexHandle, payload: &Payload) -> Option<Manifest> {
    if payload.manifest_file.is_empty() {
        return None;
    }
    let bytes = std::fs::read(handle.path.join(&payload.manifest_file)).ok()?;
    Manifest::unpack(&bytes).ok()
}

/// Removes the manifest files of earlier commits and of builds killed before their commit.
/// Best effort: a file left behind costs only disk space, and the next build tries again.
pub(super) fn remove_stale_manifests(handle: &IndexHandle, keep: &str, keep_acronyms: &str) {
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

/// Passages handed to the writer in one operation batch. tantivy queues up to 10,000 batches
/// for its indexing threads, and the build's workers make documents faster than one indexing
/// thread takes them: at 8 passages a batch 80,000 documents could wait in that queue (40 MB
/// more peak memory at a million synthetic passages, for no measurable CPU time); at one, no
/// more wait than when documents are added one by one.
pub(super) const PASSAGES_PER_BATCH: usize = 1;
