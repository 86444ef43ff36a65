//! Entity extraction: passage text -> canonical named entities. A gazetteer maps every known
//! form (name, alias, adjective) to one canonical entity; capitalised runs that no list holds
//! become entities of their own. Pure; knowledge is loaded once and shared read-only.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::model::{Article, Entity, EntityKind, Passage};

/// Built-in knowledge: `canonical name|kind|alias;alias;...`, one entity a line.
const BUILTIN: &str = "\
Serbia|place|Serbian;Serbians;Republic of Serbia
Ukraine|place|Ukrainian;Ukrainians
Russia|place|Russian;Russians;Russian Federation
Bosnia and Herzegovina|place|Bosnia-Herzegovina;Bosnia;Bosnian;Bosnians
Croatia|place|Croatian;Croatians
Germany|place|German;Germans
France|place|French
Poland|place|Polish;Poles
Czech Republic|place|Czechia;Czech
Slovakia|place|Slovak;Slovakian
Hungary|place|Hungarian;Hungarians
Romania|place|Romanian;Romanians
Bulgaria|place|Bulgarian;Bulgarians
Italy|place|Italian;Italians
Spain|place|Spanish
United Kingdom|place|UK;U.K.;Britain;British;Great Britain
United States|place|US;U.S.;USA;U.S.A.;America;American;Americans
China|place|Chinese
Turkey|place|Turkish;Turkiye;Türkiye
Montenegro|place|Montenegrin
North Macedonia|place|Macedonia;Macedonian
Albania|place|Albanian
Kosovo|place|Kosovar
Western Balkans|place|Western Balkan
European Union|organisation|EU;E.U.
North Atlantic Treaty Organization|organisation|NATO;North Atlantic Treaty Organisation
Stockholm International Peace Research Institute|organisation|SIPRI
";

/// Small words that may sit inside a multi-word proper name ("Bank of England").
const CONNECTORS: &[&str] = &["of", "the", "and", "for", "de", "von", "van", "al"];

/// Folds a name to its lookup key: diacritics and case removed, possessive dropped,
/// whitespace collapsed. "Vučić's" and "VUCIC" both give "vucic".
pub fn entity_key(name: &str) -> String {
    let name = strip_possessive(name.trim());
    let folded = deunicode::deunicode(name).to_lowercase();
    // Most names are already single-spaced; only the others pay for collapsing.
    let is_collapsed = !folded.starts_with(' ')
        && !folded.ends_with(' ')
        && !folded.contains("  ")
        && !folded.contains(|c: char| c.is_whitespace() && c != ' ');
    if is_collapsed {
        return folded;
    }
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_possessive(word: &str) -> &str {
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix("\u{2019}s"))
        .or_else(|| word.strip_suffix('\''))
        .unwrap_or(word)
}

/// The gazetteer and the rules that turn text into canonical entities.
#[derive(Debug, Clone)]
pub struct EntityExtractor {
    by_key: HashMap<String, Entity>,
    longest_alias_words: usize,
    /// First words of the keys of several words: a run of words whose first word is not here
    /// cannot be a known form, which spares building its key (most of the extraction's time).
    multi_word_heads: HashSet<String>,
}

/// The first word of the key of any run of words that starts with `word`; empty when `word`
/// is all punctuation (then the run's key starts with a later word).
fn head_key(word: &str) -> String {
    let trimmed = word.trim_start_matches(|c: char| {
        !c.is_alphanumeric() && c != '.' && c != '\'' && c != '\u{2019}'
    });
    let folded = deunicode::deunicode(trimmed).to_lowercase();
    folded.split_whitespace().next().unwrap_or("").to_string()
}

impl EntityExtractor {
    /// The extractor with newsdex's built-in knowledge.
    pub fn builtin() -> EntityExtractor {
        let mut extractor = EntityExtractor {
            by_key: HashMap::new(),
            longest_alias_words: 1,
            multi_word_heads: HashSet::new(),
        };
        for line in BUILTIN.lines() {
            let mut fields = line.split('|');
            let (Some(name), Some(kind), aliases) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let Some(kind) = EntityKind::parse(kind) else {
                continue;
            };
            let entity = Entity {
                name: name.to_string(),
                kind,
            };
            extractor.add_form(name, &entity);
            for alias in aliases.unwrap_or("").split(';').filter(|a| !a.is_empty()) {
                extractor.add_form(alias, &entity);
            }
        }
        extractor
    }

    fn add_form(&mut self, form: &str, entity: &Entity) {
        let key = entity_key(form);
        self.longest_alias_words = self.longest_alias_words.max(key.split(' ').count());
        if let Some((head, _)) = key.split_once(' ') {
            self.multi_word_heads.insert(head.to_string());
        }
        self.by_key.insert(key, entity.clone());
    }

