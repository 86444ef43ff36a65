use chrono::{TimeZone, Utc};

use super::*;

fn translate(text: &str) -> Result<String, TranslateError> {
    translate_query(
        text,
        false,
        FieldBoosts::default(),
        &EntityExtractor::builtin(),
    )
    .map(|t| t.query)
}

fn check(text: &str, expected: &str) {
    assert_eq!(translate(text).unwrap(), expected, "query: {text}");
}

#[test]
fn translates_the_query_language() {
    let table = [
        ("oil", "all_stems:oil"),
        ("text:prices", "text_stems:price"),
        ("title:Exports", "title_stems:export"),
        ("section:trading", "section_stems:trade"),
        ("+oil -gas", "(+all_stems:oil -all_stems:gas)"),
        ("text:\"interest rates\"", "text_stems:\"interest rate\""),
        (
            "text:\"interest rates\"~2",
            "text_stems:\"interest rate\"~2",
        ),
        (
            "text:Bosnia-Herzegovina",
            "text_stems:\"bosnia herzegovina\"",
        ),
        ("text:export*", "text_stems:export*"),
        (
            "entity:NATO",
            "entities:\"north atlantic treaty organization\"",
        ),
        ("entity:\"Some Unknown\"", "entities:\"some unknown\""),
        ("category:Défense", "category:\"defense\""),
        (
            "text:oil AND text:price",
            "(+text_stems:oil +text_stems:price)",
        ),
        (
            "text:oil OR text:price",
            "(text_stems:oil OR text_stems:price)",
        ),
        (
            "text:oil text:price",
            "(text_stems:oil OR text_stems:price)",
        ),
        (
            "+text:oil text:price -text:gas",
            "(+text_stems:oil +(text_stems:price OR *) -text_stems:gas)",
        ),
        (
            "text:oil text:price -text:gas",
            "(+(text_stems:oil OR text_stems:price) -text_stems:gas)",
        ),
        (
            "text:oil AND (text:brazil OR text:peru) AND NOT text:gas",
            "(+text_stems:oil +(text_stems:brazil OR text_stems:peru) -text_stems:gas)",
        ),
        (
            "date:[2024-01-01 TO 2024-03-31]",
            "date:[2024-01-01T00:00:00Z TO 2024-03-31T23:59:59Z]",
        ),
        (
            "date:2024-02",
            "date:[2024-02-01T00:00:00Z TO 2024-02-29T23:59:59Z]",
        ),
        ("date:{2024-01-01 TO *]", "date:{2024-01-01T00:00:00Z TO *]"),
    ];
    for (text, expected) in table {
        check(text, expected);
    }
}

/// True when no clause of the parsed query is left to the parser's default operator
/// (Quickwit's is AND, tantivy's OR); a lone clause in parentheses is only a group.
fn every_occur_is_explicit(ast: &tantivy::query_grammar::UserInputAst) -> bool {
    use tantivy::query_grammar::UserInputAst;
    match ast {
        UserInputAst::Clause(children) => children.iter().all(|(occur, child)| {
            (occur.is_some() || children.len() == 1) && every_occur_is_explicit(child)
        }),
        UserInputAst::Boost(inner, _) => every_occur_is_explicit(inner),
        UserInputAst::Leaf(_) => true,
    }
}

