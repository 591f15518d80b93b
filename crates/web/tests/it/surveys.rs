//! The anonymous knowledge survey (issue 6), over HTTP: participation, k-suppression (with
//! differencing), the gap analysis, bad input, and anonymity checked against every table.

use chorus_domain::UserId;
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

const PASSWORD: &str = "correct horse battery staple";

struct Member {
    id: UserId,
    email: String,
    token: String,
}

struct World {
    t: TestApp,
    api: reqwest::Client,
    admin: String,
    people: Vec<Member>,
    departments: HashMap<String, String>,
}

impl World {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let res = self.api.post(self.t.url(path)).bearer_auth(token).json(&body).send().await.expect("POST");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self.api.get(self.t.url(path)).bearer_auth(token).send().await.expect("GET");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let res = self.api.put(self.t.url(path)).bearer_auth(token).json(&body).send().await.expect("PUT");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// An organization of `groups` = (department, seniority, how many); the first person is an
/// admin (and answers like everyone else).
async fn world(groups: &[(&str, i64, usize)]) -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let api = reqwest::Client::new();
    let mut people = Vec::new();
    let mut plan = Vec::new();
    for (department, seniority, n) in groups {
        for _ in 0..*n {
            let i = plan.len();
            let email = format!("p{i}@acme.test");
            let role = if i == 0 { "admin" } else { "employee" };
            let id = t.person(org, &email, role, Some(department), PASSWORD).await;
            plan.push((id, *seniority));
            let token = t.token(org, &email).await;
            people.push(Member { id, email, token });
        }
    }
    let admin = people[0].token.clone();
    for (id, seniority) in plan {
        let res = api
            .patch(t.url(&format!("/api/v1/users/{id}")))
            .bearer_auth(&admin)
            .json(&json!({"seniority": seniority}))
            .send()
            .await
            .expect("PATCH");
        assert_eq!(res.status(), 200, "set seniority");
    }
    let res = api.get(t.url("/api/v1/departments")).bearer_auth(&admin).send().await.expect("GET");
    let list: Value = res.json().await.expect("departments");
    let departments = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| (d["name"].as_str().expect("name").to_owned(), d["id"].as_str().expect("id").to_owned()))
        .collect();
    World { t, api, admin, people, departments }
}

/// Creates and opens a survey from the baseline template; returns its id and questions.
async fn open_survey(w: &World) -> (String, Vec<Value>) {
    let (s, created) =
        w.post(&w.admin, "/api/v1/surveys", json!({"title": "Social media basics", "template": true})).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (s, opened) = w.post(&w.admin, &format!("/api/v1/surveys/{id}/open"), json!({})).await;
    assert_eq!((s, opened["status"].as_str()), (200, Some("open")), "{opened}");
    let (_, survey) = w.get(&w.admin, &format!("/api/v1/surveys/{id}")).await;
    (id, survey["questions"].as_array().expect("questions").clone())
}

/// Answers for person `i`: X basics wrong for most, everything else right; a marker in the
/// open text to follow the answer through the database.
fn answers(questions: &[Value], i: usize) -> Value {
    let items: Vec<Value> = questions
        .iter()
        .filter(|q| !q["retired"].as_bool().unwrap_or(false))
        .map(|q| {
            let id = q["id"].clone();
            let prompt = q["prompt"].as_str().unwrap_or_default();
            match q["kind"].as_str() {
                Some("text") => json!({"question_id": id, "text": format!("marker-{i:03} more time")}),
                Some("yes_no") => json!({"question_id": id, "option": i % 2, "text": "<b>because</b>"}),
                Some("likert") => json!({"question_id": id, "option": i % 5}),
                _ if prompt.contains("characters") => {
                    json!({"question_id": id, "option": if i.is_multiple_of(4) { 1 } else { 0 }})
                }
                _ => json!({"question_id": id, "option": 1}),
            }
        })
        .collect();
    json!({ "answers": items })
}

