//! Quickwit documents: (`Article`, `Passage`) -> one JSON object per passage (NDJSON), with
//! newsdex's own analysis in the `_stems` fields and folded keys in the raw fields; the stored
//! passage a search returns -> `Hit` fields; NDJSON lines -> bounded batches. No I/O, no
//! snippets, no requests.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{english_analyzer, keyword_analyzer};
use crate::facets::parse_entity_label;
use crate::index::TITLE_WEIGHT;
use crate::model::{
    Article, Entity, EntityKind, ExtraData, ExtraValue, Passage, StoredFields, extras_json,
    number_json,
};

/// One passage as Quickwit stores it. Field names match `mapping::field`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuickwitDocument {
    pub passage_id: String,
    pub article_id: String,
    pub path: String,
    pub title: String,
    pub title_stems: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub section_stems: String,
    /// Folded category keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<String>,
    /// The categories as written.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub category_name: Vec<String>,
    /// Folded keys and values as written of the outlet, the authors and the language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_name: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub author_name: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub language_name: Vec<String>,
    pub entities: Vec<String>,
    pub entity_labels: Vec<String>,
    pub ordinal: u64,
    pub text: String,
    pub text_stems: String,
    /// The title (`index::TITLE_WEIGHT` times, unless it repeats the text), the heading and
    /// the text, analysed, one value each: the terms and length of the local `all`.
    pub all_stems: Vec<String>,
    /// The declared fields (`mapping::field::EXTRA` and its twins), by name.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra_keys: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra_numbers: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra_stems: serde_json::Map<String, serde_json::Value>,
}

/// The analysers a document needs, made once and reused.
pub struct Analysers {
    english: TextAnalyzer,
    keyword: TextAnalyzer,
}

impl Default for Analysers {
    fn default() -> Analysers {
        Analysers {
            english: english_analyzer(),
            keyword: keyword_analyzer(),
        }
    }
}

impl Analysers {
    /// The English tokens of `text` (lower-cased, folded, stop words dropped, stemmed).
    pub fn stems(&mut self, text: &str) -> Vec<String> {
        tokens(&mut self.english, text)
    }

    /// `text` analysed as newsdex does locally, tokens joined by single spaces.
    pub fn stem_text(&mut self, text: &str) -> String {
        self.stems(text).join(" ")
    }

    /// A name folded the way the local index folds keywords (lower case, ASCII).
    pub fn fold(&mut self, text: &str) -> String {
        tokens(&mut self.keyword, text).join(" ")
    }
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Each value folded (`Analysers::fold`).
fn fold_all<'a>(
    analysers: &mut Analysers,
    values: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    values.map(|value| analysers.fold(value)).collect()
}

/// The id of a passage: its article's id and its ordinal.
pub fn passage_id(article_id: &str, ordinal: u32) -> String {
    format!("{article_id}-{ordinal}")
}

