//! Extractors: who is calling, from where, and request bodies whose rejections become our errors.

use crate::{
    AppState, cookies,
    csrf::CsrfToken,
    error::{ApiError, PageError},
};
use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
    response::{IntoResponse, Redirect},
};
use chorus_app::{Error, Me};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The client's IP address. By default the TCP peer. Behind proxies listed in
/// `--trusted-proxies`, and only when the peer is one of them, the rightmost `X-Forwarded-For`
/// hop that is not itself a trusted proxy (each proxy appends the address it saw, so hops to the
/// left of the first untrusted one may be forged by the client). With `--trust-forwarded-for`
/// (any peer trusted), the last hop. Unformatted: tracked links hash its bytes on every click.
pub fn client_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    let peer =
        parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let forwarded = || {
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    forwarded_client(peer, &state.web, forwarded)
}

/// [`client_ip`] over its inputs: the peer, the configuration and the (joined) header.
fn forwarded_client(
    peer: Option<std::net::IpAddr>,
    web: &crate::WebConfig,
    forwarded: impl FnOnce() -> String,
) -> Option<std::net::IpAddr> {
    let hop = |h: &str| {
        let h = h.trim();
        h.parse::<std::net::IpAddr>()
            .ok()
            .or_else(|| h.parse::<SocketAddr>().ok().map(|a| a.ip()))
            .map(|ip| ip.to_canonical())
    };
    if !web.trusted_proxies.is_empty() {
        let trusted = |ip: &std::net::IpAddr| web.trusted_proxies.iter().any(|net| net.contains(*ip));
        if !peer.is_some_and(|p| trusted(&p)) {
            return peer;
        }
        let header = forwarded();
        let mut client = peer;
        for h in header.rsplit(',').filter(|h| !h.trim().is_empty()) {
            match hop(h) {
                Some(ip) if trusted(&ip) => client = Some(ip),
                Some(ip) => return Some(ip),
                None => return client, // a malformed hop: trust nothing further left
            }
        }
        return client;
    }
    if web.trust_forwarded_for {
        let header = forwarded();
        if let Some(last) = header.rsplit(',').map(str::trim).find(|h| !h.is_empty()) {
            return hop(last);
        }
    }
    peer
}

/// [`client_ip`] as text, for the use cases that record or rate-limit by it.
pub fn client_addr(parts: &Parts, state: &AppState) -> Option<String> {
    client_ip(parts, state).map(|ip| ip.to_string())
}

/// The client address, for use cases that record it.
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts, state)))
    }
}

/// The CSRF token to embed in forms.
pub struct Csrf(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Csrf {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Csrf(parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default()))
    }
}

/// A signed-in person on a page; anyone else is sent to the sign-in page.
pub struct PageUser {
    pub me: Me,
    pub csrf: String,
    pub session: String,
    /// The policy version this person has not acknowledged yet: every page shows a banner.
    pub policy_banner: Option<i64>,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || {
            let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let next = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
            PageError(Box::new(Redirect::to(&format!("/login?{next}")).into_response()))
        };
        let Some(session) = cookies::get(&parts.headers, cookies::SESSION).map(str::to_owned) else {
            return Err(to_login());
        };
        let addr = client_addr(parts, state);
        let me = chorus_app::sessions::resolve(&state.app, &session, addr).await?.ok_or_else(to_login)?;
        let csrf = parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()).unwrap_or_default();
        let policy_banner = chorus_app::policies::pending(&state.app, &me.caller).await?;
        Ok(PageUser { me, csrf, session, policy_banner })
    }
}

/// A caller of the API: `Authorization: Bearer <personal access token>`, or the browser's session.
pub struct ApiUser(pub Me);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let addr = client_addr(parts, state);
        let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let me = if let Some(value) = authorization {
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or(Error::Unauthenticated("use Authorization: Bearer <token>"))?;
            chorus_app::tokens::authenticate(&state.app, token.trim(), addr).await?
        } else if let Some(session) = cookies::get(&parts.headers, cookies::SESSION) {
            chorus_app::sessions::resolve(&state.app, session, addr).await?
        } else {
            None
        };
        me.map(ApiUser)
            .ok_or_else(|| Error::Unauthenticated("a valid personal access token is required").into())
    }
}

/// `Json<T>` whose rejections are problem+json.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

/// `Path<T>` where a malformed id answers 404 like an unknown one.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(ApiPath(v))
    }
}

/// `Query<T>` whose rejections are problem+json.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(v) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(v))
    }
}

/// `Form<T>` whose rejections are a readable page.
pub struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(v) = axum::Form::<T>::from_request(req, state).await?;
        Ok(PageForm(v))
    }
}

/// `Path<T>` for pages: malformed ids are "not found".
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(v) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(PagePath(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cidr, WebConfig};
    use std::net::IpAddr;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    fn behind(proxies: &[&str]) -> WebConfig {
        WebConfig {
            trusted_proxies: proxies.iter().map(|p| p.parse().expect("cidr")).collect(),
            ..WebConfig::default()
        }
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let web = behind(&["10.0.0.0/8", "::1/128"]);
        let proxy = ip("10.1.2.3");
        let client = |peer, h: &str| forwarded_client(peer, &web, || h.to_owned());
        assert_eq!(client(proxy, "203.0.113.7"), ip("203.0.113.7"));
        // A forged hop to the left of the real one is ignored; trusted hops to the right skipped.
        assert_eq!(client(proxy, "198.51.100.1, 203.0.113.7, 10.9.9.9"), ip("203.0.113.7"));
        assert_eq!(client(proxy, "[2001:db8::5]:4711"), ip("2001:db8::5"));
        // Anyone else's header is ignored.
        assert_eq!(client(ip("192.0.2.9"), "203.0.113.7"), ip("192.0.2.9"));
        // No header, or only proxies in it: the innermost proxy is the best we know.
        assert_eq!(client(proxy, ""), proxy);
        assert_eq!(client(proxy, "10.4.4.4"), ip("10.4.4.4"));
        // Garbage stops the walk.
        assert_eq!(client(proxy, "203.0.113.7, nonsense"), proxy);
        // An IPv4-mapped peer counts as its IPv4 address.
        assert_eq!(client(ip("::ffff:10.1.2.3"), "203.0.113.7"), ip("203.0.113.7"));
        // Off by default.
        let none = WebConfig::default();
        assert_eq!(forwarded_client(proxy, &none, || "203.0.113.7".into()), proxy);
        let any = WebConfig { trust_forwarded_for: true, ..WebConfig::default() };
        assert_eq!(forwarded_client(proxy, &any, || "1.1.1.1, 203.0.113.7".into()), ip("203.0.113.7"));
    }

    #[test]
    fn networks_parse_and_match() {
        let net: Cidr = "192.168.0.0/16".parse().expect("cidr");
        assert!(net.contains("192.168.44.1".parse().expect("ip")));
        assert!(!net.contains("192.169.0.1".parse().expect("ip")));
        let one: Cidr = "127.0.0.1".parse().expect("a bare address is /32");
        assert!(one.contains("127.0.0.1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.2".parse().expect("ip")));
        let v6: Cidr = "fd00::/8".parse().expect("cidr");
        assert!(v6.contains("fd12::1".parse().expect("ip")));
        assert!(!v6.contains("10.0.0.1".parse().expect("ip")));
        for bad in ["10.0.0.0/33", "fd00::/129", "nonsense", "10.0.0.0/", "/8"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }
}
