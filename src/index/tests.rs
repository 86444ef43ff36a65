use super::*;

/// Segments named in `meta.json`, with their deleted passages, and the segments with files
/// in the folder.
fn segments_and_files(handle: &IndexHandle) -> (Vec<u32>, usize) {
    let deleted = handle
        .index
        .searchable_segment_metas()
        .unwrap()
        .iter()
        .map(|meta| meta.num_deleted_docs())
        .collect();
    let stores = std::fs::read_dir(&handle.path)
        .unwrap()
        .filter(|entry| {
            let name = entry.as_ref().unwrap().file_name();
            name.to_string_lossy().ends_with(".store")
        })
        .count();
    (deleted, stores)
}

#[test]
fn one_segment_is_rewritten_without_its_deleted_passages_only_past_a_share() {
    let dir = tempfile::tempdir().unwrap();
    let handle = open_or_create(&dir.path().join("index"), false).unwrap();
    // One indexing thread: one segment.
    let mut writer = writer_with_threads(&handle, 50, 1).unwrap();
    for n in 0..40 {
        let article = Article {
            id: format!("a{n}"),
            path: format!("a{n}.md").into(),
            title: "Shells".into(),
            ..Article::default()
        };
        let passage = Passage {
            article_id: article.id.clone(),
            ordinal: 0,
            section: None,
            text: format!("Passage number {n} about shells."),
            entities: Vec::new(),
        };
        writer
            .add_document(passage_document(&handle.fields, &article, &passage))
            .unwrap();
    }
    writer.commit().unwrap();
    let delete = |writer: &mut IndexWriter, id: &str| {
        writer.delete_term(tantivy::Term::from_field_text(handle.fields.article_id, id));
        writer.commit().unwrap();
    };
    // One deleted in 40 is under the share: left as it is.
    delete(&mut writer, "a0");
    drop(writer);
    merge_segments(&handle).unwrap();
    assert_eq!(segments_and_files(&handle), (vec![1], 1));
    // Three more, 4 in 40, is over it: rewritten, and the old segment's files are gone.
    let mut writer = writer_with_threads(&handle, 50, 1).unwrap();
    for id in ["a1", "a2", "a3"] {
        delete(&mut writer, id);
    }
    drop(writer);
    merge_segments(&handle).unwrap();
    assert_eq!(segments_and_files(&handle), (vec![0], 1));
    let reader = handle.index.reader().unwrap();
    assert_eq!(reader.searcher().num_docs(), 36);
}

#[test]
fn a_passage_document_lists_its_values_in_field_order() {
    use crate::model::{Entity, EntityKind};
    use tantivy::Document;
    let fields = build_schema().1;
    let article = Article {
        id: "a.txt".into(),
        path: "a.txt".into(),
        title: "Shells for Serbia".into(),
        date: chrono::DateTime::from_timestamp(1_700_000_000, 0),
        categories: vec!["defence".into(), "trade".into()],
        url: Some("https://example.org/a".into()),
        lead: "Serbia sells shells to the Czech Republic.".into(),
        ..Article::default()
    };
    let entity = |name: &str, kind| Entity {
        name: name.into(),
        kind,
    };
    let passage = Passage {
        article_id: "a.txt".into(),
        ordinal: 1,
        section: Some("Exports".into()),
        text: "Serbia sells shells to the Czech Republic.".into(),
        entities: vec![
            entity("Serbia", EntityKind::Place),
            entity("Czech Republic", EntityKind::Place),
        ],
    };
    let document = passage_document(&fields, &article, &passage);
    let order: Vec<u32> = document
        .iter_fields_and_values()
        .map(|(field, _)| field.field_id())
        .collect();
    assert!(order.is_sorted(), "values out of field order: {order:?}");
    // This passage has a value for every field of the schema.
    let mut distinct = order.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 12, "{order:?}");
    let labels: Vec<&str> = stored_entity_labels(&fields, &document).collect();
    assert_eq!(labels, ["place:Serbia", "place:Czech Republic"]);
    assert_eq!(
        document.get_all(fields.entity).count(),
        1,
        "one value for all entities"
    );
    let all: Vec<&str> = document
        .get_all(fields.all)
        .filter_map(|value| tantivy::schema::Value::as_str(&value))
        .collect();
    assert_eq!(
        all,
        [
            "shell  serbia",
            "shell  serbia",
            "export",
            "serbia sell shell   czech republ"
        ]
    );
}

#[test]
fn a_directory_with_other_files_is_not_an_index() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    assert!(matches!(
        open_index(dir.path()),
        Err(IndexError::NotAnIndex(_))
    ));
    assert!(matches!(
        open_or_create(dir.path(), true),
        Err(IndexError::NotAnIndex(_))
    ));
}

#[test]
fn an_empty_directory_is_a_missing_index_and_can_be_created() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".gitkeep"), "").unwrap();
    assert!(matches!(
        open_index(dir.path()),
        Err(IndexError::Missing(_))
    ));
    open_or_create(dir.path(), false).unwrap();
    assert!(open_index(dir.path()).is_ok());
    assert!(dir.path().join(".gitkeep").exists());
}

#[test]
fn an_index_of_another_version_is_refused_with_the_rebuild_command() {
    let dir = tempfile::tempdir().unwrap();
    open_or_create(dir.path(), false).unwrap();
    std::fs::write(
        dir.path().join(VERSION_FILE),
        r#"{"schema_version": 0, "newsdex_version": "0.0.0"}"#,
    )
    .unwrap();
    let error = open_index(dir.path()).err().unwrap();
    assert!(error.to_string().contains("--rebuild"), "{error}");
    assert!(open_or_create(dir.path(), false).is_err());
    open_or_create(dir.path(), true).unwrap();
    assert!(open_index(dir.path()).is_ok());
}
