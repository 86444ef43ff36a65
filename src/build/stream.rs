//! The build's stream for a sink that takes a corpus in order, once: walk -> read and split
//! each file (`read`) -> label as written -> the acronym hold (`hold::AcronymHold`, the same
//! policy as the index build's pipeline) -> passages completed with the corpus table ->
//! `Sink`. The Quickwit build and export send NDJSON lines from it; `WriterSink` writes a
//! tantivy index from it without a manifest (for tests and comparisons).

use super::hold::{AcronymHold, HOLD_BYTES, Resolution, TableSoFar, acronyms_to_hold};
use super::options::{BuildObserver, BuildReport};
use super::read::{process_file_with, record_place, skip_message};

use std::sync::Arc;
use std::time::Instant;

use tantivy::IndexWriter;

use crate::error::IngestError;
use crate::extract::acronyms::AcronymTable;
use crate::extract::entities::EntityExtractor;
use crate::index::{IndexHandle, passage_document};
use crate::ingest::mapping::FieldMap;
use crate::ingest::{SkipReason, Walk};
use crate::model::{Article, Passage};

/// Where a stream of labelled articles goes.
pub trait Sink {
    type Error;
    /// One article, complete: its passages' entities found, its acronyms resolved with the
    /// corpus table (the final one, or past the hold budget the one known so far).
    fn article(&mut self, article: &Article, passages: &[Passage]) -> Result<(), Self::Error>;
}

/// Reads the walked corpus in order and hands `sink` each article, labelled: articles that
/// wait for the corpus acronym table are held up to `HOLD_BYTES` and written last. Files and
/// records that cannot be read are reported and counted, never fatal; the sink's error stops
/// the stream.
pub fn stream_corpus<S: Sink>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    sink: &mut S,
) -> Result<BuildReport, S::Error> {
    stream_corpus_holding(walk, map, extractor, observer, HOLD_BYTES, sink)
}

/// `stream_corpus` with a hold budget of `hold_bytes`.
pub(crate) fn stream_corpus_holding<S: Sink>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    hold_bytes: usize,
    sink: &mut S,
) -> Result<BuildReport, S::Error> {
    let started = Instant::now();
    let mut report = BuildReport::default();
    for skipped in walk.skipped {
        match skipped.reason {
            SkipReason::Hidden => report.hidden += 1,
            SkipReason::UnknownExtension => report.unknown_extension += 1,
            _ => {
                observer.error(&IngestError::new(
                    &skipped.path,
                    skip_message(&skipped.reason),
                ));
                report.skipped.push(skipped);
            }
        }
    }
    let total_bytes = walk.files.iter().map(|file| file.size).sum();
    observer.started(walk.files.len(), total_bytes);
    let all: Vec<usize> = (0..walk.files.len()).collect();
    let keys = acronyms_to_hold(extractor, &walk.files, &all, &AcronymTable::default());
    let mut hold = AcronymHold::new(Arc::new(keys), hold_bytes);
    let mut so_far = TableSoFar::new(extractor, Vec::new());
    let mut written: Vec<Resolution> = Vec::new();
    let mut out = Counting {
        observer,
        report: &mut report,
        sink,
    };
    for file in &walk.files {
        let mut acronyms = Vec::new();
        let read = process_file_with(file, map, |article, passages| {
            acronyms.push(extractor.annotate_article_as_written(article, passages));
        });
        observer.progress(file.size);
        for error in read.errors {
            observer.error(&error);
            out.report.errors.push(error);
        }
        if read.failed && read.articles.is_empty() {
            continue;
        }
        out.report.files_read += 1;
        out.report.bytes += file.size;
        for ((article, passages), acronyms) in read.articles.into_iter().zip(acronyms) {
            so_far.define(acronyms.defined);
            let used = acronyms.used;
            if !hold.waits(&used) {
                out.article(&article, &passages)?;
                continue;
            }
            let cost = passages.iter().map(|passage| passage.text.len()).sum();
            let id = article.id.clone();
            if let Err(((article, mut passages), used)) =
                hold.hold(&id, (article, passages), used, cost)
            {
                let labelling = so_far.extractor();
                let lists = passages.iter_mut().map(|passage| &mut passage.entities);
                labelling.resolve_used_acronyms(&used, lists);
                written.push(Resolution::of(labelling.acronyms(), &used));
                out.article(&article, &passages)?;
            }
        }
    }
    let labelling = so_far.extractor().clone();
    for (_, (article, mut passages), used) in hold.release() {
        labelling.resolve_used_acronyms(&used, passages.iter_mut().map(|p| &mut p.entities));
        out.article(&article, &passages)?;
    }
    let table = labelling.acronyms();
    report.articles_provisional = written.iter().filter(|r| r.differs(table)).count();
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A sink, and what the stream counts of what it sends.
struct Counting<'a, S> {
    observer: &'a dyn BuildObserver,
    report: &'a mut BuildReport,
    sink: &'a mut S,
}

