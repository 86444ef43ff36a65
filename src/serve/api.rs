//! Serve stage, JSON API: query strings -> validated requests -> `search`/`browse` calls on the
//! blocking pool -> JSON responses, and every refusal as `{"error": "..."}` with a 4xx status.
//! It does not rank, count or read the index itself, and it never formats article text as HTML.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use clap::ValueEnum;
use serde::Serialize;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query};

use super::AppState;
use super::cache::{self, FacetKey};
use crate::browse::{self, ArticleView, EntityCounts, IndexStats};
use crate::error::IndexError;
use crate::extract::date::{DayEnd, parse_date_arg};
use crate::facets::Facets;
use crate::model::{EntityCandidate, EntityKind, Hit};
use crate::search::cancel::CancellableQuery;
use crate::search::suggest::Suggestion;
use crate::search::{Cancel, Duplicates, Filters, Group, SearchRequest, Searcher, SortOrder};

/// Most passages one search returns.
pub const MAX_LIMIT: usize = 100;
/// Deepest page: offsets past this cost more than a browser user needs.
pub const MAX_OFFSET: usize = 10_000;
/// Largest `proximity` weight a request may ask for (`search::proximity`; 0 turns it off).
pub const MAX_PROXIMITY: f32 = 10.0;
/// Longest query text, in bytes.
pub const MAX_QUERY_BYTES: usize = 1_024;
/// Longest value of any other parameter, in bytes.
pub const MAX_VALUE_BYTES: usize = 256;
/// Most values of one repeatable filter (section, category, source, author, language, entity).
pub const MAX_FILTER_VALUES: usize = 8;
/// Most entities `/api/entities` lists.
pub const MAX_TOP: usize = 500;
/// Passages of one article shown by default (the rest are counted in `more_in_article`).
pub const DEFAULT_PER_ARTICLE: usize = 2;

/// A refusal or failure, sent as `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The entities an entity name could mean (ambiguous) or the closest ones (unknown).
    pub candidates: Option<Vec<EntityCandidate>>,
    /// Where in `q` a query that does not parse went wrong (1-based, in characters).
    pub column: Option<usize>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            candidates: None,
            column: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<&'a [EntityCandidate]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: &self.message,
                candidates: self.candidates.as_deref(),
                column: self.column,
            }),
        )
            .into_response()
    }
}

