//! The seeded pair set: a few single words and word pairs, each pair asked as AND, OR and
//! phrase, all of mid document frequency and drawn from the stored passages of a local index
//! (issue 25's peer comparison: 5 words and 30 pairs, 95 queries, the same for every engine).

use std::collections::BTreeSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tantivy::Term;
use unicode_segmentation::UnicodeSegmentation;

use super::class::{BenchQuery, QueryClass};
use super::error::BenchError;
use super::mix::{PassageDraw, draw_searcher, drawable_stem, mid_band, stored_text};
use crate::analysis::english_analyzer;
use crate::error::IndexError;
use crate::search::Searcher;

/// `terms` single words and `pairs` pairs of words, each pair as `+a +b`, `a OR b` and `"a b"`:
/// every word of mid document frequency (`mid_band`), the two words of a pair distinct stems
/// of one passage in their order there (so that the AND has matches): every other pair two
/// adjacent words (so that the phrase matches too), the others any two.
/// Order: the words, then the pairs' AND, OR and phrase forms interleaved, each form taking
/// the pairs from another offset so that no pair runs three times in a row. The same index and
/// seed give the same set.
pub fn generate_pair_set(
    searcher: &Searcher,
    terms: usize,
    pairs: usize,
    seed: u64,
) -> Result<Vec<BenchQuery>, BenchError> {
    let handle = searcher.handle();
    let fields = handle.fields;
    let tantivy_error = |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    };
    let (index_searcher, n_docs) = draw_searcher(searcher)?;
    let (low, high) = mid_band(n_docs);
    let draw = PassageDraw::new(&index_searcher);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut analyzer = english_analyzer();
    let mut words_drawn: Vec<String> = Vec::new();
    let mut pairs_drawn: Vec<(String, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for _ in 0..(terms + pairs) * 200 + 1000 {
        if words_drawn.len() >= terms && pairs_drawn.len() >= pairs {
            break;
        }
        let Some(document) = draw
            .document(&index_searcher, &mut rng)
            .map_err(tantivy_error)?
        else {
            continue;
        };
        let text = stored_text(&document, fields.text);
        // The passage's mid-frequency words, one per stem, in text order.
        let mut stems = BTreeSet::new();
        let mut mid: Vec<String> = Vec::new();
        // Indexes into `mid` of words that follow the one before them in the text.
        let mut follows: Vec<usize> = Vec::new();
        let mut last_word = None;
        for (at, surface) in text.unicode_words().enumerate() {
            let Some(stem) = drawable_stem(&mut analyzer, surface) else {
                continue;
            };
            let term = Term::from_field_text(fields.all, &stem);
            let doc_freq = index_searcher.doc_freq(&term).map_err(tantivy_error)?;
            if (low..=high).contains(&doc_freq) && stems.insert(stem) {
                if last_word == Some(at.wrapping_sub(1)) {
                    follows.push(mid.len());
                }
                mid.push(surface.to_lowercase());
                last_word = Some(at);
            }
        }
        if words_drawn.len() < terms {
            if !mid.is_empty() {
                let word = mid[rng.random_range(0..mid.len())].clone();
                if seen.insert(word.clone()) {
                    words_drawn.push(word);
                }
            }
        } else if pairs_drawn.len().is_multiple_of(2) && !follows.is_empty() {
            // Every other pair two adjacent words, so that some phrases match.
            let second = follows[rng.random_range(0..follows.len())];
            let pair = format!("{} {}", mid[second - 1], mid[second]);
            if seen.insert(pair) {
                pairs_drawn.push((mid[second - 1].clone(), mid[second].clone()));
            }
        } else if !pairs_drawn.len().is_multiple_of(2) && mid.len() >= 2 {
            let first = rng.random_range(0..mid.len());
            let mut second = rng.random_range(0..mid.len() - 1);
            if second >= first {
                second += 1;
            }
            let (first, second) = (first.min(second), first.max(second));
            let pair = format!("{} {}", mid[first], mid[second]);
            if seen.insert(pair) {
                pairs_drawn.push((mid[first].clone(), mid[second].clone()));
            }
        }
    }
    if words_drawn.len() < terms {
        return Err(BenchError::NoGeneratedQueries {
            class: QueryClass::Term,
        });
    }
    if pairs_drawn.len() < pairs {
        return Err(BenchError::NoGeneratedQueries {
            class: QueryClass::And,
        });
    }
    let query = |class, query: String| BenchQuery {
        class,
        query: query.into(),
        filters: None,
    };
    let mut queries: Vec<BenchQuery> = words_drawn
        .into_iter()
        .map(|word| query(QueryClass::Term, word))
        .collect();
    let n = pairs_drawn.len();
    for idx in 0..n {
        let (a, b) = &pairs_drawn[idx];
        queries.push(query(QueryClass::And, format!("+{a} +{b}")));
        let (a, b) = &pairs_drawn[(idx + n / 3) % n];
        queries.push(query(QueryClass::Or, format!("{a} OR {b}")));
        let (a, b) = &pairs_drawn[(idx + 2 * n / 3) % n];
        queries.push(query(QueryClass::Phrase, format!("\"{a} {b}\"")));
    }
    Ok(queries)
}
