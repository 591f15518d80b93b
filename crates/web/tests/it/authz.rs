//! Every role against every endpoint so far: who may, who may not.

use chorus_testkit::TestApp;
use serde_json::json;

const ROLES: [&str; 5] = ["owner", "admin", "social", "lead", "employee"];

#[tokio::test]
async fn authorization_matrix_every_role_by_every_endpoint() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let target = t.person(org, "target@acme.test", "employee", Some("Sales"), "target password").await;
    let api = reqwest::Client::new();
    for (n, role) in ROLES.into_iter().enumerate() {
        let email = format!("{role}@acme.test");
        let me = t.person(org, &email, role, Some("Sales"), "a long password").await;
        let token = t.token(org, &email).await;
        let admin = matches!(role, "owner" | "admin");
        let status = |res: reqwest::Response| res.status().as_u16();
        let expect = |allowed: bool, ok: u16| if allowed { ok } else { 403 };

        let cases: Vec<(&str, u16, u16)> = vec![
            (
                "GET /api/v1/me",
                status(api.get(t.url("/api/v1/me")).bearer_auth(&token).send().await.expect("req")),
                200,
            ),
            (
                "GET /api/v1/departments",
                status(api.get(t.url("/api/v1/departments")).bearer_auth(&token).send().await.expect("req")),
                200,
            ),
            (
                "POST /api/v1/departments",
                status(
                    api.post(t.url("/api/v1/departments"))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Dept {n}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin, 201),
            ),
            (
                "GET /api/v1/users",
                status(api.get(t.url("/api/v1/users")).bearer_auth(&token).send().await.expect("req")),
                200,
            ),
            (
                "POST /api/v1/users",
                status(
                    api.post(t.url("/api/v1/users"))
                        .bearer_auth(&token)
                        .json(&json!({"email": format!("new{n}@acme.test"), "name": "New"}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin, 201),
            ),
            (
                "POST /api/v1/users (as owner)",
                status(
                    api.post(t.url("/api/v1/users"))
                        .bearer_auth(&token)
                        .json(&json!({"email": format!("own{n}@acme.test"), "name": "Own", "role": "owner"}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(role == "owner", 201),
            ),
            (
                "GET /api/v1/users/{id}",
                status(
                    api.get(t.url(&format!("/api/v1/users/{target}")))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("req"),
                ),
                200,
            ),
            (
                "PATCH /api/v1/users/{other} title",
                status(
                    api.patch(t.url(&format!("/api/v1/users/{target}")))
                        .bearer_auth(&token)
                        .json(&json!({"title": format!("T{n}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin, 200),
            ),
            (
                "PATCH /api/v1/users/{other} role",
                status(
                    api.patch(t.url(&format!("/api/v1/users/{target}")))
                        .bearer_auth(&token)
                        .json(&json!({"role": if n % 2 == 0 { "social" } else { "employee" }}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin, 200),
            ),
            (
                "PATCH /api/v1/users/{me} name",
                status(
                    api.patch(t.url(&format!("/api/v1/users/{me}")))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Renamed {role}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                200,
            ),
            (
                "PATCH /api/v1/users/{me} department",
                status(
                    api.patch(t.url(&format!("/api/v1/users/{me}")))
                        .bearer_auth(&token)
                        .json(&json!({"department_id": null}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin, 200),
            ),
            (
                "PATCH /api/v1/users/{me} role",
                status(
                    api.patch(t.url(&format!("/api/v1/users/{me}")))
                        .bearer_auth(&token)
                        .json(&json!({"role": "owner"}))
                        .send()
                        .await
                        .expect("req"),
                ),
                403, // nobody changes their own role
            ),
            (
                "GET /api/v1/review-queue",
                status(api.get(t.url("/api/v1/review-queue")).bearer_auth(&token).send().await.expect("req")),
                200, // everyone may ask; it lists only what waits for them
            ),
            (
                "GET /api/v1/library",
                status(api.get(t.url("/api/v1/library")).bearer_auth(&token).send().await.expect("req")),
                200,
            ),
            (
                "POST /api/v1/submissions",
                status(
                    api.post(t.url("/api/v1/submissions"))
                        .bearer_auth(&token)
                        .json(&json!({"kind": "idea", "title": format!("Idea {n}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                201, // everyone contributes
            ),
            (
                "POST /api/v1/guidelines/check",
                status(
                    api.post(t.url("/api/v1/guidelines/check"))
                        .bearer_auth(&token)
                        .json(&json!({"text": "Hello", "networks": ["x"]}))
                        .send()
                        .await
                        .expect("req"),
                ),
                200,
            ),
            (
                "POST /api/v1/guidelines/rules",
                status(
                    api.post(t.url("/api/v1/guidelines/rules"))
                        .bearer_auth(&token)
                        .json(&json!({"rule": {
                            "name": format!("No jargon {n}"), "severity": "warn", "message": "Plain words, please",
                            "kind": {"type": "banned_terms", "terms": ["synergy"]}, "scope": {"kinds": [], "networks": []}
                        }}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin || role == "social", 201),
            ),
            (
                "POST /api/v1/campaigns",
                status(
                    api.post(t.url("/api/v1/campaigns"))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Campaign {n}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin || role == "social", 201),
            ),
            (
                "POST /api/v1/messaging-goals",
                status(
                    api.post(t.url("/api/v1/messaging-goals"))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Goal {n}")}))
                        .send()
                        .await
                        .expect("req"),
                ),
                expect(admin || role == "social", 201),
            ),
        ];
        let browser = t.sign_in(&email, "a long password").await;
        let page = |path: &'static str| {
            let b = browser.clone();
            let url = t.url(path);
            async move { b.get(url).send().await.expect("req").status().as_u16() }
        };
        let pages: Vec<(&str, u16, u16)> = vec![
            ("GET /", page("/").await, 200),
            ("GET /people", page("/people").await, 200),
            ("GET /departments", page("/departments").await, 200),
            ("GET /account/tokens", page("/account/tokens").await, 200),
            ("GET /people/new", page("/people/new").await, expect(admin, 200)),
            ("GET /people/import", page("/people/import").await, expect(admin, 200)),
            ("GET /audit", page("/audit").await, expect(admin, 200)),
            ("GET /submit", page("/submit").await, 200),
            ("GET /review", page("/review").await, 200),
            ("GET /library", page("/library").await, 200),
            ("GET /ideas", page("/ideas").await, 200),
            ("GET /guidelines", page("/guidelines").await, 200),
            ("GET /notifications", page("/notifications").await, 200),
        ];
        for (what, got, want) in cases.into_iter().chain(pages) {
            assert_eq!(got, want, "{role}: {what}");
        }
    }
}
