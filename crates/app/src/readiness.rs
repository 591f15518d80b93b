//! The social-readiness self-assessment (SPEC §3): owners and admins rate the organization over
//! six disciplines, again and again over time; everyone sees the radar, the trend and the action
//! checklist (see `chorus_domain::readiness::may_view` for why everyone).

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Action, ActionItemId, Invalid, OrgId, ReadinessId, UserId, UserStatus, authorize,
    readiness::{self, ActionStatus, Scores},
};
use chorus_store::{Db, readiness as store, users};
use time::OffsetDateTime;

pub use chorus_store::readiness::{ActionItem, Assessment};

/// The averages of one assessment.
pub fn scores(a: &Assessment) -> Scores {
    readiness::scores(a.ratings.iter().map(|(k, v)| (k.as_str(), *v)))
}

/// Every assessment of the caller's organization, oldest first.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Assessment>> {
    readiness::may_view(&caller.actor)?;
    let mut db = app.store.conn().await?;
    Ok(store::assessments(&mut db, caller.org_id()).await?)
}

/// One assessment; another organization's answers 404.
pub async fn get(app: &App, caller: &Caller, id: ReadinessId) -> Result<Assessment> {
    readiness::may_view(&caller.actor)?;
    let mut db = app.store.conn().await?;
    store::get_assessment(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

/// What an assessment form or API call carries: `(statement key, rating)` pairs.
#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub ratings: Vec<(String, i64)>,
    pub note: Option<String>,
}

/// Records an assessment (owners and admins): every shipped statement rated 1–5.
pub async fn record(app: &App, caller: &Caller, input: AssessmentInput) -> Result<Assessment> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut problems = Vec::new();
    let ratings = match readiness::check_ratings(input.ratings.iter().map(|(k, v)| (k.as_str(), *v))) {
        Ok(r) => Some(r),
        Err(list) => {
            problems.extend(list);
            None
        }
    };
    let note = readiness::note(input.note.as_deref()).map_err(|e| problems.push(e)).ok();
    let (Some(ratings), Some(note)) = (ratings, note) else { return Err(Error::Invalid(problems)) };
    let a = Assessment {
        id: ReadinessId::new(),
        note,
        created_by: caller.actor.user_id,
        created_by_name: None,
        created_at: app.now(),
        ratings: ratings.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    };
    let s = scores(&a);
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    store::insert_assessment(&mut tx, org, &a).await?;
    let averages: serde_json::Map<String, serde_json::Value> =
        s.iter().map(|(d, v)| (d.as_str().to_owned(), serde_json::json!(v))).collect();
    audit::record(
        &mut tx,
        org,
        caller,
        a.created_at,
        Entry::new("readiness.assessed")
            .target("readiness", a.id)
            .detail(serde_json::json!({"averages": averages, "overall": s.overall})),
    )
    .await?;
    tx.commit().await?;
    let mut db = app.store.conn().await?;
    store::get_assessment(&mut db, org, a.id).await?.ok_or(Error::NotFound)
}

// ----------------------------------------------------------------------------------- checklist

/// Gives the organization the default checklist the first time anyone uses it. Not audited: it
/// is the shipped starting point, not anybody's decision. Items deleted later stay deleted.
async fn ensure_seeded(db: &mut impl Db, org: OrgId, now: OffsetDateTime) -> Result<()> {
    if !store::mark_checklist_seeded(db, org, now).await? {
        return Ok(());
    }
    for (i, title) in readiness::DEFAULT_ACTIONS.iter().enumerate() {
        let item = ActionItem {
            id: ActionItemId::new(),
            position: i as i64 + 1,
            title: (*title).to_owned(),
            owner_id: None,
            owner_name: None,
            due_on: None,
            status: ActionStatus::Todo,
            created_at: now,
            updated_at: now,
        };
        store::insert_action(db, org, &item).await?;
    }
    Ok(())
}

/// The action checklist, in order (seeded with the default items on first use).
pub async fn checklist(app: &App, caller: &Caller) -> Result<Vec<ActionItem>> {
    readiness::may_view(&caller.actor)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    if !store::checklist_seeded(&mut db, org).await? {
        drop(db);
        let mut tx = app.store.tx().await?;
        ensure_seeded(&mut tx, org, app.now()).await?;
        tx.commit().await?;
        db = app.store.conn().await?;
    }
    Ok(store::actions(&mut db, org).await?)
}

/// People who can own an item: the organization's active people, by name (for forms).
pub async fn possible_owners(app: &App, caller: &Caller) -> Result<Vec<(UserId, String)>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let filter = users::ListFilter { status: Some(UserStatus::Active), ..Default::default() };
    let mut db = app.store.conn().await?;
    Ok(users::list_by_name(&mut db, caller.org_id(), &filter, 1_000)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// A new checklist item.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub title: String,
    pub owner_id: Option<UserId>,
    /// YYYY-MM-DD; empty for none.
    pub due_on: Option<String>,
    /// todo (default), doing or done.
    pub status: Option<String>,
}

