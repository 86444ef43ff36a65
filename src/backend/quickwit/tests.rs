use serde_json::json;

use super::client::ClientOptions;
use super::replay::{Canned, ReplayServer, Route, passage_hit};
use super::*;

fn backend(server: &ReplayServer) -> QuickwitBackend {
    QuickwitBackend::new(
        QuickwitClient::new(&server.url(), ClientOptions::default()),
        "news",
        EntityExtractor::builtin(),
    )
}

#[test]
fn hits_are_grouped_paged_and_snippeted_by_newsdex() {
    let hits = vec![
        passage_hit(
            "a",
            0,
            "",
            "Serbian shells went to Ukraine. The weather was mild.",
        ),
        passage_hit("a", 1, "", "More shells followed."),
        passage_hit("a", 2, "", "Shells again."),
        passage_hit("b", 0, "", "Nothing about it. Shells, at last."),
    ];
    let scored = hits.into_iter().zip([4.0, 3.0, 2.0, 1.0]).collect();
    let server = ReplayServer::start(vec![Route::elastic(
        "news",
        vec![Canned::elastic_hits(scored)],
    )])
    .unwrap();
    let mut request = SearchRequest::new("shell");
    request.per_article = 2;
    request.fragments = 1;
    let results = backend(&server).search(&request).unwrap();
    let ids: Vec<_> = results
        .hits
        .iter()
        .map(|hit| (hit.article_id.as_str(), hit.ordinal))
        .collect();
    assert_eq!(ids, [("a", 0), ("a", 1), ("b", 0)]);
    assert_eq!(results.hits[0].more_in_article, 1);
    assert_eq!(results.hits[0].snippet, "Serbian shells went to Ukraine. …");
    assert_eq!(
        &results.hits[0].snippet[results.hits[0].highlights[0].clone()],
        "shells"
    );
    assert_eq!(results.hits[2].snippet, "… Shells, at last.");
    assert_eq!(results.hits[2].rank, 3);
    assert_eq!(results.hits[0].categories, ["Defense"]);
    assert_eq!(results.hits[0].section, None);
    assert_eq!(results.hits[0].entities[0].name, "Serbia");
    let scores: Vec<f32> = results.hits.iter().map(|hit| hit.score).collect();
    assert_eq!(scores, [4.0, 3.0, 1.0]);
    let received = server.received();
    assert_eq!(received[0].target, "/api/v1/_elastic/news/_search");
    let sent: serde_json::Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(sent["query"]["query_string"]["query"], "all_stems:shell");
    assert_eq!(sent["sort"], json!([{"_score": {"order": "desc"}}]));
}

#[test]
fn scores_rank_the_page_and_recency_decays_them_from_the_newest_date() {
    let dated = |id: &str, date: &str| {
        let mut hit = passage_hit(id, 0, "", "Shells.");
        hit["date"] = json!(date);
        hit
    };
    let hits = vec![
        (dated("old", "2020-03-28T00:00:00Z"), 5.0),
        (dated("b", "2024-03-28T00:00:00Z"), 4.0),
        (dated("a", "2024-03-28T00:00:00Z"), 4.0),
    ];
    let server = ReplayServer::start(vec![
        Route::elastic("news", vec![Canned::elastic_hits(hits)]),
        // The newest passage in the index: 2024-03-28.
        Route::new(
            "GET",
            "/api/v1/indexes/news/describe",
            vec![Canned::new(
                200,
                json!({"index_id": "news", "num_published_docs": 3, "size_published_splits": 1,
                       "max_timestamp": 1_711_584_000})
                .to_string(),
            )],
        ),
    ])
    .unwrap();
    let backend = backend(&server);
    let results = backend.search(&SearchRequest::new("shell")).unwrap();
    let order: Vec<(&str, f32)> = results
        .hits
        .iter()
        .map(|hit| (hit.article_id.as_str(), hit.score))
        .collect();
    // Equal scores are ordered by article id, as locally.
    assert_eq!(order, [("old", 5.0), ("a", 4.0), ("b", 4.0)]);
    assert_eq!(results.total, Some(3));
    let mut request = SearchRequest::new("shell");
    request.recency_half_life = Some(chrono::Duration::days(365));
    let results = backend.search(&request).unwrap();
    let order: Vec<&str> = results
        .hits
        .iter()
        .map(|hit| hit.article_id.as_str())
        .collect();
    assert_eq!(order, ["a", "b", "old"]);
    assert!((results.hits[0].score - 4.0).abs() < 1e-6);
    let decayed =
        5.0 * recency_factor_secs(Some(1_585_353_600), Some(1_711_584_000), 365.0 * 86_400.0);
    assert!(
        (results.hits[2].score - decayed).abs() < 1e-4,
        "{}",
        results.hits[2].score
    );
    let received = server.received();
    let elastic = received
        .iter()
        .rfind(|r| r.target.contains("_elastic"))
        .unwrap();
    let sent: serde_json::Value = serde_json::from_str(&elastic.body).unwrap();
    assert_eq!(sent["size"], RECENCY_CANDIDATES);
}

