//! LinkedIn, for an organization (company) page: the Posts API. Every call carries
//! `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` and `X-Restli-Protocol-Version: 2.0.0`.
//! Images go through the Images API (`POST /rest/images?action=initializeUpload`, then a `PUT`
//! of the bytes to the upload URL it returns) and are referenced in `content.media` (one) or
//! `content.multiImage` (several); a link without images becomes `content.article`. The post is
//! `POST /rest/posts`, answered 201 with its URN in `x-restli-id`. `commentary` is in the
//! "little" text format, whose reserved characters are escaped (LinkedIn silently cuts the text
//! at an unescaped one). LinkedIn has no idempotency key, so an unknown outcome is looked up
//! among the page's recent posts (`GET /rest/posts?q=author&author=…`).
//! <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api>,
//! <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api>,
//! <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format>,
//! <https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens>.
//!
//! Credentials (JSON): `client_id`, `client_secret`, `organization_id` (the number, or the
//! whole `urn:li:organization:…`), `access_token`, `refresh_token`, `expires_at` (Unix seconds,
//! optional). Session: a [`Token`] as JSON.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;

use super::{
    Connector, Image, Lookup, Outbound, PublishError, Published, RetrySafety, base,
    oauth::{ClientAuth, Failure, OAuthApp, Token, Tokens},
    retry_after, status_error, transport_error, truncate,
};

/// Production API base.
pub const API: &str = "https://api.linkedin.com";
/// Production token endpoint (on another host than the API).
pub const TOKEN_URL: &str = "https://www.linkedin.com/oauth/v2/accessToken";
/// The API version sent as `LinkedIn-Version`. LinkedIn keeps a version for about a year:
/// move it forward at least yearly (or use [`LinkedIn::with_version`]).
pub const VERSION: &str = "202605";
/// How many of the page's latest posts `find` looks through.
const LOOKUP_COUNT: u32 = 20;
/// How far a post may seem to predate ours (clock skew between us and LinkedIn).
const SKEW_SECS: i64 = 10 * 60;
/// The little format's reserved characters.
const RESERVED: &[char] = &['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~'];

pub struct LinkedIn {
    client: reqwest::Client,
    base: String,
    organization: String,
    version: String,
    tokens: Tokens,
}

impl LinkedIn {
    /// `organization` is the page's id or URN. `session` (a token saved from
    /// [`Connector::session_state`]) takes precedence over the credentials' token.
    pub fn new(
        client: reqwest::Client,
        base_url: &str,
        app: OAuthApp,
        organization: &str,
        token: Token,
        session: Option<Token>,
        now_unix: i64,
    ) -> Self {
        let organization = if organization.starts_with("urn:li:organization:") {
            organization.to_owned()
        } else {
            format!("urn:li:organization:{}", organization.trim())
        };
        let tokens = Tokens::new(client.clone(), app, ClientAuth::Form, token, session, now_unix);
        Self { client, base: base(base_url).to_owned(), organization, version: VERSION.to_owned(), tokens }
    }

    /// Uses another `LinkedIn-Version` (YYYYMM).
    pub fn with_version(mut self, version: &str) -> Self {
        version.clone_into(&mut self.version);
        self
    }

    fn rest(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("LinkedIn-Version", &self.version)
            .header("X-Restli-Protocol-Version", "2.0.0")
    }

    async fn upload(&self, image: &Image) -> Result<String, PublishError> {
        let body = json!({"initializeUploadRequest": {"owner": self.organization}});
        let body = &body;
        let init: Initialized = self
            .tokens
            .call(|token| async move {
                let res = self
                    .rest(reqwest::Method::POST, "/rest/images?action=initializeUpload", &token)
                    .json(body)
                    .send()
                    .await
                    .map_err(|e| Failure::Error(transport_error(&e)))?;
                read(res).await
            })
            .await
            .map_err(unattached)?;
        let upload_url = init.value.upload_url.as_str();
        self.tokens
            .call(|token| async move {
                let res = self
                    .client
                    .put(upload_url)
                    .bearer_auth(&token)
                    .header(reqwest::header::CONTENT_TYPE, image.mime.as_str())
                    .body(image.bytes.clone())
                    .send()
                    .await
                    // The upload URL is a capability: keep it out of messages.
                    .map_err(|e| Failure::Error(transport_error(&e.without_url())))?;
                check(res).await
            })
            .await
            .map_err(unattached)?;
        Ok(init.value.image)
    }
}

