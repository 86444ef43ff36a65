//! Human-readable output: one block per hit with rank, score, date, title, path, section,
//! the highlighted snippet and the entities; then a one-line footer.

use std::io::Write;

use crate::facets::Facets;
use crate::model::{DuplicateRef, Hit, Keyword};
use crate::render::{ArticleGroup, Theme, group_by_article};
use crate::search::SearchResults;

/// What to print besides the hits.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Print every facet (entities, categories, months); otherwise only the most mentioned
    /// entities.
    pub facets: bool,
    /// The passages skipped (`--offset`), to say so when none is left.
    pub offset: usize,
    /// One block per article, its passages under it (`--group article`).
    pub by_article: bool,
}

/// Entities named in the closing lines of the text output.
const FOOTER_ENTITIES: usize = 8;

/// Writes the hits, the facets and the footer.
pub fn write_results<W: Write>(
    out: &mut W,
    results: &SearchResults,
    theme: &Theme,
    options: TextOptions,
) -> std::io::Result<()> {
    if options.by_article {
        for group in group_by_article(&results.hits) {
            write_article(out, &group, theme)?;
            writeln!(out)?;
        }
    } else {
        for hit in &results.hits {
            write_hit(out, hit, theme)?;
            writeln!(out)?;
        }
    }
    let shown = results.hits.len();
    let elapsed_ms = (results.search_time + results.fetch_time).as_secs_f64() * 1e3;
    let dim = theme.dim;
    if let Some(facets) = &results.facets {
        write_facets(out, facets, results.facet_sample, theme, options)?;
    }
    for notice in &results.notices {
        writeln!(out, "{dim}note: {notice}{dim:#}")?;
    }
    if let Some(corrected) = &results.did_you_mean {
        let words: Vec<String> = results
            .suggestions
            .iter()
            .map(|s| format!("{} -> {}", s.word, s.suggestion))
            .collect();
        writeln!(
            out,
            "did you mean: {}{corrected}{:#}?  {dim}({}){dim:#}",
            theme.highlight,
            theme.highlight,
            words.join(", ")
        )?;
    }
    if shown == 0 && options.offset > 0 {
        let matching = match results.total {
            Some(total) => format!("{total} match"),
            None => "some may match".to_string(),
        };
        return writeln!(
            out,
            "{dim}no passages past the first {} (--offset); {matching} ({elapsed_ms:.1} ms){dim:#}",
            options.offset
        );
    }
    if shown == 0 {
        return writeln!(out, "{dim}no passage matches ({elapsed_ms:.1} ms){dim:#}");
    }
    let first = results.hits[0].rank;
    let last = results.hits[shown - 1].rank;
    match (results.total, results.more) {
        (Some(total), _) => writeln!(
            out,
            "{dim}passages {first}-{last} of {total} matching ({elapsed_ms:.1} ms){dim:#}"
        ),
        (None, true) => writeln!(
            out,
            "{dim}passages {first}-{last}; more match (--count counts them) ({elapsed_ms:.1} ms){dim:#}"
        ),
        (None, false) => writeln!(
            out,
            "{dim}passages {first}-{last} ({elapsed_ms:.1} ms){dim:#}"
        ),
    }
}

