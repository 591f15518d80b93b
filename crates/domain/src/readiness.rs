//! The social-readiness self-assessment (SPEC §3): the organization rates itself, statement by
//! statement, over six disciplines, again and again over time; and an action checklist of what
//! to do next.
//!
//! Everything here is pure: the disciplines and the shipped statements (with stable keys such as
//! `vision.why`, which is what assessments store, so a statement's wording can be improved
//! without rewriting history), rating checks, the averages per discipline, and the checklist's
//! default items and statuses.

use crate::{Actor, Denied, error::Invalid};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The lowest and highest rating of a statement.
pub const MIN_RATING: u8 = 1;
pub const MAX_RATING: u8 = 5;
/// What each rating means, lowest first (for forms and legends).
pub const SCALE: [(u8, &str); 5] =
    [(1, "Not at all"), (2, "A little"), (3, "Partly"), (4, "Mostly"), (5, "Fully")];

/// A note on an assessment is a sentence or a paragraph.
pub const MAX_NOTE: usize = 2_000;
/// A checklist item's title.
pub const MAX_TITLE: usize = 200;
/// A sanity bound: a checklist is a to-do list, not a backlog.
pub const MAX_ACTIONS: usize = 200;

/// Who may read the radar, the trend and the checklist: **everyone in the organization**.
///
/// The policy's `Action::ViewEnablementReports` (admins and the social team) would be the narrow
/// reading. We open these to employees too, read-only, on purpose: readiness is culture-building,
/// and people should see where their organization stands and who owns the next step. Writing
/// (recording an assessment, editing the checklist) stays `Action::ManageEnablement`: owners and
/// admins. The caller is always scoped to their own organization, so another organization's
/// assessments and items answer 404 like unknown ids.
pub fn may_view(actor: &Actor) -> Result<(), Denied> {
    let _ = actor;
    Ok(())
}

/// One of the six disciplines a readiness assessment covers, in the order they are taken on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    Vision,
    Strategy,
    Purpose,
    Launch,
    Guide,
    Adapt,
}

impl Discipline {
    pub const ALL: [Discipline; 6] =
        [Self::Vision, Self::Strategy, Self::Purpose, Self::Launch, Self::Guide, Self::Adapt];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vision => "vision",
            Self::Strategy => "strategy",
            Self::Purpose => "purpose",
            Self::Launch => "launch",
            Self::Guide => "guide",
            Self::Adapt => "adapt",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new("discipline", "must be one of vision, strategy, purpose, launch, guide, adapt")
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Vision => "Vision",
            Self::Strategy => "Strategy",
            Self::Purpose => "Purpose",
            Self::Launch => "Launch",
            Self::Guide => "Guide",
            Self::Adapt => "Adapt",
        }
    }

    /// The question the discipline answers, for the form.
    pub fn question(self) -> &'static str {
        match self {
            Self::Vision => "Do we know why social media matters to us?",
            Self::Strategy => "Is there a plan, with goals, audiences and platforms?",
            Self::Purpose => "Do we know what value we bring to the people we reach?",
            Self::Launch => "Do we have the people, time and tools to run it?",
            Self::Guide => "Do our people know how to take part, safely?",
            Self::Adapt => "Do we measure, listen and improve?",
        }
    }

    /// Position in [`Discipline::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The discipline a statement key belongs to (`vision.why` → Vision), also for keys that
    /// are no longer shipped, so old assessments keep their averages.
    pub fn of_key(key: &str) -> Option<Self> {
        let (prefix, _) = key.split_once('.')?;
        Self::ALL.into_iter().find(|d| d.as_str() == prefix)
    }

    /// The shipped statements of this discipline, in order.
    pub fn statements(self) -> impl Iterator<Item = &'static Statement> {
        STATEMENTS.iter().filter(move |s| s.discipline == self)
    }
}

/// One statement the organization rates itself on, from 1 (not at all) to 5 (fully).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// Stable: stored with every rating. Never reuse a key for a different statement.
    pub key: &'static str,
    pub discipline: Discipline,
    pub text: &'static str,
}

const fn st(key: &'static str, discipline: Discipline, text: &'static str) -> Statement {
    Statement { key, discipline, text }
}

