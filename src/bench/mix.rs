//! The seeded query mix: queries of every class drawn from the stored passages of a local index.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tantivy::schema::Value;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, TantivyDocument, Term};
use unicode_segmentation::UnicodeSegmentation;

use super::class::{BenchQuery, FilterKind, QueryClass, Shape};
use super::error::{BenchError, build_in_progress};
use crate::analysis::{analyse, english_analyzer};
use crate::error::IndexError;
use crate::facets::parse_entity_label;
use crate::search::{Filters, Searcher};

/// A word of a stored passage with its single analysed token and document frequency.
struct Word {
    surface: String,
    doc_freq: u64,
}

/// Draws a realistic query mix from the index itself: words of mid document frequency taken
/// from stored passages, pairs of words that occur together, phrases of adjacent words, and the
/// same with a date window around the passage's date or an entity the passage mentions. The same
/// index and seed give the same queries. An index without dates gives no date classes
/// (`generate_mix` says so).
pub fn generate_queries(
    searcher: &Searcher,
    per_class: usize,
    seed: u64,
) -> Result<Vec<BenchQuery>, BenchError> {
    generate_mix(searcher, per_class, seed).map(|mix| mix.queries)
}

/// Why an index without dates gives no date classes.
pub const NO_DATES: &str = "the index holds no dates";

/// A seeded mix, and the classes it cannot hold with why.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryMix {
    pub queries: Vec<BenchQuery>,
    pub skipped_classes: BTreeMap<QueryClass, String>,
}

/// `generate_queries`, with the classes the index cannot give: the date classes when no
/// passage has a date.
pub fn generate_mix(
    searcher: &Searcher,
    per_class: usize,
    seed: u64,
) -> Result<QueryMix, BenchError> {
    let handle = searcher.handle();
    let fields = handle.fields;
    let tantivy_error = |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    };
    let (index_searcher, n_docs) = draw_searcher(searcher)?;
    let (low, high) = mid_band(n_docs);
    let is_mid = |doc_freq: u64| (low..=high).contains(&doc_freq);

    // Without a single date no date class can be drawn: those classes are left out (and said
    // so), the others drawn as from any index.
    let date_field = handle
        .index
        .schema()
        .get_field_name(fields.date)
        .to_string();
    let mut dated = false;
    for segment in index_searcher.segment_readers() {
        let column = segment
            .fast_fields()
            .column_opt::<tantivy::DateTime>(&date_field)
            .map_err(tantivy_error)?;
        dated |= column.is_some_and(|column| column.values.num_vals() > 0);
    }
    let mut skipped_classes = BTreeMap::new();
    let classes: Vec<QueryClass> = QueryClass::GENERATED
        .into_iter()
        .filter(|class| {
            let undrawable = !dated && matches!(class.parts(), Some((_, FilterKind::Date)));
            if undrawable {
                skipped_classes.insert(*class, NO_DATES.to_string());
            }
            !undrawable
        })
        .collect();

    let draw = PassageDraw::new(&index_searcher);

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut analyzer = english_analyzer();
    let mut by_class: BTreeMap<QueryClass, Vec<BenchQuery>> = BTreeMap::new();
    let mut next_class = 0;
    let max_attempts = per_class * classes.len() * 40 + 1000;
    for _ in 0..max_attempts {
        let unfilled: Vec<QueryClass> = classes
            .iter()
            .copied()
            .filter(|class| by_class.get(class).map_or(0, Vec::len) < per_class)
            .collect();
        if unfilled.is_empty() {
            break;
        }
        let class = unfilled[next_class % unfilled.len()];
        let Some(document) = draw
            .document(&index_searcher, &mut rng)
            .map_err(tantivy_error)?
        else {
            continue;
        };
        let text = stored_text(&document, fields.text);
        let mut words = Vec::new();
        for surface in text.unicode_words() {
            let word = match drawable_stem(&mut analyzer, surface) {
                Some(stem) => {
                    let term = Term::from_field_text(fields.all, &stem);
                    let doc_freq = index_searcher.doc_freq(&term).map_err(tantivy_error)?;
                    Some(Word {
                        surface: surface.to_lowercase(),
                        doc_freq,
                    })
                }
                None => None,
            };
            words.push(word);
        }
        let Some((shape, filter)) = class.parts() else {
            continue;
        };
        let query = match shape {
            Shape::Term => pick_word(&mut rng, &words, &is_mid).map(|word| word.surface.clone()),
            Shape::And | Shape::Or => {
                let first = pick_word(&mut rng, &words, &is_mid);
                let second = pick_word(&mut rng, &words, &|doc_freq| doc_freq >= 2);
                match (first, second) {
                    (Some(first), Some(second)) if first.surface != second.surface => {
                        Some(if shape == Shape::And {
                            format!("+{} +{}", first.surface, second.surface)
                        } else {
                            format!("{} OR {}", first.surface, second.surface)
                        })
                    }
                    _ => None,
                }
            }
            Shape::Phrase => pick_phrase(&mut rng, &words, &is_mid),
        };
        let Some(query) = query else { continue };
        let filters = match filter {
            FilterKind::None => None,
            FilterKind::Date => document
                .get_first(fields.date)
                .and_then(|value| value.as_datetime())
                .and_then(|date| DateTime::<Utc>::from_timestamp(date.into_timestamp_secs(), 0))
                .map(|date| Filters {
                    since: Some(date - chrono::Duration::days(182)),
                    until: Some(date + chrono::Duration::days(182)),
                    ..Filters::default()
                }),
            FilterKind::Entity => {
                let labels: Vec<&str> =
                    crate::index::stored_entity_labels(&fields, &document).collect();
                if labels.is_empty() {
                    None
                } else {
                    parse_entity_label(labels[rng.random_range(0..labels.len())]).map(|entity| {
                        Filters {
                            // The entity of that label alone (`=`), as the index holds it.
                            entities: vec![format!("={}", entity.name)],
                            ..Filters::default()
                        }
                    })
                }
            }
        };
        if filter != FilterKind::None && filters.is_none() {
            continue;
        }
        next_class += 1;
        by_class.entry(class).or_default().push(BenchQuery {
            class,
            query: query.into(),
            filters: filters.map(Box::new),
        });
    }
    for &class in &classes {
        if by_class.get(&class).is_none_or(Vec::is_empty) {
            return Err(BenchError::NoGeneratedQueries { class });
        }
    }
    // Interleave the classes, so that no class runs only on a cold or only on a warm cache.
    let mut queries = Vec::new();
    let longest = by_class.values().map(Vec::len).max().unwrap_or(0);
    for idx in 0..longest {
        for class in &classes {
            if let Some(query) = by_class.get(class).and_then(|queries| queries.get(idx)) {
                queries.push(query.clone());
            }
        }
    }
    Ok(QueryMix {
        queries,
        skipped_classes,
    })
}

