//! The social-readiness self-assessment (SPEC §3), over HTTP: assessments over time with their
//! averages and trend, the radar on the page, the seeded action checklist, who may write, other
//! organizations, and bad input.

use chorus_domain::{UserId, readiness::STATEMENTS};
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    api: reqwest::Client,
    admin: String,
    employee: String,
    employee_id: UserId,
    social: String,
}

impl World {
    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.api.request(method, self.t.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn patch(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, token, path, Some(body)).await
    }

    async fn delete(&self, token: &str, path: &str) -> u16 {
        self.send(reqwest::Method::DELETE, token, path, None).await.0
    }
}

async fn world() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    let employee_id = t.person(org, "emp@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "social@acme.test", "social", None, PASSWORD).await;
    let admin = t.token(org, "admin@acme.test").await;
    let employee = t.token(org, "emp@acme.test").await;
    let social = t.token(org, "social@acme.test").await;
    World { t, api: reqwest::Client::new(), admin, employee, employee_id, social }
}

/// Every statement rated `value`, except the overrides.
fn ratings(value: i64, overrides: &[(&str, i64)]) -> Value {
    let mut map = serde_json::Map::new();
    for s in STATEMENTS {
        let v = overrides.iter().find(|(k, _)| *k == s.key).map_or(value, |(_, v)| *v);
        map.insert(s.key.to_owned(), json!(v));
    }
    Value::Object(map)
}

fn average(a: &Value, discipline: &str) -> Option<f64> {
    a["averages"].as_array()?.iter().find(|d| d["discipline"] == discipline)?["average"].as_f64()
}

