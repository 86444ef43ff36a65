//! `newsdex bench`: opens the backend (the local index, or Quickwit for end-to-end HTTP
//! latency), loads the queries or draws them from a local index, runs `bench::run_bench` and
//! prints the report as a table or JSON, with ratios to a baseline report when asked. The
//! measuring itself lives in the library.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;

use crate::backend::{BackendKind, SearchBackend};
use crate::bench::{
    self, BenchError, BenchReport, ClassReport, QueryClass, QuerySource, RunOptions, Stats,
    compare, generate_mix, read_query_file, run_bench,
};
use crate::cli::BenchArgs;
use crate::cmd::Outcome;
use crate::config::{self, IndexLocation};
use crate::extract::entities::EntityExtractor;
use crate::index::open_index;
use crate::search::Searcher;

pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let options = RunOptions {
        warmup: usize::try_from(args.warmup).context("--warmup is too large")?,
        rounds: usize::try_from(args.rounds).context("--rounds is too large")?,
        threads: usize::try_from(args.threads).context("--threads is too large")?,
    };
    // Read the baseline first, so that a wrong path fails before minutes of measuring.
    let baseline = args
        .compare
        .as_deref()
        .map(|path| -> anyhow::Result<BenchReport> {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read `{}`", path.display()))?;
            serde_json::from_str(&text).with_context(|| {
                format!(
                    "`{}` is not a `newsdex bench --json` report",
                    path.display()
                )
            })
        })
        .transpose()?;
    let settings = config::backend_settings(&args.backend)?;
    // The local index: searched with the local backend, and the source of the seeded mix.
    let needs_local = settings.kind == BackendKind::Local
        || (args.queries.is_none() && args.index.index.is_some());
    if settings.kind == BackendKind::Quickwit && args.queries.is_none() && !needs_local {
        return Err(BenchError::NoQuerySource.into());
    }
    let local = if needs_local {
        if bench::build_in_progress(location.path()) {
            eprintln!(
                "warning: an index build holds `{}`; measuring its last committed state",
                location.path().display()
            );
        }
        let handle = open_index(location.path())?;
        Some(Searcher::new(handle, EntityExtractor::builtin())?)
    } else {
        None
    };
    let quickwit = match settings.kind {
        BackendKind::Quickwit => Some(crate::cmd::quickwit::backend(
            &settings,
            EntityExtractor::builtin(),
        )?),
        BackendKind::Local => None,
    };
    let backend: &dyn SearchBackend = match (&quickwit, &local) {
        (Some(quickwit), _) => quickwit,
        (None, Some(local)) => local,
        (None, None) => return Err(BenchError::NoQuerySource.into()),
    };
    let (queries, source) = match (&args.queries, &local) {
        (Some(path), _) => {
            let (queries, skipped) = read_query_file(path, backend, &mut |skipped| {
                eprintln!(
                    "warning: {}:{}: skipped: {}",
                    path.display(),
                    skipped.line,
                    skipped.reason
                );
            })?;
            let source = QuerySource::File {
                path: path.clone(),
                skipped,
            };
            (queries, source)
        }
        (None, Some(searcher)) => {
            let per_class = usize::try_from(args.per_class).context("--per-class is too large")?;
            let mix = generate_mix(searcher, per_class, args.seed)?;
            if let Some(line) = skipped_classes_line(&mix.skipped_classes) {
                eprintln!("{line}");
            }
            let source = QuerySource::Generated {
                seed: args.seed,
                skipped_classes: mix.skipped_classes,
            };
            (mix.queries, source)
        }
        (None, None) => return Err(BenchError::NoQuerySource.into()),
    };
    let report = run_bench(backend, &queries, &source, options)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &report)?;
    }
    if let Some(baseline) = &baseline {
        // With --json the ratios go to stderr, so that stdout stays one JSON document.
        if args.json {
            write_ratios(&mut std::io::stderr().lock(), &report, baseline)?;
        } else {
            write_ratios(&mut out, &report, baseline)?;
        }
    }
    out.flush()?;
    Ok(Outcome::Success)
}

/// One line for the classes of the mix left out, by reason: `bench: skipped term+date, ...:
/// the index holds no dates`.
fn skipped_classes_line(skipped: &BTreeMap<QueryClass, String>) -> Option<String> {
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (class, reason) in skipped {
        by_reason.entry(reason).or_default().push(class.name());
    }
    let parts: Vec<String> = by_reason
        .into_iter()
        .map(|(reason, classes)| format!("skipped {}: {reason}", classes.join(", ")))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "bench: {}; the other classes are measured",
            parts.join("; ")
        )
    })
}

fn write_table(out: &mut impl Write, report: &BenchReport) -> std::io::Result<()> {
    writeln!(
        out,
        "index `{}`: {} passages in {} segments; {} queries ({}), {} warm-up + {} rounds, {} thread(s), {:.2} s",
        report.index,
        report.passages,
        report.segments,
        report.queries,
        report.queries_from,
        report.warmup,
        report.rounds,
        report.threads,
        report.wall_seconds,
    )?;
    writeln!(
        out,
        "{:<14} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>9} {:>9} | {:>9} {:>9} {:>10}",
        "class",
        "runs",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "max µs",
        "mean µs",
        "qps",
        "search50",
        "search99",
        "fetch50",
        "fetch99",
        "matches",
    )?;
    let rows = report
        .classes
        .iter()
        .map(|(class, figures)| (class.name(), figures))
        .chain([("all", &report.all)]);
    for (name, figures) in rows {
        write_row(out, name, figures)?;
    }
    Ok(())
}

fn write_row(out: &mut impl Write, name: &str, figures: &ClassReport) -> std::io::Result<()> {
    let Stats {
        count,
        p50_us,
        p90_us,
        p99_us,
        max_us,
        mean_us,
        qps,
    } = &figures.total;
    writeln!(
        out,
        "{name:<14} {count:>7} {p50_us:>9.1} {p90_us:>9.1} {p99_us:>9.1} {max_us:>9.1} {mean_us:>9.1} {qps:>9.0} | {:>9.1} {:>9.1} | {:>9.1} {:>9.1} {:>10.0}",
        figures.search.p50_us,
        figures.search.p99_us,
        figures.fetch.p50_us,
        figures.fetch.p99_us,
        figures.mean_matches,
    )
}

fn write_ratios(
    out: &mut impl Write,
    report: &BenchReport,
    baseline: &BenchReport,
) -> std::io::Result<()> {
    writeln!(
        out,
        "ratios to the baseline (current / baseline; < 1 is faster except for qps):"
    )?;
    writeln!(
        out,
        "{:<14} {:<7} {:<8} {:>12} {:>12} {:>8}",
        "class", "part", "figure", "baseline", "current", "ratio"
    )?;
    for ratio in compare(report, baseline) {
        writeln!(
            out,
            "{:<14} {:<7} {:<8} {:>12.1} {:>12.1} {:>8.3}",
            ratio.class, ratio.part, ratio.figure, ratio.baseline, ratio.current, ratio.ratio
        )?;
    }
    Ok(())
}
