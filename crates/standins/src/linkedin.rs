//! LinkedIn's Posts and Images APIs for an organization page, as documented:
//! - every `/rest/` call needs `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` (400
//!   `VERSION_MISSING` without it, 426 `NONEXISTENT_VERSION` for a malformed one) and
//!   `X-Restli-Protocol-Version: 2.0.0`;
//! - `POST /rest/posts` (`author`, `commentary`, `visibility`, `distribution`,
//!   `lifecycleState`, optional `content`) → 201 with the post URN in `x-restli-id`; validation
//!   errors are 422; `GET /rest/posts?q=author&author={urn}` lists the author's posts
//!   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api>;
//! - `POST /rest/images?action=initializeUpload` → `{"value": {"uploadUrl", "image"}}`, then a
//!   `PUT` of the bytes to `uploadUrl`, on the other ("www") host
//!   <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/images-api>;
//! - `commentary` is the "little" text format: `\ | { } @ [ ] ( ) < > # * _ ~` are reserved and
//!   must be backslash-escaped; LinkedIn silently cuts the text at the first unescaped one
//!   (kept: `#tag` hashtags) <https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format>.
//!   Posts read back with hashtags in template form, `{hashtag|\#|tag}`.
//! - the token endpoint `POST /oauth/v2/accessToken` (on "www") with `grant_type=refresh_token`,
//!   `client_id` and `client_secret` in the form; refresh tokens do not rotate
//!   <https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens>.
//!
//! Length: `commentary` is checked against 3,000 characters of the text readers see (whether
//! LinkedIn counts the escapes too is not documented).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{post, put},
};
use serde_json::{Value, json};

use crate::{After, Endpoint, Journal, Plan, bearer, dropped, field, form_pairs, malformed, now_unix};

pub const MAX_COMMENTARY: usize = 3000;
const RESERVED: &[char] = &['\\', '|', '{', '}', '@', '[', ']', '(', ')', '<', '>', '#', '*', '_', '~'];

#[derive(Debug, Clone)]
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub access_token: String,
    pub refresh_token: String,
    /// The organization (company page) the token may post for.
    pub organization_id: String,
    /// Lifetime of issued access tokens, in seconds (LinkedIn: 60 days).
    pub expires_in: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: "li-client-id".into(),
            client_secret: "li-client-secret".into(),
            access_token: "li-access-0".into(),
            refresh_token: "li-refresh-0".into(),
            organization_id: "2414183".into(),
            expires_in: 5_184_000,
        }
    }
}

impl Config {
    pub fn organization_urn(&self) -> String {
        format!("urn:li:organization:{}", self.organization_id)
    }
}

/// A post the stand-in holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub urn: String,
    pub author: String,
    /// `commentary` as sent (little format).
    pub commentary: String,
    /// What readers see: the little format read, cut at the first unescaped reserved character.
    pub text: String,
    /// Image URNs in `content.media` or `content.multiImage`.
    pub images: Vec<String>,
    /// `content.article.source`.
    pub article: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub urn: String,
    /// Bytes PUT to the upload URL (`None` until then).
    pub uploaded: Option<usize>,
}

struct Inner {
    config: Config,
    www_url: String,
    access: Vec<(String, bool)>,
    refresh: Option<String>,
    issued: u32,
    images: HashMap<String, Image>,
    posts: Vec<Post>,
    next: u64,
}

#[derive(Clone)]
struct App {
    inner: Arc<Mutex<Inner>>,
    journal: Journal,
}

/// A running LinkedIn stand-in: `api_url` stands for `https://api.linkedin.com`, `www_url` for
/// `https://www.linkedin.com` (token endpoint and upload URLs).
pub struct StandIn {
    pub api_url: String,
    pub www_url: String,
    pub token_url: String,
    pub journal: Journal,
    config: Config,
    inner: Arc<Mutex<Inner>>,
}

