//! Build throughput on Reuters-21578 (JSON Lines): MB/s of article text for the full newsdex
//! build (parse, map, split passages, extract entities, index) and, in the same run, for a bare
//! tantivy build of the same text with the same schema but documents made directly from the
//! records (no passage splitting, no entity extraction, no date parsing), on all cores. A third
//! measurement gives the ceiling of newsdex's own document model: its passage documents (a
//! document a paragraph, the title in each, entities and `all` included), made before the clock
//! starts, then indexed and committed by tantivy alone.
//!
//! Criterion measures each build in its own block of time, so a change in the machine's load
//! between blocks shows in their ratio. The paired measurement at the end alternates the two
//! builds, one pair after another, and prints the median and quartiles of the per-pair ratio of
//! throughputs (newsdex / bare), by wall-clock time and by the process's CPU time (all threads,
//! user and system).
//!
//! Run: `NEWSDEX_REUTERS=../shared/corpora/reuters21578/reuters21578.jsonl cargo bench --bench ingest_throughput`

newsdex::use_mimalloc!();

mod paired;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsdex::build::build_index;
use newsdex::build::{BuildOptions, Silent};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::{self, DEFAULT_MEMORY_MB};
use newsdex::ingest::WalkOptions;
use serde::Deserialize;
use tantivy::TantivyDocument;

fn reuters_path() -> PathBuf {
    match std::env::var_os("NEWSDEX_REUTERS") {
        Some(path) if Path::new(&path).is_file() => PathBuf::from(path),
        Some(path) => {
            eprintln!(
                "ingest_throughput: NEWSDEX_REUTERS=`{}` is not a file; point it at reuters21578.jsonl",
                Path::new(&path).display()
            );
            std::process::exit(2);
        }
        None => {
            eprintln!(
                "ingest_throughput: set NEWSDEX_REUTERS to the path of reuters21578.jsonl (../shared/corpora/reuters21578/reuters21578.jsonl from the repository root)"
            );
            std::process::exit(2);
        }
    }
}

#[derive(Deserialize)]
struct Story {
    newid: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    topics: Vec<String>,
}

/// Bytes of article text (titles and bodies) in the file: the throughput's unit.
fn text_bytes(path: &Path) -> u64 {
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("readable Reuters file"));
    file.lines()
        .map(|line| {
            let story: Story =
                serde_json::from_str(&line.expect("readable line")).expect("valid story");
            (story.title.len() + story.body.len()) as u64
        })
        .sum()
}

/// The bare build: same schema and writer settings, one document per story, no extraction.
/// Stories are made into documents a batch at a time on all cores (the English analysis of
/// `all`, which the schema takes analysed, is the bulk of that work), then added one by one.
fn bare_build(path: &Path, index_dir: &Path) {
    use rayon::prelude::*;
    let handle = index::open_or_create(index_dir, true).expect("index created");
    let writer = index::writer(&handle, DEFAULT_MEMORY_MB).expect("writer");
    let fields = handle.fields;
    let document = |line: &String| {
        let story: Story = serde_json::from_str(line).expect("valid story");
        let mut document = TantivyDocument::default();
        document.add_text(fields.article_id, story.newid.to_string());
        document.add_text(fields.path, "reuters21578.jsonl");
        document.add_text(fields.title, &story.title);
        for topic in &story.topics {
            document.add_text(fields.category, topic);
        }
        document.add_text(fields.text, &story.body);
        // The searched field holds the words, as newsdex's passages do.
        document.add_text(fields.all, index::analysed_for_all(&story.title));
        document.add_text(fields.all, index::analysed_for_all(&story.body));
        document.add_u64(fields.ordinal, 0);
        document
    };
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("readable Reuters file"));
    let mut lines = file
        .lines()
        .map(|line| line.expect("readable line"))
        .peekable();
    while lines.peek().is_some() {
        let batch: Vec<String> = lines.by_ref().take(1024).collect();
        let documents: Vec<TantivyDocument> = batch.par_iter().map(document).collect();
        for document in documents {
            writer.add_document(document).expect("document added");
        }
    }
    index::commit(&handle, writer).expect("commit");
}

/// Every passage of the file as the tantivy document a build writes (with the index's fields).
fn passage_documents(path: &Path, extractor: &EntityExtractor) -> Vec<TantivyDocument> {
    let walk = newsdex::ingest::walk_corpus(path, &WalkOptions::default()).expect("the file");
    let fields = newsdex::schema::build_schema().1;
    let map = newsdex::ingest::mapping::FieldMap::default();
    let mut documents = Vec::new();
    for file in &walk.files {
        let read = newsdex::build::process_file(file, &map, extractor);
        for (article, passages) in &read.articles {
            for passage in passages {
                documents.push(index::passage_document(&fields, article, passage));
            }
        }
    }
    documents
}

fn newsdex_build(path: &Path, index_dir: &Path, extractor: &EntityExtractor) {
    let options = BuildOptions {
        corpus: path.to_path_buf(),
        more_sources: Vec::new(),
        index: index_dir.to_path_buf(),
        walk: WalkOptions::default(),
        memory_mb: DEFAULT_MEMORY_MB,
        rebuild: true,
        fields: Vec::new(),
        extras: Vec::new(),
    };
    let report = build_index(&options, extractor, &Silent).expect("build");
    assert_eq!(report.articles, 21_578, "every story goes in");
}

fn ingest_throughput(criterion: &mut Criterion) {
    let path = reuters_path();
    let bytes = text_bytes(&path);
    let extractor = EntityExtractor::builtin();
    let mut group = criterion.benchmark_group("reuters_build");
    group
        .throughput(Throughput::Bytes(bytes))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    group.bench_function("newsdex", |bencher| {
        bencher.iter(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            newsdex_build(&path, &dir.path().join("index"), &extractor);
        })
    });
    group.bench_function("bare_tantivy", |bencher| {
        bencher.iter(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            bare_build(&path, &dir.path().join("index"));
        })
    });
    // The ceiling of newsdex's document model: its own passage documents (entities and `all`
    // included), made before the clock starts, indexed and committed by tantivy alone.
    let documents = passage_documents(&path, &extractor);
    group.bench_function("passages_made_beforehand", |bencher| {
        bencher.iter_batched(
            || (documents.clone(), tempfile::tempdir().expect("temp dir")),
            |(made, dir)| {
                let handle =
                    index::open_or_create(&dir.path().join("index"), true).expect("index created");
                let writer = index::writer(&handle, DEFAULT_MEMORY_MB).expect("writer");
                for document in made {
                    writer.add_document(document).expect("document added");
                }
                index::commit(&handle, writer).expect("commit");
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
    println!(
        "reuters_build/passages_made_beforehand: {} passage documents",
        documents.len()
    );

    // Paired: each pair runs both builds back to back, so that both see the same load.
    let in_temp_dir = |build: &dyn Fn(&Path)| {
        let dir = tempfile::tempdir().expect("temp dir");
        build(&dir.path().join("index"));
    };
    let (ours, theirs) = paired::measure(
        "reuters_build",
        "newsdex / bare",
        8,
        || in_temp_dir(&|index_dir| newsdex_build(&path, index_dir, &extractor)),
        || in_temp_dir(&|index_dir| bare_build(&path, index_dir)),
    );
    println!(
        "reuters_build/paired: first pair newsdex {:.2} MiB/s, bare {:.2} MiB/s (wall-clock)",
        bytes as f64 / ours / (1 << 20) as f64,
        bytes as f64 / theirs / (1 << 20) as f64
    );
}

criterion_group!(benches, ingest_throughput);
criterion_main!(benches);
