//! Training pages: my courses and the catalogue, a course (lessons, "done" buttons, the quiz),
//! the completion report, and for admins the course, lesson, quiz, assignment and gap-rule
//! forms. Every form posts and redirects (303); no JavaScript.

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
use chorus_app::{
    Error,
    training::{self, AssignInput, CourseInput, LessonInput, Progress, QuestionInput, RuleInput},
};
use chorus_domain::{Action, CourseId, DepartmentId, Invalid, LessonId, QuizQuestionId, SurveyId, authorize};
use uuid::Uuid;

fn can_manage(user: &PageUser) -> bool {
    authorize(&user.me.caller.actor, Action::ManageEnablement).is_ok()
}

fn can_read_reports(user: &PageUser) -> bool {
    authorize(&user.me.caller.actor, Action::ViewEnablementReports).is_ok()
}

/// Fixed messages after a redirect on these pages (only known codes, never echoed input).
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "course_created" => "Course created. Add its lessons and quiz below.",
        "saved" => "Saved.",
        "lesson_done" => "Lesson marked as done.",
        "passed" => "Passed! Your best score counts.",
        "completed" => "Passed, and the course is complete. Well done!",
        "not_passed" => "Not passed this time. Read the lessons again and retake the quiz whenever you like.",
        "assigned" => "Assigned. People who already had the course keep their first assignment.",
        "rule_added" => "Rule added. Apply it from a closed survey's results.",
        "rule_removed" => "Rule removed. Assignments it made stay.",
        _ => return None,
    })
}

fn chrome(user: &PageUser, notice: Option<&str>) -> Chrome {
    let mut c = Chrome::for_user(user, "training");
    c.notice = notice.and_then(notice_text).map(str::to_owned);
    c
}

fn number(raw: &str, field: &'static str) -> Result<Option<i64>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| Invalid::new(field, "must be a whole number").into()),
    }
}

fn uuid_field(raw: &str, field: &'static str) -> Result<Option<Uuid>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| Invalid::new(field, "is not a valid choice").into()),
    }
}

fn topics_of(raw: &str) -> Vec<String> {
    raw.split(',').map(str::to_owned).collect()
}

fn status_of(p: &Progress) -> String {
    if p.completed {
        "Completed".into()
    } else if p.lessons_done == 0 && p.attempts == 0 {
        "Not started".into()
    } else {
        let mut s = format!("{} of {} lessons done", p.lessons_done, p.lessons_total);
        if let Some(best) = p.best_score {
            s.push_str(&format!(", best quiz score {best} %"));
        }
        s
    }
}

// ------------------------------------------------------------------------------- the list page

struct CourseRow {
    id: String,
    title: String,
    description: String,
    audience: String,
    topics: String,
    lessons: usize,
    questions: usize,
    status: String,
    completed: bool,
    reason: String,
}

