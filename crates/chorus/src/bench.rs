//! `chorus bench`: starts a real `chorus serve` child process on a fresh database, signs a
//! person in, and drives signed-in page views and API calls with many concurrent clients.
//! Prints cold start, requests/s, p50/p99 latency and resident memory (idle and loaded).
//! A benchmark, not a test: results go in docs/benchmarks.md.

use anyhow::Context as _;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Submissions to seed before the review-queue and library scenarios (0 = skip them).
    #[arg(long, default_value_t = 0)]
    submissions: usize,
    /// How many of the seeded submissions wait for the social team's review.
    #[arg(long, default_value_t = 10_000)]
    waiting: usize,
    /// Run only the scenarios whose name contains this text (for profiling one of them).
    #[arg(long)]
    only: Option<String>,
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// The `p` quantile of sorted latencies in microseconds, in milliseconds.
pub(crate) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx.min(sorted.len() - 1)]) / 1000.0
}

/// A benchmark's database: `database_url` when given (an empty PostgreSQL database), else a
/// fresh SQLite file in a new temp folder. Returns the folder (delete it when done), the URL
/// and the backend's name.
pub(crate) fn fresh_database(
    database_url: Option<String>,
) -> anyhow::Result<(PathBuf, String, &'static str)> {
    let tmp = bench_dir();
    std::fs::create_dir_all(&tmp)?;
    let db = database_url.unwrap_or_else(|| format!("sqlite://{}", tmp.join("chorus.db").display()));
    let backend = if db.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    Ok((tmp, db, backend))
}

/// This benchmark's temp folder: the SQLite database, and the data folder (media, keys) of every
/// `chorus` it runs, so nothing lands in the working directory.
fn bench_dir() -> PathBuf {
    std::env::temp_dir().join(format!("chorus-bench-{}", std::process::id()))
}

/// Asks a child `chorus` to stop gracefully (SIGTERM), as a service manager does; it writes what
/// it accepted before it exits.
pub(crate) fn ask_to_stop(pid: u32) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
}

