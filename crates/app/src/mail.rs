//! E-mail goes out through the job queue, so a slow or failing SMTP server never holds up a
//! request and a failed send is retried.

use chorus_domain::OrgId;
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
    }
}
