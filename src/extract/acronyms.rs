//! The corpus acronym table: acronyms that some article defines in its text ("Balkan Arms
//! Monitoring Group (BAMG)") -> the entity of the long form, for every article of the corpus and
//! for searches. An acronym takes the long form most of its definitions give; one defined as
//! often one way as another is ambiguous and left out. The table depends only on the definitions,
//! never on the order in which files were read. Pure data: the build collects the pairs and stores the table beside the
//! index; nothing here reads files or touches the index.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::sync::{Arc, OnceLock};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::extract::gazetteer::entity_key;
use crate::model::Entity;

/// One acronym and the entity it was defined as: (folded key of the acronym, entity).
pub type AcronymPair = (String, Entity);

/// What one article defines and uses, for the corpus table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleAcronyms {
    /// Acronyms the article defines in its text that no list knows, by folded key.
    pub defined: Vec<AcronymPair>,
    /// Folded keys of acronym-like names the article uses without defining them and that no
    /// list knows, and of its source's labels that no list knows ("icco"): what a corpus table
    /// resolves (or would, once some article defines them).
    pub used: Vec<String>,
}

/// Folded acronym -> entity, for acronyms defined mostly one way in the corpus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcronymTable {
    pairs: FxHashMap<String, Entity>,
}

/// A corpus acronym table, or how to read it on first use: a search whose words hold no
/// acronym and name no entity never reads it. Clones share the table once read.
#[derive(Clone, Default)]
pub struct CorpusAcronyms {
    table: Arc<OnceLock<Arc<AcronymTable>>>,
    read: Option<Arc<dyn Fn() -> AcronymTable + Send + Sync>>,
}

impl CorpusAcronyms {
    /// A table already read.
    pub fn of(table: Arc<AcronymTable>) -> CorpusAcronyms {
        CorpusAcronyms {
            table: Arc::new(OnceLock::from(table)),
            read: None,
        }
    }

    /// A table that `read` reads when it is first asked for.
    pub fn on_first_use(read: impl Fn() -> AcronymTable + Send + Sync + 'static) -> CorpusAcronyms {
        CorpusAcronyms {
            table: Arc::default(),
            read: Some(Arc::new(read)),
        }
    }

    pub fn table(&self) -> &Arc<AcronymTable> {
        self.table
            .get_or_init(|| Arc::new(self.read.as_ref().map(|read| read()).unwrap_or_default()))
    }
}

impl std::fmt::Debug for CorpusAcronyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.table.get() {
            Some(table) => f.debug_tuple("CorpusAcronyms").field(table).finish(),
            None => f.write_str("CorpusAcronyms(not read yet)"),
        }
    }
}

/// Prefix and suffix of the table's file in the index directory.
pub const ACRONYMS_PREFIX: &str = "acronyms-";
pub const ACRONYMS_SUFFIX: &str = ".json";

#[derive(Serialize, Deserialize)]
struct Stored {
    acronyms: BTreeMap<String, Entity>,
}

impl AcronymTable {
    /// The table of a corpus from every definition in it (one pair per defining article): an
    /// acronym maps to the long form that more than half of its definitions give ("International
    /// Coffee Organization" over a few "Organisation"s); one with no such majority is left out.
    /// Counting makes the table independent of the order of the pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = &'a AcronymPair>) -> AcronymTable {
        let mut counts: FxHashMap<&str, FxHashMap<&Entity, usize>> = FxHashMap::default();
        for (key, entity) in pairs {
            *counts
                .entry(key.as_str())
                .or_default()
                .entry(entity)
                .or_default() += 1;
        }
        let pairs = counts
            .into_iter()
            .filter_map(|(key, entities)| {
                let total: usize = entities.values().sum();
                let (entity, count) = entities.into_iter().max_by_key(|(_, count)| *count)?;
                (2 * count > total).then(|| (key.to_string(), entity.clone()))
            })
            .collect();
        AcronymTable { pairs }
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// The entity of a folded acronym (`entity_key`).
    /// The folded acronyms the table holds, in no order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.keys().map(String::as_str)
    }

    pub fn get(&self, key: &str) -> Option<&Entity> {
        self.pairs.get(key)
    }

    /// Drops the acronyms `known` says some list already knows (lists win over the corpus).
    pub fn retain_unknown(&mut self, known: impl Fn(&str) -> bool) {
        self.pairs.retain(|key, _| !known(key));
    }

    /// The acronyms whose entity differs between the two tables (added, removed or changed):
    /// the articles that use them were labelled with the other table.
    pub fn changed_keys(&self, other: &AcronymTable) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        for (key, entity) in &self.pairs {
            if other.get(key) != Some(entity) {
                changed.insert(key.clone());
            }
        }
        for key in other.pairs.keys() {
            if !self.pairs.contains_key(key) {
                changed.insert(key.clone());
            }
        }
        changed
    }

    /// The table as JSON bytes (sorted, so the same table gives the same bytes) and the file
    /// name they go under, made from their hash.
    pub fn pack(&self) -> (String, Vec<u8>) {
        let stored = Stored {
            acronyms: self
                .pairs
                .iter()
                .map(|(key, entity)| (key.clone(), entity.clone()))
                .collect(),
        };
        let bytes = serde_json::to_vec(&stored).expect("an acronym table always serialises");
        let name = format!("{ACRONYMS_PREFIX}{:016x}{ACRONYMS_SUFFIX}", xxh3_64(&bytes));
        (name, bytes)
    }

    /// The table that `pack` made these bytes from.
    pub fn unpack(bytes: &[u8]) -> Result<AcronymTable, serde_json::Error> {
        let stored: Stored = serde_json::from_slice(bytes)?;
        Ok(AcronymTable {
            pairs: stored.acronyms.into_iter().collect(),
        })
    }
}

