//! Record stage: one structured record (a JSON object, or a CSV row made into one) + the field
//! mapping -> `Article`. Chooses title, date, body paragraphs, categories and given entity
//! labels. Pure: it never reads files, and never splits passages or extracts entities.

use serde_json::{Map, Value};

use crate::error::IngestError;
use crate::extract::date::{is_storable, parse_date, unstorable_warning};
use crate::ingest::body::{longest_text_field, unmapped_text_fields};
use crate::ingest::mapping::{FieldMap, Role, same_field_name};
use crate::ingest::seed::split_paragraphs;
use crate::ingest::{CorpusFile, folder_category, source_or_host, title_from_lead};
use crate::model::{Article, Entity, ExtraData, ExtraType, ExtraValue, Section};

/// Where a record sits in its file, for ids and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPlace {
    /// 1-based line where the record starts (JSON Lines, CSV, a JSON file).
    pub line: Option<usize>,
    /// The `N` of `path#N` when the record has no id: the line, or the 1-based array position.
    /// `None` for the only record of a file, whose id is the path itself.
    pub number: Option<usize>,
}

/// How the values of a record are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    /// JSON: lists are arrays.
    Json,
    /// CSV: every cell is text, and a multi-valued cell separates its values with `;` or `|`.
    Delimited,
}

/// Looks a field up by name, then as a dotted path into nested objects (`author.name`). Names
/// match whatever their case and `_`, `-` or spaces (`Publish_Date` is `publish date`).
pub fn lookup<'a>(record: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if let Some(value) = field(record, name) {
        return Some(value);
    }
    // A name without a dot was just looked up whole.
    let (first, rest) = name.split_once('.')?;
    let mut current = field(record, first)?;
    for part in rest.split('.') {
        current = field(current.as_object()?, part)?;
    }
    Some(current)
}

/// A field of an object by its exact name, else by its name folded (`same_field_name`).
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| same_field_name(key, name))
            .map(|(_, value)| value)
    })
}

/// The scalar texts a value holds: a string, a number, or the scalars of an array (objects in
/// an array give their `name`, `label` or `value`).
fn texts(value: &Value, style: ValueStyle, split_lists: bool) -> Vec<String> {
    let mut out = Vec::new();
    collect_texts(value, style, split_lists, &mut out);
    out.retain(|text| !text.is_empty());
    out
}

fn collect_texts(value: &Value, style: ValueStyle, split_lists: bool, out: &mut Vec<String>) {
    match value {
        Value::String(text) if split_lists && style == ValueStyle::Delimited => {
            out.extend(text.split([';', '|']).map(|part| part.trim().to_string()));
        }
        Value::String(text) => out.push(text.trim().to_string()),
        Value::Number(number) => out.push(number.to_string()),
        Value::Bool(flag) => out.push(flag.to_string()),
        Value::Array(items) => {
            for item in items {
                collect_texts(item, style, split_lists, out);
            }
        }
        Value::Object(object) => {
            if let Some(inner) = ["name", "label", "value"]
                .iter()
                .find_map(|key| object.get(*key))
            {
                collect_texts(inner, style, split_lists, out);
            }
        }
        Value::Null => {}
    }
}

/// The first non-empty value among the fields mapped to a single-valued role.
fn first_value<'a>(
    record: &'a Map<String, Value>,
    map: &FieldMap,
    role: Role,
) -> Option<&'a Value> {
    map.names(role)
        .iter()
        .filter_map(|name| lookup(record, name))
        .find(|value| !is_empty(value))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.iter().all(is_empty),
        _ => false,
    }
}

/// Every value of every field mapped to a multi-valued role, without repeats.
fn all_values(
    record: &Map<String, Value>,
    map: &FieldMap,
    role: Role,
    style: ValueStyle,
) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for name in map.names(role) {
        if let Some(value) = lookup(record, name) {
            for text in texts(value, style, true) {
                if !values.contains(&text) {
                    values.push(text);
                }
            }
        }
    }
    values
}

