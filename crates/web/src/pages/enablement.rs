//! Enablement pages: the anonymous knowledge survey (answer it on any screen, manage it, see
//! participation and the gaps). Every form posts and redirects; no JavaScript.

use super::{Chrome, FormError, NoticeQuery, form_errors};
use crate::{
    AppState, chart,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error,
    surveys::{self, Group, QuestionInput, StoredQuestion, SurveyInput},
};
use chorus_domain::{
    Action, DepartmentId, QuestionId, SurveyId, authorize,
    survey::{QuestionKind, RawAnswer, SurveyStatus},
};
use uuid::Uuid;

fn can_manage(user: &PageUser) -> bool {
    authorize(&user.me.caller.actor, Action::ManageEnablement).is_ok()
}

fn can_read_results(user: &PageUser) -> bool {
    authorize(&user.me.caller.actor, Action::ViewEnablementReports).is_ok()
}

fn when(t: Option<time::OffsetDateTime>) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.and_then(|t| t.format(&fmt).ok()).unwrap_or_default()
}

struct SurveyRow {
    id: String,
    title: String,
    status: &'static str,
    closes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/surveys.html")]
struct ListPage {
    chrome: Chrome,
    to_answer: Vec<SurveyRow>,
    all: Vec<SurveyRow>,
    manage: bool,
    departments: Vec<(String, String)>,
    previous: Vec<(String, String)>,
    errors: Vec<FormError>,
}

fn row(s: &surveys::Survey) -> SurveyRow {
    SurveyRow {
        id: s.id.to_string(),
        title: s.title.clone(),
        status: s.status.as_str(),
        closes: when(s.closes_at),
    }
}

async fn list_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<ListPage, PageError> {
    let caller = &user.me.caller;
    let to_answer = surveys::to_answer(&s.app, caller).await?.iter().map(row).collect();
    let list = surveys::list(&s.app, caller).await?;
    let manage = can_manage(user);
    let departments = if manage {
        chorus_app::departments::list(&s.app, caller)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ListPage {
        chrome: Chrome::for_user(user, "surveys").notice(notice),
        to_answer,
        previous: list.iter().map(|s| (s.id.to_string(), s.title.clone())).collect(),
        all: list.iter().map(row).collect(),
        manage,
        departments,
        errors,
    })
}

pub async fn list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(list_page(&s, &user, vec![], q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    intro: String,
    #[serde(default)]
    k: String,
    #[serde(default)]
    closes_at: String,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    previous_id: String,
    #[serde(default)]
    departments: String,
}

/// Parses an optional whole number from a form field; garbage is a form error, not a 500.
fn number(raw: &str, field: &'static str) -> Result<Option<i64>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| chorus_domain::Invalid::new(field, "must be a whole number").into()),
    }
}

fn uuid_field(raw: &str, field: &'static str) -> Result<Option<Uuid>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| chorus_domain::Invalid::new(field, "is not a valid choice").into()),
    }
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    let result = async {
        let input = SurveyInput {
            title: f.title,
            intro: f.intro,
            k: number(&f.k, "k")?,
            closes_at: Some(f.closes_at),
            departments: uuid_field(&f.departments, "departments")?
                .map(DepartmentId::from)
                .into_iter()
                .collect(),
            template: f.template.is_some(),
            previous_id: uuid_field(&f.previous_id, "previous_id")?.map(SurveyId::from),
        };
        surveys::create(&s.app, &user.me.caller, input).await
    }
    .await;
    match result {
        Ok(created) => Ok(Redirect::to(&format!("/surveys/{}?notice=saved", created.id)).into_response()),
        Err(e) => Ok(list_page(&s, &user, form_errors(e)?, None).await?.into_response()),
    }
}

struct QuestionView {
    id: String,
    number: usize,
    kind: QuestionKind,
    kind_label: &'static str,
    prompt: String,
    options: Vec<(usize, String, bool)>,
    follow_up: String,
    topics: String,
    retired: bool,
}

