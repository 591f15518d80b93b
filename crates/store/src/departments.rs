//! Departments and their leads.

use crate::{Db, Result, run};
use chorus_domain::{
    DepartmentId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub members: i64,
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    members: i64,
    created_at: i64,
}

impl From<Row> for Department {
    fn from(r: Row) -> Self {
        Department {
            id: r.id.into(),
            name: r.name,
            members: r.members,
            created_at: from_millis(r.created_at),
        }
    }
}

macro_rules! department_sql {
    ($tail:literal $(,)?) => {
        concat!(
            "select d.id, d.name, d.created_at, \
             (select count(*) from users u where u.department_id = d.id and u.status <> 'deactivated') as members \
             from departments d ",
            $tail
        )
    };
}

/// The matching key that makes names unique regardless of case and surrounding space.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Fails with `Conflict` when the name is taken in the organization.
pub async fn insert(
    db: &mut impl Db,
    org: OrgId,
    id: DepartmentId,
    name: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str =
        "insert into departments (id, org_id, name, name_key, created_at) values ($1, $2, $3, $4, $5)";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(name)
        .bind(name_key(name))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<Department>> {
    const SQL: &str = department_sql!("where d.org_id = $1 order by d.name_key");
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Each department's id and name, by name: for choosers and labels, without counting members.
pub async fn names(db: &mut impl Db, org: OrgId) -> Result<Vec<(DepartmentId, String)>> {
    const SQL: &str = "select id, name from departments where org_id = $1 order by name_key";
    let rows: Vec<(Uuid, String)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(id, name)| (id.into(), name)).collect())
}

/// Departments in id order after a cursor, for the API.
pub async fn page(
    db: &mut impl Db,
    org: OrgId,
    after: Option<DepartmentId>,
    limit: u32,
) -> Result<Vec<Department>> {
    const SQL: &str = department_sql!("where d.org_id = $1 and d.id > $2 order by d.id limit $3");
    let after = after.map_or(Uuid::nil(), |a| a.0);
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: DepartmentId) -> Result<Option<Department>> {
    const SQL: &str = department_sql!("where d.org_id = $1 and d.id = $2");
    let row = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

pub async fn get_by_name(db: &mut impl Db, org: OrgId, name: &str) -> Result<Option<Department>> {
    const SQL: &str = department_sql!("where d.org_id = $1 and d.name_key = $2");
    let row =
        run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(name_key(name)).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

pub async fn rename(db: &mut impl Db, org: OrgId, id: DepartmentId, name: &str) -> Result<bool> {
    const SQL: &str = "update departments set name = $3, name_key = $4 where org_id = $1 and id = $2";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(name)
        .bind(name_key(name))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// A department's lead, as shown next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lead {
    pub department_id: DepartmentId,
    pub user_id: UserId,
    pub name: String,
}

pub async fn leads(db: &mut impl Db, org: OrgId) -> Result<Vec<Lead>> {
    const SQL: &str = "select l.department_id, l.user_id, u.name from department_leads l \
         join users u on u.id = l.user_id where l.org_id = $1 and u.status <> 'deactivated' order by u.name";
    let rows: Vec<(Uuid, Uuid, String)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(d, u, name)| Lead { department_id: d.into(), user_id: u.into(), name })
        .collect())
}
