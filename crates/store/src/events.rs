//! Social sessions and their attendance (migration 0019).

use crate::{Db, Result, run};
use chorus_domain::{
    EventId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// A session as stored: the schedule in its text columns (see `chorus_domain::events`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    pub description: String,
    pub place: String,
    pub hashtag: Option<String>,
    pub start_date: String,
    pub start_time: String,
    pub duration_minutes: i64,
    pub time_zone: String,
    pub repeat: String,
    pub interval_weeks: Option<i64>,
    pub until_date: Option<String>,
    pub occurrence_count: Option<i64>,
    pub sequence: i64,
    pub created_by: Option<UserId>,
    /// Read with the session; not stored.
    pub created_by_name: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    description: String,
    place: String,
    hashtag: Option<String>,
    start_date: String,
    start_time: String,
    duration_minutes: i64,
    time_zone: String,
    repeat: String,
    interval_weeks: Option<i64>,
    until_date: Option<String>,
    occurrence_count: Option<i64>,
    sequence: i64,
    created_by: Option<Uuid>,
    created_by_name: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Event {
    fn from(r: Row) -> Self {
        Self {
            id: r.id.into(),
            title: r.title,
            description: r.description,
            place: r.place,
            hashtag: r.hashtag,
            start_date: r.start_date,
            start_time: r.start_time,
            duration_minutes: r.duration_minutes,
            time_zone: r.time_zone,
            repeat: r.repeat,
            interval_weeks: r.interval_weeks,
            until_date: r.until_date,
            occurrence_count: r.occurrence_count,
            sequence: r.sequence,
            created_by: r.created_by.map(Into::into),
            created_by_name: r.created_by_name,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

macro_rules! event_sql {
    ($tail:literal) => {
        concat!(
            "select e.id, e.title, e.description, e.place, e.hashtag, e.start_date, e.start_time, \
             e.duration_minutes, e.time_zone, e.repeat, e.interval_weeks, e.until_date, e.occurrence_count, \
             e.sequence, e.created_by, u.name as created_by_name, e.created_at, e.updated_at \
             from social_events e left join users u on u.id = e.created_by ",
            $tail
        )
    };
}

pub async fn insert(db: &mut impl Db, org: OrgId, e: &Event) -> Result<()> {
    const SQL: &str = "insert into social_events (id, org_id, title, description, place, hashtag, start_date, \
         start_time, duration_minutes, time_zone, repeat, interval_weeks, until_date, occurrence_count, sequence, \
         created_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    run!(db, |c| sqlx::query(SQL)
        .bind(e.id.0)
        .bind(org.0)
        .bind(&e.title)
        .bind(&e.description)
        .bind(&e.place)
        .bind(e.hashtag.as_deref())
        .bind(&e.start_date)
        .bind(&e.start_time)
        .bind(e.duration_minutes)
        .bind(&e.time_zone)
        .bind(&e.repeat)
        .bind(e.interval_weeks)
        .bind(e.until_date.as_deref())
        .bind(e.occurrence_count)
        .bind(e.sequence)
        .bind(e.created_by.map(|u| u.0))
        .bind(to_millis(e.created_at))
        .bind(to_millis(e.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes every field of a session (and its new sequence); false when it is gone.
pub async fn update(db: &mut impl Db, org: OrgId, e: &Event) -> Result<bool> {
    const SQL: &str = "update social_events set title = $3, description = $4, place = $5, hashtag = $6, \
         start_date = $7, start_time = $8, duration_minutes = $9, time_zone = $10, repeat = $11, \
         interval_weeks = $12, until_date = $13, occurrence_count = $14, sequence = $15, updated_at = $16 \
         where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(e.id.0)
        .bind(&e.title)
        .bind(&e.description)
        .bind(&e.place)
        .bind(e.hashtag.as_deref())
        .bind(&e.start_date)
        .bind(&e.start_time)
        .bind(e.duration_minutes)
        .bind(&e.time_zone)
        .bind(&e.repeat)
        .bind(e.interval_weeks)
        .bind(e.until_date.as_deref())
        .bind(e.occurrence_count)
        .bind(e.sequence)
        .bind(to_millis(e.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(db: &mut impl Db, org: OrgId, id: EventId) -> Result<Option<Event>> {
    const SQL: &str = event_sql!("where e.org_id = $1 and e.id = $2");
    let row: Option<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Every session of the organization, by first date. An organization runs a handful.
pub async fn list(db: &mut impl Db, org: OrgId, limit: i64) -> Result<Vec<Event>> {
    const SQL: &str = event_sql!("where e.org_id = $1 order by e.start_date, e.id limit $2");
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn delete(db: &mut impl Db, org: OrgId, id: EventId) -> Result<bool> {
    const SQL: &str = "delete from social_events where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records that `user` attends one occurrence; false when they already had.
pub async fn attend(
    db: &mut impl Db,
    org: OrgId,
    event: EventId,
    occurrence: &str,
    user: UserId,
    at: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into event_attendance (event_id, occurrence, user_id, org_id, created_at) \
         values ($1, $2, $3, $4, $5) on conflict (event_id, occurrence, user_id) do nothing";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(event.0)
        .bind(occurrence)
        .bind(user.0)
        .bind(org.0)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Withdraws `user` from one occurrence; false when they were not on it.
pub async fn unattend(
    db: &mut impl Db,
    org: OrgId,
    event: EventId,
    occurrence: &str,
    user: UserId,
) -> Result<bool> {
    const SQL: &str = "delete from event_attendance where org_id = $1 and event_id = $2 and occurrence = $3 and user_id = $4";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(event.0)
        .bind(occurrence)
        .bind(user.0)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Attendance of one session: `(occurrence date, how many, whether `me` is among them)`, by date.
pub async fn attendance(
    db: &mut impl Db,
    org: OrgId,
    event: EventId,
    me: Option<UserId>,
) -> Result<Vec<(String, i64, bool)>> {
    const SQL: &str = "select occurrence, count(*) as n, \
         cast(sum(case when user_id = $3 then 1 else 0 end) as bigint) as mine \
         from event_attendance where org_id = $1 and event_id = $2 group by occurrence order by occurrence";
    let rows: Vec<(String, i64, i64)> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(event.0)
        .bind(me.map(|u| u.0).unwrap_or_else(Uuid::nil))
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(d, n, mine)| (d, n, mine > 0)).collect())
}

/// The names of the people attending one occurrence, by name.
pub async fn attendees(
    db: &mut impl Db,
    org: OrgId,
    event: EventId,
    occurrence: &str,
) -> Result<Vec<String>> {
    const SQL: &str = "select u.name from event_attendance a join users u on u.id = a.user_id \
         where a.org_id = $1 and a.event_id = $2 and a.occurrence = $3 order by u.name";
    let rows: Vec<(String,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(event.0).bind(occurrence).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}
