use super::features::{
    TokenInfo, UNSCANNED_INFO, affix_hash, is_sentence_end, mark_connectors, mark_gazetteer,
    scan_token, token_features, token_infos, word_classes,
};
use super::tokenize::{HIGH_BITS, lowercase_letters, split_chunk};
use super::*;
use crate::extract::gazetteer::Gazetteer;

fn texts(input: &str) -> Vec<&str> {
    tokenize(input)
        .into_iter()
        .map(|token| token.text)
        .collect()
}

#[test]
fn tokenize_splits_punctuation_and_possessives_but_keeps_abbreviations() {
    assert_eq!(
        texts("Serbia's army (SIPRI) met Mr. Vucic in the U.S., \"quietly\"."),
        [
            "Serbia", "'s", "army", "(", "SIPRI", ")", "met", "Mr.", "Vucic", "in", "the", "U.S.",
            ",", "\"", "quietly", "\"", "."
        ]
    );
    assert_eq!(
        texts("Bosnia-Herzegovina’s O'Neill"),
        ["Bosnia-Herzegovina", "’s", "O'Neill"]
    );
}

#[test]
fn tokens_know_line_starts_and_byte_ranges() {
    let text = "Title here\nBody  text";
    let tokens = tokenize(text);
    assert!(tokens[0].starts_line && !tokens[1].starts_line && tokens[2].starts_line);
    for token in &tokens {
        assert_eq!(&text[token.start..token.end], token.text);
    }
}

#[test]
fn the_packed_weights_are_the_shipped_file() {
    let shipped = include_str!("../../../data/ner_weights.tsv");
    let n_lines = shipped.lines().count();
    let parsed = Tagger::from_tsv(shipped);
    assert_eq!(
        parsed.n_features(),
        n_lines,
        "every line of the file parses"
    );
    let tagger = builtin_tagger();
    assert_eq!(tagger.n_features(), n_lines, "{tagger:?}");
    assert_eq!(tagger.weights.slots, parsed.weights.slots);
    assert_eq!(tagger.weights.zero, parsed.weights.zero);
    assert_eq!(
        tagger.weights.scale.to_bits(),
        parsed.weights.scale.to_bits()
    );
}

#[test]
fn tag_text_equals_known_matches_then_tag() {
    let gazetteer = Gazetteer::builtin();
    let tagger = builtin_tagger();
    let text = "Aleksandar Vučić met the Bank of England in New York.\nSERBIA'S ARMY (SIPRI) said.";
    let tokens = tokenize(text);
    let matches = known_matches(&tokens, &gazetteer);
    let (text_matches, text_tags) = tagger.tag_text(&tokens, &gazetteer);
    assert_eq!(text_matches, matches);
    assert_eq!(text_tags, tagger.tag(&tokens, &matches, &gazetteer));
    assert!(text_tags.contains(&Tag::Person), "{text_tags:?}");
}

/// The texts of the passages of the bundled `corpus/` articles, and some of our own.
fn sample_texts() -> Vec<String> {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let walk = crate::ingest::walk_corpus(&corpus, &crate::ingest::WalkOptions::default())
        .expect("the bundled corpus exists");
    let map = crate::ingest::mapping::FieldMap::default();
    let mut texts: Vec<String> = walk
        .files
        .iter()
        .flat_map(|file| crate::ingest::read_file(file, &map))
        .flatten()
        .flat_map(|article| crate::passage::split_passages(&article))
        .map(|passage| passage.text)
        .collect();
    assert!(texts.len() > 100, "{}", texts.len());
    texts.extend(
        [
            "Aleksandar Vučić met the Bank of England in New York.\nSERBIA'S ARMY (SIPRI) said.",
            "Vucic",
            "The",
            "of England",
            "\"Mr. O'Neill\" -- of the U.S. -- said: \u{201c}Yes\u{201d}.\r\n\tEU's NATO-led \u{a0}Kyiv\u{2019}s",
            "ΑΘΗΝΑ και Москва 北京 ,,, ... 'S 's",
            "Bosnia-Herzegovina's Türkiye, the U.S. and WHO; West German NEW YORK Russian Federation",
        ]
        .map(str::to_string),
    );
    texts
}

/// The tokenizer as it was before its chunk scan: char by char, every chunk split by
/// `split_chunk`.
fn reference_tokenize(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut line_start = true;
    let mut chunk_start = None;
    for (idx, c) in text.char_indices() {
        if c.is_whitespace() || c.is_control() {
            if let Some(start) = chunk_start.take() {
                split_chunk(text, start, idx, line_start, &mut tokens);
                line_start = false;
            }
            if c == '\n' {
                line_start = true;
            }
        } else if chunk_start.is_none() {
            chunk_start = Some(idx);
        }
    }
    if let Some(start) = chunk_start {
        split_chunk(text, start, text.len(), line_start, &mut tokens);
    }
    tokens
}

