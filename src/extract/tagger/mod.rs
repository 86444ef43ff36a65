//! Name tagging: text -> tokens -> a tag per token (person, place, organisation, other, none),
//! with an averaged perceptron whose weights are `data/ner_weights.tsv`, trained by
//! `examples/train_tagger.rs` on training sets only (CoNLL-2003 eng.train and eng.testa, GMB
//! train: never eng.testb, GMB test or Wikigold, which the quality harness measures), with
//! word classes from unlabelled text (`data/word_classes.tsv`). It finds and types name spans;
//! it does not canonicalise them (the gazetteer and `entities` do).
//!
//! Parts: `tokenize` (text -> tokens), `features` (tokens -> hashed features), this module
//! (features -> tags, greedy left to right, and the known forms of a text), `train`.

mod features;
mod tokenize;
mod train;

use std::sync::OnceLock;

pub use crate::extract::feature_table::N_TAGS;
use crate::extract::feature_table::{FeatureTable, Slot, WeightMap, parse_tsv};
use crate::extract::gazetteer::{Form, Gazetteer};
use crate::model::EntityKind;
pub(crate) use features::{Affixed, affixed_name};
use features::{
    History, TokenInfo, hash_infos, history_features, mark_gazetteer, may_start_form,
    scan_token_infos, scan_tokens, token_features, token_infos,
};
pub use tokenize::{Token, tokenize, tokenize_into};
pub use train::{Source, TrainingSentence, average_runs, tokenize_given, train};

/// The perceptron's weights as `build.rs` packed them from `data/ner_weights.tsv`.
const PACKED_WEIGHTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ner_weights.table"));

/// The tags, in the order of the weight columns.
pub const TAGS: [Tag; N_TAGS] = [
    Tag::None,
    Tag::Person,
    Tag::Place,
    Tag::Organisation,
    Tag::Other,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    None,
    Person,
    Place,
    Organisation,
    Other,
}

impl Tag {
    pub fn idx(self) -> usize {
        self as usize
    }

    pub fn kind(self) -> Option<EntityKind> {
        match self {
            Tag::None => None,
            Tag::Person => Some(EntityKind::Person),
            Tag::Place => Some(EntityKind::Place),
            Tag::Organisation => Some(EntityKind::Organisation),
            Tag::Other => Some(EntityKind::Other),
        }
    }

    /// Reads a CoNLL-2003 tag (`I-PER`, `B-LOC`, `O`...).
    pub fn from_conll(tag: &str) -> Tag {
        match tag.rsplit('-').next().unwrap_or("O") {
            "PER" => Tag::Person,
            "LOC" => Tag::Place,
            "ORG" => Tag::Organisation,
            "MISC" => Tag::Other,
            _ => Tag::None,
        }
    }
}

/// The tagger: the weights, and the gazetteer whose matches are features.
pub struct Tagger {
    weights: FeatureTable,
}

impl std::fmt::Debug for Tagger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tagger({} features)", self.weights.len)
    }
}

/// The shipped tagger, unpacked once per process.
pub fn builtin_tagger() -> &'static Tagger {
    static TAGGER: OnceLock<Tagger> = OnceLock::new();
    TAGGER.get_or_init(|| Tagger {
        weights: FeatureTable::unpack(PACKED_WEIGHTS).expect("build.rs packs a valid table"),
    })
}

impl Tagger {
    /// A tagger with no weights: tags nothing. Used to measure the cost of tagging.
    pub fn empty() -> Tagger {
        Tagger {
            weights: FeatureTable::default(),
        }
    }

    /// Reads weights written by `feature_table::weights_tsv`; lines that do not parse are
    /// skipped (the shipped file is checked by a unit test).
    pub fn from_tsv(text: &str) -> Tagger {
        Tagger::from_map(&parse_tsv(text))
    }

    pub fn from_map(map: &WeightMap) -> Tagger {
        Tagger {
            weights: FeatureTable::from_map(map),
        }
    }

    pub fn n_features(&self) -> usize {
        self.weights.len
    }

    pub fn is_empty(&self) -> bool {
        self.weights.len == 0
    }

