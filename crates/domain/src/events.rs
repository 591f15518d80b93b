//! Social sessions (SPEC §3 "weekly social sessions with calendar invites"): a one-off or weekly
//! event at a local wall-clock time in an IANA time zone, its occurrences, and its invite.
//!
//! A weekly session keeps its local time across daylight-saving changes ("every Thursday 17:00
//! in Berlin" is 16:00 UTC in winter and 15:00 UTC in summer), as calendar programs do with an
//! RRULE on a DTSTART that carries a TZID. A local time that does not exist on some day (inside
//! a spring-forward gap) is moved forward by the gap, and one that exists twice takes the
//! earlier instant: RFC 5545 §3.3.5's reading, which is jiff's "compatible" disambiguation.

use crate::{Invalid, ical};
use jiff::{
    ToSpan as _,
    civil::{Date, DateTime, Time},
    tz::TimeZone,
};
use time::OffsetDateTime;

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_PLACE: usize = 500;
pub const MAX_HASHTAG: usize = 100;
/// A series holds at most this many occurrences (ten years of weekly sessions).
pub const MAX_COUNT: u32 = 520;
/// How far ahead an open-ended series' invite describes its time zone's changes.
const VTIMEZONE_YEARS: i64 = 10;

/// How a session repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurrence {
    Once,
    /// Every `interval` weeks on the start date's weekday, until a last date (inclusive) or for
    /// `count` occurrences, or open-ended.
    Weekly {
        interval: u32,
        until: Option<Date>,
        count: Option<u32>,
    },
}

impl Recurrence {
    pub fn kind(&self) -> &'static str {
        match self {
            Recurrence::Once => "once",
            Recurrence::Weekly { .. } => "weekly",
        }
    }
}

/// When a session takes place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The first occurrence's local date.
    pub start_date: Date,
    /// Local wall-clock time of every occurrence.
    pub start_time: Time,
    pub duration_minutes: i64,
    pub time_zone: TimeZone,
    pub recurrence: Recurrence,
}

/// One occurrence of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// Its local date: the key attendance is recorded under.
    pub date: Date,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
}

fn to_time(ts: jiff::Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn to_timestamp(t: OffsetDateTime) -> jiff::Timestamp {
    jiff::Timestamp::from_nanosecond(t.unix_timestamp_nanos()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// `YYYY-MM-DD`.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Date, Invalid> {
    let raw = raw.trim();
    if raw.len() != 10 {
        return Err(Invalid::new(field, "must be a date written YYYY-MM-DD"));
    }
    raw.parse::<Date>().map_err(|_| Invalid::new(field, "must be a date written YYYY-MM-DD"))
}

/// `HH:MM` (24-hour clock; seconds are not kept).
pub fn parse_time(raw: &str) -> Result<Time, Invalid> {
    let bad = || Invalid::new("start_time", "must be a time written HH:MM (24-hour clock)");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// An IANA time-zone name (`Europe/Berlin`, `America/New_York`, `UTC`).
pub fn parse_time_zone(raw: &str) -> Result<TimeZone, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return Err(Invalid::new("time_zone", "must be an IANA time-zone name such as Europe/Berlin"));
    }
    jiff::tz::db().get(raw).map_err(|_| {
        Invalid::new(
            "time_zone",
            format!("{raw:?} is not a known time zone; use a name such as Europe/Berlin"),
        )
    })
}

/// A time zone's IANA name as stored and shown.
pub fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("UTC").to_owned()
}

pub fn date_str(d: Date) -> String {
    d.to_string()
}

