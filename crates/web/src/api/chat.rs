//! `/api/v1/chat-integrations`: Slack and Microsoft Teams incoming webhooks (owners and admins).
//! The webhook URL is write-only: answers carry `url_hint` (host and last four characters), never
//! the URL.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::chat::{self, Integration, IntegrationChanges, IntegrationInput};
use chorus_domain::ChatIntegrationId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct ChatIntegrationDto {
    pub id: Uuid,
    /// slack or teams.
    pub kind: String,
    pub name: String,
    /// The webhook URL's host and last four characters; the URL itself is never shown.
    pub url_hint: String,
    /// review_queue, shoutouts.
    pub events: Vec<String>,
    /// active or paused (a paused integration drops messages; a test message still goes).
    pub status: String,
    pub last_delivered_at: Option<String>,
    /// Why the last delivery failed (cleared by the next success or a new URL).
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub created_at: String,
}

fn dto(i: Integration) -> ChatIntegrationDto {
    ChatIntegrationDto {
        id: i.id.0,
        kind: i.kind,
        name: i.name,
        url_hint: i.url_hint,
        events: i.events,
        status: i.status,
        last_delivered_at: i.last_delivered_at.map(rfc3339),
        last_error: i.last_error,
        last_error_at: i.last_error_at.map(rfc3339),
        created_at: rfc3339(i.created_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChatIntegrationList {
    pub items: Vec<ChatIntegrationDto>,
    pub next_cursor: Option<String>,
}

/// The organization's Slack and Teams integrations, oldest first (owners and admins).
#[utoipa::path(get, path = "/chat-integrations", tag = "communication",
    responses((status = 200, body = ChatIntegrationList), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn list_integrations(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<ChatIntegrationList>, ApiError> {
    let items = chat::list(&s.app, &me.caller).await?.into_iter().map(dto).collect();
    Ok(Json(ChatIntegrationList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegration {
    /// slack or teams.
    pub kind: String,
    pub name: String,
    /// The incoming-webhook URL the service gave (https). Sealed at rest; never shown back.
    pub url: String,
    /// review_queue and/or shoutouts.
    pub events: Vec<String>,
    /// active (default) or paused.
    #[serde(default)]
    pub status: Option<String>,
}

/// Adds an integration (owners and admins).
#[utoipa::path(post, path = "/chat-integrations", tag = "communication", request_body = CreateIntegration,
    responses((status = 201, body = ChatIntegrationDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_integration(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateIntegration>,
) -> Result<impl IntoResponse, ApiError> {
    let input =
        IntegrationInput { kind: b.kind, name: b.name, url: b.url, events: b.events, status: b.status };
    Ok((StatusCode::CREATED, Json(dto(chat::create(&s.app, &me.caller, input).await?))))
}

/// One integration (owners and admins).
#[utoipa::path(get, path = "/chat-integrations/{id}", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 200, body = ChatIntegrationDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_integration(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ChatIntegrationDto>, ApiError> {
    Ok(Json(dto(chat::get(&s.app, &me.caller, ChatIntegrationId::from(id)).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIntegration {
    #[serde(default)]
    pub name: Option<String>,
    /// A new webhook URL (replaces the sealed one).
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// active or paused.
    #[serde(default)]
    pub status: Option<String>,
}

/// Changes an integration (owners and admins). Absent fields stay.
#[utoipa::path(patch, path = "/chat-integrations/{id}", tag = "communication", params(("id" = Uuid, Path)),
    request_body = UpdateIntegration,
    responses((status = 200, body = ChatIntegrationDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_integration(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateIntegration>,
) -> Result<Json<ChatIntegrationDto>, ApiError> {
    let c = IntegrationChanges { name: b.name, url: b.url, events: b.events, status: b.status };
    Ok(Json(dto(chat::update(&s.app, &me.caller, ChatIntegrationId::from(id), c).await?)))
}

/// Removes an integration (owners and admins).
#[utoipa::path(delete, path = "/chat-integrations/{id}", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_integration(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    chat::delete(&s.app, &me.caller, ChatIntegrationId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queues a test message to the integration (owners and admins); the answer comes back on the
/// integration (`last_delivered_at` or `last_error`) once the job ran.
#[utoipa::path(post, path = "/chat-integrations/{id}/test", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 202, body = ChatIntegrationDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn test_integration(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    let i = chat::send_test(&s.app, &me.caller, ChatIntegrationId::from(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(dto(i))))
}
