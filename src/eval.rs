//! Evaluation stage: an IR test collection (docs, queries, judgements) -> a fresh index built
//! through newsdex's own pipeline (`Article` -> passages -> entities -> documents) -> one ranked
//! list of documents per query (a document scores as its best passage, or as `StoryScore`
//! combines its passages and its whole story) -> trec_eval measures
//! and a TREC run. It never touches the user's index unless given its directory, does not
//! tune anything per collection, and does not print.

pub mod collection;
pub mod metrics;
pub mod query;
pub mod story;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::Query;
use tantivy::{DocId, IndexReader, ReloadPolicy, Score};

use crate::error::{IndexError, IngestError};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, IndexHandle, passage_document};
use crate::passage::split_passages;
use crate::schema::field_name;
use crate::search::FieldBoosts;
use crate::search::proximity::{ProximityTerms, RERANK_DEPTH};
use crate::search::story::StoryScorer;

use self::collection::{Qrels, TestDoc, TestQuery, doc_to_article};
use self::metrics::{Measures, mean, measure_query, n_relevant};
pub use self::story::StoryScore;
use self::story::{NO_DOC, PassageScoreCollector, PassageScores};

/// Documents ranked per query, as in TREC runs.
pub const RUN_DEPTH: usize = 1000;
/// The run tag written in the last column of a TREC run.
pub const RUN_TAG: &str = "newsdex";
/// Memory budget of the evaluation index writer, in megabytes.
const EVAL_MEMORY_MB: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Input(#[from] IngestError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{path}: {reason}", path = .path.display())]
    Collection { path: PathBuf, reason: String },
}

/// The three files of a test collection.
#[derive(Debug, Clone)]
pub struct CollectionPaths {
    pub docs: PathBuf,
    pub queries: PathBuf,
    pub qrels: PathBuf,
}

/// A test collection read into memory.
#[derive(Debug, Clone)]
pub struct TestCollection {
    pub docs_path: PathBuf,
    pub docs: Vec<TestDoc>,
    pub queries: Vec<TestQuery>,
    pub qrels: Qrels,
}

impl TestCollection {
    pub fn read(paths: &CollectionPaths) -> Result<TestCollection, EvalError> {
        let docs = collection::read_docs(&paths.docs)?;
        if docs.is_empty() {
            return Err(EvalError::Collection {
                path: paths.docs.clone(),
                reason: "no documents".into(),
            });
        }
        let queries = collection::read_queries(&paths.queries)?;
        let qrels = collection::read_qrels(&paths.qrels)?;
        if !qrels.values().any(|judged| n_relevant(judged) > 0) {
            return Err(EvalError::Collection {
                path: paths.qrels.clone(),
                reason: "no query has a relevant document".into(),
            });
        }
        Ok(TestCollection {
            docs_path: paths.docs.clone(),
            docs,
            queries,
            qrels,
        })
    }
}

/// One ranked document of a query's run.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedDoc {
    pub doc_id: String,
    pub score: Score,
}

/// The ranking of one query, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRun {
    pub query_id: String,
    pub ranking: Vec<RankedDoc>,
}

/// Figures of an evaluation; serialised as the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct EvalSummary {
    #[serde(flatten)]
    pub measures: Measures,
    /// Queries averaged over: those with at least one relevant judgement.
    pub queries: usize,
    /// Of those, the queries that retrieved nothing (they count as zero).
    pub queries_without_results: usize,
    pub documents: usize,
    pub passages: usize,
    pub index_seconds: f64,
    pub search_seconds: f64,
}

/// Everything an evaluation found.
#[derive(Debug, Clone)]
pub struct EvalReport {
    pub summary: EvalSummary,
    /// Measures of each averaged query, by query id.
    pub per_query: Vec<(String, Measures)>,
    pub runs: Vec<QueryRun>,
}

