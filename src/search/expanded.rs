//! A query with its entity expansion (`expand::entity_expansion`), ranked without paying for
//! the expansion's postings. It matches and scores as the union of the two (the expansion
//! adds at most `max_bonus` to a passage), and counting, facets and explanations use that
//! union; but the top-k loop runs the query's own pruning loop (block-max WAND over its terms)
//! with its threshold lowered by `max_bonus`, adds the bonus of each passage it offers by
//! seeking the expansion's postings forward, and visits the passages only the expansion
//! matches only while they could still enter the top (fewer passages than wanted, or a
//! threshold under `max_bonus`). The union itself would visit every passage that names the
//! entity: "british OR cars" read the 22,000 passages that mention the United Kingdom.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

#[derive(Debug)]
pub struct ExpandedQuery {
    /// The query as the user wrote it (with the search's filter, if any).
    main: Box<dyn Query>,
    /// The expansion's clauses (with the same filter).
    expansion: Box<dyn Query>,
    /// `main` and `expansion` as one union: what this query matches and how it scores.
    union: Box<dyn Query>,
    /// The most the expansion adds to a passage's score.
    max_bonus: Score,
}

impl ExpandedQuery {
    pub fn new(
        main: Box<dyn Query>,
        expansion: Box<dyn Query>,
        union: Box<dyn Query>,
        max_bonus: Score,
    ) -> ExpandedQuery {
        ExpandedQuery {
            main,
            expansion,
            union,
            max_bonus,
        }
    }

    /// The union this query matches and scores as.
    pub fn union(&self) -> &dyn Query {
        &*self.union
    }
}

impl Clone for ExpandedQuery {
    fn clone(&self) -> ExpandedQuery {
        ExpandedQuery::new(
            self.main.box_clone(),
            self.expansion.box_clone(),
            self.union.box_clone(),
            self.max_bonus,
        )
    }
}

impl Query for ExpandedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExpandedWeight {
            main: self.main.weight(enable_scoring)?,
            expansion: self.expansion.weight(enable_scoring)?,
            union: self.union.weight(enable_scoring)?,
            // A margin for the order in which the union sums the clauses' scores.
            max_bonus: self.max_bonus * 1.001 + 1e-6,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.union.query_terms(visitor);
    }
}

struct ExpandedWeight {
    main: Box<dyn Weight>,
    expansion: Box<dyn Weight>,
    union: Box<dyn Weight>,
    max_bonus: Score,
}

