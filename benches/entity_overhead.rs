//! What entity extraction costs a whole index build: the bundled `corpus/` folder indexed in RAM
//! (walk; files cut into chunks, read, split into passages, annotated and made into tantivy
//! documents on all cores; then written and committed) with the built-in extractor and with one
//! that finds nothing, in the same run. Throughput is in corpus bytes; the target is
//! "with" at no less than 80% of "without".
//!
//! Criterion measures each variant in its own block of time, so a change in the machine's load
//! between blocks shows as overhead. The paired measurement at the end alternates the two
//! builds, one pair after another, and prints the median and quartiles of the per-pair ratio
//! of throughputs, by wall-clock time and by the process's CPU time (all threads, user and
//! system), which waiting for a busy machine's cores does not inflate. A second paired
//! measurement runs the command's own build (`build_index`, into a temporary folder), which
//! adds what the in-RAM loop leaves out: the pipeline's overlap of reading and indexing, and
//! the corpus acronym table (the scan for acronyms in brackets, and the articles that use one
//! held and completed at the end). A third paired measurement runs `build_index` with the
//! built-in lists alone (no tagger) against the build without entities: the share of the
//! overhead that is not the tagger's.
//!
//! Run: `cargo bench --bench entity_overhead`; on another folder or file of articles (a sample
//! of `newsdex corpus synth`, or `../shared/corpora/reuters21578/reuters21578.jsonl`):
//! `NEWSDEX_OVERHEAD_CORPUS=PATH`, with `NEWSDEX_PAIRED_ONLY=1` and `NEWSDEX_PAIRS=N` for the
//! paired measurement alone.

newsdex::use_mimalloc!();

mod paired;

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use newsdex::build::build_index;
use newsdex::build::{BuildOptions, Silent};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index;
use newsdex::ingest::mapping::FieldMap;
use newsdex::ingest::{self, WalkOptions, walk_corpus};
use newsdex::passage::split_passages;
use rayon::prelude::*;
use tantivy::TantivyDocument;

fn build_in_ram(
    files: &[newsdex::ingest::CorpusFile],
    extractor: &EntityExtractor,
    index_entities: bool,
) -> usize {
    let handle = index::create_in_ram();
    let mut writer = index::writer(&handle, 64).expect("an in-RAM writer");
    // Files cut into chunks, as `build_index` cuts them, so that a corpus of one large file
    // (Reuters is one JSON Lines file) is read on every core too.
    let mut chunks = Vec::new();
    for file in files {
        ingest::split_file(file.clone(), ingest::CHUNK_BYTES, &mut |chunk| {
            chunks.push(chunk);
            true
        });
    }
    // Read, annotate and make the documents on all cores, then write, as `build_index` does.
    let map = FieldMap::default();
    let documents: Vec<Vec<TantivyDocument>> = chunks
        .into_par_iter()
        .map(|chunk| {
            let output = ingest::read_chunk(chunk, &map);
            assert!(!output.failed, "the corpus reads");
            let mut documents = Vec::new();
            for article in output.articles {
                let article = article.expect("every article of the corpus reads");
                let mut passages = split_passages(&article);
                extractor.annotate(&article, &mut passages);
                if !index_entities {
                    passages
                        .iter_mut()
                        .for_each(|passage| passage.entities.clear());
                }
                documents.extend(
                    passages
                        .iter()
                        .map(|passage| index::passage_document(&handle.fields, &article, passage)),
                );
            }
            documents
        })
        .collect();
    let mut n_passages = 0;
    for document in documents.into_iter().flatten() {
        writer.add_document(document).expect("add a document");
        n_passages += 1;
    }
    writer.commit().expect("commit");
    n_passages
}

fn entity_overhead(c: &mut Criterion) {
    // The bundled corpus unless `NEWSDEX_OVERHEAD_CORPUS` names another folder or file (a larger
    // one shows the steady state: the bundled 0.18 MB builds in about 30 ms, much of it fixed
    // cost).
    let corpus = std::env::var_os("NEWSDEX_OVERHEAD_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        std::path::PathBuf::from,
    );
    let walk = walk_corpus(&corpus, &WalkOptions::default()).expect("the corpus folder exists");
    let total_bytes: u64 = walk.files.iter().map(|file| file.size).sum();
    let with_entities = EntityExtractor::builtin();
    let without_entities = EntityExtractor::none();
    // Parse the tagger's weights before timing.
    let _ = with_entities.extract("Warm up in Belgrade.");

    // `NEWSDEX_PAIRED_ONLY=1` skips criterion's blocks, for a quick look at the paired ratio.
    if std::env::var_os("NEWSDEX_PAIRED_ONLY").is_none() {
        let mut group = c.benchmark_group("index_build_corpus");
        group.throughput(Throughput::Bytes(total_bytes));
        group.sample_size(20);
        group.bench_function("with_entities", |b| {
            b.iter(|| build_in_ram(&walk.files, &with_entities, true))
        });
        // Where the cost goes: extraction run, but its entities not written to the index.
        group.bench_function("extracted_not_indexed", |b| {
            b.iter(|| build_in_ram(&walk.files, &with_entities, false))
        });
        group.bench_function("without_entities", |b| {
            b.iter(|| build_in_ram(&walk.files, &without_entities, true))
        });
        group.finish();
    }

    // Paired: each pair runs both builds back to back, so that both see the same load.
    let pairs = std::env::var("NEWSDEX_PAIRS")
        .ok()
        .and_then(|pairs| pairs.parse().ok())
        .unwrap_or(40);
    paired::measure(
        "index_build_corpus",
        "with entities / without",
        pairs,
        || {
            std::hint::black_box(build_in_ram(&walk.files, &with_entities, true));
        },
        || {
            std::hint::black_box(build_in_ram(&walk.files, &without_entities, true));
        },
    );
    // The same, through `build_index` as `newsdex index build --rebuild` runs it, into a
    // temporary folder: the pipeline, and the corpus acronym table, whose articles are held
    // back and labelled at the end (the extractor that finds nothing holds none).
    let build = |extractor: &EntityExtractor| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let options = BuildOptions {
            corpus: corpus.clone(),
            more_sources: Vec::new(),
            index: dir.path().join("index"),
            walk: WalkOptions::default(),
            memory_mb: index::DEFAULT_MEMORY_MB,
            rebuild: true,
            fields: Vec::new(),
            extras: Vec::new(),
        };
        build_index(&options, extractor, &Silent).expect("the corpus builds");
    };
    paired::measure(
        "build_index",
        "with entities / without",
        pairs,
        || build(&with_entities),
        || build(&without_entities),
    );
    // Where the overhead is: the same build with the built-in lists alone, no tagger. It finds
    // the places and organisations the lists hold (and acronyms, possessives, demonyms), not
    // the names no list holds, which on CoNLL-2003 is most of the people and organisations.
    let lists_only = EntityExtractor::lists_only();
    paired::measure(
        "build_index",
        "lists only (no tagger) / without",
        pairs,
        || build(&lists_only),
        || build(&without_entities),
    );
}

criterion_group!(benches, entity_overhead);
criterion_main!(benches);
