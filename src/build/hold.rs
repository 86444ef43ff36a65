//! The acronym hold: articles that use an acronym some file of the corpus may define wait
//! (`AsWritten`, up to `HOLD_BYTES`) for the final corpus table and are completed with it
//! without tagging them again (`release_held`); articles written before the table was known
//! are read again and replaced through the sink (`Relabel`). Articles are labelled and
//! encoded once (`encode_article`), for any sink.

use super::commit::{committed_searcher, tantivy_error};
use super::read::ChunkBatch;
use super::sink::{Encoder, Item, Sink};

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use rustc_hash::FxHashSet;
use tantivy::{TantivyDocument, Term};

use crate::error::IndexError;
use crate::extract::acronyms::{
    AcronymPair, AcronymTable, ArticleAcronyms, read_bracketed_acronyms,
};
use crate::extract::entities::EntityExtractor;
use crate::index::IndexHandle;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile};
use crate::manifest::{self, Manifest};
use crate::model::{Article, Entity};
use crate::passage::split_passages;

impl AsWritten {
    /// What holding it costs, about: its names and URL, and a few words per entity.
    pub(super) fn cost(&self) -> usize {
        let names: usize = self
            .entities
            .iter()
            .flatten()
            .map(|entity| 32 + entity.name.len())
            .sum();
        names + self.url.as_ref().map_or(0, String::len)
    }
}

/// What the documents of an article that uses acronyms it does not define lack until a table
/// resolves them (`complete_item`): its passages' entities with those acronyms as
/// written, and its URL, the value that follows them in field order.
pub(super) struct AsWritten {
    pub(super) entities: Vec<Vec<Entity>>,
    pub(super) url: Option<String>,
}

/// An article read in this build and not yet written: it uses acronyms, and the table that
/// resolves them may not be the final one.
pub(super) struct HeldArticle<T> {
    /// The sink's item, without its entities.
    pub(super) item: T,
    pub(super) as_written: AsWritten,
}

/// Items held back from the sink at most, in bytes (as `Encoder::hold` and `AsWritten::cost`
/// estimate them), so that memory stays bounded whatever the size of the corpus. Articles that
/// fit are completed from memory with the final table (Reuters-21578 holds 1,750 of its 21,578
/// stories); past it, articles are written at once, and read again from their files
/// (`Relabel`) if the final table labels them otherwise.
pub const HOLD_BYTES: usize = 64 << 20;

/// Bytes of a file the acronym scan reads at a time.
pub(super) const SCAN_BLOCK_BYTES: usize = 1 << 20;

/// The acronyms to which the final table of a build may give another meaning than the table
/// its articles are read with: those in brackets in the files to read (`bracketed_acronyms`, a
/// superset of those they define, from a scan of their bytes on all cores, at memory speed)
/// and those of the last commit's table (a definition may be gone). An article that uses none
/// of them is labelled as the final table would label it and is written at once; one that uses
/// some is held back to the end (`HeldArticle`), when the table is known. A definition the
/// scan misses (markup inside the brackets, say) costs only time: the articles that use it
/// are read again (`Relabel`). An extractor that finds nothing defines nothing: no scan.
pub fn acronyms_to_hold(
    extractor: &EntityExtractor,
    files: &[CorpusFile],
    to_read: &[usize],
    old: &AcronymTable,
) -> FxHashSet<String> {
    use rayon::prelude::*;
    let mut keys = if extractor.finds_nothing() {
        FxHashSet::default()
    } else {
        to_read
            .par_iter()
            .map(|&index| bracketed_acronyms_of_file(&files[index].path))
            .reduce(FxHashSet::default, |mut keys, more| {
                keys.extend(more);
                keys
            })
    };
    keys.extend(old.keys().map(str::to_string));
    keys
}

/// `bracketed_acronyms` of a file; a file that cannot be read gives none (the pipeline reports
/// it).
pub(super) fn bracketed_acronyms_of_file(path: &Path) -> FxHashSet<String> {
    std::fs::File::open(path)
        .and_then(|file| read_bracketed_acronyms(file, SCAN_BLOCK_BYTES))
        .unwrap_or_default()
}

