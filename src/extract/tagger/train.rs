//! Training: an averaged perceptron over CoNLL-format sentences, decoded greedily as it runs.

use rustc_hash::FxHashMap;

use super::features::{TokenInfo, token_features, token_infos};
use super::tokenize::Token;
use super::{N_TAGS, TAGS, Tag, known_matches};
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

/// Trains an averaged perceptron for `epochs` passes over `sentences` (shuffled with a fixed
/// seed, so a run is reproducible), then drops the features whose weights all stay under
/// `min_weight`. A sentence takes part in each pass with the probability of its source's share
/// (`sources[idx]`, the default when `sources` is shorter), so that a large, noisier set can
/// weigh less than a small, cleaner one. A sentence of another domain than 0 also trains a copy
/// of each of its features that only that domain has ("frustratingly easy" domain adaptation,
/// Daumé 2007): the copies learn what is peculiar to the domain (its annotators' habits), the
/// shared features what holds everywhere, and only the shared ones are kept. `seed` orders the
/// passes (runs with different seeds can be averaged, `average_runs`).
pub fn train(
    sentences: &[TrainingSentence],
    sources: &[Source],
    gazetteer: &Gazetteer,
    epochs: usize,
    min_weight: f32,
    seed: u64,
) -> WeightMap {
    let mut learning: FxHashMap<u64, Learning> = FxHashMap::default();
    let mut clock: u64 = 0;
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut next_random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let prepared: Vec<(Vec<TokenInfo>, &[Tag])> = sentences
        .iter()
        .map(|sentence| {
            let joined = sentence.words.join(" ");
            let tokens = tokenize_given(&joined, &sentence.words);
            let matches = known_matches(&tokens, gazetteer);
            (
                token_infos(&tokens, &matches, gazetteer),
                sentence.tags.as_slice(),
            )
        })
        .collect();
    let mut features = Vec::with_capacity(48);
    let mut tags = Vec::new();
    for _ in 0..epochs {
        for idx in (1..order.len()).rev() {
            order.swap(idx, (next_random() % (idx as u64 + 1)) as usize);
        }
        for &sentence_idx in &order {
            let source = sources.get(sentence_idx).copied().unwrap_or_default();
            let share = source.share;
            if share < 1.0 && (next_random() % 1_000_000) as f32 >= share * 1_000_000.0 {
                continue;
            }
            let (infos, gold) = &prepared[sentence_idx];
            tags.clear();
            tags.resize(infos.len(), Tag::None);
            for idx in 0..infos.len() {
                if !infos[idx].candidate {
                    continue;
                }
                clock += 1;
                features.clear();
                token_features(infos, &tags, idx, &mut features);
                let n_shared = features.len();
                if source.domain != 0 {
                    let salt = u64::from(source.domain).wrapping_mul(0xd6e8_feb8_6659_fd93);
                    for at in 0..n_shared {
                        features.push(features[at] ^ salt);
                    }
                }
                let mut scores = [0.0f32; N_TAGS];
                for feature in &features {
                    if let Some(entry) = learning.get(feature) {
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
                let truth = gold[idx].idx();
                if guess != truth {
                    for (at, &feature) in features.iter().enumerate() {
                        let entry = learning.entry(feature).or_insert(Learning {
                            domain_copy: at >= n_shared,
                            ..Learning::default()
                        });
                        for (tag, delta) in [(truth, 1.0), (guess, -1.0)] {
                            entry.totals[tag] +=
                                (clock - entry.stamps[tag]) as f32 * entry.weights[tag];
                            entry.stamps[tag] = clock;
                            entry.weights[tag] += delta;
                        }
                    }
                }
                // Greedy decoding trains on its own guesses, as it will run.
                tags[idx] = TAGS[guess];
            }
        }
    }
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
    let mut tokens = Vec::with_capacity(words.len());
    let mut start = 0;
    for (idx, word) in words.iter().enumerate() {
        let end = start + word.len();
        tokens.push(Token {
            text: &joined[start..end],
            start,
            end,
            starts_line: idx == 0,
            capitalised: has_uppercase(word),
        });
        start = end + 1;
    }
    tokens
}
