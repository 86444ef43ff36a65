//! Bench stage: a search backend (the local index, or Quickwit over HTTP) + a query set (a file,
//! or a seeded mix drawn from a local index) -> latency percentiles per query class, with search
//! timed apart from fetching stored fields and making snippets, as a serde `BenchReport`. It
//! never prints and never changes the index; it measures warm latency only (the OS page cache,
//! or the Quickwit cluster's caches, are whatever the caller left).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument, Term};
use unicode_segmentation::UnicodeSegmentation;

use crate::analysis::analyse;
use crate::analysis::english_analyzer;
use crate::backend::{BackendError, SearchBackend};
use crate::error::IndexError;
use crate::facets::parse_entity_label;
use crate::search::{Filters, SearchRequest, Searcher};

/// The kind of a benchmark query: its shape, and the filter it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QueryClass {
    #[serde(rename = "term")]
    Term,
    #[serde(rename = "and")]
    And,
    #[serde(rename = "or")]
    Or,
    #[serde(rename = "phrase")]
    Phrase,
    #[serde(rename = "term+date")]
    TermDate,
    #[serde(rename = "and+date")]
    AndDate,
    #[serde(rename = "or+date")]
    OrDate,
    #[serde(rename = "phrase+date")]
    PhraseDate,
    #[serde(rename = "term+entity")]
    TermEntity,
    #[serde(rename = "and+entity")]
    AndEntity,
    #[serde(rename = "or+entity")]
    OrEntity,
    #[serde(rename = "phrase+entity")]
    PhraseEntity,
    /// A query from a file that fits none of the shapes above.
    #[serde(rename = "other")]
    Other,
}

/// The shape of a query, without its filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Term,
    And,
    Or,
    Phrase,
}

/// The filter a generated query carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FilterKind {
    None,
    Date,
    Entity,
}

