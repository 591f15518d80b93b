//! Digest runs (migration 0017): one row per organization, cadence and period, claimed by one
//! worker; the people done so far are recorded with each batch.

use crate::{Db, Result, run};
use chorus_domain::{
    OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A run a worker holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub org_id: OrgId,
    pub cadence: String,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    /// The last person done (ids ascend).
    pub cursor: Option<UserId>,
    pub lease_token: Uuid,
}

/// Every organization (cross-organization: the digest scheduler visits each).
pub async fn org_ids(db: &mut impl Db) -> Result<Vec<OrgId>> {
    const SQL: &str = "select id from organizations order by id";
    let ids: Vec<Uuid> = run!(db, |c| sqlx::query_scalar(SQL).fetch_all(c).await)?;
    Ok(ids.into_iter().map(Into::into).collect())
}

/// Where the previous run of this cadence ended (the next one starts there).
pub async fn previous_end(
    db: &mut impl Db,
    org: OrgId,
    cadence: &str,
    before: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    const SQL: &str =
        "select max(period_end) from digest_runs where org_id = $1 and cadence = $2 and period_end < $3";
    let end: Option<i64> = run!(db, |c| sqlx::query_scalar(SQL)
        .bind(org.0)
        .bind(cadence)
        .bind(to_millis(before))
        .fetch_one(c)
        .await)?;
    Ok(end.map(from_millis))
}

/// Whether the period's run exists (claimed by someone): a read, so the scheduler's minute
/// tick costs no write transaction per organization once the period is done.
pub async fn exists(db: &mut impl Db, org: OrgId, cadence: &str, period_end: OffsetDateTime) -> Result<bool> {
    const SQL: &str =
        "select count(*) from digest_runs where org_id = $1 and cadence = $2 and period_end = $3";
    let n: i64 = run!(db, |c| sqlx::query_scalar(SQL)
        .bind(org.0)
        .bind(cadence)
        .bind(to_millis(period_end))
        .fetch_one(c)
        .await)?;
    Ok(n > 0)
}

