//! The Quickwit backend: `SearchRequest` -> a Quickwit search (via `translate` and `client`)
//! -> `SearchResults` with the same `Hit`s as the local index, snippets made by newsdex from
//! the returned passage text. Grouping per article is done here, over the fetched window.
//! Building (`upload`) and exporting (`export`) live beside it; nothing here prints.

pub mod client;
pub mod document;
pub mod export;
pub mod mapping;
pub mod replay;
pub mod translate;
pub mod upload;

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::DateTime;
use serde::Deserialize;

use crate::entity_stats::{EntityCounts, rank_entities};
use crate::extract::entities::EntityExtractor;
use crate::facets::{EntityCount, FacetCount, Facets, parse_entity_label};
use crate::model::{Entity, EntityKind, Hit};
use crate::schema::english_analyzer;
use crate::search::{FACET_TOP, FieldBoosts, SearchRequest, SearchResults};
use crate::snippet::{HighlightTerms, make_snippet};

use self::client::{QuickwitClient, QuickwitError, SearchResponse};
use self::document::StoredPassage;
use self::translate::{
    AGG_CATEGORIES, AGG_ENTITIES, AGG_MONTHS, SearchBody, entity_count_body, search_body,
    translate_query,
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

impl SearchBackend for QuickwitBackend {
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, BackendError> {
        let started = Instant::now();
        let (body, highlight) = search_body(request, &self.extractor)?;
        let response = self.client.search(&self.index_id, &body)?;
        let search_time = started.elapsed();
        let mut results =
            results_from_response(request, &body, &highlight, response).map_err(|reason| {
                QuickwitError::Decode {
                    url: format!("{}/api/v1/{}/search", self.client.base_url(), self.index_id),
                    reason,
                }
            })?;
        results.fetch_time = started.elapsed().saturating_sub(search_time);
        results.search_time = search_time;
        Ok(results)
    }

    fn entity_counts(
        &self,
        query: Option<&str>,
        kind: Option<EntityKind>,
        top: usize,
    ) -> Result<EntityCounts, BackendError> {
        let body = entity_count_body(query, &self.extractor, top)?;
        let response = self.client.search(&self.index_id, &body)?;
        let decode_error = |reason| QuickwitError::Decode {
            url: format!("{}/api/v1/{}/search", self.client.base_url(), self.index_id),
            reason,
        };
        if let Some(error) = response.errors.first() {
            return Err(decode_error(format!("the search failed on some splits: {error}")).into());
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

/// Turns a search response into results: parses the stored passages, keeps at most
/// `per_article` of one article (counting the rest among the fetched hits), cuts the page,
/// makes snippets, and reads the aggregations as facets.
pub fn results_from_response(
    request: &SearchRequest,
    body: &SearchBody,
    highlight: &HighlightTerms,
    response: SearchResponse,
) -> Result<SearchResults, String> {
    if let Some(error) = response.errors.first() {
        return Err(format!("the search failed on some splits: {error}"));
    }
    let n_fetched = response.hits.len();
    let passages = response
        .hits
        .into_iter()
        .map(serde_json::from_value::<StoredPassage>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("a hit is not a newsdex passage: {error}"))?;
    let mut per_article: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<StoredPassage> = Vec::new();
    let mut more_in_article: HashMap<String, usize> = HashMap::new();
    for passage in passages {
        let seen = per_article.entry(passage.article_id.clone()).or_default();
        *seen += 1;
        if request.per_article == 0 || *seen <= request.per_article {
            kept.push(passage);
        } else {
            *more_in_article
                .entry(passage.article_id.clone())
                .or_default() += 1;
        }
    }
    let wanted = request.offset + request.limit;
    let more = kept.len() > wanted || response.num_hits > n_fetched as u64;
    let exhausted = (n_fetched as u64) >= response.num_hits;
    let mut analyzer = english_analyzer();
    let hits = kept
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .enumerate()
        .map(|(idx, passage)| {
            let snippet = make_snippet(&mut analyzer, &passage.text, highlight, request.fragments);
            Hit {
                rank: request.offset + idx + 1,
                // Quickwit's REST API returns hits in order but not their scores.
                score: 0.0,
                categories: passage.categories(),
                url: None,
                section: passage.section(),
                entities: passage.entities(),
                more_in_article: more_in_article
                    .get(&passage.article_id)
                    .copied()
                    .unwrap_or(0),
                article_id: passage.article_id,
                path: passage.path,
                title: passage.title,
                date: passage.date,
                ordinal: u32::try_from(passage.ordinal).unwrap_or(u32::MAX),
                passage: passage.text,
                snippet: snippet.text,
                highlights: snippet.highlights,
                explanation: None,
            }
        })
        .collect();
    let facets = match &response.aggregations {
        Some(aggregations) if body.aggs.is_some() => {
            Some(facets_from_aggregations(response.num_hits, aggregations)?)
        }
        _ => None,
    };
    let total =
        (body.count_all || (exhausted && request.per_article == 0)).then_some(response.num_hits);
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
) -> Result<Option<BucketAggregation>, String> {
    aggregations
        .get(name)
        .map(|value| {
            serde_json::from_value::<BucketAggregation>(value.clone())
                .map_err(|error| format!("aggregation `{name}`: {error}"))
        })
        .transpose()
}

fn buckets(aggregations: &serde_json::Value, name: &str) -> Result<Vec<Bucket>, String> {
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
) -> Result<(Vec<(Entity, u64)>, bool), String> {
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
) -> Result<Facets, String> {
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
            .ok_or_else(|| format!("a `{AGG_MONTHS}` bucket key is not a number"))?;
        let start = DateTime::from_timestamp_millis(millis as i64)
            .ok_or_else(|| format!("a `{AGG_MONTHS}` bucket starts at an impossible date"))?;
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
        let server = ReplayServer::start(vec![Route::search(
            "news",
            vec![Canned::search_hits(hits, None)],
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
        let sent: serde_json::Value = serde_json::from_str(&server.received()[0].body).unwrap();
        assert_eq!(
            sent["query"],
            "(text_stems:shell OR title_stems:shell OR section_stems:shell)"
        );
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
        let server = ReplayServer::start(vec![Route::search(
            "news",
            vec![Canned::new(200, response.to_string())],
        )])
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
        assert_eq!(
            sent[0]["query"],
            "(text_stems:shell OR title_stems:shell OR section_stems:shell)"
        );
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
