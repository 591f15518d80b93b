//! Versions of the social media policy and their acknowledgements (migration 0012).

use crate::{Db, Result, run};
use chorus_domain::{
    DepartmentId, OrgId, PolicyVersionId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: PolicyVersionId,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub donts: Vec<String>,
    pub summary: String,
    pub published_by: Option<UserId>,
    pub published_at: OffsetDateTime,
}

type VersionRow = (Uuid, i64, String, String, String, String, Option<Uuid>, i64);

fn version(r: VersionRow) -> PolicyVersion {
    PolicyVersion {
        id: r.0.into(),
        version: r.1,
        title: r.2,
        body: r.3,
        donts: serde_json::from_str(&r.4).unwrap_or_default(),
        summary: r.5,
        published_by: r.6.map(Into::into),
        published_at: from_millis(r.7),
    }
}

macro_rules! columns {
    () => {
        "id, version, title, body, donts, summary, published_by, published_at"
    };
}

/// Stores the next version; the unique (org, version) pair makes two publishers at once fail
/// rather than both be version n.
pub async fn insert(db: &mut impl Db, org: OrgId, v: &PolicyVersion) -> Result<()> {
    const SQL: &str = "insert into policy_versions (id, org_id, version, title, body, donts, summary, \
         published_by, published_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    let donts = serde_json::to_string(&v.donts).unwrap_or_else(|_| "[]".into());
    run!(db, |c| sqlx::query(SQL)
        .bind(v.id.0)
        .bind(org.0)
        .bind(v.version)
        .bind(&v.title)
        .bind(&v.body)
        .bind(&donts)
        .bind(&v.summary)
        .bind(v.published_by.map(|u| u.0))
        .bind(to_millis(v.published_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every version, newest first.
pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<PolicyVersion>> {
    const SQL: &str =
        concat!("select ", columns!(), " from policy_versions where org_id = $1 order by version desc");
    let rows: Vec<VersionRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(version).collect())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: PolicyVersionId) -> Result<Option<PolicyVersion>> {
    const SQL: &str = concat!("select ", columns!(), " from policy_versions where org_id = $1 and id = $2");
    let row: Option<VersionRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(version))
}

pub async fn current(db: &mut impl Db, org: OrgId) -> Result<Option<PolicyVersion>> {
    const SQL: &str = concat!(
        "select ",
        columns!(),
        " from policy_versions where org_id = $1 order by version desc limit 1"
    );
    let row: Option<VersionRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_optional(c).await)?;
    Ok(row.map(version))
}

/// The current version's number when this person has not acknowledged it: what the banner
/// asks for. One indexed query per page.
pub async fn pending_for(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Option<i64>> {
    const SQL: &str = "select v.version from policy_versions v where v.org_id = $1 \
         and v.version = (select max(version) from policy_versions where org_id = $1) \
         and not exists (select 1 from policy_acknowledgements a where a.version_id = v.id and a.user_id = $2)";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(user.0).fetch_optional(c).await)?)
}

/// Records an acknowledgement; false when it was already there (the first time stands).
pub async fn acknowledge(
    db: &mut impl Db,
    org: OrgId,
    id: PolicyVersionId,
    user: UserId,
    at: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into policy_acknowledgements (version_id, user_id, org_id, acknowledged_at) \
         values ($1, $2, $3, $4) on conflict (version_id, user_id) do nothing";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(user.0)
        .bind(org.0)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn acknowledged_at(
    db: &mut impl Db,
    id: PolicyVersionId,
    user: UserId,
) -> Result<Option<OffsetDateTime>> {
    let at: Option<i64> = run!(db, |c| sqlx::query_scalar(
        "select acknowledged_at from policy_acknowledgements where version_id = $1 and user_id = $2"
    )
    .bind(id.0)
    .bind(user.0)
    .fetch_optional(c)
    .await)?;
    Ok(at.map(from_millis))
}

/// One active person and whether (and when) they acknowledged a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledger {
    pub user_id: UserId,
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub acknowledged_at: Option<OffsetDateTime>,
}

/// Everyone active in the organization, by name, with their acknowledgement of `id`.
pub async fn acknowledgers(db: &mut impl Db, org: OrgId, id: PolicyVersionId) -> Result<Vec<Acknowledger>> {
    const SQL: &str = "select u.id, u.name, u.department_id, a.acknowledged_at from users u \
         left join policy_acknowledgements a on a.version_id = $2 and a.user_id = u.id \
         where u.org_id = $1 and u.status = 'active' order by u.name, u.id";
    let rows: Vec<(Uuid, String, Option<Uuid>, Option<i64>)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, d, at)| Acknowledger {
            user_id: id.into(),
            name,
            department_id: d.map(Into::into),
            acknowledged_at: at.map(from_millis),
        })
        .collect())
}
