//! Validated settings made from command-line arguments: default paths, dates and relative
//! dates (`30d`, `6m`, `1y`), and the backend settings, which may also come from the
//! environment (through clap) and from `newsdex.toml`. No I/O beyond reading the clock and
//! that settings file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::backend::BackendKind;
use crate::backend::quickwit::mapping::DEFAULT_INDEX_ID;
use crate::cli::{BackendArgs, IndexArgs};
use crate::search::Filters;

/// Where the index lives when `--index` is not given.
pub const DEFAULT_INDEX_DIR: &str = "index";
/// The corpus built into the default index when it does not exist yet.
pub const DEFAULT_CORPUS_DIR: &str = "corpus";

/// The index location, and whether it is the default one (which may be built on demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLocation {
    pub path: PathBuf,
    pub is_default: bool,
}

impl IndexLocation {
    pub fn from_args(args: &IndexArgs) -> IndexLocation {
        match &args.index {
            Some(path) => IndexLocation {
                path: path.clone(),
                is_default: false,
            },
            None => IndexLocation {
                path: PathBuf::from(DEFAULT_INDEX_DIR),
                is_default: true,
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub use crate::extract::date::{DayEnd, NotADate, parse_date_arg};

/// Parses a half-life such as `90d`, `2w`, `6m` (30 days each) or `1y` (365 days).
pub fn parse_half_life(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let unit = text.chars().last().unwrap_or(' ');
    let amount: i64 = text[..text.len() - unit.len_utf8().min(text.len())]
        .parse()
        .ok()
        .filter(|amount| *amount > 0)
        .with_context(|| {
            format!("`{text}` is not a half-life: use a number and d, w, m or y, e.g. 90d")
        })?;
    let days = match unit {
        'd' => amount,
        'w' => amount * 7,
        'm' => amount * 30,
        'y' => amount * 365,
        _ => bail!("`{text}` is not a half-life: use a number and d, w, m or y, e.g. 90d"),
    };
    Ok(Duration::days(days))
}

/// Builds the search filters from the command-line values.
pub fn filters(
    since: Option<&str>,
    until: Option<&str>,
    sections: &[String],
    entities: &[String],
    categories: &[String],
) -> anyhow::Result<Filters> {
    let now = Utc::now();
    Ok(Filters {
        since: since
            .map(|text| parse_date_arg(text, DayEnd::Start, now))
            .transpose()
            .context("invalid --since")?,
        until: until
            .map(|text| parse_date_arg(text, DayEnd::End, now))
            .transpose()
            .context("invalid --until")?,
        sections: sections.to_vec(),
        entities: entities.to_vec(),
        categories: categories.to_vec(),
        ..Filters::default()
    })
}

/// The settings file read from the current directory when `--config` is not given.
pub const SETTINGS_FILE: &str = "newsdex.toml";

/// The backend settings as given in a settings file:
///
/// ```toml
/// backend = "quickwit"            # or "local"
/// [quickwit]
/// url = "http://127.0.0.1:7280"
/// index-id = "newsdex-passages"
/// ```
///
/// `corpus = ["corpus", "../wire"]` lists the sources `index build` reads when the command
/// line names none (paths relative to the file's folder). A `[fields]` table (a corpus's field
/// mapping, read by `index build` from the corpus root) may stand in the same file and is not
/// read here; any other key is an error.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    #[serde(default)]
    pub backend: Option<BackendKind>,
    #[serde(default)]
    pub corpus: Option<CorpusList>,
    #[serde(default)]
    pub quickwit: QuickwitSettings,
    /// The corpus's field mapping; only its declared fields (`[fields.extra]`) are read here.
    #[serde(default)]
    fields: Option<toml::Value>,
    /// The declared fields of `[fields.extra]`: what a Quickwit index fed from this corpus
    /// holds, so that its searches know `name:`.
    #[serde(skip)]
    pub extras: Vec<crate::model::ExtraField>,
}

/// One source or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CorpusList {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// The sources of `index build`: those the command line names, else the settings file's
/// `corpus` list (relative to its folder), else the default `corpus/`.
pub fn build_sources(given: &[PathBuf], config: Option<&Path>) -> anyhow::Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    if let Some((path, file)) = SettingsFile::load(config)?
        && let Some(list) = file.corpus
    {
        let folder = path.parent().unwrap_or(Path::new(""));
        let sources = match list {
            CorpusList::One(source) => vec![source],
            CorpusList::Many(sources) => sources,
        };
        if sources.is_empty() {
            anyhow::bail!("{}: `corpus` lists no source", path.display());
        }
        return Ok(sources.iter().map(|source| folder.join(source)).collect());
    }
    Ok(vec![PathBuf::from(DEFAULT_CORPUS_DIR)])
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct QuickwitSettings {
    pub url: Option<String>,
    pub index_id: Option<String>,
}

impl SettingsFile {
    /// Parses a settings file; errors name the file, line and column.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<SettingsFile> {
        let mut file: SettingsFile = toml::from_str(text).map_err(|error| {
            let place = match error.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    format!("{}:{line}:{column}", path.display())
                }
                None => path.display().to_string(),
            };
            anyhow::anyhow!("{place}: {}", error.message().trim())
        })?;
        if let Some(fields) = &file.fields {
            let mut table = toml::Table::new();
            table.insert("fields".to_string(), fields.clone());
            let config: crate::ingest::mapping::CorpusConfig = toml::Value::Table(table)
                .try_into()
                .map_err(|error: toml::de::Error| {
                    anyhow::anyhow!("{}: {}", path.display(), error.message().trim())
                })?;
            let map = crate::ingest::mapping::FieldMap::new(&[], &[], Some(&config))
                .map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()))?;
            file.extras = map.extras().to_vec();
        }
        Ok(file)
    }

    /// Reads `--config FILE` (which must exist), or `newsdex.toml` in the current directory
    /// when there is one.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Option<(PathBuf, SettingsFile)>> {
        let (path, required) = match explicit {
            Some(path) => (path.to_path_buf(), true),
            None => (PathBuf::from(SETTINGS_FILE), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some((path.clone(), SettingsFile::parse(&path, &text)?))),
            Err(error) if !required && error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }
}

