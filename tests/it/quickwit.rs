//! `--backend quickwit` and `export quickwit` through the real binary, against a replay server
//! on 127.0.0.1 that answers with canned Quickwit responses.

use std::process::Output;

use crate::replay::{Canned, ReplayServer, Route, passage_hit};
use serde_json::json;

use crate::{TestEnv, stderr};

/// Runs newsdex in the test's folder with exactly these backend variables.
fn run_with(env: &TestEnv, args: &[&str], variables: &[(&str, &str)]) -> Output {
    env.command(args)
        .envs(variables.iter().copied())
        .output()
        .expect("run newsdex")
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    run_with(env, args, &[])
}

/// `newsdex index build corpus --backend quickwit --url URL` and `extra`.
fn build_on(env: &TestEnv, url: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "index",
        "build",
        "corpus",
        "--backend",
        "quickwit",
        "--url",
        url,
    ];
    args.extend_from_slice(extra);
    run(env, &args)
}

fn succeeded(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// Two passages of one article about ammunition.
fn ammunition_hits() -> Canned {
    Canned::search_hits(
        vec![
            passage_hit(
                "a.md",
                1,
                "Exports",
                "Serbian factories sold ammunition abroad.",
            ),
            passage_hit("a.md", 2, "Exports", "The ammunition went by rail."),
        ],
        None,
    )
}

/// The same passages as Quickwit's Elasticsearch-compatible endpoint returns them for a
/// ranked search: with their BM25 scores.
fn scored_ammunition_hits() -> Canned {
    Canned::elastic_hits(vec![
        (
            passage_hit(
                "a.md",
                1,
                "Exports",
                "Serbian factories sold ammunition abroad.",
            ),
            2.75,
        ),
        (
            passage_hit("a.md", 2, "Exports", "The ammunition went by rail."),
            1.5,
        ),
    ])
}

/// The native and the Elasticsearch-compatible searches of an index, answered with the
/// ammunition passages.
fn ammunition_routes(index_id: &str) -> [Route; 2] {
    [
        Route::search(index_id, vec![ammunition_hits()]),
        Route::elastic(index_id, vec![scored_ammunition_hits()]),
    ]
}

/// The bodies of the searches (native or Elasticsearch-compatible) the server received.
fn search_bodies(server: &ReplayServer) -> Vec<serde_json::Value> {
    server
        .received()
        .iter()
        .filter(|r| r.target.ends_with("search"))
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

#[test]
fn quickwit_build_and_search_through_the_binary() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::create_index("news"),
        Route::ingest("news", vec![Canned::ingested(1_000, 0)]),
        Route::search("news", vec![ammunition_hits()]),
        Route::elastic("news", vec![scored_ammunition_hits()]),
    ])
    .unwrap();
    let url = server.url();
    let output = build_on(&env, &url, &["--index-id", "news"]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("created Quickwit index `news`"), "{stderr}");
    // The build returns once what it sent is searchable, and says how long that took.
    assert!(
        stderr.contains("searchable: Quickwit committed the passages"),
        "{stderr}"
    );
    let last_ingest = server
        .received()
        .into_iter()
        .rfind(|r| r.target.contains("/ingest"))
        .unwrap();
    assert_eq!(last_ingest.target, "/api/v1/news/ingest?commit=wait_for");
    assert!(
        !env.index().exists(),
        "a Quickwit build writes no local index"
    );
    let ingested: usize = server
        .received()
        .iter()
        .filter(|r| r.target.contains("/ingest"))
        .map(|r| r.body.lines().count())
        .sum();
    assert!(
        stderr.contains(&format!("as {ingested} passages")),
        "{stderr}"
    );

    // The backend, URL and index id may come from the environment.
    let output = run_with(
        &env,
        &["search", "ammunition", "--json"],
        &[
            ("NEWSDEX_BACKEND", "quickwit"),
            ("NEWSDEX_QUICKWIT_URL", &url),
            ("NEWSDEX_QUICKWIT_INDEX", "news"),
        ],
    );
    let hits: Vec<serde_json::Value> = succeeded(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(hits.len(), 2);
    // Ranked by Quickwit's BM25, with its scores.
    assert_eq!(hits[0]["score"], 2.75);
    assert_eq!(hits[1]["score"], 1.5);
    assert_eq!(hits[0]["section"], "Exports");
    assert_eq!(
        hits[0]["entities"][0],
        json!({"name": "Serbia", "kind": "place"})
    );
    let snippet = hits[1]["snippet"].as_str().unwrap();
    let start = hits[1]["highlights"][0]["start"].as_u64().unwrap() as usize;
    let end = hits[1]["highlights"][0]["end"].as_u64().unwrap() as usize;
    assert_eq!(&snippet[start..end], "ammunition");
}

