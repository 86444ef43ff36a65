//! Query language: query text -> `Node` tree. Words (ranked, any may match, or all with
//! `--all`), "phrases" (with `~N` slop), `+must`, `-mustnot`, `NOT`, `AND`, `OR`, parentheses,
//! `field:value`, `date:[A TO B]` ranges, `word~N` fuzziness and `prefix*`. It knows the field
//! names a user may type, and the index's declared fields (`[fields.extra]`) when given them;
//! dates and numbers are parsed here, once, into typed bounds (an age such as `30d` counts back
//! from the `now` it is given). `search::plan` turns nodes into the clauses both backends emit.

use std::fmt;
use std::ops::Bound;

use chrono::{DateTime, Utc};

use crate::extract::date::{DayEnd, parse_date_arg};
use crate::model::ExtraField;
pub use crate::model::Keyword;

pub use tantivy::query::Occur;

/// The fields a query may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldName {
    Title,
    Section,
    Text,
    Entity,
    /// `category:`, `source:`, `author:`, `language:`: an exact value.
    Keyword(Keyword),
    Date,
}

impl FieldName {
    pub const ALL: [FieldName; 9] = [
        FieldName::Title,
        FieldName::Section,
        FieldName::Text,
        FieldName::Entity,
        FieldName::Keyword(Keyword::Category),
        FieldName::Keyword(Keyword::Source),
        FieldName::Keyword(Keyword::Author),
        FieldName::Keyword(Keyword::Language),
        FieldName::Date,
    ];

    pub fn parse(name: &str) -> Option<FieldName> {
        match name {
            "title" => Some(FieldName::Title),
            "section" => Some(FieldName::Section),
            "text" | "body" => Some(FieldName::Text),
            "entity" => Some(FieldName::Entity),
            "date" => Some(FieldName::Date),
            _ => Keyword::ALL
                .into_iter()
                .find(|keyword| keyword.as_str() == name)
                .map(FieldName::Keyword),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Title => "title",
            FieldName::Section => "section",
            FieldName::Text => "text",
            FieldName::Entity => "entity",
            FieldName::Keyword(keyword) => keyword.as_str(),
            FieldName::Date => "date",
        }
    }
}

/// One end of a range as written: unbounded (`*`), or a value included (`[`, `]`) or excluded
/// (`{`, `}`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum RangeEnd {
    Unbounded,
    Included(String),
    Excluded(String),
}

/// What a query asks of a declared field.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtraTest {
    /// A keyword field's exact value, or a text field's words (a phrase when several).
    Value {
        text: String,
        slop: u32,
    },
    Range(ExtraRange),
}

/// A range of a declared number or date field, its ends typed; the plan carries it as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtraRange {
    Numbers {
        lower: Bound<f64>,
        upper: Bound<f64>,
    },
    /// Like `Node::Dates`: a bare lower day from its start, a bare upper day to its end.
    Dates {
        lower: Bound<DateTime<Utc>>,
        upper: Bound<DateTime<Utc>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A word; `fuzzy` is an edit distance, `prefix` matches every word that starts with it.
    Term {
        field: Option<FieldName>,
        text: String,
        fuzzy: Option<u8>,
        prefix: bool,
    },
    Phrase {
        field: Option<FieldName>,
        text: String,
        slop: u32,
    },
    /// Passages dated within the bounds (`date:[A TO B]`, `date:2024`): the start of a bare
    /// lower day, the end of a bare upper one.
    Dates {
        lower: Bound<DateTime<Utc>>,
        upper: Bound<DateTime<Utc>>,
    },
    /// A declared field's value or range (`desk:metro`, `words:[500 TO *]`).
    Extra {
        field: ExtraField,
        test: ExtraTest,
    },
    Bool(Vec<(Occur, Node)>),
}

/// A syntax error with the (1-based, in characters) column where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
    excerpt: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at column {} (near `{}`)",
            self.message, self.column, self.excerpt
        )
    }
}

impl std::error::Error for ParseError {}

/// The most words and groups one query may hold, and the deepest nesting of parentheses.
pub const MAX_CLAUSES: usize = 1024;
pub const MAX_DEPTH: usize = 32;
/// The largest edit distance `word~N` accepts.
pub const MAX_FUZZY_DISTANCE: u8 = 2;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LeftParen,
    RightParen,
    Plus,
    Minus,
    And,
    Or,
    Not,
    Field(FieldName),
    /// A declared field, by its place in the list the parser was given.
    Extra(usize),
    Word(String),
    Phrase(String, u32),
    Range(FieldName, RangeEnd, RangeEnd),
    ExtraRange(usize, RangeEnd, RangeEnd),
}

