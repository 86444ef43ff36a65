//! Query translation: newsdex's query language (`query::Node`) and filters -> a Quickwit 0.9
//! search body (query string over the pre-analysed `_stems` fields and the folded raw fields,
//! timestamps, sort, aggregations), plus the words to highlight. Pure: no requests, no
//! snippets; features Quickwit cannot express are refused with a message, never approximated.

use serde::Serialize;
use serde_json::json;

use std::ops::Bound;

use crate::error::IndexError;
use crate::extract::entities::EntityExtractor;
use crate::model::{ExtraField, ExtraType, Keyword};
use crate::query::{self, ExtraRange, Occur};
use crate::search::expand::{ENTITY_EXPANSION_SCORE, named_entities};
use crate::search::plan::{
    Clause, ExtraClause, Part, Target, Vocabulary, plan_filters, plan_query,
};
use crate::search::{FACET_TOP, FieldBoosts, Filters, SearchRequest, SortOrder};
use crate::snippet::HighlightTerms;

use super::document::{Analysers, format_date};
use super::mapping::field;

/// Names of the aggregations newsdex asks for.
pub const AGG_ENTITIES: &str = "entities";
pub const AGG_CATEGORIES: &str = "categories";
pub const AGG_MONTHS: &str = "months";

/// Most hits one request asks for; Quickwit refuses more than 10,000 by default.
pub const MAX_HITS: usize = 10_000;

/// Why a query or request cannot be sent to Quickwit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("invalid query: {0}")]
    Query(String),
    #[error("invalid filter: {0}")]
    Filter(String),
    #[error("{0} is not supported with --backend quickwit")]
    Unsupported(String),
}

/// The JSON body of `POST /api/v1/{index}/search`. `sort_by` is a comma-separated string, as
/// the server reads it in a JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchBody {
    pub query: String,
    pub max_hits: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_offset: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub count_all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggs: Option<serde_json::Value>,
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

/// The body of `POST /api/v1/{index}/delete-tasks`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeleteQuery {
    pub query: String,
}

/// A translated query and what its matches look like in the passage text.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    pub query: String,
    pub highlight: HighlightTerms,
}

/// Entity names as the lists know them: Quickwit's index has no local vocabulary to resolve
/// a part of a name against, so a name means the entity the lists give it, or itself.
struct ListVocabulary<'a> {
    extractor: &'a EntityExtractor,
}

impl Vocabulary for ListVocabulary<'_> {
    fn entity_keys(&self, name: &str, strict: bool) -> Result<Vec<String>, IndexError> {
        // `=NAME` (the entity of that name alone) is what a name means here anyway.
        let (_, typed) = crate::entity_names::split_exact(name);
        let key = Analysers::default().fold(&self.extractor.resolve(typed).name);
        if key.is_empty() {
            return Err(match strict {
                true => IndexError::Filter(format!("--entity `{typed}` is empty")),
                false => IndexError::Query("`entity:` needs a value".to_string()),
            });
        }
        Ok(vec![key])
    }
}

/// A planning error as a translation error.
fn refused(error: IndexError) -> TranslateError {
    match error {
        IndexError::Query(message) => TranslateError::Query(message),
        IndexError::Filter(message) => TranslateError::Filter(message),
        other => TranslateError::Query(other.to_string()),
    }
}

/// A value in double quotes, with `"` and `\` escaped: safe for any raw-field value.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The `_stems` field of a part of the passage: a plain word searches the whole passage
/// (`all_stems`, the local `all`: BM25 over it is the local BM25F).
fn stem_field(part: Part) -> &'static str {
    match part {
        Part::All => field::ALL_STEMS,
        Part::Title => field::TITLE_STEMS,
        Part::Section => field::SECTION_STEMS,
        Part::Text => field::TEXT_STEMS,
    }
}

/// `field:value` for each target, boosted where the weight is not 1, any may match.
fn any_field(targets: &[Target], value: &str) -> String {
    let clauses: Vec<String> = targets
        .iter()
        .map(|target| {
            let (name, boost) = (stem_field(target.part), target.weight);
            if (boost - 1.0).abs() < f32::EPSILON {
                format!("{name}:{value}")
            } else {
                format!("{name}:{value}^{boost}")
            }
        })
        .collect();
    match clauses.len() {
        1 => clauses.into_iter().next().unwrap_or_default(),
        _ => format!("({})", clauses.join(" OR ")),
    }
}