#[test]
fn no_clause_depends_on_the_default_operator() {
    use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, parse_query};
    let mut request = SearchRequest::new("");
    request.filters = Filters {
        sections: vec!["grain markets".to_string()],
        entities: vec!["USA".to_string()],
        categories: vec!["grain".to_string(), "wheat".to_string()],
        ..Filters::default()
    };
    for text in [
        "ammunition Serbia",
        "ammunition OR Serbia",
        "+ammunition Serbia -Russia",
        "ammunition Serbia -Russia",
        "ammunition AND (Serbia OR Croatia) AND NOT Russia",
        "\"arms production\"~2 title:shells entity:NATO date:2024",
        "ammun* Bosnia-Herzegovina",
    ] {
        request.query = text.to_string();
        let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
        let (elastic, _) = elastic_body(&request, &EntityExtractor::builtin(), 10).unwrap();
        let translated = translate(text).unwrap();
        for query in [&translated, &body.query, &elastic.query.query_string.query] {
            let ast = parse_query(query).unwrap_or_else(|_| panic!("`{query}` does not parse"));
            assert!(every_occur_is_explicit(&ast), "{text} -> {query}: {ast:?}");
        }
    }
    // Plain words: any may match, as locally.
    let ast = parse_query(&translate("ammunition Serbia").unwrap()).unwrap();
    let UserInputAst::Clause(children) = ast else {
        panic!("{ast:?}")
    };
    assert_eq!(children.len(), 2);
    assert!(
        children
            .iter()
            .all(|(occur, _)| *occur == Some(GrammarOccur::Should))
    );
}

#[test]
fn stop_words_alone_and_unsupported_features_are_refused() {
    assert!(matches!(translate("the"), Err(TranslateError::Query(_))));
    assert_eq!(
        translate("text:oil~1").unwrap_err().to_string(),
        "fuzzy matching (`oil~1`) is not supported with --backend quickwit"
    );
    assert!(translate("title:[a TO b]").is_err());
    assert!(translate("(oil").is_err());
    let mut request = SearchRequest::new("oil");
    request.explain = true;
    let error = search_body(&request, &EntityExtractor::builtin()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "--explain is not supported with --backend quickwit"
    );
    // --recency is applied by the backend to the scores Quickwit returns.
    request.explain = false;
    request.recency_half_life = Some(chrono::Duration::days(30));
    assert!(search_body(&request, &EntityExtractor::builtin()).is_ok());
}

#[test]
fn quotes_escape_quotes_and_backslashes() {
    assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
}

#[test]
fn highlights_words_and_phrases_but_not_negated_ones() {
    let translation = translate_query(
        "shells \"interest rates\" -gas",
        false,
        FieldBoosts::default(),
        &EntityExtractor::builtin(),
    )
    .unwrap();
    assert!(translation.highlight.terms.contains("shell"));
    assert!(!translation.highlight.terms.contains("gas"));
    assert_eq!(
        translation.highlight.phrases,
        [vec![(0, "interest".to_string()), (1, "rate".to_string())]]
    );
}

