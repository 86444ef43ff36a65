//! Acronyms defined in one article ("Balkan Arms Monitoring Group (BAMG)") label the articles
//! that only use the acronym, whatever the order of the files, through incremental builds, and
//! for `--entity` and `entity:` searches.

use std::path::Path;

use crate::{TestEnv, stderr};

const LONG_FORM: &str = "Balkan Arms Monitoring Group";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/acronyms")
        .join(name)
}

/// A corpus of the article that defines BAMG and the one that only uses it, under the names
/// given (the walk, and so the reading, goes in name order).
fn corpus(defines: &str, uses: &str) -> TestEnv {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::copy(fixture("defines.txt"), env.corpus().join(defines)).unwrap();
    std::fs::copy(fixture("uses.txt"), env.corpus().join(uses)).unwrap();
    env
}

fn build_ok(env: &TestEnv) -> String {
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stderr(&output)
}

/// The entity names of the passages of `article_id` that match `query`.
fn entities_of(env: &TestEnv, query: &str, article_id: &str) -> Vec<String> {
    let hits = env.search_json(query, &[]);
    let mine: Vec<&serde_json::Value> = hits
        .iter()
        .filter(|hit| hit["article_id"] == article_id)
        .collect();
    assert!(!mine.is_empty(), "{query}: no passage of {article_id}");
    mine.iter()
        .flat_map(|hit| hit["entities"].as_array().unwrap())
        .map(|entity| entity["name"].as_str().unwrap().to_string())
        .collect()
}

/// The articles with a passage that matches `query` with the extra arguments.
fn articles(env: &TestEnv, query: &str, extra: &[&str]) -> Vec<String> {
    crate::article_ids(&env.search_json(query, extra))
}

/// Passages that match `query`, however many per article.
fn n_passages(env: &TestEnv, query: &str) -> usize {
    env.search_json(query, &["--per-article", "0"]).len()
}

