//! Facebook, for a Page, through the Graph API with a Page access token (which does not expire
//! the way user tokens do and is not refreshed here). Images go up first as unpublished photos
//! (`POST /{page-id}/photos` with `published=false`), then the post is `POST /{page-id}/feed`
//! with `message`, `link` (without images) or `attached_media[n]={"media_fbid": …}`, answered
//! `{"id": "{page-id}_{post-id}"}`. Graph errors carry a code: 190 (token) and permission codes
//! need a person; 4, 17, 32, 613 and 80001 are rate limits; others are refusals; 5xx and
//! transient codes leave the outcome unknown. Facebook has no idempotency key, so an unknown
//! outcome is looked up among the Page's recent posts (`GET /{page-id}/feed`).
//! <https://developers.facebook.com/docs/pages-api/posts>,
//! <https://developers.facebook.com/docs/graph-api/reference/page/photos>,
//! <https://developers.facebook.com/docs/graph-api/guides/error-handling>,
//! <https://developers.facebook.com/docs/graph-api/changelog/versions/>.
//!
//! Credentials (JSON): `page_id`, `access_token` (the Page access token). No session.

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    Connector, Image, Lookup, Outbound, PublishError, Published, RetrySafety, base, retry_after,
    status_error, transport_error, truncate,
};

/// Production Graph API base.
pub const GRAPH: &str = "https://graph.facebook.com";
/// The Graph API version in every path: v25.0 (February 2026) is available until July 2028
/// (v21.0 ends in January 2027). Move it forward before it expires, or use
/// [`Facebook::with_version`].
pub const VERSION: &str = "v25.0";
/// How many of the Page's latest posts `find` looks through.
const LOOKUP_COUNT: u32 = 25;
/// How far a post may seem to predate ours (clock skew between us and Facebook).
const SKEW_SECS: i64 = 10 * 60;

pub struct Facebook {
    client: reqwest::Client,
    base: String,
    version: String,
    page_id: String,
    page_token: String,
}

impl Facebook {
    pub fn new(client: reqwest::Client, base_url: &str, page_id: &str, page_token: &str) -> Self {
        Self {
            client,
            base: base(base_url).to_owned(),
            version: VERSION.to_owned(),
            page_id: page_id.trim().to_owned(),
            page_token: page_token.to_owned(),
        }
    }

    /// Uses another Graph API version (`vNN.N`).
    pub fn with_version(mut self, version: &str) -> Self {
        version.clone_into(&mut self.version);
        self
    }

    fn url(&self, edge: &str) -> String {
        format!("{}/{}/{}/{edge}", self.base, self.version, self.page_id)
    }

    async fn upload(&self, image: &Image) -> Result<String, PublishError> {
        let part = reqwest::multipart::Part::bytes(image.bytes.clone())
            .file_name("image")
            .mime_str(&image.mime)
            .map_err(|e| PublishError::Refused(format!("image type {}: {e}", image.mime)))?;
        let mut form = reqwest::multipart::Form::new()
            .part("source", part)
            .text("published", "false")
            .text("access_token", self.page_token.clone());
        let alt = image.alt.trim();
        if !alt.is_empty() {
            form = form.text("alt_text_custom", truncate(alt, 1000).to_owned());
        }
        let res = self
            .client
            .post(self.url("photos"))
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport_error(&e.without_url()))?;
        // An unpublished photo that may or may not exist harms nobody: safe to redo.
        let photo: Id = read(res).await.map_err(|e| match e {
            PublishError::Unknown(m) => PublishError::Unavailable(m),
            other => other,
        })?;
        Ok(photo.id)
    }
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

#[derive(Deserialize)]
struct Feed {
    #[serde(default)]
    data: Vec<FeedPost>,
}

#[derive(Deserialize)]
struct FeedPost {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    permalink_url: Option<String>,
    #[serde(default)]
    created_time: Option<String>,
}

#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    is_transient: bool,
}

/// Sorts a Graph error. Graph answers most errors with HTTP 400, so the code decides; note
/// that `OAuthException` is also the type of plain parameter errors (code 100), so the type
/// alone does not mean the token is at fault.
pub fn graph_error(status: u16, retry_after: Option<std::time::Duration>, body: &str) -> PublishError {
    let detail = format!("HTTP {status}: {}", truncate(body, 300));
    if (500..=599).contains(&status) {
        return PublishError::Unknown(detail);
    }
    let Ok(GraphError { error }) = serde_json::from_str::<GraphError>(body) else {
        let status = reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::BAD_REQUEST);
        return status_error(status, retry_after, body);
    };
    let detail = format!(
        "HTTP {status}: {} ({} code {}{})",
        truncate(&error.message, 300),
        error.kind,
        error.code.unwrap_or_default(),
        error.error_subcode.map(|s| format!("/{s}")).unwrap_or_default()
    );
    match error.code {
        // Invalid or expired token, expired session, permission missing or revoked.
        Some(190 | 102 | 10 | 200..=299) => PublishError::Unauthorized(detail),
        // Application, user, Page and custom rate limits.
        Some(4 | 17 | 32 | 613 | 80001) => PublishError::RateLimited { retry_after },
        // Unknown error, service unavailable: it may have been carried out.
        Some(1 | 2) => PublishError::Unknown(detail),
        _ if error.is_transient => PublishError::Unknown(detail),
        Some(_) => PublishError::Refused(detail),
        None if status == 429 => PublishError::RateLimited { retry_after },
        None if status == 401 || status == 403 => PublishError::Unauthorized(detail),
        None => PublishError::Refused(detail),
    }
}