impl Weight for ExpandedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.union.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.union.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.union.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.union.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.union.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let max_bonus = self.max_bonus;
        let mut threshold = threshold;
        // The passages of the query: a passage scoring at most `threshold - max_bonus` on its
        // own cannot pass `threshold` with any bonus.
        let mut bonus = self.expansion.scorer(reader, 1.0)?;
        self.main
            .for_each_pruning(threshold - max_bonus, reader, &mut |doc, score| {
                // A pruning loop offers documents in increasing order: the expansion only
                // seeks forward.
                let mut at = bonus.doc();
                if at < doc {
                    at = bonus.seek(doc);
                }
                let score = if at == doc {
                    score + bonus.score()
                } else {
                    score
                };
                if score > threshold {
                    threshold = callback(doc, score);
                }
                threshold - max_bonus
            })?;
        if threshold >= max_bonus {
            // No passage the expansion alone matches scores enough to enter the top.
            return Ok(());
        }
        let mut main = self.main.scorer(reader, 1.0)?;
        let mut expansion = self.expansion.scorer(reader, 1.0)?;
        let mut doc = expansion.doc();
        while doc != TERMINATED {
            let mut at = main.doc();
            if at < doc {
                at = main.seek(doc);
            }
            // A passage the query matches was offered above, with its bonus.
            if at != doc {
                let score = expansion.score();
                if score > threshold {
                    threshold = callback(doc, score);
                }
            }
            doc = expansion.advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, RangeQuery, TermQuery};
    use tantivy::schema::{INDEXED, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, TantivyDocument};

    use crate::search::filtered::FilteredQuery;

    /// Passages of words and an entity: the word `grain` on some, the entity `uk` on others
    /// (many of them without the word), a number to filter on.
    fn index() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let entity = builder.add_text_field("entity", STRING);
        let n = builder.add_u64_field("n", INDEXED);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..3_000u64 {
            let mut document = TantivyDocument::default();
            let mut words = vec!["filler"; (i % 7) as usize + 1];
            if i % 5 == 0 {
                words.push("grain");
            }
            if i % 11 == 0 {
                words.push("grain");
                words.push("prices");
            }
            if i % 3 == 0 {
                words.push("prices");
            }
            document.add_text(text, words.join(" "));
            if i % 4 == 0 || i % 13 == 0 {
                document.add_text(entity, "uk");
            }
            document.add_u64(n, i % 10);
            writer.add_document(document).unwrap();
        }
        writer.commit().unwrap();
        (index, text, entity)
    }

    fn top(searcher: &tantivy::Searcher, query: &dyn Query, k: usize) -> Vec<(Score, DocAddress)> {
        searcher
            .search(query, &TopDocs::with_limit(k).order_by_score())
            .unwrap()
    }

    #[test]
    fn the_top_is_the_unions_top_with_or_without_a_filter() {
        let (index, text, entity) = index();
        let searcher = index.reader().unwrap().searcher();
        let word = |w: &str| {
            Box::new(TermQuery::new(
                Term::from_field_text(text, w),
                IndexRecordOption::WithFreqs,
            )) as Box<dyn Query>
        };
        let mains: Vec<Box<dyn Query>> = vec![
            word("grain"),
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, word("grain")),
                (Occur::Should, word("prices")),
            ])),
            // Few matches: the expansion's own passages fill the top.
            word("nowhere"),
        ];
        let expansion = || {
            let term = TermQuery::new(
                Term::from_field_text(entity, "uk"),
                IndexRecordOption::Basic,
            );
            Box::new(BoostQuery::new(Box::new(term), 0.01)) as Box<dyn Query>
        };
        let n_field = index.schema().get_field("n").unwrap();
        let filter = || {
            Box::new(RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_u64(n_field, 2)),
                std::ops::Bound::Included(Term::from_field_u64(n_field, 8)),
            )) as Box<dyn Query>
        };
        for main in &mains {
            for filtered in [false, true] {
                let wrap = |query: Box<dyn Query>| match filtered {
                    true => Box::new(FilteredQuery::new(query, filter())) as Box<dyn Query>,
                    false => query,
                };
                let union = BooleanQuery::new(vec![
                    (Occur::Should, main.box_clone()),
                    (Occur::Should, expansion()),
                ]);
                let union = wrap(Box::new(union));
                let expanded = ExpandedQuery::new(
                    wrap(main.box_clone()),
                    wrap(expansion()),
                    union.box_clone(),
                    0.05,
                );
                for k in [1, 10, 100, 2_000] {
                    let want = top(&searcher, &*union, k);
                    let got = top(&searcher, &expanded, k);
                    assert_eq!(got.len(), want.len(), "{main:?} filtered {filtered}, k {k}");
                    for ((got_score, got_doc), (want_score, want_doc)) in got.iter().zip(&want) {
                        assert!(
                            (got_score - want_score).abs() < 1e-4,
                            "{got_score} {want_score}"
                        );
                        // Ties may come in another order; a different passage must tie.
                        if got_doc != want_doc {
                            let explained = union.explain(&searcher, *got_doc).unwrap();
                            assert!((explained.value() - want_score).abs() < 1e-4);
                        }
                    }
                }
                // It counts what the union counts.
                assert_eq!(
                    expanded.count(&searcher).unwrap(),
                    union.count(&searcher).unwrap()
                );
            }
        }
    }
}
