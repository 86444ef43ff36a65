//! Index stage: `Passage` -> tantivy document, and the index's lifecycle on disk: create, open,
//! check the schema version, write and commit. The only place that writes to the index.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::directory::Directory;
use tantivy::schema::{Schema, Value};
use tantivy::{DateTime, Index, IndexWriter, TantivyDocument};

use crate::analysis::analyse_english_on_thread;
use crate::error::IndexError;
use crate::extract::spelling::Spellings;
use crate::index::directory::{IndexDirectory, Use};
use crate::model::{Article, Entity, Passage};
use crate::schema::{Fields, SCHEMA_VERSION, build_schema, fields_of, register_tokenizers};

mod directory;
pub mod extra;
mod payload;
mod pieces;
mod unmapped;
pub use payload::{acronyms_of, last_payload, load_acronyms};

/// The file beside tantivy's own that records which newsdex wrote the index.
const VERSION_FILE: &str = "newsdex.json";

#[derive(Debug, Serialize, Deserialize)]
struct VersionStamp {
    schema_version: u32,
    newsdex_version: String,
}

/// An opened index with its field handles.
#[derive(Clone)]
pub struct IndexHandle {
    pub index: Index,
    pub fields: Fields,
    pub path: PathBuf,
}

/// What a directory holds, from newsdex's point of view.
#[derive(Debug, PartialEq, Eq)]
enum DirState {
    Absent,
    /// Exists and holds nothing but hidden files (such as a `.gitkeep`).
    Empty,
    Index,
    Foreign,
}

fn dir_state(path: &Path) -> Result<DirState, IndexError> {
    let io_error = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !path.exists() {
        return Ok(DirState::Absent);
    }
    if !path.is_dir() {
        return Ok(DirState::Foreign);
    }
    if path.join("meta.json").is_file() {
        return Ok(DirState::Index);
    }
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            return Ok(DirState::Foreign);
        }
    }
    Ok(DirState::Empty)
}

/// True when `path` holds a newsdex (tantivy) index, whatever its version.
pub fn index_exists(path: &Path) -> bool {
    matches!(dir_state(path), Ok(DirState::Index))
}

fn tantivy_error(path: &Path) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |source| IndexError::Tantivy {
        path: path.to_path_buf(),
        source,
    }
}

fn read_version(path: &Path) -> u32 {
    // The payload of the last commit is authoritative: it changes atomically with the
    // index. `newsdex.json`, written when the index is created, covers a never-committed index.
    if let Some(version) = crate::manifest::payload_version(path) {
        return version;
    }
    // A first build killed between creating the index and writing `newsdex.json` left an
    // empty index: nothing in it can be of another version.
    if crate::manifest::never_committed(path) && !path.join(VERSION_FILE).exists() {
        return SCHEMA_VERSION;
    }
    std::fs::read_to_string(path.join(VERSION_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<VersionStamp>(&text).ok())
        .map_or(0, |stamp| stamp.schema_version)
}

fn write_version(path: &Path) -> Result<(), IndexError> {
    let stamp = VersionStamp {
        schema_version: SCHEMA_VERSION,
        newsdex_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let text = serde_json::to_string_pretty(&stamp).expect("a version stamp always serialises");
    std::fs::write(path.join(VERSION_FILE), text).map_err(|source| IndexError::Io {
        path: path.join(VERSION_FILE),
        source,
    })
}

fn handle(index: Index, path: &Path) -> Result<IndexHandle, IndexError> {
    register_tokenizers(&index);
    let fields = fields_of(&index.schema()).map_err(|_| IndexError::Version {
        path: path.to_path_buf(),
        found: read_version(path),
        expected: SCHEMA_VERSION,
    })?;
    Ok(IndexHandle {
        index,
        fields,
        path: path.to_path_buf(),
    })
}

/// The key of the segments a tantivy searcher reads, and of the spelling table counted on them
/// (`spellings-<key>.tsv`): a hash of each segment's id and deleted passages. A segment id
/// names one immutable segment, and the key changes with every new segment, merge or delete,
/// so a table is never read for other passages than it was counted on.
pub fn segments_key(searcher: &tantivy::Searcher) -> String {
    let mut segments: Vec<(String, u32)> = searcher
        .segment_readers()
        .iter()
        .map(|segment| {
            (
                segment.segment_id().uuid_string(),
                segment.num_deleted_docs(),
            )
        })
        .collect();
    segments.sort();
    let mut bytes = Vec::with_capacity(segments.len() * 40);
    for (id, deleted) in &segments {
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&deleted.to_le_bytes());
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&bytes))
}

