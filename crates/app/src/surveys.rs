//! The anonymous knowledge survey: write it, open it, answer it once, read the gaps.
//!
//! How an answer stays anonymous (see also migration 0011):
//! 1. One transaction records that the person answered (`survey_participation`: survey, person,
//!    nothing else) and puts their answers in the waiting room (`survey_ballots`: random id, no
//!    person, no time), with department and band only where `survey::disclosure` allows.
//! 2. Once `survey::batch_size(k)` ballots wait, another transaction moves them all, shuffled
//!    and under fresh random ids, into `survey_responses`, and adds them to the counts reports
//!    read. Closing the survey moves whatever is left.
//! 3. Results exist only for closed surveys, so watching a report change while someone answers
//!    can never reveal their answer; and every report hides groups under k, including by
//!    subtraction (`survey::visible_groups`).

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    me::Caller,
    notify::{self, News},
};
use chorus_domain::{
    Action, Denied, DepartmentId, Invalid, QuestionId, SurveyId, UserId, authorize,
    survey::{
        self, Answer, Band, GroupSizes, QuestionKind, QuestionSpec, RawAnswer, SurveyStatus, Tally,
        TopicScore,
    },
};
use chorus_store::{
    Db, departments,
    surveys::{self as store, Ballot, Participant, Question, TallyRow},
};
use serde::Serialize;
use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
    time::{Duration, Instant},
};
use time::OffsetDateTime;

pub use chorus_store::surveys::{Question as StoredQuestion, Survey};

// ------------------------------------------------------------------------------------ writing

/// What the survey form or API carries.
#[derive(Debug, Clone, Default)]
pub struct SurveyInput {
    pub title: String,
    pub intro: String,
    pub k: Option<i64>,
    /// RFC 3339, or a `datetime-local` value read as UTC; empty for no closing time.
    pub closes_at: Option<String>,
    /// Departments it is open to; empty for everyone.
    pub departments: Vec<DepartmentId>,
    /// Start from the shipped baseline questions.
    pub template: bool,
    /// An earlier round whose questions are copied, so topics can be compared.
    pub previous_id: Option<SurveyId>,
}

fn title(raw: &str) -> std::result::Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::new("title", "a survey needs a title"));
    }
    if t.chars().count() > 200 {
        return Err(Invalid::new("title", "at most 200 characters"));
    }
    Ok(t.to_owned())
}

fn intro(raw: &str) -> std::result::Result<String, Invalid> {
    let t = raw.trim();
    if t.chars().count() > 5_000 {
        return Err(Invalid::new("intro", "at most 5,000 characters"));
    }
    Ok(t.to_owned())
}

/// Parses a closing time: RFC 3339, or what `<input type="datetime-local">` sends (UTC).
pub fn parse_time(
    raw: Option<&str>,
    field: &'static str,
) -> std::result::Result<Option<OffsetDateTime>, Invalid> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    if let Ok(t) = OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
        return Ok(Some(t));
    }
    let local = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(raw, &local)
        .map(|t| Some(t.assume_utc()))
        .map_err(|_| Invalid::new(field, "must be a time like 2026-12-31T17:00 (UTC) or RFC 3339"))
}

async fn check_departments(
    db: &mut impl Db,
    caller: &Caller,
    ids: &[DepartmentId],
) -> Result<Vec<DepartmentId>> {
    let known = departments::names(db, caller.org_id()).await?;
    let mut out = Vec::new();
    for id in ids {
        if !known.iter().any(|(known, _)| known == id) {
            return Err(Invalid::new("departments", "no such department").into());
        }
        if !out.contains(id) {
            out.push(*id);
        }
    }
    Ok(out)
}

pub async fn create(app: &App, caller: &Caller, input: SurveyInput) -> Result<Survey> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut p = Problems::default();
    let title = p.check(title(&input.title));
    let intro = p.check(intro(&input.intro));
    let k = p.check(survey::parse_k(input.k.unwrap_or(i64::from(survey::DEFAULT_K))));
    let closes_at = p.check(parse_time(input.closes_at.as_deref(), "closes_at")).flatten();
    p.finish()?;
    let now = app.now();
    if closes_at.is_some_and(|c| c <= now) {
        return Err(Invalid::new("closes_at", "must be in the future").into());
    }
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let audience = check_departments(&mut tx, caller, &input.departments).await?;
    let previous = match input.previous_id {
        Some(id) => Some(
            store::get(&mut tx, org, id)
                .await?
                .ok_or_else(|| Invalid::new("previous_id", "no such survey"))?,
        ),
        None => None,
    };
    let s = Survey {
        id: SurveyId::new(),
        title: title.unwrap_or_default(),
        intro: intro.unwrap_or_default(),
        status: SurveyStatus::Draft,
        k: k.unwrap_or(survey::DEFAULT_K),
        closes_at,
        opened_at: None,
        closed_at: None,
        previous_id: previous.as_ref().map(|p| p.id),
        created_by: caller.actor.user_id,
        created_at: now,
    };
    store::insert(&mut tx, org, &s).await?;
    store::set_audience(&mut tx, s.id, &audience).await?;
    let specs: Vec<QuestionSpec> = match &previous {
        Some(prev) => store::questions(&mut tx, prev.id)
            .await?
            .into_iter()
            .filter(|q| q.retired_at.is_none())
            .map(|q| q.spec)
            .collect(),
        None if input.template => survey::baseline_template(),
        None => Vec::new(),
    };
    for (i, spec) in specs.into_iter().enumerate() {
        let q = Question {
            id: QuestionId::new(),
            position: i as i64 + 1,
            spec,
            retired_at: None,
            replaces: None,
        };
        store::insert_question(&mut tx, org, s.id, &q).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("survey.created")
            .target("survey", s.id)
            .detail(serde_json::json!({"title": s.title, "k": s.k})),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// A survey of the caller's organization, closed first if its closing time has passed.
async fn load(app: &App, caller: &Caller, id: SurveyId) -> Result<Survey> {
    let mut db = app.store.conn().await?;
    let s = store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    drop(db);
    if s.status == SurveyStatus::Open && s.closes_at.is_some_and(|c| c <= app.now()) {
        close_now(app, caller, &s, "closing time").await?;
        let mut db = app.store.conn().await?;
        return store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound);
    }
    Ok(s)
}

