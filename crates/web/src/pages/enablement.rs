//! Enablement pages: the anonymous knowledge survey (answer it on any screen, manage it, see
//! participation and the gaps) and the social media policy. Every form posts and redirects; no JavaScript.

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
    Error, mentoring,
    policies::{self, PolicyInput},
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
        chorus_app::departments::names(&s.app, caller)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
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
        // `q-<id>` and `t-<id>` of one question become one answer; anything else is ignored
        // (the CSRF token).
        let mut given: Vec<(Uuid, RawAnswer)> = Vec::new();
        for (name, value) in &fields {
            let Some((kind, q)) = name.split_once('-') else { continue };
            let (Ok(q), "q" | "t") = (q.parse::<Uuid>(), kind) else { continue };
            let slot = match given.iter().position(|(id, _)| *id == q) {
                Some(i) => &mut given[i].1,
                None => {
                    given.push((q, RawAnswer::default()));
                    &mut given.last_mut().expect("just pushed").1
                }
            };
            if kind == "q" {
                slot.option = Some(value.trim().parse::<i64>().unwrap_or(-1));
            } else {
                slot.text = Some(value.clone());
            }
        }
        surveys::respond(&s.app, &user.me.caller, id, given).await
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
    notice: Option<String>,
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
    /// Whether the caller may apply training rules to these gaps.
    manage: bool,
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
        chrome: Chrome::for_user(&user, "surveys").notice(q.notice.as_deref()),
        id: id.to_string(),
        title: survey.title,
        report,
        chart,
        columns,
        refused,
        manage: can_manage(&user),
    }
    .into_response())
}

// ------------------------------------------------------------------------------------- policy

