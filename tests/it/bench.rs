//! `newsdex corpus synth`, `newsdex index build` and `newsdex bench --json` run end to end on a
//! corpus synthesised from a small Reuters-shaped fixture.

use std::path::Path;
use std::process::Output;

/// Runs newsdex (through the harness) in a fresh temp dir; paths are absolute.
fn newsdex(args: &[&str]) -> Output {
    crate::TestEnv::empty().run(args)
}

fn succeed(args: &[&str]) -> Output {
    let output = newsdex(args);
    assert!(
        output.status.success(),
        "newsdex {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Synthesises a corpus of `passages` passages and indexes it; returns the index folder.
fn fixture_index(dir: &Path, passages: &str) -> String {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reuters-mini.jsonl"
    );
    let corpus = dir.join("corpus");
    let index = dir.join("index");
    let corpus = corpus.to_str().unwrap();
    let index = index.to_str().unwrap();
    succeed(&[
        "corpus",
        "synth",
        "--passages",
        passages,
        "--from",
        fixture,
        "--seed",
        "3",
        "--out",
        corpus,
    ]);
    succeed(&["index", "build", corpus, "--index", index, "--quiet"]);
    index.to_string()
}

const FIGURES: [&str; 6] = ["p50_us", "p90_us", "p99_us", "max_us", "mean_us", "qps"];

fn check_figures(object: &serde_json::Value, what: &str) {
    for key in FIGURES {
        let value = object[key].as_f64();
        assert!(
            value.is_some_and(|v| v >= 0.0),
            "{what}: `{key}` in {object}"
        );
    }
    assert!(
        object["p50_us"].as_f64() <= object["p99_us"].as_f64(),
        "{what}"
    );
    assert!(
        object["p99_us"].as_f64() <= object["max_us"].as_f64(),
        "{what}"
    );
}

#[test]
fn bench_json_has_figures_per_class_and_for_all_queries() {
    let dir = tempfile::tempdir().unwrap();
    let index = fixture_index(dir.path(), "400");
    let output = succeed(&[
        "bench",
        "--index",
        &index,
        "--rounds",
        "2",
        "--warmup",
        "1",
        "--per-class",
        "4",
        "--threads",
        "2",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["passages"], 400);
    assert_eq!(report["threads"], 2);
    assert_eq!(report["queries"], 48);
    let classes = report["classes"].as_object().unwrap();
    let names: Vec<&str> = classes.keys().map(String::as_str).collect();
    for name in [
        "term",
        "and",
        "or",
        "phrase",
        "term+date",
        "phrase+entity",
        "or+entity",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for (name, class) in classes {
        check_figures(class, name);
        check_figures(&class["search"], name);
        check_figures(&class["fetch"], name);
        assert_eq!(class["count"], 8, "{name}");
    }
    check_figures(&report["all"], "all");
    assert_eq!(report["all"]["count"], 96);

    // The same report as a baseline compares figure by figure.
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, &output.stdout).unwrap();
    let compared = succeed(&[
        "bench",
        "--index",
        &index,
        "--rounds",
        "1",
        "--per-class",
        "4",
        "--compare",
        baseline.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&compared.stdout);
    assert!(text.contains("ratios to the baseline"), "{text}");
    assert!(
        text.lines()
            .any(|line| line.starts_with("phrase+entity  search  p99_us")),
        "{text}"
    );
}

#[test]
fn bench_refuses_bad_input_with_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let index = fixture_index(dir.path(), "60");

    let output = newsdex(&["bench", "--index", &index, "--threads", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--threads"));

    let queries = dir.path().join("queries.txt");
    std::fs::write(
        &queries,
        "# comment\n\ngrain\n(broken\nterm\twheat\nnope\tx\n",
    )
    .unwrap();
    let output = succeed(&[
        "bench",
        "--index",
        &index,
        "--queries",
        queries.to_str().unwrap(),
        "--rounds",
        "1",
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("queries.txt:4: skipped"), "{stderr}");
    assert!(
        stderr.contains("queries.txt:6: skipped: unknown class `nope`"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["queries"], 2);
    assert_eq!(report["skipped_queries"], 2);
    assert_eq!(report["classes"]["term"]["count"], 2);

    let empty = dir.path().join("empty-index");
    let output = newsdex(&["bench", "--index", empty.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no index at"));

    let output = newsdex(&[
        "bench",
        "--index",
        &index,
        "--compare",
        dir.path().join("nope.json").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.json"));
}

#[test]
fn synth_writes_the_same_corpus_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reuters-mini.jsonl"
    );
    let run = |out: &str| {
        let out = dir.path().join(out);
        succeed(&[
            "corpus",
            "synth",
            "--passages",
            "300",
            "--from",
            fixture,
            "--seed",
            "9",
            "--out",
            out.to_str().unwrap(),
        ]);
        let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&out)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
            .map(|entry| {
                let relative = entry.path().strip_prefix(&out).unwrap();
                (
                    relative.display().to_string(),
                    std::fs::read(entry.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let first = run("a");
    assert!(!first.is_empty());
    assert_eq!(first, run("b"));
    let output = newsdex(&[
        "corpus",
        "synth",
        "--passages",
        "10",
        "--from",
        "/nonexistent/reuters.jsonl",
        "--out",
        dir.path().join("c").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/reuters.jsonl"));
}

#[test]
fn bench_on_an_index_without_dates_skips_the_date_classes_and_says_so() {
    let env = crate::TestEnv::empty();
    std::fs::create_dir_all(env.corpus()).unwrap();
    // The Reuters fixture with every record's date taken out.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/reuters-mini.jsonl"
    );
    let undated: String = std::fs::read_to_string(fixture)
        .unwrap()
        .lines()
        .map(|line| {
            let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
            record.as_object_mut().unwrap().remove("date").unwrap();
            record.to_string() + "\n"
        })
        .collect();
    std::fs::write(env.corpus().join("undated.jsonl"), undated).unwrap();
    let build = env.build();
    assert_eq!(build.status.code(), Some(0), "{}", crate::stderr(&build));

    let output = env.run(&[
        "bench",
        "--index",
        "index",
        "--rounds",
        "1",
        "--warmup",
        "0",
        "--per-class",
        "2",
        "--json",
    ]);
    let errors = crate::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{errors}");
    assert_eq!(
        errors.trim_end(),
        "bench: skipped term+date, and+date, or+date, phrase+date: the index holds no dates; \
         the other classes are measured"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut classes: Vec<&str> = report["classes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    classes.sort_unstable();
    assert_eq!(
        classes,
        [
            "and",
            "and+entity",
            "or",
            "or+entity",
            "phrase",
            "phrase+entity",
            "term",
            "term+entity"
        ]
    );
    let skipped = report["skipped_classes"].as_object().unwrap();
    assert_eq!(skipped.len(), 4);
    assert_eq!(skipped["phrase+date"], "the index holds no dates");
    assert_eq!(report["queries"], 16);
}