#[test]
fn lowercase_letters_marks_exactly_those_bytes() {
    for byte in 0..=u8::MAX {
        for place in 0..8 {
            let block =
                (u64::from(byte) << (place * 8)) | (0x4141_4141_4141_4141 & !(0xff << (place * 8)));
            let want = if byte.is_ascii_lowercase() {
                0x80 << (place * 8)
            } else {
                0
            };
            assert_eq!(lowercase_letters(block), want, "{byte:#x} at {place}");
            let in_letters =
                (u64::from(byte) << (place * 8)) | (0x6161_6161_6161_6161 & !(0xff << (place * 8)));
            let others = HIGH_BITS & !(0x80 << (place * 8));
            assert_eq!(
                lowercase_letters(in_letters),
                want | others,
                "{byte:#x} at {place}"
            );
        }
    }
}

#[test]
fn tokenize_equals_the_reference_tokenizer() {
    for text in sample_texts() {
        let tokens = tokenize(&text);
        assert_eq!(tokens, reference_tokenize(&text), "{text:?}");
        for token in tokens {
            let capitalised = token.text.chars().any(char::is_uppercase);
            assert_eq!(token.capitalised, capitalised, "{token:?}");
        }
    }
}

mod tokenizer_matches_reference {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn on_any_text(text in "([\\PC\\p{Cc} \\n]{0,6}[A-Za-z0-9.,'’()\"-]{0,6}){0,20}") {
            prop_assert_eq!(tokenize(&text), reference_tokenize(&text));
        }
    }
}

