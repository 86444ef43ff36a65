//! Where the build's stream goes, in two phases: on the worker threads an `Encoder` turns each
//! article into the sink's item (documents without their entities) and `complete`s it once its
//! acronyms are resolved; on the driver thread the `Sink` takes the items in order. Two sinks:
//! `IndexSink` (the tantivy index, here) and the Quickwit NDJSON sink
//! (`backend::quickwit::upload::NdjsonSink`).

use super::commit::{PASSAGES_PER_BATCH, tantivy_error};

use tantivy::indexer::UserOperation;
use tantivy::{IndexWriter, TantivyDocument, Term};

use crate::error::IndexError;
use crate::index::{self, IndexHandle};
use crate::model::{Article, Entity, Passage};
use crate::schema::Fields;

/// Makes a sink's items, one per article, on a worker thread.
pub trait Encoder: Send {
    /// What an article becomes: its passages as the sink's documents.
    type Item: Send;
    /// The item of an article's passages, without their entities and the article's URL
    /// (`complete` adds them).
    fn encode(&mut self, article: &Article, passages: &[Passage]) -> Self::Item;
    /// Adds each passage's entities, and the article's URL.
    fn complete(&mut self, item: &mut Self::Item, entities: &[Vec<Entity>], url: Option<&str>);
    /// Readies an item to be held back (nothing reserved it does not use) and says what
    /// holding it costs in bytes, about; `text_bytes` is the article's title and passages.
    fn hold(&self, article: &Article, item: &mut Self::Item, text_bytes: u64) -> usize;
}

/// Takes the stream's complete items in order, on the driver thread.
pub trait Sink {
    type Encoder: Encoder;
    type Error;
    /// An encoder for one thread.
    fn encoder(&self) -> Self::Encoder;
    /// Adds an article's item, complete.
    fn add(&mut self, item: Item<Self>) -> Result<(), Self::Error>;
    /// Removes the article `id` an earlier build wrote (it changed, or its file no longer has
    /// it). Only a stream that starts from a manifest asks for it.
    fn delete(&mut self, id: &str) -> Result<(), Self::Error>;
    /// Hands on what is buffered; the end of the stream calls it.
    fn flush(&mut self) -> Result<(), Self::Error>;
}

/// The item of a sink.
pub type Item<S> = <<S as Sink>::Encoder as Encoder>::Item;

/// The tantivy sink: one document per passage, to the single writer in batches of
/// `PASSAGES_PER_BATCH`; an article is replaced by its `article_id` term.
pub struct IndexSink<'a> {
    handle: &'a IndexHandle,
    writer: &'a IndexWriter,
    operations: Vec<UserOperation>,
}

impl<'a> IndexSink<'a> {
    pub fn new(handle: &'a IndexHandle, writer: &'a IndexWriter) -> IndexSink<'a> {
        IndexSink {
            handle,
            writer,
            operations: Vec::with_capacity(PASSAGES_PER_BATCH + 1),
        }
    }

    fn push(&mut self, operation: UserOperation) -> Result<(), IndexError> {
        self.operations.push(operation);
        if self.operations.len() >= PASSAGES_PER_BATCH {
            self.flush()?;
        }
        Ok(())
    }
}

impl Sink for IndexSink<'_> {
    type Encoder = DocumentEncoder;
    type Error = IndexError;

    fn encoder(&self) -> DocumentEncoder {
        DocumentEncoder(self.handle.fields)
    }

    fn add(&mut self, documents: Vec<TantivyDocument>) -> Result<(), IndexError> {
        for document in documents {
            self.push(UserOperation::Add(document))?;
        }
        Ok(())
    }

    fn delete(&mut self, id: &str) -> Result<(), IndexError> {
        let term = Term::from_field_text(self.handle.fields.article_id, id);
        self.push(UserOperation::Delete(term))
    }

    fn flush(&mut self) -> Result<(), IndexError> {
        if self.operations.is_empty() {
            return Ok(());
        }
        let operations = std::mem::replace(
            &mut self.operations,
            Vec::with_capacity(PASSAGES_PER_BATCH + 1),
        );
        self.writer
            .run(operations)
            .map(drop)
            .map_err(tantivy_error(self.handle))
    }
}

/// Passages -> tantivy documents (`index::passage_document`, `all`'s analysis included).
#[derive(Debug, Clone, Copy)]
pub struct DocumentEncoder(pub Fields);

impl Encoder for DocumentEncoder {
    type Item = Vec<TantivyDocument>;

    fn encode(&mut self, article: &Article, passages: &[Passage]) -> Vec<TantivyDocument> {
        passages
            .iter()
            .map(|passage| index::passage_document_without_entities(&self.0, article, passage))
            .collect()
    }

    fn complete(
        &mut self,
        documents: &mut Vec<TantivyDocument>,
        entities: &[Vec<Entity>],
        url: Option<&str>,
    ) {
        for (document, entities) in documents.iter_mut().zip(entities) {
            index::add_entities_and_url(&self.0, document, entities, url);
        }
    }

    /// Each passage's text twice (as stored and as analysed); the title, stored and
    /// `TITLE_WEIGHT` times analysed; the id and the path; not the short section headings and
    /// categories; a few words of bookkeeping per value. Estimated from the article, not read
    /// back from the documents, whose values would each have to be decoded.
    fn hold(
        &self,
        article: &Article,
        documents: &mut Vec<TantivyDocument>,
        text_bytes: u64,
    ) -> usize {
        // A document reserves a kilobyte, twice what a passage usually needs.
        for document in documents.iter_mut() {
            document.shrink_to_fit();
        }
        let title = article.title.len();
        let per_document = article.id.len()
            + article.path.as_os_str().len()
            + title * (1 + index::TITLE_WEIGHT)
            + 16 * documents.first().map_or(0, TantivyDocument::len);
        // `text_bytes` holds the title once, then each passage's text.
        let texts = usize::try_from(text_bytes.saturating_sub(title as u64))
            .map_or(usize::MAX, |bytes| bytes.saturating_mul(2));
        documents.len() * per_document + texts
    }
}
