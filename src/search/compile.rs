//! Compiling: the query language's `Node` tree -> tantivy queries, with fuzzy and prefix words
//! expanded to index terms (keeping BM25), entity names resolved and the highlight terms gathered.

use super::request::{FieldBoosts, MAX_EXPANDED_TERMS, MAX_EXPANSIONS};
use crate::schema::{analyse, analyse_with_positions};
use std::collections::HashMap;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::error::IndexError;
use crate::extract::date::{DayEnd, parse_date_arg};
use crate::extract::entities::EntityExtractor;
use crate::query::{self, FieldName, Node, RangeEnd};
use crate::schema::Fields;
use crate::search::union::LazyUnionQuery;
use crate::snippet::HighlightTerms;

/// State while compiling one query: the tantivy searcher (for term expansion), analysers and
/// the highlight terms gathered so far.
pub(super) struct Compiler<'a> {
    pub(super) searcher: &'a tantivy::Searcher,
    pub(super) fields: Fields,
    pub(super) extractor: &'a EntityExtractor,
    pub(super) english: TextAnalyzer,
    pub(super) keyword: TextAnalyzer,
    pub(super) highlight: HighlightTerms,
    pub(super) boosts: FieldBoosts,
    /// Index terms the query's prefix and fuzzy words expanded to so far (`MAX_EXPANDED_TERMS`).
    pub(super) expanded_terms: usize,
}

