//! Issue 8, acceptance 4: `chorus backup` of a running demo server, `chorus restore` into an
//! empty data folder, the same organization comes back (every table's rows, every media object's
//! checksum), and a server on the restored folder accepts a token made before the backup.
//! Damaged archives are refused with nothing left behind. These run the real binary on the
//! embedded SQLite (what backup is for), whatever CHORUS_TEST_DATABASE_URL says.

mod support;

use sha2::{Digest, Sha256};
use std::{
    collections::BTreeMap,
    path::Path,
    process::{Command, Output},
};
use support::{BIN, Server, TempDir};

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("CHORUS_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run chorus")
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "chorus {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(!out.status.success(), "chorus {args:?} should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `chorus serve --no-worker` on a data folder's embedded database.
async fn serve(data: &Path, extra: &[&str]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--no-worker", "--data-dir"]).arg(data).args(extra).env_remove("DATABASE_URL");
    Server::spawn(cmd).await
}

/// Every table's row count, read straight from a data folder's database.
async fn table_counts(data: &Path) -> BTreeMap<String, i64> {
    use sqlx::Connection as _;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(data.join("chorus.db")).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.expect("open");
    let names: Vec<(String,)> =
        sqlx::query_as("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
            .fetch_all(&mut conn)
            .await
            .expect("tables");
    let mut out = BTreeMap::new();
    for (name,) in names {
        let sql = format!("select count(*) from \"{name}\"");
        let (n,): (i64,) =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("count");
        out.insert(name, n);
    }
    out
}

/// SHA-256 of every file under `media/`, by relative path.
fn media_checksums(data: &Path) -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                let sum: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                out.insert(path.strip_prefix(root).expect("rel").display().to_string(), sum);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&data.join("media"), &data.join("media"), &mut out);
    out
}

