//! The append-only audit log. There is no update or delete here, and the database refuses them.

use crate::{Db, Result, run};
use chorus_domain::{
    AuditEventId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: OffsetDateTime,
    pub actor_id: Option<UserId>,
    /// Who acted, as they were called at the time ("Ada Lovelace", "command line").
    pub actor_label: String,
    /// Dotted verb: `user.signed_in`, `user.role_changed`, `token.created`, …
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// JSON object with the specifics (old and new role, e-mail invited, …).
    pub detail: String,
    pub client_addr: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    at: i64,
    actor_id: Option<Uuid>,
    actor_label: String,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    detail: String,
    client_addr: Option<String>,
}

pub async fn append(db: &mut impl Db, org: OrgId, e: &AuditEvent) -> Result<()> {
    const SQL: &str = "insert into audit_events (id, org_id, at, actor_id, actor_label, action, target_type, \
         target_id, detail, client_addr) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    run!(db, |c| sqlx::query(SQL)
        .bind(e.id.0)
        .bind(org.0)
        .bind(to_millis(e.at))
        .bind(e.actor_id.map(|a| a.0))
        .bind(&e.actor_label)
        .bind(&e.action)
        .bind(e.target_type.as_deref())
        .bind(e.target_id.as_deref())
        .bind(&e.detail)
        .bind(e.client_addr.as_deref())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Newest first: only events older than this one.
    pub before: Option<AuditEventId>,
    /// Exact action, or a prefix ending in `.` (`user.` = every user event).
    pub action: Option<String>,
    pub actor_id: Option<UserId>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// Newest first.
pub async fn list(db: &mut impl Db, org: OrgId, f: &Filter, limit: u32) -> Result<Vec<AuditEvent>> {
    const SQL: &str = "select id, at, actor_id, actor_label, action, target_type, target_id, detail, client_addr \
         from audit_events where org_id = $1 and ($2 is null or id < $2) \
         and ($3 is null or action = $3 or action like $4) and ($5 is null or actor_id = $5) \
         and ($6 is null or at >= $6) and ($7 is null or at < $7) order by id desc limit $8";
    let prefix =
        f.action.as_deref().filter(|a| a.ends_with('.')).map(|a| format!("{}%", a.replace(['%', '_'], "")));
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(f.before.map(|b| b.0))
        .bind(f.action.as_deref())
        .bind(prefix.as_deref())
        .bind(f.actor_id.map(|a| a.0))
        .bind(f.since.map(to_millis))
        .bind(f.until.map(to_millis))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id.into(),
            at: from_millis(r.at),
            actor_id: r.actor_id.map(Into::into),
            actor_label: r.actor_label,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            detail: r.detail,
            client_addr: r.client_addr,
        })
        .collect())
}

/// The distinct actions recorded, for the filter's choices.
pub async fn actions(db: &mut impl Db, org: OrgId) -> Result<Vec<String>> {
    const SQL: &str = "select distinct action from audit_events where org_id = $1 order by action";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_all(c).await)?)
}
