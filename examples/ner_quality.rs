//! Entity quality harness: measures the extractor on CoNLL-2003, on other CoNLL-format sets
//! and on Reuters-21578 places, prints the tables, and exits non-zero when a file is missing or
//! a target is missed.
//!
//! cargo run --release --example ner_quality -- \
//!     --conll ../shared/corpora/conll2003/eng.testb \
//!     --reuters ../shared/corpora/reuters21578/reuters21578.jsonl \
//!     --gmb ../shared/corpora/ner/gmb/gmb.test \
//!     --wikigold ../shared/corpora/ner/wikigold/wikigold.conll
//!
//! `--gmb FILE`, `--wikigold FILE` and `--eval FILE` (any number) measure more CoNLL-format
//! files the same way (a file without `-DOCSTART-` marks is one document a sentence). On each
//! measured set, precision must not fall more than `MAX_PRECISION_GAP` below recall (a tagger
//! that finds names everywhere does worse on text unlike its training's than its F1 says).
//!
//! CoNLL-2003: per document, the set of distinct (name as written, kind) pairs found is
//! compared with the gold set. MISC counts as kind `other`, and an adjective or demonym
//! ("Serbian"), which newsdex files under its place, counts as `other` too, as CoNLL tags it.
//! The overall figures are micro-averaged over all four kinds (PER, LOC, ORG, MISC).
//!
//! Reuters-21578: for every story with a body and place labels, a label counts as recalled when
//! the places extracted from title, dateline and body include it, the country of an extracted
//! city or region, or the successor of an extracted historical state (so `west-germany` is
//! recalled by "West German" and by "German").

newsdex::use_mimalloc!();

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use newsdex::extract::conll::read_conll;
use newsdex::extract::entities::{EntityExtractor, entity_key};
use newsdex::extract::tagger::{Tag, Tagger};
use newsdex::model::{Entity, EntityKind};

/// Typed F1 over all kinds on eng.testb must reach this: the goal for entities on news, which
/// today's figure meets (0.8502), so that a change that loses quality fails CI.
const TARGET_F1: f64 = 0.85;
/// On every measured set, precision may be at most this much below recall.
const MAX_PRECISION_GAP: f64 = 0.08;
/// Recall of Reuters place labels must reach this.
const TARGET_PLACES_RECALL: f64 = 0.90;

#[derive(Default, Clone, Copy)]
struct Counts {
    true_positives: usize,
    false_positives: usize,
    false_negatives: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }
    fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, other: &Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

fn label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Person => "PER",
        EntityKind::Place => "LOC",
        EntityKind::Organisation => "ORG",
        EntityKind::Other => "MISC",
    }
}

fn conll_quality(
    path: &Path,
    extractor: &EntityExtractor,
) -> Result<BTreeMap<EntityKind, Counts>, String> {
    let documents = read_conll(path).map_err(|error| error.to_string())?;
    let mut counts: BTreeMap<EntityKind, Counts> = BTreeMap::new();
    for document in &documents {
        let gold: HashSet<(String, EntityKind)> = document
            .gold_names()
            .into_iter()
            .filter_map(|(name, tag)| Some((name, tag.kind()?)))
            .collect();
        let text = document.text();
        let found: HashSet<(String, EntityKind)> = extractor
            .mentions(&text)
            .into_iter()
            .map(|mention| {
                (
                    text[mention.start..mention.end].to_string(),
                    mention.written_kind,
                )
            })
            .collect();
        for kind in EntityKind::ALL {
            let count = counts.entry(kind).or_default();
            let gold_kind: HashSet<&String> = gold
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(n, _)| n)
                .collect();
            let found_kind: HashSet<&String> = found
                .iter()
                .filter(|(_, k)| *k == kind)
                .map(|(n, _)| n)
                .collect();
            if std::env::var_os("NER_ERRORS").is_some() {
                for name in found_kind.difference(&gold_kind) {
                    let gold_as = gold
                        .iter()
                        .find(|(n, _)| n == *name)
                        .map(|(_, k)| label(*k));
                    eprintln!(
                        "FP\t{}\t{name}\tgold:{}",
                        label(kind),
                        gold_as.unwrap_or("-")
                    );
                }
                for name in gold_kind.difference(&found_kind) {
                    let found_as = found
                        .iter()
                        .find(|(n, _)| n == *name)
                        .map(|(_, k)| label(*k));
                    eprintln!(
                        "FN\t{}\t{name}\tfound:{}",
                        label(kind),
                        found_as.unwrap_or("-")
                    );
                }
            }
            count.true_positives += gold_kind.intersection(&found_kind).count();
            count.false_positives += found_kind.difference(&gold_kind).count();
            count.false_negatives += gold_kind.difference(&found_kind).count();
        }
    }
    eprintln!("{}: {} documents", path.display(), documents.len());
    Ok(counts)
}