/// Passages deleted in the index but not yet merged away.
fn n_deleted(env: &TestEnv) -> u64 {
    let output = env.run(&["index", "stats", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    stats["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|segment| segment["deleted"].as_u64().unwrap())
        .sum()
}

fn acronym_files(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(env.index())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("acronyms-"))
        .collect()
}

#[test]
fn an_acronym_defined_in_one_article_labels_the_others_in_any_file_order() {
    // The user first, then the definer first.
    for (defines, uses) in [
        ("b-defines.txt", "a-uses.txt"),
        ("a-defines.txt", "b-uses.txt"),
    ] {
        let env = corpus(defines, uses);
        let summary = build_ok(&env);
        // A full build labels the definition first (`build::predict`), then each article
        // once, with the table: none is labelled again.
        assert!(!summary.contains("labelled again"), "{summary}");
        assert_eq!(n_deleted(&env), 0);
        let labels = entities_of(&env, "clients", uses);
        assert!(
            labels.iter().any(|name| name == LONG_FORM),
            "{uses}: {labels:?}"
        );
        assert!(
            !labels.iter().any(|name| name == "BAMG"),
            "{uses}: {labels:?}"
        );
        let both = vec![defines.to_string(), uses.to_string()];
        let mut sorted = both.clone();
        sorted.sort();
        assert_eq!(articles(&env, "shells", &["--entity", "BAMG"]), sorted);
        assert_eq!(articles(&env, "shells", &["--entity", LONG_FORM]), sorted);
        assert_eq!(articles(&env, "+shells +entity:BAMG", &[]), sorted);
        // Exactly the passages of the two articles: none was left behind by labelling again.
        assert_eq!(n_passages(&env, "shells OR clients OR Tuesday"), 4);
        assert_eq!(acronym_files(&env).len(), 1);
    }
}

#[test]
fn a_definition_the_scan_of_raw_bytes_misses_still_labels_the_other_articles() {
    // Markup inside the brackets hides the definition from the build's scan for acronyms in
    // brackets, so the article that uses BAMG is written at once, not held: the build reads it
    // again once the table is known.
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::write(
        env.corpus().join("a-defines.html"),
        "<html><head><title>Monitors count shells</title></head><body><p>The Balkan Arms \
         Monitoring Group (<b>BAMG</b>) published its yearly count of artillery shells on \
         Tuesday.</p></body></html>",
    )
    .unwrap();
    std::fs::copy(fixture("uses.txt"), env.corpus().join("b-uses.txt")).unwrap();
    let summary = build_ok(&env);
    assert!(summary.contains("1 articles labelled again"), "{summary}");
    // Replaced, not held: the two passages of its first version were deleted, and the merge
    // after the build (two of three passages deleted) left them out: each passage is there once.
    assert_eq!(n_deleted(&env), 0);
    assert_eq!(n_passages(&env, "shells OR clients OR Tuesday"), 3);
    let labels = entities_of(&env, "clients", "b-uses.txt");
    assert!(labels.contains(&LONG_FORM.to_string()), "{labels:?}");
    assert!(!labels.contains(&"BAMG".to_string()), "{labels:?}");
    assert_eq!(
        articles(&env, "shells", &["--entity", "BAMG"]),
        ["a-defines.html", "b-uses.txt"]
    );
}

#[test]
fn a_definition_added_later_labels_articles_indexed_before_it() {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::copy(fixture("uses.txt"), env.corpus().join("uses.txt")).unwrap();
    build_ok(&env);
    assert!(entities_of(&env, "clients", "uses.txt").contains(&"BAMG".to_string()));
    assert!(acronym_files(&env).is_empty());

    std::fs::copy(fixture("defines.txt"), env.corpus().join("defines.txt")).unwrap();
    let summary = build_ok(&env);
    assert!(summary.contains("1 articles labelled again"), "{summary}");
    let labels = entities_of(&env, "clients", "uses.txt");
    assert!(labels.contains(&LONG_FORM.to_string()), "{labels:?}");
    assert_eq!(
        articles(&env, "shells", &["--entity", "BAMG"]),
        ["defines.txt", "uses.txt"]
    );
    assert_eq!(n_passages(&env, "shells OR clients OR Tuesday"), 4);
}

#[test]
fn incremental_builds_keep_the_pair_and_removing_its_definition_drops_it() {
    let env = corpus("defines.txt", "uses.txt");
    build_ok(&env);

    // Only the user changes: the definition comes from the manifest entry of the other file.
    let changed = std::fs::read_to_string(fixture("uses.txt")).unwrap()
        + "\nBAMG expects a rebound in June.\n";
    std::fs::write(env.corpus().join("uses.txt"), changed).unwrap();
    let summary = build_ok(&env);
    assert!(summary.contains("1 updated"), "{summary}");
    assert!(!summary.contains("labelled again"), "{summary}");
    for query in ["clients", "rebound"] {
        let labels = entities_of(&env, query, "uses.txt");
        assert!(
            labels.contains(&LONG_FORM.to_string()),
            "{query}: {labels:?}"
        );
    }
    assert_eq!(
        articles(&env, "shells OR rebound", &["--entity", "BAMG"]),
        ["defines.txt", "uses.txt"]
    );

    // The definition goes: the unchanged user is labelled with the acronym as written again.
    std::fs::remove_file(env.corpus().join("defines.txt")).unwrap();
    let summary = build_ok(&env);
    assert!(summary.contains("1 articles labelled again"), "{summary}");
    for query in ["clients", "rebound"] {
        let labels = entities_of(&env, query, "uses.txt");
        assert!(labels.contains(&"BAMG".to_string()), "{query}: {labels:?}");
        assert!(
            !labels.contains(&LONG_FORM.to_string()),
            "{query}: {labels:?}"
        );
    }
    assert_eq!(
        articles(&env, "shells OR rebound", &["--entity", "BAMG"]),
        ["uses.txt"]
    );
    // No passage names the long form any more: the filter says so and names what is close.
    let output = env.run(&[
        "search",
        "shells OR rebound",
        "--index",
        "index",
        "--entity",
        LONG_FORM,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("no entity in the index is named `{LONG_FORM}`")),
        "{}",
        stderr(&output)
    );
    assert!(acronym_files(&env).is_empty());
    assert_eq!(n_passages(&env, "shells OR clients OR rebound"), 3);
}