#[tokio::test]
async fn two_assessments_a_week_apart_give_averages_a_trend_and_a_radar() {
    let w = world().await;
    // Week 1: Vision rated 1, 2, 3, 4 (2.5); everything else 2.
    let first = json!({"ratings": ratings(2, &[("vision.why", 1), ("vision.future", 2), ("vision.sponsor", 3), ("vision.shared", 4)]), "note": "Kick-off"});
    let (s, a1) = w.post(&w.admin, "/api/v1/readiness", first).await;
    assert_eq!(s, 201, "{a1}");
    assert_eq!(average(&a1, "vision"), Some(2.5));
    assert_eq!(average(&a1, "strategy"), Some(2.0));
    assert_eq!(a1["overall"].as_f64(), Some(2.08), "(2.5 + 5 × 2) / 6: {a1}");
    assert_eq!(a1["ratings"]["vision.sponsor"], 3);
    assert_eq!(a1["ratings"].as_object().map(|m| m.len()), Some(STATEMENTS.len()));
    assert_eq!(a1["note"], "Kick-off");
    assert_eq!(a1["created_by"]["name"], "Person admin@acme.test");

    w.t.clock.advance(time::Duration::days(7));
    // Week 2: everything 4, Vision 5, Adapt 3, Guide 4/4/5 (4.33).
    let mut overrides: Vec<(&str, i64)> =
        STATEMENTS.iter().filter(|s| s.key.starts_with("vision.")).map(|s| (s.key, 5)).collect();
    overrides.extend(STATEMENTS.iter().filter(|s| s.key.starts_with("adapt.")).map(|s| (s.key, 3)));
    overrides.push(("guide.escalation", 5));
    let (s, a2) = w.post(&w.admin, "/api/v1/readiness", json!({"ratings": ratings(4, &overrides)})).await;
    assert_eq!(s, 201, "{a2}");

    // The list is the trend: oldest first, a week apart, averages per discipline.
    let (s, list) = w.get(&w.employee, "/api/v1/readiness").await;
    assert_eq!(s, 200, "employees read the assessments: {list}");
    assert!(list["next_cursor"].is_null());
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], a1["id"]);
    assert_eq!(items[1]["id"], a2["id"]);
    assert!(items[0].get("ratings").is_none(), "the list carries averages, not every rating");
    let day = |v: &Value| {
        time::OffsetDateTime::parse(
            v["created_at"].as_str().expect("time"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("RFC 3339")
    };
    assert_eq!(day(&items[1]) - day(&items[0]), time::Duration::days(7));
    let trend: Vec<Vec<Option<f64>>> = items
        .iter()
        .map(|a| {
            ["vision", "strategy", "purpose", "launch", "guide", "adapt"]
                .iter()
                .map(|d| average(a, d))
                .collect()
        })
        .collect();
    assert_eq!(
        trend,
        vec![
            vec![Some(2.5), Some(2.0), Some(2.0), Some(2.0), Some(2.0), Some(2.0)],
            vec![Some(5.0), Some(4.0), Some(4.0), Some(4.0), Some(4.33), Some(3.0)],
        ]
    );
    let labels: Vec<&str> = items[0]["averages"]
        .as_array()
        .expect("averages")
        .iter()
        .filter_map(|d| d["label"].as_str())
        .collect();
    assert_eq!(labels, ["Vision", "Strategy", "Purpose", "Launch", "Guide", "Adapt"]);

    let (s, one) = w.get(&w.social, &format!("/api/v1/readiness/{}", a2["id"].as_str().expect("id"))).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["ratings"]["guide.escalation"], 5);
    assert_eq!(one["ratings"]["adapt.measure"], 3);

    // The page: the radar (latest over previous), its numbers, the trend.
    let browser = w.t.sign_in("admin@acme.test", PASSWORD).await;
    let html = browser.get(w.t.url("/readiness")).send().await.expect("GET").text().await.expect("html");
    let svg = html.split("<svg").nth(1).and_then(|s| s.split("</svg>").next()).expect("an SVG radar");
    assert_eq!(svg.matches(r#"class="series""#).count(), 2, "latest and previous: {svg}");
    assert_eq!(svg.matches(r#"class="grid""#).count(), 5);
    for label in ["Vision", "Strategy", "Purpose", "Launch", "Guide", "Adapt"] {
        assert!(svg.contains(&format!(">{label}</text>")), "axis {label}");
    }
    assert!(
        svg.contains("<title id=\"readiness-radar-title\">")
            && svg.contains("<desc id=\"readiness-radar-desc\">")
    );
    assert!(svg.contains("Vision 5, Strategy 4") && svg.contains("Guide 4.33, Adapt 3"), "{svg}");
    assert!(svg.contains("Vision 2.5, Strategy 2"), "the previous one is described too: {svg}");
    let numbers = html
        .split(r#"id="radar-numbers""#)
        .nth(1)
        .and_then(|s| s.split("</table>").next())
        .expect("the table");
    assert!(numbers.contains(">Vision</th><td data-label=\"Latest\">5.00</td><td data-label=\"Previous\">2.50</td><td data-label=\"Change\">+2.50</td>"), "{numbers}");
    let trend_html =
        html.split(r#"id="trend-table""#).nth(1).and_then(|s| s.split("</table>").next()).expect("trend");
    assert_eq!(trend_html.matches("<tr id=\"assessment-").count(), 2);
    assert!(trend_html.contains("Kick-off") && trend_html.contains(">4.33</td>"));
    assert!(html.contains("Record an assessment"), "admins get the form");
    assert!(html.contains(r#"aria-current="page">Readiness</a>"#), "the nav marks the page");

    // An employee sees the same, read-only.
    let browser_e = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let res = browser_e.get(w.t.url("/readiness")).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    let html_e = res.text().await.expect("html");
    assert_eq!(html_e.matches(r#"class="series""#).count(), 2);
    assert!(!html_e.contains("Record an assessment") && !html_e.contains("<summary>Edit"));

    // The page's form records a third assessment; a missing rating comes back readable (422).
    let csrf = csrf_of(&html);
    let mut form: Vec<(String, String)> =
        vec![("csrf".into(), csrf.clone()), ("note".into(), "From the page".into())];
    form.extend(STATEMENTS.iter().map(|s| (format!("rate-{}", s.key), "3".to_owned())));
    let res = browser.post(w.t.url("/readiness")).form(&form).send().await.expect("POST");
    assert_eq!(res.status(), 303);
    let (_, list) = w.get(&w.admin, "/api/v1/readiness").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(average(&list["items"][2], "launch"), Some(3.0));

    let partial: Vec<(String, String)> =
        form.iter().filter(|(k, _)| k != "rate-vision.why").cloned().collect();
    let res = browser.post(w.t.url("/readiness")).form(&partial).send().await.expect("POST");
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("Ratings are missing for 1 statement: vision.why"), "{html}");
    assert!(html.contains(r#"id="missing-vision.why""#), "the statement is marked");
    assert!(html.contains("From the page"), "what was typed stays");
    let mut six = form.clone();
    six.retain(|(k, _)| k != "rate-launch.team");
    six.push(("rate-launch.team".into(), "6".into()));
    let res = browser.post(w.t.url("/readiness")).form(&six).send().await.expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Ratings for launch.team must be from 1 to 5, not 6"));
    assert_eq!(w.t.count_rows("readiness_assessments").await, 3, "nothing more was written");
}

#[tokio::test]
async fn the_checklist_is_seeded_once_and_admins_keep_it() {
    let w = world().await;
    // Several first requests at once still seed exactly once.
    let (a, b, c) = tokio::join!(
        w.get(&w.employee, "/api/v1/readiness/actions"),
        w.get(&w.admin, "/api/v1/readiness/actions"),
        w.get(&w.social, "/api/v1/readiness/actions"),
    );
    assert_eq!((a.0, b.0, c.0), (200, 200, 200));
    let (_, list) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    assert!(list["next_cursor"].is_null());
    let items = list["items"].as_array().expect("items").clone();
    let titles: Vec<&str> = items.iter().filter_map(|i| i["title"].as_str()).collect();
    assert_eq!(
        titles,
        [
            "Define the strategy",
            "Assess the platforms",
            "Set goals",
            "Build the team",
            "Define the customer value",
            "Plan campaigns",
            "Educate the team",
            "Budgets and resources",
            "Guidelines",
            "Measure and refine",
        ]
    );
    assert!(items.iter().all(|i| i["status"] == "todo" && i["owner"].is_null() && i["due_on"].is_null()));

    // An admin gives the first item an owner and a due date, and marks it done.
    let first = items[0]["id"].as_str().expect("id");
    let (s, item) = w
        .patch(
            &w.admin,
            &format!("/api/v1/readiness/actions/{first}"),
            json!({"owner_id": w.employee_id, "due_on": "2026-12-01", "status": "done"}),
        )
        .await;
    assert_eq!(s, 200, "{item}");
    assert_eq!(item["owner"]["id"], json!(w.employee_id));
    assert_eq!(item["owner"]["name"], "Person emp@acme.test");
    assert_eq!((item["due_on"].as_str(), item["status"].as_str()), (Some("2026-12-01"), Some("done")));
    assert_eq!(item["title"], "Define the strategy", "absent fields stay");
    // `null` clears; absent stays.
    let (s, item) =
        w.patch(&w.admin, &format!("/api/v1/readiness/actions/{first}"), json!({"due_on": null})).await;
    assert_eq!(s, 200);
    assert!(item["due_on"].is_null());
    assert_eq!(item["owner"]["id"], json!(w.employee_id));

    // Add and delete.
    let (s, added) = w
        .post(&w.admin, "/api/v1/readiness/actions", json!({"title": "Run a pilot", "status": "doing"}))
        .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!((added["position"].as_i64(), added["status"].as_str()), (Some(11), Some("doing")));
    let second = items[1]["id"].as_str().expect("id");
    assert_eq!(w.delete(&w.admin, &format!("/api/v1/readiness/actions/{second}")).await, 204);
    assert_eq!(w.delete(&w.admin, &format!("/api/v1/readiness/actions/{second}")).await, 404);
    let (_, list) = w.get(&w.employee, "/api/v1/readiness/actions").await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 10, "nine seeded, one added; deleted items do not come back");
    assert_eq!(items[9]["title"], "Run a pilot");

    // Employees and the social team read, but never write.
    for token in [&w.employee, &w.social] {
        let (s, p) = w.post(token, "/api/v1/readiness/actions", json!({"title": "Mine"})).await;
        assert_eq!((s, p["code"].as_str()), (403, Some("forbidden")), "{p}");
        let (s, _) =
            w.patch(token, &format!("/api/v1/readiness/actions/{first}"), json!({"status": "todo"})).await;
        assert_eq!(s, 403);
        assert_eq!(w.delete(token, &format!("/api/v1/readiness/actions/{first}")).await, 403);
        let (s, _) = w.post(token, "/api/v1/readiness", json!({"ratings": ratings(3, &[])})).await;
        assert_eq!(s, 403);
    }
    let (_, list) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    assert_eq!(list["items"][0]["status"], "done", "the refused PATCH changed nothing");
    assert_eq!(w.t.count_rows("readiness_assessments").await, 0);

    // The page: an admin adds an item with HTML in its title (shown escaped), then edits and
    // deletes items with the row forms.
    let browser = w.t.sign_in("admin@acme.test", PASSWORD).await;
    let html = browser.get(w.t.url("/readiness")).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("1 of 10 done."), "{html}");
    let csrf = csrf_of(&html);
    let res = browser
        .post(w.t.url("/readiness/actions"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "<script>alert(1)</script> & co"),
            ("owner_id", ""),
            ("due_on", "2027-01-31"),
            ("status", "todo"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let html = browser.get(w.t.url("/readiness")).send().await.expect("GET").text().await.expect("html");
    assert!(
        html.contains("<td data-label=\"Item\">&#60;script&#62;alert(1)&#60;/script&#62; &#38; co</td>"),
        "escaped in the table"
    );
    assert!(!html.contains("<script>alert(1)"), "never raw");
    assert!(html.contains(">2027-01-31<"));

    let third = items[1]["id"].as_str().expect("id");
    let res = browser
        .post(w.t.url(&format!("/readiness/actions/{third}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "Set goals, with numbers"),
            ("owner_id", &w.employee_id.to_string()),
            ("due_on", "2026-11-15"),
            ("status", "doing"),
            ("action", "save"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let (_, item) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    let edited = item["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == third)
        .expect("still there")
        .clone();
    assert_eq!(
        (edited["title"].as_str(), edited["status"].as_str(), edited["due_on"].as_str()),
        (Some("Set goals, with numbers"), Some("doing"), Some("2026-11-15"))
    );
    let res = browser
        .post(w.t.url(&format!("/readiness/actions/{third}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "x"),
            ("owner_id", ""),
            ("due_on", "31/12/2026"),
            ("status", "done"),
            ("action", "save"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Due on must be a date written YYYY-MM-DD"));
    let res = browser
        .post(w.t.url(&format!("/readiness/actions/{third}")))
        .form(&[("csrf", csrf.as_str()), ("action", "delete")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let (_, list) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    assert!(list["items"].as_array().expect("items").iter().all(|i| i["id"] != third));

    // An employee's page is read-only, and its forms would be refused anyway.
    let browser_e = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let html = browser_e.get(w.t.url("/readiness")).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("Person emp@acme.test"), "owners are shown");
    assert!(!html.contains("Add an item"));
    let csrf = csrf_of(&html);
    let res = browser_e
        .post(w.t.url("/readiness/actions"))
        .form(&[("csrf", csrf.as_str()), ("title", "Sneaky")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
    let res = browser_e
        .post(w.t.url("/readiness"))
        .form(&[("csrf", csrf.as_str()), ("rate-vision.why", "x")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403, "refused before the form is even read");
    let res = browser_e
        .post(w.t.url(&format!("/readiness/actions/{first}")))
        .form(&[("csrf", csrf.as_str()), ("action", "delete")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn other_organizations_get_404_and_bad_input_gets_422_with_the_reason() {
    let w = world().await;
    let (other, _) = w.t.org("Globex").await;
    let outsider_id = w.t.person(other, "boss@globex.test", "admin", None, PASSWORD).await;
    let outsider = w.t.token(other, "boss@globex.test").await;

    let (_, a) = w.post(&w.admin, "/api/v1/readiness", json!({"ratings": ratings(3, &[])})).await;
    let id = a["id"].as_str().expect("id").to_owned();
    let (_, list) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    let item = list["items"][0]["id"].as_str().expect("id").to_owned();

    // Another organization: 404 for every id, and its own lists are its own.
    let (s, p) = w.get(&outsider, &format!("/api/v1/readiness/{id}")).await;
    assert_eq!((s, p["code"].as_str()), (404, Some("not_found")));
    let (s, _) =
        w.patch(&outsider, &format!("/api/v1/readiness/actions/{item}"), json!({"status": "done"})).await;
    assert_eq!(s, 404);
    assert_eq!(w.delete(&outsider, &format!("/api/v1/readiness/actions/{item}")).await, 404);
    let (_, theirs) = w.get(&outsider, "/api/v1/readiness").await;
    assert_eq!(theirs["items"].as_array().map(Vec::len), Some(0));
    let (_, theirs) = w.get(&outsider, "/api/v1/readiness/actions").await;
    assert!(theirs["items"].as_array().expect("items").iter().all(|i| i["id"] != item.as_str()));
    let (s, _) = w.get(&w.admin, "/api/v1/readiness/not-an-id").await;
    assert_eq!(s, 404);
    let browser = w.t.sign_in("boss@globex.test", PASSWORD).await;
    let html = browser.get(w.t.url("/readiness")).send().await.expect("GET").text().await.expect("html");
    let csrf = csrf_of(&html);
    let res = browser
        .post(w.t.url(&format!("/readiness/actions/{item}")))
        .form(&[("csrf", csrf.as_str()), ("title", "Mine now"), ("status", "done"), ("action", "save")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 404);

    // Bad assessments: each answered 422 `invalid` with the reason.
    let cases: Vec<(Value, &str)> = vec![
        (json!({"ratings": ratings(3, &[("vision.why", 0)])}), "vision.why must be from 1 to 5, not 0"),
        (json!({"ratings": ratings(3, &[("adapt.refine", 6)])}), "adapt.refine must be from 1 to 5, not 6"),
        (json!({"ratings": {"vision.why": 3}}), "missing for 20 statements"),
        (json!({"ratings": {}}), "missing for 21 statements"),
        (
            {
                let mut r = ratings(3, &[]);
                r["vision.charisma"] = json!(4);
                json!({ "ratings": r })
            },
            "\"vision.charisma\": there is no such statement",
        ),
        (
            {
                let mut r = ratings(3, &[]);
                r["mission.why"] = json!(4);
                json!({ "ratings": r })
            },
            "there is no discipline \"mission\"",
        ),
        (json!({"ratings": ratings(3, &[]), "note": "n".repeat(2001)}), "at most 2000 characters"),
        (json!({"ratings": {"vision.why": "four"}}), ""),
        (json!({"ratings": {"vision.why": 4.5}}), ""),
        (json!({"note": "no ratings"}), ""),
    ];
    for (body, reason) in cases {
        let (s, p) = w.post(&w.admin, "/api/v1/readiness", body.clone()).await;
        assert_eq!((s, p["code"].as_str()), (422, Some("invalid")), "{body}: {p}");
        assert!(p["detail"].as_str().unwrap_or_default().contains(reason), "{reason:?} in {p}");
        if !reason.is_empty() {
            assert_eq!(
                p["errors"][0]["field"],
                if reason.contains("2000") { "note" } else { "ratings" },
                "{p}"
            );
        }
    }
    assert_eq!(w.t.count_rows("readiness_assessments").await, 1, "no bad assessment was written");

    // Bad checklist input.
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"title": ""}), "title", "needs a title"),
        (json!({"title": "x".repeat(201)}), "title", "at most 200 characters"),
        (json!({"title": "Ok", "due_on": "2026-02-30"}), "due_on", "YYYY-MM-DD"),
        (json!({"title": "Ok", "due_on": "next week"}), "due_on", "YYYY-MM-DD"),
        (json!({"title": "Ok", "status": "finished"}), "status", "todo, doing, done"),
        (json!({"title": "Ok", "owner_id": outsider_id}), "owner_id", "not a person of this organization"),
    ];
    let before = w.t.count_rows("readiness_actions").await;
    for (body, field, reason) in &cases {
        let (s, p) = w.post(&w.admin, "/api/v1/readiness/actions", body.clone()).await;
        assert_eq!((s, p["code"].as_str()), (422, Some("invalid")), "{body}: {p}");
        assert_eq!(p["errors"][0]["field"], *field, "{p}");
        assert!(p["errors"][0]["message"].as_str().unwrap_or_default().contains(reason), "{reason} in {p}");
        let (s, p) = w.patch(&w.admin, &format!("/api/v1/readiness/actions/{item}"), body.clone()).await;
        assert_eq!(s, 422, "PATCH {body}: {p}");
    }
    assert_eq!(w.t.count_rows("readiness_actions").await, before, "nothing was added");
    let (_, list) = w.get(&w.admin, "/api/v1/readiness/actions").await;
    assert_eq!(list["items"][0]["owner"], Value::Null, "nothing was changed");
    let (s, _) = w.post(&w.admin, "/api/v1/readiness/actions", json!({"title": "Ok", "colour": "red"})).await;
    assert_eq!(s, 422, "unknown fields are refused");
}
