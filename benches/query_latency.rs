//! Criterion bench of query latency by class (the generated mix of `newsdex bench`) on an index
//! of a synthesised corpus built in a temporary folder. Each iteration is one whole
//! `Searcher::search` (top 10, stored fields, snippets); `newsdex bench` splits search from fetch.

newsdex::use_mimalloc!();

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use newsdex::bench::{QueryClass, generate_queries};
use newsdex::extract::entities::EntityExtractor;
use newsdex::index::open_index;
use newsdex::search::Searcher;

fn query_latency(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let corpus = common::synth_corpus(dir.path(), common::generated_passages());
    let index = dir.path().join("index");
    common::build(&corpus, &index);
    let handle = open_index(&index).expect("the index opens");
    let searcher = Searcher::new(handle, EntityExtractor::builtin()).expect("a searcher");
    searcher.reload().expect("the index reloads");
    let queries = generate_queries(&searcher, 20, 42).expect("queries from the index");

    let mut group = c.benchmark_group("query_latency");
    for class in QueryClass::GENERATED {
        let requests: Vec<_> = queries
            .iter()
            .filter(|query| query.class == class)
            .map(|query| query.request())
            .collect();
        let mut next = 0;
        group.bench_function(class.name(), |b| {
            b.iter(|| {
                let request = &requests[next % requests.len()];
                next += 1;
                searcher.search(request).expect("the query runs")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, query_latency);
criterion_main!(benches);