/// The spelling table of the segments a tantivy searcher reads: the file of their key, or an
/// empty table when there is none (an index in memory, a build stopped between its commit and
/// the table, an index written before tables existed: entities are then shown as written).
pub fn load_spellings(handle: &IndexHandle, searcher: &tantivy::Searcher) -> Spellings {
    let name = crate::extract::spelling::spellings_file(&segments_key(searcher));
    std::fs::read(handle.path.join(name))
        .ok()
        .and_then(|bytes| Spellings::unpack(bytes).ok())
        .unwrap_or_default()
}

/// Opens an existing index for reading, checking that this newsdex can read it.
pub fn open_index(path: &Path) -> Result<IndexHandle, IndexError> {
    match dir_state(path)? {
        DirState::Absent | DirState::Empty => return Err(IndexError::Missing(path.to_path_buf())),
        DirState::Foreign => return Err(IndexError::NotAnIndex(path.to_path_buf())),
        DirState::Index => {}
    }
    let found = read_version(path);
    if found != SCHEMA_VERSION {
        return Err(IndexError::Version {
            path: path.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    let directory = IndexDirectory::open(path, Use::Search).map_err(|error| IndexError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let index = Index::open(directory).map_err(tantivy_error(path))?;
    handle(index, path)
}

/// Gives the files a commit writes through temporary files (`meta.json`, `.managed.json`, the
/// manifest, the acronym and spelling tables, created owner-only) the permissions of the index's
/// `newsdex.json`, which was created as any file is, under the user's umask: so an index that
/// another account (a web server's) may read is readable whole. Best effort: a file whose mode
/// cannot be changed keeps it.
pub fn share_files_as_created(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(reference) = std::fs::metadata(path.join(VERSION_FILE)) else {
            return;
        };
        let mode = reference.permissions().mode() & 0o666;
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let written_privately = name == "meta.json"
                || name == ".managed.json"
                || name.starts_with("manifest-")
                || name.starts_with("acronyms-")
                || name.starts_with(crate::extract::spelling::SPELLINGS_PREFIX);
            if !written_privately {
                continue;
            }
            if let Ok(metadata) = entry.metadata()
                && metadata.permissions().mode() & 0o777 != mode
            {
                let _ =
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode));
            }
        }
    }
}

/// Opens the index at `path` for writing, creating it when the directory is absent or empty.
/// An index of another schema version is replaced only when `replace_incompatible` is set.
pub fn open_or_create(path: &Path, replace_incompatible: bool) -> Result<IndexHandle, IndexError> {
    match dir_state(path)? {
        DirState::Foreign => return Err(IndexError::NotAnIndex(path.to_path_buf())),
        DirState::Index => {
            let found = read_version(path);
            if found == SCHEMA_VERSION {
                let index =
                    Index::open(index_directory(path, Use::Build)?).map_err(tantivy_error(path))?;
                return handle(index, path);
            }
            if !replace_incompatible {
                return Err(IndexError::Version {
                    path: path.to_path_buf(),
                    found,
                    expected: SCHEMA_VERSION,
                });
            }
            remove_index_files(path)?;
        }
        DirState::Absent => std::fs::create_dir_all(path).map_err(|source| IndexError::Io {
            path: path.to_path_buf(),
            source,
        })?,
        DirState::Empty => {}
    }
    let (schema, _) = build_schema();
    create_in(path, schema)
}