/// Turns a source's entity label into a name: Reuters writes `west-germany` and `hisham-nazer`;
/// labels written in lower case with dashes become `West Germany` and `Hisham Nazer`. Labels
/// with capitals are kept as written.
pub fn label_to_name(label: &str) -> String {
    let label = label.trim();
    if label.chars().any(char::is_uppercase) {
        return label.to_string();
    }
    label
        .split(['-', '_', ' '])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a date value: text in any form `parse_date` knows, or a number of Unix seconds (or
/// milliseconds, when it is too large to be seconds).
fn date_of(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match value {
        Value::Number(number) => {
            let seconds = number.as_f64()?;
            // 1e11 seconds is the year 5138: larger numbers are milliseconds.
            let seconds = if seconds.abs() >= 1e11 {
                seconds / 1000.0
            } else {
                seconds
            };
            chrono::DateTime::from_timestamp(seconds.floor() as i64, 0)
        }
        Value::String(text) => parse_date(text),
        _ => None,
    }
}

/// The body's paragraphs: an array gives one paragraph per item, text is split at blank lines.
fn paragraphs_of(value: Option<&Value>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .flat_map(|item| texts(item, ValueStyle::Json, false))
            .flat_map(|text| split_paragraphs(&text))
            .collect(),
        Some(value) => texts(value, ValueStyle::Json, false)
            .iter()
            .flat_map(|text| split_paragraphs(text))
            .collect(),
    }
}

/// Makes the article of one record. A record with neither title nor body still goes in, with
/// the title `(untitled)` and a warning, so that its metadata stays searchable.
pub fn article_from_record(
    file: &CorpusFile,
    record: &Map<String, Value>,
    map: &FieldMap,
    place: RecordPlace,
    style: ValueStyle,
) -> Article {
    article_and_body(file, record, map, place, style).0
}

/// `article_from_record`, and whether the record yielded a body (the fields the mapping reads
/// as the body held text).
pub fn article_and_body(
    file: &CorpusFile,
    record: &Map<String, Value>,
    map: &FieldMap,
    place: RecordPlace,
    style: ValueStyle,
) -> (Article, bool) {
    let mut warnings = Vec::new();
    let single_text = |role| {
        first_value(record, map, role)
            .and_then(|value| texts(value, style, false).into_iter().next())
    };
    let record_id = single_text(Role::Id);
    let id = match (&record_id, place.number) {
        (Some(record_id), _) => format!("{}#{record_id}", file.relative),
        (None, Some(number)) => format!("{}#{number}", file.relative),
        (None, None) => file.relative.clone(),
    };
    let url = single_text(Role::Url)
        .map(|url| url.trim().to_string())
        .filter(|url| !url.is_empty());
    let title_given = single_text(Role::Title).map(|title| collapse_spaces(&title));
    // Several body fields named by the user are read in order (a lede, then the story); among
    // the default names the first one present wins, since exports often repeat the body.
    let body_paragraphs: Vec<String> = if map.is_explicit(Role::Body) {
        map.names(Role::Body)
            .iter()
            .flat_map(|name| paragraphs_of(lookup(record, name)))
            .collect()
    } else {
        paragraphs_of(first_value(record, map, Role::Body))
    };
    let has_body = !body_paragraphs.is_empty();
    // A subtitle (standfirst) is the first paragraph, before the body.
    let subtitle = single_text(Role::Subtitle)
        .map(|subtitle| collapse_spaces(&subtitle))
        .filter(|subtitle| !subtitle.is_empty() && has_body);
    let mut paragraphs = subtitle.into_iter().chain(body_paragraphs);
    let lead = paragraphs.next();
    let rest: Vec<String> = paragraphs.collect();
    let title_repeats_text = !matches!((&title_given, &lead), (Some(_), Some(_)));
    if lead.is_none() {
        // The text may sit in a field the mapping does not read: say which, where, and how to
        // map it.
        let unread = unmapped_text_fields(record, map);
        if !unread.is_empty() {
            let at = match place.line {
                Some(line) => format!("{}:{line}", file.relative),
                None => file.relative.clone(),
            };
            warnings.push(format!(
                "no body: the record at {at} has text only in fields the mapping does not read ({}); map one with `--field body={}`",
                unread
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                longest_text_field(record, &unread).unwrap_or("NAME")
            ));
        }
    }
    let (title, lead) = match (title_given, lead) {
        (Some(title), Some(lead)) => (title, lead),
        (Some(title), None) => (title.clone(), title),
        (None, Some(lead)) => (title_from_lead(&lead, &[]), lead),
        (None, None) => {
            warnings.push("no title and no body: indexed as `(untitled)`".to_string());
            ("(untitled)".to_string(), "(untitled)".to_string())
        }
    };
    let date = match first_value(record, map, Role::Date) {
        None => {
            warnings.push("no date: indexed undated".to_string());
            None
        }
        Some(value) => match date_of(value) {
            Some(date) if is_storable(&date) => Some(date),
            Some(_) => {
                warnings.push(unstorable_warning(&scalar_text(value)));
                None
            }
            None => {
                warnings.push(format!(
                    "malformed date `{}`: indexed undated",
                    scalar_text(value)
                ));
                None
            }
        },
    };
    let mut categories = all_values(record, map, Role::Category, style);
    if categories.is_empty() {
        categories.extend(folder_category(&file.relative));
    }
    let mut given_entities = Vec::new();
    for role in [Role::Places, Role::People, Role::Orgs] {
        let Some(kind) = role.entity_kind() else {
            continue;
        };
        for label in all_values(record, map, role, style) {
            let name = label_to_name(&label);
            if !name.is_empty() {
                given_entities.push(Entity { name, kind });
            }
        }
    }
    let sections = if rest.is_empty() {
        Vec::new()
    } else {
        vec![Section {
            heading: None,
            paragraphs: rest,
        }]
    };
    let source = source_or_host(single_text(Role::Source), url.as_deref());
    let language = single_text(Role::Language)
        .map(|language| language.trim().to_string())
        .filter(|language| !language.is_empty());
    let at = match place.line {
        Some(line) => format!("{}:{line}", file.relative),
        None => file.relative.clone(),
    };
    let extras = extras_of(record, map, style, &at, &mut warnings);
    let article = Article {
        id,
        path: file.relative.clone().into(),
        title,
        title_repeats_text,
        date,
        categories,
        source,
        authors: all_values(record, map, Role::Author, style),
        language,
        url,
        lead,
        sections,
        given_entities,
        extras,
        warnings,
    };
    (article, has_body)
}

/// The values of the declared fields (`FieldMap::extras`) in a record. A value that is not of
/// its field's type is left out with a warning that names the record (`at`: `path:line`).
pub fn extras_of(
    record: &Map<String, Value>,
    map: &FieldMap,
    style: ValueStyle,
    at: &str,
    warnings: &mut Vec<String>,
) -> Vec<ExtraValue> {
    let mut extras = Vec::new();
    for field in map.extras() {
        let Some(value) = lookup(record, &field.name).filter(|value| !is_empty(value)) else {
            continue;
        };
        let mut push = |value| {
            extras.push(ExtraValue {
                name: field.name.clone(),
                value,
            })
        };
        match field.kind {
            ExtraType::Keyword => {
                let mut seen: Vec<String> = Vec::new();
                for text in texts(value, style, true) {
                    if !seen.contains(&text) {
                        seen.push(text.clone());
                        push(ExtraData::Keyword(text));
                    }
                }
            }
            ExtraType::Text => {
                let text = collapse_spaces(&texts(value, style, false).join(" "));
                if !text.is_empty() {
                    push(ExtraData::Text(text));
                }
            }
            ExtraType::Number => match number_of(value) {
                Some(number) => push(ExtraData::Number(number)),
                None => warnings.push(wrong_type(at, &field.name, field.kind, value)),
            },
            ExtraType::Date => match date_of(value).filter(is_storable) {
                Some(date) => push(ExtraData::Date(date)),
                None => warnings.push(wrong_type(at, &field.name, field.kind, value)),
            },
        }
    }
    extras
}

/// A number as a record writes it: a JSON number, or text such as `1234`, `1,234` or `-0.5`.
fn number_of(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => {
            let text = text.trim();
            // Thousands separators, only between groups of three digits.
            let plain = if text.contains(',') && is_grouped(text) {
                text.replace(',', "")
            } else {
                text.to_string()
            };
            plain.parse::<f64>().ok()
        }
        _ => None,
    };
    number.filter(|number| number.is_finite())
}

