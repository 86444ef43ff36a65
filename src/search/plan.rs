//! The query plan: a parsed query (`query::Node`) and the filters -> backend-neutral clauses,
//! analysed once. Words become the index's stems at their positions, with the parts of the
//! passage they search and their weights (`FieldBoosts`); prefix and fuzzy words carry what the
//! index's terms are compared with; entity names are resolved through the index's vocabulary
//! (`Vocabulary`); dates come typed from the parser. The tantivy compiler (`compile`) and the
//! Quickwit translator emit the same plan: neither analyses the query again, and a word means
//! the same on both.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::tokenizer::TextAnalyzer;

use super::request::{FieldBoosts, Filters};
use crate::analysis::{analyse, analyse_with_positions, english_analyzer, keyword_analyzer};
use crate::error::IndexError;
use crate::model::ExtraType;
use crate::query::{ExtraRange, ExtraTest, FieldName, Keyword, Node, Occur};
use crate::snippet::HighlightTerms;

/// The part of a passage a word searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Title, section heading and text as one field (BM25F): a plain word.
    All,
    Title,
    Section,
    /// `text:` (locally the whole passage too; Quickwit has the text alone).
    Text,
}

/// A part of the passage with the weight of a match in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub part: Part,
    pub weight: f32,
}

/// One clause of a plan.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// Analysed words in a row on any of `targets`: one word is a term, several a phrase.
    /// Positions are relative to the first word (a stop word between two leaves a gap); `slop`
    /// is how many words the phrase may stretch by.
    Words {
        targets: Vec<Target>,
        tokens: Vec<(usize, String)>,
        slop: u32,
    },
    /// Every index term of `targets` that starts with `folded` (the word as written, folded) or
    /// with `stem` (its stem, when that differs).
    Prefix {
        targets: Vec<Target>,
        folded: String,
        stem: Option<String>,
        /// Whether the terms it expands to are highlighted (not under a negation).
        highlight: bool,
    },
    /// Every index term of `targets` within `distance` edits of the word as written (`folded`)
    /// or of its `stem`.
    Fuzzy {
        targets: Vec<Target>,
        folded: String,
        stem: String,
        distance: u8,
        highlight: bool,
    },
    /// Passages that name any of these entities (keys of the entity field).
    Entities(Vec<String>),
    /// Passages whose keyword field holds this value (folded).
    Keyword(Keyword, String),
    /// Passages dated within the bounds.
    Dates {
        lower: Bound<DateTime<Utc>>,
        upper: Bound<DateTime<Utc>>,
    },
    /// A declared field (`[fields.extra]`) holds what `test` asks.
    Extra { name: String, test: ExtraClause },
    /// Clauses with their occurrence; never empty.
    Bool(Vec<(Occur, Clause)>),
}

/// What a clause asks of a declared field, analysed.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraClause {
    /// A keyword field holds this value (folded).
    Key(String),
    /// A text field holds these stems in a row (positions relative to the first).
    Words {
        tokens: Vec<(usize, String)>,
        slop: u32,
    },
    /// A number or date field holds a value within the range.
    Range(ExtraRange),
}

/// A query's plan: its clauses and the words to highlight.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPlan {
    pub root: Clause,
    pub highlight: HighlightTerms,
}

/// The filters' plan: required clauses and the date window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterPlan {
    pub clauses: Vec<Clause>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Where entity names are resolved: the local index's vocabulary, or the lists alone.
pub trait Vocabulary {
    /// The entity keys `name` means. `strict` (a filter every hit must pass) refuses a name
    /// the index does not hold; otherwise (the query language) such a name stands for itself,
    /// and matches nothing, as an unknown word does.
    fn entity_keys(&self, name: &str, strict: bool) -> Result<Vec<String>, IndexError>;
}

/// The message of a query whose every word is a stop word or punctuation.
pub const NO_SEARCHABLE_WORDS: &str =
    "the query has no searchable words (stop words such as `the` and punctuation are not indexed)";

/// Plans a parsed query.
pub fn plan_query(
    node: &Node,
    boosts: FieldBoosts,
    vocabulary: &dyn Vocabulary,
) -> Result<QueryPlan, IndexError> {
    let mut planner = Planner {
        boosts,
        vocabulary,
        english: english_analyzer(),
        keyword: keyword_analyzer(),
        highlight: HighlightTerms::default(),
    };
    let Some(root) = planner.node(node, false)? else {
        return Err(IndexError::Query(NO_SEARCHABLE_WORDS.to_string()));
    };
    Ok(QueryPlan {
        root,
        highlight: planner.highlight,
    })
}

