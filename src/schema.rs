//! The index schema: the ONLY file that spells tantivy field and tokenizer names. Builds the
//! schema once, hands out `Fields`, and registers the analysers every opened index needs.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Bumped whenever a change to the schema or the analysers makes older indexes unreadable or
/// subtly different. Stored beside the index and checked on every open.
pub const SCHEMA_VERSION: u32 = 8;

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
    /// The passage's entities as one value of tab-separated `kind:Canonical Name` labels:
    /// stored for display; indexed as folded names, for exact filters (`--entity`, `entity:`);
    /// fast as labels, for facets.
    pub entity: Field,
    /// The article's address as the source gave it: stored, not searched.
    pub url: Field,
}

/// The user-facing names of the fields a query may name (`title:serbia`).
pub const QUERY_FIELDS: &[&str] = &["title", "section", "text", "entity", "category", "date"];

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
        entity: builder.add_text_field("entity", entity_text()),
        url: builder.add_text_field("url", STORED),
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
        entity: field("entity")?,
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
        "text" | "body" => Some(fields.all),
        "entity" => Some(fields.entity),
        "category" => Some(fields.category),
        "date" => Some(fields.date),
        _ => None,
    }
}

/// The English analyser used at index and query time; snippets use it to find matches.
///
/// It gives exactly the tokens (text, positions, offsets) of the chain
/// `SimpleTokenizer -> RemoveLongFilter(40) -> LowerCaser -> AsciiFoldingFilter ->
/// StopWordFilter(english_stop_words) -> Stemmer(English)` (tested below), in one pass: a
/// word is looked up as written in a memory of what the chain made of it (its stem, or nothing
/// for a stop word), so that most tokens cost one hash lookup and one copy.
pub fn english_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(EnglishTokenizer::default())
}

/// Words (as written) whose analysis one analyser remembers; past this the memory is cleared
/// and refilled.
const STEM_CACHE_WORDS: usize = 100_000;

/// Tokens of at least this many bytes are dropped, as `RemoveLongFilter::limit(40)` does.
const LONG_TOKEN_BYTES: usize = 40;

/// Word as written -> its term, or `None` for a word the chain drops.
type WordMemory = hashbrown::HashMap<Box<str>, Option<Box<str>>, rustc_hash::FxBuildHasher>;

/// The English analyser as one tokenizer. Each clone (tantivy takes one per indexing thread
/// and per query) has its own memory of words, so no lock is shared between threads.
#[derive(Clone, Default)]
pub struct EnglishTokenizer {
    token: Token,
    /// Word as written -> its stem, or `None` for a stop word.
    words: WordMemory,
    /// Lower case and ASCII folding of words that are not ASCII, by tantivy's own filters.
    fold: Option<TextAnalyzer>,
}

pub struct EnglishTokenStream<'a> {
    text: &'a str,
    /// Byte offset where the search for the next token starts.
    at: usize,
    token: &'a mut Token,
    words: &'a mut WordMemory,
    fold: &'a mut Option<TextAnalyzer>,
}

impl Tokenizer for EnglishTokenizer {
    type TokenStream<'a> = EnglishTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> EnglishTokenStream<'a> {
        if self.words.len() > STEM_CACHE_WORDS {
            self.words.clear();
        }
        self.token.reset();
        EnglishTokenStream {
            text,
            at: 0,
            token: &mut self.token,
            words: &mut self.words,
            fold: &mut self.fold,
        }
    }
}

fn english_stemmer() -> &'static frostem::Stemmer {
    static STEMMER: std::sync::OnceLock<frostem::Stemmer> = std::sync::OnceLock::new();
    STEMMER.get_or_init(|| frostem::Stemmer::new(frostem::Algorithm::English))
}

fn stop_word_set() -> &'static rustc_hash::FxHashSet<String> {
    static STOP: std::sync::OnceLock<rustc_hash::FxHashSet<String>> = std::sync::OnceLock::new();
    STOP.get_or_init(|| english_stop_words().collect())
}

/// The character starting at byte `at` of `text` and its length in bytes.
fn char_at(text: &str, at: usize) -> (char, usize) {
    let c = text[at..]
        .chars()
        .next()
        .expect("`at` is below the length, on a boundary");
    (c, c.len_utf8())
}

