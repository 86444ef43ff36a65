//! Person names as a reader means them: titles and honorifics are not part of a name
//! ("President Vučić", "Mr Blair", "Chancellor Gordon Brown" -> the person), and a surname used
//! alone in an article means the one person of that surname the article names in full ("Blair"
//! in a headline above "Tony Blair"). Pure rules over words and entity lists; the tagger and
//! the lists decide what is a name at all.

use rustc_hash::FxHashMap;

use crate::extract::gazetteer::entity_key;
use crate::model::{Entity, EntityKind};

/// Words that make the name after them a person's, whatever the tagger said, and are no part
/// of it (lower case, without a final period).
const HONORIFICS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "sir",
    "dame",
    "madam",
    "president",
    "senator",
    "sen",
    "rep",
    "pope",
    "ayatollah",
    "sheikh",
    "rev",
    "reverend",
];

/// Titles that stand before a person's name and are no part of it, when the words are a
/// person's ("Prime Minister", "General"; "General Motors" stays a company).
const TITLES: &[&str] = &[
    "prime",
    "minister",
    "chancellor",
    "premier",
    "vice",
    "deputy",
    "foreign",
    "finance",
    "defence",
    "defense",
    "interior",
    "secretary",
    "general",
    "gen",
    "colonel",
    "col",
    "lieutenant",
    "lt",
    "captain",
    "capt",
    "sergeant",
    "sgt",
    "admiral",
    "commander",
    "governor",
    "gov",
    "mayor",
    "king",
    "queen",
    "prince",
    "princess",
    "emperor",
    "empress",
    "cardinal",
    "archbishop",
    "bishop",
    "imam",
    "rabbi",
    "judge",
    "justice",
    "chairman",
    "chairwoman",
    "chief",
    "ambassador",
    "former",
    "acting",
    "lord",
    "lady",
    "professor",
    "prof",
    "congressman",
    "congresswoman",
    "representative",
];

/// Titles that are no name on their own either ("the Minister said"); a title that is also a
/// common surname ("King", "Bishop") is not among them.
const NEVER_ALONE: &[&str] = &[
    "prime",
    "minister",
    "chancellor",
    "premier",
    "secretary",
    "governor",
    "mayor",
    "ambassador",
    "chairman",
    "chairwoman",
];

/// Titles that, inside a run of capitalised words, end an organisation's or a place's name and
/// start a person's ("Federal Reserve Governor Lawrence Lindsey", "Chrysler Chairman Lee
/// Iacocca"): they name an office of the words before them.
const OFFICES: &[&str] = &[
    "governor",
    "chairman",
    "chairwoman",
    "president",
    "minister",
    "spokesman",
    "spokeswoman",
    "director",
    "chancellor",
    "premier",
    "mayor",
    "ambassador",
    "senator",
    "commissioner",
    "secretary",
    "chief",
];

/// Words that may follow an office in a title ("Chief Executive", "Finance Minister").
const TITLE_WORDS: &[&str] = &["executive", "officer", "general"];

/// Where a run of capitalised words (each with whether it holds a capital letter) that names
/// an office holder after an organisation or place splits: the index of the office word and of
/// the first word of the person's name, when a name follows the title. `None` when the run has
/// no office inside it, or nothing capitalised before it or after it.
pub fn office_holder(words: &[(&str, bool)]) -> Option<(usize, usize)> {
    let office = (1..words.len().saturating_sub(1))
        .find(|&at| listed(OFFICES, words[at].0) && words[at - 1].1 && words[at].1)?;
    let mut name = office + 1;
    while name < words.len()
        && (listed(OFFICES, words[name].0)
            || is_title(words[name].0)
            || listed(TITLE_WORDS, words[name].0))
    {
        name += 1;
    }
    (name < words.len() && words[name..].iter().all(|(_, capital)| *capital))
        .then_some((office, name))
}

/// Suffixes after a surname ("George Bush Jr", "Elizabeth I"), skipped to find the surname.
const SUFFIXES: &[&str] = &[
    "jr", "sr", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii",
    "xiv", "xv", "xvi",
];

/// Whether `word` is a suffix after a surname (`SUFFIXES`).
pub fn is_suffix(word: &str) -> bool {
    listed(SUFFIXES, word)
}

/// Whether `word` is a regnal number in capitals ("Elizabeth I", "Charles VI", "Benedict XVI").
pub fn is_regnal_number(word: &str) -> bool {
    word.len() <= 5
        && word.bytes().all(|byte| matches!(byte, b'I' | b'V' | b'X'))
        && listed(SUFFIXES, word)
}

