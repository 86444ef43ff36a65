//! Markdown (`.md`) -> article parts: optional YAML front matter (title, date, section or
//! category), `#` headings, and paragraphs and list items as paragraphs. Pure.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::model::Section;

/// Front matter fields newsdex reads; every key is kept in `all` for the declared fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub date: Option<String>,
    /// Every value of the first of `section`, `category`, `categories`, `topics` present.
    pub categories: Vec<String>,
    /// `source`, `outlet`, `publisher` or `site_name`.
    pub source: Option<String>,
    /// Every value of `author`, `authors` or `byline`.
    pub authors: Vec<String>,
    /// `language` or `lang`.
    pub language: Option<String>,
    /// `subtitle`, `standfirst` or `dek`: read as the first paragraph.
    pub subtitle: Option<String>,
    /// `url` or `link`.
    pub url: Option<String>,
    /// Every key, as JSON, for the declared fields (`[fields.extra]`).
    pub all: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownParts {
    pub front_matter: FrontMatter,
    /// The first level-one heading, used as title when the front matter has none.
    pub heading_title: Option<String>,
    pub lead: String,
    pub sections: Vec<Section>,
}

/// Splits `---\n yaml \n---\n body` into the YAML and the body.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let text = text.trim_start_matches('\u{feff}');
    let Some(rest) = text.strip_prefix("---") else {
        return (None, text);
    };
    let Some(rest) = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if matches!(line.trim_end(), "---" | "...") {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

fn yaml_scalar(value: &serde_yaml_ng::Value) -> Option<String> {
    match value {
        serde_yaml_ng::Value::String(text) => Some(text.trim().to_string()),
        serde_yaml_ng::Value::Number(number) => Some(number.to_string()),
        serde_yaml_ng::Value::Sequence(items) => {
            let parts: Vec<String> = items.iter().filter_map(yaml_scalar).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        _ => None,
    }
    .filter(|text| !text.is_empty())
}

/// The scalars of a value: one for a scalar, each item's for a sequence.
fn yaml_list(value: &serde_yaml_ng::Value) -> Vec<String> {
    match value {
        serde_yaml_ng::Value::Sequence(items) => items.iter().filter_map(yaml_scalar).collect(),
        other => yaml_scalar(other).into_iter().collect(),
    }
}

/// Reads the front matter fields; a front matter that is not a YAML mapping is an error.
fn parse_front_matter(yaml: &str) -> Result<FrontMatter, String> {
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(yaml).map_err(|error| format!("front matter: {error}"))?;
    let serde_yaml_ng::Value::Mapping(mapping) = value else {
        if value.is_null() {
            return Ok(FrontMatter::default());
        }
        return Err("front matter is not a mapping of keys to values".to_string());
    };
    let field = |names: &[&str]| {
        names.iter().find_map(|name| {
            mapping
                .get(serde_yaml_ng::Value::String((*name).to_string()))
                .and_then(yaml_scalar)
        })
    };
    // Every value of the first of `names` present.
    let list = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| mapping.get(serde_yaml_ng::Value::String((*name).to_string())))
            .map(yaml_list)
            .unwrap_or_default()
    };
    Ok(FrontMatter {
        title: field(&["title", "headline"]),
        date: field(&["date", "published", "publish_date", "pubDate"]),
        categories: list(&["section", "category", "categories", "topics"]),
        source: field(&["source", "outlet", "publisher", "site_name"]),
        authors: list(&["author", "authors", "byline"]),
        language: field(&["language", "lang"]),
        subtitle: field(&["subtitle", "standfirst", "dek"]),
        url: field(&["url", "link"]),
        all: mapping
            .iter()
            .filter_map(|(key, value)| {
                let key = key.as_str()?;
                let value = serde_json::to_value(value).ok()?;
                Some((key.to_string(), value))
            })
            .collect(),
    })
}

