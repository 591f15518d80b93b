//! Posting to Slack and Microsoft Teams incoming webhooks.
//!
//! The target is a URL an admin pasted, so it is guarded like a link preview (see
//! [`crate::preview`]): `https://` only (plain `http://` to loopback only when allowed, for tests
//! and local set-ups), no credentials, host names resolved once by [`GuardedResolver`] which
//! refuses private and loopback addresses unless allowed, no redirects followed, no proxy, a
//! total time limit, and at most 4 KiB of the answer read.

use crate::preview::{Failure, GuardedResolver, check_url, failure, install_crypto_provider};
use chorus_domain::chat::{self, Answer, ChatKind, ChatMessage};
use std::time::Duration;

const MAX_ANSWER_BYTES: usize = 4 * 1024;

/// Sends chat messages. Build it once and share it (cloning is cheap).
#[derive(Debug, Clone)]
pub struct ChatClient {
    client: reqwest::Client,
    allow_loopback: bool,
    timeout: Duration,
}

impl ChatClient {
    /// `allow_loopback`: accept `http://` to loopback and private addresses (tests, local set-ups).
    pub fn new(allow_loopback: bool, timeout: Duration) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver { allow_private: allow_loopback })
            .user_agent("Chorus/0.1 (+chat webhook)")
            .connect_timeout(timeout)
            .build()?;
        Ok(Self { client, allow_loopback, timeout })
    }

    /// Posts `message` to the webhook at `url` and reads the service's answer.
    pub async fn send(&self, kind: ChatKind, url: &str, message: &ChatMessage) -> Answer {
        let target = match chat::parse_webhook_url(url, self.allow_loopback) {
            Ok(u) => u,
            Err(e) => return Answer::Permanent(format!("the webhook URL {}", e.message)),
        };
        if check_url(&target, self.allow_loopback).is_err() {
            return Answer::Permanent(
                "the webhook URL points to a private or reserved network address".into(),
            );
        }
        let body = chat::payload(kind, message);
        let attempt = async {
            let res = self.client.post(target.as_str()).json(&body).send().await?;
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let mut res = res;
            let mut text = Vec::new();
            while text.len() < MAX_ANSWER_BYTES {
                match res.chunk().await {
                    Ok(Some(c)) => text.extend_from_slice(&c[..c.len().min(MAX_ANSWER_BYTES - text.len())]),
                    Ok(None) | Err(_) => break,
                }
            }
            Ok::<_, reqwest::Error>((status, retry_after, String::from_utf8_lossy(&text).into_owned()))
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_) => Answer::Retry {
                reason: format!("{} did not answer in time", kind.label()),
                retry_after: None,
            },
            Ok(Ok((status, retry_after, text))) => chat::classify(kind, status, retry_after, &text),
            Ok(Err(e)) => network_error(kind, &e),
        }
    }
}

fn network_error(kind: ChatKind, error: &reqwest::Error) -> Answer {
    match failure(error) {
        Failure::NonPublic => Answer::Permanent(
            "the webhook's host resolves to a private or reserved network address, which is not posted to"
                .into(),
        ),
        Failure::Other(message) => Answer::Retry {
            reason: format!("could not reach {}: {message}", kind.label()),
            retry_after: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> ChatMessage {
        ChatMessage { title: "t".into(), text: String::new(), link: String::new(), link_label: String::new() }
    }

    #[tokio::test]
    async fn private_and_plain_http_targets_are_refused_for_good_unless_allowed() {
        let strict = ChatClient::new(false, Duration::from_secs(2)).expect("client");
        for url in [
            "https://127.0.0.1:9/hook",
            "https://[::1]:9/hook",
            "https://10.0.0.1/hook",
            "http://127.0.0.1:9/hook",
        ] {
            let answer = strict.send(ChatKind::Slack, url, &msg()).await;
            assert!(matches!(answer, Answer::Permanent(_)), "{url}: {answer:?}");
        }
        // `localhost` resolves to loopback: refused by the resolver, also for good.
        let answer = strict.send(ChatKind::Teams, "https://localhost:9/hook", &msg()).await;
        assert!(matches!(answer, Answer::Permanent(_)), "{answer:?}");
        // Allowed (tests): a closed loopback port is a network error, worth a retry.
        let loose = ChatClient::new(true, Duration::from_secs(2)).expect("client");
        let answer = loose.send(ChatKind::Slack, "http://127.0.0.1:9/hook", &msg()).await;
        assert!(matches!(answer, Answer::Retry { .. }), "{answer:?}");
    }
}