fn create_in(path: &Path, schema: Schema) -> Result<IndexHandle, IndexError> {
    let directory = index_directory(path, Use::Build)?;
    let exists = Index::exists(&directory).map_err(|error| tantivy_error(path)(error.into()))?;
    if exists {
        return Err(tantivy_error(path)(
            tantivy::TantivyError::IndexAlreadyExists,
        ));
    }
    let index = Index::create(directory, schema, tantivy::IndexSettings::default())
        .map_err(tantivy_error(path))?;
    write_version(path)?;
    handle(index, path)
}

/// The folder `path` as tantivy is to use it.
fn index_directory(path: &Path, usage: Use) -> Result<IndexDirectory, IndexError> {
    IndexDirectory::open(path, usage).map_err(|source| IndexError::Tantivy {
        path: path.to_path_buf(),
        source: source.into(),
    })
}

/// Deletes what a previous index left, keeping hidden files that are not tantivy's.
fn remove_index_files(path: &Path) -> Result<(), IndexError> {
    let io_error = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours =
            !name.starts_with('.') || name == ".managed.json" || name.starts_with(".tantivy");
        if ours && entry.path().is_file() {
            std::fs::remove_file(entry.path()).map_err(io_error)?;
        }
    }
    Ok(())
}

/// An in-memory index with newsdex's schema, for tests and benchmarks.
pub fn create_in_ram() -> IndexHandle {
    let (schema, _) = build_schema();
    let index = Index::create_in_ram(schema);
    handle(index, Path::new(":memory:")).expect("a fresh schema has every field")
}

/// Default memory budget of a build (`build::budget` shares it out) and of other writers, in
/// megabytes.
pub const DEFAULT_MEMORY_MB: usize = 512;

/// The most `--memory` takes: tantivy takes at most 4 GB per indexing thread.
pub const MAX_MEMORY_MB: usize = 16 * 1024;

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Takes the index's single writer, with one indexing thread per core (up to 8). Fails at
/// once when another process holds it.
pub fn writer(handle: &IndexHandle, memory_mb: usize) -> Result<IndexWriter, IndexError> {
    writer_with_threads(handle, memory_mb, cores().clamp(1, 8))
}

/// Indexing threads of a build's writer: half the cores, at least one. The build's own
/// workers (parsing, passages, entities, documents) keep the other half busy, and each
/// indexing thread writes its own segments, which the merge after a full build joins
/// (`merge_segments`).
pub fn build_indexing_threads() -> usize {
    cores().div_ceil(2).clamp(1, 8)
}

/// The index's writer lock, as a writer takes it, without a writer: a build holds it while it
/// walks the corpus, before it knows what its writer's arena can be.
pub fn build_lock(handle: &IndexHandle) -> Result<tantivy::directory::DirectoryLock, IndexError> {
    handle
        .index
        .directory()
        .acquire_lock(&tantivy::directory::INDEX_WRITER_LOCK)
        .map_err(|source| match source {
            tantivy::directory::error::LockError::LockBusy => {
                IndexError::Locked(handle.path.clone())
            }
            source => IndexError::Tantivy {
                path: handle.path.clone(),
                source: tantivy::TantivyError::LockFailure(source, None),
            },
        })
}

/// The writer of `newsdex index build`: `build_indexing_threads` indexing threads.
pub fn build_writer(handle: &IndexHandle, memory_mb: usize) -> Result<IndexWriter, IndexError> {
    writer_with_threads(handle, memory_mb, build_indexing_threads())
}

fn writer_with_threads(
    handle: &IndexHandle,
    memory_mb: usize,
    threads: usize,
) -> Result<IndexWriter, IndexError> {
    // tantivy needs at least 15 MB per indexing thread.
    let per_thread_floor = 15 * 1024 * 1024;
    // tantivy refuses more than about 4 GB per thread.
    let per_thread_ceiling: usize = 4_000 * 1024 * 1024;
    let budget = (memory_mb * 1024 * 1024)
        .max(per_thread_floor * threads)
        .min(per_thread_ceiling.saturating_mul(threads));
    handle
        .index
        .writer_with_num_threads(threads, budget)
        .map_err(|source| match source {
            tantivy::TantivyError::LockFailure(
                tantivy::directory::error::LockError::LockBusy,
                _,
            ) => IndexError::Locked(handle.path.clone()),
            source => IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            },
        })
}

