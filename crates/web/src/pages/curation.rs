//! `/feeds` (the subscriptions a department's leads or the social team keep, with each feed's
//! state) and `/curation` (the inbox they fill: one button per action per item). Every form
//! posts and redirects; no JavaScript.

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
use chorus_app::{
    Error, curation, departments,
    feeds::{self, FeedChanges, FeedInput},
};
use chorus_domain::{
    CurationItemId, DepartmentId, FeedId, Invalid,
    curation::{self as rules, FeedStatus, ItemState},
    pagination::{Limit, Page},
};
use uuid::Uuid;

struct FeedView {
    id: String,
    name: String,
    url: String,
    department: String,
    paused: bool,
    interval: i64,
    last_polled: String,
    last_error: String,
    next_poll: String,
    polling: bool,
    items_found: i64,
}

/// What the person had typed, shown again when the form comes back with problems.
#[derive(Default)]
struct FeedDraft {
    url: String,
    title: String,
    department_id: String,
    interval: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "curation/feeds.html")]
struct FeedsPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    feeds: Vec<FeedView>,
    /// (value, label): the departments the caller may add feeds for; "" is organization-wide.
    scopes: Vec<(String, String)>,
    draft: FeedDraft,
}

async fn feeds_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: FeedDraft,
    notice: Option<&str>,
) -> Result<FeedsPage, PageError> {
    let caller = &user.me.caller;
    let feeds = feeds::list(&s.app, caller)
        .await?
        .into_iter()
        .map(|f| FeedView {
            id: f.id.to_string(),
            name: f.display_name().to_owned(),
            department: f.department_name.clone().unwrap_or_else(|| "Whole organization".to_owned()),
            paused: f.status == FeedStatus::Paused,
            interval: f.interval_minutes,
            last_polled: f.last_polled_at.map(when).unwrap_or_else(|| "not yet".to_owned()),
            last_error: f.last_error.clone().unwrap_or_default(),
            next_poll: if f.status == FeedStatus::Paused {
                "paused".to_owned()
            } else if f.queued_at.is_some() {
                "polling now".to_owned()
            } else {
                when(f.next_poll_at)
            },
            polling: f.queued_at.is_some(),
            items_found: f.items_found,
            url: f.url,
        })
        .collect();
    let mut scopes = Vec::new();
    if rules::is_team(&caller.actor) {
        scopes.push((String::new(), "Whole organization".to_owned()));
    }
    for (id, name) in departments::names(&s.app, caller).await? {
        if rules::may_manage_feed(&caller.actor, Some(id)).is_ok() {
            scopes.push((id.to_string(), name));
        }
    }
    Ok(FeedsPage { chrome: Chrome::for_user(user, "curation").notice(notice), errors, feeds, scopes, draft })
}

