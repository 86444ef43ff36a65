//! Training: an averaged perceptron over CoNLL-format sentences, decoded greedily as it runs.

use rustc_hash::FxHashMap;

use super::features::{History, TokenInfo, token_infos};
use super::tokenize::Token;
use super::{N_TAGS, TAGS, Tag, greedy_pass, known_matches};
use crate::extract::feature_table::WeightMap;
use crate::extract::gazetteer::{Gazetteer, has_uppercase};

/// One training sentence: tokens and their gold tags.
#[derive(Debug, Default)]
pub struct TrainingSentence {
    pub words: Vec<String>,
    pub tags: Vec<Tag>,
    /// The token starts a new name right after another of the same kind (IOB1 `B-`).
    pub begins: Vec<bool>,
}

/// A feature's weights while training: current, running sums for the average, and when each
/// sum was last brought up to date (the average is kept lazily).
#[derive(Default, Clone, Copy)]
struct Learning {
    weights: [f32; N_TAGS],
    totals: [f32; N_TAGS],
    stamps: [u64; N_TAGS],
    /// A domain's copy of a feature (see `train`), which the tagger never reads.
    domain_copy: bool,
}

/// The perceptron while it learns: each feature's `Learning`, and the number of decisions
/// taken so far.
#[derive(Default)]
struct Learner {
    learning: FxHashMap<u64, Learning>,
    clock: u64,
}

impl Learner {
    /// Scores a candidate's features (a domain other than 0 adds its own copy of each, see
    /// `train`), updates the weights when the best tag is not `truth`, and returns the best.
    fn learn(&mut self, features: &[u64], domain: u8, truth: usize) -> Tag {
        self.clock += 1;
        let salt = u64::from(domain).wrapping_mul(0xd6e8_feb8_6659_fd93);
        let copies = if domain == 0 { 1 } else { 2 };
        let all = || {
            (0..copies).flat_map(move |copy| {
                features.iter().map(move |&feature| {
                    (copy == 1, if copy == 1 { feature ^ salt } else { feature })
                })
            })
        };
        let mut scores = [0.0f32; N_TAGS];
        for (_, feature) in all() {
            if let Some(entry) = self.learning.get(&feature) {
                for (score, weight) in scores.iter_mut().zip(entry.weights) {
                    *score += weight;
                }
            }
        }
        let mut guess = 0;
        for tag in 1..N_TAGS {
            if scores[tag] > scores[guess] {
                guess = tag;
            }
        }
        if guess != truth {
            let clock = self.clock;
            for (domain_copy, feature) in all() {
                let entry = self.learning.entry(feature).or_insert(Learning {
                    domain_copy,
                    ..Learning::default()
                });
                for (tag, delta) in [(truth, 1.0), (guess, -1.0)] {
                    entry.totals[tag] += (clock - entry.stamps[tag]) as f32 * entry.weights[tag];
                    entry.stamps[tag] = clock;
                    entry.weights[tag] += delta;
                }
            }
        }
        TAGS[guess]
    }
}

/// Where a training sentence comes from, and how much it counts.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// The probability that a sentence takes part in a pass.
    pub share: f32,
    /// 0: the main domain (news like the tagger's); another: a domain whose sentences also
    /// train their own copy of every feature.
    pub domain: u8,
}

impl Default for Source {
    fn default() -> Source {
        Source {
            share: 1.0,
            domain: 0,
        }
    }
}

