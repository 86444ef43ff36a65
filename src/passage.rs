//! Passage stage: `Article` -> `Vec<Passage>`. The lead is passage 0; each paragraph is a
//! passage; a paragraph over `MAX_PASSAGE_WORDS` is cut on sentence boundaries into balanced
//! pieces. A passage never crosses a section boundary. Entities are filled in by `extract`.

use unicode_segmentation::UnicodeSegmentation;

use crate::model::{Article, Passage};

/// A paragraph longer than this many words is split on sentence boundaries.
pub const MAX_PASSAGE_WORDS: usize = 200;

/// The sentences of a text (Unicode sentence boundaries), each with its trailing space.
pub fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split_sentence_bounds()
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Cuts a paragraph into pieces of at most about `MAX_PASSAGE_WORDS` words, each made of whole
/// sentences, with sizes as even as the sentences allow. Short paragraphs come back whole.
pub fn split_paragraph(paragraph: &str) -> Vec<String> {
    let total_words = word_count(paragraph);
    if total_words <= MAX_PASSAGE_WORDS {
        return vec![paragraph.trim().to_string()];
    }
    let n_pieces = total_words.div_ceil(MAX_PASSAGE_WORDS);
    let target_words = total_words.div_ceil(n_pieces);
    let mut pieces = Vec::with_capacity(n_pieces);
    let mut current = String::new();
    let mut current_words = 0;
    for sentence in sentences(paragraph) {
        let sentence_words = word_count(sentence);
        if current_words > 0 && current_words + sentence_words / 2 >= target_words {
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
        fn splitting_covers_the_text_in_order(words in proptest::collection::vec("[a-zA-Zčž]{1,8}[.!?]?", 0..700)) {
            let paragraph = words.join(" ");
            let pieces = split_paragraph(&paragraph);
            let rejoined: Vec<&str> = pieces.iter().flat_map(|p| p.split_whitespace()).collect();
            let original: Vec<&str> = paragraph.split_whitespace().collect();
            prop_assert_eq!(rejoined, original);
            for piece in &pieces {
                // A piece only exceeds the limit when a single sentence does.
                let n_sentences = sentences(piece).count();
                prop_assert!(word_count(piece) <= MAX_PASSAGE_WORDS * 2 || n_sentences == 1);
            }
        }
    }
}
