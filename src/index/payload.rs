//! What an index's last commit says about itself: its payload (`manifest::Payload`: the
//! manifest and acronym table files, the mapping, the declared fields) and the acronym table
//! it names.

use crate::error::IndexError;
use crate::extract::acronyms::{AcronymTable, CorpusAcronyms};
use crate::manifest::Payload;

use super::{IndexHandle, tantivy_error};

/// The payload of the last commit (the manifest's and the acronym table's file names, the
/// schema version, the field mapping), or `None` when the index has none newsdex can use.
pub fn last_payload(handle: &IndexHandle) -> Result<Option<Payload>, IndexError> {
    let metas = handle
        .index
        .load_metas()
        .map_err(tantivy_error(&handle.path))?;
    Ok(metas.payload.as_deref().and_then(Payload::from_json))
}

/// The corpus acronym table of the index's last commit (empty when it has none, or when its
/// file is missing or damaged: searches then resolve with the lists alone). Reads `meta.json`
/// now and the small table file on first use, never the manifest.
pub fn load_acronyms(handle: &IndexHandle) -> CorpusAcronyms {
    acronyms_of(handle, last_payload(handle).ok().flatten().as_ref())
}

/// `load_acronyms` for a payload already read.
pub fn acronyms_of(handle: &IndexHandle, payload: Option<&Payload>) -> CorpusAcronyms {
    let Some(payload) = payload else {
        return CorpusAcronyms::default();
    };
    if payload.acronyms_file.is_empty() {
        return CorpusAcronyms::default();
    }
    let file = handle.path.join(&payload.acronyms_file);
    CorpusAcronyms::on_first_use(move || {
        std::fs::read(&file)
            .ok()
            .and_then(|bytes| AcronymTable::unpack(&bytes).ok())
            .unwrap_or_default()
    })
}
