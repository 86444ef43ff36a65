//! A union of term queries that scores a passage only when asked: the shape of one required
//! word searched in several fields (`+ammunition +serbia`, `--all`). tantivy's own union fills
//! a window of 4,096 documents at a time and scores every document in it, which is right for a
//! union read from end to end but wasted inside an intersection, which seeks past most of
//! them. Same matches, same summed score (summed in clause order, as tantivy's union does).

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

/// Matches what any clause matches; scores the sum of the matching clauses' scores.
#[derive(Debug)]
pub struct LazyUnionQuery {
    clauses: Vec<Box<dyn Query>>,
}

impl Clone for LazyUnionQuery {
    fn clone(&self) -> LazyUnionQuery {
        LazyUnionQuery::new(
            self.clauses
                .iter()
                .map(|clause| clause.box_clone())
                .collect(),
        )
    }
}

impl LazyUnionQuery {
    pub fn new(clauses: Vec<Box<dyn Query>>) -> LazyUnionQuery {
        LazyUnionQuery { clauses }
    }
}

impl Query for LazyUnionQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .clauses
            .iter()
            .map(|clause| clause.weight(enable_scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(LazyUnionWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for clause in &self.clauses {
            clause.query_terms(visitor);
        }
    }
}

struct LazyUnionWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for LazyUnionWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        Ok(match scorers.len() {
            0 => Box::new(EmptyScorer),
            1 => scorers.remove(0),
            _ => Box::new(LazyUnionScorer::new(scorers)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let details: Vec<Explanation> = self
            .weights
            .iter()
            .filter_map(|weight| weight.explain(reader, doc).ok())
            .collect();
        if details.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let total: Score = details.iter().map(Explanation::value).sum();
        let mut explanation = Explanation::new("sum of", total);
        for detail in details {
            explanation.add_detail(detail);
        }
        Ok(explanation)
    }
}

/// The union of a few scorers (one per field): the current document is the smallest of theirs.
struct LazyUnionScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl LazyUnionScorer {
    fn new(scorers: Vec<Box<dyn Scorer>>) -> LazyUnionScorer {
        let doc = scorers
            .iter()
            .map(|scorer| scorer.doc())
            .min()
            .unwrap_or(TERMINATED);
        LazyUnionScorer { scorers, doc }
    }
}

impl DocSet for LazyUnionScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        let mut next = TERMINATED;
        for scorer in &mut self.scorers {
            let mut doc = scorer.doc();
            if doc == current {
                doc = scorer.advance();
            }
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for scorer in &mut self.scorers {
            let mut doc = scorer.doc();
            if doc < target {
                doc = scorer.seek(target);
            }
            next = next.min(doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(|scorer| scorer.size_hint())
            .fold(0u32, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|scorer| scorer.cost()).sum()
    }
}

impl Scorer for LazyUnionScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut total: Score = 0.0;
        for scorer in &mut self.scorers {
            if scorer.doc() == doc {
                total += scorer.score();
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, TantivyDocument};

    /// Every document of a small two-field index, and the same query built with tantivy's union
    /// and with the lazy one, inside an intersection and alone.
    #[test]
    fn matches_and_scores_like_tantivys_union() {
        let mut builder = Schema::builder();
        let title = builder.add_text_field("title", TEXT);
        let body = builder.add_text_field("body", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["alpha", "beta", "gamma", "delta"];
        for doc in 0..3_000u32 {
            let mut document = TantivyDocument::default();
            // Varied, overlapping memberships, so that seeks cross tantivy's 4,096-doc windows
            // and blocks of 128.
            let pick = |salt: u32| words[((doc * 7 + salt * 13) % 11 % 4) as usize];
            document.add_text(title, format!("{} {}", pick(1), pick(2)));
            let repeats = (doc % 5) as usize + 1;
            document.add_text(
                body,
                format!("{} {}", pick(3), [pick(4); 6][..repeats].join(" ")),
            );
            writer.add_document(document).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |field, word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let fields_of = |word: &str| vec![term(title, word), term(body, word)];
        let tantivy_union = |word: &str| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                fields_of(word)
                    .into_iter()
                    .map(|q| (Occur::Should, q))
                    .collect(),
            ))
        };
        let lazy_union =
            |word: &str| -> Box<dyn Query> { Box::new(LazyUnionQuery::new(fields_of(word))) };
        let and = |a: Box<dyn Query>, b: Box<dyn Query>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![(Occur::Must, a), (Occur::Must, b)]))
        };
        let top = |query: &dyn Query| {
            searcher
                .search(query, &TopDocs::with_limit(5_000).order_by_score())
                .unwrap()
        };
        for (a, b) in [("alpha", "beta"), ("gamma", "delta"), ("alpha", "nothing")] {
            let mut expected = top(&*and(tantivy_union(a), tantivy_union(b)));
            let lazy = and(lazy_union(a), lazy_union(b));
            let mut found = top(&*lazy);
            // By document: equal scores may come in either order.
            expected.sort_by_key(|(_, address)| *address);
            found.sort_by_key(|(_, address)| *address);
            assert_eq!(found.len(), expected.len(), "{a} {b}");
            assert_eq!(searcher.search(&*lazy, &Count).unwrap(), expected.len());
            for ((score, address), (expected_score, expected_address)) in
                found.iter().zip(&expected)
            {
                assert_eq!(address, expected_address, "{a} {b}");
                assert!(
                    (score - expected_score).abs() < 1e-5,
                    "{score} vs {expected_score}"
                );
            }
            if let Some((score, address)) = found.first() {
                let weight = lazy
                    .weight(EnableScoring::enabled_from_searcher(&searcher))
                    .unwrap();
                let segment = searcher.segment_reader(address.segment_ord);
                let explained = weight.explain(segment, address.doc_id).unwrap().value();
                assert!((explained - score).abs() < 1e-5, "{explained} vs {score}");
            }
        }
        // Alone, it is a plain union.
        let alone = top(&*lazy_union("alpha"));
        assert_eq!(alone.len(), top(&*tantivy_union("alpha")).len());
        assert!(alone.len() > 1_000, "{}", alone.len());
    }
}
