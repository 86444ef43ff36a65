//! Seed-format text (`.txt`) -> article parts. The format: ` date 2024-03-28 Lead paragraph...`,
//! paragraphs separated by blank lines, and headings as short lines without closing punctuation.
//! Pure: the caller reads the file and turns the parts into an `Article`.

use crate::model::Section;

/// What the seed parser finds in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedParts {
    /// The token after `date`, as written; `None` when the file does not open with a date.
    pub date_text: Option<String>,
    pub lead: String,
    pub sections: Vec<Section>,
}

/// Longest line, in words, that can still be a heading.
const MAX_HEADING_WORDS: usize = 14;
const MAX_HEADING_CHARS: usize = 120;

pub fn parse_seed(text: &str) -> SeedParts {
    let mut paragraphs = split_paragraphs(text).into_iter();
    let first = paragraphs.next().unwrap_or_default();
    let (date_text, lead) = split_date_line(&first);
    let mut sections = Vec::new();
    let mut current = Section {
        heading: None,
        paragraphs: Vec::new(),
    };
    let mut lead = lead;
    for paragraph in paragraphs {
        if is_heading(&paragraph) {
            if current.heading.is_some() || !current.paragraphs.is_empty() {
                sections.push(current);
            }
            current = Section {
                heading: Some(paragraph),
                paragraphs: Vec::new(),
            };
        } else if lead.is_empty() && current.heading.is_none() && current.paragraphs.is_empty() {
            // A date line with nothing after it: the next paragraph is the lead.
            lead = paragraph;
        } else {
            current.paragraphs.push(paragraph);
        }
    }
    if current.heading.is_some() || !current.paragraphs.is_empty() {
        sections.push(current);
    }
    SeedParts {
        date_text,
        lead,
        sections,
    }
}

/// Splits text into paragraphs at blank lines, joining the lines of one paragraph with a space.
pub fn split_paragraphs(text: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// Splits `date 2024-03-28 Lead text` into the date token and the lead.
fn split_date_line(paragraph: &str) -> (Option<String>, String) {
    let trimmed = paragraph.trim_start_matches('\u{feff}').trim_start();
    let Some(rest) = trimmed.strip_prefix("date") else {
        return (None, trimmed.to_string());
    };
    if !rest.starts_with(char::is_whitespace) {
        return (None, trimmed.to_string());
    }
    let rest = rest.trim_start();
    let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (token, lead) = rest.split_at(token_end);
    (Some(token.to_string()), lead.trim().to_string())
}

/// A heading is one short line that does not end like a sentence.
pub fn is_heading(paragraph: &str) -> bool {
    // A character is at most 4 bytes: a longer paragraph is no heading, and is not counted.
    if paragraph.len() > 4 * MAX_HEADING_CHARS || paragraph.chars().count() > MAX_HEADING_CHARS {
        return false;
    }
    let Some(last) = paragraph.chars().last() else {
        return false;
    };
    let first_is_capital = paragraph
        .chars()
        .next()
        .is_some_and(|first| first.is_uppercase() || first.is_ascii_digit());
    first_is_capital
        && !matches!(
            last,
            '.' | '!' | '?' | ':' | ';' | ',' | '"' | '\'' | '\u{201d}' | '\u{2019}' | ')' | '…'
        )
        && (1..=MAX_HEADING_WORDS).contains(&paragraph.split_whitespace().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like the seed: a date line with the lead, three headings and their paragraphs.
    const SEED_LIKE: &str = " date 2023-11-02 In October, the Ruritanian defence ministry announced a new shell plant near Strelsau. The move drew attention from neighbours.

Where the Factory Will Stand

The plant will be built on the site of an older works.

It is expected to employ about 900 people.

Who Pays for It

Funding comes from a mix of national and European Union loans.

What Comes Next

Production is due to start in 2025, officials said.

Analysts doubt the timetable.";

    #[test]
    fn parses_date_lead_and_sections() {
        let parts = parse_seed(SEED_LIKE);
        assert_eq!(parts.date_text.as_deref(), Some("2023-11-02"));
        assert!(parts.lead.starts_with("In October, the Ruritanian"));
        assert!(
            parts
                .lead
                .ends_with("The move drew attention from neighbours.")
        );
        let headings: Vec<_> = parts
            .sections
            .iter()
            .map(|section| section.heading.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            headings,
            [
                "Where the Factory Will Stand",
                "Who Pays for It",
                "What Comes Next"
            ]
        );
        let paragraph_counts: Vec<_> = parts.sections.iter().map(|s| s.paragraphs.len()).collect();
        assert_eq!(paragraph_counts, [2, 1, 2]);
        assert_eq!(
            parts.sections[2].paragraphs[1],
            "Analysts doubt the timetable."
        );
    }

    #[test]
    fn a_file_without_date_line_keeps_its_first_paragraph_as_lead() {
        let parts = parse_seed("Just a lead paragraph.\n\nAnd a second one.");
        assert_eq!(parts.date_text, None);
        assert_eq!(parts.lead, "Just a lead paragraph.");
        assert_eq!(parts.sections.len(), 1);
        assert_eq!(parts.sections[0].heading, None);
    }

    #[test]
    fn a_malformed_date_is_returned_as_written() {
        let parts = parse_seed(" date 2023-99-99 Lead here.");
        assert_eq!(parts.date_text.as_deref(), Some("2023-99-99"));
        assert_eq!(parts.lead, "Lead here.");
    }

    #[test]
    fn lines_of_one_paragraph_are_joined() {
        assert_eq!(
            split_paragraphs("one\ntwo\n\n\n  three  \n"),
            ["one two", "three"]
        );
    }

    #[test]
    fn headings_are_short_lines_without_closing_punctuation() {
        assert!(is_heading("Political Dynamics and Serbia's Stance"));
        assert!(is_heading("EU's Role and Broader Implications"));
        assert!(!is_heading("This sentence ends with a full stop."));
        assert!(!is_heading("lower case start"));
        assert!(!is_heading(
            "A very long line that goes on and on with many words and so cannot be a heading at all here"
        ));
    }
}
