//! The Quickwit backend: `SearchRequest` -> a Quickwit search (via `translate` and `client`)
//! -> `SearchResults` with the same `Hit`s as the local index, snippets made by newsdex from
//! the returned passage text. Grouping per article is done here, over the fetched window.
//! Building (`upload`) and exporting (`export`) live beside it; nothing here prints.

pub mod client;
pub mod document;
pub mod export;
pub mod mapping;
/// The canned HTTP server the tests answer Quickwit's requests with: test-only code, kept with
/// the integration tests.
#[cfg(test)]
#[path = "../../../tests/support/replay.rs"]
pub(crate) mod replay;
pub mod translate;
pub mod upload;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::DateTime;
use serde::Deserialize;

use crate::entity_stats::{EntityCounts, rank_entities};
use crate::extract::entities::EntityExtractor;
use crate::facets::{EntityCount, FacetCount, Facets, parse_entity_label};
use crate::model::{Entity, EntityKind};
use crate::schema::english_analyzer;
use crate::search::{
    FACET_TOP, FieldBoosts, SearchRequest, SearchResults, SortOrder, make_hit, recency_factor_secs,
};
use crate::snippet::HighlightTerms;

use self::client::{AnswerError, ElasticResponse, QuickwitClient, QuickwitError, SearchResponse};
use self::document::StoredPassage;
use self::translate::{
    AGG_CATEGORIES, AGG_ENTITIES, AGG_MONTHS, MAX_HITS, SearchBody, elastic_body,
    entity_count_body, fetch_window, search_body, translate_query,
};
use super::{BackendError, BackendInfo, SearchBackend};

/// A Quickwit index that answers newsdex's searches.
pub struct QuickwitBackend {
    client: QuickwitClient,
    index_id: String,
    extractor: EntityExtractor,
}

impl QuickwitBackend {
    pub fn new(client: QuickwitClient, index_id: &str, extractor: EntityExtractor) -> Self {
        QuickwitBackend {
            client,
            index_id: index_id.to_string(),
            extractor,
        }
    }

    pub fn client(&self) -> &QuickwitClient {
        &self.client
    }
}

/// Most candidates a `--recency` search fetches to decay: the page and more, so that a recent
/// passage ranked below the page by BM25 alone can still rise into it.
pub const RECENCY_CANDIDATES: usize = 1_000;

/// How deep a ranked search fetches: the grouping window, or with `--recency` a deeper
/// candidate list whose scores are decayed and ranked again.
pub fn ranked_depth(request: &SearchRequest) -> usize {
    let window = fetch_window(request);
    if request.recency_half_life.is_some() {
        window.clamp(RECENCY_CANDIDATES, MAX_HITS)
    } else {
        window
    }
}

/// Passages in the order of the page, with their scores when Quickwit gave them.
pub struct Fetched {
    pub passages: Vec<(StoredPassage, f32)>,
    /// Passages matching the query, when Quickwit counted them exactly.
    pub num_hits: Option<u64>,
    /// Whether every match was counted (`--count`, `--facets`).
    pub counted: bool,
    pub aggregations: Option<serde_json::Value>,
}

impl QuickwitBackend {
    fn search_url(&self) -> String {
        format!("{}/api/v1/{}/search", self.client.base_url(), self.index_id)
    }

    /// A ranked page from the Elasticsearch-compatible endpoint (the only one that returns
    /// scores), decayed by `--recency` when asked, then counts and facets from the native
    /// endpoint when asked (with no hits).
    fn ranked(&self, request: &SearchRequest) -> Result<(Fetched, HighlightTerms), BackendError> {
        let (body, highlight) = elastic_body(request, &self.extractor, ranked_depth(request))?;
        let url = format!(
            "{}{}",
            self.client.base_url(),
            self.client.elastic_path(&self.index_id)
        );
        let response = self.client.elastic_search(&self.index_id, &body)?;
        let decode_error = |reason: AnswerError| QuickwitError::Answer {
            url: url.clone(),
            source: reason,
        };
        let mut passages = scored_passages(response.clone()).map_err(decode_error)?;
        if let Some(half_life) = request.recency_half_life {
            let newest = self.client.describe_index(&self.index_id)?.max_timestamp;
            decay_by_recency(&mut passages, newest, half_life);
        }
        let exact_total = response
            .hits
            .total
            .as_ref()
            .filter(|total| total.relation.is_empty() || total.relation == "eq")
            .map(|total| total.value);
        let mut fetched = Fetched {
            passages,
            num_hits: exact_total,
            counted: false,
            aggregations: None,
        };
        if request.count || request.facets {
            let mut counting = request.clone();
            counting.limit = 0;
            counting.offset = 0;
            let (mut native, _) = search_body(&counting, &self.extractor)?;
            native.max_hits = 0;
            let response = self.client.search(&self.index_id, &native)?;
            if let Some(error) = response.errors.first() {
                return Err(decode_error(AnswerError::SomeSplitsFailed(error.to_string())).into());
            }
            fetched.num_hits = Some(response.num_hits);
            fetched.counted = true;
            fetched.aggregations = response.aggregations;
        }
        Ok((fetched, highlight))
    }

