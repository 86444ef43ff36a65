//! Ingest stage: corpus folder -> files -> chunks -> `Article`s. Walks the folder, picks a
//! reader by format, cuts large streams (JSON Lines, CSV) into bounded chunks of raw records,
//! and turns a chunk into articles and per-record errors (so a worker pool can parse in
//! parallel). It never splits passages, finds entities or touches the index.

pub mod body;
pub mod csv;
pub mod decode;
pub mod html;
pub mod json;
pub mod jsonl;
pub mod mapping;
pub mod markdown;
pub mod meta;
pub mod record;
pub mod seed;

pub use decode::decode_text;
pub use meta::{source_or_host, with_subtitle};

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::IngestError;
use crate::extract::date::{is_storable, parse_date, unstorable_warning};
use crate::ingest::body::BodyCheck;
use crate::ingest::decode::LATIN1_WARNING;
use crate::ingest::mapping::{CORPUS_CONFIG_FILE, FieldMap};
use crate::model::{Article, Section};

/// The input formats newsdex reads, chosen by file extension or forced with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Seed-format text: ` date YYYY-MM-DD lead`, blank-line paragraphs, bare headings.
    Seed,
    /// Markdown with optional YAML front matter.
    Markdown,
    /// JSON: one article object, an array of them, or several top-level objects.
    Json,
    /// JSON Lines: one article object per line, streamed.
    Jsonl,
    /// CSV (or TSV) with a header row, streamed.
    Csv,
    /// An HTML page: title, meta date and section, the text of `<article>` or `<main>`.
    Html,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "txt" | "text" => Some(Format::Seed),
            "md" | "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" | "tsv" => Some(Format::Csv),
            "html" | "htm" | "xhtml" => Some(Format::Html),
            _ => None,
        }
    }
}

/// A file the walk found that newsdex will try to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFile {
    /// The path as found on disk.
    pub path: PathBuf,
    /// The path relative to the corpus root, with `/` separators: the article id's base.
    pub relative: String,
    pub format: Format,
    pub size: u64,
    /// When the file was last modified, as the walk read it (a build's manifest keeps it).
    pub modified: Option<std::time::SystemTime>,
}

/// Why the walk passed over a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Names starting with `.`; a hidden folder counts once.
    Hidden,
    UnknownExtension,
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// The walk could not read the entry (permissions, a symbolic-link loop, a vanished folder).
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

impl Skipped {
    /// Hidden files and unknown extensions are expected in any folder; the rest are problems.
    pub fn is_problem(&self) -> bool {
        matches!(
            self.reason,
            SkipReason::TooLarge { .. } | SkipReason::Unreadable(_)
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct WalkOptions {
    pub forced_format: Option<Format>,
    pub max_file_size: u64,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            forced_format: None,
            max_file_size: 256 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<CorpusFile>,
    pub skipped: Vec<Skipped>,
}

fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0
        && entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with('.'))
}

/// Whether a folder holds a tantivy index (its `meta.json`) or one being written (its writer
/// lock, which a build takes before it walks the corpus).
fn holds_index(dir: &Path) -> bool {
    dir.join("meta.json").is_file() || dir.join(".tantivy-writer.lock").exists()
}

/// Walks the corpus folder in a stable (sorted) order. Fails only when the root itself cannot be
/// read; every other problem becomes a `Skipped` entry.
pub fn walk_corpus(root: &Path, options: &WalkOptions) -> Result<Walk, IngestError> {
    let metadata = std::fs::metadata(root).map_err(|error| {
        IngestError::new(root, format!("cannot read the corpus folder: {error}"))
    })?;
    let mut walk = Walk::default();
    if metadata.is_file() {
        // A single file is a corpus of one.
        let relative = root
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        push_file(&mut walk, root, relative, &metadata, options);
        return Ok(walk);
    }
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    let mut walker = walker;
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let reason = if error.loop_ancestor().is_some() {
                    "symbolic-link loop".to_string()
                } else {
                    error
                        .io_error()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| error.to_string())
                };
                walk.skipped.push(Skipped {
                    path,
                    reason: SkipReason::Unreadable(reason),
                });
                continue;
            }
        };
        if is_hidden(&entry) {
            walk.skipped.push(Skipped {
                path: entry.path().to_path_buf(),
                reason: SkipReason::Hidden,
            });
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            continue;
        }
        if entry.file_type().is_dir() {
            // An index kept inside its corpus (`--index corpus/index`), or any other newsdex
            // index there, holds no articles: reading it would index the index.
            if entry.depth() > 0 && holds_index(entry.path()) {
                walker.skip_current_dir();
            }
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        // The corpus settings are read by the build, not indexed.
        if entry.depth() == 1 && entry.file_name() == CORPUS_CONFIG_FILE {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .components()
            .map(|component| component.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(error) => {
                walk.skipped.push(Skipped {
                    path: entry.path().to_path_buf(),
                    reason: SkipReason::Unreadable(error.to_string()),
                });
                continue;
            }
        };
        push_file(&mut walk, entry.path(), relative, &metadata, options);
    }
    Ok(walk)
}

