//! Social sessions (SPEC §3): weekly chats on a hashtag and one-off meet-ups, with attendance per
//! occurrence and a calendar invite. Everyone in the organization sees them and says they attend;
//! the social team, leads and admins run them (see `chorus_domain::events::may_create`).

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{
    Action, EventId, Invalid, authorize,
    events::{self, EventFields, EventInput, Occurrence, Recurrence, Schedule, StoredSchedule},
};
use chorus_store::events as store;
use time::OffsetDateTime;

pub use chorus_store::events::Event;

/// Sessions an organization keeps at most (a page lists them all).
const MAX_EVENTS: i64 = 500;

/// The schedule of a stored session.
pub fn schedule(e: &Event) -> Result<Schedule> {
    StoredSchedule {
        start_date: &e.start_date,
        start_time: &e.start_time,
        duration_minutes: e.duration_minutes,
        time_zone: &e.time_zone,
        repeat: &e.repeat,
        interval: e.interval_weeks,
        until: e.until_date.as_deref(),
        count: e.occurrence_count,
    }
    .parse()
    .map_err(|e| Error::Internal(anyhow::anyhow!("stored session schedule does not parse: {e}")))
}

/// Every session of the caller's organization, by first date.
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Event>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(store::list(&mut db, caller.org_id(), MAX_EVENTS).await?)
}

/// One session; another organization's answers 404.
pub async fn get(app: &App, caller: &Caller, id: EventId) -> Result<Event> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

fn fields_into(e: &mut Event, f: EventFields) {
    let s = f.schedule;
    e.title = f.title;
    e.description = f.description;
    e.place = f.place;
    e.hashtag = f.hashtag;
    e.start_date = events::date_str(s.start_date);
    e.start_time = events::time_str(s.start_time);
    e.duration_minutes = s.duration_minutes;
    e.time_zone = events::zone_name(&s.time_zone);
    e.repeat = s.recurrence.kind().to_owned();
    let (interval, until, count) = match s.recurrence {
        Recurrence::Once => (None, None, None),
        Recurrence::Weekly { interval, until, count } => {
            (Some(i64::from(interval)), until.map(events::date_str), count.map(i64::from))
        }
    };
    e.interval_weeks = interval;
    e.until_date = until;
    e.occurrence_count = count;
}

fn detail(e: &Event) -> serde_json::Value {
    serde_json::json!({
        "title": e.title, "start_date": e.start_date, "start_time": e.start_time, "time_zone": e.time_zone,
        "repeat": e.repeat, "interval_weeks": e.interval_weeks, "until": e.until_date, "count": e.occurrence_count,
    })
}

/// Creates a session (social team, leads, admins).
pub async fn create(app: &App, caller: &Caller, input: EventInput) -> Result<Event> {
    events::may_create(&caller.actor)?;
    let fields = events::check(&input).map_err(Error::Invalid)?;
    let now = app.now();
    let mut e = Event {
        id: EventId::new(),
        title: String::new(),
        description: String::new(),
        place: String::new(),
        hashtag: None,
        start_date: String::new(),
        start_time: String::new(),
        duration_minutes: 0,
        time_zone: String::new(),
        repeat: String::new(),
        interval_weeks: None,
        until_date: None,
        occurrence_count: None,
        sequence: 0,
        created_by: caller.actor.user_id,
        created_by_name: None,
        created_at: now,
        updated_at: now,
    };
    fields_into(&mut e, fields);
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    if store::list(&mut tx, org, MAX_EVENTS).await?.len() as i64 >= MAX_EVENTS {
        return Err(Error::Conflict(format!(
            "an organization keeps at most {MAX_EVENTS} sessions; delete old ones"
        )));
    }
    store::insert(&mut tx, org, &e).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("event.created").target("event", e.id).detail(detail(&e)),
    )
    .await?;
    let e = store::get(&mut tx, org, e.id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(e)
}

