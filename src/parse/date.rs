//! A tolerant date parser for the dates real feeds carry.
//!
//! Feeds promise RFC 822 (RSS 2.0) or RFC 3339 (Atom, JSON Feed) and deliver
//! bad day names, single-digit days and times, two-digit years, named zones
//! (`EST`, `MEST`), ISO 8601 without a zone, slashes, asctime and more. feed-rs
//! drops what it cannot read silently, so it is handed this parser instead.
//! Pure; returns `None` rather than guessing when a part is out of range.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use regex::Regex;

/// Parses `text` as a date in any of the formats feeds use; a missing zone means UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 128 {
        return None;
    }
    parse_iso(text).or_else(|| parse_rfc822ish(text))
}

/// W3C-DTF / RFC 3339 / ISO 8601 with a `T` or a space, optional seconds,
/// fraction and zone; reduced forms `YYYY`, `YYYY-MM`, `YYYY-MM-DD`.
fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    static ISO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)^
            (\d{4}) (?: -(\d{1,3}) (?: -(\d{1,2}) )? )?
            (?: [T\ ] (\d{1,2}) : (\d{2}) (?: : (\d{2}) (?: [.,]\d+ )? )?
                \s* (Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)? )?
            $",
        )
        .expect("static regex is valid")
    });
    static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{2}:?\d{2})?)?$")
            .expect("static regex is valid")
    });
    static SHORT_YEAR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{2})-?(\d{2})-?(\d{2})$").expect("static regex is valid"));

    if let Some(c) = ISO.captures(text).or_else(|| COMPACT.captures(text)) {
        let num = |i: usize| c.get(i).map(|m| m.as_str().parse::<u32>().ok());
        let year: i32 = c.get(1)?.as_str().parse().ok()?;
        let month = num(2).unwrap_or(Some(1))?;
        let day = num(3).unwrap_or(Some(1))?;
        let hour = num(4).unwrap_or(Some(0))?;
        let minute = num(5).unwrap_or(Some(0))?;
        let second = num(6).unwrap_or(Some(0))?;
        let offset = match c.get(7) {
            Some(zone) => zone_offset(zone.as_str())?,
            None => 0,
        };
        return assemble(year, month, day, (hour, minute, second), offset);
    }
    // `031231` and `03-12-31`: two-digit-year ISO 8601 (feedparser accepts them).
    let c = SHORT_YEAR.captures(text)?;
    let year = expand_year(c.get(1)?.as_str().parse().ok()?);
    assemble(year, c.get(2)?.as_str().parse().ok()?, c.get(3)?.as_str().parse().ok()?, (0, 0, 0), 0)
}

/// RFC 822 and its relatives, read token by token so that the order of day,
/// month and year and the presence of a weekday or zone do not matter.
fn parse_rfc822ish(text: &str) -> Option<DateTime<Utc>> {
    let cleaned: String = text.chars().map(|c| if c == ',' { ' ' } else { c }).collect();
    let tokens: Vec<&str> = cleaned.split_whitespace().collect();
    let mut month = None;
    let mut numbers: Vec<(u32, usize)> = Vec::new(); // value, digit count
    let mut time = None;
    let mut offset = None;
    let mut date_from_slashes = None;
    for (index, token) in tokens.iter().enumerate() {
        if token.contains(':') && token.starts_with(|c: char| c.is_ascii_digit()) && time.is_none() {
            time = Some(parse_clock(token)?);
        } else if let Some((y, m, d)) = parse_slash_date(token) {
            date_from_slashes = Some((y, m, d));
        } else if token.chars().all(|c| c.is_ascii_digit()) {
            numbers.push((token.parse().ok()?, token.len()));
        } else if let Some(m) = month_number(token) {
            if month.is_some() {
                return None;
            }
            month = Some(m);
        } else if time.is_some() || offset.is_some() {
            // After the clock only a zone may follow.
            if offset.is_some() {
                return None;
            }
            offset = Some(zone_offset(token)?);
        } else if index == 0 && token.chars().all(char::is_alphabetic) {
            // A weekday name, possibly misspelled or localized: ignored.
        } else {
            return None;
        }
    }
    let (year, month, day) = if let Some(ymd) = date_from_slashes {
        if month.is_some() || !numbers.is_empty() {
            return None;
        }
        ymd
    } else {
        let month = month?;
        let (day, year) = match numbers.as_slice() {
            [(a, la), (b, lb)] if *la >= 3 && *lb <= 2 => (*b, i32::try_from(*a).ok()?),
            [(a, _), (b, lb)] => (*a, if *lb >= 3 { i32::try_from(*b).ok()? } else { expand_year(*b) }),
            _ => return None,
        };
        (year, month, day)
    };
    let (h, m, s) = time.unwrap_or((0, 0, 0));
    assemble(year, month, day, (h, m, s), offset.unwrap_or(0))
}

