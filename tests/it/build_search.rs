//! `index build` and `search` end to end: ranking, filters, JSON fields, bad input.

use crate::{TestEnv, stderr};

fn texts(hits: &[serde_json::Value]) -> Vec<String> {
    hits.iter()
        .map(|hit| hit["passage"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn top_passage_for_ammunition_serbia_holds_both_words() {
    let env = TestEnv::with_fixture("basic");
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let hits = env.search_json("ammunition Serbia", &[]);
    assert!(hits.len() >= 2);
    let top = hits[0]["passage"].as_str().unwrap().to_lowercase();
    assert!(
        top.contains("ammunition") && top.contains("serbia"),
        "{top}"
    );
    assert_eq!(hits[0]["rank"], 1);
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "{scores:?}"
    );
}

/// Output that cannot be written is an error with status 2, said once; a reader that stops
/// early is not an error.
#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error() {
    let env = TestEnv::with_fixture("basic");
    assert_eq!(env.build().status.code(), Some(0));
    for args in [
        &["search", "ammunition", "--index", "index"][..],
        &["search", "ammunition", "--index", "index", "--json"][..],
    ] {
        let full = std::fs::File::create("/dev/full").expect("/dev/full");
        let output = env
            .command(args)
            .stdout(full)
            .output()
            .expect("run newsdex");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.matches("newsdex: error:").count(), 1, "{err}");
        assert!(err.contains("No space left on device"), "{err}");
    }
}

#[test]
fn json_hits_carry_every_documented_field() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let hits = env.search_json("Vucic", &[]);
    let hit = &hits[0];
    for key in [
        "rank",
        "score",
        "article_id",
        "path",
        "title",
        "date",
        "section",
        "passage",
        "snippet",
        "entities",
        "categories",
        "ordinal",
        "highlights",
    ] {
        assert!(hit.get(key).is_some(), "missing {key} in {hit}");
    }
    assert_eq!(hit["article_id"], "defence/shells.txt");
    assert_eq!(hit["date"], "2024-03-28T00:00:00Z");
    assert_eq!(hit["section"], "Political Dynamics");
    assert_eq!(hit["categories"], serde_json::json!(["defence"]));
    assert!(
        hit["title"]
            .as_str()
            .unwrap()
            .starts_with("Serbia has quietly become")
    );
    let entities = hit["entities"].as_array().unwrap();
    assert!(
        entities
            .iter()
            .any(|e| e["name"] == "Russia" && e["kind"] == "place"),
        "{entities:?}"
    );
    // The highlight ranges point at the query word inside the snippet.
    let snippet = hit["snippet"].as_str().unwrap();
    let range = &hit["highlights"][0];
    let (start, end) = (
        range["start"].as_u64().unwrap() as usize,
        range["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&snippet[start..end], "Vucic");
}

#[test]
fn date_filters_cut_the_results() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let all = env.search_json("Serbia", &[]);
    let recent = env.search_json("Serbia", &["--since", "2024-01-01"]);
    let older = env.search_json("Serbia", &["--until", "2023-12-31"]);
    assert!(!recent.is_empty() && !older.is_empty());
    assert_eq!(recent.len() + older.len(), all.len());
    assert!(
        recent
            .iter()
            .all(|h| h["date"].as_str().unwrap() >= "2024-01-01")
    );
    assert!(
        older
            .iter()
            .all(|h| h["date"].as_str().unwrap() < "2024-01-01")
    );
    // The end date is inclusive of the whole day.
    let one_day = env.search_json(
        "Serbia",
        &["--since", "2024-03-28", "--until", "2024-03-28"],
    );
    assert_eq!(one_day.len(), recent.len());
}

#[test]
fn section_and_entity_filters_cut_the_results() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let in_section = env.search_json("Serbia", &["--section", "political dynamics"]);
    assert_eq!(in_section.len(), 1);
    assert_eq!(in_section[0]["section"], "Political Dynamics");
    // Section words are stemmed: "political" also finds "Politics".
    let mut sections: Vec<String> = env
        .search_json("Serbia", &["--section", "political"])
        .iter()
        .map(|h| h["section"].as_str().unwrap().to_string())
        .collect();
    sections.sort();
    assert_eq!(sections, ["Political Dynamics", "Politics"]);

    let all = env.search_json("storage OR ammunition", &[]);
    let with_serbia = env.search_json("storage OR ammunition", &["--entity", "serbian"]);
    assert!(!with_serbia.is_empty() && with_serbia.len() < all.len());
    for hit in &with_serbia {
        let names: Vec<&str> = hit["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"Serbia"), "{names:?}");
    }
    let both = env.search_json(
        "storage OR ammunition",
        &["--entity", "Serbia", "--entity", "Hungary"],
    );
    assert_eq!(texts(&both).len(), 1);
    assert!(texts(&both)[0].contains("Hungary"));
}

