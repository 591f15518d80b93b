//! Training (issue 6), over HTTP: a course taken from start to finish (with a failed quiz and
//! a retake), the completion report, courses assigned from a closed survey's gaps, and
//! permissions, isolation and bad input.

use chorus_domain::OrgId;
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

const PASSWORD: &str = "correct horse battery staple";

struct Api {
    t: TestApp,
    http: reqwest::Client,
}

impl Api {
    async fn spawn() -> Self {
        Self { t: TestApp::spawn().await, http: reqwest::Client::new() }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        if status != 204 {
            let ct = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            if status >= 400 {
                assert_eq!(ct, "application/problem+json", "errors are problem+json ({status})");
            }
            return (status, res.json().await.unwrap_or(Value::Null));
        }
        (status, Value::Null)
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(self.http.post(self.t.url(path)).bearer_auth(token).json(&body)).await
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(self.http.get(self.t.url(path)).bearer_auth(token)).await
    }

    async fn departments(&self, token: &str) -> HashMap<String, String> {
        let (_, list) = self.get(token, "/api/v1/departments").await;
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|d| (d["name"].as_str().expect("name").to_owned(), d["id"].as_str().expect("id").to_owned()))
            .collect()
    }

    /// A course with topics ["X basics"], two lessons and a two-question quiz (answers 1, 1).
    async fn course(&self, admin: &str) -> (String, Vec<String>, Vec<String>) {
        let (s, c) = self
            .post(
                admin,
                "/api/v1/courses",
                json!({"title": "X for beginners", "audience": "New to social media",
                    "description": "What a post on X may be, and what to do when it goes wrong.",
                    "topics": ["X basics"]}),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        assert_eq!(c["pass_mark"], 80, "the default pass mark");
        let id = c["id"].as_str().expect("id").to_owned();
        let mut lessons = Vec::new();
        for (title, body) in [
            (
                "Posts on X",
                "A post has at most **280** characters.\n\n![a chart](https://cdn.example.test/x.png)",
            ),
            (
                "When it goes wrong",
                "Tell the social media team.\n\n<script>alert(1)</script><b onclick=\"x()\">bold</b>",
            ),
        ] {
            let (s, l) = self
                .post(admin, &format!("/api/v1/courses/{id}/lessons"), json!({"title": title, "body": body}))
                .await;
            assert_eq!(s, 201, "{l}");
            lessons.push(l["id"].as_str().expect("id").to_owned());
        }
        let mut questions = Vec::new();
        for (prompt, options) in [
            ("How many characters may a post on X have?", json!(["140", "280", "500"])),
            (
                "Someone complains about us in a reply. You…",
                json!(["Answer them yourself", "Tell the social media team"]),
            ),
        ] {
            let (s, q) = self
                .post(
                    admin,
                    &format!("/api/v1/courses/{id}/quiz"),
                    json!({"prompt": prompt, "options": options, "correct": 1}),
                )
                .await;
            assert_eq!(s, 201, "{q}");
            assert_eq!(q["correct"], 1, "the author sees the correct option");
            questions.push(q["id"].as_str().expect("id").to_owned());
        }
        (id, lessons, questions)
    }
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|x| x[key] == json!(value))
        .unwrap_or_else(|| panic!("no {key} = {value} in {list}"))
}

