//! Scale corpus stage: a Reuters-21578 JSONL file -> a folder of seed-format `.txt` articles
//! with as many passages as asked, made of the real sentences, with dates, section headings and
//! place names spread realistically and reproducibly from a seed. It does not index anything and
//! does not try to make the articles read as coherent stories.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::passage::sentences;

/// Articles per folder at most, so that no folder holds too many files.
pub const FILES_PER_FOLDER: usize = 1000;
/// The first and last year of the synthetic dates.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2025;
/// Each year holds this many times as many articles as the year before: archives grow.
const YEARLY_GROWTH: f64 = 1.12;
/// A paragraph stops growing past this many words, so that it stays one passage.
const MAX_PARAGRAPH_WORDS: usize = 150;

/// Generic headings of news sections; place and topic headings are made from the source labels.
const HEADINGS: &[&str] = &[
    "Background",
    "Market Reaction",
    "Outlook",
    "What Happens Next",
    "Analysts' View",
    "Prices and Supply",
    "Official Figures",
    "Trade Talks",
    "The Policy Debate",
    "Earlier Estimates",
    "Regional Picture",
    "Reaction Abroad",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    /// Passages to write, at least (the last article may go a few over).
    pub passages: usize,
    pub from: PathBuf,
    pub seed: u64,
    pub out: PathBuf,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SynthReport {
    pub articles: usize,
    pub passages: usize,
    pub bytes: u64,
    /// Records of the source that had a body and gave sentences.
    pub source_records: usize,
    pub source_sentences: usize,
}

/// Why a scale corpus could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("`{path}`: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}`:{line}: not a Reuters JSON record: {source}", path = .path.display())]
    Record {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{path}` holds no record with a body to take sentences from", path = .0.display())]
    NoSentences(PathBuf),
    #[error("`{path}` exists and is not empty; choose a new folder with --out", path = .0.display())]
    OutNotEmpty(PathBuf),
    #[error("--passages must be at least 1")]
    NoPassages,
}

/// The fields of a Reuters record that synth reads.
#[derive(Debug, Deserialize)]
struct Record {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    places: Vec<String>,
}

/// What the source gives: sentences in reading order, and the vocabularies to draw from.
#[derive(Debug, Default)]
pub struct Source {
    /// Sentences in the order they came, so that runs of neighbours read like a story.
    sentences: Vec<String>,
    /// Title-cased story titles, usable as headings.
    titles: Vec<String>,
    /// Topic labels with how often they occur (desk folders).
    topics: Vec<(String, usize)>,
    /// Place labels as names ("West Germany") with how often they occur.
    places: Vec<(String, usize)>,
    records: usize,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the Reuters JSONL file, line by line.
pub fn read_source(path: &Path) -> Result<Source, SynthError> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut source = Source::default();
    let mut topic_counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut place_counts: BTreeMap<String, usize> = BTreeMap::new();
    for (idx, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_error(path))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record = serde_json::from_str(&line).map_err(|source| SynthError::Record {
            path: path.to_path_buf(),
            line: idx + 1,
            source,
        })?;
        let n_before = source.sentences.len();
        for paragraph in record.body.split("\n\n") {
            let paragraph = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            // Reuters ends stories with a bare sign-off word.
            if paragraph.is_empty() || paragraph.eq_ignore_ascii_case("reuter") {
                continue;
            }
            for sentence in sentences(&paragraph) {
                let sentence = sentence.trim();
                if sentence.split_whitespace().count() >= 4 {
                    source.sentences.push(finish_sentence(sentence));
                }
            }
        }
        if source.sentences.len() == n_before {
            continue;
        }
        source.records += 1;
        if let Some(heading) = heading_from_title(&record.title) {
            source.titles.push(heading);
        }
        for topic in record.topics {
            *topic_counts.entry(topic).or_default() += 1;
        }
        for place in record.places {
            *place_counts.entry(place_name(&place)).or_default() += 1;
        }
    }
    if source.sentences.is_empty() {
        return Err(SynthError::NoSentences(path.to_path_buf()));
    }
    source.topics = topic_counts.into_iter().collect();
    source.places = place_counts.into_iter().collect();
    Ok(source)
}

/// Ends a sentence with a full stop when it has no closing punctuation, so that a short one is
/// never read back as a heading.
fn finish_sentence(sentence: &str) -> String {
    let mut sentence = sentence.to_string();
    if !sentence.ends_with(['.', '!', '?', '"', ')']) {
        sentence.push('.');
    }
    sentence
}

/// `west-germany` -> `West Germany`.
pub fn place_name(label: &str) -> String {
    label
        .split('-')
        .filter(|word| !word.is_empty())
        .map(capitalise)
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalise(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `BAHIA COCOA REVIEW` -> `Bahia Cocoa Review`; `None` when it cannot be a heading.
pub fn heading_from_title(title: &str) -> Option<String> {
    let words: Vec<String> = title
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|word| !word.is_empty())
        .map(capitalise)
        .collect();
    (2..=10).contains(&words.len()).then(|| words.join(" "))
}

/// Draws labels in proportion to how often the source uses them.
struct Weighted<'a> {
    labels: &'a [(String, usize)],
    index: Option<WeightedIndex<usize>>,
}

impl<'a> Weighted<'a> {
    fn new(labels: &'a [(String, usize)]) -> Weighted<'a> {
        let index = WeightedIndex::new(labels.iter().map(|(_, count)| *count)).ok();
        Weighted { labels, index }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Option<&'a str> {
        let index = self.index.as_ref()?;
        Some(self.labels[index.sample(rng)].0.as_str())
    }
}

/// Folder-safe form of a topic label.
fn folder_name(topic: &str) -> String {
    let name: String = topic
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if name.is_empty() {
        "general".to_string()
    } else {
        name
    }
}

/// One synthetic article as seed-format text, with the number of passages it holds.
struct Written {
    text: String,
    passages: usize,
}

struct Generator<'a> {
    source: &'a Source,
    topics: Weighted<'a>,
    places: Weighted<'a>,
    years: WeightedIndex<f64>,
}

impl Generator<'_> {
    fn date(&self, rng: &mut ChaCha8Rng) -> NaiveDate {
        let year = FIRST_YEAR + self.years.sample(rng) as i32;
        let day = rng.random_range(0..365);
        // Invariant: January 1st exists in every year of the range.
        let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("January 1st exists");
        start + Duration::days(day)
    }

    /// A paragraph: a run of neighbouring sentences, as a reporter's paragraph would be.
    fn paragraph(&self, rng: &mut ChaCha8Rng) -> String {
        let n_sentences = rng.random_range(1..=3);
        let first = rng.random_range(0..self.source.sentences.len());
        let mut text = String::new();
        let mut words = 0;
        for sentence in self.source.sentences[first..].iter().take(n_sentences) {
            let sentence_words = sentence.split_whitespace().count();
            if words > 0 && words + sentence_words > MAX_PARAGRAPH_WORDS {
                break;
            }
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(sentence);
            words += sentence_words;
        }
        text
    }

    fn heading(&self, rng: &mut ChaCha8Rng, topic: &str) -> String {
        let place = self.places.draw(rng);
        match (rng.random_range(0..4), place) {
            (0, Some(place)) => format!("The View From {place}"),
            (1, Some(place)) => format!("{} in {place}", capitalise(topic)),
            (2, _) if !self.source.titles.is_empty() => {
                self.source.titles[rng.random_range(0..self.source.titles.len())].clone()
            }
            _ => HEADINGS[rng.random_range(0..HEADINGS.len())].to_string(),
        }
    }

    /// An article of `n_passages` passages: a dated lead, then paragraphs under 0 to 3 headings.
    fn article(&self, rng: &mut ChaCha8Rng, n_passages: usize, topic: &str) -> Written {
        let mut text = String::new();
        let date = self.date(rng);
        let mut lead = self.paragraph(rng);
        if let Some(place) = self.places.draw(rng) {
            lead = format!("{place}: {lead}");
        }
        // Writing to a String cannot fail.
        let _ = write!(text, " date {} {lead}\n\n", date.format("%Y-%m-%d"));
        let n_headings = rng.random_range(0..=3).min(n_passages.saturating_sub(1));
        let mut heading_before = vec![false; n_passages];
        for _ in 0..n_headings {
            heading_before[rng.random_range(1..n_passages)] = true;
        }
        for has_heading in heading_before.iter().skip(1) {
            if *has_heading {
                let _ = write!(text, "{}\n\n", self.heading(rng, topic));
            }
            let _ = write!(text, "{}\n\n", self.paragraph(rng));
        }
        Written {
            text,
            passages: n_passages,
        }
    }
}

/// Writes the scale corpus. Same source, passages and seed give the same files, byte for byte.
pub fn synthesize(options: &SynthOptions) -> Result<SynthReport, SynthError> {
    if options.passages == 0 {
        return Err(SynthError::NoPassages);
    }
    check_out_dir(&options.out)?;
    let source = read_source(&options.from)?;
    let year_weights = (0..=(LAST_YEAR - FIRST_YEAR)).map(|offset| YEARLY_GROWTH.powi(offset));
    let generator = Generator {
        source: &source,
        topics: Weighted::new(&source.topics),
        places: Weighted::new(&source.places),
        // Invariant: the weights are positive and finite.
        years: WeightedIndex::new(year_weights).expect("yearly weights are positive"),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let mut report = SynthReport {
        source_records: source.records,
        source_sentences: source.sentences.len(),
        ..SynthReport::default()
    };
    let mut files_per_topic: BTreeMap<String, usize> = BTreeMap::new();
    while report.passages < options.passages {
        let n_passages = rng
            .random_range(3..=16)
            .min(options.passages - report.passages);
        let topic = folder_name(generator.topics.draw(&mut rng).unwrap_or("general"));
        let written = generator.article(&mut rng, n_passages.max(1), &topic);
        let n_in_topic = files_per_topic.entry(topic.clone()).or_default();
        let folder = options
            .out
            .join(&topic)
            .join(format!("{:04}", *n_in_topic / FILES_PER_FOLDER));
        if n_in_topic.is_multiple_of(FILES_PER_FOLDER) {
            std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        }
        let path = folder.join(format!("{:06}.txt", *n_in_topic));
        *n_in_topic += 1;
        let file = std::fs::File::create(&path).map_err(io_error(&path))?;
        let mut out = BufWriter::new(file);
        out.write_all(written.text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(io_error(&path))?;
        report.articles += 1;
        report.passages += written.passages;
        report.bytes += written.text.len() as u64;
    }
    Ok(report)
}

fn check_out_dir(out: &Path) -> Result<(), SynthError> {
    if !out.exists() {
        return std::fs::create_dir_all(out).map_err(io_error(out));
    }
    let mut entries = std::fs::read_dir(out).map_err(io_error(out))?;
    if entries.next().is_some() {
        return Err(SynthError::OutNotEmpty(out.to_path_buf()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::seed::{is_heading, parse_seed};

    const RECORDS: &str = r#"{"newid": 1, "title": "BAHIA COCOA REVIEW", "topics": ["cocoa"], "places": ["el-salvador", "usa"], "body": "Showers continued throughout the week in the Bahia cocoa zone. The dry period means the temporao will be late this year.\n\nArrivals for the week ended February 22 were 155,221 bags.\n Reuter\n"}
{"newid": 2, "title": "", "topics": [], "places": [], "body": ""}
{"newid": 3, "title": "WHEAT EXPORTS RISE", "topics": ["wheat", "grain"], "places": ["west-germany"], "body": "West German wheat exports rose sharply in the first quarter, traders said. Prices held firm in Hamburg"}
"#;

    fn write_source(dir: &Path) -> PathBuf {
        let path = dir.join("reuters.jsonl");
        std::fs::write(&path, RECORDS).unwrap();
        path
    }

    fn all_files(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                (entry.path().strip_prefix(dir).unwrap().to_path_buf(), text)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn source_keeps_sentences_titles_and_labels() {
        let dir = tempfile::tempdir().unwrap();
        let source = read_source(&write_source(dir.path())).unwrap();
        assert_eq!(source.records, 2);
        assert!(source.sentences.iter().all(|s| !s.contains("Reuter")));
        assert!(
            source
                .sentences
                .contains(&"Prices held firm in Hamburg.".to_string())
        );
        assert_eq!(source.titles, ["Bahia Cocoa Review", "Wheat Exports Rise"]);
        assert!(source.places.contains(&("West Germany".to_string(), 1)));
    }

    #[test]
    fn same_seed_same_corpus_and_exact_passage_count() {
        let dir = tempfile::tempdir().unwrap();
        let from = write_source(dir.path());
        let run = |out: &str, seed| {
            let options = SynthOptions {
                passages: 250,
                from: from.clone(),
                seed,
                out: dir.path().join(out),
            };
            let report = synthesize(&options).unwrap();
            assert_eq!(report.passages, 250);
            all_files(&options.out)
        };
        let first = run("a", 7);
        assert_eq!(first, run("b", 7));
        assert_ne!(first, run("c", 8));
        // Every file parses as seed format with a date and as many paragraphs as counted.
        let mut n_passages = 0;
        for (path, text) in &first {
            assert_eq!(path.components().count(), 3, "{path:?}");
            let parts = parse_seed(text);
            assert!(parts.date_text.is_some());
            n_passages += 1 + parts
                .sections
                .iter()
                .map(|section| section.paragraphs.len())
                .sum::<usize>();
            for section in &parts.sections {
                for paragraph in &section.paragraphs {
                    assert!(!is_heading(paragraph), "{paragraph}");
                }
            }
        }
        assert_eq!(n_passages, 250);
    }

    #[test]
    fn refuses_a_non_empty_out_folder_and_a_missing_source() {
        let dir = tempfile::tempdir().unwrap();
        let options = SynthOptions {
            passages: 10,
            from: dir.path().join("missing.jsonl"),
            seed: 1,
            out: dir.path().to_path_buf(),
        };
        std::fs::write(dir.path().join("x"), "").unwrap();
        assert!(matches!(
            synthesize(&options),
            Err(SynthError::OutNotEmpty(_))
        ));
        let options = SynthOptions {
            out: dir.path().join("new"),
            ..options
        };
        assert!(
            synthesize(&options)
                .unwrap_err()
                .to_string()
                .contains("missing.jsonl")
        );
    }

    #[test]
    fn labels_become_names_and_headings() {
        assert_eq!(place_name("west-germany"), "West Germany");
        assert_eq!(
            heading_from_title("BAHIA COCOA REVIEW").as_deref(),
            Some("Bahia Cocoa Review")
        );
        assert_eq!(heading_from_title("TALKS"), None);
        assert!(is_heading("The View From West Germany"));
    }
}