/// A boolean group in Quickwit's query language with an explicit occurrence on every clause:
/// Quickwit joins clauses that have none with AND (tantivy with OR), so nothing is left to
/// that default. Optional clauses become one group that `*` makes always true beside required
/// ones (so they only rank); a purely negative group means "everything except".
fn bool_clause(parts: Vec<(Occur, String)>) -> Option<String> {
    let of = |wanted: Occur| -> Vec<&str> {
        parts
            .iter()
            .filter(|(occur, _)| *occur == wanted)
            .map(|(_, part)| part.as_str())
            .collect()
    };
    let (musts, nots, shoulds) = (of(Occur::Must), of(Occur::MustNot), of(Occur::Should));
    if parts.is_empty() {
        return None;
    }
    if musts.is_empty() && nots.is_empty() {
        return Some(format!("({})", shoulds.join(" OR ")));
    }
    let mut joined: Vec<String> = musts.iter().map(|part| format!("+{part}")).collect();
    match (musts.is_empty(), shoulds.is_empty()) {
        (_, true) if musts.is_empty() => joined.push("+*".to_string()),
        (_, true) => {}
        (true, false) => joined.push(format!("+({})", shoulds.join(" OR "))),
        (false, false) => joined.push(format!("+({} OR *)", shoulds.join(" OR "))),
    }
    joined.extend(nots.iter().map(|part| format!("-{part}")));
    Some(format!("({})", joined.join(" ")))
}

/// A plan's clause in Quickwit's query language. Features Quickwit cannot express (fuzzy
/// words) are refused.
fn emit(clause: &Clause) -> Result<String, TranslateError> {
    Ok(match clause {
        Clause::Words {
            targets,
            tokens,
            slop,
        } => match tokens.as_slice() {
            [(_, stem)] => any_field(targets, stem),
            // The stems were sent joined by single spaces, so the phrase is the stems joined
            // by spaces too (stop words are gone on both sides).
            _ => {
                let stems: Vec<&str> = tokens.iter().map(|(_, stem)| stem.as_str()).collect();
                let mut phrase = quoted(&stems.join(" "));
                if *slop > 0 {
                    phrase.push_str(&format!("~{slop}"));
                }
                any_field(targets, &phrase)
            }
        },
        Clause::Prefix {
            targets, folded, ..
        } => {
            // Stems cannot be prefix-matched reliably, so the folded word is used as typed.
            if !folded.chars().all(|c| c.is_alphanumeric()) {
                return Err(TranslateError::Query(format!(
                    "`{folded}*` needs letters or digits before `*`"
                )));
            }
            any_field(targets, &format!("{folded}*"))
        }
        Clause::Fuzzy {
            folded, distance, ..
        } => {
            return Err(TranslateError::Unsupported(format!(
                "fuzzy matching (`{folded}~{distance}`)"
            )));
        }
        Clause::Entities(keys) => {
            let parts: Vec<(Occur, String)> = keys
                .iter()
                .map(|key| {
                    (
                        Occur::Should,
                        format!("{}:{}", field::ENTITIES, quoted(key)),
                    )
                })
                .collect();
            match parts.len() {
                1 => parts
                    .into_iter()
                    .next()
                    .map(|(_, part)| part)
                    .unwrap_or_default(),
                _ => bool_clause(parts).unwrap_or_default(),
            }
        }
        Clause::Keyword(keyword, key) => {
            format!("{}:{}", field::keyword_key(*keyword), quoted(key))
        }
        Clause::Dates { lower, upper } => {
            let (open, lower) = match lower {
                Bound::Unbounded => ('[', "*".to_string()),
                Bound::Included(date) => ('[', format_date(*date)),
                Bound::Excluded(date) => ('{', format_date(*date)),
            };
            let (close, upper) = match upper {
                Bound::Unbounded => (']', "*".to_string()),
                Bound::Included(date) => (']', format_date(*date)),
                Bound::Excluded(date) => ('}', format_date(*date)),
            };
            format!("{}:{open}{lower} TO {upper}{close}", field::DATE)
        }
        Clause::Extra { name, test } => match test {
            ExtraClause::Key(key) => format!("{}.{name}:{}", field::EXTRA_KEYS, quoted(key)),
            ExtraClause::Words { tokens, slop } => {
                let stems: Vec<&str> = tokens.iter().map(|(_, stem)| stem.as_str()).collect();
                let mut value = quoted(&stems.join(" "));
                if *slop > 0 {
                    value.push_str(&format!("~{slop}"));
                }
                format!("{}.{name}:{value}", field::EXTRA_STEMS)
            }
            ExtraClause::Range(ExtraRange::Numbers { lower, upper }) => {
                number_range(&format!("{}.{name}", field::EXTRA_NUMBERS), *lower, *upper)
            }
            ExtraClause::Range(ExtraRange::Dates { lower, upper }) => number_range(
                &format!("{}.{name}", field::EXTRA_NUMBERS),
                lower.map(|date| date.timestamp() as f64),
                upper.map(|date| date.timestamp() as f64),
            ),
        },
        Clause::Bool(clauses) => {
            let mut parts = Vec::with_capacity(clauses.len());
            for (occur, child) in clauses {
                parts.push((*occur, emit(child)?));
            }
            bool_clause(parts).unwrap_or_default()
        }
    })
}

