//! The S3 store against a real S3 server (s3s-fs, which checks SigV4 signatures): the shared
//! conformance suite, presigned URLs and refused credentials.
//!
//! Needs `CHORUS_TEST_S3` (the endpoint, e.g. `http://127.0.0.1:8014`), `CHORUS_TEST_S3_KEY`,
//! `CHORUS_TEST_S3_SECRET` and `CHORUS_TEST_S3_BUCKET` (an existing bucket); `.ci/run` starts s3s-fs
//! and sets them. Without them each test prints a notice and passes.

use std::time::Duration;

use chorus_media::{ObjectKey, ObjectStore, ResponseHeaders, S3Options, S3Store};
use uuid::Uuid;

struct Server {
    endpoint: String,
    key: String,
    secret: String,
    bucket: String,
}

fn server(test: &str) -> Option<Server> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (
        get("CHORUS_TEST_S3"),
        get("CHORUS_TEST_S3_KEY"),
        get("CHORUS_TEST_S3_SECRET"),
        get("CHORUS_TEST_S3_BUCKET"),
    ) {
        (Some(endpoint), Some(key), Some(secret), Some(bucket)) => {
            Some(Server { endpoint, key, secret, bucket })
        }
        _ => {
            eprintln!(
                "SKIPPED {test}: set CHORUS_TEST_S3, CHORUS_TEST_S3_KEY, CHORUS_TEST_S3_SECRET and CHORUS_TEST_S3_BUCKET (see .ci/run)"
            );
            None
        }
    }
}

fn store(s: &Server, secret: &str) -> S3Store {
    S3Store::new(S3Options {
        bucket: s.bucket.clone(),
        prefix: format!("test-{}", Uuid::new_v4().simple()),
        endpoint: Some(s.endpoint.clone()),
        region: Some("us-east-1".into()),
        access_key_id: Some(s.key.clone()),
        secret_access_key: Some(secret.to_owned()),
        allow_http: true,
    })
    .expect("S3 store")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_store_passes_the_shared_conformance_suite() {
    let Some(s) = server("the_s3_store_passes_the_shared_conformance_suite") else { return };
    let store = store(&s, &s.secret);
    store.check().await.expect("the bucket is reachable");
    chorus_media::testing::conformance(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_url_serves_the_object_to_anyone_until_it_expires() {
    let Some(s) = server("a_presigned_url_serves_the_object_to_anyone_until_it_expires") else { return };
    let store = store(&s, &s.secret);
    let key = ObjectKey::parse("org/media/original.jpg").expect("key");
    store.put(&key, b"jpeg bytes".to_vec(), "image/jpeg").await.expect("put");
    let headers = ResponseHeaders {
        content_type: Some("image/jpeg".into()),
        content_disposition: Some("inline; filename=\"site.jpg\"".into()),
        cache_control: Some("private, max-age=3600".into()),
    };
    let url = store
        .presign_get(&key, Duration::from_secs(300), &headers)
        .await
        .expect("presign")
        .expect("S3 presigns");
    assert!(url.contains("response-content-disposition="), "the headers are part of the signed URL: {url}");
    assert!(url.contains("X-Amz-Signature="), "a SigV4 query signature: {url}");
    let client = reqwest::Client::new();
    let res = client.get(&url).send().await.expect("GET presigned");
    assert_eq!(res.status(), 200);
    // A changed override no longer matches the signature.
    let tampered = url.replace("inline", "attachment");
    assert_eq!(client.get(&tampered).send().await.expect("GET tampered").status(), 403);
    assert_eq!(res.bytes().await.expect("body").as_ref(), b"jpeg bytes");
    // The signature covers the path: another key with the same query is refused.
    let forged = url.replace("original.jpg", "thumb.jpg");
    let res = client.get(&forged).send().await.expect("GET forged");
    assert_eq!(res.status(), 403, "a signature is valid for its own object only");
    store.delete(&key).await.expect("clean up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_with_a_clear_error() {
    let Some(s) = server("a_wrong_secret_is_refused_with_a_clear_error") else { return };
    let store = store(&s, "not-the-secret");
    let e = store.check().await.expect_err("the server checks signatures");
    let text = e.to_string();
    assert!(text.contains("credentials were refused"), "{text}");
    assert!(text.contains(&format!("s3://{}", s.bucket)), "names the bucket: {text}");
    let key = ObjectKey::parse("org/media/original.jpg").expect("key");
    assert!(store.put(&key, b"x".to_vec(), "image/jpeg").await.is_err(), "a put is refused too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_is_a_clear_error() {
    let Some(s) = server("a_missing_bucket_is_a_clear_error") else { return };
    let store = S3Store::new(S3Options {
        bucket: format!("no-such-bucket-{}", &Uuid::new_v4().simple().to_string()[..8]),
        endpoint: Some(s.endpoint.clone()),
        access_key_id: Some(s.key.clone()),
        secret_access_key: Some(s.secret.clone()),
        allow_http: true,
        ..S3Options::default()
    })
    .expect("S3 store");
    let e = store.check().await.expect_err("no bucket");
    assert!(e.to_string().contains("cannot use s3://no-such-bucket-"), "{e}");
}
