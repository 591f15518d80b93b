//! A Facebook Page on the Graph API, as documented:
//! - `POST /{version}/{page-id}/photos` (multipart `source`, `published=false` for a photo to
//!   attach later) → `{"id"}`; a *published* photo becomes a post of its own, as on Facebook
//!   <https://developers.facebook.com/docs/graph-api/reference/page/photos>;
//! - `POST /{version}/{page-id}/feed` (form: `message`, `link`, `attached_media[n]` =
//!   `{"media_fbid": "…"}`) → `{"id": "{page-id}_{post-id}"}`; `GET /{version}/{page-id}/feed`
//!   with `fields` <https://developers.facebook.com/docs/pages-api/posts>;
//! - the Page access token as the `access_token` parameter (query, form or multipart field) or
//!   an `Authorization: Bearer`/`OAuth` header;
//! - errors as `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`: a bad or
//!   expired token is code 190 (subcode 463 when expired), a bad parameter code 100
//!   <https://developers.facebook.com/docs/graph-api/guides/error-handling>.
//!
//! Scripted statuses answer in the same shape: 429 with code 32 (Page request limit), 5xx with
//! code 2 (`is_transient`), 401 with code 190, anything else code 1.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Multipart, Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::{After, Endpoint, Journal, Plan, dropped, field, form_pairs, malformed, now_unix};

/// Facebook's limit for a post's message.
pub const MAX_MESSAGE: usize = 63_206;

#[derive(Debug, Clone)]
pub struct Config {
    pub page_id: String,
    pub page_token: String,
}

impl Default for Config {
    fn default() -> Self {
        Self { page_id: "104000000000001".into(), page_token: "fb-page-token".into() }
    }
}

/// A post on the Page's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: String,
    pub message: String,
    pub link: Option<String>,
    /// Photo ids attached (or the photo itself, for a published photo).
    pub photos: Vec<String>,
    /// Unix seconds.
    pub created_time: i64,
}

#[derive(Debug, Clone)]
pub struct Photo {
    pub id: String,
    pub bytes: usize,
    pub published: bool,
    pub alt: Option<String>,
}

struct Inner {
    config: Config,
    token_expired: bool,
    photos: HashMap<String, Photo>,
    posts: Vec<Post>,
    next: u64,
}

#[derive(Clone)]
struct App {
    inner: Arc<Mutex<Inner>>,
    journal: Journal,
}

/// A running Graph API stand-in; `base_url` stands for `https://graph.facebook.com`.
pub struct StandIn {
    pub base_url: String,
    pub journal: Journal,
    config: Config,
    inner: Arc<Mutex<Inner>>,
}

pub async fn start(config: Config) -> StandIn {
    let inner = Arc::new(Mutex::new(Inner {
        config: config.clone(),
        token_expired: false,
        photos: HashMap::new(),
        posts: Vec::new(),
        next: 900_000_000_000_001,
    }));
    let journal = Journal::default();
    let app = App { inner: Arc::clone(&inner), journal: journal.clone() };
    let router = Router::new()
        .route("/{version}/{page}/photos", post(photos))
        .route("/{version}/{page}/feed", get(read_feed).post(create_post))
        .with_state(app);
    StandIn { base_url: crate::serve(router).await, journal, config, inner }
}

impl StandIn {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn posts(&self) -> Vec<Post> {
        self.lock().posts.clone()
    }

    pub fn photos(&self) -> Vec<Photo> {
        self.lock().photos.values().cloned().collect()
    }

    /// The Page token stops working (code 190, subcode 463), as when it expires or is revoked.
    pub fn expire_page_token(&self) {
        self.lock().token_expired = true;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("facebook stand-in lock")
    }
}

/// A Graph error body.
fn graph_error(status: u16, code: u32, subcode: Option<u32>, kind: &str, message: &str) -> Response {
    let mut e = json!({"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"});
    if let Some(s) = subcode {
        e["error_subcode"] = json!(s);
    }
    if code == 2 {
        e["is_transient"] = json!(true);
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), Json(json!({"error": e})))
        .into_response()
}

