//! The brand-guideline engine (SPEC §4): an organization's rules, each *block* or *warn*, checked against
//! a text for the networks it is meant for.
//!
//! Four kinds of rule: banned terms, required text (a disclosure or hashtag), allowed or denied link
//! domains, and length per network. Length is counted the way each network counts ([`measure`], and
//! the table in the `length` module). Checks run live in the editor and again on the server at submit,
//! approve and schedule, so they are pure and quick: [`check`] takes a 3,000-character text through
//! ten rules for all six networks in well under a millisecond, and [`CompiledRules`] keeps the folded
//! terms and parsed domains between checks when the same rules run many times.

mod emoji;
mod length;
mod links;
mod terms;

use std::{collections::BTreeMap, fmt, str::FromStr};

pub use length::{BLUESKY_MAX_BYTES, LengthReport, Limits, measure};

use crate::{Invalid, submission::Kind};
use length::Prepared;
use terms::Terms;

/// A social network a text can be checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    X,
    Bluesky,
    Mastodon,
    Linkedin,
    Facebook,
    Threads,
}

impl Network {
    pub const ALL: [Network; 6] = [
        Network::X,
        Network::Bluesky,
        Network::Mastodon,
        Network::Linkedin,
        Network::Facebook,
        Network::Threads,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::X => "x",
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Linkedin => "linkedin",
            Network::Facebook => "facebook",
            Network::Threads => "threads",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Network::X => "X",
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
            Network::Linkedin => "LinkedIn",
            Network::Facebook => "Facebook",
            Network::Threads => "Threads",
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Network {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL.into_iter().find(|n| n.as_str() == s.trim()).ok_or_else(|| {
            Invalid::new("networks", "must be one of x, bluesky, mastodon, linkedin, facebook, threads")
        })
    }
}

/// What a finding does to the text: a *block* stops submit, approve and schedule; a *warn* is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Block,
    Warn,
}

impl Severity {
    pub const ALL: [Severity; 2] = [Severity::Block, Severity::Warn];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Severity::Block => "Block",
            Severity::Warn => "Warn",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("severity", "must be one of block, warn"))
    }
}

/// Whether a link-domain rule lists the only domains that may be linked, or domains that may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainMode {
    Allow,
    Deny,
}

impl DomainMode {
    pub const ALL: [DomainMode; 2] = [DomainMode::Allow, DomainMode::Deny];

    pub fn as_str(self) -> &'static str {
        match self {
            DomainMode::Allow => "allow",
            DomainMode::Deny => "deny",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DomainMode::Allow => "Only these domains",
            DomainMode::Deny => "Not these domains",
        }
    }
}

impl fmt::Display for DomainMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DomainMode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DomainMode::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("mode", "must be one of allow, deny"))
    }
}

/// Which texts a rule applies to. An empty list means all: a rule applies when its kinds are empty or
/// contain the text's kind, and its networks are empty or share one with the text's networks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Scope {
    pub kinds: Vec<Kind>,
    pub networks: Vec<Network>,
}

impl Scope {
    /// The networks of `networks` the rule is for, if it applies at all (`None` when it does not;
    /// `Some` of an empty list when it applies but the text targets no network).
    fn applies(&self, kind: Option<Kind>, networks: &[Network]) -> Option<Vec<Network>> {
        if !self.kinds.is_empty() && !kind.is_some_and(|k| self.kinds.contains(&k)) {
            return None;
        }
        let mut targeted: Vec<Network> = networks
            .iter()
            .copied()
            .filter(|n| self.networks.is_empty() || self.networks.contains(n))
            .collect();
        targeted.sort();
        targeted.dedup();
        if !self.networks.is_empty() && targeted.is_empty() {
            return None;
        }
        Some(targeted)
    }
}

/// What a rule checks. Stored as JSON (`{"type": "banned_terms", "terms": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleKind {
    /// None of these words or phrases may appear: caseless, Unicode-aware, whole words (see the
    /// `terms` module: `ass` does not match `class`, `Straße` matches `STRASSE`, `#fail` works).
    BannedTerms { terms: Vec<String> },
    /// At least one of these must appear, matched like banned terms: a disclosure such as
    /// `["#ad", "#sponsored"]`, usually scoped to some kinds or networks.
    RequiredText { any_of: Vec<String> },
    /// Every link in the text is checked: links with any scheme, and domains without one that X would
    /// link (`example.com/offer`, not `node.js` nor an e-mail address). A domain covers itself and its
    /// subdomains (`example.com` covers `www.example.com` but not `example.com.evil.net`). `allow`: only
    /// these may be linked; `deny`: these may not. Internationalized domains are compared as written,
    /// so list both forms (`例え.jp`, `xn--r8jz45g.jp`) if both may appear.
    LinkDomains { mode: DomainMode, domains: Vec<String> },
    /// The text must fit every network it targets (within the rule's scope).
    Length {},
}

