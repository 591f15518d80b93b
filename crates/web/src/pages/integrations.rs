//! `/integrations`: Slack and Microsoft Teams incoming webhooks (owners and admins): add one,
//! choose its events, pause it, replace its URL, send a test message, see its last delivery or
//! error. The URL is never shown back (only its host and last four characters).

use super::{Chrome, FormError, NoticeQuery, form_errors, when};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chorus_app::chat::{self, IntegrationChanges, IntegrationInput};
use chorus_domain::{
    ChatIntegrationId, Invalid,
    chat::{ChatKind, EVENTS},
};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/integrations", get(show).post(create))
        .route("/integrations/{id}", post(change))
        .route("/integrations/{id}/test", post(test))
}

struct IntegrationView {
    id: String,
    kind_label: &'static str,
    name: String,
    url_hint: String,
    /// (value, label, chosen)
    events: Vec<(&'static str, &'static str, bool)>,
    paused: bool,
    last_delivered: String,
    last_error: String,
    last_error_at: String,
}

#[derive(Default)]
struct Draft {
    kind: String,
    name: String,
    events: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "integrations/page.html")]
struct Page {
    chrome: Chrome,
    errors: Vec<FormError>,
    integrations: Vec<IntegrationView>,
    events: &'static [(&'static str, &'static str)],
    draft: Draft,
    tested: bool,
}

async fn page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: Draft,
    notice: Option<&str>,
) -> Result<Page, PageError> {
    let integrations = chat::list(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|i| IntegrationView {
            id: i.id.to_string(),
            kind_label: ChatKind::parse(&i.kind).map(ChatKind::label).unwrap_or("Chat"),
            events: EVENTS.iter().map(|(v, l)| (*v, *l, i.events.iter().any(|e| e == v))).collect(),
            paused: i.status == chat::PAUSED,
            last_delivered: i.last_delivered_at.map(when).unwrap_or_default(),
            last_error: i.last_error.unwrap_or_default(),
            last_error_at: i.last_error_at.map(when).unwrap_or_default(),
            name: i.name,
            url_hint: i.url_hint,
        })
        .collect();
    Ok(Page {
        chrome: Chrome::for_user(user, "integrations").notice(notice.filter(|n| *n != "tested")),
        errors,
        integrations,
        events: &EVENTS,
        draft,
        tested: notice == Some("tested"),
    })
}

/// `GET /integrations` (owners and admins).
pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(page(&s, &user, vec![], Draft { kind: "slack".into(), ..Draft::default() }, q.notice.as_deref())
        .await?
        .into_response())
}

/// The form's fields; `events` may repeat.
fn fields(pairs: Vec<(String, String)>) -> (std::collections::HashMap<String, String>, Vec<String>) {
    let mut one = std::collections::HashMap::new();
    let mut events = Vec::new();
    for (k, v) in pairs {
        if k == "events" {
            events.push(v);
        } else {
            one.insert(k, v);
        }
    }
    (one, events)
}

/// `POST /integrations`: adds an integration.
pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (f, events) = fields(pairs);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let draft = Draft { kind: get("kind"), name: get("name"), events: events.clone() };
    let input =
        IntegrationInput { kind: get("kind"), name: get("name"), url: get("url"), events, status: None };
    match chat::create(&s.app, &user.me.caller, input).await {
        Ok(_) => Ok(Redirect::to("/integrations?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&s, &user, errors, draft, None).await?)
                .into_response())
        }
    }
}

/// `POST /integrations/{id}`: `action=save` (name, events, paused, and a new URL when given) or
/// `action=delete`.
pub async fn change(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = ChatIntegrationId::from(id);
    let (f, events) = fields(pairs);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let caller = &user.me.caller;
    let result = match get("action").as_str() {
        "delete" => chat::delete(&s.app, caller, id).await,
        "save" | "" => {
            let url = get("url");
            let c = IntegrationChanges {
                name: Some(get("name")),
                url: Some(url).filter(|u| !u.trim().is_empty()),
                events: Some(events),
                status: Some(if f.contains_key("paused") { chat::PAUSED } else { chat::ACTIVE }.to_owned()),
            };
            chat::update(&s.app, caller, id, c).await.map(drop)
        }
        _ => Err(Invalid::new("action", "must be save or delete").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/integrations?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&s, &user, errors, Draft::default(), None).await?)
                .into_response())
        }
    }
}

/// `POST /integrations/{id}/test`: queues a test message.
pub async fn test(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    chat::send_test(&s.app, &user.me.caller, ChatIntegrationId::from(id)).await?;
    Ok(Redirect::to("/integrations?notice=tested").into_response())
}
