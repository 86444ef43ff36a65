//! The index's spelling table: one canonical spelling per entity across the whole index. Each
//! passage stores its entities as its own article wrote them ("Aleksandar Vucic" here,
//! "Aleksandar Vučić" there); the table maps every other spelling of one entity (same kind,
//! same folded key) to the one shown: the spelling with diacritics where any passage has them,
//! else the most frequent, then the fullest, then the first by code point. A person named by a
//! surname alone ("Blair") maps to the one full name of that surname in the index ("Tony
//! Blair"); with two ("Michael Schumacher", "Ralf Schumacher") it stays as written.
//!
//! Pure data: the build counts the labels of the committed index and stores the table beside
//! it (`spellings-<key>.tsv`, keyed by the segments it was counted on); searches show every
//! entity through [`Spellings::canonical`]. Only spellings that change are kept, so the table
//! stays small.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use crate::extract::gazetteer::entity_key;
use crate::extract::names::surname;
use crate::model::{Entity, EntityKind};

/// Prefix and suffix of the table's file in the index directory.
pub const SPELLINGS_PREFIX: &str = "spellings-";
pub const SPELLINGS_SUFFIX: &str = ".tsv";

/// Spelling as written -> the canonical spelling, per kind; only spellings that change. Held
/// as the text of its file, one `name<TAB>kind<TAB>canonical` line per spelling sorted by
/// name then kind, looked up by binary search over the lines: loading it costs one read and
/// one pass over its bytes, nothing per entry (a one-shot search loads it for its hits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spellings {
    text: String,
    /// Start and end of each line in `text`, in the order of the lines.
    lines: Vec<(u32, u32)>,
}

/// The order in which spellings of one entity are preferred for display: with diacritics first
/// ("Vučić" over "Vucic"), then a name of several words not in capitals only (a headline's "A.H.
/// ROBINS" after "A.H. Robins", however often headlines say it; a one-word name in capitals
/// may be an acronym), then the most frequent, the fullest (more characters), and the first by
/// code point, so that the choice never depends on the order of the counts.
pub fn prefer(a: (&str, u64), b: (&str, u64)) -> Ordering {
    a.0.is_ascii()
        .cmp(&b.0.is_ascii())
        .then_with(|| headline_caps(a.0).cmp(&headline_caps(b.0)))
        .then_with(|| b.1.cmp(&a.1))
        .then_with(|| b.0.chars().count().cmp(&a.0.chars().count()))
        .then_with(|| a.0.cmp(b.0))
}

/// A name of several words written in capitals only, as headlines write names.
fn headline_caps(name: &str) -> bool {
    name.contains(' ')
        && name.chars().any(char::is_alphabetic)
        && !name.chars().any(char::is_lowercase)
}

impl Spellings {
    /// The spelling under which `name`, an entity of `kind` as some passage wrote it, is shown.
    /// The one function through which every hit, facet and entity list shows a name.
    pub fn canonical<'a>(&'a self, kind: EntityKind, name: &'a str) -> &'a str {
        let first = self
            .lines
            .partition_point(|&line| self.fields(line).0 < name);
        self.lines[first..]
            .iter()
            .map(|&line| self.fields(line))
            .take_while(|(written, _, _)| *written == name)
            .find(|(_, found, canonical)| *found == kind.as_str() && !canonical.is_empty())
            .map_or(name, |(_, _, canonical)| canonical)
    }

