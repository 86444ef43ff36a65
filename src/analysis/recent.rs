//! The English analyser's memory of the last short text it analysed in full, with its tokens:
//! tantivy keeps one analyser per field and indexing thread, and a field such as `title` or
//! `section` gives the same value to every passage of an article (or of a section), so the
//! analyser gives the remembered tokens again instead of analysing the text again.

use tantivy::tokenizer::Token;

/// Texts of at most this many bytes are remembered: titles and headings, not paragraphs.
const RECENT_TEXT_BYTES: usize = 256;

/// One remembered token: where its term ends in `Recent::terms`, its position and offsets.
#[derive(Clone, Copy)]
struct RecentToken {
    term_end: u32,
    position: usize,
    offset_from: usize,
    offset_to: usize,
}

/// The last short text an analyser gave every token of, with those tokens.
#[derive(Clone, Default)]
pub(super) struct Recent {
    text: String,
    terms: String,
    tokens: Vec<RecentToken>,
    /// The tokens are those of the whole of `text` (its stream ran to its end).
    complete: bool,
}

/// What a token stream does with the memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Use {
    /// Gives the remembered tokens, from this one on.
    Replay(usize),
    /// Will remember the tokens from the first one the stream gives (`start_recording`), so
    /// that a stream read another way leaves the memory as it was.
    StartRecording,
    /// Analyses the text and remembers its tokens.
    Record,
    /// Analyses the text (too long to remember).
    Pass,
}

impl Recent {
    /// How a stream over `text` uses the memory.
    pub(super) fn use_for(&self, text: &str) -> Use {
        if self.complete && self.text == text {
            Use::Replay(0)
        } else if text.len() <= RECENT_TEXT_BYTES {
            Use::StartRecording
        } else {
            Use::Pass
        }
    }

    /// Forgets what was remembered and starts remembering the tokens of `text`.
    pub(super) fn start_recording(&mut self, text: &str) {
        self.text.clear();
        self.text.push_str(text);
        self.terms.clear();
        self.tokens.clear();
        self.complete = false;
    }

    /// Remembers the next token of the text being recorded.
    pub(super) fn record(&mut self, token: &Token) {
        self.terms.push_str(&token.text);
        self.tokens.push(RecentToken {
            term_end: self.terms.len() as u32,
            position: token.position,
            offset_from: token.offset_from,
            offset_to: token.offset_to,
        });
    }

    /// The text being recorded ran to its end: its tokens are all remembered.
    pub(super) fn finish_recording(&mut self) {
        self.complete = true;
    }

    /// Writes remembered token `idx` into `token`; false past the last one, with the token's
    /// text cleared as at the end of an analysed stream.
    pub(super) fn replay(&self, idx: usize, token: &mut Token) -> bool {
        let Some(recent) = self.tokens.get(idx) else {
            token.text.clear();
            return false;
        };
        let start = match idx {
            0 => 0,
            _ => self.tokens[idx - 1].term_end as usize,
        };
        token.text.clear();
        token
            .text
            .push_str(&self.terms[start..recent.term_end as usize]);
        token.position = recent.position;
        token.offset_from = recent.offset_from;
        token.offset_to = recent.offset_to;
        true
    }
}
