//! The social media policy (issue 6): versions, the banner until acknowledged, and the
//! acknowledgement report.

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

async fn post(t: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res =
        reqwest::Client::new().post(t.url(path)).bearer_auth(token).json(&body).send().await.expect("POST");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get(t: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new().get(t.url(path)).bearer_auth(token).send().await.expect("GET");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn home(t: &TestApp, browser: &reqwest::Client) -> String {
    browser.get(t.url("/")).send().await.expect("GET").text().await.expect("html")
}

#[tokio::test]
async fn a_new_version_shows_a_banner_until_each_person_acknowledges_it() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", Some("Marketing"), PASSWORD).await;
    t.person(org, "eve@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "bob@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "cy@acme.test", "social", Some("Marketing"), PASSWORD).await;
    let ada = t.token(org, "ada@acme.test").await;
    let eve_token = t.token(org, "eve@acme.test").await;
    let eve = t.sign_in("eve@acme.test", PASSWORD).await;
    let bob = t.sign_in("bob@acme.test", PASSWORD).await;
    assert!(!home(&t, &eve).await.contains("policy-banner"), "no policy, no banner");

    let v1 = json!({"title": "Our policy", "body": "Be kind.\n\n<script>alert(1)</script>",
        "donts": ["Don't leak <secrets>", "", "Don't argue with critics"]});
    let (s, p1) = post(&t, &ada, "/api/v1/policies", v1).await;
    assert_eq!(s, 201, "{p1}");
    assert_eq!((p1["version"].as_i64(), p1["donts"].as_array().map(Vec::len)), (Some(1), Some(2)));
    let p1_id = p1["id"].as_str().expect("id").to_owned();
    assert!(home(&t, &eve).await.contains("policy has a new version (v1)"));

    // Eve reads it (don'ts first, escaped; the Markdown's script removed) and acknowledges.
    let page = eve.get(t.url("/policy")).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("Don&#39;t leak &#60;secrets&#62;"), "don'ts are escaped");
    assert!(!page.contains("<script>alert(1)</script>"), "Markdown is cleaned");
    assert!(!page.contains("policy-banner"), "the policy page itself asks instead");
    let csrf = csrf_of(&page);
    let res = eve
        .post(t.url(&format!("/policy/{p1_id}/acknowledge")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    assert!(!home(&t, &eve).await.contains("policy-banner"), "acknowledged: the banner goes");
    assert!(home(&t, &bob).await.contains("policy-banner"), "Bob has not acknowledged yet");

    // Version 2: everyone is asked again, Eve included.
    let (s, p2) = post(
        &t,
        &ada,
        "/api/v1/policies",
        json!({"title": "Our policy", "body": "Be kind. Ask first.",
        "donts": ["Don't leak"], "summary": "Ask before posting photos"}),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(p2["version"], 2);
    let p2_id = p2["id"].as_str().expect("id").to_owned();
    assert!(home(&t, &eve).await.contains("policy has a new version (v2)"));
    // The old version can no longer be acknowledged; the new one can, once.
    let (s, body) =
        post(&t, &eve_token, &format!("/api/v1/policies/{p1_id}/acknowledgements"), json!({})).await;
    assert_eq!(s, 409, "{body}");
    let (s, first) =
        post(&t, &eve_token, &format!("/api/v1/policies/{p2_id}/acknowledgements"), json!({})).await;
    assert_eq!(s, 201);
    t.clock.advance(time::Duration::hours(1));
    let (_, again) =
        post(&t, &eve_token, &format!("/api/v1/policies/{p2_id}/acknowledgements"), json!({})).await;
    assert_eq!(first["acknowledged_at"], again["acknowledged_at"], "the first time stands");
    assert!(!home(&t, &eve).await.contains("policy-banner"));
    assert!(home(&t, &bob).await.contains("(v2)"));

    // The report: 1 of 4 acknowledged v2 (Eve, in Sales); v1 had Eve only too.
    let (s, report) = get(&t, &ada, &format!("/api/v1/policies/{p2_id}/acknowledgements")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (report["overall"]["answered"].as_i64(), report["overall"]["people"].as_i64()),
        (Some(1), Some(4))
    );
    let sales = report["by_department"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["group"] == "Sales")
        .expect("Sales")
        .clone();
    assert_eq!(
        (sales["answered"].as_i64(), sales["people"].as_i64(), sales["percent"].as_i64()),
        (Some(1), Some(2), Some(50))
    );
    let marketing = report["by_department"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["group"] == "Marketing")
        .expect("Marketing")
        .clone();
    assert_eq!(marketing["answered"], 0);
    let not_yet: Vec<&str> = report["not_yet"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(not_yet.len(), 3);
    assert!(!not_yet.iter().any(|n| n.contains("eve")));
    let (_, list) = get(&t, &eve_token, "/api/v1/policies").await;
    assert_eq!(list["items"][0]["current"], true);
    assert!(list["items"][0]["acknowledged_at"].is_string());
    assert_eq!(list["items"][1]["current"], false);

    // Only admins publish; employees do not see the report; bad input is a 422.
    assert_eq!(post(&t, &eve_token, "/api/v1/policies", json!({"title": "Mine", "body": "x"})).await.0, 403);
    assert_eq!(get(&t, &eve_token, &format!("/api/v1/policies/{p2_id}/acknowledgements")).await.0, 403);
    let (s, body) = post(&t, &ada, "/api/v1/policies", json!({"title": " ", "body": ""})).await;
    assert_eq!(s, 422, "{body}");
    // Another organization's version does not exist for us.
    let (other, _) = t.org("Other").await;
    t.person(other, "o@other.test", "admin", None, PASSWORD).await;
    let outsider = t.token(other, "o@other.test").await;
    assert_eq!(get(&t, &outsider, &format!("/api/v1/policies/{p2_id}")).await.0, 404);
    assert_eq!(
        post(&t, &outsider, &format!("/api/v1/policies/{p2_id}/acknowledgements"), json!({})).await.0,
        404
    );
    assert_eq!(get(&t, &outsider, &format!("/api/v1/policies/{p2_id}/acknowledgements")).await.0, 404);
}