#[test]
fn date_order_asks_for_the_newest_first_and_counts_come_from_the_native_endpoint() {
    let server = ReplayServer::start(vec![
        Route::search(
            "news",
            vec![Canned::search_hits(
                vec![passage_hit("a", 0, "", "Shells.")],
                None,
            )],
        ),
        Route::elastic(
            "news",
            vec![Canned::elastic_hits(vec![(
                passage_hit("a", 0, "", "Shells."),
                2.5,
            )])],
        ),
    ])
    .unwrap();
    let mut request = SearchRequest::new("shell");
    request.sort = SortOrder::Date;
    backend(&server).search(&request).unwrap();
    request.sort = SortOrder::Relevance;
    request.count = true;
    let results = backend(&server).search(&request).unwrap();
    assert_eq!(results.total, Some(1));
    assert_eq!(results.hits[0].score, 2.5);
    let received = server.received();
    let bodies: Vec<serde_json::Value> = received
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(received[0].target, "/api/v1/news/search");
    assert_eq!(bodies[0]["sort_by"], "date");
    assert_eq!(received[1].target, "/api/v1/_elastic/news/_search");
    assert_eq!(received[2].target, "/api/v1/news/search");
    assert_eq!(bodies[2]["max_hits"], 0);
    assert_eq!(bodies[2]["count_all"], true);
}

#[test]
fn aggregations_become_facets_in_calendar_months() {
    let aggregations = json!({
        "entities": {"buckets": [
            {"key": "place:Serbia", "doc_count": 3},
            {"key": "organisation:European Union", "doc_count": 5},
            {"key": "usa", "doc_count": 3},
        ]},
        "categories": {"buckets": [{"key": "Defense", "doc_count": 4}]},
        "sources": {"buckets": [{"key": "AP", "doc_count": 2}, {"key": "Reuters", "doc_count": 7}]},
        "authors": {"buckets": [{"key": "Jane Doe", "doc_count": 3}]},
        "extra:desk": {"buckets": [{"key": "Metro", "doc_count": 2}, {"key": "Foreign", "doc_count": 5}]},
        "months": {"buckets": [
            {"key": 1_709_251_200_000.0_f64, "doc_count": 2},
            {"key": 1_709_337_600_000.0_f64, "doc_count": 0},
            {"key": 1_711_584_000_000.0_f64, "doc_count": 1},
            {"key": 1_711_929_600_000.0_f64, "doc_count": 4},
        ]},
    });
    let facets = facets_from_aggregations(9, &aggregations).unwrap();
    assert_eq!(facets.total, 9);
    // A declared keyword field's aggregation is its facet, most passages first.
    let desks: Vec<_> = facets.extra["desk"]
        .iter()
        .map(|c| (c.value.as_str(), c.count))
        .collect();
    assert_eq!(desks, [("Foreign", 5), ("Metro", 2)]);
    let entities: Vec<_> = facets
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind, e.count))
        .collect();
    assert_eq!(
        entities,
        [
            ("European Union", EntityKind::Organisation, 5),
            ("Serbia", EntityKind::Place, 3),
            ("usa", EntityKind::Other, 3)
        ]
    );
    let months: Vec<_> = facets
        .months
        .iter()
        .map(|m| (m.value.as_str(), m.count))
        .collect();
    assert_eq!(months, [("2024-03", 3), ("2024-04", 4)]);
    assert_eq!(facets.categories[0].value, "Defense");
    // Most passages first, whatever order the buckets came in; no languages aggregated.
    let sources: Vec<_> = facets
        .sources
        .iter()
        .map(|s| (s.value.as_str(), s.count))
        .collect();
    assert_eq!(sources, [("Reuters", 7), ("AP", 2)]);
    assert_eq!(facets.authors[0].value, "Jane Doe");
    assert!(facets.languages.is_empty());
    assert!(
        facets_from_aggregations(
            1,
            &json!({"months": {"buckets": [{"key": "x", "doc_count": 1}]}})
        )
        .is_err()
    );
}

