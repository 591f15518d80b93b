//! The social-readiness self-assessment and its action checklist (migration 0013).

use crate::{Db, Result, run};
use chorus_domain::{
    ActionItemId, OrgId, ReadinessId, UserId,
    clock::{from_millis, to_millis},
    readiness::ActionStatus,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

// --------------------------------------------------------------------------------- assessments

/// One recorded assessment: who recorded it, when, and each statement's rating by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: ReadinessId,
    pub note: String,
    pub created_by: Option<UserId>,
    /// The recorder's name (read with the assessment; not stored).
    pub created_by_name: Option<String>,
    pub created_at: OffsetDateTime,
    /// `(statement key, rating 1–5)`, by key.
    pub ratings: Vec<(String, u8)>,
}

/// Writes an assessment and its ratings.
pub async fn insert_assessment(db: &mut impl Db, org: OrgId, a: &Assessment) -> Result<()> {
    const SQL: &str = "insert into readiness_assessments (id, org_id, note, created_by, created_at) \
         values ($1, $2, $3, $4, $5)";
    run!(db, |c| sqlx::query(SQL)
        .bind(a.id.0)
        .bind(org.0)
        .bind(&a.note)
        .bind(a.created_by.map(|u| u.0))
        .bind(to_millis(a.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    const RATING: &str = "insert into readiness_ratings (assessment_id, org_id, statement_key, rating) \
         values ($1, $2, $3, $4)";
    for (key, rating) in &a.ratings {
        run!(db, |c| sqlx::query(RATING)
            .bind(a.id.0)
            .bind(org.0)
            .bind(key)
            .bind(i64::from(*rating))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

type AssessmentRow = (Uuid, String, Option<Uuid>, Option<String>, i64);

macro_rules! assessment_sql {
    ($tail:literal) => {
        concat!(
            "select a.id, a.note, a.created_by, u.name, a.created_at from readiness_assessments a \
             left join users u on u.id = a.created_by ",
            $tail
        )
    };
}

fn assessment(r: AssessmentRow, ratings: Vec<(String, u8)>) -> Assessment {
    Assessment {
        id: r.0.into(),
        note: r.1,
        created_by: r.2.map(Into::into),
        created_by_name: r.3,
        created_at: from_millis(r.4),
        ratings,
    }
}

fn rating(v: i64) -> u8 {
    // The table's check constraint keeps ratings within 1–5.
    u8::try_from(v).unwrap_or(0)
}

/// Every assessment of an organization with its ratings, oldest first. An organization assesses
/// itself a few times a year, so this is a handful of rows for years of history.
pub async fn assessments(db: &mut impl Db, org: OrgId) -> Result<Vec<Assessment>> {
    const SQL: &str = assessment_sql!("where a.org_id = $1 order by a.created_at, a.id");
    let rows: Vec<AssessmentRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    const RATINGS: &str = "select assessment_id, statement_key, rating from readiness_ratings \
         where org_id = $1 order by assessment_id, statement_key";
    let ratings: Vec<(Uuid, String, i64)> =
        run!(db, |c| sqlx::query_as(RATINGS).bind(org.0).fetch_all(c).await)?;
    let mut by_assessment: HashMap<Uuid, Vec<(String, u8)>> = HashMap::new();
    for (id, key, v) in ratings {
        by_assessment.entry(id).or_default().push((key, rating(v)));
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let ratings = by_assessment.remove(&r.0).unwrap_or_default();
            assessment(r, ratings)
        })
        .collect())
}

/// One assessment of the organization, with its ratings.
pub async fn get_assessment(db: &mut impl Db, org: OrgId, id: ReadinessId) -> Result<Option<Assessment>> {
    const SQL: &str = assessment_sql!("where a.org_id = $1 and a.id = $2");
    let row: Option<AssessmentRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    let Some(row) = row else { return Ok(None) };
    const RATINGS: &str = "select statement_key, rating from readiness_ratings \
         where org_id = $1 and assessment_id = $2 order by statement_key";
    let ratings: Vec<(String, i64)> =
        run!(db, |c| sqlx::query_as(RATINGS).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(Some(assessment(row, ratings.into_iter().map(|(k, v)| (k, rating(v))).collect())))
}

// ----------------------------------------------------------------------------------- checklist

/// Whether the organization's checklist has been seeded with the default items.
pub async fn checklist_seeded(db: &mut impl Db, org: OrgId) -> Result<bool> {
    const SQL: &str = "select count(*) from readiness_checklists where org_id = $1";
    let n: i64 = run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Marks the checklist seeded; false when it already was (another request got there first),
/// in which case the caller must not seed again.
pub async fn mark_checklist_seeded(db: &mut impl Db, org: OrgId, at: OffsetDateTime) -> Result<bool> {
    const SQL: &str = "insert into readiness_checklists (org_id, seeded_at) values ($1, $2) \
         on conflict (org_id) do nothing";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    pub id: ActionItemId,
    /// Order on the checklist (ascending).
    pub position: i64,
    pub title: String,
    pub owner_id: Option<UserId>,
    /// The owner's name (read with the item; not stored).
    pub owner_name: Option<String>,
    /// YYYY-MM-DD.
    pub due_on: Option<String>,
    pub status: ActionStatus,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

type ActionRow = (Uuid, i64, String, Option<Uuid>, Option<String>, Option<String>, String, i64, i64);

macro_rules! action_sql {
    ($tail:literal) => {
        concat!(
            "select a.id, a.position, a.title, a.owner_id, u.name, a.due_on, a.status, a.created_at, \
             a.updated_at from readiness_actions a left join users u on u.id = a.owner_id ",
            $tail
        )
    };
}

fn action(r: ActionRow) -> ActionItem {
    ActionItem {
        id: r.0.into(),
        position: r.1,
        title: r.2,
        owner_id: r.3.map(Into::into),
        owner_name: r.4,
        due_on: r.5,
        status: ActionStatus::parse(&r.6).unwrap_or(ActionStatus::Todo),
        created_at: from_millis(r.7),
        updated_at: from_millis(r.8),
    }
}

pub async fn insert_action(db: &mut impl Db, org: OrgId, a: &ActionItem) -> Result<()> {
    const SQL: &str = "insert into readiness_actions (id, org_id, position, title, owner_id, due_on, status, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    run!(db, |c| sqlx::query(SQL)
        .bind(a.id.0)
        .bind(org.0)
        .bind(a.position)
        .bind(&a.title)
        .bind(a.owner_id.map(|u| u.0))
        .bind(a.due_on.as_deref())
        .bind(a.status.as_str())
        .bind(to_millis(a.created_at))
        .bind(to_millis(a.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The checklist, in order.
pub async fn actions(db: &mut impl Db, org: OrgId) -> Result<Vec<ActionItem>> {
    const SQL: &str = action_sql!("where a.org_id = $1 order by a.position, a.id");
    let rows: Vec<ActionRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(action).collect())
}

pub async fn get_action(db: &mut impl Db, org: OrgId, id: ActionItemId) -> Result<Option<ActionItem>> {
    const SQL: &str = action_sql!("where a.org_id = $1 and a.id = $2");
    let row: Option<ActionRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(action))
}

/// How many items the checklist has, and the position after the last one.
pub async fn action_count_and_next_position(db: &mut impl Db, org: OrgId) -> Result<(i64, i64)> {
    const SQL: &str =
        "select count(*), coalesce(max(position), 0) + 1 from readiness_actions where org_id = $1";
    let row: (i64, i64) = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_one(c).await)?;
    Ok(row)
}

/// Writes an item's title, owner, due date and status; false when it is gone.
pub async fn update_action(db: &mut impl Db, org: OrgId, a: &ActionItem) -> Result<bool> {
    const SQL: &str = "update readiness_actions set title = $3, owner_id = $4, due_on = $5, status = $6, \
         updated_at = $7 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(a.id.0)
        .bind(&a.title)
        .bind(a.owner_id.map(|u| u.0))
        .bind(a.due_on.as_deref())
        .bind(a.status.as_str())
        .bind(to_millis(a.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Deletes an item; false when it was not there.
pub async fn delete_action(db: &mut impl Db, org: OrgId, id: ActionItemId) -> Result<bool> {
    const SQL: &str = "delete from readiness_actions where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
