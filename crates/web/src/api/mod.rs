//! `/api/v1`: JSON, `Authorization: Bearer <token>`, problem+json errors, cursor pagination,
//! and the OpenAPI 3.1 document generated from these handlers.

mod amplify;
pub(crate) mod analytics;
mod chat;
mod contrib;
mod dto;
pub(crate) mod enablement;
pub(crate) mod events;
pub(crate) mod feeds;
mod notify;
mod outreach;
mod publish;
mod readiness;
mod recognition;
mod sso;
mod training;

/// The current version of a submission, for a 409 body.
pub fn current_json(s: &chorus_app::submissions::Submission) -> serde_json::Value {
    contrib::current_json(s)
}

use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::{departments, people};
use chorus_domain::{
    DepartmentId, UserId,
    pagination::{Limit, Page},
};
use dto::*;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "Chorus API", description = "Company-wide social media collaboration. Authenticate with `Authorization: Bearer <personal access token>`."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(list_departments, create_department))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        // Uploads have their own, larger cap, enforced while reading (`upload::spool_file_field`).
        .merge(
            OpenApiRouter::new()
                .routes(routes!(contrib::upload_media))
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .routes(routes!(contrib::get_media, contrib::delete_media))
        .routes(routes!(contrib::media_content))
        .routes(routes!(contrib::list_submissions, contrib::create_submission))
        .routes(routes!(contrib::get_submission, contrib::update_submission, contrib::delete_submission))
        .routes(routes!(contrib::submit_submission))
        .routes(routes!(contrib::decide_submission))
        .routes(routes!(contrib::submission_history))
        .routes(routes!(contrib::submission_diff))
        .routes(routes!(contrib::list_comments, contrib::create_comment))
        .routes(routes!(contrib::vote))
        .routes(routes!(contrib::promote))
        .routes(routes!(contrib::review_queue))
        .routes(routes!(contrib::bulk_decide))
        .routes(routes!(contrib::library))
        .routes(routes!(contrib::ideas))
        .routes(routes!(contrib::check_guidelines))
        .routes(routes!(contrib::list_rules, contrib::create_rule))
        .routes(routes!(contrib::update_rule, contrib::delete_rule))
        .routes(routes!(contrib::list_campaigns, contrib::create_campaign))
        .routes(routes!(contrib::list_pillars, contrib::create_pillar))
        .routes(routes!(contrib::list_notifications))
        .routes(routes!(contrib::read_notifications))
        .routes(routes!(notify::get_preferences, notify::put_preferences))
        .routes(routes!(notify::list_announcements, notify::create_announcement))
        .routes(routes!(notify::get_announcement))
        .routes(routes!(notify::read_announcement))
        .routes(routes!(notify::mail_queue))
        .routes(routes!(publish::list_channels, publish::create_channel))
        .routes(routes!(publish::list_posts, publish::create_post))
        .routes(routes!(publish::get_post))
        .routes(routes!(publish::renew_credentials))
        .routes(routes!(publish::reschedule_post))
        .routes(routes!(publish::cancel_post))
        .routes(routes!(publish::confirm_post))
        .routes(routes!(publish::dead_letters))
        .routes(routes!(publish::retry_job))
        .routes(routes!(publish::calendar_ics))
        .routes(routes!(amplify::my_shares, amplify::create_share))
        .routes(routes!(amplify::set_share_until))
        .routes(routes!(analytics::summary))
        .routes(routes!(enablement::list_surveys, enablement::create_survey))
        .routes(routes!(enablement::get_survey, enablement::update_survey))
        .routes(routes!(enablement::add_question))
        .routes(routes!(enablement::edit_question))
        .routes(routes!(enablement::retire_question))
        .routes(routes!(enablement::open_survey))
        .routes(routes!(enablement::close_survey))
        .routes(routes!(enablement::respond))
        .routes(routes!(enablement::participation))
        .routes(routes!(enablement::remind))
        .routes(routes!(enablement::report))
        .routes(routes!(enablement::list_policies, enablement::publish_policy))
        .routes(routes!(enablement::get_policy))
        .routes(routes!(enablement::acknowledge_policy, enablement::policy_acknowledgements))
        .routes(routes!(enablement::my_mentoring))
        .routes(routes!(enablement::opt_in))
        .routes(routes!(enablement::mentoring_proposal))
        .routes(routes!(enablement::list_pairs, enablement::confirm_pairs))
        .routes(routes!(enablement::log_session))
        .routes(routes!(enablement::give_feedback))
        .routes(routes!(enablement::end_pair))
        .routes(routes!(readiness::list_assessments, readiness::record_assessment))
        .routes(routes!(readiness::get_assessment))
        .routes(routes!(readiness::list_actions, readiness::create_action))
        .routes(routes!(readiness::update_action, readiness::delete_action))
        .routes(routes!(training::list_courses, training::create_course))
        .routes(routes!(training::get_course, training::update_course))
        .routes(routes!(training::add_lesson))
        .routes(routes!(training::add_question))
        .routes(routes!(training::assign))
        .routes(routes!(training::lesson_done))
        .routes(routes!(training::attempt))
        .routes(routes!(training::progress_report))
        .routes(routes!(training::list_rules, training::create_rule))
        .routes(routes!(training::delete_rule))
        .routes(routes!(training::apply_rules))
        .routes(routes!(recognition::list_shoutouts, recognition::post_shoutout))
        .routes(routes!(recognition::add_reaction))
        .routes(routes!(recognition::remove_reaction))
        .routes(routes!(recognition::points))
        .routes(routes!(recognition::list_rules))
        .routes(routes!(recognition::set_rule))
        .routes(routes!(recognition::replay))
        .routes(routes!(recognition::leaderboard))
        .routes(routes!(recognition::opt_out))
        .routes(routes!(recognition::list_rewards, recognition::create_reward))
        .routes(routes!(recognition::update_reward))
        .routes(routes!(recognition::redeem))
        .routes(routes!(recognition::list_redemptions))
        .routes(routes!(recognition::decide_redemption))
        .routes(routes!(feeds::list_feeds, feeds::create_feed))
        .routes(routes!(feeds::get_feed, feeds::update_feed, feeds::delete_feed))
        .routes(routes!(feeds::poll_feed))
        .routes(routes!(feeds::list_curation))
        .routes(routes!(feeds::get_curation_item))
        .routes(routes!(feeds::make_submission))
        .routes(routes!(feeds::dismiss))
        .merge(communication_routes())
}