pub fn time_str(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl Schedule {
    fn step_days(&self) -> i64 {
        match self.recurrence {
            Recurrence::Once => 0,
            Recurrence::Weekly { interval, .. } => 7 * i64::from(interval.max(1)),
        }
    }

    /// The `k`-th occurrence's date (0 = the first), if the series has one.
    fn nth_date(&self, k: i64) -> Option<Date> {
        match self.recurrence {
            Recurrence::Once => (k == 0).then_some(self.start_date),
            Recurrence::Weekly { until, count, .. } => {
                if k < 0 || count.is_some_and(|c| k >= i64::from(c)) || k >= i64::from(MAX_COUNT) * 10 {
                    return None;
                }
                let d = self.start_date.checked_add((k * self.step_days()).days()).ok()?;
                if until.is_some_and(|u| d > u) {
                    return None;
                }
                Some(d)
            }
        }
    }

    /// The occurrence on local date `d`.
    pub fn at(&self, d: Date) -> Occurrence {
        let local = DateTime::from_parts(d, self.start_time);
        let start = self.time_zone.to_timestamp(local).map(to_time).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Occurrence {
            date: d,
            starts_at: start,
            ends_at: start + time::Duration::minutes(self.duration_minutes),
        }
    }

    /// Whether the series has an occurrence on local date `d`.
    pub fn is_occurrence(&self, d: Date) -> bool {
        let span = d.since(self.start_date).map(|s| s.get_days()).unwrap_or(-1);
        match self.recurrence {
            Recurrence::Once => d == self.start_date,
            Recurrence::Weekly { .. } => {
                let step = self.step_days();
                let days = i64::from(span);
                days >= 0 && days % step == 0 && self.nth_date(days / step) == Some(d)
            }
        }
    }

    /// The last occurrence's date; `None` for an open-ended series.
    pub fn last_date(&self) -> Option<Date> {
        match self.recurrence {
            Recurrence::Once => Some(self.start_date),
            Recurrence::Weekly { until: None, count: None, .. } => None,
            Recurrence::Weekly { until, count, .. } => {
                let by_count = count.and_then(|c| self.nth_date(i64::from(c) - 1));
                let by_until = until.map(|u| {
                    let days = i64::from(u.since(self.start_date).map(|s| s.get_days()).unwrap_or(0));
                    let k = days.max(0) / self.step_days();
                    self.nth_date(k).unwrap_or(self.start_date)
                });
                match (by_count, by_until) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// Occurrences that have not ended by `from` and start before `to`, in order, at most `limit`.
    pub fn occurrences_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
        limit: usize,
    ) -> Vec<Occurrence> {
        let mut out = Vec::new();
        // Start a week before `from`'s date (a long series is not walked from its beginning).
        let from_date = to_timestamp(from).to_zoned_datetime(self.time_zone.clone()).date();
        let mut k = match self.recurrence {
            Recurrence::Once => 0,
            Recurrence::Weekly { .. } => {
                let days = i64::from(from_date.since(self.start_date).map(|s| s.get_days()).unwrap_or(0));
                (days / self.step_days() - 1).max(0)
            }
        };
        while out.len() < limit {
            let Some(d) = self.nth_date(k) else { break };
            let o = self.at(d);
            if o.starts_at >= to {
                break;
            }
            if o.ends_at > from {
                out.push(o);
            }
            k += 1;
        }
        out
    }

    /// The next occurrence that has not ended at `now` (one under way counts).
    pub fn next(&self, now: OffsetDateTime) -> Option<Occurrence> {
        self.occurrences_between(now, OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT), 1)
            .into_iter()
            .next()
    }

    /// An occurrence in the session's own time: `Thu 10 Dec 2026, 17:00–18:00 CET`.
    pub fn local_label(&self, o: &Occurrence) -> String {
        let start = to_timestamp(o.starts_at).to_zoned_datetime(self.time_zone.clone());
        let end = to_timestamp(o.ends_at).to_zoned_datetime(self.time_zone.clone());
        let end_fmt = if start.date() == end.date() { "%H:%M %Z" } else { "%a %-d %b, %H:%M %Z" };
        format!("{}–{}", start.strftime("%a %-d %b %Y, %H:%M"), end.strftime(end_fmt))
    }

    /// The schedule in words: `Weekly on Thursday at 17:00 (Europe/Berlin), 60 minutes, 10 times`.
    pub fn describe(&self) -> String {
        let zone = zone_name(&self.time_zone);
        let at = format!("at {} ({zone}), {} minutes", time_str(self.start_time), self.duration_minutes);
        match self.recurrence {
            Recurrence::Once => format!("Once, on {} {at}", self.start_date.strftime("%A %-d %B %Y")),
            Recurrence::Weekly { interval, until, count } => {
                let every =
                    if interval <= 1 { "Weekly".to_owned() } else { format!("Every {interval} weeks") };
                let mut out =
                    format!("{every} on {} {at}, from {}", self.start_date.strftime("%A"), self.start_date);
                if let Some(c) = count {
                    out.push_str(&format!(", {c} times"));
                }
                if let Some(u) = until {
                    out.push_str(&format!(", until {u}"));
                }
                out
            }
        }
    }

    fn is_utc(&self) -> bool {
        matches!(
            self.time_zone.iana_name(),
            Some("UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Zulu" | "Etc/Zulu")
        )
    }

    /// The RRULE value, for a weekly series.
    pub fn rrule(&self) -> Option<String> {
        let Recurrence::Weekly { interval, until, count } = self.recurrence else { return None };
        let mut rule = format!("FREQ=WEEKLY;INTERVAL={}", interval.max(1));
        if let Some(c) = count {
            rule.push_str(&format!(";COUNT={c}"));
        }
        if until.is_some()
            && let Some(last) = self.last_date()
        {
            // With a DTSTART in a time zone, UNTIL must be in UTC (RFC 5545 §3.3.10); the
            // last occurrence's start is included.
            rule.push_str(&format!(";UNTIL={}", ical::utc_stamp(self.at(last).starts_at)));
        }
        Some(rule)
    }
}

/// What a session's invite says.
#[derive(Debug, Clone)]
pub struct Invite<'a> {
    /// Globally unique and stable: `event-<id>@<host>`.
    pub uid: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub place: &'a str,
    /// A link to the session: the place when it is a URL, else its page in Chorus.
    pub url: &'a str,
    pub hashtag: Option<&'a str>,
    pub schedule: &'a Schedule,
    /// DTSTAMP: when the invite was made.
    pub stamp: OffsetDateTime,
    /// Increases with every change (SEQUENCE), so calendars take the new version.
    pub sequence: i64,
}

fn local_stamp(dt: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn offset_str(o: jiff::tz::Offset) -> String {
    let s = o.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let s = s.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if sec == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{sec:02}") }
}

/// The VTIMEZONE of `tz` from a year before `from` to `until`: an observance for the offset in
/// force at the start, then one per transition.
fn vtimezone(
    lines: &mut ical::Lines,
    tz: &TimeZone,
    name: &str,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) {
    lines.raw("BEGIN:VTIMEZONE").raw(format!("TZID:{name}"));
    let begin = from.checked_sub(jiff::SignedDuration::from_hours(366 * 24)).unwrap_or(from);
    let first = tz.to_offset_info(begin);
    let kind = |dst: bool| if dst { "DAYLIGHT" } else { "STANDARD" };
    let first_offset = offset_str(first.offset());
    lines
        .raw(format!("BEGIN:{}", kind(first.dst().is_dst())))
        .raw("DTSTART:19700101T000000")
        .raw(format!("TZOFFSETFROM:{first_offset}"))
        .raw(format!("TZOFFSETTO:{first_offset}"))
        .text("TZNAME", first.abbreviation())
        .raw(format!("END:{}", kind(first.dst().is_dst())));
    let mut before = first.offset();
    for t in tz.following(begin) {
        if t.timestamp() > until {
            break;
        }
        // An observance starts at the local time of the offset it replaces (§3.6.5).
        let local = before.to_datetime(t.timestamp());
        let k = kind(t.dst().is_dst());
        lines
            .raw(format!("BEGIN:{k}"))
            .raw(format!("DTSTART:{}", local_stamp(local)))
            .raw(format!("TZOFFSETFROM:{}", offset_str(before)))
            .raw(format!("TZOFFSETTO:{}", offset_str(t.offset())))
            .text("TZNAME", t.abbreviation())
            .raw(format!("END:{k}"));
        before = t.offset();
    }
    lines.raw("END:VTIMEZONE");
}

/// The invite as an iCalendar object (RFC 5545): one VEVENT, its RRULE when weekly, and the
/// VTIMEZONE its DTSTART refers to (or UTC times for a session in UTC).
pub fn invite(i: &Invite<'_>) -> String {
    let s = i.schedule;
    let mut lines = ical::Lines::new();
    lines
        .raw("BEGIN:VCALENDAR")
        .raw("VERSION:2.0")
        .raw("PRODID:-//Chorus//Social sessions//EN")
        .raw("CALSCALE:GREGORIAN")
        .raw("METHOD:PUBLISH");
    let name = zone_name(&s.time_zone);
    let first = s.at(s.start_date);
    if !s.is_utc() {
        let end = match s.last_date() {
            Some(d) => to_timestamp(s.at(d).ends_at),
            None => to_timestamp(first.starts_at)
                .checked_add(jiff::SignedDuration::from_hours(VTIMEZONE_YEARS * 366 * 24))
                .unwrap_or(jiff::Timestamp::MAX),
        };
        vtimezone(&mut lines, &s.time_zone, &name, to_timestamp(first.starts_at), end);
    }
    lines
        .raw("BEGIN:VEVENT")
        .raw(format!("UID:{}", i.uid))
        .raw(format!("DTSTAMP:{}", ical::utc_stamp(i.stamp)));
    if s.is_utc() {
        lines.raw(format!("DTSTART:{}", ical::utc_stamp(first.starts_at)));
    } else {
        lines.raw(format!(
            "DTSTART;TZID={name}:{}",
            local_stamp(DateTime::from_parts(s.start_date, s.start_time))
        ));
    }
    lines.raw(format!("DURATION:PT{}M", s.duration_minutes));
    if let Some(rule) = s.rrule() {
        lines.raw(format!("RRULE:{rule}"));
    }
    lines.text("SUMMARY", i.title);
    let mut description = i.description.to_owned();
    if let Some(tag) = i.hashtag {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(tag);
    }
    if !description.is_empty() {
        lines.text("DESCRIPTION", &description);
    }
    if !i.place.is_empty() {
        lines.text("LOCATION", i.place);
    }
    if !i.url.is_empty() {
        // URL is a URI value, not TEXT: it is not escaped (it holds no line breaks).
        lines.raw(format!("URL:{}", i.url.replace(['\r', '\n'], "")));
    }
    lines.raw(format!("SEQUENCE:{}", i.sequence.max(0))).raw("STATUS:CONFIRMED").raw("TRANSP:OPAQUE");
    lines.raw("END:VEVENT").raw("END:VCALENDAR");
    lines.finish()
}

// ------------------------------------------------------------------------------------- policy

/// Who runs sessions: the social media team, owners, admins and department leads.
pub fn may_create(actor: &crate::Actor) -> Result<(), crate::Denied> {
    (actor.role.is_admin()
        || matches!(actor.role, crate::Role::Social | crate::Role::Lead)
        || !actor.leads.is_empty())
    .then_some(())
    .ok_or(crate::Denied("sessions are run by the social media team, department leads and admins"))
}

/// Who changes or removes a session: whoever created it, the social media team, owners and admins.
pub fn may_edit(actor: &crate::Actor, created_by: Option<crate::UserId>) -> Result<(), crate::Denied> {
    (actor.role.is_admin() || actor.role == crate::Role::Social || created_by.is_some_and(|c| actor.is(c)))
        .then_some(())
        .ok_or(crate::Denied(
            "only whoever created this session, the social media team and admins can change it",
        ))
}

// ------------------------------------------------------------------------------------- input

/// A session's fields as typed, before checking.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub title: String,
    pub description: String,
    pub place: String,
    pub hashtag: String,
    /// YYYY-MM-DD.
    pub start_date: String,
    /// HH:MM.
    pub start_time: String,
    pub duration_minutes: i64,
    pub time_zone: String,
    /// `once` or `weekly`.
    pub repeat: String,
    /// Weeks between occurrences (weekly; default 1).
    pub interval: Option<i64>,
    /// Last date, YYYY-MM-DD (weekly; optional).
    pub until: Option<String>,
    /// Number of occurrences (weekly; optional).
    pub count: Option<i64>,
}

/// A session's checked fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    pub title: String,
    pub description: String,
    pub place: String,
    /// Normalized `#Tag`, if any.
    pub hashtag: Option<String>,
    pub schedule: Schedule,
}

