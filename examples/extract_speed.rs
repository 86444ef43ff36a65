//! Measures entity extraction alone on a folder of articles: bytes per second, one thread.
//!
//! cargo run --release --example extract_speed -- corpus/

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use newsdex::extract::entities::EntityExtractor;
use newsdex::ingest::{WalkOptions, read_file, walk_corpus};
use newsdex::passage::split_passages;

fn main() -> ExitCode {
    let Some(corpus) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: extract_speed CORPUS_DIR [ROUNDS]");
        return ExitCode::from(2);
    };
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
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
    let extractor = EntityExtractor::builtin();
    let _ = extractor.extract("Warm up in Belgrade.");
    let started = Instant::now();
    let mut n_entities = 0;
    for _ in 0..rounds {
        for (article, passages) in &mut articles {
            extractor.annotate(article, passages);
            n_entities += passages.iter().map(|p| p.entities.len()).sum::<usize>();
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{} articles, {:.2} MB x {rounds} rounds in {seconds:.3} s: {:.2} MB/s, {} entities a round",
        articles.len(),
        bytes as f64 / 1e6,
        bytes as f64 * rounds as f64 / 1e6 / seconds,
        n_entities / rounds
    );
    ExitCode::SUCCESS
}
