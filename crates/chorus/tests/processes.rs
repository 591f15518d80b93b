//! The real `chorus` binary, as operators run it: CLI commands, and two `serve` processes on
//! one database sharing sessions (SQLite by default; PostgreSQL when CHORUS_TEST_DATABASE_URL is set).

use chorus_testkit::{TestDb, csrf_of};
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_chorus");

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db: &str) -> Self {
        Self::start_in(db, None).await
    }

    async fn start_in(db: &str, data_dir: Option<&str>) -> Self {
        // reqwest is built without a default TLS provider; the binary installs ring, so do we.
        chorus_networks::preview::install_crypto_provider();
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args(["serve", "--bind", &bind, "--database-url", db])
            .args(data_dir.map(|d| vec!["--data-dir", d]).unwrap_or_default())
            .env("CHORUS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn chorus serve");
        let base = format!("http://{bind}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = reqwest::get(format!("{base}/readyz")).await
                && res.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "chorus serve did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, base }
    }

    /// SIGTERM, and the process must exit cleanly.
    fn stop(mut self) {
        let status =
            Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(code) = self.child.try_wait().expect("wait") {
                assert!(code.success(), "chorus serve exited with {code}");
                return;
            }
            assert!(Instant::now() < deadline, "chorus serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
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

    let server = Server::start(&url).await;
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

    let a = Server::start(&url).await;
    let b = Server::start(&url).await;
    // Accept the invitation (choose a password) on A; that signs Ada in on A.
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = browser.get(format!("{}{path}", a.base)).send().await.expect("GET");
    let csrf_cookie =
        page.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("cookie").to_owned();
    let html = page.text().await.expect("body");
    let res = browser
        .post(format!("{}{path}", a.base))
        .header("cookie", &csrf_cookie)
        .form(&[("csrf", csrf_of(&html).as_str()), ("name", "Ada"), ("password", "ada's password 1")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("chorus_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();

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

    let server = Server::start_in(&url, Some(data)).await;
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
