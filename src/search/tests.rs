use super::union::LazyUnionQuery;
use super::*;
use crate::extract::entities::EntityExtractor;
use crate::index::{create_in_ram, passage_document};
use crate::model::{Article, Passage};
use crate::search::expand::ENTITY_EXPANSION_SCORE;
use chrono::TimeZone;
use proptest::prelude::*;
use tantivy::collector::TopDocs;
use tantivy::query::{BoostQuery, EnableScoring, TermQuery};
use tantivy::schema::IndexRecordOption;

pub(super) fn article(id: &str, date: (i32, u32, u32), title: &str) -> Article {
    Article {
        id: id.into(),
        path: id.into(),
        title: title.into(),
        date: Some(
            Utc.with_ymd_and_hms(date.0, date.1, date.2, 0, 0, 0)
                .unwrap(),
        ),
        categories: vec!["defence".into()],
        ..Article::default()
    }
}

/// An article and its passages as (section, text).
type FixtureArticle<'a> = (Article, Vec<(Option<&'a str>, &'a str)>);

pub(super) fn searcher_with(docs: &[FixtureArticle]) -> Searcher {
    let handle = create_in_ram();
    let extractor = EntityExtractor::builtin();
    let mut writer = handle.index.writer(50_000_000).unwrap();
    for (article, passages) in docs {
        for (ordinal, (section, text)) in passages.iter().enumerate() {
            let passage = Passage {
                article_id: article.id.clone(),
                ordinal: ordinal as u32,
                section: section.map(str::to_string),
                text: text.to_string(),
                entities: extractor.extract(text),
            };
            writer
                .add_document(passage_document(&handle.fields, article, &passage))
                .unwrap();
        }
    }
    writer.commit().unwrap();
    let searcher = Searcher::new(handle, extractor).unwrap();
    searcher.reload().unwrap();
    searcher
}

fn fixture() -> Searcher {
    searcher_with(&[
        (
            article("a", (2023, 5, 1), "Shell plants"),
            vec![
                (None, "Serbia expands ammunition output near Belgrade."),
                (
                    Some("Exports"),
                    "Serbian shells reach Ukraine through third countries.",
                ),
                (
                    Some("Exports"),
                    "Ammunition exports doubled, and ammunition prices rose.",
                ),
                (Some("Exports"), "More ammunition went to Poland."),
            ],
        ),
        (
            article("b", (2024, 3, 28), "Gas prices"),
            vec![
                (None, "Gas prices fell in Germany this winter."),
                (
                    Some("Politics"),
                    "Aleksandar Vucic spoke about ammunition and gas.",
                ),
            ],
        ),
    ])
}

pub(super) fn ids(searcher: &Searcher, request: &SearchRequest) -> Vec<(String, u32)> {
    searcher
        .search(request)
        .unwrap()
        .hits
        .into_iter()
        .map(|hit| (hit.article_id, hit.ordinal))
        .collect()
}

fn sorted_ids(searcher: &Searcher, query: &str) -> Vec<(String, u32)> {
    let mut found = ids(searcher, &SearchRequest::new(query));
    found.sort();
    found
}

pub(super) fn id(article: &str, ordinal: u32) -> (String, u32) {
    (article.to_string(), ordinal)
}

#[test]
fn both_words_rank_first() {
    let searcher = fixture();
    let results = searcher
        .search(&SearchRequest::new("ammunition Serbia"))
        .unwrap();
    assert_eq!(
        (results.hits[0].article_id.as_str(), results.hits[0].ordinal),
        ("a", 0)
    );
    assert!(results.hits[0].snippet.contains("Serbia"));
    // The passage that names Serbia only as "Serbian" matches through the entity, last.
    let last = results.hits.last().unwrap();
    assert_eq!((last.article_id.as_str(), last.ordinal), ("a", 1));
    assert!(
        results
            .hits
            .windows(2)
            .all(|pair| pair[0].score >= pair[1].score)
    );
}