pub async fn start(config: Config) -> StandIn {
    let inner = Arc::new(Mutex::new(Inner {
        www_url: String::new(),
        access: vec![(config.access_token.clone(), false)],
        refresh: Some(config.refresh_token.clone()),
        issued: 0,
        images: HashMap::new(),
        posts: Vec::new(),
        next: 7_400_000_000_000_000_001,
        config: config.clone(),
    }));
    let journal = Journal::default();
    let app = App { inner: Arc::clone(&inner), journal: journal.clone() };
    let api = Router::new()
        .route("/rest/posts", post(create_post).get(find_posts))
        .route("/rest/images", post(initialize_upload))
        .with_state(app.clone());
    let www = Router::new()
        .route("/oauth/v2/accessToken", post(token))
        .route("/dms-uploads/{id}", put(put_upload))
        .with_state(app);
    let api_url = crate::serve(api).await;
    let www_url = crate::serve(www).await;
    inner.lock().expect("linkedin stand-in lock").www_url = www_url.clone();
    StandIn { token_url: format!("{www_url}/oauth/v2/accessToken"), api_url, www_url, journal, config, inner }
}

impl StandIn {
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn posts(&self) -> Vec<Post> {
        self.lock().posts.clone()
    }

    pub fn images(&self) -> Vec<Image> {
        self.lock().images.values().cloned().collect()
    }

    /// Every access token issued so far now answers 401 `EXPIRED_ACCESS_TOKEN`.
    pub fn expire_access_tokens(&self) {
        for t in &mut self.lock().access {
            t.1 = true;
        }
    }

    /// The refresh token stops working (revoked, or past its one-year life).
    pub fn revoke_refresh_token(&self) {
        self.lock().refresh = None;
    }

    pub fn refresh_token(&self) -> Option<String> {
        self.lock().refresh.clone()
    }

    /// The access token issued last.
    pub fn access_token(&self) -> String {
        self.lock().access.last().map(|t| t.0.clone()).unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("linkedin stand-in lock")
    }
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("linkedin stand-in lock")
    }

    /// The refusal (401) unless the request carries a live access token.
    fn authorize(&self, headers: &HeaderMap) -> Option<Response> {
        let s = self.lock();
        match bearer(headers).and_then(|t| s.access.iter().find(|(a, _)| a == t)) {
            Some((_, false)) => None,
            Some((_, true)) => Some(error(
                401,
                Some(("EXPIRED_ACCESS_TOKEN", 65601)),
                "The token used in the request has expired",
            )),
            None => Some(error(401, Some(("INVALID_ACCESS_TOKEN", 65600)), "Invalid access token")),
        }
    }

    /// The refusal, if any: a live bearer token, then the Rest.li headers every versioned API wants.
    fn check(&self, headers: &HeaderMap) -> Option<Response> {
        if let Some(refusal) = self.authorize(headers) {
            return Some(refusal);
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let Some(version) = header("linkedin-version") else {
            return Some(error(
                400,
                Some(("VERSION_MISSING", 0)),
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            ));
        };
        let month = version.get(4..).and_then(|m| m.parse::<u32>().ok());
        if version.len() != 6
            || !version.bytes().all(|b| b.is_ascii_digit())
            || !month.is_some_and(|m| (1..=12).contains(&m))
        {
            return Some(error(
                426,
                Some(("NONEXISTENT_VERSION", 0)),
                &format!("Requested version {version} is not active"),
            ));
        }
        if header("x-restli-protocol-version") != Some("2.0.0") {
            return Some(error(400, None, "The X-Restli-Protocol-Version header must be 2.0.0"));
        }
        None
    }
}

/// An error body as LinkedIn sends them.
fn error(status: u16, code: Option<(&str, u32)>, message: &str) -> Response {
    let mut v = json!({"status": status, "message": message});
    if let Some((code, service)) = code {
        v["code"] = json!(code);
        if service != 0 {
            v["serviceErrorCode"] = json!(service);
        }
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), Json(v)).into_response()
}

fn unprocessable(path: &str, message: &str) -> Response {
    error(422, None, &format!("ERROR :: {path} :: {message}"))
}

fn scripted(status: u16, retry_after: Option<u64>) -> Response {
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    crate::with_retry_after(error(status, None, reason), retry_after)
}

fn finish(
    journal: &Journal,
    endpoint: Endpoint,
    method: &str,
    path: &str,
    body: &str,
    res: Response,
) -> Response {
    let status = crate::answered(&res);
    journal.record(endpoint, method, path, status, body);
    res
}