/// Changes to a session: `None` leaves a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct EventChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub place: Option<String>,
    pub hashtag: Option<Option<String>>,
    pub start_date: Option<String>,
    pub start_time: Option<String>,
    pub duration_minutes: Option<i64>,
    pub time_zone: Option<String>,
    pub repeat: Option<String>,
    pub interval: Option<Option<i64>>,
    pub until: Option<Option<String>>,
    pub count: Option<Option<i64>>,
}

/// The input that would recreate `e` as it is.
fn input_of(e: &Event) -> EventInput {
    EventInput {
        title: e.title.clone(),
        description: e.description.clone(),
        place: e.place.clone(),
        hashtag: e.hashtag.clone().unwrap_or_default(),
        start_date: e.start_date.clone(),
        start_time: e.start_time.clone(),
        duration_minutes: e.duration_minutes,
        time_zone: e.time_zone.clone(),
        repeat: e.repeat.clone(),
        interval: e.interval_weeks,
        until: e.until_date.clone(),
        count: e.occurrence_count,
    }
}

/// Changes a session (its creator, the social team, admins). Calendars that subscribed to the
/// invite see the new version (its SEQUENCE goes up).
pub async fn update(app: &App, caller: &Caller, id: EventId, c: EventChanges) -> Result<Event> {
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let before = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    events::may_edit(&caller.actor, before.created_by)?;
    let mut input = input_of(&before);
    if let Some(v) = c.title {
        input.title = v;
    }
    if let Some(v) = c.description {
        input.description = v;
    }
    if let Some(v) = c.place {
        input.place = v;
    }
    if let Some(v) = c.hashtag {
        input.hashtag = v.unwrap_or_default();
    }
    if let Some(v) = c.start_date {
        input.start_date = v;
    }
    if let Some(v) = c.start_time {
        input.start_time = v;
    }
    if let Some(v) = c.duration_minutes {
        input.duration_minutes = v;
    }
    if let Some(v) = c.time_zone {
        input.time_zone = v;
    }
    if let Some(v) = c.repeat {
        if v.trim() == "once" {
            // A one-off session has no end or count: switching to it drops them.
            input.until = None;
            input.count = None;
            input.interval = None;
        }
        input.repeat = v;
    }
    if let Some(v) = c.interval {
        input.interval = v;
    }
    if let Some(v) = c.until {
        input.until = v;
    }
    if let Some(v) = c.count {
        input.count = v;
    }
    let fields = events::check(&input).map_err(Error::Invalid)?;
    let now = app.now();
    let mut e = before.clone();
    fields_into(&mut e, fields);
    e.sequence = before.sequence + 1;
    e.updated_at = now;
    if !store::update(&mut tx, org, &e).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("event.updated").target("event", id).detail(detail(&e)),
    )
    .await?;
    tx.commit().await?;
    Ok(e)
}

/// Removes a session and its attendance (its creator, the social team, admins).
pub async fn delete(app: &App, caller: &Caller, id: EventId) -> Result<()> {
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let e = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    events::may_edit(&caller.actor, e.created_by)?;
    if !store::delete(&mut tx, org, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        app.now(),
        Entry::new("event.deleted").target("event", id).detail(serde_json::json!({"title": e.title})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One occurrence's attendance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceAttendance {
    pub occurrence: Occurrence,
    pub count: i64,
    /// Whether the caller is among them.
    pub me: bool,
}

/// Says the caller attended, or will attend, the occurrence on local date `date` (or withdraws
/// it with `attending = false`). Idempotent.
pub async fn attend(
    app: &App,
    caller: &Caller,
    id: EventId,
    date: &str,
    attending: bool,
) -> Result<OccurrenceAttendance> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let Some(me) = caller.actor.user_id else {
        return Err(Error::Conflict("only a person can attend a session".into()));
    };
    let org = caller.org_id();
    let d = events::parse_date("occurrence", date)?;
    let mut tx = app.store.tx().await?;
    let e = store::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let s = schedule(&e)?;
    if !s.is_occurrence(d) {
        return Err(
            Invalid::new("occurrence", format!("{d} is not a date this session takes place on")).into()
        );
    }
    let key = events::date_str(d);
    if attending {
        store::attend(&mut tx, org, id, &key, me, app.now()).await?;
    } else {
        store::unattend(&mut tx, org, id, &key, me).await?;
    }
    let rows = store::attendance(&mut tx, org, id, Some(me)).await?;
    tx.commit().await?;
    let (count, mine) = rows.iter().find(|(k, _, _)| *k == key).map_or((0, false), |(_, n, m)| (*n, *m));
    Ok(OccurrenceAttendance { occurrence: s.at(d), count, me: mine })
}

/// Attendance of every occurrence that has any, by date: `(date, count, caller attends)`.
pub async fn attendance(app: &App, caller: &Caller, id: EventId) -> Result<Vec<(String, i64, bool)>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    Ok(store::attendance(&mut db, caller.org_id(), id, caller.actor.user_id).await?)
}