/// Whether a name reads as an acronym: at least two letters (after folding to ASCII), all
/// capitals ("BAMG", "B.A.M.G.", "SIPRI").
pub fn is_acronym(name: &str) -> bool {
    // Most names fail on their second letter; only non-ASCII names are folded (allocating).
    if name.is_ascii() {
        return ascii_acronym(name.chars());
    }
    ascii_acronym(deunicode::deunicode(name).chars())
}

fn ascii_acronym(chars: impl Iterator<Item = char>) -> bool {
    let mut letters = 0;
    for c in chars {
        if c.is_ascii_alphabetic() {
            if !c.is_ascii_uppercase() {
                return false;
            }
            letters += 1;
        } else if c.is_whitespace() {
            return false;
        }
    }
    letters >= 2
}

/// Whether `long_form` spells `acronym` closely enough to carry the pair to other articles
/// (an article's own definition, which needs only the first letter, is looser): every
/// capitalised word of the long form gives its initial, in order, and may give more letters
/// of itself ("TOCOM": Tokyo Commodity ...); a lower-case word ("of", "de") may give its
/// initial or nothing; one capitalised word at the end may give nothing ("Industrial Bank of
/// Japan Ltd" is IBJ).
pub fn spells_acronym(long_form: &str, acronym: &str) -> bool {
    let mut words = SpellingWords::default();
    words.push(long_form);
    words.spell(0, &acronym_letters(acronym))
}

/// The letters of an acronym that its long form must give: ASCII letters, in lower case, after
/// transliteration ("U.N." gives "un").
fn acronym_letters(acronym: &str) -> Vec<u8> {
    deunicode::deunicode_with_tofu_cow(acronym, "[?]")
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .map(|byte| byte.to_ascii_lowercase())
        .collect()
}

/// Words as `spells_acronym` reads them: transliterated, split at spaces and hyphens, each
/// word's ASCII letters in lower case (one buffer for all) and whether it is capitalised.
#[derive(Default)]
struct SpellingWords {
    letters: Vec<u8>,
    /// (start, end) in `letters`, capitalised.
    words: Vec<(usize, usize, bool)>,
}

impl SpellingWords {
    /// Appends the words of `text`.
    fn push(&mut self, text: &str) {
        let folded = deunicode::deunicode_with_tofu_cow(text, "[?]");
        for word in folded.split(|c: char| c.is_whitespace() || c == '-') {
            let start = self.letters.len();
            let mut capitalised = None;
            for byte in word.bytes().filter(u8::is_ascii_alphabetic) {
                capitalised.get_or_insert(byte.is_ascii_uppercase());
                self.letters.push(byte.to_ascii_lowercase());
            }
            if let Some(capitalised) = capitalised {
                self.words.push((start, self.letters.len(), capitalised));
            }
        }
    }

    /// Whether the words from the `from`th on spell `acronym` (`acronym_letters`).
    fn spell(&self, from: usize, acronym: &[u8]) -> bool {
        let words = &self.words[from..];
        let n_capitalised = words
            .iter()
            .filter(|(_, _, capitalised)| *capitalised)
            .count();
        if acronym.len() < 2 || n_capitalised == 0 || n_capitalised > acronym.len() + 1 {
            return false;
        }
        self.spells_from(words, acronym, None, 0)
    }

