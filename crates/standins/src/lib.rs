//! Strict local stand-ins for the networks Chorus publishes to, for tests of every kind (connector
//! tests, web end-to-end tests, process crash tests, benchmarks).
//!
//! Each stand-in is a small axum app on `127.0.0.1:0` that implements the network's *documented*
//! request and response shapes and refuses what the network would refuse, in the network's own
//! error shape: a wrong or missing token (401), an expired access token (401, so a connector
//! refreshes), a missing required field or header (400/422), an over-long text. Each module's
//! `start(config)` returns a `StandIn` with the URL(s) to point a connector at, the posts it
//! holds, and a [`Journal`] of every request with the status it answered.
//!
//! - [`x`]: X API v2 — `POST /2/tweets`, `POST /2/media/upload`, `POST /2/media/metadata`,
//!   `GET /2/users/me`, `GET /2/users/{id}/tweets`, and the OAuth 2.0 token endpoint
//!   (`POST /2/oauth2/token`), which rotates refresh tokens and refuses a used one with
//!   `invalid_grant`. Stored tweets read back the way X shows them: links rewritten to `t.co`
//!   with `entities.urls[].expanded_url`, `&<>` HTML-escaped, a `t.co` link appended for media.
//! - [`linkedin`]: LinkedIn Posts and Images APIs on an "api" host (`/rest/posts`,
//!   `/rest/images?action=initializeUpload`) and, like LinkedIn, the token endpoint
//!   (`/oauth/v2/accessToken`) and the upload URLs on a second "www" host. It checks
//!   `LinkedIn-Version` and `X-Restli-Protocol-Version`, and reads `commentary` as the "little"
//!   text format: an unescaped reserved character silently cuts the text there, as LinkedIn does,
//!   so [`linkedin::Post::text`] is what readers would see.
//! - [`facebook`]: a Facebook Page on the Graph API — `POST /{version}/{page}/photos`
//!   (unpublished photos), `POST /{version}/{page}/feed` (`message`, `link`, `attached_media`),
//!   `GET /{version}/{page}/feed`; Graph error bodies (`{"error": {"code", "type", ...}}`). Page
//!   tokens do not refresh: an expired one answers code 190.
//!
//! Faults are scripted per endpoint with [`Journal::inject`]: refuse the next N requests with a
//! status (and `Retry-After`), delay answers (timeouts), answer a malformed 2xx body, or carry the
//! request out and then answer 500 or drop the connection (the post *is* stored: what
//! exactly-once lookups are tested against).
//!
//! - [`mastodon`]: `POST /api/v2/media` and `POST /api/v1/statuses` with `Idempotency-Key`
//!   (a repeated key answers the first status). It can answer slowly *after* storing the status
//!   (a worker killed while a publish is in flight) and play scripted statuses.
//! - [`slack`] and [`teams`]: Slack and Microsoft Teams incoming webhooks, strict about their
//!   documented bodies (Slack's `{"text"}` with escaped mrkdwn, Teams' Adaptive Card message),
//!   answering as the services do (`ok`, `1`, `400 no_text`, `404 no_service`), and removable.
//! - [`webhook`]: a receiver that verifies Chorus's HMAC-SHA256 signature; it can answer slowly
//!   after recording the delivery.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub mod facebook;
pub mod linkedin;
pub mod mastodon;
pub mod oidc;
pub mod slack;
pub mod teams;
pub mod webhook;
pub mod x;

/// Serves `router` on a fresh port of 127.0.0.1 for the rest of the test; returns its base URL
/// (`http://127.0.0.1:PORT`, no trailing slash).
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve a stand-in") });
    format!("http://{addr}")
}

/// What a request was for, so faults can be aimed and requests counted per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The OAuth token endpoint.
    Token,
    /// Media uploads (and their metadata).
    Upload,
    /// Creating a post.
    Publish,
    /// Reading posts or the account back (what `find` uses).
    Lookup,
}

/// A scripted misbehaviour for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Refuse with this status, in the network's error shape, with `Retry-After` when given;
    /// nothing is carried out.
    Status { status: u16, retry_after: Option<u64> },
    /// Wait this long, then carry the request out and answer normally (a client with a shorter
    /// timeout gives up first, yet the post exists: like a slow network).
    Delay(Duration),
    /// Carry the request out, then answer success with a body the client cannot read.
    Malformed,
    /// Carry the request out (the post is stored), then answer 500.
    AcceptThen500,
    /// Carry the request out (the post is stored), then drop the connection mid-answer.
    AcceptThenDrop,
}

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub endpoint: Endpoint,
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The status answered; 0 when the connection was dropped instead.
    pub status: u16,
    /// The body as text (multipart bodies are summarised as their field names).
    pub body: String,
}

