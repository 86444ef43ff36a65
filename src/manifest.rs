//! Incremental-build bookkeeping: the corpus walk + the manifest of the last commit -> a `Plan`
//! of what to skip, read, replace and remove. The manifest records, per corpus file, its size,
//! modification time, content hash and the articles (id -> content hash) it produced. It is
//! packed into a file beside the index named by its own content hash, and the tantivy commit
//! payload names that file, so that index and manifest change together while `meta.json`,
//! which every search reads, stays a few hundred bytes. Pure data and pure functions: this
//! module never reads corpus files or touches the index directory.

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::path::Path;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::extract::acronyms::AcronymPair;
use crate::model::Article;

/// What one corpus file produced in the last commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 when the platform has none).
    pub mtime_ns: i64,
    /// xxh3-64 of the file's bytes.
    pub hash: u64,
    /// Article id -> xxh3-64 of the article's content. A multi-article file (JSON Lines, CSV)
    /// lists one entry per record, so that one changed record replaces one article.
    pub articles: ArticleHashes,
    /// Acronyms the file's articles define in their text (folded acronym, entity), one per
    /// defining article, sorted: the corpus acronym table is merged from these, so that a file
    /// that is not read again keeps its definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acronyms: Vec<AcronymPair>,
}

/// A file's articles: id -> content hash, sorted by id, in one allocation besides the ids.
/// The manifest holds one per corpus file for the whole build, so its size matters: a map with
/// one entry costs a node of a few hundred bytes, this costs the entry. Written as a JSON
/// object, as a map is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleHashes(Box<[(Box<str>, u64)]>);

impl ArticleHashes {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The hash of the article `id`.
    pub fn get(&self, id: &str) -> Option<u64> {
        self.0
            .binary_search_by(|(key, _)| key.as_ref().cmp(id))
            .ok()
            .map(|at| self.0[at].1)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// (id, hash) in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(id, hash)| (id.as_ref(), *hash))
    }

    /// The ids in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(id, _)| id.as_ref())
    }

    /// Sets the hash of `id` (rare: a whole copy is made).
    pub fn insert(&mut self, id: &str, hash: u64) {
        let mut entries = std::mem::take(&mut self.0).into_vec();
        match entries.binary_search_by(|(key, _)| key.as_ref().cmp(id)) {
            Ok(at) => entries[at].1 = hash,
            Err(at) => entries.insert(at, (id.into(), hash)),
        }
        self.0 = entries.into_boxed_slice();
    }
}

impl From<BTreeMap<String, u64>> for ArticleHashes {
    fn from(map: BTreeMap<String, u64>) -> ArticleHashes {
        ArticleHashes(
            map.into_iter()
                .map(|(id, hash)| (id.into_boxed_str(), hash))
                .collect(),
        )
    }
}

impl FromIterator<(String, u64)> for ArticleHashes {
    /// The last hash of an id given twice wins, as in a map.
    fn from_iter<I: IntoIterator<Item = (String, u64)>>(pairs: I) -> ArticleHashes {
        ArticleHashes::from(pairs.into_iter().collect::<BTreeMap<String, u64>>())
    }
}

impl Serialize for ArticleHashes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for ArticleHashes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, u64>::deserialize(deserializer).map(ArticleHashes::from)
    }
}

/// Every corpus file of the last commit, by path relative to the corpus root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, FileEntry>,
}

/// Why the bytes of a manifest file are not a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    #[error("not lz4-compressed: {0}")]
    Compression(String),
    #[error("not a manifest: {0}")]
    Json(String),
}

impl Manifest {
    /// Every acronym definition of every file, for `AcronymTable::from_pairs`.
    pub fn acronym_pairs(&self) -> impl Iterator<Item = &AcronymPair> {
        self.files.values().flat_map(|entry| &entry.acronyms)
    }

    pub fn n_articles(&self) -> usize {
        self.files.values().map(|entry| entry.articles.len()).sum()
    }
}