struct Lexer<'a> {
    query: &'a str,
    chars: Vec<char>,
    pos: usize,
    extras: &'a [ExtraField],
}

/// Whether `name` is written as a field name: lower-case ASCII letters, digits and `_`,
/// starting with a letter or `_`.
fn is_field_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn error_at(query: &str, column: usize, message: impl Into<String>) -> ParseError {
    let start = column.saturating_sub(15);
    let excerpt: String = query.chars().skip(start).take(30).collect();
    ParseError {
        column: column + 1,
        message: message.into(),
        excerpt: excerpt.trim().to_string(),
    }
}

fn is_word_end(character: char) -> bool {
    character.is_whitespace() || matches!(character, '(' | ')' | '"')
}

impl<'a> Lexer<'a> {
    fn new(query: &'a str, extras: &'a [ExtraField]) -> Lexer<'a> {
        Lexer {
            query,
            chars: query.chars().collect(),
            pos: 0,
            extras,
        }
    }

    fn error(&self, column: usize, message: impl Into<String>) -> ParseError {
        error_at(self.query, column, message)
    }

    fn tokens(mut self) -> Result<Vec<(usize, Token)>, ParseError> {
        let mut tokens = Vec::new();
        while self.pos < self.chars.len() {
            let start = self.pos;
            let character = self.chars[self.pos];
            if character.is_whitespace() {
                self.pos += 1;
                continue;
            }
            let token = match character {
                '(' => {
                    self.pos += 1;
                    Token::LeftParen
                }
                ')' => {
                    self.pos += 1;
                    Token::RightParen
                }
                '"' => self.phrase()?,
                '+' | '-' if self.next_starts_clause() => {
                    self.pos += 1;
                    if character == '+' {
                        Token::Plus
                    } else {
                        Token::Minus
                    }
                }
                _ => {
                    let word = self.word();
                    match word.as_str() {
                        "AND" | "&&" => Token::And,
                        "OR" | "||" => Token::Or,
                        "NOT" => Token::Not,
                        _ => self.field_or_word(start, word)?,
                    }
                }
            };
            tokens.push((start, token));
        }
        Ok(tokens)
    }

    fn next_starts_clause(&self) -> bool {
        self.chars
            .get(self.pos + 1)
            .is_some_and(|next| !next.is_whitespace() && *next != ')')
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while self.pos < self.chars.len() && !is_word_end(self.chars[self.pos]) {
            // A field name ends at its colon, so that `title:"a phrase"` lexes as two tokens.
            if self.chars[self.pos] == ':' {
                let name: String = self.chars[start..self.pos].iter().collect();
                if is_field_name(&name) {
                    self.pos += 1;
                    return self.chars[start..self.pos].iter().collect();
                }
            }
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn field_or_word(&mut self, start: usize, word: String) -> Result<Token, ParseError> {
        let Some(name) = word.strip_suffix(':') else {
            return Ok(Token::Word(word));
        };
        if !is_field_name(name) {
            return Ok(Token::Word(word));
        }
        let field = match FieldName::parse(name) {
            Some(field) => Ok(field),
            None => match self.extras.iter().position(|extra| extra.name == name) {
                Some(idx) => Err(idx),
                None => {
                    let known: Vec<&str> = FieldName::ALL
                        .iter()
                        .map(|f| f.as_str())
                        .chain(self.extras.iter().map(|extra| extra.name.as_str()))
                        .collect();
                    return Err(self.error(
                        start,
                        format!(
                            "unknown field `{name}`; the fields are {}",
                            known.join(", ")
                        ),
                    ));
                }
            },
        };
        match self.chars.get(self.pos) {
            Some('[' | '{') => {
                let (lower, upper) = self.range(start)?;
                Ok(match field {
                    Ok(field) => Token::Range(field, lower, upper),
                    Err(idx) => Token::ExtraRange(idx, lower, upper),
                })
            }
            Some(c) if !c.is_whitespace() => Ok(match field {
                Ok(field) => Token::Field(field),
                Err(idx) => Token::Extra(idx),
            }),
            _ => Err(self.error(start, format!("`{name}:` needs a value"))),
        }
    }

    fn range(&mut self, field_start: usize) -> Result<(RangeEnd, RangeEnd), ParseError> {
        let open = self.chars[self.pos];
        let open_pos = self.pos;
        let Some(close_offset) = self.chars[self.pos..]
            .iter()
            .position(|c| *c == ']' || *c == '}')
        else {
            return Err(self.error(open_pos, format!("`{open}` is never closed")));
        };
        let close_pos = self.pos + close_offset;
        let close = self.chars[close_pos];
        let inside: String = self.chars[self.pos + 1..close_pos].iter().collect();
        self.pos = close_pos + 1;
        let parts: Vec<&str> = inside.split_whitespace().collect();
        let [lower, "TO", upper] = parts.as_slice() else {
            return Err(self.error(
                field_start,
                "a range is written [FROM TO UNTIL], with `*` for an open end",
            ));
        };
        let end = |value: &str, included: bool| match value {
            "*" => RangeEnd::Unbounded,
            value if included => RangeEnd::Included(value.to_string()),
            value => RangeEnd::Excluded(value.to_string()),
        };
        Ok((end(lower, open == '['), end(upper, close == ']')))
    }

    fn phrase(&mut self) -> Result<Token, ParseError> {
        let open = self.pos;
        let Some(close_offset) = self.chars[open + 1..].iter().position(|c| *c == '"') else {
            return Err(self.error(open, "`\"` is never closed"));
        };
        let close = open + 1 + close_offset;
        let text: String = self.chars[open + 1..close].iter().collect();
        self.pos = close + 1;
        let mut slop = 0;
        if self.chars.get(self.pos) == Some(&'~') {
            let digits_start = self.pos + 1;
            let mut end = digits_start;
            while end < self.chars.len() && self.chars[end].is_ascii_digit() {
                end += 1;
            }
            let digits: String = self.chars[digits_start..end].iter().collect();
            slop = digits
                .parse()
                .map_err(|_| self.error(self.pos, "`~` after a phrase takes a number of words"))?;
            self.pos = end;
        }
        Ok(Token::Phrase(text, slop))
    }
}

/// Parses a query. Words joined without an operator take `default_occur` (`Should`: any may
/// match; `Must`: all must match). Ages in dates count back from now.
pub fn parse(query: &str, default_occur: Occur) -> Result<Node, ParseError> {
    parse_at(query, default_occur, Utc::now())
}

/// `parse`, with ages in dates (`date:[30d TO *]`) counted back from `now`.
pub fn parse_at(query: &str, default_occur: Occur, now: DateTime<Utc>) -> Result<Node, ParseError> {
    parse_with(query, default_occur, now, &[])
}

/// `parse_at`, knowing the index's declared fields (`name:value`, `name:[A TO B]`).
pub fn parse_with(
    query: &str,
    default_occur: Occur,
    now: DateTime<Utc>,
    extras: &[ExtraField],
) -> Result<Node, ParseError> {
    let tokens = Lexer::new(query, extras).tokens()?;
    let mut parser = Parser {
        query,
        tokens,
        pos: 0,
        default_occur,
        n_clauses: 0,
        now,
        extras,
    };
    let node = parser.sequence(0)?;
    if let Some((column, _)) = parser.tokens.get(parser.pos) {
        return Err(error_at(query, *column, "`)` without a matching `(`"));
    }
    match &node {
        Node::Bool(clauses) if clauses.is_empty() => Err(error_at(query, 0, "the query is empty")),
        Node::Bool(clauses) if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) => {
            Err(error_at(
                query,
                0,
                "the query only excludes words; add a word to search for",
            ))
        }
        _ => Ok(node),
    }
}

