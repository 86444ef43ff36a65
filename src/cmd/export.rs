//! `newsdex export quickwit`: writes the index config and NDJSON files for Quickwit's own
//! tools, and says how to load them.

use crate::backend::quickwit::export::{ExportOptions, MAX_FILE_BYTES, export};
use crate::cli::ExportQuickwitArgs;
use crate::cmd::Outcome;
use crate::cmd::progress::Reporter;
use crate::extract::entities::EntityExtractor;
use crate::ingest::WalkOptions;

pub fn run(args: &ExportQuickwitArgs) -> anyhow::Result<Outcome> {
    let options = ExportOptions {
        corpus: args.corpus.clone(),
        walk: WalkOptions {
            forced_format: args.format,
            max_file_size: args.max_file_size,
        },
        out: args.out.clone(),
        index_id: args.index_id.clone(),
        max_file_bytes: MAX_FILE_BYTES,
    };
    let reporter = Reporter::new(args.quiet, false);
    let report = export(&options, &EntityExtractor::builtin(), &reporter);
    reporter.finish();
    let report = report?;
    if !args.quiet {
        eprintln!(
            "exported {} articles as {} passages from {} files into {} ({} NDJSON files)",
            report.build.articles,
            report.build.passages,
            report.build.files_read,
            args.out.display(),
            report.ndjson_files.len()
        );
        eprintln!("load them with:");
        eprintln!(
            "  quickwit index create --index-config {}",
            report.config_path.display()
        );
        for file in &report.ndjson_files {
            eprintln!(
                "  quickwit index ingest --index {} --input-path {}",
                args.index_id,
                file.display()
            );
        }
    }
    Ok(if report.build.is_complete() {
        Outcome::Success
    } else {
        Outcome::Incomplete
    })
}
