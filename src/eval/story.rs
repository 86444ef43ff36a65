//! Story-level scoring for `eval`: a document's matching passages (the best score and the sum
//! of them all) and, when asked, the BM25 of the whole story as one document -> one document
//! score. `StoryScore` (`--story`) says how they combine; `PassageScoreCollector` gathers the
//! passage part. It builds no index and does not sort.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Marks a passage without a known document in a passage -> document table.
pub const NO_DOC: u32 = u32::MAX;

/// A document's score as weights of its parts:
/// `best × best passage + rest × (sum of its other matching passages) + article × BM25 of the
/// whole story`. Written `best`, `sum` (best + rest), `article`, or terms joined by `+`, each
/// an optional weight and a part: `best+0.3rest`, `best+article`, `best+0.5article`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryScore {
    pub best: f32,
    pub rest: f32,
    pub article: f32,
}

impl StoryScore {
    /// A document scores as its best passage.
    pub const BEST: StoryScore = StoryScore {
        best: 1.0,
        rest: 0.0,
        article: 0.0,
    };

    /// A document scores as its best passage plus its whole story's BM25, with equal weights:
    /// the default, measured in `docs/ranking.md`.
    pub const BEST_AND_ARTICLE: StoryScore = StoryScore {
        best: 1.0,
        rest: 0.0,
        article: 1.0,
    };

    /// Whether the whole story's BM25 is needed (an index of whole stories).
    pub fn needs_article(&self) -> bool {
        self.article != 0.0
    }

    /// The document's score from its best passage and the sum of its matching passages (-inf
    /// and 0 when none matched) and its whole story's score (-inf when it did not match); -inf
    /// when nothing matched.
    pub fn combine(&self, best: Score, sum: Score, article: Score) -> Score {
        if !best.is_finite() && !article.is_finite() {
            return Score::NEG_INFINITY;
        }
        let (best, rest) = if best.is_finite() {
            (best, sum - best)
        } else {
            (0.0, 0.0)
        };
        let article = if article.is_finite() { article } else { 0.0 };
        self.best * best + self.rest * rest + self.article * article
    }
}

impl Default for StoryScore {
    fn default() -> Self {
        StoryScore::BEST_AND_ARTICLE
    }
}

impl FromStr for StoryScore {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut score = StoryScore {
            best: 0.0,
            rest: 0.0,
            article: 0.0,
        };
        for term in spec.split('+').map(str::trim) {
            let split = term
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(term.len());
            let (weight, part) = term.split_at(split);
            let weight = weight.trim().trim_end_matches('*').trim();
            let weight: f32 = if weight.is_empty() {
                1.0
            } else {
                weight
                    .parse()
                    .map_err(|_| format!("`{weight}` in `{term}` is not a number"))?
            };
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("the weight in `{term}` must be 0 or more"));
            }
            match part {
                "best" => score.best += weight,
                "rest" => score.rest += weight,
                "sum" => {
                    score.best += weight;
                    score.rest += weight;
                }
                "article" => score.article += weight,
                _ => {
                    return Err(format!(
                        "`{term}`: expected best, rest, sum or article, each with an optional weight, joined by + (best+0.3rest)"
                    ));
                }
            }
        }
        if score.best == 0.0 && score.rest == 0.0 && score.article == 0.0 {
            return Err(format!("`{spec}` weighs nothing"));
        }
        Ok(score)
    }
}

impl fmt::Display for StoryScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (weight, part) in [
            (self.best, "best"),
            (self.rest, "rest"),
            (self.article, "article"),
        ] {
            if weight == 0.0 {
                continue;
            }
            if !first {
                f.write_str("+")?;
            }
            first = false;
            if weight != 1.0 {
                write!(f, "{weight}")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// Per document (by position): the best score of its matching passages (-inf when none
/// matched) and the sum of their scores.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageScores {
    pub best: Vec<Score>,
    pub sum: Vec<Score>,
}

impl PassageScores {
    fn new(n_docs: usize) -> PassageScores {
        PassageScores {
            best: vec![Score::NEG_INFINITY; n_docs],
            sum: vec![0.0; n_docs],
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
    fn specs_parse_and_print_back() {
        for (spec, best, rest, article, printed) in [
            ("best", 1.0, 0.0, 0.0, "best"),
            ("sum", 1.0, 1.0, 0.0, "best+rest"),
            ("best+0.3rest", 1.0, 0.3, 0.0, "best+0.3rest"),
            ("article", 0.0, 0.0, 1.0, "article"),
            ("best + 0.5*article", 1.0, 0.0, 0.5, "best+0.5article"),
        ] {
            let score: StoryScore = spec.parse().unwrap();
            assert_eq!(
                score,
                StoryScore {
                    best,
                    rest,
                    article
                },
                "{spec}"
            );
            assert_eq!(score.to_string(), printed);
            assert_eq!(printed.parse::<StoryScore>().unwrap(), score);
        }
        for bad in ["", "worst", "best+x", "-1best", "0best", "best+"] {
            assert!(bad.parse::<StoryScore>().is_err(), "{bad}");
        }
        assert_eq!(StoryScore::default().to_string(), "best+article");
    }

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
