//! The features of a token: per-token values (hashes, shape, affixes, word classes, gazetteer
//! marks), computed lazily for the tokens features read, and the hashed features of a candidate.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::tokenize::Token;
use super::{KnownMatches, N_TAGS, Tag};
use crate::extract::feature_table::{Fnv, WordClass, WordClasses, hash_lower};
use crate::extract::gazetteer::{FormKind, Gazetteer};

/// The word classes as `build.rs` packed them from `data/word_classes.tsv`.
const PACKED_CLASSES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/word_classes.table"));

/// The shipped word classes, unpacked once per process.
pub(crate) fn word_classes() -> &'static WordClasses {
    static CLASSES: OnceLock<WordClasses> = OnceLock::new();
    CLASSES.get_or_init(|| {
        WordClasses::unpack(PACKED_CLASSES).expect("build.rs packs a valid word-class table")
    })
}

/// A feature's hash: its template, then the values it combines, each mixed in with one
/// 64-by-64-bit multiplication whose halves are folded together (as `foldhash` does), a few
/// cycles where hashing a value's eight bytes one by one took eight dependent multiplications.
#[derive(Clone, Copy)]
pub(crate) struct Feature(u64);

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
pub(crate) struct TokenInfo {
    pub(crate) word: u64,
    pub(crate) shape: u64,
    /// Hashes of the first and last three characters.
    pub(crate) prefix: u64,
    pub(crate) suffix: u64,
    /// What unlabelled text says of the word (`data/word_classes.tsv`).
    pub(crate) class: WordClass,
    /// 0: no known form covers the token; otherwise kind and position of the gazetteer match.
    pub(crate) gazetteer: u64,
    /// The token holds a capital letter.
    pub(crate) capitalised: bool,
    /// The token is ASCII letters and digits only (known once `word` is): its gazetteer key
    /// is its lowercase form.
    pub(crate) plain: bool,
    pub(crate) candidate: bool,
    pub(crate) sentence_start: bool,
    /// A candidate with a lowercase letter too ("Arms", not "ARMS").
    pub(crate) mixed_case: bool,
    /// A candidate of a line without lowercase letters (a headline in capitals): tagged after
    /// the rest of the text (`greedy_pass`), so that it reads how the text used its words.
    pub(crate) deferred: bool,
    /// A candidate that is a hyphenated adjective of a name (`affixed_name`).
    pub(crate) affixed: Affixed,
}

/// How a hyphenated word makes an adjective of a name, which CoNLL-2003 tags as one of its own
/// (MISC), not as part of the name beside it ("Ontario-based Magna").
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Affixed {
    No,
    /// "Bergamo-based", "New York-based", "U.S.-led": the name may run back over the
    /// capitalised words before it.
    Suffix,
    /// "ex-England", "pre-Castro".
    Prefix,
}

/// The second halves of hyphenated words that make an adjective of the name before them
/// (each tagged MISC far more often than not in CoNLL-2003 eng.train; "born" was not).
const NAME_SUFFIXES: &[&str] = &[
    "based",
    "led",
    "ruled",
    "controlled",
    "sponsored",
    "registered",
    "held",
    "dominated",
    "brokered",
    "bound",
    "backed",
    "mediated",
    "listed",
    "owned",
    "funded",
    "educated",
    "trained",
    "allied",
    "occupied",
    "supported",
    "speaking",
    "style",
];

/// The first halves of hyphenated words that make an adjective of the name after them
/// ("pro" was tagged both ways).
const NAME_PREFIXES: &[&str] = &["ex", "anti", "pre", "post", "non"];

/// Whether `word` is a name and an affix making an adjective of it (`Affixed`).
pub(crate) fn affixed_name(word: &str) -> Affixed {
    if !word.as_bytes().contains(&b'-') {
        return Affixed::No;
    }
    if let Some((head, suffix)) = word.rsplit_once('-')
        && head.chars().next().is_some_and(char::is_uppercase)
        && NAME_SUFFIXES.contains(&suffix)
    {
        return Affixed::Suffix;
    }
    let prefixed = word.split_once('-').is_some_and(|(prefix, rest)| {
        NAME_PREFIXES
            .iter()
            .any(|known| prefix.eq_ignore_ascii_case(known))
            && rest.chars().next().is_some_and(char::is_uppercase)
            && rest.chars().any(char::is_lowercase)
            && !rest.contains('-')
    });
    if prefixed {
        Affixed::Prefix
    } else {
        Affixed::No
    }
}

