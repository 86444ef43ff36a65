//! Passage stage: `Article` -> `Vec<Passage>`. The lead is passage 0; each paragraph is a
//! passage; a paragraph over `MAX_PASSAGE_WORDS` is cut on sentence boundaries into balanced
//! pieces. A passage never crosses a section boundary. A wire service's sign-off at the end of
//! the article ("... the ministry said. Reuter") is dropped. Entities are filled in by `extract`.

use unicode_segmentation::UnicodeSegmentation;

use crate::model::{Article, Passage};

/// A paragraph longer than this many words is split on sentence boundaries.
pub const MAX_PASSAGE_WORDS: usize = 200;

/// The sentences of a text (Unicode sentence boundaries), each with its trailing space.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_sentence_bounds()
}

/// `char::is_whitespace` of an ASCII byte: tab, line feed, vertical tab, form feed, carriage
/// return, space.
fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | b' ')
}

/// `text.split_whitespace().count()`, with ASCII bytes told apart without decoding them: it
/// runs over every paragraph a build reads.
fn word_count(text: &str) -> usize {
    let bytes = text.as_bytes();
    if text.is_ascii() {
        // A word starts at the first byte, or where a space ends: one pass with no branch.
        let first = bytes.first().is_some_and(|&byte| !is_ascii_space(byte));
        let later = bytes
            .windows(2)
            .filter(|pair| is_ascii_space(pair[0]) && !is_ascii_space(pair[1]))
            .count();
        return usize::from(first) + later;
    }
    let (mut words, mut in_word, mut at) = (0, false, 0);
    while at < bytes.len() {
        let (space, len) = if bytes[at].is_ascii() {
            (is_ascii_space(bytes[at]), 1)
        } else {
            let c = text[at..].chars().next().expect("a character starts here");
            (c.is_whitespace(), c.len_utf8())
        };
        if space {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
        }
        at += len;
    }
    words
}

/// No passage is longer than this many words, whatever its punctuation: a run of text without
/// sentence ends (a lower-case transcript, a dump in one field) is cut at clauses, then words.
pub const HARD_MAX_PASSAGE_WORDS: usize = MAX_PASSAGE_WORDS * 3 / 2;

/// The pieces of a sentence no longer than `MAX_PASSAGE_WORDS` words: the sentence itself, or
/// its clauses (cut after `,` `;` `:` and dashes), a clause still too long cut every
/// `MAX_PASSAGE_WORDS` words. Each piece keeps its trailing space, so they join back to it.
fn bounded_pieces(sentence: &str, out: &mut Vec<(usize, usize)>, offset: usize) {
    if word_count(sentence) <= MAX_PASSAGE_WORDS {
        out.push((offset, offset + sentence.len()));
        return;
    }
    let mut clause_start = 0;
    let mut words = 0;
    let mut in_word = false;
    let bytes = sentence.as_bytes();
    for (at, c) in sentence.char_indices() {
        if c.is_whitespace() {
            if in_word {
                in_word = false;
                let clause_end = at > 0 && matches!(bytes[at - 1], b',' | b';' | b':' | b'-');
                if clause_end || words >= MAX_PASSAGE_WORDS {
                    out.push((offset + clause_start, offset + at));
                    clause_start = at;
                    words = 0;
                }
            }
        } else if !in_word {
            in_word = true;
            words += 1;
        }
    }
    if clause_start < sentence.len() {
        out.push((offset + clause_start, offset + sentence.len()));
    }
}

