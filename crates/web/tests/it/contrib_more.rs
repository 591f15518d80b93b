//! Link previews fetched by the background job, and the organization setting that turns the
//! department-lead stage off.

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "a long password";

/// A site with Open Graph tags on 127.0.0.1 (test servers may use loopback; the default policy
/// refuses it, which `crates/networks/tests/preview.rs` proves).
async fn site() -> String {
    let app = axum::Router::new().route(
        "/story",
        axum::routing::get(|| async {
            axum::response::Html(
                "<html><head><title>Fallback</title>\
                 <meta property=\"og:title\" content=\"Rangers &amp; the storm\">\
                 <meta property=\"og:description\" content=\"How the boardwalk held.\">\
                 <meta property=\"og:image\" content=\"/img/storm.jpg\"></head><body>…</body></html>",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_article_link_gets_its_preview_from_the_background_job() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "eve@acme.test", "employee", None, PASSWORD).await;
    let token = t.token(org, "eve@acme.test").await;
    let base = site().await;
    let api = reqwest::Client::new();
    let res = api
        .post(t.url("/api/v1/submissions"))
        .bearer_auth(&token)
        .json(&json!({"kind": "article", "title": "Storm story", "body": "Worth a read", "link": format!("{base}/story")}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.expect("json");
    assert!(created["preview"].is_null(), "fetched later, never inside the request");
    t.run_jobs().await;
    let id = created["id"].as_str().expect("id");
    let got: Value = api
        .get(t.url(&format!("/api/v1/submissions/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    let preview = &got["preview"];
    assert_eq!(preview["state"], "ready", "{got}");
    assert_eq!(preview["title"], "Rangers & the storm");
    assert_eq!(preview["description"], "How the boardwalk held.");
    assert_eq!(preview["image_url"], format!("{base}/img/storm.jpg"));
}

#[tokio::test]
async fn an_admin_can_turn_the_lead_stage_off() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", None, PASSWORD).await;
    t.person(org, "lee@acme.test", "lead", Some("Field Ops"), PASSWORD).await;
    t.person(org, "eve@acme.test", "employee", Some("Field Ops"), PASSWORD).await;
    let token = t.token(org, "eve@acme.test").await;
    let api = reqwest::Client::new();
    let submit = || async {
        let created: Value = api
            .post(t.url("/api/v1/submissions"))
            .bearer_auth(&token)
            .json(&json!({"kind": "idea", "title": "Trail day"}))
            .send()
            .await
            .expect("POST")
            .json()
            .await
            .expect("json");
        let id = created["id"].as_str().expect("id").to_owned();
        let res: Value = api
            .post(t.url(&format!("/api/v1/submissions/{id}/submit")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("submit")
            .json()
            .await
            .expect("json");
        res["status"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(submit().await, "lead_review", "on by default when the department has a lead");

    // An employee cannot change it; the admin can.
    let eve = t.sign_in("eve@acme.test", PASSWORD).await;
    let csrf = csrf_of(&eve.get(t.url("/guidelines")).send().await.expect("GET").text().await.expect("body"));
    let res = eve.post(t.url("/settings")).form(&[("csrf", csrf.as_str())]).send().await.expect("POST");
    assert_eq!(res.status(), 403);
    let ada = t.sign_in("ada@acme.test", PASSWORD).await;
    let page = ada.get(t.url("/guidelines")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("name=\"lead_review\""), "{page}");
    let csrf = csrf_of(&page);
    let res = ada.post(t.url("/settings")).form(&[("csrf", csrf.as_str())]).send().await.expect("POST");
    assert_eq!(res.status(), 303);
    assert_eq!(submit().await, "team_review", "straight to the social team once the stage is off");
}