fn push_file(
    walk: &mut Walk,
    path: &Path,
    relative: String,
    metadata: &std::fs::Metadata,
    options: &WalkOptions,
) {
    let size = metadata.len();
    let Some(format) = options.forced_format.or_else(|| Format::from_path(path)) else {
        walk.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason: SkipReason::UnknownExtension,
        });
        return;
    };
    // JSON Lines and CSV are streamed with bounded memory: no size is too large for them.
    if size > options.max_file_size && !matches!(format, Format::Jsonl | Format::Csv) {
        walk.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason: SkipReason::TooLarge {
                size,
                limit: options.max_file_size,
            },
        });
        return;
    }
    walk.files.push(CorpusFile {
        path: path.to_path_buf(),
        relative,
        format,
        size,
        modified: metadata.modified().ok(),
    });
}

/// Bytes of raw records cut from a stream into one chunk: large enough to keep a worker busy,
/// small enough that a few chunks per core stay well under the writer's memory budget.
pub const CHUNK_BYTES: usize = 1 << 20;

/// What a chunk holds.
#[derive(Debug)]
pub enum ChunkBody {
    /// A file read and parsed whole by the worker (seed, Markdown, HTML, JSON).
    WholeFile,
    /// Raw lines of a JSON Lines file.
    JsonLines(Vec<jsonl::RawLine>),
    /// Rows of a CSV file, or the errors of rows that could not be cut out.
    CsvRows {
        headers: Arc<Vec<String>>,
        rows: Vec<Result<csv::RawRow, IngestError>>,
    },
    /// The file could not be opened or cut into records.
    Failed(IngestError),
}

/// A unit of parallel work: part (or all) of one file.
#[derive(Debug)]
pub struct Chunk {
    pub file: Arc<CorpusFile>,
    pub body: ChunkBody,
    /// Bytes of the file this chunk covers, for progress and throughput.
    pub bytes: u64,
    /// The file's last chunk: the file is done once its output is written.
    pub last_of_file: bool,
}

/// What a worker makes of a chunk, in file order.
#[derive(Debug)]
pub struct ChunkOutput {
    pub file: Arc<CorpusFile>,
    pub articles: Vec<Result<Article, IngestError>>,
    /// Bit set of the explicitly mapped fields (`FieldMap::explicit`) seen in these records.
    pub seen_fields: u64,
    /// How many of these records (JSON, JSON Lines, CSV) yielded a body.
    pub body: BodyCheck,
    pub bytes: u64,
    pub last_of_file: bool,
    /// The file could not be read at all (it counts as failed rather than read).
    pub failed: bool,
}

/// Cuts one file into chunks and hands them to `emit` in order; `emit` returns false to stop.
/// Formats read whole make one chunk; JSON Lines and CSV are streamed with bounded memory.
pub fn split_file(file: CorpusFile, max_chunk_bytes: usize, emit: &mut dyn FnMut(Chunk) -> bool) {
    let file = Arc::new(file);
    let failed = |file: &Arc<CorpusFile>, error: IngestError| Chunk {
        file: file.clone(),
        body: ChunkBody::Failed(error),
        bytes: file.size,
        last_of_file: true,
    };
    let open = |file: &Arc<CorpusFile>| {
        std::fs::File::open(&file.path)
            .map(BufReader::new)
            .map_err(|error| IngestError::new(&file.path, format!("cannot read: {error}")))
    };
    match file.format {
        Format::Seed | Format::Markdown | Format::Html | Format::Json => {
            emit(Chunk {
                file: file.clone(),
                body: ChunkBody::WholeFile,
                bytes: file.size,
                last_of_file: true,
            });
        }
        Format::Jsonl => {
            let reader = match open(&file) {
                Ok(reader) => reader,
                Err(error) => {
                    emit(failed(&file, error));
                    return;
                }
            };
            let mut n_lines = 0;
            let result = jsonl::split_lines(reader, max_chunk_bytes, &mut |lines, bytes, last| {
                n_lines += lines.len();
                emit(Chunk {
                    file: file.clone(),
                    body: ChunkBody::JsonLines(lines),
                    bytes,
                    last_of_file: last,
                })
            });
            if let Err(error) = result {
                emit(failed(
                    &file,
                    IngestError::new(
                        &file.path,
                        format!("cannot read after {n_lines} lines: {error}"),
                    ),
                ));
            }
        }
        Format::Csv => {
            let reader = match open(&file) {
                Ok(reader) => reader,
                Err(error) => {
                    emit(failed(&file, error));
                    return;
                }
            };
            let result = csv::split_rows(&file, reader, max_chunk_bytes, &mut |(
                headers,
                rows,
                bytes,
                last,
            )| {
                emit(Chunk {
                    file: file.clone(),
                    body: ChunkBody::CsvRows { headers, rows },
                    bytes,
                    last_of_file: last,
                })
            });
            if let Err(error) = result {
                emit(failed(&file, error));
            }
        }
    }
}

