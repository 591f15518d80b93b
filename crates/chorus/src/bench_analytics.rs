//! `chorus bench analytics`: seeds an organization with `--clicks` synthetic tracked-link clicks
//! (10 million by default) over `--days`, rolls them up as the worker does, then times the
//! analytics summary (`GET /api/v1/analytics/summary`'s use case) and the full dashboard, next
//! to the same totals counted from raw clicks (what the roll-ups save).
//!
//! A benchmark, not a test: results go in docs/benchmarks.md.

use chorus_app::{
    analytics::{self, Scope},
    me::Caller,
};
use chorus_domain::{DepartmentId, OrgId, Role, UserId, UserStatus};
use chorus_store::shares::{NewClick, NewShare, VisitorHash};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(clap::Args, Debug, Clone)]
pub struct AnalyticsArgs {
    /// Clicks to seed.
    #[arg(long, default_value_t = 10_000_000)]
    clicks: u64,
    /// People in the organization (a quarter of them share).
    #[arg(long, default_value_t = 2_000)]
    people: usize,
    /// Approved items they share.
    #[arg(long, default_value_t = 300)]
    items: usize,
    /// Days the shares and clicks are spread over, ending now (at most 85, inside the default
    /// 90-day retention of raw clicks).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=85))]
    days: u64,
    /// Times each report is run (the figures are the median and the slowest).
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

/// xorshift64*: fast, deterministic, good enough to spread synthetic clicks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const NETWORKS: [&str; 5] = ["linkedin", "x", "facebook", "mastodon", "bluesky"];
const BOTS: [&str; 4] = ["LinkedInBot", "Twitterbot", "facebookexternalhit", "Slackbot"];
const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];

struct SeededShare {
    id: Uuid,
    network: &'static str,
    at: i64,
}

async fn seed_people_and_shares(
    app: &chorus_app::App,
    org: OrgId,
    args: &AnalyticsArgs,
    now: OffsetDateTime,
    rng: &mut Rng,
) -> anyhow::Result<Vec<SeededShare>> {
    let mut tx = app.store.tx().await?;
    let departments: Vec<DepartmentId> = (0..8).map(|_| DepartmentId::new()).collect();
    for (i, d) in departments.iter().enumerate() {
        chorus_store::departments::insert(&mut tx, org, *d, &format!("Department {i}"), now).await?;
    }
    let mut people = Vec::with_capacity(args.people);
    for i in 0..args.people {
        let id = UserId::new();
        let email = format!("person{i}@bench.test");
        let name = format!("Person {i}");
        let user = chorus_store::users::NewUser {
            id,
            org_id: org,
            email: &email,
            name: &name,
            title: None,
            seniority: Some(1 + (i % 5) as i64),
            role: Role::Employee,
            department_id: Some(departments[i % departments.len()]),
            status: UserStatus::Active,
            password_hash: None,
            now,
        };
        chorus_store::users::insert(&mut tx, &user).await?;
        people.push(id);
    }
    tx.commit().await?;
    let (_, items) = super::bench_queue::org_with_content_in(app, org, args.items).await?;

    // A quarter of the people share; each shares a few items on a few networks, on days spread
    // over the period.
    let span_ms = (args.days as i64) * 86_400_000;
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let mut shares = Vec::new();
    let mut tx = app.store.tx().await?;
    for (n, person) in people.iter().enumerate().filter(|(n, _)| n % 4 == 0) {
        for k in 0..8 {
            let item = items[(n * 7 + k * 13) % items.len()];
            let network = NETWORKS[(n + k) % NETWORKS.len()];
            let at = now_ms - 1 - rng.below(span_ms as u64) as i64;
            let id = Uuid::new_v4();
            let code = format!("bench{n:06}{k:02}");
            let share = NewShare {
                id,
                user_id: *person,
                submission_id: item,
                network,
                code: &code,
                caption: "Look what we did",
                destination: "https://example.com/story",
            };
            let created = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)?;
            chorus_store::shares::insert(&mut tx, org, &share, created).await?;
            shares.push(SeededShare { id, network, at });
        }
    }
    tx.commit().await?;
    Ok(shares)
}

