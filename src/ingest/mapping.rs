//! Field mapping for structured input (JSON, JSON Lines, CSV): which record field feeds which
//! article field. Defaults catch the common names; `--field ROLE=NAME` and the `[fields]` table
//! of a `newsdex.toml` at the corpus root override them. Reads no records itself and never
//! decides what a missing field means (that is `record`'s job).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Deserialize;

use crate::error::IngestError;
use crate::model::{EntityKind, ExtraField, ExtraType};

/// The name of the per-corpus settings file, read from the corpus root.
pub const CORPUS_CONFIG_FILE: &str = "newsdex.toml";

/// The article fields a record field can feed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Title,
    Date,
    Body,
    /// Multi-valued: desks, sections, topics.
    Category,
    Url,
    Id,
    /// Multi-valued entity labels given by the source, one role per kind.
    Places,
    People,
    Orgs,
    /// The outlet (`source`, `outlet`, `publisher`).
    Source,
    /// Multi-valued: the authors.
    Author,
    Language,
    /// A standfirst: read as the article's first paragraph, before the body.
    Subtitle,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::Title,
        Role::Date,
        Role::Body,
        Role::Category,
        Role::Url,
        Role::Id,
        Role::Places,
        Role::People,
        Role::Orgs,
        Role::Source,
        Role::Author,
        Role::Language,
        Role::Subtitle,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Title => "title",
            Role::Date => "date",
            Role::Body => "body",
            Role::Category => "category",
            Role::Url => "url",
            Role::Id => "id",
            Role::Places => "places",
            Role::People => "people",
            Role::Orgs => "orgs",
            Role::Source => "source",
            Role::Author => "author",
            Role::Language => "language",
            Role::Subtitle => "subtitle",
        }
    }

    /// The record fields tried when nothing overrides the role, first match first.
    pub fn default_names(self) -> &'static [&'static str] {
        match self {
            Role::Title => &["title", "headline"],
            Role::Date => &[
                "date",
                "published",
                "publish_date",
                "pubDate",
                "published_at",
                "datetime",
            ],
            Role::Body => &["body", "text", "content", "story", "article", "full_text"],
            Role::Category => &["section", "category", "categories", "desk", "topics"],
            Role::Url => &["url", "link", "article_url", "article_source_link"],
            Role::Id => &["id", "_id", "guid", "uuid"],
            Role::Places => &["places", "locations"],
            Role::People => &["people", "persons"],
            Role::Orgs => &["orgs", "organisations", "organizations"],
            Role::Source => &["source", "outlet", "publisher", "source_name", "site_name"],
            Role::Author => &["author", "authors", "byline", "creator", "writer"],
            Role::Language => &["language", "lang", "locale"],
            Role::Subtitle => &["subtitle", "subheadline", "standfirst", "dek"],
        }
    }

    /// Roles that take every value of every named field rather than the first one present.
    pub fn is_multi_valued(self) -> bool {
        matches!(
            self,
            Role::Category | Role::Places | Role::People | Role::Orgs | Role::Author
        )
    }

    /// The entity kind of an entity-label role.
    pub fn entity_kind(self) -> Option<EntityKind> {
        match self {
            Role::Places => Some(EntityKind::Place),
            Role::People => Some(EntityKind::Person),
            Role::Orgs => Some(EntityKind::Organisation),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `--field ROLE=NAME` from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOverride {
    pub role: Role,
    pub name: String,
}

impl FromStr for FieldOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<FieldOverride, String> {
        let roles = || {
            Role::ALL
                .iter()
                .map(|role| role.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some((role, name)) = text.split_once('=') else {
            return Err(format!(
                "expected ROLE=NAME (for instance date=published_at); the roles are {}",
                roles()
            ));
        };
        let role = <Role as clap::ValueEnum>::from_str(role.trim(), true)
            .map_err(|_| format!("unknown role `{}`; the roles are {}", role.trim(), roles()))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("no field name after `{role}=`"));
        }
        Ok(FieldOverride {
            role,
            name: name.to_string(),
        })
    }
}

/// One `--extra NAME[:TYPE]` from the command line: a record field kept as a field of its own
/// (`keyword` when no type is given).
pub fn parse_extra(text: &str) -> Result<ExtraField, String> {
    let types = || {
        ExtraType::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (name, kind) = match text.split_once(':') {
        Some((name, kind)) => {
            let kind =
                <ExtraType as clap::ValueEnum>::from_str(kind.trim(), true).map_err(|_| {
                    format!("unknown type `{}`; the types are {}", kind.trim(), types())
                })?;
            (name.trim(), kind)
        }
        None => (text.trim(), ExtraType::Keyword),
    };
    check_extra_name(name)?;
    Ok(ExtraField {
        name: name.to_string(),
        kind,
    })
}

/// A declared field's name must be one a query can write (`name:value`) and must not be a
/// field newsdex already has.
fn check_extra_name(name: &str) -> Result<(), String> {
    if !ExtraField::is_valid_name(name) {
        return Err(format!(
            "`{name}` cannot name a field: use lower-case letters, digits and `_`, starting with a letter"
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "`{name}` is a field newsdex already has; declare another name or map it with --field"
        ));
    }
    Ok(())
}

/// Names a declared field cannot take: newsdex's own fields and the query language's.
const RESERVED_NAMES: &[&str] = &[
    "title", "section", "text", "body", "entity", "category", "source", "author", "language",
    "date", "url", "id", "path", "lead", "subtitle", "extra",
];

/// Most fields a corpus may declare.
pub const MAX_EXTRA_FIELDS: usize = 32;

/// Where an explicitly named field came from, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    CorpusConfig,
}

/// What a named record field feeds: an article field, or a declared field of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeds {
    Role(Role),
    Extra(ExtraType),
}

