//! The index schema: the ONLY file that spells tantivy field and tokenizer names. Builds the
//! schema once, hands out `Fields`, and registers the analysers every opened index needs.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, JsonObjectOptions,
    STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{
    AnalysedTokenizer, EntityValueTokenizer, english_analyzer, keyword_analyzer,
};

/// Bumped whenever a change to the schema or the analysers makes older indexes unreadable or
/// subtly different. Stored beside the index and checked on every open.
pub const SCHEMA_VERSION: u32 = 11;

/// English analyser: words, lower-cased, ASCII-folded, stop words dropped, Snowball-stemmed.
pub const TOKENIZER_EN: &str = "newsdex_en";
/// Exact-match analyser for names: the whole value, lower-cased and ASCII-folded.
pub const TOKENIZER_KEYWORD: &str = "newsdex_keyword";
/// Text already analysed by the English analyser (`analyse_english_into`): `all` is written
/// this way, so that the analysis runs on the build's workers, on every core, and the single
/// indexing thread only splits the terms out. Queries on `all` use the English analyser.
pub const TOKENIZER_ANALYSED: &str = "newsdex_analysed";
/// A passage's entities are one value of `entity`, their labels (`kind:Name`) separated by
/// tabs (`index::entities_value`): one value, not two for each entity, is what makes writing
/// them cheap (tantivy's cost is mostly per value). This analyser indexes each label's name,
/// folded as `keyword_analyzer` folds it, so that filters look up `keyword_analyzer(name)`.
pub const TOKENIZER_ENTITY_NAMES: &str = "newsdex_entity_names";
/// The labels of an `entity` value as they are, for its fast column (facets, `entities`).
pub const TOKENIZER_ENTITY_LABELS: &str = "newsdex_entity_labels";

/// Handles of every field, made once from the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub article_id: Field,
    pub path: Field,
    pub title: Field,
    pub date: Field,
    pub category: Field,
    pub section: Field,
    /// The passage's own text: stored for display, not indexed (`all` holds its words).
    pub text: Field,
    /// The passage as one searched field: its article's title, its section heading and its
    /// text, in that order (one position apart, so no phrase runs from one into the next).
    /// Plain words and `text:` search it; BM25 over it is BM25F with every part weighing 1.
    /// Its values are written already analysed (`analyse_english_into`): the terms and
    /// positions are those of the English analyser.
    pub all: Field,
    pub ordinal: Field,
    /// The article's near-duplicate fingerprint (`fingerprint::article_fingerprint`, a 64-bit
    /// SimHash), the same on each of its passages: fast only; absent for an article whose
    /// lead and paragraphs hold no words.
    pub fingerprint: Field,
    /// The passage's entities as one value of tab-separated `kind:Canonical Name` labels:
    /// stored for display; indexed as folded names, for exact filters (`--entity`, `entity:`);
    /// fast as labels, for facets.
    pub entity: Field,
    /// The article's address as the source gave it: stored, not searched.
    pub url: Field,
    /// The article's outlet, its authors (one value each) and its language: indexed as folded
    /// keys (`keyword_analyzer`) for filters, stored, fast as written for facets.
    pub source: Field,
    pub author: Field,
    pub language: Field,
    /// The declared keyword, number and date fields (`[fields.extra]`) of the passage's
    /// article, one JSON object `{name: value}`: strings indexed as folded keys and fast as
    /// written (filters, facets), numbers and dates indexed and fast (ranges, sorting); stored.
    pub extra: Field,
    /// The declared text fields, one JSON object analysed with the English analyser
    /// (`name:word`); stored.
    pub extra_text: Field,
}

impl Fields {
    /// The field of a keyword.
    pub fn keyword(&self, keyword: crate::model::Keyword) -> Field {
        use crate::model::Keyword;
        match keyword {
            Keyword::Category => self.category,
            Keyword::Source => self.source,
            Keyword::Author => self.author,
            Keyword::Language => self.language,
        }
    }
}

/// The user-facing names of the fields a query may name (`title:serbia`).
pub const QUERY_FIELDS: &[&str] = &[
    "title", "section", "text", "entity", "category", "source", "author", "language", "date",
];

/// Stored, and indexed with the English analyser with positions.
fn english_text() -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER_EN)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    TextOptions::default()
        .set_indexing_options(indexing)
        .set_stored()
}

/// Indexed with the terms and positions of the English analyser, from values it already
/// analysed; not stored.
fn analysed_text() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_ANALYSED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

fn keyword_text() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_KEYWORD)
            .set_index_option(IndexRecordOption::Basic),
    )
}

/// The options of `extra`: keys folded like the keyword fields, values as written in the
/// fast columns.
fn extra_object() -> JsonObjectOptions {
    JsonObjectOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_KEYWORD)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored()
        .set_fast("raw")
}

/// The options of `extra_text`: the English analyser with positions, stored.
fn extra_text_object() -> JsonObjectOptions {
    JsonObjectOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_EN)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored()
}

/// The options of `entity`: see `TOKENIZER_ENTITY_NAMES`.
fn entity_text() -> TextOptions {
    TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER_ENTITY_NAMES)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored()
        .set_fast(TOKENIZER_ENTITY_LABELS)
}