impl EnglishTokenStream<'_> {
    /// The byte range of the next run of alphanumeric characters (`SimpleTokenizer`'s words).
    fn next_word(&mut self) -> Option<(usize, usize)> {
        let bytes = self.text.as_bytes();
        let mut at = self.at;
        // Skip to the start of a word.
        let start = loop {
            let &byte = bytes.get(at)?;
            if byte.is_ascii() {
                if byte.is_ascii_alphanumeric() {
                    break at;
                }
                at += 1;
            } else {
                let (c, len) = char_at(self.text, at);
                if c.is_alphanumeric() {
                    break at;
                }
                at += len;
            }
        };
        // Then to its end.
        let mut end = start;
        while let Some(&byte) = bytes.get(end) {
            if byte.is_ascii() {
                if !byte.is_ascii_alphanumeric() {
                    break;
                }
                end += 1;
            } else {
                let (c, len) = char_at(self.text, end);
                if !c.is_alphanumeric() {
                    break;
                }
                end += len;
            }
        }
        // The character that ended the word is not part of any word.
        self.at = match bytes.get(end) {
            None => end,
            Some(byte) if byte.is_ascii() => end + 1,
            Some(_) => end + char_at(self.text, end).1,
        };
        Some((start, end))
    }

    /// The term of the word at `start..end` (a `next_word`), or `None` where the chain drops
    /// it (a stop word, a long token).
    fn term(&mut self, start: usize, end: usize) -> Option<&str> {
        remembered_term(self.words, self.fold, &self.text[start..end])
    }
}

/// The term of `word`, or `None` where the chain drops it (a stop word, a long token): from
/// the memory of words, else analysed (`analyse_word`) and remembered.
fn remembered_term<'w>(
    words: &'w mut WordMemory,
    fold: &mut Option<TextAnalyzer>,
    word: &str,
) -> Option<&'w str> {
    if word.len() >= LONG_TOKEN_BYTES {
        return None;
    }
    // One hash and one probe when the word is remembered, as it mostly is.
    words
        .entry_ref(word)
        .or_insert_with(|| analyse_word(fold, word))
        .as_deref()
}

/// What the chain makes of one word: lower case, ASCII folding, then nothing for a stop word,
/// else its stem.
fn analyse_word(fold: &mut Option<TextAnalyzer>, word: &str) -> Option<Box<str>> {
    let folded = if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        let fold = fold.get_or_insert_with(keyword_analyzer);
        let mut stream = fold.token_stream(word);
        let mut folded = String::new();
        while stream.advance() {
            folded.push_str(&stream.token().text);
        }
        folded
    };
    if stop_word_set().contains(&folded) {
        return None;
    }
    Some(english_stemmer().stem(&folded).into())
}

impl TokenStream for EnglishTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((start, end)) = self.next_word() else {
                self.token.text.clear();
                return false;
            };
            // Every word takes a position, also those dropped below.
            self.token.position = self.token.position.wrapping_add(1);
            let Some(stem) = remembered_term(self.words, self.fold, &self.text[start..end]) else {
                continue;
            };
            self.token.text.clear();
            self.token.text.push_str(stem);
            self.token.offset_from = start;
            self.token.offset_to = end;
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// The words the English analyser drops: NLTK's English stop list (from the `stop-words`
/// crate; tantivy's own list has only 33 words) and every single letter and digit, which as
/// tokens are initials, list markers and the pieces of abbreviations ("U.S." -> `u`, `s`).
/// Measured with `newsdex eval` on six test collections: both raise MAP and nDCG@10 over
/// tantivy's list on five of them (docs/performance.md, "Ranking quality").
pub fn english_stop_words() -> impl Iterator<Item = String> {
    let single_characters = ('a'..='z').chain('0'..='9').map(String::from);
    stop_words::get("en")
        .iter()
        .map(|word| word.to_string())
        .chain(single_characters)
}