/// A record field named by the user rather than by the defaults; it must exist in some record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplicitField {
    pub feeds: Feeds,
    pub name: String,
    pub origin: Origin,
}

impl fmt::Display for ExplicitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.feeds, self.origin) {
            (Feeds::Role(role), Origin::CommandLine) => {
                write!(f, "`--field {role}={}`", self.name)
            }
            (Feeds::Role(role), Origin::CorpusConfig) => {
                write!(f, "`{role} = \"{}\"` in {CORPUS_CONFIG_FILE}", self.name)
            }
            (Feeds::Extra(kind), Origin::CommandLine) => {
                write!(f, "`--extra {}:{kind}`", self.name)
            }
            (Feeds::Extra(kind), Origin::CorpusConfig) => write!(
                f,
                "`{} = \"{kind}\"` in [fields.extra] of {CORPUS_CONFIG_FILE}",
                self.name
            ),
        }
    }
}

/// Most explicit fields a mapping can track (one bit each in a `u64`).
pub const MAX_EXPLICIT_FIELDS: usize = 64;

/// The resolved mapping: for each role, the record fields to look at, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    names: BTreeMap<Role, Vec<String>>,
    /// The declared fields, in the order declared (the corpus config's, then `--extra`).
    extras: Vec<ExtraField>,
    explicit: Vec<ExplicitField>,
}

impl FieldMap {
    /// A stable description of the mapping, to tell whether two builds read records alike.
    pub fn fingerprint(&self) -> String {
        let mut parts: Vec<String> = self
            .names
            .iter()
            .map(|(role, names)| format!("{role:?}={}", names.join(",")))
            .collect();
        parts.extend(
            self.extras
                .iter()
                .map(|extra| format!("extra:{}={}", extra.name, extra.kind)),
        );
        parts.join(";")
    }

    /// The declared fields (`[fields.extra]`, `--extra`), in order.
    pub fn extras(&self) -> &[ExtraField] {
        &self.extras
    }
}

impl Default for FieldMap {
    fn default() -> FieldMap {
        FieldMap::new(&[], &[], None).expect("the defaults name no explicit fields")
    }
}

/// A key of the `[fields]` table: a role, or `extra` (the declared fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum FieldsKey {
    Role(Role),
    Extra,
}

impl<'de> Deserialize<'de> for FieldsKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FieldsKey, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name == "extra" {
            return Ok(FieldsKey::Extra);
        }
        <Role as clap::ValueEnum>::from_str(&name, false)
            .map(FieldsKey::Role)
            .map_err(|_| {
                let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
                serde::de::Error::custom(format!(
                    "unknown role `{name}`; the roles are {}, and `[fields.extra]` declares fields of one's own",
                    roles.join(", ")
                ))
            })
    }
}

/// A value of the `[fields]` table: a string or a list of strings for a role, a table of
/// `name = "type"` for `extra`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FieldsValue {
    One(String),
    Many(Vec<String>),
    Extra(BTreeMap<String, ExtraType>),
}

/// The contents of `newsdex.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusConfig {
    #[serde(default)]
    fields: BTreeMap<FieldsKey, FieldsValue>,
    /// Backend settings may share the file; `crate::config` reads them.
    #[serde(default, rename = "backend")]
    _backend: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "quickwit")]
    _quickwit: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "corpus")]
    _corpus: Option<serde::de::IgnoredAny>,
}

