use super::*;
use crate::model::Section;
use std::collections::BTreeSet;

fn extractor() -> EntityExtractor {
    EntityExtractor::builtin()
}

fn names(text: &str) -> Vec<String> {
    extractor()
        .extract(text)
        .into_iter()
        .map(|e| e.name)
        .collect()
}

/// Every entity in `expected` (as `kind:Name`) is found in `input`.
fn check(input: &str, expected: &[&str]) {
    let found: Vec<String> = extractor()
        .extract(input)
        .into_iter()
        .map(|e| format!("{}:{}", e.kind, e.name))
        .collect();
    for want in expected {
        assert!(
            found.iter().any(|f| f == want),
            "{input:?}: want {want}, found {found:?}"
        );
    }
}

#[test]
fn a_name_runs_through_its_connector_and_a_connector_alone_is_no_name() {
    // The tagger puts "of" in the organisation and tags "Finland" a place.
    let text = "The Bank of Finland introduced credits. A Bank of Italy circular followed.";
    check(
        text,
        &["organisation:Bank of Finland", "organisation:Bank of Italy"],
    );
    let found = names(text);
    for piece in ["of", "Bank", "Finland", "Italy"] {
        assert!(!found.iter().any(|name| name == piece), "{found:?}");
    }
}

#[test]
fn an_organisations_first_word_alone_later_means_the_organisation() {
    let found = names("The Bank of Finland raised rates. The Bank said inflation slowed.");
    assert!(
        found.iter().any(|name| name == "Bank of Finland"),
        "{found:?}"
    );
    assert!(!found.iter().any(|name| name == "Bank"), "{found:?}");
    // Not before the full name, and not a word a list knows ("European" is Europe's).
    let found = names("The Bank said so. Later the Bank of Finland raised rates.");
    assert!(found.iter().any(|name| name == "Bank"), "{found:?}");
    let found = names("The European Commission proposed a law. European ministers agreed.");
    assert!(found.iter().any(|name| name == "Europe"), "{found:?}");
}

#[test]
fn a_legal_form_alone_is_no_name() {
    let found = names("Standard and Poor's Corp said it affirmed the debt of USX Corp and units.");
    assert!(!found.iter().any(|name| is_legal_form(name)), "{found:?}");
    assert!(found.iter().any(|name| name == "USX Corp"), "{found:?}");
}

fn check_resolve(input: &str, expected: &str) {
    let entity = extractor().resolve(input);
    assert_eq!(
        format!("{}:{}", entity.kind, entity.name),
        expected,
        "{input}"
    );
}

#[test]
fn resolve_folds_case_and_diacritics_and_aliases() {
    check_resolve("Serbia", "place:Serbia");
    check_resolve("SERBIA", "place:Serbia");
    check_resolve("Serbia's", "place:Serbia");
    check_resolve("EU", "organisation:European Union");
    check_resolve("European Union", "organisation:European Union");
    check_resolve("Russian Federation", "place:Russia");
    check_resolve("U.S.", "place:United States");
    check_resolve("US", "place:United States");
    check_resolve("United States", "place:United States");
    check_resolve("Serbian", "place:Serbia");
    check_resolve("Ukrainian", "place:Ukraine");
    check_resolve("Bosnian", "place:Bosnia and Herzegovina");
    check_resolve("Bosnia-Herzegovina", "place:Bosnia and Herzegovina");
    check_resolve("bosnia-herzegovina", "place:Bosnia and Herzegovina");
    check_resolve("Türkiye", "place:Turkey");
    check_resolve("USSR", "place:Soviet Union");
    check_resolve("West German", "place:West Germany");
    check_resolve(
        "SIPRI",
        "organisation:Stockholm International Peace Research Institute",
    );
    check_resolve("Vučić", "other:Vučić");
}

#[test]
fn text_forms_map_to_one_canonical_entity() {
    check(
        "Serbian ammunition reached Ukraine's army, the EU said.",
        &[
            "place:Serbia",
            "place:Ukraine",
            "organisation:European Union",
        ],
    );
    check(
        "Officials in the Russian Federation denied it.",
        &["place:Russia"],
    );
    check(
        "Shipments to the U.S. rose, and US officials said so.",
        &["place:United States"],
    );
    check(
        "Bosnian factories and Bosnia-Herzegovina's army.",
        &["place:Bosnia and Herzegovina"],
    );
    check("Serbia's exports rose.", &["place:Serbia"]);
}

#[test]
fn one_name_whatever_the_case_or_diacritics() {
    let text = "Aleksandar Vučić spoke, and VUČIĆ said more; Vucic left.";
    let people: Vec<Entity> = extractor()
        .extract(text)
        .into_iter()
        .filter(|e| e.kind == EntityKind::Person)
        .collect();
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(entity_key(&people[0].name), "aleksandar vucic");
}

