//! Notification kinds, how each person wants to hear about them, the digest calendar, and who
//! may write announcements.
//!
//! Decision: the in-app list always records a notification; a person's preference for its kind
//! governs e-mail only — `immediate` (one e-mail now), `daily` or `weekly` (collected into that
//! digest), or `off`.

use crate::{Actor, Denied, DepartmentId, Invalid, Role};
use time::{Duration, OffsetDateTime, Time, Weekday};

/// How a person wants e-mail about one kind of notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    Immediate,
    Daily,
    Weekly,
    Off,
}

impl Delivery {
    pub const ALL: [Delivery; 4] = [Self::Immediate, Self::Daily, Self::Weekly, Self::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Off => "off",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Immediate => "E-mail right away",
            Self::Daily => "In the daily digest",
            Self::Weekly => "In the weekly digest",
            Self::Off => "No e-mail (in the app only)",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("delivery", "must be one of immediate, daily, weekly, off"))
    }
}

/// One kind of notification: its stable name, what people read, its default, what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub label: &'static str,
    pub default: Delivery,
    pub allowed: &'static [Delivery],
}

const ANY: &[Delivery] = &Delivery::ALL;

/// Every kind Chorus sends. A kind sent by code but missing here is treated as `immediate`
/// (see [`kind`]), so news is never lost; add it here to let people choose.
pub const KINDS: &[Kind] = &[
    Kind {
        name: "review.waiting",
        label: "A submission waits for my review",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind {
        name: "submission.decided",
        label: "A decision on my submission",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind {
        name: "submission.edited",
        label: "Someone edited my submission",
        default: Delivery::Daily,
        allowed: ANY,
    },
    Kind { name: "comment", label: "Comments on my submissions", default: Delivery::Daily, allowed: ANY },
    Kind { name: "mention", label: "Someone mentioned me", default: Delivery::Immediate, allowed: ANY },
    Kind {
        name: "coauthor",
        label: "I was added as a co-author",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind {
        name: "survey",
        label: "A survey asks for my answers",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind { name: "training", label: "Training assigned to me", default: Delivery::Immediate, allowed: ANY },
    Kind { name: "announcement", label: "Announcements", default: Delivery::Immediate, allowed: ANY },
    Kind {
        name: "shoutout.received",
        label: "Someone gave me a shout-out",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind {
        name: "reward.decided",
        label: "A decision on my reward request",
        default: Delivery::Immediate,
        allowed: ANY,
    },
    Kind {
        name: "reward.requested",
        label: "Someone asked for a reward (admins)",
        default: Delivery::Daily,
        allowed: ANY,
    },
    Kind {
        name: "digest.daily",
        label: "The daily digest (what I chose to get daily)",
        default: Delivery::Daily,
        allowed: &[Delivery::Daily, Delivery::Off],
    },
    Kind {
        name: "digest.weekly",
        label: "The weekly wins digest (top content, shout-outs, results)",
        default: Delivery::Weekly,
        allowed: &[Delivery::Weekly, Delivery::Off],
    },
];

pub const DAILY_DIGEST: &str = "digest.daily";
pub const WEEKLY_DIGEST: &str = "digest.weekly";

/// The kind named `name`: a known one, or an unlisted one that defaults to `immediate`.
pub fn kind(name: &str) -> Kind {
    KINDS.iter().find(|k| k.name == name).copied().unwrap_or(Kind {
        name: "other",
        label: "Other notifications",
        default: Delivery::Immediate,
        allowed: ANY,
    })
}

/// Parses a preference someone sets: a known kind and a delivery it allows.
pub fn parse_choice(kind_name: &str, delivery: &str) -> Result<(&'static str, Delivery), Invalid> {
    let k = KINDS
        .iter()
        .find(|k| k.name == kind_name.trim())
        .ok_or_else(|| Invalid::new("kind", format!("{kind_name:?} is not a notification kind")))?;
    let d = Delivery::parse(delivery)?;
    if !k.allowed.contains(&d) {
        let allowed: Vec<&str> = k.allowed.iter().map(|d| d.as_str()).collect();
        return Err(Invalid::new("delivery", format!("{} allows only {}", k.name, allowed.join(", "))));
    }
    Ok((k.name, d))
}

/// The delivery in effect for a kind, given the person's stored choices.
pub fn effective<'a>(kind_name: &str, stored: impl IntoIterator<Item = (&'a str, Delivery)>) -> Delivery {
    let k = kind(kind_name);
    stored
        .into_iter()
        .find(|(n, _)| *n == kind_name)
        .map(|(_, d)| d)
        .filter(|d| k.allowed.contains(d))
        .unwrap_or(k.default)
}

// ------------------------------------------------------------------------------------- digests

/// When digests go out (UTC): daily at `hour`, weekly on `weekday` at `hour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestSchedule {
    pub weekday: Weekday,
    pub hour: u8,
}

impl Default for DigestSchedule {
    fn default() -> Self {
        Self { weekday: Weekday::Monday, hour: 8 }
    }
}

/// Daily or weekly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cadence {
    Daily,
    Weekly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
        }
    }

    pub fn length(self) -> Duration {
        match self {
            Self::Daily => Duration::DAY,
            Self::Weekly => Duration::WEEK,
        }
    }

    /// The preference that governs this digest as a whole.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Daily => DAILY_DIGEST,
            Self::Weekly => WEEKLY_DIGEST,
        }
    }

    pub fn delivery(self) -> Delivery {
        match self {
            Self::Daily => Delivery::Daily,
            Self::Weekly => Delivery::Weekly,
        }
    }

    /// How late a missed digest may still go out (a server down at the hour); older ones are
    /// skipped rather than arriving days late.
    pub fn grace(self) -> Duration {
        match self {
            Self::Daily => Duration::hours(6),
            Self::Weekly => Duration::DAY,
        }
    }
}

