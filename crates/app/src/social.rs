//! The company's own accounts directory ("follow us on …", shown on everyone's home) and each
//! department's follow list of blogs, accounts, newsletters and podcasts worth following.
//!
//! Everyone in the organization reads both. The social team, owners and admins keep the
//! directory; a department's leads (and the social team and admins) keep its list.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Action, CompanyAccountId, DepartmentId, FollowEntryId, authorize,
    social::{self, MAX_ENTRIES},
};
use chorus_store::{departments, social as store};

pub use chorus_store::social::{CompanyAccount, FollowEntry};

// ------------------------------------------------------------------------------ company accounts

/// The directory, in display order (everyone in the organization).
pub async fn accounts(app: &App, caller: &Caller) -> Result<Vec<CompanyAccount>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(store::accounts(&mut db, caller.org_id()).await?)
}

/// An account's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub network: String,
    pub handle: String,
    pub url: String,
}

/// Changes to an account: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub network: Option<String>,
    pub handle: Option<String>,
    pub url: Option<String>,
    pub position: Option<i64>,
}

fn check_account(input: &AccountInput) -> Result<(&'static str, String, String)> {
    let mut problems = crate::Problems::default();
    let network = problems.check(social::parse_network(&input.network));
    let handle = problems.check(social::parse_line("handle", &input.handle, social::MAX_HANDLE, true));
    let url = problems.check(social::parse_https_url("url", &input.url));
    problems.finish()?;
    match (network, handle, url) {
        (Some(n), Some(h), Some(u)) => Ok((n, h, u)),
        _ => Err(Error::Internal(anyhow::anyhow!("account check lost a problem"))),
    }
}

