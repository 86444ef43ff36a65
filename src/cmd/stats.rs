//! `newsdex index stats`: opens the index, gathers `IndexStats` and writes them as text or as
//! one JSON object to stdout. It never changes the index.

use std::io::Write;

use crate::cli::StatsArgs;
use crate::cmd::Outcome;
use crate::config::IndexLocation;
use crate::index::open_index;
use crate::render;
use crate::stats::{IndexStats, index_stats};

pub fn run(args: &StatsArgs) -> anyhow::Result<Outcome> {
    let location = IndexLocation::from_args(&args.index);
    let handle = open_index(location.path())?;
    let stats = index_stats(&handle, args.top)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &stats).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &stats)?;
    }
    Ok(Outcome::Success)
}

fn date(value: Option<chrono::DateTime<chrono::Utc>>) -> String {
    value.map_or_else(
        || "-".to_string(),
        |date| date.format("%Y-%m-%d").to_string(),
    )
}

/// The statistics as aligned `label: value` lines.
pub fn write_text<W: Write>(out: &mut W, stats: &IndexStats) -> std::io::Result<()> {
    writeln!(out, "index:       {}", stats.path)?;
    writeln!(
        out,
        "version:     schema {}, written by newsdex {}",
        stats.schema_version,
        stats.newsdex_version.as_deref().unwrap_or("(unknown)")
    )?;
    if let Some(corpus) = &stats.corpus {
        writeln!(out, "corpus:      {corpus} ({} files)", stats.files)?;
    }
    writeln!(out, "articles:    {}", stats.articles)?;
    writeln!(out, "passages:    {}", stats.passages)?;
    writeln!(
        out,
        "duplicates:  {} articles are near-copies of another",
        stats.duplicate_articles
    )?;
    writeln!(
        out,
        "dates:       {} to {} ({} undated articles)",
        date(stats.first_date),
        date(stats.last_date),
        stats.undated_articles
    )?;
    // As many categories as entities and sections (`--top`), and how many more there are.
    let shown = stats
        .top_entities
        .len()
        .max(stats.top_sections.len())
        .max(1);
    let mut categories: Vec<String> = stats
        .categories
        .iter()
        .take(shown)
        .map(|category| format!("{} {}", category.value, category.count))
        .collect();
    if stats.categories.len() > shown {
        categories.push(format!("and {} more", stats.categories.len() - shown));
    }
    writeln!(out, "categories:  {}", categories.join(", "))?;
    for field in &stats.fields {
        if field.values == 0 {
            continue;
        }
        let mut values: Vec<String> = field
            .top
            .iter()
            .map(|value| format!("{} {}", value.value, value.count))
            .collect();
        if field.values > field.top.len() {
            values.push(format!("and {} more", field.values - field.top.len()));
        }
        let label = format!("{}:", field.field.as_str());
        writeln!(out, "{label:<12} {}", values.join(", "))?;
    }
    for extra in &stats.extras {
        let mut values: Vec<String> = extra
            .top
            .iter()
            .map(|value| format!("{} {}", value.value, value.count))
            .collect();
        if let Some(distinct) = extra.values
            && distinct > extra.top.len()
        {
            values.push(format!("and {} more", distinct - extra.top.len()));
        }
        if let (Some(min), Some(max)) = (&extra.min, &extra.max) {
            let (min, max) = (render::json_text(min), render::json_text(max));
            values.push(format!("{min} to {max}"));
        }
        if extra.kind == crate::model::ExtraType::Text {
            values.push("searched with the text's words".to_string());
        }
        let label = format!("{} ({}):", extra.name, extra.kind);
        writeln!(out, "{label:<12} {}", values.join(", "))?;
    }
    let sections: Vec<String> = stats
        .top_sections
        .iter()
        .map(|section| format!("{} ({})", section.value, section.count))
        .collect();
    writeln!(
        out,
        "sections:    {} distinct; most passages: {}",
        stats.n_sections,
        sections.join(", ")
    )?;
    let entities: Vec<String> = stats
        .top_entities
        .iter()
        .map(|entity| format!("{} ({})", entity.name, entity.count))
        .collect();
    writeln!(out, "entities:    {}", entities.join(", "))?;
    let deleted: u32 = stats.segments.iter().map(|segment| segment.deleted).sum();
    writeln!(
        out,
        "segments:    {} ({} deleted passages awaiting merge)",
        stats.segments.len(),
        deleted
    )?;
    writeln!(
        out,
        "size:        {:.2} MB on disk",
        stats.size_bytes as f64 / 1e6
    )?;
    Ok(())
}
