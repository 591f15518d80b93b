//! Notifications: a row in each recipient's in-app list, and an e-mail through the job queue
//! when the instance has SMTP configured. Written inside the caller's transaction, so a
//! decision and the news of it commit together.

use crate::{App, Result, mail, me::Caller};
use chorus_domain::{NotificationId, OrgId, UserId, pagination::Limit};
use chorus_networks::mail::OutgoingEmail;
use chorus_store::{Db, notifications, users};
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
        let n = Notification {
            id: NotificationId::new(),
            user_id: user,
            kind: news.kind.to_owned(),
            title: news.title.clone(),
            link: news.link.clone(),
            read_at: None,
            created_at: now,
        };
        notifications::insert(db, org, &n).await?;
        if app.config.email_notifications
            && let Some((name, email)) = users::contact(db, org, user).await?
        {
            let link = app.url(&news.link);
            let message = OutgoingEmail {
                to: email,
                to_name: Some(name.clone()),
                subject: news.title.clone(),
                text: format!("Hello {name},\n\n{}\n\n{link}\n", news.title),
                html: None,
            };
            mail::queue(db, org, message, now).await?;
        }
    }
    Ok(())
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
