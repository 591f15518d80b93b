//! People and who leads which department.

use crate::{Db, Error, Result, run};
use chorus_domain::{
    DepartmentId, OrgId, Role, UserId, UserStatus,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub name: String,
    pub title: Option<String>,
    pub seniority: Option<i64>,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub department: Option<String>,
    pub status: UserStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    org_id: Uuid,
    email: String,
    name: String,
    title: Option<String>,
    seniority: Option<i64>,
    role: String,
    department_id: Option<Uuid>,
    department: Option<String>,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = Error;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(User {
            id: r.id.into(),
            org_id: r.org_id.into(),
            email: r.email,
            name: r.name,
            title: r.title,
            seniority: r.seniority,
            role: r.role.parse().map_err(|_| Error::Corrupt(format!("users.role {:?}", r.role)))?,
            department_id: r.department_id.map(Into::into),
            department: r.department,
            status: r.status.parse().map_err(|_| Error::Corrupt(format!("users.status {:?}", r.status)))?,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        })
    }
}

pub(crate) fn convert(rows: Vec<UserRow>) -> Result<Vec<User>> {
    rows.into_iter().map(User::try_from).collect()
}

/// The shared `select` of a person (with their department's name), glued to a tail.
macro_rules! user_sql {
    ($tail:literal $(,)?) => {
        concat!(
            "select u.id, u.org_id, u.email, u.name, u.title, u.seniority, u.role, u.department_id, \
             d.name as department, u.status, u.created_at, u.updated_at \
             from users u left join departments d on d.id = u.department_id ",
            $tail
        )
    };
}

/// What is needed to create a person.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: &'a str,
    pub name: &'a str,
    pub title: Option<&'a str>,
    pub seniority: Option<i64>,
    pub role: Role,
    pub department_id: Option<DepartmentId>,
    pub status: UserStatus,
    pub password_hash: Option<&'a str>,
    pub now: OffsetDateTime,
}

