//! Link previews for article and podcast links: fetched by a background job (never inside a
//! request), with the fetcher's timeout, size cap and refusal of private addresses.

use chorus_domain::{OrgId, SubmissionId};
use chorus_jobs::{Job, Registry};
use chorus_networks::preview::{LinkPreview, PreviewFetcher};
use chorus_store::{Db, Store, submissions};
use time::OffsetDateTime;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FetchPreview {
    pub org: OrgId,
    pub submission: SubmissionId,
    pub url: String,
}

impl Job for FetchPreview {
    const KIND: &'static str = "fetch_link_preview";
    const MAX_ATTEMPTS: i64 = 4;
}

/// What a submission stores: the preview, or why there is none (shown to the author).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Preview {
    Ready(LinkPreview),
    Failed { url: String, reason: String },
}

pub async fn queue(
    db: &mut impl Db,
    org: OrgId,
    submission: SubmissionId,
    url: &str,
    now: OffsetDateTime,
) -> crate::Result<()> {
    let job = FetchPreview { org, submission, url: url.to_owned() };
    chorus_jobs::enqueue(db, &job, Some(org), now).await?;
    Ok(())
}

pub fn register(registry: &mut Registry, store: Store, fetcher: PreviewFetcher) {
    registry.register(move |job: FetchPreview| {
        let (store, fetcher) = (store.clone(), fetcher.clone());
        async move {
            let preview = match fetcher.fetch(&job.url).await {
                Ok(p) => Preview::Ready(p),
                // Worth another try later (the job is retried with back-off).
                Err(e) if e.is_transient() => return Err(anyhow::Error::new(e)),
                Err(e) => Preview::Failed { url: job.url.clone(), reason: e.to_string() },
            };
            let mut db = store.conn().await?;
            // The link may have changed while we fetched: only the current link gets the preview.
            let current = submissions::get(&mut db, job.org, job.submission).await?;
            if current.and_then(|s| s.link).as_deref() == Some(job.url.as_str()) {
                submissions::set_preview(&mut db, job.org, job.submission, &serde_json::to_string(&preview)?)
                    .await?;
            }
            Ok(())
        }
    });
}
