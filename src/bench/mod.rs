//! Bench stage: a search backend (the local index, or Quickwit over HTTP) + a query set (a file,
//! or a seeded mix drawn from a local index) -> latency percentiles per query class, with search
//! timed apart from fetching stored fields and making snippets, as a serde `BenchReport`. It
//! never prints and never changes the index; it measures warm latency only (the OS page cache,
//! or the Quickwit cluster's caches, are whatever the caller left).
//!
//! `class` (query classes, `BenchQuery`), `file` (query files), `mix` (the seeded mix drawn from
//! an index), `pairs` (the seeded set of words and word pairs asked three ways), `stats`
//! (percentiles) and `error` sit below this module, which runs the passes and makes the report;
//! none of them imports it.

mod class;
mod error;
mod file;
mod mix;
mod pairs;
mod stats;
#[cfg(test)]
mod tests;

pub use class::{BenchQuery, QueryClass};
pub use error::{BenchError, build_in_progress};
pub use file::{QueryLine, SkippedQuery, parse_query_line, read_query_file};
pub use mix::{NO_DATES, QueryMix, generate_mix, generate_queries};
pub use pairs::generate_pair_set;
pub use stats::{Stats, percentile, stats};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::backend::SearchBackend;

/// The figures of one class (or of all queries): the top-level figures are the whole request
/// (search, fetch and snippets); `search` is finding the top 10, `fetch` the stored fields and
/// snippets of those 10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    #[serde(flatten)]
    pub total: Stats,
    pub search: Stats,
    pub fetch: Stats,
    /// Mean number of matching passages per query, as the searcher counted them.
    pub mean_matches: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub newsdex_version: String,
    /// The index directory, or `URL index ID` with `--backend quickwit`.
    pub index: String,
    pub passages: u64,
    /// tantivy segments, or Quickwit's published splits.
    pub segments: usize,
    /// `generated` (drawn from the index with `seed`) or the query file's path.
    pub queries_from: String,
    pub seed: Option<u64>,
    pub queries: usize,
    pub skipped_queries: usize,
    pub warmup: usize,
    pub rounds: usize,
    pub threads: usize,
    pub wall_seconds: f64,
    pub classes: BTreeMap<QueryClass, ClassReport>,
    pub all: ClassReport,
    /// Classes of the seeded mix that were not measured, with why (`the index holds no dates`).
    #[serde(default)]
    pub skipped_classes: BTreeMap<QueryClass, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    pub warmup: usize,
    pub rounds: usize,
    pub threads: usize,
}

/// One timed run of one query.
#[derive(Debug, Clone, Copy)]
struct Sample {
    class: QueryClass,
    total_ns: u64,
    search_ns: u64,
    fetch_ns: u64,
    matches: usize,
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Runs `rounds` passes over the queries on `threads` threads, each thread taking the next
/// query from a shared counter, and returns every sample.
fn run_passes(
    backend: &dyn SearchBackend,
    queries: &[BenchQuery],
    rounds: usize,
    threads: usize,
) -> Result<Vec<Sample>, BenchError> {
    let n_jobs = queries.len() * rounds;
    let next_job = AtomicUsize::new(0);
    let worker = || -> Result<Vec<Sample>, BenchError> {
        let mut samples = Vec::with_capacity(n_jobs / threads + 1);
        loop {
            let job = next_job.fetch_add(1, Ordering::Relaxed);
            if job >= n_jobs {
                return Ok(samples);
            }
            let query = &queries[job % queries.len()];
            let request = query.request();
            let started = Instant::now();
            let results = backend
                .search(&request)
                .map_err(|source| BenchError::Query {
                    query: query.query.to_string(),
                    source,
                })?;
            let total = started.elapsed();
            samples.push(Sample {
                class: query.class,
                total_ns: nanos(total),
                search_ns: nanos(results.search_time),
                fetch_ns: nanos(results.fetch_time),
                // The search counts every match only when asked; otherwise this is the hits.
                matches: results
                    .total
                    .map_or(results.hits.len(), |total| total as usize),
            });
        }
    };
    if threads == 1 {
        return worker();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        let mut samples = Vec::with_capacity(n_jobs);
        for handle in handles {
            let mut thread_samples = handle.join().map_err(|_| BenchError::ThreadPanicked)??;
            samples.append(&mut thread_samples);
        }
        Ok(samples)
    })
}

fn class_report(samples: &[&Sample], threads: usize) -> ClassReport {
    let mut total: Vec<u64> = samples.iter().map(|sample| sample.total_ns).collect();
    let mut search: Vec<u64> = samples.iter().map(|sample| sample.search_ns).collect();
    let mut fetch: Vec<u64> = samples.iter().map(|sample| sample.fetch_ns).collect();
    let matches: usize = samples.iter().map(|sample| sample.matches).sum();
    ClassReport {
        total: stats(&mut total, threads),
        search: stats(&mut search, threads),
        fetch: stats(&mut fetch, threads),
        mean_matches: matches as f64 / samples.len().max(1) as f64,
    }
}

