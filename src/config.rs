//! Validated settings made from command-line arguments: default paths, dates and relative
//! dates (`30d`, `6m`, `1y`). No I/O beyond reading the clock.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Duration, Months, NaiveTime, TimeZone, Utc};

use crate::cli::IndexArgs;
use crate::extract::date::parse_date;
use crate::search::Filters;

/// Where the index lives when `--index` is not given.
pub const DEFAULT_INDEX_DIR: &str = "index";
/// The corpus built into the default index when it does not exist yet.
pub const DEFAULT_CORPUS_DIR: &str = "corpus";

/// The index location, and whether it is the default one (which may be built on demand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLocation {
    pub path: PathBuf,
    pub is_default: bool,
}

impl IndexLocation {
    pub fn from_args(args: &IndexArgs) -> IndexLocation {
        match &args.index {
            Some(path) => IndexLocation {
                path: path.clone(),
                is_default: false,
            },
            None => IndexLocation {
                path: PathBuf::from(DEFAULT_INDEX_DIR),
                is_default: true,
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

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
) -> anyhow::Result<DateTime<Utc>> {
    let text = text.trim();
    if let Some(date) = parse_relative(text, now) {
        return Ok(date);
    }
    let Some(date) = parse_date(text) else {
        bail!(
            "`{text}` is not a date: use YYYY-MM-DD, a date such as `28 Mar 2024`, or an age such as 30d, 6m, 1y"
        );
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

/// Parses a half-life such as `90d`, `2w`, `6m` (30 days each) or `1y` (365 days).
pub fn parse_half_life(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let unit = text.chars().last().unwrap_or(' ');
    let amount: i64 = text[..text.len() - unit.len_utf8().min(text.len())]
        .parse()
        .ok()
        .filter(|amount| *amount > 0)
        .with_context(|| {
            format!("`{text}` is not a half-life: use a number and d, w, m or y, e.g. 90d")
        })?;
    let days = match unit {
        'd' => amount,
        'w' => amount * 7,
        'm' => amount * 30,
        'y' => amount * 365,
        _ => bail!("`{text}` is not a half-life: use a number and d, w, m or y, e.g. 90d"),
    };
    Ok(Duration::days(days))
}

/// Builds the search filters from the command-line values.
pub fn filters(
    since: Option<&str>,
    until: Option<&str>,
    sections: &[String],
    entities: &[String],
    categories: &[String],
) -> anyhow::Result<Filters> {
    let now = Utc::now();
    Ok(Filters {
        since: since
            .map(|text| parse_date_arg(text, DayEnd::Start, now))
            .transpose()
            .context("invalid --since")?,
        until: until
            .map(|text| parse_date_arg(text, DayEnd::End, now))
            .transpose()
            .context("invalid --until")?,
        sections: sections.to_vec(),
        entities: entities.to_vec(),
        categories: categories.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 15, 12, 0, 0).unwrap()
    }

    fn check(text: &str, day_end: DayEnd, expected: &str) {
        let parsed = parse_date_arg(text, day_end, now()).unwrap();
        assert_eq!(parsed.to_rfc3339(), expected, "{text}");
    }

    #[test]
    fn dates_and_ages() {
        check("2024-03-28", DayEnd::Start, "2024-03-28T00:00:00+00:00");
        check("2024-03-28", DayEnd::End, "2024-03-28T23:59:59+00:00");
        check(
            "2024-03-28T10:00:00Z",
            DayEnd::End,
            "2024-03-28T10:00:00+00:00",
        );
        check("30d", DayEnd::Start, "2025-05-16T12:00:00+00:00");
        check("6m", DayEnd::Start, "2024-12-15T12:00:00+00:00");
        check("1y", DayEnd::Start, "2024-06-15T12:00:00+00:00");
    }

    #[test]
    fn half_lives() {
        assert_eq!(parse_half_life("90d").unwrap(), Duration::days(90));
        assert_eq!(parse_half_life("2w").unwrap(), Duration::days(14));
        assert_eq!(parse_half_life("1y").unwrap(), Duration::days(365));
        assert!(parse_half_life("0d").is_err());
        assert!(parse_half_life("d").is_err());
        assert!(parse_half_life("12").is_err());
        assert!(parse_half_life("").is_err());
    }

    #[test]
    fn bad_dates_say_what_is_accepted() {
        let error = parse_date_arg("soon", DayEnd::Start, now()).unwrap_err();
        assert!(error.to_string().contains("is not a date"));
        assert!(parse_date_arg("5q", DayEnd::Start, now()).is_err());
    }
}