fn write_facets<W: Write>(
    out: &mut W,
    facets: &Facets,
    sample: Option<usize>,
    theme: &Theme,
    options: TextOptions,
) -> std::io::Result<()> {
    let Theme {
        entity, dim, title, ..
    } = theme;
    let n_entities = if options.facets {
        facets.entities.len()
    } else {
        FOOTER_ENTITIES
    };
    if !facets.entities.is_empty() {
        let names: Vec<String> = facets
            .entities
            .iter()
            .take(n_entities)
            .map(|e| format!("{entity}{}{entity:#} {dim}{}{dim:#}", e.name, e.count))
            .collect();
        match sample {
            Some(n) => writeln!(
                out,
                "{title}most mentioned in the best {n} passages:{title:#} {}",
                names.join(", ")
            )?,
            None => writeln!(out, "{title}most mentioned:{title:#} {}", names.join(", "))?,
        }
    }
    if !options.facets {
        return Ok(());
    }
    let keywords = [
        (Keyword::Category, "categories"),
        (Keyword::Source, "sources"),
        (Keyword::Author, "authors"),
        (Keyword::Language, "languages"),
    ]
    .map(|(keyword, label)| (label, facets.keyword(keyword)));
    // The built-in keyword fields, then the declared ones, a line each when counted.
    let declared = facets
        .extra
        .iter()
        .map(|(name, counts)| (name.as_str(), counts.as_slice()));
    for (label, counts) in keywords.into_iter().chain(declared) {
        if counts.is_empty() {
            continue;
        }
        let values: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {dim}{}{dim:#}", printable(&c.value), c.count))
            .collect();
        writeln!(out, "{title}{label}:{title:#} {}", values.join(", "))?;
    }
    if !facets.months.is_empty() {
        writeln!(out, "{title}by month:{title:#}")?;
        let widest = facets
            .months
            .iter()
            .map(|m| m.count)
            .max()
            .unwrap_or(1)
            .max(1);
        for month in &facets.months {
            let bar_len = (month.count * 30).div_ceil(widest) as usize;
            writeln!(
                out,
                "  {} {} {}",
                month.value,
                "█".repeat(bar_len),
                month.count
            )?;
        }
    }
    Ok(())
}

/// Writes an explanation tree, one node a line, indented by depth.
fn write_explanation<W: Write>(
    out: &mut W,
    node: &serde_json::Value,
    depth: usize,
    theme: &Theme,
) -> std::io::Result<()> {
    let dim = theme.dim;
    let value = node["value"].as_f64().unwrap_or(0.0);
    let description = node["description"].as_str().unwrap_or("");
    writeln!(
        out,
        "     {}{dim}{value:.4}{dim:#} {description}",
        "  ".repeat(depth)
    )?;
    if let Some(details) = node["details"].as_array() {
        for child in details {
            write_explanation(out, child, depth + 1, theme)?;
        }
    }
    Ok(())
}

/// Text with its control characters escaped (`\n`, `\u{1b}`), everything else as it is.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn write_hit<W: Write>(out: &mut W, hit: &Hit, theme: &Theme) -> std::io::Result<()> {
    let Theme {
        path, section, dim, ..
    } = theme;
    write_title_line(out, hit.rank, hit, theme)?;
    // A control character in a file name (a newline) must not break the layout.
    write!(out, "     {path}{}{path:#}", printable(&hit.path))?;
    if let Some(heading) = &hit.section {
        write!(out, " {dim}›{dim:#} {section}{heading}{section:#}")?;
    }
    writeln!(out)?;
    write_byline_and_url(out, hit, theme)?;
    write!(out, "     ")?;
    write_highlighted(out, hit, theme)?;
    writeln!(out)?;
    write_entities(out, hit, "     ", theme)?;
    write_more_and_copies(out, hit, theme)?;
    if let Some(explanation) = &hit.explanation {
        write_explanation(out, explanation, 0, theme)?;
    }
    Ok(())
}

/// An article's block (`--group article`): its rank, story score, date and title, its path and
/// byline once, then each of its passages indented, with section, score and snippet.
fn write_article<W: Write>(
    out: &mut W,
    group: &ArticleGroup<'_>,
    theme: &Theme,
) -> std::io::Result<()> {
    let Theme {
        score,
        path,
        section,
        dim,
        ..
    } = theme;
    let best = group.best();
    write_title_line(out, group.rank, best, theme)?;
    writeln!(out, "     {path}{}{path:#}", printable(&best.path))?;
    write_byline_and_url(out, best, theme)?;
    for hit in &group.hits {
        let heading = hit.section.as_deref().unwrap_or("lead");
        writeln!(
            out,
            "       {dim}›{dim:#} {section}{heading}{section:#} {score}[{:.2}]{score:#}",
            hit.score
        )?;
        write!(out, "         ")?;
        write_highlighted(out, hit, theme)?;
        writeln!(out)?;
        write_entities(out, hit, "         ", theme)?;
        if let Some(explanation) = &hit.explanation {
            write_explanation(out, explanation, 2, theme)?;
        }
    }
    write_more_and_copies(out, best, theme)
}

/// `  1. [3.25] 2024-03-28  Title`: a rank, the hit's score (its article's, in the story view),
/// date and title.
fn write_title_line<W: Write>(
    out: &mut W,
    number: usize,
    hit: &Hit,
    theme: &Theme,
) -> std::io::Result<()> {
    let Theme {
        rank,
        score,
        date,
        title,
        ..
    } = theme;
    let date_text = hit.date.map_or_else(
        || "undated".to_string(),
        |d| d.format("%Y-%m-%d").to_string(),
    );
    writeln!(
        out,
        "{rank}{number:>3}.{rank:#} {score}[{:.2}]{score:#} {date}{date_text}{date:#}  {title}{}{title:#}",
        hit.story_score.unwrap_or(hit.score),
        hit.title
    )
}

