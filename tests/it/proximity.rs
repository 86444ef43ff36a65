//! Proximity: of two passages with equal BM25 (same words, same counts, same length), the one
//! where the query's words stand together ranks first with `--proximity` on; with it off the
//! order is BM25's (a tie, broken by article id).

use crate::{TestEnv, stderr};

/// Same length, same counts of `harbour` and `crane`; in `b_near` they are adjacent, in
/// `a_far` eleven words apart. Different filler words, so that neither is a copy of the other.
const NEAR: &str = "---\ntitle: Dock notes one\n---\n\nWorkers said the harbour crane broke on \
    Monday while ships waited outside for calm weather and tugs.\n";
const FAR: &str = "---\ntitle: Dock notes two\n---\n\nWorkers said the harbour stayed busy on \
    Tuesday while boats queued outside for fair winds and the crane.\n";

fn built() -> TestEnv {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::write(env.corpus().join("b_near.md"), NEAR).unwrap();
    std::fs::write(env.corpus().join("a_far.md"), FAR).unwrap();
    let output = env.build();
    assert!(output.status.success(), "build failed: {}", stderr(&output));
    env
}

fn ranked(env: &TestEnv, proximity: &str) -> Vec<(String, f64)> {
    env.search_json(
        "harbour crane",
        &["--proximity", proximity, "--duplicates", "show"],
    )
    .iter()
    .map(|hit| {
        (
            hit["article_id"].as_str().unwrap().to_string(),
            hit["score"].as_f64().unwrap(),
        )
    })
    .collect()
}

#[test]
fn adjacent_words_rank_above_scattered_ones_only_with_proximity_on() {
    let env = built();
    let off = ranked(&env, "0");
    assert_eq!(off.len(), 2, "{off:?}");
    assert_eq!(off[0].1, off[1].1, "equal BM25: {off:?}");
    assert!(off[0].0.contains("a_far"), "BM25's tie order: {off:?}");

    let on = ranked(&env, "1");
    assert!(on[0].0.contains("b_near"), "{on:?}");
    assert!(on[0].1 > on[1].1, "{on:?}");
    // The scattered words are not close enough for a bonus: the same score as without.
    assert_eq!(on[1].1, off[1].1, "{on:?}");
}