/// A survey and its questions, for anyone in the organization (answering needs both).
pub async fn get(app: &App, caller: &Caller, id: SurveyId) -> Result<(Survey, Vec<Question>)> {
    let s = load(app, caller, id).await?;
    // A draft does not exist yet for anyone but the people writing it.
    if s.status == SurveyStatus::Draft && authorize(&caller.actor, Action::ManageEnablement).is_err() {
        return Err(Error::NotFound);
    }
    let mut db = app.store.conn().await?;
    let qs = store::questions(&mut db, id).await?;
    Ok((s, qs))
}

/// Surveys the caller may see: all of them for admins and the social team, open and closed
/// ones for everyone else.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Survey>> {
    let mut db = app.store.conn().await?;
    let all = store::list(&mut db, caller.org_id()).await?;
    let admin = authorize(&caller.actor, Action::ManageEnablement).is_ok();
    Ok(all.into_iter().filter(|s| admin || s.status != SurveyStatus::Draft).collect())
}

/// Open surveys the caller is asked to answer and has not yet.
pub async fn to_answer(app: &App, caller: &Caller) -> Result<Vec<Survey>> {
    let Some(me) = caller.actor.user_id else { return Ok(Vec::new()) };
    let mut db = app.store.conn().await?;
    let now = app.now();
    let mut out = Vec::new();
    for s in store::list(&mut db, caller.org_id()).await? {
        if s.status != SurveyStatus::Open || s.closes_at.is_some_and(|c| c <= now) {
            continue;
        }
        let audience = store::audience(&mut db, s.id).await?;
        let in_audience =
            audience.is_empty() || caller.actor.department_id.is_some_and(|d| audience.contains(&d));
        if in_audience && !store::has_answered(&mut db, s.id, me).await? {
            out.push(s);
        }
    }
    Ok(out)
}

/// Whether the caller has answered (only ever about themselves).
pub async fn has_answered(app: &App, caller: &Caller, id: SurveyId) -> Result<bool> {
    let Some(me) = caller.actor.user_id else { return Ok(false) };
    let mut db = app.store.conn().await?;
    Ok(store::has_answered(&mut db, id, me).await?)
}

pub async fn update(app: &App, caller: &Caller, id: SurveyId, input: SurveyInput) -> Result<Survey> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let mut s = load(app, caller, id).await?;
    if s.status == SurveyStatus::Closed {
        return Err(Error::Conflict("this survey is closed".into()));
    }
    let mut p = Problems::default();
    let title = p.check(title(&input.title));
    let intro = p.check(intro(&input.intro));
    let k = p.check(survey::parse_k(input.k.unwrap_or(i64::from(s.k))));
    let closes_at = p.check(parse_time(input.closes_at.as_deref(), "closes_at")).flatten();
    p.finish()?;
    let k = k.unwrap_or(s.k);
    if k != s.k && s.status != SurveyStatus::Draft {
        return Err(Error::Conflict(
            "the minimum group size is fixed once a survey opens: answers already kept or dropped their department by it".into(),
        ));
    }
    if closes_at.is_some_and(|c| c <= app.now()) {
        return Err(Invalid::new("closes_at", "must be in the future").into());
    }
    s.title = title.unwrap_or_default();
    s.intro = intro.unwrap_or_default();
    s.k = k;
    s.closes_at = closes_at;
    let mut tx = app.store.tx().await?;
    if s.status == SurveyStatus::Draft {
        let audience = check_departments(&mut tx, caller, &input.departments).await?;
        store::set_audience(&mut tx, s.id, &audience).await?;
    }
    store::update_details(&mut tx, caller.org_id(), &s).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("survey.updated").target("survey", s.id),
    )
    .await?;
    tx.commit().await?;
    app.survey_cache.forget(s.id);
    Ok(s)
}

/// What a question form or API call carries.
#[derive(Debug, Clone, Default)]
pub struct QuestionInput {
    pub kind: String,
    pub prompt: String,
    pub options: Vec<String>,
    pub correct: Option<i64>,
    pub follow_up: Option<String>,
    pub topics: Vec<String>,
}

fn spec(input: &QuestionInput) -> Result<QuestionSpec> {
    let kind = QuestionKind::parse(&input.kind)?;
    let correct = match input.correct {
        None => None,
        Some(c) => Some(u8::try_from(c).map_err(|_| Invalid::new("correct", "no such option"))?),
    };
    Ok(QuestionSpec::parse(
        kind,
        &input.prompt,
        &input.options,
        correct,
        input.follow_up.as_deref(),
        &input.topics,
    )?)
}

const ANSWERED: &str = "people have already answered this survey, so its questions cannot change: retire the question and add a new version";

pub async fn add_question(
    app: &App,
    caller: &Caller,
    id: SurveyId,
    input: QuestionInput,
) -> Result<Question> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let s = load(app, caller, id).await?;
    if s.status == SurveyStatus::Closed {
        return Err(Error::Conflict("this survey is closed".into()));
    }
    let spec = spec(&input)?;
    let mut tx = app.store.tx().await?;
    let existing = store::questions(&mut tx, id).await?;
    if existing.len() >= survey::MAX_QUESTIONS {
        return Err(Invalid::new(
            "questions",
            format!("a survey has at most {} questions", survey::MAX_QUESTIONS),
        )
        .into());
    }
    let position = existing.iter().map(|q| q.position).max().unwrap_or(0) + 1;
    let q = Question { id: QuestionId::new(), position, spec, retired_at: None, replaces: None };
    store::insert_question(&mut tx, caller.org_id(), id, &q).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("survey.question_added").target("survey", id),
    )
    .await?;
    tx.commit().await?;
    app.survey_cache.forget(id);
    Ok(q)
}

