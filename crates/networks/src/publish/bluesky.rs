//! Bluesky (any PDS): a handle and an app password make a session, which is kept and refreshed
//! rather than logging in again (logins are rate-limited); posts are
//! `com.atproto.repo.createRecord` with a record key chosen from the post itself, so a repeat can
//! never make a second record and `com.atproto.repo.getRecord` tells whether the first one exists.
//! Links, mentions and hashtags become facets with UTF-8 byte offsets; images are uploaded as
//! blobs. <https://docs.bsky.app/docs/advanced-guides/posts>

use std::sync::Mutex;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Connector, Lookup, Outbound, PublishError, Published, RetrySafety, base, retry_after, transport_error,
};

const COLLECTION: &str = "app.bsky.feed.post";
/// The lexicon's limit for an image blob in a post.
const MAX_IMAGE_BYTES: usize = 1_000_000;

/// What a session is made of; kept (sealed) between posts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    #[serde(rename = "accessJwt")]
    pub access_jwt: String,
    #[serde(rename = "refreshJwt")]
    pub refresh_jwt: String,
    pub did: String,
    pub handle: String,
}

pub struct Bluesky {
    client: reqwest::Client,
    pds: String,
    identifier: String,
    app_password: String,
    session: Mutex<Option<Session>>,
    /// Set when the session changed and should be saved.
    changed: Mutex<bool>,
}

impl Bluesky {
    pub fn new(
        client: reqwest::Client,
        pds: &str,
        identifier: &str,
        app_password: &str,
        session: Option<Session>,
    ) -> Self {
        Self {
            client,
            pds: base(pds).to_owned(),
            identifier: identifier.to_owned(),
            app_password: app_password.to_owned(),
            session: Mutex::new(session),
            changed: Mutex::new(false),
        }
    }

    /// The session to keep, if it changed since this connector was made.
    pub fn new_session(&self) -> Option<Session> {
        if *self.changed.lock().expect("lock") { self.session.lock().expect("lock").clone() } else { None }
    }

    fn url(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.pds)
    }

    fn keep(&self, s: Session) {
        *self.session.lock().expect("lock") = Some(s);
        *self.changed.lock().expect("lock") = true;
    }

    async fn login(&self) -> Result<Session, PublishError> {
        let res = self
            .client
            .post(self.url("com.atproto.server.createSession"))
            .json(&json!({"identifier": self.identifier, "password": self.app_password}))
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let s: Session = read(res).await.map_err(|e| match e {
            // A failed login posted nothing: safe to try again later.
            Failure::Error(PublishError::Unknown(m)) => PublishError::Unavailable(m),
            Failure::Error(e) => e,
            Failure::Expired => PublishError::Unauthorized("the app password was refused".into()),
        })?;
        self.keep(s.clone());
        Ok(s)
    }

    async fn refresh(&self, refresh_jwt: &str) -> Result<Session, PublishError> {
        let res = self
            .client
            .post(self.url("com.atproto.server.refreshSession"))
            .bearer_auth(refresh_jwt)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        match read::<Session>(res).await {
            Ok(s) => {
                self.keep(s.clone());
                Ok(s)
            }
            // The refresh token is dead too: log in again with the app password.
            Err(_) => self.login().await,
        }
    }

    /// The current session, logging in if there is none.
    async fn session(&self) -> Result<Session, PublishError> {
        let current = self.session.lock().expect("lock").clone();
        match current {
            Some(s) => Ok(s),
            None => self.login().await,
        }
    }

    /// Runs an authenticated call; an expired access token is refreshed once.
    async fn authed<T, F, Fut>(&self, call: F) -> Result<T, PublishError>
    where
        F: Fn(Session) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let s = self.session().await?;
        match call(s.clone()).await {
            Ok(v) => Ok(v),
            Err(Failure::Expired) => {
                let fresh = self.refresh(&s.refresh_jwt).await?;
                call(fresh).await.map_err(|e| match e {
                    Failure::Expired => {
                        PublishError::Unauthorized("the session was refused after a refresh".into())
                    }
                    Failure::Error(e) => e,
                })
            }
            Err(Failure::Error(e)) => Err(e),
        }
    }

    async fn upload(&self, image: &super::Image) -> Result<Value, PublishError> {
        self.authed(|s| async move {
            let res = self
                .client
                .post(self.url("com.atproto.repo.uploadBlob"))
                .bearer_auth(&s.access_jwt)
                .header(reqwest::header::CONTENT_TYPE, image.mime.as_str())
                .body(image.bytes.clone())
                .send()
                .await
                .map_err(|e| Failure::Error(transport_error(&e)))?;
            let v: Value = read(res).await?;
            v.get("blob").cloned().ok_or_else(|| {
                Failure::Error(PublishError::Unknown("uploadBlob answered without a blob".into()))
            })
        })
        .await
        // An upload that may have happened leaves only an unused blob: safe to redo.
        .map_err(|e| match e {
            PublishError::Unknown(m) => PublishError::Unavailable(m),
            other => other,
        })
    }

    async fn resolve_handle(&self, handle: &str) -> Option<String> {
        let res = self
            .client
            .get(self.url("com.atproto.identity.resolveHandle"))
            .query(&[("handle", handle)])
            .send()
            .await
            .ok()?;
        let v: Value = res.error_for_status().ok()?.json().await.ok()?;
        v.get("did")?.as_str().map(str::to_owned)
    }

    async fn facets(&self, text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for (range, uri) in links(text) {
            out.push(facet(range, json!({"$type": "app.bsky.richtext.facet#link", "uri": uri})));
        }
        for (range, tag) in hashtags(text) {
            out.push(facet(range, json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag})));
        }
        for (range, handle) in mentions(text) {
            if let Some(did) = self.resolve_handle(&handle).await {
                out.push(facet(range, json!({"$type": "app.bsky.richtext.facet#mention", "did": did})));
            }
        }
        out
    }
}

