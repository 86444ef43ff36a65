use std::time::Duration;

use serde_json::json;

use super::super::client::ClientOptions;
use super::super::replay::{Canned, ReceivedRequest, ReplayServer, Route};
use super::*;
use crate::build::{HOLD_BYTES, Silent};

fn corpus() -> tempfile::TempDir {
    let corpus = tempfile::tempdir().unwrap();
    for idx in 0..4 {
        std::fs::write(
            corpus.path().join(format!("a{idx}.md")),
            format!(
                "# Report {idx}\n\nSerbian shells were exported to Ukraine.\n\nNATO said little.\n"
            ),
        )
        .unwrap();
    }
    corpus
}

fn options(corpus: &std::path::Path, rebuild: bool) -> UploadOptions {
    UploadOptions {
        corpus: corpus.to_path_buf(),
        walk: WalkOptions::default(),
        index_id: "news".to_string(),
        rebuild,
        max_batch_bytes: MAX_BATCH_BYTES,
        max_batch_docs: 3,
        fields: Vec::new(),
        extras: Vec::new(),
        wait: Some(fast_wait()),
    }
}

fn fast_wait() -> WaitOptions {
    WaitOptions {
        commit_timeout: Duration::from_secs(5),
        delete_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(10),
    }
}

/// `POST /api/v1/news/search` answered with a count of `n_hits`.
fn count(n_hits: u64) -> Canned {
    Canned::new(
        200,
        json!({"num_hits": n_hits, "hits": [], "elapsed_time_micros": 1, "errors": []}).to_string(),
    )
}

/// A replay server holding an index `news` of newsdex's mapping: delete tasks are
/// accepted, ingests answered with 3 documents each, counts with `counts` in turn.
fn existing_news_server(counts: Vec<Canned>) -> ReplayServer {
    let names: Vec<&str> = mapping::index_config("news")
        .doc_mapping
        .field_mappings
        .iter()
        .map(|field| field.name)
        .collect();
    ReplayServer::start(vec![
        existing_index(&names),
        Route::new(
            "POST",
            "/api/v1/news/delete-tasks",
            vec![Canned::new(
                200,
                json!({"create_timestamp": 1, "opstamp": 1, "delete_query": {}}).to_string(),
            )],
        ),
        Route::ingest("news", vec![Canned::ingested(3, 0)]),
        Route::search("news", counts),
    ])
    .unwrap()
}