/// Cuts a paragraph into pieces of at most about `MAX_PASSAGE_WORDS` words (never more than
/// `HARD_MAX_PASSAGE_WORDS`), each made of whole sentences where the sentences allow, with
/// sizes as even as they allow. Short paragraphs come back whole.
pub fn split_paragraph(paragraph: &str) -> Vec<String> {
    // `n` words take at least `2n - 1` bytes: a paragraph this short needs no count.
    if paragraph.len() <= 2 * MAX_PASSAGE_WORDS {
        return vec![paragraph.trim().to_string()];
    }
    let total_words = word_count(paragraph);
    if total_words <= MAX_PASSAGE_WORDS {
        return vec![paragraph.trim().to_string()];
    }
    let n_pieces = total_words.div_ceil(MAX_PASSAGE_WORDS);
    let target_words = total_words.div_ceil(n_pieces);
    let mut pieces = Vec::with_capacity(n_pieces);
    let mut current = String::new();
    let mut current_words = 0;
    let mut units = Vec::new();
    let mut offset = 0;
    for sentence in sentences(paragraph) {
        bounded_pieces(sentence, &mut units, offset);
        offset += sentence.len();
    }
    for (start, end) in units {
        let sentence = &paragraph[start..end];
        let sentence_words = word_count(sentence);
        if current_words > 0
            && (current_words + sentence_words / 2 >= target_words
                || current_words + sentence_words > HARD_MAX_PASSAGE_WORDS)
        {
            pieces.push(current.trim().to_string());
            current.clear();
            current_words = 0;
        }
        current.push_str(sentence);
        current_words += sentence_words;
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_string());
    }
    pieces
}

/// The names wire services sign a story off with, as its last word: not part of the story, and
/// no entity of it (Reuters-21578 ends 4,644 stories with "Reuter"). Folded to lower case.
const SIGN_OFFS: &[&str] = &["reuter", "reuters", "afp", "upi", "dpa"];

/// The text without a sign-off that ends it: one of `SIGN_OFFS` alone, or after the end of a
/// sentence ("... said. Reuter"). Any other text comes back whole.
pub fn without_sign_off(text: &str) -> &str {
    let trimmed = text.trim_end();
    let word_start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(at, c)| at + c.len_utf8());
    let word = &trimmed[word_start..];
    if !SIGN_OFFS
        .iter()
        .any(|sign_off| word.eq_ignore_ascii_case(sign_off))
    {
        return text;
    }
    let before = trimmed[..word_start].trim_end();
    if before.is_empty() || before.ends_with(['.', '!', '?', '"', '\u{201d}']) {
        before
    } else {
        text
    }
}