struct Parser<'a> {
    query: &'a str,
    tokens: Vec<(usize, Token)>,
    pos: usize,
    default_occur: Occur,
    n_clauses: usize,
    now: DateTime<Utc>,
    extras: &'a [ExtraField],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    Implicit,
    And,
    Or,
}

impl Parser<'_> {
    fn error(&self, column: usize, message: impl Into<String>) -> ParseError {
        error_at(self.query, column, message)
    }

    fn column(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.query.chars().count(), |(column, _)| *column)
    }

    /// Parses clauses up to a `)` or the end, and groups them: `OR` separates groups, `AND`
    /// makes the clauses of its group required.
    fn sequence(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                self.column(),
                format!("parentheses nest deeper than {MAX_DEPTH}"),
            ));
        }
        let mut groups: Vec<Vec<(Option<Occur>, Node)>> = vec![Vec::new()];
        let mut group_has_and = vec![false];
        let mut join = Join::Implicit;
        let mut pending_join_column = None;
        while let Some((column, token)) = self.tokens.get(self.pos).cloned() {
            match token {
                Token::RightParen => break,
                Token::And | Token::Or => {
                    if groups.last().is_none_or(Vec::is_empty) || pending_join_column.is_some() {
                        return Err(self.error(column, "an operator needs a word on each side"));
                    }
                    join = if token == Token::And {
                        Join::And
                    } else {
                        Join::Or
                    };
                    pending_join_column = Some(column);
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let (modifier, node) = self.clause(depth)?;
            pending_join_column = None;
            if join == Join::Or {
                groups.push(Vec::new());
                group_has_and.push(false);
            }
            if join == Join::And {
                *group_has_and.last_mut().expect("there is always a group") = true;
            }
            groups
                .last_mut()
                .expect("there is always a group")
                .push((modifier, node));
            join = Join::Implicit;
        }
        if let Some(column) = pending_join_column {
            return Err(self.error(column, "an operator needs a word on each side"));
        }
        let mut disjuncts: Vec<Node> = groups
            .into_iter()
            .zip(group_has_and)
            .filter(|(group, _)| !group.is_empty())
            .map(|(group, has_and)| {
                let default = if has_and {
                    Occur::Must
                } else {
                    self.default_occur
                };
                let clauses: Vec<(Occur, Node)> = group
                    .into_iter()
                    .map(|(modifier, node)| (modifier.unwrap_or(default), node))
                    .collect();
                simplify(clauses)
            })
            .collect();
        Ok(match disjuncts.len() {
            1 => disjuncts.remove(0),
            _ => Node::Bool(
                disjuncts
                    .into_iter()
                    .map(|node| (Occur::Should, node))
                    .collect(),
            ),
        })
    }

    fn clause(&mut self, depth: usize) -> Result<(Option<Occur>, Node), ParseError> {
        let mut modifier = None;
        while let Some((_, token)) = self.tokens.get(self.pos) {
            match token {
                Token::Plus => modifier = Some(Occur::Must),
                Token::Minus | Token::Not => modifier = Some(Occur::MustNot),
                _ => break,
            }
            self.pos += 1;
        }
        self.n_clauses += 1;
        if self.n_clauses > MAX_CLAUSES {
            return Err(self.error(
                self.column(),
                format!("the query has more than {MAX_CLAUSES} words"),
            ));
        }
        let Some((column, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error(self.column(), "expected a word after the operator"));
        };
        self.pos += 1;
        let node = match token {
            Token::LeftParen => {
                let inner = self.sequence(depth + 1)?;
                match self.tokens.get(self.pos) {
                    Some((_, Token::RightParen)) => self.pos += 1,
                    _ => return Err(self.error(column, "`(` is never closed")),
                }
                inner
            }
            Token::Word(word) => word_node(None, &word),
            Token::Phrase(text, slop) => Node::Phrase {
                field: None,
                text,
                slop,
            },
            Token::Field(field) => self.field_value(column, field)?,
            Token::Range(field, lower, upper) => self.dates(column, field, &lower, &upper)?,
            Token::Extra(idx) => self.extra_value(column, idx)?,
            Token::ExtraRange(idx, lower, upper) => {
                self.extra_range(column, idx, &lower, &upper)?
            }
            Token::RightParen => return Err(self.error(column, "`)` without a matching `(`")),
            Token::Plus | Token::Minus | Token::Not | Token::And | Token::Or => {
                return Err(self.error(column, "expected a word"));
            }
        };
        if let Node::Term {
            fuzzy: Some(distance),
            ..
        } = &node
            && *distance > MAX_FUZZY_DISTANCE
        {
            return Err(self.error(
                column,
                format!("fuzziness is at most ~{MAX_FUZZY_DISTANCE}"),
            ));
        }
        Ok((modifier, node))
    }

    fn field_value(&mut self, column: usize, field: FieldName) -> Result<Node, ParseError> {
        let Some((_, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error(column, format!("`{}:` needs a value", field.as_str())));
        };
        self.pos += 1;
        match token {
            Token::Word(text) | Token::Phrase(text, _) if field == FieldName::Date => {
                let (lower, upper) =
                    date_value_range(&text).map_err(|message| self.error(column, message))?;
                self.dates(column, field, &lower, &upper)
            }
            Token::Word(word) => Ok(word_node(Some(field), &word)),
            Token::Phrase(text, slop) => Ok(Node::Phrase {
                field: Some(field),
                text,
                slop,
            }),
            _ => Err(self.error(
                column,
                format!(
                    "`{}:` takes a word, a \"phrase\" or a [range]",
                    field.as_str()
                ),
            )),
        }
    }
}

