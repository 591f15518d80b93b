//! Uploads: type decided by content, size limits per kind, images re-encoded without their
//! metadata (location!) and given a thumbnail, bytes in the object store, a row in the database.
//! A failed upload leaves neither a row nor a file behind.

use crate::{App, Error, Result, me::Caller};
use chorus_domain::{MediaId, submission as rules};
use chorus_media::{MediaVariant, ObjectKey, ingest, safe_filename};
use chorus_store::{media, submissions};

pub use chorus_store::media::Media;

static INGESTING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

fn key(caller: &Caller, m: &Media, variant: MediaVariant) -> ObjectKey {
    let ext = match variant {
        MediaVariant::Original => m.extension.as_str(),
        // Thumbnails are JPEG, or PNG for images with transparency; the row knows which.
        MediaVariant::Thumb if m.thumbnail_mime.as_deref() == Some("image/png") => "png",
        MediaVariant::Thumb => "jpg",
    };
    ObjectKey::for_media(caller.org_id().0, m.id.0, variant, ext)
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

/// The file's bytes and content type, for download.
pub async fn content(
    app: &App,
    caller: &Caller,
    id: MediaId,
    thumbnail: bool,
) -> Result<(Media, Vec<u8>, String)> {
    let m = get(app, caller, id).await?;
    let (variant, mime) = if let Some(mime) = m.thumbnail_mime.clone().filter(|_| thumbnail) {
        (key(caller, &m, MediaVariant::Thumb), mime)
    } else {
        (key(caller, &m, MediaVariant::Original), m.mime.clone())
    };
    let bytes = app.media.get(&variant).await.map_err(store_error)?.ok_or(Error::NotFound)?;
    Ok((m, bytes, mime))
}