impl CorpusConfig {
    pub fn parse(path: &Path, text: &str) -> Result<CorpusConfig, IngestError> {
        toml::from_str(text).map_err(|error| {
            let mut ingest_error = IngestError::new(path, error.message().trim().to_string());
            if let Some(span) = error.span() {
                let before = &text[..span.start.min(text.len())];
                ingest_error.line = Some(before.matches('\n').count() + 1);
                ingest_error.column =
                    Some(before.rsplit('\n').next().unwrap_or("").chars().count() + 1);
            }
            ingest_error
        })
    }

    /// Reads `newsdex.toml` from the corpus root; `None` when there is none (or the corpus is a
    /// single file).
    pub fn load(corpus_root: &Path) -> Result<Option<CorpusConfig>, IngestError> {
        if !corpus_root.is_dir() {
            return Ok(None);
        }
        let path = corpus_root.join(CORPUS_CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => CorpusConfig::parse(&path, &text).map(Some),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(IngestError::new(&path, format!("cannot read: {error}"))),
        }
    }
}

impl FieldMap {
    /// The defaults, overridden per role by the corpus config, overridden per role by the
    /// command line. A role named several times takes every name, in the order given. The
    /// declared fields are the corpus config's and then `extras`; one declared twice takes
    /// the last type.
    pub fn new(
        overrides: &[FieldOverride],
        extras: &[ExtraField],
        config: Option<&CorpusConfig>,
    ) -> Result<FieldMap, String> {
        let mut names: BTreeMap<Role, Vec<String>> = Role::ALL
            .iter()
            .map(|role| {
                (
                    *role,
                    role.default_names().iter().map(|n| n.to_string()).collect(),
                )
            })
            .collect();
        let mut explicit = Vec::new();
        let mut declared: Vec<(ExtraField, Origin)> = Vec::new();
        if let Some(config) = config {
            for (key, value) in &config.fields {
                let given = match (key, value) {
                    (FieldsKey::Role(_), FieldsValue::One(name)) => vec![name.clone()],
                    (FieldsKey::Role(_), FieldsValue::Many(list)) => list.clone(),
                    (FieldsKey::Extra, FieldsValue::Extra(table)) => {
                        for (name, kind) in table {
                            check_extra_name(name)?;
                            let field = ExtraField {
                                name: name.clone(),
                                kind: *kind,
                            };
                            declared.push((field, Origin::CorpusConfig));
                        }
                        continue;
                    }
                    (FieldsKey::Role(role), FieldsValue::Extra(_)) => {
                        return Err(format!(
                            "`{role}` in [fields] of {CORPUS_CONFIG_FILE} takes a field name or a list of them"
                        ));
                    }
                    (FieldsKey::Extra, _) => {
                        return Err(format!(
                            "[fields.extra] of {CORPUS_CONFIG_FILE} is a table of `name = \"type\"`"
                        ));
                    }
                };
                let FieldsKey::Role(role) = *key else {
                    continue;
                };
                for name in &given {
                    explicit.push(ExplicitField {
                        feeds: Feeds::Role(role),
                        name: name.clone(),
                        origin: Origin::CorpusConfig,
                    });
                }
                names.insert(role, given);
            }
        }
        for extra in extras {
            check_extra_name(&extra.name)?;
            declared.retain(|(known, _)| known.name != extra.name);
            declared.push((extra.clone(), Origin::CommandLine));
        }
        if declared.len() > MAX_EXTRA_FIELDS {
            return Err(format!(
                "{} fields are declared; at most {MAX_EXTRA_FIELDS} are allowed",
                declared.len()
            ));
        }
        let mut replaced_by_command_line = Vec::new();
        for field in overrides {
            if !replaced_by_command_line.contains(&field.role) {
                replaced_by_command_line.push(field.role);
                names.insert(field.role, Vec::new());
                explicit.retain(|known: &ExplicitField| known.feeds != Feeds::Role(field.role));
            }
            if let Some(list) = names.get_mut(&field.role) {
                list.push(field.name.clone());
            }
            explicit.push(ExplicitField {
                feeds: Feeds::Role(field.role),
                name: field.name.clone(),
                origin: Origin::CommandLine,
            });
        }
        explicit.extend(declared.iter().map(|(field, origin)| ExplicitField {
            feeds: Feeds::Extra(field.kind),
            name: field.name.clone(),
            origin: *origin,
        }));
        let extras = declared.into_iter().map(|(field, _)| field).collect();
        if explicit.len() > MAX_EXPLICIT_FIELDS {
            return Err(format!(
                "the mapping names {} fields; at most {MAX_EXPLICIT_FIELDS} are allowed",
                explicit.len()
            ));
        }
        Ok(FieldMap {
            names,
            extras,
            explicit,
        })
    }

