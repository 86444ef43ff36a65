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

/// A corpus with a feed whose bodies are read, a CSV whose records have their text in a field
/// the mapping does not know, and a JSON Lines file with one such record among good ones.
fn corpus_with_an_unknown_body_field() -> crate::TestEnv {
    let env = crate::TestEnv::empty();
    let corpus = env.corpus();
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(
        corpus.join("good.jsonl"),
        "{\"title\": \"Grain\", \"body\": \"Wheat exports rose in March.\", \"date\": \"2024-03-28\"}\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("scraped.csv"),
        "headline,content_raw,when\n\
         Copper falls,Copper prices fell sharply on Monday.,2024-03-25\n\
         Tin steady,Tin output held steady in the quarter.,2024-03-26\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("mixed.jsonl"),
        "{\"title\": \"Cocoa\", \"body\": \"Cocoa arrivals slowed.\", \"date\": \"2024-03-28\"}\n\
         {\"title\": \"Sugar\", \"main_copy\": \"Sugar quotas were cut.\", \"date\": \"2024-03-28\"}\n",
    )
    .unwrap();
    env
}

#[test]
fn a_structured_file_whose_records_yield_no_body_fails_with_one_error_naming_its_fields() {
    let env = corpus_with_an_unknown_body_field();
    let output = env.build();
    let errors = crate::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    let file_errors: Vec<&str> = errors
        .lines()
        .filter(|line| line.starts_with("error:") && line.contains("scraped.csv"))
        .collect();
    assert_eq!(
        file_errors.len(),
        1,
        "one error for the file, none per record: {errors}"
    );
    assert!(
        file_errors[0].ends_with(
            "scraped.csv: no record has a body: its fields are headline, content_raw, when; \
             map one with --field body=content_raw"
        ),
        "{errors}"
    );
    assert!(
        !errors.contains("warning: scraped.csv"),
        "no warning per record of the failed file: {errors}"
    );
    assert!(errors.contains("skipped: 1 with errors"), "{errors}");
    // A record that has a body field the mapping ignores, in a file with bodies, is a warning
    // that says where it is.
    assert!(
        errors
            .lines()
            .any(|line| line.starts_with("warning: mixed.jsonl#2: no body: ")
                && line.contains("mixed.jsonl:2 ")
                && line.contains("`--field body=main_copy`")),
        "{errors}"
    );
    assert!(errors.contains("1 warnings"), "{errors}");
    // The rest of the corpus went in; the failed file did not, not even its headlines.
    assert_eq!(
        article_ids(&env.search_json("wheat", &[])),
        ["good.jsonl#1"]
    );
    assert_eq!(
        article_ids(&env.search_json("cocoa", &[])),
        ["mixed.jsonl#1"]
    );
    assert!(env.search_json("copper", &[]).is_empty());

    // With the mapping the error suggests, the file goes in and the build is complete.
    let output = env.run(&[
        "index",
        "build",
        "corpus",
        "--index",
        "index",
        "--field",
        "body=content_raw",
        "--field",
        "body=main_copy",
        "--field",
        "body=body",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    assert_eq!(
        article_ids(&env.search_json("copper", &[])),
        ["scraped.csv#2"]
    );
    assert_eq!(
        article_ids(&env.search_json("quotas", &[])),
        ["mixed.jsonl#2"]
    );
}

#[test]
fn inspect_previews_a_record_mapping_with_field() {
    let env = corpus_with_an_unknown_body_field();
    let output = env.run(&["inspect", "corpus/scraped.csv", "--json"]);
    let errors = crate::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{errors}");
    assert!(
        errors.contains("no record has a body: its fields are headline, content_raw, when"),
        "{errors}"
    );
    assert!(output.stdout.is_empty());

    let output = env.run(&[
        "inspect",
        "corpus/scraped.csv",
        "--json",
        "--field",
        "body=content_raw",
        "--field",
        "date=when",
    ]);
    let errors = crate::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{errors}");
    let articles: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(articles.len(), 2);
    assert_eq!(articles[0]["title"], "Copper falls");
    let text = articles[0].to_string();
    assert!(
        text.contains("Copper prices fell sharply on Monday."),
        "{text}"
    );
    assert!(text.contains("2024-03-25"), "{text}");

    // A field the file does not have is named.
    let output = env.run(&[
        "inspect",
        "corpus/scraped.csv",
        "--field",
        "body=content_raw",
        "--field",
        "date=published",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        crate::stderr(&output)
            .contains("`--field date=published` names a field that no record has"),
        "{}",
        crate::stderr(&output)
    );
}

/// A CSV export with outlet and author columns.
fn outlets_env() -> TestEnv {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::write(
        env.corpus().join("news.csv"),
        "source,author,title,date,text\n\
         Reuters,Jane Doe,EU sanctions,2024-03-01,New sanctions hit Russian banks.\n\
         Reuters,Ana Vučić,Oil sanctions,2024-03-02,Sanctions cut oil exports.\n\
         AP,Jane Doe,Sanctions bite,2024-03-03,Sanctions hit grain traders.\n\
         ,,Weather,2024-03-04,Rain fell in Belgrade.\n",
    )
    .unwrap();
    let build = env.build();
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    env
}

#[test]
fn a_source_filter_and_source_and_author_facets_in_text_and_json() {
    let env = outlets_env();
    let output = env.run(&[
        "search",
        "sanctions",
        "--index",
        "index",
        "--source",
        "reuters",
        "--facets",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("Reuters · by Jane Doe"), "{text}");
    assert!(
        !text.contains("Sanctions bite"),
        "AP's story is filtered out: {text}"
    );
    assert!(text.contains("sources: Reuters 2"), "{text}");
    assert!(text.contains("authors: "), "{text}");
    assert!(text.contains("Ana Vučić 1"), "{text}");

    let lines = env.search_json("sanctions", &["--author", "JANE DOE", "--facets"]);
    let (facets, hits) = lines.split_last().unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    for hit in hits {
        assert_eq!(hit["authors"], serde_json::json!(["Jane Doe"]));
    }
    let sources: Vec<&str> = facets["facets"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|count| count["value"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["AP", "Reuters"]);
    // The query language names the same fields.
    let hits = env.search_json("source:AP OR author:\"ana vucic\"", &[]);
    assert_eq!(hits.len(), 2, "{hits:?}");
    // `inspect` shows them as the build reads them.
    let output = env.run(&["inspect", "corpus/news.csv"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("source:   Reuters"), "{text}");
    assert!(text.contains("authors:  Ana Vučić"), "{text}");
    // `index stats` lists each field with its most common values, by passages.
    let output = env.run(&["index", "stats", "--index", "index"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("source:      Reuters 2, AP 1"), "{text}");
    assert!(
        text.contains("author:      Jane Doe 2, Ana Vučić 1"),
        "{text}"
    );
}
