//! Date extraction: a date string as found in an article or its metadata -> a UTC timestamp.
//! Pure functions; an unparseable date is `None` and the caller decides how to warn.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

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

/// Parses the date forms found in news archives: ISO 8601 with or without time and zone,
/// RFC 2822, wire-service forms such as `26-FEB-1987 15:01:01.79`, written dates such as
/// `March 28, 2024` and `28 Mar 2024`, `2024/03/28`, and Unix timestamps in seconds.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().trim_end_matches(['.', ',']);
    if text.is_empty() {
        return None;
    }
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
    if !text.is_empty() && text.len() <= 12 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        // Eight digits are a compact date (handled above); longer runs are Unix seconds.
        let seconds: i64 = text.parse().ok()?;
        return DateTime::from_timestamp(seconds, 0);
    }
    None
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
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        check("", None);
        check("yesterday-ish", None);
        check("2024-13-45", None);
        check("2024-02-30", None);
    }
}