/// The article's outlet and authors, its declared fields, then its address, a line each when
/// known.
fn write_byline_and_url<W: Write>(out: &mut W, hit: &Hit, theme: &Theme) -> std::io::Result<()> {
    let dim = theme.dim;
    if let Some(byline) = byline(hit) {
        writeln!(out, "     {byline}")?;
    }
    if !hit.extra.is_empty() {
        let plain = |value| printable(&super::json_text(value)).into_owned();
        let fields: Vec<String> = hit
            .extra
            .iter()
            .map(|(name, value)| format!("{dim}{name}:{dim:#} {}", plain(value)))
            .collect();
        writeln!(out, "     {}", fields.join(" · "))?;
    }
    if let Some(url) = &hit.url {
        writeln!(out, "     {dim}{url}{dim:#}")?;
    }
    Ok(())
}

/// The passage's entities on one line after `indent`, when it has any.
fn write_entities<W: Write>(
    out: &mut W,
    hit: &Hit,
    indent: &str,
    theme: &Theme,
) -> std::io::Result<()> {
    let Theme { entity, dim, .. } = theme;
    if hit.entities.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = hit
        .entities
        .iter()
        .map(|e| format!("{entity}{}{entity:#}{dim}({}){dim:#}", e.name, e.kind))
        .collect();
    writeln!(out, "{indent}{}", names.join(", "))
}

/// The passages of the article left out by `--per-article`, and the copies folded into it.
fn write_more_and_copies<W: Write>(out: &mut W, hit: &Hit, theme: &Theme) -> std::io::Result<()> {
    let dim = theme.dim;
    if hit.more_in_article > 0 {
        let plural = if hit.more_in_article == 1 { "" } else { "s" };
        writeln!(
            out,
            "     {dim}+{} more passage{plural} in this article{dim:#}",
            hit.more_in_article
        )?;
    }
    if !hit.duplicates.is_empty() {
        writeln!(out, "     {dim}{}{dim:#}", duplicates_line(&hit.duplicates))?;
    }
    Ok(())
}

/// `Reuters · by Jane Doe, John Roe`: the outlet and the authors of a hit's article, when
/// known.
pub fn byline(hit: &Hit) -> Option<String> {
    let authors = (!hit.authors.is_empty()).then(|| format!("by {}", hit.authors.join(", ")));
    let parts: Vec<String> = hit.source.iter().cloned().chain(authors).collect();
    (!parts.is_empty()).then(|| printable(&parts.join(" · ")).into_owned())
}

/// Paths named on a hit's line of folded copies; the rest are counted.
pub const DUPLICATE_PATHS_SHOWN: usize = 3;

