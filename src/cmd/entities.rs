//! `newsdex entities [QUERY]`: counts the entities of all matching passages (or of the whole
//! index) and writes the most mentioned as text or JSON Lines.

use std::io::Write;

use anyhow::Context;

use crate::cli::EntitiesArgs;
use crate::cmd::Outcome;
use crate::cmd::search::open_or_build_default_with;
use crate::config::IndexLocation;
use crate::entity_stats::top_entities;
use crate::extract::entities::EntityExtractor;
use crate::render::{self, Theme};

pub fn run(args: &EntitiesArgs, color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let searcher = open_or_build_default_with(&location, extractor)?;
    let query = match args
        .query
        .as_deref()
        .filter(|query| !query.trim().is_empty())
    {
        Some(query) => Some(searcher.parse_query(query)?),
        None => None,
    };
    let top = usize::try_from(args.top).context("--top is too large")?;
    let counts = top_entities(
        &searcher.tantivy_searcher(),
        &searcher.handle().fields,
        query.as_deref(),
        args.kind,
        top,
    )?;
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color);
    if args.json {
        render::entities::write_counts_json(&mut out, &counts)?;
    } else {
        render::entities::write_counts_text(&mut out, &counts, &Theme::default())?;
    }
    out.flush()?;
    Ok(if counts.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Success
    })
}