/// `field:[lower TO upper]` over numbers (`*` for an open end).
fn number_range(field: &str, lower: Bound<f64>, upper: Bound<f64>) -> String {
    let number = |number: f64| crate::model::number_json(number).to_string();
    let (open, lower) = match lower {
        Bound::Unbounded => ('[', "*".to_string()),
        Bound::Included(value) => ('[', number(value)),
        Bound::Excluded(value) => ('{', number(value)),
    };
    let (close, upper) = match upper {
        Bound::Unbounded => (']', "*".to_string()),
        Bound::Included(value) => (']', number(value)),
        Bound::Excluded(value) => ('}', number(value)),
    };
    format!("{field}:{open}{lower} TO {upper}{close}")
}

/// The low-weighted clauses on the entity field for the entities the query's plain words name
/// (as `expand::entity_expansion` adds them locally), so that `Serbia` also finds "Serbian"
/// passages, ranked below; `None` when it names none.
pub fn entity_expansion(query_text: &str, extractor: &EntityExtractor) -> Option<String> {
    let mut analysers = Analysers::default();
    let mut keys: Vec<String> = named_entities(extractor, query_text)
        .iter()
        .map(|entity| analysers.fold(&entity.name))
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    let clauses: Vec<String> = keys
        .iter()
        .map(|key| {
            format!(
                "{}:{}^{ENTITY_EXPANSION_SCORE}",
                field::ENTITIES,
                quoted(key)
            )
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join(" OR "))
}

/// Translates the user's query text; a word without a field searches the text, title and
/// section, weighed by `boosts`.
pub fn translate_query(
    text: &str,
    require_all: bool,
    boosts: FieldBoosts,
    extractor: &EntityExtractor,
) -> Result<Translation, TranslateError> {
    translate_query_with(text, require_all, boosts, extractor, &[])
}

/// `translate_query`, knowing the index's declared fields (`[fields.extra]`).
pub fn translate_query_with(
    text: &str,
    require_all: bool,
    boosts: FieldBoosts,
    extractor: &EntityExtractor,
    extras: &[ExtraField],
) -> Result<Translation, TranslateError> {
    let default_occur = if require_all {
        Occur::Must
    } else {
        Occur::Should
    };
    let node = query::parse_with(text, default_occur, chrono::Utc::now(), extras)
        .map_err(|error| TranslateError::Query(error.to_string()))?;
    let plan = plan_query(&node, boosts, &ListVocabulary { extractor }).map_err(refused)?;
    Ok(Translation {
        query: emit(&plan.root)?,
        highlight: plan.highlight,
    })
}

/// The filters as Quickwit takes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterClauses {
    /// Required query clauses (sections, entities, categories).
    pub clauses: Vec<String>,
    /// Seconds, included.
    pub start_timestamp: Option<i64>,
    /// Seconds, excluded (as Quickwit reads `end_timestamp`).
    pub end_timestamp: Option<i64>,
}

/// Translates the filters: words, names and categories into clauses, dates into a window.
pub fn translate_filters(
    filters: &Filters,
    extractor: &EntityExtractor,
) -> Result<FilterClauses, TranslateError> {
    let plan = plan_filters(filters, &ListVocabulary { extractor }).map_err(refused)?;
    let clauses = plan.clauses.iter().map(emit).collect::<Result<_, _>>()?;
    Ok(FilterClauses {
        clauses,
        start_timestamp: plan.since.map(|date| date.timestamp()),
        // `--until` includes its last second; Quickwit's end bound excludes it.
        end_timestamp: plan.until.map(|date| date.timestamp() + 1),
    })
}

/// The aggregation of a keyword field's values, named as its facet list is.
pub fn keyword_aggregation(keyword: Keyword) -> &'static str {
    match keyword {
        Keyword::Category => AGG_CATEGORIES,
        Keyword::Source => "sources",
        Keyword::Author => "authors",
        Keyword::Language => "languages",
    }
}

