//! Single sign-on (migration 0021): each organization's OpenID Connect provider, the provider
//! identities linked to people, sign-ins under way, and the ID token a session began with.

use crate::{Db, Result, run};
use chorus_domain::{
    OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

// ----------------------------------------------------------------------------------- providers

/// An organization's provider. The client secret stays sealed here; `chorus-app` opens it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub org_id: OrgId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub department_claim: String,
    pub title_claim: String,
    pub trust_unverified_email: bool,
    pub sso_only: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type ProviderRow = (Uuid, String, String, Vec<u8>, String, String, Option<i64>, Option<i64>, i64, i64);

fn provider(r: ProviderRow) -> Provider {
    Provider {
        org_id: r.0.into(),
        issuer: r.1,
        client_id: r.2,
        client_secret_sealed: r.3,
        department_claim: r.4,
        title_claim: r.5,
        trust_unverified_email: r.6.is_some(),
        sso_only: r.7.is_some(),
        created_at: from_millis(r.8),
        updated_at: from_millis(r.9),
    }
}

pub async fn provider_of(db: &mut impl Db, org: OrgId) -> Result<Option<Provider>> {
    const SQL: &str = "select org_id, issuer, client_id, client_secret_sealed, department_claim, title_claim, \
         trust_unverified_email_at, sso_only_at, created_at, updated_at from oidc_providers where org_id = $1";
    let row: Option<ProviderRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_optional(c).await)?;
    Ok(row.map(provider))
}

