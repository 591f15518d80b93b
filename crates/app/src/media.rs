//! Uploads: type decided by content, size limits per kind, images re-encoded without their
//! metadata (location!) and given a thumbnail, bytes in the object store, a row in the database.
//! A failed upload leaves neither a row nor a file behind.

use std::sync::Arc;

use crate::{App, Error, Result, me::Caller};
use chorus_domain::{MediaId, OrgId, submission as rules};
use chorus_jobs::{Job, Registry};
use chorus_media::{
    MediaClass, MediaVariant, ObjectBody, ObjectKey, ObjectStore, Spooled, ingest, safe_filename,
};
use chorus_store::{media, submissions};

pub use chorus_store::media::Media;

static INGESTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

fn key(caller: &Caller, m: &Media, variant: MediaVariant) -> ObjectKey {
    key_in(caller.org_id(), m, variant)
}

fn key_in(org: OrgId, m: &Media, variant: MediaVariant) -> ObjectKey {
    let ext = match variant {
        MediaVariant::Original => m.extension.as_str(),
        // Thumbnails are JPEG, or PNG for images with transparency; the row knows which.
        MediaVariant::Thumb if m.thumbnail_mime.as_deref() == Some("image/png") => "png",
        MediaVariant::Thumb => "jpg",
    };
    ObjectKey::for_media(org.0, m.id.0, variant, ext)
}

/// Every object a media item has in the store (the original, and the thumbnail of an image).
pub(crate) fn keys_of(org: OrgId, m: &Media) -> Vec<String> {
    let mut keys = vec![key_in(org, m, MediaVariant::Original).into_string()];
    if m.thumbnail_mime.is_some() {
        keys.push(key_in(org, m, MediaVariant::Thumb).into_string());
    }
    keys
}

fn store_error(e: chorus_media::StoreError) -> Error {
    Error::Internal(anyhow::Error::new(e))
}

