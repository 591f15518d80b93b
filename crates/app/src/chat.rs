//! Slack and Microsoft Teams incoming webhooks: admins add integrations (the webhook URL is a
//! secret, sealed at rest with the instance keyring and never shown back in full) and choose the
//! events each receives — review-queue alerts and shout-outs.
//!
//! Every message goes through the job queue, one [`ChatPost`] job per integration and event,
//! enqueued in the transaction of the change it announces. A 429 or 5xx answer (or no answer) is
//! retried with back-off, waiting at least as long as `Retry-After` asks; any other 4xx is
//! permanent: the job goes dead at once with a readable reason (shown on the jobs page and on the
//! integration), since retrying a removed webhook only fails again.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    secrets::Keyring,
};
use anyhow::Context as _;
use chorus_domain::{
    Action, ChatIntegrationId, Clock, OrgId, authorize,
    chat::{self, Answer, ChatKind, ChatMessage},
    social::{self as rules},
};
use chorus_jobs::{Job, Permanent, Registry, RetryAfter};
use chorus_networks::chat::ChatClient;
use chorus_store::{Db, Store, chat as store};
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

pub use chorus_store::chat::Integration;

pub const ACTIVE: &str = "active";
pub const PAUSED: &str = "paused";
/// Integrations an organization keeps at most.
const MAX_INTEGRATIONS: usize = 50;

/// Posts one message to one integration.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChatPost {
    pub org: OrgId,
    pub integration: ChatIntegrationId,
    /// review_queue, shoutouts or test.
    pub event: String,
    pub message: ChatMessage,
}

impl Job for ChatPost {
    const KIND: &'static str = "chat_post";
    const MAX_ATTEMPTS: i64 = 8;
}

fn url_context(id: ChatIntegrationId) -> String {
    format!("chat_integration:{id}:url")
}

// ------------------------------------------------------------------------------------ messages

/// A submission that now waits in a review queue.
#[derive(Debug, Clone)]
pub struct ReviewAlert<'a> {
    pub title: &'a str,
    pub author: &'a str,
    /// Who reviews it now: "the social media team" or "the Sales department's leads".
    pub reviewers: &'a str,
    /// A path inside Chorus (`/submissions/{id}`).
    pub link: &'a str,
}

/// A shout-out that was just posted.
#[derive(Debug, Clone)]
pub struct ShoutOut<'a> {
    pub from_name: &'a str,
    pub to_name: &'a str,
    pub message: &'a str,
    /// A path inside Chorus (`/shoutouts/{id}`) or an absolute URL.
    pub link: &'a str,
}

fn absolute(app: &App, link: &str) -> String {
    if link.starts_with("https://") || link.starts_with("http://") { link.to_owned() } else { app.url(link) }
}

/// Enqueues a post to every active integration subscribed to `event`, in the caller's
/// transaction (so the news and the change commit together).
async fn fan_out(
    db: &mut impl Db,
    org: OrgId,
    event: &str,
    message: &ChatMessage,
    now: OffsetDateTime,
) -> Result<usize> {
    let targets = store::subscribed(db, org, event).await?;
    for i in &targets {
        let job = ChatPost { org, integration: i.id, event: event.to_owned(), message: message.clone() };
        chorus_jobs::enqueue(db, &job, Some(org), now).await?;
    }
    Ok(targets.len())
}

/// Tells the integrations that receive review-queue alerts that a submission waits for review.
/// Called by `submissions` where reviewers are notified, inside its transaction.
pub async fn review_waiting(
    db: &mut impl Db,
    app: &App,
    org: OrgId,
    alert: &ReviewAlert<'_>,
    now: OffsetDateTime,
) -> Result<usize> {
    let message = ChatMessage {
        title: format!("“{}” waits for review", alert.title),
        text: format!("From {}; {} reviews it next.", alert.author, alert.reviewers),
        link: absolute(app, alert.link),
        link_label: "Review it in Chorus".into(),
    };
    fan_out(db, org, chat::REVIEW_QUEUE, &message, now).await
}

/// Tells the integrations that receive shout-outs that one was posted. Call it from the
/// shout-out use case inside its transaction; it enqueues one job per integration and returns
/// how many.
pub async fn shoutout_posted(
    db: &mut impl Db,
    app: &App,
    org: OrgId,
    s: &ShoutOut<'_>,
    now: OffsetDateTime,
) -> Result<usize> {
    let message = ChatMessage {
        title: format!("{} gave {} a shout-out", s.from_name, s.to_name),
        text: s.message.to_owned(),
        link: absolute(app, s.link),
        link_label: "See it in Chorus".into(),
    };
    fan_out(db, org, chat::SHOUTOUTS, &message, now).await
}

