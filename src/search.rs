//! Search stage: query text + filters -> ranked `Hit`s. Parses the query language, applies
//! filters, runs BM25 over text, title and section, fetches the stored fields and makes the
//! snippets. Returns data, never formatted output.

use std::collections::HashSet;
use std::ops::Bound;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, QueryParserError, RangeQuery,
    TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::error::IndexError;
use crate::expand::entity_expansion;
use crate::extract::entities::EntityExtractor;
use crate::index::IndexHandle;
use crate::model::{Entity, EntityKind, Hit};
use crate::schema::{QUERY_FIELDS, english_analyzer, keyword_analyzer};
use crate::snippet::{self, make_snippet};

/// A title match weighs this much more than a body match.
pub const TITLE_BOOST: f32 = 2.0;
/// A section-heading match weighs this much more than a body match.
pub const SECTION_BOOST: f32 = 1.5;

/// Restrictions that cut the result set without changing the ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Every word of each must appear in the section heading.
    pub sections: Vec<String>,
    /// Each must be mentioned (any alias or spelling).
    pub entities: Vec<String>,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    pub filters: Filters,
    pub fragments: usize,
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: 10,
            offset: 0,
            filters: Filters::default(),
            fragments: snippet::DEFAULT_FRAGMENTS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Number of passages that match, over the whole index.
    pub total: usize,
    /// Time to find the top passages.
    pub search_time: Duration,
    /// Time to fetch their stored fields and build snippets.
    pub fetch_time: Duration,
}

/// An open index ready to answer queries; cheap to share between threads.
pub struct Searcher {
    handle: IndexHandle,
    reader: IndexReader,
    extractor: EntityExtractor,
    parser: QueryParser,
}