/// Where a backend setting came from, for messages about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag or its environment variable (clap has merged the two).
    Argument(&'static str),
    File(PathBuf),
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Argument(what) => f.write_str(what),
            Origin::File(path) => write!(f, "`{}`", path.display()),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// The backend to use, resolved: command-line flag > environment variable > settings file >
/// default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendSettings {
    pub kind: BackendKind,
    pub url: Option<(String, Origin)>,
    pub index_id: String,
    /// The settings file's declared fields (`[fields.extra]`).
    pub extras: Vec<crate::model::ExtraField>,
}

impl BackendSettings {
    /// The Quickwit URL, checked: required, and plain `http://`.
    pub fn quickwit_url(&self) -> anyhow::Result<&str> {
        let Some((url, origin)) = &self.url else {
            bail!(
                "--backend quickwit needs --url URL (or NEWSDEX_QUICKWIT_URL, or `url` under `[quickwit]` in {SETTINGS_FILE}), e.g. http://127.0.0.1:7280"
            );
        };
        if !url.starts_with("http://") {
            bail!(
                "`{url}` (from {origin}) is not an http:// URL (newsdex speaks plain HTTP to Quickwit; put TLS in a proxy)"
            );
        }
        Ok(url)
    }
}

/// Merges the command line (flags, and environment variables through clap) with a settings
/// file, the command line first.
pub fn resolve_backend(
    args: &BackendArgs,
    file: Option<(&Path, &SettingsFile)>,
) -> BackendSettings {
    let from_file = |value: Option<&String>| -> Option<(String, Origin)> {
        let (path, _) = file?;
        value.map(|value| (value.clone(), Origin::File(path.to_path_buf())))
    };
    let settings = file.map(|(_, settings)| settings);
    let kind = args
        .backend
        .or_else(|| settings.and_then(|settings| settings.backend))
        .unwrap_or_default();
    let url = match &args.url {
        Some(url) => Some((
            url.clone(),
            Origin::Argument("--url or NEWSDEX_QUICKWIT_URL"),
        )),
        None => from_file(settings.and_then(|settings| settings.quickwit.url.as_ref())),
    };
    let index_id = args
        .index_id
        .clone()
        .or_else(|| settings.and_then(|settings| settings.quickwit.index_id.clone()))
        .unwrap_or_else(|| DEFAULT_INDEX_ID.to_string());
    BackendSettings {
        kind,
        url,
        index_id,
        extras: settings
            .map(|settings| settings.extras.clone())
            .unwrap_or_default(),
    }
}

