//! The notifications centre over HTTP: e-mail preferences per kind, immediate e-mail that
//! follows them, announcements with their audience and read counts, the one-click unsubscribe
//! page, the admins' mail queue, digests claimed once — and bad input and other organizations.

use chorus_domain::{
    OrgId, UserId,
    notify::{Cadence, DigestSchedule},
};
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    org: OrgId,
    api: reqwest::Client,
    admin: String,
    lead: String,
    sales: String,
    sales_id: UserId,
    eng: String,
    other_org: String,
}

impl World {
    async fn new(email: bool) -> Self {
        let t = if email { TestApp::spawn_with_email(None).await } else { TestApp::spawn().await };
        let (org, _) = t.org("Acme").await;
        t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
        t.person(org, "lead@acme.test", "lead", Some("Sales"), PASSWORD).await;
        let sales_id = t.person(org, "sam@acme.test", "employee", Some("Sales"), PASSWORD).await;
        t.person(org, "erin@acme.test", "employee", Some("Engineering"), PASSWORD).await;
        let (other, _) = t.org("Globex").await;
        t.person(other, "admin@globex.test", "admin", None, PASSWORD).await;
        Self {
            admin: t.token(org, "admin@acme.test").await,
            lead: t.token(org, "lead@acme.test").await,
            sales: t.token(org, "sam@acme.test").await,
            eng: t.token(org, "erin@acme.test").await,
            other_org: t.token(other, "admin@globex.test").await,
            api: reqwest::Client::new(),
            org,
            sales_id,
            t,
        }
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn put(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::PUT, token, path, Some(body)).await
    }

