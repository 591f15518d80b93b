//! One's own account and tokens, and the admins' audit log.

use super::{Chrome, FormError, NoticeQuery, form_errors, when};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{audit, people, sessions, tokens};
use chorus_domain::{AuditEventId, TokenId, UserId, pagination::Limit};

#[derive(Template, WebTemplate)]
#[template(path = "account/show.html")]
struct AccountPage {
    chrome: Chrome,
    email: String,
    role_label: &'static str,
    user_id: UserId,
    errors: Vec<FormError>,
}

fn account_page(user: &PageUser, errors: Vec<FormError>) -> AccountPage {
    AccountPage {
        chrome: Chrome::for_user(user, "account"),
        email: user.me.user.email.clone(),
        role_label: user.me.user.role.label(),
        user_id: user.me.id(),
        errors,
    }
}

pub async fn show(user: PageUser, Query(q): Query<NoticeQuery>) -> Response {
    let mut page = account_page(&user, vec![]);
    page.chrome = page.chrome.notice(q.notice.as_deref());
    page.into_response()
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    match sessions::change_password(&s.app, &user.me, Some(&user.session), &f.current, &f.new).await {
        Ok(()) => Ok(Redirect::to("/account?notice=password_changed").into_response()),
        Err(e) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, account_page(&user, form_errors(e)?)).into_response())
        }
    }
}

struct TokenView {
    id: TokenId,
    label: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenView>,
    new_secret: Option<String>,
    errors: Vec<FormError>,
}

async fn tokens_page(
    s: &AppState,
    user: &PageUser,
    new_secret: Option<String>,
    errors: Vec<FormError>,
) -> Result<TokensPage, PageError> {
    let tokens = tokens::list(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            label: t.label,
            prefix: t.prefix,
            created: when(t.created_at),
            last_used: t.last_used_at.map_or_else(|| "never".into(), when),
            revoked: t.revoked_at.is_some(),
        })
        .collect();
    Ok(TokensPage { chrome: Chrome::for_user(user, "account"), tokens, new_secret, errors })
}

pub async fn tokens(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = tokens_page(&s, &user, None, vec![]).await?;
    page.chrome = page.chrome.notice(q.notice.as_deref());
    Ok(page.into_response())
}

#[derive(serde::Deserialize)]
pub struct LabelForm {
    #[serde(default)]
    label: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<LabelForm>,
) -> Result<Response, PageError> {
    match tokens::create(&s.app, &user.me.caller, &f.label).await {
        // Rendered directly (not redirected): the secret must never be in a URL or stored.
        Ok(created) => Ok(tokens_page(&s, &user, Some(created.secret), vec![]).await?.into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, tokens_page(&s, &user, None, errors).await?)
                .into_response())
        }
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<TokenId>,
) -> Result<Response, PageError> {
    tokens::revoke(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to("/account/tokens?notice=revoked").into_response())
}

struct EventView {
    at: String,
    actor: String,
    action: String,
    detail: String,
    client_addr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
struct AuditPage {
    chrome: Chrome,
    events: Vec<EventView>,
    actions: Vec<String>,
    people: Vec<(String, String)>,
    action: String,
    actor: String,
    next_page: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    before: String,
}

const AUDIT_PAGE: u32 = 100;

pub async fn audit(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let filter = audit::Filter {
        before: q.before.parse::<AuditEventId>().ok(),
        action: Some(q.action.clone()).filter(|a| !a.is_empty()),
        actor_id: q.actor.parse().ok(),
        since: None,
        until: None,
    };
    let mut events = audit::list(&s.app, caller, &filter, Limit::new(Some(AUDIT_PAGE + 1))).await?;
    let more = events.len() > AUDIT_PAGE as usize;
    events.truncate(AUDIT_PAGE as usize);
    let next_page = more.then(|| events.last()).flatten().map(|last| {
        let query =
            [("action", q.action.as_str()), ("actor", q.actor.as_str()), ("before", &last.id.to_string())];
        format!("/audit?{}", serde_urlencoded::to_string(query).unwrap_or_default())
    });
    let actions = audit::actions(&s.app, caller).await?;
    let people = people::directory(&s.app, caller, &people::ListFilter::default(), 1000)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let events = events
        .into_iter()
        .map(|e| EventView {
            at: when(e.at),
            actor: e.actor_label,
            action: e.action,
            detail: if e.detail == "{}" { String::new() } else { e.detail },
            client_addr: e.client_addr.unwrap_or_default(),
        })
        .collect();
    Ok(AuditPage {
        chrome: Chrome::for_user(&user, "audit"),
        events,
        actions,
        people,
        action: q.action,
        actor: q.actor,
        next_page,
    }
    .into_response())
}
