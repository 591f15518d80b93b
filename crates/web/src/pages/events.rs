//! Social sessions (SPEC §3): `/events` lists what is coming up with an "I'll be there" button
//! and an "Add to calendar" link per session; `/events/{id}` shows a session's next dates and
//! past attendance, and lets whoever runs it change it. Every form posts and redirects.

use super::{Chrome, FormError, NoticeQuery, form_errors};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chorus_app::{
    Error,
    events::{self, Event, EventChanges, Upcoming},
};
use chorus_domain::{EventId, events::EventInput};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/events", get(list).post(create))
        .route("/events/{id}", get(show).post(edit))
        .route("/events/{id}/attend", post(attend))
        .route("/events/{id}/delete", post(delete))
        .route("/events/{id}/invite.ics", get(invite))
}

/// Time zones offered in the form (any IANA name is accepted).
const ZONES: [&str; 16] = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// One occurrence as listed.
struct OccurrenceView {
    event_id: String,
    title: String,
    date: String,
    when: String,
    place: String,
    place_url: Option<String>,
    hashtag: String,
    count: i64,
    me: bool,
}

struct SessionView {
    id: String,
    title: String,
    schedule: String,
    hashtag: String,
}

/// What the person had typed, shown again when the form comes back.
struct Draft {
    title: String,
    description: String,
    place: String,
    hashtag: String,
    start_date: String,
    start_time: String,
    duration: String,
    time_zone: String,
    repeat: String,
    interval: String,
    until: String,
    count: String,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            place: String::new(),
            hashtag: String::new(),
            start_date: String::new(),
            start_time: "17:00".into(),
            duration: "60".into(),
            time_zone: "Europe/Berlin".into(),
            repeat: "weekly".into(),
            interval: "1".into(),
            until: String::new(),
            count: String::new(),
        }
    }
}

