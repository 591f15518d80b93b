//! `chorus bench redirect`: the tracked-link redirect (`GET /s/{code}`) against its ceiling.
//!
//! In one run, with the same load generator, connections and duration, in alternating rounds
//! (the ratio is the median of the rounds' ratios):
//! - **ceiling**: a bare axum handler that answers `GET /s/{code}` with the same 302, headers
//!   and `Location` as Chorus, from a constant, in a process of its own (`--ceiling process`,
//!   the default) or on threads of this one (`--ceiling thread`);
//! - **chorus serve**: a real child process on a fresh database, with tracked links made through
//!   the API (approved submissions with a link, shared by several people), each click going
//!   through its link cache and batching click writer.
//!
//! Then the child is stopped gracefully (SIGTERM) and every click must be in the database: the
//! rows in `clicks` must equal the 302s the load generator received from it, or the command fails.
//! A benchmark, not a test: results go in docs/benchmarks.md.

use crate::bench::{chorus_cli, fresh_database, percentile, start_server};
use anyhow::Context as _;
use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse as _, Response},
};
use serde_json::{Value, json};
use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::TcpStream,
};

#[derive(clap::Args, Debug, Clone)]
pub struct RedirectArgs {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    concurrency: u16,
    /// Seconds of measured load on each server, per round.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Rounds, each measuring the ceiling and then Chorus. On a shared machine the speed of the
    /// box drifts by tens of percent within a minute; the ratio of each round compares the two
    /// servers under the same conditions, and the median of those ratios is the result.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=100))]
    rounds: u16,
    /// Seconds of load before each measurement (not in the figures; its clicks are checked too).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=600))]
    warmup_seconds: u64,
    /// Tracked links the load is spread over (ten items, each shared once per person).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    links: u16,
    /// The server's `--click-flush-ms`.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    click_flush_ms: u64,
    /// Load generator: `raw` (one HTTP/1.1 keep-alive connection per client on a bare socket, close
    /// to what wrk does), `wrk` (Debian's `wrk`, two threads, if installed) or `reqwest` (reqwest's
    /// pooled client, much heavier per request).
    #[arg(long, default_value = "raw", value_parser = ["raw", "wrk", "reqwest"])]
    client: String,
    /// Where the bare axum ceiling runs: `process` (its own process, like the real server and
    /// any real deployment) or `thread` (threads of this benchmark's process, beside the load
    /// generator: switching between them skips the address-space change a switch to another
    /// process pays, which flatters the ceiling).
    #[arg(long, default_value = "process", value_parser = ["process", "thread"])]
    ceiling: String,
}

/// `chorus bench ceiling-server` (hidden): the bare axum 302 as a process of its own, for
/// `chorus bench redirect --ceiling process`. Serves until SIGTERM.
#[derive(clap::Args, Debug, Clone)]
pub struct CeilingArgs {
    #[arg(long)]
    bind: SocketAddr,
    /// The `Location` every answer carries.
    #[arg(long)]
    location: String,
}

pub async fn serve_ceiling(args: CeilingArgs) -> anyhow::Result<()> {
    let location = HeaderValue::from_str(&args.location).context("--location")?;
    let listener = tokio::net::TcpListener::bind(args.bind).await?;
    axum::serve(listener, ceiling_router(location)).with_graceful_shutdown(crate::shutdown_signal()).await?;
    Ok(())
}

/// Different items each person shares (once each): inside the share guard's default limits
/// (15 items, 5 repeats a day).
const ITEMS: usize = 10;
/// How the clicks come in: a person on a desktop browser, from LinkedIn.
pub(crate) const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
pub(crate) const REFERER: &str = "https://www.linkedin.com/";
/// A request with no answer after this long counts as timed out (its click may still be written).
const TIMEOUT: Duration = Duration::from_secs(10);