#[tokio::test]
async fn twenty_people_full_participation_small_groups_hidden_weakest_topic_named() {
    // Sales 9 (5 early career, 4 senior), Engineering 7 (experienced), Legal 4 (senior).
    let w = world(&[("Sales", 2, 5), ("Sales", 4, 4), ("Engineering", 3, 7), ("Legal", 4, 4)]).await;
    let (id, questions) = open_survey(&w).await;
    assert_eq!(questions.len(), 11);
    assert!(questions[0]["correct"].is_number(), "managers see the correct answer");
    let (_, seen) = w.get(&w.people[3].token, &format!("/api/v1/surveys/{id}")).await;
    assert!(seen["questions"][0]["correct"].is_null(), "respondents do not");

    for (i, p) in w.people.iter().enumerate() {
        let (s, body) =
            w.post(&p.token, &format!("/api/v1/surveys/{id}/responses"), answers(&questions, i)).await;
        assert_eq!(s, 201, "{} answers: {body}", p.email);
        assert_eq!(body, json!({"status": "recorded"}), "nothing identifying comes back");
    }
    let (s, part) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/participation")).await;
    assert_eq!(s, 200);
    assert_eq!(part["overall"]["percent"], 100, "{part}");
    assert_eq!(part["overall"]["answered"], 20);
    for d in part["by_department"].as_array().expect("departments") {
        assert_eq!(d["percent"], 100, "{d}");
    }
    assert!(part["not_yet"].as_array().expect("list").is_empty());
    assert!(!part.to_string().contains("marker-"), "participation never shows an answer");

    // No results while answers come in: a report that changes as one person answers would
    // tell what they said.
    let (s, body) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/report")).await;
    assert_eq!(s, 409, "{body}");

    let (s, _) = w.post(&w.admin, &format!("/api/v1/surveys/{id}/close"), json!({})).await;
    assert_eq!(s, 200);
    let (s, report) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/report")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["responses"], 20);
    let keys: Vec<&str> = report["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["key"].as_str().expect("key"))
        .collect();
    let sales = format!("d:{}", w.departments["Sales"]);
    // Legal (4 people) never kept its department; Engineering (7) is hidden as well, since
    // 20 − Sales 9 − Engineering 7 would give the 4 from Legal away. Seniors: the 4 senior
    // people in Sales kept only their department (Sales × senior is under 5), so the band holds
    // Legal's 4 and is hidden.
    assert_eq!(keys, vec!["all", sales.as_str(), "b:early", "b:experienced"], "{report}");
    assert_eq!(report["hidden_groups"], 2);
    assert_eq!(report["weakest_topic"], "X basics", "{report}");
    let x = &report["topics"][0];
    assert_eq!(
        (x["topic"].as_str(), x["scores"][0].as_i64()),
        (Some("X basics"), Some(25)),
        "5 of 20 right: {x}"
    );

    // No subtraction isolates fewer than k: for every question, everyone minus the shown
    // departments (and minus the shown bands) is 0 or at least 5.
    for q in report["questions"].as_array().expect("questions") {
        for prefix in ["d:", "b:"] {
            let mut all = 0;
            let mut shown = 0;
            for o in q["options"].as_array().expect("options") {
                all += o["counts"][0].as_i64().unwrap_or(0);
                for (ci, key) in keys.iter().enumerate() {
                    if key.starts_with(prefix) {
                        shown += o["counts"][ci].as_i64().unwrap_or(0);
                    }
                }
            }
            let rest = all - shown;
            assert!(rest == 0 || rest >= 5, "{prefix} remainder {rest} in {q}");
        }
    }

    // Asking for a group directly: refused when it is under k, or hidden to protect another.
    for name in ["Engineering", "Legal"] {
        let (s, body) =
            w.get(&w.admin, &format!("/api/v1/surveys/{id}/report?department={}", w.departments[name])).await;
        assert_eq!(s, 403, "{name}: {body}");
        assert!(body["detail"].as_str().unwrap_or_default().contains("fewer responses"), "{body}");
    }
    let (s, body) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/report?band=senior")).await;
    assert_eq!(s, 403, "{body}");
    let (s, only) =
        w.get(&w.admin, &format!("/api/v1/surveys/{id}/report?department={}", w.departments["Sales"])).await;
    assert_eq!(s, 200, "{only}");
    assert_eq!(only["columns"].as_array().map(Vec::len), Some(1));
    assert_eq!(only["responses"], 20);
    let (s, _) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/report?band=nobody")).await;
    assert_eq!(s, 422);

    // Training from the gap: a course teaching X basics, a rule (below 60 %), applied by the
    // admin. Sales (33 %), early career (40 %) and experienced (14 %) are below it: their 16
    // people get the course; Legal's four, hidden in every group, are not singled out.
    let (s, course) = w
        .post(
            &w.admin,
            "/api/v1/courses",
            json!({"title": "X in ten minutes", "description": "Posts, threads, limits",
        "audience": "New to social media", "topics": ["X basics"]}),
        )
        .await;
    assert_eq!(s, 201, "{course}");
    let (s, rule) = w
        .post(
            &w.admin,
            "/api/v1/courses/rules",
            json!({"course_id": course["id"], "topic": "X basics", "threshold": 60}),
        )
        .await;
    assert_eq!(s, 201, "{rule}");
    let (s, applied) = w.post(&w.admin, "/api/v1/courses/rules/apply", json!({"survey_id": id})).await;
    assert_eq!(s, 200, "{applied}");
    let groups: Vec<(&str, i64)> = applied["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (g["key"].as_str().expect("key"), g["score"].as_i64().expect("score")))
        .collect();
    assert_eq!(groups, vec![(sales.as_str(), 33), ("b:early", 40), ("b:experienced", 14)], "{applied}");
    assert_eq!(applied["assigned"], 16);
    let assigned: Vec<String> = applied["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["assigned"].as_array().cloned().unwrap_or_default())
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    for legal in &w.people[16..] {
        assert!(
            !assigned.contains(&legal.id.0.to_string()),
            "{} is not in a group with the gap",
            legal.email
        );
    }

    // The page shows the gap chart, with the weakest topic highlighted and HTML escaped.
    let browser = w.t.sign_in(&w.people[0].email, PASSWORD).await;
    let page = browser.get(w.t.url(&format!("/surveys/{id}/report"))).send().await.expect("GET");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"id="gap-chart""#), "the gap chart is drawn");
    assert!(html.contains("Weakest topic: <strong>X basics</strong>"));
    assert!(html.contains("&#60;b&#62;because") && !html.contains("<b>because"), "texts are escaped");
    // Employees see neither participation nor results.
    let (s, _) = w.get(&w.people[5].token, &format!("/api/v1/surveys/{id}/report")).await;
    assert_eq!(s, 403);
    let (s, _) = w.get(&w.people[5].token, &format!("/api/v1/surveys/{id}/participation")).await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn surveys_refuse_bad_answers_and_edits_of_answered_questions() {
    let w = world(&[("Sales", 2, 6)]).await;
    let (id, questions) = open_survey(&w).await;
    let responses = format!("/api/v1/surveys/{id}/responses");
    let eve = &w.people[1].token;

    // Forged, repeated and missing answers.
    let mut forged = answers(&questions, 1);
    forged["answers"][0]["question_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(w.post(eve, &responses, forged).await.0, 422);
    let mut twice = answers(&questions, 1);
    let first = twice["answers"][0].clone();
    twice["answers"][1] = first;
    assert_eq!(w.post(eve, &responses, twice).await.0, 422);
    let mut missing = answers(&questions, 1);
    missing["answers"].as_array_mut().expect("list").remove(0);
    let (s, body) = w.post(eve, &responses, missing).await;
    assert_eq!(s, 422, "{body}");
    let mut bad_option = answers(&questions, 1);
    bad_option["answers"][0]["option"] = json!(17);
    assert_eq!(w.post(eve, &responses, bad_option).await.0, 422);
    assert_eq!(w.t.count_rows("survey_participation").await, 0, "nothing recorded for refused answers");

    // Once only.
    assert_eq!(w.post(eve, &responses, answers(&questions, 1)).await.0, 201);
    let (s, body) = w.post(eve, &responses, answers(&questions, 1)).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(w.t.count_rows("survey_ballots").await + w.t.count_rows("survey_responses").await, 1);

    // An answered question cannot change: refused with the reason, retire it instead.
    let q0 = questions[0]["id"].as_str().expect("id");
    let edit = json!({"kind": "choice", "prompt": "Changed?", "options": ["a", "b"], "correct": 0});
    let (s, body) = w.put(&w.admin, &format!("/api/v1/surveys/{id}/questions/{q0}"), edit.clone()).await;
    assert_eq!(s, 409, "{body}");
    assert!(body["detail"].as_str().unwrap_or_default().contains("retire"), "{body}");
    let (s, body) = w
        .post(&w.admin, &format!("/api/v1/surveys/{id}/questions/{q0}/retire"), json!({"replacement": edit}))
        .await;
    assert_eq!(s, 200, "{body}");
    let new_id = body["replacement"]["id"].as_str().expect("new version").to_owned();
    let (_, survey) = w.get(&w.admin, &format!("/api/v1/surveys/{id}")).await;
    let now_asked = survey["questions"].as_array().expect("questions").clone();
    assert!(now_asked.iter().any(|q| q["id"] == json!(q0) && q["retired"] == json!(true)));
    assert!(now_asked.iter().any(|q| q["id"] == json!(new_id) && q["replaces"] == json!(q0)));
    // Answers to the retired question are now refused; the new version is asked.
    let (s, _) = w.post(&w.people[2].token, &responses, answers(&questions, 2)).await;
    assert_eq!(s, 422, "the retired question is no longer asked");
    let (s, body) = w.post(&w.people[2].token, &responses, answers(&now_asked, 2)).await;
    assert_eq!(s, 201, "{body}");

    // Only admins write surveys; a draft is invisible to others.
    let (s, _) = w.post(eve, "/api/v1/surveys", json!({"title": "Mine"})).await;
    assert_eq!(s, 403);
    let (_, draft) = w.post(&w.admin, "/api/v1/surveys", json!({"title": "Draft", "k": 3})).await;
    assert_eq!(draft["detail"].as_str().map(|d| d.contains("k")), Some(true), "k only goes up: {draft}");
    let (s, draft) = w.post(&w.admin, "/api/v1/surveys", json!({"title": "Draft"})).await;
    assert_eq!(s, 201);
    let draft_id = draft["id"].as_str().expect("id");
    assert_eq!(w.get(eve, &format!("/api/v1/surveys/{draft_id}")).await.0, 404);
    assert_eq!(
        w.post(eve, &format!("/api/v1/surveys/{draft_id}/responses"), json!({"answers": []})).await.0,
        404
    );
    let (s, body) = w.post(&w.admin, &format!("/api/v1/surveys/{draft_id}/open"), json!({})).await;
    assert_eq!(s, 409, "no questions yet: {body}");

    // Another organization's survey does not exist for us.
    let (other, _) = w.t.org("Other").await;
    w.t.person(other, "o@other.test", "admin", None, PASSWORD).await;
    let outsider = w.t.token(other, "o@other.test").await;
    assert_eq!(w.get(&outsider, &format!("/api/v1/surveys/{id}")).await.0, 404);
    assert_eq!(w.post(&outsider, &responses, answers(&now_asked, 9)).await.0, 404);
    assert_eq!(w.get(&outsider, &format!("/api/v1/surveys/{id}/participation")).await.0, 404);

    // Closed: no more answers.
    assert_eq!(w.post(&w.admin, &format!("/api/v1/surveys/{id}/close"), json!({})).await.0, 200);
    let (s, body) = w.post(&w.people[3].token, &responses, answers(&now_asked, 3)).await;
    assert_eq!(s, 409, "{body}");
    // Two answers are fewer than k: the report holds only the count.
    let (s, report) = w.get(&w.admin, &format!("/api/v1/surveys/{id}/report")).await;
    assert_eq!(s, 200);
    assert_eq!(
        (report["responses"].as_i64(), report["topics"].as_array().map(Vec::len)),
        (Some(2), Some(0)),
        "{report}"
    );
    assert!(!report.to_string().contains("marker-"), "no texts under k");
}

/// Every row of every table, as text (SQLite: quote() of each column; PostgreSQL: row_to_json).
async fn dump(t: &TestApp) -> BTreeMap<String, Vec<String>> {
    let mut conn = t.app.store.conn().await.expect("conn");
    let mut out = BTreeMap::new();
    match chorus_store::Db::ex(&mut conn) {
        chorus_store::Ex::Sqlite(c) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
            )
            .fetch_all(&mut *c)
            .await
            .expect("tables");
            for table in tables {
                let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "select name from pragma_table_info('{table}')"
                )))
                .fetch_all(&mut *c)
                .await
                .expect("columns");
                let expr: Vec<String> = columns.iter().map(|c| format!("quote(\"{c}\")")).collect();
                let sql = format!("select {} from \"{table}\"", expr.join(" || '|' || "));
                let rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await.expect("rows");
                out.insert(table, rows);
            }
        }
        chorus_store::Ex::Postgres(c) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "select table_name::text from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut *c)
            .await
            .expect("tables");
            for table in tables {
                let sql = format!("select row_to_json(t)::text from \"{table}\" t");
                let rows: Vec<String> =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *c).await.expect("rows");
                out.insert(table, rows);
            }
        }
    }
    out
}

