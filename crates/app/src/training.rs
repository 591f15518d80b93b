//! Training: write courses (lessons and a quiz), assign them, take them, see who completed
//! them, and assign them from the gaps a knowledge survey shows.
//!
//! Owners and admins manage courses, assignments and rules (`Action::ManageEnablement`); admins
//! and the social team read completion reports (`Action::ViewEnablementReports`); everyone in
//! the organization reads the catalogue and takes courses, assigned or not. The correct option
//! of a quiz question leaves this module only for those who manage courses.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    notify::{self, News},
    surveys::Person,
};
use chorus_domain::recognition::PointEvent;
use chorus_domain::{
    Action, CourseId, Denied, DepartmentId, Invalid, LessonId, QuizQuestionId, SurveyId, TrainingRuleId,
    UserId, authorize,
    survey::Band,
    training::{self, CourseSpec, GapGroup, LessonSpec, QuizQuestionSpec},
};
use chorus_store::{
    Db, departments,
    training::{self as store, Learner, Member, Standing},
};
use std::collections::{HashMap, HashSet};

pub use chorus_store::training::{Assignment, Course, Lesson, Rule};

fn may_manage(caller: &Caller) -> bool {
    authorize(&caller.actor, Action::ManageEnablement).is_ok()
}

fn me(caller: &Caller) -> Result<UserId> {
    caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person can take a course")))
}

async fn course_of(db: &mut impl Db, caller: &Caller, id: CourseId) -> Result<Course> {
    store::get_course(db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

// ------------------------------------------------------------------------------------ courses

/// What the course form or API carries.
#[derive(Debug, Clone, Default)]
pub struct CourseInput {
    pub title: String,
    pub description: String,
    pub audience: String,
    pub topics: Vec<String>,
    /// Percent, 1–100; absent for the default (80).
    pub pass_mark: Option<i64>,
}

fn course_spec(input: &CourseInput) -> Result<CourseSpec> {
    CourseSpec::parse(&input.title, &input.description, &input.audience, &input.topics, input.pass_mark)
        .map_err(Error::Invalid)
}

pub async fn create_course(app: &App, caller: &Caller, input: CourseInput) -> Result<Course> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let spec = course_spec(&input)?;
    let now = app.now();
    let org = caller.org_id();
    let c = Course {
        id: CourseId::new(),
        title: spec.title,
        description: spec.description,
        audience: spec.audience,
        topics: spec.topics,
        pass_mark: spec.pass_mark,
        created_by: caller.actor.user_id,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.store.tx().await?;
    store::insert_course(&mut tx, org, &c).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("course.created").target("course", c.id).detail(serde_json::json!({"title": c.title})),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// Changes a course's title, description, audience, topics and pass mark. A new pass mark
/// applies to everyone's best score from now on.
pub async fn update_course(app: &App, caller: &Caller, id: CourseId, input: CourseInput) -> Result<Course> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let spec = course_spec(&input)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let mut c = course_of(&mut tx, caller, id).await?;
    c.title = spec.title;
    c.description = spec.description;
    c.audience = spec.audience;
    c.topics = spec.topics;
    c.pass_mark = spec.pass_mark;
    c.updated_at = now;
    store::update_course(&mut tx, caller.org_id(), &c).await?;
    audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("course.updated").target("course", id))
        .await?;
    tx.commit().await?;
    Ok(c)
}

/// What the lesson form or API carries.
#[derive(Debug, Clone, Default)]
pub struct LessonInput {
    pub title: String,
    /// Markdown; media by URL.
    pub body: String,
}

/// Adds a lesson at the end of the course.
pub async fn add_lesson(app: &App, caller: &Caller, id: CourseId, input: LessonInput) -> Result<Lesson> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let spec = LessonSpec::parse(&input.title, &input.body).map_err(Error::Invalid)?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    course_of(&mut tx, caller, id).await?;
    let existing = store::lessons(&mut tx, org, id).await?;
    if existing.len() >= training::MAX_LESSONS {
        return Err(Invalid::new(
            "lessons",
            format!("a course has at most {} lessons", training::MAX_LESSONS),
        )
        .into());
    }
    let lesson = Lesson {
        id: LessonId::new(),
        course_id: id,
        position: existing.iter().map(|l| l.position).max().unwrap_or(0) + 1,
        title: spec.title,
        body: spec.body,
        created_at: now,
    };
    store::insert_lesson(&mut tx, org, &lesson).await?;
    audit::record(&mut tx, org, caller, now, Entry::new("course.lesson_added").target("course", id)).await?;
    tx.commit().await?;
    Ok(lesson)
}

