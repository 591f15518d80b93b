//! Amplification: employees share approved content through tracked links (SPEC §2 steps 6–7).
//!
//! The redirect is the hot path: `resolve` answers from an in-memory cache (code → where to go),
//! and clicks are handed to a [`ClickWriter`] that writes them in batches with multi-row INSERTs
//! in the background. A graceful stop writes every accepted click first ([`ClickWriter::close`]);
//! a crash loses at most the clicks of one flush interval (100 ms by default).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use anyhow::Context as _;
use chorus_domain::{
    SubmissionId,
    amplify::{CODE_LENGTH, ShareNetwork, Visitor, code_from, plausible_code, slug, with_utm},
    publishing::{PostStatus, caption_for_post},
    submission::Status,
};
use chorus_store::{Store, posts, shares, shares::VisitorHash, submissions};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use time::OffsetDateTime;
use tokio::sync::{Notify, oneshot};

pub use chorus_store::shares::Share;

use crate::{App, Error, Result, me::Caller};

/// What the share form or API asks for.
#[derive(Debug, Clone, Default)]
pub struct ShareInput {
    pub submission_id: SubmissionId,
    pub network: String,
    /// The caption the person wrote; `None`: the suggested one.
    pub caption: Option<String>,
    /// The person's Mastodon instance (`https://host`), for Mastodon's share page.
    pub mastodon_instance: Option<String>,
}

/// A share as its maker gets it back.
#[derive(Debug, Clone)]
pub struct CreatedShare {
    pub share: Share,
    /// The tracked link (`{base}/s/{code}`).
    pub url: String,
    /// The network's share intent with the tracked link in it (absent for Mastodon without an
    /// instance).
    pub share_url: Option<String>,
}

/// The content's own public address: its link, or where it was published (the company blog
/// first). Content with neither has nowhere to send a reader yet.
async fn destination(
    db: &mut impl chorus_store::Db,
    org: chorus_domain::OrgId,
    s: &submissions::Submission,
) -> Result<Option<url::Url>> {
    if let Some(link) = s.link.as_deref().and_then(|l| url::Url::parse(l).ok()) {
        return Ok(Some(link));
    }
    let mut out: Vec<_> = posts::of_submission(db, org, s.id)
        .await?
        .into_iter()
        .filter(|p| p.status == PostStatus::Published.as_str())
        .filter_map(|p| Some((p.network != "blog", url::Url::parse(p.external_url.as_deref()?).ok()?)))
        .collect();
    out.sort_by_key(|(not_blog, _)| *not_blog);
    Ok(out.into_iter().next().map(|(_, u)| u))
}

/// The suggested caption: the content's first lines, with the disclosure the company asks for.
pub fn suggested_caption(s: &submissions::Submission, org_name: &str) -> String {
    let text = caption_for_post(&s.body, None);
    let short: String = text.chars().take(200).collect();
    format!("{} {}", short.trim(), disclosure(org_name))
}

/// What every share says about who is sharing (policy: employees disclose their employer).
pub fn disclosure(org_name: &str) -> String {
    format!("(I work at {org_name})")
}

fn shareable(status: Status) -> bool {
    matches!(status, Status::Approved | Status::Scheduled | Status::Published)
}

/// When the item leaves the share hub, for the social team (who may change it).
pub async fn share_until(app: &App, caller: &Caller, id: SubmissionId) -> Result<Option<OffsetDateTime>> {
    chorus_domain::authorize(&caller.actor, chorus_domain::Action::SchedulePosts)?;
    let mut db = app.store.conn().await?;
    Ok(shares::share_until(&mut db, caller.org_id(), id).await?)
}

