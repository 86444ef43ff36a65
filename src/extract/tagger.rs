//! Name tagging: text -> tokens -> a tag per token (person, place, organisation, other, none),
//! with an averaged perceptron whose weights are `data/ner_weights.tsv`, trained by
//! `examples/train_tagger.rs` on CoNLL-2003 eng.train and eng.testa only. It finds and types
//! name spans; it does not canonicalise them (the gazetteer and `entities` do).

use std::collections::HashMap;
use std::sync::OnceLock;

pub use crate::extract::feature_table::N_TAGS;
use crate::extract::feature_table::{FeatureTable, Slot, WeightMap, parse_tsv};
use crate::extract::gazetteer::{Form, FormKind, Gazetteer, has_uppercase};
use crate::model::EntityKind;

/// The perceptron's weights as `build.rs` packed them from `data/ner_weights.tsv`.
const PACKED_WEIGHTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ner_weights.table"));

/// The tags, in the order of the weight columns.
pub const TAGS: [Tag; N_TAGS] = [
    Tag::None,
    Tag::Person,
    Tag::Place,
    Tag::Organisation,
    Tag::Other,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    None,
    Person,
    Place,
    Organisation,
    Other,
}

impl Tag {
    pub fn idx(self) -> usize {
        self as usize
    }

    pub fn kind(self) -> Option<EntityKind> {
        match self {
            Tag::None => None,
            Tag::Person => Some(EntityKind::Person),
            Tag::Place => Some(EntityKind::Place),
            Tag::Organisation => Some(EntityKind::Organisation),
            Tag::Other => Some(EntityKind::Other),
        }
    }

    /// Reads a CoNLL-2003 tag (`I-PER`, `B-LOC`, `O`...).
    pub fn from_conll(tag: &str) -> Tag {
        match tag.rsplit('-').next().unwrap_or("O") {
            "PER" => Tag::Person,
            "LOC" => Tag::Place,
            "ORG" => Tag::Organisation,
            "MISC" => Tag::Other,
            _ => Tag::None,
        }
    }
}

/// One word or punctuation mark of a text, by byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    /// The token is the first of a line (a headline, a list item): it starts a sentence.
    pub starts_line: bool,
    /// The token holds a capital letter (`has_uppercase`), found by the tokenizer's scan.
    pub capitalised: bool,
}

/// Abbreviations whose final period belongs to the word.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Inc", "Corp", "Co", "Ltd", "Jr", "Sr", "Gen", "Col",
    "Lt", "Sgt", "Capt", "Gov", "Sen", "Rep", "Rev", "Mt", "Ft", "Bros", "Plc", "vs",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits text into words and punctuation: punctuation at the edges of a word is its own
/// token, a possessive `'s` is its own token, and periods inside abbreviations ("U.S.",
/// "Mr.") stay in the word. Hyphens and apostrophes inside a word stay.
pub fn tokenize(text: &str) -> Vec<Token<'_>> {
    // About one token per six bytes of English text: one allocation in most cases.
    let mut tokens = Vec::with_capacity(text.len() / 5 + 4);
    tokenize_into(text, &mut tokens);
    tokens
}

/// `tokenize`, appending to `tokens` (which a caller can reuse from text to text).
pub fn tokenize_into<'a>(text: &'a str, tokens: &mut Vec<Token<'a>>) {
    let bytes = text.as_bytes();
    let mut line_start = true;
    let mut idx = 0;
    loop {
        // Whitespace and control characters between chunks; a newline starts a line.
        while idx < bytes.len() {
            let byte = bytes[idx];
            if byte.is_ascii() {
                if ASCII_CLASS[usize::from(byte)] != SPACE {
                    break;
                }
                line_start |= byte == b'\n';
                idx += 1;
            } else {
                let (c, len) = char_at(text, idx);
                if !is_space(c) {
                    break;
                }
                idx += len;
            }
        }
        if idx == bytes.len() {
            return;
        }
        // One chunk: everything up to the next space. ASCII is decided byte by byte; anything
        // else is decoded as one char.
        let start = idx;
        // The classes of the chunk's bytes, or-ed.
        let mut classes = 0;
        while idx < bytes.len() {
            // A run of lowercase letters, up to eight bytes at a time.
            if let Some(block) = bytes.get(idx..idx + 8) {
                let block = u64::from_le_bytes(block.try_into().unwrap_or_default());
                let others = !lowercase_letters(block) & HIGH_BITS;
                let run = (others.trailing_zeros() / 8) as usize;
                if run > 0 {
                    classes |= ALPHANUMERIC;
                    idx += run;
                    continue;
                }
            }
            let byte = bytes[idx];
            if byte.is_ascii() {
                let class = ASCII_CLASS[usize::from(byte)];
                if class == SPACE {
                    break;
                }
                classes |= class;
                idx += 1;
            } else {
                let (c, len) = char_at(text, idx);
                if is_space(c) {
                    break;
                }
                classes |= PUNCTUATION;
                idx += len;
            }
        }
        if classes & PUNCTUATION == 0 {
            // Most chunks are one plain word: letters and digits that end in neither a
            // possessive nor punctuation.
            tokens.push(Token {
                text: &text[start..idx],
                start,
                end: idx,
                starts_line: line_start,
                capitalised: classes & UPPERCASE != 0,
            });
        } else {
            split_chunk(text, start, idx, line_start, tokens);
        }
        line_start = false;
    }
}

