//! The classes of benchmark queries (a shape, and the filter it carries) and one query of a set.

use serde::{Deserialize, Serialize};

use crate::search::{Filters, SearchRequest};

/// The kind of a benchmark query: its shape, and the filter it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QueryClass {
    #[serde(rename = "term")]
    Term,
    #[serde(rename = "and")]
    And,
    #[serde(rename = "or")]
    Or,
    #[serde(rename = "phrase")]
    Phrase,
    #[serde(rename = "term+date")]
    TermDate,
    #[serde(rename = "and+date")]
    AndDate,
    #[serde(rename = "or+date")]
    OrDate,
    #[serde(rename = "phrase+date")]
    PhraseDate,
    #[serde(rename = "term+entity")]
    TermEntity,
    #[serde(rename = "and+entity")]
    AndEntity,
    #[serde(rename = "or+entity")]
    OrEntity,
    #[serde(rename = "phrase+entity")]
    PhraseEntity,
    /// A query from a file that fits none of the shapes above.
    #[serde(rename = "other")]
    Other,
}

/// The shape of a query, without its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Term,
    And,
    Or,
    Phrase,
}

/// The filter a generated query carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FilterKind {
    None,
    Date,
    Entity,
}

impl QueryClass {
    /// The classes of the generated mix, in report order.
    pub const GENERATED: [QueryClass; 12] = [
        QueryClass::Term,
        QueryClass::And,
        QueryClass::Or,
        QueryClass::Phrase,
        QueryClass::TermDate,
        QueryClass::AndDate,
        QueryClass::OrDate,
        QueryClass::PhraseDate,
        QueryClass::TermEntity,
        QueryClass::AndEntity,
        QueryClass::OrEntity,
        QueryClass::PhraseEntity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QueryClass::Term => "term",
            QueryClass::And => "and",
            QueryClass::Or => "or",
            QueryClass::Phrase => "phrase",
            QueryClass::TermDate => "term+date",
            QueryClass::AndDate => "and+date",
            QueryClass::OrDate => "or+date",
            QueryClass::PhraseDate => "phrase+date",
            QueryClass::TermEntity => "term+entity",
            QueryClass::AndEntity => "and+entity",
            QueryClass::OrEntity => "or+entity",
            QueryClass::PhraseEntity => "phrase+entity",
            QueryClass::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<QueryClass> {
        QueryClass::GENERATED
            .into_iter()
            .chain([QueryClass::Other])
            .find(|class| class.name() == name.trim())
    }

    pub(super) fn parts(self) -> Option<(Shape, FilterKind)> {
        let shape = match self {
            QueryClass::Term | QueryClass::TermDate | QueryClass::TermEntity => Shape::Term,
            QueryClass::And | QueryClass::AndDate | QueryClass::AndEntity => Shape::And,
            QueryClass::Or | QueryClass::OrDate | QueryClass::OrEntity => Shape::Or,
            QueryClass::Phrase | QueryClass::PhraseDate | QueryClass::PhraseEntity => Shape::Phrase,
            QueryClass::Other => return None,
        };
        let filter = match self {
            QueryClass::TermDate
            | QueryClass::AndDate
            | QueryClass::OrDate
            | QueryClass::PhraseDate => FilterKind::Date,
            QueryClass::TermEntity
            | QueryClass::AndEntity
            | QueryClass::OrEntity
            | QueryClass::PhraseEntity => FilterKind::Entity,
            _ => FilterKind::None,
        };
        Some((shape, filter))
    }

    /// Names the shape of a query from a file that gives no class.
    pub fn classify(query: &str) -> QueryClass {
        let query = query.trim();
        let words: Vec<&str> = query.split_whitespace().collect();
        let bare = |word: &str| word.chars().all(|c| c.is_alphanumeric() || c == '-');
        if words.len() == 1 && bare(words[0]) {
            return QueryClass::Term;
        }
        let inner = query
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'));
        if let Some(inner) = inner
            && !inner.contains('"')
            && inner.split_whitespace().all(bare)
        {
            return QueryClass::Phrase;
        }
        let is_operand = |word: &str| bare(word.trim_start_matches('+'));
        if words.len() == 3 && words[1] == "AND" && is_operand(words[0]) && is_operand(words[2]) {
            return QueryClass::And;
        }
        if words.len() > 1 && words.iter().all(|w| w.starts_with('+') && bare(&w[1..])) {
            return QueryClass::And;
        }
        if words.len() == 3 && words[1] == "OR" && bare(words[0]) && bare(words[2]) {
            return QueryClass::Or;
        }
        QueryClass::Other
    }
}

impl std::fmt::Display for QueryClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One query of the set, kept small so that a million of them fit in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchQuery {
    pub class: QueryClass,
    pub query: Box<str>,
    pub filters: Option<Box<Filters>>,
}

impl BenchQuery {
    pub fn request(&self) -> SearchRequest {
        let mut request = SearchRequest::new(self.query.to_string());
        if let Some(filters) = &self.filters {
            request.filters = (**filters).clone();
        }
        request
    }
}
