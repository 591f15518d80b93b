//! Analytics rules with no I/O: what a reporting period is, and which stored form answers each
//! part of it.
//!
//! Clicks are kept three ways: raw rows (for a retention period), hourly roll-ups and daily
//! roll-ups (kept for good). Everything before the *watermark* (an hour boundary) is in the hourly
//! roll-ups, and every whole day before it in the daily ones. A period is answered from daily
//! roll-ups for its whole days, hourly roll-ups for its whole hours at the edges, and raw clicks
//! for the rest (the minutes at the edges, and everything since the watermark), so a summary
//! reads a few hundred rows however many clicks there were.

use time::{Date, Duration, OffsetDateTime, Time, format_description::well_known::Rfc3339};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
/// The longest period one report covers.
pub const MAX_DAYS: i64 = 732;
/// The period when none is given.
pub const DEFAULT_DAYS: i64 = 30;

/// A half-open period `[from, to)` in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

/// Why a period was refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct BadPeriod {
    pub field: &'static str,
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> BadPeriod {
    BadPeriod { field, reason: reason.into() }
}

/// A bound: a day (`2026-12-01`, its midnight UTC) or an RFC 3339 instant. `end` makes a day
/// mean the end of that day, so `from=2026-12-01&to=2026-12-31` covers all of December.
fn bound(field: &'static str, raw: &str, end: bool) -> Result<OffsetDateTime, BadPeriod> {
    let raw = raw.trim();
    if raw.len() > 64 {
        return Err(bad(field, "is too long for a date"));
    }
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(t);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = Date::parse(raw, &format)
        .map_err(|_| bad(field, "must be a date (2026-12-01) or an RFC 3339 time (2026-12-01T09:00:00Z)"))?;
    let day = if end { day.next_day().ok_or_else(|| bad(field, "is out of range"))? } else { day };
    Ok(day.with_time(Time::MIDNIGHT).assume_utc())
}

fn nonempty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

impl Period {
    /// The period a report asks for: absent bounds default to the last 30 days, today included.
    pub fn parse(from: Option<&str>, to: Option<&str>, now: OffsetDateTime) -> Result<Self, BadPeriod> {
        // By default: the last 30 days, today included (whole days, so the roll-ups answer).
        let to = match nonempty(to) {
            Some(raw) => bound("to", raw, true)?,
            None => {
                let today = now.to_offset(time::UtcOffset::UTC).date();
                today.next_day().unwrap_or(today).with_time(Time::MIDNIGHT).assume_utc()
            }
        };
        let from = match nonempty(from) {
            Some(raw) => bound("from", raw, false)?,
            None => to - Duration::days(DEFAULT_DAYS),
        };
        if from >= to {
            return Err(bad("from", "must be before to"));
        }
        if to - from > Duration::days(MAX_DAYS) {
            return Err(bad("to", format!("is too far from from: a report covers at most {MAX_DAYS} days")));
        }
        let ms = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
        Ok(Self { from: ms(from), to: ms(to) })
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from + DAY_MS - 1) / DAY_MS
    }
}

fn floor(t: i64, unit: i64) -> i64 {
    t.div_euclid(unit) * unit
}

fn ceil(t: i64, unit: i64) -> i64 {
    floor(t + unit - 1, unit)
}

/// Which stored form answers which part of a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Whole days from the daily roll-ups (at most one range).
    pub days: Option<Period>,
    /// Whole hours from the hourly roll-ups.
    pub hours: Vec<Period>,
    /// The rest from raw clicks.
    pub raw: Vec<Period>,
}

/// Splits `period` given that everything before `watermark` (an hour boundary) is rolled up.
pub fn plan(period: Period, watermark: i64) -> Plan {
    let mut plan = Plan::default();
    let push = |v: &mut Vec<Period>, from: i64, to: i64| {
        if from < to {
            v.push(Period { from, to });
        }
    };
    let rolled_to = period.to.min(floor(watermark, HOUR_MS));
    if period.from < rolled_to {
        let (a, b) = (period.from, rolled_to);
        let (h0, h1) = (ceil(a, HOUR_MS), floor(b, HOUR_MS));
        if h0 >= h1 {
            // Not one whole hour: raw clicks answer it all.
            push(&mut plan.raw, a, b);
        } else {
            push(&mut plan.raw, a, h0);
            let (d0, d1) = (ceil(h0, DAY_MS), floor(h1, DAY_MS));
            if d0 < d1 {
                push(&mut plan.hours, h0, d0);
                plan.days = Some(Period { from: d0, to: d1 });
                push(&mut plan.hours, d1, h1);
            } else {
                push(&mut plan.hours, h0, h1);
            }
            push(&mut plan.raw, h1, b);
        }
    }
    push(&mut plan.raw, period.from.max(rolled_to), period.to);
    plan
}

/// The hours the roll-up may close now: every whole hour from `watermark` that ended at least
/// `grace` ago (clicks reach the database up to a flush interval after they happen).
pub fn hours_to_roll(watermark: i64, now: i64, grace: i64) -> impl Iterator<Item = i64> {
    let start = floor(watermark, HOUR_MS);
    let end = floor(now - grace, HOUR_MS);
    (start..end).step_by(HOUR_MS as usize)
}

