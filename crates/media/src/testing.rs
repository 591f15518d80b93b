//! The test suite every [`ObjectStore`] must pass. Run it against each implementation:
//!
//! ```text
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn disk_store_conforms() {
//!     let store = DiskStore::new(dir).expect("store");
//!     chorus_media::testing::conformance(&store).await;
//! }
//! ```
//!
//! Keys live under a fresh random prefix, so the suite can run against a shared bucket. It panics on the
//! first failure.

use std::cell::Cell;

use uuid::Uuid;

use crate::{ObjectKey, ObjectStore};

fn key(prefix: &str, rest: &str) -> ObjectKey {
    ObjectKey::parse(&format!("{prefix}/{rest}")).expect("conformance keys are valid")
}

/// Runs every check in turn.
pub async fn conformance(store: &dyn ObjectStore) {
    let prefix = format!("conformance-{}", Uuid::new_v4().simple());
    missing_keys(store, &prefix).await;
    round_trip_and_overwrite(store, &prefix).await;
    keys_are_independent(store, &prefix).await;
    empty_and_binary_objects(store, &prefix).await;
    readers_never_see_a_partial_object(store, &prefix).await;
    files_and_streams(store, &prefix).await;
}

/// `put_file` stores a file (small, and larger than an S3 part so it goes up in parts) and
/// `get_stream` reads it back in chunks with its size; both are absent for a missing key.
pub async fn files_and_streams(store: &dyn ObjectStore, prefix: &str) {
    let dir = std::env::temp_dir().join(format!("chorus-conformance-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let missing = key(prefix, "files/missing.bin");
    assert!(
        store.get_stream(&missing).await.expect("get_stream missing").is_none(),
        "stream of a missing key"
    );

    for (name, size) in [("small.bin", 1000usize), ("large.mp4", crate::PART_SIZE * 2 + 12_345)] {
        let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let file = dir.join(name);
        std::fs::write(&file, &content).expect("write temp file");
        let k = key(prefix, &format!("files/{name}"));
        store.put_file(&k, &file, "video/mp4").await.expect("put_file");
        let _ = std::fs::remove_file(&file);
        assert!(store.exists(&k).await.expect("exists"), "{name} exists after put_file");
        let body = store.get_stream(&k).await.expect("get_stream").expect("present");
        assert_eq!(body.size, size as u64, "{name}: size of the stream");
        let back = body.collect().await.expect("read the stream");
        assert!(back == content, "{name} came back changed ({} bytes of {size})", back.len());
        store.delete(&k).await.expect("clean up");
        assert!(store.get_stream(&k).await.expect("get_stream after delete").is_none());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A missing key: `get` is `None`, `exists` is false, `delete` is `Ok`.
pub async fn missing_keys(store: &dyn ObjectStore, prefix: &str) {
    let k = key(prefix, "missing/never-written.bin");
    assert_eq!(store.get(&k).await.expect("get missing"), None, "get of a missing key");
    assert!(!store.exists(&k).await.expect("exists missing"), "exists of a missing key");
    store.delete(&k).await.expect("deleting a missing key is Ok");
}

/// Put, get, exists, overwrite, delete, delete again.
pub async fn round_trip_and_overwrite(store: &dyn ObjectStore, prefix: &str) {
    let k = key(prefix, "org/media/original.jpg");
    store.put(&k, b"first version".to_vec(), "image/jpeg").await.expect("put");
    assert!(store.exists(&k).await.expect("exists"), "exists after put");
    assert_eq!(store.get(&k).await.expect("get").as_deref(), Some(&b"first version"[..]));

    store.put(&k, b"second".to_vec(), "image/jpeg").await.expect("overwrite");
    assert_eq!(
        store.get(&k).await.expect("get after overwrite").as_deref(),
        Some(&b"second"[..]),
        "an overwrite replaces the whole object, even with shorter content"
    );

    store.delete(&k).await.expect("delete");
    assert_eq!(store.get(&k).await.expect("get after delete"), None, "get after delete");
    assert!(!store.exists(&k).await.expect("exists after delete"), "exists after delete");
    store.delete(&k).await.expect("deleting twice is Ok");

    store.put(&k, b"back again".to_vec(), "image/jpeg").await.expect("put after delete");
    assert_eq!(store.get(&k).await.expect("get").as_deref(), Some(&b"back again"[..]));
    store.delete(&k).await.expect("clean up");
}

/// Objects side by side do not affect each other.
pub async fn keys_are_independent(store: &dyn ObjectStore, prefix: &str) {
    let original = key(prefix, "org/m1/original.png");
    let thumb = key(prefix, "org/m1/thumb.jpg");
    let other = key(prefix, "org/m2/original.png");
    store.put(&original, b"original".to_vec(), "image/png").await.expect("put original");
    store.put(&thumb, b"thumb".to_vec(), "image/jpeg").await.expect("put thumb");
    store.put(&other, b"other".to_vec(), "image/png").await.expect("put other");

    store.delete(&original).await.expect("delete original");
    assert_eq!(store.get(&original).await.expect("get"), None);
    assert_eq!(store.get(&thumb).await.expect("get").as_deref(), Some(&b"thumb"[..]), "sibling survives");
    assert_eq!(store.get(&other).await.expect("get").as_deref(), Some(&b"other"[..]), "neighbour survives");

    store.delete(&thumb).await.expect("delete thumb");
    assert_eq!(store.get(&other).await.expect("get").as_deref(), Some(&b"other"[..]));
    // Writing again where everything was just deleted still works.
    store.put(&thumb, b"thumb 2".to_vec(), "image/jpeg").await.expect("put into an emptied place");
    assert_eq!(store.get(&thumb).await.expect("get").as_deref(), Some(&b"thumb 2"[..]));
    for k in [&thumb, &other] {
        store.delete(k).await.expect("clean up");
    }
}

/// Zero bytes and every byte value survive unchanged; so does a larger object.
pub async fn empty_and_binary_objects(store: &dyn ObjectStore, prefix: &str) {
    let empty = key(prefix, "bin/empty");
    store.put(&empty, Vec::new(), "application/octet-stream").await.expect("put empty");
    assert!(store.exists(&empty).await.expect("exists"), "an empty object exists");
    assert_eq!(store.get(&empty).await.expect("get").as_deref(), Some(&[][..]));

    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(3 * 1024 * 1024 + 7).collect();
    let big = key(prefix, "bin/all-bytes.bin");
    store.put(&big, all_bytes.clone(), "application/octet-stream").await.expect("put big");
    let back = store.get(&big).await.expect("get big").expect("big object present");
    assert!(back == all_bytes, "a 3 MiB object came back changed ({} bytes)", back.len());
    for k in [&empty, &big] {
        store.delete(k).await.expect("clean up");
    }
}

/// While one writer replaces an object again and again, every read returns a whole version.
pub async fn readers_never_see_a_partial_object(store: &dyn ObjectStore, prefix: &str) {
    const SIZE: usize = 4 * 1024 * 1024;
    const WRITES: usize = 12;
    let k = key(prefix, "race/object.bin");
    let versions = [vec![0xAA_u8; SIZE], vec![0xBB_u8; SIZE]];
    store.put(&k, versions[0].clone(), "application/octet-stream").await.expect("first put");

    let done = Cell::new(false);
    let writer = async {
        for i in 1..=WRITES {
            store.put(&k, versions[i % 2].clone(), "application/octet-stream").await.expect("put");
        }
        done.set(true);
    };
    let reader = async {
        let mut reads = 0usize;
        while !done.get() || reads < 4 {
            let got = store.get(&k).await.expect("get during writes").expect("never missing during writes");
            let whole = got.len() == SIZE && (got == versions[0] || got == versions[1]);
            assert!(whole, "read a partial object: {} bytes, first byte {:?}", got.len(), got.first());
            reads += 1;
        }
        reads
    };
    let ((), reads) = tokio::join!(writer, reader);
    assert!(reads >= 4, "the reader ran");
    assert_eq!(store.get(&k).await.expect("final get"), Some(versions[WRITES % 2].clone()));
    store.delete(&k).await.expect("clean up");
}
