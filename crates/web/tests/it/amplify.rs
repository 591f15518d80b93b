//! Amplification (issue 5): shares, tracked links and click counting, over HTTP.

use chorus_testkit::TestApp;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const PHONE: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
const LINKEDIN_BOT: &str =
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)";

struct World {
    t: TestApp,
    api: reqwest::Client,
    /// A client that does not follow redirects, as a test of where one leads.
    raw: reqwest::Client,
    org: chorus_domain::OrgId,
    eve: String,
    sam: String,
}

async fn setup() -> World {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "sam@acme.test", "social", None, PASSWORD).await;
    t.person(org, "eve@acme.test", "employee", None, PASSWORD).await;
    let sam = t.token(org, "sam@acme.test").await;
    let eve = t.token(org, "eve@acme.test").await;
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    World { t, api: reqwest::Client::new(), raw, org, eve, sam }
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

    /// An idea with a link, by Eve, approved by Sam; returns its id.
    async fn approved(&self, title: &str, link: &str) -> String {
        self.approved_in(title, link, None).await
    }

    /// The same, in a campaign.
    async fn approved_in(&self, title: &str, link: &str, campaign: Option<&str>) -> String {
        let (s, d) = self
            .post(
                &self.eve,
                "/api/v1/submissions",
                json!({"kind": "article", "title": title,
                "body": "Come and see the new depot on Saturday", "link": link, "campaign_id": campaign}),
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

    async fn follow(&self, code: &str, user_agent: &str) -> reqwest::Response {
        self.raw
            .get(self.t.url(&format!("/s/{code}")))
            .header("user-agent", user_agent)
            .send()
            .await
            .expect("GET")
    }
}

/// Acceptance 1 (the API and "my shares" part): a share to LinkedIn; 5 people and 2 LinkedInBot
/// fetches follow the link; the redirect carries the UTM tags; the counts come out 5 and 2.
#[tokio::test]
async fn a_share_counts_people_and_bots_apart_and_tags_the_destination() {
    let w = setup().await;
    let id = w.approved("Open day", "https://example.com/open-day?ref=news").await;
    let (s, share) =
        w.post(&w.eve, "/api/v1/shares", json!({"submission_id": id, "network": "linkedin"})).await;
    assert_eq!(s, 201, "{share}");
    let code = share["code"].as_str().expect("code").to_owned();
    assert!(code.len() >= 8 && code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
    assert_eq!(share["url"], format!("{}/s/{code}", w.t.base));
    let intent = share["share_url"].as_str().expect("share_url");
    assert!(intent.starts_with("https://www.linkedin.com/sharing/share-offsite/?url="), "{intent}");
    assert!(intent.contains(&format!("%2Fs%2F{code}")), "the intent carries the tracked link: {intent}");
    assert!(
        share["caption"].as_str().expect("caption").ends_with("(I work at Acme)"),
        "disclosure appended: {share}"
    );

    for _ in 0..5 {
        let res = w.follow(&code, PHONE).await;
        assert_eq!(res.status(), 302);
        assert_eq!(
            res.headers()["location"],
            format!(
                "https://example.com/open-day?ref=news&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=open-day&utm_content={code}"
            )
            .as_str()
        );
    }
    for _ in 0..2 {
        assert_eq!(w.follow(&code, LINKEDIN_BOT).await.status(), 302);
    }
    let head =
        w.raw.head(w.t.url(&format!("/s/{code}"))).header("user-agent", PHONE).send().await.expect("HEAD");
    assert_eq!(head.status(), 302, "HEAD is answered, not counted");

    // Clicks are written in the background within the flush interval.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mine = loop {
        let (s, mine) = w.get(&w.eve, "/api/v1/shares").await;
        assert_eq!(s, 200);
        if mine["items"][0]["human_clicks"] == 5 && mine["items"][0]["bot_fetches"] == 2 {
            break mine;
        }
        assert!(std::time::Instant::now() < deadline, "clicks not counted: {mine}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert!(
        w.get(&w.sam, "/api/v1/shares").await.1["items"].as_array().expect("items").is_empty(),
        "only one's own"
    );
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let page = eve.get(w.t.url("/me/shares")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("<td>Open day</td><td>LinkedIn</td>"), "{page}");
    assert!(
        page.contains(r#"<td data-label="People">5</td><td data-label="Preview robots">2</td>"#),
        "5 people, 2 robots on 'my shares': {page}"
    );

    // The social team's numbers: the API and the dashboard agree.
    let (s, sum) = w.get(&w.sam, "/api/v1/analytics/summary").await;
    assert_eq!(s, 200, "{sum}");
    assert_eq!(sum["clicks"], json!({"human": 5, "bot": 2}), "{sum}");
    assert_eq!(sum["unique_visitors"], 1, "one phone, counted once: {sum}");
    assert_eq!(
        (sum["shares"].as_i64(), sum["submissions"].as_i64(), sum["approved"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(sum["published"], 0);
    assert_eq!(sum["participation_rate"], 0.5, "Eve took part, Sam did not: {sum}");
    let sam = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let page = sam.get(w.t.url("/analytics")).send().await.expect("GET").text().await.expect("body");
    let row = |measure: &str, value: i64| {
        format!(r#"<td data-label="Measure">{measure}</td><td data-label="Value">{value}</td>"#)
    };
    assert!(page.contains(&row("People&#39;s clicks", 5)), "{page}");
    assert!(page.contains(&row("Preview robots&#39; fetches", 2)), "{page}");
    assert!(page.contains("<svg") && page.contains("People's clicks in all: 5"), "the chart: {page}");
    assert!(page.contains(r#"<td data-label="Content">Open day</td><td data-label="Kind">article</td><td data-label="People&#39;s clicks">5</td>"#), "what works: {page}");
    let csv = sam.get(w.t.url("/analytics/export/networks.csv")).send().await.expect("GET");
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.expect("body");
    assert_eq!(csv, "Network,People's clicks,Visitors,Preview robots,Shares clicked\nlinkedin,5,1,2,1\n");
    // Analytics are not for every employee.
    assert_eq!(w.get(&w.eve, "/api/v1/analytics/summary").await.0, 403);
    assert_eq!(eve.get(w.t.url("/analytics")).send().await.expect("GET").status(), 403);
}

/// Acceptance 3: no open redirect, no guessing, and withdrawn content stops redirecting.
#[tokio::test]
async fn tracked_links_cannot_be_bent_or_guessed() {
    let w = setup().await;
    let id = w.approved("Open day", "https://example.com/open-day").await;
    // The destination comes from the approved content only.
    let (s, v) = w
        .post(
            &w.eve,
            "/api/v1/shares",
            json!({"submission_id": id, "network": "x", "destination": "https://evil.example"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = w.post(&w.eve, "/api/v1/shares", json!({"submission_id": id, "network": "myspace"})).await;
    assert_eq!(s, 422, "{v}");
    // Content that is not approved is not shareable.
    let (_, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "article", "title": "Draft", "body": "x", "link": "https://example.com/d"}),
        )
        .await;
    let (s, v) =
        w.post(&w.eve, "/api/v1/shares", json!({"submission_id": draft["id"], "network": "x"})).await;
    assert_eq!(s, 409, "{v}");
    // Another organization's content does not exist for this person.
    let (other, _) = w.t.org("Elsewhere").await;
    w.t.person(other, "olga@elsewhere.test", "employee", None, PASSWORD).await;
    let olga = w.t.token(other, "olga@elsewhere.test").await;
    assert_eq!(w.post(&olga, "/api/v1/shares", json!({"submission_id": id, "network": "x"})).await.0, 404);

    let (_, share) = w.post(&w.eve, "/api/v1/shares", json!({"submission_id": id, "network": "x"})).await;
    let code = share["code"].as_str().expect("code").to_owned();
    for guess in [
        "aaaaaaaaaa",
        "AAAAAAAAAA",
        "short",
        "..%2F..%2Fetc%2Fpasswd",
        "%2F%2Fevil.example",
        "%FF%FE%FD%FC%FB%FA%F9%F8",
        "abc%00defghij",
        &"z".repeat(300),
    ] {
        let res = w.follow(guess, PHONE).await;
        assert_eq!(res.status(), 404, "{guess}");
        assert!(res.headers().get("location").is_none());
        assert!(
            res.text().await.expect("body").contains("This link leads nowhere"),
            "a friendly page for {guess}"
        );
    }
    let res = w.raw.get(w.t.url("/s/")).send().await.expect("GET");
    assert_eq!(res.status(), 404);

    // A public link sets no cookie; its pages carry the usual security headers.
    let res = w.follow(&code, PHONE).await;
    assert_eq!(res.status(), 302);
    assert!(res.headers().get("set-cookie").is_none(), "no cookie on a tracked link");
    let res = w.follow("aaaaaaaaaa", PHONE).await;
    assert!(res.headers()["content-security-policy"].to_str().expect("ascii").contains("default-src 'self'"));

    // Withdrawn: archived content's links answer 410, at once.
    assert_eq!(w.follow(&code, PHONE).await.status(), 302);
    let (s, v) = w
        .post(
            &w.sam,
            &format!("/api/v1/submissions/{id}/decision"),
            json!({"decision": "archive", "comment": ""}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let res = w.follow(&code, PHONE).await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.expect("body").contains("withdrawn"));
}

/// The share hub works without JavaScript: the form makes the tracked link and sends the person
/// to the network's share page; Mastodon asks once for the instance; the share guard stops a
/// flood; "my shares" lists what was shared.
#[tokio::test]
async fn the_share_hub_shares_in_one_click_and_remembers_the_mastodon_instance() {
    let w = setup().await;
    let id = w.approved("Open day", "https://example.com/open-day").await;
    let (_, draft) = w
        .post(
            &w.eve,
            "/api/v1/submissions",
            json!({"kind": "article", "title": "Secret draft", "body": "x",
            "link": "https://example.com/draft"}),
        )
        .await;
    assert_eq!(draft["status"], "draft");

    let browser = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let res = browser.get(w.t.url("/share")).send().await.expect("GET");
    // Browsers hold a form's redirect to `form-action`: the hub's may lead to any network.
    let csp = res.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
    assert!(csp.contains("form-action 'self' https:;"), "{csp}");
    let elsewhere = browser.get(w.t.url("/me/shares")).send().await.expect("GET");
    assert!(
        elsewhere.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("form-action 'self';")
    );
    let page = res.text().await.expect("body");
    assert!(page.contains("aria-label=\"Share Open day\"") && page.contains("(I work at Acme)"), "{page}");
    assert!(!page.contains("Secret draft"), "only approved content is in the hub");
    let csrf = chorus_testkit::csrf_of(&page);
    let share = |network: &'static str, instance: &'static str| {
        let form = [
            ("csrf", csrf.clone()),
            ("submission_id", id.clone()),
            ("network", network.to_owned()),
            ("caption", "Come see us Saturday".to_owned()),
            ("mastodon_instance", instance.to_owned()),
        ];
        browser.post(w.t.url("/share")).form(&form).send()
    };

    let res = share("x", "").await.expect("POST");
    assert_eq!(res.status(), 303);
    let intent = res.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(
        intent.starts_with("https://x.com/intent/tweet?text=Come%20see%20us%20Saturday&url="),
        "{intent}"
    );
    assert!(intent.contains(&format!("{}%2Fs%2F", amplify_encode(&w.t.base))), "the tracked link: {intent}");

    let res = share("mastodon", "").await.expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("which instance are you on"));
    let res = share("mastodon", "https://mastodon.social").await.expect("POST");
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"].to_str().expect("ascii").starts_with("https://mastodon.social/share?text=")
    );
    let res = share("mastodon", "").await.expect("POST");
    assert_eq!(res.status(), 303, "the instance is remembered");

    // Three shares of this item so far; two more are fine, the sixth is refused.
    for _ in 0..2 {
        assert_eq!(share("bluesky", "").await.expect("POST").status(), 303);
    }
    let res = share("linkedin", "").await.expect("POST");
    assert_eq!(res.status(), 409);
    assert!(res.text().await.expect("body").contains("shared this 5 times today"));

    let mine = browser.get(w.t.url("/me/shares")).send().await.expect("GET").text().await.expect("body");
    assert_eq!(mine.matches("<tr><td>Open day</td>").count(), 5, "{mine}");
    assert!(mine.contains("<td>Mastodon</td>") && mine.contains("<td>X</td>"));
}

fn amplify_encode(s: &str) -> String {
    chorus_domain::amplify::encode(s)
}

/// The social team decides how long an item stays in the share hub; admins tune the share guard
/// (a ceiling on volume, never a quota); employees can do neither.
#[tokio::test]
async fn the_social_team_sets_how_long_items_stay_and_admins_tune_the_share_guard() {
    let w = setup().await;
    let id = w.approved("Open day", "https://example.com/open-day").await;
    let share = json!({"submission_id": id, "network": "x"});

    // Sam takes the item out of the hub after yesterday, through the form on its page.
    let sam = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let page = sam.get(w.t.url(&format!("/submissions/{id}"))).send().await.expect("GET");
    let page = page.text().await.expect("body");
    assert!(page.contains("Last day in the share hub"), "{page}");
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1)).date().to_string();
    let form = [("csrf", chorus_testkit::csrf_of(&page)), ("share_until", yesterday.clone())];
    let res = sam.post(w.t.url(&format!("/submissions/{id}/share-until"))).form(&form).send().await;
    assert_eq!(res.expect("POST").status(), 303);
    let page = sam.get(w.t.url(&format!("/submissions/{id}"))).send().await.expect("GET");
    assert!(page.text().await.expect("body").contains(&format!("value=\"{yesterday}\"")), "the date is kept");
    let (s, v) = w.post(&w.eve, "/api/v1/shares", share.clone()).await;
    assert_eq!(s, 409, "expired from the hub: {v}");
    let eve = w.t.sign_in("eve@acme.test", PASSWORD).await;
    let hub = eve.get(w.t.url("/share")).send().await.expect("GET").text().await.expect("body");
    assert!(!hub.contains("Share Open day"), "gone from the hub");
    let form =
        [("csrf", chorus_testkit::csrf_of(&page_of(&sam, &w, &id).await)), ("share_until", "soon".into())];
    let res = sam.post(w.t.url(&format!("/submissions/{id}/share-until"))).form(&form).send().await;
    let res = res.expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("must be a date"));

    // Over the API: Eve may not change it; Sam puts it back with no end.
    let put = |token: &str, body: Value| {
        w.api
            .put(w.t.url(&format!("/api/v1/submissions/{id}/share-until")))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    assert_eq!(put(&w.eve, json!({"share_until": null})).await.expect("PUT").status(), 403);
    assert_eq!(put(&w.sam, json!({"share_until": "tomorrow"})).await.expect("PUT").status(), 422);
    let res = put(&w.sam, json!({"share_until": null})).await.expect("PUT");
    assert_eq!(res.status(), 200);
    assert_eq!(w.post(&w.eve, "/api/v1/shares", share.clone()).await.0, 201);

    // An admin lowers the repeats per item to one a day; a nonsense limit is refused.
    w.t.person(w.org, "ada@acme.test", "admin", None, PASSWORD).await;
    let ada = w.t.sign_in("ada@acme.test", PASSWORD).await;
    let page = ada.get(w.t.url("/guidelines")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("name=\"share_repeats_per_item\" min=\"1\" max=\"20\" value=\"5\""), "{page}");
    let csrf = chorus_testkit::csrf_of(&page);
    let settings = |items: &str, repeats: &str| {
        let form = [
            ("csrf", csrf.clone()),
            ("lead_review", "on".to_owned()),
            ("share_items_per_day", items.to_owned()),
            ("share_repeats_per_item", repeats.to_owned()),
        ];
        ada.post(w.t.url("/settings")).form(&form).send()
    };
    let res = settings("15", "0").await.expect("POST");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("between 1 and 20"));
    assert_eq!(settings("15", "1").await.expect("POST").status(), 303);
    let (s, v) = w.post(&w.eve, "/api/v1/shares", share).await;
    assert_eq!(s, 409, "{v}");
    assert!(v["detail"].as_str().unwrap_or_default().contains("shared this once today"), "{v}");
}

async fn page_of(client: &reqwest::Client, w: &World, id: &str) -> String {
    let res = client.get(w.t.url(&format!("/submissions/{id}"))).send().await.expect("GET");
    res.text().await.expect("body")
}

/// Bad periods get a 400 with the reason; a department's lead sees their department only; the
/// numbers survive the roll-up and the deletion of raw clicks past their retention.
#[tokio::test]
async fn analytics_check_periods_scope_leads_and_survive_roll_ups() {
    let w = setup().await;
    for (query, reason) in [
        ("from=2026-12-05&to=2026-12-01", "from must be before to"),
        ("from=2000-01-01&to=2026-01-01", "at most 732 days"),
        ("from=yesterday", "from must be a date"),
        ("to=2026-02-30", "to must be a date"),
        ("department=sales", "department must be a department id"),
    ] {
        let (s, v) = w.get(&w.sam, &format!("/api/v1/analytics/summary?{query}")).await;
        assert_eq!(s, 400, "{query}: {v}");
        assert!(v["detail"].as_str().unwrap_or_default().contains(reason), "{query}: {v}");
    }
    let sam = w.t.sign_in("sam@acme.test", PASSWORD).await;
    let res = sam.get(w.t.url("/analytics?from=2026-12-05&to=2026-12-01")).send().await.expect("GET");
    assert_eq!(res.status(), 400);
    assert!(res.text().await.expect("body").contains("from must be before to"));

    // Field has Fred (who shares) and Lena (its lead); Office has Olaf (who shares too).
    w.t.person(w.org, "lena@acme.test", "lead", Some("Field"), PASSWORD).await;
    w.t.person(w.org, "fred@acme.test", "employee", Some("Field"), PASSWORD).await;
    w.t.person(w.org, "olaf@acme.test", "employee", Some("Office"), PASSWORD).await;
    // Fred is senior (band 4): a set seniority is read back on either database.
    {
        let mut db = w.t.app.store.conn().await.expect("db");
        let f = chorus_store::users::get_by_email(&mut db, w.org, "fred@acme.test")
            .await
            .expect("get")
            .expect("fred");
        chorus_store::users::update_profile(
            &mut db,
            w.org,
            f.id,
            &f.name,
            None,
            Some(4),
            f.department_id,
            w.t.app.now(),
        )
        .await
        .expect("seniority");
    }
    let (fred, olaf, lena) = (
        w.t.token(w.org, "fred@acme.test").await,
        w.t.token(w.org, "olaf@acme.test").await,
        w.t.token(w.org, "lena@acme.test").await,
    );
    let (s, goal) = w.post(&w.sam, "/api/v1/messaging-goals", json!({"name": "Community"})).await;
    assert_eq!(s, 201, "{goal}");
    let (s, campaign) =
        w.post(&w.sam, "/api/v1/campaigns", json!({"name": "Open days 2026", "pillar_id": goal["id"]})).await;
    assert_eq!(s, 201, "{campaign}");
    let id = w.approved_in("Open day", "https://example.com/open-day", campaign["id"].as_str()).await;
    let mut codes = vec![];
    for token in [&fred, &olaf] {
        let (s, v) = w.post(token, "/api/v1/shares", json!({"submission_id": id, "network": "x"})).await;
        assert_eq!(s, 201, "{v}");
        codes.push(v["code"].as_str().expect("code").to_owned());
    }
    for _ in 0..3 {
        w.follow(&codes[0], PHONE).await;
    }
    w.follow(&codes[1], PHONE).await;
    let expect = |v: &Value, human: i64| v["clicks"]["human"] == human;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !expect(&w.get(&w.sam, "/api/v1/analytics/summary").await.1, 4) {
        assert!(std::time::Instant::now() < deadline, "clicks not written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Results per campaign and messaging goal (one phone followed both links: a visitor per link).
    let csv = |table: &'static str| {
        let sam = &sam;
        let url = w.t.url(&format!("/analytics/export/{table}.csv"));
        async move { sam.get(url).send().await.expect("GET").text().await.expect("body") }
    };
    assert!(csv("campaigns").await.contains("\nOpen days 2026,Community,4,2,0,2\n"));
    let by_seniority = csv("participation-seniority").await;
    assert!(by_seniority.lines().any(|l| l.starts_with("4,1,1,")), "{by_seniority}");
    assert!(csv("goals").await.contains("\nCommunity,4,2,0,2\n"));

    // Lena sees Field (3 clicks), not Office, not the whole organization.
    let departments = w.get(&w.sam, "/api/v1/departments").await.1;
    let dept = |name: &str| {
        departments["items"].as_array().expect("items").iter().find(|d| d["name"] == name).expect(name)["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (field, office) = (dept("Field"), dept("Office"));
    let (s, v) = w.get(&lena, &format!("/api/v1/analytics/summary?department={field}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["clicks"]["human"].as_i64(), v["shares"].as_i64()), (Some(3), Some(1)), "{v}");
    assert_eq!(v["participation_rate"], 0.5, "Fred of Fred and Lena: {v}");
    assert_eq!(w.get(&lena, &format!("/api/v1/analytics/summary?department={office}")).await.0, 403);
    assert_eq!(w.get(&lena, "/api/v1/analytics/summary").await.0, 403);
    let browser = w.t.sign_in("lena@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/analytics")).send().await.expect("GET").text().await.expect("body");
    assert!(page.contains("<h1>Analytics: Field</h1>"), "a lead lands on their department: {page}");
    assert!(
        page.contains(r#"<td data-label="Measure">People&#39;s clicks</td><td data-label="Value">3</td>"#),
        "{page}"
    );
    assert!(!page.contains("Whole organization"));

    // Three days on, the hours are rolled up; 100 days on, the raw clicks are gone; the numbers stay.
    let before = w.get(&w.sam, "/api/v1/analytics/summary?from=2026-01-01&to=2027-12-31").await.1;
    for days in [3, 100] {
        w.t.clock.advance(time::Duration::days(days));
        let done = chorus_app::analytics::maintain(&w.t.app).await.expect("maintain");
        assert!(done.hours_rolled > 0);
        let after = w.get(&w.sam, "/api/v1/analytics/summary?from=2026-01-01&to=2027-12-31").await.1;
        assert_eq!(after["clicks"], before["clicks"], "after {days} days: {after}");
        assert_eq!(after["unique_visitors"], before["unique_visitors"], "after {days} days: {after}");
        let (_, v) = w
            .get(
                &lena,
                &format!("/api/v1/analytics/summary?from=2026-01-01&to=2027-12-31&department={field}"),
            )
            .await;
        assert_eq!(v["clicks"]["human"], 3, "after {days} days: {v}");
        let (_, mine) = w.get(&fred, "/api/v1/shares").await;
        assert_eq!(mine["items"][0]["human_clicks"], 3, "'my shares' after {days} days: {mine}");
    }
    let mut db = w.t.app.store.conn().await.expect("db");
    let raw =
        chorus_store::shares::totals(&mut db, w.org, time::OffsetDateTime::UNIX_EPOCH, w.t.app.now()).await;
    assert_eq!(raw.expect("totals").human_clicks, 0, "raw clicks past their retention are deleted");
}
