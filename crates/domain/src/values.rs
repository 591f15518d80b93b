//! Values that are valid by construction: parse once at the edge, then trust the type.

use crate::Invalid;
use std::fmt;

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// Trims, rejects empty or over-long text and control characters.
fn plain_text(field: &'static str, raw: &str, max_chars: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if text.chars().count() > max_chars {
        return Err(Invalid::new(field, format!("must be at most {max_chars} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

/// An e-mail address, trimmed and lower-cased (addresses are matched case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        let invalid = || Invalid::new("email", "must be an e-mail address like name@example.com");
        if email.is_empty() {
            return Err(Invalid::new("email", "is required"));
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);
string_value!(PersonName);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        plain_text("name", raw, 100).map(Self)
    }
}

/// A job title (optional on a person; an empty input means "none").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);
string_value!(Title);

impl Title {
    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => plain_text("title", text, 100).map(|t| Some(Self(t))),
        }
    }
}

/// How senior a person is, from 1 (junior) to 5 (executive). Used for survey bands and
/// reverse mentoring later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seniority(u8);

impl Seniority {
    pub fn new(level: i64) -> Result<Self, Invalid> {
        u8::try_from(level)
            .ok()
            .filter(|l| (1..=5).contains(l))
            .map(Self)
            .ok_or_else(|| Invalid::new("seniority", "must be a whole number from 1 to 5"))
    }

    pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, Invalid> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => {
                let level = text
                    .parse::<i64>()
                    .map_err(|_| Invalid::new("seniority", "must be a whole number from 1 to 5"))?;
                Self::new(level).map(Some)
            }
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A department's name, unique within an organization (case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentName(String);
string_value!(DepartmentName);

impl DepartmentName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        plain_text("department", raw, 80).map(Self)
    }
}

/// An organization's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);
string_value!(OrgName);

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        plain_text("organization", raw, 100).map(Self)
    }
}

/// A URL-safe organization handle: lower-case ASCII letters, digits and single dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);
string_value!(Slug);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        let ok = !s.is_empty()
            && s.len() <= 60
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Invalid::new("slug", "must be lower-case letters, digits and single dashes"))
        }
    }

    /// Derives a slug from a name: "Acme Widgets, Inc." → "acme-widgets-inc".
    pub fn from_name(name: &OrgName) -> Self {
        let mut slug = String::new();
        for c in name.as_str().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let mut slug: String = slug.trim_end_matches('-').chars().take(50).collect();
        slug = slug.trim_end_matches('-').to_owned();
        if slug.is_empty() {
            slug.push_str("org");
        }
        Self(slug)
    }

    /// The n-th alternative when the plain slug is taken: "acme-2", "acme-3", …
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }
}

/// A new password: long enough to resist guessing, short enough not to be a hashing DoS.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(Invalid::new("password", format!("must be at least {} characters", Self::MIN_CHARS)));
        }
        if raw.len() > 1024 {
            return Err(Invalid::new("password", "must be at most 1024 bytes"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// A label for a personal access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenLabel(String);
string_value!(TokenLabel);

impl TokenLabel {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        plain_text("label", raw, 80).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").map(|e| e.into_inner()), Ok("ada@example.com".into()));
        for bad in
            ["", "ada", "@example.com", "ada@", "a b@example.com", "ada@@x.com", "ada@.x", "ada@x..com"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn seniority_is_one_to_five() {
        assert!(Seniority::new(0).is_err());
        assert!(Seniority::new(6).is_err());
        assert_eq!(Seniority::parse_optional(Some(" 3 ")).map(|s| s.map(Seniority::get)), Ok(Some(3)));
        assert_eq!(Seniority::parse_optional(Some("")), Ok(None));
        assert!(Seniority::parse_optional(Some("senior")).is_err());
    }

    #[test]
    fn slugs_come_from_names() {
        let name = OrgName::parse("Acme Widgets, Inc.").expect("valid name");
        assert_eq!(Slug::from_name(&name).as_str(), "acme-widgets-inc");
        let odd = OrgName::parse("!!!").expect("valid name");
        assert_eq!(Slug::from_name(&odd).as_str(), "org");
        assert!(Slug::parse("Bad Slug").is_err());
        assert!(Slug::parse("good-slug-2").is_ok());
    }

    #[test]
    fn names_reject_blank_and_control_characters() {
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("Ada\u{0}").is_err());
        assert_eq!(PersonName::parse(" Ada Lovelace ").map(|n| n.into_inner()), Ok("Ada Lovelace".into()));
    }

    #[test]
    fn passwords_have_a_minimum_length() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
    }
}