/// The tokenizer's classes of ASCII bytes: whitespace and control characters, lowercase
/// letters and digits, capital letters, and the rest (bits, or-ed over a chunk).
const SPACE: u8 = 0;
const ALPHANUMERIC: u8 = 1;
const UPPERCASE: u8 = 2;
const PUNCTUATION: u8 = 4;
const ASCII_CLASS: [u8; 128] = {
    let mut classes = [PUNCTUATION; 128];
    let mut byte: u8 = 0;
    while byte < 128 {
        if byte.is_ascii_whitespace() || byte.is_ascii_control() {
            classes[byte as usize] = SPACE;
        } else if byte.is_ascii_uppercase() {
            classes[byte as usize] = ALPHANUMERIC | UPPERCASE;
        } else if byte.is_ascii_alphanumeric() {
            classes[byte as usize] = ALPHANUMERIC;
        }
        byte += 1;
    }
    classes
};

/// The high bit of each byte of a `u64`.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `block` that is a lowercase ASCII letter, set; every other bit
/// clear. Each byte is computed apart: no borrow crosses bytes.
fn lowercase_letters(block: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = block & !HIGH_BITS;
    let at_least_a = (low | HIGH_BITS) - ONES * u64::from(b'a');
    let at_most_z = ((ONES * u64::from(b'z')) | HIGH_BITS) - low;
    at_least_a & at_most_z & !block & HIGH_BITS
}

/// Whether a char other than ASCII separates chunks.
fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// The first char of `text[at..]` and its length, ASCII without decoding.
fn char_at(text: &str, at: usize) -> (char, usize) {
    let byte = text.as_bytes()[at];
    if byte.is_ascii() {
        return (byte as char, 1);
    }
    let c = text[at..].chars().next().unwrap_or(' ');
    (c, c.len_utf8())
}

/// The last char of `text[..at]` and its length, ASCII without decoding.
fn char_before(text: &str, at: usize) -> (char, usize) {
    let byte = text.as_bytes()[at - 1];
    if byte.is_ascii() {
        return (byte as char, 1);
    }
    let c = text[..at].chars().next_back().unwrap_or(' ');
    (c, c.len_utf8())
}

/// A word ending in a period keeps it: an abbreviation with inner periods ("U.S."), an
/// initial ("J."), or a known abbreviation ("Mr.").
fn keeps_period(word: &str) -> bool {
    if word.contains('.') {
        return true;
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_uppercase()
    {
        return true;
    }
    word.len() <= 4
        && ABBREVIATIONS
            .iter()
            .any(|abbreviation| abbreviation.eq_ignore_ascii_case(word))
}

/// Splits a chunk that is not one plain word (see `tokenize`).
fn split_chunk<'a>(
    text: &'a str,
    start: usize,
    end: usize,
    starts_line: bool,
    out: &mut Vec<Token<'a>>,
) {
    let mut first = true;
    let mut push = |from: usize, to: usize, out: &mut Vec<Token<'a>>| {
        if from < to {
            out.push(Token {
                text: &text[from..to],
                start: from,
                end: to,
                starts_line: starts_line && first,
                capitalised: has_uppercase(&text[from..to]),
            });
            first = false;
        }
    };
    // Leading punctuation, one token each.
    let mut core_start = start;
    while core_start < end {
        let (c, len) = char_at(text, core_start);
        if is_word_char(c) {
            break;
        }
        push(core_start, core_start + len, out);
        core_start += len;
    }
    if core_start == end {
        return;
    }
    // Trailing punctuation: one token each, pushed after the word.
    let mut core_end = end;
    while core_end > core_start {
        let (c, len) = char_before(text, core_end);
        if is_word_char(c) {
            break;
        }
        let at = core_end - len;
        if c == '.' && keeps_period(&text[core_start..at]) {
            break;
        }
        core_end = at;
    }
    // A possessive is its own token.
    let core = &text[core_start..core_end];
    let possessive_len = ["'s", "\u{2019}s", "'S"]
        .iter()
        .find(|suffix| core.len() > suffix.len() && core.ends_with(*suffix))
        .map(|suffix| suffix.len());
    match possessive_len {
        Some(len) => {
            push(core_start, core_end - len, out);
            push(core_end - len, core_end, out);
        }
        None => push(core_start, core_end, out),
    }
    let mut at = core_end;
    while at < end {
        let (_, len) = char_at(text, at);
        push(at, at + len, out);
        at += len;
    }
}

/// FNV-1a, so that features hash without allocating and the same on every platform.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new(template: u64) -> Fnv {
        let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
        hash.byte(template as u8);
        hash
    }

    fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
}

/// A feature's hash: its template, then the values it combines, each mixed in with one
/// 64-by-64-bit multiplication whose halves are folded together (as `foldhash` does), a few
/// cycles where hashing a value's eight bytes one by one took eight dependent multiplications.
#[derive(Clone, Copy)]
struct Feature(u64);

impl Feature {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

    fn new(template: u64) -> Feature {
        Feature(Feature::SEED).u64(template)
    }

    fn u64(self, value: u64) -> Feature {
        let product = u128::from(self.0 ^ value) * u128::from(Feature::MULTIPLIER);
        Feature((product as u64) ^ ((product >> 64) as u64))
    }
}

/// Per-token values the features are made of, computed once per token.
#[derive(Clone, Copy)]
struct TokenInfo {
    word: u64,
    shape: u64,
    prefix: u64,
    suffix: u64,
    /// 0: no known form covers the token; otherwise kind and position of the gazetteer match.
    gazetteer: u64,
    /// The token holds a capital letter.
    capitalised: bool,
    /// The token is ASCII letters and digits only (known once `word` is): its gazetteer key
    /// is its lowercase form.
    plain: bool,
    candidate: bool,
    sentence_start: bool,
}

