//! Build progress on the terminal: a progress bar, errors as they are found, and warnings
//! summarised by kind, for every command that reads a corpus (`index build` on either backend,
//! `export quickwit`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::build::{BuildObserver, PlanSummary};
use crate::error::IngestError;

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