    /// One tag per token; `matches` are the text's `known_matches`.
    pub fn tag(
        &self,
        tokens: &[Token<'_>],
        matches: &KnownMatches,
        gazetteer: &Gazetteer,
    ) -> Vec<Tag> {
        let mut tags = vec![Tag::None; tokens.len()];
        if self.is_empty() {
            return tags;
        }
        let infos = token_infos(tokens, matches, gazetteer);
        self.decode(&infos, &mut tags);
        tags
    }

    /// `known_matches` and `tag` of one text, each token's bytes scanned once for both.
    pub fn tag_text(
        &self,
        tokens: &[Token<'_>],
        gazetteer: &Gazetteer,
    ) -> (KnownMatches, Vec<Tag>) {
        let mut infos = scan_tokens(tokens);
        hash_infos(tokens, &mut infos, !self.is_empty());
        let matches = known_matches_by(tokens, gazetteer, |idx| {
            may_start_form(&infos[idx], gazetteer)
        });
        let mut tags = vec![Tag::None; tokens.len()];
        if !self.is_empty() {
            mark_gazetteer(&matches, gazetteer, &mut infos);
            self.decode(&infos, &mut tags);
        }
        (matches, tags)
    }

    /// `tag_text` into buffers reused from text to text: fills `scratch.matches` and
    /// `scratch.tags`.
    pub fn tag_text_into(
        &self,
        tokens: &[Token<'_>],
        gazetteer: &Gazetteer,
        scratch: &mut TagScratch,
    ) {
        let TagScratch {
            infos,
            matches,
            tags,
            features,
            scores,
            history,
            words,
            key,
        } = scratch;
        infos.clear();
        infos.extend(scan_token_infos(tokens));
        hash_infos(tokens, infos, !self.is_empty());
        let mut words = recycle(std::mem::take(words));
        known_matches_into(
            tokens,
            gazetteer,
            |idx| may_start_form(&infos[idx], gazetteer),
            matches,
            &mut words,
            key,
        );
        scratch.words = recycle(words);
        tags.clear();
        tags.resize(tokens.len(), Tag::None);
        if !self.is_empty() {
            mark_gazetteer(matches, gazetteer, infos);
            self.decode_with(infos, tags, features, scores, history);
        }
    }

    /// Greedy left-to-right decoding of the candidates, then `smooth`.
    fn decode(&self, infos: &[TokenInfo], tags: &mut [Tag]) {
        self.decode_with(
            infos,
            tags,
            &mut Vec::with_capacity(32),
            &mut Vec::new(),
            &mut History::default(),
        );
    }

    fn decode_with(
        &self,
        infos: &[TokenInfo],
        tags: &mut [Tag],
        features: &mut Vec<u64>,
        scores: &mut Vec<[i32; N_TAGS]>,
        history: &mut History,
    ) {
        scores.clear();
        scores.resize(infos.len(), [0; N_TAGS]);
        greedy_pass(infos, tags, features, history, |idx, features| {
            scores[idx] = self.scores(features);
            best_of(&scores[idx])
        });
        smooth(infos, tags, scores);
    }

    fn scores(&self, features: &[u64]) -> [i32; N_TAGS] {
        const BATCH: usize = 32;
        let table = &self.weights;
        let mut scores = [0; N_TAGS];
        if table.slots.is_empty() {
            return scores;
        }
        for batch in features.chunks(BATCH) {
            // All slot loads first, with nothing waiting on them, so that they overlap.
            let mut slots = [0; BATCH];
            let mut found = [Slot::default(); BATCH];
            for (idx, &feature) in batch.iter().enumerate() {
                slots[idx] = table.slot(feature);
                found[idx] = table.slots[slots[idx]];
            }
            // A miss adds zeros, which change no sum.
            for (idx, &feature) in batch.iter().enumerate() {
                let weights = table.weights_from(feature, slots[idx], found[idx]);
                for (score, weight) in scores.iter_mut().zip(weights) {
                    *score += i32::from(weight);
                }
            }
        }
        scores
    }
}

/// Greedy left-to-right decoding of a text's candidates, `choose` giving each its tag from its
/// features; training runs the same pass, `choose` learning as it guesses. A candidate reads
/// the tags its word got earlier in the text (`History`).
pub(crate) fn greedy_pass(
    infos: &[TokenInfo],
    tags: &mut [Tag],
    features: &mut Vec<u64>,
    history: &mut History,
    mut choose: impl FnMut(usize, &[u64]) -> Tag,
) {
    history.clear();
    let mut deferred = false;
    for idx in 0..infos.len() {
        if !infos[idx].candidate {
            continue;
        }
        if infos[idx].deferred {
            deferred = true;
            continue;
        }
        tag_candidate(infos, tags, idx, features, history, &mut choose);
    }
    if deferred {
        for idx in 0..infos.len() {
            if infos[idx].candidate && infos[idx].deferred {
                tag_candidate(infos, tags, idx, features, history, &mut choose);
            }
        }
    }
}

fn tag_candidate(
    infos: &[TokenInfo],
    tags: &mut [Tag],
    idx: usize,
    features: &mut Vec<u64>,
    history: &mut History,
    choose: &mut impl FnMut(usize, &[u64]) -> Tag,
) {
    features.clear();
    token_features(infos, tags, idx, features);
    history_features(history.summary(infos[idx].word), &infos[idx], features);
    tags[idx] = choose(idx, features);
    history.record(infos[idx].word, tags[idx]);
}

fn best_of(scores: &[i32; N_TAGS]) -> Tag {
    let mut best = 0;
    for idx in 1..N_TAGS {
        if scores[idx] > scores[best] {
            best = idx;
        }
    }
    TAGS[best]
}

/// Capitalised words left untagged between two words tagged the same kind are of the name
/// ("Balkan Arms Monitoring Group", where "Arms" and "Monitoring" alone read as common words),
/// unless they start a sentence or are in capitals (a headline's "CLINTON MEETS YELTSIN").
fn fill_gaps(infos: &[TokenInfo], tags: &mut [Tag]) {
    let n = infos.len();
    let mut idx = 1;
    while idx < n {
        let fillable = |at: usize| {
            tags[at] == Tag::None
                && infos[at].candidate
                && infos[at].capitalised
                && infos[at].mixed_case
                && !infos[at].sentence_start
        };
        if !fillable(idx) || tags[idx - 1] == Tag::None || !infos[idx - 1].capitalised {
            idx += 1;
            continue;
        }
        let mut end = idx + 1;
        while end < n && fillable(end) {
            end += 1;
        }
        if end < n
            && tags[end] == tags[idx - 1]
            && infos[end].capitalised
            && !infos[end].sentence_start
        {
            let tag = tags[end];
            for slot in &mut tags[idx..end] {
                *slot = tag;
            }
        }
        idx = end;
    }
}

/// The token is (in) an adjective or demonym a list knows ("Czech", "South African").
fn is_adjective(info: &TokenInfo) -> bool {
    info.gazetteer != 0 && ((info.gazetteer - 1) >> 1) & 1 == 1
}

/// The token continues the known form the one before it starts.
fn continues_form(info: &TokenInfo) -> bool {
    info.gazetteer != 0 && (info.gazetteer - 1) & 1 == 1
}

/// One kind for one name: greedy decoding may give the words of one run of capitalised words
/// different kinds ("Standard/ORG Liege/LOC", "Federal/MISC Open/MISC Market/ORG"), which would
/// split it into names. Each run of adjacent tagged capitalised words within a sentence takes
/// the kind whose scores summed over the run are highest, except across a known adjective
/// ("Czech" "Petr Korda") or from an other-kind word to a person ("Briton" "Tim Henman").
/// Connectors end runs ("Karlsruhe of Germany" stays two names). First, `fill_gaps`.
fn smooth(infos: &[TokenInfo], tags: &mut [Tag], scores: &[[i32; N_TAGS]]) {
    let n = infos.len();
    fill_gaps(infos, tags);
    let boundary = |tags: &[Tag], a: usize, b: usize| -> bool {
        infos[a].affixed != Affixed::No
            || (tags[a] == Tag::Other && tags[b] == Tag::Person)
            || ((is_adjective(&infos[a]) || is_adjective(&infos[b])) && !continues_form(&infos[b]))
    };
    let mut idx = 0;
    while idx < n {
        if tags[idx] == Tag::None || !infos[idx].capitalised {
            idx += 1;
            continue;
        }
        let mut end = idx + 1;
        while end < n
            && tags[end] != Tag::None
            && infos[end].capitalised
            && !infos[end].sentence_start
            && !boundary(tags, end - 1, end)
        {
            end += 1;
        }
        if end - idx > 1 && tags[idx..end].iter().any(|tag| *tag != tags[idx]) {
            let best = best_kind(&sum_scores(&scores[idx..end]));
            for slot in &mut tags[idx..end] {
                *slot = best;
            }
        }
        idx = end;
    }
    mark_affixed_names(infos, tags);
}

/// A hyphenated adjective of a name ("Bergamo-based", "ex-England") is a name of kind other,
/// whatever the tagger said, with the capitalised words of its name before it ("New York-based").
fn mark_affixed_names(infos: &[TokenInfo], tags: &mut [Tag]) {
    for idx in 0..infos.len() {
        if !infos[idx].candidate || infos[idx].affixed == Affixed::No {
            continue;
        }
        tags[idx] = Tag::Other;
        if infos[idx].affixed == Affixed::Suffix && !infos[idx].sentence_start {
            let mut first = idx;
            while first > 0
                && tags[first - 1] != Tag::None
                && infos[first - 1].capitalised
                && infos[first - 1].affixed == Affixed::No
            {
                first -= 1;
                tags[first] = Tag::Other;
                if infos[first].sentence_start {
                    break;
                }
            }
        }
    }
}

fn sum_scores(rows: &[[i32; N_TAGS]]) -> [i64; N_TAGS] {
    let mut sum = [0i64; N_TAGS];
    for row in rows {
        for (total, score) in sum.iter_mut().zip(row) {
            *total += i64::from(*score);
        }
    }
    sum
}

/// The best kind of name by summed scores (not `None`: every word of a run is tagged).
fn best_kind(sum: &[i64; N_TAGS]) -> Tag {
    let mut best = 1;
    for tag in 2..N_TAGS {
        if sum[tag] > sum[best] {
            best = tag;
        }
    }
    TAGS[best]
}

/// The longest known form starting at each token (within its line), if any.
pub type KnownMatches = Vec<Option<(Form, usize)>>;

/// Looks up, once per text, the known forms that start at each token; the tagger's features
/// and the extractor's spans both use them.
pub fn known_matches(tokens: &[Token<'_>], gazetteer: &Gazetteer) -> KnownMatches {
    known_matches_by(tokens, gazetteer, |idx| tokens[idx].capitalised)
}

/// `known_matches`, told which tokens hold a capital letter.
fn known_matches_by(
    tokens: &[Token<'_>],
    gazetteer: &Gazetteer,
    capitalised: impl Fn(usize) -> bool,
) -> KnownMatches {
    let mut matches = Vec::new();
    known_matches_into(
        tokens,
        gazetteer,
        capitalised,
        &mut matches,
        &mut Vec::new(),
        &mut String::with_capacity(64),
    );
    matches
}

/// `known_matches_by` into `matches`, with buffers for the words and the lookup key.
fn known_matches_into<'a>(
    tokens: &[Token<'a>],
    gazetteer: &Gazetteer,
    capitalised: impl Fn(usize) -> bool,
    matches: &mut KnownMatches,
    words: &mut Vec<&'a str>,
    key: &mut String,
) {
    matches.clear();
    matches.resize(tokens.len(), None);
    if gazetteer.is_empty() {
        return;
    }
    words.clear();
    words.extend(tokens.iter().map(|token| token.text));
    let mut line_end = tokens.len();
    for idx in (0..tokens.len()).rev() {
        if capitalised(idx) {
            matches[idx] = gazetteer.longest_match_in(&words[idx..line_end], key);
        }
        if tokens[idx].starts_line {
            line_end = idx;
        }
    }
}

/// Buffers of `Tagger::tag_text_into`, kept from text to text.
#[derive(Default)]
pub struct TagScratch {
    infos: Vec<TokenInfo>,
    pub matches: KnownMatches,
    pub tags: Vec<Tag>,
    features: Vec<u64>,
    scores: Vec<[i32; N_TAGS]>,
    history: History,
    /// Empty between texts; holds the words of the text being tagged.
    words: Vec<&'static str>,
    key: String,
}

/// An empty vector that keeps the allocation of `spare` (the standard library collects in
/// place when the items have the same size), for borrowed items of another lifetime.
pub fn recycle<T, U>(mut spare: Vec<T>) -> Vec<U> {
    spare.clear();
    spare
        .into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

#[cfg(test)]
mod tests;
