//! `chorus backup` and `chorus restore` for the embedded default (SQLite + media folder).
//!
//! An archive is a tar file (optionally gzip-compressed) holding, in this order:
//! `manifest.json`, `chorus.db` (a consistent snapshot taken with `VACUUM INTO`, safe while a
//! server runs), `secret-keys` (when the data folder has one: without it sealed channel
//! credentials cannot be opened) and `media/…` (every object, as stored).
//! The manifest records the format version, the Chorus version, the schema migration level, the
//! row count of every table and the size and SHA-256 of the database snapshot and of every media
//! object. `restore` unpacks into a staging folder next to the target, checks all of that, and
//! only then renames the staging folder into place: a failed restore leaves nothing behind.
//!
//! PostgreSQL deployments are backed up with `pg_dump` (and their S3 bucket copied): see
//! docs/deploy.md.

use anyhow::{Context as _, bail, ensure};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection as _, sqlite::SqliteConnectOptions};
use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufReader, BufWriter, Read, Write},
    path::{Component, Path, PathBuf},
};

pub const FORMAT: &str = "chorus-backup";
pub const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "chorus.db";
const SECRET_KEYS: &str = "secret-keys";
const MEDIA: &str = "media";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub chorus_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// The highest database migration applied.
    pub schema_version: i64,
    pub database: Object,
    /// Row count of every table of the snapshot.
    pub tables: BTreeMap<String, i64>,
    pub secret_keys: bool,
    /// Every media object, by path under `media/`, sorted.
    pub media: Vec<Object>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compression {
    None,
    Gzip,
}

fn compression_for(out: &Path) -> anyhow::Result<Compression> {
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Ok(Compression::Gzip)
    } else if name.ends_with(".tar") {
        Ok(Compression::None)
    } else if name.ends_with(".tar.zst") {
        bail!("zstd is not supported; name the archive .tar.gz (compressed) or .tar")
    } else {
        bail!("name the archive FILE.tar.gz (compressed) or FILE.tar: {}", out.display())
    }
}

/// The PostgreSQL answer: this command is for the embedded database only.
pub fn refuse_postgres() -> anyhow::Error {
    anyhow::anyhow!(
        "chorus backup and restore are for the embedded SQLite database. On PostgreSQL use the \
         database's own tools: `pg_dump --format=custom --file chorus.dump \"$DATABASE_URL\"` to back up \
         and `pg_restore --dbname \"$DATABASE_URL\" --no-owner chorus.dump` to restore, and copy the media \
         (disk folder or S3 bucket) alongside; see docs/deploy.md"
    )
}

/// What a backup wrote.
pub struct Written {
    pub manifest: Manifest,
    pub bytes: u64,
}

/// Writes a backup of `data_dir` to `out` (which must not exist yet).
pub async fn backup(data_dir: &Path, out: &Path) -> anyhow::Result<Written> {
    let compression = compression_for(out)?;
    ensure!(!out.exists(), "{} already exists; choose a new file name", out.display());
    let db_path = data_dir.join(DATABASE);
    ensure!(db_path.is_file(), "no Chorus database at {} (is --data-dir right?)", db_path.display());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    let staging = Staging::new(parent, ".chorus-backup")?;

    // A consistent snapshot: VACUUM INTO reads one transaction's view, writers go on meanwhile.
    let snapshot = staging.path.join(DATABASE);
    {
        let options = SqliteConnectOptions::new()
            .filename(&db_path)
            .create_if_missing(false)
            .busy_timeout(std::time::Duration::from_secs(60));
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.context("open the database")?;
        let target = snapshot.to_str().context("the archive's folder must be a UTF-8 path")?;
        sqlx::query("vacuum into $1")
            .bind(target)
            .execute(&mut conn)
            .await
            .context("snapshot the database")?;
        conn.close().await.ok();
    }
    let (schema_version, tables) = describe(&snapshot).await?;

    let data_dir = data_dir.to_owned();
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || {
        let database = object(&snapshot, DATABASE)?;
        let media = media_objects(&data_dir.join(MEDIA))?;
        let keys = data_dir.join(SECRET_KEYS);
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            chorus_version: env!("CARGO_PKG_VERSION").into(),
            created_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            schema_version,
            database,
            tables,
            secret_keys: keys.is_file(),
            media,
        };
        let partial = staging.path.join("archive.partial");
        // Owner-only from the first byte: the archive holds the database and the secret keys.
        let file = private_file(&partial).with_context(|| format!("create {}", partial.display()))?;
        let writer: Box<dyn Write> = match compression {
            Compression::None => Box::new(BufWriter::new(file)),
            Compression::Gzip => {
                Box::new(flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::default()))
            }
        };
        let mut tar = tar::Builder::new(writer);
        tar.mode(tar::HeaderMode::Deterministic);
        let json = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, json.as_slice())?;
        tar.append_path_with_name(&snapshot, DATABASE).context("add the database")?;
        if manifest.secret_keys {
            tar.append_path_with_name(&keys, SECRET_KEYS).context("add the secret keys")?;
        }
        for m in &manifest.media {
            let path = data_dir.join(MEDIA).join(&m.path);
            tar.append_path_with_name(&path, format!("{MEDIA}/{}", m.path))
                .with_context(|| format!("add {}", path.display()))?;
        }
        let mut writer = tar.into_inner().context("finish the archive")?;
        writer.flush()?;
        drop(writer);
        File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &out).with_context(|| format!("move the archive to {}", out.display()))?;
        let bytes = std::fs::metadata(&out)?.len();
        drop(staging);
        Ok(Written { manifest, bytes })
    })
    .await?
}