#[tokio::test]
async fn no_response_can_be_tied_to_a_participant_from_the_database() {
    let w = world(&[("Sales", 2, 8), ("Engineering", 3, 6)]).await;
    let (id, questions) = open_survey(&w).await;
    // Answers arrive in a known order, each with a marker naming its arrival position.
    for (i, p) in w.people.iter().enumerate() {
        w.t.clock.advance(time::Duration::seconds(7));
        let (s, _) =
            w.post(&p.token, &format!("/api/v1/surveys/{id}/responses"), answers(&questions, i)).await;
        assert_eq!(s, 201);
    }
    // Ten moved in one batch already; the rest wait until the survey closes.
    assert_eq!(w.t.count_rows("survey_responses").await, 10);
    assert_eq!(w.t.count_rows("survey_ballots").await, 4);
    assert_eq!(w.post(&w.admin, &format!("/api/v1/surveys/{id}/close"), json!({})).await.0, 200);
    assert_eq!(w.t.count_rows("survey_ballots").await, 0);
    assert_eq!(w.t.count_rows("survey_responses").await, 14);

    let tables = dump(&w.t).await;
    // Everything that could name a participant, in both spellings of an id.
    let mut identities: Vec<String> = Vec::new();
    for p in &w.people {
        identities.push(p.id.0.to_string());
        identities.push(p.id.0.simple().to_string().to_uppercase());
        identities.push(p.email.clone());
    }
    let mut marker_rows = 0;
    for (table, rows) in &tables {
        for row in rows {
            if !row.contains("marker-") {
                continue;
            }
            marker_rows += 1;
            assert!(table.starts_with("survey_"), "an answer leaked into {table}: {row}");
            for who in &identities {
                assert!(!row.contains(who.as_str()), "{table} ties an answer to {who}: {row}");
            }
        }
    }
    assert_eq!(marker_rows, 28, "each answer once in survey_responses and once in survey_texts");
    // Response rows hold no time (no value near the test clock) and random (v4) ids.
    let now_ms = w.t.app.now().unix_timestamp();
    for table in
        ["survey_responses", "survey_texts", "survey_participation", "survey_group_counts", "survey_tallies"]
    {
        for row in &tables[table] {
            assert!(!row.contains(&now_ms.to_string()[..6]), "{table} holds a time: {row}");
        }
    }
    // Neither the responses nor the texts come out in arrival order, and participation
    // comes out in the order of people's ids (SQLite) or arrival (PostgreSQL), which ties to
    // nothing on the response side.
    let order = |rows: &[String]| -> Vec<usize> {
        rows.iter()
            .filter_map(|r| r.split("marker-").nth(1).and_then(|m| m.get(..3)).and_then(|n| n.parse().ok()))
            .collect()
    };
    for table in ["survey_responses", "survey_texts"] {
        let seen = order(&tables[table]);
        assert_eq!(seen.len(), 14);
        let arrival: Vec<usize> = (0..14).collect();
        let reversed: Vec<usize> = (0..14).rev().collect();
        assert!(seen != arrival && seen != reversed, "{table} keeps arrival order: {seen:?}");
    }
    // No audit entry records the moment someone answered.
    for row in &tables["audit_events"] {
        assert!(!row.contains("survey.respon") && !row.contains("survey.answer"), "{row}");
    }
    // PostgreSQL: a response's transaction is never its participant's, and each transaction
    // that wrote responses wrote at least k of them.
    let mut conn = w.t.app.store.conn().await.expect("conn");
    if let chorus_store::Ex::Postgres(c) = chorus_store::Db::ex(&mut conn) {
        let responses: Vec<String> = sqlx::query_scalar("select xmin::text from survey_responses")
            .fetch_all(&mut *c)
            .await
            .expect("xmin");
        let participation: Vec<String> = sqlx::query_scalar("select xmin::text from survey_participation")
            .fetch_all(&mut *c)
            .await
            .expect("xmin");
        let mut batches: BTreeMap<String, usize> = BTreeMap::new();
        for x in &responses {
            assert!(!participation.contains(x), "a response shares its participant's transaction");
            *batches.entry(x.clone()).or_default() += 1;
        }
        assert!(batches.values().all(|n| *n >= 4), "batches: {batches:?}");
        assert_eq!(batches.values().sum::<usize>(), 14);
    }
}

