//! `PrunedPhraseQuery`: tantivy's phrase query, ranked for a top-k without reading the
//! positions of passages that cannot enter it.
//!
//! tantivy ranks a phrase by checking the positions of every passage that holds all its words,
//! then scoring it. A phrase of two common words ("merrill lynch") holds thousands of such
//! passages, and reading their positions is most of its time. A phrase occurs at most as
//! often in a passage as the word of the phrase that occurs least, and BM25 grows with the
//! frequency, so the phrase's BM25 at that frequency bounds its score. A passage whose bound
//! does not pass the top-k's threshold is skipped on its words' frequencies alone; the others
//! are checked by tantivy's own phrase scorer, so the scores are tantivy's.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

/// A phrase (with its slop) whose top-k skips the passages it cannot rank.
#[derive(Debug, Clone)]
pub(super) struct PrunedPhraseQuery {
    phrase: PhraseQuery,
    slop: u32,
}

impl PrunedPhraseQuery {
    /// The phrase of `terms` at their offsets, with `slop`.
    pub(super) fn new(terms: Vec<(usize, Term)>, slop: u32) -> PrunedPhraseQuery {
        PrunedPhraseQuery {
            phrase: PhraseQuery::new_with_offset_and_slop(terms, slop),
            slop,
        }
    }
}

