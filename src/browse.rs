//! Browse stage: an open index -> whole articles, index statistics and entity counts, as plain
//! data for `serve` (and any other front end). Reads stored fields and fast columns through the
//! `Fields` handles; it does not rank, make snippets or format anything.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::{AllQuery, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use crate::error::IndexError;
use crate::facets::{EntityCount, FacetCollector, FacetCount, parse_entity_label};
use crate::model::{Entity, EntityKind};
use crate::schema::field_name;
use crate::search::Searcher;

/// Most passages returned for one article; longer articles are cut (and say so).
pub const MAX_ARTICLE_PASSAGES: usize = 5_000;
/// Categories listed in the statistics.
pub const STATS_CATEGORIES: usize = 100;

/// One passage of an article, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticlePassage {
    pub ordinal: u32,
    pub section: Option<String>,
    pub text: String,
    pub entities: Vec<Entity>,
}

/// A whole article as the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    pub article_id: String,
    pub path: String,
    pub title: String,
    pub date: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    /// Every passage, by ordinal.
    pub passages: Vec<ArticlePassage>,
    /// The article had more than `MAX_ARTICLE_PASSAGES` passages.
    pub truncated: bool,
}

/// What the index holds, counted over every passage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    pub passages: u64,
    pub articles: u64,
    /// Oldest and newest article dates; `None` when nothing is dated.
    pub first_date: Option<DateTime<Utc>>,
    pub last_date: Option<DateTime<Utc>>,
    /// Passages without a date.
    pub undated_passages: u64,
    /// Most passages first.
    pub categories: Vec<FacetCount>,
    /// Outlets and authors, most passages first; absent when the index knows none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<FacetCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<FacetCount>,
    /// Passages per month (`YYYY-MM`), in calendar order.
    pub months: Vec<FacetCount>,
}

/// Entity counts over the passages a query matches (or all passages).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityCounts {
    /// Passages counted.
    pub total: u64,
    pub entities: Vec<EntityCount>,
}

fn facet_collector(searcher: &Searcher, schema: &tantivy::schema::Schema) -> FacetCollector {
    let fields = searcher.handle().fields;
    FacetCollector::new(schema, &fields)
}

fn tantivy_error(searcher: &Searcher) -> impl Fn(tantivy::TantivyError) -> IndexError + '_ {
    move |source| IndexError::Tantivy {
        path: searcher.handle().path.clone(),
        source,
    }
}

/// Every passage of the article `article_id`, in ordinal order; `None` when there is no such
/// article.
pub fn fetch_article(
    searcher: &Searcher,
    article_id: &str,
) -> Result<Option<ArticleView>, IndexError> {
    let fields = searcher.handle().fields;
    let tantivy_searcher = searcher.tantivy_searcher();
    let query = TermQuery::new(
        Term::from_field_text(fields.article_id, article_id),
        IndexRecordOption::Basic,
    );
    let mut addresses: Vec<_> = tantivy_searcher
        .search(&query, &DocSetCollector)
        .map_err(tantivy_error(searcher))?
        .into_iter()
        .collect();
    if addresses.is_empty() {
        return Ok(None);
    }
    addresses.sort();
    let spellings = searcher.spellings(&tantivy_searcher);
    let truncated = addresses.len() > MAX_ARTICLE_PASSAGES;
    addresses.truncate(MAX_ARTICLE_PASSAGES);
    let text_of = |document: &TantivyDocument, field| {
        document
            .get_first(field)
            .and_then(|value| value.as_str())
            .map(str::to_string)
    };
    let mut view = ArticleView {
        article_id: article_id.to_string(),
        path: String::new(),
        title: String::new(),
        date: None,
        categories: Vec::new(),
        passages: Vec::with_capacity(addresses.len()),
        truncated,
    };
    for (idx, address) in addresses.into_iter().enumerate() {
        let document: TantivyDocument = tantivy_searcher
            .doc(address)
            .map_err(tantivy_error(searcher))?;
        if idx == 0 {
            view.path = text_of(&document, fields.path).unwrap_or_default();
            view.title = text_of(&document, fields.title).unwrap_or_default();
            view.categories = document
                .get_all(fields.category)
                .filter_map(|value| value.as_str())
                .map(str::to_string)
                .collect();
            view.date = document
                .get_first(fields.date)
                .and_then(|value| value.as_datetime())
                .and_then(|date| DateTime::from_timestamp(date.into_timestamp_secs(), 0));
        }
        view.passages.push(ArticlePassage {
            ordinal: document
                .get_first(fields.ordinal)
                .and_then(|value| value.as_u64())
                .and_then(|ordinal| u32::try_from(ordinal).ok())
                .unwrap_or(0),
            section: text_of(&document, fields.section),
            text: text_of(&document, fields.text).unwrap_or_default(),
            entities: crate::index::stored_entity_labels(&fields, &document)
                .filter_map(parse_entity_label)
                .map(|entity| spellings.entity(entity))
                .collect(),
        });
    }
    view.passages.sort_by_key(|passage| passage.ordinal);
    Ok(Some(view))
}

