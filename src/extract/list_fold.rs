//! The built-in entity lists folded as `gazetteer::entity_key` folds a form (transliterated,
//! lower case), which `gazetteer::builtin_may_know` searches to rule a query word out without
//! building the lists. `build.rs` folds them with this same function at compile time
//! (`OUT_DIR/lists_folded.txt`), so that a search process does not fold 32 KB of lists first.

/// The folded text of the lists' lines: an ASCII line as it is, a line with other characters
/// cell by cell (transliterating drops tabs), one per line; comment lines left out.
pub fn fold_lists<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let mut folded = String::new();
    for line in lines {
        if line.trim_start().starts_with('#') {
            continue;
        }
        if line.is_ascii() {
            folded.push_str(line);
            folded.push('\n');
            continue;
        }
        for cell in line.split(['\t', ';']) {
            folded.push_str(&deunicode::deunicode(cell));
            folded.push('\n');
        }
    }
    folded.make_ascii_lowercase();
    folded
}