/// An index of a test collection's passages, with the table that maps each passage back to its
/// document.
pub struct EvalIndex {
    handle: IndexHandle,
    reader: IndexReader,
    doc_ids: Vec<String>,
    /// Segment ordinal -> tantivy doc id -> position in `doc_ids`.
    doc_of_passage: Arc<Vec<Arc<[u32]>>>,
    pub n_passages: usize,
}

impl EvalIndex {
    /// Indexes the documents as articles, one tantivy document a passage, in RAM or (replacing
    /// what was there) in `dir`.
    pub fn build(
        docs: &[TestDoc],
        source: &Path,
        dir: Option<&Path>,
    ) -> Result<EvalIndex, IndexError> {
        let handle = match dir {
            None => index::create_in_ram(),
            Some(dir) => index::open_or_create(dir, true)?,
        };
        let tantivy_error = |source| IndexError::Tantivy {
            path: handle.path.clone(),
            source,
        };
        let extractor = EntityExtractor::builtin();
        let documents: Vec<tantivy::TantivyDocument> = docs
            .par_iter()
            .flat_map_iter(|doc| {
                let article = doc_to_article(doc, source);
                let mut passages = split_passages(&article);
                extractor.annotate(&article, &mut passages);
                passages
                    .iter()
                    .map(|passage| passage_document(&handle.fields, &article, passage))
                    .collect::<Vec<_>>()
            })
            .collect();
        let n_passages = documents.len();
        let mut writer = index::writer(&handle, EVAL_MEMORY_MB)?;
        writer.delete_all_documents().map_err(tantivy_error)?;
        for document in documents {
            writer.add_document(document).map_err(tantivy_error)?;
        }
        writer.commit().map_err(tantivy_error)?;
        writer.wait_merging_threads().map_err(tantivy_error)?;
        let reader: IndexReader = handle
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_error)?;
        let doc_ids: Vec<String> = docs.iter().map(|doc| doc.id.clone()).collect();
        let doc_of_passage = passage_table(&handle, &reader, &doc_ids)?;
        Ok(EvalIndex {
            handle,
            reader,
            doc_ids,
            doc_of_passage: Arc::new(doc_of_passage),
            n_passages,
        })
    }

    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// The `depth` best documents for a query, each scored by its best passage; ties in the
    /// order trec_eval uses (document id, descending), so that measures computed here and by
    /// trec_eval agree.
    pub fn rank(&self, query: &dyn Query, depth: usize) -> Result<Vec<RankedDoc>, IndexError> {
        let scores = self.passage_scores(query, None)?;
        Ok(self.ranked(scores.combine(StoryScore::BEST, None), depth))
    }

    /// The best score and the sum of the matching passages of every document, with the best
    /// `proximity::RERANK_DEPTH` passages rescored by the closeness of the query's words, as
    /// `search` rescores them, when given the words and a weight.
    pub fn passage_scores(
        &self,
        query: &dyn Query,
        proximity: Option<(&ProximityTerms, f32)>,
    ) -> Result<PassageScores, IndexError> {
        let collector = PassageScoreCollector {
            doc_of_passage: Arc::clone(&self.doc_of_passage),
            n_docs: self.doc_ids.len(),
        };
        let tantivy_error = |source| IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        };
        let searcher = self.reader.searcher();
        let mut scores = searcher.search(query, &collector).map_err(tantivy_error)?;
        if let Some((terms, weight)) = proximity {
            let top = searcher
                .search(query, &TopDocs::with_limit(RERANK_DEPTH).order_by_score())
                .map_err(tantivy_error)?;
            let addresses: Vec<_> = top.iter().map(|&(_, address)| address).collect();
            let bonuses = terms
                .bonuses(&searcher, &addresses)
                .map_err(tantivy_error)?;
            for ((score, address), bonus) in top.into_iter().zip(bonuses) {
                let doc_idx = self.doc_of_passage[address.segment_ord as usize]
                    .get(address.doc_id as usize)
                    .copied()
                    .unwrap_or(NO_DOC);
                scores.rescore(doc_idx, score, score + weight * bonus);
            }
        }
        Ok(scores)
    }

    /// `passage_scores` for the query made of `text`, rescored with the proximity of its words
    /// when `proximity` (the weight) is above 0.
    pub fn scores(
        &self,
        query: &dyn Query,
        text: &str,
        proximity: f32,
    ) -> Result<PassageScores, IndexError> {
        let terms = if proximity > 0.0 {
            let all = self.handle.fields.all;
            let words = query::query_words(text)
                .into_iter()
                .map(|word| tantivy::Term::from_field_text(all, &word));
            ProximityTerms::new(&self.reader.searcher(), all, words).map_err(|source| {
                IndexError::Tantivy {
                    path: self.handle.path.clone(),
                    source,
                }
            })?
        } else {
            None
        };
        self.passage_scores(query, terms.as_ref().map(|terms| (terms, proximity)))
    }

    /// The BM25 of each whole story that has a matching passage (-inf for the others), read
    /// from its passages' postings as `search` reads it (`StoryScorer`), plus the proximity
    /// bonus of its closest-worded rescored passage.
    pub fn story_scores(
        &self,
        query: &dyn Query,
        passages: &PassageScores,
    ) -> Result<Vec<Score>, IndexError> {
        let tantivy_error = |source| IndexError::Tantivy {
            path: self.handle.path.clone(),
            source,
        };
        let searcher = self.reader.searcher();
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term.clone()));
        let Some(scorer) =
            StoryScorer::new(&searcher, &self.handle.fields, terms).map_err(tantivy_error)?
        else {
            return Ok(vec![Score::NEG_INFINITY; self.doc_ids.len()]);
        };
        let mut tally = scorer.tally(self.doc_ids.len());
        for (segment_ord, doc_of_passage) in self.doc_of_passage.iter().enumerate() {
            let matched: Vec<(DocId, u32)> = doc_of_passage
                .iter()
                .enumerate()
                .filter(|&(_, &doc_idx)| {
                    passages
                        .best
                        .get(doc_idx as usize)
                        .is_some_and(|best| best.is_finite())
                })
                .map(|(doc, &doc_idx)| (doc as DocId, doc_idx))
                .collect();
            let segment = searcher.segment_reader(segment_ord as u32);
            scorer
                .add_segment(segment, &matched, &mut tally)
                .map_err(tantivy_error)?;
        }
        let mut scores = scorer.scores(&tally);
        // The story is as close-worded as its closest rescored passage.
        for (score, bonus) in scores.iter_mut().zip(&passages.proximity) {
            if score.is_finite() {
                *score += bonus;
            }
        }
        Ok(scores)
    }

    /// The `depth` best of the documents' scores (-inf: not matched), best first, ties by
    /// document id descending.
    pub fn ranked(&self, scores: Vec<Score>, depth: usize) -> Vec<RankedDoc> {
        let mut ranked: Vec<(usize, Score)> = scores
            .into_iter()
            .enumerate()
            .filter(|(_, score)| score.is_finite())
            .collect();
        ranked.sort_by(|(a_idx, a_score), (b_idx, b_score)| {
            b_score
                .total_cmp(a_score)
                .then_with(|| self.doc_ids[*b_idx].cmp(&self.doc_ids[*a_idx]))
        });
        ranked.truncate(depth);
        ranked
            .into_iter()
            .map(|(doc_idx, score)| RankedDoc {
                doc_id: self.doc_ids[doc_idx].clone(),
                score,
            })
            .collect()
    }
}