impl DigestSchedule {
    /// Parses `monday`…`sunday` (or the first three letters) and an hour 0–23.
    pub fn parse(weekday: &str, hour: u8) -> Result<Self, Invalid> {
        let w = weekday.trim().to_ascii_lowercase();
        let days = [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ];
        let weekday = days
            .into_iter()
            .find(|d| {
                let name = d.to_string().to_ascii_lowercase();
                name == w || (w.len() == 3 && name.starts_with(&w))
            })
            .ok_or_else(|| Invalid::new("digest weekday", "must be a day of the week, e.g. monday"))?;
        if hour > 23 {
            return Err(Invalid::new("digest hour", "must be 0–23 (UTC)"));
        }
        Ok(Self { weekday, hour })
    }

    /// The latest scheduled instant at or before `now`: the end of the period a digest sent
    /// now covers.
    pub fn period_end(self, cadence: Cadence, now: OffsetDateTime) -> OffsetDateTime {
        let now = now.to_offset(time::UtcOffset::UTC);
        let at = Time::from_hms(self.hour.min(23), 0, 0).unwrap_or(Time::MIDNIGHT);
        let mut end = now.replace_time(at);
        if end > now {
            end -= Duration::DAY;
        }
        if cadence == Cadence::Weekly {
            while end.weekday() != self.weekday {
                end -= Duration::DAY;
            }
        }
        end
    }
}

// ------------------------------------------------------------------------------- announcements

/// Who may announce to whom: owners, admins and the social team to anyone; a lead to the
/// departments they lead.
pub fn may_announce(actor: &Actor, department: Option<DepartmentId>) -> Result<(), Denied> {
    if actor.role.is_admin() || actor.role == Role::Social {
        return Ok(());
    }
    match department {
        Some(d) if actor.leads.contains(&d) => Ok(()),
        Some(_) => Err(Denied("a department lead announces to their own department only")),
        None => Err(Denied("company-wide announcements are for admins and the social media team")),
    }
}

