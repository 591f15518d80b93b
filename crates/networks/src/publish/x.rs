//! X (API v2, OAuth 2.0 user context): images go up with `POST /2/media/upload` (multipart
//! `media`, `media_category=tweet_image`) and get alt text with `POST /2/media/metadata`; the
//! post is `POST /2/tweets` with `{"text", "media": {"media_ids"}}`, answered 201
//! `{"data": {"id", "text"}}`. X has no idempotency key, so an unknown outcome is looked up
//! among the account's recent tweets (`GET /2/users/me`, `GET /2/users/{id}/tweets`).
//! <https://docs.x.com/x-api/posts/manage-tweets/quickstart>,
//! <https://docs.x.com/x-api/media/upload-media>,
//! <https://docs.x.com/x-api/fundamentals/response-codes-and-errors>,
//! <https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token>.
//!
//! Credentials (JSON): `client_id`, `client_secret` (empty for a public client),
//! `access_token`, `refresh_token`, `expires_at` (Unix seconds, optional). Session: a
//! [`Token`] as JSON (`access_token`, `refresh_token`, `expires_at`); X's refresh tokens are
//! single-use, so the session must be saved after every post that refreshed.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Connector, Image, Lookup, Outbound, PublishError, Published, RetrySafety, base,
    oauth::{ClientAuth, Failure, OAuthApp, Token, Tokens},
    retry_after, status_error, transport_error, truncate,
};

/// Production API base.
pub const API: &str = "https://api.x.com";
/// Production token endpoint.
pub const TOKEN_URL: &str = "https://api.x.com/2/oauth2/token";
/// How many of the account's latest tweets `find` looks through.
const LOOKUP_COUNT: u32 = 20;
/// How far a tweet may seem to predate its post (clock skew between us and X).
const SKEW_SECS: i64 = 10 * 60;

pub struct X {
    client: reqwest::Client,
    base: String,
    now_unix: i64,
    tokens: Tokens,
}

