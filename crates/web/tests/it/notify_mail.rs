//! Notification mail against a real SMTP server (aiosmtpd writing a Maildir; `.ci/run` starts it
//! and sets CHORUS_TEST_SMTP_URL and CHORUS_TEST_MAILDIR; without them these tests say so and
//! pass): the weekly digest with both parts and a one-click unsubscribe that works end to end,
//! and mail that waits while the server is down and goes out when it is back.

use base64::Engine as _;
use chorus_networks::mail::SmtpMailer;
use chorus_testkit::TestApp;
use serde_json::{Value, json};
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery staple";

fn smtp() -> Option<(String, String)> {
    match (std::env::var("CHORUS_TEST_SMTP_URL"), std::env::var("CHORUS_TEST_MAILDIR")) {
        (Ok(url), Ok(dir)) => Some((url, dir)),
        _ => {
            eprintln!(
                "skipped: set CHORUS_TEST_SMTP_URL and CHORUS_TEST_MAILDIR (as .ci/run does) to run against a real SMTP server"
            );
            None
        }
    }
}

/// Every message in the Maildir addressed to `to` whose subject contains `subject`.
fn messages_to(maildir: &str, to: &str, subject: &str) -> Vec<String> {
    let new = std::path::Path::new(maildir).join("new");
    std::fs::read_dir(new)
        .expect("maildir")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default().replace("\r\n", "\n"))
        .filter(|m| header(m, "To").is_some_and(|h| h.contains(to)))
        .filter(|m| header(m, "Subject").is_some_and(|h| h.contains(subject)))
        .collect()
}

/// A header of the message (or of a part), unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\n\n").next().unwrap_or_default();
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push_str(line.trim_start());
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

fn quoted_printable(s: &str) -> String {
    let bytes = s.replace("=\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded parts of a multipart message: (content type, body).
fn parts(message: &str) -> Vec<(String, String)> {
    let ct = header(message, "Content-Type").unwrap_or_default();
    let boundary = ct.split("boundary=").nth(1).expect("multipart").trim_matches('"').to_owned();
    message
        .split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| {
            let p = p.trim_start_matches('\n');
            let (head, body) = p.split_once("\n\n").unwrap_or((p, ""));
            let ct = header(head, "Content-Type").unwrap_or_default();
            let body = match header(head, "Content-Transfer-Encoding").as_deref() {
                Some("base64") => String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(body.split_whitespace().collect::<String>())
                        .expect("base64"),
                )
                .expect("utf-8"),
                Some("quoted-printable") => quoted_printable(body),
                _ => body.to_owned(),
            };
            (ct, body)
        })
        .collect()
}