#[test]
fn filters_become_required_clauses_and_a_timestamp_window() {
    let mut request = SearchRequest::new("text:wheat");
    request.limit = 5;
    request.filters = Filters {
        since: Some(Utc.with_ymd_and_hms(1987, 2, 23, 0, 0, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(1987, 3, 24, 23, 59, 59).unwrap()),
        sections: vec!["Grain Markets".to_string()],
        entities: vec!["USA".to_string()],
        categories: vec!["Grain".to_string(), "Wheat".to_string()],
        sources: vec!["Reuters".to_string()],
        authors: vec!["Jane Doe".to_string(), "Ana Vučić".to_string()],
        languages: Vec::new(),
    };
    let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
    assert_eq!(
        body.query,
        "+text_stems:wheat +section_stems:grain +section_stems:market +entities:\"united states\" +(category:\"grain\" OR category:\"wheat\") +source:\"reuters\" +(author:\"jane doe\" OR author:\"ana vucic\")"
    );
    assert_eq!(body.start_timestamp, Some(541_036_800));
    assert_eq!(body.end_timestamp, Some(543_628_800));
    assert_eq!(body.max_hits, 6);
    assert_eq!(body.sort_by.as_deref(), Some("_score"));
    assert!(!body.count_all);
    let json = serde_json::to_value(&body).unwrap();
    assert!(json.get("aggs").is_none());
    assert!(json.get("start_offset").is_none());
}

#[test]
fn inverted_dates_are_refused() {
    let filters = Filters {
        since: Some(Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()),
        ..Filters::default()
    };
    assert!(translate_filters(&filters, &EntityExtractor::builtin()).is_err());
}

#[test]
fn sort_facets_count_and_grouping_window() {
    let mut request = SearchRequest::new("coffee");
    request.sort = SortOrder::Date;
    request.facets = true;
    request.limit = 10;
    request.offset = 5;
    request.per_article = 2;
    let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
    assert_eq!(body.sort_by.as_deref(), Some("date"));
    assert!(body.count_all);
    assert_eq!(body.max_hits, 55);
    let aggs = body.aggs.unwrap();
    assert_eq!(aggs["entities"]["terms"]["field"], "entity_labels");
    assert_eq!(aggs["months"]["date_histogram"]["fixed_interval"], "1d");
}

/// Quickwit 0.9 sorts a bare field descending and `-field` ascending, and ranks nothing
/// without `sort_by` (newsdex-session/059-063): every order newsdex offers names its
/// field bare, so that the best or the newest come first.
#[test]
fn sort_by_maps_every_order_newsdex_offers() {
    use clap::ValueEnum;
    for order in SortOrder::value_variants() {
        let expected = match order {
            SortOrder::Relevance => "_score",
            SortOrder::Date => "date",
        };
        assert_eq!(sort_by(*order), expected, "{order:?}");
        let mut request = SearchRequest::new("oil");
        request.sort = *order;
        let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
        assert_eq!(body.sort_by.as_deref(), Some(expected), "{order:?}");
        assert!(!expected.starts_with('-'), "{order:?} would sort ascending");
    }
}

#[test]
fn a_scored_search_is_an_elastic_query_string_sorted_by_score() {
    let extractor = EntityExtractor::builtin();
    let (body, highlight) = elastic_body(&SearchRequest::new("text:oil"), &extractor, 3).unwrap();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"query": {"query_string": {"query": "text_stems:oil", "default_field": "text_stems"}},
               "size": 3, "sort": [{"_score": {"order": "desc"}}]})
    );
    assert!(highlight.terms.contains("oil"));
    // Filters are required clauses; the date window, which the endpoint takes no
    // timestamps for, is a range with an excluded end, as `end_timestamp` is.
    let mut request = SearchRequest::new("text:wheat");
    request.filters = Filters {
        since: Some(Utc.with_ymd_and_hms(1987, 2, 23, 0, 0, 0).unwrap()),
        until: Some(Utc.with_ymd_and_hms(1987, 3, 24, 23, 59, 59).unwrap()),
        categories: vec!["Grain".to_string()],
        ..Filters::default()
    };
    let (body, _) = elastic_body(&request, &extractor, 20_000).unwrap();
    assert_eq!(
        body.query.query_string.query,
        "+text_stems:wheat +category:\"grain\" +date:[1987-02-23T00:00:00Z TO 1987-03-25T00:00:00Z}"
    );
    assert_eq!(body.size, MAX_HITS);
    request.filters.categories.clear();
    request.filters.until = None;
    let (body, _) = elastic_body(&request, &extractor, 5).unwrap();
    assert_eq!(
        body.query.query_string.query,
        "+text_stems:wheat +date:[1987-02-23T00:00:00Z TO *]"
    );
    let ast = tantivy::query_grammar::parse_query(&body.query.query_string.query).unwrap();
    assert!(every_occur_is_explicit(&ast), "{ast:?}");
}

#[test]
fn words_naming_an_entity_also_search_the_entity_field_as_locally() {
    let extractor = EntityExtractor::builtin();
    let (body, _) = search_body(&SearchRequest::new("serbian shells"), &extractor).unwrap();
    assert_eq!(
        body.query,
        "((all_stems:serbian OR all_stems:shell) OR entities:\"serbia\"^0.05)"
    );
    // Operators and fields are left alone, as locally.
    for text in ["+shells Serbia", "text:Serbia", "shells"] {
        let (body, _) = search_body(&SearchRequest::new(text), &extractor).unwrap();
        assert!(!body.query.contains("entities:"), "{text}: {}", body.query);
    }
}

#[test]
fn field_boosts_of_the_request_are_sent() {
    let mut request = SearchRequest::new("oil");
    request.boosts = FieldBoosts {
        title: 0.3,
        section: 1.0,
    };
    let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
    assert_eq!(
        body.query,
        "(all_stems:oil OR title_stems:oil^0.3 OR section_stems:oil)"
    );
}

