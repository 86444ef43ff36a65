//! Facets: counts of entities, categories and months over every passage a query matches, not
//! only the page shown. A tantivy collector over the fast columns; returns data, no formatting.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike};
use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::model::{Entity, EntityKind};

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
    /// `YYYY-MM`, in calendar order; undated passages are not counted here.
    pub months: Vec<FacetCount>,
}

/// Raw counts as the collector gathers them.
#[derive(Debug, Default)]
pub struct FacetTally {
    total: u64,
    entity_labels: HashMap<String, u64>,
    categories: HashMap<String, u64>,
    months: BTreeMap<i32, u64>,
}

impl FacetTally {
    /// The raw `kind:Name` labels and the passages that hold each.
    pub fn into_entity_labels(self) -> HashMap<String, u64> {
        self.entity_labels
    }

    /// Keeps the `top` most frequent entities (optionally of one kind) and categories.
    pub fn into_facets(self, top: usize, kind: Option<EntityKind>) -> Facets {
        let mut entities: Vec<EntityCount> = self
            .entity_labels
            .into_iter()
            .filter_map(|(label, count)| {
                let entity = parse_entity_label(&label)?;
                Some(EntityCount {
                    name: entity.name,
                    kind: entity.kind,
                    count,
                })
            })
            .filter(|entity| kind.is_none_or(|kind| entity.kind == kind))
            .collect();
        entities.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        entities.truncate(top);
        let mut categories: Vec<FacetCount> = self
            .categories
            .into_iter()
            .map(|(value, count)| FacetCount { value, count })
            .collect();
        categories.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        categories.truncate(top);
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
            categories,
            months,
        }
    }
}

/// Parses a stored `kind:Name` entity label.
pub fn parse_entity_label(label: &str) -> Option<Entity> {
    let (kind, name) = label.split_once(':')?;
    Some(Entity {
        name: name.to_string(),
        kind: EntityKind::parse(kind)?,
    })
}

/// Counts entities, categories and months of every matching passage.
pub struct FacetCollector {
    pub entity_label_field: String,
    pub category_field: String,
    pub date_field: String,
}

pub struct FacetSegmentCollector {
    entity_labels: Option<StrColumn>,
    categories: Option<StrColumn>,
    dates: Option<Column<tantivy::DateTime>>,
    entity_counts: Vec<u64>,
    category_counts: Vec<u64>,
    months: BTreeMap<i32, u64>,
    total: u64,
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
        let entity_labels = fast_fields.str(&self.entity_label_field)?;
        let categories = fast_fields.str(&self.category_field)?;
        let dates = fast_fields.column_opt::<tantivy::DateTime>(&self.date_field)?;
        Ok(FacetSegmentCollector {
            entity_counts: vec![0; entity_labels.as_ref().map_or(0, |c| c.num_terms())],
            category_counts: vec![0; categories.as_ref().map_or(0, |c| c.num_terms())],
            entity_labels,
            categories,
            dates,
            months: BTreeMap::new(),
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<tantivy::Result<FacetTally>>,
    ) -> tantivy::Result<FacetTally> {
        let mut merged = FacetTally::default();
        for fruit in fruits {
            let fruit = fruit?;
            merged.total += fruit.total;
            for (label, count) in fruit.entity_labels {
                *merged.entity_labels.entry(label).or_default() += count;
            }
            for (category, count) in fruit.categories {
                *merged.categories.entry(category).or_default() += count;
            }
            for (month, count) in fruit.months {
                *merged.months.entry(month).or_default() += count;
            }
        }
        Ok(merged)
    }
}

/// Resolves per-segment term ordinals to their strings. One sorted pass over the dictionary:
/// looking each ordinal up alone decompresses a dictionary block per term, which made facets
/// over thousands of distinct entities cost hundreds of milliseconds.
fn ords_to_strings(
    column: Option<&StrColumn>,
    counts: &[u64],
) -> tantivy::Result<HashMap<String, u64>> {
    let mut resolved = HashMap::new();
    let Some(column) = column else {
        return Ok(resolved);
    };
    let ords: Vec<u64> = (0..counts.len() as u64)
        .filter(|&ord| counts[ord as usize] > 0)
        .collect();
    let mut counted = ords.iter().map(|&ord| counts[ord as usize]);
    column.dictionary().sorted_ords_to_term_cb(&ords, |term| {
        let count = counted.next().unwrap_or(0);
        *resolved
            .entry(String::from_utf8_lossy(term).into_owned())
            .or_default() += count;
    })?;
    Ok(resolved)
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = tantivy::Result<FacetTally>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        if let Some(column) = &self.entity_labels {
            for ord in column.term_ords(doc) {
                self.entity_counts[ord as usize] += 1;
            }
        }
        if let Some(column) = &self.categories {
            for ord in column.term_ords(doc) {
                self.category_counts[ord as usize] += 1;
            }
        }
        if let Some(date) = self.dates.as_ref().and_then(|column| column.first(doc))
            && let Some(date) = DateTime::from_timestamp(date.into_timestamp_secs(), 0)
        {
            let month_idx = date.year() * 12 + date.month0() as i32;
            *self.months.entry(month_idx).or_default() += 1;
        }
    }

    fn harvest(self) -> tantivy::Result<FacetTally> {
        Ok(FacetTally {
            total: self.total,
            entity_labels: ords_to_strings(self.entity_labels.as_ref(), &self.entity_counts)?,
            categories: ords_to_strings(self.categories.as_ref(), &self.category_counts)?,
            months: self.months,
        })
    }
}
