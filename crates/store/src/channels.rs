//! The company's channels. Credentials and sessions are stored sealed (the app seals them);
//! the listing queries never select them.

use crate::{Db, Result, run};
use chorus_domain::{
    ChannelId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub network: String,
    pub name: String,
    pub base_url: Option<String>,
    /// The cadence guard as JSON.
    pub cadence: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub struct NewChannel<'a> {
    pub id: ChannelId,
    pub network: &'a str,
    pub name: &'a str,
    pub base_url: Option<&'a str>,
    pub sealed_credentials: &'a [u8],
    pub cadence: &'a str,
    pub created_by: Option<UserId>,
}

type Row = (Uuid, String, String, Option<String>, String, String, Option<String>, i64, i64);

fn channel((id, network, name, base_url, cadence, status, status_reason, created, updated): Row) -> Channel {
    Channel {
        id: id.into(),
        network,
        name,
        base_url,
        cadence,
        status,
        status_reason,
        created_at: from_millis(created),
        updated_at: from_millis(updated),
    }
}

/// The columns a listing may see: never the credentials or the session.
macro_rules! channel_sql {
    ($tail:literal) => {
        concat!(
            "select id, network, name, base_url, cadence, status, status_reason, created_at, updated_at \
             from channels ",
            $tail
        )
    };
}

pub async fn insert(db: &mut impl Db, org: OrgId, c: &NewChannel<'_>, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into channels (id, org_id, network, name, base_url, credentials, cadence, status, \
         created_by, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $9)";
    run!(db, |x| sqlx::query(SQL)
        .bind(c.id.0)
        .bind(org.0)
        .bind(c.network)
        .bind(c.name)
        .bind(c.base_url)
        .bind(c.sealed_credentials)
        .bind(c.cadence)
        .bind(c.created_by.map(|u| u.0))
        .bind(to_millis(now))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<Channel>> {
    const SQL: &str = channel_sql!("where org_id = $1 order by name, id");
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(channel).collect())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: ChannelId) -> Result<Option<Channel>> {
    const SQL: &str = channel_sql!("where org_id = $1 and id = $2");
    let row: Option<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(channel))
}

/// The sealed credentials and session of a channel, for its connector only.
pub async fn secrets(
    db: &mut impl Db,
    org: OrgId,
    id: ChannelId,
) -> Result<Option<(Vec<u8>, Option<Vec<u8>>)>> {
    const SQL: &str = "select credentials, session from channels where org_id = $1 and id = $2";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?)
}

pub async fn set_session(
    db: &mut impl Db,
    id: ChannelId,
    sealed: Option<&[u8]>,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "update channels set session = $2, updated_at = $3 where id = $1";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(sealed)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Flags a channel whose credentials the network refused (or clears the flag with `None`).
pub async fn set_status(
    db: &mut impl Db,
    id: ChannelId,
    status: &str,
    reason: Option<&str>,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "update channels set status = $2, status_reason = $3, updated_at = $4 where id = $1";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(status)
        .bind(reason)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every sealed value in the database, for re-sealing under a new key.
pub async fn all_sealed(db: &mut impl Db) -> Result<Vec<(ChannelId, Vec<u8>, Option<Vec<u8>>)>> {
    const SQL: &str = "select id, credentials, session from channels order by id";
    let rows: Vec<(Uuid, Vec<u8>, Option<Vec<u8>>)> = run!(db, |c| sqlx::query_as(SQL).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id, c, s)| (id.into(), c, s)).collect())
}

/// New credentials from a person: sealed, the kept session dropped (it belonged to the old
/// ones), and the channel active again.
pub async fn renew(
    db: &mut impl Db,
    org: OrgId,
    id: ChannelId,
    credentials: &[u8],
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update channels set credentials = $3, session = null, status = 'active', \
         status_reason = null, updated_at = $4 where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(credentials)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn reseal(
    db: &mut impl Db,
    id: ChannelId,
    credentials: &[u8],
    session: Option<&[u8]>,
) -> Result<()> {
    const SQL: &str = "update channels set credentials = $2, session = $3 where id = $1";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(credentials)
        .bind(session)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
