//! Serve stage: an open `Searcher` -> an HTTP server on a socket, with the JSON API (`api`) and
//! the embedded search page (`assets/`). Owns the runtime, the router, the request limits and
//! the accept loop; it does not search, rank or format results itself (that is `search`,
//! `browse` and the page's own code), and it prints nothing (the command does).

pub mod api;
pub mod cache;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::schema::field_name;
use crate::search::Searcher;
use api::ApiError;
use cache::FacetCache;

/// Longest request target (path and query string) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest request body accepted; every route is a GET, so bodies are refused past this.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest request head (request line and headers) hyper buffers.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// Open connections at once; more are closed on accept.
pub const MAX_CONNECTIONS: usize = 1024;
/// How often the index is checked for a newer commit (a rebuilt index is picked up).
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The page and its parts, embedded at build time: the binary works offline.
pub const INDEX_HTML: &str = include_str!("assets/index.html");
pub const APP_JS: &str = include_str!("assets/app.js");
pub const STYLE_CSS: &str = include_str!("assets/style.css");
pub const OPENAPI_JSON: &str = include_str!("assets/openapi.json");

/// Only the page's own files may run or style anything: a second line of defence behind
/// inserting article text as text.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Limits of one server.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// A client must send the whole request head within this time, or the connection closes.
    pub header_timeout: Duration,
    /// A request (head received) must be answered within this time, or it gets a 503; its
    /// search stops then too.
    pub request_timeout: Duration,
    /// Searches admitted at once (running or queued for a search thread); more wait their turn.
    pub concurrent_searches: usize,
    /// Threads that run searches: one per core, so that searches do not preempt each other.
    pub search_threads: usize,
    /// Bound of the request cache of facets and totals, in MiB; 0 turns it off.
    pub cache_mb: u64,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServeOptions {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            concurrent_searches: cores * 4,
            search_threads: cores,
            cache_mb: cache::DEFAULT_CACHE_MB,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the server runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot start the search threads: {0}")]
    SearchThreads(#[source] rayon::ThreadPoolBuildError),
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub searcher: Arc<Searcher>,
    /// Bounds the searches admitted to the search threads at once.
    pub permits: Arc<Semaphore>,
    /// The threads that do all index work.
    pub pool: Arc<rayon::ThreadPool>,
    /// Facets and totals of recent searches on the loaded index.
    pub cache: Arc<FacetCache>,
    /// A search stops when its request has run this long (the request timeout), or when its
    /// request is dropped.
    pub search_deadline: Duration,
}

/// A server bound to its socket, not yet serving.
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    searcher: Arc<Searcher>,
    options: ServeOptions,
}

impl Server {
    /// Binds the socket (port 0 picks a free port) so that the caller can say where it listens
    /// before serving.
    pub fn bind(
        addr: SocketAddr,
        searcher: Searcher,
        options: ServeOptions,
    ) -> Result<Server, ServeError> {
        let bind_error = |source| ServeError::Bind { addr, source };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            addr,
            searcher: Arc::new(searcher),
            options,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until Ctrl-C or SIGTERM, on a multi-threaded runtime.
    pub fn run(self) -> Result<(), ServeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("newsdex-serve")
            .build()
            .map_err(ServeError::Runtime)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.search_threads.max(1))
            .thread_name(|idx| format!("newsdex-search-{idx}"))
            .build()
            .map_err(ServeError::SearchThreads)?;
        let cache = Arc::new(FacetCache::new(self.options.cache_mb));
        index_loaded(&self.searcher, &cache);
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener).map_err(|source| {
                ServeError::Bind {
                    addr: self.addr,
                    source,
                }
            })?;
            let state = AppState {
                searcher: self.searcher.clone(),
                permits: Arc::new(Semaphore::new(self.options.concurrent_searches.max(1))),
                pool: Arc::new(pool),
                cache: cache.clone(),
                search_deadline: self.options.request_timeout,
            };
            tokio::spawn(reload_forever(self.searcher, cache));
            serve_connections(
                listener,
                router(state, &self.options),
                &self.options,
                shutdown_signal(),
            )
            .await;
            Ok(())
        })
    }
}

