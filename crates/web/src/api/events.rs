//! `/api/v1/events`: social sessions (SPEC §3), their attendance per occurrence and their
//! calendar invite (`/events/{id}/invite.ics`, RFC 5545).
//!
//! Everyone in the organization reads and says they attend; the social team, leads and admins
//! create sessions; whoever created one (and the social team and admins) changes it. An
//! organization runs a handful of sessions, so the list comes whole: `next_cursor` is null.

use super::{
    contrib::PROBLEM,
    dto::{present, rfc3339},
};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_app::{
    App,
    events::{self, Event, EventChanges, OccurrenceAttendance},
    me::Caller,
};
use chorus_domain::{EventId, events::EventInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct OccurrenceDto {
    /// The occurrence's local date (YYYY-MM-DD): what attendance is recorded under.
    pub date: String,
    pub starts_at: String,
    pub ends_at: String,
    /// How many people attended or will attend.
    pub attendance: i64,
    /// Whether the caller is among them.
    pub attending: bool,
}

fn occurrence_dto(a: &OccurrenceAttendance) -> OccurrenceDto {
    OccurrenceDto {
        date: a.occurrence.date.to_string(),
        starts_at: rfc3339(a.occurrence.starts_at),
        ends_at: rfc3339(a.occurrence.ends_at),
        attendance: a.count,
        attending: a.me,
    }
}

#[derive(Serialize, ToSchema)]
pub struct PersonRef {
    pub id: Uuid,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RecurrenceDto {
    /// once or weekly.
    pub repeat: String,
    /// Weeks between occurrences (weekly).
    pub interval: Option<i64>,
    /// The last date (YYYY-MM-DD, inclusive), if any.
    pub until: Option<String>,
    /// How many occurrences, if limited.
    pub count: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EventDto {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// A room, an address or a link.
    pub place: String,
    /// The place when it is a link.
    pub place_url: Option<String>,
    pub hashtag: Option<String>,
    /// The first occurrence's local date (YYYY-MM-DD).
    pub start_date: String,
    /// Local time (HH:MM) in `time_zone`.
    pub start_time: String,
    pub duration_minutes: i64,
    /// IANA name, e.g. Europe/Berlin.
    pub time_zone: String,
    pub recurrence: RecurrenceDto,
    /// The next occurrence that has not ended (one under way included).
    pub next_occurrence: Option<OccurrenceDto>,
    /// The next few occurrences with their attendance.
    pub upcoming: Vec<OccurrenceDto>,
    /// The calendar invite (text/calendar).
    pub invite_url: String,
    pub page_url: String,
    pub created_by: Option<PersonRef>,
    pub created_at: String,
    pub updated_at: String,
}

async fn event_dto(app: &App, caller: &Caller, e: Event) -> Result<EventDto, ApiError> {
    let now = app.now();
    let upcoming = events::occurrences(app, caller, &e, now, now + time::Duration::days(3650), 5).await?;
    Ok(EventDto {
        id: e.id.0,
        place_url: chorus_domain::events::place_url(&e.place),
        next_occurrence: upcoming.first().map(occurrence_dto),
        upcoming: upcoming.iter().map(occurrence_dto).collect(),
        invite_url: format!("/api/v1/events/{}/invite.ics", e.id),
        page_url: app.url(&format!("/events/{}", e.id)),
        title: e.title,
        description: e.description,
        place: e.place,
        hashtag: e.hashtag,
        start_date: e.start_date,
        start_time: e.start_time,
        duration_minutes: e.duration_minutes,
        time_zone: e.time_zone,
        recurrence: RecurrenceDto {
            repeat: e.repeat,
            interval: e.interval_weeks,
            until: e.until_date,
            count: e.occurrence_count,
        },
        created_by: e.created_by.map(|u| PersonRef { id: u.0, name: e.created_by_name }),
        created_at: rfc3339(e.created_at),
        updated_at: rfc3339(e.updated_at),
    })
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// By first date.
    pub items: Vec<EventDto>,
    pub next_cursor: Option<String>,
}

/// The organization's social sessions, each with its next occurrences and their attendance.
#[utoipa::path(get, path = "/events", tag = "communication",
    responses((status = 200, body = EventList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_events(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<EventList>, ApiError> {
    let mut items = Vec::new();
    for e in events::list(&s.app, &me.caller).await? {
        items.push(event_dto(&s.app, &me.caller, e).await?);
    }
    Ok(Json(EventList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEvent {
    /// At most 200 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// A room, an address or an https link.
    #[serde(default)]
    pub place: String,
    /// One hashtag, e.g. #OutdoorTrails.
    #[serde(default)]
    pub hashtag: Option<String>,
    /// The first occurrence's local date, YYYY-MM-DD.
    pub start_date: String,
    /// Local time, HH:MM (24-hour clock).
    pub start_time: String,
    /// 5 to 1440.
    pub duration_minutes: i64,
    /// IANA time-zone name, e.g. Europe/Berlin.
    pub time_zone: String,
    /// once (default) or weekly.
    #[serde(default)]
    pub repeat: Option<String>,
    /// Weeks between occurrences, 1–52 (weekly; default 1).
    #[serde(default)]
    pub interval: Option<i64>,
    /// Last date, YYYY-MM-DD (weekly; optional).
    #[serde(default)]
    pub until: Option<String>,
    /// Number of occurrences, 1–520 (weekly; optional).
    #[serde(default)]
    pub count: Option<i64>,
}

/// Creates a session (the social team, department leads, admins). Every problem with the input
/// is a 422 naming its field.
#[utoipa::path(post, path = "/events", tag = "communication", request_body = CreateEvent,
    responses((status = 201, body = EventDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_event(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateEvent>,
) -> Result<impl IntoResponse, ApiError> {
    let input = EventInput {
        title: b.title,
        description: b.description,
        place: b.place,
        hashtag: b.hashtag.unwrap_or_default(),
        start_date: b.start_date,
        start_time: b.start_time,
        duration_minutes: b.duration_minutes,
        time_zone: b.time_zone,
        repeat: b.repeat.unwrap_or_else(|| "once".into()),
        interval: b.interval,
        until: b.until,
        count: b.count,
    };
    let e = events::create(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(event_dto(&s.app, &me.caller, e).await?)))
}

/// One session.
#[utoipa::path(get, path = "/events/{id}", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 200, body = EventDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_event(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<EventDto>, ApiError> {
    let e = events::get(&s.app, &me.caller, EventId::from(id)).await?;
    Ok(Json(event_dto(&s.app, &me.caller, e).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEvent {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub hashtag: Option<Option<String>>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// once or weekly (once drops interval, until and count).
    #[serde(default)]
    pub repeat: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub interval: Option<Option<i64>>,
    /// `null` makes the series open-ended.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub until: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub count: Option<Option<i64>>,
}

/// Changes a session (whoever created it, the social team, admins). Absent fields stay.
#[utoipa::path(patch, path = "/events/{id}", tag = "communication", params(("id" = Uuid, Path)),
    request_body = UpdateEvent,
    responses((status = 200, body = EventDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_event(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateEvent>,
) -> Result<Json<EventDto>, ApiError> {
    let changes = EventChanges {
        title: b.title,
        description: b.description,
        place: b.place,
        hashtag: b.hashtag,
        start_date: b.start_date,
        start_time: b.start_time,
        duration_minutes: b.duration_minutes,
        time_zone: b.time_zone,
        repeat: b.repeat,
        interval: b.interval,
        until: b.until,
        count: b.count,
    };
    let e = events::update(&s.app, &me.caller, EventId::from(id), changes).await?;
    Ok(Json(event_dto(&s.app, &me.caller, e).await?))
}

/// Deletes a session and its attendance (whoever created it, the social team, admins).
#[utoipa::path(delete, path = "/events/{id}", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_event(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    events::delete(&s.app, &me.caller, EventId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attend {
    /// The occurrence's local date, YYYY-MM-DD: one the session takes place on.
    pub occurrence: String,
    /// true (default): I attended or will attend; false: withdraw.
    #[serde(default)]
    pub attending: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceList {
    /// Occurrences that have attendance, by date.
    pub items: Vec<AttendanceDto>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceDto {
    pub date: String,
    pub attendance: i64,
    pub attending: bool,
}

/// Says the caller attended, or will attend, one occurrence (or withdraws with
/// `"attending": false`). Idempotent; answers the occurrence with its count.
#[utoipa::path(post, path = "/events/{id}/attendance", tag = "communication", params(("id" = Uuid, Path)),
    request_body = Attend,
    responses((status = 200, body = OccurrenceDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn attend(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<Attend>,
) -> Result<Json<OccurrenceDto>, ApiError> {
    let a = events::attend(&s.app, &me.caller, EventId::from(id), &b.occurrence, b.attending.unwrap_or(true))
        .await?;
    Ok(Json(occurrence_dto(&a)))
}

/// The attendance count of every occurrence that has any.
#[utoipa::path(get, path = "/events/{id}/attendance", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 200, body = AttendanceList), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn attendance(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AttendanceList>, ApiError> {
    let rows = events::attendance(&s.app, &me.caller, EventId::from(id)).await?;
    let items = rows
        .into_iter()
        .map(|(date, attendance, attending)| AttendanceDto { date, attendance, attending })
        .collect();
    Ok(Json(AttendanceList { items, next_cursor: None }))
}

/// The session's calendar invite: an RFC 5545 VCALENDAR with one VEVENT (its RRULE when weekly,
/// DTSTART in the session's time zone with the matching VTIMEZONE).
#[utoipa::path(get, path = "/events/{id}/invite.ics", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn invite(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let body = events::invite(&s.app, &me.caller, EventId::from(id)).await?;
    Ok(ics_response(body, id))
}

/// `text/calendar`, offered as a file named after the session.
pub fn ics_response(body: String, id: Uuid) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"session-{id}.ics\"")),
        ],
        body,
    )
        .into_response()
}
