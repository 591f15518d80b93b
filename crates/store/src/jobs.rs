//! SQL of the durable job queue (the runner lives in `chorus-jobs`).
//!
//! Claims are short transactions that set a lease and a fresh fencing token; a job is finished
//! or failed only `where id = $1 and lease_token = $2`, so a worker whose lease ran out cannot
//! overwrite a newer attempt.

use crate::{Backend, Db, Result, Tx, run};
use chorus_domain::{
    JobId, OrgId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

pub struct NewJob<'a> {
    pub id: JobId,
    pub org_id: Option<OrgId>,
    pub kind: &'a str,
    pub payload: &'a str,
    pub run_at: OffsetDateTime,
    pub max_attempts: i64,
    /// Among due jobs, higher runs first.
    pub priority: i32,
    pub now: OffsetDateTime,
}

pub async fn enqueue(db: &mut impl Db, j: &NewJob<'_>) -> Result<()> {
    const SQL: &str = "insert into jobs (id, org_id, kind, payload, state, run_at, attempts, max_attempts, \
         priority, created_at, updated_at) values ($1, $2, $3, $4, 'queued', $5, 0, $6, $8, $7, $7)";
    run!(db, |c| sqlx::query(SQL)
        .bind(j.id.0)
        .bind(j.org_id.map(|o| o.0))
        .bind(j.kind)
        .bind(j.payload)
        .bind(to_millis(j.run_at))
        .bind(j.max_attempts)
        .bind(to_millis(j.now))
        .bind(j.priority)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: JobId,
    pub org_id: Option<OrgId>,
    pub kind: String,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_token: Uuid,
}

/// Claims up to `limit` due jobs: queued ones that are due, highest priority first, then jobs
/// whose lease expired (their worker died).
///
/// `priorities` lists the priority levels in use, highest first. Each level is claimed with its
/// own index range scan (`jobs_claim_idx`: state, priority, run_at, id), which stops as soon as
/// the batch is full: a backlog of ten thousand due jobs costs a claim no more than an empty
/// queue does, and jobs scheduled for later are never read. A last pass catches queued jobs of
/// any other priority (a kind whose priority changed in a newer release).
pub async fn claim(
    tx: &mut Tx,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
    priorities: &[i32],
) -> Result<Vec<Claimed>> {
    // PostgreSQL: SKIP LOCKED lets concurrent workers claim disjoint jobs without waiting.
    // SQLite has no SKIP LOCKED; the transaction began with BEGIN IMMEDIATE, which serializes claimers.
    let lock = match tx.backend() {
        Backend::Postgres => " for update skip locked",
        Backend::Sqlite => "",
    };
    let set = "update jobs set state = 'running', lease_until = $1, lease_token = $2, \
         attempts = attempts + 1, updated_at = $3 where id in";
    let returning = "returning id, org_id, kind, payload, attempts, max_attempts";
    let at_level = format!(
        "{set} (select id from jobs where state = 'queued' and priority = $5 and run_at <= $3 \
         order by run_at, id limit $4{lock}) {returning}"
    );
    let other_levels = format!(
        "{set} (select id from jobs where state = 'queued' and run_at <= $3 and priority <> all($5) \
         order by priority desc, run_at, id limit $4{lock}) {returning}"
    );
    let expired = format!(
        "{set} (select id from jobs where state = 'running' and lease_until < $3 \
         order by lease_until, id limit $4{lock}) {returning}"
    );
    let token = Uuid::now_v7();
    let mut claimed = Vec::new();
    let mut remaining = limit;
    let mut stages: Vec<(&str, Option<i32>)> =
        priorities.iter().map(|p| (at_level.as_str(), Some(*p))).collect();
    stages.push((other_levels.as_str(), None));
    stages.push((expired.as_str(), None));
    for (sql, level) in stages {
        if remaining <= 0 {
            break;
        }
        let rows = claim_stage(tx, sql, level, priorities, token, now, lease_until, remaining).await?;
        remaining -= i64::try_from(rows.len()).unwrap_or(i64::MAX);
        claimed.extend(rows);
    }
    Ok(claimed)
}

type ClaimRow = (Uuid, Option<Uuid>, String, String, i64, i64);

#[allow(clippy::too_many_arguments)]
async fn claim_stage(
    tx: &mut Tx,
    sql: &str,
    level: Option<i32>,
    priorities: &[i32],
    token: Uuid,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Claimed>> {
    let rows: Vec<ClaimRow> = match tx.ex() {
        crate::Ex::Postgres(c) => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(to_millis(lease_until))
                .bind(token)
                .bind(to_millis(now))
                .bind(limit);
            let q = if sql.contains("$5") {
                match level {
                    Some(p) => q.bind(p),
                    None => q.bind(priorities.to_vec()),
                }
            } else {
                q
            };
            q.fetch_all(c).await?
        }
        crate::Ex::Sqlite(c) => {
            // SQLite has no arrays: `<> all($5)` becomes `not in (…)` over the literal levels
            // (integers from the registry, never user input).
            let list = priorities.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let sql = sql.replace("<> all($5)", &format!("not in ({list})"));
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(to_millis(lease_until))
                .bind(token)
                .bind(to_millis(now))
                .bind(limit);
            let q = match level {
                Some(p) => q.bind(p),
                None => q,
            };
            q.fetch_all(c).await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(id, org, kind, payload, attempts, max_attempts)| Claimed {
            id: id.into(),
            org_id: org.map(Into::into),
            kind,
            payload,
            attempts,
            max_attempts,
            lease_token: token,
        })
        .collect())
}

/// Extends a lease; `false` when the lease was lost (another worker owns the job now).
pub async fn heartbeat(
    db: &mut impl Db,
    id: JobId,
    token: Uuid,
    lease_until: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str =
        "update jobs set lease_until = $3 where id = $1 and lease_token = $2 and state = 'running'";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(token)
        .bind(to_millis(lease_until))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A finished job is deleted: payloads may hold message text that should not linger.
pub async fn complete(db: &mut impl Db, id: JobId, token: Uuid) -> Result<bool> {
    const SQL: &str = "delete from jobs where id = $1 and lease_token = $2 and state = 'running'";
    let done =
        run!(db, |c| sqlx::query(SQL).bind(id.0).bind(token).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or dead when `None`.
pub async fn fail(
    db: &mut impl Db,
    id: JobId,
    token: Uuid,
    error: &str,
    retry_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update jobs set state = case when $3 is null then 'dead' else 'queued' end, \
         run_at = coalesce($3, run_at), lease_until = null, lease_token = null, last_error = $4, updated_at = $5 \
         where id = $1 and lease_token = $2 and state = 'running'";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(token)
        .bind(retry_at.map(to_millis))
        .bind(error)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    pub id: JobId,
    pub org_id: Option<OrgId>,
    pub kind: String,
    /// What the job was for (a post id): read by the use case that knows the kind, never shown.
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub run_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type SummaryRow = (Uuid, Option<Uuid>, String, String, String, i64, Option<String>, i64, i64);
const SUMMARY: &str = "id, org_id, kind, payload, state, attempts, last_error, run_at, updated_at";

fn summary(
    (id, org, kind, payload, state, attempts, last_error, run_at, updated_at): SummaryRow,
) -> JobSummary {
    JobSummary {
        id: id.into(),
        org_id: org.map(Into::into),
        kind,
        payload,
        state,
        attempts,
        last_error,
        run_at: from_millis(run_at),
        updated_at: from_millis(updated_at),
    }
}

/// Jobs in a state (`queued`, `running`, `dead`), oldest first, across organizations (operators).
pub async fn list(db: &mut impl Db, state: &str, limit: i64) -> Result<Vec<JobSummary>> {
    let sql = format!("select {SUMMARY} from jobs where state = $1 order by run_at limit $2");
    let rows: Vec<SummaryRow> = run!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(state)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(summary).collect())
}

/// An organization's dead jobs (out of attempts), most recent first.
pub async fn dead_of_org(db: &mut impl Db, org: OrgId, limit: i64) -> Result<Vec<JobSummary>> {
    let sql = format!(
        "select {SUMMARY} from jobs where org_id = $1 and state = 'dead' order by updated_at desc, id limit $2"
    );
    let rows: Vec<SummaryRow> = run!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(org.0)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(summary).collect())
}

/// One of an organization's jobs.
pub async fn get_of_org(db: &mut impl Db, org: OrgId, id: JobId) -> Result<Option<JobSummary>> {
    let sql = format!("select {SUMMARY} from jobs where org_id = $1 and id = $2");
    let row: Option<SummaryRow> = run!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(org.0)
        .bind(id.0)
        .fetch_optional(c)
        .await)?;
    Ok(row.map(summary))
}

/// Puts a dead job back in the queue, due now, with a fresh retry budget (its last error kept
/// until the next attempt); `false` when it is not (or no longer) dead.
pub async fn revive(db: &mut impl Db, org: OrgId, id: JobId, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "update jobs set state = 'queued', run_at = $3, attempts = 0, updated_at = $3 \
         where org_id = $1 and id = $2 and state = 'dead'";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Makes every queued job of a kind due at `at` (benchmarks: "all due in the same minute").
pub async fn make_due(db: &mut impl Db, kind: &str, at: OffsetDateTime) -> Result<u64> {
    const SQL: &str = "update jobs set run_at = $2 where kind = $1 and state = 'queued'";
    Ok(run!(db, |c| sqlx::query(SQL)
        .bind(kind)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?)
}

static JOBS: crate::shapes::Shapes = crate::shapes::Shapes::new(
    "insert into jobs (id, org_id, kind, payload, state, run_at, attempts, max_attempts, priority, \
     created_at, updated_at) values ",
    "(?,?,?,?,?,?,?,?,?,?,?)",
    "",
);

/// One job of a batch for [`enqueue_many`] (all of one kind).
pub struct BatchJob {
    pub id: JobId,
    pub payload: String,
}

/// Adds many jobs of one kind with multi-row statements (digests, announcement e-mail).
pub async fn enqueue_many(db: &mut impl Db, template: &NewJob<'_>, batch: &[BatchJob]) -> Result<()> {
    let pg = matches!(db.ex(), crate::Ex::Postgres(_));
    let mut rest = batch;
    while !rest.is_empty() {
        let (sql, rows) = JOBS.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(rows);
        run!(db, |c| {
            // Only placeholders are formatted in; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for j in chunk {
                q = q
                    .bind(j.id.0)
                    .bind(template.org_id.map(|o| o.0))
                    .bind(template.kind)
                    .bind(&j.payload)
                    .bind("queued")
                    .bind(to_millis(template.run_at))
                    .bind(0_i64)
                    .bind(template.max_attempts)
                    .bind(template.priority)
                    .bind(to_millis(template.now))
                    .bind(to_millis(template.now));
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

/// An organization's jobs of some kinds that have not finished (waiting, running, or dead),
/// dead ones first, then by when they run next: the mail queue admins look at.
pub async fn unfinished_of_kinds(
    db: &mut impl Db,
    org: OrgId,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<JobSummary>> {
    let mut out = Vec::new();
    for kind in kinds {
        let sql = format!(
            "select {SUMMARY} from jobs where org_id = $1 and kind = $2 \
             order by case when state = 'dead' then 0 else 1 end, run_at, id limit $3"
        );
        let rows: Vec<SummaryRow> = run!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org.0)
            .bind(*kind)
            .bind(limit)
            .fetch_all(c)
            .await)?;
        out.extend(rows.into_iter().map(summary));
    }
    out.sort_by_key(|a| (a.state != "dead", a.run_at, a.id.0));
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// How many of an organization's jobs of some kinds wait, and how many are dead.
pub async fn count_of_kinds(db: &mut impl Db, org: OrgId, kinds: &[&str]) -> Result<(i64, i64)> {
    const SQL: &str = "select cast(coalesce(sum(case when state = 'dead' then 0 else 1 end), 0) as bigint), \
         cast(coalesce(sum(case when state = 'dead' then 1 else 0 end), 0) as bigint) \
         from jobs where org_id = $1 and kind = $2";
    let mut waiting = 0;
    let mut dead = 0;
    for kind in kinds {
        let (w, d): (i64, i64) =
            run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(*kind).fetch_one(c).await)?;
        waiting += w;
        dead += d;
    }
    Ok((waiting, dead))
}

/// Jobs of one kind that are due and waiting for a worker (for `/metrics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyKind {
    pub kind: String,
    pub ready: i64,
    /// When the longest-waiting of them became due.
    pub oldest_run_at: OffsetDateTime,
}

/// Due, unclaimed jobs by kind: count and oldest due time, across organizations (operators).
/// One range of `jobs_claim_idx` (`state = 'queued'`).
pub async fn ready_by_kind(db: &mut impl Db, now: OffsetDateTime) -> Result<Vec<ReadyKind>> {
    const SQL: &str = "select kind, cast(count(*) as bigint) as ready, min(run_at) as oldest from jobs \
         where state = 'queued' and run_at <= $1 group by kind order by kind";
    let rows: Vec<(String, i64, i64)> =
        run!(db, |c| sqlx::query_as(SQL).bind(to_millis(now)).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(kind, ready, oldest)| ReadyKind { kind, ready, oldest_run_at: from_millis(oldest) })
        .collect())
}
