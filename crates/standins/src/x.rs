//! X API v2 with OAuth 2.0 user-context tokens, as documented:
//! - `POST /2/tweets` with JSON `{"text", "media": {"media_ids"}}` → 201 `{"data": {"id", "text"}}`
//!   <https://docs.x.com/x-api/posts/manage-tweets/quickstart>; errors are problem details
//!   (`{"title", "detail", "type", "status"}`) <https://docs.x.com/x-api/fundamentals/response-codes-and-errors>;
//!   a second tweet with the same text is refused with 403 "duplicate content", as X does.
//! - `POST /2/media/upload` (multipart `media` + `media_category`) → `{"data": {"id", "media_key", ...}}`
//!   and `POST /2/media/metadata` (alt text) <https://docs.x.com/x-api/media/upload-media>.
//! - `GET /2/users/me`, `GET /2/users/{id}/tweets?max_results=5..100&tweet.fields=...`.
//! - `POST /2/oauth2/token` with `grant_type=refresh_token`: HTTP Basic client authentication for
//!   a confidential client (`client_id` in the form for a public one); refresh tokens rotate and a
//!   used one is refused with `invalid_grant`
//!   <https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token>.
//!
//! Text length: X counts 280 *weighted* characters (twitter-text: most CJK count 2, a URL 23);
//! this stand-in counts Unicode code points, which is enough to test refusals.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Multipart, Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::{After, Endpoint, Journal, Plan, bearer, dropped, field, form_pairs, malformed, now_unix};

pub const MAX_TEXT: usize = 280;

#[derive(Debug, Clone)]
pub struct Config {
    pub client_id: String,
    /// A confidential client authenticates with HTTP Basic at the token endpoint; `None` makes
    /// a public client, which sends `client_id` in the form instead.
    pub client_secret: Option<String>,
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
    pub username: String,
    /// Lifetime of issued access tokens, in seconds (X: two hours).
    pub expires_in: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: "x-client-id".into(),
            client_secret: Some("x-client-secret".into()),
            access_token: "x-access-0".into(),
            refresh_token: "x-refresh-0".into(),
            user_id: "1500000000000000001".into(),
            username: "acme".into(),
            expires_in: 7200,
        }
    }
}

/// A tweet the stand-in holds, as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    pub media_ids: Vec<String>,
    /// Unix seconds.
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Media {
    pub id: String,
    pub mime: String,
    pub bytes: usize,
    pub alt: Option<String>,
}

struct Inner {
    config: Config,
    /// Access tokens issued, with whether each has expired.
    access: Vec<(String, bool)>,
    /// The one refresh token that works now.
    refresh: Option<String>,
    used_refresh: Vec<String>,
    issued: u32,
    media: HashMap<String, Media>,
    tweets: Vec<Tweet>,
    next_id: u64,
}

#[derive(Clone)]
struct App {
    inner: Arc<Mutex<Inner>>,
    journal: Journal,
}

/// A running X stand-in.
pub struct StandIn {
    /// Where the API is (`https://api.x.com` in production).
    pub base_url: String,
    /// The token endpoint (`https://api.x.com/2/oauth2/token` in production).
    pub token_url: String,
    pub journal: Journal,
    config: Config,
    inner: Arc<Mutex<Inner>>,
}

pub async fn start(config: Config) -> StandIn {
    let inner = Arc::new(Mutex::new(Inner {
        access: vec![(config.access_token.clone(), false)],
        refresh: Some(config.refresh_token.clone()),
        used_refresh: Vec::new(),
        issued: 0,
        media: HashMap::new(),
        tweets: Vec::new(),
        next_id: 1_860_000_000_000_000_001,
        config: config.clone(),
    }));
    let journal = Journal::default();
    let app = App { inner: Arc::clone(&inner), journal: journal.clone() };
    let router = Router::new()
        .route("/2/oauth2/token", post(token))
        .route("/2/media/upload", post(upload))
        .route("/2/media/metadata", post(metadata))
        .route("/2/tweets", post(create_tweet))
        .route("/2/users/me", get(me))
        .route("/2/users/{id}/tweets", get(timeline))
        .with_state(app);
    let base_url = crate::serve(router).await;
    StandIn { token_url: format!("{base_url}/2/oauth2/token"), base_url, journal, config, inner }
}

impl StandIn {
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The tweets held, oldest first.
    pub fn tweets(&self) -> Vec<Tweet> {
        self.lock().tweets.clone()
    }

    pub fn media(&self) -> Vec<Media> {
        self.lock().media.values().cloned().collect()
    }

    /// Every access token issued so far now answers 401, as an expired one does.
    pub fn expire_access_tokens(&self) {
        for t in &mut self.lock().access {
            t.1 = true;
        }
    }

