//! Test support: a real Chorus server on 127.0.0.1:0 with its own fresh database — SQLite by
//! default, PostgreSQL when `CHORUS_TEST_DATABASE_URL` names a server (one new database per
//! test) — a fake clock and a mailer that keeps what it sends.

use chorus_app::{App, Config, me::Caller};
use chorus_domain::{FakeClock, OrgId};
use chorus_networks::mail::{Mailer, OutgoingEmail};
use chorus_store::Store;
use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
};

/// Keeps every e-mail instead of sending it.
#[derive(Default)]
pub struct RecordingMailer {
    sent: Mutex<Vec<OutgoingEmail>>,
}

impl RecordingMailer {
    pub fn sent(&self) -> Vec<OutgoingEmail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The first link to this instance in the newest mail to `to`.
    /// `kind` is a path part that names the link (`/invite/`, `/reset/`).
    pub fn last_link_to(&self, to: &str, kind: &str) -> Option<String> {
        self.sent().into_iter().rev().filter(|m| m.to == to).find_map(|m| {
            m.text
                .split_whitespace()
                .find(|w| w.starts_with("http://") && w.contains(kind))
                .map(str::to_owned)
        })
    }
}

#[async_trait::async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(email.clone());
        }
        Ok(())
    }
}

/// Where a test database lives.
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres(String),
}

