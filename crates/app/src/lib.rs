//! Chorus use cases: one function per user action, shared by pages, API, CLI and jobs.
//!
//! Each use case follows the same shape: authorize the actor with the domain policy, parse and
//! check with domain rules, then persist (and enqueue follow-up jobs) in one transaction and
//! write the audit record in that same transaction.

pub mod amplify;
pub mod analytics;
pub mod announcements;
pub mod audit;
pub mod campaigns;
mod changes;
pub mod chat;
pub mod curation;
pub mod dead_letters;
pub mod departments;
pub mod digests;
pub mod emails;
pub mod error;
pub mod events;
pub mod feeds;
pub mod guidelines;
pub mod mail;
pub mod markdown;
pub mod me;
pub mod media;
pub mod mentoring;
// Single sign-on (kept apart from its alphabetical place so branches adding modules merge cleanly).
pub mod notify;
pub mod oidc;
pub mod operations;
pub mod orgs;
pub mod people;
pub mod policies;
pub mod previews;
pub mod publishing;
pub mod readiness;
pub mod recognition;
pub mod secrets;
pub mod security;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod social;
pub mod submissions;
pub mod surveys;
pub mod tokens;
pub mod training;
pub mod unsubscribe;

pub use error::{Error, Problems, Result};
pub use me::Me;

use chorus_domain::{Clock, throttle::LoginThrottle};
use chorus_jobs::{Queue, Registry};
use chorus_networks::mail::Mailer;
use chorus_store::Store;
use std::sync::Arc;

/// Settings the use cases need (the binary builds them from flags and environment).
#[derive(Debug, Clone)]
pub struct Config {
    /// The address people use to reach this instance, for links in e-mail and the console
    /// (`http://127.0.0.1:8080`). No trailing slash.
    pub base_url: String,
    /// How long a session lasts without use.
    pub session_ttl: time::Duration,
    pub invitation_ttl: time::Duration,
    pub reset_ttl: time::Duration,
    pub login_throttle: LoginThrottle,
    /// Cheaper password hashing, for tests only.
    pub fast_password_hashing: bool,
    pub jobs: chorus_jobs::Config,
    /// Notifications also go out by e-mail (on when SMTP is configured).
    pub email_notifications: bool,
    /// Size limits per kind of upload.
    pub media_limits: chorus_media::Limits,
    /// Where uploads are received before they go to the object store (default: the system's
    /// temporary folder; the binary uses `<data-dir>/tmp`).
    pub spool_dir: std::path::PathBuf,
    /// Downloads answer with a redirect to a presigned URL valid this long, when the object store
    /// can make one (S3); `None`: the instance streams the bytes.
    pub media_presign: Option<std::time::Duration>,
    /// How link previews are fetched (tests allow loopback).
    pub previews: chorus_networks::preview::PreviewPolicy,
    /// How feeds for the curation inbox are fetched (private targets refused by default).
    pub feeds: chorus_networks::feeds::FeedPolicy,
    /// The keys that seal network credentials (see `secrets`). `Config::new` makes a
    /// throw-away one; the binary loads the real keyring.
    pub secrets: secrets::Keyring,
    /// How long a click may wait before it is written (what a crash can lose at most).
    pub click_flush: std::time::Duration,
    /// How long raw clicks are kept (their hourly and daily roll-ups stay).
    pub click_retention: time::Duration,
    /// Slack/Teams webhook URLs may be plain `http://` to loopback, and resolve to private
    /// addresses (tests, local set-ups). Default: false (https to public addresses only).
    pub chat_allow_loopback: bool,
    /// Single sign-on may reach identity providers at private addresses (on-premises Keycloak,
    /// ADFS…). Default: false, so an organization's admin cannot make the server probe its network.
    pub sso_allow_private: bool,
    /// When the daily and weekly digests go out (UTC).
    pub digest_schedule: chorus_domain::notify::DigestSchedule,
}

