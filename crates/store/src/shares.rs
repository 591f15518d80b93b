//! Shares (an employee's tracked link to approved content) and the clicks on them.

use crate::{Db, Result, run};
use chorus_domain::{
    OrgId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
};
use std::sync::Arc;
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
             sh.destination, sh.created_at, coalesce(n.human, 0), coalesce(n.bot, 0) \
             from shares sh join submissions s on s.id = sh.submission_id \
             left join share_click_counts n on n.share_id = sh.id ",
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
    pub network: Arc<str>,
    pub destination: Arc<str>,
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
        network: network.into(),
        destination: destination.into(),
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

/// A click as the writer stores it, built on every tracked-link request without allocating: the
/// device and bot names are static, the visitor hash is inline, and the texts that vary are shared
/// (`Arc<str>`: binding one to a statement copies a pointer, not the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClick {
    pub org_id: OrgId,
    pub share_id: Uuid,
    pub at: OffsetDateTime,
    pub network: Arc<str>,
    pub referrer_host: Option<Arc<str>>,
    pub device: &'static str,
    pub bot: Option<&'static str>,
    pub visitor: Option<VisitorHash>,
}

/// A visitor hash: 128 bits in lowercase hex, kept inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VisitorHash([u8; 32]);

impl VisitorHash {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 32];
        for (pair, b) in hex.chunks_exact_mut(2).zip(bytes) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 15)];
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever written into it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for VisitorHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! insert_into {
    () => {
        "insert into clicks (org_id, share_id, at, network, referrer_host, device, bot, visitor) "
    };
}
static SQLITE_CLICKS: crate::shapes::Shapes =
    crate::shapes::Shapes::new(concat!(insert_into!(), "values "), "(?,?,?,?,?,?,?,?)", "");
static SQLITE_COUNTS: crate::shapes::Shapes = crate::shapes::Shapes::new(
    "insert into share_click_counts (share_id, human, bot) values ",
    "(?,?,?)",
    " on conflict (share_id) do update set human = human + excluded.human, bot = bot + excluded.bot",
);

