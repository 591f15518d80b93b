//! Publishing (issue 4): channels, posts, the cadence guard and the publish job, end to end over
//! HTTP against strict local stand-ins for the networks (a Mastodon instance that checks what
//! Mastodon checks, and a webhook receiver that verifies the HMAC signature).

use chorus_domain::OrgId;
use chorus_standins::{mastodon::Mastodon, webhook::Webhook};
use chorus_testkit::TestApp;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const MASTODON_TOKEN: &str = "mastodon-token-7f3a9c";
const HOOK_SECRET: &str = "hook-secret-5b21";

// ---- The world ---------------------------------------------------------------------------------

struct World {
    t: TestApp,
    org: OrgId,
    api: reqwest::Client,
    sam: String,
    eve: String,
}

async fn setup() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "sam@acme.test", "social", None, PASSWORD).await;
    t.person(org, "eve@acme.test", "employee", None, PASSWORD).await;
    let sam = t.token(org, "sam@acme.test").await;
    let eve = t.token(org, "eve@acme.test").await;
    World { t, org, api: reqwest::Client::new(), sam, eve }
}

impl World {
    async fn call(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, String) {
        let mut req = self.api.request(method, self.t.url(path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text.clone())), text)
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::POST, token, path, Some(body)).await;
        (s, v)
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::GET, token, path, None).await;
        (s, v)
    }

    /// An approved idea by Eve (ideas need no media), approved by Sam.
    async fn approved(&self, title: &str, body: &str) -> String {
        let (s, draft) = self
            .post(&self.eve, "/api/v1/submissions", json!({"kind": "idea", "title": title, "body": body}))
            .await;
        assert_eq!(s, 201, "{draft}");
        let id = draft["id"].as_str().expect("id").to_owned();
        let (s, v) = self.post(&self.eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = self
            .post(
                &self.sam,
                &format!("/api/v1/submissions/{id}/decision"),
                json!({"decision": "approve", "comment": ""}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["status"], "approved");
        id
    }

    /// Uploads an image as Eve; returns its media id.
    async fn upload(&self, bytes: Vec<u8>, name: &str, mime: &str) -> String {
        let part =
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).expect("mime");
        let media: Value = self
            .api
            .post(self.t.url("/api/v1/media"))
            .bearer_auth(&self.eve)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .expect("upload")
            .json()
            .await
            .expect("json");
        media["id"].as_str().expect("media id").to_owned()
    }

    async fn channel(&self, body: Value) -> String {
        let (s, v) = self.post(&self.sam, "/api/v1/channels", body).await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().expect("id").to_owned()
    }

    fn at(&self, minutes_from_now: i64) -> String {
        let t = self.t.app.now() + time::Duration::minutes(minutes_from_now);
        // Times are stored to the millisecond.
        let t = t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).expect("ms");
        t.format(&time::format_description::well_known::Rfc3339).expect("format")
    }
}