impl Compiler<'_> {
    pub(super) fn node(
        &mut self,
        node: &Node,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        match node {
            Node::Term {
                field,
                text,
                fuzzy,
                prefix,
            } => self.term(*field, text, *fuzzy, *prefix, negated),
            Node::Phrase { field, text, slop } => self.phrase(*field, text, *slop, negated),
            Node::Range {
                field,
                lower,
                upper,
            } => self.range(*field, lower, upper).map(Some),
            Node::Bool(clauses) => {
                let mut compiled: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len());
                for (occur, child) in clauses {
                    let child_negated = negated ^ (*occur == Occur::MustNot);
                    if let Some(query) = self.node(child, child_negated)? {
                        compiled.push((*occur, query));
                    }
                }
                if compiled.is_empty() {
                    return Ok(None);
                }
                if compiled.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    compiled.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(Some(Box::new(BooleanQuery::new(lazy_required_unions(
                    flatten_should(compiled),
                    self.searcher,
                )))))
            }
        }
    }

    /// The text fields a word searches, with their weights.
    fn text_fields(&self, field: Option<FieldName>) -> Vec<(Field, f32)> {
        let fields = self.fields;
        match field {
            None => self.boosts.targets(&fields),
            Some(FieldName::Title) => vec![(fields.title, 1.0)],
            Some(FieldName::Section) => vec![(fields.section, 1.0)],
            _ => vec![(fields.all, 1.0)],
        }
    }

    fn term(
        &mut self,
        field: Option<FieldName>,
        text: &str,
        fuzzy: Option<u8>,
        prefix: bool,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        match field {
            Some(FieldName::Entity) => return self.entity(text).map(Some),
            Some(FieldName::Category) => {
                let key = analyse(&mut self.keyword, text).join(" ");
                return Ok(Some(term_query(self.fields.category, &key)));
            }
            Some(FieldName::Date) => return self.date_value(text).map(Some),
            _ => {}
        }
        let targets = self.text_fields(field);
        if prefix {
            let folded = analyse(&mut self.keyword, text).join("");
            let mut prefixes = vec![folded.clone()];
            if let Some(stem) = analyse(&mut self.english, text).first()
                && *stem != folded
            {
                prefixes.push(stem.clone());
            }
            let expansions = self.expand(
                &targets,
                |term| prefixes.iter().any(|p| term.starts_with(p.as_str())),
                &prefixes,
            );
            return self.expanded_query(&targets, expansions, negated);
        }
        let tokens = analyse_with_positions(&mut self.english, text);
        if tokens.is_empty() {
            return Ok(None);
        }
        if let Some(distance) = fuzzy.filter(|d| *d > 0)
            && tokens.len() == 1
        {
            // The distance is taken on the word as written (folded), as a user counts edits,
            // and on its stem: "zelensky~1" finds the term of "Zelenskyy", although the stems
            // ("zelenski", "zelenskyy") are two edits apart.
            let stem = tokens[0].1.clone();
            let surface = analyse(&mut self.keyword, text).concat();
            let mut scan_prefixes: Vec<String> = [&stem, &surface]
                .iter()
                .map(|word| word.chars().take(1).collect())
                .collect();
            scan_prefixes.dedup();
            let distance = usize::from(distance);
            let expansions = self.expand(
                &targets,
                |term| {
                    strsim::osa_distance(term, &stem) <= distance
                        || strsim::osa_distance(term, &surface) <= distance
                },
                &scan_prefixes,
            );
            return self.expanded_query(&targets, expansions, negated);
        }
        if tokens.len() > 1 {
            // A word the analyser splits ("U.S.", "Bosnia-Herzegovina") is matched as a phrase.
            return Ok(self.phrase_of_tokens(&targets, tokens, 0, negated));
        }
        if !negated {
            self.highlight.terms.insert(tokens[0].1.clone());
        }
        let word = &tokens[0].1;
        Ok(Some(disjunction(
            targets
                .iter()
                .map(|(field, boost)| boosted(term_query(*field, word), *boost))
                .collect(),
        )))
    }

    fn entity(&mut self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        match crate::entity_names::resolve(self.searcher, &self.fields, self.extractor, text) {
            Ok(keys) => Ok(entity_terms_query(self.fields.entity, &keys)),
            // In the query language a name that no entity holds matches nothing, as a word that
            // no passage holds does (`entity:A OR entity:B` still finds B); `--entity`, a
            // filter every hit must pass, says so instead.
            Err(IndexError::EntityName {
                problem: crate::error::EntityNameProblem::Unknown(_),
                ..
            }) => {
                let key = crate::entity_names::fold(&self.extractor.resolve(text).name);
                Ok(term_query(self.fields.entity, &key))
            }
            Err(error) => Err(error),
        }
    }

    /// Terms of the target fields that pass `accept`, scanning only the terms that start with
    /// one of `scan_prefixes`; the most frequent `MAX_EXPANSIONS` are kept.
    fn expand(
        &self,
        targets: &[(Field, f32)],
        accept: impl Fn(&str) -> bool,
        scan_prefixes: &[String],
    ) -> Vec<String> {
        let mut doc_freqs: HashMap<String, u64> = HashMap::new();
        for segment in self.searcher.segment_readers() {
            for (field, _) in targets {
                let Ok(inverted_index) = segment.inverted_index(*field) else {
                    continue;
                };
                let terms = inverted_index.terms();
                for scan_prefix in scan_prefixes {
                    let mut upper = scan_prefix.clone().into_bytes();
                    let range = match increment(&mut upper) {
                        true => terms.range().ge(scan_prefix.as_bytes()).lt(&upper),
                        false => terms.range().ge(scan_prefix.as_bytes()),
                    };
                    let Ok(mut stream) = range.into_stream() else {
                        continue;
                    };
                    while stream.advance() {
                        let Ok(term) = std::str::from_utf8(stream.key()) else {
                            continue;
                        };
                        if accept(term) {
                            *doc_freqs.entry(term.to_string()).or_default() +=
                                u64::from(stream.value().doc_freq);
                        }
                    }
                }
            }
        }
        let mut expansions: Vec<(String, u64)> = doc_freqs.into_iter().collect();
        expansions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        expansions.truncate(MAX_EXPANSIONS);
        expansions.into_iter().map(|(term, _)| term).collect()
    }

    /// A disjunction of every expansion in every target field: each keeps its BM25 score.
    fn expanded_query(
        &mut self,
        targets: &[(Field, f32)],
        expansions: Vec<String>,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        if expansions.is_empty() {
            // Nothing in the index matches: a query that matches nothing, not an error.
            return Ok(Some(Box::new(EmptyQuery)));
        }
        self.expanded_terms += expansions.len() * targets.len();
        if self.expanded_terms > MAX_EXPANDED_TERMS {
            return Err(IndexError::Query(format!(
                "the query's prefix and fuzzy words expand to more than {MAX_EXPANDED_TERMS} index terms (each word up to {MAX_EXPANSIONS}): use fewer of them, or longer prefixes"
            )));
        }
        let mut clauses = Vec::with_capacity(expansions.len() * targets.len());
        for expansion in expansions {
            for (field, boost) in targets {
                clauses.push(boosted(term_query(*field, &expansion), *boost));
            }
            if !negated {
                self.highlight.terms.insert(expansion);
            }
        }
        Ok(Some(disjunction(clauses)))
    }

    fn phrase(
        &mut self,
        field: Option<FieldName>,
        text: &str,
        slop: u32,
        negated: bool,
    ) -> Result<Option<Box<dyn Query>>, IndexError> {
        if let Some(FieldName::Entity | FieldName::Category | FieldName::Date) = field {
            return self.term(field, text, None, false, negated);
        }
        let targets = self.text_fields(field);
        let tokens = analyse_with_positions(&mut self.english, text);
        Ok(self.phrase_of_tokens(&targets, tokens, slop, negated))
    }

    fn phrase_of_tokens(
        &mut self,
        targets: &[(Field, f32)],
        tokens: Vec<(usize, String)>,
        slop: u32,
        negated: bool,
    ) -> Option<Box<dyn Query>> {
        match tokens.len() {
            0 => return None,
            1 => {
                if !negated {
                    self.highlight.terms.insert(tokens[0].1.clone());
                }
                return Some(disjunction(
                    targets
                        .iter()
                        .map(|(field, boost)| boosted(term_query(*field, &tokens[0].1), *boost))
                        .collect(),
                ));
            }
            _ => {}
        }
        let first_position = tokens[0].0;
        let relative: Vec<(usize, String)> = tokens
            .iter()
            .map(|(position, word)| (position - first_position, word.clone()))
            .collect();
        if !negated {
            self.highlight.phrases.push(relative.clone());
        }
        Some(disjunction(
            targets
                .iter()
                .map(|(field, boost)| {
                    let terms = relative
                        .iter()
                        .map(|(offset, word)| (*offset, Term::from_field_text(*field, word)))
                        .collect();
                    let mut phrase = PhraseQuery::new_with_offset(terms);
                    phrase.set_slop(slop);
                    boosted(Box::new(phrase), *boost)
                })
                .collect(),
        ))
    }

    /// `date:2024`, `date:2024-03` or `date:2024-03-28`: the whole year, month or day.
    fn date_value(&mut self, text: &str) -> Result<Box<dyn Query>, IndexError> {
        let (lower, upper) = query::date_value_range(text).map_err(IndexError::Query)?;
        self.range(FieldName::Date, &lower, &upper)
    }

    fn range(
        &mut self,
        field: FieldName,
        lower: &RangeEnd,
        upper: &RangeEnd,
    ) -> Result<Box<dyn Query>, IndexError> {
        if field != FieldName::Date {
            return Err(IndexError::Query(format!(
                "ranges work on `date:` only, not on `{}:`",
                field.as_str()
            )));
        }
        let date_field = self.fields.date;
        let bound = |end: &RangeEnd, day_end: DayEnd| -> Result<Bound<Term>, IndexError> {
            let parse = |text: &str| {
                parse_date_arg(text, day_end, Utc::now())
                    .map(|date| date_term(date_field, date))
                    .map_err(|_| {
                        IndexError::Query(format!(
                            "`{text}` in a date range is not a date (use YYYY-MM-DD)"
                        ))
                    })
            };
            Ok(match end {
                RangeEnd::Unbounded => Bound::Unbounded,
                RangeEnd::Included(text) => Bound::Included(parse(text)?),
                RangeEnd::Excluded(text) => Bound::Excluded(parse(text)?),
            })
        };
        let lower = bound(lower, DayEnd::Start)?;
        let upper = bound(upper, DayEnd::End)?;
        if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
            // `date:[* TO *]`: every dated passage (tantivy's range needs one bound).
            let name = crate::schema::field_name(self.searcher.schema(), date_field);
            return Ok(Box::new(tantivy::query::ExistsQuery::new(
                name.to_string(),
                false,
            )));
        }
        Ok(Box::new(RangeQuery::new(lower, upper)))
    }
}

