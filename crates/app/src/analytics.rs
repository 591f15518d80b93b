//! Analytics: what the company's content and its people's shares achieved (SPEC §2 step 7).
//!
//! The social team and admins see the whole organization; a department's leads see their
//! department. Click counts come from hourly and daily roll-ups plus the raw clicks not rolled up
//! yet, so numbers are current to the last flush and fast at tens of millions of clicks.
//! [`maintain`] keeps the roll-ups current and deletes raw clicks past their retention.

use chorus_domain::{
    Action, DepartmentId,
    analytics::{self as rules, DAY_MS, HOUR_MS, Period, median, plan, rate},
    authorize,
};
use chorus_store::analytics::{self as sql, Dimension};

pub use chorus_store::analytics::{Clicks, Line};
use time::OffsetDateTime;

use crate::{App, Error, Result, me::Caller};

/// Which part of the organization a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scope {
    pub department: Option<DepartmentId>,
}

/// The headline numbers (`GET /api/v1/analytics/summary`).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub period: Period,
    pub shares: i64,
    pub sharers: i64,
    pub clicks: Clicks,
    pub submissions: i64,
    pub approved: i64,
    pub published: i64,
    /// Share of active people who contributed or shared in the period (0–1).
    pub participation_rate: f64,
    pub people: i64,
    pub participants: i64,
}

/// Participation of one group (a department, or a seniority band).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub label: String,
    pub people: i64,
    pub participants: i64,
    pub rate: f64,
}

/// The review pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineView {
    pub submissions: i64,
    pub approved: i64,
    pub rejected: i64,
    pub approval_rate: Option<f64>,
    pub median_decision_seconds: Option<i64>,
    pub waiting: i64,
    pub median_wait_seconds: Option<i64>,
    pub oldest_wait_seconds: Option<i64>,
}

/// One day of the trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub day: time::Date,
    pub clicks: Clicks,
    pub shares: i64,
}

/// Everything a dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub summary: Summary,
    pub by_department: Vec<Group>,
    pub by_seniority: Vec<Group>,
    pub pipeline: PipelineView,
    /// (channel, network, posts)
    pub publishing: Vec<(String, String, i64)>,
    pub top_content: Vec<Line>,
    pub top_advocates: Vec<Line>,
    pub by_network: Vec<Line>,
    pub by_team: Vec<Line>,
    pub by_campaign: Vec<Line>,
    pub by_goal: Vec<Line>,
    pub days: Vec<Day>,
}

fn check(caller: &Caller, scope: Scope) -> Result<()> {
    authorize(&caller.actor, Action::ViewAnalytics { department: scope.department })?;
    Ok(())
}

/// The period a report asks for, or a 400 with the reason.
pub fn period(from: Option<&str>, to: Option<&str>, now: OffsetDateTime) -> Result<Period> {
    Period::parse(from, to, now).map_err(|e| Error::BadRequest(e.to_string()))
}

fn seniority_band(s: Option<i64>) -> &'static str {
    match s {
        Some(1) => "1 (new)",
        Some(2) => "2",
        Some(3) => "3",
        Some(4) => "4",
        Some(5) => "5 (executive)",
        _ => "not set",
    }
}

fn groups(rows: impl Iterator<Item = (String, i64, i64)>) -> Vec<Group> {
    let mut map: std::collections::BTreeMap<String, (i64, i64)> = Default::default();
    for (label, people, active) in rows {
        let e = map.entry(label).or_default();
        e.0 += people;
        e.1 += active;
    }
    map.into_iter()
        .map(|(label, (people, participants))| Group {
            label,
            people,
            participants,
            rate: rate(participants, people),
        })
        .collect()
}

async fn summary_in(
    db: &mut impl chorus_store::Db,
    caller: &Caller,
    scope: Scope,
    period: Period,
    participation: &[sql::Participation],
) -> Result<Summary> {
    let org = caller.org_id();
    let watermark = sql::watermark(db).await?;
    let plan = plan(period, watermark);
    let clicks = match scope.department {
        None => sql::org_clicks(db, org, &plan).await?,
        Some(_) => {
            let lines = sql::breakdown(db, org, scope.department, &plan, Dimension::Department, 1).await?;
            lines.first().map(|l| l.clicks).unwrap_or_default()
        }
    };
    let (shares, sharers) = sql::share_counts(db, org, scope.department, period).await?;
    let pipeline = sql::pipeline(db, org, scope.department, period).await?;
    let published = sql::published_submissions(db, org, scope.department, period).await?;
    let people: i64 = participation.iter().map(|p| p.people).sum();
    let participants: i64 = participation.iter().map(|p| p.active).sum();
    Ok(Summary {
        period,
        shares,
        sharers,
        clicks,
        submissions: pipeline.submissions,
        approved: pipeline.approved,
        published,
        participation_rate: rate(participants, people),
        people,
        participants,
    })
}

/// The headline numbers for a period.
pub async fn summary(app: &App, caller: &Caller, scope: Scope, period: Period) -> Result<Summary> {
    check(caller, scope)?;
    let mut db = app.store.conn().await?;
    let participation = sql::participation(&mut db, caller.org_id(), scope.department, period).await?;
    summary_in(&mut db, caller, scope, period, &participation).await
}