impl QueryClass {
    /// The classes of the generated mix, in report order.
    pub const GENERATED: [QueryClass; 12] = [
        QueryClass::Term,
        QueryClass::And,
        QueryClass::Or,
        QueryClass::Phrase,
        QueryClass::TermDate,
        QueryClass::AndDate,
        QueryClass::OrDate,
        QueryClass::PhraseDate,
        QueryClass::TermEntity,
        QueryClass::AndEntity,
        QueryClass::OrEntity,
        QueryClass::PhraseEntity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            QueryClass::Term => "term",
            QueryClass::And => "and",
            QueryClass::Or => "or",
            QueryClass::Phrase => "phrase",
            QueryClass::TermDate => "term+date",
            QueryClass::AndDate => "and+date",
            QueryClass::OrDate => "or+date",
            QueryClass::PhraseDate => "phrase+date",
            QueryClass::TermEntity => "term+entity",
            QueryClass::AndEntity => "and+entity",
            QueryClass::OrEntity => "or+entity",
            QueryClass::PhraseEntity => "phrase+entity",
            QueryClass::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<QueryClass> {
        QueryClass::GENERATED
            .into_iter()
            .chain([QueryClass::Other])
            .find(|class| class.name() == name.trim())
    }

    fn parts(self) -> Option<(Shape, FilterKind)> {
        let shape = match self {
            QueryClass::Term | QueryClass::TermDate | QueryClass::TermEntity => Shape::Term,
            QueryClass::And | QueryClass::AndDate | QueryClass::AndEntity => Shape::And,
            QueryClass::Or | QueryClass::OrDate | QueryClass::OrEntity => Shape::Or,
            QueryClass::Phrase | QueryClass::PhraseDate | QueryClass::PhraseEntity => Shape::Phrase,
            QueryClass::Other => return None,
        };
        let filter = match self {
            QueryClass::TermDate
            | QueryClass::AndDate
            | QueryClass::OrDate
            | QueryClass::PhraseDate => FilterKind::Date,
            QueryClass::TermEntity
            | QueryClass::AndEntity
            | QueryClass::OrEntity
            | QueryClass::PhraseEntity => FilterKind::Entity,
            _ => FilterKind::None,
        };
        Some((shape, filter))
    }

    /// Names the shape of a query from a file that gives no class.
    pub fn classify(query: &str) -> QueryClass {
        let query = query.trim();
        let words: Vec<&str> = query.split_whitespace().collect();
        let bare = |word: &str| word.chars().all(|c| c.is_alphanumeric() || c == '-');
        if words.len() == 1 && bare(words[0]) {
            return QueryClass::Term;
        }
        let inner = query
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'));
        if let Some(inner) = inner
            && !inner.contains('"')
            && inner.split_whitespace().all(bare)
        {
            return QueryClass::Phrase;
        }
        let is_operand = |word: &str| bare(word.trim_start_matches('+'));
        if words.len() == 3 && words[1] == "AND" && is_operand(words[0]) && is_operand(words[2]) {
            return QueryClass::And;
        }
        if words.len() > 1 && words.iter().all(|w| w.starts_with('+') && bare(&w[1..])) {
            return QueryClass::And;
        }
        if words.len() == 3 && words[1] == "OR" && bare(words[0]) && bare(words[2]) {
            return QueryClass::Or;
        }
        QueryClass::Other
    }
}

impl std::fmt::Display for QueryClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One query of the set, kept small so that a million of them fit in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchQuery {
    pub class: QueryClass,
    pub query: Box<str>,
    pub filters: Option<Box<Filters>>,
}

impl BenchQuery {
    pub fn request(&self) -> SearchRequest {
        let mut request = SearchRequest::new(self.query.to_string());
        if let Some(filters) = &self.filters {
            request.filters = (**filters).clone();
        }
        request
    }
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("`{path}`: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` holds no query that can be run ({skipped} skipped)", path = .path.display())]
    NoQueries { path: PathBuf, skipped: usize },
    #[error(
        "the index at `{path}` holds no passages yet{building}; build it with `newsdex index build CORPUS --index {path}`",
        path = .path.display(),
        building = if *.building { " (an index build is running: wait for it to commit)" } else { "" }
    )]
    EmptyIndex { path: PathBuf, building: bool },
    #[error(
        "{name} holds no searchable passages yet; build it with `newsdex index build CORPUS --backend quickwit` (Quickwit makes new passages searchable after its commit timeout)"
    )]
    EmptyQuickwit { name: String },
    #[error(
        "the seeded query mix is drawn from a local index: with --backend quickwit pass --queries FILE, or --index DIR to draw the mix from a local index of the same corpus"
    )]
    NoQuerySource,
    #[error("could not draw any query of class {class} from the index; pass --queries FILE")]
    NoGeneratedQueries { class: QueryClass },
    #[error("--threads must be at least 1")]
    NoThreads,
    #[error("--rounds must be at least 1")]
    NoRounds,
    #[error("query `{query}` failed: {source}")]
    Query {
        query: String,
        #[source]
        source: BackendError,
    },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("a benchmark thread stopped unexpectedly")]
    ThreadPanicked,
}

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

/// True while an index writer holds the index (a build is running). It probes tantivy's writer
/// lock (an OS file lock) and lets go of it at once.
pub fn build_in_progress(index: &Path) -> bool {
    use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
    let Ok(directory) = MmapDirectory::open(index) else {
        return false;
    };
    matches!(
        directory.acquire_lock(&INDEX_WRITER_LOCK),
        Err(tantivy::directory::error::LockError::LockBusy)
    )
}

/// A word of a stored passage with its single analysed token and document frequency.
struct Word {
    surface: String,
    doc_freq: u64,
}

