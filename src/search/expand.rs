//! Query expansion by entity: query text -> extra low-scoring clauses on the `entity` field for
//! every entity a query word (or run of words) names, so that "Serbia" also finds a passage that
//! says only "Serbian ammunition", ranked below passages with the word itself. It leaves
//! queries with operators (`+`, `-`, AND, NOT, `field:`) alone, so as not to change what they
//! require, and it does not parse the query language itself. A quoted phrase expands only when
//! it names an entity as a whole: "british cars" asks for the words together, and a union with
//! every passage that mentions the United Kingdom would only cost time.

use tantivy::Term;
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, Occur, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;

use crate::analysis::{analyse, keyword_analyzer};
use crate::extract::acronyms::is_acronym;
use crate::extract::entities::{EntityExtractor, entity_key};
use crate::model::Entity;
use crate::schema::Fields;

/// The most a passage gets for mentioning a query's entity in another form: below what any
/// real match of a query word scores in practice, so such passages rank after those.
pub const ENTITY_EXPANSION_SCORE: f32 = 0.05;

/// The longest run of query words looked up as one name.
const MAX_NAME_WORDS: usize = 6;

/// The extra clauses for the entities the query names, or `None` when it names none (or uses
/// operators that an added SHOULD clause could weaken), with the most they add to a passage's
/// score. Each is a BM25 term query on the `entity` field scaled so that it never scores more
/// than `ENTITY_EXPANSION_SCORE`; a search ranks the query with them as one
/// `expanded::ExpandedQuery`, which seeks their postings rather than visiting them.
pub fn entity_expansion(
    extractor: &EntityExtractor,
    fields: &Fields,
    query_text: &str,
    statistics: &dyn Bm25StatisticsProvider,
) -> tantivy::Result<Option<(Box<dyn Query>, f32)>> {
    let mut keys: Vec<String> = named_entities(extractor, query_text)
        .iter()
        .flat_map(|entity| analyse(&mut keyword_analyzer(), &entity.name))
        .collect();
    keys.sort();
    keys.dedup();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(keys.len());
    for key in keys {
        let term = Term::from_field_text(fields.entity, &key);
        let max_score = Bm25Weight::for_terms(statistics, std::slice::from_ref(&term))?.max_score();
        // An empty index has no statistics (and no passage to score).
        let boost = if max_score.is_finite() && max_score > 0.0 {
            ENTITY_EXPANSION_SCORE / max_score
        } else {
            ENTITY_EXPANSION_SCORE
        };
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        ));
    }
    let max_bonus = ENTITY_EXPANSION_SCORE * clauses.len() as f32;
    Ok((!clauses.is_empty()).then(|| {
        (
            Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>,
            max_bonus,
        )
    }))
}

/// The canonical entities a query's plain words name, in query order (none when the query uses
/// operators or fields); both backends expand with them.
pub fn named_entities(extractor: &EntityExtractor, query_text: &str) -> Vec<Entity> {
    let Some(runs) = query_runs(query_text) else {
        return Vec::new();
    };
    let mut entities: Vec<Entity> = Vec::new();
    for run in &runs {
        name_entities_of_run(extractor, run, &mut entities);
    }
    entities
}

/// Pushes the entities one run of query words names: the longest names first, left to right;
/// a quoted phrase only as a whole ("british cars" is no mention of the United Kingdom).
fn name_entities_of_run(extractor: &EntityExtractor, run: &WordRun, entities: &mut Vec<Entity>) {
    let words = &run.words;
    let mut idx = 0;
    while idx < words.len() {
        let mut matched = 0;
        let longest = match run.quoted {
            true => words.len(),
            false => MAX_NAME_WORDS.min(words.len() - idx),
        };
        let shortest = if run.quoted { longest } else { 1 };
        for n_words in (shortest..=longest).rev() {
            let name = &words[idx..idx + n_words];
            let key = entity_key(&name.join(" "));
            // Ruled out without reading the entity lists, for most query words.
            let form = match extractor.may_know(&key) {
                true => extractor.gazetteer().form(&key),
                false => None,
            };
            let Some(form) = form else {
                // An acronym an article of the index defines, written in capitals.
                if let [word] = name
                    && is_acronym(word)
                    && let Some(entity) = extractor.corpus_acronym(word)
                {
                    entities.push(entity.clone());
                    matched = 1;
                    break;
                }
                continue;
            };
            // "who" in a query is not the WHO.
            let in_capitals = !name.iter().flat_map(|w| w.chars()).any(char::is_lowercase);
            if form.acronym && !in_capitals {
                continue;
            }
            entities.push(extractor.gazetteer().known(form.entity).entity.clone());
            matched = n_words;
            break;
        }
        if run.quoted {
            return;
        }
        idx += matched.max(1);
    }
}