/// The statements every assessment rates, grouped by discipline.
pub const STATEMENTS: &[Statement] = &[
    st("vision.why", Discipline::Vision, "Leadership can say why social media matters to our business"),
    st(
        "vision.future",
        Discipline::Vision,
        "We share a picture of where we want to be on social media in two or three years",
    ),
    st(
        "vision.sponsor",
        Discipline::Vision,
        "Senior leaders visibly support employees speaking for the company on social media",
    ),
    st("vision.shared", Discipline::Vision, "Employees know that vision and can put it in their own words"),
    st(
        "strategy.written",
        Discipline::Strategy,
        "We have a written social media strategy tied to business objectives",
    ),
    st(
        "strategy.audience",
        Discipline::Strategy,
        "We know which audiences we want to reach and where they spend time",
    ),
    st("strategy.platforms", Discipline::Strategy, "We chose our platforms deliberately, not out of habit"),
    st("strategy.goals", Discipline::Strategy, "Our social media goals are measurable and have dates"),
    st("purpose.value", Discipline::Purpose, "We can say what value our content brings to customers"),
    st("purpose.pillars", Discipline::Purpose, "We know the few topics we want to be known for"),
    st("purpose.voice", Discipline::Purpose, "We have a recognisable voice and tone that fits our brand"),
    st("launch.team", Discipline::Launch, "Roles and responsibilities for social media are clearly assigned"),
    st("launch.resources", Discipline::Launch, "Social media has a budget and the time it needs"),
    st(
        "launch.process",
        Discipline::Launch,
        "We have a process and tools to plan, approve and publish content",
    ),
    st("launch.calendar", Discipline::Launch, "We plan content ahead in a shared calendar"),
    st("guide.policy", Discipline::Guide, "We have a social media policy that employees know and understand"),
    st("guide.training", Discipline::Guide, "Employees are trained to use social media for work"),
    st("guide.escalation", Discipline::Guide, "People know what to do when something goes wrong online"),
    st("adapt.measure", Discipline::Adapt, "We measure results against our goals regularly"),
    st("adapt.listen", Discipline::Adapt, "We listen to what is said about us and our field, and answer"),
    st(
        "adapt.refine",
        Discipline::Adapt,
        "We change our approach based on what results and feedback tell us",
    ),
];

/// A shipped statement by key.
pub fn statement(key: &str) -> Option<&'static Statement> {
    STATEMENTS.iter().find(|s| s.key == key)
}

/// A whole assessment: every shipped statement's key with its rating.
pub type Ratings = BTreeMap<&'static str, u8>;

/// Checks a rating on its own.
pub fn rating(value: i64) -> Result<u8, Invalid> {
    u8::try_from(value).ok().filter(|v| (MIN_RATING..=MAX_RATING).contains(v)).ok_or_else(|| {
        Invalid::new("ratings", format!("must be from {MIN_RATING} to {MAX_RATING}, not {value}"))
    })
}

/// How many unknown statement keys an error names one by one.
const MAX_UNKNOWN_NAMED: usize = 10;

/// What a person sent, shortened for an error message.
fn shown(key: &str) -> String {
    let mut s: String = key.chars().take(60).collect();
    if key.chars().count() > 60 {
        s.push('…');
    }
    format!("{s:?}")
}