impl Query for PrunedPhraseQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.phrase.weight(enable_scoring)?;
        let terms = self.phrase.phrase_terms();
        let bm25 = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => Some(Bm25Weight::for_terms(statistics_provider, &terms)?),
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(PrunedPhraseWeight {
            inner,
            terms,
            bm25,
            slop: self.slop,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

struct PrunedPhraseWeight {
    /// tantivy's phrase weight: it scores, explains and counts.
    inner: Box<dyn Weight>,
    terms: Vec<Term>,
    /// The phrase's BM25 (the sum of its words' idf), as tantivy's phrase weight has it.
    bm25: Option<Bm25Weight>,
    slop: u32,
}

impl PrunedPhraseWeight {
    /// The most times the phrase can occur in a passage whose words occur `freqs` times: with
    /// no slop, as often as its rarest word; with a slop, tantivy counts matches of its first
    /// word, so no more than the most frequent word.
    fn max_count(&self, freqs: impl Iterator<Item = u32>) -> u32 {
        if self.slop == 0 {
            freqs.min().unwrap_or(0)
        } else {
            freqs.max().unwrap_or(0)
        }
    }
}

impl Weight for PrunedPhraseWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        self.inner.scorer_danger(reader, target, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let Some(bm25) = &self.bm25 else {
            // Without scores there is nothing to prune on.
            return self.inner.for_each_pruning(threshold, reader, callback);
        };
        // Until the top-k is full (scores are positive), every match enters it: tantivy's
        // own loop, which reads each candidate's positions once.
        let mut phrase = self.inner.scorer(reader, 1.0)?;
        let mut doc = phrase.doc();
        while doc != TERMINATED && threshold <= 0.0 {
            let score = phrase.score();
            if score > threshold {
                threshold = callback(doc, score);
            }
            doc = phrase.advance();
        }
        // A threshold past any score (a stopped search: `cancel::CancellableQuery`) ends it.
        if doc == TERMINATED || threshold == Score::INFINITY {
            return Ok(());
        }
        // `doc` is a match not offered yet.
        let score = phrase.score();
        if score > threshold {
            threshold = callback(doc, score);
        }
        let field = self.terms[0].field();
        let fieldnorms = match reader.fieldnorms_readers().get_field(field)? {
            Some(fieldnorms) => fieldnorms,
            None => FieldNormReader::constant(reader.max_doc(), 1),
        };
        let index = reader.inverted_index(field)?;
        let mut words: Vec<SegmentPostings> = Vec::with_capacity(self.terms.len());
        for term in &self.terms {
            match index.read_postings(term, IndexRecordOption::WithFreqs)? {
                Some(postings) => words.push(postings),
                None => return Ok(()),
            }
        }
        // The rarest word leads the intersection, from the passage after `doc`.
        words.sort_by_key(|postings| postings.doc_freq());
        let mut candidate = words[0].seek(doc + 1);
        'candidates: while candidate != TERMINATED {
            for postings in &mut words[1..] {
                let at = postings.seek(candidate);
                if at != candidate {
                    candidate = words[0].seek(at);
                    continue 'candidates;
                }
            }
            let max_count = self.max_count(words.iter().map(|postings| postings.term_freq()));
            if bm25.score(fieldnorms.fieldnorm_id(candidate), max_count) > threshold
                && phrase.seek_danger(candidate) == SeekDangerResult::Found
            {
                let score = phrase.score();
                if score > threshold {
                    threshold = callback(candidate, score);
                    if threshold == Score::INFINITY {
                        break;
                    }
                }
            }
            candidate = words[0].advance();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;
    use tantivy::collector::TopDocs;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{DocAddress, Index, doc};

    fn index_of(texts: &[String]) -> (Index, tantivy::schema::Field) {
        let mut builder = Schema::builder();
        let text = builder.add_text_field("text", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (at, body) in texts.iter().enumerate() {
            writer.add_document(doc!(text => body.as_str())).unwrap();
            if at % 7 == 6 {
                // Several segments, some without every word.
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        (index, text)
    }

    fn top(index: &Index, query: &dyn Query, k: usize) -> Vec<(Score, DocAddress)> {
        let searcher = index.reader().unwrap().searcher();
        searcher
            .search(query, &TopDocs::with_limit(k).order_by_score())
            .unwrap()
    }

    /// The words at their offsets in a phrase.
    fn terms(field: tantivy::schema::Field, words: &[&str]) -> Vec<(usize, Term)> {
        words
            .iter()
            .enumerate()
            .map(|(offset, word)| (offset, Term::from_field_text(field, word)))
            .collect()
    }

    proptest! {
        /// The same best passages, with the same scores, as tantivy's phrase query, over
        /// texts of a few words where a phrase's words often come apart.
        #[test]
        fn a_pruned_phrase_ranks_as_tantivy_does(
            texts in prop::collection::vec("(lynch|merrill|bank|said|merrill lynch|lynch merrill) {1,12}", 1..40),
            slop in 0u32..3,
            k in 1usize..6,
            reversed in any::<bool>(),
        ) {
            let texts: Vec<String> = texts;
            let (index, field) = index_of(&texts);
            let words: &[&str] = if reversed { &["lynch", "merrill"] } else { &["merrill", "lynch"] };
            let plain = PhraseQuery::new_with_offset_and_slop(terms(field, words), slop);
            let pruned = PrunedPhraseQuery::new(terms(field, words), slop);
            prop_assert_eq!(top(&index, &pruned, k), top(&index, &plain, k));
            let searcher = index.reader().unwrap().searcher();
            prop_assert_eq!(
                searcher.search(&pruned, &tantivy::collector::Count).unwrap(),
                searcher.search(&plain, &tantivy::collector::Count).unwrap()
            );
        }
    }

    /// A stopped search raises the threshold past any score: nothing more is offered.
    #[test]
    fn a_threshold_past_any_score_ends_the_ranking() {
        let texts: Vec<String> = (0..50).map(|n| format!("merrill lynch said {n}")).collect();
        let (index, field) = index_of(&texts);
        let searcher = index.reader().unwrap().searcher();
        let pruned = PrunedPhraseQuery::new(terms(field, &["merrill", "lynch"]), 0);
        let weight = pruned
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        for segment in searcher.segment_readers() {
            // Stopped while the top-k fills (tantivy's loop), and after (the pruned loop).
            for (stop_after, before) in [(1, Score::MIN), (3, Score::MIN), (3, 1e-6)] {
                let mut offered = 0;
                weight
                    .for_each_pruning(Score::MIN, segment, &mut |_, _| {
                        offered += 1;
                        if offered == stop_after {
                            Score::INFINITY
                        } else {
                            before
                        }
                    })
                    .unwrap();
                // Every passage holds the phrase; the last segment holds one.
                assert_eq!(offered, stop_after.min(segment.num_docs()));
            }
        }
    }

    #[test]
    fn a_word_the_index_lacks_matches_nothing() {
        let (index, field) = index_of(&["merrill lynch said".to_string()]);
        let pruned = PrunedPhraseQuery::new(terms(field, &["merrill", "jones"]), 0);
        assert!(top(&index, &pruned, 3).is_empty());
        let pruned = PrunedPhraseQuery::new(terms(field, &["merrill", "lynch"]), 0);
        assert_eq!(top(&index, &pruned, 3).len(), 1);
    }
}
