//! Entities end to end: extraction at build time, query expansion by entity, the `entities`
//! and `inspect` commands, and users' entities files.

use std::path::PathBuf;

use crate::{TestEnv, stderr};

fn fixture_file(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/entities/files")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn built(extra: &[&str]) -> TestEnv {
    let env = TestEnv::with_fixture("entities/corpus");
    let mut args = vec!["index", "build", "corpus", "--index", "index"];
    args.extend_from_slice(extra);
    let output = env.run(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    env
}

fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8(output.stdout.clone())
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect()
}

#[test]
fn query_word_naming_an_entity_finds_other_forms_ranked_below() {
    let env = built(&[]);
    let hits = env.search_json("Serbia", &[]);
    let paths: Vec<&str> = hits.iter().map(|h| h["path"].as_str().unwrap()).collect();
    let adjective_rank = paths
        .iter()
        .position(|p| p.ends_with("adjective.txt"))
        .expect("the passage saying only `Serbian` is found");
    let word_rank = paths
        .iter()
        .position(|p| p.ends_with("exports.txt"))
        .expect("the passage saying `Serbia` is found");
    assert!(word_rank < adjective_rank, "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.ends_with("unrelated.txt")),
        "{paths:?}"
    );
}

#[test]
fn entity_filter_accepts_aliases_and_spellings() {
    let env = built(&[]);
    let canonical = env.search_json("ammunition", &["--entity", "Serbia"]);
    assert!(canonical.len() >= 2, "{canonical:?}");
    for name in ["Serbian", "SERBIA", "serbia's"] {
        let hits = env.search_json("ammunition", &["--entity", name]);
        assert_eq!(hits, canonical, "{name}");
    }
    let hits = env.search_json("shells", &["--entity", "vucic"]);
    assert!(
        hits.is_empty(),
        "no passage about shells names him: {hits:?}"
    );
    let hits = env.search_json("sanctions", &["--entity", "Aleksandar Vucic"]);
    assert_eq!(hits.len(), 1, "{hits:?}");
}