#[test]
fn possessives_drop() {
    let found = names("Serbia's president met NATO's chief.");
    assert!(found.contains(&"Serbia".to_string()), "{found:?}");
    assert!(found.iter().all(|name| !name.ends_with("'s")), "{found:?}");
}

#[test]
fn unknown_capitalised_runs_are_names() {
    check(
        "President Aleksandar Vucic visited the factory in Kragujevac on Monday.",
        &["person:Aleksandar Vucic"],
    );
}

#[test]
fn acronym_defined_in_text_links_both_forms() {
    let text = "The Balkan Arms Monitoring Group (BAMG) published data. BAMG said exports rose.";
    let mentions = extractor().mentions(text);
    let acronym = mentions
        .iter()
        .find(|mention| &text[mention.start..mention.end] == "BAMG")
        .expect("the acronym is a mention");
    assert_eq!(acronym.entity.name, "Balkan Arms Monitoring Group");
    let names: BTreeSet<String> = mentions.into_iter().map(|m| m.entity.name).collect();
    assert!(!names.contains("BAMG"), "{names:?}");
}

#[test]
fn acronyms_defined_in_the_corpus_link_in_other_articles() {
    let article = Article {
        id: "a".into(),
        ..Article::default()
    };
    let passage = |text: &str| Passage {
        article_id: "a".into(),
        ordinal: 0,
        section: None,
        text: text.into(),
        entities: vec![],
    };
    let names = |passages: &[Passage]| -> Vec<String> {
        passages[0]
            .entities
            .iter()
            .map(|e| e.name.clone())
            .collect()
    };
    // The definer: its pair, and its own long form also before the definition.
    let mut definer = vec![passage(
        "BAMG spoke first. The Balkan Arms Monitoring Group (BAMG) published data.",
    )];
    let found = extractor().annotate_article(&article, &mut definer);
    let long_form = Entity {
        name: "Balkan Arms Monitoring Group".into(),
        kind: EntityKind::Organisation,
    };
    assert_eq!(found.defined, [("bamg".to_string(), long_form.clone())]);
    assert!(found.used.is_empty(), "{found:?}");
    assert_eq!(names(&definer), ["Balkan Arms Monitoring Group"]);
    // A user: the acronym as written without the table, the long form with it.
    let text = "BAMG said exports rose, the EU said.";
    let mut user = vec![passage(text)];
    let found = extractor().annotate_article(&article, &mut user);
    assert_eq!(found.used, ["bamg"]);
    assert!(
        names(&user).contains(&"BAMG".to_string()),
        "{:?}",
        names(&user)
    );
    let table = AcronymTable::from_pairs(&[("bamg".to_string(), long_form.clone())]);
    let with_table = extractor().with_acronyms(Arc::new(table));
    let mut user = vec![passage(text)];
    assert_eq!(
        with_table.annotate_article(&article, &mut user).used,
        ["bamg"]
    );
    assert!(names(&user).contains(&long_form.name), "{:?}", names(&user));
    assert!(!names(&user).contains(&"BAMG".to_string()));
    assert_eq!(with_table.resolve("BAMG"), long_form);
    assert_eq!(with_table.resolve("BAMG's"), long_form);
    assert_eq!(with_table.resolve("bamg"), long_form);
    assert_eq!(extractor().resolve("BAMG").name, "BAMG");
    // Labelled as written, then resolved with the table: as labelled with it, also for a
    // source's own label in the lead.
    let labelled = Article {
        given_entities: vec![
            Entity {
                name: "BAMG".into(),
                kind: EntityKind::Organisation,
            },
            Entity {
                name: "Serbia".into(),
                kind: EntityKind::Place,
            },
            Entity {
                name: "bamg".into(),
                kind: EntityKind::Organisation,
            },
        ],
        ..article.clone()
    };
    let mut at_once = vec![passage(text), passage("Exports of BAMG members fell.")];
    let mut later = at_once.clone();
    let found = with_table.annotate_article(&labelled, &mut at_once);
    let written = with_table.annotate_article_as_written(&labelled, &mut later);
    assert_eq!(written, found);
    assert!(names(&later).contains(&"BAMG".to_string()));
    assert_ne!(later, at_once);
    with_table.resolve_used_acronyms(
        &written.used,
        later.iter_mut().map(|passage| &mut passage.entities),
    );
    assert_eq!(later, at_once);
    assert!(!names(&at_once).contains(&"BAMG".to_string()));
    assert!(!names(&at_once).contains(&"bamg".to_string()));
}

