//! Reading: one corpus file -> its articles, split into passages (`process_file`), and what the
//! build observes of a file (size, time, content hash, path relative to the corpus).

use super::options::BuildOptions;

use std::path::Path;
use std::time::UNIX_EPOCH;

use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::ingest::body::BodyCheck;
use crate::ingest::mapping::{CorpusConfig, FieldMap};
use crate::ingest::{self, CorpusFile, Format, SkipReason};
use crate::manifest::Observed;
use crate::model::{Article, Passage};
use crate::passage::split_passages;

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct FileArticles {
    pub articles: Vec<(Article, Vec<Passage>)>,
    /// Records that could not be read (the others still go in).
    pub errors: Vec<IngestError>,
    /// Bit set of the explicitly mapped fields (`FieldMap::explicit`) some record had.
    pub seen_fields: u64,
    /// The file could not be read at all.
    pub failed: bool,
}

/// Chunks read and labelled on all cores at once, a few chunks' bytes per core at a time: most
/// files are much smaller than a chunk, and a batch of a few of them would leave the cores
/// waiting on each other more than working.
pub(super) struct ChunkBatch {
    chunks: Vec<ingest::Chunk>,
    bytes: u64,
    /// Bytes of a full batch: two chunks per core.
    limit: u64,
}

impl ChunkBatch {
    pub(super) fn new() -> ChunkBatch {
        ChunkBatch {
            chunks: Vec::new(),
            bytes: 0,
            limit: 2 * rayon::current_num_threads().max(1) as u64 * ingest::CHUNK_BYTES as u64,
        }
    }

    /// Adds `chunk`; the batch's chunks once they reach the limit.
    pub(super) fn push(&mut self, chunk: ingest::Chunk) -> Option<Vec<ingest::Chunk>> {
        self.bytes += chunk.bytes;
        self.chunks.push(chunk);
        (self.bytes >= self.limit).then(|| self.take())
    }

    /// The chunks so far, leaving the batch empty.
    pub(super) fn take(&mut self) -> Vec<ingest::Chunk> {
        self.bytes = 0;
        std::mem::take(&mut self.chunks)
    }
}

/// The field mapping of a build: defaults, `newsdex.toml` at the corpus root, `--field`.
pub fn field_map(options: &BuildOptions) -> anyhow::Result<FieldMap> {
    let config = CorpusConfig::load(&options.corpus)?;
    FieldMap::new(&options.fields, &options.extras, config.as_ref()).map_err(anyhow::Error::msg)
}

/// Reads, splits and annotates the articles of one file; JSON Lines and CSV are read in
/// chunks, a bad record is an error of its own. A structured file none of whose records
/// yields a body fails whole, with one error that names the records' fields.
pub fn process_file(
    file: &CorpusFile,
    map: &FieldMap,
    extractor: &EntityExtractor,
) -> FileArticles {
    process_file_with(file, map, |article, passages| {
        extractor.annotate(article, passages)
    })
}

/// `process_file`, with `annotate` filling in the passages' entities, article by article in
/// the file's order.
pub fn process_file_with(
    file: &CorpusFile,
    map: &FieldMap,
    mut annotate: impl FnMut(&Article, &mut [Passage]),
) -> FileArticles {
    let mut result = FileArticles::default();
    let mut body = BodyCheck::default();
    let mut read = Vec::new();
    ingest::split_file(file.clone(), ingest::CHUNK_BYTES, &mut |chunk| {
        let output = ingest::read_chunk(chunk, map);
        result.seen_fields |= output.seen_fields;
        result.failed |= output.failed;
        body.merge(output.body);
        read.extend(output.articles);
        true
    });
    if body.none_has_body() {
        result.failed = true;
        result.errors.push(body.error(&file.path, true));
        return result;
    }
    for article in read {
        match article {
            Ok(article) => {
                let mut passages = split_passages(&article);
                annotate(&article, &mut passages);
                result.articles.push((article, passages));
            }
            Err(error) => result.errors.push(error),
        }
    }
    result
}

/// Where a warning about an article points: its file, and for a record of a JSON, JSON Lines
/// or CSV file the record (`file#7`: the record's id, or its line), as in its article id.
pub fn record_place(path: &str, article_id: &str) -> String {
    match article_id.rsplit_once('#') {
        Some((_, record)) => format!("{path}#{record}"),
        None => path.to_string(),
    }
}

/// The one-line reason for a path the walk passed over.
pub fn skip_message(reason: &SkipReason) -> String {
    match reason {
        SkipReason::Hidden => "hidden".to_string(),
        SkipReason::UnknownExtension => "unknown extension".to_string(),
        SkipReason::TooLarge { size, limit } => {
            format!("file of {size} bytes is over the limit of {limit} bytes (--max-file-size)")
        }
        SkipReason::Unreadable(reason) => format!("cannot read: {reason}"),
    }
}

pub(super) fn modified_ns(metadata: &std::fs::Metadata) -> i64 {
    nanos_since_epoch(metadata.modified().ok())
}

/// A modification time as the manifest keeps it: nanoseconds since the epoch, 0 if unknown.
pub(super) fn nanos_since_epoch(time: Option<std::time::SystemTime>) -> i64 {
    time.and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |since| {
            i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
        })
}

/// The path relative to the corpus root, `/`-separated; `""` for the root itself.
pub(super) fn relative_to(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// xxh3 of a file's bytes, read as a stream.
pub(super) fn stream_hash(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.digest());
        }
        hasher.update(&buffer[..n]);
    }
}

pub(super) fn is_streamed(format: Format) -> bool {
    matches!(format, Format::Jsonl | Format::Csv)
}

/// The size or modification time of the file differs from what the walk saw.
pub(super) fn changed_since_walk(file: &CorpusFile, observed: &Observed) -> bool {
    match std::fs::metadata(&file.path) {
        Ok(metadata) => {
            metadata.len() != observed.size || modified_ns(&metadata) != observed.mtime_ns
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(bytes: u64) -> ingest::Chunk {
        ingest::Chunk {
            file: std::sync::Arc::new(CorpusFile {
                path: "a.txt".into(),
                relative: "a.txt".to_string(),
                format: Format::Seed,
                size: bytes,
                modified: None,
            }),
            body: ingest::ChunkBody::WholeFile,
            bytes,
            last_of_file: true,
        }
    }

    /// Small files fill a batch by their bytes, not their number; a large one fills it alone.
    #[test]
    fn a_batch_is_full_at_a_few_chunks_bytes_per_core() {
        let mut batch = ChunkBatch::new();
        let limit = batch.limit;
        let small = 4096;
        let mut pushed = 0;
        let full = loop {
            pushed += 1;
            if let Some(full) = batch.push(chunk(small)) {
                break full;
            }
        };
        assert_eq!(full.len(), pushed);
        assert_eq!(pushed as u64, limit.div_ceil(small));
        assert!(batch.take().is_empty());
        assert_eq!(batch.push(chunk(limit)).map(|full| full.len()), Some(1));
        assert!(batch.push(chunk(1)).is_none());
        assert_eq!(batch.take().len(), 1);
    }
}