impl Searcher {
    pub fn new(handle: IndexHandle, extractor: EntityExtractor) -> Result<Searcher, IndexError> {
        let reader = handle
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|source| IndexError::Tantivy {
                path: handle.path.clone(),
                source,
            })?;
        let fields = handle.fields;
        let mut parser = QueryParser::for_index(
            &handle.index,
            vec![fields.title, fields.section, fields.text],
        );
        parser.set_field_boost(fields.title, TITLE_BOOST);
        parser.set_field_boost(fields.section, SECTION_BOOST);
        Ok(Searcher {
            handle,
            reader,
            extractor,
            parser,
        })
    }

    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// A tantivy searcher on the loaded state of the index, for counts and aggregations.
    pub fn tantivy_searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Picks up the last committed state of the index.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload().map_err(|source| IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        })
    }

    /// Parses the user's query; errors are one line that names the problem.
    pub fn parse_query(&self, query: &str) -> Result<Box<dyn Query>, IndexError> {
        check_balanced(query).map_err(IndexError::Query)?;
        self.parser
            .parse_query(query)
            .map_err(|error| IndexError::Query(describe_parse_error(query, error)))
    }

    /// The query for the filters alone, or `None` when there are none.
    pub fn filter_query(&self, filters: &Filters) -> Result<Option<Box<dyn Query>>, IndexError> {
        let fields = self.handle.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if filters.since.is_some() || filters.until.is_some() {
            if let (Some(since), Some(until)) = (filters.since, filters.until)
                && since > until
            {
                return Err(IndexError::Filter(format!(
                    "--since {} is after --until {}",
                    since.date_naive(),
                    until.date_naive()
                )));
            }
            let bound = |date: Option<DateTime<Utc>>, inclusive: bool| match date {
                None => Bound::Unbounded,
                Some(date) => {
                    let term = Term::from_field_date(
                        fields.date,
                        tantivy::DateTime::from_timestamp_secs(date.timestamp()),
                    );
                    if inclusive {
                        Bound::Included(term)
                    } else {
                        Bound::Excluded(term)
                    }
                }
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filters.since, true),
                    bound(filters.until, true),
                )),
            ));
        }
        for section in &filters.sections {
            let tokens = analyse(&mut english_analyzer(), section);
            if tokens.is_empty() {
                return Err(IndexError::Filter(format!(
                    "--section `{section}` has no searchable words"
                )));
            }
            for token in tokens {
                clauses.push((Occur::Must, term_query(fields.section, &token)));
            }
        }
        for name in &filters.entities {
            let entity = self.extractor.resolve(name);
            for key in analyse(&mut keyword_analyzer(), &entity.name) {
                clauses.push((Occur::Must, term_query(fields.entity, &key)));
            }
        }
        if !filters.categories.is_empty() {
            let any_category: Vec<(Occur, Box<dyn Query>)> = filters
                .categories
                .iter()
                .flat_map(|category| analyse(&mut keyword_analyzer(), category))
                .map(|key| (Occur::Should, term_query(fields.category, &key)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any_category))));
        }
        Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
    }

    /// Runs a search: parse, filter, rank, fetch and snippet.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let tantivy_error = |source| IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        };
        let started = Instant::now();
        let user_query = self.parse_query(&request.query)?;
        let filter = self.filter_query(&request.filters)?;
        // Passages naming a query's entity in another form match too, ranked below the others.
        let ranked_query: Box<dyn Query> =
            match entity_expansion(&self.extractor, &self.handle.fields, &request.query) {
                Some(expansion) => Box::new(BooleanQuery::new(vec![
                    (Occur::Should, user_query.box_clone()),
                    (Occur::Should, expansion),
                ])),
                None => user_query.box_clone(),
            };
        let query: Box<dyn Query> = match filter {
            None => ranked_query,
            Some(filter) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, ranked_query),
                (Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))),
            ])),
        };
        let searcher = self.reader.searcher();
        let top_collector = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top_docs, total) = searcher
            .search(&query, &(top_collector, Count))
            .map_err(tantivy_error)?;
        let search_time = started.elapsed();

        let fetch_started = Instant::now();
        let terms = highlight_terms(&*user_query, &self.handle);
        let mut analyzer = english_analyzer();
        let mut hits = Vec::with_capacity(top_docs.len());
        for (score, address) in top_docs.into_iter().take(request.limit) {
            let document: TantivyDocument = searcher.doc(address).map_err(tantivy_error)?;
            hits.push(self.hit(score, address, &document, &terms, &mut analyzer, request));
        }
        // Ties are broken by article id and passage position, so output is deterministic.
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.article_id.cmp(&b.article_id))
                .then_with(|| a.ordinal.cmp(&b.ordinal))
        });
        for (idx, hit) in hits.iter_mut().enumerate() {
            hit.rank = request.offset + idx + 1;
        }
        Ok(SearchResults {
            hits,
            total,
            search_time,
            fetch_time: fetch_started.elapsed(),
        })
    }

    fn hit(
        &self,
        score: f32,
        _address: DocAddress,
        document: &TantivyDocument,
        terms: &HashSet<String>,
        analyzer: &mut tantivy::tokenizer::TextAnalyzer,
        request: &SearchRequest,
    ) -> Hit {
        let fields = self.handle.fields;
        let text_of = |field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .map(str::to_string)
        };
        let passage = text_of(fields.text).unwrap_or_default();
        let snippet = make_snippet(analyzer, &passage, terms, request.fragments);
        let date = document
            .get_first(fields.date)
            .and_then(|value| value.as_datetime())
            .and_then(|date| DateTime::from_timestamp(date.into_timestamp_secs(), 0));
        let entities = document
            .get_all(fields.entity_label)
            .filter_map(|value| value.as_str())
            .filter_map(parse_entity_label)
            .collect();
        Hit {
            rank: 0,
            score,
            article_id: text_of(fields.article_id).unwrap_or_default(),
            path: text_of(fields.path).unwrap_or_default(),
            title: text_of(fields.title).unwrap_or_default(),
            date,
            category: text_of(fields.category),
            section: text_of(fields.section),
            ordinal: document
                .get_first(fields.ordinal)
                .and_then(|value| value.as_u64())
                .unwrap_or(0) as u32,
            passage,
            snippet: snippet.text,
            highlights: snippet.highlights,
            entities,
        }
    }
}

/// Parses a stored `kind:Name` entity label.
pub fn parse_entity_label(label: &str) -> Option<Entity> {
    let (kind, name) = label.split_once(':')?;
    Some(Entity {
        name: name.to_string(),
        kind: EntityKind::parse(kind)?,
    })
}