struct RuleRow {
    id: String,
    course_id: String,
    course: String,
    topic: String,
    threshold: u8,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/list.html")]
struct ListPage {
    chrome: Chrome,
    mine: Vec<CourseRow>,
    catalogue: Vec<CourseRow>,
    manage: bool,
    rules: Vec<RuleRow>,
    courses: Vec<(String, String)>,
    errors: Vec<FormError>,
}

async fn list_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<ListPage, PageError> {
    let caller = &user.me.caller;
    let entries = training::catalogue(&s.app, caller).await?;
    let manage = can_manage(user);
    let rows: Vec<(bool, CourseRow)> = entries
        .into_iter()
        .map(|e| {
            let p = &e.progress;
            let mine = p.assignment.is_some() || p.lessons_done > 0 || p.attempts > 0;
            (
                mine,
                CourseRow {
                    id: e.course.id.to_string(),
                    title: e.course.title.clone(),
                    description: e.course.description.clone(),
                    audience: e.course.audience.clone(),
                    topics: e.course.topics.join(", "),
                    lessons: p.lessons_total,
                    questions: p.questions,
                    status: status_of(p),
                    completed: p.completed,
                    reason: p.assignment.as_ref().map(|a| a.reason.clone()).unwrap_or_default(),
                },
            )
        })
        .collect();
    let courses: Vec<(String, String)> = rows.iter().map(|(_, r)| (r.id.clone(), r.title.clone())).collect();
    let rules = if manage {
        training::rules(&s.app, caller)
            .await?
            .into_iter()
            .map(|r| RuleRow {
                id: r.id.to_string(),
                course_id: r.course_id.to_string(),
                course: r.course_title,
                topic: r.topic,
                threshold: r.threshold,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (mine, catalogue): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(m, _)| *m);
    Ok(ListPage {
        chrome: chrome(user, notice),
        mine: mine.into_iter().map(|(_, r)| r).collect(),
        catalogue: catalogue.into_iter().map(|(_, r)| r).collect(),
        manage,
        rules,
        courses,
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
pub struct CourseForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    audience: String,
    /// Comma-separated.
    #[serde(default)]
    topics: String,
    #[serde(default)]
    pass_mark: String,
}

fn course_input(f: CourseForm) -> Result<CourseInput, Error> {
    Ok(CourseInput {
        pass_mark: number(&f.pass_mark, "pass_mark")?,
        title: f.title,
        description: f.description,
        audience: f.audience,
        topics: topics_of(&f.topics),
    })
}

pub async fn create(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<CourseForm>,
) -> Result<Response, PageError> {
    let result = async { training::create_course(&s.app, &user.me.caller, course_input(f)?).await }.await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/training/{}?notice=course_created", c.id)).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, list_page(&s, &user, errors, None).await?).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    course_id: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    threshold: String,
}

pub async fn create_rule(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<RuleForm>,
) -> Result<Response, PageError> {
    let result = async {
        let input = RuleInput {
            course_id: uuid_field(&f.course_id, "course_id")?.map(CourseId::from),
            topic: f.topic,
            threshold: number(&f.threshold, "threshold")?,
        };
        training::create_rule(&s.app, &user.me.caller, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/training?notice=rule_added#rules").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, list_page(&s, &user, errors, None).await?).into_response())
        }
    }
}

pub async fn delete_rule(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(rule): PagePath<Uuid>,
) -> Result<Response, PageError> {
    training::delete_rule(&s.app, &user.me.caller, rule.into()).await?;
    Ok(Redirect::to("/training?notice=rule_removed#rules").into_response())
}

// ------------------------------------------------------------------------------ a course page

struct LessonView {
    id: String,
    number: usize,
    title: String,
    html: String,
    done: bool,
}

struct QuizView {
    id: String,
    number: usize,
    prompt: String,
    options: Vec<(usize, String)>,
}

/// A question as its managers see it: which option is correct.
struct ManagedQuestion {
    id: String,
    number: usize,
    prompt: String,
    options: Vec<(String, bool)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/course.html")]
struct CoursePage {
    chrome: Chrome,
    id: String,
    title: String,
    description: String,
    audience: String,
    topics: String,
    pass_mark: u8,
    lessons: Vec<LessonView>,
    quiz: Vec<QuizView>,
    reason: String,
    status: String,
    lessons_done: usize,
    best_score: Option<u8>,
    attempts: i64,
    passed: bool,
    completed: bool,
    manage: bool,
    reports: bool,
    managed_quiz: Vec<ManagedQuestion>,
    departments: Vec<(String, String)>,
    errors: Vec<FormError>,
}

async fn course_page(
    s: &AppState,
    user: &PageUser,
    id: CourseId,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<CoursePage, PageError> {
    let caller = &user.me.caller;
    let v = training::get(&s.app, caller, id).await?;
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
    let p = &v.progress;
    Ok(CoursePage {
        chrome: chrome(user, notice),
        id: v.course.id.to_string(),
        title: v.course.title.clone(),
        description: v.course.description.clone(),
        audience: v.course.audience.clone(),
        topics: v.course.topics.join(", "),
        pass_mark: v.course.pass_mark,
        lessons: v
            .lessons
            .iter()
            .enumerate()
            .map(|(i, l)| LessonView {
                id: l.id.to_string(),
                number: i + 1,
                title: l.title.clone(),
                html: crate::markdown::render(&l.body),
                done: v.done.contains(&l.id),
            })
            .collect(),
        // What people taking the course see: prompts and options, never which is correct.
        quiz: v
            .quiz
            .iter()
            .enumerate()
            .map(|(i, q)| QuizView {
                id: q.id.to_string(),
                number: i + 1,
                prompt: q.prompt.clone(),
                options: q.options.iter().cloned().enumerate().collect(),
            })
            .collect(),
        reason: p.assignment.as_ref().map(|a| a.reason.clone()).unwrap_or_default(),
        status: status_of(p),
        lessons_done: p.lessons_done,
        best_score: p.best_score,
        attempts: p.attempts,
        passed: p.passed,
        completed: p.completed,
        manage,
        reports: can_read_reports(user),
        managed_quiz: if manage {
            v.quiz
                .iter()
                .enumerate()
                .map(|(i, q)| ManagedQuestion {
                    id: q.id.to_string(),
                    number: i + 1,
                    prompt: q.prompt.clone(),
                    options: q
                        .options
                        .iter()
                        .enumerate()
                        .map(|(o, label)| (label.clone(), q.correct == Some(o as u8)))
                        .collect(),
                })
                .collect()
        } else {
            Vec::new()
        },
        departments,
        errors,
    })
}

/// The course page again with the problems of a form that was sent, answered 422.
async fn with_errors(s: &AppState, user: &PageUser, id: CourseId, e: Error) -> Result<Response, PageError> {
    let errors = form_errors(e)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, course_page(s, user, id, errors, None).await?).into_response())
}

pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(course_page(&s, &user, id.into(), vec![], q.notice.as_deref()).await?.into_response())
}

pub async fn edit(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<CourseForm>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    let result = async { training::update_course(&s.app, &user.me.caller, id, course_input(f)?).await }.await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}?notice=saved")).into_response()),
        Err(e) => with_errors(&s, &user, id, e).await,
    }
}

#[derive(serde::Deserialize)]
pub struct LessonForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

pub async fn add_lesson(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<LessonForm>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    let input = LessonInput { title: f.title, body: f.body };
    match training::add_lesson(&s.app, &user.me.caller, id, input).await {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}?notice=saved#lessons")).into_response()),
        Err(e) => with_errors(&s, &user, id, e).await,
    }
}

pub async fn remove_lesson(
    State(s): State<AppState>,
    user: PageUser,
    PagePath((id, lesson)): PagePath<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    training::remove_lesson(&s.app, &user.me.caller, id, LessonId::from(lesson)).await?;
    Ok(Redirect::to(&format!("/training/{id}?notice=saved#lessons")).into_response())
}

pub async fn lesson_done(
    State(s): State<AppState>,
    user: PageUser,
    PagePath((id, lesson)): PagePath<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    training::mark_done(&s.app, &user.me.caller, id, LessonId::from(lesson)).await?;
    Ok(Redirect::to(&format!("/training/{id}?notice=lesson_done#lesson-{lesson}")).into_response())
}

#[derive(serde::Deserialize)]
pub struct QuestionForm {
    #[serde(default)]
    prompt: String,
    /// One option per line.
    #[serde(default)]
    options: String,
    /// 1-based, as people count.
    #[serde(default)]
    correct: String,
}

pub async fn add_question(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<QuestionForm>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    let result = async {
        let input = QuestionInput {
            prompt: f.prompt,
            options: f.options.lines().map(str::to_owned).collect(),
            correct: number(&f.correct, "correct")?.map(|c| c - 1),
        };
        training::add_question(&s.app, &user.me.caller, id, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}?notice=saved#manage-quiz")).into_response()),
        Err(e) => with_errors(&s, &user, id, e).await,
    }
}

pub async fn remove_question(
    State(s): State<AppState>,
    user: PageUser,
    PagePath((id, question)): PagePath<(Uuid, Uuid)>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    training::remove_question(&s.app, &user.me.caller, id, QuizQuestionId::from(question)).await?;
    Ok(Redirect::to(&format!("/training/{id}?notice=saved#manage-quiz")).into_response())
}

/// The quiz form: `q-<question id>` = option index. A question left unanswered is an answer
/// that matches no option, and the use case says so.
pub async fn attempt(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    let result = async {
        let v = training::get(&s.app, &user.me.caller, id).await?;
        let answers: Vec<i64> = v
            .quiz
            .iter()
            .map(|q| {
                let name = format!("q-{}", q.id);
                fields.iter().find(|(k, _)| *k == name).and_then(|(_, v)| v.trim().parse().ok()).unwrap_or(-1)
            })
            .collect();
        training::attempt(&s.app, &user.me.caller, id, &answers).await
    }
    .await;
    match result {
        Ok(g) => {
            let notice = match (g.completed, g.passed) {
                (true, _) => "completed",
                (false, true) => "passed",
                (false, false) => "not_passed",
            };
            Ok(Redirect::to(&format!("/training/{id}?notice={notice}#quiz")).into_response())
        }
        Err(e) => with_errors(&s, &user, id, e).await,
    }
}

#[derive(serde::Deserialize)]
pub struct AssignForm {
    /// `everyone`, or a department's id.
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn assign(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<AssignForm>,
) -> Result<Response, PageError> {
    let id = CourseId::from(id);
    let result = async {
        let mut input = AssignInput { reason: Some(f.reason), ..AssignInput::default() };
        match f.target.trim() {
            "everyone" => input.everyone = true,
            other => input.department_id = uuid_field(other, "department_id")?.map(DepartmentId::from),
        }
        training::assign(&s.app, &user.me.caller, id, input).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}?notice=assigned")).into_response()),
        Err(e) => with_errors(&s, &user, id, e).await,
    }
}

// -------------------------------------------------------------------------------- the report

struct CompletionView {
    group: String,
    assigned: u32,
    completed: u32,
    percent: u32,
    unassigned_completed: u32,
}

fn completion_view(c: &training::Completion) -> CompletionView {
    CompletionView {
        group: c.group.clone(),
        assigned: c.assigned,
        completed: c.completed,
        percent: c.percent(),
        unassigned_completed: c.unassigned_completed,
    }
}

struct LearnerView {
    name: String,
    department: String,
    reason: String,
    lessons_done: usize,
    best_score: Option<u8>,
    completed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "training/report.html")]
