//! Command-line types only (clap derive): what the user can type. Resolving and validating the
//! values happens in `config`; running the commands in `cmd`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ingest::Format;
use crate::search::SortOrder;

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
    /// Serve a search page and a JSON API over HTTP (loopback only unless told otherwise).
    Serve(ServeArgs),
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

    /// Require every word (words without an operator are optional by default).
    #[arg(long)]
    pub all: bool,

    /// At most N passages of one article (0: no limit); the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub per_article: usize,

    /// Order of the results.
    #[arg(long, value_enum, default_value_t = SortOrder::Relevance)]
    pub sort: SortOrder,

    /// Favour recent passages: the score of a passage one HALF-LIFE older than the newest
    /// article decays by a third of the way to 30% (e.g. 90d, 6m, 2y).
    #[arg(long, value_name = "HALF-LIFE")]
    pub recency: Option<String>,

    /// Count entities, categories and months over every matching passage.
    #[arg(long)]
    pub facets: bool,

    /// Count every matching passage (the search itself stops at the best ones).
    #[arg(long)]
    pub count: bool,

    /// Show why each passage got its score.
    #[arg(long)]
    pub explain: bool,

    /// Snippet fragments (sentences) per passage.
    #[arg(long, value_name = "N", default_value_t = crate::snippet::DEFAULT_FRAGMENTS)]
    pub fragments: usize,

    /// Write JSON Lines, one object per passage, instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub index: IndexArgs,

    /// Address to listen on; port 0 picks a free port. Anything but a loopback address exposes
    /// the archive to the network and is only used when given explicitly.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:7878")]
    pub addr: std::net::SocketAddr,

    /// Seconds a client has to send a whole request head before its connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,

    /// Seconds a request may take before it is answered with a 503.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
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