/// Checks a whole assessment: every shipped statement rated exactly once, from 1 to 5, and
/// nothing else. Reports every problem at once (field `ratings`).
pub fn check_ratings<'a>(raw: impl IntoIterator<Item = (&'a str, i64)>) -> Result<Ratings, Vec<Invalid>> {
    let mut out = Ratings::new();
    let mut problems = Vec::new();
    let mut unknown = 0_usize;
    for (key, value) in raw {
        let key = key.trim();
        let Some(s) = statement(key) else {
            unknown += 1;
            // Name the first few; a body full of made-up keys gets a short answer.
            if unknown > MAX_UNKNOWN_NAMED {
                continue;
            }
            let message = match key.split_once('.') {
                Some((prefix, _)) if Discipline::of_key(key).is_none() => format!(
                    "for {}: there is no discipline {} (use vision, strategy, purpose, launch, guide or adapt)",
                    shown(key),
                    shown(prefix)
                ),
                None => format!(
                    "for {}: not a statement key (keys look like vision.why: discipline, dot, name)",
                    shown(key)
                ),
                Some(_) => format!("for {}: there is no such statement", shown(key)),
            };
            problems.push(Invalid::new("ratings", message));
            continue;
        };
        match rating(value) {
            Ok(v) => {
                if out.insert(s.key, v).is_some() {
                    problems.push(Invalid::new("ratings", format!("for {}: rated twice", s.key)));
                }
            }
            Err(_) => problems.push(Invalid::new(
                "ratings",
                format!("for {} must be from {MIN_RATING} to {MAX_RATING}, not {value}", s.key),
            )),
        }
    }
    if unknown > MAX_UNKNOWN_NAMED {
        problems.push(Invalid::new(
            "ratings",
            format!("and {} more keys that are not statements", unknown - MAX_UNKNOWN_NAMED),
        ));
    }
    let missing: Vec<&str> = STATEMENTS
        .iter()
        .map(|s| s.key)
        .filter(|k| !out.contains_key(k) && !problems_name(&problems, k))
        .collect();
    if !missing.is_empty() {
        let mut list = missing.iter().take(5).copied().collect::<Vec<_>>().join(", ");
        if missing.len() > 5 {
            list.push_str(&format!(" and {} more", missing.len() - 5));
        }
        let n = missing.len();
        let what = if n == 1 { "statement" } else { "statements" };
        problems.push(Invalid::new("ratings", format!("are missing for {n} {what}: {list}")));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// Whether a problem was already reported for this statement (a bad rating is not also missing).
fn problems_name(problems: &[Invalid], key: &str) -> bool {
    let needle = format!("for {key} ");
    problems.iter().any(|p| p.message.starts_with(&needle))
}

/// Checks a note on an assessment (optional; trimmed).
pub fn note(raw: Option<&str>) -> Result<String, Invalid> {
    let t = raw.unwrap_or_default().trim();
    if t.chars().count() > MAX_NOTE {
        return Err(Invalid::new("note", format!("at most {MAX_NOTE} characters")));
    }
    Ok(t.to_owned())
}

/// Averages per discipline (1–5, two decimals), and overall.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    per: [Option<f64>; 6],
    /// The mean of the disciplines' averages: each discipline weighs the same, however many
    /// statements it has.
    pub overall: Option<f64>,
}

impl Scores {
    pub fn of(&self, d: Discipline) -> Option<f64> {
        self.per[d.index()]
    }

    /// `(discipline, average)` in discipline order.
    pub fn iter(&self) -> impl Iterator<Item = (Discipline, Option<f64>)> + '_ {
        Discipline::ALL.into_iter().map(|d| (d, self.of(d)))
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The averages of stored ratings. Keys that are not shipped any more still count for their
/// discipline; keys of no discipline are ignored.
pub fn scores<'a>(ratings: impl IntoIterator<Item = (&'a str, u8)>) -> Scores {
    let mut sums = [(0_u32, 0_u32); 6];
    for (key, value) in ratings {
        if let Some(d) = Discipline::of_key(key) {
            let slot = &mut sums[d.index()];
            slot.0 += u32::from(value);
            slot.1 += 1;
        }
    }
    let mut per = [None; 6];
    for (i, (sum, n)) in sums.into_iter().enumerate() {
        if n > 0 {
            per[i] = Some(round2(f64::from(sum) / f64::from(n)));
        }
    }
    let present: Vec<f64> =
        sums.iter().filter(|(_, n)| *n > 0).map(|(s, n)| f64::from(*s) / f64::from(*n)).collect();
    let overall = (!present.is_empty()).then(|| round2(present.iter().sum::<f64>() / present.len() as f64));
    Scores { per, overall }
}

// ------------------------------------------------------------------------------------ checklist

/// Where a checklist item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Todo,
    Doing,
    Done,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [Self::Todo, Self::Doing, Self::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::Doing => "doing",
            Self::Done => "done",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("status", "must be one of todo, doing, done"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Todo => "To do",
            Self::Doing => "Doing",
            Self::Done => "Done",
        }
    }
}

/// The checklist every organization starts with, in order.
pub const DEFAULT_ACTIONS: [&str; 10] = [
    "Define the strategy",
    "Assess the platforms",
    "Set goals",
    "Build the team",
    "Define the customer value",
    "Plan campaigns",
    "Educate the team",
    "Budgets and resources",
    "Guidelines",
    "Measure and refine",
];

