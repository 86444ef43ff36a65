//! `--memory` is the whole build's budget, not only the index writer's: the writer's arena gets
//! what the rest of the build leaves of it, up to a ceiling. The rest is the readers, workers
//! and queues (a fixed share and a share per worker), the articles held back for the final
//! acronym table (an incremental build only), and the bookkeeping kept for every file of the
//! corpus until the commit (its manifest entry and, for an article written before the final
//! table, how its acronyms resolved). The figures are measured on builds of 1M and 10M
//! synthetic passages (105,440 and 1,054,000 files; `docs/performance.md`, "The whole build
//! within `--memory`").

use crate::index;

/// Readers, the document queue of the writer, the built-in lists and the tagger.
const BASE_BYTES: usize = 64 << 20;
/// A worker's analysers (their memories of words) and the chunks it reads and encodes.
const PER_WORKER_BYTES: usize = 32 << 20;
/// A file: its entry in the walk and in the manifest, the state of its articles until the
/// commit. Measured at about 1 KB on 1M and 10M synthetic passages; a quarter more, as margin.
pub const PER_FILE_BYTES: usize = 1280;
/// The share of what is left that the writer's arena takes: writing a full segment out needs
/// more besides (its terms sorted, its columns encoded).
const WRITER_SHARE: (usize, usize) = (3, 4);
/// The writer's arena takes at least this (tantivy's floor) per indexing thread.
const WRITER_FLOOR_BYTES: usize = 15 << 20;
/// And at most this per indexing thread, whatever the budget: a larger arena writes larger
/// segments, which a full build merges into one all the same, and holds its memory for the
/// whole build. On 1M synthetic passages, arenas of 43, 91 and 187 MB built in the same time,
/// and the largest took 380-400 MB at the peak against 250-260 MB (`docs/performance.md`).
/// Lucene's default buffer is 16 MB.
pub const WRITER_CEILING_BYTES: usize = 96 << 20;

/// How a build's memory is shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The writer's arena, in MB.
    pub writer_mb: usize,
    /// The articles held back for the final acronym table at most, in bytes.
    pub hold_bytes: usize,
}

/// Why `--memory` cannot hold a build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--memory {memory_mb} MB is too little for {files} files: besides the index writer's \
     {floor_mb} MB at least, the build holds about {reserve_mb} MB (readers and queues, \
     {per_file} bytes of bookkeeping per file); give --memory {needed_mb} or more"
)]
pub struct TooLittleMemory {
    pub memory_mb: usize,
    pub files: usize,
    pub floor_mb: usize,
    pub reserve_mb: usize,
    pub per_file: usize,
    pub needed_mb: usize,
}

/// Shares `memory_mb` out for a build over `files` files with `workers` workers; a full build
/// (`holds` false) holds no article back.
pub fn share(
    memory_mb: usize,
    files: usize,
    workers: usize,
    holds: bool,
) -> Result<Budget, TooLittleMemory> {
    let memory = memory_mb.saturating_mul(1 << 20);
    let hold_bytes = if holds {
        super::HOLD_BYTES.min(memory / 8)
    } else {
        0
    };
    let reserve = BASE_BYTES
        + PER_WORKER_BYTES.saturating_mul(workers)
        + hold_bytes
        + PER_FILE_BYTES.saturating_mul(files);
    let floor = WRITER_FLOOR_BYTES * index::build_indexing_threads();
    let (share, of) = WRITER_SHARE;
    let writer = (memory.saturating_sub(reserve) / of * share)
        .min(WRITER_CEILING_BYTES * index::build_indexing_threads());
    if writer >= floor {
        return Ok(Budget {
            writer_mb: writer >> 20,
            hold_bytes,
        });
    }
    Err(TooLittleMemory {
        memory_mb,
        files,
        floor_mb: floor >> 20,
        reserve_mb: reserve.div_ceil(1 << 20),
        per_file: PER_FILE_BYTES,
        needed_mb: (reserve + floor.div_ceil(share) * of).div_ceil(1 << 20),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_gets_what_the_rest_of_the_build_leaves() {
        // Budgets under the writer's ceiling.
        let small = share(250, 100, 2, false).unwrap();
        let large = share(250, 60_000, 2, false).unwrap();
        // 60,000 files more cost their bookkeeping, taken from the writer.
        let per_file_mb = ((60_000 - 100) * PER_FILE_BYTES) >> 20;
        assert!(small.writer_mb - large.writer_mb >= per_file_mb / 2);
        assert!(small.writer_mb < 250 - 128 && small.hold_bytes == 0);
        // An incremental build holds articles back, within an eighth of the budget.
        let holding = share(250, 100, 2, true).unwrap();
        assert_eq!(holding.hold_bytes, 250 << 20 >> 3);
        assert!(holding.writer_mb < small.writer_mb);
        assert_eq!(share(512, 100, 2, true).unwrap().hold_bytes, 64 << 20);
        // More workers, less for the writer.
        assert!(share(250, 100, 4, false).unwrap().writer_mb < small.writer_mb);
    }

    #[test]
    fn the_writer_takes_no_more_than_its_ceiling_whatever_the_budget() {
        let ceiling_mb = (WRITER_CEILING_BYTES * index::build_indexing_threads()) >> 20;
        assert_eq!(share(8192, 100, 2, false).unwrap().writer_mb, ceiling_mb);
        assert_eq!(share(65536, 100, 2, true).unwrap().writer_mb, ceiling_mb);
        // Under it, what the rest of the build leaves.
        let under = share(200, 100, 2, false).unwrap().writer_mb;
        assert!(under < ceiling_mb && under >= 15, "{under}");
    }

    #[test]
    fn too_little_memory_names_what_it_would_take() {
        let error = share(256, 1_000_000, 2, false).unwrap_err();
        assert!(error.needed_mb > 256 + 400, "{error:?}");
        // What it names is enough.
        assert!(share(error.needed_mb, 1_000_000, 2, false).is_ok());
        assert!(share(error.needed_mb - 1, 1_000_000, 2, false).is_err());
        let message = error.to_string();
        assert!(message.contains("--memory 256 MB"), "{message}");
        assert!(message.contains("1000000 files"), "{message}");
    }
}