/// Takes an item out of the share hub at `until` (`None`: keeps it there). Links already shared
/// keep working; only new shares stop. The social team decides, as they decide what is published.
pub async fn set_share_until(
    app: &App,
    caller: &Caller,
    id: SubmissionId,
    until: Option<OffsetDateTime>,
) -> Result<()> {
    chorus_domain::authorize(&caller.actor, chorus_domain::Action::SchedulePosts)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let s = submissions::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if !shareable(s.status) {
        return Err(Error::Conflict("only approved content is in the share hub".into()));
    }
    shares::set_share_until(&mut tx, org, id, until).await?;
    crate::audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        crate::audit::Entry::new("submission.share_until")
            .target("submission", id.0)
            .detail(serde_json::json!({ "share_until": until.map(|u| u.unix_timestamp() * 1000) })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes a tracked link for a person to share an approved item on a network.
pub async fn create_share(app: &App, caller: &Caller, input: ShareInput) -> Result<CreatedShare> {
    let user = caller.actor.user_id.ok_or(Error::Unauthenticated("sharing needs a person"))?;
    let org = caller.org_id();
    let network: ShareNetwork = input.network.parse()?;
    let instance = match input.mastodon_instance.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) => match url::Url::parse(i) {
            Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {
                Some(format!("https://{}", u.host_str().unwrap_or_default()))
            }
            _ => {
                return Err(chorus_domain::Invalid::new(
                    "mastodon_instance",
                    "must be https://your.instance",
                )
                .into());
            }
        },
        None if network == ShareNetwork::Mastodon => {
            return Err(chorus_domain::Invalid::new(
                "mastodon_instance",
                "is needed to share on Mastodon: which instance are you on (e.g. https://mastodon.social)?",
            )
            .into());
        }
        None => None,
    };
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let s = submissions::get(&mut tx, org, input.submission_id).await?.ok_or(Error::NotFound)?;
    let until = shares::share_until(&mut tx, org, s.id).await?;
    if !shareable(s.status) || until.is_some_and(|until| until <= now) {
        return Err(Error::Conflict("this item is not in the share hub".into()));
    }
    let Some(dest) = destination(&mut tx, org, &s).await? else {
        return Err(Error::Conflict("this item has no public page to link to yet".into()));
    };
    let day_start = now.replace_time(time::Time::MIDNIGHT);
    let (items, this) = shares::counts_since(&mut tx, org, user, s.id, day_start).await?;
    let settings =
        chorus_domain::settings::OrgSettings::from_json(&chorus_store::settings::get(&mut tx, org).await?);
    settings
        .share_guard()
        .check(u32::try_from(items).unwrap_or(u32::MAX), u32::try_from(this).unwrap_or(u32::MAX))
        .map_err(Error::Conflict)?;
    let org_row = chorus_store::admin::org_by_id(&mut tx, org).await?.ok_or(Error::NotFound)?;
    let caption = match input.caption.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > 3000 => {
            return Err(chorus_domain::Invalid::new("caption", "is longer than 3,000 characters").into());
        }
        Some(c) => c,
        None => suggested_caption(&s, &org_row.name),
    };
    let mut random = [0u8; CODE_LENGTH];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("random share code: {e}"))?;
    let code = code_from(&random);
    let campaign =
        s.campaign_name.as_deref().map(slug).filter(|c| !c.is_empty()).unwrap_or_else(|| slug(&s.title));
    let tagged = with_utm(&dest, network, &campaign, &code);
    let id = uuid::Uuid::now_v7();
    shares::insert(
        &mut tx,
        org,
        &shares::NewShare {
            id,
            user_id: user,
            submission_id: s.id,
            network: network.as_str(),
            code: &code,
            caption: &caption,
            destination: tagged.as_str(),
        },
        now,
    )
    .await?;
    // Once per item per person, however many networks it goes to.
    let source = chorus_domain::recognition::source::submission(s.id);
    let event = chorus_domain::recognition::PointEvent::ContentShared;
    crate::recognition::pay(&mut tx, org, user, event, &source, now).await?;
    tx.commit().await?;
    let url = format!("{}/s/{code}", app.config.base_url);
    let share_url = network.intent_url(&url, &caption, instance.as_deref());
    let mut db = app.store.conn().await?;
    let share = shares::of_user(&mut db, org, user, 1).await?.into_iter().next().ok_or(Error::NotFound)?;
    Ok(CreatedShare { share, url, share_url })
}

/// An item of the share hub, with the caption suggested for it.
#[derive(Debug, Clone)]
pub struct HubItem {
    pub submission: submissions::Submission,
    pub caption: String,
}