struct ReportPage {
    chrome: Chrome,
    id: String,
    title: String,
    lessons: usize,
    questions: usize,
    pass_mark: u8,
    overall: CompletionView,
    by_department: Vec<CompletionView>,
    people: Vec<LearnerView>,
}

pub async fn report(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    let r = training::report(&s.app, &user.me.caller, id.into()).await?;
    Ok(ReportPage {
        chrome: chrome(&user, None),
        id: r.course.id.to_string(),
        title: r.course.title.clone(),
        lessons: r.lessons,
        questions: r.questions,
        pass_mark: r.course.pass_mark,
        overall: completion_view(&r.overall),
        by_department: r.by_department.iter().map(completion_view).collect(),
        people: r
            .people
            .into_iter()
            .map(|l| LearnerView {
                name: l.person.name,
                department: l.person.department.unwrap_or_default(),
                reason: l.assignment.map(|a| a.reason).unwrap_or_default(),
                lessons_done: l.lessons_done,
                best_score: l.best_score,
                completed: l.completed,
            })
            .collect(),
    }
    .into_response())
}

// ------------------------------------------------------------------------ from a survey's gaps

/// `POST /surveys/{id}/training`: an admin applies the training rules to a closed survey's
/// results (the button on its report page), then sees the report again.
pub async fn apply_from_survey(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    let id = SurveyId::from(id);
    training::apply_rules(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to(&format!("/surveys/{id}/report?notice=training_assigned")).into_response())
}