/// Infos as the tagger first computed them: every token hashed, every sentence start.
fn reference_infos(
    tokens: &[Token<'_>],
    matches: &KnownMatches,
    gazetteer: &Gazetteer,
) -> Vec<TokenInfo> {
    let mut infos: Vec<TokenInfo> = tokens
        .iter()
        .enumerate()
        .map(|(idx, token)| {
            let (word, shape, capitalised, plain) = scan_token(token.text);
            TokenInfo {
                word,
                shape,
                class: word_classes().get(word),
                capitalised,
                plain,
                candidate: capitalised,
                sentence_start: idx == 0
                    || token.starts_line
                    || is_sentence_end(tokens[idx - 1].text),
                ..UNSCANNED_INFO
            }
        })
        .collect();
    mark_connectors(tokens, &mut infos);
    for (info, token) in infos.iter_mut().zip(tokens) {
        if info.candidate {
            info.prefix = affix_hash(token.text, 2, false, 3);
            info.suffix = affix_hash(token.text, 3, true, 3);
            info.affixed = affixed_name(token.text);
        }
    }
    mark_gazetteer(matches, gazetteer, &mut infos);
    infos
}

#[test]
fn features_read_only_what_the_lazy_scan_computes() {
    let gazetteer = Gazetteer::builtin();
    let tagger = builtin_tagger();
    let mut n_candidates = 0;
    for text in sample_texts() {
        let tokens = tokenize(&text);
        let matches = known_matches(&tokens, &gazetteer);
        let lazy = token_infos(&tokens, &matches, &gazetteer);
        let full = reference_infos(&tokens, &matches, &gazetteer);
        let mut tags = vec![Tag::None; tokens.len()];
        tagger.decode(&full, &mut tags);
        assert_eq!(tagger.tag(&tokens, &matches, &gazetteer), tags, "{text:?}");
        for idx in 0..tokens.len() {
            assert_eq!(lazy[idx].candidate, full[idx].candidate, "{text:?} {idx}");
            if full[idx].candidate {
                n_candidates += 1;
                let (mut want, mut got) = (Vec::new(), Vec::new());
                token_features(&full, &tags, idx, &mut want);
                token_features(&lazy, &tags, idx, &mut got);
                assert_eq!(got, want, "{text:?} {idx}");
            }
        }
    }
    assert!(n_candidates > 1000, "{n_candidates}");
}

#[test]
fn first_word_filter_keeps_every_known_match() {
    let gazetteer = Gazetteer::builtin();
    let tagger = builtin_tagger();
    let mut scratch = TagScratch::default();
    let mut n_matches = 0;
    for text in sample_texts() {
        let tokens = tokenize(&text);
        let matches = known_matches(&tokens, &gazetteer);
        n_matches += matches.iter().flatten().count();
        assert_eq!(tagger.tag_text(&tokens, &gazetteer).0, matches, "{text:?}");
        tagger.tag_text_into(&tokens, &gazetteer, &mut scratch);
        assert_eq!(scratch.matches, matches, "{text:?}");
    }
    assert!(n_matches > 500, "{n_matches}");
}

#[test]
fn empty_tagger_tags_nothing() {
    let gazetteer = Gazetteer::builtin();
    let tokens = tokenize("Aleksandar Vucic visited Belgrade.");
    let matches = known_matches(&tokens, &gazetteer);
    assert!(
        Tagger::empty()
            .tag(&tokens, &matches, &gazetteer)
            .iter()
            .all(|tag| *tag == Tag::None)
    );
}

#[test]
fn history_summarises_the_tags_a_word_got_earlier() {
    use super::features::History;
    let mut history = History::default();
    let word = 42;
    assert_eq!(history.summary(word), 0, "an unseen word has no history");
    history.record(word, Tag::Organisation);
    let unanimous = history.summary(word);
    history.record(word, Tag::Organisation);
    assert_eq!(
        history.summary(word),
        unanimous,
        "the same tag again changes nothing"
    );
    history.record(word, Tag::Person);
    let mixed = history.summary(word);
    assert_ne!(mixed, unanimous, "another tag ends the unanimity");
    assert_ne!(mixed, 0);
    history.record(word, Tag::Person);
    history.record(word, Tag::Person);
    assert_ne!(history.summary(word), mixed, "the majority moved to Person");
    assert_eq!(history.summary(word + 1), 0, "other words keep none");
    history.clear();
    assert_eq!(
        history.summary(word),
        0,
        "a new text starts without history"
    );
}

#[test]
fn a_line_in_capitals_is_tagged_after_the_rest_of_the_text() {
    let gazetteer = Gazetteer::builtin();
    let text = "SOCCER - ROTOR FANS LOCKED OUT\nMOSCOW 1996-08-30\nRussian club Rotor Volgograd were fined.";
    let tokens = tokenize(text);
    let matches = known_matches(&tokens, &gazetteer);
    let infos = token_infos(&tokens, &matches, &gazetteer);
    let body = tokens
        .iter()
        .position(|token| token.text == "Russian")
        .unwrap();
    for (idx, info) in infos.iter().enumerate() {
        assert_eq!(
            info.deferred,
            info.candidate && idx < body,
            "{} {}",
            tokens[idx].text,
            idx
        );
    }
    let mut order = Vec::new();
    let mut tags = vec![Tag::None; tokens.len()];
    greedy_pass(
        &infos,
        &mut tags,
        &mut Vec::new(),
        &mut super::features::History::default(),
        |idx, _| {
            order.push(idx);
            Tag::None
        },
    );
    let first_headline = order.iter().position(|&idx| idx < body).unwrap();
    assert!(order[..first_headline].iter().all(|&idx| idx >= body));
    assert!(order[first_headline..].iter().all(|&idx| idx < body));
    assert_eq!(
        order.len(),
        infos.iter().filter(|info| info.candidate).count()
    );
    // A text all in capitals is read in order.
    let tokens = tokenize("ROTOR BEAT ALANIA\nSPARTAK DRAW");
    let matches = known_matches(&tokens, &gazetteer);
    let infos = token_infos(&tokens, &matches, &gazetteer);
    assert!(infos.iter().all(|info| !info.deferred));
}

#[test]
fn the_shipped_tagger_reads_the_history_of_a_word() {
    // The same candidate, with and without an earlier mention of its word, scores differently.
    let gazetteer = Gazetteer::builtin();
    let tagger = builtin_tagger();
    let alone = "Shares of Qorvex rose.";
    let after = "Qorvex Corp chairman Tim Lang said. Shares of Qorvex rose.";
    let scores_of_last = |text: &str| {
        let tokens = tokenize(text);
        let matches = known_matches(&tokens, &gazetteer);
        let infos = token_infos(&tokens, &matches, &gazetteer);
        let at = tokens
            .iter()
            .rposition(|token| token.text == "Qorvex")
            .unwrap();
        let mut scores = Vec::new();
        let mut tags = vec![Tag::None; tokens.len()];
        greedy_pass(
            &infos,
            &mut tags,
            &mut Vec::new(),
            &mut super::features::History::default(),
            |idx, features| {
                let row = tagger.scores(features);
                if idx == at {
                    scores.push(row);
                }
                best_of(&row)
            },
        );
        scores[0]
    };
    let (a, b) = (scores_of_last(alone), scores_of_last(after));
    assert_ne!(a, b);
    let org = Tag::Organisation.idx();
    assert!(b[org] - b[0] > a[org] - a[0], "{a:?} {b:?}");
}

#[test]
fn hyphenated_adjectives_of_names_are_names_of_their_own() {
    assert_eq!(affixed_name("Bergamo-based"), Affixed::Suffix);
    assert_eq!(affixed_name("U.S.-led"), Affixed::Suffix);
    assert_eq!(affixed_name("ex-England"), Affixed::Prefix);
    assert_eq!(affixed_name("PRE-SALE"), Affixed::No);
    assert_eq!(affixed_name("Coca-Cola"), Affixed::No);
    assert_eq!(affixed_name("well-based"), Affixed::No);
}
