//! Notifications: a row in each recipient's in-app list, and an e-mail through the job queue
//! when the instance has SMTP configured and the person wants this kind right away. Written
//! inside the caller's transaction, so a decision and the news of it commit together.

use crate::{App, Error, Result, emails, mail, me::Caller};
use chorus_domain::{
    NotificationId, OrgId, UserId,
    notify::{self as domain, Delivery},
    pagination::Limit,
};
use chorus_store::{Db, notifications, preferences, users};
use time::OffsetDateTime;

pub use chorus_store::notifications::Notification;

/// One piece of news for some people.
pub struct News<'a> {
    pub kind: &'a str,
    pub title: String,
    /// A path inside Chorus, e.g. `/submissions/{id}`.
    pub link: String,
}

/// Tells each recipient once; the person who caused it is never told about their own action.
/// Everyone gets the in-app notification; e-mail goes out now only to those whose preference
/// for the kind is `immediate` (the digests collect `daily` and `weekly` ones later).
pub async fn send(
    db: &mut impl Db,
    app: &App,
    org: OrgId,
    recipients: Vec<UserId>,
    actor: Option<UserId>,
    news: &News<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    let mut seen: Vec<UserId> = Vec::new();
    for user in recipients {
        if Some(user) == actor || seen.contains(&user) {
            continue;
        }
        seen.push(user);
    }
    let batch: Vec<Notification> = seen
        .iter()
        .map(|&user| Notification {
            id: NotificationId::new(),
            user_id: user,
            kind: news.kind.to_owned(),
            title: news.title.clone(),
            link: news.link.clone(),
            read_at: None,
            created_at: now,
        })
        .collect();
    notifications::insert_many(db, org, &batch).await?;
    if !app.config.email_notifications {
        return Ok(());
    }
    for user in seen {
        if delivery_of(db, org, user, news.kind).await? != Delivery::Immediate {
            continue;
        }
        if let Some((name, email)) = users::contact(db, org, user).await? {
            let to = emails::To { org, user, name: &name, email: &email };
            let message =
                emails::notification(&emails::Links::of(app), &to, news.kind, &news.title, &news.link);
            mail::queue(db, org, message, now).await?;
        }
    }
    Ok(())
}

/// The delivery in effect for one person and kind.
pub async fn delivery_of(db: &mut impl Db, org: OrgId, user: UserId, kind: &str) -> Result<Delivery> {
    let stored = preferences::of_user(db, org, user).await?;
    Ok(domain::effective(kind, parsed(&stored)))
}

fn parsed(stored: &[(String, String)]) -> impl Iterator<Item = (&str, Delivery)> {
    stored.iter().filter_map(|(k, d)| Delivery::parse(d).ok().map(|d| (k.as_str(), d)))
}

/// One line of a person's preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    pub kind: &'static str,
    pub label: &'static str,
    pub delivery: Delivery,
    pub default: Delivery,
    pub allowed: &'static [Delivery],
}

/// The caller's choice for every kind (defaults where they chose nothing).
pub async fn preferences(app: &App, caller: &Caller) -> Result<Vec<Preference>> {
    let me = caller.actor.user_id.ok_or(Error::Unauthenticated("sign in as a person"))?;
    let mut db = app.store.conn().await?;
    let stored = preferences::of_user(&mut db, caller.org_id(), me).await?;
    Ok(domain::KINDS
        .iter()
        .map(|k| Preference {
            kind: k.name,
            label: k.label,
            delivery: domain::effective(k.name, parsed(&stored)),
            default: k.default,
            allowed: k.allowed,
        })
        .collect())
}

/// Changes some of the caller's choices: `(kind, delivery)` pairs, all checked before any is
/// saved (one bad pair changes nothing).
pub async fn set_preferences(
    app: &App,
    caller: &Caller,
    changes: &[(String, String)],
) -> Result<Vec<Preference>> {
    let me = caller.actor.user_id.ok_or(Error::Unauthenticated("sign in as a person"))?;
    let mut problems = Vec::new();
    let mut parsed_changes = Vec::new();
    for (kind, delivery) in changes {
        match domain::parse_choice(kind, delivery) {
            Ok(c) => parsed_changes.push(c),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let now = app.now();
    let mut tx = app.store.tx().await?;
    for (kind, delivery) in parsed_changes {
        preferences::set(&mut tx, caller.org_id(), me, kind, delivery.as_str(), now).await?;
    }
    tx.commit().await?;
    preferences(app, caller).await
}

pub async fn list(
    app: &App,
    caller: &Caller,
    before: Option<NotificationId>,
    limit: Limit,
) -> Result<Vec<Notification>> {
    let Some(me) = caller.actor.user_id else { return Ok(Vec::new()) };
    let mut db = app.store.conn().await?;
    Ok(notifications::list(&mut db, caller.org_id(), me, before, limit.get() + 1).await?)
}

pub async fn unread(app: &App, caller: &Caller) -> Result<i64> {
    let Some(me) = caller.actor.user_id else { return Ok(0) };
    let mut db = app.store.conn().await?;
    Ok(notifications::unread_count(&mut db, caller.org_id(), me).await?)
}

/// Marks one notification read, or all of them with `None`.
pub async fn mark_read(app: &App, caller: &Caller, id: Option<NotificationId>) -> Result<u64> {
    let Some(me) = caller.actor.user_id else { return Ok(0) };
    let mut db = app.store.conn().await?;
    Ok(notifications::mark_read(&mut db, caller.org_id(), me, id, app.now()).await?)
}
