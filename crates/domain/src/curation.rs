//! Feed subscriptions and the curation inbox (SPEC §3 "an RSS/Atom curation inbox").
//!
//! Pure rules only: who keeps which feeds and sees which inbox items, what a feed URL and name
//! may be, how long to wait before the next poll (with back-off after failures), the canonical
//! form of an article's URL (what de-duplicates the inbox), and the body of the submission an
//! item becomes.

use crate::{Actor, Denied, DepartmentId, Invalid, Role};
use std::fmt;
use time::Duration;

/// A feed's name (shown in lists and credited in submissions).
pub const TITLE_MAX: usize = 200;
/// A feed's address.
pub const URL_MAX: usize = 2_048;
/// How often a feed is polled, in minutes: at least every quarter-hour would be impolite, and a
/// week is the longest that still makes it a subscription.
pub const INTERVAL_MIN: i64 = 15;
pub const INTERVAL_MAX: i64 = 7 * 24 * 60;
pub const INTERVAL_DEFAULT: i64 = 60;
/// The longest wait after failures (back-off doubles up to this).
pub const BACKOFF_MAX: Duration = Duration::hours(24);
/// Feeds an organization may keep (a sanity bound: each one is polled).
pub const FEEDS_MAX: usize = 500;

/// The social media team, owners and admins: they keep every feed and see every inbox item.
pub fn is_team(actor: &Actor) -> bool {
    actor.role.is_admin() || actor.role == Role::Social
}

/// Who keeps a feed: the team for any feed (organization-wide ones included), a department's
/// leads for their department's feeds. Employees keep none.
pub fn may_manage_feed(actor: &Actor, department: Option<DepartmentId>) -> Result<(), Denied> {
    if is_team(actor) || department.is_some_and(|d| actor.leads.contains(&d)) {
        Ok(())
    } else if department.is_none() && !actor.leads.is_empty() {
        Err(Denied("organization-wide feeds are kept by the social media team; choose your department"))
    } else {
        Err(Denied("feeds are kept by the social media team, admins and each department's leads"))
    }
}

/// Who may open the curation inbox and the feed list at all: the team and anyone who leads a
/// department.
pub fn may_curate(actor: &Actor) -> Result<(), Denied> {
    if is_team(actor) || !actor.leads.is_empty() {
        Ok(())
    } else {
        Err(Denied("the curation inbox is for the social media team, admins and department leads"))
    }
}

/// Who may see and act on one inbox item: the team always; a lead when the item came from a
/// feed of a department they lead (`departments` lists the departments of the item's feeds;
/// organization-wide feeds add none).
pub fn may_act_on_item(actor: &Actor, departments: &[DepartmentId]) -> bool {
    is_team(actor) || departments.iter().any(|d| actor.leads.contains(d))
}

/// Whether a feed is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedStatus {
    Active,
    /// Kept, not polled (by hand, or because the site said the feed is gone).
    Paused,
}

impl FeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        match s.trim() {
            "active" => Ok(Self::Active),
            "paused" => Ok(Self::Paused),
            _ => Err(Invalid::new("status", "must be active or paused")),
        }
    }
}

/// Where an inbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// Waiting for someone to look at it.
    New,
    /// Not for us (it can still be turned into a submission later).
    Dismissed,
    /// Turned into a submission (once only).
    Submitted,
}

impl ItemState {
    pub const ALL: [ItemState; 3] = [Self::New, Self::Dismissed, Self::Submitted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Dismissed => "dismissed",
            Self::Submitted => "submitted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Dismissed => "Dismissed",
            Self::Submitted => "Submitted",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("state", "must be new, dismissed or submitted"))
    }

    /// Whether the item may be dismissed now.
    pub fn may_dismiss(self) -> Result<(), &'static str> {
        match self {
            Self::New => Ok(()),
            Self::Dismissed => Err("this item was already dismissed"),
            Self::Submitted => Err("this item was already turned into a submission"),
        }
    }

    /// Whether the item may become a submission now (a dismissed one may: minds change).
    pub fn may_submit(self) -> Result<(), &'static str> {
        match self {
            Self::New | Self::Dismissed => Ok(()),
            Self::Submitted => Err("this item was already turned into a submission"),
        }
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A feed's address: an absolute http(s) URL with a host and no credentials. Whether the host
/// may be reached (public addresses only, by default) is decided when it is fetched.
pub fn feed_url(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    let bad = |m: &str| Invalid::new("url", m.to_owned());
    if s.is_empty() {
        return Err(bad("is required"));
    }
    if s.len() > URL_MAX {
        return Err(bad(&format!("may be at most {URL_MAX} characters")));
    }
    let url = url::Url::parse(s)
        .map_err(|_| bad("must be a full web address, like https://example.com/feed.xml"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a web site"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain a user name or password"));
    }
    let mut url = url;
    url.set_fragment(None);
    Ok(url.to_string())
}