    /// The refresh token stops working (revoked, or expired after six months unused).
    pub fn revoke_refresh_token(&self) {
        let mut s = self.lock();
        if let Some(t) = s.refresh.take() {
            s.used_refresh.push(t);
        }
    }

    /// The refresh token that works now.
    pub fn refresh_token(&self) -> Option<String> {
        self.lock().refresh.clone()
    }

    /// The access token issued last.
    pub fn access_token(&self) -> String {
        self.lock().access.last().map(|t| t.0.clone()).unwrap_or_default()
    }

    /// Refresh tokens used (or revoked) and now refused.
    pub fn used_refresh_tokens(&self) -> Vec<String> {
        self.lock().used_refresh.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("x stand-in lock")
    }
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("x stand-in lock")
    }

    /// The refusal (401 in X's shape) unless the request carries a live access token.
    fn authorize(&self, headers: &HeaderMap) -> Option<Response> {
        let s = self.lock();
        match bearer(headers).and_then(|t| s.access.iter().find(|(a, _)| a == t)) {
            Some((_, false)) => None,
            _ => Some(problem(401, "Unauthorized", "Unauthorized")),
        }
    }
}

/// A problem-details error body as X sends them.
fn problem(status: u16, title: &str, detail: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res =
        (code, Json(json!({"title": title, "detail": detail, "type": "about:blank", "status": status})))
            .into_response();
    if status == 429 {
        // X tells when the window resets rather than sending Retry-After.
        let reset = (now_unix() + 900).to_string();
        for (k, v) in [("x-rate-limit-limit", "100"), ("x-rate-limit-remaining", "0")] {
            res.headers_mut().insert(k, HeaderValue::from_static(v));
        }
        if let Ok(v) = HeaderValue::from_str(&reset) {
            res.headers_mut().insert("x-rate-limit-reset", v);
        }
    }
    res
}

fn scripted(status: u16, retry_after: Option<u64>) -> Response {
    let title = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    crate::with_retry_after(problem(status, title, title), retry_after)
}

/// 400 `invalid-request`, as X answers bad parameters.
fn invalid(parameter: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        })),
    )
        .into_response()
}

fn finish(
    journal: &Journal,
    endpoint: Endpoint,
    path: &str,
    body: &str,
    method: &str,
    res: Response,
) -> Response {
    journal.record(endpoint, method, path, crate::answered(&res), body);
    res
}

async fn token(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let done = |res| finish(&app.journal, Endpoint::Token, "/2/oauth2/token", &body, "POST", res);
    if let Plan::Refuse { status, retry_after } = app.journal.plan(Endpoint::Token).await {
        return done(scripted(status, retry_after));
    }
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (status, Json(json!({"error": error, "error_description": description}))).into_response()
    };
    let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form.starts_with("application/x-www-form-urlencoded") {
        return done(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter."));
    }
    let pairs = form_pairs(&body);
    let mut s = app.lock();
    let client_ok = match &s.config.client_secret {
        Some(secret) => {
            let expected =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", s.config.client_id));
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
                == Some(format!("Basic {expected}").as_str())
        }
        None => field(&pairs, "client_id") == Some(s.config.client_id.as_str()),
    };
    if !client_ok {
        drop(s);
        return done(oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Missing valid authorization header",
        ));
    }
    if field(&pairs, "grant_type") != Some("refresh_token") {
        drop(s);
        return done(oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Only refresh_token."));
    }
    let given = field(&pairs, "refresh_token").unwrap_or_default();
    if s.refresh.as_deref() != Some(given) || given.is_empty() {
        drop(s);
        return done(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Value passed for the token was invalid.",
        ));
    }
    s.issued += 1;
    let n = s.issued;
    let access = format!("x-access-{n}");
    let refresh = format!("x-refresh-{n}");
    s.access.push((access.clone(), false));
    // Refresh tokens rotate: the one just used is dead from now on.
    if let Some(old) = s.refresh.replace(refresh.clone()) {
        s.used_refresh.push(old);
    }
    let expires_in = s.config.expires_in;
    drop(s);
    done(
        Json(json!({
            "token_type": "bearer",
            "expires_in": expires_in,
            "access_token": access,
            "scope": "tweet.read tweet.write users.read media.write offline.access",
            "refresh_token": refresh,
        }))
        .into_response(),
    )
}

