//! `newsdex search`: resolves the index (building the default one on first use), runs the
//! query and writes text or JSON Lines.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::backend::{BackendKind, SearchBackend};
use crate::build::BuildOptions;
use crate::cli::{Group, IndexArgs, SearchArgs};
use crate::cmd::Outcome;
use crate::config::{self, DEFAULT_CORPUS_DIR, IndexLocation};
use crate::extract::entities::EntityExtractor;
use crate::index::{self, open_index};
use crate::ingest::WalkOptions;
use crate::render::text::TextOptions;
use crate::render::{self, Theme};
use crate::search::{SearchRequest, Searcher};

/// Passages whose entities the text output's closing line counts (unless `--facets`).
pub const FOOTER_SAMPLE: usize = 100;

/// Opens the index, building the default one from the default corpus when it does not exist.
pub fn open_or_build_default(location: &IndexLocation) -> anyhow::Result<Searcher> {
    open_or_build_default_with(location, None)
}

/// `open_or_build_default` with the built-in extractor plus a user's `--entities` file, if
/// given. The built-in lists are read on first use; a user's file loads on a second thread
/// while the index opens, so that a search waits for the longer of the two rather than both.
pub fn open_or_build_default_with(
    location: &IndexLocation,
    entities_file: Option<&Path>,
) -> anyhow::Result<Searcher> {
    let make_extractor = || EntityExtractor::from_option(entities_file);
    if location.is_default && !index::index_exists(location.path()) {
        let corpus = Path::new(DEFAULT_CORPUS_DIR);
        if corpus.is_dir() {
            let extractor = make_extractor()?;
            eprintln!(
                "note: no index at `{}` yet; building it from `{}` first",
                location.path().display(),
                corpus.display()
            );
            let options = BuildOptions {
                corpus: corpus.to_path_buf(),
                more_sources: Vec::new(),
                index: location.path().to_path_buf(),
                walk: WalkOptions::default(),
                memory_mb: index::DEFAULT_MEMORY_MB,
                rebuild: false,
                fields: Vec::new(),
                extras: Vec::new(),
            };
            crate::cmd::build::build(&options, true, false, &extractor)?;
            return Ok(Searcher::new(open_index(location.path())?, extractor)?);
        }
    }
    if entities_file.is_none() {
        return Ok(Searcher::new(
            open_index(location.path())?,
            make_extractor()?,
        )?);
    }
    std::thread::scope(|scope| {
        let extractor = scope.spawn(make_extractor);
        let opened = open_index(location.path())
            .and_then(|handle| Searcher::new(handle, EntityExtractor::none()));
        // A bad `--entities` file is reported before a missing index, as it comes first.
        let extractor = match extractor.join() {
            Ok(extractor) => extractor?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok(opened?.with_extractor(extractor))
    })
}

/// The backend the settings choose: the local index (the default one built on first use), or
/// a Quickwit index; names resolve with the built-in lists plus `entities_file`, if given.
pub fn open_backend(
    settings: &config::BackendSettings,
    index: &IndexArgs,
    entities_file: Option<&Path>,
) -> anyhow::Result<Box<dyn SearchBackend>> {
    Ok(match settings.kind {
        BackendKind::Local => Box::new(open_or_build_default_with(
            &IndexLocation::from_args(index),
            entities_file,
        )?),
        BackendKind::Quickwit => Box::new(crate::cmd::quickwit::backend(
            settings,
            EntityExtractor::from_option(entities_file)?,
        )?),
    })
}

pub fn run(args: &SearchArgs, color: anstream::ColorChoice) -> anyhow::Result<Outcome> {
    let settings = config::backend_settings(&args.backend)?;
    let on_quickwit = settings.kind == BackendKind::Quickwit;
    let backend = open_backend(&settings, &args.index, args.entities.file.as_deref())?;
    let mut filters = config::filters(
        args.since.as_deref(),
        args.until.as_deref(),
        &args.section,
        &args.entity,
        &args.category,
    )?;
    filters.sources.clone_from(&args.source);
    filters.authors.clone_from(&args.author);
    filters.languages.clone_from(&args.language);
    let mut request = SearchRequest::new(args.query.clone());
    request.limit = usize::try_from(args.limit).context("--limit is too large")?;
    request.offset = args.offset;
    request.filters = filters;
    request.require_all = args.all;
    request.per_article = args.per_article;
    request.group = args.group;
    request.sort = args.sort;
    request.sort_field = args.sort_by.clone();
    request.duplicates = args.duplicates;
    request.recency_half_life = args
        .recency
        .as_deref()
        .map(config::parse_half_life)
        .transpose()
        .context("invalid --recency")?;
    request.explain = args.explain;
    request.count = args.count;
    request.fragments = args.fragments;
    request.boosts = args.boosts.boosts();
    request.proximity = args.boosts.proximity;
    // The text output closes with the most mentioned entities: of the best passages on a
    // local index (counting them over every match would visit every match), of every match
    // on Quickwit (its aggregations run on the cluster).
    request.facets = args.facets || (!args.json && on_quickwit);
    if !args.json {
        request.facet_sample = FOOTER_SAMPLE;
    }
    let results = match backend.search(&request) {
        Ok(results) => results,
        Err(error) => {
            if args.json
                && let crate::backend::BackendError::Local(crate::error::IndexError::EntityName {
                    problem,
                    ..
                }) = &error
            {
                // Scripts read the candidates from standard output; the message goes to
                // standard error as for any error.
                let mut out = std::io::stdout().lock();
                render::json::write_error(&mut out, &error.to_string(), problem.candidates())?;
                out.flush()?;
            }
            return Err(error.into());
        }
    };

    let mut out = anstream::AutoStream::new(std::io::stdout().lock(), color);
    if args.json {
        match args.group {
            Group::Passage => render::json::write_hits(&mut out, &results.hits)?,
            Group::Article => render::json::write_articles(&mut out, &results.hits)?,
        }
        if let (true, Some(facets)) = (args.facets, &results.facets) {
            render::json::write_facets(&mut out, facets)?;
        } else if let (true, Some(total)) = (args.count, results.total) {
            render::json::write_total(&mut out, total)?;
        }
        if let Some(corrected) = &results.did_you_mean {
            render::json::write_suggestions(&mut out, corrected, &results.suggestions)?;
        }
        if !results.notices.is_empty() {
            render::json::write_notices(&mut out, &results.notices)?;
        }
    } else {
        let options = TextOptions {
            facets: args.facets,
            offset: request.offset,
            by_article: args.group == Group::Article,
        };
        render::text::write_results(&mut out, &results, &Theme::default(), options)?;
    }
    out.flush()?;
    // The process ends next: the operating system drops the index's mappings and caches at
    // once, faster than unmapping them one by one.
    std::mem::forget(backend);
    Ok(if results.hits.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Success
    })
}