#[tokio::test]
async fn a_course_is_taken_failed_retaken_and_completed_and_the_report_counts_it() {
    let a = Api::spawn().await;
    let t = &a.t;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", Some("Marketing"), PASSWORD).await;
    let eve_id = t.person(org, "eve@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "bob@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "cy@acme.test", "social", Some("Marketing"), PASSWORD).await;
    let ada = t.token(org, "ada@acme.test").await;
    let eve = t.token(org, "eve@acme.test").await;
    let cy = t.token(org, "cy@acme.test").await;
    let departments = a.departments(&ada).await;
    let (id, lessons, questions) = a.course(&ada).await;

    // Assigned to Sales (Eve and Bob); assigning Eve again keeps the first assignment.
    let (s, out) = a
        .post(
            &ada,
            &format!("/api/v1/courses/{id}/assignments"),
            json!({"department_id": departments["Sales"]}),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["assigned"].as_array().map(Vec::len), Some(2), "{out}");
    let (s, again) = a
        .post(
            &ada,
            &format!("/api/v1/courses/{id}/assignments"),
            json!({"user_ids": [eve_id], "reason": "Again"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (again["assigned"].as_array().map(Vec::len), again["already_assigned"].as_i64()),
        (Some(0), Some(1))
    );

    // Eve sees the course and its quiz, but never which option is correct.
    let (s, seen) = a.get(&eve, &format!("/api/v1/courses/{id}")).await;
    assert_eq!(s, 200, "{seen}");
    assert_eq!(seen["quiz"].as_array().map(Vec::len), Some(2));
    assert!(!seen.to_string().contains("\"correct\""), "no correct answers for learners: {seen}");
    assert_eq!(seen["progress"]["assigned"], true);
    assert_eq!(seen["progress"]["reason"], "Assigned by Person ada@acme.test", "the first reason stands");
    assert_eq!(seen["lessons"][0]["body"].as_str().map(|b| b.contains("280")), Some(true));
    let (_, managed) = a.get(&ada, &format!("/api/v1/courses/{id}")).await;
    assert_eq!(managed["quiz"][0]["correct"], 1, "managers do see it");

    // Lessons done (twice is the same as once), then a failed quiz, then a pass.
    for l in lessons.iter().chain([&lessons[0]]) {
        let (s, p) = a.post(&eve, &format!("/api/v1/courses/{id}/lessons/{l}/done"), json!({})).await;
        assert_eq!(s, 200, "{p}");
    }
    let (s, p) = a.post(&eve, &format!("/api/v1/courses/{id}/lessons/{}/done", lessons[1]), json!({})).await;
    assert_eq!((s, p["lessons_done"].as_i64(), p["completed"].as_bool()), (200, Some(2), Some(false)), "{p}");
    let attempts = format!("/api/v1/courses/{id}/attempts");
    let (s, r) = a.post(&eve, &attempts, json!({"answers": [1, 0]})).await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(r, json!({"score": 50, "passed": false, "best_score": 50, "completed": false}));
    let (_, r) = a.post(&eve, &attempts, json!({"answers": [1, 1]})).await;
    assert_eq!(r, json!({"score": 100, "passed": true, "best_score": 100, "completed": true}));
    let (_, r) = a.post(&eve, &attempts, json!({"answers": [0, 0]})).await;
    assert_eq!(
        r,
        json!({"score": 0, "passed": false, "best_score": 100, "completed": true}),
        "the best score is kept"
    );
    let (_, catalogue) = a.get(&eve, "/api/v1/courses").await;
    assert_eq!(catalogue["next_cursor"], Value::Null);
    let mine = find(&catalogue["items"], "id", &id);
    assert_eq!(
        (mine["progress"]["completed"].as_bool(), mine["progress"]["attempts"].as_i64()),
        (Some(true), Some(3))
    );
    assert!(!catalogue.to_string().contains("\"correct\""));

    // Bob uses the pages: the quiz form never carries the answers; the Markdown is cleaned.
    let bob = t.sign_in("bob@acme.test", PASSWORD).await;
    let page = bob.get(t.url(&format!("/training/{id}"))).send().await.expect("GET");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("How many characters may a post on X have?"));
    assert!(html.contains(&format!(r#"name="q-{}""#, questions[0])), "the quiz form");
    assert!(!html.contains("correct answer") && !html.contains('✓'), "no correct answers on the page");
    assert!(
        html.contains("<strong>280</strong>") && html.contains(r#"src="https://cdn.example.test/x.png""#)
    );
    assert!(!html.contains("<script>alert(1)</script>") && !html.contains("onclick"), "Markdown is cleaned");
    assert!(html.contains("Assigned by Person ada@acme.test"));
    let csrf = csrf_of(&html);
    let res = bob
        .post(t.url(&format!("/training/{id}/lessons/{}/done", lessons[0])))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let wrong = vec![
        ("csrf".to_owned(), csrf.clone()),
        (format!("q-{}", questions[0]), "0".to_owned()),
        (format!("q-{}", questions[1]), "1".to_owned()),
    ];
    let res = bob.post(t.url(&format!("/training/{id}/attempt"))).form(&wrong).send().await.expect("POST");
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.contains("notice=not_passed"), "{location}");
    let html = bob.get(t.url(&location)).send().await.expect("GET").text().await.expect("html");
    assert!(
        html.contains("Not passed this time") && html.contains("best score 50 %"),
        "the outcome, not the answers"
    );
    // An unanswered question on the page is a readable 422, not a 500.
    let res = bob
        .post(t.url(&format!("/training/{id}/attempt")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("no such option"));
    let list = bob.get(t.url("/training")).send().await.expect("GET").text().await.expect("html");
    assert!(
        list.contains("My courses") && list.contains("1 of 2 lessons done, best quiz score 50 %"),
        "{list}"
    );
    assert!(!list.contains("New course"), "no admin forms for employees");

    // Cy (social team, not assigned) completes it on her own.
    for l in &lessons {
        assert_eq!(a.post(&cy, &format!("/api/v1/courses/{id}/lessons/{l}/done"), json!({})).await.0, 200);
    }
    assert_eq!(a.post(&cy, &attempts, json!({"answers": [1, 1]})).await.1["completed"], true);

    // The report: Sales 1 of 2 completed; Marketing nobody assigned, Cy completed unassigned.
    let (s, report) = a.get(&cy, &format!("/api/v1/courses/{id}/progress")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (report["overall"]["assigned"].as_i64(), report["overall"]["completed"].as_i64()),
        (Some(2), Some(1)),
        "{report}"
    );
    let sales = find(&report["by_department"], "group", "Sales");
    assert_eq!(
        (sales["assigned"].as_i64(), sales["completed"].as_i64(), sales["percent"].as_i64()),
        (Some(2), Some(1), Some(50))
    );
    let marketing = find(&report["by_department"], "group", "Marketing");
    assert_eq!(
        (marketing["assigned"].as_i64(), marketing["unassigned_completed"].as_i64()),
        (Some(0), Some(1))
    );
    let people = &report["people"];
    assert_eq!(people.as_array().map(Vec::len), Some(3), "Eve, Bob, Cy; not Ada: {people}");
    let bob_row = find(people, "name", "Person bob@acme.test");
    assert_eq!(
        (bob_row["lessons_done"].as_i64(), bob_row["best_score"].as_i64(), bob_row["completed"].as_bool()),
        (Some(1), Some(50), Some(false))
    );
    let eve_row = find(people, "name", "Person eve@acme.test");
    assert_eq!((eve_row["best_score"].as_i64(), eve_row["completed"].as_bool()), (Some(100), Some(true)));
    assert_eq!(find(people, "name", "Person cy@acme.test")["assigned"], false);

    // Admin pages: the report, and the quiz with its correct answers marked.
    let admin = t.sign_in("ada@acme.test", PASSWORD).await;
    let html = admin
        .get(t.url(&format!("/training/{id}/report")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(html.contains("1 of 2 people assigned have completed it (50 %)"), "{html}");
    assert!(html.contains("Person bob@acme.test"));
    let html =
        admin.get(t.url(&format!("/training/{id}"))).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("(correct answer)") && html.contains("Add a lesson"));
    let html = admin.get(t.url("/training")).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("New course") && html.contains(r#"href="/training" aria-current="page""#));
}

/// An organization with people in departments at a seniority; the first is an admin.
async fn people(a: &Api, org: OrgId, groups: &[(&str, i64, usize)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (department, seniority, n) in groups {
        for _ in 0..*n {
            let i = out.len();
            let email = format!("p{i}@acme.test");
            let role = if i == 0 { "admin" } else { "employee" };
            let id = a.t.person(org, &email, role, Some(department), PASSWORD).await;
            let token = a.t.token(org, &email).await;
            out.push((id.to_string(), token, (*department).to_owned()));
            let admin = out[0].1.clone();
            let res = a
                .http
                .patch(a.t.url(&format!("/api/v1/users/{id}")))
                .bearer_auth(&admin)
                .json(&json!({"seniority": seniority}))
                .send()
                .await
                .expect("PATCH");
            assert_eq!(res.status(), 200);
        }
    }
    out
}

/// Answers to the baseline template: the X question (first) right or wrong, everything else right.
fn answers(questions: &[Value], x_right: bool) -> Value {
    let items: Vec<Value> = questions
        .iter()
        .map(|q| {
            let id = q["id"].clone();
            let prompt = q["prompt"].as_str().unwrap_or_default();
            match q["kind"].as_str() {
                Some("text") => json!({"question_id": id, "text": "more time"}),
                Some("yes_no") | Some("likert") => json!({"question_id": id, "option": 0}),
                _ if prompt.starts_with("How many characters may a post on X have") => {
                    json!({"question_id": id, "option": if x_right { 1 } else { 0 }})
                }
                _ => json!({"question_id": id, "option": 1}),
            }
        })
        .collect();
    json!({ "answers": items })
}

#[tokio::test]
async fn a_survey_gap_assigns_the_course_to_exactly_the_low_department() {
    let a = Api::spawn().await;
    let t = &a.t;
    let (org, _) = t.org("Acme").await;
    // Engineering 6 (experienced) all know X; Sales 7 (early career), 6 answer and all miss it;
    // Legal 5 (senior): 3 of 5 right, exactly at the 60 % threshold, which is not below it.
    let people = people(&a, org, &[("Engineering", 3, 6), ("Sales", 2, 7), ("Legal", 4, 5)]).await;
    let admin = people[0].1.clone();
    let departments = a.departments(&admin).await;

    let (s, survey) = a.post(&admin, "/api/v1/surveys", json!({"title": "Basics", "template": true})).await;
    assert_eq!(s, 201, "{survey}");
    let survey_id = survey["id"].as_str().expect("id").to_owned();
    assert_eq!(a.post(&admin, &format!("/api/v1/surveys/{survey_id}/open"), json!({})).await.0, 200);
    let (_, full) = a.get(&admin, &format!("/api/v1/surveys/{survey_id}")).await;
    let questions = full["questions"].as_array().expect("questions").clone();

    // A course teaching X basics and a rule for it, written before the survey closes.
    let (s, course) = a
        .post(&admin, "/api/v1/courses", json!({"title": "X basics", "topics": ["X basics", "Brand policy"]}))
        .await;
    assert_eq!(s, 201);
    let course_id = course["id"].as_str().expect("id").to_owned();
    let (s, rule) = a
        .post(
            &admin,
            "/api/v1/courses/rules",
            json!({"course_id": course_id, "topic": "x BASICS", "threshold": 60}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    let (s, again) = a
        .post(
            &admin,
            "/api/v1/courses/rules",
            json!({"course_id": course_id, "topic": "X basics", "threshold": 50}),
        )
        .await;
    assert_eq!(s, 409, "one rule per course and topic: {again}");
    let (_, rules) = a.get(&admin, "/api/v1/courses/rules").await;
    assert_eq!(rules["items"].as_array().map(Vec::len), Some(1));

    let apply = json!({"survey_id": survey_id});
    let (s, body) = a.post(&admin, "/api/v1/courses/rules/apply", apply.clone()).await;
    assert_eq!(s, 409, "results (and gaps) exist only once the survey is closed: {body}");

    let mut legal = 0;
    let mut sales_answered = 0;
    for (i, (_, token, department)) in people.iter().enumerate() {
        let right = match department.as_str() {
            "Engineering" => true,
            "Legal" => {
                legal += 1;
                legal <= 3
            }
            _ => {
                sales_answered += 1;
                if sales_answered > 6 {
                    continue; // one Sales member never answers, and is assigned all the same
                }
                false
            }
        };
        let (s, body) = a
            .post(token, &format!("/api/v1/surveys/{survey_id}/responses"), answers(&questions, right))
            .await;
        assert_eq!(s, 201, "person {i}: {body}");
    }
    assert_eq!(a.post(&admin, &format!("/api/v1/surveys/{survey_id}/close"), json!({})).await.0, 200);
    let (_, report) = a.get(&admin, &format!("/api/v1/surveys/{survey_id}/report")).await;
    let x = find(&report["topics"], "topic", "X basics");
    let keys: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    let score = |key: String| keys.iter().position(|k| *k == key).and_then(|i| x["scores"][i].as_i64());
    assert_eq!(score(format!("d:{}", departments["Sales"])), Some(0), "{report}");
    assert_eq!(score(format!("d:{}", departments["Engineering"])), Some(100));
    assert_eq!(score(format!("d:{}", departments["Legal"])), Some(60));
    assert_eq!(score("all".into()), Some(53), "everyone is below too, but shown groups decide");

    // Applied: exactly the Sales members (all 7), nobody else.
    let (s, applied) = a.post(&admin, "/api/v1/courses/rules/apply", apply.clone()).await;
    assert_eq!(s, 200, "{applied}");
    let assigned: BTreeSet<String> = applied["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| {
            g["assigned"]
                .as_array()
                .expect("assigned")
                .iter()
                .map(|p| p["id"].as_str().expect("id").to_owned())
        })
        .collect();
    let sales: BTreeSet<String> = people.iter().filter(|p| p.2 == "Sales").map(|p| p.0.clone()).collect();
    assert_eq!(assigned, sales, "{applied}");
    assert_eq!(applied["assigned"], 7);
    let group = find(&applied["groups"], "label", "Sales");
    assert_eq!(
        (group["topic"].as_str(), group["score"].as_i64(), group["threshold"].as_i64()),
        (Some("X basics"), Some(0), Some(60))
    );
    assert!(
        applied["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .all(|g| g["label"] != "Legal" && g["key"] != "all"),
        "at the threshold is not below it; everyone is not targeted when groups show scores"
    );
    let (_, progress) = a.get(&admin, &format!("/api/v1/courses/{course_id}/progress")).await;
    assert_eq!(progress["overall"]["assigned"], 7, "{progress}");
    assert_eq!(find(&progress["by_department"], "group", "Sales")["assigned"], 7);
    assert!(
        progress["people"]
            .as_array()
            .expect("people")
            .iter()
            .all(|p| p["reason"] == "Survey gap: X basics in Sales")
    );
    let (_, mine) = a.get(&people[8].1, &format!("/api/v1/courses/{course_id}")).await;
    assert_eq!(mine["progress"]["reason"], "Survey gap: X basics in Sales");

    // Applying again assigns nobody twice; so does the button on the report page.
    let (s, twice) = a.post(&admin, "/api/v1/courses/rules/apply", apply.clone()).await;
    assert_eq!((s, twice["assigned"].as_i64()), (200, Some(0)), "{twice}");
    let browser = t.sign_in("p0@acme.test", PASSWORD).await;
    let html = browser
        .get(t.url(&format!("/surveys/{survey_id}/report")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Assign training from these gaps"));
    let res = browser
        .post(t.url(&format!("/surveys/{survey_id}/training")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/surveys/{survey_id}/report?notice=training_assigned").as_str()
    );
    let (_, progress) = a.get(&admin, &format!("/api/v1/courses/{course_id}/progress")).await;
    assert_eq!(progress["overall"]["assigned"], 7);
    assert_eq!(t.count_rows("course_assignments").await, 7);

    // Only admins apply rules; another organization's survey does not exist for it.
    let employee = &people[1].1;
    assert_eq!(a.post(employee, "/api/v1/courses/rules/apply", apply.clone()).await.0, 403);
    let eve = t.sign_in("p1@acme.test", PASSWORD).await;
    let html = eve.get(t.url("/training")).send().await.expect("GET").text().await.expect("html");
    let res = eve
        .post(t.url(&format!("/surveys/{survey_id}/training")))
        .form(&[("csrf", csrf_of(&html).as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
    let (other, _) = t.org("Other").await;
    t.person(other, "o@other.test", "admin", None, PASSWORD).await;
    let outsider = t.token(other, "o@other.test").await;
    assert_eq!(a.post(&outsider, "/api/v1/courses/rules/apply", apply).await.0, 404);
    assert_eq!(t.count_rows("course_assignments").await, 7);
}

#[tokio::test]
async fn training_refuses_the_wrong_people_and_bad_input() {
    let a = Api::spawn().await;
    let t = &a.t;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", Some("Marketing"), PASSWORD).await;
    t.person(org, "eve@acme.test", "employee", Some("Sales"), PASSWORD).await;
    t.person(org, "cy@acme.test", "social", Some("Marketing"), PASSWORD).await;
    let ada = t.token(org, "ada@acme.test").await;
    let eve = t.token(org, "eve@acme.test").await;
    let cy = t.token(org, "cy@acme.test").await;
    let (id, lessons, _) = a.course(&ada).await;
    let c = |rest: &str| format!("/api/v1/courses/{id}{rest}");

    // Employees (and the social team) do not write; employees do not read reports.
    for token in [&eve, &cy] {
        assert_eq!(a.post(token, "/api/v1/courses", json!({"title": "Mine"})).await.0, 403);
        assert_eq!(a.post(token, &c("/lessons"), json!({"title": "L", "body": "B"})).await.0, 403);
        assert_eq!(
            a.post(token, &c("/quiz"), json!({"prompt": "Q", "options": ["a", "b"], "correct": 0})).await.0,
            403
        );
        assert_eq!(a.post(token, &c("/assignments"), json!({"everyone": true})).await.0, 403);
        assert_eq!(a.get(token, "/api/v1/courses/rules").await.0, 403);
        assert_eq!(
            a.post(
                token,
                "/api/v1/courses/rules",
                json!({"course_id": id, "topic": "X basics", "threshold": 60})
            )
            .await
            .0,
            403
        );
        assert_eq!(
            a.post(token, "/api/v1/courses/rules/apply", json!({"survey_id": uuid::Uuid::now_v7()})).await.0,
            403
        );
    }
    assert_eq!(a.get(&eve, &c("/progress")).await.0, 403);
    assert_eq!(a.get(&cy, &c("/progress")).await.0, 200, "the social team reads reports");
    assert_eq!(t.count_rows("course_assignments").await, 0);

    // Another organization: our course does not exist for it, not even as a rule's course.
    let (other, _) = t.org("Other").await;
    t.person(other, "o@other.test", "admin", None, PASSWORD).await;
    let outsider = t.token(other, "o@other.test").await;
    assert_eq!(a.get(&outsider, &c("")).await.0, 404);
    assert_eq!(a.post(&outsider, &c("/lessons"), json!({"title": "L", "body": "B"})).await.0, 404);
    assert_eq!(
        a.post(&outsider, &c("/quiz"), json!({"prompt": "Q", "options": ["a", "b"], "correct": 0})).await.0,
        404
    );
    assert_eq!(a.post(&outsider, &c("/assignments"), json!({"everyone": true})).await.0, 404);
    assert_eq!(a.post(&outsider, &c(&format!("/lessons/{}/done", lessons[0])), json!({})).await.0, 404);
    assert_eq!(a.post(&outsider, &c("/attempts"), json!({"answers": [1, 1]})).await.0, 404);
    assert_eq!(a.get(&outsider, &c("/progress")).await.0, 404);
    assert_eq!(
        a.post(
            &outsider,
            "/api/v1/courses/rules",
            json!({"course_id": id, "topic": "X basics", "threshold": 60})
        )
        .await
        .0,
        422
    );
    assert_eq!(a.get(&outsider, "/api/v1/courses").await.1["items"], json!([]));
    assert_eq!(a.get(&ada, "/api/v1/courses/not-a-uuid").await.0, 404);
    assert_eq!(a.post(&eve, &c(&format!("/lessons/{}/done", uuid::Uuid::now_v7())), json!({})).await.0, 404);

    // Bad input: 422 with the field named, never a 500.
    let bad: Vec<(&str, String, Value, &str)> = vec![
        ("empty title", "/api/v1/courses".into(), json!({"title": "  "}), "title"),
        ("long title", "/api/v1/courses".into(), json!({"title": "t".repeat(201)}), "title"),
        (
            "long audience",
            "/api/v1/courses".into(),
            json!({"title": "T", "audience": "a".repeat(121)}),
            "audience",
        ),
        ("pass mark 0", "/api/v1/courses".into(), json!({"title": "T", "pass_mark": 0}), "pass_mark"),
        ("pass mark 101", "/api/v1/courses".into(), json!({"title": "T", "pass_mark": 101}), "pass_mark"),
        ("empty lesson", c("/lessons"), json!({"title": "L", "body": " "}), "body"),
        ("one option", c("/quiz"), json!({"prompt": "Q", "options": ["a", " "], "correct": 0}), "options"),
        (
            "correct out of range",
            c("/quiz"),
            json!({"prompt": "Q", "options": ["a", "b"], "correct": 2}),
            "correct",
        ),
        (
            "negative correct",
            c("/quiz"),
            json!({"prompt": "Q", "options": ["a", "b"], "correct": -1}),
            "correct",
        ),
        ("no correct", c("/quiz"), json!({"prompt": "Q", "options": ["a", "b"]}), "correct"),
        ("too few answers", c("/attempts"), json!({"answers": [1]}), "answers"),
        ("too many answers", c("/attempts"), json!({"answers": [1, 1, 1]}), "answers"),
        ("no such option", c("/attempts"), json!({"answers": [1, 2]}), "answers"),
        ("nobody", c("/assignments"), json!({}), "user_ids"),
        (
            "unknown department",
            c("/assignments"),
            json!({"department_id": uuid::Uuid::now_v7()}),
            "department_id",
        ),
        ("unknown person", c("/assignments"), json!({"user_ids": [uuid::Uuid::now_v7()]}), "user_ids"),
        ("long reason", c("/assignments"), json!({"everyone": true, "reason": "r".repeat(301)}), "reason"),
        (
            "threshold 0",
            "/api/v1/courses/rules".into(),
            json!({"course_id": id, "topic": "X basics", "threshold": 0}),
            "threshold",
        ),
        (
            "threshold 101",
            "/api/v1/courses/rules".into(),
            json!({"course_id": id, "topic": "X basics", "threshold": 101}),
            "threshold",
        ),
        (
            "unknown course",
            "/api/v1/courses/rules".into(),
            json!({"course_id": uuid::Uuid::now_v7(), "topic": "X basics", "threshold": 60}),
            "course_id",
        ),
        (
            "topic not taught",
            "/api/v1/courses/rules".into(),
            json!({"course_id": id, "topic": "LinkedIn", "threshold": 60}),
            "topic",
        ),
    ];
    for (what, path, body, field) in bad {
        let token = if path.ends_with("/attempts") { &eve } else { &ada };
        let (s, problem) = a.post(token, &path, body).await;
        assert_eq!(s, 422, "{what}: {problem}");
        assert!(
            problem["errors"].as_array().is_some_and(|e| e.iter().any(|e| e["field"] == field)),
            "{what}: {problem}"
        );
    }
    // Someone's own answers from an employee token, or another person's user id in another org.
    let other_person = t.person(other, "p@other.test", "employee", None, PASSWORD).await;
    assert_eq!(a.post(&ada, &c("/assignments"), json!({"user_ids": [other_person]})).await.0, 422);
    let (s, _) = a.post(&ada, &c("/assignments"), json!({"user_ids": ["nope"]})).await;
    assert_eq!(s, 422, "a malformed id is bad input");
    assert_eq!(t.count_rows("course_assignments").await + t.count_rows("quiz_attempts").await, 0);
    // A course without a quiz cannot be attempted, and is completed by its lessons.
    let (_, bare) = a.post(&ada, "/api/v1/courses", json!({"title": "Reading only"})).await;
    let bare_id = bare["id"].as_str().expect("id");
    assert_eq!(
        a.post(&eve, &format!("/api/v1/courses/{bare_id}/attempts"), json!({"answers": []})).await.0,
        409
    );
    let (_, seen) = a.get(&eve, &format!("/api/v1/courses/{bare_id}")).await;
    assert_eq!(seen["progress"]["completed"], false, "an empty course is not completed: {seen}");
    let (_, lesson) = a
        .post(&ada, &format!("/api/v1/courses/{bare_id}/lessons"), json!({"title": "Read", "body": "This."}))
        .await;
    let lesson = lesson["id"].as_str().expect("id");
    let (_, p) = a.post(&eve, &format!("/api/v1/courses/{bare_id}/lessons/{lesson}/done"), json!({})).await;
    assert_eq!(p["completed"], true, "{p}");

    // The pages say what is wrong, readably, with a 422.
    let admin = t.sign_in("ada@acme.test", PASSWORD).await;
    let html = admin.get(t.url("/training")).send().await.expect("GET").text().await.expect("html");
    let csrf = csrf_of(&html);
    let res = admin
        .post(t.url("/training"))
        .form(&[("csrf", csrf.as_str()), ("title", " "), ("pass_mark", "abc")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("Pass mark must be a whole number"), "{html}");
    let res = admin
        .post(t.url("/training"))
        .form(&[("csrf", csrf.as_str()), ("title", " "), ("pass_mark", "120")])
        .send()
        .await
        .expect("POST");
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Title a course needs a title") && html.contains("Pass mark must be a whole percent"),
        "{html}"
    );
    let res = admin
        .post(t.url(&format!("/training/{id}/quiz")))
        .form(&[("csrf", csrf.as_str()), ("prompt", "Q"), ("options", "a\nb"), ("correct", "5")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Correct must be one of the options"));
    let res = admin
        .post(t.url("/training/rules"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("course_id", id.as_str()),
            ("topic", "X basics"),
            ("threshold", "0"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    let res = admin
        .post(t.url(&format!("/training/{id}/assign")))
        .form(&[("csrf", csrf.as_str()), ("target", "everyone"), ("reason", "Onboarding")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    assert_eq!(t.count_rows("course_assignments").await, 3, "everyone active in Acme");
    let employee = t.sign_in("eve@acme.test", PASSWORD).await;
    let res = employee
        .post(t.url("/training"))
        .form(&[
            (
                "csrf",
                csrf_of(
                    &employee.get(t.url("/training")).send().await.expect("GET").text().await.expect("html"),
                )
                .as_str(),
            ),
            ("title", "Mine"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
    let res = employee.get(t.url(&format!("/training/{id}/report"))).send().await.expect("GET");
    assert_eq!(res.status(), 403);
}
