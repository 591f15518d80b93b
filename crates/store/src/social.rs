//! The company's own accounts directory and the departments' follow lists (migration 0019).

use crate::{Db, Result, run};
use chorus_domain::{
    CompanyAccountId, DepartmentId, FollowEntryId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

// ------------------------------------------------------------------------------ company accounts

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyAccount {
    pub id: CompanyAccountId,
    pub network: String,
    pub handle: String,
    pub url: String,
    pub position: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type AccountRow = (Uuid, String, String, String, i64, i64, i64);

fn account(r: AccountRow) -> CompanyAccount {
    CompanyAccount {
        id: r.0.into(),
        network: r.1,
        handle: r.2,
        url: r.3,
        position: r.4,
        created_at: from_millis(r.5),
        updated_at: from_millis(r.6),
    }
}

pub async fn accounts(db: &mut impl Db, org: OrgId) -> Result<Vec<CompanyAccount>> {
    const SQL: &str = "select id, network, handle, url, position, created_at, updated_at from company_accounts \
         where org_id = $1 order by position, id";
    let rows: Vec<AccountRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(account).collect())
}

pub async fn get_account(
    db: &mut impl Db,
    org: OrgId,
    id: CompanyAccountId,
) -> Result<Option<CompanyAccount>> {
    const SQL: &str = "select id, network, handle, url, position, created_at, updated_at from company_accounts \
         where org_id = $1 and id = $2";
    let row: Option<AccountRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(account))
}

/// How many accounts the directory holds, and the position after the last.
pub async fn account_count_and_next_position(db: &mut impl Db, org: OrgId) -> Result<(i64, i64)> {
    const SQL: &str =
        "select count(*), coalesce(max(position), 0) + 1 from company_accounts where org_id = $1";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_one(c).await)?)
}

pub async fn insert_account(db: &mut impl Db, org: OrgId, a: &CompanyAccount) -> Result<()> {
    const SQL: &str = "insert into company_accounts (id, org_id, network, handle, url, position, created_at, \
         updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(a.id.0)
        .bind(org.0)
        .bind(&a.network)
        .bind(&a.handle)
        .bind(&a.url)
        .bind(a.position)
        .bind(to_millis(a.created_at))
        .bind(to_millis(a.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_account(db: &mut impl Db, org: OrgId, a: &CompanyAccount) -> Result<bool> {
    const SQL: &str = "update company_accounts set network = $3, handle = $4, url = $5, position = $6, \
         updated_at = $7 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(a.id.0)
        .bind(&a.network)
        .bind(&a.handle)
        .bind(&a.url)
        .bind(a.position)
        .bind(to_millis(a.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete_account(db: &mut impl Db, org: OrgId, id: CompanyAccountId) -> Result<bool> {
    const SQL: &str = "delete from company_accounts where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// --------------------------------------------------------------------------------- follow lists

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowEntry {
    pub id: FollowEntryId,
    pub department_id: DepartmentId,
    /// Read with the entry; not stored.
    pub department_name: String,
    pub name: String,
    pub url: String,
    pub kind: String,
    pub note: String,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    department_id: Uuid,
    department_name: String,
    name: String,
    url: String,
    kind: String,
    note: String,
    created_by: Option<Uuid>,
    created_at: i64,
    updated_at: i64,
}

impl From<EntryRow> for FollowEntry {
    fn from(r: EntryRow) -> Self {
        Self {
            id: r.id.into(),
            department_id: r.department_id.into(),
            department_name: r.department_name,
            name: r.name,
            url: r.url,
            kind: r.kind,
            note: r.note,
            created_by: r.created_by.map(Into::into),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

macro_rules! entry_sql {
    ($tail:literal) => {
        concat!(
            "select f.id, f.department_id, d.name as department_name, f.name, f.url, f.kind, f.note, \
             f.created_by, f.created_at, f.updated_at \
             from follow_entries f join departments d on d.id = f.department_id ",
            $tail
        )
    };
}

/// Every entry of the organization, by department name then entry name.
pub async fn all_entries(db: &mut impl Db, org: OrgId) -> Result<Vec<FollowEntry>> {
    const SQL: &str = entry_sql!("where f.org_id = $1 order by d.name, f.name, f.id");
    let rows: Vec<EntryRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One department's entries, by name.
pub async fn entries(db: &mut impl Db, org: OrgId, department: DepartmentId) -> Result<Vec<FollowEntry>> {
    const SQL: &str = entry_sql!("where f.org_id = $1 and f.department_id = $2 order by f.name, f.id");
    let rows: Vec<EntryRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(department.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get_entry(db: &mut impl Db, org: OrgId, id: FollowEntryId) -> Result<Option<FollowEntry>> {
    const SQL: &str = entry_sql!("where f.org_id = $1 and f.id = $2");
    let row: Option<EntryRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

pub async fn entry_count(db: &mut impl Db, org: OrgId, department: DepartmentId) -> Result<i64> {
    const SQL: &str = "select count(*) from follow_entries where org_id = $1 and department_id = $2";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(department.0).fetch_one(c).await)?)
}

/// Adds an entry; a link already on the department's list is a `Conflict`
/// (`follow_entries_dept_url_key`).
pub async fn insert_entry(db: &mut impl Db, org: OrgId, e: &FollowEntry) -> Result<()> {
    const SQL: &str = "insert into follow_entries (id, org_id, department_id, name, url, kind, note, created_by, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    run!(db, |c| sqlx::query(SQL)
        .bind(e.id.0)
        .bind(org.0)
        .bind(e.department_id.0)
        .bind(&e.name)
        .bind(&e.url)
        .bind(&e.kind)
        .bind(&e.note)
        .bind(e.created_by.map(|u| u.0))
        .bind(to_millis(e.created_at))
        .bind(to_millis(e.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_entry(db: &mut impl Db, org: OrgId, e: &FollowEntry) -> Result<bool> {
    const SQL: &str = "update follow_entries set name = $3, url = $4, kind = $5, note = $6, updated_at = $7 \
         where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(e.id.0)
        .bind(&e.name)
        .bind(&e.url)
        .bind(&e.kind)
        .bind(&e.note)
        .bind(to_millis(e.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete_entry(db: &mut impl Db, org: OrgId, id: FollowEntryId) -> Result<bool> {
    const SQL: &str = "delete from follow_entries where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