impl Parser<'_> {
    /// A range of `field` (dates only) with its ends parsed: a bare lower day from its start, a
    /// bare upper day to its end.
    fn dates(
        &self,
        column: usize,
        field: FieldName,
        lower: &RangeEnd,
        upper: &RangeEnd,
    ) -> Result<Node, ParseError> {
        if field != FieldName::Date {
            return Err(self.error(
                column,
                format!(
                    "ranges work on `date:` and on declared number and date fields, not on `{}:`",
                    field.as_str()
                ),
            ));
        }
        let (lower, upper) = self.date_bounds(column, lower, upper)?;
        Ok(Node::Dates { lower, upper })
    }

    /// The ends of a date range, parsed: a bare lower day from its start, a bare upper day to
    /// its end.
    fn date_bounds(
        &self,
        column: usize,
        lower: &RangeEnd,
        upper: &RangeEnd,
    ) -> Result<DateBounds, ParseError> {
        let bound = |end: &RangeEnd, day_end: DayEnd| -> Result<Bound<DateTime<Utc>>, ParseError> {
            let parse = |text: &str| {
                parse_date_arg(text, day_end, self.now).map_err(|_| {
                    self.error(
                        column,
                        format!("`{text}` in a date range is not a date (use YYYY-MM-DD)"),
                    )
                })
            };
            Ok(match end {
                RangeEnd::Unbounded => Bound::Unbounded,
                RangeEnd::Included(text) => Bound::Included(parse(text)?),
                RangeEnd::Excluded(text) => Bound::Excluded(parse(text)?),
            })
        };
        Ok((bound(lower, DayEnd::Start)?, bound(upper, DayEnd::End)?))
    }
}