#[test]
fn entities_on_quickwit_are_written_as_locally() {
    let env = TestEnv::with_fixture("basic");
    assert!(
        run(&env, &["index", "build", "corpus", "--index", "index"])
            .status
            .success()
    );
    let local_json = succeeded(&run(
        &env,
        &[
            "entities",
            "ammunition",
            "--index",
            "index",
            "--json",
            "--top",
            "5",
        ],
    ));
    let local_text = succeeded(&run(
        &env,
        &["entities", "ammunition", "--index", "index", "--top", "5"],
    ));
    // Quickwit answers the same counts as label buckets, in another order.
    let buckets: Vec<serde_json::Value> = local_json
        .lines()
        .rev()
        .map(|line| {
            let count: serde_json::Value = serde_json::from_str(line).unwrap();
            json!({"key": format!("{}:{}", count["kind"].as_str().unwrap(), count["name"].as_str().unwrap()),
                   "doc_count": count["count"]})
        })
        .collect();
    assert!(buckets.len() >= 2, "{local_json}");
    let aggregations = json!({"entities": {"buckets": buckets, "sum_other_doc_count": 0}});
    let server = ReplayServer::start(vec![Route::search(
        "news",
        vec![Canned::search_hits(Vec::new(), Some(aggregations))],
    )])
    .unwrap();
    let quickwit = [
        "--backend",
        "quickwit",
        "--url",
        &server.url(),
        "--index-id",
        "news",
    ];
    let mut args = vec!["entities", "ammunition", "--top", "5", "--json"];
    args.extend(quickwit);
    assert_eq!(succeeded(&run(&env, &args)), local_json);
    args.retain(|arg| *arg != "--json");
    assert_eq!(succeeded(&run(&env, &args)), local_text);
    let bodies = search_bodies(&server);
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["query"], "all_stems:ammunit");
    assert_eq!(bodies[0]["max_hits"], 0);
    assert_eq!(
        bodies[0]["aggs"]["entities"]["terms"]["field"],
        "entity_labels"
    );
}

#[test]
fn bench_on_quickwit_times_http_searches_from_a_query_file() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::describe("news", 1_656, 3),
        Route::search("news", vec![ammunition_hits()]),
        Route::elastic("news", vec![scored_ammunition_hits()]),
    ])
    .unwrap();
    std::fs::write(
        env.dir.path().join("queries.txt"),
        "# two queries and one Quickwit cannot run\nammunition\nphrase\t\"ammunition abroad\"\nammunition~1\n",
    )
    .unwrap();
    let url = server.url();
    let quickwit = ["--backend", "quickwit", "--url", &url, "--index-id", "news"];
    let mut args = vec![
        "bench",
        "--queries",
        "queries.txt",
        "--rounds",
        "2",
        "--warmup",
        "1",
        "--json",
    ];
    args.extend(quickwit);
    let output = run(&env, &args);
    let report: serde_json::Value = serde_json::from_str(&succeeded(&output)).unwrap();
    assert!(
        stderr(&output).contains("queries.txt:4: skipped: fuzzy matching"),
        "{}",
        stderr(&output)
    );
    assert_eq!(report["index"], format!("{url} index news"));
    assert_eq!(report["passages"], 1_656);
    assert_eq!(report["segments"], 3);
    assert_eq!(report["queries"], 2);
    assert_eq!(report["skipped_queries"], 1);
    assert_eq!(report["all"]["count"], 4);
    assert_eq!(report["classes"]["phrase"]["count"], 2);
    // One warm-up and two measured rounds of two queries, each one HTTP search.
    assert_eq!(search_bodies(&server).len(), 6);
    assert!(
        !env.index().exists(),
        "bench on Quickwit needs no local index"
    );

    // Without a query file, the seeded mix needs a local index to be drawn from.
    let output = run(&env, &["bench", "--backend", "quickwit", "--url", &url]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the seeded query mix is drawn from a local index"),
        "{}",
        stderr(&output)
    );
    assert!(
        run(&env, &["index", "build", "corpus", "--index", "index"])
            .status
            .success()
    );
    let mut args = vec![
        "bench",
        "--index",
        "index",
        "--per-class",
        "1",
        "--rounds",
        "1",
        "--warmup",
        "0",
        "--json",
    ];
    args.extend(quickwit);
    let before = search_bodies(&server).len();
    let report: serde_json::Value = serde_json::from_str(&succeeded(&run(&env, &args))).unwrap();
    assert_eq!(report["queries_from"], "generated");
    let n_queries = report["queries"].as_u64().unwrap() as usize;
    assert!(n_queries > 0);
    assert_eq!(search_bodies(&server).len() - before, n_queries);
}

