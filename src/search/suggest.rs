//! "Did you mean": a plain query word that no passage, or very few, holds -> the index word
//! closest to it in spelling that many passages hold, as a reader writes it ("interst rates" ->
//! "interest rates"). Candidates are the index terms of `all` that share the word's first
//! letters (its first two, either order, or its first and third: a slip in the second letter),
//! within `max_edits` of it; the one with the fewest edits, then the most passages, wins. A
//! suggestion is never a stop word (those are not indexed) nor holds a digit, and is shown as a
//! passage writes it (the stem's surface form in one passage that holds it).

use std::collections::HashMap;

use serde::Serialize;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, DocSet, TERMINATED, TantivyDocument, Term};

use super::compile::increment;
use crate::query::{FieldName, Node, Occur};
use crate::schema::Fields;

/// A word with at most this many passages gets a suggestion, if a much more common word is
/// close to it (a typo that a few articles share: "interst" in 5 Reuters stories).
pub const FEW_PASSAGES: u64 = 5;
/// A suggestion is held by at least this many times the passages of the word it replaces (any
/// number, for a word no passage holds).
const MORE_COMMON: u64 = 50;
/// Passages read for the way they write a suggested stem.
const SURFACE_SAMPLE: usize = 8;
/// Terms of one candidate range looked at, at most (a bound on the time a suggestion takes).
const MAX_SCANNED: usize = 20_000;

/// One word of the query and the word suggested in its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The word as the query wrote it.
    pub word: String,
    /// The word suggested, as a passage writes it (lower case).
    pub suggestion: String,
}

/// Edits a word of this many characters may be from its suggestion.
fn max_edits(chars: usize) -> usize {
    if chars >= 6 { 2 } else { 1 }
}

/// The plain words of a query that a suggestion may replace: words of the whole passage or its
/// text, not negated, not fuzzy or prefix words (their user chose the spelling's latitude), of
/// letters only and three or more of them.
fn plain_words(node: &Node, negated: bool, out: &mut Vec<String>) {
    match node {
        Node::Term {
            field: None | Some(FieldName::Text),
            text,
            fuzzy: None,
            prefix: false,
        } if !negated && text.chars().count() >= 3 && text.chars().all(char::is_alphabetic) => {
            out.push(text.clone());
        }
        Node::Bool(clauses) => {
            for (occur, child) in clauses {
                plain_words(child, negated ^ (*occur == Occur::MustNot), out);
            }
        }
        _ => {}
    }
}

/// The suggestions for the rare words of a parsed query.
pub fn suggest(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    node: &Node,
    english: &mut TextAnalyzer,
) -> Vec<Suggestion> {
    let mut words = Vec::new();
    plain_words(node, false, &mut words);
    let mut suggestions = Vec::new();
    for word in words {
        let stems = crate::analysis::analyse(english, &word);
        let [stem] = stems.as_slice() else {
            continue;
        };
        let passages = doc_freq(searcher, fields, stem);
        if passages > FEW_PASSAGES {
            continue;
        }
        let Some(best) = closest_term(searcher, fields, stem, passages) else {
            continue;
        };
        let Some(surface) = surface_form(searcher, fields, &best, &word, english) else {
            continue;
        };
        if surface != word.to_lowercase() {
            suggestions.push(Suggestion {
                word,
                suggestion: surface,
            });
        }
    }
    suggestions
}

/// The query with each suggested word in place of the first occurrence of its word as a whole
/// word (not inside another: "interst" in "interstate interst" is the second).
pub fn corrected_query(query: &str, suggestions: &[Suggestion]) -> String {
    let mut corrected = query.to_string();
    for Suggestion { word, suggestion } in suggestions {
        let is_word_char = |c: char| c.is_alphanumeric();
        let at = corrected.match_indices(word.as_str()).find_map(|(at, _)| {
            let before = corrected[..at].chars().next_back();
            let after = corrected[at + word.len()..].chars().next();
            (!before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)).then_some(at)
        });
        if let Some(at) = at {
            corrected.replace_range(at..at + word.len(), suggestion);
        }
    }
    corrected
}

/// Passages of the index whose `all` holds `stem`.
fn doc_freq(searcher: &tantivy::Searcher, fields: &Fields, stem: &str) -> u64 {
    let term = Term::from_field_text(fields.all, stem);
    searcher
        .segment_readers()
        .iter()
        .filter_map(|segment| segment.inverted_index(fields.all).ok())
        .filter_map(|index| index.doc_freq(&term).ok())
        .map(u64::from)
        .sum()
}

