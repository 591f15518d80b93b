//! The brand-guideline engine at work (SPEC §4): rules kept by admins and the social team, run
//! live from the editor and again on the server at submit and approve (and, later, schedule).

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Action, OrgId, RuleId, authorize,
    guidelines::{self, Limits, Network, Report, Rule, Subject},
    settings::OrgSettings,
    submission::Kind,
};
use chorus_store::{Db, guidelines as store, settings, submissions::Submission};

/// A rule as kept: the domain rule plus its id and whether it is switched on.
#[derive(Debug, Clone)]
pub struct StoredRule {
    pub id: RuleId,
    pub rule: Rule,
    pub enabled: bool,
}

async fn stored(db: &mut impl Db, org: OrgId) -> Result<Vec<StoredRule>> {
    store::list(db, org)
        .await?
        .into_iter()
        .map(|r| {
            let rule = serde_json::from_str(&r.rule).map_err(|e| {
                Error::Internal(anyhow::anyhow!("guideline rule {} does not parse: {e}", r.id.0))
            })?;
            Ok(StoredRule { id: r.id, rule, enabled: r.enabled })
        })
        .collect()
}

async fn limits(db: &mut impl Db, org: OrgId) -> Result<Limits> {
    let s = OrgSettings::from_json(&settings::get(db, org).await?);
    Ok(Limits { mastodon: s.mastodon_limit })
}

async fn active(db: &mut impl Db, org: OrgId) -> Result<Vec<Rule>> {
    Ok(stored(db, org).await?.into_iter().filter(|r| r.enabled).map(|r| r.rule).collect())
}

/// Checks a text for the editor: `POST /api/v1/guidelines/check`.
pub async fn check(
    app: &App,
    caller: &Caller,
    text: &str,
    networks: &[Network],
    kind: Option<Kind>,
) -> Result<Report> {
    if text.chars().count() > 100_000 {
        return Err(chorus_domain::Invalid::new("text", "may be at most 100000 characters").into());
    }
    let mut db = app.store.conn().await?;
    let org = caller.org_id();
    let rules = active(&mut db, org).await?;
    let limits = limits(&mut db, org).await?;
    Ok(guidelines::check(&rules, &Subject { text, kind, networks }, &limits))
}

/// The networks a submission is suggested for (the blog has no length limit).
pub fn networks_of(channels: &[String]) -> Vec<Network> {
    channels.iter().filter_map(|c| c.parse().ok()).collect()
}

/// The text the engine sees for a submission: the caption with its link, as it would be posted.
pub fn post_text(s: &Submission) -> String {
    match &s.link {
        Some(link) if !s.body.contains(link.as_str()) => format!("{}\n\n{link}", s.body),
        _ => s.body.clone(),
    }
}

/// Runs every active rule on a submission's title and post text.
pub async fn review(db: &mut impl Db, org: OrgId, s: &Submission) -> Result<Report> {
    let rules = active(db, org).await?;
    let limits = limits(db, org).await?;
    let networks = networks_of(&s.channels);
    let text = post_text(s);
    let mut report =
        guidelines::check(&rules, &Subject { text: &text, kind: Some(s.kind), networks: &networks }, &limits);
    // The title is never posted as such, but a banned word in it is still a banned word.
    let title =
        guidelines::check(&rules, &Subject { text: &s.title, kind: Some(s.kind), networks: &[] }, &limits);
    for f in title.findings {
        if !report.findings.iter().any(|g| g.rule == f.rule) {
            report.findings.push(f);
        }
    }
    Ok(report)
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<StoredRule>> {
    let mut db = app.store.conn().await?;
    stored(&mut db, caller.org_id()).await
}

fn to_json(rule: &Rule) -> Result<String> {
    serde_json::to_string(rule).map_err(|e| Error::Internal(e.into()))
}

pub async fn create(app: &App, caller: &Caller, rule: Rule) -> Result<StoredRule> {
    authorize(&caller.actor, Action::ManageGuidelines)?;
    rule.validate().map_err(Error::Invalid)?;
    let id = RuleId::new();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    store::insert(&mut tx, caller.org_id(), id, &to_json(&rule)?, now).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("guideline.created")
            .target("guideline", id)
            .detail(serde_json::json!({"name": rule.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(StoredRule { id, rule, enabled: true })
}

pub async fn update(app: &App, caller: &Caller, id: RuleId, rule: Rule, enabled: bool) -> Result<StoredRule> {
    authorize(&caller.actor, Action::ManageGuidelines)?;
    rule.validate().map_err(Error::Invalid)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if !store::update(&mut tx, caller.org_id(), id, &to_json(&rule)?, enabled, now).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("guideline.updated")
            .target("guideline", id)
            .detail(serde_json::json!({"name": rule.name, "enabled": enabled})),
    )
    .await?;
    tx.commit().await?;
    Ok(StoredRule { id, rule, enabled })
}

pub async fn delete(app: &App, caller: &Caller, id: RuleId) -> Result<()> {
    authorize(&caller.actor, Action::ManageGuidelines)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if !store::delete(&mut tx, caller.org_id(), id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("guideline.deleted").target("guideline", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new organization starts with the shipped rules (admins change them from there).
pub(crate) async fn seed(db: &mut impl Db, org: OrgId, now: time::OffsetDateTime) -> Result<()> {
    for rule in guidelines::default_rules() {
        store::insert(db, org, RuleId::new(), &to_json(&rule)?, now).await?;
    }
    Ok(())
}