/// Changes to an item: `None` leaves a field as it is; `Some(None)` clears owner or due date.
#[derive(Debug, Clone, Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub owner_id: Option<Option<UserId>>,
    pub due_on: Option<Option<String>>,
    pub status: Option<String>,
}

/// An owner must be a person of the caller's organization who has not been deactivated.
async fn check_owner(db: &mut impl Db, org: OrgId, owner: UserId) -> Result<String> {
    match users::get(db, org, owner).await? {
        None => Err(Invalid::new("owner_id", "is not a person of this organization").into()),
        Some(u) if u.status == UserStatus::Deactivated => {
            Err(Invalid::new("owner_id", "has been deactivated; choose someone active").into())
        }
        Some(u) => Ok(u.name),
    }
}

fn collect<T>(problems: &mut Vec<Invalid>, r: std::result::Result<T, Invalid>) -> Option<T> {
    r.map_err(|e| problems.push(e)).ok()
}

/// Adds an item at the end of the checklist (owners and admins).
pub async fn add_action(app: &App, caller: &Caller, input: ActionInput) -> Result<ActionItem> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut problems = Vec::new();
    let title = collect(&mut problems, readiness::action_title(&input.title));
    let due_on = collect(&mut problems, readiness::due_date(input.due_on.as_deref()));
    let status = collect(
        &mut problems,
        input
            .status
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map_or(Ok(ActionStatus::Todo), ActionStatus::parse),
    );
    let (Some(title), Some(due_on), Some(status)) = (title, due_on, status) else {
        return Err(Error::Invalid(problems));
    };
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    ensure_seeded(&mut tx, org, now).await?;
    let owner_name = match input.owner_id {
        Some(o) => Some(check_owner(&mut tx, org, o).await?),
        None => None,
    };
    let (count, position) = store::action_count_and_next_position(&mut tx, org).await?;
    if count >= readiness::MAX_ACTIONS as i64 {
        return Err(Error::Conflict(format!(
            "the checklist holds at most {} items; delete finished ones first",
            readiness::MAX_ACTIONS
        )));
    }
    let item = ActionItem {
        id: ActionItemId::new(),
        position,
        title,
        owner_id: input.owner_id,
        owner_name,
        due_on,
        status,
        created_at: now,
        updated_at: now,
    };
    store::insert_action(&mut tx, org, &item).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("readiness.action_added").target("readiness_action", item.id).detail(serde_json::json!({
            "title": item.title,
            "owner_id": item.owner_id,
            "due_on": item.due_on,
            "status": item.status.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Changes an item's title, owner, due date or status (owners and admins).
pub async fn update_action(
    app: &App,
    caller: &Caller,
    id: ActionItemId,
    changes: ActionChanges,
) -> Result<ActionItem> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut problems = Vec::new();
    let title = match &changes.title {
        Some(t) => collect(&mut problems, readiness::action_title(t)).map(Some),
        None => Some(None),
    };
    let due_on = match &changes.due_on {
        Some(d) => collect(&mut problems, readiness::due_date(d.as_deref())).map(Some),
        None => Some(None),
    };
    let status = match &changes.status {
        Some(s) => collect(&mut problems, ActionStatus::parse(s)).map(Some),
        None => Some(None),
    };
    let (Some(title), Some(due_on), Some(status)) = (title, due_on, status) else {
        return Err(Error::Invalid(problems));
    };
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let before = store::get_action(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let mut item = before.clone();
    if let Some(t) = title {
        item.title = t;
    }
    if let Some(d) = due_on {
        item.due_on = d;
    }
    if let Some(s) = status {
        item.status = s;
    }
    if let Some(owner) = changes.owner_id {
        item.owner_name = match owner {
            Some(o) => Some(check_owner(&mut tx, org, o).await?),
            None => None,
        };
        item.owner_id = owner;
    }
    item.updated_at = now;
    if !store::update_action(&mut tx, org, &item).await? {
        return Err(Error::NotFound);
    }
    let mut changed = serde_json::Map::new();
    if before.title != item.title {
        changed.insert("title".into(), serde_json::json!([before.title, item.title]));
    }
    if before.owner_id != item.owner_id {
        changed.insert("owner_id".into(), serde_json::json!([before.owner_id, item.owner_id]));
    }
    if before.due_on != item.due_on {
        changed.insert("due_on".into(), serde_json::json!([before.due_on, item.due_on]));
    }
    if before.status != item.status {
        changed.insert("status".into(), serde_json::json!([before.status.as_str(), item.status.as_str()]));
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("readiness.action_updated")
            .target("readiness_action", item.id)
            .detail(serde_json::json!({"title": item.title, "changed": changed})),
    )
    .await?;
    tx.commit().await?;
    Ok(item)
}

/// Removes an item (owners and admins).
pub async fn delete_action(app: &App, caller: &Caller, id: ActionItemId) -> Result<()> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let item = store::get_action(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if !store::delete_action(&mut tx, org, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        Entry::new("readiness.action_deleted")
            .target("readiness_action", id)
            .detail(serde_json::json!({"title": item.title})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