/// Words of a query that may name an entity together: a quoted phrase (which names one only
/// as a whole), or the plain words between phrases (any run of which may name one).
struct WordRun<'q> {
    words: Vec<&'q str>,
    quoted: bool,
}

/// The query's words in runs (`WordRun`), or `None` when it uses operators or fields.
fn query_runs(query_text: &str) -> Option<Vec<WordRun<'_>>> {
    let mut runs: Vec<WordRun> = Vec::new();
    let mut in_quotes = false;
    for raw in query_text.split_whitespace() {
        if !in_quotes && (raw.starts_with('+') || raw.starts_with('-') || raw.contains(':')) {
            return None;
        }
        if !in_quotes && matches!(raw, "AND" | "NOT") {
            return None;
        }
        let opens = raw.starts_with('"') && !in_quotes;
        let quotes = raw.matches('"').count();
        let closes = (in_quotes || opens) && (quotes >= 2 || (in_quotes && quotes == 1));
        if raw == "OR" && !in_quotes {
            continue;
        }
        let word = raw.trim_matches(|c: char| matches!(c, '"' | '(' | ')' | ',' | '?' | '!'));
        let quoted = in_quotes || opens;
        let continues = runs
            .last()
            .is_some_and(|run| run.quoted == quoted && (in_quotes || !quoted));
        if !continues {
            runs.push(WordRun {
                words: Vec::new(),
                quoted,
            });
        }
        if !word.is_empty() {
            runs.last_mut().expect("pushed above").words.push(word);
        }
        in_quotes = quoted && !closes;
    }
    runs.retain(|run| !run.words.is_empty());
    (!runs.is_empty()).then_some(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded_keys(query: &str) -> Vec<String> {
        expanded_keys_with(&EntityExtractor::builtin(), query)
    }

    fn expanded_keys_with(extractor: &EntityExtractor, query: &str) -> Vec<String> {
        let handle = crate::index::create_in_ram();
        let searcher = handle.index.reader().unwrap().searcher();
        let Some((query, _)) =
            entity_expansion(extractor, &handle.fields, query, &searcher).unwrap()
        else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        query.query_terms(&mut |term, _| {
            if let Some(text) = term.value().as_str() {
                keys.push(text.to_string());
            }
        });
        keys.sort();
        keys
    }

    #[test]
    fn query_words_that_name_entities_expand_to_their_canonical_name() {
        assert_eq!(expanded_keys("ammunition Serbia"), ["serbia"]);
        assert_eq!(expanded_keys("serbian shells"), ["serbia"]);
        assert_eq!(
            expanded_keys("\"European Union\" OR EU"),
            ["european union"]
        );
        assert_eq!(
            expanded_keys("Bosnia-Herzegovina russian federation"),
            ["bosnia and herzegovina", "russia"]
        );
    }

    #[test]
    fn a_quoted_phrase_expands_only_when_it_names_an_entity_as_a_whole() {
        // The phrase asks for its words together: a word inside it is no mention of a place.
        assert!(expanded_keys("\"british cars\"").is_empty());
        assert!(expanded_keys("\"car ferry\" \"russian federation talks\"").is_empty());
        assert_eq!(expanded_keys("\"russian federation\""), ["russia"]);
        // Plain words beside a phrase still expand, and runs do not cross its quotes.
        assert_eq!(expanded_keys("british \"car ferry\""), ["united kingdom"]);
        assert_eq!(
            expanded_keys("\"car russian\" federation"),
            Vec::<String>::new()
        );
        assert_eq!(expanded_keys("\"Serbia\""), ["serbia"]);
    }

    #[test]
    fn acronyms_defined_in_the_corpus_expand_in_capitals() {
        let long_form = Entity {
            name: "Balkan Arms Monitoring Group".into(),
            kind: crate::model::EntityKind::Organisation,
        };
        let table =
            crate::extract::acronyms::AcronymTable::from_pairs(&[("bamg".to_string(), long_form)]);
        let extractor = EntityExtractor::builtin().with_acronyms(std::sync::Arc::new(table));
        assert_eq!(
            expanded_keys_with(&extractor, "BAMG shells"),
            ["balkan arms monitoring group"]
        );
        assert!(expanded_keys_with(&extractor, "bamg shells").is_empty());
        assert!(expanded_keys("BAMG shells").is_empty());
    }

    #[test]
    fn plain_words_and_operators_do_not_expand() {
        assert!(expanded_keys("ammunition exports").is_empty());
        assert!(expanded_keys("who said it").is_empty());
        assert!(expanded_keys("+ammunition Serbia").is_empty());
        assert!(expanded_keys("title:Serbia").is_empty());
        assert!(expanded_keys("Serbia NOT Croatia").is_empty());
    }
}
