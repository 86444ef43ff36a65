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
    if word.len() > 1 && word.bytes().all(|byte| byte.is_ascii_digit()) {
        // A number of two digits or more is its own term (no case, no suffix to stem, and
        // the stop words hold single digits only): no need to look it up. Numbers are 8% of
        // the words of Reuters' stories.
        out.push_str(word);
        return true;
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
mod tests;
