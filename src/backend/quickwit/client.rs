//! Quickwit transport: requests -> the REST API of a Quickwit 0.9 node over blocking HTTP,
//! every request bounded by a timeout, retried with exponential backoff on 429 and 5xx (a
//! bounded number of times), answers parsed into newsdex's types and errors into one clear
//! line. It does not build queries or documents (see `translate`, `document`).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::translate::{DeleteQuery, ElasticBody, SearchBody};

/// Time allowed to connect, and to send a request and read its whole answer.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Tries per request, the first included.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;
/// Wait before the first retry; doubled after each.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two tries, whatever the server's `Retry-After` says.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Errors of talking to Quickwit; each displays as one line that names the server.
#[derive(Debug, thiserror::Error)]
pub enum QuickwitError {
    #[error("cannot reach Quickwit at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Quickwit at {url} did not answer within {} s", timeout.as_secs_f64())]
    Timeout { url: String, timeout: Duration },
    #[error("Quickwit refused the request ({status} from {url}): {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error(
        "Quickwit is overloaded or failing ({status} from {url} after {attempts} attempts): {message}"
    )]
    GaveUp {
        url: String,
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("unexpected answer from Quickwit at {url}: {reason}")]
    Decode { url: String, reason: String },
    #[error("unexpected answer from Quickwit at {url}: {source}")]
    Answer {
        url: String,
        #[source]
        source: AnswerError,
    },
}

/// What makes a Quickwit answer unusable to newsdex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("the search failed on {failed} of the index's splits: {first}")]
    SplitsFailed { failed: u64, first: String },
    #[error("the search failed on some splits: {0}")]
    SomeSplitsFailed(String),
    #[error("the search timed out on the server")]
    TimedOut,
    #[error("a hit carries no score (was it sorted by `_score`?)")]
    NoScore,
    #[error("a hit is not a newsdex passage: {0}")]
    NotAPassage(String),
    #[error("aggregation `{name}`: {reason}")]
    Aggregation { name: String, reason: String },
}

/// How the client connects and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_attempts: u32,
    pub backoff: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: DEFAULT_BACKOFF,
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SearchResponse {
    pub num_hits: u64,
    pub hits: Vec<serde_json::Value>,
    #[serde(default)]
    pub elapsed_time_micros: u64,
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    #[serde(default)]
    pub aggregations: Option<serde_json::Value>,
}

/// The answer of the Elasticsearch-compatible `_search` endpoint, as far as newsdex reads it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElasticResponse {
    pub hits: ElasticHits,
    #[serde(default, rename = "_shards")]
    pub shards: Option<ElasticShards>,
    #[serde(default)]
    pub timed_out: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElasticHits {
    #[serde(default)]
    pub total: Option<ElasticTotal>,
    pub hits: Vec<ElasticHit>,
}

/// How many documents matched: exactly (`relation` `eq`) or at least (`gte`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElasticTotal {
    pub value: u64,
    #[serde(default)]
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElasticShards {
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub failures: Vec<serde_json::Value>,
}

/// One hit: the stored document and, sorted by `_score`, its BM25 score.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElasticHit {
    #[serde(rename = "_source")]
    pub source: serde_json::Value,
    #[serde(default)]
    pub sort: Vec<serde_json::Value>,
}

impl ElasticHit {
    /// The hit's score: the first `sort` value of a search sorted by `_score`.
    pub fn score(&self) -> Option<f32> {
        self.sort.first()?.as_f64().map(|score| score as f32)
    }
}

/// Whether an ingest returns at once or when its documents are searchable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Quickwit commits on its own timer (`commit_timeout_secs`).
    Auto,
    /// `commit=wait_for`: the answer comes once the documents are committed, and so
    /// searchable, on Quickwit's own timer (never `commit=force`, which can hang).
    WaitFor,
}

/// The answer to an ingest: how many documents went in and how many were rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct IngestResponse {
    pub num_docs_for_processing: u64,
    #[serde(default)]
    pub num_ingested_docs: Option<u64>,
    #[serde(default)]
    pub num_rejected_docs: Option<u64>,
}

/// A delete task as Quickwit accepted it (it is applied later, asynchronously).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeleteTask {
    pub create_timestamp: i64,
    pub opstamp: u64,
    pub delete_query: serde_json::Value,
}

/// The index's published size, from `GET /api/v1/indexes/{id}/describe`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IndexDescription {
    pub index_id: String,
    pub num_published_docs: u64,
    pub size_published_splits: u64,
    #[serde(default)]
    pub num_published_splits: u64,
    /// Seconds of the newest timestamp published (`None` for an empty index).
    #[serde(default)]
    pub max_timestamp: Option<i64>,
}