// ------------------------------------------------------------------------------------ the job

/// What the delivery job needs, captured when the queue is built.
#[derive(Clone)]
pub struct Poster {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub keyring: Keyring,
    pub client: ChatClient,
}

pub fn register(registry: &mut Registry, poster: Poster) {
    registry.register(move |job: ChatPost| {
        let poster = poster.clone();
        async move { poster.run(job).await }
    });
}

impl Poster {
    async fn run(&self, job: ChatPost) -> anyhow::Result<()> {
        let mut db = self.store.conn().await?;
        let Some(i) = store::get(&mut db, job.org, job.integration).await? else {
            return Ok(()); // removed meanwhile: nobody to tell
        };
        if i.status == PAUSED && job.event != "test" {
            return Ok(()); // paused: messages are dropped, not held
        }
        let kind = ChatKind::parse(&i.kind).map_err(|e| anyhow::anyhow!("stored kind: {e}"))?;
        let sealed = store::sealed_url(&mut db, job.org, job.integration).await?.context("sealed URL")?;
        let url = match self.keyring.open(&url_context(i.id), &sealed) {
            Ok(plain) => String::from_utf8(plain).context("webhook URL is UTF-8")?,
            Err(e) => {
                let why =
                    format!("the webhook URL cannot be opened ({e}); paste it into the integration again");
                store::failed(&mut db, job.org, i.id, &why, self.clock.now()).await?;
                return Err(anyhow::Error::new(Permanent(why)));
            }
        };
        drop(db);
        let answer = self.client.send(kind, &url, &job.message).await;
        let mut db = self.store.conn().await?;
        let now = self.clock.now();
        match answer {
            Answer::Delivered => {
                store::delivered(&mut db, job.org, i.id, now).await?;
                tracing::info!(integration.id = %i.id, integration.kind = %i.kind, "Posted to {}", kind.label());
                Ok(())
            }
            Answer::Retry { reason, retry_after } => {
                store::failed(&mut db, job.org, i.id, &reason, now).await?;
                match retry_after {
                    Some(s) => {
                        Err(anyhow::Error::new(RetryAfter(Duration::from_secs(s.min(3600)))).context(reason))
                    }
                    None => Err(anyhow::anyhow!(reason)),
                }
            }
            Answer::Permanent(why) => {
                store::failed(&mut db, job.org, i.id, &why, now).await?;
                Err(anyhow::Error::new(Permanent(why)))
            }
        }
    }
}

// --------------------------------------------------------------------------------- management

/// The organization's integrations, oldest first (owners and admins).
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Integration>> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut db = app.store.conn().await?;
    Ok(store::list(&mut db, caller.org_id()).await?)
}

pub async fn get(app: &App, caller: &Caller, id: ChatIntegrationId) -> Result<Integration> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

/// A new integration as typed.
#[derive(Debug, Clone, Default)]
pub struct IntegrationInput {
    pub kind: String,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// active (default) or paused.
    pub status: Option<String>,
}

/// Changes: `None` leaves a field as it is; a new `url` replaces the sealed one.
#[derive(Debug, Clone, Default)]
pub struct IntegrationChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub status: Option<String>,
}

/// A webhook URL as typed, refused at once when it names a private or reserved IP address (host
/// names are checked again when resolved, at every delivery).
fn parse_url(app: &App, raw: &str) -> std::result::Result<url::Url, chorus_domain::Invalid> {
    let allow = app.config.chat_allow_loopback;
    let u = chat::parse_webhook_url(raw, allow)?;
    chorus_networks::preview::check_url(&u, allow)
        .map_err(|_| chorus_domain::Invalid::new("url", "points to a private or reserved network address"))?;
    Ok(u)
}

fn parse_status(raw: Option<&str>) -> std::result::Result<&'static str, chorus_domain::Invalid> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("active") => Ok(ACTIVE),
        Some("paused") => Ok(PAUSED),
        Some(_) => Err(chorus_domain::Invalid::new("status", "must be active or paused")),
    }
}

