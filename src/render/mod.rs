//! Render stage: `Hit`s and reports -> text or JSON, written to a `W: Write` it is handed.
//! The only stage that formats results; colour is decided by the caller's stream.

pub mod entities;
pub mod json;
pub mod text;

use anstyle::{AnsiColor, Style};

use crate::model::Hit;

/// A declared field's JSON value (`model::ExtraData::to_json`) as text: a string as written,
/// a number or date as it stands, a list joined by `, `.
pub fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(items) => {
            items.iter().map(json_text).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// The hits of one article (`--group article`), in result order: the first is its best.
pub struct ArticleGroup<'a> {
    /// 1-based position among the articles shown.
    pub rank: usize,
    pub hits: Vec<&'a Hit>,
}

impl ArticleGroup<'_> {
    /// The hit whose article fields head the group, and whose score ranks it.
    pub fn best(&self) -> &Hit {
        self.hits[0]
    }
}

/// The hits grouped by article, each article where its first (best-placed) hit stands; the
/// passages of an article keep their order. `per_article` already limits them.
pub fn group_by_article(hits: &[Hit]) -> Vec<ArticleGroup<'_>> {
    let mut groups: Vec<ArticleGroup<'_>> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for hit in hits {
        let next = groups.len();
        let slot = *index.entry(hit.article_id.as_str()).or_insert(next);
        if slot == next {
            groups.push(ArticleGroup {
                rank: next + 1,
                hits: Vec::new(),
            });
        }
        groups[slot].hits.push(hit);
    }
    groups
}

/// The styles of the text output; a stream that does not take colour strips them.
pub struct Theme {
    pub rank: Style,
    pub score: Style,
    pub date: Style,
    pub title: Style,
    pub path: Style,
    pub section: Style,
    pub highlight: Style,
    pub entity: Style,
    pub dim: Style,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme {
            rank: Style::new().bold(),
            score: Style::new().dimmed(),
            date: AnsiColor::Green.on_default(),
            title: Style::new().bold(),
            path: AnsiColor::Magenta.on_default(),
            section: AnsiColor::Cyan.on_default(),
            highlight: AnsiColor::Red.on_default().bold(),
            entity: AnsiColor::Blue.on_default(),
            dim: Style::new().dimmed(),
        }
    }
}
