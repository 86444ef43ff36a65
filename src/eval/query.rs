//! Evaluation queries: free text -> a bag-of-words tantivy query over title, section and text
//! with `Searcher`'s boosts. Every analysed word is an optional clause, so punctuation,
//! parentheses, colons and words like AND/NOT in test queries mean nothing. It does not parse
//! the query language (that is `search`'s job) and it does not rank.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::schema::{Fields, english_analyzer};
use crate::search::{FieldBoosts, analyse};

/// The fields a plain word is searched in, with their boosts, as `Searcher` searches them.
fn weighted_fields(fields: &Fields, boosts: FieldBoosts) -> [(tantivy::schema::Field, f32); 3] {
    [
        (fields.title, boosts.title),
        (fields.section, boosts.section),
        (fields.text, 1.0),
    ]
}

/// The analysed words of `text`, in order, repeats kept (a repeated word weighs more, as it
/// does in the query parser).
pub fn query_words(text: &str) -> Vec<String> {
    analyse(&mut english_analyzer(), text)
}

/// A query in which any word may match, scored as the sum of each word's BM25 score in each
/// field times the field's boost. `None` when no searchable word is left (only stop words or
/// punctuation).
pub fn bag_of_words_query(
    fields: &Fields,
    text: &str,
    boosts: FieldBoosts,
) -> Option<Box<dyn Query>> {
    let words = query_words(text);
    if words.is_empty() {
        return None;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(words.len() * 3);
    for word in &words {
        for (field, boost) in weighted_fields(fields, boosts) {
            let term_query = TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            );
            let clause: Box<dyn Query> = if boost == 1.0 {
                Box::new(term_query)
            } else {
                Box::new(BoostQuery::new(Box::new(term_query), boost))
            };
            clauses.push((Occur::Should, clause));
        }
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::create_in_ram;
    use crate::schema::build_schema;
    use proptest::prelude::*;

    #[test]
    fn punctuation_and_operators_are_plain_text() {
        assert_eq!(
            query_words("What is TSS (Time-Sharing System)? title:AND NOT \"xyz"),
            ["tss", "time", "share", "system", "titl", "xyz"]
        );
    }

    #[test]
    fn only_stop_words_or_punctuation_give_no_query() {
        let (_, fields) = build_schema();
        assert!(bag_of_words_query(&fields, "the of and", FieldBoosts::default()).is_none());
        assert!(bag_of_words_query(&fields, "?!() :", FieldBoosts::default()).is_none());
        assert!(bag_of_words_query(&fields, "ammunition", FieldBoosts::default()).is_some());
    }

    #[test]
    fn every_word_is_searched_in_the_three_fields() {
        let (_, fields) = build_schema();
        let query = bag_of_words_query(&fields, "serbian shells", FieldBoosts::default()).unwrap();
        let mut terms = Vec::new();
        query.query_terms(&mut |term, _| {
            terms.push((
                term.field(),
                term.value().as_str().unwrap_or("").to_string(),
            ));
        });
        assert_eq!(terms.len(), 6);
        for field in [fields.title, fields.section, fields.text] {
            assert!(terms.contains(&(field, "serbian".to_string())));
            assert!(terms.contains(&(field, "shell".to_string())));
        }
    }

    proptest! {
        #[test]
        fn any_text_gives_a_query_that_runs_or_none(text in "\\PC{0,300}") {
            let handle = create_in_ram();
            let searcher = handle.index.reader().unwrap().searcher();
            if let Some(query) = bag_of_words_query(&handle.fields, &text, FieldBoosts::default()) {
                let count = searcher.search(&*query, &tantivy::collector::Count).unwrap();
                prop_assert_eq!(count, 0);
            } else {
                prop_assert!(query_words(&text).is_empty());
            }
        }
    }
}
