//! Search stage: query text + filters -> ranked `Hit`s. Compiles the query language (`query`)
//! into tantivy queries (expanding fuzzy and prefix words into the index's own terms so that
//! they keep BM25 ranking), applies filters, ranks by BM25 over text, title and section (or by
//! date, or with a recency decay), groups passages per article, counts facets, fetches stored
//! fields and makes snippets. Returns data, never formatted output.

use std::collections::HashMap;
use std::ops::Bound;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::index::SegmentId;
use tantivy::query::EnableScoring;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocId, DocSet, IndexReader, ReloadPolicy, Score, SegmentReader, TERMINATED,
    TantivyDocument, Term,
};

use crate::error::IndexError;
use crate::expand::entity_expansion;
use crate::extract::date::{DayEnd, parse_date_arg};
use crate::extract::entities::EntityExtractor;
use crate::facets::{FacetCollector, Facets, parse_entity_label};
use crate::filtered::FilteredQuery;
use crate::index::IndexHandle;
use crate::model::Hit;
use crate::query::{self, FieldName, Node, RangeEnd};
use crate::schema::{Fields, english_analyzer, field_name, keyword_analyzer};
pub use crate::schema::{analyse, analyse_with_positions};
use crate::snippet::{self, HighlightTerms, make_snippet};
use crate::union::LazyUnionQuery;

/// Extra weight of a title match, by default: none. A plain word searches the passage as one
/// field (`all`: title, section heading and text), which is BM25F with every part weighing 1;
/// this is the ranking of the classic IR test collections' reference (title and text as one
/// field), and one term per word is what keeps block-max WAND fast.
pub const TITLE_BOOST: f32 = 0.0;
/// Extra weight of a section-heading match, by default: none.
pub const SECTION_BOOST: f32 = 0.0;

/// Extra weights of a match in the title or in the section heading: a word also scores
/// `weight ×` its BM25 score in that field alone, on top of its score in the whole passage.
/// The title is on every passage of its article, so a heavy title weight favours the passages
/// of well-titled articles over passages that say more in their own words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldBoosts {
    pub title: f32,
    pub section: f32,
}

impl Default for FieldBoosts {
    fn default() -> FieldBoosts {
        FieldBoosts {
            title: TITLE_BOOST,
            section: SECTION_BOOST,
        }
    }
}

impl FieldBoosts {
    /// The fields a plain word searches, with their weights: the whole passage, then the title
    /// and the heading where they weigh extra.
    pub fn targets(&self, fields: &Fields) -> Vec<(Field, f32)> {
        let mut targets = vec![(fields.all, 1.0)];
        for (field, weight) in [(fields.title, self.title), (fields.section, self.section)] {
            if weight > 0.0 {
                targets.push((field, weight));
            }
        }
        targets
    }
}

/// Most index terms one fuzzy or prefix word expands to (the most frequent are kept).
pub const MAX_EXPANSIONS: usize = 64;

/// Index term queries that all the prefix and fuzzy words of one query may expand to (each
/// expansion in each field it searches counts): the cost budget that keeps a query such as
/// `a* b* c* ...` from scoring tens of thousands of terms. A query over it is refused.
pub const MAX_EXPANDED_TERMS: usize = 1024;
/// With `--recency`, the share of the score that never decays.
pub const RECENCY_FLOOR: f32 = 0.3;
/// Entities and categories listed in facets.
pub const FACET_TOP: usize = 20;

/// Restrictions that cut the result set without changing the ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Every word of each must appear in the section heading.
    pub sections: Vec<String>,
    /// Each must be mentioned (any alias or spelling).
    pub entities: Vec<String>,
    /// Any of them.
    pub categories: Vec<String>,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Best match first (BM25).
    #[default]
    Relevance,
    /// Newest first; undated passages last.
    Date,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    pub filters: Filters,
    /// Snippet fragments per passage.
    pub fragments: usize,
    /// Words without an operator must all match (instead of any).
    pub require_all: bool,
    /// At most this many passages of one article; 0 for no limit.
    pub per_article: usize,
    pub sort: SortOrder,
    /// With a half-life, older passages lose score: one half-life before the newest article
    /// a passage keeps `RECENCY_FLOOR + (1 - RECENCY_FLOOR) / 2` of it.
    pub recency_half_life: Option<chrono::Duration>,
    /// Attach the score explanation to each hit.
    pub explain: bool,
    /// Count entities, categories and months over the whole result set (and so the total).
    pub facets: bool,
    /// Count every matching passage. Off by default: counting visits every match, while the
    /// top-k search alone skips blocks that cannot enter the top.
    pub count: bool,
    /// Without `facets`: count entities, categories and months over the best this many
    /// passages only (0: not at all). Cheap, unlike counting every match.
    pub facet_sample: usize,
    pub boosts: FieldBoosts,
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            limit: 10,
            offset: 0,
            filters: Filters::default(),
            fragments: snippet::DEFAULT_FRAGMENTS,
            require_all: false,
            per_article: 0,
            sort: SortOrder::Relevance,
            recency_half_life: None,
            explain: false,
            facets: false,
            count: false,
            facet_sample: 0,
            boosts: FieldBoosts::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    /// Number of matching passages, when counted (`count` or `facets`, or when every match
    /// fitted in what the search looked at).
    pub total: Option<u64>,
    /// More passages match than the ones shown.
    pub more: bool,
    pub facets: Option<Facets>,
    /// `Some(n)` when `facets` counts only the best `n` passages (`facet_sample`), not every
    /// match.
    pub facet_sample: Option<usize>,
    /// Time to find the top passages (and count or facet them).
    pub search_time: Duration,
    /// Time to fetch their stored fields and build snippets.
    pub fetch_time: Duration,
}

/// A compiled query with what to highlight.
pub struct CompiledQuery {
    pub query: Box<dyn Query>,
    pub highlight: HighlightTerms,
}

/// An open index ready to answer queries; cheap to share between threads.
pub struct Searcher {
    handle: IndexHandle,
    reader: IndexReader,
    /// With the acronym table of the loaded commit: `reload` replaces it with the new one's.
    extractor: std::sync::RwLock<EntityExtractor>,
    /// Built once; each query works on a cheap clone.
    english: TextAnalyzer,
    keyword: TextAnalyzer,
    /// Each segment's article id and ordinal columns, opened once: opening the id column
    /// reads its dictionary's index, which costs more than a whole top-10 search.
    key_columns: std::sync::Mutex<HashMap<SegmentId, KeyColumns>>,
}

/// A segment's article id and passage ordinal columns.
type KeyColumns = (
    Option<tantivy::columnar::StrColumn>,
    Option<tantivy::columnar::Column<u64>>,
);

