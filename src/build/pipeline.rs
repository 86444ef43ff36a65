//! The build's one stream, for every sink: a reader thread cuts the files to read into
//! chunks, one worker per core parses, splits, labels and encodes them (`Encoder`; both in
//! `work`), and the driver thread, here, takes the results in the files' order, applies the acronym hold
//! (`AcronymHold`), hands the sink the complete items (`Sink`), and keeps the manifest
//! entries: against the last commit's manifest, unchanged articles are passed over and changed
//! or removed ones deleted by id.

use super::hold::{AcronymHold, HeldArticle, Resolution, TableSoFar, Written, complete_item};
use super::options::BuildReport;
use super::read::{changed_since_walk, is_streamed};
use super::sink::{Item, Sink};
pub use super::work::STREAM_ABOVE_BYTES;
pub(super) use super::work::{ChunkResult, Job, Output, Pipeline, PipelineSizes};

use std::collections::BTreeMap;

use crate::error::IngestError;
use crate::extract::acronyms::AcronymPair;
use crate::ingest::Format;
use crate::ingest::body::BodyCheck;
use crate::manifest::{self, ChangeCounts, FileEntry, Manifest};

/// Everything the pipeline produces.
pub(super) struct Accumulated<T> {
    pub(super) counts: ChangeCounts,
    pub(super) report: BuildReport,
    pub(super) manifest: Manifest,
    pub(super) seen_fields: u64,
    pub(super) read_records: bool,
    /// Article id -> how the index has its acronyms resolved, for the articles read in this
    /// build that use any and are not held: those to read again if the final table resolves
    /// them otherwise.
    pub(super) written: Written,
    /// Articles added or updated in this build that use acronyms, by id, not yet written (the
    /// delete of an updated one's old version is sent at once): written once the final table
    /// is known.
    pub(super) hold: AcronymHold<HeldArticle<T>>,
    /// Labels the articles past the hold budget (set when the pipeline starts).
    pub(super) so_far: Option<TableSoFar>,
}

impl<T> Default for Accumulated<T> {
    fn default() -> Accumulated<T> {
        Accumulated {
            counts: ChangeCounts::default(),
            report: BuildReport::default(),
            manifest: Manifest::default(),
            seen_fields: 0,
            read_records: false,
            written: Written::default(),
            hold: AcronymHold::default(),
            so_far: None,
        }
    }
}

impl<T> Accumulated<T> {
    /// The definitions of a file kept as the last commit had it (unchanged, or unreadable
    /// now) are known from here on to the articles past the hold budget.
    fn define_kept(&mut self, entry: &FileEntry) {
        if let Some(so_far) = self.so_far.as_mut() {
            so_far.define(entry.acronyms.iter().cloned());
        }
    }
}

/// What the driver knows of a file while its chunks come in.
pub(super) struct FileState<T> {
    pub(super) received: usize,
    pub(super) n_chunks: Option<usize>,
    pub(super) hash: Option<u64>,
    pub(super) same_content: bool,
    pub(super) cannot_read: Option<IngestError>,
    /// Chunks held until the file is complete (files that are not streamed).
    pub(super) pending: Vec<ChunkResult<T>>,
    /// Article id -> hash of what this build read, in the manifest's form.
    pub(super) articles: BTreeMap<String, u64>,
    /// Ids left in the index as they were.
    pub(super) unchanged: std::collections::HashSet<String>,
    pub(super) errors: Vec<IngestError>,
    pub(super) seen_fields: u64,
    /// How many of the records received yielded a body.
    pub(super) body: BodyCheck,
    /// Bytes of the chunks in `pending`.
    pub(super) pending_bytes: u64,
    /// A streamed file whose first `stream_above` bytes of records yielded no body: it fails,
    /// and its later chunks are passed over.
    pub(super) no_body: bool,
    pub(super) failed: bool,
    pub(super) n_read: usize,
    /// Acronyms the file's articles define.
    pub(super) acronyms: Vec<AcronymPair>,
}

impl<T> Default for FileState<T> {
    fn default() -> FileState<T> {
        FileState {
            received: 0,
            n_chunks: None,
            hash: None,
            same_content: false,
            cannot_read: None,
            pending: Vec::new(),
            articles: BTreeMap::new(),
            unchanged: std::collections::HashSet::new(),
            errors: Vec::new(),
            seen_fields: 0,
            body: BodyCheck::default(),
            pending_bytes: 0,
            no_body: false,
            failed: false,
            n_read: 0,
            acronyms: Vec::new(),
        }
    }
}

/// The driver's end of the stream: the sink, and an encoder to complete items with.
pub(super) struct Out<'s, S: Sink> {
    pub(super) sink: &'s mut S,
    pub(super) encoder: S::Encoder,
}

