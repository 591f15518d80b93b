//! Mastodon (any instance): `POST /api/v2/media` for images, then `POST /api/v1/statuses` with
//! an `Idempotency-Key`, which the server remembers for an hour: a repeat within that hour returns
//! the first status instead of posting twice.
//! <https://docs.joinmastodon.org/methods/statuses/#create>

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    Connector, Lookup, Outbound, PublishError, Published, RetrySafety, base, retry_after, status_error,
    transport_error,
};

pub struct Mastodon {
    client: reqwest::Client,
    base_url: String,
    access_token: String,
}

impl Mastodon {
    pub fn new(client: reqwest::Client, base_url: &str, access_token: &str) -> Self {
        Self { client, base_url: base(base_url).to_owned(), access_token: access_token.to_owned() }
    }

    async fn upload(&self, image: &super::Image) -> Result<String, PublishError> {
        let part = reqwest::multipart::Part::bytes(image.bytes.clone())
            .file_name("image")
            .mime_str(&image.mime)
            .map_err(|e| PublishError::Refused(e.to_string()))?;
        let form = reqwest::multipart::Form::new().part("file", part).text("description", image.alt.clone());
        let response = self
            .client
            .post(format!("{}/api/v2/media", self.base_url))
            .bearer_auth(&self.access_token)
            .multipart(form)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        // An upload that may have happened only leaves an unattached file: safe to redo.
        let media: MediaAttachment = read(response).await.map_err(|e| match e {
            PublishError::Unknown(m) => PublishError::Unavailable(m),
            other => other,
        })?;
        Ok(media.id)
    }
}

#[derive(Deserialize)]
struct MediaAttachment {
    id: String,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    url: Option<String>,
    uri: Option<String>,
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, PublishError> {
    let status = response.status();
    let wait = retry_after(response.headers());
    let body = response.text().await.map_err(|e| PublishError::Unknown(e.to_string()))?;
    if !status.is_success() {
        return Err(status_error(status, wait, &body));
    }
    serde_json::from_str(&body).map_err(|e| PublishError::Unknown(format!("unreadable answer: {e}")))
}

#[async_trait]
impl Connector for Mastodon {
    async fn publish(&self, post: &Outbound) -> Result<Published, PublishError> {
        let mut media_ids = Vec::new();
        for image in post.images.iter().take(4) {
            media_ids.push(self.upload(image).await?);
        }
        let body = serde_json::json!({ "status": post.text, "media_ids": media_ids, "visibility": "public" });
        let response = self
            .client
            .post(format!("{}/api/v1/statuses", self.base_url))
            .bearer_auth(&self.access_token)
            .header("Idempotency-Key", post.post_id.to_string())
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status: Status = read(response).await?;
        Ok(Published { url: status.url.or(status.uri), id: status.id })
    }

    fn retry(&self) -> RetrySafety {
        // Mastodon keeps idempotency keys for one hour; stay well inside it.
        RetrySafety::DeduplicatedFor(Duration::from_secs(45 * 60))
    }

    async fn find(&self, _post: &Outbound) -> Result<Lookup, PublishError> {
        // Statuses come back as rendered HTML, so a status cannot be matched to a post reliably.
        Ok(Lookup::CannotTell)
    }
}

// ---- Connecting an account: app registration and OAuth 2.0 --------------------------------------
// <https://docs.joinmastodon.org/client/token/> and <https://docs.joinmastodon.org/methods/apps/>:
// register an application on the instance, send the person to `/oauth/authorize`, exchange the
// code they come back with for a token, and check it with `verify_credentials`.

/// What Chorus asks for: posting statuses and media, and reading who the account is.
pub const SCOPES: &str = "write:statuses write:media read:accounts";

/// The application Chorus registered on an instance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct RegisteredApp {
    pub client_id: String,
    pub client_secret: String,
}

/// The account a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    pub acct: String,
    pub url: Option<String>,
}

/// `POST /api/v1/apps`: registers Chorus on the instance for this redirect URI.
pub async fn register_app(
    client: &reqwest::Client,
    base_url: &str,
    redirect_uri: &str,
) -> Result<RegisteredApp, PublishError> {
    let response = client
        .post(format!("{}/api/v1/apps", base(base_url)))
        .form(&[("client_name", "Chorus"), ("redirect_uris", redirect_uri), ("scopes", SCOPES)])
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    read(response).await
}

/// Where to send the person to approve Chorus on their instance.
pub fn authorize_url(base_url: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth/authorize", base(base_url)))
        .unwrap_or_else(|_| url::Url::parse("https://invalid.invalid/oauth/authorize").expect("a valid URL"));
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", SCOPES)
        .append_pair("state", state);
    url.into()
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
}

/// `POST /oauth/token` with the authorization code: the account's access token.
pub async fn exchange_code(
    client: &reqwest::Client,
    base_url: &str,
    app: &RegisteredApp,
    code: &str,
    redirect_uri: &str,
) -> Result<String, PublishError> {
    let response = client
        .post(format!("{}/oauth/token", base(base_url)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", SCOPES),
        ])
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    let answer: TokenAnswer = read(response).await?;
    Ok(answer.access_token)
}

/// `GET /api/v1/accounts/verify_credentials`: whose token this is.
pub async fn verify_credentials(
    client: &reqwest::Client,
    base_url: &str,
    access_token: &str,
) -> Result<Account, PublishError> {
    let response = client
        .get(format!("{}/api/v1/accounts/verify_credentials", base(base_url)))
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| transport_error(&e))?;
    read(response).await
}