#[test]
fn the_total_is_counted_only_when_asked_or_when_every_match_was_seen() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.limit = 2;
    let results = searcher.search(&request).unwrap();
    assert_eq!(results.total, None);
    assert!(results.more);
    request.count = true;
    assert_eq!(searcher.search(&request).unwrap().total, Some(4));
    request.count = false;
    request.limit = 10;
    let results = searcher.search(&request).unwrap();
    assert_eq!(results.total, Some(4));
    assert!(!results.more);
}

#[test]
fn a_facet_sample_counts_the_best_passages_and_says_when_it_is_one() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.limit = 1;
    request.facet_sample = 2;
    let results = searcher.search(&request).unwrap();
    assert_eq!(results.facet_sample, Some(2));
    assert_eq!(results.facets.as_ref().unwrap().total, 2);
    assert_eq!(results.total, None);
    // A sample that holds every match is the whole result set, counted exactly.
    request.facet_sample = 100;
    let results = searcher.search(&request).unwrap();
    assert_eq!(results.facet_sample, None);
    request.facets = true;
    let every_match = searcher.search(&request).unwrap().facets.unwrap();
    let sampled = results.facets.unwrap();
    assert_eq!(sampled.entities, every_match.entities);
    assert_eq!(sampled.total, every_match.total);
    assert!(sampled.categories.is_empty() && sampled.months.is_empty());
    assert_eq!(every_match.total, 4);
}

#[test]
fn words_of_a_query_compile_to_one_flat_union_of_terms() {
    // tantivy prunes with block-max WAND only over a flat union of term queries.
    let searcher = fixture();
    let compiled = searcher
        .compile("ammunition serbia", false, FieldBoosts::default())
        .unwrap();
    let union = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
    // One term per word: the passage's title, heading and text are one field.
    assert_eq!(union.clauses().len(), 2);
    for (occur, clause) in union.clauses() {
        assert_eq!(*occur, Occur::Should);
        let term = match clause.downcast_ref::<BoostQuery>() {
            Some(boosted) => format!("{boosted:?}"),
            None => format!("{clause:?}"),
        };
        assert!(term.contains("TermQuery"), "{term}");
    }
    // A word naming an entity adds its expansion to the same flat union, scaled so that a
    // passage that only names the entity in another form scores above 0 and at most
    // ENTITY_EXPANSION_SCORE.
    let tantivy_searcher = searcher.tantivy_searcher();
    let expanded = searcher
        .with_entity_expansion(
            &tantivy_searcher,
            "ammunition serbia",
            &*compiled.query,
            None,
        )
        .unwrap();
    let expanded = expanded
        .downcast_ref::<super::expanded::ExpandedQuery>()
        .unwrap();
    let union = expanded.union().downcast_ref::<BooleanQuery>().unwrap();
    assert_eq!(union.clauses().len(), 3);
    let weight = expanded
        .weight(EnableScoring::enabled_from_searcher(&tantivy_searcher))
        .unwrap();
    for (occur, clause) in union.clauses() {
        assert_eq!(*occur, Occur::Should);
        let boosted = clause
            .downcast_ref::<BoostQuery>()
            .map(|q| format!("{q:?}"));
        let term = boosted.unwrap_or_else(|| format!("{clause:?}"));
        assert!(term.contains("TermQuery"), "{term}");
    }
    let entity = tantivy::Term::from_field_text(searcher.handle.fields.entity, "serbia");
    let entity_only = BooleanQuery::new(vec![
        (
            Occur::Must,
            Box::new(TermQuery::new(entity, IndexRecordOption::Basic)) as Box<dyn Query>,
        ),
        (Occur::MustNot, compiled.query.box_clone()),
    ]);
    let mut n_entity_only = 0;
    for (_, address) in tantivy_searcher
        .search(&entity_only, &TopDocs::with_limit(100).order_by_score())
        .unwrap()
    {
        let segment = tantivy_searcher.segment_reader(address.segment_ord);
        let score = weight.explain(segment, address.doc_id).unwrap().value();
        assert!(score > 0.0 && score <= ENTITY_EXPANSION_SCORE, "{score}");
        n_entity_only += 1;
    }
    assert!(
        n_entity_only > 0,
        "the fixture has a passage naming Serbia otherwise"
    );
    // Required words stay an intersection of unions; a word much more frequent than the
    // rarest required one is scored only where all match.
    // (A word is a union where the title and the heading weigh extra.)
    let weighed = FieldBoosts {
        title: 1.0,
        section: 1.0,
    };
    let lazy_clauses = |query: &str| -> Vec<bool> {
        let compiled = searcher.compile(query, false, weighed).unwrap();
        let both = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
        assert!(
            both.clauses()
                .iter()
                .all(|(occur, _)| *occur == Occur::Must)
        );
        both.clauses()
            .iter()
            .map(|(_, q)| q.downcast_ref::<LazyUnionQuery>().is_some())
            .collect()
    };
    // Passages: "ammunition" 4, "serbia" 1, "belgrade" 1, "exports" 2.
    assert_eq!(lazy_clauses("+ammunition +belgrade"), [true, false]);
    assert_eq!(lazy_clauses("+exports +ammunition"), [false, false]);
    // One required word with optional ones keeps tantivy's union.
    let compiled = searcher
        .compile("+ammunition serbia", false, weighed)
        .unwrap();
    let mixed = compiled.query.downcast_ref::<BooleanQuery>().unwrap();
    assert!(
        mixed
            .clauses()
            .iter()
            .all(|(_, q)| q.downcast_ref::<LazyUnionQuery>().is_none())
    );
}

