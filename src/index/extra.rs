//! The declared fields (`[fields.extra]`) in a passage's document: their values written into
//! the `extra` and `extra_text` JSON objects, and read back for display (the list of declared
//! fields is in the commit payload, `manifest::Payload::extras`).

use std::collections::BTreeMap;

use tantivy::schema::{OwnedValue, Value};
use tantivy::{DateTime, TantivyDocument};

use crate::model::{ExtraData, ExtraValue, date_json, number_json};
use crate::schema::Fields;

/// Adds an article's declared values to a passage's document: keyword, number and date values
/// into `extra`, text into `extra_text`, one key a field (a list when it has several values).
pub fn add_extras(fields: &Fields, document: &mut TantivyDocument, extras: &[ExtraValue]) {
    if extras.is_empty() {
        return;
    }
    let mut exact: BTreeMap<String, Vec<OwnedValue>> = BTreeMap::new();
    let mut texts: BTreeMap<String, Vec<OwnedValue>> = BTreeMap::new();
    for extra in extras {
        let (object, value) = match &extra.value {
            ExtraData::Keyword(text) => (&mut exact, OwnedValue::Str(text.clone())),
            ExtraData::Number(number) => (&mut exact, OwnedValue::F64(*number)),
            ExtraData::Date(date) => (
                &mut exact,
                OwnedValue::Date(DateTime::from_timestamp_secs(date.timestamp())),
            ),
            ExtraData::Text(text) => (&mut texts, OwnedValue::Str(text.clone())),
        };
        object.entry(extra.name.clone()).or_default().push(value);
    }
    let object = |values: BTreeMap<String, Vec<OwnedValue>>| {
        values
            .into_iter()
            .map(|(name, mut list)| {
                let value = if list.len() == 1 {
                    list.remove(0)
                } else {
                    OwnedValue::Array(list)
                };
                (name, value)
            })
            .collect::<BTreeMap<String, OwnedValue>>()
    };
    if !exact.is_empty() {
        document.add_object(fields.extra, object(exact));
    }
    if !texts.is_empty() {
        document.add_object(fields.extra_text, object(texts));
    }
}

/// The declared values stored with a passage, by name, as JSON: strings, numbers, dates as
/// RFC 3339, lists of them.
pub fn stored_extras(
    fields: &Fields,
    document: &TantivyDocument,
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for field in [fields.extra, fields.extra_text] {
        for value in document.get_all(field) {
            if let Some(object) = value.as_object() {
                for (name, value) in object {
                    out.insert(name.to_string(), to_json(value));
                }
            }
        }
    }
    out
}

fn to_json<'a>(value: impl Value<'a>) -> serde_json::Value {
    let value: OwnedValue = value.as_value().into();
    match value {
        OwnedValue::Str(text) => serde_json::Value::String(text),
        OwnedValue::F64(number) => number_json(number),
        OwnedValue::I64(number) => serde_json::Value::from(number),
        OwnedValue::U64(number) => serde_json::Value::from(number),
        OwnedValue::Date(date) => chrono::DateTime::from_timestamp(date.into_timestamp_secs(), 0)
            .map_or(serde_json::Value::Null, date_json),
        OwnedValue::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        _ => serde_json::Value::Null,
    }
}
