//! The social media policy (SPEC §3): versioned Markdown with a list of don'ts that everyone is
//! asked to acknowledge. Named apart from `policy`, which is the authorization policy.

use crate::error::Invalid;

pub const MAX_TITLE: usize = 200;
pub const MAX_BODY: usize = 50_000;
pub const MAX_DONTS: usize = 30;
pub const MAX_DONT: usize = 300;
pub const MAX_SUMMARY: usize = 1_000;

/// A version as an admin writes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub body: String,
    /// Shown first and prominently: what never to do.
    pub donts: Vec<String>,
    /// What changed since the previous version (shown on the banner's page).
    pub summary: String,
}

impl Draft {
    /// Checks every field at once; `donts` is one item per entry (empty lines dropped,
    /// duplicates removed).
    pub fn parse(title: &str, body: &str, donts: &[String], summary: &str) -> Result<Self, Vec<Invalid>> {
        let mut problems = Vec::new();
        let title = title.trim();
        if title.is_empty() {
            problems.push(Invalid::new("title", "a policy needs a title"));
        } else if title.chars().count() > MAX_TITLE {
            problems.push(Invalid::new("title", format!("at most {MAX_TITLE} characters")));
        }
        let body = body.trim();
        if body.is_empty() {
            problems.push(Invalid::new("body", "write the policy itself"));
        } else if body.chars().count() > MAX_BODY {
            problems.push(Invalid::new("body", format!("at most {MAX_BODY} characters")));
        }
        let mut clean: Vec<String> = Vec::new();
        for d in donts.iter().map(|d| d.trim().trim_start_matches(['-', '*', '•']).trim()) {
            if d.is_empty() || clean.iter().any(|c| c.eq_ignore_ascii_case(d)) {
                continue;
            }
            if d.chars().count() > MAX_DONT {
                problems.push(Invalid::new("donts", format!("each don't has at most {MAX_DONT} characters")));
                break;
            }
            clean.push(d.to_owned());
        }
        if clean.len() > MAX_DONTS {
            problems.push(Invalid::new(
                "donts",
                format!("at most {MAX_DONTS} don'ts: keep the list short enough to remember"),
            ));
        }
        let summary = summary.trim();
        if summary.chars().count() > MAX_SUMMARY {
            problems.push(Invalid::new("summary", format!("at most {MAX_SUMMARY} characters")));
        }
        if problems.is_empty() {
            Ok(Self {
                title: title.to_owned(),
                body: body.to_owned(),
                donts: clean,
                summary: summary.to_owned(),
            })
        } else {
            Err(problems)
        }
    }
}

/// What a new organization starts from: a short, plain policy to adapt.
pub fn starter() -> Draft {
    Draft {
        title: "Our social media policy".into(),
        body: "We want everyone to share what they are proud of. This policy keeps that safe for you, \
our customers and the company.\n\n## When you post about work\n\n- Say that you work here when you talk \
about our products or services (the share hub adds the disclosure for you).\n- Speak for yourself: \
\"my view\", not \"the company's view\", unless the social media team asked you to.\n- Ask before you \
post photos of customers, colleagues or sites, and check that nothing confidential is visible.\n\n\
## When something goes wrong\n\nIf you see a complaint, a crisis or a mistake, do not answer it \
yourself: tell the social media team, who will.\n\n## Questions\n\nAsk the social media team any \
time. There is no quota and no pressure to post."
            .into(),
        donts: vec![
            "Don't share confidential information: results before they are public, plans, customer data."
                .into(),
            "Don't speak for the company on topics you are not responsible for.".into(),
            "Don't post photos of people who have not agreed to it.".into(),
            "Don't argue with critics or answer complaints yourself: hand them to the social media team."
                .into(),
            "Don't share anything you would not want your manager, a customer and a journalist to read."
                .into(),
        ],
        summary: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_checked_and_donts_cleaned() {
        let donts = vec![" - Don't leak ".into(), "".into(), "don't LEAK".into(), "• Don't argue".into()];
        let d = Draft::parse(" Policy ", "Body", &donts, "").expect("valid");
        assert_eq!(d.title, "Policy");
        assert_eq!(d.donts, vec!["Don't leak", "Don't argue"], "bullets, blanks and repeats go");
        let errors = Draft::parse("", " ", &["x".repeat(MAX_DONT + 1)], "").expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "body", "donts"]);
        let many: Vec<String> = (0..=MAX_DONTS).map(|i| format!("Don't {i}")).collect();
        assert!(Draft::parse("T", "B", &many, "").is_err());
        let s = starter();
        assert!(Draft::parse(&s.title, &s.body, &s.donts, "").is_ok(), "the starter is valid");
    }
}
