//! Feed subscriptions (SPEC §3) and their polite polling.
//!
//! Each department's leads keep their department's feeds; the social team and admins keep all,
//! organization-wide ones included. The worker's upkeep ([`schedule_due`]) claims the feeds whose
//! poll is due and queues one [`PollFeed`] job each, in one short transaction: the claim pushes
//! the feed's next poll ahead (a lease), so several workers never queue the same feed twice.
//! A poll fetches conditionally (ETag / Last-Modified), files new articles in the curation inbox,
//! and sets the next poll: the feed's interval after a success, doubling back-off (capped at a
//! day) after failures, which it records in plain words for the feed's page.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Clock, DepartmentId, FeedId, Invalid, OrgId,
    curation::{self as rules, FeedStatus},
};
use chorus_jobs::{Job, Registry};
use chorus_networks::feeds::{FeedFetcher, FetchError, Fetched, Validators};
use chorus_store::{
    Db, Store, departments,
    feeds::{self as store, NewItem, PollRecord, Source},
};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

pub use chorus_store::feeds::Feed;

/// How long a queued poll holds its feed: a worker that dies with the job leaves the feed due
/// again after this long.
pub const POLL_LEASE: Duration = Duration::minutes(15);
/// Feeds claimed by one upkeep round at most (the rest wait for the next minute).
pub const CLAIM_BATCH: i64 = 100;

fn curators_only(caller: &Caller) -> Result<()> {
    rules::may_curate(&caller.actor)?;
    Ok(())
}

/// The feeds the caller keeps: all of them for the team, their departments' for leads.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Feed>> {
    curators_only(caller)?;
    let mut db = app.store.conn().await?;
    let all = store::list_feeds(&mut db, caller.org_id()).await?;
    Ok(all.into_iter().filter(|f| rules::may_manage_feed(&caller.actor, f.department_id).is_ok()).collect())
}

/// One feed; another organization's answers 404, another department's 403.
pub async fn get(app: &App, caller: &Caller, id: FeedId) -> Result<Feed> {
    curators_only(caller)?;
    let mut db = app.store.conn().await?;
    load(&mut db, caller, id).await
}

