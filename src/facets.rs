//! Facets: counts of entities, categories and months over every passage a query matches, not
//! only the page shown. A tantivy collector over the fast columns; returns data, no formatting.
//!
//! Counting is by column ordinal in one pass over the matching passages (every facet in the
//! same collector). Ordinals become strings only at the end, through each segment's decoded
//! term table: segments never change once written, so a table decoded once (on first use, or
//! ahead of time with [`FacetCollector::warm`]) serves every later search, and a search never
//! decompresses dictionary blocks.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Datelike};
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::extract::spelling::Spellings;
pub use crate::model::parse_entity_label;
use crate::model::{EntityKind, ExtraField, ExtraType, Keyword, split_entity_label};

/// One value and the number of matching passages that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// An entity and the number of matching passages that mention it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityCount {
    pub name: String,
    pub kind: EntityKind,
    pub count: u64,
}

/// Facet counts over a whole result set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Passages counted (every match).
    pub total: u64,
    /// Most mentioned first; ties by name.
    pub entities: Vec<EntityCount>,
    pub categories: Vec<FacetCount>,
    /// Outlets, authors and languages, most frequent first (absent when none is known).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<FacetCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<FacetCount>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<FacetCount>,
    /// The declared keyword fields' values (`[fields.extra]`), by field name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<FacetCount>>,
    /// `YYYY-MM`, in calendar order; undated passages are not counted here.
    pub months: Vec<FacetCount>,
}

/// A field whose values facets count: a built-in keyword, or a declared keyword field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FacetField {
    Keyword(Keyword),
    Extra(String),
}

/// Distinct values of one field and the passages that hold each.
type ValueCounts = Vec<(Arc<str>, u64)>;

/// Raw counts as the collector gathers them.
#[derive(Debug, Default)]
pub struct FacetTally {
    total: u64,
    /// Distinct labels and their counts.
    entity_labels: Vec<(Arc<str>, u64)>,
    /// The values of each keyword field the collector counts, in its order.
    keywords: Vec<(FacetField, ValueCounts)>,
    months: BTreeMap<i32, u64>,
}

impl FacetTally {
    /// The raw `kind:Name` labels and the passages that hold each.
    pub fn into_entity_labels(self) -> HashMap<String, u64> {
        self.entity_labels
            .into_iter()
            .map(|(label, count)| (label.to_string(), count))
            .collect()
    }

    /// The same counts with every entity label under the index's canonical spelling
    /// (`Spellings::canonical`): the counts of the spellings of one entity are added.
    pub fn canonical(mut self, spellings: &Spellings) -> FacetTally {
        if spellings.is_empty() {
            return self;
        }
        let mut merged: HashMap<Arc<str>, u64> = HashMap::with_capacity(self.entity_labels.len());
        for (label, count) in self.entity_labels {
            let label = match split_entity_label(&label) {
                Some((kind, name)) if spellings.canonical(kind, name) != name => {
                    format!("{}:{}", kind.as_str(), spellings.canonical(kind, name)).into()
                }
                _ => label,
            };
            *merged.entry(label).or_default() += count;
        }
        self.entity_labels = merged.into_iter().collect();
        self
    }

    /// How many distinct values a keyword field holds among the matching passages.
    pub fn distinct(&self, keyword: Keyword) -> usize {
        self.distinct_of(&FacetField::Keyword(keyword))
    }

    /// How many distinct values a counted field holds among the matching passages.
    pub fn distinct_of(&self, field: &FacetField) -> usize {
        self.keywords
            .iter()
            .find(|(k, _)| k == field)
            .map_or(0, |(_, values)| values.len())
    }

    /// Keeps the `top` most frequent entities (optionally of one kind) and categories.
    pub fn into_facets(self, top: usize, kind: Option<EntityKind>) -> Facets {
        let mut entities: Vec<(&str, EntityKind, u64)> = self
            .entity_labels
            .iter()
            .filter_map(|(label, count)| {
                let count = *count;
                let (found, name) = split_entity_label(label)?;
                kind.is_none_or(|kind| kind == found)
                    .then_some((name, found, count))
            })
            .collect();
        keep_top(&mut entities, top, |a, b| {
            b.2.cmp(&a.2).then_with(|| a.0.cmp(b.0))
        });
        let entities = entities
            .into_iter()
            .map(|(name, kind, count)| EntityCount {
                name: name.to_string(),
                kind,
                count,
            })
            .collect();
        let mut facets = Facets::default();
        for (keyword, values) in &self.keywords {
            let mut values: Vec<(&str, u64)> = values
                .iter()
                .map(|(value, count)| (&**value, *count))
                .collect();
            keep_top(&mut values, top, |a, b| {
                b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
            });
            let counts = values.into_iter().map(|(value, count)| FacetCount {
                value: value.to_string(),
                count,
            });
            match keyword {
                FacetField::Keyword(keyword) => facets.keyword_mut(*keyword).extend(counts),
                FacetField::Extra(name) => {
                    facets.extra.insert(name.clone(), counts.collect());
                }
            }
        }
        let months = self
            .months
            .into_iter()
            .map(|(month_idx, count)| FacetCount {
                value: format!(
                    "{:04}-{:02}",
                    month_idx.div_euclid(12),
                    month_idx.rem_euclid(12) + 1
                ),
                count,
            })
            .collect();
        Facets {
            total: self.total,
            entities,
            months,
            ..facets
        }
    }
}

