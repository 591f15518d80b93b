//! Slack and Microsoft Teams incoming webhooks: which events an integration receives, what the
//! messages look like on each service, and how the services' answers are read.
//!
//! - Slack: `POST` JSON `{"text": …}` in Slack's `mrkdwn`, where `&`, `<` and `>` must be escaped
//!   as `&amp;`, `&lt;` and `&gt;` (links are `<url|label>`). Slack answers `200 ok`, or an error
//!   word such as `400 invalid_payload`, `400 no_text`, `403 action_prohibited`,
//!   `404 no_service`, `404 channel_not_found`, `410 channel_is_archived`, and `429` with
//!   `Retry-After` when rate limited.
//! - Teams: an Adaptive Card in a message, as Microsoft documents for incoming webhooks (and for
//!   the Workflows "post to a channel when a webhook request is received" template, which takes
//!   the same body): `{"type": "message", "attachments": [{"contentType":
//!   "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": {AdaptiveCard
//!   1.2 with TextBlocks and an Action.OpenUrl}}]}`. Teams answers `200` (body `1`) for an
//!   incoming webhook, `202` for a workflow.

use crate::Invalid;
use serde_json::{Value, json};

/// Which service an integration posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatKind {
    Slack,
    Teams,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Slack => "slack",
            ChatKind::Teams => "teams",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChatKind::Slack => "Slack",
            ChatKind::Teams => "Microsoft Teams",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "slack" => Ok(ChatKind::Slack),
            "teams" => Ok(ChatKind::Teams),
            _ => Err(Invalid::new("kind", "must be slack or teams")),
        }
    }
}

/// Events an integration can receive, as (value, label).
pub const EVENTS: [(&str, &str); 2] =
    [("review_queue", "Review-queue alerts (a submission waits for review)"), ("shoutouts", "Shout-outs")];

pub const REVIEW_QUEUE: &str = "review_queue";
pub const SHOUTOUTS: &str = "shoutouts";

/// The events, checked and in a stable order (at least one).
pub fn parse_events<S: AsRef<str>>(raw: &[S]) -> Result<Vec<&'static str>, Invalid> {
    let mut out = Vec::new();
    for r in raw {
        let r = r.as_ref().trim();
        let Some((v, _)) = EVENTS.iter().find(|(v, _)| *v == r) else {
            return Err(Invalid::new("events", "must be review_queue or shoutouts"));
        };
        if !out.contains(v) {
            out.push(*v);
        }
    }
    if out.is_empty() {
        return Err(Invalid::new("events", "choose at least one: review_queue, shoutouts"));
    }
    out.sort_by_key(|e| EVENTS.iter().position(|(v, _)| v == e));
    Ok(out)
}

/// A webhook URL as typed: `https://` with a host (or, when `allow_loopback_http`, `http://` to
/// 127.0.0.0/8, `[::1]` or `localhost`, for tests and local set-ups), no credentials, no
/// fragment. Private and loopback addresses are refused again when the URL is resolved.
pub fn parse_webhook_url(raw: &str, allow_loopback_http: bool) -> Result<url::Url, Invalid> {
    let t = raw.trim();
    let bad = |m: &str| Invalid::new("url", m.to_owned());
    if t.is_empty() {
        return Err(bad("is required: paste the webhook URL the service gave you"));
    }
    if t.len() > 2_000 {
        return Err(bad("must be at most 2000 characters"));
    }
    let u = url::Url::parse(t).map_err(|_| bad("must be a full https:// link"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not carry a user name or password"));
    }
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(bad("must have a host")),
    };
    match u.scheme() {
        "https" => {}
        "http" if allow_loopback_http && loopback => {}
        "http" => {
            return Err(bad(
                "must start with https:// (webhook URLs are secrets; plain http would expose them)",
            ));
        }
        _ => return Err(bad("must be an https:// link")),
    }
    Ok(u)
}

/// What the integrations page shows instead of the URL: scheme, host and the last four
/// characters (`https://hooks.slack.com/…a1B2`).
pub fn url_hint(u: &url::Url) -> String {
    let s = u.as_str();
    let tail: String = s.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}://{}/…{}", u.scheme(), u.host_str().unwrap_or_default(), tail)
}

/// One message for a channel: a title, a line or two, and a link into Chorus.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub title: String,
    pub text: String,
    /// Absolute link (`https://chorus.example/submissions/…`).
    pub link: String,
    /// The link's label ("Open in Chorus").
    pub link_label: String,
}

/// Escapes text for Slack's mrkdwn: `&`, `<` and `>` only (Slack's documented set).
pub fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `{"text": …}` for a Slack incoming webhook.
pub fn slack_payload(m: &ChatMessage) -> Value {
    let mut text = format!("*{}*", slack_escape(&m.title));
    if !m.text.is_empty() {
        text.push('\n');
        text.push_str(&slack_escape(&m.text));
    }
    if !m.link.is_empty() {
        // In `<url|label>` the URL may not hold `|` or `>`; ours are percent-encoded URLs.
        let url = m.link.replace('|', "%7C").replace('>', "%3E").replace('<', "%3C");
        text.push_str(&format!("\n<{url}|{}>", slack_escape(&m.link_label)));
    }
    json!({ "text": text })
}

