//! Cron schedules as operators write them (5-field crontab or 6-field with seconds).

use chrono::{DateTime, Utc};

/// A validated cron schedule; keeps the operator's text for display.
#[derive(Debug, Clone)]
pub struct Schedule {
    expr: String,
    cron: cron::Schedule,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad cron expression {expr:?}: {reason}")]
pub struct ScheduleError {
    pub expr: String,
    pub reason: String,
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Self, ScheduleError> {
        // TODO(config helper): 5-field crontab, day-of-week translation.
        let cron = expr
            .parse::<cron::Schedule>()
            .map_err(|e| ScheduleError { expr: expr.to_owned(), reason: e.to_string() })?;
        Ok(Self { expr: expr.to_owned(), cron })
    }

    pub fn as_str(&self) -> &str {
        &self.expr
    }

    /// The first tick strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.after(&t).next()
    }
}
