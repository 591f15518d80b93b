//! `/api/v1` for contribution and review (SPEC §6): media, submissions and their workflow, the
//! review queue, the library, the idea board, guidelines, campaigns, notifications.

use super::{
    PageQuery, cursor,
    dto::{present, rfc3339},
};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{
    Json,
    body::Bytes,
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chorus_app::{
    Error, campaigns, guidelines, media, notify,
    submissions::{self, Detail, Filter, IdeaOrder, Input, Submission},
};
use chorus_domain::{
    CampaignId, DepartmentId, MediaId, NotificationId, PillarId, RuleId, SubmissionId, UserId,
    guidelines::{Network, Rule},
    pagination::{Cursor, Limit, Page},
    submission::{Decision, Kind, Status, Step},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub(super) const PROBLEM: &str = "application/problem+json";

pub(super) fn parse_time(
    raw: &Option<String>,
    field: &'static str,
) -> Result<Option<time::OffsetDateTime>, ApiError> {
    match raw.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(Some)
            .map_err(|_| chorus_domain::Invalid::new(field, "must be an RFC 3339 time").into()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Named {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MediaDto {
    pub id: Uuid,
    /// Decided from the content, not from the name or declared type.
    pub content_type: String,
    pub bytes: i64,
    /// image, video, audio or pdf.
    pub class: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub filename: String,
    pub sha256: String,
    /// The file (API, bearer token).
    pub url: String,
    pub thumbnail_url: Option<String>,
    pub created_at: String,
}

impl From<media::Media> for MediaDto {
    fn from(m: media::Media) -> Self {
        let id = m.id.0;
        MediaDto {
            id,
            content_type: m.mime,
            bytes: m.bytes,
            class: m.class,
            width: m.width,
            height: m.height,
            filename: m.filename,
            sha256: m.sha256,
            url: format!("/api/v1/media/{id}/content"),
            thumbnail_url: m.thumbnail_mime.map(|_| format!("/api/v1/media/{id}/content?thumbnail=true")),
            created_at: rfc3339(m.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionDto {
    pub id: Uuid,
    /// photo, video, article, blog_post, podcast, infographic or idea.
    pub kind: String,
    /// draft, lead_review, team_review, changes_requested, approved, rejected, scheduled,
    /// published or archived.
    pub status: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub tags: Vec<String>,
    pub channels: Vec<String>,
    pub campaign: Option<Named>,
    pub author: Named,
    pub department: Option<Named>,
    /// Send it back as `version` to refuse a write if someone changed it meanwhile.
    pub version: i64,
    pub revision: i64,
    pub vote_count: i64,
    pub comment_count: i64,
    /// The link's preview (`state`: ready or failed), once the background job fetched it.
    #[schema(value_type = Option<Object>)]
    pub preview: Option<serde_json::Value>,
    pub promoted_from: Option<Uuid>,
    pub created_at: String,
    pub updated_at: String,
    /// When it entered the review stage it waits in.
    pub queued_at: Option<String>,
    /// How long it has waited for review, in seconds (review stages only).
    pub waiting_seconds: Option<i64>,
    pub approved_at: Option<String>,
    /// Present on single-submission answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<MediaDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<Named>>,
    /// What the caller can do now: submit, approve, request_changes, reject, withdraw, archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_steps: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_edit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
}

pub fn submission_dto(s: Submission, now: time::OffsetDateTime) -> SubmissionDto {
    SubmissionDto {
        id: s.id.0,
        kind: s.kind.as_str().to_owned(),
        status: s.status.as_str().to_owned(),
        title: s.title,
        body: s.body,
        link: s.link,
        tags: s.tags,
        channels: s.channels,
        campaign: s.campaign_id.zip(s.campaign_name).map(|(id, name)| Named { id: id.0, name }),
        author: Named { id: s.author_id.0, name: s.author_name },
        department: s.department_id.zip(s.department_name).map(|(id, name)| Named { id: id.0, name }),
        version: s.version,
        revision: s.revision,
        vote_count: s.vote_count,
        comment_count: s.comment_count,
        preview: s.preview.and_then(|p| serde_json::from_str(&p).ok()),
        promoted_from: s.promoted_from.map(|p| p.0),
        created_at: rfc3339(s.created_at),
        updated_at: rfc3339(s.updated_at),
        waiting_seconds: s
            .queued_at
            .filter(|_| s.status.in_review())
            .map(|q| (now - q).whole_seconds().max(0)),
        queued_at: s.queued_at.map(rfc3339),
        approved_at: s.approved_at.map(rfc3339),
        media: None,
        authors: None,
        allowed_steps: None,
        can_edit: None,
        voted: None,
    }
}

fn detail_dto(d: Detail, now: time::OffsetDateTime) -> SubmissionDto {
    let mut dto = submission_dto(d.submission, now);
    dto.media = Some(d.media.into_iter().map(MediaDto::from).collect());
    dto.authors = Some(d.authors.into_iter().map(|a| Named { id: a.user_id.0, name: a.name }).collect());
    dto.allowed_steps = Some(d.steps.into_iter().map(str::to_owned).collect());
    dto.can_edit = Some(d.can_edit);
    dto.voted = Some(d.voted);
    dto
}

/// The submission as JSON, for a 409 that shows the current version.
pub fn current_json(s: &Submission) -> serde_json::Value {
    // No clock here: the waiting time is left out rather than computed against the wrong one.
    let mut dto = submission_dto(s.clone(), time::OffsetDateTime::UNIX_EPOCH);
    dto.waiting_seconds = None;
    serde_json::to_value(dto).unwrap_or_default()
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionList {
    pub items: Vec<SubmissionDto>,
    pub next_cursor: Option<String>,
}

fn list(
    rows: Vec<Submission>,
    limit: Limit,
    key: impl Fn(&Submission) -> i64,
    now: time::OffsetDateTime,
) -> SubmissionList {
    let page = Page::from_overfetch(rows, limit, |s| Cursor { key: key(s), id: s.id.0 });
    SubmissionList {
        items: page.items.into_iter().map(|s| submission_dto(s, now)).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }
}

fn ms(t: Option<time::OffsetDateTime>) -> i64 {
    t.map_or(0, chorus_domain::clock::to_millis)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubmission {
    /// photo, video, article, blog_post, podcast, infographic or idea.
    pub kind: String,
    /// May be empty: the caption's first line is used.
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub media_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Suggested channels: x, bluesky, mastodon, linkedin, facebook, threads, blog.
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub campaign_id: Option<Uuid>,
    #[serde(default)]
    pub coauthor_ids: Option<Vec<Uuid>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubmission {
    /// The version this edit is based on; refused with 409 (and the current version) if it is old.
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub media_ids: Option<Vec<Uuid>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub campaign_id: Option<Option<Uuid>>,
    #[serde(default)]
    pub coauthor_ids: Option<Vec<Uuid>>,
}

fn ids<T: From<Uuid>>(v: Option<Vec<Uuid>>) -> Option<Vec<T>> {
    v.map(|v| v.into_iter().map(T::from).collect())
}

/// Uploads a file (multipart, field `file`). Its type is decided from its content.
#[utoipa::path(post, path = "/media", tag = "contribution",
    request_body(content_type = "multipart/form-data", description = "The file in the field `file`."),
    responses((status = 201, body = MediaDto), (status = 413, body = Problem, content_type = PROBLEM),
        (status = 415, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn upload_media(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let mut multipart = multipart.map_err(|_| {
        Error::from(chorus_domain::Invalid::new(
            "file",
            "send the file as multipart/form-data in the field `file`",
        ))
    })?;
    let (file, name) = crate::upload::spool_file_field(&s.app, &mut multipart).await?;
    let m = media::upload_file(&s.app, &me.caller, file, name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(MediaDto::from(m))))
}

/// One upload's description.
#[utoipa::path(get, path = "/media/{id}", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 200, body = MediaDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_media(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<MediaId>,
) -> Result<Json<MediaDto>, ApiError> {
    Ok(Json(media::get(&s.app, &me.caller, id).await?.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ContentQuery {
    /// The thumbnail instead of the file (images only).
    thumbnail: Option<bool>,
}

/// One upload's bytes.
#[utoipa::path(get, path = "/media/{id}/content", tag = "contribution", params(("id" = Uuid, Path), ContentQuery),
    responses((status = 200, description = "The file"), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn media_content(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<MediaId>,
    ApiQuery(q): ApiQuery<ContentQuery>,
) -> Result<Response, ApiError> {
    let content = media::content(&s.app, &me.caller, id, q.thumbnail.unwrap_or(false)).await?;
    Ok(crate::upload::download(content))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MineQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    /// Only this status.
    status: Option<String>,
}

/// The caller's own submissions and those they co-write, most recently changed first.
#[utoipa::path(get, path = "/submissions", tag = "contribution", params(MineQuery),
    responses((status = 200, body = SubmissionList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_submissions(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<MineQuery>,
) -> Result<Json<SubmissionList>, ApiError> {
    let limit = Limit::new(q.limit);
    let status: Option<Status> = q.status.as_deref().filter(|s| !s.is_empty()).map(str::parse).transpose()?;
    let rows = submissions::mine(&s.app, &me.caller, status, cursor(&q.cursor)?, limit).await?;
    Ok(Json(list(rows, limit, |s| chorus_domain::clock::to_millis(s.updated_at), s.app.now())))
}

/// Starts a draft.
#[utoipa::path(post, path = "/submissions", tag = "contribution", request_body = CreateSubmission,
    responses((status = 201, body = SubmissionDto), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateSubmission>,
) -> Result<impl IntoResponse, ApiError> {
    let input = Input {
        kind: Some(b.kind),
        title: b.title,
        body: b.body,
        link: b.link,
        tags: b.tags,
        channels: b.channels,
        campaign_id: Some(b.campaign_id.map(CampaignId::from)),
        media_ids: ids(b.media_ids),
        coauthor_ids: ids(b.coauthor_ids),
    };
    let d = submissions::create(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(detail_dto(d, s.app.now()))))
}

/// One submission, with its media, authors and what the caller can do with it.
#[utoipa::path(get, path = "/submissions/{id}", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 200, body = SubmissionDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<SubmissionDto>, ApiError> {
    Ok(Json(detail_dto(submissions::get(&s.app, &me.caller, id).await?, s.app.now())))
}

/// Edits a submission; each change of text is a new revision. Absent fields stay.
#[utoipa::path(patch, path = "/submissions/{id}", tag = "contribution", params(("id" = Uuid, Path)), request_body = UpdateSubmission,
    responses((status = 200, body = SubmissionDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM, description = "Changed meanwhile: `current` holds the current version"),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(b): ApiJson<UpdateSubmission>,
) -> Result<Json<SubmissionDto>, ApiError> {
    let input = Input {
        kind: None,
        title: b.title,
        body: b.body,
        link: b.link,
        tags: b.tags,
        channels: b.channels,
        campaign_id: b.campaign_id.map(|c| c.map(CampaignId::from)),
        media_ids: ids(b.media_ids),
        coauthor_ids: ids(b.coauthor_ids),
    };
    let d = submissions::update(&s.app, &me.caller, id, b.version, input).await?;
    Ok(Json(detail_dto(d, s.app.now())))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    #[serde(default)]
    pub version: Option<i64>,
}

/// An optional JSON body: empty means the defaults.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        crate::error::ApiError(Box::new(crate::error::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("the body is not valid: {e}"),
            vec![],
        )))
    })
}

/// Hands the submission in for review (to the department lead, or straight to the social team).
#[utoipa::path(post, path = "/submissions/{id}/submit", tag = "contribution", params(("id" = Uuid, Path)),
    request_body(content = Option<SubmitBody>, description = "Optional: the version it is based on"),
    responses((status = 200, body = SubmissionDto), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM, description = "Incomplete, or a `block` guideline")))]
pub async fn submit_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    body: Bytes,
) -> Result<Json<SubmissionDto>, ApiError> {
    let b: SubmitBody = optional_json(&body)?;
    let d = submissions::step(&s.app, &me.caller, id, Step::Submit, "", b.version).await?;
    Ok(Json(detail_dto(d, s.app.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// approve, request_changes or reject (also: withdraw, archive).
    pub decision: String,
    /// Required to request changes or reject.
    #[serde(default)]
    pub comment: String,
    /// The version the reviewer saw; refused with 409 if it changed since.
    #[serde(default)]
    pub version: Option<i64>,
}

fn parse_step(s: &str) -> Result<Step, ApiError> {
    match s.parse::<Step>()? {
        Step::Submit => Err(chorus_domain::Invalid::new("decision", "hand it in with POST …/submit").into()),
        step => Ok(step),
    }
}

/// A reviewer's decision.
#[utoipa::path(post, path = "/submissions/{id}/decision", tag = "contribution", params(("id" = Uuid, Path)), request_body = DecisionBody,
    responses((status = 200, body = SubmissionDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM, description = "Not allowed from the current status, or changed meanwhile"),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn decide_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<SubmissionDto>, ApiError> {
    let step = parse_step(&b.decision)?;
    let d = submissions::step(&s.app, &me.caller, id, step, &b.comment, b.version).await?;
    Ok(Json(detail_dto(d, s.app.now())))
}

#[derive(Serialize, ToSchema)]
pub struct RevisionDto {
    pub number: i64,
    pub editor: Option<Named>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub note: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TransitionDto {
    pub step: String,
    pub from: String,
    pub to: String,
    pub actor: Option<Named>,
    pub comment: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryDto {
    pub revisions: Vec<RevisionDto>,
    pub transitions: Vec<TransitionDto>,
}

/// Every revision and every workflow step of a submission.
#[utoipa::path(get, path = "/submissions/{id}/history", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 200, body = HistoryDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn submission_history(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<HistoryDto>, ApiError> {
    let revisions = submissions::revisions(&s.app, &me.caller, id).await?;
    let transitions = submissions::transitions(&s.app, &me.caller, id).await?;
    Ok(Json(HistoryDto {
        revisions: revisions
            .into_iter()
            .map(|r| RevisionDto {
                number: r.number,
                editor: r.editor_id.zip(r.editor_name).map(|(id, name)| Named { id: id.0, name }),
                title: r.title,
                body: r.body,
                link: r.link,
                note: r.note,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
        transitions: transitions
            .into_iter()
            .map(|t| TransitionDto {
                step: t.step,
                from: t.from.as_str().to_owned(),
                to: t.to.as_str().to_owned(),
                actor: t.actor_id.zip(t.actor_name).map(|(id, name)| Named { id: id.0, name }),
                comment: t.comment,
                at: rfc3339(t.at),
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DiffQuery {
    from: i64,
    to: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeDto {
    /// same, added or removed.
    pub op: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct DiffDto {
    pub from: i64,
    pub to: i64,
    pub title: Vec<ChangeDto>,
    pub body: Vec<ChangeDto>,
}

/// The word-level difference between two revisions.
#[utoipa::path(get, path = "/submissions/{id}/diff", tag = "contribution", params(("id" = Uuid, Path), DiffQuery),
    responses((status = 200, body = DiffDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn submission_diff(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<DiffDto>, ApiError> {
    let d = submissions::diff(&s.app, &me.caller, id, q.from, q.to).await?;
    let changes = |v: Vec<chorus_domain::submission::content::Change>| {
        v.into_iter().map(|c| ChangeDto { op: c.op.to_owned(), text: c.text }).collect()
    };
    Ok(Json(DiffDto { from: d.from.number, to: d.to.number, title: changes(d.title), body: changes(d.body) }))
}

#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    pub id: Uuid,
    pub author: Named,
    pub body: String,
    pub created_at: String,
}

impl From<submissions::Comment> for CommentDto {
    fn from(c: submissions::Comment) -> Self {
        CommentDto {
            id: c.id.0,
            author: Named { id: c.author_id.0, name: c.author_name },
            body: c.body,
            created_at: rfc3339(c.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommentList {
    pub items: Vec<CommentDto>,
    pub next_cursor: Option<String>,
}

/// The discussion of a submission, oldest first.
#[utoipa::path(get, path = "/submissions/{id}/comments", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 200, body = CommentList), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn list_comments(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<CommentList>, ApiError> {
    let items = submissions::comments(&s.app, &me.caller, id).await?;
    Ok(Json(CommentList { items: items.into_iter().map(CommentDto::from).collect(), next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Markdown; `@jane.doe` (an e-mail's local part) or `@jane@example.com` mentions a person.
    pub body: String,
}

/// Adds a comment; mentioned people are notified.
#[utoipa::path(post, path = "/submissions/{id}/comments", tag = "contribution", params(("id" = Uuid, Path)), request_body = CommentBody,
    responses((status = 201, body = CommentDto), (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_comment(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(b): ApiJson<CommentBody>,
) -> Result<impl IntoResponse, ApiError> {
    let c = submissions::comment(&s.app, &me.caller, id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(CommentDto::from(c))))
}

#[derive(Serialize, ToSchema)]
pub struct VoteDto {
    pub vote_count: i64,
    /// False when the caller had already voted (a vote counts once).
    pub counted: bool,
}

/// Votes for an idea, once per person.
#[utoipa::path(post, path = "/submissions/{id}/votes", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 201, body = VoteDto), (status = 200, body = VoteDto, description = "Already voted"),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn vote(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<impl IntoResponse, ApiError> {
    let (vote_count, counted) = submissions::vote(&s.app, &me.caller, id).await?;
    let status = if counted { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(VoteDto { vote_count, counted })))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PromoteBody {
    #[serde(default)]
    pub coauthor_ids: Vec<Uuid>,
}

/// Turns an idea into a blog-post draft to co-write.
#[utoipa::path(post, path = "/submissions/{id}/promote", tag = "contribution", params(("id" = Uuid, Path)),
    request_body(content = Option<PromoteBody>, description = "Optional: co-authors"),
    responses((status = 201, body = SubmissionDto), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn promote(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let b: PromoteBody = optional_json(&body)?;
    let co: Vec<UserId> = b.coauthor_ids.into_iter().map(UserId::from).collect();
    let d = submissions::promote(&s.app, &me.caller, id, &co).await?;
    Ok((StatusCode::CREATED, Json(detail_dto(d, s.app.now()))))
}

#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct FilterQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    department_id: Option<Uuid>,
    kind: Option<String>,
    campaign_id: Option<Uuid>,
    tag: Option<String>,
    /// Review queue: waiting at least this many hours.
    min_age_hours: Option<i64>,
    /// Library: approved at or after (RFC 3339).
    from: Option<String>,
    /// Library: approved at or before (RFC 3339).
    to: Option<String>,
    /// Library: words that must all appear (title, caption, tags).
    q: Option<String>,
}

pub fn filter_of(q: &FilterQuery) -> Result<Filter, ApiError> {
    let kind: Option<Kind> = q.kind.as_deref().filter(|k| !k.is_empty()).map(str::parse).transpose()?;
    Ok(Filter {
        department: q.department_id.map(DepartmentId::from),
        kind,
        campaign: q.campaign_id.map(CampaignId::from),
        tag: q
            .tag
            .as_deref()
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty()),
        since: parse_time(&q.from, "from")?,
        until: parse_time(&q.to, "to")?,
    })
}

/// What waits for the caller's review, oldest first: the social team's stage for the team, the
/// department-lead stage for leads.
#[utoipa::path(get, path = "/review-queue", tag = "contribution", params(FilterQuery),
    responses((status = 200, body = SubmissionList), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn review_queue(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Json<SubmissionList>, ApiError> {
    let limit = Limit::new(q.limit);
    let mut filter = filter_of(&q)?;
    filter.since = None;
    filter.until = match q.min_age_hours {
        Some(h) if h > 0 => Some(s.app.now() - time::Duration::hours(h.min(24 * 365))),
        _ => None,
    };
    let rows = submissions::review_queue(&s.app, &me.caller, &filter, cursor(&q.cursor)?, limit).await?;
    Ok(Json(list(rows, limit, |s| ms(s.queued_at), s.app.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecision {
    pub ids: Vec<Uuid>,
    /// approve, request_changes or reject.
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct BulkItem {
    pub id: Uuid,
    /// The new status, when decided.
    pub status: Option<String>,
    /// Why not, when refused.
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    pub items: Vec<BulkItem>,
}

/// One decision and comment for many items; each is decided (or refused) on its own.
#[utoipa::path(post, path = "/review-queue/decisions", tag = "contribution", request_body = BulkDecision,
    responses((status = 200, body = BulkResult), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn bulk_decide(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<BulkDecision>,
) -> Result<Json<BulkResult>, ApiError> {
    let decision: Decision = b.decision.parse()?;
    let ids: Vec<SubmissionId> = b.ids.into_iter().map(SubmissionId::from).collect();
    let out = submissions::decide_many(&s.app, &me.caller, &ids, decision, &b.comment).await?;
    Ok(Json(BulkResult {
        items: out
            .into_iter()
            .map(|o| match o.result {
                Ok(st) => BulkItem { id: o.id.0, status: Some(st.as_str().to_owned()), error: None },
                Err(e) => BulkItem { id: o.id.0, status: None, error: Some(e) },
            })
            .collect(),
    }))
}

/// Approved content, newest approval first; `q` searches title, caption and tags.
#[utoipa::path(get, path = "/library", tag = "contribution", params(FilterQuery),
    responses((status = 200, body = SubmissionList), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn library(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<FilterQuery>,
) -> Result<Json<SubmissionList>, ApiError> {
    let limit = Limit::new(q.limit);
    let filter = filter_of(&q)?;
    let rows =
        submissions::library(&s.app, &me.caller, q.q.as_deref(), &filter, cursor(&q.cursor)?, limit).await?;
    Ok(Json(list(rows, limit, |s| s.library_seq.unwrap_or(0), s.app.now())))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct IdeasQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    /// votes (default) or recent.
    sort: Option<String>,
}

/// The idea board: ideas by votes (or most recent first).
#[utoipa::path(get, path = "/ideas", tag = "contribution", params(IdeasQuery),
    responses((status = 200, body = SubmissionList)))]
pub async fn ideas(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<IdeasQuery>,
) -> Result<Json<SubmissionList>, ApiError> {
    let limit = Limit::new(q.limit);
    let order = match q.sort.as_deref() {
        None | Some("" | "votes") => IdeaOrder::Votes,
        Some("recent") => IdeaOrder::Recent,
        Some(_) => return Err(chorus_domain::Invalid::new("sort", "must be votes or recent").into()),
    };
    let rows = submissions::ideas(&s.app, &me.caller, order, cursor(&q.cursor)?, limit).await?;
    let key = move |s: &Submission| match order {
        IdeaOrder::Votes => s.vote_count,
        IdeaOrder::Recent => chorus_domain::clock::to_millis(s.created_at),
    };
    Ok(Json(list(rows, limit, key, s.app.now())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    pub text: String,
    /// x, bluesky, mastodon, linkedin, facebook, threads.
    #[serde(default)]
    pub networks: Vec<String>,
    /// The submission kind, for rules scoped to kinds.
    #[serde(default)]
    pub kind: Option<String>,
}

/// Runs the brand-guideline engine on a text: each network's length as that network counts it,
/// and the findings of the organization's rules.
#[utoipa::path(post, path = "/guidelines/check", tag = "guidelines", request_body = CheckBody,
    responses((status = 200, description = "`{networks: {x: {length, limit, fits}}, findings: [{rule, severity, message}]}`",
        body = Object), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn check_guidelines(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CheckBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let networks: Vec<Network> = b.networks.iter().map(|n| n.parse()).collect::<Result<_, _>>()?;
    let kind: Option<Kind> = b.kind.as_deref().filter(|k| !k.is_empty()).map(str::parse).transpose()?;
    let report = guidelines::check(&s.app, &me.caller, &b.text, &networks, kind).await?;
    Ok(Json(serde_json::to_value(report).map_err(|e| Error::Internal(e.into()))?))
}

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub id: Uuid,
    pub enabled: bool,
    /// `{name, severity, message, kind: {type, …}, scope: {kinds, networks}}`.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

fn rule_dto(r: guidelines::StoredRule) -> RuleDto {
    RuleDto { id: r.id.0, enabled: r.enabled, rule: serde_json::to_value(&r.rule).unwrap_or_default() }
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleDto>,
    pub next_cursor: Option<String>,
}

/// The organization's guideline rules, in order.
#[utoipa::path(get, path = "/guidelines/rules", tag = "guidelines", responses((status = 200, body = RuleList)))]
pub async fn list_rules(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<RuleList>, ApiError> {
    let items = guidelines::list(&s.app, &me.caller).await?;
    Ok(Json(RuleList { items: items.into_iter().map(rule_dto).collect(), next_cursor: None }))
}

fn parse_rule(v: serde_json::Value) -> Result<Rule, ApiError> {
    serde_json::from_value(v).map_err(|e| chorus_domain::Invalid::new("rule", e.to_string()).into())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Adds a rule (social team, owners, admins).
#[utoipa::path(post, path = "/guidelines/rules", tag = "guidelines", request_body = RuleBody,
    responses((status = 201, body = RuleDto), (status = 403, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<impl IntoResponse, ApiError> {
    let r = guidelines::create(&s.app, &me.caller, parse_rule(b.rule)?).await?;
    Ok((StatusCode::CREATED, Json(rule_dto(r))))
}

/// Replaces a rule, or switches it on or off.
#[utoipa::path(put, path = "/guidelines/rules/{id}", tag = "guidelines", params(("id" = Uuid, Path)), request_body = RuleBody,
    responses((status = 200, body = RuleDto), (status = 403, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn update_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<RuleId>,
    ApiJson(b): ApiJson<RuleBody>,
) -> Result<Json<RuleDto>, ApiError> {
    let r =
        guidelines::update(&s.app, &me.caller, id, parse_rule(b.rule)?, b.enabled.unwrap_or(true)).await?;
    Ok(Json(rule_dto(r)))
}

/// Removes a rule.
#[utoipa::path(delete, path = "/guidelines/rules/{id}", tag = "guidelines", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<RuleId>,
) -> Result<StatusCode, ApiError> {
    guidelines::delete(&s.app, &me.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct CampaignDto {
    pub id: Uuid,
    pub name: String,
    pub goal: String,
    /// The messaging goal (content pillar) it serves.
    pub pillar: Option<Named>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub budget_cents: Option<i64>,
    pub channels: Vec<String>,
}

impl From<campaigns::Campaign> for CampaignDto {
    fn from(c: campaigns::Campaign) -> Self {
        CampaignDto {
            id: c.id.0,
            name: c.name,
            goal: c.goal,
            pillar: c.pillar_id.zip(c.pillar_name).map(|(id, name)| Named { id: id.0, name }),
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            budget_cents: c.budget_cents,
            channels: c.channels,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<CampaignDto>,
    pub next_cursor: Option<String>,
}

/// Campaigns.
#[utoipa::path(get, path = "/campaigns", tag = "guidelines", responses((status = 200, body = CampaignList)))]
pub async fn list_campaigns(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<CampaignList>, ApiError> {
    let items = campaigns::campaigns(&s.app, &me.caller).await?;
    Ok(Json(CampaignList { items: items.into_iter().map(CampaignDto::from).collect(), next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    pub name: String,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub pillar_id: Option<Uuid>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub starts_on: Option<String>,
    #[serde(default)]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub budget_cents: Option<i64>,
    #[serde(default)]
    pub channels: Vec<String>,
}

/// Defines a campaign (social team, owners, admins).
#[utoipa::path(post, path = "/campaigns", tag = "guidelines", request_body = CreateCampaign,
    responses((status = 201, body = CampaignDto), (status = 403, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_campaign(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateCampaign>,
) -> Result<impl IntoResponse, ApiError> {
    let input = campaigns::CampaignInput {
        name: b.name,
        goal: b.goal,
        pillar_id: b.pillar_id.map(PillarId::from),
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        budget_cents: b.budget_cents,
        channels: b.channels,
    };
    let c = campaigns::create_campaign(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(CampaignDto::from(c))))
}

#[derive(Serialize, ToSchema)]
pub struct PillarDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct PillarList {
    pub items: Vec<PillarDto>,
    pub next_cursor: Option<String>,
}

/// The company's messaging goals (content pillars).
#[utoipa::path(get, path = "/messaging-goals", tag = "guidelines", responses((status = 200, body = PillarList)))]
pub async fn list_pillars(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<PillarList>, ApiError> {
    let items = campaigns::pillars(&s.app, &me.caller).await?;
    Ok(Json(PillarList {
        items: items
            .into_iter()
            .map(|p| PillarDto { id: p.id.0, name: p.name, description: p.description })
            .collect(),
        next_cursor: None,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePillar {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Defines a messaging goal (social team, owners, admins).
#[utoipa::path(post, path = "/messaging-goals", tag = "guidelines", request_body = CreatePillar,
    responses((status = 201, body = PillarDto), (status = 403, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn create_pillar(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreatePillar>,
) -> Result<impl IntoResponse, ApiError> {
    let p = campaigns::create_pillar(&s.app, &me.caller, &b.name, &b.description).await?;
    Ok((StatusCode::CREATED, Json(PillarDto { id: p.id.0, name: p.name, description: p.description })))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub link: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationDto>,
    pub next_cursor: Option<String>,
    pub unread: i64,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", params(PageQuery),
    responses((status = 200, body = NotificationList)))]
pub async fn list_notifications(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let limit = Limit::new(q.limit);
    let rows = notify::list(&s.app, &me.caller, cursor::<NotificationId>(&q.cursor)?, limit).await?;
    let page = Page::from_overfetch(rows, limit, |n| n.id);
    Ok(Json(NotificationList {
        items: page
            .items
            .into_iter()
            .map(|n| NotificationDto {
                id: n.id.0,
                kind: n.kind,
                title: n.title,
                link: n.link,
                read: n.read_at.is_some(),
                created_at: rfc3339(n.created_at),
            })
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
        unread: notify::unread(&s.app, &me.caller).await?,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReadBody {
    /// One notification; absent = all.
    #[serde(default)]
    pub id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadResult {
    pub marked: u64,
}

/// Marks notifications read.
#[utoipa::path(post, path = "/notifications/read", tag = "notifications",
    request_body(content = Option<ReadBody>, description = "Optional: one notification"),
    responses((status = 200, body = ReadResult)))]
pub async fn read_notifications(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    body: Bytes,
) -> Result<Json<ReadResult>, ApiError> {
    let b: ReadBody = optional_json(&body)?;
    let marked = notify::mark_read(&s.app, &me.caller, b.id.map(NotificationId::from)).await?;
    Ok(Json(ReadResult { marked }))
}

/// Deletes a draft (its authors only): the submission, and the files no other submission uses,
/// whose objects leave the media store shortly after (through the job queue).
#[utoipa::path(delete, path = "/submissions/{id}", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn delete_submission(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<StatusCode, ApiError> {
    submissions::delete_draft(&s.app, &me.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one of the caller's uploads (and its thumbnail). Refused while a submission past the
/// draft stage uses it; the caller's drafts let go of it.
#[utoipa::path(delete, path = "/media/{id}", tag = "contribution", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn delete_media(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<MediaId>,
) -> Result<StatusCode, ApiError> {
    media::delete(&s.app, &me.caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