impl X {
    /// `session` (a token saved from [`Connector::session_state`]) takes precedence over the
    /// credentials' token; `now_unix` decides whether the token is about to expire.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        app: OAuthApp,
        token: Token,
        session: Option<Token>,
        now_unix: i64,
    ) -> Self {
        let tokens = Tokens::new(client.clone(), app, ClientAuth::Basic, token, session, now_unix);
        Self { client, base: base(base_url).to_owned(), now_unix, tokens }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn upload(&self, image: &Image) -> Result<String, PublishError> {
        let uploaded: Data<Media> = self
            .tokens
            .call(|token| async move {
                let part = reqwest::multipart::Part::bytes(image.bytes.clone())
                    .file_name("image")
                    .mime_str(&image.mime)
                    .map_err(|e| PublishError::Refused(format!("image type {}: {e}", image.mime)))?;
                let form =
                    reqwest::multipart::Form::new().part("media", part).text("media_category", "tweet_image");
                let res = self
                    .client
                    .post(self.url("/2/media/upload"))
                    .bearer_auth(&token)
                    .multipart(form)
                    .send()
                    .await
                    .map_err(|e| Failure::Error(transport_error(&e)))?;
                read(res, self.now_unix).await
            })
            .await
            .map_err(unattached)?;
        let id = uploaded.data.id;
        let alt = image.alt.trim();
        if !alt.is_empty() {
            let body = json!({"id": id, "metadata": {"alt_text": {"text": truncate(alt, 1000)}}});
            let body = &body;
            let _: Value = self
                .tokens
                .call(|token| async move {
                    let res = self
                        .client
                        .post(self.url("/2/media/metadata"))
                        .bearer_auth(&token)
                        .json(body)
                        .send()
                        .await
                        .map_err(|e| Failure::Error(transport_error(&e)))?;
                    read(res, self.now_unix).await
                })
                .await
                .map_err(unattached)?;
        }
        Ok(id)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, PublishError> {
        self.tokens
            .call(|token| async move {
                let res = self
                    .client
                    .get(self.url(path))
                    .bearer_auth(&token)
                    .query(query)
                    .send()
                    .await
                    .map_err(|e| Failure::Error(transport_error(&e)))?;
                read(res, self.now_unix).await
            })
            .await
    }
}

/// Media that may or may not have gone up is only an unattached upload: safe to redo.
fn unattached(e: PublishError) -> PublishError {
    match e {
        PublishError::Unknown(m) => PublishError::Unavailable(m),
        other => other,
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Media {
    id: String,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Me {
    id: String,
}

#[derive(Deserialize)]
struct Timeline {
    #[serde(default)]
    data: Vec<Tweet>,
}

/// A tweet as `GET /2/users/{id}/tweets` returns it with `tweet.fields=created_at,entities`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub entities: Option<Entities>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Entities {
    #[serde(default)]
    pub urls: Vec<UrlEntity>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UrlEntity {
    pub url: String,
    #[serde(default)]
    pub expanded_url: Option<String>,
    /// Present on the link X appends for attached media.
    #[serde(default)]
    pub media_key: Option<String>,
}

/// Reads an X answer: 401 means the access token was refused (refresh and repeat); a 403 is a
/// refusal of the content (duplicate text, …) unless X's problem type says the client itself is
/// not allowed; 429 waits until `Retry-After` or else `x-rate-limit-reset`.
async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response, now_unix: i64) -> Result<T, Failure> {
    let status = res.status();
    let wait = retry_after(res.headers()).or_else(|| {
        let reset: i64 = res.headers().get("x-rate-limit-reset")?.to_str().ok()?.trim().parse().ok()?;
        Some(std::time::Duration::from_secs(u64::try_from(reset - now_unix).unwrap_or(0)))
    });
    let body = res.text().await.map_err(|e| Failure::Error(PublishError::Unknown(e.to_string())))?;
    if status.is_success() {
        return serde_json::from_str(&body)
            .map_err(|e| Failure::Error(PublishError::Unknown(format!("unreadable answer: {e}"))));
    }
    if status.as_u16() == 401 {
        return Err(Failure::Expired);
    }
    let detail = format!("HTTP {}: {}", status.as_u16(), truncate(&body, 300));
    if status.as_u16() == 403 {
        let kind = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        return Err(Failure::Error(
            if kind.ends_with("/client-forbidden") || kind.ends_with("/unsupported-authentication") {
                PublishError::Unauthorized(detail)
            } else {
                PublishError::Refused(detail)
            },
        ));
    }
    Err(Failure::Error(status_error(status, wait, &body)))
}

/// The text a tweet was posted with, recovered from how X shows it: each `t.co` link replaced
/// by its `expanded_url`, the link X appends for media removed, and `&`, `<`, `>` unescaped.
pub fn posted_text(tweet: &Tweet) -> String {
    let mut text = tweet.text.clone();
    for u in tweet.entities.as_ref().map(|e| e.urls.as_slice()).unwrap_or_default() {
        let with = match (&u.media_key, &u.expanded_url) {
            (Some(_), _) => "",
            (None, Some(expanded)) => expanded.as_str(),
            (None, None) => continue,
        };
        text = text.replacen(&u.url, with, 1);
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// Whether `tweet` is the post `text`: the same text once links are expanded (see
/// [`posted_text`]), ignoring surrounding whitespace and line-ending style.
pub fn is_post(text: &str, tweet: &Tweet) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim().to_owned();
    norm(&posted_text(tweet)) == norm(text)
}

#[async_trait]
impl Connector for X {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError> {
        let mut media_ids = Vec::new();
        for image in post.images.iter().take(4) {
            media_ids.push(self.upload(image).await?);
        }
        let mut body = json!({"text": post.text});
        if !media_ids.is_empty() {
            body["media"] = json!({"media_ids": media_ids});
        }
        let body = &body;
        let created: Data<Created> = self
            .tokens
            .call(|token| async move {
                let res = self
                    .client
                    .post(self.url("/2/tweets"))
                    .bearer_auth(&token)
                    .json(body)
                    .send()
                    .await
                    .map_err(|e| Failure::Error(transport_error(&e)))?;
                read(res, self.now_unix).await
            })
            .await?;
        Ok(Published { url: Some(web_url(&created.data.id)), id: created.data.id })
    }

    fn retry(&self) -> RetrySafety {
        RetrySafety::LookFirst
    }

    /// Looks through the account's latest tweets for one with the post's text, created no
    /// earlier than the post itself (its UUIDv7 id carries its creation time).
    async fn find(&self, post: &Outbound) -> Result<Lookup, PublishError> {
        let me: Data<Me> = self.get("/2/users/me", &[]).await?;
        let count = LOOKUP_COUNT.to_string();
        let timeline: Timeline = self
            .get(
                &format!("/2/users/{}/tweets", me.data.id),
                &[("max_results", count.as_str()), ("tweet.fields", "created_at,entities")],
            )
            .await?;
        let since = post.post_id.get_timestamp().map(|t| t.to_unix().0 as i64 - SKEW_SECS);
        let found = timeline.data.into_iter().find(|t| {
            let created = t.created_at.as_deref().and_then(|c| {
                time::OffsetDateTime::parse(c, &time::format_description::well_known::Rfc3339).ok()
            });
            let recent = match (since, created) {
                (Some(since), Some(at)) => at.unix_timestamp() >= since,
                _ => true,
            };
            recent && is_post(&post.text, t)
        });
        Ok(match found {
            Some(t) => Lookup::Found(Published { url: Some(web_url(&t.id)), id: t.id }),
            None => Lookup::NotFound,
        })
    }

    fn session_state(&self) -> Option<String> {
        self.tokens.renewed().and_then(|t| serde_json::to_string(&t).ok())
    }
}

fn web_url(id: &str) -> String {
    format!("https://x.com/i/web/status/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tweet(text: &str, urls: Vec<UrlEntity>) -> Tweet {
        Tweet { id: "1".into(), text: text.into(), created_at: None, entities: Some(Entities { urls }) }
    }

    fn link(url: &str, expanded: &str) -> UrlEntity {
        UrlEntity { url: url.into(), expanded_url: Some(expanded.into()), media_key: None }
    }

    #[test]
    fn a_tweet_matches_its_post_once_links_are_expanded_and_media_links_dropped() {
        let text = "Trails & tips <new>: https://example.com/a?b=1 and https://example.org/x";
        let t = tweet(
            "Trails &amp; tips &lt;new&gt;: https://t.co/AAA and https://t.co/BBB https://t.co/MMM",
            vec![
                link("https://t.co/AAA", "https://example.com/a?b=1"),
                link("https://t.co/BBB", "https://example.org/x"),
                UrlEntity {
                    url: "https://t.co/MMM".into(),
                    expanded_url: Some("https://x.com/acme/status/1/photo/1".into()),
                    media_key: Some("3_9".into()),
                },
            ],
        );
        assert!(is_post(text, &t));
        assert!(is_post(&format!("{text}\n"), &t), "surrounding whitespace does not matter");
    }

    #[test]
    fn a_different_link_or_text_does_not_match() {
        let t = tweet("New post: https://t.co/AAA", vec![link("https://t.co/AAA", "https://example.com/1")]);
        assert!(!is_post("New post: https://example.com/2", &t), "same words, another link");
        assert!(!is_post("New post", &t));
        assert!(!is_post("New post: https://example.com/1 again", &t));
    }

    #[test]
    fn an_escaped_entity_in_the_post_itself_survives() {
        // The post really says "&amp;": X shows "&amp;amp;".
        assert!(is_post("a &amp; b", &tweet("a &amp;amp; b", vec![])));
    }
}
