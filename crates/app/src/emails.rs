//! The e-mails Chorus writes about notifications: a plain-text and an HTML part from askama
//! templates (`templates/email/`, HTML auto-escaped), and a one-click unsubscribe link for the
//! kind the e-mail is about.

use crate::{App, secrets::Keyring, unsubscribe};
use askama::Template;
use chorus_domain::{OrgId, UserId, notify};
use chorus_networks::mail::OutgoingEmail;

/// What links in e-mail are built from: the instance's address and its signing keys.
#[derive(Clone)]
pub struct Links {
    pub base_url: String,
    pub keys: Keyring,
}

impl Links {
    pub fn of(app: &App) -> Self {
        Self { base_url: app.config.base_url.clone(), keys: app.config.secrets.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The one-click unsubscribe link for one person and kind.
    pub fn unsubscribe(&self, org: OrgId, user: UserId, kind: &str) -> String {
        self.url(&format!("/unsubscribe/{}", unsubscribe::token(&self.keys, org, user, kind)))
    }
}

/// The footer every notification e-mail has.
struct Footer {
    reason: String,
    preferences_url: String,
    unsubscribe_url: String,
    unsubscribe_label: &'static str,
}

impl Footer {
    fn new(app: &Links, org: OrgId, user: UserId, kind: &str) -> Self {
        let k = notify::kind(kind);
        Self {
            reason: format!("You get this because of your choice for “{}”.", k.label),
            preferences_url: app.url("/notifications/preferences"),
            unsubscribe_url: app.unsubscribe(org, user, kind),
            unsubscribe_label: match kind {
                notify::WEEKLY_DIGEST => "Stop the weekly digest",
                notify::DAILY_DIGEST => "Stop the daily digest",
                _ => "Stop e-mail like this",
            },
        }
    }
}

macro_rules! email_templates {
    ($html:ident, $text:ident, $html_path:literal, $text_path:literal, { $($field:ident : $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $html_path)]
        #[allow(dead_code, reason = "both parts take the same fields; each shows the ones that suit it")]
        struct $html<'a> {
            $($field: $ty,)*
            footer_reason: &'a str,
            preferences_url: &'a str,
            unsubscribe_url: &'a str,
            unsubscribe_label: &'a str,
        }

        #[derive(Template)]
        #[template(path = $text_path)]
        #[allow(dead_code, reason = "both parts take the same fields; each shows the ones that suit it")]
        struct $text<'a> {
            $($field: $ty,)*
            footer_reason: &'a str,
            preferences_url: &'a str,
            unsubscribe_url: &'a str,
            unsubscribe_label: &'a str,
        }
    };
}

email_templates!(NotificationHtml, NotificationText, "email/notification.html", "email/notification.txt", { name: &'a str, title: &'a str, link: &'a str });
email_templates!(AnnouncementHtml, AnnouncementText, "email/announcement.html", "email/announcement.txt", {
    audience: &'a str, title: &'a str, body: &'a str, body_html: &'a str, author: Option<&'a str>, link: &'a str,
});
email_templates!(DigestHtml, DigestText, "email/digest.html", "email/digest.txt", {
    name: &'a str, heading: &'a str, period: &'a str, wins_html: &'a str, wins_text: &'a str,
    items: &'a [(String, String, String)],
});

fn render(t: &impl Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "Could not render an e-mail template");
        String::new()
    })
}

/// Fills the footer fields of both parts of one template pair.
macro_rules! both {
    ($html:ident, $text:ident, $footer:expr, { $($field:ident : $value:expr),* $(,)? }) => {{
        let f = $footer;
        let html = render(&$html {
            $($field: $value,)*
            footer_reason: &f.reason,
            preferences_url: &f.preferences_url,
            unsubscribe_url: &f.unsubscribe_url,
            unsubscribe_label: f.unsubscribe_label,
        });
        let text = render(&$text {
            $($field: $value,)*
            footer_reason: &f.reason,
            preferences_url: &f.preferences_url,
            unsubscribe_url: &f.unsubscribe_url,
            unsubscribe_label: f.unsubscribe_label,
        });
        (html, text, f.unsubscribe_url)
    }};
}

/// Who an e-mail goes to.
pub struct To<'a> {
    pub org: OrgId,
    pub user: UserId,
    pub name: &'a str,
    pub email: &'a str,
}

