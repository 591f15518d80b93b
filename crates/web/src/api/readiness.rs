//! `/api/v1/readiness`: the social-readiness self-assessment (SPEC §3) and its action checklist.
//!
//! Everyone in the organization reads (see `chorus_domain::readiness::may_view`); owners and
//! admins write. Lists are short (a few assessments a year, a checklist of a few dozen items), so
//! they come whole: `next_cursor` is always null.

use super::{
    contrib::PROBLEM,
    dto::{present, rfc3339},
};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::readiness::{self, ActionChanges, ActionInput, ActionItem, Assessment, AssessmentInput};
use chorus_domain::{ActionItemId, ReadinessId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct DisciplineScore {
    /// vision, strategy, purpose, launch, guide or adapt.
    pub discipline: &'static str,
    pub label: &'static str,
    /// The mean rating of the discipline's statements (1–5, two decimals).
    pub average: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonRef {
    pub id: Uuid,
    pub name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentDto {
    pub id: Uuid,
    pub note: String,
    pub created_at: String,
    pub created_by: Option<PersonRef>,
    /// One entry per discipline, in order.
    pub averages: Vec<DisciplineScore>,
    /// The mean of the disciplines' averages.
    pub overall: Option<f64>,
    /// Each statement's rating by key; only on `POST /readiness` and `GET /readiness/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratings: Option<BTreeMap<String, u8>>,
}

fn assessment_dto(a: Assessment, with_ratings: bool) -> AssessmentDto {
    let s = readiness::scores(&a);
    AssessmentDto {
        id: a.id.0,
        note: a.note,
        created_at: rfc3339(a.created_at),
        created_by: a.created_by.map(|u| PersonRef { id: u.0, name: a.created_by_name }),
        averages: s
            .iter()
            .map(|(d, v)| DisciplineScore { discipline: d.as_str(), label: d.label(), average: v })
            .collect(),
        overall: s.overall,
        ratings: with_ratings.then(|| a.ratings.into_iter().collect()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentList {
    /// Oldest first: read in order, the averages are the trend.
    pub items: Vec<AssessmentDto>,
    pub next_cursor: Option<String>,
}

/// The organization's assessments with their averages per discipline, oldest first (everyone in
/// the organization).
#[utoipa::path(get, path = "/readiness", tag = "enablement",
    responses((status = 200, body = AssessmentList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_assessments(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<AssessmentList>, ApiError> {
    let items =
        readiness::list(&s.app, &me.caller).await?.into_iter().map(|a| assessment_dto(a, false)).collect();
    Ok(Json(AssessmentList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAssessment {
    /// Every statement's rating, 1 (not at all) to 5 (fully), by key: vision.why,
    /// vision.future, vision.sponsor, vision.shared, strategy.written, strategy.audience,
    /// strategy.platforms, strategy.goals, purpose.value, purpose.pillars, purpose.voice,
    /// launch.team, launch.resources, launch.process, launch.calendar, guide.policy,
    /// guide.training, guide.escalation, adapt.measure, adapt.listen, adapt.refine.
    pub ratings: BTreeMap<String, i64>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Records an assessment (owners and admins). Every statement must be rated, 1 to 5; anything
/// else is a 422 naming each problem.
#[utoipa::path(post, path = "/readiness", tag = "enablement", request_body = RecordAssessment,
    responses((status = 201, body = AssessmentDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn record_assessment(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<RecordAssessment>,
) -> Result<impl IntoResponse, ApiError> {
    let input = AssessmentInput { ratings: b.ratings.into_iter().collect(), note: b.note };
    let a = readiness::record(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(assessment_dto(a, true))))
}

/// One assessment with its ratings.
#[utoipa::path(get, path = "/readiness/{id}", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssessmentDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_assessment(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AssessmentDto>, ApiError> {
    Ok(Json(assessment_dto(readiness::get(&s.app, &me.caller, ReadinessId::from(id)).await?, true)))
}

#[derive(Serialize, ToSchema)]
pub struct ActionItemDto {
    pub id: Uuid,
    pub position: i64,
    pub title: String,
    pub owner: Option<PersonRef>,
    /// YYYY-MM-DD.
    pub due_on: Option<String>,
    /// todo, doing or done.
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
}

fn action_dto(a: ActionItem) -> ActionItemDto {
    ActionItemDto {
        id: a.id.0,
        position: a.position,
        title: a.title,
        owner: a.owner_id.map(|u| PersonRef { id: u.0, name: a.owner_name }),
        due_on: a.due_on,
        status: a.status.as_str(),
        created_at: rfc3339(a.created_at),
        updated_at: rfc3339(a.updated_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ActionItemList {
    pub items: Vec<ActionItemDto>,
    pub next_cursor: Option<String>,
}

/// The action checklist, in order (everyone in the organization). The first use gives the
/// organization the default items.
#[utoipa::path(get, path = "/readiness/actions", tag = "enablement",
    responses((status = 200, body = ActionItemList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_actions(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<ActionItemList>, ApiError> {
    let items = readiness::checklist(&s.app, &me.caller).await?.into_iter().map(action_dto).collect();
    Ok(Json(ActionItemList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAction {
    /// At most 200 characters, one line.
    pub title: String,
    /// A person of the organization.
    #[serde(default)]
    pub owner_id: Option<Uuid>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due_on: Option<String>,
    /// todo (default), doing or done.
    #[serde(default)]
    pub status: Option<String>,
}

/// Adds an item at the end of the checklist (owners and admins).
#[utoipa::path(post, path = "/readiness/actions", tag = "enablement", request_body = CreateAction,
    responses((status = 201, body = ActionItemDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_action(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateAction>,
) -> Result<impl IntoResponse, ApiError> {
    let input = ActionInput {
        title: b.title,
        owner_id: b.owner_id.map(UserId::from),
        due_on: b.due_on,
        status: b.status,
    };
    let item = readiness::add_action(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(action_dto(item))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAction {
    #[serde(default)]
    pub title: Option<String>,
    /// A person of the organization; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// YYYY-MM-DD; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due_on: Option<Option<String>>,
    /// todo, doing or done.
    #[serde(default)]
    pub status: Option<String>,
}

/// Changes an item (owners and admins). Absent fields stay; `null` clears owner or due date.
#[utoipa::path(patch, path = "/readiness/actions/{id}", tag = "enablement", request_body = UpdateAction,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ActionItemDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_action(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateAction>,
) -> Result<Json<ActionItemDto>, ApiError> {
    let changes = ActionChanges {
        title: b.title,
        owner_id: b.owner_id.map(|o| o.map(UserId::from)),
        due_on: b.due_on,
        status: b.status,
    };
    let item = readiness::update_action(&s.app, &me.caller, ActionItemId::from(id), changes).await?;
    Ok(Json(action_dto(item)))
}

/// Deletes an item (owners and admins).
#[utoipa::path(delete, path = "/readiness/actions/{id}", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_action(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    readiness::delete_action(&s.app, &me.caller, ActionItemId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