/// Removes a lesson; people's "done" for it goes with it.
pub async fn remove_lesson(app: &App, caller: &Caller, id: CourseId, lesson: LessonId) -> Result<()> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    course_of(&mut tx, caller, id).await?;
    if !store::delete_lesson(&mut tx, org, id, lesson).await? {
        return Err(Error::NotFound);
    }
    audit::record(&mut tx, org, caller, now, Entry::new("course.lesson_removed").target("course", id))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What the quiz-question form or API carries.
#[derive(Debug, Clone, Default)]
pub struct QuestionInput {
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the correct option, 0-based.
    pub correct: Option<i64>,
}

/// A quiz question as the caller may see it: `correct` only for those who manage courses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: QuizQuestionId,
    pub prompt: String,
    pub options: Vec<String>,
    pub correct: Option<u8>,
}

fn question_for(q: store::QuizQuestion, manager: bool) -> Question {
    Question { id: q.id, prompt: q.prompt, options: q.options, correct: manager.then_some(q.correct) }
}

/// Adds a multiple-choice question at the end of the quiz. Best scores already recorded stay
/// as they were.
pub async fn add_question(
    app: &App,
    caller: &Caller,
    id: CourseId,
    input: QuestionInput,
) -> Result<Question> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let spec =
        QuizQuestionSpec::parse(&input.prompt, &input.options, input.correct).map_err(Error::Invalid)?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    course_of(&mut tx, caller, id).await?;
    let existing = store::questions(&mut tx, org, id).await?;
    if existing.len() >= training::MAX_QUESTIONS {
        return Err(Invalid::new(
            "quiz",
            format!("a quiz has at most {} questions", training::MAX_QUESTIONS),
        )
        .into());
    }
    let q = store::QuizQuestion {
        id: QuizQuestionId::new(),
        course_id: id,
        position: existing.iter().map(|q| q.position).max().unwrap_or(0) + 1,
        prompt: spec.prompt,
        options: spec.options,
        correct: spec.correct,
        created_at: now,
    };
    store::insert_question(&mut tx, org, &q).await?;
    audit::record(&mut tx, org, caller, now, Entry::new("course.question_added").target("course", id))
        .await?;
    tx.commit().await?;
    Ok(question_for(q, true))
}

pub async fn remove_question(
    app: &App,
    caller: &Caller,
    id: CourseId,
    question: QuizQuestionId,
) -> Result<()> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    course_of(&mut tx, caller, id).await?;
    if !store::delete_question(&mut tx, org, id, question).await? {
        return Err(Error::NotFound);
    }
    audit::record(&mut tx, org, caller, now, Entry::new("course.question_removed").target("course", id))
        .await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------------------- reading them

/// The caller's progress in one course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub assignment: Option<Assignment>,
    pub lessons_total: usize,
    pub lessons_done: usize,
    pub questions: usize,
    pub best_score: Option<u8>,
    pub attempts: i64,
    pub passed: bool,
    pub completed: bool,
}

