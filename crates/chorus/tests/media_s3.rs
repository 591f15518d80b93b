//! The real `chorus` binary on an S3 media store (s3s-fs, which checks SigV4 signatures):
//! issue 8's acceptance 2 (two instances on one PostgreSQL database and one bucket), start-up
//! errors for a bad media configuration, and `chorus media migrate`.
//!
//! Needs CHORUS_TEST_S3, CHORUS_TEST_S3_KEY, CHORUS_TEST_S3_SECRET and CHORUS_TEST_S3_BUCKET (`.ci/run`
//! starts s3s-fs and sets them); acceptance 2 also needs CHORUS_TEST_DATABASE_URL (PostgreSQL).
//! Without them the tests print a notice and pass.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chorus_media::{ObjectKey, ObjectStore, S3Options, S3Store};
use chorus_testkit::TestDb;

use support::{BIN, Server};

struct S3 {
    endpoint: String,
    key: String,
    secret: String,
    bucket: String,
}

fn s3(test: &str) -> Option<S3> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (
        get("CHORUS_TEST_S3"),
        get("CHORUS_TEST_S3_KEY"),
        get("CHORUS_TEST_S3_SECRET"),
        get("CHORUS_TEST_S3_BUCKET"),
    ) {
        (Some(endpoint), Some(key), Some(secret), Some(bucket)) => Some(S3 { endpoint, key, secret, bucket }),
        _ => {
            eprintln!(
                "SKIPPED {test}: set CHORUS_TEST_S3, CHORUS_TEST_S3_KEY, CHORUS_TEST_S3_SECRET and CHORUS_TEST_S3_BUCKET (see .ci/run)"
            );
            None
        }
    }
}

impl S3 {
    /// A fresh prefix in the test bucket, as `--media-url` and as a store to look inside.
    fn prefix(&self) -> (String, S3Store) {
        let prefix = format!("proc-{}", uuid::Uuid::new_v4().simple());
        let store = S3Store::new(S3Options {
            bucket: self.bucket.clone(),
            prefix: prefix.clone(),
            endpoint: Some(self.endpoint.clone()),
            access_key_id: Some(self.key.clone()),
            secret_access_key: Some(self.secret.clone()),
            allow_http: true,
            ..S3Options::default()
        })
        .expect("store");
        (format!("s3://{}/{prefix}", self.bucket), store)
    }

    /// `chorus` with this server's endpoint and credentials in the standard AWS environment.
    fn command(&self, secret: &str) -> Command {
        let mut c = Command::new(BIN);
        c.env("CHORUS_LOG", "warn")
            .env("CHORUS_S3_ENDPOINT", &self.endpoint)
            .env("CHORUS_S3_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1");
        c
    }
}

fn run_ok(mut c: Command) -> (String, String) {
    let out = c.output().expect("run chorus");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chorus failed: {stdout}\n{stderr}");
    (stdout, stderr)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
    }
}

async fn serve(s3: &S3, db: &str, data: &std::path::Path, media_url: &str) -> (Server, String) {
    let mut cmd = s3.command(&s3.secret);
    cmd.args(["serve", "--no-worker", "--database-url", db, "--media-url", media_url])
        .arg("--data-dir")
        .arg(data);
    let server = Server::spawn(cmd).await;
    let base = server.base.clone();
    (server, base)
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 77]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