#[test]
fn only_the_last_batch_waits_for_its_commit() {
    let corpus = corpus();
    let server = news_server(vec![Canned::ingested(3, 0)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    let targets: Vec<String> = server
        .received()
        .into_iter()
        .filter(|r| r.target.contains("/ingest"))
        .map(|r| r.target)
        .collect();
    assert!(targets.len() >= 2, "{targets:?}");
    let (last, earlier) = targets.split_last().unwrap();
    assert_eq!(last, "/api/v1/news/ingest?commit=wait_for");
    assert!(
        earlier.iter().all(|t| t == "/api/v1/news/ingest"),
        "{targets:?}"
    );
    assert!(matches!(
        report.visibility,
        Visibility::Searchable {
            deletes: Deletes::None,
            ..
        }
    ));
    // --no-wait: nothing waits, and the report says so.
    let server = news_server(vec![Canned::ingested(3, 0)]);
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let mut no_wait = options(corpus.path(), false);
    no_wait.wait = None;
    let report = upload(&no_wait, &EntityExtractor::builtin(), &client, &Silent).unwrap();
    assert_eq!(report.visibility, Visibility::NotWaited);
    assert!(
        server
            .received()
            .iter()
            .all(|r| !r.target.contains("commit"))
    );
}

#[test]
fn a_server_that_never_commits_ends_the_wait_with_a_clear_message() {
    let corpus = corpus();
    // The only batch waits for a commit that does not come within the bound.
    let server = news_server(vec![
        Canned::ingested(8, 0).delayed(Duration::from_millis(1500)),
    ]);
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let mut options = options(corpus.path(), false);
    options.max_batch_docs = MAX_BATCH_DOCS;
    options.wait = Some(WaitOptions {
        commit_timeout: Duration::from_millis(300),
        ..fast_wait()
    });
    let error = upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("gave up waiting for Quickwit index `news` to make what was sent searchable (8 passages in 1 ingest requests, the last with commit=wait_for): Quickwit at "),
        "{message}"
    );
    assert!(message.contains("did not answer within 0.3 s"), "{message}");
    assert!(message.contains("--no-wait"), "{message}");
}

#[test]
fn an_update_waits_until_the_delete_tasks_are_applied() {
    let corpus = corpus();
    // Old and new passages, then the new ones only.
    let server = existing_news_server(vec![count(17), count(17), count(9)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    assert_eq!(report.ingested, 9);
    assert!(
        matches!(
            report.visibility,
            Visibility::Searchable {
                deletes: Deletes::Applied { .. },
                ..
            }
        ),
        "{:?}",
        report.visibility
    );
    let received = server.received();
    let counts: Vec<&ReceivedRequest> = received
        .iter()
        .filter(|r| r.target.ends_with("/search"))
        .collect();
    assert_eq!(counts.len(), 3);
    let sent: serde_json::Value = serde_json::from_str(&counts[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"query": "path:\"a0.md\" OR path:\"a1.md\" OR path:\"a2.md\" OR path:\"a3.md\"",
               "max_hits": 0, "count_all": true})
    );
    // Every count comes after the last batch was committed.
    let last_ingest = received
        .iter()
        .rposition(|r| r.target.contains("/ingest"))
        .unwrap();
    assert!(received[last_ingest].target.ends_with("commit=wait_for"));
    assert!(
        received
            .iter()
            .position(|r| r.target.ends_with("/search"))
            .unwrap()
            > last_ingest
    );
}

#[test]
fn delete_tasks_still_pending_at_the_bound_are_reported_not_waited_for_forever() {
    let corpus = corpus();
    let server = existing_news_server(vec![count(17)]);
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let mut options = options(corpus.path(), false);
    options.wait = Some(WaitOptions {
        delete_timeout: Duration::from_millis(200),
        ..fast_wait()
    });
    let report = upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap();
    let Visibility::Searchable {
        deletes: Deletes::Pending { old_passages, .. },
        ..
    } = report.visibility
    else {
        panic!("{:?}", report.visibility)
    };
    assert_eq!(old_passages, 8);
}

/// Uploads `corpus` to index `news` on `url`, with batches of 3 passages and short backoffs.
fn upload_to(
    url: &str,
    corpus: &std::path::Path,
    rebuild: bool,
) -> Result<UploadReport, UploadError> {
    let client = QuickwitClient::new(
        url,
        ClientOptions {
            backoff: Duration::from_millis(5),
            ..ClientOptions::default()
        },
    );
    upload(
        &options(corpus, rebuild),
        &EntityExtractor::builtin(),
        &client,
        &Silent,
    )
}

/// `GET /api/v1/indexes/news`, answered with an index of these field names.
fn existing_index(field_names: &[&str]) -> Route {
    let fields: Vec<_> = field_names
        .iter()
        .map(|name| json!({"name": name}))
        .collect();
    let metadata = json!({"index_uid": "news:01", "index_config": {"doc_mapping": {"field_mappings": fields}}});
    Route::new(
        "GET",
        "/api/v1/indexes/news",
        vec![Canned::new(200, metadata.to_string())],
    )
}

/// Every document `server` was sent to ingest, in the order it received them.
fn ingested_documents(server: &ReplayServer) -> Vec<serde_json::Value> {
    server
        .received()
        .into_iter()
        .filter(|r| r.target.contains("/ingest"))
        .flat_map(|r| {
            r.body
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect::<Vec<serde_json::Value>>()
        })
        .collect()
}

/// A replay server on which the index `news` is created and each ingest gets the next of
/// `replies`.
fn news_server(replies: Vec<Canned>) -> ReplayServer {
    ReplayServer::start(vec![
        Route::create_index("news"),
        Route::ingest("news", replies),
    ])
    .unwrap()
}

#[test]
fn creates_the_index_then_ingests_bounded_batches() {
    let corpus = corpus();
    let server = news_server(vec![Canned::ingested(3, 0)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    assert_eq!(report.action, IndexAction::Created);
    let received = server.received();
    assert_eq!(received[0].method, "GET");
    assert_eq!(
        received[1].content_type.as_deref(),
        Some("application/yaml")
    );
    assert!(received[1].body.contains("index_id: news"));
    let ingests: Vec<_> = received
        .iter()
        .filter(|r| r.target.contains("ingest"))
        .collect();
    let n_lines: usize = ingests.iter().map(|r| r.body.lines().count()).sum();
    assert_eq!(n_lines, report.build.passages);
    assert!(ingests.iter().all(|r| r.body.lines().count() <= 3));
    assert!(ingests.iter().all(|r| !r.target.contains("commit=force")));
    assert_eq!(report.batches, ingests.len());
    assert!(report.is_complete());
}

#[test]
fn field_overrides_and_the_given_extractor_shape_the_documents() {
    let corpus = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("feed.jsonl"),
        r#"{"headline": "Shells", "story": "Zorblax Industries sold shells.", "when": "2024-03-28", "date": "1999-01-01"}"#,
    )
    .unwrap();
    let entities = corpus.path().join("entities.tsv");
    std::fs::write(&entities, "Zorblax Industries\torganisation\tZorblax\n").unwrap();
    let extractor = EntityExtractor::from_option(Some(entities.as_path())).unwrap();
    let server = news_server(vec![Canned::ingested(1, 0)]);
    let mut options = options(corpus.path(), false);
    options.fields = ["date=when", "body=story"]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let report = upload(&options, &extractor, &client, &Silent).unwrap();
    assert!(report.is_complete());
    let documents = ingested_documents(&server);
    assert!(
        documents
            .iter()
            .all(|d| d["date"] == "2024-03-28T00:00:00Z")
    );
    assert!(documents.iter().any(|d| {
        d["entity_labels"]
            .as_array()
            .unwrap()
            .contains(&json!("organisation:Zorblax Industries"))
    }));
}

/// a.md and c.md use ICCO; b.md, read between them, defines it; d.md names no acronym.
fn acronym_corpus() -> tempfile::TempDir {
    let corpus = tempfile::tempdir().unwrap();
    for (name, text) in [
        (
            "a.md",
            "# Cocoa\n\nThe ICCO council met in London on Tuesday.\n",
        ),
        (
            "b.md",
            "# Pact\n\nThe International Cocoa Organization (ICCO) agreed on a buffer stock.\n",
        ),
        (
            "c.md",
            "# Stocks\n\nThe ICCO buffer stock manager bought cocoa.\n",
        ),
        ("d.md", "# Markets\n\nPrices rose in Belgrade.\n"),
    ] {
        std::fs::write(corpus.path().join(name), text).unwrap();
    }
    corpus
}

/// The entity labels of the documents of `path` among NDJSON `documents`.
fn labels_of(documents: &[serde_json::Value], path: &str) -> Vec<String> {
    documents
        .iter()
        .filter(|d| d["path"] == path)
        .flat_map(|d| d["entity_labels"].as_array().cloned().unwrap_or_default())
        .map(|label| label.as_str().unwrap().to_string())
        .collect()
}

/// The documents the stream makes of `corpus`, in the order it sends them.
fn encoded(corpus: &std::path::Path, hold_bytes: usize) -> Vec<serde_json::Value> {
    let walk = ingest::walk_corpus(corpus, &WalkOptions::default()).unwrap();
    let map = corpus_field_map(corpus, &[], &[]).unwrap();
    let mut documents = Vec::new();
    let mut sink = NdjsonSink {
        send: |line: String, _: &str| {
            documents.push(serde_json::from_str(&line).unwrap());
            Ok::<(), ()>(())
        },
    };
    crate::build::stream_corpus_holding(
        walk,
        &map,
        &EntityExtractor::builtin(),
        &Silent,
        hold_bytes,
        &mut sink,
    )
    .unwrap();
    documents
}

/// The one label of b.md's long form, "kind:International Cocoa Organization".
fn long_form(documents: &[serde_json::Value]) -> String {
    let labels = labels_of(documents, "b.md");
    let long: Vec<&String> = labels
        .iter()
        .filter(|label| label.ends_with(":International Cocoa Organization"))
        .collect();
    assert_eq!(long.len(), 1, "{labels:?}");
    long[0].clone()
}

#[test]
fn an_acronym_another_file_defines_resolves_through_the_corpus_table() {
    let corpus = acronym_corpus();
    let server = news_server(vec![Canned::ingested(1, 0)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    assert!(report.is_complete());
    let documents = ingested_documents(&server);
    let long_form = long_form(&documents);
    for path in ["a.md", "c.md"] {
        let used = labels_of(&documents, path);
        assert!(used.contains(&long_form), "{path}: {used:?}");
        assert!(
            !used.iter().any(|label| label.ends_with(":ICCO")),
            "{used:?}"
        );
    }
    // The articles that use the acronym wait for the table; the others do not.
    let order: Vec<&str> = documents
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["b.md", "d.md", "a.md", "c.md"]);
}

#[test]
fn past_the_hold_budget_an_article_takes_the_table_of_the_files_read_before_it() {
    let corpus = acronym_corpus();
    let documents = encoded(corpus.path(), 0);
    let order: Vec<&str> = documents
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["a.md", "b.md", "c.md", "d.md"]);
    let long_form = long_form(&documents);
    // a.md comes before the definition: its acronym stays as written.
    let first = labels_of(&documents, "a.md");
    assert!(
        first.iter().any(|label| label.ends_with(":ICCO")),
        "{first:?}"
    );
    assert!(!first.contains(&long_form), "{first:?}");
    assert!(labels_of(&documents, "c.md").contains(&long_form));
    // With room to hold them, both wait for the whole table.
    let documents = encoded(corpus.path(), HOLD_BYTES);
    assert!(labels_of(&documents, "a.md").contains(&long_form));
}

#[test]
fn rejected_documents_are_counted_with_their_articles() {
    let corpus = corpus();
    let server = news_server(vec![Canned::ingested(3, 2), Canned::ingested(3, 0)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    assert_eq!(report.rejected, 2);
    assert!(!report.is_complete());
    assert_eq!(report.rejected_batches.len(), 1);
    assert_eq!(report.rejected_batches[0].article_paths[0], "a0.md");
}

#[test]
fn an_existing_index_gets_delete_tasks_before_new_passages() {
    let corpus = corpus();
    let server = existing_news_server(vec![count(9)]);
    let report = upload_to(&server.url(), corpus.path(), false).unwrap();
    assert_eq!(report.action, IndexAction::Updated { delete_tasks: 1 });
    let received = server.received();
    assert!(received[1].target.ends_with("/delete-tasks"));
    assert_eq!(
        received[1].body,
        r#"{"query":"path:\"a0.md\" OR path:\"a1.md\" OR path:\"a2.md\" OR path:\"a3.md\""}"#
    );
    assert!(received[2].target.ends_with("/ingest"));
}

#[test]
fn an_index_of_another_mapping_is_refused_and_rebuild_replaces_it() {
    let corpus = corpus();
    let server = ReplayServer::start(vec![
        existing_index(&["body"]),
        Route::new(
            "DELETE",
            "/api/v1/indexes/news",
            vec![Canned::new(200, "[]")],
        ),
        Route::create_index("news"),
        Route::ingest("news", vec![Canned::ingested(3, 0)]),
    ])
    .unwrap();
    let error = upload_to(&server.url(), corpus.path(), false).unwrap_err();
    assert!(error.to_string().contains("--rebuild"), "{error}");
    assert!(
        !server
            .received()
            .iter()
            .any(|r| r.target.contains("ingest"))
    );
    let report = upload_to(&server.url(), corpus.path(), true).unwrap();
    assert_eq!(report.action, IndexAction::Recreated);
    assert!(server.received().iter().any(|r| r.method == "DELETE"));
}

#[test]
fn a_server_that_is_down_fails_before_anything_is_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let corpus = corpus();
    let error = upload_to(&url, corpus.path(), false).unwrap_err();
    assert!(error.to_string().contains(&url), "{error}");
}

/// A corpus of `n` files cut into passages, every third using the acronym the last one
/// defines, and a JSON Lines file of several records.
fn many_files(n: usize) -> tempfile::TempDir {
    let corpus = tempfile::tempdir().unwrap();
    for idx in 0..n {
        let acronym = if idx % 3 == 0 { " The ICCO met." } else { "" };
        let text = format!(
            "# Report {idx}\n\nShells went to Kyiv on day {idx}.{acronym}\n\nPrices rose in Belgrade.\n"
        );
        std::fs::write(corpus.path().join(format!("f{idx:02}.md")), text).unwrap();
    }
    let last = "# Council\n\nThe International Cocoa Organization (ICCO) met in London.\n";
    std::fs::write(corpus.path().join("zz.md"), last).unwrap();
    let records: Vec<String> = (0..5)
        .map(|idx| json!({"id": format!("r{idx}"), "title": "Wire", "body": format!("Record {idx} from Belgrade.")}).to_string())
        .collect();
    std::fs::write(corpus.path().join("wire.jsonl"), records.join("\n")).unwrap();
    corpus
}

/// (article id, ordinal) of every passage of a tantivy index.
fn index_passages(handle: &crate::index::IndexHandle) -> Vec<(String, u64)> {
    use tantivy::schema::Value;
    let searcher = handle.index.reader().unwrap().searcher();
    let mut passages = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(1).unwrap();
        for document in store.iter::<tantivy::TantivyDocument>(None) {
            let document = document.unwrap();
            let id = document.get_first(handle.fields.article_id);
            let ordinal = document.get_first(handle.fields.ordinal);
            passages.push((
                id.and_then(|v| v.as_str()).unwrap().to_string(),
                ordinal.and_then(|v| v.as_u64()).unwrap(),
            ));
        }
    }
    passages.sort();
    passages
}

#[test]
fn both_sinks_get_every_article_of_the_one_stream_once_in_the_files_order() {
    let corpus = many_files(24);
    let walk = || ingest::walk_corpus(corpus.path(), &WalkOptions::default()).unwrap();
    let map = corpus_field_map(corpus.path(), &[], &[]).unwrap();
    let extractor = EntityExtractor::builtin();
    let mut lines = Vec::new();
    let ndjson = encode_corpus(walk(), &map, &extractor, &Silent, |line, _: &str| {
        lines.push(serde_json::from_str::<serde_json::Value>(&line).unwrap());
        Ok::<(), ()>(())
    })
    .unwrap();
    let handle = crate::index::create_in_ram();
    let mut writer = crate::index::writer(&handle, 50).unwrap();
    let mut sink = crate::build::IndexSink::new(&handle, &writer);
    let local = crate::build::stream_corpus(walk(), &map, &extractor, &Silent, &mut sink).unwrap();
    writer.commit().unwrap();

    // 24 files, the defining one, and 5 records.
    assert_eq!((ndjson.articles, local.articles), (30, 30));
    assert_eq!(ndjson.passages, lines.len());
    let mut sent: Vec<(String, u64)> = lines
        .iter()
        .map(|d| {
            (
                d["article_id"].as_str().unwrap().to_string(),
                d["ordinal"].as_u64().unwrap(),
            )
        })
        .collect();
    // Articles that wait for the corpus table come last; the others in the walk's order.
    let mut order: Vec<&str> = sent.iter().map(|(id, _)| id.as_str()).collect();
    order.dedup();
    let waiting = |id: &&str| id.starts_with('f') && id[1..3].parse::<usize>().unwrap() % 3 == 0;
    let (held, at_once): (Vec<&str>, Vec<&str>) = order.iter().copied().partition(waiting);
    assert_eq!(order[..at_once.len()], at_once[..], "{order:?}");
    assert_eq!((order.len(), held.len()), (30, 8), "{order:?}");
    assert!(held.is_sorted() && at_once.is_sorted(), "{order:?}");
    sent.sort();
    let unique = sent.len();
    sent.dedup();
    assert_eq!(unique, sent.len(), "a passage was sent twice");
    assert_eq!(sent, index_passages(&handle));
    // The held articles took the final table, on both sinks.
    assert!(
        labels_of(&lines, "f03.md")
            .iter()
            .any(|l| l.ends_with(":International Cocoa Organization"))
    );
    assert_eq!(local.articles_provisional, 0);
}
