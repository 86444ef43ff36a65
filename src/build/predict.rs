//! The corpus acronym table of a full build, known before its stream: the passages that may
//! define an acronym (an acronym in brackets after a name that may spell it,
//! `bracketed_acronyms`) are labelled first, on all cores, for their definitions alone. The
//! stream then labels every article with that table at once: nothing is held back for the
//! final table and nothing is read again, where otherwise a corpus with many acronyms holds
//! articles up to `HOLD_BYTES` and reads the rest again (a third of a synthetic corpus of
//! Reuters sentences). A definition the guess misses or gets otherwise costs only time: the
//! final table, counted from the stream's own definitions as always, differs, and the
//! articles it labels otherwise are read again (`Relabel`).

use super::hold::{bracketed_acronyms_of_file, corpus_table};
use super::read::ChunkBatch;

use rustc_hash::FxHashSet;

use crate::extract::acronyms::{AcronymPair, AcronymTable, bracketed_acronyms};
use crate::extract::entities::EntityExtractor;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile};
use crate::model::Article;
use crate::passage::split_passages;

/// The table the stream of a full build will end with, as far as a scan can tell: the
/// definitions of the articles of `to_read` that may define an acronym, with those of the
/// files the build keeps (`kept`), without the acronyms the extractor's lists know.
pub(super) fn predicted_table<'a>(
    extractor: &EntityExtractor,
    files: &[CorpusFile],
    to_read: &[usize],
    map: &FieldMap,
    kept: impl IntoIterator<Item = &'a AcronymPair>,
) -> AcronymTable {
    let mut pairs: Vec<AcronymPair> = kept.into_iter().cloned().collect();
    if !extractor.finds_nothing() {
        pairs.extend(definitions(extractor, files, to_read, map));
    }
    corpus_table(extractor, &pairs)
}

/// The definitions of the articles of the files `to_read` that may define an acronym, read in
/// chunks on all cores (`ChunkBatch`).
fn definitions(
    extractor: &EntityExtractor,
    files: &[CorpusFile],
    to_read: &[usize],
    map: &FieldMap,
) -> Vec<AcronymPair> {
    use rayon::prelude::*;
    let candidates: Vec<usize> = to_read
        .par_iter()
        .copied()
        .filter(|&index| !bracketed_acronyms_of_file(&files[index].path).is_empty())
        .collect();
    let mut pairs = Vec::new();
    let mut batch = ChunkBatch::new();
    let mut label = |chunks: Vec<ingest::Chunk>| {
        let found: Vec<Vec<AcronymPair>> = chunks
            .into_par_iter()
            .map(|chunk| {
                ingest::read_chunk(chunk, map)
                    .articles
                    .into_iter()
                    .flatten()
                    .flat_map(|article| defined_by(extractor, &article))
                    .collect()
            })
            .collect();
        pairs.extend(found.into_iter().flatten());
    };
    for index in candidates {
        ingest::split_file(files[index].clone(), ingest::CHUNK_BYTES, &mut |chunk| {
            if let Some(full) = batch.push(chunk) {
                label(full);
            }
            true
        });
    }
    label(batch.take());
    pairs
}

/// What `article` defines, as the stream labels it (`EntityExtractor::acronyms_defined`),
/// from its passages that may define an acronym; nothing, without labelling, when none may.
fn defined_by(extractor: &EntityExtractor, article: &Article) -> Vec<AcronymPair> {
    let passages = split_passages(article);
    let mut keys = FxHashSet::default();
    let may_define = passages.iter().filter(|passage| {
        keys.clear();
        bracketed_acronyms(passage.text.as_bytes(), 0, true, &mut keys);
        !keys.is_empty()
    });
    extractor.acronyms_defined(may_define.map(|passage| passage.text.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ingest::{WalkOptions, walk_corpus};

    #[test]
    fn the_table_is_known_before_the_article_that_defines_an_acronym_is_read() {
        let dir = tempfile::tempdir().unwrap();
        // Read in name order: the user of BAMG first.
        std::fs::write(
            dir.path().join("a.txt"),
            " date 2024-05-09 Shell exports slow\n\nExports slowed, BAMG said.\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.txt"),
            " date 2024-05-02 Monitors count shells\n\nGrain exports rose.\n\nThe Balkan Arms \
             Monitoring Group (BAMG) counted artillery shells.\n",
        )
        .unwrap();
        let walk = walk_corpus(dir.path(), &WalkOptions::default()).unwrap();
        let extractor = EntityExtractor::builtin();
        let map = FieldMap::default();
        let all: Vec<usize> = (0..walk.files.len()).collect();
        let table = predicted_table(&extractor, &walk.files, &all, &map, []);
        let entity = table.get("bamg").expect("BAMG is defined");
        assert_eq!(entity.name, "Balkan Arms Monitoring Group");
        // A file without a bracket is not labelled, and defines nothing.
        let table = predicted_table(&extractor, &walk.files, &[0], &map, []);
        assert!(table.is_empty());
    }
}
