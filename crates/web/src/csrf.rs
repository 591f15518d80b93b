//! CSRF protection for every state-changing form, checked in one place so no handler can forget.
//!
//! Double-submit: a random `chorus_csrf` cookie (HttpOnly, SameSite=Strict) must be echoed in
//! the form's hidden `csrf` field (or `?csrf=` for multipart uploads, or the `X-CSRF-Token`
//! header for script calls that use the session cookie). Stateless, so it works across any
//! number of instances. A cross-site `Origin` is refused outright.

use crate::{AppState, BODY_LIMIT, cookies, pages::error_page};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The CSRF token of this request, for templates.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn constant_time_eq(a: &str, b: &str) -> bool {
    chorus_app::security::constant_time_eq(a.as_bytes(), b.as_bytes())
}

fn refuse() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "For your safety the form could not be accepted. Go back, reload the page and try again.",
    )
}

fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true; // older browsers and non-browser clients send none; the token still applies
    };
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cookie = cookies::get(req.headers(), cookies::CSRF).map(str::to_owned);
    let (token, fresh) = match cookie.clone() {
        Some(t) => (t, false),
        None => (chorus_app::security::random_token(), true),
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method {
        match check(req, cookie.as_deref()).await {
            Ok(checked) => req = checked,
            Err(res) => return res,
        }
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let c = cookies::set(cookies::CSRF, &token, None, "Strict", state.web.secure_cookies);
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Passes the request on when its token matches the cookie; otherwise the refusal.
async fn check(req: Request, cookie: Option<&str>) -> Result<Request, Response> {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        // Bearer tokens are not sent by browsers on their own: no CSRF risk.
        let bearer = req.headers().contains_key(header::AUTHORIZATION);
        let session = cookies::get(req.headers(), cookies::SESSION).is_some();
        if bearer || !session {
            return Ok(req);
        }
        let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok());
        return match (sent, cookie) {
            (Some(s), Some(c)) if constant_time_eq(s, c) => Ok(req),
            _ => Err(crate::error::ApiError::from(chorus_app::Error::Forbidden(chorus_domain::Denied(
                "a session-authenticated API call must send the X-CSRF-Token header",
            )))
            .into_response()),
        };
    }
    if path.starts_with("/unsubscribe/") {
        // RFC 8058 one-click unsubscribe: mail providers POST from their servers, without our
        // cookie. The signed link is the credential, and all it can do is turn e-mail off.
        return Ok(req);
    }
    if !same_origin(&req) {
        return Err(refuse());
    }
    let Some(cookie) = cookie else {
        return Err(refuse());
    };
    let in_query = req
        .uri()
        .query()
        .and_then(|q| form_urlencoded_field(q.as_bytes(), "csrf"))
        .is_some_and(|t| constant_time_eq(&t, cookie));
    if in_query {
        return Ok(req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(refuse());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much data",
            "The form sent more data than Chorus accepts.",
        )
    })?;
    match form_urlencoded_field(&bytes, "csrf") {
        Some(t) if constant_time_eq(&t, cookie) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(refuse()),
    }
}

fn form_urlencoded_field(data: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(data)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_csrf_field_from_a_form_body() {
        assert_eq!(form_urlencoded_field(b"a=1&csrf=abc%20d+e&b=2", "csrf").as_deref(), Some("abc d e"));
        assert_eq!(form_urlencoded_field(b"a=1", "csrf"), None);
    }

    #[test]
    fn compares_in_constant_time_and_exactly() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