/// Changes a question nobody has answered yet; once anyone has, refuses with the reason.
pub async fn edit_question(
    app: &App,
    caller: &Caller,
    id: SurveyId,
    question: QuestionId,
    input: QuestionInput,
) -> Result<Question> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    load(app, caller, id).await?;
    let spec = spec(&input)?;
    let mut tx = app.store.tx().await?;
    let mut q =
        store::questions(&mut tx, id).await?.into_iter().find(|q| q.id == question).ok_or(Error::NotFound)?;
    if q.retired_at.is_some() {
        return Err(Error::Conflict("this question is retired".into()));
    }
    if store::answered_count(&mut tx, id).await? > 0 {
        return Err(Error::Conflict(ANSWERED.into()));
    }
    q.spec = spec;
    store::update_question(&mut tx, id, &q).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        app.now(),
        Entry::new("survey.question_edited").target("survey", id),
    )
    .await?;
    tx.commit().await?;
    app.survey_cache.forget(id);
    Ok(q)
}

/// Retires a question, optionally with its new version (which takes its place in the order).
pub async fn retire_question(
    app: &App,
    caller: &Caller,
    id: SurveyId,
    question: QuestionId,
    replacement: Option<QuestionInput>,
) -> Result<Option<Question>> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let s = load(app, caller, id).await?;
    if s.status == SurveyStatus::Closed {
        return Err(Error::Conflict("this survey is closed".into()));
    }
    let replacement = replacement.as_ref().map(spec).transpose()?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let old =
        store::questions(&mut tx, id).await?.into_iter().find(|q| q.id == question).ok_or(Error::NotFound)?;
    if !store::retire_question(&mut tx, id, question, now).await? {
        return Err(Error::Conflict("this question is already retired".into()));
    }
    let new = replacement.map(|spec| Question {
        id: QuestionId::new(),
        position: old.position,
        spec,
        retired_at: None,
        replaces: Some(old.id),
    });
    if let Some(q) = &new {
        store::insert_question(&mut tx, caller.org_id(), id, q).await?;
    }
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("survey.question_retired").target("survey", id),
    )
    .await?;
    tx.commit().await?;
    app.survey_cache.forget(id);
    Ok(new)
}

pub async fn open(app: &App, caller: &Caller, id: SurveyId) -> Result<Survey> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let s = load(app, caller, id).await?;
    if s.status != SurveyStatus::Draft {
        return Err(Error::Conflict(format!("this survey is {}", s.status.as_str())));
    }
    let now = app.now();
    if s.closes_at.is_some_and(|c| c <= now) {
        return Err(Invalid::new("closes_at", "the closing time has passed; set a later one first").into());
    }
    let mut tx = app.store.tx().await?;
    if !store::questions(&mut tx, id).await?.iter().any(|q| q.retired_at.is_none()) {
        return Err(Error::Conflict("add at least one question first".into()));
    }
    if !store::set_status(&mut tx, caller.org_id(), id, SurveyStatus::Draft, SurveyStatus::Open, now).await? {
        return Err(Error::Conflict("someone else changed this survey; reload".into()));
    }
    audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("survey.opened").target("survey", id))
        .await?;
    tx.commit().await?;
    app.survey_cache.forget(id);
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

pub async fn close(app: &App, caller: &Caller, id: SurveyId) -> Result<Survey> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let s = load(app, caller, id).await?;
    if s.status != SurveyStatus::Open {
        return Err(Error::Conflict(format!("this survey is {}", s.status.as_str())));
    }
    close_now(app, caller, &s, "closed by hand").await?;
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

async fn close_now(app: &App, caller: &Caller, s: &Survey, why: &str) -> Result<()> {
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if store::set_status(&mut tx, caller.org_id(), s.id, SurveyStatus::Open, SurveyStatus::Closed, now)
        .await?
    {
        audit::record(
            &mut tx,
            caller.org_id(),
            caller,
            now,
            Entry::new("survey.closed").target("survey", s.id).detail(serde_json::json!({"why": why})),
        )
        .await?;
    }
    tx.commit().await?;
    app.survey_cache.forget(s.id);
    // Whatever still waits goes in now, however few: results exist only from here on.
    move_ballots(app, caller, s, 0).await
}

// ---------------------------------------------------------------------------------- answering

/// What answering a survey needs, kept in memory so that an answer costs no reads beyond the
/// caller's own: the survey with its audience and questions (a few seconds; changes made here
/// drop it at once, and the ballot insert itself re-checks that the survey is open), and who is
/// in the audience with which department and band (a minute: it changes when people join or
/// move, and only decides whether an answer keeps its department).
#[derive(Default)]
pub struct AnswerCache {
    sheets: Mutex<HashMap<SurveyId, (Instant, std::sync::Arc<Sheet>)>>,
    sizes: Mutex<HashMap<SurveyId, (Instant, std::sync::Arc<Sizes>)>>,
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerCache")
    }
}

struct Sheet {
    org: chorus_domain::OrgId,
    survey: Survey,
    audience: Vec<DepartmentId>,
    questions: Vec<Question>,
}

#[derive(Debug, Default)]
struct Sizes {
    department: HashMap<Option<DepartmentId>, u32>,
    band: HashMap<Band, u32>,
    both: HashMap<(Option<DepartmentId>, Band), u32>,
    /// Each person's band, so an answer needs no look-up of its author.
    bands: HashMap<UserId, Band>,
}

const SHEET_TTL: Duration = Duration::from_secs(5);
const SIZES_TTL: Duration = Duration::from_secs(60);

fn fresh<T>(
    map: &Mutex<HashMap<SurveyId, (Instant, std::sync::Arc<T>)>>,
    id: SurveyId,
    ttl: Duration,
) -> Option<std::sync::Arc<T>> {
    let map = map.lock().expect("cache lock");
    map.get(&id).filter(|(at, _)| at.elapsed() < ttl).map(|(_, v)| std::sync::Arc::clone(v))
}

fn keep<T>(
    map: &Mutex<HashMap<SurveyId, (Instant, std::sync::Arc<T>)>>,
    id: SurveyId,
    ttl: Duration,
    v: &std::sync::Arc<T>,
) {
    let mut map = map.lock().expect("cache lock");
    map.retain(|_, (at, _)| at.elapsed() < ttl);
    map.insert(id, (Instant::now(), std::sync::Arc::clone(v)));
}

