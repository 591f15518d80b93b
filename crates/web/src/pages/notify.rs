//! Pages of the notifications centre: e-mail preferences per kind, announcements (list, one,
//! publish, read), the one-click unsubscribe page, and the mail queue for admins.

use super::{Chrome, FormError, NoticeQuery, error_page, form_errors, when};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
    markdown,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{Error, announcements, mail, notify, unsubscribe};
use chorus_domain::{AnnouncementId, DepartmentId, notify::may_announce};

// ---------------------------------------------------------------------------------- preferences

struct PrefRow {
    kind: &'static str,
    label: &'static str,
    /// (value, label, chosen)
    choices: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/preferences.html")]
struct PreferencesPage {
    chrome: Chrome,
    rows: Vec<PrefRow>,
    errors: Vec<FormError>,
    email_on: bool,
}

fn pref_rows(list: Vec<notify::Preference>) -> Vec<PrefRow> {
    list.into_iter()
        .map(|p| PrefRow {
            kind: p.kind,
            label: p.label,
            choices: p.allowed.iter().map(|d| (d.as_str(), d.label(), *d == p.delivery)).collect(),
        })
        .collect()
}

pub async fn preferences(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let list = notify::preferences(&s.app, &user.me.caller).await?;
    Ok(PreferencesPage {
        chrome: Chrome::for_user(&user, "notifications").notice(q.notice.as_deref()),
        rows: pref_rows(list),
        errors: vec![],
        email_on: s.app.config.email_notifications,
    }
    .into_response())
}

/// The form sends one `kind=delivery` field per kind (radio groups named after the kind).
pub async fn save_preferences(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let changes: Vec<(String, String)> = fields.into_iter().filter(|(k, _)| k != "csrf").collect();
    match notify::set_preferences(&s.app, &user.me.caller, &changes).await {
        Ok(_) => Ok(Redirect::to("/notifications/preferences?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let list = notify::preferences(&s.app, &user.me.caller).await?;
            let page = PreferencesPage {
                chrome: Chrome::for_user(&user, "notifications"),
                rows: pref_rows(list),
                errors,
                email_on: s.app.config.email_notifications,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// -------------------------------------------------------------------------------- announcements

/// An announcement as pages show it.
pub struct AnnouncementView {
    pub id: String,
    pub title: String,
    pub body_html: String,
    pub audience: String,
    pub author: String,
    pub when: String,
    pub pinned: bool,
    pub read: bool,
    /// "N of M read", for its author, admins and the team.
    pub reads: Option<String>,
}

pub fn view(caller: &chorus_app::me::Caller, a: &announcements::Announcement) -> AnnouncementView {
    AnnouncementView {
        id: a.id.to_string(),
        title: a.title.clone(),
        body_html: markdown::render(&a.body),
        audience: a.department_name.clone().unwrap_or_else(|| "Company-wide".into()),
        author: a.author_name.clone().unwrap_or_default(),
        when: when(a.created_at),
        pinned: a.pinned,
        read: a.read_by_me,
        reads: announcements::sees_reads(caller, a).then(|| format!("{} of {} read", a.reads, a.audience)),
    }
}

#[derive(Default)]
struct AnnouncementDraft {
    title: String,
    body: String,
    department_id: String,
    pinned: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/announcements.html")]
struct AnnouncementsPage {
    chrome: Chrome,
    items: Vec<AnnouncementView>,
    /// Departments the caller may announce to: (id, name); empty when they may not announce.
    departments: Vec<(String, String)>,
    company_wide: bool,
    draft: AnnouncementDraft,
    errors: Vec<FormError>,
}

async fn announce_targets(s: &AppState, user: &PageUser) -> Result<(bool, Vec<(String, String)>), PageError> {
    let actor = &user.me.caller.actor;
    let company_wide = may_announce(actor, None).is_ok();
    let departments = chorus_app::departments::names(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .filter(|(id, _)| may_announce(actor, Some(*id)).is_ok())
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    Ok((company_wide, departments))
}

async fn announcements_page(
    s: &AppState,
    user: &PageUser,
    draft: AnnouncementDraft,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<AnnouncementsPage, PageError> {
    let items = announcements::list(
        &s.app,
        &user.me.caller,
        None,
        chorus_domain::pagination::Limit::new(Some(100)),
        false,
    )
    .await?;
    let (company_wide, departments) = announce_targets(s, user).await?;
    Ok(AnnouncementsPage {
        chrome: Chrome::for_user(user, "announcements").notice(notice),
        items: items.iter().take(100).map(|a| view(&user.me.caller, a)).collect(),
        departments,
        company_wide,
        draft,
        errors,
    })
}

pub async fn announcements_list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(announcements_page(&s, &user, AnnouncementDraft::default(), vec![], q.notice.as_deref())
        .await?
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct AnnouncementForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// Empty: company-wide.
    #[serde(default)]
    department_id: String,
    pinned: Option<String>,
}

pub async fn publish(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<AnnouncementForm>,
) -> Result<Response, PageError> {
    let department = match f.department_id.trim() {
        "" => Ok(None),
        raw => raw.parse::<uuid::Uuid>().map(|u| Some(DepartmentId::from(u))).map_err(|_| {
            Error::from(chorus_domain::Invalid::new("department_id", "is not a department here"))
        }),
    };
    let result = match department {
        Ok(department_id) => {
            let draft = announcements::Draft {
                title: f.title.clone(),
                body: f.body.clone(),
                department_id,
                pinned: f.pinned.is_some(),
            };
            announcements::publish(&s.app, &user.me.caller, &draft).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((a, _)) => {
            Ok(Redirect::to(&format!("{}?notice=announced", announcements::path(a.id))).into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let draft = AnnouncementDraft {
                title: f.title,
                body: f.body,
                department_id: f.department_id,
                pinned: f.pinned.is_some(),
            };
            let page = announcements_page(&s, &user, draft, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/announcement.html")]
struct AnnouncementPage {
    chrome: Chrome,
    a: AnnouncementView,
}

pub async fn announcement(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<AnnouncementId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let a = announcements::get(&s.app, &user.me.caller, id).await?;
    Ok(AnnouncementPage {
        chrome: Chrome::for_user(&user, "announcements").notice(q.notice.as_deref()),
        a: view(&user.me.caller, &a),
    }
    .into_response())
}

pub async fn read(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<AnnouncementId>,
) -> Result<Response, PageError> {
    announcements::mark_read(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to(&announcements::path(id)).into_response())
}

// ----------------------------------------------------------------------------------- unsubscribe

#[derive(Template, WebTemplate)]
#[template(path = "notify/unsubscribe.html")]
struct UnsubscribePage {
    chrome: Chrome,
    token: String,
    email: String,
    org_name: String,
    kind_label: &'static str,
    done: bool,
    already_off: bool,
}

fn unsubscribe_error(e: Error) -> Response {
    match e {
        Error::BadRequest(msg) => error_page(StatusCode::BAD_REQUEST, "This link does not work", &msg),
        other => PageError::from(other).into_response(),
    }
}

/// `GET /unsubscribe/{token}`: says what the link would turn off, with a button. Changes nothing
/// (mail scanners open every link).
pub async fn unsubscribe_form(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match unsubscribe::describe(&s.app, &token).await {
        Ok(t) => UnsubscribePage {
            chrome: Chrome::default(),
            token,
            email: t.email,
            org_name: t.org_name,
            kind_label: t.kind_label,
            done: false,
            already_off: t.already_off,
        }
        .into_response(),
        Err(e) => unsubscribe_error(e),
    }
}

/// `POST /unsubscribe/{token}`: the one-click unsubscribe of RFC 8058 (a mail client posts
/// `List-Unsubscribe=One-Click`), and the page's button. No session and no CSRF token: the
/// signed link is the credential, and all it can do is turn e-mail off.
pub async fn unsubscribe(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match unsubscribe::apply(&s.app, &token).await {
        Ok(t) => UnsubscribePage {
            chrome: Chrome::default(),
            token,
            email: t.email,
            org_name: t.org_name,
            kind_label: t.kind_label,
            done: true,
            already_off: true,
        }
        .into_response(),
        Err(e) => unsubscribe_error(e),
    }
}

// ------------------------------------------------------------------------------------ mail queue

struct MailRow {
    job_id: String,
    state: String,
    attempts: i64,
    last_error: String,
    next: String,
    to: String,
    subject: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "notify/mail.html")]
struct MailPage {
    chrome: Chrome,
    waiting: i64,
    dead: i64,
    rows: Vec<MailRow>,
    email_on: bool,
}

pub async fn mail_queue(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let v = mail::queue_view(&s.app, &user.me.caller, 200).await?;
    Ok(MailPage {
        chrome: Chrome::for_user(&user, "mail"),
        waiting: v.waiting,
        dead: v.dead,
        rows: v
            .items
            .into_iter()
            .map(|m| MailRow {
                job_id: m.job_id.to_string(),
                state: m.state,
                attempts: m.attempts,
                last_error: m.last_error.unwrap_or_default(),
                next: when(m.next_attempt_at),
                to: m.to,
                subject: m.subject,
            })
            .collect(),
        email_on: s.app.config.email_notifications,
    }
    .into_response())
}

/// Pinned announcements for the home page.
pub async fn pinned(s: &AppState, user: &PageUser) -> Result<Vec<AnnouncementView>, Error> {
    let list = announcements::list(
        &s.app,
        &user.me.caller,
        None,
        chorus_domain::pagination::Limit::new(Some(5)),
        true,
    )
    .await?;
    Ok(list.iter().take(5).map(|a| view(&user.me.caller, a)).collect())
}
