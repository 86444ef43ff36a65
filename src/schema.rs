//! The index schema: the ONLY file that spells tantivy field and tokenizer names. Builds the
//! schema once, hands out `Fields`, and registers the analysers every opened index needs.

use rustc_hash::FxHashMap;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

/// Bumped whenever a change to the schema or the analysers makes older indexes unreadable or
/// subtly different. Stored beside the index and checked on every open.
pub const SCHEMA_VERSION: u32 = 4;

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
    /// The article's address as the source gave it: stored, not searched.
    pub url: Field,
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
        url: builder.add_text_field("url", STORED),
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
        url: field("url")?,
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
        .filter(CachedEnglishStemmer)
        .build()
}

/// Words whose stems one analyser remembers; past this the memory is cleared and refilled.
const STEM_CACHE_WORDS: usize = 100_000;

/// Snowball English stemming that remembers the stems it computed. News text repeats a small
/// vocabulary, so most tokens are answered by one hash lookup and a copy into the token's own
/// buffer, instead of running the stemmer and allocating a new string per token. Gives exactly
/// the stems of tantivy's `Stemmer::new(Language::English)` (tested below).
#[derive(Clone)]
pub struct CachedEnglishStemmer;

impl TokenFilter for CachedEnglishStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner: tokenizer,
            stems: FxHashMap::default(),
        }
    }
}

/// Each clone of the analyser (tantivy takes one per indexing thread and per query) has its
/// own memory of stems, so no lock is shared between threads.
#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
    stems: FxHashMap<String, String>,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.stems.len() > STEM_CACHE_WORDS {
            self.stems.clear();
        }
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stems: &mut self.stems,
        }
    }
}

pub struct CachedStemmerStream<'a, T> {
    tail: T,
    stems: &'a mut FxHashMap<String, String>,
}

fn english_stemmer() -> &'static frostem::Stemmer {
    static STEMMER: std::sync::OnceLock<frostem::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| frostem::Stemmer::new(frostem::Algorithm::English))
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
        } else {
            let stem = english_stemmer().stem(&token.text).into_owned();
            let word = std::mem::replace(&mut token.text, stem.clone());
            self.stems.insert(word, stem);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
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

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push(stream.token().clone());
        }
        tokens
    }

    #[test]
    fn cached_stemming_gives_tantivys_stems_positions_and_offsets() {
        use tantivy::tokenizer::{Language, Stemmer};
        let mut reference = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(english_stop_words()))
            .filter(Stemmer::new(Language::English))
            .build();
        let mut ours = english_analyzer();
        let text = "The Serbian ammunitions of Vučić: generously generalised, running runners \
                    ran; Ærøskøbing's Straße & ÉCOLES, organisations organizing 1,000 F-16s. \
                    Running ammunition again: the runners' organisations ran, GENERALISED.";
        // Twice through the same analyser: the second pass is answered from the cache.
        for _ in 0..2 {
            let expected = tokens(&mut reference, text);
            let got = tokens(&mut ours, text);
            assert!(expected.len() > 20);
            assert_eq!(got.len(), expected.len());
            for (got, expected) in got.iter().zip(&expected) {
                assert_eq!(got.text, expected.text);
                assert_eq!(got.position, expected.position);
                assert_eq!(
                    (got.offset_from, got.offset_to),
                    (expected.offset_from, expected.offset_to)
                );
            }
        }
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
