//! The cadence guard: "don't over-post" on a channel.
//!
//! A channel has a minimum spacing between two of its posts, a maximum number of posts per day,
//! and optionally a posting-times template (the times of day, on chosen weekdays, that its
//! audience reads). Posts may be placed anywhere the spacing and the daily maximum allow; the
//! template only decides which slots "next free slot" offers. Days are counted in the channel's
//! UTC offset. There are limits for channels and never quotas for people.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time, UtcOffset, Weekday};

use crate::Invalid;

/// How far ahead "next free slot" looks before giving up.
pub const HORIZON_DAYS: i64 = 366;

/// One channel's cadence rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cadence {
    /// Minutes that must separate two posts on the channel (0 = no spacing rule).
    pub min_spacing_minutes: u32,
    /// Posts the channel may carry on one day (0 = no daily limit).
    pub max_per_day: u32,
    /// The channel's offset from UTC in minutes, for counting days and reading the template.
    pub utc_offset_minutes: i32,
    /// Times of day ("09:00") when posts are offered; empty = any time.
    pub times: Vec<String>,
    /// Weekdays the template applies to (1 = Monday … 7 = Sunday); empty = every day.
    pub weekdays: Vec<u8>,
}

impl Default for Cadence {
    /// An hour apart and at most three a day: a cautious start the social team tunes per channel.
    fn default() -> Self {
        Self {
            min_spacing_minutes: 60,
            max_per_day: 3,
            utc_offset_minutes: 0,
            times: Vec::new(),
            weekdays: Vec::new(),
        }
    }
}

/// Why a time breaks the guard, with the next time that would not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Breach,
    /// The next legal slot at or after the requested time (`None` beyond the horizon).
    pub next_free: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Closer than the minimum spacing to another post at `other`.
    TooClose { other: OffsetDateTime, min_spacing_minutes: u32 },
    /// The day already has its maximum number of posts.
    DayFull { max_per_day: u32 },
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::TooClose { min_spacing_minutes, .. } => {
                write!(f, "posts on this channel must be at least {min_spacing_minutes} minutes apart")
            }
            Breach::DayFull { max_per_day } => {
                write!(f, "this channel already has its {max_per_day} posts for that day")
            }
        }
    }
}

