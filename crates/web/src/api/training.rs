//! `/api/v1/courses`: training (SPEC §3). Courses with lessons and a quiz, assignments, each
//! person's progress, completion reports, and rules that assign courses from survey gaps.
//!
//! Everyone in the organization reads the catalogue and takes courses; owners and admins
//! write; admins and the social team read completion reports. A quiz question's `correct`
//! option is only ever sent to those who manage courses. Lists are short and come whole:
//! `next_cursor` is always null.

use super::{contrib::PROBLEM, dto::rfc3339, enablement::PersonDto};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::{
    surveys::Person,
    training::{
        self, AssignInput, CourseInput, CourseView, LessonInput, Progress, QuestionInput, Rule, RuleInput,
    },
};
use chorus_domain::{CourseId, DepartmentId, LessonId, SurveyId, TrainingRuleId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

fn person(p: Person) -> PersonDto {
    PersonDto { id: p.id.0, name: p.name, department: p.department }
}

#[derive(Serialize, ToSchema)]
pub struct CourseProgressDto {
    /// Whether the course is assigned to the caller.
    pub assigned: bool,
    /// Why it was assigned ("Survey gap: X basics in Sales").
    pub reason: Option<String>,
    pub assigned_at: Option<String>,
    pub lessons_done: usize,
    pub lessons_total: usize,
    /// The best quiz score over every attempt, percent.
    pub best_score: Option<u8>,
    pub attempts: i64,
    /// Whether the best score reaches the pass mark.
    pub passed: bool,
    /// Every lesson done and the quiz passed (or no quiz).
    pub completed: bool,
}

fn progress_dto(p: Progress) -> CourseProgressDto {
    CourseProgressDto {
        assigned: p.assignment.is_some(),
        reason: p.assignment.as_ref().map(|a| a.reason.clone()),
        assigned_at: p.assignment.as_ref().map(|a| rfc3339(a.assigned_at)),
        lessons_done: p.lessons_done,
        lessons_total: p.lessons_total,
        best_score: p.best_score,
        attempts: p.attempts,
        passed: p.passed,
        completed: p.completed,
    }
}

#[derive(Serialize, ToSchema)]
pub struct CourseSummary {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// Who it is for, in words.
    pub audience: String,
    /// What it teaches (the knowledge survey's topic names).
    pub topics: Vec<String>,
    /// Percent needed to pass the quiz.
    pub pass_mark: u8,
    pub lessons: usize,
    pub questions: usize,
    /// The caller's progress.
    pub progress: CourseProgressDto,
}

#[derive(Serialize, ToSchema)]
pub struct CourseList {
    /// By title.
    pub items: Vec<CourseSummary>,
    pub next_cursor: Option<String>,
}

/// The catalogue: every course of the organization, with the caller's progress (everyone).
#[utoipa::path(get, path = "/courses", tag = "training",
    responses((status = 200, body = CourseList), (status = 401, body = Problem, content_type = PROBLEM)))]
