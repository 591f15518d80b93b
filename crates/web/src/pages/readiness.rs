//! The social-readiness page (SPEC §3): the radar of the latest assessment over the previous one,
//! the trend, the action checklist, and for owners and admins the rating form and the checklist
//! editor. Everyone in the organization may look (culture-building; see
//! `chorus_domain::readiness::may_view`). Every form posts and redirects; no JavaScript.

use super::{Chrome, FormError, NoticeQuery, day, form_errors};
use crate::{
    AppState, chart,
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
    Error,
    readiness::{self, ActionChanges, ActionInput, AssessmentInput},
};
use chorus_domain::{
    Action, ActionItemId, Invalid, UserId, authorize,
    readiness::{ActionStatus, Discipline, SCALE, Scores},
};
use std::collections::HashMap;
use uuid::Uuid;

/// Rating fields are named `rate-<statement key>`.
const RATE_PREFIX: &str = "rate-";

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".to_owned())
}

fn change(latest: Option<f64>, previous: Option<f64>) -> String {
    match (latest, previous) {
        (Some(l), Some(p)) => {
            let d = ((l - p) * 100.0).round() / 100.0;
            if d > 0.0 {
                format!("+{d:.2}")
            } else if d < 0.0 {
                format!("−{:.2}", -d)
            } else {
                "0.00".to_owned()
            }
        }
        _ => "—".to_owned(),
    }
}

/// One discipline in the table next to the radar.
struct CompareRow {
    label: &'static str,
    latest: String,
    previous: String,
    change: String,
}

/// One assessment in the trend table.
struct TrendRow {
    id: String,
    when: String,
    by: String,
    values: Vec<String>,
    overall: String,
    note: String,
}

struct ActionView {
    id: String,
    title: String,
    owner_id: String,
    owner_name: String,
    due_on: String,
    status: &'static str,
    status_label: &'static str,
}

struct StatementView {
    key: &'static str,
    text: &'static str,
    /// (value, meaning, chosen)
    options: Vec<(u8, &'static str, bool)>,
    /// The form came back without a valid rating for this one.
    missing: bool,
}

struct DisciplineForm {
    key: &'static str,
    label: &'static str,
    question: &'static str,
    statements: Vec<StatementView>,
}

/// What the person had typed, shown again when a form comes back with problems.
#[derive(Default)]
struct Draft {
    ratings: HashMap<String, String>,
    note: String,
    /// Whether the rating form was the one sent (mark unrated statements).
    assessment: bool,
    action_title: String,
    action_due: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "readiness/page.html")]
struct ReadinessPage {
    chrome: Chrome,
    manage: bool,
    errors: Vec<FormError>,
    count: usize,
    latest_when: String,
    previous_when: String,
    chart: String,
    compare: Vec<CompareRow>,
    overall_latest: String,
    overall_previous: String,
    overall_change: String,
    disciplines: Vec<&'static str>,
    trend: Vec<TrendRow>,
    checklist: Vec<ActionView>,
    done: usize,
    statuses: Vec<(&'static str, &'static str)>,
    owners: Vec<(String, String)>,
    form: Vec<DisciplineForm>,
    scale: Vec<(u8, &'static str)>,
    draft: Draft,
}

async fn page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    draft: Draft,
    notice: Option<&str>,
) -> Result<ReadinessPage, PageError> {
    let caller = &user.me.caller;
    let manage = authorize(&caller.actor, Action::ManageEnablement).is_ok();
    let assessments = readiness::list(&s.app, caller).await?;
    let scored: Vec<(&readiness::Assessment, Scores)> =
        assessments.iter().map(|a| (a, readiness::scores(a))).collect();
    let latest = scored.last();
    let previous = scored.len().checked_sub(2).and_then(|i| scored.get(i));
    let labels: Vec<&'static str> = Discipline::ALL.iter().map(|d| d.label()).collect();
    let values = |sc: &Scores| -> Vec<f64> { sc.iter().map(|(_, v)| v.unwrap_or(0.0)).collect() };
    let latest_when = latest.map(|(a, _)| day(a.created_at)).unwrap_or_default();
    let previous_when = previous.map(|(a, _)| day(a.created_at)).unwrap_or_default();
    let chart = match latest {
        None => String::new(),
        Some((_, l)) => {
            let latest_name = format!("Latest ({latest_when})");
            let previous_name = format!("Previous ({previous_when})");
            let mut series = vec![(latest_name.as_str(), values(l))];
            if let Some((_, p)) = previous {
                series.push((previous_name.as_str(), values(p)));
            }
            chart::radar(
                "readiness-radar",
                "Social readiness by discipline: the latest assessment over the previous one",
                &labels,
                &series,
            )
        }
    };
    let compare = Discipline::ALL
        .iter()
        .map(|d| {
            let l = latest.and_then(|(_, sc)| sc.of(*d));
            let p = previous.and_then(|(_, sc)| sc.of(*d));
            CompareRow { label: d.label(), latest: number(l), previous: number(p), change: change(l, p) }
        })
        .collect();
    let (ol, op) = (latest.and_then(|(_, sc)| sc.overall), previous.and_then(|(_, sc)| sc.overall));
    let trend = scored
        .iter()
        .map(|(a, sc)| TrendRow {
            id: a.id.to_string(),
            when: day(a.created_at),
            by: a.created_by_name.clone().unwrap_or_default(),
            values: sc.iter().map(|(_, v)| number(v)).collect(),
            overall: number(sc.overall),
            note: a.note.clone(),
        })
        .collect();
    let checklist: Vec<ActionView> = readiness::checklist(&s.app, caller)
        .await?
        .into_iter()
        .map(|a| ActionView {
            id: a.id.to_string(),
            title: a.title,
            owner_id: a.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            owner_name: a.owner_name.unwrap_or_default(),
            due_on: a.due_on.unwrap_or_default(),
            status: a.status.as_str(),
            status_label: a.status.label(),
        })
        .collect();
    let owners = if manage {
        readiness::possible_owners(&s.app, caller)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    } else {
        Vec::new()
    };
    let form = Discipline::ALL
        .iter()
        .map(|d| DisciplineForm {
            key: d.as_str(),
            label: d.label(),
            question: d.question(),
            statements: d
                .statements()
                .map(|st| {
                    let chosen = draft.ratings.get(st.key).and_then(|v| v.trim().parse::<u8>().ok());
                    StatementView {
                        key: st.key,
                        text: st.text,
                        options: SCALE.iter().map(|(v, m)| (*v, *m, chosen == Some(*v))).collect(),
                        missing: draft.assessment && !chosen.is_some_and(|c| (1..=5).contains(&c)),
                    }
                })
                .collect(),
        })
        .collect();
    Ok(ReadinessPage {
        chrome: Chrome::for_user(user, "readiness").notice(notice),
        manage,
        errors,
        count: assessments.len(),
        latest_when,
        previous_when,
        chart,
        compare,
        overall_latest: number(ol),
        overall_previous: number(op),
        overall_change: change(ol, op),
        disciplines: labels,
        trend,
        done: checklist.iter().filter(|a| a.status == ActionStatus::Done.as_str()).count(),
        checklist,
        statuses: ActionStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        owners,
        form,
        scale: SCALE.to_vec(),
        draft,
    })
}

