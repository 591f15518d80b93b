//! `/api/v1/feeds` (RSS/Atom subscriptions) and `/api/v1/curation` (the inbox they fill).
//!
//! Feeds are kept by each department's leads (their department's) and by the social team and
//! admins (all, organization-wide ones included); employees get 403. The feed list is short
//! (at most 500 per organization), so it comes whole: `next_cursor` is always null. The inbox
//! pages newest first.

use super::{contrib::PROBLEM, cursor, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::{
    curation::{self, Item},
    feeds::{self, Feed, FeedChanges, FeedInput},
};
use chorus_domain::{
    CurationItemId, DepartmentId, FeedId,
    curation::ItemState,
    pagination::{Limit, Page},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct FeedDepartment {
    pub id: Uuid,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedDto {
    pub id: Uuid,
    pub url: String,
    /// The name given to it; empty when none was (then `name` is the feed's own title).
    pub title: String,
    /// What to call it: the given name, else the feed's own title, else the address.
    pub name: String,
    /// null: organization-wide (kept by the social team).
    pub department: Option<FeedDepartment>,
    /// active or paused.
    pub status: &'static str,
    pub interval_minutes: i64,
    pub last_polled_at: Option<String>,
    pub last_success_at: Option<String>,
    /// The last failure in plain words; null after a success.
    pub last_error: Option<String>,
    /// Failures in a row (each doubles the wait, up to a day).
    pub failures: i64,
    /// When the next poll is due (for a paused feed: when it was due when paused).
    pub next_poll_at: String,
    /// Whether a poll is waiting in the job queue now.
    pub polling: bool,
    /// New inbox items this feed brought, in all.
    pub items_found: i64,
    pub created_at: String,
}

pub(crate) fn feed_dto(f: Feed) -> FeedDto {
    FeedDto {
        name: f.display_name().to_owned(),
        id: f.id.0,
        url: f.url,
        title: f.title,
        department: f.department_id.map(|d| FeedDepartment { id: d.0, name: f.department_name }),
        status: f.status.as_str(),
        interval_minutes: f.interval_minutes,
        last_polled_at: f.last_polled_at.map(rfc3339),
        last_success_at: f.last_success_at.map(rfc3339),
        last_error: f.last_error,
        failures: f.failures,
        next_poll_at: rfc3339(f.next_poll_at),
        polling: f.queued_at.is_some(),
        items_found: f.items_found,
        created_at: rfc3339(f.created_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<FeedDto>,
    pub next_cursor: Option<String>,
}

/// The feeds the caller keeps, oldest first.
#[utoipa::path(get, path = "/feeds", tag = "curation",
    responses((status = 200, body = FeedList), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn list_feeds(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<FeedList>, ApiError> {
    let items = feeds::list(&s.app, &me.caller).await?.into_iter().map(feed_dto).collect();
    Ok(Json(FeedList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFeed {
    /// The feed's address (http or https).
    pub url: String,
    /// A name for it; omitted or empty: the feed's own title.
    #[serde(default)]
    pub title: Option<String>,
    /// The department whose leads keep it; omitted or null: organization-wide (the social team
    /// and admins only).
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// Minutes between polls: 15 to 10080 (default 60).
    #[serde(default)]
    pub interval_minutes: Option<i64>,
}

/// Subscribes a department (or the organization) to a feed; the first poll is queued at once.
#[utoipa::path(post, path = "/feeds", tag = "curation", request_body = CreateFeed,
    responses((status = 201, body = FeedDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_feed(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateFeed>,
) -> Result<impl IntoResponse, ApiError> {
    let input = FeedInput {
        url: b.url,
        title: b.title,
        department_id: b.department_id.map(DepartmentId::from),
        interval_minutes: b.interval_minutes,
    };
    let feed = feeds::add(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(feed_dto(feed))))
}

/// One feed with its state.
#[utoipa::path(get, path = "/feeds/{id}", tag = "curation", params(("id" = Uuid, Path)),
    responses((status = 200, body = FeedDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_feed(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<FeedDto>, ApiError> {
    Ok(Json(feed_dto(feeds::get(&s.app, &me.caller, FeedId::from(id)).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFeed {
    /// A name; empty: the feed's own title.
    #[serde(default)]
    pub title: Option<String>,
    /// active or paused. Resuming polls at the worker's next round.
    #[serde(default)]
    pub status: Option<String>,
    /// Minutes between polls: 15 to 10080.
    #[serde(default)]
    pub interval_minutes: Option<i64>,
}

/// Renames, pauses or resumes a feed, or changes how often it is polled.
#[utoipa::path(patch, path = "/feeds/{id}", tag = "curation", params(("id" = Uuid, Path)), request_body = UpdateFeed,
    responses((status = 200, body = FeedDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_feed(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateFeed>,
) -> Result<Json<FeedDto>, ApiError> {
    let paused = match b.status.as_deref() {
        None => None,
        Some(st) => Some(
            chorus_domain::curation::FeedStatus::parse(st)? == chorus_domain::curation::FeedStatus::Paused,
        ),
    };
    let changes = FeedChanges { title: b.title, paused, interval_minutes: b.interval_minutes };
    Ok(Json(feed_dto(feeds::update(&s.app, &me.caller, FeedId::from(id), changes).await?)))
}

/// Unsubscribes. The articles it brought stay in the inbox.
#[utoipa::path(delete, path = "/feeds/{id}", tag = "curation", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_feed(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    feeds::remove(&s.app, &me.caller, FeedId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a poll of the feed now (a poll already waiting is not doubled).
#[utoipa::path(post, path = "/feeds/{id}/poll", tag = "curation", params(("id" = Uuid, Path)),
    responses((status = 202, body = FeedDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn poll_feed(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    let feed = feeds::poll_now(&s.app, &me.caller, FeedId::from(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(feed_dto(feed))))
}

// ------------------------------------------------------------------------------------- curation

#[derive(Serialize, ToSchema)]
pub struct CurationItemDto {
    pub id: Uuid,
    pub title: String,
    /// The canonical URL (what de-duplicates the inbox, and the submission's link).
    pub url: String,
    /// The link as the feed first gave it.
    pub original_url: String,
    /// Plain text.
    pub summary: String,
    pub author: Option<String>,
    pub published_at: Option<String>,
    /// The feed it was first seen in.
    pub source: String,
    /// How many of the organization's feeds brought it.
    pub sources: i64,
    /// new, dismissed or submitted.
    pub state: &'static str,
    pub submission_id: Option<Uuid>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
}

pub(crate) fn item_dto(i: Item) -> CurationItemDto {
    CurationItemDto {
        id: i.id.0,
        title: i.title,
        url: i.canonical_url,
        original_url: i.url,
        summary: i.summary,
        author: i.author,
        published_at: i.published_at.map(rfc3339),
        source: i.source_title,
        sources: i.sources,
        state: i.state.as_str(),
        submission_id: i.submission_id.map(|s| s.0),
        decided_by: i.decided_by_name,
        decided_at: i.decided_at.map(rfc3339),
        created_at: rfc3339(i.created_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CurationList {
    pub items: Vec<CurationItemDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct CurationQuery {
    /// new (default), dismissed or submitted.
    state: Option<String>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
}

/// The caller's curation inbox in one state, newest first: every item for the social team and
/// admins, items from their departments' feeds for leads.
#[utoipa::path(get, path = "/curation", tag = "curation", params(CurationQuery),
    responses((status = 200, body = CurationList), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn list_curation(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<CurationQuery>,
) -> Result<Json<CurationList>, ApiError> {
    let state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => ItemState::New,
        Some(st) => ItemState::parse(st)?,
    };
    let limit = Limit::new(q.limit);
    let before = cursor::<Uuid>(&q.cursor)?.map(CurationItemId::from);
    let rows = curation::list(&s.app, &me.caller, state, before, limit).await?;
    let page = Page::from_overfetch(rows, limit, |i| i.id.0);
    Ok(Json(CurationList {
        items: page.items.into_iter().map(item_dto).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// One inbox item.
#[utoipa::path(get, path = "/curation/{id}", tag = "curation", params(("id" = Uuid, Path)),
    responses((status = 200, body = CurationItemDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_curation_item(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CurationItemDto>, ApiError> {
    Ok(Json(item_dto(curation::get(&s.app, &me.caller, CurationItemId::from(id)).await?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MakeSubmission {
    /// true: keep the submission as a draft to adapt before handing it in. Default false: it is
    /// submitted for review at once.
    #[serde(default)]
    pub draft: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionRef {
    pub id: Uuid,
    /// The submission's workflow status: lead_review or team_review when it was handed in,
    /// draft otherwise.
    pub status: &'static str,
    pub title: String,
    pub link: Option<String>,
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct Converted {
    pub item: CurationItemDto,
    pub submission: SubmissionRef,
    /// Why the submission stayed a draft although it was to be handed in (guideline findings),
    /// in plain words; null otherwise.
    pub not_submitted: Option<String>,
}

/// Turns an item into an `article` submission in one action: its title, its canonical link and a
/// body quoting the summary and crediting the source. Handed in for review unless `draft`. An
/// item becomes a submission once; a second attempt is a 409.
#[utoipa::path(post, path = "/curation/{id}/submission", tag = "curation", params(("id" = Uuid, Path)),
    request_body(content = Option<MakeSubmission>, description = "Optional; `{}` or no body submits for review."),
    responses((status = 201, body = Converted), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn make_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let options: MakeSubmission = if body.iter().all(u8::is_ascii_whitespace) {
        MakeSubmission::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::from(chorus_app::Error::BadRequest(format!("the body is not valid JSON: {e}")))
        })?
    };
    let c = curation::to_submission(&s.app, &me.caller, CurationItemId::from(id), options.draft).await?;
    let sub = &c.submission.submission;
    let out = Converted {
        submission: SubmissionRef {
            id: sub.id.0,
            status: sub.status.as_str(),
            title: sub.title.clone(),
            link: sub.link.clone(),
            body: sub.body.clone(),
        },
        item: item_dto(c.item),
        not_submitted: c.not_submitted,
    };
    Ok((StatusCode::CREATED, Json(out)))
}

/// Dismisses an item (it can still become a submission later).
#[utoipa::path(post, path = "/curation/{id}/dismiss", tag = "curation", params(("id" = Uuid, Path)),
    responses((status = 200, body = CurationItemDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn dismiss(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CurationItemDto>, ApiError> {
    Ok(Json(item_dto(curation::dismiss(&s.app, &me.caller, CurationItemId::from(id)).await?)))
}
