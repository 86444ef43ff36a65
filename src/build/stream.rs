//! The stream for a walked corpus without a manifest (the Quickwit build and export, a
//! tantivy index for tests and comparisons): every file is read through the same pipeline as
//! the index build (`pipeline`, all cores, the same acronym hold), its articles handed to the
//! sink in the files' order; the held articles are completed with the corpus table and handed
//! on last.

use super::hold::{acronyms_to_hold, corpus_acronyms, release_held};
use super::options::{BuildObserver, BuildReport};
use super::pipeline::{Accumulated, Pipeline, PipelineSizes};
use super::read::skip_message;
use super::sink::Sink;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{SkipReason, Walk};
use crate::manifest::Manifest;

/// Reads the walked corpus and hands `sink` each article, labelled: articles that wait for
/// the corpus acronym table are held up to `HOLD_BYTES` and handed on last; past the budget
/// they are counted (`BuildReport::articles_provisional`) when the final table labels them
/// otherwise. Files and records that cannot be read are reported and counted, never fatal;
/// the sink's error stops the stream.
pub fn stream_corpus<S: Sink>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    sink: &mut S,
) -> Result<BuildReport, S::Error> {
    let sizes = PipelineSizes::default();
    stream_corpus_sized(walk, map, extractor, observer, sizes, sink)
}

/// `stream_corpus` with a hold budget of `hold_bytes`.
#[cfg(test)]
pub(crate) fn stream_corpus_holding<S: Sink>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    hold_bytes: usize,
    sink: &mut S,
) -> Result<BuildReport, S::Error> {
    let sizes = PipelineSizes {
        hold_bytes,
        ..PipelineSizes::default()
    };
    stream_corpus_sized(walk, map, extractor, observer, sizes, sink)
}

/// `stream_corpus` with the pipeline's `sizes`.
pub(super) fn stream_corpus_sized<S: Sink>(
    walk: Walk,
    map: &FieldMap,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
    sizes: PipelineSizes,
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
    let (files, observed) = super::plan::observe_files(walk.files, observer, &mut report);
    let to_read: Vec<usize> = (0..files.len()).collect();
    observer.started(files.len(), files.iter().map(|file| file.size).sum());
    let no_table = Default::default();
    let hold_keys = Arc::new(acronyms_to_hold(extractor, &files, &to_read, &no_table));
    let none = Manifest::default();
    let pipeline = Pipeline {
        files: &files,
        observed: &observed,
        old_manifest: &none,
        map,
        extractor,
        hold_keys: &hold_keys,
        observer,
        sizes,
    };
    let mut acc = Accumulated {
        report,
        ..Accumulated::default()
    };
    pipeline.run(&to_read, &mut acc, sink)?;
    let table = Arc::new(corpus_acronyms(extractor, &acc.manifest));
    let labelling = extractor.clone().with_acronyms(table.clone());
    let hold = std::mem::take(&mut acc.hold);
    release_held(sink, hold, &BTreeSet::new(), &labelling)?;
    sink.flush()?;
    let mut report = acc.report;
    report.articles = acc.counts.articles_added + acc.counts.articles_updated;
    report.articles_provisional = acc.written.differing(&table).count();
    report
        .errors
        .sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::HOLD_BYTES;
    use crate::build::Silent;
    use crate::build::sink::IndexSink;
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
        let mut sink = IndexSink::new(&handle, &writer);
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
