//! Entity names as a reader types them: a name -> the `entity` terms an index holds that it
//! means (the canonical name, any form the lists know, or a unique part of one name such as a
//! surname: "Vucic", "Putin"), the candidates when a part names several entities ("Wagner"),
//! or the closest names when nothing matches. Reads the `entity` field's term dictionary and,
//! for messages, a stored passage per candidate; never writes, never ranks.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{TantivyDocument, Term};

use crate::analysis::keyword_analyzer;
use crate::error::{EntityNameProblem, IndexError};
use crate::extract::entities::EntityExtractor;
use crate::facets::parse_entity_label;
use crate::model::{EntityCandidate, EntityKind};
use crate::schema::Fields;

/// How many candidates or suggestions a message lists.
const MAX_LISTED: usize = 8;

/// A name folded as the `entity` field folds the names it indexes (lower case, ASCII).
pub fn fold(name: &str) -> String {
    let mut analyzer = keyword_analyzer();
    let mut stream = analyzer.token_stream(name.trim());
    let mut folded = String::new();
    while stream.advance() {
        folded.push_str(&stream.token().text);
    }
    folded
}

/// The words of a folded name: split on spaces, hyphens and periods ("Bosnia-Herzegovina").
fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split([' ', '-', '.'])
        .filter(|word| !word.is_empty())
}

/// Whether every word of `part` occurs in `name`, in order (`part` is a part of `name`).
pub fn is_part_of(part: &str, name: &str) -> bool {
    let mut name_words = words(name);
    let mut any = false;
    for word in words(part) {
        any = true;
        if !name_words.any(|candidate| candidate == word) {
            return false;
        }
    }
    any
}

/// The edit distance under which a folded name is offered as "did you mean": a word of it (or
/// the whole name) within 1 edit of a short name, 2 of a longer one.
fn close_distance(folded: &str) -> usize {
    if folded.chars().count() < 5 { 1 } else { 2 }
}

/// How far `name` is from what the user typed (`typed`, folded): the whole name's distance,
/// or a word's for a one-word `typed`.
fn distance(typed: &str, name: &str) -> usize {
    // At least the difference in length: most names are too long or short to be close, and
    // are passed over without computing the distance.
    let edits = |a: &str, b: &str| {
        if a.len().abs_diff(b.len()) > 2 {
            usize::MAX
        } else {
            strsim::levenshtein(a, b)
        }
    };
    let whole = edits(typed, name);
    if typed.contains(' ') {
        return whole;
    }
    words(name)
        .map(|word| edits(typed, word))
        .min()
        .map_or(whole, |best| best.min(whole))
}

/// Whether the entity `name` is one that `typed` may mean (`entities --like`): `typed` is part
/// of it (whole words in order), or a word of it, or all of it, is within a few edits.
pub fn is_like(typed: &str, name: &str) -> bool {
    let (typed, name) = (fold(typed), fold(name));
    !typed.is_empty()
        && (is_part_of(&typed, &name) || distance(&typed, &name) <= close_distance(&typed))
}

/// The folded names of the `entity` field that `keep` accepts, with their passages, over all
/// segments. Streams the term dictionary once; only accepted names are copied.
pub fn names_where(
    searcher: &tantivy::Searcher,
    field: Field,
    keep: impl Fn(&str) -> bool,
) -> tantivy::Result<HashMap<String, u64>> {
    let mut names: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted.terms().stream()?;
        while stream.advance() {
            let Ok(name) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if !keep(name) {
                continue;
            }
            let passages = u64::from(stream.value().doc_freq);
            match names.get_mut(name) {
                Some(total) => *total += passages,
                None => {
                    names.insert(name.to_string(), passages);
                }
            }
        }
    }
    Ok(names)
}

/// Whether `part` may be a part of `name`: a cheap substring test before `is_part_of`.
fn may_be_part_of(part: &str, name: &str) -> bool {
    words(part).all(|word| name.contains(word)) && is_part_of(part, name)
}

/// Passages holding the folded name `key`, over all segments.
fn doc_freq(searcher: &tantivy::Searcher, field: Field, key: &str) -> tantivy::Result<u64> {
    let term = Term::from_field_text(field, key);
    let mut total = 0;
    for segment in searcher.segment_readers() {
        total += u64::from(segment.inverted_index(field)?.doc_freq(&term)?);
    }
    Ok(total)
}

/// A tantivy error of `searcher`'s index, naming its directory.
fn tantivy_error(
    searcher: &tantivy::Searcher,
) -> impl Fn(tantivy::TantivyError) -> IndexError + Copy + '_ {
    |source| IndexError::Tantivy {
        path: std::path::PathBuf::from(format!("{:?}", searcher.index().directory())),
        source,
    }
}

/// A name as typed, trimmed, and whether it asks for that entity alone (`=NAME`), never for a
/// wider name it is part of.
pub fn split_exact(name: &str) -> (bool, &str) {
    let name = name.trim();
    match name.strip_prefix('=') {
        Some(rest) => (true, rest.trim()),
        None => (false, name),
    }
}