/// How many times a given title is written into the searched passage (`all`): BM25F's title
/// weight. The classic IR test collections rank best with 2 (`scripts/eval_ci.sh`).
pub const TITLE_WEIGHT: usize = 2;

/// The analysis of `all`'s values, on the thread that makes the documents (a build's worker):
/// the English analyser, and the analysis of the last title, which every passage of an article
/// repeats.
struct AllAnalyser {
    title: String,
    title_terms: String,
    terms: String,
}

thread_local! {
    static ALL_ANALYSER: RefCell<AllAnalyser> = const { RefCell::new(AllAnalyser {
        title: String::new(),
        title_terms: String::new(),
        terms: String::new(),
    }) };
}

/// `text` as `all` holds it: its English analysis (`schema::analyse_english_into`).
pub fn analysed_for_all(text: &str) -> String {
    let mut terms = String::new();
    analyse_english_on_thread(text, &mut terms);
    terms
}

/// The tantivy document of one passage. Values are added in the schema's field order, so that
/// tantivy's sort of a document's values by field finds them sorted.
pub fn passage_document(fields: &Fields, article: &Article, passage: &Passage) -> TantivyDocument {
    let mut document = passage_document_without_entities(fields, article, passage);
    add_entities_and_url(
        fields,
        &mut document,
        &passage.entities,
        article.url.as_deref(),
    );
    document
}

/// `passage_document` but for the passage's entities and the article's URL, the last fields,
/// which `add_entities_and_url` adds: a build makes the documents of an article that uses
/// acronyms before the corpus table that resolves them is known.
pub fn passage_document_without_entities(
    fields: &Fields,
    article: &Article,
    passage: &Passage,
) -> TantivyDocument {
    let mut document = TantivyDocument::default();
    document.add_text(fields.article_id, &article.id);
    document.add_text(fields.path, article.path.to_string_lossy());
    document.add_text(fields.title, &article.title);
    if let Some(date) = article.date {
        document.add_date(fields.date, DateTime::from_timestamp_secs(date.timestamp()));
    }
    for category in &article.categories {
        document.add_text(fields.category, category);
    }
    if let Some(source) = &article.source {
        document.add_text(fields.source, source);
    }
    for author in &article.authors {
        document.add_text(fields.author, author);
    }
    if let Some(language) = &article.language {
        document.add_text(fields.language, language);
    }
    extra::add_extras(fields, &mut document, &article.extras);
    if let Some(section) = &passage.section {
        document.add_text(fields.section, section);
    }
    document.add_text(fields.text, &passage.text);
    // First: it analyses the article's texts, which `all` takes up below.
    let fingerprint = crate::fingerprint::article_fingerprint(article);
    ALL_ANALYSER.with_borrow_mut(|analyser| {
        if !article.title_repeats_text {
            if analyser.title != article.title {
                analyse_english_on_thread(&article.title, &mut analyser.title_terms);
                analyser.title.clone_from(&article.title);
            }
            for _ in 0..TITLE_WEIGHT {
                document.add_text(fields.all, &analyser.title_terms);
            }
        }
        if let Some(section) = &passage.section {
            analyse_english_on_thread(section, &mut analyser.terms);
            document.add_text(fields.all, &analyser.terms);
        }
        // Most passages are a text the fingerprint has just analysed.
        if !crate::fingerprint::analysed_passage(&passage.text, &mut analyser.terms) {
            analyse_english_on_thread(&passage.text, &mut analyser.terms);
        }
        document.add_text(fields.all, &analyser.terms);
    });
    document.add_u64(fields.ordinal, u64::from(passage.ordinal));
    if let Some(fingerprint) = fingerprint {
        document.add_u64(fields.fingerprint, fingerprint);
    }
    document
}

