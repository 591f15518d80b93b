//! Click roll-ups and the queries behind the dashboards.
//!
//! A period is answered from daily roll-ups, hourly roll-ups and raw clicks, as
//! [`chorus_domain::analytics::plan`] splits it; the SQL here unions those three forms.

use crate::{Db, Ex, Result, run};
use chorus_domain::{
    DepartmentId, OrgId,
    analytics::{DAY_MS, HOUR_MS, Period, Plan, day_of},
};
use uuid::Uuid;

// ------------------------------------------------------------------------------------- roll-up

/// Everything before this instant is in the roll-ups.
pub async fn watermark(db: &mut impl Db) -> Result<i64> {
    Ok(run!(db, |c| sqlx::query_scalar("select rolled_until from rollup_state where id = 1")
        .fetch_one(c)
        .await)?)
}

/// Rolls up the next hour that has clicks and ended before `limit` (an hour boundary), and the
/// day it closes, then moves the watermark past it. Call inside a transaction; returns `false`
/// when everything before `limit` is rolled up.
///
/// Starts by touching the watermark row, which makes concurrent roll-ups (one per worker
/// process) wait for each other rather than count an hour twice.
pub async fn rollup_step(db: &mut impl Db, limit: i64) -> Result<bool> {
    run!(db, |c| sqlx::query("update rollup_state set rolled_until = rolled_until where id = 1")
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let wm = watermark(db).await?;
    if wm >= limit {
        return Ok(false);
    }
    let next: Option<i64> = run!(db, |c| sqlx::query_scalar("select min(at) from clicks where at >= $1")
        .bind(wm)
        .fetch_one(c)
        .await)?;
    let (hour, new_wm) = match next.map(|at| at.div_euclid(HOUR_MS) * HOUR_MS) {
        Some(hour) if hour < limit => (Some(hour), hour + HOUR_MS),
        _ => (None, limit),
    };
    if let Some(hour) = hour {
        roll(db, "h", hour, hour + HOUR_MS).await?;
    }
    // A day is closed when the watermark passes its end: the day before the old watermark (it may
    // have had clicks before it) and the day of the hour just rolled.
    let mut days = vec![day_of(wm - 1)];
    days.extend(hour.map(day_of));
    days.dedup();
    for day in days {
        let end = day + DAY_MS;
        if end > wm && end <= new_wm {
            roll(db, "d", day, end).await?;
        }
    }
    run!(db, |c| sqlx::query("update rollup_state set rolled_until = $1 where id = 1")
        .bind(new_wm)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// (Re)computes the buckets of one span from raw clicks; idempotent.
async fn roll(db: &mut impl Db, span: &'static str, from: i64, to: i64) -> Result<()> {
    const DELETE: &str = "delete from click_buckets where span = $1 and starts_at = $2";
    const SHARES: &str = "insert into click_buckets (share_id, span, starts_at, org_id, submission_id, \
         user_id, department_id, network, human, bot, visitors) \
         select k.share_id, $1, $2, sh.org_id, sh.submission_id, sh.user_id, u.department_id, sh.network, \
         sum(case when k.bot is null then 1 else 0 end), sum(case when k.bot is null then 0 else 1 end), \
         count(distinct case when k.bot is null then k.visitor end) \
         from clicks k join shares sh on sh.id = k.share_id join users u on u.id = sh.user_id \
         where k.at >= $2 and k.at < $3 \
         group by k.share_id, sh.org_id, sh.submission_id, sh.user_id, u.department_id, sh.network";
    const DELETE_ORG: &str = "delete from org_click_buckets where span = $1 and starts_at = $2";
    const ORGS: &str = "insert into org_click_buckets (org_id, span, starts_at, human, bot, visitors) \
         select org_id, $1, $2, sum(case when bot is null then 1 else 0 end), \
         sum(case when bot is null then 0 else 1 end), count(distinct case when bot is null then visitor end) \
         from clicks where at >= $2 and at < $3 group by org_id";
    for sql in [DELETE, DELETE_ORG] {
        run!(db, |c| sqlx::query(sql).bind(span).bind(from).execute(c).await.map(|r| r.rows_affected()))?;
    }
    for sql in [SHARES, ORGS] {
        run!(db, |c| sqlx::query(sql)
            .bind(span)
            .bind(from)
            .bind(to)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Deletes up to `batch` raw clicks older than `before` (only rolled-up ones: the caller passes
/// at most the watermark). Returns how many went.
pub async fn delete_clicks_before(db: &mut impl Db, before: i64, batch: i64) -> Result<u64> {
    // PostgreSQL's clicks have no id (migration 0010): rows are picked by physical address.
    const SQLITE: &str =
        "delete from clicks where id in (select id from clicks where at < $1 order by at limit $2)";
    const POSTGRES: &str = "delete from clicks where ctid = any(array(\
        select ctid from clicks where at < $1 order by at limit $2))";
    let done = match db.ex() {
        Ex::Sqlite(c) => sqlx::query(SQLITE).bind(before).bind(batch).execute(c).await?.rows_affected(),
        Ex::Postgres(c) => sqlx::query(POSTGRES).bind(before).bind(batch).execute(c).await?.rows_affected(),
    };
    Ok(done)
}

// ------------------------------------------------------------------------------------- reports

/// Clicks in a period: people, bots and preview fetchers, distinct visitors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clicks {
    pub human: i64,
    pub bot: i64,
    pub visitors: i64,
}

/// Numbered placeholders for the segments of a plan, from `$first` on.
struct Segments {
    parts: Vec<String>,
    ints: Vec<i64>,
}

impl Segments {
    /// `bucket(span, a, b)` and `raw(a, b)` write one SELECT for a segment.
    fn new(
        plan: &Plan,
        first: usize,
        bucket: impl Fn(&str, usize, usize) -> String,
        raw: impl Fn(usize, usize) -> String,
    ) -> Self {
        let mut s = Self { parts: vec![], ints: vec![] };
        let add = |s: &mut Self, p: Period, sql: &dyn Fn(usize, usize) -> String| {
            let a = first + s.ints.len();
            s.parts.push(sql(a, a + 1));
            s.ints.extend([p.from, p.to]);
        };
        if let Some(days) = plan.days {
            add(&mut s, days, &|a, b| bucket("d", a, b));
        }
        for &h in &plan.hours {
            add(&mut s, h, &|a, b| bucket("h", a, b));
        }
        for &r in &plan.raw {
            add(&mut s, r, &raw);
        }
        s
    }

    fn union(&self) -> String {
        self.parts.join(" union all ")
    }
}

/// The organization's clicks in a period (each person counted once per day).
pub async fn org_clicks(db: &mut impl Db, org: OrgId, plan: &Plan) -> Result<Clicks> {
    let seg = Segments::new(
        plan,
        2,
        |span, a, b| {
            format!(
                "select human as h, bot as b, visitors as v from org_click_buckets \
                 where org_id = $1 and span = '{span}' and starts_at >= ${a} and starts_at < ${b}"
            )
        },
        |a, b| {
            format!(
                "select sum(case when bot is null then 1 else 0 end) as h, \
                 sum(case when bot is null then 0 else 1 end) as b, \
                 count(distinct case when bot is null then visitor end) as v \
                 from clicks where org_id = $1 and at >= ${a} and at < ${b}"
            )
        },
    );
    let sql = format!(
        "select cast(coalesce(sum(h), 0) as bigint), cast(coalesce(sum(b), 0) as bigint), \
         cast(coalesce(sum(v), 0) as bigint) from ({}) t",
        seg.union()
    );
    let (human, bot, visitors): (i64, i64, i64) = run!(db, |c| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org.0);
        for i in &seg.ints {
            q = q.bind(*i);
        }
        q.fetch_one(c).await
    })?;
    Ok(Clicks { human, bot, visitors })
}

/// The per-share union: `share_id, dept, day, h, b, v` rows; `$1` is the organization, `$2` the
/// department filter (null: all).
fn per_share(plan: &Plan) -> Segments {
    Segments::new(
        plan,
        3,
        |span, a, b| {
            format!(
                "select share_id, department_id as dept, (starts_at / {DAY_MS}) * {DAY_MS} as on_day, human as h, bot as b, \
                 visitors as v from click_buckets \
                 where org_id = $1 and span = '{span}' and starts_at >= ${a} and starts_at < ${b}"
            )
        },
        |a, b| {
            format!(
                "select k.share_id, u.department_id as dept, (k.at / {DAY_MS}) * {DAY_MS} as on_day, \
                 sum(case when k.bot is null then 1 else 0 end) as h, \
                 sum(case when k.bot is null then 0 else 1 end) as b, \
                 count(distinct case when k.bot is null then k.visitor end) as v \
                 from clicks k join shares sh on sh.id = k.share_id join users u on u.id = sh.user_id \
                 where k.org_id = $1 and k.at >= ${a} and k.at < ${b} \
                 group by k.share_id, u.department_id, (k.at / {DAY_MS}) * {DAY_MS}"
            )
        },
    )
}

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Content,
    Advocate,
    Department,
    Network,
    Campaign,
    /// The messaging goal (content pillar) of the content's campaign.
    Goal,
}

/// One line of a breakdown: who or what, and its clicks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: Option<Uuid>,
    pub label: Option<String>,
    /// The campaign's messaging goal; the content's kind.
    pub extra: Option<String>,
    pub clicks: Clicks,
    /// Shares that were clicked in the period.
    pub shares: i64,
}

type LineRow = (Option<Uuid>, Option<String>, Option<String>, i64, i64, i64, i64);

/// From a share to its content's campaign (`c`) and that campaign's messaging goal (`pl`).
const CAMPAIGN_JOIN: &str = "join submissions s on s.id = sh.submission_id \
     left join campaigns c on c.id = s.campaign_id left join pillars pl on pl.id = c.pillar_id";

/// Clicks in a period grouped by a dimension, most human clicks first.
pub async fn breakdown(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    plan: &Plan,
    by: Dimension,
    limit: i64,
) -> Result<Vec<Line>> {
    let (select, join, group) = match by {
        Dimension::Content => (
            "s.id, s.title, s.kind",
            "join submissions s on s.id = sh.submission_id",
            "s.id, s.title, s.kind",
        ),
        Dimension::Advocate => {
            ("u.id, u.name, cast(null as text)", "join users u on u.id = sh.user_id", "u.id, u.name")
        }
        Dimension::Department => (
            "p.dept, d.name, cast(null as text)",
            "left join departments d on d.id = p.dept",
            "p.dept, d.name",
        ),
        Dimension::Network => ("cast(null as uuid), sh.network, cast(null as text)", "", "sh.network"),
        Dimension::Campaign => ("c.id, c.name, pl.name", CAMPAIGN_JOIN, "c.id, c.name, pl.name"),
        Dimension::Goal => ("pl.id, pl.name, cast(null as text)", CAMPAIGN_JOIN, "pl.id, pl.name"),
    };
    let seg = per_share(plan);
    let limit_at = 3 + seg.ints.len();
    let sql = format!(
        "select {select}, cast(sum(p.h) as bigint), cast(sum(p.b) as bigint), cast(sum(p.v) as bigint), \
         count(distinct p.share_id) \
         from ({}) p join shares sh on sh.id = p.share_id {join} \
         where ($2 is null or p.dept = $2) group by {group} order by 4 desc, 2 limit ${limit_at}",
        seg.union()
    );
    let rows: Vec<LineRow> = run!(db, |c| {
        let mut q =
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org.0).bind(department.map(|d| d.0));
        for i in &seg.ints {
            q = q.bind(*i);
        }
        q.bind(limit).fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, label, extra, human, bot, visitors, shares)| Line {
            id,
            label,
            extra,
            clicks: Clicks { human, bot, visitors },
            shares,
        })
        .collect())
}

