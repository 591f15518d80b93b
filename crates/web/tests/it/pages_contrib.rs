//! The contribution pages in a browser's shoes (no JavaScript): the phone submit form with a
//! photo, the submission page, the review queue's bulk decision, the library and the idea board.

use chorus_testkit::{TestApp, csrf_of};

const PASSWORD: &str = "a long password";

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img).expect("encode");
    out
}

async fn page(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.expect("GET");
    assert_eq!(res.status(), 200, "GET {url}");
    res.text().await.expect("body")
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_owned()
}

/// Sends the submit form as a phone would: multipart, the photo in `file`, CSRF in the query.
async fn submit_photo(t: &TestApp, browser: &reqwest::Client, caption: &str) -> reqwest::Response {
    let html = page(browser, &t.url("/submit")).await;
    let csrf = csrf_of(&html);
    let file = reqwest::multipart::Part::bytes(jpeg())
        .file_name("IMG_0042.JPG")
        .mime_str("image/jpeg")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("kind", "photo")
        .text("title", "")
        .text("body", caption.to_owned())
        .text("tags", "#Trails, field-ops")
        .text("channels", "linkedin")
        .text("action", "submit")
        .part("file", file);
    browser.post(t.url(&format!("/submit?csrf={csrf}"))).multipart(form).send().await.expect("POST /submit")
}

#[tokio::test]
async fn a_photo_goes_from_the_phone_form_through_bulk_review_into_the_library() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "eve@acme.test", "employee", Some("Field Ops"), PASSWORD).await;
    t.person(org, "sam@acme.test", "social", None, PASSWORD).await;
    let eve = t.sign_in("eve@acme.test", PASSWORD).await;

    // The form is made for a phone: the file input opens the camera.
    let form = page(&eve, &t.url("/submit")).await;
    assert!(form.contains("accept=\"image/*"), "{form}");
    assert!(form.contains("capture="), "{form}");
    assert!(form.contains("name=\"viewport\""));

    let res =
        submit_photo(&t, &eve, "Sunrise over the ridge <script>alert('x')</script> **boardwalk** 👨‍👩‍👧").await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let to = location(&res);
    assert!(to.starts_with("/submissions/") && to.ends_with("?notice=submitted"), "{to}");
    let show = page(&eve, &t.url(&to)).await;
    // The title came from the caption; the caption is rendered Markdown with the script removed.
    assert!(show.contains("<strong>boardwalk</strong>"), "{show}");
    assert!(!show.contains("<script>alert"), "a script reached the page: {show}");
    assert!(show.contains("👨‍👩‍👧"));
    assert!(show.contains("Waiting for the social media team"), "{show}");
    assert!(show.contains("/media/"), "the photo is shown: {show}");
    let id = to.trim_start_matches("/submissions/").split('?').next().expect("id").to_owned();

    // The team's queue lists it with how long it has waited; one bulk approve decides it.
    let sam = t.sign_in("sam@acme.test", PASSWORD).await;
    let queue = page(&sam, &t.url("/review")).await;
    assert!(queue.contains(&format!("value=\"{id}\"")), "{queue}");
    assert!(queue.contains("min"), "waiting time is shown: {queue}");
    assert!(queue.contains("accesskey=\"a\""), "keyboard shortcut for approve");
    let csrf = csrf_of(&queue);
    let res = sam
        .post(t.url("/review"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("ids", id.as_str()),
            ("decision", "approve"),
            ("comment", "Lovely"),
        ])
        .send()
        .await
        .expect("POST /review");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/review?notice=decided");
    let queue = page(&sam, &t.url("/review")).await;
    assert!(!queue.contains(&format!("value=\"{id}\"")), "decided items leave the queue");

    // Everyone finds it in the library; the caption's script is not there either.
    let library = page(&eve, &t.url("/library?q=ridge")).await;
    assert!(library.contains(&format!("/submissions/{id}")), "{library}");
    assert!(!library.contains("<script>alert"), "{library}");
    let none = page(&eve, &t.url("/library?q=volcano")).await;
    assert!(!none.contains(&format!("/submissions/{id}")));

    // The photo is served as the sniffed type, sandboxed.
    let media_path = show.split("src=\"/media/").nth(1).and_then(|r| r.split('"').next()).expect("img src");
    let res = eve
        .get(t.url(&format!("/media/{}", media_path.replace("&amp;", "&"))))
        .send()
        .await
        .expect("GET media");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-security-policy"].to_str().unwrap_or_default().contains("sandbox"));
}

#[tokio::test]
async fn a_form_without_the_photo_keeps_the_draft_and_says_what_is_missing() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "eve@acme.test", "employee", None, PASSWORD).await;
    let eve = t.sign_in("eve@acme.test", PASSWORD).await;
    let html = page(&eve, &t.url("/submit")).await;
    let csrf = csrf_of(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("kind", "photo")
        .text("body", "Forgot the picture")
        .text("action", "submit");
    let res = eve.post(t.url(&format!("/submit?csrf={csrf}"))).multipart(form).send().await.expect("POST");
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.ends_with("?notice=saved_not_submitted"), "{to}");
    let show = page(&eve, &t.url(&to)).await;
    assert!(show.contains("Draft"), "{show}");

    // A spoofed file is refused with a readable message, and nothing is stored.
    let file = reqwest::multipart::Part::bytes(b"<html><script>alert(1)</script></html>".to_vec())
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .expect("mime");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("kind", "photo")
        .text("body", "Not really a photo")
        .text("action", "submit")
        .part("file", file);
    let res = eve.post(t.url(&format!("/submit?csrf={csrf}"))).multipart(form).send().await.expect("POST");
    assert_eq!(res.status(), 415);
    let body = res.text().await.expect("body");
    assert!(body.contains("This kind of file is not accepted"), "{body}");
    assert_eq!(t.count_rows("media").await, 0);
    assert!(t.media_files().is_empty(), "{:?}", t.media_files());
}

#[tokio::test]
async fn the_idea_board_counts_one_vote_per_person() {
    let t = TestApp::spawn().await;
    let (org, _) = t.org("Acme").await;
    t.person(org, "eve@acme.test", "employee", None, PASSWORD).await;
    t.person(org, "ivy@acme.test", "employee", None, PASSWORD).await;
    let eve = t.sign_in("eve@acme.test", PASSWORD).await;
    let board = page(&eve, &t.url("/ideas")).await;
    let csrf = csrf_of(&board);
    let res = eve
        .post(t.url("/ideas"))
        .form(&[("csrf", csrf.as_str()), ("title", "Trail clean-up day"), ("body", "With customers")])
        .send()
        .await
        .expect("POST /ideas");
    assert_eq!(res.status(), 303);

    let ivy = t.sign_in("ivy@acme.test", PASSWORD).await;
    let board = page(&ivy, &t.url("/ideas")).await;
    assert!(board.contains("Trail clean-up day"), "{board}");
    let action =
        board.split("action=\"/submissions/").nth(1).and_then(|r| r.split('"').next()).expect("vote form");
    let csrf = csrf_of(&board);
    for _ in 0..2 {
        let res = ivy
            .post(t.url(&format!("/submissions/{action}")))
            .form(&[("csrf", csrf.as_str()), ("back", "/ideas")])
            .send()
            .await
            .expect("vote");
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/ideas");
    }
    let board = page(&ivy, &t.url("/ideas")).await;
    assert!(board.contains("<span class=\"votes\">1</span>"), "{board}");
}
