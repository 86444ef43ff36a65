//! The index schema: the ONLY file that spells tantivy field and tokenizer names. Builds the
//! schema once, hands out `Fields`, and registers the analysers every opened index needs.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer,
};

/// Bumped whenever a change to the schema or the analysers makes older indexes unreadable or
/// subtly different. Stored beside the index and checked on every open.
pub const SCHEMA_VERSION: u32 = 2;

/// English analyser: words, lower-cased, ASCII-folded, stop words dropped, Snowball-stemmed.
pub const TOKENIZER_EN: &str = "newsdex_en";
/// Exact-match analyser for names: the whole value, lower-cased and ASCII-folded.
pub const TOKENIZER_KEYWORD: &str = "newsdex_keyword";

/// Handles of every field, made once from the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub article_id: Field,
    pub path: Field,
    pub title: Field,
    pub date: Field,
    pub category: Field,
    pub section: Field,
    pub text: Field,
    pub ordinal: Field,
    /// Folded canonical entity names, for exact filters (`--entity`, `entity:`).
    pub entity: Field,
    /// `kind:Canonical Name`, stored for display and fast for facets.
    pub entity_label: Field,
}

/// The user-facing names of the fields a query may name (`title:serbia`).
pub const QUERY_FIELDS: &[&str] = &["title", "section", "text", "entity", "category", "date"];

fn english_text(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER_EN)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored {
        options.set_stored()
    } else {
        options
    }
}

fn keyword_text() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER_KEYWORD)
            .set_index_option(IndexRecordOption::Basic),
    )
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
        title: builder.add_text_field("title", english_text(true)),
        date: builder.add_date_field("date", date_options),
        // The raw value is kept in the fast column for facets; the index holds the folded key.
        category: builder.add_text_field("category", keyword_text().set_stored().set_fast("raw")),
        section: builder.add_text_field("section", english_text(true).set_fast("raw")),
        text: builder.add_text_field("text", english_text(true)),
        ordinal: builder.add_u64_field("ordinal", INDEXED | STORED | FAST),
        entity: builder.add_text_field("entity", keyword_text()),
        entity_label: builder.add_text_field("entity_label", STRING | STORED | FAST),
    };
    (builder.build(), fields)
}

/// Takes the handles from an opened index's schema, failing with the name of a missing field.
pub fn fields_of(schema: &Schema) -> Result<Fields, String> {
    let field = |name: &str| {
        schema
            .get_field(name)
            .map_err(|_| format!("the index has no field `{name}`"))
    };
    Ok(Fields {
        article_id: field("article_id")?,
        path: field("path")?,
        title: field("title")?,
        date: field("date")?,
        category: field("category")?,
        section: field("section")?,
        text: field("text")?,
        ordinal: field("ordinal")?,
        entity: field("entity")?,
        entity_label: field("entity_label")?,
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
        "text" | "body" => Some(fields.text),
        "entity" => Some(fields.entity),
        "category" => Some(fields.category),
        "date" => Some(fields.date),
        _ => None,
    }
}

/// The English analyser used at index and query time; snippets use it to find matches.
pub fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(english_stop_words()))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The words the English analyser drops: NLTK's English stop list (from the `stop-words`
/// crate; tantivy's own list has only 33 words) and every single letter and digit, which as
/// tokens are initials, list markers and the pieces of abbreviations ("U.S." -> `u`, `s`).
/// Measured with `newsdex eval` on six test collections: both raise MAP and nDCG@10 over
/// tantivy's list on five of them (see the README's ranking-quality table).
pub fn english_stop_words() -> impl Iterator<Item = String> {
    let single_characters = ('a'..='z').chain('0'..='9').map(String::from);
    stop_words::get("en")
        .iter()
        .map(|word| word.to_string())
        .chain(single_characters)
}

pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers newsdex's analysers; needed after every create and every open.
pub fn register_tokenizers(index: &tantivy::Index) {
    index
        .tokenizers()
        .register(TOKENIZER_EN, english_analyzer());
    index
        .tokenizers()
        .register(TOKENIZER_KEYWORD, keyword_analyzer());
    index
        .fast_field_tokenizer()
        .register(TOKENIZER_KEYWORD, keyword_analyzer());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_finds_every_field_of_the_built_schema() {
        let (schema, built) = build_schema();
        let found = fields_of(&schema).unwrap();
        assert_eq!(found.text, built.text);
        assert_eq!(found.entity_label, built.entity_label);
        for name in QUERY_FIELDS {
            assert!(query_field(&built, name).is_some(), "{name}");
        }
    }

    #[test]
    fn fields_of_names_a_missing_field() {
        let schema = Schema::builder().build();
        assert_eq!(
            fields_of(&schema).unwrap_err(),
            "the index has no field `article_id`"
        );
    }

    #[test]
    fn english_analyzer_folds_stems_and_drops_stop_words() {
        let mut analyzer = english_analyzer();
        let mut stream = analyzer.token_stream("The Serbian ammunitions of Vučić");
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().text.clone());
        }
        assert_eq!(tokens, ["serbian", "ammunit", "vucic"]);
    }

    #[test]
    fn english_analyzer_drops_pronouns_single_letters_and_digits() {
        let mut analyzer = english_analyzer();
        let mut stream = analyzer.token_stream("What did I say about U.S. Type 2 and F-16 jets?");
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().text.clone());
        }
        assert_eq!(tokens, ["say", "type", "16", "jet"]);
    }
}