#[test]
fn per_article_keeps_the_best_passages_of_each_article_and_counts_the_rest() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.per_article = 1;
    let results = searcher.search(&request).unwrap();
    let articles: Vec<&str> = results.hits.iter().map(|h| h.article_id.as_str()).collect();
    assert_eq!(articles.len(), 2);
    assert!(articles.contains(&"a") && articles.contains(&"b"));
    let hit_a = results.hits.iter().find(|h| h.article_id == "a").unwrap();
    assert_eq!(hit_a.more_in_article, 2);
    let hit_b = results.hits.iter().find(|h| h.article_id == "b").unwrap();
    assert_eq!(hit_b.more_in_article, 0);
    request.per_article = 0;
    assert_eq!(searcher.search(&request).unwrap().hits.len(), 4);
}

#[test]
fn date_filters_cut_results() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.filters.since = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(ids(&searcher, &request), [id("b", 1)]);
    request.filters.since = None;
    request.filters.until = Some(Utc.with_ymd_and_hms(2023, 12, 31, 0, 0, 0).unwrap());
    assert!(
        ids(&searcher, &request)
            .iter()
            .all(|(article, _)| article == "a")
    );
}

#[test]
fn a_reload_picks_up_the_acronym_table_of_the_new_commit() {
    use crate::build::build_index;
    use crate::build::{BuildOptions, Silent};
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::write(
        corpus.join("a.md"),
        "# Shells\n\nExports of artillery shells slowed, BAMG said.\n",
    )
    .unwrap();
    let options = BuildOptions {
        corpus: corpus.clone(),
        more_sources: Vec::new(),
        index: dir.path().join("index"),
        walk: crate::ingest::WalkOptions::default(),
        memory_mb: crate::index::DEFAULT_MEMORY_MB,
        rebuild: false,
        fields: Vec::new(),
        extras: Vec::new(),
    };
    let extractor = EntityExtractor::builtin();
    build_index(&options, &extractor, &Silent).unwrap();
    let handle = crate::index::open_index(&options.index).unwrap();
    let searcher = Searcher::new(handle, extractor.clone()).unwrap();
    let mut request = SearchRequest::new("shells");
    request.filters.entities = vec!["Balkan Arms Monitoring Group".into()];
    // No article names the group yet: the filter says so.
    assert!(matches!(
        searcher.search(&request),
        Err(IndexError::EntityName {
            problem: crate::error::EntityNameProblem::Unknown(_),
            ..
        })
    ));
    // Another article defines the acronym: the next commit carries a new table.
    std::fs::write(
        corpus.join("b.md"),
        "# Monitors\n\nThe Balkan Arms Monitoring Group (BAMG) counted artillery shells.\n",
    )
    .unwrap();
    build_index(&options, &extractor, &Silent).unwrap();
    assert_eq!(searcher.extractor().resolve("BAMG").name, "BAMG");
    searcher.reload().unwrap();
    assert_eq!(
        searcher.extractor().resolve("BAMG").name,
        "Balkan Arms Monitoring Group"
    );
    // The filter by the acronym now means the group, in both articles.
    request.filters.entities = vec!["BAMG".into()];
    assert_eq!(
        ids(&searcher, &request).len(),
        2,
        "{:?}",
        ids(&searcher, &request)
    );
}