/// The acronym table of the definitions a manifest holds, without the acronyms the extractor's
/// lists know (which win).
pub(super) fn corpus_acronyms(extractor: &EntityExtractor, manifest: &Manifest) -> AcronymTable {
    corpus_table(extractor, manifest.acronym_pairs())
}

/// The acronym table of a corpus's definitions, without the acronyms the extractor's lists
/// know (which win).
pub fn corpus_table<'a>(
    extractor: &EntityExtractor,
    pairs: impl IntoIterator<Item = &'a AcronymPair>,
) -> AcronymTable {
    let mut table = AcronymTable::from_pairs(pairs);
    table.retain_unknown(|key| extractor.gazetteer().form(key).is_some());
    table
}

/// Ids of the articles of the last commit that may use one of the `changed` acronyms: those
/// labelled with the acronym as written (the table did not know it) or with the long form the
/// table of that commit gave it.
pub(super) fn labelled_with(
    handle: &IndexHandle,
    changed: &BTreeSet<String>,
    old: &AcronymTable,
) -> Result<HashSet<String>, IndexError> {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Value};
    let mut keyword = crate::analysis::keyword_analyzer();
    let mut terms = BTreeSet::new();
    for key in changed {
        terms.extend(crate::analysis::analyse(&mut keyword, key));
        if let Some(entity) = old.get(key) {
            terms.extend(crate::analysis::analyse(&mut keyword, &entity.name));
        }
    }
    let fields = &handle.fields;
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|term| {
            let term = Term::from_field_text(fields.entity, term);
            let query: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::Basic));
            (Occur::Should, query)
        })
        .collect();
    let searcher = committed_searcher(handle)?;
    let addresses = searcher
        .search(&BooleanQuery::new(clauses), &DocSetCollector)
        .map_err(tantivy_error(handle))?;
    let mut ids = HashSet::new();
    for address in addresses {
        let document: TantivyDocument = searcher.doc(address).map_err(tantivy_error(handle))?;
        if let Some(id) = document
            .get_first(fields.article_id)
            .and_then(|v| v.as_str())
        {
            ids.insert(id.to_string());
        }
    }
    Ok(ids)
}

/// One article's passages as a sink's item (`encode_article`).
pub(super) struct Encoded<T> {
    pub(super) item: T,
    pub(super) passages: usize,
    /// When the article uses acronyms it does not define (`acronyms.used`): what its item
    /// lacks until `complete_item`.
    pub(super) as_written: Option<AsWritten>,
    /// What it defines and uses.
    pub(super) acronyms: ArticleAcronyms,
    /// The bytes of its text (title and passages).
    pub(super) text_bytes: u64,
}

impl<T> Encoded<T> {
    /// The item, complete, the acronyms resolved with `labelling`'s table.
    pub(super) fn completed<E: Encoder<Item = T>>(
        mut self,
        encoder: &mut E,
        labelling: &EntityExtractor,
    ) -> T {
        if let Some(as_written) = self.as_written {
            let used = &self.acronyms.used;
            complete_item(encoder, labelling, used, &mut self.item, as_written);
        }
        self.item
    }
}

/// Splits and labels one article once and encodes it: an article that uses acronyms is
/// labelled as written (`EntityExtractor::annotate_article_as_written`), and whichever table
/// is final resolves them later without tagging it again.
pub(super) fn encode_article<E: Encoder>(
    encoder: &mut E,
    extractor: &EntityExtractor,
    article: &Article,
) -> Encoded<E::Item> {
    let mut passages = split_passages(article);
    let acronyms = extractor.annotate_article_as_written(article, &mut passages);
    let text_bytes =
        article.title.len() as u64 + passages.iter().map(|p| p.text.len() as u64).sum::<u64>();
    let entities = passages
        .iter_mut()
        .map(|passage| std::mem::take(&mut passage.entities))
        .collect();
    let mut item = encoder.encode(article, &passages);
    let as_written = AsWritten {
        entities,
        url: article.url.clone(),
    };
    let as_written = if acronyms.used.is_empty() {
        // Nothing for a table to resolve: complete at once.
        complete_item(encoder, extractor, &[], &mut item, as_written);
        None
    } else {
        Some(as_written)
    };
    Encoded {
        item,
        passages: passages.len(),
        as_written,
        acronyms,
        text_bytes,
    }
}

