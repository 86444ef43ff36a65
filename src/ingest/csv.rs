//! CSV (`.csv`, `.tsv`) with a header row -> records, streamed in bounded batches of rows. The
//! header names the fields; a row with the wrong number of fields is reported as `file:line`
//! and the other rows still go in; a cell of a multi-valued field separates its values with `;`
//! or `|`. Rows are decoded one by one (UTF-8, or clearly Latin-1 with a warning). It does not
//! map fields (that is `record`) or split passages.

use std::io::Read;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::IngestError;
use crate::ingest::CorpusFile;
use crate::ingest::body::BodyCheck;
use crate::ingest::decode::{LATIN1_WARNING, decode_bytes};
use crate::ingest::mapping::FieldMap;
use crate::ingest::record::{RecordPlace, ValueStyle, article_and_body, lookup};
use crate::model::Article;

/// One data row as read, not yet decoded.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// 1-based line where the row starts.
    pub line: usize,
    pub record: ::csv::ByteRecord,
}

/// The field delimiters a header row is tried with.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// The field delimiter: the one of `DELIMITERS` the header row (the first line of `head`) holds
/// most often outside quotes; on a tie or none, tab for `.tsv` and comma otherwise.
fn delimiter(file: &CorpusFile, head: &[u8]) -> u8 {
    let is_tsv = file
        .path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("tsv"));
    let default = if is_tsv { b'\t' } else { b',' };
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &byte in head {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some(idx) = DELIMITERS.iter().position(|d| *d == byte) {
                    counts[idx] += 1;
                }
            }
            _ => {}
        }
    }
    let default_count = DELIMITERS
        .iter()
        .position(|d| *d == default)
        .map_or(0, |idx| counts[idx]);
    DELIMITERS
        .iter()
        .zip(counts)
        .filter(|(_, count)| *count > default_count)
        .max_by_key(|(_, count)| *count)
        .map_or(default, |(delimiter, _)| *delimiter)
}

/// A batch handed to `emit`: the header, the rows (or per-row errors), their size in bytes, and
/// whether it is the last batch of the file.
pub type RowBatch = (
    Arc<Vec<String>>,
    Vec<Result<RawRow, IngestError>>,
    u64,
    bool,
);

/// Reads the header and the rows of a CSV stream and hands the rows to `emit` in batches of
/// about `max_batch_bytes`. Returns an error only when the header cannot be read; `emit`
/// returns false to stop early.
pub fn split_rows(
    file: &CorpusFile,
    reader: impl Read,
    max_batch_bytes: usize,
    emit: &mut dyn FnMut(RowBatch) -> bool,
) -> Result<(), IngestError> {
    // The header row decides the delimiter; it is read again by the CSV reader.
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, reader);
    let head = std::io::BufRead::fill_buf(&mut reader).map_err(|error| {
        IngestError::at_line(
            &file.path,
            1,
            format!("cannot read the header row: {error}"),
        )
    })?;
    let delimiter = delimiter(file, head);
    let mut csv_reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(reader);
    let header_bytes = csv_reader
        .byte_headers()
        .map_err(|error| {
            IngestError::at_line(
                &file.path,
                1,
                format!("cannot read the header row: {error}"),
            )
        })?
        .clone();
    if header_bytes.is_empty() {
        return Err(IngestError::at_line(&file.path, 1, "no header row"));
    }
    let mut headers = Vec::with_capacity(header_bytes.len());
    for name in header_bytes.iter() {
        let decoded = decode_bytes(name).map_err(|error| {
            IngestError::at_line(&file.path, 1, format!("header: {}", error.reason))
        })?;
        headers.push(
            decoded
                .text
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string(),
        );
    }
    let headers = Arc::new(headers);
    let mut batch = Vec::new();
    let mut batch_bytes = 0u64;
    let mut record = ::csv::ByteRecord::new();
    let mut last_offset = csv_reader.position().byte();
    loop {
        let line = csv_reader.position().line() as usize;
        let result = csv_reader.read_byte_record(&mut record);
        let offset = csv_reader.position().byte();
        batch_bytes += offset.saturating_sub(last_offset);
        last_offset = offset;
        match result {
            Ok(false) => break,
            Ok(true) => {
                // The reader's position is past the row; the row started on the line before.
                let line = record.position().map_or(line, |p| p.line() as usize);
                batch.push(Ok(RawRow {
                    line,
                    record: record.clone(),
                }))
            }
            Err(error) => {
                let is_io = error.is_io_error();
                batch.push(Err(row_error(file, &error, line)));
                if is_io {
                    break;
                }
            }
        }
        if batch_bytes as usize >= max_batch_bytes
            && !emit((
                headers.clone(),
                std::mem::take(&mut batch),
                std::mem::take(&mut batch_bytes),
                false,
            ))
        {
            return Ok(());
        }
    }
    emit((headers, batch, batch_bytes, true));
    Ok(())
}

fn row_error(file: &CorpusFile, error: &::csv::Error, line: usize) -> IngestError {
    match error.kind() {
        ::csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => IngestError::at_line(
            &file.path,
            pos.as_ref().map_or(line, |pos| pos.line() as usize),
            format!("row has {len} fields, the header has {expected_len}"),
        ),
        _ => IngestError::at_line(&file.path, line, error.to_string()),
    }
}

