//! Ranking: the passages of a query in result order (score, date or recency), grouped per
//! article when asked, counted, and the facets of the matches.

use super::proximity::{ProximityTerms, RERANK_DEPTH};
use super::request::{FACET_TOP, Group, RECENCY_FLOOR, SearchRequest, SortField, SortOrder};
use super::searcher::{KeyColumns, Searcher};
use super::story::{STORY_DEPTH, StoryScore, StoryScorer, article_passages};
use crate::model::ExtraType;
use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::index::SegmentId;
use tantivy::query::EnableScoring;
use tantivy::query::Query;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, TERMINATED};

use crate::error::IndexError;
use crate::facets::{FacetCollector, Facets};
use crate::index::IndexHandle;
use crate::model::Hit;
use crate::schema::field_name;

impl Searcher {
    pub(super) fn facet_collector(&self, searcher: &tantivy::Searcher) -> FacetCollector {
        let schema = searcher.schema();
        let fields = self.handle.fields;
        FacetCollector::new(schema, &fields).with_extras(schema, &fields, &self.extras())
    }

    /// The entities of the best `sample` passages (and how many passages those are), and
    /// whether those are all the matches. Categories, outlets and months are not counted: the
    /// footer that shows a sample names entities only.
    pub(super) fn sampled_facets(
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
        let collector = FacetCollector {
            date_field: None,
            sparse: true,
            ..FacetCollector::entities(searcher.schema(), &self.handle.fields)
        };
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
        let tally = tally.canonical(&self.spellings(searcher));
        Ok((tally.into_facets(FACET_TOP, None), all_matches))
    }