/// Adds to the item of an article that uses the acronyms `used` what it lacks (`as_written`),
/// the acronyms resolved with `labelling`'s table.
pub(super) fn complete_item<E: Encoder>(
    encoder: &mut E,
    labelling: &EntityExtractor,
    used: &[String],
    item: &mut E::Item,
    mut as_written: AsWritten,
) {
    labelling.resolve_used_acronyms(used, as_written.entities.iter_mut());
    encoder.complete(item, &as_written.entities, as_written.url.as_deref());
}

/// Hands the sink the articles held back by the stream once the final acronym table is known,
/// completed with it (`labelling`). None was written before, so none is deleted. Returns the
/// articles that use one of the `changed` acronyms: labelled otherwise than the table they
/// were read with would have.
pub(super) fn release_held<S: Sink>(
    sink: &mut S,
    held: AcronymHold<HeldArticle<Item<S>>>,
    changed: &BTreeSet<String>,
    labelling: &EntityExtractor,
) -> Result<usize, S::Error> {
    let mut encoder = sink.encoder();
    let mut relabelled = 0;
    for (_, held, used) in held.release() {
        relabelled += usize::from(used.iter().any(|key| changed.contains(key)));
        let mut item = held.item;
        complete_item(&mut encoder, labelling, &used, &mut item, held.as_written);
        sink.add(item)?;
    }
    Ok(relabelled)
}

/// Labels articles again with the final acronym table of a build, through a sink that
/// replaces by id (the tantivy index).
pub(super) struct Relabel<'a> {
    pub(super) files: &'a [CorpusFile],
    pub(super) map: &'a FieldMap,
    /// With the final table.
    pub(super) extractor: &'a EntityExtractor,
}

impl Relabel<'_> {
    /// Reads the articles `ids` (those the manifest still holds) again from their files and
    /// replaces them by id in this build's commit. An article its file no longer holds as the
    /// manifest says (the file changed, or cannot be read now) is marked in the manifest so
    /// that the next build reads its file and replaces it. Returns the articles replaced.
    pub(super) fn run<S: Sink>(
        &self,
        sink: &mut S,
        manifest: &mut Manifest,
        ids: &HashSet<String>,
    ) -> Result<usize, S::Error>
    where
        S::Encoder: Clone + Sync,
    {
        // File -> its articles to label again, with their hashes in the manifest.
        let mut wanted: BTreeMap<String, HashMap<String, u64>> = BTreeMap::new();
        for (relative, entry) in &manifest.files {
            for (id, hash) in entry.articles.iter() {
                if ids.contains(id) {
                    wanted
                        .entry(relative.clone())
                        .or_default()
                        .insert(id.to_string(), hash);
                }
            }
        }
        let files: HashMap<&str, &CorpusFile> = self
            .files
            .iter()
            .map(|file| (file.relative.as_str(), file))
            .collect();
        let hashes: HashMap<&str, u64> = wanted
            .values()
            .flatten()
            .map(|(id, hash)| (id.as_str(), *hash))
            .collect();
        let mut done = HashSet::new();
        let mut batch = ChunkBatch::new();
        for relative in wanted.keys() {
            let Some(file) = files.get(relative.as_str()) else {
                continue;
            };
            let mut result = Ok(());
            ingest::split_file((*file).clone(), ingest::CHUNK_BYTES, &mut |chunk| {
                if let Some(full) = batch.push(chunk) {
                    result = self.relabel_chunks(sink, full, &hashes, &mut done);
                }
                result.is_ok()
            });
            result?;
        }
        self.relabel_chunks(sink, batch.take(), &hashes, &mut done)?;
        for (relative, articles) in &wanted {
            if articles.keys().all(|id| done.contains(id)) {
                continue;
            }
            if let Some(entry) = manifest.files.get_mut(relative) {
                // A time no file has and a hash no article has: read and replaced next time.
                entry.mtime_ns = i64::MIN;
                entry.hash = 0;
                for id in articles.keys().filter(|id| !done.contains(*id)) {
                    entry.articles.insert(id, 0);
                }
            }
        }
        Ok(done.len())
    }

    /// Reads chunks in parallel and replaces the articles of `hashes` (id -> hash in the
    /// manifest) they hold unchanged; their ids go into `done`.
    fn relabel_chunks<S: Sink>(
        &self,
        sink: &mut S,
        chunks: Vec<ingest::Chunk>,
        hashes: &HashMap<&str, u64>,
        done: &mut HashSet<String>,
    ) -> Result<(), S::Error>
    where
        S::Encoder: Clone + Sync,
    {
        use rayon::prelude::*;
        let encoder = sink.encoder();
        let labelled: Vec<Vec<(String, Item<S>)>> = chunks
            .into_par_iter()
            .map_init(
                || encoder.clone(),
                |encoder, chunk| {
                    let output = ingest::read_chunk(chunk, self.map);
                    output
                        .articles
                        .into_iter()
                        .flatten()
                        .filter(|article| {
                            hashes.get(article.id.as_str())
                                == Some(&manifest::article_hash(article))
                        })
                        .map(|article| {
                            let item = encode_article(encoder, self.extractor, &article)
                                .completed(encoder, self.extractor);
                            (article.id, item)
                        })
                        .collect()
                },
            )
            .collect();
        for (id, item) in labelled.into_iter().flatten() {
            if done.contains(&id) {
                // The same id again in one file: the first one stands, as when it was read.
                continue;
            }
            sink.delete(&id)?;
            sink.add(item)?;
            done.insert(id);
        }
        Ok(())
    }
}

