//! Reverse mentoring: opt-ins, confirmed pairs, sessions and feedback (migration 0015).

use crate::{Db, Result, run};
use chorus_domain::{
    DepartmentId, MentoringPairId, MentoringSessionId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

/// Someone who opted in, with what the matching needs from their profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub name: String,
    pub role: String,
    pub department_id: Option<DepartmentId>,
    pub department: Option<String>,
    pub seniority: Option<i64>,
    pub skill: i64,
    pub skill_source: String,
    pub capacity: i64,
    pub goals: String,
    /// Pairs they are in now (not ended).
    pub active_pairs: i64,
}

type CandidateRow =
    (Uuid, String, String, Option<Uuid>, Option<String>, Option<i64>, i64, String, i64, String, i64);

/// Active people who opted in, by role then name.
pub async fn candidates(db: &mut impl Db, org: OrgId) -> Result<Vec<Candidate>> {
    const SQL: &str = "select u.id, u.name, p.role, u.department_id, d.name, u.seniority, p.skill, p.skill_source, \
         p.capacity, p.goals, (select count(*) from mentoring_pairs m where m.ended_at is null \
            and ((p.role = 'mentee' and m.mentee_id = u.id) or (p.role = 'mentor' and m.mentor_id = u.id))) \
         from mentoring_profiles p join users u on u.id = p.user_id \
         left join departments d on d.id = u.department_id \
         where p.org_id = $1 and u.status = 'active' order by p.role, u.name, u.id";
    let rows: Vec<CandidateRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            user_id: r.0.into(),
            name: r.1,
            role: r.2,
            department_id: r.3.map(Into::into),
            department: r.4,
            seniority: r.5,
            skill: r.6,
            skill_source: r.7,
            capacity: r.8,
            goals: r.9,
            active_pairs: r.10,
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub role: String,
    pub skill: i64,
    pub skill_source: String,
    pub capacity: i64,
    pub goals: String,
}

pub async fn profiles_of(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<Profile>> {
    const SQL: &str = "select role, skill, skill_source, capacity, goals from mentoring_profiles \
         where org_id = $1 and user_id = $2 order by role";
    let rows: Vec<(String, i64, String, i64, String)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(role, skill, skill_source, capacity, goals)| Profile {
            role,
            skill,
            skill_source,
            capacity,
            goals,
        })
        .collect())
}