impl Facets {
    /// The counts of a keyword field's values.
    pub fn keyword(&self, keyword: Keyword) -> &[FacetCount] {
        match keyword {
            Keyword::Category => &self.categories,
            Keyword::Source => &self.sources,
            Keyword::Author => &self.authors,
            Keyword::Language => &self.languages,
        }
    }

    pub fn keyword_mut(&mut self, keyword: Keyword) -> &mut Vec<FacetCount> {
        match keyword {
            Keyword::Category => &mut self.categories,
            Keyword::Source => &mut self.sources,
            Keyword::Author => &mut self.authors,
            Keyword::Language => &mut self.languages,
        }
    }
}

/// Sorts `items` by `order` and keeps the first `top`, sorting only those.
fn keep_top<T>(items: &mut Vec<T>, top: usize, order: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if top == 0 {
        items.clear();
        return;
    }
    if items.len() > top {
        items.select_nth_unstable_by(top - 1, &order);
        items.truncate(top);
    }
    items.sort_unstable_by(order);
}

/// Counts entities, categories and months of every matching passage.
pub struct FacetCollector {
    pub entity_label_field: String,
    /// The keyword fields counted, with their column names.
    pub keyword_fields: Vec<(FacetField, String)>,
    /// The date field passages are counted by month of (`None`: not by month).
    pub date_field: Option<String>,
    /// Counting a few passages (a sample of the best): counts in a hash map rather than a
    /// buffer as long as the column's dictionary, whose first use in a process faults in a
    /// fresh page for nearly every count.
    pub sparse: bool,
}

impl FacetCollector {
    /// Counting entities, every keyword field and months.
    pub fn new(schema: &tantivy::schema::Schema, fields: &crate::schema::Fields) -> FacetCollector {
        let name = |field| crate::schema::field_name(schema, field).to_string();
        FacetCollector {
            entity_label_field: name(fields.entity),
            keyword_fields: Keyword::ALL
                .into_iter()
                .map(|keyword| (FacetField::Keyword(keyword), name(fields.keyword(keyword))))
                .collect(),
            date_field: Some(name(fields.date)),
            sparse: false,
        }
    }

    /// Counting the declared keyword fields too (`extra.NAME` columns).
    pub fn with_extras(
        mut self,
        schema: &tantivy::schema::Schema,
        fields: &crate::schema::Fields,
        extras: &[ExtraField],
    ) -> FacetCollector {
        let object = crate::schema::field_name(schema, fields.extra);
        self.keyword_fields.extend(
            extras
                .iter()
                .filter(|extra| extra.kind == ExtraType::Keyword)
                .map(|extra| {
                    (
                        FacetField::Extra(extra.name.clone()),
                        format!("{object}.{}", extra.name),
                    )
                }),
        );
        self
    }

    /// Counting entities and months only.
    pub fn entities(
        schema: &tantivy::schema::Schema,
        fields: &crate::schema::Fields,
    ) -> FacetCollector {
        FacetCollector {
            keyword_fields: Vec::new(),
            ..FacetCollector::new(schema, fields)
        }
    }
}

thread_local! {
    /// Zeroed count buffers, reused from one search to the next on a thread.
    static COUNT_BUFFERS: RefCell<Vec<Vec<u32>>> = const { RefCell::new(Vec::new()) };
}

/// Largest count buffer kept for reuse (4 MiB).
const MAX_POOLED_COUNTS: usize = 1 << 20;

/// A zeroed buffer of at least `len` counts.
fn take_counts(len: usize) -> Vec<u32> {
    let Some(mut counts) = COUNT_BUFFERS.with(|pool| pool.borrow_mut().pop()) else {
        // Zeroed by the allocator: fresh pages are zero without being written.
        return vec![0; len];
    };
    if counts.len() < len {
        counts.resize(len, 0);
    }
    counts
}

