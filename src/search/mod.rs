//! Search stage: query text + filters -> ranked `Hit`s, data only (never formatted output).
//!
//! Parts, in the order a search runs them: `request` (what is asked: boosts, filters, order),
//! `searcher` (the open index), this module (`Searcher::search`, the filters and the query
//! with its entity expansion), `compile` (the `Node` tree -> tantivy queries, fuzzy and prefix
//! words expanded to index terms), `expand` (the entities a query names), `filtered` and `union`
//! (query types that keep top-k pruning), `rank` (result order, per-article grouping, counts,
//! facets), `proximity` (the first passages rescored by how close the query's words stand),
//! `fetch` (stored fields, snippet, explanation -> `Hit`).

pub mod cancel;
#[cfg(test)]
mod cancel_tests;
mod compile;
mod dedup;
mod exclusion;
pub mod expand;
pub mod expanded;
mod fetch;
pub mod filtered;
#[cfg(test)]
mod keyword_tests;
mod phrase;
pub mod plan;
pub mod proximity;
mod rank;
mod request;
mod searcher;
pub mod story;
pub mod suggest;
#[cfg(test)]
mod tests;
pub mod union;

use std::ops::Bound;
use std::time::Instant;

use chrono::{DateTime, Utc};
use tantivy::TantivyDocument;
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};

use crate::error::IndexError;
use crate::query;
use crate::snippet::HighlightTerms;
pub use cancel::{Cancel, CancelOnDrop};
use cancel::{CancellableQuery, PRUNE_MAX_EXPANDED_TERMS};
use compile::{Compiler, IndexVocabulary, date_term, flatten_should};
use expand::entity_expansion;
use expanded::ExpandedQuery;
pub use fetch::make_hit;
use filtered::FilteredQuery;
use plan::{plan_filters, plan_query};
pub use rank::recency_factor_secs;
use rank::{RankedPassage, first_window};
pub use request::*;
pub use searcher::Searcher;