/// Creates or replaces the organization's provider (one per organization).
pub async fn put_provider(db: &mut impl Db, p: &Provider) -> Result<()> {
    const SQL: &str = "insert into oidc_providers (org_id, issuer, client_id, client_secret_sealed, \
         department_claim, title_claim, trust_unverified_email_at, sso_only_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict (org_id) do update set \
         issuer = excluded.issuer, client_id = excluded.client_id, \
         client_secret_sealed = excluded.client_secret_sealed, department_claim = excluded.department_claim, \
         title_claim = excluded.title_claim, trust_unverified_email_at = excluded.trust_unverified_email_at, \
         sso_only_at = excluded.sso_only_at, updated_at = excluded.updated_at";
    let stamp = |on: bool| on.then(|| to_millis(p.updated_at));
    run!(db, |c| sqlx::query(SQL)
        .bind(p.org_id.0)
        .bind(&p.issuer)
        .bind(&p.client_id)
        .bind(&p.client_secret_sealed)
        .bind(&p.department_claim)
        .bind(&p.title_claim)
        .bind(stamp(p.trust_unverified_email))
        .bind(stamp(p.sso_only))
        .bind(to_millis(p.created_at))
        .bind(to_millis(p.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes the provider; linked identities stay (they link again if SSO comes back).
pub async fn delete_provider(db: &mut impl Db, org: OrgId) -> Result<bool> {
    const SQL: &str = "delete from oidc_providers where org_id = $1";
    let n = run!(db, |c| sqlx::query(SQL).bind(org.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Whether the organization is in "SSO only" mode.
pub async fn sso_only(db: &mut impl Db, org: OrgId) -> Result<bool> {
    const SQL: &str = "select count(*) from oidc_providers where org_id = $1 and sso_only_at is not null";
    let n: i64 = run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_one(c).await)?;
    Ok(n > 0)
}

// ---------------------------------------------------------------------------------- identities

/// The person a provider identity belongs to, in this organization.
pub async fn identity_user(
    db: &mut impl Db,
    org: OrgId,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserId>> {
    const SQL: &str =
        "select user_id from oidc_identities where org_id = $1 and issuer = $2 and subject = $3";
    let id: Option<Uuid> =
        run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(issuer).bind(subject).fetch_optional(c).await)?;
    Ok(id.map(Into::into))
}

/// Whether the person already has an identity at this issuer (an account is linked once).
pub async fn has_identity(db: &mut impl Db, org: OrgId, user: UserId, issuer: &str) -> Result<bool> {
    const SQL: &str =
        "select count(*) from oidc_identities where org_id = $1 and user_id = $2 and issuer = $3";
    let n: i64 =
        run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(user.0).bind(issuer).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Links a provider identity to a person. `Conflict` if either side is already linked.
pub async fn link(
    db: &mut impl Db,
    org: OrgId,
    issuer: &str,
    subject: &str,
    user: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into oidc_identities (org_id, issuer, subject, user_id, created_at, last_sign_in_at) \
         values ($1, $2, $3, $4, $5, $5)";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(issuer)
        .bind(subject)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn touch_identity(
    db: &mut impl Db,
    org: OrgId,
    issuer: &str,
    subject: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str =
        "update oidc_identities set last_sign_in_at = $4 where org_id = $1 and issuer = $2 and subject = $3";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(issuer)
        .bind(subject)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many people of the organization have a linked identity.
pub async fn count_identities(db: &mut impl Db, org: OrgId) -> Result<i64> {
    const SQL: &str = "select count(*) from oidc_identities where org_id = $1";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_one(c).await)?)
}

// ------------------------------------------------------------------------------------- logins

/// A sign-in under way. Secrets other than the state are kept as given: they are useless
/// without the authorization code, which only the browser sees, and live minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub state_hash: String,
    pub org_id: OrgId,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

pub async fn insert_login(db: &mut impl Db, l: &Login) -> Result<()> {
    const SQL: &str = "insert into oidc_logins (state_hash, org_id, browser_hash, nonce, pkce_verifier, \
         next_path, created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(&l.state_hash)
        .bind(l.org_id.0)
        .bind(&l.browser_hash)
        .bind(&l.nonce)
        .bind(&l.pkce_verifier)
        .bind(&l.next_path)
        .bind(to_millis(l.created_at))
        .bind(to_millis(l.expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

type LoginRow = (String, Uuid, String, String, String, String, i64, i64, Option<i64>);

pub async fn login(db: &mut impl Db, state_hash: &str) -> Result<Option<Login>> {
    const SQL: &str = "select state_hash, org_id, browser_hash, nonce, pkce_verifier, next_path, created_at, \
         expires_at, used_at from oidc_logins where state_hash = $1";
    let row: Option<LoginRow> = run!(db, |c| sqlx::query_as(SQL).bind(state_hash).fetch_optional(c).await)?;
    Ok(row.map(|r| Login {
        state_hash: r.0,
        org_id: r.1.into(),
        browser_hash: r.2,
        nonce: r.3,
        pkce_verifier: r.4,
        next_path: r.5,
        created_at: from_millis(r.6),
        expires_at: from_millis(r.7),
        used_at: r.8.map(from_millis),
    }))
}

/// Marks a sign-in used; false if it already was (a replayed callback), so only one request
/// ever redeems a state, whichever instance it reaches.
pub async fn use_login(db: &mut impl Db, state_hash: &str, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "update oidc_logins set used_at = $2 where state_hash = $1 and used_at is null";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(state_hash)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Housekeeping: sign-ins that expired before `before`.
pub async fn prune_logins(db: &mut impl Db, before: OffsetDateTime) -> Result<u64> {
    const SQL: &str = "delete from oidc_logins where expires_at < $1";
    Ok(run!(db, |c| sqlx::query(SQL).bind(to_millis(before)).execute(c).await.map(|r| r.rows_affected()))?)
}

// ----------------------------------------------------------------------------------- sessions

pub async fn insert_session_token(
    db: &mut impl Db,
    token_hash: &str,
    org: OrgId,
    id_token: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str =
        "insert into oidc_sessions (token_hash, org_id, id_token, created_at) values ($1, $2, $3, $4)";
    run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(org.0)
        .bind(id_token)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The ID token a session began with, if it began by single sign-on.
pub async fn session_id_token(db: &mut impl Db, org: OrgId, token_hash: &str) -> Result<Option<String>> {
    const SQL: &str = "select id_token from oidc_sessions where org_id = $1 and token_hash = $2";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(token_hash).fetch_optional(c).await)?)
}
