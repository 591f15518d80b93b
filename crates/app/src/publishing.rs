//! Channels, posts and the publish job (SPEC §2 steps 4–5).
//!
//! Exactly once in effect (see `docs/publishing.md`): a post is marked `publishing`, with the
//! time, in a committed write *before* the network is called. A post found `publishing` later
//! has an attempt whose outcome is unknown; it is retried only where the network deduplicates
//! repeats, otherwise looked up on the network, and where the network cannot be asked it is
//! parked as `unconfirmed` for a person to decide.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use chorus_domain::{
    Action, ChannelId, Clock, Invalid, PostId, SubmissionId, authorize,
    cadence::Cadence,
    clock::to_millis,
    guidelines::{Limits, measure},
    publishing::{ChannelNetwork, PostStatus, caption_for_post, fit},
    submission::Status,
};
use chorus_jobs::{Job, Registry, RetryAfter};
use chorus_media::{MediaVariant, ObjectKey, ObjectStore};
use chorus_networks::publish::{
    Connector, Image, Lookup, Outbound, PublishError, Published, RetrySafety,
    bluesky::{Bluesky, Session},
    facebook::{self, Facebook},
    http_client,
    linkedin::{self, LinkedIn},
    mastodon::Mastodon,
    oauth::{OAuthApp, Token},
    webhook::Webhook,
    x::{self, X},
};
use chorus_store::{Db, Store, channels, posts, submissions};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use chorus_store::{channels::Channel, posts::Post};

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    me::Caller,
    secrets::Keyring,
};

/// What the social team fills in to add a channel.
#[derive(Debug, Clone, Default)]
pub struct ChannelInput {
    pub network: String,
    pub name: String,
    pub base_url: Option<String>,
    /// Network credentials as given (field names per network, see `ChannelNetwork::credential_fields`).
    pub credentials: serde_json::Map<String, serde_json::Value>,
    pub cadence: Option<Cadence>,
}

fn credentials_context(id: ChannelId) -> String {
    format!("channel:{}:credentials", id.0)
}

/// Networks whose connector is built; the others are refused at creation with a clear message
/// rather than accepted and failing at publish time.
fn available(network: ChannelNetwork) -> bool {
    // Every network has its connector now; kept as the one place to switch one off.
    ChannelNetwork::ALL.contains(&network)
}

