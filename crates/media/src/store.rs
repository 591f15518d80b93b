use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use uuid::Uuid;

/// Longest accepted object key, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// Marks temporary files. `~` can never appear in a key, so a temporary file is never read as an object.
const TEMP_MARK: &str = ".~tmp-";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("object store I/O failed: {0}")]
    Io(#[from] io::Error),
    /// For stores behind a network (S3 and the like).
    #[error("object store back end failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A validated object name: `/`-separated segments of lower-case ASCII letters, digits, `-`, `_` and `.`;
/// no empty, `.` or `..` segment, no leading or trailing `/`, at most [`MAX_KEY_LEN`] bytes.
/// Every such key is also a safe relative path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

/// Which file of a media item a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaVariant {
    Original,
    Thumb,
}

impl MediaVariant {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaVariant::Original => "original",
            MediaVariant::Thumb => "thumb",
        }
    }
}

impl ObjectKey {
    pub fn parse(key: &str) -> Result<Self, StoreError> {
        let invalid = |reason| Err(StoreError::InvalidKey { key: key.chars().take(80).collect(), reason });
        if key.is_empty() {
            return invalid("it is empty");
        }
        if key.len() > MAX_KEY_LEN {
            return invalid("it is longer than 512 bytes");
        }
        if let Some(c) = key.chars().find(|&c| !matches!(c, 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '/')) {
            return if c.is_ascii_uppercase() {
                invalid("upper-case letters are not allowed")
            } else {
                invalid("only a-z, 0-9, '-', '_', '.' and '/' are allowed")
            };
        }
        for segment in key.split('/') {
            match segment {
                "" => return invalid("it has an empty segment (leading, trailing or double '/')"),
                "." | ".." => return invalid("'.' and '..' segments are not allowed"),
                _ => {}
            }
        }
        Ok(ObjectKey(key.to_owned()))
    }

    /// `{org}/{media}/{variant}.{extension}`, e.g. `…/…/original.jpg`. The extension is reduced to
    /// lower-case ASCII letters and digits (at most 16); when nothing is left the key has no extension.
    pub fn for_media(org: Uuid, media: Uuid, variant: MediaVariant, extension: &str) -> ObjectKey {
        let extension: String = extension
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .take(16)
            .collect();
        let variant = variant.as_str();
        let key = if extension.is_empty() {
            format!("{org}/{media}/{variant}")
        } else {
            format!("{org}/{media}/{variant}.{extension}")
        };
        debug_assert!(ObjectKey::parse(&key).is_ok(), "for_media built an invalid key: {key}");
        ObjectKey(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ObjectKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ObjectKey {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectKey::parse(s)
    }
}

/// Headers a presigned download is answered with (S3's `response-*` overrides, covered by the
/// signature), so a file fetched straight from the bucket carries the same type, name and
/// caching as one served by the instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeaders {
    pub content_type: Option<String>,
    pub content_disposition: Option<String>,
    pub cache_control: Option<String>,
}

/// Chunks of an object as they arrive from the store.
pub type ByteStream = BoxStream<'static, Result<Bytes, StoreError>>;

/// An object being read: its size and its content as a stream (memory stays bounded whatever the size).
pub struct ObjectBody {
    pub size: u64,
    pub stream: ByteStream,
}

impl fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectBody").field("size", &self.size).finish_non_exhaustive()
    }
}

impl ObjectBody {
    /// Reads the whole stream (for small objects and tests).
    pub async fn collect(self) -> Result<Vec<u8>, StoreError> {
        use futures_util::TryStreamExt as _;
        let mut out = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0).min(64 * 1024 * 1024));
        let mut stream = self.stream;
        while let Some(chunk) = stream.try_next().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// Where media bytes live. Implementations must pass [`crate::testing::conformance`] (feature `testing`).
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `bytes` under `key`, replacing any object there. Atomic: readers see the old object or the
    /// new one, never a part; a failed put leaves nothing behind.
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;
    /// The object, or `None` when there is none.
    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError>;
    /// Removes the object. Deleting a missing key is `Ok`.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;
    async fn exists(&self, key: &ObjectKey) -> Result<bool, StoreError>;
    /// Stores the content of the file at `path` under `key` with bounded memory, whatever its size
    /// (large objects go up in parts). Same atomicity as [`ObjectStore::put`]. The store may move the
    /// file instead of copying it: the caller removes `path` afterwards if it is still there.
    async fn put_file(&self, key: &ObjectKey, path: &Path, content_type: &str) -> Result<(), StoreError>;
    /// The object as a stream, or `None` when there is none.
    async fn get_stream(&self, key: &ObjectKey) -> Result<Option<ObjectBody>, StoreError>;
    /// A URL that lets its holder GET the object for `expires_in`, answered with the `response`
    /// headers, when the store can make one (S3 presigned URLs); `None` otherwise (the disk store),
    /// and then the instance serves the bytes.
    async fn presign_get(
        &self,
        _key: &ObjectKey,
        _expires_in: Duration,
        _response: &ResponseHeaders,
    ) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    /// Where the objects are, for logs: `disk:/srv/chorus/media`, `s3://bucket/prefix`.
    fn describe(&self) -> String;
}