/// Returns a buffer that is all zeros again.
fn give_back_counts(counts: Vec<u32>) {
    if counts.len() <= MAX_POOLED_COUNTS {
        COUNT_BUFFERS.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < 4 {
                pool.push(counts);
            }
        });
    }
}

/// Counts the values of one string column by term ordinal over a segment's matches.
struct OrdCounts {
    segment: SegmentId,
    column: StrColumn,
    table: Option<Arc<TermTable>>,
    /// Counts by ordinal, a buffer of the dictionary's length (empty when `sparse` counts).
    counts: Vec<u32>,
    /// Counts by ordinal of a sparse count (`FacetCollector::sparse`).
    sparse: Option<rustc_hash::FxHashMap<u64, u32>>,
    /// The ordinals counted at least once, in first-seen order.
    seen: Vec<u64>,
}

/// One segment's counts of one column, as harvested.
enum SegmentCounts {
    /// (ordinal, count) pairs over the segment's decoded term table.
    ByOrd {
        segment: SegmentId,
        table: Arc<TermTable>,
        counts: Vec<(u32, u32)>,
    },
    /// Counts by term, for a column too large to keep decoded.
    ByTerm(Vec<(Arc<str>, u64)>),
}

impl OrdCounts {
    fn new(
        segment: SegmentId,
        field: &str,
        column: StrColumn,
        sparse: bool,
    ) -> std::io::Result<OrdCounts> {
        let table = repeated_term_table(segment, field, &column)?;
        Ok(OrdCounts {
            segment,
            counts: match sparse {
                true => Vec::new(),
                false => take_counts(column.num_terms()),
            },
            sparse: sparse.then(rustc_hash::FxHashMap::default),
            column,
            table,
            seen: Vec::new(),
        })
    }

    #[inline]
    fn collect(&mut self, doc: DocId) {
        for ord in self.column.term_ords(doc) {
            let count = match &mut self.sparse {
                Some(counts) => counts.entry(ord).or_insert(0),
                None => &mut self.counts[ord as usize],
            };
            if *count == 0 {
                self.seen.push(ord);
            }
            *count += 1;
        }
    }

    /// The count of `ord`, leaving it zero.
    fn take_count(&mut self, ord: u64) -> u32 {
        match &mut self.sparse {
            Some(counts) => counts.remove(&ord).unwrap_or(0),
            None => std::mem::take(&mut self.counts[ord as usize]),
        }
    }

    /// The counts, leaving the buffer zeroed for the next search.
    fn harvest(mut self) -> std::io::Result<SegmentCounts> {
        let harvested = match self.table.take() {
            Some(table) => SegmentCounts::ByOrd {
                segment: self.segment,
                table,
                counts: std::mem::take(&mut self.seen)
                    .into_iter()
                    .map(|ord| (ord as u32, self.take_count(ord)))
                    .collect(),
            },
            None => {
                // One sorted pass over the dictionary: looking each ordinal up alone would
                // decompress a dictionary block per term.
                let mut seen = std::mem::take(&mut self.seen);
                seen.sort_unstable();
                let counts: Vec<u32> = seen.iter().map(|&ord| self.take_count(ord)).collect();
                let mut resolved = Vec::with_capacity(seen.len());
                let mut counted = counts.into_iter();
                self.column
                    .dictionary()
                    .sorted_ords_to_term_cb(&seen, |term| {
                        let count = counted.next().unwrap_or(0);
                        resolved.push((Arc::from(String::from_utf8_lossy(term)), u64::from(count)));
                    })?;
                SegmentCounts::ByTerm(resolved)
            }
        };
        if !self.counts.is_empty() {
            give_back_counts(std::mem::take(&mut self.counts));
        }
        Ok(harvested)
    }
}

/// The term tables of several segments merged into one sorted list of distinct terms, with
/// each segment's ordinals mapped to positions in it (global ordinals): counts of several
/// segments add up by position, without hashing a term.
struct GlobalOrdinals {
    terms: Box<[Arc<str>]>,
    /// Per segment (in key order), local ordinal -> global ordinal.
    maps: Box<[Box<[u32]>]>,
    bytes: u64,
}

/// The segments (in id order) and the field.
type GlobalKey = (Vec<SegmentId>, String);

#[derive(Clone)]
struct GlobalOrdinalsWeight;

impl Weighter<GlobalKey, Arc<GlobalOrdinals>> for GlobalOrdinalsWeight {
    fn weight(&self, _key: &GlobalKey, ordinals: &Arc<GlobalOrdinals>) -> u64 {
        ordinals.bytes
    }
}

