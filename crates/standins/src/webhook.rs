//! A webhook receiver (Slack, Teams, custom) that checks Chorus's signature: `X-Chorus-Signature:
//! sha256=<hex>` of HMAC-SHA256(secret, "{X-Chorus-Timestamp}.{body}"), and wants a JSON body with
//! `text` and `post_id`.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::Shared;

#[derive(Default)]
struct Recorded {
    secret: String,
    /// Every request, as (status answered, JSON body).
    requests: Vec<(u16, Value)>,
    /// Wait this long before answering (after the delivery is recorded).
    delay: std::time::Duration,
}

/// A running receiver; `url` is what a webhook channel is configured with.
#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    state: Shared<Recorded>,
}

impl Webhook {
    pub async fn start(secret: &str) -> Self {
        let state = Shared::<Recorded>::default();
        state.lock().secret = secret.to_owned();
        let router = Router::new().route("/hook", post(receive)).with_state(state.clone());
        Self { url: format!("{}/hook", crate::serve(router).await), state }
    }

    /// Every request received, as (status answered, JSON body).
    pub fn requests(&self) -> Vec<(u16, Value)> {
        self.state.lock().requests.clone()
    }

    /// Deliveries accepted (signature and body valid).
    pub fn delivered(&self) -> Vec<Value> {
        self.state.lock().requests.iter().filter(|(s, _)| *s == 200).map(|(_, v)| v.clone()).collect()
    }

    /// Answers every later request only after `delay` (the delivery counts as received at once).
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.state.lock().delay = delay;
    }
}

async fn receive(State(state): State<Shared<Recorded>>, headers: HeaderMap, body: String) -> Response {
    let delay = {
        let mut rec = state.lock();
        let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let timestamp = headers.get("x-chorus-timestamp").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(rec.secret.as_bytes()).expect("HMAC takes any key");
        mac.update(format!("{timestamp}.{body}").as_bytes());
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let given = headers.get("x-chorus-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if given != format!("sha256={expected}") {
            rec.requests.push((401, parsed));
            return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
        }
        if parsed["text"].as_str().is_none() || parsed["post_id"].as_str().is_none() {
            rec.requests.push((400, parsed));
            return (StatusCode::BAD_REQUEST, "missing fields").into_response();
        }
        rec.requests.push((200, parsed));
        rec.delay
    };
    tokio::time::sleep(delay).await;
    (StatusCode::OK, Json(json!({"ok": true}))).into_response()
}