/// State while compiling one query: the tantivy searcher (for term expansion), analysers and
/// the highlight terms gathered so far.
struct Compiler<'a> {
    searcher: &'a tantivy::Searcher,
    fields: Fields,
    extractor: &'a EntityExtractor,
    english: TextAnalyzer,
    keyword: TextAnalyzer,
    highlight: HighlightTerms,
    boosts: FieldBoosts,
    /// Index terms the query's prefix and fuzzy words expanded to so far (`MAX_EXPANDED_TERMS`).
    expanded_terms: usize,
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
        // Names resolve with the acronyms that the index's articles define, too.
        let acronyms = std::sync::Arc::new(crate::index::load_acronyms(&handle));
        let extractor = extractor.with_acronyms(acronyms);
        Ok(Searcher {
            handle,
            reader,
            extractor: std::sync::RwLock::new(extractor),
            english: english_analyzer(),
            keyword: keyword_analyzer(),
            key_columns: std::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The same searcher with another extractor (query expansion and `--entity` resolve
    /// names with it).
    pub fn with_extractor(self, extractor: EntityExtractor) -> Searcher {
        let extractor = extractor.with_acronyms(self.extractor().acronyms().clone());
        Searcher {
            extractor: std::sync::RwLock::new(extractor),
            ..self
        }
    }

    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// The extractor names resolve with, and the acronym table of the loaded commit (a cheap
    /// clone: its lists and table are shared).
    pub fn extractor(&self) -> EntityExtractor {
        self.extractor
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A tantivy searcher on the loaded state of the index, for counts and aggregations.
    pub fn tantivy_searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    fn tantivy_error(&self, source: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        }
    }

    /// Picks up the last committed state of the index, and its acronym table.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader
            .reload()
            .map_err(|source| self.tantivy_error(source))?;
        let acronyms = std::sync::Arc::new(crate::index::load_acronyms(&self.handle));
        let mut extractor = self
            .extractor
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *extractor = extractor.clone().with_acronyms(acronyms);
        Ok(())
    }

    /// Parses and compiles a query against the current state of the index.
    pub fn compile(
        &self,
        text: &str,
        require_all: bool,
        boosts: FieldBoosts,
    ) -> Result<CompiledQuery, IndexError> {
        let default_occur = if require_all {
            Occur::Must
        } else {
            Occur::Should
        };
        let node = query::parse(text, default_occur)
            .map_err(|error| IndexError::Query(error.to_string()))?;
        let searcher = self.reader.searcher();
        let extractor = self.extractor();
        let mut compiler = Compiler {
            searcher: &searcher,
            fields: self.handle.fields,
            extractor: &extractor,
            english: self.english.clone(),
            keyword: self.keyword.clone(),
            highlight: HighlightTerms::default(),
            boosts,
            expanded_terms: 0,
        };
        let Some(query) = compiler.node(&node, false)? else {
            return Err(IndexError::Query(
                "the query has no searchable words (stop words such as `the` and punctuation are not indexed)".to_string(),
            ));
        };
        Ok(CompiledQuery {
            query,
            highlight: compiler.highlight,
        })
    }

    /// Parses the user's query with words optional; errors are one line that names the problem.
    pub fn parse_query(&self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        Ok(self.compile(text, false, FieldBoosts::default())?.query)
    }

    /// The query for the filters alone, or `None` when there are none.
    pub fn filter_query(&self, filters: &Filters) -> Result<Option<Box<dyn Query>>, IndexError> {
        let fields = self.handle.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let (Some(since), Some(until)) = (filters.since, filters.until)
            && since > until
        {
            return Err(IndexError::Filter(format!(
                "the start date {} is after the end date {}",
                since.date_naive(),
                until.date_naive()
            )));
        }
        if filters.since.is_some() || filters.until.is_some() {
            let bound = |date: Option<DateTime<Utc>>| match date {
                None => Bound::Unbounded,
                Some(date) => Bound::Included(date_term(fields.date, date)),
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(filters.since), bound(filters.until))),
            ));
        }
        for section in &filters.sections {
            let tokens = analyse(&mut self.english.clone(), section);
            if tokens.is_empty() {
                return Err(IndexError::Filter(format!(
                    "--section `{section}` has no searchable words"
                )));
            }
            for token in tokens {
                clauses.push((Occur::Must, term_query(fields.section, &token)));
            }
        }
        let extractor = self.extractor();
        if !filters.entities.is_empty() {
            let searcher = self.reader.searcher();
            for name in &filters.entities {
                let keys = crate::entity_names::resolve(&searcher, &fields, &extractor, name)?;
                clauses.push((Occur::Must, entity_terms_query(fields.entity, &keys)));
            }
        }
        if !filters.categories.is_empty() {
            let any_category: Vec<(Occur, Box<dyn Query>)> = filters
                .categories
                .iter()
                .flat_map(|category| analyse(&mut self.keyword.clone(), category))
                .map(|key| (Occur::Should, term_query(fields.category, &key)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any_category))));
        }
        Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
    }

    /// The ranked query plus its entity expansion: passages naming a query's entity in another
    /// form match too, ranked below the others. One flat union with the query's own terms keeps
    /// top-k pruning.
    fn with_entity_expansion(
        &self,
        searcher: &tantivy::Searcher,
        query_text: &str,
        query: &dyn Query,
    ) -> Result<Box<dyn Query>, IndexError> {
        let expansion =
            entity_expansion(&self.extractor(), &self.handle.fields, query_text, searcher)
                .map_err(|source| self.tantivy_error(source))?;
        Ok(match expansion {
            Some(expansion) => Box::new(BooleanQuery::new(flatten_should(vec![
                (Occur::Should, query.box_clone()),
                (Occur::Should, expansion),
            ]))),
            None => query.box_clone(),
        })
    }

    /// Runs a search: compile, filter, rank, group, count, fetch and snippet.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let compiled = self.compile(&request.query, request.require_all, request.boosts)?;
        let filter = self.filter_query(&request.filters)?;
        let searcher = self.reader.searcher();
        let ranked_query =
            self.with_entity_expansion(&searcher, &request.query, &*compiled.query)?;
        let query: Box<dyn Query> = match filter {
            None => ranked_query,
            Some(filter) => Box::new(FilteredQuery::new(ranked_query, filter)),
        };
        let wanted = request.offset + request.limit;
        // The footer's sample and the page come from one ranking: a query that cannot be
        // pruned (an intersection, a filter) is not scored twice.
        let sample = (request.facet_sample > 0 && !request.facets).then(|| {
            let window = request.facet_sample.max(first_window(request, wanted));
            self.top_docs(&searcher, &*query, request, window)
                .map(|top| (top, window))
        });
        let sample = sample.transpose()?;
        let (ranked, exhausted) = self.ranked_passages(
            &searcher,
            &*query,
            request,
            wanted,
            sample
                .as_ref()
                .map(|(top, window)| (top.as_slice(), *window)),
        )?;
        let more = ranked.len() > wanted || !exhausted;
        let page: Vec<RankedPassage> = ranked
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .collect();

        let (facets, facet_sample) = if request.facets {
            let tally = searcher
                .search(&*query, &self.facet_collector(&searcher))
                .map_err(|source| self.tantivy_error(source))?;
            (Some(tally.into_facets(FACET_TOP, None)), None)
        } else if let Some((top, _)) = &sample {
            let (facets, all_matches) =
                self.sampled_facets(&searcher, top, request.facet_sample)?;
            (Some(facets), (!all_matches).then_some(request.facet_sample))
        } else {
            (None, None)
        };
        let total = match &facets {
            Some(facets) if facet_sample.is_none() => Some(facets.total),
            _ if request.count => Some(
                searcher
                    .search(&*query, &Count)
                    .map_err(|source| self.tantivy_error(source))? as u64,
            ),
            _ if exhausted && request.per_article == 0 => {
                Some((request.offset + page.len()) as u64)
            }
            _ => None,
        };
        let ranking_time = started.elapsed();

        let fetch_started = Instant::now();
        let mut analyzer = self.english.clone();
        let newest = match (request.explain, request.recency_half_life) {
            (true, Some(_)) => self.newest_date(&searcher),
            _ => None,
        };
        let mut hits = Vec::with_capacity(page.len());
        for (idx, RankedPassage { score, address }) in page.into_iter().enumerate() {
            let document: TantivyDocument = searcher
                .doc(address)
                .map_err(|source| self.tantivy_error(source))?;
            let mut hit = self.hit(
                score,
                &document,
                &compiled.highlight,
                &mut analyzer,
                request,
            );
            hit.rank = request.offset + idx + 1;
            if request.explain {
                hit.explanation = Some(self.explain(&searcher, &*query, address, request, newest)?);
            }
            hits.push(hit);
        }
        let fetch_time = fetch_started.elapsed();

        // Counted once the page's article ids are known from the stored fields.
        let counting_started = Instant::now();
        if request.per_article > 0 {
            let more_in_article = self.count_per_article(&searcher, &*query, &hits)?;
            for hit in &mut hits {
                hit.more_in_article = more_in_article.get(&hit.article_id).copied().unwrap_or(0);
            }
        }
        Ok(SearchResults {
            hits,
            total,
            more,
            facets,
            facet_sample,
            search_time: ranking_time + counting_started.elapsed(),
            fetch_time,
        })
    }

    fn facet_collector(&self, searcher: &tantivy::Searcher) -> FacetCollector {
        let schema = searcher.schema();
        let fields = self.handle.fields;
        FacetCollector {
            entity_label_field: field_name(schema, fields.entity).to_string(),
            category_field: field_name(schema, fields.category).to_string(),
            date_field: field_name(schema, fields.date).to_string(),
        }
    }

    /// Facets of the best `sample` passages, and whether those are all the matches.
    fn sampled_facets(
        &self,
        searcher: &tantivy::Searcher,
        top: &[Ranked],
        sample: usize,
    ) -> Result<(Facets, bool), IndexError> {
        let all_matches = top.len() < sample;
        let mut by_segment: Vec<Vec<DocId>> = vec![Vec::new(); searcher.segment_readers().len()];
        for &(_, _, address) in top.iter().take(sample) {
            by_segment[address.segment_ord as usize].push(address.doc_id);
        }
        let collector = self.facet_collector(searcher);
        let mut fruits = Vec::new();
        for (segment_ord, mut docs) in by_segment.into_iter().enumerate() {
            if docs.is_empty() {
                continue;
            }
            docs.sort_unstable();
            let segment = searcher.segment_reader(segment_ord as u32);
            let mut segment_collector = collector
                .for_segment(segment_ord as u32, segment)
                .map_err(|source| self.tantivy_error(source))?;
            for doc in docs {
                segment_collector.collect(doc, 0.0);
            }
            fruits.push(segment_collector.harvest());
        }
        let tally = collector
            .merge_fruits(fruits)
            .map_err(|source| self.tantivy_error(source))?;
        Ok((tally.into_facets(FACET_TOP, None), all_matches))
    }

    /// The top passages in result order, at most `per_article` of one article. Fetches more
    /// passages than needed when grouping drops some, growing the window until enough are kept
    /// or the matches run out. Returns whether they ran out. Articles are told apart only where
    /// needed (ties, grouping), and by the ordinal of their id in the segment's column when the
    /// index has one segment: reading the id itself decompresses a block of that column.
    fn ranked_passages(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
        wanted: usize,
        ranked_before: Option<(&[Ranked], usize)>,
    ) -> Result<(Vec<RankedPassage>, bool), IndexError> {
        let mut window = first_window(request, wanted);
        let mut keys = PassageKeys::new(searcher, &self.handle, &self.key_columns);
        loop {
            // The best `window` are the first of an earlier, longer ranking (its order is total:
            // score, then address).
            let mut ordered = match ranked_before {
                Some((top, top_window)) if window <= top_window => {
                    top[..window.min(top.len())].to_vec()
                }
                _ => self.top_docs(searcher, query, request, window)?,
            };
            let exhausted = ordered.len() < window;
            ordered.sort_by(|a, b| compare_order_keys(&b.0, &a.0));
            // Equal keys are ordered by article id and passage position, so that output does
            // not depend on which indexing thread wrote a passage.
            let mut start = 0;
            while start < ordered.len() {
                let end = start
                    + ordered[start..]
                        .iter()
                        .take_while(|other| compare_order_keys(&other.0, &ordered[start].0).is_eq())
                        .count();
                if end - start > 1 {
                    let mut tied = Vec::with_capacity(end - start);
                    for entry in &ordered[start..end] {
                        tied.push((keys.article(entry.2)?, keys.ordinal(entry.2), *entry));
                    }
                    tied.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
                    for (slot, (_, _, entry)) in ordered[start..end].iter_mut().zip(tied) {
                        *slot = entry;
                    }
                }
                start = end;
            }
            let mut per_article: HashMap<ArticleKey, usize> = HashMap::new();
            let mut kept = Vec::with_capacity(wanted + 1);
            for (_, score, address) in ordered {
                if request.per_article > 0 {
                    let shown = per_article.entry(keys.article(address)?).or_default();
                    if *shown >= request.per_article {
                        continue;
                    }
                    *shown += 1;
                }
                kept.push(RankedPassage { score, address });
                if kept.len() > wanted {
                    break;
                }
            }
            if kept.len() > wanted || exhausted {
                return Ok((kept, exhausted));
            }
            window = window.saturating_mul(4);
        }
    }

    /// The best `window` passages by the requested order: (order key, display score, address).
    fn top_docs(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
        window: usize,
    ) -> Result<Vec<(OrderKey, Score, DocAddress)>, IndexError> {
        let by_score = |top: Vec<(Score, DocAddress)>| -> Vec<(OrderKey, Score, DocAddress)> {
            top.into_iter()
                .map(|(score, address)| ((f64::from(score), 0.0), score, address))
                .collect()
        };
        let date_field = field_name(searcher.schema(), self.handle.fields.date).to_string();
        let result = match (request.sort, request.recency_half_life) {
            (SortOrder::Relevance, None) => searcher
                .search(query, &TopDocs::with_limit(window).order_by_score())
                .map(by_score),
            (SortOrder::Relevance, Some(half_life)) => {
                let newest = self.newest_date(searcher);
                let half_life_secs = half_life.num_seconds().max(1) as f64;
                let collector =
                    TopDocs::with_limit(window).tweak_score(move |segment: &SegmentReader| {
                        let dates = segment
                            .fast_fields()
                            .column_opt::<tantivy::DateTime>(&date_field)
                            .ok()
                            .flatten();
                        move |doc, score: Score| {
                            let date = dates.as_ref().and_then(|column| column.first(doc));
                            score * recency_factor(date, newest, half_life_secs)
                        }
                    });
                searcher.search(query, &collector).map(by_score)
            }
            (SortOrder::Date, _) => {
                let collector =
                    TopDocs::with_limit(window).tweak_score(move |segment: &SegmentReader| {
                        let dates = segment
                            .fast_fields()
                            .column_opt::<tantivy::DateTime>(&date_field)
                            .ok()
                            .flatten();
                        move |doc, score: Score| {
                            let seconds = dates
                                .as_ref()
                                .and_then(|column| column.first(doc))
                                .map_or(i64::MIN, |date| date.into_timestamp_secs());
                            (seconds, score)
                        }
                    });
                searcher.search(query, &collector).map(|top| {
                    top.into_iter()
                        .map(|((seconds, score), address)| {
                            ((seconds as f64, f64::from(score)), score, address)
                        })
                        .collect()
                })
            }
        };
        result.map_err(|source| self.tantivy_error(source))
    }

    /// For each article on the page, how many of its matching passages are not shown. One
    /// pass per segment: the passages of the page's articles (their id postings) are checked
    /// against one matcher of the query, in document order.
    fn count_per_article(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        page: &[Hit],
    ) -> Result<HashMap<String, usize>, IndexError> {
        let mut articles: Vec<&str> = Vec::new();
        let mut shown: Vec<usize> = Vec::new();
        for hit in page {
            let article_id = hit.article_id.as_str();
            match articles.iter().position(|known| *known == article_id) {
                Some(idx) => shown[idx] += 1,
                None => {
                    articles.push(article_id);
                    shown.push(1);
                }
            }
        }
        let mut matching = vec![0usize; articles.len()];
        if !articles.is_empty() {
            let weight = query
                .weight(EnableScoring::disabled_from_searcher(searcher))
                .map_err(|source| self.tantivy_error(source))?;
            let article_field = self.handle.fields.article_id;
            let io_error = |source| IndexError::Io {
                path: self.handle.path.clone(),
                source,
            };
            for segment in searcher.segment_readers() {
                let inverted_index = segment
                    .inverted_index(article_field)
                    .map_err(|source| self.tantivy_error(source))?;
                let mut passages: Vec<(DocId, usize)> = Vec::new();
                for (idx, article_id) in articles.iter().enumerate() {
                    let term = Term::from_field_text(article_field, article_id);
                    let Some(mut postings) = inverted_index
                        .read_postings(&term, IndexRecordOption::Basic)
                        .map_err(io_error)?
                    else {
                        continue;
                    };
                    while postings.doc() != TERMINATED {
                        if !segment.is_deleted(postings.doc()) {
                            passages.push((postings.doc(), idx));
                        }
                        postings.advance();
                    }
                }
                if passages.is_empty() {
                    continue;
                }
                passages.sort_unstable();
                let mut matcher = weight
                    .scorer(segment, 1.0)
                    .map_err(|source| self.tantivy_error(source))?;
                for (doc, idx) in passages {
                    let mut at = matcher.doc();
                    if at < doc {
                        at = matcher.seek(doc);
                    }
                    if at == TERMINATED {
                        break;
                    }
                    if at == doc {
                        matching[idx] += 1;
                    }
                }
            }
        }
        Ok(articles
            .into_iter()
            .zip(shown.into_iter().zip(matching))
            .map(|(article_id, (n_shown, n_matching))| {
                (article_id.to_string(), n_matching.saturating_sub(n_shown))
            })
            .collect())
    }

    /// The date of the newest article in the index: recency is measured from it, so that an
    /// archive of old news ranks the same today as on the day it was indexed.
    fn newest_date(&self, searcher: &tantivy::Searcher) -> Option<i64> {
        let date_field = field_name(searcher.schema(), self.handle.fields.date);
        searcher
            .segment_readers()
            .iter()
            .filter(|segment| segment.num_docs() > 0)
            .filter_map(|segment| {
                segment
                    .fast_fields()
                    .column_opt::<tantivy::DateTime>(date_field)
                    .ok()
                    .flatten()
            })
            .map(|column| column.max_value().into_timestamp_secs())
            .max()
    }

    fn explain(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        address: DocAddress,
        request: &SearchRequest,
        newest: Option<i64>,
    ) -> Result<serde_json::Value, IndexError> {
        let explanation = query
            .explain(searcher, address)
            .map_err(|source| self.tantivy_error(source))?;
        let bm25: serde_json::Value =
            serde_json::from_str(&explanation.to_pretty_json()).unwrap_or(serde_json::Value::Null);
        let Some(half_life) = request.recency_half_life else {
            return Ok(bm25);
        };
        let date = searcher
            .segment_reader(address.segment_ord)
            .fast_fields()
            .column_opt::<tantivy::DateTime>(field_name(searcher.schema(), self.handle.fields.date))
            .ok()
            .flatten()
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

    fn hit(
        &self,
        score: f32,
        document: &TantivyDocument,
        highlight: &HighlightTerms,
        analyzer: &mut TextAnalyzer,
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
        let snippet = make_snippet(analyzer, &passage, highlight, request.fragments);
        let date = document
            .get_first(fields.date)
            .and_then(|value| value.as_datetime())
            .and_then(|date| DateTime::from_timestamp(date.into_timestamp_secs(), 0));
        let entities = crate::index::stored_entity_labels(&fields, document)
            .filter_map(parse_entity_label)
            .collect();
        Hit {
            rank: 0,
            score,
            article_id: text_of(fields.article_id).unwrap_or_default(),
            path: text_of(fields.path).unwrap_or_default(),
            title: text_of(fields.title).unwrap_or_default(),
            date,
            categories: document
                .get_all(fields.category)
                .filter_map(|value| value.as_str())
                .map(str::to_string)
                .collect(),
            url: text_of(fields.url),
            section: text_of(fields.section),
            ordinal: document
                .get_first(fields.ordinal)
                .and_then(|value| value.as_u64())
                .unwrap_or(0) as u32,
            passage,
            snippet: snippet.text,
            highlights: snippet.highlights,
            entities,
            more_in_article: 0,
            explanation: None,
        }
    }
}