#[tokio::test]
async fn acceptance_2_a_photo_uploaded_through_one_instance_is_served_by_another_and_gone_after_deletion() {
    let Some(s3) = s3("acceptance_2") else { return };
    if std::env::var("CHORUS_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("SKIPPED acceptance_2: set CHORUS_TEST_DATABASE_URL (PostgreSQL) too");
        return;
    }
    chorus_networks::preview::install_crypto_provider();
    let (_db, url) = TestDb::fresh().await.expect("database");
    let (media_url, bucket) = s3.prefix();
    let data1 = std::env::temp_dir().join(format!("chorus-s3-a-{}", uuid::Uuid::new_v4().simple()));
    let data2 = std::env::temp_dir().join(format!("chorus-s3-b-{}", uuid::Uuid::new_v4().simple()));
    let cli = |args: &[&str]| {
        let mut c = s3.command(&s3.secret);
        c.args(args).args(["--database-url", &url, "--media-url", &media_url]).arg("--data-dir").arg(&data1);
        run_ok(c)
    };
    cli(&["migrate"]);
    let (slug, _) = cli(&["org", "create", "--name", "Two Instances S3"]);
    cli(&[
        "user",
        "add",
        "--org",
        slug.trim(),
        "--email",
        "eve@s3.test",
        "--name",
        "Eve",
        "--role",
        "employee",
    ]);
    let (token, _) = cli(&["token", "create", "--org", slug.trim(), "--email", "eve@s3.test"]);
    let token = token.trim().to_owned();

    let (_one, base1) = serve(&s3, &url, &data1, &media_url).await;
    let (_two, base2) = serve(&s3, &url, &data2, &media_url).await;
    let http = reqwest::Client::new();

    let part =
        reqwest::multipart::Part::bytes(png()).file_name("crew.png").mime_str("image/png").expect("mime");
    let res = http
        .post(format!("{base1}/api/v1/media"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), 201);
    let media: serde_json::Value = res.json().await.expect("json");
    let id = media["id"].as_str().expect("id").to_owned();
    let draft = serde_json::json!({"kind": "photo", "title": "Crew", "body": "", "media_ids": [id]});
    let res = http.post(format!("{base1}/api/v1/submissions")).bearer_auth(&token).json(&draft).send().await;
    let submission: serde_json::Value = res.expect("create").json().await.expect("json");
    let submission = submission["id"].as_str().expect("submission id").to_owned();

    // Instance 2 never saw the upload, and has its own empty data folder: it serves it from S3.
    let res =
        http.get(format!("{base2}/api/v1/media/{id}/content")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let bytes = res.bytes().await.expect("body");
    assert_eq!(Some(bytes.len() as u64), media["bytes"].as_u64(), "the stored file");
    assert!(!data2.join("media").exists(), "instance 2 keeps no media on disk");
    let listed = bucket.list_keys().await.expect("list");
    assert_eq!(listed.len(), 2, "an original and a thumbnail in the bucket: {listed:?}");
    assert!(listed.iter().all(|k| k.contains(&id)), "{listed:?}");

    // Delete the draft through instance 2; a worker process empties the bucket.
    let res =
        http.delete(format!("{base2}/api/v1/submissions/{submission}")).bearer_auth(&token).send().await;
    assert_eq!(res.expect("delete").status(), 204);
    let res =
        http.get(format!("{base1}/api/v1/media/{id}/content")).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), 404, "gone for instance 1 at once");
    let _worker = Proc(
        s3.command(&s3.secret)
            .args(["worker", "--database-url", &url, "--media-url", &media_url])
            .arg("--data-dir")
            .arg(&data1)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn worker"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = bucket.list_keys().await.expect("list");
        if listed.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "objects still in the bucket: {listed:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = std::fs::remove_dir_all(&data1);
    let _ = std::fs::remove_dir_all(&data2);
}

