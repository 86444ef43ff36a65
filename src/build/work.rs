//! The reader and the workers of the build's stream (`pipeline`): the reader hashes streamed
//! files, cuts them into chunks, groups small files read whole (`Work::Files`) and hands the
//! jobs out in the files' order, telling the driver where each result will come; a worker
//! parses, splits, labels and encodes (`Encoder`) a job's articles.

use super::hold::{AsWritten, Encoded, HOLD_BYTES, complete_item, encode_article, waits_for};
use super::options::BuildObserver;
use super::read::{is_streamed, stream_hash};
use super::sink::Encoder;

use std::sync::mpsc::{Receiver, SyncSender};

use rustc_hash::FxHashSet;

use crate::error::IngestError;
use crate::extract::acronyms::ArticleAcronyms;
use crate::extract::entities::EntityExtractor;
use crate::ingest::body::BodyCheck;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{self, CorpusFile};
use crate::manifest::{self, FileEntry, Manifest, Observed};

/// JSON Lines and CSV files larger than this go into the index chunk by chunk as they are read,
/// so that a file of any size is indexed with bounded memory. Smaller files are held until
/// they are read whole, so that one that changes while it is read keeps its old articles.
pub const STREAM_ABOVE_BYTES: u64 = 8 << 20;

/// The settings of the read-and-write pipeline (tests shrink the sizes).
#[derive(Debug, Clone, Copy)]
pub(super) struct PipelineSizes {
    pub(super) chunk_bytes: usize,
    pub(super) stream_above: u64,
    pub(super) workers: usize,
    pub(super) hold_bytes: usize,
}

impl Default for PipelineSizes {
    fn default() -> PipelineSizes {
        PipelineSizes {
            chunk_bytes: ingest::CHUNK_BYTES,
            stream_above: STREAM_ABOVE_BYTES,
            hold_bytes: HOLD_BYTES,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(1, 16),
        }
    }
}

/// Everything the pipeline reads.
pub(super) struct Pipeline<'a> {
    pub(super) files: &'a [CorpusFile],
    pub(super) observed: &'a [Observed],
    pub(super) old_manifest: &'a Manifest,
    pub(super) map: &'a FieldMap,
    pub(super) extractor: &'a EntityExtractor,
    /// Acronyms whose meaning may change by the end of the build (`acronyms_to_hold`): an
    /// article that uses one is held.
    pub(super) hold_keys: &'a std::sync::Arc<FxHashSet<String>>,
    pub(super) observer: &'a dyn BuildObserver,
    pub(super) sizes: PipelineSizes,
}

/// One article read, split, annotated and encoded by a worker.
pub(super) struct ReadArticle<T> {
    pub(super) id: String,
    pub(super) hash: u64,
    pub(super) path: String,
    /// The sink's item.
    pub(super) item: T,
    pub(super) passages: usize,
    pub(super) text_bytes: u64,
    pub(super) warnings: Vec<String>,
    /// Acronyms it defines and uses, for the corpus table.
    pub(super) acronyms: ArticleAcronyms,
    /// When it uses acronyms the final table may resolve otherwise, what its item lacks and
    /// what holding it costs: held back (`HeldArticle`), the final table completes it; written
    /// at once, the table of this build's reading does.
    pub(super) as_written: Option<(AsWritten, usize)>,
}

/// What a worker made of one chunk of a file (or of a whole file).
pub(super) struct ChunkResult<T> {
    pub(super) file: usize,
    pub(super) bytes: u64,
    pub(super) articles: Vec<ReadArticle<T>>,
    pub(super) errors: Vec<IngestError>,
    pub(super) seen_fields: u64,
    /// How many of its records yielded a body.
    pub(super) body: BodyCheck,
    /// The file (or the rest of it) could not be read.
    pub(super) failed: bool,
    /// The content hash, for files read whole (streamed files are hashed before they are cut).
    pub(super) hash: Option<u64>,
    /// The bytes hash as in the manifest: nothing was parsed.
    pub(super) same_content: bool,
}

/// What flows from the reader to the driver, in the files' order: the result of a job (which
/// a worker sends when it is done), or the end of a file.
pub(super) enum Output<T> {
    /// The results of one job: one chunk of a file, or each file of a group of small files
    /// read whole (`Work::Files`), each of which is then complete.
    Chunk(Receiver<Vec<ChunkResult<T>>>),
    /// Every chunk of the file has been handed out.
    Done {
        file: usize,
        n_chunks: usize,
        hash: Option<u64>,
        same_content: bool,
        failed: Option<IngestError>,
    },
}

/// A unit of work for the workers, and where its result goes.
pub(super) type Job<T> = (Work, SyncSender<Vec<ChunkResult<T>>>);

pub(super) enum Work {
    /// Files read whole, in order: a few small files make one job, so that a corpus of many
    /// small files costs a handful of hand-overs between threads per megabyte, not per file.
    Files(Vec<usize>),
    Chunk(usize, ingest::Chunk),
}

/// At most this many files make one job of whole files (`Work::Files`), besides the bytes of
/// a chunk.
const FILES_PER_JOB: usize = 256;

