use super::*;

#[test]
fn english_analyzer_folds_stems_and_drops_stop_words() {
    let tokens = token_texts(&mut english_analyzer(), "The Serbian ammunitions of Vučić");
    assert_eq!(tokens, ["serbian", "ammunit", "vucic"]);
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().clone());
    }
    tokens
}

/// The texts of the tokens `analyzer` makes of `text`.
fn token_texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text)
        .into_iter()
        .map(|token| token.text)
        .collect()
}

/// The analyser chain `english_analyzer` fuses, from tantivy's own parts.
fn reference_analyzer() -> TextAnalyzer {
    use tantivy::tokenizer::{
        Language, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter,
    };
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(english_stop_words()))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Both analysers give the same tokens: text, position and offsets.
fn assert_same_tokens(reference: &mut TextAnalyzer, ours: &mut TextAnalyzer, text: &str) {
    let expected = tokens(reference, text);
    let got = tokens(ours, text);
    assert_eq!(got.len(), expected.len(), "{text:?}");
    for (got, expected) in got.iter().zip(&expected) {
        assert_eq!(got.text, expected.text, "{text:?}");
        assert_eq!(got.position, expected.position, "{text:?}");
        assert_eq!(got.position_length, expected.position_length, "{text:?}");
        assert_eq!(
            (got.offset_from, got.offset_to),
            (expected.offset_from, expected.offset_to),
            "{text:?}"
        );
    }
}

#[test]
fn cached_stemming_gives_tantivys_stems_positions_and_offsets() {
    let mut reference = reference_analyzer();
    let mut ours = english_analyzer();
    let text = "The Serbian ammunitions of Vučić: generously generalised, running runners \
                ran; Ærøskøbing's Straße & ÉCOLES, organisations organizing 1,000 F-16s. \
                Running ammunition again: the runners' organisations ran, GENERALISED.";
    // Twice through the same analyser: the second pass is answered from the cache.
    assert!(tokens(&mut reference, text).len() > 20);
    for _ in 0..2 {
        assert_same_tokens(&mut reference, &mut ours, text);
    }
}

#[test]
fn a_text_given_again_gets_the_same_tokens() {
    let mut reference = reference_analyzer();
    let mut ours = english_analyzer();
    let title = "Serbia's ammunition exports: Vučić defends the deals";
    let heading = "Running the numbers";
    let long = "The ammunition plants of Serbia ran at capacity. ".repeat(8);
    assert!(long.len() > 256, "a text too long to be remembered");
    // Repeated, interleaved, empty and too long: each stream is compared with the chain.
    let texts = [
        title, title, title, heading, heading, title, "", "", title, &long, &long, title,
    ];
    for text in texts {
        assert_same_tokens(&mut reference, &mut ours, text);
    }
    // A stream left before its end remembers nothing: the same text next gets every token.
    let mut stream = ours.token_stream("Kosovo and Serbia: the talks");
    assert!(stream.advance());
    drop(stream);
    assert_same_tokens(&mut reference, &mut ours, "Kosovo and Serbia: the talks");
    assert_same_tokens(&mut reference, &mut ours, "Kosovo and Serbia: the talks");
}

#[test]
fn the_fused_analyser_equals_the_chain_on_edge_cases() {
    let mut reference = reference_analyzer();
    let mut ours = english_analyzer();
    let long_ascii = "a".repeat(39) + " " + &"b".repeat(40) + " " + &"c".repeat(41);
    // 20 two-byte letters: 40 bytes, dropped although 20 characters long.
    let long_accented = "é".repeat(19) + " " + &"é".repeat(20) + " end";
    let texts = [
        "",
        " ",
        "...",
        "word",
        "THE The the tHe",
        "ÆSIR æsir Œuvre œuvre ǅemal",
        "İstanbul ǈubljana ΣΊΣΥΦΟΣ Москва Київ 東京 ١٢٣ ½ ² Ⅻ",
        "cafe\u{301} naïve coöperate résumé RÉSUMÉ",
        "tab\tnew\nline\r\nend\u{a0}nbsp\u{2009}thin",
        "emoji🙂between😀words 🙂",
        "x-ray F-16s U.S.A. e-mail o'clock isn't can't",
        &long_ascii,
        &long_accented,
        "ﬁnancial ﬂows ǉ Ǌ ß ẞ",
        // Either side of the inline memory's 16 bytes.
        "internationalis internationalise internationalised Internationalised",
        "éééééééé ééééééééé ﬃﬃﬃﬃﬃ ﬃﬃﬃﬃﬃﬃ ßßßßßßßß ẞẞẞẞẞẞ",
    ];
    for _ in 0..2 {
        for text in texts {
            assert_same_tokens(&mut reference, &mut ours, text);
        }
    }
}

#[test]
fn the_fused_analyser_equals_the_chain_on_the_bundled_corpus() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut reference = reference_analyzer();
    let mut ours = english_analyzer();
    let mut n_files = 0;
    for entry in walkdir::WalkDir::new(corpus) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        assert_same_tokens(&mut reference, &mut ours, &text);
        n_files += 1;
    }
    assert!(n_files > 10);
}

proptest::proptest! {
    #[test]
    fn the_fused_analyser_equals_the_chain_on_any_text(text in "\\PC{0,200}") {
        let mut reference = reference_analyzer();
        let mut ours = english_analyzer();
        assert_same_tokens(&mut reference, &mut ours, &text);
    }

    #[test]
    fn the_fused_analyser_equals_the_chain_on_wordy_text(
        text in "([A-Za-zÀ-ÿĀ-ž0-9]{1,45}[ ,.;'\\-]{1,3}){0,30}"
    ) {
        let mut reference = reference_analyzer();
        let mut ours = english_analyzer();
        assert_same_tokens(&mut reference, &mut ours, &text);
    }
}

