//! The real `chorus` binary, as operators run it: CLI commands, and two `serve` processes on
//! one database sharing sessions (SQLite by default; PostgreSQL when CHORUS_TEST_DATABASE_URL is set).

use chorus_testkit::{TestDb, csrf_of};
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const BIN: &str = env!("CARGO_BIN_EXE_chorus");

fn chorus(db: &str, args: &[&str]) -> (String, String) {
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
        // reqwest is built without a default TLS provider; the binary installs ring, so do we.
        chorus_networks::preview::install_crypto_provider();
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args(["serve", "--bind", &bind, "--database-url", db])
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