/// The caller's share hub: what may be shared now, their department's first.
pub async fn share_hub(app: &App, caller: &Caller) -> Result<Vec<HubItem>> {
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let org_row = chorus_store::admin::org_by_id(&mut db, org).await?.ok_or(Error::NotFound)?;
    let items = submissions::share_hub(&mut db, org, caller.actor.department_id, app.now(), 50).await?;
    Ok(items
        .into_iter()
        .map(|s| HubItem { caption: suggested_caption(&s, &org_row.name), submission: s })
        .collect())
}

/// The caller's own shares and their clicks, newest first.
pub async fn my_shares(app: &App, caller: &Caller) -> Result<Vec<Share>> {
    let user = caller.actor.user_id.ok_or(Error::Unauthenticated("needs a person"))?;
    let mut db = app.store.conn().await?;
    Ok(shares::of_user(&mut db, caller.org_id(), user, 200).await?)
}

// ---- The redirect ------------------------------------------------------------------------------

/// What `/s/{code}` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Redirect(Arc<str>),
    /// The content was withdrawn (archived) since it was shared.
    Withdrawn,
    NotFound,
}

#[derive(Clone)]
struct Cached {
    target: Arc<shares::Target>,
    at: std::time::Instant,
}

/// Code → target, kept briefly: long enough that a busy link is served from memory, short
/// enough that a withdrawal made on another instance is seen within seconds.
#[derive(Default)]
pub struct LinkCache {
    entries: RwLock<HashMap<String, Cached>>,
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 100_000;

impl LinkCache {
    fn get(&self, code: &str) -> Option<Arc<shares::Target>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(code).filter(|c| c.at.elapsed() < CACHE_TTL).map(|c| Arc::clone(&c.target))
    }

    fn put(&self, code: &str, target: Arc<shares::Target>) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CACHE_MAX {
            entries.retain(|_, c| c.at.elapsed() < CACHE_TTL);
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(code.to_owned(), Cached { target, at: std::time::Instant::now() });
    }

    /// Forgets every cached link (content was withdrawn on this instance).
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

/// The request a click came with.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClickContext<'a> {
    pub user_agent: &'a str,
    pub referer: Option<&'a str>,
    /// The client's address (only hashed, with today's key; never stored).
    pub client_ip: Option<std::net::IpAddr>,
    /// HEAD requests are answered but not counted (link checkers use them).
    pub count: bool,
}

/// Answers a tracked link, and records the click.
///
/// The usual request (a link in the cache, today's visitor key in memory) does no I/O and no
/// await; the database lookups for the rest are boxed, so their large futures are not part of
/// every request's.
pub async fn follow(app: &App, code: &str, ctx: ClickContext<'_>) -> Result<Resolution> {
    if !plausible_code(code) {
        return Ok(Resolution::NotFound);
    }
    let target = match app.links.get(code) {
        Some(t) => t,
        None => match Box::pin(load_target(app, code)).await? {
            Some(t) => t,
            None => return Ok(Resolution::NotFound),
        },
    };
    if target.status == Status::Archived.as_str() || target.status == Status::Rejected.as_str() {
        return Ok(Resolution::Withdrawn);
    }
    if ctx.count {
        let now = app.now();
        let agent = recent::agent(ctx.user_agent);
        let (device, bot, visitor) = match agent.class {
            Visitor::Bot(name) => (name, Some(name), None),
            Visitor::Human(d) => {
                let visitor = match ctx.client_ip {
                    Some(ip) => Some(match app.visitor_keys.hash(now, ip, &agent.digest) {
                        Some(hash) => hash,
                        None => Box::pin(app.visitor_hash_with_new_key(ip, &agent.digest, now)).await?,
                    }),
                    None => None,
                };
                (d.as_str(), None, visitor)
            }
        };
        app.clicks.record(shares::NewClick {
            org_id: target.org_id,
            share_id: target.share_id,
            at: now,
            network: Arc::clone(&target.network),
            referrer_host: ctx.referer.and_then(recent::referrer_host),
            device,
            bot,
            visitor,
        });
    }
    Ok(Resolution::Redirect(Arc::clone(&target.destination)))
}