/// The aggregations behind `--facets`: top entities and values of each keyword field, and
/// passages per day (folded into calendar months by newsdex; Quickwit 0.9 has fixed intervals
/// only).
/// The aggregation of a declared keyword field is named this and the field's name.
pub const EXTRA_AGGREGATION_PREFIX: &str = "extra:";

pub fn facet_aggregations() -> serde_json::Value {
    let mut aggregations = json!({
        AGG_ENTITIES: {"terms": {"field": field::ENTITY_LABELS, "size": FACET_TOP}},
        AGG_MONTHS: {"date_histogram": {"field": field::DATE, "fixed_interval": "1d", "min_doc_count": 1}},
    });
    for keyword in Keyword::ALL {
        aggregations[keyword_aggregation(keyword)] =
            json!({"terms": {"field": field::keyword_name(keyword), "size": FACET_TOP}});
    }
    aggregations
}

/// Entity labels `newsdex entities` asks Quickwit for (more when `--top` is larger): enough
/// that a `--kind` filter and merged spellings still fill the list on any real archive.
pub const ENTITY_BUCKETS: usize = 10_000;
/// At most this many labels in one answer, below Quickwit's default bucket limit (65,000).
pub const MAX_ENTITY_BUCKETS: usize = 60_000;

/// The body behind `newsdex entities [QUERY]`: no hits, one `terms` aggregation on the entity
/// labels of every passage the query matches (every passage without a query).
pub fn entity_count_body(
    query: Option<&str>,
    extractor: &EntityExtractor,
    top: usize,
) -> Result<SearchBody, TranslateError> {
    let query = match query {
        Some(text) => translate_query(text, false, FieldBoosts::default(), extractor)?.query,
        None => "*".to_string(),
    };
    let size = top.clamp(ENTITY_BUCKETS, MAX_ENTITY_BUCKETS);
    Ok(SearchBody {
        query,
        max_hits: 0,
        start_offset: 0,
        start_timestamp: None,
        end_timestamp: None,
        sort_by: None,
        count_all: false,
        aggs: Some(json!({
            AGG_ENTITIES: {"terms": {"field": field::ENTITY_LABELS, "size": size}},
        })),
    })
}

/// How many passages to fetch so that grouping by article can still fill the page.
pub fn fetch_window(request: &SearchRequest) -> usize {
    let wanted = request.offset + request.limit;
    let window = if request.per_article == 0 {
        wanted + 1
    } else {
        wanted * 3 + 10
    };
    window.min(MAX_HITS)
}

/// The `sort_by` of a native search in each order newsdex offers. A bare field sorts
/// descending in Quickwit 0.9 and a `-` prefix ascending; without `sort_by` hits come newest
/// first by the timestamp field, not ranked (recordings `newsdex-session/059`-`063`).
pub fn sort_by(order: SortOrder) -> String {
    match order {
        // Best first.
        SortOrder::Relevance => "_score".to_string(),
        // Newest first.
        SortOrder::Date => field::DATE.to_string(),
    }
}

/// A request's query with its filters, as one query string, and the rest of the filters.
struct Composed {
    /// The ranked query (with its entity expansion) and the filters as required clauses.
    query: String,
    /// Whether `query` is already a list of required clauses (the query and filters).
    required: bool,
    start_timestamp: Option<i64>,
    end_timestamp: Option<i64>,
    highlight: HighlightTerms,
}

fn compose(
    request: &SearchRequest,
    extractor: &EntityExtractor,
    extras: &[ExtraField],
) -> Result<Composed, TranslateError> {
    if request.explain {
        return Err(TranslateError::Unsupported("--explain".to_string()));
    }
    if request.sort_field.is_some() {
        return Err(TranslateError::Unsupported("--sort-by".to_string()));
    }
    let translation = translate_query_with(
        &request.query,
        request.require_all,
        request.boosts,
        extractor,
        extras,
    )?;
    let ranked = match entity_expansion(&request.query, extractor) {
        Some(expansion) => format!("({} OR {expansion})", translation.query),
        None => translation.query,
    };
    let FilterClauses {
        clauses: filter_clauses,
        start_timestamp,
        end_timestamp,
    } = translate_filters(&request.filters, extractor)?;
    let required = !filter_clauses.is_empty();
    let query = if !required {
        ranked
    } else {
        let mut parts = vec![format!("+{ranked}")];
        parts.extend(
            filter_clauses
                .into_iter()
                .map(|clause| format!("+{clause}")),
        );
        parts.join(" ")
    };
    Ok(Composed {
        query,
        required,
        start_timestamp,
        end_timestamp,
        highlight: translation.highlight,
    })
}

