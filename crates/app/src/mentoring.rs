//! Reverse mentoring: people opt in, admins review an optimal proposal, adjust and confirm it,
//! and pairs log their sessions and say how it went.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Action, Denied, Invalid, MentoringPairId, UserId, authorize,
    mentoring::{self, Mentee, Mentor, Proposal},
};
use chorus_store::mentoring::{self as store, Candidate, PairRow, Profile};

pub use chorus_store::mentoring::{Candidate as MentoringCandidate, PairRow as Pair};

pub const MENTEE: &str = "mentee";
pub const MENTOR: &str = "mentor";

/// What the opt-in form or API carries.
#[derive(Debug, Clone, Default)]
pub struct OptIn {
    /// mentee or mentor.
    pub role: String,
    /// Self-rated 1–5 (ignored when quiz answers are given).
    pub skill: Option<i64>,
    /// Answers to `mentoring::SKILL_QUIZ`, to measure the skill instead.
    pub quiz: Option<Vec<i64>>,
    /// Mentors: how many mentees (1–5).
    pub capacity: Option<i64>,
    pub goals: String,
}

/// The caller's own opt-ins and pairs.
pub async fn mine(app: &App, caller: &Caller) -> Result<(Vec<Profile>, Vec<PairRow>)> {
    let me = caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person takes part in mentoring")))?;
    let mut db = app.store.conn().await?;
    let profiles = store::profiles_of(&mut db, caller.org_id(), me).await?;
    let pairs = store::pairs(&mut db, caller.org_id(), Some(me)).await?;
    Ok((profiles, pairs))
}

