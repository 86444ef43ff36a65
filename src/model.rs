//! The data that flows through the pipeline: `Article` (ingest) -> `Passage` (passage split and
//! extraction) -> `Hit` (search). Plain data with no I/O and no tantivy types.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One article as read from the corpus, before it is split into passages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// Stable identifier: the path relative to the corpus root, with `#N` or `#id` for records
    /// inside a multi-article file.
    pub id: String,
    /// Path of the file the article came from, relative to the corpus root.
    pub path: PathBuf,
    pub title: String,
    /// The title says nothing the text does not: it was made from the lead (the source gave
    /// none), or it is the only text there is. Such a title is not searched again as part of
    /// every passage (`all`); `title:` still finds it.
    pub title_repeats_text: bool,
    pub date: Option<DateTime<Utc>>,
    /// The desks, categories or topics from metadata, or else the first folder under the corpus
    /// root; empty when there is neither. Multi-valued, filterable and facetable.
    pub categories: Vec<String>,
    /// The article's address (`url`, `link`) when the source gives one; stored, not searched.
    pub url: Option<String>,
    /// The outlet that published it (`source`, `og:site_name`; else the host of its URL, without
    /// `www.`). Filterable and facetable, as written.
    pub source: Option<String>,
    /// Its authors (`author`, `byline`), in the order given. Filterable and facetable.
    pub authors: Vec<String>,
    /// Its language as the source gives it (`language`, `lang`, `<html lang>`).
    pub language: Option<String>,
    /// The opening paragraph, which sits under no heading.
    pub lead: String,
    pub sections: Vec<Section>,
    /// Entity names given by the source itself (for instance a wire service's place labels).
    pub given_entities: Vec<Entity>,
    /// Values of the fields the user declared (`[fields.extra]`, `--extra`), in declaration
    /// order; a field may give several keyword values.
    pub extras: Vec<ExtraValue>,
    /// Problems found while reading that did not stop the article from going in.
    pub warnings: Vec<String>,
}

/// A heading and the paragraphs under it. A section without heading holds paragraphs that come
/// before the first heading but after the lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: Option<String>,
    pub paragraphs: Vec<String>,
}

/// The unit that is indexed and returned: a paragraph, or a sentence-bounded piece of a long one.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub article_id: String,
    /// Position of the passage within its article, from 0 (the lead).
    pub ordinal: u32,
    /// The heading the passage sits under; `None` for the lead and for text before any heading.
    pub section: Option<String>,
    pub text: String,
    pub entities: Vec<Entity>,
}

/// The type of a field the user declares (`[fields.extra]`, `--extra NAME:TYPE`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ExtraType {
    /// An exact value, matched case- and accent-insensitively: filtered and faceted.
    Keyword,
    /// Words, searched with the English analyser by `name:word` and shown.
    Text,
    /// A number: range filters (`words:[500 TO *]`) and sorting.
    Number,
    /// A date: range filters (`filed:[2024-01-01 TO *]`) and sorting.
    Date,
}

impl ExtraType {
    pub const ALL: [ExtraType; 4] = [
        ExtraType::Keyword,
        ExtraType::Text,
        ExtraType::Number,
        ExtraType::Date,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExtraType::Keyword => "keyword",
            ExtraType::Text => "text",
            ExtraType::Number => "number",
            ExtraType::Date => "date",
        }
    }
}

impl fmt::Display for ExtraType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field the user declared: the record field `name`, read as `kind`. The index keeps the
/// list (in its commit payload), so that a search knows the fields it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExtraField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ExtraType,
}

impl ExtraField {
    /// Whether `name` can name a field in the query language (`name:value`): lower-case ASCII
    /// letters, digits and `_`, starting with a letter.
    pub fn is_valid_name(name: &str) -> bool {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }
}

/// One value of a declared field, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraValue {
    pub name: String,
    pub value: ExtraData,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExtraData {
    Keyword(String),
    Text(String),
    Number(f64),
    Date(DateTime<Utc>),
}

impl ExtraData {
    /// The value as hits, `inspect` and Quickwit show it: text as written, a whole number
    /// without a fraction (`number_json`), a date in RFC 3339 (`date_json`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ExtraData::Keyword(text) | ExtraData::Text(text) => {
                serde_json::Value::from(text.as_str())
            }
            ExtraData::Number(number) => number_json(*number),
            ExtraData::Date(date) => date_json(*date),
        }
    }
}

