//! Text analysis: the English analyser (words, lower case, ASCII folding, English stop words,
//! Snowball stems, in one pass with a memory of stems), the analyser of the pre-analysed `all`
//! field, the keyword analyser (folded names and categories) and the entity value tokenizer.
//! Index and query use the same functions; `schema` registers them under its tokenizer names.

mod memory;
mod recent;

use memory::WordMemory;
use recent::{Recent, Use};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

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

/// The English analyser as one tokenizer. Each clone (tantivy takes one per indexing thread
/// and per query) has its own memory of words, so no lock is shared between threads.
#[derive(Clone, Default)]
pub struct EnglishTokenizer {
    token: Token,
    /// Word as written -> its stem, or `None` for a stop word.
    words: WordMemory,
    /// Lower case and ASCII folding of words that are not ASCII, by tantivy's own filters.
    fold: Option<TextAnalyzer>,
    /// The last short text analysed in full, with its tokens (`recent::Recent`).
    recent: Recent,
}

pub struct EnglishTokenStream<'a> {
    text: &'a str,
    /// Byte offset where the search for the next token starts.
    at: usize,
    token: &'a mut Token,
    words: &'a mut WordMemory,
    fold: &'a mut Option<TextAnalyzer>,
    recent: &'a mut Recent,
    /// Whether the tokens come from `recent`, go into it, or neither.
    recent_use: Use,
}

impl Tokenizer for EnglishTokenizer {
    type TokenStream<'a> = EnglishTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> EnglishTokenStream<'a> {
        if self.words.len() > STEM_CACHE_WORDS {
            self.words.clear();
        }
        self.token.reset();
        let recent_use = self.recent.use_for(text);
        EnglishTokenStream {
            text,
            at: 0,
            token: &mut self.token,
            words: &mut self.words,
            fold: &mut self.fold,
            recent: &mut self.recent,
            recent_use,
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

    /// Appends the term of the word at `start..end` (a `next_word`) to `out`; false, with
    /// `out` as it was, where the chain drops it (a stop word, a long token).
    fn push_term(&mut self, start: usize, end: usize, out: &mut String) -> bool {
        push_term(self.words, self.fold, &self.text[start..end], out)
    }
}

/// Appends the term of `word` to `out`; false, with `out` as it was, where the chain drops it
/// (a stop word, a long token): from the memory of words, else analysed (`analyse_word`) and
/// remembered.
fn push_term(
    words: &mut WordMemory,
    fold: &mut Option<TextAnalyzer>,
    word: &str,
    out: &mut String,
) -> bool {
    if word.len() >= LONG_TOKEN_BYTES {
        return false;
    }
    words.push_term(word, out, |word| analyse_word(fold, word))
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
        match self.recent_use {
            Use::Replay(idx) => {
                self.recent_use = Use::Replay(idx + 1);
                return self.recent.replay(idx, self.token);
            }
            Use::StartRecording => {
                self.recent.start_recording(self.text);
                self.recent_use = Use::Record;
            }
            Use::Record | Use::Pass => {}
        }
        let more = self.analyse_next();
        if self.recent_use == Use::Record {
            if more {
                self.recent.record(self.token);
            } else {
                self.recent.finish_recording();
            }
        }
        more
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

impl EnglishTokenStream<'_> {
    /// The next token of the text, analysed; false at its end.
    fn analyse_next(&mut self) -> bool {
        loop {
            let Some((start, end)) = self.next_word() else {
                self.token.text.clear();
                return false;
            };
            // Every word takes a position, also those dropped below.
            self.token.position = self.token.position.wrapping_add(1);
            self.token.text.clear();
            if !push_term(
                self.words,
                self.fold,
                &self.text[start..end],
                &mut self.token.text,
            ) {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = end;
            return true;
        }
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

thread_local! {
    /// The English analyser of the build's own analyses on this thread (`all`'s values, the
    /// fingerprints): one memory of words, so that an article's words, analysed for both,
    /// are looked up in one table, whose slots they have just brought into the cache.
    static THREAD_ENGLISH: std::cell::RefCell<EnglishTokenizer> =
        std::cell::RefCell::new(EnglishTokenizer::default());
}

/// `analyse_english_into` with this thread's English analyser.
pub fn analyse_english_on_thread(text: &str, out: &mut String) {
    THREAD_ENGLISH.with_borrow_mut(|english| analyse_english_into(english, text, out));
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
        let before = out.len();
        for _ in slot..position {
            out.push(' ');
        }
        if !stream.push_term(start, end, out) {
            out.truncate(before);
            continue;
        }
        // Terms are made of alphanumeric characters, lower-cased and folded: never a space.
        debug_assert!(
            !out[before..].trim_start().contains(' '),
            "a term with a space"
        );
        slot = position;
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
    fn a_text_given_again_gets_the_same_tokens() {
        let mut reference = reference_analyzer();
        let mut ours = english_analyzer();
        let title = "Serbia's ammunition exports: Vučić defends the deals";
        let heading = "Running the numbers";
        let long = "The ammunition plants of Serbia ran at capacity. ".repeat(8);
        assert!(long.len() > 256, "a text too long to be remembered");
        // Repeated, interleaved, empty and too long: each stream is compared with the chain.
        let texts = [
            title, title, title, heading, heading, title, "", "", title, &long, &long, title,
        ];
        for text in texts {
            assert_same_tokens(&mut reference, &mut ours, text);
        }
        // A stream left before its end remembers nothing: the same text next gets every token.
        let mut stream = ours.token_stream("Kosovo and Serbia: the talks");
        assert!(stream.advance());
        drop(stream);
        assert_same_tokens(&mut reference, &mut ours, "Kosovo and Serbia: the talks");
        assert_same_tokens(&mut reference, &mut ours, "Kosovo and Serbia: the talks");
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
            // Either side of the inline memory's 16 bytes.
            "internationalis internationalise internationalised Internationalised",
            "éééééééé ééééééééé ﬃﬃﬃﬃﬃ ﬃﬃﬃﬃﬃﬃ ßßßßßßßß ẞẞẞẞẞẞ",
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
