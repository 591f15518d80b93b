//! Recognition (issue 7): points paid exactly once, redemptions that cannot overspend,
//! shout-outs with their bad input, reactions, the leaderboard and its opt-out, over HTTP.

use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    api: reqwest::Client,
    org: chorus_domain::OrgId,
    ada: String,
    sam: String,
    eve: String,
    eve_id: String,
    sam_id: String,
}

async fn setup() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "ada@acme.test", "admin", Some("Marketing"), PASSWORD).await;
    let sam_id = t.person(org, "sam@acme.test", "social", Some("Marketing"), PASSWORD).await;
    let eve_id = t.person(org, "eve@acme.test", "employee", Some("Field"), PASSWORD).await;
    let ada = t.token(org, "ada@acme.test").await;
    let sam = t.token(org, "sam@acme.test").await;
    let eve = t.token(org, "eve@acme.test").await;
    World {
        t,
        api: reqwest::Client::new(),
        org,
        ada,
        sam,
        eve,
        eve_id: eve_id.to_string(),
        sam_id: sam_id.to_string(),
    }
}

impl World {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::PUT, token, path, Some(body)).await
    }

    /// An article by Eve, handed in and approved by Sam.
    async fn approved(&self, title: &str) -> String {
        let (s, d) = self
            .post(
                &self.eve,
                "/api/v1/submissions",
                json!({"kind": "article", "title": title, "body": "Come and see the new depot",
                    "link": "https://example.com/depot"}),
            )
            .await;
        assert_eq!(s, 201, "{d}");
        let id = d["id"].as_str().expect("id").to_owned();
        assert_eq!(self.post(&self.eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await.0, 200);
        let (s, v) = self
            .post(
                &self.sam,
                &format!("/api/v1/submissions/{id}/decision"),
                json!({"decision": "approve", "comment": ""}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        id
    }

    async fn points_of_eve(&self) -> Value {
        let (s, p) = self.get(&self.eve, "/api/v1/points").await;
        assert_eq!(s, 200, "{p}");
        p
    }
}

/// Empties the points tables, as for an organization whose history predates the points
/// programme (or a restore of a backup made before it).
async fn forget_all_points(t: &TestApp) {
    let mut conn = t.app.store.write().await.expect("write");
    for table in ["point_ledger", "point_totals", "point_balances"] {
        let sql = format!("delete from {table}");
        match chorus_store::Db::ex(&mut conn) {
            chorus_store::Ex::Sqlite(c) => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(drop),
            chorus_store::Ex::Postgres(c) => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await.map(drop),
        }
        .expect("delete");
    }
}

fn events(points: &Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = points["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (r["event"].as_str().unwrap_or_default().to_owned(), r["points"].as_i64().unwrap_or_default())
        })
        .collect();
    out.sort();
    out
}

/// Acceptance 1: a submission approved and shared pays the configured points exactly once,
/// even when the events are replayed (shared again to another network, the replay run twice).
#[tokio::test]
async fn approval_and_share_pay_the_configured_points_exactly_once_even_when_replayed() {
    let w = setup().await;
    // The admin sets the weights; an employee may not.
    let (s, r) = w.put(&w.ada, "/api/v1/points/rules/contribution.approved", json!({"points": 25})).await;
    assert_eq!((s, r["points"].as_i64()), (200, Some(25)), "{r}");
    assert_eq!(w.put(&w.ada, "/api/v1/points/rules/content.shared", json!({"points": 7})).await.0, 200);
    assert_eq!(w.put(&w.eve, "/api/v1/points/rules/content.shared", json!({"points": 700})).await.0, 403);

    let id = w.approved("Open day at the depot").await;
    for network in ["linkedin", "x", "linkedin"] {
        let (s, share) =
            w.post(&w.eve, "/api/v1/shares", json!({"submission_id": id, "network": network})).await;
        assert_eq!(s, 201, "{share}");
    }
    let expected = vec![
        ("content.shared".to_owned(), 7),
        ("contribution.approved".to_owned(), 25),
        ("contribution.submitted".to_owned(), 5),
    ];
    let p = w.points_of_eve().await;
    assert_eq!(events(&p), expected, "{p}");
    assert_eq!((p["balance"].as_i64(), p["earned"].as_i64()), (Some(37), Some(37)));

    // Replays re-derive every payment from what is stored: nothing is paid twice.
    for _ in 0..2 {
        let (s, r) = w.post(&w.ada, "/api/v1/points/replay", json!({})).await;
        assert_eq!((s, r["paid"].as_u64()), (200, Some(0)), "{r}");
    }
    assert_eq!(w.post(&w.eve, "/api/v1/points/replay", json!({})).await.0, 403);
    let p = w.points_of_eve().await;
    assert_eq!(events(&p), expected);
    assert_eq!(p["balance"].as_i64(), Some(37));
    // History that predates the programme is paid by the replay exactly once.
    forget_all_points(&w.t).await;
    assert_eq!(w.points_of_eve().await["balance"], 0);
    let (_, r) = w.post(&w.ada, "/api/v1/points/replay", json!({})).await;
    assert_eq!(r["paid"].as_u64(), Some(3), "{r}");
    let (_, r) = w.post(&w.ada, "/api/v1/points/replay", json!({})).await;
    assert_eq!(r["paid"].as_u64(), Some(0), "{r}");
    let p = w.points_of_eve().await;
    assert_eq!(events(&p), expected);
    assert_eq!(p["balance"].as_i64(), Some(37));
    let badges: Vec<&str> =
        p["badges"].as_array().expect("badges").iter().filter_map(|b| b["key"].as_str()).collect();
    assert_eq!(badges, ["first-contribution"]);

    // The leaderboard shows Eve's month; Sam's approval earned Sam nothing.
    let (s, board) = w.get(&w.eve, "/api/v1/leaderboard?period=month").await;
    assert_eq!(s, 200, "{board}");
    assert_eq!(board["items"][0]["user"]["id"], json!(w.eve_id));
    assert_eq!(board["items"][0]["points"], 37);
    assert_eq!(board["items"].as_array().map(Vec::len), Some(1));
    let (s, bad) = w.get(&w.eve, "/api/v1/leaderboard?period=decade").await;
    assert_eq!(s, 400, "{bad}");
}

/// Ten human clicks on a share pay its sharer the first milestone once, however many roll-ups
/// run afterwards.
#[tokio::test]
async fn a_clicks_milestone_pays_the_sharer_once() {
    let w = setup().await;
    let id = w.approved("Trail report").await;
    let (_, share) =
        w.post(&w.eve, "/api/v1/shares", json!({"submission_id": id, "network": "linkedin"})).await;
    let code = share["code"].as_str().expect("code").to_owned();
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for i in 0..12 {
        let res = raw
            .get(w.t.url(&format!("/s/{code}")))
            .header("user-agent", format!("Mozilla/5.0 (Windows NT 10.0) Firefox/{i}"))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), 302);
    }
    // Clicks are written in the background within the flush interval.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while w.t.count_rows("clicks").await < 12 {
        assert!(std::time::Instant::now() < deadline, "clicks not written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..3 {
        w.t.clock.advance(time::Duration::hours(2));
        chorus_app::analytics::maintain(&w.t.app).await.expect("maintain");
    }
    let p = w.points_of_eve().await;
    let milestones: Vec<_> = events(&p).into_iter().filter(|(e, _)| e == "clicks.milestone").collect();
    assert_eq!(milestones, vec![("clicks.milestone".to_owned(), 10)], "{p}");
}

