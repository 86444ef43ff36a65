//! Command-line types only (clap derive): what the user can type. Resolving and validating the
//! values happens in `config`; running the commands in `cmd`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::backend::BackendKind;
use crate::backend::quickwit::mapping::DEFAULT_INDEX_ID;
use crate::ingest::Format;
use crate::ingest::mapping::{FieldOverride, parse_extra};
use crate::model::ExtraField;
pub use crate::search::Group;
use crate::search::{Duplicates, FieldBoosts, SortOrder};

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
    Search(Box<SearchArgs>),
    /// Measure ranking quality on an IR test collection (MAP, nDCG@10, P@10, Recall@100).
    Eval(EvalArgs),
    /// Write the corpus in another engine's load format.
    #[command(subcommand)]
    Export(ExportCommand),
    /// List the most mentioned entities, overall or among the passages that match a query.
    Entities(EntitiesArgs),
    /// Show how newsdex reads files, without indexing them: fields, passages, entities.
    Inspect(InspectArgs),
    /// Measure query latency: percentiles per query class over a warm index.
    Bench(BenchArgs),
    /// Make corpora for measurements.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Serve a search page and a JSON API over HTTP (loopback only unless told otherwise).
    Serve(ServeArgs),
    /// Print a completion script for a shell (`newsdex completions bash > ~/.local/share/bash-completion/completions/newsdex`).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Quickwit index config (YAML) and NDJSON files, for `quickwit index create` and
    /// `quickwit index ingest`.
    Quickwit(ExportQuickwitArgs),
}

/// Which engine holds the passages; shared by `index build`, `search`, `entities` and `bench`.
/// Each setting is taken from its flag, else its environment variable, else the settings file,
/// else the default (see `config::backend_settings`).
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// Where the passages live: the local index (default), or a Quickwit cluster (--url).
    #[arg(long, value_enum, env = "NEWSDEX_BACKEND")]
    pub backend: Option<BackendKind>,

    /// URL of a Quickwit node's REST API, e.g. http://127.0.0.1:7280 (with --backend quickwit).
    #[arg(long, value_name = "URL", env = "NEWSDEX_QUICKWIT_URL")]
    pub url: Option<String>,

    /// Quickwit index id (with --backend quickwit) [default: newsdex-passages]
    #[arg(long, value_name = "NAME", env = "NEWSDEX_QUICKWIT_INDEX")]
    pub index_id: Option<String>,

    /// Settings file for the backend (`backend`, `[quickwit] url, index-id`) [default:
    /// newsdex.toml in the current directory, when there is one]
    #[arg(long, value_name = "FILE", env = "NEWSDEX_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportQuickwitArgs {
    /// Folder (or single file) of articles to export.
    #[arg(value_name = "CORPUS", default_value = "corpus")]
    pub corpus: PathBuf,

    /// Folder to write `index-config.yaml` and `passages-NNNNN.ndjson` into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Quickwit index id written into the config.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_INDEX_ID)]
    pub index_id: String,

    /// Read every file as this format instead of choosing by extension.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Skip files larger than this many bytes (JSON Lines and CSV are streamed, never skipped).
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,

    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Write a large corpus of seed-format articles made of the sentences of Reuters-21578.
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Queries to run, one a line: `query` or `class<TAB>query`; `#` comments and blank lines
    /// are ignored. Without it, a seeded mix is drawn from the local index (with --backend
    /// quickwit: from the local index given by --index, built from the same corpus).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub backend: BackendArgs,

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

    /// Generated queries per class (an index without dates has no date classes: they are
    /// skipped, said on stderr and in the report's `skipped_classes`).
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
    /// Read a corpus folder and bring the index up to date: only new and changed files are read.
    Build(BuildArgs),
    /// Show what the index holds: articles, passages, dates, categories, entities, segments, size.
    Stats(StatsArgs),
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
    /// Folders (or single files) of articles to index: one index may hold several sources,
    /// each named by its folder in article ids (`reuters/…`); a build names every source the
    /// index holds [default: the `corpus` list of newsdex.toml, else corpus/]
    #[arg(value_name = "CORPUS")]
    pub corpus: Vec<PathBuf>,

    #[command(flatten)]
    pub index: IndexArgs,

    /// Read every file as this format instead of choosing by extension.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    #[command(flatten)]
    pub mapping: MappingArgs,

    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_file_size: u64,

    /// Memory budget of the whole build, in megabytes: the index writer's buffers get what the
    /// readers, queues and per-file bookkeeping (about 1.25 KB a file) leave; a budget too
    /// small for the corpus is refused before any work, with the figure it would take.
    #[arg(long = "memory", value_name = "MB", default_value_t = crate::index::DEFAULT_MEMORY_MB, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(15..=crate::index::MAX_MEMORY_MB as u64))]
    pub memory_mb: usize,

    /// Print only errors: no progress bar, warnings or summary.
    #[arg(short, long)]
    pub quiet: bool,

    /// Print every warning (by default the first few of each kind, then how many more).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    #[command(flatten)]
    pub entities: EntitiesFileArgs,

    #[command(flatten)]
    pub backend: BackendArgs,

    /// Replace the whole index instead of updating only what changed (with --backend quickwit:
    /// delete the Quickwit index and create it again).
    #[arg(long)]
    pub rebuild: bool,

    /// With --backend quickwit: return once the passages are sent, without waiting until they
    /// are searchable (and the old ones deleted), as a feed that sends often would.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub index: IndexArgs,

    /// Entities to list, most mentioned first.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Write one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: words (any may match, ranked), "exact phrases", +required, -excluded,
    /// field:value (title, section, text, entity, category, source, author, language, date), AND,
    /// OR, NOT, parentheses.
    #[arg(value_name = "QUERY")]
    pub query: String,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub backend: BackendArgs,

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

    /// Only passages of articles from this outlet, any case or accents (repeatable; any may match).
    #[arg(long, value_name = "NAME")]
    pub source: Vec<String>,

    /// Only passages of articles by this author, any case or accents (repeatable; any may match).
    #[arg(long, value_name = "NAME")]
    pub author: Vec<String>,

    /// Only passages of articles in this language as the source gives it, e.g. en (repeatable).
    #[arg(long, value_name = "CODE")]
    pub language: Vec<String>,

    /// Require every word (words without an operator are optional by default).
    #[arg(long)]
    pub all: bool,

    /// At most N passages of one article (0: no limit); the rest are counted.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub per_article: usize,

    /// Order of the results.
    #[arg(long, value_enum, default_value_t = SortOrder::Relevance)]
    pub sort: SortOrder,

    /// Order by a declared number or date field instead (`[fields.extra]`, `--extra`),
    /// largest or newest first, or smallest first with `NAME:asc`; passages without it last.
    #[arg(long, value_name = "NAME[:asc]")]
    pub sort_by: Option<crate::search::SortField>,

    /// Near-copies of an article (identical or lightly edited text): one hit naming the
    /// others, or each a hit of its own.
    #[arg(long, value_enum, default_value_t = Duplicates::Collapse)]
    pub duplicates: Duplicates,

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

    #[command(flatten)]
    pub boosts: BoostArgs,

    /// Snippet fragments (sentences) per passage.
    #[arg(long, value_name = "N", default_value_t = crate::snippet::DEFAULT_FRAGMENTS)]
    pub fragments: usize,

    /// Show each passage on its own (default), or each article once with its best passages
    /// under it, the articles ranked as stories (in relevance order: the best passage plus the
    /// BM25 of the whole article).
    #[arg(long, value_enum, default_value_t = Group::Passage)]
    pub group: Group,

    /// Write JSON Lines, one object per passage (per article with `--group article`), instead
    /// of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub entities: EntitiesFileArgs,
}