impl AnswerCache {
    /// Forgets a survey after a change made on this instance.
    pub fn forget(&self, id: SurveyId) {
        self.sheets.lock().expect("cache lock").remove(&id);
    }

    async fn sheet(&self, app: &App, caller: &Caller, id: SurveyId) -> Result<std::sync::Arc<Sheet>> {
        if let Some(sheet) = fresh(&self.sheets, id, SHEET_TTL)
            && sheet.org == caller.org_id()
        {
            return Ok(sheet);
        }
        let survey = load(app, caller, id).await?;
        let mut db = app.store.conn().await?;
        let audience = store::audience(&mut db, id).await?;
        let questions = store::questions(&mut db, id).await?;
        let sheet = std::sync::Arc::new(Sheet { org: caller.org_id(), survey, audience, questions });
        keep(&self.sheets, id, SHEET_TTL, &sheet);
        Ok(sheet)
    }

    async fn sizes(&self, app: &App, caller: &Caller, id: SurveyId) -> Result<std::sync::Arc<Sizes>> {
        if let Some(sizes) = fresh(&self.sizes, id, SIZES_TTL) {
            return Ok(sizes);
        }
        let mut db = app.store.conn().await?;
        let mut sizes = Sizes::default();
        for (user, d, seniority) in store::audience_people(&mut db, caller.org_id(), id).await? {
            *sizes.department.entry(d).or_default() += 1;
            if let Some(band) = seniority.and_then(Band::of) {
                *sizes.band.entry(band).or_default() += 1;
                *sizes.both.entry((d, band)).or_default() += 1;
                sizes.bands.insert(user, band);
            }
        }
        let sizes = std::sync::Arc::new(sizes);
        keep(&self.sizes, id, SIZES_TTL, &sizes);
        Ok(sizes)
    }
}

/// What the caller's answers were checked against: the questions still asked, in order.
pub fn asked(questions: &[Question]) -> Vec<&Question> {
    questions.iter().filter(|q| q.retired_at.is_none()).collect()
}

/// Puts answers given by question id in the order of the questions asked; an unknown or
/// repeated question id is refused rather than ignored.
pub fn order_answers(asked: &[&Question], given: Vec<(uuid::Uuid, RawAnswer)>) -> Result<Vec<RawAnswer>> {
    let mut out = vec![RawAnswer::default(); asked.len()];
    let mut seen = vec![false; asked.len()];
    for (question, answer) in given {
        let i = asked
            .iter()
            .position(|q| q.id.0 == question)
            .ok_or_else(|| Invalid::new("answers", format!("{question} is not a question of this survey")))?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(Invalid::new("answers", format!("question {question} is answered twice")).into());
        }
        out[i] = answer;
    }
    Ok(out)
}

/// Answers a survey with answers keyed by question id: once per person, only while open, only
/// for its audience.
pub async fn respond(
    app: &App,
    caller: &Caller,
    id: SurveyId,
    given: Vec<(uuid::Uuid, RawAnswer)>,
) -> Result<()> {
    let me = caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person can answer a survey")))?;
    let sheet = app.survey_cache.sheet(app, caller, id).await?;
    let s = &sheet.survey;
    match s.status {
        SurveyStatus::Open if s.closes_at.is_some_and(|c| c <= app.now()) => {
            // Closing time passed since the sheet was kept: close it now (as any reader would).
            app.survey_cache.forget(id);
            load(app, caller, id).await?;
            return Err(Error::Conflict("this survey is closed".into()));
        }
        SurveyStatus::Open => {}
        SurveyStatus::Draft => return Err(Error::NotFound),
        SurveyStatus::Closed => return Err(Error::Conflict("this survey is closed".into())),
    }
    if !sheet.audience.is_empty() && !caller.actor.department_id.is_some_and(|d| sheet.audience.contains(&d))
    {
        return Err(Error::Forbidden(Denied("this survey is for other departments")));
    }
    let asked = asked(&sheet.questions);
    let raw = order_answers(&asked, given)?;
    let specs: Vec<QuestionSpec> = asked.iter().map(|q| q.spec.clone()).collect();
    let answers = survey::check_answers(&specs, &raw)?;
    let pairs: Vec<(QuestionId, &Answer)> =
        asked.iter().zip(&answers).filter_map(|(q, a)| a.as_ref().map(|a| (q.id, a))).collect();
    let sizes = app.survey_cache.sizes(app, caller, id).await?;
    let department = caller.actor.department_id;
    let band = match sizes.bands.get(&me) {
        Some(b) => Some(*b),
        // Joined the audience since the sizes were counted.
        None => caller_band(app, caller).await?,
    };
    let group = GroupSizes {
        department: sizes.department.get(&department).copied().unwrap_or(0),
        band: band.and_then(|b| sizes.band.get(&b).copied()).unwrap_or(0),
        both: band.and_then(|b| sizes.both.get(&(department, b)).copied()).unwrap_or(0),
    };
    let (keep_department, keep_band) = survey::disclosure(group, s.k);
    let ballot = Ballot {
        department_id: department.filter(|_| keep_department),
        band: band.filter(|_| keep_band).map(|b| b.as_str().to_owned()),
        answers: serde_json::to_string(&pairs).map_err(|e| Error::Internal(e.into()))?,
    };
    let arrival = Arrival {
        org: caller.org_id(),
        survey: id,
        k: s.k,
        user: me,
        ballot,
        reply: tokio::sync::oneshot::channel().0,
    };
    // Deliberately no audit entry: its time and actor would tie the person to the moment their
    // ballot arrived. Participation itself is the record.
    match app.ballot_box.submit(arrival).await? {
        Admitted::Recorded => Ok(()),
        Admitted::AlreadyAnswered => Err(Error::Conflict("you have already answered this survey".into())),
        Admitted::Closed => {
            app.survey_cache.forget(id);
            Err(Error::Conflict("this survey is closed".into()))
        }
    }
}