async fn seed_clicks(
    app: &chorus_app::App,
    org: OrgId,
    shares: &[SeededShare],
    clicks: u64,
    now_ms: i64,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    /// One click, compactly (10M of them are held and sorted): 16 bytes.
    struct Planned {
        at: i64,
        share: u32,
        /// `0..BOTS.len()`: that bot; above: a person on `DEVICES[kind - BOTS.len()]`.
        kind: u8,
        visitor: u32,
    }
    const BATCH: usize = 50_000;
    let mut planned = Vec::with_capacity(usize::try_from(clicks)?);
    for _ in 0..clicks {
        // Popular shares get more clicks; most clicks come in the first days after a share.
        let a = rng.below(shares.len() as u64);
        let b = rng.below(shares.len() as u64);
        let share = a.min(b) as u32;
        let u = (rng.below(1_000_000) as f64 + 0.5) / 1_000_000.0;
        let delay_ms = (-u.ln() * 43_200_000.0) as i64; // exponential, half a day on average
        let shared_at = shares[share as usize].at;
        // Not in the future: a click that would be is spread over the time the share has had.
        let at = match shared_at + delay_ms {
            at if at < now_ms => at,
            _ => shared_at + rng.below(u64::try_from(now_ms - shared_at).unwrap_or(1)) as i64,
        };
        let kind = if rng.below(10) == 0 {
            rng.below(BOTS.len() as u64) as u8
        } else {
            (BOTS.len() as u64 + rng.below(DEVICES.len() as u64)) as u8
        };
        planned.push(Planned { at, share, kind, visitor: rng.below(2_000_000) as u32 });
    }
    // A server writes clicks as they come, so the table is in time order, and an hour's clicks
    // sit together (the roll-up reads an hour at a time).
    planned.sort_unstable_by_key(|p| p.at);
    let mut last_report = Instant::now();
    for (n, chunk) in planned.chunks(BATCH).enumerate() {
        let mut batch = Vec::with_capacity(chunk.len());
        for p in chunk {
            let share = &shares[p.share as usize];
            let bot = BOTS.get(usize::from(p.kind)).copied();
            batch.push(NewClick {
                org_id: org,
                share_id: share.id,
                at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(p.at) * 1_000_000)?,
                network: share.network.into(),
                referrer_host: None,
                device: bot.unwrap_or_else(|| DEVICES[usize::from(p.kind) - BOTS.len()]),
                bot,
                visitor: bot.is_none().then(|| VisitorHash::from_bytes(u128::from(p.visitor).to_be_bytes())),
            });
        }
        let mut tx = app.store.tx().await?;
        chorus_store::shares::insert_clicks(&mut tx, &batch).await?;
        tx.commit().await?;
        if last_report.elapsed() > Duration::from_secs(10) {
            println!("  … {} clicks", (n + 1) * BATCH);
            last_report = Instant::now();
        }
    }
    Ok(())
}

fn figures(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!("median {:.1} ms, slowest {:.1} ms", ms(times[times.len() / 2]), ms(times[times.len() - 1]))
}

pub async fn run(database_url: Option<String>, args: AnalyticsArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.people >= 4 && args.items > 0 && args.runs > 0,
        "--people ≥ 4, --items and --runs > 0"
    );
    let bench = super::bench_queue::Bench::new(database_url)?;
    let storage = bench.storage();
    super::keyring(&storage, super::Keys::CreateIfMissing)?;
    let _ = super::open_store(&storage).await?;
    let app = super::cli_app(&storage).await?;
    let now = OffsetDateTime::now_utc();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    println!("chorus bench analytics on {}: {} clicks over {} days", bench.backend, args.clicks, args.days);

    let started = Instant::now();
    let org = chorus_app::orgs::create(&app, "Analytics Co").await.map_err(super::cli_error)?;
    let shares = seed_people_and_shares(&app, org.id, &args, now, &mut rng).await?;
    println!(
        "seeded {} people, {} items, {} shares in {:.1} s",
        args.people,
        args.items,
        shares.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    seed_clicks(&app, org.id, &shares, args.clicks, now_ms, &mut rng).await?;
    let secs = started.elapsed().as_secs_f64();
    println!("seeded {} clicks in {secs:.1} s ({:.0} clicks/s)", args.clicks, args.clicks as f64 / secs);

    let started = Instant::now();
    let done = analytics::maintain(&app).await.map_err(super::cli_error)?;
    println!(
        "rolled up {} steps (hours) in {:.1} s; the worker does this every minute, an hour at a time",
        done.hours_rolled,
        started.elapsed().as_secs_f64()
    );

    let caller = Caller::operator(org.id);
    let today = now.date();
    for (label, from) in [
        ("30 days", today - time::Duration::days(29)),
        (&*format!("{} days", args.days), today - time::Duration::days(args.days as i64 - 1)),
    ] {
        let period = analytics::period(Some(&from.to_string()), Some(&today.to_string()), now)
            .map_err(super::cli_error)?;
        let mut summary_times = Vec::new();
        let mut summary = None;
        for _ in 0..args.runs {
            let t = Instant::now();
            summary = Some(
                analytics::summary(&app, &caller, Scope::default(), period)
                    .await
                    .map_err(super::cli_error)?,
            );
            summary_times.push(t.elapsed());
        }
        let summary = summary.expect("at least one run");
        let mut dashboard_times = Vec::new();
        for _ in 0..args.runs.min(5) {
            let t = Instant::now();
            analytics::dashboard(&app, &caller, Scope::default(), period).await.map_err(super::cli_error)?;
            dashboard_times.push(t.elapsed());
        }
        let t = Instant::now();
        let mut db = app.store.conn().await?;
        let (from_t, to_t) = (
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(period.from) * 1_000_000)?,
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(period.to) * 1_000_000)?,
        );
        let raw = chorus_store::shares::totals(&mut db, org.id, from_t, to_t).await?;
        let raw_time = t.elapsed();
        anyhow::ensure!(
            raw.human_clicks == summary.clicks.human && raw.bot_fetches == summary.clicks.bot,
            "the roll-ups disagree with the raw clicks: {:?} vs {raw:?}",
            summary.clicks
        );
        println!(
            "{label}: {} people's clicks, {} bot fetches, {} visitors, {} shares\n  summary   {}\n  dashboard {}\n  the same totals from raw clicks: {:.1} ms",
            summary.clicks.human,
            summary.clicks.bot,
            summary.clicks.visitors,
            summary.shares,
            figures(summary_times),
            figures(dashboard_times),
            raw_time.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