async fn upload(State(app): State<App>, headers: HeaderMap, mut multipart: Multipart) -> Response {
    let path = "/2/media/upload";
    if let Some(res) = app.authorize(&headers) {
        return finish(&app.journal, Endpoint::Upload, path, "", "POST", res);
    }
    let mut summary = Vec::new();
    let (mut media, mut mime, mut category) = (None, String::new(), None);
    loop {
        match multipart.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or_default().to_owned();
                let content_type = f.content_type().unwrap_or("application/octet-stream").to_owned();
                let Ok(data) = f.bytes().await else { break };
                summary.push(format!("{name}({} bytes)", data.len()));
                match name.as_str() {
                    "media" => {
                        media = Some(data.len());
                        mime = content_type;
                    }
                    "media_category" => category = Some(String::from_utf8_lossy(&data).into_owned()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return finish(
                    &app.journal,
                    Endpoint::Upload,
                    path,
                    "",
                    "POST",
                    invalid("media", "The request body is not a valid multipart body."),
                );
            }
        }
    }
    let body = summary.join(", ");
    let done = |res| finish(&app.journal, Endpoint::Upload, path, &body, "POST", res);
    let after = match app.journal.plan(Endpoint::Upload).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let Some(bytes) = media.filter(|n| *n > 0) else {
        return done(invalid("media", "The `media` field is required."));
    };
    const CATEGORIES: [&str; 7] =
        ["tweet_image", "tweet_video", "tweet_gif", "dm_image", "dm_video", "dm_gif", "subtitles"];
    if !category.as_deref().is_some_and(|c| CATEGORIES.contains(&c)) {
        return done(invalid("media_category", "The `media_category` field must be one of tweet_image, ..."));
    }
    if bytes > 5 * 1024 * 1024 {
        return done(invalid("media", "Images must be at most 5 MB."));
    }
    let mut s = app.lock();
    let id = s.next_id.to_string();
    s.next_id += 1;
    s.media.insert(id.clone(), Media { id: id.clone(), mime, bytes, alt: None });
    drop(s);
    done(answer(
        after,
        StatusCode::OK,
        json!({"data": {"id": id, "media_key": format!("3_{id}"), "size": bytes, "expires_after_secs": 86400}}),
    ))
}

async fn metadata(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let done = |res| finish(&app.journal, Endpoint::Upload, "/2/media/metadata", &body, "POST", res);
    if let Some(res) = app.authorize(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Upload).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let id = v["id"].as_str().unwrap_or_default().to_owned();
    let Some(alt) = v["metadata"]["alt_text"]["text"].as_str() else {
        return done(invalid("metadata", "metadata.alt_text.text is required."));
    };
    if alt.chars().count() > 1000 {
        return done(invalid("metadata", "Alt text must be at most 1000 characters."));
    }
    let mut s = app.lock();
    let Some(m) = s.media.get_mut(&id) else {
        drop(s);
        return done(invalid("id", "Your media IDs are invalid."));
    };
    m.alt = Some(alt.to_owned());
    drop(s);
    done(answer(after, StatusCode::OK, json!({"data": {"associated_metadata": true, "id": id}})))
}