/// The commit payload: who wrote the index and what it holds. Written with every commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub schema_version: u32,
    pub newsdex_version: String,
    /// The corpus folder of the last build, as given on the command line (its folders, joined
    /// by `, `, for a build of several).
    #[serde(default)]
    pub corpus: String,
    /// The canonical paths of the folders (or files) of the last build: one for most indexes,
    /// several when one index holds several sources. Empty in indexes built before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// The field mapping the records were read with: another mapping reads the same files
    /// differently, so it makes the next build a full one.
    #[serde(default)]
    pub mapping: String,
    /// The manifest file of this commit in the index directory (`Manifest::pack`). Empty in
    /// an index whose manifest is unknown; its next build is a full one.
    #[serde(default)]
    pub manifest_file: String,
    /// Corpus files in the manifest, so that `index stats` need not read it.
    #[serde(default)]
    pub files: usize,
    /// The corpus acronym table of this commit in the index directory (`AcronymTable::pack`),
    /// so that a search reads it without the manifest; empty when no article defines one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub acronyms_file: String,
    /// The fields declared for this build (`[fields.extra]`, `--extra`), so that a search
    /// knows the index's own fields and their types.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<crate::model::ExtraField>,
}

/// Prefix and suffix of manifest file names, for finding stale ones.
pub const MANIFEST_PREFIX: &str = "manifest-";
pub const MANIFEST_SUFFIX: &str = ".json.lz4";

impl Manifest {
    /// The manifest as bytes (JSON, LZ4-compressed with its size prepended) and the file name
    /// they go under, made from their xxh3-64 hash: a new manifest never overwrites the file
    /// that the last commit names.
    pub fn pack(&self) -> (String, Vec<u8>) {
        // Plain structs of strings and integers always serialise.
        let json = serde_json::to_vec(self).expect("a manifest always serialises");
        let bytes = lz4_flex::compress_prepend_size(&json);
        let name = format!("{MANIFEST_PREFIX}{:016x}{MANIFEST_SUFFIX}", xxh3_64(&bytes));
        (name, bytes)
    }

    /// The manifest that `pack` made these bytes from.
    pub fn unpack(bytes: &[u8]) -> Result<Manifest, UnpackError> {
        let json = lz4_flex::decompress_size_prepended(bytes)
            .map_err(|error| UnpackError::Compression(error.to_string()))?;
        serde_json::from_slice(&json).map_err(|error| UnpackError::Json(error.to_string()))
    }
}

impl Payload {
    /// The payload of a commit whose manifest was written under `manifest_file`.
    pub fn new(corpus: &Path, manifest_file: String, files: usize) -> Payload {
        Payload {
            schema_version: crate::schema::SCHEMA_VERSION,
            newsdex_version: env!("CARGO_PKG_VERSION").to_string(),
            corpus: corpus.display().to_string(),
            sources: Vec::new(),
            mapping: String::new(),
            manifest_file,
            files,
            acronyms_file: String::new(),
            extras: Vec::new(),
        }
    }

    pub fn to_json(&self) -> String {
        // Plain structs of strings and integers always serialise.
        serde_json::to_string(self).expect("a payload always serialises")
    }

    /// `None` when the text is not a newsdex payload (an older or foreign index).
    pub fn from_json(text: &str) -> Option<Payload> {
        serde_json::from_str(text).ok()
    }
}

/// Only the version, so that opening an index for search does not decode the whole manifest.
#[derive(Deserialize)]
struct VersionOnly {
    schema_version: u32,
}

/// The schema version in the payload of the last commit of the index at `dir`, read straight
/// from tantivy's `meta.json`; `None` when there is no payload (never committed, or written
/// before payloads were used).
pub fn payload_version(dir: &Path) -> Option<u32> {
    #[derive(Deserialize)]
    struct Meta {
        payload: Option<String>,
    }
    let text = std::fs::read_to_string(dir.join("meta.json")).ok()?;
    let meta: Meta = serde_json::from_str(&text).ok()?;
    let version: VersionOnly = serde_json::from_str(&meta.payload?).ok()?;
    Some(version.schema_version)
}