/// A time as an HTML `datetime-local` field sends it (the pages read it as UTC).
fn form_time(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

// ---- Acceptance --------------------------------------------------------------------------------

/// Acceptance 1: approved content → posts on two channels at a scheduled time → each stand-in got
/// exactly one well-formed request → the submission is `published` with the post URLs.
#[tokio::test]
async fn approved_content_goes_out_on_two_channels_at_its_time_exactly_once() {
    let w = setup().await;
    let mastodon = Mastodon::start(MASTODON_TOKEN).await;
    let mastodon_url = &mastodon.base;
    let hook = Webhook::start(HOOK_SECRET).await;
    let hook_url = &hook.url;
    let social = w
        .channel(json!({"network": "mastodon", "name": "Acme on Mastodon", "base_url": mastodon_url,
            "credentials": {"access_token": MASTODON_TOKEN}}))
        .await;
    let team_chat = w
        .channel(json!({"network": "webhook", "name": "Team chat", "credentials": {"url": hook_url, "secret": HOOK_SECRET}}))
        .await;
    let id = w.approved("Open day", "Come and see the new depot on Saturday").await;

    let mut post_ids = Vec::new();
    for channel in [&social, &team_chat] {
        let (s, p) = w
            .post(
                &w.sam,
                "/api/v1/posts",
                json!({"submission_id": id, "channel_id": channel, "scheduled_at": w.at(120)}),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        assert_eq!(p["status"], "scheduled");
        assert_eq!(p["text"], "Come and see the new depot on Saturday");
        post_ids.push(p["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(w.get(&w.eve, &format!("/api/v1/submissions/{id}")).await.1["status"], "scheduled");

    // Not before its time.
    w.t.run_jobs().await;
    assert!(mastodon.requests().is_empty() && hook.requests().is_empty());

    w.t.clock.advance(time::Duration::minutes(121));
    w.t.run_jobs().await;
    w.t.run_jobs().await; // nothing is left to do a second time

    let m = mastodon.requests();
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].0, 200);
    assert_eq!(m[0].1["status"], "Come and see the new depot on Saturday");
    assert_eq!(m[0].1["visibility"], "public");
    let h = hook.requests();
    assert_eq!(h.len(), 1, "{h:?}");
    assert_eq!(h[0].0, 200, "signature verified");
    assert_eq!(h[0].1["title"], "Open day");
    assert_eq!(h[0].1["post_id"], post_ids[1].as_str());

    let (_, on_mastodon) = w.get(&w.sam, &format!("/api/v1/posts/{}", post_ids[0])).await;
    assert_eq!(on_mastodon["status"], "published", "{on_mastodon}");
    assert_eq!(on_mastodon["external_url"], "https://social.example/@acme/100");
    assert_eq!(on_mastodon["attempts"], 1);
    let (_, on_hook) = w.get(&w.sam, &format!("/api/v1/posts/{}", post_ids[1])).await;
    assert_eq!(on_hook["status"], "published", "{on_hook}");
    assert_eq!(w.get(&w.eve, &format!("/api/v1/submissions/{id}")).await.1["status"], "published");
    let (_, list) = w.get(&w.eve, &format!("/api/v1/posts?submission_id={id}")).await;
    assert_eq!(list["items"].as_array().expect("items").len(), 2);
}

/// Acceptance 3: the cadence guard refuses with the next legal slot; "next free slot" respects
/// it; an over-long post is refused at scheduling.
#[tokio::test]
async fn the_cadence_guard_refuses_over_posting_and_suggests_the_next_free_slot() {
    let w = setup().await;
    let mastodon = Mastodon::start(MASTODON_TOKEN).await;
    let mastodon_url = &mastodon.base;
    let channel = w
        .channel(json!({"network": "mastodon", "name": "Acme", "base_url": mastodon_url,
            "credentials": {"access_token": MASTODON_TOKEN},
            "cadence": {"min_spacing_minutes": 60, "max_per_day": 20}}))
        .await;
    let first = w.approved("First", "One").await;
    let second = w.approved("Second", "Two").await;
    let (s, p) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": first, "channel_id": channel, "scheduled_at": w.at(600)}),
        )
        .await;
    assert_eq!(s, 201, "{p}");

    // Thirty minutes later is too close: refused, with the first legal time suggested.
    let (s, refused) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": second, "channel_id": channel, "scheduled_at": w.at(630)}),
        )
        .await;
    assert_eq!(s, 409, "{refused}");
    assert_eq!(refused["code"], "cadence");
    assert!(refused["detail"].as_str().expect("detail").contains("60 minutes apart"), "{refused}");
    let next = refused["next_free_slot"].as_str().expect("a suggestion");
    assert_eq!(next, w.at(660));
    // The suggestion is accepted as it is.
    let (s, p) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": second, "channel_id": channel, "scheduled_at": next}),
        )
        .await;
    assert_eq!(s, 201, "{p}");

    // Without a time: the next free slot (now is free).
    let third = w.approved("Third", "Three").await;
    let (s, p) =
        w.post(&w.sam, "/api/v1/posts", json!({"submission_id": third, "channel_id": channel})).await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["scheduled_at"], w.at(0));

    // Over-long for the network, as Mastodon counts it: refused at scheduling, not at publishing.
    let long = w.approved("Long", "Short caption").await;
    let (s, v) = w
        .post(&w.sam, "/api/v1/posts", json!({"submission_id": long, "channel_id": channel, "text": "word ".repeat(120), "scheduled_at": w.at(2000)}))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "text");
    assert!(v["detail"].as_str().expect("detail").contains("limit is 500"), "{v}");
    // Bluesky counts graphemes (300): 150 family emoji are 150 graphemes but over 3,000 bytes of
    // UTF-8, which Bluesky refuses as well; 301 letters are one grapheme too many.
    let bluesky = w
        .channel(json!({"network": "bluesky", "name": "Acme on Bluesky", "base_url": "http://127.0.0.1:9",
            "credentials": {"identifier": "acme.example", "app_password": "aaaa-bbbb-cccc-dddd"}}))
        .await;
    for text in ["a".repeat(301), "👨‍👩‍👧‍👦".repeat(150)] {
        let (s, v) = w
            .post(
                &w.sam,
                "/api/v1/posts",
                json!({"submission_id": long, "channel_id": bluesky, "text": text}),
            )
            .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "text", "{v}");
    }
    let (s, v) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": long, "channel_id": bluesky, "text": "a".repeat(300)}),
        )
        .await;
    assert_eq!(s, 201, "exactly the limit fits: {v}");
    // A caption that is too long is shortened to fit when no text is given.
    let longer = w.approved("Longer", &"harbour ".repeat(100)).await;
    let (s, p) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": longer, "channel_id": channel, "scheduled_at": w.at(3000)}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let text = p["text"].as_str().expect("text");
    assert!(text.chars().count() <= 500 && text.ends_with('…'), "{text}");

    // In the past, or not approved: clear refusals. Employees cannot schedule at all.
    let (s, v) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": long, "channel_id": channel, "scheduled_at": w.at(-90)}),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("invalid")), "{v}");
    let (s, draft) =
        w.post(&w.eve, "/api/v1/submissions", json!({"kind": "idea", "title": "Draft", "body": "x"})).await;
    assert_eq!(s, 201);
    let (s, v) =
        w.post(&w.sam, "/api/v1/posts", json!({"submission_id": draft["id"], "channel_id": channel})).await;
    assert_eq!(s, 404, "a draft is not even visible to the team: {v}");
    let (s, v) =
        w.post(&w.eve, "/api/v1/posts", json!({"submission_id": first, "channel_id": channel})).await;
    assert_eq!((s, v["code"].as_str()), (403, Some("forbidden")), "{v}");
}