async fn load(db: &mut impl Db, caller: &Caller, id: FeedId) -> Result<Feed> {
    let feed = store::get_feed(db, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    rules::may_manage_feed(&caller.actor, feed.department_id)?;
    Ok(feed)
}

/// A new subscription.
#[derive(Debug, Clone, Default)]
pub struct FeedInput {
    pub url: String,
    /// Empty: the feed's own title is shown.
    pub title: Option<String>,
    /// `None`: organization-wide (the team only).
    pub department_id: Option<DepartmentId>,
    /// Minutes between polls (default 60, 15 to 10,080).
    pub interval_minutes: Option<i64>,
}

/// Subscribes a department (or the organization) to a feed, and queues its first poll.
pub async fn add(app: &App, caller: &Caller, input: FeedInput) -> Result<Feed> {
    curators_only(caller)?;
    let mut problems = crate::Problems::default();
    let url = problems.check(rules::feed_url(&input.url));
    let title = problems.check(rules::feed_title(input.title.as_deref().unwrap_or_default()));
    let interval = problems.check(rules::interval(input.interval_minutes));
    problems.finish()?;
    let (Some(url), Some(title), Some(interval)) = (url, title, interval) else {
        return Err(Error::Internal(anyhow::anyhow!("checked feed input went missing")));
    };
    let parsed = url::Url::parse(&url).map_err(|_| Invalid::new("url", "is not a web address"))?;
    if let Err(e) = app.config.feeds.check(&parsed) {
        return Err(Invalid::new(
            "url",
            match e {
                FetchError::Forbidden => {
                    "points to a private or internal network address, which Chorus does not read".to_owned()
                }
                other => other.to_string(),
            },
        )
        .into());
    }
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if let Some(d) = input.department_id
        && departments::get(&mut tx, org, d).await?.is_none()
    {
        return Err(Invalid::new("department_id", "is not a department of this organization").into());
    }
    rules::may_manage_feed(&caller.actor, input.department_id)?;
    if store::count_feeds(&mut tx, org).await? >= rules::FEEDS_MAX as i64 {
        return Err(Error::Conflict(format!(
            "the organization already follows {} feeds; remove one first",
            rules::FEEDS_MAX
        )));
    }
    let feed = Feed {
        id: FeedId::new(),
        department_id: input.department_id,
        department_name: None,
        url,
        title,
        feed_title: None,
        status: FeedStatus::Active,
        interval_minutes: interval,
        etag: None,
        last_modified: None,
        last_polled_at: None,
        last_success_at: None,
        last_error: None,
        failures: 0,
        next_poll_at: now,
        queued_at: None,
        items_found: 0,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
    };
    store::insert_feed(&mut tx, org, &feed).await.map_err(|e| {
        if e.is_conflict() {
            Error::Conflict(if feed.department_id.is_some() {
                "this department already follows that feed".to_owned()
            } else {
                "the organization already follows that feed".to_owned()
            })
        } else {
            e.into()
        }
    })?;
    // The first poll right away, so the inbox fills while the person is still looking.
    queue_poll(&mut tx, org, feed.id, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("feed.added")
            .target("feed", feed.id)
            .detail(serde_json::json!({"url": feed.url, "department_id": feed.department_id})),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    let mut db = app.store.conn().await?;
    store::get_feed(&mut db, org, feed.id).await?.ok_or(Error::NotFound)
}

/// Changes to a feed: `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct FeedChanges {
    /// Empty: the feed's own title is shown.
    pub title: Option<String>,
    /// Pause (true) or resume (false) polling. Resuming polls at the next upkeep.
    pub paused: Option<bool>,
    pub interval_minutes: Option<i64>,
}

pub async fn update(app: &App, caller: &Caller, id: FeedId, changes: FeedChanges) -> Result<Feed> {
    curators_only(caller)?;
    let mut problems = crate::Problems::default();
    let title = changes.title.as_deref().map(|t| problems.check(rules::feed_title(t)));
    let interval = changes.interval_minutes.map(|m| problems.check(rules::interval(Some(m))));
    problems.finish()?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let feed = load(&mut tx, caller, id).await?;
    let status = match changes.paused {
        Some(true) => FeedStatus::Paused,
        Some(false) => FeedStatus::Active,
        None => feed.status,
    };
    let resumed = feed.status == FeedStatus::Paused && status == FeedStatus::Active;
    let settings = store::FeedSettings {
        title: title.flatten().unwrap_or(feed.title.clone()),
        status,
        interval_minutes: interval.flatten().unwrap_or(feed.interval_minutes),
        next_poll_at: if resumed { now } else { feed.next_poll_at },
    };
    store::update_feed(&mut tx, org, id, &settings, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("feed.changed").target("feed", id).detail(serde_json::json!({
            "title": settings.title, "status": settings.status.as_str(),
            "interval_minutes": settings.interval_minutes
        })),
    )
    .await?;
    let feed = store::get_feed(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(feed)
}

/// Unsubscribes. The articles it brought stay in the inbox.
pub async fn remove(app: &App, caller: &Caller, id: FeedId) -> Result<()> {
    curators_only(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let feed = load(&mut tx, caller, id).await?;
    store::delete_feed(&mut tx, org, id).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("feed.removed").target("feed", id).detail(serde_json::json!({"url": feed.url})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Polls a feed now (it stays polite: a poll already waiting is not doubled). A paused feed
/// must be resumed first.
pub async fn poll_now(app: &App, caller: &Caller, id: FeedId) -> Result<Feed> {
    curators_only(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let feed = load(&mut tx, caller, id).await?;
    if feed.status == FeedStatus::Paused {
        return Err(Error::Conflict("this feed is paused; resume it to poll it".into()));
    }
    if store::claim_now(&mut tx, org, id, now, now + POLL_LEASE).await? {
        chorus_jobs::enqueue(&mut tx, &PollFeed { org, feed: id }, Some(org), now).await?;
    }
    let feed = store::get_feed(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    app.queue.wake();
    Ok(feed)
}

async fn queue_poll(tx: &mut chorus_store::Tx, org: OrgId, id: FeedId, now: OffsetDateTime) -> Result<()> {
    if store::claim_now(tx, org, id, now, now + POLL_LEASE).await? {
        chorus_jobs::enqueue(tx, &PollFeed { org, feed: id }, Some(org), now).await?;
    }
    Ok(())
}

/// The worker's upkeep: queues a poll for every feed that is due (in batches of
/// [`CLAIM_BATCH`]), each claimed once even with several workers. Returns how many were queued.
pub async fn schedule_due(app: &App) -> Result<usize> {
    let mut queued = 0;
    loop {
        let now = app.now();
        let mut tx = app.store.tx().await?;
        let due = store::claim_due(&mut tx, now, now + POLL_LEASE, CLAIM_BATCH).await?;
        for (org, feed) in &due {
            chorus_jobs::enqueue(&mut tx, &PollFeed { org: *org, feed: *feed }, Some(*org), now).await?;
        }
        tx.commit().await?;
        queued += due.len();
        if due.is_empty() || (due.len() as i64) < CLAIM_BATCH {
            break;
        }
    }
    if queued > 0 {
        app.queue.wake();
    }
    Ok(queued)
}

/// Poll one feed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PollFeed {
    pub org: OrgId,
    pub feed: FeedId,
}

impl Job for PollFeed {
    const KIND: &'static str = "poll_feed";
    // The feed keeps its own back-off for the site's failures; job retries cover only our own
    // (a database hiccup).
    const MAX_ATTEMPTS: i64 = 3;
}

pub fn register(registry: &mut Registry, store: Store, clock: Arc<dyn Clock>, fetcher: FeedFetcher) {
    registry.register(move |job: PollFeed| {
        let (store, clock, fetcher) = (store.clone(), Arc::clone(&clock), fetcher.clone());
        async move { poll(&store, clock.as_ref(), &fetcher, job).await }
    });
}

/// What a poll found, before it is written.
enum Outcome {
    NotModified(Validators),
    Read { validators: Validators, title: Option<String>, items: Vec<NewItem> },
    Failed { error: String, pause: bool },
}

async fn poll(store: &Store, clock: &dyn Clock, fetcher: &FeedFetcher, job: PollFeed) -> anyhow::Result<()> {
    let feed = {
        let mut db = store.conn().await?;
        match store::get_feed(&mut db, job.org, job.feed).await? {
            Some(f) if f.status == FeedStatus::Active => f,
            // Removed or paused since it was queued: nothing to do.
            _ => return Ok(()),
        }
    };
    let known = Validators { etag: feed.etag.clone(), last_modified: feed.last_modified.clone() };
    let outcome = match fetcher.fetch(&feed.url, &known).await {
        Ok(Fetched::NotModified(v)) => Outcome::NotModified(v),
        Ok(Fetched::Body { bytes, validators, url }) => {
            let parsed =
                tokio::task::spawn_blocking(move || chorus_networks::feeds::parse(&bytes, &url)).await?;
            match parsed {
                Ok(p) => Outcome::Read { validators, title: p.title, items: items_of(p.items) },
                Err(e) => Outcome::Failed { error: e.to_string(), pause: false },
            }
        }
        Err(e) => Outcome::Failed { pause: e == FetchError::Gone, error: e.to_string() },
    };
    let now = clock.now();
    let mut tx = store.tx().await?;
    if store::get_feed(&mut tx, job.org, job.feed).await?.is_none() {
        // Removed while it was being read: what it brought goes nowhere.
        return Ok(());
    }
    let record = match outcome {
        Outcome::NotModified(v) => success(&feed, v, None, 0, now),
        Outcome::Read { validators, title, items } => {
            // The name items credit: the given one, else the title just read (the first poll of
            // a feed added without a name), else what the feed was called before.
            let name = if feed.title.is_empty() {
                title.as_deref().unwrap_or(feed.display_name())
            } else {
                feed.title.as_str()
            };
            let source = Source { feed_id: feed.id, department_id: feed.department_id, title: name };
            let mut new = 0;
            for item in &items {
                if store::file_item(&mut tx, job.org, source, item, now).await? {
                    new += 1;
                }
            }
            if new > 0 {
                tracing::info!(feed.id = %feed.id, org.id = %job.org, items.new = new, "Feed brought {new} new articles");
            }
            success(&feed, validators, title, new, now)
        }
        Outcome::Failed { error, pause } => {
            tracing::info!(feed.id = %feed.id, org.id = %job.org, error = %error, "Feed poll failed");
            let failures = feed.failures + 1;
            PollRecord {
                polled_at: now,
                error: Some(if pause { format!("{error}; polling is paused") } else { error }),
                failures,
                // Read the whole feed next time: the stored validators may be what is stale.
                etag: None,
                last_modified: None,
                feed_title: None,
                next_poll_at: now + rules::next_poll_delay(feed.interval_minutes, failures),
                new_items: 0,
                pause,
            }
        }
    };
    store::record_poll(&mut tx, job.org, feed.id, &record).await?;
    tx.commit().await?;
    Ok(())
}

fn success(feed: &Feed, v: Validators, title: Option<String>, new: i64, now: OffsetDateTime) -> PollRecord {
    PollRecord {
        polled_at: now,
        error: None,
        failures: 0,
        etag: v.etag,
        last_modified: v.last_modified,
        feed_title: title,
        next_poll_at: now + rules::next_poll_delay(feed.interval_minutes, 0),
        new_items: new,
        pause: false,
    }
}

/// The entries worth filing: those with a canonical URL (the entry's canonical link when it
/// gives one, else its link), each once.
fn items_of(parsed: Vec<chorus_networks::feeds::ParsedItem>) -> Vec<NewItem> {
    let mut seen = std::collections::HashSet::new();
    parsed
        .into_iter()
        .filter_map(|p| {
            let canonical = p
                .canonical
                .as_deref()
                .and_then(rules::canonical_url)
                .or_else(|| rules::canonical_url(&p.link))?;
            seen.insert(canonical.clone()).then_some(NewItem {
                canonical_url: canonical,
                url: p.link,
                title: p.title,
                summary: p.summary,
                author: p.author,
                published_at: p.published,
            })
        })
        .collect()
}
