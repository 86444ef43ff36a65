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

use crate::analysis::english_analyzer;
use crate::entity_stats::{EntityCounts, rank_entities};
use crate::extract::entities::EntityExtractor;
use crate::facets::{EntityCount, FacetCount, Facets, parse_entity_label};
use crate::model::{Entity, EntityKind, ExtraField, Keyword};
use crate::search::{
    FACET_TOP, FieldBoosts, SearchRequest, SearchResults, SortOrder, make_hit, recency_factor_secs,
};
use crate::snippet::HighlightTerms;

use self::client::{AnswerError, ElasticResponse, QuickwitClient, QuickwitError, SearchResponse};
use self::document::StoredPassage;
use self::translate::{
    AGG_ENTITIES, AGG_MONTHS, EXTRA_AGGREGATION_PREFIX, MAX_HITS, SearchBody, elastic_body_with,
    entity_count_body, fetch_window, keyword_aggregation, search_body_with, translate_query_with,
};
use super::{BackendError, BackendInfo, SearchBackend};

/// A Quickwit index that answers newsdex's searches.
pub struct QuickwitBackend {
    client: QuickwitClient,
    index_id: String,
    extractor: EntityExtractor,
    /// The declared fields (`[fields.extra]` of the settings file) the index was fed with.
    extras: Vec<ExtraField>,
}

impl QuickwitBackend {
    pub fn new(client: QuickwitClient, index_id: &str, extractor: EntityExtractor) -> Self {
        QuickwitBackend {
            client,
            index_id: index_id.to_string(),
            extractor,
            extras: Vec::new(),
        }
    }

    /// The same backend on an index fed with these declared fields: `name:` in queries, and
    /// facets of the keyword ones.
    pub fn with_extras(mut self, extras: Vec<ExtraField>) -> Self {
        self.extras = extras;
        self
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
        let (body, highlight) = elastic_body_with(
            request,
            &self.extractor,
            &self.extras,
            ranked_depth(request),
        )?;
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
            let (mut native, _) = search_body_with(&counting, &self.extractor, &self.extras)?;
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
        let (body, highlight) = search_body_with(request, &self.extractor, &self.extras)?;
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
        let (mut body, _) = search_body_with(&request, &self.extractor, &self.extras)?;
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
        translate_query_with(
            query,
            false,
            FieldBoosts::default(),
            &self.extractor,
            &self.extras,
        )
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
        // Suggestions need the index's vocabulary, which only the local backend reads.
        ..SearchResults::default()
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

/// The values of a `terms` aggregation on a field as written, most passages first, the top
/// `FACET_TOP` kept.
fn value_counts(
    aggregations: &serde_json::Value,
    name: &str,
) -> Result<Vec<FacetCount>, AnswerError> {
    let mut counts: Vec<FacetCount> = buckets(aggregations, name)?
        .into_iter()
        .filter_map(|bucket| {
            Some(FacetCount {
                value: bucket.key.as_str()?.to_string(),
                count: bucket.doc_count,
            })
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    counts.truncate(FACET_TOP);
    Ok(counts)
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
    let mut facets = Facets::default();
    // An index made before a keyword field was mapped answers without its aggregation.
    for keyword in Keyword::ALL {
        *facets.keyword_mut(keyword) = value_counts(aggregations, keyword_aggregation(keyword))?;
    }
    // Declared keyword fields, one aggregation each (`EXTRA_AGGREGATION_PREFIX` and the name).
    if let Some(object) = aggregations.as_object() {
        for name in object.keys() {
            if let Some(field) = name.strip_prefix(EXTRA_AGGREGATION_PREFIX) {
                facets
                    .extra
                    .insert(field.to_string(), value_counts(aggregations, name)?);
            }
        }
    }
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
        months: months
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect(),
        ..facets
    })
}

#[cfg(test)]
mod tests;