impl Cadence {
    /// Checks what a person typed in: offsets within a day, times as HH:MM, weekdays 1–7.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.min_spacing_minutes > 7 * 24 * 60 {
            return Err(Invalid::new("min_spacing_minutes", "may be at most a week (10080)"));
        }
        if self.max_per_day > 1000 {
            return Err(Invalid::new("max_per_day", "may be at most 1000"));
        }
        if self.utc_offset_minutes.abs() > 14 * 60 {
            return Err(Invalid::new("utc_offset_minutes", "must be between -840 and 840"));
        }
        if self.times.len() > 48 {
            return Err(Invalid::new("times", "may list at most 48 times"));
        }
        for t in &self.times {
            parse_time(t).ok_or_else(|| Invalid::new("times", format!("{t:?} is not a time like 09:30")))?;
        }
        if self.weekdays.iter().any(|d| !(1..=7).contains(d)) {
            return Err(Invalid::new("weekdays", "are numbered 1 (Monday) to 7 (Sunday)"));
        }
        Ok(())
    }

    fn offset(&self) -> UtcOffset {
        UtcOffset::from_whole_seconds(self.utc_offset_minutes.clamp(-840, 840) * 60).unwrap_or(UtcOffset::UTC)
    }

    fn spacing(&self) -> Duration {
        Duration::minutes(i64::from(self.min_spacing_minutes))
    }

    /// Whether a post at `at` fits among the channel's other posts (`taken`, in any order).
    pub fn check(&self, at: OffsetDateTime, taken: &[OffsetDateTime]) -> Result<(), Refusal> {
        match self.breach(at, taken) {
            None => Ok(()),
            Some(reason) => Err(Refusal { reason, next_free: self.next_free(at, taken) }),
        }
    }

    fn breach(&self, at: OffsetDateTime, taken: &[OffsetDateTime]) -> Option<Breach> {
        let spacing = self.spacing();
        if spacing > Duration::ZERO {
            // The nearest neighbour explains the refusal best.
            if let Some(other) =
                taken.iter().filter(|t| (**t - at).abs() < spacing).min_by_key(|t| (**t - at).abs())
            {
                return Some(Breach::TooClose {
                    other: *other,
                    min_spacing_minutes: self.min_spacing_minutes,
                });
            }
        }
        if self.max_per_day > 0 {
            let day = at.to_offset(self.offset()).date();
            let same_day = taken.iter().filter(|t| t.to_offset(self.offset()).date() == day).count();
            if same_day >= self.max_per_day as usize {
                return Some(Breach::DayFull { max_per_day: self.max_per_day });
            }
        }
        None
    }

    /// The first time at or after `from` that the guard allows: a template slot when the
    /// channel has a template, otherwise the earliest moment. `None` if nothing within
    /// [`HORIZON_DAYS`] fits.
    pub fn next_free(&self, from: OffsetDateTime, taken: &[OffsetDateTime]) -> Option<OffsetDateTime> {
        // Stored times have millisecond precision; suggest one that survives storage as it is.
        let from = from.replace_nanosecond(from.nanosecond() / 1_000_000 * 1_000_000).ok()?;
        let horizon = from + Duration::days(HORIZON_DAYS);
        let template = self.template();
        if template.is_empty() {
            let mut at = from;
            // Each step moves past one conflict, so this ends within (posts + days) steps.
            while at <= horizon {
                match self.breach(at, taken) {
                    None => return Some(at),
                    Some(Breach::TooClose { other, .. }) => at = other + self.spacing(),
                    Some(Breach::DayFull { .. }) => at = self.start_of_next_day(at),
                }
            }
            return None;
        }
        let offset = self.offset();
        let mut day = from.to_offset(offset).date();
        while day.midnight().assume_offset(offset) <= horizon {
            if self.weekday_allowed(day.weekday()) {
                for time in &template {
                    let at = day.with_time(*time).assume_offset(offset).to_offset(from.offset());
                    if at >= from && self.breach(at, taken).is_none() {
                        return Some(at);
                    }
                }
            }
            day = day.next_day()?;
        }
        None
    }

    fn template(&self) -> Vec<Time> {
        let mut times: Vec<Time> = self.times.iter().filter_map(|t| parse_time(t)).collect();
        times.sort();
        times.dedup();
        times
    }

    fn weekday_allowed(&self, day: Weekday) -> bool {
        self.weekdays.is_empty() || self.weekdays.contains(&day.number_from_monday())
    }

    fn start_of_next_day(&self, at: OffsetDateTime) -> OffsetDateTime {
        let local = at.to_offset(self.offset());
        match local.date().next_day() {
            Some(d) => d.midnight().assume_offset(self.offset()).to_offset(at.offset()),
            None => at + Duration::days(1),
        }
    }
}

