//! `chorus bench drain` and `chorus bench queue`: the publishing pipeline under a burst.
//!
//! - **drain**: seeds `--posts` posts over `--channels` Mastodon channels (all pointing at one
//!   local stand-in that stores each status and deduplicates by `Idempotency-Key`, as Mastodon
//!   does), makes every publish job due at once, then starts `--workers` real `chorus worker`
//!   processes and times them until every post is published. Prints time to drain, posts/s, and
//!   the checks: duplicates on the network and posts lost must both be zero.
//! - **queue**: the queue's own cost per job (claim + complete) with a handler that does nothing,
//!   in this process, so network and publishing work are out of the figure.
//!
//! Benchmarks, not tests: results go in docs/benchmarks.md.

use anyhow::Context as _;
use chorus_app::{
    App,
    me::Caller,
    publishing::{ChannelInput, PostInput},
};
use chorus_domain::{
    SubmissionId,
    cadence::Cadence,
    submission::{Kind, Status},
};
use chorus_jobs::Job as _;
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

#[derive(clap::Args, Debug, Clone)]
pub struct DrainArgs {
    /// Posts due at once.
    #[arg(long, default_value_t = 10_000)]
    posts: usize,
    /// Channels they are spread over.
    #[arg(long, default_value_t = 100)]
    channels: usize,
    /// Worker processes (default: 2 on PostgreSQL, 1 on SQLite).
    #[arg(long)]
    workers: Option<usize>,
    /// Jobs each worker runs at once.
    #[arg(long, default_value_t = 8)]
    job_concurrency: i64,
    /// Time the stand-in network takes to answer each post, in milliseconds.
    #[arg(long, default_value_t = 0)]
    network_latency_ms: u64,
}

#[derive(clap::Args, Debug, Clone)]
pub struct QueueArgs {
    /// Jobs to enqueue and run.
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Jobs claimed per claim (the worker's concurrency).
    #[arg(long, default_value_t = 8)]
    batch: i64,
}

pub(crate) struct Bench {
    dir: std::path::PathBuf,
    db: String,
    pub(crate) backend: &'static str,
}

impl Bench {
    pub(crate) fn new(database_url: Option<String>) -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("chorus-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let db = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("chorus.db").display()));
        let backend = if db.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
        Ok(Self { dir, db, backend })
    }