fn bad_parameter(message: &str) -> Response {
    graph_error(400, 100, None, "OAuthException", &format!("(#100) {message}"))
}

fn scripted(status: u16, retry_after: Option<u64>) -> Response {
    let res = match status {
        429 => graph_error(429, 32, None, "OAuthException", "(#32) Page request limit reached"),
        401 => graph_error(401, 190, None, "OAuthException", "Invalid OAuth access token."),
        500..=599 => graph_error(
            status,
            2,
            None,
            "OAuthException",
            "An unexpected error has occurred. Please retry your request later.",
        ),
        _ => graph_error(status, 1, None, "OAuthException", "An unknown error occurred"),
    };
    crate::with_retry_after(res, retry_after)
}

fn finish(
    journal: &Journal,
    endpoint: Endpoint,
    method: &str,
    path: &str,
    body: &str,
    res: Response,
) -> Response {
    journal.record(endpoint, method, path, crate::answered(&res), body);
    res
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("facebook stand-in lock")
    }

    /// The refusal, if any, for the token (from a parameter or the Authorization header), the
    /// version and the page.
    fn check(&self, version: &str, page: &str, param: Option<&str>, headers: &HeaderMap) -> Option<Response> {
        let from_header = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("OAuth ")));
        let Some(token) = param.or(from_header) else {
            return Some(graph_error(
                400,
                2500,
                None,
                "OAuthException",
                "An active access token must be used to query information about the current user.",
            ));
        };
        let s = self.lock();
        if token != s.config.page_token {
            return Some(graph_error(
                400,
                190,
                None,
                "OAuthException",
                "Invalid OAuth access token - Cannot parse access token",
            ));
        }
        if s.token_expired {
            return Some(graph_error(
                400,
                190,
                Some(463),
                "OAuthException",
                "Error validating access token: Session has expired.",
            ));
        }
        let numbers = version.strip_prefix('v').and_then(|v| v.split_once('.'));
        if !numbers.is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok()) {
            return Some(bad_parameter(&format!("Unknown version: {version}")));
        }
        if page != s.config.page_id {
            return Some(graph_error(
                400,
                100,
                Some(33),
                "GraphMethodException",
                &format!("Unsupported post request. Object with ID '{page}' does not exist."),
            ));
        }
        None
    }
}

async fn photos(
    State(app): State<App>,
    Path((version, page)): Path<(String, String)>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let path = format!("/{version}/{page}/photos");
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut source = None;
    let mut summary = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or_default().to_owned();
                let Ok(data) = f.bytes().await else { break };
                if name == "source" {
                    source = Some(data.len());
                    summary.push(format!("source({} bytes)", data.len()));
                } else {
                    if name != "access_token" {
                        summary.push(format!("{name}={}", String::from_utf8_lossy(&data)));
                    }
                    fields.insert(name, String::from_utf8_lossy(&data).into_owned());
                }
            }
            Ok(None) => break,
            Err(_) => {
                let res = bad_parameter("The request body is not a valid multipart body");
                return finish(&app.journal, Endpoint::Upload, "POST", &path, "", res);
            }
        }
    }
    let body = summary.join(", ");
    let done = |res| finish(&app.journal, Endpoint::Upload, "POST", &path, &body, res);
    if let Some(res) = app.check(&version, &page, fields.get("access_token").map(String::as_str), &headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Upload).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let Some(bytes) = source.filter(|n| *n > 0) else {
        return done(graph_error(400, 324, None, "OAuthException", "(#324) Requires upload file"));
    };
    let published = fields.get("published").is_none_or(|p| p != "false");
    let mut s = app.lock();
    s.next += 1;
    let id = s.next.to_string();
    s.photos.insert(
        id.clone(),
        Photo { id: id.clone(), bytes, published, alt: fields.get("alt_text_custom").cloned() },
    );
    if published {
        let post = Post {
            id: format!("{page}_{id}"),
            message: fields.get("message").cloned().unwrap_or_default(),
            link: None,
            photos: vec![id.clone()],
            created_time: now_unix(),
        };
        s.posts.push(post);
    }
    drop(s);
    done(answer(after, StatusCode::OK, json!({"id": id})))
}

