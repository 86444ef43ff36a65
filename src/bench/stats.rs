//! Latency figures of a set of samples: nearest-rank percentiles, mean, throughput.

use serde::{Deserialize, Serialize};

/// Latency figures of one set of samples, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Queries per second: for one class, `threads / mean`; for all queries, the queries run
    /// divided by the wall-clock time of the measured rounds.
    pub qps: f64,
}

/// The value at percentile `percent` (0-100] of sorted samples, by the nearest-rank method: the
/// smallest sample that at least `percent`% of the samples are less than or equal to.
pub fn percentile(sorted: &[u64], percent: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Figures of samples in nanoseconds; `qps` is `threads / mean` until the caller sets it.
pub fn stats(samples_ns: &mut [u64], threads: usize) -> Stats {
    samples_ns.sort_unstable();
    let us = |ns: Option<u64>| ns.map_or(0.0, |ns| ns as f64 / 1000.0);
    let count = samples_ns.len();
    let mean_us = if count == 0 {
        0.0
    } else {
        samples_ns.iter().map(|&ns| ns as f64).sum::<f64>() / count as f64 / 1000.0
    };
    Stats {
        count,
        p50_us: us(percentile(samples_ns, 50.0)),
        p90_us: us(percentile(samples_ns, 90.0)),
        p99_us: us(percentile(samples_ns, 99.0)),
        max_us: us(samples_ns.last().copied()),
        mean_us,
        qps: if mean_us > 0.0 {
            threads as f64 * 1e6 / mean_us
        } else {
            0.0
        },
    }
}
