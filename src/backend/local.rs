//! The local backend: `SearchBackend` for the tantivy `Searcher`, delegating every call. It
//! adds nothing and changes nothing, so that local results stay exactly as `search` makes them.

use crate::search::{SearchRequest, SearchResults, Searcher};

use super::{BackendError, SearchBackend};

impl SearchBackend for Searcher {
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, BackendError> {
        Ok(Searcher::search(self, request)?)
    }
}

#[cfg(test)]
mod tests {
    use crate::build::process_file;
    use crate::extract::entities::EntityExtractor;
    use crate::index::{self, passage_document};
    use crate::ingest::{CorpusFile, Format};

    use super::*;

    #[test]
    fn the_local_backend_gives_what_the_searcher_gives() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("note.md");
        std::fs::write(
            &path,
            "# Shells for Ukraine\n\nSerbian factories exported shells in 2024.\n\nThe weather was mild.\n",
        )
        .unwrap();
        let file = CorpusFile {
            path: path.clone(),
            relative: "note.md".to_string(),
            format: Format::Markdown,
            size: std::fs::metadata(&path).unwrap().len(),
        };
        let extractor = EntityExtractor::builtin();
        let handle = index::create_in_ram();
        let mut writer = index::writer(&handle, 50).unwrap();
        let map = crate::ingest::mapping::FieldMap::default();
        for (article, passages) in process_file(&file, &map, &extractor).articles {
            for passage in &passages {
                writer
                    .add_document(passage_document(&handle.fields, &article, passage))
                    .unwrap();
            }
        }
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