/// Where the queries came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySource {
    Generated {
        seed: u64,
        /// Classes the index could not give, with why.
        skipped_classes: BTreeMap<QueryClass, String>,
    },
    File {
        path: PathBuf,
        skipped: usize,
    },
}

/// Warms up, measures, and reports.
pub fn run_bench(
    backend: &dyn SearchBackend,
    queries: &[BenchQuery],
    source: &QuerySource,
    options: RunOptions,
) -> Result<BenchReport, BenchError> {
    if options.threads == 0 {
        return Err(BenchError::NoThreads);
    }
    if options.rounds == 0 {
        return Err(BenchError::NoRounds);
    }
    let info = backend.describe()?;
    if info.passages == 0 {
        return Err(match info.local_path {
            Some(path) => BenchError::EmptyIndex {
                building: build_in_progress(&path),
                path,
            },
            None => BenchError::EmptyQuickwit { name: info.name },
        });
    }
    run_passes(backend, queries, options.warmup, options.threads)?;
    let started = Instant::now();
    let samples = run_passes(backend, queries, options.rounds, options.threads)?;
    let wall_seconds = started.elapsed().as_secs_f64();

    let mut by_class: BTreeMap<QueryClass, Vec<&Sample>> = BTreeMap::new();
    for sample in &samples {
        by_class.entry(sample.class).or_default().push(sample);
    }
    let classes = by_class
        .into_iter()
        .map(|(class, samples)| (class, class_report(&samples, options.threads)))
        .collect();
    let mut all = class_report(&samples.iter().collect::<Vec<_>>(), options.threads);
    all.total.qps = samples.len() as f64 / wall_seconds.max(1e-9);
    let (queries_from, seed, skipped_queries, skipped_classes) = match source {
        QuerySource::Generated {
            seed,
            skipped_classes,
        } => (
            "generated".to_string(),
            Some(*seed),
            0,
            skipped_classes.clone(),
        ),
        QuerySource::File { path, skipped } => {
            (path.display().to_string(), None, *skipped, BTreeMap::new())
        }
    };
    Ok(BenchReport {
        newsdex_version: env!("CARGO_PKG_VERSION").to_string(),
        index: info.name,
        passages: info.passages,
        segments: info.segments,
        queries_from,
        seed,
        queries: queries.len(),
        skipped_queries,
        warmup: options.warmup,
        rounds: options.rounds,
        threads: options.threads,
        wall_seconds,
        classes,
        all,
        skipped_classes,
    })
}

/// One figure of a report beside the same figure of a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// A class name, or `all`.
    pub class: String,
    /// `total`, `search` or `fetch`.
    pub part: &'static str,
    pub figure: &'static str,
    pub baseline: f64,
    pub current: f64,
    /// `current / baseline`: below 1 is faster for latencies, slower for `qps`.
    pub ratio: f64,
}

fn stats_figures(stats: &Stats) -> [(&'static str, f64); 6] {
    [
        ("p50_us", stats.p50_us),
        ("p90_us", stats.p90_us),
        ("p99_us", stats.p99_us),
        ("max_us", stats.max_us),
        ("mean_us", stats.mean_us),
        ("qps", stats.qps),
    ]
}

/// Every figure of `current` that `baseline` also has, with its ratio to the baseline.
pub fn compare(current: &BenchReport, baseline: &BenchReport) -> Vec<Ratio> {
    let mut pairs: Vec<(String, &ClassReport, &ClassReport)> = current
        .classes
        .iter()
        .filter_map(|(class, report)| {
            baseline
                .classes
                .get(class)
                .map(|base| (class.name().to_string(), report, base))
        })
        .collect();
    pairs.push(("all".to_string(), &current.all, &baseline.all));
    let mut ratios = Vec::new();
    for (class, report, base) in pairs {
        for (part, now, then) in [
            ("total", &report.total, &base.total),
            ("search", &report.search, &base.search),
            ("fetch", &report.fetch, &base.fetch),
        ] {
            for ((figure, current), (_, baseline)) in
                stats_figures(now).into_iter().zip(stats_figures(then))
            {
                ratios.push(Ratio {
                    class: class.clone(),
                    part,
                    figure,
                    baseline,
                    current,
                    ratio: if baseline > 0.0 {
                        current / baseline
                    } else {
                        f64::NAN
                    },
                });
            }
        }
    }
    ratios
}
