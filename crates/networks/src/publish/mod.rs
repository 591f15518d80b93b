//! Publishing connectors: one module per network behind [`Connector`].
//!
//! A connector knows the network's request and response shapes and sorts every failure into
//! what the caller must do next ([`PublishError`]). Exactly-once is the caller's protocol
//! (see `docs/publishing.md`); connectors supply the two pieces it needs from each network:
//! whether a repeated request is harmless ([`Connector::retry`]), and a way to look for a post
//! whose outcome is unknown ([`Connector::find`]).

use std::time::Duration;

use async_trait::async_trait;

pub mod bluesky;
pub mod facebook;
pub mod linkedin;
pub mod mastodon;
pub mod oauth;
pub mod webhook;
pub mod x;

/// What to publish: the post's own text and the context a connector may add.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Stable per post: the idempotency key, record key seed, and what `find` looks for.
    pub post_id: uuid::Uuid,
    pub text: String,
    /// The submission's title (webhooks and the blog show it; networks ignore it).
    pub title: String,
    pub link: Option<String>,
    pub images: Vec<Image>,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub bytes: Vec<u8>,
    pub mime: String,
    pub alt: String,
}

/// Where the network put the post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub id: String,
    pub url: Option<String>,
}

/// Why a publish did not (certainly) happen, sorted by what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The network refused the request: it was not posted. Retrying the same request will not help.
    #[error("refused by the network: {0}")]
    Refused(String),
    /// The credentials were refused (401/403): refresh them or ask a person; not posted.
    #[error("credentials refused: {0}")]
    Unauthorized(String),
    /// Too many requests: not posted; try again after the given time.
    #[error("rate limited{}", .retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// The network failed before accepting the request (connection refused, DNS): not posted.
    #[error("network unavailable: {0}")]
    Unavailable(String),
    /// The request may or may not have been carried out (timeout, dropped connection, 5xx,
    /// an answer we cannot read): look before posting again.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

/// Whether repeating a publish request whose outcome is unknown is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySafety {
    /// The network deduplicates repeats (Mastodon's `Idempotency-Key`, for a limited time).
    DeduplicatedFor(Duration),
    /// Never safe blindly: look first with [`Connector::find`].
    LookFirst,
}

/// The result of looking for a post whose publish outcome is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Published),
    NotFound,
    /// The network offers no way to look: a person decides.
    CannotTell,
}

#[async_trait]
pub trait Connector: Send + Sync {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError>;
    fn retry(&self) -> RetrySafety;
    async fn find(&self, post: &Outbound) -> Result<Lookup, PublishError>;
    /// Session state worth keeping for the next post (a Bluesky session), when it changed.
    fn session_state(&self) -> Option<String> {
        None
    }
}

/// The HTTP client connectors share: no proxies, a total timeout per request.
pub fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("Chorus/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .build()
}

/// Sorts a transport error: before the request left (connect), it was not carried out;
/// after (timeout, reset), the outcome is unknown.
pub(crate) fn transport_error(e: &reqwest::Error) -> PublishError {
    if e.is_connect() || e.is_builder() {
        PublishError::Unavailable(e.to_string())
    } else {
        PublishError::Unknown(e.to_string())
    }
}

/// Sorts an HTTP error status the way most networks mean it.
pub(crate) fn status_error(
    status: reqwest::StatusCode,
    retry_after: Option<Duration>,
    body: &str,
) -> PublishError {
    let detail = format!("HTTP {}: {}", status.as_u16(), truncate(body, 300));
    match status.as_u16() {
        401 | 403 => PublishError::Unauthorized(detail),
        429 => PublishError::RateLimited { retry_after },
        500..=599 => PublishError::Unknown(detail),
        _ => PublishError::Refused(detail),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare on APIs and read as absent).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

pub(crate) fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A base URL without its trailing slash.
pub(crate) fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}
