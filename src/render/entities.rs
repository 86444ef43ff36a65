//! Entity output: entity counts (`newsdex entities`) and article inspections (`newsdex
//! inspect`) -> text or JSON, written to the `W: Write` it is handed. It computes nothing.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::entity_stats::EntityCount;
use crate::model::{Article, Entity, EntityKind, Passage};
use crate::render::Theme;

/// Text: one entity a line, count first, aligned.
pub fn write_counts_text<W: Write>(
    out: &mut W,
    counts: &[EntityCount],
    theme: &Theme,
) -> std::io::Result<()> {
    let Theme { entity, dim, .. } = theme;
    let width = counts
        .iter()
        .map(|count| count.passages.to_string().len())
        .max()
        .unwrap_or(1);
    for count in counts {
        writeln!(
            out,
            "{:>width$}  {entity}{}{entity:#} {dim}({}){dim:#}",
            count.passages, count.name, count.kind
        )?;
    }
    if counts.is_empty() {
        writeln!(out, "{dim}no entity found{dim:#}")?;
    }
    Ok(())
}

/// One entity of `entities --json`, named as in the API's entity list (`/api/entities`):
/// `count` is the number of passages that mention it.
#[derive(Debug, Serialize)]
struct CountLine<'a> {
    name: &'a str,
    kind: EntityKind,
    count: u64,
}

/// JSON Lines: `{"name": ..., "kind": ..., "count": N}` a line, the objects of the API's list.
pub fn write_counts_json<W: Write>(out: &mut W, counts: &[EntityCount]) -> std::io::Result<()> {
    for count in counts {
        let line = CountLine {
            name: &count.name,
            kind: count.kind,
            count: count.passages,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// How newsdex reads one article: the view `inspect` prints.
#[derive(Debug, Serialize)]
pub struct ArticleView<'a> {
    pub id: &'a str,
    pub path: String,
    pub title: &'a str,
    pub date: Option<DateTime<Utc>>,
    pub categories: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub authors: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    pub given_entities: &'a [Entity],
    /// The declared fields' values (`[fields.extra]`, `--extra`), by name, as hits show them.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub warnings: &'a [String],
    pub passages: Vec<PassageView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct PassageView<'a> {
    pub ordinal: u32,
    pub section: Option<&'a str>,
    pub text: &'a str,
    pub entities: &'a [Entity],
}

impl<'a> ArticleView<'a> {
    pub fn new(article: &'a Article, passages: &'a [Passage]) -> ArticleView<'a> {
        ArticleView {
            id: &article.id,
            path: article.path.to_string_lossy().into_owned(),
            title: &article.title,
            date: article.date,
            categories: &article.categories,
            source: article.source.as_deref(),
            authors: &article.authors,
            language: article.language.as_deref(),
            url: article.url.as_deref(),
            given_entities: &article.given_entities,
            extra: crate::model::extras_json(&article.extras),
            warnings: &article.warnings,
            passages: passages
                .iter()
                .map(|passage| PassageView {
                    ordinal: passage.ordinal,
                    section: passage.section.as_deref(),
                    text: &passage.text,
                    entities: &passage.entities,
                })
                .collect(),
        }
    }
}

/// JSON: one object per article, a line.
pub fn write_article_json<W: Write>(out: &mut W, view: &ArticleView<'_>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, view)?;
    out.write_all(b"\n")
}

/// Text: the fields, then each passage with its section and entities.
pub fn write_article_text<W: Write>(
    out: &mut W,
    view: &ArticleView<'_>,
    theme: &Theme,
) -> std::io::Result<()> {
    let Theme {
        title,
        path,
        date,
        section,
        entity,
        dim,
        ..
    } = theme;
    writeln!(out, "{title}{}{title:#}", view.title)?;
    writeln!(out, "  id:       {}", view.id)?;
    writeln!(out, "  path:     {path}{}{path:#}", view.path)?;
    let date_text = view
        .date
        .map_or_else(|| "undated".to_string(), |d| d.to_rfc3339());
    writeln!(out, "  date:     {date}{date_text}{date:#}")?;
    let categories = if view.categories.is_empty() {
        "-".to_string()
    } else {
        view.categories.join(", ")
    };
    writeln!(out, "  categories: {categories}")?;
    let fields = [
        ("source:  ", view.source.map(str::to_string)),
        (
            "authors: ",
            (!view.authors.is_empty()).then(|| view.authors.join(", ")),
        ),
        ("language:", view.language.map(str::to_string)),
        ("url:     ", view.url.map(str::to_string)),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            writeln!(out, "  {label} {value}")?;
        }
    }
    if !view.given_entities.is_empty() {
        writeln!(
            out,
            "  labels:   {}",
            entity_list(view.given_entities, theme)
        )?;
    }
    for (name, value) in &view.extra {
        writeln!(
            out,
            "  {:<9} {}",
            format!("{name}:"),
            super::json_text(value)
        )?;
    }
    for warning in view.warnings {
        writeln!(out, "  warning:  {warning}")?;
    }
    writeln!(out, "  passages: {}", view.passages.len())?;
    for passage in &view.passages {
        writeln!(out)?;
        let heading = passage.section.unwrap_or(if passage.ordinal == 0 {
            "(lead)"
        } else {
            "(no heading)"
        });
        writeln!(
            out,
            "  {dim}#{}{dim:#} {section}{heading}{section:#}",
            passage.ordinal
        )?;
        writeln!(out, "    {}", passage.text)?;
        if passage.entities.is_empty() {
            writeln!(out, "    {dim}entities: none{dim:#}")?;
        } else {
            writeln!(
                out,
                "    {dim}entities:{dim:#} {}",
                entity_list(passage.entities, theme)
            )?;
        }
    }
    let _ = entity;
    Ok(())
}

fn entity_list(entities: &[Entity], theme: &Theme) -> String {
    let Theme { entity, dim, .. } = theme;
    entities
        .iter()
        .map(|e| format!("{entity}{}{entity:#} {dim}({}){dim:#}", e.name, e.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_counts_in_json_are_the_objects_of_the_api_list() {
        let counts = [EntityCount {
            name: "Serbia".into(),
            kind: EntityKind::Place,
            passages: 3,
        }];
        let mut out = Vec::new();
        write_counts_json(&mut out, &counts).unwrap();
        let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
        // `/api/entities` lists `facets::EntityCount`s: the same object for the same count.
        let api = serde_json::to_value(crate::facets::EntityCount {
            name: "Serbia".into(),
            kind: EntityKind::Place,
            count: 3,
        })
        .unwrap();
        assert_eq!(line, api);
        assert_eq!(line["count"], 3);
    }
}
