//! The newsdex binary: parse the command line, run the command, print an error once, and say
//! how it went in the exit status (0 done, 1 done with files skipped or nothing found, 2 error).

newsdex::use_mimalloc!();

use std::io::Write;

use clap::Parser;
use newsdex::cli::Cli;
use newsdex::cmd::{self, Outcome};

fn main() {
    let cli = Cli::parse();
    let status = match cmd::run(cli) {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Incomplete | Outcome::NothingFound) => 1,
        Err(error) if is_broken_pipe(&error) => 0,
        Err(error) => {
            eprintln!("newsdex: error: {}", message(&error));
            2
        }
    };
    // Output that could not be written (a full disk) is an error; a reader that stopped early
    // is not.
    let status = match std::io::stdout().flush() {
        Err(error) if status != 2 && error.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("newsdex: error: cannot write the output: {error}");
            2
        }
        _ => status,
    };
    exit_now(status)
}

/// Ends the process with `status` at once, without the C library's exit handlers: the
/// allocator's and the dynamic loader's give back memory and mappings that the system takes
/// back anyway, which was a noticeable share of a one-shot search. Every command has written
/// and closed its files by the time it returns, and standard output is flushed.
#[cfg(unix)]
fn exit_now(status: i32) -> ! {
    unsafe extern "C" {
        fn _exit(status: i32) -> !;
    }
    // SAFETY: `_exit` takes any status and does not return.
    unsafe { _exit(status) }
}

#[cfg(not(unix))]
fn exit_now(status: i32) -> ! {
    std::process::exit(status)
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
