//! Recognition (SPEC §2 step 7): shout-outs, points, badges, leaderboards and rewards.
//!
//! Pure rules only: which events pay points and how many by default, the idempotency key of a
//! payment, the periods a payment counts towards, the badges a person's history earns, the
//! reactions a shout-out accepts, and the checks on what people type. *No posting quotas*:
//! nothing here ranks people from the bottom or asks anyone to reach a number.

use crate::error::Invalid;
use time::OffsetDateTime;

/// What earns points. The string forms are stored in the ledger and the rules table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointEvent {
    ContributionSubmitted,
    ContributionApproved,
    ContributionPublished,
    ContentShared,
    ClicksMilestone,
    TrainingCompleted,
    PolicyAcknowledged,
    ShoutoutReceived,
}

impl PointEvent {
    pub const ALL: [PointEvent; 8] = [
        Self::ContributionSubmitted,
        Self::ContributionApproved,
        Self::ContributionPublished,
        Self::ContentShared,
        Self::ClicksMilestone,
        Self::TrainingCompleted,
        Self::PolicyAcknowledged,
        Self::ShoutoutReceived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ContributionSubmitted => "contribution.submitted",
            Self::ContributionApproved => "contribution.approved",
            Self::ContributionPublished => "contribution.published",
            Self::ContentShared => "content.shared",
            Self::ClicksMilestone => "clicks.milestone",
            Self::TrainingCompleted => "training.completed",
            Self::PolicyAcknowledged => "policy.acknowledged",
            Self::ShoutoutReceived => "shoutout.received",
        }
    }

    /// What a person reads in their history and in the rules editor.
    pub fn label(self) -> &'static str {
        match self {
            Self::ContributionSubmitted => "Handed in a contribution",
            Self::ContributionApproved => "A contribution was approved",
            Self::ContributionPublished => "A contribution was published",
            Self::ContentShared => "Shared an item with their network",
            Self::ClicksMilestone => "A share reached a clicks milestone",
            Self::TrainingCompleted => "Completed a training course",
            Self::PolicyAcknowledged => "Acknowledged the social media policy",
            Self::ShoutoutReceived => "Was thanked in a shout-out",
        }
    }

    /// The weight when an organization has not set its own.
    pub fn default_points(self) -> i64 {
        match self {
            Self::ContributionSubmitted => 5,
            Self::ContributionApproved => 20,
            Self::ContributionPublished => 30,
            Self::ContentShared => 5,
            Self::ClicksMilestone => 10,
            Self::TrainingCompleted => 15,
            Self::PolicyAcknowledged => 5,
            Self::ShoutoutReceived => 5,
        }
    }
}

impl std::str::FromStr for PointEvent {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| Invalid::new("event", format!("is not a point event: {s:?}")))
    }
}

/// Ledger rows that move a balance without being earned: they never count on a leaderboard.
pub const REDEEMED: &str = "reward.redeemed";
pub const REFUNDED: &str = "reward.refunded";

/// A rule's weight: a whole number from 0 (the event pays nothing) to this.
pub const MAX_RULE_POINTS: i64 = 1_000;

pub fn rule_points(points: i64) -> Result<i64, Invalid> {
    if (0..=MAX_RULE_POINTS).contains(&points) {
        Ok(points)
    } else {
        Err(Invalid::new("points", format!("must be a whole number from 0 to {MAX_RULE_POINTS}")))
    }
}

/// Human clicks on one share that pay the sharer a milestone, once each.
pub const CLICK_MILESTONES: [i64; 3] = [10, 100, 1_000];

/// The milestones a share with `before` human clicks crosses on its way to `now`.
pub fn milestones_crossed(before: i64, now: i64) -> impl Iterator<Item = i64> {
    CLICK_MILESTONES.into_iter().filter(move |m| before < *m && *m <= now)
}

/// The idempotency key of a payment: the same event for the same person and source pays once.
/// Sources are chosen so that replays and repeats collapse:
pub mod source {
    use crate::{SubmissionId, UserId};
    use time::Date;

    /// Submitted, approved, published, shared: once per item per person, however many times it
    /// goes round the workflow or is shared to how many networks.
    pub fn submission(id: SubmissionId) -> String {
        format!("submission:{id}")
    }

    /// A share's milestone.
    pub fn milestone(share: uuid::Uuid, clicks: i64) -> String {
        format!("share:{share}:{clicks}")
    }

    /// Thanks pay once per thanking person per day, so two colleagues cannot farm points by
    /// thanking each other all afternoon.
    pub fn thanks(from: UserId, day: Date) -> String {
        format!("thanks:{from}:{day}")
    }