/// Adds an integration (owners and admins). The URL is sealed before it is stored.
pub async fn create(app: &App, caller: &Caller, input: IntegrationInput) -> Result<Integration> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut problems = crate::Problems::default();
    let kind = problems.check(ChatKind::parse(&input.kind));
    let name = problems.check(rules::parse_line("name", &input.name, 100, true));
    let url = problems.check(parse_url(app, &input.url));
    let events = problems.check(chat::parse_events(&input.events));
    let status = problems.check(parse_status(input.status.as_deref()));
    problems.finish()?;
    let (Some(kind), Some(name), Some(url), Some(events), Some(status)) = (kind, name, url, events, status)
    else {
        return Err(Error::Internal(anyhow::anyhow!("integration check lost a problem")));
    };
    let org = caller.org_id();
    let now = app.now();
    let i = Integration {
        id: ChatIntegrationId::new(),
        kind: kind.as_str().to_owned(),
        name,
        url_hint: chat::url_hint(&url),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        status: status.to_owned(),
        last_delivered_at: None,
        last_error: None,
        last_error_at: None,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
    };
    let sealed = app.config.secrets.seal(&url_context(i.id), url.as_str().as_bytes());
    let mut tx = app.store.tx().await?;
    if store::list(&mut tx, org).await?.len() >= MAX_INTEGRATIONS {
        return Err(Error::Conflict(format!(
            "an organization keeps at most {MAX_INTEGRATIONS} integrations"
        )));
    }
    store::insert(&mut tx, org, &i, &sealed).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("chat_integration.added").target("chat_integration", i.id).detail(serde_json::json!({
            "kind": i.kind, "name": i.name, "url": i.url_hint, "events": i.events, "status": i.status,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(i)
}

/// Changes an integration (owners and admins).
pub async fn update(
    app: &App,
    caller: &Caller,
    id: ChatIntegrationId,
    c: IntegrationChanges,
) -> Result<Integration> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let mut problems = crate::Problems::default();
    let name = c.name.as_deref().map(|n| problems.check(rules::parse_line("name", n, 100, true)));
    let url = c.url.as_deref().map(|u| problems.check(parse_url(app, u)));
    let events = c.events.as_deref().map(|e| problems.check(chat::parse_events(e)));
    let status = c.status.as_deref().map(|s| problems.check(parse_status(Some(s))));
    problems.finish()?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let before = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let mut i = before.clone();
    if let Some(Some(n)) = name {
        i.name = n;
    }
    if let Some(Some(e)) = events {
        i.events = e.iter().map(|e| (*e).to_owned()).collect();
    }
    if let Some(Some(s)) = status {
        i.status = s.to_owned();
    }
    i.updated_at = now;
    let new_url = url
        .flatten()
        .map(|u| (app.config.secrets.seal(&url_context(id), u.as_str().as_bytes()), chat::url_hint(&u)));
    if let Some((_, hint)) = &new_url {
        i.url_hint = hint.clone();
        i.last_error = None;
        i.last_error_at = None;
    }
    if !store::update(&mut tx, org, &i, new_url.as_ref().map(|(s, h)| (s.as_slice(), h.as_str()))).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("chat_integration.updated").target("chat_integration", id).detail(serde_json::json!({
            "name": i.name, "events": i.events, "status": i.status, "url_changed": new_url.is_some(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(i)
}

/// Removes an integration (owners and admins); its queued messages are dropped.
pub async fn delete(app: &App, caller: &Caller, id: ChatIntegrationId) -> Result<()> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let i = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if !store::delete(&mut tx, org, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        Entry::new("chat_integration.removed")
            .target("chat_integration", id)
            .detail(serde_json::json!({"kind": i.kind, "name": i.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a test message to one integration (owners and admins), paused or not.
pub async fn send_test(app: &App, caller: &Caller, id: ChatIntegrationId) -> Result<Integration> {
    authorize(&caller.actor, Action::ManageSettings)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let i = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let message = ChatMessage {
        title: "Test message from Chorus".into(),
        text: format!(
            "The integration “{}” works: review-queue alerts and shout-outs will appear here.",
            i.name
        ),
        link: app.url("/integrations"),
        link_label: "Open the integrations page".into(),
    };
    let job = ChatPost { org, integration: id, event: "test".into(), message };
    chorus_jobs::enqueue(&mut tx, &job, Some(org), now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("chat_integration.tested").target("chat_integration", id),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(i)
}