#[test]
fn section_entity_and_category_filters_cut_results() {
    let searcher = fixture();
    let mut request = SearchRequest::new("gas");
    request.filters.sections = vec!["politics".into()];
    assert_eq!(ids(&searcher, &request), [id("b", 1)]);
    let mut request = SearchRequest::new("shells OR ammunition");
    request.filters.entities = vec!["Serbian".into()];
    let mut found = ids(&searcher, &request);
    found.sort();
    assert_eq!(found, [id("a", 0), id("a", 1)]);
    let mut request = SearchRequest::new("gas");
    request.filters.categories = vec!["Energy".into()];
    assert!(ids(&searcher, &request).is_empty());
    request.filters.categories = vec!["DEFENCE".into()];
    assert_eq!(ids(&searcher, &request).len(), 2);
}

#[test]
fn the_query_language_operators() {
    let searcher = fixture();
    assert!(
        sorted_ids(&searcher, "ammunition -gas")
            .iter()
            .all(|(a, _)| a == "a")
    );
    assert_eq!(sorted_ids(&searcher, "+gas +vucic"), [id("b", 1)]);
    assert_eq!(sorted_ids(&searcher, "gas AND vucic"), [id("b", 1)]);
    assert_eq!(sorted_ids(&searcher, "\"third countries\""), [id("a", 1)]);
    assert!(sorted_ids(&searcher, "\"countries third\"").is_empty());
    assert_eq!(
        sorted_ids(&searcher, "(gas OR countries) AND NOT winter"),
        [id("a", 1), id("b", 1)]
    );
    assert_eq!(sorted_ids(&searcher, "title:gas"), [id("b", 0), id("b", 1)]);
    assert_eq!(sorted_ids(&searcher, "section:politics"), [id("b", 1)]);
    assert_eq!(
        sorted_ids(
            &searcher,
            "entity:\"Bosnia-Herzegovina\" OR entity:ukrainian"
        ),
        [id("a", 1)]
    );
    assert_eq!(sorted_ids(&searcher, "category:defence AND gas").len(), 2);
    assert_eq!(sorted_ids(&searcher, "gas AND date:2024-03").len(), 2);
    assert_eq!(
        sorted_ids(&searcher, "gas AND date:[2023-01-01 TO 2023-12-31]"),
        []
    );
    let mut request = SearchRequest::new("ammunition gas");
    request.require_all = true;
    assert_eq!(ids(&searcher, &request), [id("b", 1)]);
}

#[test]
fn a_fuzzy_word_counts_edits_on_the_word_as_written() {
    let searcher = searcher_with(&[(
        article("z", (2024, 3, 28), "Talks"),
        vec![(None, "Ukrainian President Volodymyr Zelenskyy spoke.")],
    )]);
    // "zelensky" stems to "zelenski", two edits from the stem "zelenskyy".
    assert_eq!(sorted_ids(&searcher, "zelensky~1"), [id("z", 0)]);
    assert!(sorted_ids(&searcher, "zelensky").is_empty());
    assert!(sorted_ids(&searcher, "zelinsk~1").is_empty());
}