/// One notification, sent right away.
pub fn notification(app: &Links, to: &To<'_>, kind: &str, title: &str, path: &str) -> OutgoingEmail {
    let link = app.url(path);
    let (html, text, unsubscribe) = both!(NotificationHtml, NotificationText, Footer::new(app, to.org, to.user, kind), {
        name: to.name, title: title, link: &link,
    });
    OutgoingEmail {
        to: to.email.to_owned(),
        to_name: Some(to.name.to_owned()),
        subject: title.to_owned(),
        text,
        html: Some(html),
        list_unsubscribe: Some(unsubscribe),
    }
}

/// What an announcement e-mail says.
pub struct AnnouncementMail<'a> {
    /// "Company-wide" or the department's name.
    pub audience: &'a str,
    pub title: &'a str,
    /// Markdown.
    pub body: &'a str,
    pub author: Option<&'a str>,
    pub path: &'a str,
}

pub fn announcement(app: &Links, to: &To<'_>, a: &AnnouncementMail<'_>) -> OutgoingEmail {
    let link = app.url(a.path);
    let body_html = crate::markdown::render(a.body);
    let (html, text, unsubscribe) = both!(AnnouncementHtml, AnnouncementText, Footer::new(app, to.org, to.user, notify::kind("announcement").name), {
        audience: a.audience, title: a.title, body: a.body, body_html: &body_html, author: a.author, link: &link,
    });
    OutgoingEmail {
        to: to.email.to_owned(),
        to_name: Some(to.name.to_owned()),
        subject: format!("{}: {}", a.audience, a.title),
        text,
        html: Some(html),
        list_unsubscribe: Some(unsubscribe),
    }
}

/// The parts of a digest every recipient shares (the week's wins), rendered once per run.
#[derive(Debug, Clone, Default)]
pub struct SharedPart {
    pub html: String,
    pub text: String,
}

/// Top content, shout-outs and results of a week.
pub struct Wins<'a> {
    pub shares: i64,
    pub clicks: i64,
    pub published: i64,
    /// (title, human clicks, shares clicked)
    pub top: &'a [(String, i64, i64)],
    pub shoutouts_total: i64,
    pub shoutouts: &'a [chorus_store::digests::Shoutout],
    pub dashboard_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/wins.html")]
struct WinsHtml<'a> {
    shares: i64,
    clicks: i64,
    published: i64,
    top: &'a [(String, i64, i64)],
    shoutouts_total: i64,
    shoutouts: &'a [chorus_store::digests::Shoutout],
    dashboard_url: &'a str,
}

#[derive(Template)]
#[template(path = "email/wins.txt")]
struct WinsText<'a> {
    shares: i64,
    clicks: i64,
    published: i64,
    top: &'a [(String, i64, i64)],
    shoutouts_total: i64,
    shoutouts: &'a [chorus_store::digests::Shoutout],
    dashboard_url: &'a str,
}

pub fn wins(w: &Wins<'_>) -> SharedPart {
    SharedPart {
        html: render(&WinsHtml {
            shares: w.shares,
            clicks: w.clicks,
            published: w.published,
            top: w.top,
            shoutouts_total: w.shoutouts_total,
            shoutouts: w.shoutouts,
            dashboard_url: w.dashboard_url,
        }),
        text: render(&WinsText {
            shares: w.shares,
            clicks: w.clicks,
            published: w.published,
            top: w.top,
            shoutouts_total: w.shoutouts_total,
            shoutouts: w.shoutouts,
            dashboard_url: w.dashboard_url,
        }),
    }
}

/// One person's digest.
pub struct Digest<'a> {
    pub kind: &'a str,
    pub subject: &'a str,
    pub heading: &'a str,
    pub period: &'a str,
    pub shared: &'a SharedPart,
    /// (title, absolute link, when)
    pub items: &'a [(String, String, String)],
}

pub fn digest(app: &Links, to: &To<'_>, d: &Digest<'_>) -> OutgoingEmail {
    let (html, text, unsubscribe) = both!(DigestHtml, DigestText, Footer::new(app, to.org, to.user, d.kind), {
        name: to.name, heading: d.heading, period: d.period, wins_html: &d.shared.html, wins_text: &d.shared.text,
        items: d.items,
    });
    OutgoingEmail {
        to: to.email.to_owned(),
        to_name: Some(to.name.to_owned()),
        subject: d.subject.to_owned(),
        text,
        html: Some(html),
        list_unsubscribe: Some(unsubscribe),
    }
}