/// A number as JSON: a whole number as an integer (`1200`, not `1200.0`), others as they are.
pub fn number_json(number: f64) -> serde_json::Value {
    if number.fract() == 0.0 && number.abs() < 9e15 {
        serde_json::Value::from(number as i64)
    } else {
        serde_json::Number::from_f64(number)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// A date as JSON: RFC 3339 in UTC with whole seconds (`2024-04-06T00:00:00Z`).
pub fn date_json(date: DateTime<Utc>) -> serde_json::Value {
    serde_json::Value::from(date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// An article's declared values by name, as JSON (`ExtraData::to_json`): a field with several
/// values holds a list of them.
pub fn extras_json(extras: &[ExtraValue]) -> serde_json::Map<String, serde_json::Value> {
    let mut object = serde_json::Map::new();
    for extra in extras {
        let value = extra.value.to_json();
        match object.get_mut(&extra.name) {
            None => {
                object.insert(extra.name.clone(), value);
            }
            Some(serde_json::Value::Array(list)) => list.push(value),
            Some(first) => *first = serde_json::Value::Array(vec![first.take(), value]),
        }
    }
    object
}

/// The fields of an article that hold exact values: filtered (`--source`, `author:`) and
/// counted in facets, matched case- and accent-insensitively, never ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Keyword {
    Category,
    Source,
    Author,
    Language,
}

impl Keyword {
    pub const ALL: [Keyword; 4] = [
        Keyword::Category,
        Keyword::Source,
        Keyword::Author,
        Keyword::Language,
    ];

    /// Its name in the query language, the schema and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Category => "category",
            Keyword::Source => "source",
            Keyword::Author => "author",
            Keyword::Language => "language",
        }
    }
}

/// A named entity under its canonical name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entity {
    pub name: String,
    pub kind: EntityKind,
}

/// The closed set of entity kinds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Place,
    Organisation,
    Other,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] = [
        EntityKind::Person,
        EntityKind::Place,
        EntityKind::Organisation,
        EntityKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Person => "person",
            EntityKind::Place => "place",
            EntityKind::Organisation => "organisation",
            EntityKind::Other => "other",
        }
    }

    /// Parses a kind name, accepting the common short forms used by NER data sets.
    pub fn parse(text: &str) -> Option<EntityKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "person" | "per" | "people" => Some(EntityKind::Person),
            "place" | "loc" | "location" | "country" | "city" | "region" => Some(EntityKind::Place),
            "organisation" | "organization" | "org" => Some(EntityKind::Organisation),
            "other" | "misc" => Some(EntityKind::Other),
            _ => None,
        }
    }
}

/// Parses a stored `kind:Name` entity label.
pub fn parse_entity_label(label: &str) -> Option<Entity> {
    let (kind, name) = split_entity_label(label)?;
    Some(Entity {
        name: name.to_string(),
        kind,
    })
}

/// A stored `kind:Name` label as its kind and name, without copying the name.
pub fn split_entity_label(label: &str) -> Option<(EntityKind, &str)> {
    let (kind, name) = label.split_once(':')?;
    // The stored kinds first: `EntityKind::parse` allocates to fold case.
    let kind = match kind {
        "person" => EntityKind::Person,
        "place" => EntityKind::Place,
        "organisation" => EntityKind::Organisation,
        "other" => EntityKind::Other,
        _ => EntityKind::parse(kind)?,
    };
    Some((kind, name))
}

/// An entity of an index that a name a user typed may mean: for messages that list
/// candidates or suggestions, and for `entities --like`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityCandidate {
    pub name: String,
    pub kind: EntityKind,
    /// Passages that mention it.
    pub passages: u64,
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A passage's stored fields, as either backend returns them; `search::make_hit` turns them
/// into a `Hit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredFields {
    pub article_id: String,
    pub path: String,
    pub title: String,
    pub date: Option<DateTime<Utc>>,
    pub categories: Vec<String>,
    pub url: Option<String>,
    pub source: Option<String>,
    pub authors: Vec<String>,
    pub language: Option<String>,
    pub section: Option<String>,
    pub ordinal: u32,
    pub text: String,
    pub entities: Vec<Entity>,
    /// The values of the declared fields (`[fields.extra]`), by name: a string, a number, a
    /// date as RFC 3339, or a list of them.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A near-copy folded into a hit: the article and its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateRef {
    pub path: String,
    pub article_id: String,
}

/// One ranked search result: data only, formatting happens in `render`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub article_id: String,
    pub path: String,
    pub title: String,
    /// ISO 8601 date-time in UTC, or null for undated articles.
    pub date: Option<DateTime<Utc>>,
    /// The article's categories (desks, topics), in the order the source gave them.
    pub categories: Vec<String>,
    /// The article's address, when the source gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The outlet that published the article, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The article's authors, when the source names them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// The article's language, when the source gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub section: Option<String>,
    pub ordinal: u32,
    /// The whole passage text.
    pub passage: String,
    /// The best fragments joined by " … ", with highlights as byte ranges into this string.
    pub snippet: String,
    pub highlights: Vec<std::ops::Range<usize>>,
    pub entities: Vec<Entity>,
    /// The values of the fields the user declared (`[fields.extra]`), by name.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Matching passages of the same article left out by `--per-article`.
    pub more_in_article: usize,
    /// In the story view (`--group article`), the score its article ranks by: its best
    /// passage's plus the BM25 of its whole text. Absent where articles rank by their best
    /// passage alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story_score: Option<f32>,
    /// Near-copies of this passage's article folded into it (`--duplicates collapse`), best
    /// first: other articles whose fingerprints are within `fingerprint::NEAR_DUPLICATE_DISTANCE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<DuplicateRef>,
    /// Why the passage got its score (`--explain`): a tree of `value`, `description`, `details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<serde_json::Value>,
}
