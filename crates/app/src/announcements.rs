//! Announcements (SPEC §3 Communication): company-wide or per department, pinned or not, in
//! Markdown, with read tracking. Publishing one tells its whole audience in the app (one
//! multi-row write, however large the company) and queues e-mail for those who want
//! announcements right away (one small job per person, rendered when sent, so an unsubscribe in
//! the meantime is honoured).

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    emails,
    me::Caller,
};
use chorus_domain::{
    AnnouncementId, DepartmentId, NotificationId, OrgId, UserId,
    notify::{self as domain, Delivery},
    pagination::Limit,
};
use chorus_jobs::{Job, Registry};
use chorus_networks::mail::Mailer;
use chorus_store::{
    Db, Store, announcements as store, departments, notifications, notifications::Notification, preferences,
    users,
};
use std::{collections::HashMap, sync::Arc};

pub use chorus_store::announcements::Announcement;

pub const KIND: &str = "announcement";

/// The path of an announcement's page.
pub fn path(id: AnnouncementId) -> String {
    format!("/announcements/{id}")
}

/// What an author writes.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub department_id: Option<DepartmentId>,
    pub pinned: bool,
}

/// Who received an announcement and whether e-mail went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOut {
    pub notified: usize,
    pub emails_queued: usize,
}

/// Publishes an announcement and tells its audience.
pub async fn publish(app: &App, caller: &Caller, draft: &Draft) -> Result<(Announcement, FanOut)> {
    domain::may_announce(&caller.actor, draft.department_id)?;
    let mut problems = Vec::new();
    let title = domain::announcement_title(&draft.title).map_err(|e| problems.push(e)).ok();
    let body = domain::announcement_body(&draft.body).map_err(|e| problems.push(e)).ok();
    let (Some(title), Some(body)) = (title, body) else { return Err(Error::Invalid(problems)) };
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let department_name = match draft.department_id {
        None => None,
        Some(d) => Some(
            departments::get(&mut tx, org, d)
                .await?
                .ok_or_else(|| {
                    Error::from(chorus_domain::Invalid::new("department_id", "is not a department here"))
                })?
                .name,
        ),
    };
    let audience: Vec<UserId> = store::audience(&mut tx, org, draft.department_id)
        .await?
        .into_iter()
        .filter(|u| Some(*u) != caller.actor.user_id)
        .collect();
    let a = Announcement {
        id: AnnouncementId::new(),
        department_id: draft.department_id,
        department_name,
        author_id: caller.actor.user_id,
        author_name: None,
        title,
        body,
        pinned: draft.pinned,
        audience: audience.len() as i64,
        reads: 0,
        read_by_me: false,
        created_at: now,
    };
    store::insert(&mut tx, org, &a).await?;
    let fan_out = fan_out(&mut tx, app, org, &a, &audience).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("announcement.published").target("announcement", a.id).detail(serde_json::json!({
            "department_id": a.department_id, "pinned": a.pinned, "audience": a.audience,
        })),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    tracing::info!(
        announcement.id = %a.id,
        notified = fan_out.notified,
        emails = fan_out.emails_queued,
        "Published announcement {} to {} people",
        a.id,
        fan_out.notified
    );
    Ok((a, fan_out))
}

/// The in-app notifications (multi-row) and the e-mail jobs (multi-row) of one announcement.
pub async fn fan_out(
    db: &mut impl Db,
    app: &App,
    org: OrgId,
    a: &Announcement,
    audience: &[UserId],
) -> Result<FanOut> {
    let link = path(a.id);
    let title = match &a.department_name {
        Some(d) => format!("{d}: {}", a.title),
        None => a.title.clone(),
    };
    let batch: Vec<Notification> = audience
        .iter()
        .map(|&user| Notification {
            id: NotificationId::new(),
            user_id: user,
            kind: KIND.to_owned(),
            title: title.clone(),
            link: link.clone(),
            read_at: None,
            created_at: a.created_at,
        })
        .collect();
    notifications::insert_many(db, org, &batch).await?;
    let mut emails_queued = 0;
    if app.config.email_notifications {
        let stored: HashMap<uuid::Uuid, Delivery> = preferences::of_kind(db, org, KIND)
            .await?
            .into_iter()
            .filter_map(|(u, d)| Delivery::parse(&d).ok().map(|d| (u, d)))
            .collect();
        let default = domain::kind(KIND).default;
        let jobs: Vec<AnnouncementEmail> = audience
            .iter()
            .filter(|u| stored.get(&u.0).copied().unwrap_or(default) == Delivery::Immediate)
            .map(|u| AnnouncementEmail { org_id: org.0, announcement_id: a.id.0, user_id: u.0 })
            .collect();
        chorus_jobs::enqueue_many(db, &jobs, Some(org), a.created_at).await?;
        emails_queued = jobs.len();
    }
    Ok(FanOut { notified: batch.len(), emails_queued })
}