    /// `entity` under its canonical spelling (`canonical`).
    pub fn entity(&self, entity: Entity) -> Entity {
        match self.canonical(entity.kind, &entity.name) {
            canonical if canonical == entity.name => entity,
            canonical => Entity {
                name: canonical.to_string(),
                kind: entity.kind,
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Spellings that change.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The name as written, kind and canonical name of a line; empty where the line lacks them.
    fn fields(&self, (start, end): (u32, u32)) -> (&str, &str, &str) {
        let line = &self.text[start as usize..end as usize];
        // As `line.splitn(3, '\t')`, by byte search.
        let mut tabs = memchr::memchr_iter(b'\t', line.as_bytes());
        match (tabs.next(), tabs.next()) {
            (Some(first), Some(second)) => (
                &line[..first],
                &line[first + 1..second],
                &line[second + 1..],
            ),
            (Some(first), None) => (&line[..first], &line[first + 1..], ""),
            _ => (line, "", ""),
        }
    }

    /// The table of an index from every entity label it holds and the number of passages that
    /// hold it. Depends only on the counts, never on their order.
    pub fn from_counts(counts: impl IntoIterator<Item = (Entity, u64)>) -> Spellings {
        // (kind, folded key) -> the spellings of one entity and their passages. A name with a
        // tab or a line break (only a source's own label could hold one) stays as written.
        let mut groups: BTreeMap<(EntityKind, String), BTreeMap<String, u64>> = BTreeMap::new();
        for (Entity { name, kind }, count) in counts {
            if name.contains(['\t', '\n', '\r']) {
                continue;
            }
            *groups
                .entry((kind, entity_key(&name)))
                .or_default()
                .entry(name)
                .or_default() += count;
        }
        let chosen: BTreeMap<&(EntityKind, String), &str> = groups
            .iter()
            .filter_map(|(group, spellings)| {
                let best = spellings
                    .iter()
                    .min_by(|a, b| prefer((a.0, *a.1), (b.0, *b.1)))?;
                Some((group, best.0.as_str()))
            })
            .collect();
        // Surname key -> the one full name of a person with that surname, or `None` when the
        // index names two people of that surname in full.
        let mut full_names: HashMap<String, Option<&str>> = HashMap::new();
        for ((kind, key), canonical) in &chosen {
            if *kind != EntityKind::Person {
                continue;
            }
            if let Some(short) = surname(key) {
                full_names
                    .entry(short.to_string())
                    .and_modify(|full| *full = None)
                    .or_insert(Some(canonical));
            }
        }
        let mut entries: Vec<(&str, &'static str, &str)> = Vec::new();
        for ((kind, key), spellings) in &groups {
            let full_name = match kind {
                EntityKind::Person => full_names.get(key).copied().flatten(),
                _ => None,
            };
            let Some(canonical) = full_name.or_else(|| chosen.get(&(*kind, key.clone())).copied())
            else {
                continue;
            };
            for name in spellings.keys() {
                if name != canonical {
                    entries.push((name, kind.as_str(), canonical));
                }
            }
        }
        entries.sort_unstable();
        let mut text = String::new();
        for (name, kind, canonical) in entries {
            text.push_str(name);
            text.push('\t');
            text.push_str(kind);
            text.push('\t');
            text.push_str(canonical);
            text.push('\n');
        }
        Spellings::from_text(text).expect("a table made from counts is well formed")
    }

    /// The table of the text of its file: every line `name<TAB>kind<TAB>canonical`, sorted.
    /// Read as it is, with no pass over its lines (a one-shot search reads it for a handful
    /// of lookups): a line that is not name, kind and spelling maps no name, and lines out of
    /// order can only hide one another, so a damaged table never shows a name as another's.
    fn from_text(text: String) -> Result<Spellings, String> {
        if u32::try_from(text.len()).is_err() {
            return Err("the table is too large".into());
        }
        let mut lines = Vec::with_capacity(text.len() / 32);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
            lines.push((start as u32, end as u32));
            start = end + 1;
        }
        if start < text.len() {
            lines.push((start as u32, text.len() as u32));
        }
        Ok(Spellings { text, lines })
    }

    /// The file name and bytes of the table, for the segments whose key is `key`.
    pub fn pack(&self, key: &str) -> (String, Vec<u8>) {
        (spellings_file(key), self.text.as_bytes().to_vec())
    }

    /// The table that `pack` made these bytes from.
    pub fn unpack(bytes: Vec<u8>) -> Result<Spellings, String> {
        let text = String::from_utf8(bytes).map_err(|error| error.to_string())?;
        Spellings::from_text(text)
    }
}

/// The name of the table's file for the segments whose key is `key`.
pub fn spellings_file(key: &str) -> String {
    format!("{SPELLINGS_PREFIX}{key}{SPELLINGS_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str) -> Entity {
        Entity {
            name: name.into(),
            kind: EntityKind::Person,
        }
    }

    #[test]
    fn the_spelling_with_diacritics_is_shown_for_every_spelling() {
        let table = Spellings::from_counts([
            (person("Aleksandar Vucic"), 5),
            (person("Aleksandar Vučić"), 1),
            (
                Entity {
                    name: "Serbia".into(),
                    kind: EntityKind::Place,
                },
                3,
            ),
        ]);
        let shown = |name| table.canonical(EntityKind::Person, name);
        assert_eq!(shown("Aleksandar Vucic"), "Aleksandar Vučić");
        assert_eq!(shown("Aleksandar Vučić"), "Aleksandar Vučić");
        assert_eq!(table.canonical(EntityKind::Place, "Serbia"), "Serbia");
        // Another kind of the same spelling is not changed.
        assert_eq!(
            table.canonical(EntityKind::Place, "Aleksandar Vucic"),
            "Aleksandar Vucic"
        );
        // Only the spelling that changes is kept.
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn without_diacritics_the_most_frequent_spelling_wins_whatever_the_order() {
        let counts = [(person("TONY BLAIR"), 1), (person("Tony Blair"), 4)];
        let table = Spellings::from_counts(counts.clone());
        let reversed = Spellings::from_counts(counts.into_iter().rev());
        assert_eq!(table, reversed);
        assert_eq!(
            table.canonical(EntityKind::Person, "TONY BLAIR"),
            "Tony Blair"
        );
        // Equal counts: the first by code point, never the order of the counts.
        let tie = Spellings::from_counts([(person("Blair"), 1), (person("BLAIR"), 1)]);
        assert_eq!(tie.canonical(EntityKind::Person, "Blair"), "BLAIR");
        // A headline's capitals lose to the text's spelling, however often headlines say it;
        // a one-word name in capitals may be an acronym: the most frequent spelling wins.
        let organisation = |name: &str| Entity {
            name: name.into(),
            kind: EntityKind::Organisation,
        };
        let table = Spellings::from_counts([
            (organisation("A.H. ROBINS"), 9),
            (organisation("A.H. Robins"), 2),
            (organisation("NATO"), 9),
            (organisation("Nato"), 2),
        ]);
        let shown = |name| table.canonical(EntityKind::Organisation, name);
        assert_eq!(shown("A.H. ROBINS"), "A.H. Robins");
        assert_eq!(shown("Nato"), "NATO");
    }

    #[test]
    fn a_surname_alone_is_shown_as_the_one_full_name_of_the_index() {
        let table = Spellings::from_counts([
            (person("Blair"), 2),
            (person("Tony Blair"), 1),
            (person("Schumacher"), 1),
            (person("Michael Schumacher"), 1),
            (person("Ralf Schumacher"), 1),
            (person("Vucic"), 1),
            (person("Aleksandar Vučić"), 1),
        ]);
        let shown = |name| table.canonical(EntityKind::Person, name);
        assert_eq!(shown("Blair"), "Tony Blair");
        // Two people of that surname: the surname stays as written.
        assert_eq!(shown("Schumacher"), "Schumacher");
        // The surname folds as the full name's does.
        assert_eq!(shown("Vucic"), "Aleksandar Vučić");
        // A place of a surname's spelling is another entity.
        let place = Spellings::from_counts([
            (
                Entity {
                    name: "Blair".into(),
                    kind: EntityKind::Place,
                },
                1,
            ),
            (person("Tony Blair"), 1),
        ]);
        assert!(place.is_empty());
    }

    #[test]
    fn the_table_round_trips_through_its_file() {
        let table = Spellings::from_counts([
            (person("Aleksandar Vucic"), 1),
            (person("Aleksandar Vučić"), 1),
            (person("Blair"), 1),
            (person("Tony Blair"), 1),
        ]);
        let (name, bytes) = table.pack("00ff");
        assert_eq!(name, "spellings-00ff.tsv");
        assert_eq!(Spellings::unpack(bytes).unwrap(), table);
        assert!(Spellings::unpack(Vec::new()).unwrap().is_empty());
        assert!(Spellings::unpack(vec![0xff, b'\n']).is_err(), "not UTF-8");
    }

    #[test]
    fn a_damaged_table_never_shows_a_name_as_another() {
        let shown = |text: &str, name| {
            let table = Spellings::unpack(text.as_bytes().to_vec()).unwrap();
            table.canonical(EntityKind::Person, name).to_string()
        };
        // Lines that are not name, kind and spelling map nothing; the good ones still map.
        let damaged = "Blair\tperson\t\nVucic\tperson\tAleksandar Vučić\nWho\nZed\tnobody\tZ";
        assert_eq!(shown(damaged, "Blair"), "Blair");
        assert_eq!(shown(damaged, "Vucic"), "Aleksandar Vučić");
        assert_eq!(shown(damaged, "Who"), "Who");
        assert_eq!(shown(damaged, "Zed"), "Zed");
        assert_eq!(shown("not a table\n", "not a table"), "not a table");
        // Out of order, a line may be missed, but what is found is that name's own line.
        let unsorted = "b\tperson\tB\na\tperson\tA\n";
        for name in ["a", "b"] {
            let got = shown(unsorted, name);
            assert!(got == name || got == name.to_uppercase(), "{name} -> {got}");
        }
        // The last line needs no line break.
        assert_eq!(
            shown("Vucic\tperson\tAleksandar Vučić", "Vucic"),
            "Aleksandar Vučić"
        );
    }
}