/// Every table and the trend for a dashboard.
pub async fn dashboard(app: &App, caller: &Caller, scope: Scope, period: Period) -> Result<Dashboard> {
    check(caller, scope)?;
    let org = caller.org_id();
    let now = app.now();
    let mut db = app.store.conn().await?;
    let participation = sql::participation(&mut db, org, scope.department, period).await?;
    let summary = summary_in(&mut db, caller, scope, period, &participation).await?;
    let watermark = sql::watermark(&mut db).await?;
    let plan = plan(period, watermark);
    let dept = scope.department;
    let mut lines =
        async |by: Dimension, limit: i64| sql::breakdown(&mut db, org, dept, &plan, by, limit).await;
    let top_content = lines(Dimension::Content, 10).await?;
    let top_advocates = lines(Dimension::Advocate, 10).await?;
    let by_network = lines(Dimension::Network, 10).await?;
    let by_team = lines(Dimension::Department, 50).await?;
    let by_campaign = lines(Dimension::Campaign, 20).await?;
    let by_goal = lines(Dimension::Goal, 20).await?;
    let pipeline = sql::pipeline(&mut db, org, dept, period).await?;
    let publishing = sql::published(&mut db, org, dept, period)
        .await?
        .into_iter()
        .map(|(channel, network, posts, _)| (channel, network, posts))
        .collect();
    let clicks = sql::daily(&mut db, org, dept, &plan).await?;
    let shares = sql::shares_daily(&mut db, org, dept, period).await?;
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let waits: Vec<i64> = pipeline.waiting_since.iter().map(|&q| (now_ms - q).max(0) / 1000).collect();
    Ok(Dashboard {
        by_department: groups(
            participation.iter().map(|p| {
                (p.department.clone().unwrap_or_else(|| "No department".into()), p.people, p.active)
            }),
        ),
        by_seniority: groups(
            participation.iter().map(|p| (seniority_band(p.seniority).to_owned(), p.people, p.active)),
        ),
        pipeline: PipelineView {
            submissions: pipeline.submissions,
            approved: pipeline.approved,
            rejected: pipeline.rejected,
            approval_rate: (pipeline.approved + pipeline.rejected > 0)
                .then(|| rate(pipeline.approved, pipeline.approved + pipeline.rejected)),
            median_decision_seconds: median(pipeline.decision_seconds),
            waiting: waits.len() as i64,
            oldest_wait_seconds: waits.iter().copied().max(),
            median_wait_seconds: median(waits),
        },
        publishing,
        top_content,
        top_advocates,
        by_network,
        by_team,
        by_campaign,
        by_goal,
        days: days(period, &clicks, &shares),
        summary,
    })
}

/// One entry per day of the period, zeros included (a chart needs the gaps).
fn days(period: Period, clicks: &[(i64, Clicks)], shares: &[(i64, i64)]) -> Vec<Day> {
    let first = rules::day_of(period.from);
    let last = rules::day_of(period.to - 1);
    let clicks: std::collections::HashMap<i64, Clicks> = clicks.iter().copied().collect();
    let shares: std::collections::HashMap<i64, i64> = shares.iter().copied().collect();
    (0..=((last - first) / DAY_MS))
        .map(|i| first + i * DAY_MS)
        .filter_map(|d| {
            let date = OffsetDateTime::from_unix_timestamp(d / 1000).ok()?.date();
            Some(Day {
                day: date,
                clicks: clicks.get(&d).copied().unwrap_or_default(),
                shares: shares.get(&d).copied().unwrap_or_default(),
            })
        })
        .collect()
}

/// What one maintenance round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Maintained {
    pub hours_rolled: u32,
    pub clicks_deleted: u64,
    /// Clicks-milestone payments made after this roll-up.
    pub milestones_paid: u64,
}

/// Rolls up every hour that ended more than a minute ago, then deletes raw clicks older than the
/// retention (only ones already rolled up). Safe to run from several processes at once.
pub async fn maintain(app: &App) -> Result<Maintained> {
    // Clicks reach the database up to a flush interval after they happen: give them a minute.
    const GRACE_MS: i64 = 60_000;
    let now = (app.now().unix_timestamp_nanos() / 1_000_000) as i64;
    let limit = (now - GRACE_MS).div_euclid(HOUR_MS) * HOUR_MS;
    let mut done = Maintained::default();
    let rolled_before = {
        let mut db = app.store.conn().await?;
        sql::watermark(&mut db).await?
    };
    loop {
        let mut tx = app.store.tx().await?;
        let more = sql::rollup_step(&mut tx, limit).await?;
        tx.commit().await?;
        if !more {
            break;
        }
        done.hours_rolled += 1;
    }
    if done.hours_rolled > 0 {
        // Shares whose clicks just arrived in the roll-ups may have crossed a milestone.
        done.milestones_paid = crate::recognition::pay_click_milestones(app, rolled_before).await?;
    }
    let mut db = app.store.conn().await?;
    let watermark = sql::watermark(&mut db).await?;
    let keep = app.config.click_retention.whole_milliseconds() as i64;
    let before = (now - keep).min(watermark);
    loop {
        let n = sql::delete_clicks_before(&mut db, before, 10_000).await?;
        done.clicks_deleted += n;
        if n < 10_000 {
            break;
        }
    }
    Ok(done)
}