/// The day an instant falls in (its midnight, in milliseconds).
pub fn day_of(t: i64) -> i64 {
    floor(t, DAY_MS)
}

/// Share of `part` in `whole`, 0 when there is no whole.
pub fn rate(part: i64, whole: i64) -> f64 {
    if whole <= 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// The median of some durations (seconds), `None` when there are none.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-06 15:30 UTC);

    fn ms(t: OffsetDateTime) -> i64 {
        (t.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn periods_default_to_the_last_thirty_days_and_take_days_or_instants() {
        let p = Period::parse(None, None, NOW).expect("default");
        assert_eq!(p.to, ms(datetime!(2026-12-07 0:00 UTC)), "today included");
        assert_eq!(p.from, ms(datetime!(2026-11-07 0:00 UTC)));
        let p = Period::parse(Some("2026-12-01"), Some("2026-12-31"), NOW).expect("days");
        assert_eq!(p.from, ms(datetime!(2026-12-01 0:00 UTC)));
        assert_eq!(p.to, ms(datetime!(2027-01-01 0:00 UTC)), "`to` includes its day");
        let p =
            Period::parse(Some("2026-12-01T09:00:00+01:00"), Some("2026-12-01T10:00:00Z"), NOW).expect("t");
        assert_eq!(p.to - p.from, 2 * HOUR_MS);
    }

    #[test]
    fn inverted_huge_and_malformed_periods_are_refused_with_the_reason() {
        let e = Period::parse(Some("2026-12-05"), Some("2026-12-01"), NOW).expect_err("refused");
        assert_eq!(e.to_string(), "from must be before to");
        let e = Period::parse(Some("2000-01-01"), Some("2026-01-01"), NOW).expect_err("refused");
        assert!(e.to_string().contains("at most 732 days"), "{e}");
        for junk in ["yesterday", "2026-13-01", "2026-12-01T25:00:00Z", "1e9", &"9".repeat(100)] {
            let e = Period::parse(Some(junk), None, NOW).expect_err("refused");
            assert_eq!(e.field, "from", "{junk}");
        }
    }

    #[test]
    fn a_plan_covers_the_period_exactly_once() {
        let watermark = ms(datetime!(2026-12-06 14:00 UTC));
        for (from, to) in [
            (datetime!(2026-11-01 10:17 UTC), NOW),
            (datetime!(2026-12-06 14:10 UTC), NOW),
            (datetime!(2026-12-06 10:10 UTC), datetime!(2026-12-06 12:20 UTC)),
            (datetime!(2026-12-06 10:10 UTC), datetime!(2026-12-06 10:20 UTC)),
            (datetime!(2026-12-01 0:00 UTC), datetime!(2026-12-03 0:00 UTC)),
        ] {
            let period = Period { from: ms(from), to: ms(to) };
            let plan = plan(period, watermark);
            let mut parts: Vec<Period> =
                plan.raw.iter().chain(&plan.hours).copied().chain(plan.days).collect();
            parts.sort_by_key(|p| p.from);
            assert_eq!(parts.first().map(|p| p.from), Some(period.from), "{from}..{to}: {plan:?}");
            assert_eq!(parts.last().map(|p| p.to), Some(period.to), "{from}..{to}: {plan:?}");
            for pair in parts.windows(2) {
                assert_eq!(pair[0].to, pair[1].from, "no gap, no overlap: {plan:?}");
            }
            for h in &plan.hours {
                assert!(h.from % HOUR_MS == 0 && h.to % HOUR_MS == 0 && h.to <= watermark);
            }
            if let Some(d) = plan.days {
                assert!(d.from % DAY_MS == 0 && d.to % DAY_MS == 0 && d.to <= watermark);
            }
        }
        let long = plan(Period { from: ms(datetime!(2026-11-01 10:17 UTC)), to: ms(NOW) }, watermark);
        assert_eq!(
            long.days,
            Some(Period { from: ms(datetime!(2026-11-02 0:00 UTC)), to: ms(datetime!(2026-12-06 0:00 UTC)) })
        );
        assert_eq!(long.hours.len(), 2, "the first day's last hours and today's first ones");
    }

    #[test]
    fn hours_close_only_after_the_grace() {
        let wm = ms(datetime!(2026-12-06 12:00 UTC));
        let hours: Vec<i64> = hours_to_roll(wm, ms(datetime!(2026-12-06 14:00:30 UTC)), 60_000).collect();
        assert_eq!(hours, vec![wm], "13:00–14:00 waits for its grace minute");
        assert_eq!(hours_to_roll(wm, ms(datetime!(2026-12-06 14:01 UTC)), 60_000).count(), 2);
    }

    #[test]
    fn medians_and_rates() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
        assert_eq!(rate(1, 4), 0.25);
        assert_eq!(rate(1, 0), 0.0);
    }
}