async fn token(State(app): State<App>, headers: HeaderMap, body: String) -> Response {
    let done = |res| finish(&app.journal, Endpoint::Token, "POST", "/oauth/v2/accessToken", &body, res);
    if let Plan::Refuse { status, retry_after } = app.journal.plan(Endpoint::Token).await {
        return done(scripted(status, retry_after));
    }
    let oauth_error = |status: StatusCode, error: &str, description: &str| {
        (status, Json(json!({"error": error, "error_description": description}))).into_response()
    };
    let form = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form.starts_with("application/x-www-form-urlencoded") {
        return done(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "A form body is required"));
    }
    let pairs = form_pairs(&body);
    let mut s = app.lock();
    if field(&pairs, "client_id") != Some(s.config.client_id.as_str())
        || field(&pairs, "client_secret") != Some(s.config.client_secret.as_str())
    {
        drop(s);
        return done(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed"));
    }
    if field(&pairs, "grant_type") != Some("refresh_token") {
        drop(s);
        return done(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant type",
        ));
    }
    let given = field(&pairs, "refresh_token").unwrap_or_default();
    let Some(refresh) = s.refresh.clone().filter(|r| r == given) else {
        drop(s);
        return done(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The provided authorization grant or refresh token is invalid, expired or revoked",
        ));
    };
    s.issued += 1;
    let access = format!("li-access-{}", s.issued);
    s.access.push((access.clone(), false));
    let expires_in = s.config.expires_in;
    drop(s);
    // LinkedIn hands back the same refresh token, with the time it has left.
    done(
        Json(json!({
            "access_token": access, "expires_in": expires_in,
            "refresh_token": refresh, "refresh_token_expires_in": 31_000_000,
            "scope": "r_organization_social,w_organization_social",
        }))
        .into_response(),
    )
}

async fn initialize_upload(
    State(app): State<App>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: String,
) -> Response {
    let query = query.unwrap_or_default();
    let path = format!("/rest/images?{query}");
    let done = |res| finish(&app.journal, Endpoint::Upload, "POST", &path, &body, res);
    if let Some(res) = app.check(&headers) {
        return done(res);
    }
    if field(&form_pairs(&query), "action") != Some("initializeUpload") {
        return done(error(400, None, "Unsupported action"));
    }
    let after = match app.journal.plan(Endpoint::Upload).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(owner) = v["initializeUploadRequest"]["owner"].as_str() else {
        return done(unprocessable("/initializeUploadRequest/owner", "field is required but not found"));
    };
    let mut s = app.lock();
    if owner != s.config.organization_urn() {
        drop(s);
        return done(error(
            403,
            Some(("ACCESS_DENIED", 100)),
            "Not enough permissions to upload for this owner",
        ));
    }
    s.next += 1;
    let id = format!("D4E10AQ{}", s.next);
    let urn = format!("urn:li:image:{id}");
    s.images.insert(urn.clone(), Image { urn: urn.clone(), uploaded: None });
    let upload_url = format!("{}/dms-uploads/{id}?ca=vector_feedshare&cn=uploads", s.www_url);
    drop(s);
    let expires = now_unix() * 1000 + 86_400_000;
    done(answer(
        after,
        Json(json!({"value": {"uploadUrlExpiresAt": expires, "uploadUrl": upload_url, "image": urn}}))
            .into_response(),
    ))
}

async fn put_upload(
    State(app): State<App>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/dms-uploads/{id}");
    let summary = format!("{} bytes", body.len());
    let done = |res| finish(&app.journal, Endpoint::Upload, "PUT", &path, &summary, res);
    if let Some(res) = app.authorize(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Upload).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    if body.is_empty() {
        return done(error(400, None, "Empty upload"));
    }
    let mut s = app.lock();
    let Some(image) = s.images.get_mut(&format!("urn:li:image:{id}")) else {
        drop(s);
        return done(error(404, None, "No such upload"));
    };
    image.uploaded = Some(body.len());
    drop(s);
    done(answer(after, StatusCode::CREATED.into_response()))
}