async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, PublishError> {
    let status = res.status();
    let wait = retry_after(res.headers());
    let body = res.text().await.map_err(|e| PublishError::Unknown(e.to_string()))?;
    if !status.is_success() {
        return Err(graph_error(status.as_u16(), wait, &body));
    }
    serde_json::from_str(&body).map_err(|e| PublishError::Unknown(format!("unreadable answer: {e}")))
}

/// Graph's timestamps: `2026-11-23T17:22:34+0000`.
fn graph_time(s: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory][offset_minute]"
    );
    time::OffsetDateTime::parse(s, &format).ok()
}

/// Whether a Page post's `message` is the post `text`.
pub fn is_post(text: &str, message: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim().to_owned();
    norm(message) == norm(text)
}

#[async_trait]
impl Connector for Facebook {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError> {
        let mut photos = Vec::new();
        for image in post.images.iter().take(10) {
            photos.push(self.upload(image).await?);
        }
        let mut form = vec![("message".to_owned(), post.text.clone())];
        match (&post.link, photos.is_empty()) {
            // Facebook shows a link preview only on posts without photos.
            (Some(link), true) => form.push(("link".to_owned(), link.clone())),
            _ => {
                for (i, id) in photos.iter().enumerate() {
                    form.push((
                        format!("attached_media[{i}]"),
                        serde_json::json!({"media_fbid": id}).to_string(),
                    ));
                }
            }
        }
        form.push(("access_token".to_owned(), self.page_token.clone()));
        let res = self
            .client
            .post(self.url("feed"))
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error(&e.without_url()))?;
        let created: Id = read(res).await?;
        Ok(Published { url: Some(format!("https://www.facebook.com/{}", created.id)), id: created.id })
    }

    fn retry(&self) -> RetrySafety {
        RetrySafety::LookFirst
    }

    /// Looks through the Page's latest posts for one whose message is the post's text, created
    /// no earlier than the post itself (its UUIDv7 id carries its creation time).
    async fn find(&self, post: &Outbound) -> Result<Lookup, PublishError> {
        let res = self
            .client
            .get(self.url("feed"))
            .query(&[
                ("fields", "id,message,permalink_url,created_time"),
                ("limit", &LOOKUP_COUNT.to_string()),
                ("access_token", &self.page_token),
            ])
            .send()
            .await
            // The URL holds the token: keep it out of messages.
            .map_err(|e| transport_error(&e.without_url()))?;
        let feed: Feed = read(res).await?;
        let since = post.post_id.get_timestamp().map(|t| t.to_unix().0 as i64 - SKEW_SECS);
        let found = feed.data.into_iter().find(|p| {
            let recent = match (since, p.created_time.as_deref().and_then(graph_time)) {
                (Some(since), Some(at)) => at.unix_timestamp() >= since,
                _ => true,
            };
            recent && p.message.as_deref().is_some_and(|m| is_post(&post.text, m))
        });
        Ok(match found {
            Some(p) => Lookup::Found(Published {
                url: Some(p.permalink_url.unwrap_or_else(|| format!("https://www.facebook.com/{}", p.id))),
                id: p.id,
            }),
            None => Lookup::NotFound,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(code: i64, kind: &str) -> String {
        format!(r#"{{"error": {{"message": "m", "type": "{kind}", "code": {code}, "fbtrace_id": "t"}}}}"#)
    }

    #[test]
    fn graph_errors_are_sorted_by_code_not_by_type() {
        assert!(matches!(
            graph_error(400, None, &body(190, "OAuthException")),
            PublishError::Unauthorized(_)
        ));
        assert!(matches!(
            graph_error(403, None, &body(200, "OAuthException")),
            PublishError::Unauthorized(_)
        ));
        assert!(matches!(graph_error(400, None, &body(100, "OAuthException")), PublishError::Refused(_)));
        for code in [4, 17, 32, 613] {
            assert_eq!(
                graph_error(400, None, &body(code, "OAuthException")),
                PublishError::RateLimited { retry_after: None }
            );
        }
        assert!(matches!(graph_error(400, None, &body(2, "OAuthException")), PublishError::Unknown(_)));
        assert!(matches!(graph_error(500, None, &body(100, "OAuthException")), PublishError::Unknown(_)));
        assert!(matches!(graph_error(400, None, "not json"), PublishError::Refused(_)));
    }
}
