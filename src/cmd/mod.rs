//! Commands: one file per subcommand. Each turns parsed arguments into library calls and
//! writes the results through `render`; `main` maps the outcome to an exit status.

pub mod bench;
pub mod build;
pub mod corpus;
pub mod entities;
pub mod eval;
pub mod export;
pub mod inspect;
pub mod progress;
pub mod quickwit;
pub mod search;
pub mod serve;
pub mod stats;

use crate::cli::{Cli, ColorChoice, Command, CorpusCommand, ExportCommand, IndexCommand};

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked.
    Success,
    /// The work was done, but some input could not be used (files skipped).
    Incomplete,
    /// A search that found nothing.
    NothingFound,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let color = stream_color(cli.color);
    match cli.command {
        Command::Index(IndexCommand::Build(args)) => build::run(&args, color),
        Command::Index(IndexCommand::Stats(args)) => stats::run(&args),
        Command::Search(args) => search::run(&args, color),
        Command::Eval(args) => eval::run(&args),
        Command::Export(ExportCommand::Quickwit(args)) => export::run(&args),
        Command::Entities(args) => entities::run(&args, color),
        Command::Inspect(args) => inspect::run(&args, color),
        Command::Bench(args) => bench::run(&args),
        Command::Corpus(CorpusCommand::Synth(args)) => corpus::synth(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Completions(args) => {
            let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut command, "newsdex", &mut std::io::stdout());
            Ok(Outcome::Success)
        }
    }
}

pub fn stream_color(choice: ColorChoice) -> anstream::ColorChoice {
    match choice {
        ColorChoice::Auto => anstream::ColorChoice::Auto,
        ColorChoice::Always => anstream::ColorChoice::Always,
        ColorChoice::Never => anstream::ColorChoice::Never,
    }
}