#[tokio::test]
async fn a_person_answers_through_the_page_with_csrf_and_sees_what_is_stored() {
    let w = world(&[("Sales", 2, 5)]).await;
    let (id, questions) = open_survey(&w).await;
    let browser = w.t.sign_in(&w.people[2].email, PASSWORD).await;
    let page = browser.get(w.t.url(&format!("/surveys/{id}"))).send().await.expect("GET");
    let html = page.text().await.expect("html");
    assert!(
        html.contains("What is stored") && html.contains("no name, no e-mail, no id and no"),
        "the privacy note is plain"
    );
    let csrf = csrf_of(&html);
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for q in &questions {
        let qid = q["id"].as_str().expect("id");
        match q["kind"].as_str() {
            Some("text") => form.push((format!("t-{qid}"), "<script>alert(1)</script>".into())),
            _ => form.push((format!("q-{qid}"), "1".into())),
        }
    }
    // Without the CSRF token: refused.
    let no_csrf: Vec<(String, String)> = form.iter().filter(|(k, _)| k != "csrf").cloned().collect();
    let res =
        browser.post(w.t.url(&format!("/surveys/{id}/answer"))).form(&no_csrf).send().await.expect("POST");
    assert_eq!(res.status(), 403);
    // One question left out: the page says which, nothing is stored.
    let partial: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| !k.ends_with(questions[0]["id"].as_str().expect("id")))
        .cloned()
        .collect();
    let res =
        browser.post(w.t.url(&format!("/surveys/{id}/answer"))).form(&partial).send().await.expect("POST");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("html").contains("question 1 needs an answer"));
    assert_eq!(w.t.count_rows("survey_participation").await, 0);
    let res = browser.post(w.t.url(&format!("/surveys/{id}/answer"))).form(&form).send().await.expect("POST");
    assert_eq!(res.status(), 303);
    let next = res.headers()["location"].to_str().expect("location").to_owned();
    let html = browser.get(w.t.url(&next)).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("You have answered this survey"), "{html}");
    assert_eq!(w.t.count_rows("survey_participation").await, 1);
    // The survey list no longer asks.
    let list = browser.get(w.t.url("/surveys")).send().await.expect("GET").text().await.expect("html");
    assert!(!list.contains("Waiting for your answers"));
}

#[tokio::test]
async fn the_same_person_answering_many_times_at_once_is_counted_once() {
    let w = world(&[("Sales", 2, 6)]).await;
    let (id, questions) = open_survey(&w).await;
    let path = format!("/api/v1/surveys/{id}/responses");
    let sends = (0..6).map(|_| w.post(&w.people[1].token, &path, answers(&questions, 1)));
    let statuses: Vec<u16> = futures_join(sends).await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
    assert_eq!(w.t.count_rows("survey_participation").await, 1);
    assert_eq!(w.t.count_rows("survey_ballots").await + w.t.count_rows("survey_responses").await, 1);
}

/// Runs the futures concurrently and collects their results in order.
async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    let mut out = Vec::with_capacity(set.len());
    // Poll all at once: each is an HTTP request to the same server.
    let pinned: Vec<std::pin::Pin<Box<F>>> = set.into_iter().map(Box::pin).collect();
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = pinned.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot
                && let std::task::Poll::Ready(v) = f.as_mut().poll(cx)
            {
                results[i] = Some(v);
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}