    pub fn course(id: crate::CourseId) -> String {
        format!("course:{id}")
    }

    pub fn policy(id: crate::PolicyVersionId) -> String {
        format!("policy:{id}")
    }
}

/// A leaderboard period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
    Year,
    All,
}

impl Period {
    pub const ALL: [Period; 4] = [Self::Week, Self::Month, Self::Year, Self::All];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
            Self::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Week => "This week",
            Self::Month => "This month",
            Self::Year => "This year",
            Self::All => "All time",
        }
    }

    /// The roll-up key of the period that contains `at` (UTC): `w2026-49` (ISO week),
    /// `m2026-12`, `y2026`, `all`.
    pub fn key(self, at: OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        match self {
            Self::Week => {
                let (year, week, _) = at.to_iso_week_date();
                format!("w{year}-{week:02}")
            }
            Self::Month => format!("m{}-{:02}", at.year(), u8::from(at.month())),
            Self::Year => format!("y{}", at.year()),
            Self::All => "all".to_owned(),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Invalid::new("period", "must be week, month, year or all"))
    }
}

/// Every roll-up a payment made at `at` counts towards.
pub fn period_keys(at: OffsetDateTime) -> [String; 4] {
    Period::ALL.map(|p| p.key(at))
}

/// A badge: a milestone in someone's history, never a target to hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Badge {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

struct BadgeRule {
    badge: Badge,
    event: PointEvent,
    count: i64,
}

const BADGES: [BadgeRule; 9] = [
    BadgeRule {
        badge: Badge {
            key: "first-contribution",
            name: "First contribution",
            description: "Handed in a first piece of content",
        },
        event: PointEvent::ContributionSubmitted,
        count: 1,
    },
    BadgeRule {
        badge: Badge { key: "storyteller", name: "Storyteller", description: "Five contributions approved" },
        event: PointEvent::ContributionApproved,
        count: 5,
    },
    BadgeRule {
        badge: Badge {
            key: "on-air",
            name: "On air",
            description: "A contribution published on the company's channels",
        },
        event: PointEvent::ContributionPublished,
        count: 1,
    },
    BadgeRule {
        badge: Badge {
            key: "amplifier",
            name: "Amplifier",
            description: "Shared ten items with their network",
        },
        event: PointEvent::ContentShared,
        count: 10,
    },
    BadgeRule {
        badge: Badge {
            key: "crowd-puller",
            name: "Crowd puller",
            description: "A share reached a clicks milestone",
        },
        event: PointEvent::ClicksMilestone,
        count: 1,
    },
    BadgeRule {
        badge: Badge { key: "learner", name: "Learner", description: "Completed a training course" },
        event: PointEvent::TrainingCompleted,
        count: 1,
    },
    BadgeRule {
        badge: Badge {
            key: "policy-savvy",
            name: "Policy savvy",
            description: "Read and acknowledged the social media policy",
        },
        event: PointEvent::PolicyAcknowledged,
        count: 1,
    },
    BadgeRule {
        badge: Badge {
            key: "appreciated",
            name: "Appreciated",
            description: "Thanked by colleagues five times",
        },
        event: PointEvent::ShoutoutReceived,
        count: 5,
    },
    BadgeRule {
        badge: Badge {
            key: "team-favourite",
            name: "Team favourite",
            description: "Thanked by colleagues twenty-five times",
        },
        event: PointEvent::ShoutoutReceived,
        count: 25,
    },
];

/// The badges a person holds, given how many times each event paid them.
pub fn badges(count_of: impl Fn(PointEvent) -> i64) -> Vec<Badge> {
    BADGES.iter().filter(|r| count_of(r.event) >= r.count).map(|r| r.badge).collect()
}

/// Every badge there is (for the page that explains them).
pub fn all_badges() -> impl Iterator<Item = Badge> {
    BADGES.iter().map(|r| r.badge)
}

/// The reactions a shout-out accepts: a small fixed set keeps the feed friendly.
pub const REACTIONS: [(&str, &str); 4] =
    [("clap", "👏"), ("party", "🎉"), ("heart", "❤️"), ("raised_hands", "🙌")];

/// What a reaction says in words (next to the emoji, for screens without an emoji font).
pub fn reaction_label(key: &str) -> &'static str {
    match key {
        "clap" => "Applause",
        "party" => "Celebrate",
        "heart" => "Love it",
        "raised_hands" => "Cheers",
        _ => "",
    }
}