    /// A page sorted newest first by the native endpoint (which gives no scores).
    fn by_date(&self, request: &SearchRequest) -> Result<(Fetched, HighlightTerms), BackendError> {
        let (body, highlight) = search_body(request, &self.extractor)?;
        let response = self.client.search(&self.index_id, &body)?;
        let fetched =
            fetched_from_native(&body, response).map_err(|reason| QuickwitError::Answer {
                url: self.search_url(),
                source: reason,
            })?;
        Ok((fetched, highlight))
    }
}

impl SearchBackend for QuickwitBackend {
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, BackendError> {
        let started = Instant::now();
        let (fetched, highlight) = match request.sort {
            SortOrder::Relevance => self.ranked(request)?,
            SortOrder::Date => self.by_date(request)?,
        };
        let search_time = started.elapsed();
        let mut results = results_from_fetched(request, &highlight, fetched).map_err(|reason| {
            QuickwitError::Answer {
                url: self.search_url(),
                source: reason,
            }
        })?;
        results.fetch_time = started.elapsed().saturating_sub(search_time);
        results.search_time = search_time;
        Ok(results)
    }

    /// One native search with no hits: facets need no ranked page.
    fn facets(&self, request: &SearchRequest) -> Result<Facets, BackendError> {
        let mut request = request.clone();
        request.facets = true;
        request.limit = 0;
        request.offset = 0;
        let (mut body, _) = search_body(&request, &self.extractor)?;
        body.max_hits = 0;
        let response = self.client.search(&self.index_id, &body)?;
        fetched_from_native(&body, response)
            .and_then(|fetched| {
                let aggregations = fetched.aggregations.unwrap_or_default();
                facets_from_aggregations(fetched.num_hits.unwrap_or(0), &aggregations)
            })
            .map_err(|reason| {
                QuickwitError::Answer {
                    url: self.search_url(),
                    source: reason,
                }
                .into()
            })
    }

    fn entity_counts(
        &self,
        query: Option<&str>,
        kind: Option<EntityKind>,
        top: usize,
    ) -> Result<EntityCounts, BackendError> {
        let body = entity_count_body(query, &self.extractor, top)?;
        let response = self.client.search(&self.index_id, &body)?;
        let decode_error = |source: AnswerError| QuickwitError::Answer {
            url: format!("{}/api/v1/{}/search", self.client.base_url(), self.index_id),
            source,
        };
        if let Some(error) = response.errors.first() {
            return Err(decode_error(AnswerError::SomeSplitsFailed(error.to_string())).into());
        }
        let aggregations = response.aggregations.unwrap_or_default();
        let (labels, labels_left_out) =
            entity_labels_from_aggregations(&aggregations).map_err(decode_error)?;
        Ok(EntityCounts {
            entities: rank_entities(labels, kind, top),
            labels_left_out,
        })
    }

    fn check_query(&self, query: &str) -> Result<(), BackendError> {
        translate_query(query, false, FieldBoosts::default(), &self.extractor)
            .map(drop)
            .map_err(BackendError::from)
    }

    fn describe(&self) -> Result<BackendInfo, BackendError> {
        let description = self.client.describe_index(&self.index_id)?;
        Ok(BackendInfo {
            name: format!("{} index {}", self.client.base_url(), description.index_id),
            passages: description.num_published_docs,
            segments: usize::try_from(description.num_published_splits).unwrap_or(usize::MAX),
            local_path: None,
        })
    }
}

/// The stored passages of an Elasticsearch-compatible answer with their scores, best first
/// (equal scores by article id, then passage ordinal, as locally).
pub fn scored_passages(
    response: ElasticResponse,
) -> Result<Vec<(StoredPassage, f32)>, AnswerError> {
    if let Some(shards) = &response.shards
        && shards.failed > 0
    {
        return Err(AnswerError::SplitsFailed {
            failed: shards.failed,
            first: shards
                .failures
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
        });
    }
    if response.timed_out {
        return Err(AnswerError::TimedOut);
    }
    let mut passages = response
        .hits
        .hits
        .into_iter()
        .map(|hit| {
            let score = hit.score().ok_or(AnswerError::NoScore)?;
            let passage = serde_json::from_value::<StoredPassage>(hit.source)
                .map_err(|error| AnswerError::NotAPassage(error.to_string()))?;
            Ok((passage, score))
        })
        .collect::<Result<Vec<_>, AnswerError>>()?;
    sort_by_score(&mut passages);
    Ok(passages)
}