/// Acceptance 2: two redemptions at once against a balance that covers one: exactly one
/// succeeds, the balance never goes negative; a rejection refunds, once.
#[tokio::test]
async fn two_concurrent_redemptions_against_a_balance_that_covers_one_exactly_one_succeeds() {
    let w = setup().await;
    w.approved("Depot open day").await; // 5 + 20 = 25 points
    assert_eq!(w.points_of_eve().await["balance"], 25);
    let (s, reward) = w
        .post(
            &w.ada,
            "/api/v1/rewards",
            json!({"name": "Lunch with the CEO", "description": "On us", "cost": 20}),
        )
        .await;
    assert_eq!(s, 201, "{reward}");
    let rid = reward["id"].as_str().expect("id").to_owned();

    let url = w.t.url(&format!("/api/v1/rewards/{rid}/redemptions"));
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (api, url, token) = (w.api.clone(), url.clone(), w.eve.clone());
        attempts.spawn(async move {
            let res = api.post(url).bearer_auth(token).json(&json!({})).send().await.expect("POST");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        });
    }
    let results = attempts.join_all().await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 5, "{statuses:?}");
    let refused = results.iter().find(|(s, _)| *s == 409).map(|(_, b)| b.clone()).expect("a refusal");
    assert!(
        refused["detail"].as_str().unwrap_or_default().contains("costs 20 points and you have 5"),
        "{refused}"
    );
    assert_eq!(w.points_of_eve().await["balance"], 5);
    assert_eq!(w.t.count_rows("redemptions").await, 1);

    // The admin rejects it: the points come back, once.
    let (_, mine) = w.get(&w.eve, "/api/v1/rewards/redemptions").await;
    let req = mine["items"][0]["id"].as_str().expect("request").to_owned();
    let decision = format!("/api/v1/rewards/redemptions/{req}/decision");
    assert_eq!(w.post(&w.eve, &decision, json!({"decision": "approve"})).await.0, 403, "not for employees");
    let (s, d) = w.post(&w.ada, &decision, json!({"decision": "reject", "note": "Next quarter"})).await;
    assert_eq!((s, d["status"].as_str()), (200, Some("rejected")), "{d}");
    let (s, again) = w.post(&w.ada, &decision, json!({"decision": "approve"})).await;
    assert_eq!(s, 409, "{again}");
    let p = w.points_of_eve().await;
    assert_eq!(p["balance"], 25);
    assert_eq!(p["earned"], 25, "spending and refunds are not earnings");
    let (_, board) = w.get(&w.eve, "/api/v1/leaderboard?period=all").await;
    assert_eq!(board["items"][0]["points"], 25);

    // Bad catalog input is a 422 with the reason; a limited stock runs out.
    for bad in [
        json!({"name": "", "cost": 10}),
        json!({"name": "Mug", "cost": 0}),
        json!({"name": "Mug", "cost": -5}),
        json!({"name": "Mug", "cost": 10, "stock": -1}),
    ] {
        let (s, b) = w.post(&w.ada, "/api/v1/rewards", bad.clone()).await;
        assert_eq!(s, 422, "{bad} → {b}");
    }
    let (s, b) = w.post(&w.ada, "/api/v1/rewards", json!({"name": "Mug", "cost": 1.5})).await;
    assert!(s == 400 || s == 422, "non-integer cost: {s} {b}");
    let (_, mug) = w.post(&w.ada, "/api/v1/rewards", json!({"name": "Mug", "cost": 1, "stock": 1})).await;
    let mug = mug["id"].as_str().expect("mug").to_owned();
    assert_eq!(w.post(&w.eve, &format!("/api/v1/rewards/{mug}/redemptions"), json!({})).await.0, 201);
    let (s, b) = w.post(&w.eve, &format!("/api/v1/rewards/{mug}/redemptions"), json!({})).await;
    assert_eq!(s, 409, "{b}");
    assert!(b["detail"].as_str().unwrap_or_default().contains("out of stock"), "{b}");
    assert_eq!(w.points_of_eve().await["balance"], 24, "the refused request cost nothing");
}