/// The one acronym-hold policy of every build, whatever it writes to: an article that uses an
/// acronym whose meaning may change by the end of the build (`acronyms_to_hold`, `waits_for`,
/// which the stream's workers ask) waits for the final table while the held articles' cost stays within the budget (`HOLD_BYTES`); past it,
/// the article is written at once, labelled with the table of the definitions read so far
/// (`TableSoFar`), and what it was labelled with is kept (`Resolution`) so that the end of the
/// build knows whether the final table labels it otherwise. `T` is what the build holds of an
/// article (a sink's item waiting for its entities).
pub struct AcronymHold<T> {
    budget: usize,
    bytes: usize,
    /// Article id -> (order held, what is held, the acronyms it uses, its cost).
    held: HashMap<String, (usize, T, Vec<String>, usize)>,
    next: usize,
}

impl<T> Default for AcronymHold<T> {
    /// Holds nothing.
    fn default() -> AcronymHold<T> {
        AcronymHold::new(0)
    }
}

impl<T> AcronymHold<T> {
    /// Holding up to `budget` bytes (`Encoder::hold`).
    pub fn new(budget: usize) -> AcronymHold<T> {
        AcronymHold {
            budget,
            bytes: 0,
            held: HashMap::new(),
            next: 0,
        }
    }

    /// Holds an article that `waits` when its `cost` fits in what is left of the budget and
    /// no article of its id is held; else gives it back, to be written at once.
    pub fn hold(
        &mut self,
        id: &str,
        item: T,
        used: Vec<String>,
        cost: usize,
    ) -> Result<(), (T, Vec<String>)> {
        if self.bytes + cost > self.budget || self.held.contains_key(id) {
            return Err((item, used));
        }
        self.bytes += cost;
        self.held
            .insert(id.to_string(), (self.next, item, used, cost));
        self.next += 1;
        Ok(())
    }

    /// Takes back the article held under `id` (its id came again in the same file: it is
    /// written at once, as any article that is not held).
    pub fn take(&mut self, id: &str) -> Option<(T, Vec<String>)> {
        let (_, item, used, cost) = self.held.remove(id)?;
        self.bytes -= cost;
        Some((item, used))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.held.contains_key(id)
    }

    /// The held articles, in the order they were held, with the acronyms each uses.
    pub fn release(self) -> impl Iterator<Item = (String, T, Vec<String>)> {
        let mut held: Vec<_> = self.held.into_iter().collect();
        held.sort_unstable_by_key(|(_, (order, ..))| *order);
        held.into_iter()
            .map(|(id, (_, item, used, _))| (id, item, used))
    }
}

