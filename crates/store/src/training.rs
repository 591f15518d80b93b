//! Training: courses, lessons, quiz questions, assignments, progress and gap rules (migration
//! 0014). Every query is scoped by the caller's organization.

use crate::{Db, Result, run};
use chorus_domain::{
    CourseId, DepartmentId, LessonId, OrgId, QuizQuestionId, TrainingRuleId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

fn list_json(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn to_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn percent(raw: i64) -> u8 {
    u8::try_from(raw.clamp(0, 100)).unwrap_or(100)
}

// ------------------------------------------------------------------------------------ courses

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: CourseId,
    pub title: String,
    pub description: String,
    pub audience: String,
    pub topics: Vec<String>,
    pub pass_mark: u8,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type CourseRow = (Uuid, String, String, String, String, i64, Option<Uuid>, i64, i64);

macro_rules! course_columns {
    () => {
        "id, title, description, audience, topics, pass_mark, created_by, created_at, updated_at"
    };
}

fn course(r: CourseRow) -> Course {
    Course {
        id: r.0.into(),
        title: r.1,
        description: r.2,
        audience: r.3,
        topics: list_json(&r.4),
        pass_mark: percent(r.5),
        created_by: r.6.map(Into::into),
        created_at: from_millis(r.7),
        updated_at: from_millis(r.8),
    }
}

pub async fn insert_course(db: &mut impl Db, org: OrgId, c: &Course) -> Result<()> {
    const SQL: &str = "insert into courses (id, org_id, title, description, audience, topics, pass_mark, \
         created_by, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let topics = to_json(&c.topics);
    run!(db, |x| sqlx::query(SQL)
        .bind(c.id.0)
        .bind(org.0)
        .bind(&c.title)
        .bind(&c.description)
        .bind(&c.audience)
        .bind(&topics)
        .bind(i64::from(c.pass_mark))
        .bind(c.created_by.map(|u| u.0))
        .bind(to_millis(c.created_at))
        .bind(to_millis(c.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Title, description, audience, topics and pass mark.
pub async fn update_course(db: &mut impl Db, org: OrgId, c: &Course) -> Result<bool> {
    const SQL: &str = "update courses set title = $3, description = $4, audience = $5, topics = $6, \
         pass_mark = $7, updated_at = $8 where org_id = $1 and id = $2";
    let topics = to_json(&c.topics);
    let n = run!(db, |x| sqlx::query(SQL)
        .bind(org.0)
        .bind(c.id.0)
        .bind(&c.title)
        .bind(&c.description)
        .bind(&c.audience)
        .bind(&topics)
        .bind(i64::from(c.pass_mark))
        .bind(to_millis(c.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get_course(db: &mut impl Db, org: OrgId, id: CourseId) -> Result<Option<Course>> {
    const SQL: &str = concat!("select ", course_columns!(), " from courses where org_id = $1 and id = $2");
    let row: Option<CourseRow> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(x).await)?;
    Ok(row.map(course))
}

/// The catalogue: every course of an organization, by title.
pub async fn list_courses(db: &mut impl Db, org: OrgId) -> Result<Vec<Course>> {
    const SQL: &str =
        concat!("select ", course_columns!(), " from courses where org_id = $1 order by title, id");
    let rows: Vec<CourseRow> = run!(db, |x| sqlx::query_as(SQL).bind(org.0).fetch_all(x).await)?;
    Ok(rows.into_iter().map(course).collect())
}

/// How many lessons and quiz questions each course of an organization has.
pub async fn sizes(db: &mut impl Db, org: OrgId) -> Result<Vec<(CourseId, i64, i64)>> {
    const SQL: &str = "select c.id, \
         (select count(*) from course_lessons l where l.course_id = c.id), \
         (select count(*) from course_questions q where q.course_id = c.id) \
         from courses c where c.org_id = $1";
    let rows: Vec<(Uuid, i64, i64)> = run!(db, |x| sqlx::query_as(SQL).bind(org.0).fetch_all(x).await)?;
    Ok(rows.into_iter().map(|(id, l, q)| (id.into(), l, q)).collect())
}

// ------------------------------------------------------------------------------------ lessons

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: LessonId,
    pub course_id: CourseId,
    pub position: i64,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub created_at: OffsetDateTime,
}

pub async fn insert_lesson(db: &mut impl Db, org: OrgId, l: &Lesson) -> Result<()> {
    const SQL: &str = "insert into course_lessons (id, course_id, org_id, position, title, body, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7)";
    run!(db, |x| sqlx::query(SQL)
        .bind(l.id.0)
        .bind(l.course_id.0)
        .bind(org.0)
        .bind(l.position)
        .bind(&l.title)
        .bind(&l.body)
        .bind(to_millis(l.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A course's lessons in order.
pub async fn lessons(db: &mut impl Db, org: OrgId, course: CourseId) -> Result<Vec<Lesson>> {
    const SQL: &str = "select id, position, title, body, created_at from course_lessons \
         where org_id = $1 and course_id = $2 order by position, id";
    let rows: Vec<(Uuid, i64, String, String, i64)> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(course.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, position, title, body, at)| Lesson {
            id: id.into(),
            course_id: course,
            position,
            title,
            body,
            created_at: from_millis(at),
        })
        .collect())
}

/// Removes a lesson (and everyone's "done" for it).
pub async fn delete_lesson(db: &mut impl Db, org: OrgId, course: CourseId, id: LessonId) -> Result<bool> {
    let n = run!(db, |x| sqlx::query(
        "delete from course_lessons where org_id = $1 and course_id = $2 and id = $3"
    )
    .bind(org.0)
    .bind(course.0)
    .bind(id.0)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// --------------------------------------------------------------------------------------- quiz

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizQuestion {
    pub id: QuizQuestionId,
    pub course_id: CourseId,
    pub position: i64,
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the correct option: for grading and for the people who manage courses.
    pub correct: u8,
    pub created_at: OffsetDateTime,
}

pub async fn insert_question(db: &mut impl Db, org: OrgId, q: &QuizQuestion) -> Result<()> {
    const SQL: &str = "insert into course_questions (id, course_id, org_id, position, prompt, options, correct, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    let options = to_json(&q.options);
    run!(db, |x| sqlx::query(SQL)
        .bind(q.id.0)
        .bind(q.course_id.0)
        .bind(org.0)
        .bind(q.position)
        .bind(&q.prompt)
        .bind(&options)
        .bind(i64::from(q.correct))
        .bind(to_millis(q.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A course's quiz in order.
pub async fn questions(db: &mut impl Db, org: OrgId, course: CourseId) -> Result<Vec<QuizQuestion>> {
    const SQL: &str = "select id, position, prompt, options, correct, created_at from course_questions \
         where org_id = $1 and course_id = $2 order by position, id";
    let rows: Vec<(Uuid, i64, String, String, i64, i64)> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(course.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, position, prompt, options, correct, at)| QuizQuestion {
            id: id.into(),
            course_id: course,
            position,
            prompt,
            options: list_json(&options),
            correct: u8::try_from(correct).unwrap_or(u8::MAX),
            created_at: from_millis(at),
        })
        .collect())
}

pub async fn delete_question(
    db: &mut impl Db,
    org: OrgId,
    course: CourseId,
    id: QuizQuestionId,
) -> Result<bool> {
    let n = run!(db, |x| sqlx::query(
        "delete from course_questions where org_id = $1 and course_id = $2 and id = $3"
    )
    .bind(org.0)
    .bind(course.0)
    .bind(id.0)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// -------------------------------------------------------------------------------- assignments

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub course_id: CourseId,
    pub reason: String,
    pub assigned_by: Option<UserId>,
    pub assigned_at: OffsetDateTime,
}

/// Assigns a course to a person; false when it already was (the first assignment stands).
pub async fn assign(
    db: &mut impl Db,
    org: OrgId,
    course: CourseId,
    user: UserId,
    reason: &str,
    by: Option<UserId>,
    at: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into course_assignments (course_id, user_id, org_id, reason, assigned_by, assigned_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (course_id, user_id) do nothing";
    let n = run!(db, |x| sqlx::query(SQL)
        .bind(course.0)
        .bind(user.0)
        .bind(org.0)
        .bind(reason)
        .bind(by.map(|b| b.0))
        .bind(to_millis(at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The courses assigned to a person.
pub async fn assignments_of(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<Assignment>> {
    const SQL: &str = "select course_id, reason, assigned_by, assigned_at from course_assignments \
         where org_id = $1 and user_id = $2";
    let rows: Vec<(Uuid, String, Option<Uuid>, i64)> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(c, reason, by, at)| Assignment {
            course_id: c.into(),
            reason,
            assigned_by: by.map(Into::into),
            assigned_at: from_millis(at),
        })
        .collect())
}

// ----------------------------------------------------------------------------------- progress

/// Records that a person finished a lesson; false when they already had (the first time stands).
pub async fn mark_done(
    db: &mut impl Db,
    org: OrgId,
    course: CourseId,
    lesson: LessonId,
    user: UserId,
    at: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into lesson_completions (lesson_id, user_id, course_id, org_id, done_at) \
         values ($1, $2, $3, $4, $5) on conflict (lesson_id, user_id) do nothing";
    let n = run!(db, |x| sqlx::query(SQL)
        .bind(lesson.0)
        .bind(user.0)
        .bind(course.0)
        .bind(org.0)
        .bind(to_millis(at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The lessons of a course a person has done.
pub async fn done_lessons(
    db: &mut impl Db,
    org: OrgId,
    course: CourseId,
    user: UserId,
) -> Result<Vec<LessonId>> {
    const SQL: &str =
        "select lesson_id from lesson_completions where org_id = $1 and course_id = $2 and user_id = $3";
    let rows: Vec<Uuid> =
        run!(db, |x| sqlx::query_scalar(SQL).bind(org.0).bind(course.0).bind(user.0).fetch_all(x).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: Uuid,
    pub course_id: CourseId,
    pub user_id: UserId,
    pub answers: Vec<i64>,
    pub score: u8,
    pub attempted_at: OffsetDateTime,
}

pub async fn insert_attempt(db: &mut impl Db, org: OrgId, a: &Attempt) -> Result<()> {
    const SQL: &str = "insert into quiz_attempts (id, course_id, user_id, org_id, answers, score, attempted_at) \
         values ($1, $2, $3, $4, $5, $6, $7)";
    let answers = serde_json::to_string(&a.answers).unwrap_or_else(|_| "[]".into());
    run!(db, |x| sqlx::query(SQL)
        .bind(a.id)
        .bind(a.course_id.0)
        .bind(a.user_id.0)
        .bind(org.0)
        .bind(&answers)
        .bind(i64::from(a.score))
        .bind(to_millis(a.attempted_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One person's standing in one course.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub lessons_done: i64,
    pub best_score: Option<u8>,
    pub attempts: i64,
}

/// A person's lessons done, best score and attempts, per course they have started.
pub async fn standings_of(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<(CourseId, Standing)>> {
    const SQL: &str = "select c.id, \
         (select count(*) from lesson_completions d where d.course_id = c.id and d.user_id = $2), \
         (select max(a.score) from quiz_attempts a where a.course_id = c.id and a.user_id = $2), \
         (select count(*) from quiz_attempts a where a.course_id = c.id and a.user_id = $2) \
         from courses c where c.org_id = $1";
    let rows: Vec<(Uuid, i64, Option<i64>, i64)> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(c, done, best, attempts)| {
            (c.into(), Standing { lessons_done: done, best_score: best.map(percent), attempts })
        })
        .collect())
}

/// Someone in a course's completion report: assigned, or started it on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    pub user_id: UserId,
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub assignment: Option<Assignment>,
    pub standing: Standing,
}

type LearnerRow =
    (Uuid, String, Option<Uuid>, Option<String>, Option<Uuid>, Option<i64>, i64, Option<i64>, i64);

/// Every active person who is assigned a course or has started it, by name.
pub async fn learners(db: &mut impl Db, org: OrgId, course: CourseId) -> Result<Vec<Learner>> {
    const SQL: &str = "select u.id, u.name, u.department_id, a.reason, a.assigned_by, a.assigned_at, \
         (select count(*) from lesson_completions d where d.course_id = $2 and d.user_id = u.id), \
         (select max(q.score) from quiz_attempts q where q.course_id = $2 and q.user_id = u.id), \
         (select count(*) from quiz_attempts q where q.course_id = $2 and q.user_id = u.id) \
         from users u left join course_assignments a on a.course_id = $2 and a.user_id = u.id \
         where u.org_id = $1 and u.status = 'active' and (a.user_id is not null \
              or exists (select 1 from lesson_completions d where d.course_id = $2 and d.user_id = u.id) \
              or exists (select 1 from quiz_attempts q where q.course_id = $2 and q.user_id = u.id)) \
         order by u.name, u.id";
    let rows: Vec<LearnerRow> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).bind(course.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, d, reason, by, at, done, best, attempts)| Learner {
            user_id: id.into(),
            name,
            department_id: d.map(Into::into),
            assignment: match (reason, at) {
                (Some(reason), Some(at)) => Some(Assignment {
                    course_id: course,
                    reason,
                    assigned_by: by.map(Into::into),
                    assigned_at: from_millis(at),
                }),
                _ => None,
            },
            standing: Standing { lessons_done: done, best_score: best.map(percent), attempts },
        })
        .collect())
}

/// An active person, as assignment targets are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: UserId,
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub seniority: Option<u8>,
}

/// Every active person of an organization, by name.
pub async fn active_members(db: &mut impl Db, org: OrgId) -> Result<Vec<Member>> {
    const SQL: &str = "select id, name, department_id, seniority from users \
         where org_id = $1 and status = 'active' order by name, id";
    let rows: Vec<(Uuid, String, Option<Uuid>, Option<i64>)> =
        run!(db, |x| sqlx::query_as(SQL).bind(org.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, d, s)| Member {
            id: id.into(),
            name,
            department_id: d.map(Into::into),
            seniority: s.and_then(|s| u8::try_from(s).ok()),
        })
        .collect())
}

// -------------------------------------------------------------------------------------- rules

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: TrainingRuleId,
    pub course_id: CourseId,
    /// The course's title (read with the rule).
    pub course_title: String,
    pub topic: String,
    pub threshold: u8,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// Stores a rule; `Conflict` when the course already has a rule for the topic.
pub async fn insert_rule(db: &mut impl Db, org: OrgId, r: &Rule) -> Result<()> {
    const SQL: &str = "insert into training_rules (id, org_id, course_id, topic, topic_key, threshold, \
         created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |x| sqlx::query(SQL)
        .bind(r.id.0)
        .bind(org.0)
        .bind(r.course_id.0)
        .bind(&r.topic)
        .bind(r.topic.trim().to_lowercase())
        .bind(i64::from(r.threshold))
        .bind(r.created_by.map(|u| u.0))
        .bind(to_millis(r.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

type RuleRow = (Uuid, Uuid, String, String, i64, Option<Uuid>, i64);

/// Every rule of an organization, oldest first.
pub async fn rules(db: &mut impl Db, org: OrgId) -> Result<Vec<Rule>> {
    const SQL: &str = "select r.id, r.course_id, c.title, r.topic, r.threshold, r.created_by, r.created_at \
         from training_rules r join courses c on c.id = r.course_id \
         where r.org_id = $1 order by r.created_at, r.id";
    let rows: Vec<RuleRow> = run!(db, |x| sqlx::query_as(SQL).bind(org.0).fetch_all(x).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, course, title, topic, threshold, by, at)| Rule {
            id: id.into(),
            course_id: course.into(),
            course_title: title,
            topic,
            threshold: percent(threshold),
            created_by: by.map(Into::into),
            created_at: from_millis(at),
        })
        .collect())
}

pub async fn delete_rule(db: &mut impl Db, org: OrgId, id: TrainingRuleId) -> Result<bool> {
    let n = run!(db, |x| sqlx::query("delete from training_rules where org_id = $1 and id = $2")
        .bind(org.0)
        .bind(id.0)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
