//! `/api/v1/company-accounts` (the company's own accounts: "follow us on …") and
//! `/api/v1/follow-lists` (each department's blogs, accounts, newsletters and podcasts worth
//! following). Everyone reads; the social team and admins keep the directory; a department's
//! leads (and the social team and admins) keep its list. Lists are short and come whole.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::social::{
    self, AccountChanges, AccountInput, CompanyAccount, EntryChanges, EntryInput, FollowEntry, FollowList,
};
use chorus_domain::{CompanyAccountId, DepartmentId, FollowEntryId, social::network_label};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

// ------------------------------------------------------------------------------ company accounts

#[derive(Serialize, ToSchema)]
pub struct CompanyAccountDto {
    pub id: Uuid,
    /// x, linkedin, mastodon, bluesky, instagram, youtube, facebook, threads, tiktok, github, blog, other.
    pub network: String,
    pub network_label: &'static str,
    /// How the account is named on the network (@acme, acme.bsky.social).
    pub handle: String,
    /// https only.
    pub url: String,
    pub position: i64,
    pub updated_at: String,
}

fn account_dto(a: CompanyAccount) -> CompanyAccountDto {
    CompanyAccountDto {
        id: a.id.0,
        network_label: network_label(&a.network),
        network: a.network,
        handle: a.handle,
        url: a.url,
        position: a.position,
        updated_at: rfc3339(a.updated_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CompanyAccountList {
    /// In display order.
    pub items: Vec<CompanyAccountDto>,
    pub next_cursor: Option<String>,
}

/// The company's own accounts, in display order (everyone in the organization).
#[utoipa::path(get, path = "/company-accounts", tag = "communication",
    responses((status = 200, body = CompanyAccountList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_accounts(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<CompanyAccountList>, ApiError> {
    let items = social::accounts(&s.app, &me.caller).await?.into_iter().map(account_dto).collect();
    Ok(Json(CompanyAccountList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub network: String,
    pub handle: String,
    /// https://… (no other scheme).
    pub url: String,
}

/// Adds an account at the end of the directory (the social team, owners, admins).
#[utoipa::path(post, path = "/company-accounts", tag = "communication", request_body = CreateAccount,
    responses((status = 201, body = CompanyAccountDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_account(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateAccount>,
) -> Result<impl IntoResponse, ApiError> {
    let a = social::add_account(
        &s.app,
        &me.caller,
        AccountInput { network: b.network, handle: b.handle, url: b.url },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(account_dto(a))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// Display order (ascending).
    #[serde(default)]
    pub position: Option<i64>,
}

/// Changes an account (the social team, owners, admins). Absent fields stay.
#[utoipa::path(patch, path = "/company-accounts/{id}", tag = "communication", params(("id" = Uuid, Path)),
    request_body = UpdateAccount,
    responses((status = 200, body = CompanyAccountDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_account(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateAccount>,
) -> Result<Json<CompanyAccountDto>, ApiError> {
    let c = AccountChanges { network: b.network, handle: b.handle, url: b.url, position: b.position };
    Ok(Json(account_dto(social::update_account(&s.app, &me.caller, CompanyAccountId::from(id), c).await?)))
}

/// Removes an account from the directory (the social team, owners, admins).
#[utoipa::path(delete, path = "/company-accounts/{id}", tag = "communication", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_account(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    social::delete_account(&s.app, &me.caller, CompanyAccountId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --------------------------------------------------------------------------------- follow lists

#[derive(Serialize, ToSchema)]
pub struct FollowEntryDto {
    pub id: Uuid,
    pub department_id: Uuid,
    pub name: String,
    /// https only.
    pub url: String,
    /// blog, account, newsletter or podcast.
    pub kind: String,
    pub note: String,
    pub updated_at: String,
}

fn entry_dto(e: FollowEntry) -> FollowEntryDto {
    FollowEntryDto {
        id: e.id.0,
        department_id: e.department_id.0,
        name: e.name,
        url: e.url,
        kind: e.kind,
        note: e.note,
        updated_at: rfc3339(e.updated_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct FollowListDto {
    pub department_id: Uuid,
    pub department_name: String,
    /// Whether the caller may change this list.
    pub editable: bool,
    /// By name.
    pub items: Vec<FollowEntryDto>,
    pub next_cursor: Option<String>,
}

fn list_dto(l: FollowList) -> FollowListDto {
    FollowListDto {
        department_id: l.department_id.0,
        department_name: l.department_name,
        editable: l.editable,
        items: l.entries.into_iter().map(entry_dto).collect(),
        next_cursor: None,
    }
}

#[derive(Serialize, ToSchema)]
pub struct FollowListsDto {
    /// One list per department, by department name (empty lists included).
    pub items: Vec<FollowListDto>,
    pub next_cursor: Option<String>,
}

/// Every department's follow list: the organization-wide view (everyone).
#[utoipa::path(get, path = "/follow-lists", tag = "communication",
    responses((status = 200, body = FollowListsDto), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_follow_lists(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<FollowListsDto>, ApiError> {
    let items = social::follow_lists(&s.app, &me.caller).await?.into_iter().map(list_dto).collect();
    Ok(Json(FollowListsDto { items, next_cursor: None }))
}

/// One department's follow list (everyone).
#[utoipa::path(get, path = "/follow-lists/{department_id}", tag = "communication",
    params(("department_id" = Uuid, Path)),
    responses((status = 200, body = FollowListDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_follow_list(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(department): ApiPath<Uuid>,
) -> Result<Json<FollowListDto>, ApiError> {
    Ok(Json(list_dto(social::follow_list(&s.app, &me.caller, DepartmentId::from(department)).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEntry {
    /// At most 200 characters.
    pub name: String,
    /// https://…
    pub url: String,
    /// blog, account, newsletter or podcast.
    pub kind: String,
    /// Why it is worth following (at most 1,000 characters).
    #[serde(default)]
    pub note: String,
}

/// Adds an entry to a department's list (its leads, the social team, admins). A link already on
/// the list is a 409.
#[utoipa::path(post, path = "/follow-lists/{department_id}", tag = "communication",
    params(("department_id" = Uuid, Path)), request_body = CreateEntry,
    responses((status = 201, body = FollowEntryDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_entry(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(department): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CreateEntry>,
) -> Result<impl IntoResponse, ApiError> {
    let input = EntryInput { name: b.name, url: b.url, kind: b.kind, note: b.note };
    let e = social::add_entry(&s.app, &me.caller, DepartmentId::from(department), input).await?;
    Ok((StatusCode::CREATED, Json(entry_dto(e))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEntry {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Changes an entry (the department's leads, the social team, admins). Absent fields stay.
#[utoipa::path(patch, path = "/follow-lists/{department_id}/{id}", tag = "communication",
    params(("department_id" = Uuid, Path), ("id" = Uuid, Path)), request_body = UpdateEntry,
    responses((status = 200, body = FollowEntryDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_entry(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((department, id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<UpdateEntry>,
) -> Result<Json<FollowEntryDto>, ApiError> {
    let c = EntryChanges { name: b.name, url: b.url, kind: b.kind, note: b.note };
    let e =
        social::update_entry(&s.app, &me.caller, DepartmentId::from(department), FollowEntryId::from(id), c)
            .await?;
    Ok(Json(entry_dto(e)))
}

/// Removes an entry (the department's leads, the social team, admins).
#[utoipa::path(delete, path = "/follow-lists/{department_id}/{id}", tag = "communication",
    params(("department_id" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_entry(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((department, id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    social::delete_entry(&s.app, &me.caller, DepartmentId::from(department), FollowEntryId::from(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