/// Writes the English analysis of `text` into `out` (cleared first) as its token positions,
/// one slot each, separated by single spaces: a slot holds the term of the word at that
/// position, or nothing where the analyser dropped the word (a stop word, a long token). So
/// "Bank of England" becomes `bank  england`, and `AnalysedTokenizer` reads back the same
/// terms at the same positions: `english_analyzer`'s, whose tokenizer `english` is.
pub fn analyse_english_into(english: &mut EnglishTokenizer, text: &str, out: &mut String) {
    out.clear();
    // The token stream's own loop, writing each term straight into `out` instead of through a
    // boxed stream's token: this runs on every passage a build writes.
    let mut stream = english.token_stream(text);
    let mut slot = 0;
    // Every word takes a position, also those the chain drops.
    for position in 0.. {
        let Some((start, end)) = stream.next_word() else {
            break;
        };
        let Some(term) = stream.term(start, end) else {
            continue;
        };
        // Terms are made of alphanumeric characters, lower-cased and folded: never a space.
        debug_assert!(!term.contains(' '), "a term with a space: {term:?}");
        for _ in slot..position {
            out.push(' ');
        }
        slot = position;
        out.push_str(term);
    }
}

/// Reads values written by `analyse_english_into`: each run of characters other than a space
/// is a term, at the position given by the number of spaces before it.
#[derive(Clone, Default)]
pub struct AnalysedTokenizer {
    token: Token,
}

pub struct AnalysedTokenStream<'a> {
    text: &'a str,
    /// Byte offset where the search for the next term starts.
    at: usize,
    /// The position of the slot starting at `at`.
    slot: usize,
    token: &'a mut Token,
}

