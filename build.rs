//! Two things the compiler cannot do alone:
//! - packs the tagger's weights (`data/ner_weights.tsv`) into the table the tagger reads
//!   (`feature_table`), so that a process copies 2 MB in instead of parsing 55,600 lines of
//!   decimals, which was most of a one-file `newsdex inspect`;
//! - packs the word classes (`data/word_classes.tsv`, made by `scripts/gen_word_classes.py`)
//!   into the table the tagger's features look words up in (`feature_table::WordClasses`);
//! - folds the built-in entity lists (`data/places.tsv`, `data/organisations.tsv`) as a query
//!   word is folded (`list_fold`), which a search looks its words up in before it builds the
//!   lists;
//! - links the `newsdex` binary as a position-dependent executable. Its code is position
//!   independent, so the linker resolves every internal address itself: the dynamic loader then
//!   has no relocations to apply at start (a PIE `newsdex` carried about 63,000), which is a
//!   noticeable share of a one-shot `newsdex search` (docs/performance.md, "A whole search process").

#[allow(dead_code)]
#[path = "src/extract/feature_table.rs"]
mod feature_table;

#[path = "src/extract/list_fold.rs"]
mod list_fold;

fn main() {
    const WEIGHTS: &str = "data/ner_weights.tsv";
    println!("cargo:rerun-if-changed={WEIGHTS}");
    println!("cargo:rerun-if-changed=src/extract/feature_table.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(WEIGHTS).expect("data/ner_weights.tsv is readable");
    let table = feature_table::FeatureTable::from_map(&feature_table::parse_tsv(&text));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("ner_weights.table"), table.pack()).expect("OUT_DIR is writable");
    const CLASSES: &str = "data/word_classes.tsv";
    println!("cargo:rerun-if-changed={CLASSES}");
    let text = std::fs::read_to_string(CLASSES).expect("data/word_classes.tsv is readable");
    let classes = feature_table::WordClasses::from_tsv(&text);
    std::fs::write(out.join("word_classes.table"), classes.pack()).expect("OUT_DIR is writable");
    const LISTS: [&str; 2] = ["data/places.tsv", "data/organisations.tsv"];
    println!("cargo:rerun-if-changed=src/extract/list_fold.rs");
    let lists = LISTS.map(|list| {
        println!("cargo:rerun-if-changed={list}");
        std::fs::read_to_string(list).expect("the built-in lists are readable")
    });
    let folded = list_fold::fold_lists(lists.iter().flat_map(|list| list.lines()));
    std::fs::write(out.join("lists_folded.txt"), folded).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