#[test]
fn fuzzy_and_prefix_words_expand_to_index_terms_and_keep_bm25() {
    let searcher = fixture();
    // One edit away from "vucic".
    assert_eq!(sorted_ids(&searcher, "vucik~1"), [id("b", 1)]);
    assert!(sorted_ids(&searcher, "vucik").is_empty());
    assert!(sorted_ids(&searcher, "vuxyk~1").is_empty());
    let results = searcher.search(&SearchRequest::new("ammun*")).unwrap();
    assert_eq!(results.hits.len(), 4);
    // BM25, not a constant: the passage with "ammunition" twice ranks first.
    assert_eq!(results.hits[0].ordinal, 2);
    assert!(results.hits[0].score > results.hits[3].score);
    assert!(results.hits[0].snippet.contains("Ammunition"));
    assert_eq!(results.hits[0].highlights.len(), 2);
    // A prefix longer than the stem still finds the stemmed word; `text:` searches the
    // whole passage, its section heading ("Exports") included.
    assert_eq!(
        sorted_ids(&searcher, "text:exports*"),
        [id("a", 1), id("a", 2), id("a", 3)]
    );
}

#[test]
fn a_phrase_is_highlighted_only_as_a_phrase() {
    let searcher = fixture();
    let results = searcher
        .search(&SearchRequest::new("\"ammunition prices\""))
        .unwrap();
    assert_eq!(results.hits.len(), 1);
    let hit = &results.hits[0];
    let marked: Vec<&str> = hit
        .highlights
        .iter()
        .map(|r| &hit.snippet[r.clone()])
        .collect();
    assert_eq!(marked, ["ammunition prices"]);
}

#[test]
fn sort_by_date_puts_the_newest_first() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.sort = SortOrder::Date;
    let found = ids(&searcher, &request);
    assert_eq!(found[0], id("b", 1));
    let relevance = ids(&searcher, &SearchRequest::new("ammunition"));
    assert_ne!(relevance[0], id("b", 1));
}

#[test]
fn recency_lifts_recent_passages_but_keeps_relevance() {
    let searcher = searcher_with(&[
        (
            article("old", (2015, 1, 1), "x"),
            vec![(None, "grid grid grid power")],
        ),
        (
            article("new", (2024, 1, 1), "x"),
            vec![(None, "grid power lines everywhere")],
        ),
    ]);
    assert_eq!(ids(&searcher, &SearchRequest::new("grid"))[0].0, "old");
    let mut request = SearchRequest::new("grid");
    request.recency_half_life = Some(chrono::Duration::days(365));
    request.explain = true;
    let results = searcher.search(&request).unwrap();
    assert_eq!(results.hits[0].article_id, "new");
    let explanation = results.hits[1].explanation.as_ref().unwrap();
    assert!(
        explanation["description"]
            .as_str()
            .unwrap()
            .starts_with("recency")
    );
    // Old passages keep at least the floor of their relevance.
    assert!(results.hits[1].score > 0.0);
}

#[test]
fn explain_gives_a_tree_whose_value_is_the_score() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition");
    request.explain = true;
    let results = searcher.search(&request).unwrap();
    let hit = &results.hits[0];
    let explanation = hit.explanation.as_ref().unwrap();
    let value = explanation["value"].as_f64().unwrap() as f32;
    assert!((value - hit.score).abs() < 1e-3, "{value} vs {}", hit.score);
    assert!(explanation["details"].is_array());
}

#[test]
fn facets_count_the_whole_result_set() {
    let searcher = fixture();
    let mut request = SearchRequest::new("ammunition OR gas");
    request.limit = 1;
    request.facets = true;
    let results = searcher.search(&request).unwrap();
    let facets = results.facets.unwrap();
    assert_eq!(facets.total, 5);
    assert_eq!(results.total, Some(5));
    let count_of = |name: &str| {
        facets
            .entities
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.count)
    };
    assert_eq!(count_of("Serbia"), Some(1));
    assert_eq!(count_of("Germany"), Some(1));
    assert_eq!(facets.categories[0].value, "defence");
    assert_eq!(facets.categories[0].count, 5);
    let months: Vec<(&str, u64)> = facets
        .months
        .iter()
        .map(|m| (m.value.as_str(), m.count))
        .collect();
    assert_eq!(months, [("2023-05", 3), ("2024-03", 2)]);
}

