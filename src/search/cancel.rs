//! Stopping a search: `Cancel`, the flag (and optional deadline) a search request carries, and
//! `CancellableQuery`, which checks it before each segment and every few thousand documents of
//! the loops that visit matches (ranking, counting, facets), ending them early. A search that
//! was stopped returns `IndexError::Cancelled`, never partial results.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{
    COLLECT_BLOCK_BUFFER_LEN, DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED,
    TantivyError, Term,
};

use super::filtered::for_each_over_threshold;
use crate::error::IndexError;

/// Documents a loop visits between two checks of the flag: an atomic load (and, with a
/// deadline, a clock read) every this many documents costs nothing measurable.
pub const CHECK_EVERY: u32 = 4096;

/// Above this many expanded index terms, a ranked query is not ranked by block-max WAND (which
/// cannot be stopped inside a segment, and with hundreds of terms spends its time choosing
/// pivots) but by visiting its matches, which stops at the deadline.
pub const PRUNE_MAX_EXPANDED_TERMS: usize = 128;

/// What stops a search: a flag anyone holding a clone can set, and an optional deadline past
/// which the search stops by itself. `Cancel::default()` never stops (the CLI's searches).
#[derive(Debug, Clone, Default)]
pub struct Cancel(Option<Arc<CancelState>>);

#[derive(Debug)]
struct CancelState {
    flag: AtomicBool,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A handle that stops at `deadline` (if any) or when `cancel` is called.
    pub fn new(deadline: Option<Instant>) -> Cancel {
        Cancel(Some(Arc::new(CancelState {
            flag: AtomicBool::new(false),
            deadline,
        })))
    }