/// Plans the filters: each section word, entity name and keyword (any of its values) are
/// required clauses; the dates a window, refused when it is inverted.
pub fn plan_filters(
    filters: &Filters,
    vocabulary: &dyn Vocabulary,
) -> Result<FilterPlan, IndexError> {
    if let (Some(since), Some(until)) = (filters.since, filters.until)
        && since > until
    {
        return Err(IndexError::Filter(format!(
            "the start date {} is after the end date {}",
            since.date_naive(),
            until.date_naive()
        )));
    }
    let mut english = english_analyzer();
    let mut keyword = keyword_analyzer();
    let mut clauses = Vec::new();
    for section in &filters.sections {
        let tokens = analyse(&mut english, section);
        if tokens.is_empty() {
            return Err(IndexError::Filter(format!(
                "--section `{section}` has no searchable words"
            )));
        }
        for token in tokens {
            clauses.push(Clause::Words {
                targets: vec![Target {
                    part: Part::Section,
                    weight: 1.0,
                }],
                tokens: vec![(0, token)],
                slop: 0,
            });
        }
    }
    for name in &filters.entities {
        clauses.push(Clause::Entities(vocabulary.entity_keys(name, true)?));
    }
    // Any of the values of one keyword; every keyword given.
    for (field, values) in filters.keywords() {
        let mut any: Vec<(Occur, Clause)> = values
            .iter()
            .map(|value| analyse(&mut keyword, value).join(" "))
            .filter(|key| !key.is_empty())
            .map(|key| (Occur::Should, Clause::Keyword(field, key)))
            .collect();
        match any.len() {
            0 => {}
            1 => clauses.push(any.remove(0).1),
            _ => clauses.push(Clause::Bool(any)),
        }
    }
    Ok(FilterPlan {
        clauses,
        since: filters.since,
        until: filters.until,
    })
}

/// The targets of a word: a plain word the whole passage plus the title and the heading alone
/// where the boosts weigh them extra; a field the word names, that field.
pub fn targets(field: Option<FieldName>, boosts: FieldBoosts) -> Vec<Target> {
    let target = |part, weight| Target { part, weight };
    match field {
        None => {
            let mut targets = vec![target(Part::All, 1.0)];
            for (part, weight) in [(Part::Title, boosts.title), (Part::Section, boosts.section)] {
                if weight > 0.0 {
                    targets.push(target(part, weight));
                }
            }
            targets
        }
        Some(FieldName::Title) => vec![target(Part::Title, 1.0)],
        Some(FieldName::Section) => vec![target(Part::Section, 1.0)],
        Some(_) => vec![target(Part::Text, 1.0)],
    }
}

struct Planner<'a> {
    boosts: FieldBoosts,
    vocabulary: &'a dyn Vocabulary,
    english: TextAnalyzer,
    keyword: TextAnalyzer,
    highlight: HighlightTerms,
}

