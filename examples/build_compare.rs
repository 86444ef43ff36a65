//! Build throughput, CPU and peak memory of newsdex against raw tantivy on the same passages, in
//! the same run (issue 25): each build runs in a child process of its own (this example run
//! again with `--one raw|newsdex`), so its CPU time (user + system) and peak resident set are
//! its own; the two alternate `--rounds` times, so both see the same load.
//!
//! Raw tantivy: one indexing thread at the same writer budget, the default tokenizer, one
//! document per passage (a paragraph of a seed-format file: the text between blank lines, the
//! date token of the first line left out, headings not), its text indexed and stored, merges as tantivy's
//! default policy does them. newsdex: `build::build_index`, a full build with entity
//! extraction, as `newsdex index build` runs it. Throughput is the corpus's file bytes over the
//! wall-clock time of the whole build (process start to the end of its commit and merge).
//!
//! `--extraction lists|none` builds newsdex with the built-in lists alone or with no entity
//! extraction at all, against the same raw tantivy: what extraction costs of the ratios (the
//! goals are for `full`).
//!
//! newsdex corpus synth --passages 1000000 --seed 7 --from reuters21578.jsonl --out /tmp/c1m
//! cargo run --release --example build_compare -- --corpus /tmp/c1m --work /tmp/wtb/idx [--rounds 3]

newsdex::use_mimalloc!();

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use newsdex::build::{BuildOptions, Silent, build_index};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::DEFAULT_MEMORY_MB;
use newsdex::ingest::WalkOptions;
use newsdex::ingest::seed::{is_heading, split_paragraphs};
use tantivy::schema::{STORED, Schema, TEXT};
use tantivy::{Index, TantivyDocument};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Engine {
    Raw,
    Newsdex,
}

/// The entity extraction of the newsdex build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Extraction {
    /// The built-in lists and the tagger, as `newsdex index build` runs.
    Full,
    /// The built-in lists without the tagger.
    Lists,
    /// No entity extraction.
    None,
}

#[derive(Debug, Parser)]
struct Args {
    /// The seed-format corpus folder (`newsdex corpus synth`).
    #[arg(long)]
    corpus: PathBuf,
    /// Folder for the indexes (each removed after its build).
    #[arg(long)]
    work: PathBuf,
    /// Pairs of builds, alternated.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// The writer's memory budget of both builds, in MB.
    #[arg(long, default_value_t = DEFAULT_MEMORY_MB)]
    memory_mb: usize,
    /// The entity extraction of the newsdex build.
    #[arg(long, value_enum, default_value_t = Extraction::Full)]
    extraction: Extraction,
    /// Run one build in this process and print its figures (what the parent runs).
    #[arg(long)]
    one: Option<Engine>,
    /// Keep the indexes (to inspect them).
    #[arg(long)]
    keep: bool,
}

/// One build's figures, as a child prints them on one line.
#[derive(Debug, Clone, Copy)]
struct Figures {
    wall: f64,
    cpu: f64,
    peak_mb: f64,
    documents: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(engine) = args.one {
        let started = Instant::now();
        let index = args.work.join(engine_name(engine));
        let documents = match engine {
            Engine::Raw => raw_build(&args.corpus, &index, args.memory_mb)?,
            Engine::Newsdex => {
                newsdex_build(&args.corpus, &index, args.memory_mb, args.extraction)?
            }
        };
        let wall = started.elapsed().as_secs_f64();
        let (cpu, peak_mb) = own_usage();
        println!("{wall} {cpu} {peak_mb} {documents}");
        return Ok(());
    }
    let bytes = corpus_bytes(&args.corpus)?;
    std::fs::create_dir_all(&args.work)?;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "corpus {} ({:.1} MB), writer budget {} MB, extraction {:?}, {} rounds; load at start: {}",
        args.corpus.display(),
        bytes as f64 / 1e6,
        args.memory_mb,
        args.extraction,
        args.rounds,
        load.trim()
    );
    let mut rows: Vec<(Figures, Figures)> = Vec::new();
    for round in 0..args.rounds {
        let raw = run_child(&args, Engine::Raw)?;
        let ours = run_child(&args, Engine::Newsdex)?;
        println!(
            "round {round}: raw {} | newsdex {} | ratios: throughput {:.2}, CPU {:.2}x, peak RSS {:.2}x",
            show(&raw, bytes),
            show(&ours, bytes),
            raw.wall / ours.wall,
            ours.cpu / raw.cpu,
            ours.peak_mb / raw.peak_mb,
        );
        rows.push((raw, ours));
    }
    let median = |pick: &dyn Fn(&(Figures, Figures)) -> f64| {
        let mut values: Vec<f64> = rows.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mb = bytes as f64 / 1e6;
    println!(
        "median: raw {:.1} MB/s, {:.1} s CPU, {:.0} MB peak | newsdex {:.1} MB/s, {:.1} s CPU, {:.0} MB peak | ratios: throughput {:.2} (goal >= 0.5), CPU {:.2}x (<= 2.5), peak RSS {:.2}x (<= 1.5)",
        mb / median(&|(raw, _)| raw.wall),
        median(&|(raw, _)| raw.cpu),
        median(&|(raw, _)| raw.peak_mb),
        mb / median(&|(_, ours)| ours.wall),
        median(&|(_, ours)| ours.cpu),
        median(&|(_, ours)| ours.peak_mb),
        median(&|(raw, ours)| raw.wall / ours.wall),
        median(&|(raw, ours)| ours.cpu / raw.cpu),
        median(&|(raw, ours)| ours.peak_mb / raw.peak_mb),
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load at end: {}", load.trim());
    Ok(())
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Raw => "raw",
        Engine::Newsdex => "newsdex",
    }
}

