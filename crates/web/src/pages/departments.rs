use super::{Chrome, FormError, NoticeQuery, form_errors};
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
use chorus_app::{departments, people};
use chorus_domain::{DepartmentId, UserId, UserStatus};

struct DepartmentView {
    id: DepartmentId,
    name: String,
    members: i64,
    leads: Vec<departments::Lead>,
}

#[derive(Template, WebTemplate)]
#[template(path = "departments/list.html")]
struct ListPage {
    chrome: Chrome,
    departments: Vec<DepartmentView>,
    /// (id, name) of active people, for choosing leads.
    people: Vec<(UserId, String)>,
    errors: Vec<FormError>,
}

async fn page(s: &AppState, user: &PageUser, errors: Vec<FormError>) -> Result<ListPage, PageError> {
    let caller = &user.me.caller;
    let leads = departments::leads(&s.app, caller).await?;
    let departments = departments::list(&s.app, caller)
        .await?
        .into_iter()
        .map(|d| DepartmentView {
            leads: leads.iter().filter(|l| l.department_id == d.id).cloned().collect(),
            id: d.id,
            name: d.name,
            members: d.members,
        })
        .collect();
    let people = if user.me.user.role.is_admin() {
        let filter = people::ListFilter { status: Some(UserStatus::Active), ..Default::default() };
        people::directory(&s.app, caller, &filter, 1000).await?.into_iter().map(|p| (p.id, p.name)).collect()
    } else {
        vec![]
    };
    Ok(ListPage { chrome: Chrome::for_user(user, "departments"), departments, people, errors })
}

pub async fn list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut p = page(&s, &user, vec![]).await?;
    p.chrome = p.chrome.notice(q.notice.as_deref());
    Ok(p.into_response())
}

#[derive(serde::Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<NameForm>,
) -> Result<Response, PageError> {
    match departments::create(&s.app, &user.me.caller, &f.name).await {
        Ok(_) => Ok(Redirect::to("/departments?notice=department_created").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(&s, &user, errors).await?).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct LeadForm {
    user_id: String,
    lead: String,
}

pub async fn set_lead(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<DepartmentId>,
    PageForm(f): PageForm<LeadForm>,
) -> Result<Response, PageError> {
    let person: UserId = f.user_id.parse().map_err(|_| chorus_app::Error::NotFound)?;
    departments::set_lead(&s.app, &user.me.caller, id, person, f.lead == "true").await?;
    Ok(Redirect::to("/departments?notice=saved").into_response())
}