    /// Stops every search that holds this handle (or a clone), at its next check.
    pub fn cancel(&self) {
        if let Some(state) = &self.0 {
            state.flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the search must stop: the flag is set or the deadline has passed.
    pub fn is_cancelled(&self) -> bool {
        let Some(state) = &self.0 else {
            return false;
        };
        if state.flag.load(Ordering::Relaxed) {
            return true;
        }
        if state
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            state.flag.store(true, Ordering::Relaxed);
            return true;
        }
        false
    }

    /// `Err(IndexError::Cancelled)` when the search must stop.
    pub fn check(&self) -> Result<(), IndexError> {
        if self.is_cancelled() {
            Err(IndexError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Whether this handle can ever stop a search.
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// A guard that sets the flag when dropped: a request handler holds it, so that a request
    /// that is dropped (timed out, client gone) stops its search.
    pub fn guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// A cancel handle is not part of what a search asks for: two requests that differ only by it
/// are equal.
impl PartialEq for Cancel {
    fn eq(&self, _other: &Cancel) -> bool {
        true
    }
}

/// Sets its `Cancel` flag when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The error a stopped loop returns to tantivy; `Searcher::search` turns it into
/// `IndexError::Cancelled`.
fn cancelled() -> TantivyError {
    TantivyError::SystemError("search cancelled".to_string())
}

/// A query whose matches stop when its `Cancel` says so. `prune` keeps the inner query's own
/// top-k loop (block-max WAND), checked only before each segment and when it offers a document;
/// without it, the top-k loop visits the matches through the checked scorer.
pub struct CancellableQuery {
    inner: Box<dyn Query>,
    cancel: Cancel,
    prune: bool,
}

impl CancellableQuery {
    pub fn new(inner: Box<dyn Query>, cancel: Cancel, prune: bool) -> CancellableQuery {
        CancellableQuery {
            inner,
            cancel,
            prune,
        }
    }
}

impl Clone for CancellableQuery {
    fn clone(&self) -> CancellableQuery {
        CancellableQuery {
            inner: self.inner.box_clone(),
            cancel: self.cancel.clone(),
            prune: self.prune,
        }
    }
}

impl std::fmt::Debug for CancellableQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancellableQuery")
            .field("inner", &self.inner)
            .field("prune", &self.prune)
            .finish()
    }
}

impl Query for CancellableQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        Ok(Box::new(CancellableWeight {
            inner: self.inner.weight(enable_scoring)?,
            cancel: self.cancel.clone(),
            prune: self.prune,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct CancellableWeight {
    inner: Box<dyn Weight>,
    cancel: Cancel,
    prune: bool,
}

impl CancellableWeight {
    fn check(&self) -> tantivy::Result<()> {
        if self.cancel.is_cancelled() {
            Err(cancelled())
        } else {
            Ok(())
        }
    }

    fn wrap(&self, inner: Box<dyn Scorer>) -> Box<dyn Scorer> {
        Box::new(CancellableScorer {
            inner,
            cancel: self.cancel.clone(),
            countdown: CHECK_EVERY,
            stopped: false,
        })
    }
}

impl Weight for CancellableWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.check()?;
        Ok(self.wrap(self.inner.scorer(reader, boost)?))
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        self.check()?;
        let (result, scorer) = self.inner.scorer_danger(reader, target, boost)?;
        Ok((result, self.wrap(scorer)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        let mut scorer = self.scorer(reader, 1.0)?;
        let count = match reader.alive_bitset() {
            Some(alive) => scorer.count(alive),
            None => scorer.count_including_deleted(),
        };
        self.check()?;
        Ok(count)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        let mut scorer = self.scorer(reader, 1.0)?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            callback(doc, scorer.score());
            doc = scorer.advance();
        }
        self.check()
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        let mut scorer = self.scorer(reader, 1.0)?;
        let mut buffer = [0u32; COLLECT_BLOCK_BUFFER_LEN];
        loop {
            let filled = scorer.fill_buffer(&mut buffer);
            callback(&buffer[..filled]);
            if filled != buffer.len() {
                break;
            }
        }
        self.check()
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.check()?;
        if self.prune {
            // A stopped search raises the threshold past any score: block-max WAND then ends
            // at its next pivot.
            let cancel = &self.cancel;
            let mut offered = 0u32;
            let mut stopped = false;
            self.inner
                .for_each_pruning(threshold, reader, &mut |doc, score| {
                    offered = offered.wrapping_add(1);
                    if stopped || (offered.is_multiple_of(64) && cancel.is_cancelled()) {
                        stopped = true;
                        return Score::INFINITY;
                    }
                    callback(doc, score)
                })?;
        } else {
            let mut scorer = self.scorer(reader, 1.0)?;
            for_each_over_threshold(&mut *scorer, threshold, callback);
        }
        self.check()
    }
}

/// A scorer that ends (`TERMINATED`) when its `Cancel` says so, checked every `CHECK_EVERY`
/// documents.
struct CancellableScorer {
    inner: Box<dyn Scorer>,
    cancel: Cancel,
    countdown: u32,
    stopped: bool,
}

impl CancellableScorer {
    /// Counts `visited` documents; true when the search must stop.
    #[inline]
    fn must_stop(&mut self, visited: u32) -> bool {
        if self.stopped {
            return true;
        }
        match self.countdown.checked_sub(visited) {
            Some(left) if left > 0 => self.countdown = left,
            _ => {
                self.countdown = CHECK_EVERY;
                self.stopped = self.cancel.is_cancelled();
            }
        }
        self.stopped
    }
}

impl DocSet for CancellableScorer {
    fn advance(&mut self) -> DocId {
        if self.must_stop(1) {
            return TERMINATED;
        }
        self.inner.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.must_stop(1) {
            return TERMINATED;
        }
        self.inner.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if self.must_stop(1) {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        self.inner.seek_danger(target)
    }

    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        if self.must_stop(COLLECT_BLOCK_BUFFER_LEN as u32) {
            return 0;
        }
        self.inner.fill_buffer(buffer)
    }

    fn doc(&self) -> DocId {
        if self.stopped {
            TERMINATED
        } else {
            self.inner.doc()
        }
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for CancellableScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}