/// For every segment, the document (position in `doc_ids`) of each passage, read from the
/// article id column.
fn passage_table(
    handle: &IndexHandle,
    reader: &IndexReader,
    doc_ids: &[String],
) -> Result<Vec<Arc<[u32]>>, IndexError> {
    let tantivy_error = |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    };
    let position: std::collections::HashMap<&str, u32> = doc_ids
        .iter()
        .enumerate()
        .map(|(idx, id)| (id.as_str(), idx as u32))
        .collect();
    let schema = handle.index.schema();
    let column_name = field_name(&schema, handle.fields.article_id);
    let searcher = reader.searcher();
    let mut table = Vec::with_capacity(searcher.segment_readers().len());
    let mut id = String::new();
    for segment in searcher.segment_readers() {
        let column = segment
            .fast_fields()
            .str(column_name)
            .map_err(tantivy_error)?;
        let mut doc_of_passage = vec![NO_DOC; segment.max_doc() as usize];
        if let Some(column) = column {
            for (passage_doc, slot) in doc_of_passage.iter_mut().enumerate() {
                let Some(ord) = column.term_ords(passage_doc as DocId).next() else {
                    continue;
                };
                id.clear();
                column
                    .ord_to_str(ord, &mut id)
                    .map_err(|source| IndexError::Io {
                        path: handle.path.clone(),
                        source,
                    })?;
                if let Some(&doc_idx) = position.get(id.as_str()) {
                    *slot = doc_idx;
                }
            }
        }
        table.push(Arc::from(doc_of_passage));
    }
    Ok(table)
}