/// A one-line text of 1..=max characters.
fn line(field: &'static str, raw: &str, max: usize, required: bool) -> Result<String, Invalid> {
    let t = raw.trim();
    if required && t.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must be one line"));
    }
    Ok(t.to_owned())
}

/// `#OutdoorTrails` (the `#` is added when missing): letters, digits and underscores.
pub fn parse_hashtag(raw: &str) -> Result<Option<String>, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let body = t.strip_prefix('#').unwrap_or(t);
    if body.is_empty()
        || body.chars().count() > MAX_HASHTAG
        || !body.chars().all(|c| c.is_alphanumeric() || c == '_')
        || body.chars().all(|c| c.is_ascii_digit())
    {
        return Err(Invalid::new(
            "hashtag",
            "must be one hashtag such as #OutdoorTrails: letters, digits and underscores, not only digits",
        ));
    }
    Ok(Some(format!("#{body}")))
}

/// A room name, an address, or a link. A link must be http(s): `javascript:` and other schemes
/// are refused, since the place is shown as a link.
pub fn parse_place(raw: &str) -> Result<String, Invalid> {
    let t = line("place", raw, MAX_PLACE, false)?;
    if let Ok(u) = url::Url::parse(&t)
        && !t.contains(' ')
        && !matches!(u.scheme(), "http" | "https")
    {
        return Err(Invalid::new("place", "a link must start with https:// (or http://)"));
    }
    Ok(t)
}