#[tokio::test]
async fn a_bad_media_configuration_stops_the_start_with_a_clear_error() {
    let data = std::env::temp_dir().join(format!("chorus-badmedia-{}", uuid::Uuid::new_v4().simple()));
    let start = |args: &[&str], secret: Option<&str>| {
        let mut c = Command::new(BIN);
        c.env("CHORUS_LOG", "warn").args(["serve", "--bind", "127.0.0.1:0"]).arg("--data-dir").arg(&data);
        c.args(args);
        if let Some(secret) = secret {
            c.env("AWS_ACCESS_KEY_ID", "AKIDCHORUSTEST").env("AWS_SECRET_ACCESS_KEY", secret);
        }
        let out = c.output().expect("run chorus serve");
        assert!(!out.status.success(), "must not start with {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "an error, not a panic: {stderr}");
        stderr
    };
    let e = start(&["--media-url", "s3://"], None);
    assert!(e.contains("not a valid bucket name"), "{e}");
    let e = start(&["--media-url", "ftp://files.example.com/media"], None);
    assert!(e.contains("use s3://bucket/prefix"), "{e}");
    let e = start(&["--media-url", "s3://media", "--s3-endpoint", "http://127.0.0.1:9"], Some("x"));
    assert!(e.contains("--s3-allow-http"), "{e}");
    let e = start(
        &["--media-url", "s3://media", "--s3-endpoint", "http://s3.example.com", "--s3-allow-http"],
        Some("x"),
    );
    assert!(e.contains("loopback"), "{e}");
    if let Some(s3) = s3("a_bad_media_configuration_stops_the_start_with_a_clear_error (wrong secret)") {
        let mut c = s3.command("not-the-secret");
        let out = c
            .args(["serve", "--bind", "127.0.0.1:0", "--media-url", &format!("s3://{}", s3.bucket)])
            .arg("--data-dir")
            .arg(&data)
            .output()
            .expect("run");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("credentials were refused"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn media_migrate_copies_the_disk_store_into_s3_verifies_it_and_skips_what_is_there_on_a_second_run() {
    let Some(s3) = s3("media_migrate") else { return };
    let data = std::env::temp_dir().join(format!("chorus-migrate-{}", uuid::Uuid::new_v4().simple()));
    let media = data.join("media");
    let objects: [(&str, Vec<u8>); 3] = [
        ("0190e0a0-0000-7000-8000-000000000001/0190e0a0-0000-7000-8000-0000000000aa/original.png", png()),
        (
            "0190e0a0-0000-7000-8000-000000000001/0190e0a0-0000-7000-8000-0000000000aa/thumb.jpg",
            vec![1, 2, 3],
        ),
        (
            "0190e0a0-0000-7000-8000-000000000001/0190e0a0-0000-7000-8000-0000000000bb/original.mp4",
            (0..(9 * 1024 * 1024 + 5)).map(|i| (i % 241) as u8).collect(),
        ),
    ];
    for (key, bytes) in &objects {
        let path = media.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
    // A temporary file a crash left behind is not an object.
    std::fs::write(media.join("0190e0a0-0000-7000-8000-000000000001/.~tmp-abc"), b"partial").expect("write");
    let (target, bucket) = s3.prefix();
    let migrate = |secret: &str| {
        let mut c = s3.command(secret);
        c.args(["media", "migrate", "--to", &target]).arg("--data-dir").arg(&data);
        c.output().expect("run chorus media migrate")
    };

    let out = migrate(&s3.secret);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("3 objects in"), "{stdout}");
    assert!(
        stdout
            .contains("3 copied and verified, 0 already there and verified, 0 failed; 1 stray files skipped"),
        "{stdout}"
    );
    for (key, bytes) in &objects {
        let back = bucket.get(&ObjectKey::parse(key).expect("key")).await.expect("get").expect("copied");
        assert!(&back == bytes, "{key} is in S3 unchanged");
    }
    assert!(media.join(objects[0].0).exists(), "the disk store stays whole");

    let out = migrate(&s3.secret);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(stdout.contains("0 copied and verified, 3 already there and verified, 0 failed"), "{stdout}");

    // A changed file on disk no longer matches: it is copied again, and verified.
    std::fs::write(media.join(objects[1].0), b"changed").expect("write");
    let stdout = String::from_utf8_lossy(&migrate(&s3.secret).stdout).into_owned();
    assert!(stdout.contains("1 copied and verified, 2 already there and verified"), "{stdout}");

    // Refused credentials: a non-zero exit that says why.
    let out = migrate("not-the-secret");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("credentials were refused"));
    let _ = std::fs::remove_dir_all(&data);
}