/// Passages drawn uniformly over a searcher's segments.
pub(super) struct PassageDraw {
    /// Each segment's ordinal and `max_doc`.
    segments: Vec<(u32, u32)>,
    total_max_doc: u64,
}

impl PassageDraw {
    pub(super) fn new(searcher: &tantivy::Searcher) -> PassageDraw {
        let segments: Vec<(u32, u32)> = searcher
            .segment_readers()
            .iter()
            .enumerate()
            .map(|(ord, segment)| (ord as u32, segment.max_doc()))
            .filter(|(_, max_doc)| *max_doc > 0)
            .collect();
        let total_max_doc = segments.iter().map(|(_, max)| u64::from(*max)).sum();
        PassageDraw {
            segments,
            total_max_doc,
        }
    }

    /// One passage picked at random (one draw of `rng`), or `None` when the pick is a deleted
    /// passage.
    pub(super) fn document(
        &self,
        searcher: &tantivy::Searcher,
        rng: &mut ChaCha8Rng,
    ) -> tantivy::Result<Option<TantivyDocument>> {
        let mut pick = rng.random_range(0..self.total_max_doc);
        let mut address = None;
        for (ord, max_doc) in &self.segments {
            if pick < u64::from(*max_doc) {
                address = Some(DocAddress::new(*ord, pick as u32));
                break;
            }
            pick -= u64::from(*max_doc);
        }
        let Some(address) = address else {
            return Ok(None);
        };
        if searcher
            .segment_reader(address.segment_ord)
            .is_deleted(address.doc_id)
        {
            return Ok(None);
        }
        searcher.doc(address).map(Some)
    }
}

/// The one term of a word a query may be drawn from: three letters or more, analysed to a
/// single term (not a stop word).
pub(super) fn drawable_stem(analyzer: &mut TextAnalyzer, surface: &str) -> Option<String> {
    if surface.chars().count() < 3 || !surface.chars().all(char::is_alphabetic) {
        return None;
    }
    match <[String; 1]>::try_from(analyse(analyzer, surface)) {
        Ok([stem]) => Some(stem),
        Err(_) => None,
    }
}

/// A stored document's text value of `field` (empty without one).
pub(super) fn stored_text(document: &TantivyDocument, field: tantivy::schema::Field) -> &str {
    document
        .get_first(field)
        .and_then(|value| value.as_str())
        .unwrap_or_default()
}

/// The searcher a draw reads (the loaded state of the index) and its number of passages; an
/// empty index is an error.
pub(super) fn draw_searcher(searcher: &Searcher) -> Result<(tantivy::Searcher, u64), BenchError> {
    let handle = searcher.handle();
    let index_searcher = searcher.tantivy_searcher();
    let n_docs = index_searcher.num_docs();
    if n_docs == 0 {
        return Err(BenchError::EmptyIndex {
            path: handle.path.clone(),
            building: build_in_progress(&handle.path),
        });
    }
    Ok((index_searcher, n_docs))
}

/// The document frequencies of a mid-frequency word in an index of `n_docs` passages, both
/// ends included: neither rare names nor near-stop words.
pub(super) fn mid_band(n_docs: u64) -> (u64, u64) {
    let low = (n_docs / 10_000).max(2);
    // (A small index gets a band of at least 20 passages: there every word of a title is on
    // every passage of its article.)
    let high = (n_docs / 50).max(low * 4).max(20);
    (low, high)
}

fn pick_word<'a>(
    rng: &mut ChaCha8Rng,
    words: &'a [Option<Word>],
    accept: &dyn Fn(u64) -> bool,
) -> Option<&'a Word> {
    let candidates: Vec<&Word> = words
        .iter()
        .flatten()
        .filter(|word| accept(word.doc_freq))
        .collect();
    (!candidates.is_empty()).then(|| candidates[rng.random_range(0..candidates.len())])
}

/// Two adjacent words of a passage, at least one of mid frequency, as a quoted phrase.
fn pick_phrase(
    rng: &mut ChaCha8Rng,
    words: &[Option<Word>],
    is_mid: &dyn Fn(u64) -> bool,
) -> Option<String> {
    let pairs: Vec<(&Word, &Word)> = words
        .windows(2)
        .filter_map(|pair| match pair {
            [Some(first), Some(second)] => Some((first, second)),
            _ => None,
        })
        .filter(|(first, second)| is_mid(first.doc_freq) || is_mid(second.doc_freq))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let (first, second) = pairs[rng.random_range(0..pairs.len())];
    Some(format!("\"{} {}\"", first.surface, second.surface))
}
