//! Story-level scoring for `eval`: a document's matching passages (the best score and the sum
//! of them all) and, when asked, the BM25 of the whole story (`search::story::StoryScorer`) ->
//! one document score. `StoryScore` (`--story`) says how they combine; `PassageScoreCollector`
//! gathers the passage part. It builds no index and does not sort.

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

pub use crate::search::story::StoryScore;

/// Marks a passage without a known document in a passage -> document table.
pub const NO_DOC: u32 = u32::MAX;

/// Per document (by position): the best score of its matching passages (-inf when none
/// matched) and the sum of their scores.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageScores {
    pub best: Vec<Score>,
    pub sum: Vec<Score>,
    /// The largest proximity bonus (weighted) of its rescored passages, 0 when none was.
    pub proximity: Vec<Score>,
}

impl PassageScores {
    fn new(n_docs: usize) -> PassageScores {
        PassageScores {
            best: vec![Score::NEG_INFINITY; n_docs],
            sum: vec![0.0; n_docs],
            proximity: vec![0.0; n_docs],
        }
    }

    /// Counts one matching passage of document `doc_idx` (ignored when it is `NO_DOC` or out of
    /// range).
    pub fn add(&mut self, doc_idx: u32, score: Score) {
        if let Some(best) = self.best.get_mut(doc_idx as usize) {
            *best = best.max(score);
            self.sum[doc_idx as usize] += score;
        }
    }

    /// A passage of document `doc_idx` scored `old` now scores `new` (a rescoring).
    pub fn rescore(&mut self, doc_idx: u32, old: Score, new: Score) {
        if let Some(best) = self.best.get_mut(doc_idx as usize) {
            *best = best.max(new);
            self.sum[doc_idx as usize] += new - old;
            let proximity = &mut self.proximity[doc_idx as usize];
            *proximity = proximity.max(new - old);
        }
    }

    /// The document scores, combined as `story` says with the whole stories' scores (`None`:
    /// no story matched on its own).
    pub fn combine(&self, story: StoryScore, article: Option<&[Score]>) -> Vec<Score> {
        (0..self.best.len())
            .map(|idx| {
                let article = article
                    .and_then(|scores| scores.get(idx).copied())
                    .unwrap_or(Score::NEG_INFINITY);
                story.combine(self.best[idx], self.sum[idx], article)
            })
            .collect()
    }
}

/// Collects `PassageScores` over every matching passage. Scores every matching passage: test
/// collections are small, and exact document scores matter more here than the pruning a top-k
/// collector would do.
pub struct PassageScoreCollector {
    /// Segment ordinal -> tantivy doc id -> document position (or `NO_DOC`).
    pub doc_of_passage: Arc<Vec<Arc<[u32]>>>,
    pub n_docs: usize,
}

pub struct PassageScoreSegment {
    doc_of_passage: Arc<[u32]>,
    scores: PassageScores,
}

impl Collector for PassageScoreCollector {
    type Fruit = PassageScores;
    type Child = PassageScoreSegment;

    fn for_segment(
        &self,
        segment_local_id: SegmentOrdinal,
        _segment: &SegmentReader,
    ) -> tantivy::Result<PassageScoreSegment> {
        let doc_of_passage = self
            .doc_of_passage
            .get(segment_local_id as usize)
            .cloned()
            .ok_or_else(|| {
                tantivy::TantivyError::InternalError(format!(
                    "segment {segment_local_id} was not in the index when it was opened"
                ))
            })?;
        Ok(PassageScoreSegment {
            doc_of_passage,
            scores: PassageScores::new(self.n_docs),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, segment_fruits: Vec<PassageScores>) -> tantivy::Result<PassageScores> {
        let mut merged = PassageScores::new(self.n_docs);
        for fruit in segment_fruits {
            for (idx, (best, sum)) in fruit.best.into_iter().zip(fruit.sum).enumerate() {
                merged.best[idx] = merged.best[idx].max(best);
                merged.sum[idx] += sum;
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for PassageScoreSegment {
    type Fruit = PassageScores;

    fn collect(&mut self, doc: DocId, score: Score) {
        let doc_idx = self
            .doc_of_passage
            .get(doc as usize)
            .copied()
            .unwrap_or(NO_DOC);
        self.scores.add(doc_idx, score);
    }

    fn harvest(self) -> PassageScores {
        self.scores
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_moderate_passages_beat_one_slightly_better_under_sum_but_not_best() {
        // Document 0: one passage scoring 3.0; document 1: two passages scoring 2.5 and 2.0.
        let mut scores = PassageScores::new(3);
        scores.add(0, 3.0);
        scores.add(1, 2.5);
        scores.add(1, 2.0);
        scores.add(NO_DOC, 9.0);
        scores.rescore(1, 2.0, 2.0);
        let best = scores.combine(StoryScore::BEST, None);
        assert_eq!(best[..2], [3.0, 2.5]);
        assert_eq!(best[2], Score::NEG_INFINITY, "no passage matched");
        let sum = scores.combine("sum".parse().unwrap(), None);
        assert_eq!(sum[..2], [3.0, 4.5]);
        let partial = scores.combine("best+0.2rest".parse().unwrap(), None);
        assert_eq!(partial[..2], [3.0, 2.9]);
        // The whole story's own score is added with its weight, and alone finds the document.
        let article = [1.0, 0.5, 2.0];
        let mixed = scores.combine("best+article".parse().unwrap(), Some(&article));
        assert_eq!(mixed, [4.0, 3.0, 2.0]);
        let alone = scores.combine("article".parse().unwrap(), Some(&article));
        assert_eq!(alone, article);
    }
}
