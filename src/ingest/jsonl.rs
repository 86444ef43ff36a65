//! JSON Lines (`.jsonl`, `.ndjson`) -> records, streamed: the file is cut into batches of raw
//! lines with bounded memory (a file of several GB never sits in memory whole), and each line
//! is parsed on its own, so a malformed line costs only itself (reported as `file:line:column`).
//! It does not map fields (that is `record`) or split passages.

use std::io::BufRead;

use serde_json::Value;

use crate::error::IngestError;
use crate::ingest::CorpusFile;
use crate::ingest::body::BodyCheck;
use crate::ingest::decode::{LATIN1_WARNING, decode_bytes};
use crate::ingest::mapping::FieldMap;
use crate::ingest::record::{RecordPlace, ValueStyle, article_and_body, lookup, not_an_object};
use crate::model::Article;

/// One line of the file as read, not yet decoded or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub bytes: Vec<u8>,
}

/// Reads the lines of `reader` and hands them to `emit` in batches of about `max_batch_bytes`
/// (a single longer line makes a batch of its own). Blank lines are skipped. The last batch is
/// flagged; `emit` returns false to stop early.
pub fn split_lines(
    mut reader: impl BufRead,
    max_batch_bytes: usize,
    emit: &mut dyn FnMut(Vec<RawLine>, u64, bool) -> bool,
) -> std::io::Result<()> {
    let mut batch = Vec::new();
    let mut batch_bytes = 0u64;
    let mut line_number = 0usize;
    loop {
        let mut bytes = Vec::new();
        let n_read = reader.read_until(b'\n', &mut bytes)?;
        if n_read == 0 {
            break;
        }
        line_number += 1;
        batch_bytes += n_read as u64;
        while bytes
            .last()
            .is_some_and(|byte| matches!(byte, b'\n' | b'\r'))
        {
            bytes.pop();
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        batch.push(RawLine {
            line: line_number,
            bytes,
        });
        if batch_bytes as usize >= max_batch_bytes
            && !emit(
                std::mem::take(&mut batch),
                std::mem::take(&mut batch_bytes),
                false,
            )
        {
            return Ok(());
        }
    }
    emit(batch, batch_bytes, true);
    Ok(())
}

/// serde_json appends " at line L column C" to its messages; the caller says where instead.
pub fn json_reason(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    }
}

/// Parses one line into an article. Also returns which explicitly mapped fields it holds, and
/// counts the record in `body`.
pub fn parse_line(
    file: &CorpusFile,
    raw: &RawLine,
    map: &FieldMap,
    body: &mut BodyCheck,
) -> (Result<Article, IngestError>, u64) {
    let decoded = match decode_bytes(&raw.bytes) {
        Ok(decoded) => decoded,
        Err(error) => {
            let mut ingest_error = IngestError::at_line(&file.path, raw.line, error.reason);
            ingest_error.column = Some(error.offset + 1);
            return (Err(ingest_error), 0);
        }
    };
    let value: Value = match serde_json::from_str(decoded.text.trim_start_matches('\u{feff}')) {
        Ok(value) => value,
        Err(error) => {
            let mut ingest_error = IngestError::at_line(&file.path, raw.line, json_reason(&error));
            ingest_error.column = Some(error.column());
            return (Err(ingest_error), 0);
        }
    };
    let Value::Object(record) = &value else {
        return (Err(not_an_object(file, Some(raw.line), &value)), 0);
    };
    let seen = map.present_mask(|name| lookup(record, name).is_some());
    let place = RecordPlace {
        line: Some(raw.line),
        number: Some(raw.line),
    };
    let (mut article, has_body) = article_and_body(file, record, map, place, ValueStyle::Json);
    body.record(record, None, map, has_body);
    if decoded.latin1 {
        article
            .warnings
            .push(format!("line {}: {LATIN1_WARNING}", raw.line));
    }
    (Ok(article), seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;

    fn file() -> CorpusFile {
        CorpusFile {
            path: "/c/a.jsonl".into(),
            relative: "a.jsonl".into(),
            format: Format::Jsonl,
            size: 0,
            modified: None,
        }
    }

    #[test]
    fn lines_come_in_bounded_batches_with_their_numbers() {
        let text = "{\"a\":1}\n\n{\"a\":2}\r\n{\"a\":3}";
        let mut batches = Vec::new();
        split_lines(text.as_bytes(), 8, &mut |batch, bytes, last| {
            batches.push((
                batch.iter().map(|l| l.line).collect::<Vec<_>>(),
                bytes,
                last,
            ));
            true
        })
        .unwrap();
        assert_eq!(
            batches,
            [
                (vec![1], 8, false),
                (vec![3], 10, false),
                (vec![4], 7, true)
            ]
        );
    }

    #[test]
    fn a_malformed_line_names_its_line_and_column() {
        let raw = RawLine {
            line: 12,
            bytes: b"{\"title\": \"x\", \"body\" \"y\"}".to_vec(),
        };
        let (result, _) = parse_line(
            &file(),
            &raw,
            &FieldMap::default(),
            &mut BodyCheck::default(),
        );
        let error = result.unwrap_err();
        assert_eq!((error.line, error.column), (Some(12), Some(23)));
        assert_eq!(error.to_string(), "/c/a.jsonl:12:23: expected `:`");
        let raw = RawLine {
            line: 3,
            bytes: b"[1, 2]".to_vec(),
        };
        assert!(
            parse_line(
                &file(),
                &raw,
                &FieldMap::default(),
                &mut BodyCheck::default()
            )
            .0
            .unwrap_err()
            .reason
            .contains("found an array")
        );
    }

    #[test]
    fn a_latin1_line_goes_in_with_a_warning() {
        let raw = RawLine {
            line: 2,
            bytes: b"{\"title\": \"Caf\xe9\", \"body\": \"Z\xfcrich.\"}".to_vec(),
        };
        let article = parse_line(
            &file(),
            &raw,
            &FieldMap::default(),
            &mut BodyCheck::default(),
        )
        .0
        .unwrap();
        assert_eq!(article.title, "Café");
        assert_eq!(article.lead, "Zürich.");
        assert!(
            article.warnings[1].contains("Latin-1"),
            "{:?}",
            article.warnings
        );
    }
}