#[test]
fn an_undated_article_goes_in_with_a_warning() {
    let env = TestEnv::with_fixture("basic");
    let output = env.build();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("energy/undated.txt: no date"),
        "{}",
        stderr(&output)
    );
    let hits = env.search_json("offshore wind", &[]);
    assert_eq!(hits[0]["date"], serde_json::Value::Null);
}

#[test]
fn bad_files_are_reported_and_everything_else_is_searchable() {
    let env = TestEnv::with_fixture("basic");
    let corpus = env.corpus();
    std::fs::write(corpus.join("empty.txt"), "").unwrap();
    std::fs::write(
        corpus.join("binary.txt"),
        [0x7fu8, b'E', b'L', b'F', 0, 0, 1, 2],
    )
    .unwrap();
    // Latin-1 is decoded with a warning; UTF-8 with a stray byte is refused.
    std::fs::write(
        corpus.join("latin.txt"),
        b" date 2024-01-01 Caf\xe9 in Beograd.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("broken.txt"),
        b" date 2024-01-01 Vu\xc4\x8di\xc4\x87.\n\nMore\xff text.\n",
    )
    .unwrap();
    std::fs::write(corpus.join(".hidden.txt"), " date 2024-01-01 hidden").unwrap();
    std::fs::write(corpus.join("notes.pdf"), "not an article").unwrap();
    let output = env.build();
    let messages = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{messages}");
    assert!(messages.contains("empty.txt: empty file"), "{messages}");
    assert!(messages.contains("binary.txt: binary file"), "{messages}");
    assert!(
        messages.contains("broken.txt:3: not valid UTF-8"),
        "{messages}"
    );
    assert!(
        messages.contains("latin.txt: not UTF-8: decoded as Latin-1"),
        "{messages}"
    );
    assert!(messages.contains("3 with errors"), "{messages}");
    assert!(messages.contains("1 hidden"), "{messages}");
    assert!(messages.contains("1 with unknown extensions"), "{messages}");
    assert!(!env.search_json("ammunition", &[]).is_empty());
    assert!(!env.search_json("storage", &[]).is_empty());
}

#[test]
fn a_clean_build_exits_zero_and_a_second_build_replaces_the_first() {
    let env = TestEnv::with_fixture("basic");
    assert_eq!(env.build().status.code(), Some(0));
    let before = env.search_json("Serbia", &[]).len();
    std::fs::remove_file(env.corpus().join("energy/gas.md")).unwrap();
    assert_eq!(env.build().status.code(), Some(0));
    let after = env.search_json("Serbia", &[]);
    assert!(after.len() < before);
    assert!(after.iter().all(|h| h["path"] != "energy/gas.md"));
}

#[test]
fn a_missing_corpus_is_one_clear_error() {
    let env = TestEnv::empty();
    let output = env.run(&["index", "build", "no-such-folder", "--index", "index"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("no-such-folder"), "{message}");
    assert_eq!(message.trim().lines().count(), 1, "{message}");
    // The failed first build leaves no index folder behind.
    assert!(!env.index().exists());
}

#[test]
fn a_directory_that_is_not_an_index_is_refused_and_left_alone() {
    let env = TestEnv::with_fixture("basic");
    std::fs::create_dir_all(env.index()).unwrap();
    std::fs::write(env.index().join("thesis.docx"), "precious").unwrap();
    let output = env.build();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a newsdex index"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(env.index().join("thesis.docx")).unwrap(),
        "precious"
    );
    let output = env.run(&["search", "x", "--index", "index"]);
    assert!(stderr(&output).contains("is not a newsdex index"));
}

