//! Shared set-up of the criterion benches: a synthetic corpus (from `NEWSDEX_REUTERS`, or the
//! small Reuters-shaped fixture of the tests) and its index, in a temporary folder. It measures
//! nothing itself.

use std::path::{Path, PathBuf};

use newsdex::build::build_index;
use newsdex::build::{BuildOptions, BuildReport, Silent};
use newsdex::extract::entities::EntityExtractor;
use newsdex::ingest::WalkOptions;
use newsdex::synth::{SynthOptions, synthesize};

/// The Reuters JSONL to take sentences from: `NEWSDEX_REUTERS`, else the test fixture.
pub fn reuters_source() -> PathBuf {
    match std::env::var_os("NEWSDEX_REUTERS") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(
                path.is_file(),
                "NEWSDEX_REUTERS=`{}` is not a file (expected ../shared/corpora/reuters21578/reuters21578.jsonl)",
                path.display()
            );
            path
        }
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reuters-mini.jsonl"),
    }
}

/// Passages of the generated corpus: `NEWSDEX_BENCH_PASSAGES`, else 20,000.
pub fn generated_passages() -> usize {
    std::env::var("NEWSDEX_BENCH_PASSAGES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(20_000)
}

/// Writes a synthetic corpus of `passages` passages under `dir`.
pub fn synth_corpus(dir: &Path, passages: usize) -> PathBuf {
    let out = dir.join("corpus");
    let options = SynthOptions {
        passages,
        from: reuters_source(),
        seed: 42,
        out: out.clone(),
    };
    synthesize(&options).expect("the synthetic corpus is written");
    out
}

/// Builds (replaces) the index of `corpus` at `index`.
pub fn build(corpus: &Path, index: &Path) -> BuildReport {
    let options = BuildOptions {
        corpus: corpus.to_path_buf(),
        more_sources: Vec::new(),
        index: index.to_path_buf(),
        walk: WalkOptions::default(),
        memory_mb: newsdex::index::DEFAULT_MEMORY_MB,
        rebuild: true,
        fields: Vec::new(),
        extras: Vec::new(),
    };
    build_index(&options, &EntityExtractor::builtin(), &Silent).expect("the index builds")
}
