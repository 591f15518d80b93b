use chorus_testkit::TestApp;
use serde_json::{Value, json};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("JSON body")
}

fn assert_problem(res: &reqwest::Response, status: u16) {
    assert_eq!(res.status(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn me_describes_the_caller() {
    let t = TestApp::spawn().await;
    let (org, slug) = t.org("Acme").await;
    t.person(org, "lee@acme.test", "lead", Some("Sales"), "lee password 12").await;
    let token = t.token(org, "lee@acme.test").await;
    let res = reqwest::Client::new().get(t.url("/api/v1/me")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    let me = json_of(res).await;
    assert_eq!(me["email"], "lee@acme.test");
    assert_eq!(me["role"], "lead");
    assert_eq!(me["department"]["name"], "Sales");
    assert_eq!(me["leads"][0], me["department"]["id"]);
    assert_eq!(me["organization"]["slug"], slug);
}

#[tokio::test]
async fn missing_wrong_and_revoked_tokens_are_401_problems() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ann@acme.test", "employee", None, "ann password 12").await;
    let api = reqwest::Client::new();
    let res = api.get(t.url("/api/v1/me")).send().await.expect("GET");
    assert_problem(&res, 401);
    assert_eq!(json_of(res).await["code"], "unauthenticated");
    let res = api.get(t.url("/api/v1/me")).bearer_auth("chorus_pat_0000").send().await.expect("GET");
    assert_problem(&res, 401);

    let caller = {
        let me = chorus_app::Me::load(
            &t.app,
            org,
            {
                let mut db = t.app.store.conn().await.expect("db");
                chorus_store::users::get_by_email(&mut db, org, "ann@acme.test")
                    .await
                    .expect("get")
                    .expect("ann")
                    .id
            },
            None,
        )
        .await
        .expect("load")
        .expect("active");
        me.caller
    };
    let created = chorus_app::tokens::create(&t.app, &caller, "script").await.expect("token");
    assert_eq!(
        api.get(t.url("/api/v1/me")).bearer_auth(&created.secret).send().await.expect("GET").status(),
        200
    );
    // The stamp is written behind the request, within moments.
    let mut listed = chorus_app::tokens::list(&t.app, &caller).await.expect("list");
    for _ in 0..100 {
        if listed[0].last_used_at.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        listed = chorus_app::tokens::list(&t.app, &caller).await.expect("list");
    }
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");
    assert!(!listed[0].prefix.is_empty() && !created.secret.starts_with(&format!("{}x", listed[0].prefix)));
    chorus_app::tokens::revoke(&t.app, &caller, created.token.id).await.expect("revoke");
    assert_problem(
        &api.get(t.url("/api/v1/me")).bearer_auth(&created.secret).send().await.expect("GET"),
        401,
    );
}

#[tokio::test]
async fn users_are_listed_with_cursor_pagination() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, "admin password 1").await;
    let token = t.token(org, "admin@acme.test").await;
    let api = reqwest::Client::new();
    for i in 0..5 {
        let res = api
            .post(t.url("/api/v1/users"))
            .bearer_auth(&token)
            .json(&json!({"email": format!("p{i}@acme.test"), "name": format!("Person {i}"), "seniority": 2}))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 201);
        let body = json_of(res).await;
        assert_eq!(body["status"], "invited");
        assert_eq!(body["role"], "employee");
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = api.get(t.url("/api/v1/users")).bearer_auth(&token).query(&[("limit", "2")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c.as_str())]);
        }
        let page = json_of(req.send().await.expect("GET")).await;
        let items = page["items"].as_array().expect("items").clone();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|u| u["email"].as_str().expect("email").to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    let res = api.get(t.url("/api/v1/users?cursor=garbage")).bearer_auth(&token).send().await.expect("GET");
    assert_problem(&res, 422);
}