/// Global ordinals per set of segments (a searcher generation), bounded in bytes.
static GLOBAL_ORDINALS: LazyLock<Cache<GlobalKey, Arc<GlobalOrdinals>, GlobalOrdinalsWeight>> =
    LazyLock::new(|| Cache::with_weighter(64, TERM_TABLES_BYTES, GlobalOrdinalsWeight));

fn global_ordinals(field: &str, tables: &[(SegmentId, &Arc<TermTable>)]) -> Arc<GlobalOrdinals> {
    let key: GlobalKey = (
        tables.iter().map(|(segment, _)| *segment).collect(),
        field.to_string(),
    );
    let build = || -> Result<Arc<GlobalOrdinals>, std::convert::Infallible> {
        let mut all: Vec<(&Arc<str>, usize, u32)> = tables
            .iter()
            .enumerate()
            .flat_map(|(table_idx, (_, table))| {
                table
                    .terms
                    .iter()
                    .enumerate()
                    .map(move |(ord, term)| (term, table_idx, ord as u32))
            })
            .collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut terms: Vec<Arc<str>> = Vec::new();
        let mut maps: Vec<Vec<u32>> = tables
            .iter()
            .map(|(_, table)| vec![0; table.terms.len()])
            .collect();
        let mut bytes = 0;
        for (term, table_idx, ord) in all {
            if terms.last() != Some(term) {
                bytes += term.len() as u64 + 32;
                terms.push(term.clone());
            }
            maps[table_idx][ord as usize] = (terms.len() - 1) as u32;
            bytes += 4;
        }
        Ok(Arc::new(GlobalOrdinals {
            terms: terms.into_boxed_slice(),
            maps: maps.into_iter().map(Vec::into_boxed_slice).collect(),
            bytes,
        }))
    };
    match GLOBAL_ORDINALS.get_or_insert_with(&key, build) {
        Ok(ordinals) => ordinals,
        Err(never) => match never {},
    }
}

/// One segment's (ordinal, count) pairs over its term table.
type OrdPart = (SegmentId, Arc<TermTable>, Vec<(u32, u32)>);

/// Adds up the counts of every segment for `field` into distinct terms and their counts.
fn merge_segment_counts(field: &str, mut parts: Vec<SegmentCounts>) -> Vec<(Arc<str>, u64)> {
    // Segments where nothing matched add nothing.
    parts.retain(|part| match part {
        SegmentCounts::ByOrd { counts, .. } => !counts.is_empty(),
        SegmentCounts::ByTerm(counts) => !counts.is_empty(),
    });
    let all_by_ord = parts
        .iter()
        .all(|part| matches!(part, SegmentCounts::ByOrd { .. }));
    if parts.len() == 1 || !all_by_ord {
        let mut merged: HashMap<Arc<str>, u64> = HashMap::new();
        let single = parts.len() == 1;
        let mut out = Vec::new();
        for part in parts {
            match part {
                SegmentCounts::ByOrd { table, counts, .. } => {
                    for (ord, count) in counts {
                        let term = table.terms[ord as usize].clone();
                        if single {
                            out.push((term, u64::from(count)));
                        } else {
                            *merged.entry(term).or_default() += u64::from(count);
                        }
                    }
                }
                SegmentCounts::ByTerm(counts) => {
                    if single {
                        out = counts;
                    } else {
                        for (term, count) in counts {
                            *merged.entry(term).or_default() += count;
                        }
                    }
                }
            }
        }
        if single {
            return out;
        }
        return merged.into_iter().collect();
    }
    let mut keyed: Vec<OrdPart> = parts
        .into_iter()
        .filter_map(|part| match part {
            SegmentCounts::ByOrd {
                segment,
                table,
                counts,
            } => Some((segment, table, counts)),
            SegmentCounts::ByTerm(_) => None,
        })
        .collect();
    keyed.sort_unstable_by_key(|(segment, _, _)| *segment);
    let tables: Vec<(SegmentId, &Arc<TermTable>)> = keyed
        .iter()
        .map(|(segment, table, _)| (*segment, table))
        .collect();
    let global = global_ordinals(field, &tables);
    let mut totals = take_counts(global.terms.len());
    let mut seen: Vec<u32> = Vec::new();
    for ((_, _, counts), map) in keyed.iter().zip(global.maps.iter()) {
        for &(ord, count) in counts {
            let global_ord = map[ord as usize];
            let total = &mut totals[global_ord as usize];
            if *total == 0 {
                seen.push(global_ord);
            }
            *total += count;
        }
    }
    let merged = seen
        .iter()
        .map(|&global_ord| {
            let count = std::mem::take(&mut totals[global_ord as usize]);
            (global.terms[global_ord as usize].clone(), u64::from(count))
        })
        .collect();
    give_back_counts(totals);
    merged
}

