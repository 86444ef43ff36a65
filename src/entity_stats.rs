//! Entity counts: an index searcher + an optional query -> the most mentioned entities, counted
//! over ALL matching passages (not only the top hits) by `facets::FacetCollector`, with the
//! spellings of one entity merged (`rank_entities`, shared with the Quickwit backend). It does
//! not rank passages or format anything.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::query::{AllQuery, Query};

use crate::error::IndexError;
use crate::extract::entities::entity_key;
use crate::extract::spelling::{Spellings, prefer};
use crate::facets::{FacetCollector, parse_entity_label};
use crate::model::{Entity, EntityKind};
use crate::schema::Fields;

/// One entity and the number of matching passages that mention it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntityCount {
    pub name: String,
    pub kind: EntityKind,
    pub passages: u64,
}

/// The most mentioned entities, and whether the engine left rarer entity labels out of its
/// count (Quickwit's `terms` aggregation returns a bounded number of labels; the local count
/// never leaves any out).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityCounts {
    pub entities: Vec<EntityCount>,
    pub labels_left_out: bool,
}

/// The passages of one entity in all, and per spelling.
type SpellingCounts = (u64, Vec<(u64, String)>);

/// Counts the passages that mention each entity among those `query` matches (every passage when
/// `None`), keeps those of `kind` (all when `None`), and returns the `top` most mentioned, ties
/// broken by name. Every entity is shown under the index's canonical spelling (`spellings`,
/// the table of the index: `Searcher::spellings`); spellings that fold to one key ("Vučić",
/// "Vucic") count as one entity, shown under its spelling with diacritics, else its most
/// frequent one.
pub fn top_entities(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    spellings: &Spellings,
    query: Option<&dyn Query>,
    kind: Option<EntityKind>,
    top: usize,
) -> Result<Vec<EntityCount>, IndexError> {
    let all = AllQuery;
    let counts = label_counts(searcher, fields, query.unwrap_or(&all))?;
    let labelled = counts.into_iter().filter_map(|(label, count)| {
        parse_entity_label(&label).map(|entity| (spellings.entity(entity), count))
    });
    Ok(rank_entities(labelled, kind, top))
}

/// The spelling table of the passages `searcher` reads: every entity label of the index
/// counted over the live passages (a deleted passage's spelling is not one the index shows).
pub fn count_spellings(
    searcher: &tantivy::Searcher,
    fields: &Fields,
) -> Result<Spellings, IndexError> {
    let labels = label_counts(searcher, fields, &AllQuery)?;
    Ok(Spellings::from_counts(labels.into_iter().filter_map(
        |(label, count)| parse_entity_label(&label).map(|entity| (entity, count)),
    )))
}

/// The passages `query` matches per entity label.
fn label_counts(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    query: &dyn Query,
) -> Result<HashMap<String, u64>, IndexError> {
    let schema = searcher.schema();
    let collector = FacetCollector::entities(schema, fields);
    Ok(searcher
        .search(query, &collector)
        .map_err(|source| IndexError::Tantivy {
            path: std::path::PathBuf::from(format!("{:?}", searcher.index().directory())),
            source,
        })?
        .into_entity_labels())
}