/// RFC 3339 in UTC with whole seconds, the `date` field's input format.
pub fn format_date(date: DateTime<Utc>) -> String {
    date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Encodes one passage of an article.
pub fn encode(analysers: &mut Analysers, article: &Article, passage: &Passage) -> QuickwitDocument {
    let mut document = encode_without_entities(analysers, article, passage);
    set_entities(analysers, &mut document, &passage.entities);
    document
}

/// Sets a document's entities: folded keys (`entities`) and `kind:Name` labels.
pub fn set_entities(
    analysers: &mut Analysers,
    document: &mut QuickwitDocument,
    entities: &[Entity],
) {
    document.entities = entities
        .iter()
        .map(|entity| analysers.fold(&entity.name))
        .collect();
    document.entities.dedup();
    document.entity_labels = entities
        .iter()
        .map(|entity| format!("{}:{}", entity.kind.as_str(), entity.name))
        .collect();
}

/// `encode` without the passage's entities (`set_entities` adds them).
pub fn encode_without_entities(
    analysers: &mut Analysers,
    article: &Article,
    passage: &Passage,
) -> QuickwitDocument {
    let extras = extra_objects(analysers, &article.extras);
    passage_without_entities(analysers, article, passage, &extras)
}

/// `encode_without_entities` for every passage of an article, its declared values analysed
/// once for all of them.
pub fn encode_article_without_entities(
    analysers: &mut Analysers,
    article: &Article,
    passages: &[Passage],
) -> Vec<QuickwitDocument> {
    let extras = extra_objects(analysers, &article.extras);
    passages
        .iter()
        .map(|passage| passage_without_entities(analysers, article, passage, &extras))
        .collect()
}

/// One passage's document, the article's declared values taken from `extras`
/// (`extra_objects`).
fn passage_without_entities(
    analysers: &mut Analysers,
    article: &Article,
    passage: &Passage,
    extras: &QuickwitDocument,
) -> QuickwitDocument {
    let title_stems = analysers.stem_text(&article.title);
    let section_stems = passage
        .section
        .as_deref()
        .map(|section| analysers.stem_text(section))
        .unwrap_or_default();
    let text_stems = analysers.stem_text(&passage.text);
    let mut all_stems = Vec::with_capacity(TITLE_WEIGHT + 2);
    if !article.title_repeats_text && !title_stems.is_empty() {
        all_stems.extend(std::iter::repeat_n(title_stems.clone(), TITLE_WEIGHT));
    }
    if !section_stems.is_empty() {
        all_stems.push(section_stems.clone());
    }
    if !text_stems.is_empty() {
        all_stems.push(text_stems.clone());
    }
    QuickwitDocument {
        passage_id: passage_id(&article.id, passage.ordinal),
        article_id: article.id.clone(),
        path: article.path.to_string_lossy().into_owned(),
        title: article.title.clone(),
        title_stems,
        date: article.date.map(format_date),
        section: passage.section.clone(),
        section_stems,
        category: fold_all(analysers, article.categories.iter()),
        category_name: article.categories.clone(),
        source: fold_all(analysers, article.source.iter()),
        source_name: article.source.iter().cloned().collect(),
        author: fold_all(analysers, article.authors.iter()),
        author_name: article.authors.clone(),
        language: fold_all(analysers, article.language.iter()),
        language_name: article.language.iter().cloned().collect(),
        entities: Vec::new(),
        entity_labels: Vec::new(),
        ordinal: u64::from(passage.ordinal),
        text: passage.text.clone(),
        text_stems,
        all_stems,
        extra: extras.extra.clone(),
        extra_keys: extras.extra_keys.clone(),
        extra_numbers: extras.extra_numbers.clone(),
        extra_stems: extras.extra_stems.clone(),
    }
}

/// The declared values of an article in the four `extra` objects (the display one is
/// `model::extras_json`; each value's twin goes into the object its type is searched in); the
/// rest of the document left empty.
fn extra_objects(analysers: &mut Analysers, extras: &[ExtraValue]) -> QuickwitDocument {
    use serde_json::Value;
    let mut document = QuickwitDocument {
        extra: extras_json(extras),
        ..QuickwitDocument::default()
    };
    for extra in extras {
        let (object, value) = match &extra.value {
            ExtraData::Keyword(text) => {
                (&mut document.extra_keys, Value::from(analysers.fold(text)))
            }
            ExtraData::Text(text) => (
                &mut document.extra_stems,
                Value::from(analysers.stem_text(text)),
            ),
            ExtraData::Number(number) => (&mut document.extra_numbers, number_json(*number)),
            ExtraData::Date(date) => (&mut document.extra_numbers, Value::from(date.timestamp())),
        };
        match object.get_mut(&extra.name) {
            None => {
                object.insert(extra.name.clone(), value);
            }
            Some(Value::Array(list)) => list.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    document
}

/// One NDJSON line (without the newline).
pub fn to_ndjson_line(document: &QuickwitDocument) -> String {
    // A struct of strings, numbers and lists of strings always serialises.
    serde_json::to_string(document).expect("a document serialises to JSON")
}

/// A passage as a search returns it. Every field is optional: older indexes (such as the one
/// in the recordings) lack `entity_labels` and `category_name`, and hold `category` as a list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StoredPassage {
    pub passage_id: String,
    pub article_id: String,
    pub path: String,
    pub title: String,
    pub date: Option<DateTime<Utc>>,
    pub section: Option<String>,
    pub category: Option<OneOrMany>,
    pub category_name: Option<OneOrMany>,
    pub source_name: Vec<String>,
    pub author_name: Vec<String>,
    pub language_name: Vec<String>,
    pub entities: Vec<String>,
    pub entity_labels: Vec<String>,
    pub ordinal: u64,
    pub text: String,
    /// The declared fields' values as written (`QuickwitDocument::extra`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A value Quickwit returns as a string or as a list of strings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl StoredPassage {
    /// The fields a hit shows (Quickwit's documents carry no URL).
    pub fn into_stored_fields(mut self) -> StoredFields {
        StoredFields {
            categories: self.categories(),
            section: self.section(),
            entities: self.entities(),
            ordinal: u32::try_from(self.ordinal).unwrap_or(u32::MAX),
            url: None,
            source: self.source_name.first().cloned(),
            authors: std::mem::take(&mut self.author_name),
            language: self.language_name.first().cloned(),
            article_id: self.article_id,
            path: self.path,
            title: self.title,
            date: self.date,
            text: self.text,
            extra: std::mem::take(&mut self.extra),
        }
    }

    /// The categories as written when stored, or else the (folded) keys.
    pub fn categories(&self) -> Vec<String> {
        let values = |field: &Option<OneOrMany>| match field {
            Some(OneOrMany::One(value)) => vec![value.clone()],
            Some(OneOrMany::Many(values)) => values.clone(),
            None => Vec::new(),
        };
        let mut categories = values(&self.category_name);
        if categories.is_empty() {
            categories = values(&self.category);
        }
        categories.retain(|value| !value.is_empty());
        categories
    }

    /// The section heading; Quickwit returns an empty string for none.
    pub fn section(&self) -> Option<String> {
        self.section.clone().filter(|section| !section.is_empty())
    }

    /// Entities from their labels, or else from the folded keys (kind unknown).
    pub fn entities(&self) -> Vec<Entity> {
        if self.entity_labels.is_empty() {
            return self
                .entities
                .iter()
                .map(|key| Entity {
                    name: key.clone(),
                    kind: EntityKind::Other,
                })
                .collect();
        }
        self.entity_labels
            .iter()
            .filter_map(|label| parse_entity_label(label))
            .collect()
    }
}

/// NDJSON lines grouped into batches of at most `max_bytes` and `max_docs`, remembering the
/// articles each batch holds (to name them when Quickwit rejects some of its documents).
#[derive(Debug)]
pub struct Batcher {
    max_bytes: usize,
    max_docs: usize,
    current: Batch,
}

/// One batch of NDJSON lines.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Batch {
    pub body: String,
    pub n_docs: usize,
    /// Paths of the articles with passages in this batch, in order, without repeats.
    pub article_paths: Vec<String>,
}

impl Batcher {
    pub fn new(max_bytes: usize, max_docs: usize) -> Batcher {
        Batcher {
            max_bytes: max_bytes.max(1),
            max_docs: max_docs.max(1),
            current: Batch::default(),
        }
    }

    /// Adds one line; returns the full batch when this line does not fit beside it. A line
    /// larger than `max_bytes` makes a batch of its own.
    pub fn push(&mut self, line: &str, article_path: &str) -> Option<Batch> {
        let needed = line.len() + 1;
        let full = self.current.n_docs > 0
            && (self.current.body.len() + needed > self.max_bytes
                || self.current.n_docs >= self.max_docs);
        let finished = full.then(|| std::mem::take(&mut self.current));
        self.current.body.push_str(line);
        self.current.body.push('\n');
        self.current.n_docs += 1;
        if self.current.article_paths.last().map(String::as_str) != Some(article_path) {
            self.current.article_paths.push(article_path.to_string());
        }
        finished
    }

    /// The last, partly filled batch, if any.
    pub fn finish(self) -> Option<Batch> {
        (self.current.n_docs > 0).then_some(self.current)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::TimeZone;

    use super::*;

    fn article() -> Article {
        Article {
            id: "balkans/serbia.md".to_string(),
            path: PathBuf::from("balkans/serbia.md"),
            title: "Serbian Ammunition Exports".to_string(),
            date: Some(Utc.with_ymd_and_hms(2024, 3, 28, 10, 30, 0).unwrap()),
            categories: vec!["Défense".to_string()],
            ..Article::default()
        }
    }

    fn passage() -> Passage {
        Passage {
            article_id: "balkans/serbia.md".to_string(),
            ordinal: 3,
            section: Some("The Arms Trade".to_string()),
            text: "Vučić's government exported the shells.".to_string(),
            entities: vec![
                Entity {
                    name: "Aleksandar Vučić".to_string(),
                    kind: EntityKind::Person,
                },
                Entity {
                    name: "United States".to_string(),
                    kind: EntityKind::Place,
                },
            ],
        }
    }

    #[test]
    fn encodes_stems_folded_keys_and_labels() {
        let document = encode(&mut Analysers::default(), &article(), &passage());
        assert_eq!(document.passage_id, "balkans/serbia.md-3");
        assert_eq!(document.date.as_deref(), Some("2024-03-28T10:30:00Z"));
        assert_eq!(document.title_stems, "serbian ammunit export");
        assert_eq!(document.section_stems, "arm trade");
        // As the local index analyses it: the possessive `s`, a single letter, is dropped.
        assert_eq!(document.text_stems, "vucic govern export shell");
        assert_eq!(document.category, ["defense"]);
        assert_eq!(document.category_name, ["Défense"]);
        assert_eq!(document.entities, ["aleksandar vucic", "united states"]);
        assert_eq!(
            document.entity_labels,
            ["person:Aleksandar Vučić", "place:United States"]
        );
    }

    #[test]
    fn outlet_authors_and_language_go_out_folded_and_as_written_and_come_back() {
        let mut article = article();
        article.source = Some("Balkan Insight".to_string());
        article.authors = vec!["Ana Vučić".to_string(), "Jane Doe".to_string()];
        article.language = Some("en".to_string());
        let document = encode(&mut Analysers::default(), &article, &passage());
        assert_eq!(document.source, ["balkan insight"]);
        assert_eq!(document.source_name, ["Balkan Insight"]);
        assert_eq!(document.author, ["ana vucic", "jane doe"]);
        assert_eq!(document.author_name, ["Ana Vučić", "Jane Doe"]);
        assert_eq!(document.language, ["en"]);
        let line = to_ndjson_line(&document);
        let stored: StoredPassage = serde_json::from_str(&line).unwrap();
        let fields = stored.into_stored_fields();
        assert_eq!(fields.source.as_deref(), Some("Balkan Insight"));
        assert_eq!(fields.authors, ["Ana Vučić", "Jane Doe"]);
        assert_eq!(fields.language.as_deref(), Some("en"));
        // Unknown, they are left out of the document.
        let bare = to_ndjson_line(&encode(
            &mut Analysers::default(),
            &self::article(),
            &passage(),
        ));
        assert!(
            !bare.contains("source") && !bare.contains("author"),
            "{bare}"
        );
    }

    /// `all_stems` holds what the local `all` holds, value for value: the title twice (unless
    /// it repeats the text), the heading, the text; so Quickwit's BM25 over it is the local one.
    #[test]
    fn all_stems_hold_the_terms_of_the_local_all() {
        let document = encode(&mut Analysers::default(), &article(), &passage());
        assert_eq!(
            document.all_stems,
            [
                "serbian ammunit export",
                "serbian ammunit export",
                "arm trade",
                "vucic govern export shell"
            ]
        );
        for (value, text) in document.all_stems.iter().zip([
            "Serbian Ammunition Exports",
            "Serbian Ammunition Exports",
            "The Arms Trade",
            "Vučić's government exported the shells.",
        ]) {
            // The local slots, without the empty ones of dropped words.
            let analysed = crate::index::analysed_for_all(text);
            let local: Vec<&str> = analysed.split_whitespace().collect();
            let sent: Vec<&str> = value.split(' ').collect();
            assert_eq!(sent, local, "{text}");
        }
        let mut lead = article();
        lead.title_repeats_text = true;
        let mut passage = passage();
        passage.section = None;
        let document = encode(&mut Analysers::default(), &lead, &passage);
        assert_eq!(document.all_stems, ["vucic govern export shell"]);
    }

    #[test]
    fn undated_passages_without_section_leave_the_fields_out() {
        let mut article = article();
        article.date = None;
        article.categories.clear();
        let mut passage = passage();
        passage.section = None;
        let line = to_ndjson_line(&encode(&mut Analysers::default(), &article, &passage));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        for absent in [
            "date",
            "section",
            "section_stems",
            "category",
            "category_name",
        ] {
            assert!(value.get(absent).is_none(), "{absent} in {line}");
        }
        assert!(!line.contains('\n'));
    }

    #[test]
    fn stored_passages_parse_with_labels_or_with_keys_only() {
        let modern: StoredPassage = serde_json::from_str(
            r#"{"article_id":"a","category":"defense","category_name":"Défense","section":"",
                "entity_labels":["person:Aleksandar Vučić"],"entities":["aleksandar vucic"],
                "ordinal":2,"text":"t","date":"2024-03-28T10:30:00Z"}"#,
        )
        .unwrap();
        assert_eq!(modern.categories(), ["Défense"]);
        assert_eq!(modern.section(), None);
        assert_eq!(modern.entities()[0].kind, EntityKind::Person);
        assert_eq!(modern.date.unwrap().timestamp(), 1_711_621_800);
        let recorded: StoredPassage =
            serde_json::from_str(r#"{"category":["crude","ship"],"entities":["usa"]}"#).unwrap();
        assert_eq!(recorded.categories(), ["crude", "ship"]);
        assert_eq!(
            recorded.entities(),
            [Entity {
                name: "usa".to_string(),
                kind: EntityKind::Other
            }]
        );
    }

    #[test]
    fn batches_are_bounded_by_bytes_and_documents() {
        let mut batcher = Batcher::new(25, 3);
        let mut batches = Vec::new();
        for (idx, line) in ["aaaaaaaaa", "bbbbbbbbb", "ccccccccc", "d", "e", "f", "g"]
            .iter()
            .enumerate()
        {
            batches.extend(batcher.push(line, &format!("file{}", idx / 2)));
        }
        batches.extend(batcher.finish());
        let bodies: Vec<&str> = batches.iter().map(|b| b.body.as_str()).collect();
        assert_eq!(
            bodies,
            ["aaaaaaaaa\nbbbbbbbbb\n", "ccccccccc\nd\ne\n", "f\ng\n"]
        );
        assert_eq!(batches[1].article_paths, ["file1", "file2"]);
        assert!(batches.iter().all(|b| b.body.len() <= 25 && b.n_docs <= 3));
    }

    #[test]
    fn an_oversized_line_makes_a_batch_of_its_own() {
        let mut batcher = Batcher::new(4, 10);
        assert_eq!(batcher.push("ab", "x"), None);
        let first = batcher.push("longer than four", "y").unwrap();
        assert_eq!(first.body, "ab\n");
        let second = batcher.push("c", "z").unwrap();
        assert_eq!(second.n_docs, 1);
        assert_eq!(batcher.finish().unwrap().body, "c\n");
    }

    #[test]
    fn declared_fields_go_into_their_json_objects() {
        let mut article = article();
        let value = |name: &str, value| ExtraValue {
            name: name.to_string(),
            value,
        };
        article.extras = vec![
            value("desk", ExtraData::Keyword("Métro".into())),
            value("desk", ExtraData::Keyword("Foreign".into())),
            value("words", ExtraData::Number(850.0)),
            value(
                "filed",
                ExtraData::Date(Utc.with_ymd_and_hms(2024, 4, 6, 0, 0, 0).unwrap()),
            ),
            value("summary", ExtraData::Text("Wheat shipments".into())),
        ];
        let document = encode(&mut Analysers::default(), &article, &passage());
        assert_eq!(
            document.extra["desk"],
            serde_json::json!(["Métro", "Foreign"])
        );
        assert_eq!(
            document.extra_keys["desk"],
            serde_json::json!(["metro", "foreign"])
        );
        assert_eq!(document.extra_numbers["words"], 850);
        assert_eq!(document.extra_numbers["filed"], 1_712_361_600);
        assert_eq!(document.extra["filed"], "2024-04-06T00:00:00Z");
        assert_eq!(document.extra_stems["summary"], "wheat shipment");
        // An article without declared fields sends none of the four objects.
        let line = to_ndjson_line(&encode(
            &mut Analysers::default(),
            &super::tests::article(),
            &passage(),
        ));
        assert!(!line.contains("extra"), "{line}");
    }
}