/// The temp folder and the child server, cleaned up however the benchmark ends.
struct Cleanup {
    dir: std::path::PathBuf,
    child: Option<Child>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub async fn run(database_url: Option<String>, args: RedirectArgs) -> anyhow::Result<()> {
    let (dir, db, backend) = fresh_database(database_url)?;
    let mut cleanup = Cleanup { dir: dir.clone(), child: None };
    let exe = std::env::current_exe().context("find the chorus binary")?;
    let cli = |a: &[&str]| chorus_cli(&exe, &db, a);
    let links = usize::from(args.links);
    let items = links.min(ITEMS);
    let people = links.div_ceil(ITEMS);

    // The organization, an owner who contributes and approves, and the people who share.
    let setup = Instant::now();
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
    for p in 0..people {
        let email = format!("sharer{p}@bench.test");
        let name = format!("Sharer {p}");
        cli(&["user", "add", "--org", &slug, "--email", &email, "--name", &name, "--role", "employee"])?;
        sharers.push(cli(&["token", "create", "--org", &slug, "--email", &email])?);
    }

    let log = dir.join("server.log");
    let flush = args.click_flush_ms.to_string();
    let (child, base, _) =
        start_server(&exe, &db, &["--click-flush-ms", &flush], Stdio::from(std::fs::File::create(&log)?))
            .await?;
    let child_pid = child.id();
    cleanup.child = Some(child);
    let api = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let codes = tracked_links(&api, &base, &owner, &sharers, items, links).await?;

    // The ceiling answers with what Chorus answers for the first link. HEAD is not counted.
    let first = api.head(format!("{base}/s/{}", codes[0])).send().await?;
    anyhow::ensure!(first.status() == StatusCode::FOUND, "HEAD /s/{}: {}", codes[0], first.status());
    let location = first.headers().get(header::LOCATION).context("Location of a tracked link")?.clone();
    println!(
        "set up {links} tracked links ({items} approved items shared by {people} people) in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let concurrency = usize::from(args.concurrency);
    let (warmup, measure) = (Duration::from_secs(args.warmup_seconds), Duration::from_secs(args.seconds));
    println!(
        "Tracked-link redirect on {backend}: {concurrency} keep-alive connections ({} client), \
         {} rounds of {} s per server after {} s of warm-up, load over {links} links, ceiling in \
         its own {}",
        args.client, args.rounds, args.seconds, args.warmup_seconds, args.ceiling
    );
    println!(
        "{:<30} {:>10} {:>9} {:>9} {:>8} {:>12}",
        "server", "req/s", "p50 ms", "p99 ms", "errors", "CPU µs/req"
    );

    let ceiling_server = match args.ceiling.as_str() {
        "thread" => Ceiling::start_thread(location)?,
        _ => Ceiling::start_process(&exe, &location).await?,
    };
    let ceiling = Load::new(&args.client, ceiling_server.addr(), &codes, concurrency, &dir)?;
    let ceiling_cpu = || ceiling_server.cpu_ticks();
    let real_addr: SocketAddr = base.trim_start_matches("http://").parse()?;
    let real = Load::new(&args.client, real_addr, &codes, concurrency, &dir)?;
    let (mut ratios, mut p99s) = (Vec::new(), Vec::new());
    let (mut sent, mut unseen, mut timeouts) = (0, 0, 0);
    for round in 1..=args.rounds {
        ceiling.run(warmup).await;
        let before = ceiling_cpu();
        let top = ceiling.run(measure).await;
        top.print(&format!("{round}: ceiling, bare axum 302"), ceiling_cpu().saturating_sub(before));

        let warm = real.run(warmup).await;
        let before = cpu_ticks(child_pid, None);
        let got = real.run(measure).await;
        got.print(
            &format!("{round}: chorus serve /s/{{code}}"),
            cpu_ticks(child_pid, None).saturating_sub(before),
        );
        ratios.push(if top.rps() > 0.0 { got.rps() / top.rps() } else { 0.0 });
        p99s.push(got.percentiles().1);
        sent += warm.found + got.found;
        unseen += warm.uncounted_in_flight + got.uncounted_in_flight;
        timeouts += warm.timeouts + got.timeouts;
    }
    drop(ceiling_server);

    let (ratio, p99) = (median(&mut ratios), median(&mut p99s));
    let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    println!(
        "ratio real/ceiling, median of {} rounds: {ratio:.2} (rounds: {}; target ≥ 0.70: {}); \
         real p99, median: {p99:.2} ms (target < 5 ms: {})",
        ratios.len(),
        each.join(", "),
        met(ratio >= 0.70),
        met(p99 < 5.0)
    );

    // How far the writer had got when the load stopped: what a graceful stop still has to write.
    let written = count_clicks(&db, &slug).await?;
    println!("clicks written when the load stopped: {written} of the {sent} answered");

    // A graceful stop: the server writes every click it accepted before it exits.
    let stopping = Instant::now();
    crate::bench::ask_to_stop(child_pid);
    let status = wait_for_exit(cleanup.child.as_mut().context("child")?, Duration::from_secs(60)).await?;
    cleanup.child = None;
    println!("graceful stop (SIGTERM → exit): {} ms, {status}", stopping.elapsed().as_millis());

    let rows = count_clicks(&db, &slug).await?;
    println!("302 responses from chorus serve (warm-up + measured): {sent}");
    println!("rows in clicks after the stop:                        {rows}");
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    let dropped = server_log.matches("Click queue full").count();
    let lost = server_log.matches("Clicks lost").count();
    if dropped + lost > 0 {
        println!("server log: {dropped} clicks refused by a full queue, {lost} batches the database refused");
    }
    if timeouts > 0 {
        println!("{timeouts} requests timed out: their clicks may be written without a 302 seen here");
    }
    // wrk stops with requests in flight and does not count them; the server may have answered
    // (and recorded) them: at most one per connection per run.
    if unseen > 0 {
        println!("requests wrk left in flight (answered but not counted): at most {unseen}");
    }
    anyhow::ensure!(status.success(), "chorus serve did not stop cleanly: {status}\n{}", tail(&server_log));
    let rows = u64::try_from(rows).unwrap_or_default();
    anyhow::ensure!(
        (sent..=sent + unseen).contains(&rows),
        "clicks lost or invented: {sent} redirects answered, {rows} clicks recorded\n{}",
        tail(&server_log)
    );
    println!("every click accounted for");
    Ok(())
}

/// The middle value (the mean of the two middle ones for an even count).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The end of the server's log, without the refused clicks (counted above).
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.contains("Click queue full")).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Makes `links` tracked links through the API: `items` articles with a link, submitted and
/// approved by the owner, each shared on LinkedIn once by each person in turn.
pub(crate) async fn tracked_links(
    api: &reqwest::Client,
    base: &str,
    owner: &str,
    sharers: &[String],
    items: usize,
    links: usize,
) -> anyhow::Result<Vec<String>> {
    let post = |token: &str, path: String, body: Value| {
        let request = api.post(format!("{base}/api/v1{path}")).bearer_auth(token).json(&body);
        async move {
            let res = request.send().await?;
            let status = res.status();
            let v: Value = res.json().await.unwrap_or(Value::Null);
            anyhow::ensure!(status.is_success(), "POST {path}: {status} {v}");
            Ok::<_, anyhow::Error>(v)
        }
    };
    let mut ids = Vec::new();
    for i in 0..items {
        let created = post(
            owner,
            "/submissions".into(),
            json!({
                "kind": "article",
                "title": format!("Field report {i}"),
                "body": format!("What the crew saw on day {i}, in their own words."),
                "link": format!("https://example.com/news/field-report-{i}"),
            }),
        )
        .await?;
        let id = created["id"].as_str().context("submission id")?.to_owned();
        let mut status = post(owner, format!("/submissions/{id}/submit"), json!({})).await?["status"].clone();
        // The social team decides; a department lead's stage first, where there is one.
        for _ in 0..2 {
            if status == "approved" {
                break;
            }
            let decision = json!({"decision": "approve", "comment": ""});
            status = post(owner, format!("/submissions/{id}/decision"), decision).await?["status"].clone();
        }
        anyhow::ensure!(status == "approved", "submission {id} is {status} after approval");
        ids.push(id);
    }
    let mut codes = Vec::with_capacity(links);
    for k in 0..links {
        let body = json!({"submission_id": ids[k % items], "network": "linkedin"});
        let share = post(&sharers[k / ITEMS], "/shares".into(), body).await?;
        codes.push(share["code"].as_str().context("share code")?.to_owned());
    }
    Ok(codes)
}

pub(crate) async fn wait_for_exit(
    child: &mut Child,
    limit: Duration,
) -> anyhow::Result<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        anyhow::ensure!(started.elapsed() < limit, "chorus serve did not stop within {limit:?} of SIGTERM");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Clicks recorded for the benchmark's organization (every row of `clicks` in a fresh database).
pub(crate) async fn count_clicks(db: &str, slug: &str) -> anyhow::Result<i64> {
    let store = chorus_store::Store::connect(db).await?;
    let mut c = store.conn().await?;
    let org = chorus_store::admin::org_by_slug(&mut c, slug).await?.context("bench org")?;
    let to = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    let totals = chorus_store::shares::totals(&mut c, org.id, time::OffsetDateTime::UNIX_EPOCH, to).await?;
    drop(c);
    store.close().await;
    Ok(totals.human_clicks + totals.bot_fetches)
}

/// CPU time (user + system, in 1/100 s) that process `pid` has used: all of it, or only its
/// threads named `threads`. Linux only (0 elsewhere).
fn cpu_ticks(pid: u32, threads: Option<&str>) -> u64 {
    // The fields after the command name: state is the first; utime and stime the 12th and 13th.
    let ticks = |stat: &str| -> Option<(String, u64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_owned();
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some((name, f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?))
    };
    let Some(threads) = threads else {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        return ticks(&stat).map_or(0, |(_, t)| t);
    };
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("stat")).ok())
        .filter_map(|stat| ticks(&stat))
        .filter(|(name, _)| name == threads)
        .map(|(_, t)| t)
        .sum()
}

