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

static NOTIFICATIONS: crate::shapes::Shapes = crate::shapes::Shapes::new(
    "insert into notifications (id, org_id, user_id, kind, title, link, read_at, created_at) values ",
    "(?,?,?,?,?,?,?,?)",
    "",
);

/// Writes many notifications with multi-row statements (an announcement to everyone).
pub async fn insert_many(db: &mut impl Db, org: OrgId, batch: &[Notification]) -> Result<()> {
    let pg = matches!(db.ex(), crate::Ex::Postgres(_));
    let mut rest = batch;
    while !rest.is_empty() {
        let (sql, rows) = NOTIFICATIONS.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(rows);
        run!(db, |c| {
            // Only placeholders are formatted in; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for n in chunk {
                q = q
                    .bind(n.id.0)
                    .bind(org.0)
                    .bind(n.user_id.0)
                    .bind(&n.kind)
                    .bind(&n.title)
                    .bind(&n.link)
                    .bind(n.read_at.map(to_millis))
                    .bind(to_millis(n.created_at));
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

/// The notifications of the people with ids in `(after, upto]` created in `[from, to)`, by
/// person then time: what digests collect, one read per batch of people.
pub async fn of_people_between(
    db: &mut impl Db,
    org: OrgId,
    after: Option<UserId>,
    upto: UserId,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<Notification>> {
    const SQL: &str = "select id, user_id, kind, title, link, read_at, created_at from notifications \
         where org_id = $1 and user_id > $2 and user_id <= $3 and created_at >= $4 and created_at < $5 \
         order by user_id, id";
    type R = (Uuid, Uuid, String, String, String, Option<i64>, i64);
    let rows: Vec<R> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(after.map_or(Uuid::nil(), |a| a.0))
        .bind(upto.0)
        .bind(to_millis(from))
        .bind(to_millis(to))
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

/// Marks a person's notifications that point at `link` read (reading the thing itself).
pub async fn mark_read_by_link(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    link: &str,
    now: OffsetDateTime,
) -> Result<u64> {
    const SQL: &str = "update notifications set read_at = $4 \
         where org_id = $1 and user_id = $2 and link = $3 and read_at is null";
    Ok(run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(link)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}
