//! Uploads written to a temporary file as they arrive, so a 500 MB video never sits in memory: the
//! first bytes are kept to decide the type, the per-kind size limit applies as soon as the type is
//! known, and the SHA-256 is computed on the way.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use crate::{Limits, MediaError, Sniffed, sniff};

/// How many leading bytes are kept to decide the type (the sniffer needs far fewer).
pub const HEAD_LEN: usize = 8 * 1024;

/// A file being received. Dropping it (an error, a client gone) removes the temporary file.
#[derive(Debug)]
pub struct Spool {
    file: Option<tokio::fs::File>,
    path: Option<PathBuf>,
    head: Vec<u8>,
    len: u64,
    hasher: Sha256,
    limits: Limits,
    /// The cap in force: the largest limit until the type is known, then that kind's limit.
    cap: u64,
    sniffed: Option<Sniffed>,
}

/// A received file on disk, with what was learnt while receiving it. Dropping it removes the file.
#[derive(Debug)]
pub struct Spooled {
    path: Option<PathBuf>,
    pub head: Vec<u8>,
    pub len: u64,
    /// Lower-case hex SHA-256 of the whole file.
    pub sha256: String,
    /// `None` for an empty file.
    pub sniffed: Option<Sniffed>,
}

/// Removes upload files in `dir` last written more than `older_than` ago: what a crashed process
/// left behind (a live upload writes continuously, and several instances may share the folder).
/// Returns how many were removed; a missing folder is nothing to do.
pub fn sweep_stale(dir: &Path, older_than: std::time::Duration) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with("upload-") && name.ends_with(".part")) {
            continue;
        }
        let stale = entry.metadata()?.modified()?.elapsed().is_ok_and(|age| age > older_than);
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

impl Spool {
    /// Starts a temporary file in `dir` (created when missing).
    pub async fn create(dir: &Path, limits: Limits) -> Result<Self, MediaError> {
        tokio::fs::create_dir_all(dir).await?;
        let path = dir.join(format!("upload-{}.part", Uuid::new_v4().simple()));
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&path).await?;
        Ok(Spool {
            file: Some(file),
            path: Some(path),
            head: Vec::with_capacity(HEAD_LEN),
            len: 0,
            hasher: Sha256::new(),
            limits,
            cap: limits.max(),
            sniffed: None,
        })
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a chunk. Refuses a type off the allow-list as soon as the head is complete, and a
    /// file past its kind's limit as soon as it passes it.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), MediaError> {
        if self.len + chunk.len() as u64 > self.cap {
            return Err(MediaError::TooLarge { class: self.sniffed.map(|s| s.class), limit: self.cap });
        }
        if self.head.len() < HEAD_LEN {
            let take = (HEAD_LEN - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() == HEAD_LEN {
                self.decide()?;
                if self.len + chunk.len() as u64 > self.cap {
                    return Err(MediaError::TooLarge {
                        class: self.sniffed.map(|s| s.class),
                        limit: self.cap,
                    });
                }
            }
        }
        self.hasher.update(chunk);
        let file = self.file.as_mut().ok_or_else(|| MediaError::Io(std::io::Error::other("spool closed")))?;
        file.write_all(chunk).await?;
        self.len += chunk.len() as u64;
        Ok(())
    }

    fn decide(&mut self) -> Result<(), MediaError> {
        let sniffed = sniff(&self.head).ok_or(MediaError::UnsupportedType)?;
        self.cap = self.limits.for_class(sniffed.class);
        self.sniffed = Some(sniffed);
        Ok(())
    }

    /// Flushes the file and hands it over. An empty file is returned as such (the caller decides
    /// whether "no file" is an error); anything else has an accepted type within its limit.
    pub async fn finish(mut self) -> Result<Spooled, MediaError> {
        if self.len > 0 && self.sniffed.is_none() {
            self.decide()?;
            if self.len > self.cap {
                return Err(MediaError::TooLarge { class: self.sniffed.map(|s| s.class), limit: self.cap });
            }
        }
        let mut file =
            self.file.take().ok_or_else(|| MediaError::Io(std::io::Error::other("spool closed")))?;
        file.flush().await?;
        drop(file);
        let sha256 = hex(&std::mem::take(&mut self.hasher).finalize());
        Ok(Spooled {
            path: self.path.take(),
            head: std::mem::take(&mut self.head),
            len: self.len,
            sha256,
            sniffed: self.sniffed,
        })
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Spooled {
    /// The file's path; it exists until this value is dropped (unless a store moved it away).
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Reads the whole file (for images, whose size limit bounds this).
    pub async fn read(&self) -> Result<Vec<u8>, MediaError> {
        Ok(tokio::fs::read(self.path()).await?)
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_head() -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0x18];
        v.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
        v
    }

    fn dir() -> PathBuf {
        std::env::temp_dir().join(format!("chorus-spool-test-{}", Uuid::new_v4().simple()))
    }

    #[test]
    fn sweeping_removes_only_old_upload_files() {
        let dir = dir();
        std::fs::create_dir_all(&dir).expect("dir");
        let old = dir.join("upload-old.part");
        let other = dir.join("notes.txt");
        std::fs::write(&old, b"left by a crash").expect("write");
        std::fs::write(&other, b"not ours").expect("write");
        assert_eq!(sweep_stale(&dir, std::time::Duration::from_secs(3600)).expect("sweep"), 0, "too recent");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(sweep_stale(&dir, std::time::Duration::from_millis(10)).expect("sweep"), 1);
        assert!(!old.exists() && other.exists());
        assert_eq!(sweep_stale(&dir.join("missing"), std::time::Duration::ZERO).expect("sweep"), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_video_is_received_in_chunks_with_its_digest_and_the_file_goes_away_on_drop() {
        let dir = dir();
        let mut spool = Spool::create(&dir, Limits::default()).await.expect("spool");
        let mut all = mp4_head();
        all.resize(100_000, 7);
        for chunk in all.chunks(3000) {
            spool.write(chunk).await.expect("write");
        }
        let done = spool.finish().await.expect("finish");
        assert_eq!(done.len, 100_000);
        assert_eq!(done.sniffed.map(|s| s.mime), Some("video/mp4"));
        assert_eq!(done.sha256, hex(&Sha256::digest(&all)));
        assert_eq!(tokio::fs::read(done.path()).await.expect("read"), all);
        let path = done.path().to_path_buf();
        drop(done);
        assert!(!path.exists(), "the temporary file is removed");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_kind_limit_applies_as_soon_as_the_type_is_known() {
        let dir = dir();
        let limits = Limits { image: 10_000, video: 20_000, audio: 1, pdf: 1 };
        let mut spool = Spool::create(&dir, limits).await.expect("spool");
        let mut all = mp4_head();
        all.resize(30_000, 1);
        let mut refused = None;
        for chunk in all.chunks(4096) {
            if let Err(e) = spool.write(chunk).await {
                refused = Some(e);
                break;
            }
        }
        assert!(
            matches!(refused, Some(MediaError::TooLarge { limit: 20_000, .. })),
            "refused at the video limit: {refused:?}"
        );
        drop(spool);
        assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 0, "nothing left behind");

        let mut spool = Spool::create(&dir, limits).await.expect("spool");
        let e = spool.write(&[b'<'; HEAD_LEN + 1]).await.expect_err("html is refused early");
        assert!(matches!(e, MediaError::UnsupportedType));
        let _ = std::fs::remove_dir_all(dir);
    }
}
