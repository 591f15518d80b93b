//! The daily digest (each person's `daily` notifications since the last one) and the weekly
//! "wins" digest (the organization's top content, shout-outs and results of the week, plus each
//! person's `weekly` notifications).
//!
//! The worker's upkeep calls [`run_due`] every minute. A digest is claimed once per
//! organization and period by inserting its `digest_runs` row (the primary key decides between
//! workers), then written for people in batches of [`BATCH`]: one read of the people, one of
//! their choices, one of their notifications, then one transaction that queues the batch's
//! e-mails (multi-row) and records how far the run got. A worker that dies mid-way leaves its
//! lease to expire; another takes the run over from the last batch recorded, so nobody gets two.

use crate::{App, Result, emails, mail::SendEmail};
use chorus_domain::{
    OrgId,
    analytics::{Period, plan},
    clock::to_millis,
    notify::{self as domain, Cadence, Delivery},
};
use chorus_store::{admin, analytics as stats, digests as store, digests::Run, notifications, preferences};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// People per batch (and per transaction).
pub const BATCH: i64 = 1000;

/// How long a run's claim holds without progress before another worker may take it over.
const LEASE: Duration = Duration::minutes(5);

/// What one call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub runs: usize,
    pub emails: i64,
}

/// Sends the digests that are due (and finishes any a dead worker left half done). Does nothing
/// when the instance sends no e-mail.
pub async fn run_due(app: &App) -> Result<Report> {
    let mut report = Report::default();
    if !app.config.email_notifications {
        return Ok(report);
    }
    let now = app.now();
    let orgs = {
        let mut db = app.store.conn().await?;
        store::org_ids(&mut db).await?
    };
    for org in orgs {
        for cadence in [Cadence::Daily, Cadence::Weekly] {
            let end = app.config.digest_schedule.period_end(cadence, now);
            if now - end > cadence.grace() {
                continue;
            }
            if let Some(emails) = run_period(app, org, cadence, end).await? {
                report.runs += 1;
                report.emails += emails;
            }
        }
    }
    loop {
        let run = {
            let mut tx = app.store.tx().await?;
            let run = store::take_over_stale(&mut tx, now, now + LEASE).await?;
            tx.commit().await?;
            run
        };
        let Some(run) = run else { break };
        tracing::warn!(org.id = %run.org_id, digest.cadence = %run.cadence, "Taking over an unfinished digest");
        report.runs += 1;
        report.emails += process(app, run).await?;
    }
    Ok(report)
}

/// Claims and sends one organization's digest for the period ending at `end`; `None` when
/// another worker (or an earlier call) already has it. The scheduler calls this; so do the
/// benchmark and tests.
pub async fn run_period(app: &App, org: OrgId, cadence: Cadence, end: OffsetDateTime) -> Result<Option<i64>> {
    match claim(app, org, cadence, end, app.now()).await? {
        Some(run) => Ok(Some(process(app, run).await?)),
        None => Ok(None),
    }
}