/// The term of `all` closest to `stem` that at least `MORE_COMMON` times its passages hold
/// (some passage, when none holds `stem`).
fn closest_term(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    stem: &str,
    passages: u64,
) -> Option<String> {
    let chars: Vec<char> = stem.chars().collect();
    let limit = max_edits(chars.len());
    let mut prefixes: Vec<String> = Vec::new();
    if chars.len() >= 3 {
        prefixes.push(chars[..2].iter().collect());
        prefixes.push([chars[1], chars[0]].iter().collect());
        prefixes.push([chars[0], chars[2]].iter().collect());
    }
    prefixes.sort();
    prefixes.dedup();
    let mut candidates: HashMap<String, (usize, u64)> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(index) = segment.inverted_index(fields.all) else {
            continue;
        };
        for prefix in &prefixes {
            let mut upper = prefix.clone().into_bytes();
            let range = index.terms().range().ge(prefix.as_bytes());
            let range = match increment(&mut upper) {
                true => range.lt(&upper),
                false => range,
            };
            let Ok(mut stream) = range.into_stream() else {
                continue;
            };
            let mut scanned = 0;
            while scanned < MAX_SCANNED && stream.advance() {
                scanned += 1;
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                let length = term.chars().count();
                if length.abs_diff(chars.len()) > limit
                    || term.chars().any(|c| c.is_ascii_digit())
                    || term == stem
                {
                    continue;
                }
                let edits = strsim::osa_distance(term, stem);
                if edits > limit {
                    continue;
                }
                let entry = candidates.entry(term.to_string()).or_insert((edits, 0));
                entry.1 += u64::from(stream.value().doc_freq);
            }
        }
    }
    candidates
        .into_iter()
        .filter(|(_, (_, freq))| *freq >= MORE_COMMON * passages)
        .min_by(|(a, (a_edits, a_freq)), (b, (b_edits, b_freq))| {
            a_edits
                .cmp(b_edits)
                .then_with(|| b_freq.cmp(a_freq))
                .then_with(|| a.cmp(b))
        })
        .map(|(term, _)| term)
}

/// How passages that hold `stem` write it: of the words whose stem it is in the first few
/// such passages (text, title, heading), the one closest in spelling to what the user typed,
/// then the most frequent ("production", not "products", for "prodution"); in lower case.
fn surface_form(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    stem: &str,
    typed: &str,
    english: &mut TextAnalyzer,
) -> Option<String> {
    let term = Term::from_field_text(fields.all, stem);
    let mut addresses = Vec::with_capacity(SURFACE_SAMPLE);
    for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
        let Ok(index) = segment.inverted_index(fields.all) else {
            continue;
        };
        let Ok(Some(mut postings)) = index.read_postings(&term, IndexRecordOption::Basic) else {
            continue;
        };
        while postings.doc() != TERMINATED && addresses.len() < SURFACE_SAMPLE {
            addresses.push(DocAddress::new(ordinal as u32, postings.doc()));
            postings.advance();
        }
    }
    let mut surfaces: HashMap<String, usize> = HashMap::new();
    for address in addresses {
        let Ok(document) = searcher.doc::<TantivyDocument>(address) else {
            continue;
        };
        for field in [fields.text, fields.title, fields.section] {
            let Some(text) = document.get_first(field).and_then(|value| value.as_str()) else {
                continue;
            };
            let mut stream = english.token_stream(text);
            while stream.advance() {
                let token = stream.token();
                if token.text == stem
                    && let Some(surface) = text.get(token.offset_from..token.offset_to)
                {
                    *surfaces.entry(surface.to_lowercase()).or_default() += 1;
                }
            }
        }
    }
    let typed = typed.to_lowercase();
    surfaces
        .into_iter()
        .min_by(|(a, a_count), (b, b_count)| {
            strsim::osa_distance(a, &typed)
                .cmp(&strsim::osa_distance(b, &typed))
                .then_with(|| b_count.cmp(a_count))
                .then_with(|| a.cmp(b))
        })
        .map(|(surface, _)| surface)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn plain_positive_words_only_are_candidates() {
        let node = parse(
            "interst rates -shellz zelensky~1 ammun* title:grain x9 ok",
            Occur::Should,
        )
        .unwrap();
        let mut words = Vec::new();
        plain_words(&node, false, &mut words);
        assert_eq!(words, ["interst", "rates"]);
    }

    #[test]
    fn the_corrected_query_replaces_each_word_once() {
        let suggestions = [Suggestion {
            word: "interst".into(),
            suggestion: "interest".into(),
        }];
        assert_eq!(
            corrected_query("interst rates +interst", &suggestions),
            "interest rates +interst"
        );
        assert_eq!(
            corrected_query("interstate interst", &suggestions),
            "interstate interest"
        );
    }
}
