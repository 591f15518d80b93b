//! Reverse mentoring (issue 6) over HTTP: opting in, the optimal proposal, confirming (with the
//! checks again), sessions and feedback.

use chorus_testkit::TestApp;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

async fn call(
    t: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn people_opt_in_admins_confirm_the_optimal_pairs_and_pairs_log_sessions() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", None, PASSWORD).await;
    let admin = t.token(org, "ada@acme.test").await;
    // (email, department, seniority, role, skill, capacity)
    let people = [
        ("m1@acme.test", "Sales", 5, "mentee", 1, 1),
        ("m2@acme.test", "Sales", 4, "mentee", 2, 1),
        ("m3@acme.test", "Engineering", 5, "mentee", 1, 1),
        ("t1@acme.test", "Engineering", 1, "mentor", 5, 1),
        ("t2@acme.test", "Sales", 2, "mentor", 3, 2),
    ];
    let mut tokens = std::collections::HashMap::new();
    let mut ids = std::collections::HashMap::new();
    for (email, dept, seniority, _, _, _) in people {
        let id = t.person(org, email, "employee", Some(dept), PASSWORD).await;
        let (s, _) = call(
            &t,
            reqwest::Method::PATCH,
            &admin,
            &format!("/api/v1/users/{id}"),
            Some(json!({"seniority": seniority})),
        )
        .await;
        assert_eq!(s, 200);
        tokens.insert(email, t.token(org, email).await);
        ids.insert(email, id.to_string());
    }
    // A junior cannot sign up as a mentee; the reason says why.
    let (s, body) = call(
        &t,
        reqwest::Method::PUT,
        &tokens["t1@acme.test"],
        "/api/v1/mentoring/profile",
        Some(json!({"role": "mentee", "skill": 2})),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.to_string().contains("seniority 4"), "{body}");
    for (email, _, _, role, skill, capacity) in people {
        let body = if email == "t1@acme.test" {
            // Measured by the quiz instead of self-rated: all five right is skill 5.
            json!({"role": role, "quiz": [1, 1, 1, 1, 1], "capacity": capacity})
        } else {
            json!({"role": role, "skill": skill, "capacity": capacity, "goals": "LinkedIn"})
        };
        let (s, p) =
            call(&t, reqwest::Method::PUT, &tokens[email], "/api/v1/mentoring/profile", Some(body)).await;
        assert_eq!(s, 200, "{email}: {p}");
        assert_eq!(p["skill"], skill);
    }
    let (s, bad) = call(
        &t,
        reqwest::Method::PUT,
        &tokens["m1@acme.test"],
        "/api/v1/mentoring/profile",
        Some(json!({"role": "mentee", "skill": 9})),
    )
    .await;
    assert_eq!(s, 422, "{bad}");

    // The proposal: the best total skill gain (7), and among those the most cross-department
    // pairs (2); nobody left out.
    let (s, employee_view) =
        call(&t, reqwest::Method::GET, &tokens["m1@acme.test"], "/api/v1/mentoring/proposal", None).await;
    assert_eq!(s, 403, "{employee_view}");
    let (s, proposal) = call(&t, reqwest::Method::GET, &admin, "/api/v1/mentoring/proposal", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        (proposal["total_gain"].as_i64(), proposal["cross_department"].as_i64()),
        (Some(7), Some(2)),
        "{proposal}"
    );
    assert_eq!(proposal["pairs"].as_array().map(Vec::len), Some(3));
    assert!(proposal["unmatched"].as_array().is_some_and(Vec::is_empty));

    // An adjustment that breaks a rule is refused as a whole, naming the problem.
    let over = json!({"pairs": [
        {"mentee_id": ids["m1@acme.test"], "mentor_id": ids["t2@acme.test"]},
        {"mentee_id": ids["m2@acme.test"], "mentor_id": ids["t2@acme.test"]},
        {"mentee_id": ids["m3@acme.test"], "mentor_id": ids["t2@acme.test"]}]});
    let (s, body) = call(&t, reqwest::Method::POST, &admin, "/api/v1/mentoring/pairs", Some(over)).await;
    assert_eq!(s, 409, "{body}");
    assert!(
        body["detail"].as_str().unwrap_or_default().contains("Person t2@acme.test"),
        "names, not ids: {body}"
    );
    let backwards = json!({"pairs": [{"mentee_id": ids["t2@acme.test"], "mentor_id": ids["m1@acme.test"]}]});
    assert_eq!(
        call(&t, reqwest::Method::POST, &admin, "/api/v1/mentoring/pairs", Some(backwards)).await.0,
        409
    );
    let (_, pairs) = call(&t, reqwest::Method::GET, &admin, "/api/v1/mentoring/pairs", None).await;
    assert!(pairs["items"].as_array().is_some_and(Vec::is_empty), "nothing half-confirmed");

    let confirm: Vec<Value> = proposal["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| json!({"mentee_id": p["mentee_id"], "mentor_id": p["mentor_id"]}))
        .collect();
    let (s, confirmed) =
        call(&t, reqwest::Method::POST, &admin, "/api/v1/mentoring/pairs", Some(json!({"pairs": confirm})))
            .await;
    assert_eq!(s, 201, "{confirmed}");
    assert_eq!(confirmed["items"].as_array().map(Vec::len), Some(3));
    let (_, again) = call(&t, reqwest::Method::GET, &admin, "/api/v1/mentoring/proposal", None).await;
    assert!(
        again["pairs"].as_array().is_some_and(Vec::is_empty),
        "paired people are not proposed again: {again}"
    );

    // The pair logs a session and says how it goes; others cannot.
    let pair = confirmed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["mentee_id"] == json!(ids["m1@acme.test"]))
        .expect("m1's pair")
        .clone();
    let pid = pair["id"].as_str().expect("id");
    let today = t.app.now().date().to_string();
    let (s, body) = call(
        &t,
        reqwest::Method::POST,
        &tokens["m1@acme.test"],
        &format!("/api/v1/mentoring/pairs/{pid}/sessions"),
        Some(json!({"held_on": today, "minutes": 45, "notes": "Set up a LinkedIn profile"})),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let (s, _) = call(
        &t,
        reqwest::Method::POST,
        &tokens["m1@acme.test"],
        &format!("/api/v1/mentoring/pairs/{pid}/sessions"),
        Some(json!({"held_on": "2999-01-01", "minutes": 45})),
    )
    .await;
    assert_eq!(s, 422, "no sessions in the future");
    let (s, _) = call(
        &t,
        reqwest::Method::POST,
        &tokens["m2@acme.test"],
        &format!("/api/v1/mentoring/pairs/{pid}/sessions"),
        Some(json!({"held_on": today, "minutes": 45})),
    )
    .await;
    assert_eq!(s, 404, "another pair's member");
    let mentor = pair["mentor_id"].as_str().expect("mentor");
    let mentor_token =
        tokens.iter().find(|(e, _)| ids[**e] == mentor).map(|(_, tk)| tk.clone()).expect("mentor token");
    assert_eq!(
        call(
            &t,
            reqwest::Method::POST,
            &mentor_token,
            &format!("/api/v1/mentoring/pairs/{pid}/feedback"),
            Some(json!({"rating": 9}))
        )
        .await
        .0,
        422
    );
    assert_eq!(
        call(
            &t,
            reqwest::Method::POST,
            &mentor_token,
            &format!("/api/v1/mentoring/pairs/{pid}/feedback"),
            Some(json!({"rating": 5, "comment": "Quick learner"}))
        )
        .await
        .0,
        201
    );
    let (_, all) = call(&t, reqwest::Method::GET, &admin, "/api/v1/mentoring/pairs", None).await;
    let row =
        all["items"].as_array().expect("items").iter().find(|p| p["id"] == json!(pid)).expect("pair").clone();
    assert_eq!(
        (row["sessions"].as_i64(), row["minutes"].as_i64(), row["rating"].as_f64()),
        (Some(1), Some(45), Some(5.0))
    );
    let (_, mine) =
        call(&t, reqwest::Method::GET, &tokens["m2@acme.test"], "/api/v1/mentoring/pairs", None).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1), "employees see their own pairs only");

    // Another organization cannot touch the pair.
    let (other, _) = t.org("Other").await;
    t.person(other, "o@other.test", "admin", None, PASSWORD).await;
    let outsider = t.token(other, "o@other.test").await;
    assert_eq!(
        call(&t, reqwest::Method::POST, &outsider, &format!("/api/v1/mentoring/pairs/{pid}/end"), None)
            .await
            .0,
        404
    );
    // The admin ends it; it cannot end twice, and ended pairs log nothing.
    assert_eq!(
        call(&t, reqwest::Method::POST, &admin, &format!("/api/v1/mentoring/pairs/{pid}/end"), None).await.0,
        200
    );
    assert_eq!(
        call(&t, reqwest::Method::POST, &admin, &format!("/api/v1/mentoring/pairs/{pid}/end"), None).await.0,
        409
    );
    assert_eq!(
        call(
            &t,
            reqwest::Method::POST,
            &tokens["m1@acme.test"],
            &format!("/api/v1/mentoring/pairs/{pid}/sessions"),
            Some(json!({"held_on": today, "minutes": 30}))
        )
        .await
        .0,
        409
    );

    // The page lists the pair for its member and the proposal form for the admin.
    let browser = t.sign_in("m1@acme.test", PASSWORD).await;
    let html = browser.get(t.url("/mentoring")).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("Set up a LinkedIn profile") && html.contains("Quick learner"), "{html}");
}