/// Runs `chorus <args> --database-url <db>` and returns what it printed on stdout, trimmed.
pub(crate) fn chorus_cli(exe: &Path, db: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(exe)
        .args(args)
        .args(["--database-url", db])
        .arg("--data-dir")
        .arg(bench_dir())
        .env("CHORUS_LOG", "warn")
        .output()?;
    anyhow::ensure!(out.status.success(), "chorus {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts `chorus serve --no-worker` (plus `extra` flags) on a free loopback port and waits
/// until `/readyz` answers. Returns the child, its base URL and the time from spawn to ready.
pub(crate) async fn start_server(
    exe: &Path,
    db: &str,
    extra: &[&str],
    stderr: Stdio,
) -> anyhow::Result<(Child, String, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["serve", "--no-worker", "--bind", &format!("127.0.0.1:{port}"), "--database-url", db])
        .arg("--data-dir")
        .arg(bench_dir())
        .args(extra)
        .env("CHORUS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let client = reqwest::Client::new();
    loop {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) || child.try_wait()?.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("server did not start");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok((child, base, started.elapsed()))
}

pub async fn run(database_url: Option<String>, args: BenchArgs) -> anyhow::Result<()> {
    let (tmp, db, backend) = fresh_database(database_url)?;
    let exe = std::env::current_exe().context("find the chorus binary")?;
    let cli = |a: &[&str]| chorus_cli(&exe, &db, a);
    cli(&["migrate"])?;
    let slug = cli(&["org", "create", "--name", "Bench Co"])?;
    cli(&[
        "user",
        "add",
        "--org",
        &slug,
        "--email",
        "bench@bench.test",
        "--name",
        "Bench User",
        "--role",
        "owner",
    ])?;
    let token = cli(&["token", "create", "--org", &slug, "--email", "bench@bench.test"])?;
    if args.submissions > 0 {
        let started = Instant::now();
        seed(&db, &slug, args.submissions, args.waiting).await?;
        println!(
            "seeded {} submissions ({} waiting for review) in {:.1} s",
            args.submissions,
            args.waiting.min(args.submissions),
            started.elapsed().as_secs_f64()
        );
    }

    let (mut child, base, cold_start) = start_server(&exe, &db, &[], Stdio::null()).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kib(child.id(), "VmRSS:").unwrap_or(0);

    // A browser session for the page scenario, made the way a person gets one: by accepting an
    // invitation link in the browser.
    let session = sign_in(&exe, &db, &slug, &base).await?;

    println!(
        "Chorus benchmark on {backend}: {} concurrent clients, {} s per scenario",
        args.concurrency, args.seconds
    );
    println!("cold start (spawn → /readyz OK): {} ms", cold_start.as_millis());
    println!("idle RSS: {:.1} MiB", idle_rss as f64 / 1024.0);
    println!("{:<32} {:>10} {:>9} {:>9} {:>7}", "scenario", "req/s", "p50 ms", "p99 ms", "errors");
    let bearer = ("authorization", format!("Bearer {token}"));
    let cookie = ("cookie", session);
    let mut scenarios: Vec<(&str, String, (&str, String))> = vec![
        ("signed-in page GET /", format!("{base}/"), cookie.clone()),
        ("API GET /api/v1/users", format!("{base}/api/v1/users?limit=20"), bearer.clone()),
    ];
    if args.submissions > 0 {
        scenarios.extend([
            ("review queue page GET /review", format!("{base}/review"), cookie.clone()),
            ("API GET /api/v1/review-queue", format!("{base}/api/v1/review-queue?limit=50"), bearer.clone()),
            ("library search page", format!("{base}/library?q={SEARCH_WORD}"), cookie.clone()),
            ("API library search", format!("{base}/api/v1/library?q={SEARCH_WORD}&limit=50"), bearer.clone()),
        ]);
    }
    if let Some(only) = &args.only {
        scenarios.retain(|(name, ..)| name.contains(only.as_str()));
    }
    for (name, url, header) in scenarios {
        let (rps, p50, p99, errors) =
            load(&client, &url, &header, args.concurrency, Duration::from_secs(args.seconds)).await;
        println!("{name:<32} {rps:>10.0} {p50:>9.2} {p99:>9.2} {errors:>7}");
    }
    let peak = rss_kib(child.id(), "VmHWM:").unwrap_or(0);
    println!("loaded RSS (peak): {:.1} MiB", peak as f64 / 1024.0);
    ask_to_stop(child.id());
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

pub(crate) async fn sign_in(
    exe: &std::path::Path,
    db: &str,
    slug: &str,
    base: &str,
) -> anyhow::Result<String> {
    // Give the bench user a password the way an operator would: through the invitation link.
    let out = Command::new(exe)
        .args([
            "user",
            "add",
            "--org",
            slug,
            "--email",
            "pages@bench.test",
            "--name",
            "Page Viewer",
            "--role",
            "social",
            "--database-url",
            db,
        ])
        .arg("--data-dir")
        .arg(bench_dir())
        .env("CHORUS_LOG", "warn")
        .env("CHORUS_BASE_URL", base)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let link =
        stderr.split_whitespace().find(|w| w.contains("/invite/")).context("invitation link")?.to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = client.get(&link).send().await?;
    let csrf_cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .context("csrf cookie")?
        .to_owned();
    let csrf = csrf_cookie.split_once('=').map(|(_, v)| v.to_owned()).unwrap_or_default();
    let res = client
        .post(&link)
        .header("cookie", &csrf_cookie)
        .form(&[("csrf", csrf.as_str()), ("name", "Page Viewer"), ("password", "bench password 1")])
        .send()
        .await?;
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("chorus_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .context("session cookie")
}

pub(crate) async fn load(
    client: &reqwest::Client,
    url: &str,
    header: &(&str, String),
    concurrency: usize,
    duration: Duration,
) -> (f64, f64, f64, usize) {
    let deadline = Instant::now() + duration;
    let url = Arc::new(url.to_owned());
    let (name, value) = (header.0.to_owned(), header.1.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, url, name, value) = (client.clone(), Arc::clone(&url), name.clone(), value.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get(url.as_str()).header(name.as_str(), value.as_str()).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut all = Vec::new();
    let mut errors = 0;
    while let Some(Ok((l, e))) = tasks.join_next().await {
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    let rps = all.len() as f64 / duration.as_secs_f64();
    (rps, percentile(&all, 0.50), percentile(&all, 0.99), errors)
}

/// A word that appears in about one approved caption in fifty.
const SEARCH_WORD: &str = "lighthouse";

const WORDS: [&str; 24] = [
    "trail",
    "ridge",
    "team",
    "customers",
    "river",
    "boardwalk",
    "sunrise",
    "volunteers",
    "forest",
    "camp",
    "gear",
    "rangers",
    "summit",
    "storm",
    "bridge",
    "community",
    "season",
    "map",
    "route",
    "winter",
    "harbor",
    "meadow",
    "canyon",
    "valley",
];

/// Seeds `n` submissions from one author: `waiting` in the team's review queue (queued over the
/// last weeks), most of the rest approved, the remainder drafts and rejections. Written through
/// the store in one transaction, as fast as the store allows.
async fn seed(db: &str, slug: &str, n: usize, waiting: usize) -> anyhow::Result<()> {
    use chorus_domain::{
        SubmissionId,
        submission::{Kind, Status},
    };
    use chorus_store::submissions::{Content, NewSubmission};
    let store = chorus_store::Store::connect(db).await?;
    let mut c = store.conn().await?;
    let org = chorus_store::admin::org_by_slug(&mut c, slug).await?.context("bench org")?;
    let author =
        chorus_store::users::get_by_email(&mut c, org.id, "bench@bench.test").await?.context("author")?;
    drop(c);
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(60);
    // Committed in batches, with fresh statistics after each on PostgreSQL: a cached generic
    // plan made while the table looked empty would otherwise scan it for every update.
    let postgres = store.backend() == chorus_store::Backend::Postgres;
    let mut tx = store.tx().await?;
    for i in 0..n {
        if i > 0 && i % 5000 == 0 {
            tx.commit().await?;
            if postgres {
                store.analyze().await?;
            }
            tx = store.tx().await?;
        }
        let words: Vec<&str> = (0..12).map(|k| WORDS[(i * 7 + k * 13) % WORDS.len()]).collect();
        let mut body = format!("{} and the {} — post {i}", words.join(" "), WORDS[i % WORDS.len()]);
        if i % 50 == 7 {
            body.push_str(&format!(" near the {SEARCH_WORD}"));
        }
        let id = SubmissionId::new();
        let kind = [Kind::Photo, Kind::Article, Kind::BlogPost, Kind::Idea][i % 4];
        let content = Content {
            title: format!("{} {} #{i}", WORDS[i % 24], WORDS[(i / 24) % 24]),
            body,
            link: None,
            tags: vec![WORDS[i % 5].to_owned()],
            channels: vec!["linkedin".into()],
            campaign_id: None,
        };
        let at = start + time::Duration::seconds((i as i64) * 50);
        let new = NewSubmission {
            id,
            author_id: author.id,
            department_id: None,
            kind,
            content,
            promoted_from: None,
        };
        chorus_store::submissions::insert(&mut tx, org.id, &new, at).await?;
        let to = if i < waiting {
            Status::TeamReview
        } else if i % 10 < 8 {
            Status::Approved
        } else if i % 10 == 8 {
            Status::Rejected
        } else {
            continue;
        };
        chorus_store::submissions::set_status(&mut tx, org.id, id, 1, to, at).await?;
    }
    tx.commit().await?;
    // Measure with statistics, as a database that has been running a while has them
    // (PostgreSQL plans a freshly loaded table blind until autovacuum catches up).
    if postgres {
        store.analyze().await?;
    }
    Ok(())
}
