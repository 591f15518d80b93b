//! Feeds and the curation inbox, over HTTP, against real RSS 2.0 and Atom files (good, broken and
//! hostile) served by a local web server that this test starts and watches: conditional GETs and
//! 304s, back-off after failures, redirects to private addresses, the size cap, billion laughs,
//! wrong encodings, HTML in titles, de-duplication by canonical URL, the one-action submission,
//! who may see what, and bad input.

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_domain::OrgId;
use chorus_testkit::{TestApp, csrf_of};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const PASSWORD: &str = "correct horse battery staple";

// ------------------------------------------------------------------------------ the feed site

/// What the site answers at one path.
#[derive(Clone)]
enum Served {
    /// A feed file, with an ETag and Last-Modified; answers 304 to matching validators.
    Feed {
        body: Vec<u8>,
        etag: &'static str,
        content_type: &'static str,
    },
    Status(u16),
    Redirect(String),
}

#[derive(Debug, Clone)]
struct Seen {
    path: String,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
    user_agent: Option<String>,
}

#[derive(Default)]
struct SiteState {
    routes: HashMap<String, Served>,
    seen: Vec<Seen>,
}

#[derive(Clone)]
struct Site {
    base: String,
    state: Arc<Mutex<SiteState>>,
}

const LAST_MODIFIED: &str = "Thu, 03 Dec 2026 18:30:02 GMT";

impl Site {
    async fn start() -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<SiteState>> = Arc::default();
        let app = Router::new().fallback(serve).with_state(Arc::clone(&state));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Site { base, state }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Serves a fixture (with `{BASE}` replaced by this site's address).
    fn feed(&self, path: &str, fixture: &str, etag: &'static str) {
        self.bytes(path, fixture.replace("{BASE}", &self.base).into_bytes(), etag);
    }

    fn bytes(&self, path: &str, body: Vec<u8>, etag: &'static str) {
        self.set(path, Served::Feed { body, etag, content_type: "application/rss+xml" });
    }

    fn set(&self, path: &str, served: Served) {
        self.state.lock().expect("lock").routes.insert(path.to_owned(), served);
    }

    fn seen(&self, path: &str) -> Vec<Seen> {
        self.state.lock().expect("lock").seen.iter().filter(|s| s.path == path).cloned().collect()
    }
}

async fn serve(State(state): State<Arc<Mutex<SiteState>>>, req: Request) -> Response {
    let header = |h: &HeaderMap, name: header::HeaderName| {
        h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    };
    let path = req.uri().path().to_owned();
    let h = req.headers();
    let seen = Seen {
        path: path.clone(),
        if_none_match: header(h, header::IF_NONE_MATCH),
        if_modified_since: header(h, header::IF_MODIFIED_SINCE),
        user_agent: header(h, header::USER_AGENT),
    };
    let served = {
        let mut s = state.lock().expect("lock");
        s.seen.push(seen.clone());
        s.routes.get(&path).cloned()
    };
    match served {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Served::Status(code)) => {
            StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT).into_response()
        }
        Some(Served::Redirect(to)) => {
            let mut res = StatusCode::FOUND.into_response();
            res.headers_mut().insert(header::LOCATION, HeaderValue::from_str(&to).expect("location"));
            res
        }
        Some(Served::Feed { body, etag, content_type }) => {
            let quoted = format!("\"{etag}\"");
            if seen.if_none_match.as_deref() == Some(quoted.as_str()) {
                let mut res = StatusCode::NOT_MODIFIED.into_response();
                res.headers_mut().insert(header::ETAG, HeaderValue::from_str(&quoted).expect("etag"));
                return res;
            }
            let mut res = body.into_response();
            let hs = res.headers_mut();
            hs.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            hs.insert(header::ETAG, HeaderValue::from_str(&quoted).expect("etag"));
            hs.insert(header::LAST_MODIFIED, HeaderValue::from_static(LAST_MODIFIED));
            res
        }
    }
}

/// A server whose one feed never ends: HTTP/1.1 without a length, 64 KiB chunks until the client
/// hangs up (or 200 MiB). Counts the bytes it managed to send.
struct Endless {
    url: String,
    sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl Endless {
    async fn start() -> Endless {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/endless.xml", listener.local_addr().expect("addr"));
        let sent: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let counter = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\nconnection: close\r\n\r\n\
                                <?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>";
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = vec![b'a'; 64 * 1024];
                    for _ in 0..3200 {
                        if socket.write_all(&chunk).await.is_err() {
                            return;
                        }
                        counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
        });
        Endless { url, sent }
    }