#[test]
fn backend_settings_come_from_flags_then_environment_then_newsdex_toml() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(
        ["from-file", "from-env", "from-flag", "from-config"]
            .into_iter()
            .flat_map(ammunition_routes)
            .collect(),
    )
    .unwrap();
    let url = server.url();
    std::fs::write(
        env.dir.path().join("newsdex.toml"),
        format!(
            "backend = \"quickwit\"\n\n[quickwit]\nurl = \"{url}\"\nindex-id = \"from-file\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        env.dir.path().join("other.toml"),
        format!(
            "backend = \"quickwit\"\n[quickwit]\nurl = \"{url}\"\nindex-id = \"from-config\"\n"
        ),
    )
    .unwrap();
    let last_index = || {
        let received = server.received();
        let target = received.last().unwrap().target.clone();
        target
            .trim_start_matches("/api/v1/_elastic/")
            .trim_end_matches("/_search")
            .to_string()
    };
    let search = ["search", "ammunition", "--json"];
    succeeded(&run(&env, &search));
    assert_eq!(last_index(), "from-file");
    let from_env = [("NEWSDEX_QUICKWIT_INDEX", "from-env")];
    succeeded(&run_with(&env, &search, &from_env));
    assert_eq!(last_index(), "from-env");
    let mut with_flag = search.to_vec();
    with_flag.extend(["--index-id", "from-flag"]);
    succeeded(&run_with(&env, &with_flag, &from_env));
    assert_eq!(last_index(), "from-flag");
    let mut with_config = search.to_vec();
    with_config.extend(["--config", "other.toml"]);
    succeeded(&run(&env, &with_config));
    assert_eq!(last_index(), "from-config");
    succeeded(&run_with(
        &env,
        &search,
        &[("NEWSDEX_CONFIG", "other.toml")],
    ));
    assert_eq!(last_index(), "from-config");

    // `--backend local` overrides the file: the default index is built and searched.
    let n_received = server.received().len();
    let mut local = search.to_vec();
    local.extend(["--backend", "local"]);
    let output = run(&env, &local);
    assert!(!succeeded(&output).is_empty());
    assert!(env.index().exists());
    assert_eq!(server.received().len(), n_received);

    // A mistake in the file is one line naming the file, line and column.
    std::fs::write(
        env.dir.path().join("newsdex.toml"),
        "backend = \"quickwit\"\n[quickwit]\nurll = \"http://x\"\n",
    )
    .unwrap();
    let output = run(&env, &search);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("newsdex.toml:3:1: unknown field `urll`"),
        "{}",
        stderr(&output)
    );
    let output = run(&env, &["search", "ammunition", "--config", "missing.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read `missing.toml`"));
}

#[test]
fn rejected_documents_make_the_build_incomplete() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::create_index("newsdex-passages"),
        Route::ingest("newsdex-passages", vec![Canned::ingested(5, 2)]),
    ])
    .unwrap();
    let output = build_on(&env, &server.url(), &[]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: Quickwit rejected 2 of"), "{stderr}");
    assert!(stderr.contains(".md"), "{stderr}");
}

#[test]
fn an_unreachable_quickwit_is_one_line_naming_the_url() {
    let env = TestEnv::with_fixture("basic");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let quickwit = ["--backend", "quickwit", "--url", url.as_str()];
    for command in [
        &["search", "ammunition"][..],
        &["index", "build", "corpus"],
        &["entities", "ammunition"],
        &["bench", "--queries", "queries.txt"],
    ] {
        std::fs::write(env.dir.path().join("queries.txt"), "ammunition\n").unwrap();
        let mut args = command.to_vec();
        args.extend(quickwit);
        let output = run(&env, &args);
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("cannot reach Quickwit at {url}/")),
            "{stderr}"
        );
        assert!(!env.index().exists());
    }
    let output = run(&env, &["search", "ammunition", "--backend", "quickwit"]);
    assert!(stderr(&output).contains("needs --url"));
}

#[test]
fn export_quickwit_writes_a_config_and_ndjson() {
    let env = TestEnv::with_fixture("basic");
    let output = run(&env, &["export", "quickwit", "corpus", "--out", "qw"]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("quickwit index create --index-config"),
        "{stderr}"
    );
    let out = env.dir.path().join("qw");
    let yaml = std::fs::read_to_string(out.join("index-config.yaml")).unwrap();
    assert!(yaml.contains("index_id: newsdex-passages"));
    let ndjson = std::fs::read_to_string(out.join("passages-00001.ndjson")).unwrap();
    for line in ndjson.lines() {
        let document: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(document["text_stems"].is_string());
        assert!(document["passage_id"].is_string());
    }
    assert!(ndjson.lines().count() > 0);
}

#[test]
fn quickwit_date_order_is_newest_first_and_no_wait_builds_do_not_wait() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::create_index("news"),
        Route::ingest("news", vec![Canned::ingested(1_000, 0)]),
        Route::search("news", vec![ammunition_hits()]),
    ])
    .unwrap();
    let url = server.url();
    let output = build_on(&env, &url, &["--index-id", "news", "--no-wait"]);
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not waiting (--no-wait)"), "{stderr}");
    assert!(
        server
            .received()
            .iter()
            .all(|r| !r.target.contains("commit")),
        "--no-wait sends no commit parameter"
    );
    let quickwit = ["--backend", "quickwit", "--url", &url, "--index-id", "news"];
    let mut args = vec!["search", "ammunition", "--sort", "date", "--json"];
    args.extend(quickwit);
    succeeded(&run(&env, &args));
    let bodies = search_bodies(&server);
    // A bare field sorts descending in Quickwit: newest first, as locally.
    assert_eq!(bodies.last().unwrap()["sort_by"], "date");
}