/// Splits an article into its passages, in reading order, numbered from 0.
pub fn split_passages(article: &Article) -> Vec<Passage> {
    let mut passages = Vec::new();
    let mut push = |section: Option<&str>, text: String| {
        passages.push(Passage {
            article_id: article.id.clone(),
            ordinal: passages.len() as u32,
            section: section.map(str::to_string),
            text,
            entities: Vec::new(),
        });
    };
    if !article.lead.trim().is_empty() {
        for piece in split_paragraph(&article.lead) {
            push(None, piece);
        }
    }
    for section in &article.sections {
        for paragraph in &section.paragraphs {
            for piece in split_paragraph(paragraph) {
                push(section.heading.as_deref(), piece);
            }
        }
    }
    // The sign-off goes, and with it a last passage that held nothing else (unless it is the
    // article's only one).
    let n_passages = passages.len();
    if let Some(last) = passages.last_mut() {
        let kept = without_sign_off(&last.text).len();
        if kept > 0 {
            last.text.truncate(kept);
        } else if n_passages > 1 {
            passages.pop();
        }
    }
    passages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Section;
    use proptest::prelude::*;

    fn article(lead: &str, sections: Vec<Section>) -> Article {
        Article {
            id: "a.txt".into(),
            path: "a.txt".into(),
            title: "A".into(),
            lead: lead.into(),
            sections,
            ..Article::default()
        }
    }

    fn section(heading: &str, paragraphs: &[&str]) -> Section {
        Section {
            heading: Some(heading.into()),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn a_wire_sign_off_at_the_end_is_dropped() {
        assert_eq!(without_sign_off("Prices rose. Reuter\n"), "Prices rose.");
        assert_eq!(without_sign_off("  REUTER "), "");
        assert_eq!(
            without_sign_off("He said: \u{201c}Sell.\u{201d}\u{a0}AFP"),
            "He said: \u{201c}Sell.\u{201d}"
        );
        // A name in the sentence, or at its end, stays.
        assert_eq!(without_sign_off("Shares of Reuters"), "Shares of Reuters");
        assert_eq!(
            without_sign_off("Reuters said on Monday."),
            "Reuters said on Monday."
        );
        assert_eq!(
            without_sign_off("Prices rose. Reuterr"),
            "Prices rose. Reuterr"
        );

        let passages = split_passages(&article(
            "The lead.",
            vec![section("One", &["p1 ends.", "REUTER"])],
        ));
        let texts: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["The lead.", "p1 ends."]);
        let passages = split_passages(&article("Grain rose. Reuter", vec![]));
        assert_eq!(passages[0].text, "Grain rose.");
        // An article that is nothing but the sign-off keeps its one passage.
        assert_eq!(split_passages(&article("Reuter", vec![])).len(), 1);
    }

    #[test]
    fn lead_and_paragraphs_become_numbered_passages_under_their_heading() {
        let passages = split_passages(&article(
            "The lead.",
            vec![section("One", &["p1", "p2"]), section("Two", &["p3"])],
        ));
        let shape: Vec<_> = passages
            .iter()
            .map(|p| (p.ordinal, p.section.as_deref(), p.text.as_str()))
            .collect();
        assert_eq!(
            shape,
            [
                (0, None, "The lead."),
                (1, Some("One"), "p1"),
                (2, Some("One"), "p2"),
                (3, Some("Two"), "p3"),
            ]
        );
    }

    #[test]
    fn a_long_paragraph_is_split_on_sentences_into_even_pieces() {
        let sentence = "This sentence has exactly ten words in it, you see. ";
        let paragraph = sentence.repeat(45); // 450 words -> 3 pieces of about 150.
        let pieces = split_paragraph(&paragraph);
        assert_eq!(pieces.len(), 3);
        for piece in &pieces {
            assert!(
                piece.ends_with("you see."),
                "cut inside a sentence: {piece}"
            );
            let words = word_count(piece);
            assert!(
                (140..=160).contains(&words),
                "uneven piece of {words} words"
            );
        }
    }

    #[test]
    fn a_short_paragraph_stays_whole() {
        assert_eq!(split_paragraph(" One. Two. "), ["One. Two."]);
    }

    proptest! {
        #[test]
        fn words_are_counted_as_split_whitespace_counts_them(text in "(\\PC|[\t\n\x0b\x0c\r \u{85}\u{a0}\u{2003}\u{3000}]){0,80}") {
            prop_assert_eq!(word_count(&text), text.split_whitespace().count());
        }

        #[test]
        fn ascii_words_are_counted_as_split_whitespace_counts_them(text in "[a-c.\t\n\x0b\x0c\r ]{0,80}") {
            prop_assert_eq!(word_count(&text), text.split_whitespace().count());
        }

        #[test]
        fn splitting_covers_the_text_in_order(words in proptest::collection::vec("[a-zA-Zčž]{1,8}[.!?]?", 0..700)) {
            let paragraph = words.join(" ");
            let pieces = split_paragraph(&paragraph);
            let rejoined: Vec<&str> = pieces.iter().flat_map(|p| p.split_whitespace()).collect();
            let original: Vec<&str> = paragraph.split_whitespace().collect();
            prop_assert_eq!(rejoined, original);
            for piece in &pieces {
                prop_assert!(word_count(piece) <= HARD_MAX_PASSAGE_WORDS);
            }
        }

        /// Text without sentence ends (lower case, no periods) is still cut under the cap,
        /// in order.
        #[test]
        fn text_without_sentences_is_cut_under_the_cap(words in proptest::collection::vec("[a-zčž]{1,8}[,;]?", 0..2_000)) {
            let paragraph = words.join(" ");
            let pieces = split_paragraph(&paragraph);
            let rejoined: Vec<&str> = pieces.iter().flat_map(|p| p.split_whitespace()).collect();
            let original: Vec<&str> = paragraph.split_whitespace().collect();
            prop_assert_eq!(rejoined, original);
            for piece in &pieces {
                prop_assert!(word_count(piece) <= HARD_MAX_PASSAGE_WORDS);
            }
        }
    }

    #[test]
    fn a_long_lower_case_paragraph_is_many_passages() {
        let paragraph = "and then the committee talked about the budget ".repeat(1_125);
        let pieces = split_paragraph(&paragraph);
        assert!(
            pieces.len() >= 9_000 / HARD_MAX_PASSAGE_WORDS,
            "{}",
            pieces.len()
        );
        assert!(
            pieces
                .iter()
                .all(|piece| word_count(piece) <= HARD_MAX_PASSAGE_WORDS)
        );
    }
}
