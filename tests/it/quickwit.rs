//! `--backend quickwit` and `export quickwit` through the real binary, against a replay server
//! on 127.0.0.1 that answers with canned Quickwit responses.

use newsdex::backend::quickwit::replay::{Canned, ReplayServer, Route};
use serde_json::json;

use crate::TestEnv;

fn created() -> Canned {
    Canned::new(
        200,
        json!({"index_uid": "news:01", "index_config": {}}).to_string(),
    )
}

fn ingest_answer(n_docs: u64, n_rejected: u64) -> Canned {
    Canned::new(
        200,
        json!({"num_docs_for_processing": n_docs, "num_ingested_docs": n_docs - n_rejected,
               "num_rejected_docs": n_rejected})
        .to_string(),
    )
}

fn search_answer() -> Canned {
    let hit = |ordinal: u64, text: &str| {
        json!({"passage_id": format!("a.md-{ordinal}"), "article_id": "a.md", "path": "a.md",
               "title": "Shells", "date": "2024-03-28T00:00:00Z", "section": "Exports",
               "category": "defence", "category_name": "defence",
               "entities": ["serbia"], "entity_labels": ["place:Serbia"],
               "ordinal": ordinal, "text": text})
    };
    Canned::new(
        200,
        json!({"num_hits": 2, "elapsed_time_micros": 10, "errors": [],
               "hits": [hit(1, "Serbian factories sold ammunition abroad."),
                        hit(2, "The ammunition went by rail.")]})
        .to_string(),
    )
}

#[test]
fn quickwit_build_and_search_through_the_binary() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::new("POST", "/api/v1/indexes", vec![created()]),
        Route::new("POST", "/api/v1/news/ingest", vec![ingest_answer(1_000, 0)]),
        Route::new("POST", "/api/v1/news/search", vec![search_answer()]),
    ])
    .unwrap();
    let url = server.url();
    let output = env.run(&[
        "index",
        "build",
        "corpus",
        "--backend",
        "quickwit",
        "--url",
        &url,
        "--index-id",
        "news",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("created Quickwit index `news`"), "{stderr}");
    assert!(
        !env.index().exists(),
        "a Quickwit build writes no local index"
    );
    let ingested: usize = server
        .received()
        .iter()
        .filter(|r| r.target.ends_with("/ingest"))
        .map(|r| r.body.lines().count())
        .sum();
    assert!(
        stderr.contains(&format!("as {ingested} passages")),
        "{stderr}"
    );

    // The backend, URL and index id may come from the environment.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_newsdex"))
        .args(["search", "ammunition", "--json"])
        .current_dir(env.dir.path())
        .env("NEWSDEX_BACKEND", "quickwit")
        .env("NEWSDEX_QUICKWIT_URL", &url)
        .env("NEWSDEX_QUICKWIT_INDEX", "news")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let hits: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(hits.len(), 2);
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
fn rejected_documents_make_the_build_incomplete() {
    let env = TestEnv::with_fixture("basic");
    let server = ReplayServer::start(vec![
        Route::new("POST", "/api/v1/indexes", vec![created()]),
        Route::new(
            "POST",
            "/api/v1/newsdex-passages/ingest",
            vec![ingest_answer(5, 2)],
        ),
    ])
    .unwrap();
    let output = env.run(&[
        "index",
        "build",
        "corpus",
        "--backend",
        "quickwit",
        "--url",
        &server.url(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
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
    for args in [
        vec![
            "search",
            "ammunition",
            "--backend",
            "quickwit",
            "--url",
            &url,
        ],
        vec![
            "index",
            "build",
            "corpus",
            "--backend",
            "quickwit",
            "--url",
            &url,
        ],
    ] {
        let output = env.run(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("cannot reach Quickwit at {url}/")),
            "{stderr}"
        );
        assert!(!env.index().exists());
    }
    let output = env.run(&["search", "ammunition", "--backend", "quickwit"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs --url"));
}

#[test]
fn export_quickwit_writes_a_config_and_ndjson() {
    let env = TestEnv::with_fixture("basic");
    let output = env.run(&["export", "quickwit", "corpus", "--out", "qw"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
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
