//! Human-readable output: one block per hit with rank, score, date, title, path, section,
//! the highlighted snippet and the entities; then a one-line footer.

use std::io::Write;

use crate::model::Hit;
use crate::render::Theme;
use crate::search::SearchResults;

/// Writes the hits and the footer.
pub fn write_results<W: Write>(
    out: &mut W,
    results: &SearchResults,
    theme: &Theme,
) -> std::io::Result<()> {
    for hit in &results.hits {
        write_hit(out, hit, theme)?;
        writeln!(out)?;
    }
    let shown = results.hits.len();
    let elapsed_ms = (results.search_time + results.fetch_time).as_secs_f64() * 1e3;
    let dim = theme.dim;
    if shown == 0 {
        writeln!(out, "{dim}no passage matches ({elapsed_ms:.1} ms){dim:#}")?;
    } else {
        let first = results.hits[0].rank;
        let last = results.hits[shown - 1].rank;
        writeln!(
            out,
            "{dim}passages {first}-{last} of {} matching ({elapsed_ms:.1} ms){dim:#}",
            results.total
        )?;
    }
    Ok(())
}

fn write_hit<W: Write>(out: &mut W, hit: &Hit, theme: &Theme) -> std::io::Result<()> {
    let Theme {
        rank,
        score,
        date,
        title,
        path,
        section,
        entity,
        dim,
        ..
    } = theme;
    let date_text = hit.date.map_or_else(
        || "undated".to_string(),
        |d| d.format("%Y-%m-%d").to_string(),
    );
    writeln!(
        out,
        "{rank}{:>3}.{rank:#} {score}[{:.2}]{score:#} {date}{date_text}{date:#}  {title}{}{title:#}",
        hit.rank, hit.score, hit.title
    )?;
    write!(out, "     {path}{}{path:#}", hit.path)?;
    if let Some(heading) = &hit.section {
        write!(out, " {dim}›{dim:#} {section}{heading}{section:#}")?;
    }
    writeln!(out)?;
    write!(out, "     ")?;
    write_highlighted(out, hit, theme)?;
    writeln!(out)?;
    if !hit.entities.is_empty() {
        let names: Vec<String> = hit
            .entities
            .iter()
            .map(|e| format!("{entity}{}{entity:#}{dim}({}){dim:#}", e.name, e.kind))
            .collect();
        writeln!(out, "     {}", names.join(", "))?;
    }
    Ok(())
}

fn write_highlighted<W: Write>(out: &mut W, hit: &Hit, theme: &Theme) -> std::io::Result<()> {
    let highlight = theme.highlight;
    let mut last = 0;
    for range in &hit.highlights {
        if range.start < last || range.end > hit.snippet.len() {
            continue;
        }
        write!(out, "{}", &hit.snippet[last..range.start])?;
        write!(
            out,
            "{highlight}{}{highlight:#}",
            &hit.snippet[range.clone()]
        )?;
        last = range.end;
    }
    write!(out, "{}", &hit.snippet[last..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn hit() -> Hit {
        Hit {
            rank: 1,
            score: 3.25,
            article_id: "a".into(),
            path: "defence/a.txt".into(),
            title: "Shells".into(),
            date: None,
            categories: vec![],
            section: Some("Exports".into()),
            ordinal: 0,
            passage: "Serbia sells shells.".into(),
            snippet: "Serbia sells shells.".into(),
            highlights: vec![0..6, 13..19],
            entities: vec![],
        }
    }

    #[test]
    fn plain_output_holds_every_part_of_a_hit() {
        let results = SearchResults {
            hits: vec![hit()],
            total: 7,
            search_time: Duration::from_micros(300),
            fetch_time: Duration::from_micros(200),
        };
        let mut out = Vec::new();
        write_results(&mut out, &results, &Theme::default()).unwrap();
        let plain = anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string();
        assert!(plain.contains("  1. [3.25] undated  Shells"), "{plain}");
        assert!(plain.contains("defence/a.txt › Exports"));
        assert!(plain.contains("Serbia sells shells."));
        assert!(plain.contains("passages 1-1 of 7 matching (0.5 ms)"));
    }

    #[test]
    fn highlights_are_styled() {
        let mut out = Vec::new();
        write_highlighted(&mut out, &hit(), &Theme::default()).unwrap();
        let styled = String::from_utf8(out).unwrap();
        let highlight = Theme::default().highlight;
        assert!(styled.starts_with(&format!("{highlight}Serbia{highlight:#}")));
        assert!(styled.ends_with(&format!("{highlight}shells{highlight:#}.")));
    }
}
