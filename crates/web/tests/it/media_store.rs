//! Media storage over HTTP: large uploads streamed to the store and back, deleting a draft or an
//! upload removing its objects, and the same against a real S3 server (s3s-fs) with streamed and
//! presigned downloads. The S3 tests need CHORUS_TEST_S3, CHORUS_TEST_S3_KEY, CHORUS_TEST_S3_SECRET
//! and CHORUS_TEST_S3_BUCKET (`.ci/run` sets them); without them they print a notice and pass.

use std::sync::Arc;
use std::time::Duration;

use chorus_domain::OrgId;
use chorus_media::{ObjectKey, ObjectStore, S3Options, S3Store};
use chorus_testkit::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const PASSWORD: &str = "a long password";

struct Person {
    token: String,
}

async fn person(t: &TestApp, org: OrgId, email: &str, role: &str) -> Person {
    t.person(org, email, role, Some("Field Ops"), PASSWORD).await;
    Person { token: t.token(org, email).await }
}

/// A video the sniffer accepts: an MP4 `ftyp` box, then `size` bytes in all.
fn mp4(size: usize) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0x18];
    v.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    v.extend((v.len()..size).map(|i| u8::try_from(i % 253).unwrap_or(0)));
    v
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([u8::try_from(x % 256).unwrap_or(0), u8::try_from(y % 256).unwrap_or(0), 90])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img).expect("jpeg");
    out
}

fn hex_sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn upload(t: &TestApp, who: &Person, name: &str, mime: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part =
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).expect("mime");
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = reqwest::Client::new()
        .post(t.url("/api/v1/media"))
        .bearer_auth(&who.token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn call(
    t: &TestApp,
    who: &Person,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    t.api(method, &who.token, path, body).await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// A photo draft of `who`'s with a fresh upload: (submission id, media id).
async fn photo_draft(t: &TestApp, who: &Person) -> (String, String) {
    let (status, m) = upload(t, who, "site.jpg", "image/jpeg", jpeg(40, 30)).await;
    assert_eq!(status, 201, "{m}");
    let draft = json!({"kind": "photo", "title": "On site", "body": "", "media_ids": [m["id"]]});
    let (status, s) = call(t, who, reqwest::Method::POST, "/api/v1/submissions", Some(draft)).await;
    assert_eq!(status, 201, "{s}");
    (s["id"].as_str().expect("id").to_owned(), m["id"].as_str().expect("id").to_owned())
}

/// Uploads a 20 MB video and reads it back through the instance: same bytes, same digest, with
/// the headers a browser needs; nothing stays in the upload spool.
async fn a_video_round_trips(t: &TestApp, eve: &Person) -> String {
    let video = mp4(20 * 1024 * 1024 + 17);
    let (status, m) = upload(t, eve, "launch.mp4", "application/octet-stream", video.clone()).await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["content_type"], "video/mp4");
    assert_eq!(m["bytes"].as_u64(), Some(video.len() as u64));
    assert_eq!(m["sha256"].as_str(), Some(hex_sha(&video).as_str()), "digest computed while streaming in");
    assert_eq!(files_in(&t.spool_dir()), 0, "the spooled upload is gone");

    let id = m["id"].as_str().expect("id");
    let res = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/media/{id}/content")))
        .bearer_auth(&eve.token)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(header("content-type"), "video/mp4");
    assert_eq!(header("content-length"), video.len().to_string());
    assert_eq!(header("cache-control"), "private, max-age=3600");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let back = res.bytes().await.expect("body");
    assert!(back.as_ref() == video.as_slice(), "the video came back changed ({} bytes)", back.len());
    id.to_owned()
}

#[tokio::test]
async fn a_large_video_streams_into_the_disk_store_and_back_unchanged() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let id = a_video_round_trips(&t, &eve).await;
    let files = t.media_files();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(&format!("{id}/original.mp4")), "{files:?}");
}

#[tokio::test]
async fn deleting_a_draft_removes_its_row_and_its_files_from_the_disk_store() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let ivy = person(&t, org, "ivy@acme.test", "employee").await;
    let admin = person(&t, org, "ada@acme.test", "admin").await;
    let (other, _) = t.org("Globex").await;
    let gus = person(&t, other, "gus@globex.test", "admin").await;

    let (draft, media) = photo_draft(&t, &eve).await;
    assert_eq!(t.media_files().len(), 2, "original and thumbnail");
    let path = format!("/api/v1/submissions/{draft}");

    // Nobody else can see a draft, so for them it does not exist; another organization neither.
    for who in [&ivy, &admin, &gus] {
        let (status, p) = call(&t, who, reqwest::Method::DELETE, &path, None).await;
        assert_eq!(status, 404, "{p}");
        assert_eq!(p["code"], "not_found");
    }
    let (status, p) = call(&t, &eve, reqwest::Method::DELETE, "/api/v1/submissions/not-a-uuid", None).await;
    assert!(status == 400 || status == 404, "a malformed id is a client error, not a 500: {status} {p}");

    let (status, body) = call(&t, &eve, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(call(&t, &eve, reqwest::Method::GET, &path, None).await.0, 404);
    assert_eq!(call(&t, &eve, reqwest::Method::GET, &format!("/api/v1/media/{media}"), None).await.0, 404);
    assert_eq!(t.count_rows("media").await, 0);
    t.app.run_pending_jobs().await.expect("jobs");
    assert_eq!(t.media_files(), Vec::<String>::new(), "the objects left the store");
    // Twice: gone.
    assert_eq!(call(&t, &eve, reqwest::Method::DELETE, &path, None).await.0, 404);
}

