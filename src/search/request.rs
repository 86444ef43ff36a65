//! What a search asks for and what it answers: boosts, filters, order, the request, the results.

use super::suggest::Suggestion;
use crate::query::Node;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tantivy::query::Query;
use tantivy::schema::Field;

use super::cancel::Cancel;
use crate::facets::Facets;
use crate::model::{Hit, Keyword};
use crate::schema::Fields;
use crate::snippet::{self, HighlightTerms};

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
    /// Outlets: any of them.
    pub sources: Vec<String>,
    /// Authors: any of them.
    pub authors: Vec<String>,
    /// Languages: any of them.
    pub languages: Vec<String>,
}

impl Filters {
    /// The values each keyword field is filtered on (any of them), for the keywords given.
    pub fn keywords(&self) -> impl Iterator<Item = (Keyword, &[String])> {
        [
            (Keyword::Category, &self.categories),
            (Keyword::Source, &self.sources),
            (Keyword::Author, &self.authors),
            (Keyword::Language, &self.languages),
        ]
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(keyword, values)| (keyword, values.as_slice()))
    }
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

/// How a search lays out its hits: one result per passage, or the story view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// One result per passage.
    #[default]
    Passage,
    /// One result per article, its passages under it.
    Article,
}

/// What a search does with near-copies of an article (`fingerprint::is_near`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Duplicates {
    /// One hit for the best of the copies, naming the others (`Hit::duplicates`).
    #[default]
    Collapse,
    /// Every copy is a hit of its own.
    Show,
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
    /// `Group::Article`, the story view: in relevance order (without recency or
    /// `sort_field`), the articles of the best passages rank as stories
    /// (`story::StoryScore::BEST_AND_ARTICLE`: the best passage plus the BM25 of the whole
    /// article), each article's passages together.
    pub group: Group,
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
    /// Without `facets`: count the entities of the best this many passages only (0: not at
    /// all), and no categories, outlets or months. Cheap, unlike counting every match.
    pub facet_sample: usize,
    pub boosts: FieldBoosts,
    /// Stops the search when set or past its deadline (`IndexError::Cancelled`); the default
    /// never stops. The server gives every search its request's deadline.
    pub cancel: Cancel,
    pub duplicates: Duplicates,
    /// Weight of the proximity bonus (`proximity`): in relevance order without recency, the
    /// best `proximity::RERANK_DEPTH` passages of a query of two or more words score extra
    /// where those words stand close together. 0 turns it off.
    pub proximity: f32,
    /// Order by a declared number or date field (`[fields.extra]`) instead of `sort`:
    /// passages without a value last.
    pub sort_field: Option<SortField>,
}

/// A declared number or date field to order by, largest (newest) first unless `ascending`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortField {
    pub name: String,
    pub ascending: bool,
}

impl std::str::FromStr for SortField {
    type Err = String;

    /// `NAME`, or `NAME:asc` / `NAME:desc`.
    fn from_str(text: &str) -> Result<SortField, String> {
        let (name, ascending) = match text.rsplit_once(':') {
            Some((name, "asc")) => (name, true),
            Some((name, "desc")) => (name, false),
            Some((_, order)) => return Err(format!("unknown order `{order}`; use asc or desc")),
            None => (text, false),
        };
        if name.is_empty() {
            return Err("expected a field name, as NAME or NAME:asc".to_string());
        }
        Ok(SortField {
            name: name.to_string(),
            ascending,
        })
    }
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
            group: Group::Passage,
            sort: SortOrder::Relevance,
            recency_half_life: None,
            explain: false,
            facets: false,
            count: false,
            facet_sample: 0,
            boosts: FieldBoosts::default(),
            cancel: Cancel::default(),
            sort_field: None,
            duplicates: Duplicates::Collapse,
            proximity: super::proximity::PROXIMITY_WEIGHT,
        }
    }
}

#[derive(Debug, Clone, Default)]
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
    /// Words of the query that few or no passages hold, with the words suggested instead.
    pub suggestions: Vec<Suggestion>,
    /// The query with the suggestions in place, when there are some.
    pub did_you_mean: Option<String>,
    /// How the query was run, where the user should know (a prefix word's expansions cut).
    pub notices: Vec<String>,
}

/// A compiled query with what to highlight.
pub struct CompiledQuery {
    pub query: Box<dyn Query>,
    pub highlight: HighlightTerms,
    /// The query as parsed.
    pub node: Node,
    /// Index terms its prefix and fuzzy words expanded to (at most `MAX_EXPANDED_TERMS`).
    pub expanded_terms: usize,
    /// How the query was run, where the user should know (a word's expansions cut).
    pub notices: Vec<String>,
}
