//! Receiving an uploaded file from a multipart body into a temporary file (bounded memory, type
//! and size checked as it arrives), and serving stored files so that a browser never runs them.

use axum::{
    body::Body,
    extract::Multipart,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_app::{
    App, Error,
    media::{Content, Download, Media},
};
use chorus_media::{Spool, Spooled};

/// The field `file`, received into a temporary file (bounded memory whatever its size), with the
/// client's file name. Other fields are ignored. Refuses a type off the allow-list as soon as its
/// first bytes are in, and (413) a file as soon as it passes its kind's limit.
pub async fn spool_file_field(
    app: &App,
    multipart: &mut Multipart,
) -> Result<(Spooled, Option<String>), Error> {
    let missing = || Error::from(chorus_domain::Invalid::new("file", "choose a file to upload"));
    let malformed =
        || Error::from(chorus_domain::Invalid::new("file", "the upload was not a valid multipart body"));
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(|_| malformed())? else {
            return Err(missing());
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let file = spool(app, &mut field).await?;
        if name.as_deref().is_none_or(str::is_empty) && file.len == 0 {
            // A form submitted with no file chosen.
            return Err(missing());
        }
        return Ok((file, name));
    }
}

/// A file part written to a temporary file as it arrives (see [`chorus_media::Spool`]).
pub async fn spool(app: &App, field: &mut axum::extract::multipart::Field<'_>) -> Result<Spooled, Error> {
    let mut spool =
        Spool::create(&app.config.spool_dir, app.config.media_limits).await.map_err(Error::Upload)?;
    while let Some(chunk) = field.chunk().await.map_err(|_| {
        Error::from(chorus_domain::Invalid::new("file", "the upload was not a valid multipart body"))
    })? {
        spool.write(&chunk).await.map_err(Error::Upload)?;
    }
    spool.finish().await.map_err(Error::Upload)
}

/// A permitted download: streamed through this instance (see [`serve`]), or a 302 to a
/// short-lived presigned URL of the object store, never cached (it expires).
pub fn download(c: Content) -> Response {
    match c.download {
        Download::Redirect(url) => {
            let mut res = StatusCode::FOUND.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&url) {
                h.insert(header::LOCATION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            res
        }
        Download::Stream(body) => {
            let size = body.size;
            let mut res = serve(&c.media, Body::from_stream(body.stream), &c.mime);
            res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            res
        }
    }
}

/// The stored bytes with their sniffed type, `nosniff`, and a sandbox so that even a file a
/// browser could render as a page runs nothing.
pub fn serve(m: &Media, bytes: impl Into<Body>, mime: &str) -> Response {
    let mut res = (StatusCode::OK, bytes.into()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(chorus_app::media::CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(&chorus_app::media::content_disposition(m)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
