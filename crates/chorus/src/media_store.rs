//! Which media store this process uses (`--media-url`), and `chorus media migrate`, which copies
//! the disk store into S3 and verifies every object.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chorus_media::{DiskStore, ObjectKey, ObjectStore, S3Options, S3Store};
use clap::{Args, Subcommand};
use futures_util::TryStreamExt as _;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;

/// Where uploaded files live.
#[derive(Args, Debug, Clone, Default)]
pub struct MediaArgs {
    /// Media store: a folder (default: `<data-dir>/media`), or `s3://bucket/prefix` for an S3 bucket
    /// (credentials and region from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).
    #[arg(long, env = "CHORUS_MEDIA_URL", global = true)]
    pub media_url: Option<String>,
    /// Endpoint of an S3-compatible server, e.g. https://s3.example.com (path-style requests).
    /// Unset: AWS S3 in AWS_REGION.
    #[arg(long, env = "CHORUS_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,
    /// Allow plain http:// to the S3 endpoint; only to a loopback address (tests).
    #[arg(long, env = "CHORUS_S3_ALLOW_HTTP", global = true)]
    pub s3_allow_http: bool,
    /// Serve downloads by a redirect to a presigned S3 URL (after the usual permission check)
    /// instead of streaming them through this instance.
    #[arg(long, env = "CHORUS_MEDIA_PRESIGN", global = true)]
    pub media_presign: bool,
    /// How long a presigned download URL stays valid, in seconds.
    #[arg(long, env = "CHORUS_MEDIA_PRESIGN_SECS", default_value_t = 300, global = true,
          value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub media_presign_secs: u64,
}

impl MediaArgs {
    pub fn presign(&self) -> Option<Duration> {
        self.media_presign.then(|| Duration::from_secs(self.media_presign_secs))
    }
}

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Copy every object of the disk store (<data-dir>/media) into S3 and verify each one
    /// (size and SHA-256 read back). Re-running skips objects already there and verified.
    Migrate {
        /// The target, s3://bucket/prefix (with --s3-endpoint for S3-compatible servers).
        #[arg(long)]
        to: String,
    },
}

fn s3_options(url: &str, args: &MediaArgs) -> anyhow::Result<S3Options> {
    let mut options = S3Options::from_url(url)?;
    options.endpoint.clone_from(&args.s3_endpoint);
    options.allow_http = args.s3_allow_http;
    Ok(options)
}

/// Opens an S3 bucket and checks it answers with these credentials.
async fn open_s3(url: &str, args: &MediaArgs) -> anyhow::Result<S3Store> {
    let store = S3Store::new(s3_options(url, args)?)?;
    store.check().await?;
    Ok(store)
}

/// The media store this process uses. A bad configuration, an unreachable bucket or refused
/// credentials stop the start with a readable error.
pub async fn open(data_dir: &Path, args: &MediaArgs) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let url = args.media_url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let store: Arc<dyn ObjectStore> = match url {
        Some(url) if url.starts_with("s3://") => Arc::new(open_s3(url, args).await?),
        Some(url) if url.contains("://") && !url.starts_with("file://") => {
            anyhow::bail!("--media-url {url:?}: use s3://bucket/prefix, or a folder path")
        }
        other => {
            let dir = match other {
                Some(u) => PathBuf::from(u.strip_prefix("file://").unwrap_or(u)),
                None => data_dir.join("media"),
            };
            Arc::new(DiskStore::new(&dir).with_context(|| format!("create media folder {}", dir.display()))?)
        }
    };
    if args.media_presign && !url.is_some_and(|u| u.starts_with("s3://")) {
        tracing::warn!("--media-presign only applies to an S3 media store; downloads are streamed");
    }
    tracing::info!(media.store = %store.describe(), "Media store ready");
    Ok(store)
}

