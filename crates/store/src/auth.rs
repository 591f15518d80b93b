//! Sessions, invitations, password resets and sign-in failures. Every secret is stored as a
//! SHA-256 hash; the raw value only ever exists in the link or cookie given to the person.

use crate::{Db, Result, run};
use chorus_domain::{
    InvitationId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

// ---- sessions -------------------------------------------------------------------------------

pub async fn insert_session(
    db: &mut impl Db,
    token_hash: &str,
    org: OrgId,
    user: UserId,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into sessions (token_hash, org_id, user_id, created_at, last_seen_at, expires_at) \
         values ($1, $2, $3, $4, $4, $5)";
    run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Slides the session's expiry forward.
pub async fn touch_session(
    db: &mut impl Db,
    token_hash: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "update sessions set last_seen_at = $2, expires_at = $3 where token_hash = $1";
    run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_session(db: &mut impl Db, token_hash: &str) -> Result<()> {
    const SQL: &str = "delete from sessions where token_hash = $1";
    run!(db, |c| sqlx::query(SQL).bind(token_hash).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Signs a person out everywhere, optionally keeping the session they are using.
pub async fn delete_user_sessions(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    keep: Option<&str>,
) -> Result<u64> {
    const SQL: &str =
        "delete from sessions where org_id = $1 and user_id = $2 and ($3 is null or token_hash <> $3)";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(keep)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done)
}

pub async fn delete_expired_sessions(db: &mut impl Db, now: OffsetDateTime) -> Result<u64> {
    const SQL: &str = "delete from sessions where expires_at <= $1";
    let done =
        run!(db, |c| sqlx::query(SQL).bind(to_millis(now)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

// ---- invitations ----------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
}

#[expect(clippy::too_many_arguments, reason = "one column each; a struct would only rename them")]
pub async fn insert_invitation(
    db: &mut impl Db,
    id: InvitationId,
    org: OrgId,
    user: UserId,
    invited_by: Option<UserId>,
    token_hash: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into invitations (id, org_id, user_id, invited_by, token_hash, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7)";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(user.0)
        .bind(invited_by.map(|u| u.0))
        .bind(token_hash)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn invitation(db: &mut impl Db, token_hash: &str) -> Result<Option<Invitation>> {
    const SQL: &str =
        "select id, org_id, user_id, expires_at, accepted_at from invitations where token_hash = $1";
    let row: Option<(Uuid, Uuid, Uuid, i64, Option<i64>)> =
        run!(db, |c| sqlx::query_as(SQL).bind(token_hash).fetch_optional(c).await)?;
    Ok(row.map(|(id, o, u, exp, acc)| Invitation {
        id: id.into(),
        org_id: o.into(),
        user_id: u.into(),
        expires_at: from_millis(exp),
        accepted_at: acc.map(from_millis),
    }))
}

/// Marks an invitation used; `false` if someone else used it first (the link is single-use).
pub async fn accept_invitation(db: &mut impl Db, id: InvitationId, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "update invitations set accepted_at = $2 where id = $1 and accepted_at is null";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Expires a person's earlier invitations when a new one is sent.
pub async fn expire_invitations(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "update invitations set expires_at = $3 \
         where org_id = $1 and user_id = $2 and accepted_at is null and expires_at > $3";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---- password resets ------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

pub async fn insert_reset(
    db: &mut impl Db,
    token_hash: &str,
    org: OrgId,
    user: UserId,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into password_resets (token_hash, org_id, user_id, created_at, expires_at) \
         values ($1, $2, $3, $4, $5)";
    run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn reset(db: &mut impl Db, token_hash: &str) -> Result<Option<PasswordReset>> {
    const SQL: &str =
        "select org_id, user_id, expires_at, used_at from password_resets where token_hash = $1";
    let row: Option<(Uuid, Uuid, i64, Option<i64>)> =
        run!(db, |c| sqlx::query_as(SQL).bind(token_hash).fetch_optional(c).await)?;
    Ok(row.map(|(o, u, exp, used)| PasswordReset {
        org_id: o.into(),
        user_id: u.into(),
        expires_at: from_millis(exp),
        used_at: used.map(from_millis),
    }))
}

/// Marks a reset link used; `false` if it already was.
pub async fn use_reset(db: &mut impl Db, token_hash: &str, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "update password_resets set used_at = $2 where token_hash = $1 and used_at is null";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

// ---- sign-in failures -----------------------------------------------------------------------

pub async fn record_failure(db: &mut impl Db, key_hash: &str, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into login_failures (id, key_hash, at) values ($1, $2, $3)";
    run!(db, |c| sqlx::query(SQL)
        .bind(Uuid::now_v7())
        .bind(key_hash)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn count_failures(db: &mut impl Db, key_hash: &str, since: OffsetDateTime) -> Result<i64> {
    const SQL: &str = "select count(*) from login_failures where key_hash = $1 and at > $2";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(key_hash).bind(to_millis(since)).fetch_one(c).await)?)
}

pub async fn clear_failures(db: &mut impl Db, key_hash: &str) -> Result<()> {
    const SQL: &str = "delete from login_failures where key_hash = $1";
    run!(db, |c| sqlx::query(SQL).bind(key_hash).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn prune_failures(db: &mut impl Db, before: OffsetDateTime) -> Result<u64> {
    const SQL: &str = "delete from login_failures where at <= $1";
    let done =
        run!(db, |c| sqlx::query(SQL).bind(to_millis(before)).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

/// A live session with its person and organization, in one round trip (this runs on every
/// signed-in request).
#[derive(Debug, Clone)]
pub struct SessionPerson {
    pub last_seen_at: OffsetDateTime,
    pub user: crate::users::User,
    pub org: crate::admin::Org,
}

pub async fn session_person(
    db: &mut impl Db,
    token_hash: &str,
    now: OffsetDateTime,
) -> Result<Option<SessionPerson>> {
    const SQL: &str = "select u.id, u.org_id, u.email, u.name, u.title, u.seniority, u.role, u.department_id, \
         d.name as department, u.status, u.created_at, u.updated_at, \
         s.last_seen_at, o.slug as org_slug, o.name as org_name, o.created_at as org_created_at \
         from sessions s join users u on u.id = s.user_id join organizations o on o.id = s.org_id \
         left join departments d on d.id = u.department_id \
         where s.token_hash = $1 and s.expires_at > $2 and u.status = 'active'";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: crate::users::UserRow,
        last_seen_at: i64,
        org_slug: String,
        org_name: String,
        org_created_at: i64,
    }
    let row = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(token_hash)
        .bind(to_millis(now))
        .fetch_optional(c)
        .await)?;
    row.map(|r| {
        let user = crate::users::User::try_from(r.user)?;
        let org = crate::admin::Org {
            id: user.org_id,
            slug: r.org_slug,
            name: r.org_name,
            created_at: from_millis(r.org_created_at),
        };
        Ok(SessionPerson { last_seen_at: from_millis(r.last_seen_at), user, org })
    })
    .transpose()
}