/// Shout-outs: thanks in public, bad input refused with the reason, reactions once per person,
/// points once per thanking person per day, and nothing across organizations.
#[tokio::test]
async fn shoutouts_reach_the_wall_and_refuse_bad_input() {
    let w = setup().await;
    let item = w.approved("Storm clean-up").await;
    let (s, so) = w
        .post(
            &w.sam,
            "/api/v1/shoutouts",
            json!({"to_user_id": w.eve_id, "message": "  Nice job on that report <3 ",
            "submission_id": item}),
        )
        .await;
    assert_eq!(s, 201, "{so}");
    assert_eq!(so["message"], "Nice job on that report <3");
    assert_eq!(so["submission_title"], "Storm clean-up");
    let so_id = so["id"].as_str().expect("id").to_owned();
    // A second one the same day thanks again but pays once.
    assert_eq!(
        w.post(&w.sam, "/api/v1/shoutouts", json!({"to_user_id": w.eve_id, "message": "And the photos!"}))
            .await
            .0,
        201
    );
    let thanks = |p: &Value| events(p).into_iter().filter(|(e, _)| e == "shoutout.received").count();
    assert_eq!(thanks(&w.points_of_eve().await), 1);
    w.t.clock.advance(time::Duration::days(1));
    assert_eq!(
        w.post(&w.sam, "/api/v1/shoutouts", json!({"to_user_id": w.eve_id, "message": "Again!"})).await.0,
        201
    );
    assert_eq!(thanks(&w.points_of_eve().await), 2);

    // Eve's wall and the company feed; Eve was told.
    let (s, wall) = w.get(&w.ada, &format!("/api/v1/shoutouts?to={}", w.eve_id)).await;
    assert_eq!((s, wall["items"].as_array().map(Vec::len)), (200, Some(3)), "{wall}");
    let (_, wall) = w.get(&w.ada, &format!("/api/v1/shoutouts?to={}&limit=2", w.eve_id)).await;
    let next = wall["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, rest) = w.get(&w.ada, &format!("/api/v1/shoutouts?to={}&limit=2&cursor={next}", w.eve_id)).await;
    assert_eq!(rest["items"][0]["id"], json!(so_id), "the oldest comes last");
    let (_, notes) = w.get(&w.eve, "/api/v1/notifications").await;
    assert!(notes.to_string().contains("thanked you"), "{notes}");

    // Reactions: once per person and kind; taken back; unknown kinds refused.
    for _ in 0..2 {
        let (s, r) = w
            .post(&w.ada, &format!("/api/v1/shoutouts/{so_id}/reactions"), json!({"reaction": "clap"}))
            .await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["reactions"][0], json!({"reaction": "clap", "emoji": "👏", "count": 1, "mine": true}));
    }
    let (s, r) =
        w.t.api(reqwest::Method::DELETE, &w.ada, &format!("/api/v1/shoutouts/{so_id}/reactions/clap"), None)
            .await;
    assert_eq!((s, r["reactions"][0]["count"].as_i64()), (200, Some(0)));
    assert_eq!(
        w.post(&w.ada, &format!("/api/v1/shoutouts/{so_id}/reactions"), json!({"reaction": "thumbs_down"}))
            .await
            .0,
        422
    );

    // An item the thanking person may not see (Eve's draft, for Sam) cannot be named: the feed
    // is public, and would show its title.
    let (_, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "idea", "title": "Secret reorg plan", "body": "Draft"}),
        )
        .await;
    let draft = draft["id"].as_str().expect("draft").to_owned();
    let (s, b) = w
        .post(
            &w.sam,
            "/api/v1/shoutouts",
            json!({"to_user_id": w.eve_id, "message": "Thanks!", "submission_id": draft}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let (_, feed) = w.get(&w.ada, "/api/v1/shoutouts").await;
    assert!(!feed.to_string().contains("Secret reorg plan"));

    // Bad input.
    let (s, b) = w.post(&w.eve, "/api/v1/shoutouts", json!({"to_user_id": w.eve_id, "message": "Me!"})).await;
    assert_eq!(s, 422, "thanking oneself: {b}");
    for message in [json!(""), json!("   "), json!("x".repeat(501))] {
        let (s, b) =
            w.post(&w.eve, "/api/v1/shoutouts", json!({"to_user_id": w.sam_id, "message": message})).await;
        assert_eq!(s, 422, "{b}");
    }
    let (s, _) =
        w.post(&w.eve, "/api/v1/shoutouts", json!({"to_user_id": "not-a-uuid", "message": "Hi"})).await;
    assert!(s == 400 || s == 422, "{s}");
    let gus = w.t.person(w.org, "gus@acme.test", "employee", None, PASSWORD).await;
    let (s, b) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.ada,
            &format!("/api/v1/users/{gus}"),
            Some(json!({"status": "deactivated"})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = w
        .post(&w.eve, "/api/v1/shoutouts", json!({"to_user_id": gus.to_string(), "message": "Thanks"}))
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(b.to_string().contains("no longer active"), "{b}");

    // Another organization: its people are unknown here, and our thanks are invisible there.
    let (other, _) = w.t.org("Globex").await;
    let olga = w.t.person(other, "olga@globex.test", "admin", None, PASSWORD).await;
    let olga_token = w.t.token(other, "olga@globex.test").await;
    let (s, _) =
        w.post(&w.eve, "/api/v1/shoutouts", json!({"to_user_id": olga.to_string(), "message": "Hi"})).await;
    assert_eq!(s, 404);
    let (s, feed) = w.get(&olga_token, "/api/v1/shoutouts").await;
    assert_eq!((s, feed["items"].as_array().map(Vec::len)), (200, Some(0)));
    assert_eq!(w.get(&olga_token, &format!("/api/v1/shoutouts?to={}", w.eve_id)).await.0, 404);
    assert_eq!(
        w.post(&olga_token, &format!("/api/v1/shoutouts/{so_id}/reactions"), json!({"reaction": "clap"}))
            .await
            .0,
        404
    );
    let (s, other_item) = w
        .post(&olga_token, "/api/v1/shoutouts", json!({"to_user_id": olga.to_string(), "message": "x"}))
        .await;
    assert_eq!(s, 422, "{other_item}");

    // The rules refuse what is not a whole number from 0 to 1,000, or not an event.
    for (event, body) in [
        ("content.shared", json!({"points": -1})),
        ("content.shared", json!({"points": 1001})),
        ("reward.redeemed", json!({"points": 5})),
    ] {
        let (s, b) = w.put(&w.ada, &format!("/api/v1/points/rules/{event}"), body).await;
        assert_eq!(s, 422, "{event}: {b}");
    }
    for body in [json!({"points": 2.5}), json!({"points": "ten"})] {
        let (s, b) = w.put(&w.ada, "/api/v1/points/rules/content.shared", body).await;
        assert!(s == 400 || s == 422, "{s} {b}");
        assert_eq!(b["status"].as_u64(), Some(u64::from(s)), "problem+json: {b}");
    }
}

/// The leaderboard page, and the opt-out through the form: the person disappears from every
/// board and keeps their points.
#[tokio::test]
async fn the_leaderboard_opt_out_hides_the_person() {
    let w = setup().await;
    w.approved("Depot open day").await;
    w.post(
        &w.eve,
        "/api/v1/shoutouts",
        json!({"to_user_id": w.sam_id, "message": "Thanks for the quick review"}),
    )
    .await;
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let page = eve.get(w.t.url("/leaderboard")).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("Person eve@acme.test") && page.contains("Person sam@acme.test"), "{page}");
    let csrf = csrf_of(&page);
    let res = eve
        .post(w.t.url("/leaderboard/opt-out"))
        .form(&[("csrf", csrf.as_str()), ("out", "1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let page =
        eve.get(w.t.url("/leaderboard?period=all")).send().await.expect("GET").text().await.expect("html");
    let eve_row = format!("href=\"/shoutouts/people/{}\"", w.eve_id);
    assert!(!page.contains(&eve_row), "Eve is hidden");
    assert!(page.contains(&format!("href=\"/shoutouts/people/{}\"", w.sam_id)), "Sam is not");
    assert!(page.contains("You are not shown on leaderboards") && page.contains("You earned 25 points"));
    let (_, board) = w.get(&w.sam, "/api/v1/leaderboard?period=week").await;
    let names: Vec<&str> =
        board["items"].as_array().expect("items").iter().filter_map(|r| r["user"]["name"].as_str()).collect();
    assert_eq!(names, ["Person sam@acme.test"]);
    let field = w.t.department_id(&w.sam, "Field").await;
    let (_, board) = w.get(&w.sam, &format!("/api/v1/leaderboard?department_id={field}")).await;
    assert_eq!(board["items"].as_array().map(Vec::len), Some(0), "Field's only scorer opted out");
    // Back on the board.
    assert_eq!(w.put(&w.eve, "/api/v1/leaderboard/opt-out", json!({"opted_out": false})).await.0, 204);
    let (_, board) = w.get(&w.sam, &format!("/api/v1/leaderboard?department_id={field}")).await;
    assert_eq!(board["items"][0]["points"], 25);

    // The pages render for everyone and escape what people typed.
    let (s, _) = w
        .post(
            &w.sam,
            "/api/v1/shoutouts",
            json!({"to_user_id": w.eve_id, "message": "<script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(s, 201);
    let wall = eve.get(w.t.url(&format!("/shoutouts/people/{}", w.eve_id))).send().await.expect("GET");
    assert_eq!(wall.status(), 200);
    let wall = wall.text().await.expect("html");
    assert!(wall.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && !wall.contains("<script>alert"));
    let home = eve.get(w.t.url("/")).send().await.expect("GET").text().await.expect("html");
    assert!(
        home.contains("Recent shout-outs") && home.contains("&#60;script&#62;alert(1)"),
        "thanks show on home"
    );
    for path in ["/shoutouts", "/points", "/rewards"] {
        let res = eve.get(w.t.url(path)).send().await.expect("GET");
        assert_eq!(res.status(), 200, "{path}");
    }
}

/// The pages work without JavaScript: a shout-out form with a problem comes back with the reason
/// (not a 500), and the rewards catalog, a request and its decision go through forms.
#[tokio::test]
async fn the_recognition_forms_answer_problems_in_words() {
    let w = setup().await;
    w.approved("Depot open day").await; // Eve: 25 points
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let ada = w.t.sign_in("ada@acme.test", PASSWORD).await;
    let feed = eve.get(w.t.url("/shoutouts")).send().await.expect("GET").text().await.expect("html");
    let csrf = csrf_of(&feed);
    let nobody = uuid::Uuid::nil().to_string();
    for (to, message, expected) in [
        ("", "Thanks!", "To choose who you are thanking"),
        (w.sam_id.as_str(), "   ", "Message say what you are thanking them for"),
        ("not-a-person", "Thanks!", "To choose who you are thanking"),
        (nobody.as_str(), "Thanks!", "To is not a person of this organization"),
    ] {
        let res = eve
            .post(w.t.url("/shoutouts"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("to", to),
                ("message", message),
                ("wall", ""),
                ("submission", ""),
            ])
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 422, "{to:?} {message:?}");
        let page = res.text().await.expect("html");
        assert!(page.contains(expected), "{expected}: {page}");
    }
    let res = eve
        .post(w.t.url("/shoutouts"))
        .form(&[("csrf", csrf.as_str()), ("to", w.sam_id.as_str()), ("message", "Thanks for the review")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let res = eve
        .post(w.t.url("/shoutouts"))
        .form(&[("to", w.sam_id.as_str()), ("message", "No token")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403, "a form without its CSRF token is refused");

    // Rewards through forms: the admin adds one, Eve asks for it, the admin approves.
    let page = ada.get(w.t.url("/rewards")).send().await.expect("GET").text().await.expect("html");
    let csrf_ada = csrf_of(&page);
    let res = ada
        .post(w.t.url("/rewards"))
        .form(&[
            ("csrf", csrf_ada.as_str()),
            ("name", "Hoodie"),
            ("description", "Warm"),
            ("cost", "ten"),
            ("stock", ""),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("Cost must be a whole number of points"));
    let res = ada
        .post(w.t.url("/rewards"))
        .form(&[
            ("csrf", csrf_ada.as_str()),
            ("name", "Hoodie"),
            ("description", "Warm"),
            ("cost", "20"),
            ("stock", "3"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let (_, catalog) = w.get(&w.eve, "/api/v1/rewards").await;
    let hoodie = catalog["items"][0]["id"].as_str().expect("hoodie").to_owned();
    let page = eve.get(w.t.url("/rewards")).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("Hoodie") && page.contains("3 left"), "{page}");
    let res = eve
        .post(w.t.url(&format!("/rewards/{hoodie}/redeem")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let res = eve
        .post(w.t.url(&format!("/rewards/{hoodie}/redeem")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422, "5 points left do not cover a second one");
    assert!(res.text().await.expect("html").contains("costs 20 points and you have 5"));
    let page = ada.get(w.t.url("/rewards")).send().await.expect("GET").text().await.expect("html");
    assert!(page.contains("Person eve@acme.test") && page.contains("Reject and refund"));
    let (_, all) = w.get(&w.ada, "/api/v1/rewards/redemptions?all=true").await;
    let request = all["items"][0]["id"].as_str().expect("request").to_owned();
    let res = ada
        .post(w.t.url(&format!("/rewards/redemptions/{request}/decision")))
        .form(&[("csrf", csrf_ada.as_str()), ("decision", "approve"), ("note", "Enjoy")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let (_, mine) = w.get(&w.eve, "/api/v1/rewards/redemptions").await;
    assert_eq!(mine["items"][0]["status"], "approved");
    let res = eve
        .post(w.t.url("/rewards"))
        .form(&[("csrf", csrf.as_str()), ("name", "Mine"), ("cost", "1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403, "employees do not keep the catalog");
}