/// Builds the schema and the handles to its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let date_options = DateOptions::from(INDEXED)
        .set_stored()
        .set_fast()
        .set_precision(DateTimePrecision::Seconds);
    let fields = Fields {
        article_id: builder.add_text_field("article_id", STRING | STORED | FAST),
        path: builder.add_text_field("path", STRING | STORED),
        title: builder.add_text_field("title", english_text()),
        date: builder.add_date_field("date", date_options),
        // The raw value is kept in the fast column for facets; the index holds the folded key.
        category: builder.add_text_field("category", keyword_text().set_stored().set_fast("raw")),
        section: builder.add_text_field("section", english_text().set_fast("raw")),
        text: builder.add_text_field("text", STORED),
        all: builder.add_text_field("all", analysed_text()),
        ordinal: builder.add_u64_field("ordinal", INDEXED | STORED | FAST),
        fingerprint: builder.add_u64_field("fingerprint", FAST),
        entity: builder.add_text_field("entity", entity_text()),
        url: builder.add_text_field("url", STORED),
        source: builder.add_text_field("source", keyword_text().set_stored().set_fast("raw")),
        author: builder.add_text_field("author", keyword_text().set_stored().set_fast("raw")),
        language: builder.add_text_field("language", keyword_text().set_stored().set_fast("raw")),
        extra: builder.add_json_field("extra", extra_object()),
        extra_text: builder.add_json_field("extra_text", extra_text_object()),
    };
    (builder.build(), fields)
}

/// A field newsdex needs that an index's schema lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the index has no field `{0}`")]
pub struct MissingField(pub String);

/// Takes the handles from an opened index's schema, failing with the name of a missing field.
pub fn fields_of(schema: &Schema) -> Result<Fields, MissingField> {
    let field = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| MissingField(name.to_string()))
    };
    Ok(Fields {
        article_id: field("article_id")?,
        path: field("path")?,
        title: field("title")?,
        date: field("date")?,
        category: field("category")?,
        section: field("section")?,
        text: field("text")?,
        all: field("all")?,
        ordinal: field("ordinal")?,
        fingerprint: field("fingerprint")?,
        entity: field("entity")?,
        url: field("url")?,
        source: field("source")?,
        author: field("author")?,
        language: field("language")?,
        extra: field("extra")?,
        extra_text: field("extra_text")?,
    })
}

/// The name of a field in the schema, for facet and aggregation requests.
pub fn field_name(schema: &Schema, field: Field) -> &str {
    schema.get_field_name(field)
}

/// Maps a user's field name in a query to the field it searches.
pub fn query_field(fields: &Fields, name: &str) -> Option<Field> {
    match name {
        "title" => Some(fields.title),
        "section" => Some(fields.section),
        "text" | "body" => Some(fields.all),
        "entity" => Some(fields.entity),
        "category" => Some(fields.category),
        "source" => Some(fields.source),
        "author" => Some(fields.author),
        "language" => Some(fields.language),
        "date" => Some(fields.date),
        _ => None,
    }
}

/// The analysers a query is analysed with, by the tokenizer names of the schema: the English
/// analyser also for `all`, whose indexed values it analysed before they were written. For
/// tantivy's own `QueryParser` (`QueryParser::new(schema, fields, query_tokenizers())`).
pub fn query_tokenizers() -> tantivy::tokenizer::TokenizerManager {
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(TOKENIZER_EN, english_analyzer());
    tokenizers.register(TOKENIZER_ANALYSED, english_analyzer());
    tokenizers.register(TOKENIZER_KEYWORD, keyword_analyzer());
    tokenizers.register(TOKENIZER_ENTITY_NAMES, EntityValueTokenizer::names());
    tokenizers
}

/// Registers newsdex's analysers; needed after every create and every open.
pub fn register_tokenizers(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(TOKENIZER_EN, english_analyzer());
    index
        .tokenizers()
        .register(TOKENIZER_KEYWORD, keyword_analyzer());
    index.tokenizers().register(
        TOKENIZER_ANALYSED,
        TextAnalyzer::from(AnalysedTokenizer::default()),
    );
    index
        .fast_field_tokenizer()
        .register(TOKENIZER_KEYWORD, keyword_analyzer());
    index
        .tokenizers()
        .register(TOKENIZER_ENTITY_NAMES, EntityValueTokenizer::names());
    index
        .fast_field_tokenizer()
        .register(TOKENIZER_ENTITY_LABELS, EntityValueTokenizer::labels());
}

/// Reads an `entity` value (`index::entities_value`): one token a label, either the label as
/// it is (`labels`) or its name folded as `keyword_analyzer` folds it (`names`).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_finds_every_field_of_the_built_schema() {
        let (schema, built) = build_schema();
        let found = fields_of(&schema).unwrap();
        assert_eq!(found.text, built.text);
        for name in QUERY_FIELDS {
            assert!(query_field(&built, name).is_some(), "{name}");
        }
    }

    #[test]
    fn fields_of_names_a_missing_field() {
        let schema = Schema::builder().build();
        assert_eq!(
            fields_of(&schema).unwrap_err().to_string(),
            "the index has no field `article_id`"
        );
    }
}