struct VersionLink {
    id: String,
    version: i64,
    title: String,
    published: String,
    acknowledged: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/policy.html")]
struct PolicyPage {
    chrome: Chrome,
    /// The version shown, if any exists.
    shown: Option<ShownVersion>,
    versions: Vec<VersionLink>,
    manage: bool,
    reports: bool,
    /// The publish form, prefilled from the version in force (or the starter policy).
    draft_title: String,
    draft_body: String,
    draft_donts: String,
    errors: Vec<FormError>,
}

struct ShownVersion {
    id: String,
    version: i64,
    title: String,
    html: String,
    donts: Vec<String>,
    summary: String,
    published: String,
    current: bool,
    acknowledged: String,
}

async fn policy_page(
    s: &AppState,
    user: &PageUser,
    which: Option<chorus_domain::PolicyVersionId>,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<PolicyPage, PageError> {
    let all = policies::list(&s.app, &user.me.caller).await?;
    let shown = match which {
        Some(id) => Some(all.iter().find(|v| v.version.id == id).ok_or(Error::NotFound)?),
        None => all.first(),
    };
    let base =
        all.first().map(|c| (c.version.title.clone(), c.version.body.clone(), c.version.donts.clone()));
    let (draft_title, draft_body, draft_donts) = base.unwrap_or_else(|| {
        let d = chorus_domain::social_policy::starter();
        (d.title, d.body, d.donts)
    });
    // The banner is for every other page; here the page itself asks.
    let mut chrome = Chrome::for_user(user, "policy").notice(notice);
    chrome.policy_banner = None;
    Ok(PolicyPage {
        chrome,
        shown: shown.map(|v| ShownVersion {
            id: v.version.id.to_string(),
            version: v.version.version,
            title: v.version.title.clone(),
            html: crate::markdown::render(&v.version.body),
            donts: v.version.donts.clone(),
            summary: v.version.summary.clone(),
            published: when(Some(v.version.published_at)),
            current: v.current,
            acknowledged: when(v.acknowledged_at),
        }),
        versions: all
            .iter()
            .map(|v| VersionLink {
                id: v.version.id.to_string(),
                version: v.version.version,
                title: v.version.title.clone(),
                published: when(Some(v.version.published_at)),
                acknowledged: v.acknowledged_at.is_some(),
            })
            .collect(),
        manage: can_manage(user),
        reports: can_read_results(user),
        draft_title,
        draft_body,
        draft_donts: draft_donts.join("\n"),
        errors,
    })
}

pub async fn policy(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(policy_page(&s, &user, None, vec![], q.notice.as_deref()).await?.into_response())
}

pub async fn policy_version(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    Ok(policy_page(&s, &user, Some(id.into()), vec![], None).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    /// One per line.
    #[serde(default)]
    donts: String,
    #[serde(default)]
    summary: String,
}

pub async fn publish_policy(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<PublishForm>,
) -> Result<Response, PageError> {
    let input = PolicyInput {
        title: f.title,
        body: f.body,
        donts: f.donts.lines().map(str::to_owned).collect(),
        summary: f.summary,
    };
    match policies::publish(&s.app, &user.me.caller, input).await {
        Ok(_) => Ok(Redirect::to("/policy?notice=published").into_response()),
        Err(e) => Ok(policy_page(&s, &user, None, form_errors(e)?, None).await?.into_response()),
    }
}

pub async fn acknowledge_policy(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    match policies::acknowledge(&s.app, &user.me.caller, id.into()).await {
        Ok(_) => Ok(Redirect::to("/policy?notice=acknowledged").into_response()),
        Err(e) => Ok(policy_page(&s, &user, None, form_errors(e)?, None).await?.into_response()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/policy_report.html")]
struct AckPage {
    chrome: Chrome,
    id: String,
    version: i64,
    overall: RateView,
    by_department: Vec<RateView>,
    not_yet: Vec<(String, String)>,
}

pub async fn policy_report(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    let r = policies::report(&s.app, &user.me.caller, id.into()).await?;
    Ok(AckPage {
        chrome: Chrome::for_user(&user, "policy"),
        id: id.to_string(),
        version: r.version.version,
        overall: rate_view(&r.overall),
        by_department: r.by_department.iter().map(rate_view).collect(),
        not_yet: r.not_yet.into_iter().map(|x| (x.name, x.department.unwrap_or_default())).collect(),
    }
    .into_response())
}

// ---------------------------------------------------------------------------------- mentoring

struct PairView {
    id: String,
    mentee: String,
    mentor: String,
    gain: i64,
    since: String,
    ended: bool,
    sessions: i64,
    minutes: i64,
    rating: String,
    log: Vec<(String, i64, String)>,
    feedback: Vec<(String, i64, String)>,
}

struct QuizView {
    index: usize,
    prompt: &'static str,
    options: Vec<(usize, &'static str)>,
}

struct CandidateView {
    name: String,
    role: String,
    department: String,
    seniority: String,
    skill: i64,
    source: String,
    places: i64,
}

struct ProposedView {
    mentee_id: String,
    mentee: String,
    mentor_id: String,
    gain: u8,
    cross: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enablement/mentoring.html")]
struct MentoringPage {
    chrome: Chrome,
    profiles: Vec<(String, i64, String, i64, String)>,
    senior: bool,
    quiz: Vec<QuizView>,
    mine: Vec<PairView>,
    manage: bool,
    all: Vec<PairView>,
    candidates: Vec<CandidateView>,
    /// (id, name) of mentors with places left, for adjusting a proposal.
    mentors: Vec<(String, String)>,
    proposed: Vec<ProposedView>,
    total_gain: u32,
    unmatched: Vec<String>,
    errors: Vec<FormError>,
}

async fn pair_view(
    s: &AppState,
    user: &PageUser,
    p: mentoring::Pair,
    details: bool,
) -> Result<PairView, PageError> {
    let (log, feedback) = if details {
        let (_, log, feedback) = mentoring::details(&s.app, &user.me.caller, p.id).await?;
        (log, feedback)
    } else {
        (vec![], vec![])
    };
    Ok(PairView {
        id: p.id.to_string(),
        mentee: p.mentee,
        mentor: p.mentor,
        gain: p.gain,
        since: when(Some(p.confirmed_at)),
        ended: p.ended_at.is_some(),
        sessions: p.sessions,
        minutes: p.minutes,
        rating: p.rating_x10.map(|r| format!("{:.1}", r as f64 / 10.0)).unwrap_or_default(),
        log,
        feedback,
    })
}

async fn mentoring_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<MentoringPage, PageError> {
    let caller = &user.me.caller;
    let (profiles, pairs) = mentoring::mine(&s.app, caller).await?;
    let mut mine = Vec::new();
    for p in pairs {
        mine.push(pair_view(s, user, p, true).await?);
    }
    let manage = can_manage(user);
    let (mut all, mut candidates, mut mentors, mut proposed, mut total_gain, mut unmatched) =
        (vec![], vec![], vec![], vec![], 0, vec![]);
    if can_read_results(user) {
        for p in mentoring::pairs(&s.app, caller).await? {
            all.push(pair_view(s, user, p, false).await?);
        }
    }
    if manage {
        let (proposal, people) = mentoring::proposal(&s.app, caller).await?;
        let name = |u: chorus_domain::UserId| {
            people.iter().find(|c| c.user_id == u).map(|c| c.name.clone()).unwrap_or_default()
        };
        proposed = proposal
            .pairs
            .iter()
            .map(|p| ProposedView {
                mentee_id: p.mentee.to_string(),
                mentee: name(p.mentee),
                mentor_id: p.mentor.to_string(),
                gain: p.gain,
                cross: p.cross_department,
            })
            .collect();
        total_gain = proposal.total_gain;
        unmatched = proposal.unmatched.into_iter().map(name).collect();
        mentors = people
            .iter()
            .filter(|c| c.role == mentoring::MENTOR && c.capacity > c.active_pairs)
            .map(|c| (c.user_id.to_string(), c.name.clone()))
            .collect();
        candidates = people
            .into_iter()
            .map(|c| CandidateView {
                places: c.capacity - c.active_pairs,
                name: c.name,
                role: c.role,
                department: c.department.unwrap_or_default(),
                seniority: c.seniority.map(|s| s.to_string()).unwrap_or_else(|| "—".into()),
                skill: c.skill,
                source: c.skill_source,
            })
            .collect();
    }
    Ok(MentoringPage {
        chrome: Chrome::for_user(user, "mentoring").notice(notice),
        profiles: profiles
            .into_iter()
            .map(|p| (p.role, p.skill, p.skill_source, p.capacity, p.goals))
            .collect(),
        senior: user
            .me
            .user
            .seniority
            .is_some_and(|s| s >= i64::from(chorus_domain::mentoring::MENTEE_MIN_SENIORITY)),
        quiz: chorus_domain::mentoring::SKILL_QUIZ
            .iter()
            .enumerate()
            .map(|(index, q)| QuizView {
                index,
                prompt: q.prompt,
                options: q.options.iter().copied().enumerate().collect(),
            })
            .collect(),
        mine,
        manage,
        all,
        candidates,
        mentors,
        proposed,
        total_gain,
        unmatched,
        errors,
    })
}

pub async fn mentoring_home(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(mentoring_page(&s, &user, vec![], q.notice.as_deref()).await?.into_response())
}

/// Opt in (`role`, `skill_mode` self|quiz, `skill`, `quiz-<i>`, `capacity`, `goals`) or out
/// (`opt_out` = role).
pub async fn mentoring_profile(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field =
        |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let result = async {
        if !field("opt_out").is_empty() {
            return mentoring::opt_out(&s.app, &user.me.caller, field("opt_out")).await.map(|_| "opted_out");
        }
        let quiz = if field("skill_mode") == "quiz" {
            Some(
                (0..chorus_domain::mentoring::SKILL_QUIZ.len())
                    .map(|i| field(&format!("quiz-{i}")).parse::<i64>().unwrap_or(-1))
                    .collect(),
            )
        } else {
            None
        };
        let input = mentoring::OptIn {
            role: field("role").to_owned(),
            skill: number(field("skill"), "skill")?,
            quiz,
            capacity: number(field("capacity"), "capacity")?,
            goals: field("goals").to_owned(),
        };
        mentoring::opt_in(&s.app, &user.me.caller, input).await.map(|_| "opted_in")
    }
    .await;
    match result {
        Ok(notice) => Ok(Redirect::to(&format!("/mentoring?notice={notice}")).into_response()),
        Err(e) => Ok(mentoring_page(&s, &user, form_errors(e)?, None).await?.into_response()),
    }
}

/// Confirms the ticked rows of a proposal: `pair` = mentee id, `mentor-<mentee id>` = mentor.
pub async fn confirm_pairs(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let result = async {
        let mut pairs = Vec::new();
        for (k, mentee) in &fields {
            if k != "pair" {
                continue;
            }
            let mentor = fields
                .iter()
                .find(|(k, _)| *k == format!("mentor-{mentee}"))
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            let (Some(a), Some(b)) = (uuid_field(mentee, "pair")?, uuid_field(mentor, "mentor")?) else {
                return Err(
                    chorus_domain::Invalid::new("mentor", "choose a mentor for every ticked pair").into()
                );
            };
            pairs.push((a.into(), b.into()));
        }
        mentoring::confirm(&s.app, &user.me.caller, &pairs).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/mentoring?notice=pairs_confirmed").into_response()),
        Err(e) => Ok(mentoring_page(&s, &user, form_errors(e)?, None).await?.into_response()),
    }
}

#[derive(serde::Deserialize)]
pub struct PairForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// A pair's member logs a session or gives feedback; a member or an admin ends the pair.
pub async fn pair_action(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<PairForm>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let id = chorus_domain::MentoringPairId::from(id);
    let result = async {
        match f.action.as_str() {
            "session" => {
                let minutes = number(&f.minutes, "minutes")?.unwrap_or(0);
                mentoring::log_session(&s.app, caller, id, &f.held_on, minutes, &f.notes)
                    .await
                    .map(|_| "session_logged")
            }
            "feedback" => {
                let rating = number(&f.rating, "rating")?.unwrap_or(0);
                mentoring::give_feedback(&s.app, caller, id, rating, &f.comment).await.map(|_| "saved")
            }
            "end" => mentoring::end(&s.app, caller, id).await.map(|_| "saved"),
            _ => Err(chorus_domain::Invalid::new("action", "must be session, feedback or end").into()),
        }
    }
    .await;
    match result {
        Ok(notice) => Ok(Redirect::to(&format!("/mentoring?notice={notice}")).into_response()),
        Err(e) => Ok(mentoring_page(&s, &user, form_errors(e)?, None).await?.into_response()),
    }
}
