//! Date extraction: a date string as found in an article or its metadata -> a UTC timestamp.
//! Pure functions; an unparseable date is `None` and the caller decides how to warn.

use chrono::{DateTime, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Formats with a time of day, tried in order after RFC 3339 and RFC 2822.
const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%d-%b-%Y %H:%M:%S%.f",
    "%Y/%m/%d %H:%M:%S",
];

/// Formats of a calendar date alone; the time is taken as midnight UTC.
const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d-%b-%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d.%m.%Y",
];

/// Whether the index can store `date`: tantivy keeps a date as nanoseconds in an `i64`, which
/// reach from 1677-09-21 to 2262-04-11; outside them a date would be stored as another one.
pub fn is_storable(date: &DateTime<Utc>) -> bool {
    date.timestamp_nanos_opt().is_some()
}

/// The warning for a date the index cannot store (`is_storable`): it goes in undated.
pub fn unstorable_warning(raw: &str) -> String {
    format!(
        "date `{raw}` is outside 1677-09-22 to 2262-04-11, the dates the index can store: indexed undated"
    )
}

/// Parses the date forms found in news archives: ISO 8601 with or without time and zone,
/// RFC 2822, wire-service forms such as `26-FEB-1987 15:01:01.79`, written dates such as
/// `March 28, 2024` and `28 Mar 2024`, `2024/03/28`, and Unix timestamps in seconds.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    // Wire archives pad with runs of spaces (`3-MAR-1987  09:15:05.40`).
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = collapsed.trim_end_matches(['.', ',']);
    if text.is_empty() {
        return None;
    }
    parse_clean_date(text).or_else(|| {
        // Reuters glues desk codes to the time (`27-MAR-1987 00:02:59.13RM`): drop letters that
        // follow the last digit and try again.
        let without_suffix = text
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .trim_end();
        let glued = without_suffix.len() < text.len()
            && without_suffix.ends_with(|c: char| c.is_ascii_digit())
            && without_suffix.contains(':');
        if glued && let Some(date) = parse_clean_date(without_suffix) {
            return Some(date);
        }
        // A full date followed by a garbled time (`31-MAR-1987 605:12:19.12`) keeps its day.
        let (day, time) = text.split_once(' ')?;
        if !time.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        DATE_FORMATS.iter().find_map(|format| {
            let date = NaiveDate::parse_from_str(day, format).ok()?;
            Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
        })
    })
}

fn parse_clean_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date_time) = DateTime::parse_from_rfc3339(text) {
        return Some(date_time.with_timezone(&Utc));
    }
    if let Ok(date_time) = DateTime::parse_from_rfc2822(text) {
        return Some(date_time.with_timezone(&Utc));
    }
    // ISO 8601 with a zone but a space instead of `T`, or a zone without a colon.
    for format in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(date_time) = DateTime::parse_from_str(text, format) {
            return Some(date_time.with_timezone(&Utc));
        }
    }
    let without_zone = text.strip_suffix('Z').unwrap_or(text);
    for format in DATE_TIME_FORMATS {
        if let Ok(naive) = NaiveDateTime::parse_from_str(without_zone, format) {
            return Some(Utc.from_utc_datetime(&naive));
        }
    }
    for format in DATE_FORMATS {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
        }
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.len() <= 13 && digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        // Eight digits are a compact date (handled above); longer runs are Unix seconds, and
        // thirteen digits are Unix milliseconds.
        let number: i64 = text.parse().ok()?;
        if digits.len() == 13 {
            return DateTime::from_timestamp_millis(number);
        }
        return DateTime::from_timestamp(number, 0);
    }
    None
}

/// A `--since`/`--until` value (or a date bound in a query) that is no date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a date: use YYYY-MM-DD, a date such as `28 Mar 2024`, or an age such as 30d, 6m, 1y"
)]
pub struct NotADate(pub String);

/// Which end of a day a date without a time stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    Start,
    End,
}

