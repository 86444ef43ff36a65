//! What an index's last commit says about itself: its payload (`manifest::Payload`: the
//! manifest and acronym table files, the mapping, the declared fields) and the acronym table
//! it names.

use crate::error::IndexError;

use super::{IndexHandle, tantivy_error};

/// The payload of the last commit (the manifest's and the acronym table's file names, the
/// schema version, the field mapping), or `None` when the index has none newsdex can use.
pub fn last_payload(handle: &IndexHandle) -> Result<Option<crate::manifest::Payload>, IndexError> {
    let metas = handle
        .index
        .load_metas()
        .map_err(tantivy_error(&handle.path))?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(crate::manifest::Payload::from_json))
}

/// The corpus acronym table of the index's last commit (empty when it has none, or when its
/// file is missing or damaged: searches then resolve with the lists alone). Reads `meta.json`
/// and the small table file, never the manifest.
pub fn load_acronyms(handle: &IndexHandle) -> crate::extract::acronyms::AcronymTable {
    acronyms_of(handle, last_payload(handle).ok().flatten().as_ref())
}

/// `load_acronyms` for a payload already read.
pub fn acronyms_of(
    handle: &IndexHandle,
    payload: Option<&crate::manifest::Payload>,
) -> crate::extract::acronyms::AcronymTable {
    let Some(payload) = payload else {
        return crate::extract::acronyms::AcronymTable::default();
    };
    if payload.acronyms_file.is_empty() {
        return crate::extract::acronyms::AcronymTable::default();
    }
    std::fs::read(handle.path.join(&payload.acronyms_file))
        .ok()
        .and_then(|bytes| crate::extract::acronyms::AcronymTable::unpack(&bytes).ok())
        .unwrap_or_default()
}