/// Increments a byte string to the smallest string greater than every string it prefixes;
/// false when there is none (all bytes 0xFF).
pub(super) fn increment(bytes: &mut Vec<u8>) -> bool {
    while let Some(last) = bytes.pop() {
        if last < u8::MAX {
            bytes.push(last + 1);
            return true;
        }
    }
    false
}

/// A date bound as a term; a bound past the dates the index can store is clamped to the first
/// or last of them, so that `--since 1500-01-01` means "from the earliest" instead of wrapping.
pub(super) fn date_term(field: Field, date: DateTime<Utc>) -> Term {
    let nanos = date
        .timestamp_nanos_opt()
        .unwrap_or(if date.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        });
    Term::from_field_date(field, tantivy::DateTime::from_timestamp_nanos(nanos))
}

pub(super) fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

/// Lifts the clauses of optional-only children into an optional-only parent: `(a OR b) OR c` is
/// `a OR b OR c`, with the same matches and the same summed score. tantivy skips the postings
/// that cannot reach the top (block-max WAND) only over a flat union of terms, and every word
/// is itself a union over the title, section and text fields, so without this a query of
/// several words would score every passage that holds any of them.
pub(super) fn flatten_should(
    clauses: Vec<(Occur, Box<dyn Query>)>,
) -> Vec<(Occur, Box<dyn Query>)> {
    if clauses.iter().any(|(occur, _)| *occur != Occur::Should) {
        return clauses;
    }
    let mut flat = Vec::with_capacity(clauses.len());
    for (occur, query) in clauses {
        match query.downcast_ref::<BooleanQuery>() {
            Some(child)
                if child.get_minimum_number_should_match() <= 1
                    && child
                        .clauses()
                        .iter()
                        .all(|(occur, _)| *occur == Occur::Should) =>
            {
                flat.extend(
                    child
                        .clauses()
                        .iter()
                        .map(|(occur, query)| (*occur, query.box_clone())),
                );
            }
            _ => flat.push((occur, query)),
        }
    }
    flat
}