impl Pipeline<'_> {
    /// Reads the planned files on all cores and hands their articles to `sink` as they come:
    /// a reader thread cuts files into chunks, workers parse, label and encode them, and this
    /// thread takes their results in order and feeds the sink (whose own threads, for the
    /// tantivy index, index while the next chunks are read). The held articles stay in
    /// `acc.hold` for the final table; the sink is not flushed.
    pub(super) fn run<S: Sink>(
        &self,
        to_read: &[usize],
        acc: &mut Accumulated<Item<S>>,
        sink: &mut S,
    ) -> Result<(), S::Error> {
        use std::sync::mpsc::sync_channel;
        let workers = self.sizes.workers;
        let (job_sender, job_receiver) = sync_channel::<Job<Item<S>>>(workers * 2);
        let (output_sender, output_receiver) = sync_channel::<Output<Item<S>>>(workers * 2);
        let job_receiver = std::sync::Arc::new(std::sync::Mutex::new(job_receiver));
        acc.hold = AcronymHold::new(self.sizes.hold_bytes);
        let known = acc.manifest.acronym_pairs().cloned().collect();
        acc.so_far = Some(TableSoFar::new(self.extractor, known));
        let encoders: Vec<S::Encoder> = (0..workers).map(|_| sink.encoder()).collect();
        let mut out = Out {
            encoder: sink.encoder(),
            sink,
        };
        std::thread::scope(|scope| {
            scope.spawn(move || self.produce(to_read, &job_sender, &output_sender));
            for mut encoder in encoders {
                let job_receiver = job_receiver.clone();
                scope.spawn(move || {
                    loop {
                        let job = match job_receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok((work, reply)) = job else { return };
                        // The driver may have stopped: then nobody waits for the result.
                        let _ = reply.send(self.work(&mut encoder, work));
                    }
                });
            }
            // Only the workers hold the jobs' receiver, and only the reader the outputs'
            // sender: when this thread stops reading, they all stop.
            drop(job_receiver);
            let mut states: std::collections::HashMap<usize, FileState<Item<S>>> =
                std::collections::HashMap::new();
            // On an error the receiver is dropped, which stops the reader and the workers.
            for output in output_receiver {
                match output {
                    Output::Chunk(result) => {
                        // Only a worker that panicked drops its reply: the scope reports it.
                        let Ok(chunks) = result.recv() else { break };
                        for mut chunk in chunks {
                            let index = chunk.file;
                            self.observer.progress(chunk.bytes);
                            let streamed = is_streamed(self.files[index].format);
                            let state = states.entry(index).or_default();
                            state.received += 1;
                            if !streamed {
                                // Read whole: complete.
                                state.n_chunks = Some(1);
                            }
                            if chunk.same_content {
                                state.same_content = true;
                            }
                            if chunk.hash.is_some() {
                                state.hash = chunk.hash;
                            }
                            state.seen_fields |= chunk.seen_fields;
                            state.body.merge(std::mem::take(&mut chunk.body));
                            if self.files[index].size > self.sizes.stream_above && streamed {
                                self.stream_chunk(index, state, chunk, acc, &mut out)?;
                            } else {
                                state.pending.push(chunk);
                            }
                            self.finish_if_complete(index, &mut states, acc, &mut out)?;
                        }
                    }
                    Output::Done {
                        file,
                        n_chunks,
                        hash,
                        same_content,
                        failed,
                    } => {
                        let state = states.entry(file).or_default();
                        state.n_chunks = Some(n_chunks);
                        state.same_content |= same_content;
                        if hash.is_some() {
                            state.hash = hash;
                        }
                        state.cannot_read = failed;
                        self.finish_if_complete(file, &mut states, acc, &mut out)?;
                    }
                }
            }
            Ok(())
        })
    }

    /// Settles the file `index` once all its chunks are in.
    fn finish_if_complete<S: Sink>(
        &self,
        index: usize,
        states: &mut std::collections::HashMap<usize, FileState<Item<S>>>,
        acc: &mut Accumulated<Item<S>>,
        out: &mut Out<S>,
    ) -> Result<(), S::Error> {
        let complete = states
            .get(&index)
            .is_some_and(|state| state.n_chunks == Some(state.received));
        if !complete {
            return Ok(());
        }
        match states.remove(&index) {
            Some(state) => self.finish_file(index, state, acc, out),
            None => Ok(()),
        }
    }

    /// A chunk of a file written as it is read: its chunks are held until one of its records
    /// yields a body (a file none of whose records does fails whole, and keeps what the index
    /// had of it), for at most `stream_above` bytes, as much as a file read whole.
    pub(super) fn stream_chunk<S: Sink>(
        &self,
        index: usize,
        state: &mut FileState<Item<S>>,
        chunk: ChunkResult<Item<S>>,
        acc: &mut Accumulated<Item<S>>,
        out: &mut Out<S>,
    ) -> Result<(), S::Error> {
        if state.no_body {
            return Ok(());
        }
        if state.body.with_body == 0 {
            state.pending_bytes += chunk.bytes;
            state.pending.push(chunk);
            if state.pending_bytes > self.sizes.stream_above && state.body.records > 0 {
                state.no_body = true;
                state.pending.clear();
            }
            return Ok(());
        }
        for held in std::mem::take(&mut state.pending) {
            self.apply_chunk(index, state, held, acc, out)?;
        }
        self.apply_chunk(index, state, chunk, acc, out)
    }

    /// Hands the articles of one chunk to the sink: new ones are added, changed ones replaced
    /// by id, unchanged ones left alone, those that wait for the final table held.
    pub(super) fn apply_chunk<S: Sink>(
        &self,
        index: usize,
        state: &mut FileState<Item<S>>,
        chunk: ChunkResult<Item<S>>,
        acc: &mut Accumulated<Item<S>>,
        out: &mut Out<S>,
    ) -> Result<(), S::Error> {
        state.seen_fields |= chunk.seen_fields;
        state.failed |= chunk.failed;
        state.errors.extend(chunk.errors);
        state.n_read += chunk.articles.len();
        let empty = manifest::ArticleHashes::default();
        let old = self
            .old_entry(index)
            .map_or(&empty, |entry| &entry.articles);
        for mut article in chunk.articles {
            let defined = std::mem::take(&mut article.acronyms.defined);
            if let Some(so_far) = acc.so_far.as_mut() {
                so_far.define(defined.iter().cloned());
            }
            state.acronyms.extend(defined);
            let used = std::mem::take(&mut article.acronyms.used);
            let first = !state.articles.contains_key(&article.id);
            if !first && let Some((held, used)) = acc.hold.take(&article.id) {
                // The same id again in one file: its first occurrence is written as it would
                // have been past the budget, and both are read again if need be.
                let item = self.at_once(acc, out, &article.id, held, used);
                out.sink.add(item)?;
            }
            let add = if !first {
                // The same id again in one file: it follows its first occurrence.
                !state.unchanged.contains(&article.id)
            } else {
                match old.get(&article.id) {
                    None => {
                        acc.counts.articles_added += 1;
                        true
                    }
                    Some(hash) if hash == article.hash => {
                        acc.counts.articles_unchanged += 1;
                        state.unchanged.insert(article.id.clone());
                        false
                    }
                    Some(_) => {
                        acc.counts.articles_updated += 1;
                        out.sink.delete(&article.id)?;
                        true
                    }
                }
            };
            if add {
                acc.report.passages += article.passages;
                acc.report.text_bytes += article.text_bytes;
                let place = super::read::record_place(&article.path, &article.id);
                for warning in &article.warnings {
                    self.observer.warning(&place, warning);
                    acc.report.warnings += 1;
                }
            }
            let item = match article.as_written {
                Some(_) if !add => {
                    // Left in the index as the last commit's table labelled it.
                    let resolution = Resolution::of(self.extractor.acronyms(), &used);
                    acc.written.push(&article.id, resolution);
                    None
                }
                Some((as_written, cost)) => {
                    let item = article.item;
                    let held = HeldArticle { item, as_written };
                    // The same id again in one file is written at once.
                    let held = if first {
                        acc.hold.hold(&article.id, held, used, cost)
                    } else {
                        Err((held, used))
                    };
                    match held {
                        Ok(()) => None,
                        Err((held, used)) => Some(self.at_once(acc, out, &article.id, held, used)),
                    }
                }
                None => {
                    if !used.is_empty() {
                        let resolution = Resolution::of(self.extractor.acronyms(), &used);
                        acc.written.push(&article.id, resolution);
                    }
                    Some(article.item)
                }
            };
            if add && let Some(item) = item {
                out.sink.add(item)?;
            }
            state.articles.insert(article.id, article.hash);
        }
        Ok(())
    }

    /// The item of an article that waits for the final table but is written now (past the
    /// hold budget, or its id came again): completed with the table of the definitions read
    /// so far, which is kept to compare with the final one.
    fn at_once<S: Sink>(
        &self,
        acc: &mut Accumulated<Item<S>>,
        out: &mut Out<S>,
        id: &str,
        held: HeldArticle<Item<S>>,
        used: Vec<String>,
    ) -> Item<S> {
        let HeldArticle {
            mut item,
            as_written,
        } = held;
        let labelling = match acc.so_far.as_mut() {
            Some(so_far) => so_far.extractor(),
            None => self.extractor,
        };
        complete_item(&mut out.encoder, labelling, &used, &mut item, as_written);
        let resolution = Resolution::of(labelling.acronyms(), &used);
        acc.written.push(id, resolution);
        item
    }

    /// Settles a file once all its chunks are in: its manifest entry, the articles it no longer
    /// has, its errors and counts.
    pub(super) fn finish_file<S: Sink>(
        &self,
        index: usize,
        mut state: FileState<Item<S>>,
        acc: &mut Accumulated<Item<S>>,
        out: &mut Out<S>,
    ) -> Result<(), S::Error> {
        let file = &self.files[index];
        let observed = &self.observed[index];
        let old = self.old_entry(index);
        let keep_old = |acc: &mut Accumulated<Item<S>>, error: IngestError| {
            // Nothing already indexed is lost: the old entry (if any) stays, and its size and
            // time differ from the file's, so the next build reads it again.
            if let Some(old) = old {
                acc.counts.articles_unchanged += old.articles.len();
                acc.define_kept(old);
                acc.manifest
                    .files
                    .insert(file.relative.clone(), old.clone());
            }
            self.observer.error(&error);
            acc.report.errors.push(error);
        };
        if let Some(error) = state.cannot_read.take() {
            keep_old(acc, error);
            return Ok(());
        }
        if state.same_content
            && let (Some(old), Some(hash)) = (old, state.hash)
        {
            acc.counts.files_unchanged += 1;
            acc.counts.articles_unchanged += old.articles.len();
            acc.define_kept(old);
            let entry = FileEntry {
                size: observed.size,
                mtime_ns: observed.mtime_ns,
                hash,
                articles: old.articles.clone(),
                acronyms: old.acronyms.clone(),
            };
            acc.manifest.files.insert(file.relative.clone(), entry);
            return Ok(());
        }
        let pending = std::mem::take(&mut state.pending);
        let n_pending: usize = pending.iter().map(|chunk| chunk.articles.len()).sum();
        let any_failed = state.failed || pending.iter().any(|chunk| chunk.failed);
        if any_failed && n_pending + state.n_read == 0 {
            let error = pending
                .into_iter()
                .flat_map(|chunk| chunk.errors)
                .chain(std::mem::take(&mut state.errors))
                .last()
                .unwrap_or_else(|| IngestError::new(&file.path, "cannot read the file"));
            keep_old(acc, error);
            return Ok(());
        }
        if state.no_body || state.body.none_has_body() {
            // Read with a mapping that finds no body: one error for the file, none per record,
            // and what the index had of it stays. Its fields still count as seen.
            acc.seen_fields |= state.seen_fields;
            acc.read_records = true;
            keep_old(acc, state.body.error(&file.path, !state.no_body));
            return Ok(());
        }
        // A file written to while it was read may have gone in half old, half new.
        let changed = changed_since_walk(file, observed);
        let changed_error = || {
            IngestError::new(
                &file.path,
                "the file changed while it was read; run the build again",
            )
        };
        if changed && state.n_read == 0 {
            // Held whole and not yet written: keep what the index had.
            keep_old(acc, changed_error());
            return Ok(());
        }
        for chunk in pending {
            self.apply_chunk(index, &mut state, chunk, acc, out)?;
        }
        let removed: Vec<&str> = old
            .map(|old| {
                old.articles
                    .keys()
                    .filter(|id| !state.articles.contains_key(*id))
                    .collect()
            })
            .unwrap_or_default();
        acc.counts.articles_removed += removed.len();
        for id in removed {
            out.sink.delete(id)?;
        }
        if old.is_some_and(|old| !old.articles.is_empty()) {
            acc.counts.files_updated += 1;
        } else {
            acc.counts.files_added += 1;
        }
        acc.seen_fields |= state.seen_fields;
        acc.read_records |= matches!(file.format, Format::Json | Format::Jsonl | Format::Csv);
        acc.report.files_read += 1;
        acc.report.bytes += file.size;
        for error in state.errors {
            self.observer.error(&error);
            acc.report.errors.push(error);
        }
        // One pair per defining article: the table counts them.
        let mut acronyms = state.acronyms;
        acronyms.sort_unstable();
        let mut entry = FileEntry {
            size: observed.size,
            mtime_ns: observed.mtime_ns,
            hash: state.hash.unwrap_or(0),
            articles: state.articles.into(),
            acronyms,
        };
        if changed {
            // Streamed: the index holds what was read, and the entry says so; a time no file
            // has makes the next build read the file again.
            entry.mtime_ns = i64::MIN;
            entry.hash = 0;
            let error = changed_error();
            self.observer.error(&error);
            acc.report.errors.push(error);
        }
        acc.manifest.files.insert(file.relative.clone(), entry);
        Ok(())
    }
}
