//! The real `chorus` binary, as operators run it: CLI commands, and two `serve` processes on
//! one database sharing sessions (SQLite by default; PostgreSQL when CHORUS_TEST_DATABASE_URL is set).

mod support;

use chorus_testkit::{TestDb, csrf_of};
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::{BIN, Server, TempDir};

fn chorus(db: &str, args: &[impl AsRef<std::ffi::OsStr> + std::fmt::Debug]) -> (String, String) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", db])
        .env("CHORUS_LOG", "warn")
        .output()
        .expect("run chorus");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chorus {args:?} failed: {stderr}");
    (stdout, stderr)
}

/// `chorus serve` on `db` (plus a data folder and `extra` flags).
async fn serve(db: &str, data_dir: Option<&str>, extra: &[&str]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--database-url", db])
        .args(data_dir.map(|d| vec!["--data-dir", d]).unwrap_or_default())
        .args(extra);
    Server::spawn(cmd).await
}

#[tokio::test]
async fn cli_commands_create_an_organization_people_and_tokens() {
    let (_db, url) = TestDb::fresh().await.expect("database");
    chorus(&url, &["migrate"]);
    let (slug, _) = chorus(&url, &["org", "create", "--name", "Cli Test Co"]);
    assert_eq!(slug.trim(), "cli-test-co");
    let (id, stderr) = chorus(
        &url,
        &[
            "user",
            "add",
            "--org",
            "cli-test-co",
            "--email",
            "Lead@Cli.test",
            "--name",
            "Lena Lead",
            "--role",
            "lead",
            "--department",
            "Field Ops",
            "--seniority",
            "3",
        ],
    );
    assert!(uuid::Uuid::parse_str(id.trim()).is_ok(), "prints the new id: {id}");
    assert!(stderr.contains("/invite/"), "prints where to choose a password: {stderr}");
    let (token, _) = chorus(
        &url,
        &["token", "create", "--org", "cli-test-co", "--email", "lead@cli.test", "--label", "ci"],
    );
    assert_eq!(token.lines().count(), 1, "only the token on stdout");
    assert!(token.starts_with("chorus_pat_"));

    let server = serve(&url, None, &[]).await;
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(token.trim())
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["role"], "lead");
    assert_eq!(me["department"]["name"], "Field Ops");
    assert_eq!(me["leads"][0], me["department"]["id"], "--role lead with --department makes them its lead");
    server.stop();

    // Bad input is a clear error, not a crash.
    let out = Command::new(BIN)
        .args([
            "user",
            "add",
            "--org",
            "cli-test-co",
            "--email",
            "x",
            "--name",
            "X",
            "--role",
            "king",
            "--database-url",
            &url,
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("e-mail address") && stderr.contains("role"), "{stderr}");
}

#[tokio::test]
async fn a_session_created_on_one_instance_is_valid_on_another() {
    let (_db, url) = TestDb::fresh().await.expect("database");
    chorus(&url, &["migrate"]);
    let (slug, _) = chorus(&url, &["org", "create", "--name", "Two Instances"]);
    let (_, stderr) = chorus(
        &url,
        &["user", "add", "--org", slug.trim(), "--email", "ada@two.test", "--name", "Ada", "--role", "owner"],
    );
    let path = stderr.split("http://127.0.0.1:8080").nth(1).expect("link").trim().to_owned();

    let a = serve(&url, None, &[]).await;
    let b = serve(&url, None, &[]).await;
    // Accept the invitation (choose a password) on A; that signs Ada in on A.
    let session = accept_invitation(&a.base, &path, "Ada").await;
    let browser = reqwest::Client::new();

    for server in [&b, &a] {
        let home =
            browser.get(format!("{}/", server.base)).header("cookie", &session).send().await.expect("GET");
        assert_eq!(home.status(), 200, "session valid on {}", server.base);
        assert!(home.text().await.expect("body").contains("Hello, Ada"));
    }
    let me =
        browser.get(format!("{}/api/v1/me", b.base)).header("cookie", &session).send().await.expect("GET");
    assert_eq!(me.status(), 200);
    a.stop();
    b.stop();
}

