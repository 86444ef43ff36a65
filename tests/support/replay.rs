//! Replay server (test-only code, included by path in the unit and integration tests): a tiny HTTP/1.1 server on 127.0.0.1 that answers each request with canned
//! responses (recorded Quickwit answers, or made-up faults) and remembers what it was sent.
//! For tests of the transport and of the Quickwit backend; not a Quickwit emulator (it never
//! looks at a query).

// Each test program that includes it uses a part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// One answer: status, JSON body, and how long to wait before sending it.
#[derive(Debug, Clone, PartialEq)]
pub struct Canned {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

impl Canned {
    pub fn new(status: u16, body: impl Into<String>) -> Canned {
        Canned {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Canned {
        self.delay = delay;
        self
    }

    /// `POST /api/v1/indexes`: the index was created.
    pub fn index_created(index_id: &str) -> Canned {
        Canned::new(
            200,
            json!({"index_uid": format!("{index_id}:01"), "index_config": {}}).to_string(),
        )
    }

    /// `POST /api/v1/{index}/ingest`: `n_docs` taken, `n_rejected` of them rejected.
    pub fn ingested(n_docs: u64, n_rejected: u64) -> Canned {
        Canned::new(
            200,
            json!({"num_docs_for_processing": n_docs,
                   "num_ingested_docs": n_docs.saturating_sub(n_rejected),
                   "num_rejected_docs": n_rejected})
            .to_string(),
        )
    }

    /// `POST /api/v1/{index}/search`: these hits, all there are, and these aggregations.
    pub fn search_hits(hits: Vec<Value>, aggregations: Option<Value>) -> Canned {
        let mut answer = json!({"num_hits": hits.len(), "hits": hits,
                                "elapsed_time_micros": 10, "errors": []});
        if let Some(aggregations) = aggregations {
            answer["aggregations"] = aggregations;
        }
        Canned::new(200, answer.to_string())
    }

    /// `POST /api/v1/_elastic/{index}/_search` sorted by `_score`: these hits, each with its
    /// score in its `sort` array, all there are.
    pub fn elastic_hits(hits: Vec<(Value, f32)>) -> Canned {
        let n_hits = hits.len();
        let hits: Vec<Value> = hits
            .into_iter()
            .map(|(source, score)| json!({"_index": "news", "_source": source, "sort": [score]}))
            .collect();
        Canned::new(
            200,
            json!({"took": 1, "timed_out": false,
                   "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                   "hits": {"total": {"value": n_hits, "relation": "eq"}, "hits": hits}})
            .to_string(),
        )
    }

    /// `GET /api/v1/indexes/{id}/describe`: the index holds `n_docs` passages in `n_splits`.
    pub fn described(index_id: &str, n_docs: u64, n_splits: u64) -> Canned {
        Canned::new(
            200,
            json!({"index_id": index_id, "num_published_docs": n_docs,
                   "num_published_splits": n_splits, "size_published_splits": n_docs * 300})
            .to_string(),
        )
    }
}

/// A stored passage as a search hit carries it: article `article_id` (also its path), dated
/// 2024-03-28, category `Defense`, naming Serbia, under `section` (`""` for the lead).
pub fn passage_hit(article_id: &str, ordinal: u64, section: &str, text: &str) -> Value {
    json!({
        "passage_id": format!("{article_id}-{ordinal}"), "article_id": article_id,
        "path": article_id, "title": "Shells", "date": "2024-03-28T00:00:00Z",
        "section": section, "category": "defense", "category_name": "Defense",
        "entities": ["serbia"], "entity_labels": ["place:Serbia"],
        "ordinal": ordinal, "text": text,
    })
}

/// Answers for requests of one method to one path (the query string is ignored), given in
/// turn; the last one repeats.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub answers: VecDeque<Canned>,
}

impl Route {
    pub fn new(method: &str, path: &str, answers: Vec<Canned>) -> Route {
        Route {
            method: method.to_string(),
            path: path.to_string(),
            answers: answers.into(),
        }
    }

    /// `POST /api/v1/indexes`, answered that the index was created.
    pub fn create_index(index_id: &str) -> Route {
        Route::new(
            "POST",
            "/api/v1/indexes",
            vec![Canned::index_created(index_id)],
        )
    }

    /// `POST /api/v1/{index_id}/ingest`.
    pub fn ingest(index_id: &str, answers: Vec<Canned>) -> Route {
        Route::new("POST", &format!("/api/v1/{index_id}/ingest"), answers)
    }

    /// `POST /api/v1/{index_id}/search`.
    pub fn search(index_id: &str, answers: Vec<Canned>) -> Route {
        Route::new("POST", &format!("/api/v1/{index_id}/search"), answers)
    }

    /// `POST /api/v1/_elastic/{index_id}/_search`.
    pub fn elastic(index_id: &str, answers: Vec<Canned>) -> Route {
        Route::new(
            "POST",
            &format!("/api/v1/_elastic/{index_id}/_search"),
            answers,
        )
    }

    /// `GET /api/v1/indexes/{index_id}/describe`, answered with its size.
    pub fn describe(index_id: &str, n_docs: u64, n_splits: u64) -> Route {
        Route::new(
            "GET",
            &format!("/api/v1/indexes/{index_id}/describe"),
            vec![Canned::described(index_id, n_docs, n_splits)],
        )
    }
}

/// A request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedRequest {
    pub method: String,
    /// The path with its query string.
    pub target: String,
    pub content_type: Option<String>,
    pub body: String,
}

/// A running replay server; stops when dropped.
pub struct ReplayServer {
    address: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ReplayServer {
    /// Starts serving `routes` on a free port of 127.0.0.1.
    pub fn start(routes: Vec<Route>) -> std::io::Result<ReplayServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let received = Arc::clone(&received);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve(&listener, routes, &received, &stop))
        };
        Ok(ReplayServer {
            address,
            received,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    listener: &TcpListener,
    mut routes: Vec<Route>,
    received: &Mutex<Vec<ReceivedRequest>>,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        // A client that went away is not the server's problem.
        let _ = answer(stream, &mut routes, received);
    }
}

fn answer(
    stream: TcpStream,
    routes: &mut [Route],
    received: &Mutex<Vec<ReceivedRequest>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut content_type = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => content_length = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body)?;
    let path = target.split('?').next().unwrap_or_default().to_string();
    received
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(ReceivedRequest {
            method: method.clone(),
            target,
            content_type,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    let canned = routes
        .iter_mut()
        .find(|route| route.method == method && route.path == path)
        .and_then(|route| {
            if route.answers.len() > 1 {
                route.answers.pop_front()
            } else {
                route.answers.front().cloned()
            }
        })
        .unwrap_or_else(|| {
            Canned::new(
                404,
                format!(r#"{{"message": "replay server: no route for {method} {path}"}}"#),
            )
        });
    std::thread::sleep(canned.delay);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        canned.status,
        reason_phrase(canned.status),
        canned.body.len(),
        canned.body
    )?;
    stream.flush()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