/// Clicks per day (midnight in milliseconds), oldest first; days without clicks are absent.
/// With a department, visitors are counted per share (a person who followed two links counts
/// twice).
pub async fn daily(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    plan: &Plan,
) -> Result<Vec<(i64, Clicks)>> {
    let seg = per_share(plan);
    let sql = format!(
        "select p.on_day, cast(sum(p.h) as bigint), cast(sum(p.b) as bigint), cast(sum(p.v) as bigint) \
         from ({}) p where ($2 is null or p.dept = $2) group by p.on_day order by p.on_day",
        seg.union()
    );
    let rows: Vec<(i64, i64, i64, i64)> = run!(db, |c| {
        let mut q =
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org.0).bind(department.map(|d| d.0));
        for i in &seg.ints {
            q = q.bind(*i);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(|(day, human, bot, visitors)| (day, Clicks { human, bot, visitors })).collect())
}

/// Shares made in a period, per day (and in all).
pub async fn shares_daily(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<Vec<(i64, i64)>> {
    let sql = format!(
        "select (sh.created_at / {DAY_MS}) * {DAY_MS} as on_day, count(*) from shares sh \
         join users u on u.id = sh.user_id \
         where sh.org_id = $1 and sh.created_at >= $2 and sh.created_at < $3 \
         and ($4 is null or u.department_id = $4) group by on_day order by on_day"
    );
    Ok(run!(db, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(department.map(|d| d.0))
        .fetch_all(c)
        .await)?)
}

/// People who took part (contributed or shared) in a period, per department and seniority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participation {
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    pub seniority: Option<i64>,
    pub people: i64,
    pub active: i64,
}

type ParticipationRow = (Option<Uuid>, Option<String>, Option<i64>, i64, i64);

pub async fn participation(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<Vec<Participation>> {
    // Who was active, from one range scan of each table (a per-person EXISTS let the planner
    // scan the period's submissions once per person: 60 ms for 2,000 people).
    const SQL: &str = "with active as ( \
           select author_id as user_id from submissions where org_id = $1 and created_at >= $2 and created_at < $3 \
           union \
           select user_id from shares where org_id = $1 and created_at >= $2 and created_at < $3) \
         select u.department_id, d.name, u.seniority, count(*), \
         cast(sum(case when a.user_id is null then 0 else 1 end) as bigint) \
         from users u left join departments d on d.id = u.department_id left join active a on a.user_id = u.id \
         where u.org_id = $1 and u.status = 'active' and ($4 is null or u.department_id = $4) \
         group by u.department_id, d.name, u.seniority";
    let rows: Vec<ParticipationRow> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(department.map(|d| d.0))
        .fetch_all(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(department_id, department, seniority, people, active)| Participation {
            department_id,
            department,
            seniority,
            people,
            active,
        })
        .collect())
}

/// The review pipeline in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// Submissions created (drafts included).
    pub submissions: i64,
    pub approved: i64,
    pub rejected: i64,
    /// Seconds from first submission to approval, for each approval in the period.
    pub decision_seconds: Vec<i64>,
    /// When each submission now waiting for review entered its queue (milliseconds).
    pub waiting_since: Vec<i64>,
}

