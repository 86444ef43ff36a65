//! Quickwit doc mapping: newsdex's schema -> a Quickwit 0.9 index config (YAML for
//! `POST /api/v1/indexes` and for `quickwit index create`). The ONLY file that spells Quickwit
//! field names. It does not talk to a server and does not encode documents (see `document`).

use serde::Serialize;

/// The index id used when none is given.
pub const DEFAULT_INDEX_ID: &str = "newsdex-passages";
/// Quickwit makes ingested documents searchable after at most this many seconds.
pub const COMMIT_TIMEOUT_SECS: u64 = 5;

/// Quickwit field names, one constant each.
pub mod field {
    pub const PASSAGE_ID: &str = "passage_id";
    pub const ARTICLE_ID: &str = "article_id";
    pub const PATH: &str = "path";
    pub const TITLE: &str = "title";
    pub const TITLE_STEMS: &str = "title_stems";
    pub const DATE: &str = "date";
    pub const SECTION: &str = "section";
    pub const SECTION_STEMS: &str = "section_stems";
    /// Folded category keys, for exact filters.
    pub const CATEGORY: &str = "category";
    /// The category as written, for display and facets.
    pub const CATEGORY_NAME: &str = "category_name";
    /// Folded outlet, author and language keys, for exact filters.
    pub const SOURCE: &str = "source";
    pub const AUTHOR: &str = "author";
    pub const LANGUAGE: &str = "language";
    /// The outlet, authors and language as written, for display and facets.
    pub const SOURCE_NAME: &str = "source_name";
    pub const AUTHOR_NAME: &str = "author_name";
    pub const LANGUAGE_NAME: &str = "language_name";

    /// The field of a keyword's folded keys (filters).
    pub fn keyword_key(keyword: crate::model::Keyword) -> &'static str {
        use crate::model::Keyword;
        match keyword {
            Keyword::Category => CATEGORY,
            Keyword::Source => SOURCE,
            Keyword::Author => AUTHOR,
            Keyword::Language => LANGUAGE,
        }
    }

    /// The field of a keyword's values as written (display, facets).
    pub fn keyword_name(keyword: crate::model::Keyword) -> &'static str {
        use crate::model::Keyword;
        match keyword {
            Keyword::Category => CATEGORY_NAME,
            Keyword::Source => SOURCE_NAME,
            Keyword::Author => AUTHOR_NAME,
            Keyword::Language => LANGUAGE_NAME,
        }
    }

    /// Folded canonical entity names, for exact filters.
    pub const ENTITIES: &str = "entities";
    /// `kind:Canonical Name`, for display and facets.
    pub const ENTITY_LABELS: &str = "entity_labels";
    pub const ORDINAL: &str = "ordinal";
    pub const TEXT: &str = "text";
    pub const TEXT_STEMS: &str = "text_stems";
    /// The passage as the local `all` holds it (title twice, heading, text: one value each),
    /// what a plain word searches, so that Quickwit's BM25 is the local BM25F.
    pub const ALL_STEMS: &str = "all_stems";
    /// The declared fields (`[fields.extra]`), one JSON object each, keyed by field name:
    /// values as written (display, facets), folded keyword keys (filters), numbers and dates
    /// as numbers (dates in Unix seconds; ranges), text as stems.
    pub const EXTRA: &str = "extra";
    pub const EXTRA_KEYS: &str = "extra_keys";
    pub const EXTRA_NUMBERS: &str = "extra_numbers";
    pub const EXTRA_STEMS: &str = "extra_stems";
}