    /// The top passages in result order, at most `per_article` of one article. Fetches more
    /// passages than needed when grouping drops some, growing the window until enough are kept
    /// or the matches run out. Returns whether they ran out. Articles are told apart only where
    /// needed (ties, grouping), and by the ordinal of their id in the segment's column when the
    /// index has one segment: reading the id itself decompresses a block of that column.
    pub(super) fn ranked_passages(
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
            let stories = match request.group == Group::Article && ranks_by_score(request) {
                true => self.story_order(searcher, query, request, &mut ordered, &mut keys)?,
                false => HashMap::new(),
            };
            let mut per_article: HashMap<ArticleKey, usize> = HashMap::new();
            let mut kept = Vec::with_capacity(wanted + 1);
            for (_, score, address) in ordered {
                let story_score = match stories.is_empty() {
                    true => None,
                    false => stories.get(&keys.article(address)?).copied(),
                };
                if request.per_article > 0 {
                    let shown = per_article.entry(keys.article(address)?).or_default();
                    if *shown >= request.per_article {
                        continue;
                    }
                    *shown += 1;
                }
                kept.push(RankedPassage {
                    score,
                    address,
                    story_score,
                });
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
    pub(super) fn top_docs(
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
        if let Some(sort_field) = &request.sort_field {
            return self.top_by_field(searcher, query, sort_field, window);
        }
        let date_field = field_name(searcher.schema(), self.handle.fields.date).to_string();
        let result = match (request.sort, request.recency_half_life) {
            (SortOrder::Relevance, None) => {
                let proximity = self.proximity_terms(searcher, query, request)?;
                let depth = match proximity {
                    Some(_) => window.max(RERANK_DEPTH),
                    None => window,
                };
                searcher
                    .search(query, &TopDocs::with_limit(depth).order_by_score())
                    .and_then(|mut top| {
                        if let Some(terms) = &proximity {
                            terms.rerank(searcher, &mut top, request.proximity)?;
                            top.truncate(window);
                        }
                        Ok(top)
                    })
                    .map(by_score)
            }
            (SortOrder::Relevance, Some(half_life)) => {
                let newest = self.newest_date(searcher);
                let half_life_secs = half_life.num_seconds().max(1) as f64;
                let collector =
                    TopDocs::with_limit(window).tweak_score(move |segment: &SegmentReader| {
                        let dates = date_column(segment, &date_field);
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
                        let dates = date_column(segment, &date_field);
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

    /// The best `window` passages by a declared number or date field: largest first (smallest
    /// with `ascending`), ties by score, passages without a value last.
    fn top_by_field(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        sort_field: &SortField,
        window: usize,
    ) -> Result<Vec<(OrderKey, Score, DocAddress)>, IndexError> {
        let extras = self.extras();
        let Some(field) = extras.iter().find(|extra| {
            extra.name == sort_field.name
                && matches!(extra.kind, ExtraType::Number | ExtraType::Date)
        }) else {
            let sortable: Vec<&str> = extras
                .iter()
                .filter(|extra| matches!(extra.kind, ExtraType::Number | ExtraType::Date))
                .map(|extra| extra.name.as_str())
                .collect();
            return Err(IndexError::Query(format!(
                "cannot sort by `{}`: {}",
                sort_field.name,
                if sortable.is_empty() {
                    "the index declares no number or date field".to_string()
                } else {
                    format!(
                        "the index's number and date fields are {}",
                        sortable.join(", ")
                    )
                }
            )));
        };
        let column = format!(
            "{}.{}",
            field_name(searcher.schema(), self.handle.fields.extra),
            field.name
        );
        let (kind, ascending) = (field.kind, sort_field.ascending);
        let collector = TopDocs::with_limit(window).tweak_score(move |segment: &SegmentReader| {
            let fast = segment.fast_fields();
            let numbers = match kind {
                ExtraType::Date => None,
                _ => fast.column_opt::<f64>(&column).ok().flatten(),
            };
            let dates = match kind {
                ExtraType::Date => fast.column_opt::<tantivy::DateTime>(&column).ok().flatten(),
                _ => None,
            };
            move |doc, score: Score| {
                let value = match (&numbers, &dates) {
                    (Some(column), _) => column.first(doc),
                    (_, Some(column)) => column
                        .first(doc)
                        .map(|date| date.into_timestamp_secs() as f64),
                    _ => None,
                };
                // Passages without a value sort last either way.
                let key = match value {
                    Some(value) if ascending => -value,
                    Some(value) => value,
                    None => f64::NEG_INFINITY,
                };
                (key, score)
            }
        });
        let top = searcher
            .search(query, &collector)
            .map_err(|source| self.tantivy_error(source))?;
        Ok(top
            .into_iter()
            .map(|((key, score), address)| ((key, f64::from(score)), score, address))
            .collect())
    }

    /// The words whose closeness a relevance search rewards (`proximity`), when it does: a
    /// positive `request.proximity` and two or more distinct words of the passage (`all`).
    fn proximity_terms(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
    ) -> Result<Option<ProximityTerms>, IndexError> {
        if request.proximity <= 0.0 {
            return Ok(None);
        }
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term.clone()));
        ProximityTerms::new(searcher, self.handle.fields.all, terms)
            .map_err(|source| self.tantivy_error(source))
    }

    /// For each article on the page, how many of its matching passages are not shown. One
    /// pass per segment: the passages of the page's articles (their id postings) are checked
    /// against one matcher of the query, in document order.
    pub(super) fn count_per_article(
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
            for segment in searcher.segment_readers() {
                let passages = article_passages(segment, self.handle.fields.article_id, &articles)
                    .map_err(|source| self.io_error(source))?;
                if passages.is_empty() {
                    continue;
                }
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
                        matching[idx as usize] += 1;
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

    /// Reorders ranked passages as stories: the articles of the best passages (at most
    /// `STORY_DEPTH`) rank by their best passage's score plus the BM25 of their whole text
    /// (`StoryScorer`) and the proximity bonus of their closest-worded rescored passage, as
    /// `eval` scores a story; each article's passages stay together in their own order, and
    /// the articles past that depth follow as they were. Returns the articles' scores.
    fn story_order(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        request: &SearchRequest,
        ordered: &mut Vec<Ranked>,
        keys: &mut PassageKeys<'_>,
    ) -> Result<HashMap<ArticleKey, Score>, IndexError> {
        let tantivy_error = |source| self.tantivy_error(source);
        // Articles in order of their best passage, with their passages.
        let mut articles: Vec<(ArticleKey, Vec<Ranked>)> = Vec::new();
        let mut position: HashMap<ArticleKey, usize> = HashMap::new();
        // The passages the ranking rescored for proximity (the first `RERANK_DEPTH`), by article.
        let mut rescored: Vec<(DocAddress, usize)> = Vec::new();
        for (rank, entry) in ordered.drain(..).enumerate() {
            let key = keys.article(entry.2)?;
            let slot = *position.entry(key.clone()).or_insert(articles.len());
            if slot == articles.len() {
                articles.push((key, Vec::new()));
            }
            if rank < RERANK_DEPTH {
                rescored.push((entry.2, slot));
            }
            articles[slot].1.push(entry);
        }
        let n_stories = articles.len().min(STORY_DEPTH);
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term.clone()));
        let fields = &self.handle.fields;
        let mut scores = vec![Score::NEG_INFINITY; n_stories];
        if let Some(scorer) = StoryScorer::new(searcher, fields, terms).map_err(tantivy_error)? {
            let mut ids = Vec::with_capacity(n_stories);
            for (_, passages) in &articles[..n_stories] {
                ids.push(keys.article_id(passages[0].2)?);
            }
            let mut tally = scorer.tally(n_stories);
            for segment in searcher.segment_readers() {
                let passages = article_passages(segment, fields.article_id, &ids)
                    .map_err(|source| self.io_error(source))?;
                scorer
                    .add_segment(segment, &passages, &mut tally)
                    .map_err(tantivy_error)?;
            }
            scores = scorer.scores(&tally);
        }
        // A story is as close-worded as its closest rescored passage.
        let mut closest = vec![0.0 as Score; n_stories];
        rescored.retain(|&(_, slot)| slot < n_stories);
        if !rescored.is_empty()
            && let Some(terms) = self.proximity_terms(searcher, query, request)?
        {
            let addresses: Vec<DocAddress> = rescored.iter().map(|&(address, _)| address).collect();
            let bonuses = terms.bonuses(searcher, &addresses).map_err(tantivy_error)?;
            for ((_, slot), bonus) in rescored.into_iter().zip(bonuses) {
                closest[slot] = closest[slot].max(request.proximity * bonus);
            }
        }
        let mut stories: Vec<(Score, usize)> = articles[..n_stories]
            .iter()
            .zip(scores.iter().zip(&closest))
            .enumerate()
            .map(|(idx, ((_, passages), (&story, &bonus)))| {
                let best = passages[0].1;
                let story = match story.is_finite() {
                    true => story + bonus,
                    false => story,
                };
                let combined = StoryScore::BEST_AND_ARTICLE.combine(best, best, story);
                (combined, idx)
            })
            .collect();
        // Stable: equal stories keep the order of their best passages.
        stories.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut story_scores = HashMap::with_capacity(n_stories);
        let mut slots: Vec<Option<(ArticleKey, Vec<Ranked>)>> =
            articles.into_iter().map(Some).collect();
        for (combined, idx) in stories {
            if let Some((key, passages)) = slots[idx].take() {
                story_scores.insert(key, combined);
                ordered.extend(passages);
            }
        }
        ordered.extend(
            slots
                .into_iter()
                .flatten()
                .flat_map(|(_, passages)| passages),
        );
        Ok(story_scores)
    }

    fn io_error(&self, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: self.handle.path.clone(),
            source,
        }
    }

    /// The date of the newest article in the index: recency is measured from it, so that an
    /// archive of old news ranks the same today as on the day it was indexed.
    pub(super) fn newest_date(&self, searcher: &tantivy::Searcher) -> Option<i64> {
        let date_field = field_name(searcher.schema(), self.handle.fields.date);
        searcher
            .segment_readers()
            .iter()
            .filter(|segment| segment.num_docs() > 0)
            .filter_map(|segment| date_column(segment, date_field))
            .map(|column| column.max_value().into_timestamp_secs())
            .max()
    }
}

/// What results are ordered by, most significant first: (score, 0), or (date, score).
pub(super) type OrderKey = (f64, f64);

/// One ranked passage: its order key, its display score and its address.
pub(super) type Ranked = (OrderKey, Score, DocAddress);

/// How many passages to rank first for a page of `wanted`: one more than needed tells whether
/// more match; grouping by article needs a wider window.
pub(super) fn first_window(request: &SearchRequest, wanted: usize) -> usize {
    if request.per_article == 0 {
        wanted + 1
    } else {
        wanted * 3 + 10
    }
}

/// A passage in result order, before its stored fields are fetched.
pub(super) struct RankedPassage {
    pub(super) score: Score,
    pub(super) address: DocAddress,
    /// Its article's score in the story view (`Searcher::story_order`).
    pub(super) story_score: Option<Score>,
}

/// Whether results are in relevance order, by score alone (no recency, no field to sort by).
fn ranks_by_score(request: &SearchRequest) -> bool {
    request.sort == SortOrder::Relevance
        && request.recency_half_life.is_none()
        && request.sort_field.is_none()
}

/// What tells articles apart while ranking: in an index of one segment the ordinal of the
/// article id in that segment's sorted column (same order as the ids), else the id itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum ArticleKey {
    Ord(u64),
    Id(String),
}

/// `RECENCY_FLOOR + (1 - RECENCY_FLOOR) * 0.5^(age / half-life)`; undated passages get the floor.
pub(super) fn recency_factor(
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
pub(super) fn compare_order_keys(a: &OrderKey, b: &OrderKey) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then_with(|| a.1.total_cmp(&b.1))
}

/// Reads the article id and ordinal of passages from the fast columns, one pair of columns per
/// segment, opened on first use; articles are remembered, as reading an id decompresses a block.
pub(super) struct PassageKeys<'a> {
    pub(super) searcher: &'a tantivy::Searcher,
    pub(super) article_field: String,
    pub(super) ordinal_field: String,
    pub(super) shared: &'a std::sync::Mutex<HashMap<SegmentId, KeyColumns>>,
    pub(super) columns: HashMap<u32, KeyColumns>,
    pub(super) articles: HashMap<DocAddress, ArticleKey>,
    /// Per segment: its decoded article ids, when `article_terms` found them worth decoding.
    pub(super) article_tables: HashMap<u32, Option<std::sync::Arc<crate::facets::TermTable>>>,
}

impl<'a> PassageKeys<'a> {
    pub(super) fn new(
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
            article_tables: HashMap::new(),
        }
    }

    pub(super) fn columns(&mut self, segment_ord: u32) -> &KeyColumns {
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

    /// The passage's article id, as stored.
    fn article_id(&mut self, address: DocAddress) -> Result<String, IndexError> {
        let mut article_id = String::new();
        let path = std::path::PathBuf::from(&self.article_field);
        if let Some(column) = &self.columns(address.segment_ord).0
            && let Some(ord) = column.term_ords(address.doc_id).next()
        {
            column
                .ord_to_str(ord, &mut article_id)
                .map_err(|source| IndexError::Io { path, source })?;
        }
        Ok(article_id)
    }

    /// The decoded article ids of a segment, asked for once per search: decoding a whole
    /// dictionary pays off only in a process that searches again (a server, a benchmark); a
    /// single search reads its few ids one by one (`facets::repeated_segment_terms`).
    fn article_terms(
        &mut self,
        segment_ord: u32,
        segment: &SegmentReader,
    ) -> Option<std::sync::Arc<crate::facets::TermTable>> {
        let field = &self.article_field;
        self.article_tables
            .entry(segment_ord)
            .or_insert_with(|| {
                crate::facets::repeated_segment_terms(segment, field)
                    .ok()
                    .flatten()
            })
            .clone()
    }

    /// The passage's article: its id, or in an index of one segment the id's ordinal.
    pub(super) fn article(&mut self, address: DocAddress) -> Result<ArticleKey, IndexError> {
        if let Some(key) = self.articles.get(&address) {
            return Ok(key.clone());
        }
        let one_segment = self.searcher.segment_readers().len() == 1;
        let mut key = ArticleKey::Id(String::new());
        let column = self.columns(address.segment_ord).0.clone();
        if let Some(column) = &column
            && let Some(ord) = column.term_ords(address.doc_id).next()
        {
            let segment = self.searcher.segment_reader(address.segment_ord);
            key = if one_segment {
                ArticleKey::Ord(ord)
            } else if let Some(terms) = self.article_terms(address.segment_ord, segment)
                && let Some(article_id) = terms.term(ord)
            {
                // The decoded dictionary, when it is kept: no block decompression per passage.
                ArticleKey::Id(article_id.to_string())
            } else {
                ArticleKey::Id(self.article_id(address)?)
            };
        }
        self.articles.insert(address, key.clone());
        Ok(key)
    }
}

/// A segment's date column, when its passages have dates.
pub(super) fn date_column(
    segment: &SegmentReader,
    date_field: &str,
) -> Option<tantivy::columnar::Column<tantivy::DateTime>> {
    segment
        .fast_fields()
        .column_opt::<tantivy::DateTime>(date_field)
        .ok()
        .flatten()
}
