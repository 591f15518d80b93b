//! Object keys, and the disk store against the shared conformance suite plus its own failure cases.

use std::fs;
use std::path::{Path, PathBuf};

use chorus_media::{DiskStore, MAX_KEY_LEN, MediaVariant, ObjectKey, ObjectStore, StoreError};
use uuid::Uuid;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("chorus-media-test-{}", Uuid::new_v4().simple()));
        fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn key(s: &str) -> ObjectKey {
    ObjectKey::parse(s).expect("valid test key")
}

/// Every file below `dir`, as paths relative to it.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).expect("below root").to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------------------
// Keys

#[test]
fn keys_accept_the_documented_alphabet() {
    for good in
        ["a", "a/b", "org-1/media_2/original.jpg", "x/.hidden", "a/b.c.d", "0/1/2/3", "..a/b..", "a-_."]
    {
        assert_eq!(key(good).as_str(), good);
    }
    let longest = "a".repeat(MAX_KEY_LEN);
    assert!(ObjectKey::parse(&longest).is_ok(), "{MAX_KEY_LEN} bytes is allowed");
}

#[test]
fn keys_refuse_traversal_and_odd_shapes() {
    let too_long = "a".repeat(MAX_KEY_LEN + 1);
    let bad = [
        "",
        "../x",
        "a/../b",
        "a/..",
        "./a",
        "a/./b",
        "/abs",
        "a//b",
        "a/",
        "A.JPG",
        "photos/IMG.jpg",
        "a\\b",
        "a b",
        "a\0b",
        "a\nb",
        "café",
        "a~tmp",
        "a:b",
        too_long.as_str(),
    ];
    for k in bad {
        match ObjectKey::parse(k) {
            Err(StoreError::InvalidKey { reason, .. }) => assert!(!reason.is_empty()),
            other => panic!("{k:?} must be refused, got {other:?}"),
        }
    }
}

#[test]
fn media_keys() {
    let org = Uuid::parse_str("0190f1f4-aaaa-7bbb-8ccc-000000000001").expect("uuid");
    let media = Uuid::parse_str("0190f1f4-dddd-7eee-8fff-000000000002").expect("uuid");
    let original = ObjectKey::for_media(org, media, MediaVariant::Original, "jpg");
    assert_eq!(original.as_str(), format!("{org}/{media}/original.jpg"));
    assert_eq!(
        original.as_str(),
        "0190f1f4-aaaa-7bbb-8ccc-000000000001/0190f1f4-dddd-7eee-8fff-000000000002/original.jpg"
    );
    assert_eq!(ObjectKey::parse(original.as_str()).ok(), Some(original.clone()), "round trips through parse");
    let thumb = ObjectKey::for_media(org, media, MediaVariant::Thumb, ".P/N\\G");
    assert_eq!(thumb.as_str(), format!("{org}/{media}/thumb.png"), "extension reduced to [a-z0-9]");
    let bare = ObjectKey::for_media(org, media, MediaVariant::Original, "../");
    assert_eq!(bare.as_str(), format!("{org}/{media}/original"));
}

// ---------------------------------------------------------------------------------------------------------
// DiskStore

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_store_passes_the_conformance_suite() {
    let dir = TempDir::new();
    let store = DiskStore::new(dir.0.join("media")).expect("open store");
    chorus_media::testing::conformance(&store).await;
    assert_eq!(files_below(store.root()), Vec::<String>::new(), "the suite cleans up after itself");
    let leftovers: Vec<_> = fs::read_dir(store.root()).expect("read root").collect();
    assert!(leftovers.is_empty(), "emptied directories are removed: {leftovers:?}");
}

#[tokio::test]
async fn objects_are_plain_files_under_the_root() -> Result<(), StoreError> {
    let dir = TempDir::new();
    let root = dir.0.join("data").join("media");
    let store = DiskStore::new(&root)?;
    assert!(root.is_dir(), "new() creates the root");
    let k = key("org/m/original.pdf");
    store.put(&k, b"%PDF-1.7".to_vec(), "application/pdf").await?;
    assert_eq!(store.path_of(&k), root.join("org").join("m").join("original.pdf"));
    assert_eq!(fs::read(store.path_of(&k))?, b"%PDF-1.7");
    assert_eq!(files_below(&root), vec!["org/m/original.pdf".to_owned()], "no temporary file left");

    store.delete(&k).await?;
    assert!(!root.join("org").exists(), "empty directories are pruned");
    assert!(root.is_dir(), "the root stays");
    Ok(())
}

#[tokio::test]
async fn a_put_under_a_file_fails_and_leaves_nothing() -> Result<(), StoreError> {
    let dir = TempDir::new();
    let store = DiskStore::new(&dir.0)?;
    store.put(&key("a"), b"i am a file".to_vec(), "text/plain").await?;

    let err = store.put(&key("a/b"), b"never".to_vec(), "text/plain").await;
    assert!(matches!(err, Err(StoreError::Io(_))), "got {err:?}");
    assert_eq!(files_below(&dir.0), vec!["a".to_owned()]);
    assert_eq!(store.get(&key("a")).await?.as_deref(), Some(&b"i am a file"[..]));
    assert_eq!(store.get(&key("a/b")).await?, None, "below a file there is nothing");
    assert!(!store.exists(&key("a/b")).await?);
    store.delete(&key("a/b")).await?;
    Ok(())
}

#[tokio::test]
async fn a_put_that_fails_after_writing_removes_its_temporary_file() -> Result<(), StoreError> {
    let dir = TempDir::new();
    let store = DiskStore::new(&dir.0)?;
    store.put(&key("x/y/z"), b"deep".to_vec(), "text/plain").await?;

    // "x/y" is a directory: the temporary file is written in "x/", then the rename onto it fails.
    let err = store.put(&key("x/y"), vec![7; 64 * 1024], "text/plain").await;
    assert!(matches!(err, Err(StoreError::Io(_))), "got {err:?}");
    assert_eq!(files_below(&dir.0), vec!["x/y/z".to_owned()], "no orphan temporary file");
    assert_eq!(store.get(&key("x/y/z")).await?.as_deref(), Some(&b"deep"[..]), "the neighbour is untouched");

    // A directory is not an object: get, exists and delete treat it as missing and keep what is inside.
    assert_eq!(store.get(&key("x/y")).await?, None);
    assert!(!store.exists(&key("x/y")).await?);
    store.delete(&key("x/y")).await?;
    assert!(store.exists(&key("x/y/z")).await?);
    Ok(())
}