fn show(figures: &Figures, bytes: u64) -> String {
    format!(
        "{:.1} MB/s {:.1} s CPU {:.0} MB peak {} docs",
        bytes as f64 / 1e6 / figures.wall,
        figures.cpu,
        figures.peak_mb,
        figures.documents
    )
}

/// Runs one build in a child process and reads its figures.
fn run_child(args: &Args, engine: Engine) -> anyhow::Result<Figures> {
    let index = args.work.join(engine_name(engine));
    if index.exists() {
        std::fs::remove_dir_all(&index)?;
    }
    let output = Command::new(std::env::current_exe()?)
        .arg("--corpus")
        .arg(&args.corpus)
        .arg("--work")
        .arg(&args.work)
        .arg("--memory-mb")
        .arg(args.memory_mb.to_string())
        .arg("--extraction")
        .arg(
            args.extraction
                .to_possible_value()
                .expect("no variant is skipped")
                .get_name(),
        )
        .arg("--one")
        .arg(engine_name(engine))
        .output()?;
    if !output.status.success() {
        bail!(
            "the {} build failed: {}",
            engine_name(engine),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let line = String::from_utf8(output.stdout)?;
    let values: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("figures of the child: `{line}`"))?;
    let [wall, cpu, peak_mb, documents] = values[..] else {
        bail!("figures of the child: `{line}`");
    };
    if !args.keep {
        std::fs::remove_dir_all(&index)?;
    }
    Ok(Figures {
        wall,
        cpu,
        peak_mb,
        documents: documents as u64,
    })
}

/// This process's CPU seconds (user + system, all threads) and peak resident set in MB.
fn own_usage() -> (f64, f64) {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux gives kilobytes.
        usage.ru_maxrss as f64 / 1024.0,
    )
}

/// The files of the corpus in the walk's order.
fn corpus_files(corpus: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(corpus).sort_by_file_name() {
        let entry = entry?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "txt") {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

fn corpus_bytes(corpus: &Path) -> anyhow::Result<u64> {
    let mut bytes = 0;
    for file in corpus_files(corpus)? {
        bytes += std::fs::metadata(file)?.len();
    }
    Ok(bytes)
}

/// Raw tantivy: one indexing thread, the default tokenizer, a document per paragraph with its
/// text indexed and stored. Returns the documents written.
fn raw_build(corpus: &Path, index_dir: &Path, memory_mb: usize) -> anyhow::Result<u64> {
    let mut builder = Schema::builder();
    let text = builder.add_text_field("text", TEXT | STORED);
    let schema = builder.build();
    std::fs::create_dir_all(index_dir)?;
    let index = Index::create_in_dir(index_dir, schema)?;
    let mut writer = index.writer_with_num_threads(1, memory_mb * 1024 * 1024)?;
    let mut documents = 0;
    for file in corpus_files(corpus)? {
        let content = std::fs::read_to_string(&file)?;
        for (number, paragraph) in split_paragraphs(&content).into_iter().enumerate() {
            let paragraph = if number == 0 {
                without_date(&paragraph)
            } else {
                &paragraph
            };
            // A heading is not a passage of its own in newsdex (its passages carry it).
            if paragraph.is_empty() || (number > 0 && is_heading(paragraph)) {
                continue;
            }
            let mut document = TantivyDocument::default();
            document.add_text(text, paragraph);
            writer.add_document(document)?;
            documents += 1;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(documents)
}

/// The first paragraph without its `date YYYY-MM-DD` token.
fn without_date(paragraph: &str) -> &str {
    match paragraph.strip_prefix("date ") {
        Some(rest) => rest.split_once(' ').map_or("", |(_, lead)| lead),
        None => paragraph,
    }
}

fn newsdex_build(
    corpus: &Path,
    index_dir: &Path,
    memory_mb: usize,
    extraction: Extraction,
) -> anyhow::Result<u64> {
    let options = BuildOptions {
        corpus: corpus.to_path_buf(),
        more_sources: Vec::new(),
        index: index_dir.to_path_buf(),
        walk: WalkOptions::default(),
        memory_mb,
        rebuild: true,
        fields: Vec::new(),
        extras: Vec::new(),
    };
    let extractor = match extraction {
        Extraction::Full => EntityExtractor::builtin(),
        Extraction::Lists => EntityExtractor::lists_only(),
        Extraction::None => EntityExtractor::none(),
    };
    let report = build_index(&options, &extractor, &Silent)?;
    Ok(report.passages as u64)
}