// ---- The ceiling ------------------------------------------------------------------------------

/// The ceiling server's threads, told apart from the load generator's by name.
const CEILING_THREADS: &str = "ceiling";

/// The bare axum server: threads of this process (on their own runtime, as many as the cores,
/// like `chorus serve`), or a `chorus bench ceiling-server` child process.
enum Ceiling {
    Thread {
        addr: SocketAddr,
        /// Both taken when the ceiling is dropped.
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    },
    Process {
        addr: SocketAddr,
        child: Child,
    },
}

impl Ceiling {
    fn start_thread(location: HeaderValue) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime =
            tokio::runtime::Builder::new_multi_thread().thread_name(CEILING_THREADS).enable_all().build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = ceiling_router(location);
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
            })
        });
        Ok(Self::Thread { addr, stop: Some(stop), thread: Some(thread) })
    }

    async fn start_process(exe: &std::path::Path, location: &HeaderValue) -> anyhow::Result<Self> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let location = location.to_str().context("the Location of a tracked link")?;
        let mut child = Command::new(exe)
            .args(["bench", "ceiling-server", "--bind", &addr.to_string(), "--location", location])
            .stdout(Stdio::null())
            .spawn()
            .context("start chorus bench ceiling-server")?;
        let started = Instant::now();
        while TcpStream::connect(addr).await.is_err() {
            if started.elapsed() > Duration::from_secs(10) || child.try_wait()?.is_some() {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("the ceiling server did not start");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Self::Process { addr, child })
    }

    fn addr(&self) -> SocketAddr {
        match self {
            Self::Thread { addr, .. } | Self::Process { addr, .. } => *addr,
        }
    }

    /// CPU the ceiling server has used so far (see [`cpu_ticks`]).
    fn cpu_ticks(&self) -> u64 {
        match self {
            Self::Thread { .. } => cpu_ticks(std::process::id(), Some(CEILING_THREADS)),
            Self::Process { child, .. } => cpu_ticks(child.id(), None),
        }
    }
}