/// The folded `entity` terms that `name` means in this index: the name itself, or what the
/// lists or the corpus acronyms make of it ("Serbian" -> Serbia), when the index holds that and
/// no other name has it as a part; else the one name of the index that holds its words in
/// order, with the name itself when the index holds it too ("Putin" alone and "Vladimir
/// Putin"). Several such names ("Wagner": the Wagner Group the lists know, and Richard Wagner),
/// or none, is an error that lists the candidates or the closest names.
pub fn resolve(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    extractor: &EntityExtractor,
    name: &str,
) -> Result<Vec<String>, IndexError> {
    let tantivy_error = tantivy_error(searcher);
    let (exact, typed) = split_exact(name);
    let typed_key = fold(crate::extract::gazetteer::strip_possessive(typed));
    let key = fold(&extractor.resolve(typed).name);
    if key.is_empty() || typed_key.is_empty() {
        return Err(IndexError::Filter(format!("entity name `{name}` is empty")));
    }
    if exact {
        return Ok(vec![key]);
    }
    let listed =
        extractor.gazetteer().lookup(typed).is_some() || extractor.corpus_acronym(typed).is_some();
    let held = doc_freq(searcher, fields.entity, &key).map_err(tantivy_error)? > 0;
    // A name of the index given in full, or a canonical name the lists know.
    if held && typed_key == key && (listed || key.contains(' ')) {
        return Ok(vec![key]);
    }
    // The names that hold the name typed, or its canonical name, as a part (themselves too).
    let holding = names_where(searcher, fields.entity, |candidate| {
        may_be_part_of(&typed_key, candidate) || may_be_part_of(&key, candidate)
    })
    .map_err(tantivy_error)?;
    let mut wider: Vec<(&String, u64)> = holding
        .iter()
        .filter(|(candidate, _)| **candidate != key && **candidate != typed_key)
        .map(|(candidate, passages)| (candidate, *passages))
        .collect();
    // The name as typed, where the lists or the acronyms make another name of it and the index
    // also holds it as written (an acronym labelled before its definition was known).
    let as_typed =
        (typed_key != key && holding.contains_key(&typed_key)).then(|| typed_key.clone());
    if wider.is_empty() {
        if held || as_typed.is_some() {
            return Ok([held.then_some(key), as_typed]
                .into_iter()
                .flatten()
                .collect());
        }
        let limit = close_distance(&typed_key);
        let close_names = names_where(searcher, fields.entity, |candidate| {
            distance(&typed_key, candidate) <= limit
        })
        .map_err(tantivy_error)?;
        let mut close: Vec<(usize, &String, u64)> = close_names
            .iter()
            .map(|(candidate, passages)| (distance(&typed_key, candidate), candidate, *passages))
            .filter(|(distance, _, _)| *distance <= limit)
            .collect();
        close.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cmp(&a.2)).then(a.1.cmp(b.1)));
        close.truncate(MAX_LISTED);
        let keys: Vec<(&String, u64)> = close.into_iter().map(|(_, k, n)| (k, n)).collect();
        return Err(IndexError::EntityName {
            name: typed.to_string(),
            problem: EntityNameProblem::Unknown(candidates(searcher, fields, &keys)?),
        });
    }
    // One wider name that a name no list knows is part of: a surname, a short name.
    if wider.len() == 1 && !(held && listed) {
        let mut keys = vec![wider[0].0.clone()];
        keys.extend(held.then_some(key));
        keys.extend(as_typed);
        return Ok(keys);
    }
    if held {
        let passages = holding.get(&key).copied().unwrap_or(0);
        wider.push((&key, passages));
    }
    wider.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    wider.truncate(MAX_LISTED);
    Err(IndexError::EntityName {
        name: typed.to_string(),
        problem: EntityNameProblem::Ambiguous(candidates(searcher, fields, &wider)?),
    })
}