/// A link missing from the cache, from the database (and into the cache).
async fn load_target(app: &App, code: &str) -> Result<Option<Arc<shares::Target>>> {
    let mut db = app.store.conn().await?;
    let Some(target) = shares::target(&mut db, code).await? else { return Ok(None) };
    let target = Arc::new(target);
    app.links.put(code, Arc::clone(&target));
    Ok(Some(target))
}

/// Today's visitor key, as a ready-keyed HMAC (cloning it skips the key set-up on every click).
#[derive(Default)]
pub struct VisitorKeys {
    today: Mutex<Option<(i64, Hmac<Sha256>)>>,
}

fn day_of(now: OffsetDateTime) -> i64 {
    now.unix_timestamp().div_euclid(86_400)
}

impl VisitorKeys {
    /// The visitor hash, if this instance already holds today's key.
    fn hash(&self, now: OffsetDateTime, ip: IpAddr, agent: &AgentDigest) -> Option<VisitorHash> {
        let mac = match &*self.today.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            Some((day, mac)) if *day == day_of(now) => mac.clone(),
            _ => return None,
        };
        Some(visitor_digest(mac, ip, agent))
    }
}

/// SHA-256 of a User-Agent: what the visitor hash takes in its place (a fixed 32 bytes, worked
/// out once per User-Agent a thread has recently seen, so the keyed hash of each click is two
/// SHA-256 blocks instead of four or five).
type AgentDigest = [u8; 32];

/// 128 bits of HMAC-SHA256(address family, address bytes, SHA-256 of the User-Agent).
fn visitor_digest(mut mac: Hmac<Sha256>, ip: IpAddr, agent: &AgentDigest) -> VisitorHash {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            mac.update(&[4]);
            mac.update(&v4.octets());
        }
        IpAddr::V6(v6) => {
            mac.update(&[6]);
            mac.update(&v6.octets());
        }
    }
    mac.update(agent);
    let digest = mac.finalize().into_bytes();
    let mut first_half = [0u8; 16];
    first_half.copy_from_slice(&digest[..16]);
    VisitorHash::from_bytes(first_half)
}

/// What recent clicks on this thread came with. The clicks on a link come from a handful of
/// browser builds and networks, so most find their User-Agent's class and digest here rather
/// than running the marker search and SHA-256, and their referrer's host rather than parsing the
/// header and allocating the host's text. All exact: the answers depend on the header alone.
mod recent {
    use super::{AgentDigest, Arc, Visitor};
    use sha2::Digest as _;
    use std::cell::RefCell;

    /// Entries per thread and kind; replaced in turn.
    const SLOTS: usize = 16;

    /// What a User-Agent says: its class, and its digest for the visitor hash.
    #[derive(Clone, Copy)]
    pub(super) struct Agent {
        pub(super) class: Visitor,
        pub(super) digest: AgentDigest,
    }

    #[derive(Default)]
    struct Recent {
        agents: Vec<(Box<str>, Agent)>,
        next_agent: usize,
        /// Referer header → its host.
        referrers: Vec<(Box<str>, Option<Arc<str>>)>,
        next_referrer: usize,
    }

    thread_local! {
        static RECENT: RefCell<Recent> = RefCell::default();
    }

    fn remember<T>(slots: &mut Vec<T>, next: &mut usize, value: T) {
        if slots.len() < SLOTS {
            slots.push(value);
        } else {
            slots[*next] = value;
            *next = (*next + 1) % SLOTS;
        }
    }

    pub(super) fn agent(user_agent: &str) -> Agent {
        RECENT.with_borrow_mut(|r| {
            if let Some((_, known)) = r.agents.iter().find(|(agent, _)| **agent == *user_agent) {
                return *known;
            }
            let agent = Agent {
                class: chorus_domain::amplify::classify(user_agent),
                digest: sha2::Sha256::digest(user_agent.as_bytes()).into(),
            };
            let Recent { agents, next_agent, .. } = r;
            remember(agents, next_agent, (user_agent.into(), agent));
            agent
        })
    }

