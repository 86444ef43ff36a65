use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use tantivy::TantivyDocument;

use super::commit::*;
use super::hold::*;
use super::pipeline::*;
use super::read::*;
use super::*;
use crate::extract::acronyms::AcronymTable;
use crate::extract::entities::EntityExtractor;
use crate::index::IndexHandle;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{CorpusFile, Format};
use crate::manifest::{self, FileEntry, Manifest, Observed};
use crate::model::{Article, Entity};
use crate::passage::split_passages;

/// Writes `text` as `name` in `dir` and returns the file as the walk and the plan see it.
fn written_file(dir: &Path, name: &str, format: Format, text: &str) -> (CorpusFile, Observed) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let metadata = std::fs::metadata(&path).unwrap();
    let file = CorpusFile {
        path,
        relative: name.to_string(),
        format,
        size: metadata.len(),
        modified: metadata.modified().ok(),
    };
    let observed = Observed {
        relative: name.to_string(),
        size: metadata.len(),
        mtime_ns: modified_ns(&metadata),
    };
    (file, observed)
}

fn corpus_file(dir: &Path, text: &str) -> (CorpusFile, Observed) {
    written_file(dir, "a.txt", Format::Seed, text)
}

/// Runs the pipeline over `files` against `old` (labelled with no acronym table), writes the
/// held articles labelled with the final table, commits, and returns what it did (without
/// the held articles).
fn run_pipeline(
    handle: &IndexHandle,
    files: &[CorpusFile],
    observed: &[Observed],
    old: &Manifest,
    sizes: PipelineSizes,
) -> Accumulated<Vec<TantivyDocument>> {
    let writer = index::writer(handle, 50).unwrap();
    let extractor = EntityExtractor::builtin();
    let map = FieldMap::default();
    let to_read: Vec<usize> = (0..files.len()).collect();
    let hold_keys = Arc::new(acronyms_to_hold(
        &extractor,
        files,
        &to_read,
        &AcronymTable::default(),
    ));
    let pipeline = Pipeline {
        files,
        observed,
        old_manifest: old,
        map: &map,
        extractor: &extractor,
        hold_keys: &hold_keys,
        observer: &crate::build::Silent,
        sizes,
    };
    let mut acc = Accumulated::default();
    let mut sink = IndexSink::new(handle, &writer);
    pipeline.run(&to_read, &mut acc, &mut sink).unwrap();
    let acronyms = Arc::new(corpus_acronyms(&extractor, &acc.manifest));
    let changed = acronyms.changed_keys(&AcronymTable::default());
    let labelling = extractor.clone().with_acronyms(acronyms.clone());
    let held = std::mem::take(&mut acc.hold);
    acc.report.articles_relabelled = release_held(&mut sink, held, &changed, &labelling).unwrap();
    sink.flush().unwrap();
    commit_with_manifest(
        handle,
        writer,
        &[Path::new("corpus")],
        &crate::ingest::mapping::FieldMap::default(),
        &acc.manifest,
        &acronyms,
    )
    .unwrap();
    acc
}

fn n_docs(handle: &IndexHandle) -> u64 {
    handle.index.reader().unwrap().searcher().num_docs()
}

#[test]
fn a_file_whose_bytes_hash_as_before_is_not_parsed_again() {
    let dir = tempfile::tempdir().unwrap();
    let text = " date 2024-01-02 Serbia builds shells.";
    let (file, observed) = corpus_file(dir.path(), text);
    let handle = index::create_in_ram();
    let old_entry = FileEntry {
        size: 1,
        mtime_ns: 1,
        hash: manifest::file_hash(text.as_bytes()),
        articles: [("a.txt".to_string(), 42)].into_iter().collect(),
        acronyms: Vec::new(),
    };
    let mut old = Manifest::default();
    old.files.insert("a.txt".to_string(), old_entry.clone());
    let files = [file];
    let observed = [observed];
    let acc = run_pipeline(&handle, &files, &observed, &old, PipelineSizes::default());
    assert_eq!(acc.counts.files_unchanged, 1);
    assert_eq!(acc.report.passages, 0);
    assert_eq!(n_docs(&handle), 0);
    let entry = &acc.manifest.files["a.txt"];
    assert_eq!(
        (entry.size, entry.mtime_ns),
        (observed[0].size, observed[0].mtime_ns)
    );
    assert_eq!(entry.articles, old_entry.articles);

    let acc = run_pipeline(
        &handle,
        &files,
        &observed,
        &Manifest::default(),
        PipelineSizes::default(),
    );
    assert_eq!(acc.counts.articles_added, 1);
    assert_eq!(acc.manifest.files["a.txt"].hash, old_entry.hash);
    assert_eq!(n_docs(&handle), 1);
}

