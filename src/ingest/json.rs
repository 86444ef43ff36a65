//! JSON (`.json`) -> records: one article object, an array of them, or several top-level
//! values one after another (a JSON Lines file named `.json`). Read whole (the file is bounded
//! by `--max-file-size`); a syntax error names its line and column and ends the file, since
//! JSON cannot be resynchronised after one. It does not map fields (that is `record`).

use serde_json::Value;

use crate::error::IngestError;
use crate::ingest::CorpusFile;
use crate::ingest::body::BodyCheck;
use crate::ingest::jsonl::json_reason;
use crate::ingest::mapping::FieldMap;
use crate::ingest::record::{RecordPlace, ValueStyle, article_and_body, lookup, not_an_object};
use crate::model::Article;

/// Reads every record of a JSON text. Returns the articles and errors in file order, and the
/// explicitly mapped fields seen; counts the records in `body`.
pub fn parse_json(
    file: &CorpusFile,
    text: &str,
    map: &FieldMap,
    body: &mut BodyCheck,
) -> (Vec<Result<Article, IngestError>>, u64) {
    let text = text.trim_start_matches('\u{feff}');
    let mut values: Vec<(usize, Value)> = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut syntax_error = None;
    loop {
        let offset = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let start = offset + (text[offset..].len() - text[offset..].trim_start().len());
                let line = text[..start].matches('\n').count() + 1;
                values.push((line, value));
            }
            Some(Err(error)) => {
                let mut ingest_error =
                    IngestError::at_line(&file.path, error.line(), json_reason(&error));
                ingest_error.column = Some(error.column());
                syntax_error = Some(ingest_error);
                break;
            }
        }
    }
    // Records are numbered across the file from 1; a file of one object is the article itself.
    let n_records: usize = values
        .iter()
        .map(|(_, value)| match value {
            Value::Array(items) => items.len(),
            _ => 1,
        })
        .sum();
    let mut results = Vec::new();
    let mut seen = 0;
    let mut number = 0;
    for (line, value) in values {
        let records: Vec<Value> = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for record in records {
            number += 1;
            let Value::Object(object) = &record else {
                results.push(Err(not_an_object(file, Some(line), &record)));
                continue;
            };
            seen |= map.present_mask(|name| lookup(object, name).is_some());
            let place = RecordPlace {
                line: Some(line),
                number: (n_records > 1).then_some(number),
            };
            let (article, has_body) = article_and_body(file, object, map, place, ValueStyle::Json);
            body.record(object, None, map, has_body);
            results.push(Ok(article));
        }
    }
    results.extend(syntax_error.map(Err));
    (results, seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;

    fn file() -> CorpusFile {
        CorpusFile {
            path: "/c/a.json".into(),
            relative: "a.json".into(),
            format: Format::Json,
            size: 0,
            modified: None,
        }
    }

    fn ids(text: &str) -> Vec<Result<String, String>> {
        parse_json(
            &file(),
            text,
            &FieldMap::default(),
            &mut BodyCheck::default(),
        )
        .0
        .into_iter()
        .map(|result| result.map(|a| a.id).map_err(|e| e.to_string()))
        .collect()
    }

    #[test]
    fn one_object_an_array_and_a_stream() {
        assert_eq!(
            ids(r#"{"title": "T", "body": "B"}"#),
            [Ok("a.json".to_string())]
        );
        assert_eq!(
            ids(r#"[{"title": "T"}, {"title": "U", "id": 9}]"#),
            [Ok("a.json#1".to_string()), Ok("a.json#9".to_string())]
        );
        assert_eq!(
            ids("{\"title\": \"T\"}\n{\"title\": \"U\"}\n"),
            [Ok("a.json#1".to_string()), Ok("a.json#2".to_string())]
        );
    }

    #[test]
    fn a_syntax_error_keeps_what_came_before_and_says_where() {
        let found = ids("[{\"title\": \"T\"}]\n{\"title\": \n  ,}");
        assert_eq!(found[0], Ok("a.json".to_string()));
        let error = found[1].as_ref().unwrap_err();
        assert!(
            error.starts_with("/c/a.json:3:3: expected value"),
            "{error}"
        );
        assert!(
            ids("[1]")[0]
                .as_ref()
                .unwrap_err()
                .contains("found a number")
        );
    }
}