/// How records map to articles: `index build` applies it, `inspect` previews it.
#[derive(Debug, Clone, Args)]
pub struct MappingArgs {
    /// Map a record field of JSON, JSON Lines or CSV input to an article field, as ROLE=NAME
    /// (repeatable; a role given twice takes both fields). Roles: title, date, body, category,
    /// url, id, places, people, orgs, source, author, language, subtitle. Overrides
    /// `newsdex.toml` at the corpus root.
    #[arg(long = "field", value_name = "ROLE=NAME")]
    pub fields: Vec<FieldOverride>,

    /// Keep another record field (JSON, JSON Lines, CSV, Markdown front matter) as a field of
    /// its own, as NAME or NAME:TYPE (repeatable). Types: keyword (the default: exact,
    /// filtered with `NAME:value`, faceted), text (searched with `NAME:word`), number and date
    /// (ranges: `NAME:[500 TO *]`). Adds to `[fields.extra]` of `newsdex.toml`.
    #[arg(long = "extra", value_name = "NAME[:TYPE]", value_parser = parse_extra)]
    pub extras: Vec<ExtraField>,
}

/// A user's entities file; shared by every command that finds or resolves entities.
#[derive(Debug, Clone, Args)]
pub struct EntitiesFileArgs {
    /// Your own entities, added to the built-in ones: one a line, tab-separated
    /// `name<TAB>kind<TAB>alias;alias` (kinds: person, place, organisation, other).
    #[arg(long = "entities", value_name = "FILE", env = "NEWSDEX_ENTITIES")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EntitiesArgs {
    /// Count only the passages that match this query (same language as `search`).
    #[arg(value_name = "QUERY")]
    pub query: Option<String>,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub backend: BackendArgs,

    /// Only entities of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<crate::model::EntityKind>,

    /// Number of entities to list.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub top: u64,

    /// Only entities that NAME may mean: NAME is part of their name ("Vucic", "Putin") or
    /// close to it in spelling ("Zelensky").
    #[arg(long, value_name = "NAME")]
    pub like: Option<String>,

    /// Write JSON Lines, one object per entity, instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub entities: EntitiesFileArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to read as newsdex would index them.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Read every file as this format instead of choosing by extension.
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Write one JSON object per article instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub mapping: MappingArgs,