pub async fn create_channel(app: &App, caller: &Caller, input: ChannelInput) -> Result<Channel> {
    authorize(&caller.actor, Action::ManageChannels)?;
    let mut p = Problems::default();
    let network = p.check(input.network.parse::<ChannelNetwork>());
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        p.check::<()>(Err(Invalid::new("name", "is required (at most 100 characters)")));
    }
    let base_url = input.base_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
    if let Some(u) = &base_url {
        p.check(http_url(u, "base_url"));
    }
    let cadence = input.cadence.unwrap_or_default();
    p.check(cadence.validate());
    let mut credentials = serde_json::Map::new();
    if let Some(network) = network {
        if !available(network) {
            p.check::<()>(Err(Invalid::new(
                "network",
                format!("{} channels are not available yet on this server", network.label()),
            )));
        }
        if network == ChannelNetwork::Mastodon && base_url.is_none() {
            p.check::<()>(Err(Invalid::new(
                "base_url",
                "is the Mastodon instance, e.g. https://mastodon.social",
            )));
        }
        credentials = checked_credentials(&mut p, network, &input.credentials);
    }
    p.finish()?;
    let network = network.expect("checked");
    let id = ChannelId::new();
    let now = app.now();
    let sealed = app
        .config
        .secrets
        .seal(&credentials_context(id), serde_json::Value::Object(credentials).to_string().as_bytes());
    let cadence_json = serde_json::to_string(&cadence).context("cadence as JSON")?;
    let mut tx = app.store.tx().await?;
    channels::insert(
        &mut tx,
        caller.org_id(),
        &channels::NewChannel {
            id,
            network: network.as_str(),
            name: &name,
            base_url: base_url.as_deref(),
            sealed_credentials: &sealed,
            cadence: &cadence_json,
            created_by: caller.actor.user_id,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("channel.created")
            .target("channel", id)
            .detail(serde_json::json!({"network": network.as_str(), "name": name})),
    )
    .await?;
    let channel = channels::get(&mut tx, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(channel)
}

/// The network's credential fields, each required, trimmed and bounded; a webhook's URL must be
/// http(s). Problems are added to `p`.
fn checked_credentials(
    p: &mut Problems,
    network: ChannelNetwork,
    given: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut credentials = serde_json::Map::new();
    for field in network.credential_fields() {
        match given.get(*field).and_then(|v| v.as_str()).map(str::trim) {
            Some(v) if !v.is_empty() && v.len() <= 4096 => {
                credentials.insert((*field).to_owned(), v.into());
            }
            _ => {
                p.check::<()>(Err(Invalid::new("credentials", format!("{field} is required"))));
            }
        }
    }
    for field in network.optional_credential_fields() {
        match given.get(*field).and_then(|v| v.as_str()).map(str::trim) {
            Some(v) if v.len() > 4096 => {
                p.check::<()>(Err(Invalid::new("credentials", format!("{field} is too long"))));
            }
            Some(v) if !v.is_empty() => {
                credentials.insert((*field).to_owned(), v.into());
            }
            _ => {}
        }
    }
    if let Some(at) = credentials.get("expires_at").and_then(|v| v.as_str())
        && at.parse::<i64>().is_err()
    {
        p.check::<()>(Err(Invalid::new("credentials", "expires_at is the token's expiry in Unix seconds")));
    }
    for field in ["url", "token_url"] {
        if let Some(url) = credentials.get(field).and_then(|v| v.as_str()) {
            p.check(http_url(url, "credentials"));
        }
    }
    credentials
}

/// New credentials for a channel (a renewed token): sealed, the channel active again, and the
/// posts it held while it needed attention sent now.
pub async fn renew_credentials(
    app: &App,
    caller: &Caller,
    id: ChannelId,
    given: serde_json::Map<String, serde_json::Value>,
) -> Result<Channel> {
    authorize(&caller.actor, Action::ManageChannels)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let channel = channels::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let network: ChannelNetwork = channel.network.parse()?;
    let mut p = Problems::default();
    let credentials = checked_credentials(&mut p, network, &given);
    p.finish()?;
    let sealed = app
        .config
        .secrets
        .seal(&credentials_context(id), serde_json::Value::Object(credentials).to_string().as_bytes());
    channels::renew(&mut tx, org, id, &sealed, now).await?;
    let held = posts::overdue_of_channel(&mut tx, org, id, now).await?;
    for post in &held {
        PublishPost::enqueue_for(&mut tx, org, post.id, post.scheduled_at, now, now).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("channel.credentials_renewed")
            .target("channel", id)
            .detail(serde_json::json!({"held_posts_released": held.len()})),
    )
    .await?;
    let channel = channels::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    app.queue.wake();
    Ok(channel)
}

// ---- Connecting a Mastodon account by OAuth -------------------------------------------------------

/// A connection waiting for the person to approve Chorus on their instance. Kept sealed in a
/// short-lived cookie in their browser (so any instance can finish it), never in the database.
#[derive(Serialize, Deserialize)]
struct PendingConnect {
    state: String,
    org: uuid::Uuid,
    user: uuid::Uuid,
    name: String,
    instance: String,
    app: chorus_networks::publish::mastodon::RegisteredApp,
    expires_at: i64,
}

const CONNECT_CONTEXT: &str = "mastodon-connect";
/// How long the person has to approve Chorus on their instance.
pub const CONNECT_MINUTES: i64 = 15;

/// Where to send the person, and what to keep in their browser until they come back.
pub struct MastodonConnect {
    pub authorize_url: String,
    pub pending: String,
}

fn connect_redirect_uri(app: &App) -> String {
    format!("{}/channels/connect/mastodon/callback", app.config.base_url.trim_end_matches('/'))
}

/// Registers Chorus on the instance and prepares the approval step.
pub async fn start_mastodon_connect(
    app: &App,
    caller: &Caller,
    name: &str,
    instance: &str,
) -> Result<MastodonConnect> {
    authorize(&caller.actor, Action::ManageChannels)?;
    let name = name.trim();
    let instance = instance.trim().trim_end_matches('/');
    let mut p = Problems::default();
    if name.is_empty() || name.chars().count() > 100 {
        p.check::<()>(Err(Invalid::new("name", "is required (at most 100 characters)")));
    }
    p.check(http_url(instance, "base_url"));
    p.finish()?;
    let user = caller.actor.user_id.ok_or(Error::Unauthenticated("connecting an account needs a person"))?;
    let http = http_client(Duration::from_secs(15)).context("build an HTTP client")?;
    let redirect_uri = connect_redirect_uri(app);
    let registered =
        chorus_networks::publish::mastodon::register_app(&http, instance, &redirect_uri).await.map_err(
            |e| Invalid::new("base_url", format!("could not register Chorus with that instance ({e})")),
        )?;
    let state = crate::security::random_token();
    let authorize_url = chorus_networks::publish::mastodon::authorize_url(
        instance,
        &registered.client_id,
        &redirect_uri,
        &state,
    );
    let pending = PendingConnect {
        state,
        org: caller.org_id().0,
        user: user.0,
        name: name.to_owned(),
        instance: instance.to_owned(),
        app: registered,
        expires_at: (app.now() + time::Duration::minutes(CONNECT_MINUTES)).unix_timestamp(),
    };
    let plain = serde_json::to_vec(&pending).context("pending connection as JSON")?;
    let sealed = app.config.secrets.seal(CONNECT_CONTEXT, &plain);
    use base64::Engine as _;
    Ok(MastodonConnect {
        authorize_url,
        pending: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed),
    })
}