impl Tokenizer for AnalysedTokenizer {
    type TokenStream<'a> = AnalysedTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalysedTokenStream<'a> {
        self.token.reset();
        AnalysedTokenStream {
            text,
            at: 0,
            slot: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for AnalysedTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && bytes[self.at] == b' ' {
            self.at += 1;
            self.slot += 1;
        }
        if self.at == bytes.len() {
            self.token.text.clear();
            return false;
        }
        let start = self.at;
        let end = bytes[start..]
            .iter()
            .position(|&byte| byte == b' ')
            .map_or(bytes.len(), |len| start + len);
        self.at = end;
        self.token.text.clear();
        self.token.text.push_str(&self.text[start..end]);
        self.token.position = self.slot;
        self.token.offset_from = start;
        self.token.offset_to = end;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
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

/// The tokens an analyser makes of a text.
pub fn analyse(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    analyse_with_positions(analyzer, text)
        .into_iter()
        .map(|(_, token)| token)
        .collect()
}

/// The tokens of a text with their positions (stop words leave gaps).
pub fn analyse_with_positions(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        tokens.push((token.position, token.text.clone()));
    }
    tokens
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
#[derive(Clone)]
pub struct EntityValueTokenizer {
    /// `None` for labels; the analyser that folds names.
    keyword: Option<TextAnalyzer>,
    token: Token,
}

impl EntityValueTokenizer {
    pub fn names() -> EntityValueTokenizer {
        EntityValueTokenizer {
            keyword: Some(keyword_analyzer()),
            token: Token::default(),
        }
    }

    pub fn labels() -> EntityValueTokenizer {
        EntityValueTokenizer {
            keyword: None,
            token: Token::default(),
        }
    }
}

pub struct EntityValueTokenStream<'a> {
    labels: std::str::Split<'a, char>,
    /// Byte offset of the next label.
    at: usize,
    keyword: Option<&'a mut TextAnalyzer>,
    token: &'a mut Token,
}

impl Tokenizer for EntityValueTokenizer {
    type TokenStream<'a> = EntityValueTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> EntityValueTokenStream<'a> {
        self.token.reset();
        self.token.position = usize::MAX;
        EntityValueTokenStream {
            labels: text.split('\t'),
            at: 0,
            keyword: self.keyword.as_mut(),
            token: &mut self.token,
        }
    }
}

impl TokenStream for EntityValueTokenStream<'_> {
    fn advance(&mut self) -> bool {
        for label in self.labels.by_ref() {
            let start = self.at;
            self.at += label.len() + 1;
            let text = match &mut self.keyword {
                None => label,
                // The kind never holds a colon; the name may.
                Some(_) => label.split_once(':').map_or(label, |(_, name)| name),
            };
            if text.is_empty() {
                continue;
            }
            self.token.text.clear();
            match &mut self.keyword {
                None => self.token.text.push_str(text),
                // Lower case is all that folding does to ASCII.
                Some(_) if text.is_ascii() => self.token.text.extend(
                    text.bytes()
                        .map(|byte| char::from(byte.to_ascii_lowercase())),
                ),
                Some(keyword) => {
                    let mut folded = keyword.token_stream(text);
                    while folded.advance() {
                        self.token.text.push_str(&folded.token().text);
                    }
                }
            }
            self.token.position = self.token.position.wrapping_add(1);
            self.token.offset_from = start;
            self.token.offset_to = start + label.len();
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

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

    /// The analyser chain `english_analyzer` fuses, from tantivy's own parts.
    fn reference_analyzer() -> TextAnalyzer {
        use tantivy::tokenizer::{
            Language, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
        };
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(StopWordFilter::remove(english_stop_words()))
            .filter(Stemmer::new(Language::English))
            .build()
    }

    /// Both analysers give the same tokens: text, position and offsets.
    fn assert_same_tokens(reference: &mut TextAnalyzer, ours: &mut TextAnalyzer, text: &str) {
        let expected = tokens(reference, text);
        let got = tokens(ours, text);
        assert_eq!(got.len(), expected.len(), "{text:?}");
        for (got, expected) in got.iter().zip(&expected) {
            assert_eq!(got.text, expected.text, "{text:?}");
            assert_eq!(got.position, expected.position, "{text:?}");
            assert_eq!(got.position_length, expected.position_length, "{text:?}");
            assert_eq!(
                (got.offset_from, got.offset_to),
                (expected.offset_from, expected.offset_to),
                "{text:?}"
            );
        }
    }

    #[test]
    fn cached_stemming_gives_tantivys_stems_positions_and_offsets() {
        let mut reference = reference_analyzer();
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
    fn the_fused_analyser_equals_the_chain_on_edge_cases() {
        let mut reference = reference_analyzer();
        let mut ours = english_analyzer();
        let long_ascii = "a".repeat(39) + " " + &"b".repeat(40) + " " + &"c".repeat(41);
        // 20 two-byte letters: 40 bytes, dropped although 20 characters long.
        let long_accented = "é".repeat(19) + " " + &"é".repeat(20) + " end";
        let texts = [
            "",
            " ",
            "...",
            "word",
            "THE The the tHe",
            "ÆSIR æsir Œuvre œuvre ǅemal",
            "İstanbul ǈubljana ΣΊΣΥΦΟΣ Москва Київ 東京 ١٢٣ ½ ² Ⅻ",
            "cafe\u{301} naïve coöperate résumé RÉSUMÉ",
            "tab\tnew\nline\r\nend\u{a0}nbsp\u{2009}thin",
            "emoji🙂between😀words 🙂",
            "x-ray F-16s U.S.A. e-mail o'clock isn't can't",
            &long_ascii,
            &long_accented,
            "ﬁnancial ﬂows ǉ Ǌ ß ẞ",
        ];
        for _ in 0..2 {
            for text in texts {
                assert_same_tokens(&mut reference, &mut ours, text);
            }
        }
    }

    #[test]
    fn the_fused_analyser_equals_the_chain_on_the_bundled_corpus() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let mut reference = reference_analyzer();
        let mut ours = english_analyzer();
        let mut n_files = 0;
        for entry in walkdir::WalkDir::new(corpus) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            assert_same_tokens(&mut reference, &mut ours, &text);
            n_files += 1;
        }
        assert!(n_files > 10);
    }

    proptest::proptest! {
        #[test]
        fn the_fused_analyser_equals_the_chain_on_any_text(text in "\\PC{0,200}") {
            let mut reference = reference_analyzer();
            let mut ours = english_analyzer();
            assert_same_tokens(&mut reference, &mut ours, &text);
        }

        #[test]
        fn the_fused_analyser_equals_the_chain_on_wordy_text(
            text in "([A-Za-zÀ-ÿĀ-ž0-9]{1,45}[ ,.;'\\-]{1,3}){0,30}"
        ) {
            let mut reference = reference_analyzer();
            let mut ours = english_analyzer();
            assert_same_tokens(&mut reference, &mut ours, &text);
        }
    }

    /// (position, term) of every token `analyzer` gives for `text`.
    fn positioned_terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            tokens.push((stream.token().position, stream.token().text.clone()));
        }
        tokens
    }

