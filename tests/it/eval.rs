//! `newsdex eval` on the hand-made collection in tests/fixtures/ir: the measures in `--json`,
//! the TREC run file, and the index it can leave behind for `newsdex search`.
//!
//! The fixture is built so that every ranking is known without running anything: each query's
//! words occur only in the documents named below, and d7 and d8 are identical.
//! q1 [d1]            relevant d1          AP 1    nDCG 1
//! q2 [d2, d3]        d2 grade 1, d3 grade 2: AP 1, nDCG (1 + 2/log2 3) / (2 + 1/log2 3)
//! q3 only stop words relevant d5          all 0 (retrieves nothing)
//! q4 [d6] (its match is in the last of several passages)  AP 1  nDCG 1
//! q5 [d8, d7] (a tie, broken by id descending as trec_eval does) relevant d7: AP 1/2,
//!    nDCG 1/log2 3
//! q6 judged, but nothing relevant: left out of the averages.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ir")
        .join(name)
}

/// Runs newsdex (through the harness) in a fresh temp dir; paths are absolute.
fn newsdex(args: &[&str]) -> Output {
    crate::TestEnv::empty().run(args)
}

fn eval_args(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["eval".to_string()];
    for (flag, file) in [
        ("--docs", "docs.jsonl"),
        ("--queries", "queries.tsv"),
        ("--qrels", "qrels.trec"),
    ] {
        args.push(flag.into());
        args.push(fixture(file).to_string_lossy().into_owned());
    }
    args.extend(extra.iter().map(|arg| arg.to_string()));
    args
}

fn run_eval(extra: &[&str]) -> Output {
    let args = eval_args(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    newsdex(&args)
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "newsdex failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn assert_close(json: &Value, key: &str, expected: f64) {
    let actual = json[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number `{key}` in {json}"));
    assert!(
        (actual - expected).abs() < 1e-6,
        "{key}: expected {expected}, got {actual}"
    );
}

#[test]
fn json_measures_match_the_hand_computed_values() {
    let json: Value = serde_json::from_str(stdout(&run_eval(&["--json"])).trim()).unwrap();
    let log2_3 = 3f64.log2();
    let ndcg_q2 = (1.0 + 2.0 / log2_3) / (2.0 + 1.0 / log2_3);
    let ndcg_q5 = 1.0 / log2_3;
    assert_close(&json, "map", (1.0 + 1.0 + 0.0 + 1.0 + 0.5) / 5.0);
    assert_close(
        &json,
        "ndcg@10",
        (1.0 + ndcg_q2 + 0.0 + 1.0 + ndcg_q5) / 5.0,
    );
    assert_close(&json, "p@10", (0.1 + 0.2 + 0.0 + 0.1 + 0.1) / 5.0);
    assert_close(&json, "recall@100", 4.0 / 5.0);
    assert_eq!(json["queries"], 5);
    assert_eq!(json["queries_without_results"], 1);
    assert_eq!(json["documents"], 8);
    // d6 is long enough to be split, so there are more passages than documents.
    assert!(json["passages"].as_u64().unwrap() > 8);
}

#[test]
fn run_file_is_trec_format_ranked_and_tie_broken_like_trec_eval() {
    let dir = tempfile::tempdir().unwrap();
    let run_path = dir.path().join("fixture.run");
    stdout(&run_eval(&["--run", run_path.to_str().unwrap()]));
    let run = std::fs::read_to_string(&run_path).unwrap();
    let rows: Vec<Vec<&str>> = run.lines().map(|l| l.split(' ').collect()).collect();
    for row in &rows {
        assert_eq!(row.len(), 6, "{row:?}");
        assert_eq!(row[1], "Q0");
        assert_eq!(row[5], "newsdex");
        assert!(row[4].parse::<f64>().unwrap() > 0.0);
    }
    let ranking = |qid: &str| -> Vec<(String, usize, f64)> {
        rows.iter()
            .filter(|row| row[0] == qid)
            .map(|row| {
                (
                    row[2].to_string(),
                    row[3].parse().unwrap(),
                    row[4].parse().unwrap(),
                )
            })
            .collect()
    };
    let ids = |qid: &str| -> Vec<String> { ranking(qid).into_iter().map(|r| r.0).collect() };
    assert_eq!(ids("q1"), ["d1"]);
    assert_eq!(ids("q2"), ["d2", "d3"]);
    assert!(
        ids("q3").is_empty(),
        "a query of stop words retrieves nothing"
    );
    assert_eq!(
        ids("q4"),
        ["d6"],
        "a document appears once, by its best passage"
    );
    assert_eq!(ids("q5"), ["d8", "d7"]);
    let q5 = ranking("q5");
    assert_eq!(q5[0].2, q5[1].2, "d7 and d8 tie");
    assert_eq!((q5[0].1, q5[1].1), (1, 2));
    let q2 = ranking("q2");
    assert!(q2[0].2 > q2[1].2);
    // Queries come in the order of the queries file.
    let order: Vec<&str> = rows.iter().map(|row| row[0]).collect();
    assert_eq!(order, ["q1", "q2", "q2", "q4", "q5", "q5", "q6"]);
}

#[test]
fn text_report_names_the_measures() {
    let text = stdout(&run_eval(&[]));
    assert!(text.contains("8 documents"), "{text}");
    assert!(text.contains("MAP         0.7000"), "{text}");
    assert!(text.contains("P@10        0.1000"), "{text}");
    assert!(text.contains("Recall@100  0.8000"), "{text}");
}

#[test]
fn the_eval_index_can_be_kept_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("ir-index");
    let index = index.to_str().unwrap();
    stdout(&run_eval(&["--index", index, "--json"]));
    // Twice: the second run replaces the first index instead of adding to it.
    stdout(&run_eval(&["--index", index, "--json"]));
    let found = stdout(&newsdex(&["search", "volcano", "--index", index, "--json"]));
    let hits: Vec<Value> = found
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["article_id"], "d6");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let output = newsdex(&[
        "eval",
        "--docs",
        "/nonexistent/docs.jsonl",
        "--queries",
        "q.tsv",
        "--qrels",
        "r.trec",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/nonexistent/docs.jsonl: cannot read the file"),
        "{stderr}"
    );
}