/// Whether the caller sees every announcement (admins, the social team).
fn sees_all(caller: &Caller) -> bool {
    caller.actor.role.is_admin() || caller.actor.role == chorus_domain::Role::Social
}

fn may_see(caller: &Caller, a: &Announcement) -> bool {
    match a.department_id {
        None => true,
        Some(d) => {
            sees_all(caller)
                || caller.actor.department_id == Some(d)
                || caller.actor.leads.contains(&d)
                || (a.author_id.is_some() && a.author_id == caller.actor.user_id)
        }
    }
}

fn viewer(caller: &Caller) -> UserId {
    caller.actor.user_id.unwrap_or(UserId(uuid::Uuid::nil()))
}

/// The announcements the caller may see, newest first.
pub async fn list(
    app: &App,
    caller: &Caller,
    before: Option<AnnouncementId>,
    limit: Limit,
    pinned_only: bool,
) -> Result<Vec<Announcement>> {
    let mut db = app.store.conn().await?;
    let q = store::ListQuery {
        viewer: viewer(caller),
        department: caller.actor.department_id,
        all: sees_all(caller),
        pinned_only,
        before,
        limit: i64::from(limit.get()) + 1,
    };
    let mut rows = store::list(&mut db, caller.org_id(), &q).await?;
    // A lead also sees the departments they lead (rare: a lead outside their own department).
    rows.retain(|a| may_see(caller, a));
    Ok(rows)
}

/// One announcement; another organization's, or another department's, answers 404.
pub async fn get(app: &App, caller: &Caller, id: AnnouncementId) -> Result<Announcement> {
    let mut db = app.store.conn().await?;
    let a = store::get(&mut db, caller.org_id(), viewer(caller), id).await?.ok_or(Error::NotFound)?;
    if !may_see(caller, &a) {
        return Err(Error::NotFound);
    }
    Ok(a)
}

/// Whether the caller may see the read counts ("N of M read"): its author, admins, the team.
pub fn sees_reads(caller: &Caller, a: &Announcement) -> bool {
    sees_all(caller) || (a.author_id.is_some() && a.author_id == caller.actor.user_id)
}

/// Records that the caller read it (and marks its notification read).
pub async fn mark_read(app: &App, caller: &Caller, id: AnnouncementId) -> Result<Announcement> {
    let me = caller.actor.user_id.ok_or(Error::Unauthenticated("sign in as a person"))?;
    get(app, caller, id).await?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    store::mark_read(&mut tx, org, id, me, now).await?;
    notifications::mark_read_by_link(&mut tx, org, me, &path(id), now).await?;
    tx.commit().await?;
    get(app, caller, id).await
}

// ---------------------------------------------------------------------------------------- e-mail

/// One person's e-mail about one announcement: ids only, rendered when sent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AnnouncementEmail {
    pub org_id: uuid::Uuid,
    pub announcement_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
}

impl Job for AnnouncementEmail {
    const KIND: &'static str = "announcement_email";
    const PRIORITY: i32 = 4;
    /// As for every e-mail: an SMTP outage must not lose it (see `mail::SendEmail`).
    const MAX_ATTEMPTS: i64 = 20;
}

pub fn register(registry: &mut Registry, parts: MailParts) {
    let parts = Arc::new(parts);
    registry.register(move |job: AnnouncementEmail| {
        let parts = Arc::clone(&parts);
        async move { parts.send_announcement(job).await }
    });
}

/// What the announcement e-mail handler needs.
pub struct MailParts {
    pub store: Store,
    pub mailer: Arc<dyn Mailer>,
    pub links: emails::Links,
}

impl MailParts {
    async fn send_announcement(&self, job: AnnouncementEmail) -> anyhow::Result<()> {
        let org = OrgId::from(job.org_id);
        let user = UserId::from(job.user_id);
        let mut db = self.store.conn().await?;
        let Some(a) = store::get(&mut db, org, user, job.announcement_id.into()).await? else {
            return Ok(());
        };
        let Some((name, email)) = users::contact(&mut db, org, user).await? else { return Ok(()) };
        // They may have turned announcement e-mail off since it was queued.
        if crate::notify::delivery_of(&mut db, org, user, KIND).await.map_err(|e| anyhow::anyhow!("{e}"))?
            != Delivery::Immediate
        {
            return Ok(());
        }
        drop(db);
        let audience = a.department_name.clone().unwrap_or_else(|| "Company-wide".to_owned());
        let to = emails::To { org, user, name: &name, email: &email };
        let message = emails::announcement(
            &self.links,
            &to,
            &emails::AnnouncementMail {
                audience: &audience,
                title: &a.title,
                body: &a.body,
                author: a.author_name.as_deref(),
                path: &path(a.id),
            },
        );
        self.mailer.send(&message).await
    }
}
