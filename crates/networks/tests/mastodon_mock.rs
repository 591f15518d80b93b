//! A contract check of the Mastodon connector against PyPI's `mastodon-mock` (a third-party
//! implementation of the Mastodon API, started by `.ci/run`, which sets
//! CHORUS_TEST_MASTODON_MOCK to its URL): connecting an account by app registration and OAuth,
//! posting with an image, and a repeat under the same `Idempotency-Key` returning the first
//! status. Our own stand-in is ours; this one was written by someone else from Mastodon's
//! documentation, so it catches what we might both have misread. Without it the test says so and
//! passes.

use std::time::Duration;

use base64::Engine as _;
use chorus_networks::publish::{
    Connector, Image, Outbound, http_client,
    mastodon::{self, Mastodon},
};

/// A real 1×1 PNG.
const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

#[tokio::test]
async fn the_mastodon_connector_keeps_the_contract_of_a_third_party_mastodon_mock() {
    let Ok(base) = std::env::var("CHORUS_TEST_MASTODON_MOCK") else {
        eprintln!("skipped: set CHORUS_TEST_MASTODON_MOCK (as .ci/run does) to check against mastodon-mock");
        return;
    };
    chorus_networks::preview::install_crypto_provider();
    let http = http_client(Duration::from_secs(10)).expect("client");
    let redirect_uri = "http://127.0.0.1:8080/channels/connect/mastodon/callback";

    let app = mastodon::register_app(&http, &base, redirect_uri).await.expect("register the app");
    assert!(!app.client_id.is_empty() && !app.client_secret.is_empty());

    // The mock's approval page is a form whose button posts the chosen account; a person would
    // press it. Its answer redirects back to us with the code and our state.
    let authorize = mastodon::authorize_url(&base, &app.client_id, redirect_uri, "state-123");
    let page = http.get(&authorize).send().await.expect("authorize page");
    assert!(page.status().is_success(), "{}", page.status());
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let approved = no_redirects
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("redirect_uri", redirect_uri),
            ("client_id", app.client_id.as_str()),
            ("scope", mastodon::SCOPES),
            ("state", "state-123"),
            ("username", "testuser"),
        ])
        .send()
        .await
        .expect("approve");
    let location = approved.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.starts_with(redirect_uri), "{location}");
    let query: Vec<(String, String)> = url::Url::parse(&location)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let code = query.iter().find(|(k, _)| k == "code").map(|(_, v)| v.clone()).expect("code");
    assert!(query.iter().any(|(k, v)| k == "state" && v == "state-123"), "the state comes back: {location}");

    let token = mastodon::exchange_code(&http, &base, &app, &code, redirect_uri).await.expect("token");
    let account = mastodon::verify_credentials(&http, &base, &token).await.expect("verify");
    assert_eq!(account.acct, "testuser");

    let connector = Mastodon::new(http.clone(), &base, &token);
    let post = Outbound {
        post_id: uuid::Uuid::now_v7(),
        text: "Contract check: a status with an image #chorus".into(),
        title: "Contract".into(),
        link: None,
        images: vec![Image {
            bytes: base64::engine::general_purpose::STANDARD.decode(PNG).expect("png"),
            mime: "image/png".into(),
            alt: "one pixel".into(),
        }],
    };
    let first = connector.publish(&post).await.expect("publish");
    let status: serde_json::Value = http
        .get(format!("{base}/api/v1/statuses/{}", first.id))
        .send()
        .await
        .expect("read back")
        .json()
        .await
        .expect("json");
    assert_eq!(status["media_attachments"].as_array().map(Vec::len), Some(1), "{status}");
    assert!(status["content"].as_str().is_some_and(|c| c.contains("Contract check")), "{status}");
    let again = connector.publish(&post).await.expect("repeat");
    assert_eq!(again.id, first.id, "a repeat under the same Idempotency-Key is the same status");

    let wrong = Mastodon::new(http, &base, "not-a-token");
    let refused = wrong.publish(&Outbound { post_id: uuid::Uuid::now_v7(), ..post }).await;
    assert!(matches!(refused, Err(chorus_networks::publish::PublishError::Unauthorized(_))), "{refused:?}");
}