    /// The rest of `spell`: `acronym` is still to match, inside word `word` of `words` from
    /// `offset`, or from the initial of a next word.
    fn spells_from(
        &self,
        words: &[(usize, usize, bool)],
        acronym: &[u8],
        word: Option<usize>,
        offset: usize,
    ) -> bool {
        let next = word.map_or(0, |word| word + 1);
        let Some((&letter, rest)) = acronym.split_first() else {
            return words[next..].iter().filter(|(_, _, cap)| *cap).count() <= 1;
        };
        for (at, &(start, _, capitalised)) in words.iter().enumerate().skip(next) {
            if self.letters[start] == letter && self.spells_from(words, rest, Some(at), 1) {
                return true;
            }
            if capitalised {
                // A capitalised word is never skipped.
                break;
            }
        }
        let Some(word) = word else {
            return false;
        };
        let (start, end, _) = words[word];
        self.letters[start..end]
            .iter()
            .enumerate()
            .skip(offset)
            .any(|(at, &c)| c == letter && self.spells_from(words, rest, Some(word), at + 1))
    }
}

/// Bytes an acronym in brackets may take, and the spaces before it: anything longer is no
/// acronym.
pub const BRACKETED_MAX_BYTES: usize = 48;

/// Bytes before a bracket in which the name that an acronym in it defines must start.
pub const BRACKET_LOOKBACK_BYTES: usize = 256;