/// `+2 copies: a.txt, b.txt` (at most `DUPLICATE_PATHS_SHOWN` paths, then `…`).
pub fn duplicates_line(duplicates: &[DuplicateRef]) -> String {
    let plural = if duplicates.len() == 1 { "y" } else { "ies" };
    let mut paths: Vec<&str> = duplicates
        .iter()
        .take(DUPLICATE_PATHS_SHOWN)
        .map(|copy| copy.article_id.as_str())
        .collect();
    if duplicates.len() > DUPLICATE_PATHS_SHOWN {
        paths.push("…");
    }
    format!("+{} cop{plural}: {}", duplicates.len(), paths.join(", "))
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
    #[test]
    fn control_characters_in_a_path_are_escaped_and_the_rest_kept() {
        assert_eq!(super::printable("a\nb/Vučić's.txt"), "a\\nb/Vučić's.txt");
        assert_eq!(super::printable("plain/path.txt"), "plain/path.txt");
    }

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
            url: None,
            source: Some("Reuters".into()),
            authors: vec!["Jane Doe".into(), "Ana Vučić".into()],
            language: None,
            section: Some("Exports".into()),
            ordinal: 0,
            passage: "Serbia sells shells.".into(),
            snippet: "Serbia sells shells.".into(),
            highlights: vec![0..6, 13..19],
            entities: vec![],
            extra: serde_json::Map::new(),
            more_in_article: 3,
            story_score: None,
            duplicates: Vec::new(),
            explanation: None,
        }
    }

    /// The text output of `results` with default options, without its styles.
    fn plain_text(results: &SearchResults) -> String {
        let mut out = Vec::new();
        write_results(&mut out, results, &Theme::default(), TextOptions::default()).unwrap();
        anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string()
    }

    #[test]
    fn a_suggestion_is_shown_before_the_footer() {
        let results = SearchResults {
            suggestions: vec![crate::search::suggest::Suggestion {
                word: "interst".into(),
                suggestion: "interest".into(),
            }],
            did_you_mean: Some("interest rates".into()),
            ..SearchResults::default()
        };
        let plain = plain_text(&results);
        assert!(
            plain.starts_with(
                "did you mean: interest rates?  (interst -> interest)\nno passage matches"
            ),
            "{plain}"
        );
    }

    #[test]
    fn plain_output_holds_every_part_of_a_hit() {
        let results = SearchResults {
            hits: vec![hit()],
            total: Some(7),
            more: true,
            facets: None,
            facet_sample: None,
            search_time: Duration::from_micros(300),
            fetch_time: Duration::from_micros(200),
            ..SearchResults::default()
        };
        let plain = plain_text(&results);
        assert!(plain.contains("  1. [3.25] undated  Shells"), "{plain}");
        assert!(plain.contains("defence/a.txt › Exports"));
        assert!(
            plain.contains("     Reuters · by Jane Doe, Ana Vučić\n"),
            "{plain}"
        );
        assert!(plain.contains("Serbia sells shells."));
        assert!(plain.contains("passages 1-1 of 7 matching (0.5 ms)"));
        assert!(plain.contains("+3 more passages in this article"));
    }

    #[test]
    fn grouped_output_is_one_block_per_article_with_its_passages_under_it() {
        let passage = |article: &str, rank: usize, heading: &str, snippet: &str| Hit {
            article_id: article.into(),
            path: format!("{article}.txt"),
            title: format!("Title {article}"),
            rank,
            score: 10.0 - rank as f32,
            section: Some(heading.into()),
            snippet: snippet.into(),
            highlights: vec![],
            more_in_article: usize::from(article == "b") * 3,
            story_score: None,
            ..hit()
        };
        let results = SearchResults {
            hits: vec![
                passage("b", 1, "Exports", "First of b."),
                passage("a", 2, "Prices", "Only of a."),
                passage("b", 3, "Imports", "Second of b."),
            ],
            ..SearchResults::default()
        };
        let mut out = Vec::new();
        let options = TextOptions {
            by_article: true,
            ..TextOptions::default()
        };
        write_results(&mut out, &results, &Theme::default(), options).unwrap();
        let plain = anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string();
        let expected = "  1. [9.00] undated  Title b\n     b.txt\n     Reuters · by Jane Doe, Ana Vučić\n       › Exports [9.00]\n         First of b.\n       › Imports [7.00]\n         Second of b.\n     +3 more passages in this article\n\n  2. [8.00] undated  Title a\n     a.txt\n     Reuters · by Jane Doe, Ana Vučić\n       › Prices [8.00]\n         Only of a.\n\npassages 1-3";
        assert!(plain.starts_with(expected), "{plain}");
        // The header of an article is written once.
        assert_eq!(plain.matches("Title b").count(), 1, "{plain}");
    }

    #[test]
    fn entity_counts_of_a_sample_say_so() {
        let facets = Facets {
            total: 100,
            entities: vec![crate::facets::EntityCount {
                name: "Serbia".into(),
                kind: crate::model::EntityKind::Place,
                count: 40,
            }],
            ..Facets::default()
        };
        let render = |facet_sample| {
            let results = SearchResults {
                hits: vec![hit()],
                total: None,
                more: true,
                facets: Some(facets.clone()),
                facet_sample,
                search_time: Duration::ZERO,
                fetch_time: Duration::ZERO,
                ..SearchResults::default()
            };
            plain_text(&results)
        };
        let sampled = render(Some(100));
        assert!(
            sampled.contains("most mentioned in the best 100 passages: Serbia 40"),
            "{sampled}"
        );
        assert!(sampled.contains("more match (--count counts them)"));
        assert!(render(None).contains("most mentioned: Serbia 40"));
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
