//! Files read with `pread` into buffers of their own instead of mapped, for the merge after a
//! full build (`merge_segments`, through `directory::Use::Merge`). The merge reads every
//! segment once, front to back; through memory maps, each page it touched would stay in the
//! process's resident set until the merge ends, and the build's peak memory would be the size
//! of the index on top of what the build itself holds.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::HasLen;
use tantivy::directory::error::OpenReadError;
use tantivy::directory::{FileHandle, OwnedBytes};

/// Bytes read at once: a read inside one chunk is served from the chunk, which later reads
/// of the same stretch share (the merge reads each term's postings and positions in turn).
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks kept per file.
const KEPT_CHUNKS: usize = 2;

/// `path` in the folder `root`, read in chunks (`ChunkedFile`).
pub(super) fn open_chunked(root: &Path, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
    let file = File::open(root.join(path)).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => OpenReadError::FileDoesNotExist(path.to_path_buf()),
        _ => OpenReadError::wrap_io_error(error, path.to_path_buf()),
    })?;
    let len = file
        .metadata()
        .map_err(|error| OpenReadError::wrap_io_error(error, path.to_path_buf()))?
        .len() as usize;
    Ok(Arc::new(ChunkedFile {
        file,
        len,
        chunks: Mutex::new(Vec::with_capacity(KEPT_CHUNKS)),
    }))
}

/// A file read in chunks of `CHUNK_BYTES`, the last `KEPT_CHUNKS` of them kept.
#[derive(Debug)]
struct ChunkedFile {
    file: File,
    len: usize,
    /// (chunk number, its bytes), the most recently read last.
    chunks: Mutex<Vec<(usize, OwnedBytes)>>,
}

impl ChunkedFile {
    fn read(&self, range: Range<usize>) -> io::Result<Vec<u8>> {
        let mut buffer = vec![0; range.len()];
        #[cfg(unix)]
        std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut buffer, range.start as u64)?;
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < buffer.len() {
                let at = (range.start + done) as u64;
                match std::os::windows::fs::FileExt::seek_read(&self.file, &mut buffer[done..], at)?
                {
                    0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                    read => done += read,
                }
            }
        }
        Ok(buffer)
    }

    /// Chunk `number`, read now or kept from before.
    fn chunk(&self, number: usize) -> io::Result<OwnedBytes> {
        let mut chunks = self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = chunks.iter().position(|(kept, _)| *kept == number) {
            if at + 1 < chunks.len() {
                let entry = chunks.remove(at);
                chunks.push(entry);
            }
            return Ok(chunks[chunks.len() - 1].1.clone());
        }
        let start = number * CHUNK_BYTES;
        let bytes = OwnedBytes::new(self.read(start..(start + CHUNK_BYTES).min(self.len))?);
        if chunks.len() == KEPT_CHUNKS {
            chunks.remove(0);
        }
        chunks.push((number, bytes.clone()));
        Ok(bytes)
    }
}

impl HasLen for ChunkedFile {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ChunkedFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        if range.end > self.len || range.start > range.end {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bytes {range:?} of a file of {} bytes", self.len),
            ));
        }
        if range.is_empty() {
            return Ok(OwnedBytes::empty());
        }
        let number = range.start / CHUNK_BYTES;
        if range.end <= (number + 1) * CHUNK_BYTES {
            let start = number * CHUNK_BYTES;
            return Ok(self
                .chunk(number)?
                .slice(range.start - start..range.end - start));
        }
        // Across chunks (a whole column, the stacked doc store): read as asked, not kept.
        Ok(OwnedBytes::new(self.read(range)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_give_the_files_bytes_within_and_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..CHUNK_BYTES * 3 + 100)
            .map(|at| (at % 251) as u8)
            .collect();
        std::fs::write(dir.path().join("f"), &bytes).unwrap();
        let file = open_chunked(dir.path(), Path::new("f")).unwrap();
        assert_eq!(file.len(), bytes.len());
        let ranges = [
            0..10,
            5..CHUNK_BYTES,
            CHUNK_BYTES - 3..CHUNK_BYTES + 3,
            CHUNK_BYTES * 2 + 7..CHUNK_BYTES * 2 + 9,
            // The first chunk again, after two others took its place.
            1..4,
            CHUNK_BYTES * 3..bytes.len(),
            0..bytes.len(),
            12..12,
        ];
        for range in ranges {
            assert_eq!(
                file.read_bytes(range.clone()).unwrap().as_slice(),
                &bytes[range.clone()],
                "{range:?}"
            );
        }
        assert!(file.read_bytes(0..bytes.len() + 1).is_err());
        assert!(matches!(
            open_chunked(dir.path(), Path::new("missing")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
