//! A ranked query restricted by a filter (dates, entities, sections, categories) that keeps
//! top-k pruning. As a tantivy intersection, the filter would make every match of the ranked
//! query be scored; here the ranked query runs its own pruning loop (block-max WAND over a
//! flat union of terms) and each passage it offers is checked against the filter by seeking
//! the filter's documents forward, so that only passages that pass the filter raise the
//! threshold. A selective filter (under a tenth of the passages) leads a plain intersection
//! instead, which visits only its passages. The filter adds nothing to the score. Counting and
//! facets use tantivy's intersection of the two, which matches the same passages.

use tantivy::query::{
    ConstScoreQuery, EnableScoring, Explanation, Query, Scorer, Weight, intersect_scorers,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// A filter that keeps less than 1/SELECTIVE of a segment's passages leads an intersection
/// instead.
const SELECTIVE: u64 = 10;

#[derive(Debug)]
pub struct FilteredQuery {
    ranked: Box<dyn Query>,
    filter: Box<dyn Query>,
}

impl FilteredQuery {
    pub fn new(ranked: Box<dyn Query>, filter: Box<dyn Query>) -> FilteredQuery {
        FilteredQuery { ranked, filter }
    }
}

impl Clone for FilteredQuery {
    fn clone(&self) -> FilteredQuery {
        FilteredQuery::new(self.ranked.box_clone(), self.filter.box_clone())
    }
}

impl Query for FilteredQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(FilteredWeight {
            ranked: self.ranked.weight(enable_scoring)?,
            filter: ConstScoreQuery::new(self.filter.box_clone(), 0.0).weight(enable_scoring)?,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.ranked.query_terms(visitor);
        self.filter.query_terms(visitor);
    }
}

struct FilteredWeight {
    ranked: Box<dyn Weight>,
    /// The filter as a constant score of 0.
    filter: Box<dyn Weight>,
}

impl FilteredWeight {
    /// tantivy's intersection of the ranked query and the filter: the same score as the ranked
    /// query alone (the filter adds 0).
    fn intersection(
        &self,
        reader: &SegmentReader,
        boost: Score,
        filter: Box<dyn Scorer>,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        let ranked = self.ranked.scorer(reader, boost)?;
        Ok(intersect_scorers(vec![ranked, filter], reader.num_docs()))
    }
}

impl Weight for FilteredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let filter = self.filter.scorer(reader, 1.0)?;
        self.intersection(reader, boost, filter)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        // Fails with "does not match" when the filter leaves the passage out.
        self.filter.explain(reader, doc)?;
        self.ranked.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut filter = self.filter.scorer(reader, 1.0)?;
        if filter.cost().saturating_mul(SELECTIVE) < u64::from(reader.max_doc()) {
            // A filter that keeps few passages is the cheaper driver: the intersection visits
            // only its passages, where the ranked loop would find few of them to raise its
            // threshold with and prune little.
            let mut scorer = self.intersection(reader, 1.0, filter)?;
            for_each_over_threshold(&mut *scorer, threshold, callback);
            return Ok(());
        }
        let mut threshold = threshold;
        let mut last = 0;
        self.ranked
            .for_each_pruning(threshold, reader, &mut |doc, score| {
                // Every pruning loop offers documents in increasing order, so the filter only
                // ever seeks forward.
                debug_assert!(doc >= last, "documents offered out of order");
                last = doc;
                let mut at = filter.doc();
                if at < doc {
                    at = filter.seek(doc);
                }
                if at == doc {
                    threshold = callback(doc, score);
                }
                threshold
            })
    }
}

/// Offers every document of `scorer` scoring over the threshold to `callback`, which returns
/// the new threshold: top-k collection without skipping, for scorers that cannot prune.
pub(super) fn for_each_over_threshold(
    scorer: &mut dyn Scorer,
    mut threshold: Score,
    callback: &mut dyn FnMut(DocId, Score) -> Score,
) {
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        let score = scorer.score();
        if score > threshold {
            threshold = callback(doc, score);
        }
        doc = scorer.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{INDEXED, IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    /// Top-k of the filtered query equals top-k of tantivy's intersection, for filters that keep
    /// many, few and no passages, with and without deleted documents.
    #[test]
    fn ranks_like_an_intersection_with_the_filter() {
        let mut builder = Schema::builder();
        let body = builder.add_text_field("body", TEXT);
        let tag = builder.add_u64_field("tag", INDEXED);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["grain", "prices", "wheat", "oil"];
        for doc in 0..5_000u64 {
            let mut document = TantivyDocument::default();
            let repeats = (doc % 7) as usize + 1;
            let word = words[(doc % 4) as usize];
            let other = words[(doc * 3 % 5 % 4) as usize];
            document.add_text(
                body,
                format!("{} {other} filler", [word; 8][..repeats].join(" ")),
            );
            // Tag 11 is on 2% of documents: a selective filter.
            document.add_u64(tag, if doc % 50 == 7 { 11 } else { doc % 10 });
            writer.add_document(document).unwrap();
        }
        writer.commit().unwrap();
        writer.delete_term(Term::from_field_u64(tag, 9));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |field, word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let ranked = || -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Should, term(body, "grain")),
                (Occur::Should, term(body, "prices")),
            ]))
        };
        let tag_is = |value: u64| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_u64(tag, value),
                IndexRecordOption::Basic,
            ))
        };
        let broad = || -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                (0..6).map(|value| (Occur::Should, tag_is(value))).collect(),
            ))
        };
        // Broad (the ranked loop drives), selective (the intersection drives), nothing left.
        for filter in [broad(), tag_is(3), tag_is(11), tag_is(9), tag_is(42)] {
            let filtered = FilteredQuery::new(ranked(), filter.box_clone());
            // tantivy's own intersection, the reference.
            let plain = BooleanQuery::new(vec![
                (Occur::Must, ranked()),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>,
                ),
            ]);
            for k in [1, 10, 100, 1_000] {
                let collector = TopDocs::with_limit(k).order_by_score();
                let mut found = searcher.search(&filtered, &collector).unwrap();
                let mut expected = searcher.search(&plain, &collector).unwrap();
                assert_eq!(found.len(), expected.len());
                // The k-th score is the same; among equal scores either passage may be kept.
                if let (Some(last), Some(expected_last)) = (found.last(), expected.last()) {
                    assert_eq!(last.0, expected_last.0);
                }
                let cut = found.last().map_or(0.0, |last| last.0);
                found.retain(|(score, _)| *score > cut);
                expected.retain(|(score, _)| *score > cut);
                assert_eq!(found, expected);
            }
            assert_eq!(
                searcher.search(&filtered, &Count).unwrap(),
                searcher.search(&plain, &Count).unwrap()
            );
            // An explanation gives the ranked score of a passage that passes the filter.
            let weight = filtered
                .weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            let top = TopDocs::with_limit(3).order_by_score();
            for (score, address) in searcher.search(&filtered, &top).unwrap() {
                let segment = searcher.segment_reader(address.segment_ord);
                let explained = weight.explain(segment, address.doc_id).unwrap().value();
                assert!((explained - score).abs() < 1e-5, "{explained} vs {score}");
            }
        }
        // Document 0 holds "grain" and tag 0: a filter on tag 3 leaves it out.
        let weight = FilteredQuery::new(ranked(), tag_is(3))
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        assert!(weight.explain(searcher.segment_reader(0), 0).is_err());
    }
}