/// Indexes the collection, runs every query and measures the runs against the judgements.
pub fn evaluate(
    collection: &TestCollection,
    index_dir: Option<&Path>,
    boosts: FieldBoosts,
    proximity: f32,
    story: StoryScore,
) -> Result<EvalReport, EvalError> {
    let started = Instant::now();
    let eval_index = EvalIndex::build(&collection.docs, &collection.docs_path, index_dir)?;
    let index_time = started.elapsed();

    let search_started = Instant::now();
    let fields = eval_index.handle().fields;
    let runs = collection
        .queries
        .iter()
        .map(|test_query| {
            let ranking = match query::bag_of_words_query(&fields, &test_query.text, boosts) {
                Some(query) => {
                    let text = &test_query.text;
                    let passages = eval_index.scores(&*query, text, proximity)?;
                    let article = if story.needs_article() {
                        Some(eval_index.story_scores(&*query, &passages)?)
                    } else {
                        None
                    };
                    eval_index.ranked(passages.combine(story, article.as_deref()), RUN_DEPTH)
                }
                None => Vec::new(),
            };
            Ok(QueryRun {
                query_id: test_query.id.clone(),
                ranking,
            })
        })
        .collect::<Result<Vec<QueryRun>, IndexError>>()?;
    let search_time = search_started.elapsed();

    let (per_query, n_without_results) = measure_runs(&runs, &collection.qrels);
    let all: Vec<Measures> = per_query.iter().map(|(_, m)| *m).collect();
    Ok(EvalReport {
        summary: EvalSummary {
            measures: mean(&all),
            queries: per_query.len(),
            queries_without_results: n_without_results,
            documents: collection.docs.len(),
            passages: eval_index.n_passages,
            index_seconds: seconds(index_time),
            search_seconds: seconds(search_time),
        },
        per_query,
        runs,
    })
}

fn seconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

/// The measures of every query that has a relevant judgement (a judged query that is missing
/// from the runs, or retrieved nothing, scores zero), and how many of them retrieved nothing.
pub fn measure_runs(runs: &[QueryRun], qrels: &Qrels) -> (Vec<(String, Measures)>, usize) {
    let by_query: std::collections::HashMap<&str, &QueryRun> = runs
        .iter()
        .map(|run| (run.query_id.as_str(), run))
        .collect();
    let mut per_query = Vec::new();
    let mut n_without_results = 0;
    for (query_id, judgements) in qrels {
        let ranking: Vec<&str> = by_query
            .get(query_id.as_str())
            .map(|run| run.ranking.iter().map(|d| d.doc_id.as_str()).collect())
            .unwrap_or_default();
        if let Some(measures) = measure_query(&ranking, judgements) {
            if ranking.is_empty() {
                n_without_results += 1;
            }
            per_query.push((query_id.clone(), measures));
        }
    }
    (per_query, n_without_results)
}