    fn sent(&self) -> usize {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

// ------------------------------------------------------------------------------------ the world

const RSS: &str = include_str!("fixtures/feeds/rss2.xml");
const ATOM: &str = include_str!("fixtures/feeds/atom.xml");
const LAUGHS: &str = include_str!("fixtures/feeds/billion-laughs.xml");
const MALFORMED: &str = include_str!("fixtures/feeds/malformed.xml");
const HTML_TITLES: &str = include_str!("fixtures/feeds/html-titles.xml");

struct World {
    t: TestApp,
    site: Site,
    api: reqwest::Client,
    org: OrgId,
    admin: String,
    social: String,
    /// Leads Marketing.
    lead: String,
    /// Leads Sales.
    sales_lead: String,
    employee: String,
    /// The social team of another organization.
    other: String,
}

impl World {
    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.t.api(reqwest::Method::GET, token, path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.t.api(reqwest::Method::POST, token, path, Some(body)).await
    }

    async fn dept(&self, name: &str) -> String {
        self.t.department_id(&self.admin, name).await
    }

    /// Adds a feed (its first poll is queued) and runs the queued jobs.
    async fn add_feed(&self, token: &str, url: &str, department: Option<&str>) -> Value {
        let body = match department {
            Some(d) => json!({"url": url, "department_id": self.dept(d).await}),
            None => json!({"url": url}),
        };
        let (status, feed) = self.post(token, "/api/v1/feeds", body).await;
        assert_eq!(status, 201, "{feed}");
        self.t.run_jobs().await;
        feed
    }

    async fn feed(&self, id: &Value) -> Value {
        let (status, f) =
            self.get(&self.social, &format!("/api/v1/feeds/{}", id.as_str().expect("id"))).await;
        assert_eq!(status, 200, "{f}");
        f
    }

    /// The worker's upkeep after `minutes`: due feeds are queued, then the jobs run.
    async fn later(&self, minutes: i64) -> usize {
        self.t.clock.advance(time::Duration::minutes(minutes));
        let queued = chorus_app::feeds::schedule_due(&self.t.app).await.expect("schedule");
        self.t.run_jobs().await;
        queued
    }

    async fn inbox(&self, token: &str, state: &str) -> Vec<Value> {
        let (status, v) = self.get(token, &format!("/api/v1/curation?state={state}")).await;
        assert_eq!(status, 200, "{v}");
        v["items"].as_array().expect("items").clone()
    }
}

async fn world() -> World {
    let t = TestApp::spawn().await;
    let site = Site::start().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    t.person(org, "social@acme.test", "social", None, PASSWORD).await;
    t.person(org, "lead@acme.test", "lead", Some("Marketing"), PASSWORD).await;
    t.person(org, "sales.lead@acme.test", "lead", Some("Sales"), PASSWORD).await;
    t.person(org, "emp@acme.test", "employee", Some("Marketing"), PASSWORD).await;
    let (other_org, _) = t.org("Globex").await;
    t.person(other_org, "social@globex.test", "social", None, PASSWORD).await;
    World {
        admin: t.token(org, "admin@acme.test").await,
        social: t.token(org, "social@acme.test").await,
        lead: t.token(org, "lead@acme.test").await,
        sales_lead: t.token(org, "sales.lead@acme.test").await,
        employee: t.token(org, "emp@acme.test").await,
        other: t.token(other_org, "social@globex.test").await,
        api: reqwest::Client::new(),
        org,
        site,
        t,
    }
}

fn titles(items: &[Value]) -> Vec<String> {
    let mut t: Vec<String> =
        items.iter().map(|i| i["title"].as_str().unwrap_or_default().to_owned()).collect();
    t.sort();
    t
}

// ----------------------------------------------------------------------------------- the tests

/// Acceptance (issue 7, 4): a feed item becomes a submission in one action; the same item polled
/// again, and the same article from a second feed under a tracking-parameter variant of its URL,
/// is not duplicated.
#[tokio::test]
async fn a_feed_item_becomes_a_submission_in_one_action_and_is_never_duplicated() {
    let w = world().await;
    w.site.feed("/rss.xml", RSS, "rss-v1");
    w.site.feed("/atom.xml", ATOM, "atom-v1");
    let rss = w.add_feed(&w.lead, &w.site.url("/rss.xml"), Some("Marketing")).await;
    assert_eq!(rss["department"]["name"], "Marketing");
    let items = w.inbox(&w.lead, "new").await;
    assert_eq!(
        titles(&items),
        ["Employee advocacy, measured", "Five ways to brief your experts", "Why LinkedIn rewards comments"]
    );
    // The second feed (organization-wide, the social team's) carries the advocacy study again,
    // with fbclid and a fragment, and an article of its own.
    w.add_feed(&w.social, &w.site.url("/atom.xml"), None).await;
    assert_eq!(w.t.count_rows("curation_items").await, 4, "the advocacy study is one item");
    let team = w.inbox(&w.social, "new").await;
    assert_eq!(team.len(), 4);
    let study = team.iter().find(|i| i["title"] == "Employee advocacy, measured").expect("study").clone();
    assert_eq!(study["url"], w.site.url("/articles/advocacy-measured"), "canonical: no tracking parameters");
    assert_eq!(study["sources"], 2);
    let threads = team.iter().find(|i| i["title"] == "Threads one year on").expect("threads");
    assert_eq!(threads["url"], w.site.url("/articles/threads-at-one"), "the entry's canonical link wins");
    assert_eq!(threads["author"], "Lee Okafor");
    assert_eq!(threads["summary"], "What a year of Threads taught brands.");
    // The lead sees the items of Marketing's feed, not the organization-wide feed's own one.
    assert_eq!(w.inbox(&w.lead, "new").await.len(), 3);

    // One action: the lead turns the study into a submission.
    let id = study["id"].as_str().expect("id");
    let (status, made) = w.post(&w.lead, &format!("/api/v1/curation/{id}/submission"), json!({})).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["item"]["state"], "submitted");
    let sub = &made["submission"];
    assert!(
        ["lead_review", "team_review"].contains(&sub["status"].as_str().unwrap_or_default()),
        "handed in for review: {sub}"
    );
    assert_eq!(made["not_submitted"], Value::Null);
    assert_eq!(sub["title"], "Employee advocacy, measured");
    assert_eq!(sub["link"], w.site.url("/articles/advocacy-measured"));
    let body = sub["body"].as_str().expect("body");
    assert!(body.starts_with("> Companies that measure advocacy see 3× the reach."), "{body}");
    assert!(body.contains("Source: Marketing Week Digest (by Dana Whitfield)"), "{body}");
    // It is a normal submission of the lead's, in the normal workflow.
    let sid = sub["id"].as_str().expect("submission id");
    let (status, s) = w.get(&w.lead, &format!("/api/v1/submissions/{sid}")).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["kind"], "article");
    // Once only: a second click (or a second curator) is a conflict and creates nothing.
    let submissions = w.t.count_rows("submissions").await;
    let (status, again) = w.post(&w.social, &format!("/api/v1/curation/{id}/submission"), json!({})).await;
    assert_eq!(status, 409, "{again}");
    assert!(again["detail"].as_str().unwrap_or_default().contains("already"), "{again}");
    assert_eq!(w.t.count_rows("submissions").await, submissions);

