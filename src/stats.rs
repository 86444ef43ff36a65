//! Index statistics: an opened index -> `IndexStats` (articles, passages, date range,
//! categories, sections, top entities, segments, size on disk, the last build's payload).
//! Returns data; `cmd::stats` formats it. It never writes to the index.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::AllQuery;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::error::IndexError;
use crate::facets::{EntityCount, FacetCollector, FacetCount, FacetField};
use crate::index::IndexHandle;
use crate::index::last_payload;
use crate::model::{ExtraType, Keyword};
use crate::schema::field_name;

/// One segment of the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentStats {
    pub id: String,
    /// Live passages.
    pub passages: u32,
    /// Passages deleted but not yet merged away.
    pub deleted: u32,
}

/// One keyword field of an index: its distinct values and the most common ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeywordStats {
    pub field: Keyword,
    pub values: usize,
    /// Passages per value, most first; ties by value.
    pub top: Vec<FacetCount>,
}

/// A declared field of an index (`[fields.extra]`): its type and its most common values
/// (keyword fields), or its smallest and largest values (number and date fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtraStats {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ExtraType,
    /// Distinct values (keyword fields).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<usize>,
    /// Passages per value, most first (keyword fields).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<FacetCount>,
    /// The smallest and largest values (number and date fields; dates as RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Value>,
}

/// What an index holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexStats {
    pub path: String,
    pub schema_version: u32,
    /// The newsdex that made the last commit, when it recorded itself.
    pub newsdex_version: Option<String>,
    /// The corpus folder of the last build, as given then.
    pub corpus: Option<String>,
    /// Corpus files in the manifest of the last commit.
    pub files: usize,
    pub articles: u64,
    pub passages: u64,
    pub undated_articles: u64,
    /// Articles that are near-copies of another (`fingerprint::count_near_copies`): the
    /// articles minus the groups of copies they form.
    pub duplicate_articles: u64,
    pub first_date: Option<DateTime<Utc>>,
    pub last_date: Option<DateTime<Utc>>,
    /// Articles per category, most first; ties by name.
    pub categories: Vec<FacetCount>,
    /// Distinct section headings.
    pub n_sections: usize,
    /// Passages per section heading, most first; ties by name.
    pub top_sections: Vec<FacetCount>,
    /// Passages that mention each entity, most first.
    pub top_entities: Vec<EntityCount>,
    /// The article metadata fields beside the categories (source, author, language): how
    /// many distinct values each holds and the most common, by passages.
    pub fields: Vec<KeywordStats>,
    /// The fields declared when it was built, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extras: Vec<ExtraStats>,
    pub segments: Vec<SegmentStats>,
    /// Bytes of every file in the index directory.
    pub size_bytes: u64,
}

