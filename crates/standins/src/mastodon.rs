//! A Mastodon instance's publishing endpoints, as documented at
//! <https://docs.joinmastodon.org/methods/statuses/#create> and
//! <https://docs.joinmastodon.org/methods/media/#v2>:
//!
//! - `POST /api/v2/media`: multipart with a `file` part (and optional `description`) → a
//!   `MediaAttachment` with an `id`;
//! - `POST /api/v1/statuses`: a Bearer token; JSON with a non-empty `status` of at most 500
//!   characters unless `media_ids` are given; only media ids this instance issued; and the
//!   `Idempotency-Key` header: a repeat with a key already seen answers the first status instead
//!   of posting twice (Mastodon keeps keys for an hour; this stand-in keeps them for its life);
//! - connecting an account (<https://docs.joinmastodon.org/client/token/>): `POST /api/v1/apps`
//!   (form: `client_name`, `redirect_uris`, `scopes`) → `client_id`/`client_secret`;
//!   `GET /oauth/authorize` checks the client and redirect URI and, standing in for the person
//!   pressing "Authorize", redirects back at once with `code` and `state`; `POST /oauth/token`
//!   (`grant_type=authorization_code`, the code once, the same client and redirect URI) → an
//!   access token this instance then accepts; `GET /api/v1/accounts/verify_credentials`.

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
    /// Tokens accepted as `Authorization: Bearer …` (the first one given, and any issued).
    tokens: Vec<String>,
    /// Registered apps: (client_id, client_secret, redirect_uri).
    apps: Vec<(String, String, String)>,
    /// Authorization codes not yet exchanged: (code, client_id, redirect_uri).
    codes: Vec<(String, String, String)>,
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
        state.lock().tokens.push(token.to_owned());
        let router = Router::new()
            .route("/api/v1/statuses", post(create_status))
            .route("/api/v2/media", post(upload_media))
            .route("/api/v1/apps", post(register_app))
            .route("/oauth/authorize", axum::routing::get(authorize))
            .route("/oauth/token", post(issue_token))
            .route("/api/v1/accounts/verify_credentials", axum::routing::get(verify_credentials))
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
    let given =
        headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|t| rec.tokens.iter().any(|k| k == t))
}

type Form = axum::extract::Form<HashMap<String, String>>;

async fn register_app(State(state): State<Shared<Recorded>>, axum::extract::Form(f): Form) -> Response {
    let (Some(_name), Some(redirect), Some(scopes)) =
        (f.get("client_name"), f.get("redirect_uris"), f.get("scopes"))
    else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Name can't be blank, Redirect URI can't be blank",
        );
    };
    if !scopes
        .split(' ')
        .all(|s| ["read", "write", "write:statuses", "write:media", "read:accounts"].contains(&s))
    {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation failed: Scopes are invalid");
    }
    let mut rec = state.lock();
    let n = rec.apps.len() + 1;
    let (id, secret) = (format!("client-{n}"), format!("secret-{n}"));
    rec.apps.push((id.clone(), secret.clone(), redirect.clone()));
    Json(json!({"id": n.to_string(), "name": "Chorus", "redirect_uri": redirect, "client_id": id,
        "client_secret": secret, "scopes": scopes.split(' ').collect::<Vec<_>>()}))
    .into_response()
}

async fn authorize(
    State(state): State<Shared<Recorded>>,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let mut rec = state.lock();
    let client = q.get("client_id").cloned().unwrap_or_default();
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let known = rec.apps.iter().any(|(id, _, uri)| *id == client && *uri == redirect);
    if !known || q.get("response_type").map(String::as_str) != Some("code") {
        return (StatusCode::BAD_REQUEST, "The redirect uri included is not valid.").into_response();
    }
    let code = format!("code-{}", rec.codes.len() + 1);
    rec.codes.push((code.clone(), client, redirect.clone()));
    let state_param = q.get("state").cloned().unwrap_or_default();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{sep}code={code}&state={state_param}");
    (StatusCode::FOUND, [("location", location)]).into_response()
}

async fn issue_token(State(state): State<Shared<Recorded>>, axum::extract::Form(f): Form) -> Response {
    let mut rec = state.lock();
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let invalid_grant = || {
        (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant",
            "error_description": "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."})))
        .into_response()
    };
    let client_ok =
        rec.apps.iter().any(|(id, secret, _)| *id == get("client_id") && *secret == get("client_secret"));
    if !client_ok {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"}))).into_response();
    }
    if get("grant_type") != "authorization_code" {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "unsupported_grant_type"}))).into_response();
    }
    let Some(i) = rec
        .codes
        .iter()
        .position(|(c, id, uri)| *c == get("code") && *id == get("client_id") && *uri == get("redirect_uri"))
    else {
        return invalid_grant();
    };
    rec.codes.remove(i); // a code works once
    let token = format!("issued-token-{}", rec.tokens.len());
    rec.tokens.push(token.clone());
    Json(json!({"access_token": token, "token_type": "Bearer", "scope": get("scope"), "created_at": 1_700_000_000})).into_response()
}

async fn verify_credentials(State(state): State<Shared<Recorded>>, headers: HeaderMap) -> Response {
    if !authorized(&state.lock(), &headers) {
        return error(StatusCode::UNAUTHORIZED, "The access token is invalid");
    }
    Json(json!({"id": "1", "username": "acme", "acct": "acme", "url": "https://social.example/@acme"}))
        .into_response()
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