type DateBounds = (Bound<DateTime<Utc>>, Bound<DateTime<Utc>>);

/// The range a bare `date:` value stands for: `2024` the whole year, `2024-03` the month,
/// anything else itself (a day, checked where it is parsed as a date).
fn date_value_range(text: &str) -> Result<(RangeEnd, RangeEnd), String> {
    let (lower, upper) = match text.len() {
        4 => (format!("{text}-01-01"), format!("{text}-12-31")),
        7 => {
            let start = chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
                .map_err(|_| format!("`date:{text}` is not a year, month or day"))?;
            let last = start
                .checked_add_months(chrono::Months::new(1))
                .and_then(|next| next.pred_opt())
                .unwrap_or(start);
            (start.to_string(), last.to_string())
        }
        _ => (text.to_string(), text.to_string()),
    };
    Ok((RangeEnd::Included(lower), RangeEnd::Included(upper)))
}

/// A group of one plain clause is the clause itself.
fn simplify(mut clauses: Vec<(Occur, Node)>) -> Node {
    if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
        return clauses.remove(0).1;
    }
    Node::Bool(clauses)
}

/// A word with its `~N` fuzziness or `*` prefix marker.
fn word_node(field: Option<FieldName>, word: &str) -> Node {
    if let Some(stem) = word.strip_suffix('*')
        && !stem.is_empty()
        && !stem.ends_with('*')
    {
        return Node::Term {
            field,
            text: stem.to_string(),
            fuzzy: None,
            prefix: true,
        };
    }
    if let Some((text, distance)) = word.rsplit_once('~')
        && !text.is_empty()
        && (distance.is_empty() || distance.bytes().all(|b| b.is_ascii_digit()))
    {
        let distance = if distance.is_empty() {
            1
        } else {
            distance.parse().unwrap_or(u8::MAX)
        };
        return Node::Term {
            field,
            text: text.to_string(),
            fuzzy: Some(distance),
            prefix: false,
        };
    }
    Node::Term {
        field,
        text: word.to_string(),
        fuzzy: None,
        prefix: false,
    }
}

mod extra;
#[cfg(test)]
mod tests;
