//! Single sign-on with an OpenID Connect provider: what an organization may configure, which
//! claims make an account, and when a password still works.
//!
//! The protocol itself (discovery, PKCE, ID-token signature, issuer, audience, nonce and expiry)
//! is the `openidconnect` crate's job in `chorus-app`; these are the rules around it.

use crate::{Invalid, Role};
use serde_json::Value;

/// Longest issuer URL accepted (real ones are far shorter).
const MAX_ISSUER: usize = 500;
/// Longest client id accepted.
const MAX_CLIENT_ID: usize = 255;
/// Longest client secret accepted.
const MAX_SECRET: usize = 1000;

/// A provider's issuer URL: `https://…`, or plain `http://` to this machine only (tests, a
/// provider on the same host). No query, fragment or credentials: the issuer is compared
/// character for character with what discovery and every ID token say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let bad = |m: &str| Invalid::new("issuer", m);
        if raw.is_empty() {
            return Err(bad("is required"));
        }
        if raw.len() > MAX_ISSUER {
            return Err(bad("is too long"));
        }
        let url = url::Url::parse(raw).map_err(|_| bad("is not a URL"))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not carry credentials"));
        }
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => return Err(bad("has no host")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(bad("must use https (plain http only to this machine)")),
            _ => return Err(bad("must be an https URL")),
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a claim to read a value from (`department`, `https://example.com/claims/title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimName(String);

impl ClaimName {
    /// An empty value means the default.
    pub fn parse_or(field: &'static str, raw: Option<&str>, default: &str) -> Result<Self, Invalid> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default);
        if raw.len() > 200 {
            return Err(Invalid::new(field, "is too long"));
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(field, "must be a claim name without spaces"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const DEFAULT_DEPARTMENT_CLAIM: &str = "department";
pub const DEFAULT_TITLE_CLAIM: &str = "title";

/// A client id as the provider issued it.
pub fn parse_client_id(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Invalid::new("client_id", "is required"));
    }
    if raw.len() > MAX_CLIENT_ID || raw.chars().any(char::is_control) {
        return Err(Invalid::new("client_id", "is not a client id"));
    }
    Ok(raw.to_owned())
}

/// A client secret; `None` when left blank (keep the stored one, if any).
pub fn parse_client_secret(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() > MAX_SECRET || s.chars().any(char::is_control) => {
            Err(Invalid::new("client_secret", "is not a client secret"))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// Whether a person may sign in (or reset a password) with a password. In "SSO only" mode only
/// owners may: the break-glass way in when the provider is down or misconfigured, so an owner
/// can always switch SSO-only off again.
pub fn password_allowed(sso_only: bool, role: Role) -> bool {
    !sso_only || role == Role::Owner
}

/// Whether the e-mail of a sign-in may be used to create or link an account: verified by the
/// provider, unless the organization chose to trust its provider's unverified addresses.
/// `email_verified` may be missing, a boolean, or (some providers) the string "true".
pub fn email_acceptable(email_verified: Option<&Value>, trust_unverified: bool) -> bool {
    trust_unverified
        || match email_verified {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
}

/// A claim's value as one line of text: strings as they are, numbers written out, the first
/// element of an array (a provider sending groups), nothing for anything else or blank text.
pub fn claim_text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => return claim_text(items.first()),
        _ => return None,
    };
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!one_line.is_empty()).then_some(one_line)
}

/// The name to give a new account: the `name` claim, else given and family names, else the part
/// of the e-mail before the `@`.
pub fn display_name(
    name: Option<String>,
    given: Option<String>,
    family: Option<String>,
    email: &str,
) -> String {
    if let Some(n) = name {
        return n;
    }
    let joined = [given, family].into_iter().flatten().collect::<Vec<_>>().join(" ");
    if !joined.is_empty() {
        return joined;
    }
    email.split('@').next().unwrap_or(email).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issuers_are_https_or_loopback_http_without_query() {
        assert!(Issuer::parse("https://login.example.com").is_ok());
        assert!(Issuer::parse("https://login.example.com/realms/acme").is_ok());
        assert!(Issuer::parse("http://127.0.0.1:3080").is_ok());
        assert!(Issuer::parse("http://localhost:3080/").is_ok());
        assert!(Issuer::parse("http://[::1]:3080").is_ok());
        for bad in [
            "",
            "login.example.com",
            "http://login.example.com",
            "ftp://x.example",
            "https://a.example/?x=1",
            "https://a.example/#f",
            "https://u:p@a.example",
        ] {
            assert!(Issuer::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Issuer::parse("  https://a.example ").expect("ok").as_str(), "https://a.example");
    }

    #[test]
    fn claim_names_default_when_blank_and_refuse_spaces() {
        assert_eq!(ClaimName::parse_or("c", None, "department").expect("ok").as_str(), "department");
        assert_eq!(ClaimName::parse_or("c", Some("  "), "title").expect("ok").as_str(), "title");
        assert_eq!(ClaimName::parse_or("c", Some("org_unit"), "x").expect("ok").as_str(), "org_unit");
        assert!(ClaimName::parse_or("c", Some("two words"), "x").is_err());
    }

    #[test]
    fn only_owners_keep_passwords_in_sso_only_mode() {
        assert!(password_allowed(false, Role::Employee));
        assert!(password_allowed(true, Role::Owner));
        for role in [Role::Admin, Role::Social, Role::Lead, Role::Employee] {
            assert!(!password_allowed(true, role), "{role}");
        }
    }

    #[test]
    fn unverified_emails_are_refused_unless_trusted() {
        assert!(email_acceptable(Some(&json!(true)), false));
        assert!(email_acceptable(Some(&json!("true")), false));
        assert!(!email_acceptable(Some(&json!(false)), false));
        assert!(!email_acceptable(None, false));
        assert!(email_acceptable(None, true));
    }

    #[test]
    fn claims_become_one_line_of_text() {
        assert_eq!(claim_text(Some(&json!("  Field\n Sales "))), Some("Field Sales".into()));
        assert_eq!(claim_text(Some(&json!(["Marketing", "Sales"]))), Some("Marketing".into()));
        assert_eq!(claim_text(Some(&json!(42))), Some("42".into()));
        assert_eq!(claim_text(Some(&json!(""))), None);
        assert_eq!(claim_text(Some(&json!({"a": 1}))), None);
        assert_eq!(claim_text(None), None);
    }

    #[test]
    fn names_fall_back_to_given_and_family_then_the_email() {
        assert_eq!(display_name(Some("Ada L".into()), None, None, "a@x.test"), "Ada L");
        assert_eq!(
            display_name(None, Some("Ada".into()), Some("Lovelace".into()), "a@x.test"),
            "Ada Lovelace"
        );
        assert_eq!(display_name(None, None, None, "ada@x.test"), "ada");
    }
}