impl Planner<'_> {
    fn node(&mut self, node: &Node, negated: bool) -> Result<Option<Clause>, IndexError> {
        match node {
            Node::Term {
                field,
                text,
                fuzzy,
                prefix,
            } => self.term(*field, text, *fuzzy, *prefix, negated),
            Node::Phrase { field, text, slop } => match field {
                Some(FieldName::Entity | FieldName::Keyword(_) | FieldName::Date) => {
                    self.term(*field, text, None, false, negated)
                }
                _ => {
                    let tokens = analyse_with_positions(&mut self.english, text);
                    Ok(self.words(targets(*field, self.boosts), tokens, *slop, negated))
                }
            },
            Node::Dates { lower, upper } => Ok(Some(Clause::Dates {
                lower: *lower,
                upper: *upper,
            })),
            Node::Extra { field, test } => {
                let test = match (field.kind, test) {
                    (ExtraType::Keyword, ExtraTest::Value { text, .. }) => {
                        let key = analyse(&mut self.keyword, text).join(" ");
                        if key.is_empty() {
                            return Err(IndexError::Query(format!(
                                "`{}:` needs a value with letters or digits",
                                field.name
                            )));
                        }
                        ExtraClause::Key(key)
                    }
                    (_, ExtraTest::Value { text, slop }) => {
                        let tokens = analyse_with_positions(&mut self.english, text);
                        let Some(first) = tokens.first().map(|(position, _)| *position) else {
                            return Ok(None);
                        };
                        ExtraClause::Words {
                            tokens: tokens
                                .into_iter()
                                .map(|(position, word)| (position - first, word))
                                .collect(),
                            slop: *slop,
                        }
                    }
                    (_, ExtraTest::Range(range)) => ExtraClause::Range(*range),
                };
                Ok(Some(Clause::Extra {
                    name: field.name.clone(),
                    test,
                }))
            }
            Node::Bool(children) => {
                let mut clauses = Vec::with_capacity(children.len());
                for (occur, child) in children {
                    let child_negated = negated ^ (*occur == Occur::MustNot);
                    if let Some(clause) = self.node(child, child_negated)? {
                        clauses.push((*occur, clause));
                    }
                }
                Ok((!clauses.is_empty()).then_some(Clause::Bool(clauses)))
            }
        }
    }

    fn term(
        &mut self,
        field: Option<FieldName>,
        text: &str,
        fuzzy: Option<u8>,
        prefix: bool,
        negated: bool,
    ) -> Result<Option<Clause>, IndexError> {
        match field {
            Some(FieldName::Entity) => {
                return Ok(Some(Clause::Entities(
                    self.vocabulary.entity_keys(text, false)?,
                )));
            }
            Some(FieldName::Keyword(keyword)) => {
                let key = analyse(&mut self.keyword, text).join(" ");
                if key.is_empty() {
                    return Err(IndexError::Query(format!(
                        "`{}:` needs a value with letters or digits",
                        keyword.as_str()
                    )));
                }
                return Ok(Some(Clause::Keyword(keyword, key)));
            }
            // The parser makes a `date:` value a range of dates.
            _ => {}
        }
        let targets = targets(field, self.boosts);
        if prefix {
            let folded = analyse(&mut self.keyword, text).concat();
            let stem = analyse(&mut self.english, text)
                .into_iter()
                .next()
                .filter(|stem| *stem != folded);
            return Ok(Some(Clause::Prefix {
                targets,
                folded,
                stem,
                highlight: !negated,
            }));
        }
        let tokens = analyse_with_positions(&mut self.english, text);
        if let Some(distance) = fuzzy.filter(|d| *d > 0)
            && tokens.len() == 1
        {
            return Ok(Some(Clause::Fuzzy {
                targets,
                folded: analyse(&mut self.keyword, text).concat(),
                stem: tokens[0].1.clone(),
                distance,
                highlight: !negated,
            }));
        }
        // A word the analyser splits ("U.S.", "Bosnia-Herzegovina") is matched as a phrase.
        Ok(self.words(targets, tokens, 0, negated))
    }

    /// Analysed words on the targets, highlighted unless negated.
    fn words(
        &mut self,
        targets: Vec<Target>,
        tokens: Vec<(usize, String)>,
        slop: u32,
        negated: bool,
    ) -> Option<Clause> {
        let first = tokens.first()?.0;
        let tokens: Vec<(usize, String)> = tokens
            .into_iter()
            .map(|(position, word)| (position - first, word))
            .collect();
        if !negated {
            match tokens.as_slice() {
                [(_, word)] => {
                    self.highlight.terms.insert(word.clone());
                }
                _ => self.highlight.phrases.push(tokens.clone()),
            }
        }
        Some(Clause::Words {
            targets,
            tokens,
            slop,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    /// Names resolve to their own folded form, or, strictly, only when listed.
    struct Names(Vec<&'static str>);

    impl Vocabulary for Names {
        fn entity_keys(&self, name: &str, strict: bool) -> Result<Vec<String>, IndexError> {
            let key = name.to_lowercase();
            if strict && !self.0.contains(&key.as_str()) {
                return Err(IndexError::Filter(format!("no entity `{name}`")));
            }
            Ok(vec![key])
        }
    }

    fn plan(text: &str) -> QueryPlan {
        let node = parse(text, Occur::Should).unwrap();
        plan_query(&node, FieldBoosts::default(), &Names(vec![])).unwrap()
    }

    fn all() -> Vec<Target> {
        vec![Target {
            part: Part::All,
            weight: 1.0,
        }]
    }

    #[test]
    fn words_are_stems_at_their_positions_and_highlighted_unless_negated() {
        let plan = plan("Bank of England -shells");
        let Clause::Bool(clauses) = &plan.root else {
            panic!("{:?}", plan.root)
        };
        assert_eq!(
            clauses[0].1,
            Clause::Words {
                targets: all(),
                tokens: vec![(0, "bank".into())],
                slop: 0
            }
        );
        assert_eq!(clauses.len(), 3, "the stop word is no clause");
        assert_eq!(clauses[2].0, Occur::MustNot);
        assert!(plan.highlight.terms.contains("england"));
        assert!(!plan.highlight.terms.contains("shell"));
        // A phrase keeps the gap of its stop word.
        let phrase = super::tests::plan("\"Bank of England\"~1");
        assert_eq!(
            phrase.root,
            Clause::Words {
                targets: all(),
                tokens: vec![(0, "bank".into()), (2, "england".into())],
                slop: 1
            }
        );
        assert_eq!(
            phrase.highlight.phrases,
            vec![vec![(0, "bank".to_string()), (2, "england".to_string())]]
        );
    }

    #[test]
    fn boosts_add_the_title_and_heading_to_plain_words_only() {
        let boosts = FieldBoosts {
            title: 2.0,
            section: 0.0,
        };
        assert_eq!(
            targets(None, boosts),
            vec![
                Target {
                    part: Part::All,
                    weight: 1.0
                },
                Target {
                    part: Part::Title,
                    weight: 2.0
                }
            ]
        );
        assert_eq!(targets(Some(FieldName::Section), boosts).len(), 1);
    }

    #[test]
    fn prefix_fuzzy_entity_and_category_words() {
        assert_eq!(
            plan("Vučić~1").root,
            Clause::Fuzzy {
                targets: all(),
                folded: "vucic".into(),
                stem: "vucic".into(),
                distance: 1,
                highlight: true
            }
        );
        let Clause::Bool(clauses) = plan("shells -ammunitions*").root else {
            panic!("a group")
        };
        assert_eq!(
            clauses[1],
            (
                Occur::MustNot,
                Clause::Prefix {
                    targets: all(),
                    folded: "ammunitions".into(),
                    stem: Some("ammunit".into()),
                    highlight: false
                }
            )
        );
        assert_eq!(
            plan("entity:Serbia").root,
            Clause::Entities(vec!["serbia".into()])
        );
        assert_eq!(
            plan("category:\"Grain Prices\"").root,
            Clause::Keyword(Keyword::Category, "grain prices".into())
        );
    }

    #[test]
    fn a_query_of_stop_words_is_refused() {
        let node = parse("the of", Occur::Should).unwrap();
        let error = plan_query(&node, FieldBoosts::default(), &Names(vec![])).unwrap_err();
        assert!(error.to_string().contains("no searchable words"), "{error}");
    }

    #[test]
    fn filters_are_required_clauses_and_an_inverted_window_is_refused() {
        let filters = Filters {
            sections: vec!["The Outlook".into()],
            entities: vec!["Serbia".into()],
            categories: vec!["grain".into(), "wheat".into()],
            ..Filters::default()
        };
        let plan = plan_filters(&filters, &Names(vec!["serbia"])).unwrap();
        assert_eq!(plan.clauses.len(), 3);
        assert_eq!(plan.clauses[1], Clause::Entities(vec!["serbia".into()]));
        assert!(matches!(&plan.clauses[2], Clause::Bool(any) if any.len() == 2));
        // A filter name the vocabulary does not hold is refused.
        let unknown = Filters {
            entities: vec!["Atlantis".into()],
            ..Filters::default()
        };
        assert!(plan_filters(&unknown, &Names(vec!["serbia"])).is_err());
        let inverted = Filters {
            since: Some(DateTime::from_timestamp(2_000_000_000, 0).unwrap()),
            until: Some(DateTime::from_timestamp(1_000_000_000, 0).unwrap()),
            ..Filters::default()
        };
        let error = plan_filters(&inverted, &Names(vec![])).unwrap_err();
        assert!(error.to_string().contains("after the end date"), "{error}");
    }
}