/// Claims the run of a period: `Some` for exactly one caller, however many try (the primary key).
pub async fn claim(
    db: &mut impl Db,
    org: OrgId,
    cadence: &str,
    period_start: OffsetDateTime,
    period_end: OffsetDateTime,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Option<Run>> {
    const SQL: &str = "insert into digest_runs (org_id, cadence, period_end, period_start, state, cursor, \
         recipients, lease_token, lease_until, claimed_at) values ($1, $2, $3, $4, 'running', null, 0, $5, $6, $7) \
         on conflict (org_id, cadence, period_end) do nothing";
    let token = Uuid::now_v7();
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(cadence)
        .bind(to_millis(period_end))
        .bind(to_millis(period_start))
        .bind(token)
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok((n == 1).then(|| Run {
        org_id: org,
        cadence: cadence.to_owned(),
        period_start,
        period_end,
        cursor: None,
        lease_token: token,
    }))
}

type RunRow = (Uuid, String, i64, i64, Option<Uuid>);

/// Takes over one unfinished run whose worker stopped renewing its lease (it died mid-way).
pub async fn take_over_stale(
    db: &mut impl Db,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Option<Run>> {
    const FIND: &str = "select org_id, cadence, period_start, period_end, cursor from digest_runs \
         where state = 'running' and lease_until < $1 order by lease_until limit 1";
    let row: Option<RunRow> =
        run!(db, |c| sqlx::query_as(FIND).bind(to_millis(now)).fetch_optional(c).await)?;
    let Some((org, cadence, start, end, cursor)) = row else { return Ok(None) };
    const TAKE: &str = "update digest_runs set lease_token = $4, lease_until = $5 \
         where org_id = $1 and cadence = $2 and period_end = $3 and state = 'running' and lease_until < $6";
    let token = Uuid::now_v7();
    let n = run!(db, |c| sqlx::query(TAKE)
        .bind(org)
        .bind(&cadence)
        .bind(end)
        .bind(token)
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok((n == 1).then(|| Run {
        org_id: org.into(),
        cadence,
        period_start: from_millis(start),
        period_end: from_millis(end),
        cursor: cursor.map(Into::into),
        lease_token: token,
    }))
}

/// Records a batch done (in the batch's transaction); `false` when the lease was lost, and
/// the caller must roll the batch back.
pub async fn advance(
    db: &mut impl Db,
    run: &Run,
    cursor: UserId,
    sent: i64,
    lease_until: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update digest_runs set cursor = $4, recipients = recipients + $5, lease_until = $6 \
         where org_id = $1 and cadence = $2 and period_end = $3 and lease_token = $7 and state = 'running'";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(run.org_id.0)
        .bind(&run.cadence)
        .bind(to_millis(run.period_end))
        .bind(cursor.0)
        .bind(sent)
        .bind(to_millis(lease_until))
        .bind(run.lease_token)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks the run done.
pub async fn finish(db: &mut impl Db, run: &Run, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "update digest_runs set state = 'done', finished_at = $4, lease_until = null \
         where org_id = $1 and cadence = $2 and period_end = $3 and lease_token = $5 and state = 'running'";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(run.org_id.0)
        .bind(&run.cadence)
        .bind(to_millis(run.period_end))
        .bind(to_millis(now))
        .bind(run.lease_token)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A run as shown to admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub cadence: String,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    pub state: String,
    pub recipients: i64,
    pub finished_at: Option<OffsetDateTime>,
}

/// The organization's latest runs, newest first.
pub async fn recent(db: &mut impl Db, org: OrgId, limit: i64) -> Result<Vec<RunSummary>> {
    const SQL: &str = "select cadence, period_start, period_end, state, recipients, finished_at from digest_runs \
         where org_id = $1 order by period_end desc, cadence limit $2";
    type R = (String, i64, i64, String, i64, Option<i64>);
    let rows: Vec<R> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(limit).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(cadence, s, e, state, recipients, f)| RunSummary {
            cadence,
            period_start: from_millis(s),
            period_end: from_millis(e),
            state,
            recipients,
            finished_at: f.map(from_millis),
        })
        .collect())
}

/// A person a digest may go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// The next `limit` active people after `after`, by id.
pub async fn active_people(
    db: &mut impl Db,
    org: OrgId,
    after: Option<UserId>,
    limit: i64,
) -> Result<Vec<Recipient>> {
    const SQL: &str = "select id, name, email from users where org_id = $1 and status = 'active' and id > $2 \
         order by id limit $3";
    let rows: Vec<(Uuid, String, String)> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(after.map_or(Uuid::nil(), |a| a.0))
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(id, name, email)| Recipient { id: id.into(), name, email }).collect())
}

/// One piece of top content of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shoutout {
    pub from_name: String,
    pub to_name: String,
    pub message: String,
}

/// The organization's shout-outs in `[from, to)`, newest first (table from migration 0016).
pub async fn shoutouts(
    db: &mut impl Db,
    org: OrgId,
    from: OffsetDateTime,
    to: OffsetDateTime,
    limit: i64,
) -> Result<(i64, Vec<Shoutout>)> {
    const COUNT: &str =
        "select count(*) from shoutouts where org_id = $1 and created_at >= $2 and created_at < $3";
    const SQL: &str = "select f.name, t.name, s.message from shoutouts s \
         join users f on f.id = s.from_user_id join users t on t.id = s.to_user_id \
         where s.org_id = $1 and s.created_at >= $2 and s.created_at < $3 \
         order by s.created_at desc, s.id limit $4";
    let n: i64 = run!(db, |c| sqlx::query_scalar(COUNT)
        .bind(org.0)
        .bind(to_millis(from))
        .bind(to_millis(to))
        .fetch_one(c)
        .await)?;
    let rows: Vec<(String, String, String)> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok((
        n,
        rows.into_iter()
            .map(|(from_name, to_name, message)| Shoutout { from_name, to_name, message })
            .collect(),
    ))
}