/// Parses a chunk into articles and per-record errors. Pure but for reading a whole file.
pub fn read_chunk(chunk: Chunk, map: &FieldMap) -> ChunkOutput {
    let mut output = ChunkOutput {
        file: chunk.file.clone(),
        articles: Vec::new(),
        seen_fields: 0,
        body: BodyCheck::default(),
        bytes: chunk.bytes,
        last_of_file: chunk.last_of_file,
        failed: false,
    };
    let file = &*chunk.file;
    match chunk.body {
        ChunkBody::Failed(error) => {
            output.failed = true;
            output.articles.push(Err(error));
        }
        ChunkBody::WholeFile => match read_whole_file(file, map) {
            Ok((articles, seen, body)) => {
                output.articles = articles;
                output.seen_fields = seen;
                output.body = body;
            }
            Err(error) => {
                output.failed = true;
                output.articles.push(Err(error));
            }
        },
        ChunkBody::JsonLines(lines) => {
            output.articles.reserve(lines.len());
            for line in &lines {
                let (article, seen) = jsonl::parse_line(file, line, map, &mut output.body);
                output.seen_fields |= seen;
                output.articles.push(article);
            }
        }
        ChunkBody::CsvRows { headers, rows } => {
            output.articles.reserve(rows.len());
            for row in rows {
                match row {
                    Ok(row) => {
                        let (article, seen) =
                            csv::parse_row(file, &headers, &row, map, &mut output.body);
                        output.seen_fields |= seen;
                        output.articles.push(article);
                    }
                    Err(error) => output.articles.push(Err(error)),
                }
            }
        }
    }
    output
}

/// Reads every article of one file, in order, with the errors of records that could not be
/// read. The build streams chunks instead; this is for tests and small tools.
pub fn read_file(file: &CorpusFile, map: &FieldMap) -> Vec<Result<Article, IngestError>> {
    let mut results = Vec::new();
    split_file(file.clone(), CHUNK_BYTES, &mut |chunk| {
        results.extend(read_chunk(chunk, map).articles);
        true
    });
    results
}

type FileArticles = (Vec<Result<Article, IngestError>>, u64, BodyCheck);

/// Parses the bytes of a file of a format that is read whole (seed, Markdown, HTML, JSON), as
/// read by the caller (the build hashes them before parsing, so the file is read once).
pub fn read_whole_bytes(file: &CorpusFile, bytes: Vec<u8>, map: &FieldMap) -> ChunkOutput {
    let mut output = ChunkOutput {
        file: Arc::new(file.clone()),
        articles: Vec::new(),
        seen_fields: 0,
        body: BodyCheck::default(),
        bytes: file.size,
        last_of_file: true,
        failed: false,
    };
    match parse_whole_file(file, bytes, map) {
        Ok((articles, seen, body)) => {
            output.articles = articles;
            output.seen_fields = seen;
            output.body = body;
        }
        Err(error) => {
            output.failed = true;
            output.articles.push(Err(error));
        }
    }
    output
}

/// Reads a file of a format that is parsed whole.
fn read_whole_file(file: &CorpusFile, map: &FieldMap) -> Result<FileArticles, IngestError> {
    let bytes = std::fs::read(&file.path)
        .map_err(|error| IngestError::new(&file.path, format!("cannot read: {error}")))?;
    parse_whole_file(file, bytes, map)
}