#[test]
fn a_file_that_changed_while_it_was_read_is_reported_and_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let (file, mut observed) = corpus_file(dir.path(), " date 2024-01-02 Serbia builds shells.");
    // The walk saw an older version of the file than the one that was read.
    observed.mtime_ns -= 1_000_000_000;
    let handle = index::create_in_ram();
    let acc = run_pipeline(
        &handle,
        std::slice::from_ref(&file),
        &[observed],
        &Manifest::default(),
        PipelineSizes::default(),
    );
    assert_eq!(acc.report.errors.len(), 1);
    assert_eq!(acc.report.errors[0].path, file.path);
    assert!(
        acc.report.errors[0]
            .reason
            .contains("changed while it was read"),
        "{}",
        acc.report.errors[0]
    );
    assert!(acc.manifest.files.is_empty());
    assert_eq!(n_docs(&handle), 0);
}

fn jsonl_file(dir: &Path, records: &[(usize, &str)]) -> (CorpusFile, Observed) {
    let text: String = records
        .iter()
        .map(|(id, body)| {
            format!(
                "{{\"id\": \"r{id}\", \"title\": \"Story {id}\", \"date\": \"2024-01-02\", \"body\": \"{body}\"}}\n"
            )
        })
        .collect();
    written_file(dir, "feed.jsonl", Format::Jsonl, &text)
}

#[test]
fn a_streamed_file_is_written_chunk_by_chunk_and_tracked_article_by_article() {
    let dir = tempfile::tempdir().unwrap();
    // Chunks of about two records, every file streamed.
    let sizes = PipelineSizes {
        chunk_bytes: 150,
        stream_above: 0,
        workers: 3,
        ..PipelineSizes::default()
    };
    let mut records: Vec<(usize, &str)> = (1..=30).map(|id| (id, "Grain exports rose.")).collect();
    let (file, observed) = jsonl_file(dir.path(), &records);
    let handle = index::create_in_ram();
    let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
    assert_eq!(acc.counts.articles_added, 30);
    assert!(acc.report.errors.is_empty());
    assert_eq!(acc.manifest.files["feed.jsonl"].articles.len(), 30);
    assert_eq!(n_docs(&handle), 30);

    records[2].1 = "Copper prices fell.";
    records.remove(6);
    records.push((31, "Tin output doubled."));
    let (file, observed) = jsonl_file(dir.path(), &records);
    let old = acc.manifest;
    let acc = run_pipeline(&handle, &[file], &[observed], &old, sizes);
    assert_eq!(
        (
            acc.counts.articles_added,
            acc.counts.articles_updated,
            acc.counts.articles_removed,
            acc.counts.articles_unchanged,
        ),
        (1, 1, 1, 28)
    );
    assert_eq!(acc.report.passages, 2);
    let articles = &acc.manifest.files["feed.jsonl"].articles;
    assert!(articles.contains_key("feed.jsonl#r31"));
    assert!(!articles.contains_key("feed.jsonl#r7"));
    assert_eq!(n_docs(&handle), 30);
    let searcher = handle.index.reader().unwrap().searcher();
    let count = |id: &str| {
        let query = tantivy::query::TermQuery::new(
            Term::from_field_text(handle.fields.article_id, id),
            tantivy::schema::IndexRecordOption::Basic,
        );
        searcher.search(&query, &tantivy::collector::Count).unwrap()
    };
    assert_eq!(count("feed.jsonl#r3"), 1);
    assert_eq!(count("feed.jsonl#r7"), 0);
    assert_eq!(count("feed.jsonl#r31"), 1);
}

