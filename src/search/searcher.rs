//! The open index a search runs on: reader, analysers, the acronym table of the loaded commit,
//! the spelling table of its segments, and the per-segment key columns; `reload` moves it to a
//! new commit.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{IndexReader, ReloadPolicy};

use crate::analysis::english_analyzer;
use crate::error::IndexError;
use crate::extract::entities::EntityExtractor;
use crate::extract::spelling::Spellings;
use crate::index::IndexHandle;
use crate::model::ExtraField;

/// A segment's article id and passage ordinal columns.
pub(super) type KeyColumns = (
    Option<tantivy::columnar::StrColumn>,
    Option<tantivy::columnar::Column<u64>>,
);

/// An open index ready to answer queries; cheap to share between threads.
pub struct Searcher {
    pub(super) handle: IndexHandle,
    pub(super) reader: IndexReader,
    /// With the acronym table of the loaded commit: `reload` replaces it with the new one's.
    pub(super) extractor: std::sync::RwLock<EntityExtractor>,
    /// Built once; each query works on a cheap clone.
    pub(super) english: TextAnalyzer,
    /// Each segment's article id and ordinal columns, opened once: opening the id column
    /// reads its dictionary's index, which costs more than a whole top-10 search.
    pub(super) key_columns: std::sync::Mutex<HashMap<SegmentId, KeyColumns>>,
    /// The spelling table of the segments last read (`index::segments_key`), loaded when
    /// first needed: a search that shows no entity never reads it.
    pub(super) spellings: std::sync::Mutex<Option<(String, Arc<Spellings>)>>,
    /// The fields declared when the loaded commit was built (`[fields.extra]`).
    pub(super) extras: std::sync::RwLock<Arc<[ExtraField]>>,
}

impl Searcher {
    pub fn new(handle: IndexHandle, extractor: EntityExtractor) -> Result<Searcher, IndexError> {
        let reader = handle
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|source| IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            })?;
        // Names resolve with the acronyms that the index's articles define, too (their table
        // read when a search first needs it); the commit payload names it and lists the
        // declared fields.
        let payload = crate::index::last_payload(&handle).ok().flatten();
        let acronyms = crate::index::acronyms_of(&handle, payload.as_ref());
        let extractor = extractor.with_corpus_acronyms(acronyms);
        let extras: Arc<[ExtraField]> = payload
            .map(|payload| payload.extras)
            .unwrap_or_default()
            .into();
        Ok(Searcher {
            handle,
            reader,
            extractor: std::sync::RwLock::new(extractor),
            english: english_analyzer(),
            key_columns: std::sync::Mutex::new(HashMap::new()),
            spellings: std::sync::Mutex::new(None),
            extras: std::sync::RwLock::new(extras),
        })
    }

    /// The index's spelling table for the segments `searcher` reads (`Spellings::canonical`
    /// shows each entity under its one spelling across the index), read from its file on first
    /// use and again only when the segments change (`reload`).
    pub fn spellings(&self, searcher: &tantivy::Searcher) -> Arc<Spellings> {
        let key = crate::index::segments_key(searcher);
        let mut loaded = self
            .spellings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((loaded_key, table)) = loaded.as_ref()
            && *loaded_key == key
        {
            return table.clone();
        }
        let table = Arc::new(crate::index::load_spellings(&self.handle, searcher));
        *loaded = Some((key, table.clone()));
        table
    }

    /// The same searcher with another extractor (query expansion and `--entity` resolve
    /// names with it).
    pub fn with_extractor(self, extractor: EntityExtractor) -> Searcher {
        let extractor = extractor.with_corpus_acronyms(self.extractor().corpus_acronyms().clone());
        Searcher {
            extractor: std::sync::RwLock::new(extractor),
            ..self
        }
    }

    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// The extractor names resolve with, and the acronym table of the loaded commit (a cheap
    /// clone: its lists and table are shared).
    pub fn extractor(&self) -> EntityExtractor {
        self.extractor
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The fields declared when the loaded commit was built, in order (a cheap clone).
    pub fn extras(&self) -> Arc<[ExtraField]> {
        self.extras
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A tantivy searcher on the loaded state of the index, for counts and aggregations.
    pub fn tantivy_searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    pub(super) fn tantivy_error(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        }
    }

    /// Picks up the last committed state of the index, and its acronym table.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader
            .reload()
            .map_err(|source| self.tantivy_error(source))?;
        let payload = crate::index::last_payload(&self.handle).ok().flatten();
        let acronyms = crate::index::acronyms_of(&self.handle, payload.as_ref());
        let mut extractor = self
            .extractor
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *extractor = extractor.clone().with_corpus_acronyms(acronyms);
        let extras: Arc<[ExtraField]> = payload
            .map(|payload| payload.extras)
            .unwrap_or_default()
            .into();
        *self
            .extras
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = extras;
        Ok(())
    }
}