fn parse_whole_file(
    file: &CorpusFile,
    bytes: Vec<u8>,
    map: &FieldMap,
) -> Result<FileArticles, IngestError> {
    let (text, latin1) = decode_text(&file.path, bytes)?;
    let mut body = BodyCheck::default();
    let (mut articles, seen) = match file.format {
        Format::Seed => (vec![Ok(article_from_seed(file, &text))], 0),
        Format::Markdown => (vec![Ok(article_from_markdown(file, &text, map)?)], 0),
        Format::Html => (vec![Ok(article_from_html(file, &text))], 0),
        Format::Json => json::parse_json(file, &text, map, &mut body),
        // Streamed formats never come here; reading them whole is still correct.
        Format::Jsonl | Format::Csv => {
            let mut results = Vec::new();
            let mut seen = 0;
            split_file(file.clone(), CHUNK_BYTES, &mut |chunk| {
                let output = read_chunk(chunk, map);
                seen |= output.seen_fields;
                body.merge(output.body);
                results.extend(output.articles);
                true
            });
            (results, seen)
        }
    };
    for article in articles.iter_mut().flatten() {
        if latin1 {
            article.warnings.push(LATIN1_WARNING.to_string());
        }
    }
    if matches!(file.format, Format::Seed | Format::Markdown | Format::Html)
        && let Some(Ok(article)) = articles.first()
        && article.lead.is_empty()
        && article.sections.iter().all(|s| s.paragraphs.is_empty())
    {
        return Err(IngestError::new(&file.path, "no text to index"));
    }
    Ok((articles, seen, body))
}

fn article_from_html(file: &CorpusFile, text: &str) -> Article {
    let parts = html::parse_html(text);
    let mut warnings = Vec::new();
    let date = resolve_date(parts.date.as_deref(), &mut warnings);
    let title_repeats_text = parts.title.is_none();
    let title = parts
        .title
        .unwrap_or_else(|| title_from_lead(&parts.lead, &parts.sections));
    let mut categories = parts.categories;
    if categories.is_empty() {
        categories.extend(folder_category(&file.relative));
    }
    Article {
        id: file.relative.clone(),
        path: PathBuf::from(&file.relative),
        title,
        title_repeats_text,
        date,
        categories,
        url: None,
        source: parts.source,
        authors: parts.authors,
        language: parts.language,
        lead: parts.lead,
        sections: parts.sections,
        given_entities: Vec::new(),
        extras: Vec::new(),
        warnings,
    }
}

/// The first folder under the corpus root names the desk when the metadata has none.
pub fn folder_category(relative: &str) -> Option<String> {
    let (folder, _) = relative.split_once('/')?;
    // An absolute path (a file given to `inspect`) has no first folder.
    (!folder.is_empty()).then(|| folder.to_string())
}

fn resolve_date(
    raw: Option<&str>,
    warnings: &mut Vec<String>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    match raw {
        None => {
            warnings.push("no date: indexed undated".to_string());
            None
        }
        Some(raw) => match parse_date(raw) {
            Some(date) if is_storable(&date) => Some(date),
            Some(_) => {
                warnings.push(unstorable_warning(raw));
                None
            }
            None => {
                warnings.push(format!("malformed date `{raw}`: indexed undated"));
                None
            }
        },
    }
}

fn article_from_seed(file: &CorpusFile, text: &str) -> Article {
    let parts = seed::parse_seed(text);
    let mut warnings = Vec::new();
    let date = resolve_date(parts.date_text.as_deref(), &mut warnings);
    Article {
        id: file.relative.clone(),
        path: PathBuf::from(&file.relative),
        title: title_from_lead(&parts.lead, &parts.sections),
        title_repeats_text: true,
        date,
        categories: folder_category(&file.relative).into_iter().collect(),
        url: None,
        source: None,
        authors: Vec::new(),
        language: None,
        lead: parts.lead,
        sections: parts.sections,
        given_entities: Vec::new(),
        extras: Vec::new(),
        warnings,
    }
}

fn article_from_markdown(
    file: &CorpusFile,
    text: &str,
    map: &FieldMap,
) -> Result<Article, IngestError> {
    let parts =
        markdown::parse_markdown(text).map_err(|reason| IngestError::new(&file.path, reason))?;
    let mut warnings = Vec::new();
    let date = resolve_date(parts.front_matter.date.as_deref(), &mut warnings);
    let extras = record::extras_of(
        &parts.front_matter.all,
        map,
        record::ValueStyle::Json,
        &file.relative,
        &mut warnings,
    );
    let mut front = parts.front_matter;
    let given_title = front.title.take().or(parts.heading_title);
    let title_repeats_text = given_title.is_none();
    let title = given_title.unwrap_or_else(|| title_from_lead(&parts.lead, &parts.sections));
    let (lead, sections) = with_subtitle(front.subtitle, parts.lead, parts.sections);
    let source = source_or_host(front.source, front.url.as_deref());
    Ok(Article {
        id: file.relative.clone(),
        path: PathBuf::from(&file.relative),
        title,
        title_repeats_text,
        date,
        categories: if front.categories.is_empty() {
            folder_category(&file.relative).into_iter().collect()
        } else {
            front.categories
        },
        url: front.url,
        source,
        authors: front.authors,
        language: front.language,
        lead,
        sections,
        given_entities: Vec::new(),
        extras,
        warnings,
    })
}

