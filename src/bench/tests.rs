use chrono::Utc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::class::{FilterKind, Shape};
use super::*;
use crate::search::Searcher;
use std::collections::BTreeMap;

#[test]
fn percentiles_use_the_nearest_rank() {
    let sorted: Vec<u64> = (1..=100).collect();
    assert_eq!(percentile(&sorted, 50.0), Some(50));
    assert_eq!(percentile(&sorted, 90.0), Some(90));
    assert_eq!(percentile(&sorted, 99.0), Some(99));
    assert_eq!(percentile(&sorted, 100.0), Some(100));
    assert_eq!(percentile(&[7], 99.0), Some(7));
    assert_eq!(percentile(&[1, 2, 3], 50.0), Some(2));
    assert_eq!(percentile(&[1, 2, 3, 4], 50.0), Some(2));
    assert_eq!(percentile(&[1, 2, 3, 4], 51.0), Some(3));
    assert_eq!(percentile(&[], 50.0), None);
}

#[test]
fn stats_sort_samples_and_convert_to_microseconds() {
    let mut samples = vec![4_000, 1_000, 3_000, 2_000, 10_000];
    let figures = stats(&mut samples, 2);
    assert_eq!(figures.count, 5);
    assert_eq!(figures.p50_us, 3.0);
    assert_eq!(figures.p90_us, 10.0);
    assert_eq!(figures.max_us, 10.0);
    assert_eq!(figures.mean_us, 4.0);
    assert_eq!(figures.qps, 500_000.0);
    let empty = stats(&mut [], 1);
    assert_eq!((empty.count, empty.p50_us, empty.qps), (0, 0.0, 0.0));
}

fn check_line(line: &str, expected: Result<Option<(Option<QueryClass>, &str)>, &str>) {
    let parsed = parse_query_line(line).map(|parsed| match parsed {
        QueryLine::Nothing => None,
        QueryLine::Query { class, query } => Some((class, query)),
    });
    match expected {
        Ok(expected) => assert_eq!(parsed, Ok(expected), "{line:?}"),
        Err(fragment) => {
            let error = parsed.unwrap_err();
            assert!(error.contains(fragment), "{line:?}: {error}");
        }
    }
}

#[test]
fn query_lines_take_an_optional_class_and_skip_comments() {
    check_line("", Ok(None));
    check_line("   \r\n", Ok(None));
    check_line("# a comment", Ok(None));
    check_line("  # indented comment", Ok(None));
    check_line("serbia\n", Ok(Some((None, "serbia"))));
    check_line(
        "phrase\t\"third countries\"",
        Ok(Some((Some(QueryClass::Phrase), "\"third countries\""))),
    );
    check_line(
        "and+date\t+gas +prices",
        Ok(Some((Some(QueryClass::AndDate), "+gas +prices"))),
    );
    check_line("colour\tred", Err("unknown class `colour`"));
    check_line("term\t   ", Err("no query after the class"));
}

#[test]
fn unlabelled_queries_are_classified_by_shape() {
    let check = |query, class| assert_eq!(QueryClass::classify(query), class, "{query}");
    check("serbia", QueryClass::Term);
    check("\"third countries\"", QueryClass::Phrase);
    check("+gas +prices", QueryClass::And);
    check("gas AND prices", QueryClass::And);
    check("gas OR prices", QueryClass::Or);
    check("gas prices -oil", QueryClass::Other);
    check("title:gas", QueryClass::Other);
}

#[test]
fn class_names_round_trip() {
    for class in QueryClass::GENERATED.into_iter().chain([QueryClass::Other]) {
        assert_eq!(QueryClass::parse(class.name()), Some(class));
        let json = serde_json::to_string(&class).unwrap();
        assert_eq!(json, format!("\"{}\"", class.name()));
    }
}

/// An in-memory index of `n_articles` dated articles made of a small vocabulary, so that
/// words of every frequency, adjacent pairs, dates and entities are there to draw from.
fn searcher(n_articles: usize) -> Searcher {
    searcher_dated(n_articles, true)
}

