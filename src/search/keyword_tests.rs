//! Tests of the keyword fields of an article beside its categories: outlet, authors, language.

use super::tests::{article, id, ids, searcher_with};
use super::*;

/// Two articles on sanctions from two outlets, by two and by one author.
fn outlets_fixture() -> Searcher {
    let mut reuters = article("r", (2024, 3, 1), "Sanctions widen");
    reuters.source = Some("Reuters".into());
    reuters.authors = vec!["Jane Doe".into(), "Ana Vučić".into()];
    reuters.language = Some("en".into());
    let mut ap = article("p", (2024, 3, 2), "Sanctions bite");
    ap.source = Some("AP".into());
    ap.authors = vec!["Jane Doe".into()];
    searcher_with(&[
        (reuters, vec![(None, "New sanctions hit Russian banks.")]),
        (ap, vec![(None, "Sanctions hit exports of oil.")]),
    ])
}

#[test]
fn source_author_and_language_filter_any_case_and_accents_and_are_counted_in_facets() {
    let searcher = outlets_fixture();
    let mut request = SearchRequest::new("sanctions");
    request.filters.sources = vec!["REUTERS".into()];
    assert_eq!(ids(&searcher, &request), [id("r", 0)]);
    request.filters.sources = vec!["reuters".into(), "ap".into()];
    assert_eq!(ids(&searcher, &request).len(), 2);
    request.filters.sources.clear();
    request.filters.authors = vec!["ana vucic".into()];
    assert_eq!(ids(&searcher, &request), [id("r", 0)]);
    request.filters.authors.clear();
    request.filters.languages = vec!["EN".into()];
    assert_eq!(ids(&searcher, &request), [id("r", 0)]);
    // The same in the query language.
    let request = SearchRequest::new("sanctions AND source:ap");
    assert_eq!(ids(&searcher, &request), [id("p", 0)]);
    let request = SearchRequest::new("sanctions AND author:\"Jane Doe\" AND NOT source:AP");
    assert_eq!(ids(&searcher, &request), [id("r", 0)]);
    let mut request = SearchRequest::new("sanctions");
    request.facets = true;
    let results = searcher.search(&request).unwrap();
    let facets = results.facets.unwrap();
    let counts = |values: &[crate::facets::FacetCount]| -> Vec<(String, u64)> {
        values.iter().map(|c| (c.value.clone(), c.count)).collect()
    };
    assert_eq!(
        counts(&facets.sources),
        [("AP".to_string(), 1), ("Reuters".to_string(), 1)]
    );
    assert_eq!(
        counts(&facets.authors),
        [("Jane Doe".to_string(), 2), ("Ana Vučić".to_string(), 1)]
    );
    assert_eq!(counts(&facets.languages), [("en".to_string(), 1)]);
    let hit = &results
        .hits
        .iter()
        .find(|hit| hit.article_id == "r")
        .unwrap();
    assert_eq!(hit.source.as_deref(), Some("Reuters"));
    assert_eq!(hit.authors, ["Jane Doe", "Ana Vučić"]);
    assert_eq!(hit.language.as_deref(), Some("en"));
}