/// Social sessions, the company's accounts, follow lists and chat integrations.
fn communication_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events::list_events, events::create_event))
        .routes(routes!(events::get_event, events::update_event, events::delete_event))
        .routes(routes!(events::attend, events::attendance))
        .routes(routes!(events::invite))
        .routes(routes!(outreach::list_accounts, outreach::create_account))
        .routes(routes!(outreach::update_account, outreach::delete_account))
        .routes(routes!(outreach::list_follow_lists))
        .routes(routes!(outreach::get_follow_list, outreach::create_entry))
        .routes(routes!(outreach::update_entry, outreach::delete_entry))
        .routes(routes!(chat::list_integrations, chat::create_integration))
        .routes(routes!(chat::get_integration, chat::update_integration, chat::delete_integration))
        .routes(routes!(chat::test_integration))
        .routes(routes!(sso::get_sso, sso::put_sso, sso::delete_sso))
}

/// The OpenAPI document (also served at `/api/v1/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router().split_for_parts();
    doc.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    doc
}

pub fn routes() -> Router<AppState> {
    let (router, _) = api_router().split_for_parts();
    let doc = openapi();
    router.route("/openapi.json", axum::routing::get(move || async move { Json(doc.clone()) }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
}

fn cursor<T: std::str::FromStr>(raw: &Option<String>) -> Result<Option<T>, ApiError> {
    match raw.as_deref().filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c.parse().map(Some).map_err(|_| {
            chorus_domain::Invalid::new("cursor", "is not a cursor from a previous page").into()
        }),
    }
}

/// The caller.
#[utoipa::path(get, path = "/me", tag = "people",
    responses((status = 200, body = MeDto), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(ApiUser(me): ApiUser) -> Json<MeDto> {
    Json(MeDto::from(&me))
}

/// Departments, in creation order.
#[utoipa::path(get, path = "/departments", tag = "people", params(PageQuery),
    responses((status = 200, body = DepartmentList), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_departments(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<DepartmentList>, ApiError> {
    let limit = Limit::new(q.limit);
    let rows = departments::page(&s.app, &me.caller, cursor::<DepartmentId>(&q.cursor)?, limit).await?;
    let page = Page::from_overfetch(rows, limit, |d| d.id);
    Ok(Json(DepartmentList {
        items: page.items.into_iter().map(DepartmentDto::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// Creates a department (owners and admins).
#[utoipa::path(post, path = "/departments", tag = "people", request_body = CreateDepartment,
    responses((status = 201, body = DepartmentDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_department(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(body): ApiJson<CreateDepartment>,
) -> Result<impl IntoResponse, ApiError> {
    let dept = departments::create(&s.app, &me.caller, &body.name).await?;
    Ok((StatusCode::CREATED, Json(DepartmentDto::from(dept))))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct UserQuery {
    cursor: Option<String>,
    limit: Option<u32>,
    /// Substring of name or e-mail.
    q: Option<String>,
    department_id: Option<uuid::Uuid>,
    /// invited, active or deactivated.
    status: Option<String>,
}

/// People, in creation order.
#[utoipa::path(get, path = "/users", tag = "people", params(UserQuery),
    responses((status = 200, body = UserList), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn list_users(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<UserList>, ApiError> {
    let limit = Limit::new(q.limit);
    let status = q.status.as_deref().filter(|s| !s.is_empty()).map(str::parse).transpose()?;
    let filter = people::ListFilter {
        after: cursor::<UserId>(&q.cursor)?,
        query: q.q.filter(|s| !s.trim().is_empty()),
        department_id: q.department_id.map(DepartmentId::from),
        status,
    };
    let rows = people::list(&s.app, &me.caller, &filter, limit).await?;
    let page = Page::from_overfetch(rows, limit, |u| u.id);
    Ok(Json(UserList {
        items: page.items.into_iter().map(UserDto::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

/// Invites a person (owners and admins); they receive an e-mail to choose a password.
#[utoipa::path(post, path = "/users", tag = "people", request_body = CreateUser,
    responses((status = 201, body = UserDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn create_user(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<impl IntoResponse, ApiError> {
    let user = people::invite(&s.app, &me.caller, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(UserDto::from(user))))
}

/// One person.
#[utoipa::path(get, path = "/users/{id}", tag = "people", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_user(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<UserId>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(people::get(&s.app, &me.caller, id).await?.into()))
}

/// Changes a person: profile fields (themselves or admins), department, seniority, role and
/// status (admins; owners for owners). Absent fields stay; `null` clears optional ones.
#[utoipa::path(patch, path = "/users/{id}", tag = "people", params(("id" = uuid::Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = UserDto), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
async fn update_user(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(people::update(&s.app, &me.caller, id, &body.into()).await?.into()))
}