/// Adds an account at the end of the directory (social team, owners, admins).
pub async fn add_account(app: &App, caller: &Caller, input: AccountInput) -> Result<CompanyAccount> {
    social::may_manage_accounts(&caller.actor)?;
    let (network, handle, url) = check_account(&input)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (count, position) = store::account_count_and_next_position(&mut tx, org).await?;
    if count >= MAX_ENTRIES {
        return Err(Error::Conflict(format!("the directory holds at most {MAX_ENTRIES} accounts")));
    }
    let a = CompanyAccount {
        id: CompanyAccountId::new(),
        network: network.to_owned(),
        handle,
        url,
        position,
        created_at: now,
        updated_at: now,
    };
    store::insert_account(&mut tx, org, &a).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("company_account.added")
            .target("company_account", a.id)
            .detail(serde_json::json!({"network": a.network, "handle": a.handle, "url": a.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// Changes an account (social team, owners, admins).
pub async fn update_account(
    app: &App,
    caller: &Caller,
    id: CompanyAccountId,
    c: AccountChanges,
) -> Result<CompanyAccount> {
    social::may_manage_accounts(&caller.actor)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let before = store::get_account(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let input = AccountInput {
        network: c.network.unwrap_or_else(|| before.network.clone()),
        handle: c.handle.unwrap_or_else(|| before.handle.clone()),
        url: c.url.unwrap_or_else(|| before.url.clone()),
    };
    let (network, handle, url) = check_account(&input)?;
    if c.position.is_some_and(|p| !(0..=10_000).contains(&p)) {
        return Err(chorus_domain::Invalid::new("position", "must be between 0 and 10000").into());
    }
    let a = CompanyAccount {
        network: network.to_owned(),
        handle,
        url,
        position: c.position.unwrap_or(before.position),
        updated_at: now,
        ..before
    };
    if !store::update_account(&mut tx, org, &a).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("company_account.updated")
            .target("company_account", a.id)
            .detail(serde_json::json!({"network": a.network, "handle": a.handle, "url": a.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// Removes an account from the directory (social team, owners, admins).
pub async fn delete_account(app: &App, caller: &Caller, id: CompanyAccountId) -> Result<()> {
    social::may_manage_accounts(&caller.actor)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let a = store::get_account(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if !store::delete_account(&mut tx, org, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        Entry::new("company_account.removed")
            .target("company_account", id)
            .detail(serde_json::json!({"network": a.network, "handle": a.handle})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// --------------------------------------------------------------------------------- follow lists

/// One department's list.
#[derive(Debug, Clone)]
pub struct FollowList {
    pub department_id: DepartmentId,
    pub department_name: String,
    pub entries: Vec<FollowEntry>,
    /// Whether the caller may change it.
    pub editable: bool,
}

/// Every department's list (departments without entries included), by department name.
pub async fn follow_lists(app: &App, caller: &Caller) -> Result<Vec<FollowList>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let mut depts = departments::list(&mut db, org).await?;
    depts.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    let mut all = store::all_entries(&mut db, org).await?;
    Ok(depts
        .into_iter()
        .map(|d| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                std::mem::take(&mut all).into_iter().partition(|e| e.department_id == d.id);
            all = rest;
            FollowList {
                department_id: d.id,
                editable: social::may_edit_follow_list(&caller.actor, d.id).is_ok(),
                department_name: d.name,
                entries: mine,
            }
        })
        .collect())
}

/// One department's list; another organization's department answers 404.
pub async fn follow_list(app: &App, caller: &Caller, department: DepartmentId) -> Result<FollowList> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let d = departments::get(&mut db, org, department).await?.ok_or(Error::NotFound)?;
    Ok(FollowList {
        department_id: d.id,
        department_name: d.name,
        entries: store::entries(&mut db, org, department).await?,
        editable: social::may_edit_follow_list(&caller.actor, department).is_ok(),
    })
}

/// An entry's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub name: String,
    pub url: String,
    pub kind: String,
    pub note: String,
}

/// Changes to an entry: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EntryChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub kind: Option<String>,
    pub note: Option<String>,
}

fn check_entry(input: &EntryInput) -> Result<(String, String, &'static str, String)> {
    let mut problems = crate::Problems::default();
    let name = problems.check(social::parse_line("name", &input.name, social::MAX_NAME, true));
    let url = problems.check(social::parse_https_url("url", &input.url));
    let kind = problems.check(social::parse_kind(&input.kind));
    let note = problems.check(social::parse_note(&input.note));
    problems.finish()?;
    match (name, url, kind, note) {
        (Some(n), Some(u), Some(k), Some(note)) => Ok((n, u, k, note)),
        _ => Err(Error::Internal(anyhow::anyhow!("entry check lost a problem"))),
    }
}

fn duplicate(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::Conflict("this link is already on the department's list".into()),
        other => other,
    }
}

/// Adds an entry to a department's list (its leads, the social team, admins).
pub async fn add_entry(
    app: &App,
    caller: &Caller,
    department: DepartmentId,
    input: EntryInput,
) -> Result<FollowEntry> {
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let d = departments::get(&mut tx, org, department).await?.ok_or(Error::NotFound)?;
    social::may_edit_follow_list(&caller.actor, department)?;
    let (name, url, kind, note) = check_entry(&input)?;
    if store::entry_count(&mut tx, org, department).await? >= MAX_ENTRIES {
        return Err(Error::Conflict(format!("a follow list holds at most {MAX_ENTRIES} entries")));
    }
    let now = app.now();
    let e = FollowEntry {
        id: FollowEntryId::new(),
        department_id: department,
        department_name: d.name,
        name,
        url,
        kind: kind.to_owned(),
        note,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
    };
    store::insert_entry(&mut tx, org, &e).await.map_err(|e| duplicate(e.into()))?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("follow_entry.added").target("follow_entry", e.id).detail(serde_json::json!({
            "department_id": department, "name": e.name, "url": e.url, "kind": e.kind,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

/// Changes an entry (the department's leads, the social team, admins). `department` must be the
/// entry's own: an entry is never reached through another department's path.
pub async fn update_entry(
    app: &App,
    caller: &Caller,
    department: DepartmentId,
    id: FollowEntryId,
    c: EntryChanges,
) -> Result<FollowEntry> {
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let before = store::get_entry(&mut tx, org, id).await?.filter(|e| e.department_id == department);
    let before = before.ok_or(Error::NotFound)?;
    social::may_edit_follow_list(&caller.actor, before.department_id)?;
    let input = EntryInput {
        name: c.name.unwrap_or_else(|| before.name.clone()),
        url: c.url.unwrap_or_else(|| before.url.clone()),
        kind: c.kind.unwrap_or_else(|| before.kind.clone()),
        note: c.note.unwrap_or_else(|| before.note.clone()),
    };
    let (name, url, kind, note) = check_entry(&input)?;
    let now = app.now();
    let e = FollowEntry { name, url, kind: kind.to_owned(), note, updated_at: now, ..before };
    if !store::update_entry(&mut tx, org, &e).await.map_err(|e| duplicate(e.into()))? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("follow_entry.updated")
            .target("follow_entry", e.id)
            .detail(serde_json::json!({"name": e.name, "url": e.url, "kind": e.kind})),
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

/// Removes an entry (the department's leads, the social team, admins).
pub async fn delete_entry(
    app: &App,
    caller: &Caller,
    department: DepartmentId,
    id: FollowEntryId,
) -> Result<()> {
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let e = store::get_entry(&mut tx, org, id).await?.filter(|e| e.department_id == department);
    let e = e.ok_or(Error::NotFound)?;
    social::may_edit_follow_list(&caller.actor, e.department_id)?;
    if !store::delete_entry(&mut tx, org, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        Entry::new("follow_entry.removed")
            .target("follow_entry", id)
            .detail(serde_json::json!({"name": e.name, "url": e.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
