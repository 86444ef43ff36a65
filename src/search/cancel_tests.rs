//! Tests of stopping a search: deadlines, the flag, and that a stoppable search finds what a
//! plain one does.

use super::tests::many_passages;
use super::*;
use tantivy::query::EnableScoring;

#[test]
fn a_search_past_its_deadline_or_cancelled_stops_with_an_error() {
    let searcher = many_passages(3 * cancel::CHECK_EVERY as usize);
    let mut request = SearchRequest::new("gas p* prices");
    request.facets = true;
    request.per_article = 1;
    assert!(searcher.search(&request).is_ok());

    request.cancel = Cancel::new(Some(Instant::now() - std::time::Duration::from_millis(1)));
    let error = searcher.search(&request).unwrap_err();
    assert!(matches!(error, IndexError::Cancelled), "{error:?}");

    request.cancel = Cancel::new(None);
    request.cancel.cancel();
    assert!(matches!(
        searcher.search(&request),
        Err(IndexError::Cancelled)
    ));
    // A guard dropped (a request the server gave up on) stops its search.
    request.cancel = Cancel::new(None);
    drop(request.cancel.guard());
    assert!(matches!(
        searcher.search(&request),
        Err(IndexError::Cancelled)
    ));
}

/// Counts the documents it is given and sets the flag at the first one: the loop feeding it
/// must stop within `CHECK_EVERY` documents, not at the end of the segment.
struct CancelAtFirst(Cancel, std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tantivy::collector::Collector for CancelAtFirst {
    type Fruit = usize;
    type Child = CancelAtFirstSegment;

    fn for_segment(
        &self,
        _segment_ord: u32,
        _segment: &tantivy::SegmentReader,
    ) -> tantivy::Result<CancelAtFirstSegment> {
        Ok(CancelAtFirstSegment(self.0.clone(), self.1.clone()))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, _fruits: Vec<()>) -> tantivy::Result<usize> {
        Ok(self.1.load(std::sync::atomic::Ordering::Relaxed))
    }
}

struct CancelAtFirstSegment(Cancel, std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl tantivy::collector::SegmentCollector for CancelAtFirstSegment {
    type Fruit = ();

    fn collect(&mut self, _doc: tantivy::DocId, _score: tantivy::Score) {
        self.0.cancel();
        self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn harvest(self) {}
}

#[test]
fn a_cancelled_search_stops_inside_a_segment_and_an_active_one_finds_the_same() {
    let passages = 4 * cancel::CHECK_EVERY as usize;
    let searcher = many_passages(passages);
    let tantivy_searcher = searcher.tantivy_searcher();
    let query = searcher.parse_query("gas").unwrap();
    // Unstopped, the loop visits every match.
    let all = tantivy_searcher
        .search(
            &cancel::CancellableQuery::new(query.box_clone(), Cancel::new(None), false),
            &Count,
        )
        .unwrap();
    assert_eq!(all, passages);
    // Set at the first match, the flag stops the scoring loop a check later, with an error.
    let cancel = Cancel::new(None);
    let stopped = cancel::CancellableQuery::new(query.box_clone(), cancel.clone(), false);
    let visited = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let outcome =
        tantivy_searcher.search(&stopped, &CancelAtFirst(cancel.clone(), visited.clone()));
    assert!(outcome.is_err());
    let visited = visited.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        visited <= cancel::CHECK_EVERY as usize,
        "{visited} of {passages}"
    );
    // Nothing starts once the flag is set.
    assert!(tantivy_searcher.search(&stopped, &Count).is_err());
    // The counting loop stops too, within a check of the flag.
    let cancel = Cancel::new(None);
    let stopped = cancel::CancellableQuery::new(query.box_clone(), cancel.clone(), false);
    let weight = stopped
        .weight(EnableScoring::disabled_from_searcher(&tantivy_searcher))
        .unwrap();
    let segment = tantivy_searcher.segment_reader(0);
    assert!(segment.num_docs() > 2 * cancel::CHECK_EVERY);
    let mut seen = 0usize;
    let outcome = weight.for_each_no_score(segment, &mut |docs| {
        seen += docs.len();
        cancel.cancel();
    });
    assert!(outcome.is_err());
    assert!(
        seen <= cancel::CHECK_EVERY as usize + 64,
        "{seen} of {passages}"
    );

    // A search that can be stopped but is not finds what one that cannot finds, whichever way
    // it ranks (a query of many expanded terms is not ranked by block-max WAND).
    for query in [
        "gas prices",
        "p* gas",
        &"p* ".repeat(MAX_EXPANDED_TERMS / MAX_EXPANSIONS),
    ] {
        let mut request = SearchRequest::new(query);
        request.facets = true;
        request.per_article = 1;
        request.limit = 20;
        let plain = searcher.search(&request).unwrap();
        request.cancel = Cancel::new(Some(Instant::now() + std::time::Duration::from_secs(600)));
        let stoppable = searcher.search(&request).unwrap();
        let hits = |results: &SearchResults| -> Vec<(String, u32, f32)> {
            results
                .hits
                .iter()
                .map(|hit| (hit.article_id.clone(), hit.ordinal, hit.score))
                .collect()
        };
        assert_eq!(hits(&plain), hits(&stoppable), "{query}");
        assert_eq!(plain.total, stoppable.total, "{query}");
        assert_eq!(plain.facets, stoppable.facets, "{query}");
    }
}