/// A checked announcement title (1–200 characters).
pub fn announcement_title(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::new("title", "is required"));
    }
    if t.chars().count() > 200 {
        return Err(Invalid::new("title", "must be at most 200 characters"));
    }
    Ok(t.to_owned())
}

/// A checked announcement body (Markdown, 1–20,000 characters).
pub fn announcement_body(raw: &str) -> Result<String, Invalid> {
    let b = raw.trim();
    if b.is_empty() {
        return Err(Invalid::new("body", "is required"));
    }
    if b.chars().count() > 20_000 {
        return Err(Invalid::new("body", "must be at most 20,000 characters"));
    }
    Ok(b.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrgId, UserId};
    use time::macros::datetime;

    #[test]
    fn preferences_accept_only_known_kinds_and_allowed_deliveries() {
        assert_eq!(parse_choice("comment", "weekly"), Ok(("comment", Delivery::Weekly)));
        assert_eq!(parse_choice("digest.weekly", "off"), Ok(("digest.weekly", Delivery::Off)));
        assert!(parse_choice("digest.weekly", "immediate").is_err());
        assert!(parse_choice("nonsense", "off").is_err());
        assert!(parse_choice("comment", "sometimes").is_err());
    }

    #[test]
    fn the_stored_choice_wins_over_the_default_and_unknown_kinds_are_immediate() {
        assert_eq!(effective("comment", []), Delivery::Daily);
        assert_eq!(effective("comment", [("comment", Delivery::Off)]), Delivery::Off);
        assert_eq!(effective("digest.weekly", [("digest.weekly", Delivery::Immediate)]), Delivery::Weekly);
        assert_eq!(effective("brand.new.kind", []), Delivery::Immediate);
    }

    #[test]
    fn periods_end_at_the_scheduled_hour() {
        let s = DigestSchedule { weekday: Weekday::Monday, hour: 8 };
        // Wednesday 2026-12-09 10:00 → the daily period ended at 08:00 that day.
        let now = datetime!(2026-12-09 10:00 UTC);
        assert_eq!(s.period_end(Cadence::Daily, now), datetime!(2026-12-09 08:00 UTC));
        assert_eq!(s.period_end(Cadence::Weekly, now), datetime!(2026-12-07 08:00 UTC));
        // Before the hour, yesterday's.
        assert_eq!(
            s.period_end(Cadence::Daily, datetime!(2026-12-09 07:59 UTC)),
            datetime!(2026-12-08 08:00 UTC)
        );
        // Monday before 08:00 → the previous Monday.
        assert_eq!(
            s.period_end(Cadence::Weekly, datetime!(2026-12-07 07:00 UTC)),
            datetime!(2026-11-30 08:00 UTC)
        );
        assert_eq!(
            s.period_end(Cadence::Weekly, datetime!(2026-12-07 08:00 UTC)),
            datetime!(2026-12-07 08:00 UTC)
        );
        assert!(DigestSchedule::parse("fri", 7).is_ok());
        assert!(DigestSchedule::parse("someday", 7).is_err());
        assert!(DigestSchedule::parse("monday", 24).is_err());
    }

    #[test]
    fn leads_announce_to_their_department_only() {
        let d = DepartmentId::new();
        let lead = Actor {
            org_id: OrgId::new(),
            user_id: Some(UserId::new()),
            role: Role::Lead,
            department_id: Some(d),
            leads: vec![d],
        };
        assert!(may_announce(&lead, Some(d)).is_ok());
        assert!(may_announce(&lead, None).is_err());
        assert!(may_announce(&lead, Some(DepartmentId::new())).is_err());
        let employee = Actor { role: Role::Employee, leads: vec![], ..lead.clone() };
        assert!(may_announce(&employee, Some(d)).is_err());
        let social = Actor { role: Role::Social, leads: vec![], ..lead };
        assert!(may_announce(&social, None).is_ok());
        assert!(announcement_title(" ").is_err());
        assert!(announcement_body(&"x".repeat(20_001)).is_err());
    }
}