async fn caller_band(app: &App, caller: &Caller) -> Result<Option<Band>> {
    let Some(me) = caller.actor.user_id else { return Ok(None) };
    let mut db = app.store.conn().await?;
    let user = chorus_store::users::get(&mut db, caller.org_id(), me).await?;
    Ok(user.and_then(|u| u.seniority).and_then(|s| u8::try_from(s).ok()).and_then(Band::of))
}

/// Moves waiting ballots into responses if at least `at_least` wait (0: whatever waits).
async fn move_ballots(app: &App, caller: &Caller, s: &Survey, at_least: u32) -> Result<()> {
    move_waiting(&app.store, caller.org_id(), s.id, s.k, at_least).await
}

async fn move_waiting(
    db: &chorus_store::Store,
    org: chorus_domain::OrgId,
    id: SurveyId,
    k: u32,
    at_least: u32,
) -> Result<()> {
    let mut tx = db.tx().await?;
    let mut batch = store::take_ballots(&mut tx, id).await?;
    if batch.is_empty() || (batch.len() as u32) < at_least {
        // Another mover took most of them first: leave the rest waiting (dropping the
        // transaction puts them back).
        return Ok(());
    }
    if at_least == 0 && (batch.len() as u32) < k {
        // The last few at closing time: rewrite enough earlier responses (and open answers)
        // in this same transaction that no transaction holds fewer than k of them. On
        // PostgreSQL a row's transaction id is readable; on SQLite this costs nothing.
        let missing = i64::from(k) - batch.len() as i64;
        store::rewrite_some(&mut tx, id, missing).await?;
    }
    // A fresh random key per ballot, sorted: a uniformly random order, so neither the order of
    // rows nor their ids say anything about arrival.
    let mut keyed: Vec<(uuid::Uuid, Ballot)> = batch.drain(..).map(|b| (uuid::Uuid::new_v4(), b)).collect();
    keyed.sort_by_key(|(k, _)| *k);
    let batch: Vec<Ballot> = keyed.into_iter().map(|(_, b)| b).collect();
    let mut groups: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut tallies: BTreeMap<(QuestionId, String, String, i64), i64> = BTreeMap::new();
    let mut texts: Vec<(QuestionId, String)> = Vec::new();
    for b in &batch {
        let department = store::department_key(b.department_id);
        let band = b.band.clone().unwrap_or_default();
        *groups.entry((department.clone(), band.clone())).or_default() += 1;
        let answers: Vec<(QuestionId, Answer)> = serde_json::from_str(&b.answers).unwrap_or_default();
        for (q, a) in answers {
            if let Some(option) = a.option() {
                *tallies.entry((q, department.clone(), band.clone(), i64::from(option))).or_default() += 1;
            }
            if let Some(text) = a.text() {
                texts.push((q, text.to_owned()));
            }
        }
    }
    // One key per text, drawn once (a key drawn at every comparison is no order at all).
    texts.sort_by_cached_key(|_| uuid::Uuid::new_v4());
    store::insert_responses(&mut tx, org, id, &batch).await?;
    let groups: Vec<(String, String, i64)> = groups.into_iter().map(|((d, b), n)| (d, b, n)).collect();
    store::add_group_counts(&mut tx, id, &groups).await?;
    let tallies: Vec<TallyRow> = tallies
        .into_iter()
        .map(|((question_id, department, band, option), answers)| TallyRow {
            question_id,
            department,
            band,
            option,
            answers,
        })
        .collect();
    store::add_tallies(&mut tx, id, &tallies).await?;
    store::insert_texts(&mut tx, id, &texts).await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------------------ ballot box

/// Answers committed together: each request hands its participation and ballot to one writer,
/// which commits whatever has arrived meanwhile in one transaction (group commit, like the
/// click writer) and answers each request only after that commit. Under load an answer costs a
/// share of one transaction instead of one of its own — on SQLite, which has one writer and a
/// thread hop per statement, that is most of the cost. Nothing is acknowledged before it is
/// stored: a crash loses only answers whose senders got no reply.
#[derive(Debug)]
pub struct BallotBox {
    tx: tokio::sync::mpsc::Sender<Arrival>,
}

#[derive(Debug)]
struct Arrival {
    org: chorus_domain::OrgId,
    survey: SurveyId,
    k: u32,
    user: UserId,
    ballot: Ballot,
    reply: tokio::sync::oneshot::Sender<std::result::Result<Admitted, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admitted {
    Recorded,
    AlreadyAnswered,
    Closed,
}

/// The most answers one transaction takes.
const BOX_BATCH: usize = 256;

impl BallotBox {
    pub fn start(store: chorus_store::Store) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(4 * BOX_BATCH);
        tokio::spawn(ballot_loop(store, rx));
        Self { tx }
    }

    async fn submit(&self, a: Arrival) -> Result<Admitted> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.tx
            .send(Arrival { reply, ..a })
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the ballot box is closed")))?;
        answer
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the ballot box stopped")))?
            .map_err(|e| Error::Internal(anyhow::anyhow!("storing answers: {e}")))
    }
}