/// Accepts one upload by the caller.
pub async fn upload(app: &App, caller: &Caller, bytes: Vec<u8>, filename: Option<&str>) -> Result<Media> {
    let uploader =
        caller.actor.user_id.ok_or(Error::Forbidden(chorus_domain::Denied("sign in to upload")))?;
    let limits = app.config.media_limits;
    // Decoding one large image can take about 1 GB at its peak: two at a time at most.
    let permit = INGESTING.acquire().await.map_err(|e| Error::Internal(e.into()))?;
    let ingested = tokio::task::spawn_blocking(move || ingest(bytes, &limits))
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(Error::Upload)?;
    drop(permit);
    let m = Media {
        id: MediaId::new(),
        uploader_id: Some(uploader),
        class: ingested.class.as_str().to_owned(),
        mime: ingested.mime.to_owned(),
        extension: ingested.extension.to_owned(),
        bytes: i64::try_from(ingested.bytes.len()).unwrap_or(i64::MAX),
        sha256: ingested.sha256.clone(),
        width: ingested.width.map(i64::from),
        height: ingested.height.map(i64::from),
        thumbnail_mime: ingested.thumbnail.as_ref().map(|t| t.mime.to_owned()),
        filename: safe_filename(filename.unwrap_or("upload")),
        created_at: app.now(),
    };
    let original = key(caller, &m, MediaVariant::Original);
    let thumb = ingested
        .thumbnail
        .as_ref()
        .map(|t| ObjectKey::for_media(caller.org_id().0, m.id.0, MediaVariant::Thumb, t.extension));
    // Files first, then the row: a crash in between leaves an unreferenced file (harmless, and
    // named by an id nobody has), never a row pointing at nothing. Any error cleans up.
    let stored = async {
        app.media.put(&original, ingested.bytes, ingested.mime).await.map_err(store_error)?;
        if let (Some(k), Some(t)) = (&thumb, ingested.thumbnail) {
            app.media.put(k, t.bytes, t.mime).await.map_err(store_error)?;
        }
        let mut db = app.store.conn().await?;
        media::insert(&mut db, caller.org_id(), &m).await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = stored {
        let _ = app.media.delete(&original).await;
        if let Some(k) = &thumb {
            let _ = app.media.delete(k).await;
        }
        return Err(e);
    }
    Ok(m)
}

/// Accepts one upload received into a temporary file ([`chorus_media::Spool`]): images are read
/// (their size limit bounds that) and go through [`upload`]; videos, audio and PDFs stream from the
/// file to the object store, never whole in memory.
pub async fn upload_file(app: &App, caller: &Caller, file: Spooled, filename: Option<&str>) -> Result<Media> {
    let uploader =
        caller.actor.user_id.ok_or(Error::Forbidden(chorus_domain::Denied("sign in to upload")))?;
    let sniffed = match file.sniffed {
        _ if file.len == 0 => return Err(Error::Upload(chorus_media::MediaError::Empty)),
        None => return Err(Error::Upload(chorus_media::MediaError::UnsupportedType)),
        Some(s) => s,
    };
    let limit = app.config.media_limits.for_class(sniffed.class);
    if file.len > limit {
        return Err(Error::Upload(chorus_media::MediaError::TooLarge { class: Some(sniffed.class), limit }));
    }
    if sniffed.class == MediaClass::Image {
        let bytes = file.read().await.map_err(Error::Upload)?;
        return upload(app, caller, bytes, filename).await;
    }
    let m = Media {
        id: MediaId::new(),
        uploader_id: Some(uploader),
        class: sniffed.class.as_str().to_owned(),
        mime: sniffed.mime.to_owned(),
        extension: sniffed.extension.to_owned(),
        bytes: i64::try_from(file.len).unwrap_or(i64::MAX),
        sha256: file.sha256.clone(),
        width: None,
        height: None,
        thumbnail_mime: None,
        filename: safe_filename(filename.unwrap_or("upload")),
        created_at: app.now(),
    };
    let original = key(caller, &m, MediaVariant::Original);
    let stored = async {
        app.media.put_file(&original, file.path(), sniffed.mime).await.map_err(store_error)?;
        let mut db = app.store.conn().await?;
        media::insert(&mut db, caller.org_id(), &m).await?;
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = stored {
        let _ = app.media.delete(&original).await;
        return Err(e);
    }
    Ok(m)
}

/// The uploader sees their file; everyone else sees it through a submission they can see.
async fn visible(app: &App, caller: &Caller, m: &Media) -> Result<bool> {
    if m.uploader_id.is_some() && m.uploader_id == caller.actor.user_id {
        return Ok(true);
    }
    let mut db = app.store.conn().await?;
    let org = caller.org_id();
    for s in media::attached_to(&mut db, org, m.id).await? {
        let Some(sub) = submissions::get(&mut db, org, s).await? else { continue };
        let authors = submissions::authors(&mut db, org, s).await?;
        let who = crate::submissions::standing(caller, &sub, &authors);
        if rules::visible(sub.status, sub.kind, who) {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn get(app: &App, caller: &Caller, id: MediaId) -> Result<Media> {
    let m = {
        let mut db = app.store.conn().await?;
        media::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)?
    };
    if !visible(app, caller, &m).await? {
        return Err(Error::NotFound);
    }
    Ok(m)
}

/// How long a browser may keep a downloaded file (it is private to people who may see it).
pub const CACHE_CONTROL: &str = "private, max-age=3600";

/// `inline` for pictures, video and sound, `attachment` for the rest, with the uploaded name
/// (made safe on upload; quotes, backslashes and non-ASCII dropped here for the header).
pub fn content_disposition(m: &Media) -> String {
    let ascii: String = m
        .filename
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let disposition =
        if m.class == "image" || m.class == "video" || m.class == "audio" { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{ascii}\"")
}

/// How a permitted download reaches the browser.
pub enum Download {
    /// Through this instance, as a stream.
    Stream(ObjectBody),
    /// Straight from the object store, by a short-lived presigned URL (`--media-presign`).
    Redirect(String),
}

/// A file the caller may download: its row, the content type to serve and how to get it.
pub struct Content {
    pub media: Media,
    pub mime: String,
    pub download: Download,
}

/// The file (or its thumbnail), for download, after the same visibility check as [`get`].
pub async fn content(app: &App, caller: &Caller, id: MediaId, thumbnail: bool) -> Result<Content> {
    let m = get(app, caller, id).await?;
    let (variant, mime) = if let Some(mime) = m.thumbnail_mime.clone().filter(|_| thumbnail) {
        (key(caller, &m, MediaVariant::Thumb), mime)
    } else {
        (key(caller, &m, MediaVariant::Original), m.mime.clone())
    };
    let response = chorus_media::ResponseHeaders {
        content_type: Some(mime.clone()),
        content_disposition: Some(content_disposition(&m)),
        cache_control: Some(CACHE_CONTROL.to_owned()),
    };
    if let Some(ttl) = app.config.media_presign
        && let Some(url) = app.media.presign_get(&variant, ttl, &response).await.map_err(store_error)?
    {
        return Ok(Content { media: m, mime, download: Download::Redirect(url) });
    }
    let body = app.media.get_stream(&variant).await.map_err(store_error)?.ok_or(Error::NotFound)?;
    Ok(Content { media: m, mime, download: Download::Stream(body) })
}

/// Removes objects from the store: queued in the transaction that deletes their rows, retried
/// until the store answers (deleting a missing object is fine, so a repeat is harmless).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DeleteObjects {
    pub keys: Vec<String>,
}

impl Job for DeleteObjects {
    const KIND: &'static str = "media.delete_objects";
    const MAX_ATTEMPTS: i64 = 12;
}

pub(crate) fn register(registry: &mut Registry, store: Arc<dyn ObjectStore>) {
    registry.register(move |job: DeleteObjects| {
        let store = Arc::clone(&store);
        async move {
            for key in &job.keys {
                let Ok(key) = ObjectKey::parse(key) else {
                    tracing::warn!(media.key = %key, "Skipped an invalid object key");
                    continue;
                };
                store.delete(&key).await.map_err(|e| anyhow::anyhow!("delete {key}: {e}"))?;
            }
            tracing::info!(objects = job.keys.len(), "Deleted media objects");
            Ok(())
        }
    });
}

/// Deletes the rows of these media items that no submission uses any more, and queues the
/// deletion of their objects, inside the caller's transaction. Returns how many were deleted.
pub(crate) async fn delete_unused(
    tx: &mut chorus_store::Tx,
    org: OrgId,
    items: &[Media],
    now: time::OffsetDateTime,
) -> Result<usize> {
    let mut keys = Vec::new();
    let mut deleted = 0;
    for m in items {
        if !media::attached_to(tx, org, m.id).await?.is_empty() {
            continue;
        }
        media::delete(tx, org, m.id).await?;
        keys.extend(keys_of(org, m));
        deleted += 1;
    }
    if !keys.is_empty() {
        chorus_jobs::enqueue(tx, &DeleteObjects { keys }, Some(org), now).await?;
    }
    Ok(deleted)
}

/// Deletes an upload of the caller's: its row now, its objects (original and thumbnail) through the
/// job queue. Refused while a submission past the draft stage uses it; drafts of the caller's let
/// go of it.
pub async fn delete(app: &App, caller: &Caller, id: MediaId) -> Result<()> {
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let m = media::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if m.uploader_id.is_none() || m.uploader_id != caller.actor.user_id {
        // Someone else's file: as if it did not exist when they cannot see it.
        drop(tx);
        get(app, caller, id).await?;
        return Err(Error::Forbidden(chorus_domain::Denied(
            "only the person who uploaded a file can delete it",
        )));
    }
    for s in media::attached_to(&mut tx, org, id).await? {
        let Some(sub) = submissions::get(&mut tx, org, s).await? else { continue };
        if sub.status != rules::Status::Draft {
            return Err(Error::Conflict(format!(
                "this file belongs to \"{}\", which is past the draft stage; it stays with it",
                sub.title
            )));
        }
    }
    media::detach(&mut tx, org, id).await?;
    delete_unused(&mut tx, org, std::slice::from_ref(&m), now).await?;
    crate::audit::record(
        &mut tx,
        org,
        caller,
        now,
        crate::audit::Entry::new("media.deleted")
            .target("media", id.0)
            .detail(serde_json::json!({"filename": m.filename, "bytes": m.bytes})),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(())
}