/// The hash of a word's lowercase form (the tagger's word feature; the gazetteer's first words).
pub(crate) fn hash_lower(text: &str) -> u64 {
    let mut hash = Fnv::new(0);
    if text.is_ascii() {
        for byte in text.bytes() {
            hash.byte(byte.to_ascii_lowercase());
        }
        return hash.0;
    }
    for c in text.chars().flat_map(char::to_lowercase) {
        let mut buffer = [0; 4];
        for byte in c.encode_utf8(&mut buffer).bytes() {
            hash.byte(byte);
        }
    }
    hash.0
}

fn shape_hash(text: &str) -> u64 {
    let mut hash = Fnv::new(1);
    if text.is_ascii() {
        // Out of a byte's range: the first class is always hashed.
        let mut last = u16::MAX;
        for byte in text.bytes() {
            let class = if byte.is_ascii_uppercase() {
                b'X'
            } else if byte.is_ascii_lowercase() {
                b'x'
            } else if byte.is_ascii_digit() {
                b'd'
            } else {
                byte
            };
            if u16::from(class) != last {
                hash.byte(class);
                last = u16::from(class);
            }
        }
        hash.byte(text.len().min(5) as u8);
        return hash.0;
    }
    let mut last = None;
    let mut n_chars = 0;
    for c in text.chars() {
        n_chars += 1;
        let class = if c.is_uppercase() {
            b'X'
        } else if c.is_lowercase() {
            b'x'
        } else if c.is_numeric() {
            b'd'
        } else if c.is_ascii() {
            c as u8
        } else {
            b'?'
        };
        if last != Some(class) {
            hash.byte(class);
            last = Some(class);
        }
    }
    hash.byte(n_chars.min(5) as u8);
    hash.0
}

fn affix_hash(text: &str, template: u64, from_end: bool) -> u64 {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let affix = if from_end {
            &bytes[bytes.len().saturating_sub(3)..]
        } else {
            &bytes[..bytes.len().min(3)]
        };
        let mut hash = Fnv::new(template as u8 as u64);
        for byte in affix {
            hash.byte(byte.to_ascii_lowercase());
        }
        return hash.0;
    }
    let start = if from_end {
        text.char_indices().rev().nth(2).map_or(0, |(idx, _)| idx)
    } else {
        0
    };
    let mut hash = Fnv::new(template as u8 as u64);
    for c in text[start..].chars().take(3).flat_map(char::to_lowercase) {
        let mut buffer = [0; 4];
        for byte in c.encode_utf8(&mut buffer).bytes() {
            hash.byte(byte);
        }
    }
    hash.0
}

/// One scan of a token's bytes: `hash_lower`, `shape_hash`, whether it holds a capital
/// letter and whether it is ASCII letters and digits only. Text other than ASCII takes the
/// general functions.
fn scan_token(text: &str) -> (u64, u64, bool, bool) {
    let mut word = Fnv::new(0);
    let mut shape = Fnv::new(1);
    // Not a class: the first class is always hashed.
    let mut last = u8::MAX;
    let mut upper = false;
    let mut plain = true;
    for &byte in text.as_bytes() {
        let Some(&class) = SHAPE_CLASS.get(usize::from(byte)) else {
            return (
                hash_lower(text),
                shape_hash(text),
                text.chars().any(char::is_uppercase),
                false,
            );
        };
        word.byte(byte.to_ascii_lowercase());
        upper |= class == b'X';
        plain &= matches!(class, b'X' | b'x' | b'd');
        if class != last {
            shape.byte(class);
            last = class;
        }
    }
    shape.byte(text.len().min(5) as u8);
    (word.0, shape.0, upper, plain)
}

/// `shape_hash`'s class of each ASCII byte.
const SHAPE_CLASS: [u8; 128] = {
    let mut classes = [0; 128];
    let mut byte = 0;
    while byte < 128 {
        classes[byte as usize] = match byte {
            b'A'..=b'Z' => b'X',
            b'a'..=b'z' => b'x',
            b'0'..=b'9' => b'd',
            _ => byte,
        };
        byte += 1;
    }
    classes
};

fn is_sentence_end(text: &str) -> bool {
    matches!(
        text,
        "." | "!" | "?" | ":" | ";" | "\"" | "(" | "-" | "--" | "\u{201c}"
    )
}

const CONNECTORS: &[&str] = &[
    "of", "and", "de", "van", "von", "der", "den", "du", "la", "le", "al", "bin", "da", "del",
    "for", "the", "&", "y", "di",
];

/// The tagger: the weights, and the gazetteer whose matches are features.
pub struct Tagger {
    weights: FeatureTable,
}

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tagger({} features)", self.weights.len)
    }
}

/// The shipped tagger, unpacked once per process.
pub fn builtin_tagger() -> &'static Tagger {
    static TAGGER: OnceLock<Tagger> = OnceLock::new();
    TAGGER.get_or_init(|| Tagger {
        weights: FeatureTable::unpack(PACKED_WEIGHTS).expect("build.rs packs a valid table"),
    })
}

impl Tagger {
    /// A tagger with no weights: tags nothing. Used to measure the cost of tagging.
    pub fn empty() -> Tagger {
        Tagger {
            weights: FeatureTable::default(),
        }
    }

