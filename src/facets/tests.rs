use super::*;
use crate::index::{create_in_ram, passage_document};
use crate::model::{Article, Entity, Passage};
use crate::schema::field_name;
use chrono::{TimeZone, Utc};
use tantivy::query::{AllQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

fn entity(name: &str, kind: EntityKind) -> Entity {
    Entity {
        name: name.to_string(),
        kind,
    }
}

/// Article id, category, month, entities.
type ArticleRow<'a> = (&'a str, &'a str, u32, &'a [(&'a str, EntityKind)]);

/// Three commits, so several segments, whose dictionaries overlap only in part.
fn index() -> (crate::index::IndexHandle, tantivy::Searcher) {
    let handle = create_in_ram();
    let mut writer = handle.index.writer(50_000_000).unwrap();
    let batches: [&[ArticleRow]; 3] = [
        &[
            ("a", "defence", 3, &[("Serbia", EntityKind::Place)]),
            (
                "b",
                "energy",
                4,
                &[
                    ("Serbia", EntityKind::Place),
                    ("Gazprom", EntityKind::Organisation),
                ],
            ),
        ],
        &[
            ("c", "defence", 4, &[("Ukraine", EntityKind::Place)]),
            ("d", "trade", 5, &[]),
        ],
        &[(
            "e",
            "energy",
            5,
            &[
                ("Gazprom", EntityKind::Organisation),
                ("Alexander Vucic", EntityKind::Person),
            ],
        )],
    ];
    for batch in batches {
        for &(id, category, month, entities) in batch {
            let article = Article {
                id: id.into(),
                path: id.into(),
                title: id.into(),
                date: Some(Utc.with_ymd_and_hms(2024, month, 2, 0, 0, 0).unwrap()),
                categories: vec![category.into()],
                ..Article::default()
            };
            // Two passages per article, both naming its entities.
            for ordinal in 0..2 {
                let passage = Passage {
                    article_id: id.into(),
                    ordinal,
                    section: None,
                    text: format!("passage {ordinal} of {id}"),
                    entities: entities
                        .iter()
                        .map(|&(name, kind)| entity(name, kind))
                        .collect(),
                };
                writer
                    .add_document(passage_document(&handle.fields, &article, &passage))
                    .unwrap();
            }
        }
        writer.commit().unwrap();
    }
    let searcher = handle.index.reader().unwrap().searcher();
    (handle, searcher)
}

fn collector(handle: &crate::index::IndexHandle) -> FacetCollector {
    let schema = handle.index.schema();
    FacetCollector::new(&schema, &handle.fields)
}

type Counts = Vec<(String, u64)>;

fn counts(facets: &Facets) -> (Counts, Counts, Counts) {
    (
        facets
            .entities
            .iter()
            .map(|e| (format!("{}:{}", e.kind, e.name), e.count))
            .collect(),
        facets
            .categories
            .iter()
            .map(|c| (c.value.clone(), c.count))
            .collect(),
        facets
            .months
            .iter()
            .map(|m| (m.value.clone(), m.count))
            .collect(),
    )
}

fn owned(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|&(v, c)| (v.to_string(), c)).collect()
}

#[test]
fn counts_over_several_segments_add_up_by_term() {
    let (handle, searcher) = index();
    // At least one segment per commit (one per indexing thread that got documents).
    assert!(searcher.segment_readers().len() >= 3);
    let collector = collector(&handle);
    // Twice: the second search reads the term tables and global ordinals the first made.
    for _ in 0..2 {
        let facets = searcher
            .search(&AllQuery, &collector)
            .unwrap()
            .into_facets(10, None);
        assert_eq!(facets.total, 10);
        let (entities, categories, months) = counts(&facets);
        assert_eq!(
            entities,
            owned(&[
                ("organisation:Gazprom", 4),
                ("place:Serbia", 4),
                ("person:Alexander Vucic", 2),
                ("place:Ukraine", 2),
            ])
        );
        assert_eq!(
            categories,
            owned(&[("defence", 4), ("energy", 4), ("trade", 2)])
        );
        assert_eq!(
            months,
            owned(&[("2024-03", 2), ("2024-04", 4), ("2024-05", 4)])
        );
    }
    // A query, a kind and a bound.
    let energy = TermQuery::new(
        tantivy::Term::from_field_text(handle.fields.category, "energy"),
        IndexRecordOption::Basic,
    );
    let facets = searcher
        .search(&energy, &collector)
        .unwrap()
        .into_facets(1, Some(EntityKind::Organisation));
    assert_eq!(facets.total, 4);
    assert_eq!(counts(&facets).0, owned(&[("organisation:Gazprom", 4)]));
    assert_eq!(counts(&facets).1, owned(&[("energy", 4)]));
}

#[test]
fn term_tables_list_a_segments_terms_by_ordinal() {
    let (handle, searcher) = index();
    let schema = handle.index.schema();
    let field = field_name(&schema, handle.fields.category);
    let mut all = Vec::new();
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().str(field).unwrap().unwrap();
        let table = segment_terms(segment, field).unwrap().unwrap();
        for ord in 0..column.num_terms() as u64 {
            let mut expected = String::new();
            column.ord_to_str(ord, &mut expected).unwrap();
            assert_eq!(table.term(ord), Some(expected.as_str()));
            all.push(expected);
        }
        assert_eq!(table.term(column.num_terms() as u64), None);
        assert!(segment_terms(segment, "no such field").unwrap().is_none());
    }
    all.sort();
    all.dedup();
    assert_eq!(all, ["defence", "energy", "trade"]);
}

#[test]
fn counts_resolved_by_ordinal_and_by_term_merge() {
    let table = Arc::new(TermTable {
        terms: vec![Arc::from("a"), Arc::from("b")].into_boxed_slice(),
        bytes: 0,
    });
    let parts = vec![
        SegmentCounts::ByOrd {
            segment: SegmentId::generate_random(),
            table,
            counts: vec![(1, 3), (0, 1)],
        },
        SegmentCounts::ByTerm(vec![(Arc::from("b"), 2), (Arc::from("c"), 5)]),
        SegmentCounts::ByTerm(vec![]),
    ];
    let mut merged: Vec<(String, u64)> = merge_segment_counts("category", parts)
        .into_iter()
        .map(|(term, count)| (term.to_string(), count))
        .collect();
    merged.sort();
    assert_eq!(merged, owned(&[("a", 1), ("b", 5), ("c", 5)]));
}
