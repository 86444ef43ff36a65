//! An excluded clause (`-word`, `NOT "a phrase"`) as tantivy's exclusion reads it. An
//! exclusion asks its clause, for each candidate in turn, whether it holds that document
//! (`seek_danger`); a phrase's scorer may already stand past the candidate (a phrase with no
//! match in the segment stands at its end from the start), which its `seek_danger` does not
//! allow (a debug assertion; `search::tests::random_query_language_never_panics` found
//! `-gas*serbia`). `ExclusionQuery` answers from the scorer's position, moving it only forward
//! with `seek`, which leaves it valid: never ahead of a document it has not ruled out.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term};

/// A clause for the `MustNot` side of a boolean query.
#[derive(Debug)]
pub(super) struct ExclusionQuery(pub(super) Box<dyn Query>);

impl Clone for ExclusionQuery {
    fn clone(&self) -> ExclusionQuery {
        ExclusionQuery(self.0.box_clone())
    }
}

impl Query for ExclusionQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExclusionWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExclusionWeight(Box<dyn Weight>);

impl Weight for ExclusionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ForwardOnly(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// A scorer asked whether it holds a document by seeking, never by `seek_danger`.
struct ForwardOnly(Box<dyn Scorer>);

impl DocSet for ForwardOnly {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.0.doc() >= target {
            return self.0.doc();
        }
        self.0.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        let doc = self.seek(target);
        if doc == target {
            SeekDangerResult::Found
        } else {
            SeekDangerResult::SeekLowerBound(doc)
        }
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for ForwardOnly {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tantivy::collector::Count;
    use tantivy::query::{BooleanQuery, Occur, PhraseQuery, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, doc};

    /// Documents that hold a word, less those that hold a phrase of no document: all of them,
    /// where the phrase's scorer, at its end from the start, is asked about the first.
    #[test]
    fn a_phrase_that_matches_nothing_excludes_nothing() {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for body in ["gas prices", "serbia gas", "gas and serbia", "serbia"] {
            writer.add_document(doc!(text => body)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |word: &str| Term::from_field_text(text, word);
        let count = |excluded: Box<dyn Query>| {
            let query = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(term("gas"), IndexRecordOption::Basic)),
                ),
                (Occur::MustNot, Box::new(ExclusionQuery(excluded))),
            ]);
            searcher.search(&query, &Count).unwrap()
        };
        let phrase = |words: [&str; 2]| -> Box<dyn Query> {
            Box::new(PhraseQuery::new(words.iter().map(|w| term(w)).collect()))
        };
        // "gas serbia" is in no document.
        assert_eq!(count(phrase(["gas", "serbia"])), 3);
        // "serbia gas" is in the second: it goes.
        assert_eq!(count(phrase(["serbia", "gas"])), 2);
        assert_eq!(
            count(Box::new(TermQuery::new(
                term("prices"),
                IndexRecordOption::Basic
            ))),
            2
        );
    }
}