/// Stopped however the benchmark ends (the process one gracefully, by SIGTERM).
impl Drop for Ceiling {
    fn drop(&mut self) {
        match self {
            Self::Thread { stop, thread, .. } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
            Self::Process { child, .. } => {
                crate::bench::ask_to_stop(child.id());
                let _ = child.wait();
            }
        }
    }
}

fn ceiling_router(location: HeaderValue) -> Router {
    Router::new().route("/s/{code}", axum::routing::get(redirect)).with_state(location)
}

/// The same 302 and headers as Chorus's `/s/{code}`, with the `Location` from a constant.
async fn redirect(State(location): State<HeaderValue>, Path(_code): Path<String>) -> Response {
    let mut res = StatusCode::FOUND.into_response();
    res.headers_mut().insert(header::LOCATION, location);
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer-when-downgrade"));
    res
}

// ---- The load generator -----------------------------------------------------------------------

/// What one run of load got back.
#[derive(Default)]
pub(crate) struct Tally {
    /// Microseconds per answered request, sorted once the run is over.
    pub(crate) latencies: Vec<u32>,
    /// Responses with the expected status (302 for a tracked link).
    pub(crate) found: u64,
    /// Any other status.
    pub(crate) other: u64,
    /// Broken connections and malformed responses.
    pub(crate) errors: u64,
    pub(crate) timeouts: u64,
    pub(crate) elapsed: Duration,
    /// p50 and p99 in ms, when the load generator reports them itself (wrk) instead of latencies.
    reported: Option<(f64, f64)>,
    /// Requests sent but not counted when the run ended (wrk's): their clicks may be recorded.
    uncounted_in_flight: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.found += other.found;
        self.other += other.other;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
    }

    fn answered(&mut self, status: u16, started: Instant, expect: u16) {
        self.latencies.push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        if status == expect {
            self.found += 1;
        } else {
            self.other += 1;
        }
    }

    pub(crate) fn rps(&self) -> f64 {
        self.found as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// p50 and p99 latency, in ms.
    pub(crate) fn percentiles(&self) -> (f64, f64) {
        self.reported
            .unwrap_or_else(|| (percentile(&self.latencies, 0.50), percentile(&self.latencies, 0.99)))
    }

    /// One line of the table; `cpu_ticks`: the server's CPU time over the run (1/100 s).
    fn print(&self, name: &str, cpu_ticks: u64) {
        let (p50, p99) = self.percentiles();
        let errors = self.other + self.errors + self.timeouts;
        let cpu = cpu_ticks as f64 * 10_000.0 / (self.found as f64).max(1.0);
        println!("{name:<30} {:>10.0} {p50:>9.2} {p99:>9.2} {errors:>8} {cpu:>12.1}", self.rps());
    }
}

