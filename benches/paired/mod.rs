//! The paired measurement of the build benches: two variants run back to back, in alternating
//! order, so that both see the same load, and the median and quartiles of the per-pair ratio of
//! their throughputs are printed by wall-clock time and by the process's CPU time (all threads,
//! user and system), which waiting for a busy machine's cores does not inflate.

use std::time::Instant;

/// Runs `pairs` pairs of `ours` and `theirs` (alternating which goes first) and prints the
/// median time of one run of each, then the ratio "throughput of ours / throughput of theirs"
/// as `{label}/paired ({clock}): throughput {what} = ...`. Returns the wall-clock seconds of the
/// first pair: (ours, theirs).
pub fn measure(
    label: &str,
    what: &str,
    pairs: usize,
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
) -> (f64, f64) {
    let time = |run: &mut dyn FnMut()| {
        let (started, cpu_started) = (Instant::now(), cpu_seconds());
        run();
        (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_started)
    };
    let mut wall_ratios = Vec::with_capacity(pairs);
    let mut cpu_ratios = Vec::with_capacity(pairs);
    // Seconds of each run: (ours wall, ours CPU, theirs wall, theirs CPU).
    let mut times = [const { Vec::new() }; 4];
    let mut first = (0.0, 0.0);
    for pair in 0..pairs {
        let (a, b) = if pair % 2 == 0 {
            let a = time(&mut ours);
            (a, time(&mut theirs))
        } else {
            let b = time(&mut theirs);
            (time(&mut ours), b)
        };
        if pair == 0 {
            first = (a.0, b.0);
        }
        // Throughput of ours / throughput of theirs = their time / our time.
        wall_ratios.push(b.0 / a.0);
        cpu_ratios.push(b.1 / a.1);
        for (seconds, time) in times.iter_mut().zip([a.0, a.1, b.0, b.1]) {
            seconds.push(time);
        }
    }
    let [ours_wall, ours_cpu, theirs_wall, theirs_cpu] = times.map(|seconds| median(seconds) * 1e3);
    println!(
        "{label}/paired: median run {what}: {ours_wall:.1} ms / {theirs_wall:.1} ms wall-clock, \
         {ours_cpu:.1} ms / {theirs_cpu:.1} ms CPU"
    );
    for (clock, ratios) in [("wall-clock", wall_ratios), ("CPU", cpu_ratios)] {
        let (median, low, high) = quartiles(ratios);
        println!(
            "{label}/paired ({clock}): throughput {what} = {median:.3} (median of {pairs} pairs, \
             quartiles {low:.3}-{high:.3}; target >= 0.80)"
        );
    }
    first
}

/// CPU time of the whole process so far (every thread, user and system), in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The median of `values`.
fn median(values: Vec<f64>) -> f64 {
    quartiles(values).0
}

/// The median and quartiles of `ratios`.
fn quartiles(mut ratios: Vec<f64>) -> (f64, f64, f64) {
    ratios.sort_by(f64::total_cmp);
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.25), at(0.75))
}
