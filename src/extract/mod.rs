//! Extraction stage: pure functions that find dates and named entities in article text.
//! Nothing here reads files or touches the index.

pub mod acronyms;
pub mod conll;
pub mod date;
pub mod entities;
pub mod feature_table;
pub mod gazetteer;
#[cfg(test)]
mod list_fold;
pub mod names;
pub mod spelling;
pub mod tagger;
