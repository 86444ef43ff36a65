//! `newsdex search`: resolves the index (building the default one on first use), runs the
//! query and writes text or JSON Lines.

use std::io::Write;

use anyhow::Context;

use crate::cli::SearchArgs;
use crate::cmd::Outcome;
use crate::config::{self, DEFAULT_CORPUS_DIR, IndexLocation};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, open_index};
use crate::ingest::WalkOptions;
use crate::render::{self, Theme};
use crate::search::{SearchRequest, Searcher};

/// Opens the index, building the default one from the default corpus when it does not exist.
pub fn open_or_build_default(location: &IndexLocation) -> anyhow::Result<Searcher> {
    open_or_build_default_with(location, EntityExtractor::builtin())
}

/// `open_or_build_default` with a given extractor (built-in plus a user's `--entities` file).
pub fn open_or_build_default_with(
    location: &IndexLocation,
    extractor: EntityExtractor,
) -> anyhow::Result<Searcher> {
    if location.is_default && !index::index_exists(location.path()) {
        let corpus = std::path::Path::new(DEFAULT_CORPUS_DIR);
        if corpus.is_dir() {
            eprintln!(
                "note: no index at `{}` yet; building it from `{}` first",
                location.path().display(),
                corpus.display()
            );
            crate::cmd::build::build_with(
                corpus,
                location.path(),
                index::DEFAULT_MEMORY_MB,
                WalkOptions::default(),
                true,
                &extractor,
            )?;
        }
    }
    let handle = open_index(location.path())?;
    Ok(Searcher::new(handle, extractor)?)
}

pub fn run(args: &SearchArgs, color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let searcher = open_or_build_default_with(&location, extractor)?;
    let filters = config::filters(
        args.since.as_deref(),
        args.until.as_deref(),
        &args.section,
        &args.entity,
        &args.category,
    )?;
    let mut request = SearchRequest::new(args.query.clone());
    request.limit = usize::try_from(args.limit).context("--limit is too large")?;
    request.offset = args.offset;
    request.filters = filters;
    let results = searcher.search(&request)?;

    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color);
    if args.json {
        render::json::write_hits(&mut out, &results.hits)?;
    } else {
        render::text::write_results(&mut out, &results, &Theme::default())?;
    }
    out.flush()?;
    Ok(if results.hits.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Success
    })
}