/// Longest derived title, in characters, before it is cut at a word boundary.
const MAX_TITLE_CHARS: usize = 90;

/// Names an article that has no title: the lead's first sentence, cut to a readable length;
/// the first heading when there is no lead.
pub fn title_from_lead(lead: &str, sections: &[Section]) -> String {
    let source = if lead.trim().is_empty() {
        sections
            .iter()
            .find_map(|section| section.heading.as_deref())
            .unwrap_or("(untitled)")
    } else {
        lead
    };
    let first_sentence = crate::passage::sentences(source)
        .next()
        .unwrap_or(source)
        .trim();
    if first_sentence.chars().count() <= MAX_TITLE_CHARS {
        return first_sentence.trim_end_matches('.').to_string();
    }
    let mut title = String::new();
    for word in first_sentence.split_whitespace() {
        if title.chars().count() + word.chars().count() + 1 > MAX_TITLE_CHARS {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    title.trim_end_matches([',', ';', ':']).to_string() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_markdown_front_matter_maps_outlet_authors_language_subtitle_and_url() {
        let file = CorpusFile {
            path: "/c/a.md".into(),
            relative: "a.md".into(),
            format: Format::Markdown,
            size: 0,
            modified: None,
        };
        let text = "---\ntitle: Shells\nauthors: [Jane Doe, Ana Vučić]\nlang: sr\nsubtitle: Belgrade weighs its options.\nurl: https://www.balkaninsight.com/x\n---\nSerbia exports shells.\n\n## Outlook\n\nMore to come.\n";
        let article = article_from_markdown(&file, text, &FieldMap::default()).unwrap();
        assert_eq!(article.source.as_deref(), Some("balkaninsight.com"));
        assert_eq!(article.authors, ["Jane Doe", "Ana Vučić"]);
        assert_eq!(article.language.as_deref(), Some("sr"));
        assert_eq!(article.lead, "Belgrade weighs its options.");
        assert_eq!(article.sections[0].paragraphs, ["Serbia exports shells."]);
        assert_eq!(article.sections[1].heading.as_deref(), Some("Outlook"));
        assert_eq!(
            article.url.as_deref(),
            Some("https://www.balkaninsight.com/x")
        );
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(Format::from_path(Path::new("a/b.txt")), Some(Format::Seed));
        assert_eq!(
            Format::from_path(Path::new("a/b.MD")),
            Some(Format::Markdown)
        );
        assert_eq!(Format::from_path(Path::new("a/b.pdf")), None);
        assert_eq!(Format::from_path(Path::new("a/README")), None);
    }

    #[test]
    fn decode_rejects_empty_binary_and_invalid_utf8() {
        let path = Path::new("x.txt");
        assert_eq!(
            decode_text(path, b"  \n".to_vec()).unwrap_err().reason,
            "empty file"
        );
        assert!(
            decode_text(path, b"ab\0cd".to_vec())
                .unwrap_err()
                .reason
                .starts_with("binary")
        );
        let error = decode_text(path, b"Vu\xc4\x8di\xc4\x87\nline \xff two".to_vec()).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.reason.contains("UTF-8"));
        assert_eq!(
            decode_text(path, "Vučić".as_bytes().to_vec()).unwrap(),
            ("Vučić".to_string(), false)
        );
        assert_eq!(
            decode_text(path, b"line one\nline \xe9 two".to_vec()).unwrap(),
            ("line one\nline é two".to_string(), true)
        );
    }

    #[test]
    fn titles_come_from_the_first_sentence_of_the_lead() {
        assert_eq!(
            title_from_lead("Serbia builds shells. Nobody knows how many.", &[]),
            "Serbia builds shells"
        );
        let long = "In February, Ukrainian President Volodymyr Zelenskyy ignited a dialogue on potential joint arms production with Western Balkan countries, aiming high.";
        let title = title_from_lead(long, &[]);
        assert!(title.ends_with('…'));
        assert!(title.chars().count() <= MAX_TITLE_CHARS + 1);
        assert!(title.starts_with("In February, Ukrainian President"));
    }

    #[test]
    fn category_is_the_first_folder() {
        assert_eq!(
            folder_category("defence/001_x.txt").as_deref(),
            Some("defence")
        );
        assert_eq!(folder_category("001_x.txt"), None);
        assert_eq!(folder_category("/tmp/001_x.txt"), None);
    }
}
