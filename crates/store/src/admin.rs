//! Cross-organization queries: organizations themselves, first-run set-up, and sign-in lookup
//! by e-mail (a person does not say which organization they belong to). Nothing here returns
//! another organization's *content*.

use crate::{Db, Result, run, users};
use chorus_domain::{
    OrgId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

type OrgRow = (Uuid, String, String, i64);

fn org(r: OrgRow) -> Org {
    Org { id: r.0.into(), slug: r.1, name: r.2, created_at: from_millis(r.3) }
}

/// Fails with `Conflict` when the slug is taken.
pub async fn insert_org(
    db: &mut impl Db,
    id: OrgId,
    slug: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into organizations (id, slug, name, created_at) values ($1, $2, $3, $4)";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(slug)
        .bind(name)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn org_by_slug(db: &mut impl Db, slug: &str) -> Result<Option<Org>> {
    const SQL: &str = "select id, slug, name, created_at from organizations where slug = $1";
    let row: Option<OrgRow> = run!(db, |c| sqlx::query_as(SQL).bind(slug).fetch_optional(c).await)?;
    Ok(row.map(org))
}

pub async fn org_by_id(db: &mut impl Db, id: OrgId) -> Result<Option<Org>> {
    const SQL: &str = "select id, slug, name, created_at from organizations where id = $1";
    let row: Option<OrgRow> = run!(db, |c| sqlx::query_as(SQL).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(org))
}

pub async fn count_orgs(db: &mut impl Db) -> Result<i64> {
    const SQL: &str = "select count(*) from organizations";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).fetch_one(c).await)?)
}

pub async fn slug_taken(db: &mut impl Db, slug: &str) -> Result<bool> {
    Ok(org_by_slug(db, slug).await?.is_some())
}

// ---- first-run set-up -----------------------------------------------------------------------

pub async fn insert_setup_token(
    db: &mut impl Db,
    token_hash: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into setup_tokens (token_hash, created_at, expires_at) values ($1, $2, $3)";
    run!(db, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(to_millis(now))
        .bind(to_millis(expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn setup_token_valid(db: &mut impl Db, token_hash: &str, now: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "select count(*) from setup_tokens where token_hash = $1 and expires_at > $2";
    let n: i64 =
        run!(db, |c| sqlx::query_scalar(SQL).bind(token_hash).bind(to_millis(now)).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Uses up every set-up link: there is only ever one first owner.
pub async fn clear_setup_tokens(db: &mut impl Db) -> Result<()> {
    const SQL: &str = "delete from setup_tokens";
    run!(db, |c| sqlx::query(SQL).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

// ---- sign-in lookup -------------------------------------------------------------------------

/// An account that may sign in with a password.
#[derive(Debug, Clone)]
pub struct Credential {
    pub user: users::User,
    pub org_slug: String,
    pub password_hash: String,
}

/// Active people with this e-mail and a password, in every organization.
pub async fn credentials_by_email(db: &mut impl Db, email: &str) -> Result<Vec<Credential>> {
    const SQL: &str = "select u.id, u.org_id, u.email, u.name, u.title, u.seniority, u.role, u.department_id, \
         d.name as department, u.status, u.created_at, u.updated_at, o.slug as org_slug, u.password_hash \
         from users u join organizations o on o.id = u.org_id left join departments d on d.id = u.department_id \
         where u.email = $1 and u.status = 'active' and u.password_hash is not null order by o.slug";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: users::UserRow,
        org_slug: String,
        password_hash: String,
    }
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(email).fetch_all(c).await)?;
    rows.into_iter()
        .map(|r| {
            Ok(Credential {
                user: users::User::try_from(r.user)?,
                org_slug: r.org_slug,
                password_hash: r.password_hash,
            })
        })
        .collect()
}

/// Active people with this e-mail (for password reset), with their organization's slug.
pub async fn active_users_by_email(db: &mut impl Db, email: &str) -> Result<Vec<(users::User, String)>> {
    const SQL: &str = "select u.id, u.org_id, u.email, u.name, u.title, u.seniority, u.role, u.department_id, \
         d.name as department, u.status, u.created_at, u.updated_at, o.slug as org_slug \
         from users u join organizations o on o.id = u.org_id left join departments d on d.id = u.department_id \
         where u.email = $1 and u.status = 'active' order by o.slug";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: users::UserRow,
        org_slug: String,
    }
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(email).fetch_all(c).await)?;
    rows.into_iter().map(|r| Ok((users::User::try_from(r.user)?, r.org_slug))).collect()
}
