//! Snippet stage: passage text + the query's analysed terms -> the best fragments, bounded by
//! sentences, with the matching words marked as byte ranges. Matching runs the same analyser
//! as the index, so stemmed and folded forms ("ammunitions", "Vučić") are highlighted too.
//! It returns data; `render` decides how a highlight looks.

use std::collections::HashSet;
use std::ops::Range;

use tantivy::tokenizer::TextAnalyzer;
use unicode_segmentation::UnicodeSegmentation;

/// Fragments shown per passage unless the caller asks otherwise.
pub const DEFAULT_FRAGMENTS: usize = 2;
/// A fragment longer than this many bytes is cut around its first match.
const MAX_FRAGMENT_BYTES: usize = 320;
const ELLIPSIS: &str = " … ";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of `text` to highlight, in order and not overlapping.
    pub highlights: Vec<Range<usize>>,
}

/// What to highlight: analysed words (with their fuzzy and prefix expansions) and phrases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HighlightTerms {
    pub terms: HashSet<String>,
    /// Each phrase as its analysed words with their positions relative to the first word.
    pub phrases: Vec<Vec<(usize, String)>>,
}

impl HighlightTerms {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.phrases.is_empty()
    }
}

struct Token {
    position: usize,
    range: Range<usize>,
    text: String,
}

/// The byte ranges of `text` that match: words whose analysed form is one of the terms, and
/// runs of words that form one of the phrases (only where they occur as that phrase). Each
/// match carries a key, so that sentences can be ranked by how many distinct terms they hold.
pub fn find_matches(
    analyzer: &mut TextAnalyzer,
    text: &str,
    highlight: &HighlightTerms,
) -> Vec<(Range<usize>, String)> {
    let mut matches = Vec::new();
    if highlight.is_empty() {
        return matches;
    }
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let token = stream.token();
        tokens.push(Token {
            position: token.position,
            range: token.offset_from..token.offset_to,
            text: token.text.clone(),
        });
    }
    for token in &tokens {
        if highlight.terms.contains(&token.text) {
            matches.push((token.range.clone(), token.text.clone()));
        }
    }
    for phrase in &highlight.phrases {
        let Some((_, first_word)) = phrase.first() else {
            continue;
        };
        let key = phrase
            .iter()
            .map(|(_, word)| word.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for (start_idx, start) in tokens.iter().enumerate() {
            if &start.text != first_word {
                continue;
            }
            let mut end = start.range.end;
            let complete = phrase.iter().skip(1).all(|(offset, word)| {
                let wanted = start.position + offset;
                let found = tokens[start_idx + 1..]
                    .iter()
                    .take_while(|token| token.position <= wanted)
                    .find(|token| token.position == wanted && &token.text == word);
                if let Some(token) = found {
                    end = token.range.end;
                }
                found.is_some()
            });
            if complete {
                matches.push((start.range.start..end, key.clone()));
            }
        }
    }
    matches.sort_by_key(|(range, _)| (range.start, std::cmp::Reverse(range.end)));
    // Drop matches inside an earlier one (a phrase word that is also a term).
    let mut kept: Vec<(Range<usize>, String)> = Vec::with_capacity(matches.len());
    for (range, key) in matches {
        if kept.last().is_some_and(|(last, _)| range.start < last.end) {
            continue;
        }
        kept.push((range, key));
    }
    kept
}

struct Candidate {
    range: Range<usize>,
    distinct_terms: usize,
    n_matches: usize,
}

/// Builds the snippet of one passage: up to `max_fragments` sentences, chosen by how many
/// distinct query terms they hold, shown in reading order.
pub fn make_snippet(
    analyzer: &mut TextAnalyzer,
    text: &str,
    highlight: &HighlightTerms,
    max_fragments: usize,
) -> Snippet {
    let matches = find_matches(analyzer, text, highlight);
    let mut candidates: Vec<Candidate> = text
        .split_sentence_bound_indices()
        .map(|(start, sentence)| {
            let range = start..start + sentence.trim_end().len();
            let inside: Vec<_> = matches
                .iter()
                .filter(|(m, _)| m.start >= range.start && m.end <= range.end)
                .collect();
            let distinct: HashSet<&str> = inside.iter().map(|(_, t)| t.as_str()).collect();
            Candidate {
                range,
                distinct_terms: distinct.len(),
                n_matches: inside.len(),
            }
        })
        .filter(|candidate| !candidate.range.is_empty())
        .collect();
    if candidates.is_empty() {
        return Snippet::default();
    }
    let any_match = candidates.iter().any(|c| c.n_matches > 0);
    let mut chosen: Vec<Range<usize>> = if any_match {
        // Best first: most distinct terms, then most matches, then earliest.
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&idx| {
            let candidate = &candidates[idx];
            (
                std::cmp::Reverse(candidate.distinct_terms),
                std::cmp::Reverse(candidate.n_matches),
                idx,
            )
        });
        order
            .into_iter()
            .filter(|&idx| candidates[idx].n_matches > 0)
            .take(max_fragments.max(1))
            .map(|idx| candidates[idx].range.clone())
            .collect()
    } else {
        // Nothing in the text matched (the title or a filter did): show the opening.
        vec![candidates.swap_remove(0).range]
    };
    chosen.sort_by_key(|range| range.start);
    merge_adjacent(&mut chosen, text);

    let mut snippet = Snippet::default();
    for (idx, range) in chosen.iter().enumerate() {
        let range = trim_fragment(text, range.clone(), &matches);
        if idx > 0 || range.start > 0 {
            snippet
                .text
                .push_str(if idx == 0 { "… " } else { ELLIPSIS });
        }
        let offset = snippet.text.len();
        snippet.text.push_str(&text[range.clone()]);
        for (matched, _) in &matches {
            if matched.start >= range.start && matched.end <= range.end {
                snippet
                    .highlights
                    .push(matched.start - range.start + offset..matched.end - range.start + offset);
            }
        }
        let is_last = idx + 1 == chosen.len();
        if is_last && range.end < text.trim_end().len() {
            snippet.text.push_str(" …");
        }
    }
    snippet
}

