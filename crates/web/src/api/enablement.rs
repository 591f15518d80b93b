//! `/api/v1` for enablement (SPEC §3, §6): the anonymous knowledge survey, the social media
//! policy and reverse mentoring.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::{
    mentoring,
    policies::{self, PolicyInput},
    surveys::{self, Group, QuestionInput, StoredQuestion, Survey, SurveyInput},
};
use chorus_domain::{
    DepartmentId, Invalid, PolicyVersionId, QuestionId, SurveyId,
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
    let given = b
        .answers
        .into_iter()
        .map(|a| (a.question_id, RawAnswer { option: a.option, text: a.text }))
        .collect();
    surveys::respond(&s.app, &me.caller, SurveyId::from(id), given).await?;
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

// ------------------------------------------------------------------------------------- policy

#[derive(Serialize, ToSchema)]
pub struct PolicyDto {
    pub id: Uuid,
    pub version: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub donts: Vec<String>,
    /// What changed since the previous version.
    pub summary: String,
    pub published_at: String,
    /// Whether this is the policy in force (the newest version).
    pub current: bool,
    /// When the caller acknowledged this version.
    pub acknowledged_at: Option<String>,
}

fn policy_dto(s: policies::Seen) -> PolicyDto {
    PolicyDto {
        id: s.version.id.0,
        version: s.version.version,
        title: s.version.title,
        body: s.version.body,
        donts: s.version.donts,
        summary: s.version.summary,
        published_at: rfc3339(s.version.published_at),
        current: s.current,
        acknowledged_at: s.acknowledged_at.map(rfc3339),
    }
}

#[derive(Serialize, ToSchema)]
pub struct PolicyList {
    pub items: Vec<PolicyDto>,
    pub next_cursor: Option<String>,
}

/// Every version of the social media policy, newest (in force) first.
#[utoipa::path(get, path = "/policies", tag = "enablement", responses((status = 200, body = PolicyList)))]
pub async fn list_policies(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<PolicyList>, ApiError> {
    let items = policies::list(&s.app, &me.caller).await?.into_iter().map(policy_dto).collect();
    Ok(Json(PolicyList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishPolicy {
    pub title: String,
    /// Markdown.
    pub body: String,
    #[serde(default)]
    pub donts: Vec<String>,
    #[serde(default)]
    pub summary: String,
}

/// Publishes the next version (owners and admins); everyone is then asked to acknowledge it.
#[utoipa::path(post, path = "/policies", tag = "enablement", request_body = PublishPolicy,
    responses((status = 201, body = PolicyDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn publish_policy(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<PublishPolicy>,
) -> Result<impl IntoResponse, ApiError> {
    let input = PolicyInput { title: b.title, body: b.body, donts: b.donts, summary: b.summary };
    let v = policies::publish(&s.app, &me.caller, input).await?;
    let seen = policies::get(&s.app, &me.caller, v.id).await?;
    Ok((StatusCode::CREATED, Json(policy_dto(seen))))
}

/// One version.
#[utoipa::path(get, path = "/policies/{id}", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = PolicyDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_policy(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PolicyDto>, ApiError> {
    Ok(Json(policy_dto(policies::get(&s.app, &me.caller, PolicyVersionId::from(id)).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct Acknowledged {
    pub acknowledged_at: String,
}

/// The caller acknowledges the version in force (409 for an older one). Repeating it keeps
/// the first time.
#[utoipa::path(post, path = "/policies/{id}/acknowledgements", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 201, body = Acknowledged), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn acknowledge_policy(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    let at = policies::acknowledge(&s.app, &me.caller, PolicyVersionId::from(id)).await?;
    Ok((StatusCode::CREATED, Json(Acknowledged { acknowledged_at: rfc3339(at) })))
}

#[derive(Serialize, ToSchema)]
pub struct AcknowledgementReport {
    pub version: i64,
    pub overall: RateDto,
    pub by_department: Vec<RateDto>,
    /// Active people who have not acknowledged this version.
    pub not_yet: Vec<PersonDto>,
}

/// Who has acknowledged a version, by department (admins and the social team).
#[utoipa::path(get, path = "/policies/{id}/acknowledgements", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = AcknowledgementReport), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn policy_acknowledgements(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<AcknowledgementReport>, ApiError> {
    let r = policies::report(&s.app, &me.caller, PolicyVersionId::from(id)).await?;
    Ok(Json(AcknowledgementReport {
        version: r.version.version,
        overall: rate(r.overall),
        by_department: r.by_department.into_iter().map(rate).collect(),
        not_yet: r
            .not_yet
            .into_iter()
            .map(|x| PersonDto { id: x.id.0, name: x.name, department: x.department })
            .collect(),
    }))
}

// ---------------------------------------------------------------------------------- mentoring

#[derive(Serialize, ToSchema)]
pub struct ProfileDto {
    /// mentee or mentor.
    pub role: String,
    pub skill: i64,
    /// self (rated) or quiz (measured).
    pub skill_source: String,
    pub capacity: i64,
    pub goals: String,
}

#[derive(Serialize, ToSchema)]
pub struct PairDto {
    pub id: Uuid,
    pub mentee_id: Uuid,
    pub mentee: String,
    pub mentor_id: Uuid,
    pub mentor: String,
    pub gain: i64,
    pub confirmed_at: String,
    pub ended_at: Option<String>,
    pub sessions: i64,
    pub minutes: i64,
    /// Average feedback, 1–5.
    pub rating: Option<f64>,
}

fn pair_dto(p: mentoring::Pair) -> PairDto {
    PairDto {
        id: p.id.0,
        mentee_id: p.mentee_id.0,
        mentee: p.mentee,
        mentor_id: p.mentor_id.0,
        mentor: p.mentor,
        gain: p.gain,
        confirmed_at: rfc3339(p.confirmed_at),
        ended_at: p.ended_at.map(rfc3339),
        sessions: p.sessions,
        minutes: p.minutes,
        rating: p.rating_x10.map(|r| r as f64 / 10.0),
    }
}

#[derive(Serialize, ToSchema)]
pub struct QuizQuestionDto {
    pub prompt: &'static str,
    pub options: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct MentoringDto {
    /// The caller's opt-ins.
    pub profiles: Vec<ProfileDto>,
    /// The caller's pairs (all pairs for admins and the social team at `/mentoring/pairs`).
    pub pairs: Vec<PairDto>,
    /// The skill quiz, to measure a skill instead of rating it.
    pub quiz: Vec<QuizQuestionDto>,
}

/// The caller's mentoring: opt-ins, pairs, and the skill quiz.
#[utoipa::path(get, path = "/mentoring", tag = "enablement", responses((status = 200, body = MentoringDto)))]
pub async fn my_mentoring(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<MentoringDto>, ApiError> {
    let (profiles, pairs) = mentoring::mine(&s.app, &me.caller).await?;
    Ok(Json(MentoringDto {
        profiles: profiles
            .into_iter()
            .map(|p| ProfileDto {
                role: p.role,
                skill: p.skill,
                skill_source: p.skill_source,
                capacity: p.capacity,
                goals: p.goals,
            })
            .collect(),
        pairs: pairs.into_iter().map(pair_dto).collect(),
        quiz: chorus_domain::mentoring::SKILL_QUIZ
            .iter()
            .map(|q| QuizQuestionDto { prompt: q.prompt, options: q.options.to_vec() })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptInBody {
    /// mentee (seniority 4–5) or mentor.
    pub role: String,
    /// Self-rated, 1–5.
    #[serde(default)]
    pub skill: Option<i64>,
    /// Answers to the skill quiz (option index per question), instead of `skill`.
    #[serde(default)]
    pub quiz: Option<Vec<i64>>,
    /// Mentors: how many mentees, 1–5.
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub goals: String,
}

/// Opts the caller in (or updates their opt-in) as a mentee or a mentor.
#[utoipa::path(put, path = "/mentoring/profile", tag = "enablement", request_body = OptInBody,
    responses((status = 200, body = ProfileDto), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn opt_in(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<OptInBody>,
) -> Result<Json<ProfileDto>, ApiError> {
    let p = mentoring::opt_in(
        &s.app,
        &me.caller,
        mentoring::OptIn { role: b.role, skill: b.skill, quiz: b.quiz, capacity: b.capacity, goals: b.goals },
    )
    .await?;
    Ok(Json(ProfileDto {
        role: p.role,
        skill: p.skill,
        skill_source: p.skill_source,
        capacity: p.capacity,
        goals: p.goals,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ProposedPair {
    pub mentee_id: Uuid,
    pub mentee: String,
    pub mentor_id: Uuid,
    pub mentor: String,
    pub gain: u8,
    pub cross_department: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalDto {
    pub pairs: Vec<ProposedPair>,
    pub total_gain: u32,
    pub cross_department: u32,
    /// Mentees no available mentor is more skilled and more junior than.
    pub unmatched: Vec<String>,
}

/// The optimal matching of everyone available now: maximal total skill gain, then the most
/// pairs across departments (admins). Nothing changes until pairs are confirmed.
#[utoipa::path(get, path = "/mentoring/proposal", tag = "enablement",
    responses((status = 200, body = ProposalDto), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn mentoring_proposal(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<ProposalDto>, ApiError> {
    let (p, people) = mentoring::proposal(&s.app, &me.caller).await?;
    let name = |u: chorus_domain::UserId| {
        people.iter().find(|c| c.user_id == u).map(|c| c.name.clone()).unwrap_or_default()
    };
    Ok(Json(ProposalDto {
        pairs: p
            .pairs
            .iter()
            .map(|x| ProposedPair {
                mentee_id: x.mentee.0,
                mentee: name(x.mentee),
                mentor_id: x.mentor.0,
                mentor: name(x.mentor),
                gain: x.gain,
                cross_department: x.cross_department,
            })
            .collect(),
        total_gain: p.total_gain,
        cross_department: p.cross_department,
        unmatched: p.unmatched.into_iter().map(name).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairBody {
    pub mentee_id: Uuid,
    pub mentor_id: Uuid,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    pub pairs: Vec<PairBody>,
}

#[derive(Serialize, ToSchema)]
pub struct PairList {
    pub items: Vec<PairDto>,
    pub next_cursor: Option<String>,
}

/// Pairs: all of them for admins and the social team, one's own for everyone else.
#[utoipa::path(get, path = "/mentoring/pairs", tag = "enablement", responses((status = 200, body = PairList)))]
pub async fn list_pairs(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<PairList>, ApiError> {
    let items = mentoring::pairs(&s.app, &me.caller).await?.into_iter().map(pair_dto).collect();
    Ok(Json(PairList { items, next_cursor: None }))
}

/// Confirms pairs, as proposed or adjusted (admins). Each pair is checked again (more skilled,
/// more junior, capacity left): all or nothing, 409 naming the problem.
#[utoipa::path(post, path = "/mentoring/pairs", tag = "enablement", request_body = ConfirmBody,
    responses((status = 201, body = PairList), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn confirm_pairs(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<ConfirmBody>,
) -> Result<impl IntoResponse, ApiError> {
    let pairs: Vec<(chorus_domain::UserId, chorus_domain::UserId)> =
        b.pairs.into_iter().map(|p| (p.mentee_id.into(), p.mentor_id.into())).collect();
    let ids = mentoring::confirm(&s.app, &me.caller, &pairs).await?;
    let items = mentoring::pairs(&s.app, &me.caller)
        .await?
        .into_iter()
        .filter(|p| ids.contains(&p.id))
        .map(pair_dto)
        .collect();
    Ok((StatusCode::CREATED, Json(PairList { items, next_cursor: None })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    /// YYYY-MM-DD, not in the future.
    pub held_on: String,
    pub minutes: i64,
    #[serde(default)]
    pub notes: String,
}

/// Logs a session (the pair's members).
#[utoipa::path(post, path = "/mentoring/pairs/{id}/sessions", tag = "enablement", request_body = SessionBody,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = Recorded), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn log_session(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<SessionBody>,
) -> Result<impl IntoResponse, ApiError> {
    mentoring::log_session(&s.app, &me.caller, id.into(), &b.held_on, b.minutes, &b.notes).await?;
    Ok((StatusCode::CREATED, Json(Recorded { status: "recorded" })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    /// 1–5.
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

/// Says how the mentoring goes (the pair's members; one entry each, updated on repeat).
#[utoipa::path(post, path = "/mentoring/pairs/{id}/feedback", tag = "enablement", request_body = FeedbackBody,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = Recorded), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn give_feedback(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<FeedbackBody>,
) -> Result<impl IntoResponse, ApiError> {
    mentoring::give_feedback(&s.app, &me.caller, id.into(), b.rating, &b.comment).await?;
    Ok((StatusCode::CREATED, Json(Recorded { status: "recorded" })))
}

/// Ends a pair (its members or an admin).
#[utoipa::path(post, path = "/mentoring/pairs/{id}/end", tag = "enablement", params(("id" = Uuid, Path)),
    responses((status = 200, body = Recorded), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn end_pair(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Recorded>, ApiError> {
    mentoring::end(&s.app, &me.caller, id.into()).await?;
    Ok(Json(Recorded { status: "ended" }))
}