/// Small files go to the workers in groups (by bytes and by count); a streamed file between
/// them, and a file that cannot be read inside a group, keep their place: every file is
/// settled once, in order, with its own entry or error.
#[test]
fn small_files_read_in_groups_are_each_settled_once_around_a_streamed_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut observed = Vec::new();
    for n in 0..600 {
        let (file, seen) = if n == 300 {
            jsonl_file(dir.path(), &[(1, "Tin output doubled."), (2, "Zinc fell.")])
        } else {
            let text = format!(" date 2024-01-02 Story {n}\n\nGrain exports rose by {n} tonnes.\n");
            written_file(dir.path(), &format!("f{n:03}.txt"), Format::Seed, &text)
        };
        files.push(file);
        observed.push(seen);
    }
    // Gone between the walk and the read: its group still settles the others.
    std::fs::remove_file(&files[150].path).unwrap();
    // Groups cut by bytes (a few files each), then by count (`FILES_PER_JOB`).
    for chunk_bytes in [200, 1 << 20] {
        let sizes = PipelineSizes {
            chunk_bytes,
            stream_above: 0,
            workers: 3,
            ..PipelineSizes::default()
        };
        let handle = index::create_in_ram();
        let acc = run_pipeline(&handle, &files, &observed, &Manifest::default(), sizes);
        assert_eq!(acc.counts.articles_added, 598 + 2, "{chunk_bytes}");
        assert_eq!(acc.manifest.files.len(), 599);
        assert!(!acc.manifest.files.contains_key("f150.txt"));
        assert_eq!(acc.manifest.files["feed.jsonl"].articles.len(), 2);
        assert_eq!(acc.manifest.files["f599.txt"].articles.len(), 1);
        let errors: Vec<String> = acc
            .report
            .errors
            .iter()
            .map(|error| error.path.display().to_string())
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].ends_with("f150.txt"), "{errors:?}");
        assert_eq!(n_docs(&handle), acc.report.passages as u64);
    }
}

/// A JSON Lines file of `n` records whose text is in `copy`, and in `body` from record `body_at`
/// on (1-based; never when past `n`).
fn copy_feed(dir: &Path, n: usize, body_at: usize) -> (CorpusFile, Observed) {
    let text: String = (1..=n)
        .map(|id| {
            let text_field = if id >= body_at { "body" } else { "copy" };
            format!(
                "{{\"id\": \"r{id}\", \"title\": \"Story {id}\", \"date\": \"2024-01-02\", \"{text_field}\": \"Grain exports rose.\"}}\n"
            )
        })
        .collect();
    written_file(dir, "copy.jsonl", Format::Jsonl, &text)
}

#[test]
fn a_streamed_file_without_a_body_fails_whole_and_keeps_what_the_index_had() {
    let dir = tempfile::tempdir().unwrap();
    let handle = index::create_in_ram();
    let (file, observed) = copy_feed(dir.path(), 30, 1);
    let sizes = PipelineSizes {
        chunk_bytes: 150,
        stream_above: file.size / 2,
        workers: 3,
        ..PipelineSizes::default()
    };
    let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
    assert!(acc.report.errors.is_empty(), "{:?}", acc.report.errors);
    assert_eq!(n_docs(&handle), 30);
    let old = acc.manifest;

    // The same records with their text where the mapping does not look.
    let (file, observed) = copy_feed(dir.path(), 30, 31);
    let acc = run_pipeline(&handle, &[file], &[observed], &old, sizes);
    assert_eq!(acc.report.errors.len(), 1, "{:?}", acc.report.errors);
    let error = acc.report.errors[0].to_string();
    assert!(
        error.contains("copy.jsonl: none of the first")
            && error.contains("records has a body: its fields are copy, date, id, title")
            && error.ends_with("map one with --field body=copy"),
        "{error}"
    );
    assert_eq!(acc.report.warnings, 0, "no warning per record");
    assert_eq!(acc.counts.articles_added + acc.counts.articles_updated, 0);
    assert_eq!(acc.manifest.files["copy.jsonl"], old.files["copy.jsonl"]);
    assert_eq!(n_docs(&handle), 30, "the articles of the last commit stay");

    // A body a third of the way in: the chunks held before it are written too.
    let (file, observed) = copy_feed(dir.path(), 30, 10);
    let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
    assert!(acc.report.errors.is_empty(), "{:?}", acc.report.errors);
    assert_eq!(acc.manifest.files["copy.jsonl"].articles.len(), 30);
    assert_eq!(acc.report.warnings, 9, "{:?}", acc.report);
}

