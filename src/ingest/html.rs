//! HTML (`.html`, `.htm`) -> article parts: the title (`og:title`, `<title>` or the first
//! `<h1>`), the date and section from meta tags, and the headings, paragraphs and list items of
//! `<article>` (else `<main>`, else `<body>`). Scripts, styles, navigation, headers, footers,
//! asides, forms and figures are dropped. Pure; it does not fetch linked pages or run scripts.

use scraper::{ElementRef, Html, Node, Selector};

use crate::model::Section;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlParts {
    pub title: Option<String>,
    pub date: Option<String>,
    pub categories: Vec<String>,
    /// `og:site_name` (else `application-name`).
    pub source: Option<String>,
    /// `author` and `article:author` meta tags.
    pub authors: Vec<String>,
    /// `<html lang>`, else `og:locale` or `content-language`.
    pub language: Option<String>,
    pub lead: String,
    pub sections: Vec<Section>,
}

/// Meta tags (by `property`, `name` or `itemprop`) that carry the publication date, best first.
const DATE_META: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "publish_date",
    "publishdate",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "article:modified_time",
];

/// Meta tags that carry the section or desk.
const SECTION_META: &[&str] = &["article:section", "section", "category", "articlesection"];

/// Elements whose content is never article text.
const BOILERPLATE: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "figure", "button", "select", "svg", "iframe",
];

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("the selectors in this file are valid CSS")
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The content of the meta tags named `names`, in the order of `names`.
fn meta_values(document: &Html, names: &[&str]) -> Vec<String> {
    let metas: Vec<ElementRef> = document.select(&selector("meta")).collect();
    let mut values = Vec::new();
    for wanted in names {
        for meta in &metas {
            let key = ["property", "name", "itemprop"]
                .iter()
                .find_map(|attribute| meta.attr(attribute));
            if key.is_some_and(|key| key.eq_ignore_ascii_case(wanted))
                && let Some(content) = meta.attr("content")
            {
                let content = collapse_spaces(content);
                if !content.is_empty() && !values.contains(&content) {
                    values.push(content);
                }
            }
        }
    }
    values
}

/// Collects headings and text blocks in reading order, skipping boilerplate.
struct Collector {
    blocks: Vec<Block>,
}

enum Block {
    Heading(u8, String),
    Paragraph(String),
}

impl Collector {
    fn walk(&mut self, element: ElementRef) {
        let name = element.value().name();
        if BOILERPLATE.contains(&name) {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name.as_bytes()[1] - b'0';
                let text = collapse_spaces(&element.text().collect::<String>());
                if !text.is_empty() {
                    self.blocks.push(Block::Heading(level, text));
                }
            }
            "p" | "li" | "blockquote" | "pre" | "dd" | "td" => {
                let text = collapse_spaces(&visible_text(element));
                if !text.is_empty() {
                    self.blocks.push(Block::Paragraph(text));
                }
            }
            _ => {
                // Text sitting directly in a container (a `div` without `p`) is a paragraph.
                let mut loose = String::new();
                for child in element.children() {
                    match child.value() {
                        Node::Text(text) => loose.push_str(text),
                        Node::Element(_) => {
                            if let Some(child) = ElementRef::wrap(child) {
                                if is_inline(child.value().name()) {
                                    loose.push_str(&visible_text(child));
                                    continue;
                                }
                                self.flush(&mut loose);
                                self.walk(child);
                            }
                        }
                        _ => {}
                    }
                }
                self.flush(&mut loose);
            }
        }
    }

    fn flush(&mut self, loose: &mut String) {
        let text = collapse_spaces(loose);
        if !text.is_empty() {
            self.blocks.push(Block::Paragraph(text));
        }
        loose.clear();
    }
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "i"
            | "em"
            | "strong"
            | "span"
            | "small"
            | "sub"
            | "sup"
            | "abbr"
            | "cite"
            | "code"
            | "q"
            | "mark"
            | "time"
            | "u"
            | "s"
            | "br"
    )
}