/// The schema level and the row count of every table of a database file.
async fn describe(db: &Path) -> anyhow::Result<(i64, BTreeMap<String, i64>)> {
    let options = SqliteConnectOptions::new().filename(db).read_only(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await.context("open the snapshot")?;
    let (check,): (String,) =
        sqlx::query_as("pragma quick_check").fetch_one(&mut conn).await.context("check the database")?;
    ensure!(check == "ok", "the database is damaged: {check}");
    let (schema,): (Option<i64>,) = sqlx::query_as("select max(version) from _sqlx_migrations where success")
        .fetch_one(&mut conn)
        .await
        .context("read the schema version")?;
    let names: Vec<(String,)> = sqlx::query_as(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut tables = BTreeMap::new();
    for (name,) in names {
        // The name comes from sqlite_master and is quoted as an identifier.
        let sql = format!("select count(*) from \"{}\"", name.replace('"', "\"\""));
        let (n,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await?;
        tables.insert(name, n);
    }
    conn.close().await.ok();
    Ok((schema.unwrap_or(0), tables))
}

fn object(path: &Path, name: &str) -> anyhow::Result<Object> {
    let mut file = BufReader::new(File::open(path).with_context(|| format!("read {}", path.display()))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Object { path: name.to_owned(), size, sha256 })
}

/// Every file under `root`, by `/`-separated relative path, sorted.
fn media_objects(root: &Path) -> anyhow::Result<Vec<Object>> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Object>) -> anyhow::Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("read {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&path, root, out)?;
            } else if kind.is_file() {
                let rel = path.strip_prefix(root)?;
                let name = rel
                    .components()
                    .map(|c| c.as_os_str().to_str().context("media paths are UTF-8"))
                    .collect::<anyhow::Result<Vec<_>>>()?
                    .join("/");
                // Files the disk store is still writing (it renames them into place) are skipped.
                if name.rsplit('/').next().is_some_and(|n| n.starts_with(".~tmp-")) {
                    continue;
                }
                out.push(object(&path, &name)?);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, root, &mut out)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A folder removed when dropped (unless kept).
struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(parent: &Path, prefix: &str) -> anyhow::Result<Self> {
        let path = parent.join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        private_dir(&path).with_context(|| format!("create {}", path.display()))?;
        Ok(Self { path, keep: false })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Restores `from` into `data_dir`, which must be missing or empty. Returns the manifest.
pub async fn restore(data_dir: &Path, from: &Path) -> anyhow::Result<Manifest> {
    if data_dir.exists() {
        let mut entries =
            std::fs::read_dir(data_dir).with_context(|| format!("read {}", data_dir.display()))?;
        ensure!(
            entries.next().is_none(),
            "{} is not empty: restore only into a new or empty data folder",
            data_dir.display()
        );
    }
    let name = data_dir.file_name().and_then(|n| n.to_str()).context("the data folder needs a name")?;
    let parent = data_dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    let mut staging = Staging::new(parent, &format!(".{name}.restoring"))?;
    let from = from.to_owned();
    let root = staging.path.clone();
    let manifest = tokio::task::spawn_blocking(move || unpack(&from, &root)).await??;

    // The database: the snapshot's bytes, then what is in it.
    let db = staging.path.join(DATABASE);
    let known =
        chorus_store::migration_versions(chorus_store::Backend::Sqlite).into_iter().max().unwrap_or(0);
    ensure!(
        manifest.schema_version <= known,
        "the backup comes from a newer Chorus (schema {} > {known}); restore it with that version",
        manifest.schema_version
    );
    let (schema, tables) = describe(&db).await?;
    ensure!(
        schema == manifest.schema_version,
        "schema version {schema} ≠ the manifest's {}",
        manifest.schema_version
    );
    for (table, want) in &manifest.tables {
        let got = tables.get(table).copied();
        ensure!(got == Some(*want), "table {table}: {got:?} rows, the manifest says {want}");
    }
    ensure!(tables.len() == manifest.tables.len(), "the database has tables the manifest does not list");

    if data_dir.exists() {
        std::fs::remove_dir(data_dir).with_context(|| format!("replace {}", data_dir.display()))?;
    }
    std::fs::rename(&staging.path, data_dir).with_context(|| format!("move into {}", data_dir.display()))?;
    staging.keep = true;
    Ok(manifest)
}

/// Unpacks the archive into `root` and checks every object against the manifest.
fn unpack(from: &Path, root: &Path) -> anyhow::Result<Manifest> {
    let mut file = File::open(from).with_context(|| format!("open {}", from.display()))?;
    let mut magic = [0u8; 2];
    let gzip = file.read(&mut magic)? == 2 && magic == [0x1f, 0x8b];
    drop(file);
    let file = BufReader::new(File::open(from)?);
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::read::GzDecoder::new(file)) } else { Box::new(file) };
    let mut archive = tar::Archive::new(reader);
    let mut manifest: Option<Manifest> = None;
    let mut seen: Vec<String> = Vec::new();
    let entries = archive.entries().context("read the archive")?;
    for entry in entries {
        let mut entry = entry.context("the archive is damaged or truncated")?;
        let path = entry.path().context("an entry's name")?.into_owned();
        let name = safe_name(&path)?;
        match entry.header().entry_type() {
            tar::EntryType::Regular => {}
            tar::EntryType::Directory => continue,
            other => bail!("unexpected entry {name} ({other:?}): not a Chorus backup"),
        }
        if name == MANIFEST {
            let mut json = Vec::new();
            entry.read_to_end(&mut json).context("the archive is damaged or truncated")?;
            let m: Manifest = serde_json::from_slice(&json).context("the manifest is not readable")?;
            ensure!(m.format == FORMAT, "not a Chorus backup (format {:?})", m.format);
            ensure!(
                m.format_version <= FORMAT_VERSION,
                "backup format {} is newer than this Chorus understands ({FORMAT_VERSION})",
                m.format_version
            );
            manifest = Some(m);
            continue;
        }
        ensure!(manifest.is_some(), "the archive does not start with its manifest: not a Chorus backup");
        ensure!(
            name == DATABASE || name == SECRET_KEYS || name.starts_with("media/"),
            "unexpected file {name}: not a Chorus backup"
        );
        let target = root.join(&path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut out = private_file(&target).with_context(|| format!("write {}", target.display()))?;
        std::io::copy(&mut entry, &mut out).context("the archive is damaged or truncated")?;
        out.sync_all()?;
        seen.push(name);
    }
    let manifest = manifest.context("the archive has no manifest: not a Chorus backup")?;

    // Every object is there, with its size and checksum; nothing else is.
    let db = object(&root.join(DATABASE), DATABASE).context("the archive has no database")?;
    ensure!(db == manifest.database, "the database does not match its checksum: the archive is damaged");
    if manifest.secret_keys {
        ensure!(root.join(SECRET_KEYS).is_file(), "the archive lacks its secret keys");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(root.join(SECRET_KEYS), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let media = media_objects(&root.join(MEDIA))?;
    for want in &manifest.media {
        let got = media.iter().find(|m| m.path == want.path);
        match got {
            None => bail!("media object {} is missing: the archive is damaged", want.path),
            Some(got) if got != want => {
                bail!("media object {} does not match its checksum: the archive is damaged", want.path)
            }
            Some(_) => {}
        }
    }
    ensure!(media.len() == manifest.media.len(), "the archive holds media the manifest does not list");
    ensure!(
        seen.len() == 1 + usize::from(manifest.secret_keys) + manifest.media.len(),
        "the archive holds duplicate or unlisted entries"
    );
    Ok(manifest)
}

/// A relative path of plain components, as `/`-separated text; anything else is refused.
fn safe_name(path: &Path) -> anyhow::Result<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().context("entry names are UTF-8")?.to_owned()),
            Component::CurDir => {}
            _ => bail!("unsafe entry name {}: not a Chorus backup", path.display()),
        }
    }
    ensure!(!parts.is_empty(), "an empty entry name");
    Ok(parts.join("/"))
}

/// A new file only its owner can read (the database and the keys are secrets at rest).
#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<File> {
    File::create(path)
}

/// A new folder only its owner can enter (staging holds a snapshot of the database).
#[cfg(unix)]
fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn private_dir(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_names_choose_the_compression() {
        assert_eq!(compression_for(Path::new("/b/x.tar.gz")).ok(), Some(Compression::Gzip));
        assert_eq!(compression_for(Path::new("x.tgz")).ok(), Some(Compression::Gzip));
        assert_eq!(compression_for(Path::new("x.tar")).ok(), Some(Compression::None));
        assert!(compression_for(Path::new("x.tar.zst")).is_err());
        assert!(compression_for(Path::new("x.zip")).is_err());
    }

    #[test]
    fn entry_names_stay_inside_the_target() {
        assert_eq!(safe_name(Path::new("./media/a/b.png")).ok().as_deref(), Some("media/a/b.png"));
        assert!(safe_name(Path::new("../etc/passwd")).is_err());
        assert!(safe_name(Path::new("/etc/passwd")).is_err());
        assert!(safe_name(Path::new("media/../../x")).is_err());
    }
}