#[tokio::test]
async fn only_a_draft_can_be_deleted_and_its_files_stay_with_a_submission_in_review() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let (draft, media) = photo_draft(&t, &eve).await;
    let (status, s) = call(
        &t,
        &eve,
        reqwest::Method::POST,
        &format!("/api/v1/submissions/{draft}/submit"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{s}");

    let (status, p) =
        call(&t, &eve, reqwest::Method::DELETE, &format!("/api/v1/submissions/{draft}"), None).await;
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap_or("").contains("only a draft can be deleted"), "{p}");
    let (status, p) = call(&t, &eve, reqwest::Method::DELETE, &format!("/api/v1/media/{media}"), None).await;
    assert_eq!(status, 409, "{p}");
    assert!(p["detail"].as_str().unwrap_or("").contains("past the draft stage"), "{p}");
    t.app.run_pending_jobs().await.expect("jobs");
    assert_eq!(t.media_files().len(), 2, "nothing was deleted");
    assert_eq!(t.count_rows("submissions").await, 1);
}

#[tokio::test]
async fn deleting_an_upload_removes_its_original_and_thumbnail_and_only_its_uploader_may() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let ivy = person(&t, org, "ivy@acme.test", "employee").await;
    let (other, _) = t.org("Globex").await;
    let gus = person(&t, other, "gus@globex.test", "owner").await;
    let (status, kept) = upload(&t, &eve, "kept.jpg", "image/jpeg", jpeg(20, 20)).await;
    assert_eq!(status, 201);
    let (_draft, media) = photo_draft(&t, &eve).await;
    assert_eq!(t.media_files().len(), 4);
    let path = format!("/api/v1/media/{media}");

    for who in [&ivy, &gus] {
        let (status, p) = call(&t, who, reqwest::Method::DELETE, &path, None).await;
        assert_eq!(status, 404, "someone who cannot see it: {p}");
    }
    let (status, p) =
        call(&t, &eve, reqwest::Method::DELETE, "/api/v1/media/0190e0a0-0000-7000-8000-000000000000", None)
            .await;
    assert_eq!(status, 404, "{p}");

    // Her draft lets go of it.
    let (status, body) = call(&t, &eve, reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204, "{body}");
    let (_, s) = call(&t, &eve, reqwest::Method::GET, &format!("/api/v1/submissions/{_draft}"), None).await;
    assert_eq!(s["media"], json!([]), "{s}");
    t.app.run_pending_jobs().await.expect("jobs");
    let files = t.media_files();
    assert_eq!(files.len(), 2, "only the other upload is left: {files:?}");
    assert!(files.iter().all(|f| f.contains(kept["id"].as_str().expect("id"))), "{files:?}");
}

