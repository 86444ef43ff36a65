//! Decoded term tables of segments' string columns, kept across searches (see the parent
//! module's doc): ordinals become strings without decompressing dictionary blocks.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};
use tantivy::SegmentReader;
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;

/// Past this many terms a segment's column is resolved by walking its dictionary per search
/// instead of being decoded into a table.
pub(super) const MAX_TABLE_TERMS: usize = 4_000_000;
/// Bytes of decoded term tables kept in memory, over all segments and fields.
pub(super) const TERM_TABLES_BYTES: u64 = 256 << 20;

/// The terms of one segment's string column, by ordinal.
pub struct TermTable {
    pub(super) terms: Box<[Arc<str>]>,
    pub(super) bytes: u64,
}

impl TermTable {
    /// The term of ordinal `ord`.
    pub fn term(&self, ord: u64) -> Option<&str> {
        self.terms
            .get(usize::try_from(ord).ok()?)
            .map(|term| &**term)
    }
}

/// The decoded term table of the string column `field` of `segment` (decoded on first use and
/// kept: see the module doc), or `None` when the segment has no such column or it has too many
/// terms to keep decoded. Turning ordinals into strings through it costs no decompression.
pub fn segment_terms(
    segment: &SegmentReader,
    field: &str,
) -> tantivy::Result<Option<Arc<TermTable>>> {
    held_or_decoded(segment, field, term_table)
}

/// `segment_terms` for a reader that asks once per search: the table when it is held or this
/// segment's dictionary was asked for before in this process (`repeated_term_table`), else
/// `None`, and the caller resolves its few ordinals one by one.
pub fn repeated_segment_terms(
    segment: &SegmentReader,
    field: &str,
) -> tantivy::Result<Option<Arc<TermTable>>> {
    held_or_decoded(segment, field, repeated_term_table)
}

/// How a column's table is decoded (`term_table`, `repeated_term_table`).
type Decode = fn(SegmentId, &str, &StrColumn) -> std::io::Result<Option<Arc<TermTable>>>;

/// The table held for `field` of `segment`, else what `decode` makes of its column.
fn held_or_decoded(
    segment: &SegmentReader,
    field: &str,
    decode: Decode,
) -> tantivy::Result<Option<Arc<TermTable>>> {
    // The common case first: the table is held, and the column need not be opened.
    if let Some(table) = held_table(segment.segment_id(), field) {
        return Ok(Some(table));
    }
    let Some(column) = segment.fast_fields().str(field)? else {
        return Ok(None);
    };
    Ok(decode(segment.segment_id(), field, &column)?)
}

type TermTableKey = (SegmentId, String);

/// A `TermTableKey` without an owned field name, for lookups (hashes the same way).
#[derive(Hash)]
struct BorrowedKey<'a>(SegmentId, &'a str);

impl Equivalent<TermTableKey> for BorrowedKey<'_> {
    fn equivalent(&self, key: &TermTableKey) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

#[derive(Clone)]
struct TermTableWeight;

impl Weighter<TermTableKey, Arc<TermTable>> for TermTableWeight {
    fn weight(&self, _key: &TermTableKey, table: &Arc<TermTable>) -> u64 {
        table.bytes
    }
}

/// Decoded term tables keyed by segment id and field. A segment id names one immutable
/// segment, so an entry never goes stale; tables of segments merged away are evicted as the
/// bound is reached. Made on first insert: making it asks the system for its core count.
static TERM_TABLES: OnceLock<Cache<TermTableKey, Arc<TermTable>, TermTableWeight>> =
    OnceLock::new();

/// The decoded table held for `field` of `segment`, if any.
fn held_table(segment: SegmentId, field: &str) -> Option<Arc<TermTable>> {
    TERM_TABLES.get()?.get(&BorrowedKey(segment, field))
}

/// The decoded term table of `column` (decoding it on first use), or `None` when the column
/// has too many terms to keep decoded.
pub(super) fn term_table(
    segment: SegmentId,
    field: &str,
    column: &StrColumn,
) -> std::io::Result<Option<Arc<TermTable>>> {
    let n_terms = column.num_terms();
    if n_terms > MAX_TABLE_TERMS {
        return Ok(None);
    }
    if let Some(table) = held_table(segment, field) {
        return Ok(Some(table));
    }
    TERM_TABLES
        .get_or_init(|| Cache::with_weighter(256, TERM_TABLES_BYTES, TermTableWeight))
        .get_or_insert_with(&(segment, field.to_string()), || {
            let mut terms = Vec::with_capacity(n_terms);
            let mut bytes = 0u64;
            let mut stream = column.dictionary().stream()?;
            while stream.advance() {
                let term: Arc<str> = String::from_utf8_lossy(stream.key()).into();
                bytes += term.len() as u64 + 32;
                terms.push(term);
            }
            Ok(Arc::new(TermTable {
                terms: terms.into_boxed_slice(),
                bytes,
            }))
        })
        .map(Some)
}

/// Dictionaries that facets asked for once without decoding them.
static ASKED_ONCE: LazyLock<Mutex<HashSet<TermTableKey>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

/// The term table of `column` for counting facets: the cached one, or a new one when this
/// dictionary was asked for before in this process. Decoding a whole dictionary pays off only
/// when it is read again (a server, a benchmark); a single search (one `newsdex search`
/// process) resolves its few ordinals in one sorted pass instead (`OrdCounts::harvest`).
pub(super) fn repeated_term_table(
    segment: SegmentId,
    field: &str,
    column: &StrColumn,
) -> std::io::Result<Option<Arc<TermTable>>> {
    if let Some(table) = held_table(segment, field) {
        return Ok(Some(table));
    }
    let first_time = {
        let mut asked = ASKED_ONCE.lock().unwrap_or_else(PoisonError::into_inner);
        if asked.len() >= 4096 {
            // Keys of segments merged away; forgetting them costs one more sorted pass each.
            asked.clear();
        }
        asked.insert((segment, field.to_string()))
    };
    if first_time {
        return Ok(None);
    }
    term_table(segment, field, column)
}
