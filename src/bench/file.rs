//! Query files: `query` or `class<TAB>query` a line, checked against the backend's parser.

use std::io::BufRead;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::class::{BenchQuery, QueryClass};
use super::error::BenchError;
use crate::backend::SearchBackend;

/// A line of a query file that was not used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedQuery {
    pub line: usize,
    pub reason: String,
}

/// What a line of a query file holds, before the query is checked against the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryLine<'a> {
    /// A blank line or a `#` comment.
    Nothing,
    Query {
        class: Option<QueryClass>,
        query: &'a str,
    },
}

/// Reads one line of a query file: `query` or `class<TAB>query`; `#` comments and blank lines
/// hold nothing.
pub fn parse_query_line(line: &str) -> Result<QueryLine<'_>, String> {
    let trimmed = line.trim_end_matches(['\r', '\n']);
    if trimmed.trim().is_empty() || trimmed.trim_start().starts_with('#') {
        return Ok(QueryLine::Nothing);
    }
    let (class, query) = match trimmed.split_once('\t') {
        Some((label, query)) => {
            let class = QueryClass::parse(label).ok_or_else(|| {
                format!(
                    "unknown class `{}`; the classes are {}",
                    label.trim(),
                    QueryClass::GENERATED
                        .iter()
                        .chain([&QueryClass::Other])
                        .map(|class| class.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            (Some(class), query.trim())
        }
        None => (None, trimmed.trim()),
    };
    if query.is_empty() {
        return Err("no query after the class".to_string());
    }
    Ok(QueryLine::Query { class, query })
}

/// Reads a query file line by line (it may hold millions), checking each query against the
/// backend's parser (and Quickwit's translation). Lines that cannot be used are handed to
/// `on_skip` with their number.
pub fn read_query_file(
    path: &Path,
    backend: &dyn SearchBackend,
    on_skip: &mut dyn FnMut(&SkippedQuery),
) -> Result<(Vec<BenchQuery>, usize), BenchError> {
    let io_error = |source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut reader = std::io::BufReader::new(file);
    let mut queries = Vec::new();
    let mut n_skipped = 0;
    let mut buffer = Vec::new();
    let mut line_number = 0;
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer).map_err(io_error)? == 0 {
            break;
        }
        line_number += 1;
        let outcome = match std::str::from_utf8(&buffer) {
            Err(_) => Err("not valid UTF-8".to_string()),
            Ok(line) => parse_query_line(line).and_then(|parsed| match parsed {
                QueryLine::Nothing => Ok(None),
                QueryLine::Query { class, query } => match backend.check_query(query) {
                    Ok(_) => Ok(Some(BenchQuery {
                        class: class.unwrap_or_else(|| QueryClass::classify(query)),
                        query: query.into(),
                        filters: None,
                    })),
                    Err(error) => Err(error.to_string()),
                },
            }),
        };
        match outcome {
            Ok(Some(query)) => queries.push(query),
            Ok(None) => {}
            Err(reason) => {
                n_skipped += 1;
                on_skip(&SkippedQuery {
                    line: line_number,
                    reason,
                });
            }
        }
    }
    if queries.is_empty() {
        return Err(BenchError::NoQueries {
            path: path.to_path_buf(),
            skipped: n_skipped,
        });
    }
    Ok((queries, n_skipped))
}
