//! Incremental builds, kills mid-build, concurrent builds and searches, index stats, version
//! checks and faults (damaged, read-only, full), all through the real binary.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::{TestEnv, stderr};

/// Writes one seed-format article whose lead names `marker` and `word`.
fn write_article(path: &Path, marker: &str, word: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = format!(
        " date 2023-05-17 Lead of article {marker} about {word} shells in Serbia.\n\n\
         Where It Stands\n\nThe plant near Belgrade makes shells for {word} buyers. It employs many people.\n\n\
         Who Pays\n\nFunding comes from loans. The ministry said so on Tuesday.\n"
    );
    std::fs::write(path, text).unwrap();
}

fn article_path(env: &TestEnv, index: usize) -> std::path::PathBuf {
    env.corpus()
        .join(format!("desk{}", index % 5))
        .join(format!("a{index:05}.txt"))
}

/// A corpus of `n` small articles (`file00000`...), all about `alpha`.
fn big_corpus(n: usize) -> TestEnv {
    let env = TestEnv::empty();
    for index in 0..n {
        write_article(
            &article_path(&env, index),
            &format!("file{index:05}"),
            "alpha",
        );
    }
    env
}

fn stats(env: &TestEnv) -> serde_json::Value {
    let output = env.run(&["index", "stats", "--index", "index", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("stats are JSON")
}

/// Distinct articles with a passage that matches `query` (the generated articles are alike:
/// near-copies are not folded).
fn n_hits(env: &TestEnv, query: &str) -> usize {
    let args = [
        "search",
        query,
        "--index",
        "index",
        "--json",
        "-n",
        "10000",
        "--per-article",
        "1",
        "--duplicates",
        "show",
    ];
    let output = env.run(&args);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "search failed: {}",
        stderr(&output)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let hit: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            hit["article_id"].as_str().unwrap().to_string()
        })
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

fn build_ok(env: &TestEnv, extra: &[&str]) -> String {
    let mut args = vec!["index", "build", "corpus", "--index", "index"];
    args.extend_from_slice(extra);
    let output = env.run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stderr(&output)
}

#[test]
fn an_unchanged_corpus_is_not_indexed_again_and_changes_are_applied() {
    let env = TestEnv::with_fixture("basic");
    let first = build_ok(&env, &[]);
    assert!(first.contains("4 added"), "{first}");
    let second = build_ok(&env, &[]);
    assert!(
        second.contains("articles: 0 added, 0 updated, 0 removed, 4 unchanged"),
        "{second}"
    );

    // Touched but identical: checked by hash, not re-indexed.
    let shells = env.corpus().join("defence/shells.txt");
    let text = std::fs::read_to_string(&shells).unwrap();
    std::fs::write(&shells, &text).unwrap();
    // Changed, removed and new files.
    let powder = env.corpus().join("defence/powder.txt");
    let powder_text = std::fs::read_to_string(&powder).unwrap();
    std::fs::write(
        &powder,
        format!("{powder_text}\n\nZanzibarite is the new propellant.\n"),
    )
    .unwrap();
    std::fs::remove_file(env.corpus().join("energy/undated.txt")).unwrap();
    write_article(&env.corpus().join("energy/new.txt"), "quokkamarker", "wind");

    let third = build_ok(&env, &[]);
    assert!(
        third.contains("articles: 1 added, 1 updated, 1 removed, 2 unchanged"),
        "{third}"
    );
    assert_eq!(n_hits(&env, "zanzibarite"), 1);
    assert_eq!(n_hits(&env, "quokkamarker"), 1);
    // The removed file's articles are gone.
    assert_eq!(n_hits(&env, "estonia latvia"), 0);
    // The changed article is in once, with its new and its old text.
    let powder = env.search_json("nitrocellulose", &["--per-article", "0"]);
    assert_eq!(powder.len(), 1, "{powder:?}");
    assert_eq!(powder[0]["article_id"], "defence/powder.txt");
    let changed = stats(&env);
    assert_eq!(changed["articles"], 4);
    assert_eq!(changed["files"], 4);

    let rebuilt = build_ok(&env, &["--rebuild"]);
    assert!(rebuilt.contains("(full rebuild)"), "{rebuilt}");
    assert!(rebuilt.contains("4 added"), "{rebuilt}");
    assert_eq!(stats(&env)["passages"], changed["passages"]);
}

/// The manifest files in the index directory.
fn manifest_files(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.index())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("manifest-"))
        .collect();
    names.sort();
    names
}