/// Draws a realistic query mix from the index itself: words of mid document frequency taken
/// from stored passages, pairs of words that occur together, phrases of adjacent words, and the
/// same with a date window around the passage's date or an entity the passage mentions. The same
/// index and seed give the same queries.
pub fn generate_queries(
    searcher: &Searcher,
    per_class: usize,
    seed: u64,
) -> Result<Vec<BenchQuery>, BenchError> {
    let handle = searcher.handle();
    let fields = handle.fields;
    let tantivy_error = |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    };
    let reader = handle.index.reader().map_err(tantivy_error)?;
    let index_searcher = reader.searcher();
    let n_docs = index_searcher.num_docs();
    if n_docs == 0 {
        return Err(BenchError::EmptyIndex {
            path: handle.path.clone(),
            building: build_in_progress(&handle.path),
        });
    }
    // Mid document frequency: neither rare names nor near-stop words.
    let low = (n_docs / 10_000).max(2);
    // (A small index gets a band of at least 20 passages: there every word of a title is on
    // every passage of its article.)
    let high = (n_docs / 50).max(low * 4).max(20);
    let is_mid = |doc_freq: u64| (low..=high).contains(&doc_freq);

    let segments: Vec<(u32, u32)> = index_searcher
        .segment_readers()
        .iter()
        .enumerate()
        .map(|(ord, segment)| (ord as u32, segment.max_doc()))
        .filter(|(_, max_doc)| *max_doc > 0)
        .collect();
    let total_max_doc: u64 = segments
        .iter()
        .map(|(_, max_doc)| u64::from(*max_doc))
        .sum();

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut analyzer = english_analyzer();
    let mut by_class: BTreeMap<QueryClass, Vec<BenchQuery>> = BTreeMap::new();
    let mut next_class = 0;
    let max_attempts = per_class * QueryClass::GENERATED.len() * 40 + 1000;
    for _ in 0..max_attempts {
        let unfilled: Vec<QueryClass> = QueryClass::GENERATED
            .into_iter()
            .filter(|class| by_class.get(class).map_or(0, Vec::len) < per_class)
            .collect();
        if unfilled.is_empty() {
            break;
        }
        let class = unfilled[next_class % unfilled.len()];
        // Pick a document uniformly over all segments, skipping deleted ones.
        let mut pick = rng.random_range(0..total_max_doc);
        let mut address = None;
        for (ord, max_doc) in &segments {
            if pick < u64::from(*max_doc) {
                address = Some(DocAddress::new(*ord, pick as u32));
                break;
            }
            pick -= u64::from(*max_doc);
        }
        let Some(address) = address else { continue };
        let segment = index_searcher.segment_reader(address.segment_ord);
        if segment.is_deleted(address.doc_id) {
            continue;
        }
        let document: TantivyDocument = index_searcher.doc(address).map_err(tantivy_error)?;
        let text = document
            .get_first(fields.text)
            .and_then(|value| value.as_str())
            .unwrap_or_default();
        let mut words = Vec::new();
        for surface in text.unicode_words() {
            if surface.chars().count() < 3 || !surface.chars().all(char::is_alphabetic) {
                words.push(None);
                continue;
            }
            let tokens = analyse(&mut analyzer, surface);
            let word = match tokens.as_slice() {
                [token] => {
                    let term = Term::from_field_text(fields.all, token);
                    let doc_freq = index_searcher.doc_freq(&term).map_err(tantivy_error)?;
                    Some(Word {
                        surface: surface.to_lowercase(),
                        doc_freq,
                    })
                }
                _ => None,
            };
            words.push(word);
        }
        let Some((shape, filter)) = class.parts() else {
            continue;
        };
        let query = match shape {
            Shape::Term => pick_word(&mut rng, &words, &is_mid).map(|word| word.surface.clone()),
            Shape::And | Shape::Or => {
                let first = pick_word(&mut rng, &words, &is_mid);
                let second = pick_word(&mut rng, &words, &|doc_freq| doc_freq >= 2);
                match (first, second) {
                    (Some(first), Some(second)) if first.surface != second.surface => {
                        Some(if shape == Shape::And {
                            format!("+{} +{}", first.surface, second.surface)
                        } else {
                            format!("{} OR {}", first.surface, second.surface)
                        })
                    }
                    _ => None,
                }
            }
            Shape::Phrase => pick_phrase(&mut rng, &words, &is_mid),
        };
        let Some(query) = query else { continue };
        let filters = match filter {
            FilterKind::None => None,
            FilterKind::Date => document
                .get_first(fields.date)
                .and_then(|value| value.as_datetime())
                .and_then(|date| DateTime::<Utc>::from_timestamp(date.into_timestamp_secs(), 0))
                .map(|date| Filters {
                    since: Some(date - chrono::Duration::days(182)),
                    until: Some(date + chrono::Duration::days(182)),
                    ..Filters::default()
                }),
            FilterKind::Entity => {
                let labels: Vec<&str> =
                    crate::index::stored_entity_labels(&fields, &document).collect();
                if labels.is_empty() {
                    None
                } else {
                    parse_entity_label(labels[rng.random_range(0..labels.len())]).map(|entity| {
                        Filters {
                            // The entity of that label alone (`=`), as the index holds it.
                            entities: vec![format!("={}", entity.name)],
                            ..Filters::default()
                        }
                    })
                }
            }
        };
        if filter != FilterKind::None && filters.is_none() {
            continue;
        }
        next_class += 1;
        by_class.entry(class).or_default().push(BenchQuery {
            class,
            query: query.into(),
            filters: filters.map(Box::new),
        });
    }
    for class in QueryClass::GENERATED {
        if by_class.get(&class).is_none_or(Vec::is_empty) {
            return Err(BenchError::NoGeneratedQueries { class });
        }
    }
    // Interleave the classes, so that no class runs only on a cold or only on a warm cache.
    let mut queries = Vec::new();
    let longest = by_class.values().map(Vec::len).max().unwrap_or(0);
    for idx in 0..longest {
        for class in QueryClass::GENERATED {
            if let Some(query) = by_class.get(&class).and_then(|queries| queries.get(idx)) {
                queries.push(query.clone());
            }
        }
    }
    Ok(queries)
}

