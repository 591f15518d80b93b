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

/// The client's IP address: the peer, or the last `X-Forwarded-For` hop (with or without a port)
/// when configured to trust a proxy. Unformatted: tracked links hash its bytes on every click.
pub fn client_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    if state.web.trust_forwarded_for
        && let Some(forwarded) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
    {
        let last = forwarded.rsplit(',').next().map(str::trim).unwrap_or_default();
        return last.parse().ok().or_else(|| last.parse::<SocketAddr>().ok().map(|a| a.ip()));
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
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