fn progress(
    c: &Course,
    lessons: usize,
    questions: usize,
    standing: &Standing,
    assignment: Option<Assignment>,
) -> Progress {
    let done = usize::try_from(standing.lessons_done).unwrap_or(0).min(lessons);
    Progress {
        assignment,
        lessons_total: lessons,
        lessons_done: done,
        questions,
        best_score: standing.best_score,
        attempts: standing.attempts,
        passed: standing.best_score.is_some_and(|s| training::passed(s, c.pass_mark)),
        completed: training::completed(lessons, done, questions, standing.best_score, c.pass_mark),
    }
}

/// A course in the catalogue, with the caller's progress.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub course: Course,
    pub progress: Progress,
}

/// Every course of the organization (by title) with the caller's progress in it.
pub async fn catalogue(app: &App, caller: &Caller) -> Result<Vec<CatalogueEntry>> {
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let courses = store::list_courses(&mut db, org).await?;
    let sizes: HashMap<CourseId, (usize, usize)> = store::sizes(&mut db, org)
        .await?
        .into_iter()
        .map(|(c, l, q)| (c, (usize::try_from(l).unwrap_or(0), usize::try_from(q).unwrap_or(0))))
        .collect();
    let (mut standings, mut assignments) = (HashMap::new(), HashMap::new());
    if let Some(me) = caller.actor.user_id {
        standings = store::standings_of(&mut db, org, me).await?.into_iter().collect();
        assignments =
            store::assignments_of(&mut db, org, me).await?.into_iter().map(|a| (a.course_id, a)).collect();
    }
    Ok(courses
        .into_iter()
        .map(|c| {
            let (lessons, questions) = sizes.get(&c.id).copied().unwrap_or_default();
            let standing = standings.get(&c.id).cloned().unwrap_or_default();
            let p = progress(&c, lessons, questions, &standing, assignments.remove(&c.id));
            CatalogueEntry { course: c, progress: p }
        })
        .collect())
}

/// A course with its lessons, quiz and the caller's progress.
#[derive(Debug, Clone)]
pub struct CourseView {
    pub course: Course,
    pub lessons: Vec<Lesson>,
    /// Lessons the caller has done.
    pub done: HashSet<LessonId>,
    /// Without the correct options unless the caller manages courses.
    pub quiz: Vec<Question>,
    pub progress: Progress,
}

pub async fn get(app: &App, caller: &Caller, id: CourseId) -> Result<CourseView> {
    let mut db = app.store.conn().await?;
    let course = course_of(&mut db, caller, id).await?;
    view(&mut db, caller, course).await
}

async fn view(db: &mut impl Db, caller: &Caller, course: Course) -> Result<CourseView> {
    let org = caller.org_id();
    let lessons = store::lessons(db, org, course.id).await?;
    let manager = may_manage(caller);
    let quiz: Vec<Question> =
        store::questions(db, org, course.id).await?.into_iter().map(|q| question_for(q, manager)).collect();
    let (mut done, mut standing, mut assignment) = (HashSet::new(), Standing::default(), None);
    if let Some(me) = caller.actor.user_id {
        let ids: HashSet<LessonId> = lessons.iter().map(|l| l.id).collect();
        done = store::done_lessons(db, org, course.id, me)
            .await?
            .into_iter()
            .filter(|l| ids.contains(l))
            .collect();
        standing = store::standings_of(db, org, me)
            .await?
            .into_iter()
            .find(|(c, _)| *c == course.id)
            .map(|(_, s)| s)
            .unwrap_or_default();
        assignment = store::assignments_of(db, org, me).await?.into_iter().find(|a| a.course_id == course.id);
    }
    standing.lessons_done = done.len() as i64;
    let p = progress(&course, lessons.len(), quiz.len(), &standing, assignment);
    Ok(CourseView { course, lessons, done, quiz, progress: p })
}

// ----------------------------------------------------------------------------- taking courses