/// A Quickwit 0.9 index config, as much of it as newsdex sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexConfig {
    pub version: &'static str,
    pub index_id: String,
    pub doc_mapping: DocMapping,
    pub search_settings: SearchSettings,
    pub indexing_settings: IndexingSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocMapping {
    /// `strict`: a document with a field the mapping does not know is rejected.
    pub mode: &'static str,
    pub field_mappings: Vec<FieldMapping>,
    pub timestamp_field: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSettings {
    pub default_search_fields: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexingSettings {
    pub commit_timeout_secs: u64,
}

/// One field mapping entry; unset options keep Quickwit's defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FieldMapping {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fieldnorms: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_formats: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fast_precision: Option<&'static str>,
}

/// An exact, case-sensitive keyword: indexed whole (`raw`), stored, fast for sorting and
/// aggregations. Values are folded by newsdex before they are sent.
fn raw(name: &'static str, kind: &'static str) -> FieldMapping {
    FieldMapping {
        name,
        kind,
        tokenizer: Some("raw"),
        stored: Some(true),
        fast: Some(true),
        ..FieldMapping::default()
    }
}

/// Words newsdex analysed itself (English stems joined by spaces): split on whitespace only,
/// with positions for phrases and field norms for BM25, never stored.
fn stems(name: &'static str) -> FieldMapping {
    FieldMapping {
        name,
        kind: "text",
        tokenizer: Some("whitespace"),
        record: Some("position"),
        stored: Some(false),
        fieldnorms: Some(true),
        ..FieldMapping::default()
    }
}

/// Stored for display only: newsdex searches the `_stems` twin and builds snippets itself.
fn display_text(name: &'static str) -> FieldMapping {
    FieldMapping {
        name,
        kind: "text",
        indexed: Some(false),
        stored: Some(true),
        ..FieldMapping::default()
    }
}

/// The index config newsdex creates, generated from the fields newsdex indexes locally.
pub fn index_config(index_id: &str) -> IndexConfig {
    index_config_with(index_id, &[])
}

/// The index config for a corpus with declared fields (`[fields.extra]`): their four JSON
/// objects are mapped only when some field is declared.
pub fn index_config_with(index_id: &str, extras: &[crate::model::ExtraField]) -> IndexConfig {
    let mut field_mappings = vec![
        FieldMapping {
            fast: Some(false),
            ..raw(field::PASSAGE_ID, "text")
        },
        raw(field::ARTICLE_ID, "text"),
        FieldMapping {
            fast: Some(false),
            ..raw(field::PATH, "text")
        },
        display_text(field::TITLE),
        stems(field::TITLE_STEMS),
        FieldMapping {
            name: field::DATE,
            kind: "datetime",
            input_formats: Some(vec!["rfc3339"]),
            output_format: Some("rfc3339"),
            stored: Some(true),
            fast: Some(true),
            fast_precision: Some("seconds"),
            ..FieldMapping::default()
        },
        raw(field::SECTION, "text"),
        stems(field::SECTION_STEMS),
        raw(field::CATEGORY, "array<text>"),
        raw(field::CATEGORY_NAME, "array<text>"),
        raw(field::SOURCE, "array<text>"),
        raw(field::SOURCE_NAME, "array<text>"),
        raw(field::AUTHOR, "array<text>"),
        raw(field::AUTHOR_NAME, "array<text>"),
        raw(field::LANGUAGE, "array<text>"),
        raw(field::LANGUAGE_NAME, "array<text>"),
        raw(field::ENTITIES, "array<text>"),
        raw(field::ENTITY_LABELS, "array<text>"),
        FieldMapping {
            name: field::ORDINAL,
            kind: "u64",
            stored: Some(true),
            fast: Some(true),
            ..FieldMapping::default()
        },
        display_text(field::TEXT),
        stems(field::TEXT_STEMS),
        FieldMapping {
            kind: "array<text>",
            ..stems(field::ALL_STEMS)
        },
    ];
    let declared = [
        FieldMapping {
            indexed: Some(false),
            ..raw(field::EXTRA, "json")
        },
        FieldMapping {
            stored: Some(false),
            ..raw(field::EXTRA_KEYS, "json")
        },
        FieldMapping {
            name: field::EXTRA_NUMBERS,
            kind: "json",
            stored: Some(false),
            fast: Some(true),
            ..FieldMapping::default()
        },
        FieldMapping {
            kind: "json",
            ..stems(field::EXTRA_STEMS)
        },
    ];
    if !extras.is_empty() {
        field_mappings.extend(declared);
    }
    IndexConfig {
        version: "0.9",
        index_id: index_id.to_string(),
        doc_mapping: DocMapping {
            mode: "strict",
            field_mappings,
            timestamp_field: field::DATE,
        },
        search_settings: SearchSettings {
            default_search_fields: vec![field::TEXT_STEMS],
        },
        indexing_settings: IndexingSettings {
            commit_timeout_secs: COMMIT_TIMEOUT_SECS,
        },
    }
}

/// The config as YAML, the format `quickwit index create --index-config` reads.
pub fn to_yaml(config: &IndexConfig) -> String {
    // Serialising plain structs of strings, numbers and lists cannot fail.
    serde_yaml_ng::to_string(config).expect("an index config serialises to YAML")
}

/// An index id Quickwit would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a Quickwit index id: 3 to 255 letters, digits, `-`, `_` or `.`, starting with a letter"
)]
pub struct BadIndexId(pub String);