#[test]
fn a_title_counts_as_two_mentions_and_a_title_boost_adds_more() {
    let searcher = searcher_with(&[
        (
            article("thrice", (2024, 1, 1), "Other news"),
            vec![(None, "gas gas gas news here")],
        ),
        (
            article("title", (2024, 1, 1), "Gas"),
            vec![(None, "news here today")],
        ),
        (
            article("once", (2024, 1, 1), "Other news"),
            vec![(None, "gas news here today")],
        ),
    ]);
    // The title is written into the searched passage `TITLE_WEIGHT` (2) times: between
    // one mention in the text and three.
    let mut request = SearchRequest::new("gas");
    let articles = |request: &SearchRequest| -> Vec<String> {
        ids(&searcher, request)
            .into_iter()
            .map(|(a, _)| a)
            .collect()
    };
    assert_eq!(articles(&request), ["thrice", "title", "once"]);
    // `--title-boost` adds the word's score in the title alone.
    request.boosts = FieldBoosts {
        title: 2.0,
        section: 0.0,
    };
    assert_eq!(articles(&request), ["title", "thrice", "once"]);
}

#[test]
fn a_title_made_from_the_lead_is_not_searched_with_every_passage() {
    let made = Article {
        title_repeats_text: true,
        ..article("made", (2024, 1, 1), "Serbia builds shells")
    };
    let given = article("given", (2024, 1, 1), "Serbia builds shells");
    let passages = vec![
        (None, "Serbia builds shells."),
        (Some("Exports"), "Exports rose."),
    ];
    let searcher = searcher_with(&[(made, passages.clone()), (given, passages)]);
    assert_eq!(
        sorted_ids(&searcher, "shells"),
        [id("given", 0), id("given", 1), id("made", 0)]
    );
    // `title:` still finds the made title on every passage.
    assert_eq!(sorted_ids(&searcher, "title:shells").len(), 4);
}

#[test]
fn bad_queries_get_messages() {
    let searcher = fixture();
    let message = |query: &str| {
        searcher
            .search(&SearchRequest::new(query))
            .unwrap_err()
            .to_string()
    };
    assert!(message("(ammunition").contains("`(` is never closed at column 1"));
    assert!(message("colour:red").contains("unknown field `colour`"));
    assert!(message("the of and").contains("no searchable words"));
    assert!(message("?!, ...").contains("no searchable words"));
    assert!(message("date:[2024-13-01 TO *]").contains("not a date"));
    assert!(message("title:[a TO b]").contains(
        "ranges work on `date:` and on declared number and date fields, not on `title:`"
    ));
}

#[test]
fn an_inverted_date_range_is_refused() {
    let searcher = fixture();
    let mut request = SearchRequest::new("gas");
    request.filters.since = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
    request.filters.until = Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap());
    assert!(
        searcher
            .search(&request)
            .unwrap_err()
            .to_string()
            .contains("after the end date")
    );
}

#[test]
fn a_long_query_is_answered_or_refused_cleanly() {
    let searcher = fixture();
    let long: String = "ammunition ".repeat(900);
    assert!(
        !searcher
            .search(&SearchRequest::new(long))
            .unwrap()
            .hits
            .is_empty()
    );
    let too_long: String = "gas ".repeat(2500);
    assert!(searcher.search(&SearchRequest::new(too_long)).is_err());
}

#[test]
fn prefix_words_past_the_cost_budget_are_refused() {
    // A passage of many words that start with "a": each `a*` expands to MAX_EXPANSIONS terms.
    let words: String = (0..2 * MAX_EXPANSIONS)
        .map(|n| format!("a{n:04} "))
        .collect();
    let searcher = searcher_with(&[(
        article("a", (2024, 1, 1), "Words"),
        vec![(None, words.as_str())],
    )]);
    let within = MAX_EXPANDED_TERMS / MAX_EXPANSIONS;
    assert!(
        searcher
            .search(&SearchRequest::new("a* ".repeat(within)))
            .is_ok()
    );
    let error = searcher
        .search(&SearchRequest::new("a* ".repeat(within + 1)))
        .unwrap_err();
    assert!(error.to_string().contains("expand to more than"), "{error}");
    // Fuzzy words count against the same budget.
    let fuzzy = format!("{}a0001~1", "a* ".repeat(within));
    assert!(searcher.search(&SearchRequest::new(fuzzy)).is_err());
}