impl From<IndexError> for ApiError {
    fn from(error: IndexError) -> ApiError {
        let status = match error {
            IndexError::Parse(_)
            | IndexError::Query(_)
            | IndexError::Filter(_)
            | IndexError::EntityName { .. } => StatusCode::BAD_REQUEST,
            IndexError::Cancelled => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let candidates = match &error {
            IndexError::EntityName { problem, .. } => Some(problem.candidates().to_vec()),
            _ => None,
        };
        let column = match &error {
            IndexError::Parse(parse) => Some(parse.column),
            _ => None,
        };
        ApiError {
            candidates,
            column,
            ..ApiError::new(status, error.to_string())
        }
    }
}

/// The decoded query string, checked against the parameters an endpoint knows.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `raw`, refusing unknown names, over-long values and too many repeats.
    pub fn parse(raw: Option<&str>, known: &[&str]) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !known.contains(&name.as_ref()) {
                let takes = if known.is_empty() {
                    "this endpoint takes no parameters".to_string()
                } else {
                    format!("this endpoint takes {}", known.join(", "))
                };
                return Err(ApiError::bad_request(format!(
                    "unknown parameter `{}`; {takes}",
                    truncate(&name, 40)
                )));
            }
            let max = if name == "q" {
                MAX_QUERY_BYTES
            } else {
                MAX_VALUE_BYTES
            };
            if value.len() > max {
                return Err(ApiError::bad_request(format!(
                    "`{name}` is {} bytes long; the most accepted is {max}",
                    value.len()
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// Every value of a repeatable parameter, empty ones dropped.
    pub fn all(&self, name: &str) -> Result<Vec<String>, ApiError> {
        let values: Vec<String> = self
            .pairs
            .iter()
            .filter(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.clone())
            .collect();
        if values.len() > MAX_FILTER_VALUES {
            return Err(ApiError::bad_request(format!(
                "`{name}` is given {} times; the most accepted is {MAX_FILTER_VALUES}",
                values.len()
            )));
        }
        Ok(values)
    }

    /// The value of a parameter given at most once; an empty value counts as absent.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_request(format!(
                "`{name}` is given more than once"
            )));
        }
        Ok(first.map(str::trim).filter(|value| !value.is_empty()))
    }

    /// A whole number in `min..=max`, or `default` when absent.
    pub fn number(
        &self,
        name: &str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize, ApiError> {
        let Some(text) = self.one(name)? else {
            return Ok(default);
        };
        let value: usize = text.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "`{name}` must be a whole number, not `{}`",
                truncate(text, 40)
            ))
        })?;
        if !(min..=max).contains(&value) {
            return Err(ApiError::bad_request(format!(
                "`{name}` must be between {min} and {max}, not {value}"
            )));
        }
        Ok(value)
    }

    /// A number in `0..=max` (a weight), or `default` when absent.
    pub fn weight(&self, name: &str, default: f32, max: f32) -> Result<f32, ApiError> {
        let Some(text) = self.one(name)? else {
            return Ok(default);
        };
        match text.parse::<f32>() {
            Ok(value) if (0.0..=max).contains(&value) => Ok(value),
            _ => Err(ApiError::bad_request(format!(
                "`{name}` must be a number between 0 and {max}, not `{}`",
                truncate(text, 40)
            ))),
        }
    }

    /// `true`/`false`/`1`/`0`, or `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.one(name)? {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(ApiError::bad_request(format!(
                "`{name}` must be true or false, not `{}`",
                truncate(other, 40)
            ))),
        }
    }

    /// A value of a closed set (clap `ValueEnum`), or `None` when absent.
    pub fn choice<T: ValueEnum>(&self, name: &str) -> Result<Option<T>, ApiError> {
        let Some(text) = self.one(name)? else {
            return Ok(None);
        };
        T::from_str(text, true).map(Some).map_err(|_| {
            let names: Vec<String> = T::value_variants()
                .iter()
                .filter_map(|variant| variant.to_possible_value())
                .map(|value| value.get_name().to_string())
                .collect();
            ApiError::bad_request(format!(
                "`{name}` must be one of {}, not `{}`",
                names.join(", "),
                truncate(text, 40)
            ))
        })
    }

    /// The date, section, entity and keyword (category, source, author, language) filters
    /// shared by search and entities.
    pub fn filters(&self) -> Result<Filters, ApiError> {
        let now = Utc::now();
        let date = |name: &str, day_end: DayEnd| -> Result<_, ApiError> {
            self.one(name)?
                .map(|text| {
                    parse_date_arg(text, day_end, now).map_err(|error| {
                        ApiError::bad_request(format!("invalid `{name}`: {error}"))
                    })
                })
                .transpose()
        };
        Ok(Filters {
            since: date("since", DayEnd::Start)?,
            until: date("until", DayEnd::End)?,
            sections: self.all("section")?,
            entities: self.all("entity")?,
            categories: self.all("category")?,
            sources: self.all("source")?,
            authors: self.all("author")?,
            languages: self.all("language")?,
        })
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars).collect();
    cut.push('…');
    cut
}

/// Runs `work` on the search threads, at most `concurrent_searches` admitted at once (the
/// others wait here, off the threads). A panic in `work` is a 500, not a lost thread.
async fn on_blocking_pool<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&Searcher) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit =
        state.permits.clone().acquire_owned().await.map_err(|_| {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping")
        })?;
    let searcher = state.searcher.clone();
    let (done, result) = tokio::sync::oneshot::channel();
    state.pool.spawn(move || {
        // Held until the work ends, even when the client has gone away meanwhile.
        let _permit = permit;
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || work(&searcher)));
        let _ = done.send(outcome);
    });
    match result.await {
        Ok(Ok(outcome)) => outcome,
        _ => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the search failed",
        )),
    }
}