/// The index metadata `POST /api/v1/indexes` and `GET /api/v1/indexes/{id}` return.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IndexMetadata {
    pub index_uid: String,
    pub index_config: serde_json::Value,
}

/// Quickwit's error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    message: String,
}

/// The message of an error body, or the body itself when it is not Quickwit's JSON.
pub fn error_message(body: &str) -> String {
    // The Elasticsearch-compatible endpoint answers `{"error": {"reason": ...}, "status": N}`.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(reason) = value["error"]["reason"]
            .as_str()
            .or_else(|| value["error"].as_str())
    {
        return reason.to_string();
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(error) => error.message,
        Err(_) if body.trim().is_empty() => "no message".to_string(),
        Err(_) => body.trim().chars().take(300).collect(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A blocking client of one Quickwit node.
#[derive(Debug, Clone)]
pub struct QuickwitClient {
    agent: ureq::Agent,
    base_url: String,
    options: ClientOptions,
}

impl QuickwitClient {
    pub fn new(base_url: &str, options: ClientOptions) -> QuickwitClient {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(options.connect_timeout)
            .timeout(options.timeout)
            .build();
        QuickwitClient {
            agent,
            base_url: base_url.trim_end_matches('/').to_string(),
            options,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends one request, retrying on 429 and 5xx; returns the body of a 2xx answer.
    fn send(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<&str>,
    ) -> Result<String, QuickwitError> {
        self.send_within(method, path, content_type, body, self.options.timeout)
    }

    /// `send`, allowing `timeout` for each try.
    fn send_within(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<&str>,
        timeout: Duration,
    ) -> Result<String, QuickwitError> {
        let url = format!("{}{path}", self.base_url);
        let mut backoff = self.options.backoff;
        let mut attempt = 1;
        loop {
            let request = self
                .agent
                .request(method.as_str(), &url)
                .timeout(timeout)
                .set("content-type", content_type);
            let result = match body {
                Some(body) => request.send_string(body),
                None => request.call(),
            };
            let (status, response) = match result {
                Ok(response) => {
                    return response
                        .into_string()
                        .map_err(|error| io_failure(&url, &error, timeout));
                }
                Err(ureq::Error::Status(status, response)) => (status, response),
                Err(ureq::Error::Transport(transport)) => {
                    return Err(transport_failure(&url, &transport, timeout));
                }
            };
            let retry_after = response
                .header("retry-after")
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let message = error_message(&response.into_string().unwrap_or_default());
            let retryable = status == 429 || (500..600).contains(&status);
            if !retryable {
                return Err(QuickwitError::Status {
                    url,
                    status,
                    message,
                });
            }
            if attempt >= self.options.max_attempts {
                return Err(QuickwitError::GaveUp {
                    url,
                    status,
                    attempts: attempt,
                    message,
                });
            }
            std::thread::sleep(retry_after.unwrap_or(backoff).min(MAX_BACKOFF));
            backoff = (backoff * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }

    fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<&str>,
    ) -> Result<T, QuickwitError> {
        let text = self.send(method, path, content_type, body)?;
        serde_json::from_str(&text).map_err(|error| QuickwitError::Decode {
            url: format!("{}{path}", self.base_url),
            reason: error.to_string(),
        })
    }

    /// Creates an index from its YAML config.
    pub fn create_index(&self, config_yaml: &str) -> Result<IndexMetadata, QuickwitError> {
        self.send_json(
            Method::Post,
            "/api/v1/indexes",
            "application/yaml",
            Some(config_yaml),
        )
    }

    /// The index's metadata, or `None` when there is no such index.
    pub fn get_index(&self, index_id: &str) -> Result<Option<IndexMetadata>, QuickwitError> {
        match self.send_json(
            Method::Get,
            &format!("/api/v1/indexes/{index_id}"),
            "application/json",
            None,
        ) {
            Ok(metadata) => Ok(Some(metadata)),
            Err(QuickwitError::Status { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub fn describe_index(&self, index_id: &str) -> Result<IndexDescription, QuickwitError> {
        self.send_json(
            Method::Get,
            &format!("/api/v1/indexes/{index_id}/describe"),
            "application/json",
            None,
        )
    }

    /// Deletes an index with all its documents.
    pub fn delete_index(&self, index_id: &str) -> Result<(), QuickwitError> {
        self.send(
            Method::Delete,
            &format!("/api/v1/indexes/{index_id}"),
            "application/json",
            None,
        )
        .map(drop)
    }

    /// Ingests NDJSON without forcing a commit: Quickwit commits on its own timer. (An ingest
    /// of documents that are all rejected, sent with `commit=force`, may never return.)
    pub fn ingest(&self, index_id: &str, ndjson: &str) -> Result<IngestResponse, QuickwitError> {
        self.send_json(
            Method::Post,
            &format!("/api/v1/{index_id}/ingest"),
            "application/x-ndjson",
            Some(ndjson),
        )
    }

    /// `ingest`, with `commit=wait_for` when asked: then the answer comes once the documents
    /// are searchable, and `timeout` bounds the wait.
    pub fn ingest_committing(
        &self,
        index_id: &str,
        ndjson: &str,
        commit: Commit,
        timeout: Duration,
    ) -> Result<IngestResponse, QuickwitError> {
        match commit {
            Commit::Auto => self.ingest(index_id, ndjson),
            Commit::WaitFor => {
                let path = format!("/api/v1/{index_id}/ingest?commit=wait_for");
                let text = self.send_within(
                    Method::Post,
                    &path,
                    "application/x-ndjson",
                    Some(ndjson),
                    timeout,
                )?;
                serde_json::from_str(&text).map_err(|error| QuickwitError::Decode {
                    url: format!("{}{path}", self.base_url),
                    reason: error.to_string(),
                })
            }
        }
    }

    /// A ranked search on the Elasticsearch-compatible endpoint, whose hits carry scores.
    pub fn elastic_search(
        &self,
        index_id: &str,
        body: &ElasticBody,
    ) -> Result<ElasticResponse, QuickwitError> {
        let json = serde_json::to_string(body).map_err(|error| QuickwitError::Decode {
            url: self.base_url.clone(),
            reason: error.to_string(),
        })?;
        self.send_json(
            Method::Post,
            &self.elastic_path(index_id),
            "application/json",
            Some(&json),
        )
    }

    /// The path of the Elasticsearch-compatible search of an index.
    pub fn elastic_path(&self, index_id: &str) -> String {
        format!("/api/v1/_elastic/{index_id}/_search")
    }

    pub fn search(
        &self,
        index_id: &str,
        body: &SearchBody,
    ) -> Result<SearchResponse, QuickwitError> {
        let json = serde_json::to_string(body).map_err(|error| QuickwitError::Decode {
            url: self.base_url.clone(),
            reason: error.to_string(),
        })?;
        self.send_json(
            Method::Post,
            &format!("/api/v1/{index_id}/search"),
            "application/json",
            Some(&json),
        )
    }

    /// Submits a delete task; Quickwit applies it later.
    pub fn delete_task(
        &self,
        index_id: &str,
        query: &DeleteQuery,
    ) -> Result<DeleteTask, QuickwitError> {
        let json = serde_json::to_string(query).map_err(|error| QuickwitError::Decode {
            url: self.base_url.clone(),
            reason: error.to_string(),
        })?;
        self.send_json(
            Method::Post,
            &format!("/api/v1/{index_id}/delete-tasks"),
            "application/json",
            Some(&json),
        )
    }
}

fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        {
            return true;
        }
        cause = current.source();
    }
    false
}

fn transport_failure(url: &str, transport: &ureq::Transport, timeout: Duration) -> QuickwitError {
    if is_timeout(transport) {
        return QuickwitError::Timeout {
            url: url.to_string(),
            timeout,
        };
    }
    let reason = match transport.kind() {
        ureq::ErrorKind::ConnectionFailed => "connection refused or failed".to_string(),
        ureq::ErrorKind::Dns => "unknown host".to_string(),
        ureq::ErrorKind::InvalidUrl => "not a valid URL".to_string(),
        ureq::ErrorKind::UnknownScheme => {
            "only http:// URLs are supported (put TLS in a proxy in front of Quickwit)".to_string()
        }
        _ => transport
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| transport.kind().to_string()),
    };
    QuickwitError::Unreachable {
        url: url.to_string(),
        reason,
    }
}

fn io_failure(url: &str, error: &std::io::Error, timeout: Duration) -> QuickwitError {
    if is_timeout(error) {
        QuickwitError::Timeout {
            url: url.to_string(),
            timeout,
        }
    } else {
        QuickwitError::Unreachable {
            url: url.to_string(),
            reason: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::replay::{Canned, ReplayServer, Route};
    use super::super::translate::SearchBody;
    use super::*;

    const SEARCH_PATH: &str = "/api/v1/news/search";
    const EMPTY_RESULT: &str =
        r#"{"num_hits": 0, "hits": [], "elapsed_time_micros": 10, "errors": []}"#;

    fn fast_options() -> ClientOptions {
        ClientOptions {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_attempts: 4,
            backoff: Duration::from_millis(5),
        }
    }

    fn body() -> SearchBody {
        SearchBody {
            query: "text_stems:oil".to_string(),
            max_hits: 5,
            start_offset: 0,
            start_timestamp: None,
            end_timestamp: None,
            sort_by: None,
            count_all: false,
            aggs: None,
        }
    }

    #[test]
    fn retries_with_backoff_on_429_and_503_then_succeeds() {
        let server = ReplayServer::start(vec![Route::new(
            "POST",
            SEARCH_PATH,
            vec![
                Canned::new(429, r#"{"message": "too many requests"}"#),
                Canned::new(503, r#"{"message": "unavailable"}"#),
                Canned::new(200, EMPTY_RESULT),
            ],
        )])
        .unwrap();
        let client = QuickwitClient::new(&server.url(), fast_options());
        let response = client.search("news", &body()).unwrap();
        assert_eq!(response.num_hits, 0);
        let received = server.received();
        assert_eq!(received.len(), 3);
        assert!(received.iter().all(|r| r.body == received[0].body));
        assert_eq!(
            received[0].content_type.as_deref(),
            Some("application/json")
        );
    }

    #[test]
    fn gives_up_after_the_last_attempt_with_the_servers_message() {
        let server = ReplayServer::start(vec![Route::new(
            "POST",
            SEARCH_PATH,
            vec![Canned::new(503, r#"{"message": "no searcher available"}"#)],
        )])
        .unwrap();
        let client = QuickwitClient::new(&server.url(), fast_options());
        let error = client.search("news", &body()).unwrap_err();
        assert!(matches!(
            error,
            QuickwitError::GaveUp {
                attempts: 4,
                status: 503,
                ..
            }
        ));
        assert!(error.to_string().contains("no searcher available"));
        assert_eq!(server.received().len(), 4);
    }

    #[test]
    fn a_400_shows_the_message_and_is_not_retried() {
        let server = ReplayServer::start(vec![Route::new(
            "POST",
            SEARCH_PATH,
            vec![Canned::new(
                400,
                r#"{"message": "failed to parse query: `text_stems:(oil AND`"}"#,
            )],
        )])
        .unwrap();
        let client = QuickwitClient::new(&server.url(), fast_options());
        let error = client.search("news", &body()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "Quickwit refused the request (400 from {}{SEARCH_PATH}): failed to parse query: `text_stems:(oil AND`",
                server.url()
            )
        );
        assert_eq!(server.received().len(), 1);
    }

    #[test]
    fn a_slow_answer_times_out() {
        let server = ReplayServer::start(vec![Route::new(
            "POST",
            SEARCH_PATH,
            vec![Canned::new(200, EMPTY_RESULT).delayed(Duration::from_millis(1_500))],
        )])
        .unwrap();
        let options = ClientOptions {
            timeout: Duration::from_millis(200),
            ..fast_options()
        };
        let client = QuickwitClient::new(&server.url(), options);
        let error = client.search("news", &body()).unwrap_err();
        assert!(matches!(error, QuickwitError::Timeout { .. }), "{error:?}");
        assert!(error.to_string().contains(&server.url()));
    }

    #[test]
    fn a_server_that_is_down_is_one_line_naming_the_url() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = QuickwitClient::new(&url, fast_options());
        let error = client.search("news", &body()).unwrap_err();
        assert!(
            matches!(error, QuickwitError::Unreachable { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.starts_with(&format!("cannot reach Quickwit at {url}/")));
        assert!(!message.contains('\n'));
    }

    #[test]
    fn ingest_never_forces_a_commit_and_reads_rejections() {
        let server = ReplayServer::start(vec![Route::new(
            "POST",
            "/api/v1/news/ingest",
            vec![Canned::new(
                200,
                r#"{"num_docs_for_processing": 2, "num_ingested_docs": 0, "num_rejected_docs": 2}"#,
            )],
        )])
        .unwrap();
        let client = QuickwitClient::new(&server.url(), fast_options());
        let response = client.ingest("news", "{}\n{}\n").unwrap();
        assert_eq!(response.num_rejected_docs, Some(2));
        let received = server.received();
        assert_eq!(received[0].target, "/api/v1/news/ingest");
        assert_eq!(received[0].body, "{}\n{}\n");
    }

    #[test]
    fn a_missing_index_is_none_and_other_errors_are_errors() {
        let server = ReplayServer::start(vec![Route::new(
            "GET",
            "/api/v1/indexes/present",
            vec![Canned::new(500, r#"{"message": "metastore down"}"#)],
        )])
        .unwrap();
        let client = QuickwitClient::new(
            &server.url(),
            ClientOptions {
                max_attempts: 1,
                ..fast_options()
            },
        );
        assert_eq!(client.get_index("absent").unwrap(), None);
        assert!(client.get_index("present").is_err());
    }

    #[test]
    fn error_messages_come_from_the_body_or_the_text() {
        assert_eq!(error_message(r#"{"message": "boom"}"#), "boom");
        assert_eq!(error_message("plain text\n"), "plain text");
        assert_eq!(error_message(""), "no message");
    }
}