async fn ballot_loop(store: chorus_store::Store, mut rx: tokio::sync::mpsc::Receiver<Arrival>) {
    // Ballots this box stored per survey since it last moved them (another instance's are
    // swept along by whichever moves next; closing moves the rest).
    let mut arrived: HashMap<SurveyId, u32> = HashMap::new();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < BOX_BATCH {
            match rx.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let mut due: Vec<(chorus_domain::OrgId, SurveyId, u32)> = Vec::new();
        match commit_arrivals(&store, &batch).await {
            Ok(outcomes) => {
                for (a, outcome) in batch.into_iter().zip(outcomes) {
                    if outcome == Admitted::Recorded {
                        let n = arrived.entry(a.survey).or_default();
                        *n += 1;
                        if *n >= survey::batch_size(a.k) {
                            *n = 0;
                            due.push((a.org, a.survey, a.k));
                        }
                    }
                    let _ = a.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Could not store survey answers");
                for a in batch {
                    let _ = a.reply.send(Err(e.to_string()));
                }
            }
        }
        for (org, id, k) in due {
            if let Err(e) = move_waiting(&store, org, id, k, survey::batch_size(k)).await {
                tracing::error!(error = %e, "Could not move survey answers out of the waiting room");
            }
        }
    }
}

/// One transaction for a batch of arrivals: who answered, and their ballots, for open surveys
/// and people who had not answered yet.
async fn commit_arrivals(store: &chorus_store::Store, batch: &[Arrival]) -> Result<Vec<Admitted>> {
    let mut outcome = vec![Admitted::Recorded; batch.len()];
    let mut seen = std::collections::HashSet::new();
    for (i, a) in batch.iter().enumerate() {
        if !seen.insert((a.survey, a.user)) {
            outcome[i] = Admitted::AlreadyAnswered;
        }
    }
    let mut tx = store.tx().await?;
    let mut surveys: Vec<SurveyId> = batch.iter().map(|a| a.survey).collect();
    surveys.sort();
    surveys.dedup();
    for id in surveys {
        if !store::is_open(&mut tx, id).await? {
            for (i, a) in batch.iter().enumerate() {
                if a.survey == id && outcome[i] == Admitted::Recorded {
                    outcome[i] = Admitted::Closed;
                }
            }
        }
    }
    let wanted: Vec<(chorus_domain::OrgId, SurveyId, UserId)> = batch
        .iter()
        .zip(&outcome)
        .filter(|(_, o)| **o == Admitted::Recorded)
        .map(|(a, _)| (a.org, a.survey, a.user))
        .collect();
    let inserted: std::collections::HashSet<(SurveyId, UserId)> =
        store::participate_many(&mut tx, &wanted).await?.into_iter().collect();
    let mut ballots: Vec<(chorus_domain::OrgId, SurveyId, &Ballot)> = Vec::new();
    for (i, a) in batch.iter().enumerate() {
        if outcome[i] != Admitted::Recorded {
            continue;
        }
        if inserted.contains(&(a.survey, a.user)) {
            ballots.push((a.org, a.survey, &a.ballot));
        } else {
            outcome[i] = Admitted::AlreadyAnswered;
        }
    }
    store::insert_ballots(&mut tx, &ballots).await?;
    tx.commit().await?;
    Ok(outcome)
}

// ------------------------------------------------------------------------------ participation

/// Answered out of asked, for one group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rate {
    pub group: String,
    pub answered: u32,
    pub people: u32,
}