pub const SEARCH_PARAMS: &[&str] = &[
    "q",
    "limit",
    "offset",
    "since",
    "until",
    "section",
    "category",
    "source",
    "author",
    "language",
    "entity",
    "per_article",
    "group",
    "sort",
    "sort_by",
    "all",
    "duplicates",
    "proximity",
];

/// What `/api/search` answers.
#[derive(Debug, Serialize)]
pub struct SearchResponse {
    /// Every matching passage (counted with the facets).
    pub total: Option<u64>,
    /// More passages match than the ones on this page.
    pub more: bool,
    pub hits: Vec<Hit>,
    pub facets: Option<Facets>,
    /// The query with suggestions in place of words few or no passages hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_you_mean: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// How the query was run, where the user should know (a prefix word's expansions cut).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
    pub took_ms: f64,
}

/// Turns the query string into a search request.
pub fn search_request(params: &Params) -> Result<SearchRequest, ApiError> {
    let Some(query) = params.one("q")? else {
        return Err(ApiError::bad_request("`q` (the query) is required"));
    };
    let mut request = SearchRequest::new(query);
    request.limit = params.number("limit", 10, 1, MAX_LIMIT)?;
    request.offset = params.number("offset", 0, 0, MAX_OFFSET)?;
    request.per_article = params.number("per_article", DEFAULT_PER_ARTICLE, 0, MAX_LIMIT)?;
    request.group = params.choice::<Group>("group")?.unwrap_or_default();
    request.sort = params.choice::<SortOrder>("sort")?.unwrap_or_default();
    if let Some(field) = params.one("sort_by")? {
        request.sort_field = Some(
            field
                .parse()
                .map_err(|reason: String| ApiError::bad_request(format!("`sort_by`: {reason}")))?,
        );
    }
    request.duplicates = params
        .choice::<Duplicates>("duplicates")?
        .unwrap_or_default();
    request.require_all = params.flag("all", false)?;
    request.proximity = params.weight("proximity", request.proximity, MAX_PROXIMITY)?;
    request.filters = params.filters()?;
    // The page shows the total and the facets with every answer.
    request.facets = true;
    Ok(request)
}

/// Response header saying whether the facets and total came from the request cache
/// (`hit`), were counted and stored (`miss`), or the cache is off (`off`).
pub const CACHE_HEADER: &str = "x-newsdex-cache";

pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(raw.as_deref(), SEARCH_PARAMS)?;
    let mut request = search_request(&params)?;
    let started = Instant::now();
    // The search stops at the request's deadline, or as soon as this handler is dropped (the
    // timeout answered first, or the client went away): a dropped request frees its thread.
    request.cancel = Cancel::new(Some(started + state.search_deadline));
    let _stop_when_dropped = request.cancel.guard();
    let cache = state.cache.clone();
    let (results, cached) = on_blocking_pool(&state, move |searcher| {
        if !cache.is_enabled() {
            return Ok((searcher.search(&request)?, "off"));
        }
        let generation = cache::index_generation(&searcher.tantivy_searcher());
        let key = FacetKey::new(&request, generation);
        if let Some(facets) = cache.get(&key) {
            // Only the page is searched for: the top-k search skips what cannot enter it.
            request.facets = false;
            let mut results = searcher.search(&request)?;
            results.total = Some(facets.total);
            results.facets = Some(Facets::clone(&facets));
            return Ok((results, "hit"));
        }
        let results = searcher.search(&request)?;
        if let Some(facets) = &results.facets {
            cache.insert(key, Arc::new(facets.clone()));
        }
        Ok((results, "miss"))
    })
    .await?;
    let body = Json(SearchResponse {
        total: results.total,
        more: results.more,
        hits: results.hits,
        facets: results.facets,
        did_you_mean: results.did_you_mean,
        suggestions: results.suggestions,
        notices: results.notices,
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
    });
    Ok(([(CACHE_HEADER, cached)], body).into_response())
}