#[test]
fn a_file_read_whole_without_a_body_fails_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let handle = index::create_in_ram();
    let (file, observed) = copy_feed(dir.path(), 5, 6);
    let acc = run_pipeline(
        &handle,
        &[file],
        &[observed],
        &Manifest::default(),
        PipelineSizes::default(),
    );
    let errors: Vec<String> = acc.report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].ends_with(
            "copy.jsonl: no record has a body: its fields are copy, date, id, title; map one with --field body=copy"
        ),
        "{errors:?}"
    );
    assert!(acc.manifest.files.is_empty());
    assert_eq!(n_docs(&handle), 0);
}

/// The entity names of the passages of `id`, and the deleted documents of the index.
fn entities_and_deleted(handle: &IndexHandle, id: &str) -> (BTreeSet<String>, u32) {
    let searcher = handle.index.reader().unwrap().searcher();
    let query = tantivy::query::TermQuery::new(
        Term::from_field_text(handle.fields.article_id, id),
        tantivy::schema::IndexRecordOption::Basic,
    );
    let addresses = searcher
        .search(&query, &tantivy::collector::DocSetCollector)
        .unwrap();
    assert!(!addresses.is_empty(), "no passage of {id}");
    let mut entities = BTreeSet::new();
    for address in addresses {
        let document: TantivyDocument = searcher.doc(address).unwrap();
        for label in crate::index::stored_entity_labels(&handle.fields, &document) {
            let (_, name) = label.split_once(':').unwrap();
            entities.insert(name.to_string());
        }
    }
    let deleted = searcher
        .segment_readers()
        .iter()
        .map(|segment| segment.num_deleted_docs())
        .sum();
    (entities, deleted)
}

/// A feed whose first record uses BAMG, which its last record defines.
fn bamg_feed(dir: &Path, first_id: usize) -> (CorpusFile, Observed) {
    jsonl_file(
        dir,
        &[
            (first_id, "Exports of artillery shells slowed, BAMG said."),
            (2, "Grain exports rose."),
            (
                3,
                "The Balkan Arms Monitoring Group (BAMG) counted artillery shells.",
            ),
        ],
    )
}

/// Builds `bamg_feed(first_id)` into a fresh index with `sizes`.
fn build_bamg_feed(
    first_id: usize,
    sizes: PipelineSizes,
) -> (IndexHandle, Accumulated<Vec<TantivyDocument>>) {
    let dir = tempfile::tempdir().unwrap();
    let (file, observed) = bamg_feed(dir.path(), first_id);
    let handle = index::create_in_ram();
    let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
    (handle, acc)
}

/// The articles left to be read again if the table changes.
fn left_to_read_again(acc: &Accumulated<Vec<TantivyDocument>>) -> Vec<&str> {
    acc.written.ids().collect()
}

#[test]
fn articles_that_use_acronyms_are_held_and_labelled_with_the_final_table() {
    let (handle, acc) = build_bamg_feed(1, PipelineSizes::default());
    // Held, not written and read again: nothing to read again, nothing deleted.
    assert!(left_to_read_again(&acc).is_empty());
    assert_eq!(acc.report.articles_relabelled, 1);
    assert_eq!(acc.counts.articles_added, 3);
    assert_eq!(n_docs(&handle), 3);
    let (entities, deleted) = entities_and_deleted(&handle, "feed.jsonl#r1");
    assert!(
        entities.contains("Balkan Arms Monitoring Group"),
        "{entities:?}"
    );
    assert!(!entities.contains("BAMG"), "{entities:?}");
    assert_eq!(deleted, 0);
}