/// Trains an averaged perceptron for `epochs` passes over `documents` (shuffled with a fixed
/// seed, so a run is reproducible; the sentences of a document in order, since a candidate reads
/// the tags earlier ones of its word got in the document), then drops the features whose weights
/// all stay under `min_weight`. A document takes part in each pass with the probability of its
/// source's share (`sources[idx]`, the default when `sources` is shorter), so that a large, noisier set can
/// weigh less than a small, cleaner one. A document of another domain than 0 also trains a copy
/// of each of its features that only that domain has ("frustratingly easy" domain adaptation,
/// Daumé 2007): the copies learn what is peculiar to the domain (its annotators' habits), the
/// shared features what holds everywhere, and only the shared ones are kept. `seed` orders the
/// passes (runs with different seeds can be averaged, `average_runs`).
pub fn train(
    documents: &[Vec<TrainingSentence>],
    sources: &[Source],
    gazetteer: &Gazetteer,
    epochs: usize,
    min_weight: f32,
    seed: u64,
) -> WeightMap {
    let mut learner = Learner::default();
    let mut order: Vec<usize> = (0..documents.len()).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut next_random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // A document as the tagger reads a text: its sentences one stream, a line each.
    let prepared: Vec<(Vec<TokenInfo>, Vec<Tag>)> = documents
        .iter()
        .map(|document| {
            let words: Vec<&str> = document
                .iter()
                .flat_map(|sentence| sentence.words.iter().map(String::as_str))
                .collect();
            let mut joined = String::new();
            let mut line_starts = Vec::with_capacity(words.len());
            for sentence in document {
                for (idx, word) in sentence.words.iter().enumerate() {
                    if !joined.is_empty() {
                        joined.push(if idx == 0 { '\n' } else { ' ' });
                    }
                    line_starts.push(idx == 0);
                    joined.push_str(word);
                }
            }
            let tokens = tokens_of(&joined, &words, &line_starts);
            let matches = known_matches(&tokens, gazetteer);
            let gold = document
                .iter()
                .flat_map(|sentence| sentence.tags.iter().copied())
                .collect();
            (token_infos(&tokens, &matches, gazetteer), gold)
        })
        .collect();
    let mut features = Vec::with_capacity(48);
    let mut tags = Vec::new();
    let mut history = History::default();
    for _ in 0..epochs {
        for idx in (1..order.len()).rev() {
            order.swap(idx, (next_random() % (idx as u64 + 1)) as usize);
        }
        for &document_idx in &order {
            let source = sources.get(document_idx).copied().unwrap_or_default();
            let share = source.share;
            if share < 1.0 && (next_random() % 1_000_000) as f32 >= share * 1_000_000.0 {
                continue;
            }
            let (infos, gold) = &prepared[document_idx];
            tags.clear();
            tags.resize(infos.len(), Tag::None);
            // Greedy decoding trains on its own guesses, as it will run.
            greedy_pass(
                infos,
                &mut tags,
                &mut features,
                &mut history,
                |idx, features| learner.learn(features, source.domain, gold[idx].idx()),
            );
        }
    }
    let Learner { learning, clock } = learner;
    let mut averaged = WeightMap::default();
    for (feature, entry) in &learning {
        if entry.domain_copy {
            continue;
        }
        let average: [f32; N_TAGS] = std::array::from_fn(|tag| {
            let sum = entry.totals[tag] + (clock - entry.stamps[tag]) as f32 * entry.weights[tag];
            sum / clock.max(1) as f32
        });
        // Rescale so that weights read as small numbers in the file.
        let scaled = average.map(|weight| weight * 1000.0);
        if scaled.iter().any(|weight| weight.abs() >= min_weight) {
            averaged.insert(
                *feature,
                scaled.map(|w| if w.abs() < min_weight { 0.0 } else { w }),
            );
        }
    }
    averaged
}

/// The mean of the weights of several runs (a feature a run lacks weighs 0 there): a bagged
/// perceptron, as steady as one run of many more passes and less bound to one order.
pub fn average_runs(runs: &[WeightMap]) -> WeightMap {
    let mut sum = WeightMap::default();
    for run in runs {
        for (feature, row) in run {
            let total = sum.entry(*feature).or_insert([0.0; N_TAGS]);
            for (total, weight) in total.iter_mut().zip(row) {
                *total += weight;
            }
        }
    }
    let n = runs.len().max(1) as f32;
    for row in sum.values_mut() {
        for weight in row.iter_mut() {
            *weight /= n;
        }
    }
    sum
}

/// Tokens of a text made by joining already tokenised words with single spaces.
pub fn tokenize_given<'a>(joined: &'a str, words: &[String]) -> Vec<Token<'a>> {
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let line_starts: Vec<bool> = (0..words.len()).map(|idx| idx == 0).collect();
    tokens_of(joined, &words, &line_starts)
}

/// Tokens of a text made by joining already tokenised words with one character each (a line
/// break before a word that starts a line).
fn tokens_of<'a>(joined: &'a str, words: &[&str], line_starts: &[bool]) -> Vec<Token<'a>> {
    let mut tokens = Vec::with_capacity(words.len());
    let mut start = 0;
    for (word, &starts_line) in words.iter().zip(line_starts) {
        let end = start + word.len();
        tokens.push(Token {
            text: &joined[start..end],
            start,
            end,
            starts_line,
            capitalised: has_uppercase(word),
        });
        start = end + 1;
    }
    tokens
}