/// Adds to `keys` the folded key of every acronym-like word right after an opening bracket at
/// or after `from` in `bytes` ("(SIPRI)", "( NATO )", "(**BAMG**)") that may follow a name it
/// defines (`may_define`): a superset of the acronyms a text can define (`EntityExtractor`'s
/// definitions: a name, then the acronym alone in brackets, whose first letter is the name's),
/// found in a file's raw bytes, any format, without parsing. A build holds back only the
/// articles that use one of them. Returns where the scan stopped: `bytes.len()`, or, unless
/// `at_end`, the start of a bracket whose word may go on in the next bytes.
pub fn bracketed_acronyms(
    bytes: &[u8],
    from: usize,
    at_end: bool,
    keys: &mut FxHashSet<String>,
) -> usize {
    for open in memchr::memchr_iter(b'(', &bytes[from..]).map(|at| from + at) {
        let rest = &bytes[open + 1..];
        let start = rest
            .iter()
            .position(|byte| !byte.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let len = rest[start..]
            .iter()
            .position(|&byte| byte.is_ascii_whitespace() || byte == b')' || byte == b'(')
            .unwrap_or(rest.len() - start);
        if start + len == rest.len() && !at_end && rest.len() <= BRACKETED_MAX_BYTES {
            return open;
        }
        if start + len > BRACKETED_MAX_BYTES {
            continue;
        }
        // Markup and quotes around the word: "(**BAMG**)", "(\"BAMG\")".
        let word = trim_punctuation(&rest[start..start + len]);
        if let Ok(word) = std::str::from_utf8(word)
            && is_acronym(word)
            && may_define(
                &bytes[open.saturating_sub(BRACKET_LOOKBACK_BYTES)..open],
                word,
            )
        {
            keys.insert(entity_key(word));
        }
    }
    bytes.len()
}

/// Words before a bracket that the name an acronym in it defines may span.
const BRACKET_LOOKBACK_WORDS: usize = 16;

/// Whether the bytes `before` a bracket can end in a name that `acronym` defines for the corpus
/// table: the word just before the bracket holds a capital letter (a name ends on one), and the
/// last words, as few as it takes, spell the acronym (`spells_acronym`).
fn may_define(before: &[u8], acronym: &str) -> bool {
    let before = before.trim_ascii_end();
    let last_word = before
        .rsplit(u8::is_ascii_whitespace)
        .next()
        .unwrap_or_default();
    if !last_word
        .iter()
        .any(|byte| byte.is_ascii_uppercase() || !byte.is_ascii())
    {
        return false;
    }
    let letters = acronym_letters(acronym);
    if letters.len() < 2 {
        return false;
    }
    let before = String::from_utf8_lossy(before);
    let mut window: Vec<&str> = before
        .split_ascii_whitespace()
        .rev()
        .take(BRACKET_LOOKBACK_WORDS)
        .collect();
    window.reverse();
    // The words of the whole window, read once: the last n window words are a suffix of them.
    let mut words = SpellingWords::default();
    let mut starts = Vec::with_capacity(window.len());
    for word in &window {
        starts.push(words.words.len());
        words.push(word);
    }
    starts
        .iter()
        .rev()
        .any(|&start| words.spell(start, &letters))
}

/// `word` without the ASCII punctuation and symbols at its ends (a trailing period stays: "U.N.").
fn trim_punctuation(word: &[u8]) -> &[u8] {
    let start = word
        .iter()
        .position(|byte| !byte.is_ascii_punctuation())
        .unwrap_or(word.len());
    let end = word
        .iter()
        .rposition(|&byte| !byte.is_ascii_punctuation() || byte == b'.')
        .map_or(start, |end| end + 1);
    &word[start..end.max(start)]
}

/// `bracketed_acronyms` of everything `reader` gives, read `block_bytes` at a time.
pub fn read_bracketed_acronyms(
    mut reader: impl Read,
    block_bytes: usize,
) -> std::io::Result<FxHashSet<String>> {
    let mut keys = FxHashSet::default();
    let mut buffer = Vec::with_capacity(block_bytes + BRACKET_LOOKBACK_BYTES + BRACKETED_MAX_BYTES);
    let mut from = 0;
    loop {
        let read = (&mut reader)
            .take(block_bytes as u64)
            .read_to_end(&mut buffer)?;
        let at_end = read < block_bytes;
        let stopped = bracketed_acronyms(&buffer, from, at_end, &mut keys);
        if at_end {
            return Ok(keys);
        }
        // The bytes a bracket still to scan may look back on stay.
        let keep = stopped.saturating_sub(BRACKET_LOOKBACK_BYTES);
        buffer.drain(..keep);
        from = stopped - keep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EntityKind;

    fn bracketed(text: &str) -> BTreeSet<String> {
        let mut keys = FxHashSet::default();
        assert_eq!(
            bracketed_acronyms(text.as_bytes(), 0, true, &mut keys),
            text.len()
        );
        keys.into_iter().collect()
    }

    #[test]
    fn acronyms_in_brackets_after_a_name_that_spells_them_are_found_in_raw_bytes() {
        let text = r#"The Balkan Arms Monitoring Group (BAMG), North Atlantic Treaty Organization
            ( NATO ), the European **Union** (**EU**), {"x": "Organization for Security and
            Co-operation in Europe (\"OSCE\")"}, United Nations (U.N.), London (Reuters),
            Big (not), Year (2024), Alpha (A), Serbia (SIPRI's), an index rose (CBT), Chicago
            Board of Trade (QRZ), Österreichische Mineralölverwaltung (ÖMV), and a bracket at
            the end ("#;
        assert_eq!(
            bracketed(text),
            ["bamg", "eu", "nato", "omv", "osce", "u.n."]
                .map(String::from)
                .into()
        );
    }

    #[test]
    fn a_scan_in_blocks_finds_what_a_scan_of_the_whole_finds() {
        let text = "Intro Balkan Arms Monitoring Group (BAMG) middle North Atlantic Treaty \
                    Organization (  NATO ) European Union((EU)) and Org (\n\nOSCE) (Balkan) \
                    end Stockholm International Peace Research Institute (SIPRI) and Second \
                    Institute (SI)";
        let whole = bracketed(text);
        assert_eq!(whole.len(), 5, "{whole:?}");
        for block in 1..=text.len() {
            let keys = read_bracketed_acronyms(text.as_bytes(), block).unwrap();
            let keys: BTreeSet<String> = keys.into_iter().collect();
            assert_eq!(keys, whole, "blocks of {block} bytes");
        }
    }

    fn organisation(name: &str) -> Entity {
        Entity {
            name: name.to_string(),
            kind: EntityKind::Organisation,
        }
    }

    fn pair(key: &str, name: &str) -> AcronymPair {
        (key.to_string(), organisation(name))
    }

    #[test]
    fn an_acronym_takes_the_long_form_of_most_definitions_in_any_order() {
        let pairs = [
            pair("bamg", "Balkan Arms Monitoring Group"),
            pair("ifo", "Institute For Others"),
            pair("ico", "International Coffee Organization"),
            pair("bamg", "Balkan Arms Monitoring Group"),
            pair("ico", "International Coffee Organisation"),
            pair("ifo", "International Fruit Organisation"),
            pair("ico", "International Coffee Organization"),
        ];
        let table = AcronymTable::from_pairs(&pairs);
        assert_eq!(table.len(), 2);
        assert_eq!(
            table.get("bamg").map(|e| e.name.as_str()),
            Some("Balkan Arms Monitoring Group")
        );
        assert_eq!(
            table.get("ico").map(|e| e.name.as_str()),
            Some("International Coffee Organization")
        );
        assert_eq!(table.get("ifo"), None, "one each: no majority");
        let mut reversed = pairs.to_vec();
        reversed.reverse();
        assert_eq!(AcronymTable::from_pairs(&reversed), table);
    }

    #[test]
    fn changed_keys_are_added_removed_or_changed() {
        let old = AcronymTable::from_pairs(&[pair("a", "A1"), pair("b", "B"), pair("c", "C")]);
        let new = AcronymTable::from_pairs(&[pair("a", "A2"), pair("b", "B"), pair("d", "D")]);
        let changed: Vec<String> = new.changed_keys(&old).into_iter().collect();
        assert_eq!(changed, ["a", "c", "d"]);
        assert!(new.changed_keys(&new).is_empty());
    }

    #[test]
    fn packed_tables_round_trip_with_a_name_from_their_content() {
        let table = AcronymTable::from_pairs(&[pair("bamg", "Balkan Arms Monitoring Group")]);
        let (name, bytes) = table.pack();
        assert!(name.starts_with(ACRONYMS_PREFIX) && name.ends_with(ACRONYMS_SUFFIX));
        assert_eq!(AcronymTable::unpack(&bytes).unwrap(), table);
        assert_ne!(AcronymTable::default().pack().0, name);
    }

    #[test]
    fn a_long_form_spells_its_acronym_with_its_initials() {
        for (long_form, acronym) in [
            ("Balkan Arms Monitoring Group", "BAMG"),
            ("Food and Drug Administration", "FDA"),
            ("London International Financial Futures Exchange", "LIFFE"),
            ("Industrial Bank of Japan Ltd", "IBJ"),
            ("Cie de Raffinage-Distribution", "CRD"),
            ("U.S. Department of Agriculture", "USDA"),
            ("Tokyo Commodity Exchange", "TOCOM"),
            ("Stockholm International Peace Research Institute", "SIPRI"),
            ("Électricité de France", "EDF"),
        ] {
            assert!(
                spells_acronym(long_form, acronym),
                "{long_form} ({acronym})"
            );
        }
        for (long_form, acronym) in [
            ("Elettrica", "ENEL"),
            ("Investment Centre", "IDIC"),
            ("Beard Oil Co", "BEC"),
            ("Development Assistance Committee", "DC"),
            ("Monitoring Group", "BAMG"),
            ("Balkan Arms Monitoring Group", "B"),
            ("", "BAMG"),
        ] {
            assert!(
                !spells_acronym(long_form, acronym),
                "{long_form} ({acronym})"
            );
        }
    }

    proptest::proptest! {
        /// `may_define` reads the window's words once; it decides as its definition does: the
        /// last n words, joined, spell the acronym, for some n.
        #[test]
        fn may_define_is_some_suffix_of_the_window_spelling_the_acronym(
            words in proptest::collection::vec(
                "[A-Z][a-z]{0,6}|[a-z]{1,4}|[A-Z]\\.[A-Z]\\.|[A-Z][a-z]+-[A-Z][a-z]+|Ö[a-z]{1,3}",
                0..20,
            ),
            acronym in "[A-ZÖ]{1,5}|[A-Z]\\.[A-Z]\\.",
        ) {
            let before = words.join(" ");
            let window: Vec<&str> = words
                .iter()
                .rev()
                .take(BRACKET_LOOKBACK_WORDS)
                .rev()
                .map(String::as_str)
                .collect();
            let last_capitalised = words
                .last()
                .is_some_and(|word| word.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()));
            let expected = last_capitalised
                && (1..=window.len())
                    .any(|n| spells_acronym(&window[window.len() - n..].join(" "), &acronym));
            proptest::prop_assert_eq!(may_define(before.as_bytes(), &acronym), expected);
        }
    }

    #[test]
    fn acronyms_are_capitals_only() {
        for yes in ["BAMG", "B.A.M.G.", "SIPRI", "ČEZ"] {
            assert!(is_acronym(yes), "{yes}");
        }
        for no in ["Bamg", "B", "G7", "BAMG Group", "", "12"] {
            assert!(!is_acronym(no), "{no}");
        }
    }
}