/// A feed's name: one line, at most [`TITLE_MAX`] characters; empty means "use the feed's own".
pub fn feed_title(raw: &str) -> Result<String, Invalid> {
    let t = one_line(raw);
    if t.chars().count() > TITLE_MAX {
        return Err(Invalid::new("title", format!("may be at most {TITLE_MAX} characters")));
    }
    Ok(t)
}

/// Whitespace collapsed, control characters dropped, trimmed.
pub fn one_line(raw: &str) -> String {
    raw.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Minutes between polls: [`INTERVAL_MIN`]..=[`INTERVAL_MAX`]; `None` is the default.
pub fn interval(minutes: Option<i64>) -> Result<i64, Invalid> {
    match minutes {
        None => Ok(INTERVAL_DEFAULT),
        Some(m) if (INTERVAL_MIN..=INTERVAL_MAX).contains(&m) => Ok(m),
        Some(_) => Err(Invalid::new(
            "interval_minutes",
            format!("must be between {INTERVAL_MIN} (a quarter-hour) and {INTERVAL_MAX} (a week)"),
        )),
    }
}

/// How long to wait before polling again: the feed's interval after a success; after
/// `failures` failures in a row, the interval doubled that many times, at most [`BACKOFF_MAX`]
/// (and never less than the interval itself).
pub fn next_poll_delay(interval_minutes: i64, failures: i64) -> Duration {
    let base = Duration::minutes(interval_minutes.clamp(INTERVAL_MIN, INTERVAL_MAX));
    if failures <= 0 {
        return base;
    }
    let exp = u32::try_from(failures.min(20)).unwrap_or(20);
    let factor = 1_i64 << exp;
    let waited = Duration::minutes(interval_minutes.clamp(INTERVAL_MIN, INTERVAL_MAX).saturating_mul(factor));
    waited.min(BACKOFF_MAX).max(base)
}

/// Query parameters that only track where a click came from: dropped from canonical URLs.
fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_") || k == "fbclid" || k == "gclid"
}

/// The canonical form of an article's URL, which de-duplicates the inbox: scheme and host in
/// lower case, no fragment, no `utm_*`, `fbclid` or `gclid` parameters, the other parameters
/// sorted, no default port, no trailing slash. `None` for anything but an absolute http(s) URL
/// with a host (and without credentials).
pub fn canonical_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > URL_MAX {
        return None;
    }
    // The WHATWG parser lower-cases scheme and host, normalises IP literals and drops a port
    // that is the scheme's default.
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str().filter(|h| !h.is_empty())?;
    let mut out = format!("{}://{}", url.scheme(), host.trim_end_matches('.'));
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    let path = url.path().trim_end_matches('/');
    out.push_str(path);
    if let Some(query) = url.query() {
        let mut pairs: Vec<(&str, &str)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .filter(|(k, _)| !is_tracking_param(k))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        if !pairs.is_empty() {
            out.push('?');
            let joined: Vec<String> = pairs
                .iter()
                .map(|(k, v)| if v.is_empty() { (*k).to_owned() } else { format!("{k}={v}") })
                .collect();
            out.push_str(&joined.join("&"));
        }
    }
    Some(out)
}