#[test]
fn a_missing_index_names_the_command_that_builds_it() {
    let env = TestEnv::empty();
    let output = env.run(&["search", "ammunition", "--index", "elsewhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("newsdex index build"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_default_index_is_built_from_the_default_corpus_on_first_search() {
    let env = TestEnv::with_fixture("basic");
    let output = env.run(&["search", "ammunition Serbia", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("building it from `corpus`"));
    assert!(env.dir.path().join("index/meta.json").exists());
    let first = String::from_utf8(output.stdout).unwrap();
    assert!(first.lines().count() >= 1);
}

#[test]
fn a_malformed_query_gets_one_line_and_no_panic() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    for query in ["(ammunition", "\"open", "colour:red", "ammunition)"] {
        let output = env.run(&["search", query, "--index", "index"]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{query}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{query}: {message}");
        assert!(message.contains("invalid query"), "{message}");
    }
}

#[test]
fn a_search_that_finds_nothing_exits_one() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let output = env.run(&["search", "zeppelin", "--index", "index"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no passage matches"));
}

#[test]
fn text_output_shows_rank_date_title_path_section_and_entities() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let output = env.run(&["search", "Vucic", "--index", "index", "--color", "never"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("  1. ["), "{text}");
    assert!(text.contains("2024-03-28"));
    assert!(text.contains("defence/shells.txt › Political Dynamics"));
    assert!(text.contains("Russia(place)"));
    assert!(!text.contains('\u{1b}'), "colour with --color never");
    let output = env.run(&["search", "Vucic", "--index", "index", "--color", "always"]);
    assert!(String::from_utf8(output.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn an_index_inside_its_own_corpus_is_not_read_as_articles() {
    let env = TestEnv::with_fixture("basic");
    let nested = env.corpus().join("index");
    let nested_arg = nested.to_string_lossy().into_owned();
    let build = |env: &TestEnv| {
        let output = env.run(&["index", "build", "corpus", "--index", &nested_arg]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stderr(&output)
    };
    let first = build(&env);
    assert!(first.contains("from 4 files"), "{first}");
    // A second build finds nothing new: the index's own files are not articles.
    let second = build(&env);
    assert!(second.contains("0 new files, 0 touched"), "{second}");
    let output = env.run(&[
        "search",
        "meta OR segments",
        "--index",
        &nested_arg,
        "--json",
    ]);
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("meta.json"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_date_the_index_cannot_store_is_refused_never_stored_as_another() {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    for (name, date) in [
        ("far.md", "9999-12-31"),
        ("old.md", "1500-06-01"),
        ("ok.md", "1800-02-03"),
    ] {
        std::fs::write(
            env.corpus().join(name),
            format!("---\ntitle: Fleet\ndate: {date}\n---\n\nThe fleet sailed.\n"),
        )
        .unwrap();
    }
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for name in ["far.md: date `9999-12-31`", "old.md: date `1500-06-01`"] {
        assert!(stderr(&output).contains(name), "{}", stderr(&output));
    }
    // The three articles say the same: near-copies, shown each.
    let hits = env.search_json("fleet", &["--duplicates", "show"]);
    let mut dates: Vec<(String, serde_json::Value)> = hits
        .iter()
        .map(|hit| {
            (
                hit["path"].as_str().unwrap().to_string(),
                hit["date"].clone(),
            )
        })
        .collect();
    dates.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        dates,
        [
            ("far.md".to_string(), serde_json::Value::Null),
            (
                "ok.md".to_string(),
                serde_json::json!("1800-02-03T00:00:00Z")
            ),
            ("old.md".to_string(), serde_json::Value::Null),
        ]
    );
    // A filter bound past the storable dates means "from the earliest", not another date.
    let since = env.search_json("fleet", &["--since", "1500-01-01"]);
    assert_eq!(crate::article_ids(&since), ["ok.md"]);
}

/// The files of a folder and their modes, sorted.
fn files_and_modes(dir: &std::path::Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files: Vec<(String, u32)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            (entry.file_name().to_string_lossy().into_owned(), mode)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn searching_needs_no_write_access_and_the_index_is_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::with_fixture("basic");
    assert_eq!(env.build().status.code(), Some(0));
    // Under the usual umask every file of the index is readable by other accounts.
    let before = files_and_modes(&env.index());
    for (name, mode) in &before {
        assert_eq!(mode & 0o044, 0o044, "{name} is {mode:o}");
    }
    // A search, stats and entities write nothing into the index folder (no lock file).
    for name in [".tantivy-meta.lock", ".tantivy-writer.lock"] {
        let _ = std::fs::remove_file(env.index().join(name));
    }
    let before = files_and_modes(&env.index());
    assert!(!env.search_json("ammunition", &[]).is_empty());
    for args in [
        &["index", "stats", "--index", "index"][..],
        &["entities", "--index", "index"],
    ] {
        assert_eq!(env.run(args).status.code(), Some(0), "{args:?}");
    }
    assert_eq!(files_and_modes(&env.index()), before);
    // Run as another account on a read-only index, where this test runs as root (as CI does).
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if is_root && setpriv.exists() {
        let binary = env.dir.path().join("newsdex");
        std::fs::copy(env!("CARGO_BIN_EXE_newsdex"), &binary).unwrap();
        for path in [env.dir.path(), binary.as_path()] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        for entry in std::fs::read_dir(env.index()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        std::fs::set_permissions(env.index(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let output = std::process::Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .args(["search", "ammunition", "--json", "--index"])
            .arg(env.index())
            .current_dir(env.dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(!output.stdout.is_empty());
        std::fs::set_permissions(env.index(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn repeated_warnings_name_their_record_and_are_summarised() {
    let env = TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    let records: String = (1..=12)
        .map(|n| format!("{{\"id\": \"r{n}\", \"title\": \"Story {n}\", \"body\": \"Grain.\"}}\n"))
        .collect();
    std::fs::write(env.corpus().join("feed.jsonl"), records).unwrap();
    let output = env.build();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let messages = stderr(&output);
    let no_date: Vec<&str> = messages
        .lines()
        .filter(|line| line.contains("no date"))
        .collect();
    assert_eq!(no_date.len(), 6, "{messages}");
    assert!(no_date[0].contains("feed.jsonl#r1: no date"), "{messages}");
    assert!(
        no_date[5].contains("... and 7 more `no date` (`--verbose` lists them)"),
        "{messages}"
    );
    let output = env.run(&[
        "index",
        "build",
        "corpus",
        "--index",
        "index",
        "--rebuild",
        "--verbose",
    ]);
    let messages = stderr(&output);
    assert_eq!(
        messages
            .lines()
            .filter(|line| line.contains("no date"))
            .count(),
        12,
        "{messages}"
    );
}

#[test]
fn count_with_json_closes_with_the_total() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let output = env.run(&[
        "search",
        "ammunition OR gas",
        "--index",
        "index",
        "--json",
        "--count",
        "-n",
        "1",
        "--per-article",
        "0",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let hits: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|line| line.get("rank").is_some())
        .collect();
    assert_eq!(hits.len(), 1);
    let last = lines.last().unwrap();
    let total = last["total"]
        .as_u64()
        .expect("a closing {\"total\": N} line");
    let all = env.search_json("ammunition OR gas", &["--per-article", "0"]);
    assert!(
        total >= 2 && total as usize == all.len(),
        "{total} vs {}",
        all.len()
    );
}

#[test]
fn an_offset_past_the_last_match_says_so() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let output = env.run(&[
        "search",
        "ammunition",
        "--index",
        "index",
        "--offset",
        "1000",
        "--count",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("no passages past the first 1000 (--offset);"),
        "{text}"
    );
    assert!(!text.contains("no passage matches"), "{text}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let env = TestEnv::empty();
    for shell in ["bash", "zsh", "fish"] {
        let output = env.run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(
            script.contains("newsdex") && script.contains("entities"),
            "{shell}"
        );
    }
}

#[test]
fn another_folder_built_into_an_index_is_refused_instead_of_replacing_it() {
    let env = TestEnv::with_fixture("basic");
    assert_eq!(env.build().status.code(), Some(0));
    let before = env.search_json("ammunition", &[]).len();
    assert!(before > 0);
    let other = env.dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(
        other.join("grain.md"),
        "---\ntitle: Grain\ndate: 2024-01-02\n---\n\nWheat prices rose.\n",
    )
    .unwrap();
    for quiet in [false, true] {
        let mut args = vec!["index", "build", "other", "--index", "index"];
        if quiet {
            args.push("-q");
        }
        let output = env.run(&args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains("also holds `corpus`")
                && message.contains("newsdex index build other corpus")
                && message.contains("--rebuild"),
            "{message}"
        );
    }
    // Nothing was lost; with --rebuild the other folder replaces it.
    assert_eq!(env.search_json("ammunition", &[]).len(), before);
    let output = env.run(&["index", "build", "other", "--index", "index", "--rebuild"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        crate::article_ids(&env.search_json("wheat", &[])),
        ["grain.md"]
    );
}

#[test]
fn one_index_holds_several_sources_and_a_build_that_leaves_one_out_is_refused() {
    let env = TestEnv::with_fixture("basic");
    let wire = env.dir.path().join("wire");
    std::fs::create_dir_all(&wire).unwrap();
    std::fs::write(
        wire.join("grain.md"),
        "---\ntitle: Grain\ndate: 2024-01-02\n---\n\nWheat prices rose as ammunition plants closed.\n",
    )
    .unwrap();
    let output = env.run(&["index", "build", "corpus", "wire", "--index", "index"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Each source's articles are named by its folder.
    let ids = crate::article_ids(&env.search_json("ammunition", &[]));
    assert!(ids.contains(&"wire/grain.md".to_string()), "{ids:?}");
    assert!(
        ids.iter().any(|id| id.starts_with("corpus/defence/")),
        "{ids:?}"
    );
    let both = ids.len();
    // Building again with both, listed in newsdex.toml, changes nothing.
    std::fs::write(
        env.dir.path().join("newsdex.toml"),
        "corpus = [\"corpus\", \"wire\"]\n",
    )
    .unwrap();
    let again = env.run(&["index", "build", "--index", "index"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("0 added, 0 updated, 0 removed"),
        "{}",
        stderr(&again)
    );
    // One source alone would drop the other's articles: refused, naming it, nothing lost.
    std::fs::remove_file(env.dir.path().join("newsdex.toml")).unwrap();
    let alone = env.run(&["index", "build", "corpus", "--index", "index"]);
    assert_eq!(alone.status.code(), Some(2), "{}", stderr(&alone));
    let message = stderr(&alone);
    assert!(
        message.contains("also holds `wire`")
            && message.contains("newsdex index build corpus wire")
            && message.contains("--rebuild"),
        "{message}"
    );
    assert_eq!(
        crate::article_ids(&env.search_json("ammunition", &[])).len(),
        both
    );
    // --rebuild keeps only the sources named.
    let rebuilt = env.run(&["index", "build", "corpus", "--index", "index", "--rebuild"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", stderr(&rebuilt));
    let ids = crate::article_ids(&env.search_json("ammunition", &[]));
    assert!(!ids.iter().any(|id| id.contains("grain")), "{ids:?}");
}

#[test]
fn a_word_no_passage_holds_gets_a_suggestion_in_text_and_json() {
    let env = TestEnv::with_fixture("basic");
    env.build();
    let lines = env.search_json("amunition storage", &[]);
    let last = lines.last().expect("some output");
    assert_eq!(last["did_you_mean"], "ammunition storage", "{last}");
    assert_eq!(last["suggestions"][0]["word"], "amunition");
    assert_eq!(last["suggestions"][0]["suggestion"], "ammunition");
    let text = env.run(&["search", "amunition storage", "--index", "index"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("did you mean: ammunition storage?"), "{text}");
    // A word the index holds gets none.
    let lines = env.search_json("ammunition storage", &[]);
    assert!(lines.iter().all(|line| line.get("did_you_mean").is_none()));
}

/// `--memory` bounds the whole build: a budget that cannot hold the build's readers, queues and
/// per-file bookkeeping beside the writer's minimum is refused before any work, with the
/// budget it would take, and the index stays as it was.
#[test]
fn a_memory_budget_too_small_for_the_build_is_refused_and_the_index_kept() {
    let env = TestEnv::with_fixture("basic");
    assert_eq!(env.build().status.code(), Some(0));
    let before = env.search_json("ammunition Serbia", &[]);
    assert!(!before.is_empty());
    let output = env.build_with(&["--rebuild", "--memory", "20"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("--memory 20 MB is too little"), "{err}");
    // The budget it names is enough.
    let needed = err
        .split("give --memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|mb| mb.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no budget named: {err}"));
    assert_eq!(env.search_json("ammunition Serbia", &[]), before);
    let output = env.build_with(&["--rebuild", "--memory", &needed.to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        env.search_json("ammunition Serbia", &[]).len(),
        before.len()
    );
}