/// Writes runs in TREC format: `qid Q0 docid rank score tag`, ranks from 1. Scores are written
/// in their shortest exact form, so that a reader sees the same order and ties.
pub fn write_run<W: Write>(out: &mut W, runs: &[QueryRun], tag: &str) -> io::Result<()> {
    for run in runs {
        for (rank_idx, ranked) in run.ranking.iter().enumerate() {
            writeln!(
                out,
                "{} Q0 {} {} {} {}",
                run.query_id,
                ranked.doc_id,
                rank_idx + 1,
                ranked.score,
                tag
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn doc(id: &str, title: &str, text: &str) -> TestDoc {
        TestDoc {
            id: id.into(),
            title: title.into(),
            text: text.into(),
        }
    }

    fn collection() -> TestCollection {
        let long_text = format!(
            "{} The reactor cooling failed in the last sentence.",
            "Filler words about nothing in particular here. ".repeat(60)
        );
        let docs = vec![
            doc("d1", "Reactor cooling", "Water cools the reactor core."),
            doc("d2", "Gardening", "Roses need water and sun."),
            doc("d3", "Long report", &long_text),
            doc("d4", "Reactor physics", ""),
        ];
        let queries = vec![
            TestQuery {
                id: "q1".into(),
                text: "reactor cooling?".into(),
            },
            TestQuery {
                id: "q2".into(),
                text: "the (of)".into(),
            },
        ];
        let mut qrels = Qrels::new();
        qrels.insert(
            "q1".into(),
            HashMap::from([("d1".into(), 1), ("d3".into(), 1), ("d2".into(), 0)]),
        );
        qrels.insert("q2".into(), HashMap::from([("d2".into(), 1)]));
        qrels.insert("q3".into(), HashMap::from([("d2".into(), 0)]));
        TestCollection {
            docs_path: "docs.jsonl".into(),
            docs,
            queries,
            qrels,
        }
    }

    #[test]
    fn a_document_scores_by_its_best_passage_and_appears_once() {
        let collection = collection();
        let eval_index = EvalIndex::build(&collection.docs, Path::new("docs.jsonl"), None).unwrap();
        // d3's long text is split, so there are more passages than documents.
        assert!(eval_index.n_passages > collection.docs.len());
        let query = query::bag_of_words_query(
            &eval_index.handle().fields,
            "reactor cooling",
            FieldBoosts::default(),
        )
        .unwrap();
        let ranking = eval_index.rank(&*query, 10).unwrap();
        let ids: Vec<&str> = ranking.iter().map(|r| r.doc_id.as_str()).collect();
        assert_eq!(ids[0], "d1");
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ["d1", "d3", "d4"], "each matching document once");
        assert!(ranking.windows(2).all(|w| w[0].score >= w[1].score));
        // A document without text is found by its title.
        assert!(ids.contains(&"d4"));
        assert_eq!(eval_index.rank(&*query, 1).unwrap().len(), 1);
    }

    #[test]
    fn a_story_of_two_matching_passages_outranks_one_slightly_better_passage_only_when_summed() {
        let docs = vec![
            doc("one", "", "Reactor news."),
            doc(
                "two",
                "",
                "Reactor news from the plant.\n\nReactor news from the plant.",
            ),
            doc("other", "", "Gardening tips."),
        ];
        let eval_index = EvalIndex::build(&docs, Path::new("d"), None).unwrap();
        assert_eq!(eval_index.n_passages, 4, "a blank line starts a passage");
        let fields = eval_index.handle().fields;
        let query = query::bag_of_words_query(&fields, "reactor", FieldBoosts::default()).unwrap();
        let scores = eval_index.passage_scores(&*query, None).unwrap();
        let ids = |story: &str| -> Vec<String> {
            let combined = scores.combine(story.parse().unwrap(), None);
            eval_index
                .ranked(combined, 10)
                .into_iter()
                .map(|r| r.doc_id)
                .collect()
        };
        assert!(
            scores.best[0] > scores.best[1],
            "the short passage scores higher"
        );
        assert!((scores.sum[1] - 2.0 * scores.best[1]).abs() < 1e-5);
        assert_eq!(ids("best"), ["one", "two"]);
        assert_eq!(ids("sum"), ["two", "one"]);
        // The whole story sees both of its passages: `two` says it twice, `three` (the same
        // passage alone) once, so their best passages tie and their stories do not.
        let docs = [docs, vec![doc("three", "", "Reactor news from the plant.")]].concat();
        let eval_index = EvalIndex::build(&docs, Path::new("d"), None).unwrap();
        let scores = eval_index.passage_scores(&*query, None).unwrap();
        assert_eq!(scores.best[1], scores.best[3]);
        let article = eval_index.story_scores(&*query, &scores).unwrap();
        assert!(article[0].is_finite() && article[3].is_finite());
        assert_eq!(article[2], Score::NEG_INFINITY, "no word of the query");
        assert!(article[1] > article[3], "{article:?}");
        let combined = scores.combine(StoryScore::BEST_AND_ARTICLE, Some(&article));
        assert_eq!(combined[0], scores.best[0] + article[0]);
        assert!(combined[1] > combined[3]);
    }

    #[test]
    fn ties_are_broken_by_document_id_descending_as_trec_eval_does() {
        let docs = vec![
            doc("a", "", "same words"),
            doc("c", "", "same words"),
            doc("b", "", "same words"),
        ];
        let eval_index = EvalIndex::build(&docs, Path::new("d"), None).unwrap();
        let query =
            query::bag_of_words_query(&eval_index.handle().fields, "words", FieldBoosts::default())
                .unwrap();
        let ids: Vec<String> = eval_index
            .rank(&*query, 10)
            .unwrap()
            .into_iter()
            .map(|r| r.doc_id)
            .collect();
        assert_eq!(ids, ["c", "b", "a"]);
    }

    #[test]
    fn evaluate_averages_over_judged_queries_and_counts_empty_ones() {
        let with_stories = evaluate(
            &collection(),
            None,
            FieldBoosts::default(),
            0.75,
            StoryScore::default(),
        )
        .unwrap();
        assert_eq!(with_stories.summary.queries, 2);
        assert!(
            with_stories
                .per_query
                .iter()
                .any(|(id, m)| id == "q1" && m.map > 0.5)
        );
        let report = evaluate(
            &collection(),
            None,
            FieldBoosts::default(),
            0.0,
            StoryScore::BEST,
        )
        .unwrap();
        // q3 has no relevant document and is left out; q2 has only stop words.
        assert_eq!(report.summary.queries, 2);
        assert_eq!(report.summary.queries_without_results, 1);
        let q1 = report
            .per_query
            .iter()
            .find(|(id, _)| id == "q1")
            .unwrap()
            .1;
        let q2 = report
            .per_query
            .iter()
            .find(|(id, _)| id == "q2")
            .unwrap()
            .1;
        assert_eq!(q2, Measures::default());
        assert!(q1.map > 0.5);
        assert!((report.summary.measures.map - q1.map / 2.0).abs() < 1e-12);
    }

    #[test]
    fn run_lines_are_trec_format_with_ranks_from_one() {
        let runs = vec![QueryRun {
            query_id: "7".into(),
            ranking: vec![
                RankedDoc {
                    doc_id: "d1".into(),
                    score: 2.5,
                },
                RankedDoc {
                    doc_id: "d9".into(),
                    score: 0.125,
                },
            ],
        }];
        let mut out = Vec::new();
        write_run(&mut out, &runs, "tag").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "7 Q0 d1 1 2.5 tag\n7 Q0 d9 2 0.125 tag\n"
        );
    }
}