/// The text of an element without the text of boilerplate inside it.
fn visible_text(element: ElementRef) -> String {
    let mut out = String::new();
    for child in element.children() {
        match child.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(inner) if !BOILERPLATE.contains(&inner.name()) => {
                if let Some(child) = ElementRef::wrap(child) {
                    out.push(' ');
                    out.push_str(&visible_text(child));
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
    out
}

/// Parses one HTML page.
pub fn parse_html(text: &str) -> HtmlParts {
    let document = Html::parse_document(text);
    let content_root = ["article", "main", "body"]
        .iter()
        .find_map(|css| document.select(&selector(css)).next());
    let mut collector = Collector { blocks: Vec::new() };
    if let Some(root) = content_root {
        collector.walk(root);
    }

    let meta_title = meta_values(&document, &["og:title", "twitter:title"])
        .into_iter()
        .next();
    let title_tag = document
        .select(&selector("title"))
        .next()
        .map(|title| collapse_spaces(&title.text().collect::<String>()))
        .filter(|title| !title.is_empty());
    let mut first_h1 = None;
    let mut parts = HtmlParts {
        date: meta_values(&document, DATE_META)
            .into_iter()
            .next()
            .or_else(|| {
                document
                    .select(&selector("time[datetime]"))
                    .next()
                    .and_then(|time| time.attr("datetime"))
                    .map(str::to_string)
            }),
        categories: meta_values(&document, SECTION_META),
        source: meta_values(&document, &["og:site_name", "application-name"])
            .into_iter()
            .next(),
        // `article:author` is often the author's page: an address is no name.
        authors: meta_values(&document, &["author", "article:author", "dc.creator"])
            .into_iter()
            .filter(|author| !author.contains("://"))
            .collect(),
        language: document
            .root_element()
            .attr("lang")
            .map(collapse_spaces)
            .filter(|lang| !lang.is_empty())
            .or_else(|| {
                meta_values(&document, &["og:locale", "content-language"])
                    .into_iter()
                    .next()
            }),
        ..HtmlParts::default()
    };
    for block in collector.blocks {
        match block {
            Block::Heading(1, text) if first_h1.is_none() && parts.lead.is_empty() => {
                first_h1 = Some(text);
            }
            Block::Heading(_, text) => parts.sections.push(Section {
                heading: Some(text),
                paragraphs: Vec::new(),
            }),
            Block::Paragraph(text) => {
                if parts.lead.is_empty() && parts.sections.is_empty() {
                    parts.lead = text;
                } else if let Some(section) = parts.sections.last_mut() {
                    section.paragraphs.push(text);
                } else {
                    parts.sections.push(Section {
                        heading: None,
                        paragraphs: vec![text],
                    });
                }
            }
        }
    }
    parts
        .sections
        .retain(|section| !section.paragraphs.is_empty());
    parts.title = meta_title.or(first_h1).or(title_tag);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html><head>
<title>Shells for Kyiv | The Daily</title>
<meta property="article:published_time" content="2024-03-28T09:00:00+01:00">
<meta property="article:section" content="Defence">
<script>var tracking = "Serbia";</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><article>
<h1>Shells for Kyiv</h1>
<p>Serbian ammunition <em>reaches</em> Ukraine.</p>
<aside><p>Read also: something else</p></aside>
<h2>Exports</h2>
<p>Exports rose.</p>
<div>Loose text in a div.</div>
<ul><li>An item</li></ul>
<figure><figcaption>A photo</figcaption></figure>
</article></main>
<footer><p>Copyright</p></footer>
</body></html>"#;

    #[test]
    fn reads_title_date_section_and_the_article_text() {
        let parts = parse_html(PAGE);
        assert_eq!(parts.title.as_deref(), Some("Shells for Kyiv"));
        assert_eq!(parts.date.as_deref(), Some("2024-03-28T09:00:00+01:00"));
        assert_eq!(parts.categories, ["Defence"]);
        assert_eq!(parts.lead, "Serbian ammunition reaches Ukraine.");
        assert_eq!(parts.sections.len(), 1);
        assert_eq!(parts.sections[0].heading.as_deref(), Some("Exports"));
        assert_eq!(
            parts.sections[0].paragraphs,
            ["Exports rose.", "Loose text in a div.", "An item"]
        );
    }

    #[test]
    fn outlet_authors_and_language_come_from_meta_tags_and_the_lang_attribute() {
        let parts = parse_html(
            "<html lang=\"en-GB\"><head><meta property=\"og:site_name\" content=\"The Balkan Desk\"><meta name=\"author\" content=\"Jane Doe\"><meta property=\"article:author\" content=\"https://example.org/jane\"><meta property=\"article:author\" content=\"Ana Vučić\"></head><body><p>One.</p></body></html>",
        );
        assert_eq!(parts.source.as_deref(), Some("The Balkan Desk"));
        // An author's page address is not a name.
        assert_eq!(parts.authors, ["Jane Doe", "Ana Vučić"]);
        assert_eq!(parts.language.as_deref(), Some("en-GB"));
    }

    #[test]
    fn boilerplate_never_reaches_the_text() {
        let parts = parse_html(PAGE);
        let all = format!("{parts:?}");
        for dropped in ["tracking", "Home", "Read also", "Copyright", "A photo"] {
            assert!(!all.contains(dropped), "{dropped} leaked: {all}");
        }
    }

    #[test]
    fn a_page_without_article_uses_the_body_and_the_title_tag() {
        let parts = parse_html(
            "<html><head><title>Plain</title><meta name=\"date\" content=\"28 Mar 2024\"></head><body><p>One.</p><p>Two.</p></body></html>",
        );
        assert_eq!(parts.title.as_deref(), Some("Plain"));
        assert_eq!(parts.date.as_deref(), Some("28 Mar 2024"));
        assert_eq!(parts.lead, "One.");
        assert_eq!(parts.sections[0].paragraphs, ["Two."]);
    }
}