/// (position, term) of every token `analyzer` gives for `text`.
fn positioned_terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    tokens(analyzer, text)
        .into_iter()
        .map(|token| (token.position, token.text))
        .collect()
}

/// What `all` indexes for `text`: the analysed tokenizer over its analysis.
fn indexed_in_all(text: &str) -> Vec<(usize, String)> {
    let mut analysed = String::new();
    analyse_english_into(&mut EnglishTokenizer::default(), text, &mut analysed);
    positioned_terms(
        &mut TextAnalyzer::from(AnalysedTokenizer::default()),
        &analysed,
    )
}

#[test]
fn analysed_text_keeps_a_slot_for_every_dropped_word() {
    let mut analysed = String::new();
    analyse_english_into(
        &mut EnglishTokenizer::default(),
        "The Bank of England",
        &mut analysed,
    );
    assert_eq!(analysed, " bank  england");
    assert_eq!(
        indexed_in_all("The Bank of England"),
        [(1, "bank".to_string()), (3, "england".to_string())]
    );
    analyse_english_into(&mut EnglishTokenizer::default(), "of the", &mut analysed);
    assert_eq!(analysed, "");
}

proptest::proptest! {
    #[test]
    fn all_indexes_the_terms_and_positions_of_the_english_analyser(text in "\\PC{0,200}") {
        proptest::prop_assert_eq!(
            indexed_in_all(&text),
            positioned_terms(&mut english_analyzer(), &text)
        );
    }

    #[test]
    fn all_indexes_the_terms_and_positions_of_wordy_text(
        text in "([A-Za-zÀ-ÿĀ-ž0-9½²]{1,45}[ ,.;'\\-]{1,3}){0,30}"
    ) {
        proptest::prop_assert_eq!(
            indexed_in_all(&text),
            positioned_terms(&mut english_analyzer(), &text)
        );
    }
}

#[test]
fn english_analyzer_drops_pronouns_single_letters_and_digits() {
    let text = "What did I say about U.S. Type 2 and F-16 jets?";
    let tokens = token_texts(&mut english_analyzer(), text);
    assert_eq!(tokens, ["say", "type", "16", "jet"]);
}

#[test]
fn no_stop_word_is_a_number_of_two_digits_or_more() {
    // `push_term` takes such a number as its own term without asking the chain.
    let number = |word: &str| word.len() > 1 && word.bytes().all(|byte| byte.is_ascii_digit());
    let numbers: Vec<String> = english_stop_words().filter(|word| number(word)).collect();
    assert!(numbers.is_empty(), "{numbers:?}");
    assert!(
        english_stop_words().any(|word| word == "2"),
        "single digits are stop words"
    );
}

/// The texts of the tokens `tokenizer` makes of an `entity` value.
fn entity_tokens(tokenizer: EntityValueTokenizer, value: &str) -> Vec<String> {
    token_texts(&mut TextAnalyzer::from(tokenizer), value)
}

#[test]
fn an_entity_value_indexes_folded_names_and_keeps_labels_for_facets() {
    let value = crate::index::entities_value(&[
        crate::model::Entity {
            name: "Aleksandar Vučić".into(),
            kind: crate::model::EntityKind::Person,
        },
        crate::model::Entity {
            name: "Ratio: 2".into(),
            kind: crate::model::EntityKind::Other,
        },
    ]);
    assert_eq!(value, "person:Aleksandar Vučić\tother:Ratio: 2");
    let tabbed = crate::index::entities_value(&[crate::model::Entity {
        name: "Two\tParts".into(),
        kind: crate::model::EntityKind::Other,
    }]);
    assert_eq!(tabbed, "other:Two Parts");
    assert_eq!(
        entity_tokens(EntityValueTokenizer::names(), &value),
        ["aleksandar vucic", "ratio: 2"]
    );
    assert_eq!(
        entity_tokens(EntityValueTokenizer::labels(), &value),
        ["person:Aleksandar Vučić", "other:Ratio: 2"]
    );
    assert!(entity_tokens(EntityValueTokenizer::names(), "").is_empty());
}

proptest::proptest! {
    /// A filter looks up `keyword_analyzer(name)`: what the `entity` value indexes.
    #[test]
    fn an_entity_value_indexes_what_filters_look_up(
        names in proptest::collection::vec("\\PC{1,30}|[A-Za-zÀ-ž' .-]{1,30}", 0..6)
    ) {
        let entities: Vec<crate::model::Entity> = names
            .iter()
            .map(|name| crate::model::Entity {
                name: name.clone(),
                kind: crate::model::EntityKind::Organisation,
            })
            .collect();
        let value = crate::index::entities_value(&entities);
        let expected: Vec<String> = names
            .iter()
            .flat_map(|name| {
                tokens(&mut keyword_analyzer(), name)
                    .into_iter()
                    .map(|token| token.text)
            })
            .collect();
        proptest::prop_assert_eq!(
            entity_tokens(EntityValueTokenizer::names(), &value),
            expected
        );
        let labels: Vec<String> = names.iter().map(|name| format!("organisation:{name}")).collect();
        proptest::prop_assert_eq!(
            entity_tokens(EntityValueTokenizer::labels(), &value),
            labels
        );
    }
}
