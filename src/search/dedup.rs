//! Near-duplicate folding: a ranked list of passages -> the passages kept, each with the
//! passages of near-copies of its article folded into it (`fingerprint::is_near`).
//!
//! Walking the ranking in order, a passage is folded into the first kept passage of another
//! article whose fingerprint is near its own; otherwise it is kept. The best of a group of
//! copies is the one kept, and only kept passages are compared, so a page costs at most
//! (window x kept) comparisons of two integers. Passages of one article never fold into each
//! other (`--per-article` decides those). A passage without a fingerprint is always kept.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use tantivy::DocAddress;
use tantivy::TantivyDocument;
use tantivy::query::Query;

use super::rank::{PassageKeys, Ranked, RankedPassage};
use super::request::SearchRequest;
use super::searcher::Searcher;
use crate::error::IndexError;
use crate::extract::spelling::Spellings;
use crate::fingerprint::is_near;
use crate::model::DuplicateRef;
use crate::schema::field_name;

/// A ranked passage as folding sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub fingerprint: Option<u64>,
    pub article_id: String,
}

/// For candidates in result order: the indexes of the kept ones, each with the indexes of the
/// passages folded into it, one per other article (its best passage).
pub(crate) fn fold(candidates: &[Candidate]) -> Vec<(usize, Vec<usize>)> {
    let mut kept: Vec<(usize, Vec<usize>)> = Vec::new();
    for (idx, candidate) in candidates.iter().enumerate() {
        let into = candidate.fingerprint.and_then(|fingerprint| {
            kept.iter().position(|(at, _)| {
                let other = &candidates[*at];
                other.article_id != candidate.article_id
                    && other
                        .fingerprint
                        .is_some_and(|near| is_near(near, fingerprint))
            })
        });
        match into {
            Some(group) => {
                let (at, folded) = &mut kept[group];
                let known = folded
                    .iter()
                    .chain(std::iter::once(&*at))
                    .any(|other| candidates[*other].article_id == candidate.article_id);
                if !known {
                    folded.push(idx);
                }
            }
            None => kept.push((idx, Vec::new())),
        }
    }
    kept
}

/// A segment's fingerprint and article id columns.
type SegmentColumns = (
    Option<tantivy::columnar::Column<u64>>,
    Option<tantivy::columnar::StrColumn>,
);

/// A kept passage and the passages of the copies folded into it.
pub(super) type FoldedPassage = (RankedPassage, Vec<DocAddress>);

impl Searcher {
    /// `ranked_passages` with near-copies folded: widens the window until more than `wanted`
    /// passages are left after folding, or the matches run out (returned).
    pub(super) fn ranked_folded(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
        wanted: usize,
        ranked_before: Option<(&[Ranked], usize)>,
    ) -> Result<(Vec<FoldedPassage>, bool), IndexError> {
        let mut window = wanted;
        loop {
            let (ranked, exhausted) =
                self.ranked_passages(searcher, query, request, window, ranked_before)?;
            // The matches ran out and every one of them is in `ranked` (it stops at one more
            // than asked for even when they ran out).
            let complete = exhausted && ranked.len() <= window;
            let folded = self.fold_ranked(searcher, ranked)?;
            if folded.len() > wanted || complete {
                return Ok((folded, exhausted));
            }
            window = window.saturating_mul(2).max(window + 10);
        }
    }

    /// Folds a ranking by the fingerprints and article ids in the fast columns.
    fn fold_ranked(
        &self,
        searcher: &tantivy::Searcher,
        ranked: Vec<RankedPassage>,
    ) -> Result<Vec<FoldedPassage>, IndexError> {
        let schema = searcher.schema();
        let fingerprint_field = field_name(schema, self.handle.fields.fingerprint);
        let tantivy_error = |source| self.tantivy_error(source);
        let mut candidates = Vec::with_capacity(ranked.len());
        let mut buffer = String::new();
        // Each segment's columns, opened once: opening a column reads its whole index. The
        // article ids are the searcher's key column, kept from one search to the next.
        let mut keys = PassageKeys::new(searcher, &self.handle, &self.key_columns);
        let mut columns: HashMap<u32, SegmentColumns> = HashMap::new();
        for passage in &ranked {
            let segment_ord = passage.address.segment_ord;
            let (fingerprints, articles) = match columns.entry(segment_ord) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => entry.insert((
                    searcher
                        .segment_reader(segment_ord)
                        .fast_fields()
                        .column_opt::<u64>(fingerprint_field)
                        .map_err(tantivy_error)?,
                    keys.columns(segment_ord).0.clone(),
                )),
            };
            let fingerprint = fingerprints
                .as_ref()
                .and_then(|column| column.first(passage.address.doc_id));
            buffer.clear();
            if let Some(column) = articles
                && let Some(ord) = column.term_ords(passage.address.doc_id).next()
            {
                column
                    .ord_to_str(ord, &mut buffer)
                    .map_err(|source| IndexError::Io {
                        path: self.handle.path.clone(),
                        source,
                    })?;
            }
            candidates.push(Candidate {
                fingerprint,
                article_id: buffer.clone(),
            });
        }
        let groups = fold(&candidates);
        let mut passages: Vec<Option<RankedPassage>> = ranked.into_iter().map(Some).collect();
        Ok(groups
            .into_iter()
            .map(|(at, folded)| {
                let copies = folded
                    .iter()
                    .filter_map(|idx| passages[*idx].as_ref().map(|p| p.address))
                    .collect();
                let kept = passages[at].take().expect("each passage is kept once");
                (kept, copies)
            })
            .collect())
    }

    /// The path and article id of each folded copy, in result order.
    pub(super) fn duplicate_refs(
        &self,
        searcher: &tantivy::Searcher,
        copies: &[DocAddress],
    ) -> Result<Vec<DuplicateRef>, IndexError> {
        copies
            .iter()
            .map(|address| {
                let document: TantivyDocument = searcher
                    .doc(*address)
                    .map_err(|source| self.tantivy_error(source))?;
                let stored = self.stored_fields(&document, &Spellings::default());
                Ok(DuplicateRef {
                    path: stored.path,
                    article_id: stored.article_id,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(fingerprint: Option<u64>, article_id: &str) -> Candidate {
        Candidate {
            fingerprint,
            article_id: article_id.to_string(),
        }
    }

    #[test]
    fn copies_fold_into_the_best_and_others_stay() {
        let a = 0x0123_4567_89ab_cdef_u64;
        let candidates = [
            candidate(Some(a), "a.txt"),
            candidate(Some(!a), "other.txt"),
            candidate(Some(a), "copy.txt"),
            candidate(Some(a ^ 0b1011), "edited.txt"),
            // A second passage of a folded copy: dropped, not listed twice.
            candidate(Some(a), "copy.txt"),
            // A second passage of the kept article: kept.
            candidate(Some(a), "a.txt"),
            candidate(None, "undated.txt"),
        ];
        assert_eq!(
            fold(&candidates),
            vec![(0, vec![2, 3]), (1, vec![]), (5, vec![]), (6, vec![])]
        );
    }

    #[test]
    fn without_fingerprints_nothing_folds() {
        let candidates = [candidate(None, "a"), candidate(None, "b")];
        assert_eq!(fold(&candidates), vec![(0, vec![]), (1, vec![])]);
    }
}