/// "9:30", "09:30" → 09:30.
pub fn parse_time(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
    if m > 59 || h > 23 || s.trim().len() > 5 {
        return None;
    }
    Time::from_hms(h, m, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn guard(spacing: u32, per_day: u32) -> Cadence {
        Cadence { min_spacing_minutes: spacing, max_per_day: per_day, ..Cadence::default() }
    }

    #[test]
    fn posts_closer_than_the_spacing_are_refused_with_the_next_legal_time() {
        let g = guard(60, 0);
        let taken = [datetime!(2026-11-24 10:00 UTC)];
        let refusal = g.check(datetime!(2026-11-24 10:30 UTC), &taken).expect_err("too close");
        assert_eq!(
            refusal.reason,
            Breach::TooClose { other: datetime!(2026-11-24 10:00 UTC), min_spacing_minutes: 60 }
        );
        assert_eq!(refusal.next_free, Some(datetime!(2026-11-24 11:00 UTC)));
        // Exactly the spacing apart is fine, on either side.
        assert!(g.check(datetime!(2026-11-24 11:00 UTC), &taken).is_ok());
        assert!(g.check(datetime!(2026-11-24 09:00 UTC), &taken).is_ok());
        assert!(g.check(datetime!(2026-11-24 09:01 UTC), &taken).is_err());
    }

    #[test]
    fn the_next_slot_steps_over_a_run_of_posts() {
        let g = guard(60, 0);
        let taken = [
            datetime!(2026-11-24 10:00 UTC),
            datetime!(2026-11-24 11:00 UTC),
            datetime!(2026-11-24 12:30 UTC),
        ];
        assert_eq!(
            g.next_free(datetime!(2026-11-24 10:15 UTC), &taken),
            Some(datetime!(2026-11-24 13:30 UTC))
        );
        assert_eq!(
            g.next_free(datetime!(2026-11-24 08:00 UTC), &taken),
            Some(datetime!(2026-11-24 08:00 UTC))
        );
    }

    #[test]
    fn a_full_day_moves_the_suggestion_to_the_next_day_in_the_channels_offset() {
        let mut g = guard(0, 2);
        g.utc_offset_minutes = 60; // UTC+1: the local day starts at 23:00 UTC.
        let taken = [datetime!(2026-11-24 08:00 UTC), datetime!(2026-11-24 09:00 UTC)];
        let refusal = g.check(datetime!(2026-11-24 15:00 UTC), &taken).expect_err("full");
        assert_eq!(refusal.reason, Breach::DayFull { max_per_day: 2 });
        assert_eq!(refusal.next_free, Some(datetime!(2026-11-24 23:00 UTC)));
        // 23:30 UTC is already tomorrow at UTC+1.
        assert!(g.check(datetime!(2026-11-24 23:30 UTC), &taken).is_ok());
    }

    #[test]
    fn the_template_offers_its_times_on_its_weekdays_only() {
        let g = Cadence {
            min_spacing_minutes: 60,
            max_per_day: 2,
            utc_offset_minutes: 0,
            times: vec!["17:00".into(), "09:30".into()],
            weekdays: vec![1, 2, 3, 4, 5],
        };
        // Tuesday 2026-11-24, 10:00: 09:30 has passed, 17:00 is free.
        assert_eq!(g.next_free(datetime!(2026-11-24 10:00 UTC), &[]), Some(datetime!(2026-11-24 17:00 UTC)));
        // 17:00 taken: Wednesday 09:30.
        let taken = [datetime!(2026-11-24 17:00 UTC)];
        assert_eq!(
            g.next_free(datetime!(2026-11-24 10:00 UTC), &taken),
            Some(datetime!(2026-11-25 09:30 UTC))
        );
        // Friday evening: the weekend is skipped, Monday 09:30.
        assert_eq!(g.next_free(datetime!(2026-11-27 18:00 UTC), &[]), Some(datetime!(2026-11-30 09:30 UTC)));
        // A person may still pick a time off the template if the guard allows it.
        assert!(g.check(datetime!(2026-11-28 12:00 UTC), &[]).is_ok());
    }

    #[test]
    fn no_rules_means_any_time_and_an_impossible_guard_finds_nothing() {
        let g = guard(0, 0);
        let at = datetime!(2026-11-24 10:00 UTC);
        assert!(g.check(at, &[at, at, at]).is_ok());
        let closed = Cadence { weekdays: vec![], times: vec!["09:00".into()], max_per_day: 1, ..guard(0, 1) };
        let every_day: Vec<OffsetDateTime> =
            (0..400).map(|d| datetime!(2026-11-24 09:00 UTC) + Duration::days(d)).collect();
        assert_eq!(closed.next_free(at, &every_day), None);
    }

    #[test]
    fn settings_are_validated() {
        assert!(Cadence::default().validate().is_ok());
        for bad in [
            Cadence { times: vec!["25:00".into()], ..Cadence::default() },
            Cadence { times: vec!["9".into()], ..Cadence::default() },
            Cadence { weekdays: vec![0], ..Cadence::default() },
            Cadence { utc_offset_minutes: 900, ..Cadence::default() },
            Cadence { max_per_day: 5000, ..Cadence::default() },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert_eq!(parse_time("9:05"), Time::from_hms(9, 5, 0).ok());
        assert_eq!(parse_time("09:60"), None);
    }
}
