//! Cron schedules as operators write them (5-field crontab or 6-field with seconds).
//!
//! Operators write crontab; the `cron` crate (0.17) wants a seconds field and
//! numbers days of the week Quartz-style (1 = Sunday, 0 rejected). This module
//! owns that translation so no other module ever sees the crate's dialect:
//!
//! - 5 fields (`min hour dom month dow`) get a leading `0` seconds field;
//!   6 fields (`sec min hour dom month dow`) and 7 (plus year) pass through.
//! - Day-of-week numbers always mean crontab: 0 and 7 are Sunday, 1 is
//!   Monday. Lists, ranges and steps (`1-5`, `0,6`, `*/2`) are expanded and
//!   handed to the crate as day names, which both dialects read alike.
//! - When both day-of-month and day-of-week are restricted, crontab fires on
//!   days matching *either* (vixie cron); the crate would need both, so such
//!   a schedule keeps two crate schedules and takes the earlier tick.
//! - `@hourly`, `@daily`/`@midnight`, `@weekly`, `@monthly`, `@yearly`/`@annually`.
//!
//! Main type: [`Schedule`]. Pure: no clock; callers pass `now`.

use chrono::{DateTime, Utc};

/// A validated cron schedule; keeps the operator's text for display.
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    cron: cron::Schedule,
    /// Crontab's day-of-month *or* day-of-week rule: the day-of-week half,
    /// when both fields are restricted (`cron` is then the day-of-month half).
    either_day: Option<cron::Schedule>,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad cron expression {expr:?}: {reason}")]
pub struct ScheduleError {
    pub expr: String,
    pub reason: String,
}

/// Crontab day names in crontab order (index 0 = Sunday); the crate reads them too.
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    /// Parses crontab text (see the module docs for the accepted forms).
    pub fn parse(expr: &str) -> Result<Self, ScheduleError> {
        let fail = |reason: String| ScheduleError { expr: expr.to_owned(), reason };
        let trimmed = expr.trim();
        if let Some(word) = trimmed.strip_prefix('@') {
            let canonical = match word.to_ascii_lowercase().as_str() {
                "hourly" => "@hourly",
                "daily" | "midnight" => "@daily",
                "weekly" => "@weekly",
                "monthly" => "@monthly",
                "yearly" | "annually" => "@yearly",
                _ => {
                    return Err(fail(format!(
                        "unknown shorthand @{word} (use @hourly, @daily, @weekly, @monthly or @yearly)"
                    )));
                }
            };
            let cron = crate_schedule(canonical).map_err(fail)?;
            return Ok(Self { expr: expr.to_owned(), cron, either_day: None });
        }

        let mut fields: Vec<String> = trimmed.split_whitespace().map(str::to_owned).collect();
        match fields.len() {
            5 => fields.insert(0, "0".to_owned()),
            6 | 7 => {}
            0 => return Err(fail("empty expression".to_owned())),
            n => {
                return Err(fail(format!(
                    "expected 5 fields (minute hour day-of-month month day-of-week) \
                     or 6 with seconds first, found {n}"
                )));
            }
        }
        fields[5] = crontab_weekdays(&fields[5]).map_err(fail)?;

        // Vixie cron treats a field starting with `*` as unrestricted, even `*/2`.
        let restricted = |field: &str| !field.starts_with('*') && field != "?";
        if restricted(&fields[3]) && restricted(&fields[5]) {
            let mut by_month_day = fields.clone();
            "*".clone_into(&mut by_month_day[5]);
            let mut by_week_day = fields;
            "*".clone_into(&mut by_week_day[3]);
            let cron = crate_schedule(&by_month_day.join(" ")).map_err(fail)?;
            let either = crate_schedule(&by_week_day.join(" ")).map_err(fail)?;
            return Ok(Self { expr: expr.to_owned(), cron, either_day: Some(either) });
        }
        let cron = crate_schedule(&fields.join(" ")).map_err(fail)?;
        Ok(Self { expr: expr.to_owned(), cron, either_day: None })
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The first tick strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let first = self.cron.after(&t).next();
        let second = self.either_day.as_ref().and_then(|s| s.after(&t).next());
        match (first, second) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl PartialEq for Schedule {
    /// Two schedules are equal when the operator wrote the same text.
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

/// Parses with the `cron` crate and condenses its multi-line, caret-marked
/// message (which points into *our* rewritten text) to its last useful line.
fn crate_schedule(text: &str) -> Result<cron::Schedule, String> {
    text.parse::<cron::Schedule>().map_err(|e| {
        let message = e.to_string();
        message
            .lines()
            .rev()
            .map(str::trim)
            .find(|line| line.chars().any(char::is_alphabetic) && *line != text.trim())
            .map_or_else(|| "not a valid cron expression".to_owned(), str::to_owned)
    })
}

/// Rewrites a crontab day-of-week field as a list of day names.
fn crontab_weekdays(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_owned());
    }
    let mut days = [false; 7];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step
                    .parse()
                    .ok()
                    .filter(|s| (1..=7).contains(s))
                    .ok_or_else(|| format!("bad day-of-week step in {part:?} (use 1 to 7)"))?;
                (range, Some(step))
            }
            None => (part, None),
        };
        let (start, end) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            let start = weekday(a, part)?;
            let mut end = weekday(b, part)?;
            // `FRI-SUN` and `5-0` mean up to the *closing* Sunday, crontab's 7.
            if end == 0 && start > 0 {
                end = 7;
            }
            if start > end {
                return Err(format!("day-of-week range {part:?} runs backwards"));
            }
            (start, end)
        } else {
            let day = weekday(range, part)?;
            // `N/step` means from N to the end of the week.
            (day, if step.is_some() { 6.max(day) } else { day })
        };
        for day in (start..=end).step_by(step.unwrap_or(1) as usize) {
            days[(day % 7) as usize] = true;
        }
    }
    if days.iter().all(|d| *d) {
        return Ok("*".to_owned());
    }
    let names: Vec<&str> = DAY_NAMES.iter().zip(days).filter(|(_, on)| *on).map(|(name, _)| *name).collect();
    Ok(names.join(","))
}