/// `searcher`, its articles dated or not.
fn searcher_dated(n_articles: usize, dated: bool) -> Searcher {
    use crate::extract::entities::EntityExtractor;
    use crate::index::{create_in_ram, passage_document};
    use crate::model::{Article, Passage};
    use chrono::TimeZone;

    const SYLLABLES: &[&str] = &["ka", "lo", "mi", "ter", "sun", "bra", "vel", "dor"];
    const PLACES: &[&str] = &["Serbia", "Germany", "France", "Poland", "Ukraine"];
    let handle = create_in_ram();
    let extractor = EntityExtractor::builtin();
    let mut writer = handle.index.writer(50_000_000).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for article_idx in 0..n_articles {
        let article = Article {
            id: format!("a{article_idx}"),
            path: format!("a{article_idx}.txt").into(),
            title: "News".into(),
            date: Utc
                .with_ymd_and_hms(2000 + (article_idx % 20) as i32, 3, 1, 0, 0, 0)
                .single()
                .filter(|_| dated),
            ..Article::default()
        };
        for ordinal in 0..3 {
            // Three-syllable words drawn with a skew, so that some are common and most rare.
            let mut words: Vec<String> = (0..12)
                .map(|_| {
                    let skewed = rng.random::<f64>().powi(3);
                    let idx = (skewed * 512.0) as usize;
                    [idx % 8, idx / 8 % 8, idx / 64]
                        .iter()
                        .map(|syllable| SYLLABLES[*syllable])
                        .collect()
                })
                .collect();
            words.push(PLACES[rng.random_range(0..PLACES.len())].to_string());
            let text = words.join(" ") + ".";
            let passage = Passage {
                article_id: article.id.clone(),
                ordinal,
                section: None,
                entities: extractor.extract(&text),
                text,
            };
            writer
                .add_document(passage_document(&handle.fields, &article, &passage))
                .unwrap();
        }
    }
    writer.commit().unwrap();
    let searcher = Searcher::new(handle, extractor).unwrap();
    searcher.reload().unwrap();
    searcher
}

#[test]
fn the_generated_mix_is_seeded_and_covers_every_class() {
    let searcher = searcher(60);
    let first = generate_queries(&searcher, 5, 11).unwrap();
    assert_eq!(first, generate_queries(&searcher, 5, 11).unwrap());
    assert_ne!(first, generate_queries(&searcher, 5, 12).unwrap());
    for class in QueryClass::GENERATED {
        let of_class: Vec<_> = first.iter().filter(|query| query.class == class).collect();
        assert_eq!(of_class.len(), 5, "{class}");
        for query in of_class {
            // The text has the class's shape, and the filter matches the class.
            assert_eq!(
                QueryClass::classify(&query.query),
                class
                    .parts()
                    .map_or(QueryClass::Other, |(shape, _)| match shape {
                        Shape::Term => QueryClass::Term,
                        Shape::And => QueryClass::And,
                        Shape::Or => QueryClass::Or,
                        Shape::Phrase => QueryClass::Phrase,
                    }),
                "{}",
                query.query
            );
            let filters = query.filters.as_deref();
            match class.parts().map(|(_, filter)| filter) {
                Some(FilterKind::Date) => assert!(filters.unwrap().since.is_some()),
                Some(FilterKind::Entity) => assert_eq!(filters.unwrap().entities.len(), 1),
                _ => assert!(filters.is_none()),
            }
            // Drawn from stored passages, every query finds something.
            let results = searcher.search(&query.request()).unwrap();
            assert!(
                !results.hits.is_empty(),
                "{} {:?}",
                query.query,
                query.filters
            );
        }
    }
}

#[test]
fn a_run_reports_every_class_on_several_threads() {
    let searcher = searcher(30);
    let queries = generate_queries(&searcher, 3, 5).unwrap();
    let options = RunOptions {
        warmup: 1,
        rounds: 2,
        threads: 3,
    };
    let report = run_bench(
        &searcher,
        &queries,
        &QuerySource::Generated {
            seed: 5,
            skipped_classes: BTreeMap::new(),
        },
        options,
    )
    .unwrap();
    assert_eq!(report.classes.len(), 12);
    assert_eq!(report.all.total.count, queries.len() * 2);
    for figures in report.classes.values() {
        assert_eq!(figures.total.count, 6);
        assert!(figures.total.p50_us <= figures.total.p99_us);
        assert!(figures.total.p99_us <= figures.total.max_us);
        assert!(figures.search.p50_us <= figures.total.max_us);
    }
    let ratios = compare(&report, &report);
    assert_eq!(ratios.len(), 13 * 3 * 6);
    assert!(
        ratios
            .iter()
            .all(|ratio| ratio.ratio == 1.0 || ratio.baseline == 0.0)
    );
    let no_threads = RunOptions {
        threads: 0,
        ..options
    };
    assert!(matches!(
        run_bench(
            &searcher,
            &queries,
            &QuerySource::Generated {
                seed: 5,
                skipped_classes: BTreeMap::new(),
            },
            no_threads
        ),
        Err(BenchError::NoThreads)
    ));
}

