//! The social media policy: publish versions, acknowledge the current one, see who has.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    surveys::{Person, Rate},
};
use chorus_domain::{Action, Denied, DepartmentId, PolicyVersionId, authorize, social_policy::Draft};
use chorus_store::{departments, policies as store};
use std::collections::HashMap;
use time::OffsetDateTime;

pub use chorus_store::policies::PolicyVersion;

/// A version and when the caller acknowledged it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub version: PolicyVersion,
    pub acknowledged_at: Option<OffsetDateTime>,
    /// Whether it is the policy in force (the newest version).
    pub current: bool,
}

async fn seen(app: &App, caller: &Caller, versions: Vec<PolicyVersion>) -> Result<Vec<Seen>> {
    let mut db = app.store.conn().await?;
    let newest = versions.iter().map(|v| v.version).max();
    let mut out = Vec::new();
    for v in versions {
        let acknowledged_at = match caller.actor.user_id {
            Some(me) => store::acknowledged_at(&mut db, v.id, me).await?,
            None => None,
        };
        out.push(Seen { current: Some(v.version) == newest, version: v, acknowledged_at });
    }
    Ok(out)
}

/// Every version, newest first (everyone in the organization reads the policy).
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Seen>> {
    let mut db = app.store.conn().await?;
    let versions = store::list(&mut db, caller.org_id()).await?;
    drop(db);
    seen(app, caller, versions).await
}

pub async fn get(app: &App, caller: &Caller, id: PolicyVersionId) -> Result<Seen> {
    let all = list(app, caller).await?;
    all.into_iter().find(|s| s.version.id == id).ok_or(Error::NotFound)
}

/// The version number the caller still has to acknowledge, if any (the banner).
pub async fn pending(app: &App, caller: &Caller) -> Result<Option<i64>> {
    let Some(me) = caller.actor.user_id else { return Ok(None) };
    let mut db = app.store.conn().await?;
    Ok(store::pending_for(&mut db, caller.org_id(), me).await?)
}

/// What the publish form or API carries.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub title: String,
    pub body: String,
    pub donts: Vec<String>,
    pub summary: String,
}

/// Publishes the next version; from now on everyone is asked to acknowledge it.
pub async fn publish(app: &App, caller: &Caller, input: PolicyInput) -> Result<PolicyVersion> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let draft =
        Draft::parse(&input.title, &input.body, &input.donts, &input.summary).map_err(Error::Invalid)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let next = store::current(&mut tx, org).await?.map_or(1, |c| c.version + 1);
    let v = PolicyVersion {
        id: PolicyVersionId::new(),
        version: next,
        title: draft.title,
        body: draft.body,
        donts: draft.donts,
        summary: draft.summary,
        published_by: caller.actor.user_id,
        published_at: now,
    };
    store::insert(&mut tx, org, &v).await.map_err(|e| {
        if e.is_conflict() {
            Error::Conflict("someone published a version at the same moment; reload and try again".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("policy.published")
            .target("policy_version", v.id)
            .detail(serde_json::json!({"version": v.version})),
    )
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// The caller acknowledges a version: only the one in force (an older one would leave them
/// behind). Acknowledging twice keeps the first time.
pub async fn acknowledge(app: &App, caller: &Caller, id: PolicyVersionId) -> Result<OffsetDateTime> {
    let me =
        caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person can acknowledge the policy")))?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let version = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let current = store::current(&mut tx, org).await?;
    if current.as_ref().map(|c| c.id) != Some(version.id) {
        return Err(Error::Conflict(
            "a newer version of the policy exists: read and acknowledge that one".into(),
        ));
    }
    store::acknowledge(&mut tx, org, id, me, app.now()).await?;
    let source = chorus_domain::recognition::source::policy(id);
    let event = chorus_domain::recognition::PointEvent::PolicyAcknowledged;
    crate::recognition::pay(&mut tx, org, me, event, &source, app.now()).await?;
    let at = store::acknowledged_at(&mut tx, id, me).await?.unwrap_or_else(|| app.now());
    tx.commit().await?;
    Ok(at)
}

#[derive(Debug, Clone)]
pub struct AckReport {
    pub version: PolicyVersion,
    pub overall: Rate,
    pub by_department: Vec<Rate>,
    pub not_yet: Vec<Person>,
}

/// Who has acknowledged a version, by department (admins and the social team).
pub async fn report(app: &App, caller: &Caller, id: PolicyVersionId) -> Result<AckReport> {
    authorize(&caller.actor, Action::ViewEnablementReports)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let version = store::get(&mut db, org, id).await?.ok_or(Error::NotFound)?;
    let people = store::acknowledgers(&mut db, org, id).await?;
    let names: HashMap<DepartmentId, String> = departments::names(&mut db, org).await?.into_iter().collect();
    let name = |d: Option<DepartmentId>| d.and_then(|d| names.get(&d).cloned());
    let mut groups: Vec<Option<DepartmentId>> = people.iter().map(|p| p.department_id).collect();
    groups.sort();
    groups.dedup();
    let rate = |group: String, list: Vec<&store::Acknowledger>| Rate {
        group,
        answered: list.iter().filter(|p| p.acknowledged_at.is_some()).count() as u32,
        people: list.len() as u32,
    };
    let mut by_department: Vec<Rate> = groups
        .into_iter()
        .map(|d| {
            rate(
                name(d).unwrap_or_else(|| "No department".into()),
                people.iter().filter(|p| p.department_id == d).collect(),
            )
        })
        .collect();
    by_department.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(AckReport {
        overall: rate("Everyone".into(), people.iter().collect()),
        by_department,
        not_yet: people
            .iter()
            .filter(|p| p.acknowledged_at.is_none())
            .map(|p| Person { id: p.user_id, name: p.name.clone(), department: name(p.department_id) })
            .collect(),
        version,
    })
}