/// Words inside a person's run of capitalised words that are no part of the name, which
/// starts after them ("Democrat Walter Mondale", "Chicago Cardinal Joseph Bernardin",
/// "Secretary of State John Kornblum"): the titles and honorifics, but those that are also
/// names ("King", "Lord") or end a name ("Justice").
const INNER_TITLES: &[&str] = &[
    "democrat",
    "republican",
    "fullback",
    "striker",
    "midfielder",
    "defender",
    "goalkeeper",
    "coach",
    "cardinal",
    "archbishop",
    "bishop",
    "president",
    "senator",
    "minister",
    "secretary",
    "governor",
    "chairman",
    "ambassador",
    "general",
    "colonel",
    "captain",
    "commander",
    "mayor",
    "premier",
    "chancellor",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
];

/// Where the person's name starts in a person's run of `words` that holds a title
/// (`INNER_TITLES`) before its last word: after the last such word, when a name that is not
/// only a suffix follows it.
pub fn after_inner_title(words: &[&str]) -> Option<usize> {
    let title = (0..words.len().saturating_sub(1))
        .rev()
        .find(|&at| listed(INNER_TITLES, words[at]))?;
    (!words[title + 1..].iter().all(|word| listed(SUFFIXES, word))).then_some(title + 1)
}

/// Whether `list` holds the word, in any case, without its final period.
fn listed(list: &[&str], word: &str) -> bool {
    let word = word.strip_suffix('.').unwrap_or(word);
    word.len() <= 14 && list.iter().any(|entry| entry.eq_ignore_ascii_case(word))
}

fn is_honorific(word: &str) -> bool {
    listed(HONORIFICS, word)
}

fn is_title(word: &str) -> bool {
    listed(TITLES, word)
}

/// Whether a span that starts with `word` may start with a title (the cheap test before
/// `strip_titles`).
pub fn may_start_with_title(word: &str) -> bool {
    is_honorific(word) || is_title(word)
}

/// What is left of a name span of `words` (each with whether it holds a capital letter) once
/// leading titles are dropped: how many words to skip, and whether the rest is a person's name
/// (`person`, or an honorific made it one). `None` when the span is only a title ("Minister",
/// "Mr"), which names nobody.
pub fn strip_titles(words: &[(&str, bool)], person: bool) -> Option<(usize, bool)> {
    let mut person = person;
    if let [(word, _)] = words {
        if is_honorific(word) || (person && listed(NEVER_ALONE, word)) {
            return None;
        }
        return Some((0, person));
    }
    let mut skip = 0;
    while skip + 1 < words.len() {
        let (word, _) = words[skip];
        if is_honorific(word) {
            person = true;
        } else if !(person && is_title(word)) {
            break;
        }
        skip += 1;
    }
    // What follows the titles must be a name, not a connector ("Lord of the Rings").
    if skip > 0 && !words[skip].1 {
        return Some((0, person));
    }
    Some((skip, person))
}

/// The surname of a person's name of several words: its last word, before a suffix.
pub fn surname(name: &str) -> Option<&str> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let mut end = words.len();
    while end > 2 && listed(SUFFIXES, words[end - 1]) {
        end -= 1;
    }
    (end >= 2 && !listed(SUFFIXES, words[end - 1])).then(|| words[end - 1])
}