fn pick_word<'a>(
    rng: &mut ChaCha8Rng,
    words: &'a [Option<Word>],
    accept: &dyn Fn(u64) -> bool,
) -> Option<&'a Word> {
    let candidates: Vec<&Word> = words
        .iter()
        .flatten()
        .filter(|word| accept(word.doc_freq))
        .collect();
    (!candidates.is_empty()).then(|| candidates[rng.random_range(0..candidates.len())])
}

/// Two adjacent words of a passage, at least one of mid frequency, as a quoted phrase.
fn pick_phrase(
    rng: &mut ChaCha8Rng,
    words: &[Option<Word>],
    is_mid: &dyn Fn(u64) -> bool,
) -> Option<String> {
    let pairs: Vec<(&Word, &Word)> = words
        .windows(2)
        .filter_map(|pair| match pair {
            [Some(first), Some(second)] => Some((first, second)),
            _ => None,
        })
        .filter(|(first, second)| is_mid(first.doc_freq) || is_mid(second.doc_freq))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let (first, second) = pairs[rng.random_range(0..pairs.len())];
    Some(format!("\"{} {}\"", first.surface, second.surface))
}

/// Latency figures of one set of samples, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub count: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Queries per second: for one class, `threads / mean`; for all queries, the queries run
    /// divided by the wall-clock time of the measured rounds.
    pub qps: f64,
}

/// The value at percentile `percent` (0-100] of sorted samples, by the nearest-rank method: the
/// smallest sample that at least `percent`% of the samples are less than or equal to.
pub fn percentile(sorted: &[u64], percent: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Figures of samples in nanoseconds; `qps` is `threads / mean` until the caller sets it.
pub fn stats(samples_ns: &mut [u64], threads: usize) -> Stats {
    samples_ns.sort_unstable();
    let us = |ns: Option<u64>| ns.map_or(0.0, |ns| ns as f64 / 1000.0);
    let count = samples_ns.len();
    let mean_us = if count == 0 {
        0.0
    } else {
        samples_ns.iter().map(|&ns| ns as f64).sum::<f64>() / count as f64 / 1000.0
    };
    Stats {
        count,
        p50_us: us(percentile(samples_ns, 50.0)),
        p90_us: us(percentile(samples_ns, 90.0)),
        p99_us: us(percentile(samples_ns, 99.0)),
        max_us: us(samples_ns.last().copied()),
        mean_us,
        qps: if mean_us > 0.0 {
            threads as f64 * 1e6 / mean_us
        } else {
            0.0
        },
    }
}

/// The figures of one class (or of all queries): the top-level figures are the whole request
/// (search, fetch and snippets); `search` is finding the top 10, `fetch` the stored fields and
/// snippets of those 10.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    #[serde(flatten)]
    pub total: Stats,
    pub search: Stats,
    pub fetch: Stats,
    /// Mean number of matching passages per query, as the searcher counted them.
    pub mean_matches: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub newsdex_version: String,
    /// The index directory, or `URL index ID` with `--backend quickwit`.
    pub index: String,
    pub passages: u64,
    /// tantivy segments, or Quickwit's published splits.
    pub segments: usize,
    /// `generated` (drawn from the index with `seed`) or the query file's path.
    pub queries_from: String,
    pub seed: Option<u64>,
    pub queries: usize,
    pub skipped_queries: usize,
    pub warmup: usize,
    pub rounds: usize,
    pub threads: usize,
    pub wall_seconds: f64,
    pub classes: BTreeMap<QueryClass, ClassReport>,
    pub all: ClassReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    pub warmup: usize,
    pub rounds: usize,
    pub threads: usize,
}

