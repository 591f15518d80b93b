//! `/api/v1` for publishing (SPEC §6): channels, posts and the calendar feed. Credentials go in
//! and never come out.

use super::{
    contrib::{PROBLEM, parse_time},
    dto::rfc3339,
};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_app::publishing::{self, Channel, ChannelInput, Post, PostInput};
use chorus_domain::{ChannelId, PostId, SubmissionId, cadence::Cadence};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ChannelDto {
    pub id: Uuid,
    /// mastodon, bluesky, linkedin, x, facebook, webhook or blog.
    pub network: String,
    pub name: String,
    pub base_url: Option<String>,
    /// active, or needs_attention when the network refused the credentials (posts wait).
    pub status: String,
    pub status_reason: Option<String>,
    #[schema(value_type = Object)]
    pub cadence: serde_json::Value,
    pub created_at: String,
}

impl From<Channel> for ChannelDto {
    fn from(c: Channel) -> Self {
        let cadence = serde_json::to_value(publishing::cadence_of(&c)).unwrap_or_default();
        ChannelDto {
            id: c.id.0,
            network: c.network,
            name: c.name,
            base_url: c.base_url,
            status: c.status,
            status_reason: c.status_reason,
            cadence,
            created_at: rfc3339(c.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub items: Vec<ChannelDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannel {
    pub network: String,
    pub name: String,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Mastodon: `{"access_token"}`; Bluesky: `{"identifier", "app_password"}`; webhook: `{"url", "secret"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub credentials: serde_json::Map<String, serde_json::Value>,
    /// `{"min_spacing_minutes", "max_per_day", "utc_offset_minutes", "times": ["09:30"], "weekdays": [1..7]}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub cadence: Option<Cadence>,
}

/// The organization's channels (never their credentials).
#[utoipa::path(get, path = "/channels", tag = "publishing", responses((status = 200, body = ChannelList)))]
pub async fn list_channels(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<ChannelList>, ApiError> {
    let items = publishing::channels(&s.app, &me.caller).await?;
    Ok(Json(ChannelList { items: items.into_iter().map(ChannelDto::from).collect(), next_cursor: None }))
}

/// Adds a channel (social team, owners, admins). The credentials are stored sealed and never returned.
#[utoipa::path(post, path = "/channels", tag = "publishing", request_body = CreateChannel,
    responses((status = 201, body = ChannelDto), (status = 403, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_channel(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateChannel>,
) -> Result<impl IntoResponse, ApiError> {
    let input = ChannelInput {
        network: b.network,
        name: b.name,
        base_url: b.base_url,
        credentials: b.credentials,
        cadence: b.cadence,
    };
    let c = publishing::create_channel(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(ChannelDto::from(c))))
}

#[derive(Serialize, ToSchema)]
pub struct PostDto {
    pub id: Uuid,
    pub submission_id: Uuid,
    pub submission_title: String,
    pub channel_id: Uuid,
    pub channel_name: String,
    pub network: String,
    pub text: String,
    /// scheduled, publishing, published, failed, unconfirmed or cancelled.
    pub status: String,
    pub scheduled_at: String,
    pub attempts: i64,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub last_error: Option<String>,
    pub published_at: Option<String>,
    /// The images it carries; absent: every image of the submission.
    pub media_ids: Option<Vec<Uuid>>,
}

impl From<Post> for PostDto {
    fn from(p: Post) -> Self {
        PostDto {
            id: p.id.0,
            submission_id: p.submission_id.0,
            submission_title: p.submission_title,
            channel_id: p.channel_id.0,
            channel_name: p.channel_name,
            network: p.network,
            text: p.text,
            status: p.status,
            scheduled_at: rfc3339(p.scheduled_at),
            attempts: p.attempts,
            external_id: p.external_id,
            external_url: p.external_url,
            last_error: p.last_error,
            published_at: p.published_at.map(rfc3339),
            media_ids: p.media,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PostList {
    pub items: Vec<PostDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    pub submission_id: Uuid,
    pub channel_id: Uuid,
    /// The post's own text; absent: the caption, shortened to fit the network.
    #[serde(default)]
    pub text: Option<String>,
    /// RFC 3339; absent: the channel's next free slot.
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// Which of the submission's images the post carries; absent: all of them.
    #[serde(default)]
    pub media_ids: Option<Vec<Uuid>>,
}

/// Places approved content on a channel. A time that breaks the channel's cadence guard is
/// refused with 409 `cadence` and `next_free_slot`.
#[utoipa::path(post, path = "/posts", tag = "publishing", request_body = CreatePost,
    responses((status = 201, body = PostDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_post(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreatePost>,
) -> Result<impl IntoResponse, ApiError> {
    let input = PostInput {
        submission_id: SubmissionId::from(b.submission_id),
        channel_id: ChannelId::from(b.channel_id),
        text: b.text,
        media_ids: b.media_ids,
        scheduled_at: parse_time(&b.scheduled_at, "scheduled_at")?,
    };
    let p = publishing::create_post(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(PostDto::from(p))))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PostsQuery {
    /// RFC 3339; default: 7 days ago.
    from: Option<String>,
    /// RFC 3339; default: 60 days after `from`.
    to: Option<String>,
    channel_id: Option<Uuid>,
    submission_id: Option<Uuid>,
}

/// Posts in a time window (or of one submission), in time order.
#[utoipa::path(get, path = "/posts", tag = "publishing", params(PostsQuery),
    responses((status = 200, body = PostList), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn list_posts(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PostsQuery>,
) -> Result<Json<PostList>, ApiError> {
    let items = match q.submission_id {
        Some(id) => publishing::posts_of_submission(&s.app, &me.caller, SubmissionId::from(id)).await?,
        None => {
            let from = parse_time(&q.from, "from")?.unwrap_or_else(|| s.app.now() - time::Duration::days(7));
            let to = parse_time(&q.to, "to")?.unwrap_or(from + time::Duration::days(60));
            publishing::posts_between(&s.app, &me.caller, q.channel_id.map(ChannelId::from), from, to).await?
        }
    };
    Ok(Json(PostList { items: items.into_iter().map(PostDto::from).collect(), next_cursor: None }))
}

/// One post.
#[utoipa::path(get, path = "/posts/{id}", tag = "publishing", params(("id" = Uuid, Path)),
    responses((status = 200, body = PostDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_post(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PostDto>, ApiError> {
    Ok(Json(PostDto::from(publishing::post(&s.app, &me.caller, PostId::from(id)).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewCredentials {
    /// The same fields as when the channel was added.
    #[schema(value_type = Object)]
    pub credentials: serde_json::Map<String, serde_json::Value>,
}

/// Replaces a channel's credentials (a renewed token): the channel is active again and the posts
/// it held while it needed attention go out now.
#[utoipa::path(put, path = "/channels/{id}/credentials", tag = "publishing", params(("id" = Uuid, Path)),
    request_body = RenewCredentials,
    responses((status = 200, body = ChannelDto), (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn renew_credentials(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RenewCredentials>,
) -> Result<Json<ChannelDto>, ApiError> {
    let c = publishing::renew_credentials(&s.app, &me.caller, ChannelId::from(id), b.credentials).await?;
    Ok(Json(ChannelDto::from(c)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// RFC 3339.
    pub scheduled_at: String,
}

/// Moves a scheduled, failed or unconfirmed post to another time, under the cadence guard.
#[utoipa::path(post, path = "/posts/{id}/reschedule", tag = "publishing", params(("id" = Uuid, Path)),
    request_body = Reschedule,
    responses((status = 200, body = PostDto), (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn reschedule_post(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<Reschedule>,
) -> Result<Json<PostDto>, ApiError> {
    let at = parse_time(&Some(b.scheduled_at), "scheduled_at")?.ok_or_else(|| {
        ApiError::from(chorus_app::Error::from(chorus_domain::Invalid::new("scheduled_at", "is required")))
    })?;
    Ok(Json(PostDto::from(publishing::reschedule_post(&s.app, &me.caller, PostId::from(id), at).await?)))
}

/// Takes a post off the calendar.
#[utoipa::path(post, path = "/posts/{id}/cancel", tag = "publishing", params(("id" = Uuid, Path)),
    responses((status = 200, body = PostDto), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn cancel_post(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PostDto>, ApiError> {
    Ok(Json(PostDto::from(publishing::cancel_post(&s.app, &me.caller, PostId::from(id)).await?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// Where the post is on the network, if the person found it.
    #[serde(default)]
    pub url: Option<String>,
}

/// A person found an unconfirmed post on the network: it is recorded as published.
#[utoipa::path(post, path = "/posts/{id}/confirm", tag = "publishing", params(("id" = Uuid, Path)),
    request_body = Confirm,
    responses((status = 200, body = PostDto), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn confirm_post(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<Confirm>,
) -> Result<Json<PostDto>, ApiError> {
    Ok(Json(PostDto::from(publishing::confirm_post(&s.app, &me.caller, PostId::from(id), b.url).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetterDto {
    pub id: Uuid,
    /// publish_post, send_email, fetch_link_preview, …
    pub kind: String,
    /// The kind in words.
    pub what: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub failed_at: String,
    /// For a publish job: its post.
    pub post_id: Option<Uuid>,
}

impl From<chorus_app::dead_letters::DeadLetter> for DeadLetterDto {
    fn from(d: chorus_app::dead_letters::DeadLetter) -> Self {
        DeadLetterDto {
            id: d.id.0,
            kind: d.kind,
            what: d.what.to_owned(),
            attempts: d.attempts,
            last_error: d.last_error,
            failed_at: rfc3339(d.failed_at),
            post_id: d.post.map(|p| p.0),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeadLetterList {
    pub items: Vec<DeadLetterDto>,
}

/// Background jobs that used every attempt (social team, owners, admins), most recent first.
#[utoipa::path(get, path = "/jobs/dead", tag = "publishing",
    responses((status = 200, body = DeadLetterList), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn dead_letters(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<DeadLetterList>, ApiError> {
    let items = chorus_app::dead_letters::list(&s.app, &me.caller).await?;
    Ok(Json(DeadLetterList { items: items.into_iter().map(DeadLetterDto::from).collect() }))
}

/// Runs a dead job again now, with a fresh set of attempts (a failed post goes back on the calendar).
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "publishing", params(("id" = Uuid, Path)),
    responses((status = 200, body = DeadLetterDto), (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn retry_job(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DeadLetterDto>, ApiError> {
    let d = chorus_app::dead_letters::retry_now(&s.app, &me.caller, chorus_domain::JobId::from(id)).await?;
    Ok(Json(DeadLetterDto::from(d)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct CalendarQuery {
    /// One channel; absent: all.
    channel_id: Option<Uuid>,
}

/// The posting calendar as iCalendar (RFC 5545): scheduled and published posts from 30 days ago
/// to a year ahead, one event per post.
#[utoipa::path(get, path = "/calendar.ics", tag = "publishing", params(CalendarQuery),
    responses((status = 200, content_type = "text/calendar", body = String)))]
pub async fn calendar_ics(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<Response, ApiError> {
    let now = s.app.now();
    let posts = publishing::posts_between(
        &s.app,
        &me.caller,
        q.channel_id.map(ChannelId::from),
        now - time::Duration::days(30),
        now + time::Duration::days(366),
    )
    .await?;
    let body = ics(&posts, &s.app.config.base_url, now);
    Ok(([(header::CONTENT_TYPE, "text/calendar; charset=utf-8")], body).into_response())
}

/// RFC 5545 text: CRLF line ends, lines folded at 75 octets, text values escaped (the writer
/// in `chorus_domain::ical`, shared with the social sessions' invites).
fn ics(posts: &[Post], base_url: &str, now: time::OffsetDateTime) -> String {
    let stamp = |t: time::OffsetDateTime| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Chorus//Publishing calendar//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
    ];
    for p in posts.iter().filter(|p| p.status != "cancelled") {
        let host = base_url.split("://").nth(1).unwrap_or("chorus").split('/').next().unwrap_or("chorus");
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:post-{}@{host}", p.id.0));
        lines.push(format!("DTSTAMP:{}", stamp(now)));
        lines.push(format!("DTSTART:{}", stamp(p.scheduled_at)));
        lines.push(format!("DTEND:{}", stamp(p.scheduled_at + time::Duration::minutes(15))));
        lines.push(format!(
            "SUMMARY:{}",
            escape(&format!("{} · {} ({})", p.channel_name, p.submission_title, p.status))
        ));
        lines.push(format!("DESCRIPTION:{}", escape(&p.text)));
        if let Some(url) = &p.external_url {
            lines.push(format!("URL:{}", escape(url)));
        }
        lines.push(format!("STATUS:{}", if p.status == "published" { "CONFIRMED" } else { "TENTATIVE" }));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    lines.iter().map(|l| ical::fold(l)).collect::<Vec<_>>().join("")
}

use chorus_domain::ical::{self, escape};