#[test]
fn an_empty_index_is_refused_with_a_message() {
    use crate::extract::entities::EntityExtractor;
    let searcher =
        Searcher::new(crate::index::create_in_ram(), EntityExtractor::builtin()).unwrap();
    let error = generate_queries(&searcher, 3, 1).unwrap_err();
    assert!(error.to_string().contains("holds no passages"), "{error}");
}

#[test]
fn query_files_skip_bad_lines_with_their_numbers() {
    let searcher = searcher(5);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queries.txt");
    let mut text =
        b"# comment\n\ngrain\nphrase\t\"grain prices\"\n(unclosed\nbad\tclass\n".to_vec();
    text.extend_from_slice(b"\xff\xfe\n");
    text.extend_from_slice(b"+grain +prices\n");
    std::fs::write(&path, text).unwrap();
    let mut skipped = Vec::new();
    let (queries, n_skipped) =
        read_query_file(&path, &searcher, &mut |line| skipped.push(line.clone())).unwrap();
    let found: Vec<_> = queries.iter().map(|q| (q.class, &*q.query)).collect();
    assert_eq!(
        found,
        [
            (QueryClass::Term, "grain"),
            (QueryClass::Phrase, "\"grain prices\""),
            (QueryClass::And, "+grain +prices"),
        ]
    );
    assert_eq!(n_skipped, 3);
    let lines: Vec<usize> = skipped.iter().map(|s| s.line).collect();
    assert_eq!(lines, [5, 6, 7]);
    assert!(
        skipped[0].reason.contains("never closed"),
        "{:?}",
        skipped[0]
    );
    assert!(skipped[2].reason.contains("UTF-8"));

    std::fs::write(&path, "# only a comment\n(\n").unwrap();
    let error = read_query_file(&path, &searcher, &mut |_| {}).unwrap_err();
    assert!(error.to_string().contains("holds no query"), "{error}");
}

#[test]
fn an_index_without_dates_measures_every_class_but_the_date_ones_and_says_so() {
    let searcher = searcher_dated(60, false);
    let mix = generate_mix(&searcher, 3, 11).unwrap();
    assert_eq!(mix, generate_mix(&searcher, 3, 11).unwrap(), "seeded");
    let date_classes = [
        QueryClass::TermDate,
        QueryClass::AndDate,
        QueryClass::OrDate,
        QueryClass::PhraseDate,
    ];
    assert_eq!(
        mix.skipped_classes.keys().copied().collect::<Vec<_>>(),
        date_classes
    );
    assert!(
        mix.skipped_classes
            .values()
            .all(|reason| reason == NO_DATES)
    );
    for class in QueryClass::GENERATED {
        let n = mix.queries.iter().filter(|q| q.class == class).count();
        let expected = if date_classes.contains(&class) { 0 } else { 3 };
        assert_eq!(n, expected, "{class}");
    }
    let source = QuerySource::Generated {
        seed: 11,
        skipped_classes: mix.skipped_classes.clone(),
    };
    let options = RunOptions {
        warmup: 0,
        rounds: 1,
        threads: 1,
    };
    let report = run_bench(&searcher, &mix.queries, &source, options).unwrap();
    assert_eq!(report.classes.len(), 8);
    assert_eq!(report.skipped_classes, mix.skipped_classes);
    // A dated index skips nothing.
    assert!(
        generate_mix(&searcher_dated(30, true), 2, 5)
            .unwrap()
            .skipped_classes
            .is_empty()
    );
}
