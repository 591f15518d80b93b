//! The directory, invitations, CSV import and person pages.

use super::{Chrome, FormError, NoticeQuery, form_errors, role_choices};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Multipart, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    departments::{self, Department},
    people::{self, ImportReport, ListFilter, NewPerson, PersonChanges, User},
};
use chorus_domain::{UserId, UserStatus};

/// The largest CSV accepted (about 5,000 rows of generous width).
pub const IMPORT_LIMIT: usize = 2 * 1024 * 1024;
const DIRECTORY_LIMIT: u32 = 500;

#[derive(Template, WebTemplate)]
#[template(path = "people/list.html")]
struct ListPage {
    chrome: Chrome,
    people: Vec<User>,
    q: String,
    status: String,
    truncated: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    department: String,
    notice: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let filter = ListFilter {
        after: None,
        query: Some(q.q.trim().to_owned()).filter(|s| !s.is_empty()),
        department_id: q.department.parse().ok(),
        status: q.status.parse::<UserStatus>().ok(),
    };
    let mut people = people::directory(&s.app, &user.me.caller, &filter, DIRECTORY_LIMIT + 1).await?;
    let truncated = people.len() > DIRECTORY_LIMIT as usize;
    people.truncate(DIRECTORY_LIMIT as usize);
    Ok(ListPage {
        chrome: Chrome::for_user(&user, "people").notice(q.notice.as_deref()),
        people,
        q: q.q,
        status: q.status,
        truncated,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "people/new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewPerson,
    departments: Vec<Department>,
    roles: Vec<(&'static str, &'static str)>,
    errors: Vec<FormError>,
}

pub async fn new(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    chorus_domain::authorize(
        &user.me.caller.actor,
        chorus_domain::Action::InvitePerson { role: chorus_domain::Role::Employee },
    )
    .map_err(chorus_app::Error::from)?;
    let departments = departments::list(&s.app, &user.me.caller).await?;
    let form = NewPerson { role: Some("employee".into()), ..NewPerson::default() };
    Ok(NewPage {
        chrome: Chrome::for_user(&user, "people"),
        form,
        departments,
        roles: role_choices(),
        errors: vec![],
    }
    .into_response())
}

pub async fn invite(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(form): PageForm<NewPerson>,
) -> Result<Response, PageError> {
    match people::invite(&s.app, &user.me.caller, &form).await {
        Ok(_) => Ok(Redirect::to("/people?notice=invited").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let departments = departments::list(&s.app, &user.me.caller).await?;
            let page = NewPage {
                chrome: Chrome::for_user(&user, "people"),
                form,
                departments,
                roles: role_choices(),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/import.html")]
struct ImportPage {
    chrome: Chrome,
    report: Option<ImportReport>,
    error: Option<String>,
}

pub async fn import_form(user: PageUser) -> Result<Response, PageError> {
    chorus_domain::authorize(
        &user.me.caller.actor,
        chorus_domain::Action::InvitePerson { role: chorus_domain::Role::Employee },
    )
    .map_err(chorus_app::Error::from)?;
    Ok(ImportPage { chrome: Chrome::for_user(&user, "people"), report: None, error: None }.into_response())
}

pub async fn import(
    State(s): State<AppState>,
    user: PageUser,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let page = |report, error: Option<String>| ImportPage {
        chrome: Chrome::for_user(&user, "people"),
        report,
        error,
    };
    let mut csv = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(bytes) => csv = Some(bytes),
                Err(e) => {
                    return Ok((
                        StatusCode::BAD_REQUEST,
                        page(None, Some(format!("The file could not be read: {e}"))),
                    )
                        .into_response());
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return Ok((
                    StatusCode::BAD_REQUEST,
                    page(None, Some(format!("The upload could not be read: {e}"))),
                )
                    .into_response());
            }
        }
    }
    let Some(bytes) = csv else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(None, Some("Choose a CSV file to import.".into())),
        )
            .into_response());
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page(None, Some("The file must be UTF-8 text (CSV).".into())),
        )
            .into_response());
    };
    match people::import_csv(&s.app, &user.me.caller, text).await {
        Ok(report) => Ok(page(Some(report), None).into_response()),
        Err(chorus_app::Error::Invalid(list)) => {
            let msg = list.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ");
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(None, Some(format!("The file was not imported: {msg}."))),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "people/show.html")]
struct ShowPage {
    chrome: Chrome,
    person: User,
    role_label: &'static str,
    seniority: String,
    departments: Vec<Department>,
    roles: Vec<(&'static str, &'static str)>,
    can_edit: bool,
    is_me: bool,
    errors: Vec<FormError>,
}

async fn show_page(
    s: &AppState,
    user: &PageUser,
    id: UserId,
    errors: Vec<FormError>,
) -> Result<ShowPage, PageError> {
    let person = people::get(&s.app, &user.me.caller, id).await?;
    let departments = departments::list(&s.app, &user.me.caller).await?;
    let is_me = person.id == user.me.id();
    Ok(ShowPage {
        chrome: Chrome::for_user(user, "people"),
        role_label: person.role.label(),
        seniority: person.seniority.map(|s| s.to_string()).unwrap_or_default(),
        can_edit: is_me || user.me.user.role.is_admin(),
        is_me,
        person,
        departments,
        roles: role_choices(),
        errors,
    })
}

pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<UserId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = show_page(&s, &user, id, vec![]).await?;
    page.chrome = page.chrome.notice(q.notice.as_deref());
    Ok(page.into_response())
}

pub async fn update(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<UserId>,
    PageForm(changes): PageForm<PersonChanges>,
) -> Result<Response, PageError> {
    // Fields an employee's form does not show must not be read as "cleared".
    let changes = if user.me.user.role.is_admin() {
        // The form always shows the role; only an actual change is a request to change it.
        let current = people::get(&s.app, &user.me.caller, id).await?;
        let role = changes.role.filter(|r| r != current.role.as_str());
        PersonChanges { role, ..changes }
    } else {
        PersonChanges { name: changes.name, title: changes.title, ..PersonChanges::default() }
    };
    match people::update(&s.app, &user.me.caller, id, &changes).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}?notice=saved")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, show_page(&s, &user, id, errors).await?).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<UserId>,
    PageForm(f): PageForm<StatusForm>,
) -> Result<Response, PageError> {
    let changes = PersonChanges { status: Some(f.status), ..PersonChanges::default() };
    match people::update(&s.app, &user.me.caller, id, &changes).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}?notice=saved")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::CONFLICT, show_page(&s, &user, id, errors).await?).into_response())
        }
    }
}

pub async fn reinvite(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<UserId>,
) -> Result<Response, PageError> {
    people::resend_invitation(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to(&format!("/people/{id}?notice=reinvited")).into_response())
}
