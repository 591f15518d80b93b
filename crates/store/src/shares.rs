//! Shares (an employee's tracked link to approved content) and the clicks on them.

use crate::{Db, Result, run};
use chorus_domain::{
    OrgId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub id: Uuid,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub submission_id: SubmissionId,
    pub submission_title: String,
    pub network: String,
    pub code: String,
    pub caption: String,
    pub destination: String,
    pub created_at: OffsetDateTime,
    /// Clicks by people, and fetches by bots and preview fetchers, so far (hourly roll-ups, plus
    /// the raw clicks not rolled up yet).
    pub human_clicks: i64,
    pub bot_fetches: i64,
}

pub struct NewShare<'a> {
    pub id: Uuid,
    pub user_id: UserId,
    pub submission_id: SubmissionId,
    pub network: &'a str,
    pub code: &'a str,
    pub caption: &'a str,
    pub destination: &'a str,
}

pub async fn insert(db: &mut impl Db, org: OrgId, s: &NewShare<'_>, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into shares (id, org_id, user_id, submission_id, network, code, caption, \
         destination, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    run!(db, |c| sqlx::query(SQL)
        .bind(s.id)
        .bind(org.0)
        .bind(s.user_id.0)
        .bind(s.submission_id.0)
        .bind(s.network)
        .bind(s.code)
        .bind(s.caption)
        .bind(s.destination)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

type Row = (Uuid, Uuid, Uuid, Uuid, String, String, String, String, String, i64, i64, i64);

macro_rules! share_sql {
    ($tail:literal) => {
        concat!(
            "select sh.id, sh.org_id, sh.user_id, sh.submission_id, s.title, sh.network, sh.code, sh.caption, \
             sh.destination, sh.created_at, \
             (select cast(coalesce(sum(b.human), 0) as bigint) from click_buckets b \
               where b.share_id = sh.id and b.span = 'h') \
             + (select count(*) from clicks k where k.share_id = sh.id and k.bot is null \
               and k.at >= (select rolled_until from rollup_state where id = 1)), \
             (select cast(coalesce(sum(b.bot), 0) as bigint) from click_buckets b \
               where b.share_id = sh.id and b.span = 'h') \
             + (select count(*) from clicks k where k.share_id = sh.id and k.bot is not null \
               and k.at >= (select rolled_until from rollup_state where id = 1)) \
             from shares sh join submissions s on s.id = sh.submission_id ",
            $tail
        )
    };
}

fn share(r: Row) -> Share {
    Share {
        id: r.0,
        org_id: r.1.into(),
        user_id: r.2.into(),
        submission_id: r.3.into(),
        submission_title: r.4,
        network: r.5,
        code: r.6,
        caption: r.7,
        destination: r.8,
        created_at: from_millis(r.9),
        human_clicks: r.10,
        bot_fetches: r.11,
    }
}

/// A person's shares, newest first.
pub async fn of_user(db: &mut impl Db, org: OrgId, user: UserId, limit: i64) -> Result<Vec<Share>> {
    const SQL: &str =
        share_sql!("where sh.org_id = $1 and sh.user_id = $2 order by sh.created_at desc, sh.id limit $3");
    let rows: Vec<Row> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(share).collect())
}

/// What a tracked link needs to answer: where it goes, whether its content may still be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub share_id: Uuid,
    pub org_id: OrgId,
    pub network: String,
    pub destination: String,
    /// The content's status now (`archived` content is withdrawn).
    pub status: String,
}

pub async fn target(db: &mut impl Db, code: &str) -> Result<Option<Target>> {
    const SQL: &str = "select sh.id, sh.org_id, sh.network, sh.destination, s.status from shares sh \
         join submissions s on s.id = sh.submission_id where sh.code = $1";
    let row: Option<(Uuid, Uuid, String, String, String)> =
        run!(db, |c| sqlx::query_as(SQL).bind(code).fetch_optional(c).await)?;
    Ok(row.map(|(share_id, org, network, destination, status)| Target {
        share_id,
        org_id: org.into(),
        network,
        destination,
        status,
    }))
}

/// (different items shared, times this item was shared) by a person since `since`.
pub async fn counts_since(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    submission: SubmissionId,
    since: OffsetDateTime,
) -> Result<(i64, i64)> {
    const SQL: &str = "select count(distinct submission_id), \
         coalesce(sum(case when submission_id = $3 then 1 else 0 end), 0) \
         from shares where org_id = $1 and user_id = $2 and created_at >= $4";
    let (items, this): (i64, i64) = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(submission.0)
        .bind(to_millis(since))
        .fetch_one(c)
        .await)?;
    Ok((items, this))
}

/// When the content leaves the share hub, if it does.
pub async fn share_until(
    db: &mut impl Db,
    org: OrgId,
    submission: SubmissionId,
) -> Result<Option<OffsetDateTime>> {
    const SQL: &str = "select share_until from submissions where org_id = $1 and id = $2";
    let at: Option<Option<i64>> =
        run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(submission.0).fetch_optional(c).await)?;
    Ok(at.flatten().map(from_millis))
}