/// Acceptance 4: credentials are sealed at rest and never come back through the API.
#[tokio::test]
async fn credentials_are_sealed_at_rest_and_never_returned() {
    let w = setup().await;
    let hook = Webhook::start(HOOK_SECRET).await;
    let hook_url = &hook.url;
    let (s, created, raw_created) = w
        .call(
            reqwest::Method::POST,
            &w.sam,
            "/api/v1/channels",
            Some(json!({"network": "webhook", "name": "Chat", "credentials": {"url": hook_url, "secret": HOOK_SECRET}})),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert!(!raw_created.contains(HOOK_SECRET));
    let (_, _, raw_list) = w.call(reqwest::Method::GET, &w.eve, "/api/v1/channels", None).await;
    assert!(raw_list.contains("Chat") && !raw_list.contains(HOOK_SECRET), "{raw_list}");
    let (_, _, openapi) = w.call(reqwest::Method::GET, &w.eve, "/api/v1/openapi.json", None).await;
    assert!(openapi.contains("/channels") && openapi.contains("/posts") && openapi.contains("/calendar.ics"));

    let id: uuid::Uuid = created["id"].as_str().expect("id").parse().expect("uuid");
    let mut db = w.t.app.store.conn().await.expect("conn");
    let (sealed, _) =
        chorus_store::channels::secrets(&mut db, w.org, id.into()).await.expect("read").expect("row");
    let stored = String::from_utf8_lossy(&sealed);
    assert!(!stored.contains(HOOK_SECRET) && !stored.contains("secret"), "sealed, not plain");
    assert!(sealed.len() > HOOK_SECRET.len() + 40, "nonce and tag are stored with it");

    // Bad input is a clear 422, and only the social team adds channels.
    let (s, v) = w
        .post(&w.sam, "/api/v1/channels", json!({"network": "webhook", "name": "X", "credentials": {}}))
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = w.post(&w.sam, "/api/v1/channels", json!({"network": "myspace", "name": "X"})).await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = w
        .post(
            &w.eve,
            "/api/v1/channels",
            json!({"network": "webhook", "name": "Mine", "credentials": {"url": hook_url, "secret": "s"}}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
}

/// What the job does with each kind of failure: a 500 (outcome unknown) is repeated safely under
/// Mastodon's idempotency key, a 429 waits, a refused token flags the channel and holds the post.
#[tokio::test]
async fn failures_are_retried_without_duplicates_and_dead_credentials_hold_the_post() {
    let w = setup().await;
    let mastodon = Mastodon::start(MASTODON_TOKEN).await;
    let mastodon_url = &mastodon.base;
    mastodon.script(&[(500, None), (429, Some(120))]);
    let channel = w
        .channel(json!({"network": "mastodon", "name": "Acme", "base_url": mastodon_url,
            "credentials": {"access_token": MASTODON_TOKEN}}))
        .await;
    let id = w.approved("Retry", "Third time lucky").await;
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
    let post = p["id"].as_str().expect("id").to_owned();

    w.t.run_jobs().await; // 500: unknown outcome
    let (_, after_500) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(after_500["status"], "publishing", "{after_500}");
    assert!(after_500["last_error"].as_str().expect("error").contains("500"));

    w.t.clock.advance(time::Duration::seconds(5));
    w.t.run_jobs().await; // 429 with Retry-After: 120
    let (_, after_429) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(after_429["status"], "scheduled", "{after_429}");
    w.t.clock.advance(time::Duration::seconds(60));
    w.t.run_jobs().await; // still waiting for Retry-After
    assert_eq!(mastodon.requests().len(), 2);
    w.t.clock.advance(time::Duration::seconds(70));
    w.t.run_jobs().await;
    let (_, done) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(done["status"], "published", "{done}");
    assert_eq!(done["attempts"], 3);
    assert_eq!(mastodon.statuses().len(), 1, "one status on the network");

    // A refused token: the channel is flagged and the post waits, not lost.
    let bad = Mastodon::start(MASTODON_TOKEN).await;
    let bad_url = &bad.base;
    let dead = w
        .channel(json!({"network": "mastodon", "name": "Old account", "base_url": bad_url,
            "credentials": {"access_token": "revoked"}}))
        .await;
    let other = w.approved("Held", "Waits for a new token").await;
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": other, "channel_id": dead})).await;
    w.t.run_jobs().await;
    assert_eq!(bad.requests()[0].0, 401);
    let (_, held) = w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await;
    assert_eq!(held["status"], "scheduled", "{held}");
    let (_, channels) = w.get(&w.sam, "/api/v1/channels").await;
    let flagged =
        channels["items"].as_array().expect("items").iter().find(|c| c["id"] == dead.as_str()).cloned();
    assert_eq!(flagged.expect("channel")["status"], "needs_attention");

    // Held, not retried into the ground: later runs leave the network alone.
    for _ in 0..4 {
        w.t.clock.advance(time::Duration::hours(1));
        w.t.run_jobs().await;
    }
    assert_eq!(bad.requests().len(), 1, "no further calls while the channel needs attention");
    let held_id = p["id"].as_str().expect("id").to_owned();
    assert_eq!(w.get(&w.sam, &format!("/api/v1/posts/{held_id}")).await.1["status"], "scheduled");

    // Renewal is the social team's: an employee is refused, a missing field is a 422.
    let path = format!("/api/v1/channels/{dead}/credentials");
    let (s, _, _) = w
        .call(
            reqwest::Method::PUT,
            &w.eve,
            &path,
            Some(json!({"credentials": {"access_token": MASTODON_TOKEN}})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v, _) = w.call(reqwest::Method::PUT, &w.sam, &path, Some(json!({"credentials": {}}))).await;
    assert_eq!(s, 422, "{v}");
    // Sam's home page says so; the channels page offers the renewal form, open, without JavaScript.
    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let home = browser.get(w.t.url("/")).send().await.expect("GET").text().await.expect("body");
    assert!(home.contains("Publishing needs attention") && home.contains("Old account"), "{home}");
    let page = browser.get(w.t.url("/channels")).send().await.expect("GET").text().await.expect("body");
    let form = format!("action=\"/channels/{dead}/credentials\"");
    assert!(page.contains("<details open><summary>Renew credentials") && page.contains(&form), "{page}");
    let res = browser
        .post(w.t.url(&format!("/channels/{dead}/credentials")))
        .form(&[("csrf", chorus_testkit::csrf_of(&page).as_str()), ("access_token", MASTODON_TOKEN)])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.headers()["location"], "/channels?notice=renewed");
    let (_, channels) = w.get(&w.sam, "/api/v1/channels").await;
    let renewed =
        channels["items"].as_array().expect("items").iter().find(|c| c["id"] == dead.as_str()).cloned();
    assert_eq!(renewed.expect("channel")["status"], "active");
    let page = browser.get(w.t.url("/channels")).send().await.expect("GET").text().await.expect("body");
    assert!(!page.contains(MASTODON_TOKEN), "credentials never come back");
    w.t.run_jobs().await;
    let (_, out) = w.get(&w.sam, &format!("/api/v1/posts/{held_id}")).await;
    assert_eq!(out["status"], "published", "the held post went out on renewal: {out}");
    assert_eq!(bad.statuses().len(), 1);
}

/// The calendar feed is RFC 5545 text with one event per post.
#[tokio::test]
async fn the_calendar_feed_lists_posts_as_icalendar_events() {
    let w = setup().await;
    let hook = Webhook::start(HOOK_SECRET).await;
    let hook_url = &hook.url;
    let channel = w
        .channel(json!({"network": "webhook", "name": "Chat, general", "credentials": {"url": hook_url, "secret": HOOK_SECRET}}))
        .await;
    let id = w.approved("Depot; open day", "Saturday").await;
    let (s, _) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": id, "channel_id": channel, "scheduled_at": w.at(90)}),
        )
        .await;
    assert_eq!(s, 201);
    let res = w.api.get(w.t.url("/api/v1/calendar.ics")).bearer_auth(&w.eve).send().await.expect("ics");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("text/calendar"));
    let body = res.text().await.expect("body");
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n") && body.ends_with("END:VCALENDAR\r\n"), "{body}");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1);
    assert!(body.contains("SUMMARY:Chat\\, general · Depot\\; open day (scheduled)"), "{body}");
    let other = uuid::Uuid::new_v4();
    let res = w
        .api
        .get(w.t.url(&format!("/api/v1/calendar.ics?channel_id={other}")))
        .bearer_auth(&w.eve)
        .send()
        .await
        .expect("ics");
    assert_eq!(res.text().await.expect("body").matches("BEGIN:VEVENT").count(), 0);
}

/// Acceptance 6: approved blog posts are published as pages on Chorus itself, with an Atom feed
/// that parses as Atom; nothing else is public.
#[tokio::test]
async fn the_company_blog_publishes_pages_and_a_valid_atom_feed() {
    let w = setup().await;
    let blog = w.channel(json!({"network": "blog", "name": "Company blog"})).await;
    let (s, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "blog_post", "title": "Why we rebuilt the depot & more",
            "body": "We **rebuilt** it.\n\n<script>alert(1)</script>"}),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().expect("id").to_owned();
    w.post(&w.eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
    let (s, v) = w
        .post(
            &w.sam,
            &format!("/api/v1/submissions/{id}/decision"),
            json!({"decision": "approve", "comment": ""}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": blog})).await;
    assert_eq!(s, 201, "{p}");
    let post = p["id"].as_str().expect("id").to_owned();
    let slug = {
        let mut db = w.t.app.store.conn().await.expect("conn");
        chorus_store::admin::org_by_id(&mut db, w.org).await.expect("org").expect("org").slug
    };
    let anonymous = reqwest::Client::new();
    // Scheduled, not yet published: not public.
    let res = anonymous.get(w.t.url(&format!("/blog/{slug}/{post}"))).send().await.expect("page");
    assert_eq!(res.status(), 404);

    w.t.run_jobs().await;
    let (_, published) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(published["status"], "published", "{published}");
    let url = published["external_url"].as_str().expect("url").to_owned();
    assert_eq!(url, w.t.url(&format!("/blog/{slug}/{post}")));

    let page = anonymous.get(&url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("<strong>rebuilt</strong>") && html.contains("Why we rebuilt the depot &#38; more"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "{html}");

    let res = anonymous.get(w.t.url(&format!("/blog/{slug}.atom"))).send().await.expect("feed");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("application/atom+xml"));
    let xml = res.bytes().await.expect("xml");
    let feed = feed_rs::parser::parse(&xml[..]).expect("the feed parses");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.entries.len(), 1);
    let e = &feed.entries[0];
    assert_eq!(e.title.as_ref().expect("title").content, "Why we rebuilt the depot & more");
    assert_eq!(e.links[0].href, url);
    let body = e.content.as_ref().and_then(|c| c.body.clone()).expect("content");
    assert!(body.contains("<strong>rebuilt</strong>") && !body.contains("<script"), "{body}");

    // Another organization's slug, or an id that is not a blog post: not found.
    assert_eq!(
        anonymous.get(w.t.url(&format!("/blog/nobody/{post}"))).send().await.expect("r").status(),
        404
    );
    assert_eq!(
        anonymous.get(w.t.url(&format!("/blog/{slug}/not-an-id"))).send().await.expect("r").status(),
        404
    );
}

/// The pages, as a browser without JavaScript uses them: add a channel, schedule approved
/// content from its page, see it on the calendar, be refused by the cadence guard with the next
/// free time, move it, cancel it.
#[tokio::test]
async fn the_social_team_schedules_moves_and_cancels_from_the_pages() {
    let w = setup().await;
    let id = w.approved("Harbour day", "Boats!").await;
    let other = w.approved("Second story", "More boats").await;
    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let html = browser.get(w.t.url("/channels")).send().await.expect("GET").text().await.expect("html");
    let csrf = chorus_testkit::csrf_of(&html);
    let hook = Webhook::start(HOOK_SECRET).await;
    let hook_url = &hook.url;
    let res = browser
        .post(w.t.url("/channels"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("network", "webhook"),
            ("name", "Team chat"),
            ("url", hook_url),
            ("secret", HOOK_SECRET),
            ("min_spacing_minutes", "60"),
            ("max_per_day", "5"),
            ("times", ""),
        ])
        .send()
        .await
        .expect("POST /channels");
    assert_eq!(res.status(), 303);
    let html = browser.get(w.t.url("/channels")).send().await.expect("GET").text().await.expect("html");
    assert!(html.contains("Team chat") && !html.contains(HOOK_SECRET), "{html}");
    let channel =
        w.get(&w.sam, "/api/v1/channels").await.1["items"][0]["id"].as_str().expect("id").to_owned();

    // The submission page offers the schedule form.
    let page = browser
        .get(w.t.url(&format!("/submissions/{id}")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(page.contains("action=\"/posts\"") && page.contains("Team chat"), "{page}");
    let at = (w.t.app.now() + time::Duration::hours(3)).to_offset(time::UtcOffset::UTC);
    let at_local = form_time(at);
    let res = browser
        .post(w.t.url("/posts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("submission_id", id.as_str()),
            ("channel_id", &channel),
            ("scheduled_at", &at_local),
            ("text", ""),
        ])
        .send()
        .await
        .expect("POST /posts");
    assert_eq!(res.status(), 303);
    let calendar = browser
        .get(w.t.url(&res.headers()["location"].to_str().expect("location").replace("&notice=scheduled", "")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("html");
    assert!(calendar.contains("Harbour day") && calendar.contains("Team chat"), "{calendar}");
    assert!(w.get(&w.sam, "/api/v1/calendar.ics").await.1.as_str().expect("ics").contains("Harbour day"));

    // Thirty minutes after it: refused, readable, with the next free time.
    let close = at + time::Duration::minutes(30);
    let close_local = form_time(close);
    let res = browser
        .post(w.t.url("/posts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("submission_id", other.as_str()),
            ("channel_id", &channel),
            ("scheduled_at", &close_local),
            ("text", ""),
        ])
        .send()
        .await
        .expect("POST /posts");
    assert_eq!(res.status(), 422);
    let refusal = res.text().await.expect("html");
    assert!(refusal.contains("60 minutes apart") && refusal.contains("next free time"), "{refusal}");

    // Move the first post a day later, then cancel it: the submission is approved again.
    let post = w.get(&w.sam, &format!("/api/v1/posts?submission_id={id}")).await.1["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let later = at + time::Duration::days(1);
    let later_local = form_time(later);
    let res = browser
        .post(w.t.url(&format!("/posts/{post}/reschedule")))
        .form(&[("csrf", csrf.as_str()), ("scheduled_at", &later_local)])
        .send()
        .await
        .expect("reschedule");
    assert_eq!(res.status(), 303);
    let moved = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await.1;
    assert_eq!(moved["scheduled_at"].as_str().expect("at")[..16], later_local[..]);
    // The old job, due at the old time, does nothing.
    w.t.clock.advance(time::Duration::hours(4));
    w.t.run_jobs().await;
    assert_eq!(w.get(&w.sam, &format!("/api/v1/posts/{post}")).await.1["status"], "scheduled");
    let res = browser
        .post(w.t.url(&format!("/posts/{post}/cancel")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), 303);
    assert_eq!(w.get(&w.sam, &format!("/api/v1/posts/{post}")).await.1["status"], "cancelled");
    assert_eq!(w.get(&w.eve, &format!("/api/v1/submissions/{id}")).await.1["status"], "approved");
    // Employees see the calendar but get no forms, and a form sent anyway is refused.
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let html = eve.get(w.t.url("/calendar")).send().await.expect("GET").text().await.expect("html");
    assert!(!html.contains("/reschedule"), "{html}");
    let eve_csrf = chorus_testkit::csrf_of(&html);
    let res = eve
        .post(w.t.url("/posts"))
        .form(&[
            ("csrf", eve_csrf.as_str()),
            ("submission_id", other.as_str()),
            ("channel_id", &channel),
            ("scheduled_at", ""),
            ("text", ""),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
}

/// Acceptance 5: the Bluesky connector against the real reference PDS (`tests/peers/bluesky`,
/// started by `.ci/run`, which sets CHORUS_TEST_PDS_INFO). A post with a link, a hashtag, a
/// mention and an image is accepted by the PDS's lexicon validation and read back as written;
/// the session is kept for the next post. Without a PDS this test says so and passes.
#[tokio::test]
async fn bluesky_posts_with_facets_and_an_image_are_accepted_by_the_real_pds() {
    let Ok(info) = std::env::var("CHORUS_TEST_PDS_INFO") else {
        eprintln!("skipped: set CHORUS_TEST_PDS_INFO (as .ci/run does) to run against a real Bluesky PDS");
        return;
    };
    let peer: Value = serde_json::from_str(&std::fs::read_to_string(info).expect("peer info")).expect("json");
    let pds = peer["url"].as_str().expect("url").to_owned();
    let w = setup().await;
    let channel = w
        .channel(json!({"network": "bluesky", "name": "Acme on Bluesky", "base_url": pds,
            "credentials": {"identifier": peer["identifier"], "app_password": peer["app_password"]}}))
        .await;
    // A photo with a caption that has every kind of facet, in a text with multi-byte characters.
    let png = {
        let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 120]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).expect("png");
        out.into_inner()
    };
    let media_id = w.upload(png, "grid.png", "image/png").await;
    let caption =
        "Grüße from the depot 👋 #OpenDay with @bob.test — details: https://example.com/open-day?x=1";
    let (s, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "photo", "title": "Open day", "body": caption, "media_ids": [media_id]}),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().expect("id").to_owned();
    w.post(&w.eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
    w.post(
        &w.sam,
        &format!("/api/v1/submissions/{id}/decision"),
        json!({"decision": "approve", "comment": ""}),
    )
    .await;
    let (s, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
    assert_eq!(s, 201, "{p}");
    w.t.run_jobs().await;
    let (_, post) = w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await;
    assert_eq!(post["status"], "published", "{post}");
    let uri = post["external_id"].as_str().expect("at:// uri");
    assert!(uri.starts_with("at://did:plc:") && uri.contains("/app.bsky.feed.post/"), "{uri}");

    // Read it back from the PDS, as anyone can.
    let rkey = uri.rsplit('/').next().expect("rkey");
    let record: Value = reqwest::Client::new()
        .get(format!("{pds}/xrpc/com.atproto.repo.getRecord"))
        .query(&[
            ("repo", peer["did"].as_str().expect("did")),
            ("collection", "app.bsky.feed.post"),
            ("rkey", rkey),
        ])
        .send()
        .await
        .expect("getRecord")
        .json()
        .await
        .expect("json");
    let value = &record["value"];
    assert_eq!(value["text"], caption);
    let facets = value["facets"].as_array().expect("facets");
    let feature = |kind: &str| {
        facets
            .iter()
            .find(|f| f["features"][0]["$type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} facet in {facets:?}"))
            .clone()
    };
    let slice = |f: &Value| {
        let (a, b) = (
            f["index"]["byteStart"].as_u64().expect("start") as usize,
            f["index"]["byteEnd"].as_u64().expect("end") as usize,
        );
        caption.as_bytes()[a..b].to_vec()
    };
    let link = feature("app.bsky.richtext.facet#link");
    assert_eq!(slice(&link), b"https://example.com/open-day?x=1");
    let tag = feature("app.bsky.richtext.facet#tag");
    assert_eq!(slice(&tag), b"#OpenDay");
    assert_eq!(tag["features"][0]["tag"], "OpenDay");
    let mention = feature("app.bsky.richtext.facet#mention");
    assert_eq!(slice(&mention), b"@bob.test");
    assert!(mention["features"][0]["did"].as_str().expect("did").starts_with("did:plc:"));
    assert_eq!(value["embed"]["$type"], "app.bsky.embed.images");
    assert_eq!(value["embed"]["images"][0]["image"]["mimeType"], "image/png");

    // The session was kept (sealed) for the next post.
    let mut db = w.t.app.store.conn().await.expect("conn");
    let channel_id: chorus_domain::ChannelId = channel.parse::<uuid::Uuid>().expect("uuid").into();
    let (_, session) =
        chorus_store::channels::secrets(&mut db, w.org, channel_id).await.expect("read").expect("row");
    let session = session.expect("a kept session");
    assert!(!String::from_utf8_lossy(&session).contains("eyJ"), "sealed, not a plain JWT");
}

/// A channel that never answers (connection refused: certainly not posted) is retried with
/// back-off; when the job runs out of attempts the post is `failed`, with the reason, for a
/// person to see, never silently dropped.
#[tokio::test]
async fn a_post_that_cannot_be_delivered_is_failed_after_its_last_retry() {
    let w = setup().await;
    let channel = w
        .channel(json!({"network": "webhook", "name": "Gone", "credentials": {"url": "http://127.0.0.1:9/hook", "secret": "s"}}))
        .await;
    let id = w.approved("Nobody home", "Hello?").await;
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
    let post = p["id"].as_str().expect("id").to_owned();
    for _ in 0..12 {
        w.t.run_jobs().await;
        w.t.clock.advance(time::Duration::hours(2));
    }
    let (_, failed) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 10, "every attempt reached the network call: {failed}");
    assert!(failed["last_error"].as_str().expect("error").contains("gave up after every retry"), "{failed}");

    // The dead letter is the social team's to see, with its error, and to retry.
    let (s, _) = w.get(&w.eve, "/api/v1/jobs/dead").await;
    assert_eq!(s, 403, "employees do not see the queue");
    let (s, dead) = w.get(&w.sam, "/api/v1/jobs/dead").await;
    assert_eq!(s, 200, "{dead}");
    let items = dead["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{dead}");
    assert_eq!(items[0]["kind"], "publish_post");
    assert_eq!(items[0]["post_id"], post.as_str());
    assert_eq!(items[0]["attempts"], 10);
    assert!(items[0]["last_error"].as_str().expect("error").contains("network unavailable"), "{dead}");
    assert!(!dead.to_string().contains("scheduled_at"), "payloads are not shown");
    let job = items[0]["id"].as_str().expect("id").to_owned();

    // Another organization cannot see or retry it.
    let (other_org, _) = w.t.org("Elsewhere").await;
    w.t.person(other_org, "olga@elsewhere.test", "social", None, PASSWORD).await;
    let olga = w.t.token(other_org, "olga@elsewhere.test").await;
    assert!(w.get(&olga, "/api/v1/jobs/dead").await.1["items"].as_array().expect("items").is_empty());
    assert_eq!(w.post(&olga, &format!("/api/v1/jobs/{job}/retry"), json!({})).await.0, 404);

    // The receiver is back: the social team fixes the channel and retries from the page.
    let hook = Webhook::start("s").await;
    let path = format!("/api/v1/channels/{channel}/credentials");
    let (s, _, _) = w
        .call(
            reqwest::Method::PUT,
            &w.sam,
            &path,
            Some(json!({"credentials": {"url": hook.url, "secret": "s"}})),
        )
        .await;
    assert_eq!(s, 200);
    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/jobs")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("Publish a post") && page.contains("network unavailable"), "{page}");
    let csrf = chorus_testkit::csrf_of(&page);
    let res = browser
        .post(w.t.url(&format!("/jobs/{job}/retry")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/jobs?notice=retrying");
    let page =
        browser.get(w.t.url("/jobs?notice=retrying")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("Queued again") && page.contains("Nothing has failed"), "{page}");
    w.t.run_jobs().await;
    let (_, out) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(out["status"], "published", "{out}");
    assert_eq!(hook.delivered().len(), 1);
    assert!(w.get(&w.sam, "/api/v1/jobs/dead").await.1["items"].as_array().expect("items").is_empty());
    assert_eq!(w.post(&w.sam, &format!("/api/v1/jobs/{job}/retry"), json!({})).await.0, 404, "done and gone");
}

/// A post whose outcome nobody can tell is confirmed by a person, never sent again by Chorus.
#[tokio::test]
async fn an_unconfirmed_post_is_confirmed_by_a_person() {
    let w = setup().await;
    let hook = Webhook::start(HOOK_SECRET).await;
    let channel = w
        .channel(json!({"network": "webhook", "name": "Chat", "credentials": {"url": hook.url, "secret": HOOK_SECRET}}))
        .await;
    let id = w.approved("Lost answer", "Did it arrive?").await;
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
    let post = p["id"].as_str().expect("id").to_owned();
    // A worker died mid-call: the post is `publishing` with its attempt on record.
    let store = chorus_store::Store::connect(&w.t.db_url).await.expect("store");
    mark_in_flight(&mut store.conn().await.expect("conn"), &post, w.t.app.now()).await;
    w.t.run_jobs().await;
    let (_, parked) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
    assert_eq!(parked["status"], "unconfirmed", "{parked}");
    assert!(hook.requests().is_empty(), "not sent again blindly");

    let confirm = format!("/api/v1/posts/{post}/confirm");
    assert_eq!(w.post(&w.eve, &confirm, json!({})).await.0, 403);
    let (s, v) = w.post(&w.sam, &confirm, json!({"url": "javascript:alert(1)"})).await;
    assert_eq!(s, 422, "{v}");
    let (s, done) = w.post(&w.sam, &confirm, json!({"url": "https://chat.example/m/42"})).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "published");
    assert_eq!(done["external_url"], "https://chat.example/m/42");
    assert_eq!(w.post(&w.sam, &confirm, json!({})).await.0, 409, "only once");
    assert_eq!(w.get(&w.eve, &format!("/api/v1/submissions/{id}")).await.1["status"], "published");
    w.t.run_jobs().await;
    assert!(hook.requests().is_empty(), "and nothing is sent afterwards");
}

/// Leaves a post as a worker that died mid-call does: `publishing`, with the attempt's start.
async fn mark_in_flight(db: &mut chorus_store::Conn, post: &str, now: time::OffsetDateTime) {
    let id: chorus_domain::PostId = post.parse::<uuid::Uuid>().expect("uuid").into();
    let p = chorus_store::posts::get_any(db, id).await.expect("read").expect("post");
    let change = chorus_store::posts::Change {
        attempt_started_at: Some(now),
        count_attempt: true,
        ..Default::default()
    };
    assert!(
        chorus_store::posts::transition(db, id, p.version, "publishing", &change, now).await.expect("mark")
    );
}

/// X, LinkedIn and Facebook end to end through the publish job, against strict stand-ins: one
/// post each; X's access token is renewed before it expires and the rotated token is kept
/// (sealed) for the next post; a refresh token the network revoked flags the channel and holds
/// its post; Facebook's expired Page token does the same.
#[tokio::test]
async fn x_linkedin_and_facebook_publish_and_keep_their_tokens_fresh() {
    use chorus_standins::{facebook, linkedin, x};
    let w = setup().await;
    let xs = x::start(x::Config::default()).await;
    let li = linkedin::start(linkedin::Config::default()).await;
    let fb = facebook::start(facebook::Config::default()).await;
    let soon = w.t.app.now().unix_timestamp() + 60; // inside the five-minute margin
    let on_x = w
        .channel(json!({"network": "x", "name": "Acme on X", "base_url": xs.base_url,
            "credentials": {"client_id": "x-client-id", "client_secret": "x-client-secret",
                "access_token": "x-access-0", "refresh_token": "x-refresh-0", "expires_at": soon.to_string()}}))
        .await;
    let on_linkedin = w
        .channel(json!({"network": "linkedin", "name": "Acme on LinkedIn", "base_url": li.api_url,
            "credentials": {"organization_id": "2414183", "access_token": "li-access-0",
                "refresh_token": "li-refresh-0", "client_id": "li-client-id", "client_secret": "li-client-secret",
                "token_url": li.token_url}}))
        .await;
    let on_facebook = w
        .channel(json!({"network": "facebook", "name": "Acme on Facebook", "base_url": fb.base_url,
            "credentials": {"page_id": "104000000000001", "access_token": "fb-page-token"}}))
        .await;
    let (s, v) = w
        .post(
            &w.sam,
            "/api/v1/channels",
            json!({"network": "x", "name": "No id",
        "credentials": {"access_token": "t"}}),
        )
        .await;
    assert_eq!(s, 422, "X needs the OAuth client id: {v}");
    let (s, v) = w
        .post(
            &w.sam,
            "/api/v1/channels",
            json!({"network": "x", "name": "Bad expiry",
        "credentials": {"client_id": "c", "access_token": "t", "expires_at": "tomorrow"}}),
        )
        .await;
    assert_eq!(s, 422, "{v}");

    let id = w.approved("Trail crew", "A day with the trail crew, from sunrise to the last cairn").await;
    let mut posts = Vec::new();
    for channel in [&on_x, &on_linkedin, &on_facebook] {
        let (s, p) =
            w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
        assert_eq!(s, 201, "{p}");
        posts.push(p["id"].as_str().expect("id").to_owned());
    }
    w.t.run_jobs().await;
    let tweets = xs.tweets();
    assert_eq!(tweets.len(), 1, "{tweets:?}");
    assert_eq!(tweets[0].text, "A day with the trail crew, from sunrise to the last cairn");
    assert_eq!(li.posts().len(), 1);
    assert_eq!(li.posts()[0].text, "A day with the trail crew, from sunrise to the last cairn");
    assert_eq!(li.posts()[0].author, "urn:li:organization:2414183");
    assert_eq!(fb.posts().len(), 1);
    for (post, prefix) in posts.iter().zip([
        "https://x.com/i/web/status/",
        "https://www.linkedin.com/feed/update/urn:li:share:",
        "https://www.facebook.com/",
    ]) {
        let (_, p) = w.get(&w.sam, &format!("/api/v1/posts/{post}")).await;
        assert_eq!(p["status"], "published", "{p}");
        assert!(p["external_url"].as_str().is_some_and(|u| u.starts_with(prefix)), "{p}");
    }
    assert_eq!(w.get(&w.eve, &format!("/api/v1/submissions/{id}")).await.1["status"], "published");

    // X: renewed once before it expired; the rotated token was kept, so the next post needs no
    // refresh (the first refresh token is spent: using it again would be refused).
    assert_eq!(xs.journal.statuses(chorus_standins::Endpoint::Token), [200]);
    assert_eq!(xs.used_refresh_tokens(), ["x-refresh-0"]);
    let store = chorus_store::Store::connect(&w.t.db_url).await.expect("store");
    let x_id: chorus_domain::ChannelId = on_x.parse::<uuid::Uuid>().expect("uuid").into();
    let (_, session) = chorus_store::channels::secrets(&mut store.conn().await.expect("conn"), w.org, x_id)
        .await
        .expect("read")
        .expect("row");
    let session = session.expect("the renewed token is kept");
    assert!(
        !String::from_utf8_lossy(&session).contains(&xs.access_token()),
        "kept sealed, not in plain text"
    );
    let next = w.approved("Second", "Back at the depot").await;
    w.t.clock.advance(time::Duration::hours(2));
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": next, "channel_id": on_x})).await;
    w.t.run_jobs().await;
    assert_eq!(
        w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await.1["status"],
        "published"
    );
    assert_eq!(xs.tweets().len(), 2);

    // A revoked refresh token: the channel needs attention and the post is held.
    xs.revoke_refresh_token();
    xs.expire_access_tokens();
    let third = w.approved("Third", "Held until X is reconnected").await;
    w.t.clock.advance(time::Duration::hours(2));
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": third, "channel_id": on_x})).await;
    w.t.run_jobs().await;
    assert_eq!(
        w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await.1["status"],
        "scheduled"
    );
    let (_, channels) = w.get(&w.sam, "/api/v1/channels").await;
    let status_of = |id: &str| {
        channels["items"].as_array().expect("items").iter().find(|c| c["id"] == id).expect("channel")["status"].clone()
    };
    assert_eq!(status_of(&on_x), "needs_attention");
    assert_eq!(xs.tweets().len(), 2, "nothing posted with dead credentials");

    // Facebook's Page token expired: flagged and held the same way.
    fb.expire_page_token();
    let fourth = w.approved("Fourth", "Held until the Page token is renewed").await;
    w.t.clock.advance(time::Duration::hours(2));
    let (_, p) =
        w.post(&w.sam, "/api/v1/posts", json!({"submission_id": fourth, "channel_id": on_facebook})).await;
    w.t.run_jobs().await;
    assert_eq!(
        w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await.1["status"],
        "scheduled"
    );
    let (_, channels) = w.get(&w.sam, "/api/v1/channels").await;
    let flagged = channels["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == on_facebook.as_str())
        .cloned();
    assert_eq!(flagged.expect("channel")["status"], "needs_attention");
}

/// "Connect with Mastodon": Chorus registers itself on the instance, the person approves it
/// there, and comes back with the channel added; the code is exchanged once, the flow is bound
/// to the person's browser, and the new token posts.
#[tokio::test]
async fn a_mastodon_account_is_connected_by_oauth_without_copying_tokens() {
    let w = setup().await;
    let instance = Mastodon::start("not-the-one-chorus-gets").await;
    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/channels")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("Connect with Mastodon"), "{page}");
    let csrf = chorus_testkit::csrf_of(&page);

    // A bad instance address is a readable error, not a 500.
    let res = browser
        .post(w.t.url("/channels/connect/mastodon"))
        .form(&[("csrf", csrf.as_str()), ("name", "Nowhere"), ("base_url", "http://127.0.0.1:9")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("could not register Chorus with that instance"));

    let res = browser
        .post(w.t.url("/channels/connect/mastodon"))
        .form(&[("csrf", csrf.as_str()), ("name", "Acme on Mastodon"), ("base_url", instance.base.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let authorize = res.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        authorize
            .starts_with(&format!("{}/oauth/authorize?response_type=code&client_id=client-1", instance.base))
    );
    let redirect_uri = format!("{}/channels/connect/mastodon/callback", w.t.base);
    assert!(authorize.contains(&format!("redirect_uri={}", urlencode(&redirect_uri))), "{authorize}");
    let pending = res.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(pending.starts_with("chorus_connect=") && pending.contains("HttpOnly"), "{pending}");

    // The person approves on the instance, which sends them back with a code.
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let back = no_redirects.get(&authorize).send().await.expect("GET authorize");
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(callback.starts_with(&redirect_uri), "{callback}");

    // A forged state is refused, and so is someone else's browser (no pending cookie).
    let forged = callback.replace("state=", "state=0");
    let res = browser.get(&forged).send().await.expect("GET");
    assert_eq!(res.status(), 410);
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    assert_eq!(eve.get(&callback).send().await.expect("GET").status(), 403, "employees cannot add channels");

    // The forged attempt cleared the pending cookie: this browser must start again, so a new
    // attempt is made and approved.
    let res = browser
        .post(w.t.url("/channels/connect/mastodon"))
        .form(&[("csrf", csrf.as_str()), ("name", "Acme on Mastodon"), ("base_url", instance.base.as_str())])
        .send()
        .await
        .expect("POST");
    let authorize = res.headers()["location"].to_str().expect("ascii").to_owned();
    let back = no_redirects.get(&authorize).send().await.expect("GET authorize");
    let callback = back.headers()["location"].to_str().expect("ascii").to_owned();
    let res = browser.get(&callback).send().await.expect("GET callback");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/channels?notice=connected");

    let (_, channels) = w.get(&w.sam, "/api/v1/channels").await;
    let items = channels["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{channels}");
    assert_eq!(items[0]["network"], "mastodon");
    assert_eq!(items[0]["base_url"], instance.base.as_str());
    assert!(!channels.to_string().contains("issued-token"), "the token never comes back");

    // The issued token posts.
    let id = w.approved("Connected", "Posted with the token Chorus obtained itself").await;
    let channel = items[0]["id"].as_str().expect("id");
    let (_, p) = w.post(&w.sam, "/api/v1/posts", json!({"submission_id": id, "channel_id": channel})).await;
    w.t.run_jobs().await;
    assert_eq!(
        w.get(&w.sam, &format!("/api/v1/posts/{}", p["id"].as_str().expect("id"))).await.1["status"],
        "published"
    );
    assert_eq!(instance.statuses().len(), 1);

    // Coming back again with the same code does nothing (the cookie is gone, the code used).
    let res = browser.get(&callback).send().await.expect("GET");
    assert_eq!(res.status(), 410);
    assert_eq!(w.get(&w.sam, "/api/v1/channels").await.1["items"].as_array().expect("items").len(), 1);
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).expect("encode").trim_start_matches('=').to_owned()
}

/// The submission page offers a form per channel, pre-filled with the caption shortened as that
/// network counts it, with the images to tick; each post carries only the images chosen for it.
#[tokio::test]
async fn each_channel_gets_a_previewed_post_with_its_own_images() {
    let w = setup().await;
    let mastodon = Mastodon::start(MASTODON_TOKEN).await;
    let xs = chorus_standins::x::start(chorus_standins::x::Config::default()).await;
    let on_mastodon = w
        .channel(json!({"network": "mastodon", "name": "Acme social", "base_url": mastodon.base,
            "credentials": {"access_token": MASTODON_TOKEN}}))
        .await;
    w.channel(json!({"network": "x", "name": "Acme on X", "base_url": xs.base_url,
        "credentials": {"client_id": "x-client-id", "access_token": "x-access-0"}}))
        .await;

    // A photo whose caption is too long for X.
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image::RgbImage::from_pixel(64, 48, image::Rgb([30, 120, 60])))
        .expect("encode");
    let media_id = w.upload(jpeg, "trail.jpg", "image/jpeg").await;
    let caption = "The trail crew rebuilt the Kestrel Creek footbridge this week: forty planks, two new \
        handrails and a ramp so that wheelchairs and strollers can cross at last. Thank you to everyone \
        who carried timber up the valley, and to the neighbours who brought soup. Come and walk it this \
        weekend: the path from the car park is signposted, and the crew will be there on Saturday.";
    let (s, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "photo", "title": "Footbridge", "body": caption,
            "media_ids": [media_id]}),
        )
        .await;
    assert_eq!(s, 201, "{draft}");
    let id = draft["id"].as_str().expect("id").to_owned();
    w.post(&w.eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
    let (s, v) = w
        .post(
            &w.sam,
            &format!("/api/v1/submissions/{id}/decision"),
            json!({"decision": "approve", "comment": ""}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    let browser = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let page = browser
        .get(w.t.url(&format!("/submissions/{id}")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("aria-label=\"Post on Acme on X\"")
            && page.contains("aria-label=\"Post on Acme social\"")
    );
    assert!(page.contains("as X counts"), "the X form says how long the text is: {page}");
    let x_form = page.split("aria-label=\"Post on Acme on X\"").nth(1).expect("X form");
    let x_text = x_form
        .split("name=\"text\" rows=\"4\">")
        .nth(1)
        .expect("textarea")
        .split("</textarea>")
        .next()
        .expect("end");
    assert!(x_text.chars().count() <= 280 && x_text.ends_with('…'), "shortened for X: {x_text}");
    assert!(page.contains(&format!("name=\"media\" value=\"{media_id}\" checked")), "{page}");

    // Scheduled from the Mastodon form with the image unticked: the status carries no media.
    let csrf = chorus_testkit::csrf_of(&page);
    let res = browser
        .post(w.t.url("/posts"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("submission_id", id.as_str()),
            ("channel_id", on_mastodon.as_str()),
            ("text", "Our new footbridge is open"),
            ("choose_media", "1"),
            ("scheduled_at", ""),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    // And through the API with the image chosen, on a second Mastodon channel.
    let second = w
        .channel(json!({"network": "mastodon", "name": "Acme social two", "base_url": mastodon.base,
            "credentials": {"access_token": MASTODON_TOKEN}}))
        .await;
    let (s, p) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": id, "channel_id": second, "media_ids": [media_id]}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["media_ids"], json!([media_id]));
    let (s, v) = w
        .post(
            &w.sam,
            "/api/v1/posts",
            json!({"submission_id": id, "channel_id": second,
            "media_ids": [uuid::Uuid::now_v7()]}),
        )
        .await;
    assert_eq!(s, 422, "only the submission's own images: {v}");
    w.t.clock.advance(time::Duration::days(1));
    w.t.run_jobs().await;
    let statuses = mastodon.statuses();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    let images_of = |text: &str| {
        let status = statuses.iter().find(|s| s["content"].as_str().is_some_and(|c| c.contains(text)));
        status.expect("status")["media_attachments"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(images_of("Our new footbridge is open"), 0, "the image was unticked for the first");
    assert_eq!(images_of("The trail crew rebuilt"), 1, "the second carries it");
    let page = browser
        .get(w.t.url(&format!("/submissions/{id}")))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(
        page.contains("<blockquote>Our new footbridge is open</blockquote>"),
        "each post previewed: {page}"
    );
}
