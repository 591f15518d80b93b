//! E-mail goes out through the job queue, so a slow or failing SMTP server never holds up a
//! request and a failed send is retried.

use crate::{App, Result, me::Caller};
use chorus_domain::{Action, JobId, OrgId, UserId, authorize};
use chorus_jobs::{Job, Registry};
use chorus_networks::mail::{Mailer, OutgoingEmail};
use chorus_store::Db;
use std::sync::Arc;
use time::OffsetDateTime;

/// Sends one message. The payload is the message itself (it may hold a one-time link); the
/// row is deleted once sent.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SendEmail {
    pub email: OutgoingEmail,
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";
    /// People wait for sign-in and invitation mail; link previews can wait for it.
    const PRIORITY: i32 = 5;
    /// An SMTP server that is down must not lose mail: with back-off capped at an hour, 20
    /// attempts keep trying for about 15 hours; after that the mail waits, dead, for an admin
    /// to retry it (see [`queue_view`]).
    const MAX_ATTEMPTS: i64 = 20;
}

pub fn register(registry: &mut Registry, mailer: Arc<dyn Mailer>) {
    registry.register(move |job: SendEmail| {
        let mailer = Arc::clone(&mailer);
        async move { mailer.send(&job.email).await }
    });
}

/// Queues a message inside the caller's transaction.
pub async fn queue(
    db: &mut impl Db,
    org: OrgId,
    email: OutgoingEmail,
    now: OffsetDateTime,
) -> crate::Result<()> {
    chorus_jobs::enqueue(db, &SendEmail { email }, Some(org), now).await?;
    Ok(())
}

pub fn invitation(
    to: &str,
    name: &str,
    org_name: &str,
    inviter: &str,
    link: &str,
    days: i64,
) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_owned(),
        to_name: Some(name.to_owned()),
        subject: format!("{inviter} invited you to {org_name} on Chorus"),
        text: format!(
            "Hello {name},\n\n{inviter} invited you to join {org_name} on Chorus, where everyone can \
             share what is worth publishing with the social media team.\n\nChoose your password here \
             (the link works once, for {days} days):\n\n{link}\n"
        ),
        html: None,
        list_unsubscribe: None,
    }
}

pub fn password_reset(to: &str, name: &str, org_name: &str, link: &str, minutes: i64) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_owned(),
        to_name: Some(name.to_owned()),
        subject: format!("Reset your Chorus password for {org_name}"),
        text: format!(
            "Hello {name},\n\nSomeone (hopefully you) asked to reset your Chorus password for {org_name}.\n\
             Choose a new one here (the link works once, for {minutes} minutes):\n\n{link}\n\n\
             If it was not you, ignore this message: your password stays as it is.\n"
        ),
        html: None,
        list_unsubscribe: None,
    }
}

/// The job kinds that carry e-mail.
pub const MAIL_KINDS: [&str; 2] = [SendEmail::KIND, crate::announcements::AnnouncementEmail::KIND];

/// One e-mail that has not gone out yet, as admins see it (never its body: it may hold a
/// one-time link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingMail {
    pub job_id: JobId,
    /// `queued` (waiting for its next attempt), `running`, or `dead` (out of attempts).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When the next attempt is due (queued ones).
    pub next_attempt_at: time::OffsetDateTime,
    pub to: String,
    pub subject: String,
}

/// The organization's mail queue: how many wait, how many failed for good, and the first ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    pub waiting: i64,
    pub dead: i64,
    pub items: Vec<WaitingMail>,
}

/// What an admin (or the social team) sees of mail that waits or failed.
pub async fn queue_view(app: &App, caller: &Caller, limit: i64) -> Result<QueueView> {
    authorize(&caller.actor, Action::HandleFailedJobs)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let (waiting, dead) = chorus_store::jobs::count_of_kinds(&mut db, org, &MAIL_KINDS).await?;
    let jobs = chorus_store::jobs::unfinished_of_kinds(&mut db, org, &MAIL_KINDS, limit).await?;
    let mut items = Vec::with_capacity(jobs.len());
    for j in jobs {
        let (to, subject) = if j.kind == SendEmail::KIND {
            match serde_json::from_str::<SendEmail>(&j.payload) {
                Ok(m) => (m.email.to, m.email.subject),
                Err(_) => (String::new(), String::new()),
            }
        } else {
            match serde_json::from_str::<crate::announcements::AnnouncementEmail>(&j.payload) {
                Ok(m) => {
                    let user = UserId::from(m.user_id);
                    let to = chorus_store::users::get(&mut db, org, user)
                        .await?
                        .map(|u| u.email)
                        .unwrap_or_default();
                    let title =
                        chorus_store::announcements::get(&mut db, org, user, m.announcement_id.into())
                            .await?
                            .map(|a| a.title)
                            .unwrap_or_default();
                    (to, format!("Announcement: {title}"))
                }
                Err(_) => (String::new(), String::new()),
            }
        };
        items.push(WaitingMail {
            job_id: j.id,
            state: j.state,
            attempts: j.attempts,
            last_error: j.last_error,
            next_attempt_at: j.run_at,
            to,
            subject,
        });
    }
    Ok(QueueView { waiting, dead, items })
}
