//! A directory that hands the file system what it writes in pieces of at most `PIECE_BYTES`.
//!
//! tantivy writes some files with one `write` of many megabytes: the merge after a full build
//! copies each segment's document store whole. Through this directory the merge of the 1M
//! passage index took 2.0-2.1 s against 3.2-3.4 s, and the build 2.3-2.7 s of system time
//! against 3.5-3.8 s (four alternated builds). Why one large write costs the kernel more here
//! is not settled: a lone program writing 200 MB to a new file ran at about 150 MB/s whatever
//! the size of its writes, once the pages the kernel had just freed were used up. Everything
//! else goes to the directory inside.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};

/// The largest piece a `write` hands the file system.
pub(super) const PIECE_BYTES: usize = 16 * 1024;

/// `D`, writing in pieces.
#[derive(Clone, Debug)]
pub struct InPieces<D>(pub D);

impl<D: Directory + Clone> Directory for InPieces<D> {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let whole = self.0.open_write(path)?;
        let inner = whole
            .into_inner()
            .map_err(|error| OpenWriteError::wrap_io_error(error.into_error(), path.into()))?;
        Ok(BufWriter::with_capacity(
            PIECE_BYTES,
            Box::new(Pieces(inner)),
        ))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.0.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.0.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.0.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(watch_callback)
    }
}

/// A writer that takes at most `PIECE_BYTES` of each `write`; `write_all` (and so every
/// writer above it) comes back for the rest.
struct Pieces(Box<dyn TerminatingWrite + Send + Sync>);

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(&buf[..buf.len().min(PIECE_BYTES)])
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl TerminatingWrite for Pieces {
    fn terminate_ref(&mut self, token: AntiCallToken) -> io::Result<()> {
        self.0.terminate_ref(token)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::directory::MmapDirectory;

    use super::*;

    /// A writer that records the length of every `write` it is handed.
    struct Recording(Arc<std::sync::Mutex<Vec<usize>>>);

    impl Write for Recording {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().push(buf.len());
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl TerminatingWrite for Recording {
        fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_large_write_reaches_the_file_in_pieces() {
        let lengths = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut pieces = Pieces(Box::new(Recording(lengths.clone())));
        let bytes = vec![7u8; PIECE_BYTES * 3 + 5];
        pieces.write_all(&bytes).unwrap();
        assert_eq!(
            *lengths.lock().unwrap(),
            [PIECE_BYTES, PIECE_BYTES, PIECE_BYTES, 5]
        );
    }

    #[test]
    fn a_file_written_in_pieces_holds_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let directory = InPieces(MmapDirectory::open(dir.path()).unwrap());
        let bytes: Vec<u8> = (0..PIECE_BYTES * 5 + 321)
            .map(|at| (at % 253) as u8)
            .collect();
        let mut writer = directory.open_write(Path::new("f")).unwrap();
        writer.write_all(&bytes[..100]).unwrap();
        writer.write_all(&bytes[100..]).unwrap();
        writer.terminate().unwrap();
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), bytes);
    }
}
