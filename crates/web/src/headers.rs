//! Security headers on every response.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// The content security policy, with the places forms may lead to.
macro_rules! csp {
    ($form_action:literal) => {
        concat!(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; base-uri 'self'; form-action ",
            $form_action,
            "; frame-ancestors 'none'"
        )
    };
}

const CSP: &str = csp!("'self'");

/// The share hub's forms answer with a redirect to a network's share page (any https host: a
/// Mastodon instance can be anywhere), and browsers hold redirects after a form to `form-action`.
const SHARE_HUB_CSP: &str = csp!("'self' https:");

/// "Sign in with SSO" answers its form with a redirect to the organization's identity provider:
/// any https host, or plain http on this machine (the only http issuers Chorus accepts).
const SSO_LOGIN_CSP: &str = csp!("'self' https: http://127.0.0.1:* http://localhost:*");

/// For the "Sign in with SSO" page: its form may lead to an identity provider.
pub async fn allow_sso_redirect(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(SSO_LOGIN_CSP));
    res
}

/// For the share hub's routes: its forms may lead to the networks' share pages.
pub async fn allow_share_intents(mut res: Response) -> Response {
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(SHARE_HUB_CSP));
    res
}

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    apply(&mut res);
    res
}

/// Adds the security headers a response does not set itself.
pub fn apply(res: &mut Response) {
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
}