/// What results are ordered by, most significant first: (score, 0), or (date, score).
type OrderKey = (f64, f64);

/// One ranked passage: its order key, its display score and its address.
type Ranked = (OrderKey, Score, DocAddress);

/// How many passages to rank first for a page of `wanted`: one more than needed tells whether
/// more match; grouping by article needs a wider window.
fn first_window(request: &SearchRequest, wanted: usize) -> usize {
    if request.per_article == 0 {
        wanted + 1
    } else {
        wanted * 3 + 10
    }
}

/// A passage in result order, before its stored fields are fetched.
struct RankedPassage {
    score: Score,
    address: DocAddress,
}

/// What tells articles apart while ranking: in an index of one segment the ordinal of the
/// article id in that segment's sorted column (same order as the ids), else the id itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum ArticleKey {
    Ord(u64),
    Id(String),
}

/// `RECENCY_FLOOR + (1 - RECENCY_FLOOR) * 0.5^(age / half-life)`; undated passages get the floor.
fn recency_factor(
    date: Option<tantivy::DateTime>,
    newest: Option<i64>,
    half_life_secs: f64,
) -> f32 {
    recency_factor_secs(
        date.map(|date| date.into_timestamp_secs()),
        newest,
        half_life_secs,
    )
}

/// `recency_factor` of dates in seconds, for a backend that gets them as data (Quickwit).
pub fn recency_factor_secs(date: Option<i64>, newest: Option<i64>, half_life_secs: f64) -> f32 {
    let (Some(date), Some(newest)) = (date, newest) else {
        return RECENCY_FLOOR;
    };
    let age = (newest - date).max(0) as f64;
    let decay = 0.5f64.powf(age / half_life_secs) as f32;
    RECENCY_FLOOR + (1.0 - RECENCY_FLOOR) * decay
}