/// `GET /feeds`.
pub async fn feeds(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(feeds_page(&s, &user, vec![], FeedDraft::default(), q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct FeedForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    interval_minutes: String,
}

fn optional_number(field: &'static str, raw: &str) -> Result<Option<i64>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| Invalid::new(field, "must be a whole number of minutes").into()),
    }
}

/// `POST /feeds`: subscribes.
pub async fn add_feed(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<FeedForm>,
) -> Result<Response, PageError> {
    let draft = FeedDraft {
        url: f.url.clone(),
        title: f.title.clone(),
        department_id: f.department_id.clone(),
        interval: f.interval_minutes.clone(),
    };
    let result = async {
        let department_id = match f.department_id.trim() {
            "" => None,
            d => Some(DepartmentId::from(
                d.parse::<Uuid>().map_err(|_| Invalid::new("department_id", "is not a department"))?,
            )),
        };
        let input = FeedInput {
            url: f.url,
            title: Some(f.title),
            department_id,
            interval_minutes: optional_number("interval_minutes", &f.interval_minutes)?,
        };
        feeds::add(&s.app, &user.me.caller, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/feeds?notice=feed_added").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, feeds_page(&s, &user, errors, draft, None).await?)
                .into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct FeedActionForm {
    /// poll, pause, resume or remove.
    #[serde(default)]
    action: String,
}

/// `POST /feeds/{id}`: poll now, pause, resume or remove.
pub async fn feed_action(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<FeedActionForm>,
) -> Result<Response, PageError> {
    let id = FeedId::from(id);
    let caller = &user.me.caller;
    let result = match f.action.as_str() {
        "poll" => feeds::poll_now(&s.app, caller, id).await.map(|_| "poll_queued"),
        "pause" => {
            feeds::update(&s.app, caller, id, FeedChanges { paused: Some(true), ..Default::default() })
                .await
                .map(|_| "saved")
        }
        "resume" => {
            feeds::update(&s.app, caller, id, FeedChanges { paused: Some(false), ..Default::default() })
                .await
                .map(|_| "saved")
        }
        "remove" => feeds::remove(&s.app, caller, id).await.map(|()| "feed_removed"),
        _ => Err(Invalid::new("action", "must be poll, pause, resume or remove").into()),
    };
    match result {
        Ok(notice) => Ok(Redirect::to(&format!("/feeds?notice={notice}")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                feeds_page(&s, &user, errors, FeedDraft::default(), None).await?,
            )
                .into_response())
        }
    }
}

// ----------------------------------------------------------------------------------- the inbox

struct ItemView {
    id: String,
    title: String,
    url: String,
    summary: String,
    author: String,
    published: String,
    source: String,
    sources: i64,
    submission_id: String,
    decided: String,
}

struct Tab {
    state: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "curation/inbox.html")]
struct InboxPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    state: &'static str,
    tabs: Vec<Tab>,
    items: Vec<ItemView>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct InboxQuery {
    notice: Option<String>,
    state: Option<String>,
    after: Option<String>,
}

async fn inbox_page(
    s: &AppState,
    user: &PageUser,
    q: &InboxQuery,
    errors: Vec<FormError>,
) -> Result<InboxPage, PageError> {
    let caller = &user.me.caller;
    // Unknown states and cursors fall back to the first page of new items (a hand-edited URL).
    let state = q.state.as_deref().and_then(|s| ItemState::parse(s).ok()).unwrap_or(ItemState::New);
    let before = q.after.as_deref().and_then(|a| a.parse::<Uuid>().ok()).map(CurationItemId::from);
    let limit = Limit::new(Some(50));
    let rows = curation::list(&s.app, caller, state, before, limit).await?;
    let page = Page::from_overfetch(rows, limit, |i| i.id.0);
    let counts = curation::counts(&s.app, caller).await?;
    let items = page
        .items
        .into_iter()
        .map(|i| ItemView {
            id: i.id.to_string(),
            title: i.title,
            url: i.canonical_url,
            summary: i.summary,
            author: i.author.unwrap_or_default(),
            published: i.published_at.map(when).unwrap_or_default(),
            source: i.source_title,
            sources: i.sources,
            submission_id: i.submission_id.map(|s| s.to_string()).unwrap_or_default(),
            decided: match (i.decided_by_name, i.decided_at) {
                (Some(who), Some(at)) => format!("{who}, {}", when(at)),
                (None, Some(at)) => when(at),
                _ => String::new(),
            },
        })
        .collect();
    Ok(InboxPage {
        chrome: Chrome::for_user(user, "curation").notice(q.notice.as_deref()),
        errors,
        state: state.as_str(),
        tabs: counts
            .into_iter()
            .map(|(st, count)| Tab { state: st.as_str(), label: st.label(), count, current: st == state })
            .collect(),
        items,
        next: page.next_cursor.map(|c| c.to_string()),
    })
}

/// `GET /curation?state=new|dismissed|submitted`.
pub async fn inbox(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<InboxQuery>,
) -> Result<Response, PageError> {
    Ok(inbox_page(&s, &user, &q, vec![]).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ItemForm {
    /// submit (default) or draft.
    #[serde(default)]
    mode: String,
}

/// `POST /curation/{id}/submission`: turns the item into a submission (handed in for review, or
/// a draft with `mode=draft`).
pub async fn make_submission(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<ItemForm>,
) -> Result<Response, PageError> {
    let draft = f.mode == "draft";
    match curation::to_submission(&s.app, &user.me.caller, CurationItemId::from(id), draft).await {
        Ok(c) => {
            let sid = c.submission.submission.id;
            let notice = if draft {
                "draft_saved"
            } else if c.not_submitted.is_some() {
                "saved_not_submitted"
            } else {
                "submitted"
            };
            Ok(Redirect::to(&format!("/submissions/{sid}?notice={notice}")).into_response())
        }
        Err(e) => inbox_problem(&s, &user, e).await,
    }
}

/// `POST /curation/{id}/dismiss`.
pub async fn dismiss(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(_f): PageForm<ItemForm>,
) -> Result<Response, PageError> {
    match curation::dismiss(&s.app, &user.me.caller, CurationItemId::from(id)).await {
        Ok(_) => Ok(Redirect::to("/curation?notice=item_dismissed").into_response()),
        Err(e) => inbox_problem(&s, &user, e).await,
    }
}

async fn inbox_problem(s: &AppState, user: &PageUser, e: Error) -> Result<Response, PageError> {
    let status =
        if matches!(e, Error::Conflict(_)) { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
    let errors = form_errors(e)?;
    let q = InboxQuery { notice: None, state: None, after: None };
    Ok((status, inbox_page(s, user, &q, errors).await?).into_response())
}
