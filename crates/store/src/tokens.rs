//! Personal access tokens: only a SHA-256 of the secret is stored.

use crate::{Db, Result, run};
use chorus_domain::{
    OrgId, TokenId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub label: String,
    /// The first characters of the secret, so a person can tell tokens apart.
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    label: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

pub struct NewToken<'a> {
    pub id: TokenId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub label: &'a str,
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub now: OffsetDateTime,
}

pub async fn insert(db: &mut impl Db, t: &NewToken<'_>) -> Result<()> {
    const SQL: &str = "insert into api_tokens (id, org_id, user_id, label, token_hash, prefix, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)";
    run!(db, |c| sqlx::query(SQL)
        .bind(t.id.0)
        .bind(t.org_id.0)
        .bind(t.user_id.0)
        .bind(t.label)
        .bind(t.token_hash)
        .bind(t.prefix)
        .bind(to_millis(t.now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<ApiToken>> {
    const SQL: &str = "select id, label, prefix, created_at, last_used_at, revoked_at from api_tokens \
         where org_id = $1 and user_id = $2 order by id desc";
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(user.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| ApiToken {
            id: r.id.into(),
            label: r.label,
            prefix: r.prefix,
            created_at: from_millis(r.created_at),
            last_used_at: r.last_used_at.map(from_millis),
            revoked_at: r.revoked_at.map(from_millis),
        })
        .collect())
}

/// Revokes one of a person's own tokens; `false` when there is no such live token.
pub async fn revoke(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    id: TokenId,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update api_tokens set revoked_at = $4 \
         where org_id = $1 and user_id = $2 and id = $3 and revoked_at is null";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(id.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Revokes every token of a person (deactivation).
pub async fn revoke_all(db: &mut impl Db, org: OrgId, user: UserId, now: OffsetDateTime) -> Result<u64> {
    const SQL: &str =
        "update api_tokens set revoked_at = $3 where org_id = $1 and user_id = $2 and revoked_at is null";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done)
}

/// Records use, at most once a minute per token so API traffic does not become write traffic.
/// Stamps many tokens as used at `now`, in one statement.
pub async fn touch_many(db: &mut impl Db, ids: &[TokenId], now: OffsetDateTime) -> Result<()> {
    // Anonymous `?` on SQLite (numbered ones are looked up one by one, see `shapes`).
    let postgres = matches!(db.ex(), crate::Ex::Postgres(_));
    for chunk in ids.chunks(500) {
        let list: Vec<String> =
            (0..chunk.len()).map(|i| if postgres { format!("${}", i + 2) } else { "?".to_owned() }).collect();
        let first = if postgres { "$1" } else { "?" };
        let sql = format!("update api_tokens set last_used_at = {first} where id in ({})", list.join(","));
        run!(db, |c| {
            // Only placeholders are formatted in; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(to_millis(now));
            for id in chunk {
                q = q.bind(id.0);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn touch(db: &mut impl Db, id: TokenId, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "update api_tokens set last_used_at = $2 \
         where id = $1 and (last_used_at is null or last_used_at < $3)";
    let now_ms = to_millis(now);
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(now_ms)
        .bind(now_ms - 60_000)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Resolves a presented token (by hash) to its live owner — not revoked, person active — with
/// their organization, in one round trip (this runs on every API call).
/// A live token's owner, with when the token was last used (to touch it only when stale).
pub type Authenticated = (TokenId, crate::users::User, crate::admin::Org, Option<OffsetDateTime>);

pub async fn authenticate_person(db: &mut impl Db, token_hash: &str) -> Result<Option<Authenticated>> {
    const SQL: &str = "select u.id, u.org_id, u.email, u.name, u.title, u.seniority, u.role, u.department_id, \
         d.name as department, u.status, u.created_at, u.updated_at, \
         t.id as token_id, t.last_used_at, o.slug as org_slug, o.name as org_name, o.created_at as org_created_at \
         from api_tokens t join users u on u.id = t.user_id join organizations o on o.id = t.org_id \
         left join departments d on d.id = u.department_id \
         where t.token_hash = $1 and t.revoked_at is null and u.status = 'active'";
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: crate::users::UserRow,
        token_id: Uuid,
        last_used_at: Option<i64>,
        org_slug: String,
        org_name: String,
        org_created_at: i64,
    }
    let row = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(token_hash).fetch_optional(c).await)?;
    row.map(|r| {
        let user = crate::users::User::try_from(r.user)?;
        let org = crate::admin::Org {
            id: user.org_id,
            slug: r.org_slug,
            name: r.org_name,
            created_at: from_millis(r.org_created_at),
        };
        Ok((r.token_id.into(), user, org, r.last_used_at.map(from_millis)))
    })
    .transpose()
}
