//! The company's own accounts (`/company-accounts`, kept by the social team and admins; shown on
//! everyone's home) and the follow lists (`/follow`, every department's list; `/follow/{id}`, one
//! department's, kept by its leads, the social team and admins).

use super::{Chrome, FormError, NoticeQuery, form_errors};
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
use chorus_app::{
    Error,
    social::{self, AccountChanges, AccountInput, EntryChanges, EntryInput},
};
use chorus_domain::{
    CompanyAccountId, DepartmentId, FollowEntryId, Invalid,
    social::{FOLLOW_KINDS, NETWORKS, kind_label, network_label},
};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/company-accounts", get(accounts).post(add_account))
        .route("/company-accounts/{id}", post(change_account))
        .route("/follow", get(follow_all))
        .route("/follow/{department}", get(follow_one).post(add_entry))
        .route("/follow/{department}/{id}", post(change_entry))
}

/// One company account, for pages (home included).
pub struct AccountView {
    pub id: String,
    pub network: String,
    pub network_label: &'static str,
    pub handle: String,
    pub url: String,
}

/// The directory as pages show it.
pub async fn account_views(s: &AppState, user: &PageUser) -> Result<Vec<AccountView>, Error> {
    Ok(social::accounts(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|a| AccountView {
            id: a.id.to_string(),
            network_label: network_label(&a.network),
            network: a.network,
            handle: a.handle,
            url: a.url,
        })
        .collect())
}

#[derive(Default)]
struct AccountDraft {
    network: String,
    handle: String,
    url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    manage: bool,
    errors: Vec<FormError>,
    accounts: Vec<AccountView>,
    networks: &'static [(&'static str, &'static str)],
    draft: AccountDraft,
}

async fn accounts_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: AccountDraft,
    notice: Option<&str>,
) -> Result<AccountsPage, PageError> {
    Ok(AccountsPage {
        chrome: Chrome::for_user(user, "company-accounts").notice(notice),
        manage: chorus_domain::social::may_manage_accounts(&user.me.caller.actor).is_ok(),
        errors,
        accounts: account_views(s, user).await?,
        networks: &NETWORKS,
        draft,
    })
}