/// Results order: the order key, most significant first, compared as numbers.
fn compare_order_keys(a: &OrderKey, b: &OrderKey) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then_with(|| a.1.total_cmp(&b.1))
}

/// Reads the article id and ordinal of passages from the fast columns, one pair of columns per
/// segment, opened on first use; articles are remembered, as reading an id decompresses a block.
struct PassageKeys<'a> {
    searcher: &'a tantivy::Searcher,
    article_field: String,
    ordinal_field: String,
    shared: &'a std::sync::Mutex<HashMap<SegmentId, KeyColumns>>,
    columns: HashMap<u32, KeyColumns>,
    articles: HashMap<DocAddress, ArticleKey>,
}

impl<'a> PassageKeys<'a> {
    fn new(
        searcher: &'a tantivy::Searcher,
        handle: &IndexHandle,
        shared: &'a std::sync::Mutex<HashMap<SegmentId, KeyColumns>>,
    ) -> PassageKeys<'a> {
        PassageKeys {
            searcher,
            article_field: field_name(searcher.schema(), handle.fields.article_id).to_string(),
            ordinal_field: field_name(searcher.schema(), handle.fields.ordinal).to_string(),
            shared,
            columns: HashMap::new(),
            articles: HashMap::new(),
        }
    }

    fn columns(&mut self, segment_ord: u32) -> &KeyColumns {
        let searcher = self.searcher;
        let (article_field, ordinal_field) = (&self.article_field, &self.ordinal_field);
        let shared = self.shared;
        self.columns.entry(segment_ord).or_insert_with(|| {
            let segment = searcher.segment_reader(segment_ord);
            let mut shared = shared
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(columns) = shared.get(&segment.segment_id()) {
                return columns.clone();
            }
            let fast_fields = segment.fast_fields();
            let columns = (
                fast_fields.str(article_field).ok().flatten(),
                fast_fields.column_opt::<u64>(ordinal_field).ok().flatten(),
            );
            // Segments merged away since are forgotten.
            let live: Vec<SegmentId> = searcher
                .segment_readers()
                .iter()
                .map(SegmentReader::segment_id)
                .collect();
            shared.retain(|id, _| live.contains(id));
            shared.insert(segment.segment_id(), columns.clone());
            columns
        })
    }

    fn ordinal(&mut self, address: DocAddress) -> u64 {
        self.columns(address.segment_ord)
            .1
            .as_ref()
            .and_then(|column| column.first(address.doc_id))
            .unwrap_or(0)
    }

    /// The passage's article: its id, or in an index of one segment the id's ordinal.
    fn article(&mut self, address: DocAddress) -> Result<ArticleKey, IndexError> {
        if let Some(key) = self.articles.get(&address) {
            return Ok(key.clone());
        }
        let one_segment = self.searcher.segment_readers().len() == 1;
        let path = std::path::PathBuf::from(&self.article_field);
        let mut key = ArticleKey::Id(String::new());
        let column = self.columns(address.segment_ord).0.clone();
        if let Some(column) = &column
            && let Some(ord) = column.term_ords(address.doc_id).next()
        {
            let segment = self.searcher.segment_reader(address.segment_ord);
            key = if one_segment {
                ArticleKey::Ord(ord)
            } else if let Ok(Some(terms)) =
                crate::facets::segment_terms(segment, &self.article_field)
                && let Some(article_id) = terms.term(ord)
            {
                // The decoded dictionary, when it can be kept: no block decompression per passage.
                ArticleKey::Id(article_id.to_string())
            } else {
                let mut article_id = String::new();
                column
                    .ord_to_str(ord, &mut article_id)
                    .map_err(|source| IndexError::Io { path, source })?;
                ArticleKey::Id(article_id)
            };
        }
        self.articles.insert(address, key.clone());
        Ok(key)
    }
}

