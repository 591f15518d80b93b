//! Publishing pages: the channels and the calendar (week and month), with forms to add a
//! channel, place approved content on one, reschedule and cancel. Times in forms are UTC.

use super::{Chrome, FormError, NoticeQuery, form_errors};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error,
    publishing::{self, Channel, ChannelInput, Post, PostInput},
};
use chorus_domain::{
    Action, ChannelId, PostId, SubmissionId, authorize,
    cadence::Cadence,
    publishing::{ChannelNetwork, PostStatus},
};
use time::{
    Date, Duration, OffsetDateTime, PrimitiveDateTime, Weekday, format_description::well_known::Rfc3339,
    macros::format_description,
};

/// `YYYY-MM-DDTHH:MM` (an HTML `datetime-local`), read as UTC.
fn parse_local(s: &str) -> Option<OffsetDateTime> {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(s.trim(), &fmt).ok().map(PrimitiveDateTime::assume_utc)
}

fn local(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

fn hhmm(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn can_manage(user: &PageUser) -> bool {
    authorize(&user.me.caller.actor, Action::ManageChannels).is_ok()
}

struct ChannelRow {
    id: String,
    network: String,
    /// (field, label, input type, required) of the credentials, for the renewal form.
    fields: Vec<(&'static str, &'static str, &'static str, bool)>,
    name: String,
    status: String,
    reason: String,
    cadence: String,
}

fn channel_row(c: Channel) -> ChannelRow {
    let cadence = publishing::cadence_of(&c);
    let parsed = c.network.parse::<ChannelNetwork>().ok();
    let network = parsed.map(|n| n.label().to_owned()).unwrap_or(c.network.clone());
    let fields = parsed
        .map(|n| {
            let required = n.credential_fields().iter().map(|f| (f, true));
            let optional = n.optional_credential_fields().iter().map(|f| (f, false));
            required
                .chain(optional)
                .map(|(f, required)| {
                    let (label, kind) = credential_label(f);
                    (*f, label, kind, required)
                })
                .collect()
        })
        .unwrap_or_default();
    ChannelRow {
        id: c.id.0.to_string(),
        network,
        fields,
        name: c.name,
        status: c.status,
        reason: c.status_reason.unwrap_or_default(),
        cadence: describe(&cadence),
    }
}

fn describe(c: &Cadence) -> String {
    let mut parts = Vec::new();
    if c.min_spacing_minutes > 0 {
        parts.push(format!("at least {} min apart", c.min_spacing_minutes));
    }
    if c.max_per_day > 0 {
        parts.push(format!("at most {} a day", c.max_per_day));
    }
    if !c.times.is_empty() {
        parts.push(format!("slots {}", c.times.join(", ")));
    }
    if parts.is_empty() { "no limits".into() } else { parts.join("; ") }
}

#[derive(Template, WebTemplate)]
#[template(path = "publish/channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    channels: Vec<ChannelRow>,
    can_manage: bool,
    networks: Vec<(&'static str, &'static str)>,
    errors: Vec<FormError>,
    /// Background jobs that ran out of attempts (shown to those who may retry them).
    dead_letters: usize,
}

async fn channels_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<ChannelsPage, PageError> {
    let channels =
        publishing::channels(&s.app, &user.me.caller).await?.into_iter().map(channel_row).collect();
    Ok(ChannelsPage {
        chrome: Chrome::for_user(user, "channels").notice(notice),
        channels,
        can_manage: can_manage(user),
        networks: ChannelNetwork::ALL.into_iter().map(|n| (n.as_str(), n.label())).collect(),
        errors,
        dead_letters: if can_manage(user) {
            chorus_app::dead_letters::list(&s.app, &user.me.caller).await?.len()
        } else {
            0
        },
    })
}

pub async fn channels(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(channels_page(&s, &user, vec![], q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    base_url: String,
}

/// "Connect with Mastodon": registers Chorus on the instance and sends the person there to
/// approve it; what to finish with is kept, sealed, in a short-lived cookie.
pub async fn connect_mastodon(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<ConnectForm>,
) -> Result<Response, PageError> {
    match publishing::start_mastodon_connect(&s.app, &user.me.caller, &f.name, &f.base_url).await {
        Ok(connect) => {
            let max_age = publishing::CONNECT_MINUTES * 60;
            let cookie = crate::cookies::set(
                crate::cookies::CONNECT,
                &connect.pending,
                Some(max_age),
                "Lax",
                s.web.secure_cookies,
            );
            let mut res = Redirect::to(&connect.authorize_url).into_response();
            res.headers_mut().insert(axum::http::header::SET_COOKIE, cookie);
            Ok(res)
        }
        Err(e @ Error::Invalid(_)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, channels_page(&s, &user, form_errors(e)?, None).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ConnectCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The person is back from their instance: with a code, the account becomes a channel.
pub async fn connect_mastodon_callback(
    State(s): State<AppState>,
    user: PageUser,
    headers: axum::http::HeaderMap,
    Query(q): Query<ConnectCallback>,
) -> Result<Response, PageError> {
    let clear = crate::cookies::set(crate::cookies::CONNECT, "", Some(0), "Lax", s.web.secure_cookies);
    let pending = crate::cookies::get(&headers, crate::cookies::CONNECT).unwrap_or_default().to_owned();
    let result = match (q.code, q.state, q.error) {
        (_, _, Some(_)) | (None, _, _) | (_, None, _) => Err(Error::Conflict(
            "the instance did not give Chorus access (it was declined or cancelled)".into(),
        )),
        (Some(code), Some(state), None) => {
            publishing::finish_mastodon_connect(&s.app, &user.me.caller, &pending, &state, &code).await
        }
    };
    let mut res = match result {
        Ok(_) => Redirect::to("/channels?notice=connected").into_response(),
        Err(e @ (Error::Conflict(_) | Error::Invalid(_))) => {
            (StatusCode::CONFLICT, channels_page(&s, &user, form_errors(e)?, None).await?).into_response()
        }
        Err(Error::Gone(message)) => {
            let errors = vec![FormError { field: "request".into(), message: message.into() }];
            (StatusCode::GONE, channels_page(&s, &user, errors, None).await?).into_response()
        }
        Err(e) => return Err(e.into()),
    };
    res.headers_mut().insert(axum::http::header::SET_COOKIE, clear);
    Ok(res)
}

/// New credentials for a channel; the posts it held go out.
pub async fn renew_credentials(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<uuid::Uuid>,
    PageForm(f): PageForm<CredentialFields>,
) -> Result<Response, PageError> {
    match publishing::renew_credentials(&s.app, &user.me.caller, ChannelId::from(id), f.into_map()).await {
        Ok(_) => Ok(Redirect::to("/channels?notice=renewed").into_response()),
        Err(e @ Error::Invalid(_)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, channels_page(&s, &user, form_errors(e)?, None).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The credential inputs of the channel forms: each network uses some of them.
#[derive(serde::Deserialize, Default)]
pub struct CredentialFields {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    app_password: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    expires_at: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    token_url: String,
    #[serde(default)]
    organization_id: String,
    #[serde(default)]
    page_id: String,
}

impl CredentialFields {
    fn into_map(self) -> serde_json::Map<String, serde_json::Value> {
        [
            ("access_token", self.access_token),
            ("identifier", self.identifier),
            ("app_password", self.app_password),
            ("url", self.url),
            ("secret", self.secret),
            ("refresh_token", self.refresh_token),
            ("expires_at", self.expires_at),
            ("client_id", self.client_id),
            ("client_secret", self.client_secret),
            ("token_url", self.token_url),
            ("organization_id", self.organization_id),
            ("page_id", self.page_id),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.to_owned(), v.trim().into()))
        .collect()
    }
}

/// What a credential field is called on the forms, and how it is typed.
fn credential_label(field: &str) -> (&'static str, &'static str) {
    match field {
        "access_token" => ("Access token", "password"),
        "identifier" => ("Handle", "text"),
        "app_password" => ("App password", "password"),
        "url" => ("Webhook URL", "url"),
        "secret" => ("Signing secret", "password"),
        "refresh_token" => ("Refresh token", "password"),
        "expires_at" => ("Access token expires at (Unix seconds)", "text"),
        "client_id" => ("OAuth client ID", "text"),
        "client_secret" => ("OAuth client secret", "password"),
        "token_url" => ("Token endpoint", "url"),
        "organization_id" => ("Organization (page) ID", "text"),
        "page_id" => ("Page ID", "text"),
        _ => ("Credential", "password"),
    }
}

#[derive(serde::Deserialize)]
pub struct ChannelForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    base_url: String,
    #[serde(flatten)]
    credentials: CredentialFields,
    #[serde(default)]
    min_spacing_minutes: String,
    #[serde(default)]
    max_per_day: String,
    #[serde(default)]
    times: String,
}

pub async fn create_channel(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<ChannelForm>,
) -> Result<Response, PageError> {
    let credentials = f.credentials.into_map();
    let number = |s: &str, default: u32| s.trim().parse::<u32>().unwrap_or(default);
    let defaults = Cadence::default();
    let cadence = Cadence {
        min_spacing_minutes: number(&f.min_spacing_minutes, defaults.min_spacing_minutes),
        max_per_day: number(&f.max_per_day, defaults.max_per_day),
        times: f
            .times
            .split([',', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        ..defaults
    };
    let input = ChannelInput {
        network: f.network,
        name: f.name,
        base_url: Some(f.base_url),
        credentials,
        cadence: Some(cadence),
    };
    match publishing::create_channel(&s.app, &user.me.caller, input).await {
        Ok(_) => Ok(Redirect::to("/channels?notice=saved").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, channels_page(&s, &user, form_errors(e)?, None).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct PostRow {
    id: String,
    time: String,
    at_local: String,
    channel: String,
    title: String,
    submission_id: String,
    status: String,
    url: String,
    error: String,
    reschedulable: bool,
    cancellable: bool,
    /// Unconfirmed: a person checks the channel and confirms it is out.
    confirmable: bool,
}

fn post_row(p: Post) -> PostRow {
    let status = p.status.parse::<PostStatus>().ok();
    PostRow {
        id: p.id.0.to_string(),
        time: hhmm(p.scheduled_at),
        at_local: local(p.scheduled_at),
        channel: p.channel_name,
        title: p.submission_title,
        submission_id: p.submission_id.0.to_string(),
        status: p.status,
        url: p.external_url.unwrap_or_default(),
        error: p.last_error.unwrap_or_default(),
        reschedulable: status.is_some_and(PostStatus::reschedulable),
        cancellable: matches!(
            status,
            Some(PostStatus::Scheduled | PostStatus::Failed | PostStatus::Unconfirmed)
        ),
        confirmable: status == Some(PostStatus::Unconfirmed),
    }
}

struct Day {
    /// `YYYY-MM-DD`, for dropping a dragged post on it.
    date: String,
    label: String,
    today: bool,
    in_month: bool,
    posts: Vec<PostRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "publish/calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    month: bool,
    title: String,
    prev: String,
    next: String,
    channel: String,
    channels: Vec<(String, String)>,
    weeks: Vec<Vec<Day>>,
    can_manage: bool,
    errors: Vec<FormError>,
    suggestion: String,
}

#[derive(serde::Deserialize, Default)]
pub struct CalendarQuery {
    view: Option<String>,
    start: Option<String>,
    channel: Option<String>,
    notice: Option<String>,
}

async fn calendar_page(
    s: &AppState,
    user: &PageUser,
    q: CalendarQuery,
    errors: Vec<FormError>,
    suggestion: Option<OffsetDateTime>,
) -> Result<CalendarPage, PageError> {
    let now = s.app.now();
    let month = q.view.as_deref() == Some("month");
    let anchor = q
        .start
        .as_deref()
        .and_then(|d| Date::parse(d, &format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or(now.date());
    let (first, days) = if month {
        let first_of_month = anchor.replace_day(1).unwrap_or(anchor);
        let first =
            first_of_month - Duration::days(i64::from(first_of_month.weekday().number_days_from_monday()));
        (first, 42)
    } else {
        (anchor - Duration::days(i64::from(anchor.weekday().number_days_from_monday())), 7)
    };
    let from = first.midnight().assume_utc();
    let to = from + Duration::days(days);
    let channel = q.channel.as_deref().and_then(|c| c.parse::<uuid::Uuid>().ok()).map(ChannelId::from);
    let posts = publishing::posts_between(&s.app, &user.me.caller, channel, from, to).await?;
    let mut grid: Vec<Day> = (0..days)
        .map(|i| {
            let d = first + Duration::days(i);
            Day {
                date: d.to_string(),
                label: if month {
                    d.day().to_string()
                } else {
                    format!("{} {} {}", weekday(d.weekday()), d.day(), d.month())
                },
                today: d == now.date(),
                in_month: !month || d.month() == anchor.month(),
                posts: vec![],
            }
        })
        .collect();
    for p in posts {
        let i = (p.scheduled_at.to_offset(time::UtcOffset::UTC).date() - first).whole_days();
        if let Some(day) = usize::try_from(i).ok().and_then(|i| grid.get_mut(i)) {
            day.posts.push(post_row(p));
        }
    }
    let mut weeks = Vec::new();
    while !grid.is_empty() {
        let rest = grid.split_off(7.min(grid.len()));
        weeks.push(std::mem::replace(&mut grid, rest));
    }
    let step = |d: Date, forward: bool| -> String {
        let moved = if month {
            let (y, m) = (d.year(), d.month());
            let (y, m) = if forward {
                if m == time::Month::December { (y + 1, time::Month::January) } else { (y, m.next()) }
            } else if m == time::Month::January {
                (y - 1, time::Month::December)
            } else {
                (y, m.previous())
            };
            Date::from_calendar_date(y, m, 1).unwrap_or(d)
        } else if forward {
            d + Duration::days(7)
        } else {
            d - Duration::days(7)
        };
        moved.to_string()
    };
    let channels = publishing::channels(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|c| (c.id.0.to_string(), c.name))
        .collect();
    Ok(CalendarPage {
        chrome: Chrome::for_user(user, "calendar").notice(q.notice.as_deref()),
        month,
        title: if month {
            format!("{} {}", anchor.month(), anchor.year())
        } else {
            format!("Week of {first}")
        },
        prev: step(anchor, false),
        next: step(anchor, true),
        channel: channel.map(|c| c.0.to_string()).unwrap_or_default(),
        channels,
        weeks,
        can_manage: can_manage(user),
        errors,
        suggestion: suggestion.map(local).unwrap_or_default(),
    })
}

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

pub async fn calendar(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, PageError> {
    Ok(calendar_page(&s, &user, q, vec![], None).await?.into_response())
}

/// A refused form: the calendar again, with the reason and, for the cadence guard, the
/// suggested time.
async fn refused(s: &AppState, user: &PageUser, e: Error) -> Result<Response, PageError> {
    let (errors, suggestion) = match e {
        Error::Cadence { message, next_free } => {
            let hint = next_free
                .map(|t| format!(" The next free time is {} UTC.", local(t).replace('T', " ")))
                .unwrap_or_default();
            (
                vec![FormError { field: "time".into(), message: format!("is refused: {message}.{hint}") }],
                next_free,
            )
        }
        other => (form_errors(other)?, None),
    };
    let page = calendar_page(s, user, CalendarQuery::default(), errors, suggestion).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The scheduling form. Read as name/value pairs because the image checkboxes repeat a name.
#[derive(Default)]
pub struct SchedulePostForm {
    submission_id: String,
    channel_id: String,
    scheduled_at: String,
    text: String,
    /// The form offered image choices (so none ticked means no images).
    choose_media: bool,
    media: Vec<String>,
}

impl SchedulePostForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "submission_id" => f.submission_id = v,
                "channel_id" => f.channel_id = v,
                "scheduled_at" => f.scheduled_at = v,
                "text" => f.text = v,
                "choose_media" => f.choose_media = true,
                "media" => f.media.push(v),
                _ => {}
            }
        }
        f
    }
}

pub async fn create_post(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = SchedulePostForm::from_pairs(pairs);
    let bad = |field: &'static str| Error::from(chorus_domain::Invalid::new(field, "is missing"));
    let result = async {
        let media_ids = if f.choose_media {
            let ids: Option<Vec<uuid::Uuid>> = f.media.iter().map(|m| m.parse().ok()).collect();
            Some(ids.ok_or_else(|| bad("media"))?)
        } else {
            None
        };
        let submission_id: SubmissionId =
            f.submission_id.parse::<uuid::Uuid>().map_err(|_| bad("submission_id"))?.into();
        let channel_id: ChannelId = f.channel_id.parse::<uuid::Uuid>().map_err(|_| bad("channel"))?.into();
        let scheduled_at =
            match f.scheduled_at.trim() {
                "" => None,
                t => Some(parse_local(t).ok_or_else(|| {
                    Error::from(chorus_domain::Invalid::new("time", "is not a date and time"))
                })?),
            };
        let text = Some(f.text.trim().to_owned()).filter(|t| !t.is_empty());
        publishing::create_post(
            &s.app,
            &user.me.caller,
            PostInput { submission_id, channel_id, text, scheduled_at, media_ids },
        )
        .await
    }
    .await;
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/calendar?start={}&notice=scheduled", p.scheduled_at.date()))
            .into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::Cadence { .. })) => {
            refused(&s, &user, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct RescheduleForm {
    #[serde(default)]
    scheduled_at: String,
}

pub async fn reschedule(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<uuid::Uuid>,
    PageForm(f): PageForm<RescheduleForm>,
) -> Result<Response, PageError> {
    let result = match parse_local(&f.scheduled_at) {
        None => Err(Error::from(chorus_domain::Invalid::new("time", "is not a date and time"))),
        Some(at) => publishing::reschedule_post(&s.app, &user.me.caller, PostId::from(id), at).await,
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/calendar?start={}&notice=rescheduled", p.scheduled_at.date()))
            .into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::Cadence { .. })) => {
            refused(&s, &user, e).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn cancel(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<uuid::Uuid>,
) -> Result<Response, PageError> {
    match publishing::cancel_post(&s.app, &user.me.caller, PostId::from(id)).await {
        Ok(p) => Ok(Redirect::to(&format!("/calendar?start={}&notice=cancelled", p.scheduled_at.date()))
            .into_response()),
        Err(e @ Error::Conflict(_)) => refused(&s, &user, e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    url: String,
}

/// A person found an unconfirmed post on the network.
pub async fn confirm(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<uuid::Uuid>,
    PageForm(f): PageForm<ConfirmForm>,
) -> Result<Response, PageError> {
    match publishing::confirm_post(&s.app, &user.me.caller, PostId::from(id), Some(f.url)).await {
        Ok(p) => Ok(Redirect::to(&format!("/calendar?start={}&notice=confirmed", p.scheduled_at.date()))
            .into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => refused(&s, &user, e).await,
        Err(e) => Err(e.into()),
    }
}

struct DeadRow {
    id: String,
    what: &'static str,
    attempts: i64,
    error: String,
    failed_at: String,
    post: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "publish/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    jobs: Vec<DeadRow>,
    errors: Vec<FormError>,
}

async fn jobs_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<JobsPage, PageError> {
    let jobs = chorus_app::dead_letters::list(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|d| DeadRow {
            id: d.id.0.to_string(),
            what: d.what,
            attempts: d.attempts,
            error: d.last_error.unwrap_or_default(),
            failed_at: local(d.failed_at).replace('T', " "),
            post: d.post.map(|p| p.0.to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(JobsPage { chrome: Chrome::for_user(user, "channels").notice(notice), jobs, errors })
}

/// Dead letters: what could not be done after every retry, with "retry now".
pub async fn jobs(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(jobs_page(&s, &user, vec![], q.notice.as_deref()).await?.into_response())
}

pub async fn retry_job(
    State(s): State<AppState>,
    user: PageUser,
    Path(id): Path<uuid::Uuid>,
) -> Result<Response, PageError> {
    match chorus_app::dead_letters::retry_now(&s.app, &user.me.caller, chorus_domain::JobId::from(id)).await {
        Ok(_) => Ok(Redirect::to("/jobs?notice=retrying").into_response()),
        Err(e @ Error::Conflict(_)) => {
            let page = jobs_page(&s, &user, form_errors(e)?, None).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A channel as the scheduling form shows it: the post pre-filled and previewed.
pub struct PreviewCard {
    pub channel_id: String,
    pub channel: String,
    pub network: &'static str,
    pub text: String,
    /// "212 of 280, as X counts", or empty when the network has no limit.
    pub count: String,
}

/// One of the submission's images, to tick for a post.
pub struct ImageChoice {
    pub id: String,
    pub src: String,
    pub alt: String,
}

/// A post already placed, with what it says and carries.
pub struct PlacedPost {
    pub channel: String,
    pub status: String,
    pub at: String,
    pub url: String,
    pub text: String,
    /// Image sources it carries.
    pub images: Vec<String>,
}

/// For the submission page: a pre-filled, previewed form per channel, and the posts placed.
pub struct PublishPanel {
    pub previews: Vec<PreviewCard>,
    pub images: Vec<ImageChoice>,
    pub posts: Vec<PlacedPost>,
}

pub async fn panel(
    s: &AppState,
    user: &PageUser,
    submission: SubmissionId,
    media: &[chorus_app::media::Media],
) -> Result<PublishPanel, PageError> {
    let previews = if can_manage(user) {
        publishing::previews(&s.app, &user.me.caller, submission)
            .await?
            .into_iter()
            .map(|p| PreviewCard {
                channel_id: p.channel.id.0.to_string(),
                network: p.channel.network.parse::<ChannelNetwork>().map_or("", |n| n.label()),
                channel: p.channel.name,
                count: match (p.limit, p.counted_as) {
                    (Some(limit), Some(network)) => format!("{} of {limit}, as {network} counts", p.length),
                    _ => String::new(),
                },
                text: p.text,
            })
            .collect()
    } else {
        vec![]
    };
    let src = |m: &chorus_app::media::Media| {
        format!("/media/{}{}", m.id.0, if m.thumbnail_mime.is_some() { "?thumb=1" } else { "" })
    };
    let images: Vec<ImageChoice> = media
        .iter()
        .filter(|m| m.class == "image")
        .map(|m| ImageChoice { id: m.id.0.to_string(), src: src(m), alt: m.filename.clone() })
        .collect();
    let posts = publishing::posts_of_submission(&s.app, &user.me.caller, submission)
        .await?
        .into_iter()
        .map(|p| PlacedPost {
            images: images
                .iter()
                .filter(|i| p.media.as_ref().is_none_or(|ids| ids.iter().any(|id| id.to_string() == i.id)))
                .map(|i| i.src.clone())
                .collect(),
            channel: p.channel_name,
            status: p.status,
            at: p.scheduled_at.format(&Rfc3339).unwrap_or_default(),
            url: p.external_url.unwrap_or_default(),
            text: p.text,
        })
        .collect();
    Ok(PublishPanel { previews, images, posts })
}