/// The person came back from their instance with a code: the account becomes a channel.
pub async fn finish_mastodon_connect(
    app: &App,
    caller: &Caller,
    pending: &str,
    state: &str,
    code: &str,
) -> Result<Channel> {
    authorize(&caller.actor, Action::ManageChannels)?;
    use base64::Engine as _;
    let expired = || Error::Gone("this connection attempt has expired; start again from the channels page");
    let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(pending).map_err(|_| expired())?;
    let plain = app.config.secrets.open(CONNECT_CONTEXT, &sealed).map_err(|_| expired())?;
    let pending: PendingConnect = serde_json::from_slice(&plain).map_err(|_| expired())?;
    let same_person =
        caller.actor.user_id.is_some_and(|u| u.0 == pending.user) && caller.org_id().0 == pending.org;
    if pending.expires_at < app.now().unix_timestamp()
        || !same_person
        || !crate::security::constant_time_eq(pending.state.as_bytes(), state.as_bytes())
    {
        return Err(expired());
    }
    let http = http_client(Duration::from_secs(15)).context("build an HTTP client")?;
    let redirect_uri = connect_redirect_uri(app);
    let refused = |e: PublishError| Error::Conflict(format!("the instance did not give Chorus access: {e}"));
    let token = chorus_networks::publish::mastodon::exchange_code(
        &http,
        &pending.instance,
        &pending.app,
        code,
        &redirect_uri,
    )
    .await
    .map_err(refused)?;
    let account = chorus_networks::publish::mastodon::verify_credentials(&http, &pending.instance, &token)
        .await
        .map_err(refused)?;
    let mut credentials = serde_json::Map::new();
    credentials.insert("access_token".into(), token.into());
    credentials.insert("client_id".into(), pending.app.client_id.into());
    credentials.insert("client_secret".into(), pending.app.client_secret.into());
    let channel = create_channel(
        app,
        caller,
        ChannelInput {
            network: ChannelNetwork::Mastodon.as_str().into(),
            name: pending.name,
            base_url: Some(pending.instance),
            credentials,
            cadence: None,
        },
    )
    .await?;
    tracing::info!(channel = %channel.id, account = %account.acct, "Connected a Mastodon account");
    Ok(channel)
}

fn http_url(s: &str, field: &'static str) -> std::result::Result<(), Invalid> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(Invalid::new(field, "must be an http(s) URL")),
    }
}

/// Every channel of the organization: anyone signed in may see where the company posts.
pub async fn channels(app: &App, caller: &Caller) -> Result<Vec<Channel>> {
    let mut db = app.store.conn().await?;
    Ok(channels::list(&mut db, caller.org_id()).await?)
}