async fn get_json(api: &reqwest::Client, base: &str, token: &str, path: &str) -> serde_json::Value {
    let res = api.get(format!("{base}{path}")).bearer_auth(token).send().await.expect("GET");
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("JSON")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test]
async fn a_backup_of_a_running_server_restores_the_same_organization() {
    let tmp = TempDir::new("backup");
    let source = tmp.0.join("source");
    let server = serve(&source, &["--demo"]).await;
    // A token made before the backup must work on the restored copy.
    let token = ok(&[
        "token",
        "create",
        "--data-dir",
        path(&source),
        "--org",
        "northwind-outdoor",
        "--email",
        "sam@northwind.example",
        "--label",
        "backup test",
    ]);
    let token = token.trim().to_owned();
    let api = reqwest::Client::new();
    let me: serde_json::Value = api
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(me["email"], "sam@northwind.example", "{me}");
    let departments = get_json(&api, &server.base, &token, "/api/v1/departments").await;
    assert!(departments["items"].as_array().is_some_and(|d| d.len() >= 4), "{departments}");

    // Taken while the server runs.
    let archive = tmp.0.join("backups/northwind.tar.gz");
    let said = ok(&["backup", "--data-dir", path(&source), "--out", path(&archive)]);
    assert!(said.contains("media objects") && said.contains("secret keys"), "{said}");
    server.stop();
    let before = table_counts(&source).await;
    let media_before = media_checksums(&source);
    assert!(before["users"] >= 5 && before["submissions"] >= 3, "the demo company: {before:?}");
    assert!(!media_before.is_empty(), "the demo uploads a photo");

    // A plain-tar copy of the same data is written too (no compression).
    let plain = tmp.0.join("backups/northwind.tar");
    ok(&["backup", "--data-dir", path(&source), "--out", path(&plain)]);
    // An existing archive is never overwritten.
    let err = fails(&["backup", "--data-dir", path(&source), "--out", path(&plain)]);
    assert!(err.contains("already exists"), "{err}");

    let restored = tmp.0.join("restored");
    let said = ok(&["restore", "--data-dir", path(&restored), "--from", path(&archive)]);
    assert!(said.contains("all checksums verified"), "{said}");
    assert_eq!(table_counts(&restored).await, before, "every table has the same rows");
    assert_eq!(media_checksums(&restored), media_before, "every media object, byte for byte");
    assert!(restored.join("secret-keys").is_file(), "sealed credentials stay readable");
    let empty_dir = tmp.0.join("restored-plain");
    std::fs::create_dir_all(&empty_dir).expect("dir");
    ok(&["restore", "--data-dir", path(&empty_dir), "--from", path(&plain)]);
    assert_eq!(table_counts(&empty_dir).await, before, "an existing empty folder is fine too");

    // A server on the restored folder serves the same organization to the same token.
    let again = serve(&restored, &[]).await;
    let res = api.get(format!("{}/api/v1/me", again.base)).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    let me_again: serde_json::Value = res.json().await.expect("JSON");
    assert_eq!(me_again["id"], me["id"]);
    let departments_again = get_json(&api, &again.base, &token, "/api/v1/departments").await;
    assert_eq!(departments_again, departments, "the same departments, ids and all");
    // The photo comes back from the restored media folder.
    let photo = media_before.keys().find(|k| k.ends_with("original.png")).expect("a photo").clone();
    let media_id = photo.split('/').nth(1).expect("media id");
    let res = api
        .get(format!("{}/api/v1/media/{media_id}/content", again.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.expect("body");
    let sum: String = Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(Some(&sum), media_before.get(&photo), "the restored photo is served as it was");
    again.stop();

    // Restore refuses a folder that is not empty, and touches nothing in it.
    let err = fails(&["restore", "--data-dir", path(&restored), "--from", path(&archive)]);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(table_counts(&restored).await, before);
}

/// Names of the entries in `dir` (to check nothing half-written is left behind).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn damaged_archives_are_refused_and_leave_nothing_behind() {
    let tmp = TempDir::new("restore-bad");
    let source = tmp.0.join("source");
    // A small data folder: the migrated database, a keyring and a media object.
    ok(&["migrate", "--data-dir", path(&source)]);
    ok(&["org", "create", "--name", "Backup Co", "--data-dir", path(&source)]);
    let media =
        source.join("media/0193a1b2-0000-7000-8000-000000000001/0193a1b2-0000-7000-8000-000000000002");
    std::fs::create_dir_all(&media).expect("dir");
    let photo = vec![7u8; 300_000];
    std::fs::write(media.join("original.png"), &photo).expect("write");
    let plain = tmp.0.join("good.tar");
    let gz = tmp.0.join("good.tar.gz");
    ok(&["backup", "--data-dir", path(&source), "--out", path(&plain)]);
    ok(&["backup", "--data-dir", path(&source), "--out", path(&gz)]);
    let out = tmp.0.join("out");
    std::fs::create_dir_all(&out).expect("dir");

    let try_restore = |name: &str, archive: &Path| {
        let target = out.join(name);
        let err = fails(&["restore", "--data-dir", path(&target), "--from", path(archive)]);
        assert!(!target.exists(), "{name}: no half-written data folder");
        assert!(listing(&out).is_empty(), "{name}: no staging folder left: {:?}", listing(&out));
        err
    };

    // Truncated, compressed and plain.
    let bytes = std::fs::read(&gz).expect("read");
    let cut = tmp.0.join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let err = try_restore("cut-gz", &cut);
    assert!(err.contains("damaged or truncated") || err.contains("checksum"), "{err}");
    let bytes = std::fs::read(&plain).expect("read");
    let cut = tmp.0.join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() - 200_000]).expect("write");
    let err = try_restore("cut-tar", &cut);
    assert!(err.contains("damaged") || err.contains("truncated") || err.contains("missing"), "{err}");

    // One flipped byte inside the media object: its checksum does not match.
    let mut bytes = std::fs::read(&plain).expect("read");
    let at = bytes.windows(4096).position(|w| w.iter().all(|b| *b == 7)).expect("the object's bytes");
    bytes[at + 100] = 8;
    let flipped = tmp.0.join("flipped.tar");
    std::fs::write(&flipped, &bytes).expect("write");
    let err = try_restore("flipped", &flipped);
    assert!(err.contains("does not match its checksum"), "{err}");

    // Not a backup at all.
    let junk = tmp.0.join("junk.tar");
    std::fs::write(&junk, b"hello, this is not a tar file").expect("write");
    try_restore("junk", &junk);

    // The good archives still restore.
    ok(&["restore", "--data-dir", path(&out.join("fine")), "--from", path(&gz)]);
    assert_eq!(std::fs::read(out.join("fine/media/0193a1b2-0000-7000-8000-000000000001/0193a1b2-0000-7000-8000-000000000002/original.png")).expect("read"), photo);

    // PostgreSQL: the command says what to use instead.
    let err = fails(&[
        "backup",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/x",
        "--out",
        path(&tmp.0.join("pg.tar.gz")),
    ]);
    assert!(err.contains("pg_dump") && err.contains("docs/deploy.md"), "{err}");
    // An archive name it cannot honour.
    let err = fails(&["backup", "--data-dir", path(&source), "--out", path(&tmp.0.join("x.zip"))]);
    assert!(err.contains(".tar.gz"), "{err}");
    // No database in the folder.
    let err =
        fails(&["backup", "--data-dir", path(&tmp.0.join("nothing")), "--out", path(&tmp.0.join("n.tar"))]);
    assert!(err.contains("no Chorus database"), "{err}");
}
