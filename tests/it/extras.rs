//! Declared fields (`[fields.extra]`, `--extra`): each type read, filtered, faceted, shown and
//! listed by `index stats`; bad values warned about with their line, undeclared fields named.

use crate::{TestEnv, article_ids, stderr};

/// A CSV export with a desk, a word count, a filing date and a summary beside the usual columns;
/// the desk is declared in `newsdex.toml`, the others on the command line.
fn extras_env() -> TestEnv {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::write(
        env.corpus().join("news.csv"),
        "source,author,title,date,text,desk,words,filed,summary\n\
         Reuters,Jane Doe,Grain curbs,2024-03-01,Sanctions on grain exports widened.,Métro,850,2024-03-02,A note on wheat shipments\n\
         AP,Ana Vučić,Shipping debate,2024-04-05,Lawmakers debated sanctions on shipping firms.,Foreign,1200,2024-04-06,Tankers and their owners\n\
         Reuters,John Roe,Prices rise,2024-05-07,Grain prices rose after sanctions eased.,metro,many,someday,Barley prices\n",
    )
    .unwrap();
    std::fs::write(
        env.corpus().join("newsdex.toml"),
        "[fields.extra]\ndesk = \"keyword\"\n",
    )
    .unwrap();
    let build = env.build_with(&[
        "--extra",
        "words:number",
        "--extra",
        "filed:date",
        "--extra",
        "summary:text",
    ]);
    // Two values of the wrong type are warnings: the build is complete, exit 0.
    assert_eq!(build.status.code(), Some(0), "{}", stderr(&build));
    let err = stderr(&build);
    assert!(
        err.contains("`words` at news.csv:4: `many` is not a number"),
        "{err}"
    );
    assert!(
        err.contains("`filed` at news.csv:4: `someday` is not a date"),
        "{err}"
    );
    env
}

fn ids(env: &TestEnv, query: &str) -> Vec<String> {
    let mut ids = article_ids(&env.search_json(query, &[]));
    ids.sort();
    ids
}

#[test]
fn each_declared_type_filters_as_its_type() {
    let env = extras_env();
    // keyword: exact, case- and accent-insensitive.
    assert_eq!(
        ids(&env, "sanctions +desk:metro"),
        ["news.csv#2", "news.csv#4"]
    );
    assert_eq!(ids(&env, "desk:foreign"), ["news.csv#3"]);
    assert!(
        ids(&env, "desk:metr").is_empty(),
        "a keyword is matched whole"
    );
    // number: a value, and ranges with open and excluded ends.
    assert_eq!(ids(&env, "words:850"), ["news.csv#2"]);
    assert_eq!(ids(&env, "words:[1000 TO *]"), ["news.csv#3"]);
    assert_eq!(ids(&env, "words:{850 TO 1200]"), ["news.csv#3"]);
    assert_eq!(ids(&env, "words:[* TO *]"), ["news.csv#2", "news.csv#3"]);
    // date: a month stands for all of it; a range.
    assert_eq!(ids(&env, "filed:2024-04"), ["news.csv#3"]);
    assert_eq!(
        ids(&env, "filed:[2024-03-02 TO 2024-12-31]"),
        ["news.csv#2", "news.csv#3"]
    );
    // text: stemmed words and phrases.
    assert_eq!(ids(&env, "summary:tanker"), ["news.csv#3"]);
    assert_eq!(ids(&env, "summary:\"wheat shipment\""), ["news.csv#2"]);
    assert!(ids(&env, "summary:\"shipments wheat\"").is_empty());
}