/// `1,234,567` or `-12,345.5`: commas only between groups of three digits.
fn is_grouped(text: &str) -> bool {
    let integer = text.split('.').next().unwrap_or("");
    let integer = integer.strip_prefix('-').unwrap_or(integer);
    let mut groups = integer.split(',');
    let first = groups.next().unwrap_or("");
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && groups.all(|group| group.len() == 3 && group.bytes().all(|b| b.is_ascii_digit()))
}

fn wrong_type(at: &str, name: &str, kind: ExtraType, value: &Value) -> String {
    format!(
        "`{name}` at {at}: `{}` is not a {kind}; the article goes in without it",
        scalar_text(value)
    )
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A record that is not an object cannot be an article.
pub fn not_an_object(file: &CorpusFile, line: Option<usize>, value: &Value) -> IngestError {
    let kind = match value {
        Value::Array(_) => "an array",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a boolean",
        Value::Null => "null",
        Value::Object(_) => "an object",
    };
    let reason = format!("expected an object with article fields, found {kind}");
    match line {
        Some(line) => IngestError::at_line(&file.path, line, reason),
        None => IngestError::new(&file.path, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::ingest::body::BodyCheck;
    use crate::model::EntityKind;
    use serde_json::json;
    use std::path::Path;

    fn file() -> CorpusFile {
        CorpusFile {
            path: "/corpus/wire/r.jsonl".into(),
            relative: "wire/r.jsonl".into(),
            format: Format::Jsonl,
            size: 0,
            modified: None,
        }
    }

    fn article(value: Value, map: &FieldMap) -> Article {
        let Value::Object(record) = value else {
            panic!("not an object")
        };
        article_from_record(
            &file(),
            &record,
            map,
            RecordPlace {
                line: Some(7),
                number: Some(7),
            },
            ValueStyle::Json,
        )
    }

    #[test]
    fn field_names_match_whatever_their_case_and_separators() {
        let map = FieldMap::default();
        let found = article(
            json!({"Title": "Grain", "Body": "Prices rose.", "Publish_Date": "2024-03-28"}),
            &map,
        );
        assert_eq!(
            (found.title.as_str(), found.lead.as_str()),
            ("Grain", "Prices rose.")
        );
        assert!(found.date.is_some());
        let found = article(json!({"headline": "Grain", "story": "Prices rose."}), &map);
        assert_eq!(found.lead, "Prices rose.");
    }

    #[test]
    fn a_body_in_a_field_the_mapping_does_not_read_is_named_in_the_warning() {
        let found = article(
            json!({"title": "Grain", "main_copy": "Prices rose.", "date": "2024-03-28"}),
            &FieldMap::default(),
        );
        assert!(
            found.warnings.iter().any(|warning| warning
                .starts_with("no body: the record at wire/r.jsonl:7 ")
                && warning.contains("(`main_copy`)")
                && warning.ends_with("map one with `--field body=main_copy`")),
            "{:?}",
            found.warnings
        );
        // A record whose body is read gets no such warning.
        let found = article(
            json!({"title": "Grain", "body": "Prices rose.", "date": "2024-03-28", "extra": "x"}),
            &FieldMap::default(),
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    #[test]
    fn a_file_whose_records_yield_no_body_is_told_with_their_fields_and_a_mapping() {
        let map = FieldMap::default();
        let header: Vec<String> = ["headline", "content_raw", "when"]
            .map(String::from)
            .to_vec();
        let Value::Object(row) = json!({"headline": "Grain", "content_raw": "Prices rose sharply.",
                                        "when": "2024-03-28"})
        else {
            unreachable!()
        };
        let mut check = BodyCheck::default();
        for _ in 0..2 {
            let (_, has_body) = article_and_body(
                &file(),
                &row,
                &map,
                RecordPlace {
                    line: Some(2),
                    number: Some(2),
                },
                ValueStyle::Delimited,
            );
            check.record(&row, Some(&header), &map, has_body);
        }
        assert!(check.none_has_body());
        assert_eq!(
            check.error(Path::new("web/feed.csv"), true).to_string(),
            "web/feed.csv: no record has a body: its fields are headline, content_raw, when; \
             map one with --field body=content_raw"
        );
        // One record with a body is enough.
        let Value::Object(with_body) = json!({"headline": "Grain", "body": "Prices rose."}) else {
            unreachable!()
        };
        let mut part = BodyCheck::default();
        part.record(&with_body, None, &map, true);
        check.merge(part);
        assert!(!check.none_has_body());
        assert!(!BodyCheck::default().none_has_body(), "no record at all");
    }

    #[test]
    fn reuters_record_maps_with_the_defaults() {
        let article = article(
            json!({"newid": 1, "date": "26-FEB-1987 15:01:01.79", "topics": ["cocoa"],
                   "places": ["el-salvador", "usa"], "people": [], "orgs": ["ico"],
                   "title": "BAHIA COCOA REVIEW", "body": "Showers continued.\n\nThe dry period.\n\nArrivals."}),
            &FieldMap::default(),
        );
        assert_eq!(article.id, "wire/r.jsonl#7");
        assert_eq!(article.title, "BAHIA COCOA REVIEW");
        assert_eq!(
            article.date.unwrap().to_rfc3339(),
            "1987-02-26T15:01:01.790+00:00"
        );
        assert_eq!(article.categories, ["cocoa"]);
        assert_eq!(article.lead, "Showers continued.");
        assert_eq!(
            article.sections[0].paragraphs,
            ["The dry period.", "Arrivals."]
        );
        let given: Vec<_> = article
            .given_entities
            .iter()
            .map(|e| (e.name.as_str(), e.kind))
            .collect();
        assert_eq!(
            given,
            [
                ("El Salvador", EntityKind::Place),
                ("Usa", EntityKind::Place),
                ("Ico", EntityKind::Organisation)
            ]
        );
        assert!(article.warnings.is_empty(), "{:?}", article.warnings);
    }

    #[test]
    fn ids_overrides_and_fallbacks() {
        let overrides = [
            "body=content".parse().unwrap(),
            "date=published_at".parse().unwrap(),
        ];
        let map = FieldMap::new(&overrides, &[], None).unwrap();
        let article = article(
            json!({"id": "abc", "headline": "H", "content": ["One.", "Two."], "published_at": 1711584000,
                   "body": "ignored"}),
            &map,
        );
        assert_eq!(article.id, "wire/r.jsonl#abc");
        assert_eq!(article.title, "H");
        assert_eq!(article.lead, "One.");
        assert_eq!(
            article.date.unwrap().to_rfc3339(),
            "2024-03-28T00:00:00+00:00"
        );
        assert_eq!(
            article.categories,
            ["wire"],
            "falls back to the first folder"
        );
    }

    #[test]
    fn a_record_without_body_is_indexed_by_title_and_a_bad_date_warns() {
        let article = article(
            json!({"title": "ONLY A TITLE", "date": "someday"}),
            &FieldMap::default(),
        );
        assert_eq!(article.lead, "ONLY A TITLE");
        assert_eq!(article.date, None);
        assert_eq!(
            article.warnings,
            ["malformed date `someday`: indexed undated"]
        );
        let empty = article_from_record(
            &file(),
            &Map::new(),
            &FieldMap::default(),
            RecordPlace {
                line: None,
                number: None,
            },
            ValueStyle::Json,
        );
        assert_eq!(empty.id, "wire/r.jsonl");
        assert_eq!(empty.title, "(untitled)");
        assert_eq!(empty.warnings.len(), 2);
    }

    #[test]
    fn delimited_cells_split_lists_and_nested_paths_resolve() {
        let Value::Object(record) = json!({"topics": "politics; europe|trade", "title": "T",
                                            "meta": {"when": "2024-03-28"}, "body": "B"})
        else {
            unreachable!()
        };
        let map = FieldMap::new(&["date=meta.when".parse().unwrap()], &[], None).unwrap();
        let article = article_from_record(
            &file(),
            &record,
            &map,
            RecordPlace {
                line: Some(2),
                number: Some(2),
            },
            ValueStyle::Delimited,
        );
        assert_eq!(article.categories, ["politics", "europe", "trade"]);
        assert!(article.date.is_some());
    }

    #[test]
    fn labels_become_names() {
        assert_eq!(label_to_name("west-germany"), "West Germany");
        assert_eq!(label_to_name("hisham-nazer"), "Hisham Nazer");
        assert_eq!(label_to_name("New York"), "New York");
    }
}
