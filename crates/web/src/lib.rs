//! HTTP for Chorus: server-rendered pages (askama, auto-escaped, no JavaScript needed) and the
//! `/api/v1` JSON API (utoipa OpenAPI 3.1, problem+json errors). Handlers are thin: extract,
//! call one use case, render.

mod api;
mod chart;
mod cookies;
mod csrf;
mod error;
mod extract;
mod headers;
mod markdown;
mod metrics;
mod pages;
mod upload;

use axum::{Router, extract::DefaultBodyLimit, routing::get};
use chorus_app::App;
use std::sync::Arc;

pub use api::openapi;
pub use metrics::{install as install_metrics, metrics_router};

/// Options of the HTTP layer (the binary fills them from flags).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` whoever sends it (only behind a proxy you
    /// run that every request passes through); `trusted_proxies` is the precise form.
    pub trust_forwarded_for: bool,
    /// Proxies whose `X-Forwarded-For` is believed: requests from these networks get the
    /// rightmost hop that is not one of them as their client address; others are taken as is.
    pub trusted_proxies: Vec<Cidr>,
    /// Count requests for `/metrics` (set with `--metrics-bind`). Off, the counting layers are
    /// not in the stack at all: even idle they would cost every tracked-link redirect a few
    /// allocations.
    pub metrics: bool,
}

/// An IP network, `10.0.0.0/8` or `2001:db8::/32` (a bare address is the one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let mask =
            |bits: u32, prefix: u8| if prefix == 0 { 0 } else { u128::MAX << (bits - u32::from(prefix)) };
        match (self.net, ip.to_canonical()) {
            (V4(n), V4(a)) => {
                let m = mask(32, self.prefix);
                (u128::from(u32::from(n)) & m) == (u128::from(u32::from(a)) & m)
            }
            (V6(n), V6(a)) => {
                let m = mask(128, self.prefix);
                (u128::from(n) & m) == (u128::from(a) & m)
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: std::net::IpAddr =
            addr.parse().map_err(|_| format!("{s:?} is not an IP address or network (e.g. 10.0.0.0/8)"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { net: net.to_canonical(), prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
}

impl axum::extract::FromRef<AppState> for App {
    fn from_ref(s: &AppState) -> App {
        s.app.clone()
    }
}

/// The largest request body accepted anywhere except uploads.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The whole HTTP application.
pub fn router(app: App, web: WebConfig) -> Router {
    let measured = web.metrics;
    let state = AppState { app, web: Arc::new(web) };
    let api =
        if measured { api::routes().layer(axum::middleware::from_fn(metrics::tag)) } else { api::routes() };
    let router = Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api)
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::layer))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state.clone())
        // Tracked links are the hot path and public: outside the session, CSRF, header and trace
        // layers (a redirect sets no cookie; its error pages add their own headers). Its state is
        // one `Arc`, so a request clones one pointer rather than every part of the app.
        .merge(Router::new().route("/s/{code}", get(pages::follow_link)).with_state(Arc::new(state)));
    if measured {
        // Outermost, on every route and the fallback: request counts and latencies by route
        // template.
        router.layer(axum::middleware::from_fn(metrics::track))
    } else {
        router
    }
}

async fn health() -> &'static str {
    "ok"
}

async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, &'static str) {
    match state.app.store.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "Database not reachable");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