/// The place as a link, when it is one.
pub fn place_url(place: &str) -> Option<String> {
    let u = url::Url::parse(place.trim()).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.username().is_empty())
        .then(|| u.to_string())
}

fn keep<T>(problems: &mut Vec<Invalid>, r: Result<T, Invalid>) -> Option<T> {
    r.map_err(|e| problems.push(e)).ok()
}

/// Checks everything, reporting every problem at once.
pub fn check(input: &EventInput) -> Result<EventFields, Vec<Invalid>> {
    let mut problems = Vec::new();
    let title = keep(&mut problems, line("title", &input.title, MAX_TITLE, true));
    let description = if input.description.chars().count() > MAX_DESCRIPTION {
        keep(
            &mut problems,
            Err(Invalid::new("description", format!("must be at most {MAX_DESCRIPTION} characters"))),
        )
    } else {
        Some(input.description.trim().replace("\r\n", "\n"))
    };
    let place = keep(&mut problems, parse_place(&input.place));
    let hashtag = keep(&mut problems, parse_hashtag(&input.hashtag));
    let start_date = keep(&mut problems, parse_date("start_date", &input.start_date));
    let start_time = keep(&mut problems, parse_time(&input.start_time));
    let duration = keep(
        &mut problems,
        if (5..=24 * 60).contains(&input.duration_minutes) {
            Ok(input.duration_minutes)
        } else {
            Err(Invalid::new("duration_minutes", "must be between 5 minutes and 24 hours (1440)"))
        },
    );
    let tz = keep(&mut problems, parse_time_zone(&input.time_zone));
    let recurrence = match input.repeat.trim() {
        "once" | "" => {
            if input.count.is_some() || input.until.as_deref().is_some_and(|u| !u.trim().is_empty()) {
                keep(
                    &mut problems,
                    Err(Invalid::new("repeat", "a one-off session has no end date or count; choose weekly")),
                )
            } else {
                Some(Recurrence::Once)
            }
        }
        "weekly" => {
            let interval = keep(
                &mut problems,
                match input.interval.unwrap_or(1) {
                    i @ 1..=52 => Ok(u32::try_from(i).unwrap_or(1)),
                    _ => Err(Invalid::new("interval", "must be between 1 and 52 weeks")),
                },
            );
            let until = match input.until.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
                None => Some(None),
                Some(u) => keep(&mut problems, parse_date("until", u)).map(Some),
            };
            let count = match input.count {
                None => Some(None),
                Some(c) if (1..=i64::from(MAX_COUNT)).contains(&c) => Some(u32::try_from(c).ok()),
                Some(_) => keep(
                    &mut problems,
                    Err(Invalid::new("count", format!("must be between 1 and {MAX_COUNT}"))),
                ),
            };
            match (interval, until, count) {
                (Some(interval), Some(until), Some(count)) => {
                    if let (Some(u), Some(d)) = (until, start_date)
                        && u < d
                    {
                        keep(&mut problems, Err(Invalid::new("until", "must not be before the start date")))
                    } else {
                        Some(Recurrence::Weekly { interval, until, count })
                    }
                }
                _ => None,
            }
        }
        _ => keep(&mut problems, Err(Invalid::new("repeat", "must be once or weekly"))),
    };
    match (title, description, place, hashtag, start_date, start_time, duration, tz, recurrence) {
        (
            Some(title),
            Some(description),
            Some(place),
            Some(hashtag),
            Some(start_date),
            Some(start_time),
            Some(duration_minutes),
            Some(time_zone),
            Some(recurrence),
        ) if problems.is_empty() => Ok(EventFields {
            title,
            description,
            place,
            hashtag,
            schedule: Schedule { start_date, start_time, duration_minutes, time_zone, recurrence },
        }),
        _ => Err(problems),
    }
}