    /// Reads weights written by `feature_table::weights_tsv`; lines that do not parse are
    /// skipped (the shipped file is checked by a unit test).
    pub fn from_tsv(text: &str) -> Tagger {
        Tagger::from_map(&parse_tsv(text))
    }

    pub fn from_map(map: &WeightMap) -> Tagger {
        Tagger {
            weights: FeatureTable::from_map(map),
        }
    }

    pub fn n_features(&self) -> usize {
        self.weights.len
    }

    pub fn is_empty(&self) -> bool {
        self.weights.len == 0
    }

    /// One tag per token; `matches` are the text's `known_matches`.
    pub fn tag(
        &self,
        tokens: &[Token<'_>],
        matches: &KnownMatches,
        gazetteer: &Gazetteer,
    ) -> Vec<Tag> {
        let mut tags = vec![Tag::None; tokens.len()];
        if self.is_empty() {
            return tags;
        }
        let infos = token_infos(tokens, matches, gazetteer);
        self.decode(&infos, &mut tags);
        tags
    }

    /// `known_matches` and `tag` of one text, each token's bytes scanned once for both.
    pub fn tag_text(
        &self,
        tokens: &[Token<'_>],
        gazetteer: &Gazetteer,
    ) -> (KnownMatches, Vec<Tag>) {
        let mut infos = scan_tokens(tokens);
        hash_infos(tokens, &mut infos);
        let matches = known_matches_by(tokens, gazetteer, |idx| {
            may_start_form(&infos[idx], gazetteer)
        });
        let mut tags = vec![Tag::None; tokens.len()];
        if !self.is_empty() {
            mark_gazetteer(&matches, gazetteer, &mut infos);
            self.decode(&infos, &mut tags);
        }
        (matches, tags)
    }

    /// `tag_text` into buffers reused from text to text: fills `scratch.matches` and
    /// `scratch.tags`.
    pub fn tag_text_into(
        &self,
        tokens: &[Token<'_>],
        gazetteer: &Gazetteer,
        scratch: &mut TagScratch,
    ) {
        let TagScratch {
            infos,
            matches,
            tags,
            features,
            words,
            key,
        } = scratch;
        infos.clear();
        infos.extend(scan_token_infos(tokens));
        hash_infos(tokens, infos);
        let mut words = recycle(std::mem::take(words));
        known_matches_into(
            tokens,
            gazetteer,
            |idx| may_start_form(&infos[idx], gazetteer),
            matches,
            &mut words,
            key,
        );
        scratch.words = recycle(words);
        tags.clear();
        tags.resize(tokens.len(), Tag::None);
        if !self.is_empty() {
            mark_gazetteer(matches, gazetteer, infos);
            self.decode_with(infos, tags, features);
        }
    }

    /// Greedy left-to-right decoding of the candidates.
    fn decode(&self, infos: &[TokenInfo], tags: &mut [Tag]) {
        self.decode_with(infos, tags, &mut Vec::with_capacity(24));
    }

    fn decode_with(&self, infos: &[TokenInfo], tags: &mut [Tag], features: &mut Vec<u64>) {
        for idx in 0..infos.len() {
            if !infos[idx].candidate {
                continue;
            }
            features.clear();
            token_features(infos, tags, idx, features);
            tags[idx] = self.best(features);
        }
    }

    fn scores(&self, features: &[u64]) -> [i32; N_TAGS] {
        const BATCH: usize = 32;
        let table = &self.weights;
        let mut scores = [0; N_TAGS];
        if table.slots.is_empty() {
            return scores;
        }
        for batch in features.chunks(BATCH) {
            // All slot loads first, with nothing waiting on them, so that they overlap.
            let mut slots = [0; BATCH];
            let mut found = [Slot::default(); BATCH];
            for (idx, &feature) in batch.iter().enumerate() {
                slots[idx] = table.slot(feature);
                found[idx] = table.slots[slots[idx]];
            }
            // A miss adds zeros, which change no sum.
            for (idx, &feature) in batch.iter().enumerate() {
                let weights = table.weights_from(feature, slots[idx], found[idx]);
                for (score, weight) in scores.iter_mut().zip(weights) {
                    *score += i32::from(weight);
                }
            }
        }
        scores
    }

    fn best(&self, features: &[u64]) -> Tag {
        let scores = self.scores(features);
        let mut best = 0;
        for idx in 1..N_TAGS {
            if scores[idx] > scores[best] {
                best = idx;
            }
        }
        TAGS[best]
    }
}

/// The longest known form starting at each token (within its line), if any.
pub type KnownMatches = Vec<Option<(Form, usize)>>;

/// Looks up, once per text, the known forms that start at each token; the tagger's features
/// and the extractor's spans both use them.
pub fn known_matches(tokens: &[Token<'_>], gazetteer: &Gazetteer) -> KnownMatches {
    known_matches_by(tokens, gazetteer, |idx| tokens[idx].capitalised)
}

/// `known_matches`, told which tokens hold a capital letter.
fn known_matches_by(
    tokens: &[Token<'_>],
    gazetteer: &Gazetteer,
    capitalised: impl Fn(usize) -> bool,
) -> KnownMatches {
    let mut matches = Vec::new();
    known_matches_into(
        tokens,
        gazetteer,
        capitalised,
        &mut matches,
        &mut Vec::new(),
        &mut String::with_capacity(64),
    );
    matches
}

/// `known_matches_by` into `matches`, with buffers for the words and the lookup key.
fn known_matches_into<'a>(
    tokens: &[Token<'a>],
    gazetteer: &Gazetteer,
    capitalised: impl Fn(usize) -> bool,
    matches: &mut KnownMatches,
    words: &mut Vec<&'a str>,
    key: &mut String,
) {
    matches.clear();
    matches.resize(tokens.len(), None);
    if gazetteer.is_empty() {
        return;
    }
    words.clear();
    words.extend(tokens.iter().map(|token| token.text));
    let mut line_end = tokens.len();
    for idx in (0..tokens.len()).rev() {
        if capitalised(idx) {
            matches[idx] = gazetteer.longest_match_in(&words[idx..line_end], key);
        }
        if tokens[idx].starts_line {
            line_end = idx;
        }
    }
}

/// Buffers of `Tagger::tag_text_into`, kept from text to text.
#[derive(Default)]
pub struct TagScratch {
    infos: Vec<TokenInfo>,
    pub matches: KnownMatches,
    pub tags: Vec<Tag>,
    features: Vec<u64>,
    /// Empty between texts; holds the words of the text being tagged.
    words: Vec<&'static str>,
    key: String,
}

/// An empty vector that keeps the allocation of `spare` (the standard library collects in
/// place when the items have the same size), for borrowed items of another lifetime.
pub fn recycle<T, U>(mut spare: Vec<T>) -> Vec<U> {
    spare.clear();
    spare
        .into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Marks every token a known form covers, by the form's kind and the token's place in it.
fn mark_gazetteer(matches: &KnownMatches, gazetteer: &Gazetteer, infos: &mut [TokenInfo]) {
    let mut idx = 0;
    while idx < matches.len() {
        match matches[idx] {
            Some((form, matched)) => {
                let kind = gazetteer.known(form.entity).entity.kind as u64;
                let adjective = u64::from(form.kind == FormKind::Adjective);
                for (offset, info) in infos[idx..idx + matched].iter_mut().enumerate() {
                    info.gazetteer = 1 + kind * 4 + adjective * 2 + u64::from(offset > 0);
                }
                idx += matched;
            }
            None => idx += 1,
        }
    }
}

fn token_infos(
    tokens: &[Token<'_>],
    matches: &KnownMatches,
    gazetteer: &Gazetteer,
) -> Vec<TokenInfo> {
    let mut infos = scan_tokens(tokens);
    complete_infos(tokens, matches, gazetteer, &mut infos);
    infos
}

/// Whether each token holds a capital letter (and so is a candidate, until connectors join
/// them). The hashes and sentence starts that features read are `complete_infos`'.
fn scan_tokens(tokens: &[Token<'_>]) -> Vec<TokenInfo> {
    scan_token_infos(tokens).collect()
}

fn scan_token_infos<'t>(tokens: &'t [Token<'_>]) -> impl Iterator<Item = TokenInfo> + 't {
    tokens.iter().map(|token| TokenInfo {
        capitalised: token.capitalised,
        candidate: token.capitalised,
        ..UNSCANNED_INFO
    })
}

/// A token's info before `complete_infos`: features never read the hashes of a token that is
/// neither a candidate nor next to one, and those stay unset.
const UNSCANNED_INFO: TokenInfo = TokenInfo {
    word: 0,
    shape: 0,
    prefix: 0,
    suffix: 0,
    gazetteer: 0,
    capitalised: false,
    plain: false,
    candidate: false,
    sentence_start: false,
};

/// `hash_infos`, then the gazetteer marks.
fn complete_infos(
    tokens: &[Token<'_>],
    matches: &KnownMatches,
    gazetteer: &Gazetteer,
    infos: &mut [TokenInfo],
) {
    hash_infos(tokens, infos);
    mark_gazetteer(matches, gazetteer, infos);
}

/// Whether a known form may start at the token: it holds a capital letter and, when its key is
/// its lowercase form, some form's first word has its hash. Needs `hash_infos`.
fn may_start_form(info: &TokenInfo, gazetteer: &Gazetteer) -> bool {
    info.capitalised && (!info.plain || gazetteer.may_start_form(info.word))
}

/// A connector between capitalised words ("Bank of England") is a candidate too.
fn mark_connectors(tokens: &[Token<'_>], infos: &mut [TokenInfo]) {
    for idx in 1..infos.len().saturating_sub(1) {
        if !infos[idx].capitalised
            && infos[idx - 1].capitalised
            && infos[idx + 1].capitalised
            && CONNECTORS.contains(&tokens[idx].text)
        {
            infos[idx].candidate = true;
        }
    }
}

/// Candidates, the hashes of candidates and their neighbours (the only tokens features read),
/// and candidates' affixes and sentence starts.
fn hash_infos(tokens: &[Token<'_>], infos: &mut [TokenInfo]) {
    mark_connectors(tokens, infos);
    // Tokens before `hashed` have their word and shape hashes.
    let mut hashed = 0;
    for idx in 0..infos.len() {
        if !infos[idx].candidate {
            continue;
        }
        for near in hashed.max(idx.saturating_sub(1))..(idx + 2).min(infos.len()) {
            let (word, shape, _, plain) = scan_token(tokens[near].text);
            infos[near].word = word;
            infos[near].shape = shape;
            infos[near].plain = plain;
        }
        hashed = (idx + 2).min(infos.len());
        let token = &tokens[idx];
        let info = &mut infos[idx];
        info.prefix = affix_hash(token.text, 2, false);
        info.suffix = affix_hash(token.text, 3, true);
        info.sentence_start =
            idx == 0 || token.starts_line || is_sentence_end(tokens[idx - 1].text);
    }
}

/// What features read before the first token and after the last.
const NONE_INFO: TokenInfo = TokenInfo {
    word: 0x5eed,
    shape: 0x5eed,
    ..UNSCANNED_INFO
};

fn token_features(infos: &[TokenInfo], tags: &[Tag], idx: usize, out: &mut Vec<u64>) {
    let at = |offset: isize| -> TokenInfo {
        let position = idx as isize + offset;
        if position < 0 || position as usize >= infos.len() {
            NONE_INFO
        } else {
            infos[position as usize]
        }
    };
    let tag_at = |offset: usize| -> u64 {
        if idx >= offset {
            tags[idx - offset] as u64
        } else {
            9
        }
    };
    let here = infos[idx];
    let (prev, next) = (at(-1), at(1));
    let feature = |template: u64| Feature::new(template);
    out.push(feature(10).0);
    out.push(feature(11).u64(here.word).0);
    out.push(feature(12).u64(here.shape).0);
    out.push(feature(13).u64(here.prefix).0);
    out.push(feature(14).u64(here.suffix).0);
    out.push(feature(15).u64(prev.word).0);
    out.push(feature(16).u64(next.word).0);
    out.push(feature(19).u64(prev.shape).u64(here.shape).0);
    out.push(feature(20).u64(here.shape).u64(next.shape).0);
    out.push(feature(21).u64(tag_at(1)).0);
    out.push(feature(23).u64(tag_at(1)).u64(here.shape).0);
    out.push(
        feature(24)
            .u64(u64::from(here.sentence_start))
            .u64(here.shape)
            .0,
    );
    out.push(feature(25).u64(here.gazetteer).0);
    out.push(feature(26).u64(prev.gazetteer).u64(here.gazetteer).0);
    out.push(feature(27).u64(next.gazetteer).0);
    out.push(feature(28).u64(prev.word).u64(here.word).0);
    out.push(feature(29).u64(here.word).u64(next.word).0);
    out.push(
        feature(30)
            .u64(u64::from(here.sentence_start))
            .u64(here.word)
            .0,
    );
}

/// One training sentence: tokens and their gold tags.
#[derive(Debug, Default)]
pub struct TrainingSentence {
    pub words: Vec<String>,
    pub tags: Vec<Tag>,
    /// The token starts a new name right after another of the same kind (IOB1 `B-`).
    pub begins: Vec<bool>,
}

/// Trains an averaged perceptron for `epochs` passes over `sentences` (shuffled with a fixed
/// seed, so a run is reproducible), then drops the features whose weights all stay under
/// `min_weight`.
pub fn train(
    sentences: &[TrainingSentence],
    gazetteer: &Gazetteer,
    epochs: usize,
    min_weight: f32,
) -> WeightMap {
    let mut weights: HashMap<u64, [f32; N_TAGS]> = HashMap::new();
    // Averaging: the running sum of each weight over time, kept lazily.
    let mut totals: HashMap<u64, [f32; N_TAGS]> = HashMap::new();
    let mut stamps: HashMap<u64, [u64; N_TAGS]> = HashMap::new();
    let mut clock: u64 = 0;
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let prepared: Vec<(Vec<TokenInfo>, &[Tag])> = sentences
        .iter()
        .map(|sentence| {
            let joined = sentence.words.join(" ");
            let tokens = tokenize_given(&joined, &sentence.words);
            let matches = known_matches(&tokens, gazetteer);
            (
                token_infos(&tokens, &matches, gazetteer),
                sentence.tags.as_slice(),
            )
        })
        .collect();
    let mut update = |weights: &mut HashMap<u64, [f32; N_TAGS]>,
                      feature: u64,
                      tag: usize,
                      delta: f32,
                      clock: u64| {
        let row = weights.entry(feature).or_insert([0.0; N_TAGS]);
        let total = totals.entry(feature).or_insert([0.0; N_TAGS]);
        let stamp = stamps.entry(feature).or_insert([0; N_TAGS]);
        total[tag] += (clock - stamp[tag]) as f32 * row[tag];
        stamp[tag] = clock;
        row[tag] += delta;
    };
    for _ in 0..epochs {
        for idx in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(idx, (seed % (idx as u64 + 1)) as usize);
        }
        for &sentence_idx in &order {
            let (infos, gold) = &prepared[sentence_idx];
            let mut tags = vec![Tag::None; infos.len()];
            let mut features = Vec::with_capacity(24);
            for idx in 0..infos.len() {
                if !infos[idx].candidate {
                    continue;
                }
                clock += 1;
                features.clear();
                token_features(infos, &tags, idx, &mut features);
                let mut scores = [0.0f32; N_TAGS];
                for feature in &features {
                    if let Some(row) = weights.get(feature) {
                        for (score, weight) in scores.iter_mut().zip(row) {
                            *score += weight;
                        }
                    }
                }
                let mut guess = 0;
                for tag in 1..N_TAGS {
                    if scores[tag] > scores[guess] {
                        guess = tag;
                    }
                }
                let truth = gold[idx].idx();
                if guess != truth {
                    for &feature in &features {
                        update(&mut weights, feature, truth, 1.0, clock);
                        update(&mut weights, feature, guess, -1.0, clock);
                    }
                }
                // Greedy decoding trains on its own guesses, as it will run.
                tags[idx] = TAGS[guess];
            }
        }
    }
    let mut averaged = WeightMap::default();
    for (feature, row) in &weights {
        let total = totals.get(feature).copied().unwrap_or([0.0; N_TAGS]);
        let stamp = stamps.get(feature).copied().unwrap_or([0; N_TAGS]);
        let mut average = [0.0; N_TAGS];
        for tag in 0..N_TAGS {
            let sum = total[tag] + (clock - stamp[tag]) as f32 * row[tag];
            average[tag] = sum / clock.max(1) as f32;
        }
        // Rescale so that weights read as small numbers in the file.
        let scaled = average.map(|weight| weight * 1000.0);
        if scaled.iter().any(|weight| weight.abs() >= min_weight) {
            averaged.insert(
                *feature,
                scaled.map(|w| if w.abs() < min_weight { 0.0 } else { w }),
            );
        }
    }
    averaged
}

/// Tokens of a text made by joining already tokenised words with single spaces.
pub fn tokenize_given<'a>(joined: &'a str, words: &[String]) -> Vec<Token<'a>> {
    let mut tokens = Vec::with_capacity(words.len());
    let mut start = 0;
    for (idx, word) in words.iter().enumerate() {
        let end = start + word.len();
        tokens.push(Token {
            text: &joined[start..end],
            start,
            end,
            starts_line: idx == 0,
            capitalised: has_uppercase(word),
        });
        start = end + 1;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<&str> {
        tokenize(input)
            .into_iter()
            .map(|token| token.text)
            .collect()
    }

    #[test]
    fn tokenize_splits_punctuation_and_possessives_but_keeps_abbreviations() {
        assert_eq!(
            texts("Serbia's army (SIPRI) met Mr. Vucic in the U.S., \"quietly\"."),
            [
                "Serbia", "'s", "army", "(", "SIPRI", ")", "met", "Mr.", "Vucic", "in", "the",
                "U.S.", ",", "\"", "quietly", "\"", "."
            ]
        );
        assert_eq!(
            texts("Bosnia-Herzegovina’s O'Neill"),
            ["Bosnia-Herzegovina", "’s", "O'Neill"]
        );
    }

    #[test]
    fn tokens_know_line_starts_and_byte_ranges() {
        let text = "Title here\nBody  text";
        let tokens = tokenize(text);
        assert!(tokens[0].starts_line && !tokens[1].starts_line && tokens[2].starts_line);
        for token in &tokens {
            assert_eq!(&text[token.start..token.end], token.text);
        }
    }

    #[test]
    fn the_packed_weights_are_the_shipped_file() {
        let shipped = include_str!("../../data/ner_weights.tsv");
        let n_lines = shipped.lines().count();
        let parsed = Tagger::from_tsv(shipped);
        assert_eq!(
            parsed.n_features(),
            n_lines,
            "every line of the file parses"
        );
        let tagger = builtin_tagger();
        assert_eq!(tagger.n_features(), n_lines, "{tagger:?}");
        assert_eq!(tagger.weights.slots, parsed.weights.slots);
        assert_eq!(tagger.weights.zero, parsed.weights.zero);
        assert_eq!(
            tagger.weights.scale.to_bits(),
            parsed.weights.scale.to_bits()
        );
    }

    #[test]
    fn tag_text_equals_known_matches_then_tag() {
        let gazetteer = Gazetteer::builtin();
        let tagger = builtin_tagger();
        let text =
            "Aleksandar Vučić met the Bank of England in New York.\nSERBIA'S ARMY (SIPRI) said.";
        let tokens = tokenize(text);
        let matches = known_matches(&tokens, &gazetteer);
        let (text_matches, text_tags) = tagger.tag_text(&tokens, &gazetteer);
        assert_eq!(text_matches, matches);
        assert_eq!(text_tags, tagger.tag(&tokens, &matches, &gazetteer));
        assert!(text_tags.contains(&Tag::Person), "{text_tags:?}");
    }

    /// The texts of the passages of the bundled `corpus/` articles, and some of our own.
    fn sample_texts() -> Vec<String> {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        let walk = crate::ingest::walk_corpus(&corpus, &crate::ingest::WalkOptions::default())
            .expect("the bundled corpus exists");
        let map = crate::ingest::mapping::FieldMap::default();
        let mut texts: Vec<String> = walk
            .files
            .iter()
            .flat_map(|file| crate::ingest::read_file(file, &map))
            .flatten()
            .flat_map(|article| crate::passage::split_passages(&article))
            .map(|passage| passage.text)
            .collect();
        assert!(texts.len() > 100, "{}", texts.len());
        texts.extend(
            [
                "Aleksandar Vučić met the Bank of England in New York.\nSERBIA'S ARMY (SIPRI) said.",
                "Vucic",
                "The",
                "of England",
                "\"Mr. O'Neill\" -- of the U.S. -- said: \u{201c}Yes\u{201d}.\r\n\tEU's NATO-led \u{a0}Kyiv\u{2019}s",
                "ΑΘΗΝΑ και Москва 北京 ,,, ... 'S 's",
                "Bosnia-Herzegovina's Türkiye, the U.S. and WHO; West German NEW YORK Russian Federation",
            ]
            .map(str::to_string),
        );
        texts
    }

    /// The tokenizer as it was before its chunk scan: char by char, every chunk split by
    /// `split_chunk`.
    fn reference_tokenize(text: &str) -> Vec<Token<'_>> {
        let mut tokens = Vec::new();
        let mut line_start = true;
        let mut chunk_start = None;
        for (idx, c) in text.char_indices() {
            if c.is_whitespace() || c.is_control() {
                if let Some(start) = chunk_start.take() {
                    split_chunk(text, start, idx, line_start, &mut tokens);
                    line_start = false;
                }
                if c == '\n' {
                    line_start = true;
                }
            } else if chunk_start.is_none() {
                chunk_start = Some(idx);
            }
        }
        if let Some(start) = chunk_start {
            split_chunk(text, start, text.len(), line_start, &mut tokens);
        }
        tokens
    }

    #[test]
    fn lowercase_letters_marks_exactly_those_bytes() {
        for byte in 0..=u8::MAX {
            for place in 0..8 {
                let block = (u64::from(byte) << (place * 8))
                    | (0x4141_4141_4141_4141 & !(0xff << (place * 8)));
                let want = if byte.is_ascii_lowercase() {
                    0x80 << (place * 8)
                } else {
                    0
                };
                assert_eq!(lowercase_letters(block), want, "{byte:#x} at {place}");
                let in_letters = (u64::from(byte) << (place * 8))
                    | (0x6161_6161_6161_6161 & !(0xff << (place * 8)));
                let others = HIGH_BITS & !(0x80 << (place * 8));
                assert_eq!(
                    lowercase_letters(in_letters),
                    want | others,
                    "{byte:#x} at {place}"
                );
            }
        }
    }

    #[test]
    fn tokenize_equals_the_reference_tokenizer() {
        for text in sample_texts() {
            let tokens = tokenize(&text);
            assert_eq!(tokens, reference_tokenize(&text), "{text:?}");
            for token in tokens {
                let capitalised = token.text.chars().any(char::is_uppercase);
                assert_eq!(token.capitalised, capitalised, "{token:?}");
            }
        }
    }

    mod tokenizer_matches_reference {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn on_any_text(text in "([\\PC\\p{Cc} \\n]{0,6}[A-Za-z0-9.,'’()\"-]{0,6}){0,20}") {
                prop_assert_eq!(tokenize(&text), reference_tokenize(&text));
            }
        }
    }

    /// Infos as the tagger first computed them: every token hashed, every sentence start.
    fn reference_infos(
        tokens: &[Token<'_>],
        matches: &KnownMatches,
        gazetteer: &Gazetteer,
    ) -> Vec<TokenInfo> {
        let mut infos: Vec<TokenInfo> = tokens
            .iter()
            .enumerate()
            .map(|(idx, token)| {
                let (word, shape, capitalised, plain) = scan_token(token.text);
                TokenInfo {
                    word,
                    shape,
                    prefix: 0,
                    suffix: 0,
                    gazetteer: 0,
                    capitalised,
                    plain,
                    candidate: capitalised,
                    sentence_start: idx == 0
                        || token.starts_line
                        || is_sentence_end(tokens[idx - 1].text),
                }
            })
            .collect();
        mark_connectors(tokens, &mut infos);
        for (info, token) in infos.iter_mut().zip(tokens) {
            if info.candidate {
                info.prefix = affix_hash(token.text, 2, false);
                info.suffix = affix_hash(token.text, 3, true);
            }
        }
        mark_gazetteer(matches, gazetteer, &mut infos);
        infos
    }

    #[test]
    fn features_read_only_what_the_lazy_scan_computes() {
        let gazetteer = Gazetteer::builtin();
        let tagger = builtin_tagger();
        let mut n_candidates = 0;
        for text in sample_texts() {
            let tokens = tokenize(&text);
            let matches = known_matches(&tokens, &gazetteer);
            let lazy = token_infos(&tokens, &matches, &gazetteer);
            let full = reference_infos(&tokens, &matches, &gazetteer);
            let mut tags = vec![Tag::None; tokens.len()];
            tagger.decode(&full, &mut tags);
            assert_eq!(tagger.tag(&tokens, &matches, &gazetteer), tags, "{text:?}");
            for idx in 0..tokens.len() {
                assert_eq!(lazy[idx].candidate, full[idx].candidate, "{text:?} {idx}");
                if full[idx].candidate {
                    n_candidates += 1;
                    let (mut want, mut got) = (Vec::new(), Vec::new());
                    token_features(&full, &tags, idx, &mut want);
                    token_features(&lazy, &tags, idx, &mut got);
                    assert_eq!(got, want, "{text:?} {idx}");
                }
            }
        }
        assert!(n_candidates > 1000, "{n_candidates}");
    }

    #[test]
    fn first_word_filter_keeps_every_known_match() {
        let gazetteer = Gazetteer::builtin();
        let tagger = builtin_tagger();
        let mut scratch = TagScratch::default();
        let mut n_matches = 0;
        for text in sample_texts() {
            let tokens = tokenize(&text);
            let matches = known_matches(&tokens, &gazetteer);
            n_matches += matches.iter().flatten().count();
            assert_eq!(tagger.tag_text(&tokens, &gazetteer).0, matches, "{text:?}");
            tagger.tag_text_into(&tokens, &gazetteer, &mut scratch);
            assert_eq!(scratch.matches, matches, "{text:?}");
        }
        assert!(n_matches > 500, "{n_matches}");
    }

    #[test]
    fn empty_tagger_tags_nothing() {
        let gazetteer = Gazetteer::builtin();
        let tokens = tokenize("Aleksandar Vucic visited Belgrade.");
        let matches = known_matches(&tokens, &gazetteer);
        assert!(
            Tagger::empty()
                .tag(&tokens, &matches, &gazetteer)
                .iter()
                .all(|tag| *tag == Tag::None)
        );
    }
}