/// The caller marks a lesson done (once; doing it again changes nothing).
pub async fn mark_done(app: &App, caller: &Caller, id: CourseId, lesson: LessonId) -> Result<CourseView> {
    let me = me(caller)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let course = course_of(&mut tx, caller, id).await?;
    if !store::lessons(&mut tx, org, id).await?.iter().any(|l| l.id == lesson) {
        return Err(Error::NotFound);
    }
    store::mark_done(&mut tx, org, id, lesson, me, app.now()).await?;
    let v = view(&mut tx, caller, course).await?;
    if v.progress.completed {
        let source = chorus_domain::recognition::source::course(id);
        crate::recognition::pay(&mut tx, org, me, PointEvent::TrainingCompleted, &source, app.now()).await?;
    }
    tx.commit().await?;
    Ok(v)
}

/// The outcome of one attempt at a quiz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graded {
    /// This attempt's score, percent.
    pub score: u8,
    pub passed: bool,
    /// The best over every attempt (the one that counts).
    pub best_score: u8,
    pub completed: bool,
}

/// The caller takes the quiz: `answers` holds the chosen option per question, in the quiz's
/// order. Retakes are allowed; the best score counts. Nothing in the answer says which option
/// was right.
pub async fn attempt(app: &App, caller: &Caller, id: CourseId, answers: &[i64]) -> Result<Graded> {
    let me = me(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let course = course_of(&mut tx, caller, id).await?;
    let quiz: Vec<QuizQuestionSpec> = store::questions(&mut tx, org, id)
        .await?
        .into_iter()
        .map(|q| QuizQuestionSpec { prompt: q.prompt, options: q.options, correct: q.correct })
        .collect();
    if quiz.is_empty() {
        return Err(Error::Conflict("this course has no quiz".into()));
    }
    let score = training::grade(&quiz, answers)?;
    let a = store::Attempt {
        id: uuid::Uuid::now_v7(),
        course_id: id,
        user_id: me,
        answers: answers.to_vec(),
        score,
        attempted_at: now,
    };
    store::insert_attempt(&mut tx, org, &a).await?;
    let v = view(&mut tx, caller, course).await?;
    if v.progress.completed {
        let source = chorus_domain::recognition::source::course(id);
        crate::recognition::pay(&mut tx, org, me, PointEvent::TrainingCompleted, &source, now).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("course.quiz_taken").target("course", id).detail(serde_json::json!({"score": score})),
    )
    .await?;
    tx.commit().await?;
    Ok(Graded {
        score,
        passed: training::passed(score, v.course.pass_mark),
        best_score: v.progress.best_score.unwrap_or(score),
        completed: v.progress.completed,
    })
}

// -------------------------------------------------------------------------------- assignments

/// Who to assign a course to: any mix of people, one department, or everyone.
#[derive(Debug, Clone, Default)]
pub struct AssignInput {
    pub user_ids: Vec<UserId>,
    pub department_id: Option<DepartmentId>,
    pub everyone: bool,
    /// Why ("Onboarding"); "Assigned by <name>" when empty.
    pub reason: Option<String>,
}

/// The outcome of assigning.
#[derive(Debug, Clone, Default)]
pub struct Assigned {
    /// People who got the course now.
    pub newly: Vec<Person>,
    /// People it was already assigned to (their first assignment stands).
    pub already: usize,
}

/// Assigns a course. Assigning to someone who already has it keeps the first assignment.
pub async fn assign(app: &App, caller: &Caller, id: CourseId, input: AssignInput) -> Result<Assigned> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let reason = training::parse_reason(input.reason.as_deref().unwrap_or_default())?
        .unwrap_or_else(|| format!("Assigned by {}", caller.label));
    if input.user_ids.is_empty() && input.department_id.is_none() && !input.everyone {
        return Err(Invalid::new("user_ids", "say who: some people, a department, or everyone").into());
    }
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let course = course_of(&mut tx, caller, id).await?;
    let members = store::active_members(&mut tx, org).await?;
    let names = department_names(&mut tx, caller).await?;
    let mut targets: Vec<&Member> = Vec::new();
    for u in &input.user_ids {
        let m = members
            .iter()
            .find(|m| m.id == *u)
            .ok_or_else(|| Invalid::new("user_ids", format!("no active person with the id {u}")))?;
        targets.push(m);
    }
    if let Some(d) = input.department_id {
        if !names.contains_key(&d) {
            return Err(Invalid::new("department_id", "no such department").into());
        }
        targets.extend(members.iter().filter(|m| m.department_id == Some(d)));
    }
    if input.everyone {
        targets.extend(members.iter());
    }
    let out = assign_to(&mut tx, app, caller, &course, &targets, &reason, &names).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("course.assigned")
            .target("course", id)
            .detail(serde_json::json!({"assigned": out.newly.len(), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

async fn department_names(db: &mut impl Db, caller: &Caller) -> Result<HashMap<DepartmentId, String>> {
    Ok(departments::names(db, caller.org_id()).await?.into_iter().collect())
}

/// Assigns and tells each person newly assigned (in the app, and by e-mail when configured).
async fn assign_to(
    db: &mut impl Db,
    app: &App,
    caller: &Caller,
    course: &Course,
    targets: &[&Member],
    reason: &str,
    names: &HashMap<DepartmentId, String>,
) -> Result<Assigned> {
    let org = caller.org_id();
    let now = app.now();
    let mut out = Assigned::default();
    let mut seen = HashSet::new();
    for m in targets {
        if !seen.insert(m.id) {
            continue;
        }
        if store::assign(db, org, course.id, m.id, reason, caller.actor.user_id, now).await? {
            out.newly.push(Person {
                id: m.id,
                name: m.name.clone(),
                department: m.department_id.and_then(|d| names.get(&d).cloned()),
            });
        } else {
            out.already += 1;
        }
    }
    let news = News {
        kind: "training",
        title: format!("A course for you: “{}” ({reason})", course.title),
        link: format!("/training/{}", course.id),
    };
    let recipients = out.newly.iter().map(|p| p.id).collect();
    notify::send(db, app, org, recipients, caller.actor.user_id, &news, now).await?;
    Ok(out)
}

// ----------------------------------------------------------------------------------- report

/// Assigned and completed, for one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub group: String,
    pub assigned: u32,
    /// Of the assigned, how many completed.
    pub completed: u32,
    /// People who completed it without being assigned.
    pub unassigned_completed: u32,
}

impl Completion {
    pub fn percent(&self) -> u32 {
        (self.completed * 100).checked_div(self.assigned).unwrap_or(0)
    }
}

/// One person in a completion report.
#[derive(Debug, Clone)]
pub struct LearnerRow {
    pub person: Person,
    pub assignment: Option<Assignment>,
    pub lessons_done: usize,
    pub best_score: Option<u8>,
    pub attempts: i64,
    pub completed: bool,
}

#[derive(Debug, Clone)]
pub struct CompletionReport {
    pub course: Course,
    pub lessons: usize,
    pub questions: usize,
    pub overall: Completion,
    pub by_department: Vec<Completion>,
    /// Everyone assigned or who started it, by name.
    pub people: Vec<LearnerRow>,
}

/// Who is assigned a course and who completed it, overall and per department, with each
/// person's progress (admins and the social team).
pub async fn report(app: &App, caller: &Caller, id: CourseId) -> Result<CompletionReport> {
    authorize(&caller.actor, Action::ViewEnablementReports)?;
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    let course = course_of(&mut db, caller, id).await?;
    let lessons = store::lessons(&mut db, org, id).await?.len();
    let questions = store::questions(&mut db, org, id).await?.len();
    let learners: Vec<Learner> = store::learners(&mut db, org, id).await?;
    let names = department_names(&mut db, caller).await?;
    let department = |d: Option<DepartmentId>| d.and_then(|d| names.get(&d).cloned());
    let people: Vec<LearnerRow> = learners
        .into_iter()
        .map(|l| {
            let p = progress(&course, lessons, questions, &l.standing, l.assignment);
            LearnerRow {
                person: Person { id: l.user_id, name: l.name, department: department(l.department_id) },
                lessons_done: p.lessons_done,
                best_score: p.best_score,
                attempts: p.attempts,
                completed: p.completed,
                assignment: p.assignment,
            }
        })
        .collect();
    let tally = |group: String, rows: &mut dyn Iterator<Item = &LearnerRow>| {
        let mut c = Completion { group, assigned: 0, completed: 0, unassigned_completed: 0 };
        for r in rows {
            match (r.assignment.is_some(), r.completed) {
                (true, done) => {
                    c.assigned += 1;
                    c.completed += u32::from(done);
                }
                (false, true) => c.unassigned_completed += 1,
                (false, false) => {}
            }
        }
        c
    };
    let mut groups: Vec<Option<String>> = people.iter().map(|p| p.person.department.clone()).collect();
    groups.sort();
    groups.dedup();
    let mut by_department: Vec<Completion> = groups
        .into_iter()
        .map(|g| {
            let label = g.clone().unwrap_or_else(|| "No department".into());
            tally(label, &mut people.iter().filter(|p| p.person.department == g))
        })
        .collect();
    by_department.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(CompletionReport {
        overall: tally("Everyone".into(), &mut people.iter()),
        by_department,
        people,
        lessons,
        questions,
        course,
    })
}

// -------------------------------------------------------------------------------------- rules

/// What the rule form or API carries.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub course_id: Option<CourseId>,
    pub topic: String,
    /// Percent, 1–100: groups scoring below it get the course.
    pub threshold: Option<i64>,
}

/// Adds a rule: assign a course to groups scoring below `threshold` on a topic it teaches.
pub async fn create_rule(app: &App, caller: &Caller, input: RuleInput) -> Result<Rule> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut p = crate::Problems::default();
    let topic = p.check(training::parse_topic(&input.topic));
    let threshold = p.check(match input.threshold {
        Some(t) => training::parse_percent(t, "threshold"),
        None => Err(Invalid::new("threshold", "must be a whole percent from 1 to 100")),
    });
    let course_id = p.check(input.course_id.ok_or_else(|| Invalid::new("course_id", "choose a course")));
    p.finish()?;
    let (Some(topic), Some(threshold), Some(course_id)) = (topic, threshold, course_id) else {
        return Err(Invalid::new("rule", "incomplete").into());
    };
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let course = store::get_course(&mut tx, org, course_id)
        .await?
        .ok_or_else(|| Invalid::new("course_id", "no such course"))?;
    if !course.topics.iter().any(|t| training::same_topic(t, &topic)) {
        return Err(Invalid::new(
            "topic",
            format!("“{}” does not teach {topic}: add the topic to the course first", course.title),
        )
        .into());
    }
    let rule = Rule {
        id: TrainingRuleId::new(),
        course_id,
        course_title: course.title.clone(),
        topic,
        threshold,
        created_by: caller.actor.user_id,
        created_at: now,
    };
    store::insert_rule(&mut tx, org, &rule).await.map_err(|e| {
        if e.is_conflict() {
            Error::Conflict("this course already has a rule for this topic; remove it first".into())
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("training_rule.created")
            .target("training_rule", rule.id)
            .detail(serde_json::json!({"course": course_id, "topic": rule.topic, "threshold": threshold})),
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

/// The organization's rules (owners and admins).
pub async fn rules(app: &App, caller: &Caller) -> Result<Vec<Rule>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut db = app.store.conn().await?;
    Ok(store::rules(&mut db, caller.org_id()).await?)
}

pub async fn delete_rule(app: &App, caller: &Caller, id: TrainingRuleId) -> Result<()> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if !store::delete_rule(&mut tx, caller.org_id(), id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("training_rule.deleted").target("training_rule", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One group a rule found below its threshold, and who got the course because of it.
#[derive(Debug, Clone)]
pub struct AppliedGroup {
    pub rule_id: TrainingRuleId,
    pub course_id: CourseId,
    pub course_title: String,
    pub topic: String,
    pub threshold: u8,
    /// The report column's key (`all`, `d:<id>`, `b:<band>`) and label.
    pub key: String,
    pub label: String,
    /// The group's score for the topic, percent.
    pub score: u32,
    /// People newly assigned (anyone who already had the course is left as they were).
    pub assigned: Vec<Person>,
}

/// Applies every rule to a closed survey's results.
///
/// Admins do this explicitly (a button on the survey's report page, or
/// `POST /api/v1/courses/rules/apply`); nothing applies rules on its own when a survey closes,
/// so an admin sees the gaps before anyone is assigned anything.
///
/// For each rule, the report's department and band columns whose shown score for the rule's
/// topic is below the threshold are targeted: the course goes to every active member of that
/// group within the survey's audience. When no group column shows a score for the topic, the
/// whole audience is targeted if its overall score is below. Hidden groups are never singled
/// out (`chorus_domain::training::gap_targets`). Assigning is idempotent, so applying twice
/// assigns nobody twice.
pub async fn apply_rules(app: &App, caller: &Caller, survey: SurveyId) -> Result<Vec<AppliedGroup>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    // The report itself answers 404 for another organization's survey, 409 before it closes,
    // and leaves out every group under k.
    let report = crate::surveys::report(app, caller, survey, None).await?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let audience = chorus_store::surveys::audience(&mut tx, survey).await?;
    let members: Vec<Member> = store::active_members(&mut tx, org)
        .await?
        .into_iter()
        .filter(|m| audience.is_empty() || m.department_id.is_some_and(|d| audience.contains(&d)))
        .collect();
    let names = department_names(&mut tx, caller).await?;
    let rules = store::rules(&mut tx, org).await?;
    let groups: Vec<Option<GapGroup>> = report.columns.iter().map(|c| GapGroup::parse_key(&c.key)).collect();
    let mut out = Vec::new();
    for rule in &rules {
        let Some(row) = report.topics.iter().find(|t| training::same_topic(&t.topic, &rule.topic)) else {
            continue;
        };
        let Some(course) = store::get_course(&mut tx, org, rule.course_id).await? else { continue };
        // Columns we cannot read (none today) are left out rather than guessed at.
        let columns: Vec<(usize, GapGroup, Option<u32>)> = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| g.map(|g| (i, g, row.scores.get(i).copied().flatten())))
            .collect();
        let flat: Vec<(GapGroup, Option<u32>)> = columns.iter().map(|(_, g, s)| (*g, *s)).collect();
        for target in training::gap_targets(&flat, rule.threshold) {
            let (ci, group, score) = columns[target];
            let column = &report.columns[ci];
            let in_group = |m: &&Member| match group {
                GapGroup::Everyone => true,
                GapGroup::Department(d) => m.department_id == Some(d),
                GapGroup::Band(b) => m.seniority.and_then(Band::of) == Some(b),
            };
            let targets: Vec<&Member> = members.iter().filter(in_group).collect();
            let reason = match group {
                GapGroup::Everyone => format!("Survey gap: {} (everyone surveyed)", row.topic),
                _ => format!("Survey gap: {} in {}", row.topic, column.label),
            };
            let done = assign_to(&mut tx, app, caller, &course, &targets, &reason, &names).await?;
            out.push(AppliedGroup {
                rule_id: rule.id,
                course_id: course.id,
                course_title: course.title.clone(),
                topic: row.topic.clone(),
                threshold: rule.threshold,
                key: column.key.clone(),
                label: column.label.clone(),
                score: score.unwrap_or_default(),
                assigned: done.newly,
            });
        }
    }
    let assigned: usize = out.iter().map(|g| g.assigned.len()).sum();
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("training_rules.applied")
            .target("survey", survey)
            .detail(serde_json::json!({"groups": out.len(), "assigned": assigned})),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
