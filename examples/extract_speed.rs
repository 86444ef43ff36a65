//! Measures entity extraction alone on a folder of articles: bytes per second, one thread.
//!
//! cargo run --release --example extract_speed -- corpus/ [ROUNDS] [--lists-only] [--weights FILE]
//!
//! `--lists-only` runs the built-in lists without the tagger: what the names that no list holds
//! cost.

newsdex::use_mimalloc!();

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use newsdex::extract::entities::EntityExtractor;
use newsdex::extract::tagger::Tagger;
use newsdex::ingest::{WalkOptions, read_file, walk_corpus};
use newsdex::passage::split_passages;

/// The tagger of `--weights FILE`.
static CUSTOM_TAGGER: std::sync::OnceLock<Tagger> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    let mut all: Vec<String> = std::env::args().skip(1).collect();
    // `--weights FILE`: a retrained tagger's weights (`examples/train_tagger.rs`), timed before
    // they are shipped.
    let weights = match all.iter().position(|arg| arg == "--weights") {
        Some(at) if at + 1 < all.len() => {
            let path = all.remove(at + 1);
            all.remove(at);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(error) => {
                    eprintln!("error: cannot read `{path}`: {error}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let (flags, args): (Vec<String>, Vec<String>) =
        all.into_iter().partition(|arg| arg.starts_with("--"));
    let lists_only = match flags.as_slice() {
        [] => false,
        [flag] if flag == "--lists-only" => true,
        _ => {
            eprintln!("usage: extract_speed CORPUS_DIR [ROUNDS] [--lists-only] [--weights FILE]");
            return ExitCode::from(2);
        }
    };
    let Some(corpus) = args.first().map(PathBuf::from) else {
        eprintln!("usage: extract_speed CORPUS_DIR [ROUNDS] [--lists-only]");
        return ExitCode::from(2);
    };
    let rounds: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20);
    let walk = match walk_corpus(&corpus, &WalkOptions::default()) {
        Ok(walk) => walk,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut articles = Vec::new();
    let mut bytes = 0;
    let map = newsdex::ingest::mapping::FieldMap::default();
    for file in &walk.files {
        bytes += file.size;
        for article in read_file(file, &map).into_iter().flatten() {
            let passages = split_passages(&article);
            articles.push((article, passages));
        }
    }
    let extractor = if lists_only {
        EntityExtractor::lists_only()
    } else if let Some(text) = weights {
        CUSTOM_TAGGER.get_or_init(|| Tagger::from_tsv(&text));
        EntityExtractor::builtin().with_tagger(|| CUSTOM_TAGGER.get().expect("set before use"))
    } else {
        EntityExtractor::builtin()
    };
    let _ = extractor.extract("Warm up in Belgrade.");
    let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
    let mut n_entities = 0;
    for _ in 0..rounds {
        for (article, passages) in &mut articles {
            extractor.annotate(article, passages);
            n_entities += passages.iter().map(|p| p.entities.len()).sum::<usize>();
        }
    }
    let names: std::collections::HashSet<&str> = articles
        .iter()
        .flat_map(|(_, passages)| passages)
        .flat_map(|passage| &passage.entities)
        .map(|entity| entity.name.as_str())
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds() - cpu_started;
    println!(
        "{} articles, {:.2} MB x {rounds} rounds in {seconds:.3} s ({cpu:.3} s CPU): {:.2} MB/s, \
         {:.3} ms CPU a round, {} entities a round ({} distinct names)",
        articles.len(),
        bytes as f64 / 1e6,
        bytes as f64 * rounds as f64 / 1e6 / seconds,
        cpu * 1e3 / rounds as f64,
        n_entities / rounds,
        names.len()
    );
    ExitCode::SUCCESS
}

/// CPU time of this thread so far (user and system), in seconds: unlike wall-clock time, not
/// inflated by waiting for a busy machine's cores.
fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}