pub struct FacetSegmentCollector {
    entity_labels: Option<OrdCounts>,
    /// By place in `FacetCollector::keyword_fields`.
    keywords: Vec<(usize, OrdCounts)>,
    dates: Option<Column<tantivy::DateTime>>,
    months: BTreeMap<i32, u64>,
    /// The month of the last date seen, as (first second, last second, month index).
    last_month: Option<(i64, i64, i32)>,
    total: u64,
}

/// What one segment's collector hands back.
pub struct SegmentTally {
    total: u64,
    entity_labels: Option<SegmentCounts>,
    keywords: Vec<(usize, SegmentCounts)>,
    months: BTreeMap<i32, u64>,
}

impl Collector for FacetCollector {
    type Fruit = FacetTally;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let fast_fields = segment.fast_fields();
        let id = segment.segment_id();
        let counts = |field: &str| -> tantivy::Result<Option<OrdCounts>> {
            Ok(match fast_fields.str(field)? {
                Some(column) => Some(OrdCounts::new(id, field, column, self.sparse)?),
                None => None,
            })
        };
        Ok(FacetSegmentCollector {
            entity_labels: counts(&self.entity_label_field)?,
            keywords: self
                .keyword_fields
                .iter()
                .enumerate()
                .filter_map(|(at, (_, field))| {
                    counts(field).transpose().map(|c| c.map(|c| (at, c)))
                })
                .collect::<tantivy::Result<_>>()?,
            dates: match &self.date_field {
                Some(field) => fast_fields.column_opt::<tantivy::DateTime>(field)?,
                None => None,
            },
            months: BTreeMap::new(),
            last_month: None,
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<tantivy::Result<SegmentTally>>,
    ) -> tantivy::Result<FacetTally> {
        let mut total = 0;
        let mut entity_labels = Vec::new();
        let mut keywords: Vec<Vec<SegmentCounts>> =
            self.keyword_fields.iter().map(|_| Vec::new()).collect();
        let mut months: BTreeMap<i32, u64> = BTreeMap::new();
        for fruit in fruits {
            let fruit = fruit?;
            total += fruit.total;
            entity_labels.extend(fruit.entity_labels);
            for (at, counts) in fruit.keywords {
                keywords[at].push(counts);
            }
            for (month, count) in fruit.months {
                *months.entry(month).or_default() += count;
            }
        }
        Ok(FacetTally {
            total,
            entity_labels: merge_segment_counts(&self.entity_label_field, entity_labels),
            keywords: self
                .keyword_fields
                .iter()
                .zip(keywords)
                .map(|((keyword, field), parts)| {
                    (keyword.clone(), merge_segment_counts(field, parts))
                })
                .collect(),
            months,
        })
    }
}

/// The month of a timestamp as (first second, last second, `year * 12 + month0`).
fn month_of(seconds: i64) -> Option<(i64, i64, i32)> {
    let date = DateTime::from_timestamp(seconds, 0)?;
    let first = date
        .date_naive()
        .with_day(1)?
        .and_hms_opt(0, 0, 0)?
        .and_utc();
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((
        first.timestamp(),
        next.timestamp() - 1,
        date.year() * 12 + date.month0() as i32,
    ))
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = tantivy::Result<SegmentTally>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        if let Some(counts) = &mut self.entity_labels {
            counts.collect(doc);
        }
        for (_, counts) in &mut self.keywords {
            counts.collect(doc);
        }
        if let Some(seconds) = self
            .dates
            .as_ref()
            .and_then(|column| column.first(doc))
            .map(|date| date.into_timestamp_secs())
        {
            // Passages come in doc order, and neighbours are mostly of one month.
            let month = match self.last_month {
                Some((first, last, month)) if (first..=last).contains(&seconds) => Some(month),
                _ => {
                    self.last_month = month_of(seconds);
                    self.last_month.map(|(_, _, month)| month)
                }
            };
            if let Some(month) = month {
                *self.months.entry(month).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> tantivy::Result<SegmentTally> {
        Ok(SegmentTally {
            total: self.total,
            entity_labels: self.entity_labels.map(OrdCounts::harvest).transpose()?,
            keywords: self
                .keywords
                .into_iter()
                .map(|(keyword, counts)| Ok((keyword, counts.harvest()?)))
                .collect::<std::io::Result<_>>()?,
            months: self.months,
        })
    }
}

mod terms;
use terms::{TERM_TABLES_BYTES, repeated_term_table};
pub use terms::{TermTable, repeated_segment_terms, segment_terms};

#[cfg(test)]
mod tests;