fn question_view(i: usize, q: &StoredQuestion, manager: bool) -> QuestionView {
    QuestionView {
        id: q.id.to_string(),
        number: i + 1,
        kind: q.spec.kind,
        kind_label: q.spec.kind.label(),
        prompt: q.spec.prompt.clone(),
        options: q
            .spec
            .options
            .iter()
            .enumerate()
            .map(|(o, label)| (o, label.clone(), manager && q.spec.correct == Some(o as u8)))
            .collect(),
        follow_up: q.spec.follow_up.clone().unwrap_or_default(),
        topics: q.spec.topics.join(", "),
        retired: q.retired_at.is_some(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/survey.html")]
struct SurveyPage {
    chrome: Chrome,
    id: String,
    title: String,
    intro: String,
    status: &'static str,
    k: u32,
    closes: String,
    privacy: &'static str,
    /// The form to answer (open, in the audience, not answered yet).
    can_answer: bool,
    answered: bool,
    manage: bool,
    results: bool,
    asked: Vec<QuestionView>,
    all: Vec<QuestionView>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<FormError>,
}

async fn survey_page(
    s: &AppState,
    user: &PageUser,
    id: SurveyId,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<SurveyPage, PageError> {
    let caller = &user.me.caller;
    let (survey, questions) = surveys::get(&s.app, caller, id).await?;
    let manage = can_manage(user);
    let waiting = surveys::to_answer(&s.app, caller).await?;
    let can_answer = waiting.iter().any(|w| w.id == id);
    let answered = survey.status != SurveyStatus::Draft
        && !can_answer
        && surveys::has_answered(&s.app, caller, id).await?;
    let asked: Vec<QuestionView> =
        surveys::asked(&questions).into_iter().enumerate().map(|(i, q)| question_view(i, q, false)).collect();
    Ok(SurveyPage {
        chrome: Chrome::for_user(user, "surveys").notice(notice),
        id: id.to_string(),
        title: survey.title,
        intro: survey.intro,
        status: survey.status.as_str(),
        k: survey.k,
        closes: when(survey.closes_at),
        privacy: surveys::PRIVACY_NOTE,
        can_answer,
        answered,
        manage,
        results: can_read_results(user),
        asked,
        all: if manage {
            questions.iter().enumerate().map(|(i, q)| question_view(i, q, true)).collect()
        } else {
            vec![]
        },
        kinds: QuestionKind::ALL.into_iter().map(|k| (k.as_str(), k.label())).collect(),
        errors,
    })
}

pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(survey_page(&s, &user, id.into(), vec![], q.notice.as_deref()).await?.into_response())
}

/// Answers: `q-<question id>` = option index, `t-<question id>` = text.
pub async fn answer(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    let result = async {
        let (_, questions) = surveys::get(&s.app, &user.me.caller, id).await?;
        let raw: Vec<RawAnswer> = surveys::asked(&questions)
            .iter()
            .map(|q| {
                let value = |prefix: &str| {
                    let name = format!("{prefix}-{}", q.id);
                    fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
                };
                let option = value("q").and_then(|v| v.trim().parse::<i64>().ok().or(Some(-1)));
                RawAnswer { option, text: value("t") }
            })
            .collect();
        surveys::respond(&s.app, &user.me.caller, id, &raw).await
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}?notice=answered")).into_response()),
        Err(e) => Ok(survey_page(&s, &user, id, form_errors(e)?, None).await?.into_response()),
    }
}

#[derive(serde::Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    prompt: String,
    /// One option per line.
    #[serde(default)]
    options: String,
    /// 1-based, as people count.
    #[serde(default)]
    correct: String,
    #[serde(default)]
    follow_up: String,
    /// Comma-separated.
    #[serde(default)]
    topics: String,
}

fn question_input(f: QuestionForm) -> Result<QuestionInput, Error> {
    Ok(QuestionInput {
        kind: f.kind,
        prompt: f.prompt,
        options: f.options.lines().map(str::to_owned).collect(),
        correct: number(&f.correct, "correct")?.map(|c| c - 1),
        follow_up: Some(f.follow_up),
        topics: f.topics.split(',').map(str::to_owned).collect(),
    })
}

pub async fn add_question(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<QuestionForm>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    let result = async { surveys::add_question(&s.app, &user.me.caller, id, question_input(f)?).await }.await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/surveys/{id}?notice=saved#questions")).into_response()),
        Err(e) => Ok(survey_page(&s, &user, id, form_errors(e)?, None).await?.into_response()),
    }
}

