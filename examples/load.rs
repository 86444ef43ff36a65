//! Load test of `newsdex serve`: keep-alive HTTP/1.1 connections to a loopback address send
//! `/api/search` requests for a fixed time, then report searches per second, latency
//! percentiles, the share of answers whose facets came from the server's request cache, and the
//! CPU this client used itself (it shares the machine with the server). Refuses any address
//! that is not loopback.
//!
//! cargo run --release --example load -- URL [SECONDS] [CONNECTIONS] [QUERIES_FILE]
//!     [--index DIR] [--distinct N] [--zipf S] [--seed N]
//!
//! The queries: QUERIES_FILE (one query string per line, `q=...&entity=...`), else with
//! `--index DIR` a realistic mix drawn from that index (`newsdex::bench::generate_queries`:
//! single words, AND, OR and phrases of mid-frequency words from stored passages, a third with
//! a date window and a third with an entity filter), `--distinct N` of them (default 2000),
//! some asked sorted by date or for the second page; else a short built-in list. Each request
//! draws a query by popularity: rank r is asked with probability ~ 1/r^S (`--zipf`, default
//! 1.0, as in search logs; 0 draws uniformly).

newsdex::use_mimalloc!();

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use newsdex::bench::generate_queries;
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::open_index;
use newsdex::search::Searcher;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Queries used without a file or an index: common and rare words, phrases, operators, filters.
const QUERIES: &[&str] = &[
    "q=ammunition+Serbia",
    "q=oil+prices",
    "q=gas",
    "q=%22interest+rates%22",
    "q=trade+deficit",
    "q=grain+exports&sort=date",
    "q=bank+AND+loans",
    "q=coffee+cocoa",
    "q=election",
    "q=sanctions+-russia",
    "q=tariff*",
    "q=dollar&since=1987-03-01&until=1987-03-31",
    "q=shares+stake",
    "q=wheat&entity=USSR",
    "q=profit+quarter",
    "q=ukraine+ammunition",
];

struct Options {
    url: String,
    seconds: u64,
    connections: usize,
    queries_file: Option<String>,
    index: Option<String>,
    distinct: usize,
    zipf: f64,
    seed: u64,
}

fn parse_args() -> anyhow::Result<Options> {
    let usage = "usage: load URL [SECONDS] [CONNECTIONS] [QUERIES_FILE] [--index DIR] [--distinct N] [--zipf S] [--seed N]";
    let mut positional = Vec::new();
    let mut options = Options {
        url: String::new(),
        seconds: 10,
        connections: 8,
        queries_file: None,
        index: None,
        distinct: 2000,
        zipf: 1.0,
        seed: 42,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--index" => options.index = Some(value("--index")?),
            "--distinct" => options.distinct = value("--distinct")?.parse()?,
            "--zipf" => options.zipf = value("--zipf")?.parse()?,
            "--seed" => options.seed = value("--seed")?.parse()?,
            flag if flag.starts_with("--") => bail!("unknown option {flag}; {usage}"),
            _ => positional.push(arg),
        }
    }
    let mut positional = positional.into_iter();
    options.url = positional.next().context(usage)?;
    if let Some(seconds) = positional.next() {
        options.seconds = seconds.parse()?;
    }
    if let Some(connections) = positional.next() {
        options.connections = connections.parse()?;
    }
    options.queries_file = positional.next();
    if !(0.0..=3.0).contains(&options.zipf) {
        bail!("--zipf must be between 0 and 3");
    }
    Ok(options)
}

/// A query string for each generated query of the index, with a date window or entity filter
/// when it has one; about one in ten asked sorted by date, one in ten for the second page.
fn mix_from_index(index: &Path, distinct: usize, seed: u64) -> anyhow::Result<Vec<String>> {
    let handle = open_index(index)?;
    let searcher = Searcher::new(handle, EntityExtractor::builtin())?;
    let per_class = distinct.div_ceil(12).max(1);
    let generated = generate_queries(&searcher, per_class, seed)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let encode =
        |value: &str| -> String { form_urlencoded::byte_serialize(value.as_bytes()).collect() };
    let mut queries: Vec<String> = generated
        .iter()
        .take(distinct)
        .map(|query| {
            let mut line = format!("q={}", encode(&query.query));
            if let Some(filters) = &query.filters {
                if let Some(since) = filters.since {
                    line += &format!("&since={}", since.format("%Y-%m-%d"));
                }
                if let Some(until) = filters.until {
                    line += &format!("&until={}", until.format("%Y-%m-%d"));
                }
                for entity in &filters.entities {
                    line += &format!("&entity={}", encode(entity));
                }
            }
            match rng.random_range(0..10) {
                0 => line += "&sort=date",
                1 => line += "&offset=10",
                _ => {}
            }
            line
        })
        .collect();
    // Popularity is not tied to the query's class.
    queries.shuffle(&mut rng);
    Ok(queries)
}

