//! The English analyser's memory of words: a word as written -> its term, or nothing for a
//! word the chain drops, so that most tokens cost one probe and one copy.

/// Words of at most this many bytes are remembered inline (`WordMemory::short`).
const SHORT_WORD_BYTES: usize = 16;
/// Terms of at most this many bytes are remembered inline.
const SHORT_TERM_BYTES: usize = 23;

/// A remembered term of a short word, inline: its length (`DROPPED` for a word the chain
/// drops) and bytes.
#[derive(Clone, Copy)]
struct ShortTerm {
    len: u8,
    bytes: [u8; SHORT_TERM_BYTES],
}

const DROPPED: u8 = u8::MAX;

/// Word as written -> its term, or `None` for a word the chain drops. Most words are short:
/// they are kept in the table itself, zero-padded (a word is alphanumeric: never a zero byte),
/// with their term, so that a lookup reads one slot of the table, compares 16 bytes and
/// copies the term from the same place; longer words, and the rare short word whose term is
/// longer, go to `long`.
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
            None => match analyse(word) {
                Some(term) if term.len() > SHORT_TERM_BYTES => {
                    self.long.insert(word.into(), Some(term));
                    return self.push_long_term(word, out, |_| None);
                }
                term => {
                    let mut short = ShortTerm {
                        len: DROPPED,
                        bytes: [0; SHORT_TERM_BYTES],
                    };
                    if let Some(term) = term {
                        short.len = term.len() as u8;
                        short.bytes[..term.len()].copy_from_slice(term.as_bytes());
                    }
                    self.short.insert(key, short);
                    short
                }
            },
        };
        if short.len == DROPPED {
            return false;
        }
        // A whole term's bytes: valid UTF-8.
        match std::str::from_utf8(&short.bytes[..usize::from(short.len)]) {
            Ok(term) => {
                out.push_str(term);
                true
            }
            Err(_) => false,
        }
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