/// Joins fragments that follow each other directly, so that no ellipsis stands between them.
fn merge_adjacent(ranges: &mut Vec<Range<usize>>, text: &str) {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges.drain(..) {
        if let Some(last) = merged.last_mut()
            && text[last.end..range.start].trim().is_empty()
        {
            last.end = range.end;
            continue;
        }
        merged.push(range);
    }
    *ranges = merged;
}

/// Cuts an over-long fragment to a window around its first match, on word boundaries.
fn trim_fragment(
    text: &str,
    range: Range<usize>,
    matches: &[(Range<usize>, String)],
) -> Range<usize> {
    if range.len() <= MAX_FRAGMENT_BYTES {
        return range;
    }
    let first_match = matches
        .iter()
        .find(|(m, _)| m.start >= range.start && m.end <= range.end)
        .map_or(range.start, |(m, _)| m.start);
    let mut start = first_match
        .saturating_sub(MAX_FRAGMENT_BYTES / 4)
        .max(range.start);
    let mut end = (start + MAX_FRAGMENT_BYTES).min(range.end);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    // Move inwards to whitespace so that no word is cut.
    if start > range.start
        && let Some(space) = text[start..first_match.max(start)].find(' ')
    {
        start += space + 1;
    }
    if end < range.end
        && let Some(space) = text[start..end].rfind(' ')
    {
        end = start + space;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::english_analyzer;

    fn terms(words: &[&str]) -> HighlightTerms {
        HighlightTerms {
            terms: words.iter().map(|w| w.to_string()).collect(),
            phrases: Vec::new(),
        }
    }

    fn marked(snippet: &Snippet) -> String {
        let mut out = String::new();
        let mut last = 0;
        for range in &snippet.highlights {
            out.push_str(&snippet.text[last..range.start]);
            out.push('[');
            out.push_str(&snippet.text[range.clone()]);
            out.push(']');
            last = range.end;
        }
        out.push_str(&snippet.text[last..]);
        out
    }

    #[test]
    fn stemmed_and_folded_forms_are_highlighted() {
        let mut analyzer = english_analyzer();
        let snippet = make_snippet(
            &mut analyzer,
            "Vučić praised the plant. Serbian ammunitions went abroad.",
            &terms(&["ammunit", "vucic"]),
            2,
        );
        assert_eq!(
            marked(&snippet),
            "[Vučić] praised the plant. Serbian [ammunitions] went abroad."
        );
    }

    #[test]
    fn the_sentence_with_most_distinct_terms_wins() {
        let mut analyzer = english_analyzer();
        let text = "Ammunition is scarce. Weather was mild. Serbia exports ammunition to many. Prices rose.";
        let snippet = make_snippet(&mut analyzer, text, &terms(&["ammunit", "serbia"]), 1);
        assert_eq!(
            marked(&snippet),
            "… [Serbia] exports [ammunition] to many. …"
        );
    }

    #[test]
    fn a_phrase_is_highlighted_only_where_it_occurs_as_a_phrase() {
        let mut analyzer = english_analyzer();
        let highlight = HighlightTerms {
            terms: HashSet::new(),
            phrases: vec![vec![(0, "arm".to_string()), (1, "product".to_string())]],
        };
        let snippet = make_snippet(
            &mut analyzer,
            "Arms production rose. Production of arms fell.",
            &highlight,
            2,
        );
        assert_eq!(marked(&snippet), "[Arms production] rose. …");
        // Stop words inside the phrase keep their place.
        let highlight = HighlightTerms {
            terms: HashSet::new(),
            phrases: vec![vec![(0, "bank".to_string()), (2, "england".to_string())]],
        };
        let snippet = make_snippet(&mut analyzer, "The Bank of England said.", &highlight, 2);
        assert_eq!(marked(&snippet), "The [Bank of England] said.");
    }

    #[test]
    fn no_match_shows_the_opening() {
        let mut analyzer = english_analyzer();
        let snippet = make_snippet(&mut analyzer, "First. Second.", &terms(&["zzz"]), 2);
        assert_eq!(snippet.text, "First. …");
        assert!(snippet.highlights.is_empty());
    }

    #[test]
    fn long_sentences_are_cut_on_word_boundaries_around_the_match() {
        let mut analyzer = english_analyzer();
        let text = format!("{} ammunition {}", "word ".repeat(200), "tail ".repeat(200));
        let snippet = make_snippet(&mut analyzer, &text, &terms(&["ammunit"]), 2);
        assert!(snippet.text.len() < MAX_FRAGMENT_BYTES + 10);
        assert_eq!(snippet.highlights.len(), 1);
        assert_eq!(&snippet.text[snippet.highlights[0].clone()], "ammunition");
        assert!(
            !snippet.text.contains("wor "),
            "a word was cut: {}",
            snippet.text
        );
    }
}