/// One crontab weekday: 0–7 (0 and 7 are Sunday) or a name (`mon`, `Monday`).
fn weekday(text: &str, part: &str) -> Result<u32, String> {
    let within = if text == part { String::new() } else { format!(" in {part:?}") };
    if let Ok(n) = text.parse::<u32>() {
        return if n <= 7 {
            Ok(n)
        } else {
            Err(format!("day of week {n}{within} is out of range (0-7, 0 and 7 = Sunday)"))
        };
    }
    // Any prefix of a full name from three letters on: `mon`, `tues`, `thursday`.
    let lower = text.to_ascii_lowercase();
    let full = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    full.iter()
        .position(|name| lower.len() >= 3 && name.starts_with(&lower))
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| format!("unknown day of week {text:?}{within} (use 0-7 or sun, mon, ...)"))
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().expect("valid test date")
    }

    fn ticks(expr: &str, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let schedule = Schedule::parse(expr).expect("valid expression");
        let mut out = Vec::new();
        let mut t = from;
        for _ in 0..n {
            t = schedule.next_after(t).expect("a next tick");
            out.push(t);
        }
        out
    }

    #[test]
    fn five_field_monday_fires_on_monday_at_nine() {
        // 2026-11-25 is a Wednesday.
        let next = ticks("0 9 * * 1", at(2026, 11, 25, 12, 0), 3);
        for t in &next {
            assert_eq!(t.weekday(), Weekday::Mon, "{t}");
            assert_eq!((t.hour(), t.minute(), t.second()), (9, 0, 0));
        }
        assert_eq!(next[0], at(2026, 11, 30, 9, 0));
    }

    #[test]
    fn every_thirty_minutes() {
        let next = ticks("*/30 * * * *", at(2026, 1, 1, 10, 5), 4);
        assert_eq!(
            next,
            vec![at(2026, 1, 1, 10, 30), at(2026, 1, 1, 11, 0), at(2026, 1, 1, 11, 30), at(2026, 1, 1, 12, 0)]
        );
    }

    #[test]
    fn six_field_with_seconds_is_accepted() {
        let next = ticks("30 0 9 * * 1-5", at(2026, 11, 27, 10, 0), 2);
        // Friday 27th is past 09:00, so Monday then Tuesday.
        assert_eq!(next[0], at(2026, 11, 30, 9, 0) + chrono::Duration::seconds(30));
        assert_eq!(next[1].weekday(), Weekday::Tue);
    }

    #[test]
    fn zero_and_seven_are_sunday() {
        for expr in ["0 8 * * 0", "0 8 * * 7", "0 8 * * sun", "0 8 * * Sunday"] {
            let next = ticks(expr, at(2026, 11, 25, 0, 0), 2);
            assert!(next.iter().all(|t| t.weekday() == Weekday::Sun), "{expr}: {next:?}");
        }
    }

    #[test]
    fn weekday_lists_ranges_and_steps_use_crontab_numbers() {
        assert_eq!(crontab_weekdays("1-5").as_deref(), Ok("MON,TUE,WED,THU,FRI"));
        assert_eq!(crontab_weekdays("0,6").as_deref(), Ok("SUN,SAT"));
        assert_eq!(crontab_weekdays("*/2").as_deref(), Ok("SUN,TUE,THU,SAT"));
        assert_eq!(crontab_weekdays("1-5/2").as_deref(), Ok("MON,WED,FRI"));
        assert_eq!(crontab_weekdays("5-7").as_deref(), Ok("SUN,FRI,SAT"));
        assert_eq!(crontab_weekdays("fri-sun").as_deref(), Ok("SUN,FRI,SAT"));
        assert_eq!(crontab_weekdays("0-7").as_deref(), Ok("*"));
        assert_eq!(crontab_weekdays("3/2").as_deref(), Ok("WED,FRI"));
        assert!(crontab_weekdays("8").is_err());
        assert!(crontab_weekdays("5-1").is_err());
        assert!(crontab_weekdays("*/0").is_err());
        assert!(crontab_weekdays("xyz").is_err());
    }

    #[test]
    fn day_of_month_or_day_of_week_like_crontab() {
        // The 1st of the month, or any Monday. December 2026: Tue 1st, Mon 7th.
        let next = ticks("0 0 1 * 1", at(2026, 11, 30, 12, 0), 3);
        assert_eq!(next, vec![at(2026, 12, 1, 0, 0), at(2026, 12, 7, 0, 0), at(2026, 12, 14, 0, 0)]);
    }

    #[test]
    fn shorthands() {
        assert_eq!(ticks("@hourly", at(2026, 1, 1, 10, 5), 1), vec![at(2026, 1, 1, 11, 0)]);
        assert_eq!(ticks("@daily", at(2026, 1, 1, 10, 5), 1), vec![at(2026, 1, 2, 0, 0)]);
        assert_eq!(ticks("@weekly", at(2026, 11, 25, 10, 5), 1)[0].weekday(), Weekday::Sun);
        assert!(Schedule::parse("@reboot").is_err());
    }

    #[test]
    fn keeps_the_operators_text() {
        assert_eq!(Schedule::parse("*/30 * * * *").expect("valid").as_str(), "*/30 * * * *");
    }

    #[test]
    fn rejects_bad_expressions_with_a_one_line_reason() {
        for expr in ["", "* * *", "61 * * * *", "0 9 * * 8", "0 25 * * *", "* * * * * * * *", "a b c d e"] {
            let err = Schedule::parse(expr).expect_err(expr);
            assert!(!err.reason.contains('\n'), "{expr}: {err}");
            assert!(!err.reason.is_empty());
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = Schedule::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_cron_like_text(text in "[0-9*/,\\- ?@a-zA-Z]{0,40}") {
            if let Ok(s) = Schedule::parse(&text) {
                let _ = s.next_after(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid"));
            }
        }
    }
}
