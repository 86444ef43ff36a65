//! The query language on declared fields (`[fields.extra]`): a value or a range of a field the
//! index declared, parsed by its type.

use std::ops::Bound;

use super::{ExtraRange, ExtraTest, Node, ParseError, Parser, RangeEnd, Token, date_value_range};
use crate::model::ExtraType;

impl Parser<'_> {
    /// A declared field's value: a keyword's or a text's words; a number, or a date (a bare
    /// year or month stands for all of it), as a range of one.
    pub(super) fn extra_value(&mut self, column: usize, idx: usize) -> Result<Node, ParseError> {
        let field = self.extras[idx].clone();
        let Some((_, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error(column, format!("`{}:` needs a value", field.name)));
        };
        self.pos += 1;
        let (text, slop) = match token {
            Token::Word(text) => (text, 0),
            Token::Phrase(text, slop) => (text, slop),
            _ => {
                return Err(self.error(
                    column,
                    format!("`{}:` takes a word, a \"phrase\" or a [range]", field.name),
                ));
            }
        };
        match field.kind {
            ExtraType::Keyword | ExtraType::Text => Ok(Node::Extra {
                field,
                test: ExtraTest::Value { text, slop },
            }),
            ExtraType::Number => {
                let end = RangeEnd::Included(text);
                self.extra_range(column, idx, &end, &end)
            }
            ExtraType::Date => {
                let (lower, upper) =
                    date_value_range(&text).map_err(|message| self.error(column, message))?;
                self.extra_range(column, idx, &lower, &upper)
            }
        }
    }

    /// A range of a declared number or date field, its ends parsed.
    pub(super) fn extra_range(
        &self,
        column: usize,
        idx: usize,
        lower: &RangeEnd,
        upper: &RangeEnd,
    ) -> Result<Node, ParseError> {
        let field = self.extras[idx].clone();
        let test = match field.kind {
            ExtraType::Number => {
                let bound = |end: &RangeEnd| -> Result<Bound<f64>, ParseError> {
                    let parse = |text: &str| {
                        text.parse::<f64>()
                            .ok()
                            .filter(|number| number.is_finite())
                            .ok_or_else(|| {
                                self.error(
                                    column,
                                    format!("`{text}` in `{}:` is not a number", field.name),
                                )
                            })
                    };
                    Ok(match end {
                        RangeEnd::Unbounded => Bound::Unbounded,
                        RangeEnd::Included(text) => Bound::Included(parse(text)?),
                        RangeEnd::Excluded(text) => Bound::Excluded(parse(text)?),
                    })
                };
                ExtraTest::Range(ExtraRange::Numbers {
                    lower: bound(lower)?,
                    upper: bound(upper)?,
                })
            }
            ExtraType::Date => {
                let (lower, upper) = self.date_bounds(column, lower, upper)?;
                ExtraTest::Range(ExtraRange::Dates { lower, upper })
            }
            ExtraType::Keyword | ExtraType::Text => {
                return Err(self.error(
                    column,
                    format!(
                        "ranges work on number and date fields; `{}:` is a {} field",
                        field.name, field.kind
                    ),
                ));
            }
        };
        Ok(Node::Extra { field, test })
    }
}