/// A message with one Adaptive Card, as Teams incoming webhooks (and Workflows) take it.
pub fn teams_payload(m: &ChatMessage) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": m.title, "weight": "Bolder", "size": "Medium", "wrap": true}),
    ];
    if !m.text.is_empty() {
        body.push(json!({"type": "TextBlock", "text": m.text, "wrap": true}));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": body,
    });
    if !m.link.is_empty() {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": m.link_label, "url": m.link}]);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }],
    })
}

pub fn payload(kind: ChatKind, m: &ChatMessage) -> Value {
    match kind {
        ChatKind::Slack => slack_payload(m),
        ChatKind::Teams => teams_payload(m),
    }
}

/// What to do after the service answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Delivered,
    /// Worth trying again later (429, 408, 5xx), after at least `retry_after` seconds if given.
    Retry {
        reason: String,
        retry_after: Option<u64>,
    },
    /// Will fail the same way every time: a readable reason for the dead letter.
    Permanent(String),
}

/// Reads a service's answer: status, `Retry-After` (seconds) and the start of the body.
pub fn classify(kind: ChatKind, status: u16, retry_after: Option<u64>, body: &str) -> Answer {
    let said: String = body.trim().chars().take(200).filter(|c| !c.is_control()).collect();
    let said = if said.is_empty() { String::new() } else { format!(" ({said})") };
    let service = kind.label();
    match status {
        200..=299 => Answer::Delivered,
        429 => Answer::Retry { reason: format!("{service} is rate limiting (HTTP 429){said}"), retry_after },
        408 | 500..=599 => Answer::Retry {
            reason: format!("{service} answered HTTP {status}{said}; will retry"),
            retry_after,
        },
        404 | 410 => Answer::Permanent(format!(
            "{service} answered HTTP {status}{said}: the webhook was removed or its channel archived. \
             Create a new webhook in {service} and paste its URL into the integration."
        )),
        401 | 403 => Answer::Permanent(format!(
            "{service} answered HTTP {status}{said}: posting through this webhook is not allowed. \
             Check the webhook in {service}, or create a new one."
        )),
        _ => Answer::Permanent(format!("{service} refused the message with HTTP {status}{said}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> ChatMessage {
        ChatMessage {
            title: "“R&D <news>” waits for review".into(),
            text: "From Ana > Ops".into(),
            link: "https://chorus.test/submissions/1".into(),
            link_label: "Open in Chorus".into(),
        }
    }

    #[test]
    fn slack_text_escapes_ampersands_and_angle_brackets_and_links_with_a_label() {
        let p = slack_payload(&msg());
        assert_eq!(
            p["text"],
            "*“R&amp;D &lt;news&gt;” waits for review*\nFrom Ana &gt; Ops\n<https://chorus.test/submissions/1|Open in Chorus>"
        );
    }

    #[test]
    fn teams_gets_an_adaptive_card_in_a_message() {
        let p = teams_payload(&msg());
        assert_eq!(p["type"], "message");
        let a = &p["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(a["content"]["type"], "AdaptiveCard");
        assert_eq!(a["content"]["body"][0]["text"], "“R&D <news>” waits for review");
        assert_eq!(a["content"]["actions"][0]["url"], "https://chorus.test/submissions/1");
    }

    #[test]
    fn answers_split_into_delivered_retry_and_permanent() {
        assert_eq!(classify(ChatKind::Slack, 200, None, "ok"), Answer::Delivered);
        assert_eq!(classify(ChatKind::Teams, 202, None, ""), Answer::Delivered);
        assert!(matches!(
            classify(ChatKind::Slack, 429, Some(3), ""),
            Answer::Retry { retry_after: Some(3), .. }
        ));
        assert!(matches!(classify(ChatKind::Teams, 503, None, ""), Answer::Retry { .. }));
        let Answer::Permanent(why) = classify(ChatKind::Slack, 404, None, "no_service") else { panic!() };
        assert!(why.contains("no_service") && why.contains("removed"), "{why}");
        assert!(matches!(classify(ChatKind::Slack, 400, None, "invalid_payload"), Answer::Permanent(_)));
    }

    #[test]
    fn webhook_urls_are_https_or_loopback_http_when_allowed() {
        assert!(parse_webhook_url("https://hooks.slack.com/services/T/B/x", false).is_ok());
        assert!(parse_webhook_url("http://hooks.slack.com/services/T/B/x", false).is_err());
        assert!(parse_webhook_url("http://127.0.0.1:9/hook", false).is_err());
        assert!(parse_webhook_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(parse_webhook_url("http://10.0.0.1/hook", true).is_err(), "only loopback");
        assert!(parse_webhook_url("javascript:alert(1)", true).is_err());
        assert!(parse_webhook_url("https://u:p@hooks.slack.com/x", false).is_err());
        let u = parse_webhook_url("https://hooks.slack.com/services/T0/B0/abcdWXYZ", false).expect("url");
        assert_eq!(url_hint(&u), "https://hooks.slack.com/…WXYZ");
    }

    #[test]
    fn events_are_checked_deduplicated_and_ordered() {
        assert_eq!(
            parse_events(&["shoutouts", "review_queue", "shoutouts"]),
            Ok(vec!["review_queue", "shoutouts"])
        );
        assert!(parse_events::<&str>(&[]).is_err());
        assert!(parse_events(&["everything"]).is_err());
    }
}
