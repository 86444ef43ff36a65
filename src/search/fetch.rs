//! Fetching: a ranked passage -> its stored fields, snippet and explanation -> `Hit`.

use super::rank::{date_column, recency_factor};
use super::request::SearchRequest;
use super::searcher::Searcher;

use chrono::DateTime;
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, TantivyDocument};

use crate::error::IndexError;
use crate::extract::spelling::Spellings;
use crate::facets::parse_entity_label;
use crate::model::{Entity, Hit, StoredFields};
use crate::schema::field_name;
use crate::snippet::{HighlightTerms, make_snippet};

impl Searcher {
    pub(super) fn explain(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        address: DocAddress,
        request: &SearchRequest,
        newest: Option<i64>,
        score: tantivy::Score,
    ) -> Result<serde_json::Value, IndexError> {
        let explanation = query
            .explain(searcher, address)
            .map_err(|source| self.tantivy_error(source))?;
        let bm25: serde_json::Value =
            serde_json::from_str(&explanation.to_pretty_json()).unwrap_or(serde_json::Value::Null);
        let Some(half_life) = request.recency_half_life else {
            // A passage rescored for proximity (`proximity::rerank`) scores over its BM25.
            let bonus = score - explanation.value();
            if request.proximity > 0.0 && bonus > 1e-4 {
                return Ok(serde_json::json!({
                    "value": score,
                    "description": format!(
                        "proximity: BM25 + {bonus:.4} ({} x the closeness of the query's words, within {} positions)",
                        request.proximity,
                        super::proximity::PROXIMITY_WINDOW
                    ),
                    "details": [bm25],
                }));
            }
            return Ok(bm25);
        };
        let date = date_column(
            searcher.segment_reader(address.segment_ord),
            field_name(searcher.schema(), self.handle.fields.date),
        )
        .and_then(|column| column.first(address.doc_id));
        let factor = recency_factor(date, newest, half_life.num_seconds().max(1) as f64);
        Ok(serde_json::json!({
            "value": explanation.value() * factor,
            "description": format!(
                "recency: BM25 x {factor:.3} (half-life {} days, measured from the newest article)",
                half_life.num_days()
            ),
            "details": [bm25],
        }))
    }

    /// The stored fields of a passage of this index, its entities in their canonical spelling.
    pub(super) fn stored_fields(
        &self,
        document: &TantivyDocument,
        spellings: &Spellings,
    ) -> StoredFields {
        let fields = self.handle.fields;
        let text_of = |field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .map(str::to_string)
        };
        let texts_of = |field| {
            document
                .get_all(field)
                .filter_map(|value| value.as_str())
                .map(str::to_string)
                .collect()
        };
        let mut entities: Vec<Entity> = Vec::new();
        for entity in crate::index::stored_entity_labels(&fields, document)
            .filter_map(parse_entity_label)
            .map(|entity| spellings.entity(entity))
        {
            if !entities.contains(&entity) {
                entities.push(entity);
            }
        }
        StoredFields {
            article_id: text_of(fields.article_id).unwrap_or_default(),
            path: text_of(fields.path).unwrap_or_default(),
            title: text_of(fields.title).unwrap_or_default(),
            date: document
                .get_first(fields.date)
                .and_then(|value| value.as_datetime())
                .and_then(|date| DateTime::from_timestamp(date.into_timestamp_secs(), 0)),
            categories: texts_of(fields.category),
            url: text_of(fields.url),
            source: text_of(fields.source),
            authors: texts_of(fields.author),
            language: text_of(fields.language),
            section: text_of(fields.section),
            ordinal: document
                .get_first(fields.ordinal)
                .and_then(|value| value.as_u64())
                .map_or(0, |ordinal| u32::try_from(ordinal).unwrap_or(u32::MAX)),
            text: text_of(fields.text).unwrap_or_default(),
            entities,
            extra: crate::index::extra::stored_extras(&fields, document),
        }
    }
}

/// The hit of a passage at `rank` with `score`: its stored fields and the snippet of the words
/// the query matched. The one place a `Hit` is made, for both backends.
pub fn make_hit(
    stored: StoredFields,
    rank: usize,
    score: f32,
    highlight: &HighlightTerms,
    analyzer: &mut TextAnalyzer,
    fragments: usize,
) -> Hit {
    let snippet = make_snippet(analyzer, &stored.text, highlight, fragments);
    Hit {
        rank,
        score,
        article_id: stored.article_id,
        path: stored.path,
        title: stored.title,
        date: stored.date,
        categories: stored.categories,
        url: stored.url,
        source: stored.source,
        authors: stored.authors,
        language: stored.language,
        section: stored.section,
        ordinal: stored.ordinal,
        passage: stored.text,
        snippet: snippet.text,
        highlights: snippet.highlights,
        entities: stored.entities,
        extra: stored.extra,
        more_in_article: 0,
        story_score: None,
        duplicates: Vec::new(),
        explanation: None,
    }
}
