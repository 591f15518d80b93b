//! Outgoing e-mail: SMTP when configured, otherwise the message is written to the log (so a
//! newcomer on the embedded default can still follow an invitation or reset link).

use anyhow::Context as _;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header::ContentType},
};

/// A message ready to send. Plain text always; HTML when the sender has a richer version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
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
        let to = Mailbox::new(email.to_name.clone(), email.to.parse().context("parse recipient")?);
        let builder = Message::builder().from(self.from.clone()).to(to).subject(&email.subject);
        let message = match &email.html {
            Some(html) => {
                builder.multipart(MultiPart::alternative_plain_html(email.text.clone(), html.clone()))
            }
            None => builder.header(ContentType::TEXT_PLAIN).body(email.text.clone()),
        }
        .context("build e-mail")?;
        self.transport.send(message).await.context("send e-mail over SMTP")?;
        Ok(())
    }
}