impl Rate {
    pub fn percent(&self) -> u32 {
        (self.answered * 100).checked_div(self.people).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ParticipationReport {
    pub overall: Rate,
    pub by_department: Vec<Rate>,
    pub by_band: Vec<Rate>,
    /// Who has not answered yet, for reminders. Who *has* answered follows; what they answered
    /// is never here.
    pub not_yet: Vec<Person>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: UserId,
    pub name: String,
    pub department: Option<String>,
}

pub async fn participation(app: &App, caller: &Caller, id: SurveyId) -> Result<ParticipationReport> {
    authorize(&caller.actor, Action::ViewEnablementReports)?;
    load(app, caller, id).await?;
    let mut db = app.store.conn().await?;
    let people = store::participants(&mut db, caller.org_id(), id).await?;
    let names: HashMap<DepartmentId, String> =
        departments::names(&mut db, caller.org_id()).await?.into_iter().collect();
    Ok(participation_of(&people, &names))
}

fn participation_of(people: &[Participant], names: &HashMap<DepartmentId, String>) -> ParticipationReport {
    let rate = |group: String, list: &mut dyn Iterator<Item = &Participant>| {
        let (mut answered, mut all) = (0, 0);
        for p in list {
            all += 1;
            answered += u32::from(p.answered);
        }
        Rate { group, answered, people: all }
    };
    let department_name = |d: Option<DepartmentId>| {
        d.and_then(|d| names.get(&d).cloned()).unwrap_or_else(|| "No department".into())
    };
    let mut departments: Vec<Option<DepartmentId>> = people.iter().map(|p| p.department_id).collect();
    departments.sort();
    departments.dedup();
    let mut by_department: Vec<Rate> = departments
        .into_iter()
        .map(|d| rate(department_name(d), &mut people.iter().filter(|p| p.department_id == d)))
        .collect();
    by_department.sort_by(|a, b| a.group.cmp(&b.group));
    let mut by_band: Vec<Rate> = Band::ALL
        .into_iter()
        .map(|b| {
            rate(b.label().into(), &mut people.iter().filter(|p| p.seniority.and_then(Band::of) == Some(b)))
        })
        .filter(|r| r.people > 0)
        .collect();
    let unknown = rate(
        "Seniority not set".into(),
        &mut people.iter().filter(|p| p.seniority.and_then(Band::of).is_none()),
    );
    if unknown.people > 0 {
        by_band.push(unknown);
    }
    ParticipationReport {
        overall: rate("Everyone".into(), &mut people.iter()),
        by_department,
        by_band,
        not_yet: people
            .iter()
            .filter(|p| !p.answered)
            .map(|p| Person {
                id: p.user_id,
                name: p.name.clone(),
                department: p.department_id.and_then(|d| names.get(&d).cloned()),
            })
            .collect(),
    }
}

/// Reminds everyone who has not answered (in the app, and by e-mail when configured). Returns
/// how many were reminded.
pub async fn remind(app: &App, caller: &Caller, id: SurveyId) -> Result<usize> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let s = load(app, caller, id).await?;
    if s.status != SurveyStatus::Open {
        return Err(Error::Conflict("only an open survey can be reminded of".into()));
    }
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let people: Vec<UserId> = store::participants(&mut tx, caller.org_id(), id)
        .await?
        .into_iter()
        .filter(|p| !p.answered)
        .map(|p| p.user_id)
        .collect();
    let n = people.len();
    let news = News {
        kind: "survey",
        title: format!("Please answer the survey “{}”: it is anonymous and takes a few minutes", s.title),
        link: format!("/surveys/{id}"),
    };
    notify::send(&mut tx, app, caller.org_id(), people, caller.actor.user_id, &news, now).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("survey.reminded").target("survey", id).detail(serde_json::json!({"people": n})),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

// ------------------------------------------------------------------------------------- report

/// A group a report can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Department(DepartmentId),
    Band(Band),
}

/// One column of a report: everyone, or one group big enough to show.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub key: String,
    pub label: String,
    pub responses: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicRow {
    pub topic: String,
    /// Per column (same order as `Report::columns`): percent correct, or `None` when hidden.
    pub scores: Vec<Option<u32>>,
    /// The previous round's overall score, when there is one with this topic.
    pub previous: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionRow {
    pub label: String,
    pub correct: bool,
    /// Answers per column; `None` when the column is hidden for this question.
    pub counts: Vec<Option<u32>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionReport {
    pub id: QuestionId,
    pub prompt: String,
    pub kind: QuestionKind,
    pub topics: Vec<String>,
    pub retired: bool,
    pub options: Vec<OptionRow>,
    /// Open answers (and yes/no follow-ups), shown only when the survey has k responses.
    pub texts: Vec<String>,
    pub more_texts: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub k: u32,
    pub responses: u32,
    /// Everyone first, then each department and band with at least k responses, or only the
    /// group asked for.
    pub columns: Vec<Column>,
    /// Groups left out because they, or what subtraction would reveal of them, are under k.
    pub hidden_groups: usize,
    pub topics: Vec<TopicRow>,
    pub weakest: Option<String>,
    pub questions: Vec<QuestionReport>,
}

const TOO_SMALL: &str =
    "this group has fewer responses than the survey's minimum group size, so its results are not shown";
const TEXTS_SHOWN: i64 = 50;

/// The results of a closed survey, with every group under k left out.
pub async fn report(app: &App, caller: &Caller, id: SurveyId, only: Option<Group>) -> Result<Report> {
    authorize(&caller.actor, Action::ViewEnablementReports)?;
    let s = load(app, caller, id).await?;
    if s.status != SurveyStatus::Closed {
        return Err(Error::Conflict(
            "results appear when the survey closes, so no one can watch them change as a colleague answers"
                .into(),
        ));
    }
    let mut db = app.store.conn().await?;
    let questions = store::questions(&mut db, id).await?;
    let groups = store::group_counts(&mut db, id).await?;
    let tallies = store::tallies(&mut db, id).await?;
    let names: HashMap<String, String> = departments::names(&mut db, caller.org_id())
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let mut report = build_report(&s, &questions, &groups, &tallies, &names, only)?;
    if report.responses >= s.k {
        for (q, out) in questions.iter().zip(report.questions.iter_mut()) {
            let has_text = q.spec.kind == QuestionKind::Text || q.spec.follow_up.is_some();
            if has_text {
                out.texts = store::texts(&mut db, q.id, TEXTS_SHOWN).await?;
                out.more_texts = (store::text_count(&mut db, q.id).await? - TEXTS_SHOWN).max(0);
            }
        }
    }
    if let Some(prev) = s.previous_id {
        let prev_questions = store::questions(&mut db, prev).await?;
        let prev_tallies = store::tallies(&mut db, prev).await?;
        let prev_total: u32 = store::group_counts(&mut db, prev).await?.iter().map(|g| g.2 as u32).sum();
        let prev_k = store::get(&mut db, caller.org_id(), prev).await?.map_or(s.k, |p| p.k);
        if prev_total >= prev_k {
            let scores = overall_scores(&prev_questions, &prev_tallies);
            for row in &mut report.topics {
                row.previous = scores
                    .iter()
                    .find(|t| t.topic.to_lowercase() == row.topic.to_lowercase())
                    .and_then(percent);
            }
        }
    }
    Ok(report)
}

fn percent(t: &TopicScore) -> Option<u32> {
    t.score().map(|s| (s * 100.0).round() as u32)
}

fn overall_scores(questions: &[Question], tallies: &[TallyRow]) -> Vec<TopicScore> {
    let index: HashMap<QuestionId, usize> = questions.iter().enumerate().map(|(i, q)| (q.id, i)).collect();
    let specs: Vec<QuestionSpec> = questions.iter().map(|q| q.spec.clone()).collect();
    let flat: Vec<Tally> = tallies
        .iter()
        .filter_map(|t| {
            Some(Tally {
                question: *index.get(&t.question_id)?,
                option: u8::try_from(t.option).ok()?,
                count: t.answers as u32,
            })
        })
        .collect();
    survey::topic_scores(&specs, &flat)
}

/// Which column a (department, band) cell of the count tables falls in.
fn matches(column: &str, department: &str, band: &str) -> bool {
    match column.split_once(':') {
        None => true,
        Some(("d", d)) => d == department,
        Some(("b", b)) => b == band,
        _ => false,
    }
}

fn build_report(
    s: &Survey,
    questions: &[Question],
    groups: &[(String, String, i64)],
    tallies: &[TallyRow],
    names: &HashMap<String, String>,
    only: Option<Group>,
) -> Result<Report> {
    let k = s.k;
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    let total: u32 = groups.iter().map(|g| n(g.2)).sum();
    // The two partitions a report shows: by department, by band (each with its own remainder).
    let mut candidates: Vec<Column> = Vec::new();
    let mut hidden = 0;
    for partition in ["d", "b"] {
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for (d, b, c) in groups {
            let key = if partition == "d" { d } else { b };
            if !key.is_empty() {
                *counts.entry(key.clone()).or_default() += n(*c);
            }
        }
        let keys: Vec<(String, u32)> = counts.into_iter().collect();
        let shown = survey::visible_groups(total, &keys.iter().map(|(_, c)| *c).collect::<Vec<_>>(), k);
        for ((key, responses), visible) in keys.into_iter().zip(shown) {
            if !visible {
                hidden += 1;
                continue;
            }
            let label = if partition == "d" {
                names.get(&key).cloned().unwrap_or_else(|| "Former department".into())
            } else {
                Band::parse(&key).map_or_else(|| key.clone(), |b| b.label().to_owned())
            };
            candidates.push(Column { key: format!("{partition}:{key}"), label, responses });
        }
    }
    let everyone = Column { key: "all".into(), label: "Everyone".into(), responses: total };
    let columns: Vec<Column> =
        if total < k { vec![everyone] } else { std::iter::once(everyone).chain(candidates).collect() };
    let full = full_report(k, total, columns, hidden, questions, tallies);
    match only {
        None => Ok(full),
        Some(group) => {
            let key = match group {
                Group::Department(d) => format!("d:{d}"),
                Group::Band(b) => format!("b:{}", b.as_str()),
            };
            // Narrowed from the full report, so a group hidden there (for its own size, or to
            // protect another by subtraction) stays hidden here.
            let ci =
                full.columns.iter().position(|c| c.key == key).ok_or(Error::Forbidden(Denied(TOO_SMALL)))?;
            Ok(narrow(full, ci))
        }
    }
}

/// The report reduced to one of its columns.
fn narrow(mut r: Report, ci: usize) -> Report {
    r.columns = vec![r.columns.swap_remove(ci)];
    for t in &mut r.topics {
        t.scores = vec![t.scores[ci]];
        t.previous = None;
    }
    r.topics
        .sort_by_key(|t| (t.scores[0].is_none(), t.scores[0].unwrap_or(u32::MAX), t.topic.to_lowercase()));
    r.weakest = r.topics.first().filter(|t| t.scores[0].is_some()).map(|t| t.topic.clone());
    for q in &mut r.questions {
        for o in &mut q.options {
            o.counts = vec![o.counts[ci]];
        }
    }
    r
}

fn full_report(
    k: u32,
    total: u32,
    columns: Vec<Column>,
    hidden: usize,
    questions: &[Question],
    tallies: &[TallyRow],
) -> Report {
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    if total < k {
        // Not even everyone together is a group big enough: nothing but the count.
        return Report {
            k,
            responses: total,
            columns,
            hidden_groups: hidden,
            topics: Vec::new(),
            weakest: None,
            questions: Vec::new(),
        };
    }
    let index: HashMap<QuestionId, usize> = questions.iter().enumerate().map(|(i, q)| (q.id, i)).collect();
    // counts[question][column][option]; a question's own answer counts decide its visibility,
    // since a question added late has fewer answers than the survey has responses.
    let mut counts: Vec<Vec<Vec<u32>>> =
        questions.iter().map(|q| vec![vec![0; q.spec.options.len()]; columns.len()]).collect();
    for t in tallies {
        let (Some(&qi), Ok(opt)) = (index.get(&t.question_id), usize::try_from(t.option)) else { continue };
        for (ci, c) in columns.iter().enumerate() {
            if matches(&c.key, &t.department, &t.band)
                && let Some(slot) = counts[qi][ci].get_mut(opt)
            {
                *slot += n(t.answers);
            }
        }
    }
    let mut visible: Vec<Vec<bool>> = Vec::new();
    for per_column in &counts {
        let answered: Vec<u32> = per_column.iter().map(|opts| opts.iter().sum()).collect();
        let mut shown = vec![false; columns.len()];
        if answered[0] >= k {
            shown[0] = true;
            // Each partition again, over this question's answers.
            for prefix in ["d:", "b:"] {
                let members: Vec<usize> =
                    (1..columns.len()).filter(|&i| columns[i].key.starts_with(prefix)).collect();
                let sizes: Vec<u32> = members.iter().map(|&i| answered[i]).collect();
                for (i, v) in members.iter().zip(survey::visible_groups(answered[0], &sizes, k)) {
                    shown[*i] = v;
                }
            }
        }
        visible.push(shown);
    }
    let specs: Vec<QuestionSpec> = questions.iter().map(|q| q.spec.clone()).collect();
    let mut per_column_scores: Vec<Vec<TopicScore>> = Vec::new();
    for ci in 0..columns.len() {
        let flat: Vec<Tally> = counts
            .iter()
            .enumerate()
            .filter(|(qi, _)| visible[*qi][ci])
            .flat_map(|(qi, cols)| {
                cols[ci].iter().enumerate().map(move |(o, &count)| Tally {
                    question: qi,
                    option: o as u8,
                    count,
                })
            })
            .collect();
        per_column_scores.push(survey::topic_scores(&specs, &flat));
    }
    let topics: Vec<TopicRow> = per_column_scores[0]
        .iter()
        .map(|t| TopicRow {
            topic: t.topic.clone(),
            scores: per_column_scores
                .iter()
                .map(|scores| scores.iter().find(|x| x.topic == t.topic).and_then(percent))
                .collect(),
            previous: None,
        })
        .collect();
    let weakest = topics.first().filter(|t| t.scores[0].is_some()).map(|t| t.topic.clone());
    let questions = questions
        .iter()
        .enumerate()
        .map(|(qi, q)| QuestionReport {
            id: q.id,
            prompt: q.spec.prompt.clone(),
            kind: q.spec.kind,
            topics: q.spec.topics.clone(),
            retired: q.retired_at.is_some(),
            options: q
                .spec
                .options
                .iter()
                .enumerate()
                .map(|(o, label)| OptionRow {
                    label: label.clone(),
                    correct: q.spec.kind == QuestionKind::Choice && q.spec.correct == Some(o as u8),
                    counts: (0..columns.len()).map(|ci| visible[qi][ci].then(|| counts[qi][ci][o])).collect(),
                })
                .collect(),
            texts: Vec::new(),
            more_texts: 0,
        })
        .collect();
    Report { k, responses: total, columns, hidden_groups: hidden, topics, weakest, questions }
}

/// The plain-words note shown on every survey page and in the API description.
pub const PRIVACY_NOTE: &str = "Your answers are anonymous. Chorus stores that you answered (so \
nobody has to ask you twice) and, separately, your answers — with no name, no e-mail, no id and no \
time, mixed with others' before they are saved. Your department and seniority band are kept with \
your answers only where at least k people share them, and results are shown only for groups of at \
least k answers, after the survey has closed. What you write in open answers is shown as written, \
so leave out anything that identifies you.";
