//! Evaluation measures: one query's ranked document ids + its judgements -> `Measures`, with
//! trec_eval's definitions (`map`, `ndcg_cut_10`, `P_10`, `recall_100`), and their mean over
//! the judged queries. Pure arithmetic; it does not rank, and it does not reorder the ranking
//! it is handed (trec_eval's own tie order is applied where the ranking is made).

use std::collections::HashMap;

use serde::Serialize;

/// The four measures of one query, or their mean over queries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Measures {
    pub map: f64,
    #[serde(rename = "ndcg@10")]
    pub ndcg_10: f64,
    #[serde(rename = "p@10")]
    pub p_10: f64,
    #[serde(rename = "recall@100")]
    pub recall_100: f64,
}

/// Cut-offs of the measures.
pub const NDCG_CUTOFF: usize = 10;
pub const PRECISION_CUTOFF: usize = 10;
pub const RECALL_CUTOFF: usize = 100;

/// Number of relevant (grade above 0) documents among the judgements of one query.
pub fn n_relevant(judgements: &HashMap<String, i32>) -> usize {
    judgements.values().filter(|&&grade| grade > 0).count()
}

/// The measures of one query; `None` when it has no relevant document (trec_eval skips such
/// queries). `ranking` is best first; documents without a judgement count as not relevant.
pub fn measure_query(ranking: &[&str], judgements: &HashMap<String, i32>) -> Option<Measures> {
    let n_rel = n_relevant(judgements);
    if n_rel == 0 {
        return None;
    }
    let grade_of = |doc: &str| judgements.get(doc).copied().unwrap_or(0).max(0);

    let mut n_rel_seen = 0usize;
    let mut precision_sum = 0.0;
    let mut rel_at_precision_cut = 0usize;
    let mut rel_at_recall_cut = 0usize;
    let mut dcg = 0.0;
    for (rank_idx, doc) in ranking.iter().enumerate() {
        let grade = grade_of(doc);
        if grade > 0 {
            n_rel_seen += 1;
            precision_sum += n_rel_seen as f64 / (rank_idx + 1) as f64;
            if rank_idx < PRECISION_CUTOFF {
                rel_at_precision_cut += 1;
            }
            if rank_idx < RECALL_CUTOFF {
                rel_at_recall_cut += 1;
            }
            if rank_idx < NDCG_CUTOFF {
                dcg += f64::from(grade) / discount(rank_idx);
            }
        }
    }

    // The ideal ranking puts every judged relevant document first, highest grade first.
    let mut grades: Vec<i32> = judgements.values().copied().filter(|&g| g > 0).collect();
    grades.sort_unstable_by(|a, b| b.cmp(a));
    let ideal_dcg: f64 = grades
        .iter()
        .take(NDCG_CUTOFF)
        .enumerate()
        .map(|(rank_idx, &grade)| f64::from(grade) / discount(rank_idx))
        .sum();

    Some(Measures {
        map: precision_sum / n_rel as f64,
        ndcg_10: dcg / ideal_dcg,
        p_10: rel_at_precision_cut as f64 / PRECISION_CUTOFF as f64,
        recall_100: rel_at_recall_cut as f64 / n_rel as f64,
    })
}

/// log2(rank + 1) for a 1-based rank, from a 0-based index.
fn discount(rank_idx: usize) -> f64 {
    ((rank_idx + 2) as f64).log2()
}

/// The mean of each measure (all zero for no queries).
pub fn mean(per_query: &[Measures]) -> Measures {
    if per_query.is_empty() {
        return Measures::default();
    }
    let n = per_query.len() as f64;
    let sum = |get: fn(&Measures) -> f64| per_query.iter().map(get).sum::<f64>() / n;
    Measures {
        map: sum(|m| m.map),
        ndcg_10: sum(|m| m.ndcg_10),
        p_10: sum(|m| m.p_10),
        recall_100: sum(|m| m.recall_100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgements(pairs: &[(&str, i32)]) -> HashMap<String, i32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    #[test]
    fn binary_judgements_by_hand() {
        // Relevant: a, c, e (e never retrieved); x is judged not relevant, z unjudged.
        let qrels = judgements(&[("a", 1), ("c", 1), ("e", 1), ("x", 0)]);
        let m = measure_query(&["a", "x", "c", "z"], &qrels).unwrap();
        // AP = (1/1 + 2/3) / 3
        close(m.map, (1.0 + 2.0 / 3.0) / 3.0);
        close(m.p_10, 0.2);
        close(m.recall_100, 2.0 / 3.0);
        // DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3) + 1/log2(4)
        close(m.ndcg_10, 1.5 / (1.0 + 1.0 / 3f64.log2() + 0.5));
    }

    #[test]
    fn graded_judgements_use_the_grade_as_gain() {
        let qrels = judgements(&[("a", 1), ("b", 3), ("c", -1)]);
        let m = measure_query(&["c", "a", "b"], &qrels).unwrap();
        // Negative grades gain nothing and are not relevant.
        // DCG = 0 + 1/log2(3) + 3/log2(4); IDCG = 3/1 + 1/log2(3)
        close(
            m.ndcg_10,
            (1.0 / 3f64.log2() + 1.5) / (3.0 + 1.0 / 3f64.log2()),
        );
        // AP = (1/2 + 2/3) / 2
        close(m.map, (0.5 + 2.0 / 3.0) / 2.0);
    }

    #[test]
    fn cut_offs_count_only_the_top_ranks() {
        let ids: Vec<String> = (0..150).map(|i| format!("d{i}")).collect();
        let ranking: Vec<&str> = ids.iter().map(String::as_str).collect();
        // Relevant at ranks 1, 11 and 101 (0-based 0, 10, 100) and one never retrieved.
        let qrels = judgements(&[("d0", 1), ("d10", 1), ("d100", 1), ("gone", 1)]);
        let m = measure_query(&ranking, &qrels).unwrap();
        close(m.p_10, 0.1);
        close(m.recall_100, 0.5);
        close(m.map, (1.0 + 2.0 / 11.0 + 3.0 / 101.0) / 4.0);
        close(
            m.ndcg_10,
            1.0 / (1.0 + 1.0 / 3f64.log2() + 0.5 + 1.0 / 5f64.log2()),
        );
    }

    #[test]
    fn a_query_without_relevant_documents_is_skipped() {
        assert!(measure_query(&["a"], &judgements(&[("a", 0)])).is_none());
        let empty = measure_query(&[], &judgements(&[("a", 2)])).unwrap();
        assert_eq!(empty, Measures::default());
    }

    #[test]
    fn mean_averages_each_measure() {
        let m = mean(&[
            Measures {
                map: 1.0,
                ndcg_10: 0.5,
                p_10: 0.2,
                recall_100: 1.0,
            },
            Measures::default(),
        ]);
        close(m.map, 0.5);
        close(m.ndcg_10, 0.25);
        close(m.p_10, 0.1);
        close(m.recall_100, 0.5);
        assert_eq!(mean(&[]), Measures::default());
    }
}
