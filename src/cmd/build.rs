//! `newsdex index build`: runs the build pipeline with a progress bar and prints the summary.

use std::io::Write;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::build::{BuildObserver, BuildOptions, BuildReport, build_index};
use crate::cli::BuildArgs;
use crate::cmd::Outcome;
use crate::config::IndexLocation;
use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::ingest::{CorpusFile, WalkOptions};

/// Shows progress on a terminal and reports problems as they are found.
struct Reporter {
    bar: ProgressBar,
    quiet: bool,
}

impl BuildObserver for Reporter {
    fn started(&self, _n_files: usize, total_bytes: u64) {
        self.bar.set_length(total_bytes);
    }

    fn file_done(&self, file: &CorpusFile) {
        self.bar.inc(file.size);
    }

    fn error(&self, error: &IngestError) {
        self.bar.suspend(|| eprintln!("error: {error}"));
    }

    fn warning(&self, path: &str, message: &str) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("warning: {path}: {message}"));
        }
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec})",
        )
        .expect("the progress template is valid"),
    );
    bar
}

/// Builds the index at `index` from `corpus`, printing progress and a summary to stderr.
pub fn build(
    corpus: &Path,
    index: &Path,
    args_memory_mb: usize,
    walk: WalkOptions,
    quiet: bool,
) -> anyhow::Result<BuildReport> {
    build_with(
        corpus,
        index,
        args_memory_mb,
        walk,
        quiet,
        &EntityExtractor::builtin(),
    )
}

/// `build` with a given extractor (the built-in one plus a user's `--entities` file).
pub fn build_with(
    corpus: &Path,
    index: &Path,
    args_memory_mb: usize,
    walk: WalkOptions,
    quiet: bool,
    extractor: &EntityExtractor,
) -> anyhow::Result<BuildReport> {
    let options = BuildOptions {
        corpus: corpus.to_path_buf(),
        index: index.to_path_buf(),
        walk,
        memory_mb: args_memory_mb,
    };
    let reporter = Reporter {
        bar: progress_bar(quiet),
        quiet,
    };
    let report = build_index(&options, extractor, &reporter)?;
    reporter.bar.finish_and_clear();
    if !quiet {
        print_summary(&mut std::io::stderr().lock(), &report, index)?;
    }
    Ok(report)
}

pub fn run(args: &BuildArgs, _color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let walk = WalkOptions {
        forced_format: args.format,
        max_file_size: args.max_file_size,
    };
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let report = build_with(
        &args.corpus,
        location.path(),
        args.memory_mb,
        walk,
        args.quiet,
        &extractor,
    )?;
    Ok(if report.is_complete() {
        Outcome::Success
    } else {
        Outcome::Incomplete
    })
}

/// The summary: what went in, what was skipped and why, and how fast.
pub fn print_summary<W: Write>(
    out: &mut W,
    report: &BuildReport,
    index: &Path,
) -> std::io::Result<()> {
    writeln!(
        out,
        "indexed {} articles as {} passages from {} files ({:.2} MB) into {} in {:.2} s ({:.1} MB/s)",
        report.articles,
        report.passages,
        report.files_read,
        report.bytes as f64 / 1e6,
        index.display(),
        report.elapsed.as_secs_f64(),
        report.megabytes_per_second()
    )?;
    let n_problems = report.errors.len() + report.skipped.len();
    let mut parts = Vec::new();
    if n_problems > 0 {
        parts.push(format!("{n_problems} with errors (listed above)"));
    }
    if report.hidden > 0 {
        parts.push(format!("{} hidden", report.hidden));
    }
    if report.unknown_extension > 0 {
        parts.push(format!(
            "{} with unknown extensions",
            report.unknown_extension
        ));
    }
    if !parts.is_empty() {
        writeln!(out, "skipped: {}", parts.join(", "))?;
    }
    if report.warnings > 0 {
        writeln!(out, "{} warnings (listed above)", report.warnings)?;
    }
    Ok(())
}
