//! Slack and Teams incoming webhooks end to end: a submission reaching review posts to both
//! stand-ins through the job queue; a 429 is retried after its Retry-After; a removed webhook
//! ends in a visible dead letter; the URL is a write-only secret; admins only; bad input.

use chorus_standins::{Endpoint, Fault, slack::Slack, teams::Teams};
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    t: TestApp,
    admin: String,
    employee: String,
    other_admin: String,
}

impl World {
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn integration(&self, kind: &str, url: &str, events: &[&str]) -> String {
        let (status, body) = self
            .post(
                &self.admin,
                "/api/v1/chat-integrations",
                json!({"kind": kind, "name": format!("{kind} #social"), "url": url, "events": events}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// A blog post by the employee, handed in: it waits for review.
    async fn submit(&self, title: &str) {
        let draft = json!({"kind": "blog_post", "title": title, "body": "What we learned this quarter."});
        let (status, s) = self.post(&self.employee, "/api/v1/submissions", draft).await;
        assert_eq!(status, 201, "{s}");
        let id = s["id"].as_str().expect("id");
        let (status, s) =
            self.post(&self.employee, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["status"], "team_review");
    }
}

async fn world() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    t.person(org, "emp@acme.test", "employee", None, PASSWORD).await;
    let (other, _) = t.org("Globex").await;
    t.person(other, "admin@globex.test", "admin", None, PASSWORD).await;
    let admin = t.token(org, "admin@acme.test").await;
    let employee = t.token(org, "emp@acme.test").await;
    let other_admin = t.token(other, "admin@globex.test").await;
    World { t, admin, employee, other_admin }
}

#[tokio::test]
async fn a_submission_reaching_review_posts_to_slack_and_teams_through_the_queue() {
    let w = world().await;
    let slack = Slack::start().await;
    let teams = Teams::start().await;
    let s = w.integration("slack", &slack.url, &["review_queue"]).await;
    w.integration("teams", &teams.url, &["review_queue", "shoutouts"]).await;

    w.submit("R&D <update> for Q3").await;
    assert!(slack.texts().is_empty(), "nothing is sent inside the request: it waits in the queue");
    w.t.run_jobs().await;

    let texts = slack.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].starts_with("*“R&amp;D &lt;update&gt; for Q3” waits for review*\n"), "{}", texts[0]);
    assert!(texts[0].contains("Person emp@acme.test"), "{}", texts[0]);
    assert!(texts[0].contains(&format!("<{}/submissions/", w.t.base)), "{}", texts[0]);
    let cards = teams.cards();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["body"][0]["text"], "“R&D <update> for Q3” waits for review");
    assert!(cards[0]["actions"][0]["url"].as_str().expect("url").starts_with(&w.t.base));

    // The integration shows the delivery, and never the URL (a secret).
    let (status, one) = w.get(&w.admin, &format!("/api/v1/chat-integrations/{s}")).await;
    assert_eq!(status, 200);
    assert!(one["last_delivered_at"].is_string(), "{one}");
    assert!(one["last_error"].is_null());
    let (_, list) = w.get(&w.admin, "/api/v1/chat-integrations").await;
    let text = list.to_string();
    assert!(!text.contains("xoxSecretToken42") && !text.contains("0123456789abcdef"), "{text}");
    assert!(one["url_hint"].as_str().expect("hint").ends_with("en42"), "{one}");
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_then_delivered() {
    let w = world().await;
    let slack = Slack::start().await;
    let id = w.integration("slack", &slack.url, &["review_queue"]).await;
    slack.journal.inject(Endpoint::Publish, Fault::Status { status: 429, retry_after: Some(30) }, 1);

    let (status, _) = w.post(&w.admin, &format!("/api/v1/chat-integrations/{id}/test"), json!({})).await;
    assert_eq!(status, 202);
    w.t.run_jobs().await;
    assert_eq!(slack.journal.statuses(Endpoint::Publish), [429]);
    let (_, one) = w.get(&w.admin, &format!("/api/v1/chat-integrations/{id}")).await;
    assert!(one["last_error"].as_str().expect("error").contains("429"), "{one}");

    // Not before Retry-After: nothing is due yet.
    w.t.clock.advance(time::Duration::seconds(20));
    w.t.run_jobs().await;
    assert_eq!(slack.journal.statuses(Endpoint::Publish), [429]);

    w.t.clock.advance(time::Duration::seconds(11));
    w.t.run_jobs().await;
    assert_eq!(slack.journal.statuses(Endpoint::Publish), [429, 200]);
    assert_eq!(slack.texts().len(), 1);
    assert!(slack.texts()[0].starts_with("*Test message from Chorus*"));
    let (_, one) = w.get(&w.admin, &format!("/api/v1/chat-integrations/{id}")).await;
    assert!(one["last_error"].is_null() && one["last_delivered_at"].is_string(), "{one}");
    let (_, dead) = w.get(&w.admin, "/api/v1/jobs/dead").await;
    assert_eq!(dead["items"].as_array().expect("items").len(), 0);
}