#[test]
fn entity_counts_are_one_terms_aggregation_over_the_matches() {
    let extractor = EntityExtractor::builtin();
    let body = entity_count_body(Some("text:oil"), &extractor, 5).unwrap();
    assert_eq!(body.query, "text_stems:oil");
    assert_eq!(body.max_hits, 0);
    let aggs = body.aggs.unwrap();
    assert_eq!(aggs["entities"]["terms"]["field"], "entity_labels");
    assert_eq!(aggs["entities"]["terms"]["size"], ENTITY_BUCKETS);
    let everything = entity_count_body(None, &extractor, 100_000).unwrap();
    assert_eq!(everything.query, "*");
    assert_eq!(
        everything.aggs.unwrap()["entities"]["terms"]["size"],
        MAX_ENTITY_BUCKETS
    );
    assert!(entity_count_body(Some("(oil"), &extractor, 5).is_err());
}

#[test]
fn delete_tasks_name_each_article() {
    let delete = delete_articles(&["a/b.md".to_string(), "c.md#2".to_string()]);
    assert_eq!(
        delete.query,
        "article_id:\"a/b.md\" OR article_id:\"c.md#2\""
    );
}

#[test]
fn facets_aggregate_every_keyword_field_as_written() {
    let aggregations = facet_aggregations();
    for (name, field) in [
        ("categories", "category_name"),
        ("sources", "source_name"),
        ("authors", "author_name"),
        ("languages", "language_name"),
    ] {
        assert_eq!(aggregations[name]["terms"]["field"], field, "{name}");
    }
}

#[test]
fn declared_fields_translate_to_their_json_objects() {
    use crate::model::{ExtraField, ExtraType};
    let extras = [
        ExtraField {
            name: "desk".into(),
            kind: ExtraType::Keyword,
        },
        ExtraField {
            name: "words".into(),
            kind: ExtraType::Number,
        },
        ExtraField {
            name: "filed".into(),
            kind: ExtraType::Date,
        },
        ExtraField {
            name: "summary".into(),
            kind: ExtraType::Text,
        },
    ];
    let translate = |text: &str| {
        translate_query_with(
            text,
            false,
            FieldBoosts::default(),
            &EntityExtractor::builtin(),
            &extras,
        )
        .unwrap()
        .query
    };
    assert_eq!(translate("desk:Métro"), "extra_keys.desk:\"metro\"");
    assert_eq!(
        translate("words:[500 TO *]"),
        "extra_numbers.words:[500 TO *]"
    );
    assert_eq!(
        translate("words:{1.5 TO 9]"),
        "extra_numbers.words:{1.5 TO 9]"
    );
    assert_eq!(
        translate("filed:2024-04"),
        "extra_numbers.filed:[1711929600 TO 1714521599]"
    );
    assert_eq!(
        translate("summary:\"wheat shipments\""),
        "extra_stems.summary:\"wheat shipment\""
    );
    // Without the declarations the same field is unknown.
    assert!(
        translate_query(
            "desk:metro",
            false,
            FieldBoosts::default(),
            &EntityExtractor::builtin()
        )
        .is_err()
    );
}

#[test]
fn declared_keyword_fields_are_aggregated_as_written() {
    let extras = [
        crate::ingest::mapping::parse_extra("desk").unwrap(),
        crate::ingest::mapping::parse_extra("words:number").unwrap(),
    ];
    let mut request = SearchRequest::new("grain");
    request.facets = true;
    let (body, _) = search_body_with(&request, &EntityExtractor::builtin(), &extras).unwrap();
    let aggregations = body.aggs.unwrap();
    assert_eq!(aggregations["extra:desk"]["terms"]["field"], "extra.desk");
    assert!(
        aggregations.get("extra:words").is_none(),
        "only keyword fields have facets"
    );
    let (body, _) = search_body(&request, &EntityExtractor::builtin()).unwrap();
    assert!(body.aggs.unwrap().get("extra:desk").is_none());
}
