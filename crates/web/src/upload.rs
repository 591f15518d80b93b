//! Reading an uploaded file from a multipart body with a cap (never buffering more than the
//! largest allowed file), and serving stored files so that a browser never runs them.

use axum::{
    extract::Multipart,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_app::{Error, media::Media};

/// The bytes and the client's file name of the field `file`. Other fields are ignored. Refuses
/// (413) as soon as the body passes `max` bytes.
pub async fn read_file_field(
    multipart: &mut Multipart,
    max: u64,
) -> Result<(Vec<u8>, Option<String>), Error> {
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
        let bytes = read_capped(&mut field, max).await?;
        if name.as_deref().is_none_or(str::is_empty) && bytes.is_empty() {
            // A form submitted with no file chosen.
            return Err(missing());
        }
        return Ok((bytes, name));
    }
}

/// A file part's bytes, refused (413) as soon as they pass `max`.
pub async fn read_capped(
    field: &mut axum::extract::multipart::Field<'_>,
    max: u64,
) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|_| {
        Error::from(chorus_domain::Invalid::new("file", "the upload was not a valid multipart body"))
    })? {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(Error::Upload(chorus_media::MediaError::TooLarge { class: None, limit: max }));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The stored bytes with their sniffed type, `nosniff`, and a sandbox so that even a file a
/// browser could render as a page runs nothing.
pub fn serve(m: &Media, bytes: Vec<u8>, mime: &str) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    // The name was made safe on upload; quotes and non-ASCII are dropped here for the header.
    let ascii: String = m
        .filename
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let disposition =
        if m.class == "image" || m.class == "video" || m.class == "audio" { "inline" } else { "attachment" };
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{ascii}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