/// True when the index at `dir` was created but never committed to (no segments, no payload):
/// a first build killed before its commit leaves this, and it holds nothing to be incompatible.
pub fn never_committed(dir: &Path) -> bool {
    #[derive(Deserialize)]
    struct Meta {
        segments: Vec<serde_json::Value>,
        payload: Option<String>,
    }
    std::fs::read_to_string(dir.join("meta.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Meta>(&text).ok())
        .is_some_and(|meta| meta.segments.is_empty() && meta.payload.is_none())
}

/// What the walk saw of one file before reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub relative: String,
    pub size: u64,
    pub mtime_ns: i64,
}

/// What a build does, file by file. Indices point into the observed files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Size and modification time as in the manifest: not read.
    pub unchanged: Vec<usize>,
    /// In the manifest, but size or modification time differ: read, and replaced only when the
    /// content hash differs too.
    pub check: Vec<usize>,
    /// Not in the manifest: read and added.
    pub new: Vec<usize>,
    /// In the manifest, gone from the walk: their articles are removed.
    pub removed: Vec<String>,
    /// In the manifest, gone from the walk, but under a folder the walk could not read: kept,
    /// because a folder that cannot be read now is not a folder that was deleted.
    pub kept_unreachable: Vec<String>,
}

/// Compares the walk with the manifest of the last commit. `unreadable` holds the relative
/// paths (files or folders) the walk reported as unreadable.
pub fn plan(observed: &[Observed], manifest: &Manifest, unreadable: &[String]) -> Plan {
    let mut plan = Plan::default();
    let mut seen = std::collections::HashSet::with_capacity(observed.len());
    for (index, file) in observed.iter().enumerate() {
        seen.insert(file.relative.as_str());
        match manifest.files.get(&file.relative) {
            None => plan.new.push(index),
            Some(entry) if entry.size == file.size && entry.mtime_ns == file.mtime_ns => {
                plan.unchanged.push(index);
            }
            Some(_) => plan.check.push(index),
        }
    }
    for relative in manifest.files.keys() {
        if seen.contains(relative.as_str()) {
            continue;
        }
        if unreadable.iter().any(|prefix| is_under(relative, prefix)) {
            plan.kept_unreachable.push(relative.clone());
        } else {
            plan.removed.push(relative.clone());
        }
    }
    plan
}

/// `path` is `prefix` or lies in the folder `prefix` (both relative, `/`-separated).
fn is_under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// How the articles of a file that was read differ from what the manifest holds for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleDiff {
    /// Ids not in the manifest entry: add.
    pub added: Vec<String>,
    /// Ids whose content hash differs: delete by id, then add.
    pub updated: Vec<String>,
    /// Ids in the manifest entry that the file no longer produces: delete by id.
    pub removed: Vec<String>,
    /// Same id, same hash: leave in the index.
    pub unchanged: Vec<String>,
}

/// Compares the (id, hash) pairs a file produced now with those of the manifest entry.
pub fn diff_articles(old: &ArticleHashes, new: &[(String, u64)]) -> ArticleDiff {
    let mut diff = ArticleDiff::default();
    let mut new_ids = std::collections::HashSet::with_capacity(new.len());
    for (id, hash) in new {
        new_ids.insert(id.as_str());
        match old.get(id) {
            None => diff.added.push(id.clone()),
            Some(old_hash) if old_hash == *hash => diff.unchanged.push(id.clone()),
            Some(_) => diff.updated.push(id.clone()),
        }
    }
    diff.removed = old
        .keys()
        .filter(|id| !new_ids.contains(id))
        .map(str::to_string)
        .collect();
    diff
}

/// xxh3-64 of a file's bytes.
pub fn file_hash(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// xxh3-64 of everything of an article that reaches the index. Each field is written with its
/// length first, so that moving text from one field to the next changes the hash.
pub fn article_hash(article: &Article) -> u64 {
    let mut hasher = Xxh3::new();
    let mut write = |text: &str| {
        hasher.write_u64(text.len() as u64);
        hasher.write(text.as_bytes());
    };
    write(&article.id);
    write(&article.path.to_string_lossy());
    write(&article.title);
    write(
        &article
            .date
            .map(|date| date.to_rfc3339())
            .unwrap_or_default(),
    );
    for category in &article.categories {
        write(category);
    }
    write("\u{0}end of categories");
    write(article.url.as_deref().unwrap_or("\u{0}no url"));
    write(&article.lead);
    for section in &article.sections {
        write(section.heading.as_deref().unwrap_or("\u{0}none"));
        for paragraph in &section.paragraphs {
            write(paragraph);
        }
        write("\u{0}end-section");
    }
    for entity in &article.given_entities {
        write(&entity.name);
        write(entity.kind.as_str());
    }
    hasher.finish()
}

/// Counts of what a build changed, in articles and in files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub articles_added: usize,
    pub articles_updated: usize,
    pub articles_removed: usize,
    pub articles_unchanged: usize,
    pub files_added: usize,
    pub files_updated: usize,
    pub files_removed: usize,
    pub files_unchanged: usize,
    /// True when the whole index was replaced (`--rebuild`, or no usable manifest).
    pub full_rebuild: bool,
}

