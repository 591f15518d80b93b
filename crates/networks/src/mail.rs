//! Outgoing e-mail: SMTP when configured, otherwise the message is written to the log (so a
//! newcomer on the embedded default can still follow an invitation or reset link).

use anyhow::Context as _;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
};

/// A message ready to send. Plain text always; HTML when the sender has a richer version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// A one-click unsubscribe URL (RFC 8058): sent as `List-Unsubscribe: <URL>` with
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Absent in jobs queued before it
    /// existed, hence the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_unsubscribe: Option<String>,
}

/// `List-Unsubscribe: <https://…>` (RFC 2369).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(pub String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let url = s.trim().strip_prefix('<').and_then(|s| s.strip_suffix('>')).ok_or("expected <URL>")?;
        Ok(Self(url.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        let value = format!("<{}>", self.0);
        // A URL of this instance is plain ASCII without spaces: nothing to encode. (The encoder
        // would fold it at 76 characters, which some unsubscribe parsers do not unfold.)
        HeaderValue::dangerous_new_pre_encoded(Self::name(), value.clone(), value)
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim() == "List-Unsubscribe=One-Click" {
            Ok(Self)
        } else {
            Err("expected List-Unsubscribe=One-Click".into())
        }
    }

    fn display(&self) -> HeaderValue {
        let v = "List-Unsubscribe=One-Click".to_owned();
        HeaderValue::dangerous_new_pre_encoded(Self::name(), v.clone(), v)
    }
}

/// Whether a URL is safe to put in a header as is (printable ASCII, no spaces or angle brackets).
fn header_safe(url: &str) -> bool {
    url.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
}

#[async_trait::async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()>;
}

/// Writes mail to the log instead of sending it.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogMailer;

#[async_trait::async_trait]
impl Mailer for LogMailer {
    async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        tracing::info!(
            mail.to = %email.to,
            mail.subject = %email.subject,
            "No SMTP server configured (--smtp-url); this e-mail was not sent:\n{}",
            email.text
        );
        Ok(())
    }
}

/// Sends through an SMTP server given as a URL: `smtp://user:pass@host:587?tls=required`
/// (STARTTLS), `smtps://host:465` (TLS), or `smtp://host:25` (plain, for a local relay).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport: AsyncSmtpTransport<Tokio1Executor> =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).context("parse SMTP URL")?.build();
        let from = from.parse().with_context(|| format!("parse sender address {from:?}"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &OutgoingEmail) -> anyhow::Result<()> {
        let message = build(&self.from, email)?;
        self.transport.send(message).await.context("send e-mail over SMTP")?;
        Ok(())
    }
}

/// The MIME message: plain text, or plain text and HTML as alternatives; the unsubscribe
/// headers when the e-mail has an unsubscribe link.
fn build(from: &Mailbox, email: &OutgoingEmail) -> anyhow::Result<Message> {
    let to = Mailbox::new(email.to_name.clone(), email.to.parse().context("parse recipient")?);
    let mut builder = Message::builder().from(from.clone()).to(to).subject(&email.subject);
    if let Some(url) = email.list_unsubscribe.as_deref().filter(|u| header_safe(u)) {
        builder = builder.header(ListUnsubscribe(url.to_owned())).header(ListUnsubscribePost);
    }
    match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
        None => builder.header(ContentType::TEXT_PLAIN).body(email.text.clone()),
    }
    .context("build e-mail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(unsubscribe: Option<&str>) -> OutgoingEmail {
        OutgoingEmail {
            to: "bea@example.test".into(),
            to_name: Some("Bea".into()),
            subject: "This week's wins".into(),
            text: "Hello Bea".into(),
            html: Some("<p>Hello Bea</p>".into()),
            list_unsubscribe: unsubscribe.map(str::to_owned),
        }
    }

    #[test]
    fn one_click_unsubscribe_headers_go_on_whole_with_both_parts() {
        let from: Mailbox = "Chorus <chorus@example.test>".parse().expect("from");
        let long = format!("https://chorus.example.com/unsubscribe/{}", "A".repeat(120));
        let raw =
            String::from_utf8(build(&from, &email(Some(&long))).expect("build").formatted()).expect("utf-8");
        assert!(raw.contains(&format!("List-Unsubscribe: <{long}>\r\n")), "not folded: {raw}");
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), "{raw}");
        assert!(
            raw.contains("multipart/alternative") && raw.contains("text/plain") && raw.contains("text/html")
        );
        // No link, no headers; a link that would break the header is left out rather than sent.
        let raw = String::from_utf8(build(&from, &email(None)).expect("build").formatted()).expect("utf-8");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
        let raw =
            String::from_utf8(build(&from, &email(Some("https://x/ <evil>"))).expect("build").formatted())
                .expect("utf-8");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
    }

    #[test]
    fn queued_jobs_from_before_the_unsubscribe_field_still_read() {
        let old = r#"{"to":"a@b.test","to_name":null,"subject":"s","text":"t","html":null}"#;
        let e: OutgoingEmail = serde_json::from_str(old).expect("old payload");
        assert_eq!(e.list_unsubscribe, None);
    }
}