pub async fn opt_in(app: &App, caller: &Caller, input: OptIn) -> Result<Profile> {
    let me = caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person takes part in mentoring")))?;
    let role = match input.role.trim() {
        MENTEE => MENTEE,
        MENTOR => MENTOR,
        _ => return Err(Invalid::new("role", "must be mentee or mentor").into()),
    };
    let (skill, source) = match &input.quiz {
        Some(answers) => (mentoring::skill_from_quiz(answers)?, "quiz"),
        None => (
            mentoring::parse_skill(
                input.skill.ok_or_else(|| Invalid::new("skill", "rate your skill, or take the quiz"))?,
            )?,
            "self",
        ),
    };
    let capacity = if role == MENTOR { mentoring::parse_capacity(input.capacity.unwrap_or(1))? } else { 1 };
    let goals = input.goals.trim();
    if goals.chars().count() > 1_000 {
        return Err(Invalid::new("goals", "at most 1,000 characters").into());
    }
    let mut tx = app.store.tx().await?;
    let user = chorus_store::users::get(&mut tx, caller.org_id(), me).await?.ok_or(Error::NotFound)?;
    if role == MENTEE && user.seniority.is_none_or(|s| s < i64::from(mentoring::MENTEE_MIN_SENIORITY)) {
        return Err(Invalid::new(
            "role",
            "reverse mentoring pairs senior people (seniority 4–5) with junior colleagues; offer to mentor instead, or ask an admin to record your seniority",
        )
        .into());
    }
    let profile = Profile {
        role: role.to_owned(),
        skill: i64::from(skill),
        skill_source: source.to_owned(),
        capacity: i64::from(capacity),
        goals: goals.to_owned(),
    };
    store::upsert_profile(&mut tx, caller.org_id(), me, &profile, app.now()).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("mentoring.opted_in").detail(serde_json::json!({"role": role})),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

pub async fn opt_out(app: &App, caller: &Caller, role: &str) -> Result<()> {
    let me = caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person takes part in mentoring")))?;
    let mut tx = app.store.tx().await?;
    if !store::delete_profile(&mut tx, caller.org_id(), me, role).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("mentoring.opted_out").detail(serde_json::json!({"role": role})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn candidates(app: &App, caller: &Caller) -> Result<Vec<Candidate>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut db = app.store.conn().await?;
    Ok(store::candidates(&mut db, caller.org_id()).await?)
}

/// Who can be matched now: mentees without a mentor, mentors with places left.
fn available(all: &[Candidate]) -> (Vec<Mentee>, Vec<Mentor>) {
    let seniority = |c: &Candidate| c.seniority.and_then(|s| u8::try_from(s).ok()).unwrap_or(0);
    let skill = |c: &Candidate| u8::try_from(c.skill).unwrap_or(0);
    let mentees = all
        .iter()
        .filter(|c| {
            c.role == MENTEE && c.active_pairs == 0 && seniority(c) >= mentoring::MENTEE_MIN_SENIORITY
        })
        .map(|c| Mentee {
            user: c.user_id,
            seniority: seniority(c),
            department: c.department_id,
            skill: skill(c),
        })
        .collect();
    let mentors = all
        .iter()
        .filter(|c| c.role == MENTOR && c.capacity > c.active_pairs && seniority(c) > 0)
        .map(|c| Mentor {
            user: c.user_id,
            seniority: seniority(c),
            department: c.department_id,
            skill: skill(c),
            capacity: u8::try_from(c.capacity - c.active_pairs).unwrap_or(0),
        })
        .collect();
    (mentees, mentors)
}

/// The optimal matching of everyone available now (admins review it before anything happens).
pub async fn proposal(app: &App, caller: &Caller) -> Result<(Proposal, Vec<Candidate>)> {
    let all = candidates(app, caller).await?;
    let (mentees, mentors) = available(&all);
    Ok((mentoring::propose(&mentees, &mentors), all))
}

/// Confirms pairs (the proposal as is, or adjusted): each checked again against who is
/// available now, all or nothing.
pub async fn confirm(app: &App, caller: &Caller, pairs: &[(UserId, UserId)]) -> Result<Vec<MentoringPairId>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    if pairs.is_empty() {
        return Err(Invalid::new("pairs", "choose at least one pair").into());
    }
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let all = store::candidates(&mut tx, org).await?;
    let (mentees, mentors) = available(&all);
    mentoring::check(pairs, &mentees, &mentors).map_err(|e| Error::Conflict(describe(&e, &all)))?;
    let mut ids = Vec::new();
    for (mentee, mentor) in pairs {
        let gain = mentees
            .iter()
            .find(|m| m.user == *mentee)
            .and_then(|m| mentors.iter().find(|x| x.user == *mentor).and_then(|x| mentoring::gain(m, x)))
            .unwrap_or(0);
        let id = MentoringPairId::new();
        let pair = store::NewPair {
            id,
            mentee: *mentee,
            mentor: *mentor,
            gain: i64::from(gain),
            confirmed_by: caller.actor.user_id,
            confirmed_at: now,
        };
        store::insert_pair(&mut tx, org, &pair).await?;
        ids.push(id);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("mentoring.pairs_confirmed").detail(serde_json::json!({"pairs": ids.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// The check's refusal with names instead of ids.
fn describe(e: &mentoring::MatchError, all: &[Candidate]) -> String {
    let mut text = e.to_string();
    for c in all {
        text = text.replace(&c.user_id.to_string(), &c.name);
    }
    text
}

/// Every pair for admins and the social team; one's own pairs for everyone else.
pub async fn pairs(app: &App, caller: &Caller) -> Result<Vec<PairRow>> {
    let mut db = app.store.conn().await?;
    let everyone = authorize(&caller.actor, Action::ViewEnablementReports).is_ok();
    let only = if everyone { None } else { Some(caller.actor.user_id.ok_or(Error::NotFound)?) };
    Ok(store::pairs(&mut db, caller.org_id(), only).await?)
}

/// A pair the caller belongs to (members log and give feedback); admins may end any pair.
async fn pair_of(app: &App, caller: &Caller, id: MentoringPairId, admin_ok: bool) -> Result<PairRow> {
    let mut db = app.store.conn().await?;
    let pair = store::pairs(&mut db, caller.org_id(), None)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(Error::NotFound)?;
    let member = caller.actor.user_id.is_some_and(|u| u == pair.mentee_id || u == pair.mentor_id);
    let admin = admin_ok && authorize(&caller.actor, Action::ManageEnablement).is_ok();
    if !member && !admin {
        return Err(Error::NotFound);
    }
    Ok(pair)
}

pub async fn log_session(
    app: &App,
    caller: &Caller,
    id: MentoringPairId,
    held_on: &str,
    minutes: i64,
    notes: &str,
) -> Result<()> {
    let pair = pair_of(app, caller, id, false).await?;
    if pair.ended_at.is_some() {
        return Err(Error::Conflict("this pair has ended".into()));
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(held_on.trim(), &fmt)
        .map_err(|_| Invalid::new("held_on", "must be a date like 2026-12-01"))?;
    if day > app.now().date() {
        return Err(Invalid::new("held_on", "cannot be in the future").into());
    }
    if !(1..=600).contains(&minutes) {
        return Err(Invalid::new("minutes", "must be from 1 to 600").into());
    }
    let notes = notes.trim();
    if notes.chars().count() > 2_000 {
        return Err(Invalid::new("notes", "at most 2,000 characters").into());
    }
    let me = caller.actor.user_id.ok_or(Error::NotFound)?;
    let mut tx = app.store.tx().await?;
    let day = day.to_string();
    let session = store::NewSession { pair: id, held_on: &day, minutes, notes, logged_by: me, at: app.now() };
    store::insert_session(&mut tx, caller.org_id(), &session).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn give_feedback(
    app: &App,
    caller: &Caller,
    id: MentoringPairId,
    rating: i64,
    comment: &str,
) -> Result<()> {
    pair_of(app, caller, id, false).await?;
    if !(1..=5).contains(&rating) {
        return Err(Invalid::new("rating", "must be from 1 to 5").into());
    }
    let comment = comment.trim();
    if comment.chars().count() > 2_000 {
        return Err(Invalid::new("comment", "at most 2,000 characters").into());
    }
    let me = caller.actor.user_id.ok_or(Error::NotFound)?;
    let mut tx = app.store.tx().await?;
    store::upsert_feedback(&mut tx, caller.org_id(), id, me, rating, comment, app.now()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn end(app: &App, caller: &Caller, id: MentoringPairId) -> Result<()> {
    pair_of(app, caller, id, true).await?;
    let mut tx = app.store.tx().await?;
    if !store::end_pair(&mut tx, caller.org_id(), id, app.now()).await? {
        return Err(Error::Conflict("this pair has already ended".into()));
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("mentoring.pair_ended").target("mentoring_pair", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A pair's sessions and feedback, for its members and admins.
pub async fn details(
    app: &App,
    caller: &Caller,
    id: MentoringPairId,
) -> Result<(PairRow, Vec<(String, i64, String)>, Vec<(String, i64, String)>)> {
    let pair = pair_of(app, caller, id, true).await?;
    let mut db = app.store.conn().await?;
    let sessions = store::sessions(&mut db, id).await?;
    let feedback = store::feedback(&mut db, id).await?;
    Ok((pair, sessions, feedback))
}
