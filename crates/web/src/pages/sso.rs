//! Single sign-on pages: the settings form (`/settings/sso`, owners and admins), "Sign in with
//! SSO" (`/login/sso`: the organization's short name, then off to its provider) and the
//! provider's way back (`/auth/oidc/callback`). The rules live in `chorus_app::oidc`.

use super::{Chrome, FormError, NoticeQuery, error_page, form_errors, when};
use crate::{
    AppState, cookies,
    error::PageError,
    extract::{ClientAddr, Csrf, PageForm, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chorus_app::oidc::{self, Callback, ProviderInput, ProviderView};

/// Binds a sign-in under way to the browser that started it (its hash is stored with the state).
const BROWSER_COOKIE: &str = "chorus_oidc";
/// As long as a started sign-in lives (`chorus_app::oidc`).
const BROWSER_COOKIE_AGE: i64 = 600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/sso", get(settings).post(save))
        .route("/settings/sso/remove", post(remove))
        .route(
            "/login/sso",
            get(login_form)
                .post(login)
                .layer(axum::middleware::map_response(crate::headers::allow_sso_redirect)),
        )
        .route(oidc::CALLBACK_PATH, get(callback))
}

// ------------------------------------------------------------------------------------ settings

/// The form as shown (saved values, or what was typed when it was refused).
#[derive(Default)]
struct Draft {
    issuer: String,
    client_id: String,
    department_claim: String,
    title_claim: String,
    trust_unverified_email: bool,
    sso_only: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "sso/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    saved: Option<ProviderView>,
    saved_at: String,
    draft: Draft,
    redirect_uri: String,
    post_logout_uri: String,
}

async fn settings_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: Option<Draft>,
    notice: Option<&str>,
) -> Result<SettingsPage, PageError> {
    let saved = oidc::get(&s.app, &user.me.caller).await?;
    let draft = draft.unwrap_or_else(|| match &saved {
        Some(p) => Draft {
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            department_claim: p.department_claim.clone(),
            title_claim: p.title_claim.clone(),
            trust_unverified_email: p.trust_unverified_email,
            sso_only: p.sso_only,
        },
        None => Draft {
            department_claim: chorus_domain::sso::DEFAULT_DEPARTMENT_CLAIM.into(),
            title_claim: chorus_domain::sso::DEFAULT_TITLE_CLAIM.into(),
            ..Draft::default()
        },
    });
    Ok(SettingsPage {
        chrome: Chrome::for_user(user, "sso").notice(notice),
        errors,
        saved_at: saved.as_ref().map(|p| when(p.updated_at)).unwrap_or_default(),
        saved,
        draft,
        redirect_uri: oidc::redirect_uri(&s.app),
        post_logout_uri: oidc::post_logout_uri(&s.app),
    })
}

/// `GET /settings/sso` (owners and admins).
pub async fn settings(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(settings_page(&s, &user, vec![], None, q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    department_claim: String,
    #[serde(default)]
    title_claim: String,
    #[serde(default)]
    trust_unverified_email: Option<String>,
    #[serde(default)]
    sso_only: Option<String>,
}

/// `POST /settings/sso`: saves after checking the issuer by discovery.
pub async fn save(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    let input = ProviderInput {
        issuer: f.issuer.clone(),
        client_id: f.client_id.clone(),
        client_secret: Some(f.client_secret),
        department_claim: Some(f.department_claim.clone()),
        title_claim: Some(f.title_claim.clone()),
        trust_unverified_email: f.trust_unverified_email.is_some(),
        sso_only: f.sso_only.is_some(),
    };
    match oidc::save(&s.app, &user.me.caller, &input).await {
        Ok(_) => Ok(Redirect::to("/settings/sso?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let draft = Draft {
                issuer: f.issuer,
                client_id: f.client_id,
                department_claim: f.department_claim,
                title_claim: f.title_claim,
                trust_unverified_email: input.trust_unverified_email,
                sso_only: input.sso_only,
            };
            let page = settings_page(&s, &user, errors, Some(draft), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /settings/sso/remove`: single sign-on off; passwords work again.
pub async fn remove(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    oidc::remove(&s.app, &user.me.caller).await?;
    Ok(Redirect::to("/settings/sso?notice=saved").into_response())
}

// ------------------------------------------------------------------------------------ sign-out

/// After a session begun by SSO ends: on to the provider's sign-out. A page, not a redirect,
/// because the sign-out button is a form on every page, and browsers hold a form's redirects to
/// the page's `form-action` (this site only); a refresh and a link are not forms.
#[derive(Template, WebTemplate)]
#[template(path = "sso/signing_out.html")]
pub struct SigningOut {
    pub provider_url: String,
}

// ------------------------------------------------------------------------------------- sign-in

#[derive(Template, WebTemplate)]
#[template(path = "sso/login.html")]
struct LoginPage {
    chrome: Chrome,
    organization: String,
    next: String,
    error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

/// Only local paths, so `next` cannot send people to another site.
fn safe_next(next: Option<&str>) -> String {
    super::auth::safe_next(next.unwrap_or("/")).to_owned()
}

/// `GET /login/sso`: asks for the organization's short name.
pub async fn login_form(Csrf(csrf): Csrf, Query(q): Query<LoginQuery>) -> Response {
    LoginPage {
        chrome: Chrome::anonymous(csrf),
        organization: q.org.unwrap_or_default(),
        next: safe_next(q.next.as_deref()),
        error: None,
    }
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    organization: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login/sso`: sends the browser to the organization's provider.
pub async fn login(
    State(s): State<AppState>,
    Csrf(csrf): Csrf,
    PageForm(f): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(f.next.as_deref());
    match oidc::begin(&s.app, &f.organization, &next).await {
        Ok(started) => {
            let cookie = cookies::set(
                BROWSER_COOKIE,
                &started.browser_token,
                Some(BROWSER_COOKIE_AGE),
                "Lax",
                s.web.secure_cookies,
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&started.authorize_url)).into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let message = errors.iter().map(FormError::message_with_field).collect::<Vec<_>>().join("; ");
            let page = LoginPage {
                chrome: Chrome::anonymous(csrf),
                organization: f.organization,
                next,
                error: Some(message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `GET /auth/oidc/callback`: the provider's answer. Signs in, or shows why not (no session).
pub async fn callback(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let browser = cookies::get(&headers, BROWSER_COOKIE);
    let clear = cookies::set(BROWSER_COOKIE, "", Some(0), "Lax", s.web.secure_cookies);
    match oidc::complete(&s.app, &cb, browser, addr).await {
        Ok(done) => {
            let max_age = s.app.config.session_ttl.whole_seconds();
            let session = cookies::set(
                cookies::SESSION,
                &done.signed_in.token,
                Some(max_age),
                "Lax",
                s.web.secure_cookies,
            );
            let mut response = Redirect::to(&safe_next(Some(&done.next))).into_response();
            response.headers_mut().append(header::SET_COOKIE, session);
            response.headers_mut().append(header::SET_COOKIE, clear);
            response
        }
        Err(refused) => {
            let status = StatusCode::from_u16(refused.status).unwrap_or(StatusCode::UNAUTHORIZED);
            let mut response = error_page(status, "Single sign-on did not work", &refused.message);
            response.headers_mut().append(header::SET_COOKIE, clear);
            response
        }
    }
}