#[test]
fn number_and_date_fields_sort_the_results() {
    let env = extras_env();
    let order = |sort: &str| -> Vec<String> {
        env.search_json("sanctions", &["--sort-by", sort])
            .iter()
            .map(|hit| hit["article_id"].as_str().unwrap().to_string())
            .collect()
    };
    // Largest first, smallest first with `:asc`; the passage without a value last either way.
    assert_eq!(order("words"), ["news.csv#3", "news.csv#2", "news.csv#4"]);
    assert_eq!(
        order("words:asc"),
        ["news.csv#2", "news.csv#3", "news.csv#4"]
    );
    assert_eq!(order("filed"), ["news.csv#3", "news.csv#2", "news.csv#4"]);
    let output = env.run(&[
        "search",
        "sanctions",
        "--index",
        "index",
        "--sort-by",
        "desk",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("cannot sort by `desk`: the index's number and date fields are words, filed"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn wrong_queries_on_declared_fields_say_what_is_wrong() {
    let env = extras_env();
    let fails = |query: &str| {
        let output = env.run(&["search", query, "--index", "index"]);
        assert_eq!(output.status.code(), Some(2), "{query}");
        stderr(&output)
    };
    let err = fails("colour:red");
    assert!(
        err.contains("unknown field `colour`") && err.contains("desk, words, filed, summary"),
        "an undeclared field lists the index's fields: {err}"
    );
    assert!(fails("words:[ten TO *]").contains("`ten` in `words:` is not a number"));
    assert!(fails("desk:[a TO b]").contains("ranges work on number and date fields"));
}

#[test]
fn declared_fields_are_shown_faceted_and_listed() {
    let env = extras_env();
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
    assert!(text.contains("desk: Métro"), "{text}");
    assert!(text.contains("words: 850"), "{text}");
    assert!(text.contains("desk: Métro 1, metro 1"), "{text}");

    let lines = env.search_json("sanctions", &["--facets"]);
    let (facets, hits) = lines.split_last().unwrap();
    let first = hits
        .iter()
        .find(|hit| hit["article_id"] == "news.csv#3")
        .expect("the AP story");
    assert_eq!(first["extra"]["words"], 1200);
    assert_eq!(first["extra"]["desk"], "Foreign");
    assert_eq!(first["extra"]["summary"], "Tankers and their owners");
    assert!(
        first["extra"]["filed"]
            .as_str()
            .unwrap()
            .starts_with("2024-04-06")
    );
    let third = hits
        .iter()
        .find(|hit| hit["article_id"] == "news.csv#4")
        .expect("the story with bad values");
    assert!(third["extra"].get("words").is_none(), "{third}");
    let desks: Vec<&str> = facets["facets"]["extra"]["desk"]
        .as_array()
        .unwrap()
        .iter()
        .map(|count| count["value"].as_str().unwrap())
        .collect();
    assert_eq!(desks.len(), 3, "{desks:?}");

    let output = env.run(&["index", "stats", "--index", "index", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let extras = stats["extras"].as_array().unwrap();
    let names: Vec<&str> = extras.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["desk", "words", "filed", "summary"]);
    assert_eq!(extras[0]["values"], 3);
    assert_eq!(extras[1]["min"], 850);
    assert_eq!(extras[1]["max"], 1200);
    assert_eq!(extras[2]["type"], "date");
}

#[test]
fn inspect_shows_the_declared_fields_as_read() {
    let env = extras_env();
    let output = env.run(&[
        "inspect",
        "corpus/news.csv",
        "--extra",
        "desk",
        "--extra",
        "words:number",
    ]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("  desk:     Métro"), "{text}");
    assert!(text.contains("  words:    850"), "{text}");
    assert!(
        text.contains("news.csv:4: `many` is not a number"),
        "{text}"
    );
}

#[test]
fn a_declared_field_no_record_has_is_an_error() {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    std::fs::write(
        env.corpus().join("news.csv"),
        "title,date,text\nGrain,2024-03-01,Grain prices rose.\n",
    )
    .unwrap();
    let build = env.build_with(&["--extra", "wordcount:number"]);
    assert_eq!(build.status.code(), Some(2), "{}", stderr(&build));
    assert!(
        stderr(&build).contains("`--extra wordcount:number` names a field that no record has"),
        "{}",
        stderr(&build)
    );
}