/// An image that may or may not have gone up is only an unused upload: safe to redo.
fn unattached(e: PublishError) -> PublishError {
    match e {
        PublishError::Unknown(m) => PublishError::Unavailable(m),
        other => other,
    }
}

#[derive(Deserialize)]
struct Initialized {
    value: Upload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Upload {
    upload_url: String,
    image: String,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    elements: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Element {
    id: String,
    #[serde(default)]
    commentary: Option<String>,
    /// Unix milliseconds.
    #[serde(default)]
    created_at: Option<i64>,
}

/// Sorts an error answer: 401 means the access token was refused (refresh and repeat).
fn failure(status: reqwest::StatusCode, wait: Option<std::time::Duration>, body: &str) -> Failure {
    if status.as_u16() == 401 {
        return Failure::Expired;
    }
    Failure::Error(status_error(status, wait, body))
}

async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, Failure> {
    let status = res.status();
    let wait = retry_after(res.headers());
    let body = res.text().await.map_err(|e| Failure::Error(PublishError::Unknown(e.to_string())))?;
    if !status.is_success() {
        return Err(failure(status, wait, &body));
    }
    serde_json::from_str(&body)
        .map_err(|e| Failure::Error(PublishError::Unknown(format!("unreadable answer: {e}"))))
}

/// For answers without a body worth reading.
async fn check(res: reqwest::Response) -> Result<(), Failure> {
    let status = res.status();
    let wait = retry_after(res.headers());
    let body = res.text().await.map_err(|e| Failure::Error(PublishError::Unknown(e.to_string())))?;
    if status.is_success() { Ok(()) } else { Err(failure(status, wait, &body)) }
}

/// Escapes the little format's reserved characters so `text` reads as plain text, keeping
/// `#tag` hashtags (a `#` at the start of a word, followed by a letter or digit).
pub fn escape_little(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let hashtag = c == '#'
            && prev.is_none_or(char::is_whitespace)
            && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if RESERVED.contains(&c) && !hashtag {
            out.push('\\');
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Plain text from little-format `commentary` as LinkedIn returns it: escapes resolved and
/// hashtag templates (`{hashtag|\#|tag}`) written as `#tag`.
pub fn unescape_little(commentary: &str) -> String {
    const TEMPLATE: &str = "{hashtag|\\#|";
    let mut out = String::with_capacity(commentary.len());
    let mut rest = commentary;
    while let Some(c) = rest.chars().next() {
        if c == '\\'
            && let Some(n) = rest[1..].chars().next()
            && RESERVED.contains(&n)
        {
            out.push(n);
            rest = &rest[1 + n.len_utf8()..];
            continue;
        }
        if let Some(after) = rest.strip_prefix(TEMPLATE)
            && let Some((tag, tail)) = after.split_once('}')
        {
            out.push('#');
            out.push_str(tag);
            rest = tail;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `commentary` (as LinkedIn returns it) is the post `text`.
pub fn is_post(text: &str, commentary: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim().to_owned();
    norm(&unescape_little(commentary)) == norm(text)
}

#[async_trait]
impl Connector for LinkedIn {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError> {
        let mut images = Vec::new();
        for image in post.images.iter().take(20) {
            images
                .push(json!({"id": self.upload(image).await?, "altText": truncate(image.alt.trim(), 4086)}));
        }
        let mut body = json!({
            "author": self.organization,
            "commentary": escape_little(&post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        match (images.len(), &post.link) {
            (0, Some(link)) => {
                let title = if post.title.trim().is_empty() { link.as_str() } else { post.title.trim() };
                body["content"] = json!({"article": {"source": link, "title": title}});
            }
            (0, None) => {}
            (1, _) => body["content"] = json!({"media": images[0]}),
            _ => body["content"] = json!({"multiImage": {"images": images}}),
        }
        let body = &body;
        let urn: String = self
            .tokens
            .call(|token| async move {
                let res = self
                    .rest(reqwest::Method::POST, "/rest/posts", &token)
                    .json(body)
                    .send()
                    .await
                    .map_err(|e| Failure::Error(transport_error(&e)))?;
                let id = res.headers().get("x-restli-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
                check(res).await?;
                id.filter(|id| id.starts_with("urn:li:")).ok_or_else(|| {
                    Failure::Error(PublishError::Unknown(
                        "unreadable answer: no post URN in x-restli-id".into(),
                    ))
                })
            })
            .await?;
        Ok(Published { url: Some(web_url(&urn)), id: urn })
    }

    fn retry(&self) -> RetrySafety {
        RetrySafety::LookFirst
    }

    /// Looks through the page's latest posts for one whose commentary is the post's text,
    /// created no earlier than the post itself (its UUIDv7 id carries its creation time).
    async fn find(&self, post: &Outbound) -> Result<Lookup, PublishError> {
        let count = LOOKUP_COUNT.to_string();
        let page: Page = self
            .tokens
            .call(|token| {
                let count = count.clone();
                async move {
                    let res = self
                        .rest(reqwest::Method::GET, "/rest/posts", &token)
                        .header("X-RestLi-Method", "FINDER")
                        .query(&[
                            ("q", "author"),
                            ("author", self.organization.as_str()),
                            ("count", count.as_str()),
                            ("sortBy", "LAST_MODIFIED"),
                        ])
                        .send()
                        .await
                        .map_err(|e| Failure::Error(transport_error(&e)))?;
                    read(res).await
                }
            })
            .await?;
        let since_ms = post.post_id.get_timestamp().map(|t| (t.to_unix().0 as i64 - SKEW_SECS) * 1000);
        let found = page.elements.into_iter().find(|e| {
            let recent = match (since_ms, e.created_at) {
                (Some(since), Some(at)) => at >= since,
                _ => true,
            };
            recent && e.commentary.as_deref().is_some_and(|c| is_post(&post.text, c))
        });
        Ok(match found {
            Some(e) => Lookup::Found(Published { url: Some(web_url(&e.id)), id: e.id }),
            None => Lookup::NotFound,
        })
    }

    fn session_state(&self) -> Option<String> {
        self.tokens.renewed().and_then(|t| serde_json::to_string(&t).ok())
    }
}

fn web_url(urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{urn}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped_but_hashtags_kept() {
        assert_eq!(
            escape_little(r"Hi (all) [x] {y} <z> @a *b* _c_ ~d~ a|b back\slash #Rust c#sharp #1 # alone"),
            r"Hi \(all\) \[x\] \{y\} \<z\> \@a \*b\* \_c\_ \~d\~ a\|b back\\slash #Rust c\#sharp #1 \# alone"
        );
        assert_eq!(
            escape_little("plain text, émoji 👋 and https://example.com/a?b=1"),
            "plain text, émoji 👋 and https://example.com/a?b=1"
        );
        assert_eq!(escape_little("https://example.com/a_b(c)"), r"https://example.com/a\_b\(c\)");
    }

    #[test]
    fn unescaping_undoes_escaping_and_reads_hashtag_templates() {
        let text = r"Launch (v2) at https://example.com/a_b — @team #Rust \o/ {ok} 50% *now*";
        assert_eq!(unescape_little(&escape_little(text)), text);
        assert_eq!(unescape_little(r"Go {hashtag|\#|Rust} and \#not"), "Go #Rust and #not");
        assert!(is_post("Go #Rust (now)", r"Go {hashtag|\#|Rust} \(now\)"));
        assert!(!is_post("Go #Rust (now)", r"Go {hashtag|\#|Rust} \(later\)"));
    }
}