impl Compiler<'_> {
    fn node(&mut self, node: &Node, negated: bool) -> Result<Option<Box<dyn Query>>, IndexError> {
        match node {
            Node::Term {
                field,
                text,
                fuzzy,
                prefix,
            } => self.term(*field, text, *fuzzy, *prefix, negated),
            Node::Phrase { field, text, slop } => self.phrase(*field, text, *slop, negated),
            Node::Range {
                field,
                lower,
                upper,
            } => self.range(*field, lower, upper).map(Some),
            Node::Bool(clauses) => {
                let mut compiled: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len());
                for (occur, child) in clauses {
                    let child_negated = negated ^ (*occur == Occur::MustNot);
                    if let Some(query) = self.node(child, child_negated)? {
                        compiled.push((*occur, query));
                    }
                }
                if compiled.is_empty() {
                    return Ok(None);
                }
                if compiled.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    compiled.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(Some(Box::new(BooleanQuery::new(lazy_required_unions(
                    flatten_should(compiled),
                    self.searcher,
                )))))
            }
        }
    }

    /// The text fields a word searches, with their weights.
    fn text_fields(&self, field: Option<FieldName>) -> Vec<(Field, f32)> {
        let fields = self.fields;
        match field {
            None => self.boosts.targets(&fields),
            Some(FieldName::Title) => vec![(fields.title, 1.0)],
            Some(FieldName::Section) => vec![(fields.section, 1.0)],
            _ => vec![(fields.all, 1.0)],
        }
    }

    fn term(
        &mut self,
        field: Option<FieldName>,
        text: &str,
        fuzzy: Option<u8>,
        prefix: bool,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        match field {
            Some(FieldName::Entity) => return self.entity(text).map(Some),
            Some(FieldName::Category) => {
                let key = analyse(&mut self.keyword, text).join(" ");
                return Ok(Some(term_query(self.fields.category, &key)));
            }
            Some(FieldName::Date) => return self.date_value(text).map(Some),
            _ => {}
        }
        let targets = self.text_fields(field);
        if prefix {
            let folded = analyse(&mut self.keyword, text).join("");
            let mut prefixes = vec![folded.clone()];
            if let Some(stem) = analyse(&mut self.english, text).first()
                && *stem != folded
            {
                prefixes.push(stem.clone());
            }
            let expansions = self.expand(
                &targets,
                |term| prefixes.iter().any(|p| term.starts_with(p.as_str())),
                &prefixes,
            );
            return self.expanded_query(&targets, expansions, negated);
        }
        let tokens = analyse_with_positions(&mut self.english, text);
        if tokens.is_empty() {
            return Ok(None);
        }
        if let Some(distance) = fuzzy.filter(|d| *d > 0)
            && tokens.len() == 1
        {
            // The distance is taken on the word as written (folded), as a user counts edits,
            // and on its stem: "zelensky~1" finds the term of "Zelenskyy", although the stems
            // ("zelenski", "zelenskyy") are two edits apart.
            let stem = tokens[0].1.clone();
            let surface = analyse(&mut self.keyword, text).concat();
            let mut scan_prefixes: Vec<String> = [&stem, &surface]
                .iter()
                .map(|word| word.chars().take(1).collect())
                .collect();
            scan_prefixes.dedup();
            let distance = usize::from(distance);
            let expansions = self.expand(
                &targets,
                |term| {
                    strsim::osa_distance(term, &stem) <= distance
                        || strsim::osa_distance(term, &surface) <= distance
                },
                &scan_prefixes,
            );
            return self.expanded_query(&targets, expansions, negated);
        }
        if tokens.len() > 1 {
            // A word the analyser splits ("U.S.", "Bosnia-Herzegovina") is matched as a phrase.
            return Ok(self.phrase_of_tokens(&targets, tokens, 0, negated));
        }
        if !negated {
            self.highlight.terms.insert(tokens[0].1.clone());
        }
        let word = &tokens[0].1;
        Ok(Some(disjunction(
            targets
                .iter()
                .map(|(field, boost)| boosted(term_query(*field, word), *boost))
                .collect(),
        )))
    }

    fn entity(&mut self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        match crate::entity_names::resolve(self.searcher, &self.fields, self.extractor, text) {
            Ok(keys) => Ok(entity_terms_query(self.fields.entity, &keys)),
            // In the query language a name that no entity holds matches nothing, as a word that
            // no passage holds does (`entity:A OR entity:B` still finds B); `--entity`, a
            // filter every hit must pass, says so instead.
            Err(IndexError::EntityName {
                problem: crate::error::EntityNameProblem::Unknown(_),
                ..
            }) => {
                let key = crate::entity_names::fold(&self.extractor.resolve(text).name);
                Ok(term_query(self.fields.entity, &key))
            }
            Err(error) => Err(error),
        }
    }

    /// Terms of the target fields that pass `accept`, scanning only the terms that start with
    /// one of `scan_prefixes`; the most frequent `MAX_EXPANSIONS` are kept.
    fn expand(
        &self,
        targets: &[(Field, f32)],
        accept: impl Fn(&str) -> bool,
        scan_prefixes: &[String],
    ) -> Vec<String> {
        let mut doc_freqs: HashMap<String, u64> = HashMap::new();
        for segment in self.searcher.segment_readers() {
            for (field, _) in targets {
                let Ok(inverted_index) = segment.inverted_index(*field) else {
                    continue;
                };
                let terms = inverted_index.terms();
                for scan_prefix in scan_prefixes {
                    let mut upper = scan_prefix.clone().into_bytes();
                    let range = match increment(&mut upper) {
                        true => terms.range().ge(scan_prefix.as_bytes()).lt(&upper),
                        false => terms.range().ge(scan_prefix.as_bytes()),
                    };
                    let Ok(mut stream) = range.into_stream() else {
                        continue;
                    };
                    while stream.advance() {
                        let Ok(term) = std::str::from_utf8(stream.key()) else {
                            continue;
                        };
                        if accept(term) {
                            *doc_freqs.entry(term.to_string()).or_default() +=
                                u64::from(stream.value().doc_freq);
                        }
                    }
                }
            }
        }
        let mut expansions: Vec<(String, u64)> = doc_freqs.into_iter().collect();
        expansions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        expansions.truncate(MAX_EXPANSIONS);
        expansions.into_iter().map(|(term, _)| term).collect()
    }

    /// A disjunction of every expansion in every target field: each keeps its BM25 score.
    fn expanded_query(
        &mut self,
        targets: &[(Field, f32)],
        expansions: Vec<String>,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        if expansions.is_empty() {
            // Nothing in the index matches: a query that matches nothing, not an error.
            return Ok(Some(Box::new(EmptyQuery)));
        }
        self.expanded_terms += expansions.len() * targets.len();
        if self.expanded_terms > MAX_EXPANDED_TERMS {
            return Err(IndexError::Query(format!(
                "the query's prefix and fuzzy words expand to more than {MAX_EXPANDED_TERMS} index terms (each word up to {MAX_EXPANSIONS}): use fewer of them, or longer prefixes"
            )));
        }
        let mut clauses = Vec::with_capacity(expansions.len() * targets.len());
        for expansion in expansions {
            for (field, boost) in targets {
                clauses.push(boosted(term_query(*field, &expansion), *boost));
            }
            if !negated {
                self.highlight.terms.insert(expansion);
            }
        }
        Ok(Some(disjunction(clauses)))
    }

    fn phrase(
        &mut self,
        field: Option<FieldName>,
        text: &str,
        slop: u32,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        if let Some(FieldName::Entity | FieldName::Category | FieldName::Date) = field {
            return self.term(field, text, None, false, negated);
        }
        let targets = self.text_fields(field);
        let tokens = analyse_with_positions(&mut self.english, text);
        Ok(self.phrase_of_tokens(&targets, tokens, slop, negated))
    }

    fn phrase_of_tokens(
        &mut self,
        targets: &[(Field, f32)],
        tokens: Vec<(usize, String)>,
        slop: u32,
        negated: bool,
    ) -> Option<Box<dyn Query>> {
        match tokens.len() {
            0 => return None,
            1 => {
                if !negated {
                    self.highlight.terms.insert(tokens[0].1.clone());
                }
                return Some(disjunction(
                    targets
                        .iter()
                        .map(|(field, boost)| boosted(term_query(*field, &tokens[0].1), *boost))
                        .collect(),
                ));
            }
            _ => {}
        }
        let first_position = tokens[0].0;
        let relative: Vec<(usize, String)> = tokens
            .iter()
            .map(|(position, word)| (position - first_position, word.clone()))
            .collect();
        if !negated {
            self.highlight.phrases.push(relative.clone());
        }
        Some(disjunction(
            targets
                .iter()
                .map(|(field, boost)| {
                    let terms = relative
                        .iter()
                        .map(|(offset, word)| (*offset, Term::from_field_text(*field, word)))
                        .collect();
                    let mut phrase = PhraseQuery::new_with_offset(terms);
                    phrase.set_slop(slop);
                    boosted(Box::new(phrase), *boost)
                })
                .collect(),
        ))
    }

    /// `date:2024`, `date:2024-03` or `date:2024-03-28`: the whole year, month or day.
    fn date_value(&mut self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        let (lower, upper) = query::date_value_range(text).map_err(IndexError::Query)?;
        self.range(FieldName::Date, &lower, &upper)
    }

    fn range(
        &mut self,
        field: FieldName,
        lower: &RangeEnd,
        upper: &RangeEnd,
    ) -> Result<Box<dyn Query>, IndexError> {
        if field != FieldName::Date {
            return Err(IndexError::Query(format!(
                "ranges work on `date:` only, not on `{}:`",
                field.as_str()
            )));
        }
        let date_field = self.fields.date;
        let bound = |end: &RangeEnd, day_end: DayEnd| -> Result<Bound<Term>, IndexError> {
            let parse = |text: &str| {
                parse_date_arg(text, day_end, Utc::now())
                    .map(|date| date_term(date_field, date))
                    .map_err(|_| {
                        IndexError::Query(format!(
                            "`{text}` in a date range is not a date (use YYYY-MM-DD)"
                        ))
                    })
            };
            Ok(match end {
                RangeEnd::Unbounded => Bound::Unbounded,
                RangeEnd::Included(text) => Bound::Included(parse(text)?),
                RangeEnd::Excluded(text) => Bound::Excluded(parse(text)?),
            })
        };
        let lower = bound(lower, DayEnd::Start)?;
        let upper = bound(upper, DayEnd::End)?;
        if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
            // `date:[* TO *]`: every dated passage (tantivy's range needs one bound).
            let name = crate::schema::field_name(self.searcher.schema(), date_field);
            return Ok(Box::new(tantivy::query::ExistsQuery::new(
                name.to_string(),
                false,
            )));
        }
        Ok(Box::new(RangeQuery::new(lower, upper)))
    }
}

/// Increments a byte string to the smallest string greater than every string it prefixes;
/// false when there is none (all bytes 0xFF).
fn increment(bytes: &mut Vec<u8>) -> bool {
    while let Some(last) = bytes.pop() {
        if last < u8::MAX {
            bytes.push(last + 1);
            return true;
        }
    }
    false
}

/// A date bound as a term; a bound past the dates the index can store is clamped to the first
/// or last of them, so that `--since 1500-01-01` means "from the earliest" instead of wrapping.
fn date_term(field: Field, date: DateTime<Utc>) -> Term {
    let nanos = date
        .timestamp_nanos_opt()
        .unwrap_or(if date.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        });
    Term::from_field_date(field, tantivy::DateTime::from_timestamp_nanos(nanos))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