pub async fn channel(app: &App, caller: &Caller, id: ChannelId) -> Result<Channel> {
    let mut db = app.store.conn().await?;
    channels::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

pub fn cadence_of(channel: &Channel) -> Cadence {
    serde_json::from_str(&channel.cadence).unwrap_or_default()
}

/// What the social team fills in to place content on a channel.
#[derive(Debug, Clone)]
pub struct PostInput {
    pub submission_id: SubmissionId,
    pub channel_id: ChannelId,
    /// `None`: the caption, shortened to fit the network.
    pub text: Option<String>,
    /// `None`: the channel's next free slot.
    pub scheduled_at: Option<OffsetDateTime>,
    /// Which of the submission's images to carry; `None`: all of them.
    pub media_ids: Option<Vec<uuid::Uuid>>,
}

/// Posts may be placed from now on; a little slack covers the time a form takes to send.
const PAST_SLACK: time::Duration = time::Duration::minutes(1);

pub async fn create_post(app: &App, caller: &Caller, input: PostInput) -> Result<Post> {
    authorize(&caller.actor, Action::SchedulePosts)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let submission = submissions::get(&mut tx, org, input.submission_id).await?.ok_or(Error::NotFound)?;
    // What the caller may not see does not exist for them (a private draft, say).
    let authors = submissions::authors(&mut tx, org, submission.id).await?;
    let standing = crate::submissions::standing(caller, &submission, &authors);
    if !chorus_domain::submission::visible(submission.status, submission.kind, standing) {
        return Err(Error::NotFound);
    }
    if !matches!(submission.status, Status::Approved | Status::Scheduled | Status::Published) {
        return Err(Error::Conflict(format!(
            "only approved content can be posted; this is {}",
            submission.status.as_str().replace('_', " ")
        )));
    }
    let channel = channels::get(&mut tx, org, input.channel_id)
        .await?
        .ok_or_else(|| Error::from(Invalid::new("channel_id", "is not a channel of this organization")))?;
    let network: ChannelNetwork = channel.network.parse()?;
    let settings =
        chorus_domain::settings::OrgSettings::from_json(&chorus_store::settings::get(&mut tx, org).await?);
    let limits = Limits::default().with_mastodon(settings.mastodon_limit);
    let text = match input.text.as_deref().map(str::trim) {
        Some(t) => t.to_owned(),
        None => {
            let caption = caption_for_post(&submission.body, submission.link.as_deref());
            match network.counted_as() {
                Some(n) => fit(&caption, n, &limits),
                None => caption,
            }
        }
    };
    if text.is_empty() && network != ChannelNetwork::Blog {
        return Err(Invalid::new("text", "is empty").into());
    }
    if text.len() > 100_000 {
        return Err(Invalid::new("text", "is too long").into());
    }
    if let Some(n) = network.counted_as() {
        let length = measure(n, &text, &limits);
        if !length.fits {
            return Err(Invalid::new(
                "text",
                format!(
                    "is {} long as {} counts it; the limit is {}",
                    length.length,
                    n.label(),
                    length.limit
                ),
            )
            .into());
        }
    }
    if let Some(chosen) = &input.media_ids {
        let images: Vec<uuid::Uuid> = chorus_store::media::of_submission(&mut tx, org, submission.id)
            .await?
            .into_iter()
            .filter(|m| m.class == "image")
            .map(|m| m.id.0)
            .collect();
        if chosen.iter().any(|m| !images.contains(m)) {
            return Err(Invalid::new("media_ids", "may only name images of this submission").into());
        }
    }
    let cadence = cadence_of(&channel);
    let taken =
        posts::taken_slots(&mut tx, channel.id, now - time::Duration::days(2), far_future(now), None).await?;
    let scheduled_at = match input.scheduled_at {
        Some(at) => {
            if at < now - PAST_SLACK {
                return Err(Invalid::new("scheduled_at", "is in the past").into());
            }
            guard(&channel, &cadence, at, &taken)?;
            at
        }
        None => cadence.next_free(now, &taken).ok_or_else(|| Error::Cadence {
            message: format!("{} has no free slot in the next year", channel.name),
            next_free: None,
        })?,
    };
    let id = PostId::new();
    posts::insert(
        &mut tx,
        org,
        &posts::NewPost {
            id,
            submission_id: submission.id,
            channel_id: channel.id,
            text: &text,
            scheduled_at,
            created_by: caller.actor.user_id,
            media: input.media_ids.as_deref(),
        },
        now,
    )
    .await?;
    if submission.status == Status::Approved {
        submissions::set_status(&mut tx, org, submission.id, submission.version, Status::Scheduled, now)
            .await?;
    }
    PublishPost::enqueue(&mut tx, org, id, scheduled_at, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("post.scheduled").target("post", id).detail(serde_json::json!({
            "submission": submission.id, "channel": channel.id, "scheduled_at": to_millis(scheduled_at)
        })),
    )
    .await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    app.queue.wake();
    Ok(post)
}

/// What a post of a submission would look like on one channel, before it is scheduled.
#[derive(Debug, Clone)]
pub struct PostPreview {
    pub channel: Channel,
    /// The caption, shortened to fit the network.
    pub text: String,
    /// Its length as the network counts it, and the network's limit (`None`: no limit).
    pub length: usize,
    pub limit: Option<usize>,
    /// The network's name for what it counts ("characters", "graphemes", …), for the label.
    pub counted_as: Option<&'static str>,
}

/// A preview per channel of how the submission would go out (for the scheduling forms).
pub async fn previews(app: &App, caller: &Caller, id: SubmissionId) -> Result<Vec<PostPreview>> {
    authorize(&caller.actor, Action::SchedulePosts)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let submission = submissions::get(&mut db, org, id).await?.ok_or(Error::NotFound)?;
    let settings =
        chorus_domain::settings::OrgSettings::from_json(&chorus_store::settings::get(&mut db, org).await?);
    let limits = Limits::default().with_mastodon(settings.mastodon_limit);
    let caption = caption_for_post(&submission.body, submission.link.as_deref());
    let mut out = Vec::new();
    for channel in channels::list(&mut db, org).await? {
        let Ok(network) = channel.network.parse::<ChannelNetwork>() else { continue };
        let preview = match network.counted_as() {
            Some(n) => {
                let text = fit(&caption, n, &limits);
                let length = measure(n, &text, &limits);
                PostPreview {
                    channel,
                    length: length.length,
                    limit: Some(length.limit),
                    counted_as: Some(n.label()),
                    text,
                }
            }
            None => PostPreview {
                channel,
                length: caption.chars().count(),
                limit: None,
                counted_as: None,
                text: caption.clone(),
            },
        };
        out.push(preview);
    }
    Ok(out)
}

/// The cadence guard's verdict as a use-case error, naming the channel.
fn guard(channel: &Channel, cadence: &Cadence, at: OffsetDateTime, taken: &[OffsetDateTime]) -> Result<()> {
    cadence.check(at, taken).map_err(|refusal| Error::Cadence {
        message: format!("{} on {}", refusal.reason, channel.name),
        next_free: refusal.next_free,
    })
}

fn far_future(now: OffsetDateTime) -> OffsetDateTime {
    now + time::Duration::days(chorus_domain::cadence::HORIZON_DAYS + 2)
}

/// Moves a scheduled (or failed) post to another time, under the channel's cadence guard.
pub async fn reschedule_post(app: &App, caller: &Caller, id: PostId, at: OffsetDateTime) -> Result<Post> {
    authorize(&caller.actor, Action::SchedulePosts)?;
    let org = caller.org_id();
    let now = app.now();
    if at < now - PAST_SLACK {
        return Err(Invalid::new("scheduled_at", "is in the past").into());
    }
    let mut tx = app.store.tx().await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let status: PostStatus = post.status.parse()?;
    if !status.reschedulable() {
        return Err(Error::Conflict(format!("a {} post cannot be rescheduled", status.as_str())));
    }
    let channel = channels::get(&mut tx, org, post.channel_id).await?.ok_or(Error::NotFound)?;
    let taken = posts::taken_slots(
        &mut tx,
        channel.id,
        now - time::Duration::days(2),
        far_future(now),
        Some(post.id),
    )
    .await?;
    guard(&channel, &cadence_of(&channel), at, &taken)?;
    let change = posts::Change { scheduled_at: Some(at), ..Default::default() };
    if !posts::transition(&mut tx, post.id, post.version, PostStatus::Scheduled.as_str(), &change, now)
        .await?
    {
        return Err(Error::Conflict("the post changed meanwhile; reload and try again".into()));
    }
    // The old job finds the time changed and does nothing.
    PublishPost::enqueue(&mut tx, org, id, at, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("post.rescheduled")
            .target("post", id)
            .detail(serde_json::json!({"scheduled_at": to_millis(at)})),
    )
    .await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    app.queue.wake();
    Ok(post)
}

/// Takes a post off the calendar (not once it is published or being published).
pub async fn cancel_post(app: &App, caller: &Caller, id: PostId) -> Result<Post> {
    authorize(&caller.actor, Action::SchedulePosts)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let status: PostStatus = post.status.parse()?;
    if !matches!(status, PostStatus::Scheduled | PostStatus::Failed | PostStatus::Unconfirmed) {
        return Err(Error::Conflict(format!("a {} post cannot be cancelled", status.as_str())));
    }
    if !posts::transition(
        &mut tx,
        post.id,
        post.version,
        PostStatus::Cancelled.as_str(),
        &posts::Change::default(),
        now,
    )
    .await?
    {
        return Err(Error::Conflict("the post changed meanwhile; reload and try again".into()));
    }
    // With nothing left on the calendar, the submission is simply approved again.
    let others = posts::of_submission(&mut tx, org, post.submission_id).await?;
    if others.iter().all(|p| p.status == PostStatus::Cancelled.as_str())
        && let Some(s) = submissions::get(&mut tx, org, post.submission_id).await?
        && s.status == Status::Scheduled
    {
        submissions::set_status(&mut tx, org, s.id, s.version, Status::Approved, now).await?;
    }
    audit::record(&mut tx, org, caller, now, Entry::new("post.cancelled").target("post", id)).await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(post)
}

/// A person checked the channel and found an `unconfirmed` post there: it is recorded as
/// published (with where it is, if they give it), and nothing is sent again.
pub async fn confirm_post(app: &App, caller: &Caller, id: PostId, url: Option<String>) -> Result<Post> {
    authorize(&caller.actor, Action::SchedulePosts)?;
    let org = caller.org_id();
    let url = url.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty());
    if let Some(u) = &url {
        http_url(u, "external_url")?;
    }
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if post.status != PostStatus::Unconfirmed.as_str() {
        return Err(Error::Conflict(format!(
            "only an unconfirmed post can be confirmed; this one is {}",
            post.status
        )));
    }
    let published = Published { id: String::new(), url: url.clone() };
    if !record_published(&mut tx, &post, post.version, &published, now).await? {
        return Err(Error::Conflict("the post changed meanwhile; reload and try again".into()));
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("post.confirmed").target("post", id).detail(serde_json::json!({"url": url})),
    )
    .await?;
    let post = posts::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(post)
}