    pub(crate) fn storage(&self) -> super::Storage {
        super::Storage {
            data_dir: self.dir.clone(),
            database_url: Some(self.db.clone()),
            log_format: "text".into(),
            media: super::media_store::MediaArgs::default(),
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The organization, its approved submissions and its channels, made through the use cases.
async fn org_with_content(app: &App, submissions: usize) -> anyhow::Result<(Caller, Vec<SubmissionId>)> {
    let org = chorus_app::orgs::create(app, "Drain Co").await.map_err(super::cli_error)?;
    org_with_content_in(app, org.id, submissions).await
}

/// Approved submissions with links, by one author, in an existing organization.
pub(crate) async fn org_with_content_in(
    app: &App,
    org: chorus_domain::OrgId,
    submissions: usize,
) -> anyhow::Result<(Caller, Vec<SubmissionId>)> {
    let caller = Caller::operator(org);
    let store = &app.store;
    let mut tx = store.tx().await?;
    let author = chorus_store::users::NewUser {
        id: chorus_domain::UserId::new(),
        org_id: org,
        email: "crew@drain.test",
        name: "Field Crew",
        title: None,
        seniority: None,
        role: chorus_domain::Role::Employee,
        department_id: None,
        status: chorus_domain::UserStatus::Active,
        password_hash: None,
        now: time::OffsetDateTime::now_utc(),
    };
    chorus_store::users::insert(&mut tx, &author).await?;
    let mut ids = Vec::new();
    for i in 0..submissions {
        let id = SubmissionId::new();
        let content = chorus_store::submissions::Content {
            title: format!("Field report {i}"),
            body: format!("What the crew saw on day {i}, in their own words"),
            link: Some(format!("https://example.com/reports/{i}")),
            tags: vec![],
            channels: vec![],
            campaign_id: None,
        };
        let new = chorus_store::submissions::NewSubmission {
            id,
            author_id: author.id,
            department_id: None,
            kind: Kind::Article,
            content,
            promoted_from: None,
        };
        let now = time::OffsetDateTime::now_utc();
        chorus_store::submissions::insert(&mut tx, org, &new, now).await?;
        chorus_store::submissions::set_status(&mut tx, org, id, 1, Status::Approved, now).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok((caller, ids))
}

fn spawn_worker(exe: &std::path::Path, bench: &Bench, concurrency: i64) -> anyhow::Result<Child> {
    Ok(Command::new(exe)
        .args(["worker", "--database-url", &bench.db, "--data-dir"])
        .arg(&bench.dir)
        .args(["--job-concurrency", &concurrency.to_string()])
        .env("CHORUS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?)
}

pub async fn drain(database_url: Option<String>, args: DrainArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.channels > 0 && args.posts > 0, "--posts and --channels must be positive");
    let bench = Bench::new(database_url)?;
    let workers = args.workers.unwrap_or(if bench.backend == "PostgreSQL" { 2 } else { 1 });
    let storage = bench.storage();
    // The keyring the workers will read, made before the app that seals with it.
    super::keyring(&storage, super::Keys::CreateIfMissing)?;
    let store = super::open_store(&storage).await?;
    let app = super::cli_app(&storage).await?;
    let network = chorus_standins::mastodon::Mastodon::start("bench-token").await;
    network.set_delay(Duration::from_millis(args.network_latency_ms));

    let started = Instant::now();
    let per_channel = args.posts.div_ceil(args.channels);
    let (caller, submissions) = org_with_content(&app, per_channel).await?;
    let no_limits = Cadence { min_spacing_minutes: 0, max_per_day: 0, ..Cadence::default() };
    let mut channels = Vec::new();
    for i in 0..args.channels {
        let credentials = serde_json::json!({"access_token": "bench-token"});
        let input = ChannelInput {
            network: "mastodon".into(),
            name: format!("Region {i}"),
            base_url: Some(network.base.clone()),
            credentials: credentials.as_object().cloned().unwrap_or_default(),
            cadence: Some(no_limits.clone()),
        };
        channels.push(
            chorus_app::publishing::create_channel(&app, &caller, input).await.map_err(super::cli_error)?,
        );
    }
    // Scheduled an hour ahead (the guard refuses the past), then all made due at once below.
    let at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let at = at.replace_nanosecond(0)?;
    let mut made = 0;
    'seed: for submission in &submissions {
        for channel in &channels {
            if made == args.posts {
                break 'seed;
            }
            let input = PostInput {
                submission_id: *submission,
                channel_id: channel.id,
                text: None,
                media_ids: None,
                scheduled_at: Some(at),
            };
            chorus_app::publishing::create_post(&app, &caller, input).await.map_err(super::cli_error)?;
            made += 1;
        }
    }
    if store.backend() == chorus_store::Backend::Postgres {
        store.analyze().await?;
    }
    let due = chorus_store::jobs::make_due(
        &mut store.conn().await?,
        chorus_app::publishing::PublishPost::KIND,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    println!(
        "seeded {made} posts over {} channels ({due} jobs due now) in {:.1} s",
        channels.len(),
        started.elapsed().as_secs_f64()
    );

    let exe = std::env::current_exe().context("find the chorus binary")?;
    let org = caller.org_id();
    let started = Instant::now();
    let mut children = (0..workers)
        .map(|_| spawn_worker(&exe, &bench, args.job_concurrency))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut last_progress = (0, Instant::now());
    let counts = loop {
        let counts = chorus_store::posts::count_by_status(&mut store.conn().await?, org).await?;
        let published = counts.iter().find(|(s, _)| s == "published").map_or(0, |(_, n)| *n);
        if published as usize >= made {
            break counts;
        }
        if published > last_progress.0 {
            last_progress = (published, Instant::now());
        } else if last_progress.1.elapsed() > Duration::from_secs(60) {
            println!("no progress for 60 s; stopping");
            break counts;
        }
        // Counting is itself a query over every post: often enough for 0.1 s precision, no more.
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = started.elapsed();
    for child in &mut children {
        crate::bench::ask_to_stop(child.id());
        let _ = child.wait();
    }
    let published = counts.iter().find(|(s, _)| s == "published").map_or(0, |(_, n)| *n) as usize;
    let requests = network.requests().len();
    let held = network.statuses().len();
    let mut keys = network.keys();
    keys.sort();
    keys.dedup();
    println!(
        "Publish drain on {}: {made} posts, {} channels, {workers} worker process(es) × {} jobs, network latency {} ms",
        bench.backend,
        channels.len(),
        args.job_concurrency,
        args.network_latency_ms
    );
    println!("time to drain (workers spawned → all published): {:.2} s", elapsed.as_secs_f64());
    println!("posts/s: {:.0}", published as f64 / elapsed.as_secs_f64());
    println!("requests to the network: {requests} (one per post when nothing failed)");
    println!("posts on the network: {held}; duplicates (the same post twice): {}", held - keys.len());
    println!("lost (not published): {}", made.saturating_sub(published));
    println!("statuses: {counts:?}");
    anyhow::ensure!(published == made && held == made, "the drain did not complete exactly once");
    Ok(())
}

/// A job that does nothing: what is left is the queue's own cost.
#[derive(serde::Serialize, serde::Deserialize)]
struct Nothing {
    n: usize,
}

impl chorus_jobs::Job for Nothing {
    const KIND: &'static str = "bench_nothing";
}

pub async fn queue(database_url: Option<String>, args: QueueArgs) -> anyhow::Result<()> {
    let bench = Bench::new(database_url)?;
    let store = super::open_store(&bench.storage()).await?;
    let clock: std::sync::Arc<dyn chorus_domain::Clock> =
        std::sync::Arc::new(chorus_domain::clock::SystemClock);
    let now = clock.now();
    let mut tx = store.tx().await?;
    for n in 0..args.jobs {
        chorus_jobs::enqueue(&mut tx, &Nothing { n }, None, now).await?;
    }
    tx.commit().await?;
    if store.backend() == chorus_store::Backend::Postgres {
        store.analyze().await?;
    }
    let mut registry = chorus_jobs::Registry::default();
    registry.register(|_: Nothing| async { Ok(()) });
    let config = chorus_jobs::Config { concurrency: args.batch, ..chorus_jobs::Config::default() };
    let queue = chorus_jobs::Queue::new(store.clone(), clock, registry, config);
    let started = Instant::now();
    let ran = queue.run_pending().await?;
    let elapsed = started.elapsed();
    println!("Queue overhead on {}: {ran} no-op jobs, claimed {} at a time", bench.backend, args.batch);
    println!(
        "total: {:.2} s; per job (claim + complete): {:.0} µs; {:.0} jobs/s",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / ran.max(1) as f64,
        ran as f64 / elapsed.as_secs_f64()
    );
    anyhow::ensure!(ran == args.jobs, "ran {ran} of {} jobs", args.jobs);
    Ok(())
}