/// Who attends one occurrence, by name.
pub async fn attendees(app: &App, caller: &Caller, id: EventId, date: &str) -> Result<Vec<String>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let d = events::parse_date("occurrence", date)?;
    let mut db = app.store.conn().await?;
    store::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    Ok(store::attendees(&mut db, caller.org_id(), id, &events::date_str(d)).await?)
}

/// A session's occurrences from `from` (those under way included) up to `to`, at most `limit`,
/// each with its attendance.
pub async fn occurrences(
    app: &App,
    caller: &Caller,
    e: &Event,
    from: OffsetDateTime,
    to: OffsetDateTime,
    limit: usize,
) -> Result<Vec<OccurrenceAttendance>> {
    let s = schedule(e)?;
    let mut db = app.store.conn().await?;
    let rows = store::attendance(&mut db, caller.org_id(), e.id, caller.actor.user_id).await?;
    Ok(s.occurrences_between(from, to, limit)
        .into_iter()
        .map(|o| {
            let key = events::date_str(o.date);
            let (count, me) =
                rows.iter().find(|(k, _, _)| *k == key).map_or((0, false), |(_, n, m)| (*n, *m));
            OccurrenceAttendance { occurrence: o, count, me }
        })
        .collect())
}

/// One upcoming occurrence of some session.
#[derive(Debug, Clone)]
pub struct Upcoming {
    pub event: Event,
    pub attendance: OccurrenceAttendance,
}

/// What happens in the next `days` days, soonest first (each session's occurrences, at most
/// `per_event` of each).
pub async fn upcoming(app: &App, caller: &Caller, days: i64, per_event: usize) -> Result<Vec<Upcoming>> {
    let now = app.now();
    let to = now + time::Duration::days(days);
    let mut out = Vec::new();
    for e in list(app, caller).await? {
        for a in occurrences(app, caller, &e, now, to, per_event).await? {
            out.push(Upcoming { event: e.clone(), attendance: a });
        }
    }
    out.sort_by(|a, b| {
        (a.attendance.occurrence.starts_at, a.event.id).cmp(&(b.attendance.occurrence.starts_at, b.event.id))
    });
    Ok(out)
}

/// The session's calendar invite (RFC 5545).
pub async fn invite(app: &App, caller: &Caller, id: EventId) -> Result<String> {
    let e = get(app, caller, id).await?;
    let s = schedule(&e)?;
    let host =
        app.config.base_url.split("://").nth(1).unwrap_or("chorus").split('/').next().unwrap_or("chorus");
    let uid = format!("event-{}@{host}", e.id);
    let page = app.url(&format!("/events/{}", e.id));
    let url = events::place_url(&e.place).unwrap_or(page);
    Ok(events::invite(&events::Invite {
        uid: &uid,
        title: &e.title,
        description: &e.description,
        place: &e.place,
        url: &url,
        hashtag: e.hashtag.as_deref(),
        schedule: &s,
        stamp: e.updated_at,
        sequence: e.sequence,
    }))
}