/// Adds a passage's entities and its article's URL to its document
/// (`passage_document_without_entities`).
pub fn add_entities_and_url(
    fields: &Fields,
    document: &mut TantivyDocument,
    entities: &[Entity],
    url: Option<&str>,
) {
    if !entities.is_empty() {
        document.add_text(fields.entity, entities_value(entities));
    }
    if let Some(url) = url {
        document.add_text(fields.url, url);
    }
}

/// The value of `entity` for these entities: their labels (`kind:Name`), tab-separated (a tab
/// inside a name, which only a source's own labels could hold, becomes a space).
pub fn entities_value(entities: &[Entity]) -> String {
    let mut value = String::with_capacity(entities.iter().map(|e| e.name.len() + 14).sum());
    for (idx, entity) in entities.iter().enumerate() {
        if idx > 0 {
            value.push('\t');
        }
        value.push_str(entity.kind.as_str());
        value.push(':');
        if entity.name.contains('\t') {
            value.push_str(&entity.name.replace('\t', " "));
        } else {
            value.push_str(&entity.name);
        }
    }
    value
}

/// The entity labels (`kind:Name`) a stored passage holds (`entities_value`).
pub fn stored_entity_labels<'a>(
    fields: &Fields,
    document: &'a TantivyDocument,
) -> impl Iterator<Item = &'a str> {
    document
        .get_all(fields.entity)
        .filter_map(|value| value.as_str())
        .flat_map(|value| value.split('\t'))
        .filter(|label| !label.is_empty())
}

/// Commits the writer's work and waits for merges, so that the files on disk are final.
pub fn commit(handle: &IndexHandle, mut writer: IndexWriter) -> Result<(), IndexError> {
    writer.commit().map_err(tantivy_error(&handle.path))?;
    writer
        .wait_merging_threads()
        .map_err(tantivy_error(&handle.path))
}

/// The share of deleted passages past which a build's one segment is rewritten without them.
pub const MERGE_DELETED_SHARE: f64 = 0.05;

/// Merges every segment of the index into one and waits until the merged segment is in
/// `meta.json` (the commit payload is kept). One segment is what a search reads fastest: the
/// top-k pruning works over one set of postings, and articles are told apart by the ordinal of
/// their id instead of the id. A single segment is merged again (rewritten) when more than
/// `MERGE_DELETED_SHARE` of its passages are deleted (articles the build replaced): they cost
/// space, and BM25 counts them until they are gone. The merge reads the segments without
/// mapping them (`directory::Use::Merge`), so that they do not add to the build's resident
/// memory. A build that cannot take the writer (another build started in the meantime) leaves
/// the segments as they are.
pub fn merge_segments(handle: &IndexHandle) -> Result<(), IndexError> {
    let metas = handle
        .index
        .searchable_segment_metas()
        .map_err(tantivy_error(&handle.path))?;
    let mostly_live = |meta: &tantivy::index::SegmentMeta| {
        f64::from(meta.num_deleted_docs()) <= MERGE_DELETED_SHARE * f64::from(meta.max_doc())
    };
    if metas.len() <= 1 && metas.iter().all(mostly_live) {
        return Ok(());
    }
    let segments: Vec<tantivy::index::SegmentId> = metas.iter().map(|meta| meta.id()).collect();
    // A live `SegmentMeta` keeps its segment's files from the garbage collection.
    drop(metas);
    let merging = IndexHandle {
        index: Index::open(index_directory(&handle.path, Use::Merge)?)
            .map_err(tantivy_error(&handle.path))?,
        path: handle.path.clone(),
        fields: handle.fields,
    };
    // The merge indexes nothing: the smallest arena.
    let mut writer = match writer_with_threads(&merging, 0, 1) {
        Ok(writer) => writer,
        Err(IndexError::Locked(_)) => return Ok(()),
        Err(error) => return Err(error),
    };
    writer
        .merge(&segments)
        .wait()
        .map_err(tantivy_error(&handle.path))?;
    // The merged segments' files are removed now that no commit names them.
    writer
        .garbage_collect_files()
        .wait()
        .map_err(tantivy_error(&handle.path))?;
    writer
        .wait_merging_threads()
        .map_err(tantivy_error(&handle.path))
}

#[cfg(test)]
mod tests;
