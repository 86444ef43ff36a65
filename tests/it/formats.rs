//! Integration tests of the input formats: the real binary builds an index from fixture folders
//! under `tests/fixtures/formats/` (copied to a temp dir) and `search --json` is checked.

use serde_json::Value;

use crate::{TestEnv, article_ids, stderr};

/// A temp dir holding a copy of `tests/fixtures/formats/NAME` as `corpus/`.
fn fixture_env(name: &str) -> TestEnv {
    TestEnv::with_fixture(&format!("formats/{name}"))
}

/// Runs `search --json` and parses one hit per line.
fn search(env: &TestEnv, query: &str, extra: &[&str]) -> Vec<Value> {
    env.search_json(query, extra)
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

fn entity_names(hit: &Value) -> Vec<String> {
    hit["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entity| {
            format!(
                "{}:{}",
                entity["kind"].as_str().unwrap(),
                entity["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn every_format_goes_in_and_bad_records_are_reported_where_they_are() {
    let env = fixture_env("mixed");
    let output = env.build();
    let errors = stderr(&output);
    // Records with errors make the build incomplete (exit 1) but do not stop it.
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("wire/reuters.jsonl:2:67: expected `,` or `}`"),
        "{errors}"
    );
    assert!(
        errors.contains("web/desk.csv:5: row has 2 fields, the header has 6"),
        "{errors}"
    );
    assert!(errors.contains("malformed date `someday`"), "{errors}");
    assert!(errors.contains("Latin-1"), "{errors}");
    // 3 JSON Lines records, 2 JSON, 2 CSV, 1 HTML, 1 Latin-1 JSON Lines.
    assert!(errors.contains("indexed 9 articles"), "{errors}");

    let hits = search(&env, "cocoa", &[]);
    assert_eq!(article_ids(&hits), ["wire/reuters.jsonl#1"]);
    let cocoa = &hits[0];
    assert_eq!(cocoa["title"], "BAHIA COCOA REVIEW");
    assert_eq!(cocoa["date"], "1987-02-26T15:01:01Z");
    assert_eq!(strings(&cocoa["categories"]), ["cocoa"]);
    assert_eq!(cocoa["path"], "wire/reuters.jsonl");

    // The other lines of the file still went in, the malformed one did not.
    assert!(search(&env, "broken", &[]).is_empty());
    let sugar = search(&env, "sugar", &[]);
    assert_eq!(article_ids(&sugar), ["wire/reuters.jsonl#4"]);
    assert_eq!(sugar[0]["date"], Value::Null);
    assert_eq!(
        strings(&sugar[0]["categories"]),
        ["wire"],
        "no topics: the first folder is the category"
    );
}

#[test]
fn given_entity_labels_are_normalised_and_keep_their_kind() {
    let env = fixture_env("mixed");
    env.build_with(&["--quiet"]);
    let hits = search(&env, "wheat", &[]);
    assert_eq!(article_ids(&hits), ["wire/reuters.jsonl#3"]);
    // No body: the story is indexed by its title.
    assert_eq!(hits[0]["passage"], "WHEAT SHIPMENTS");
    assert_eq!(hits[0]["date"], "1987-03-27T00:02:59Z");
    let entities = entity_names(&hits[0]);
    assert!(
        entities.contains(&"place:West Germany".to_string()),
        "{entities:?}"
    );
    assert!(
        entities.contains(&"person:Hisham Nazer".to_string()),
        "{entities:?}"
    );
    let cocoa = search(&env, "cocoa", &["--entity", "united states"]);
    assert_eq!(
        article_ids(&cocoa),
        ["wire/reuters.jsonl#1"],
        "`usa` resolves to United States"
    );
}

#[test]
fn categories_are_multi_valued_and_filterable() {
    let env = fixture_env("mixed");
    env.build_with(&["--quiet"]);
    let hits = search(&env, "wheat OR copper OR gas", &["--category", "metals"]);
    assert_eq!(article_ids(&hits), ["web/export.json#a2"]);
    assert_eq!(strings(&hits[0]["categories"]), ["Markets", "Metals"]);
    let hits = search(
        &env,
        "wheat OR copper OR gas",
        &["--category", "grain", "--category", "energy"],
    );
    assert_eq!(
        article_ids(&hits),
        ["web/export.json#a1", "wire/reuters.jsonl#3"]
    );
    let csv = search(&env, "shipyard", &["--category", "poland"]);
    assert_eq!(article_ids(&csv), ["web/desk.csv#c1"]);
    assert_eq!(strings(&csv[0]["categories"]), ["labour", "poland"]);
}

#[test]
fn json_and_csv_records_map_dates_bodies_and_ids() {
    let env = fixture_env("mixed");
    env.build_with(&["--quiet"]);
    let gas = search(&env, "storage", &[]);
    assert_eq!(article_ids(&gas), ["web/export.json#a1"]);
    assert_eq!(gas[0]["title"], "Gas prices fall in Germany");
    assert_eq!(gas[0]["date"], "2024-03-28T00:00:00Z");
    assert_eq!(gas[0]["ordinal"], 1, "a list body keeps its paragraphs");
    let copper = search(&env, "copper", &[]);
    assert_eq!(copper[0]["date"], "2024-03-28T00:00:00Z", "Unix seconds");
    let talks = search(&env, "talks resume", &[]);
    assert_eq!(article_ids(&talks), ["web/desk.csv#c1"]);
    assert_eq!(
        talks[0]["ordinal"], 1,
        "blank lines in a cell separate paragraphs"
    );
    assert_eq!(talks[0]["date"], "2024-03-28T00:00:00Z");
    let fishing = search(
        &env,
        "fishing",
        &["--since", "2024-03-28", "--until", "2024-03-28"],
    );
    assert_eq!(article_ids(&fishing), ["web/desk.csv#c3"]);
}

#[test]
fn html_keeps_the_article_and_drops_the_boilerplate() {
    let env = fixture_env("mixed");
    env.build_with(&["--quiet"]);
    let hits = search(&env, "artillery", &[]);
    assert_eq!(article_ids(&hits), ["web/page.html"]);
    assert_eq!(hits[0]["title"], "Shells for Kyiv");
    assert_eq!(hits[0]["section"], "Exports");
    assert_eq!(hits[0]["date"], "2024-05-02T07:00:00Z");
    assert_eq!(strings(&hits[0]["categories"]), ["Defence"]);
    for boilerplate in ["zanzibar", "quasarnews", "xylophoneshop", "mmxxiv"] {
        assert!(
            search(&env, boilerplate, &[]).is_empty(),
            "{boilerplate} was indexed"
        );
    }
}

#[test]
fn latin1_input_is_decoded() {
    let env = fixture_env("mixed");
    env.build_with(&["--quiet"]);
    let hits = search(&env, "zürich", &[]);
    assert_eq!(article_ids(&hits), ["web/latin.jsonl#1"]);
    assert_eq!(hits[0]["title"], "Café society");
}

#[test]
fn newsdex_toml_maps_fields_and_the_command_line_overrides_it() {
    let env = fixture_env("mapped");
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let hits = search(&env, "overnight", &[]);
    assert_eq!(article_ids(&hits), ["feed.jsonl#1"]);
    assert_eq!(hits[0]["title"], "Port reopens");
    assert_eq!(hits[0]["date"], "2024-02-01T08:00:00Z");
    assert_eq!(hits[0]["ordinal"], 1, "lede then story");
    assert_eq!(strings(&hits[0]["categories"]), ["Shipping"]);
    let port = search(&env, "port", &["--entity", "croatia"]);
    assert_eq!(article_ids(&port), ["feed.jsonl#1"]);

    let output = env.build_with(&["--field", "date=published_at", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let hits = search(&env, "rail", &[]);
    assert_eq!(hits[0]["date"], "2020-01-02T00:00:00Z");
}

#[test]
fn a_mapping_that_names_an_absent_field_fails_and_writes_nothing() {
    let env = fixture_env("mapped");
    assert_eq!(env.build_with(&["--quiet"]).status.code(), Some(0));
    let output = env.build_with(&["--field", "body=no_such_field"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{errors}");
    assert!(
        errors.contains("`--field body=no_such_field` names a field that no record has"),
        "{errors}"
    );
    // The index built before is untouched.
    assert_eq!(
        article_ids(&search(&env, "overnight", &[])),
        ["feed.jsonl#1"]
    );
    let output = env.build_with(&["--field", "colour=red"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown role `colour`"));
}

#[test]
fn format_can_be_forced_and_large_files_are_skipped() {
    let env = fixture_env("mapped");
    let feed = env.corpus().join("feed.jsonl");
    std::fs::rename(&feed, env.corpus().join("feed.txt")).unwrap();
    let output = env.build_with(&["--format", "jsonl", "--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(article_ids(&search(&env, "overnight", &[])), ["feed.txt#1"]);

    let env = fixture_env("mixed");
    let output = env.build_with(&["--max-file-size", "300"]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(errors.contains("page.html: file of"), "{errors}");
    assert!(errors.contains("over the limit of 300 bytes"), "{errors}");
    assert!(search(&env, "artillery", &[]).is_empty());
}

#[test]
fn a_records_url_is_stored_and_shown_with_its_hits() {
    let env = fixture_env("mapped");
    let feed = env.corpus().join("feed.jsonl");
    std::fs::write(
        &feed,
        concat!(
            r#"{"heading": "Port reopens", "when": "2024-02-01", "lede": "The port of Rijeka reopened.", "story": "Ships queued.", "desk": "Shipping", "where": ["croatia"], "link": "https://example.com/port"}"#,
            "\n",
            r#"{"heading": "Rail link", "when": "2024-02-02", "lede": "A rail link to Zagreb opened."}"#,
            "\n",
        ),
    )
    .unwrap();
    let output = env.build_with(&["--quiet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let hits = search(&env, "port rail", &[]);
    let url_of = |id: &str| {
        let hit = hits
            .iter()
            .find(|hit| hit["article_id"] == id)
            .unwrap_or_else(|| panic!("no hit of {id}: {hits:?}"));
        hit.get("url").cloned()
    };
    assert_eq!(
        url_of("feed.jsonl#1"),
        Some(Value::from("https://example.com/port"))
    );
    assert_eq!(url_of("feed.jsonl#2"), None);

    let index = env.index();
    let output = env.run(&["search", "port", "--index", index.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("https://example.com/port"), "{text}");
}