/// A page that came back with problems: the same page, 422, with the messages.
async fn with_problems(s: &AppState, user: &PageUser, e: Error, draft: Draft) -> Result<Response, PageError> {
    let errors = form_errors(e)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page(s, user, errors, draft, None).await?).into_response())
}

/// `GET /readiness`.
pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(page(&s, &user, vec![], Draft::default(), q.notice.as_deref()).await?.into_response())
}

/// `POST /readiness`: records an assessment from `rate-<key>` = 1–5 and `note`.
pub async fn record(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // Refuse people who may not record before reading their form (the use case checks again).
    authorize(&user.me.caller.actor, Action::ManageEnablement).map_err(Error::from)?;
    let mut draft = Draft { assessment: true, ..Draft::default() };
    let mut ratings = Vec::new();
    let mut unreadable = Vec::new();
    for (name, value) in fields {
        if name == "note" {
            draft.note = value;
        } else if let Some(key) = name.strip_prefix(RATE_PREFIX) {
            match value.trim().parse::<i64>() {
                Ok(v) => ratings.push((key.to_owned(), v)),
                Err(_) => unreadable.push(Invalid::new(
                    "ratings",
                    format!(
                        "for {} must be a whole number from 1 to 5",
                        key.chars().take(60).collect::<String>()
                    ),
                )),
            }
            draft.ratings.insert(key.to_owned(), value);
        }
    }
    let result = if unreadable.is_empty() {
        readiness::record(
            &s.app,
            &user.me.caller,
            AssessmentInput { ratings, note: Some(draft.note.clone()) },
        )
        .await
        .map(|_| ())
    } else {
        Err(Error::Invalid(unreadable))
    };
    match result {
        Ok(()) => Ok(Redirect::to("/readiness?notice=saved").into_response()),
        Err(e) => with_problems(&s, &user, e, draft).await,
    }
}

/// An optional person from a `<select>`: empty for nobody.
fn owner_field(raw: &str) -> Result<Option<UserId>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse::<Uuid>()
            .map(|u| Some(UserId::from(u)))
            .map_err(|_| Invalid::new("owner_id", "is not a person of this organization").into()),
    }
}

#[derive(serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    status: String,
    /// `save` or `delete` (updates only).
    #[serde(default)]
    action: String,
}

/// `POST /readiness/actions`: adds an item.
pub async fn add_action(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<ActionForm>,
) -> Result<Response, PageError> {
    let draft = Draft { action_title: f.title.clone(), action_due: f.due_on.clone(), ..Draft::default() };
    let result = async {
        let input = ActionInput {
            title: f.title,
            owner_id: owner_field(&f.owner_id)?,
            due_on: Some(f.due_on),
            status: Some(f.status),
        };
        readiness::add_action(&s.app, &user.me.caller, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/readiness?notice=saved#checklist").into_response()),
        Err(e) => with_problems(&s, &user, e, draft).await,
    }
}

/// `POST /readiness/actions/{id}`: saves an item's fields (`action=save`) or deletes it
/// (`action=delete`).
pub async fn update_action(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<ActionForm>,
) -> Result<Response, PageError> {
    let id = ActionItemId::from(id);
    let caller = &user.me.caller;
    let result = match f.action.as_str() {
        "delete" => readiness::delete_action(&s.app, caller, id).await,
        "save" | "" => {
            async {
                let changes = ActionChanges {
                    title: Some(f.title),
                    owner_id: Some(owner_field(&f.owner_id)?),
                    due_on: Some(Some(f.due_on)),
                    status: Some(f.status),
                };
                readiness::update_action(&s.app, caller, id, changes).await.map(|_| ())
            }
            .await
        }
        _ => Err(Invalid::new("action", "must be save or delete").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/readiness?notice=saved#checklist").into_response()),
        Err(e) => with_problems(&s, &user, e, Draft::default()).await,
    }
}
