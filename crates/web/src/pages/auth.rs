//! Set-up, sign-in and out, password reset and invitation pages.

use super::{Chrome, FormError, form_errors};
use crate::{
    AppState, cookies,
    error::PageError,
    extract::{ClientAddr, Csrf, PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error,
    sessions::{self, AcceptInput, Credentials, SignedIn},
    setup::{self, SetupInput},
};

fn signed_in(state: &AppState, s: &SignedIn, to: &str) -> Response {
    let max_age = state.app.config.session_ttl.whole_seconds();
    let cookie = cookies::set(cookies::SESSION, &s.token, Some(max_age), "Lax", state.web.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response()
}

/// Only local paths, so `next` cannot send people to another site.
/// Where to go after signing in: a path on this site, or home. Backslashes, spaces and control
/// characters are refused anywhere, since browsers drop tabs and newlines from a URL and read `\`
/// as `/` (`/\t/evil.example` would become `//evil.example`, another site).
pub(super) fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if local { next } else { "/" }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    chrome: Chrome,
    token: String,
    form: SetupInput,
    errors: Vec<FormError>,
}

pub async fn setup_form(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    setup::check(&s.app, &q.token).await?;
    Ok(SetupPage {
        chrome: Chrome::anonymous(csrf),
        token: q.token,
        form: SetupInput::default(),
        errors: vec![],
    }
    .into_response())
}

pub async fn setup(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    ClientAddr(addr): ClientAddr,
    Query(q): Query<TokenQuery>,
    PageForm(form): PageForm<SetupInput>,
) -> Result<Response, PageError> {
    match setup::complete(&s.app, &q.token, &form, addr).await {
        Ok(signed) => Ok(signed_in(&s, &signed, "/?notice=welcome")),
        Err(e) => {
            let errors = form_errors(e)?;
            let form = SetupInput { password: String::new(), ..form };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                SetupPage { chrome: Chrome::anonymous(csrf), token: q.token, form, errors },
            )
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    email: String,
    organization: String,
    ask_org: bool,
    next: String,
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    notice: Option<String>,
}

pub async fn login_form(Csrf(csrf): Csrf, Query(q): Query<NextQuery>) -> Response {
    LoginPage {
        chrome: Chrome::anonymous(csrf).notice(q.notice.as_deref()),
        error: None,
        email: String::new(),
        organization: String::new(),
        ask_org: false,
        next: q.next.unwrap_or_else(|| "/".into()),
    }
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

pub async fn login(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    ClientAddr(addr): ClientAddr,
    PageForm(f): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let creds =
        Credentials { email: f.email.clone(), password: f.password, organization: f.organization.clone() };
    let next = f.next.unwrap_or_else(|| "/".into());
    match sessions::sign_in(&s.app, &creds, addr).await {
        Ok(signed) => Ok(signed_in(&s, &signed, safe_next(&next))),
        Err(e) => {
            let (status, error, ask_org) = match &e {
                Error::Unauthenticated(m) => {
                    (StatusCode::UNAUTHORIZED, m.to_string(), f.organization.is_some())
                }
                Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, e.to_string(), false),
                Error::Invalid(list) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    list.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; "),
                    true,
                ),
                _ => return Err(e.into()),
            };
            let page = LoginPage {
                chrome: Chrome::anonymous(csrf),
                error: Some(capitalize(&error)),
                email: f.email,
                organization: f.organization.unwrap_or_default(),
                ask_org,
                next,
            };
            Ok((status, page).into_response())
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

pub async fn logout(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    // Asked before the session ends: a session begun by SSO also ends at the provider.
    let provider = chorus_app::oidc::end_session_url(&s.app, &user.me, &user.session).await;
    sessions::sign_out(&s.app, &user.me, &user.session).await?;
    let cookie = cookies::set(cookies::SESSION, "", Some(0), "Lax", s.web.secure_cookies);
    Ok(match provider {
        Some(provider_url) => {
            ([(header::SET_COOKIE, cookie)], super::sso::SigningOut { provider_url }).into_response()
        }
        None => ([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset_request.html")]
struct ResetRequestPage {
    chrome: Chrome,
    sent: bool,
}

pub async fn reset_request_form(Csrf(csrf): Csrf) -> Response {
    ResetRequestPage { chrome: Chrome::anonymous(csrf), sent: false }.into_response()
}

#[derive(serde::Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

pub async fn reset_request(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    ClientAddr(addr): ClientAddr,
    PageForm(f): PageForm<EmailForm>,
) -> Result<Response, PageError> {
    sessions::request_reset(&s.app, &f.email, addr).await?;
    Ok(ResetRequestPage { chrome: Chrome::anonymous(csrf), sent: true }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    error: Option<String>,
}

pub async fn reset_form(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    PagePath(token): PagePath<String>,
) -> Result<Response, PageError> {
    sessions::check_reset(&s.app, &token).await?;
    Ok(ResetPage { chrome: Chrome::anonymous(csrf), token, error: None }.into_response())
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn reset(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    ClientAddr(addr): ClientAddr,
    PagePath(token): PagePath<String>,
    PageForm(f): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    match sessions::reset_password(&s.app, &token, &f.password, addr).await {
        Ok(()) => Ok(Redirect::to("/login?notice=password_reset").into_response()),
        Err(Error::Invalid(list)) => {
            let error = list.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ResetPage { chrome: Chrome::anonymous(csrf), token, error: Some(error) },
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    chrome: Chrome,
    token: String,
    org_name: String,
    email: String,
    name: String,
    errors: Vec<FormError>,
}

pub async fn invite_form(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    PagePath(token): PagePath<String>,
) -> Result<Response, PageError> {
    let view = sessions::view_invitation(&s.app, &token).await?;
    Ok(InvitePage {
        chrome: Chrome::anonymous(csrf),
        token,
        org_name: view.org_name,
        email: view.email,
        name: view.name,
        errors: vec![],
    }
    .into_response())
}

pub async fn invite_accept(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    ClientAddr(addr): ClientAddr,
    PagePath(token): PagePath<String>,
    PageForm(f): PageForm<AcceptInput>,
) -> Result<Response, PageError> {
    match sessions::accept_invitation(&s.app, &token, &f, addr).await {
        Ok(signed) => Ok(signed_in(&s, &signed, "/?notice=welcome")),
        Err(e) => {
            let errors = form_errors(e)?;
            let view = sessions::view_invitation(&s.app, &token).await?;
            let page = InvitePage {
                chrome: Chrome::anonymous(csrf),
                token,
                org_name: view.org_name,
                email: view.email,
                name: f.name,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for ok in ["/", "/review?tab=mine", "/s/abc"] {
            assert_eq!(safe_next(ok), ok);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/x",
            "/a b",
            "",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