#[test]
fn known_acronym_pairs_link_everywhere() {
    check(
        "SIPRI said exports rose.",
        &["organisation:Stockholm International Peace Research Institute"],
    );
}

#[test]
fn surname_after_full_name_resolves_across_passages() {
    let article = Article {
        id: "a".into(),
        path: "a.txt".into(),
        title: "T".into(),
        sections: vec![Section {
            heading: None,
            paragraphs: vec![],
        }],
        ..Article::default()
    };
    let passage = |ordinal: u32, text: &str| Passage {
        article_id: "a".into(),
        ordinal,
        section: None,
        text: text.into(),
        entities: vec![],
    };
    let mut passages = vec![
        passage(
            0,
            "Ukrainian President Volodymyr Zelenskyy met Serbian President Aleksandar Vucic in Athens.",
        ),
        passage(
            1,
            "Vucic said Serbia would not send weapons. Zelenskyy thanked him.",
        ),
    ];
    extractor().annotate(&article, &mut passages);
    let later: Vec<&str> = passages[1]
        .entities
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert!(later.contains(&"Aleksandar Vucic"), "{later:?}");
    assert!(later.contains(&"Volodymyr Zelenskyy"), "{later:?}");
    assert!(!later.contains(&"Vucic"), "{later:?}");
}

#[test]
fn acronyms_match_capitals_only() {
    let found = names("People who live there said so.");
    assert!(
        !found.contains(&"World Health Organization".to_string()),
        "{found:?}"
    );
    check(
        "The WHO said so.",
        &["organisation:World Health Organization"],
    );
}

#[test]
fn user_file_adds_entities() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.tsv");
    std::fs::write(&path, "# mine\nAcme Munitions\torganisation\tAcme;AMG\n").unwrap();
    let extractor = EntityExtractor::with_user_file(&path).unwrap();
    assert_eq!(extractor.resolve("AMG").name, "Acme Munitions");
    let found = extractor.extract("Shells came from Acme in March.");
    assert!(
        found.iter().any(|e| e.name == "Acme Munitions"),
        "{found:?}"
    );
}

#[test]
fn user_file_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.tsv");
    std::fs::write(&path, "Acme\torganisation\nBeta\tcompany\n").unwrap();
    let error = EntityExtractor::with_user_file(&path)
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with(
            "bad.tsv:2: unknown kind `company`: valid kinds are person, place, organisation, other"
        ),
        "{error}"
    );
    let missing = EntityExtractor::with_user_file(&dir.path().join("nope.tsv")).unwrap_err();
    assert!(missing.to_string().contains("nope.tsv"), "{missing}");
}

#[test]
fn none_finds_nothing() {
    assert!(
        EntityExtractor::none()
            .extract("Serbia and the EU")
            .is_empty()
    );
}

#[test]
fn lists_only_finds_what_the_lists_hold_and_no_other_name() {
    let text = "Aleksandar Vucic met Serbian officials and the EU in Belgrade.";
    let names = |extractor: &EntityExtractor| -> Vec<String> {
        extractor
            .extract(text)
            .into_iter()
            .map(|entity| entity.name)
            .collect()
    };
    let lists = names(&EntityExtractor::lists_only());
    for listed in ["Serbia", "European Union", "Belgrade"] {
        assert!(lists.iter().any(|name| name == listed), "{lists:?}");
    }
    assert!(
        !lists.iter().any(|name| name.contains("Vucic")),
        "{lists:?}"
    );
    let all = names(&extractor());
    assert!(all.iter().any(|name| name == "Aleksandar Vucic"), "{all:?}");
}

#[test]
fn within_gives_country_of_city_and_successor_of_old_state() {
    let extractor = extractor();
    let of = |name: &str| extractor.within(&extractor.resolve(name)).map(|e| e.name);
    assert_eq!(of("Belgrade").as_deref(), Some("Serbia"));
    assert_eq!(of("West Germany").as_deref(), Some("Germany"));
    assert_eq!(of("Serbia"), None);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn on_any_text(text in "\\PC*") {
            let _ = extractor().extract(&text);
        }

        #[test]
        fn on_any_script_and_control_characters(
            text in "([\\p{Cyrillic}\\p{Han}\\p{Arabic}\\p{Devanagari}\\p{Greek}A-Z]{1,8}[ \\t\\n\\r\\u{0}-\\u{1f}\\u{7f}().,'’s-]{0,3}){0,40}"
        ) {
            for mention in extractor().mentions(&text) {
                prop_assert!(mention.start <= mention.end && mention.end <= text.len());
                prop_assert!(text.is_char_boundary(mention.start) && text.is_char_boundary(mention.end));
            }
        }
    }
}
