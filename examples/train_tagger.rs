//! Trains the name tagger on CoNLL-2003 files and writes its weights (`data/ner_weights.tsv`).
//!
//! cargo run --release --example train_tagger -- --out data/ner_weights.tsv \
//!     ../shared/corpora/conll2003/eng.train ../shared/corpora/conll2003/eng.testa
//!
//! Use only eng.train and eng.testa: eng.testb is the test set of the quality harness.

use std::path::PathBuf;
use std::process::ExitCode;

use newsdex::extract::conll::read_conll;
use newsdex::extract::feature_table::weights_tsv;
use newsdex::extract::gazetteer::Gazetteer;
use newsdex::extract::tagger::train;

fn main() -> ExitCode {
    let mut out = PathBuf::from("data/ner_weights.tsv");
    let mut epochs = 8;
    let mut min_weight = 0.5;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            "--epochs" => epochs = args.next().and_then(|v| v.parse().ok()).unwrap_or(epochs),
            "--min-weight" => {
                min_weight = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(min_weight)
            }
            _ => inputs.push(PathBuf::from(arg)),
        }
    }
    if inputs.is_empty() {
        eprintln!("usage: train_tagger [--out FILE] [--epochs N] [--min-weight W] CONLL_FILE...");
        return ExitCode::from(2);
    }
    let mut sentences = Vec::new();
    for input in &inputs {
        if input.file_name().is_some_and(|name| name == "eng.testb") {
            eprintln!("error: eng.testb is the test set; train on eng.train and eng.testa only");
            return ExitCode::from(2);
        }
        match read_conll(input) {
            Ok(documents) => sentences.extend(documents.into_iter().flat_map(|d| d.sentences)),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let gazetteer = Gazetteer::builtin();
    let weights = train(&sentences, &gazetteer, epochs, min_weight);
    let tsv = weights_tsv(&weights);
    if let Err(error) = std::fs::write(&out, &tsv) {
        eprintln!("error: cannot write `{}`: {error}", out.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "trained on {} sentences, {epochs} epochs: {} features, {:.2} MB written to {}",
        sentences.len(),
        weights.len(),
        tsv.len() as f64 / 1e6,
        out.display()
    );
    ExitCode::SUCCESS
}
