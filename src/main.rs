//! The newsdex binary: parse the command line, run the command, print an error once, and say
//! how it went in the exit status (0 done, 1 done with files skipped or nothing found, 2 error).

newsdex::use_mimalloc!();

use std::process::ExitCode;

use clap::Parser;
use newsdex::cli::Cli;
use newsdex::cmd::{self, Outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Incomplete | Outcome::NothingFound) => ExitCode::from(1),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("newsdex: error: {}", message(&error));
            ExitCode::from(2)
        }
    }
}

/// A reader that stops early (`newsdex search ... | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, `{:#}`-style, but stopping at a tantivy error: its message already
/// says what tantivy's nested causes would repeat.
fn message(error: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in error.chain() {
        parts.push(cause.to_string());
        if matches!(
            cause.downcast_ref::<newsdex::error::IndexError>(),
            Some(newsdex::error::IndexError::Tantivy { .. })
        ) {
            break;
        }
    }
    parts.join(": ")
}