async fn claim(
    app: &App,
    org: OrgId,
    cadence: Cadence,
    end: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Option<Run>> {
    {
        let mut db = app.store.conn().await?;
        if store::exists(&mut db, org, cadence.as_str(), end).await? {
            return Ok(None);
        }
    }
    let mut tx = app.store.tx().await?;
    let start = store::previous_end(&mut tx, org, cadence.as_str(), end)
        .await?
        .filter(|prev| end - *prev <= cadence.length() * 2)
        .unwrap_or(end - cadence.length());
    let run = store::claim(&mut tx, org, cadence.as_str(), start, end, now, now + LEASE).await?;
    tx.commit().await?;
    Ok(run)
}

fn cadence_of(run: &Run) -> Cadence {
    if run.cadence == Cadence::Daily.as_str() { Cadence::Daily } else { Cadence::Weekly }
}

fn day(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[weekday repr:short] [day padding:none] [month repr:short]");
    t.format(&f).unwrap_or_default()
}

fn minute(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[weekday repr:short] [hour]:[minute] UTC");
    t.format(&f).unwrap_or_default()
}

/// The week's wins, rendered once for everyone.
async fn wins(app: &App, run: &Run, links: &emails::Links) -> Result<emails::SharedPart> {
    let org = run.org_id;
    let period = Period { from: to_millis(run.period_start), to: to_millis(run.period_end) };
    let mut db = app.store.conn().await?;
    let watermark = stats::watermark(&mut db).await?;
    let p = plan(period, watermark);
    let top: Vec<(String, i64, i64)> = stats::breakdown(&mut db, org, None, &p, stats::Dimension::Content, 5)
        .await?
        .into_iter()
        .filter(|l| l.clicks.human > 0)
        .map(|l| (l.label.unwrap_or_else(|| "Untitled".into()), l.clicks.human, l.shares))
        .collect();
    let clicks = stats::org_clicks(&mut db, org, &p).await?;
    let (shares, _) = stats::share_counts(&mut db, org, None, period).await?;
    let published = stats::published(&mut db, org, None, period).await?.iter().map(|r| r.2).sum();
    let (shoutouts_total, shoutouts) =
        store::shoutouts(&mut db, org, run.period_start, run.period_end, 5).await?;
    let dashboard = links.url("/analytics");
    Ok(emails::wins(&emails::Wins {
        shares,
        clicks: clicks.human,
        published,
        top: &top,
        shoutouts_total,
        shoutouts: &shoutouts,
        dashboard_url: &dashboard,
    }))
}

/// Writes and queues a run's e-mails, batch by batch; returns how many were queued.
async fn process(app: &App, mut run: Run) -> Result<i64> {
    let cadence = cadence_of(&run);
    let org = run.org_id;
    let links = emails::Links::of(app);
    let org_name = {
        let mut db = app.store.conn().await?;
        admin::org_by_id(&mut db, org).await?.map(|o| o.name).unwrap_or_default()
    };
    let shared = match cadence {
        Cadence::Weekly => wins(app, &run, &links).await?,
        Cadence::Daily => emails::SharedPart::default(),
    };
    let (subject, heading) = match cadence {
        Cadence::Weekly => {
            (format!("This week's wins at {org_name}"), format!("This week's wins at {org_name}"))
        }
        Cadence::Daily => {
            (format!("Your daily Chorus digest for {org_name}"), "Your daily digest".to_owned())
        }
    };
    let period = format!("{} – {}", day(run.period_start), day(run.period_end - Duration::SECOND));
    let mut total = 0;
    loop {
        let mut db = app.store.conn().await?;
        let people = store::active_people(&mut db, org, run.cursor, BATCH).await?;
        let Some(last) = people.last().map(|p| p.id) else { break };
        let mut choices: HashMap<uuid::Uuid, Vec<(String, Delivery)>> = HashMap::new();
        for (user, kind, delivery) in preferences::of_people(&mut db, org, run.cursor, last).await? {
            if let Ok(d) = Delivery::parse(&delivery) {
                choices.entry(user).or_default().push((kind, d));
            }
        }
        let mut items: HashMap<uuid::Uuid, Vec<notifications::Notification>> = HashMap::new();
        for n in
            notifications::of_people_between(&mut db, org, run.cursor, last, run.period_start, run.period_end)
                .await?
        {
            items.entry(n.user_id.0).or_default().push(n);
        }
        drop(db);
        let mut jobs = Vec::new();
        let none = Vec::new();
        for person in &people {
            let mine = choices.get(&person.id.0).unwrap_or(&none);
            let stored = || mine.iter().map(|(k, d)| (k.as_str(), *d));
            if domain::effective(cadence.kind(), stored()) == Delivery::Off {
                continue;
            }
            let list: Vec<(String, String, String)> = items
                .get(&person.id.0)
                .map(|ns| {
                    ns.iter()
                        .filter(|n| domain::effective(&n.kind, stored()) == cadence.delivery())
                        .map(|n| (n.title.clone(), links.url(&n.link), minute(n.created_at)))
                        .collect()
                })
                .unwrap_or_default();
            // A daily digest with nothing in it is not sent; the weekly one always has the wins.
            if cadence == Cadence::Daily && list.is_empty() {
                continue;
            }
            let to = emails::To { org, user: person.id, name: &person.name, email: &person.email };
            let email = emails::digest(
                &links,
                &to,
                &emails::Digest {
                    kind: cadence.kind(),
                    subject: &subject,
                    heading: &heading,
                    period: &period,
                    shared: &shared,
                    items: &list,
                },
            );
            jobs.push(SendEmail { email });
        }
        let now = app.now();
        let mut tx = app.store.tx().await?;
        chorus_jobs::enqueue_many(&mut tx, &jobs, Some(org), now).await?;
        let sent = jobs.len() as i64;
        if !store::advance(&mut tx, &run, last, sent, now + LEASE).await? {
            // Another worker took the run over (we were too slow): it carries on from the
            // last batch recorded; this batch is rolled back.
            tracing::warn!(org.id = %org, "Lost a digest run's lease; leaving it to the worker that took it");
            return Ok(total);
        }
        tx.commit().await?;
        app.queue.wake();
        total += sent;
        run.cursor = Some(last);
    }
    let mut tx = app.store.tx().await?;
    store::finish(&mut tx, &run, app.now()).await?;
    tx.commit().await?;
    tracing::info!(org.id = %org, digest.cadence = cadence.as_str(), emails = total, "Digest queued");
    Ok(total)
}