/// In an intersection (two or more required clauses), a required union of optional clauses (a
/// word in its fields) that matches many more passages than the rarest required clause becomes
/// a `LazyUnionQuery`: the intersection, led by the rare clause, then seeks through it and
/// scores only the passages that hold every required word, where tantivy's union would score
/// every passage of the windows it fills. Unions of about the same size are read end to end
/// anyway, which tantivy's union does faster.
pub(super) fn lazy_required_unions(
    clauses: Vec<(Occur, Box<dyn Query>)>,
    searcher: &tantivy::Searcher,
) -> Vec<(Occur, Box<dyn Query>)> {
    /// How much more a union must match than the rarest required clause to be read lazily.
    const DENSER: u64 = 4;
    let cost = |query: &dyn Query| -> u64 {
        let mut total = 0u64;
        query.query_terms(&mut |term, _| total += searcher.doc_freq(term).unwrap_or(0));
        total
    };
    let costs: Vec<Option<u64>> = clauses
        .iter()
        .map(|(occur, query)| (*occur == Occur::Must).then(|| cost(&**query)))
        .collect();
    if costs.iter().flatten().count() < 2 {
        return clauses;
    }
    let rarest = costs.iter().flatten().copied().min().unwrap_or(0);
    clauses
        .into_iter()
        .zip(costs)
        .map(|((occur, query), cost)| {
            let union = cost
                .filter(|cost| *cost >= rarest.saturating_mul(DENSER).max(1))
                .and_then(|_| query.downcast_ref::<BooleanQuery>())
                .filter(|union| {
                    union.get_minimum_number_should_match() <= 1
                        && union
                            .clauses()
                            .iter()
                            .all(|(occur, _)| *occur == Occur::Should)
                });
            match union {
                Some(union) => (
                    occur,
                    Box::new(LazyUnionQuery::new(
                        union.clauses().iter().map(|(_, q)| q.box_clone()).collect(),
                    )) as Box<dyn Query>,
                ),
                None => (occur, query),
            }
        })
        .collect()
}

pub(super) fn disjunction(mut clauses: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if clauses.len() == 1 {
        return clauses.remove(0);
    }
    Box::new(BooleanQuery::new(
        clauses
            .into_iter()
            .map(|query| (Occur::Should, query))
            .collect(),
    ))
}

pub(super) fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// Passages that hold any of the folded entity names `keys` (what `entity_names::resolve` gave).
pub(super) fn entity_terms_query(field: Field, keys: &[String]) -> Box<dyn Query> {
    match keys {
        [key] => term_query(field, key),
        keys => Box::new(BooleanQuery::new(
            keys.iter()
                .map(|key| (Occur::Should, term_query(field, key)))
                .collect(),
        )),
    }
}