/// What a submission made from an inbox item says: the summary, quoted, and the source credited
/// with its link.
pub fn submission_body(summary: &str, source: &str, author: Option<&str>, link: &str) -> String {
    let mut body = String::new();
    let summary = summary.trim();
    if !summary.is_empty() {
        for line in summary.lines() {
            body.push_str("> ");
            body.push_str(line.trim_end());
            body.push('\n');
        }
        body.push('\n');
    }
    let source = one_line(source);
    let by = author.map(one_line).filter(|a| !a.is_empty());
    body.push_str("Source: ");
    match (source.is_empty(), by) {
        (false, Some(a)) => body.push_str(&format!("{source} (by {a})")),
        (false, None) => body.push_str(&source),
        (true, Some(a)) => body.push_str(&format!("an article by {a}")),
        (true, None) => body.push_str("an article we follow"),
    }
    body.push_str(" — ");
    body.push_str(link);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrgId, UserId};

    #[test]
    fn canonical_urls_drop_tracking_fragments_default_ports_and_trailing_slashes() {
        let c = |s: &str| canonical_url(s);
        assert_eq!(
            c("HTTPS://News.Example.COM:443/a/b/?utm_source=x&b=2&a=1#top").as_deref(),
            Some("https://news.example.com/a/b?a=1&b=2")
        );
        assert_eq!(c("http://example.com:80/").as_deref(), Some("http://example.com"));
        assert_eq!(c("http://example.com:8080/x/").as_deref(), Some("http://example.com:8080/x"));
        assert_eq!(
            c("https://example.com/p?fbclid=abc&GCLID=1&UTM_Medium=m").as_deref(),
            Some("https://example.com/p")
        );
        // The same article reached two ways is one canonical URL.
        assert_eq!(
            c("https://example.com/post?id=7&utm_campaign=rss"),
            c("https://EXAMPLE.com/post/?id=7#comments")
        );
        // Other parameters are kept, sorted, with their encoding.
        assert_eq!(
            c("https://example.com/s?q=a%20b&page=2").as_deref(),
            Some("https://example.com/s?page=2&q=a%20b")
        );
        // Case in the path matters to servers and is kept.
        assert_ne!(c("https://example.com/Post"), c("https://example.com/post"));
    }

    #[test]
    fn only_absolute_web_urls_have_a_canonical_form() {
        for bad in [
            "",
            "not a url",
            "/relative",
            "ftp://example.com/x",
            "javascript:alert(1)",
            "https://user:pw@example.com/",
            "mailto:a@example.com",
        ] {
            assert_eq!(canonical_url(bad), None, "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(URL_MAX));
        assert_eq!(canonical_url(&long), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(next_poll_delay(60, 0), Duration::minutes(60));
        assert_eq!(next_poll_delay(60, 1), Duration::minutes(120));
        assert_eq!(next_poll_delay(60, 2), Duration::minutes(240));
        assert_eq!(next_poll_delay(60, 10), BACKOFF_MAX);
        assert_eq!(next_poll_delay(60, 1_000_000), BACKOFF_MAX);
        // A weekly feed never polls sooner because of the cap.
        assert_eq!(next_poll_delay(INTERVAL_MAX, 3), Duration::minutes(INTERVAL_MAX));
        // Out-of-range intervals are clamped, never zero.
        assert_eq!(next_poll_delay(0, 0), Duration::minutes(INTERVAL_MIN));
    }

    #[test]
    fn feed_urls_and_titles() {
        assert_eq!(
            feed_url(" https://example.com/feed.xml#x ").as_deref(),
            Ok("https://example.com/feed.xml")
        );
        for bad in ["", "example.com/feed", "file:///etc/passwd", "https://u:p@example.com/f", "http://"] {
            assert!(feed_url(bad).is_err(), "{bad}");
        }
        assert_eq!(feed_title("  Tech\n  news\t").as_deref(), Ok("Tech news"));
        assert!(feed_title(&"x".repeat(TITLE_MAX + 1)).is_err());
        assert_eq!(interval(None), Ok(INTERVAL_DEFAULT));
        assert!(interval(Some(5)).is_err());
        assert!(interval(Some(INTERVAL_MAX + 1)).is_err());
    }

    fn actor(role: Role, leads: Vec<DepartmentId>) -> Actor {
        Actor { org_id: OrgId::new(), user_id: Some(UserId::new()), role, department_id: None, leads }
    }

    #[test]
    fn leads_keep_their_departments_feeds_and_the_team_keeps_all() {
        let (mine, other) = (DepartmentId::new(), DepartmentId::new());
        let lead = actor(Role::Employee, vec![mine]);
        assert!(may_manage_feed(&lead, Some(mine)).is_ok());
        assert!(may_manage_feed(&lead, Some(other)).is_err());
        assert!(may_manage_feed(&lead, None).is_err());
        assert!(may_act_on_item(&lead, &[other, mine]));
        assert!(!may_act_on_item(&lead, &[other]));
        assert!(!may_act_on_item(&lead, &[]));
        for role in [Role::Social, Role::Admin, Role::Owner] {
            assert!(may_manage_feed(&actor(role, vec![]), None).is_ok());
            assert!(may_act_on_item(&actor(role, vec![]), &[]));
        }
        let employee = actor(Role::Employee, vec![]);
        assert!(may_curate(&employee).is_err());
        assert!(may_manage_feed(&employee, Some(mine)).is_err());
        assert!(!may_act_on_item(&employee, &[mine]));
    }

    #[test]
    fn item_states() {
        assert!(ItemState::New.may_dismiss().is_ok());
        assert!(ItemState::Submitted.may_dismiss().is_err());
        assert!(ItemState::Dismissed.may_submit().is_ok());
        assert!(ItemState::Submitted.may_submit().is_err());
        assert_eq!(ItemState::parse("dismissed"), Ok(ItemState::Dismissed));
        assert!(ItemState::parse("gone").is_err());
    }

    #[test]
    fn the_submission_body_quotes_and_credits() {
        let b = submission_body("First line.\nSecond line.", "Tech Weekly", Some("Ada"), "https://e.com/a");
        assert_eq!(b, "> First line.\n> Second line.\n\nSource: Tech Weekly (by Ada) — https://e.com/a");
        assert_eq!(
            submission_body("", "", None, "https://e.com/a"),
            "Source: an article we follow — https://e.com/a"
        );
    }
}