/// `GET /company-accounts`.
pub async fn accounts(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(accounts_page(&s, &user, vec![], AccountDraft::default(), q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    network: String,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    url: String,
    /// `save` or `delete` (changes only).
    #[serde(default)]
    action: String,
}

/// `POST /company-accounts`: adds an account.
pub async fn add_account(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<AccountForm>,
) -> Result<Response, PageError> {
    chorus_domain::social::may_manage_accounts(&user.me.caller.actor).map_err(Error::from)?;
    let draft = AccountDraft { network: f.network.clone(), handle: f.handle.clone(), url: f.url.clone() };
    let input = AccountInput { network: f.network, handle: f.handle, url: f.url };
    match social::add_account(&s.app, &user.me.caller, input).await {
        Ok(_) => Ok(Redirect::to("/company-accounts?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, accounts_page(&s, &user, errors, draft, None).await?)
                .into_response())
        }
    }
}

/// `POST /company-accounts/{id}`: saves (`action=save`) or removes (`action=delete`) an account.
pub async fn change_account(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<AccountForm>,
) -> Result<Response, PageError> {
    let id = CompanyAccountId::from(id);
    let caller = &user.me.caller;
    let result = match f.action.as_str() {
        "delete" => social::delete_account(&s.app, caller, id).await,
        "save" | "" => {
            let c = AccountChanges {
                network: Some(f.network),
                handle: Some(f.handle),
                url: Some(f.url),
                position: None,
            };
            social::update_account(&s.app, caller, id, c).await.map(drop)
        }
        _ => Err(Invalid::new("action", "must be save or delete").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/company-accounts?notice=saved").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = accounts_page(&s, &user, errors, AccountDraft::default(), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// --------------------------------------------------------------------------------- follow lists

struct EntryView {
    id: String,
    name: String,
    url: String,
    kind: String,
    kind_label: &'static str,
    note: String,
}

struct ListView {
    department_id: String,
    department_name: String,
    editable: bool,
    entries: Vec<EntryView>,
}

fn list_view(l: social::FollowList) -> ListView {
    ListView {
        department_id: l.department_id.to_string(),
        department_name: l.department_name,
        editable: l.editable,
        entries: l
            .entries
            .into_iter()
            .map(|e| EntryView {
                id: e.id.to_string(),
                kind_label: kind_label(&e.kind),
                name: e.name,
                url: e.url,
                kind: e.kind,
                note: e.note,
            })
            .collect(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/follow_all.html")]
struct FollowAllPage {
    chrome: Chrome,
    lists: Vec<ListView>,
}

/// `GET /follow`: every department's list.
pub async fn follow_all(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let lists = social::follow_lists(&s.app, &user.me.caller).await?.into_iter().map(list_view).collect();
    Ok(FollowAllPage { chrome: Chrome::for_user(&user, "follow").notice(q.notice.as_deref()), lists }
        .into_response())
}

#[derive(Default)]
struct EntryDraft {
    name: String,
    url: String,
    kind: String,
    note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/follow_one.html")]
struct FollowOnePage {
    chrome: Chrome,
    list: ListView,
    errors: Vec<FormError>,
    kinds: &'static [(&'static str, &'static str)],
    draft: EntryDraft,
}

async fn follow_page(
    s: &AppState,
    user: &PageUser,
    department: DepartmentId,
    errors: Vec<FormError>,
    draft: EntryDraft,
    notice: Option<&str>,
) -> Result<FollowOnePage, PageError> {
    let list = list_view(social::follow_list(&s.app, &user.me.caller, department).await?);
    Ok(FollowOnePage {
        chrome: Chrome::for_user(user, "follow").notice(notice),
        list,
        errors,
        kinds: &FOLLOW_KINDS,
        draft,
    })
}

/// `GET /follow/{department}`.
pub async fn follow_one(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(department): PagePath<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let page = follow_page(
        &s,
        &user,
        DepartmentId::from(department),
        vec![],
        EntryDraft::default(),
        q.notice.as_deref(),
    )
    .await?;
    Ok(page.into_response())
}

#[derive(serde::Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    action: String,
}

/// `POST /follow/{department}`: adds an entry.
pub async fn add_entry(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(department): PagePath<Uuid>,
    PageForm(f): PageForm<EntryForm>,
) -> Result<Response, PageError> {
    let department = DepartmentId::from(department);
    let draft =
        EntryDraft { name: f.name.clone(), url: f.url.clone(), kind: f.kind.clone(), note: f.note.clone() };
    let input = EntryInput { name: f.name, url: f.url, kind: f.kind, note: f.note };
    match social::add_entry(&s.app, &user.me.caller, department, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/follow/{department}?notice=saved")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = follow_page(&s, &user, department, errors, draft, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `POST /follow/{department}/{id}`: saves (`action=save`) or removes (`action=delete`) an entry.
pub async fn change_entry(
    State(s): State<AppState>,
    user: PageUser,
    PagePath((department, id)): PagePath<(Uuid, Uuid)>,
    PageForm(f): PageForm<EntryForm>,
) -> Result<Response, PageError> {
    let (department, id) = (DepartmentId::from(department), FollowEntryId::from(id));
    let caller = &user.me.caller;
    let result = match f.action.as_str() {
        "delete" => social::delete_entry(&s.app, caller, department, id).await,
        "save" | "" => {
            let c =
                EntryChanges { name: Some(f.name), url: Some(f.url), kind: Some(f.kind), note: Some(f.note) };
            social::update_entry(&s.app, caller, department, id, c).await.map(drop)
        }
        _ => Err(Invalid::new("action", "must be save or delete").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/follow/{department}?notice=saved")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let page = follow_page(&s, &user, department, errors, EntryDraft::default(), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
