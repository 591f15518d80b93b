//! Slack and Teams incoming webhooks (migration 0019). The URL is kept sealed; this module never
//! sees it in clear.

use crate::{Db, Result, run};
use chorus_domain::{
    ChatIntegrationId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub id: ChatIntegrationId,
    pub kind: String,
    pub name: String,
    pub url_hint: String,
    /// review_queue, shoutouts.
    pub events: Vec<String>,
    /// active | paused
    pub status: String,
    pub last_delivered_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub last_error_at: Option<OffsetDateTime>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    kind: String,
    name: String,
    url_hint: String,
    events: String,
    status: String,
    last_delivered_at: Option<i64>,
    last_error: Option<String>,
    last_error_at: Option<i64>,
    created_by: Option<Uuid>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Integration {
    fn from(r: Row) -> Self {
        Self {
            id: r.id.into(),
            kind: r.kind,
            name: r.name,
            url_hint: r.url_hint,
            events: r.events.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            status: r.status,
            last_delivered_at: r.last_delivered_at.map(from_millis),
            last_error: r.last_error,
            last_error_at: r.last_error_at.map(from_millis),
            created_by: r.created_by.map(Into::into),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

macro_rules! integration_sql {
    ($tail:literal) => {
        concat!(
            "select id, kind, name, url_hint, events, status, last_delivered_at, last_error, last_error_at, \
             created_by, created_at, updated_at from chat_integrations ",
            $tail
        )
    };
}

pub async fn insert(db: &mut impl Db, org: OrgId, i: &Integration, url_sealed: &[u8]) -> Result<()> {
    const SQL: &str = "insert into chat_integrations (id, org_id, kind, name, url_sealed, url_hint, events, status, \
         created_by, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    run!(db, |c| sqlx::query(SQL)
        .bind(i.id.0)
        .bind(org.0)
        .bind(&i.kind)
        .bind(&i.name)
        .bind(url_sealed)
        .bind(&i.url_hint)
        .bind(i.events.join(","))
        .bind(&i.status)
        .bind(i.created_by.map(|u| u.0))
        .bind(to_millis(i.created_at))
        .bind(to_millis(i.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes name, events and status (and the URL when `url` is given: sealed value and hint).
pub async fn update(
    db: &mut impl Db,
    org: OrgId,
    i: &Integration,
    url: Option<(&[u8], &str)>,
) -> Result<bool> {
    const SQL: &str = "update chat_integrations set name = $3, events = $4, status = $5, updated_at = $6 \
         where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(i.id.0)
        .bind(&i.name)
        .bind(i.events.join(","))
        .bind(&i.status)
        .bind(to_millis(i.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 1
        && let Some((sealed, hint)) = url
    {
        // A new URL starts with a clean slate: the old one's error says nothing about it.
        const URL: &str = "update chat_integrations set url_sealed = $3, url_hint = $4, last_error = null, \
             last_error_at = null where org_id = $1 and id = $2";
        run!(db, |c| sqlx::query(URL)
            .bind(org.0)
            .bind(i.id.0)
            .bind(sealed)
            .bind(hint)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(n == 1)
}

pub async fn get(db: &mut impl Db, org: OrgId, id: ChatIntegrationId) -> Result<Option<Integration>> {
    const SQL: &str = integration_sql!("where org_id = $1 and id = $2");
    let row: Option<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// The organization's integrations, oldest first.
pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<Integration>> {
    const SQL: &str = integration_sql!("where org_id = $1 order by created_at, id");
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The active integrations subscribed to `event`.
pub async fn subscribed(db: &mut impl Db, org: OrgId, event: &str) -> Result<Vec<Integration>> {
    const SQL: &str = integration_sql!("where org_id = $1 and status = 'active' order by created_at, id");
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Integration::from).filter(|i| i.events.iter().any(|e| e == event)).collect())
}

/// The sealed URL, for the delivery job.
pub async fn sealed_url(db: &mut impl Db, org: OrgId, id: ChatIntegrationId) -> Result<Option<Vec<u8>>> {
    const SQL: &str = "select url_sealed from chat_integrations where org_id = $1 and id = $2";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?)
}

pub async fn delete(db: &mut impl Db, org: OrgId, id: ChatIntegrationId) -> Result<bool> {
    const SQL: &str = "delete from chat_integrations where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records a delivery (clears the last error).
pub async fn delivered(
    db: &mut impl Db,
    org: OrgId,
    id: ChatIntegrationId,
    at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "update chat_integrations set last_delivered_at = $3, last_error = null, last_error_at = null \
         where org_id = $1 and id = $2";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records why the last delivery failed.
pub async fn failed(
    db: &mut impl Db,
    org: OrgId,
    id: ChatIntegrationId,
    error: &str,
    at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str =
        "update chat_integrations set last_error = $3, last_error_at = $4 where org_id = $1 and id = $2";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(error)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
