//! One organization never sees or changes another's data: other ids look exactly like unknown ones.

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

#[tokio::test]
async fn a_member_of_one_organization_cannot_read_or_change_another_by_any_id() {
    let t = TestApp::spawn().await;
    let (a, _) = t.org("Alpha").await;
    let (b, _) = t.org("Beta").await;
    t.person(a, "admin@alpha.test", "owner", Some("Alpha Sales"), "alpha password").await;
    let b_user = t.person(b, "admin@beta.test", "owner", Some("Beta Sales"), "beta password 1").await;
    let b_token_secret = t.token(b, "admin@beta.test").await;
    let b_dept = {
        let mut db = t.app.store.conn().await.expect("db");
        chorus_store::departments::get_by_name(&mut db, b, "Beta Sales").await.expect("get").expect("dept").id
    };
    let b_token_id = {
        let mut db = t.app.store.conn().await.expect("db");
        chorus_store::tokens::list(&mut db, b, b_user).await.expect("list")[0].id
    };
    let token = t.token(a, "admin@alpha.test").await;
    let api = reqwest::Client::new();

    let res =
        api.get(t.url(&format!("/api/v1/users/{b_user}"))).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), 404);
    let unknown: Value = api
        .get(t.url(&format!("/api/v1/users/{}", uuid::Uuid::now_v7())))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    let other: Value = res.json().await.expect("JSON");
    assert_eq!(unknown, other, "another organization's id must look exactly like an unknown id");
    let res = api
        .patch(t.url(&format!("/api/v1/users/{b_user}")))
        .bearer_auth(&token)
        .json(&json!({"status": "deactivated", "name": "Hacked"}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 404);

    let users: Value = api
        .get(t.url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(users["items"].as_array().expect("items").iter().all(|u| u["email"] != "admin@beta.test"));
    let depts: Value = api
        .get(t.url("/api/v1/departments"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(depts["items"].as_array().expect("items").iter().all(|d| d["name"] != "Beta Sales"));
    let filtered: Value = api
        .get(t.url(&format!("/api/v1/users?department_id={b_dept}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(filtered["items"].as_array().expect("items").is_empty());
    // A's token cannot invite into B's department.
    let res = api
        .post(t.url("/api/v1/users"))
        .bearer_auth(&token)
        .json(&json!({"email": "x@alpha.test", "name": "X", "department_id": b_dept}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);

    let browser = t.sign_in("admin@alpha.test", "alpha password").await;
    assert_eq!(browser.get(t.url(&format!("/people/{b_user}"))).send().await.expect("GET").status(), 404);
    let html = browser.get(t.url("/departments")).send().await.expect("GET").text().await.expect("body");
    assert!(!html.contains("Beta Sales"));
    let csrf = csrf_of(&html);
    let res = browser
        .post(t.url(&format!("/departments/{b_dept}/leads")))
        .form(&[("csrf", csrf.as_str()), ("user_id", &b_user.to_string()), ("lead", "false")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 404);
    let res = browser
        .post(t.url(&format!("/people/{b_user}/status")))
        .form(&[("csrf", csrf.as_str()), ("status", "deactivated")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 404);
    let res = browser
        .post(t.url(&format!("/account/tokens/{b_token_id}/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 404);
    let audit = browser.get(t.url("/audit")).send().await.expect("GET").text().await.expect("body");
    assert!(!audit.contains("admin@beta.test") && !audit.contains("Beta"));

    // B is untouched.
    let me: Value = api
        .get(t.url("/api/v1/me"))
        .bearer_auth(&b_token_secret)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["name"], "Person admin@beta.test");
    assert_eq!(me["department"]["name"], "Beta Sales");
}
