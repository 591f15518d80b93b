//! A Slack incoming webhook (`POST /services/T…/B…/…`), strict about what Slack documents:
//!
//! - the body is JSON with `Content-Type: application/json` (anything else: `400 invalid_payload`);
//! - it carries a non-empty `text` (or `blocks`): otherwise `400 no_text`;
//! - `text` is mrkdwn, where `&`, `<` and `>` must be escaped (`&amp;`, `&lt;`, `&gt;`) except in
//!   control sequences such as `<https://…|label>`: an unescaped one is refused here with
//!   `400 invalid_payload` (Slack would show a garbled message; a test should fail instead);
//! - a removed webhook answers `404 no_service`;
//! - success is `200` with the body `ok`.
//!
//! Faults are scripted with [`crate::Journal::inject`] on [`crate::Endpoint::Publish`] (e.g. a
//! `429` with `Retry-After`, Slack's rate limit).

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::Value;

use crate::{Endpoint, Journal, Plan, Shared};

#[derive(Default)]
struct Hooks {
    /// The webhook path that exists (`T000/B000/secret`); cleared by [`Slack::remove`].
    path: Option<String>,
    /// Accepted messages' `text`, in order.
    texts: Vec<String>,
}

/// A running Slack webhook; `url` is what an integration is configured with.
#[derive(Clone)]
pub struct Slack {
    pub url: String,
    pub journal: Journal,
    state: Shared<Hooks>,
}

impl Slack {
    pub async fn start() -> Self {
        let state = Shared::<Hooks>::default();
        let path = "T0CHORUS/B0STANDIN/xoxSecretToken42".to_owned();
        state.lock().path = Some(path.clone());
        let journal = Journal::default();
        let router = Router::new()
            .route("/services/{*path}", post(receive))
            .with_state((state.clone(), journal.clone()));
        let base = crate::serve(router).await;
        Self { url: format!("{base}/services/{path}"), journal, state }
    }

    /// The `text` of every message accepted, in order.
    pub fn texts(&self) -> Vec<String> {
        self.state.lock().texts.clone()
    }

    /// The webhook is removed in Slack: every later request answers `404 no_service`.
    pub fn remove(&self) {
        self.state.lock().path = None;
    }
}

fn answer(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Whether `text` escapes `&`, `<` and `>` as mrkdwn requires (control sequences `<…>` allowed).
fn escaped_properly(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>']) {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix('&') {
            if !["&amp;", "&lt;", "&gt;"].iter().any(|e| tail.starts_with(e)) {
                return false;
            }
            rest = after;
        } else if tail.starts_with('<') {
            // A control sequence: a link, a mention or a special command, closed on the same line.
            let Some(end) = tail.find('>') else { return false };
            let inner = &tail[1..end];
            let ok = (inner.starts_with("http://")
                || inner.starts_with("https://")
                || inner.starts_with("mailto:")
                || inner.starts_with('@')
                || inner.starts_with('#')
                || inner.starts_with('!'))
                && !inner.contains('<')
                && !inner.contains('\n');
            if !ok {
                return false;
            }
            rest = &tail[end + 1..];
        } else {
            return false; // a lone `>`
        }
    }
    true
}

async fn receive(
    State((state, journal)): State<(Shared<Hooks>, Journal)>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text_body = String::from_utf8_lossy(&body).into_owned();
    let record = |status: StatusCode| {
        journal.record(Endpoint::Publish, "POST", &format!("/services/{path}"), status.as_u16(), &text_body)
    };
    if let Plan::Refuse { status, retry_after } = journal.plan(Endpoint::Publish).await {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        record(status);
        let res =
            answer(status, if status == StatusCode::TOO_MANY_REQUESTS { "rate_limited" } else { "error" });
        return crate::with_retry_after(res, retry_after);
    }
    if state.lock().path.as_deref() != Some(path.as_str()) {
        record(StatusCode::NOT_FOUND);
        return answer(StatusCode::NOT_FOUND, "no_service");
    }
    let json_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
    });
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let Some(Value::Object(message)) = parsed.filter(|_| json_type) else {
        record(StatusCode::BAD_REQUEST);
        return answer(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let text = message.get("text").and_then(Value::as_str).unwrap_or_default();
    let has_blocks = message.get("blocks").and_then(Value::as_array).is_some_and(|b| !b.is_empty());
    if text.trim().is_empty() && !has_blocks {
        record(StatusCode::BAD_REQUEST);
        return answer(StatusCode::BAD_REQUEST, "no_text");
    }
    if message.get("text").is_some_and(|t| !t.is_string()) || !escaped_properly(text) {
        record(StatusCode::BAD_REQUEST);
        return answer(StatusCode::BAD_REQUEST, "invalid_payload");
    }
    state.lock().texts.push(text.to_owned());
    record(StatusCode::OK);
    answer(StatusCode::OK, "ok")
}

#[cfg(test)]
mod tests {
    use super::escaped_properly;

    #[test]
    fn mrkdwn_needs_ampersands_and_angle_brackets_escaped_outside_links() {
        assert!(escaped_properly("*R&amp;D* &lt;3\n<https://x.test/a?b=1&amp;c=2|Open>"));
        assert!(!escaped_properly("R&D"));
        assert!(!escaped_properly("a < b"));
        assert!(!escaped_properly("a > b"));
        assert!(!escaped_properly("<script>"));
    }
}