impl Config {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            session_ttl: time::Duration::days(14),
            invitation_ttl: time::Duration::days(7),
            reset_ttl: time::Duration::hours(1),
            login_throttle: LoginThrottle::default(),
            fast_password_hashing: false,
            jobs: chorus_jobs::Config::default(),
            email_notifications: false,
            media_limits: chorus_media::Limits::default(),
            spool_dir: std::env::temp_dir().join("chorus-uploads"),
            media_presign: None,
            previews: chorus_networks::preview::PreviewPolicy::default(),
            feeds: chorus_networks::feeds::FeedPolicy::default(),
            secrets: secrets::Keyring::ephemeral(),
            click_flush: std::time::Duration::from_millis(100),
            click_retention: time::Duration::days(90),
            chat_allow_loopback: false,
            sso_allow_private: false,
            digest_schedule: chorus_domain::notify::DigestSchedule::default(),
        }
    }
}

/// Everything a use case may touch. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub mailer: Arc<dyn Mailer>,
    pub queue: Queue,
    /// Where uploaded files live (a folder by default; S3 later).
    pub media: Arc<dyn chorus_media::ObjectStore>,
    pub config: Arc<Config>,
    /// Tracked links served from memory, and the clicks written behind them.
    pub links: Arc<amplify::LinkCache>,
    pub clicks: Arc<amplify::ClickWriter>,
    pub visitor_keys: Arc<amplify::VisitorKeys>,
    /// What answering a survey needs, kept briefly in memory.
    pub survey_cache: Arc<surveys::AnswerCache>,
    /// Survey answers, committed in groups.
    pub ballot_box: Arc<surveys::BallotBox>,
    /// API tokens' "last used" stamps, written in batches.
    pub token_touches: Arc<tokens::TokenTouches>,
    /// Leaderboards, kept a few seconds.
    pub boards: Arc<recognition::BoardCache>,
}

impl App {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        mailer: Arc<dyn Mailer>,
        media: Arc<dyn chorus_media::ObjectStore>,
        config: Config,
    ) -> Self {
        let mut registry = Registry::default();
        mail::register(&mut registry, Arc::clone(&mailer));
        media::register(&mut registry, Arc::clone(&media));
        announcements::register(
            &mut registry,
            announcements::MailParts {
                store: store.clone(),
                mailer: Arc::clone(&mailer),
                links: emails::Links { base_url: config.base_url.clone(), keys: config.secrets.clone() },
            },
        );
        let fetcher = chorus_networks::preview::PreviewFetcher::new(config.previews.clone());
        previews::register(&mut registry, store.clone(), fetcher);
        match chorus_networks::feeds::FeedFetcher::try_new(config.feeds.clone()) {
            Ok(fetcher) => feeds::register(&mut registry, store.clone(), Arc::clone(&clock), fetcher),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "Feed polling is off: no HTTP client"),
        }
        match publishing::Publisher::new(
            store.clone(),
            Arc::clone(&clock),
            config.secrets.clone(),
            Arc::clone(&media),
            config.base_url.clone(),
        ) {
            Ok(publisher) => publishing::register(&mut registry, publisher),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "Publishing is off: no HTTP client"),
        }
        match chorus_networks::chat::ChatClient::new(
            config.chat_allow_loopback,
            std::time::Duration::from_secs(10),
        ) {
            Ok(client) => chat::register(
                &mut registry,
                chat::Poster {
                    store: store.clone(),
                    clock: Arc::clone(&clock),
                    keyring: config.secrets.clone(),
                    client,
                },
            ),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "Slack and Teams messages are off: no HTTP client")
            }
        }
        let queue = Queue::new(store.clone(), Arc::clone(&clock), registry, config.jobs);
        let clicks = Arc::new(amplify::ClickWriter::start(store.clone(), config.click_flush));
        let ballot_box = Arc::new(surveys::BallotBox::start(store.clone()));
        let token_touches = Arc::new(tokens::TokenTouches::start(store.clone(), Arc::clone(&clock)));
        Self {
            store,
            clock,
            mailer,
            queue,
            media,
            config: Arc::new(config),
            links: Arc::default(),
            clicks,
            visitor_keys: Arc::default(),
            survey_cache: Arc::default(),
            ballot_box,
            token_touches,
            boards: Arc::default(),
        }
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// An absolute link to a path on this instance.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }

    /// Runs every due job now (tests, CLI one-shots).
    pub async fn run_pending_jobs(&self) -> Result<usize> {
        Ok(self.queue.run_pending().await?)
    }
}