impl Searcher {
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
        let node = query::parse_with(text, default_occur, Utc::now(), &self.extras())
            .map_err(IndexError::Parse)?;
        let searcher = self.reader.searcher();
        let extractor = self.extractor();
        let vocabulary = IndexVocabulary {
            searcher: &searcher,
            fields: self.handle.fields,
            extractor: &extractor,
        };
        let plan = plan_query(&node, boosts, &vocabulary)?;
        let mut compiler = Compiler {
            searcher: &searcher,
            fields: self.handle.fields,
            highlight: plan.highlight,
            expanded_terms: 0,
            notices: Vec::new(),
        };
        let query = compiler.clause(&plan.root)?;
        Ok(CompiledQuery {
            query,
            highlight: compiler.highlight,
            node,
            expanded_terms: compiler.expanded_terms,
            notices: compiler.notices,
        })
    }

    /// Parses the user's query with words optional; errors are one line that names the problem.
    pub fn parse_query(&self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        Ok(self.compile(text, false, FieldBoosts::default())?.query)
    }

    /// The query for the filters alone, or `None` when there are none.
    pub fn filter_query(&self, filters: &Filters) -> Result<Option<Box<dyn Query>>, IndexError> {
        let searcher = self.reader.searcher();
        let extractor = self.extractor();
        let fields = self.handle.fields;
        let vocabulary = IndexVocabulary {
            searcher: &searcher,
            fields,
            extractor: &extractor,
        };
        let plan = plan_filters(filters, &vocabulary)?;
        let mut compiler = Compiler {
            searcher: &searcher,
            fields,
            highlight: HighlightTerms::default(),
            expanded_terms: 0,
            notices: Vec::new(),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if plan.since.is_some() || plan.until.is_some() {
            let bound = |date: Option<DateTime<Utc>>| match date {
                None => Bound::Unbounded,
                Some(date) => Bound::Included(date_term(fields.date, date)),
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(bound(plan.since), bound(plan.until))),
            ));
        }
        for clause in &plan.clauses {
            clauses.push((Occur::Must, compiler.clause(clause)?));
        }
        Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
    }

    /// The ranked query plus its entity expansion, restricted by the search's filter:
    /// passages naming a query's entity in another form match too, ranked below the others.
    /// As an `ExpandedQuery` it scores as one flat union of the query's terms and the
    /// expansion's, while its top-k loop prunes on the query's own terms.
    fn with_entity_expansion(
        &self,
        searcher: &tantivy::Searcher,
        query_text: &str,
        query: &dyn Query,
        filter: Option<&dyn Query>,
    ) -> Result<Box<dyn Query>, IndexError> {
        let filtered = |query: Box<dyn Query>| -> Box<dyn Query> {
            match filter {
                Some(filter) => Box::new(FilteredQuery::new(query, filter.box_clone())),
                None => query,
            }
        };
        let expansion =
            entity_expansion(&self.extractor(), &self.handle.fields, query_text, searcher)
                .map_err(|source| self.tantivy_error(source))?;
        Ok(match expansion {
            Some((expansion, max_bonus)) => {
                let union = BooleanQuery::new(flatten_should(vec![
                    (Occur::Should, query.box_clone()),
                    (Occur::Should, expansion.box_clone()),
                ]));
                Box::new(ExpandedQuery::new(
                    filtered(query.box_clone()),
                    filtered(expansion),
                    filtered(Box::new(union)),
                    max_bonus,
                ))
            }
            None => filtered(query.box_clone()),
        })
    }

    /// Runs a search: compile, filter, rank, group, count, fetch and snippet. A search whose
    /// `cancel` is set or past its deadline stops (before each segment and every
    /// `cancel::CHECK_EVERY` documents of the loops that visit matches) with
    /// `IndexError::Cancelled`.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let cancel = &request.cancel;
        cancel.check()?;
        let result = self.search_until_cancelled(request);
        // A loop that was stopped ends early, so whatever it found is not an answer; an error
        // raised because of the stop is the stop.
        match result {
            _ if cancel.is_cancelled() => Err(IndexError::Cancelled),
            result => result,
        }
    }

    fn search_until_cancelled(&self, request: &SearchRequest) -> Result<SearchResults, IndexError> {
        let started = Instant::now();
        let compiled = self.compile(&request.query, request.require_all, request.boosts)?;
        let filter = self.filter_query(&request.filters)?;
        request.cancel.check()?;
        let searcher = self.reader.searcher();
        let query = self.with_entity_expansion(
            &searcher,
            &request.query,
            &*compiled.query,
            filter.as_deref(),
        )?;
        // Only a search that can be stopped pays for the checks. A query of many expanded
        // terms is ranked by visiting its matches, which stops at the deadline, rather than by
        // block-max WAND, which cannot be stopped inside a segment.
        let query: Box<dyn Query> = if request.cancel.is_active() {
            Box::new(CancellableQuery::new(
                query,
                request.cancel.clone(),
                compiled.expanded_terms <= PRUNE_MAX_EXPANDED_TERMS,
            ))
        } else {
            query
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
        let sample_ranking = sample
            .as_ref()
            .map(|(top, window)| (top.as_slice(), *window));
        let (ranked, exhausted) = match request.duplicates {
            Duplicates::Collapse => {
                self.ranked_folded(&searcher, &*query, request, wanted, sample_ranking)?
            }
            Duplicates::Show => {
                let (ranked, exhausted) =
                    self.ranked_passages(&searcher, &*query, request, wanted, sample_ranking)?;
                let unfolded = ranked.into_iter().map(|passage| (passage, Vec::new()));
                (unfolded.collect(), exhausted)
            }
        };
        let more = ranked.len() > wanted || !exhausted;
        let page: Vec<(RankedPassage, Vec<tantivy::DocAddress>)> = ranked
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .collect();

        let (facets, facet_sample) = if request.facets {
            let tally = searcher
                .search(&*query, &self.facet_collector(&searcher))
                .map_err(|source| self.tantivy_error(source))?;
            let tally = tally.canonical(&self.spellings(&searcher));
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
        request.cancel.check()?;
        let ranking_time = started.elapsed();

        let fetch_started = Instant::now();
        let mut analyzer = self.english.clone();
        let newest = match (request.explain, request.recency_half_life) {
            (true, Some(_)) => self.newest_date(&searcher),
            _ => None,
        };
        let mut hits = Vec::with_capacity(page.len());
        // Read only when there is a hit to show.
        let spellings = if page.is_empty() {
            Default::default()
        } else {
            self.spellings(&searcher)
        };
        for (idx, (passage, copies)) in page.into_iter().enumerate() {
            let RankedPassage {
                score,
                address,
                story_score,
            } = passage;
            // Snippets of a query of many words cost; a page of them stops between hits.
            request.cancel.check()?;
            let document: TantivyDocument = searcher
                .doc(address)
                .map_err(|source| self.tantivy_error(source))?;
            let mut hit = make_hit(
                self.stored_fields(&document, &spellings),
                request.offset + idx + 1,
                score,
                &compiled.highlight,
                &mut analyzer,
                request.fragments,
            );
            hit.duplicates = self.duplicate_refs(&searcher, &copies)?;
            hit.story_score = story_score;
            if request.explain {
                hit.explanation =
                    Some(self.explain(&searcher, &*query, address, request, newest, score)?);
            }
            hits.push(hit);
        }
        // A rare word's suggestion: a few term lookups, and a scan only for a rare word.
        let suggestions = suggest::suggest(
            &searcher,
            &self.handle.fields,
            &compiled.node,
            &mut analyzer,
        );
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
            notices: compiled.notices,
            did_you_mean: (!suggestions.is_empty())
                .then(|| suggest::corrected_query(&request.query, &suggestions)),
            suggestions,
        })
    }
}
