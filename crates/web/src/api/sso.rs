//! `/api/v1/sso`: the organization's OpenID Connect provider for single sign-on (owners and
//! admins). The client secret is write-only: sealed at rest, never returned.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode};
use chorus_app::{
    Error,
    oidc::{self, ProviderInput, ProviderView},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct SsoDto {
    /// The provider's issuer URL (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// The claim whose value becomes a new account's department (created if missing).
    pub department_claim: String,
    /// The claim whose value becomes a new account's title.
    pub title_claim: String,
    /// E-mails the provider has not verified may create or link accounts.
    pub trust_unverified_email: bool,
    /// Passwords (sign-in and reset) are off for everyone but owners.
    pub sso_only: bool,
    /// Register this at the provider.
    pub redirect_uri: String,
    /// Register this at the provider for sign-out.
    pub post_logout_redirect_uri: String,
    /// People who have signed in with SSO at least once.
    pub linked_people: i64,
    pub updated_at: String,
}

fn dto(p: ProviderView) -> SsoDto {
    SsoDto {
        issuer: p.issuer,
        client_id: p.client_id,
        department_claim: p.department_claim,
        title_claim: p.title_claim,
        trust_unverified_email: p.trust_unverified_email,
        sso_only: p.sso_only,
        redirect_uri: p.redirect_uri,
        post_logout_redirect_uri: p.post_logout_redirect_uri,
        linked_people: p.linked_people,
        updated_at: rfc3339(p.updated_at),
    }
}

/// The single sign-on provider; 404 when none is configured.
#[utoipa::path(get, path = "/sso", tag = "organization",
    responses((status = 200, body = SsoDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_sso(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<SsoDto>, ApiError> {
    let p = oidc::get(&s.app, &me.caller).await?.ok_or(Error::NotFound)?;
    Ok(Json(dto(p)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSso {
    /// https (plain http only to this machine); must answer OpenID Connect discovery.
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; absent or empty keeps the stored one.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Default `department`.
    #[serde(default)]
    pub department_claim: Option<String>,
    /// Default `title`.
    #[serde(default)]
    pub title_claim: Option<String>,
    #[serde(default)]
    pub trust_unverified_email: bool,
    #[serde(default)]
    pub sso_only: bool,
}

/// Sets up or replaces the provider. The issuer is checked by discovery: unreachable, or not an
/// OpenID provider, is a 422 saying which.
#[utoipa::path(put, path = "/sso", tag = "organization", request_body = PutSso,
    responses((status = 200, body = SsoDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn put_sso(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<PutSso>,
) -> Result<Json<SsoDto>, ApiError> {
    let input = ProviderInput {
        issuer: b.issuer,
        client_id: b.client_id,
        client_secret: b.client_secret,
        department_claim: b.department_claim,
        title_claim: b.title_claim,
        trust_unverified_email: b.trust_unverified_email,
        sso_only: b.sso_only,
    };
    Ok(Json(dto(oidc::save(&s.app, &me.caller, &input).await?)))
}

/// Turns single sign-on off: passwords work again for everyone who has one.
#[utoipa::path(delete, path = "/sso", tag = "organization",
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_sso(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<StatusCode, ApiError> {
    oidc::remove(&s.app, &me.caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