impl RuleKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleKind::BannedTerms { .. } => "banned_terms",
            RuleKind::RequiredText { .. } => "required_text",
            RuleKind::LinkDomains { .. } => "link_domains",
            RuleKind::Length {} => "length",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            RuleKind::BannedTerms { .. } => "Banned terms",
            RuleKind::RequiredText { .. } => "Required text",
            RuleKind::LinkDomains { .. } => "Link domains",
            RuleKind::Length {} => "Length per network",
        }
    }
}

/// One guideline of an organization.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    pub severity: Severity,
    /// Shown to the author when the rule finds something; the finding adds the specific detail.
    pub message: String,
    pub kind: RuleKind,
    #[serde(default)]
    pub scope: Scope,
}

const MAX_NAME: usize = 100;
const MAX_MESSAGE: usize = 500;
const MAX_TERMS: usize = 1_000;
const MAX_TERM: usize = 200;
const MAX_DOMAINS: usize = 1_000;

impl Rule {
    /// Every problem with the rule, each with the field it concerns.
    pub fn validate(&self) -> Result<(), Vec<Invalid>> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(Invalid::new("name", "must not be empty"));
        } else if self.name.chars().count() > MAX_NAME {
            problems.push(Invalid::new("name", format!("must be at most {MAX_NAME} characters")));
        }
        if self.message.trim().is_empty() {
            problems.push(Invalid::new("message", "must not be empty"));
        } else if self.message.chars().count() > MAX_MESSAGE {
            problems.push(Invalid::new("message", format!("must be at most {MAX_MESSAGE} characters")));
        }
        match &self.kind {
            RuleKind::BannedTerms { terms } => validate_terms("terms", terms, &mut problems),
            RuleKind::RequiredText { any_of } => validate_terms("any_of", any_of, &mut problems),
            RuleKind::LinkDomains { domains, .. } => {
                if domains.is_empty() {
                    problems.push(Invalid::new("domains", "list at least one domain"));
                } else if domains.len() > MAX_DOMAINS {
                    problems.push(Invalid::new("domains", format!("list at most {MAX_DOMAINS} domains")));
                }
                for d in domains {
                    if normalize_domain(d).is_none() {
                        problems.push(Invalid::new(
                            "domains",
                            format!("“{}” is not a domain; write it like example.com", d.trim()),
                        ));
                    }
                }
            }
            RuleKind::Length {} => {}
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

fn validate_terms(field: &'static str, terms: &[String], problems: &mut Vec<Invalid>) {
    if terms.is_empty() {
        problems.push(Invalid::new(field, "list at least one term"));
    } else if terms.len() > MAX_TERMS {
        problems.push(Invalid::new(field, format!("list at most {MAX_TERMS} terms")));
    }
    if terms.iter().any(|t| terms::fold(t).trim().is_empty()) {
        problems.push(Invalid::new(field, "must not contain blank terms"));
    }
    if let Some(t) = terms.iter().find(|t| t.trim().chars().count() > MAX_TERM) {
        let start: String = t.trim().chars().take(20).collect();
        problems.push(Invalid::new(field, format!("“{start}…” is longer than {MAX_TERM} characters")));
    }
}

/// A rule's domain entry, lowercased and without a trailing dot, if it is a bare host name with at
/// least two labels (`example.com`, `例え.jp`, `xn--r8jz45g.jp`): no scheme, path, port or spaces.
fn normalize_domain(entry: &str) -> Option<String> {
    let d = entry.trim().to_lowercase();
    let d = d.strip_suffix('.').unwrap_or(&d);
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    ok.then(|| d.to_owned())
}

/// What is checked: a text, its kind if it belongs to a submission, and the networks it is meant for.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub text: &'a str,
    pub kind: Option<Kind>,
    pub networks: &'a [Network],
}

/// Something a rule found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The rule's name.
    pub rule: String,
    pub severity: Severity,
    /// The rule's message, then what was found in parentheses: `… (found “Globex”)`, `… (X: 312 of 280)`.
    pub message: String,
}

/// The outcome of a check: the length on every network the text targets, and the findings in rule order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub networks: BTreeMap<Network, LengthReport>,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Block)
    }

    pub fn is_blocked(&self) -> bool {
        self.blocking().next().is_some()
    }
}

/// Checks `subject` against `rules`. Rules that do not validate are applied as far as they make sense
/// (blank terms and malformed domains are skipped).
pub fn check(rules: &[Rule], subject: &Subject<'_>, limits: &Limits) -> Report {
    CompiledRules::new(rules).check(subject, limits)
}