/// Parses a Markdown article. Returns an error only for front matter that is not YAML.
pub fn parse_markdown(text: &str) -> Result<MarkdownParts, String> {
    let (yaml, body) = split_front_matter(text);
    let front_matter = match yaml {
        Some(yaml) => parse_front_matter(yaml)?,
        None => FrontMatter::default(),
    };
    let mut heading_title = None;
    let mut lead = String::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut buffer = String::new();
    let mut in_block = false;
    let mut in_heading: Option<pulldown_cmark::HeadingLevel> = None;
    let mut skip_depth = 0usize;

    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) | Event::Start(Tag::HtmlBlock) => skip_depth += 1,
            Event::End(TagEnd::CodeBlock) | Event::End(TagEnd::HtmlBlock) => {
                skip_depth = skip_depth.saturating_sub(1)
            }
            _ if skip_depth > 0 => {}
            Event::Start(Tag::Heading { level, .. }) => {
                in_heading = Some(level);
                buffer.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                let heading = collapse_spaces(&buffer);
                buffer.clear();
                let level = in_heading.take();
                if heading.is_empty() {
                    continue;
                }
                if level == Some(pulldown_cmark::HeadingLevel::H1)
                    && heading_title.is_none()
                    && lead.is_empty()
                    && sections.is_empty()
                {
                    heading_title = Some(heading);
                } else {
                    sections.push(Section {
                        heading: Some(heading),
                        paragraphs: Vec::new(),
                    });
                }
            }
            Event::Start(Tag::Paragraph) | Event::Start(Tag::Item) => {
                if !in_block {
                    buffer.clear();
                }
                in_block = true;
            }
            Event::End(TagEnd::Paragraph) | Event::End(TagEnd::Item) => {
                let paragraph = collapse_spaces(&buffer);
                buffer.clear();
                in_block = false;
                if paragraph.is_empty() {
                    continue;
                }
                if lead.is_empty() && sections.is_empty() {
                    lead = paragraph;
                } else if let Some(section) = sections.last_mut() {
                    section.paragraphs.push(paragraph);
                } else {
                    sections.push(Section {
                        heading: None,
                        paragraphs: vec![paragraph],
                    });
                }
            }
            Event::Text(text) | Event::Code(text) => buffer.push_str(&text),
            Event::SoftBreak | Event::HardBreak => buffer.push(' '),
            _ => {}
        }
    }
    Ok(MarkdownParts {
        front_matter,
        heading_title,
        lead,
        sections,
    })
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_front_matter_headings_and_paragraphs() {
        let parts = parse_markdown(
            "---\ntitle: Shells for Kyiv\ndate: 2024-05-02\nsection: Analysis\n---\n\nThe *lead* paragraph\nwraps.\n\n## Supply\n\nFirst [linked](http://x) paragraph.\n\n- an item\n\n## Demand\n\nSecond.\n",
        )
        .unwrap();
        assert_eq!(parts.front_matter.title.as_deref(), Some("Shells for Kyiv"));
        assert_eq!(parts.front_matter.date.as_deref(), Some("2024-05-02"));
        assert_eq!(parts.front_matter.categories, ["Analysis"]);
        let listed = parse_markdown("---\ntopics: [energy, gas]\n---\nBody.").unwrap();
        assert_eq!(listed.front_matter.categories, ["energy", "gas"]);
        assert_eq!(parts.lead, "The lead paragraph wraps.");
        assert_eq!(parts.sections.len(), 2);
        assert_eq!(parts.sections[0].heading.as_deref(), Some("Supply"));
        assert_eq!(
            parts.sections[0].paragraphs,
            ["First linked paragraph.", "an item"]
        );
        assert_eq!(parts.sections[1].paragraphs, ["Second."]);
    }

    #[test]
    fn a_level_one_heading_is_the_title_and_code_is_skipped() {
        let parts =
            parse_markdown("# Big Title\n\nLead.\n\n```\nlet x = 1;\n```\n\nMore.").unwrap();
        assert_eq!(parts.heading_title.as_deref(), Some("Big Title"));
        assert_eq!(parts.lead, "Lead.");
        assert_eq!(parts.sections[0].paragraphs, ["More."]);
    }

    #[test]
    fn bad_front_matter_is_an_error() {
        assert!(parse_markdown("---\ntitle: [unclosed\n---\nBody").is_err());
        assert!(parse_markdown("---\n- a list\n---\nBody").is_err());
    }
}