/// One timed run of one query.
#[derive(Debug, Clone, Copy)]
struct Sample {
    class: QueryClass,
    total_ns: u64,
    search_ns: u64,
    fetch_ns: u64,
    matches: usize,
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Runs `rounds` passes over the queries on `threads` threads, each thread taking the next
/// query from a shared counter, and returns every sample.
fn run_passes(
    backend: &dyn SearchBackend,
    queries: &[BenchQuery],
    rounds: usize,
    threads: usize,
) -> Result<Vec<Sample>, BenchError> {
    let n_jobs = queries.len() * rounds;
    let next_job = AtomicUsize::new(0);
    let worker = || -> Result<Vec<Sample>, BenchError> {
        let mut samples = Vec::with_capacity(n_jobs / threads + 1);
        loop {
            let job = next_job.fetch_add(1, Ordering::Relaxed);
            if job >= n_jobs {
                return Ok(samples);
            }
            let query = &queries[job % queries.len()];
            let request = query.request();
            let started = Instant::now();
            let results = backend
                .search(&request)
                .map_err(|source| BenchError::Query {
                    query: query.query.to_string(),
                    source,
                })?;
            let total = started.elapsed();
            samples.push(Sample {
                class: query.class,
                total_ns: nanos(total),
                search_ns: nanos(results.search_time),
                fetch_ns: nanos(results.fetch_time),
                // The search counts every match only when asked; otherwise this is the hits.
                matches: results
                    .total
                    .map_or(results.hits.len(), |total| total as usize),
            });
        }
    };
    if threads == 1 {
        return worker();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
        let mut samples = Vec::with_capacity(n_jobs);
        for handle in handles {
            let mut thread_samples = handle.join().map_err(|_| BenchError::ThreadPanicked)??;
            samples.append(&mut thread_samples);
        }
        Ok(samples)
    })
}

fn class_report(samples: &[&Sample], threads: usize) -> ClassReport {
    let mut total: Vec<u64> = samples.iter().map(|sample| sample.total_ns).collect();
    let mut search: Vec<u64> = samples.iter().map(|sample| sample.search_ns).collect();
    let mut fetch: Vec<u64> = samples.iter().map(|sample| sample.fetch_ns).collect();
    let matches: usize = samples.iter().map(|sample| sample.matches).sum();
    ClassReport {
        total: stats(&mut total, threads),
        search: stats(&mut search, threads),
        fetch: stats(&mut fetch, threads),
        mean_matches: matches as f64 / samples.len().max(1) as f64,
    }
}

/// Where the queries came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySource {
    Generated { seed: u64 },
    File { path: PathBuf, skipped: usize },
}

/// Warms up, measures, and reports.
pub fn run_bench(
    backend: &dyn SearchBackend,
    queries: &[BenchQuery],
    source: &QuerySource,
    options: RunOptions,
) -> Result<BenchReport, BenchError> {
    if options.threads == 0 {
        return Err(BenchError::NoThreads);
    }
    if options.rounds == 0 {
        return Err(BenchError::NoRounds);
    }
    let info = backend.describe()?;
    if info.passages == 0 {
        return Err(match info.local_path {
            Some(path) => BenchError::EmptyIndex {
                building: build_in_progress(&path),
                path,
            },
            None => BenchError::EmptyQuickwit { name: info.name },
        });
    }
    run_passes(backend, queries, options.warmup, options.threads)?;
    let started = Instant::now();
    let samples = run_passes(backend, queries, options.rounds, options.threads)?;
    let wall_seconds = started.elapsed().as_secs_f64();

    let mut by_class: BTreeMap<QueryClass, Vec<&Sample>> = BTreeMap::new();
    for sample in &samples {
        by_class.entry(sample.class).or_default().push(sample);
    }
    let classes = by_class
        .into_iter()
        .map(|(class, samples)| (class, class_report(&samples, options.threads)))
        .collect();
    let mut all = class_report(&samples.iter().collect::<Vec<_>>(), options.threads);
    all.total.qps = samples.len() as f64 / wall_seconds.max(1e-9);
    let (queries_from, seed, skipped_queries) = match source {
        QuerySource::Generated { seed } => ("generated".to_string(), Some(*seed), 0),
        QuerySource::File { path, skipped } => (path.display().to_string(), None, *skipped),
    };
    Ok(BenchReport {
        newsdex_version: env!("CARGO_PKG_VERSION").to_string(),
        index: info.name,
        passages: info.passages,
        segments: info.segments,
        queries_from,
        seed,
        queries: queries.len(),
        skipped_queries,
        warmup: options.warmup,
        rounds: options.rounds,
        threads: options.threads,
        wall_seconds,
        classes,
        all,
    })
}