#[test]
fn an_article_whose_acronyms_no_bracket_defines_is_written_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (file, observed) = jsonl_file(
        dir.path(),
        &[
            (1, "Exports slowed, BAMG said."),
            (2, "Exports slowed, QXRT said."),
            (
                3,
                "The Balkan Arms Monitoring Group (BAMG) counted artillery shells.",
            ),
        ],
    );
    let handle = index::create_in_ram();
    let acc = run_pipeline(
        &handle,
        &[file],
        &[observed],
        &Manifest::default(),
        PipelineSizes::default(),
    );
    // QXRT is in no brackets: its meaning cannot change, it is not held (and is left to
    // read again only should a definition the scan missed turn up). BAMG's user is held.
    assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r2"]);
    assert_eq!(acc.report.articles_relabelled, 1);
    let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r2");
    assert!(entities.contains("QXRT"), "{entities:?}");
    let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r1");
    assert!(
        entities.contains("Balkan Arms Monitoring Group"),
        "{entities:?}"
    );
}

#[test]
fn past_the_hold_budget_articles_are_written_at_once_and_left_to_read_again() {
    let sizes = PipelineSizes {
        hold_bytes: 0,
        ..PipelineSizes::default()
    };
    let (handle, acc) = build_bamg_feed(1, sizes);
    assert_eq!(acc.report.articles_relabelled, 0);
    assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r1"]);
    assert_eq!(n_docs(&handle), 3);
    // Written with the table it was read with: `Relabel` is left to label it again.
    let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r1");
    assert!(entities.contains("BAMG"), "{entities:?}");
}

#[test]
fn past_the_hold_budget_an_article_takes_the_definitions_read_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (file, observed) = jsonl_file(
        dir.path(),
        &[
            (
                1,
                "The Balkan Arms Monitoring Group (BAMG) counted artillery shells.",
            ),
            (2, "Exports of artillery shells slowed, BAMG said."),
        ],
    );
    let handle = index::create_in_ram();
    let sizes = PipelineSizes {
        hold_bytes: 0,
        ..PipelineSizes::default()
    };
    let acc = run_pipeline(&handle, &[file], &[observed], &Manifest::default(), sizes);
    // Written at once, with the table of what was read before it: the final one here.
    let (entities, _) = entities_and_deleted(&handle, "feed.jsonl#r2");
    assert!(
        entities.contains("Balkan Arms Monitoring Group"),
        "{entities:?}"
    );
    let table = corpus_acronyms(&EntityExtractor::builtin(), &acc.manifest);
    let differ: Vec<&str> = acc.written.differing(&table).collect();
    assert!(differ.is_empty(), "{differ:?}");
    assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r2"]);
}

#[test]
fn a_held_article_whose_id_comes_again_is_written_as_any_other() {
    // Record 2 twice: the first uses BAMG (held), the second comes after it.
    let (handle, acc) = build_bamg_feed(2, PipelineSizes::default());
    assert_eq!(acc.report.articles_relabelled, 0);
    assert_eq!(left_to_read_again(&acc), ["feed.jsonl#r2"]);
    // Both occurrences are in the index, as when nothing was held.
    assert_eq!(n_docs(&handle), 3);
}

#[test]
fn documents_completed_with_a_table_equal_those_made_with_it_at_once() {
    use crate::model::{EntityKind, Section};
    use tantivy::Document;
    let handle = index::create_in_ram();
    let (fields, schema) = (&handle.fields, handle.index.schema());
    let long_form = Entity {
        name: "Balkan Arms Monitoring Group".into(),
        kind: EntityKind::Organisation,
    };
    let table = AcronymTable::from_pairs(&[("bamg".to_string(), long_form.clone())]);
    let extractor = EntityExtractor::builtin().with_acronyms(Arc::new(table));
    let article = Article {
        id: "a.md".into(),
        path: "a.md".into(),
        title: "Shell exports".into(),
        url: Some("https://example.org/a".into()),
        lead: "Exports of shells slowed, BAMG said in Belgrade.".into(),
        sections: vec![Section {
            heading: Some("Outlook".into()),
            paragraphs: vec!["Serbia expects more, the BAMG report adds.".into()],
        }],
        given_entities: vec![Entity {
            name: "bamg".into(),
            kind: EntityKind::Organisation,
        }],
        ..Article::default()
    };
    let made = encode_article(&mut DocumentEncoder(*fields), &extractor, &article);
    assert_eq!(made.acronyms.used, ["bamg"]);
    let missing = made.as_written.as_ref().expect("it uses BAMG");
    assert!(missing.entities.iter().flatten().any(|e| e.name == "BAMG"));
    let completed = made.completed(&mut DocumentEncoder(*fields), &extractor);
    let mut passages = split_passages(&article);
    extractor.annotate_article(&article, &mut passages);
    assert!(passages.iter().all(|p| p.entities.contains(&long_form)));
    let at_once: Vec<String> = passages
        .iter()
        .map(|passage| index::passage_document(fields, &article, passage).to_json(&schema))
        .collect();
    let completed: Vec<String> = completed
        .iter()
        .map(|document| document.to_json(&schema))
        .collect();
    assert_eq!(completed, at_once);
}