/// Whether an article that uses the acronyms `used` waits for the final table, when the
/// acronyms `keys` may change by then (`acronyms_to_hold`).
pub fn waits_for(keys: &FxHashSet<String>, used: &[String]) -> bool {
    used.iter().any(|key| keys.contains(key))
}

/// What the acronyms of an article written before the final table was known resolved to, as
/// written: compared with the final table at the end of the build (`differs`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resolution(Vec<(String, Option<Entity>)>);

impl Resolution {
    /// How `table` resolves the acronyms `used`.
    pub fn of(table: &AcronymTable, used: &[String]) -> Resolution {
        Resolution(
            used.iter()
                .map(|key| (key.clone(), table.get(key).cloned()))
                .collect(),
        )
    }

    /// Whether `table` resolves one of the acronyms otherwise.
    pub fn differs(&self, table: &AcronymTable) -> bool {
        self.0
            .iter()
            .any(|(key, entity)| table.get(key) != entity.as_ref())
    }
}

/// The articles written before the final table was known, by id, with how their acronyms
/// resolved (`Resolution`): a build keeps one for most articles of a corpus whose stories
/// use acronyms, so each distinct resolution (most articles share a few) is kept once and an
/// article costs its id and an index.
#[derive(Debug, Default)]
pub struct Written {
    articles: Vec<(Box<str>, u32)>,
    /// Each distinct resolution and its index.
    resolutions: HashMap<Resolution, u32>,
}

impl Written {
    pub fn push(&mut self, id: &str, resolution: Resolution) {
        let next = u32::try_from(self.resolutions.len()).unwrap_or(u32::MAX);
        let index = *self.resolutions.entry(resolution).or_insert(next);
        self.articles.push((id.into(), index));
    }

    /// The ids, in the order they were written.
    #[cfg(test)]
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.articles.iter().map(|(id, _)| id.as_ref())
    }

    /// The ids of the articles `table` resolves otherwise than they were written.
    pub fn differing<'a>(&'a self, table: &AcronymTable) -> impl Iterator<Item = &'a str> {
        // An index past `u32::MAX` resolutions (never, in practice) reads as differing.
        let mut differs = vec![true; self.resolutions.len()];
        for (resolution, &index) in &self.resolutions {
            if let Some(slot) = differs.get_mut(index as usize) {
                *slot = resolution.differs(table);
            }
        }
        self.articles
            .iter()
            .filter(move |(_, index)| differs.get(*index as usize).copied().unwrap_or(true))
            .map(|(id, _)| id.as_ref())
    }
}

/// The extractor that labels an article past the hold budget: it resolves acronyms with the
/// table of the definitions known so far (those of the files the build keeps, then those read
/// in order).
pub struct TableSoFar {
    base: EntityExtractor,
    pairs: Vec<AcronymPair>,
    made_with: usize,
    current: EntityExtractor,
}

impl TableSoFar {
    /// Starting from the definitions `known` before any file is read.
    pub fn new(base: &EntityExtractor, known: Vec<AcronymPair>) -> TableSoFar {
        let current = base
            .clone()
            .with_acronyms(std::sync::Arc::new(corpus_table(base, &known)));
        TableSoFar {
            base: base.clone(),
            made_with: known.len(),
            pairs: known,
            current,
        }
    }

    /// Definitions read since.
    pub fn define(&mut self, pairs: impl IntoIterator<Item = AcronymPair>) {
        self.pairs.extend(pairs);
    }

    /// The extractor with the table of the definitions known now, made again once those read
    /// since it was made are an eighth of those it was made with (or any, under eight), so
    /// that remaking it costs time linear in the corpus's definitions, not quadratic.
    pub fn extractor(&mut self) -> &EntityExtractor {
        let since = self.pairs.len() - self.made_with;
        if since > 0 && since >= (self.made_with / 8).max(1) {
            let table = corpus_table(&self.base, &self.pairs);
            self.current = self.base.clone().with_acronyms(std::sync::Arc::new(table));
            self.made_with = self.pairs.len();
        }
        &self.current
    }
}