/// Picks up a rebuilt index: when the index's `meta.json` changed (a commit replaces it),
/// `Searcher::reload` reads the last commit. A failed reload keeps serving the state already
/// loaded. An unchanged index is not reopened, so its loaded state and caches stay warm.
async fn reload_forever(searcher: Arc<Searcher>, cache: Arc<FacetCache>) {
    let mut interval = tokio::time::interval(RELOAD_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_commit = commit_stamp(&searcher);
    loop {
        interval.tick().await;
        let commit = commit_stamp(&searcher);
        if commit.is_some() && commit == last_commit {
            continue;
        }
        let searcher = searcher.clone();
        let cache = cache.clone();
        let reloaded = tokio::task::spawn_blocking(move || {
            let reloaded = searcher.reload().is_ok();
            if reloaded {
                index_loaded(&searcher, &cache);
            }
            reloaded
        })
        .await
        .unwrap_or(false);
        if reloaded {
            last_commit = commit;
        }
    }
}

/// What identifies the index's last commit on disk without reading it: `meta.json`'s size,
/// modification time and (on Unix) inode; `None` when it cannot be read.
fn commit_stamp(searcher: &Searcher) -> Option<(u64, std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(searcher.handle().path.join("meta.json")).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.len(), meta.modified().ok()?, inode))
}

/// After a (re)load: empties the request cache if the index changed, and decodes the term
/// tables that facets and result grouping read, so that the first searches do not pay for it.
fn index_loaded(searcher: &Searcher, cache: &FacetCache) {
    let tantivy_searcher = searcher.tantivy_searcher();
    cache.index_loaded(cache::index_generation(&tantivy_searcher));
    let schema = tantivy_searcher.schema();
    let fields = searcher.handle().fields;
    for segment in tantivy_searcher.segment_readers() {
        for field in [
            fields.entity,
            fields.category,
            fields.source,
            fields.author,
            fields.article_id,
        ] {
            // Best effort: a table that cannot be decoded now is decoded on first use.
            let _ = crate::facets::segment_terms(segment, field_name(schema, field));
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// The routes and the layers that bound every request.
pub fn router(state: AppState, options: &ServeOptions) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/app.js", get(app_js))
        .route("/style.css", get(style_css))
        .route("/api/openapi.json", get(openapi))
        .route("/api/search", get(api::search))
        .route("/api/entities", get(api::entities))
        .route("/api/stats", get(api::stats))
        .route("/api/articles/{*id}", get(api::article))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(limit_uri))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            options.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }))
        // Outermost, so that the refusals of the layers above get a JSON body too.
        .layer(middleware::map_response(json_errors))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Accepts connections until `shutdown` completes; each connection is served by hyper with a
/// deadline for its request head and a bounded buffer.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let header_timeout = options.header_timeout;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors and the like: wait a little instead of spinning.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(MAX_HEAD_BYTES);
            // A client that goes away or sends garbage ends its own connection only.
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn limit_uri(request: Request, next: Next) -> Response {
    let uri_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |path_and_query| path_and_query.as_str().len());
    if uri_bytes > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request target is {uri_bytes} bytes; the most accepted is {MAX_URI_BYTES}"
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Gives every error response that is not JSON yet (from a layer: timeout, body limit) a JSON
/// body `{"error": "..."}`.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // The request timeout answered first; the request's search stops with it.
        return ApiError::new(
            status,
            "the request took longer than the server's time limit and was stopped; try a narrower query",
        )
        .into_response();
    }
    let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
    ApiError::new(status, reason).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such page or endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "only GET is served here")
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from(body),
    )
        .into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

async fn openapi() -> Response {
    asset("application/json", OPENAPI_JSON)
}