async fn create_tweet(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let text_body = String::from_utf8_lossy(&body).into_owned();
    let done = |res| finish(&app.journal, Endpoint::Publish, "/2/tweets", &text_body, "POST", res);
    if let Some(res) = app.authorize(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Publish).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Some(v) = serde_json::from_slice::<Value>(&body).ok().filter(|_| json_body) else {
        return done(invalid("body", "The request body must be JSON (Content-Type: application/json)."));
    };
    let text = v.get("text").and_then(Value::as_str).unwrap_or_default().to_owned();
    let media_ids: Vec<String> = match v.get("media") {
        None => Vec::new(),
        Some(m) => match m.get("media_ids").and_then(Value::as_array) {
            Some(ids) if ids.iter().all(Value::is_string) => {
                ids.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            _ => return done(invalid("media.media_ids", "media.media_ids must be an array of strings.")),
        },
    };
    if text.trim().is_empty() && media_ids.is_empty() {
        return done(invalid("text", "Post text or media is required."));
    }
    if text.chars().count() > MAX_TEXT {
        return done(invalid(
            "text",
            "Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.",
        ));
    }
    if media_ids.len() > 4 {
        return done(invalid("media.media_ids", "At most 4 images."));
    }
    let mut s = app.lock();
    if media_ids.iter().any(|id| !s.media.contains_key(id)) {
        drop(s);
        return done(invalid("media.media_ids", "Your media IDs are invalid."));
    }
    if !text.is_empty() && s.tweets.iter().any(|t| t.text == text) {
        drop(s);
        return done(problem(
            403,
            "Forbidden",
            "You are not allowed to create a Tweet with duplicate content.",
        ));
    }
    let id = s.next_id.to_string();
    s.next_id += 1;
    let tweet = Tweet { id: id.clone(), text, media_ids, created_at: now_unix() };
    let (shown, _) = display(&tweet, &s.config.username);
    s.tweets.push(tweet);
    drop(s);
    done(answer(after, StatusCode::CREATED, json!({"data": {"id": id, "text": shown}})))
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Response {
    let done = |res| finish(&app.journal, Endpoint::Lookup, "/2/users/me", "", "GET", res);
    if let Some(res) = app.authorize(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Lookup).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let s = app.lock();
    let v = json!({"data": {"id": s.config.user_id, "name": "Acme", "username": s.config.username}});
    drop(s);
    done(answer(after, StatusCode::OK, v))
}

async fn timeline(
    State(app): State<App>,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let path = format!("/2/users/{user}/tweets?{query}");
    let done = |res| finish(&app.journal, Endpoint::Lookup, &path, "", "GET", res);
    if let Some(res) = app.authorize(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Lookup).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let pairs = form_pairs(&query);
    let max = match field(&pairs, "max_results").map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if (5..=100).contains(&n) => n,
        _ => return done(invalid("max_results", "max_results must be between 5 and 100.")),
    };
    let fields: Vec<&str> = field(&pairs, "tweet.fields").unwrap_or_default().split(',').collect();
    let s = app.lock();
    if user != s.config.user_id {
        drop(s);
        return done(invalid("id", "The `id` query parameter value is not valid."));
    }
    let data: Vec<Value> = s
        .tweets
        .iter()
        .rev()
        .take(max)
        .map(|t| {
            let (text, urls) = display(t, &s.config.username);
            let mut v = json!({"id": t.id, "text": text, "edit_history_tweet_ids": [t.id]});
            if fields.contains(&"created_at") {
                v["created_at"] = json!(rfc3339(t.created_at));
            }
            if fields.contains(&"entities") && !urls.is_empty() {
                v["entities"] = json!({"urls": urls});
            }
            if fields.contains(&"author_id") {
                v["author_id"] = json!(s.config.user_id);
            }
            v
        })
        .collect();
    drop(s);
    let v = match (data.first(), data.last()) {
        (Some(newest), Some(oldest)) => json!({
            "data": data,
            "meta": {"result_count": data.len(), "newest_id": newest["id"], "oldest_id": oldest["id"]},
        }),
        _ => json!({"meta": {"result_count": 0}}),
    };
    done(answer(after, StatusCode::OK, v))
}

fn answer(after: After, status: StatusCode, v: Value) -> Response {
    match after {
        After::Normal => (status, Json(v)).into_response(),
        After::Malformed => malformed(status),
        After::Fail500 => problem(500, "Internal Server Error", "Internal Server Error"),
        After::Drop => dropped(),
    }
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A tweet's text as X shows it, with its URL entities: every link becomes a `t.co` link
/// (`expanded_url` keeps the original), `&`, `<` and `>` are HTML-escaped, and media add a
/// trailing `t.co` link of their own.
fn display(t: &Tweet, username: &str) -> (String, Vec<Value>) {
    let mut out = String::new();
    let mut urls = Vec::new();
    let mut chars = 0usize;
    let push = |out: &mut String, chars: &mut usize, s: &str| {
        out.push_str(s);
        *chars += s.chars().count();
    };
    for (i, word) in split_keeping_spaces(&t.text).into_iter().enumerate() {
        if word.starts_with("https://") || word.starts_with("http://") {
            let link = word.trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
            let tail = &word[link.len()..];
            let short = format!("https://t.co/{}{i:02}", &t.id[t.id.len().saturating_sub(8)..]);
            let start = chars;
            push(&mut out, &mut chars, &short);
            urls.push(json!({
                "start": start, "end": chars, "url": short, "expanded_url": link,
                "display_url": link.trim_start_matches("https://").trim_start_matches("http://"),
            }));
            push(&mut out, &mut chars, &escape(tail));
        } else {
            push(&mut out, &mut chars, &escape(word));
        }
    }
    if let Some(m) = t.media_ids.first() {
        let short = format!("https://t.co/m{}", &t.id[t.id.len().saturating_sub(8)..]);
        push(&mut out, &mut chars, " ");
        let start = chars;
        push(&mut out, &mut chars, &short);
        urls.push(json!({
            "start": start, "end": chars, "url": short,
            "expanded_url": format!("https://x.com/{username}/status/{}/photo/1", t.id),
            "display_url": format!("pic.x.com/{m}"), "media_key": format!("3_{m}"),
        }));
    }
    (out, urls)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Splits into words and runs of whitespace, keeping both.
fn split_keeping_spaces(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|was| was != space) {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}