#[test]
fn each_passage_indexes_its_own_analysis_in_all_whether_the_fingerprint_analysed_it_or_not() {
    use crate::model::Section;
    use tantivy::schema::Value;
    let fields = index::create_in_ram().fields;
    let long = "Shell exports rose again in the spring. ".repeat(60);
    let article = |lead: &str, paragraphs: Vec<String>| Article {
        id: "a.md".into(),
        title: "Shell exports".into(),
        lead: lead.into(),
        sections: vec![Section {
            heading: Some("Outlook".into()),
            paragraphs,
        }],
        ..Article::default()
    };
    // A dateline the fingerprint leaves out, a paragraph repeated, a paragraph split into
    // passages, a paragraph with spaces around it and a sign-off at the end: passages that are
    // not one of the fingerprint's texts as well as passages that are.
    let first = article(
        "BELGRADE, May 2 - Serbia sold shells to the Czech Republic.",
        vec![
            "  Prices of ammunition rose.  ".into(),
            "Prices of ammunition rose.".into(),
            long.clone(),
            "The ministry expects more orders next year. Reuter".into(),
        ],
    );
    // Another article on the same thread whose passages the first one's texts would match
    // if they were kept past it.
    let second = article(
        "Prices of ammunition fell.",
        vec!["Serbia expects more.".into()],
    );
    for article in [&first, &second, &first] {
        let passages = split_passages(article);
        for passage in &passages {
            let document = index::passage_document(&fields, article, passage);
            let all: Vec<&str> = document
                .get_all(fields.all)
                .filter_map(|value| value.as_str())
                .collect();
            assert_eq!(
                all.last().copied(),
                Some(index::analysed_for_all(&passage.text).as_str()),
                "passage {}",
                passage.ordinal
            );
        }
    }
    assert!(
        split_passages(&first).len() > 5,
        "the long paragraph is split"
    );
}

#[test]
fn the_held_cost_estimates_what_the_documents_hold() {
    use crate::model::Section;
    use tantivy::schema::Value;
    let handle = index::create_in_ram();
    let paragraph = |n: usize| {
        format!("Paragraph {n}: exports of shells slowed, BAMG said in Belgrade on Monday.")
    };
    let article = Article {
        id: "a.md".into(),
        path: "corpus/a.md".into(),
        title: "Shell exports slow as BAMG reports".into(),
        lead: paragraph(0),
        sections: vec![Section {
            heading: Some("Outlook".into()),
            paragraphs: (1..8).map(paragraph).collect(),
        }],
        ..Article::default()
    };
    let extractor = EntityExtractor::builtin();
    let encoder = DocumentEncoder(handle.fields);
    let mut made = encode_article(&mut encoder.clone(), &extractor, &article);
    let as_written = made.as_written.as_ref().expect("it uses BAMG");
    assert!(made.item.len() > 2);
    let estimate = encoder.hold(&article, &mut made.item, made.text_bytes) + as_written.cost();
    // What the values hold, read back from the documents.
    let values: usize = made
        .item
        .iter()
        .flat_map(|document| document.field_values())
        .map(|(_, value)| 16 + value.as_str().map_or(8, str::len))
        .sum();
    let held = values + as_written.cost();
    assert!(
        estimate * 10 >= held * 8 && estimate <= held * 2,
        "estimate {estimate}, held {held}"
    );
}

#[test]
fn relative_paths_use_slashes_and_the_root_is_empty() {
    let root = Path::new("/corpus");
    assert_eq!(relative_to(root, Path::new("/corpus/a/b.txt")), "a/b.txt");
    assert_eq!(relative_to(root, root), "");
}
