//! In-app notifications: one row per person and event, read or not.

use crate::{Db, Result, run};
use chorus_domain::{
    NotificationId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    /// What happened, e.g. `review.waiting`, `submission.decided`, `mention`.
    pub kind: String,
    pub title: String,
    /// A path inside Chorus.
    pub link: String,
    pub read_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

pub async fn insert(db: &mut impl Db, org: OrgId, n: &Notification) -> Result<()> {
    const SQL: &str = "insert into notifications (id, org_id, user_id, kind, title, link, read_at, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(n.id.0)
        .bind(org.0)
        .bind(n.user_id.0)
        .bind(&n.kind)
        .bind(&n.title)
        .bind(&n.link)
        .bind(n.read_at.map(to_millis))
        .bind(to_millis(n.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A person's notifications, newest first, after the cursor (a notification id).
pub async fn list(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    before: Option<NotificationId>,
    limit: u32,
) -> Result<Vec<Notification>> {
    const SQL: &str = "select id, user_id, kind, title, link, read_at, created_at from notifications \
         where org_id = $1 and user_id = $2 and id < $3 order by id desc limit $4";
    type R = (Uuid, Uuid, String, String, String, Option<i64>, i64);
    let before = before.map_or(Uuid::max(), |b| b.0);
    let rows: Vec<R> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, user, kind, title, link, read_at, at)| Notification {
            id: id.into(),
            user_id: user.into(),
            kind,
            title,
            link,
            read_at: read_at.map(from_millis),
            created_at: from_millis(at),
        })
        .collect())
}

pub async fn unread_count(db: &mut impl Db, org: OrgId, user: UserId) -> Result<i64> {
    const SQL: &str =
        "select count(*) from notifications where org_id = $1 and user_id = $2 and read_at is null";
    let (n,): (i64,) = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_one(c).await)?;
    Ok(n)
}

/// Marks one (or, with `None`, every) notification of the person read.
pub async fn mark_read(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    id: Option<NotificationId>,
    now: OffsetDateTime,
) -> Result<u64> {
    const SQL: &str = "update notifications set read_at = $4 \
         where org_id = $1 and user_id = $2 and ($3 is null or id = $3) and read_at is null";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(id.map(|i| i.0))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(Into::into)
}
