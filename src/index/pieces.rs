//! The index's files written in pieces: at most `PIECE_BYTES` handed to the file system per
//! `write` (`directory::IndexDirectory` opens every file of a build and a merge so).
//!
//! tantivy writes some files with one `write` of many megabytes: the merge after a full build
//! copies each segment's document store whole. Written in pieces, the merge of the 1M
//! passage index took 2.0-2.1 s against 3.2-3.4 s, and the build 2.3-2.7 s of system time
//! against 3.5-3.8 s (four alternated builds). Why one large write costs the kernel more here
//! is not settled: a lone program writing 200 MB to a new file ran at about 150 MB/s whatever
//! the size of its writes, once the pages the kernel had just freed were used up.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use tantivy::directory::error::OpenWriteError;
use tantivy::directory::{AntiCallToken, TerminatingWrite, WritePtr};

/// The largest piece a `write` hands the file system.
pub(super) const PIECE_BYTES: usize = 16 * 1024;

/// `whole` (a file just opened, nothing written), writing in pieces.
pub(super) fn in_pieces(whole: WritePtr, path: &Path) -> Result<WritePtr, OpenWriteError> {
    let inner = whole
        .into_inner()
        .map_err(|error| OpenWriteError::wrap_io_error(error.into_error(), path.into()))?;
    Ok(BufWriter::with_capacity(
        PIECE_BYTES,
        Box::new(Pieces(inner)),
    ))
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
    use std::sync::Arc;

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
}
