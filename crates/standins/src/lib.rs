//! Strict local stand-ins for the networks Chorus publishes to.
//!
//! The public networks are unreachable from tests, so each is stood in for by a small axum app on
//! a random loopback port that implements the network's documented request and response shapes
//! *strictly*: it refuses a wrong token, a missing field or an over-long text the way the network
//! would, and it records every request it received (with the status it answered) and every post it
//! holds, so a test can say "exactly one post arrived".
//!
//! Each stand-in can be told to misbehave: answer the next requests with scripted statuses (a 500,
//! a 429 with `Retry-After`), or answer slowly (a worker killed while a publish is in flight).
//! A slow stand-in stores the post *before* it waits: the network has it even if the caller
//! never hears back, which is exactly the case exactly-once publishing must survive.
//!
//! - [`mastodon`]: `POST /api/v1/statuses` with `Idempotency-Key`.
//! - [`webhook`]: a receiver that verifies Chorus's HMAC-SHA256 signature.

use std::sync::{Arc, Mutex, MutexGuard};

pub mod mastodon;
pub mod webhook;

/// Serves `router` on a random loopback port for as long as the test runtime lives; returns its
/// base URL (`http://127.0.0.1:port`).
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve a stand-in") });
    format!("http://{addr}")
}

/// State shared between a stand-in's handlers and the test that inspects it.
pub(crate) struct Shared<T>(Arc<Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(T::default())))
    }
}

impl<T> Shared<T> {
    /// A poisoned lock only means another handler panicked; the data is still what was recorded.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
