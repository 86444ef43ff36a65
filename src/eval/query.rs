//! Evaluation queries: free text -> a bag-of-words tantivy query over the passage (`all`), and
//! the title and section where `FieldBoosts` weigh them extra, as `Searcher` searches a word.
//! Every analysed word is an optional clause, so punctuation, parentheses, colons and words
//! like AND/NOT in test queries mean nothing. It does not parse the query language (that is
//! `search`'s job) and it does not rank.

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::analysis::analyse;
use crate::analysis::english_analyzer;
use crate::schema::Fields;
use crate::search::FieldBoosts;

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
    let targets = boosts.targets(fields);
    for word in &words {
        for &(field, boost) in &targets {
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
    fn every_word_is_searched_in_the_passage_and_where_weighed_extra_in_title_and_section() {
        let (_, fields) = build_schema();
        let terms_of = |boosts: FieldBoosts| {
            let query = bag_of_words_query(&fields, "serbian shells", boosts).unwrap();
            let mut terms = Vec::new();
            query.query_terms(&mut |term, _| {
                terms.push((
                    term.field(),
                    term.value().as_str().unwrap_or("").to_string(),
                ));
            });
            terms
        };
        let plain = terms_of(FieldBoosts::default());
        assert_eq!(
            plain,
            [
                (fields.all, "serbian".to_string()),
                (fields.all, "shell".to_string())
            ]
        );
        let weighed = terms_of(FieldBoosts {
            title: 0.5,
            section: 0.0,
        });
        assert_eq!(weighed.len(), 4);
        for field in [fields.all, fields.title] {
            assert!(weighed.contains(&(field, "serbian".to_string())));
            assert!(weighed.contains(&(field, "shell".to_string())));
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