    /// What `all` indexes for `text`: the analysed tokenizer over its analysis.
    fn indexed_in_all(text: &str) -> Vec<(usize, String)> {
        let mut analysed = String::new();
        analyse_english_into(&mut EnglishTokenizer::default(), text, &mut analysed);
        positioned_terms(
            &mut TextAnalyzer::from(AnalysedTokenizer::default()),
            &analysed,
        )
    }

    #[test]
    fn analysed_text_keeps_a_slot_for_every_dropped_word() {
        let mut analysed = String::new();
        analyse_english_into(
            &mut EnglishTokenizer::default(),
            "The Bank of England",
            &mut analysed,
        );
        assert_eq!(analysed, " bank  england");
        assert_eq!(
            indexed_in_all("The Bank of England"),
            [(1, "bank".to_string()), (3, "england".to_string())]
        );
        analyse_english_into(&mut EnglishTokenizer::default(), "of the", &mut analysed);
        assert_eq!(analysed, "");
    }

    proptest::proptest! {
        #[test]
        fn all_indexes_the_terms_and_positions_of_the_english_analyser(text in "\\PC{0,200}") {
            proptest::prop_assert_eq!(
                indexed_in_all(&text),
                positioned_terms(&mut english_analyzer(), &text)
            );
        }

        #[test]
        fn all_indexes_the_terms_and_positions_of_wordy_text(
            text in "([A-Za-zÀ-ÿĀ-ž0-9½²]{1,45}[ ,.;'\\-]{1,3}){0,30}"
        ) {
            proptest::prop_assert_eq!(
                indexed_in_all(&text),
                positioned_terms(&mut english_analyzer(), &text)
            );
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

    /// The texts of the tokens `tokenizer` makes of an `entity` value.
    fn entity_tokens(tokenizer: EntityValueTokenizer, value: &str) -> Vec<String> {
        tokens(&mut TextAnalyzer::from(tokenizer), value)
            .into_iter()
            .map(|token| token.text)
            .collect()
    }

    #[test]
    fn an_entity_value_indexes_folded_names_and_keeps_labels_for_facets() {
        let value = crate::index::entities_value(&[
            crate::model::Entity {
                name: "Aleksandar Vučić".into(),
                kind: crate::model::EntityKind::Person,
            },
            crate::model::Entity {
                name: "Ratio: 2".into(),
                kind: crate::model::EntityKind::Other,
            },
        ]);
        assert_eq!(value, "person:Aleksandar Vučić\tother:Ratio: 2");
        let tabbed = crate::index::entities_value(&[crate::model::Entity {
            name: "Two\tParts".into(),
            kind: crate::model::EntityKind::Other,
        }]);
        assert_eq!(tabbed, "other:Two Parts");
        assert_eq!(
            entity_tokens(EntityValueTokenizer::names(), &value),
            ["aleksandar vucic", "ratio: 2"]
        );
        assert_eq!(
            entity_tokens(EntityValueTokenizer::labels(), &value),
            ["person:Aleksandar Vučić", "other:Ratio: 2"]
        );
        assert!(entity_tokens(EntityValueTokenizer::names(), "").is_empty());
    }

    proptest::proptest! {
        /// A filter looks up `keyword_analyzer(name)`: what the `entity` value indexes.
        #[test]
        fn an_entity_value_indexes_what_filters_look_up(
            names in proptest::collection::vec("\\PC{1,30}|[A-Za-zÀ-ž' .-]{1,30}", 0..6)
        ) {
            let entities: Vec<crate::model::Entity> = names
                .iter()
                .map(|name| crate::model::Entity {
                    name: name.clone(),
                    kind: crate::model::EntityKind::Organisation,
                })
                .collect();
            let value = crate::index::entities_value(&entities);
            let expected: Vec<String> = names
                .iter()
                .flat_map(|name| {
                    tokens(&mut keyword_analyzer(), name)
                        .into_iter()
                        .map(|token| token.text)
                })
                .collect();
            proptest::prop_assert_eq!(
                entity_tokens(EntityValueTokenizer::names(), &value),
                expected
            );
            let labels: Vec<String> = names.iter().map(|name| format!("organisation:{name}")).collect();
            proptest::prop_assert_eq!(
                entity_tokens(EntityValueTokenizer::labels(), &value),
                labels
            );
        }
    }
}