impl ChangeCounts {
    /// Nothing in the index changed.
    pub fn is_nothing(&self) -> bool {
        self.articles_added + self.articles_updated + self.articles_removed == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Section;

    fn observed(relative: &str, size: u64, mtime_ns: i64) -> Observed {
        Observed {
            relative: relative.to_string(),
            size,
            mtime_ns,
        }
    }

    fn entry(size: u64, mtime_ns: i64, articles: &[(&str, u64)]) -> FileEntry {
        FileEntry {
            size,
            mtime_ns,
            hash: 7,
            articles: articles
                .iter()
                .map(|(id, hash)| (id.to_string(), *hash))
                .collect(),
            acronyms: Vec::new(),
        }
    }

    fn manifest(files: &[(&str, FileEntry)]) -> Manifest {
        Manifest {
            files: files
                .iter()
                .map(|(path, entry)| (path.to_string(), entry.clone()))
                .collect(),
        }
    }

    #[test]
    fn plan_sorts_files_into_unchanged_check_new_and_removed() {
        let old = manifest(&[
            ("a.txt", entry(10, 100, &[("a.txt", 1)])),
            ("b.txt", entry(20, 200, &[("b.txt", 2)])),
            ("c.txt", entry(30, 300, &[("c.txt", 3)])),
            ("d.txt", entry(40, 400, &[("d.txt", 4)])),
        ]);
        let walk = [
            observed("a.txt", 10, 100), // same size and time
            observed("b.txt", 20, 201), // touched
            observed("c.txt", 31, 300), // grew
            observed("e.txt", 50, 500), // new
        ];
        let plan = plan(&walk, &old, &[]);
        assert_eq!(plan.unchanged, [0]);
        assert_eq!(plan.check, [1, 2]);
        assert_eq!(plan.new, [3]);
        assert_eq!(plan.removed, ["d.txt"]);
        assert!(plan.kept_unreachable.is_empty());
    }

    #[test]
    fn files_under_an_unreadable_folder_are_kept_not_removed() {
        let old = manifest(&[
            ("energy/gas.txt", entry(1, 1, &[])),
            ("energy2/oil.txt", entry(1, 1, &[])),
            ("defence/shells.txt", entry(1, 1, &[])),
        ]);
        let plan = plan(&[], &old, &["energy".to_string()]);
        assert_eq!(plan.kept_unreachable, ["energy/gas.txt"]);
        assert_eq!(plan.removed, ["defence/shells.txt", "energy2/oil.txt"]);
        // An unreadable root protects everything.
        let plan_root = super::plan(&[], &old, &[String::new()]);
        assert_eq!(plan_root.kept_unreachable.len(), 3);
        assert!(plan_root.removed.is_empty());
    }

    #[test]
    fn an_empty_manifest_makes_every_file_new() {
        let walk = [observed("a.txt", 1, 1), observed("b/c.md", 2, 2)];
        let plan = plan(&walk, &Manifest::default(), &[]);
        assert_eq!(plan.new, [0, 1]);
        assert!(plan.unchanged.is_empty() && plan.check.is_empty() && plan.removed.is_empty());
    }

    #[test]
    fn article_hashes_read_and_write_the_json_object_a_map_does() {
        let map: BTreeMap<String, u64> = [("f#2", 2), ("f#10", 10), ("f#1", 1)]
            .iter()
            .map(|(id, hash)| (id.to_string(), *hash))
            .collect();
        let written = serde_json::to_string(&map).unwrap();
        let hashes: ArticleHashes = serde_json::from_str(&written).unwrap();
        assert_eq!(serde_json::to_string(&hashes).unwrap(), written);
        assert_eq!(hashes.keys().collect::<Vec<_>>(), ["f#1", "f#10", "f#2"]);
        assert_eq!((hashes.get("f#10"), hashes.get("f#3")), (Some(10), None));
        let mut hashes = hashes;
        hashes.insert("f#0", 7);
        hashes.insert("f#2", 22);
        assert_eq!(
            hashes.iter().collect::<Vec<_>>(),
            [("f#0", 7), ("f#1", 1), ("f#10", 10), ("f#2", 22)]
        );
        // An id given twice keeps its last hash, as a map does.
        let twice: ArticleHashes = [("a".to_string(), 1), ("a".to_string(), 2)]
            .into_iter()
            .collect();
        assert_eq!(twice.iter().collect::<Vec<_>>(), [("a", 2)]);
    }

    #[test]
    fn article_diff_finds_added_updated_removed_and_unchanged() {
        let old: ArticleHashes = [("f#1", 1), ("f#2", 2), ("f#3", 3)]
            .iter()
            .map(|(id, hash)| (id.to_string(), *hash))
            .collect();
        let new = [
            ("f#1".to_string(), 1),
            ("f#2".to_string(), 22),
            ("f#4".to_string(), 4),
        ];
        let diff = diff_articles(&old, &new);
        assert_eq!(diff.unchanged, ["f#1"]);
        assert_eq!(diff.updated, ["f#2"]);
        assert_eq!(diff.added, ["f#4"]);
        assert_eq!(diff.removed, ["f#3"]);
    }

    fn article(lead: &str, paragraphs: &[&str]) -> Article {
        Article {
            id: "x.txt".to_string(),
            path: "x.txt".into(),
            title: "T".to_string(),
            lead: lead.to_string(),
            sections: vec![Section {
                heading: Some("H".to_string()),
                paragraphs: paragraphs.iter().map(ToString::to_string).collect(),
            }],
            warnings: vec!["warnings do not count".to_string()],
            ..Article::default()
        }
    }

    #[test]
    fn article_hash_changes_with_content_and_not_with_warnings() {
        let base = article("Lead.", &["One.", "Two."]);
        let mut same = base.clone();
        same.warnings.clear();
        assert_eq!(article_hash(&base), article_hash(&same));
        assert_ne!(
            article_hash(&base),
            article_hash(&article("Lead.", &["One.", "Two!"]))
        );
        // Text moved across a field boundary is a change.
        assert_ne!(
            article_hash(&article("Lead.", &["One.Two."])),
            article_hash(&article("Lead.", &["One.", "Two."]))
        );
        let mut dated = base.clone();
        dated.date = Some(chrono::DateTime::from_timestamp(86_400, 0).unwrap());
        assert_ne!(article_hash(&base), article_hash(&dated));
    }

    #[test]
    fn payload_round_trips_and_its_version_is_read_from_meta_json() {
        let old = manifest(&[("a.txt", entry(10, 100, &[("a.txt", 1)]))]);
        let (name, _) = old.pack();
        let payload = Payload::new(Path::new("corpus"), name, old.files.len());
        let json = payload.to_json();
        assert!(json.len() < 300, "the payload names the manifest: {json}");
        assert_eq!(Payload::from_json(&json), Some(payload));
        assert_eq!(Payload::from_json("not json"), None);

        let dir = tempfile::tempdir().unwrap();
        let meta = serde_json::json!({ "segments": [], "payload": json });
        std::fs::write(dir.path().join("meta.json"), meta.to_string()).unwrap();
        assert_eq!(
            payload_version(dir.path()),
            Some(crate::schema::SCHEMA_VERSION)
        );
        assert!(!never_committed(dir.path()));
        let meta = serde_json::json!({ "segments": [], "payload": null });
        std::fs::write(dir.path().join("meta.json"), meta.to_string()).unwrap();
        assert_eq!(payload_version(dir.path()), None);
        assert!(never_committed(dir.path()));
    }

    #[test]
    fn a_packed_manifest_unpacks_and_is_named_by_its_content() {
        let one = manifest(&[("a.txt", entry(10, 100, &[("a.txt", 1)]))]);
        let two = manifest(&[("a.txt", entry(11, 100, &[("a.txt", 1)]))]);
        let (name, bytes) = one.pack();
        assert!(name.starts_with(MANIFEST_PREFIX) && name.ends_with(MANIFEST_SUFFIX));
        assert_eq!(Manifest::unpack(&bytes), Ok(one.clone()));
        assert_eq!(one.pack().0, name, "the same manifest, the same name");
        assert_ne!(two.pack().0, name, "another manifest, another name");
        assert!(Manifest::unpack(&bytes[..bytes.len() / 2]).is_err());
    }
}
