//! The tokenizer: text -> words and punctuation marks, by byte range.

use crate::extract::gazetteer::has_uppercase;

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
pub(crate) const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Inc", "Corp", "Co", "Ltd", "Jr", "Sr", "Gen", "Col",
    "Lt", "Sgt", "Capt", "Gov", "Sen", "Rep", "Rev", "Mt", "Ft", "Bros", "Plc", "vs",
];

pub(crate) fn is_word_char(c: char) -> bool {
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
pub(crate) const SPACE: u8 = 0;
pub(crate) const ALPHANUMERIC: u8 = 1;
pub(crate) const UPPERCASE: u8 = 2;
pub(crate) const PUNCTUATION: u8 = 4;
pub(crate) const ASCII_CLASS: [u8; 128] = {
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
pub(crate) const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `block` that is a lowercase ASCII letter, set; every other bit
/// clear. Each byte is computed apart: no borrow crosses bytes.
pub(crate) fn lowercase_letters(block: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = block & !HIGH_BITS;
    let at_least_a = (low | HIGH_BITS) - ONES * u64::from(b'a');
    let at_most_z = ((ONES * u64::from(b'z')) | HIGH_BITS) - low;
    at_least_a & at_most_z & !block & HIGH_BITS
}

/// Whether a char other than ASCII separates chunks.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || c.is_control()
}

/// The first char of `text[at..]` and its length, ASCII without decoding.
pub(crate) fn char_at(text: &str, at: usize) -> (char, usize) {
    let byte = text.as_bytes()[at];
    if byte.is_ascii() {
        return (byte as char, 1);
    }
    let c = text[at..].chars().next().unwrap_or(' ');
    (c, c.len_utf8())
}

/// The last char of `text[..at]` and its length, ASCII without decoding.
pub(crate) fn char_before(text: &str, at: usize) -> (char, usize) {
    let byte = text.as_bytes()[at - 1];
    if byte.is_ascii() {
        return (byte as char, 1);
    }
    let c = text[..at].chars().next_back().unwrap_or(' ');
    (c, c.len_utf8())
}

/// A word ending in a period keeps it: an abbreviation with inner periods ("U.S."), an
/// initial ("J."), or a known abbreviation ("Mr.").
pub(crate) fn keeps_period(word: &str) -> bool {
    if word.contains('.') {
        return true;
    }
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && c.is_uppercase()
    {
        return true;
    }
    (word.len() <= 4
        && ABBREVIATIONS
            .iter()
            .any(|abbreviation| abbreviation.eq_ignore_ascii_case(word)))
        || (word.len() <= 5
            && word.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            && STATE_ABBREVIATIONS.contains(&word))
}

/// The wire services' abbreviations of US states ("SAN JOSE, Calif."), which keep their period
/// as written (capitalised: "ill." and "mass." end sentences).
const STATE_ABBREVIATIONS: &[&str] = &[
    "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan", "Kans",
    "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla", "Ore",
    "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
];

/// Splits a chunk that is not one plain word (see `tokenize`).
pub(crate) fn split_chunk<'a>(
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