/// Turns one row into an article. Also returns which explicitly mapped fields the header has,
/// and counts the record in `body`.
pub fn parse_row(
    file: &CorpusFile,
    headers: &[String],
    row: &RawRow,
    map: &FieldMap,
    body: &mut BodyCheck,
) -> (Result<Article, IngestError>, u64) {
    let mut object = Map::new();
    let mut latin1 = false;
    for (name, cell) in headers.iter().zip(row.record.iter()) {
        match decode_bytes(cell) {
            Ok(decoded) => {
                latin1 |= decoded.latin1;
                object.insert(name.clone(), Value::String(decoded.text.into_owned()));
            }
            Err(error) => {
                return (
                    Err(IngestError::at_line(
                        &file.path,
                        row.line,
                        format!("field `{name}`: {}", error.reason),
                    )),
                    0,
                );
            }
        }
    }
    let seen = map.present_mask(|name| lookup(&object, name).is_some());
    let place = RecordPlace {
        line: Some(row.line),
        number: Some(row.line),
    };
    let (mut article, has_body) =
        article_and_body(file, &object, map, place, ValueStyle::Delimited);
    body.record(&object, Some(headers), map, has_body);
    if latin1 {
        article
            .warnings
            .push(format!("line {}: {LATIN1_WARNING}", row.line));
    }
    (Ok(article), seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;

    fn file() -> CorpusFile {
        CorpusFile {
            path: "/c/a.csv".into(),
            relative: "a.csv".into(),
            format: Format::Csv,
            size: 0,
            modified: None,
        }
    }

    fn read(text: &[u8]) -> Vec<Result<Article, String>> {
        let mut out = Vec::new();
        split_rows(&file(), text, 1 << 20, &mut |(headers, rows, _, _)| {
            for row in rows {
                out.push(match row {
                    Ok(row) => parse_row(
                        &file(),
                        &headers,
                        &row,
                        &FieldMap::default(),
                        &mut BodyCheck::default(),
                    )
                    .0
                    .map_err(|e| e.to_string()),
                    Err(error) => Err(error.to_string()),
                });
            }
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn outlet_authors_language_and_subtitle_columns_are_read() {
        let found = read(
            b"source,author,title,date,text,subtitle,lang\nReuters,Jane Doe,Sanctions,2024-03-28,Banks were hit.,The EU acts.,en\n,,Plain,2024-03-28,Text.,,\n",
        );
        let first = found[0].as_ref().unwrap();
        assert_eq!(first.source.as_deref(), Some("Reuters"));
        assert_eq!(first.authors, ["Jane Doe"]);
        assert_eq!(first.language.as_deref(), Some("en"));
        // The subtitle is read first, the body after it.
        assert_eq!(first.lead, "The EU acts.");
        assert_eq!(first.sections[0].paragraphs, ["Banks were hit."]);
        let second = found[1].as_ref().unwrap();
        assert_eq!((second.source.as_ref(), second.authors.len()), (None, 0));
        assert_eq!(second.lead, "Text.");
    }

    #[test]
    fn rows_become_articles_and_a_short_row_names_its_line() {
        let found = read(
            b"id,title,date,body,topics\n7,First,2024-03-28,\"One.\n\nTwo.\",politics;trade\n8,Short\n9,Third,28 Mar 2024,Three.,\n",
        );
        assert_eq!(found.len(), 3);
        let first = found[0].as_ref().unwrap();
        assert_eq!(first.id, "a.csv#7");
        assert_eq!(first.lead, "One.");
        assert_eq!(first.sections[0].paragraphs, ["Two."]);
        assert_eq!(first.categories, ["politics", "trade"]);
        assert_eq!(
            found[1].as_ref().unwrap_err(),
            "/c/a.csv:5: row has 2 fields, the header has 5"
        );
        let third = found[2].as_ref().unwrap();
        assert_eq!(third.title, "Third");
        assert!(third.date.is_some());
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_header_and_field_names_match_any_case() {
        for text in [
            &b"Title;Text;Publish_Date\nFirst;One, two.;2024-03-28\n"[..],
            b"Title|Text|Publish_Date\nFirst|One, two.|2024-03-28\n",
            b"Title\tText\tPublish_Date\nFirst\tOne, two.\t2024-03-28\n",
            b"Title,Text,Publish_Date\nFirst,\"One, two.\",2024-03-28\n",
            b"Title,Text,Publish_Date,\"a;b;c;d\"\nFirst,\"One, two.\",2024-03-28,x\n",
        ] {
            let found = read(text);
            let article = found[0].as_ref().unwrap();
            let name = String::from_utf8_lossy(text);
            assert!(article.title.starts_with("First"), "{name}: {article:?}");
            assert_eq!(article.lead, "One, two.", "{name}");
            assert!(article.date.is_some(), "{name}");
            assert!(
                article.warnings.is_empty(),
                "{name}: {:?}",
                article.warnings
            );
        }
    }

    #[test]
    fn a_latin1_row_is_decoded_with_a_warning() {
        let found = read(b"title,body\nCaf\xe9,Z\xfcrich.\n");
        let article = found[0].as_ref().unwrap();
        assert_eq!(article.title, "Café");
        assert!(article.warnings.iter().any(|w| w.contains("Latin-1")));
    }
}