    async fn delivery(&self, token: &str, kind: &str) -> String {
        let (status, prefs) = self.get(token, "/api/v1/notifications/preferences").await;
        assert_eq!(status, 200, "{prefs}");
        prefs["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["kind"] == kind)
            .map(|p| p["delivery"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no {kind} in {prefs}"))
    }

    async fn department(&self, name: &str) -> String {
        let (_, list) = self.get(&self.admin, "/api/v1/departments").await;
        list["items"].as_array().expect("items").iter().find(|d| d["name"] == name).expect("department")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

#[tokio::test]
async fn each_person_chooses_email_per_kind_and_a_bad_choice_changes_nothing() {
    let w = World::new(false).await;
    // Defaults: decisions right away, comments daily, the wins digest weekly.
    assert_eq!(w.delivery(&w.sales, "submission.decided").await, "immediate");
    assert_eq!(w.delivery(&w.sales, "comment").await, "daily");
    assert_eq!(w.delivery(&w.sales, "digest.weekly").await, "weekly");
    let (_, prefs) = w.get(&w.sales, "/api/v1/notifications/preferences").await;
    for kind in
        ["review.waiting", "mention", "announcement", "shoutout.received", "reward.decided", "digest.daily"]
    {
        assert!(
            prefs["items"].as_array().expect("items").iter().any(|p| p["kind"] == kind),
            "{kind} missing"
        );
    }

    let (status, body) = w
        .put(
            &w.sales,
            "/api/v1/notifications/preferences",
            json!({"items": [
            {"kind": "comment", "delivery": "off"}, {"kind": "announcement", "delivery": "weekly"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(w.delivery(&w.sales, "comment").await, "off");
    assert_eq!(w.delivery(&w.sales, "announcement").await, "weekly");
    // Someone else's choices are their own.
    assert_eq!(w.delivery(&w.eng, "comment").await, "daily");

    // One bad pair refuses the whole change, with a reason.
    for (bad, reason) in [
        (
            json!({"items": [{"kind": "comment", "delivery": "daily"}, {"kind": "nonsense", "delivery": "off"}]}),
            "not a notification kind",
        ),
        (json!({"items": [{"kind": "digest.weekly", "delivery": "immediate"}]}), "allows only weekly, off"),
        (
            json!({"items": [{"kind": "comment", "delivery": "sometimes"}]}),
            "must be one of immediate, daily, weekly, off",
        ),
    ] {
        let (status, problem) = w.put(&w.sales, "/api/v1/notifications/preferences", bad).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains(reason), "{problem}");
    }
    assert_eq!(w.delivery(&w.sales, "comment").await, "off", "unchanged by the refused request");
    let (status, _) = w.put(&w.sales, "/api/v1/notifications/preferences", json!({"oops": 1})).await;
    assert!(status == 400 || status == 422, "{status}");

    // The page shows the choices and saves them; a forged value gets a readable 422.
    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let html = browser
        .get(w.t.url("/notifications/preferences"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("name=\"comment\" value=\"off\" checked"), "{html}");
    let csrf = csrf_of(&html);
    let res = browser
        .post(w.t.url("/notifications/preferences"))
        .form(&[("csrf", csrf.as_str()), ("comment", "weekly"), ("digest.weekly", "off")])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), 303);
    assert_eq!(w.delivery(&w.sales, "comment").await, "weekly");
    assert_eq!(w.delivery(&w.sales, "digest.weekly").await, "off");
    let res = browser
        .post(w.t.url("/notifications/preferences"))
        .form(&[("csrf", csrf.as_str()), ("digest.daily", "weekly")])
        .send()
        .await
        .expect("save");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("html").contains("allows only daily, off"));
    let notifications =
        browser.get(w.t.url("/notifications")).send().await.expect("page").text().await.expect("html");
    assert!(notifications.contains("href=\"/notifications/preferences\""));
}

#[tokio::test]
async fn announcements_reach_their_audience_and_the_author_sees_who_read_them() {
    let w = World::new(true).await;
    let sales = w.department("Sales").await;
    // A department announcement from the lead of that department.
    let (status, a) = w
        .post(&w.lead, "/api/v1/announcements", json!({"title": "Q3 targets", "body": "**Well done** <script>x</script>", "department_id": sales}))
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["notified"], 1, "Sam only (the lead wrote it): {a}");
    assert_eq!(a["emails_queued"], 1, "announcements are e-mailed right away by default: {a}");
    let id = a["id"].as_str().expect("id").to_owned();
    assert_eq!(a["reads"], 0);
    assert_eq!(a["audience"], 1);

    // Sam sees it and is notified; Erin (Engineering) neither, and gets a 404.
    let (_, list) = w.get(&w.sales, "/api/v1/announcements").await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1, "{list}");
    assert!(list["items"][0].get("reads").is_none(), "read counts are for the author: {list}");
    let (_, n) = w.get(&w.sales, "/api/v1/notifications").await;
    assert_eq!(n["items"][0]["kind"], "announcement");
    assert_eq!(n["items"][0]["link"], format!("/announcements/{id}"));
    let (_, list) = w.get(&w.eng, "/api/v1/announcements").await;
    assert_eq!(list["items"].as_array().expect("items").len(), 0);
    assert_eq!(w.get(&w.eng, &format!("/api/v1/announcements/{id}")).await.0, 404);
    assert_eq!(w.post(&w.eng, &format!("/api/v1/announcements/{id}/read"), json!({})).await.0, 404);
    // Another organization cannot see or read it.
    assert_eq!(w.get(&w.other_org, &format!("/api/v1/announcements/{id}")).await.0, 404);
    let (_, list) = w.get(&w.other_org, "/api/v1/announcements").await;
    assert_eq!(list["items"].as_array().expect("items").len(), 0);

    // Reading it counts once, and marks the notification read.
    for _ in 0..2 {
        let (status, read) = w.post(&w.sales, &format!("/api/v1/announcements/{id}/read"), json!({})).await;
        assert_eq!(status, 200, "{read}");
        assert_eq!(read["read"], true);
    }
    let (_, n) = w.get(&w.sales, "/api/v1/notifications").await;
    assert_eq!(n["unread"], 0, "{n}");
    let (_, mine) = w.get(&w.lead, &format!("/api/v1/announcements/{id}")).await;
    assert_eq!((mine["reads"].clone(), mine["audience"].clone()), (json!(1), json!(1)), "{mine}");
    let browser = w.t.sign_in("lead@acme.test", PASSWORD).await;
    let page = browser
        .get(w.t.url(&format!("/announcements/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("1 of 1 read"), "{page}");
    assert!(
        page.contains("<strong>Well done</strong>") && !page.contains("<script>x"),
        "Markdown, sanitized: {page}"
    );

    // Who may announce what, and bad input.
    let (status, p) =
        w.post(&w.lead, "/api/v1/announcements", json!({"title": "Everyone", "body": "x"})).await;
    assert_eq!(status, 403, "a lead announces to their own department only: {p}");
    let eng = w.department("Engineering").await;
    let (status, _) = w
        .post(&w.lead, "/api/v1/announcements", json!({"title": "Eng", "body": "x", "department_id": eng}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(w.post(&w.sales, "/api/v1/announcements", json!({"title": "Hi", "body": "x"})).await.0, 403);
    let (status, p) = w.post(&w.admin, "/api/v1/announcements", json!({"title": " ", "body": ""})).await;
    assert_eq!(status, 422, "{p}");
    assert!(p.to_string().contains("title") && p.to_string().contains("body"), "{p}");
    let (status, p) = w
        .post(
            &w.admin,
            "/api/v1/announcements",
            json!({"title": "x", "body": "y", "department_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(status, 422, "an unknown department: {p}");
    assert_eq!(w.get(&w.sales, "/api/v1/announcements/not-a-uuid").await.0, 404);
    let (status, p) = w.get(&w.sales, "/api/v1/announcements?cursor=zzz").await;
    assert_eq!(status, 422, "{p}");
    assert!(p.to_string().contains("is not a cursor"), "{p}");
    assert_eq!(w.t.count_rows("announcements").await, 1, "refused requests wrote nothing");

    // A pinned company-wide one from an admin shows on everyone's home page.
    let (status, _) = w
        .post(
            &w.admin,
            "/api/v1/announcements",
            json!({"title": "New office opens Monday", "body": "Coffee's on us", "pinned": true}),
        )
        .await;
    assert_eq!(status, 201);
    let erin = w.t.sign_in("erin@acme.test", PASSWORD).await;
    let home = erin.get(w.t.url("/")).send().await.expect("home").text().await.expect("html");
    assert!(home.contains("Pinned announcements") && home.contains("New office opens Monday"), "{home}");
    assert!(home.contains("Coffee"), "{home}");
    assert!(!home.contains("Q3 targets"), "another department's announcement is not on Erin's home");
}

#[tokio::test]
async fn immediate_email_follows_each_persons_choice_and_carries_both_parts_and_an_unsubscribe_link() {
    let w = World::new(true).await;
    w.put(
        &w.eng,
        "/api/v1/notifications/preferences",
        json!({"items": [{"kind": "announcement", "delivery": "off"}]}),
    )
    .await;
    let (status, a) = w
        .post(
            &w.admin,
            "/api/v1/announcements",
            json!({"title": "All hands <Friday>", "body": "See you *there*"}),
        )
        .await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["notified"], 3, "everyone but the author is told in the app");
    assert_eq!(a["emails_queued"], 2, "Erin turned announcement e-mail off");
    w.t.run_jobs().await;
    let sent: Vec<_> =
        w.t.mailer.sent().into_iter().filter(|m| m.subject.starts_with("Company-wide")).collect();
    let to: Vec<&str> = sent.iter().map(|m| m.to.as_str()).collect();
    assert!(
        to.contains(&"sam@acme.test") && to.contains(&"lead@acme.test") && !to.contains(&"erin@acme.test"),
        "{to:?}"
    );
    let m = sent.iter().find(|m| m.to == "sam@acme.test").expect("Sam's");
    assert_eq!(m.subject, "Company-wide: All hands <Friday>");
    assert!(m.text.contains("See you *there*"), "{}", m.text);
    let html = m.html.as_deref().expect("an HTML part");
    assert!(html.contains("All hands &#60;Friday&#62;") && html.contains("<em>there</em>"), "{html}");
    let link = m.list_unsubscribe.as_deref().expect("List-Unsubscribe");
    assert!(link.starts_with(&w.t.url("/unsubscribe/")), "{link}");
    assert!(m.text.contains(link) && html.contains(link), "the link is in both parts too");
    // Erin still has it in the app.
    let (_, n) = w.get(&w.eng, "/api/v1/notifications").await;
    assert_eq!(n["unread"], 1);
}

#[tokio::test]
async fn the_unsubscribe_link_asks_on_get_acts_on_one_click_post_and_refuses_a_forged_token() {
    let w = World::new(true).await;
    let keys = &w.t.app.config.secrets;
    let token = chorus_app::unsubscribe::token(keys, w.org, w.sales_id, "digest.weekly");
    let url = w.t.url(&format!("/unsubscribe/{token}"));
    let anonymous =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // A link scanner opening it changes nothing.
    let page = anonymous.get(&url).send().await.expect("get");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("sam@acme.test") && html.contains("weekly wins digest"), "{html}");
    assert!(html.contains(&format!("action=\"/unsubscribe/{token}\"")), "{html}");
    assert_eq!(w.delivery(&w.sales, "digest.weekly").await, "weekly");

    // RFC 8058: a POST with the one-click body, no session, no CSRF token.
    let res = anonymous.post(&url).form(&[("List-Unsubscribe", "One-Click")]).send().await.expect("post");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("html").contains("You are unsubscribed"));
    assert_eq!(w.delivery(&w.sales, "digest.weekly").await, "off");
    assert_eq!(w.delivery(&w.sales, "comment").await, "daily", "only that kind");
    // Again: still fine (mail clients retry).
    assert_eq!(
        anonymous.post(&url).form(&[("List-Unsubscribe", "One-Click")]).send().await.expect("post").status(),
        200
    );

    // Tampered with, cut short, or someone else's id under this MAC: a readable 400.
    let (payload, mac) = token.split_once('.').expect("dot");
    let other = chorus_app::unsubscribe::token(keys, w.org, UserId::new(), "digest.weekly");
    let forged = format!("{}.{mac}", other.split_once('.').expect("dot").0);
    for bad in [format!("{payload}.AAAA{}", &mac[4..]), payload.to_owned(), forged, "x".into()] {
        for res in [
            anonymous.get(w.t.url(&format!("/unsubscribe/{bad}"))).send().await.expect("get"),
            anonymous
                .post(w.t.url(&format!("/unsubscribe/{bad}")))
                .form(&[("List-Unsubscribe", "One-Click")])
                .send()
                .await
                .expect("post"),
        ] {
            assert_eq!(res.status(), 400, "{bad}");
            assert!(res.text().await.expect("html").contains("This unsubscribe link is not valid"));
        }
    }
    // A genuine token for a person of another organization does nothing here: it names its own.
    assert_eq!(w.delivery(&w.eng, "digest.weekly").await, "weekly");
}

/// Moves the clock to one minute past the next weekly digest time.
pub fn to_next_week(t: &TestApp) -> time::OffsetDateTime {
    let now = t.app.now();
    let end = DigestSchedule::default().period_end(Cadence::Weekly, now) + time::Duration::WEEK;
    t.clock.advance(end + time::Duration::MINUTE - now);
    end
}

#[tokio::test]
async fn a_digest_goes_out_once_per_period_however_many_workers_try() {
    let w = World::new(true).await;
    let end = to_next_week(&w.t);
    let app = &w.t.app;
    let run = || chorus_app::digests::run_period(app, w.org, Cadence::Weekly, end);
    // Four workers at once, on one task (tokio::join! polls them interleaved).
    let (a, b, c, d) = tokio::join!(run(), run(), run(), run());
    let results: Vec<Option<i64>> = [a, b, c, d].into_iter().map(|r| r.expect("digest")).collect();
    let claimed: Vec<i64> = results.iter().flatten().copied().collect();
    assert_eq!(claimed, vec![4], "one claim, four people: {results:?}");
    w.t.run_jobs().await;
    let weekly: Vec<_> = w.t.mailer.sent().into_iter().filter(|m| m.subject.contains("wins")).collect();
    assert_eq!(weekly.len(), 4);
    // The scheduler finds nothing more to do for Acme's week (Globex gets its own digest).
    let again = chorus_app::digests::run_due(app).await.expect("run");
    assert_eq!(again.emails, 1, "Globex's one admin only: {again:?}");
    let mut db = w.t.app.store.conn().await.expect("db");
    let runs = chorus_store::digests::recent(&mut db, w.org, 10).await.expect("runs");
    drop(db);
    let weekly: Vec<_> = runs.iter().filter(|r| r.cadence == "weekly").collect();
    assert_eq!(weekly.len(), 1, "{runs:?}");
    assert_eq!((weekly[0].state.as_str(), weekly[0].recipients), ("done", 4));
    // The daily digest carries only what each person put in it.
    w.put(
        &w.sales,
        "/api/v1/notifications/preferences",
        json!({"items": [{"kind": "mention", "delivery": "daily"}]}),
    )
    .await;
    let now = w.t.app.now();
    let mention = chorus_store::notifications::Notification {
        id: chorus_domain::NotificationId::new(),
        user_id: w.sales_id,
        kind: "mention".into(),
        title: "Erin mentioned you".into(),
        link: "/ideas".into(),
        read_at: None,
        created_at: now,
    };
    let mut db = w.t.app.store.conn().await.expect("db");
    chorus_store::notifications::insert(&mut db, w.org, &mention).await.expect("insert");
    drop(db);
    w.t.clock.advance(time::Duration::DAY);
    let daily = chorus_app::digests::run_due(app).await.expect("run");
    assert_eq!(daily.emails, 1, "only Sam has something daily, in either organization: {daily:?}");
    w.t.run_jobs().await;
    let m =
        w.t.mailer.sent().into_iter().find(|m| m.subject.starts_with("Your daily")).expect("daily digest");
    assert_eq!(m.to, "sam@acme.test");
    assert!(m.text.contains("Erin mentioned you") && m.text.contains(&w.t.url("/ideas")), "{}", m.text);
    assert!(m.list_unsubscribe.is_some());
}

#[tokio::test]
async fn admins_see_the_mail_queue_and_others_do_not() {
    let w = World::new(true).await;
    w.t.run_jobs().await; // the invitations
    w.post(&w.admin, "/api/v1/announcements", json!({"title": "Hello", "body": "x"})).await;
    let (status, q) = w.get(&w.admin, "/api/v1/mail/queue").await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["waiting"], 3, "{q}");
    assert_eq!(q["items"].as_array().expect("items").len(), 3);
    assert!(q["items"].as_array().expect("items").iter().any(|m| m["to"] == "sam@acme.test"), "{q}");
    assert_eq!(w.get(&w.sales, "/api/v1/mail/queue").await.0, 403);
    let (_, other) = w.get(&w.other_org, "/api/v1/mail/queue").await;
    assert_eq!(other["waiting"], 0, "another organization's mail is not listed: {other}");
    let browser = w.t.sign_in("admin@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/mail")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("<strong>3</strong> e-mails waiting"), "{page}");
    let employee = w.t.sign_in("sam@acme.test", PASSWORD).await;
    assert_eq!(employee.get(w.t.url("/mail")).send().await.expect("page").status(), 403);
    let spec = w
        .api
        .get(w.t.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json::<Value>()
        .await
        .expect("json");
    for path in [
        "/notifications",
        "/notifications/read",
        "/notifications/preferences",
        "/announcements",
        "/announcements/{id}",
        "/announcements/{id}/read",
        "/mail/queue",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
}