fn term_query(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// The tokens an analyser makes of a text.
pub fn analyse(analyzer: &mut tantivy::tokenizer::TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

/// The analysed words of a query that should be highlighted in passage text.
fn highlight_terms(query: &dyn Query, handle: &IndexHandle) -> HashSet<String> {
    let fields = handle.fields;
    let mut terms = HashSet::new();
    query.query_terms(&mut |term, _needs_positions| {
        let field = term.field();
        if (field == fields.text || field == fields.title || field == fields.section)
            && let Some(text) = term.value().as_str()
        {
            terms.insert(text.to_string());
        }
    });
    terms
}

/// Finds an unbalanced quote or parenthesis and says where it is.
pub fn check_balanced(query: &str) -> Result<(), String> {
    let mut open_parens: Vec<usize> = Vec::new();
    let mut open_quote: Option<usize> = None;
    for (column, character) in query.chars().enumerate() {
        match character {
            '"' => {
                open_quote = match open_quote {
                    Some(_) => None,
                    None => Some(column),
                }
            }
            '(' if open_quote.is_none() => open_parens.push(column),
            ')' if open_quote.is_none() && open_parens.pop().is_none() => {
                return Err(pointed(query, column, "`)` without a matching `(`"));
            }
            _ => {}
        }
    }
    if let Some(column) = open_quote {
        return Err(pointed(query, column, "`\"` is never closed"));
    }
    if let Some(column) = open_parens.pop() {
        return Err(pointed(query, column, "`(` is never closed"));
    }
    Ok(())
}

/// A one-line message that quotes the query around `column` (a character index).
fn pointed(query: &str, column: usize, problem: &str) -> String {
    let start = column.saturating_sub(20);
    let excerpt: String = query.chars().skip(start).take(40).collect();
    format!(
        "{problem} at column {} (near `{}`)",
        column + 1,
        excerpt.trim()
    )
}

fn describe_parse_error(query: &str, error: QueryParserError) -> String {
    match error {
        QueryParserError::FieldDoesNotExist(field) => format!(
            "unknown field `{field}`; the fields are {}",
            QUERY_FIELDS.join(", ")
        ),
        QueryParserError::AllButQueryForbidden => {
            "the query only excludes words; add a word to search for".to_string()
        }
        QueryParserError::DateFormatError(_) => {
            "a date in the query is not YYYY-MM-DD or RFC 3339".to_string()
        }
        QueryParserError::SyntaxError(detail) => {
            format!("cannot parse `{}`: {detail}", truncate(query, 60))
        }
        other => format!("cannot parse `{}`: {other}", truncate(query, 60)),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    text.chars().take(max_chars).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{create_in_ram, passage_document};
    use crate::model::{Article, Passage};
    use chrono::TimeZone;

    fn article(id: &str, date: (i32, u32, u32), title: &str) -> Article {
        Article {
            id: id.into(),
            path: id.into(),
            title: title.into(),
            date: Some(
                Utc.with_ymd_and_hms(date.0, date.1, date.2, 0, 0, 0)
                    .unwrap(),
            ),
            category: Some("defence".into()),
            lead: String::new(),
            sections: vec![],
            given_entities: vec![],
            warnings: vec![],
        }
    }

    /// An article and its passages as (section, text).
    type FixtureArticle<'a> = (Article, Vec<(Option<&'a str>, &'a str)>);

    fn searcher_with(docs: &[FixtureArticle]) -> Searcher {
        let handle = create_in_ram();
        let extractor = EntityExtractor::builtin();
        let mut writer = handle.index.writer(50_000_000).unwrap();
        for (article, passages) in docs {
            for (ordinal, (section, text)) in passages.iter().enumerate() {
                let passage = Passage {
                    article_id: article.id.clone(),
                    ordinal: ordinal as u32,
                    section: section.map(str::to_string),
                    text: text.to_string(),
                    entities: extractor.extract(text),
                };
                writer
                    .add_document(passage_document(&handle.fields, article, &passage))
                    .unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = Searcher::new(handle, extractor).unwrap();
        searcher.reload().unwrap();
        searcher
    }

    fn fixture() -> Searcher {
        searcher_with(&[
            (
                article("a", (2023, 5, 1), "Shell plants"),
                vec![
                    (None, "Serbia expands ammunition output near Belgrade."),
                    (
                        Some("Exports"),
                        "Serbian shells reach Ukraine through third countries.",
                    ),
                ],
            ),
            (
                article("b", (2024, 3, 28), "Gas prices"),
                vec![
                    (None, "Gas prices fell in Germany this winter."),
                    (
                        Some("Politics"),
                        "Aleksandar Vucic spoke about ammunition and gas.",
                    ),
                ],
            ),
        ])
    }

    fn ids(searcher: &Searcher, request: &SearchRequest) -> Vec<(String, u32)> {
        searcher
            .search(request)
            .unwrap()
            .hits
            .into_iter()
            .map(|hit| (hit.article_id, hit.ordinal))
            .collect()
    }

    #[test]
    fn both_words_rank_first() {
        let searcher = fixture();
        let hits = searcher
            .search(&SearchRequest::new("ammunition Serbia"))
            .unwrap();
        assert_eq!(hits.hits[0].article_id, "a");
        assert_eq!(hits.hits[0].ordinal, 0);
        // The passage that names Serbia only as "Serbian" matches through the entity, last.
        assert_eq!(hits.total, 3);
        assert!(hits.hits[0].snippet.contains("Serbia"));
        assert_eq!(
            (hits.hits[2].article_id.as_str(), hits.hits[2].ordinal),
            ("a", 1)
        );
    }

    #[test]
    fn date_filters_cut_results() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.filters.since = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ids(&searcher, &request), [("b".to_string(), 1)]);
        request.filters.since = None;
        request.filters.until = Some(Utc.with_ymd_and_hms(2023, 12, 31, 0, 0, 0).unwrap());
        assert_eq!(ids(&searcher, &request), [("a".to_string(), 0)]);
    }

    #[test]
    fn section_and_entity_filters_cut_results() {
        let searcher = fixture();
        let mut request = SearchRequest::new("gas");
        request.filters.sections = vec!["politics".into()];
        assert_eq!(ids(&searcher, &request), [("b".to_string(), 1)]);
        let mut request = SearchRequest::new("shells OR ammunition");
        request.filters.entities = vec!["Serbian".into()];
        let mut found = ids(&searcher, &request);
        found.sort();
        assert_eq!(found, [("a".to_string(), 0), ("a".to_string(), 1)]);
    }

    #[test]
    fn must_and_must_not_and_phrases() {
        let searcher = fixture();
        assert_eq!(
            ids(&searcher, &SearchRequest::new("ammunition -gas")),
            [("a".to_string(), 0)]
        );
        assert_eq!(
            ids(&searcher, &SearchRequest::new("+gas +vucic")),
            [("b".to_string(), 1)]
        );
        assert_eq!(
            ids(&searcher, &SearchRequest::new("\"third countries\"")),
            [("a".to_string(), 1)]
        );
        assert!(ids(&searcher, &SearchRequest::new("\"countries third\"")).is_empty());
    }

    #[test]
    fn title_matches_weigh_more_than_body_matches() {
        let searcher = searcher_with(&[
            (
                article("body", (2024, 1, 1), "Other news"),
                vec![(None, "gas gas news here today")],
            ),
            (
                article("title", (2024, 1, 1), "Gas"),
                vec![(None, "gas news here today and more")],
            ),
        ]);
        let found = ids(&searcher, &SearchRequest::new("gas"));
        assert_eq!(found[0].0, "title");
    }

    #[test]
    fn malformed_queries_get_a_pointed_message() {
        let searcher = fixture();
        let message = |query: &str| {
            searcher
                .search(&SearchRequest::new(query))
                .unwrap_err()
                .to_string()
        };
        assert!(message("(ammunition").contains("`(` is never closed at column 1"));
        assert!(message("\"open phrase").contains("`\"` is never closed"));
        assert!(message("ammunition)").contains("`)` without a matching `(` at column 11"));
        assert!(message("colour:red").contains("unknown field `colour`"));
        assert!(message("-gas").contains("only excludes"));
    }

    #[test]
    fn an_inverted_date_range_is_refused() {
        let searcher = fixture();
        let mut request = SearchRequest::new("gas");
        request.filters.since = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        request.filters.until = Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap());
        assert!(
            searcher
                .search(&request)
                .unwrap_err()
                .to_string()
                .contains("after --until")
        );
    }
}
