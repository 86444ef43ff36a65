//! `newsdex index build`: runs the build pipeline with a progress bar and prints the summary.

use std::io::Write;
use std::path::Path;

use crate::backend::BackendKind;
use crate::build::build_index;
use crate::build::{BuildOptions, BuildReport};
use crate::cli::BuildArgs;
use crate::cmd::Outcome;
use crate::cmd::progress::Reporter;
use crate::config::IndexLocation;
use crate::extract::entities::EntityExtractor;
use crate::ingest::WalkOptions;
use crate::manifest::ChangeCounts;

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
    let sources = crate::config::build_sources(&args.corpus, args.backend.config.as_deref())?;
    let options = BuildOptions {
        corpus: sources[0].clone(),
        more_sources: sources[1..].to_vec(),
        index: location.path().to_path_buf(),
        walk: WalkOptions {
            forced_format: args.format,
            max_file_size: args.max_file_size,
        },
        memory_mb: args.memory_mb,
        rebuild: args.rebuild,
        fields: args.mapping.fields.clone(),
        extras: args.mapping.extras.clone(),
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