/// The folded names `keys` as entities of the index: the name and kind of the label of a
/// passage that holds each (a spelling with diacritics wins when the passage holds several).
pub fn candidates(
    searcher: &tantivy::Searcher,
    fields: &Fields,
    keys: &[(&String, u64)],
) -> Result<Vec<EntityCandidate>, IndexError> {
    let tantivy_error = tantivy_error(searcher);
    let mut found = Vec::with_capacity(keys.len());
    for (key, passages) in keys {
        let query = TermQuery::new(
            Term::from_field_text(fields.entity, key),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(tantivy_error)?;
        let mut best: Option<(String, EntityKind)> = None;
        if let Some((_, address)) = top.first() {
            let document: TantivyDocument = searcher.doc(*address).map_err(tantivy_error)?;
            for entity in crate::index::stored_entity_labels(fields, &document)
                .filter_map(parse_entity_label)
                .filter(|entity| fold(&entity.name) == **key)
            {
                if best
                    .as_ref()
                    .is_none_or(|(name, _)| name.is_ascii() && !entity.name.is_ascii())
                {
                    best = Some((entity.name, entity.kind));
                }
            }
        }
        let (name, kind) = best.unwrap_or_else(|| ((*key).clone(), EntityKind::Other));
        found.push(EntityCandidate {
            name,
            kind,
            passages: *passages,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of one article whose passages hold these entities.
    fn index_of(passages: &[&[(&str, EntityKind)]]) -> crate::index::IndexHandle {
        let with_text: Vec<(&str, &[(&str, EntityKind)])> = passages
            .iter()
            .map(|entities| ("text", *entities))
            .collect();
        crate::entity_stats::tests::index_of(&with_text)
    }

    fn resolve_in(
        handle: &crate::index::IndexHandle,
        name: &str,
    ) -> Result<Vec<String>, IndexError> {
        let reader = handle.index.reader().unwrap();
        let mut keys = resolve(
            &reader.searcher(),
            &handle.fields,
            &EntityExtractor::builtin(),
            name,
        )?;
        keys.sort();
        Ok(keys)
    }

    use EntityKind::{Organisation, Person, Place};

    #[test]
    fn a_part_of_one_name_means_that_name() {
        let handle = index_of(&[
            &[("Aleksandar Vučić", Person), ("Serbia", Place)],
            &[("Vladimir Putin", Person)],
            &[("Putin", Person)],
        ]);
        for typed in ["Vucic", "Vučić", "vucic", "Aleksandar Vucic", "VUČIĆ"] {
            assert_eq!(
                resolve_in(&handle, typed).unwrap(),
                vec!["aleksandar vucic"],
                "{typed}"
            );
        }
        // The surname alone and the full name: both passages.
        assert_eq!(
            resolve_in(&handle, "Putin").unwrap(),
            vec!["putin", "vladimir putin"]
        );
        // A form the lists know resolves to the canonical name.
        assert_eq!(resolve_in(&handle, "Serbian").unwrap(), vec!["serbia"]);
    }

    #[test]
    fn a_part_of_several_names_lists_them_and_uses_none() {
        let handle = index_of(&[
            &[("Wagner Group", Organisation)],
            &[("Wagner Group", Organisation)],
            &[("Richard Wagner", Person)],
        ]);
        let Err(IndexError::EntityName {
            problem: EntityNameProblem::Ambiguous(candidates),
            ..
        }) = resolve_in(&handle, "Wagner")
        else {
            panic!("Wagner should be ambiguous");
        };
        assert_eq!(
            candidates,
            vec![
                EntityCandidate {
                    name: "Wagner Group".into(),
                    kind: Organisation,
                    passages: 2
                },
                EntityCandidate {
                    name: "Richard Wagner".into(),
                    kind: Person,
                    passages: 1
                },
            ]
        );
        // The full name is no longer ambiguous, nor `=NAME`, the entity of that name alone.
        assert_eq!(
            resolve_in(&handle, "Richard Wagner").unwrap(),
            vec!["richard wagner"]
        );
        assert_eq!(
            resolve_in(&handle, "=Wagner").unwrap(),
            vec!["wagner group"]
        );
        assert_eq!(
            resolve_in(&handle, "=Wagner Group").unwrap(),
            vec!["wagner group"]
        );
    }

    #[test]
    fn an_unknown_name_suggests_the_closest_names() {
        let handle = index_of(&[&[("Volodymyr Zelenskyy", Person)], &[("Serbia", Place)]]);
        let error = resolve_in(&handle, "Zelensky").unwrap_err();
        let IndexError::EntityName {
            problem: EntityNameProblem::Unknown(suggestions),
            ..
        } = &error
        else {
            panic!("unexpected {error:?}");
        };
        assert_eq!(suggestions[0].name, "Volodymyr Zelenskyy");
        assert!(
            error
                .to_string()
                .contains("Volodymyr Zelenskyy (person, 1 passage)")
        );
        let error = resolve_in(&handle, "Qwertyuiop").unwrap_err();
        assert!(
            matches!(&error, IndexError::EntityName { problem: EntityNameProblem::Unknown(s), .. } if s.is_empty()),
            "{error:?}"
        );
    }

    #[test]
    fn like_takes_parts_and_near_spellings() {
        assert!(is_like("Vucic", "Aleksandar Vučić"));
        assert!(is_like("zelensky", "Volodymyr Zelenskyy"));
        assert!(is_like("Putin", "Vladimir Putin"));
        assert!(!is_like("Putin", "Serbia"));
        assert!(!is_like("", "Serbia"));
    }

    #[test]
    fn parts_are_whole_words_in_order() {
        assert!(is_part_of("vucic", "aleksandar vucic"));
        assert!(is_part_of("herzegovina", "bosnia-herzegovina"));
        assert!(is_part_of("vladimir putin", "vladimir vladimirovich putin"));
        assert!(!is_part_of("putin vladimir", "vladimir putin"));
        assert!(!is_part_of("vuc", "aleksandar vucic"));
        assert!(!is_part_of("", "aleksandar vucic"));
    }
}