fn facet(range: std::ops::Range<usize>, feature: Value) -> Value {
    json!({"index": {"byteStart": range.start, "byteEnd": range.end}, "features": [feature]})
}

/// How a call failed: an expired session (refresh and repeat), or for good.
enum Failure {
    Expired,
    Error(PublishError),
}

impl From<PublishError> for Failure {
    fn from(e: PublishError) -> Self {
        Failure::Error(e)
    }
}

async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<T, Failure> {
    let status = res.status();
    let wait = retry_after(res.headers());
    let body = res.text().await.map_err(|e| Failure::Error(PublishError::Unknown(e.to_string())))?;
    if status.is_success() {
        return serde_json::from_str(&body)
            .map_err(|e| Failure::Error(PublishError::Unknown(format!("unreadable answer: {e}"))));
    }
    let error = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_default();
    if error == "ExpiredToken" || (status.as_u16() == 401 && error != "AuthenticationRequired") {
        return Err(Failure::Expired);
    }
    let detail = format!("HTTP {}: {}", status.as_u16(), super::truncate(&body, 300));
    Err(Failure::Error(match status.as_u16() {
        401 | 403 => PublishError::Unauthorized(detail),
        429 => PublishError::RateLimited { retry_after: wait },
        500..=599 => PublishError::Unknown(detail),
        _ => PublishError::Refused(detail),
    }))
}

/// A record key for the post, the same on every attempt: a TID (13 characters of sortable
/// base32) made from the post id, a UUIDv7 whose first 48 bits are its creation time in ms.
pub fn record_key(post_id: uuid::Uuid) -> String {
    const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
    let bytes = post_id.as_bytes();
    let millis = u64::from_be_bytes([0, 0, bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]]);
    // Sub-millisecond digits and the clock id come from the id's random bits.
    let micros = millis * 1000 + u64::from(u16::from_be_bytes([bytes[8], bytes[9]])) % 1000;
    let clock_id = u64::from(u16::from_be_bytes([bytes[14], bytes[15]])) & 0x3ff;
    let mut value = ((micros & ((1 << 53) - 1)) << 10) | clock_id;
    let mut out = [0u8; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Links with a scheme, as (byte range, URI).
pub fn links(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    finder.links(text).map(|l| (l.start()..l.end(), l.as_str().to_owned())).collect()
}

/// `#tags` (after a space or at the start; not all digits), as (byte range, tag without '#').
pub fn hashtags(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    tokens(text, '#').into_iter().filter(|(_, t)| !t.chars().all(|c| c.is_ascii_digit())).collect()
}

/// `@handle.domain` mentions, as (byte range, handle).
pub fn mentions(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    tokens(text, '@').into_iter().filter(|(_, h)| h.contains('.') && !h.ends_with('.')).collect()
}

fn tokens(text: &str, sigil: char) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == sigil && prev.is_none_or(char::is_whitespace) {
            let rest = &text[i + c.len_utf8()..];
            let allowed =
                |ch: char| ch.is_alphanumeric() || ch == '_' || (sigil == '@' && (ch == '.' || ch == '-'));
            let len: usize = rest.chars().take_while(|ch| allowed(*ch)).map(char::len_utf8).sum();
            let word = rest[..len].trim_end_matches('.');
            if !word.is_empty() {
                out.push((i..i + c.len_utf8() + word.len(), word.to_owned()));
            }
        }
        prev = Some(c);
    }
    out
}