    // Both feeds polled again: the files changed (new ETags), the articles did not.
    w.site.feed("/rss.xml", RSS, "rss-v2");
    w.site.feed("/atom.xml", ATOM, "atom-v2");
    assert_eq!(w.later(61).await, 2);
    assert_eq!(w.t.count_rows("curation_items").await, 4, "nothing duplicated");
    assert_eq!(w.t.count_rows("submissions").await, submissions);
    let submitted = w.inbox(&w.social, "submitted").await;
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0]["submission_id"], sid);
    assert_eq!(w.inbox(&w.social, "new").await.len(), 3);
    assert_eq!(w.feed(&rss["id"]).await["last_error"], Value::Null);
}

#[tokio::test]
async fn the_second_poll_sends_the_validators_and_a_304_changes_nothing() {
    let w = world().await;
    w.site.feed("/rss.xml", RSS, "v1");
    let feed = w.add_feed(&w.social, &w.site.url("/rss.xml"), None).await;
    let first = w.feed(&feed["id"]).await;
    assert_eq!(first["name"], "Marketing Week Digest", "the feed's own title names it");
    assert_eq!(first["items_found"], 3);
    let polled_first = first["last_polled_at"].clone();
    assert_ne!(polled_first, Value::Null);
    let seen = w.site.seen("/rss.xml");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].if_none_match, None, "nothing to validate the first time");
    assert!(seen[0].user_agent.as_deref().unwrap_or_default().starts_with("ChorusFeedReader/"), "{seen:?}");

    // Not due yet: the upkeep leaves it alone (polite).
    assert_eq!(w.later(30).await, 0);
    assert_eq!(w.site.seen("/rss.xml").len(), 1);
    // Due: a conditional GET, answered 304.
    assert_eq!(w.later(31).await, 1);
    let seen = w.site.seen("/rss.xml");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(seen[1].if_modified_since.as_deref(), Some(LAST_MODIFIED));
    let after = w.feed(&feed["id"]).await;
    assert_eq!(after["items_found"], 3);
    assert_eq!(after["last_error"], Value::Null);
    assert_eq!(after["failures"], 0);
    assert_ne!(after["last_polled_at"], polled_first, "the poll is recorded");
    assert_eq!(w.t.count_rows("curation_items").await, 3);
}