async fn api(
    t: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn insert_shoutout(
    t: &TestApp,
    org: chorus_domain::OrgId,
    from: chorus_domain::UserId,
    to: chorus_domain::UserId,
    message: &str,
) {
    const SQL: &str = "insert into shoutouts (id, org_id, from_user_id, to_user_id, message, created_at) values ($1, $2, $3, $4, $5, $6)";
    let at = chorus_domain::clock::to_millis(t.app.now());
    let mut db = t.app.store.conn().await.expect("db");
    let done = match chorus_store::Db::ex(&mut db) {
        chorus_store::Ex::Sqlite(c) => sqlx::query(SQL)
            .bind(uuid::Uuid::now_v7())
            .bind(org.0)
            .bind(from.0)
            .bind(to.0)
            .bind(message)
            .bind(at)
            .execute(c)
            .await
            .map(|_| ()),
        chorus_store::Ex::Postgres(c) => sqlx::query(SQL)
            .bind(uuid::Uuid::now_v7())
            .bind(org.0)
            .bind(from.0)
            .bind(to.0)
            .bind(message)
            .bind(at)
            .execute(c)
            .await
            .map(|_| ()),
    };
    done.expect("insert shout-out");
}

#[tokio::test]
async fn the_weekly_digest_arrives_with_both_parts_and_one_click_unsubscribe_stops_the_next_one() {
    let Some((url, maildir)) = smtp() else { return };
    let mailer = Arc::new(SmtpMailer::new(&url, "Chorus <chorus@example.test>").expect("SMTP"));
    let t = TestApp::spawn_with_email(Some(mailer)).await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (bea_email, ada_email) = (format!("bea-{run}@example.test"), format!("ada-{run}@example.test"));
    let (org, _) = t.org("Acme & Co").await;
    let ada = t.person(org, &ada_email, "admin", None, PASSWORD).await;
    let bea = t.person(org, &bea_email, "employee", Some("Sales"), PASSWORD).await;
    let bea_token = t.token(org, &bea_email).await;

    // The week: a shout-out for Bea (with markup that must arrive escaped in HTML) and a
    // comment she chose to get weekly.
    insert_shoutout(&t, org, ada, bea, "Nice job on that <b>report</b>").await;
    let (status, _) = api(
        &t,
        &bea_token,
        reqwest::Method::PUT,
        "/api/v1/notifications/preferences",
        Some(json!({"items": [{"kind": "comment", "delivery": "weekly"}]})),
    )
    .await;
    assert_eq!(status, 200);
    let mut db = t.app.store.conn().await.expect("db");
    chorus_store::notifications::insert(
        &mut db,
        org,
        &chorus_store::notifications::Notification {
            id: chorus_domain::NotificationId::new(),
            user_id: bea,
            kind: "comment".into(),
            title: "Ada commented on “Spring launch”".into(),
            link: "/submissions/launch".into(),
            read_at: None,
            created_at: t.app.now(),
        },
    )
    .await
    .expect("notification");
    drop(db);

    super::notify::to_next_week(&t);
    let report = chorus_app::digests::run_due(&t.app).await.expect("digests");
    assert_eq!(report.emails, 2, "{report:?}");
    t.run_jobs().await;

    let received = messages_to(&maildir, &bea_email, "wins");
    assert_eq!(received.len(), 1, "exactly one digest for Bea");
    let m = &received[0];
    assert!(header(m, "Subject").is_some_and(|s| s.contains("wins")), "{m}");
    let unsubscribe = header(m, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(header(m, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let link = unsubscribe.trim_start_matches('<').trim_end_matches('>').to_owned();
    assert!(link.starts_with(&t.url("/unsubscribe/")), "{link}");
    let parts = parts(m);
    let text = &parts.iter().find(|(ct, _)| ct.starts_with("text/plain")).expect("a text/plain part").1;
    let html = &parts.iter().find(|(ct, _)| ct.starts_with("text/html")).expect("a text/html part").1;
    for expected in [
        "This week's wins at Acme & Co",
        "Nice job on that <b>report</b>",
        "Ada commented on “Spring launch”",
        "SHOUT-OUTS (1)",
        &link,
    ] {
        assert!(text.contains(expected), "text part lacks {expected:?}:\n{text}");
    }
    for expected in [
        "This week&#39;s wins at Acme &#38; Co",
        "Nice job on that &#60;b&#62;report&#60;/b&#62;",
        "Ada commented on",
        &link,
    ] {
        assert!(html.contains(expected), "HTML part lacks {expected:?}:\n{html}");
    }
    assert!(!html.contains("<b>report"), "escaped");

    // One click, as a mail provider does it: no cookie, no CSRF token.
    let res = reqwest::Client::new()
        .post(&link)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    let (_, prefs) =
        api(&t, &bea_token, reqwest::Method::GET, "/api/v1/notifications/preferences", None).await;
    let weekly = prefs["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["kind"] == "digest.weekly")
        .expect("kind")
        .clone();
    assert_eq!(weekly["delivery"], "off", "{prefs}");

    // The next week: Ada gets it, Bea does not.
    super::notify::to_next_week(&t);
    let report = chorus_app::digests::run_due(&t.app).await.expect("digests");
    assert_eq!(report.emails, 1, "{report:?}");
    t.run_jobs().await;
    assert_eq!(messages_to(&maildir, &bea_email, "wins").len(), 1, "no second digest for Bea");
    assert_eq!(messages_to(&maildir, &ada_email, "wins").len(), 2);
}

/// Forwards connections on `listener` to `target` (the real SMTP server).
fn forward(listener: tokio::net::TcpListener, target: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    })
}

#[tokio::test]
async fn mail_waits_in_the_queue_while_smtp_is_down_and_arrives_when_it_is_back() {
    let Some((url, maildir)) = smtp() else { return };
    // A port nobody listens on (yet): connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mailer = Arc::new(
        SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "Chorus <chorus@example.test>").expect("SMTP"),
    );
    let t = TestApp::spawn_with_email(Some(mailer)).await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let sam = format!("sam-{run}@example.test");
    let (org, _) = t.org("Acme").await;
    t.person(org, "admin@acme.test", "admin", None, PASSWORD).await;
    t.person(org, &sam, "employee", None, PASSWORD).await;
    let admin = t.token(org, "admin@acme.test").await;

    let (status, a) = api(
        &t,
        &admin,
        reqwest::Method::POST,
        "/api/v1/announcements",
        Some(json!({"title": "Server maintenance tonight", "body": "Save your drafts."})),
    )
    .await;
    assert_eq!(status, 201, "{a}");
    t.run_jobs().await;
    assert!(messages_to(&maildir, &sam, "Server maintenance").is_empty());

    // The admin sees it waiting, with why (the two invitations wait too).
    let (status, q) = api(&t, &admin, reqwest::Method::GET, "/api/v1/mail/queue", None).await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["waiting"], 3, "{q}");
    let item = q["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["subject"] == "Announcement: Server maintenance tonight")
        .expect("the announcement's e-mail")
        .clone();
    assert_eq!(
        (item["state"].as_str(), item["attempts"].as_i64(), item["to"].as_str()),
        (Some("queued"), Some(1), Some(sam.as_str())),
        "{q}"
    );
    assert!(!item["last_error"].as_str().unwrap_or_default().is_empty(), "{q}");
    let browser = t.sign_in("admin@acme.test", PASSWORD).await;
    let page = browser.get(t.url("/mail")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains(&sam) && page.contains("waiting"), "{page}");

    // Still down a minute later: another attempt, still waiting, nothing lost.
    t.clock.advance(time::Duration::minutes(1));
    t.run_jobs().await;
    let (_, q) = api(&t, &admin, reqwest::Method::GET, "/api/v1/mail/queue", None).await;
    assert_eq!(q["waiting"], 3, "{q}");
    assert!(
        q["items"].as_array().expect("items").iter().all(|m| m["attempts"] == 2 && m["state"] == "queued"),
        "{q}"
    );

    // The server comes back on that port; after the back-off the mail goes out.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the port is free again");
    let target = url.trim_start_matches("smtp://").split(['/', '?']).next().expect("host:port").to_owned();
    let proxy = forward(listener, target);
    t.clock.advance(time::Duration::minutes(5));
    t.run_jobs().await;
    let received = messages_to(&maildir, &sam, "Server maintenance");
    assert_eq!(received.len(), 1, "the waiting mail arrived, once");
    assert_eq!(messages_to(&maildir, &sam, "invited you").len(), 1, "the invitation too");
    let (_, q) = api(&t, &admin, reqwest::Method::GET, "/api/v1/mail/queue", None).await;
    assert_eq!(q["waiting"], 0, "{q}");
    proxy.abort();
}