/// Rules prepared once (terms folded, domains parsed) for checking many texts.
#[derive(Debug, Clone)]
pub struct CompiledRules {
    rules: Vec<CompiledRule>,
}

#[derive(Debug, Clone)]
struct CompiledRule {
    name: String,
    severity: Severity,
    message: String,
    scope: Scope,
    check: Compiled,
}

#[derive(Debug, Clone)]
enum Compiled {
    Banned(Terms),
    Required(Terms),
    Domains { mode: DomainMode, domains: Vec<String> },
    Length,
}

impl CompiledRules {
    pub fn new(rules: &[Rule]) -> Self {
        let rules = rules
            .iter()
            .map(|r| CompiledRule {
                name: r.name.clone(),
                severity: r.severity,
                message: r.message.trim().to_owned(),
                scope: r.scope.clone(),
                check: match &r.kind {
                    RuleKind::BannedTerms { terms } => Compiled::Banned(Terms::new(terms)),
                    RuleKind::RequiredText { any_of } => Compiled::Required(Terms::new(any_of)),
                    RuleKind::LinkDomains { mode, domains } => Compiled::Domains {
                        mode: *mode,
                        domains: domains.iter().filter_map(|d| normalize_domain(d)).collect(),
                    },
                    RuleKind::Length {} => Compiled::Length,
                },
            })
            .collect();
        Self { rules }
    }

    pub fn check(&self, subject: &Subject<'_>, limits: &Limits) -> Report {
        let text = Prepared::new(subject.text);
        let networks: BTreeMap<Network, LengthReport> =
            subject.networks.iter().map(|&n| (n, text.measure(n, limits))).collect();
        let mut findings = Vec::new();
        for rule in &self.rules {
            let Some(targeted) = rule.scope.applies(subject.kind, subject.networks) else { continue };
            let mut find = |detail: String| {
                findings.push(Finding {
                    rule: rule.name.clone(),
                    severity: rule.severity,
                    message: format!("{} ({detail})", rule.message),
                })
            };
            match &rule.check {
                Compiled::Length => {
                    for n in targeted {
                        let Some(r) = networks.get(&n) else { continue };
                        if r.fits {
                            continue;
                        }
                        if r.length <= r.limit {
                            find(format!(
                                "{}: {} of {} bytes",
                                n.label(),
                                thousands(subject.text.len()),
                                thousands(BLUESKY_MAX_BYTES)
                            ));
                        } else {
                            find(format!("{}: {} of {}", n.label(), thousands(r.length), thousands(r.limit)));
                        }
                    }
                }
                Compiled::Banned(terms) => {
                    if terms.is_empty() {
                        continue;
                    }
                    let found: Vec<&str> = terms.found_in(text.folded()).collect();
                    if !found.is_empty() {
                        find(format!("found {}", quoted(found)));
                    }
                }
                Compiled::Required(terms) => {
                    if !terms.is_empty() && !terms.any_in(text.folded()) {
                        find(format!("add one of {}", quoted(terms.written().collect())));
                    }
                }
                Compiled::Domains { mode, domains } => {
                    let raw = text.raw();
                    let mut offending: Vec<String> = Vec::new();
                    for host in text.links().hosts(raw) {
                        let listed = domains.iter().any(|d| links::domain_covers(d, &host));
                        if listed == (*mode == DomainMode::Deny) && !offending.contains(&host) {
                            offending.push(host);
                        }
                    }
                    if !offending.is_empty() {
                        let what = match mode {
                            DomainMode::Allow => "not allowed",
                            DomainMode::Deny => "denied",
                        };
                        find(format!("{what}: {}", offending.join(", ")));
                    }
                }
            }
        }
        Report { networks, findings }
    }
}

fn quoted(items: Vec<&str>) -> String {
    items.iter().map(|t| format!("“{t}”")).collect::<Vec<_>>().join(", ")
}

/// `63206` → `63,206`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The starter set for a new organization: one rule, length per network, as a block.
///
/// Length is the only guideline that is the same for everyone: a text that does not fit a network
/// cannot be posted there at all, so it blocks rather than warns. Banned terms, disclosures and link
/// domains are each organization's own policy; made-up defaults would only produce findings nobody
/// agreed to, so those start empty for the admins to fill in.
pub fn default_rules() -> Vec<Rule> {
    vec![Rule {
        name: "Fits the network".to_owned(),
        severity: Severity::Block,
        message: "The text is too long for a network it is meant for.".to_owned(),
        kind: RuleKind::Length {},
        scope: Scope::default(),
    }]
}

#[cfg(test)]
mod tests;
