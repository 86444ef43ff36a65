//! Command-line types only (clap derive): what the user can type. Resolving and validating the
//! values happens in `config`; running the commands in `cmd`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ingest::Format;

/// Search an archive of news and analysis articles by passage.
#[derive(Debug, Parser)]
#[command(name = "newsdex", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build and manage the passage index.
    #[command(subcommand)]
    Index(IndexCommand),
    /// Search the index for passages.
    Search(SearchArgs),
    /// Measure query latency: percentiles per query class over a warm index.
    Bench(BenchArgs),
    /// Make corpora for measurements.
    #[command(subcommand)]
    Corpus(CorpusCommand),
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Write a large corpus of seed-format articles made of the sentences of Reuters-21578.
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Queries to run, one a line: `query` or `class<TAB>query`; `#` comments and blank lines
    /// are ignored. Without it, a seeded mix is drawn from the index itself.
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,

    #[command(flatten)]
    pub index: IndexArgs,

    /// Measured passes over the query set.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub rounds: u64,

    /// Unmeasured passes over the query set first.
    #[arg(long, default_value_t = 1)]
    pub warmup: u64,

    /// Threads that run queries at once (aggregate qps is reported).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: u64,

    /// Seed of the generated query mix.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Generated queries per class.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub per_class: u64,

    /// Write the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// Print each figure's ratio to an earlier `--json` report.
    #[arg(long, value_name = "BASELINE.json")]
    pub compare: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Passages to write.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub passages: u64,

    /// The Reuters-21578 JSON Lines file to take sentences, titles, topics and places from.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,

    /// Seed: the same seed and source give the same corpus.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Folder to write (must be new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Read a corpus folder and write its passages to the index (replacing what was there).
    Build(BuildArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where the index lives; shared by every command that reads or writes it.
#[derive(Debug, Clone, Args)]
pub struct IndexArgs {
    /// Index directory [default: index/]
    #[arg(long = "index", value_name = "DIR", env = "NEWSDEX_INDEX")]
    pub index: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Folder (or single file) of articles to index.
    #[arg(value_name = "CORPUS", default_value = "corpus")]
    pub corpus: PathBuf,

    #[command(flatten)]
    pub index: IndexArgs,

    /// Read every file as this format instead of choosing by extension.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,

    /// Memory budget of the index writer, in megabytes.
    #[arg(long = "memory", value_name = "MB", default_value_t = crate::index::DEFAULT_MEMORY_MB)]
    pub memory_mb: usize,

    /// Print only errors: no progress bar, warnings or summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words (any may match, ranked), "exact phrases", +required, -excluded,
    /// field:value (title, section, text, entity, category, date), AND, OR, NOT, parentheses.
    #[arg(value_name = "QUERY")]
    pub query: String,

    #[command(flatten)]
    pub index: IndexArgs,

    /// Number of passages to show.
    #[arg(short = 'n', long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub limit: u64,

    /// Skip this many passages first (for paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,

    /// Only passages of articles dated on or after DATE (YYYY-MM-DD, or 30d, 6m, 1y ago).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Only passages of articles dated on or before DATE (YYYY-MM-DD, or 30d, 6m, 1y ago).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Only passages under a heading that holds every word of TEXT (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub section: Vec<String>,

    /// Only passages that mention the entity, by any alias or spelling (repeatable; all must match).
    #[arg(long, value_name = "NAME")]
    pub entity: Vec<String>,

    /// Only passages of articles in this category (repeatable; any may match).
    #[arg(long, value_name = "NAME")]
    pub category: Vec<String>,

    /// Write JSON Lines, one object per passage, instead of text.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn search_takes_repeatable_filters() {
        let cli = Cli::try_parse_from([
            "newsdex",
            "search",
            "ammunition",
            "--entity",
            "Vucic",
            "--entity",
            "EU",
            "-n",
            "3",
        ])
        .unwrap();
        let Command::Search(args) = cli.command else {
            panic!("not a search");
        };
        assert_eq!(args.entity, ["Vucic", "EU"]);
        assert_eq!(args.limit, 3);
        assert!(Cli::try_parse_from(["newsdex", "search", "x", "-n", "0"]).is_err());
    }
}