/// Lifts the clauses of optional-only children into an optional-only parent: `(a OR b) OR c` is
/// `a OR b OR c`, with the same matches and the same summed score. tantivy skips the postings
/// that cannot reach the top (block-max WAND) only over a flat union of terms, and every word
/// is itself a union over the title, section and text fields, so without this a query of
/// several words would score every passage that holds any of them.
fn flatten_should(clauses: Vec<(Occur, Box<dyn Query>)>) -> Vec<(Occur, Box<dyn Query>)> {
    if clauses.iter().any(|(occur, _)| *occur != Occur::Should) {
        return clauses;
    }
    let mut flat = Vec::with_capacity(clauses.len());
    for (occur, query) in clauses {
        match query.downcast_ref::<BooleanQuery>() {
            Some(child)
                if child.get_minimum_number_should_match() <= 1
                    && child
                        .clauses()
                        .iter()
                        .all(|(occur, _)| *occur == Occur::Should) =>
            {
                flat.extend(
                    child
                        .clauses()
                        .iter()
                        .map(|(occur, query)| (*occur, query.box_clone())),
                );
            }
            _ => flat.push((occur, query)),
        }
    }
    flat
}

/// In an intersection (two or more required clauses), a required union of optional clauses (a
/// word in its fields) that matches many more passages than the rarest required clause becomes
/// a `LazyUnionQuery`: the intersection, led by the rare clause, then seeks through it and
/// scores only the passages that hold every required word, where tantivy's union would score
/// every passage of the windows it fills. Unions of about the same size are read end to end
/// anyway, which tantivy's union does faster.
fn lazy_required_unions(
    clauses: Vec<(Occur, Box<dyn Query>)>,
    searcher: &tantivy::Searcher,
) -> Vec<(Occur, Box<dyn Query>)> {
    /// How much more a union must match than the rarest required clause to be read lazily.
    const DENSER: u64 = 4;
    let cost = |query: &dyn Query| -> u64 {
        let mut total = 0u64;
        query.query_terms(&mut |term, _| total += searcher.doc_freq(term).unwrap_or(0));
        total
    };
    let costs: Vec<Option<u64>> = clauses
        .iter()
        .map(|(occur, query)| (*occur == Occur::Must).then(|| cost(&**query)))
        .collect();
    if costs.iter().flatten().count() < 2 {
        return clauses;
    }
    let rarest = costs.iter().flatten().copied().min().unwrap_or(0);
    clauses
        .into_iter()
        .zip(costs)
        .map(|((occur, query), cost)| {
            let union = cost
                .filter(|cost| *cost >= rarest.saturating_mul(DENSER).max(1))
                .and_then(|_| query.downcast_ref::<BooleanQuery>())
                .filter(|union| {
                    union.get_minimum_number_should_match() <= 1
                        && union
                            .clauses()
                            .iter()
                            .all(|(occur, _)| *occur == Occur::Should)
                });
            match union {
                Some(union) => (
                    occur,
                    Box::new(LazyUnionQuery::new(
                        union.clauses().iter().map(|(_, q)| q.box_clone()).collect(),
                    )) as Box<dyn Query>,
                ),
                None => (occur, query),
            }
        })
        .collect()
}

