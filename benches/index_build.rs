//! Criterion bench of index throughput (bytes of corpus a second): the bundled `corpus/` folder
//! and a larger corpus synthesised in-process. It does not measure queries (see query_latency).

newsdex::use_mimalloc!();

mod common;

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus_bytes(corpus: &Path) -> u64 {
    walkdir::WalkDir::new(corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}

fn bench_corpus(c: &mut Criterion, name: &str, corpus: &Path) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let index = dir.path().join("index");
    let mut group = c.benchmark_group("index_build");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(corpus_bytes(corpus)));
    group.bench_function(name, |b| {
        b.iter(|| common::build(corpus, &index));
    });
    group.finish();
}

fn index_build(c: &mut Criterion) {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    if bundled.is_dir() {
        bench_corpus(c, "bundled_corpus", &bundled);
    } else {
        eprintln!(
            "note: no bundled corpus at `{}`; skipping it",
            bundled.display()
        );
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let passages = common::generated_passages();
    let corpus = common::synth_corpus(dir.path(), passages);
    bench_corpus(c, &format!("synth_{passages}_passages"), &corpus);
}

criterion_group!(benches, index_build);
criterion_main!(benches);
