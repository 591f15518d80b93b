//! Knowledge surveys: definitions, who has answered, and the anonymous answers (migration 0011
//! explains what is stored and why).

use crate::{Db, Ex, Result, run, shapes::Shapes};
use chorus_domain::{
    DepartmentId, OrgId, QuestionId, SurveyId, UserId,
    clock::{from_millis, to_millis},
    survey::{QuestionKind, QuestionSpec, SurveyStatus},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    pub id: SurveyId,
    pub title: String,
    pub intro: String,
    pub status: SurveyStatus,
    pub k: u32,
    pub closes_at: Option<OffsetDateTime>,
    pub opened_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub previous_id: Option<SurveyId>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

type SurveyRow = (
    Uuid,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<Uuid>,
    Option<Uuid>,
    i64,
);

macro_rules! survey_columns {
    () => {
        "id, title, intro, status, k, closes_at, opened_at, closed_at, previous_id, created_by, created_at"
    };
}

fn survey(r: SurveyRow) -> Survey {
    Survey {
        id: r.0.into(),
        title: r.1,
        intro: r.2,
        status: SurveyStatus::parse(&r.3).unwrap_or(SurveyStatus::Closed),
        k: u32::try_from(r.4).unwrap_or(u32::MAX),
        closes_at: r.5.map(from_millis),
        opened_at: r.6.map(from_millis),
        closed_at: r.7.map(from_millis),
        previous_id: r.8.map(Into::into),
        created_by: r.9.map(Into::into),
        created_at: from_millis(r.10),
    }
}

pub async fn insert(db: &mut impl Db, org: OrgId, s: &Survey) -> Result<()> {
    const SQL: &str = "insert into surveys (id, org_id, title, intro, status, k, closes_at, opened_at, \
         closed_at, previous_id, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    run!(db, |c| sqlx::query(SQL)
        .bind(s.id.0)
        .bind(org.0)
        .bind(&s.title)
        .bind(&s.intro)
        .bind(s.status.as_str())
        .bind(i64::from(s.k))
        .bind(s.closes_at.map(to_millis))
        .bind(s.opened_at.map(to_millis))
        .bind(s.closed_at.map(to_millis))
        .bind(s.previous_id.map(|p| p.0))
        .bind(s.created_by.map(|u| u.0))
        .bind(to_millis(s.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: SurveyId) -> Result<Option<Survey>> {
    const SQL: &str = concat!("select ", survey_columns!(), " from surveys where org_id = $1 and id = $2");
    let row: Option<SurveyRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(survey))
}

/// Every survey of an organization, newest first.
pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<Survey>> {
    const SQL: &str = concat!(
        "select ",
        survey_columns!(),
        " from surveys where org_id = $1 order by created_at desc, id desc"
    );
    let rows: Vec<SurveyRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(survey).collect())
}

/// Title, introduction and closing time (drafts and open surveys).
pub async fn update_details(db: &mut impl Db, org: OrgId, s: &Survey) -> Result<bool> {
    const SQL: &str =
        "update surveys set title = $3, intro = $4, closes_at = $5, k = $6 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(s.id.0)
        .bind(&s.title)
        .bind(&s.intro)
        .bind(s.closes_at.map(to_millis))
        .bind(i64::from(s.k))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Moves a survey from `from` to `to`, stamping the time; false when it was not in `from`
/// (someone else moved it first).
pub async fn set_status(
    db: &mut impl Db,
    org: OrgId,
    id: SurveyId,
    from: SurveyStatus,
    to: SurveyStatus,
    at: OffsetDateTime,
) -> Result<bool> {
    let stamp = match to {
        SurveyStatus::Open => "opened_at",
        SurveyStatus::Closed => "closed_at",
        SurveyStatus::Draft => "created_at",
    };
    let sql =
        format!("update surveys set status = $4, {stamp} = $5 where org_id = $1 and id = $2 and status = $3");
    // `stamp` is one of three fixed column names.
    let n = run!(db, |c| sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(org.0)
        .bind(id.0)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn set_audience(db: &mut impl Db, survey: SurveyId, departments: &[DepartmentId]) -> Result<()> {
    run!(db, |c| sqlx::query("delete from survey_audience where survey_id = $1")
        .bind(survey.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    for d in departments {
        run!(db, |c| sqlx::query("insert into survey_audience (survey_id, department_id) values ($1, $2)")
            .bind(survey.0)
            .bind(d.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// The departments a survey is open to; empty for the whole organization.
pub async fn audience(db: &mut impl Db, survey: SurveyId) -> Result<Vec<DepartmentId>> {
    let rows: Vec<Uuid> = run!(db, |c| sqlx::query_scalar(
        "select department_id from survey_audience where survey_id = $1 order by department_id"
    )
    .bind(survey.0)
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

// ----------------------------------------------------------------------------------- questions

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: QuestionId,
    pub position: i64,
    pub spec: QuestionSpec,
    pub retired_at: Option<OffsetDateTime>,
    pub replaces: Option<QuestionId>,
}

type QuestionRow =
    (Uuid, i64, String, String, String, String, Option<i64>, Option<String>, Option<i64>, Option<Uuid>);

fn question(r: QuestionRow) -> Question {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    Question {
        id: r.0.into(),
        position: r.1,
        spec: QuestionSpec {
            kind: QuestionKind::parse(&r.2).unwrap_or(QuestionKind::Text),
            prompt: r.3,
            options: list(&r.4),
            topics: list(&r.5),
            correct: r.6.and_then(|c| u8::try_from(c).ok()),
            follow_up: r.7,
        },
        retired_at: r.8.map(from_millis),
        replaces: r.9.map(Into::into),
    }
}

pub async fn insert_question(db: &mut impl Db, org: OrgId, survey: SurveyId, q: &Question) -> Result<()> {
    const SQL: &str = "insert into survey_questions (id, survey_id, org_id, position, kind, prompt, options, \
         topics, correct, follow_up, retired_at, replaces) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let options = serde_json::to_string(&q.spec.options).unwrap_or_else(|_| "[]".into());
    let topics = serde_json::to_string(&q.spec.topics).unwrap_or_else(|_| "[]".into());
    run!(db, |c| sqlx::query(SQL)
        .bind(q.id.0)
        .bind(survey.0)
        .bind(org.0)
        .bind(q.position)
        .bind(q.spec.kind.as_str())
        .bind(&q.spec.prompt)
        .bind(&options)
        .bind(&topics)
        .bind(q.spec.correct.map(i64::from))
        .bind(q.spec.follow_up.as_deref())
        .bind(q.retired_at.map(to_millis))
        .bind(q.replaces.map(|r| r.0))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A survey's questions in order, retired ones included.
pub async fn questions(db: &mut impl Db, survey: SurveyId) -> Result<Vec<Question>> {
    const SQL: &str = "select id, position, kind, prompt, options, topics, correct, follow_up, retired_at, replaces \
         from survey_questions where survey_id = $1 order by position, id";
    let rows: Vec<QuestionRow> = run!(db, |c| sqlx::query_as(SQL).bind(survey.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(question).collect())
}

pub async fn update_question(db: &mut impl Db, survey: SurveyId, q: &Question) -> Result<bool> {
    const SQL: &str = "update survey_questions set kind = $3, prompt = $4, options = $5, topics = $6, \
         correct = $7, follow_up = $8 where survey_id = $1 and id = $2 and retired_at is null";
    let options = serde_json::to_string(&q.spec.options).unwrap_or_else(|_| "[]".into());
    let topics = serde_json::to_string(&q.spec.topics).unwrap_or_else(|_| "[]".into());
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(survey.0)
        .bind(q.id.0)
        .bind(q.spec.kind.as_str())
        .bind(&q.spec.prompt)
        .bind(&options)
        .bind(&topics)
        .bind(q.spec.correct.map(i64::from))
        .bind(q.spec.follow_up.as_deref())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete_question(db: &mut impl Db, survey: SurveyId, id: QuestionId) -> Result<bool> {
    let n = run!(db, |c| sqlx::query("delete from survey_questions where survey_id = $1 and id = $2")
        .bind(survey.0)
        .bind(id.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn retire_question(
    db: &mut impl Db,
    survey: SurveyId,
    id: QuestionId,
    at: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str =
        "update survey_questions set retired_at = $3 where survey_id = $1 and id = $2 and retired_at is null";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(survey.0)
        .bind(id.0)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ------------------------------------------------------------------------------- participation

pub async fn has_answered(db: &mut impl Db, survey: SurveyId, user: UserId) -> Result<bool> {
    let n: i64 = run!(db, |c| sqlx::query_scalar(
        "select count(*) from survey_participation where survey_id = $1 and user_id = $2"
    )
    .bind(survey.0)
    .bind(user.0)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

pub async fn answered_count(db: &mut impl Db, survey: SurveyId) -> Result<i64> {
    Ok(run!(db, |c| sqlx::query_scalar("select count(*) from survey_participation where survey_id = $1")
        .bind(survey.0)
        .fetch_one(c)
        .await)?)
}

/// One person of a survey's audience, and whether they have answered (never what).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub department_id: Option<DepartmentId>,
    pub seniority: Option<u8>,
    pub answered: bool,
}

type ParticipantRow = (Uuid, String, String, Option<Uuid>, Option<i64>, i32);

/// Everyone active in the survey's audience, by name.
pub async fn participants(db: &mut impl Db, org: OrgId, survey: SurveyId) -> Result<Vec<Participant>> {
    const SQL: &str = "select u.id, u.name, u.email, u.department_id, u.seniority, \
         case when p.user_id is null then 0 else 1 end \
         from users u left join survey_participation p on p.survey_id = $2 and p.user_id = u.id \
         where u.org_id = $1 and u.status = 'active' \
         and (not exists (select 1 from survey_audience a where a.survey_id = $2) \
              or u.department_id in (select a.department_id from survey_audience a where a.survey_id = $2)) \
         order by u.name, u.id";
    let rows: Vec<ParticipantRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(survey.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, email, d, s, answered)| Participant {
            user_id: id.into(),
            name,
            email,
            department_id: d.map(Into::into),
            seniority: s.and_then(|s| u8::try_from(s).ok()),
            answered: answered == 1,
        })
        .collect())
}

/// Every active person of a survey's audience with their department and seniority: what
/// decides whether a response may keep its department and band.
pub async fn audience_people(
    db: &mut impl Db,
    org: OrgId,
    survey: SurveyId,
) -> Result<Vec<(UserId, Option<DepartmentId>, Option<u8>)>> {
    const SQL: &str = "select u.id, u.department_id, u.seniority from users u \
         where u.org_id = $1 and u.status = 'active' \
         and (not exists (select 1 from survey_audience a where a.survey_id = $2) \
              or u.department_id in (select a.department_id from survey_audience a where a.survey_id = $2))";
    let rows: Vec<(Uuid, Option<Uuid>, Option<i64>)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(survey.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, d, s)| (id.into(), d.map(Into::into), s.and_then(|s| u8::try_from(s).ok())))
        .collect())
}

// ------------------------------------------------------------------------------------- answers

/// An answer on its way: no person, no time. `answers` is JSON `[[question id, answer], …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub department_id: Option<DepartmentId>,
    pub band: Option<String>,
    pub answers: String,
}

/// Whether a survey takes answers now.
pub async fn is_open(db: &mut impl Db, survey: SurveyId) -> Result<bool> {
    let status: Option<String> =
        run!(db, |c| sqlx::query_scalar("select status from surveys where id = $1")
            .bind(survey.0)
            .fetch_optional(c)
            .await)?;
    Ok(status.as_deref() == Some("open"))
}

/// Records who answered, many at once; returns those recorded now (not those who already had).
pub async fn participate_many(
    db: &mut impl Db,
    rows: &[(OrgId, SurveyId, UserId)],
) -> Result<Vec<(SurveyId, UserId)>> {
    let pg = on_postgres(db);
    let mut out = Vec::with_capacity(rows.len());
    let mut rest = rows;
    while !rest.is_empty() {
        let (sql, n) = PARTICIPATION.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(n);
        let done: Vec<(Uuid, Uuid)> = run!(db, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_ref()));
            for (org, survey, user) in chunk {
                q = q.bind(survey.0).bind(user.0).bind(org.0);
            }
            q.fetch_all(c).await
        })?;
        out.extend(done.into_iter().map(|(s, u)| (s.into(), u.into())));
        rest = tail;
    }
    Ok(out)
}

/// Puts ballots in their surveys' waiting rooms, each under a random id.
pub async fn insert_ballots(db: &mut impl Db, rows: &[(OrgId, SurveyId, &Ballot)]) -> Result<()> {
    let pg = on_postgres(db);
    let mut rest = rows;
    while !rest.is_empty() {
        let (sql, n) = BALLOTS.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(n);
        run!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for (org, survey, b) in chunk {
                q = q
                    .bind(Uuid::new_v4())
                    .bind(survey.0)
                    .bind(org.0)
                    .bind(b.department_id.map(|d| d.0))
                    .bind(b.band.as_deref())
                    .bind(&b.answers);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

/// Empties a survey's waiting room and answers what was in it. Two movers at once each get a
/// disjoint part (the rows are deleted as they are read).
pub async fn take_ballots(db: &mut impl Db, survey: SurveyId) -> Result<Vec<Ballot>> {
    const SQL: &str =
        "delete from survey_ballots where survey_id = $1 returning department_id, band, answers";
    let rows: Vec<(Option<Uuid>, Option<String>, String)> =
        run!(db, |c| sqlx::query_as(SQL).bind(survey.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(d, band, answers)| Ballot { department_id: d.map(Into::into), band, answers })
        .collect())
}

static PARTICIPATION: Shapes = Shapes::new(
    "insert into survey_participation (survey_id, user_id, org_id) values ",
    "(?,?,?)",
    " on conflict (survey_id, user_id) do nothing returning survey_id, user_id",
);
static BALLOTS: Shapes = Shapes::new(
    "insert into survey_ballots (id, survey_id, org_id, department_id, band, answers) values ",
    "(?,?,?,?,?,?)",
    "",
);
static RESPONSES: Shapes = Shapes::new(
    "insert into survey_responses (id, survey_id, org_id, department_id, band, answers) values ",
    "(?,?,?,?,?,?)",
    "",
);
static GROUP_COUNTS: Shapes = Shapes::new(
    "insert into survey_group_counts (survey_id, department, band, responses) values ",
    "(?,?,?,?)",
    " on conflict (survey_id, department, band) do update set responses = survey_group_counts.responses + excluded.responses",
);
static TALLIES: Shapes = Shapes::new(
    "insert into survey_tallies (survey_id, question_id, department, band, option, answers) values ",
    "(?,?,?,?,?,?)",
    " on conflict (question_id, department, band, option) do update set answers = survey_tallies.answers + excluded.answers",
);
static TEXTS: Shapes =
    Shapes::new("insert into survey_texts (id, survey_id, question_id, body) values ", "(?,?,?,?)", "");

fn on_postgres(db: &mut impl Db) -> bool {
    matches!(db.ex(), Ex::Postgres(_))
}

/// Stores responses under fresh random ids, in the order given (the caller shuffles).
pub async fn insert_responses(
    db: &mut impl Db,
    org: OrgId,
    survey: SurveyId,
    batch: &[Ballot],
) -> Result<()> {
    let pg = on_postgres(db);
    let mut rest = batch;
    while !rest.is_empty() {
        let (sql, rows) = RESPONSES.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(rows);
        run!(db, |c| {
            // Only placeholders are formatted in; every value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for r in chunk {
                q = q
                    .bind(Uuid::new_v4())
                    .bind(survey.0)
                    .bind(org.0)
                    .bind(r.department_id.map(|d| d.0))
                    .bind(r.band.as_deref())
                    .bind(&r.answers);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

/// Rewrites up to `n` earlier responses, and up to `n` open answers per question, unchanged: on
/// PostgreSQL they then carry the current transaction's id, joining the closing batch. Random
/// ids make `order by id` a random pick.
pub async fn rewrite_some(db: &mut impl Db, survey: SurveyId, n: i64) -> Result<()> {
    const RESPONSES: &str = "update survey_responses set answers = answers where id in \
         (select id from survey_responses where survey_id = $1 order by id limit $2)";
    const TEXTS: &str = "update survey_texts set body = body where id in \
         (select id from survey_texts where question_id = $1 order by id limit $2)";
    run!(db, |c| sqlx::query(RESPONSES).bind(survey.0).bind(n).execute(c).await.map(|r| r.rows_affected()))?;
    let questions: Vec<Uuid> = run!(db, |c| sqlx::query_scalar(
        "select id from survey_questions where survey_id = $1 and kind in ('text', 'yes_no')"
    )
    .bind(survey.0)
    .fetch_all(c)
    .await)?;
    for q in questions {
        run!(db, |c| sqlx::query(TEXTS).bind(q).bind(n).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Group keys in the count tables: '' when the attribute was not kept.
pub fn department_key(d: Option<DepartmentId>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Adds responses per (department, band); each key at most once per call.
pub async fn add_group_counts(
    db: &mut impl Db,
    survey: SurveyId,
    counts: &[(String, String, i64)],
) -> Result<()> {
    let pg = on_postgres(db);
    let mut rest = counts;
    while !rest.is_empty() {
        let (sql, rows) = GROUP_COUNTS.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(rows);
        run!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for (d, b, n) in chunk {
                q = q.bind(survey.0).bind(d).bind(b).bind(n);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

/// One count: how many in a (department, band) group chose an option of a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyRow {
    pub question_id: QuestionId,
    pub department: String,
    pub band: String,
    pub option: i64,
    pub answers: i64,
}

/// Adds to the option counts; each (question, department, band, option) at most once per call.
pub async fn add_tallies(db: &mut impl Db, survey: SurveyId, rows: &[TallyRow]) -> Result<()> {
    let pg = on_postgres(db);
    let mut rest = rows;
    while !rest.is_empty() {
        let (sql, n) = TALLIES.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(n);
        run!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for t in chunk {
                q = q
                    .bind(survey.0)
                    .bind(t.question_id.0)
                    .bind(&t.department)
                    .bind(&t.band)
                    .bind(t.option)
                    .bind(t.answers);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

pub async fn insert_texts(db: &mut impl Db, survey: SurveyId, texts: &[(QuestionId, String)]) -> Result<()> {
    let pg = on_postgres(db);
    let mut rest = texts;
    while !rest.is_empty() {
        let (sql, rows) = TEXTS.statement(pg, rest.len());
        let (chunk, tail) = rest.split_at(rows);
        run!(db, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()));
            for (question, body) in chunk {
                q = q.bind(Uuid::new_v4()).bind(survey.0).bind(question.0).bind(body);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        rest = tail;
    }
    Ok(())
}

pub async fn group_counts(db: &mut impl Db, survey: SurveyId) -> Result<Vec<(String, String, i64)>> {
    Ok(run!(db, |c| sqlx::query_as(
        "select department, band, responses from survey_group_counts where survey_id = $1"
    )
    .bind(survey.0)
    .fetch_all(c)
    .await)?)
}

pub async fn tallies(db: &mut impl Db, survey: SurveyId) -> Result<Vec<TallyRow>> {
    let rows: Vec<(Uuid, String, String, i64, i64)> = run!(db, |c| sqlx::query_as(
        "select question_id, department, band, option, answers from survey_tallies where survey_id = $1"
    )
    .bind(survey.0)
    .fetch_all(c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(q, department, band, option, answers)| TallyRow {
            question_id: q.into(),
            department,
            band,
            option,
            answers,
        })
        .collect())
}

/// Open answers to one question, a page at a time in random-id order (which is no order).
pub async fn texts(db: &mut impl Db, question: QuestionId, limit: i64) -> Result<Vec<String>> {
    Ok(run!(db, |c| sqlx::query_scalar(
        "select body from survey_texts where question_id = $1 order by id limit $2"
    )
    .bind(question.0)
    .bind(limit)
    .fetch_all(c)
    .await)?)
}

pub async fn text_count(db: &mut impl Db, question: QuestionId) -> Result<i64> {
    Ok(run!(db, |c| sqlx::query_scalar("select count(*) from survey_texts where question_id = $1")
        .bind(question.0)
        .fetch_one(c)
        .await)?)
}