/// Cumulative probabilities of ranks 1..=n under Zipf's law with exponent `s`.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut cdf = Vec::with_capacity(n);
    let mut sum = 0.0;
    for rank in 1..=n {
        sum += 1.0 / (rank as f64).powf(s);
        cdf.push(sum);
    }
    for value in &mut cdf {
        *value /= sum;
    }
    cdf
}

/// CPU seconds (user + system) this process has used.
fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage for the call to fill in.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    cache_hits: u64,
    cache_misses: u64,
}

// One thread: the client stays light next to the server it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let options = parse_args()?;
    let queries: Vec<String> = match (&options.queries_file, &options.index) {
        (Some(path), _) => std::fs::read_to_string(path)
            .with_context(|| format!("failed to read `{path}`"))?
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_string)
            .collect(),
        (None, Some(index)) => mix_from_index(Path::new(index), options.distinct, options.seed)?,
        (None, None) => QUERIES.iter().map(|q| q.to_string()).collect(),
    };
    if queries.is_empty() {
        bail!("no queries to send");
    }
    let url = &options.url;
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("`{url}` is not http://IP:PORT"))?;
    if !addr.ip().is_loopback() {
        bail!("load tests run against loopback addresses only, not {addr}");
    }
    let cdf = std::sync::Arc::new(zipf_cdf(queries.len(), options.zipf));
    let queries = std::sync::Arc::new(queries);
    let seconds = options.seconds.clamp(1, 120);
    let connections = options.connections.clamp(1, 256);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for worker_idx in 0..connections {
        let (queries, cdf) = (queries.clone(), cdf.clone());
        let rng = ChaCha8Rng::seed_from_u64(options.seed ^ ((worker_idx as u64 + 1) * 0x9e37));
        workers.push(tokio::spawn(async move {
            run_connection(addr, &queries, &cdf, rng, deadline).await
        }));
    }
    let mut total = Tally::default();
    for worker in workers {
        let mut tally = worker.await??;
        total.latencies.append(&mut tally.latencies);
        total.errors += tally.errors;
        total.cache_hits += tally.cache_hits;
        total.cache_misses += tally.cache_misses;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let client_cpu = cpu_seconds() - cpu_before;
    let mut latencies = total.latencies;
    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let idx = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[idx].as_secs_f64() * 1000.0
    };
    let looked_up = total.cache_hits + total.cache_misses;
    let report = serde_json::json!({
        "seconds": elapsed,
        "connections": connections,
        "queries": queries.len(),
        "zipf": options.zipf,
        "searches": latencies.len(),
        "errors": total.errors,
        "searches_per_second": latencies.len() as f64 / elapsed,
        "p50_ms": percentile(0.50),
        "p90_ms": percentile(0.90),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
        "cache_hit_rate": if looked_up > 0 { Some(total.cache_hits as f64 / looked_up as f64) } else { None },
        "client_cpu_seconds": client_cpu,
        "client_cpu_share_of_one_core": client_cpu / elapsed,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if total.errors > 0 {
        bail!("{} requests failed", total.errors);
    }
    Ok(())
}

/// One keep-alive connection sending requests back to back until the deadline.
async fn run_connection(
    addr: SocketAddr,
    queries: &[String],
    cdf: &[f64],
    mut rng: ChaCha8Rng,
    deadline: Instant,
) -> anyhow::Result<Tally> {
    let mut stream = BufReader::new(TcpStream::connect(addr).await?);
    stream.get_ref().set_nodelay(true)?;
    let mut tally = Tally::default();
    let mut line = String::new();
    let mut body = Vec::new();
    let mut request = String::new();
    while Instant::now() < deadline {
        let draw: f64 = rng.random();
        let rank = cdf.partition_point(|&p| p < draw).min(queries.len() - 1);
        let query = &queries[rank];
        request.clear();
        request.push_str("GET /api/search?");
        request.push_str(query);
        request.push_str("&limit=10 HTTP/1.1\r\nHost: ");
        request.push_str(&addr.to_string());
        request.push_str("\r\n\r\n");
        let sent = Instant::now();
        stream.get_mut().write_all(request.as_bytes()).await?;
        line.clear();
        stream.read_line(&mut line).await?;
        let ok = line.starts_with("HTTP/1.1 200");
        let mut content_length = 0usize;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                bail!("the server closed the connection");
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse()?;
                } else if name.eq_ignore_ascii_case("x-newsdex-cache") {
                    match value.trim() {
                        "hit" => tally.cache_hits += 1,
                        "miss" => tally.cache_misses += 1,
                        _ => {}
                    }
                }
            }
        }
        body.resize(content_length, 0);
        stream.read_exact(&mut body).await?;
        if ok {
            tally.latencies.push(sent.elapsed());
        } else {
            tally.errors += 1;
            if tally.errors <= 3 {
                eprintln!(
                    "{}: {}",
                    query,
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                );
            }
        }
    }
    Ok(tally)
}