/// Every request a stand-in answered, and the faults still to play. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<JournalState>>);

#[derive(Default)]
struct JournalState {
    requests: Vec<Request>,
    faults: VecDeque<(Endpoint, Fault)>,
}

impl Journal {
    /// Plays `fault` on the next `times` requests to `endpoint` (after any already queued for it).
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        let mut s = self.0.lock().expect("journal lock");
        for _ in 0..times {
            s.faults.push_back((endpoint, fault.clone()));
        }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.0.lock().expect("journal lock").requests.clone()
    }

    /// The requests so far to one endpoint.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.endpoint == endpoint).collect()
    }

    /// The statuses answered so far to one endpoint.
    pub fn statuses(&self, endpoint: Endpoint) -> Vec<u16> {
        self.requests_to(endpoint).into_iter().map(|r| r.status).collect()
    }

    /// Takes the next fault queued for `endpoint`, if any.
    pub(crate) fn next_fault(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut s = self.0.lock().expect("journal lock");
        let i = s.faults.iter().position(|(e, _)| *e == endpoint)?;
        s.faults.remove(i).map(|(_, f)| f)
    }

    pub(crate) fn record(&self, endpoint: Endpoint, method: &str, path: &str, status: u16, body: &str) {
        self.0.lock().expect("journal lock").requests.push(Request {
            endpoint,
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            body: body.to_owned(),
        });
    }
}

/// How to answer a request that was carried out, given the fault drawn for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    Normal,
    Malformed,
    Fail500,
    Drop,
}

/// What to do with a request after its fault was drawn: refuse it now, or carry it out (after any
/// delay) and answer as [`After`] says.
pub(crate) enum Plan {
    Refuse { status: u16, retry_after: Option<u64> },
    CarryOut(After),
}

impl Journal {
    /// Draws the fault for a request to `endpoint` and waits out any delay.
    pub(crate) async fn plan(&self, endpoint: Endpoint) -> Plan {
        match self.next_fault(endpoint) {
            None => Plan::CarryOut(After::Normal),
            Some(Fault::Status { status, retry_after }) => Plan::Refuse { status, retry_after },
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                Plan::CarryOut(After::Normal)
            }
            Some(Fault::Malformed) => Plan::CarryOut(After::Malformed),
            Some(Fault::AcceptThen500) => Plan::CarryOut(After::Fail500),
            Some(Fault::AcceptThenDrop) => Plan::CarryOut(After::Drop),
        }
    }
}

/// Marks a response that is not really sent (see [`dropped`]).
#[derive(Clone, Copy)]
struct Dropped;

/// An answer whose headers promise more body than there is: hyper gives up on it and closes the
/// connection, so the client gets no answer at all.
pub(crate) fn dropped() -> Response {
    let mut res = (StatusCode::OK, "{\"da").into_response();
    res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from_static("4096"));
    res.extensions_mut().insert(Dropped);
    res
}

/// The status a response answers, for the journal: 0 for a dropped connection.
pub(crate) fn answered(res: &Response) -> u16 {
    if res.extensions().get::<Dropped>().is_some() { 0 } else { res.status().as_u16() }
}

/// A success status with a body no client can read as the documented JSON.
pub(crate) fn malformed(status: StatusCode) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], "{\"data\": {\"id\": ").into_response()
}

/// Adds `Retry-After` (seconds) to a response.
pub(crate) fn with_retry_after(mut res: Response, retry_after: Option<u64>) -> Response {
    if let Some(s) = retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The bearer token of a request, if any.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Decodes an `application/x-www-form-urlencoded` body or query into (name, value) pairs (with
/// the same decoder axum's `Form` and `Query` use); an undecodable one gives no pairs.
pub(crate) fn form_pairs(s: &str) -> Vec<(String, String)> {
    let Ok(uri) = format!("/?{s}").parse::<axum::http::Uri>() else { return Vec::new() };
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).map(|q| q.0).unwrap_or_default()
}

/// The first value of `name` among form pairs.
pub(crate) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// State shared between a stand-in's handlers and the test that inspects it.
pub(crate) struct Shared<T>(Arc<Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(T::default())))
    }
}

impl<T> Shared<T> {
    /// A poisoned lock only means another handler panicked; the data is still what was recorded.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
