//! The tantivy emitter: a query plan's clauses -> tantivy queries. Prefix and fuzzy words
//! expand to the index's own terms (each keeps its BM25 score), within the query's cost budget;
//! the terms they expand to join the plan's highlight terms. Optional-only unions are flat and
//! a required word much more frequent than the rarest is scored lazily (`union`).

use std::collections::HashMap;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, ExistsQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::exclusion::ExclusionQuery;
use super::phrase::PrunedPhraseQuery;
use super::plan::{Clause, ExtraClause, Part, Target, Vocabulary};
use super::request::{MAX_EXPANDED_TERMS, MAX_EXPANSIONS};
use crate::entity_names;
use crate::error::{EntityNameProblem, IndexError};
use crate::extract::entities::EntityExtractor;
use crate::query::ExtraRange;
use crate::schema::{Fields, field_name};
use crate::search::union::LazyUnionQuery;
use crate::snippet::HighlightTerms;

/// The local index's vocabulary: entity names resolve against the entities it holds.
pub(super) struct IndexVocabulary<'a> {
    pub(super) searcher: &'a tantivy::Searcher,
    pub(super) fields: Fields,
    pub(super) extractor: &'a EntityExtractor,
}

impl Vocabulary for IndexVocabulary<'_> {
    fn entity_keys(&self, name: &str, strict: bool) -> Result<Vec<String>, IndexError> {
        match entity_names::resolve(self.searcher, &self.fields, self.extractor, name) {
            Ok(keys) => Ok(keys),
            Err(IndexError::EntityName {
                problem: EntityNameProblem::Unknown(_),
                ..
            }) if !strict => Ok(vec![entity_names::fold(&self.extractor.resolve(name).name)]),
            Err(error) => Err(error),
        }
    }
}

/// State while emitting one plan: the tantivy searcher (for term expansion) and the highlight
/// terms, the plan's plus the terms its prefix and fuzzy words expanded to.
pub(super) struct Compiler<'a> {
    pub(super) searcher: &'a tantivy::Searcher,
    pub(super) fields: Fields,
    pub(super) highlight: HighlightTerms,
    /// Index terms the query's prefix and fuzzy words expanded to so far (`MAX_EXPANDED_TERMS`).
    pub(super) expanded_terms: usize,
    /// What the user should know of how the query was run (a word's expansions cut).
    pub(super) notices: Vec<String>,
}

