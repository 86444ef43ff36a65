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

/// For passages in result order, by their articles' fingerprints and whether two of them are
/// of one article (`same_article`, asked only of passages with near fingerprints): the
/// indexes of the kept ones, each with the indexes of the passages folded into it, one per
/// other article (its best passage).
pub(crate) fn fold(
    fingerprints: &[Option<u64>],
    mut same_article: impl FnMut(usize, usize) -> bool,
) -> Vec<(usize, Vec<usize>)> {
    let mut kept: Vec<(usize, Vec<usize>)> = Vec::new();
    for (idx, fingerprint) in fingerprints.iter().enumerate() {
        let into = fingerprint.and_then(|fingerprint| {
            kept.iter().position(|(at, _)| {
                fingerprints[*at].is_some_and(|near| is_near(near, fingerprint))
                    && !same_article(*at, idx)
            })
        });
        match into {
            Some(group) => {
                let (at, folded) = &mut kept[group];
                let known = folded
                    .iter()
                    .chain(std::iter::once(&*at))
                    .any(|other| same_article(*other, idx));
                if !known {
                    folded.push(idx);
                }
            }
            None => kept.push((idx, Vec::new())),
        }
    }
    kept
}

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
        let mut fingerprints = Vec::with_capacity(ranked.len());
        // Each segment's fingerprint column, opened once: opening a column reads its whole
        // index.
        let mut columns: HashMap<u32, Option<tantivy::columnar::Column<u64>>> = HashMap::new();
        for passage in &ranked {
            let segment_ord = passage.address.segment_ord;
            let column = match columns.entry(segment_ord) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => entry.insert(
                    searcher
                        .segment_reader(segment_ord)
                        .fast_fields()
                        .column_opt::<u64>(fingerprint_field)
                        .map_err(tantivy_error)?,
                ),
            };
            fingerprints.push(
                column
                    .as_ref()
                    .and_then(|column| column.first(passage.address.doc_id)),
            );
        }
        // Articles are told apart as the ranking tells them (`PassageKeys::article`: the id's
        // ordinal in an index of one segment), and only for passages with near fingerprints.
        let mut keys = PassageKeys::new(searcher, &self.handle, &self.key_columns);
        let mut error = None;
        let groups = fold(&fingerprints, |a, b| {
            let (a, b) = (ranked[a].address, ranked[b].address);
            match (keys.article(a), keys.article(b)) {
                (Ok(a), Ok(b)) => a == b,
                (Err(failed), _) | (_, Err(failed)) => {
                    error.get_or_insert(failed);
                    false
                }
            }
        });
        if let Some(error) = error {
            return Err(error);
        }
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

    /// A passage as folding sees it: its article's fingerprint and id.
    type Candidate = (Option<u64>, &'static str);

    fn candidate(fingerprint: Option<u64>, article_id: &'static str) -> Candidate {
        (fingerprint, article_id)
    }

    fn fold_candidates(candidates: &[Candidate]) -> Vec<(usize, Vec<usize>)> {
        let fingerprints: Vec<Option<u64>> = candidates.iter().map(|c| c.0).collect();
        fold(&fingerprints, |a, b| candidates[a].1 == candidates[b].1)
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
            fold_candidates(&candidates),
            vec![(0, vec![2, 3]), (1, vec![]), (5, vec![]), (6, vec![])]
        );
    }

    #[test]
    fn without_fingerprints_nothing_folds() {
        let candidates = [candidate(None, "a"), candidate(None, "b")];
        assert_eq!(fold_candidates(&candidates), vec![(0, vec![]), (1, vec![])]);
    }
}
