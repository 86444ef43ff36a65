//! `newsdex corpus synth`: writes a scale corpus with `synth` and prints a one-line summary to
//! stderr. It does not index the corpus.

use crate::cli::SynthArgs;
use crate::cmd::Outcome;
use crate::synth::{SynthOptions, synthesize};

pub fn synth(args: &SynthArgs) -> anyhow::Result<Outcome> {
    let options = SynthOptions {
        passages: usize::try_from(args.passages)?,
        from: args.from.clone(),
        seed: args.seed,
        out: args.out.clone(),
    };
    let report = synthesize(&options)?;
    eprintln!(
        "wrote {} articles, {} passages, {:.1} MB to `{}` (from {} records, {} sentences of `{}`, seed {})",
        report.articles,
        report.passages,
        report.bytes as f64 / 1e6,
        options.out.display(),
        report.source_records,
        report.source_sentences,
        options.from.display(),
        options.seed
    );
    Ok(Outcome::Success)
}