/// Gathers the statistics of the index's last commit; `top` bounds the entity and section lists.
pub fn index_stats(handle: &IndexHandle, top: usize) -> Result<IndexStats, IndexError> {
    let tantivy_error = |source| IndexError::Tantivy {
        path: handle.path.clone(),
        source,
    };
    let reader = handle.index.reader().map_err(tantivy_error)?;
    let searcher = reader.searcher();
    let schema = handle.index.schema();
    let fields = handle.fields;
    // The commit payload: what the build recorded, the declared fields among it.
    let payload = last_payload(handle)?;
    let declared = payload
        .as_ref()
        .map(|payload| payload.extras.clone())
        .unwrap_or_default();
    let facets = FacetCollector::new(&schema, &fields).with_extras(&schema, &fields, &declared);
    let counts = CountCollector {
        ordinal_field: field_name(&schema, fields.ordinal).to_string(),
        category_field: field_name(&schema, fields.category).to_string(),
        section_field: field_name(&schema, fields.section).to_string(),
        date_field: field_name(&schema, fields.date).to_string(),
        fingerprint_field: field_name(&schema, fields.fingerprint).to_string(),
    };
    let (tally, counts) = searcher
        .search(&AllQuery, &(facets, counts))
        .map_err(tantivy_error)?;
    let spellings = crate::index::load_spellings(handle, &searcher);
    let keywords = [Keyword::Source, Keyword::Author, Keyword::Language];
    let distinct: Vec<usize> = keywords.iter().map(|k| tally.distinct(*k)).collect();
    let extra_distinct: Vec<usize> = declared
        .iter()
        .map(|extra| tally.distinct_of(&FacetField::Extra(extra.name.clone())))
        .collect();
    let mut facets = tally.canonical(&spellings).into_facets(top, None);
    let object = field_name(&schema, fields.extra).to_string();
    let extras = declared
        .iter()
        .zip(extra_distinct)
        .map(|(extra, values)| {
            let (min, max) =
                value_range(&searcher, &format!("{object}.{}", extra.name), extra.kind);
            ExtraStats {
                name: extra.name.clone(),
                kind: extra.kind,
                values: (extra.kind == ExtraType::Keyword).then_some(values),
                top: facets.extra.remove(&extra.name).unwrap_or_default(),
                min,
                max,
            }
        })
        .collect();
    let fields = keywords
        .into_iter()
        .zip(distinct)
        .map(|(field, values)| KeywordStats {
            field,
            values,
            top: facets.keyword(field).to_vec(),
        })
        .collect();
    let entities = std::mem::take(&mut facets.entities);
    let segments = searcher
        .segment_readers()
        .iter()
        .map(|segment| SegmentStats {
            id: segment.segment_id().short_uuid_string(),
            passages: segment.num_docs(),
            deleted: segment.num_deleted_docs(),
        })
        .collect();
    let mut top_sections = sorted_counts(counts.sections);
    let n_sections = top_sections.len();
    top_sections.truncate(top);
    Ok(IndexStats {
        path: handle.path.display().to_string(),
        schema_version: crate::schema::SCHEMA_VERSION,
        newsdex_version: payload.as_ref().map(|p| p.newsdex_version.clone()),
        corpus: payload.as_ref().map(|p| p.corpus.clone()),
        files: payload.as_ref().map_or(0, |p| p.files),
        articles: counts.articles,
        passages: searcher.num_docs(),
        undated_articles: counts.undated_articles,
        duplicate_articles: crate::fingerprint::count_near_copies(&counts.fingerprints),
        first_date: counts
            .first_date
            .and_then(|secs| DateTime::from_timestamp(secs, 0)),
        last_date: counts
            .last_date
            .and_then(|secs| DateTime::from_timestamp(secs, 0)),
        categories: sorted_counts(counts.categories),
        n_sections,
        top_sections,
        top_entities: entities,
        fields,
        extras,
        segments,
        size_bytes: dir_size(&handle.path)?,
    })
}

/// The smallest and largest values of a declared number or date column, as JSON; `None` for
/// other fields and for a column no passage fills.
fn value_range(
    searcher: &tantivy::Searcher,
    column: &str,
    kind: ExtraType,
) -> (Option<serde_json::Value>, Option<serde_json::Value>) {
    let mut range: Option<(f64, f64)> = None;
    for segment in searcher.segment_readers() {
        let found = match kind {
            ExtraType::Number => segment
                .fast_fields()
                .column_opt::<f64>(column)
                .ok()
                .flatten()
                .filter(|column| column.values.num_vals() > 0)
                .map(|column| (column.min_value(), column.max_value())),
            ExtraType::Date => segment
                .fast_fields()
                .column_opt::<tantivy::DateTime>(column)
                .ok()
                .flatten()
                .filter(|column| column.values.num_vals() > 0)
                .map(|column| {
                    (
                        column.min_value().into_timestamp_secs() as f64,
                        column.max_value().into_timestamp_secs() as f64,
                    )
                }),
            ExtraType::Keyword | ExtraType::Text => None,
        };
        if let Some((low, high)) = found {
            range = Some(match range {
                None => (low, high),
                Some((min, max)) => (min.min(low), max.max(high)),
            });
        }
    }
    let Some((min, max)) = range else {
        return (None, None);
    };
    let json = |value: f64| match kind {
        ExtraType::Date => DateTime::from_timestamp(value as i64, 0)
            .map_or(serde_json::Value::Null, crate::model::date_json),
        _ => crate::model::number_json(value),
    };
    (Some(json(min)), Some(json(max)))
}

fn sorted_counts(counts: HashMap<String, u64>) -> Vec<FacetCount> {
    let mut sorted: Vec<FacetCount> = counts
        .into_iter()
        .map(|(value, count)| FacetCount { value, count })
        .collect();
    sorted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    sorted
}

/// Total size of the files directly in `dir` (tantivy keeps no subfolders); 0 for an index in
/// memory.
fn dir_size(dir: &Path) -> Result<u64, IndexError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut total = 0;
    for entry in entries {
        let entry = entry.map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        if let Ok(metadata) = entry.metadata()
            && metadata.is_file()
        {
            total += metadata.len();
        }
    }
    Ok(total)
}

/// Counts articles (their passage 0), their categories and dates, and passages per section.
struct CountCollector {
    ordinal_field: String,
    category_field: String,
    section_field: String,
    date_field: String,
    fingerprint_field: String,
}