/// One figure of a report beside the same figure of a baseline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// A class name, or `all`.
    pub class: String,
    /// `total`, `search` or `fetch`.
    pub part: &'static str,
    pub figure: &'static str,
    pub baseline: f64,
    pub current: f64,
    /// `current / baseline`: below 1 is faster for latencies, slower for `qps`.
    pub ratio: f64,
}

fn stats_figures(stats: &Stats) -> [(&'static str, f64); 6] {
    [
        ("p50_us", stats.p50_us),
        ("p90_us", stats.p90_us),
        ("p99_us", stats.p99_us),
        ("max_us", stats.max_us),
        ("mean_us", stats.mean_us),
        ("qps", stats.qps),
    ]
}

/// Every figure of `current` that `baseline` also has, with its ratio to the baseline.
pub fn compare(current: &BenchReport, baseline: &BenchReport) -> Vec<Ratio> {
    let mut pairs: Vec<(String, &ClassReport, &ClassReport)> = current
        .classes
        .iter()
        .filter_map(|(class, report)| {
            baseline
                .classes
                .get(class)
                .map(|base| (class.name().to_string(), report, base))
        })
        .collect();
    pairs.push(("all".to_string(), &current.all, &baseline.all));
    let mut ratios = Vec::new();
    for (class, report, base) in pairs {
        for (part, now, then) in [
            ("total", &report.total, &base.total),
            ("search", &report.search, &base.search),
            ("fetch", &report.fetch, &base.fetch),
        ] {
            for ((figure, current), (_, baseline)) in
                stats_figures(now).into_iter().zip(stats_figures(then))
            {
                ratios.push(Ratio {
                    class: class.clone(),
                    part,
                    figure,
                    baseline,
                    current,
                    ratio: if baseline > 0.0 {
                        current / baseline
                    } else {
                        f64::NAN
                    },
                });
            }
        }
    }
    ratios
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50));
        assert_eq!(percentile(&sorted, 90.0), Some(90));
        assert_eq!(percentile(&sorted, 99.0), Some(99));
        assert_eq!(percentile(&sorted, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4], 51.0), Some(3));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn stats_sort_samples_and_convert_to_microseconds() {
        let mut samples = vec![4_000, 1_000, 3_000, 2_000, 10_000];
        let figures = stats(&mut samples, 2);
        assert_eq!(figures.count, 5);
        assert_eq!(figures.p50_us, 3.0);
        assert_eq!(figures.p90_us, 10.0);
        assert_eq!(figures.max_us, 10.0);
        assert_eq!(figures.mean_us, 4.0);
        assert_eq!(figures.qps, 500_000.0);
        let empty = stats(&mut [], 1);
        assert_eq!((empty.count, empty.p50_us, empty.qps), (0, 0.0, 0.0));
    }

    fn check_line(line: &str, expected: Result<Option<(Option<QueryClass>, &str)>, &str>) {
        let parsed = parse_query_line(line).map(|parsed| match parsed {
            QueryLine::Nothing => None,
            QueryLine::Query { class, query } => Some((class, query)),
        });
        match expected {
            Ok(expected) => assert_eq!(parsed, Ok(expected), "{line:?}"),
            Err(fragment) => {
                let error = parsed.unwrap_err();
                assert!(error.contains(fragment), "{line:?}: {error}");
            }
        }
    }

    #[test]
    fn query_lines_take_an_optional_class_and_skip_comments() {
        check_line("", Ok(None));
        check_line("   \r\n", Ok(None));
        check_line("# a comment", Ok(None));
        check_line("  # indented comment", Ok(None));
        check_line("serbia\n", Ok(Some((None, "serbia"))));
        check_line(
            "phrase\t\"third countries\"",
            Ok(Some((Some(QueryClass::Phrase), "\"third countries\""))),
        );
        check_line(
            "and+date\t+gas +prices",
            Ok(Some((Some(QueryClass::AndDate), "+gas +prices"))),
        );
        check_line("colour\tred", Err("unknown class `colour`"));
        check_line("term\t   ", Err("no query after the class"));
    }

    #[test]
    fn unlabelled_queries_are_classified_by_shape() {
        let check = |query, class| assert_eq!(QueryClass::classify(query), class, "{query}");
        check("serbia", QueryClass::Term);
        check("\"third countries\"", QueryClass::Phrase);
        check("+gas +prices", QueryClass::And);
        check("gas AND prices", QueryClass::And);
        check("gas OR prices", QueryClass::Or);
        check("gas prices -oil", QueryClass::Other);
        check("title:gas", QueryClass::Other);
    }

    #[test]
    fn class_names_round_trip() {
        for class in QueryClass::GENERATED.into_iter().chain([QueryClass::Other]) {
            assert_eq!(QueryClass::parse(class.name()), Some(class));
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.name()));
        }
    }

    /// An in-memory index of `n_articles` dated articles made of a small vocabulary, so that
    /// words of every frequency, adjacent pairs, dates and entities are there to draw from.
    fn searcher(n_articles: usize) -> Searcher {
        use crate::extract::entities::EntityExtractor;
        use crate::index::{create_in_ram, passage_document};
        use crate::model::{Article, Passage};
        use chrono::TimeZone;

        const SYLLABLES: &[&str] = &["ka", "lo", "mi", "ter", "sun", "bra", "vel", "dor"];
        const PLACES: &[&str] = &["Serbia", "Germany", "France", "Poland", "Ukraine"];
        let handle = create_in_ram();
        let extractor = EntityExtractor::builtin();
        let mut writer = handle.index.writer(50_000_000).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for article_idx in 0..n_articles {
            let article = Article {
                id: format!("a{article_idx}"),
                path: format!("a{article_idx}.txt").into(),
                title: "News".into(),
                date: Utc
                    .with_ymd_and_hms(2000 + (article_idx % 20) as i32, 3, 1, 0, 0, 0)
                    .single(),
                ..Article::default()
            };
            for ordinal in 0..3 {
                // Three-syllable words drawn with a skew, so that some are common and most rare.
                let mut words: Vec<String> = (0..12)
                    .map(|_| {
                        let skewed = rng.random::<f64>().powi(3);
                        let idx = (skewed * 512.0) as usize;
                        [idx % 8, idx / 8 % 8, idx / 64]
                            .iter()
                            .map(|syllable| SYLLABLES[*syllable])
                            .collect()
                    })
                    .collect();
                words.push(PLACES[rng.random_range(0..PLACES.len())].to_string());
                let text = words.join(" ") + ".";
                let passage = Passage {
                    article_id: article.id.clone(),
                    ordinal,
                    section: None,
                    entities: extractor.extract(&text),
                    text,
                };
                writer
                    .add_document(passage_document(&handle.fields, &article, &passage))
                    .unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = Searcher::new(handle, extractor).unwrap();
        searcher.reload().unwrap();
        searcher
    }

    #[test]
    fn the_generated_mix_is_seeded_and_covers_every_class() {
        let searcher = searcher(60);
        let first = generate_queries(&searcher, 5, 11).unwrap();
        assert_eq!(first, generate_queries(&searcher, 5, 11).unwrap());
        assert_ne!(first, generate_queries(&searcher, 5, 12).unwrap());
        for class in QueryClass::GENERATED {
            let of_class: Vec<_> = first.iter().filter(|query| query.class == class).collect();
            assert_eq!(of_class.len(), 5, "{class}");
            for query in of_class {
                // The text has the class's shape, and the filter matches the class.
                assert_eq!(
                    QueryClass::classify(&query.query),
                    class
                        .parts()
                        .map_or(QueryClass::Other, |(shape, _)| match shape {
                            Shape::Term => QueryClass::Term,
                            Shape::And => QueryClass::And,
                            Shape::Or => QueryClass::Or,
                            Shape::Phrase => QueryClass::Phrase,
                        }),
                    "{}",
                    query.query
                );
                let filters = query.filters.as_deref();
                match class.parts().map(|(_, filter)| filter) {
                    Some(FilterKind::Date) => assert!(filters.unwrap().since.is_some()),
                    Some(FilterKind::Entity) => assert_eq!(filters.unwrap().entities.len(), 1),
                    _ => assert!(filters.is_none()),
                }
                // Drawn from stored passages, every query finds something.
                let results = searcher.search(&query.request()).unwrap();
                assert!(
                    !results.hits.is_empty(),
                    "{} {:?}",
                    query.query,
                    query.filters
                );
            }
        }
    }

    #[test]
    fn a_run_reports_every_class_on_several_threads() {
        let searcher = searcher(30);
        let queries = generate_queries(&searcher, 3, 5).unwrap();
        let options = RunOptions {
            warmup: 1,
            rounds: 2,
            threads: 3,
        };
        let report = run_bench(
            &searcher,
            &queries,
            &QuerySource::Generated { seed: 5 },
            options,
        )
        .unwrap();
        assert_eq!(report.classes.len(), 12);
        assert_eq!(report.all.total.count, queries.len() * 2);
        for figures in report.classes.values() {
            assert_eq!(figures.total.count, 6);
            assert!(figures.total.p50_us <= figures.total.p99_us);
            assert!(figures.total.p99_us <= figures.total.max_us);
            assert!(figures.search.p50_us <= figures.total.max_us);
        }
        let ratios = compare(&report, &report);
        assert_eq!(ratios.len(), 13 * 3 * 6);
        assert!(
            ratios
                .iter()
                .all(|ratio| ratio.ratio == 1.0 || ratio.baseline == 0.0)
        );
        let no_threads = RunOptions {
            threads: 0,
            ..options
        };
        assert!(matches!(
            run_bench(
                &searcher,
                &queries,
                &QuerySource::Generated { seed: 5 },
                no_threads
            ),
            Err(BenchError::NoThreads)
        ));
    }

    #[test]
    fn an_empty_index_is_refused_with_a_message() {
        use crate::extract::entities::EntityExtractor;
        let searcher =
            Searcher::new(crate::index::create_in_ram(), EntityExtractor::builtin()).unwrap();
        let error = generate_queries(&searcher, 3, 1).unwrap_err();
        assert!(error.to_string().contains("holds no passages"), "{error}");
    }

    #[test]
    fn query_files_skip_bad_lines_with_their_numbers() {
        let searcher = searcher(5);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queries.txt");
        let mut text =
            b"# comment\n\ngrain\nphrase\t\"grain prices\"\n(unclosed\nbad\tclass\n".to_vec();
        text.extend_from_slice(b"\xff\xfe\n");
        text.extend_from_slice(b"+grain +prices\n");
        std::fs::write(&path, text).unwrap();
        let mut skipped = Vec::new();
        let (queries, n_skipped) =
            read_query_file(&path, &searcher, &mut |line| skipped.push(line.clone())).unwrap();
        let found: Vec<_> = queries.iter().map(|q| (q.class, &*q.query)).collect();
        assert_eq!(
            found,
            [
                (QueryClass::Term, "grain"),
                (QueryClass::Phrase, "\"grain prices\""),
                (QueryClass::And, "+grain +prices"),
            ]
        );
        assert_eq!(n_skipped, 3);
        let lines: Vec<usize> = skipped.iter().map(|s| s.line).collect();
        assert_eq!(lines, [5, 6, 7]);
        assert!(
            skipped[0].reason.contains("never closed"),
            "{:?}",
            skipped[0]
        );
        assert!(skipped[2].reason.contains("UTF-8"));

        std::fs::write(&path, "# only a comment\n(\n").unwrap();
        let error = read_query_file(&path, &searcher, &mut |_| {}).unwrap_err();
        assert!(error.to_string().contains("holds no query"), "{error}");
    }
}
