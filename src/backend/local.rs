//! The local backend: `SearchBackend` for the tantivy `Searcher`, delegating every call. It
//! adds nothing and changes nothing, so that local results stay exactly as `search` makes them.

use crate::entity_stats::{EntityCounts, top_entities};
use crate::error::IndexError;
use crate::model::EntityKind;
use crate::search::{SearchRequest, SearchResults, Searcher};

use super::{BackendError, BackendInfo, SearchBackend};

impl SearchBackend for Searcher {
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, BackendError> {
        Ok(Searcher::search(self, request)?)
    }

    fn entity_counts(
        &self,
        query: Option<&str>,
        kind: Option<EntityKind>,
        top: usize,
    ) -> Result<EntityCounts, BackendError> {
        let query = query.map(|text| self.parse_query(text)).transpose()?;
        let searcher = self.tantivy_searcher();
        let entities = top_entities(
            &searcher,
            &self.handle().fields,
            &self.spellings(&searcher),
            query.as_deref(),
            kind,
            top,
        )?;
        Ok(EntityCounts {
            entities,
            labels_left_out: false,
        })
    }

    fn check_query(&self, query: &str) -> Result<(), BackendError> {
        self.parse_query(query)
            .map(drop)
            .map_err(BackendError::from)
    }

    fn describe(&self) -> Result<BackendInfo, BackendError> {
        let handle = self.handle();
        let searcher = handle
            .index
            .reader()
            .map_err(|source| IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            })?
            .searcher();
        Ok(BackendInfo {
            name: handle.path.display().to_string(),
            passages: searcher.num_docs(),
            segments: searcher.segment_readers().len(),
            local_path: Some(handle.path.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::build::{IndexSink, Silent, stream_corpus};
    use crate::extract::entities::EntityExtractor;
    use crate::index;
    use crate::ingest::{WalkOptions, walk_corpus};

    use super::*;

    #[test]
    fn the_local_backend_gives_what_the_searcher_gives() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(
            folder.path().join("note.md"),
            "# Shells for Ukraine\n\nSerbian factories exported shells in 2024.\n\nThe weather was mild.\n",
        )
        .unwrap();
        let extractor = EntityExtractor::builtin();
        let handle = index::create_in_ram();
        let mut writer = index::writer(&handle, 50).unwrap();
        let walk = walk_corpus(folder.path(), &WalkOptions::default()).unwrap();
        let map = crate::ingest::mapping::FieldMap::default();
        let mut sink = IndexSink::new(&handle, &writer);
        let report = stream_corpus(walk, &map, &extractor, &Silent, &mut sink).unwrap();
        assert_eq!(report.articles, 1);
        writer.commit().unwrap();
        let searcher = Searcher::new(handle, extractor).unwrap();
        searcher.reload().unwrap();
        let request = SearchRequest::new("shells");
        let direct = Searcher::search(&searcher, &request).unwrap();
        let backend: &dyn SearchBackend = &searcher;
        let through = backend.search(&request).unwrap();
        assert!(!direct.hits.is_empty());
        assert_eq!(
            serde_json::to_value(&direct.hits).unwrap(),
            serde_json::to_value(&through.hits).unwrap()
        );
        let facets = backend.facets(&request).unwrap();
        assert_eq!(facets.total, direct.hits.len() as u64);
    }
}