/// `concurrency` clients, each on its own keep-alive connection, each going round the links.
enum Load {
    Raw { addr: SocketAddr, requests: Arc<Vec<Vec<u8>>>, concurrency: usize },
    Wrk { addr: SocketAddr, script: std::path::PathBuf, concurrency: usize },
    Reqwest { client: reqwest::Client, urls: Arc<Vec<String>>, concurrency: usize },
}

impl Load {
    fn new(
        client: &str,
        addr: SocketAddr,
        codes: &[String],
        concurrency: usize,
        dir: &std::path::Path,
    ) -> anyhow::Result<Self> {
        Ok(if client == "wrk" {
            let script = dir.join("links.lua");
            std::fs::write(&script, wrk_script(codes))?;
            Load::Wrk { addr, script, concurrency }
        } else if client == "reqwest" {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_max_idle_per_host(concurrency)
                .user_agent(USER_AGENT)
                .timeout(TIMEOUT)
                .build()?;
            let urls = codes.iter().map(|c| format!("http://{addr}/s/{c}")).collect();
            Load::Reqwest { client, urls: Arc::new(urls), concurrency }
        } else {
            let requests = codes
                .iter()
                .map(|c| {
                    format!(
                        "GET /s/{c} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\n\
                         Referer: {REFERER}\r\nAccept: */*\r\n\r\n"
                    )
                    .into_bytes()
                })
                .collect();
            Load::Raw { addr, requests: Arc::new(requests), concurrency }
        })
    }

    async fn run(&self, duration: Duration) -> Tally {
        if let Load::Wrk { addr, script, concurrency } = self {
            return run_wrk(*addr, script, *concurrency, duration).await;
        }
        let started = Instant::now();
        let deadline = started + duration;
        let mut tasks = tokio::task::JoinSet::new();
        match self {
            Load::Raw { addr, requests, concurrency } => {
                for first in 0..*concurrency {
                    tasks.spawn(raw_client(*addr, Arc::clone(requests), first, deadline, 302));
                }
            }
            Load::Reqwest { client, urls, concurrency } => {
                for first in 0..*concurrency {
                    tasks.spawn(reqwest_client(client.clone(), Arc::clone(urls), first, deadline));
                }
            }
            Load::Wrk { .. } => {}
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
}

/// A wrk script that goes round the links with the same headers as the raw client, and reports
/// its totals on one line.
fn wrk_script(codes: &[String]) -> String {
    let codes: Vec<String> = codes.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        r#"local codes = {{{codes}}}
local requests, i = {{}}, 0
init = function(args)
  for k, code in ipairs(codes) do
    requests[k] = wrk.format("GET", "/s/" .. code, {{["User-Agent"] = "{USER_AGENT}", ["Referer"] = "{REFERER}"}})
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("CHORUS-WRK %d %d %d %d %d %d %d %.0f %.0f\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"#,
        codes = codes.join(", ")
    )
}

/// Runs Debian's `wrk` (two threads, like the cores) for `duration` and reads its totals.
async fn run_wrk(
    addr: SocketAddr,
    script: &std::path::Path,
    concurrency: usize,
    duration: Duration,
) -> Tally {
    let mut tally = Tally { uncounted_in_flight: concurrency as u64, ..Tally::default() };
    let output = tokio::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{concurrency}"),
            &format!("-d{}s", duration.as_secs().max(1)),
            "--timeout",
            "10s",
        ])
        .arg("-s")
        .arg(script)
        .arg(format!("http://{addr}/"))
        .output()
        .await;
    let stdout = output.as_ref().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    let totals: Option<Vec<f64>> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CHORUS-WRK "))
        .map(|l| l.split_whitespace().filter_map(|n| n.parse().ok()).collect());
    let Some([requests, micros, connect, read, write, status, timeout, p50, p99]) =
        totals.as_deref().and_then(|t| <[f64; 9]>::try_from(t).ok())
    else {
        eprintln!("wrk did not run or report (is it installed? apt-get install wrk): {output:?}");
        tally.errors = 1;
        return tally;
    };
    // wrk counts any 2xx or 3xx as a success; every answer here is a 302 unless `status` says
    // otherwise, and the click count at the end checks it.
    tally.found = (requests - status) as u64;
    tally.other = status as u64;
    tally.errors = (connect + read + write) as u64;
    tally.timeouts = timeout as u64;
    tally.elapsed = Duration::from_micros(micros as u64);
    tally.reported = Some((p50 / 1000.0, p99 / 1000.0));
    tally
}