#[tokio::test]
async fn a_5xx_is_retried_with_back_off() {
    let w = world().await;
    let teams = Teams::start().await;
    let id = w.integration("teams", &teams.url, &["review_queue"]).await;
    teams.journal.inject(Endpoint::Publish, Fault::Status { status: 503, retry_after: None }, 2);
    w.post(&w.admin, &format!("/api/v1/chat-integrations/{id}/test"), json!({})).await;
    w.t.run_jobs().await;
    w.t.clock.advance(time::Duration::seconds(3));
    w.t.run_jobs().await;
    w.t.clock.advance(time::Duration::seconds(6));
    w.t.run_jobs().await;
    assert_eq!(teams.journal.statuses(Endpoint::Publish), [503, 503, 200]);
    assert_eq!(teams.texts().len(), 1);
}

#[tokio::test]
async fn a_removed_webhook_ends_in_a_visible_dead_letter_after_one_attempt() {
    let w = world().await;
    let slack = Slack::start().await;
    let id = w.integration("slack", &slack.url, &["review_queue"]).await;
    slack.remove();

    w.submit("Quarterly report").await;
    w.t.run_jobs().await;
    assert_eq!(slack.journal.statuses(Endpoint::Publish), [404], "a 404 is not retried");
    w.t.clock.advance(time::Duration::hours(2));
    w.t.run_jobs().await;
    assert_eq!(slack.journal.statuses(Endpoint::Publish), [404]);

    let (status, dead) = w.get(&w.admin, "/api/v1/jobs/dead").await;
    assert_eq!(status, 200);
    let items = dead["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["kind"], "chat_post");
    assert_eq!(items[0]["what"], "Post to Slack or Teams");
    assert_eq!(items[0]["attempts"], 1);
    let error = items[0]["last_error"].as_str().expect("error");
    assert!(error.contains("404") && error.contains("no_service") && error.contains("removed"), "{error}");
    let (_, one) = w.get(&w.admin, &format!("/api/v1/chat-integrations/{id}")).await;
    assert!(one["last_error"].as_str().expect("error").contains("no_service"), "{one}");

    // The admin sees it on the integrations page too.
    let browser = w.t.sign_in("admin@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/integrations")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("no_service"), "{page}");
}