pub async fn list_courses(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<CourseList>, ApiError> {
    let items = training::catalogue(&s.app, &me.caller)
        .await?
        .into_iter()
        .map(|e| CourseSummary {
            id: e.course.id.0,
            title: e.course.title,
            description: e.course.description,
            audience: e.course.audience,
            topics: e.course.topics,
            pass_mark: e.course.pass_mark,
            lessons: e.progress.lessons_total,
            questions: e.progress.questions,
            progress: progress_dto(e.progress),
        })
        .collect();
    Ok(Json(CourseList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourse {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Who it is for, in words ("New to social media", "Executives").
    #[serde(default)]
    pub audience: String,
    /// Topic names, as the knowledge survey uses them ("X basics").
    #[serde(default)]
    pub topics: Vec<String>,
    /// Percent needed to pass the quiz, 1–100 (default 80).
    #[serde(default)]
    pub pass_mark: Option<i64>,
}

impl From<CreateCourse> for CourseInput {
    fn from(b: CreateCourse) -> Self {
        CourseInput {
            title: b.title,
            description: b.description,
            audience: b.audience,
            topics: b.topics,
            pass_mark: b.pass_mark,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LessonDto {
    pub id: Uuid,
    pub position: i64,
    pub title: String,
    /// Markdown (media by URL).
    pub body: String,
    /// Whether the caller has marked it done.
    pub done: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CourseQuestionDto {
    pub id: Uuid,
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the correct option: only for those who manage courses, absent for everyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correct: Option<u8>,
}

fn question_dto(q: training::Question) -> CourseQuestionDto {
    CourseQuestionDto { id: q.id.0, prompt: q.prompt, options: q.options, correct: q.correct }
}

#[derive(Serialize, ToSchema)]
pub struct CourseDto {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub audience: String,
    pub topics: Vec<String>,
    pub pass_mark: u8,
    pub created_at: String,
    pub updated_at: String,
    /// In order.
    pub lessons: Vec<LessonDto>,
    /// The quiz, in order: answer with one option index per question.
    pub quiz: Vec<CourseQuestionDto>,
    /// The caller's progress.
    pub progress: CourseProgressDto,
}

fn course_dto(v: CourseView) -> CourseDto {
    let done = v.done;
    CourseDto {
        id: v.course.id.0,
        title: v.course.title,
        description: v.course.description,
        audience: v.course.audience,
        topics: v.course.topics,
        pass_mark: v.course.pass_mark,
        created_at: rfc3339(v.course.created_at),
        updated_at: rfc3339(v.course.updated_at),
        lessons: v
            .lessons
            .into_iter()
            .map(|l| LessonDto {
                done: done.contains(&l.id),
                id: l.id.0,
                position: l.position,
                title: l.title,
                body: l.body,
            })
            .collect(),
        quiz: v.quiz.into_iter().map(question_dto).collect(),
        progress: progress_dto(v.progress),
    }
}

/// Creates a course (owners and admins).
#[utoipa::path(post, path = "/courses", tag = "training", request_body = CreateCourse,
    responses((status = 201, body = CourseDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_course(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateCourse>,
) -> Result<impl IntoResponse, ApiError> {
    let c = training::create_course(&s.app, &me.caller, b.into()).await?;
    let v = training::get(&s.app, &me.caller, c.id).await?;
    Ok((StatusCode::CREATED, Json(course_dto(v))))
}

/// A course with its lessons, its quiz (without the correct answers, unless the caller manages
/// courses) and the caller's progress.
#[utoipa::path(get, path = "/courses/{id}", tag = "training", params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn get_course(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CourseDto>, ApiError> {
    Ok(Json(course_dto(training::get(&s.app, &me.caller, CourseId::from(id)).await?)))
}

/// Replaces a course's title, description, audience, topics and pass mark (owners and admins).
#[utoipa::path(put, path = "/courses/{id}", tag = "training", request_body = CreateCourse, params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_course(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CreateCourse>,
) -> Result<Json<CourseDto>, ApiError> {
    let id = CourseId::from(id);
    training::update_course(&s.app, &me.caller, id, b.into()).await?;
    Ok(Json(course_dto(training::get(&s.app, &me.caller, id).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLesson {
    pub title: String,
    /// Markdown; reference media by URL.
    pub body: String,
}

/// Adds a lesson at the end of a course (owners and admins).
#[utoipa::path(post, path = "/courses/{id}/lessons", tag = "training", request_body = CreateLesson,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = LessonDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn add_lesson(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CreateLesson>,
) -> Result<impl IntoResponse, ApiError> {
    let l = training::add_lesson(
        &s.app,
        &me.caller,
        CourseId::from(id),
        LessonInput { title: b.title, body: b.body },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(LessonDto { id: l.id.0, position: l.position, title: l.title, body: l.body, done: false }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseQuestion {
    pub prompt: String,
    /// 2 to 10 options.
    pub options: Vec<String>,
    /// Index of the one correct option (0-based).
    pub correct: Option<i64>,
}

/// Adds a multiple-choice question at the end of a course's quiz (owners and admins).
#[utoipa::path(post, path = "/courses/{id}/quiz", tag = "training", request_body = CreateCourseQuestion,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = CourseQuestionDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn add_question(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<CreateCourseQuestion>,
) -> Result<impl IntoResponse, ApiError> {
    let input = QuestionInput { prompt: b.prompt, options: b.options, correct: b.correct };
    let q = training::add_question(&s.app, &me.caller, CourseId::from(id), input).await?;
    Ok((StatusCode::CREATED, Json(question_dto(q))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCourse {
    /// People to assign it to.
    #[serde(default)]
    pub user_ids: Vec<Uuid>,
    /// Every active member of this department.
    #[serde(default)]
    pub department_id: Option<Uuid>,
    /// Every active person of the organization.
    #[serde(default)]
    pub everyone: bool,
    /// Why; "Assigned by <your name>" when absent.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CourseAssigned {
    /// People who got the course now.
    pub assigned: Vec<PersonDto>,
    /// People who already had it (their first assignment and its reason stand).
    pub already_assigned: usize,
}

/// Assigns a course to people, a department or everyone (owners and admins). Assigning again
/// keeps the first assignment.
#[utoipa::path(post, path = "/courses/{id}/assignments", tag = "training", request_body = AssignCourse,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CourseAssigned), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn assign(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<AssignCourse>,
) -> Result<Json<CourseAssigned>, ApiError> {
    let input = AssignInput {
        user_ids: b.user_ids.into_iter().map(UserId::from).collect(),
        department_id: b.department_id.map(DepartmentId::from),
        everyone: b.everyone,
        reason: b.reason,
    };
    let out = training::assign(&s.app, &me.caller, CourseId::from(id), input).await?;
    Ok(Json(CourseAssigned {
        assigned: out.newly.into_iter().map(person).collect(),
        already_assigned: out.already,
    }))
}

/// The caller marks a lesson done; answers their progress. Repeating it changes nothing.
#[utoipa::path(post, path = "/courses/{id}/lessons/{lesson}/done", tag = "training",
    params(("id" = Uuid, Path), ("lesson" = Uuid, Path)),
    responses((status = 200, body = CourseProgressDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn lesson_done(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((id, lesson)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<CourseProgressDto>, ApiError> {
    let v = training::mark_done(&s.app, &me.caller, CourseId::from(id), LessonId::from(lesson)).await?;
    Ok(Json(progress_dto(v.progress)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuizAttempt {
    /// The chosen option's index for each quiz question, in the quiz's order.
    pub answers: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct QuizResult {
    /// This attempt's score, percent.
    pub score: u8,
    /// Whether this attempt reached the pass mark.
    pub passed: bool,
    /// The best score over every attempt (the one that counts).
    pub best_score: u8,
    /// Every lesson done and the quiz passed.
    pub completed: bool,
}

/// Takes the quiz. Retakes are allowed and the best score counts. The answer says how well,
/// never which options were right.
#[utoipa::path(post, path = "/courses/{id}/attempts", tag = "training", request_body = QuizAttempt,
    params(("id" = Uuid, Path)),
    responses((status = 201, body = QuizResult), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn attempt(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<QuizAttempt>,
) -> Result<impl IntoResponse, ApiError> {
    let g = training::attempt(&s.app, &me.caller, CourseId::from(id), &b.answers).await?;
    Ok((
        StatusCode::CREATED,
        Json(QuizResult {
            score: g.score,
            passed: g.passed,
            best_score: g.best_score,
            completed: g.completed,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CompletionDto {
    pub group: String,
    pub assigned: u32,
    /// Of the assigned, how many completed.
    pub completed: u32,
    /// Completed of assigned, percent.
    pub percent: u32,
    /// People who completed it without being assigned.
    pub unassigned_completed: u32,
}

fn completion(c: training::Completion) -> CompletionDto {
    CompletionDto {
        percent: c.percent(),
        group: c.group,
        assigned: c.assigned,
        completed: c.completed,
        unassigned_completed: c.unassigned_completed,
    }
}

#[derive(Serialize, ToSchema)]
pub struct LearnerDto {
    pub id: Uuid,
    pub name: String,
    pub department: Option<String>,
    pub assigned: bool,
    pub reason: Option<String>,
    pub lessons_done: usize,
    pub best_score: Option<u8>,
    pub attempts: i64,
    pub completed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CompletionReportDto {
    pub course_id: Uuid,
    pub title: String,
    pub lessons: usize,
    pub questions: usize,
    pub pass_mark: u8,
    pub overall: CompletionDto,
    /// By department name ("No department" for people without one).
    pub by_department: Vec<CompletionDto>,
    /// Everyone assigned, or who started the course on their own, by name.
    pub people: Vec<LearnerDto>,
}

/// The completion report: assigned and completed per department and overall, and each
/// person's progress (admins and the social team).
#[utoipa::path(get, path = "/courses/{id}/progress", tag = "training", params(("id" = Uuid, Path)),
    responses((status = 200, body = CompletionReportDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn progress_report(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CompletionReportDto>, ApiError> {
    let r = training::report(&s.app, &me.caller, CourseId::from(id)).await?;
    Ok(Json(CompletionReportDto {
        course_id: r.course.id.0,
        title: r.course.title,
        lessons: r.lessons,
        questions: r.questions,
        pass_mark: r.course.pass_mark,
        overall: completion(r.overall),
        by_department: r.by_department.into_iter().map(completion).collect(),
        people: r
            .people
            .into_iter()
            .map(|l| LearnerDto {
                id: l.person.id.0,
                name: l.person.name,
                department: l.person.department,
                assigned: l.assignment.is_some(),
                reason: l.assignment.map(|a| a.reason),
                lessons_done: l.lessons_done,
                best_score: l.best_score,
                attempts: l.attempts,
                completed: l.completed,
            })
            .collect(),
    }))
}

// -------------------------------------------------------------------------------------- rules

#[derive(Serialize, ToSchema)]
pub struct TrainingRuleDto {
    pub id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    /// The survey topic it watches.
    pub topic: String,
    /// Groups scoring below this percent get the course.
    pub threshold: u8,
    pub created_at: String,
}

fn rule_dto(r: Rule) -> TrainingRuleDto {
    TrainingRuleDto {
        id: r.id.0,
        course_id: r.course_id.0,
        course_title: r.course_title,
        topic: r.topic,
        threshold: r.threshold,
        created_at: rfc3339(r.created_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct TrainingRuleList {
    pub items: Vec<TrainingRuleDto>,
    pub next_cursor: Option<String>,
}

/// The rules that assign courses from survey gaps (owners and admins).
#[utoipa::path(get, path = "/courses/rules", tag = "training",
    responses((status = 200, body = TrainingRuleList), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn list_rules(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<TrainingRuleList>, ApiError> {
    let items = training::rules(&s.app, &me.caller).await?.into_iter().map(rule_dto).collect();
    Ok(Json(TrainingRuleList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrainingRule {
    pub course_id: Uuid,
    /// A topic the course teaches, as the survey names it ("X basics").
    pub topic: String,
    /// Percent, 1–100: groups scoring below it get the course.
    pub threshold: i64,
}

/// Adds a rule: assign a course to survey groups scoring below a threshold on a topic it
/// teaches (owners and admins). One rule per course and topic.
#[utoipa::path(post, path = "/courses/rules", tag = "training", request_body = CreateTrainingRule,
    responses((status = 201, body = TrainingRuleDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<CreateTrainingRule>,
) -> Result<impl IntoResponse, ApiError> {
    let input = RuleInput {
        course_id: Some(CourseId::from(b.course_id)),
        topic: b.topic,
        threshold: Some(b.threshold),
    };
    let r = training::create_rule(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(rule_dto(r))))
}

/// Removes a rule (owners and admins). Assignments it made stay.
#[utoipa::path(delete, path = "/courses/rules/{rule}", tag = "training", params(("rule" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn delete_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(rule): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    training::delete_rule(&s.app, &me.caller, TrainingRuleId::from(rule)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyTrainingRules {
    /// A closed survey.
    pub survey_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub struct AppliedGroupDto {
    pub rule_id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    pub topic: String,
    pub threshold: u8,
    /// The report column: `all`, `d:<department id>` or `b:<band>`.
    pub key: String,
    pub label: String,
    /// The group's score for the topic, percent.
    pub score: u32,
    /// People newly assigned because of this group (nobody twice).
    pub assigned: Vec<PersonDto>,
}

#[derive(Serialize, ToSchema)]
pub struct AppliedTrainingRules {
    /// Every group found below a rule's threshold.
    pub groups: Vec<AppliedGroupDto>,
    /// How many people were newly assigned a course in all.
    pub assigned: usize,
}

/// Applies every rule to a closed survey's results: each department or seniority band shown in
/// the report whose score for a rule's topic is below its threshold gets the course (everyone in
/// the survey's audience when no group shows a score). Groups hidden for their size are never
/// singled out. An admin does this explicitly; applying again assigns nobody twice.
#[utoipa::path(post, path = "/courses/rules/apply", tag = "training", request_body = ApplyTrainingRules,
    responses((status = 200, body = AppliedTrainingRules), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 404, body = Problem, content_type = PROBLEM), (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn apply_rules(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<ApplyTrainingRules>,
) -> Result<Json<AppliedTrainingRules>, ApiError> {
    let groups = training::apply_rules(&s.app, &me.caller, SurveyId::from(b.survey_id)).await?;
    let assigned = groups.iter().map(|g| g.assigned.len()).sum();
    Ok(Json(AppliedTrainingRules {
        assigned,
        groups: groups
            .into_iter()
            .map(|g| AppliedGroupDto {
                rule_id: g.rule_id.0,
                course_id: g.course_id.0,
                course_title: g.course_title,
                topic: g.topic,
                threshold: g.threshold,
                key: g.key,
                label: g.label,
                score: g.score,
                assigned: g.assigned.into_iter().map(person).collect(),
            })
            .collect(),
    }))
}