fn disjunction(mut clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    Box::new(BooleanQuery::new(
        clauses
            .into_iter()
            .map(|query| (Occur::Should, query))
            .collect(),
    ))
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// Passages that hold any of the folded entity names `keys` (what `entity_names::resolve` gave).
fn entity_terms_query(field: Field, keys: &[String]) -> Box<dyn Query> {
    match keys {
        [key] => term_query(field, key),
        keys => Box::new(BooleanQuery::new(
            keys.iter()
                .map(|key| (Occur::Should, term_query(field, key)))
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::ENTITY_EXPANSION_SCORE;
    use crate::index::{create_in_ram, passage_document};
    use crate::model::{Article, Passage};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn article(id: &str, date: (i32, u32, u32), title: &str) -> Article {
        Article {
            id: id.into(),
            path: id.into(),
            title: title.into(),
            date: Some(
                Utc.with_ymd_and_hms(date.0, date.1, date.2, 0, 0, 0)
                    .unwrap(),
            ),
            categories: vec!["defence".into()],
            ..Article::default()
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
                    (
                        Some("Exports"),
                        "Ammunition exports doubled, and ammunition prices rose.",
                    ),
                    (Some("Exports"), "More ammunition went to Poland."),
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

    fn sorted_ids(searcher: &Searcher, query: &str) -> Vec<(String, u32)> {
        let mut found = ids(searcher, &SearchRequest::new(query));
        found.sort();
        found
    }

    fn id(article: &str, ordinal: u32) -> (String, u32) {
        (article.to_string(), ordinal)
    }

    #[test]
    fn both_words_rank_first() {
        let searcher = fixture();
        let results = searcher
            .search(&SearchRequest::new("ammunition Serbia"))
            .unwrap();
        assert_eq!(
            (results.hits[0].article_id.as_str(), results.hits[0].ordinal),
            ("a", 0)
        );
        assert!(results.hits[0].snippet.contains("Serbia"));
        // The passage that names Serbia only as "Serbian" matches through the entity, last.
        let last = results.hits.last().unwrap();
        assert_eq!((last.article_id.as_str(), last.ordinal), ("a", 1));
        assert!(
            results
                .hits
                .windows(2)
                .all(|pair| pair[0].score >= pair[1].score)
        );
    }

    #[test]
    fn the_total_is_counted_only_when_asked_or_when_every_match_was_seen() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.limit = 2;
        let results = searcher.search(&request).unwrap();
        assert_eq!(results.total, None);
        assert!(results.more);
        request.count = true;
        assert_eq!(searcher.search(&request).unwrap().total, Some(4));
        request.count = false;
        request.limit = 10;
        let results = searcher.search(&request).unwrap();
        assert_eq!(results.total, Some(4));
        assert!(!results.more);
    }

    #[test]
    fn a_facet_sample_counts_the_best_passages_and_says_when_it_is_one() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.limit = 1;
        request.facet_sample = 2;
        let results = searcher.search(&request).unwrap();
        assert_eq!(results.facet_sample, Some(2));
        assert_eq!(results.facets.as_ref().unwrap().total, 2);
        assert_eq!(results.total, None);
        // A sample that holds every match is the whole result set, counted exactly.
        request.facet_sample = 100;
        let results = searcher.search(&request).unwrap();
        assert_eq!(results.facet_sample, None);
        request.facets = true;
        let every_match = searcher.search(&request).unwrap().facets.unwrap();
        assert_eq!(results.facets.unwrap(), every_match);
        assert_eq!(every_match.total, 4);
    }

    #[test]
    fn words_of_a_query_compile_to_one_flat_union_of_terms() {
        // tantivy prunes with block-max WAND only over a flat union of term queries.
        let searcher = fixture();
        let compiled = searcher
            .compile("ammunition serbia", false, FieldBoosts::default())
            .unwrap();
        let union = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
        // One term per word: the passage's title, heading and text are one field.
        assert_eq!(union.clauses().len(), 2);
        for (occur, clause) in union.clauses() {
            assert_eq!(*occur, Occur::Should);
            let term = match clause.downcast_ref::<BoostQuery>() {
                Some(boosted) => format!("{boosted:?}"),
                None => format!("{clause:?}"),
            };
            assert!(term.contains("TermQuery"), "{term}");
        }
        // A word naming an entity adds its expansion to the same flat union, scaled so that a
        // passage that only names the entity in another form scores above 0 and at most
        // ENTITY_EXPANSION_SCORE.
        let tantivy_searcher = searcher.tantivy_searcher();
        let expanded = searcher
            .with_entity_expansion(&tantivy_searcher, "ammunition serbia", &*compiled.query)
            .unwrap();
        let union = expanded.downcast_ref::<BooleanQuery>().unwrap();
        assert_eq!(union.clauses().len(), 3);
        let weight = expanded
            .weight(EnableScoring::enabled_from_searcher(&tantivy_searcher))
            .unwrap();
        for (occur, clause) in union.clauses() {
            assert_eq!(*occur, Occur::Should);
            let boosted = clause
                .downcast_ref::<BoostQuery>()
                .map(|q| format!("{q:?}"));
            let term = boosted.unwrap_or_else(|| format!("{clause:?}"));
            assert!(term.contains("TermQuery"), "{term}");
        }
        let entity = tantivy::Term::from_field_text(searcher.handle.fields.entity, "serbia");
        let entity_only = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(entity, IndexRecordOption::Basic)) as Box<dyn Query>,
            ),
            (Occur::MustNot, compiled.query.box_clone()),
        ]);
        let mut n_entity_only = 0;
        for (_, address) in tantivy_searcher
            .search(&entity_only, &TopDocs::with_limit(100).order_by_score())
            .unwrap()
        {
            let segment = tantivy_searcher.segment_reader(address.segment_ord);
            let score = weight.explain(segment, address.doc_id).unwrap().value();
            assert!(score > 0.0 && score <= ENTITY_EXPANSION_SCORE, "{score}");
            n_entity_only += 1;
        }
        assert!(
            n_entity_only > 0,
            "the fixture has a passage naming Serbia otherwise"
        );
        // Required words stay an intersection of unions; a word much more frequent than the
        // rarest required one is scored only where all match.
        // (A word is a union where the title and the heading weigh extra.)
        let weighed = FieldBoosts {
            title: 1.0,
            section: 1.0,
        };
        let lazy_clauses = |query: &str| -> Vec<bool> {
            let compiled = searcher.compile(query, false, weighed).unwrap();
            let both = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
            assert!(
                both.clauses()
                    .iter()
                    .all(|(occur, _)| *occur == Occur::Must)
            );
            both.clauses()
                .iter()
                .map(|(_, q)| q.downcast_ref::<LazyUnionQuery>().is_some())
                .collect()
        };
        // Passages: "ammunition" 4, "serbia" 1, "belgrade" 1, "exports" 2.
        assert_eq!(lazy_clauses("+ammunition +belgrade"), [true, false]);
        assert_eq!(lazy_clauses("+exports +ammunition"), [false, false]);
        // One required word with optional ones keeps tantivy's union.
        let compiled = searcher
            .compile("+ammunition serbia", false, weighed)
            .unwrap();
        let mixed = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
        assert!(
            mixed
                .clauses()
                .iter()
                .all(|(_, q)| q.downcast_ref::<LazyUnionQuery>().is_none())
        );
    }

    #[test]
    fn per_article_keeps_the_best_passages_of_each_article_and_counts_the_rest() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.per_article = 1;
        let results = searcher.search(&request).unwrap();
        let articles: Vec<&str> = results.hits.iter().map(|h| h.article_id.as_str()).collect();
        assert_eq!(articles.len(), 2);
        assert!(articles.contains(&"a") && articles.contains(&"b"));
        let hit_a = results.hits.iter().find(|h| h.article_id == "a").unwrap();
        assert_eq!(hit_a.more_in_article, 2);
        let hit_b = results.hits.iter().find(|h| h.article_id == "b").unwrap();
        assert_eq!(hit_b.more_in_article, 0);
        request.per_article = 0;
        assert_eq!(searcher.search(&request).unwrap().hits.len(), 4);
    }

    #[test]
    fn date_filters_cut_results() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.filters.since = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(ids(&searcher, &request), [id("b", 1)]);
        request.filters.since = None;
        request.filters.until = Some(Utc.with_ymd_and_hms(2023, 12, 31, 0, 0, 0).unwrap());
        assert!(
            ids(&searcher, &request)
                .iter()
                .all(|(article, _)| article == "a")
        );
    }

    #[test]
    fn a_reload_picks_up_the_acronym_table_of_the_new_commit() {
        use crate::build::{BuildOptions, Silent};
        use crate::incremental::build_index;
        let dir = tempfile::tempdir().unwrap();
        let corpus = dir.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        std::fs::write(
            corpus.join("a.md"),
            "# Shells\n\nExports of artillery shells slowed, BAMG said.\n",
        )
        .unwrap();
        let options = BuildOptions {
            corpus: corpus.clone(),
            index: dir.path().join("index"),
            walk: crate::ingest::WalkOptions::default(),
            memory_mb: crate::index::DEFAULT_MEMORY_MB,
            rebuild: false,
            fields: Vec::new(),
        };
        let extractor = EntityExtractor::builtin();
        build_index(&options, &extractor, &Silent).unwrap();
        let handle = crate::index::open_index(&options.index).unwrap();
        let searcher = Searcher::new(handle, extractor.clone()).unwrap();
        let mut request = SearchRequest::new("shells");
        request.filters.entities = vec!["Balkan Arms Monitoring Group".into()];
        // No article names the group yet: the filter says so.
        assert!(matches!(
            searcher.search(&request),
            Err(IndexError::EntityName {
                problem: crate::error::EntityNameProblem::Unknown(_),
                ..
            })
        ));
        // Another article defines the acronym: the next commit carries a new table.
        std::fs::write(
            corpus.join("b.md"),
            "# Monitors\n\nThe Balkan Arms Monitoring Group (BAMG) counted artillery shells.\n",
        )
        .unwrap();
        build_index(&options, &extractor, &Silent).unwrap();
        assert_eq!(searcher.extractor().resolve("BAMG").name, "BAMG");
        searcher.reload().unwrap();
        assert_eq!(
            searcher.extractor().resolve("BAMG").name,
            "Balkan Arms Monitoring Group"
        );
        // The filter by the acronym now means the group, in both articles.
        request.filters.entities = vec!["BAMG".into()];
        assert_eq!(
            ids(&searcher, &request).len(),
            2,
            "{:?}",
            ids(&searcher, &request)
        );
    }

    #[test]
    fn section_entity_and_category_filters_cut_results() {
        let searcher = fixture();
        let mut request = SearchRequest::new("gas");
        request.filters.sections = vec!["politics".into()];
        assert_eq!(ids(&searcher, &request), [id("b", 1)]);
        let mut request = SearchRequest::new("shells OR ammunition");
        request.filters.entities = vec!["Serbian".into()];
        let mut found = ids(&searcher, &request);
        found.sort();
        assert_eq!(found, [id("a", 0), id("a", 1)]);
        let mut request = SearchRequest::new("gas");
        request.filters.categories = vec!["Energy".into()];
        assert!(ids(&searcher, &request).is_empty());
        request.filters.categories = vec!["DEFENCE".into()];
        assert_eq!(ids(&searcher, &request).len(), 2);
    }

    #[test]
    fn the_query_language_operators() {
        let searcher = fixture();
        assert!(
            sorted_ids(&searcher, "ammunition -gas")
                .iter()
                .all(|(a, _)| a == "a")
        );
        assert_eq!(sorted_ids(&searcher, "+gas +vucic"), [id("b", 1)]);
        assert_eq!(sorted_ids(&searcher, "gas AND vucic"), [id("b", 1)]);
        assert_eq!(sorted_ids(&searcher, "\"third countries\""), [id("a", 1)]);
        assert!(sorted_ids(&searcher, "\"countries third\"").is_empty());
        assert_eq!(
            sorted_ids(&searcher, "(gas OR countries) AND NOT winter"),
            [id("a", 1), id("b", 1)]
        );
        assert_eq!(sorted_ids(&searcher, "title:gas"), [id("b", 0), id("b", 1)]);
        assert_eq!(sorted_ids(&searcher, "section:politics"), [id("b", 1)]);
        assert_eq!(
            sorted_ids(
                &searcher,
                "entity:\"Bosnia-Herzegovina\" OR entity:ukrainian"
            ),
            [id("a", 1)]
        );
        assert_eq!(sorted_ids(&searcher, "category:defence AND gas").len(), 2);
        assert_eq!(sorted_ids(&searcher, "gas AND date:2024-03").len(), 2);
        assert_eq!(
            sorted_ids(&searcher, "gas AND date:[2023-01-01 TO 2023-12-31]"),
            []
        );
        let mut request = SearchRequest::new("ammunition gas");
        request.require_all = true;
        assert_eq!(ids(&searcher, &request), [id("b", 1)]);
    }

    #[test]
    fn a_fuzzy_word_counts_edits_on_the_word_as_written() {
        let searcher = searcher_with(&[(
            article("z", (2024, 3, 28), "Talks"),
            vec![(None, "Ukrainian President Volodymyr Zelenskyy spoke.")],
        )]);
        // "zelensky" stems to "zelenski", two edits from the stem "zelenskyy".
        assert_eq!(sorted_ids(&searcher, "zelensky~1"), [id("z", 0)]);
        assert!(sorted_ids(&searcher, "zelensky").is_empty());
        assert!(sorted_ids(&searcher, "zelinsk~1").is_empty());
    }

    #[test]
    fn fuzzy_and_prefix_words_expand_to_index_terms_and_keep_bm25() {
        let searcher = fixture();
        // One edit away from "vucic".
        assert_eq!(sorted_ids(&searcher, "vucik~1"), [id("b", 1)]);
        assert!(sorted_ids(&searcher, "vucik").is_empty());
        assert!(sorted_ids(&searcher, "vuxyk~1").is_empty());
        let results = searcher.search(&SearchRequest::new("ammun*")).unwrap();
        assert_eq!(results.hits.len(), 4);
        // BM25, not a constant: the passage with "ammunition" twice ranks first.
        assert_eq!(results.hits[0].ordinal, 2);
        assert!(results.hits[0].score > results.hits[3].score);
        assert!(results.hits[0].snippet.contains("Ammunition"));
        assert_eq!(results.hits[0].highlights.len(), 2);
        // A prefix longer than the stem still finds the stemmed word; `text:` searches the
        // whole passage, its section heading ("Exports") included.
        assert_eq!(
            sorted_ids(&searcher, "text:exports*"),
            [id("a", 1), id("a", 2), id("a", 3)]
        );
    }

    #[test]
    fn a_phrase_is_highlighted_only_as_a_phrase() {
        let searcher = fixture();
        let results = searcher
            .search(&SearchRequest::new("\"ammunition prices\""))
            .unwrap();
        assert_eq!(results.hits.len(), 1);
        let hit = &results.hits[0];
        let marked: Vec<&str> = hit
            .highlights
            .iter()
            .map(|r| &hit.snippet[r.clone()])
            .collect();
        assert_eq!(marked, ["ammunition prices"]);
    }

    #[test]
    fn sort_by_date_puts_the_newest_first() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.sort = SortOrder::Date;
        let found = ids(&searcher, &request);
        assert_eq!(found[0], id("b", 1));
        let relevance = ids(&searcher, &SearchRequest::new("ammunition"));
        assert_ne!(relevance[0], id("b", 1));
    }

    #[test]
    fn recency_lifts_recent_passages_but_keeps_relevance() {
        let searcher = searcher_with(&[
            (
                article("old", (2015, 1, 1), "x"),
                vec![(None, "grid grid grid power")],
            ),
            (
                article("new", (2024, 1, 1), "x"),
                vec![(None, "grid power lines everywhere")],
            ),
        ]);
        assert_eq!(ids(&searcher, &SearchRequest::new("grid"))[0].0, "old");
        let mut request = SearchRequest::new("grid");
        request.recency_half_life = Some(chrono::Duration::days(365));
        request.explain = true;
        let results = searcher.search(&request).unwrap();
        assert_eq!(results.hits[0].article_id, "new");
        let explanation = results.hits[1].explanation.as_ref().unwrap();
        assert!(
            explanation["description"]
                .as_str()
                .unwrap()
                .starts_with("recency")
        );
        // Old passages keep at least the floor of their relevance.
        assert!(results.hits[1].score > 0.0);
    }

    #[test]
    fn explain_gives_a_tree_whose_value_is_the_score() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition");
        request.explain = true;
        let results = searcher.search(&request).unwrap();
        let hit = &results.hits[0];
        let explanation = hit.explanation.as_ref().unwrap();
        let value = explanation["value"].as_f64().unwrap() as f32;
        assert!((value - hit.score).abs() < 1e-3, "{value} vs {}", hit.score);
        assert!(explanation["details"].is_array());
    }

    #[test]
    fn facets_count_the_whole_result_set() {
        let searcher = fixture();
        let mut request = SearchRequest::new("ammunition OR gas");
        request.limit = 1;
        request.facets = true;
        let results = searcher.search(&request).unwrap();
        let facets = results.facets.unwrap();
        assert_eq!(facets.total, 5);
        assert_eq!(results.total, Some(5));
        let count_of = |name: &str| {
            facets
                .entities
                .iter()
                .find(|e| e.name == name)
                .map(|e| e.count)
        };
        assert_eq!(count_of("Serbia"), Some(1));
        assert_eq!(count_of("Germany"), Some(1));
        assert_eq!(facets.categories[0].value, "defence");
        assert_eq!(facets.categories[0].count, 5);
        let months: Vec<(&str, u64)> = facets
            .months
            .iter()
            .map(|m| (m.value.as_str(), m.count))
            .collect();
        assert_eq!(months, [("2023-05", 3), ("2024-03", 2)]);
    }

    #[test]
    fn a_title_counts_as_two_mentions_and_a_title_boost_adds_more() {
        let searcher = searcher_with(&[
            (
                article("thrice", (2024, 1, 1), "Other news"),
                vec![(None, "gas gas gas news here")],
            ),
            (
                article("title", (2024, 1, 1), "Gas"),
                vec![(None, "news here today")],
            ),
            (
                article("once", (2024, 1, 1), "Other news"),
                vec![(None, "gas news here today")],
            ),
        ]);
        // The title is written into the searched passage `TITLE_WEIGHT` (2) times: between
        // one mention in the text and three.
        let mut request = SearchRequest::new("gas");
        let articles = |request: &SearchRequest| -> Vec<String> {
            ids(&searcher, request)
                .into_iter()
                .map(|(a, _)| a)
                .collect()
        };
        assert_eq!(articles(&request), ["thrice", "title", "once"]);
        // `--title-boost` adds the word's score in the title alone.
        request.boosts = FieldBoosts {
            title: 2.0,
            section: 0.0,
        };
        assert_eq!(articles(&request), ["title", "thrice", "once"]);
    }

    #[test]
    fn a_title_made_from_the_lead_is_not_searched_with_every_passage() {
        let made = Article {
            title_repeats_text: true,
            ..article("made", (2024, 1, 1), "Serbia builds shells")
        };
        let given = article("given", (2024, 1, 1), "Serbia builds shells");
        let passages = vec![
            (None, "Serbia builds shells."),
            (Some("Exports"), "Exports rose."),
        ];
        let searcher = searcher_with(&[(made, passages.clone()), (given, passages)]);
        assert_eq!(
            sorted_ids(&searcher, "shells"),
            [id("given", 0), id("given", 1), id("made", 0)]
        );
        // `title:` still finds the made title on every passage.
        assert_eq!(sorted_ids(&searcher, "title:shells").len(), 4);
    }

    #[test]
    fn bad_queries_get_messages() {
        let searcher = fixture();
        let message = |query: &str| {
            searcher
                .search(&SearchRequest::new(query))
                .unwrap_err()
                .to_string()
        };
        assert!(message("(ammunition").contains("`(` is never closed at column 1"));
        assert!(message("colour:red").contains("unknown field `colour`"));
        assert!(message("the of and").contains("no searchable words"));
        assert!(message("?!, ...").contains("no searchable words"));
        assert!(message("date:[2024-13-01 TO *]").contains("not a date"));
        assert!(message("title:[a TO b]").contains("ranges work on `date:` only"));
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
                .contains("after the end date")
        );
    }

    #[test]
    fn a_long_query_is_answered_or_refused_cleanly() {
        let searcher = fixture();
        let long: String = "ammunition ".repeat(900);
        assert!(
            !searcher
                .search(&SearchRequest::new(long))
                .unwrap()
                .hits
                .is_empty()
        );
        let too_long: String = "gas ".repeat(2500);
        assert!(searcher.search(&SearchRequest::new(too_long)).is_err());
    }

    #[test]
    fn prefix_words_past_the_cost_budget_are_refused() {
        // A passage of many words that start with "a": each `a*` expands to MAX_EXPANSIONS terms.
        let words: String = (0..2 * MAX_EXPANSIONS)
            .map(|n| format!("a{n:04} "))
            .collect();
        let searcher = searcher_with(&[(
            article("a", (2024, 1, 1), "Words"),
            vec![(None, words.as_str())],
        )]);
        let within = MAX_EXPANDED_TERMS / MAX_EXPANSIONS;
        assert!(
            searcher
                .search(&SearchRequest::new("a* ".repeat(within)))
                .is_ok()
        );
        let error = searcher
            .search(&SearchRequest::new("a* ".repeat(within + 1)))
            .unwrap_err();
        assert!(error.to_string().contains("expand to more than"), "{error}");
        // Fuzzy words count against the same budget.
        let fuzzy = format!("{}a0001~1", "a* ".repeat(within));
        assert!(searcher.search(&SearchRequest::new(fuzzy)).is_err());
    }

    #[test]
    fn an_open_date_range_matches_every_dated_passage_instead_of_panicking() {
        let searcher = fixture();
        let gas = sorted_ids(&searcher, "gas");
        assert!(!gas.is_empty());
        for query in ["gas AND date:[* TO *]", "gas AND date:{* TO *}"] {
            assert_eq!(sorted_ids(&searcher, query), gas, "{query}");
        }
        assert_eq!(
            sorted_ids(&searcher, "date:[* TO *]").len(),
            sorted_ids(&searcher, "date:[1900-01-01 TO 2100-01-01]").len()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]
        #[test]
        fn random_queries_never_panic(query in "\\PC{0,60}|[ ()\"+\\-*~:\\[\\]a-z0-9]{0,40}|(AND|OR|NOT|title:|date:|entity:|\\(|\\)|\"|ammun|gas|~1|\\*| ){0,12}") {
            let searcher = FIXTURE.with(|searcher| searcher.clone());
            let _ = searcher.search(&SearchRequest::new(query));
        }

        /// Ranges, fields, prefixes, fuzzy words and operators in any order, searched through
        /// the library (parse, compile, filter, rank, fetch): an error is fine, a panic is not.
        #[test]
        fn random_query_language_never_panics(tokens in proptest::collection::vec(
            "date:|date:\\[|date:\\{|\\[|\\{|\\]|\\}|\\*| TO |2024|2024-03|2024-03-28|1500-01-01|9999-12-31|title:|section:|category:|entity:|text:|gas\\*|ammun~1|~2|\\+|-|AND|OR|NOT|\\(|\\)|\"|serbia|vucic| ",
            0..14,
        ), sort_by_date in proptest::bool::ANY) {
            let searcher = FIXTURE.with(|searcher| searcher.clone());
            let mut request = SearchRequest::new(tokens.concat());
            if sort_by_date {
                request.sort = SortOrder::Date;
            }
            let _ = searcher.search(&request);
        }
    }

    thread_local! {
        static FIXTURE: std::rc::Rc<Searcher> = std::rc::Rc::new(fixture());
    }
}