#[test]
fn the_manifest_lives_beside_the_index_and_a_lost_one_makes_a_full_rebuild() {
    let env = big_corpus(200);
    build_ok(&env, &["--quiet"]);
    let first = manifest_files(&env);
    assert_eq!(first.len(), 1, "{first:?}");
    // `meta.json`, which every search reads, does not grow with the corpus.
    let meta = std::fs::metadata(env.index().join("meta.json"))
        .unwrap()
        .len();
    assert!(meta < 8 * 1024, "meta.json is {meta} bytes");

    // A change writes a new manifest and removes the old one; a leftover of a killed build goes too.
    std::fs::write(
        env.index().join("manifest-00000000deadbeef.json.lz4"),
        b"stale",
    )
    .unwrap();
    change_big_corpus(&env, 200, 5, 5, 5);
    let changed = build_ok(&env, &[]);
    assert!(!changed.contains("full rebuild"), "{changed}");
    let second = manifest_files(&env);
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(second, first);
    let articles = stats(&env)["articles"].clone();
    assert_eq!(stats(&env)["files"], articles);

    // Without its manifest, the next build cannot know what is indexed: it reads everything
    // again and replaces the index, so no article is in twice.
    std::fs::remove_file(env.index().join(&second[0])).unwrap();
    let rebuilt = build_ok(&env, &[]);
    assert!(rebuilt.contains("full rebuild"), "{rebuilt}");
    assert_eq!(stats(&env)["articles"], articles);
    assert_eq!(
        n_hits(&env, "alpha"),
        articles.as_u64().unwrap() as usize - 10
    );
    assert_eq!(manifest_files(&env).len(), 1);
    let unchanged = build_ok(&env, &[]);
    assert!(
        unchanged.contains("0 added, 0 updated, 0 removed"),
        "{unchanged}"
    );
}

