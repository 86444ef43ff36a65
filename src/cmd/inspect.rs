//! `newsdex inspect FILE...`: reads files as `index build` would (ingest, passages, entities;
//! `--field` maps records as there) and shows the result, without touching any index.

use std::io::Write;

use anyhow::Context;

use crate::build::process_file;
use crate::cli::InspectArgs;
use crate::cmd::Outcome;
use crate::extract::entities::EntityExtractor;
use crate::ingest::mapping::FieldMap;
use crate::ingest::{CorpusFile, Format};
use crate::render::{self, Theme};

pub fn run(args: &InspectArgs, color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let extractor = EntityExtractor::from_option(args.entities.file.as_deref())?;
    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color);
    let theme = Theme::default();
    let map = FieldMap::new(&args.mapping.fields, &args.mapping.extras, None)
        .map_err(anyhow::Error::msg)?;
    let mut outcome = Outcome::Success;
    for (file_idx, path) in args.files.iter().enumerate() {
        let Some(format) = args.format.or_else(|| Format::from_path(path)) else {
            eprintln!(
                "error: {}: unknown extension: name the format with --format seed|markdown",
                path.display()
            );
            outcome = Outcome::Incomplete;
            continue;
        };
        let metadata = std::fs::metadata(path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        let file = CorpusFile {
            path: path.clone(),
            relative: path.to_string_lossy().replace('\\', "/"),
            format,
            size: metadata.len(),
            modified: metadata.modified().ok(),
        };
        let read = process_file(&file, &map, &extractor);
        for error in &read.errors {
            eprintln!("error: {error}");
            outcome = Outcome::Incomplete;
        }
        if matches!(format, Format::Json | Format::Jsonl | Format::Csv) && !read.failed {
            for field in map.missing(read.seen_fields) {
                eprintln!(
                    "error: {}: {field} names a field that no record has",
                    path.display()
                );
                outcome = Outcome::Incomplete;
            }
        }
        for (article, passages) in &read.articles {
            let view = render::entities::ArticleView::new(article, passages);
            if args.json {
                render::entities::write_article_json(&mut out, &view)?;
            } else {
                if file_idx > 0 {
                    writeln!(out)?;
                }
                render::entities::write_article_text(&mut out, &view, &theme)?;
            }
        }
    }
    out.flush()?;
    Ok(outcome)
}