pub async fn upsert_profile(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    p: &Profile,
    at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into mentoring_profiles (user_id, role, org_id, skill, skill_source, capacity, goals, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (user_id, role) do update set skill = excluded.skill, \
         skill_source = excluded.skill_source, capacity = excluded.capacity, goals = excluded.goals, updated_at = excluded.updated_at";
    run!(db, |c| sqlx::query(SQL)
        .bind(user.0)
        .bind(&p.role)
        .bind(org.0)
        .bind(p.skill)
        .bind(&p.skill_source)
        .bind(p.capacity)
        .bind(&p.goals)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete_profile(db: &mut impl Db, org: OrgId, user: UserId, role: &str) -> Result<bool> {
    let n = run!(db, |c| sqlx::query(
        "delete from mentoring_profiles where org_id = $1 and user_id = $2 and role = $3"
    )
    .bind(org.0)
    .bind(user.0)
    .bind(role)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRow {
    pub id: MentoringPairId,
    pub mentee_id: UserId,
    pub mentee: String,
    pub mentor_id: UserId,
    pub mentor: String,
    pub gain: i64,
    pub confirmed_at: OffsetDateTime,
    pub ended_at: Option<OffsetDateTime>,
    pub sessions: i64,
    pub minutes: i64,
    /// Average feedback rating times ten (47 is 4.7), when any.
    pub rating_x10: Option<i64>,
}

type PairTuple = (Uuid, Uuid, String, Uuid, String, i64, i64, Option<i64>, i64, i64, Option<i64>);

/// Pairs of an organization, newest first; only those `user` is in when given.
pub async fn pairs(db: &mut impl Db, org: OrgId, user: Option<UserId>) -> Result<Vec<PairRow>> {
    macro_rules! pairs_sql {
        ($filter:literal) => {
            concat!(
                "select m.id, m.mentee_id, a.name, m.mentor_id, b.name, m.gain, m.confirmed_at, m.ended_at, \
                 (select count(*) from mentoring_sessions s where s.pair_id = m.id), \
                 (select cast(coalesce(sum(s.minutes), 0) as bigint) from mentoring_sessions s where s.pair_id = m.id), \
                 (select cast(avg(f.rating) * 10 as bigint) from mentoring_feedback f where f.pair_id = m.id) \
                 from mentoring_pairs m join users a on a.id = m.mentee_id join users b on b.id = m.mentor_id \
                 where m.org_id = $1 ",
                $filter,
                " order by m.confirmed_at desc, m.id desc"
            )
        };
    }
    const ALL: &str = pairs_sql!("");
    const ONE: &str = pairs_sql!("and (m.mentee_id = $2 or m.mentor_id = $2)");
    let rows: Vec<PairTuple> = match user {
        None => run!(db, |c| sqlx::query_as(ALL).bind(org.0).fetch_all(c).await)?,
        Some(u) => run!(db, |c| sqlx::query_as(ONE).bind(org.0).bind(u.0).fetch_all(c).await)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| PairRow {
            id: r.0.into(),
            mentee_id: r.1.into(),
            mentee: r.2,
            mentor_id: r.3.into(),
            mentor: r.4,
            gain: r.5,
            confirmed_at: from_millis(r.6),
            ended_at: r.7.map(from_millis),
            sessions: r.8,
            minutes: r.9,
            rating_x10: r.10,
        })
        .collect())
}

/// A pair as an admin confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPair {
    pub id: MentoringPairId,
    pub mentee: UserId,
    pub mentor: UserId,
    pub gain: i64,
    pub confirmed_by: Option<UserId>,
    pub confirmed_at: OffsetDateTime,
}

pub async fn insert_pair(db: &mut impl Db, org: OrgId, p: &NewPair) -> Result<()> {
    const SQL: &str = "insert into mentoring_pairs (id, org_id, mentee_id, mentor_id, gain, confirmed_by, confirmed_at) \
         values ($1, $2, $3, $4, $5, $6, $7)";
    run!(db, |c| sqlx::query(SQL)
        .bind(p.id.0)
        .bind(org.0)
        .bind(p.mentee.0)
        .bind(p.mentor.0)
        .bind(p.gain)
        .bind(p.confirmed_by.map(|u| u.0))
        .bind(to_millis(p.confirmed_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn end_pair(db: &mut impl Db, org: OrgId, id: MentoringPairId, at: OffsetDateTime) -> Result<bool> {
    let n = run!(db, |c| sqlx::query(
        "update mentoring_pairs set ended_at = $3 where org_id = $1 and id = $2 and ended_at is null"
    )
    .bind(org.0)
    .bind(id.0)
    .bind(to_millis(at))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A session as a pair's member logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession<'a> {
    pub pair: MentoringPairId,
    /// YYYY-MM-DD.
    pub held_on: &'a str,
    pub minutes: i64,
    pub notes: &'a str,
    pub logged_by: UserId,
    pub at: OffsetDateTime,
}

pub async fn insert_session(db: &mut impl Db, org: OrgId, s: &NewSession<'_>) -> Result<MentoringSessionId> {
    const SQL: &str = "insert into mentoring_sessions (id, pair_id, org_id, held_on, minutes, notes, logged_by, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)";
    let id = MentoringSessionId::new();
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(s.pair.0)
        .bind(org.0)
        .bind(s.held_on)
        .bind(s.minutes)
        .bind(s.notes)
        .bind(s.logged_by.0)
        .bind(to_millis(s.at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(id)
}

/// A pair's sessions, most recent first: (held on, minutes, notes).
pub async fn sessions(db: &mut impl Db, pair: MentoringPairId) -> Result<Vec<(String, i64, String)>> {
    Ok(run!(db, |c| {
        sqlx::query_as(
        "select held_on, minutes, notes from mentoring_sessions where pair_id = $1 order by held_on desc, created_at desc"
    )
    .bind(pair.0)
    .fetch_all(c)
    .await
    })?)
}

pub async fn upsert_feedback(
    db: &mut impl Db,
    org: OrgId,
    pair: MentoringPairId,
    user: UserId,
    rating: i64,
    comment: &str,
    at: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into mentoring_feedback (pair_id, user_id, org_id, rating, comment, updated_at) \
         values ($1, $2, $3, $4, $5, $6) on conflict (pair_id, user_id) do update set rating = excluded.rating, \
         comment = excluded.comment, updated_at = excluded.updated_at";
    run!(db, |c| sqlx::query(SQL)
        .bind(pair.0)
        .bind(user.0)
        .bind(org.0)
        .bind(rating)
        .bind(comment)
        .bind(to_millis(at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Feedback on a pair: (who, rating, comment).
pub async fn feedback(db: &mut impl Db, pair: MentoringPairId) -> Result<Vec<(String, i64, String)>> {
    Ok(run!(db, |c| sqlx::query_as(
        "select u.name, f.rating, f.comment from mentoring_feedback f join users u on u.id = f.user_id \
         where f.pair_id = $1 order by u.name"
    )
    .bind(pair.0)
    .fetch_all(c)
    .await)?)
}
