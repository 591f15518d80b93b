//! `/api/v1` for enablement (SPEC §3, §6): the anonymous knowledge survey.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::surveys::{self, Group, QuestionInput, StoredQuestion, Survey, SurveyInput};
use chorus_domain::{
    DepartmentId, Invalid, QuestionId, SurveyId,
    survey::{Band, RawAnswer},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct QuestionDto {
    pub id: Uuid,
    /// choice, likert, yes_no or text.
    pub kind: String,
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the correct option (choice questions; shown to survey managers only).
    pub correct: Option<u8>,
    pub follow_up: Option<String>,
    pub topics: Vec<String>,
    /// Retired questions are no longer asked; their answers stay in the results.
    pub retired: bool,
    /// The question this one is a new version of.
    pub replaces: Option<Uuid>,
}

fn question_dto(q: StoredQuestion, manager: bool) -> QuestionDto {
    QuestionDto {
        id: q.id.0,
        kind: q.spec.kind.as_str().into(),
        prompt: q.spec.prompt,
        options: q.spec.options,
        correct: q.spec.correct.filter(|_| manager),
        follow_up: q.spec.follow_up,
        topics: q.spec.topics,
        retired: q.retired_at.is_some(),
        replaces: q.replaces.map(|r| r.0),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SurveyDto {
    pub id: Uuid,
    pub title: String,
    pub intro: String,
    /// draft, open or closed.
    pub status: String,
    /// The smallest group any result is shown for.
    pub k: u32,
    pub closes_at: Option<String>,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub previous_id: Option<Uuid>,
    pub created_at: String,
    /// Only on `GET /surveys/{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub questions: Option<Vec<QuestionDto>>,
    /// What is and is not stored, in plain words.
    pub privacy: &'static str,
}

fn survey_dto(s: Survey, questions: Option<Vec<QuestionDto>>) -> SurveyDto {
    SurveyDto {
        id: s.id.0,
        title: s.title,
        intro: s.intro,
        status: s.status.as_str().into(),
        k: s.k,
        closes_at: s.closes_at.map(rfc3339),
        opened_at: s.opened_at.map(rfc3339),
        closed_at: s.closed_at.map(rfc3339),
        previous_id: s.previous_id.map(|p| p.0),
        created_at: rfc3339(s.created_at),
        questions,
        privacy: surveys::PRIVACY_NOTE,
    }
}

#[derive(Serialize, ToSchema)]
pub struct SurveyList {
    pub items: Vec<SurveyDto>,
    pub next_cursor: Option<String>,
}

/// Surveys of the caller's organization (drafts only for those who manage them), newest first.
#[utoipa::path(get, path = "/surveys", tag = "enablement", responses((status = 200, body = SurveyList)))]
pub async fn list_surveys(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<SurveyList>, ApiError> {
    let items = surveys::list(&s.app, &me.caller).await?.into_iter().map(|x| survey_dto(x, None)).collect();
    Ok(Json(SurveyList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurvey {
    pub title: String,
    #[serde(default)]
    pub intro: String,
    /// Minimum group size for results, 5 or more (default 5).
    #[serde(default)]
    pub k: Option<i64>,
    /// RFC 3339.
    #[serde(default)]
    pub closes_at: Option<String>,
    /// Departments it is open to; empty or absent: everyone.
    #[serde(default)]
    pub departments: Vec<Uuid>,
    /// Start from the shipped baseline questions.
    #[serde(default)]
    pub template: bool,
    /// An earlier round: its questions are copied and topic scores compared.
    #[serde(default)]
    pub previous_id: Option<Uuid>,
}

/// Creates a draft survey (owners and admins).
#[utoipa::path(post, path = "/surveys", tag = "enablement", request_body = CreateSurvey,
    responses((status = 201, body = SurveyDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_survey(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateSurvey>,
) -> Result<impl IntoResponse, ApiError> {
    let input = SurveyInput {
        title: b.title,
        intro: b.intro,
        k: b.k,
        closes_at: b.closes_at,
        departments: b.departments.into_iter().map(DepartmentId::from).collect(),
        template: b.template,
        previous_id: b.previous_id.map(SurveyId::from),
    };
    let created = surveys::create(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(survey_dto(created, None))))
}

/// A survey with its questions.
#[utoipa::path(get, path = "/surveys/{id}", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = SurveyDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_survey(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SurveyDto>, ApiError> {
    let (survey, questions) = surveys::get(&s.app, &me.caller, SurveyId::from(id)).await?;
    let manager = chorus_domain::authorize(&me.caller.actor, chorus_domain::Action::ManageEnablement).is_ok();
    let questions = questions.into_iter().map(|q| question_dto(q, manager)).collect();
    Ok(Json(survey_dto(survey, Some(questions))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSurvey {
    pub title: String,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub k: Option<i64>,
    #[serde(default)]
    pub closes_at: Option<String>,
    #[serde(default)]
    pub departments: Vec<Uuid>,
}

/// Changes a survey's title, introduction, closing time (and, while a draft, k and audience).
#[utoipa::path(patch, path = "/surveys/{id}", tag = "enablement", request_body = UpdateSurvey, params(("id" = Uuid, Path)),
    responses((status = 200, body = SurveyDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_survey(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<UpdateSurvey>,
) -> Result<Json<SurveyDto>, ApiError> {
    let input = SurveyInput {
        title: b.title,
        intro: b.intro,
        k: b.k,
        closes_at: b.closes_at,
        departments: b.departments.into_iter().map(DepartmentId::from).collect(),
        template: false,
        previous_id: None,
    };
    Ok(Json(survey_dto(surveys::update(&s.app, &me.caller, SurveyId::from(id), input).await?, None)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct QuestionBody {
    /// choice, likert, yes_no or text.
    pub kind: String,
    pub prompt: String,
    #[serde(default)]
    pub options: Vec<String>,
    /// Index of the correct option (choice).
    #[serde(default)]
    pub correct: Option<i64>,
    /// A yes/no's follow-up ("Why or why not?").
    #[serde(default)]
    pub follow_up: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
}

impl From<QuestionBody> for QuestionInput {
    fn from(b: QuestionBody) -> Self {
        QuestionInput {
            kind: b.kind,
            prompt: b.prompt,
            options: b.options,
            correct: b.correct,
            follow_up: b.follow_up,
            topics: b.topics,
        }
    }
}

/// Adds a question.
#[utoipa::path(post, path = "/surveys/{id}/questions", tag = "enablement", request_body = QuestionBody,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = QuestionDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn add_question(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<QuestionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let q = surveys::add_question(&s.app, &me.caller, SurveyId::from(id), b.into()).await?;
    Ok((StatusCode::CREATED, Json(question_dto(q, true))))
}

/// Changes a question nobody has answered; once people have answered, 409 with the reason
/// (retire it and add a new version instead).
#[utoipa::path(put, path = "/surveys/{id}/questions/{question}", tag = "enablement", request_body = QuestionBody,
    params(("id" = Uuid, Path), ("question" = Uuid, Path)),
    responses((status = 200, body = QuestionDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn edit_question(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((id, question)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<QuestionBody>,
) -> Result<Json<QuestionDto>, ApiError> {
    let q =
        surveys::edit_question(&s.app, &me.caller, SurveyId::from(id), QuestionId::from(question), b.into())
            .await?;
    Ok(Json(question_dto(q, true)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    /// The new version, asked in its place from now on.
    #[serde(default)]
    pub replacement: Option<QuestionBody>,
}

#[derive(Serialize, ToSchema)]
pub struct Retired {
    pub replacement: Option<QuestionDto>,
}

/// Retires a question (its answers stay in the results), optionally with a new version.
#[utoipa::path(post, path = "/surveys/{id}/questions/{question}/retire", tag = "enablement", request_body = RetireBody,
    params(("id" = Uuid, Path), ("question" = Uuid, Path)),
    responses((status = 200, body = Retired), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn retire_question(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((id, question)): ApiPath<(Uuid, Uuid)>,
    ApiJson(b): ApiJson<RetireBody>,
) -> Result<Json<Retired>, ApiError> {
    let new = surveys::retire_question(
        &s.app,
        &me.caller,
        SurveyId::from(id),
        QuestionId::from(question),
        b.replacement.map(Into::into),
    )
    .await?;
    Ok(Json(Retired { replacement: new.map(|q| question_dto(q, true)) }))
}

/// Opens a draft for answers.
#[utoipa::path(post, path = "/surveys/{id}/open", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = SurveyDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn open_survey(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SurveyDto>, ApiError> {
    Ok(Json(survey_dto(surveys::open(&s.app, &me.caller, SurveyId::from(id)).await?, None)))
}

/// Closes an open survey; its results can then be read.
#[utoipa::path(post, path = "/surveys/{id}/close", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = SurveyDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn close_survey(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SurveyDto>, ApiError> {
    Ok(Json(survey_dto(surveys::close(&s.app, &me.caller, SurveyId::from(id)).await?, None)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    pub question_id: Uuid,
    /// The chosen option's index (choice, likert; yes/no: 0 yes, 1 no).
    #[serde(default)]
    pub option: Option<i64>,
    /// Open text, or a yes/no's follow-up.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    pub answers: Vec<AnswerBody>,
}

#[derive(Serialize, ToSchema)]
pub struct Recorded {
    /// Always `recorded`: nothing identifying comes back, not even an id.
    pub status: &'static str,
}

/// Puts a caller's answers in the questions' order; an unknown or repeated question id is
/// refused rather than ignored.
pub fn order_answers(asked: &[QuestionId], given: Vec<AnswerBody>) -> Result<Vec<RawAnswer>, Invalid> {
    let mut out = vec![RawAnswer::default(); asked.len()];
    let mut seen = vec![false; asked.len()];
    for a in given {
        let i = asked.iter().position(|q| q.0 == a.question_id).ok_or_else(|| {
            Invalid::new("answers", format!("{} is not a question of this survey", a.question_id))
        })?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(Invalid::new("answers", format!("question {} is answered twice", a.question_id)));
        }
        out[i] = RawAnswer { option: a.option, text: a.text };
    }
    Ok(out)
}

/// Answers a survey, once. Stored with no link to the caller (see `privacy` on the survey).
#[utoipa::path(post, path = "/surveys/{id}/responses", tag = "enablement", request_body = ResponseBody,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = Recorded), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn respond(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<ResponseBody>,
) -> Result<impl IntoResponse, ApiError> {
    let id = SurveyId::from(id);
    let (_, questions) = surveys::get(&s.app, &me.caller, id).await?;
    let asked: Vec<QuestionId> = surveys::asked(&questions).iter().map(|q| q.id).collect();
    let raw = order_answers(&asked, b.answers)?;
    surveys::respond(&s.app, &me.caller, id, &raw).await?;
    Ok((StatusCode::CREATED, Json(Recorded { status: "recorded" })))
}

#[derive(Serialize, ToSchema)]
pub struct RateDto {
    pub group: String,
    pub answered: u32,
    pub people: u32,
    pub percent: u32,
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: Uuid,
    pub name: String,
    pub department: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipationDto {
    pub overall: RateDto,
    pub by_department: Vec<RateDto>,
    pub by_band: Vec<RateDto>,
    /// Who has not answered yet (for reminders). Never what anyone answered.
    pub not_yet: Vec<PersonDto>,
}

fn rate(r: surveys::Rate) -> RateDto {
    RateDto { percent: r.percent(), group: r.group, answered: r.answered, people: r.people }
}

/// Who has answered, by department and seniority band (admins and the social team).
#[utoipa::path(get, path = "/surveys/{id}/participation", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = ParticipationDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn participation(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ParticipationDto>, ApiError> {
    let p = surveys::participation(&s.app, &me.caller, SurveyId::from(id)).await?;
    Ok(Json(ParticipationDto {
        overall: rate(p.overall),
        by_department: p.by_department.into_iter().map(rate).collect(),
        by_band: p.by_band.into_iter().map(rate).collect(),
        not_yet: p
            .not_yet
            .into_iter()
            .map(|x| PersonDto { id: x.id.0, name: x.name, department: x.department })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Reminded {
    pub reminded: usize,
}

/// Reminds everyone who has not answered an open survey.
#[utoipa::path(post, path = "/surveys/{id}/reminders", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = Reminded), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn remind(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Reminded>, ApiError> {
    Ok(Json(Reminded { reminded: surveys::remind(&s.app, &me.caller, SurveyId::from(id)).await? }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Only this department (refused when it has fewer than k responses).
    department: Option<Uuid>,
    /// Only this seniority band: early, experienced or senior.
    band: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ColumnDto {
    /// `all`, `d:<department id>` or `b:<band>`.
    pub key: String,
    pub label: String,
    pub responses: u32,
}

#[derive(Serialize, ToSchema)]
pub struct TopicDto {
    pub topic: String,
    /// Percent correct per column; null where hidden.
    pub scores: Vec<Option<u32>>,
    /// The previous round's overall percent.
    pub previous: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct OptionDto {
    pub label: String,
    pub correct: bool,
    pub counts: Vec<Option<u32>>,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionReportDto {
    pub id: Uuid,
    pub prompt: String,
    pub kind: String,
    pub topics: Vec<String>,
    pub retired: bool,
    pub options: Vec<OptionDto>,
    pub texts: Vec<String>,
    pub more_texts: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReportDto {
    pub k: u32,
    pub responses: u32,
    pub columns: Vec<ColumnDto>,
    /// How many groups are left out because they (or what subtraction would reveal) are under k.
    pub hidden_groups: usize,
    /// Weakest first.
    pub topics: Vec<TopicDto>,
    pub weakest_topic: Option<String>,
    pub questions: Vec<QuestionReportDto>,
}

/// Results of a closed survey: knowledge score per topic (the gap analysis) and answers per
/// question, overall and for each department and band with at least k responses.
#[utoipa::path(get, path = "/surveys/{id}/report", tag = "enablement", params(("id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = ReportDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn report(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Json<ReportDto>, ApiError> {
    let only = match (q.department, q.band.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(Invalid::new("band", "ask for a department or a band, not both").into());
        }
        (Some(d), None) => Some(Group::Department(DepartmentId::from(d))),
        (None, Some(b)) => Some(Group::Band(
            Band::parse(b).ok_or_else(|| Invalid::new("band", "must be early, experienced or senior"))?,
        )),
        (None, None) => None,
    };
    let r = surveys::report(&s.app, &me.caller, SurveyId::from(id), only).await?;
    Ok(Json(report_dto(r)))
}

pub fn report_dto(r: surveys::Report) -> ReportDto {
    ReportDto {
        k: r.k,
        responses: r.responses,
        columns: r
            .columns
            .into_iter()
            .map(|c| ColumnDto { key: c.key, label: c.label, responses: c.responses })
            .collect(),
        hidden_groups: r.hidden_groups,
        topics: r
            .topics
            .into_iter()
            .map(|t| TopicDto { topic: t.topic, scores: t.scores, previous: t.previous })
            .collect(),
        weakest_topic: r.weakest,
        questions: r
            .questions
            .into_iter()
            .map(|q| QuestionReportDto {
                id: q.id.0,
                prompt: q.prompt,
                kind: q.kind.as_str().into(),
                topics: q.topics,
                retired: q.retired,
                options: q
                    .options
                    .into_iter()
                    .map(|o| OptionDto { label: o.label, correct: o.correct, counts: o.counts })
                    .collect(),
                texts: q.texts,
                more_texts: q.more_texts,
            })
            .collect(),
    }
}
