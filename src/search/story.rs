//! Story-level evidence: the BM25 of a whole article, read from its passages' postings in
//! `all` (term frequencies and lengths summed over the passages, the title, which each passage
//! repeats, counted once), so that an article whose evidence is spread over several passages
//! ranks as a reader judges the story. One index serves both: `search` scores the articles of
//! its best passages (the story view), `eval` every document that matched.
//!
//! `StoryScore` says how a story's score combines its passages and its whole text.

use std::fmt;
use std::str::FromStr;

use tantivy::postings::Postings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::index::TITLE_WEIGHT;
use crate::schema::Fields;

/// How many articles, those of the best passages, the story view ranks as stories; the rest
/// follow in the order of their best passages (as a rescoring window does).
pub const STORY_DEPTH: usize = 100;

/// BM25's term-frequency saturation, as tantivy's.
const K1: f32 = 1.2;
/// BM25's length normalisation, as tantivy's.
const B: f32 = 0.75;

/// A document's score as weights of its parts:
/// `best × best passage + rest × (sum of its other matching passages) + article × BM25 of the
/// whole story`. Written `best`, `sum` (best + rest), `article`, or terms joined by `+`, each
/// an optional weight and a part: `best+0.3rest`, `best+article`, `best+0.5article`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StoryScore {
    pub best: f32,
    pub rest: f32,
    pub article: f32,
}

impl StoryScore {
    /// A document scores as its best passage.
    pub const BEST: StoryScore = StoryScore {
        best: 1.0,
        rest: 0.0,
        article: 0.0,
    };

    /// A document scores as its best passage plus its whole story's BM25, with equal weights:
    /// the default, measured in `docs/ranking.md`.
    pub const BEST_AND_ARTICLE: StoryScore = StoryScore {
        best: 1.0,
        rest: 0.0,
        article: 1.0,
    };

    /// Whether the whole story's BM25 is needed.
    pub fn needs_article(&self) -> bool {
        self.article != 0.0
    }

    /// The document's score from its best passage and the sum of its matching passages (-inf
    /// and 0 when none matched) and its whole story's score (-inf when it did not match); -inf
    /// when nothing matched.
    pub fn combine(&self, best: Score, sum: Score, article: Score) -> Score {
        if !best.is_finite() && !article.is_finite() {
            return Score::NEG_INFINITY;
        }
        let (best, rest) = if best.is_finite() {
            (best, sum - best)
        } else {
            (0.0, 0.0)
        };
        let article = if article.is_finite() { article } else { 0.0 };
        self.best * best + self.rest * rest + self.article * article
    }
}

impl Default for StoryScore {
    fn default() -> Self {
        StoryScore::BEST_AND_ARTICLE
    }
}

impl FromStr for StoryScore {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut score = StoryScore {
            best: 0.0,
            rest: 0.0,
            article: 0.0,
        };
        for term in spec.split('+').map(str::trim) {
            let split = term
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(term.len());
            let (weight, part) = term.split_at(split);
            let weight = weight.trim().trim_end_matches('*').trim();
            let weight: f32 = if weight.is_empty() {
                1.0
            } else {
                weight
                    .parse()
                    .map_err(|_| format!("`{weight}` in `{term}` is not a number"))?
            };
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("the weight in `{term}` must be 0 or more"));
            }
            match part {
                "best" => score.best += weight,
                "rest" => score.rest += weight,
                "sum" => {
                    score.best += weight;
                    score.rest += weight;
                }
                "article" => score.article += weight,
                _ => {
                    return Err(format!(
                        "`{term}`: expected best, rest, sum or article, each with an optional weight, joined by + (best+0.3rest)"
                    ));
                }
            }
        }
        if score.best == 0.0 && score.rest == 0.0 && score.article == 0.0 {
            return Err(format!("`{spec}` weighs nothing"));
        }
        Ok(score)
    }
}

