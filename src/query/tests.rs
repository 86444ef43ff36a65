use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn term(text: &str) -> Node {
    Node::Term {
        field: None,
        text: text.into(),
        fuzzy: None,
        prefix: false,
    }
}

fn check(query: &str, expected: Node) {
    assert_eq!(parse(query, Occur::Should).unwrap(), expected, "{query}");
}

fn check_error(query: &str, expected: &str) {
    let message = parse(query, Occur::Should).unwrap_err().to_string();
    assert!(message.contains(expected), "{query}: {message}");
}

#[test]
fn words_are_optional_and_modifiers_require_or_exclude() {
    check(
        "ammunition Serbia -Russia +shells",
        Node::Bool(vec![
            (Occur::Should, term("ammunition")),
            (Occur::Should, term("Serbia")),
            (Occur::MustNot, term("Russia")),
            (Occur::Must, term("shells")),
        ]),
    );
    assert_eq!(
        parse("ammunition Serbia", Occur::Must).unwrap(),
        Node::Bool(vec![
            (Occur::Must, term("ammunition")),
            (Occur::Must, term("Serbia"))
        ])
    );
}

#[test]
fn and_binds_tighter_than_or() {
    check(
        "a AND b OR c",
        Node::Bool(vec![
            (
                Occur::Should,
                Node::Bool(vec![(Occur::Must, term("a")), (Occur::Must, term("b"))]),
            ),
            (Occur::Should, term("c")),
        ]),
    );
    check(
        "ammunition AND NOT (Russia OR Belarus)",
        Node::Bool(vec![
            (Occur::Must, term("ammunition")),
            (
                Occur::MustNot,
                Node::Bool(vec![
                    (Occur::Should, term("Russia")),
                    (Occur::Should, term("Belarus")),
                ]),
            ),
        ]),
    );
}

#[test]
fn phrases_fields_ranges_fuzzy_and_prefix() {
    check(
        "\"arms production\"~2",
        Node::Phrase {
            field: None,
            text: "arms production".into(),
            slop: 2,
        },
    );
    check(
        "title:\"shell plants\"",
        Node::Phrase {
            field: Some(FieldName::Title),
            text: "shell plants".into(),
            slop: 0,
        },
    );
    let day = |y, m, d, h, min, sec| Utc.with_ymd_and_hms(y, m, d, h, min, sec).unwrap();
    check(
        "date:[2024-01-01 TO *}",
        Node::Dates {
            lower: Bound::Included(day(2024, 1, 1, 0, 0, 0)),
            upper: Bound::Unbounded,
        },
    );
    check(
        "date:{2024-01-01 TO 2024-01-31]",
        Node::Dates {
            lower: Bound::Excluded(day(2024, 1, 1, 0, 0, 0)),
            upper: Bound::Included(day(2024, 1, 31, 23, 59, 59)),
        },
    );
    // A bare year or month is the whole of it.
    check(
        "date:2024-02",
        Node::Dates {
            lower: Bound::Included(day(2024, 2, 1, 0, 0, 0)),
            upper: Bound::Included(day(2024, 2, 29, 23, 59, 59)),
        },
    );
    // An age counts back from the time given to the parser.
    assert_eq!(
        parse_at("date:[30d TO *]", Occur::Should, day(2024, 3, 31, 12, 0, 0)).unwrap(),
        Node::Dates {
            lower: Bound::Included(day(2024, 3, 1, 12, 0, 0)),
            upper: Bound::Unbounded,
        }
    );
    check(
        "vucic~1",
        Node::Term {
            field: None,
            text: "vucic".into(),
            fuzzy: Some(1),
            prefix: false,
        },
    );
    check(
        "entity:ammun*",
        Node::Term {
            field: Some(FieldName::Entity),
            text: "ammun".into(),
            fuzzy: None,
            prefix: true,
        },
    );
    // A colon after something that is not a field name is part of the word.
    check("10:30", term("10:30"));
}

#[test]
fn errors_say_what_and_where() {
    check_error("(ammunition", "`(` is never closed at column 1");
    check_error("ammunition)", "`)` without a matching `(` at column 11");
    check_error("\"open phrase", "`\"` is never closed at column 1");
    check_error("colour:red", "unknown field `colour`");
    check_error("-gas", "only excludes");
    check_error("a AND", "an operator needs a word on each side");
    check_error("OR a", "an operator needs a word on each side");
    check_error("date:[2024 TO]", "a range is written");
    check_error(
        "date:[2024-13-45 TO *]",
        "`2024-13-45` in a date range is not a date",
    );
    check_error(
        "title:[a TO b]",
        "ranges work on `date:` and on declared number and date fields, not on `title:`",
    );
    check_error(
        "grain date:2024-13",
        "is not a year, month or day at column 7",
    );
    check_error("title: x", "needs a value");
    check_error("vucic~5", "fuzziness is at most ~2");
    check_error("", "the query is empty");
    check_error(&"(".repeat(100), "nest deeper");
    check_error(&"word ".repeat(2000), "more than 1024 words");
}

proptest! {
    #[test]
    fn parsing_never_panics(query in "\\PC{0,200}") {
        let _ = parse(&query, Occur::Should);
    }

    #[test]
    fn parsing_operator_soup_never_panics(query in "[ ()\"+\\-*~:\\[\\]{}a-zA-Z0-9]{0,80}|(AND|OR|NOT|title:|date:\\[| TO |\\]|\\(|\\)|\"|x|~|\\*| ){0,30}") {
        let _ = parse(&query, Occur::Should);
    }
}