impl TestDb {
    /// A brand-new, empty database.
    pub async fn fresh() -> anyhow::Result<(Self, String)> {
        match std::env::var("CHORUS_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(server) => {
                use sqlx::Connection as _;
                let name = format!("chorus_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&server).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                    .execute(&mut conn)
                    .await?;
                let (base, _) = server.rsplit_once('/').ok_or_else(|| anyhow::anyhow!("bad URL"))?;
                let url = format!("{base}/{name}");
                Ok((TestDb::Postgres(url.clone()), url))
            }
            None => {
                let dir = std::env::temp_dir().join(format!("chorus-test-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir)?;
                let url = format!("sqlite://{}", dir.join("chorus.db").display());
                Ok((TestDb::Sqlite(dir), url))
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Sqlite(dir) = self {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// How a test server differs from the default one.
#[derive(Default)]
struct Options {
    email: bool,
    mailer: Option<Arc<dyn Mailer>>,
    /// Another media store than the disk store in `media_dir` (S3 tests).
    media: Option<Arc<dyn chorus_media::ObjectStore>>,
    /// Downloads redirect to presigned URLs valid this long (when the store can make them).
    presign: Option<std::time::Duration>,
    /// Single sign-on reaches only public addresses, as in production (its tests' providers
    /// listen on loopback, so it is allowed otherwise).
    guarded_sso: bool,
}

/// A running Chorus.
pub struct TestApp {
    pub app: App,
    pub addr: SocketAddr,
    pub base: String,
    pub db_url: String,
    pub mailer: Arc<RecordingMailer>,
    pub clock: Arc<FakeClock>,
    /// Where uploaded files are kept (tests check that refused uploads leave nothing here).
    pub media_dir: PathBuf,
    _db: TestDb,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        // On SQLite the media folder lives in the database's folder, removed with it.
        if matches!(self._db, TestDb::Postgres(_)) {
            let _ = std::fs::remove_dir_all(&self.media_dir);
            let _ = std::fs::remove_dir_all(&self.app.config.spool_dir);
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::try_spawn().await.unwrap_or_else(|e| panic!("could not start a test server: {e:#}"))
    }

    /// A server that sends e-mail (as one with SMTP configured does): notification e-mail and
    /// digests go out, through `mailer` when given (a real SMTP server), else the recording one.
    pub async fn spawn_with_email(mailer: Option<Arc<dyn Mailer>>) -> Self {
        Self::try_spawn_with(Options { email: true, mailer, ..Options::default() })
            .await
            .unwrap_or_else(|e| panic!("could not start a test server: {e:#}"))
    }

    /// A server whose single sign-on refuses private and loopback providers (the default).
    pub async fn spawn_with_guarded_sso() -> Self {
        Self::try_spawn_with(Options { guarded_sso: true, ..Options::default() })
            .await
            .unwrap_or_else(|e| panic!("could not start a test server: {e:#}"))
    }

    /// A server over another media store (S3), optionally serving downloads by presigned URLs.
    pub async fn spawn_with_media(
        media: Arc<dyn chorus_media::ObjectStore>,
        presign: Option<std::time::Duration>,
    ) -> Self {
        Self::try_spawn_with(Options { media: Some(media), presign, ..Options::default() })
            .await
            .unwrap_or_else(|e| panic!("could not start a test server: {e:#}"))
    }

    /// Where uploads are received before they reach the store (tests check nothing stays there).
    pub fn spool_dir(&self) -> PathBuf {
        self.app.config.spool_dir.clone()
    }

    async fn try_spawn() -> anyhow::Result<Self> {
        Self::try_spawn_with(Options::default()).await
    }

    async fn try_spawn_with(options: Options) -> anyhow::Result<Self> {
        chorus_networks::preview::install_crypto_provider();
        let (db, db_url) = TestDb::fresh().await?;
        let store = Store::connect(&db_url).await?;
        store.migrate().await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let mailer = Arc::new(RecordingMailer::default());
        let clock = Arc::new(FakeClock::new(time::OffsetDateTime::now_utc()));
        let mut config = Config::new(base.clone());
        config.fast_password_hashing = true;
        // Link previews in tests fetch from local stand-ins on loopback.
        config.previews.allow_private = true;
        // Feeds in tests come from local servers on 127.0.0.1, which is allowed by name; private
        // targets in general stay refused, so a redirect to localhost or 10.x is refused as in
        // production.
        config.feeds.allow_hosts = vec!["127.0.0.1".to_owned()];
        // Slack and Teams stand-ins listen on loopback too.
        config.chat_allow_loopback = true;
        config.sso_allow_private = !options.guarded_sso;
        config.email_notifications = options.email;
        let media_dir = match &db {
            TestDb::Sqlite(dir) => dir.join("media"),
            TestDb::Postgres(_) => {
                std::env::temp_dir().join(format!("chorus-media-{}", uuid::Uuid::new_v4().simple()))
            }
        };
        config.spool_dir = media_dir.with_file_name(format!(
            "{}-spool",
            media_dir.file_name().and_then(|n| n.to_str()).unwrap_or("media")
        ));
        config.media_presign = options.presign;
        let media: Arc<dyn chorus_media::ObjectStore> = match options.media {
            Some(media) => media,
            None => Arc::new(chorus_media::DiskStore::new(&media_dir)?),
        };
        let sender: Arc<dyn Mailer> = options.mailer.unwrap_or_else(|| mailer.clone());
        let app = App::new(store, clock.clone(), sender, media, config);
        let router = chorus_web::router(
            app.clone(),
            // Counting on, as with --metrics-bind: the metrics tests read what requests recorded.
            chorus_web::WebConfig { metrics: true, ..chorus_web::WebConfig::default() },
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Ok(Self { app, addr, base, db_url, mailer, clock, media_dir, _db: db, server })
    }

    /// How many rows `table` holds, across organizations: for tests that check a refused
    /// request wrote nothing. `table` must be a plain table name.
    pub async fn count_rows(&self, table: &str) -> i64 {
        assert!(table.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "not a table name: {table:?}");
        let sql = format!("select count(*) from {table}");
        let mut conn = self.app.store.conn().await.unwrap_or_else(|e| panic!("{e}"));
        let n: Result<i64, sqlx::Error> = match chorus_store::Db::ex(&mut conn) {
            chorus_store::Ex::Sqlite(c) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_one(c).await
            }
            chorus_store::Ex::Postgres(c) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_one(c).await
            }
        };
        n.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every file under the media folder, as paths relative to it, sorted.
    pub fn media_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap_or(&path).display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.media_dir, &self.media_dir, &mut out);
        out.sort();
        out
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// One JSON API call as the holder of `token`: the status and the body (`Null` when the body
    /// is not JSON).
    pub async fn api(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = reqwest::Client::new().request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A department's id, by name, as the API lists it to the holder of `token`.
    pub async fn department_id(&self, token: &str, name: &str) -> String {
        let (_, list) = self.api(reqwest::Method::GET, token, "/api/v1/departments", None).await;
        list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|d| d["name"] == name))
            .and_then(|d| d["id"].as_str())
            .unwrap_or_else(|| panic!("no department {name:?} in {list}"))
            .to_owned()
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("build HTTP client: {e}"))
    }

    /// Runs queued jobs (e-mail) now.
    pub async fn run_jobs(&self) -> usize {
        self.app.run_pending_jobs().await.unwrap_or_else(|e| panic!("jobs failed: {e}"))
    }

    /// Creates an organization and returns its id and slug.
    pub async fn org(&self, name: &str) -> (OrgId, String) {
        let org =
            chorus_app::orgs::create(&self.app, name).await.unwrap_or_else(|e| panic!("create org: {e}"));
        (org.id, org.slug)
    }

    /// Adds an active person with `password`, and returns their id.
    pub async fn person(
        &self,
        org: OrgId,
        email: &str,
        role: &str,
        department: Option<&str>,
        password: &str,
    ) -> chorus_domain::UserId {
        let input = chorus_app::people::CliPerson {
            email: email.into(),
            name: format!("Person {email}"),
            role: role.into(),
            department: department.map(Into::into),
            title: None,
            seniority: None,
        };
        let (user, _) = chorus_app::people::add_from_cli(&self.app, &Caller::operator(org), &input)
            .await
            .unwrap_or_else(|e| panic!("add person: {e}"));
        let hash =
            chorus_app::security::hash_password(password, true).await.unwrap_or_else(|e| panic!("{e}"));
        let mut db = self.app.store.conn().await.unwrap_or_else(|e| panic!("{e}"));
        chorus_store::users::set_password(&mut db, org, user.id, &hash, self.app.now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        user.id
    }

    /// A personal access token for a person.
    pub async fn token(&self, org: OrgId, email: &str) -> String {
        chorus_app::tokens::create_from_cli(&self.app, &Caller::operator(org), email, "test")
            .await
            .unwrap_or_else(|e| panic!("create token: {e}"))
            .secret
    }

    /// Signs in through the sign-in form and returns the signed-in browser.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Client {
        let browser = self.browser();
        let page = browser.get(self.url("/login")).send().await.unwrap_or_else(|e| panic!("{e}"));
        let html = page.text().await.unwrap_or_default();
        let csrf = csrf_of(&html);
        let res = browser
            .post(self.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(res.status(), 303, "sign-in as {email} failed");
        browser
    }
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .or_else(|| html.split("csrf=").nth(1).and_then(|r| r.split('"').next()).map(str::to_owned))
        .unwrap_or_default()
}