#[tokio::test]
async fn paused_integrations_and_other_events_get_nothing_and_shout_outs_go_to_their_subscribers() {
    let w = world().await;
    let reviews = Slack::start().await;
    let shouts = Teams::start().await;
    let paused = Slack::start().await;
    w.integration("slack", &reviews.url, &["review_queue"]).await;
    w.integration("teams", &shouts.url, &["shoutouts"]).await;
    let p = w.integration("slack", &paused.url, &["review_queue", "shoutouts"]).await;
    let (status, body) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.admin,
            &format!("/api/v1/chat-integrations/{p}"),
            Some(json!({"status": "paused"})),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("paused")));

    w.submit("Trail report").await;
    // A real shout-out, through the API: the employee thanks the admin.
    let (_, me) = w.get(&w.admin, "/api/v1/me").await;
    let (status, posted) = w
        .post(
            &w.employee,
            "/api/v1/shoutouts",
            json!({"to_user_id": me["id"], "message": "Nice job on the trail report & photos!"}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let (from, to) =
        (posted["from"]["name"].as_str().unwrap_or_default(), me["name"].as_str().unwrap_or_default());
    w.t.run_jobs().await;

    assert_eq!(reviews.texts().len(), 1);
    assert!(reviews.texts()[0].contains("Trail report"));
    assert_eq!(
        shouts.texts(),
        [format!("{from} gave {to} a shout-out\nNice job on the trail report & photos!")]
    );
    assert!(paused.journal.requests().is_empty(), "a paused integration posts nothing");
}

#[tokio::test]
async fn only_admins_manage_integrations_and_bad_input_is_refused_with_reasons() {
    let w = world().await;
    let slack = Slack::start().await;
    let body = json!({"kind": "slack", "name": "x", "url": slack.url, "events": ["review_queue"]});
    let (status, p) = w.post(&w.employee, "/api/v1/chat-integrations", body.clone()).await;
    assert_eq!((status, p["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(w.get(&w.employee, "/api/v1/chat-integrations").await.0, 403);

    for (bad, field) in [
        (json!({"kind": "discord", "name": "x", "url": slack.url, "events": ["review_queue"]}), "kind"),
        (
            json!({"kind": "slack", "name": "x", "url": "javascript:alert(1)", "events": ["review_queue"]}),
            "url",
        ),
        (
            json!({"kind": "slack", "name": "x", "url": "http://hooks.example.com/x", "events": ["review_queue"]}),
            "url",
        ),
        (
            json!({"kind": "slack", "name": "x", "url": "http://10.1.2.3/x", "events": ["review_queue"]}),
            "url",
        ),
        (json!({"kind": "slack", "name": "x", "url": slack.url, "events": []}), "events"),
        (json!({"kind": "slack", "name": "", "url": slack.url, "events": ["everything"]}), "events"),
    ] {
        let (status, p) = w.post(&w.admin, "/api/v1/chat-integrations", bad.clone()).await;
        assert_eq!(status, 422, "{bad} → {p}");
        assert_eq!(p["code"], "invalid");
        assert!(p["errors"].as_array().expect("errors").iter().any(|e| e["field"] == field), "{bad} → {p}");
    }
    let (status, _) = w.post(&w.admin, "/api/v1/chat-integrations", json!({"kind": "slack"})).await;
    assert!(status == 400 || status == 422, "missing fields: {status}");
    assert_eq!(w.t.count_rows("chat_integrations").await, 0);

    let id = w.integration("slack", &slack.url, &["review_queue"]).await;
    // Another organization sees nothing of it, and cannot test it.
    assert_eq!(w.get(&w.other_admin, &format!("/api/v1/chat-integrations/{id}")).await.0, 404);
    assert_eq!(
        w.post(&w.other_admin, &format!("/api/v1/chat-integrations/{id}/test"), json!({})).await.0,
        404
    );
    assert_eq!(w.get(&w.other_admin, "/api/v1/chat-integrations").await.1["items"], json!([]));
    let (status, p) = w.get(&w.admin, "/api/v1/chat-integrations/not-a-uuid").await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")), "a malformed id names nothing");
}

#[tokio::test]
async fn the_integrations_page_adds_one_and_its_test_button_posts_a_message() {
    let w = world().await;
    let slack = Slack::start().await;
    let browser = w.t.sign_in("admin@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/integrations")).send().await.expect("page").text().await.expect("html");
    let csrf = csrf_of(&page);
    let res = browser
        .post(w.t.url("/integrations"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "slack"),
            ("name", "Slack #wins"),
            ("url", slack.url.as_str()),
            ("events", "review_queue"),
            ("events", "shoutouts"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303);
    let page = browser.get(w.t.url("/integrations")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("Slack #wins") && !page.contains("xoxSecretToken42"), "{page}");
    let id = page
        .split("/integrations/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("an integration link")
        .to_owned();
    let res = browser
        .post(w.t.url(&format!("/integrations/{id}/test")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("test");
    assert_eq!(res.status(), 303);
    w.t.run_jobs().await;
    assert_eq!(slack.texts().len(), 1);

    // A bad URL comes back as a readable message, not a 500.
    let res = browser
        .post(w.t.url("/integrations"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "teams"),
            ("name", "T"),
            ("url", "javascript:alert(1)"),
            ("events", "shoutouts"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("Url must be an https:// link") || html.contains("https://"), "{html}");

    // Employees are refused the page.
    let emp = w.t.sign_in("emp@acme.test", PASSWORD).await;
    assert_eq!(emp.get(w.t.url("/integrations")).send().await.expect("page").status(), 403);
}