impl Draft {
    fn of(e: &Event) -> Self {
        Self {
            title: e.title.clone(),
            description: e.description.clone(),
            place: e.place.clone(),
            hashtag: e.hashtag.clone().unwrap_or_default(),
            start_date: e.start_date.clone(),
            start_time: e.start_time.clone(),
            duration: e.duration_minutes.to_string(),
            time_zone: e.time_zone.clone(),
            repeat: e.repeat.clone(),
            interval: e.interval_weeks.map(|i| i.to_string()).unwrap_or_else(|| "1".into()),
            until: e.until_date.clone().unwrap_or_default(),
            count: e.occurrence_count.map(|c| c.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct EventForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    hashtag: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    repeat: String,
    #[serde(default)]
    interval: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    count: String,
}

impl EventForm {
    fn draft(&self) -> Draft {
        Draft {
            title: self.title.clone(),
            description: self.description.clone(),
            place: self.place.clone(),
            hashtag: self.hashtag.clone(),
            start_date: self.start_date.clone(),
            start_time: self.start_time.clone(),
            duration: self.duration_minutes.clone(),
            time_zone: self.time_zone.clone(),
            repeat: self.repeat.clone(),
            interval: self.interval.clone(),
            until: self.until.clone(),
            count: self.count.clone(),
        }
    }

    /// The form as use-case input; numbers that do not parse are reported by field.
    fn input(self) -> Result<EventInput, Error> {
        let mut problems = chorus_app::Problems::default();
        let number = |field: &'static str, raw: &str| -> Result<Option<i64>, chorus_domain::Invalid> {
            match raw.trim() {
                "" => Ok(None),
                t => t
                    .parse()
                    .map(Some)
                    .map_err(|_| chorus_domain::Invalid::new(field, "must be a whole number")),
            }
        };
        let duration = problems.check(number("duration_minutes", &self.duration_minutes));
        let interval = problems.check(number("interval", &self.interval));
        let count = problems.check(number("count", &self.count));
        problems.finish()?;
        let weekly = self.repeat.trim() == "weekly";
        Ok(EventInput {
            title: self.title,
            description: self.description,
            place: self.place,
            hashtag: self.hashtag,
            start_date: self.start_date,
            start_time: self.start_time,
            duration_minutes: duration.flatten().unwrap_or(0),
            time_zone: self.time_zone,
            repeat: self.repeat,
            interval: if weekly { interval.flatten() } else { None },
            until: if weekly { Some(self.until) } else { None },
            count: if weekly { count.flatten() } else { None },
        })
    }
}

fn occurrence_view(u: &Upcoming) -> Result<OccurrenceView, Error> {
    let s = events::schedule(&u.event)?;
    Ok(OccurrenceView {
        event_id: u.event.id.to_string(),
        title: u.event.title.clone(),
        date: u.attendance.occurrence.date.to_string(),
        when: s.local_label(&u.attendance.occurrence),
        place: u.event.place.clone(),
        place_url: chorus_domain::events::place_url(&u.event.place),
        hashtag: u.event.hashtag.clone().unwrap_or_default(),
        count: u.attendance.count,
        me: u.attendance.me,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "events/list.html")]
struct ListPage {
    chrome: Chrome,
    can_create: bool,
    errors: Vec<FormError>,
    draft: Draft,
    zones: &'static [&'static str],
    upcoming: Vec<OccurrenceView>,
    sessions: Vec<SessionView>,
}

async fn list_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: Draft,
    notice: Option<&str>,
) -> Result<ListPage, PageError> {
    let caller = &user.me.caller;
    let upcoming = events::upcoming(&s.app, caller, 42, 3)
        .await?
        .iter()
        .map(occurrence_view)
        .collect::<Result<Vec<_>, Error>>()?;
    let sessions = events::list(&s.app, caller)
        .await?
        .into_iter()
        .map(|e| {
            Ok(SessionView {
                schedule: events::schedule(&e)?.describe(),
                id: e.id.to_string(),
                title: e.title,
                hashtag: e.hashtag.unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(ListPage {
        chrome: Chrome::for_user(user, "events").notice(notice),
        can_create: chorus_domain::events::may_create(&caller.actor).is_ok(),
        errors,
        draft,
        zones: &ZONES,
        upcoming,
        sessions,
    })
}

/// `GET /events`.
pub async fn list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(list_page(&s, &user, vec![], Draft::default(), q.notice.as_deref()).await?.into_response())
}

/// `POST /events`: creates a session.
pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<EventForm>,
) -> Result<Response, PageError> {
    chorus_domain::events::may_create(&user.me.caller.actor).map_err(Error::from)?;
    let draft = f.draft();
    let result = match f.input() {
        Ok(input) => events::create(&s.app, &user.me.caller, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(e) => Ok(Redirect::to(&format!("/events/{}?notice=saved", e.id)).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, list_page(&s, &user, errors, draft, None).await?)
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/show.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    title: String,
    description: String,
    place: String,
    place_url: Option<String>,
    hashtag: String,
    schedule: String,
    created_by: String,
    editable: bool,
    errors: Vec<FormError>,
    draft: Draft,
    zones: &'static [&'static str],
    upcoming: Vec<OccurrenceView>,
    /// (date, count) of past occurrences with attendance, newest first.
    past: Vec<(String, i64)>,
}

async fn show_page(
    s: &AppState,
    user: &PageUser,
    id: EventId,
    errors: Vec<FormError>,
    draft: Option<Draft>,
    notice: Option<&str>,
) -> Result<ShowPage, PageError> {
    let caller = &user.me.caller;
    let e = events::get(&s.app, caller, id).await?;
    let schedule = events::schedule(&e)?;
    let now = s.app.now();
    let upcoming = events::occurrences(&s.app, caller, &e, now, now + time::Duration::days(3650), 8)
        .await?
        .into_iter()
        .map(|a| occurrence_view(&Upcoming { event: e.clone(), attendance: a }))
        .collect::<Result<Vec<_>, Error>>()?;
    let upcoming_dates: Vec<String> = upcoming.iter().map(|o| o.date.clone()).collect();
    let mut past: Vec<(String, i64)> = events::attendance(&s.app, caller, id)
        .await?
        .into_iter()
        .filter(|(d, _, _)| !upcoming_dates.contains(d))
        .map(|(d, n, _)| (d, n))
        .collect();
    past.reverse();
    Ok(ShowPage {
        chrome: Chrome::for_user(user, "events").notice(notice),
        id: e.id.to_string(),
        editable: chorus_domain::events::may_edit(&caller.actor, e.created_by).is_ok(),
        draft: draft.unwrap_or_else(|| Draft::of(&e)),
        title: e.title,
        description: e.description,
        place_url: chorus_domain::events::place_url(&e.place),
        place: e.place,
        hashtag: e.hashtag.unwrap_or_default(),
        schedule: schedule.describe(),
        created_by: e.created_by_name.unwrap_or_default(),
        errors,
        zones: &ZONES,
        upcoming,
        past,
    })
}

/// `GET /events/{id}`.
pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(show_page(&s, &user, EventId::from(id), vec![], None, q.notice.as_deref()).await?.into_response())
}

/// `POST /events/{id}`: saves the edit form.
pub async fn edit(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<EventForm>,
) -> Result<Response, PageError> {
    let id = EventId::from(id);
    let draft = f.draft();
    let result = match f.input() {
        Ok(i) => {
            let changes = EventChanges {
                title: Some(i.title),
                description: Some(i.description),
                place: Some(i.place),
                hashtag: Some(Some(i.hashtag)),
                start_date: Some(i.start_date),
                start_time: Some(i.start_time),
                duration_minutes: Some(i.duration_minutes),
                time_zone: Some(i.time_zone),
                repeat: Some(i.repeat),
                interval: Some(i.interval),
                until: Some(i.until),
                count: Some(i.count),
            };
            events::update(&s.app, &user.me.caller, id, changes).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/events/{id}?notice=saved")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = show_page(&s, &user, id, errors, Some(draft), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct AttendForm {
    #[serde(default)]
    occurrence: String,
    /// `yes` (default) or `no`.
    #[serde(default)]
    attending: String,
    /// Where to go back to: `list` or the session page.
    #[serde(default)]
    back: String,
}

/// `POST /events/{id}/attend`.
pub async fn attend(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<AttendForm>,
) -> Result<Response, PageError> {
    let id = EventId::from(id);
    let attending = f.attending != "no";
    match events::attend(&s.app, &user.me.caller, id, &f.occurrence, attending).await {
        Ok(_) => {
            let to = if f.back == "list" {
                "/events?notice=saved".to_owned()
            } else {
                format!("/events/{id}?notice=saved")
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let page = show_page(&s, &user, id, errors, None, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /events/{id}/delete`.
pub async fn delete(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    events::delete(&s.app, &user.me.caller, EventId::from(id)).await?;
    Ok(Redirect::to("/events?notice=saved").into_response())
}

/// `GET /events/{id}/invite.ics`: "Add to calendar".
pub async fn invite(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    let body = events::invite(&s.app, &user.me.caller, EventId::from(id)).await?;
    Ok(crate::api::events::ics_response(body, id))
}