    /// True when the user named the fields of `role` (rather than the defaults).
    pub fn is_explicit(&self, role: Role) -> bool {
        self.explicit
            .iter()
            .any(|field| field.feeds == Feeds::Role(role))
    }

    /// The record fields that feed `role`, in order.
    pub fn names(&self, role: Role) -> &[String] {
        self.names.get(&role).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The fields the user named; each must occur in at least one record.
    pub fn explicit(&self) -> &[ExplicitField] {
        &self.explicit
    }

    /// A bit set of the explicit fields that `has_field` says are present.
    pub fn present_mask(&self, has_field: impl Fn(&str) -> bool) -> u64 {
        self.explicit
            .iter()
            .enumerate()
            .filter(|(_, field)| has_field(&field.name))
            .fold(0, |mask, (idx, _)| mask | (1 << idx))
    }

    /// The explicit fields whose bit is not set in `seen`.
    pub fn missing(&self, seen: u64) -> Vec<&ExplicitField> {
        self.explicit
            .iter()
            .enumerate()
            .filter(|(idx, _)| seen & (1 << idx) == 0)
            .map(|(_, field)| field)
            .collect()
    }
}

/// Whether two field names are the same but for case and `_`, `-` or spaces.
pub fn same_field_name(a: &str, b: &str) -> bool {
    // Compared in one pass that stops at the first difference, without allocating: every
    // record's every missing name comes here, for each of its keys. ASCII bytes (almost all
    // names) are compared as they come; at the first byte of another char, the names are
    // compared char by char from the start (`same_folded`), since an ASCII name can equal
    // another only by Unicode's lower case (the Kelvin sign is a `k`).
    let is_separator = |byte: &u8| matches!(byte, b'_' | b'-' | b' ');
    let mut a_bytes = a.bytes().filter(|byte| !is_separator(byte));
    let mut b_bytes = b.bytes().filter(|byte| !is_separator(byte));
    loop {
        match (a_bytes.next(), b_bytes.next()) {
            (None, None) => return true,
            (Some(x), _) if !x.is_ascii() => return same_folded(a, b),
            (_, Some(y)) if !y.is_ascii() => return same_folded(a, b),
            // Both ASCII, after prefixes that were ASCII and equal: a char of each.
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            // A difference, or one name ends where the other has an ASCII char left (no char
            // lower-cases to nothing or to a separator).
            _ => return false,
        }
    }
}

/// `same_field_name` through Unicode lower case, char by char.
fn same_folded(a: &str, b: &str) -> bool {
    let fold = |name| {
        str::chars(name)
            .filter(|c: &char| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
    };
    fold(a).eq(fold(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn field_names_compare_as_their_unicode_folds(
            a in "[a-cA-C_ \\-\u{212a}kKiI\u{130}\u{e9}\u{c9}]{0,6}",
            b in "[a-cA-C_ \\-\u{212a}kKiI\u{130}\u{e9}\u{c9}]{0,6}",
        ) {
            prop_assert_eq!(same_field_name(&a, &b), same_folded(&a, &b));
            prop_assert_eq!(same_field_name(&a, &a.to_uppercase()), same_folded(&a, &a.to_uppercase()));
        }
    }

    #[test]
    fn field_names_match_whatever_their_case_and_separators() {
        assert!(same_field_name("Publish_Date", "publish date"));
        assert!(same_field_name("publish-date", "PUBLISHDATE"));
        assert!(!same_field_name("publish_date", "published"));
        // The Kelvin sign lower-cases to `k`.
        assert!(same_field_name("\u{212a}ey", "key"));
        assert!(same_field_name("ke\u{212a}", "K_E_K"));
        assert!(!same_field_name("ke\u{212a}", "ke"));
        assert!(same_field_name("Résumé", "RÉSUMÉ"));
        assert!(!same_field_name("date", "dates") && !same_field_name("dates", "date"));
    }

    #[test]
    fn overrides_parse_and_refuse_unknown_roles() {
        let parsed: FieldOverride = "date=published_at".parse().unwrap();
        assert_eq!(parsed.role, Role::Date);
        assert_eq!(parsed.name, "published_at");
        assert!(
            "colour=red"
                .parse::<FieldOverride>()
                .unwrap_err()
                .contains("unknown role `colour`")
        );
        assert!("date".parse::<FieldOverride>().is_err());
        assert!("date=".parse::<FieldOverride>().is_err());
    }

    #[test]
    fn command_line_beats_config_beats_defaults() {
        let config = CorpusConfig::parse(
            Path::new("newsdex.toml"),
            "[fields]\ndate = \"when\"\nbody = [\"lede\", \"story\"]\n",
        )
        .unwrap();
        let overrides = ["date=published_at".parse().unwrap()];
        let map = FieldMap::new(&overrides, &[], Some(&config)).unwrap();
        assert_eq!(map.names(Role::Date), ["published_at"]);
        assert_eq!(map.names(Role::Body), ["lede", "story"]);
        assert_eq!(map.names(Role::Title), ["title", "headline"]);
        let explicit: Vec<_> = map.explicit().iter().map(|f| f.name.as_str()).collect();
        assert_eq!(explicit, ["lede", "story", "published_at"]);
        assert_eq!(
            map.missing(map.present_mask(|name| name == "story")),
            [&map.explicit()[0], &map.explicit()[2]]
        );
    }

    #[test]
    fn backend_settings_may_share_the_corpus_config() {
        let text = "backend = \"quickwit\"\n[quickwit]\nurl = \"http://127.0.0.1:7280\"\n\
                    [fields]\ndate = \"when\"\n";
        let config = CorpusConfig::parse(Path::new("newsdex.toml"), text).unwrap();
        let map = FieldMap::new(&[], &[], Some(&config)).unwrap();
        assert_eq!(map.names(Role::Date), ["when"]);
        let error =
            CorpusConfig::parse(Path::new("newsdex.toml"), "backnd = \"quickwit\"\n").unwrap_err();
        assert!(error.reason.contains("backnd"), "{error}");
    }

    #[test]
    fn a_bad_config_names_its_line() {
        let error =
            CorpusConfig::parse(Path::new("newsdex.toml"), "[fields]\n\ncolour = \"red\"\n")
                .unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        let error =
            CorpusConfig::parse(Path::new("newsdex.toml"), "[feilds]\ndate = \"x\"\n").unwrap_err();
        assert!(error.reason.contains("feilds"), "{error}");
    }

    #[test]
    fn declared_fields_come_from_the_config_then_the_command_line() {
        let config = CorpusConfig::parse(
            Path::new("newsdex.toml"),
            "[fields]\ndate = \"when\"\n[fields.extra]\nwords = \"number\"\ndesk = \"keyword\"\n",
        )
        .unwrap();
        let cli = [
            parse_extra("desk:text").unwrap(),
            parse_extra("filed:date").unwrap(),
        ];
        let map = FieldMap::new(&[], &cli, Some(&config)).unwrap();
        let declared: Vec<(&str, ExtraType)> = map
            .extras()
            .iter()
            .map(|field| (field.name.as_str(), field.kind))
            .collect();
        assert_eq!(
            declared,
            [
                ("words", ExtraType::Number),
                ("desk", ExtraType::Text),
                ("filed", ExtraType::Date)
            ]
        );
        assert_eq!(map.names(Role::Date), ["when"]);
        // Each declared field must occur in some record, and says where it was declared.
        let missing: Vec<String> = map
            .missing(map.present_mask(|name| name == "when" || name == "desk"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            missing,
            [
                "`words = \"number\"` in [fields.extra] of newsdex.toml",
                "`--extra filed:date`"
            ]
        );
        assert!(map.fingerprint().contains("extra:words=number"));
        assert_ne!(map.fingerprint(), FieldMap::default().fingerprint());
    }

    #[test]
    fn bad_declarations_are_refused_with_the_reason() {
        assert_eq!(parse_extra("tags").unwrap().kind, ExtraType::Keyword);
        assert!(
            parse_extra("words:integer")
                .unwrap_err()
                .contains("unknown type `integer`")
        );
        assert!(
            parse_extra("Word Count")
                .unwrap_err()
                .contains("cannot name a field")
        );
        assert!(
            parse_extra("title:text")
                .unwrap_err()
                .contains("already has")
        );
        let config = CorpusConfig::parse(
            Path::new("newsdex.toml"),
            "[fields.extra]\nwords = \"integer\"\n",
        );
        assert!(config.is_err());
        let config = CorpusConfig::parse(
            Path::new("newsdex.toml"),
            "[fields.extra]\nsource = \"text\"\n",
        )
        .unwrap();
        assert!(
            FieldMap::new(&[], &[], Some(&config))
                .unwrap_err()
                .contains("already has")
        );
    }
}
