//! The index folder as tantivy sees it: tantivy's `MmapDirectory` of the folder, changed in
//! one way or two depending on who uses it (`Use`). The one place that implements tantivy's
//! `Directory`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{
    DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError,
};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

use super::pieces::in_pieces;
use super::unmapped::open_chunked;

/// Who uses the folder, and so what differs from `MmapDirectory`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Searches: taking a lock writes nothing. tantivy's readers take the meta lock (a file in
    /// the index folder) while they read `meta.json`, to keep a writer from replacing it
    /// meanwhile; a build replaces `meta.json` by an atomic rename, so a reader sees one whole
    /// file without the lock, and searching needs no write access to the index (a read-only
    /// folder, another account's index). Searches never write through it.
    Search,
    /// A build: its writes reach the file system in pieces (`pieces`).
    Build,
    /// The merge after a full build: writes in pieces, and files read with `pread` into
    /// chunks of their own instead of mapped (`unmapped`), so that the segments it reads do
    /// not count in the build's resident memory.
    Merge,
}

#[derive(Clone, Debug)]
pub struct IndexDirectory {
    root: PathBuf,
    inner: MmapDirectory,
    usage: Use,
}

impl IndexDirectory {
    pub fn open(root: &Path, usage: Use) -> Result<IndexDirectory, OpenDirectoryError> {
        Ok(IndexDirectory {
            root: root.to_path_buf(),
            inner: MmapDirectory::open(root)?,
            usage,
        })
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        match self.usage {
            Use::Merge => open_chunked(&self.root, path),
            Use::Search | Use::Build => self.inner.get_file_handle(path),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let whole = self.inner.open_write(path)?;
        match self.usage {
            Use::Search => Ok(whole),
            Use::Build | Use::Merge => in_pieces(whole, path),
        }
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        match self.usage {
            Use::Search => Ok(DirectoryLock::from(Box::new(()))),
            Use::Build | Use::Merge => self.inner.acquire_lock(lock),
        }
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tantivy::directory::TerminatingWrite;

    use super::*;

    #[test]
    fn each_use_reads_and_writes_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..(3 << 20) + 321).map(|at| (at % 253) as u8).collect();
        for (number, usage) in [Use::Search, Use::Build, Use::Merge]
            .into_iter()
            .enumerate()
        {
            let directory = IndexDirectory::open(dir.path(), usage).unwrap();
            let name = format!("f{number}");
            let mut writer = directory.open_write(Path::new(&name)).unwrap();
            writer.write_all(&bytes[..100]).unwrap();
            writer.write_all(&bytes[100..]).unwrap();
            writer.terminate().unwrap();
            assert_eq!(std::fs::read(dir.path().join(&name)).unwrap(), bytes);
            let file = directory.get_file_handle(Path::new(&name)).unwrap();
            let range = (1 << 20) - 5..(2 << 20) + 7;
            assert_eq!(
                file.read_bytes(range.clone()).unwrap().as_slice(),
                &bytes[range],
                "{usage:?}"
            );
        }
    }

    #[test]
    fn a_search_takes_a_lock_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock {
            filepath: PathBuf::from(".tantivy-meta.lock"),
            is_blocking: false,
        };
        let search = IndexDirectory::open(dir.path(), Use::Search).unwrap();
        let held = search.acquire_lock(&lock).unwrap();
        assert!(!dir.path().join(".tantivy-meta.lock").exists());
        drop(held);
        let build = IndexDirectory::open(dir.path(), Use::Build).unwrap();
        let _held = build.acquire_lock(&lock).unwrap();
        assert!(dir.path().join(".tantivy-meta.lock").exists());
    }
}