    /// The host of a Referer header (see [`chorus_domain::amplify::referrer_host`]).
    pub(super) fn referrer_host(referer: &str) -> Option<Arc<str>> {
        RECENT.with_borrow_mut(|r| {
            if let Some((_, host)) = r.referrers.iter().find(|(known, _)| **known == *referer) {
                return host.clone();
            }
            let host: Option<Arc<str>> =
                chorus_domain::amplify::referrer_host(referer).map(|h| Arc::from(&*h));
            let Recent { referrers, next_referrer, .. } = r;
            remember(referrers, next_referrer, (referer.into(), host.clone()));
            host
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use chorus_domain::amplify::Device;

        #[test]
        fn remembered_answers_are_the_same_as_fresh_ones_even_past_the_slots() {
            let agents: Vec<String> = (0..40)
                .map(|i| match i % 3 {
                    0 => format!("Mozilla/5.0 (iPhone; CPU iPhone OS 17_{i}) Mobile/15E148"),
                    1 => format!("LinkedInBot/1.{i} (compatible; Mozilla/5.0)"),
                    _ => format!("Mozilla/5.0 (Windows NT 10.{i}; Win64; x64) Chrome/120"),
                })
                .collect();
            for _ in 0..3 {
                for ua in &agents {
                    let known = agent(ua);
                    assert_eq!(known.class, chorus_domain::amplify::classify(ua), "{ua}");
                    assert_eq!(known.digest, <[u8; 32]>::from(sha2::Sha256::digest(ua.as_bytes())), "{ua}");
                }
            }
            assert_eq!(agent(&agents[0]).class, Visitor::Human(Device::Mobile));
            assert_eq!(agent(&agents[1]).class, Visitor::Bot("LinkedInBot"));
            for i in 0..40 {
                let referer = format!("https://Host{i}.example/path?q={i}");
                let host = format!("host{i}.example");
                assert_eq!(referrer_host(&referer).as_deref(), Some(host.as_str()));
                assert_eq!(referrer_host(&referer).as_deref(), Some(host.as_str()));
            }
            assert_eq!(referrer_host("not a url"), None);
            assert_eq!(referrer_host("not a url"), None, "a referrer without a host is remembered too");
            let (a, b) = (referrer_host("https://lnkd.in/x"), referrer_host("https://lnkd.in/x"));
            assert!(Arc::ptr_eq(&a.expect("host"), &b.expect("host")), "a recent host is shared");
        }
    }
}

impl App {
    /// The visitor hash on the first click of a day: today's key is fetched (or made) first.
    async fn visitor_hash_with_new_key(
        &self,
        ip: IpAddr,
        agent: &AgentDigest,
        now: OffsetDateTime,
    ) -> Result<VisitorHash> {
        let day = day_of(now);
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| anyhow::anyhow!("random visitor key: {e}"))?;
        let mut db = self.store.conn().await?;
        let key = shares::visitor_key(&mut db, day, &fresh).await?;
        let mac = Hmac::<Sha256>::new_from_slice(&key).context("visitor key")?;
        *self.visitor_keys.today.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((day, mac.clone()));
        Ok(visitor_digest(mac, ip, agent))
    }
}

// ---- The click writer --------------------------------------------------------------------------

/// Writes clicks in the background, in batches. The writer sleeps for one flush interval after
/// the first click of a batch, then writes everything queued (sooner if a full batch is waiting).
/// Recording never waits for the database, and under load the writer wakes once per interval, not
/// once per click.
///
/// The queue is a vector behind a lock rather than a channel: a click is pushed once, and the
/// writer swaps the whole vector out, so a click is never copied from block to block and no lock
/// is held while writing.
pub struct ClickWriter {
    queue: Arc<Queue>,
    done: Mutex<Option<oneshot::Receiver<()>>>,
    /// Clicks refused because the queue was full (the database is down or too slow).
    dropped: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Queue {
    state: Mutex<Queued>,
    /// The queue went from empty to one click.
    first: Notify,
    /// A full batch is waiting.
    full: Notify,
    shutdown: Notify,
}

#[derive(Default)]
struct Queued {
    clicks: Vec<shares::NewClick>,
    /// Shutting down: no more clicks are taken.
    closed: bool,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Clicks waiting in memory, at most (the database is down or too slow beyond this).
const QUEUE: usize = 100_000;
/// Clicks written in one transaction, at most.
const BATCH: usize = 10_000;

impl ClickWriter {
    pub fn start(store: Store, flush: Duration) -> Self {
        let queue = Arc::new(Queue::default());
        let (done_tx, done_rx) = oneshot::channel();
        tokio::spawn(write_loop(store, Arc::clone(&queue), flush, done_tx));
        Self { queue, done: Mutex::new(Some(done_rx)), dropped: Default::default() }
    }