#[derive(Debug, Default)]
struct Counts {
    articles: u64,
    /// The fingerprint of each article that has one.
    fingerprints: Vec<u64>,
    undated_articles: u64,
    first_date: Option<i64>,
    last_date: Option<i64>,
    categories: HashMap<String, u64>,
    sections: HashMap<String, u64>,
}

struct CountSegmentCollector {
    ordinals: Option<Column<u64>>,
    categories: Option<StrColumn>,
    sections: Option<StrColumn>,
    dates: Option<Column<tantivy::DateTime>>,
    fingerprints: Option<Column<u64>>,
    fingerprint_values: Vec<u64>,
    category_counts: Vec<u64>,
    section_counts: Vec<u64>,
    articles: u64,
    undated_articles: u64,
    first_date: Option<i64>,
    last_date: Option<i64>,
}

impl Collector for CountCollector {
    type Fruit = Counts;
    type Child = CountSegmentCollector;

    fn for_segment(
        &self,
        _segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<CountSegmentCollector> {
        let fast_fields = segment.fast_fields();
        let categories = fast_fields.str(&self.category_field)?;
        let sections = fast_fields.str(&self.section_field)?;
        Ok(CountSegmentCollector {
            ordinals: fast_fields.column_opt::<u64>(&self.ordinal_field)?,
            category_counts: vec![0; categories.as_ref().map_or(0, |c| c.num_terms())],
            section_counts: vec![0; sections.as_ref().map_or(0, |c| c.num_terms())],
            categories,
            sections,
            dates: fast_fields.column_opt::<tantivy::DateTime>(&self.date_field)?,
            fingerprints: fast_fields.column_opt::<u64>(&self.fingerprint_field)?,
            fingerprint_values: Vec::new(),
            articles: 0,
            undated_articles: 0,
            first_date: None,
            last_date: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<tantivy::Result<Counts>>) -> tantivy::Result<Counts> {
        let mut merged = Counts::default();
        for fruit in fruits {
            let fruit = fruit?;
            merged.articles += fruit.articles;
            merged.fingerprints.extend(fruit.fingerprints);
            merged.undated_articles += fruit.undated_articles;
            merged.first_date = min_option(merged.first_date, fruit.first_date);
            merged.last_date = max_option(merged.last_date, fruit.last_date);
            for (value, count) in fruit.categories {
                *merged.categories.entry(value).or_default() += count;
            }
            for (value, count) in fruit.sections {
                *merged.sections.entry(value).or_default() += count;
            }
        }
        Ok(merged)
    }
}

fn min_option(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_option(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn resolve(column: Option<&StrColumn>, counts: &[u64]) -> tantivy::Result<HashMap<String, u64>> {
    let mut resolved = HashMap::new();
    let Some(column) = column else {
        return Ok(resolved);
    };
    let mut buffer = String::new();
    for (ord, &count) in counts.iter().enumerate() {
        if count > 0 && column.ord_to_str(ord as u64, &mut buffer)? {
            *resolved.entry(buffer.clone()).or_default() += count;
        }
    }
    Ok(resolved)
}

impl SegmentCollector for CountSegmentCollector {
    type Fruit = tantivy::Result<Counts>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(column) = &self.sections {
            for ord in column.term_ords(doc) {
                self.section_counts[ord as usize] += 1;
            }
        }
        // Every article has exactly one passage 0 (its first), so article-level counts look
        // only at those.
        let is_first = self.ordinals.as_ref().and_then(|column| column.first(doc)) == Some(0);
        if !is_first {
            return;
        }
        self.articles += 1;
        if let Some(fingerprint) = self.fingerprints.as_ref().and_then(|c| c.first(doc)) {
            self.fingerprint_values.push(fingerprint);
        }
        if let Some(column) = &self.categories {
            for ord in column.term_ords(doc) {
                self.category_counts[ord as usize] += 1;
            }
        }
        match self.dates.as_ref().and_then(|column| column.first(doc)) {
            Some(date) => {
                let secs = date.into_timestamp_secs();
                self.first_date = min_option(self.first_date, Some(secs));
                self.last_date = max_option(self.last_date, Some(secs));
            }
            None => self.undated_articles += 1,
        }
    }

    fn harvest(self) -> tantivy::Result<Counts> {
        Ok(Counts {
            articles: self.articles,
            fingerprints: self.fingerprint_values,
            undated_articles: self.undated_articles,
            first_date: self.first_date,
            last_date: self.last_date,
            categories: resolve(self.categories.as_ref(), &self.category_counts)?,
            sections: resolve(self.sections.as_ref(), &self.section_counts)?,
        })
    }
}