impl Compiler<'_> {
    pub(super) fn clause(&mut self, clause: &Clause) -> Result<Box<dyn Query>, IndexError> {
        let fields = self.fields;
        Ok(match clause {
            Clause::Words {
                targets,
                tokens,
                slop,
            } => self.words(targets, tokens, *slop),
            Clause::Prefix {
                targets,
                folded,
                stem,
                highlight,
            } => {
                let prefixes: Vec<String> = std::iter::once(folded).chain(stem).cloned().collect();
                let expansions = self.expand(
                    &format!("{folded}*"),
                    targets,
                    |term| prefixes.iter().any(|p| term.starts_with(p.as_str())),
                    &prefixes,
                );
                self.expanded_query(targets, expansions, *highlight)?
            }
            Clause::Fuzzy {
                targets,
                folded,
                stem,
                distance,
                highlight,
            } => {
                // The distance is taken on the word as written (folded), as a user counts
                // edits, and on its stem: "zelensky~1" finds the term of "Zelenskyy", although
                // the stems ("zelenski", "zelenskyy") are two edits apart.
                let mut scan_prefixes: Vec<String> = [stem, folded]
                    .iter()
                    .map(|word| word.chars().take(1).collect())
                    .collect();
                scan_prefixes.dedup();
                let word = format!("{folded}~{distance}");
                let distance = usize::from(*distance);
                let expansions = self.expand(
                    &word,
                    targets,
                    |term| {
                        strsim::osa_distance(term, stem) <= distance
                            || strsim::osa_distance(term, folded) <= distance
                    },
                    &scan_prefixes,
                );
                self.expanded_query(targets, expansions, *highlight)?
            }
            Clause::Entities(keys) => entity_terms_query(fields.entity, keys),
            Clause::Keyword(keyword, key) => term_query(fields.keyword(*keyword), key),
            Clause::Dates { lower, upper } => self.dates(*lower, *upper),
            Clause::Extra { name, test } => self.extra(name, test),
            Clause::Bool(clauses) => {
                let mut compiled: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len());
                for (occur, child) in clauses {
                    let query = self.clause(child)?;
                    let query: Box<dyn Query> = match occur {
                        Occur::MustNot => Box::new(ExclusionQuery(query)),
                        _ => query,
                    };
                    compiled.push((*occur, query));
                }
                if compiled.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    compiled.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(lazy_required_unions(
                    flatten_should(compiled),
                    self.searcher,
                )))
            }
        })
    }

    /// The index field of a part of the passage.
    fn field(&self, part: Part) -> Field {
        match part {
            Part::All | Part::Text => self.fields.all,
            Part::Title => self.fields.title,
            Part::Section => self.fields.section,
        }
    }

    /// A term on each target, or a phrase with the words' offsets.
    fn words(&self, targets: &[Target], tokens: &[(usize, String)], slop: u32) -> Box<dyn Query> {
        disjunction(
            targets
                .iter()
                .map(|target| {
                    let field = self.field(target.part);
                    let query: Box<dyn Query> = match tokens {
                        [(_, word)] => term_query(field, word),
                        _ => {
                            let terms = tokens
                                .iter()
                                .map(|(offset, word)| (*offset, Term::from_field_text(field, word)))
                                .collect();
                            Box::new(PrunedPhraseQuery::new(terms, slop))
                        }
                    };
                    boosted(query, target.weight)
                })
                .collect(),
        )
    }

    fn dates(&self, lower: Bound<DateTime<Utc>>, upper: Bound<DateTime<Utc>>) -> Box<dyn Query> {
        let date_field = self.fields.date;
        if matches!((lower, upper), (Bound::Unbounded, Bound::Unbounded)) {
            // `date:[* TO *]`: every dated passage (tantivy's range needs one bound).
            let name = field_name(self.searcher.schema(), date_field);
            return Box::new(ExistsQuery::new(name.to_string(), false));
        }
        let term = |bound: Bound<DateTime<Utc>>| bound.map(|date| date_term(date_field, date));
        Box::new(RangeQuery::new(term(lower), term(upper)))
    }

    /// A declared field's clause: a folded key or a range in `extra`, words in `extra_text`.
    fn extra(&self, name: &str, test: &ExtraClause) -> Box<dyn Query> {
        let path_term = |field: Field| Term::from_field_json_path(field, name, false);
        let range = |lower: Bound<Term>, upper: Bound<Term>| -> Box<dyn Query> {
            if matches!((&lower, &upper), (Bound::Unbounded, Bound::Unbounded)) {
                // `name:[* TO *]`: every passage that has the field.
                let column = format!(
                    "{}.{name}",
                    field_name(self.searcher.schema(), self.fields.extra)
                );
                return Box::new(ExistsQuery::new(column, false));
            }
            Box::new(RangeQuery::new(lower, upper))
        };
        match test {
            ExtraClause::Key(key) => {
                let mut term = path_term(self.fields.extra);
                term.append_type_and_str(key);
                Box::new(TermQuery::new(term, IndexRecordOption::Basic))
            }
            ExtraClause::Words { tokens, slop } => {
                let term = |word: &str| {
                    let mut term = path_term(self.fields.extra_text);
                    term.append_type_and_str(word);
                    term
                };
                match tokens.as_slice() {
                    [(_, word)] => {
                        Box::new(TermQuery::new(term(word), IndexRecordOption::WithFreqs))
                    }
                    _ => {
                        let terms = tokens
                            .iter()
                            .map(|(offset, word)| (*offset, term(word)))
                            .collect();
                        let mut phrase = PhraseQuery::new_with_offset(terms);
                        phrase.set_slop(*slop);
                        Box::new(phrase)
                    }
                }
            }
            ExtraClause::Range(ExtraRange::Numbers { lower, upper }) => {
                let term = |number: &f64| {
                    let mut term = path_term(self.fields.extra);
                    term.append_type_and_fast_value(*number);
                    term
                };
                range(lower.as_ref().map(term), upper.as_ref().map(term))
            }
            ExtraClause::Range(ExtraRange::Dates { lower, upper }) => {
                let term = |date: &DateTime<Utc>| {
                    let mut term = path_term(self.fields.extra);
                    term.append_type_and_fast_value(tantivy::DateTime::from_timestamp_secs(
                        date.timestamp(),
                    ));
                    term
                };
                range(lower.as_ref().map(term), upper.as_ref().map(term))
            }
        }
    }

    /// Terms of the target fields that pass `accept`, scanning only the terms that start with
    /// one of `scan_prefixes`; the most frequent `MAX_EXPANSIONS` are kept, and a notice says
    /// so when `word` has more.
    fn expand(
        &mut self,
        word: &str,
        targets: &[Target],
        accept: impl Fn(&str) -> bool,
        scan_prefixes: &[String],
    ) -> Vec<String> {
        let mut doc_freqs: HashMap<String, u64> = HashMap::new();
        for segment in self.searcher.segment_readers() {
            for target in targets {
                let Ok(inverted_index) = segment.inverted_index(self.field(target.part)) else {
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
        if expansions.len() > MAX_EXPANSIONS {
            self.notices.push(format!(
                "`{word}` matches {} index words; the {MAX_EXPANSIONS} most frequent are searched",
                expansions.len()
            ));
        }
        expansions.truncate(MAX_EXPANSIONS);
        expansions.into_iter().map(|(term, _)| term).collect()
    }

    /// A disjunction of every expansion in every target field: each keeps its BM25 score.
    fn expanded_query(
        &mut self,
        targets: &[Target],
        expansions: Vec<String>,
        highlight: bool,
    ) -> Result<Box<dyn Query>, IndexError> {
        if expansions.is_empty() {
            // Nothing in the index matches: a query that matches nothing, not an error.
            return Ok(Box::new(EmptyQuery));
        }
        self.expanded_terms += expansions.len() * targets.len();
        if self.expanded_terms > MAX_EXPANDED_TERMS {
            return Err(IndexError::Query(format!(
                "the query's prefix and fuzzy words expand to more than {MAX_EXPANDED_TERMS} index terms (each word up to {MAX_EXPANSIONS}): use fewer of them, or longer prefixes"
            )));
        }
        let mut clauses = Vec::with_capacity(expansions.len() * targets.len());
        for expansion in expansions {
            for target in targets {
                clauses.push(boosted(
                    term_query(self.field(target.part), &expansion),
                    target.weight,
                ));
            }
            if highlight {
                self.highlight.terms.insert(expansion);
            }
        }
        Ok(disjunction(clauses))
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