pub const ENTITY_PARAMS: &[&str] = &[
    "q", "kind", "top", "since", "until", "section", "category", "source", "author", "language",
    "entity",
];

pub async fn entities(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EntityCounts>, ApiError> {
    let params = Params::parse(raw.as_deref(), ENTITY_PARAMS)?;
    let query_text = params.one("q")?.map(str::to_string);
    let kind = params.choice::<EntityKind>("kind")?;
    let top = params.number("top", 50, 1, MAX_TOP)?;
    let filters = params.filters()?;
    // Counting stops at the request's deadline or when the request is dropped, as a search does.
    let cancel = Cancel::new(Some(Instant::now() + state.search_deadline));
    let _stop_when_dropped = cancel.guard();
    let counts = on_blocking_pool(&state, move |searcher| {
        cancel.check()?;
        let compiled = query_text
            .as_deref()
            .map(|text| searcher.parse_query(text))
            .transpose()?;
        let filter = searcher.filter_query(&filters)?;
        let query: Option<Box<dyn Query>> = match (compiled, filter) {
            (None, None) => None,
            (Some(query), None) => Some(query),
            (None, Some(filter)) => Some(filter),
            (Some(query), Some(filter)) => Some(Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))),
            ]))),
        };
        let query = query.map(|query| {
            Box::new(CancellableQuery::new(query, cancel.clone(), false)) as Box<dyn Query>
        });
        let counts = browse::entity_counts(searcher, query.as_deref(), kind, top);
        // Counts of a stopped pass are not an answer.
        cancel.check()?;
        Ok(counts?)
    })
    .await?;
    Ok(Json(counts))
}