#[tokio::test]
async fn failures_back_off_doubling_and_a_success_resets_it() {
    let w = world().await;
    w.site.set("/flaky.xml", Served::Status(503));
    let feed = w.add_feed(&w.social, &w.site.url("/flaky.xml"), None).await;
    let f = w.feed(&feed["id"]).await;
    assert_eq!(f["failures"], 1);
    assert_eq!(f["last_error"], "the site answered with HTTP status 503");
    let next = |f: &Value| {
        time::OffsetDateTime::parse(
            f["next_poll_at"].as_str().expect("next"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time")
    };
    let polled = |f: &Value| {
        time::OffsetDateTime::parse(
            f["last_polled_at"].as_str().expect("polled"),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time")
    };
    assert_eq!(next(&f) - polled(&f), time::Duration::minutes(120), "twice the hourly interval");
    // An hour later it is not retried yet.
    assert_eq!(w.later(61).await, 0);
    assert_eq!(w.site.seen("/flaky.xml").len(), 1);
    // After two hours it is; the second failure doubles the wait again.
    assert_eq!(w.later(60).await, 1);
    let f = w.feed(&feed["id"]).await;
    assert_eq!(f["failures"], 2);
    assert_eq!(next(&f) - polled(&f), time::Duration::minutes(240));
    // Many failures later the wait is capped at a day.
    for _ in 0..6 {
        w.later(24 * 60).await;
    }
    let f = w.feed(&feed["id"]).await;
    assert_eq!(next(&f) - polled(&f), time::Duration::hours(24));
    // The site recovers: items arrive, the error and the back-off are gone.
    w.site.feed("/flaky.xml", RSS, "ok");
    w.later(24 * 60).await;
    let f = w.feed(&feed["id"]).await;
    assert_eq!(f["failures"], 0);
    assert_eq!(f["last_error"], Value::Null);
    assert_eq!(f["items_found"], 3);
    assert_eq!(next(&f) - polled(&f), time::Duration::minutes(60));
    // A feed that is gone for good (410) is paused, saying why.
    w.site.set("/flaky.xml", Served::Status(410));
    w.later(61).await;
    let f = w.feed(&feed["id"]).await;
    assert_eq!(f["status"], "paused");
    assert!(f["last_error"].as_str().unwrap_or_default().contains("gone for good"), "{f}");
    assert_eq!(w.t.count_rows("curation_items").await, 3, "what it brought stays");
    assert_eq!(w.later(24 * 60).await, 0, "a paused feed is not polled");
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused_on_every_hop() {
    let w = world().await;
    w.site.feed("/rss.xml", RSS, "v1");
    let port = w.site.base.rsplit(':').next().expect("port").to_owned();
    // Same server, reached by the name `localhost`: a private address by another name.
    w.site.set("/to-localhost.xml", Served::Redirect(format!("http://localhost:{port}/rss.xml")));
    w.site.set("/to-ten.xml", Served::Redirect("http://10.0.0.1/rss.xml".to_owned()));
    w.site.set("/to-metadata.xml", Served::Redirect("http://169.254.169.254/latest/meta-data".to_owned()));
    for path in ["/to-localhost.xml", "/to-ten.xml", "/to-metadata.xml"] {
        let started = Instant::now();
        let feed = w.add_feed(&w.social, &w.site.url(path), None).await;
        assert!(started.elapsed() < Duration::from_secs(5), "{path} took {:?}", started.elapsed());
        let f = w.feed(&feed["id"]).await;
        assert!(
            f["last_error"].as_str().unwrap_or_default().contains("private or internal network address"),
            "{path}: {f}"
        );
        assert_eq!(f["items_found"], 0);
    }
    assert!(w.site.seen("/rss.xml").is_empty(), "the redirect target was never requested");
    assert_eq!(w.t.count_rows("curation_items").await, 0);
    // Private targets named directly are refused when the feed is added.
    for url in ["http://10.1.2.3/feed.xml", "http://192.168.0.10/rss", "http://[::1]:8080/feed"] {
        let (status, p) = w.post(&w.social, "/api/v1/feeds", json!({"url": url})).await;
        assert_eq!(status, 422, "{url}: {p}");
        assert!(p["detail"].as_str().unwrap_or_default().contains("private or internal"), "{p}");
    }
}

#[tokio::test]
async fn a_huge_feed_is_refused_at_the_cap_and_the_items_already_found_stay() {
    let w = world().await;
    let endless = Endless::start().await;
    let feed = w.add_feed(&w.social, &endless.url, None).await;
    let f = w.feed(&feed["id"]).await;
    assert_eq!(f["last_error"], "the feed is larger than the 5 MiB limit, so it was not read");
    // Reading stopped near the cap: the server could not send its 200 MiB.
    assert!(endless.sent() < 32 * 1024 * 1024, "sent {} bytes", endless.sent());

    // A feed that was fine and grows past the cap keeps what it brought.
    w.site.feed("/rss.xml", RSS, "v1");
    let ok = w.add_feed(&w.social, &w.site.url("/rss.xml"), None).await;
    let mut huge = RSS.replace("{BASE}", &w.site.base).into_bytes();
    huge.extend(std::iter::repeat_n(b' ', 6 * 1024 * 1024));
    w.site.bytes("/rss.xml", huge, "v2");
    w.later(61).await;
    let f = w.feed(&ok["id"]).await;
    assert!(f["last_error"].as_str().unwrap_or_default().contains("larger than"), "{f}");
    assert_eq!(w.inbox(&w.social, "new").await.len(), 3);
}

#[tokio::test]
async fn hostile_and_broken_feeds_never_crash_hang_or_lose_items() {
    let w = world().await;
    // Billion laughs: entities are never expanded, and the poll is quick.
    w.site.feed("/laughs.xml", LAUGHS, "l");
    let started = Instant::now();
    let laughs = w.add_feed(&w.social, &w.site.url("/laughs.xml"), None).await;
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    let items = w.inbox(&w.social, "new").await;
    assert_eq!(items.len(), 1);
    assert!(items[0]["title"].as_str().unwrap_or_default().len() < 100, "{}", items[0]["title"]);
    assert_eq!(w.feed(&laughs["id"]).await["last_error"], Value::Null);

    // Malformed XML: the error is recorded in words; what the feed brought before stays.
    w.site.feed("/news.xml", RSS, "n1");
    let news = w.add_feed(&w.social, &w.site.url("/news.xml"), None).await;
    w.site.feed("/news.xml", MALFORMED, "n2");
    w.later(61).await;
    let f = w.feed(&news["id"]).await;
    assert!(
        f["last_error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("the address did not return a readable RSS or Atom feed"),
        "{f}"
    );
    assert_eq!(f["failures"], 1);
    assert_eq!(w.inbox(&w.social, "new").await.len(), 4);

    // Latin-1 bytes declared UTF-8, and UTF-8 bytes declared ISO-8859-1: both read right.
    let latin_doc = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Caf\u{e9}s</title>\
         <item><title>Caf\u{e9} cr\u{e8}me</title><link>{}/articles/latin</link></item></channel></rss>",
        w.site.base
    );
    // The whole document in Latin-1 bytes (every character here is below 256).
    let latin: Vec<u8> = latin_doc.chars().map(|c| u8::try_from(u32::from(c)).expect("latin-1")).collect();
    assert!(std::str::from_utf8(&latin).is_err(), "not UTF-8, whatever it declares");
    w.site.bytes("/latin.xml", latin, "lat");
    w.add_feed(&w.social, &w.site.url("/latin.xml"), None).await;
    let utf8 = format!(
        "<?xml version='1.0' encoding='ISO-8859-1'?><rss version=\"2.0\"><channel><title>Z</title>\
         <item><title>Gr\u{fc}\u{df}e aus M\u{fc}nchen \u{2013} \u{1f389}</title><link>{}/articles/utf8</link></item></channel></rss>",
        w.site.base
    );
    w.site.bytes("/utf8.xml", utf8.into_bytes(), "u");
    w.add_feed(&w.social, &w.site.url("/utf8.xml"), None).await;
    let all = titles(&w.inbox(&w.social, "new").await);
    assert!(all.contains(&"Café crème".to_owned()), "{all:?}");
    assert!(all.contains(&"Grüße aus München – 🎉".to_owned()), "{all:?}");

    // HTML in titles and summaries is stored as text, and escaped on the page.
    w.site.feed("/html.xml", HTML_TITLES, "h");
    w.add_feed(&w.social, &w.site.url("/html.xml"), None).await;
    let items = w.inbox(&w.social, "new").await;
    let sneaky = items.iter().find(|i| i["url"] == w.site.url("/articles/html-title")).expect("item");
    assert_eq!(sneaky["title"], "Big news & more");
    assert_eq!(sneaky["summary"], "Read this < now");
    assert_eq!(sneaky["source"], "Sneaky Feed");
    let browser = w.t.sign_in("social@acme.test", PASSWORD).await;
    let html = browser.get(w.t.url("/curation")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Big news &#38; more"), "escaped on output: {html}");
    assert!(html.contains("Read this &#60; now"));
    assert!(!html.contains("<script>alert") && !html.contains("onerror"), "no markup from the feed");

    // A deeply nested document is refused or read, never a crash.
    let deep = format!("<rss version=\"2.0\"><channel>{}</channel></rss>", "<x>".repeat(100_000));
    w.site.bytes("/deep.xml", deep.into_bytes(), "d");
    let deep = w.add_feed(&w.social, &w.site.url("/deep.xml"), None).await;
    assert_ne!(w.feed(&deep["id"]).await["last_polled_at"], Value::Null);
    let (status, _) = w.get(&w.social, "/api/v1/feeds").await;
    assert_eq!(status, 200, "the server is still up");
}

#[tokio::test]
async fn the_upkeep_claims_each_due_feed_once_even_with_two_workers() {
    let w = world().await;
    for i in 0..3 {
        w.site.feed(&format!("/f{i}.xml"), RSS, "v");
        w.add_feed(&w.social, &w.site.url(&format!("/f{i}.xml")), None).await;
    }
    w.t.clock.advance(time::Duration::minutes(61));
    let (a, b) =
        tokio::join!(chorus_app::feeds::schedule_due(&w.t.app), chorus_app::feeds::schedule_due(&w.t.app));
    assert_eq!(a.expect("a") + b.expect("b"), 3, "three feeds, three polls");
    w.t.run_jobs().await;
    for i in 0..3 {
        assert_eq!(w.site.seen(&format!("/f{i}.xml")).len(), 2, "f{i}: once at creation, once now");
    }
    // Queued but not yet run: a second round does not queue it again.
    w.t.clock.advance(time::Duration::minutes(61));
    assert_eq!(chorus_app::feeds::schedule_due(&w.t.app).await.expect("first"), 3);
    assert_eq!(chorus_app::feeds::schedule_due(&w.t.app).await.expect("second"), 0);
}

#[tokio::test]
async fn leads_keep_their_departments_feeds_employees_none_and_organizations_are_apart() {
    let w = world().await;
    w.site.feed("/rss.xml", RSS, "v1");
    let feed = w.add_feed(&w.lead, &w.site.url("/rss.xml"), Some("Marketing")).await;
    let fid = feed["id"].as_str().expect("id").to_owned();
    let item = w.inbox(&w.lead, "new").await[0]["id"].as_str().expect("item").to_owned();

    // Employees: no feeds, no inbox.
    for path in ["/api/v1/feeds", "/api/v1/curation"] {
        let (status, p) = w.get(&w.employee, path).await;
        assert_eq!(status, 403, "{path}: {p}");
    }
    let (status, _) = w.post(&w.employee, "/api/v1/feeds", json!({"url": "https://example.com/feed"})).await;
    assert_eq!(status, 403);
    let (status, _) = w.post(&w.employee, &format!("/api/v1/curation/{item}/submission"), json!({})).await;
    assert_eq!(status, 403);

    // Another department's lead: not their feed, not their items.
    let (status, list) = w.get(&w.sales_lead, "/api/v1/feeds").await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    assert!(w.inbox(&w.sales_lead, "new").await.is_empty());
    let (status, _) = w.get(&w.sales_lead, &format!("/api/v1/feeds/{fid}")).await;
    assert_eq!(status, 403);
    let (status, _) = w.post(&w.sales_lead, &format!("/api/v1/curation/{item}/dismiss"), json!({})).await;
    assert_eq!(status, 403);
    let marketing = w.dept("Marketing").await;
    let (status, p) = w
        .post(
            &w.sales_lead,
            "/api/v1/feeds",
            json!({"url": "https://example.com/f", "department_id": marketing}),
        )
        .await;
    assert_eq!(status, 403, "{p}");
    let (status, p) = w.post(&w.lead, "/api/v1/feeds", json!({"url": "https://example.com/f"})).await;
    assert_eq!(status, 403, "organization-wide feeds are the team's: {p}");

    // Another organization: the ids do not exist there.
    let (status, _) = w.get(&w.other, &format!("/api/v1/feeds/{fid}")).await;
    assert_eq!(status, 404);
    let (status, _) = w.post(&w.other, &format!("/api/v1/curation/{item}/submission"), json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = w.t.api(reqwest::Method::DELETE, &w.other, &format!("/api/v1/feeds/{fid}"), None).await;
    assert_eq!(status, 404);
    assert!(w.inbox(&w.other, "new").await.is_empty());
    let (status, p) = w
        .post(&w.other, "/api/v1/feeds", json!({"url": "https://example.com/f", "department_id": marketing}))
        .await;
    assert_eq!(status, 422, "another organization's department: {p}");

    // The lead dismisses; the team sees who did.
    let (status, d) = w.post(&w.lead, &format!("/api/v1/curation/{item}/dismiss"), json!({})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["state"], "dismissed");
    let (status, _) = w.post(&w.lead, &format!("/api/v1/curation/{item}/dismiss"), json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(w.inbox(&w.social, "dismissed").await.len(), 1);
    // A dismissed item can still become a draft, kept to adapt.
    let (status, made) =
        w.post(&w.social, &format!("/api/v1/curation/{item}/submission"), json!({"draft": true})).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["submission"]["status"], "draft");

    // Pause, rename, remove.
    let (status, f) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.lead,
            &format!("/api/v1/feeds/{fid}"),
            Some(json!({"status": "paused", "title": "MWD"})),
        )
        .await;
    assert_eq!(status, 200, "{f}");
    assert_eq!((f["status"].as_str(), f["name"].as_str()), (Some("paused"), Some("MWD")));
    let (status, _) = w.post(&w.lead, &format!("/api/v1/feeds/{fid}/poll"), json!({})).await;
    assert_eq!(status, 409, "a paused feed is resumed first");
    let (status, _) = w.t.api(reqwest::Method::DELETE, &w.lead, &format!("/api/v1/feeds/{fid}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(w.t.count_rows("feeds").await, 0);
    assert_eq!(w.t.count_rows("curation_items").await, 3, "the articles stay");
    assert_eq!(w.inbox(&w.lead, "new").await.len(), 2, "and stay in the department's inbox");
    let _ = w.org;
}

#[tokio::test]
async fn bad_input_gets_a_reason_never_a_500() {
    let w = world().await;
    let cases = [
        (json!({"url": "not a url"}), 422, "full web address"),
        (json!({"url": "ftp://example.com/feed"}), 422, "http"),
        (json!({"url": ""}), 422, "required"),
        (json!({"url": "https://example.com/f", "interval_minutes": 5}), 422, "between 15"),
        (
            json!({"url": "https://example.com/f", "department_id": "018f0000-0000-7000-8000-000000000000"}),
            422,
            "department",
        ),
        (json!({"url": "https://example.com/f", "title": "x".repeat(201)}), 422, "at most 200"),
        (json!({"url": "https://example.com/f", "colour": "red"}), 422, ""),
    ];
    for (body, want, reason) in cases {
        let (status, p) = w.post(&w.social, "/api/v1/feeds", body.clone()).await;
        assert_eq!(status, want, "{body}: {p}");
        assert!(p["detail"].as_str().unwrap_or_default().contains(reason), "{body}: {p}");
    }
    let res = w
        .api
        .post(w.t.url("/api/v1/feeds"))
        .bearer_auth(&w.social)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 400);
    // A duplicate subscription.
    let (status, _) = w.post(&w.social, "/api/v1/feeds", json!({"url": "https://example.com/f"})).await;
    assert_eq!(status, 201);
    let (status, p) = w.post(&w.social, "/api/v1/feeds", json!({"url": "https://example.com/f"})).await;
    assert_eq!(status, 409, "{p}");
    for (path, want) in [
        ("/api/v1/curation?state=bogus", 422),
        ("/api/v1/curation?cursor=nope", 422),
        ("/api/v1/feeds/not-a-uuid", 404),
        ("/api/v1/curation/018f0000-0000-7000-8000-000000000000", 404),
        ("/api/v1/feeds/018f0000-0000-7000-8000-000000000000", 404),
    ] {
        let (status, p) = w.get(&w.social, path).await;
        assert_eq!(status, want, "{path}: {p}");
    }
    let (status, p) = w
        .post(
            &w.social,
            "/api/v1/curation/018f0000-0000-7000-8000-000000000000/submission",
            json!({"draft": "yes"}),
        )
        .await;
    assert_eq!(status, 400, "{p}");
    let (status, p) =
        w.t.api(
            reqwest::Method::PATCH,
            &w.social,
            "/api/v1/feeds/018f0000-0000-7000-8000-000000000000",
            Some(json!({"status": "sleeping"})),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    // The contract paths are in the OpenAPI document.
    let (_, doc) = w.get(&w.social, "/api/v1/openapi.json").await;
    for path in [
        "/feeds",
        "/feeds/{id}",
        "/feeds/{id}/poll",
        "/curation",
        "/curation/{id}/submission",
        "/curation/{id}/dismiss",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from OpenAPI");
    }
}

#[tokio::test]
async fn the_pages_work_without_javascript() {
    let w = world().await;
    w.site.feed("/rss.xml", RSS, "v1");
    let browser = w.t.sign_in("lead@acme.test", PASSWORD).await;
    let page = browser.get(w.t.url("/feeds")).send().await.expect("feeds").text().await.expect("html");
    assert!(page.contains("Add a feed"));
    let csrf = csrf_of(&page);
    let marketing = w.dept("Marketing").await;
    // Bad input comes back with the reason, as a page.
    let res = browser
        .post(w.t.url("/feeds"))
        .form(&[("csrf", csrf.as_str()), ("url", "nope"), ("department_id", marketing.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.expect("html").contains("full web address"));
    let res = browser
        .post(w.t.url("/feeds"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("url", w.site.url("/rss.xml").as_str()),
            ("department_id", marketing.as_str()),
            ("title", ""),
            ("interval_minutes", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status().as_u16(), 303);
    w.t.run_jobs().await;
    let page = browser.get(w.t.url("/feeds")).send().await.expect("feeds").text().await.expect("html");
    assert!(page.contains("Marketing Week Digest"), "the feed with its state");
    assert!(page.contains("every 60 min"));
    let inbox = browser.get(w.t.url("/curation")).send().await.expect("inbox").text().await.expect("html");
    assert!(inbox.contains("Five ways to brief your experts"));
    let items = w.inbox(&w.lead, "new").await;
    let brief = items.iter().find(|i| i["title"] == "Five ways to brief your experts").expect("item")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let other = items.iter().find(|i| i["title"] == "Why LinkedIn rewards comments").expect("item")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let csrf = csrf_of(&inbox);
    let res = browser
        .post(w.t.url(&format!("/curation/{other}/dismiss")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("dismiss");
    assert_eq!(res.status().as_u16(), 303);
    let res = browser
        .post(w.t.url(&format!("/curation/{brief}/submission")))
        .form(&[("csrf", csrf.as_str()), ("mode", "submit")])
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status().as_u16(), 303);
    let location = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned();
    assert!(location.starts_with("/submissions/"), "{location}");
    // Without the CSRF token nothing happens.
    let res = browser
        .post(w.t.url(&format!("/curation/{brief}/dismiss")))
        .form(&[("mode", "x")])
        .send()
        .await
        .expect("post");
    assert!(res.status().is_client_error());
    // The same item again: a readable conflict, not an error page.
    let res = browser
        .post(w.t.url(&format!("/curation/{brief}/submission")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("again");
    assert_eq!(res.status().as_u16(), 409);
    assert!(res.text().await.expect("html").contains("already turned into a submission"));
    let inbox = browser
        .get(w.t.url("/curation?state=submitted"))
        .send()
        .await
        .expect("inbox")
        .text()
        .await
        .expect("html");
    assert!(inbox.contains("Five ways to brief your experts"));
    // Employees have no Curation entry and no inbox.
    let emp = w.t.sign_in("emp@acme.test", PASSWORD).await;
    let home = emp.get(w.t.url("/")).send().await.expect("home").text().await.expect("html");
    assert!(!home.contains("href=\"/curation\""));
    assert_eq!(emp.get(w.t.url("/curation")).send().await.expect("inbox").status().as_u16(), 403);
}

#[tokio::test]
async fn the_inbox_pages_through_every_item_once_for_the_team_and_for_leads() {
    let w = world().await;
    let items: String = (0..7)
        .map(|i| {
            format!("<item><title>Story {i}</title><link>{}/articles/story-{i}</link></item>", w.site.base)
        })
        .collect();
    let doc = format!("<rss version=\"2.0\"><channel><title>Many</title>{items}</channel></rss>");
    w.site.bytes("/many.xml", doc.into_bytes(), "m");
    w.add_feed(&w.lead, &w.site.url("/many.xml"), Some("Marketing")).await;
    for token in [&w.social, &w.lead] {
        let mut seen = Vec::new();
        let mut path = "/api/v1/curation?limit=3".to_owned();
        loop {
            let (status, page) = w.get(token, &path).await;
            assert_eq!(status, 200, "{page}");
            let batch = page["items"].as_array().expect("items");
            assert!(batch.len() <= 3);
            seen.extend(batch.iter().map(|i| i["title"].as_str().unwrap_or_default().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/curation?limit=3&cursor={c}"),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 7, "every item once: {seen:?}");
        assert_eq!(seen.len(), 7);
    }
    assert!(w.inbox(&w.sales_lead, "new").await.is_empty());
}