/// `chorus secrets rotate`: a new key seals every channel's credentials, which still open; the
/// old key is gone from the keyring.
#[tokio::test]
async fn rotating_the_secret_key_reseals_credentials_that_still_open() {
    let (_db, url) = TestDb::fresh().await.expect("database");
    let dir = std::env::temp_dir().join(format!("chorus-rotate-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.to_str().expect("utf-8 path");
    let with_data = |args: &[&str]| -> Vec<String> {
        args.iter().copied().chain(["--data-dir", data]).map(str::to_owned).collect()
    };
    chorus(&url, &with_data(&["migrate"]));
    chorus(&url, &with_data(&["org", "create", "--name", "Keys Co"]));
    chorus(
        &url,
        &with_data(&[
            "user",
            "add",
            "--org",
            "keys-co",
            "--email",
            "sam@keys.test",
            "--name",
            "Sam",
            "--role",
            "social",
        ]),
    );
    let (token, _) =
        chorus(&url, &with_data(&["token", "create", "--org", "keys-co", "--email", "sam@keys.test"]));

    let server = serve(&url, Some(data), &[]).await;
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/channels", server.base))
        .bearer_auth(token.trim())
        .json(&serde_json::json!({"network": "webhook", "name": "Chat",
            "credentials": {"url": "http://127.0.0.1:9/hook", "secret": "hook-secret-xyz"}}))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON");
    server.stop();
    let channel: chorus_domain::ChannelId =
        created["id"].as_str().expect("id").parse::<uuid::Uuid>().expect("uuid").into();

    let keys_file = dir.join("secret-keys");
    let keys = |text: String| {
        text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).map(str::to_owned).collect::<Vec<_>>()
    };
    let before = keys(std::fs::read_to_string(&keys_file).expect("the server created the keyring"));
    assert_eq!(before.len(), 1);

    let (out, _) = chorus(&url, &with_data(&["secrets", "rotate"]));
    assert!(out.contains("re-sealed 1 channel"), "{out}");
    let after = keys(std::fs::read_to_string(&keys_file).expect("keyring"));
    assert_eq!(after.len(), 1, "the old key is dropped");
    assert_ne!(after[0], before[0]);

    let store = chorus_store::Store::connect(&url).await.expect("store");
    let mut db = store.conn().await.expect("conn");
    let org = chorus_store::admin::org_by_slug(&mut db, "keys-co").await.expect("org").expect("org");
    let (sealed, _) =
        chorus_store::channels::secrets(&mut db, org.id, channel).await.expect("read").expect("row");
    let new_ring = chorus_app::secrets::Keyring::parse(&after[0]).expect("new key");
    let creds = chorus_app::publishing::open_credentials(&new_ring, channel, &sealed)
        .expect("opens with the new key");
    assert_eq!(creds["secret"], "hook-secret-xyz");
    let old_ring = chorus_app::secrets::Keyring::parse(&before[0]).expect("old key");
    assert!(
        chorus_app::publishing::open_credentials(&old_ring, channel, &sealed).is_err(),
        "no longer under the old key"
    );
    let (again, _) = chorus(&url, &with_data(&["secrets", "reseal"]));
    assert!(again.contains("re-sealed 0 channel"), "nothing left to do: {again}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Migrates, creates an organization with Sam (social team) and Eve (employee) through the CLI,
/// and returns their API tokens (Sam's, Eve's).
fn org_with_sam_and_eve(url: &str, data: &str, name: &str, domain: &str) -> (String, String) {
    let with_data = |args: &[&str]| -> Vec<String> {
        args.iter().copied().chain(["--data-dir", data]).map(str::to_owned).collect()
    };
    chorus(url, &with_data(&["migrate"]));
    let (slug, _) = chorus(url, &with_data(&["org", "create", "--name", name]));
    let slug = slug.trim().to_owned();
    let mut tokens = Vec::new();
    for (who, role) in [("sam", "social"), ("eve", "employee")] {
        let email = format!("{who}@{domain}.test");
        chorus(
            url,
            &with_data(&["user", "add", "--org", &slug, "--email", &email, "--name", who, "--role", role]),
        );
        let (token, _) = chorus(url, &with_data(&["token", "create", "--org", &slug, "--email", &email]));
        tokens.push(token.trim().to_owned());
    }
    (tokens[0].clone(), tokens[1].clone())
}

/// A `chorus worker` process with a short job lease, so a job whose worker died is taken over
/// within seconds.
fn worker(db: &str, data_dir: &str) -> Child {
    Command::new(BIN)
        .args(["worker", "--database-url", db, "--data-dir", data_dir, "--job-lease-secs", "3"])
        .env("CHORUS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chorus worker")
}

/// Issue 4, acceptance 2: a worker is killed (SIGKILL) while publishes are in flight; after a
/// restart, with two worker processes competing for the jobs, every network holds exactly one
/// copy of each post. Mastodon posts are repeated under their `Idempotency-Key` and end up
/// published; the webhook, which cannot be asked whether it got the post, holds the one delivery
/// and the post is parked `unconfirmed` rather than sent twice.
#[tokio::test]
async fn a_worker_killed_mid_publish_leaves_exactly_one_post_on_each_network() {
    use chorus_standins::{mastodon::Mastodon, webhook::Webhook};
    use serde_json::json;

    let (_db, url) = TestDb::fresh().await.expect("database");
    let dir = std::env::temp_dir().join(format!("chorus-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.to_str().expect("utf-8 path");
    let (sam, eve) = org_with_sam_and_eve(&url, data, "Crash Co", "crash");
    let server = serve(&url, Some(data), &["--no-worker"]).await;
    let api = reqwest::Client::new();
    let call = |token: &str, path: &str, body: serde_json::Value| {
        api.post(format!("{}{path}", server.base)).bearer_auth(token.to_owned()).json(&body).send()
    };
    let json_of = |res: reqwest::Response| async move {
        let status = res.status().as_u16();
        (status, res.json::<serde_json::Value>().await.expect("JSON"))
    };

    // Slow networks: each stores the post at once and answers five seconds later.
    let hook = Webhook::start("crash-hook-secret").await;
    hook.set_delay(Duration::from_secs(5));
    let mut channels = vec![json!({"network": "webhook", "name": "Team chat",
            "credentials": {"url": hook.url, "secret": "crash-hook-secret"}})];
    let mut instances = Vec::new();
    for i in 0..6 {
        let m = Mastodon::start("crash-token").await;
        m.set_delay(Duration::from_secs(5));
        channels.push(json!({"network": "mastodon", "name": format!("Mastodon {i}"), "base_url": m.base,
            "credentials": {"access_token": "crash-token"}}));
        instances.push(m);
    }
    let (s, idea) = json_of(
        call(
            &eve,
            "/api/v1/submissions",
            json!({"kind": "idea", "title": "Open day", "body": "See the depot"}),
        )
        .await
        .expect("POST"),
    )
    .await;
    assert_eq!(s, 201, "{idea}");
    let id = idea["id"].as_str().expect("id").to_owned();
    let (s, v) =
        json_of(call(&eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await.expect("POST"))
            .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = json_of(
        call(
            &sam,
            &format!("/api/v1/submissions/{id}/decision"),
            json!({"decision": "approve", "comment": ""}),
        )
        .await
        .expect("POST"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let now =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).expect("time");
    let mut posts = Vec::new();
    for channel in &channels {
        let (s, c) = json_of(call(&sam, "/api/v1/channels", channel.clone()).await.expect("POST")).await;
        assert_eq!(s, 201, "{c}");
        let (s, p) = json_of(
            call(
                &sam,
                "/api/v1/posts",
                json!({"submission_id": id, "channel_id": c["id"], "scheduled_at": now}),
            )
            .await
            .expect("POST"),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        posts.push(p["id"].as_str().expect("id").to_owned());
    }

    // Worker A takes four jobs (its concurrency) and is killed while all four are in flight.
    let mut a = worker(&url, data);
    let received = || hook.requests().len() + instances.iter().map(|m| m.requests().len()).sum::<usize>();
    let deadline = Instant::now() + Duration::from_secs(30);
    while received() < 4 {
        assert!(Instant::now() < deadline, "worker A never published (received {})", received());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill().expect("SIGKILL worker A");
    a.wait().expect("reap worker A");
    assert_eq!(hook.delivered().len(), 1, "the webhook post was among the first jobs taken");

    // A restarted and a second worker compete for what is left, including the dead worker's jobs.
    hook.set_delay(Duration::from_millis(200));
    for m in &instances {
        m.set_delay(Duration::from_millis(200));
    }
    let mut competing = [worker(&url, data), worker(&url, data)];
    let deadline = Instant::now() + Duration::from_secs(60);
    let statuses = loop {
        let list: serde_json::Value = api
            .get(format!("{}/api/v1/posts?submission_id={id}", server.base))
            .bearer_auth(&sam)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON");
        let items = list["items"].as_array().expect("items").clone();
        let settled = items.iter().all(|p| !matches!(p["status"].as_str(), Some("scheduled" | "publishing")));
        if settled {
            break items;
        }
        assert!(Instant::now() < deadline, "posts did not settle: {items:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for w in &mut competing {
        w.kill().expect("stop worker");
        w.wait().expect("reap worker");
    }

    for (i, m) in instances.iter().enumerate() {
        let held = m.statuses();
        assert_eq!(held.len(), 1, "Mastodon {i} holds exactly one status: {held:?}");
        assert_eq!(m.keys()[0], posts[i + 1], "created under the post's idempotency key");
    }
    assert_eq!(hook.delivered().len(), 1, "the webhook got the post exactly once: {:?}", hook.requests());
    let by_id = |post: &str| statuses.iter().find(|p| p["id"] == post).expect("post listed").clone();
    let on_hook = by_id(&posts[0]);
    assert_eq!(on_hook["status"], "unconfirmed", "cannot be asked, so a person decides: {on_hook}");
    for post in &posts[1..] {
        let p = by_id(post);
        assert_eq!(p["status"], "published", "{p}");
        assert!(p["external_url"].as_str().is_some_and(|u| u.starts_with("https://social.example/@acme/")));
    }
    let retried = posts[1..].iter().filter(|p| by_id(p)["attempts"].as_i64() >= Some(2)).count();
    assert_eq!(retried, 3, "the three Mastodon posts in flight at the kill were repeated, deduplicated");
    server.stop();
    let _ = std::fs::remove_dir_all(dir);
}

/// A running `chorus serve` on a fresh database with an organization "Click Co" (slug
/// `click-co`) where Eve has shared an approved item on Bluesky: the tracked link to click.
struct TrackedLink {
    _db: TestDb,
    _data: TempDir,
    url: String,
    server: Server,
    link: String,
}

impl TrackedLink {
    /// `serve_args`: extra arguments for `chorus serve`.
    async fn start(serve_args: &[&str]) -> Self {
        use serde_json::json;
        let (db, url) = TestDb::fresh().await.expect("database");
        let dir = TempDir::new("clicks");
        let data = dir.0.to_str().expect("utf-8 path");
        let (sam, eve) = org_with_sam_and_eve(&url, data, "Click Co", "click");
        let server = serve(&url, Some(data), serve_args).await;
        let api = reqwest::Client::new();
        let post = |token: &str, path: &str, body: serde_json::Value| {
            let req = api.post(format!("{}{path}", server.base)).bearer_auth(token.to_owned()).json(&body);
            async move { req.send().await.expect("POST").json::<serde_json::Value>().await.expect("JSON") }
        };
        let idea = post(
            &eve,
            "/api/v1/submissions",
            json!({"kind": "article", "title": "Open day",
            "body": "Saturday", "link": "https://example.com/open-day"}),
        )
        .await;
        let id = idea["id"].as_str().expect("id").to_owned();
        post(&eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
        post(
            &sam,
            &format!("/api/v1/submissions/{id}/decision"),
            json!({"decision": "approve", "comment": ""}),
        )
        .await;
        let share = post(&eve, "/api/v1/shares", json!({"submission_id": id, "network": "bluesky"})).await;
        let link = share["url"].as_str().expect("url").to_owned();
        TrackedLink { _db: db, _data: dir, url, server, link }
    }
}

/// A client that reports the 302 rather than following it.
fn clicker() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// The click totals of Click Co, read from the database directly (no server needs to run).
async fn stored_clicks(url: &str) -> chorus_store::shares::Totals {
    stored_clicks_of(url, "click-co").await
}

/// The click totals of the organization `slug`, read from the database directly.
async fn stored_clicks_of(url: &str, slug: &str) -> chorus_store::shares::Totals {
    let store = chorus_store::Store::connect(url).await.expect("store");
    let mut db = store.conn().await.expect("conn");
    let org = chorus_store::admin::org_by_slug(&mut db, slug).await.expect("org").expect("org");
    let far = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    chorus_store::shares::totals(&mut db, org.id, far - time::Duration::days(2), far).await.expect("totals")
}

/// Issue 5, acceptance 2: clicks accepted by the redirect are all written across a graceful stop
/// (SIGTERM), even though they are written in the background in batches.
#[tokio::test]
async fn every_accepted_click_is_written_before_a_graceful_stop() {
    const N: usize = 400;
    // A long flush interval: the clicks are certainly still queued when SIGTERM arrives.
    let t = TrackedLink::start(&["--click-flush-ms", "5000"]).await;
    let raw = clicker();
    let mut clicks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (raw, link) = (raw.clone(), t.link.clone());
        clicks.spawn(async move {
            let ua = format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/140.0 visitor-{i}");
            raw.get(&link).header("user-agent", ua).send().await.expect("click").status().as_u16()
        });
    }
    while let Some(status) = clicks.join_next().await {
        assert_eq!(status.expect("task"), 302);
    }
    t.server.stop(); // SIGTERM, and a clean exit

    let totals = stored_clicks(&t.url).await;
    assert_eq!(totals.human_clicks, N as i64, "every accepted click was written before the process ended");
    assert_eq!(totals.unique_visitors, N as i64, "one visitor per user agent");
}

/// Issue 5, acceptance 2, the other half: a crash (SIGKILL: no shutdown code runs) loses at most
/// the clicks of the last flush interval, plus the batch being written.
///
/// Clients click without pause for a while; each 302 received is timed. The server is killed
/// mid-load. Clicks are written in the order they were accepted (one FIFO queue, one writer), so
/// the stored clicks are the oldest accepted ones: every click answered well before the kill
/// must be stored, however many of the last ones were lost. A writer that only wrote at shutdown,
/// or much less often than the flush interval, stores too few and fails this.
#[tokio::test]
async fn a_crash_loses_at_most_one_flush_interval_of_clicks() {
    const FLUSH: Duration = Duration::from_millis(200);
    // A click waits at most one flush interval in its batch, then the batch is written. The
    // margin covers that write (a multi-row INSERT and its commit: milliseconds, but the machine is
    // shared and may be busy), a write before it still in flight when the click was queued, and
    // scheduling delays between the writer's timer and the database. A click also reaches the
    // writer's queue before its 302 is sent, so timing by the 302 only adds slack.
    const MARGIN: Duration = Duration::from_millis(300);
    const CLIENTS: usize = 4;
    const LOAD: Duration = Duration::from_millis(1500);

    let t = TrackedLink::start(&["--click-flush-ms", &FLUSH.as_millis().to_string()]).await;
    let raw = clicker();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let (raw, link, stop) = (raw.clone(), t.link.clone(), stop.clone());
        clients.spawn(async move {
            let ua = format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/140.0 client-{i}");
            let mut answered = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Once the server is killed, requests fail: this client is done.
                let Ok(res) = raw.get(&link).header("user-agent", &ua).send().await else { break };
                assert_eq!(res.status().as_u16(), 302, "a tracked link answers a redirect");
                answered.push(Instant::now());
            }
            answered
        });
    }
    tokio::time::sleep(LOAD).await;
    let killed_at = t.server.crash(); // SIGKILL while the clients are still clicking
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut answered = Vec::new();
    while let Some(times) = clients.join_next().await {
        answered.extend(times.expect("client"));
    }

    let stored = stored_clicks(&t.url).await.human_clicks;
    let accepted = answered.len() as i64;
    let cutoff = killed_at - (FLUSH + MARGIN);
    let must_be_stored = answered.iter().filter(|at| **at < cutoff).count() as i64;
    eprintln!(
        "{accepted} clicks answered, {must_be_stored} of them before the kill minus {:?}; \
         {stored} stored, {} lost",
        FLUSH + MARGIN,
        accepted - stored
    );
    assert!(must_be_stored > 0, "the load ran long enough to bound anything");
    assert!(stored > 0, "clicks were written while the server ran, not only at shutdown");
    // A click can be taken and written while its 302 is still on its way when the process dies:
    // at most one per client.
    assert!(stored <= accepted + CLIENTS as i64, "only accepted clicks are stored: {stored} > {accepted}");
    assert!(
        stored >= must_be_stored,
        "clicks answered more than {:?} before the crash were lost: {stored} stored, {must_be_stored} expected",
        FLUSH + MARGIN
    );
}

/// Accepts an invitation link (a path printed by `chorus user add`) on `base`, choosing a
/// password, and returns the session cookie (`chorus_session=…`) that signs the person in.
async fn accept_invitation(base: &str, path: &str, name: &str) -> String {
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = browser.get(format!("{base}{path}")).send().await.expect("GET");
    let csrf_cookie =
        page.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("cookie").to_owned();
    let html = page.text().await.expect("body");
    let res = browser
        .post(format!("{base}{path}"))
        .header("cookie", &csrf_cookie)
        .form(&[("csrf", csrf_of(&html).as_str()), ("name", name), ("password", "a long enough password 1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("chorus_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned()
}

/// One statement's single number, straight from the database.
async fn count(url: &str, sql: &'static str) -> i64 {
    let store = chorus_store::Store::connect(url).await.expect("store");
    let mut db = store.conn().await.expect("conn");
    let n = match chorus_store::Db::ex(&mut db) {
        chorus_store::Ex::Postgres(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await,
        chorus_store::Ex::Sqlite(c) => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await,
    };
    drop(db);
    store.close().await;
    n.expect("count")
}

/// Issue 8, acceptance 1: three `chorus serve --no-worker` instances and two `chorus worker`
/// processes on one PostgreSQL behave as one Chorus. Posts scheduled through random instances
/// are each published exactly once; a session made on one instance works on another; a
/// withdrawal on one instance turns its tracked link into a 410 on another within a second; and
/// clicks spread over all instances add up exactly.
#[tokio::test]
async fn three_instances_and_two_workers_on_one_postgresql_act_as_one() {
    use chorus_standins::mastodon::Mastodon;
    use serde_json::{Value, json};
    const POSTS: usize = 1000;
    const CLICKS: usize = 300;

    let (_db, url) = TestDb::fresh().await.expect("database");
    if !url.starts_with("postgres") {
        eprintln!("skipped: scale-out runs on PostgreSQL (set CHORUS_TEST_DATABASE_URL)");
        return;
    }
    let dir = TempDir::new("scale");
    // One data folder for all processes: it holds the secret key that seals channel credentials,
    // which every instance and worker must share (or take from CHORUS_SECRET_KEYS).
    let data = dir.0.to_str().expect("utf-8 path");
    let (sam, eve) = org_with_sam_and_eve(&url, data, "Scale Co", "scale");
    let (_, invite) = chorus(
        &url,
        &[
            "user",
            "add",
            "--org",
            "scale-co",
            "--email",
            "ada@scale.test",
            "--name",
            "Ada",
            "--role",
            "owner",
            "--data-dir",
            data,
        ],
    );
    let invite = invite.split("http://127.0.0.1:8080").nth(1).expect("invitation link").trim().to_owned();
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(serve(&url, Some(data), &["--no-worker"]).await);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let mut workers = [worker(&url, data), worker(&url, data)];
    let api = reqwest::Client::new();
    let call = |base: &str, token: &str, path: &str, body: Value| {
        let req = api.post(format!("{base}{path}")).bearer_auth(token.to_owned()).json(&body);
        async move {
            let res = req.send().await.expect("POST");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.expect("JSON"))
        }
    };

    // Content, approved through two different instances.
    let (s, item) = call(
        &bases[0],
        &eve,
        "/api/v1/submissions",
        json!({"kind": "article", "title": "Open day", "body": "Saturday", "link": "https://example.com/open-day"}),
    )
    .await;
    assert_eq!(s, 201, "{item}");
    let id = item["id"].as_str().expect("id").to_owned();
    let (s, v) = call(&bases[1], &eve, &format!("/api/v1/submissions/{id}/submit"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(
        &bases[2],
        &sam,
        &format!("/api/v1/submissions/{id}/decision"),
        json!({"decision": "approve", "comment": ""}),
    )
    .await;
    assert_eq!(s, 200, "{v}");

    // 1,000 posts, each through a random instance, all due now, on a channel without a cadence
    // limit; the two workers compete for them.
    let mastodon = Mastodon::start("scale-token").await;
    let (s, channel) = call(
        &bases[0],
        &sam,
        "/api/v1/channels",
        json!({"network": "mastodon", "name": "Mastodon", "base_url": mastodon.base,
               "credentials": {"access_token": "scale-token"},
               "cadence": {"min_spacing_minutes": 0, "max_per_day": 0}}),
    )
    .await;
    assert_eq!(s, 201, "{channel}");
    let now =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).expect("time");
    let mut scheduled = tokio::task::JoinSet::new();
    let mut seed = uuid::Uuid::new_v4().as_u128();
    for i in 0..POSTS {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let base = bases[usize::try_from((seed >> 64) % 3).expect("small")].clone();
        let body = json!({"submission_id": id, "channel_id": channel["id"], "text": format!("Open day, note {i}"),
                          "scheduled_at": now});
        let req = api.post(format!("{base}/api/v1/posts")).bearer_auth(sam.clone()).json(&body);
        scheduled.spawn(async move {
            let res = req.send().await.expect("POST");
            let status = res.status().as_u16();
            let post = res.json::<Value>().await.expect("JSON");
            assert_eq!(status, 201, "{post}");
            post["id"].as_str().expect("id").to_owned()
        });
        if scheduled.len() >= 16 {
            scheduled.join_next().await.expect("task").expect("scheduled");
        }
    }
    while let Some(done) = scheduled.join_next().await {
        done.expect("scheduled");
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&url, "select count(*) from posts where status in ('scheduled', 'publishing')").await > 0 {
        assert!(Instant::now() < deadline, "posts still waiting after two minutes");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A moment more: a duplicate would arrive now, if a second worker were still publishing one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(count(&url, "select count(*) from posts where status = 'published'").await, POSTS as i64);
    let mut keys = mastodon.keys();
    assert_eq!(mastodon.statuses().len(), POSTS, "the network holds each post once");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), POSTS, "each post was sent under its own idempotency key, once");

    // A session made on instance 1 works on instance 3.
    let session = accept_invitation(&bases[0], &invite, "Ada").await;
    let home = api.get(format!("{}/", bases[2])).header("cookie", &session).send().await.expect("GET");
    assert_eq!(home.status(), 200);
    assert!(home.text().await.expect("body").contains("Hello, Ada"));

    // Clicks sent round-robin to all instances add up exactly. (Another item: published content
    // stays, while this one, only approved, can be withdrawn.)
    let (s, tip) = call(
        &bases[2],
        &eve,
        "/api/v1/submissions",
        json!({"kind": "article", "title": "Trail tips", "body": "Boots", "link": "https://example.com/tips"}),
    )
    .await;
    assert_eq!(s, 201, "{tip}");
    let tip = tip["id"].as_str().expect("id").to_owned();
    let (s, v) = call(&bases[0], &eve, &format!("/api/v1/submissions/{tip}/submit"), json!({})).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(
        &bases[1],
        &sam,
        &format!("/api/v1/submissions/{tip}/decision"),
        json!({"decision": "approve", "comment": ""}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, share) =
        call(&bases[1], &eve, "/api/v1/shares", json!({"submission_id": tip, "network": "linkedin"})).await;
    assert_eq!(s, 201, "{share}");
    let path = share["url"].as_str().expect("url").split("/s/").nth(1).expect("code").to_owned();
    let raw = clicker();
    let mut clicks = tokio::task::JoinSet::new();
    for i in 0..CLICKS {
        let (raw, link) = (raw.clone(), format!("{}/s/{path}", bases[i % 3]));
        clicks.spawn(async move {
            let ua = format!("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0 reader-{i}");
            raw.get(&link).header("user-agent", ua).send().await.expect("click").status().as_u16()
        });
        if clicks.len() >= 16 {
            assert_eq!(clicks.join_next().await.expect("task").expect("click"), 302);
        }
    }
    while let Some(status) = clicks.join_next().await {
        assert_eq!(status.expect("click"), 302);
    }

    // Withdrawn on instance 2: instance 1, which holds the link in memory, answers 410 within a second.
    let (s, v) = call(
        &bases[1],
        &sam,
        &format!("/api/v1/submissions/{tip}/decision"),
        json!({"decision": "archive", "comment": "Out of date"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let withdrawn = Instant::now();
    // Probes without a user agent: any redirect before the signal arrives counts as a bot fetch.
    let mut late_redirects = 0;
    loop {
        let status = raw.get(format!("{}/s/{path}", bases[0])).send().await.expect("click").status();
        if status == 410 {
            break;
        }
        assert_eq!(status, 302);
        late_redirects += 1;
        assert!(withdrawn.elapsed() < Duration::from_secs(1), "instance 1 still redirects a second later");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    for server in servers {
        server.stop(); // SIGTERM: each instance writes the clicks it accepted
    }
    for w in &mut workers {
        w.kill().expect("stop worker");
        w.wait().expect("reap worker");
    }
    let totals = stored_clicks_of(&url, "scale-co").await;
    assert_eq!(totals.human_clicks, CLICKS as i64, "every click, whichever instance took it");
    assert_eq!(totals.bot_fetches, late_redirects);
    assert_eq!(mastodon.statuses().len(), POSTS, "and nothing was published twice later");
}

/// Issue 8: instances that start at once on an empty database migrate it exactly once (on
/// PostgreSQL an advisory lock serializes them; on SQLite the write lock does).
#[tokio::test]
async fn instances_starting_at_once_migrate_the_database_exactly_once() {
    let (_db, url) = TestDb::fresh().await.expect("database");
    let racers: Vec<Child> = (0..4)
        .map(|_| {
            Command::new(BIN)
                .args(["migrate", "--database-url", &url])
                .env("CHORUS_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn chorus migrate")
        })
        .collect();
    for racer in racers {
        let out = racer.wait_with_output().expect("wait");
        assert!(out.status.success(), "a racing migrate failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let backend = if url.starts_with("postgres") {
        chorus_store::Backend::Postgres
    } else {
        chorus_store::Backend::Sqlite
    };
    let expected = chorus_store::migration_versions(backend).len() as i64;
    assert_eq!(count(&url, "select count(*) from _sqlx_migrations").await, expected);
    assert_eq!(count(&url, "select count(distinct version) from _sqlx_migrations").await, expected);
    assert_eq!(count(&url, "select count(*) from _sqlx_migrations where not success").await, 0);
}
