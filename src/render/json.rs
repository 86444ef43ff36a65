//! JSON Lines output: one object per hit, the format scripts read. Field names are part of the
//! public interface and documented in the README.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::facets::Facets;
use crate::model::{EntityCandidate, Hit};
use crate::render::group_by_article;
use crate::search::suggest::Suggestion;

/// Writes each hit as one line of JSON.
pub fn write_hits<W: Write>(out: &mut W, hits: &[Hit]) -> std::io::Result<()> {
    for hit in hits {
        serde_json::to_writer(&mut *out, hit)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// One line of `--group article --json`: an article's fields once, its best passage's score,
/// and its passages as `write_hits` writes them.
#[derive(Serialize)]
struct ArticleLine<'a> {
    rank: usize,
    article_id: &'a str,
    path: &'a str,
    title: &'a str,
    date: Option<DateTime<Utc>>,
    categories: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    authors: &'a [String],
    score: f32,
    more_in_article: usize,
    /// The score the article ranks by, in the story view.
    #[serde(skip_serializing_if = "Option::is_none")]
    story_score: Option<f32>,
    passages: &'a [&'a Hit],
}

/// Writes one line of JSON per article (`--group article`), best article first.
pub fn write_articles<W: Write>(out: &mut W, hits: &[Hit]) -> std::io::Result<()> {
    for group in group_by_article(hits) {
        let best = group.best();
        let line = ArticleLine {
            rank: group.rank,
            article_id: &best.article_id,
            path: &best.path,
            title: &best.title,
            date: best.date,
            categories: &best.categories,
            source: best.source.as_deref(),
            authors: &best.authors,
            score: best.score,
            more_in_article: best.more_in_article,
            story_score: best.story_score,
            passages: &group.hits,
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The closing line of `--facets --json`: `{"total": N, "facets": {...}}`.
pub fn write_facets<W: Write>(out: &mut W, facets: &Facets) -> std::io::Result<()> {
    let line = serde_json::json!({ "total": facets.total, "facets": facets });
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// The closing line of `--count --json`: `{"total": N}`, the passages that match in all.
pub fn write_total<W: Write>(out: &mut W, total: u64) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &serde_json::json!({ "total": total }))?;
    out.write_all(b"\n")
}

/// The closing line when some query words are rare: `{"did_you_mean": "interest rates",
/// "suggestions": [{"word": "interst", "suggestion": "interest"}]}`.
pub fn write_suggestions<W: Write>(
    out: &mut W,
    did_you_mean: &str,
    suggestions: &[Suggestion],
) -> std::io::Result<()> {
    let line = serde_json::json!({ "did_you_mean": did_you_mean, "suggestions": suggestions });
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// The closing line when the query was run otherwise than written: `{"notices": ["`p*`
/// matches 901 index words; the 64 most frequent are searched"]}`.
pub fn write_notices<W: Write>(out: &mut W, notices: &[String]) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &serde_json::json!({ "notices": notices }))?;
    out.write_all(b"\n")
}

/// An error for scripts, one line: `{"error": message, "candidates": [...]}` (the entities
/// an ambiguous or unknown entity name could mean).
pub fn write_error<W: Write>(
    out: &mut W,
    message: &str,
    candidates: &[EntityCandidate],
) -> std::io::Result<()> {
    let line = serde_json::json!({ "error": message, "candidates": candidates });
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Entity, EntityKind};
    use chrono::{TimeZone, Utc};

    fn hit() -> Hit {
        Hit {
            rank: 1,
            score: 2.5,
            article_id: "a.txt".into(),
            path: "a.txt".into(),
            title: "T".into(),
            date: Some(Utc.with_ymd_and_hms(2024, 3, 28, 0, 0, 0).unwrap()),
            categories: vec![],
            url: None,
            source: Some("Reuters".into()),
            authors: vec!["Jane Doe".into()],
            language: None,
            section: Some("S".into()),
            ordinal: 3,
            passage: "Serbia \"quoted\"\nline".into(),
            snippet: "Serbia \"quoted\"".into(),
            highlights: vec![0..6, 8..14],
            entities: vec![Entity {
                name: "Serbia".into(),
                kind: EntityKind::Place,
            }],
            extra: serde_json::Map::new(),
            more_in_article: 0,
            story_score: None,
            duplicates: Vec::new(),
            explanation: None,
        }
    }

    #[test]
    fn hits_are_one_object_per_line_with_the_documented_fields() {
        let hit = hit();
        let mut out = Vec::new();
        write_hits(&mut out, &[hit.clone(), hit]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let value: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(value["date"], "2024-03-28T00:00:00Z");
        assert_eq!(value["passage"], "Serbia \"quoted\"\nline");
        assert_eq!(value["entities"][0]["kind"], "place");
        assert_eq!(value["highlights"][0]["start"], 0);
        assert_eq!(value["categories"], serde_json::json!([]));
        assert_eq!(value["source"], "Reuters");
        assert_eq!(value["authors"], serde_json::json!(["Jane Doe"]));
        // Unknown metadata is left out rather than written as null.
        assert!(value.get("language").is_none());
        assert!(value.get("explanation").is_none());
    }

    #[test]
    fn grouped_hits_are_one_object_per_article_best_first() {
        let of = |article: &str, rank: usize, score: f32| Hit {
            article_id: article.into(),
            path: format!("{article}.txt"),
            title: article.to_uppercase(),
            rank,
            score,
            more_in_article: usize::from(article == "b") * 4,
            story_score: None,
            ..hit()
        };
        let hits = [of("b", 1, 9.0), of("a", 2, 8.0), of("b", 3, 7.0)];
        let mut out = Vec::new();
        write_articles(&mut out, &hits).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["rank"], 1);
        assert_eq!(lines[0]["article_id"], "b");
        assert_eq!(lines[0]["title"], "B");
        assert_eq!(lines[0]["path"], "b.txt");
        assert_eq!(lines[0]["score"], 9.0);
        assert_eq!(lines[0]["more_in_article"], 4);
        assert_eq!(lines[0]["source"], "Reuters");
        assert_eq!(lines[0]["authors"], serde_json::json!(["Jane Doe"]));
        assert_eq!(lines[0]["date"], "2024-03-28T00:00:00Z");
        let ranks: Vec<&serde_json::Value> = lines[0]["passages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|passage| &passage["rank"])
            .collect();
        assert_eq!(ranks, [1, 3]);
        // Each passage is the object `write_hits` writes.
        assert_eq!(
            lines[0]["passages"][1]["passage"],
            "Serbia \"quoted\"\nline"
        );
        assert_eq!(lines[1]["article_id"], "a");
        assert_eq!(lines[1]["rank"], 2);
        assert_eq!(lines[1]["passages"].as_array().unwrap().len(), 1);
    }
}