#[test]
fn an_open_date_range_matches_every_dated_passage_instead_of_panicking() {
    let searcher = fixture();
    let gas = sorted_ids(&searcher, "gas");
    assert!(!gas.is_empty());
    for query in ["gas AND date:[* TO *]", "gas AND date:{* TO *}"] {
        assert_eq!(sorted_ids(&searcher, query), gas, "{query}");
    }
    assert_eq!(
        sorted_ids(&searcher, "date:[* TO *]").len(),
        sorted_ids(&searcher, "date:[1900-01-01 TO 2100-01-01]").len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]
    #[test]
    fn random_queries_never_panic(query in "\\PC{0,60}|[ ()\"+\\-*~:\\[\\]a-z0-9]{0,40}|(AND|OR|NOT|title:|date:|entity:|\\(|\\)|\"|ammun|gas|~1|\\*| ){0,12}") {
        let searcher = FIXTURE.with(|searcher| searcher.clone());
        let _ = searcher.search(&SearchRequest::new(query));
    }

    /// Ranges, fields, prefixes, fuzzy words and operators in any order, searched through
    /// the library (parse, compile, filter, rank, fetch): an error is fine, a panic is not.
    #[test]
    fn random_query_language_never_panics(tokens in proptest::collection::vec(
        "date:|date:\\[|date:\\{|\\[|\\{|\\]|\\}|\\*| TO |2024|2024-03|2024-03-28|1500-01-01|9999-12-31|title:|section:|category:|entity:|text:|gas\\*|ammun~1|~2|\\+|-|AND|OR|NOT|\\(|\\)|\"|serbia|vucic| ",
        0..14,
    ), sort_by_date in proptest::bool::ANY) {
        let searcher = FIXTURE.with(|searcher| searcher.clone());
        let mut request = SearchRequest::new(tokens.concat());
        if sort_by_date {
            request.sort = SortOrder::Date;
        }
        let _ = searcher.search(&request);
    }
}

thread_local! {
    static FIXTURE: std::rc::Rc<Searcher> = std::rc::Rc::new(fixture());
}

/// An index of `n` one-sentence passages (no entities, so it is quick to build), each holding
/// "gas" and one of many words that start with "p".
pub(super) fn many_passages(n: usize) -> Searcher {
    let handle = create_in_ram();
    // One indexing thread: one segment, whatever the machine.
    let mut writer = handle.index.writer_with_num_threads(1, 50_000_000).unwrap();
    for idx in 0..n {
        let article = article(&format!("a{idx:05}"), (2024, 1, 1), "Gas");
        let passage = Passage {
            article_id: article.id.clone(),
            ordinal: 0,
            section: None,
            text: format!("gas p{:03} prices rose", idx % 900),
            entities: Vec::new(),
        };
        writer
            .add_document(passage_document(&handle.fields, &article, &passage))
            .unwrap();
    }
    writer.commit().unwrap();
    let searcher = Searcher::new(handle, EntityExtractor::builtin()).unwrap();
    searcher.reload().unwrap();
    searcher
}

#[test]
fn a_prefix_of_more_words_than_are_searched_says_so() {
    let searcher = many_passages(1000);
    let results = searcher.search(&SearchRequest::new("p* gas")).unwrap();
    assert!(!results.hits.is_empty());
    // p000 to p899, and "price".
    assert_eq!(
        results.notices,
        [format!(
            "`p*` matches 901 index words; the {MAX_EXPANSIONS} most frequent are searched"
        )]
    );
    let narrow = searcher.search(&SearchRequest::new("p00* gas")).unwrap();
    assert!(narrow.notices.is_empty(), "{:?}", narrow.notices);
}
