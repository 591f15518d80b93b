//! `/api/v1` for amplification (SPEC §6): shares with their tracked links.

use super::{
    contrib::{PROBLEM, parse_time},
    dto::rfc3339,
};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::amplify::{self, Share, ShareInput};
use chorus_domain::SubmissionId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShare {
    pub submission_id: Uuid,
    /// linkedin, x, facebook, mastodon or bluesky.
    pub network: String,
    /// What the person says with it; absent: the suggested caption (with the disclosure).
    #[serde(default)]
    pub caption: Option<String>,
    /// For Mastodon: the person's instance, `https://host`.
    #[serde(default)]
    pub mastodon_instance: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ShareDto {
    pub id: Uuid,
    pub code: String,
    /// The tracked link.
    pub url: String,
    /// The network's share intent, with the tracked link in it.
    pub share_url: Option<String>,
    pub network: String,
    pub submission_id: Uuid,
    pub submission_title: String,
    pub caption: String,
    pub created_at: String,
    pub human_clicks: i64,
    pub bot_fetches: i64,
}

fn dto(s: Share, url: String, share_url: Option<String>) -> ShareDto {
    ShareDto {
        id: s.id,
        code: s.code,
        url,
        share_url,
        network: s.network,
        submission_id: s.submission_id.0,
        submission_title: s.submission_title,
        caption: s.caption,
        created_at: rfc3339(s.created_at),
        human_clicks: s.human_clicks,
        bot_fetches: s.bot_fetches,
    }
}

/// Makes a tracked link for sharing approved content on a network (any signed-in person). The
/// share guard refuses a flood with 409.
#[utoipa::path(post, path = "/shares", tag = "amplification", request_body = CreateShare,
    responses((status = 201, body = ShareDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_share(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateShare>,
) -> Result<impl IntoResponse, ApiError> {
    let input = ShareInput {
        submission_id: SubmissionId::from(b.submission_id),
        network: b.network,
        caption: b.caption,
        mastodon_instance: b.mastodon_instance,
    };
    let created = amplify::create_share(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(dto(created.share, created.url, created.share_url))))
}

#[derive(Serialize, ToSchema)]
pub struct ShareList {
    pub items: Vec<ShareDto>,
    pub next_cursor: Option<String>,
}

/// The caller's own shares and their clicks, newest first.
#[utoipa::path(get, path = "/shares", tag = "amplification", responses((status = 200, body = ShareList)))]
pub async fn my_shares(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<ShareList>, ApiError> {
    let items = amplify::my_shares(&s.app, &me.caller).await?;
    let base = s.app.config.base_url.clone();
    let items = items
        .into_iter()
        .map(|sh| {
            let url = format!("{base}/s/{}", sh.code);
            dto(sh, url, None)
        })
        .collect();
    Ok(Json(ShareList { items, next_cursor: None }))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareWindow {
    /// When the item leaves the share hub (RFC 3339); null: it stays. Links already shared keep
    /// working.
    pub share_until: Option<String>,
}

/// Sets when approved content leaves the share hub (the social team, owners and admins).
#[utoipa::path(put, path = "/submissions/{id}/share-until", tag = "amplification", request_body = ShareWindow,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ShareWindow), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn set_share_until(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ShareWindow>,
) -> Result<Json<ShareWindow>, ApiError> {
    let until = parse_time(&b.share_until, "share_until")?;
    amplify::set_share_until(&s.app, &me.caller, SubmissionId::from(id), until).await?;
    Ok(Json(ShareWindow { share_until: until.map(rfc3339) }))
}
