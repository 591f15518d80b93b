//! Time comes from a `Clock`, never from the database or a scattered `now()`, so tests own it.

use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// Where every part of Chorus reads the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to: tests and time-dependent rules (expiry, throttling).
#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<OffsetDateTime>,
}

impl FakeClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self { now: Mutex::new(start) }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Milliseconds since the Unix epoch: the one way timestamps are stored, on both databases,
/// so comparisons and bucketing are plain integer arithmetic in shared SQL.
pub fn to_millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The inverse of [`to_millis`]; out-of-range values clamp to the epoch rather than panic.
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn millis_round_trip() {
        let t = datetime!(2026-11-23 09:30:00.123 UTC);
        assert_eq!(from_millis(to_millis(t)), t);
    }

    #[test]
    fn fake_clock_moves_only_when_told() {
        let clock = FakeClock::new(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00 UTC));
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:05 UTC));
    }
}
