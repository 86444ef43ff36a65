//! The English analyser's memory of words: a word as written -> its term, or nothing for a
//! word the chain drops, so that most tokens cost one probe and one copy.

/// Words of at most this many bytes are remembered inline (`WordMemory::short`).
const SHORT_WORD_BYTES: usize = 16;

/// A remembered short word's term, told by the word itself: the first `len` bytes of the word
/// in ASCII lower case, then `last` unless it is 0. Most English stems are such a prefix
/// ("prices" -> `price`) or a prefix and one letter ("company" -> `compani`), so a slot is the
/// word and two bytes, and a table of many words stays small enough to be read from the cache.
/// `len == DROPPED`: a word the chain drops.
#[derive(Clone, Copy)]
struct ShortTerm {
    len: u8,
    last: u8,
}

const DROPPED: u8 = u8::MAX;

impl ShortTerm {
    /// How `term` is told by `word`, if it is.
    fn of(word: &str, term: &str) -> Option<ShortTerm> {
        let (word, term) = (word.as_bytes(), term.as_bytes());
        if !word.is_ascii() || !term.is_ascii() {
            return None;
        }
        let told = |prefix: &[u8]| {
            prefix.len() <= word.len()
                && prefix
                    .iter()
                    .zip(word)
                    .all(|(t, w)| *t == w.to_ascii_lowercase())
        };
        if told(term) {
            return Some(ShortTerm {
                len: term.len() as u8,
                last: 0,
            });
        }
        let (&last, prefix) = term.split_last()?;
        (last != 0 && told(prefix)).then_some(ShortTerm {
            len: prefix.len() as u8,
            last,
        })
    }
}

/// Word as written -> its term, or `None` for a word the chain drops. Most words are short
/// and ASCII: they are kept in the table itself, zero-padded (a word is alphanumeric: never a
/// zero byte), with how their term is made of them (`ShortTerm`), so that a lookup reads one
/// slot of the table, compares 16 bytes and copies the term from the word; longer words, and
/// the short words whose term is not so told, go to `long`.
#[derive(Clone, Default)]
pub(super) struct WordMemory {
    short: hashbrown::HashMap<[u8; SHORT_WORD_BYTES], ShortTerm, rustc_hash::FxBuildHasher>,
    long: hashbrown::HashMap<Box<str>, Option<Box<str>>, rustc_hash::FxBuildHasher>,
}

impl WordMemory {
    pub(super) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    pub(super) fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
    }

    /// Appends the term of `word` to `out`; false, with `out` as it was, where the chain drops
    /// it. A word not remembered yet is analysed by `analyse` (its term, or `None`) first.
    pub(super) fn push_term(
        &mut self,
        word: &str,
        out: &mut String,
        analyse: impl FnOnce(&str) -> Option<Box<str>>,
    ) -> bool {
        if word.len() > SHORT_WORD_BYTES {
            return self.push_long_term(word, out, analyse);
        }
        let mut key = [0u8; SHORT_WORD_BYTES];
        key[..word.len()].copy_from_slice(word.as_bytes());
        // One hash and one probe when the word is remembered, as it mostly is.
        let short = match self.short.get(&key) {
            Some(short) => *short,
            None if self.long.contains_key(word) => {
                return self.push_long_term(word, out, |_| None);
            }
            None => {
                let term = analyse(word);
                let short = match &term {
                    None => Some(ShortTerm {
                        len: DROPPED,
                        last: 0,
                    }),
                    Some(term) => ShortTerm::of(word, term),
                };
                let Some(short) = short else {
                    self.long.insert(word.into(), term);
                    return self.push_long_term(word, out, |_| None);
                };
                self.short.insert(key, short);
                short
            }
        };
        if short.len == DROPPED {
            return false;
        }
        // ASCII, as `ShortTerm::of` checked.
        for &byte in &word.as_bytes()[..usize::from(short.len)] {
            out.push(char::from(byte.to_ascii_lowercase()));
        }
        if short.last != 0 {
            out.push(char::from(short.last));
        }
        true
    }

    /// `push_term` of a word remembered in `long`.
    fn push_long_term(
        &mut self,
        word: &str,
        out: &mut String,
        analyse: impl FnOnce(&str) -> Option<Box<str>>,
    ) -> bool {
        match self.long.entry_ref(word).or_insert_with(|| analyse(word)) {
            Some(term) => {
                out.push_str(term);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word comes back with the term `analyse` gave it, from the table or not, first
    /// time and again: prefixes, a prefix and a letter, other terms, dropped words, long and
    /// non-ASCII words.
    #[test]
    fn remembered_terms_are_the_analysed_ones() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Prices", Some("price")),
            ("company", Some("compani")),
            ("relational", Some("relat")),
            ("the", None),
            ("went", Some("go")),
            ("1987", Some("1987")),
            ("internationalisation", Some("internationalis")),
            ("Vučić", Some("vucic")),
            ("ab", Some("abc")),
            ("x", Some("")),
        ];
        let mut memory = WordMemory::default();
        for round in 0..2 {
            for &(word, term) in cases {
                let mut out = String::from("<");
                let kept = memory.push_term(word, &mut out, |_| {
                    assert_eq!(round, 0, "{word} analysed again");
                    term.map(Into::into)
                });
                assert_eq!(kept, term.is_some(), "{word}");
                let expected = format!("<{}", term.unwrap_or(""));
                assert_eq!(out, expected, "{word}, round {round}");
            }
        }
    }

    #[test]
    fn a_term_is_told_by_its_word_only_when_it_is_a_prefix_and_at_most_a_letter() {
        let told = |word: &str, term: &str| ShortTerm::of(word, term).map(|s| (s.len, s.last));
        assert_eq!(told("Prices", "price"), Some((5, 0)));
        assert_eq!(told("happy", "happi"), Some((4, b'i')));
        assert_eq!(told("went", "go"), None);
        assert_eq!(told("ab", "abcd"), None);
        assert_eq!(told("Vučić", "vucic"), None);
        assert_eq!(told("a", ""), Some((0, 0)));
    }
}