async fn create_post(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let text_body = String::from_utf8_lossy(&body).into_owned();
    let done = |res| finish(&app.journal, Endpoint::Publish, "POST", "/rest/posts", &text_body, res);
    if let Some(res) = app.check(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Publish).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return done(error(400, None, "Request body is not valid JSON"));
    };
    let org = app.lock().config.organization_urn();
    let Some(author) = v["author"].as_str() else {
        return done(unprocessable("/author", "field is required but not found"));
    };
    if author != org {
        return done(error(
            403,
            Some(("ACCESS_DENIED", 100)),
            "Not enough permissions to post as this author",
        ));
    }
    let Some(commentary) = v["commentary"].as_str() else {
        return done(unprocessable("/commentary", "field is required but not found"));
    };
    let text = read_little(commentary);
    if text.chars().count() > MAX_COMMENTARY {
        return done(unprocessable("/commentary", "length exceeds the maximum allowed 3000"));
    }
    if !["PUBLIC", "CONNECTIONS", "LOGGED_IN"].contains(&v["visibility"].as_str().unwrap_or_default()) {
        return done(unprocessable(
            "/visibility",
            "field is required and must be PUBLIC, CONNECTIONS or LOGGED_IN",
        ));
    }
    if !["MAIN_FEED", "NONE"].contains(&v["distribution"]["feedDistribution"].as_str().unwrap_or_default()) {
        return done(unprocessable("/distribution/feedDistribution", "field is required but not found"));
    }
    if !["PUBLISHED", "DRAFT"].contains(&v["lifecycleState"].as_str().unwrap_or_default()) {
        return done(unprocessable("/lifecycleState", "field is required but not found"));
    }
    if v.get("isReshareDisabledByAuthor").is_some_and(|b| !b.is_boolean()) {
        return done(unprocessable("/isReshareDisabledByAuthor", "must be a boolean"));
    }
    let (mut images, mut article) = (Vec::new(), None);
    if let Some(content) = v.get("content") {
        let kinds = ["media", "multiImage", "article"].iter().filter(|k| content.get(**k).is_some()).count();
        if kinds != 1 {
            return done(unprocessable(
                "/content",
                "exactly one of media, multiImage or article is required",
            ));
        }
        if let Some(id) = content["media"]["id"].as_str() {
            images.push(id.to_owned());
        } else if let Some(list) = content["multiImage"]["images"].as_array() {
            if !(2..=20).contains(&list.len()) {
                return done(unprocessable("/content/multiImage/images", "between 2 and 20 images"));
            }
            images.extend(list.iter().filter_map(|i| i["id"].as_str()).map(str::to_owned));
        } else if let Some(source) = content["article"]["source"].as_str() {
            if content["article"]["title"].as_str().is_none_or(str::is_empty) {
                return done(unprocessable("/content/article/title", "field is required but not found"));
            }
            article = Some(source.to_owned());
        } else {
            return done(unprocessable("/content", "media needs an id, multiImage images, article a source"));
        }
    }
    let mut s = app.lock();
    if images.iter().any(|urn| s.images.get(urn).is_none_or(|i| i.uploaded.is_none())) {
        drop(s);
        return done(unprocessable("/content/media/id", "the image does not exist or was not uploaded"));
    }
    s.next += 1;
    let urn = format!("urn:li:share:{}", s.next);
    s.posts.push(Post {
        urn: urn.clone(),
        author: author.to_owned(),
        commentary: commentary.to_owned(),
        text,
        images,
        article,
        created_at: now_unix() * 1000,
    });
    drop(s);
    let created = match after {
        After::Normal => {
            let mut res = StatusCode::CREATED.into_response();
            if let Ok(v) = HeaderValue::from_str(&urn) {
                res.headers_mut().insert("x-restli-id", v.clone());
                res.headers_mut().insert("x-linkedin-id", v);
            }
            res
        }
        other => answer(other, StatusCode::CREATED.into_response()),
    };
    done(created)
}