#[tokio::test]
async fn bad_input_gets_precise_problems_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, "admin password 1").await;
    let token = t.token(org, "admin@acme.test").await;
    let api = reqwest::Client::new();
    let post = |body: String| {
        api.post(t.url("/api/v1/users"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = post("{not json".into()).await.expect("POST");
    assert_problem(&res, 400);
    let res = post(json!({"email": "x@acme.test", "name": 42}).to_string()).await.expect("POST");
    assert_problem(&res, 422);
    let res = post(json!({"name": "No Email"}).to_string()).await.expect("POST");
    assert_problem(&res, 422);
    let res = post(json!({"email": "bad", "name": "", "seniority": 7}).to_string()).await.expect("POST");
    assert_problem(&res, 422);
    let problem = json_of(res).await;
    let fields: Vec<_> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect();
    assert_eq!(fields, ["email", "name", "seniority"]);
    let res = post(format!("{{\"email\": \"big@acme.test\", \"name\": \"{}\"}}", "x".repeat(300_000)))
        .await
        .expect("POST");
    assert_problem(&res, 413);
    let res = api.post(t.url("/api/v1/users")).bearer_auth(&token).body("{}").send().await.expect("POST");
    assert_problem(&res, 415);
    let res = post(json!({"email": "admin@ACME.test", "name": "Dup"}).to_string()).await.expect("POST");
    assert_problem(&res, 409);
    let res = api
        .get(t.url(&format!("/api/v1/users/{}", uuid::Uuid::now_v7())))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_problem(&res, 404);
    let res = api.get(t.url("/api/v1/users/not-a-uuid")).bearer_auth(&token).send().await.expect("GET");
    assert_problem(&res, 404);
    let res = api.get(t.url("/api/v1/nothing-here")).bearer_auth(&token).send().await.expect("GET");
    assert_problem(&res, 404);
    // Only the admin exists: nothing above wrote anything.
    let list: Value = api
        .get(t.url("/api/v1/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
}

#[tokio::test]
async fn departments_are_created_and_listed_and_duplicates_conflict() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, "admin password 1").await;
    let token = t.token(org, "admin@acme.test").await;
    let api = reqwest::Client::new();
    let res = api
        .post(t.url("/api/v1/departments"))
        .bearer_auth(&token)
        .json(&json!({"name": "Engineering"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 201);
    let dept = json_of(res).await;
    let res = api
        .post(t.url("/api/v1/departments"))
        .bearer_auth(&token)
        .json(&json!({"name": " engineering "}))
        .send()
        .await
        .expect("POST");
    assert_problem(&res, 409);
    let list =
        json_of(api.get(t.url("/api/v1/departments")).bearer_auth(&token).send().await.expect("GET")).await;
    assert_eq!(list["items"][0]["id"], dept["id"]);
    assert_eq!(list["next_cursor"], Value::Null);
}

#[tokio::test]
async fn patch_changes_only_the_given_fields() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", Some("Sales"), "admin password 1").await;
    let ivy = t.person(org, "ivy@acme.test", "employee", Some("Sales"), "ivy password 12").await;
    let token = t.token(org, "admin@acme.test").await;
    let api = reqwest::Client::new();
    let url = t.url(&format!("/api/v1/users/{ivy}"));
    let res = api
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"title": "Writer", "seniority": 3}))
        .send()
        .await
        .expect("PATCH");
    assert_eq!(res.status(), 200);
    let user = json_of(res).await;
    assert_eq!(
        (user["title"].as_str(), user["seniority"].as_i64(), user["department"].as_str()),
        (Some("Writer"), Some(3), Some("Sales"))
    );
    let res = api
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"department_id": null}))
        .send()
        .await
        .expect("PATCH");
    let user = json_of(res).await;
    assert_eq!(user["department_id"], Value::Null);
    assert_eq!(user["title"], "Writer");
    let res =
        api.patch(&url).bearer_auth(&token).json(&json!({"role": "emperor"})).send().await.expect("PATCH");
    assert_problem(&res, 422);
    let res = api
        .patch(&url)
        .bearer_auth(&token)
        .json(&json!({"favourite_colour": "blue"}))
        .send()
        .await
        .expect("PATCH");
    assert_problem(&res, 422);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_every_endpoint() {
    let t = TestApp::spawn().await;
    let doc = json_of(reqwest::get(t.url("/api/v1/openapi.json")).await.expect("GET")).await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in ["/me", "/departments", "/users", "/users/{id}"] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["paths"]["/users/{id}"].get("patch").is_some());
    assert!(doc["components"]["schemas"].get("Problem").is_some());
    // Every family of SPEC §6's contract is documented (outside tools generate clients from it).
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    for family in [
        "/media",
        "/submissions",
        "/review-queue",
        "/library",
        "/guidelines/check",
        "/channels",
        "/posts",
        "/calendar.ics",
        "/shares",
        "/analytics/summary",
        "/surveys",
        "/courses",
        "/mentoring",
        "/policies",
        "/readiness",
        "/shoutouts",
        "/points",
        "/leaderboard",
        "/rewards",
        "/announcements",
        "/notifications",
        "/feeds",
        "/curation",
        "/events",
    ] {
        assert!(paths.iter().any(|p| p.starts_with(family)), "{family} is not in the OpenAPI document");
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let t = TestApp::spawn().await;
    assert_eq!(reqwest::get(t.url("/healthz")).await.expect("GET").status(), 200);
    assert_eq!(reqwest::get(t.url("/readyz")).await.expect("GET").status(), 200);
}
