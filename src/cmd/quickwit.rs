//! The Quickwit side of `newsdex index build` and `newsdex search`: makes the client from the
//! command line, runs the upload with a progress bar and prints its summary (what was sent,
//! what Quickwit rejected, that deletes apply later).

use std::io::Write;

use crate::backend::quickwit::QuickwitBackend;
use crate::backend::quickwit::client::{ClientOptions, QuickwitClient};
use crate::backend::quickwit::mapping::COMMIT_TIMEOUT_SECS;
use crate::backend::quickwit::upload::{
    Deletes, IndexAction, MAX_BATCH_BYTES, MAX_BATCH_DOCS, UploadOptions, UploadReport, Visibility,
    WaitOptions, upload,
};
use crate::cli::BuildArgs;
use crate::cmd::Outcome;
use crate::cmd::progress::Reporter;
use crate::config::BackendSettings;
use crate::extract::entities::EntityExtractor;
use crate::ingest::WalkOptions;

/// The client for the resolved URL, which `--backend quickwit` needs.
pub fn client(settings: &BackendSettings) -> anyhow::Result<QuickwitClient> {
    Ok(QuickwitClient::new(
        settings.quickwit_url()?,
        ClientOptions::default(),
    ))
}

/// The Quickwit backend for searches, resolving entity names with `extractor`.
pub fn backend(
    settings: &BackendSettings,
    extractor: EntityExtractor,
) -> anyhow::Result<QuickwitBackend> {
    Ok(
        QuickwitBackend::new(client(settings)?, &settings.index_id, extractor)
            .with_extras(settings.extras.clone()),
    )
}

/// `newsdex index build CORPUS --backend quickwit`.
pub fn build(args: &BuildArgs, settings: &BackendSettings) -> anyhow::Result<Outcome> {
    let sources = crate::config::build_sources(&args.corpus, args.backend.config.as_deref())?;
    let [corpus] = sources.as_slice() else {
        anyhow::bail!(
            "a Quickwit build takes one corpus folder at a time, not {}",
            sources.len()
        );
    };
    let client = client(settings)?;
    let options = UploadOptions {
        corpus: corpus.clone(),
        walk: WalkOptions {
            forced_format: args.format,
            max_file_size: args.max_file_size,
        },
        index_id: settings.index_id.clone(),
        rebuild: args.rebuild,
        max_batch_bytes: MAX_BATCH_BYTES,
        max_batch_docs: MAX_BATCH_DOCS,
        fields: args.mapping.fields.clone(),
        extras: args.mapping.extras.clone(),
        wait: (!args.no_wait).then(WaitOptions::default),
    };
    let reporter = Reporter::new(args.quiet, args.verbose);
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let report = upload(&options, &extractor, &client, &reporter);
    reporter.finish();
    let report = report?;
    let mut err = std::io::stderr().lock();
    for batch in &report.rejected_batches {
        writeln!(
            err,
            "error: Quickwit rejected {} of {} passages sent with these articles: {}",
            batch.n_rejected,
            batch.n_docs,
            batch.article_paths.join(", ")
        )?;
    }
    if !args.quiet {
        print_summary(&mut err, &report, client.base_url(), &options.index_id)?;
    }
    Ok(if report.is_complete() {
        Outcome::Success
    } else {
        Outcome::Incomplete
    })
}

/// The summary: what happened to the index, what was sent, and when it becomes visible.
pub fn print_summary<W: Write>(
    out: &mut W,
    report: &UploadReport,
    url: &str,
    index_id: &str,
) -> std::io::Result<()> {
    match report.action {
        IndexAction::Created => writeln!(out, "created Quickwit index `{index_id}` at {url}")?,
        IndexAction::Recreated => writeln!(
            out,
            "deleted and created again Quickwit index `{index_id}` at {url} (--rebuild)"
        )?,
        IndexAction::Updated { delete_tasks } => writeln!(
            out,
            "updating Quickwit index `{index_id}` at {url}: submitted {delete_tasks} delete task(s) for the old passages of the corpus files"
        )?,
    }
    let build = &report.build;
    writeln!(
        out,
        "sent {} articles as {} passages from {} files ({:.2} MB) in {} ingest request(s) in {:.2} s: {} ingested, {} rejected",
        build.articles,
        build.passages,
        build.files_read,
        build.bytes as f64 / 1e6,
        report.batches,
        build.elapsed.as_secs_f64(),
        report.ingested,
        report.rejected
    )?;
    match report.visibility {
        Visibility::NotWaited => {
            writeln!(
                out,
                "not waiting (--no-wait): Quickwit commits on its own timer, so new passages are searchable within about {COMMIT_TIMEOUT_SECS} s"
            )?;
            if let IndexAction::Updated { .. } = report.action {
                writeln!(
                    out,
                    "Quickwit applies delete tasks asynchronously: old passages of the corpus files may still be found beside the new ones for a while"
                )?;
            }
        }
        Visibility::Searchable { after, deletes } => {
            writeln!(
                out,
                "searchable: Quickwit committed the passages {:.2} s after the last batch was sent",
                after.as_secs_f64()
            )?;
            match deletes {
                Deletes::None => {}
                Deletes::Applied { after } => writeln!(
                    out,
                    "old passages of the corpus files deleted: the delete tasks were applied {:.2} s later",
                    after.as_secs_f64()
                )?,
                Deletes::Pending {
                    old_passages,
                    waited,
                } => writeln!(
                    out,
                    "warning: delete tasks still pending after {:.0} s: {old_passages} old passages of the corpus files are still found beside the new ones until Quickwit applies them",
                    waited.as_secs_f64()
                )?,
            }
        }
    }
    let n_problems = build.errors.len() + build.skipped.len();
    if n_problems > 0 {
        writeln!(out, "skipped: {n_problems} with errors (listed above)")?;
    }
    if build.warnings > 0 {
        writeln!(out, "{} warnings (listed above)", build.warnings)?;
    }
    if build.articles_provisional > 0 {
        writeln!(
            out,
            "warning: {} articles went out before the corpus acronym table was complete (past the hold of {} MB of articles): an acronym of theirs is labelled as the files read before them define it, not as the whole corpus does",
            build.articles_provisional,
            crate::build::HOLD_BYTES >> 20
        )?;
    }
    Ok(())
}