/// (share, people, bots) for each share in `clicks`, ordered by share: concurrent writers then
/// lock the counters in the same order and cannot deadlock.
fn per_share(clicks: &[NewClick]) -> Vec<(Uuid, i64, i64)> {
    let mut counts = std::collections::BTreeMap::<Uuid, (i64, i64)>::new();
    for k in clicks {
        let c = counts.entry(k.share_id).or_default();
        if k.bot.is_none() {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    counts.into_iter().map(|(share, (human, bot))| (share, human, bot)).collect()
}

/// The start of PostgreSQL's binary COPY format: signature, flags, header extension length.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// Its end: a tuple with -1 fields.
const COPY_TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// One click as a tuple of PostgreSQL's binary COPY format: the field count, then each field as
/// its length and bytes (uuid: 16 bytes, bigint: 8, big-endian; text: UTF-8), -1 for null. The
/// server reads it without parsing text.
fn copy_row(out: &mut Vec<u8>, k: &NewClick) {
    fn field(out: &mut Vec<u8>, value: Option<&[u8]>) {
        match value {
            Some(v) => {
                out.extend_from_slice(&i32::try_from(v.len()).unwrap_or(i32::MAX).to_be_bytes());
                out.extend_from_slice(v);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }
    out.extend_from_slice(&8i16.to_be_bytes());
    field(out, Some(k.org_id.0.as_bytes()));
    field(out, Some(k.share_id.as_bytes()));
    field(out, Some(&to_millis(k.at).to_be_bytes()));
    field(out, Some(k.network.as_bytes()));
    field(out, k.referrer_host.as_deref().map(str::as_bytes));
    field(out, Some(k.device.as_bytes()));
    field(out, k.bot.map(str::as_bytes));
    field(out, k.visitor.as_ref().map(|v| v.as_str().as_bytes()));
}

/// Stores clicks, and adds them to their shares' totals, in as few statements as the database
/// allows: on SQLite multi-row INSERTs with anonymous `?` parameters (sqlx looks numbered ones up
/// by name, a cost that grows with the square of the statement's size), on PostgreSQL a COPY and
/// one INSERT from `unnest` of arrays. Run it in a transaction: all or nothing.
pub async fn insert_clicks(db: &mut impl Db, clicks: &[NewClick]) -> Result<()> {
    let counts = per_share(clicks);
    match db.ex() {
        crate::Ex::Sqlite(c) => {
            let mut rest = clicks;
            while !rest.is_empty() {
                let (sql, rows) = SQLITE_CLICKS.next(rest.len());
                let (chunk, tail) = rest.split_at(rows);
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for k in chunk {
                    q = q
                        .bind(k.org_id.0)
                        .bind(k.share_id)
                        .bind(to_millis(k.at))
                        .bind(Arc::clone(&k.network))
                        .bind(k.referrer_host.clone())
                        .bind(k.device)
                        .bind(k.bot)
                        .bind(k.visitor.as_ref().map(VisitorHash::as_str));
                }
                q.execute(&mut *c).await?;
                rest = tail;
            }
            let mut rest = counts.as_slice();
            while !rest.is_empty() {
                let (sql, rows) = SQLITE_COUNTS.next(rest.len());
                let (chunk, tail) = rest.split_at(rows);
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (share, human, bot) in chunk {
                    q = q.bind(*share).bind(*human).bind(*bot);
                }
                q.execute(&mut *c).await?;
                rest = tail;
            }
        }
        crate::Ex::Postgres(c) => {
            // COPY is PostgreSQL's bulk path: no statement to plan, and rows go into the table
            // several per WAL record (an INSERT from `unnest` first materialized every row). The
            // binary format spares the server parsing uuids and numbers from text. The rows go
            // out in pieces of about 64 KiB: a whole batch in one buffer (a megabyte or more)
            // was a fresh allocation each time, its pages faulted in and copied again by sqlx.
            const PIECE: usize = 64 * 1024;
            let mut copy = c
                .copy_in_raw(concat!(
                    "copy clicks (org_id, share_id, at, network, referrer_host, device, bot, visitor) ",
                    "from stdin (format binary)"
                ))
                .await?;
            let mut data = Vec::with_capacity(PIECE + 1024);
            data.extend_from_slice(COPY_HEADER);
            for k in clicks {
                copy_row(&mut data, k);
                if data.len() >= PIECE {
                    copy.send(data.as_slice()).await?;
                    data.clear();
                }
            }
            data.extend_from_slice(COPY_TRAILER);
            copy.send(data).await?;
            copy.finish().await?;
            const COUNTS: &str = "insert into share_click_counts (share_id, human, bot) \
                 select * from unnest($1::uuid[], $2::int8[], $3::int8[]) \
                 on conflict (share_id) do update set human = share_click_counts.human + excluded.human, \
                 bot = share_click_counts.bot + excluded.bot";
            sqlx::query(COUNTS)
                .bind(counts.iter().map(|c| c.0).collect::<Vec<Uuid>>())
                .bind(counts.iter().map(|c| c.1).collect::<Vec<i64>>())
                .bind(counts.iter().map(|c| c.2).collect::<Vec<i64>>())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_row_is_postgresql_binary_tuple() {
        let id = Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff);
        let click = NewClick {
            org_id: OrgId(id),
            share_id: id,
            at: OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("time"),
            network: "x".into(),
            referrer_host: Some("t.co".into()),
            device: "mobile",
            bot: None,
            visitor: Some(VisitorHash::from_bytes([0x0f; 16])),
        };
        let mut out = Vec::new();
        copy_row(&mut out, &click);
        let mut expected = vec![0, 8];
        for field in [&id.as_bytes()[..], &id.as_bytes()[..], &1_780_000_000_000i64.to_be_bytes()] {
            expected.extend_from_slice(&(field.len() as i32).to_be_bytes());
            expected.extend_from_slice(field);
        }
        let visitor = "0f".repeat(16);
        for text in [Some("x"), Some("t.co"), Some("mobile"), None, Some(visitor.as_str())] {
            match text {
                Some(t) => {
                    expected.extend_from_slice(&(t.len() as i32).to_be_bytes());
                    expected.extend_from_slice(t.as_bytes());
                }
                None => expected.extend_from_slice(&[0xff; 4]),
            }
        }
        assert_eq!(out, expected);
        assert_eq!(COPY_HEADER.len(), 19);
    }
}
