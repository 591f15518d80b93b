//! The company's own accounts directory ("follow us on …") and the departments' follow lists
//! (blogs, accounts, newsletters and podcasts worth following), SPEC §3 "Communication".
//!
//! Both show links to everyone, so a link must be `https://` with a host and no credentials:
//! `javascript:`, `data:` and plain `http:` are refused when written.

use crate::{Actor, DepartmentId, Invalid, Role, policy::Denied};

/// Networks a company account can be on, as (value, label).
pub const NETWORKS: [(&str, &str); 12] = [
    ("x", "X"),
    ("linkedin", "LinkedIn"),
    ("mastodon", "Mastodon"),
    ("bluesky", "Bluesky"),
    ("instagram", "Instagram"),
    ("youtube", "YouTube"),
    ("facebook", "Facebook"),
    ("threads", "Threads"),
    ("tiktok", "TikTok"),
    ("github", "GitHub"),
    ("blog", "Blog"),
    ("other", "Other"),
];

/// What a follow-list entry is, as (value, label).
pub const FOLLOW_KINDS: [(&str, &str); 4] =
    [("blog", "Blog"), ("account", "Account"), ("newsletter", "Newsletter"), ("podcast", "Podcast")];

pub const MAX_NAME: usize = 200;
pub const MAX_HANDLE: usize = 100;
pub const MAX_URL: usize = 2_000;
pub const MAX_NOTE: usize = 1_000;
/// Entries per list, and accounts per directory: these are curated lists, not databases.
pub const MAX_ENTRIES: i64 = 200;

pub fn network_label(network: &str) -> &'static str {
    NETWORKS.iter().find(|(v, _)| *v == network).map_or("Other", |(_, l)| *l)
}

pub fn kind_label(kind: &str) -> &'static str {
    FOLLOW_KINDS.iter().find(|(v, _)| *v == kind).map_or("Link", |(_, l)| *l)
}

pub fn parse_network(raw: &str) -> Result<&'static str, Invalid> {
    let t = raw.trim().to_ascii_lowercase();
    NETWORKS.iter().find(|(v, _)| *v == t).map(|(v, _)| *v).ok_or_else(|| {
        Invalid::new(
            "network",
            format!("must be one of {}", NETWORKS.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ")),
        )
    })
}

pub fn parse_kind(raw: &str) -> Result<&'static str, Invalid> {
    let t = raw.trim().to_ascii_lowercase();
    FOLLOW_KINDS
        .iter()
        .find(|(v, _)| *v == t)
        .map(|(v, _)| *v)
        .ok_or_else(|| Invalid::new("kind", "must be one of blog, account, newsletter, podcast"))
}

/// A public link shown to everyone: `https://`, a host, no credentials, at most 2,000 bytes.
pub fn parse_https_url(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if t.len() > MAX_URL {
        return Err(Invalid::new(field, format!("must be at most {MAX_URL} characters")));
    }
    let u =
        url::Url::parse(t).map_err(|_| Invalid::new(field, "must be a full link starting with https://"))?;
    if u.scheme() != "https" {
        return Err(Invalid::new(field, "must start with https:// (other kinds of links are not shown)"));
    }
    if u.host_str().is_none_or(str::is_empty) || !u.username().is_empty() || u.password().is_some() {
        return Err(Invalid::new(
            field,
            "must be an https:// link with a host and without a user name or password",
        ));
    }
    Ok(u.to_string())
}

/// A one-line text: trimmed, 1..=max characters (or empty when not `required`), no control characters.
pub fn parse_line(field: &'static str, raw: &str, max: usize, required: bool) -> Result<String, Invalid> {
    let t = raw.trim();
    if required && t.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must be one line"));
    }
    Ok(t.to_owned())
}

/// A note: up to 1,000 characters; line breaks kept.
pub fn parse_note(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim().replace("\r\n", "\n");
    if t.chars().count() > MAX_NOTE {
        return Err(Invalid::new("note", format!("must be at most {MAX_NOTE} characters")));
    }
    Ok(t)
}

/// Who keeps the company's accounts directory: the social media team, owners and admins.
pub fn may_manage_accounts(actor: &Actor) -> Result<(), Denied> {
    (actor.role.is_admin() || actor.role == Role::Social)
        .then_some(())
        .ok_or(Denied("only the social media team, owners and admins keep the company's accounts"))
}

/// Who keeps a department's follow list: that department's leads, the social media team, owners
/// and admins. Leads of another department may not.
pub fn may_edit_follow_list(actor: &Actor, department: DepartmentId) -> Result<(), Denied> {
    (actor.role.is_admin() || actor.role == Role::Social || actor.leads.contains(&department))
        .then_some(())
        .ok_or(Denied("only this department's leads, the social media team and admins keep its follow list"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrgId, UserId};

    fn actor(role: Role, leads: Vec<DepartmentId>) -> Actor {
        Actor { org_id: OrgId::new(), user_id: Some(UserId::new()), role, department_id: None, leads }
    }

    #[test]
    fn only_https_links_with_a_host_are_kept() {
        assert_eq!(parse_https_url("url", " https://example.com/a ").as_deref(), Ok("https://example.com/a"));
        for bad in [
            "javascript:alert(1)",
            "http://example.com",
            "data:text/html,x",
            "https://u:p@x.test/",
            "example.com",
            "",
        ] {
            assert!(parse_https_url("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn leads_keep_their_own_departments_list_only() {
        let sales = DepartmentId::new();
        let ops = DepartmentId::new();
        assert!(may_edit_follow_list(&actor(Role::Lead, vec![sales]), sales).is_ok());
        assert!(may_edit_follow_list(&actor(Role::Lead, vec![sales]), ops).is_err());
        assert!(may_edit_follow_list(&actor(Role::Employee, vec![]), sales).is_err());
        assert!(may_edit_follow_list(&actor(Role::Social, vec![]), ops).is_ok());
        assert!(may_manage_accounts(&actor(Role::Lead, vec![sales])).is_err());
        assert!(may_manage_accounts(&actor(Role::Admin, vec![])).is_ok());
    }

    #[test]
    fn networks_and_kinds_are_from_the_lists() {
        assert_eq!(parse_network("LinkedIn"), Ok("linkedin"));
        assert!(parse_network("myspace").is_err());
        assert_eq!(parse_kind("podcast"), Ok("podcast"));
        assert!(parse_kind("magazine").is_err());
    }
}