/// Reuters writes some places its own way.
fn reuters_place_name(slug: &str) -> String {
    match slug {
        "trinidad-tobago" => "Trinidad and Tobago".to_string(),
        "yemen-arab-republic" => "North Yemen".to_string(),
        "yemen-demo-republic" => "South Yemen".to_string(),
        "us-virgin-islands" => "Virgin Islands, U.S.".to_string(),
        "antigua" => "Antigua and Barbuda".to_string(),
        _ => slug.replace('-', " "),
    }
}

struct PlacesRecall {
    labels: usize,
    recalled: usize,
    stories: usize,
    unknown_labels: BTreeSet<String>,
    missed: BTreeMap<String, usize>,
}

fn reuters_recall(
    path: &Path,
    extractor: &EntityExtractor,
    show_missed: Option<&str>,
) -> Result<PlacesRecall, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut result = PlacesRecall {
        labels: 0,
        recalled: 0,
        stories: 0,
        unknown_labels: BTreeSet::new(),
        missed: BTreeMap::new(),
    };
    for (line_idx, line) in text.lines().enumerate() {
        let story: serde_json::Value = serde_json::from_str(line)
            .map_err(|error| format!("{}:{}: {error}", path.display(), line_idx + 1))?;
        let field = |name: &str| story[name].as_str().unwrap_or("").to_string();
        let body = field("body");
        let places: Vec<String> = story["places"]
            .as_array()
            .map(|places| {
                places
                    .iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if body.trim().is_empty() || places.is_empty() {
            continue;
        }
        result.stories += 1;
        let story_text = format!("{}\n{}\n{}", field("title"), field("dateline"), body);
        let mut extracted: HashSet<String> = HashSet::new();
        for entity in extractor.extract(&story_text) {
            if entity.kind != EntityKind::Place {
                continue;
            }
            add_with_containers(extractor, &entity, &mut extracted);
        }
        for slug in &places {
            result.labels += 1;
            let name = reuters_place_name(slug);
            let Some(known) = extractor.gazetteer().lookup(&name) else {
                result.unknown_labels.insert(slug.clone());
                *result.missed.entry(slug.clone()).or_default() += 1;
                continue;
            };
            let mut wanted = vec![entity_key(&known.entity.name)];
            if let Some(successor) = extractor.within(&known.entity) {
                wanted.push(entity_key(&successor.name));
            }
            if wanted.iter().any(|key| extracted.contains(key)) {
                result.recalled += 1;
            } else {
                if show_missed == Some(slug.as_str())
                    && result.missed.get(slug).copied().unwrap_or(0) < 25
                {
                    let start: String = story_text.chars().take(160).collect();
                    eprintln!(
                        "missed {slug}: {:?} | found {:?}",
                        start.replace('\n', " / "),
                        extracted
                    );
                }
                *result.missed.entry(slug.clone()).or_default() += 1;
            }
        }
    }
    Ok(result)
}

/// Adds a place and the places that hold it (city -> region -> country).
fn add_with_containers(
    extractor: &EntityExtractor,
    entity: &Entity,
    extracted: &mut HashSet<String>,
) {
    let mut current = entity.clone();
    for _ in 0..4 {
        if !extracted.insert(entity_key(&current.name)) {
            return;
        }
        match extractor.within(&current) {
            Some(container) => current = container,
            None => return,
        }
    }
}

/// Prints the table of one CoNLL-format set; returns the counts over all four kinds.
fn print_table(name: &str, path: &Path, counts: &BTreeMap<EntityKind, Counts>) -> Counts {
    println!("{name} {} (distinct names per document)", path.display());
    println!("| kind | precision | recall | F1 | gold | found |");
    println!("|---|---|---|---|---|---|");
    let mut overall = Counts::default();
    let mut overall_three = Counts::default();
    let row = |label: &str, count: &Counts| {
        println!(
            "| {label} | {:.3} | {:.3} | {:.3} | {} | {} |",
            count.precision(),
            count.recall(),
            count.f1(),
            count.true_positives + count.false_negatives,
            count.true_positives + count.false_positives
        );
    };
    for (kind, count) in counts {
        row(label(*kind), count);
        overall.add(count);
        if *kind != EntityKind::Other {
            overall_three.add(count);
        }
    }
    row("PER+LOC+ORG", &overall_three);
    println!(
        "| **overall (all four)** | {:.3} | {:.3} | **{:.3}** | {} | {} |",
        overall.precision(),
        overall.recall(),
        overall.f1(),
        overall.true_positives + overall.false_negatives,
        overall.true_positives + overall.false_positives
    );
    overall
}

/// The tagger of `--weights FILE`.
static CUSTOM_TAGGER: std::sync::OnceLock<Tagger> = std::sync::OnceLock::new();

fn main() -> ExitCode {
    let mut conll: Option<PathBuf> = None;
    let mut reuters: Option<PathBuf> = None;
    let mut entities_file: Option<PathBuf> = None;
    let mut tagged_only = false;
    let mut show_missed: Option<String> = None;
    let mut weights: Option<PathBuf> = None;
    let mut others: Vec<(&str, PathBuf)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--conll" => conll = args.next().map(PathBuf::from),
            "--reuters" => reuters = args.next().map(PathBuf::from),
            "--entities" => entities_file = args.next().map(PathBuf::from),
            "--tagged-only" => tagged_only = true,
            "--show-missed" => show_missed = args.next(),
            "--weights" => weights = args.next().map(PathBuf::from),
            "--gmb" | "--wikigold" | "--eval" => {
                let name = match arg.as_str() {
                    "--gmb" => "GMB",
                    "--wikigold" => "Wikigold",
                    _ => "CoNLL-format",
                };
                match args.next() {
                    Some(path) => others.push((name, PathBuf::from(path))),
                    None => {
                        eprintln!("error: {arg} needs a file");
                        return ExitCode::from(2);
                    }
                }
            }
            "--bench" => {}
            other => {
                eprintln!("error: unknown argument `{other}`");
                eprintln!(
                    "usage: ner_quality --conll ../shared/corpora/conll2003/eng.testb --reuters ../shared/corpora/reuters21578/reuters21578.jsonl"
                );
                return ExitCode::from(2);
            }
        }
    }
    let (Some(conll), Some(reuters)) = (conll, reuters) else {
        eprintln!(
            "error: both --conll FILE and --reuters FILE are required (../shared/corpora/conll2003/eng.testb, ../shared/corpora/reuters21578/reuters21578.jsonl)"
        );
        return ExitCode::from(2);
    };
    for path in [&conll, &reuters]
        .into_iter()
        .chain(others.iter().map(|(_, path)| path))
    {
        if !path.is_file() {
            eprintln!(
                "error: `{}` is missing: the quality check needs the shared corpora",
                path.display()
            );
            return ExitCode::from(2);
        }
    }
    let mut extractor = match EntityExtractor::from_option(entities_file.as_deref()) {
        Ok(extractor) => extractor,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if tagged_only {
        extractor.set_match_untagged_forms(false);
    }
    if let Some(path) = weights {
        // A retrained tagger's weights (`examples/train_tagger.rs`), measured before they are
        // shipped as `data/ner_weights.tsv`.
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("error: cannot read `{}`: {error}", path.display());
                return ExitCode::from(2);
            }
        };
        CUSTOM_TAGGER.get_or_init(|| Tagger::from_tsv(&text));
        extractor = extractor.with_tagger(|| CUSTOM_TAGGER.get().expect("set before use"));
    }
    let _ = Tag::None;

    let mut failed = false;
    let mut overall = Counts::default();
    let sets = std::iter::once(("CoNLL-2003", &conll))
        .chain(others.iter().map(|(name, path)| (*name, path)));
    for (set_idx, (name, path)) in sets.enumerate() {
        let counts = match conll_quality(path, &extractor) {
            Ok(counts) => counts,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        };
        let all = print_table(name, path, &counts);
        if set_idx == 0 {
            overall = all;
        }
        if all.precision() < all.recall() - MAX_PRECISION_GAP {
            eprintln!(
                "FAIL: {name} {}: precision {:.3} is more than {MAX_PRECISION_GAP} under recall {:.3}",
                path.display(),
                all.precision(),
                all.recall()
            );
            failed = true;
        }
        println!();
    }

    let recall = match reuters_recall(&reuters, &extractor, show_missed.as_deref()) {
        Ok(recall) => recall,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let places_recall = ratio(recall.recalled, recall.labels);
    println!();
    println!(
        "Reuters-21578 places: {} of {} labels recalled in {} stories: recall {:.3}",
        recall.recalled, recall.labels, recall.stories, places_recall
    );
    let mut missed: Vec<(&String, &usize)> = recall.missed.iter().collect();
    missed.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = missed
        .iter()
        .take(12)
        .map(|(slug, n)| format!("{slug} {n}"))
        .collect();
    println!("most missed labels: {}", top.join(", "));
    if !recall.unknown_labels.is_empty() {
        println!(
            "labels no gazetteer entry names: {}",
            recall
                .unknown_labels
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    if overall.f1() < TARGET_F1 {
        eprintln!(
            "FAIL: overall typed F1 {:.3} is under the target {TARGET_F1}",
            overall.f1()
        );
        failed = true;
    }
    if places_recall < TARGET_PLACES_RECALL {
        eprintln!(
            "FAIL: Reuters places recall {places_recall:.3} is under the target {TARGET_PLACES_RECALL}"
        );
        failed = true;
    }
    if failed {
        ExitCode::from(1)
    } else {
        println!("\nall targets met");
        ExitCode::SUCCESS
    }
}
