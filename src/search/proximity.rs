//! Proximity: passages where a query's words stand close together rank above passages where
//! they are scattered. The first stage ranks as always (BM25F, block-max WAND, top-k); then the
//! best `RERANK_DEPTH` passages of a query of two or more distinct words are rescored with a
//! bonus read from the positions of those words in `all`:
//!
//! `weight × Σ over word pairs min(idf_a, idf_b) × acc / (1 + acc)`,
//!
//! where `acc` sums `1 / d²` over each pair of neighbouring occurrences of the two words at most
//! `PROXIMITY_WINDOW` positions apart (a BM25TP-like term-pair score, saturated per pair). Shared
//! by `search` and `eval`, so both rank alike.

use std::collections::HashMap;

use tantivy::postings::Postings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Score, TERMINATED, Term};

/// The default weight of the proximity bonus (`SearchRequest::proximity`, `--proximity`),
/// chosen from the six IR test collections at once (docs/performance.md).
pub const PROXIMITY_WEIGHT: f32 = 0.75;
/// Passages of the first stage that are rescored: a page. Ranking 50 for the rescoring cost
/// block-max WAND a third more time at a million passages (p50 +31-40% on `compare`'s mix,
/// against +5% at 10), for +0.0007 MAP on news and mixed changes on the six test collections
/// (docs/ranking.md).
pub const RERANK_DEPTH: usize = 10;
/// Occurrences further apart than this many positions do not count as close.
pub const PROXIMITY_WINDOW: u32 = 5;
/// A query with more distinct words than this (prefix expansions, say) is not rescored.
pub const MAX_PROXIMITY_TERMS: usize = 64;

/// The distinct words of a query in one field, with their BM25 idf.
pub struct ProximityTerms {
    terms: Vec<(Term, f32)>,
}

impl ProximityTerms {
    /// The terms of `field` among `terms`, once each; `None` when fewer than two or more than
    /// `MAX_PROXIMITY_TERMS` remain.
    pub fn new(
        searcher: &tantivy::Searcher,
        field: Field,
        terms: impl IntoIterator<Item = Term>,
    ) -> tantivy::Result<Option<ProximityTerms>> {
        let mut distinct: Vec<Term> = Vec::new();
        for term in terms {
            if term.field() == field && !distinct.contains(&term) {
                distinct.push(term);
            }
        }
        if distinct.len() < 2 || distinct.len() > MAX_PROXIMITY_TERMS {
            return Ok(None);
        }
        let n_docs = searcher.num_docs() as f32;
        let mut terms = Vec::with_capacity(distinct.len());
        for term in distinct {
            let doc_freq = searcher.doc_freq(&term)? as f32;
            if doc_freq > 0.0 {
                let idf = (1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5)).ln();
                terms.push((term, idf));
            }
        }
        Ok((terms.len() >= 2).then_some(ProximityTerms { terms }))
    }

    /// The bonus of each passage (before the weight), in the order given.
    pub fn bonuses(
        &self,
        searcher: &tantivy::Searcher,
        addresses: &[DocAddress],
    ) -> tantivy::Result<Vec<f32>> {
        let mut bonuses = vec![0.0f32; addresses.len()];
        let mut by_segment: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
        for (idx, address) in addresses.iter().enumerate() {
            by_segment
                .entry(address.segment_ord)
                .or_default()
                .push((address.doc_id, idx));
        }
        let mut occurrences: Vec<Vec<(u32, usize)>> = vec![Vec::new(); addresses.len()];
        let mut positions = Vec::new();
        for (segment_ord, mut docs) in by_segment {
            docs.sort_unstable();
            let segment = searcher.segment_reader(segment_ord);
            let inverted_index = segment.inverted_index(self.terms[0].0.field())?;
            for (term_idx, (term, _)) in self.terms.iter().enumerate() {
                let Some(mut postings) =
                    inverted_index.read_postings(term, IndexRecordOption::WithFreqsAndPositions)?
                else {
                    continue;
                };
                for &(doc, idx) in &docs {
                    let mut at = postings.doc();
                    if at < doc {
                        at = postings.seek(doc);
                    }
                    if at == TERMINATED {
                        break;
                    }
                    if at == doc {
                        postings.positions(&mut positions);
                        occurrences[idx].extend(positions.iter().map(|&p| (p, term_idx)));
                    }
                }
            }
        }
        let n = self.terms.len();
        let mut acc = vec![0.0f32; n * n];
        for (bonus, mut occurrences) in bonuses.iter_mut().zip(occurrences) {
            occurrences.sort_unstable();
            acc.iter_mut().for_each(|slot| *slot = 0.0);
            for pair in occurrences.windows(2) {
                let ((p, a), (q, b)) = (pair[0], pair[1]);
                let distance = q - p;
                if a != b && distance > 0 && distance <= PROXIMITY_WINDOW {
                    let (low, high) = (a.min(b), a.max(b));
                    acc[low * n + high] += 1.0 / (distance * distance) as f32;
                }
            }
            for a in 0..n {
                for b in a + 1..n {
                    let pair = acc[a * n + b];
                    if pair > 0.0 {
                        *bonus += self.terms[a].1.min(self.terms[b].1) * pair / (1.0 + pair);
                    }
                }
            }
        }
        Ok(bonuses)
    }

    /// Adds `weight ×` the bonus to the score of each of the best `RERANK_DEPTH` passages of
    /// `ranked` (best first) and sorts them again (ties by address); the rest keep their order.
    pub fn rerank(
        &self,
        searcher: &tantivy::Searcher,
        ranked: &mut [(Score, DocAddress)],
        weight: f32,
    ) -> tantivy::Result<()> {
        let depth = ranked.len().min(RERANK_DEPTH);
        let head = &mut ranked[..depth];
        let addresses: Vec<DocAddress> = head.iter().map(|&(_, address)| address).collect();
        let bonuses = self.bonuses(searcher, &addresses)?;
        for ((score, _), bonus) in head.iter_mut().zip(bonuses) {
            *score += weight * bonus;
        }
        head.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(())
    }
}
