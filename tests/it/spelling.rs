//! One spelling per entity across the whole index: hits, facets and entity counts show every
//! spelling of an entity under the canonical one (diacritics where any article has them), and
//! a surname alone under the one full name of that surname in the index.

use std::path::Path;

use crate::{TestEnv, stderr};

fn write(env: &TestEnv, name: &str, text: &str) {
    let path = env.corpus().join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn build_ok(env: &TestEnv) {
    let output = env.build();
    assert!(output.status.success(), "{}", stderr(&output));
}

const VUCIC_ASCII: &str = " date 2024-05-14 Serbia's arms makers are running extra shifts.\n\n\
    Politics\n\nSerbian President Aleksandar Vucic told reporters that the factories would keep \
    selling ammunition to any buyer that pays.\n";
const VUCIC_DIACRITICS: &str = " date 2024-05-15 Orders for artillery keep arriving.\n\n\
    Politics\n\nSerbian President Aleksandar Vučić said Belgrade would sell ammunition to \
    whoever pays.\n";

/// The names of the people among the entities of every hit.
fn people(hits: &[serde_json::Value]) -> Vec<Vec<String>> {
    hits.iter()
        .map(|hit| {
            hit["entities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|entity| entity["kind"] == "person")
                .map(|entity| entity["name"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn spelling_files(index: &Path) -> Vec<String> {
    std::fs::read_dir(index)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("spellings-"))
        .collect()
}

#[test]
fn every_hit_shows_the_spelling_with_diacritics() {
    let env = TestEnv::empty();
    write(&env, "a.txt", VUCIC_ASCII);
    write(&env, "b.txt", VUCIC_DIACRITICS);
    build_ok(&env);
    let hits = env.search_json("ammunition", &[]);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(
        people(&hits),
        [["Aleksandar Vučić"], ["Aleksandar Vučić"]],
        "{hits:?}"
    );
    // Entity counts show and count it once, under the same spelling.
    let output = env.run(&["entities", "--index", "index", "--json"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Aleksandar Vučić"), "{text}");
    assert!(!text.contains("Aleksandar Vucic"), "{text}");
}

#[test]
fn a_surname_alone_shows_the_one_full_name_of_the_index() {
    let env = TestEnv::empty();
    write(
        &env,
        "a.txt",
        " date 2004-03-01 Grain prices rose in London.\n\nTrade\n\nPrime Minister Tony Blair \
         said grain prices would be watched.\n",
    );
    write(
        &env,
        "b.txt",
        " date 2004-03-02 Grain exports fell.\n\nTrade\n\nMr Blair told parliament that grain \
         exports would recover.\n",
    );
    build_ok(&env);
    let hits = env.search_json("blair", &[]);
    assert_eq!(crate::article_ids(&hits), ["a.txt", "b.txt"]);
    assert_eq!(people(&hits), [["Tony Blair"], ["Tony Blair"]], "{hits:?}");
}

#[test]
fn a_surname_two_people_share_stays_as_written() {
    let env = TestEnv::empty();
    write(
        &env,
        "a.txt",
        " date 2004-03-01 Racing news.\n\nRace\n\nMichael Schumacher won the grand prix in \
         Monza.\n",
    );
    write(
        &env,
        "b.txt",
        " date 2004-03-02 More racing news.\n\nRace\n\nRalf Schumacher finished the grand prix \
         in Monza.\n",
    );
    write(
        &env,
        "c.txt",
        " date 2004-03-03 Racing again.\n\nRace\n\nMr Schumacher said the grand prix was \
         hard.\n",
    );
    build_ok(&env);
    let hits = env.search_json("prix", &[]);
    let mut shown: Vec<String> = people(&hits).into_iter().flatten().collect();
    shown.sort();
    assert_eq!(
        shown,
        ["Michael Schumacher", "Ralf Schumacher", "Schumacher"],
        "{hits:?}"
    );
}

#[test]
fn an_incremental_build_that_adds_the_diacritic_spelling_updates_the_table() {
    let env = TestEnv::empty();
    write(&env, "a.txt", VUCIC_ASCII);
    build_ok(&env);
    assert_eq!(
        people(&env.search_json("ammunition", &[])),
        [["Aleksandar Vucic"]]
    );
    // Nothing changes: no table needed.
    assert!(spelling_files(&env.index()).is_empty());

    write(&env, "b.txt", VUCIC_DIACRITICS);
    build_ok(&env);
    assert_eq!(
        people(&env.search_json("ammunition", &[])),
        [["Aleksandar Vučić"], ["Aleksandar Vučić"]]
    );
    assert_eq!(spelling_files(&env.index()).len(), 1);

    // The article with diacritics removed: the table of the new segments has nothing to change,
    // and the old one is gone.
    std::fs::remove_file(env.corpus().join("b.txt")).unwrap();
    build_ok(&env);
    assert_eq!(
        people(&env.search_json("ammunition", &[])),
        [["Aleksandar Vucic"]]
    );
    assert!(spelling_files(&env.index()).is_empty());

    // A table lost after its commit (a build stopped before writing it) is written by the next
    // build, even when nothing in the corpus changed.
    write(&env, "b.txt", VUCIC_DIACRITICS);
    build_ok(&env);
    let files = spelling_files(&env.index());
    assert_eq!(files.len(), 1);
    std::fs::remove_file(env.index().join(&files[0])).unwrap();
    let mut as_written = people(&env.search_json("ammunition", &[]));
    as_written.sort();
    assert_eq!(
        as_written,
        [["Aleksandar Vucic"], ["Aleksandar Vučić"]],
        "without its table, entities are shown as written"
    );
    build_ok(&env);
    assert_eq!(spelling_files(&env.index()), files);
    assert_eq!(
        people(&env.search_json("ammunition", &[])),
        [["Aleksandar Vučić"], ["Aleksandar Vučić"]]
    );
}