    /// The canonical entity for a name as a user typed it; unknown names keep their spelling
    /// with kind `other`.
    pub fn resolve(&self, name: &str) -> Entity {
        self.by_key
            .get(&entity_key(name))
            .cloned()
            .unwrap_or_else(|| Entity {
                name: name.trim().to_string(),
                kind: EntityKind::Other,
            })
    }

    /// Finds the entities of one text, deduplicated and sorted by kind and name.
    pub fn extract(&self, text: &str) -> Vec<Entity> {
        let mut found = BTreeSet::new();
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut word_idx = 0;
        while word_idx < words.len() {
            // Longest known form first.
            let mut matched = 0;
            let head = head_key(words[word_idx]);
            let longest = if head.is_empty() || self.multi_word_heads.contains(&head) {
                self.longest_alias_words
            } else {
                1
            };
            for n_words in (1..=longest.min(words.len() - word_idx)).rev() {
                let candidate = join_words(&words[word_idx..word_idx + n_words]);
                if let Some(entity) = self.by_key.get(&entity_key(&candidate)) {
                    found.insert(entity.clone());
                    matched = n_words;
                    break;
                }
            }
            if matched > 0 {
                word_idx += matched;
                continue;
            }
            // An unknown run of capitalised words (two or more) is a proper name.
            let run = capitalised_run(&words[word_idx..]);
            if run >= 2 {
                let name = join_words(&words[word_idx..word_idx + run]);
                let name = strip_possessive(&name).to_string();
                found.insert(Entity {
                    name,
                    kind: EntityKind::Other,
                });
                word_idx += run;
            } else {
                word_idx += 1;
            }
        }
        found.into_iter().collect()
    }

    /// Fills in the entities of every passage of one article, adding the article's own labels to
    /// the lead so that they are searchable.
    pub fn annotate(&self, article: &Article, passages: &mut [Passage]) {
        for passage in passages.iter_mut() {
            passage.entities = self.extract(&passage.text);
        }
        if let Some(first) = passages.first_mut() {
            for given in &article.given_entities {
                let mut entity = self.resolve(&given.name);
                // A label the gazetteer does not know keeps the kind its source gave it.
                if entity.kind == EntityKind::Other {
                    entity.kind = given.kind;
                }
                if !first.entities.contains(&entity) {
                    first.entities.push(entity);
                }
            }
            first.entities.sort();
        }
    }
}

/// Joins words with single spaces after trimming punctuation at the edges of the run.
fn join_words(words: &[&str]) -> String {
    let joined = words.join(" ");
    joined
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '\'' && c != '\u{2019}')
        .trim_end_matches(['.', ','])
        .to_string()
}

fn is_capitalised(word: &str) -> bool {
    word.trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .next()
        .is_some_and(char::is_uppercase)
}

/// Length of the run of capitalised words (with connectors inside) at the start of `words`.
/// A run ends after a word that ends with punctuation.
fn capitalised_run(words: &[&str]) -> usize {
    let mut last_capitalised = 0;
    for (idx, word) in words.iter().enumerate() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric());
        if is_capitalised(word) {
            last_capitalised = idx + 1;
        } else if idx == 0 || !CONNECTORS.contains(&bare) {
            break;
        }
        if word.ends_with([',', '.', ';', ':', ')', '"', '?', '!']) || word.ends_with("'s") {
            break;
        }
    }
    last_capitalised
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        EntityExtractor::builtin()
            .extract(text)
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn keys_fold_case_diacritics_and_possessives() {
        assert_eq!(entity_key("Vučić"), "vucic");
        assert_eq!(entity_key("VUCIC"), "vucic");
        assert_eq!(entity_key("Serbia's"), "serbia");
    }

    #[test]
    fn adjectives_and_aliases_map_to_their_entity() {
        assert_eq!(
            names("Serbian ammunition reached Ukraine's army, the EU said."),
            ["European Union", "Serbia", "Ukraine"]
        );
    }

    #[test]
    fn unknown_capitalised_runs_are_names() {
        let found = names("They met Aleksandar Vucic in Belgrade.");
        assert!(found.contains(&"Aleksandar Vucic".to_string()), "{found:?}");
    }

    #[test]
    fn resolve_accepts_any_alias() {
        let extractor = EntityExtractor::builtin();
        assert_eq!(
            extractor.resolve("bosnia-herzegovina").name,
            "Bosnia and Herzegovina"
        );
        assert_eq!(extractor.resolve("U.S.").name, "United States");
    }
}