/// The native search body for a request (`POST /api/v1/{index}/search`), and what to
/// highlight: ranked by `_score` or sorted newest first (`sort_by`), with counts and facets
/// when asked for. Quickwit's native answer carries no score: a ranked page with scores is
/// `elastic_body`'s.
pub fn search_body(
    request: &SearchRequest,
    extractor: &EntityExtractor,
) -> Result<(SearchBody, HighlightTerms), TranslateError> {
    search_body_with(request, extractor, &[])
}

/// `search_body` on an index with declared fields: `name:` in the query, and facets of its
/// keyword fields.
pub fn search_body_with(
    request: &SearchRequest,
    extractor: &EntityExtractor,
    extras: &[ExtraField],
) -> Result<(SearchBody, HighlightTerms), TranslateError> {
    let composed = compose(request, extractor, extras)?;
    let body = SearchBody {
        query: composed.query,
        max_hits: fetch_window(request),
        start_offset: 0,
        start_timestamp: composed.start_timestamp,
        end_timestamp: composed.end_timestamp,
        sort_by: Some(sort_by(request.sort)),
        count_all: request.count || request.facets,
        aggs: request.facets.then(|| {
            let mut aggregations = facet_aggregations();
            for extra in extras.iter().filter(|extra| extra.kind == ExtraType::Keyword) {
                aggregations[format!("{EXTRA_AGGREGATION_PREFIX}{}", extra.name)] = json!({
                    "terms": {"field": format!("{}.{}", field::EXTRA, extra.name), "size": FACET_TOP}
                });
            }
            aggregations
        }),
    };
    Ok((body, composed.highlight))
}

/// The body of `POST /api/v1/_elastic/{index}/_search` for a ranked page: the same query
/// string (and filters), best first by `_score`, which makes Quickwit return each hit's BM25
/// score in its `sort` array (recording `newsdex-session/065`). The endpoint takes no
/// timestamps, so a date window is one more required clause on the date field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElasticBody {
    pub query: ElasticQuery,
    pub size: usize,
    pub sort: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElasticQuery {
    pub query_string: QueryString,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryString {
    pub query: String,
    pub default_field: &'static str,
}

/// The scored, ranked search of `request`, `size` hits deep, and what to highlight.
pub fn elastic_body(
    request: &SearchRequest,
    extractor: &EntityExtractor,
    size: usize,
) -> Result<(ElasticBody, HighlightTerms), TranslateError> {
    elastic_body_with(request, extractor, &[], size)
}

/// `elastic_body` on an index with declared fields.
pub fn elastic_body_with(
    request: &SearchRequest,
    extractor: &EntityExtractor,
    extras: &[ExtraField],
    size: usize,
) -> Result<(ElasticBody, HighlightTerms), TranslateError> {
    let composed = compose(request, extractor, extras)?;
    let bound = |seconds: Option<i64>| {
        seconds
            .and_then(|seconds| chrono::DateTime::from_timestamp(seconds, 0))
            .map(format_date)
    };
    // Quickwit reads `end_timestamp` as excluded; so is the end of this range.
    let window = match (
        bound(composed.start_timestamp),
        bound(composed.end_timestamp),
    ) {
        (None, None) => None,
        (start, Some(end)) => Some(format!(
            "{}:[{} TO {end}}}",
            field::DATE,
            start.as_deref().unwrap_or("*")
        )),
        (Some(start), None) => Some(format!("{}:[{start} TO *]", field::DATE)),
    };
    let query = match window {
        None => composed.query,
        Some(window) if composed.required => format!("{} +{window}", composed.query),
        Some(window) => format!("+{} +{window}", composed.query),
    };
    let body = ElasticBody {
        query: ElasticQuery {
            query_string: QueryString {
                query,
                default_field: field::TEXT_STEMS,
            },
        },
        size: size.min(MAX_HITS),
        sort: vec![json!({"_score": {"order": "desc"}})],
    };
    Ok((body, composed.highlight))
}

/// The delete task that removes every passage of the given articles.
pub fn delete_articles(article_ids: &[String]) -> DeleteQuery {
    let clauses: Vec<String> = article_ids
        .iter()
        .map(|id| format!("{}:{}", field::ARTICLE_ID, quoted(id)))
        .collect();
    DeleteQuery {
        query: clauses.join(" OR "),
    }
}

#[cfg(test)]
mod tests;