async fn create_post(
    State(app): State<App>,
    Path((version, page)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = format!("/{version}/{page}/feed");
    let pairs = form_pairs(&body);
    let shown: Vec<String> =
        pairs.iter().filter(|(k, _)| k != "access_token").map(|(k, v)| format!("{k}={v}")).collect();
    let shown = shown.join("&");
    let done = |res| finish(&app.journal, Endpoint::Publish, "POST", &path, &shown, res);
    if let Some(res) = app.check(&version, &page, field(&pairs, "access_token"), &headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Publish).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form.starts_with("application/x-www-form-urlencoded") {
        return done(bad_parameter("Missing message or attachment"));
    }
    let message = field(&pairs, "message").unwrap_or_default().to_owned();
    let link = field(&pairs, "link").map(str::to_owned);
    let mut attached = Vec::new();
    for (k, v) in &pairs {
        if k.starts_with("attached_media[") {
            let Some(id) = serde_json::from_str::<Value>(v)
                .ok()
                .and_then(|m| m["media_fbid"].as_str().map(str::to_owned))
            else {
                return done(bad_parameter(&format!("param {k} must be a JSON object with media_fbid")));
            };
            attached.push(id);
        }
    }
    if message.trim().is_empty() && link.is_none() && attached.is_empty() {
        return done(bad_parameter("Missing message or attachment"));
    }
    if message.chars().count() > MAX_MESSAGE {
        return done(bad_parameter("Param message must be at most 63206 characters long"));
    }
    if link.as_deref().is_some_and(|l| !(l.starts_with("http://") || l.starts_with("https://"))) {
        return done(bad_parameter("Param link must be a valid URL"));
    }
    let mut s = app.lock();
    if let Some(bad) = attached.iter().find(|id| s.photos.get(*id).is_none_or(|p| p.published)) {
        drop(s);
        return done(bad_parameter(&format!("param attached_media has invalid media_fbid {bad}")));
    }
    s.next += 1;
    let id = format!("{page}_{}", s.next);
    s.posts.push(Post { id: id.clone(), message, link, photos: attached, created_time: now_unix() });
    drop(s);
    done(answer(after, StatusCode::OK, json!({"id": id})))
}

async fn read_feed(
    State(app): State<App>,
    Path((version, page)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs = form_pairs(&query);
    let shown: Vec<String> =
        pairs.iter().filter(|(k, _)| k != "access_token").map(|(k, v)| format!("{k}={v}")).collect();
    let path = format!("/{version}/{page}/feed?{}", shown.join("&"));
    let done = |res| finish(&app.journal, Endpoint::Lookup, "GET", &path, "", res);
    if let Some(res) = app.check(&version, &page, field(&pairs, "access_token"), &headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Lookup).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let fields: Vec<&str> = field(&pairs, "fields").unwrap_or("id,message,created_time").split(',').collect();
    let limit = match field(&pairs, "limit").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return done(bad_parameter("Param limit must be between 1 and 100")),
    };
    let s = app.lock();
    let data: Vec<Value> = s
        .posts
        .iter()
        .rev()
        .take(limit)
        .map(|p| {
            let mut v = json!({"id": p.id});
            if fields.contains(&"message") && !p.message.is_empty() {
                v["message"] = json!(p.message);
            }
            if fields.contains(&"permalink_url") {
                v["permalink_url"] = json!(format!("https://www.facebook.com/{}", p.id));
            }
            if fields.contains(&"created_time") {
                v["created_time"] = json!(graph_time(p.created_time));
            }
            v
        })
        .collect();
    drop(s);
    done(answer(
        after,
        StatusCode::OK,
        json!({"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}}),
    ))
}

fn answer(after: After, status: StatusCode, v: Value) -> Response {
    match after {
        After::Normal => (status, Json(v)).into_response(),
        After::Malformed => malformed(status),
        After::Fail500 => scripted(500, None),
        After::Drop => dropped(),
    }
}

/// Graph's timestamp format: `2026-11-23T17:22:34+0000`.
fn graph_time(unix: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
