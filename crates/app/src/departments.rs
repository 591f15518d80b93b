//! Departments and their leads.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{Action, DepartmentId, DepartmentName, UserId, authorize, pagination::Limit};
use chorus_store::{Db, departments, users};
use time::OffsetDateTime;

pub use chorus_store::departments::{Department, Lead};

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Department>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(departments::list(&mut db, caller.org_id()).await?)
}

/// Each department's id and name, by name (cheaper than [`list`], which counts members).
pub async fn names(app: &App, caller: &Caller) -> Result<Vec<(DepartmentId, String)>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(departments::names(&mut db, caller.org_id()).await?)
}

pub async fn page(
    app: &App,
    caller: &Caller,
    after: Option<DepartmentId>,
    limit: Limit,
) -> Result<Vec<Department>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(departments::page(&mut db, caller.org_id(), after, limit.get() + 1).await?)
}

pub async fn leads(app: &App, caller: &Caller) -> Result<Vec<Lead>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(departments::leads(&mut db, caller.org_id()).await?)
}

pub async fn get(app: &App, caller: &Caller, id: DepartmentId) -> Result<Department> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    departments::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

fn taken(name: &DepartmentName) -> Error {
    Error::Conflict(format!("a department named {name:?} already exists"))
}

/// Creates a department inside a transaction (also used by CSV import and the CLI).
pub(crate) async fn insert(
    db: &mut impl Db,
    caller: &Caller,
    name: &DepartmentName,
    now: OffsetDateTime,
) -> Result<Department> {
    let id = DepartmentId::new();
    departments::insert(db, caller.org_id(), id, name.as_str(), now)
        .await
        .map_err(|e| if e.is_conflict() { taken(name) } else { e.into() })?;
    audit::record(
        db,
        caller.org_id(),
        caller,
        now,
        Entry::new("department.created")
            .target("department", id)
            .detail(serde_json::json!({"name": name.as_str()})),
    )
    .await?;
    Ok(Department { id, name: name.as_str().to_owned(), members: 0, created_at: now })
}

/// Finds a department by name, creating it when missing.
pub(crate) async fn find_or_create(
    db: &mut impl Db,
    caller: &Caller,
    name: &DepartmentName,
    now: OffsetDateTime,
) -> Result<(Department, bool)> {
    match departments::get_by_name(db, caller.org_id(), name.as_str()).await? {
        Some(d) => Ok((d, false)),
        None => Ok((insert(db, caller, name, now).await?, true)),
    }
}

pub async fn create(app: &App, caller: &Caller, name: &str) -> Result<Department> {
    authorize(&caller.actor, Action::ManageDepartments)?;
    let name = DepartmentName::parse(name)?;
    let mut tx = app.store.tx().await?;
    let dept = insert(&mut tx, caller, &name, app.now()).await?;
    tx.commit().await?;
    Ok(dept)
}

pub async fn rename(app: &App, caller: &Caller, id: DepartmentId, name: &str) -> Result<()> {
    authorize(&caller.actor, Action::ManageDepartments)?;
    let name = DepartmentName::parse(name)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let old = departments::get(&mut tx, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    departments::rename(&mut tx, caller.org_id(), id, name.as_str())
        .await
        .map_err(|e| if e.is_conflict() { taken(&name) } else { e.into() })?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("department.renamed")
            .target("department", id)
            .detail(serde_json::json!({"from": old.name, "to": name.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes a person a lead of a department, or stops them being one.
pub async fn set_lead(
    app: &App,
    caller: &Caller,
    dept: DepartmentId,
    user: UserId,
    lead: bool,
) -> Result<()> {
    authorize(&caller.actor, Action::ManageDepartments)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    departments::get(&mut tx, caller.org_id(), dept).await?.ok_or(Error::NotFound)?;
    let person = users::get(&mut tx, caller.org_id(), user).await?.ok_or(Error::NotFound)?;
    let action = if lead {
        users::add_lead(&mut tx, caller.org_id(), dept, user, now).await?;
        "department.lead_added"
    } else {
        users::remove_lead(&mut tx, caller.org_id(), dept, user).await?;
        "department.lead_removed"
    };
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new(action)
            .target("department", dept)
            .detail(serde_json::json!({"user_id": user, "name": person.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