/// Checks a checklist item's title: trimmed, not empty, at most [`MAX_TITLE`] characters, on
/// one line.
pub fn action_title(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::new("title", "an item needs a title"));
    }
    if t.chars().count() > MAX_TITLE {
        return Err(Invalid::new("title", format!("at most {MAX_TITLE} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(Invalid::new("title", "must be on one line"));
    }
    Ok(t.to_owned())
}

/// Checks a due date: empty for none, else a real calendar date written YYYY-MM-DD.
pub fn due_date(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let bad = || Invalid::new("due_on", "must be a date written YYYY-MM-DD, like 2026-12-01");
    let shape = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape {
        return Err(bad());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(t, &fmt).map_err(|_| bad())?;
    Ok(Some(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(value: i64) -> Vec<(&'static str, i64)> {
        STATEMENTS.iter().map(|s| (s.key, value)).collect()
    }

    #[test]
    fn every_discipline_has_three_or_four_statements_with_stable_unique_keys() {
        for d in Discipline::ALL {
            let n = d.statements().count();
            assert!((3..=4).contains(&n), "{d:?} has {n}");
            assert_eq!(Discipline::parse(d.as_str()), Ok(d));
            for s in d.statements() {
                assert_eq!(Discipline::of_key(s.key), Some(d), "{}", s.key);
            }
        }
        let mut keys: Vec<&str> = STATEMENTS.iter().map(|s| s.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), STATEMENTS.len());
        assert!(statement("vision.why").is_some());
        assert!(Discipline::parse("mission").is_err());
    }

    #[test]
    fn a_full_assessment_passes_and_bad_ones_say_why() {
        let ok = check_ratings(all(3).iter().map(|(k, v)| (*k, *v))).expect("valid");
        assert_eq!(ok.len(), STATEMENTS.len());

        let mut bad = all(3);
        bad[0].1 = 0;
        bad[1].1 = 6;
        let errs = check_ratings(bad.iter().map(|(k, v)| (*k, *v))).expect_err("out of range");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].message.contains("vision.why must be from 1 to 5, not 0"), "{errs:?}");

        let errs = check_ratings(all(4).iter().skip(2).map(|(k, v)| (*k, *v))).expect_err("missing");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("missing for 2 statements: vision.why, vision.future"), "{errs:?}");

        let mut extra = all(4);
        extra.push(("vision.nope", 3));
        extra.push(("mission.why", 3));
        extra.push(("nodot", 3));
        let errs = check_ratings(extra.iter().map(|(k, v)| (*k, *v))).expect_err("unknown");
        let text: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert!(text[0].contains("no such statement"), "{text:?}");
        assert!(text[1].contains("no discipline \"mission\""), "{text:?}");
        assert!(text[2].contains("not a statement key"), "{text:?}");

        let mut twice = all(4);
        twice.push(("vision.why", 2));
        assert!(check_ratings(twice.iter().map(|(k, v)| (*k, *v))).is_err());
        let junk: Vec<(String, i64)> = (0..1000).map(|i| (format!("vision.x{i}"), 3)).collect();
        let errs = check_ratings(junk.iter().map(|(k, v)| (k.as_str(), *v))).expect_err("junk");
        assert_eq!(errs.len(), 10 + 1 + 1, "ten named, the rest counted, and the missing ones");
        assert!(errs[10].message.contains("990 more keys"), "{errs:?}");
        let errs = check_ratings(std::iter::empty()).expect_err("nothing");
        assert!(errs[0].message.contains("and 16 more"), "{errs:?}");
    }

    #[test]
    fn averages_per_discipline_and_overall() {
        // Vision 4 statements: 1, 2, 3, 4 → 2.5; everything else 5; Strategy missing.
        let mut r: Vec<(&str, u8)> =
            vec![("vision.why", 1), ("vision.future", 2), ("vision.sponsor", 3), ("vision.shared", 4)];
        r.extend(
            STATEMENTS
                .iter()
                .filter(|s| !matches!(s.discipline, Discipline::Vision | Discipline::Strategy))
                .map(|s| (s.key, 5)),
        );
        r.push(("purpose.retired", 2)); // an old key still counts for its discipline
        r.push(("nonsense", 1));
        let s = scores(r);
        assert_eq!(s.of(Discipline::Vision), Some(2.5));
        assert_eq!(s.of(Discipline::Strategy), None);
        assert_eq!(s.of(Discipline::Purpose), Some(4.25));
        assert_eq!(s.of(Discipline::Adapt), Some(5.0));
        // (2.5 + 4.25 + 5 + 5 + 5) / 5 = 4.35
        assert_eq!(s.overall, Some(4.35));
        let thirds = scores([("guide.policy", 1), ("guide.training", 1), ("guide.escalation", 2)]);
        assert_eq!(thirds.of(Discipline::Guide), Some(1.33));
        assert_eq!(scores(std::iter::empty()).overall, None);
    }

    #[test]
    fn checklist_values() {
        assert_eq!(DEFAULT_ACTIONS.len(), 10);
        assert_eq!(ActionStatus::parse("doing"), Ok(ActionStatus::Doing));
        assert!(ActionStatus::parse("finished").is_err());
        assert_eq!(action_title("  Set goals "), Ok("Set goals".to_owned()));
        assert!(action_title(" ").is_err());
        assert!(action_title(&"x".repeat(MAX_TITLE + 1)).is_err());
        assert!(action_title("two\nlines").is_err());
        assert_eq!(due_date(Some("2026-12-01")), Ok(Some("2026-12-01".to_owned())));
        assert_eq!(due_date(Some("")), Ok(None));
        assert_eq!(due_date(None), Ok(None));
        for bad in ["2026-02-30", "2026-13-01", "01/12/2026", "2026-1-1", "+2026-12-01", "tomorrow"] {
            assert!(due_date(Some(bad)).is_err(), "{bad}");
        }
        assert!(rating(0).is_err() && rating(6).is_err() && rating(5).is_ok() && rating(-300).is_err());
        assert!(note(Some(&"n".repeat(MAX_NOTE + 1))).is_err());
    }
}
