//! Trains the name tagger on CoNLL-format files and writes its weights (`data/ner_weights.tsv`).
//!
//! cargo run --release --example train_tagger -- --out data/ner_weights.tsv --min-weight 700 \
//!     --runs 3 --epochs 16 \
//!     ../shared/corpora/conll2003/eng.train ../shared/corpora/conll2003/eng.testa \
//!     ../shared/corpora/ner/gmb/gmb.train@0.1
//!
//! (the shipped weights: three runs of 16 passes averaged, a tenth of GMB's sentences a pass,
//! features whose averaged weights all stay under 700 dropped so that the table keeps under
//! 65,536 features: 62,939). A file with `-DOCSTART-` marks trains a document at a time, its sentences
//! one text as the tagger reads an article (the history features run through it); GMB has no
//! marks and trains a sentence at a time.
//!
//! `--runs N` trains N times, the sentences in another order each time, and averages the runs.
//! `FILE@SHARE`: each pass trains on that share of the file's documents, drawn anew each pass
//! (GMB's labels are silver and it is four times CoNLL's size). `FILE@SHARE@DOMAIN`: the
//! file's sentences also train their domain's own copy of each feature (`tagger::train`), which
//! is not shipped; domain 0 (the default) has none. The features read
//! `data/word_classes.tsv` as compiled in: regenerate it (`scripts/gen_word_classes.py`) before
//! training, not after. Never train on the sets the quality harness measures: CoNLL eng.testb,
//! GMB test (and GMB dev, kept for tuning), Wikigold unless it is no longer reported as unseen.

newsdex::use_mimalloc!();

use std::path::PathBuf;
use std::process::ExitCode;

use newsdex::extract::conll::read_conll;
use newsdex::extract::feature_table::weights_tsv;
use newsdex::extract::gazetteer::Gazetteer;
use newsdex::extract::tagger::{Source, average_runs, train};

fn main() -> ExitCode {
    let mut out = PathBuf::from("data/ner_weights.tsv");
    let mut epochs = 8;
    let mut runs = 1;
    let mut min_weight = 0.5;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = args.next().map(PathBuf::from).unwrap_or(out),
            "--epochs" => epochs = args.next().and_then(|v| v.parse().ok()).unwrap_or(epochs),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
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
        eprintln!(
            "usage: train_tagger [--out FILE] [--epochs N] [--runs N] [--min-weight W] CONLL_FILE[@SHARE[@DOMAIN]]..."
        );
        return ExitCode::from(2);
    }
    let mut documents = Vec::new();
    let mut sources = Vec::new();
    for input in &inputs {
        let text = input.to_string_lossy();
        let mut parts = text.split('@');
        let path = PathBuf::from(parts.next().unwrap_or_default());
        let share = parts.next().and_then(|share| share.parse::<f32>().ok());
        let domain = parts.next().and_then(|domain| domain.parse::<u8>().ok());
        let source = Source {
            share: share.unwrap_or(1.0),
            domain: domain.unwrap_or(0),
        };
        if path.file_name().is_some_and(|name| {
            ["eng.testb", "gmb.test", "gmb.dev"].contains(&&*name.to_string_lossy())
        }) {
            eprintln!(
                "error: `{}` is a test or tuning set; train on eng.train, eng.testa, gmb.train",
                path.display()
            );
            return ExitCode::from(2);
        }
        match read_conll(&path) {
            Ok(read) => {
                eprintln!(
                    "{}: {} documents, {} sentences, {source:?}",
                    path.display(),
                    read.len(),
                    read.iter().map(|d| d.sentences.len()).sum::<usize>()
                );
                documents.extend(read.into_iter().map(|d| d.sentences));
                sources.resize(documents.len(), source);
            }
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let gazetteer = Gazetteer::builtin();
    let runs: Vec<_> = (0..runs)
        .map(|run| {
            train(
                &documents, &sources, &gazetteer, epochs, min_weight, run as u64,
            )
        })
        .collect();
    let mut weights = average_runs(&runs);
    // A feature only some runs kept weighs less in the average: the same floor again.
    weights.retain(|_, row| row.iter().any(|weight| weight.abs() >= min_weight));
    let tsv = weights_tsv(&weights);
    if let Err(error) = std::fs::write(&out, &tsv) {
        eprintln!("error: cannot write `{}`: {error}", out.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "trained on {} documents, {epochs} epochs: {} features, {:.2} MB written to {}",
        documents.len(),
        weights.len(),
        tsv.len() as f64 / 1e6,
        out.display()
    );
    ExitCode::SUCCESS
}