/// The backend settings of a command: its arguments, then the settings file (`--config FILE`,
/// else `newsdex.toml` in the current directory when present), then the defaults.
pub fn backend_settings(args: &BackendArgs) -> anyhow::Result<BackendSettings> {
    let file = SettingsFile::load(args.config.as_deref())?;
    Ok(resolve_backend(
        args,
        file.as_ref()
            .map(|(path, settings)| (path.as_path(), settings)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 15, 12, 0, 0).unwrap()
    }

    fn check(text: &str, day_end: DayEnd, expected: &str) {
        let parsed = parse_date_arg(text, day_end, now()).unwrap();
        assert_eq!(parsed.to_rfc3339(), expected, "{text}");
    }

    #[test]
    fn dates_and_ages() {
        check("2024-03-28", DayEnd::Start, "2024-03-28T00:00:00+00:00");
        check("2024-03-28", DayEnd::End, "2024-03-28T23:59:59+00:00");
        check(
            "2024-03-28T10:00:00Z",
            DayEnd::End,
            "2024-03-28T10:00:00+00:00",
        );
        check("30d", DayEnd::Start, "2025-05-16T12:00:00+00:00");
        check("6m", DayEnd::Start, "2024-12-15T12:00:00+00:00");
        check("1y", DayEnd::Start, "2024-06-15T12:00:00+00:00");
    }

    #[test]
    fn half_lives() {
        assert_eq!(parse_half_life("90d").unwrap(), Duration::days(90));
        assert_eq!(parse_half_life("2w").unwrap(), Duration::days(14));
        assert_eq!(parse_half_life("1y").unwrap(), Duration::days(365));
        assert!(parse_half_life("0d").is_err());
        assert!(parse_half_life("d").is_err());
        assert!(parse_half_life("12").is_err());
        assert!(parse_half_life("").is_err());
    }

    #[test]
    fn bad_dates_say_what_is_accepted() {
        let error = parse_date_arg("soon", DayEnd::Start, now()).unwrap_err();
        assert!(error.to_string().contains("is not a date"));
        assert!(parse_date_arg("5q", DayEnd::Start, now()).is_err());
    }

    fn args(
        backend: Option<BackendKind>,
        url: Option<&str>,
        index_id: Option<&str>,
    ) -> BackendArgs {
        BackendArgs {
            backend,
            url: url.map(str::to_string),
            index_id: index_id.map(str::to_string),
            config: None,
        }
    }

    #[test]
    fn backend_settings_take_arguments_then_the_file_then_defaults() {
        let path = Path::new("newsdex.toml");
        let file = SettingsFile::parse(
            path,
            "backend = \"quickwit\"\n[quickwit]\nurl = \"http://file:7280\"\nindex-id = \"from-file\"\n\n[fields]\ndate = \"published\"\n",
        )
        .unwrap();
        // Nothing given: the defaults.
        let none = resolve_backend(&args(None, None, None), None);
        assert_eq!(none.kind, BackendKind::Local);
        assert_eq!(none.url, None);
        assert_eq!(none.index_id, DEFAULT_INDEX_ID);
        // The file over the defaults.
        let from_file = resolve_backend(&args(None, None, None), Some((path, &file)));
        assert_eq!(from_file.kind, BackendKind::Quickwit);
        assert_eq!(
            from_file.url,
            Some((
                "http://file:7280".to_string(),
                Origin::File(path.to_path_buf())
            ))
        );
        assert_eq!(from_file.index_id, "from-file");
        // Arguments (flags or environment) over the file, setting by setting.
        let mixed = resolve_backend(
            &args(Some(BackendKind::Local), None, Some("from-flag")),
            Some((path, &file)),
        );
        assert_eq!(mixed.kind, BackendKind::Local);
        assert_eq!(mixed.url.unwrap().0, "http://file:7280");
        assert_eq!(mixed.index_id, "from-flag");
        let url = resolve_backend(
            &args(None, Some("http://flag:1"), None),
            Some((path, &file)),
        );
        assert_eq!(url.quickwit_url().unwrap(), "http://flag:1");
    }

    #[test]
    fn settings_files_are_checked_with_their_line() {
        let path = Path::new("conf/newsdex.toml");
        let error = SettingsFile::parse(path, "backend = \"quickwit\"\n[quickwit]\nurll = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("conf/newsdex.toml:3:1: unknown field `urll`"),
            "{error}"
        );
        let error = SettingsFile::parse(path, "backend = \"elastic\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("conf/newsdex.toml:1:11: unknown variant `elastic`"),
            "{error}"
        );
        assert_eq!(
            SettingsFile::parse(path, "").unwrap(),
            SettingsFile::default()
        );
        let file = SettingsFile::parse(path, "[quickwit]\nurl = \"https://qw\"\n").unwrap();
        let settings = resolve_backend(
            &args(Some(BackendKind::Quickwit), None, None),
            Some((path, &file)),
        );
        let error = settings.quickwit_url().unwrap_err().to_string();
        assert!(
            error.contains("`https://qw` (from `conf/newsdex.toml`) is not an http:// URL"),
            "{error}"
        );
        let error = resolve_backend(&args(None, None, None), None)
            .quickwit_url()
            .unwrap_err()
            .to_string();
        assert!(error.contains("needs --url URL"), "{error}");
    }

    #[test]
    fn the_settings_file_declares_the_fields_a_quickwit_search_knows() {
        let path = Path::new("newsdex.toml");
        let file = SettingsFile::parse(
            path,
            "backend = \"quickwit\"\n[fields]\ndate = \"published\"\n[fields.extra]\nwords = \"number\"\n",
        )
        .unwrap();
        let settings = resolve_backend(&args(None, None, None), Some((path, &file)));
        let declared: Vec<(&str, crate::model::ExtraType)> = settings
            .extras
            .iter()
            .map(|extra| (extra.name.as_str(), extra.kind))
            .collect();
        assert_eq!(declared, [("words", crate::model::ExtraType::Number)]);
        let error = SettingsFile::parse(path, "[fields.extra]\nwords = \"integer\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("newsdex.toml"), "{error}");
    }

    #[test]
    fn an_explicit_settings_file_must_exist() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("nope.toml");
        let error = SettingsFile::load(Some(&missing)).unwrap_err();
        assert!(format!("{error:#}").contains("nope.toml"), "{error:#}");
        let present = folder.path().join("qw.toml");
        std::fs::write(&present, "backend = \"quickwit\"\n").unwrap();
        let (path, file) = SettingsFile::load(Some(&present)).unwrap().unwrap();
        assert_eq!(path, present);
        assert_eq!(file.backend, Some(BackendKind::Quickwit));
    }
}
