//! Contract tests: newsdex's Quickwit requests and response handling against what a real
//! Quickwit 0.9.0 server published and answered (`../shared/quickwit`, or the folder in
//! `NEWSDEX_QUICKWIT_RECORDINGS`). Every test is ignored in plain `cargo test`; CI runs them with
//! `cargo test --test quickwit_contract -- --include-ignored`, and they FAIL when the folder is
//! missing. Nothing here needs a network beyond 127.0.0.1.

#[path = "support/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::replay::{Canned, ReplayServer, Route};
use chrono::{TimeZone, Utc};
use newsdex::backend::quickwit::QuickwitBackend;
use newsdex::backend::quickwit::client::{
    ClientOptions, DeleteTask, IndexDescription, IndexMetadata, IngestResponse, QuickwitClient,
    SearchResponse,
};
use newsdex::backend::quickwit::mapping::{self, DEFAULT_INDEX_ID};
use newsdex::backend::quickwit::translate::{delete_articles, entity_count_body, search_body};
use newsdex::backend::quickwit::upload::{self, UploadOptions, delete_by_path};
use newsdex::backend::{BackendError, SearchBackend};
use newsdex::build::Silent;
use newsdex::extract::entities::EntityExtractor;
use newsdex::ingest::WalkOptions;
use newsdex::search::{Filters, SearchRequest, SortOrder};
use serde_json::{Value, json};

/// The recordings folder; panics (fails the test) with what to do when it is missing.
fn recordings() -> PathBuf {
    let folder = std::env::var_os("NEWSDEX_QUICKWIT_RECORDINGS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/quickwit"));
    assert!(
        folder.join("openapi.json").is_file() && folder.join("exchanges").is_dir(),
        "the Quickwit recordings are missing: expected openapi.json and exchanges/ in `{}` \
         (set NEWSDEX_QUICKWIT_RECORDINGS to their folder)",
        folder.display()
    );
    folder
}

fn read(name: &str) -> String {
    let path = recordings().join("exchanges").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", path.display()))
}

