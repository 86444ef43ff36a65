//! Integration tests: run the real `newsdex` binary on fixture folders copied into temp dirs
//! and check its JSON output, messages and exit status.

mod acronyms;
mod bench;
mod build_search;
mod dedup;
mod entities;
mod eval;
mod extras;
mod formats;
mod group;
mod incremental;
mod proximity;
mod quickwit;
mod serve;
mod spelling;

#[path = "../support/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The distinct article ids of JSON hits, sorted.
pub fn article_ids(hits: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = hits
        .iter()
        .map(|hit| hit["article_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The environment variables that choose an index, a backend or a settings file: cleared for
/// every run unless a test sets them.
pub const NEWSDEX_VARIABLES: [&str; 5] = [
    "NEWSDEX_INDEX",
    "NEWSDEX_BACKEND",
    "NEWSDEX_QUICKWIT_URL",
    "NEWSDEX_QUICKWIT_INDEX",
    "NEWSDEX_CONFIG",
];

/// A temp dir holding a copy of a fixture corpus and a place for the index.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    /// Copies `tests/fixtures/NAME` into a fresh temp dir as `corpus/`.
    pub fn with_fixture(name: &str) -> TestEnv {
        let env = TestEnv::empty();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_dir(&source, &env.corpus());
        env
    }

    pub fn empty() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// The newsdex binary with these arguments, run in the temp dir, without colour and
    /// without the caller's settings (`NEWSDEX_VARIABLES`): every test runs the binary through
    /// this, to wait for it (`run`) or to start it (`spawn`).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_newsdex"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1");
        for name in NEWSDEX_VARIABLES {
            command.env_remove(name);
        }
        command
    }

    /// Runs newsdex in the temp dir with the given arguments.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run newsdex")
    }

    /// Builds the index of the corpus and returns the output.
    pub fn build(&self) -> Output {
        self.build_with(&[])
    }

    /// Builds the index of the corpus with more arguments.
    pub fn build_with(&self, extra: &[&str]) -> Output {
        let mut args = vec!["index", "build", "corpus", "--index", "index"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Runs a JSON search and parses every line.
    pub fn search_json(&self, query: &str, extra: &[&str]) -> Vec<serde_json::Value> {
        let mut args = vec!["search", query, "--index", "index", "--json", "-n", "50"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        assert!(
            output.status.code() == Some(0) || output.status.code() == Some(1),
            "search failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("UTF-8 output")
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy fixture file");
        }
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