/// Checks an index id the way Quickwit does, so that a bad one fails before any request.
pub fn check_index_id(index_id: &str) -> Result<(), BadIndexId> {
    let mut chars = index_id.chars();
    let valid_first = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let valid_rest = index_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid_first && valid_rest && (3..=255).contains(&index_id.len()) {
        Ok(())
    } else {
        Err(BadIndexId(index_id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping<'a>(config: &'a IndexConfig, name: &str) -> &'a FieldMapping {
        config
            .doc_mapping
            .field_mappings
            .iter()
            .find(|field| field.name == name)
            .unwrap_or_else(|| panic!("no field {name}"))
    }

    #[test]
    fn stems_fields_use_the_whitespace_tokenizer_with_positions() {
        let config = index_config(DEFAULT_INDEX_ID);
        for name in [field::TEXT_STEMS, field::TITLE_STEMS, field::SECTION_STEMS] {
            let field = mapping(&config, name);
            assert_eq!(field.tokenizer, Some("whitespace"), "{name}");
            assert_eq!(field.record, Some("position"), "{name}");
        }
        assert_eq!(
            config.search_settings.default_search_fields,
            [field::TEXT_STEMS]
        );
    }

    #[test]
    fn filter_fields_are_raw_and_fast_and_the_date_is_the_timestamp() {
        let config = index_config("my-index");
        for name in [
            field::ARTICLE_ID,
            field::SECTION,
            field::CATEGORY,
            field::SOURCE,
            field::AUTHOR,
            field::LANGUAGE,
            field::SOURCE_NAME,
            field::AUTHOR_NAME,
            field::ENTITIES,
            field::ENTITY_LABELS,
        ] {
            let field = mapping(&config, name);
            assert_eq!(field.tokenizer, Some("raw"), "{name}");
            assert_eq!(field.fast, Some(true), "{name}");
        }
        assert_eq!(config.doc_mapping.timestamp_field, field::DATE);
        assert_eq!(mapping(&config, field::DATE).kind, "datetime");
        assert_eq!(config.index_id, "my-index");
    }

    #[test]
    fn field_names_are_unique() {
        let config = index_config(DEFAULT_INDEX_ID);
        let mut names: Vec<_> = config
            .doc_mapping
            .field_mappings
            .iter()
            .map(|f| f.name)
            .collect();
        names.sort_unstable();
        let n_names = names.len();
        names.dedup();
        assert_eq!(names.len(), n_names);
    }

    #[test]
    fn yaml_round_trips_to_the_same_structure() {
        let yaml = to_yaml(&index_config(DEFAULT_INDEX_ID));
        let value: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(value["version"], "0.9");
        assert_eq!(value["doc_mapping"]["mode"], "strict");
        assert_eq!(
            value["doc_mapping"]["field_mappings"][0]["name"],
            "passage_id"
        );
        assert!(
            value["doc_mapping"]["field_mappings"][0]
                .get("fieldnorms")
                .is_none()
        );
    }

    #[test]
    fn index_ids_are_checked() {
        assert!(check_index_id("newsdex-passages").is_ok());
        assert!(check_index_id("a.b_c").is_ok());
        assert!(check_index_id("1abc").is_err());
        assert!(check_index_id("ab").is_err());
        assert!(check_index_id("has space").is_err());
        assert!(check_index_id("x/../y").is_err());
    }

    #[test]
    fn declared_fields_have_json_objects_for_display_filters_ranges_and_words() {
        let without = index_config(DEFAULT_INDEX_ID);
        assert!(
            without
                .doc_mapping
                .field_mappings
                .iter()
                .all(|field| !field.name.starts_with("extra")),
            "a corpus without declared fields maps none of their objects"
        );
        let extras = [crate::model::ExtraField {
            name: "desk".into(),
            kind: crate::model::ExtraType::Keyword,
        }];
        let config = index_config_with(DEFAULT_INDEX_ID, &extras);
        let extra = mapping(&config, field::EXTRA);
        assert_eq!(
            (extra.kind, extra.stored, extra.indexed),
            ("json", Some(true), Some(false))
        );
        let keys = mapping(&config, field::EXTRA_KEYS);
        assert_eq!(
            (keys.kind, keys.tokenizer, keys.fast),
            ("json", Some("raw"), Some(true))
        );
        let numbers = mapping(&config, field::EXTRA_NUMBERS);
        assert_eq!((numbers.kind, numbers.fast), ("json", Some(true)));
        let stems = mapping(&config, field::EXTRA_STEMS);
        assert_eq!((stems.kind, stems.tokenizer), ("json", Some("whitespace")));
    }
}