fn read_json(name: &str) -> Value {
    serde_json::from_str(&read(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// The OpenAPI document with the corrections the real server's behaviour calls for. Each one
/// is a place where the published document and the server it came from disagree:
/// - `VersionedIndexConfig` combines `IndexConfigV0_8` (`additionalProperties: false`, no
///   `version`) with `version` through `allOf`, so no config with a version could pass; configs
///   are validated against `IndexConfigV0_8` without `version`, and `version` is checked apart.
/// - `FieldMappingEntryForSerialization` says every option besides `name` and `type` is an
///   object, yet the server took `tokenizer: raw` and `stored: true` (exchange 01); options are
///   checked against those the server itself lists back (see `field_options_are_known`).
/// - In a JSON search body `sort_by` and `snippet_fields` are comma-separated strings (the
///   recorded searches 03 and 07 sent them so), not the `SortBy` object and array it documents.
fn openapi() -> Value {
    let path = recordings().join("openapi.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read `{}`: {error}", path.display()));
    let mut document: Value = serde_json::from_str(&text).expect("openapi.json is JSON");
    let schemas = &mut document["components"]["schemas"];
    schemas["FieldMappingEntryForSerialization"]["additionalProperties"] = json!(true);
    let search = &mut schemas["SearchRequestQueryString"]["properties"];
    search["sort_by"] = json!({"type": "string"});
    search["snippet_fields"] = json!({"type": "string"});
    document
}

fn validator(document: &Value, schema: &str) -> jsonschema::Validator {
    let root = json!({
        "$ref": format!("#/components/schemas/{schema}"),
        "components": document["components"],
    });
    jsonschema::validator_for(&root).unwrap_or_else(|error| panic!("schema {schema}: {error}"))
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid: {errors:?}\n{instance}"
    );
}

fn config_as_json() -> Value {
    let yaml = mapping::to_yaml(&mapping::index_config(DEFAULT_INDEX_ID));
    serde_yaml_ng::from_str(&yaml).expect("the YAML config reads back")
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn the_index_config_is_valid() {
    let document = openapi();
    let validator = validator(&document, "IndexConfigV0_8");
    let mut config = config_as_json();
    assert_eq!(config["version"], "0.9");
    config.as_object_mut().unwrap().remove("version");
    assert_valid(&validator, &config, "the generated index config");
    // The validator is strict enough to catch a misspelt setting...
    let mut broken = config.clone();
    broken["search_setings"] = json!({});
    assert!(!validator.is_valid(&broken));
    // ...and not stricter than the server, which accepted the recorded config.
    let mut recorded: Value =
        serde_yaml_ng::from_str(&read("01-create-index.request-body.yaml")).unwrap();
    recorded.as_object_mut().unwrap().remove("version");
    assert_valid(&validator, &recorded, "the recorded config");
    // With declared fields, their four JSON objects are valid in Quickwit's own schema.
    let extras: Vec<newsdex::model::ExtraField> = ["desk:keyword", "summary:text", "words:number"]
        .iter()
        .map(|declared| newsdex::ingest::mapping::parse_extra(declared).unwrap())
        .collect();
    let yaml = mapping::to_yaml(&mapping::index_config_with(DEFAULT_INDEX_ID, &extras));
    let mut with_extras: Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let mapped = with_extras["doc_mapping"]["field_mappings"]
        .as_array()
        .unwrap();
    assert_eq!(
        mapped
            .iter()
            .filter(|field| field["type"] == "json")
            .count(),
        4,
        "{yaml}"
    );
    with_extras.as_object_mut().unwrap().remove("version");
    assert_valid(&validator, &with_extras, "the config with declared fields");
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn field_options_are_known() {
    let response = read_json("01-create-index.response.json");
    let mut known: Vec<String> = Vec::new();
    for field in response["index_config"]["doc_mapping"]["field_mappings"]
        .as_array()
        .unwrap()
    {
        known.extend(field.as_object().unwrap().keys().cloned());
    }
    let mut types: Vec<&str> = response["index_config"]["doc_mapping"]["field_mappings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|field| field["type"].as_str())
        .collect();
    types.push("text");
    let config = config_as_json();
    for field in config["doc_mapping"]["field_mappings"].as_array().unwrap() {
        for key in field.as_object().unwrap().keys() {
            assert!(known.contains(key), "option `{key}` of {field}");
        }
        assert!(types.contains(&field["type"].as_str().unwrap()), "{field}");
        if let Some(tokenizer) = field.get("tokenizer") {
            assert!(["raw", "whitespace", "default"].contains(&tokenizer.as_str().unwrap()));
        }
    }
}

/// The recorded searches sent as a JSON body.
const RECORDED_SEARCH_BODIES: [&str; 6] = [
    "03-search-terms",
    "04-search-filters",
    "05-search-phrase",
    "06-search-aggs",
    "07-search-sort-date",
    "15-search-count",
];

fn requests() -> Vec<SearchRequest> {
    let mut requests = Vec::new();
    for query in [
        "oil AND price",
        "\"interest rates\"",
        "coffee -brazil",
        "title:cocoa OR section:markets",
        "entity:USA category:grain",
        "date:[1987-03-01 TO 1987-03-31] wheat",
        "export*",
    ] {
        requests.push(SearchRequest::new(query));
    }
    let mut filtered = SearchRequest::new("wheat");
    filtered.filters = Filters {
        since: Some(Utc.with_ymd_and_hms(1987, 2, 22, 0, 0, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(1987, 3, 24, 23, 59, 59).unwrap()),
        sections: vec!["Grain".to_string()],
        entities: vec!["USA".to_string()],
        categories: vec!["grain".to_string(), "wheat".to_string()],
        ..Filters::default()
    };
    requests.push(filtered);
    let mut everything = SearchRequest::new("trade");
    everything.facets = true;
    everything.count = true;
    everything.sort = SortOrder::Date;
    everything.per_article = 2;
    everything.offset = 10;
    requests.push(everything);
    requests
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn search_and_delete_bodies_are_valid() {
    let document = openapi();
    let search = validator(&document, "SearchRequestQueryString");
    for request in requests() {
        let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
        assert_valid(
            &search,
            &serde_json::to_value(&body).unwrap(),
            &request.query,
        );
    }
    for (query, top) in [(Some("trade"), 20), (None, 100_000)] {
        let body = entity_count_body(query, &EntityExtractor::builtin(), top).unwrap();
        assert_valid(
            &search,
            &serde_json::to_value(&body).unwrap(),
            "entity counts",
        );
    }
    for name in RECORDED_SEARCH_BODIES {
        let recorded = read_json(&format!("{name}.request-body.json"));
        assert_valid(&search, &recorded, name);
    }
    // The validator catches a misspelt or mistyped parameter.
    assert!(!search.is_valid(&json!({"qery": "oil"})));
    assert!(!search.is_valid(&json!({"query": "oil", "max_hits": -1})));
    let delete = validator(&document, "DeleteQueryRequest");
    for body in [
        delete_articles(&["reuters-41".to_string()]),
        delete_by_path(&["a.md".to_string(), "b/c.jsonl".to_string()]),
    ] {
        assert_valid(
            &delete,
            &serde_json::to_value(&body).unwrap(),
            "delete task",
        );
    }
    assert!(!delete.is_valid(&json!({"query": "x", "nosuch": 1})));
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn ingest_lines_fit_the_mapping() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let out = tempfile::tempdir().unwrap();
    let options = newsdex::backend::quickwit::export::ExportOptions {
        corpus,
        walk: WalkOptions::default(),
        out: out.path().to_path_buf(),
        index_id: DEFAULT_INDEX_ID.to_string(),
        max_file_bytes: 1 << 20,
    };
    let report =
        newsdex::backend::quickwit::export::export(&options, &EntityExtractor::builtin(), &Silent)
            .unwrap();
    let config = config_as_json();
    let mappings = config["doc_mapping"]["field_mappings"].as_array().unwrap();
    let mut n_lines = 0;
    for path in &report.ndjson_files {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let document: Value = serde_json::from_str(line).unwrap();
            for (key, value) in document.as_object().unwrap() {
                let mapping = mappings
                    .iter()
                    .find(|m| m["name"] == *key)
                    .unwrap_or_else(|| panic!("`{key}` is not mapped (strict mode rejects it)"));
                let ok = match mapping["type"].as_str().unwrap() {
                    "text" => value.is_string(),
                    "array<text>" => value
                        .as_array()
                        .is_some_and(|values| values.iter().all(Value::is_string)),
                    "u64" => value.is_u64(),
                    "datetime" => {
                        chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).is_ok()
                    }
                    other => panic!("unexpected type {other}"),
                };
                assert!(ok, "`{key}` = {value} does not fit {mapping}");
            }
            n_lines += 1;
        }
    }
    assert_eq!(n_lines, report.build.passages);
    // The recorded ingest lines have the same shape for the fields both share.
    for line in read("02-ingest.request-body-head.ndjson").lines() {
        let recorded: Value = serde_json::from_str(line).unwrap();
        assert!(recorded["text_stems"].is_string());
        assert!(recorded["date"].as_str().unwrap().ends_with('Z'));
    }
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn every_recorded_response_parses() {
    for name in ["01-create-index", "14-get-index"] {
        let metadata: IndexMetadata =
            serde_json::from_value(read_json(&format!("{name}.response.json"))).unwrap();
        assert!(metadata.index_uid.starts_with("newsdex-passages:"));
    }
    for (name, rejected) in [("02-ingest", 0), ("19-ingest-bad-docs", 2)] {
        let response: IngestResponse =
            serde_json::from_value(read_json(&format!("{name}.response.json"))).unwrap();
        assert_eq!(response.num_rejected_docs, Some(rejected));
    }
    let task: DeleteTask =
        serde_json::from_value(read_json("11-delete-task.response.json")).unwrap();
    assert_eq!(task.opstamp, 1);
    let tasks: Vec<DeleteTask> =
        serde_json::from_value(read_json("12-list-delete-tasks.response.json")).unwrap();
    assert_eq!(tasks, [task]);
    let description: IndexDescription =
        serde_json::from_value(read_json("13-describe-index.response.json")).unwrap();
    assert_eq!(description.num_published_docs, 1656);
    for name in RECORDED_SEARCH_BODIES
        .into_iter()
        .chain(["16-search-get", "18-search-after-delete"])
    {
        let response: SearchResponse =
            serde_json::from_value(read_json(&format!("{name}.response.json")))
                .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(response.num_hits as usize >= response.hits.len(), "{name}");
    }
}

/// A replay server answering searches with one recorded exchange.
fn replay(name: &str) -> ReplayServer {
    let request = read_json(&format!("{name}.request.json"));
    let status = request["status"].as_u64().unwrap() as u16;
    let path = request["path"].as_str().unwrap();
    let path = path.split('?').next().unwrap();
    // The recorded GET search (16) is answered to newsdex's POST form of the same search.
    ReplayServer::start(vec![Route::new(
        "POST",
        path,
        vec![Canned::new(status, read(&format!("{name}.response.json")))],
    )])
    .unwrap()
}

fn backend(server: &ReplayServer, index_id: &str) -> QuickwitBackend {
    QuickwitBackend::new(
        QuickwitClient::new(&server.url(), ClientOptions::default()),
        index_id,
        EntityExtractor::builtin(),
    )
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn recorded_searches_become_hits_with_snippets() {
    for (name, query) in [
        ("03-search-terms", "oil AND price"),
        ("04-search-filters", "wheat"),
        ("05-search-phrase", "\"interest rate\""),
        ("07-search-sort-date", "coffee"),
        ("15-search-count", "oil"),
        ("16-search-get", "cocoa"),
    ] {
        let server = replay(name);
        let recorded = read_json(&format!("{name}.response.json"));
        let recorded_hits = recorded["hits"].as_array().unwrap();
        let mut request = SearchRequest::new(query);
        request.limit = recorded_hits.len().max(1);
        request.count = name.starts_with("15");
        // These are answers of the native endpoint, which newsdex asks for the date order
        // (a ranked page comes from the Elasticsearch-compatible one: see the session tests).
        request.sort = SortOrder::Date;
        let results = backend(&server, DEFAULT_INDEX_ID).search(&request).unwrap();
        assert_eq!(results.hits.len(), recorded_hits.len(), "{name}");
        for (hit, recorded) in results.hits.iter().zip(recorded_hits) {
            assert_eq!(hit.passage, recorded["text"].as_str().unwrap(), "{name}");
            assert_eq!(hit.article_id, recorded["article_id"].as_str().unwrap());
            assert!(!hit.snippet.is_empty(), "{name}: empty snippet");
            assert!(
                !hit.highlights.is_empty(),
                "{name}: nothing highlighted in {:?}",
                hit.snippet
            );
        }
        if request.count {
            assert_eq!(results.total, Some(41));
        }
        let mut json = Vec::new();
        newsdex::render::json::write_hits(&mut json, &results.hits).unwrap();
        let lines = String::from_utf8(json).unwrap();
        assert_eq!(lines.lines().count(), recorded_hits.len());
        for line in lines.lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert!(value["snippet"].is_string() && value["highlights"].is_array());
        }
    }
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn recorded_aggregations_become_facets() {
    let server = replay("06-search-aggs");
    let mut request = SearchRequest::new("trade");
    request.facets = true;
    let facets = backend(&server, DEFAULT_INDEX_ID).facets(&request).unwrap();
    assert_eq!(facets.total, 48);
    assert_eq!(facets.entities[0].name, "usa");
    assert_eq!(facets.entities[0].count, 31);
    let recorded = read_json("06-search-aggs.response.json");
    let n_categories = recorded["aggregations"]["categories"]["buckets"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(facets.categories.len(), n_categories);
    let month_total: u64 = facets.months.iter().map(|m| m.count).sum();
    assert_eq!(month_total, 48);
    assert!(facets.months.windows(2).all(|w| w[0].value < w[1].value));
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn recorded_terms_aggregation_becomes_entity_counts() {
    let server = replay("06-search-aggs");
    let counts = backend(&server, DEFAULT_INDEX_ID)
        .entity_counts(Some("trade"), None, 3)
        .unwrap();
    let top: Vec<(&str, u64)> = counts
        .entities
        .iter()
        .map(|count| (count.name.as_str(), count.passages))
        .collect();
    // The recorded index has bare keys (no labels): ties in count are ordered by name.
    assert_eq!(top, [("usa", 31), ("japan", 11), ("brazil", 3)]);
    // The recorded answer says 14 passages' labels were left out of it.
    assert!(counts.labels_left_out);
    let sent: Value = serde_json::from_str(&server.received()[0].body).unwrap();
    assert_eq!(sent["max_hits"], 0);
    assert!(sent["aggs"]["entities"]["terms"]["size"].as_u64().unwrap() >= 3);
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn recorded_errors_become_clear_messages() {
    for (name, index_id, expected) in [
        (
            "08-error-bad-query",
            DEFAULT_INDEX_ID,
            "(400 from URL/api/v1/newsdex-passages/search): failed to parse query: `text_stems:(oil AND`",
        ),
        (
            "09-error-unknown-field",
            DEFAULT_INDEX_ID,
            "(400 from URL/api/v1/newsdex-passages/search): invalid query: field does not exist: `nosuchfield`",
        ),
        (
            "10-error-unknown-index",
            "no-such-index",
            "(404 from URL/api/v1/no-such-index/search): could not find indexes matching the IDs `[\"no-such-index\"]`",
        ),
    ] {
        let server = replay(name);
        let mut request = SearchRequest::new("oil");
        request.sort = SortOrder::Date;
        let error = backend(&server, index_id).search(&request).unwrap_err();
        assert!(matches!(error, BackendError::Quickwit(_)), "{error:?}");
        let message = error.to_string();
        assert_eq!(
            message,
            format!(
                "Quickwit refused the request {}",
                expected.replace("URL", &server.url())
            )
        );
        assert_eq!(server.received().len(), 1, "{name}: a 4xx is not retried");
    }
}

#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn recorded_rejections_are_counted_by_article() {
    let corpus = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("bad.md"),
        "# One\n\nFirst passage.\n\nSecond passage.\n",
    )
    .unwrap();
    let server = ReplayServer::start(vec![
        Route::new(
            "POST",
            "/api/v1/indexes",
            vec![Canned::new(200, read("01-create-index.response.json"))],
        ),
        Route::new(
            "POST",
            "/api/v1/newsdex-passages/ingest",
            vec![Canned::new(200, read("19-ingest-bad-docs.response.json"))],
        ),
    ])
    .unwrap();
    let options = UploadOptions {
        corpus: corpus.path().to_path_buf(),
        walk: WalkOptions::default(),
        index_id: DEFAULT_INDEX_ID.to_string(),
        rebuild: false,
        max_batch_bytes: upload::MAX_BATCH_BYTES,
        max_batch_docs: upload::MAX_BATCH_DOCS,
        fields: Vec::new(),
        extras: Vec::new(),
        // The recorded server answered the ingest at once; waiting is tested on the session.
        wait: None,
    };
    let client = QuickwitClient::new(
        &server.url(),
        ClientOptions {
            timeout: Duration::from_secs(10),
            ..ClientOptions::default()
        },
    );
    let report = upload::upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap();
    assert_eq!(report.rejected, 2);
    assert_eq!(report.ingested, 0);
    assert_eq!(report.rejected_batches[0].article_paths, ["bad.md"]);
    assert!(!report.is_complete());
    let ingest = server
        .received()
        .into_iter()
        .find(|r| r.target.contains("/ingest"))
        .unwrap();
    assert!(!ingest.target.contains("commit=force"));
}

// ---------------------------------------------------------------------------------------------
// newsdex-session/: newsdex's own traffic against a real Quickwit 0.9.0 node (3,000 Reuters
// stories in index `reuters3k`), one JSON file per exchange.

const SESSION_INDEX: &str = "reuters3k";

/// One recorded exchange of the session, by its number; fails loudly when it is missing.
fn exchange(number: u32) -> Value {
    let folder = recordings().join("newsdex-session");
    let prefix = format!("{number:03}-");
    let entries = std::fs::read_dir(&folder).unwrap_or_else(|error| {
        panic!(
            "the recorded newsdex session is missing: cannot read `{}`: {error}",
            folder.display()
        )
    });
    let path = entries
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&prefix) && name.ends_with(".json"))
        })
        .unwrap_or_else(|| panic!("no exchange {prefix}* in `{}`", folder.display()));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn request_text(exchange: &Value) -> &str {
    exchange["request_body"]["text"].as_str().unwrap_or("")
}

fn request_json(exchange: &Value) -> Value {
    serde_json::from_str(request_text(exchange)).expect("a JSON request body")
}

fn response_text(exchange: &Value) -> String {
    exchange["response_body"]["text"]
        .as_str()
        .expect("a response body")
        .to_string()
}

fn response_json(exchange: &Value) -> Value {
    serde_json::from_str(&response_text(exchange)).expect("a JSON response body")
}

/// A route that answers requests to the exchange's method and path with its recorded
/// answers, in turn (the last one repeats).
fn session_route(numbers: &[u32]) -> Route {
    let first = exchange(numbers[0]);
    let answers = numbers
        .iter()
        .map(|number| {
            let recorded = exchange(*number);
            assert_eq!(recorded["path"], first["path"]);
            Canned::new(
                recorded["status"].as_u64().unwrap() as u16,
                response_text(&recorded),
            )
        })
        .collect();
    Route::new(
        first["method"].as_str().unwrap(),
        first["path"].as_str().unwrap(),
        answers,
    )
}

fn session_backend(server: &ReplayServer) -> QuickwitBackend {
    backend(server, SESSION_INDEX)
}

/// The JSON bodies `server` received on `path`.
fn bodies_on(server: &ReplayServer, path: &str) -> Vec<Value> {
    server
        .received()
        .iter()
        .filter(|r| r.target.split('?').next() == Some(path))
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

/// A ranked search is sent exactly as the scored search the real server answered (065: the
/// Elasticsearch-compatible endpoint, sorted by `_score`), and each hit gets the BM25 score of
/// its `sort` array, best first.
#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn session_ranked_search_is_sent_as_recorded_and_scored() {
    let recorded = exchange(65);
    let server = ReplayServer::start(vec![session_route(&[65])]).unwrap();
    let mut request = SearchRequest::new("text:oil");
    request.limit = 2;
    request.per_article = 0;
    let results = session_backend(&server).search(&request).unwrap();
    let sent = bodies_on(&server, recorded["path"].as_str().unwrap());
    assert_eq!(
        sent.len(),
        1,
        "one request for a ranked page without counts"
    );
    assert_eq!(sent[0], request_json(&recorded));
    // What a ranked, scored search needs: sorted by `_score`, best first.
    assert_eq!(sent[0]["sort"], json!([{"_score": {"order": "desc"}}]));
    let expected: Vec<f32> = response_json(&recorded)["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["sort"][0].as_f64().unwrap() as f32)
        .collect();
    let scores: Vec<f32> = results.hits.iter().map(|hit| hit.score).collect();
    assert_eq!(scores, expected[..2]);
    assert!(scores[0] > 5.8, "{scores:?}");
    assert_eq!(results.hits[0].article_id, "r.jsonl#144");
    assert!(results.hits.iter().all(|hit| !hit.highlights.is_empty()));
    // The scores reach every output: JSON lines carry them.
    let mut json_lines = Vec::new();
    newsdex::render::json::write_hits(&mut json_lines, &results.hits).unwrap();
    let first: Value = serde_json::from_str(
        String::from_utf8(json_lines)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(
        (first["score"].as_f64().unwrap() - 5.865).abs() < 1e-3,
        "{first}"
    );

    // The same search without the sort (064) comes back newest first and unscored: newsdex
    // says so rather than show scores of 0.
    let server = ReplayServer::start(vec![session_route(&[64])]).unwrap();
    let error = session_backend(&server).search(&request).unwrap_err();
    assert!(error.to_string().contains("carries no score"), "{error}");
}

/// `--sort date` is sent exactly as the recorded search that came back newest first (059),
/// never as `-date` (060, oldest first).
#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn session_date_sort_is_sent_as_recorded_and_newest_first() {
    let recorded = exchange(59);
    let server = ReplayServer::start(vec![session_route(&[59])]).unwrap();
    let mut request = SearchRequest::new("text:oil");
    request.sort = SortOrder::Date;
    request.limit = 2;
    request.per_article = 0;
    let results = session_backend(&server).search(&request).unwrap();
    let sent = bodies_on(&server, recorded["path"].as_str().unwrap());
    assert_eq!(sent, [request_json(&recorded)]);
    assert_eq!(sent[0]["sort_by"], "date");
    let dates: Vec<_> = results.hits.iter().map(|hit| hit.date).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert_eq!(dates.len(), 2);
}

/// The five `sort_by` cases on one query (059-063) show what each order needs: `date` is
/// newest first, `-date` oldest first, no `sort_by` newest first too (not ranked), and
/// `_score` ranks as the scored search (065) does.
#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn session_sort_by_cases_fix_the_mapping() {
    let dates = |number: u32| -> Vec<String> {
        response_json(&exchange(number))["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["date"].as_str().unwrap().to_string())
            .collect()
    };
    let ids = |hits: &Value| -> Vec<String> {
        hits.as_array()
            .unwrap()
            .iter()
            .map(|hit| {
                let hit = hit.get("_source").unwrap_or(hit);
                hit["passage_id"].as_str().unwrap().to_string()
            })
            .collect()
    };
    for (number, sort_by) in [
        (59, Some("date")),
        (60, Some("-date")),
        (61, Some("_score")),
        (62, Some("-_score")),
        (63, None),
    ] {
        let sent = request_json(&exchange(number));
        assert_eq!(sent["sort_by"].as_str(), sort_by, "{number}");
    }
    let newest_first = |dates: &[String]| dates.windows(2).all(|w| w[0] >= w[1]);
    assert!(newest_first(&dates(59)));
    assert!(dates(60).windows(2).all(|w| w[0] <= w[1]));
    assert!(dates(60)[0] < dates(59)[0]);
    assert!(newest_first(&dates(63)), "no sort_by is date order");
    let ranked = ids(&response_json(&exchange(61))["hits"]);
    let scored = ids(&response_json(&exchange(65))["hits"]["hits"]);
    assert_eq!(ranked, scored, "sort_by _score ranks as the scored search");
    assert_ne!(ids(&response_json(&exchange(63))["hits"]), ranked);
    // What newsdex sends for each order it offers.
    for order in [SortOrder::Relevance, SortOrder::Date] {
        let mut request = SearchRequest::new("text:oil");
        request.sort = order;
        let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
        let expected = if order == SortOrder::Date {
            "date"
        } else {
            "_score"
        };
        assert_eq!(body.sort_by.as_deref(), Some(expected));
    }
}

/// Keyword fields newsdex maps that the recorded sessions predate (folded and as written).
const NEWER_KEYWORD_FIELDS: [&str; 6] = [
    "source",
    "source_name",
    "author",
    "author_name",
    "language",
    "language_name",
];

/// Every kind of request newsdex sends has a real answer in the session, to a request of the
/// same endpoint and shape (the same keys), and newsdex reads that answer.
#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn session_every_request_newsdex_sends_has_a_recorded_answer() {
    let extractor = EntityExtractor::builtin();
    let keys = |value: &Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    // The index config, byte for byte, and its creation answer (002).
    // newsdex now adds fields the recording predates: the passage as the local `all` holds
    // it, with the options the server accepted for `text_stems` and the type it accepted for
    // the entity lists; and the outlet, authors and language, folded and as written, with the
    // options it accepted for `category` and `category_name`.
    let created = exchange(2);
    let all_stems = "  - name: all_stems\n    type: array<text>\n    tokenizer: whitespace\n    record: position\n    stored: false\n    fieldnorms: true\n";
    let keywords: String = NEWER_KEYWORD_FIELDS
    .iter()
    .map(|name| {
        format!("  - name: {name}\n    type: array<text>\n    tokenizer: raw\n    stored: true\n    fast: true\n")
    })
    .collect();
    let recorded_yaml = request_text(&created)
        .replacen(
            "  timestamp_field:",
            &format!("{all_stems}  timestamp_field:"),
            1,
        )
        .replacen(
            "  - name: entities\n",
            &format!("{keywords}  - name: entities\n"),
            1,
        );
    assert_eq!(
        mapping::to_yaml(&mapping::index_config(SESSION_INDEX)),
        recorded_yaml
    );
    let _: IndexMetadata = serde_json::from_value(response_json(&created)).unwrap();
    let _: IndexMetadata = serde_json::from_value(response_json(&exchange(30))).unwrap();
    assert_eq!(
        exchange(1)["status"],
        404,
        "no index yet: newsdex creates one"
    );
    // Ingest answers (003-018, 032-047); the waiting last batch gets the same answer.
    for number in (3..=18).chain(32..=47) {
        let response: IngestResponse =
            serde_json::from_value(response_json(&exchange(number))).unwrap();
        assert_eq!(response.num_rejected_docs, Some(0));
    }
    // The delete task of an incremental build, as sent (031).
    let deleted = exchange(31);
    let body = delete_by_path(&["r.jsonl".to_string(), "r2.jsonl".to_string()]);
    assert_eq!(serde_json::to_value(&body).unwrap(), request_json(&deleted));
    let _: DeleteTask = serde_json::from_value(response_json(&deleted)).unwrap();
    // describe (049): passages, splits, and the newest date `--recency` measures from.
    let description: IndexDescription =
        serde_json::from_value(response_json(&exchange(49))).unwrap();
    assert_eq!(description.max_timestamp, Some(542_276_016));
    // Native searches: with facets and a sort (028), counts and facets of a ranked search
    // (the same keys, sort_by `_score` as in 061, no hits as in 027), entity counts (027).
    let mut facets = SearchRequest::new("oil");
    facets.facets = true;
    facets.count = true;
    facets.sort = SortOrder::Date;
    let (date_body, _) = search_body(&facets, &extractor).unwrap();
    let date_body = serde_json::to_value(&date_body).unwrap();
    assert_eq!(keys(&date_body), keys(&request_json(&exchange(28))));
    facets.sort = SortOrder::Relevance;
    let (count_body, _) = search_body(&facets, &extractor).unwrap();
    assert_eq!(
        keys(&serde_json::to_value(&count_body).unwrap()),
        keys(&request_json(&exchange(28)))
    );
    let entity_body = entity_count_body(None, &extractor, 10).unwrap();
    assert_eq!(
        serde_json::to_value(&entity_body).unwrap(),
        request_json(&exchange(27))
    );
    for number in [19, 21, 24, 25, 27, 28, 29, 48, 59, 60, 61, 62, 63] {
        let response: SearchResponse = serde_json::from_value(response_json(&exchange(number)))
            .unwrap_or_else(|error| panic!("{number}: {error}"));
        assert!(response.num_hits as usize >= response.hits.len());
    }
    // The ranked page (065) and what the build counts while it waits for delete tasks: a
    // search of the delete task's query with no hits, keys of the recorded count searches.
    let (elastic, _) = newsdex::backend::quickwit::translate::elastic_body(
        &SearchRequest::new("text:oil"),
        &extractor,
        3,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&elastic).unwrap(),
        request_json(&exchange(65))
    );
    // Facets through the backend: one native search of the recorded kind, read as facets.
    let server = ReplayServer::start(vec![session_route(&[48])]).unwrap();
    let mut request = SearchRequest::new("oil price");
    request.facets = true;
    let facets = session_backend(&server).facets(&request).unwrap();
    assert_eq!(facets.total, 2829);
    assert!(!facets.entities.is_empty() && !facets.months.is_empty());
    let sent = bodies_on(&server, "/api/v1/reuters3k/search");
    assert_eq!(sent[0]["max_hits"], 0);
    assert_eq!(keys(&sent[0]), keys(&request_json(&exchange(28))));
}

/// An incremental build (030, 031, 032-047) waits for what it sent: the last ingest waits for
/// Quickwit's commit, then the corpus files' passages are counted until the old ones are gone
/// (048 is what the session found right after that build: old and new passages, 2829 oil or
/// price passages where there were 1413), so a search after the build never sees a story twice.
#[test]
#[ignore = "reads ../shared/quickwit; run with --include-ignored"]
fn session_incremental_build_waits_for_its_commit_and_delete_tasks() {
    let corpus = tempfile::tempdir().unwrap();
    std::fs::write(
        corpus.path().join("r.jsonl"),
        "{\"title\": \"COCOA\", \"body\": \"Showers continued in the Bahia cocoa zone.\", \"date\": \"1987-02-26\"}\n",
    )
    .unwrap();
    let ingested = {
        let response: IngestResponse =
            serde_json::from_value(response_json(&exchange(47))).unwrap();
        response.num_ingested_docs.unwrap()
    };
    let only_new =
        json!({"num_hits": ingested, "hits": [], "elapsed_time_micros": 1, "errors": []});
    // The recorded index (030) predates `all_stems` and the outlet, author and language
    // fields: an update is refused with what to do...
    let server = ReplayServer::start(vec![session_route(&[30])]).unwrap();
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let mut options = UploadOptions {
        corpus: corpus.path().to_path_buf(),
        walk: WalkOptions::default(),
        index_id: SESSION_INDEX.to_string(),
        rebuild: false,
        max_batch_bytes: upload::MAX_BATCH_BYTES,
        max_batch_docs: upload::MAX_BATCH_DOCS,
        fields: Vec::new(),
        extras: Vec::new(),
        wait: Some(upload::WaitOptions {
            poll_interval: Duration::from_millis(10),
            ..upload::WaitOptions::default()
        }),
    };
    let error =
        upload::upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap_err();
    assert!(
        error.to_string().contains(
            "fields missing: source, source_name, author, author_name, language, language_name, all_stems"
        )
            && error.to_string().contains("--rebuild"),
        "{error}"
    );
    // ...so the index is answered as the recorded one with those fields.
    let mut metadata = response_json(&exchange(30));
    let mappings = metadata["index_config"]["doc_mapping"]["field_mappings"]
        .as_array_mut()
        .unwrap();
    mappings.push(
        json!({"name": "all_stems", "type": "array<text>", "tokenizer": "whitespace",
                 "record": "position", "fieldnorms": true, "stored": false}),
    );
    for name in NEWER_KEYWORD_FIELDS {
        mappings.push(
            json!({"name": name, "type": "array<text>", "tokenizer": "raw",
                             "stored": true, "fast": true}),
        );
    }
    let current_index = Route::new(
        "GET",
        "/api/v1/indexes/reuters3k",
        vec![Canned::new(200, metadata.to_string())],
    );
    let server = ReplayServer::start(vec![
        current_index.clone(),
        session_route(&[31]),
        session_route(&[47]),
        Route::new(
            "POST",
            "/api/v1/reuters3k/search",
            vec![
                Canned::new(200, response_text(&exchange(48))),
                Canned::new(200, only_new.to_string()),
            ],
        ),
    ])
    .unwrap();
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let report = upload::upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap();
    assert!(
        matches!(
            report.visibility,
            upload::Visibility::Searchable {
                deletes: upload::Deletes::Applied { .. },
                ..
            }
        ),
        "{:?}",
        report.visibility
    );
    let received = server.received();
    let targets: Vec<&str> = received.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(
        targets,
        [
            "/api/v1/indexes/reuters3k",
            "/api/v1/reuters3k/delete-tasks",
            "/api/v1/reuters3k/ingest?commit=wait_for",
            "/api/v1/reuters3k/search",
            "/api/v1/reuters3k/search",
        ]
    );
    let count: Value = serde_json::from_str(&received[3].body).unwrap();
    assert_eq!(
        count["query"],
        request_json(&exchange(31))["query"]
            .as_str()
            .unwrap()
            .split(" OR ")
            .next()
            .unwrap()
    );
    assert_eq!(count["max_hits"], 0);
    assert_eq!(count["count_all"], true);

    // A node that keeps the old passages: the wait ends at its bound and says so.
    let server = ReplayServer::start(vec![
        current_index,
        session_route(&[31]),
        session_route(&[47]),
        session_route(&[48]),
    ])
    .unwrap();
    options.wait = Some(upload::WaitOptions {
        delete_timeout: Duration::from_millis(100),
        poll_interval: Duration::from_millis(10),
        ..upload::WaitOptions::default()
    });
    let client = QuickwitClient::new(&server.url(), ClientOptions::default());
    let report = upload::upload(&options, &EntityExtractor::builtin(), &client, &Silent).unwrap();
    let upload::Visibility::Searchable {
        deletes: upload::Deletes::Pending { old_passages, .. },
        ..
    } = report.visibility
    else {
        panic!("{:?}", report.visibility)
    };
    assert_eq!(old_passages, 2829 - ingested);
}
