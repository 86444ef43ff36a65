//! `newsdex index build`: runs the build pipeline with a progress bar and prints the summary.

use std::io::Write;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::backend::BackendKind;
use crate::build::{BuildObserver, BuildOptions, BuildReport, build_index};
use crate::cli::BuildArgs;
use crate::cmd::Outcome;
use crate::config::IndexLocation;
use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::incremental::PlanSummary;
use crate::ingest::WalkOptions;
use crate::manifest::ChangeCounts;

/// Warnings of one kind printed before the rest are only counted (unless `--verbose`).
const WARNINGS_SHOWN_PER_KIND: usize = 5;

/// Shows progress on a terminal and reports problems as they are found; repeated warnings of
/// one kind ("no date") are printed a few times, then counted for `finish` to summarise.
pub struct Reporter {
    pub bar: ProgressBar,
    pub quiet: bool,
    pub verbose: bool,
    /// Warnings seen per kind (`warning_kind`), in the order kinds first appeared.
    warnings: std::sync::Mutex<Vec<(String, usize)>>,
}

impl Reporter {
    pub fn new(quiet: bool, verbose: bool) -> Reporter {
        Reporter {
            bar: progress_bar(quiet),
            quiet,
            verbose,
            warnings: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Clears the progress bar and says how many warnings of each kind were not printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        let warnings = self
            .warnings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (kind, count) in warnings.iter() {
            if *count > WARNINGS_SHOWN_PER_KIND && !self.verbose {
                eprintln!(
                    "warning: ... and {} more `{kind}` (`--verbose` lists them)",
                    count - WARNINGS_SHOWN_PER_KIND
                );
            }
        }
    }
}

/// What makes warnings alike: the message up to its first quoted value or colon ("malformed
/// date", "no date").
fn warning_kind(message: &str) -> &str {
    message.split(['`', ':']).next().unwrap_or(message).trim()
}

impl BuildObserver for Reporter {
    fn started(&self, _n_files: usize, total_bytes: u64) {
        self.bar.set_length(total_bytes);
    }

    fn progress(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn error(&self, error: &IngestError) {
        self.bar.suspend(|| eprintln!("error: {error}"));
    }

    fn warning(&self, path: &str, message: &str) {
        if self.quiet {
            return;
        }
        let seen = {
            let mut warnings = self
                .warnings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let kind = warning_kind(message);
            match warnings.iter_mut().find(|(known, _)| known == kind) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    warnings.push((kind.to_string(), 1));
                    1
                }
            }
        };
        if self.verbose || seen <= WARNINGS_SHOWN_PER_KIND {
            self.bar.suspend(|| eprintln!("warning: {path}: {message}"));
        }
    }

    fn planned(&self, plan: &PlanSummary) {
        if !self.quiet {
            self.bar.suspend(|| eprintln!("{}", plan_line(plan)));
        }
    }
}

pub fn progress_bar(quiet: bool) -> ProgressBar {
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

/// Builds the index as `options` say, printing progress and a summary to stderr.
pub fn build(
    options: &BuildOptions,
    quiet: bool,
    verbose: bool,
    extractor: &EntityExtractor,
) -> anyhow::Result<BuildReport> {
    let reporter = Reporter::new(quiet, verbose);
    let report = build_index(options, extractor, &reporter);
    reporter.finish();
    let report = report?;
    if !quiet {
        print_summary(&mut std::io::stderr().lock(), &report, &options.index)?;
    }
    Ok(report)
}

pub fn run(args: &BuildArgs, _color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let backend = crate::config::backend_settings(&args.backend)?;
    if backend.kind == BackendKind::Quickwit {
        return crate::cmd::quickwit::build(args, &backend);
    }
    let location = IndexLocation::from_args(&args.index);
    let options = BuildOptions {
        corpus: args.corpus.clone(),
        index: location.path().to_path_buf(),
        walk: WalkOptions {
            forced_format: args.format,
            max_file_size: args.max_file_size,
        },
        memory_mb: args.memory_mb,
        rebuild: args.rebuild,
        fields: args.fields.clone(),
    };
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let report = build(&options, args.quiet, args.verbose, &extractor)?;
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
    writeln!(out, "{}", changes_line(&report.changes))?;
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
    if report.articles_relabelled > 0 {
        writeln!(
            out,
            "{} articles labelled again: they use an acronym that another article defines",
            report.articles_relabelled
        )?;
    }
    Ok(())
}

/// The plan, before any file is read: how much of the corpus is new, touched, gone or as before.
pub fn plan_line(plan: &PlanSummary) -> String {
    if plan.full_rebuild {
        return format!(
            "full build: {} files to read, {} files' articles dropped",
            plan.files_new + plan.files_to_check,
            plan.files_removed
        );
    }
    format!(
        "incremental build: {} new files, {} touched (checked by hash), {} removed, {} unchanged",
        plan.files_new, plan.files_to_check, plan.files_removed, plan.files_unchanged
    )
}

/// What the build changed, in articles and in files.
pub fn changes_line(changes: &ChangeCounts) -> String {
    format!(
        "articles: {} added, {} updated, {} removed, {} unchanged; files: {} added, {} updated, {} removed, {} unchanged{}",
        changes.articles_added,
        changes.articles_updated,
        changes.articles_removed,
        changes.articles_unchanged,
        changes.files_added,
        changes.files_updated,
        changes.files_removed,
        changes.files_unchanged,
        if changes.full_rebuild {
            " (full rebuild)"
        } else {
            ""
        }
    )
}
