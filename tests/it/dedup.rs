//! Near-duplicate stories: byte-identical files and an edited wire copy collapse into one hit
//! naming the others; a different story on the same topic stays a hit of its own; `index stats`
//! counts the copies.

use crate::{TestEnv, article_ids, stderr};

const COPIES: [&str; 3] = [
    "bbc/business_021.txt",
    "bbc/business_388.txt",
    "wire/harbour_strike.txt",
];

fn built() -> TestEnv {
    let env = TestEnv::with_fixture("dups");
    let output = env.build();
    assert!(output.status.success(), "build failed: {}", stderr(&output));
    env
}

fn duplicates(hit: &serde_json::Value) -> Vec<String> {
    hit["duplicates"]
        .as_array()
        .map(|copies| {
            copies
                .iter()
                .map(|copy| copy["path"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn copies_collapse_into_one_hit_naming_the_others() {
    let env = built();
    let hits = env.search_json("Rotterdam strike grain", &["--per-article", "1"]);
    let ids = article_ids(&hits);
    let copies_shown: Vec<&String> = ids
        .iter()
        .filter(|id| COPIES.contains(&id.as_str()))
        .collect();
    assert_eq!(copies_shown.len(), 1, "one hit for the copies: {ids:?}");
    let kept = hits
        .iter()
        .find(|hit| COPIES.contains(&hit["article_id"].as_str().unwrap()))
        .unwrap();
    let mut named = duplicates(kept);
    named.push(kept["path"].as_str().unwrap().to_string());
    named.sort();
    assert_eq!(named, COPIES, "the hit names the other copies");
    // The story on the same topic, with the same names, is not a copy.
    assert!(
        ids.contains(&"wire/harbour_talks.txt".to_string()),
        "{ids:?}"
    );
    let talks = hits
        .iter()
        .find(|hit| hit["article_id"] == "wire/harbour_talks.txt")
        .unwrap();
    assert!(talks.get("duplicates").is_none(), "{talks}");

    // The text output says so under the hit.
    let output = env.run(&["search", "Rotterdam strike grain", "--index", "index"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("+2 copies: "), "{text}");
}

#[test]
fn duplicates_show_returns_every_copy() {
    let env = built();
    let hits = env.search_json(
        "Rotterdam strike grain",
        &["--per-article", "1", "--duplicates", "show"],
    );
    let ids = article_ids(&hits);
    for copy in COPIES {
        assert!(ids.contains(&copy.to_string()), "{copy} missing: {ids:?}");
    }
    assert!(hits.iter().all(|hit| hit.get("duplicates").is_none()));
}

#[test]
fn a_page_is_full_after_folding() {
    let env = built();
    // Two hits asked for: the folded copies must not take the second place.
    let output = env.run(&[
        "search",
        "Rotterdam grain",
        "--index",
        "index",
        "--json",
        "--per-article",
        "1",
        "-n",
        "2",
    ]);
    let hits: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(hits.len(), 2, "{:?}", article_ids(&hits));
    let ids = article_ids(&hits);
    assert!(
        ids.contains(&"wire/harbour_talks.txt".to_string()),
        "{ids:?}"
    );
}

#[test]
fn index_stats_counts_the_copies() {
    let env = built();
    let output = env.run(&["index", "stats", "--index", "index", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(stats["articles"], 5);
    assert_eq!(stats["duplicate_articles"], 2, "{stats}");
    let output = env.run(&["index", "stats", "--index", "index"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("duplicates:  2 articles are near-copies of another"),
        "{text}"
    );
}