/// Counts passages, articles, dates, categories and months over the whole index.
pub fn index_stats(searcher: &Searcher) -> Result<IndexStats, IndexError> {
    let tantivy_searcher = searcher.tantivy_searcher();
    let schema = tantivy_searcher.schema().clone();
    let fields = searcher.handle().fields;
    let tally = tantivy_searcher
        .search(&AllQuery, &facet_collector(searcher, &schema))
        .map_err(tantivy_error(searcher))?;
    let facets = tally.into_facets(STATS_CATEGORIES, None);

    let article_field = field_name(&schema, fields.article_id);
    let date_field = field_name(&schema, fields.date);
    let mut article_ids: HashSet<String> = HashSet::new();
    let mut first: Option<i64> = None;
    let mut last: Option<i64> = None;
    for segment in tantivy_searcher.segment_readers() {
        if segment.num_docs() == 0 {
            continue;
        }
        let fast_fields = segment.fast_fields();
        if let Some(column) = fast_fields
            .str(article_field)
            .map_err(tantivy_error(searcher))?
        {
            let mut stream = column
                .dictionary()
                .stream()
                .map_err(|source| IndexError::Io {
                    path: searcher.handle().path.clone(),
                    source,
                })?;
            while stream.advance() {
                article_ids.insert(String::from_utf8_lossy(stream.key()).into_owned());
            }
        }
        if let Some(column) = fast_fields
            .column_opt::<tantivy::DateTime>(date_field)
            .map_err(tantivy_error(searcher))?
            && column.values.num_vals() > 0
        {
            let min = column.min_value().into_timestamp_secs();
            let max = column.max_value().into_timestamp_secs();
            first = Some(first.map_or(min, |first| first.min(min)));
            last = Some(last.map_or(max, |last| last.max(max)));
        }
    }
    let dated: u64 = facets.months.iter().map(|month| month.count).sum();
    Ok(IndexStats {
        passages: tantivy_searcher.num_docs(),
        articles: article_ids.len() as u64,
        first_date: first.and_then(|secs| DateTime::from_timestamp(secs, 0)),
        last_date: last.and_then(|secs| DateTime::from_timestamp(secs, 0)),
        undated_passages: facets.total.saturating_sub(dated),
        categories: facets.categories,
        sources: facets.sources,
        authors: facets.authors,
        months: facets.months,
    })
}

/// The `top` most mentioned entities (optionally of one kind) over the passages `query`
/// matches, or over every passage when there is no query.
pub fn entity_counts(
    searcher: &Searcher,
    query: Option<&dyn Query>,
    kind: Option<EntityKind>,
    top: usize,
) -> Result<EntityCounts, IndexError> {
    let tantivy_searcher = searcher.tantivy_searcher();
    let schema = tantivy_searcher.schema().clone();
    let collector = facet_collector(searcher, &schema);
    let tally = match query {
        Some(query) => tantivy_searcher.search(query, &collector),
        None => tantivy_searcher.search(&AllQuery, &collector),
    }
    .map_err(tantivy_error(searcher))?;
    let facets = tally
        .canonical(&searcher.spellings(&tantivy_searcher))
        .into_facets(top, kind);
    Ok(EntityCounts {
        total: facets.total,
        entities: facets.entities,
    })
}
