//! Reading and writing the two cookies Chorus uses (session and CSRF), without a cookie jar.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "chorus_session";
pub const CSRF: &str = "chorus_csrf";
/// A Mastodon connection waiting for the person to come back from their instance (sealed).
pub const CONNECT: &str = "chorus_connect";

/// The value of a cookie in the request, if present.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, whole site, `SameSite` as given; `max_age` in seconds
/// (`Some(0)` deletes, `None` = until the browser closes).
pub fn set(name: &str, value: &str, max_age: Option<i64>, same_site: &str, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    // Names and values are ours (hex tokens), so this cannot fail; fall back to deleting.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}