/// Entities with their passage counts (from either backend) -> the `top` of `kind`, spellings
/// of one entity merged, most mentioned first, ties broken by name then kind.
pub fn rank_entities(
    counts: impl IntoIterator<Item = (Entity, u64)>,
    kind: Option<EntityKind>,
    top: usize,
) -> Vec<EntityCount> {
    // Group the spellings of one entity, keeping for display the one with diacritics where
    // any passage has them ("Vučić" over "Vucic"), else the most frequent one.
    let mut grouped: HashMap<(EntityKind, String), SpellingCounts> = HashMap::new();
    for (Entity { name, kind: found }, count) in counts {
        if kind.is_some_and(|wanted| wanted != found) {
            continue;
        }
        let entry = grouped
            .entry((found, entity_key(&name)))
            .or_insert((0, Vec::new()));
        entry.0 += count;
        entry.1.push((count, name));
    }
    merge_surnames(&mut grouped);
    let mut result: Vec<EntityCount> = grouped
        .into_iter()
        .map(|((kind, _), (passages, mut spellings))| {
            spellings.sort_by(|a, b| prefer((&a.1, a.0), (&b.1, b.0)));
            EntityCount {
                name: spellings.swap_remove(0).1,
                kind,
                passages,
            }
        })
        .collect();
    result.sort_by(|a, b| {
        b.passages
            .cmp(&a.passages)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    result.truncate(top);
    result
}

/// Counts a person named by surname alone ("Putin") with the one person of that surname the
/// index names in full ("Vladimir Putin"), as `--entity Putin` finds both. Two people of one
/// surname keep the surname apart.
fn merge_surnames(grouped: &mut HashMap<(EntityKind, String), SpellingCounts>) {
    let mut full_names: HashMap<String, Option<String>> = HashMap::new();
    for (kind, key) in grouped.keys() {
        if *kind != EntityKind::Person {
            continue;
        }
        if let Some(surname) = crate::extract::names::surname(key) {
            full_names
                .entry(surname.to_string())
                .and_modify(|full| *full = None)
                .or_insert_with(|| Some(key.clone()));
        }
    }
    for (surname, full) in full_names {
        let short = (EntityKind::Person, surname);
        if let Some(full) = full
            && let Some((passages, _)) = grouped.remove(&short)
            && let Some(entry) = grouped.get_mut(&(EntityKind::Person, full))
        {
            entry.0 += passages;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::extract::entities::EntityExtractor;
    use crate::index::IndexHandle;
    use crate::model::{Article, Passage, Section};
    use tantivy::query::TermQuery;

    /// An index of one article whose passages hold the given text and entities.
    pub(crate) fn index_of(passages: &[(&str, &[(&str, EntityKind)])]) -> IndexHandle {
        let handle = crate::index::create_in_ram();
        let (index, fields) = (handle.index.clone(), handle.fields);
        let mut writer = index.writer(15_000_000).unwrap();
        let article = Article {
            id: "a".into(),
            path: "a.txt".into(),
            title: "A".into(),
            sections: vec![Section {
                heading: None,
                paragraphs: vec![],
            }],
            ..Article::default()
        };
        for (ordinal, (text, entities)) in passages.iter().enumerate() {
            let passage = Passage {
                article_id: "a".into(),
                ordinal: ordinal as u32,
                section: None,
                text: text.to_string(),
                entities: entities
                    .iter()
                    .map(|(name, kind)| Entity {
                        name: name.to_string(),
                        kind: *kind,
                    })
                    .collect(),
            };
            writer
                .add_document(crate::index::passage_document(&fields, &article, &passage))
                .unwrap();
        }
        writer.commit().unwrap();
        handle
    }

    #[test]
    fn a_surname_alone_counts_with_the_one_full_name_of_that_person() {
        let person = |name: &str| Entity {
            name: name.into(),
            kind: EntityKind::Person,
        };
        let ranked = rank_entities(
            [
                (person("Putin"), 1),
                (person("Vladimir Putin"), 2),
                (person("Schumacher"), 1),
                (person("Ralf Schumacher"), 1),
                (person("Michael Schumacher"), 1),
            ],
            None,
            10,
        );
        let summary: Vec<(&str, u64)> = ranked
            .iter()
            .map(|count| (count.name.as_str(), count.passages))
            .collect();
        assert_eq!(
            summary,
            [
                ("Vladimir Putin", 3),
                ("Michael Schumacher", 1),
                ("Ralf Schumacher", 1),
                ("Schumacher", 1),
            ]
        );
    }

    #[test]
    fn the_spelling_table_of_an_index_is_applied_to_its_entity_counts() {
        use EntityKind::*;
        let handle = index_of(&[
            ("one", &[("Aleksandar Vucic", Person), ("Blair", Person)]),
            (
                "two",
                &[("Aleksandar Vučić", Person), ("Tony Blair", Person)],
            ),
            ("three", &[("Aleksandar Vucic", Person)]),
        ]);
        let fields = handle.fields;
        let searcher = handle.index.reader().unwrap().searcher();
        let table = count_spellings(&searcher, &fields).unwrap();
        assert_eq!(
            table.canonical(Person, "Aleksandar Vucic"),
            "Aleksandar Vučić"
        );
        assert_eq!(table.canonical(Person, "Blair"), "Tony Blair");
        let query = TermQuery::new(
            tantivy::Term::from_field_text(fields.entity, "blair"),
            tantivy::schema::IndexRecordOption::Basic,
        );
        // Only the passage that says "Blair" matches: it is counted as Tony Blair.
        let counted =
            top_entities(&searcher, &fields, &table, Some(&query), Some(Person), 10).unwrap();
        let names: Vec<&str> = counted.iter().map(|count| count.name.as_str()).collect();
        assert_eq!(names, ["Aleksandar Vučić", "Tony Blair"]);
    }

    #[test]
    fn counts_passages_per_entity_over_all_matches() {
        use EntityKind::*;
        let handle = index_of(&[
            (
                "ammunition from Serbia",
                &[("Serbia", Place), ("European Union", Organisation)],
            ),
            ("ammunition again", &[("Serbia", Place)]),
            (
                "nothing here",
                &[("European Union", Organisation), ("Vučić", Person)],
            ),
            (
                "more",
                &[("Vucic", Person), ("European Union", Organisation)],
            ),
        ]);
        let fields = handle.fields;
        let searcher = handle.index.reader().unwrap().searcher();
        let all = top_entities(&searcher, &fields, &Spellings::default(), None, None, 10).unwrap();
        let summary: Vec<(String, u64)> =
            all.iter().map(|c| (c.name.clone(), c.passages)).collect();
        assert_eq!(
            summary,
            [
                ("European Union".to_string(), 3),
                ("Serbia".to_string(), 2),
                // Two spellings, one entity, shown with its diacritics.
                ("Vučić".to_string(), 2),
            ]
        );
        let people = top_entities(
            &searcher,
            &fields,
            &Spellings::default(),
            None,
            Some(Person),
            10,
        )
        .unwrap();
        assert_eq!(people.len(), 1);

        let searcher_query =
            crate::search::Searcher::new(handle.clone(), EntityExtractor::builtin()).unwrap();
        let query = searcher_query.parse_query("ammunition").unwrap();
        let matching = top_entities(
            &searcher,
            &fields,
            &Spellings::default(),
            Some(&*query),
            None,
            1,
        )
        .unwrap();
        assert_eq!(
            matching,
            [EntityCount {
                name: "Serbia".into(),
                kind: Place,
                passages: 2
            }]
        );
    }
}