impl Pipeline<'_> {
    pub(super) fn old_entry(&self, index: usize) -> Option<&FileEntry> {
        self.old_manifest.files.get(&self.files[index].relative)
    }

    /// The reader: hashes streamed files, cuts them into chunks, hands out the work in order,
    /// and tells the driver, in the same order, where each result will come.
    pub(super) fn produce<T>(
        &self,
        to_read: &[usize],
        jobs: &SyncSender<Job<T>>,
        outputs: &SyncSender<Output<T>>,
    ) {
        let hand_out = |work: Work| {
            let (reply, result) = std::sync::mpsc::sync_channel(1);
            jobs.send((work, reply)).is_ok() && outputs.send(Output::Chunk(result)).is_ok()
        };
        // Small files read whole go out in groups of about a chunk's bytes.
        let mut group: Vec<usize> = Vec::new();
        let mut group_bytes = 0;
        let hand_out_group = |group: &mut Vec<usize>, group_bytes: &mut u64| {
            *group_bytes = 0;
            group.is_empty() || hand_out(Work::Files(std::mem::take(group)))
        };
        for &index in to_read {
            let file = &self.files[index];
            if !is_streamed(file.format) {
                group.push(index);
                group_bytes += file.size;
                if (group_bytes >= self.sizes.chunk_bytes as u64 || group.len() >= FILES_PER_JOB)
                    && !hand_out_group(&mut group, &mut group_bytes)
                {
                    return;
                }
                continue;
            }
            if !hand_out_group(&mut group, &mut group_bytes) {
                return;
            }
            let hash = match stream_hash(&file.path) {
                Ok(hash) => hash,
                Err(error) => {
                    let error = IngestError::new(&file.path, format!("cannot read: {error}"));
                    let done = Output::Done {
                        file: index,
                        n_chunks: 0,
                        hash: None,
                        same_content: false,
                        failed: Some(error),
                    };
                    if outputs.send(done).is_err() {
                        return;
                    }
                    continue;
                }
            };
            if self.old_entry(index).is_some_and(|old| old.hash == hash) {
                let done = Output::Done {
                    file: index,
                    n_chunks: 0,
                    hash: Some(hash),
                    same_content: true,
                    failed: None,
                };
                if outputs.send(done).is_err() {
                    return;
                }
                continue;
            }
            let mut n_chunks = 0;
            let mut open = true;
            ingest::split_file(file.clone(), self.sizes.chunk_bytes, &mut |chunk| {
                open = hand_out(Work::Chunk(index, chunk));
                n_chunks += 1;
                open
            });
            let done = Output::Done {
                file: index,
                n_chunks,
                hash: Some(hash),
                same_content: false,
                failed: None,
            };
            if !open || outputs.send(done).is_err() {
                return;
            }
        }
        hand_out_group(&mut group, &mut group_bytes);
    }

    /// A worker: parse, split passages, find entities, encode; one result per chunk or file.
    pub(super) fn work<E: Encoder>(
        &self,
        encoder: &mut E,
        work: Work,
    ) -> Vec<ChunkResult<E::Item>> {
        match work {
            Work::Chunk(index, chunk) => {
                let output = ingest::read_chunk(chunk, self.map);
                vec![self.encode_output(encoder, index, output, None)]
            }
            Work::Files(files) => files
                .into_iter()
                .map(|index| self.work_whole(encoder, index))
                .collect(),
        }
    }

    /// One file read whole.
    fn work_whole<E: Encoder>(&self, encoder: &mut E, index: usize) -> ChunkResult<E::Item> {
        let file = &self.files[index];
        let nothing = ChunkResult {
            file: index,
            bytes: file.size,
            articles: Vec::new(),
            errors: Vec::new(),
            seen_fields: 0,
            body: BodyCheck::default(),
            failed: false,
            hash: None,
            same_content: false,
        };
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                return ChunkResult {
                    errors: vec![IngestError::new(
                        &file.path,
                        format!("cannot read: {error}"),
                    )],
                    failed: true,
                    ..nothing
                };
            }
        };
        let hash = manifest::file_hash(&bytes);
        if self.old_entry(index).is_some_and(|old| old.hash == hash) {
            return ChunkResult {
                hash: Some(hash),
                same_content: true,
                ..nothing
            };
        }
        let output = ingest::read_whole_bytes(file, bytes, self.map);
        self.encode_output(encoder, index, output, Some(hash))
    }

    /// The articles of what a reader made of a chunk or file, encoded.
    fn encode_output<E: Encoder>(
        &self,
        encoder: &mut E,
        index: usize,
        output: ingest::ChunkOutput,
        hash: Option<u64>,
    ) -> ChunkResult<E::Item> {
        let mut result = ChunkResult {
            file: index,
            bytes: output.bytes,
            articles: Vec::with_capacity(output.articles.len()),
            errors: Vec::new(),
            seen_fields: output.seen_fields,
            body: output.body,
            failed: output.failed,
            hash,
            same_content: false,
        };
        for article in output.articles {
            match article {
                Ok(mut article) => {
                    let Encoded {
                        mut item,
                        passages,
                        as_written,
                        acronyms,
                        text_bytes,
                    } = encode_article(encoder, self.extractor, &article);
                    let may_change = waits_for(self.hold_keys, &acronyms.used);
                    let as_written = match as_written {
                        Some(as_written) if may_change => {
                            let cost = encoder.hold(&article, &mut item, text_bytes);
                            let cost = cost + as_written.cost();
                            Some((as_written, cost))
                        }
                        Some(as_written) => {
                            // The final table resolves its acronyms as the table of this
                            // build's reading does.
                            let used = &acronyms.used;
                            complete_item(encoder, self.extractor, used, &mut item, as_written);
                            None
                        }
                        None => None,
                    };
                    result.articles.push(ReadArticle {
                        hash: manifest::article_hash(&article),
                        path: article.path.to_string_lossy().into_owned(),
                        warnings: std::mem::take(&mut article.warnings),
                        id: article.id,
                        item,
                        passages,
                        text_bytes,
                        acronyms,
                        as_written,
                    });
                }
                Err(error) => result.errors.push(error),
            }
        }
        result
    }
}