fn sort_by_score(passages: &mut [(StoredPassage, f32)]) {
    passages.sort_by(|(a, a_score), (b, b_score)| {
        b_score
            .total_cmp(a_score)
            .then_with(|| a.article_id.cmp(&b.article_id))
            .then_with(|| a.ordinal.cmp(&b.ordinal))
    });
}

/// Multiplies each score by the passage's recency factor (measured from `newest`, the newest
/// date in the index, as locally) and ranks again.
pub fn decay_by_recency(
    passages: &mut [(StoredPassage, f32)],
    newest: Option<i64>,
    half_life: chrono::Duration,
) {
    let half_life_secs = half_life.num_seconds().max(1) as f64;
    for (passage, score) in passages.iter_mut() {
        let date = passage.date.map(|date| date.timestamp());
        *score *= recency_factor_secs(date, newest, half_life_secs);
    }
    sort_by_score(passages);
}

/// Reads a native search answer: passages in Quickwit's order (no scores), its count and
/// aggregations.
pub fn fetched_from_native(
    body: &SearchBody,
    response: SearchResponse,
) -> Result<Fetched, AnswerError> {
    if let Some(error) = response.errors.first() {
        return Err(AnswerError::SomeSplitsFailed(error.to_string()));
    }
    let passages = response
        .hits
        .into_iter()
        .map(|hit| serde_json::from_value::<StoredPassage>(hit).map(|passage| (passage, 0.0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| AnswerError::NotAPassage(error.to_string()))?;
    Ok(Fetched {
        passages,
        num_hits: Some(response.num_hits),
        counted: body.count_all,
        aggregations: if body.aggs.is_some() {
            response.aggregations
        } else {
            None
        },
    })
}

/// Turns fetched passages into results: keeps at most `per_article` of one article (counting
/// the rest among the fetched hits), cuts the page, makes snippets, and reads the
/// aggregations as facets.
pub fn results_from_fetched(
    request: &SearchRequest,
    highlight: &HighlightTerms,
    fetched: Fetched,
) -> Result<SearchResults, AnswerError> {
    let n_fetched = fetched.passages.len();
    let mut per_article: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<(StoredPassage, f32)> = Vec::new();
    let mut more_in_article: HashMap<String, usize> = HashMap::new();
    for (passage, score) in fetched.passages {
        let seen = per_article.entry(passage.article_id.clone()).or_default();
        *seen += 1;
        if request.per_article == 0 || *seen <= request.per_article {
            kept.push((passage, score));
        } else {
            *more_in_article
                .entry(passage.article_id.clone())
                .or_default() += 1;
        }
    }
    let wanted = request.offset + request.limit;
    let num_hits = fetched.num_hits;
    let more = kept.len() > wanted || num_hits.is_none_or(|n| n > n_fetched as u64);
    let exhausted = num_hits.is_some_and(|n| (n_fetched as u64) >= n);
    let mut analyzer = english_analyzer();
    let hits = kept
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .enumerate()
        .map(|(idx, (passage, score))| {
            let more = more_in_article
                .get(&passage.article_id)
                .copied()
                .unwrap_or(0);
            // Quickwit's BM25 score (decayed by --recency); 0 in date order, where the native
            // endpoint returns none.
            let mut hit = make_hit(
                passage.into_stored_fields(),
                request.offset + idx + 1,
                score,
                highlight,
                &mut analyzer,
                request.fragments,
            );
            hit.more_in_article = more;
            hit
        })
        .collect();
    let facets = match (&fetched.aggregations, request.facets) {
        (Some(aggregations), true) => Some(facets_from_aggregations(
            num_hits.unwrap_or(0),
            aggregations,
        )?),
        _ => None,
    };
    let total = if fetched.counted || (exhausted && request.per_article == 0) {
        num_hits
    } else {
        None
    };
    Ok(SearchResults {
        hits,
        total,
        more,
        facets,
        facet_sample: None,
        search_time: std::time::Duration::ZERO,
        fetch_time: std::time::Duration::ZERO,
    })
}

#[derive(Debug, Deserialize)]
struct BucketAggregation {
    buckets: Vec<Bucket>,
    /// Passages of the keys left out of a `terms` aggregation's answer.
    #[serde(default)]
    sum_other_doc_count: u64,
}

#[derive(Debug, Deserialize)]
struct Bucket {
    key: serde_json::Value,
    doc_count: u64,
}

fn aggregation(
    aggregations: &serde_json::Value,
    name: &str,
) -> Result<Option<BucketAggregation>, AnswerError> {
    aggregations
        .get(name)
        .map(|value| {
            serde_json::from_value::<BucketAggregation>(value.clone()).map_err(|error| {
                AnswerError::Aggregation {
                    name: name.to_string(),
                    reason: error.to_string(),
                }
            })
        })
        .transpose()
}

fn buckets(aggregations: &serde_json::Value, name: &str) -> Result<Vec<Bucket>, AnswerError> {
    Ok(aggregation(aggregations, name)?
        .map(|aggregation| aggregation.buckets)
        .unwrap_or_default())
}

/// The entity of a label bucket's key (`kind:Name`); a bare key (an index without labels)
/// counts as an entity of kind `other`.
fn bucket_entity(bucket: &Bucket) -> Option<Entity> {
    let key = bucket.key.as_str()?;
    Some(parse_entity_label(key).unwrap_or_else(|| Entity {
        name: key.to_string(),
        kind: EntityKind::Other,
    }))
}

/// Reads the entity labels aggregation behind `newsdex entities`: each entity with the
/// passages that mention it, and whether Quickwit left rarer labels out of its answer.
pub fn entity_labels_from_aggregations(
    aggregations: &serde_json::Value,
) -> Result<(Vec<(Entity, u64)>, bool), AnswerError> {
    let Some(labels) = aggregation(aggregations, AGG_ENTITIES)? else {
        return Ok((Vec::new(), false));
    };
    let counts = labels
        .buckets
        .iter()
        .filter_map(|bucket| Some((bucket_entity(bucket)?, bucket.doc_count)))
        .collect();
    Ok((counts, labels.sum_other_doc_count > 0))
}

/// Reads the `terms` and `date_histogram` aggregations as facets. Entity keys are labels
/// (`kind:Name`); a bare key (an index without labels) counts as an entity of kind `other`.
/// Histogram buckets are summed into the calendar month their start falls in.
pub fn facets_from_aggregations(
    total: u64,
    aggregations: &serde_json::Value,
) -> Result<Facets, AnswerError> {
    let mut entities: Vec<EntityCount> = buckets(aggregations, AGG_ENTITIES)?
        .into_iter()
        .filter_map(|bucket| {
            let Entity { name, kind } = bucket_entity(&bucket)?;
            Some(EntityCount {
                name,
                kind,
                count: bucket.doc_count,
            })
        })
        .collect();
    entities.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    entities.truncate(FACET_TOP);
    let mut categories: Vec<FacetCount> = buckets(aggregations, AGG_CATEGORIES)?
        .into_iter()
        .filter_map(|bucket| {
            Some(FacetCount {
                value: bucket.key.as_str()?.to_string(),
                count: bucket.doc_count,
            })
        })
        .collect();
    categories.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    categories.truncate(FACET_TOP);
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    for bucket in buckets(aggregations, AGG_MONTHS)? {
        if bucket.doc_count == 0 {
            continue;
        }
        let millis = bucket
            .key
            .as_f64()
            .ok_or_else(|| AnswerError::Aggregation {
                name: AGG_MONTHS.to_string(),
                reason: "a bucket key is not a number".to_string(),
            })?;
        let start = DateTime::from_timestamp_millis(millis as i64).ok_or_else(|| {
            AnswerError::Aggregation {
                name: AGG_MONTHS.to_string(),
                reason: "a bucket starts at an impossible date".to_string(),
            }
        })?;
        *months.entry(start.format("%Y-%m").to_string()).or_default() += bucket.doc_count;
    }
    Ok(Facets {
        total,
        entities,
        categories,
        months: months
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
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
            "months": {"buckets": [
                {"key": 1_709_251_200_000.0_f64, "doc_count": 2},
                {"key": 1_709_337_600_000.0_f64, "doc_count": 0},
                {"key": 1_711_584_000_000.0_f64, "doc_count": 1},
                {"key": 1_711_929_600_000.0_f64, "doc_count": 4},
            ]},
        });
        let facets = facets_from_aggregations(9, &aggregations).unwrap();
        assert_eq!(facets.total, 9);
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
        let response = json!({"num_hits": 0, "hits": [], "elapsed_time_micros": 1, "errors": ["split 3 failed"]});
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
}