#[test]
fn a_partial_failure_is_an_error_not_fewer_hits() {
    let response =
        json!({"num_hits": 0, "hits": [], "elapsed_time_micros": 1, "errors": ["split 3 failed"]});
    let elastic = json!({"timed_out": false, "hits": {"hits": []},
        "_shards": {"total": 4, "successful": 3, "failed": 1, "failures": ["split 3 failed"]}});
    let server = ReplayServer::start(vec![
        Route::search("news", vec![Canned::new(200, response.to_string())]),
        Route::elastic("news", vec![Canned::new(200, elastic.to_string())]),
    ])
    .unwrap();
    let error = backend(&server)
        .search(&SearchRequest::new("shell"))
        .unwrap_err();
    assert!(error.to_string().contains("split 3 failed"), "{error}");
    let error = backend(&server).entity_counts(None, None, 5).unwrap_err();
    assert!(error.to_string().contains("split 3 failed"), "{error}");
}

#[test]
fn entity_counts_come_from_the_labels_aggregation() {
    let aggregations = json!({"entities": {
        "buckets": [
            {"key": "place:Serbia", "doc_count": 7},
            {"key": "person:Aleksandar Vučić", "doc_count": 3},
            {"key": "person:Aleksandar Vucic", "doc_count": 2},
            {"key": "organisation:NATO", "doc_count": 4},
        ],
        "sum_other_doc_count": 0, "doc_count_error_upper_bound": 0,
    }});
    let server = ReplayServer::start(vec![Route::search(
        "news",
        vec![Canned::search_hits(Vec::new(), Some(aggregations))],
    )])
    .unwrap();
    let backend = backend(&server);
    let counts = backend.entity_counts(Some("shells"), None, 2).unwrap();
    let top: Vec<_> = counts
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind, e.passages))
        .collect();
    // Spellings of one person are one entity, under its most frequent spelling.
    assert_eq!(
        top,
        [
            ("Serbia", EntityKind::Place, 7),
            ("Aleksandar Vučić", EntityKind::Person, 5)
        ]
    );
    assert!(!counts.labels_left_out);
    let people = backend
        .entity_counts(None, Some(EntityKind::Organisation), 10)
        .unwrap();
    assert_eq!(people.entities.len(), 1);
    assert_eq!(people.entities[0].name, "NATO");
    let sent: Vec<serde_json::Value> = server
        .received()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(sent[0]["query"], "all_stems:shell");
    assert_eq!(sent[0]["max_hits"], 0);
    assert_eq!(sent[1]["query"], "*");
    assert_eq!(
        sent[1]["aggs"]["entities"]["terms"]["field"],
        "entity_labels"
    );
}

#[test]
fn labels_left_out_of_the_answer_are_reported() {
    let aggregations = json!({"entities": {
        "buckets": [{"key": "usa", "doc_count": 31}],
        "sum_other_doc_count": 14,
    }});
    let (labels, left_out) = entity_labels_from_aggregations(&aggregations).unwrap();
    assert_eq!(labels[0].0.kind, EntityKind::Other);
    assert!(left_out);
    assert!(entity_labels_from_aggregations(&json!({"entities": {"buckets": 3}})).is_err());
}

#[test]
fn describe_reports_published_passages_and_splits() {
    let server = ReplayServer::start(vec![Route::describe("news", 1656, 2)]).unwrap();
    let info = backend(&server).describe().unwrap();
    assert_eq!(info.passages, 1656);
    assert_eq!(info.segments, 2);
    assert_eq!(info.name, format!("{} index news", server.url()));
    assert_eq!(info.local_path, None);
    assert!(backend(&server).check_query("oil~1").is_err());
    assert!(backend(&server).check_query("oil").is_ok());
}