pub async fn post(app: &App, caller: &Caller, id: PostId) -> Result<Post> {
    let mut db = app.store.conn().await?;
    posts::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

pub async fn posts_between(
    app: &App,
    caller: &Caller,
    channel: Option<ChannelId>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<Post>> {
    if to <= from || to - from > time::Duration::days(400) {
        return Err(Invalid::new("to", "must be after from, at most 400 days").into());
    }
    let mut db = app.store.conn().await?;
    Ok(posts::between(&mut db, caller.org_id(), channel, from, to, 2000).await?)
}

pub async fn posts_of_submission(app: &App, caller: &Caller, id: SubmissionId) -> Result<Vec<Post>> {
    let mut db = app.store.conn().await?;
    Ok(posts::of_submission(&mut db, caller.org_id(), id).await?)
}

/// A channel's credentials, opened: for its connector, and for checks after a key rotation.
pub fn open_credentials(
    ring: &Keyring,
    id: ChannelId,
    sealed: &[u8],
) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let plain = ring.open(&credentials_context(id), sealed).context("open the channel's credentials")?;
    serde_json::from_slice(&plain).context("read the channel's credentials")
}

fn session_context(id: ChannelId) -> String {
    format!("channel:{}:session", id.0)
}

/// Re-seals every channel's credentials and session with the keyring's first key, in one
/// transaction; returns how many channels changed. Values that do not open stop it: nothing is
/// half-done.
pub async fn reseal_all(store: &Store, ring: &Keyring) -> anyhow::Result<usize> {
    let mut tx = store.tx().await?;
    let mut changed = 0;
    for (id, credentials, session) in channels::all_sealed(&mut tx).await? {
        if ring.is_current(&credentials) && session.as_ref().is_none_or(|s| ring.is_current(s)) {
            continue;
        }
        let plain = ring
            .open(&credentials_context(id), &credentials)
            .with_context(|| format!("open channel {id}"))?;
        let credentials = ring.seal(&credentials_context(id), &plain);
        let session = match session {
            Some(s) => {
                let plain = ring
                    .open(&session_context(id), &s)
                    .with_context(|| format!("open channel {id}'s session"))?;
                Some(ring.seal(&session_context(id), &plain))
            }
            None => None,
        };
        channels::reseal(&mut tx, id, &credentials, session.as_deref()).await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(changed)
}

// ---- The company blog --------------------------------------------------------------------------

/// Where a company-blog post is read: public, under the organization's slug.
pub fn blog_post_url(base_url: &str, org_slug: &str, post: PostId) -> String {
    format!("{base_url}/blog/{org_slug}/{}", post.0)
}

/// The company blog: anyone may read what an organization published there (no sign-in).
pub async fn blog(app: &App, org_slug: &str) -> Result<(chorus_store::admin::Org, Vec<Post>)> {
    let mut db = app.store.conn().await?;
    let org = chorus_store::admin::org_by_slug(&mut db, org_slug).await?.ok_or(Error::NotFound)?;
    let posts = posts::published_blog(&mut db, org.id, 50).await?;
    Ok((org, posts))
}

/// One published company-blog post; anything else (another organization's, not yet published,
/// on another channel) is not found.
pub async fn blog_post(app: &App, org_slug: &str, id: PostId) -> Result<(chorus_store::admin::Org, Post)> {
    let mut db = app.store.conn().await?;
    let org = chorus_store::admin::org_by_slug(&mut db, org_slug).await?.ok_or(Error::NotFound)?;
    let post = posts::get(&mut db, org.id, id).await?.ok_or(Error::NotFound)?;
    if post.network != ChannelNetwork::Blog.as_str() || post.status != PostStatus::Published.as_str() {
        return Err(Error::NotFound);
    }
    Ok((org, post))
}

/// A channel whose credentials the network refused: its posts are held until they are renewed.
pub const NEEDS_ATTENTION: &str = "needs_attention";

// ---- The publish job ---------------------------------------------------------------------------

/// Publish one post. Carries the time it was scheduled for: a rescheduled post gets a new job,
/// and the old one finds the times differ and does nothing.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublishPost {
    pub post: PostId,
    pub scheduled_at: i64,
}

impl PublishPost {
    /// Queues the publish job for the post's time, in the caller's transaction.
    async fn enqueue(
        db: &mut impl Db,
        org: chorus_domain::OrgId,
        post: PostId,
        at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<()> {
        Self::enqueue_for(db, org, post, at, at, now).await
    }

    /// Queues a job for a post scheduled at `scheduled_at` that runs at `run_at` (a held post
    /// released once its channel works again).
    async fn enqueue_for(
        db: &mut impl Db,
        org: chorus_domain::OrgId,
        post: PostId,
        scheduled_at: OffsetDateTime,
        run_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<()> {
        let job = PublishPost { post, scheduled_at: to_millis(scheduled_at) };
        chorus_jobs::enqueue_at(db, &job, Some(org), run_at, now).await?;
        Ok(())
    }
}

impl Job for PublishPost {
    const KIND: &'static str = "publish_post";
    const MAX_ATTEMPTS: i64 = 10;
    /// Posts have a time; they go before e-mail and link previews.
    const PRIORITY: i32 = 10;
}

/// What the publish job needs, captured when the queue is built.
#[derive(Clone)]
pub struct Publisher {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub keyring: Keyring,
    pub media: Arc<dyn ObjectStore>,
    pub http: reqwest::Client,
    /// This instance's address, for the company blog's post URLs.
    pub base_url: String,
}

pub fn register(registry: &mut Registry, publisher: Publisher) {
    let on_dead = publisher.clone();
    registry.register(move |job: PublishPost| {
        let publisher = publisher.clone();
        async move { publisher.run(job).await }
    });
    registry.on_dead(move |job: PublishPost, error: String| {
        let publisher = on_dead.clone();
        async move { publisher.gave_up(job, &error).await }
    });
}

impl Publisher {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        keyring: Keyring,
        media: Arc<dyn ObjectStore>,
        base_url: String,
    ) -> anyhow::Result<Self> {
        let http = http_client(Duration::from_secs(30)).context("build the publishing HTTP client")?;
        Ok(Self { store, clock, keyring, media, http, base_url })
    }

    async fn run(&self, job: PublishPost) -> anyhow::Result<()> {
        let mut db = self.store.conn().await?;
        let Some(post) = posts::get_any(&mut db, job.post).await? else {
            return Ok(()); // deleted with its submission or channel
        };
        if to_millis(post.scheduled_at) != job.scheduled_at {
            return Ok(()); // rescheduled: the newer job publishes it
        }
        let status: PostStatus = post.status.parse()?;
        if !matches!(status, PostStatus::Scheduled | PostStatus::Publishing) {
            return Ok(()); // published, cancelled, failed or parked: nothing to do
        }
        let channel =
            channels::get(&mut db, post.org_id, post.channel_id).await?.context("the post's channel")?;
        let network: ChannelNetwork = channel.network.parse()?;
        if status == PostStatus::Scheduled && channel.status == NEEDS_ATTENTION {
            // Held, not lost: the post waits, and renewing the credentials sends it.
            return Ok(());
        }
        let now = self.clock.now();
        if network == ChannelNetwork::Blog {
            let org = chorus_store::admin::org_by_id(&mut db, post.org_id)
                .await?
                .context("the post's organization")?;
            let url = blog_post_url(&self.base_url, &org.slug, post.id);
            let published = Published { id: post.id.0.to_string(), url: Some(url) };
            return record_published(&mut db, &post, post.version, &published, now)
                .await
                .map(count_published);
        }
        let connector = self.connector(&mut db, post.org_id, &channel, network).await?;
        let outbound = self.outbound(&mut db, &post).await?;
        if status == PostStatus::Publishing {
            // An earlier attempt's outcome is unknown.
            let repeat_is_safe = match connector.retry() {
                RetrySafety::DeduplicatedFor(window) => post
                    .attempt_started_at
                    .is_some_and(|at| now - at < time::Duration::try_from(window).unwrap_or_default()),
                RetrySafety::LookFirst => false,
            };
            if !repeat_is_safe {
                let found = connector.find(&outbound).await;
                self.keep_session(&mut db, channel.id, connector.as_ref(), now).await?;
                match found {
                    Ok(Lookup::Found(published)) => {
                        return record_published(&mut db, &post, post.version, &published, now)
                            .await
                            .map(count_published);
                    }
                    Ok(Lookup::NotFound) => {}
                    Ok(Lookup::CannotTell) => {
                        let reason = "the last attempt's outcome is unknown and this network cannot be asked: \
                             check the channel, then mark the post published or schedule it again";
                        posts::transition(
                            &mut db,
                            post.id,
                            post.version,
                            PostStatus::Unconfirmed.as_str(),
                            &posts::Change { error: Some(reason), ..Default::default() },
                            now,
                        )
                        .await?;
                        outcome(UNCONFIRMED);
                        return Ok(());
                    }
                    Err(e) => return Err(anyhow::Error::new(e).context("look for the post on the network")),
                }
            }
        }
        // The attempt is on record before the network hears of it.
        let started =
            posts::Change { attempt_started_at: Some(now), count_attempt: true, ..Default::default() };
        if !posts::transition(&mut db, post.id, post.version, PostStatus::Publishing.as_str(), &started, now)
            .await?
        {
            return Ok(()); // someone else moved the post meanwhile
        }
        let version = post.version + 1;
        drop(db);
        let result = connector.publish(&outbound).await;
        let mut db = self.store.conn().await?;
        let now = self.clock.now();
        self.keep_session(&mut db, channel.id, connector.as_ref(), now).await?;
        match result {
            Ok(published) => {
                record_published(&mut db, &post, version, &published, now).await.map(count_published)
            }
            Err(e @ PublishError::Unknown(_)) => {
                outcome(RETRIED);
                // Stays `publishing`: the next attempt looks before it posts.
                let message = e.to_string();
                let change = posts::Change { error: Some(&message), ..Default::default() };
                posts::transition(&mut db, post.id, version, PostStatus::Publishing.as_str(), &change, now)
                    .await?;
                Err(anyhow::Error::new(e))
            }
            Err(PublishError::Refused(message)) => {
                let change = posts::Change { error: Some(&message), ..Default::default() };
                posts::transition(&mut db, post.id, version, PostStatus::Failed.as_str(), &change, now)
                    .await?;
                outcome(FAILED);
                tracing::warn!(post = %post.id, error = %message, "The network refused a post");
                Ok(())
            }
            Err(e) => {
                // Certainly not posted: back to waiting, and the job tries again.
                let message = e.to_string();
                let change = posts::Change { error: Some(&message), ..Default::default() };
                posts::transition(&mut db, post.id, version, PostStatus::Scheduled.as_str(), &change, now)
                    .await?;
                outcome(RETRIED);
                if let PublishError::Unauthorized(_) = e {
                    let reason = "the network refused this channel's credentials; its posts wait until they are renewed";
                    channels::set_status(&mut db, channel.id, NEEDS_ATTENTION, Some(reason), now).await?;
                }
                match e {
                    PublishError::RateLimited { retry_after: Some(after) } => {
                        Err(anyhow::Error::new(RetryAfter(after)))
                    }
                    other => Err(anyhow::Error::new(other)),
                }
            }
        }
    }

    async fn connector(
        &self,
        db: &mut impl Db,
        org: chorus_domain::OrgId,
        channel: &Channel,
        network: ChannelNetwork,
    ) -> anyhow::Result<Box<dyn Connector>> {
        let (sealed, session) = channels::secrets(db, org, channel.id).await?.context("channel secrets")?;
        let creds = open_credentials(&self.keyring, channel.id, &sealed)?;
        // A kept session that no longer opens (key rotated away) is simply made anew.
        let session: Option<Vec<u8>> =
            session.and_then(|s| self.keyring.open(&session_context(channel.id), &s).ok());
        let kept_token = || session.as_deref().and_then(|plain| serde_json::from_slice::<Token>(plain).ok());
        let get = |k: &str| creds.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let base_url = channel.base_url.as_deref();
        let token = || Token::from_credentials(&creds).context("the channel's access token");
        let oauth_app = |default_token_url: String| OAuthApp {
            token_url: Some(get("token_url")).filter(|u| !u.is_empty()).unwrap_or(default_token_url),
            client_id: get("client_id"),
            client_secret: get("client_secret"),
        };
        let now_unix = self.clock.now().unix_timestamp();
        Ok(match network {
            ChannelNetwork::Mastodon => Box::new(Mastodon::new(
                self.http.clone(),
                channel.base_url.as_deref().unwrap_or_default(),
                &get("access_token"),
            )),
            ChannelNetwork::Webhook => {
                Box::new(Webhook::new(self.http.clone(), &get("url"), &get("secret"), &channel.name))
            }
            ChannelNetwork::Bluesky => Box::new(Bluesky::new(
                self.http.clone(),
                base_url.unwrap_or("https://bsky.social"),
                &get("identifier"),
                &get("app_password"),
                session.as_deref().and_then(|plain| serde_json::from_slice::<Session>(plain).ok()),
            )),
            ChannelNetwork::X => {
                let api = base_url.unwrap_or(x::API);
                let app = oauth_app(format!("{}/2/oauth2/token", api.trim_end_matches('/')));
                Box::new(X::new(self.http.clone(), api, app, token()?, kept_token(), now_unix))
            }
            ChannelNetwork::Linkedin => Box::new(LinkedIn::new(
                self.http.clone(),
                base_url.unwrap_or(linkedin::API),
                oauth_app(linkedin::TOKEN_URL.to_owned()),
                &get("organization_id"),
                token()?,
                kept_token(),
                now_unix,
            )),
            ChannelNetwork::Facebook => Box::new(Facebook::new(
                self.http.clone(),
                base_url.unwrap_or(facebook::GRAPH),
                &get("page_id"),
                &get("access_token"),
            )),
            ChannelNetwork::Blog => anyhow::bail!("the company blog publishes without a connector"),
        })
    }

    /// Out of attempts: a post still waiting is `failed` (certainly not posted), one caught
    /// mid-attempt is `unconfirmed` (it may be out); either way a person sees why.
    async fn gave_up(&self, job: PublishPost, error: &str) -> anyhow::Result<()> {
        let mut db = self.store.conn().await?;
        let Some(post) = posts::get_any(&mut db, job.post).await? else { return Ok(()) };
        if to_millis(post.scheduled_at) != job.scheduled_at {
            return Ok(());
        }
        let to = match post.status.parse::<PostStatus>()? {
            PostStatus::Scheduled => PostStatus::Failed,
            PostStatus::Publishing => PostStatus::Unconfirmed,
            _ => return Ok(()),
        };
        let message = format!("gave up after every retry: {error}");
        let change = posts::Change { error: Some(&message), ..Default::default() };
        if posts::transition(&mut db, post.id, post.version, to.as_str(), &change, self.clock.now()).await? {
            outcome(if to == PostStatus::Failed { FAILED } else { UNCONFIRMED });
        }
        Ok(())
    }

    /// Saves (sealed) a session the connector made or refreshed, so the next post reuses it.
    async fn keep_session(
        &self,
        db: &mut impl Db,
        channel: ChannelId,
        connector: &dyn Connector,
        now: OffsetDateTime,
    ) -> anyhow::Result<()> {
        if let Some(state) = connector.session_state() {
            let sealed = self.keyring.seal(&session_context(channel), state.as_bytes());
            channels::set_session(db, channel, Some(&sealed), now).await?;
        }
        Ok(())
    }

    async fn outbound(&self, db: &mut impl Db, post: &Post) -> anyhow::Result<Outbound> {
        let submission =
            submissions::get(db, post.org_id, post.submission_id).await?.context("the post's submission")?;
        let mut images = Vec::new();
        for m in chorus_store::media::of_submission(db, post.org_id, post.submission_id).await? {
            let chosen = post.media.as_ref().is_none_or(|ids| ids.contains(&m.id.0));
            if m.class != "image" || !chosen {
                continue;
            }
            let key = ObjectKey::for_media(post.org_id.0, m.id.0, MediaVariant::Original, &m.extension);
            if let Some(bytes) = self.media.get(&key).await.context("read an image to publish")? {
                images.push(Image { bytes, mime: m.mime.clone(), alt: submission.title.clone() });
            }
        }
        Ok(Outbound {
            post_id: post.id.0,
            text: post.text.clone(),
            title: submission.title,
            link: submission.link,
            images,
        })
    }
}

/// Counter of publish attempts' outcomes by `outcome` (Prometheus `/metrics`): `published`,
/// `failed` (certainly not out, given up), `unconfirmed` (may be out, parked for a person) and
/// `retried` (this attempt failed, the job tries again).
pub const PUBLISH_OUTCOME_METRIC: &str = "chorus_publish_outcomes_total";
const PUBLISHED: &str = "published";
const FAILED: &str = "failed";
const UNCONFIRMED: &str = "unconfirmed";
const RETRIED: &str = "retried";

fn outcome(outcome: &'static str) {
    metrics::counter!(PUBLISH_OUTCOME_METRIC, "outcome" => outcome).increment(1);
}

/// Counts a post recorded as published by a worker (not one someone else moved meanwhile).
fn count_published(recorded: bool) {
    if recorded {
        outcome(PUBLISHED);
    }
}

/// Records a post as out, and the submission as published once every post it has (but
/// cancelled ones) is out; `false` when the post changed meanwhile (nothing recorded).
async fn record_published(
    db: &mut impl Db,
    post: &Post,
    version: i64,
    published: &Published,
    now: OffsetDateTime,
) -> anyhow::Result<bool> {
    let change = posts::Change {
        external_id: Some(published.id.as_str()).filter(|id| !id.is_empty()),
        external_url: published.url.as_deref(),
        published_at: Some(now),
        ..Default::default()
    };
    if !posts::transition(db, post.id, version, PostStatus::Published.as_str(), &change, now).await? {
        return Ok(false);
    }
    let out = posts::not_out_of_submission(db, post.org_id, post.submission_id).await? == 0;
    if out
        && let Some(s) = submissions::get(db, post.org_id, post.submission_id).await?
        && s.status == Status::Scheduled
    {
        submissions::set_status(db, post.org_id, s.id, s.version, Status::Published, now).await?;
    }
    // The authors earn "published" once per item, whichever channel carried it first.
    let authors: Vec<chorus_domain::UserId> =
        submissions::authors(db, post.org_id, post.submission_id).await?.iter().map(|a| a.user_id).collect();
    crate::recognition::pay_authors(
        db,
        post.org_id,
        &authors,
        chorus_domain::recognition::PointEvent::ContributionPublished,
        post.submission_id,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("pay points for publishing: {e}"))?;
    Ok(true)
}