/// The content type to record on S3 for an existing file, from the extension the key was given
/// when it was stored (the database keeps the real type; this is for direct S3 readers).
fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("ogg") => "audio/ogg",
        Some("wav") => "audio/wav",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Every object file below `root`, with its key (temporary files and other stray names skipped).
fn objects_below(root: &Path) -> anyhow::Result<(Vec<(ObjectKey, PathBuf)>, usize)> {
    let mut found = Vec::new();
    let mut skipped = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("read {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).context("below the media folder")?;
            let key = relative.to_str().map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"));
            match key.as_deref().map(ObjectKey::parse) {
                Some(Ok(key)) => found.push((key, path)),
                _ => {
                    tracing::warn!(path = %path.display(), "Skipped a file that is not a media object");
                    skipped += 1;
                }
            }
        }
    }
    found.sort();
    Ok((found, skipped))
}

async fn file_digest(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file = tokio::fs::File::open(path).await.with_context(|| format!("open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Size and SHA-256 of the object as the store returns it, or `None` when it is not there.
async fn stored_digest(store: &dyn ObjectStore, key: &ObjectKey) -> anyhow::Result<Option<(u64, String)>> {
    let Some(body) = store.get_stream(key).await? else { return Ok(None) };
    let mut stream = body.stream;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = stream.try_next().await? {
        hasher.update(&chunk);
        size += chunk.len() as u64;
    }
    Ok(Some((size, hex(&hasher.finalize()))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn run(data_dir: &Path, args: &MediaArgs, command: MediaCommand) -> anyhow::Result<()> {
    match command {
        MediaCommand::Migrate { to } => {
            let source = match args.media_url.as_deref() {
                Some(u) if u.starts_with("s3://") => {
                    anyhow::bail!("the source is the disk store: run without --media-url / CHORUS_MEDIA_URL")
                }
                Some(u) => PathBuf::from(u.strip_prefix("file://").unwrap_or(u)),
                None => data_dir.join("media"),
            };
            anyhow::ensure!(source.is_dir(), "no media folder at {}", source.display());
            anyhow::ensure!(to.starts_with("s3://"), "--to {to:?}: expected s3://bucket/prefix");
            let target = open_s3(&to, args).await?;
            let summary = migrate(&source, &target).await?;
            println!(
                "{} objects in {}: {} copied and verified, {} already there and verified, {} failed; {} stray files skipped",
                summary.total,
                source.display(),
                summary.copied,
                summary.present,
                summary.failed.len(),
                summary.skipped
            );
            for (key, why) in &summary.failed {
                println!("FAILED {key}: {why}");
            }
            anyhow::ensure!(summary.failed.is_empty(), "{} objects did not verify", summary.failed.len());
            Ok(())
        }
    }
}

struct Summary {
    total: usize,
    copied: usize,
    present: usize,
    skipped: usize,
    failed: Vec<(String, String)>,
}

async fn migrate(source: &Path, target: &S3Store) -> anyhow::Result<Summary> {
    let (objects, skipped) = objects_below(source)?;
    let mut summary = Summary { total: objects.len(), copied: 0, present: 0, skipped, failed: Vec::new() };
    for (key, path) in objects {
        let (size, sha) = file_digest(&path).await?;
        if stored_digest(target, &key).await?.is_some_and(|there| there == (size, sha.clone())) {
            summary.present += 1;
            continue;
        }
        // S3 copies from the file (it never moves it): the disk store stays whole.
        if let Err(e) = target.put_file(&key, &path, content_type(key.as_str())).await {
            summary.failed.push((key.to_string(), format!("upload failed: {e}")));
            continue;
        }
        match stored_digest(target, &key).await? {
            Some(there) if there == (size, sha.clone()) => summary.copied += 1,
            Some((n, h)) => summary.failed.push((
                key.to_string(),
                format!("read back {n} bytes with SHA-256 {h}, expected {size} bytes, {sha}"),
            )),
            None => summary.failed.push((key.to_string(), "not found after the upload".into())),
        }
    }
    Ok(summary)
}