    /// Hands a click to the writer. If 100,000 are already waiting (the database is down), the
    /// click is dropped and logged rather than slowing the redirect.
    pub fn record(&self, click: shares::NewClick) {
        let waiting = {
            let mut queued = self.queue.lock();
            if queued.closed || queued.clicks.len() >= QUEUE {
                None
            } else {
                queued.clicks.push(click);
                Some(queued.clicks.len())
            }
        };
        match waiting {
            Some(1) => self.queue.first.notify_one(),
            Some(BATCH) => self.queue.full.notify_one(),
            Some(_) => {}
            None => {
                // Once per 10,000, so a database outage does not also flood the log.
                let n = self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n.is_multiple_of(10_000) {
                    tracing::warn!(
                        dropped = n + 1,
                        "Click queue full or closed; clicks are not being recorded"
                    );
                }
            }
        }
    }

    /// Stops taking clicks and writes every one already taken. Call once, at shutdown.
    pub async fn close(&self) {
        self.queue.shutdown.notify_one();
        let done = self.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        if let Some(done) = done {
            let _ = done.await;
        }
    }
}

impl Drop for ClickWriter {
    /// Without a writer handle nobody can record a click: the writer writes what is queued and ends.
    fn drop(&mut self) {
        self.queue.shutdown.notify_one();
    }
}

async fn write_loop(store: Store, queue: Arc<Queue>, flush: Duration, done: oneshot::Sender<()>) {
    let mut batch = Vec::new();
    let mut closing = false;
    loop {
        if !closing {
            // Wait for a first click (a click queued before this wait left a permit behind);
            // then let others join it for one flush interval.
            if queue.lock().clicks.is_empty() {
                tokio::select! {
                    () = queue.first.notified() => {}
                    () = queue.shutdown.notified() => closing = true,
                }
            }
            if !closing {
                tokio::select! {
                    () = tokio::time::sleep(flush) => {}
                    () = queue.full.notified() => {}
                    () = queue.shutdown.notified() => closing = true,
                }
            }
        }
        {
            let mut queued = queue.lock();
            // Closing: no new clicks; the ones queued are taken now.
            queued.closed |= closing;
            std::mem::swap(&mut queued.clicks, &mut batch);
        }
        if batch.is_empty() && closing {
            break; // everything is written
        }
        for chunk in batch.chunks(BATCH) {
            write(&store, chunk).await;
        }
        batch.clear();
        // A burst's vector is not kept for ever.
        batch.shrink_to(BATCH);
    }
    let _ = done.send(());
}

/// Histogram of the clicks written per batch (Prometheus `/metrics`).
pub const CLICK_BATCH_METRIC: &str = "chorus_click_batch_size";
/// Counter of clicks dropped after every retry failed.
pub const CLICKS_LOST_METRIC: &str = "chorus_clicks_lost_total";

async fn write(store: &Store, batch: &[shares::NewClick]) {
    for attempt in 1..=5 {
        let result = async {
            // One transaction: a retry after a failure never writes part of a batch twice.
            let mut tx = store.tx().await?;
            shares::insert_clicks(&mut tx, batch).await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => {
                // usize → f64: a batch is at most BATCH clicks, far below 2^53.
                #[allow(clippy::cast_precision_loss)]
                metrics::histogram!(CLICK_BATCH_METRIC).record(batch.len() as f64);
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(error = %e, clicks = batch.len(), "Could not write clicks; retrying");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => {
                metrics::counter!(CLICKS_LOST_METRIC).increment(batch.len() as u64);
                tracing::error!(error = %e, clicks = batch.len(), "Clicks lost: the database refused them")
            }
        }
    }
}