#[test]
fn entities_command_counts_over_all_matching_passages() {
    let env = built(&[]);
    let output = env.run(&["entities", "--index", "index", "--json", "--top", "3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let counts = json_lines(&output);
    assert_eq!(counts.len(), 3);
    assert_eq!(counts[0]["name"], "Serbia");
    assert_eq!(counts[0]["kind"], "place");
    assert_eq!(counts[0]["count"], 3);
    assert!(
        counts.iter().all(|count| count.get("passages").is_none()),
        "one name, as in the API's list: {counts:?}"
    );

    let output = env.run(&[
        "entities",
        "sanctions",
        "--index",
        "index",
        "--json",
        "--kind",
        "person",
    ]);
    let counts = json_lines(&output);
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0]["name"], "Aleksandar Vučić");
    assert_eq!(counts[0]["count"], 1);

    let output = env.run(&["entities", "--index", "index", "--kind", "company"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("person"), "{}", stderr(&output));
}

#[test]
fn inspect_shows_passages_sections_and_resolved_entities() {
    let env = TestEnv::with_fixture("entities/corpus");
    let output = env.run(&["inspect", "corpus/defence/exports.txt", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let articles = json_lines(&output);
    assert_eq!(articles.len(), 1);
    let passages = articles[0]["passages"].as_array().unwrap();
    assert_eq!(passages[1]["section"], "Who Buys");
    let names = |idx: usize| -> Vec<String> {
        passages[idx]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    // The acronym defined in the lead, and the surname after the full name, resolve.
    assert!(
        names(1).contains(&"Stockholm International Peace Research Institute".into()),
        "{:?}",
        names(1)
    );
    assert!(
        names(2).contains(&"Aleksandar Vučić".into()),
        "{:?}",
        names(2)
    );
    assert!(!names(2).contains(&"Vučić".into()), "{:?}", names(2));

    let text = env.run(&["inspect", "corpus/defence/exports.txt"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("Who Buys") && text.contains("Serbia (place)"),
        "{text}"
    );
}

#[test]
fn user_entities_file_adds_entities_to_build_and_search() {
    let good = fixture_file("good.tsv");
    let env = built(&["--entities", &good]);
    let hits = env.search_json("shipments", &["--entity", "AMG", "--entities", &good]);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let names: Vec<&str> = hits[0]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Acme Munitions"), "{names:?}");
}

#[test]
fn bad_entities_files_name_file_line_and_reason() {
    let env = TestEnv::with_fixture("entities/corpus");
    let no_tab = fixture_file("no_tab.tsv");
    let output = env.run(&[
        "index",
        "build",
        "corpus",
        "--index",
        "index",
        "--entities",
        &no_tab,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no_tab.tsv:2: expected"),
        "{}",
        stderr(&output)
    );

    let bad_kind = fixture_file("bad_kind.tsv");
    let output = env.run(&[
        "inspect",
        "corpus/defence/exports.txt",
        "--entities",
        &bad_kind,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "bad_kind.tsv:1: unknown kind `company`: valid kinds are person, place, organisation, other"
        ),
        "{}",
        stderr(&output)
    );
}

/// The `names` fixture: people named in full, by surname, with titles, and a name two
/// entities share.
fn names_env() -> TestEnv {
    let env = TestEnv::with_fixture("names");
    let output = env.build();
    assert!(output.status.success(), "{}", stderr(&output));
    env
}

fn hit_paths(hits: &[serde_json::Value]) -> Vec<String> {
    let mut paths: Vec<String> = hits
        .iter()
        .map(|hit| hit["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

#[test]
fn an_entity_filter_takes_a_surname_any_spelling_or_the_full_name() {
    let env = names_env();
    let full = env.search_json("ammunition", &["--entity", "Aleksandar Vučić"]);
    assert_eq!(hit_paths(&full), ["world/belgrade.txt"]);
    for name in ["Vucic", "Vučić", "VUCIC", "Aleksandar Vucic"] {
        let hits = env.search_json("ammunition", &["--entity", name]);
        assert_eq!(hits, full, "--entity {name}");
    }
    // The query language's `entity:` resolves names the same way.
    let hits = env.search_json("+ammunition +entity:Vucic", &[]);
    assert_eq!(hit_paths(&hits), ["world/belgrade.txt"]);
}

#[test]
fn a_surname_alone_in_one_article_means_the_full_name_of_another() {
    let env = names_env();
    // forum.txt says only "Mr Putin"; kremlin.txt names Vladimir Putin in full.
    let hits = env.search_json("forum OR rates", &["--entity", "Putin"]);
    assert_eq!(
        hit_paths(&hits),
        ["world/forum.txt", "world/kremlin.txt"],
        "{hits:?}"
    );
    let full = env.search_json("forum OR rates", &["--entity", "Vladimir Putin"]);
    assert_eq!(hit_paths(&full), ["world/kremlin.txt"]);
}

#[test]
fn a_name_part_of_several_entities_lists_them_and_searches_none() {
    let env = names_env();
    let output = env.run(&[
        "search", "opera", "--index", "index", "--entity", "Wagner", "--json",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("Wagner Group (organisation"), "{message}");
    assert!(message.contains("Richard Wagner (person"), "{message}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1, "one error object and no hits: {lines:?}");
    let names: Vec<&str> = lines[0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|candidate| candidate["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Wagner Group", "Richard Wagner"]);
    // Either one, given in full, searches.
    let hits = env.search_json("opera", &["--entity", "Richard Wagner"]);
    assert_eq!(hit_paths(&hits), ["world/wagner.txt"]);
}

#[test]
fn an_unknown_entity_name_suggests_the_closest_ones() {
    let env = names_env();
    let output = env.run(&[
        "search", "taxes", "--index", "index", "--entity", "Zelensky",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("closest names are: Volodymyr Zelenskyy (person, 1 passage)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn titles_are_not_names_and_a_headline_surname_is_the_person() {
    let env = names_env();
    let output = env.run(&[
        "entities", "--index", "index", "--kind", "person", "--top", "50", "--json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let people: Vec<String> = json_lines(&output)
        .iter()
        .map(|line| line["name"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "Tony Blair",
        "Gordon Brown",
        "Aleksandar Vučić",
        "Vladimir Putin",
    ] {
        assert!(people.iter().any(|name| name == expected), "{people:?}");
    }
    for wrong in ["Blair", "Mr Blair", "Chancellor Gordon Brown", "Vučić"] {
        assert!(
            !people.iter().any(|name| name == wrong),
            "{wrong}: {people:?}"
        );
    }
}

#[test]
fn entities_like_lists_the_entities_a_name_may_mean() {
    let env = names_env();
    let output = env.run(&["entities", "--index", "index", "--like", "wagner", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<String> = json_lines(&output)
        .iter()
        .map(|line| line["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["Richard Wagner", "Wagner Group"]);
    let output = env.run(&["entities", "--index", "index", "--like", "zelensky"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Volodymyr Zelenskyy"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
