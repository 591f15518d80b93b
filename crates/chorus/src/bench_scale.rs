//! `chorus bench instances`: the shape of scale-out on one PostgreSQL. Several real
//! `chorus serve --no-worker` processes run on one database; the same load is spread round-robin
//! over the first one, two, then three of them, for the tracked-link redirect and for a
//! signed-in page. On one machine the instances share its cores, so the figures show the shape
//! (nothing is lost or serialized by running more instances), not how far more machines scale.
//!
//! Afterwards every instance is stopped gracefully and every click must be in the database.
//! A benchmark, not a test: results go in docs/benchmarks.md.

use crate::bench::{chorus_cli, fresh_database, sign_in, start_server};
use crate::bench_redirect::{
    REFERER, Tally, USER_AGENT, count_clicks, median, raw_client, tracked_links, wait_for_exit,
};
use anyhow::Context as _;
use std::{
    net::SocketAddr,
    process::{Child, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

#[derive(clap::Args, Debug, Clone)]
pub struct InstancesArgs {
    /// Concurrent keep-alive connections, spread round-robin over the instances.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// Seconds of measured load per scenario and instance count, per round.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Most instances (the runs use 1, 2, … this many).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=16))]
    instances: u16,
    /// Rounds per figure; each figure is the median of its rounds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=20))]
    rounds: u16,
}

/// The temp folder and the child servers, cleaned up however the benchmark ends.
struct Cleanup {
    dir: std::path::PathBuf,
    children: Vec<Child>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One scenario: the requests each connection goes round, and the status that counts as served.
struct Scenario {
    name: &'static str,
    requests: Arc<Vec<Vec<u8>>>,
    expect: u16,
}

pub async fn run(database_url: Option<String>, args: InstancesArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        database_url.as_deref().is_some_and(|u| u.starts_with("postgres")),
        "several instances share one PostgreSQL database: pass --database-url postgres://…"
    );
    let (dir, db, _) = fresh_database(database_url)?;
    let mut cleanup = Cleanup { dir: dir.clone(), children: Vec::new() };
    let exe = std::env::current_exe().context("find the chorus binary")?;
    let cli = |a: &[&str]| chorus_cli(&exe, &db, a);
    cli(&["migrate"])?;
    let slug = cli(&["org", "create", "--name", "Bench Co"])?;
    let owner_email = "owner@bench.test";
    cli(&[
        "user",
        "add",
        "--org",
        &slug,
        "--email",
        owner_email,
        "--name",
        "Olive Owner",
        "--role",
        "owner",
    ])?;
    let owner = cli(&["token", "create", "--org", &slug, "--email", owner_email])?;
    let mut sharers = Vec::new();
    for p in 0..10 {
        let email = format!("sharer{p}@bench.test");
        let name = format!("Sharer {p}");
        cli(&["user", "add", "--org", &slug, "--email", &email, "--name", &name, "--role", "employee"])?;
        sharers.push(cli(&["token", "create", "--org", &slug, "--email", &email])?);
    }
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for _ in 0..args.instances {
        let (child, base, _) = start_server(&exe, &db, &[], Stdio::inherit()).await?;
        cleanup.children.push(child);
        addrs.push(base.trim_start_matches("http://").parse()?);
    }
    let first = format!("http://{}", addrs[0]);
    let api = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let codes = tracked_links(&api, &first, &owner, &sharers, 10, 100).await?;
    let session = sign_in(&exe, &db, &slug, &first).await?;

    let redirects = codes
        .iter()
        .map(|c| {
            format!(
                "GET /s/{c} HTTP/1.1\r\nHost: bench\r\nUser-Agent: {USER_AGENT}\r\nReferer: {REFERER}\r\n\r\n"
            )
            .into_bytes()
        })
        .collect();
    let page =
        format!("GET / HTTP/1.1\r\nHost: bench\r\nCookie: {session}\r\nUser-Agent: {USER_AGENT}\r\n\r\n");
    let scenarios = [
        Scenario { name: "redirect /s/{code}", requests: Arc::new(redirects), expect: 302 },
        Scenario { name: "signed-in page GET /", requests: Arc::new(vec![page.into_bytes()]), expect: 200 },
    ];

    let concurrency = usize::from(args.concurrency);
    println!(
        "Instances on one PostgreSQL: {concurrency} keep-alive connections spread round-robin, \
         {} s per run, median of {} rounds",
        args.seconds, args.rounds
    );
    println!(
        "{:<24} {:>9} {:>10} {:>9} {:>9} {:>8}",
        "scenario", "instances", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let mut redirected = 0;
    for scenario in &scenarios {
        for n in 1..=addrs.len() {
            let mut runs = Vec::new();
            for _ in 0..args.rounds {
                let tally = load(&addrs[..n], scenario, concurrency, Duration::from_secs(args.seconds)).await;
                if scenario.expect == 302 {
                    redirected += tally.found;
                }
                runs.push(tally);
            }
            let mut rps: Vec<f64> = runs.iter().map(Tally::rps).collect();
            let mut p50: Vec<f64> = runs.iter().map(|t| t.percentiles().0).collect();
            let mut p99: Vec<f64> = runs.iter().map(|t| t.percentiles().1).collect();
            let errors: u64 = runs.iter().map(|t| t.other + t.errors + t.timeouts).sum();
            println!(
                "{:<24} {n:>9} {:>10.0} {:>9.2} {:>9.2} {errors:>8}",
                scenario.name,
                median(&mut rps),
                median(&mut p50),
                median(&mut p99)
            );
        }
    }

    // Every instance stops gracefully, writing the clicks it accepted.
    for child in &cleanup.children {
        crate::bench::ask_to_stop(child.id());
    }
    for child in &mut cleanup.children {
        let status = wait_for_exit(child, Duration::from_secs(60)).await?;
        anyhow::ensure!(status.success(), "an instance did not stop cleanly: {status}");
    }
    cleanup.children.clear();
    let rows = u64::try_from(count_clicks(&db, &slug).await?).unwrap_or_default();
    println!("redirects answered: {redirected}; clicks stored after the graceful stops: {rows}");
    anyhow::ensure!(rows == redirected, "clicks lost or invented across instances");
    println!("every click accounted for");
    Ok(())
}

/// `concurrency` keep-alive connections, connection `i` to instance `i % addrs.len()`, each going
/// round the scenario's requests until the time is up.
async fn load(addrs: &[SocketAddr], scenario: &Scenario, concurrency: usize, run: Duration) -> Tally {
    let started = Instant::now();
    let deadline = started + run;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let requests = Arc::clone(&scenario.requests);
        tasks.spawn(raw_client(addrs[i % addrs.len()], requests, i, deadline, scenario.expect));
    }
    let mut all = Tally::default();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(t) => all.add(t),
            Err(_) => all.errors += 1,
        }
    }
    all.elapsed = started.elapsed();
    all.latencies.sort_unstable();
    all
}