/// Parses a `--since`/`--until` value: any date `parse_date` reads, or an age such as `30d`,
/// `2w`, `6m`, `1y` counted back from `now`. A bare date stands for the start or end of that day.
pub fn parse_date_arg(
    text: &str,
    day_end: DayEnd,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, NotADate> {
    let text = text.trim();
    if let Some(date) = parse_relative(text, now) {
        return Ok(date);
    }
    let Some(date) = parse_date(text) else {
        return Err(NotADate(text.to_string()));
    };
    let is_bare_date = date.time() == NaiveTime::MIN && !text.contains(':');
    if is_bare_date && day_end == DayEnd::End {
        let end = date
            .date_naive()
            .and_hms_opt(23, 59, 59)
            .expect("23:59:59 is a valid time");
        return Ok(Utc.from_utc_datetime(&end));
    }
    Ok(date)
}

fn parse_relative(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let unit = text.chars().last()?;
    let amount: u32 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    match unit {
        'd' => now.checked_sub_signed(Duration::days(i64::from(amount))),
        'w' => now.checked_sub_signed(Duration::weeks(i64::from(amount))),
        'm' => now.checked_sub_months(Months::new(amount)),
        'y' => now.checked_sub_months(Months::new(amount.checked_mul(12)?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<&str>) {
        let parsed = parse_date(input).map(|date| date.to_rfc3339());
        assert_eq!(parsed.as_deref(), expected, "input: {input:?}");
    }

    #[test]
    fn parses_the_forms_found_in_archives() {
        check("2024-03-28", Some("2024-03-28T00:00:00+00:00"));
        check("2024-03-28T10:15:00Z", Some("2024-03-28T10:15:00+00:00"));
        check(
            "2024-03-28T10:15:00+02:00",
            Some("2024-03-28T08:15:00+00:00"),
        );
        check("2024-03-28 10:15:00", Some("2024-03-28T10:15:00+00:00"));
        check(
            "Thu, 28 Mar 2024 10:15:00 +0100",
            Some("2024-03-28T09:15:00+00:00"),
        );
        check(
            "26-FEB-1987 15:01:01.79",
            Some("1987-02-26T15:01:01.790+00:00"),
        );
        check("March 28, 2024", Some("2024-03-28T00:00:00+00:00"));
        check("28 Mar 2024", Some("2024-03-28T00:00:00+00:00"));
        check("2024/03/28", Some("2024-03-28T00:00:00+00:00"));
        check("1711584000", Some("2024-03-28T00:00:00+00:00"));
        check("1711584000000", Some("2024-03-28T00:00:00+00:00"));
        check(
            "3-MAR-1987  09:15:05.40",
            Some("1987-03-03T09:15:05.400+00:00"),
        );
        check(
            "27-MAR-1987 00:02:59.13RM",
            Some("1987-03-27T00:02:59.130+00:00"),
        );
        check(
            "27-MAR-1987 03:48:23.00F RM",
            Some("1987-03-27T03:48:23+00:00"),
        );
        check(
            "28 Mar 2024 10:15:00 GMT",
            Some("2024-03-28T10:15:00+00:00"),
        );
    }

    #[test]
    fn only_dates_the_index_can_store_are_storable() {
        for (text, storable) in [
            ("2024-03-28", true),
            ("1700-01-01", true),
            ("2262-04-10", true),
            ("1500-06-01", false),
            ("9999-12-31", false),
            ("0001-01-01", false),
        ] {
            let date = parse_date(text).unwrap();
            assert_eq!(is_storable(&date), storable, "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        check("", None);
        check("yesterday-ish", None);
        check("2024-13-45", None);
        check("2024-02-30", None);
        check("2024-03-28 later", None);
        check(
            "31-MAR-1987 605:12:19.12",
            Some("1987-03-31T00:00:00+00:00"),
        );
        check(
            "9-APR-1987 00:00:00.00    # date added by S Finch as guesswork",
            Some("1987-04-09T00:00:00+00:00"),
        );
    }
}