#[async_trait]
impl Connector for Bluesky {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError> {
        let mut images = Vec::new();
        for image in post.images.iter().filter(|i| i.bytes.len() <= MAX_IMAGE_BYTES).take(4) {
            let blob = self.upload(image).await?;
            images.push(json!({"alt": image.alt, "image": blob}));
        }
        let mut record = json!({
            "$type": COLLECTION,
            "text": post.text,
            "createdAt": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        });
        let facets = self.facets(&post.text).await;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if !images.is_empty() {
            record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
        }
        let rkey = record_key(post.post_id);
        let created: Value = self
            .authed(|s| {
                let body = json!({"repo": s.did, "collection": COLLECTION, "rkey": rkey, "record": record});
                async move {
                    let res = self
                        .client
                        .post(self.url("com.atproto.repo.createRecord"))
                        .bearer_auth(&s.access_jwt)
                        .json(&body)
                        .send()
                        .await
                        .map_err(|e| Failure::Error(transport_error(&e)))?;
                    read(res).await
                }
            })
            .await?;
        let uri = created.get("uri").and_then(Value::as_str).unwrap_or_default().to_owned();
        let handle =
            self.session.lock().expect("lock").as_ref().map(|s| s.handle.clone()).unwrap_or_default();
        Ok(Published { url: Some(web_url(&handle, &rkey)), id: uri })
    }

    fn retry(&self) -> RetrySafety {
        RetrySafety::LookFirst
    }

    async fn find(&self, post: &Outbound) -> Result<Lookup, PublishError> {
        let rkey = record_key(post.post_id);
        let found: Option<Value> = self
            .authed(|s| {
                let rkey = rkey.clone();
                async move {
                    let res = self
                        .client
                        .get(self.url("com.atproto.repo.getRecord"))
                        .bearer_auth(&s.access_jwt)
                        .query(&[
                            ("repo", s.did.as_str()),
                            ("collection", COLLECTION),
                            ("rkey", rkey.as_str()),
                        ])
                        .send()
                        .await
                        .map_err(|e| Failure::Error(transport_error(&e)))?;
                    if res.status().as_u16() == 400 {
                        let v: Value = res.json().await.unwrap_or_default();
                        if v.get("error").and_then(Value::as_str) == Some("RecordNotFound") {
                            return Ok(None);
                        }
                        return Err(Failure::Error(PublishError::Unknown(v.to_string())));
                    }
                    read::<Value>(res).await.map(Some)
                }
            })
            .await?;
        let handle =
            self.session.lock().expect("lock").as_ref().map(|s| s.handle.clone()).unwrap_or_default();
        Ok(match found {
            Some(v) => Lookup::Found(Published {
                id: v.get("uri").and_then(Value::as_str).unwrap_or_default().to_owned(),
                url: Some(web_url(&handle, &rkey)),
            }),
            None => Lookup::NotFound,
        })
    }

    fn session_state(&self) -> Option<String> {
        self.new_session().and_then(|s| serde_json::to_string(&s).ok())
    }
}

fn web_url(handle: &str, rkey: &str) -> String {
    format!("https://bsky.app/profile/{handle}/post/{rkey}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facets_use_utf8_byte_offsets() {
        let text = "Grüße 👋 from #Trails at https://example.com/a?b=1 with @alice.test.";
        let l = links(text);
        assert_eq!(l.len(), 1);
        assert_eq!(&text[l[0].0.clone()], "https://example.com/a?b=1");
        assert_eq!(l[0].0.start, text.find("https").expect("url"), "bytes, not characters");
        let t = hashtags(text);
        assert_eq!(
            t,
            vec![(
                text.find("#Trails").expect("tag")..text.find("#Trails").expect("tag") + 7,
                "Trails".into()
            )]
        );
        let m = mentions(text);
        assert_eq!(m.len(), 1);
        assert_eq!(
            &text[m[0].0.clone()],
            "@alice.test",
            "the sentence's full stop is not part of the handle"
        );
        assert!(hashtags("issue #123 and a#b").is_empty(), "digits only, or inside a word");
    }

    #[test]
    fn record_keys_are_stable_valid_tids() {
        let id = uuid::Uuid::now_v7();
        let a = record_key(id);
        assert_eq!(a, record_key(id), "the same on every attempt");
        assert_eq!(a.len(), 13);
        assert!(a.chars().all(|c| "234567abcdefghijklmnopqrstuvwxyz".contains(c)));
        assert!("234567abcdefghij".contains(a.chars().next().expect("first")), "top bit is zero");
        assert_ne!(a, record_key(uuid::Uuid::now_v7()));
    }
}