#[test]
fn stats_report_articles_dates_categories_entities_segments_and_size() {
    let env = TestEnv::with_fixture("basic");
    build_ok(&env, &[]);
    let stats = stats(&env);
    assert_eq!(stats["articles"], 4);
    assert_eq!(stats["undated_articles"], 1);
    assert!(stats["passages"].as_u64().unwrap() >= 4);
    assert_eq!(stats["first_date"], "2022-09-12T00:00:00Z");
    assert_eq!(stats["last_date"], "2024-03-28T00:00:00Z");
    let categories: Vec<&str> = stats["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|category| category["value"].as_str().unwrap())
        .collect();
    assert!(categories.contains(&"defence"), "{categories:?}");
    assert!(stats["n_sections"].as_u64().unwrap() > 0);
    assert!(!stats["top_entities"].as_array().unwrap().is_empty());
    assert!(!stats["segments"].as_array().unwrap().is_empty());
    assert!(stats["size_bytes"].as_u64().unwrap() > 1000);

    let text = env.run(&["index", "stats", "--index", "index"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("articles:    4"), "{text}");
}

/// Starts a build with its stderr piped, and returns once it has printed its plan (by then it
/// holds the writer lock).
fn spawn_build(env: &TestEnv) -> (Child, BufReader<std::process::ChildStderr>) {
    let mut child = env
        .command(&["index", "build", "corpus", "--index", "index"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start newsdex");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    (child, stderr)
}

/// Changes the big corpus: rewrites the first `n_changed` articles to `bravo`, removes the last
/// `n_removed`, adds `n_new` about `charlie`.
fn change_big_corpus(env: &TestEnv, n: usize, n_changed: usize, n_removed: usize, n_new: usize) {
    for index in 0..n_changed {
        write_article(
            &article_path(env, index),
            &format!("file{index:05}"),
            "bravo",
        );
    }
    for index in n - n_removed..n {
        std::fs::remove_file(article_path(env, index)).unwrap();
    }
    for index in n..n + n_new {
        write_article(
            &article_path(env, index),
            &format!("file{index:05}"),
            "charlie",
        );
    }
}

#[test]
fn builds_killed_at_any_moment_leave_the_previous_index_and_the_next_build_finishes() {
    const N: usize = 2000;
    let env = big_corpus(N);
    let started = std::time::Instant::now();
    build_ok(&env, &["--quiet"]);
    // The kills come at fractions of a full build's time, so that some land mid-way however
    // fast this machine and this build are.
    let full_build_ms = started.elapsed().as_millis();
    let before = stats(&env);
    assert_eq!(before["articles"], N);
    let passages_before = before["passages"].clone();
    change_big_corpus(&env, N, 300, 100, 200);

    let mut killed_mid_build = 0;
    let shares = [0.0, 0.02, 0.05, 0.1, 0.2, 0.33, 0.5, 1.0];
    for delay_ms in shares.map(|share| (full_build_ms as f64 * share) as u64) {
        let (mut child, _stderr) = spawn_build(&env);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().expect("SIGKILL the build");
        let status = child.wait().unwrap();
        let after = stats(&env);
        if after["articles"] == N && after["passages"] == passages_before {
            // The previous commit, whole: nothing of the half-done build shows.
            assert_eq!(n_hits(&env, "charlie"), 0, "killed at {delay_ms} ms");
            assert_eq!(n_hits(&env, "bravo"), 0, "killed at {delay_ms} ms");
            if status.code().is_none() {
                killed_mid_build += 1;
            }
        } else {
            // The build committed before the kill: then it is the new state, whole.
            assert_eq!(after["articles"], N - 100 + 200, "killed at {delay_ms} ms");
            break;
        }
    }
    assert!(
        killed_mid_build >= 3,
        "the builds finished too fast to be killed mid-way ({killed_mid_build} kills)"
    );

    let finish = build_ok(&env, &[]);
    assert!(!finish.contains("full rebuild"), "{finish}");
    let after = stats(&env);
    assert_eq!(after["articles"], N - 100 + 200);
    assert_eq!(n_hits(&env, "charlie"), 200);
    assert_eq!(n_hits(&env, "bravo"), 300);
    // Rewritten articles are replaced, not duplicated.
    assert_eq!(n_hits(&env, "file00000"), 1);
    let again = build_ok(&env, &[]);
    assert!(again.contains("0 added, 0 updated, 0 removed"), "{again}");
}

/// Sends `signal` to a child process.
fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    // SAFETY: kill(2) with the pid of a child this test spawned and has not reaped yet.
    let status = unsafe { libc::kill(pid, signal) };
    assert_eq!(status, 0, "kill({pid}, {signal})");
}

#[test]
fn a_second_build_fails_at_once_and_search_sees_the_last_commit_while_a_build_runs() {
    const N: usize = 2000;
    let env = big_corpus(N);
    build_ok(&env, &["--quiet"]);
    // Enough new files that the build is still running during the checks below.
    change_big_corpus(&env, N, 0, 0, 500);
    let (mut child, mut child_stderr) = spawn_build(&env);
    let mut line = String::new();
    child_stderr.read_line(&mut line).unwrap();
    assert!(line.contains("incremental build"), "{line}");
    // Hold the running build where it is (it has its lock and is writing) so that the checks
    // below happen while it runs, however fast or loaded the machine is.
    signal(&child, libc::SIGSTOP);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first build ended before it could be held; make the corpus bigger"
    );

    let started = Instant::now();
    let second = env.run(&["index", "build", "corpus", "--index", "index"]);
    assert_eq!(second.status.code(), Some(2));
    assert!(
        stderr(&second).contains("another `newsdex index build` is writing the index"),
        "{}",
        stderr(&second)
    );
    // "At once": it does not wait for the held build (a generous bound for a loaded machine).
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(n_hits(&env, "charlie"), 0);
    assert_eq!(n_hits(&env, "file00001"), 1);

    signal(&child, libc::SIGCONT);
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut child_stderr, &mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{line}{rest}");
    assert_eq!(n_hits(&env, "charlie"), 500);
}

fn set_payload_version(index: &Path, version: u32) {
    let meta_path = index.join("meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    let mut payload: serde_json::Value =
        serde_json::from_str(meta["payload"].as_str().unwrap()).unwrap();
    payload["schema_version"] = version.into();
    meta["payload"] = payload.to_string().into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
}

#[test]
fn an_index_of_another_schema_version_asks_for_a_rebuild() {
    let env = TestEnv::with_fixture("basic");
    build_ok(&env, &[]);
    set_payload_version(&env.index(), 999);
    for args in [
        &["search", "serbia", "--index", "index"][..],
        &["index", "build", "corpus", "--index", "index"][..],
        &["index", "stats", "--index", "index"][..],
    ] {
        let output = env.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains("schema version 999"), "{message}");
        assert!(message.contains("--rebuild"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    build_ok(&env, &["--rebuild"]);
    assert_eq!(stats(&env)["articles"], 4);
}

#[test]
fn a_damaged_index_file_is_named_and_rebuild_repairs_it() {
    let env = TestEnv::with_fixture("basic");
    build_ok(&env, &[]);
    let store = std::fs::read_dir(env.index())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "store"))
        .expect("a segment store file");
    let length = std::fs::metadata(&store).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&store)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    let name = store.file_name().unwrap().to_string_lossy().into_owned();
    for args in [
        &["search", "serbia", "--index", "index"][..],
        &["index", "build", "corpus", "--index", "index"][..],
    ] {
        let output = env.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.contains(&name), "{message}");
        assert!(message.contains("--rebuild"), "{message}");
    }
    build_ok(&env, &["--rebuild"]);
    assert!(n_hits(&env, "serbia") > 0);
}

/// Runs a build in `env` as a child that cannot write into the index directory, or cannot
/// grow files past a few kilobytes (a full disk, as far as the build can tell).
#[derive(Clone, Copy)]
enum Fault {
    ReadOnlyDir,
    FullDisk,
}

fn build_with_fault(env: &TestEnv, fault: Fault) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut command = env.command(&["index", "build", "corpus", "--index", "index", "--rebuild"]);
    match fault {
        Fault::ReadOnlyDir => {
            use std::os::unix::fs::PermissionsExt;
            // Root writes through any mode bits, so as root the build runs as `nobody`, which
            // is given the files but not the right to add any.
            // SAFETY: geteuid has no preconditions.
            let is_root = unsafe { libc::geteuid() } == 0;
            if is_root {
                std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755))
                    .unwrap();
                for entry in walk(&env.index()) {
                    std::os::unix::fs::chown(&entry, Some(65534), Some(65534)).unwrap();
                }
                command.uid(65534).gid(65534);
            }
            std::fs::set_permissions(env.index(), std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        Fault::FullDisk => {
            // SAFETY: only async-signal-safe calls (signal, setrlimit) run in the child.
            unsafe {
                command.pre_exec(|| {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    let limit = libc::rlimit {
                        rlim_cur: 4096,
                        rlim_max: 4096,
                    };
                    if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
    }
    let output = command.output().expect("run newsdex");
    if let Fault::ReadOnlyDir = fault {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.index(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    output
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut paths = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap() {
        paths.push(entry.unwrap().path());
    }
    paths
}

#[test]
fn a_read_only_index_directory_or_a_full_disk_fails_clearly_and_keeps_the_index() {
    for fault in [Fault::ReadOnlyDir, Fault::FullDisk] {
        let env = big_corpus(300);
        build_ok(&env, &["--quiet"]);
        let before = stats(&env);
        change_big_corpus(&env, 300, 10, 10, 10);
        let output = build_with_fault(&env, fault);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains("index"), "{message}");
        assert!(
            message.contains("cannot write") || message.contains("full disk"),
            "{message}"
        );
        assert!(!message.contains("panicked"), "{message}");
        assert_eq!(stats(&env)["articles"], before["articles"]);
        assert_eq!(n_hits(&env, "charlie"), 0);
        // Once the fault is gone, the next build does the job.
        build_ok(&env, &["--quiet"]);
        assert_eq!(n_hits(&env, "charlie"), 10);
    }
}

#[test]
fn a_folder_that_becomes_unreadable_keeps_its_articles() {
    let env = TestEnv::with_fixture("basic");
    build_ok(&env, &[]);
    // A symbolic-link loop where the folder was: the walk cannot enter it.
    let energy = env.corpus().join("energy");
    std::fs::remove_dir_all(&energy).unwrap();
    std::os::unix::fs::symlink("energy", &energy).unwrap();
    let output = env.run(&["index", "build", "corpus", "--index", "index"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("energy"), "{message}");
    assert!(message.contains("0 removed"), "{message}");
    assert_eq!(stats(&env)["articles"], 4);
}

#[test]
fn symbolic_link_loops_and_non_utf8_paths_are_reported_by_path() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::with_fixture("basic");
    std::os::unix::fs::symlink("..", env.corpus().join("defence/loop")).unwrap();
    let bad_name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    write_article(
        &env.corpus().join("energy").join(bad_name),
        "latinmarker",
        "coal",
    );
    let output = env.run(&["index", "build", "corpus", "--index", "index"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains("defence/loop"), "{message}");
    assert!(message.contains("symbolic-link loop"), "{message}");
    assert!(message.contains("not valid UTF-8"), "{message}");
    assert!(message.contains("energy/caf"), "{message}");
    assert_eq!(stats(&env)["articles"], 4);
}