/// A schedule as stored: text columns written by [`check`].
#[derive(Debug, Clone, Copy)]
pub struct StoredSchedule<'a> {
    pub start_date: &'a str,
    pub start_time: &'a str,
    pub duration_minutes: i64,
    pub time_zone: &'a str,
    pub repeat: &'a str,
    pub interval: Option<i64>,
    pub until: Option<&'a str>,
    pub count: Option<i64>,
}

impl StoredSchedule<'_> {
    /// Rebuilds the schedule (stored values were checked when written, so they parse).
    pub fn parse(&self) -> Result<Schedule, Invalid> {
        let recurrence = if self.repeat == "weekly" {
            Recurrence::Weekly {
                interval: self.interval.and_then(|i| u32::try_from(i).ok()).unwrap_or(1).max(1),
                until: self.until.map(|u| parse_date("until", u)).transpose()?,
                count: self.count.and_then(|c| u32::try_from(c).ok()),
            }
        } else {
            Recurrence::Once
        };
        Ok(Schedule {
            start_date: parse_date("start_date", self.start_date)?,
            start_time: parse_time(self.start_time)?,
            duration_minutes: self.duration_minutes,
            time_zone: parse_time_zone(self.time_zone)?,
            recurrence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn weekly(start: &str, time: &str, tz: &str, count: Option<u32>) -> Schedule {
        Schedule {
            start_date: parse_date("d", start).expect("date"),
            start_time: parse_time(time).expect("time"),
            duration_minutes: 60,
            time_zone: parse_time_zone(tz).expect("tz"),
            recurrence: Recurrence::Weekly { interval: 1, until: None, count },
        }
    }

    #[test]
    fn a_weekly_session_keeps_its_local_time_across_the_autumn_dst_change() {
        // Thursdays 17:00 in Berlin; summer time ends on Sunday 2026-10-25.
        let s = weekly("2026-10-15", "17:00", "Europe/Berlin", None);
        let got = s.occurrences_between(datetime!(2026-10-01 0:00 UTC), datetime!(2026-11-06 0:00 UTC), 10);
        let starts: Vec<String> = got.iter().map(|o| ical::utc_stamp(o.starts_at)).collect();
        assert_eq!(
            starts,
            ["20261015T150000Z", "20261022T150000Z", "20261029T160000Z", "20261105T160000Z"],
            "17:00 CEST is 15:00 UTC; 17:00 CET is 16:00 UTC"
        );
        assert_eq!(got[2].date.to_string(), "2026-10-29");
        assert_eq!(got[2].ends_at - got[2].starts_at, time::Duration::HOUR);
        assert_eq!(s.local_label(&got[2]), "Thu 29 Oct 2026, 17:00–18:00 CET");
        assert_eq!(s.describe(), "Weekly on Thursday at 17:00 (Europe/Berlin), 60 minutes, from 2026-10-15");
    }

    #[test]
    fn the_next_occurrence_crosses_the_spring_dst_change_in_new_york() {
        // Mondays 09:30 in New York; DST starts Sunday 2027-03-14.
        let s = weekly("2027-03-01", "09:30", "America/New_York", None);
        let next = s.next(datetime!(2027-03-08 16:00 UTC)).expect("next");
        assert_eq!(next.date.to_string(), "2027-03-15");
        assert_eq!(ical::utc_stamp(next.starts_at), "20270315T133000Z", "09:30 EDT is 13:30 UTC");
        // One under way still counts as the next one.
        let during = s.next(datetime!(2027-03-01 15:00 UTC)).expect("during");
        assert_eq!(during.date.to_string(), "2027-03-01");
        assert_eq!(ical::utc_stamp(during.starts_at), "20270301T143000Z", "09:30 EST is 14:30 UTC");
    }

    #[test]
    fn a_local_time_inside_the_spring_gap_moves_forward_by_the_gap() {
        // 02:30 does not exist in Berlin on 2027-03-28.
        let s = weekly("2027-03-21", "02:30", "Europe/Berlin", Some(2));
        let all = s.occurrences_between(datetime!(2027-01-01 0:00 UTC), datetime!(2028-01-01 0:00 UTC), 10);
        assert_eq!(all.len(), 2, "COUNT=2");
        assert_eq!(ical::utc_stamp(all[1].starts_at), "20270328T013000Z", "03:30 CEST");
    }

    #[test]
    fn count_until_and_interval_bound_the_series() {
        let mut s = weekly("2026-12-03", "17:00", "Europe/Berlin", Some(3));
        assert_eq!(s.last_date().map(|d| d.to_string()).as_deref(), Some("2026-12-17"));
        assert!(s.is_occurrence(parse_date("d", "2026-12-10").expect("d")));
        assert!(!s.is_occurrence(parse_date("d", "2026-12-24").expect("d")), "past the count");
        assert!(!s.is_occurrence(parse_date("d", "2026-12-11").expect("d")), "not a Thursday");
        s.recurrence = Recurrence::Weekly {
            interval: 2,
            until: Some(parse_date("d", "2027-01-20").expect("d")),
            count: None,
        };
        assert_eq!(s.last_date().map(|d| d.to_string()).as_deref(), Some("2027-01-14"));
        assert!(!s.is_occurrence(parse_date("d", "2026-12-10").expect("d")), "every other week");
        assert!(s.is_occurrence(parse_date("d", "2026-12-17").expect("d")));
        let rule = s.rrule().expect("rule");
        assert_eq!(rule, "FREQ=WEEKLY;INTERVAL=2;UNTIL=20270114T160000Z");
        let once = Schedule { recurrence: Recurrence::Once, ..s };
        assert!(once.rrule().is_none());
        assert_eq!(
            once.occurrences_between(datetime!(2026-01-01 0:00 UTC), datetime!(2030-01-01 0:00 UTC), 9).len(),
            1
        );
    }

    #[test]
    fn the_invite_carries_a_vtimezone_with_both_changes_and_a_weekly_rrule() {
        let s = weekly("2026-12-03", "17:00", "Europe/Berlin", Some(20));
        let text = invite(&Invite {
            uid: "event-1@chorus.test",
            title: "Trail chat, weekly",
            description: "Bring photos; talk\nabout routes",
            place: "Room 4.02",
            url: "https://chorus.test/events/1",
            hashtag: Some("#OutdoorTrails"),
            schedule: &s,
            stamp: datetime!(2026-12-01 10:00 UTC),
            sequence: 0,
        });
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(text.contains("DTSTART;TZID=Europe/Berlin:20261203T170000\r\n"));
        assert!(text.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=20\r\n"));
        assert!(text.contains("SUMMARY:Trail chat\\, weekly\r\n"));
        assert!(text.contains("DESCRIPTION:Bring photos\\; talk\\nabout routes\\n\\n#OutdoorTrails\r\n"));
        assert!(text.contains("TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"), "{text}");
        assert!(
            text.contains(
                "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"
            )
        );
        assert!(text.contains("DURATION:PT60M\r\n"));
    }

    #[test]
    fn a_session_in_utc_is_written_in_utc_without_a_vtimezone() {
        let s = weekly("2026-12-03", "17:00", "UTC", None);
        let text = invite(&Invite {
            uid: "u",
            title: "t",
            description: "",
            place: "",
            url: "",
            hashtag: None,
            schedule: &s,
            stamp: datetime!(2026-12-01 10:00 UTC),
            sequence: 2,
        });
        assert!(text.contains("DTSTART:20261203T170000Z\r\n"));
        assert!(!text.contains("VTIMEZONE"));
    }

    #[test]
    fn bad_input_is_reported_field_by_field() {
        let input = EventInput {
            title: " ".into(),
            place: "javascript:alert(1)".into(),
            hashtag: "#no spaces".into(),
            start_date: "2026-13-01".into(),
            start_time: "25:00".into(),
            duration_minutes: 0,
            time_zone: "Mars/Olympus".into(),
            repeat: "weekly".into(),
            count: Some(0),
            ..EventInput::default()
        };
        let problems = check(&input).expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        for f in [
            "title",
            "place",
            "hashtag",
            "start_date",
            "start_time",
            "duration_minutes",
            "time_zone",
            "count",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert_eq!(parse_hashtag("OutdoorTrails").expect("tag").as_deref(), Some("#OutdoorTrails"));
        assert!(parse_place("Room 4: the big one").is_ok());
        assert_eq!(place_url("https://meet.example/abc").as_deref(), Some("https://meet.example/abc"));
    }
}
