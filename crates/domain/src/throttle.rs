//! Sign-in throttling: a cap on recent failures per account and per client address.
//!
//! The counts come from the database (so every instance sees the same numbers); this module only
//! decides.

use time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// How far back failures are counted.
    pub window: Duration,
    /// Failures on one account within the window before it is locked for the rest of it.
    pub per_account: i64,
    /// Failures from one client address within the window (higher: offices share addresses).
    pub per_address: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self { window: Duration::minutes(15), per_account: 5, per_address: 50 }
    }
}

/// Recent failures seen for this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentFailures {
    pub account: i64,
    pub address: i64,
}

impl LoginThrottle {
    /// `Err(retry_after)` when the attempt must be refused without even checking the password.
    pub fn check(&self, recent: RecentFailures) -> Result<(), Duration> {
        if recent.account >= self.per_account || recent.address >= self.per_address {
            Err(self.window)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_until_either_limit_is_reached() {
        let t = LoginThrottle::default();
        assert!(t.check(RecentFailures { account: 4, address: 49 }).is_ok());
        assert!(t.check(RecentFailures { account: 5, address: 0 }).is_err());
        assert!(t.check(RecentFailures { account: 0, address: 50 }).is_err());
    }
}
