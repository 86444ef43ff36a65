//! `newsdex entities [QUERY]`: counts the entities of all matching passages (or of the whole
//! index) on either backend and writes the most mentioned as text or JSON Lines.

use std::io::Write;

use anyhow::Context;

use crate::cli::EntitiesArgs;
use crate::cmd::Outcome;
use crate::cmd::search::open_backend;
use crate::render::{self, Theme};

pub fn run(args: &EntitiesArgs, color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let settings = crate::config::backend_settings(&args.backend)?;
    let backend = open_backend(&settings, &args.index, args.entities.file.as_deref())?;
    let query = args
        .query
        .as_deref()
        .filter(|query| !query.trim().is_empty());
    let top = usize::try_from(args.top).context("--top is too large")?;
    let mut counts = match &args.like {
        // Every entity is counted, then those NAME may mean are kept.
        Some(_) => backend.entity_counts(query, args.kind, usize::MAX)?,
        None => backend.entity_counts(query, args.kind, top)?,
    };
    if let Some(like) = &args.like {
        counts
            .entities
            .retain(|count| crate::entity_names::is_like(like, &count.name));
        counts.entities.truncate(top);
    }
    if counts.labels_left_out && counts.entities.len() < top {
        eprintln!(
            "note: Quickwit returned only the most frequent entity labels; rarer entities are not listed"
        );
    }
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color);
    if args.json {
        render::entities::write_counts_json(&mut out, &counts.entities)?;
    } else {
        render::entities::write_counts_text(&mut out, &counts.entities, &Theme::default())?;
    }
    out.flush()?;
    Ok(if counts.entities.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Success
    })
}
