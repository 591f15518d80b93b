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
