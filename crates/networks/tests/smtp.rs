//! Sends real mail to a real SMTP server. `.ci/run` starts aiosmtpd (a Maildir sink) and sets
//! CHORUS_TEST_SMTP_URL and CHORUS_TEST_MAILDIR; without them this test says so and passes.

use chorus_networks::mail::{Mailer, OutgoingEmail, SmtpMailer};

#[tokio::test]
async fn a_message_reaches_a_real_smtp_server_intact() {
    let (Ok(url), Ok(maildir)) =
        (std::env::var("CHORUS_TEST_SMTP_URL"), std::env::var("CHORUS_TEST_MAILDIR"))
    else {
        eprintln!(
            "skipped: set CHORUS_TEST_SMTP_URL and CHORUS_TEST_MAILDIR (as .ci/run does) to run against a real SMTP server"
        );
        return;
    };
    let marker = format!("check-{}", std::process::id());
    let mailer = SmtpMailer::new(&url, "Chorus <chorus@example.test>").expect("configure SMTP");
    let email = OutgoingEmail {
        to: "bea@example.test".into(),
        to_name: Some("Bea Example".into()),
        subject: format!("Invitation {marker} — join Acme"),
        text: format!("Hello Bea,\n\nChoose your password: http://127.0.0.1:8080/invite/{marker}\n"),
        html: None,
        list_unsubscribe: None,
    };
    mailer.send(&email).await.expect("send");
    let new = std::path::Path::new(&maildir).join("new");
    let found = std::fs::read_dir(&new)
        .expect("maildir")
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .find(|m| m.contains(&marker))
        .expect("the message arrived");
    assert!(
        found.contains("To: \"Bea Example\" <bea@example.test>")
            || found.contains("To: Bea Example <bea@example.test>"),
        "{found}"
    );
    assert!(found.contains("From: Chorus <chorus@example.test>"), "{found}");
    assert!(found.contains("Subject: "), "{found}");
    assert!(found.contains(&format!("/invite/{marker}")), "{found}");
}
