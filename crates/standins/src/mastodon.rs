//! A Mastodon instance's publishing endpoints, as documented at
//! <https://docs.joinmastodon.org/methods/statuses/#create> and
//! <https://docs.joinmastodon.org/methods/media/#v2>:
//!
//! - `POST /api/v2/media`: multipart with a `file` part (and optional `description`) → a
//!   `MediaAttachment` with an `id`;
//! - `POST /api/v1/statuses`: a Bearer token; JSON with a non-empty `status` of at most 500
//!   characters unless `media_ids` are given; only media ids this instance issued; and the
//!   `Idempotency-Key` header: a repeat with a key already seen answers the first status instead
//!   of posting twice (Mastodon keeps keys for an hour; this stand-in keeps them for its life).

use std::{collections::HashMap, time::Duration};

use axum::{
    Json, Router,
    extract::{Multipart, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

use crate::Shared;

#[derive(Default)]
struct Recorded {
    token: String,
    /// Every request to `/api/v1/statuses`, as (status answered, JSON body).
    requests: Vec<(u16, Value)>,
    /// Statuses created, in order, with the idempotency key each was created under.
    statuses: Vec<(String, Value)>,
    by_key: HashMap<String, usize>,
    media: Vec<String>,
    /// Answers to give before behaving normally: (status, Retry-After seconds).
    scripted: Vec<(u16, Option<u64>)>,
    /// Wait this long before answering a created status (it is stored first).
    delay: Duration,
}

/// A running stand-in; `base` is the instance URL a Mastodon channel is configured with.
#[derive(Clone)]
pub struct Mastodon {
    pub base: String,
    state: Shared<Recorded>,
}

impl Mastodon {
    /// An instance that accepts `Authorization: Bearer {token}`.
    pub async fn start(token: &str) -> Self {
        let state = Shared::<Recorded>::default();
        state.lock().token = token.to_owned();
        let router = Router::new()
            .route("/api/v1/statuses", post(create_status))
            .route("/api/v2/media", post(upload_media))
            .with_state(state.clone());
        Self { base: crate::serve(router).await, state }
    }

    /// Every request to the statuses endpoint, as (status answered, JSON body).
    pub fn requests(&self) -> Vec<(u16, Value)> {
        self.state.lock().requests.clone()
    }

    /// The statuses the instance holds (each posted once, however often it was asked).
    pub fn statuses(&self) -> Vec<Value> {
        self.state.lock().statuses.iter().map(|(_, s)| s.clone()).collect()
    }

    /// The idempotency keys statuses were created under, in order.
    pub fn keys(&self) -> Vec<String> {
        self.state.lock().statuses.iter().map(|(k, _)| k.clone()).collect()
    }

    /// Answers the next status requests with these statuses (and `Retry-After` seconds) first.
    pub fn script(&self, answers: &[(u16, Option<u64>)]) {
        self.state.lock().scripted.extend_from_slice(answers);
    }

    /// Answers later status requests only after `delay`; the status is stored before the wait.
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().delay = delay;
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn authorized(rec: &Recorded, headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {}", rec.token))
}

async fn create_status(State(state): State<Shared<Recorded>>, headers: HeaderMap, body: String) -> Response {
    let (response, delay) = {
        let mut rec = state.lock();
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let (status, response, created) = decide(&mut rec, &headers, &parsed);
        rec.requests.push((status.as_u16(), parsed));
        (response, if created { rec.delay } else { Duration::ZERO })
    };
    tokio::time::sleep(delay).await;
    response
}

/// What Mastodon answers; `true` when a new status was stored.
fn decide(rec: &mut Recorded, headers: &HeaderMap, parsed: &Value) -> (StatusCode, Response, bool) {
    let refuse = |status: StatusCode, message: &str| (status, error(status, message), false);
    if !authorized(rec, headers) {
        return refuse(StatusCode::UNAUTHORIZED, "The access token is invalid");
    }
    if !rec.scripted.is_empty() {
        let (code, retry_after) = rec.scripted.remove(0);
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error(status, "scripted");
        if let Some(seconds) = retry_after
            && let Ok(value) = seconds.to_string().parse()
        {
            response.headers_mut().insert("retry-after", value);
        }
        return (status, response, false);
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: not JSON");
    }
    let media_ids: Vec<String> = parsed["media_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if media_ids.iter().any(|id| !rec.media.contains(id)) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: unknown media");
    }
    let text = parsed["status"].as_str().unwrap_or_default();
    if text.trim().is_empty() && media_ids.is_empty() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: Text can't be blank");
    }
    if text.chars().count() > 500 {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Text character limit of 500 exceeded",
        );
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if let Some(&i) = rec.by_key.get(&key) {
        let first = rec.statuses[i].1.clone();
        return (StatusCode::OK, Json(first).into_response(), false);
    }
    let id = (rec.statuses.len() + 100).to_string();
    let status = json!({
        "id": id, "uri": format!("https://social.example/users/acme/statuses/{id}"),
        "url": format!("https://social.example/@acme/{id}"), "content": format!("<p>{text}</p>"),
        "visibility": parsed["visibility"],
        "media_attachments": media_ids.iter().map(|m| json!({"id": m, "type": "image"})).collect::<Vec<_>>()
    });
    if !key.is_empty() {
        rec.by_key.insert(key.clone(), rec.statuses.len());
    }
    rec.statuses.push((key, status.clone()));
    (StatusCode::OK, Json(status).into_response(), true)
}

async fn upload_media(
    State(state): State<Shared<Recorded>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    if !authorized(&state.lock(), &headers) {
        return error(StatusCode::UNAUTHORIZED, "The access token is invalid");
    }
    let mut file = false;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let is_image = field.content_type().is_some_and(|t| t.starts_with("image/"));
            let bytes = field.bytes().await.unwrap_or_default();
            if !is_image || bytes.is_empty() {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation failed: File content type is invalid",
                );
            }
            file = true;
        }
    }
    if !file {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: File can't be blank");
    }
    let mut rec = state.lock();
    let id = format!("media-{}", rec.media.len() + 1);
    rec.media.push(id.clone());
    Json(json!({"id": id, "type": "image", "url": format!("https://social.example/media/{id}")}))
        .into_response()
}
