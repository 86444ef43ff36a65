//! Evaluation input: the three files of an IR test collection (`docs.jsonl`, `queries.tsv`,
//! `qrels.trec`) -> `TestDoc`s, `TestQuery`s and `Qrels`, and a `TestDoc` -> `Article`. Pure
//! parsing; it does not index, search or score, and it keeps no field the ranking does not use.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::IngestError;
use crate::model::{Article, Section};

/// One document of a test collection, as `docs.jsonl` holds it (one JSON object a line).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TestDoc {
    pub id: String,
    /// Some collections (NPL, MED) have no titles.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
}

/// One query of a test collection: `id<TAB>text` in `queries.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestQuery {
    pub id: String,
    pub text: String,
}

/// Relevance judgements: query id -> document id -> grade (`qid 0 docid grade` in TREC form).
/// A grade above 0 means relevant; 0 or below means judged not relevant.
pub type Qrels = BTreeMap<String, HashMap<String, i32>>;

fn read_text(path: &Path) -> Result<String, IngestError> {
    std::fs::read_to_string(path)
        .map_err(|error| IngestError::new(path, format!("cannot read the file: {error}")))
}

/// Reads `docs.jsonl`: one object a line with `id` and at least one of `title` and `text`.
pub fn read_docs(path: &Path) -> Result<Vec<TestDoc>, IngestError> {
    parse_docs(path, &read_text(path)?)
}

pub fn parse_docs(path: &Path, content: &str) -> Result<Vec<TestDoc>, IngestError> {
    let mut docs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line_idx, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: TestDoc = serde_json::from_str(line).map_err(|error| {
            IngestError::at_line(
                path,
                line_idx + 1,
                format!("not a document object: {error}"),
            )
        })?;
        if doc.id.trim().is_empty() {
            return Err(IngestError::at_line(path, line_idx + 1, "empty `id`"));
        }
        if !seen.insert(doc.id.clone()) {
            return Err(IngestError::at_line(
                path,
                line_idx + 1,
                format!("document `{}` appears twice", doc.id),
            ));
        }
        docs.push(doc);
    }
    Ok(docs)
}

/// Reads `queries.tsv`: `id<TAB>text` a line.
pub fn read_queries(path: &Path) -> Result<Vec<TestQuery>, IngestError> {
    parse_queries(path, &read_text(path)?)
}

pub fn parse_queries(path: &Path, content: &str) -> Result<Vec<TestQuery>, IngestError> {
    let mut queries: Vec<TestQuery> = Vec::new();
    for (line_idx, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, text)) = line.split_once('\t') else {
            return Err(IngestError::at_line(
                path,
                line_idx + 1,
                "expected `id<TAB>text`",
            ));
        };
        let id = id.trim();
        if id.is_empty() {
            return Err(IngestError::at_line(path, line_idx + 1, "empty query id"));
        }
        if queries.iter().any(|query| query.id == id) {
            return Err(IngestError::at_line(
                path,
                line_idx + 1,
                format!("query `{id}` appears twice"),
            ));
        }
        queries.push(TestQuery {
            id: id.to_string(),
            text: text.trim().to_string(),
        });
    }
    Ok(queries)
}

/// Reads `qrels.trec`: `qid iteration docid grade` a line, separated by white space.
pub fn read_qrels(path: &Path) -> Result<Qrels, IngestError> {
    parse_qrels(path, &read_text(path)?)
}

pub fn parse_qrels(path: &Path, content: &str) -> Result<Qrels, IngestError> {
    let mut qrels = Qrels::new();
    for (line_idx, line) in content.lines().enumerate() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        if columns.is_empty() {
            continue;
        }
        let [qid, _iteration, docid, grade] = columns[..] else {
            return Err(IngestError::at_line(
                path,
                line_idx + 1,
                format!(
                    "expected 4 columns `qid 0 docid grade`, found {}",
                    columns.len()
                ),
            ));
        };
        let grade: i32 = grade.parse().map_err(|_| {
            IngestError::at_line(
                path,
                line_idx + 1,
                format!("grade `{grade}` is not an integer"),
            )
        })?;
        qrels
            .entry(qid.to_string())
            .or_default()
            .insert(docid.to_string(), grade);
    }
    Ok(qrels)
}