/// Replaces, in an article's entity lists (one a passage), every one-word name that is the
/// surname of exactly one person the article names in full by that person, unless `known`
/// says a list knows the word (a place or organisation of that name). Each list stays sorted
/// and without repeats.
pub fn resolve_short_names(lists: &mut [&mut Vec<Entity>], known: impl Fn(&str) -> bool) {
    // Surname key -> the one full name, or `None` when two people of the article share it.
    let mut people: FxHashMap<String, Option<Entity>> = FxHashMap::default();
    for entity in lists.iter().flat_map(|list| list.iter()) {
        if entity.kind != EntityKind::Person {
            continue;
        }
        let Some(surname) = surname(&entity.name) else {
            continue;
        };
        people
            .entry(entity_key(surname))
            .and_modify(|full| {
                if full.as_ref() != Some(entity) {
                    *full = None;
                }
            })
            .or_insert_with(|| Some(entity.clone()));
    }
    if people.is_empty() {
        return;
    }
    for list in lists.iter_mut() {
        let mut replaced = false;
        for entity in list.iter_mut() {
            if entity.name.contains(char::is_whitespace) || entity.kind == EntityKind::Place {
                continue;
            }
            if let Some(Some(full)) = people.get(&entity_key(&entity.name))
                && !known(&entity.name)
            {
                *entity = full.clone();
                replaced = true;
            }
        }
        if replaced {
            list.sort_unstable();
            list.dedup();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(words: &[&str], person: bool) -> Option<(Vec<String>, bool)> {
        let flagged: Vec<(&str, bool)> = words
            .iter()
            .map(|word| (*word, word.chars().any(char::is_uppercase)))
            .collect();
        strip_titles(&flagged, person).map(|(skip, person)| {
            (
                words[skip..].iter().map(|word| word.to_string()).collect(),
                person,
            )
        })
    }

    #[test]
    fn titles_and_honorifics_are_not_part_of_a_name() {
        let check = |words: &[&str], person: bool, expected: &[&str], is_person: bool| {
            let expected: Vec<String> = expected.iter().map(|word| word.to_string()).collect();
            assert_eq!(
                strip(words, person),
                Some((expected, is_person)),
                "{words:?}"
            );
        };
        check(&["Mr", "Blair"], false, &["Blair"], true);
        check(&["Mr.", "Smith"], true, &["Smith"], true);
        check(&["President", "Vučić"], false, &["Vučić"], true);
        check(
            &["Chancellor", "Gordon", "Brown"],
            true,
            &["Gordon", "Brown"],
            true,
        );
        check(
            &["Prime", "Minister", "Tony", "Blair"],
            true,
            &["Tony", "Blair"],
            true,
        );
        // A title that is not an honorific is kept unless the words are a person's.
        check(&["General", "Motors"], false, &["General", "Motors"], false);
        check(&["King", "Abdullah"], true, &["Abdullah"], true);
        // What follows must be a name.
        check(
            &["Lord", "of", "the", "Rings"],
            true,
            &["Lord", "of", "the", "Rings"],
            true,
        );
        // A surname that is also a title stays a name alone.
        check(&["King"], true, &["King"], true);
        check(&["John", "Major"], true, &["John", "Major"], true);
        assert_eq!(strip(&["Mr"], false), None);
        assert_eq!(strip(&["Minister"], true), None);
    }

    fn person(name: &str) -> Entity {
        Entity {
            name: name.into(),
            kind: EntityKind::Person,
        }
    }

    fn place(name: &str) -> Entity {
        Entity {
            name: name.into(),
            kind: EntityKind::Place,
        }
    }

    fn resolve(mut passages: Vec<Vec<Entity>>, known: &[&str]) -> Vec<Vec<Entity>> {
        let mut lists: Vec<&mut Vec<Entity>> = passages.iter_mut().collect();
        resolve_short_names(&mut lists, |name| known.contains(&name));
        passages
    }

    #[test]
    fn a_surname_means_the_one_person_the_article_names_in_full() {
        // The headline's "Blair" comes before the full name.
        let resolved = resolve(
            vec![
                vec![person("Blair")],
                vec![person("George Bush Jr"), person("Tony Blair")],
                vec![person("Blair"), person("Bush"), person("Tony Blair")],
            ],
            &[],
        );
        assert_eq!(
            resolved,
            vec![
                vec![person("Tony Blair")],
                vec![person("George Bush Jr"), person("Tony Blair")],
                vec![person("George Bush Jr"), person("Tony Blair")],
            ]
        );
    }

    #[test]
    fn a_surname_of_two_people_or_a_known_place_stays_as_written() {
        let resolved = resolve(
            vec![
                vec![person("Ralf Schumacher"), person("Michael Schumacher")],
                vec![person("Schumacher")],
                vec![place("Washington"), person("Denzel Washington")],
                vec![person("Jordan"), person("Michael Jordan")],
            ],
            &["Jordan"],
        );
        assert_eq!(resolved[1], vec![person("Schumacher")]);
        assert_eq!(
            resolved[2],
            vec![place("Washington"), person("Denzel Washington")]
        );
        assert_eq!(
            resolved[3],
            vec![person("Jordan"), person("Michael Jordan")]
        );
    }

    #[test]
    fn an_office_inside_a_run_splits_it_before_the_holders_name() {
        fn flag(text: &str) -> Vec<(&str, bool)> {
            text.split(' ')
                .map(|word| (word, word.chars().any(char::is_uppercase)))
                .collect()
        }
        assert_eq!(
            office_holder(&flag("Federal Reserve Governor Lawrence Lindsey")),
            Some((2, 3))
        );
        assert_eq!(
            office_holder(&flag("IBM Chief Executive John Akers")),
            Some((1, 3))
        );
        // No name after the office, an office that starts the run, or a lower-case word.
        assert_eq!(office_holder(&flag("Bank of England Governor")), None);
        assert_eq!(office_holder(&flag("President George Bush")), None);
        assert_eq!(office_holder(&flag("Board of Governors")), None);
        assert_eq!(office_holder(&flag("Reserve Governor of Texas")), None);
    }

    #[test]
    fn inner_titles_start_the_name_and_regnal_numbers_end_it() {
        let words = |text: &'static str| text.split(' ').collect::<Vec<_>>();
        assert_eq!(
            after_inner_title(&words("Democrat Walter Mondale")),
            Some(1)
        );
        assert_eq!(
            after_inner_title(&words("Chicago Cardinal Joseph Bernardin")),
            Some(2)
        );
        assert_eq!(after_inner_title(&words("Martin Luther King Jr")), None);
        assert_eq!(after_inner_title(&words("Bill Clinton")), None);
        assert!(is_regnal_number("VI") && is_regnal_number("I"));
        assert!(!is_regnal_number("vi") && !is_regnal_number("IVX"));
        assert_eq!(surname("Charles VI"), None);
        assert_eq!(surname("George Bush Jr"), Some("Bush"));
    }
}
