//! Whether the records of a structured file yield a body: the fields of a record that the
//! mapping does not read, and the count over a file's records (`BodyCheck`), so that a file read
//! with a mapping that finds no body fails whole with its fields named. Pure.

use serde_json::{Map, Value};

use crate::error::IngestError;
use crate::ingest::mapping::{FieldMap, Role, same_field_name};

/// The fields of a record that hold text and that no role of the mapping reads.
pub fn unmapped_text_fields<'a>(record: &'a Map<String, Value>, map: &FieldMap) -> Vec<&'a str> {
    record
        .iter()
        .filter(|(_, value)| matches!(value, Value::String(text) if !text.trim().is_empty()))
        .map(|(key, _)| key.as_str())
        .filter(|key| {
            !Role::ALL.iter().any(|role| {
                map.names(*role)
                    .iter()
                    .any(|name| same_field_name(key, name) || name.split('.').next() == Some(key))
            })
        })
        .collect()
}

/// Among `names`, the field of `record` with the longest text: the likeliest body.
pub fn longest_text_field<'a>(record: &Map<String, Value>, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .copied()
        .max_by_key(|name| match record.get(*name) {
            Some(Value::String(text)) => text.trim().chars().count(),
            _ => 0,
        })
}

/// Whether the records of a file yield a body: a structured file none of whose records does
/// is read with the wrong mapping, and fails as a whole rather than going in as titles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyCheck {
    /// Records made into articles.
    pub records: usize,
    /// Those of them that yielded a body.
    pub with_body: usize,
    /// The first record without a body: its field names, in its order, and the field the
    /// mapping does not read with the longest text (the body to suggest).
    pub example: Option<(Vec<String>, Option<String>)>,
}

impl BodyCheck {
    /// Counts one record made into an article; `order` gives its field names in the file's
    /// order (a CSV header) when the record's own order is not it.
    pub fn record(
        &mut self,
        record: &Map<String, Value>,
        order: Option<&[String]>,
        map: &FieldMap,
        has_body: bool,
    ) {
        self.records += 1;
        if has_body {
            self.with_body += 1;
        } else if self.example.is_none() {
            let unread = unmapped_text_fields(record, map);
            let suggestion = longest_text_field(record, &unread).map(str::to_string);
            let names = match order {
                Some(names) => names.to_vec(),
                None => record.keys().cloned().collect(),
            };
            self.example = Some((names, suggestion));
        }
    }

    /// Adds what another part of the same file found.
    pub fn merge(&mut self, other: BodyCheck) {
        self.records += other.records;
        self.with_body += other.with_body;
        if self.example.is_none() {
            self.example = other.example;
        }
    }

    /// Records were read and none yielded a body.
    pub fn none_has_body(&self) -> bool {
        self.records > 0 && self.with_body == 0
    }

    /// The error of a file none of whose records yields a body; `whole` is false when only
    /// the first `records` of the file were looked at.
    pub fn error(&self, path: &std::path::Path, whole: bool) -> IngestError {
        let (fields, suggestion) = self.example.clone().unwrap_or_default();
        let fields = if fields.is_empty() {
            "none".to_string()
        } else {
            fields.join(", ")
        };
        let which = if whole {
            "no record has a body".to_string()
        } else {
            format!("none of the first {} records has a body", self.records)
        };
        IngestError::new(
            path,
            format!(
                "{which}: its fields are {fields}; map one with --field body={}",
                suggestion.as_deref().unwrap_or("NAME")
            ),
        )
    }
}