impl fmt::Display for StoryScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (weight, part) in [
            (self.best, "best"),
            (self.rest, "rest"),
            (self.article, "article"),
        ] {
            if weight == 0.0 {
                continue;
            }
            if !first {
                f.write_str("+")?;
            }
            first = false;
            if weight != 1.0 {
                write!(f, "{weight}")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// One word of the query: its term in `all` and in `title`, its idf, and how many times the
/// query has it (each time adds its score once more, as each clause of the query does).
struct StoryWord {
    all: Term,
    title: Term,
    idf: Score,
    repeats: u32,
}

/// The BM25 of whole stories for a query's words: made once per query, fed the passages of
/// the stories to score segment by segment (`add_segment`), read with `scores`.
pub struct StoryScorer {
    words: Vec<StoryWord>,
    all: Field,
    title: Field,
    /// The mean length of a story in `all` tokens, its title counted once.
    mean_length: Score,
}

/// What the passages of each story add up to, by story position.
pub struct StoryTally {
    /// Per story: passages seen, the sum and the largest of their lengths, the title's length.
    passages: Vec<u32>,
    length: Vec<u64>,
    longest: Vec<u32>,
    title_length: Vec<u32>,
    /// Per story and word (story-major): the summed and the largest frequency in `all`, and
    /// the frequency in the title.
    tf: Vec<u32>,
    most: Vec<u32>,
    title_tf: Vec<u32>,
}

impl StoryScorer {
    /// The scorer of the query's words in `all` (other fields' terms are left out; each word
    /// once), or `None` when the query has none. The idf is the passages' (the index knows
    /// how many passages hold a word, not how many stories); the mean story length is the
    /// index's `all` tokens less the titles each passage repeats, over its articles (its lead
    /// passages).
    pub fn new(
        searcher: &tantivy::Searcher,
        fields: &Fields,
        query_terms: impl IntoIterator<Item = Term>,
    ) -> tantivy::Result<Option<StoryScorer>> {
        let n_passages = searcher.num_docs();
        let mut words: Vec<StoryWord> = Vec::new();
        for term in query_terms {
            if term.field() != fields.all {
                continue;
            }
            if let Some(word) = words.iter_mut().find(|word| word.all == term) {
                word.repeats += 1;
                continue;
            }
            let value = term.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let df = searcher.doc_freq(&term)?;
            if df == 0 {
                continue;
            }
            let idf = (1.0 + (n_passages as f64 - df as f64 + 0.5) / (df as f64 + 0.5)).ln();
            let title = Term::from_field_text(fields.title, text);
            words.push(StoryWord {
                title,
                all: term,
                idf: idf as Score,
                repeats: 1,
            });
        }
        if words.is_empty() {
            return Ok(None);
        }
        let (mut all_tokens, mut title_tokens) = (0u64, 0u64);
        for segment in searcher.segment_readers() {
            all_tokens += segment.inverted_index(fields.all)?.total_num_tokens();
            title_tokens += segment.inverted_index(fields.title)?.total_num_tokens();
        }
        let n_articles = count_articles(searcher, fields)?.max(1) as f64;
        let mean_title = title_tokens as f64 / n_passages.max(1) as f64;
        let repeated_titles =
            (n_passages as f64 - n_articles).max(0.0) * TITLE_WEIGHT as f64 * mean_title;
        let mean_length = ((all_tokens as f64 - repeated_titles) / n_articles).max(1.0);
        Ok(Some(StoryScorer {
            words,
            all: fields.all,
            title: fields.title,
            mean_length: mean_length as Score,
        }))
    }

    /// An empty tally of `n_stories` stories.
    pub fn tally(&self, n_stories: usize) -> StoryTally {
        let n_words = self.words.len();
        StoryTally {
            passages: vec![0; n_stories],
            length: vec![0; n_stories],
            longest: vec![0; n_stories],
            title_length: vec![0; n_stories],
            tf: vec![0; n_stories * n_words],
            most: vec![0; n_stories * n_words],
            title_tf: vec![0; n_stories * n_words],
        }
    }

    /// Adds passages of one segment, `(doc, story)` in document order, to their stories.
    pub fn add_segment(
        &self,
        segment: &SegmentReader,
        passages: &[(DocId, u32)],
        tally: &mut StoryTally,
    ) -> tantivy::Result<()> {
        if passages.is_empty() {
            return Ok(());
        }
        let all_norms = segment.get_fieldnorms_reader(self.all)?;
        let title_norms = segment.get_fieldnorms_reader(self.title)?;
        for &(doc, story) in passages {
            let story = story as usize;
            let length = all_norms.fieldnorm(doc);
            tally.passages[story] += 1;
            tally.length[story] += u64::from(length);
            tally.longest[story] = tally.longest[story].max(length);
            tally.title_length[story] = title_norms.fieldnorm(doc);
        }
        let n_words = self.words.len();
        let all_index = segment.inverted_index(self.all)?;
        let title_index = segment.inverted_index(self.title)?;
        for (word_idx, word) in self.words.iter().enumerate() {
            for (index, term, in_title) in [
                (&all_index, &word.all, false),
                (&title_index, &word.title, true),
            ] {
                let Some(mut postings) = index.read_postings(term, IndexRecordOption::WithFreqs)?
                else {
                    continue;
                };
                for &(doc, story) in passages {
                    let mut at = postings.doc();
                    if at < doc {
                        at = postings.seek(doc);
                    }
                    if at == TERMINATED {
                        break;
                    }
                    if at != doc {
                        continue;
                    }
                    let slot = story as usize * n_words + word_idx;
                    let tf = postings.term_freq();
                    if in_title {
                        tally.title_tf[slot] = tf;
                    } else {
                        tally.tf[slot] += tf;
                        tally.most[slot] = tally.most[slot].max(tf);
                    }
                }
            }
        }
        Ok(())
    }

    /// Each story's BM25, -inf for a story without any of the words. A story's frequencies
    /// and length are its passages' sums less the title repeated by every passage but one,
    /// and never less than those of its richest passage.
    pub fn scores(&self, tally: &StoryTally) -> Vec<Score> {
        let n_words = self.words.len();
        let repeats = TITLE_WEIGHT as u64;
        (0..tally.passages.len())
            .map(|story| {
                let extra_titles = u64::from(tally.passages[story].saturating_sub(1)) * repeats;
                let length = tally.length[story]
                    .saturating_sub(extra_titles * u64::from(tally.title_length[story]))
                    .max(u64::from(tally.longest[story])) as Score;
                let norm = K1 * (1.0 - B + B * length / self.mean_length);
                let mut score = Score::NEG_INFINITY;
                for (word_idx, word) in self.words.iter().enumerate() {
                    let slot = story * n_words + word_idx;
                    let tf = u64::from(tally.tf[slot])
                        .saturating_sub(extra_titles * u64::from(tally.title_tf[slot]))
                        .max(u64::from(tally.most[slot])) as Score;
                    if tf > 0.0 {
                        score = score.max(0.0)
                            + word.repeats as Score * word.idf * tf * (K1 + 1.0) / (tf + norm);
                    }
                }
                score
            })
            .collect()
    }
}

/// How many articles the index holds: its live lead passages (ordinal 0), one an article in
/// whichever segment it landed. Read from the postings, as a term's document frequency counts
/// deleted documents too.
pub fn count_articles(searcher: &tantivy::Searcher, fields: &Fields) -> tantivy::Result<u64> {
    let lead = Term::from_field_u64(fields.ordinal, 0);
    let mut n_articles = 0u64;
    for segment in searcher.segment_readers() {
        let inverted_index = segment.inverted_index(fields.ordinal)?;
        let Some(mut postings) = inverted_index.read_postings(&lead, IndexRecordOption::Basic)?
        else {
            continue;
        };
        match segment.alive_bitset() {
            None => n_articles += u64::from(postings.doc_freq()),
            Some(alive) => {
                while postings.doc() != TERMINATED {
                    n_articles += u64::from(alive.is_alive(postings.doc()));
                    postings.advance();
                }
            }
        }
    }
    Ok(n_articles)
}

/// The live passages of the articles `ids` in one segment, `(doc, position in ids)` in
/// document order: every passage, matching or not, read from the article id's postings.
pub fn article_passages<S: AsRef<str>>(
    segment: &SegmentReader,
    article_field: Field,
    ids: &[S],
) -> std::io::Result<Vec<(DocId, u32)>> {
    let inverted_index = segment
        .inverted_index(article_field)
        .map_err(std::io::Error::other)?;
    let mut passages = Vec::new();
    for (idx, article_id) in ids.iter().enumerate() {
        let term = Term::from_field_text(article_field, article_id.as_ref());
        let Some(mut postings) = inverted_index.read_postings(&term, IndexRecordOption::Basic)?
        else {
            continue;
        };
        while postings.doc() != TERMINATED {
            if !segment.is_deleted(postings.doc()) {
                passages.push((postings.doc(), idx as u32));
            }
            postings.advance();
        }
    }
    passages.sort_unstable();
    Ok(passages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::FieldBoosts;
    use crate::search::tests::{article, searcher_with};

    #[test]
    fn a_story_counts_its_passages_words_and_its_title_once() {
        let searcher = searcher_with(&[
            (
                article("x", (2024, 1, 1), "Turbine news"),
                vec![
                    (None, "The turbine stopped."),
                    (None, "A turbine restarted later."),
                    (None, "Another turbine was ordered."),
                ],
            ),
            (
                article("y", (2024, 1, 2), "Other news"),
                vec![(None, "Nothing of the kind here.")],
            ),
            (
                article("z", (2024, 1, 3), "Gone"),
                vec![(None, "A turbine story removed later.")],
            ),
        ]);
        let mut writer: tantivy::IndexWriter = searcher.handle.index.writer(15_000_000).unwrap();
        let fields = searcher.handle.fields;
        writer.delete_term(Term::from_field_text(fields.article_id, "z"));
        writer.commit().unwrap();
        searcher.reload().unwrap();
        let tantivy_searcher = searcher.reader.searcher();
        assert_eq!(count_articles(&tantivy_searcher, &fields).unwrap(), 2);

        let compiled = searcher
            .compile("turbine", false, FieldBoosts::default())
            .unwrap();
        let mut terms = Vec::new();
        compiled
            .query
            .query_terms(&mut |term, _| terms.push(term.clone()));
        let scorer = StoryScorer::new(&tantivy_searcher, &fields, terms)
            .unwrap()
            .expect("a word in `all`");
        assert_eq!(scorer.words.len(), 1);
        let ids = ["x", "y"];
        let mut tally = scorer.tally(ids.len());
        for segment in tantivy_searcher.segment_readers() {
            let passages = article_passages(segment, fields.article_id, &ids).unwrap();
            scorer.add_segment(segment, &passages, &mut tally).unwrap();
        }
        assert_eq!(tally.passages, [3, 1]);
        // Each passage of `x` holds the title twice and the word once: 9 in all, of which the
        // story keeps the title once (2) and the three mentions.
        assert_eq!((tally.tf[0], tally.title_tf[0], tally.most[0]), (9, 1, 3));
        let scores = scorer.scores(&tally);
        assert!(scores[0].is_finite() && scores[0] > 0.0);
        assert_eq!(scores[1], Score::NEG_INFINITY, "no word of the query");
        let norm =
            K1 * (1.0 - B + B * ((tally.length[0] - 2 * 2 * 2) as Score) / scorer.mean_length);
        let expected = scorer.words[0].idf * 5.0 * (K1 + 1.0) / (5.0 + norm);
        assert!(
            (scores[0] - expected).abs() < 1e-4,
            "{scores:?} vs {expected}"
        );
    }

    #[test]
    fn specs_parse_and_print_back() {
        for (spec, best, rest, article, printed) in [
            ("best", 1.0, 0.0, 0.0, "best"),
            ("sum", 1.0, 1.0, 0.0, "best+rest"),
            ("best+0.3rest", 1.0, 0.3, 0.0, "best+0.3rest"),
            ("article", 0.0, 0.0, 1.0, "article"),
            ("best + 0.5*article", 1.0, 0.0, 0.5, "best+0.5article"),
        ] {
            let score: StoryScore = spec.parse().unwrap();
            assert_eq!(
                score,
                StoryScore {
                    best,
                    rest,
                    article
                },
                "{spec}"
            );
            assert_eq!(score.to_string(), printed);
            assert_eq!(printed.parse::<StoryScore>().unwrap(), score);
        }
        for bad in ["", "worst", "best+x", "-1best", "0best", "best+"] {
            assert!(bad.parse::<StoryScore>().is_err(), "{bad}");
        }
        assert_eq!(StoryScore::default().to_string(), "best+article");
    }
}