/// Sets when the content leaves the share hub (`None`: it stays). False if there is no such item.
pub async fn set_share_until(
    db: &mut impl Db,
    org: OrgId,
    submission: SubmissionId,
    until: Option<OffsetDateTime>,
) -> Result<bool> {
    const SQL: &str = "update submissions set share_until = $3 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(submission.0)
        .bind(until.map(to_millis))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A click as the writer stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClick {
    pub org_id: OrgId,
    pub share_id: Uuid,
    pub at: OffsetDateTime,
    pub network: String,
    pub referrer_host: Option<String>,
    pub device: String,
    pub bot: Option<String>,
    pub visitor: Option<String>,
}

/// Stores clicks in as few statements as the database allows: on SQLite multi-row INSERTs with
/// anonymous `?` parameters (sqlx looks numbered ones up by name, a cost that grows with the
/// square of the statement's size), on PostgreSQL one INSERT from `unnest` of eight arrays (one
/// statement to parse and plan however many rows). Run it in a transaction: all or nothing.
pub async fn insert_clicks(db: &mut impl Db, clicks: &[NewClick]) -> Result<()> {
    macro_rules! insert_into {
        () => {
            "insert into clicks (org_id, share_id, at, network, referrer_host, device, bot, visitor) "
        };
    }
    const COLUMNS: &str = insert_into!();
    match db.ex() {
        crate::Ex::Sqlite(c) => {
            // 8 parameters a row; SQLite allows 32,766 per statement.
            const ROWS: usize = 2_000;
            for chunk in clicks.chunks(ROWS) {
                let mut sql = String::with_capacity(COLUMNS.len() + 8 + chunk.len() * 26);
                sql.push_str(COLUMNS);
                sql.push_str("values ");
                for i in 0..chunk.len() {
                    sql.push_str(if i == 0 { "(?,?,?,?,?,?,?,?)" } else { ",(?,?,?,?,?,?,?,?)" });
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for k in chunk {
                    q = q
                        .bind(k.org_id.0)
                        .bind(k.share_id)
                        .bind(to_millis(k.at))
                        .bind(k.network.as_str())
                        .bind(k.referrer_host.as_deref())
                        .bind(k.device.as_str())
                        .bind(k.bot.as_deref())
                        .bind(k.visitor.as_deref());
                }
                q.execute(&mut *c).await?;
            }
        }
        crate::Ex::Postgres(c) => {
            const SQL: &str = concat!(
                insert_into!(),
                "select * from unnest($1::uuid[], $2::uuid[], $3::int8[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::text[])"
            );
            let col = |f: fn(&NewClick) -> Option<String>| clicks.iter().map(f).collect::<Vec<_>>();
            sqlx::query(SQL)
                .bind(clicks.iter().map(|k| k.org_id.0).collect::<Vec<Uuid>>())
                .bind(clicks.iter().map(|k| k.share_id).collect::<Vec<Uuid>>())
                .bind(clicks.iter().map(|k| to_millis(k.at)).collect::<Vec<i64>>())
                .bind(col(|k| Some(k.network.clone())))
                .bind(col(|k| k.referrer_host.clone()))
                .bind(col(|k| Some(k.device.clone())))
                .bind(col(|k| k.bot.clone()))
                .bind(col(|k| k.visitor.clone()))
                .execute(&mut *c)
                .await?;
        }
    }
    Ok(())
}

/// Today's visitor key (made on first use by whichever instance asks first); older keys are
/// deleted, so yesterday's hashes can no longer be linked to anyone.
pub async fn visitor_key(db: &mut impl Db, day: i64, fresh: &[u8]) -> Result<Vec<u8>> {
    // Both databases know this upsert form.
    let insert = "insert into visitor_keys (day, key) values ($1, $2) on conflict (day) do nothing";
    run!(db, |c| sqlx::query(insert).bind(day).bind(fresh).execute(c).await.map(|r| r.rows_affected()))?;
    run!(db, |c| sqlx::query("delete from visitor_keys where day < $1")
        .bind(day)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let key: Vec<u8> = run!(db, |c| sqlx::query_scalar("select key from visitor_keys where day = $1")
        .bind(day)
        .fetch_one(c)
        .await)?;
    Ok(key)
}

/// The amplification numbers of an organization over `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub shares: i64,
    pub human_clicks: i64,
    pub bot_fetches: i64,
    pub unique_visitors: i64,
    pub sharers: i64,
}

pub async fn totals(
    db: &mut impl Db,
    org: OrgId,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Totals> {
    const SHARES: &str = "select count(*), count(distinct user_id) from shares \
         where org_id = $1 and created_at >= $2 and created_at < $3";
    const CLICKS: &str = "select coalesce(sum(case when bot is null then 1 else 0 end), 0), \
         coalesce(sum(case when bot is null then 0 else 1 end), 0), \
         count(distinct case when bot is null then visitor end) \
         from clicks where org_id = $1 and at >= $2 and at < $3";
    let (from, to) = (to_millis(from), to_millis(to));
    let (shares, sharers): (i64, i64) =
        run!(db, |c| sqlx::query_as(SHARES).bind(org.0).bind(from).bind(to).fetch_one(c).await)?;
    let (human_clicks, bot_fetches, unique_visitors): (i64, i64, i64) =
        run!(db, |c| sqlx::query_as(CLICKS).bind(org.0).bind(from).bind(to).fetch_one(c).await)?;
    Ok(Totals { shares, human_clicks, bot_fetches, unique_visitors, sharers })
}
