//! A Microsoft Teams incoming webhook (`POST /webhookb2/…`), strict about the Adaptive Card
//! message Microsoft documents for incoming webhooks:
//!
//! ```json
//! {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
//!   "contentUrl": null, "content": {"type": "AdaptiveCard", "version": "1.2", "body": [...]}}]}
//! ```
//!
//! - `Content-Type: application/json` and a JSON object, `type` = `message`, a non-empty
//!   `attachments` array whose every item has that `contentType` and an AdaptiveCard `content`
//!   with a `version` and a `body` array: otherwise `400 Bad payload received by generic incoming
//!   webhook.`;
//! - at least one TextBlock with non-empty `text`: otherwise `400 Summary or Text is required.`;
//! - an `Action.OpenUrl` needs an absolute `url`;
//! - a removed webhook answers `404`; success is `200` with the body `1`.
//!
//! Faults are scripted with [`crate::Journal::inject`] on [`crate::Endpoint::Publish`].

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
    path: Option<String>,
    /// Accepted cards (`attachments[0].content`), in order.
    cards: Vec<Value>,
}

/// A running Teams webhook; `url` is what an integration is configured with.
#[derive(Clone)]
pub struct Teams {
    pub url: String,
    pub journal: Journal,
    state: Shared<Hooks>,
}

const BAD_PAYLOAD: &str = "Bad payload received by generic incoming webhook.";

impl Teams {
    pub async fn start() -> Self {
        let state = Shared::<Hooks>::default();
        let path = "a1b2c3d4@e5f6/IncomingWebhook/0123456789abcdef/chorus-standin".to_owned();
        state.lock().path = Some(path.clone());
        let journal = Journal::default();
        let router = Router::new()
            .route("/webhookb2/{*path}", post(receive))
            .with_state((state.clone(), journal.clone()));
        let base = crate::serve(router).await;
        Self { url: format!("{base}/webhookb2/{path}"), journal, state }
    }

    /// Every accepted Adaptive Card (the attachment's `content`), in order.
    pub fn cards(&self) -> Vec<Value> {
        self.state.lock().cards.clone()
    }

    /// The texts of every accepted card's TextBlocks, one string per card (joined by newlines).
    pub fn texts(&self) -> Vec<String> {
        self.cards()
            .iter()
            .map(|c| {
                c["body"]
                    .as_array()
                    .map(|b| b.iter().filter_map(|t| t["text"].as_str()).collect::<Vec<_>>().join("\n"))
                    .unwrap_or_default()
            })
            .collect()
    }

    /// The webhook is removed in Teams: every later request answers `404`.
    pub fn remove(&self) {
        self.state.lock().path = None;
    }
}

fn answer(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The card, if the message has the documented shape; else the error Teams answers.
fn card_of(message: &Value) -> Result<Value, &'static str> {
    if message["type"] != "message" {
        return Err(BAD_PAYLOAD);
    }
    let attachments = message["attachments"].as_array().filter(|a| !a.is_empty()).ok_or(BAD_PAYLOAD)?;
    for a in attachments {
        let card = &a["content"];
        if a["contentType"] != "application/vnd.microsoft.card.adaptive"
            || card["type"] != "AdaptiveCard"
            || !card["version"].is_string()
            || !card["body"].is_array()
        {
            return Err(BAD_PAYLOAD);
        }
        for action in card["actions"].as_array().into_iter().flatten() {
            let url = action["url"].as_str().unwrap_or_default();
            if action["type"] == "Action.OpenUrl"
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                return Err(BAD_PAYLOAD);
            }
        }
    }
    let card = attachments[0]["content"].clone();
    let has_text = card["body"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|b| b["type"] == "TextBlock" && b["text"].as_str().is_some_and(|t| !t.trim().is_empty()));
    if !has_text {
        return Err("Summary or Text is required.");
    }
    Ok(card)
}

async fn receive(
    State((state, journal)): State<(Shared<Hooks>, Journal)>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text_body = String::from_utf8_lossy(&body).into_owned();
    let record = |status: StatusCode| {
        journal.record(Endpoint::Publish, "POST", &format!("/webhookb2/{path}"), status.as_u16(), &text_body)
    };
    if let Plan::Refuse { status, retry_after } = journal.plan(Endpoint::Publish).await {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        record(status);
        return crate::with_retry_after(
            answer(status, "Microsoft Teams endpoint returned an error"),
            retry_after,
        );
    }
    if state.lock().path.as_deref() != Some(path.as_str()) {
        record(StatusCode::NOT_FOUND);
        return answer(StatusCode::NOT_FOUND, "Webhook not found");
    }
    let json_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("application/json")
    });
    let parsed: Option<Value> = serde_json::from_slice(&body).ok().filter(|_| json_type);
    let Some(message) = parsed.filter(Value::is_object) else {
        record(StatusCode::BAD_REQUEST);
        return answer(StatusCode::BAD_REQUEST, BAD_PAYLOAD);
    };
    match card_of(&message) {
        Ok(card) => {
            state.lock().cards.push(card);
            record(StatusCode::OK);
            answer(StatusCode::OK, "1")
        }
        Err(why) => {
            record(StatusCode::BAD_REQUEST);
            answer(StatusCode::BAD_REQUEST, why)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::card_of;
    use serde_json::json;

    #[test]
    fn only_the_documented_adaptive_card_message_is_taken() {
        let good = json!({"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null, "content": {"type": "AdaptiveCard", "version": "1.2",
            "body": [{"type": "TextBlock", "text": "Hi"}]}}]});
        assert!(card_of(&good).is_ok());
        let mut no_text = good.clone();
        no_text["attachments"][0]["content"]["body"] = json!([]);
        assert_eq!(card_of(&no_text), Err("Summary or Text is required."));
        let mut wrong_type = good.clone();
        wrong_type["attachments"][0]["contentType"] = json!("application/json");
        assert!(card_of(&wrong_type).is_err());
        assert!(card_of(&json!({"text": "a legacy MessageCard"})).is_err());
    }
}
