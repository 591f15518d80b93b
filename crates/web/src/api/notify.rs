//! `/api/v1/notifications/preferences`, `/api/v1/announcements` and `/api/v1/mail/queue`: how
//! each person wants e-mail, company and department announcements with read tracking, and the
//! mail that waits or failed (admins and the social team).

use super::{PageQuery, contrib::PROBLEM, cursor, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::{announcements, mail, notify};
use chorus_domain::{
    AnnouncementId, DepartmentId,
    pagination::{Limit, Page},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

// ---------------------------------------------------------------------------------- preferences

#[derive(Serialize, ToSchema)]
pub struct PreferenceDto {
    /// The notification kind, e.g. `review.waiting`, `announcement`, `digest.weekly`.
    pub kind: &'static str,
    pub label: &'static str,
    /// `immediate`, `daily`, `weekly` or `off` (e-mail only: the in-app list records everything).
    pub delivery: &'static str,
    pub default: &'static str,
    /// The deliveries this kind accepts.
    pub allowed: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct PreferenceList {
    pub items: Vec<PreferenceDto>,
    pub next_cursor: Option<String>,
}

fn preference_list(list: Vec<notify::Preference>) -> PreferenceList {
    PreferenceList {
        items: list
            .into_iter()
            .map(|p| PreferenceDto {
                kind: p.kind,
                label: p.label,
                delivery: p.delivery.as_str(),
                default: p.default.as_str(),
                allowed: p.allowed.iter().map(|d| d.as_str()).collect(),
            })
            .collect(),
        next_cursor: None,
    }
}

/// The caller's e-mail choice for every notification kind (defaults where they chose nothing).
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications",
    responses((status = 200, body = PreferenceList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn get_preferences(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<PreferenceList>, ApiError> {
    Ok(Json(preference_list(notify::preferences(&s.app, &me.caller).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceChange {
    pub kind: String,
    /// `immediate`, `daily`, `weekly` or `off`.
    pub delivery: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesBody {
    /// The kinds to change; the others keep their current choice. All are checked before any is saved.
    pub items: Vec<PreferenceChange>,
}

/// Changes some of the caller's choices; answers the whole list as it is now.
#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications", request_body = PreferencesBody,
    responses((status = 200, body = PreferenceList), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn put_preferences(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> Result<Json<PreferenceList>, ApiError> {
    let changes: Vec<(String, String)> = body.items.into_iter().map(|c| (c.kind, c.delivery)).collect();
    Ok(Json(preference_list(notify::set_preferences(&s.app, &me.caller, &changes).await?)))
}

// -------------------------------------------------------------------------------- announcements

#[derive(Serialize, ToSchema)]
pub struct AnnouncementDto {
    pub id: Uuid,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Null: company-wide.
    pub department_id: Option<Uuid>,
    pub department: Option<String>,
    pub author_id: Option<Uuid>,
    pub author: Option<String>,
    pub pinned: bool,
    pub created_at: String,
    /// Whether the caller has read it.
    pub read: bool,
    /// "N of M read": for its author, admins and the social team only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<i64>,
}

fn announcement_dto(caller: &chorus_app::me::Caller, a: announcements::Announcement) -> AnnouncementDto {
    let counts = announcements::sees_reads(caller, &a);
    AnnouncementDto {
        id: a.id.0,
        department_id: a.department_id.map(|d| d.0),
        department: a.department_name,
        author_id: a.author_id.map(|u| u.0),
        author: a.author_name,
        pinned: a.pinned,
        created_at: rfc3339(a.created_at),
        read: a.read_by_me,
        reads: counts.then_some(a.reads),
        audience: counts.then_some(a.audience),
        title: a.title,
        body: a.body,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AnnouncementList {
    pub items: Vec<AnnouncementDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AnnouncementQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    /// Only pinned ones.
    pinned: Option<bool>,
}

/// The announcements the caller may see (company-wide and their department's), newest first.
#[utoipa::path(get, path = "/announcements", tag = "announcements", params(AnnouncementQuery),
    responses((status = 200, body = AnnouncementList), (status = 400, body = Problem, content_type = PROBLEM)))]
pub async fn list_announcements(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<AnnouncementQuery>,
) -> Result<Json<AnnouncementList>, ApiError> {
    let limit = Limit::new(q.limit);
    let rows = announcements::list(
        &s.app,
        &me.caller,
        cursor::<AnnouncementId>(&q.cursor)?,
        limit,
        q.pinned.unwrap_or(false),
    )
    .await?;
    let page = Page::from_overfetch(rows, limit, |a| a.id);
    Ok(Json(AnnouncementList {
        items: page.items.into_iter().map(|a| announcement_dto(&me.caller, a)).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAnnouncement {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// A department's id for a department announcement; absent or null: company-wide.
    #[serde(default)]
    pub department_id: Option<Uuid>,
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PublishedAnnouncement {
    #[serde(flatten)]
    pub announcement: AnnouncementDto,
    /// People told in the app.
    pub notified: usize,
    /// E-mails queued for people who want announcements right away.
    pub emails_queued: usize,
}

/// Publishes an announcement (admins and the social team; a lead to their own department) and
/// tells its audience in the app, and by e-mail per each person's preference.
#[utoipa::path(post, path = "/announcements", tag = "announcements", request_body = CreateAnnouncement,
    responses((status = 201, body = PublishedAnnouncement), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_announcement(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(body): ApiJson<CreateAnnouncement>,
) -> Result<impl IntoResponse, ApiError> {
    let draft = announcements::Draft {
        title: body.title,
        body: body.body,
        department_id: body.department_id.map(DepartmentId::from),
        pinned: body.pinned,
    };
    let (a, fan_out) = announcements::publish(&s.app, &me.caller, &draft).await?;
    let a = announcements::get(&s.app, &me.caller, a.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(PublishedAnnouncement {
            announcement: announcement_dto(&me.caller, a),
            notified: fan_out.notified,
            emails_queued: fan_out.emails_queued,
        }),
    ))
}

/// One announcement.
#[utoipa::path(get, path = "/announcements/{id}", tag = "announcements", params(("id" = Uuid, Path)),
    responses((status = 200, body = AnnouncementDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_announcement(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<AnnouncementId>,
) -> Result<Json<AnnouncementDto>, ApiError> {
    let a = announcements::get(&s.app, &me.caller, id).await?;
    Ok(Json(announcement_dto(&me.caller, a)))
}

/// Records that the caller read it (idempotent); its notification is marked read too.
#[utoipa::path(post, path = "/announcements/{id}/read", tag = "announcements", params(("id" = Uuid, Path)),
    responses((status = 200, body = AnnouncementDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn read_announcement(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<AnnouncementId>,
) -> Result<Json<AnnouncementDto>, ApiError> {
    let a = announcements::mark_read(&s.app, &me.caller, id).await?;
    Ok(Json(announcement_dto(&me.caller, a)))
}

// ------------------------------------------------------------------------------------ mail queue

#[derive(Serialize, ToSchema)]
pub struct WaitingMailDto {
    pub job_id: Uuid,
    /// `queued` (waits for its next attempt), `running`, or `dead` (out of attempts: retry it
    /// with `POST /jobs/{id}/retry`).
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: String,
    pub to: String,
    pub subject: String,
}

#[derive(Serialize, ToSchema)]
pub struct MailQueue {
    /// E-mails waiting to be sent (queued or being sent).
    pub waiting: i64,
    /// E-mails that ran out of attempts.
    pub dead: i64,
    pub items: Vec<WaitingMailDto>,
    pub next_cursor: Option<String>,
}

/// E-mail that has not gone out yet: waiting for a retry (the SMTP server was down) or failed
/// for good (admins and the social team).
#[utoipa::path(get, path = "/mail/queue", tag = "notifications", params(PageQuery),
    responses((status = 200, body = MailQueue), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn mail_queue(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<MailQueue>, ApiError> {
    let limit = i64::from(Limit::new(q.limit).get());
    let v = mail::queue_view(&s.app, &me.caller, limit).await?;
    Ok(Json(MailQueue {
        waiting: v.waiting,
        dead: v.dead,
        items: v
            .items
            .into_iter()
            .map(|m| WaitingMailDto {
                job_id: m.job_id.0,
                state: m.state,
                attempts: m.attempts,
                last_error: m.last_error,
                next_attempt_at: rfc3339(m.next_attempt_at),
                to: m.to,
                subject: m.subject,
            })
            .collect(),
        next_cursor: None,
    }))
}