#[tokio::test]
async fn the_delete_draft_button_removes_a_draft_from_the_pages() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let (draft, _) = photo_draft(&t, &eve).await;
    let browser = t.sign_in("eve@acme.test", PASSWORD).await;
    let page = browser.get(t.url(&format!("/submissions/{draft}"))).send().await.expect("page");
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!("action=\"/submissions/{draft}/delete\"")),
        "a Delete draft button: {html}"
    );
    let csrf = chorus_testkit::csrf_of(&html);
    // Without the CSRF token: refused, nothing deleted.
    let res =
        browser.post(t.url(&format!("/submissions/{draft}/delete"))).form(&[("csrf", "wrong")]).send().await;
    assert_ne!(res.expect("post").status(), StatusCode::SEE_OTHER);
    assert_eq!(t.count_rows("submissions").await, 1);
    let res = browser
        .post(t.url(&format!("/submissions/{draft}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(location, "/submissions?notice=draft_deleted");
    let page = browser.get(t.url(&location)).send().await.expect("list").text().await.expect("html");
    assert!(page.contains("Draft deleted"), "a notice says so");
    assert_eq!(t.count_rows("submissions").await, 0);
    t.app.run_pending_jobs().await.expect("jobs");
    assert_eq!(t.media_files(), Vec::<String>::new());
}

// ---- S3 ---------------------------------------------------------------------------------------

fn s3_store(test: &str) -> Option<Arc<S3Store>> {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (Some(endpoint), Some(key), Some(secret), Some(bucket)) = (
        get("CHORUS_TEST_S3"),
        get("CHORUS_TEST_S3_KEY"),
        get("CHORUS_TEST_S3_SECRET"),
        get("CHORUS_TEST_S3_BUCKET"),
    ) else {
        eprintln!(
            "SKIPPED {test}: set CHORUS_TEST_S3, CHORUS_TEST_S3_KEY, CHORUS_TEST_S3_SECRET and CHORUS_TEST_S3_BUCKET (see .ci/run)"
        );
        return None;
    };
    let store = S3Store::new(S3Options {
        bucket,
        prefix: format!("it-{}", uuid::Uuid::new_v4().simple()),
        endpoint: Some(endpoint),
        access_key_id: Some(key),
        secret_access_key: Some(secret),
        allow_http: true,
        ..S3Options::default()
    })
    .expect("S3 store");
    Some(Arc::new(store))
}

fn media_key(org: OrgId, media: &str, variant: &str) -> ObjectKey {
    ObjectKey::parse(&format!("{}/{media}/{variant}", org.0)).expect("key")
}

#[tokio::test]
async fn on_s3_a_large_video_streams_in_and_out_and_deleting_the_draft_empties_the_bucket() {
    let Some(s3) =
        s3_store("on_s3_a_large_video_streams_in_and_out_and_deleting_the_draft_empties_the_bucket")
    else {
        return;
    };
    let t = TestApp::spawn_with_media(s3.clone(), None).await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let video = a_video_round_trips(&t, &eve).await;
    assert!(s3.exists(&media_key(org, &video, "original.mp4")).await.expect("exists"), "in the bucket");

    let (draft, media) = photo_draft(&t, &eve).await;
    let original = media_key(org, &media, "original.jpg");
    let thumb = media_key(org, &media, "thumb.jpg");
    assert!(s3.exists(&original).await.expect("exists") && s3.exists(&thumb).await.expect("exists"));
    let (status, body) =
        call(&t, &eve, reqwest::Method::DELETE, &format!("/api/v1/submissions/{draft}"), None).await;
    assert_eq!(status, 204, "{body}");
    t.app.run_pending_jobs().await.expect("jobs");
    assert!(!s3.exists(&original).await.expect("exists"), "the original left the bucket");
    assert!(!s3.exists(&thumb).await.expect("exists"), "the thumbnail left the bucket");
    assert!(s3.exists(&media_key(org, &video, "original.mp4")).await.expect("exists"), "the video stays");
    let (status, _) = call(&t, &eve, reqwest::Method::DELETE, &format!("/api/v1/media/{video}"), None).await;
    assert_eq!(status, 204);
    t.app.run_pending_jobs().await.expect("jobs");
    assert!(!s3.exists(&media_key(org, &video, "original.mp4")).await.expect("exists"));
}

#[tokio::test]
async fn with_presigning_a_permitted_download_redirects_to_a_short_lived_s3_url() {
    let Some(s3) = s3_store("with_presigning_a_permitted_download_redirects_to_a_short_lived_s3_url") else {
        return;
    };
    let t = TestApp::spawn_with_media(s3, Some(Duration::from_secs(120))).await;
    let (org, _) = t.org("Acme").await;
    let eve = person(&t, org, "eve@acme.test", "employee").await;
    let ivy = person(&t, org, "ivy@acme.test", "employee").await;
    let (_, media) = photo_draft(&t, &eve).await;
    let (_, meta) = call(&t, &eve, reqwest::Method::GET, &format!("/api/v1/media/{media}"), None).await;

    let client = no_redirects();
    let res = client
        .get(t.url(&format!("/api/v1/media/{media}/content")))
        .bearer_auth(&eve.token)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["cache-control"], "private, no-store", "an expiring URL is never cached");
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    assert!(location.contains("X-Amz-Expires=120") && location.contains("X-Amz-Signature="), "{location}");
    let res = reqwest::get(&location).await.expect("GET presigned");
    assert_eq!(res.status(), 200);
    // The bucket answers with the same headers the instance would send (signed overrides).
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["content-disposition"], "inline; filename=\"site.jpg\"");
    assert_eq!(res.headers()["cache-control"], "private, max-age=3600");
    let bytes = res.bytes().await.expect("body");
    assert_eq!(meta["bytes"].as_u64(), Some(bytes.len() as u64));
    assert_eq!(meta["sha256"].as_str(), Some(hex_sha(&bytes).as_str()), "the stored file itself");

    // The thumbnail too.
    let res = client
        .get(t.url(&format!("/api/v1/media/{media}/content?thumbnail=true")))
        .bearer_auth(&eve.token)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"].to_str().expect("location").contains("/thumb.jpg?"));

    // Someone who may not see the draft gets no URL at all.
    let res = client
        .get(t.url(&format!("/api/v1/media/{media}/content")))
        .bearer_auth(&ivy.token)
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("location").is_none());
}