/// `H:MM`, `HH:MM:SS`, with an optional fraction on the seconds.
fn parse_clock(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split(':');
    let hour = parts.next()?.parse().ok()?;
    let minute = parts.next()?.parse().ok()?;
    let second = match parts.next() {
        Some(s) => s.split(['.', ',']).next()?.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((hour, minute, second))
}

/// `2006/09/15` (Perforce-style feeds).
fn parse_slash_date(token: &str) -> Option<(i32, u32, u32)> {
    let mut parts = token.split('/');
    let year = parts.next()?;
    if year.len() != 4 {
        return None;
    }
    let result = (year.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    parts.next().is_none().then_some(result)
}

/// RFC 2822 §4.3: two-digit years 00–49 are 20xx, 50–99 are 19xx.
fn expand_year(two_digits: u32) -> i32 {
    let y = i32::try_from(two_digits).unwrap_or(0);
    match y {
        0..=49 => 2000 + y,
        50..=99 => 1900 + y,
        _ => y,
    }
}

/// English month names (any prefix of three letters or more) and the Greek
/// abbreviations feedparser's test suite uses.
fn month_number(token: &str) -> Option<u32> {
    const EN: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    const GREEK: [&[&str]; 12] = [
        &["Ιαν"],
        &["Φεβ"],
        &["Μάώ", "Μάρ", "Μαρ"],
        &["Απρ"],
        &["Μάι", "Μαΐ", "Μαι"],
        &["Ιούν", "Ιον"],
        &["Ιούλ", "Ιολ"],
        &["Αύγ", "Αυγ"],
        &["Σεπ"],
        &["Οκτ"],
        &["Νοέ", "Νοε"],
        &["Δεκ"],
    ];
    let lower = token.trim_end_matches('.').to_lowercase();
    if lower.len() >= 3 && lower.is_ascii() {
        if let Some(i) = EN.iter().position(|name| name.starts_with(&lower)) {
            return u32::try_from(i + 1).ok();
        }
        // "Sept" is common and not a prefix problem; "Sept" already matches.
    }
    GREEK.iter().position(|names| names.contains(&token)).and_then(|i| u32::try_from(i + 1).ok())
}

/// A zone as seconds east of UTC: `Z`, `UT`, `GMT`, `Etc/GMT`, North American
/// and European abbreviations, `+hhmm`, `+hh:mm`, `+hh`, `GMT+hh:mm`.
fn zone_offset(zone: &str) -> Option<i32> {
    let upper = zone.to_ascii_uppercase();
    let upper = upper.strip_prefix("ETC/").unwrap_or(&upper);
    let named = match upper {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => Some(0),
        "AT" | "AST" | "EDT" => Some(-4),
        "ADT" => Some(-3),
        "ET" | "EST" | "CDT" => Some(-5),
        "CT" | "CST" | "MDT" => Some(-6),
        "MT" | "MST" | "PDT" => Some(-7),
        "PT" | "PST" | "AKDT" => Some(-8),
        "AKST" | "HDT" => Some(-9),
        "HST" => Some(-10),
        "BST" | "CET" | "MET" | "WEST" => Some(1),
        "CEST" | "MEST" | "EET" => Some(2),
        "EEST" | "MSK" => Some(3),
        "JST" | "KST" => Some(9),
        "AEST" => Some(10),
        "AEDT" => Some(11),
        "NZST" => Some(12),
        "NZDT" => Some(13),
        _ => None,
    };
    if let Some(hours) = named {
        return Some(hours * 3600);
    }
    let numeric = upper.strip_prefix("GMT").or_else(|| upper.strip_prefix("UTC")).unwrap_or(upper);
    let (sign, digits) = match numeric.as_bytes().first()? {
        b'+' => (1, &numeric[1..]),
        b'-' => (-1, &numeric[1..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|&c| c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// Builds the instant, rejecting out-of-range parts instead of normalizing them.
fn assemble(year: i32, month: u32, day: u32, (h, m, s): (u32, u32, u32), offset: i32) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    // A leap second (`:60`) is clamped rather than rejected.
    let time = NaiveTime::from_hms_opt(h, m, s.min(59))?;
    if s > 60 {
        return None;
    }
    let zone = FixedOffset::east_opt(offset)?;
    let local = NaiveDateTime::new(date, time);
    let instant = zone.from_local_datetime(&local).single()?;
    Some(instant.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymdhms(text: &str) -> Option<String> {
        parse_date(text).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn rfc822_variants() {
        assert_eq!(ymdhms("Thu, 01 Jan 2004 19:48:21 GMT").as_deref(), Some("2004-01-01 19:48:21"));
        assert_eq!(ymdhms("Thu, 01 Jan 04 19:48:21 GMT").as_deref(), Some("2004-01-01 19:48:21"));
        assert_eq!(ymdhms("Thu,  5 Apr 2012 10:00:00 GMT").as_deref(), Some("2012-04-05 10:00:00"));
        assert_eq!(ymdhms("Fri,24 Nov 2023 18:28:36 -0000").as_deref(), Some("2023-11-24 18:28:36"));
        assert_eq!(ymdhms("Mon, 26 January 2004 16:31:00 ET").as_deref(), Some("2004-01-26 21:31:00"));
        assert_eq!(ymdhms("Wed, 19 Feb 2012 22:40:00 GMT-01:01").as_deref(), Some("2012-02-19 23:41:00"));
        assert_eq!(ymdhms("Thu, 30 Apr 2015 08:57:00 MEST").as_deref(), Some("2015-04-30 06:57:00"));
        assert_eq!(ymdhms("Thu, 01 Jan 2004").as_deref(), Some("2004-01-01 00:00:00"));
        // A wrong weekday name is ignored, as every reader does.
        assert_eq!(ymdhms("Xyz, 5 Apr 2012 1:02 EST").as_deref(), Some("2012-04-05 06:02:00"));
    }

    #[test]
    fn other_orders() {
        assert_eq!(ymdhms("Sun Jan  4 16:29:06 2004").as_deref(), Some("2004-01-04 16:29:06"));
        assert_eq!(ymdhms("Sun Jul 15 01:16:00 +0000 2012").as_deref(), Some("2012-07-15 01:16:00"));
        assert_eq!(ymdhms("Thu Aug 30 2012 17:26:16 +0200").as_deref(), Some("2012-08-30 15:26:16"));
        assert_eq!(ymdhms("Fri, 2006/09/15 08:19:53 EDT").as_deref(), Some("2006-09-15 12:19:53"));
    }

    #[test]
    fn iso_variants() {
        assert_eq!(ymdhms("2003-12-31T10:14:55-08:00").as_deref(), Some("2003-12-31 18:14:55"));
        assert_eq!(ymdhms("2007-04-23T23:25:47.538+10:00").as_deref(), Some("2007-04-23 13:25:47"));
        assert_eq!(ymdhms("2004-07-08 23:56:58").as_deref(), Some("2004-07-08 23:56:58"));
        assert_eq!(ymdhms("2004-07-08 23:56:58 -00:20").as_deref(), Some("2004-07-09 00:16:58"));
        assert_eq!(ymdhms("2003-12").as_deref(), Some("2003-12-01 00:00:00"));
        assert_eq!(ymdhms("2003").as_deref(), Some("2003-01-01 00:00:00"));
        assert_eq!(ymdhms("20031231T101455Z").as_deref(), Some("2003-12-31 10:14:55"));
    }

    #[test]
    fn garbage_is_rejected() {
        for bad in [
            "",
            "Sun, 16 Dec 2012 1:2:3:4 GMT",
            "Sun, 16 zzz 2012 11:47:32 GMT",
            "Sun, Dec x 2012 11:47:32 GMT",
            "Sun, 16 Dec zz 11:47:32 GMT",
            "Sun, 16 Dec 2012 11:47:32 +zz:00",
            "Sun, 99 Jun 2009 12:00:00 GMT",
            "9999-12-31T23:59:59-99:99",
            "2003-12-31T25:14:55Z",
            "2013-01-28T11:30:00-06:00Textra",
            "22013",
            "yesterday",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }
}
