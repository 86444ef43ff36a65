//! Load test of `newsdex serve`: keep-alive HTTP/1.1 connections to a loopback address send
//! `/api/search` requests from a fixed list of queries for a fixed time, then report searches
//! per second and latency percentiles. Refuses any address that is not loopback.
//!
//! cargo run --release --example load -- http://127.0.0.1:7878 [SECONDS] [CONNECTIONS] [QUERIES_FILE]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Queries used when no file is given: common and rare words, phrases, operators, filters.
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

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = args
        .first()
        .context("usage: load URL [SECONDS] [CONNECTIONS] [QUERIES_FILE]")?;
    let seconds: u64 = args.get(1).map_or(Ok(10), |s| s.parse())?;
    let connections: usize = args.get(2).map_or(Ok(8), |s| s.parse())?;
    let queries: Vec<String> = match args.get(3) {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("failed to read `{path}`"))?
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_string)
            .collect(),
        None => QUERIES.iter().map(|q| q.to_string()).collect(),
    };
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("`{url}` is not http://IP:PORT"))?;
    if !addr.ip().is_loopback() {
        bail!("load tests run against loopback addresses only, not {addr}");
    }
    let seconds = seconds.clamp(1, 120);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker_idx in 0..connections.clamp(1, 256) {
        let queries = queries.clone();
        workers.push(tokio::spawn(async move {
            run_connection(addr, &queries, worker_idx, deadline).await
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    for worker in workers {
        let (mut worker_latencies, worker_errors) = worker.await??;
        latencies.append(&mut worker_latencies);
        errors += worker_errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let idx = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[idx].as_secs_f64() * 1000.0
    };
    let report = serde_json::json!({
        "seconds": elapsed,
        "connections": connections,
        "queries": queries.len(),
        "searches": latencies.len(),
        "errors": errors,
        "searches_per_second": latencies.len() as f64 / elapsed,
        "p50_ms": percentile(0.50),
        "p90_ms": percentile(0.90),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// One keep-alive connection sending requests back to back until the deadline.
async fn run_connection(
    addr: SocketAddr,
    queries: &[String],
    worker_idx: usize,
    deadline: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut stream = BufReader::new(TcpStream::connect(addr).await?);
    stream.get_ref().set_nodelay(true)?;
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    let mut query_idx = worker_idx;
    let mut line = String::new();
    let mut body = Vec::new();
    while Instant::now() < deadline {
        let query = &queries[query_idx % queries.len()];
        query_idx += 1;
        let request = format!("GET /api/search?{query}&limit=10 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
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
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse()?;
            }
        }
        body.resize(content_length, 0);
        stream.read_exact(&mut body).await?;
        if ok {
            latencies.push(sent.elapsed());
        } else {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}