pub async fn pipeline(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<Pipeline> {
    const CREATED: &str = "select count(*) from submissions where org_id = $1 and created_at >= $2 \
         and created_at < $3 and ($4 is null or department_id = $4)";
    const REJECTED: &str = "select count(*) from transitions t join submissions s on s.id = t.submission_id \
         where t.org_id = $1 and t.to_status = 'rejected' and t.at >= $2 and t.at < $3 \
         and ($4 is null or s.department_id = $4)";
    const APPROVED: &str = "select s.approved_at - (select min(t.at) from transitions t \
         where t.submission_id = s.id and t.from_status = 'draft') \
         from submissions s where s.org_id = $1 and s.approved_at >= $2 and s.approved_at < $3 \
         and ($4 is null or s.department_id = $4)";
    const WAITING: &str = "select queued_at from submissions where org_id = $1 \
         and status in ('lead_review', 'team_review') and queued_at is not null \
         and ($2 is null or department_id = $2)";
    let dept = department.map(|d| d.0);
    let submissions = count_in(db, CREATED, org, department, period).await?;
    let rejected = count_in(db, REJECTED, org, department, period).await?;
    let approvals: Vec<Option<i64>> = run!(db, |c| sqlx::query_scalar(APPROVED)
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(dept)
        .fetch_all(c)
        .await)?;
    let waiting_since: Vec<i64> =
        run!(db, |c| sqlx::query_scalar(WAITING).bind(org.0).bind(dept).fetch_all(c).await)?;
    Ok(Pipeline {
        submissions,
        approved: approvals.len() as i64,
        rejected,
        decision_seconds: approvals.into_iter().flatten().map(|ms| ms / 1000).collect(),
        waiting_since,
    })
}

/// A count whose SQL takes (organization, from, to, department).
async fn count_in(
    db: &mut impl Db,
    sql: &'static str,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<i64> {
    Ok(run!(db, |c| sqlx::query_scalar(sql)
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(department.map(|d| d.0))
        .fetch_one(c)
        .await)?)
}

/// Posts published in a period, per channel: (channel, network, posts, distinct submissions).
pub async fn published(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<Vec<(String, String, i64, i64)>> {
    const SQL: &str = "select c.name, c.network, count(*), count(distinct p.submission_id) from posts p \
         join channels c on c.id = p.channel_id join submissions s on s.id = p.submission_id \
         where p.org_id = $1 and p.status = 'published' and p.published_at >= $2 and p.published_at < $3 \
         and ($4 is null or s.department_id = $4) group by c.name, c.network order by 3 desc, 1";
    Ok(run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(department.map(|d| d.0))
        .fetch_all(c)
        .await)?)
}

/// Submissions with a post published in the period (each counted once).
pub async fn published_submissions(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<i64> {
    const SQL: &str = "select count(distinct p.submission_id) from posts p \
         join submissions s on s.id = p.submission_id \
         where p.org_id = $1 and p.status = 'published' and p.published_at >= $2 and p.published_at < $3 \
         and ($4 is null or s.department_id = $4)";
    count_in(db, SQL, org, department, period).await
}

/// Shares made in a period and the people who made them.
pub async fn share_counts(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    period: Period,
) -> Result<(i64, i64)> {
    const SQL: &str = "select count(*), count(distinct sh.user_id) from shares sh \
         join users u on u.id = sh.user_id \
         where sh.org_id = $1 and sh.created_at >= $2 and sh.created_at < $3 \
         and ($4 is null or u.department_id = $4)";
    Ok(run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(period.from)
        .bind(period.to)
        .bind(department.map(|d| d.0))
        .fetch_one(c)
        .await)?)
}