async fn reqwest_client(
    client: reqwest::Client,
    urls: Arc<Vec<String>>,
    first: usize,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut next = first;
    while Instant::now() < deadline {
        let url = &urls[next % urls.len()];
        next += 1;
        let started = Instant::now();
        match client.get(url).header(header::REFERER, REFERER).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                match res.bytes().await {
                    Ok(_) => tally.answered(status, started, 302),
                    Err(_) => tally.errors += 1,
                }
            }
            Err(e) if e.is_timeout() => tally.timeouts += 1,
            Err(_) => tally.errors += 1,
        }
    }
    tally
}

/// One client on one HTTP/1.1 connection: a request, its whole response, the next request.
/// It reconnects only when the server closes or a response is broken. Answers with status
/// `expect` count as found.
pub(crate) async fn raw_client(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    first: usize,
    deadline: Instant,
    expect: u16,
) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(8192);
    let mut next = first;
    while Instant::now() < deadline {
        if conn.is_none() {
            match TcpStream::connect(addr).await.and_then(|s| s.set_nodelay(true).map(|()| s)) {
                Ok(s) => conn = Some(s),
                Err(_) => {
                    tally.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(stream) = conn.as_mut() else { continue };
        let request = &requests[next % requests.len()];
        next += 1;
        let started = Instant::now();
        match tokio::time::timeout(TIMEOUT, exchange(stream, request, &mut buf)).await {
            Ok(Ok((status, keep_alive))) => {
                tally.answered(status, started, expect);
                if !keep_alive {
                    conn = None;
                }
            }
            Ok(Err(_)) => {
                tally.errors += 1;
                conn = None;
            }
            Err(_) => {
                tally.timeouts += 1;
                conn = None;
            }
        }
    }
    tally
}

fn broken(why: &'static str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why)
}

/// Sends one request and reads its response (head and `Content-Length` body). Returns the status
/// and whether the connection stays open.
async fn exchange(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> std::io::Result<(u16, bool)> {
    stream.write_all(request).await?;
    buf.clear();
    let mut searched = 0;
    let head_end = loop {
        if let Some(i) = buf[searched..].windows(4).position(|w| w == b"\r\n\r\n") {
            break searched + i + 4;
        }
        searched = buf.len().saturating_sub(3);
        if buf.len() > 64 * 1024 {
            return Err(broken("response head over 64 KiB"));
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| broken("response head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let mut status_line = lines.next().unwrap_or_default().splitn(3, ' ');
    let version = status_line.next().unwrap_or_default();
    let status: u16 = status_line.next().and_then(|s| s.parse().ok()).ok_or_else(|| broken("status line"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut length = 0usize;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().map_err(|_| broken("Content-Length"))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(broken("chunked responses are not expected here"));
        } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close") {
            keep_alive = false;
        }
    }
    while buf.len() < head_end + length {
        if stream.read_buf(buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
    if buf.len() > head_end + length {
        return Err(broken("bytes after the response"));
    }
    Ok((status, keep_alive))
}
