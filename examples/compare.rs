//! Side-by-side comparison: one corpus, one query set, four engines -> a table of p50/p99 per
//! engine and their ratios. newsdex in-process (`Searcher::search`), raw tantivy top-10 on the
//! same index (no count, no fetch), SQLite FTS5 ranked by bm25(), and ripgrep as the brute-force
//! floor. It builds what is missing (the index, the SQLite database) and never deletes anything.
//!
//! cargo run --release --example compare -- --corpus DIR --index DIR [--queries FILE]
//!     [--pairs 30 --terms 5] [--write-queries FILE] [--write-passages FILE] [--per-query FILE]

newsdex::use_mimalloc!();

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use newsdex::bench::{
    BenchQuery, QueryClass, generate_pair_set, generate_queries, percentile, read_query_file,
};
use newsdex::build::build_index;
use newsdex::build::{BuildOptions, Silent, process_file};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::{index_exists, open_index};
use newsdex::ingest::{WalkOptions, walk_corpus};
use newsdex::search::{SearchRequest, Searcher};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;

#[derive(Debug, Parser)]
struct Args {
    /// The corpus folder (indexed when --index does not exist yet; searched by ripgrep).
    #[arg(long)]
    corpus: PathBuf,
    /// The newsdex index of the corpus.
    #[arg(long)]
    index: PathBuf,
    /// Queries, one a line (`class<TAB>query` or `query`); without it a seeded mix of the
    /// unfiltered classes is drawn from the index.
    #[arg(long)]
    queries: Option<PathBuf>,
    /// Write the queries used to this file (to rerun or to share).
    #[arg(long)]
    write_queries: Option<PathBuf>,
    /// SQLite FTS5 database of the same passages [default: INDEX.fts5.sqlite beside the index].
    #[arg(long)]
    sqlite: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    #[arg(long, default_value_t = 50)]
    per_class: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Queries given to ripgrep (each one reads the whole corpus); 0 leaves it out.
    #[arg(long, default_value_t = 20)]
    rg_queries: usize,
    /// Skip SQLite (its database takes minutes to build at a million passages).
    #[arg(long)]
    no_sqlite: bool,
    /// Instead of the per-class mix, draw this many single words (with `--pairs`).
    #[arg(long, default_value_t = 5)]
    terms: usize,
    /// Instead of the per-class mix, draw `--terms` words and this many word pairs, each pair
    /// asked as AND, OR and phrase (issue 25's set: `--terms 5 --pairs 30`, 95 queries).
    #[arg(long)]
    pairs: Option<usize>,
    /// Write every passage as `title<TAB>section<TAB>text` a line (the title empty when the
    /// index does not search it in `all`), for a peer engine to index the same passages; then
    /// stop.
    #[arg(long, value_name = "FILE")]
    write_passages: Option<PathBuf>,
    /// Write each query's median and maximum newsdex search time (µs) and its class, worst
    /// maximum first, to find what makes the tail.
    #[arg(long, value_name = "FILE")]
    per_query: Option<PathBuf>,
    /// Leave out the tantivy top-10 + Count row.
    #[arg(long)]
    no_count: bool,
    /// Also time newsdex with this proximity weight, query by query beside the same search
    /// with proximity off (the first row, then): before and after under the same load.
    #[arg(long, value_name = "WEIGHT")]
    proximity: Option<f32>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !index_exists(&args.index) {
        eprintln!("building the newsdex index at `{}`", args.index.display());
        let options = BuildOptions {
            corpus: args.corpus.clone(),
            more_sources: Vec::new(),
            index: args.index.clone(),
            walk: WalkOptions::default(),
            memory_mb: newsdex::index::DEFAULT_MEMORY_MB,
            rebuild: true,
            fields: Vec::new(),
            extras: Vec::new(),
        };
        build_index(&options, &EntityExtractor::builtin(), &Silent)?;
    }
    if let Some(path) = &args.write_passages {
        return write_passages(&args.corpus, path);
    }
    let searcher = Searcher::new(open_index(&args.index)?, EntityExtractor::builtin())?;
    searcher.reload()?;
    let queries: Vec<BenchQuery> = match &args.queries {
        Some(path) => {
            read_query_file(path, &searcher, &mut |skipped| {
                eprintln!(
                    "{}:{}: skipped: {}",
                    path.display(),
                    skipped.line,
                    skipped.reason
                )
            })?
            .0
        }
        None if args.pairs.is_some() => {
            generate_pair_set(&searcher, args.terms, args.pairs.unwrap_or(0), args.seed)?
        }
        None => generate_queries(&searcher, args.per_class, args.seed)?
            .into_iter()
            .filter(|query| query.filters.is_none())
            .collect(),
    };
    if let Some(path) = &args.write_queries {
        let lines: String = queries
            .iter()
            .map(|query| format!("{}\t{}\n", query.class, query.query))
            .collect();
        std::fs::write(path, lines)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    eprintln!("{} queries, {} rounds", queries.len(), args.rounds);

    let mut rows: Vec<(String, Vec<Duration>)> = Vec::new();
    let (search, whole, raw, proximity) =
        time_newsdex_and_tantivy(&searcher, &queries, args.rounds, args.proximity)?;
    if let Some(path) = &args.per_query {
        write_per_query(path, &queries, &search)?;
    }
    rows.push(("newsdex search (top-10)".into(), search));
    if let Some(weight) = args.proximity {
        rows.push((format!("newsdex, proximity {weight}"), proximity));
    }
    rows.push(("newsdex + fetch + snippets".into(), whole));
    rows.push(("tantivy raw top-10".into(), raw));
    // The same with an exact count beside the top 10, which switches off block-max pruning.
    if !args.no_count {
        rows.push((
            "tantivy top-10 + Count".into(),
            time_tantivy(&searcher, &queries, args.rounds, true)?,
        ));
    }
    if !args.no_sqlite {
        let db = args.sqlite.clone().unwrap_or_else(|| {
            let mut name = args.index.clone().into_os_string();
            name.push(".fts5.sqlite");
            PathBuf::from(name)
        });
        rows.push((
            "sqlite fts5 bm25 top-10".into(),
            time_sqlite(&db, &args.corpus, &queries, args.rounds)?,
        ));
    }
    // `--rg-queries 0` leaves ripgrep out.
    if args.rg_queries > 0 {
        let rg_queries: Vec<&BenchQuery> = spread(&queries, args.rg_queries);
        rows.push((
            "ripgrep -l (floor)".into(),
            time_ripgrep(&args.corpus, &rg_queries)?,
        ));
    }

    // p50 per query class, for the engines that ran every query.
    let classes: Vec<QueryClass> = {
        let mut classes: Vec<QueryClass> = queries.iter().map(|query| query.class).collect();
        classes.sort_by_key(|class| class.to_string());
        classes.dedup();
        classes
    };
    for percent in [50.0, 99.0] {
        print!("{:<28}", format!("p{percent} µs by class"));
        for class in &classes {
            print!(" {:>11}", class.to_string());
        }
        println!();
        for (name, samples) in rows
            .iter()
            .filter(|(_, samples)| samples.len() % queries.len() == 0)
        {
            print!("{name:<28}");
            for class in &classes {
                let of_class: Vec<Duration> = samples
                    .iter()
                    .enumerate()
                    .filter(|(idx, _)| queries[idx % queries.len()].class == *class)
                    .map(|(_, sample)| *sample)
                    .collect();
                print!(" {:>11.1}", p(&of_class, percent));
            }
            println!();
        }
        println!();
    }

    let base = p(&rows[0].1, 50.0).max(1e-3);
    let base99 = p(&rows[0].1, 99.0).max(1e-3);
    println!(
        "{:<28} {:>7} {:>11} {:>11} {:>11} {:>11}",
        "engine", "runs", "p50 µs", "p99 µs", "p50 / nd", "p99 / nd"
    );
    for (name, samples) in &rows {
        println!(
            "{:<28} {:>7} {:>11.1} {:>11.1} {:>11.2} {:>11.2}",
            name,
            samples.len(),
            p(samples, 50.0),
            p(samples, 99.0),
            p(samples, 50.0) / base,
            p(samples, 99.0) / base99
        );
    }
    Ok(())
}

/// Each query's median and maximum time over the rounds (the samples round after round),
/// the worst maximum first: `max_us<TAB>median_us<TAB>class<TAB>query`.
fn write_per_query(
    path: &Path,
    queries: &[BenchQuery],
    samples: &[Duration],
) -> anyhow::Result<()> {
    let mut lines: Vec<(f64, f64, &BenchQuery)> = queries
        .iter()
        .enumerate()
        .map(|(idx, query)| {
            let of_query: Vec<Duration> = samples
                .iter()
                .skip(idx)
                .step_by(queries.len())
                .copied()
                .collect();
            (p(&of_query, 100.0), p(&of_query, 50.0), query)
        })
        .collect();
    lines.sort_by(|a, b| b.0.total_cmp(&a.0));
    let text: String = lines
        .iter()
        .map(|(max, median, query)| {
            format!("{max:.1}\t{median:.1}\t{}\t{}\n", query.class, query.query)
        })
        .collect();
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

/// Every passage of the corpus as newsdex indexes it in `all`, one a line:
/// `title<TAB>section<TAB>text`, the title empty when it repeats the text (and so is not in
/// `all`), tabs and line breaks as spaces: what a peer engine indexes to search the same
/// passages.
fn write_passages(corpus: &Path, path: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let clean = |text: &str| text.replace(['\t', '\n', '\r'], " ");
    let walk = walk_corpus(corpus, &WalkOptions::default())?;
    let extractor = EntityExtractor::builtin();
    let map = newsdex::ingest::mapping::FieldMap::default();
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut n = 0;
    for file in &walk.files {
        for (article, passages) in process_file(file, &map, &extractor).articles {
            let title = if article.title_repeats_text {
                String::new()
            } else {
                clean(&article.title)
            };
            for passage in passages {
                let section = passage.section.as_deref().map(clean).unwrap_or_default();
                writeln!(out, "{title}\t{section}\t{}", clean(&passage.text))?;
                n += 1;
            }
        }
    }
    out.flush()?;
    eprintln!("wrote {n} passages to `{}`", path.display());
    Ok(())
}

/// Every `len / n`-th query, so that a subset still holds every class.
fn spread(queries: &[BenchQuery], n: usize) -> Vec<&BenchQuery> {
    let step = (queries.len() / n.max(1)).max(1);
    queries.iter().step_by(step).take(n).collect()
}

fn p(samples: &[Duration], percent: f64) -> f64 {
    let mut nanos: Vec<u64> = samples.iter().map(|d| d.as_nanos() as u64).collect();
    nanos.sort_unstable();
    percentile(&nanos, percent).unwrap_or(0) as f64 / 1000.0
}

/// newsdex (`Searcher::search`: its search time, and the whole call with fetch and snippets)
/// and raw tantivy top-10, query by query, in turn, the first of the two alternating: measured
/// in one loop, both see the same machine load and caches. (Measured in separate loops, raw
/// tantivy runs query after query with its data hot in the CPU caches, while newsdex's search
/// follows its own fetch and snippet work: on a 2-core machine that alone made the same
/// top-10 search 3-4 times slower.)
fn time_newsdex_and_tantivy(
    searcher: &Searcher,
    queries: &[BenchQuery],
    rounds: usize,
    proximity: Option<f32>,
) -> anyhow::Result<Timings> {
    let (mut search, mut whole, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    let mut with_proximity = Vec::new();
    let mut tantivy = RawTantivy::new(searcher)?;
    for round in 0..=rounds {
        for (idx, query) in queries.iter().enumerate() {
            let mut request = SearchRequest::new(query.query.to_string());
            let tantivy_first = (round + idx) % 2 == 0;
            let mut raw_time = Duration::ZERO;
            if tantivy_first {
                raw_time = tantivy.time(query, false)?;
            }
            // With a weight to compare, the first row is proximity off, and which of the two
            // runs first alternates too.
            let after = proximity.map(|weight| {
                request.proximity = 0.0;
                let mut after = request.clone();
                after.proximity = weight;
                after
            });
            let mut after_time = None;
            if let Some(after) = after.as_ref().filter(|_| tantivy_first) {
                after_time = Some(searcher.search(after)?.search_time);
            }
            let started = Instant::now();
            let results = searcher.search(&request)?;
            let elapsed = started.elapsed();
            if !tantivy_first {
                raw_time = tantivy.time(query, false)?;
                if let Some(after) = &after {
                    after_time = Some(searcher.search(after)?.search_time);
                }
            }
            // Round 0 warms the caches and is not counted.
            if round > 0 {
                search.push(results.search_time);
                whole.push(elapsed);
                raw.push(raw_time);
                with_proximity.extend(after_time);
            }
        }
    }
    Ok((search, whole, raw, with_proximity))
}

/// newsdex's search times, its whole calls, raw tantivy's, and newsdex's with proximity.
type Timings = (Vec<Duration>, Vec<Duration>, Vec<Duration>, Vec<Duration>);

/// Raw tantivy on the newsdex index: tantivy's own query parser over the same field (`all`: the
/// passage with its title and heading) that a plain newsdex word searches.
struct RawTantivy {
    parser: QueryParser,
    searcher: tantivy::Searcher,
}

impl RawTantivy {
    fn new(searcher: &Searcher) -> anyhow::Result<RawTantivy> {
        let handle = searcher.handle();
        let fields = handle.fields;
        // The field a plain word searches with the default `FieldBoosts`, its query words
        // analysed as newsdex analyses them.
        let parser = QueryParser::new(
            handle.index.schema(),
            vec![fields.all],
            newsdex::schema::query_tokenizers(),
        );
        Ok(RawTantivy {
            parser,
            searcher: handle.index.reader()?.searcher(),
        })
    }

    /// Parses and runs one query: top 10 by score, no stored fields (and an exact count).
    fn time(&mut self, query: &BenchQuery, with_count: bool) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let parsed = self.parser.parse_query(&query.query)?;
        if with_count {
            let top = self
                .searcher
                .search(&parsed, &(TopDocs::with_limit(10).order_by_score(), Count))?;
            std::hint::black_box(top);
        } else {
            let top = self
                .searcher
                .search(&parsed, &TopDocs::with_limit(10).order_by_score())?;
            std::hint::black_box(top);
        }
        Ok(started.elapsed())
    }
}

/// tantivy alone, query after query: the same parser settings, top 10 by score (and an exact
/// count), no stored fields.
fn time_tantivy(
    searcher: &Searcher,
    queries: &[BenchQuery],
    rounds: usize,
    with_count: bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut tantivy = RawTantivy::new(searcher)?;
    let mut samples = Vec::new();
    for round in 0..=rounds {
        for query in queries {
            let elapsed = tantivy.time(query, with_count)?;
            if round > 0 {
                samples.push(elapsed);
            }
        }
    }
    Ok(samples)
}

/// The newsdex query as an FTS5 MATCH expression: words quoted, `+a +b` as AND, `a OR b` as
/// OR, phrases kept, and bare word lists as OR (newsdex's default).
pub fn fts5_query(query: &str, class: QueryClass) -> String {
    let quoted = |word: &str| format!("\"{}\"", word.trim_matches(['+', '"']).replace('"', ""));
    match class {
        QueryClass::Phrase => quoted(query),
        QueryClass::And => query
            .split_whitespace()
            .filter(|word| *word != "AND")
            .map(quoted)
            .collect::<Vec<_>>()
            .join(" AND "),
        _ => query
            .split_whitespace()
            .filter(|word| *word != "OR" && *word != "AND" && !word.starts_with('-'))
            .map(quoted)
            .collect::<Vec<_>>()
            .join(" OR "),
    }
}

fn time_sqlite(
    db: &Path,
    corpus: &Path,
    queries: &[BenchQuery],
    rounds: usize,
) -> anyhow::Result<Vec<Duration>> {
    let fresh = !db.exists();
    let mut connection = rusqlite::Connection::open(db)?;
    if fresh {
        eprintln!("building the SQLite FTS5 database at `{}`", db.display());
        let started = Instant::now();
        connection.execute_batch(
            "CREATE VIRTUAL TABLE passages USING fts5(title, section, text, tokenize = 'porter unicode61');",
        )?;
        let walk = walk_corpus(corpus, &WalkOptions::default())?;
        let extractor = EntityExtractor::builtin();
        let transaction = connection.transaction()?;
        {
            let mut insert = transaction
                .prepare("INSERT INTO passages (title, section, text) VALUES (?1, ?2, ?3)")?;
            for file in &walk.files {
                let map = newsdex::ingest::mapping::FieldMap::default();
                for (article, passages) in process_file(file, &map, &extractor).articles {
                    for passage in passages {
                        insert.execute((&article.title, &passage.section, &passage.text))?;
                    }
                }
            }
        }
        transaction.commit()?;
        connection.execute_batch("INSERT INTO passages(passages) VALUES('optimize');")?;
        eprintln!("built in {:.1} s", started.elapsed().as_secs_f64());
    }
    // The same weights as newsdex's boosts: title 2, section 1.5, text 1.
    let mut statement = connection.prepare(
        "SELECT rowid FROM passages WHERE passages MATCH ?1 ORDER BY bm25(passages, 2.0, 1.5, 1.0) LIMIT 10",
    )?;
    let mut samples = Vec::new();
    for round in 0..=rounds {
        for query in queries {
            let expression = fts5_query(&query.query, query.class);
            let started = Instant::now();
            let rows: Vec<i64> = statement
                .query_map([&expression], |row| row.get(0))?
                .collect::<Result<_, _>>()
                .with_context(|| format!("fts5 query `{expression}`"))?;
            let elapsed = started.elapsed();
            std::hint::black_box(rows);
            if round > 0 {
                samples.push(elapsed);
            }
        }
    }
    Ok(samples)
}

/// ripgrep over the corpus files: the files holding any word (or the phrase), case-insensitive.
fn time_ripgrep(corpus: &Path, queries: &[&BenchQuery]) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::new();
    for query in queries {
        let patterns: Vec<String> = if query.class == QueryClass::Phrase {
            vec![query.query.trim_matches('"').to_string()]
        } else {
            query
                .query
                .split_whitespace()
                .filter(|word| *word != "OR" && *word != "AND" && !word.starts_with('-'))
                .map(|word| word.trim_matches(['+', '"']).to_string())
                .collect()
        };
        let mut command = Command::new("rg");
        command.args(["-l", "-i", "-F"]);
        for pattern in &patterns {
            command.arg("-e").arg(pattern);
        }
        command.arg(corpus);
        let started = Instant::now();
        let output = command
            .output()
            .context("cannot run `rg`: install ripgrep (apt-get install -y ripgrep)")?;
        samples.push(started.elapsed());
        // rg exits 1 when nothing matches; 2 is an error.
        if output.status.code() == Some(2) {
            bail!("rg failed: {}", String::from_utf8_lossy(&output.stderr));
        }
    }
    Ok(samples)
}
