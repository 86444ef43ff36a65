//! Query expansion by entity: query text -> extra low-scoring clauses on the `entity` field for
//! every entity a query word (or run of words) names, so that "Serbia" also finds a passage that
//! says only "Serbian ammunition", ranked below passages with the word itself. It leaves
//! queries with operators (`+`, `-`, AND, NOT, `field:`) alone, so as not to change what they
//! require, and it does not parse the query language itself.

use tantivy::Term;
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BooleanQuery, BoostQuery, Occur, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;

use crate::analysis::{analyse, english_analyzer};
use crate::analysis::keyword_analyzer;
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
/// operators that an added SHOULD clause could weaken). Each is a BM25 term query on the
/// `entity` field scaled so that it never scores more than `ENTITY_EXPANSION_SCORE`: as plain
/// (boosted) term queries they join the query's flat union of terms, where tantivy can skip
/// the postings that cannot reach the top (block-max WAND, when `wand_wins`); a constant-score
/// clause would switch that off for the whole query.
pub fn entity_expansion(
    extractor: &EntityExtractor,
    fields: &Fields,
    query_text: &str,
    statistics: &dyn Bm25StatisticsProvider,
) -> tantivy::Result<Option<Box<dyn Query>>> {
    let mut keys: Vec<String> = named_entities(extractor, query_text)
        .iter()
        .flat_map(|entity| analyse(&mut keyword_analyzer(), &entity.name))
        .collect();
    keys.sort();
    keys.dedup();
    let record_option = if keys.is_empty() || !wand_wins(fields, query_text, statistics)? {
        IndexRecordOption::Basic
    } else {
        IndexRecordOption::WithFreqs
    };
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
        let query = TermQuery::new(term, record_option);
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        ));
    }
    Ok((!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>))
}

/// How many times more passages the most frequent word of a query must match than the rarest
/// for block-max WAND to rank it faster than tantivy's exhaustive union.
const WAND_SKEW: u64 = 8;

/// Whether the expansion should read frequencies, so that the query's flat union of terms is
/// ranked by block-max WAND (tantivy uses it only when every term reads them) rather than
/// exhaustively. WAND wins when one word leads: a query of one word ("japan" and its entity:
/// 650 -> 226 µs at a million passages), or a rare word beside a frequent one ("usa OR
/// african", 186,731 and 3,677 passages: 1,250 -> 300 µs); it reads words of like frequency
/// slower than the union ("japan OR trade", 56,842 and 100,232: 1,175 -> 1,800 µs). Without
/// frequencies the expansion scores as it always did (an index built before `entity` kept them
/// reads without them in any case).
fn wand_wins(
    fields: &Fields,
    query_text: &str,
    statistics: &dyn Bm25StatisticsProvider,
) -> tantivy::Result<bool> {
    let Some(words) = query_words(query_text) else {
        return Ok(false);
    };
    if words.len() == 1 {
        return Ok(true);
    }
    let mut analyzer = english_analyzer();
    let mut doc_freqs = Vec::with_capacity(words.len());
    for word in words {
        for token in analyse(&mut analyzer, word) {
            doc_freqs.push(statistics.doc_freq(&Term::from_field_text(fields.all, &token))?);
        }
    }
    let (Some(&rarest), Some(&commonest)) = (doc_freqs.iter().min(), doc_freqs.iter().max())
    else {
        return Ok(false);
    };
    Ok(commonest >= rarest.max(1).saturating_mul(WAND_SKEW))
}

/// The canonical entities a query's plain words name, in query order (none when the query uses
/// operators or fields); both backends expand with them.
pub fn named_entities(extractor: &EntityExtractor, query_text: &str) -> Vec<Entity> {
    let Some(words) = query_words(query_text) else {
        return Vec::new();
    };
    let mut entities: Vec<Entity> = Vec::new();
    let mut idx = 0;
    while idx < words.len() {
        let mut matched = 0;
        for n_words in (1..=MAX_NAME_WORDS.min(words.len() - idx)).rev() {
            let run = &words[idx..idx + n_words];
            let key = entity_key(&run.join(" "));
            // Ruled out without reading the entity lists, for most query words.
            let form = match extractor.may_know(&key) {
                true => extractor.gazetteer().form(&key),
                false => None,
            };
            let Some(form) = form else {
                // An acronym an article of the index defines, written in capitals.
                if let [word] = run
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
            let in_capitals = !run.iter().flat_map(|w| w.chars()).any(char::is_lowercase);
            if form.acronym && !in_capitals {
                continue;
            }
            entities.push(extractor.gazetteer().known(form.entity).entity.clone());
            matched = n_words;
            break;
        }
        idx += matched.max(1);
    }
    entities
}

/// The plain words of a query, or `None` when it uses operators or fields.
fn query_words(query_text: &str) -> Option<Vec<&str>> {
    let mut words = Vec::new();
    for raw in query_text.split_whitespace() {
        if raw.starts_with('+') || raw.starts_with('-') || raw.contains(':') {
            return None;
        }
        if matches!(raw, "AND" | "NOT") {
            return None;
        }
        if raw == "OR" {
            continue;
        }
        let word = raw.trim_matches(|c: char| matches!(c, '"' | '(' | ')' | ',' | '?' | '!'));
        if !word.is_empty() {
            words.push(word);
        }
    }
    (!words.is_empty()).then_some(words)
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
        let Some(query) = entity_expansion(extractor, &handle.fields, query, &searcher).unwrap()
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
    fn the_entity_field_keeps_frequencies_for_block_max_wand() {
        // tantivy prunes a union of term queries only when every term reads frequencies.
        let handle = crate::index::create_in_ram();
        let entry = handle
            .index
            .schema()
            .get_field_entry(handle.fields.entity)
            .clone();
        let option = entry
            .field_type()
            .get_index_record_option()
            .expect("indexed");
        assert!(option.has_freq());
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