pub async fn stats(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<IndexStats>, ApiError> {
    Params::parse(raw.as_deref(), &[])?;
    let stats = on_blocking_pool(&state, |searcher| Ok(browse::index_stats(searcher)?)).await?;
    Ok(Json(stats))
}

pub async fn article(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ArticleView>, ApiError> {
    if id.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_request(format!(
            "the article id is {} bytes long; the most accepted is {MAX_QUERY_BYTES}",
            id.len()
        )));
    }
    let lookup = id.clone();
    let article = on_blocking_pool(&state, move |searcher| {
        Ok(browse::fetch_article(searcher, &lookup)?)
    })
    .await?;
    match article {
        Some(article) => Ok(Json(article)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no article `{}` in the index", truncate(&id, 80)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_without_parameters_says_so() {
        let error = Params::parse(Some("x=1"), &[]).unwrap_err();
        assert_eq!(
            error.message,
            "unknown parameter `x`; this endpoint takes no parameters"
        );
    }

    #[test]
    fn a_stopped_search_is_a_503_that_says_why() {
        let error = ApiError::from(IndexError::Cancelled);
        assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(error.message.contains("stopped"), "{}", error.message);
    }

    #[test]
    fn an_ambiguous_entity_is_a_bad_request_that_lists_the_candidates() {
        let candidate = EntityCandidate {
            name: "Wagner Group".into(),
            kind: EntityKind::Organisation,
            passages: 2,
        };
        let error = ApiError::from(IndexError::EntityName {
            name: "Wagner".into(),
            problem: crate::error::EntityNameProblem::Ambiguous(vec![candidate.clone()]),
        });
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.candidates, Some(vec![candidate]));
        assert!(error.message.contains("Wagner Group"), "{}", error.message);
        // Other refusals carry no candidates.
        let error = ApiError::from(IndexError::Filter("bad".into()));
        assert_eq!(error.candidates, None);
    }

    fn params(raw: &str) -> Result<Params, ApiError> {
        Params::parse(Some(raw), SEARCH_PARAMS)
    }

    fn message(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        let error = result.unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        error.message
    }

    #[test]
    fn a_full_query_string_becomes_a_request() {
        let request = search_request(
            &params("q=ammunition+Serbia&limit=5&offset=10&since=2023-01-01&until=2024-12-31&section=exports&entity=Vucic&entity=EU&category=defence&source=Reuters&source=AP&author=Jane+Doe&language=en&per_article=0&group=article&sort=date&all=true&duplicates=show").unwrap(),
        )
        .unwrap();
        assert_eq!(request.query, "ammunition Serbia");
        assert_eq!(request.duplicates, Duplicates::Show);
        let plain = search_request(&params("q=gas").unwrap()).unwrap();
        assert_eq!(plain.duplicates, Duplicates::Collapse);
        assert_eq!(
            (request.group, plain.group),
            (Group::Article, Group::Passage)
        );
        assert!(search_request(&params("q=gas&group=story").unwrap()).is_err());
        assert_eq!(plain.proximity, crate::search::proximity::PROXIMITY_WEIGHT);
        let off = search_request(&params("q=gas&proximity=0").unwrap()).unwrap();
        assert_eq!(off.proximity, 0.0);
        let by_words = search_request(&params("q=gas&sort_by=words:asc").unwrap()).unwrap();
        let field = by_words.sort_field.unwrap();
        assert_eq!((field.name.as_str(), field.ascending), ("words", true));
        assert!(search_request(&params("q=gas&sort_by=words:up").unwrap()).is_err());
        assert_eq!(plain.sort_field, None);
        assert_eq!(
            (request.limit, request.offset, request.per_article),
            (5, 10, 0)
        );
        assert_eq!(request.sort, SortOrder::Date);
        assert!(request.require_all && request.facets);
        assert_eq!(request.filters.entities, ["Vucic", "EU"]);
        assert_eq!(request.filters.categories, ["defence"]);
        assert_eq!(request.filters.sources, ["Reuters", "AP"]);
        assert_eq!(request.filters.authors, ["Jane Doe"]);
        assert_eq!(request.filters.languages, ["en"]);
        assert_eq!(
            request.filters.until.unwrap().to_rfc3339(),
            "2024-12-31T23:59:59+00:00"
        );
    }

    #[test]
    fn bad_parameters_are_refused_with_a_reason() {
        assert!(message(search_request(&params("limit=5").unwrap())).contains("`q`"));
        assert!(
            message(search_request(&params("q=a&limit=1000").unwrap()))
                .contains("between 1 and 100")
        );
        assert!(message(search_request(&params("q=a&limit=-1").unwrap())).contains("whole number"));
        assert!(
            message(search_request(&params("q=a&limit=1&limit=2").unwrap()))
                .contains("more than once")
        );
        assert!(message(search_request(&params("q=a&since=soon").unwrap())).contains("not a date"));
        assert!(
            message(search_request(&params("q=a&sort=random").unwrap()))
                .contains("relevance, date")
        );
        assert!(
            message(search_request(&params("q=a&all=maybe").unwrap())).contains("true or false")
        );
        for bad in ["-1", "11", "NaN", "close"] {
            let query = format!("q=a&proximity={bad}");
            assert!(message(search_request(&params(&query).unwrap())).contains("between 0 and 10"));
        }
        assert!(message(params("q=a&colour=red")).contains("unknown parameter `colour`"));
        let long = format!("q={}", "a".repeat(MAX_QUERY_BYTES + 1));
        assert!(message(params(&long)).contains("bytes long"));
        let many = "q=a".to_string() + &"&entity=x".repeat(MAX_FILTER_VALUES + 1);
        assert!(message(search_request(&params(&many).unwrap())).contains("times"));
    }

    #[test]
    fn empty_values_count_as_absent() {
        let request = search_request(&params("q=gas&since=&section=&limit=").unwrap()).unwrap();
        assert_eq!(request.filters.since, None);
        assert!(request.filters.sections.is_empty());
        assert_eq!(request.limit, 10);
    }
}