pub fn reaction(key: &str) -> Result<&'static str, Invalid> {
    REACTIONS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(k, _)| *k)
        .ok_or_else(|| Invalid::new("reaction", "must be one of clap, party, heart, raised_hands"))
}

pub const MAX_MESSAGE: usize = 500;

/// A shout-out's message: a sentence or two, never empty.
pub fn message(text: &str) -> Result<String, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        Err(Invalid::new("message", "say what you are thanking them for"))
    } else if text.chars().count() > MAX_MESSAGE {
        Err(Invalid::new("message", format!("is longer than {MAX_MESSAGE} characters")))
    } else {
        Ok(text.to_owned())
    }
}

/// Rewards cost at least one point and at most this.
pub const MAX_COST: i64 = 1_000_000;

pub fn cost(points: i64) -> Result<i64, Invalid> {
    if (1..=MAX_COST).contains(&points) {
        Ok(points)
    } else {
        Err(Invalid::new("cost", format!("must be a whole number of points from 1 to {MAX_COST}")))
    }
}

pub fn stock(stock: Option<i64>) -> Result<Option<i64>, Invalid> {
    match stock {
        Some(n) if !(0..=1_000_000).contains(&n) => {
            Err(Invalid::new("stock", "must be a whole number from 0 to 1,000,000, or empty for unlimited"))
        }
        other => Ok(other),
    }
}

pub fn reward_name(name: &str) -> Result<String, Invalid> {
    let name = name.trim();
    if name.is_empty() {
        Err(Invalid::new("name", "is required"))
    } else if name.chars().count() > 120 {
        Err(Invalid::new("name", "is longer than 120 characters"))
    } else {
        Ok(name.to_owned())
    }
}

/// Where a redemption request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedemptionStatus {
    Pending,
    Approved,
    Rejected,
}

impl RedemptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }

    /// Only a pending request can be decided, once.
    pub fn decide(self, approve: bool) -> Result<Self, &'static str> {
        match self {
            Self::Pending if approve => Ok(Self::Approved),
            Self::Pending => Ok(Self::Rejected),
            _ => Err("this request has already been decided"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn events_round_trip_and_unknown_ones_are_refused() {
        for e in PointEvent::ALL {
            assert_eq!(e.as_str().parse::<PointEvent>().expect("known"), e);
        }
        assert!("reward.redeemed".parse::<PointEvent>().is_err());
    }

    #[test]
    fn periods_use_the_iso_week_across_a_year_end() {
        // 1 January 2027 is a Friday: ISO week 53 of 2026.
        let at = datetime!(2027-01-01 10:00 UTC);
        assert_eq!(period_keys(at), ["w2026-53", "m2027-01", "y2027", "all"].map(String::from));
        let at = datetime!(2026-12-07 23:30 -02:00); // already 8 December in UTC
        assert_eq!(Period::Week.key(at), "w2026-50");
        assert_eq!(Period::Month.key(at), "m2026-12");
    }

    #[test]
    fn milestones_are_crossed_once_each() {
        assert_eq!(milestones_crossed(0, 9).collect::<Vec<_>>(), Vec::<i64>::new());
        assert_eq!(milestones_crossed(0, 10).collect::<Vec<_>>(), vec![10]);
        assert_eq!(milestones_crossed(10, 150).collect::<Vec<_>>(), vec![100]);
        assert_eq!(milestones_crossed(5, 5_000).collect::<Vec<_>>(), vec![10, 100, 1_000]);
    }

    #[test]
    fn badges_follow_counts() {
        let none = badges(|_| 0);
        assert!(none.is_empty());
        let some = badges(|e| match e {
            PointEvent::ContributionSubmitted => 3,
            PointEvent::ShoutoutReceived => 5,
            _ => 0,
        });
        let keys: Vec<_> = some.iter().map(|b| b.key).collect();
        assert_eq!(keys, ["first-contribution", "appreciated"]);
    }

    #[test]
    fn inputs_are_checked() {
        assert!(rule_points(-1).is_err());
        assert!(rule_points(1_001).is_err());
        assert_eq!(rule_points(0), Ok(0));
        assert!(cost(0).is_err());
        assert!(message("   ").is_err());
        assert!(message(&"x".repeat(501)).is_err());
        assert_eq!(message("  Nice job on that report ").as_deref(), Ok("Nice job on that report"));
        assert!(reaction("thumbs_down").is_err());
        assert_eq!(RedemptionStatus::Approved.decide(false), Err("this request has already been decided"));
        assert_eq!(RedemptionStatus::Pending.decide(false), Ok(RedemptionStatus::Rejected));
    }
}