/// Objects as files under a root directory (by default the data directory's media folder).
///
/// A key maps to the path of its segments under the root. Writes go to a temporary file in the target
/// directory, are fsynced and renamed over the target, then the directory is fsynced. Deleting removes
/// directories left empty. The content type is not stored (the database keeps it).
///
/// Unlike S3, a key cannot be both an object and the prefix of another (`a/b` and `a/b/c`); keys from
/// [`ObjectKey::for_media`] never are.
#[derive(Debug, Clone)]
pub struct DiskStore {
    root: Arc<PathBuf>,
}

impl DiskStore {
    /// Opens (and creates when missing) the store at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        Ok(DiskStore { root: Arc::new(root) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `key`.
    pub fn path_of(&self, key: &ObjectKey) -> PathBuf {
        key.as_str().split('/').fold(self.root.to_path_buf(), |path, segment| path.join(segment))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        key: &ObjectKey,
        work: impl FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let root = Arc::clone(&self.root);
        let path = self.path_of(key);
        let result =
            tokio::task::spawn_blocking(move || work(&root, &path)).await.map_err(io::Error::other)?;
        Ok(result?)
    }
}

/// The key names no object: missing, a directory, or below a file.
fn is_absent(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory | ErrorKind::IsADirectory)
}

fn put_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().ok_or_else(|| io::Error::other("object path has no parent"))?;
    let temp = parent.join(format!("{TEMP_MARK}{}", Uuid::new_v4().simple()));
    let mut attempts = 0;
    let mut file = loop {
        fs::create_dir_all(parent)?;
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => break file,
            // A concurrent delete removed the directory it had just found empty: make it again.
            Err(e) if e.kind() == ErrorKind::NotFound && attempts < 3 => attempts += 1,
            Err(e) => return Err(e),
        }
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| fs::rename(&temp, path)) {
        if let Err(cleanup) = fs::remove_file(&temp) {
            tracing::warn!(temp = %temp.display(), error = %cleanup, "could not remove a temporary file");
        }
        return Err(e);
    }
    // The rename is durable once the directory is synced. The object is complete either way, so a
    // failure here is only worth a warning.
    if let Err(e) = File::open(parent).and_then(|dir| dir.sync_all()) {
        tracing::warn!(dir = %parent.display(), error = %e, "could not fsync a media directory");
    }
    Ok(())
}

/// Moves (or, across file systems, copies) `source` next to `path`, syncs it and renames it into place.
fn put_from(path: &Path, source: &Path) -> io::Result<()> {
    let parent = path.parent().ok_or_else(|| io::Error::other("object path has no parent"))?;
    fs::create_dir_all(parent)?;
    let temp = parent.join(format!("{TEMP_MARK}{}", Uuid::new_v4().simple()));
    let staged = match fs::rename(source, &temp) {
        Ok(()) => Ok(()),
        // Another file system (a spool folder on tmpfs): copy instead.
        Err(_) => fs::copy(source, &temp).map(|_| ()),
    };
    let done = staged
        .and_then(|()| OpenOptions::new().write(true).open(&temp))
        .and_then(|f| f.sync_all())
        .and_then(|()| fs::rename(&temp, path));
    if let Err(e) = done {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    if let Err(e) = File::open(parent).and_then(|dir| dir.sync_all()) {
        tracing::warn!(dir = %parent.display(), error = %e, "could not fsync a media directory");
    }
    Ok(())
}

/// Chunk size when streaming a file out of the disk store.
const READ_CHUNK: usize = 256 * 1024;

fn delete_file(root: &Path, path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if is_absent(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    // Remove directories the deletion left empty, up to (not including) the root.
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != root && d.starts_with(root)) {
        if fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

#[async_trait::async_trait]
impl ObjectStore for DiskStore {
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, _content_type: &str) -> Result<(), StoreError> {
        self.blocking(key, move |_, path| put_file(path, &bytes)).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.blocking(key, |_, path| match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.blocking(key, delete_file).await
    }

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StoreError> {
        self.blocking(key, |_, path| match fs::metadata(path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if is_absent(&e) => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn put_file(&self, key: &ObjectKey, source: &Path, _content_type: &str) -> Result<(), StoreError> {
        let source = source.to_path_buf();
        self.blocking(key, move |_, path| put_from(path, &source)).await
    }

    async fn get_stream(&self, key: &ObjectKey) -> Result<Option<ObjectBody>, StoreError> {
        use tokio::io::AsyncReadExt as _;
        let path = self.path_of(key);
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if is_absent(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let meta = file.metadata().await?;
        if !meta.is_file() {
            return Ok(None);
        }
        let stream = futures_util::stream::try_unfold(file, |mut file| async move {
            let mut buf = vec![0u8; READ_CHUNK];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok(Some((Bytes::from(buf), file)))
        });
        Ok(Some(ObjectBody { size: meta.len(), stream: Box::pin(stream) }))
    }

    fn describe(&self) -> String {
        format!("disk:{}", self.root.display())
    }
}