async fn find_posts(State(app): State<App>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let query = query.unwrap_or_default();
    let path = format!("/rest/posts?{query}");
    let done = |res| finish(&app.journal, Endpoint::Lookup, "GET", &path, "", res);
    if let Some(res) = app.check(&headers) {
        return done(res);
    }
    let after = match app.journal.plan(Endpoint::Lookup).await {
        Plan::Refuse { status, retry_after } => return done(scripted(status, retry_after)),
        Plan::CarryOut(a) => a,
    };
    let pairs = form_pairs(&query);
    if field(&pairs, "q") != Some("author") {
        return done(error(400, None, "The finder q=author is required"));
    }
    let s = app.lock();
    let org = s.config.organization_urn();
    if field(&pairs, "author") != Some(org.as_str()) {
        drop(s);
        return done(error(
            403,
            Some(("ACCESS_DENIED", 100)),
            "Not enough permissions to read this author's posts",
        ));
    }
    let count = match field(&pairs, "count").map(str::parse::<usize>) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => {
            drop(s);
            return done(error(400, None, "count must be between 1 and 100"));
        }
    };
    let elements: Vec<Value> = s
        .posts
        .iter()
        .rev()
        .take(count)
        .map(|p| {
            let mut v = json!({
                "id": p.urn, "author": p.author, "commentary": hashtag_templates(&p.commentary),
                "visibility": "PUBLIC", "lifecycleState": "PUBLISHED",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
                "createdAt": p.created_at, "publishedAt": p.created_at, "lastModifiedAt": p.created_at,
                "isReshareDisabledByAuthor": false,
            });
            match (p.images.as_slice(), &p.article) {
                ([one], _) => v["content"] = json!({"media": {"id": one}}),
                ([], Some(a)) => v["content"] = json!({"article": {"source": a}}),
                ([], None) => {}
                (many, _) => {
                    v["content"] = json!({"multiImage": {"images": many.iter().map(|i| json!({"id": i})).collect::<Vec<_>>()}})
                }
            }
            v
        })
        .collect();
    let total = s.posts.len();
    drop(s);
    done(answer(
        after,
        Json(json!({"elements": elements, "paging": {"start": 0, "count": count, "links": [], "total": total}}))
            .into_response(),
    ))
}

fn answer(after: After, normal: Response) -> Response {
    match after {
        After::Normal => normal,
        After::Malformed => malformed(normal.status()),
        After::Fail500 => error(500, None, "Internal Server Error"),
        After::Drop => dropped(),
    }
}

/// The text readers see for a little-format `commentary`: escapes resolved, `#tag` and
/// `{hashtag|\#|tag}` shown as `#tag`, and — as LinkedIn does — everything from the first
/// unescaped reserved character on silently dropped.
pub fn read_little(commentary: &str) -> String {
    let chars: Vec<char> = commentary.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            match chars.get(i + 1) {
                Some(n) if RESERVED.contains(n) => {
                    out.push(*n);
                    i += 2;
                    continue;
                }
                _ => break,
            }
        }
        if c == '{' {
            let rest: String = chars[i..].iter().collect();
            if let Some(tag) =
                rest.strip_prefix("{hashtag|\\#|").and_then(|r| r.split_once('}')).map(|(t, _)| t)
                && !tag.is_empty()
                && tag.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
            {
                out.push('#');
                out.push_str(tag);
                i += "{hashtag|\\#|".chars().count() + tag.chars().count() + 1;
                continue;
            }
            break;
        }
        if c == '#' && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()) {
            out.push('#');
            i += 1;
            continue;
        }
        if RESERVED.contains(&c) {
            break;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `#tag` written plainly comes back from LinkedIn as `{hashtag|\#|tag}`.
fn hashtag_templates(commentary: &str) -> String {
    let chars: Vec<char> = commentary.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let escaped = i > 0 && chars[i - 1] == '\\';
        if c == '#' && !escaped && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()) {
            let tag: String = chars[i + 1..].iter().take_while(|ch| ch.is_alphanumeric()).collect();
            out.push_str("{hashtag|\\#|");
            out.push_str(&tag);
            out.push('}');
            i += 1 + tag.chars().count();
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescaped_reserved_characters_cut_the_text_as_linkedin_does() {
        assert_eq!(read_little(r"Hello \(world\) #rust {hashtag|\#|Chorus}"), "Hello (world) #rust #Chorus");
        assert_eq!(read_little("Hello (world)"), "Hello ");
        assert_eq!(read_little(r"a\_b and c_d"), "a_b and c");
        assert_eq!(hashtag_templates(r"go #rust \#no"), r"go {hashtag|\#|rust} \#no");
    }
}
