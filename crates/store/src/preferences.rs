//! Who wants e-mail about what (migration 0017): one row per person and kind they changed.

use crate::{Db, Result, run};
use chorus_domain::{OrgId, UserId, clock::to_millis};
use time::OffsetDateTime;
use uuid::Uuid;

/// A person's stored choices: `(kind, delivery)`.
pub async fn of_user(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<(String, String)>> {
    const SQL: &str = "select kind, delivery from notification_preferences where org_id = $1 and user_id = $2 order by kind";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(c).await)?)
}

/// The stored choices of the people with ids in `(after, upto]`: `(user, kind, delivery)`.
pub async fn of_people(
    db: &mut impl Db,
    org: OrgId,
    after: Option<UserId>,
    upto: UserId,
) -> Result<Vec<(Uuid, String, String)>> {
    const SQL: &str = "select user_id, kind, delivery from notification_preferences \
         where org_id = $1 and user_id > $2 and user_id <= $3";
    Ok(run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(after.map_or(Uuid::nil(), |a| a.0))
        .bind(upto.0)
        .fetch_all(c)
        .await)?)
}

/// The stored choices for one kind across the organization: `(user, delivery)`.
pub async fn of_kind(db: &mut impl Db, org: OrgId, kind: &str) -> Result<Vec<(Uuid, String)>> {
    const SQL: &str =
        "select user_id, delivery from notification_preferences where org_id = $1 and kind = $2";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(kind).fetch_all(c).await)?)
}

/// Sets one choice (insert or replace).
pub async fn set(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    kind: &str,
    delivery: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into notification_preferences (org_id, user_id, kind, delivery, updated_at) \
         values ($1, $2, $3, $4, $5) on conflict (user_id, kind) do update \
         set delivery = excluded.delivery, updated_at = excluded.updated_at";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(kind)
        .bind(delivery)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
