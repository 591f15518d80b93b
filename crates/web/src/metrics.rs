//! Prometheus metrics: the `metrics` facade records, `metrics-exporter-prometheus` renders its
//! registry in an axum handler. `/metrics` is never on the public router: the binary serves
//! [`metrics_router`] on its own listener (`--metrics-bind`, loopback by default in the docs).
//!
//! Labels are bounded: requests are labelled by route *template* (axum's `MatchedPath`,
//! e.g. `/s/{code}`), method (the standard ones, else `OTHER`) and status class (`2xx`…), never
//! by raw path, id, code or organization.

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use chorus_app::App;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::{
    collections::BTreeSet,
    sync::{Mutex, OnceLock},
    time::Instant,
};

pub const HTTP_REQUESTS: &str = "chorus_http_requests_total";
pub const HTTP_DURATION: &str = "chorus_http_request_duration_seconds";
pub const JOBS_READY: &str = "chorus_jobs_ready";
pub const JOBS_OLDEST_AGE: &str = "chorus_jobs_oldest_ready_age_seconds";
/// The route label of a request no route matched (unknown paths answer 404 from the fallback).
pub const UNMATCHED: &str = "unmatched";

/// Seconds: from a cached redirect (well under a millisecond) to a slow upload.
const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Clicks per batch: the writer takes at most 1,000 at once.
const BATCH_BUCKETS: [f64; 11] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// Job kinds seen waiting before: reported as 0 once their queue is empty (a gauge that simply
/// disappeared would keep its last value in Prometheus for a while).
static SEEN_KINDS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Installs the process-wide recorder once and returns its handle. Before this is called every
/// `metrics::` call is a no-op; a server without `--metrics-bind` also leaves the request-counting
/// layers out of its router (`WebConfig::metrics`).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(chorus_app::amplify::CLICK_BATCH_METRIC.to_owned()),
                        &BATCH_BUCKETS,
                    )
                });
            let builder = match builder {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "Metric buckets refused; histograms become summaries");
                    PrometheusBuilder::new()
                }
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if let Err(e) = metrics::set_global_recorder(recorder) {
                tracing::warn!(error = %e, "Another metrics recorder is installed; /metrics stays empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use chorus_app::{amplify, publishing};
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests by method, route template and status class");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency by method, route template and status class"
    );
    metrics::describe_gauge!(JOBS_READY, "Due jobs waiting for a worker, by kind");
    metrics::describe_gauge!(
        JOBS_OLDEST_AGE,
        metrics::Unit::Seconds,
        "How long the longest-waiting due job of each kind has waited"
    );
    metrics::describe_counter!(
        publishing::PUBLISH_OUTCOME_METRIC,
        "Publish attempts by outcome: published, failed, unconfirmed, retried"
    );
    metrics::describe_histogram!(amplify::CLICK_BATCH_METRIC, "Tracked-link clicks written per batch");
    metrics::describe_counter!(amplify::CLICKS_LOST_METRIC, "Clicks dropped after every write retry failed");
    // Outcomes exist from the first scrape, at 0, so a rate() over them is defined.
    for outcome in ["published", "failed", "unconfirmed", "retried"] {
        metrics::counter!(publishing::PUBLISH_OUTCOME_METRIC, "outcome" => outcome).increment(0);
    }
    metrics::counter!(amplify::CLICKS_LOST_METRIC).increment(0);
}

/// The router serving `GET /metrics` (Prometheus text format), for a listener of its own.
pub fn metrics_router(app: App) -> Router {
    install();
    Router::new().route("/metrics", get(render)).with_state(app)
}

async fn render(State(app): State<App>) -> Response {
    let handle = install();
    match chorus_app::operations::ready_jobs(&app).await {
        Ok(ready) => {
            let now = app.clock.now();
            let mut seen = SEEN_KINDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for kind in seen.iter() {
                if !ready.iter().any(|r| &r.kind == kind) {
                    metrics::gauge!(JOBS_READY, "kind" => kind.clone()).set(0.0);
                    metrics::gauge!(JOBS_OLDEST_AGE, "kind" => kind.clone()).set(0.0);
                }
            }
            for r in ready {
                let age = (now - r.oldest_run_at).as_seconds_f64().max(0.0);
                // i64 → f64: a queue of more than 2^53 jobs is not a concern.
                #[allow(clippy::cast_precision_loss)]
                metrics::gauge!(JOBS_READY, "kind" => r.kind.clone()).set(r.ready as f64);
                metrics::gauge!(JOBS_OLDEST_AGE, "kind" => r.kind.clone()).set(age);
                seen.insert(r.kind);
            }
        }
        // The rest of the registry is still worth reading; the gauges keep their last value.
        Err(e) => tracing::warn!(error = %e, "Could not sample the job queue for /metrics"),
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render())
        .into_response()
}

/// Marks a response with the route template that answered it, for [`track`] further out
/// (a nested router's own template is only known inside it).
pub async fn tag(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(matched) = matched
        && res.extensions().get::<MatchedPath>().is_none()
    {
        res.extensions_mut().insert(matched);
    }
    res
}

/// Counts the request and records its latency by method, route template and status class.
pub async fn track(req: Request, next: Next) -> Response {
    if HANDLE.get().is_none() {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = method_label(req.method());
    let outer = req.extensions().get::<MatchedPath>().cloned();
    let res = next.run(req).await;
    let route = res
        .extensions()
        .get::<MatchedPath>()
        .or(outer.as_ref())
        .map_or_else(|| UNMATCHED.to_owned(), |m| m.as_str().to_owned());
    let status = status_class(res.status());
    let labels = [("method", method.to_owned()), ("route", route), ("status", status.to_owned())];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    res
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn status_class(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::from_bytes(b"BREW").expect("method")), "OTHER");
        assert_eq!(status_class(StatusCode::IM_A_TEAPOT), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
        assert_eq!(status_class(StatusCode::FOUND), "3xx");
    }
}