    #[command(flatten)]
    pub entities: EntitiesFileArgs,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The documents: JSON Lines with `id`, `title` and `text`.
    #[arg(long, value_name = "FILE")]
    pub docs: PathBuf,

    /// The queries: `id<TAB>text` a line.
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,

    /// The relevance judgements, TREC qrels: `qid 0 docid grade` a line.
    #[arg(long, value_name = "FILE")]
    pub qrels: PathBuf,

    /// Write the ranking of every query to FILE as a TREC run (`qid Q0 docid rank score tag`).
    #[arg(long, value_name = "FILE")]
    pub run: Option<PathBuf>,

    /// Print the measures as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,

    /// Keep the collection's index in DIR (replacing the index there) instead of in memory.
    #[arg(long = "index", value_name = "DIR")]
    pub index: Option<PathBuf>,

    /// How a document scores: `best` (its best passage), `sum` (all its matching passages),
    /// `article` (BM25 of its whole story as one document), or weighted parts joined by `+`:
    /// `best+0.3rest` (rest: its other matching passages), `best+0.5article`. The default adds
    /// the whole story's score to its best passage's.
    #[arg(long, value_name = "SPEC", default_value_t = crate::eval::StoryScore::default())]
    pub story: crate::eval::StoryScore,

    #[command(flatten)]
    pub boosts: BoostArgs,
}

/// Field weights of the ranking, shared by `search` and `eval`.
#[derive(Debug, Clone, Args)]
pub struct BoostArgs {
    /// Extra weight of a title match: a word also scores WEIGHT × its BM25 score in the title
    /// alone, on top of its score in the whole passage (title, heading and text as one field).
    #[arg(long, value_name = "WEIGHT", default_value_t = crate::search::TITLE_BOOST)]
    pub title_boost: f32,

    /// Extra weight of a section-heading match, as `--title-boost` for the heading.
    #[arg(long, value_name = "WEIGHT", default_value_t = crate::search::SECTION_BOOST)]
    pub section_boost: f32,

    /// Weight of the proximity bonus: in relevance order (without --recency), the best 10
    /// passages of a query of two or more words score extra where those words stand close
    /// together (within 5 positions, closer counting more); 0 turns it off.
    #[arg(long, value_name = "WEIGHT", default_value_t = crate::search::proximity::PROXIMITY_WEIGHT)]
    pub proximity: f32,
}

impl BoostArgs {
    pub fn boosts(&self) -> FieldBoosts {
        FieldBoosts {
            title: self.title_boost,
            section: self.section_boost,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub index: IndexArgs,

    /// Address to listen on; port 0 picks a free port. Anything but a loopback address exposes
    /// the archive to the network and is only used when given explicitly.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7878", value_parser = socket_addr)]
    pub addr: std::net::SocketAddr,

    /// Seconds a client has to send a whole request head before its connection is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,

    /// Seconds a request may take before it is answered with a 503.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,

    /// Memory for the request cache of facets and totals, in MiB; 0 turns it off.
    #[arg(long, value_name = "MB", default_value_t = crate::serve::cache::DEFAULT_CACHE_MB, value_parser = clap::value_parser!(u64).range(0..=65536))]
    pub cache_mb: u64,
}

/// `HOST:PORT` -> the first address the host name resolves to (`localhost:0`, `127.0.0.1:7878`).
fn socket_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addresses = text
        .to_socket_addrs()
        .map_err(|error| format!("`{text}` is not HOST:PORT: {error}"))?;
    addresses
        .next()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn serve_takes_a_host_name_and_memory_is_bounded() {
        let cli = Cli::try_parse_from(["newsdex", "serve", "--addr", "localhost:0"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert!(args.addr.ip().is_loopback());
        assert!(Cli::try_parse_from(["newsdex", "serve", "--addr", "no-port"]).is_err());
        for memory in ["100000", "10"] {
            let error = Cli::try_parse_from(["newsdex", "index", "build", "c", "--memory", memory])
                .unwrap_err()
                .to_string();
            assert!(error.contains("--memory"), "{error}");
        }
    }

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

    #[test]
    fn eval_needs_its_three_files() {
        let cli = Cli::try_parse_from([
            "newsdex",
            "eval",
            "--docs",
            "d",
            "--queries",
            "q",
            "--qrels",
            "r",
            "--json",
        ])
        .unwrap();
        let Command::Eval(args) = cli.command else {
            panic!("not an eval");
        };
        assert_eq!(args.qrels, PathBuf::from("r"));
        assert!(args.json && args.run.is_none() && args.index.is_none());
        assert_eq!(args.story, crate::eval::StoryScore::default());
        let story = |spec: &str| {
            Cli::try_parse_from([
                "newsdex",
                "eval",
                "--docs",
                "d",
                "--queries",
                "q",
                "--qrels",
                "r",
                "--story",
                spec,
            ])
        };
        let Command::Eval(args) = story("best+0.5article").unwrap().command else {
            panic!("not an eval");
        };
        assert_eq!(args.story.article, 0.5);
        assert!(story("worst").is_err());
        assert!(Cli::try_parse_from(["newsdex", "eval", "--docs", "d", "--queries", "q"]).is_err());
    }
}