/// Fails with `Conflict` when the e-mail is already used in the organization.
pub async fn insert(db: &mut impl Db, u: &NewUser<'_>) -> Result<()> {
    const SQL: &str = "insert into users (id, org_id, email, name, title, seniority, role, department_id, \
         status, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)";
    run!(db, |c| sqlx::query(SQL)
        .bind(u.id.0)
        .bind(u.org_id.0)
        .bind(u.email)
        .bind(u.name)
        .bind(u.title)
        .bind(u.seniority)
        .bind(u.role.as_str())
        .bind(u.department_id.map(|d| d.0))
        .bind(u.status.as_str())
        .bind(u.password_hash)
        .bind(to_millis(u.now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: UserId) -> Result<Option<User>> {
    const SQL: &str = user_sql!("where u.org_id = $1 and u.id = $2");
    let row = run!(db, |c| sqlx::query_as::<_, UserRow>(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    row.map(User::try_from).transpose()
}

pub async fn get_by_email(db: &mut impl Db, org: OrgId, email: &str) -> Result<Option<User>> {
    const SQL: &str = user_sql!("where u.org_id = $1 and u.email = $2");
    let row =
        run!(db, |c| sqlx::query_as::<_, UserRow>(SQL).bind(org.0).bind(email).fetch_optional(c).await)?;
    row.map(User::try_from).transpose()
}

/// Filters for listing people; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Keyset cursor: only people with a larger id.
    pub after: Option<UserId>,
    /// Case-insensitive substring of name or e-mail.
    pub query: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub status: Option<UserStatus>,
}

/// People in id (creation) order, for the API's cursor pagination.
pub async fn list(db: &mut impl Db, org: OrgId, f: &ListFilter, limit: u32) -> Result<Vec<User>> {
    const SQL: &str = user_sql!(
        "where u.org_id = $1 and u.id > $2 \
         and ($3 is null or lower(u.name) like $3 escape '\\' or u.email like $3 escape '\\') \
         and ($4 is null or u.department_id = $4) and ($5 is null or u.status = $5) \
         order by u.id limit $6",
    );
    let after = f.after.map_or(Uuid::nil(), |a| a.0);
    let pattern = f.query.as_deref().map(like_pattern);
    let rows = run!(db, |c| sqlx::query_as::<_, UserRow>(SQL)
        .bind(org.0)
        .bind(after)
        .bind(pattern.as_deref())
        .bind(f.department_id.map(|d| d.0))
        .bind(f.status.map(UserStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    convert(rows)
}

/// People by name, for the directory page.
pub async fn list_by_name(db: &mut impl Db, org: OrgId, f: &ListFilter, limit: u32) -> Result<Vec<User>> {
    const SQL: &str = user_sql!(
        "where u.org_id = $1 \
         and ($2 is null or lower(u.name) like $2 escape '\\' or u.email like $2 escape '\\') \
         and ($3 is null or u.department_id = $3) and ($4 is null or u.status = $4) \
         order by lower(u.name), u.id limit $5",
    );
    let pattern = f.query.as_deref().map(like_pattern);
    let rows = run!(db, |c| sqlx::query_as::<_, UserRow>(SQL)
        .bind(org.0)
        .bind(pattern.as_deref())
        .bind(f.department_id.map(|d| d.0))
        .bind(f.status.map(UserStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    convert(rows)
}

/// `%text%` with LIKE's wildcards escaped, lower-cased.
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for ch in text.trim().to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// Changes name, title, seniority and department in one statement.
#[expect(clippy::too_many_arguments, reason = "one column each; a struct would only rename them")]
pub async fn update_profile(
    db: &mut impl Db,
    org: OrgId,
    id: UserId,
    name: &str,
    title: Option<&str>,
    seniority: Option<i64>,
    department_id: Option<DepartmentId>,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update users set name = $3, title = $4, seniority = $5, department_id = $6, updated_at = $7 \
         where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(name)
        .bind(title)
        .bind(seniority)
        .bind(department_id.map(|d| d.0))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_role(
    db: &mut impl Db,
    org: OrgId,
    id: UserId,
    role: Role,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update users set role = $3, updated_at = $4 where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(role.as_str())
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_status(
    db: &mut impl Db,
    org: OrgId,
    id: UserId,
    status: UserStatus,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update users set status = $3, updated_at = $4 where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(status.as_str())
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_password(
    db: &mut impl Db,
    org: OrgId,
    id: UserId,
    hash: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update users set password_hash = $3, updated_at = $4 where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(hash)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn password_hash(db: &mut impl Db, org: OrgId, id: UserId) -> Result<Option<String>> {
    const SQL: &str = "select password_hash from users where org_id = $1 and id = $2";
    let hash: Option<Option<String>> =
        run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(hash.flatten())
}

/// Active owners: the last one may not be demoted or deactivated.
pub async fn count_active_owners(db: &mut impl Db, org: OrgId) -> Result<i64> {
    const SQL: &str = "select count(*) from users where org_id = $1 and role = 'owner' and status = 'active'";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_one(c).await)?)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub active: i64,
    pub invited: i64,
    pub deactivated: i64,
}

pub async fn counts(db: &mut impl Db, org: OrgId) -> Result<Counts> {
    const SQL: &str = "select status, count(*) from users where org_id = $1 group by status";
    let rows: Vec<(String, i64)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    let mut counts = Counts::default();
    for (status, n) in rows {
        match status.as_str() {
            "active" => counts.active = n,
            "invited" => counts.invited = n,
            _ => counts.deactivated += n,
        }
    }
    Ok(counts)
}

/// Departments a person leads.
pub async fn leads_of(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<DepartmentId>> {
    const SQL: &str = "select department_id from department_leads where org_id = $1 and user_id = $2";
    let ids: Vec<Uuid> = run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(user.0).fetch_all(c).await)?;
    Ok(ids.into_iter().map(Into::into).collect())
}

/// Makes a person a lead of a department (no-op when they already are).
pub async fn add_lead(
    db: &mut impl Db,
    org: OrgId,
    dept: DepartmentId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into department_leads (org_id, department_id, user_id, created_at) \
         values ($1, $2, $3, $4) on conflict (department_id, user_id) do nothing";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(dept.0)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn remove_lead(db: &mut impl Db, org: OrgId, dept: DepartmentId, user: UserId) -> Result<bool> {
    const SQL: &str =
        "delete from department_leads where org_id = $1 and department_id = $2 and user_id = $3";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(dept.0)
        .bind(user.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Active people a mention can mean: `handle` is a whole e-mail address or its local part.
pub async fn by_handle(db: &mut impl Db, org: OrgId, handle: &str) -> Result<Vec<(UserId, String)>> {
    const SQL: &str = "select id, email from users where org_id = $1 and status = 'active' \
         and (email = $2 or substr(email, 1, length($2) + 1) = $2 || '@') order by id";
    let rows: Vec<(Uuid, String)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(handle).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id, email)| (id.into(), email)).collect())
}

/// Names and e-mail addresses of active people, for notifications.
pub async fn contact(db: &mut impl Db, org: OrgId, id: UserId) -> Result<Option<(String, String)>> {
    const SQL: &str = "select name, email from users where org_id = $1 and id = $2 and status = 'active'";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?)
}
