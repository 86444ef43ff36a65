//! `newsdex eval`: reads a test collection, runs the evaluation in the library, writes the
//! TREC run when asked and prints the measures as text or one JSON object. It does no ranking
//! or scoring of its own.

use std::io::{BufWriter, Write};

use anyhow::Context;

use crate::cli::EvalArgs;
use crate::cmd::Outcome;
use crate::eval::{self, CollectionPaths, EvalSummary, RUN_TAG, TestCollection};

pub fn run(args: &EvalArgs) -> anyhow::Result<Outcome> {
    let collection = TestCollection::read(&CollectionPaths {
        docs: args.docs.clone(),
        queries: args.queries.clone(),
        qrels: args.qrels.clone(),
    })?;
    let report = eval::evaluate(
        &collection,
        args.index.as_deref(),
        args.boosts.boosts(),
        args.boosts.proximity,
        args.story,
    )?;

    if let Some(path) = &args.run {
        let file = std::fs::File::create(path)
            .with_context(|| format!("failed to create `{}`", path.display()))?;
        let mut out = BufWriter::new(file);
        eval::write_run(&mut out, &report.runs, RUN_TAG)
            .and_then(|()| out.flush())
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }

    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report.summary)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &report.summary)?;
    }
    out.flush()?;
    Ok(Outcome::Success)
}

fn write_text<W: Write>(out: &mut W, summary: &EvalSummary) -> std::io::Result<()> {
    let measures = &summary.measures;
    writeln!(
        out,
        "{} documents as {} passages, indexed in {:.2}s; {} judged queries run in {:.2}s ({} retrieved nothing)",
        summary.documents,
        summary.passages,
        summary.index_seconds,
        summary.queries,
        summary.search_seconds,
        summary.queries_without_results
    )?;
    writeln!(out, "MAP         {:.4}", measures.map)?;
    writeln!(out, "nDCG@10     {:.4}", measures.ndcg_10)?;
    writeln!(out, "P@10        {:.4}", measures.p_10)?;
    writeln!(out, "Recall@100  {:.4}", measures.recall_100)?;
    Ok(())
}