impl<S: Sink> Counting<'_, S> {
    fn article(&mut self, article: &Article, passages: &[Passage]) -> Result<(), S::Error> {
        self.sink.article(article, passages)?;
        let place = record_place(&article.path.to_string_lossy(), &article.id);
        for warning in &article.warnings {
            self.observer.warning(&place, warning);
            self.report.warnings += 1;
        }
        self.report.articles += 1;
        self.report.passages += passages.len();
        self.report.text_bytes +=
            article.title.len() as u64 + passages.iter().map(|p| p.text.len() as u64).sum::<u64>();
        Ok(())
    }
}

/// A tantivy index written straight from the stream: one document per passage, no manifest
/// (the incremental build is `build_index`).
pub struct WriterSink<'a> {
    pub handle: &'a IndexHandle,
    pub writer: &'a IndexWriter,
}

impl Sink for WriterSink<'_> {
    type Error = tantivy::TantivyError;

    fn article(&mut self, article: &Article, passages: &[Passage]) -> Result<(), Self::Error> {
        for passage in passages {
            let document = passage_document(&self.handle.fields, article, passage);
            self.writer.add_document(document)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::Silent;
    use crate::index;
    use crate::ingest::{WalkOptions, walk_corpus};

    /// a.md uses ICCO, which b.md, read after it, defines.
    fn acronym_corpus() -> tempfile::TempDir {
        let corpus = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("a.md", "# Cocoa\n\nThe ICCO met in London on prices.\n"),
            (
                "b.md",
                "# Council\n\nThe International Cocoa Organization (ICCO) met in London.\n",
            ),
        ] {
            std::fs::write(corpus.path().join(name), text).unwrap();
        }
        corpus
    }

    /// Streams the corpus into a fresh index with a hold of `hold_bytes`; the report and the
    /// entity labels of a.md's documents.
    fn streamed(corpus: &std::path::Path, hold_bytes: usize) -> (BuildReport, Vec<String>) {
        use tantivy::schema::Value;
        let handle = index::create_in_ram();
        let writer = index::writer(&handle, 50).unwrap();
        let walk = walk_corpus(corpus, &WalkOptions::default()).unwrap();
        let extractor = EntityExtractor::builtin();
        let mut sink = WriterSink {
            handle: &handle,
            writer: &writer,
        };
        let report = stream_corpus_holding(
            walk,
            &FieldMap::default(),
            &extractor,
            &Silent,
            hold_bytes,
            &mut sink,
        )
        .unwrap();
        let mut writer = writer;
        writer.commit().unwrap();
        let reader = handle.index.reader().unwrap();
        let searcher = reader.searcher();
        let mut labels = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(1).unwrap();
            for document in store.iter::<tantivy::TantivyDocument>(None) {
                let document = document.unwrap();
                let path = document
                    .get_first(handle.fields.path)
                    .and_then(|v| v.as_str());
                if path == Some("a.md") {
                    let value = document.get_first(handle.fields.entity);
                    let value = value.and_then(|v| v.as_str()).unwrap_or_default();
                    labels.extend(value.split('\t').map(str::to_string));
                }
            }
        }
        (report, labels)
    }

    #[test]
    fn held_articles_take_the_final_table_and_past_the_budget_they_are_counted_provisional() {
        let corpus = acronym_corpus();
        let (report, labels) = streamed(corpus.path(), HOLD_BYTES);
        assert_eq!((report.articles, report.articles_provisional), (2, 0));
        assert!(
            labels
                .iter()
                .any(|l| l.ends_with(":International Cocoa Organization")),
            "{labels:?}"
        );
        let (report, labels) = streamed(corpus.path(), 0);
        assert_eq!((report.articles, report.articles_provisional), (2, 1));
        assert!(labels.iter().any(|l| l.ends_with(":ICCO")), "{labels:?}");
    }
}