pub(crate) fn shape_hash(text: &str) -> u64 {
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

/// The hash of the first (or last) `len` characters of `text`, lowercase.
pub(crate) fn affix_hash(text: &str, template: u64, from_end: bool, len: usize) -> u64 {
    if text.is_ascii() {
        let bytes = text.as_bytes();
        let affix = if from_end {
            &bytes[bytes.len().saturating_sub(len)..]
        } else {
            &bytes[..bytes.len().min(len)]
        };
        let mut hash = Fnv::new(template as u8 as u64);
        for byte in affix {
            hash.byte(byte.to_ascii_lowercase());
        }
        return hash.0;
    }
    let start = if from_end {
        text.char_indices()
            .rev()
            .nth(len - 1)
            .map_or(0, |(idx, _)| idx)
    } else {
        0
    };
    let mut hash = Fnv::new(template as u8 as u64);
    for c in text[start..].chars().take(len).flat_map(char::to_lowercase) {
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
pub(crate) fn scan_token(text: &str) -> (u64, u64, bool, bool) {
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
pub(crate) const SHAPE_CLASS: [u8; 128] = {
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

pub(crate) fn is_sentence_end(text: &str) -> bool {
    matches!(
        text,
        "." | "!" | "?" | ":" | ";" | "\"" | "(" | "-" | "--" | "\u{201c}"
    )
}

pub(crate) const CONNECTORS: &[&str] = &[
    "of", "and", "de", "van", "von", "der", "den", "du", "la", "le", "al", "bin", "da", "del",
    "for", "the", "&", "y", "di",
];

/// Marks every token a known form covers, by the form's kind and the token's place in it.
pub(crate) fn mark_gazetteer(
    matches: &KnownMatches,
    gazetteer: &Gazetteer,
    infos: &mut [TokenInfo],
) {
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

pub(crate) fn token_infos(
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
pub(crate) fn scan_tokens(tokens: &[Token<'_>]) -> Vec<TokenInfo> {
    scan_token_infos(tokens).collect()
}

pub(crate) fn scan_token_infos<'t>(
    tokens: &'t [Token<'_>],
) -> impl Iterator<Item = TokenInfo> + 't {
    tokens.iter().map(|token| TokenInfo {
        capitalised: token.capitalised,
        candidate: token.capitalised,
        ..UNSCANNED_INFO
    })
}

/// A token's info before `complete_infos`: features never read the hashes of a token that is
/// neither a candidate nor next to one, and those stay unset.
pub(crate) const UNSCANNED_INFO: TokenInfo = TokenInfo {
    word: 0,
    shape: 0,
    prefix: 0,
    suffix: 0,
    class: WordClass {
        case: 0,
        clusters: [0; 3],
    },
    gazetteer: 0,
    capitalised: false,
    plain: false,
    candidate: false,
    sentence_start: false,
    mixed_case: false,
    deferred: false,
    affixed: Affixed::No,
};

/// `hash_infos`, then the gazetteer marks.
pub(crate) fn complete_infos(
    tokens: &[Token<'_>],
    matches: &KnownMatches,
    gazetteer: &Gazetteer,
    infos: &mut [TokenInfo],
) {
    hash_infos(tokens, infos, true);
    mark_gazetteer(matches, gazetteer, infos);
}

/// Whether a known form may start at the token: it holds a capital letter and, when its key is
/// its lowercase form, some form's first word has its hash. Needs `hash_infos`.
pub(crate) fn may_start_form(info: &TokenInfo, gazetteer: &Gazetteer) -> bool {
    info.capitalised && (!info.plain || gazetteer.may_start_form(info.word))
}

/// A connector between capitalised words ("Bank of England") is a candidate too.
pub(crate) fn mark_connectors(tokens: &[Token<'_>], infos: &mut [TokenInfo]) {
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
/// and candidates' affixes, classes and sentence starts. Without `tagging` (no tagger), only
/// what `may_start_form` reads: the hashes of the tokens with a capital letter.
pub(crate) fn hash_infos(tokens: &[Token<'_>], infos: &mut [TokenInfo], tagging: bool) {
    if !tagging {
        for (info, token) in infos.iter_mut().zip(tokens) {
            if info.capitalised {
                let (word, shape, _, plain) = scan_token(token.text);
                info.word = word;
                info.shape = shape;
                info.plain = plain;
            }
        }
        return;
    }
    mark_connectors(tokens, infos);
    let classes = word_classes();
    // Tokens before `hashed` have their word and shape hashes.
    let mut hashed = 0;
    for idx in 0..infos.len() {
        if !infos[idx].candidate {
            continue;
        }
        let reach = (idx + 1 + CONTEXT).min(infos.len());
        for near in hashed.max(idx.saturating_sub(CONTEXT))..reach {
            let (word, shape, _, plain) = scan_token(tokens[near].text);
            infos[near].word = word;
            infos[near].shape = shape;
            infos[near].plain = plain;
        }
        hashed = reach;
        let token = &tokens[idx];
        let info = &mut infos[idx];
        info.prefix = affix_hash(token.text, 2, false, 3);
        info.suffix = affix_hash(token.text, 3, true, 3);
        info.mixed_case = if token.text.is_ascii() {
            token.text.bytes().any(|byte| byte.is_ascii_lowercase())
        } else {
            token.text.chars().any(char::is_lowercase)
        };
        info.sentence_start =
            idx == 0 || token.starts_line || is_sentence_end(tokens[idx - 1].text);
        info.affixed = affixed_name(token.text);
    }
    // Features read the class of the candidate only. A loop of lookups alone, so that the
    // processor has several of the table's cache misses under way at once.
    for info in infos.iter_mut().filter(|info| info.candidate) {
        info.class = classes.get(info.word);
    }
    mark_shouting_lines(tokens, infos);
}

/// Marks the candidates of the lines that hold capital letters but no lowercase one
/// ("SOCCER - ROTOR FANS LOCKED OUT AFTER VOLGOGRAD VIOLENCE") `deferred`, unless every line
/// is such.
fn mark_shouting_lines(tokens: &[Token<'_>], infos: &mut [TokenInfo]) {
    let mut start = 0;
    let mut any_mixed = false;
    let mut any_shouting = false;
    while start < tokens.len() {
        let mut end = start + 1;
        while end < tokens.len() && !tokens[end].starts_line {
            end += 1;
        }
        let line = &tokens[start..end];
        let shouting = line.iter().any(|token| token.capitalised)
            && !line.iter().any(|token| has_lowercase(token.text));
        if shouting {
            any_shouting = true;
            for info in &mut infos[start..end] {
                info.deferred = info.candidate;
            }
        } else {
            any_mixed = true;
        }
        start = end;
    }
    if any_shouting && !any_mixed {
        for info in infos.iter_mut() {
            info.deferred = false;
        }
    }
}

fn has_lowercase(text: &str) -> bool {
    if text.is_ascii() {
        text.bytes().any(|byte| byte.is_ascii_lowercase())
    } else {
        text.chars().any(char::is_lowercase)
    }
}

/// How many tokens on either side of a candidate its features read.
/// (The words two away once helped on eng.testa by 0.002 of F1, within its noise, and were
/// left out for two more table lookups a candidate; with the history features and documents
/// trained as one text they gave 0.004 on eng.testa and on GMB dev, three runs averaged.)
pub(crate) const CONTEXT: usize = 2;

/// What features read before the first token and after the last.
pub(crate) const NONE_INFO: TokenInfo = TokenInfo {
    word: 0x5eed,
    shape: 0x5eed,
    ..UNSCANNED_INFO
};

pub(crate) fn token_features(infos: &[TokenInfo], tags: &[Tag], idx: usize, out: &mut Vec<u64>) {
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
    let case = u64::from(here.class.case);
    out.push(feature(36).u64(case).u64(u64::from(here.sentence_start)).0);
    out.push(feature(37).u64(case).u64(here.shape).0);
    // The middle clusters: the coarse and the fine ones, the previous two tags together, the
    // four-letter affixes, the previous tag with the cluster, the neighbours' clusters and case
    // classes, and more conjunctions of words and shapes did not help on the tuning sets (CoNLL
    // eng.testa, GMB dev), and each costs lookups per candidate (the tagger's main cost).
    out.push(feature(39).u64(u64::from(here.class.clusters[1])).0);
    // The words two away ("Apic Yamada Corp", see `CONTEXT`).
    out.push(feature(17).u64(at(-2).word).0);
    out.push(feature(18).u64(at(2).word).0);
}

/// The tags the tagger gave earlier candidates of the same text with the same word (case
/// folded): the "extended prediction history" of Ratinov and Roth (2009). A name is mostly
/// written out in full, where its context says what it is, before it is used alone ("Bill
/// Clinton" ... "Clinton"), and a word the text tagged one way is likely the same thing again.
#[derive(Default)]
pub(crate) struct History {
    seen: FxHashMap<u64, [u16; N_TAGS]>,
}

impl History {
    pub(crate) fn clear(&mut self) {
        self.seen.clear();
    }

    /// 0 when the word was not seen; else its summary (see `history_features`).
    pub(crate) fn summary(&self, word: u64) -> u64 {
        self.seen.get(&word).map_or(0, summarise)
    }

    pub(crate) fn record(&mut self, word: u64, tag: Tag) {
        let counts = self.seen.entry(word).or_insert([0; N_TAGS]);
        counts[tag.idx()] = counts[tag.idx()].saturating_add(1);
    }
}

/// The most frequent tag of a word's counts, and whether it is the only one.
fn summarise(counts: &[u16; N_TAGS]) -> u64 {
    let mut best = 0;
    for tag in 1..N_TAGS {
        if counts[tag] > counts[best] {
            best = tag;
        }
    }
    let total: u32 = counts.iter().map(|&count| u32::from(count)).sum();
    let unanimous = u32::from(counts[best]) == total;
    1 + best as u64 * 2 + u64::from(unanimous)
}

/// The features of a candidate's history (`History::summary`), none when it has none.
pub(crate) fn history_features(summary: u64, here: &TokenInfo, out: &mut Vec<u64>) {
    if summary == 0 {
        return;
    }
    out.push(Feature::new(40).u64(summary).0);
    out.push(Feature::new(41).u64(summary).u64(here.shape).0);
}
