//! Quickwit export: corpus -> files for Quickwit's own tools: `index-config.yaml` (for
//! `quickwit index create --index-config`) and `passages-NNNNN.ndjson` files of bounded size
//! (for `quickwit index ingest --input-path`). Writes only into the folder it is given and
//! talks to no server.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::build::{BuildObserver, BuildReport};
use crate::error::IngestError;
use crate::extract::entities::EntityExtractor;
use crate::ingest::WalkOptions;

use super::document::{Batch, Batcher};
use super::mapping;
use super::upload::encode_corpus;

/// The name of the index config file.
pub const CONFIG_FILE: &str = "index-config.yaml";
/// Largest NDJSON file written (Quickwit's CLI reads any size; smaller files are easier to
/// move and to retry).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub corpus: PathBuf,
    pub walk: WalkOptions,
    pub out: PathBuf,
    pub index_id: String,
    pub max_file_bytes: usize,
}

#[derive(Debug)]
pub struct ExportReport {
    pub build: BuildReport,
    pub config_path: PathBuf,
    pub ndjson_files: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("invalid index id: {0}")]
    IndexId(#[from] super::mapping::BadIndexId),
    #[error("cannot write `{path}`: {source}", path = .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The name of the `n`th NDJSON file (from 1).
pub fn ndjson_name(n: usize) -> String {
    format!("passages-{n:05}.ndjson")
}

/// Removes NDJSON files of an earlier export, so that the folder holds this export only.
fn remove_earlier_files(out: &Path) -> Result<(), ExportError> {
    let entries = std::fs::read_dir(out).map_err(write_error(out))?;
    for entry in entries {
        let entry = entry.map_err(write_error(out))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("passages-") && name.ends_with(".ndjson") {
            std::fs::remove_file(entry.path()).map_err(write_error(&entry.path()))?;
        }
    }
    Ok(())
}

/// Writes the index config and the corpus's documents into `options.out`.
pub fn export(
    options: &ExportOptions,
    extractor: &EntityExtractor,
    observer: &dyn BuildObserver,
) -> Result<ExportReport, ExportError> {
    mapping::check_index_id(&options.index_id).map_err(ExportError::IndexId)?;
    // Fails on a missing corpus before anything is written.
    let walk = crate::ingest::walk_corpus(&options.corpus, &options.walk)?;
    std::fs::create_dir_all(&options.out).map_err(write_error(&options.out))?;
    remove_earlier_files(&options.out)?;
    let config_path = options.out.join(CONFIG_FILE);
    let map = crate::backend::quickwit::upload::corpus_field_map(&options.corpus, &[], &[])?;
    let yaml = mapping::to_yaml(&mapping::index_config_with(&options.index_id, map.extras()));
    std::fs::write(&config_path, yaml).map_err(write_error(&config_path))?;

    let mut ndjson_files = Vec::new();
    let mut write_batch = |batch: Batch| -> Result<(), ExportError> {
        let path = options.out.join(ndjson_name(ndjson_files.len() + 1));
        let mut file = std::fs::File::create(&path).map_err(write_error(&path))?;
        file.write_all(batch.body.as_bytes())
            .map_err(write_error(&path))?;
        ndjson_files.push(path);
        Ok(())
    };
    let mut batcher = Batcher::new(options.max_file_bytes, usize::MAX);
    let build = encode_corpus(walk, &map, extractor, observer, |line, path| match batcher
        .push(&line, path)
    {
        Some(full) => write_batch(full),
        None => Ok(()),
    })?;
    if let Some(last) = batcher.finish() {
        write_batch(last)?;
    }
    Ok(ExportReport {
        build,
        config_path,
        ndjson_files,
    })
}

#[cfg(test)]
mod tests {
    use crate::build::Silent;

    use super::*;

    #[test]
    fn exports_a_config_and_bounded_ndjson_files() {
        let corpus = tempfile::tempdir().unwrap();
        for idx in 0..3 {
            std::fs::write(
                corpus.path().join(format!("a{idx}.md")),
                format!("# Report {idx}\n\nSerbian shells were exported to Ukraine in 2024.\n\nNATO said little.\n"),
            )
            .unwrap();
        }
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join(ndjson_name(9)), "stale").unwrap();
        let options = ExportOptions {
            corpus: corpus.path().to_path_buf(),
            walk: WalkOptions::default(),
            out: out.path().to_path_buf(),
            index_id: "news".to_string(),
            max_file_bytes: 1_500,
        };
        let report = export(&options, &EntityExtractor::builtin(), &Silent).unwrap();
        assert_eq!(report.build.articles, 3);
        assert!(report.ndjson_files.len() > 1, "{:?}", report.ndjson_files);
        assert!(!out.path().join(ndjson_name(9)).exists());
        let mut n_lines = 0;
        for path in &report.ndjson_files {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(text.len() <= 1_500 || text.lines().count() == 1);
            for line in text.lines() {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(value["text_stems"].is_string());
                n_lines += 1;
            }
        }
        assert_eq!(n_lines, report.build.passages);
        let yaml = std::fs::read_to_string(&report.config_path).unwrap();
        assert!(yaml.contains("index_id: news"));
    }

    #[test]
    fn a_missing_corpus_writes_nothing() {
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("export");
        let options = ExportOptions {
            corpus: out.path().join("no-such-corpus"),
            walk: WalkOptions::default(),
            out: target.clone(),
            index_id: "news".to_string(),
            max_file_bytes: MAX_FILE_BYTES,
        };
        assert!(export(&options, &EntityExtractor::builtin(), &Silent).is_err());
        assert!(!target.exists());
    }
}