pub async fn retire_question(
    State(s): State<AppState>,
    user: PageUser,
    PagePath((id, question)): PagePath<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    match surveys::retire_question(&s.app, &user.me.caller, id, QuestionId::from(question), None).await {
        Ok(_) => Ok(Redirect::to(&format!("/surveys/{id}?notice=saved#questions")).into_response()),
        Err(e) => Ok(survey_page(&s, &user, id, form_errors(e)?, None).await?.into_response()),
    }
}

#[derive(serde::Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    action: String,
}

/// Open, close, or remind those who have not answered.
pub async fn status(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<StatusForm>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    let caller = &user.me.caller;
    let result = match f.action.as_str() {
        "open" => surveys::open(&s.app, caller, id).await.map(|_| "saved"),
        "close" => surveys::close(&s.app, caller, id).await.map(|_| "saved"),
        "remind" => surveys::remind(&s.app, caller, id).await.map(|_| "reminded"),
        _ => Err(chorus_domain::Invalid::new("action", "must be open, close or remind").into()),
    };
    match result {
        Ok(notice) => Ok(Redirect::to(&format!("/surveys/{id}?notice={notice}")).into_response()),
        Err(e) => Ok(survey_page(&s, &user, id, form_errors(e)?, None).await?.into_response()),
    }
}

struct RateView {
    group: String,
    answered: u32,
    people: u32,
    percent: u32,
}

fn rate_view(r: &surveys::Rate) -> RateView {
    RateView { group: r.group.clone(), answered: r.answered, people: r.people, percent: r.percent() }
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/participation.html")]
struct ParticipationPage {
    chrome: Chrome,
    id: String,
    title: String,
    open: bool,
    manage: bool,
    overall: RateView,
    by_department: Vec<RateView>,
    by_band: Vec<RateView>,
    not_yet: Vec<(String, String)>,
}

pub async fn participation(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    let (survey, _) = surveys::get(&s.app, &user.me.caller, id).await?;
    let p = surveys::participation(&s.app, &user.me.caller, id).await?;
    Ok(ParticipationPage {
        chrome: Chrome::for_user(&user, "surveys"),
        id: id.to_string(),
        title: survey.title,
        open: survey.status == SurveyStatus::Open,
        manage: can_manage(&user),
        overall: rate_view(&p.overall),
        by_department: p.by_department.iter().map(rate_view).collect(),
        by_band: p.by_band.iter().map(rate_view).collect(),
        not_yet: p.not_yet.into_iter().map(|x| (x.name, x.department.unwrap_or_default())).collect(),
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    group: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/report.html")]
struct ReportPage {
    chrome: Chrome,
    id: String,
    title: String,
    report: surveys::Report,
    chart: String,
    columns: Vec<(String, String)>,
    refused: Option<String>,
}

pub async fn report(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    let (survey, _) = surveys::get(&s.app, &user.me.caller, id).await?;
    let full = surveys::report(&s.app, &user.me.caller, id, None).await?;
    let columns: Vec<(String, String)> =
        full.columns.iter().skip(1).map(|c| (c.key.clone(), c.label.clone())).collect();
    let only = match q.group.split_once(':') {
        Some(("d", d)) => d.parse::<Uuid>().ok().map(|d| Group::Department(d.into())),
        Some(("b", b)) => chorus_domain::survey::Band::parse(b).map(Group::Band),
        _ => None,
    };
    let (report, refused) = match only {
        None => (full, None),
        Some(g) => match surveys::report(&s.app, &user.me.caller, id, Some(g)).await {
            Ok(r) => (r, None),
            Err(Error::Forbidden(d)) => (full, Some(d.0.to_owned())),
            Err(e) => return Err(e.into()),
        },
    };
    let rows: Vec<(String, Option<u32>)> =
        report.topics.iter().map(|t| (t.topic.clone(), t.scores[0])).collect();
    let chart = chart::percent_bars(
        "gap-chart",
        &format!("Knowledge score per topic ({}), weakest first", report.columns[0].label),
        &rows,
    );
    Ok(ReportPage {
        chrome: Chrome::for_user(&user, "surveys"),
        id: id.to_string(),
        title: survey.title,
        report,
        chart,
        columns,
        refused,
    }
    .into_response())
}