/// A test document as an article: its title is the article's title, searched with every
/// passage as a news title is; the text's first paragraph is the lead and the paragraphs after it
/// (apart by a blank line, as in a news story) are paragraphs under no heading, each split by the
/// passage stage like any long paragraph. A document with no text (half of CACM) is its title: it
/// still gets a passage to be found by.
pub fn doc_to_article(doc: &TestDoc, source: &Path) -> Article {
    let title = doc.title.trim();
    let text = doc.text.trim();
    let mut paragraphs = text
        .split("\n\n")
        .map(str::trim)
        .filter(|paragraph| !paragraph.is_empty())
        .map(str::to_string);
    let lead = paragraphs.next().unwrap_or_else(|| title.to_string());
    let rest: Vec<String> = paragraphs.collect();
    Article {
        id: doc.id.clone(),
        path: PathBuf::from(source),
        title: title.to_string(),
        title_repeats_text: text.is_empty() || title.is_empty(),
        lead,
        sections: if rest.is_empty() {
            Vec::new()
        } else {
            vec![Section {
                heading: None,
                paragraphs: rest,
            }]
        },
        ..Article::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_after_a_blank_line_are_passages_of_their_own() {
        let doc = TestDoc {
            id: "7".into(),
            title: "Grain".into(),
            text: "Lead paragraph.\n\nSecond one.\n\n\n  Third one. ".into(),
        };
        let article = doc_to_article(&doc, Path::new("d.jsonl"));
        assert_eq!(article.lead, "Lead paragraph.");
        assert_eq!(article.sections.len(), 1);
        assert_eq!(article.sections[0].heading, None);
        assert_eq!(
            article.sections[0].paragraphs,
            ["Second one.", "Third one."]
        );
        assert_eq!(crate::passage::split_passages(&article).len(), 3);
        let one = TestDoc {
            text: "Only one paragraph.".into(),
            ..doc.clone()
        };
        assert!(doc_to_article(&one, Path::new("d")).sections.is_empty());
        let untitled_text = TestDoc {
            text: String::new(),
            ..doc
        };
        let article = doc_to_article(&untitled_text, Path::new("d"));
        assert_eq!(article.lead, "Grain");
        assert!(article.title_repeats_text);
    }

    #[test]
    fn docs_parse_with_and_without_title() {
        let docs = parse_docs(
            Path::new("d.jsonl"),
            "{\"id\": \"1\", \"title\": \"T\", \"text\": \"x y\", \"date\": \"1958\"}\n\n{\"id\": \"2\", \"text\": \"z\"}\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].title, "T");
        assert_eq!(docs[1].title, "");
        assert_eq!(docs[1].text, "z");
    }

    #[test]
    fn a_bad_doc_line_names_file_and_line() {
        let error = parse_docs(Path::new("d.jsonl"), "{\"id\": \"1\"}\n{oops\n").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error
                .to_string()
                .starts_with("d.jsonl:2: not a document object")
        );
        let error = parse_docs(Path::new("d.jsonl"), "{\"id\": \" \"}\n").unwrap_err();
        assert_eq!(error.to_string(), "d.jsonl:1: empty `id`");
        let error =
            parse_docs(Path::new("d.jsonl"), "{\"id\": \"1\"}\n{\"id\": \"1\"}\n").unwrap_err();
        assert_eq!(error.to_string(), "d.jsonl:2: document `1` appears twice");
    }

    #[test]
    fn queries_keep_punctuation_and_reject_lines_without_tab() {
        let queries =
            parse_queries(Path::new("q.tsv"), "1\tWhat is TSS (time-sharing)?\n").unwrap();
        assert_eq!(queries[0].id, "1");
        assert_eq!(queries[0].text, "What is TSS (time-sharing)?");
        let error = parse_queries(Path::new("q.tsv"), "1\tok\n2 no tab\n").unwrap_err();
        assert_eq!(error.to_string(), "q.tsv:2: expected `id<TAB>text`");
        let error = parse_queries(Path::new("q.tsv"), "1\ta\n1\tb\n").unwrap_err();
        assert_eq!(error.to_string(), "q.tsv:2: query `1` appears twice");
    }

    #[test]
    fn qrels_group_by_query_and_reject_bad_lines() {
        let qrels = parse_qrels(Path::new("r"), "1 0 d1 1\n1 0 d2 0\n2 0 d1 3\n").unwrap();
        assert_eq!(qrels["1"]["d1"], 1);
        assert_eq!(qrels["1"]["d2"], 0);
        assert_eq!(qrels["2"]["d1"], 3);
        let error = parse_qrels(Path::new("r"), "1 0 d1\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "r:1: expected 4 columns `qid 0 docid grade`, found 3"
        );
        let error = parse_qrels(Path::new("r"), "1 0 d1 x\n").unwrap_err();
        assert_eq!(error.to_string(), "r:1: grade `x` is not an integer");
    }

    #[test]
    fn the_title_is_searched_with_every_passage_unless_it_is_all_there_is() {
        let check = |title: &str, text: &str, lead: &str, repeats: bool| {
            let doc = TestDoc {
                id: "7".into(),
                title: title.into(),
                text: text.into(),
            };
            let article = doc_to_article(&doc, Path::new("docs.jsonl"));
            assert_eq!(article.lead, lead);
            assert_eq!(article.title, title.trim());
            assert_eq!(article.title_repeats_text, repeats);
            assert_eq!(article.id, "7");
        };
        check("Matrix programs", "", "Matrix programs", true);
        check("Matrix programs ", "Inverting.", "Inverting.", false);
        check("", "Only text.", "Only text.", true);
    }
}
