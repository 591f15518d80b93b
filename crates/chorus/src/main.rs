//! `chorus`: the one binary. `serve` (the default), `worker`, `migrate`, `org create`,
//! `user add`, `token create`.

mod backup;
mod bench;
mod bench_analytics;
mod bench_digest;
mod bench_leaderboard;
mod bench_media;
mod bench_queue;
mod bench_redirect;
mod bench_scale;
mod bench_survey;
mod demo;
mod media_store;

use anyhow::Context as _;
use chorus_app::{App, Config as AppConfig, me::Caller};
use chorus_domain::SystemClock;
use chorus_networks::mail::{LogMailer, Mailer, SmtpMailer};
use chorus_store::Store;
use clap::{Args, Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};

/// mimalloc instead of the system allocator: see docs/benchmarks.md (contribution runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "chorus", version, about = "Company-wide social media collaboration")]
struct Cli {
    #[command(flatten)]
    storage: Storage,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where the data lives; every subcommand takes these.
#[derive(Args, Debug, Clone)]
struct Storage {
    /// Folder for the embedded SQLite database (and, later, media).
    #[arg(long, env = "CHORUS_DATA_DIR", default_value = "./chorus-data", global = true)]
    data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "CHORUS_LOG_FORMAT", default_value = "text", global = true)]
    log_format: String,
    #[command(flatten)]
    media: media_store::MediaArgs,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHORUS_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Public address for links in e-mails (default: http://<bind>).
    #[arg(long, env = "CHORUS_BASE_URL")]
    base_url: Option<String>,
    /// Seed an example company into an empty database.
    #[arg(long, env = "CHORUS_DEMO")]
    demo: bool,
    /// Serve only; leave jobs to `chorus worker` processes.
    #[arg(long, env = "CHORUS_NO_WORKER")]
    no_worker: bool,
    #[command(flatten)]
    mail: MailArgs,
    #[command(flatten)]
    content: ContentArgs,
    #[command(flatten)]
    jobs: JobArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
    /// Mark cookies Secure (set when users reach Chorus over HTTPS).
    #[arg(long, env = "CHORUS_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Trust X-Forwarded-For for the client address from any peer (only when every request
    /// comes through your own reverse proxy); prefer --trusted-proxies.
    #[arg(long, env = "CHORUS_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Reverse proxies whose X-Forwarded-For is believed, as addresses or networks separated by
    /// commas (e.g. 127.0.0.1,10.0.0.0/8); requests from anywhere else are taken at their TCP address.
    #[arg(long, env = "CHORUS_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<chorus_web::Cidr>,
    /// Longest a tracked-link click waits before it is written, in milliseconds: what a crash
    /// can lose at most (a graceful stop writes them all).
    #[arg(long, env = "CHORUS_CLICK_FLUSH_MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    click_flush_ms: u64,
}

#[derive(Args, Debug, Clone)]
struct MailArgs {
    /// SMTP server, e.g. smtp://user:pass@mail.example.com:587?tls=required. Unset: mail is logged.
    #[arg(long, env = "CHORUS_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of Chorus e-mail.
    #[arg(long, env = "CHORUS_MAIL_FROM", default_value = "Chorus <chorus@localhost>")]
    mail_from: String,
    /// Day the weekly "wins" digest goes out (UTC), e.g. monday.
    #[arg(long, env = "CHORUS_DIGEST_WEEKDAY", default_value = "monday")]
    digest_weekday: String,
    /// Hour (0–23, UTC) the daily and weekly digests go out.
    #[arg(long, env = "CHORUS_DIGEST_HOUR", default_value_t = 8, value_parser = clap::value_parser!(u8).range(0..=23))]
    digest_hour: u8,
}

/// How this process runs background jobs (publishing, e-mail, link previews).
#[derive(Args, Debug, Clone)]
struct JobArgs {
    /// Jobs one process runs at once.
    #[arg(long, env = "CHORUS_JOB_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(i64).range(1..=256))]
    job_concurrency: i64,
    /// Seconds a claimed job stays claimed without a heartbeat; a job whose worker died is taken
    /// over by another after this long.
    #[arg(long, env = "CHORUS_JOB_LEASE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=3600))]
    job_lease_secs: u64,
    /// Days raw tracked-link clicks are kept; hourly and daily roll-ups are kept for good.
    #[arg(long, env = "CHORUS_CLICK_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(2..=3650))]
    click_retention_days: u64,
}

impl JobArgs {
    fn config(&self) -> chorus_jobs::Config {
        chorus_jobs::Config {
            concurrency: self.job_concurrency,
            lease: std::time::Duration::from_secs(self.job_lease_secs),
            ..chorus_jobs::Config::default()
        }
    }
}

/// Prometheus metrics for operators.
#[derive(Args, Debug, Clone)]
struct MetricsArgs {
    /// Serve Prometheus metrics at http://<address>/metrics on a listener of its own, e.g.
    /// 127.0.0.1:9090 (never on the public address). Unset: no metrics are collected.
    #[arg(long, env = "CHORUS_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
}

impl MetricsArgs {
    /// Starts the metrics listener when asked for; it stops with the process.
    async fn start(&self, app: &App) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
        let Some(bind) = self.metrics_bind else { return Ok(None) };
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("listen on {bind} for metrics"))?;
        tracing::info!("Prometheus metrics at http://{}/metrics", listener.local_addr()?);
        let router = chorus_web::metrics_router(app.clone());
        let handle = chorus_web::install_metrics();
        Ok(Some(tokio::spawn(async move {
            // Histograms are drained on every scrape; upkeep keeps memory bounded between scrapes.
            let upkeep = tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
                loop {
                    every.tick().await;
                    handle.run_upkeep();
                }
            });
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "The metrics listener stopped");
            }
            upkeep.abort();
        })))
    }
}

/// Limits on what people upload and fetch.
#[derive(Args, Debug, Clone)]
struct ContentArgs {
    /// Largest photo or image upload, in MiB.
    #[arg(long, env = "CHORUS_MAX_IMAGE_MB", default_value_t = 25)]
    max_image_mb: u64,
    /// Largest video upload, in MiB.
    #[arg(long, env = "CHORUS_MAX_VIDEO_MB", default_value_t = 500)]
    max_video_mb: u64,
    /// Largest audio upload, in MiB.
    #[arg(long, env = "CHORUS_MAX_AUDIO_MB", default_value_t = 200)]
    max_audio_mb: u64,
    /// Largest PDF upload, in MiB.
    #[arg(long, env = "CHORUS_MAX_PDF_MB", default_value_t = 50)]
    max_pdf_mb: u64,
    /// Let link previews fetch private and loopback addresses (intranets; off by default to
    /// keep the server from being used to probe its own network).
    #[arg(long, env = "CHORUS_ALLOW_PRIVATE_PREVIEWS")]
    allow_private_previews: bool,
    /// Let feed polling reach private and loopback addresses (on-premises intranets; off by
    /// default, also on every redirect hop).
    #[arg(long, env = "CHORUS_ALLOW_PRIVATE_FEEDS")]
    allow_private_feeds: bool,
    /// Hosts whose feeds may be read although they are private (comma-separated names or IP
    /// addresses, e.g. intranet.example.local,10.0.0.5), without opening the whole private network.
    #[arg(long, env = "CHORUS_FEED_ALLOW_HOSTS", value_delimiter = ',')]
    feed_allow_hosts: Vec<String>,
    /// Let single sign-on reach identity providers at private addresses (an on-premises Keycloak
    /// or ADFS; off by default, so an organization's admin cannot make the server probe its
    /// network through the issuer URL).
    #[arg(long, env = "CHORUS_ALLOW_PRIVATE_SSO")]
    allow_private_sso: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app and API (and run jobs unless --no-worker).
    Serve(ServeArgs),
    /// Run jobs only (scale-out).
    Worker {
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        content: ContentArgs,
        #[command(flatten)]
        jobs: JobArgs,
        #[command(flatten)]
        metrics: MetricsArgs,
        /// Public address for links in e-mails.
        #[arg(long, env = "CHORUS_BASE_URL", default_value = "http://127.0.0.1:8080")]
        base_url: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Back up the embedded database (a consistent snapshot, safe while serving), the media and
    /// the secret keys of --data-dir into one archive. On PostgreSQL use pg_dump (docs/deploy.md).
    Backup {
        /// The archive to write: FILE.tar.gz (compressed) or FILE.tar; it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore an archive made by `chorus backup` into --data-dir, which must be new or empty.
    /// Every checksum and row count is verified before the folder appears.
    Restore {
        /// The archive made by `chorus backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// People.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Benchmarks: a real server under concurrent load (default), the publish drain, the queue.
    Bench(BenchCommand),
    /// Personal access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The keys that seal channel credentials.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// The media store.
    Media {
        #[command(subcommand)]
        command: media_store::MediaCommand,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct BenchCommand {
    #[command(subcommand)]
    kind: Option<BenchKind>,
    #[command(flatten)]
    web: bench::BenchArgs,
}

#[derive(Subcommand, Debug)]
enum BenchKind {
    /// Posts due at once on many channels, drained by `chorus worker` processes.
    Drain(bench_queue::DrainArgs),
    /// The job queue's own cost per job (claim + complete).
    Queue(bench_queue::QueueArgs),
    /// Tracked-link redirects (`GET /s/{code}`) of a real server against a bare axum 302.
    Redirect(bench_redirect::RedirectArgs),
    /// Redirects and a signed-in page over 1, 2, 3 `serve` instances on one PostgreSQL.
    Instances(bench_scale::InstancesArgs),
    /// The analytics summary and dashboard over millions of synthetic clicks.
    Analytics(bench_analytics::AnalyticsArgs),
    /// Anonymous survey intake over HTTP from a large organization, then its full report.
    Survey(bench_survey::SurveyArgs),
    /// The leaderboard page over millions of points-ledger rows.
    Leaderboard(bench_leaderboard::LeaderboardArgs),
    /// The weekly digest rendered and queued for a large organization, then one announcement fanned out.
    Digest(bench_digest::DigestArgs),
    /// Upload throughput of a large video through the HTTP API: disk store, and S3 with --media-url s3://….
    Media(bench_media::MediaBenchArgs),
    /// The bare axum 302 that `bench redirect` compares against, as a process of its own.
    #[command(hide = true)]
    CeilingServer(bench_redirect::CeilingArgs),
}

#[derive(Subcommand, Debug)]
enum SecretsCommand {
    /// Make a new key in <data-dir>/secret-keys, re-seal every credential with it, drop the old key.
    Rotate,
    /// Re-seal every credential with the first key (after putting a new key first in CHORUS_SECRET_KEYS).
    Reseal,
    /// Print a new key in the CHORUS_SECRET_KEYS format.
    NewKey,
}

#[derive(Subcommand, Debug)]
enum OrgCommand {
    /// Create an organization; prints its slug.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a person; prints a link where they choose their password.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, admin, social, lead or employee.
        #[arg(long)]
        role: String,
        /// Created when missing; with --role lead, they become its lead.
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        title: Option<String>,
        /// 1 (junior) to 5 (executive).
        #[arg(long)]
        seniority: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a personal access token; prints it, and nothing else, on stdout.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

fn main() -> anyhow::Result<()> {
    chorus_networks::preview::install_crypto_provider();
    let cli = Cli::parse_from(with_default_command(std::env::args().collect()));
    let storage = cli.storage.clone();
    init_tracing(&storage.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    runtime.block_on(run(cli, storage))
}

/// No subcommand means `serve`, with whatever flags were given (`chorus --bind …`).
fn with_default_command(mut args: Vec<String>) -> Vec<String> {
    // The names come from the command definitions, so a new subcommand is never mistaken for
    // an argument of `serve`.
    let commands: Vec<String> = <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .chain(["help".to_owned()])
        .collect();
    const INFO: [&str; 4] = ["--help", "-h", "--version", "-V"];
    let named = args.iter().skip(1).any(|a| commands.contains(a) || INFO.contains(&a.as_str()));
    if !named {
        args.insert(1.min(args.len()), "serve".to_owned());
    }
    args
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHORUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open_store(storage: &Storage) -> anyhow::Result<Store> {
    let url = match &storage.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&storage.data_dir)
                .with_context(|| format!("create data folder {}", storage.data_dir.display()))?;
            format!("sqlite://{}", storage.data_dir.join("chorus.db").display())
        }
    };
    let store = Store::connect(&url).await.context("open the database")?;
    store.migrate().await.context("apply database migrations")?;
    Ok(store)
}

fn mailer(mail: &MailArgs) -> anyhow::Result<Arc<dyn Mailer>> {
    Ok(match &mail.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, &mail.mail_from)?),
        None => Arc::new(LogMailer),
    })
}

async fn run(cli: Cli, storage: Storage) -> anyhow::Result<()> {
    let Some(command) = cli.command else {
        anyhow::bail!("no command given");
    };
    match command {
        Command::Serve(args) => serve(&storage, args).await,
        Command::Worker { mail, content, jobs, metrics, base_url } => {
            let store = open_store(&storage).await?;
            let app = build_app(
                &storage,
                store,
                &mail,
                &content,
                Tuning::new(&jobs, 100),
                base_url,
                Keys::CreateIfMissing,
            )
            .await?;
            let metrics = metrics.start(&app).await?;
            tracing::info!("Worker running jobs; stop with Ctrl-C or SIGTERM");
            let upkeep = maintenance(&app);
            app.queue.run_until(shutdown_signal()).await;
            upkeep.abort();
            if let Some(metrics) = metrics {
                metrics.abort();
            }
            Ok(())
        }
        Command::Bench(BenchCommand { kind, web }) => match kind {
            None => bench::run(storage.database_url.clone(), web).await,
            Some(BenchKind::Drain(args)) => bench_queue::drain(storage.database_url.clone(), args).await,
            Some(BenchKind::Queue(args)) => bench_queue::queue(storage.database_url.clone(), args).await,
            Some(BenchKind::Redirect(args)) => bench_redirect::run(storage.database_url.clone(), args).await,
            Some(BenchKind::Instances(args)) => bench_scale::run(storage.database_url.clone(), args).await,
            Some(BenchKind::Analytics(args)) => {
                bench_analytics::run(storage.database_url.clone(), args).await
            }
            Some(BenchKind::Survey(args)) => bench_survey::run(storage.database_url.clone(), args).await,
            Some(BenchKind::Leaderboard(args)) => {
                bench_leaderboard::run(storage.database_url.clone(), args).await
            }
            Some(BenchKind::Digest(args)) => bench_digest::run(storage.database_url.clone(), args).await,
            Some(BenchKind::CeilingServer(args)) => bench_redirect::serve_ceiling(args).await,
            Some(BenchKind::Media(args)) => {
                bench_media::run(storage.database_url.clone(), storage.media.clone(), args).await
            }
        },
        Command::Secrets { command } => secrets(&storage, command).await,
        Command::Backup { out } => {
            if storage.database_url.is_some() {
                return Err(backup::refuse_postgres());
            }
            // The archive holds the media folder; a bucket is copied with S3's own tools.
            if storage.media.media_url.as_deref().is_some_and(|u| u.trim().starts_with("s3://")) {
                anyhow::bail!(
                    "media live in S3 (--media-url): chorus backup archives the database and a media \
                     folder only; copy the bucket with your S3 tools (see docs/deploy.md)"
                );
            }
            let written = backup::backup(&storage.data_dir, &out).await?;
            let rows: i64 = written.manifest.tables.values().sum();
            println!(
                "wrote {} ({} bytes): schema {}, {} tables, {rows} rows, {} media objects{}",
                out.display(),
                written.bytes,
                written.manifest.schema_version,
                written.manifest.tables.len(),
                written.manifest.media.len(),
                if written.manifest.secret_keys { ", secret keys (keep the archive private)" } else { "" },
            );
            Ok(())
        }
        Command::Restore { from } => {
            if storage.database_url.is_some() {
                return Err(backup::refuse_postgres());
            }
            let manifest = backup::restore(&storage.data_dir, &from).await?;
            println!(
                "restored {} into {}: schema {}, {} tables, {} media objects, all checksums verified",
                from.display(),
                storage.data_dir.display(),
                manifest.schema_version,
                manifest.tables.len(),
                manifest.media.len(),
            );
            Ok(())
        }
        Command::Media { command } => media_store::run(&storage.data_dir, &storage.media, command).await,
        Command::Migrate => {
            open_store(&storage).await?;
            tracing::info!("Database is up to date");
            Ok(())
        }
        Command::Org { command: OrgCommand::Create { name } } => {
            let app = cli_app(&storage).await?;
            let org = chorus_app::orgs::create(&app, &name).await.map_err(cli_error)?;
            println!("{}", org.slug);
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { org, email, name, role, department, title, seniority },
        } => {
            let app = cli_app(&storage).await?;
            let org = chorus_app::orgs::by_slug(&app, &org)
                .await
                .map_err(|_| anyhow::anyhow!("no organization with slug {org:?}"))?;
            let input = chorus_app::people::CliPerson { email, name, role, department, title, seniority };
            let (user, link) = chorus_app::people::add_from_cli(&app, &Caller::operator(org.id), &input)
                .await
                .map_err(cli_error)?;
            println!("{}", user.id);
            eprintln!(
                "Added {} <{}> as {}. They can choose a password here: {link}",
                user.name, user.email, user.role
            );
            app.run_pending_jobs().await.map_err(cli_error)?;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { org, email, label } } => {
            let app = cli_app(&storage).await?;
            let org = chorus_app::orgs::by_slug(&app, &org)
                .await
                .map_err(|_| anyhow::anyhow!("no organization with slug {org:?}"))?;
            let created =
                chorus_app::tokens::create_from_cli(&app, &Caller::operator(org.id), &email, &label)
                    .await
                    .map_err(cli_error)?;
            println!("{}", created.secret);
            Ok(())
        }
    }
}

async fn cli_app(storage: &Storage) -> anyhow::Result<App> {
    let store = open_store(storage).await?;
    let base_url = std::env::var("CHORUS_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let mail = MailArgs {
        smtp_url: None,
        mail_from: String::new(),
        digest_weekday: "monday".into(),
        digest_hour: 8,
    };
    let content = ContentArgs {
        max_image_mb: 25,
        max_video_mb: 500,
        max_audio_mb: 200,
        max_pdf_mb: 50,
        allow_private_previews: false,
        allow_private_feeds: false,
        allow_private_sso: false,
        feed_allow_hosts: Vec::new(),
    };
    // Administrative commands seal nothing: they read the keyring if there is one, and never
    // create one (a server does that on first start).
    build_app(storage, store, &mail, &content, Tuning::default(), base_url, Keys::ExistingOnly).await
}

/// Whether building the app may create the keyring file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    CreateIfMissing,
    ExistingOnly,
}

/// How this process runs its background work.
struct Tuning {
    jobs: chorus_jobs::Config,
    click_flush: std::time::Duration,
    click_retention: time::Duration,
}

impl Tuning {
    fn new(jobs: &JobArgs, click_flush_ms: u64) -> Self {
        Self {
            jobs: jobs.config(),
            click_flush: std::time::Duration::from_millis(click_flush_ms),
            click_retention: time::Duration::days(i64::try_from(jobs.click_retention_days).unwrap_or(90)),
        }
    }
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            jobs: chorus_jobs::Config::default(),
            click_flush: std::time::Duration::from_millis(100),
            click_retention: time::Duration::days(90),
        }
    }
}

/// The worker's periodic upkeep, every minute: analytics roll-ups and click retention, the
/// feed polls that are due, and the digests.
fn maintenance(app: &App) -> tokio::task::JoinHandle<()> {
    let app = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            match chorus_app::analytics::maintain(&app).await {
                Ok(done) if done.clicks_deleted > 0 => {
                    tracing::info!(deleted = done.clicks_deleted, "Deleted raw clicks past their retention")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "Analytics roll-up failed; retrying in a minute"),
            }
            // Feeds whose poll is due get one poll job each (claimed once across workers).
            if let Err(e) = chorus_app::feeds::schedule_due(&app).await {
                tracing::warn!(error = %e, "Could not queue feed polls; retrying in a minute");
            }
            // Digests due this period: claimed once per organization and period, whatever the
            // number of workers.
            if let Err(e) = chorus_app::digests::run_due(&app).await {
                tracing::warn!(error = %e, "Digests failed; retrying in a minute");
            }
        }
    })
}

/// The application with its mailer, media store (a folder in the data directory, or S3 with
/// `--media-url s3://…`) and limits.
async fn build_app(
    storage: &Storage,
    store: Store,
    mail: &MailArgs,
    content: &ContentArgs,
    tuning: Tuning,
    base_url: String,
    keys: Keys,
) -> anyhow::Result<App> {
    let mut config = AppConfig::new(base_url);
    config.jobs = tuning.jobs;
    config.click_flush = tuning.click_flush;
    config.click_retention = tuning.click_retention;
    config.email_notifications = mail.smtp_url.is_some();
    config.digest_schedule =
        chorus_domain::notify::DigestSchedule::parse(&mail.digest_weekday, mail.digest_hour)
            .map_err(|e| anyhow::anyhow!("--digest-weekday / --digest-hour: {e}"))?;
    let mib = chorus_media::Limits::MIB;
    config.media_limits = chorus_media::Limits {
        image: content.max_image_mb * mib,
        video: content.max_video_mb * mib,
        audio: content.max_audio_mb * mib,
        pdf: content.max_pdf_mb * mib,
    };
    config.previews.allow_private = content.allow_private_previews;
    config.feeds.allow_private = content.allow_private_feeds;
    config.sso_allow_private = content.allow_private_sso;
    config.feeds.allow_hosts =
        content.feed_allow_hosts.iter().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()).collect();
    config.secrets = keyring(storage, keys)?;
    config.spool_dir = storage.data_dir.join("tmp");
    config.media_presign = storage.media.presign();
    let media = media_store::open(&storage.data_dir, &storage.media).await?;
    Ok(App::new(store, Arc::new(SystemClock), mailer(mail)?, media, config))
}

async fn secrets(storage: &Storage, command: SecretsCommand) -> anyhow::Result<()> {
    use chorus_app::secrets::Keyring;
    let from_env = std::env::var("CHORUS_SECRET_KEYS").is_ok_and(|k| !k.trim().is_empty());
    match command {
        SecretsCommand::NewKey => {
            println!("{}", Keyring::ephemeral().lines()[0]);
            Ok(())
        }
        SecretsCommand::Reseal => {
            let store = open_store(storage).await?;
            let ring = keyring(storage, Keys::ExistingOnly)?;
            let n = chorus_app::publishing::reseal_all(&store, &ring).await?;
            println!("re-sealed {n} channel(s) with the first key");
            Ok(())
        }
        SecretsCommand::Rotate => {
            anyhow::ensure!(
                !from_env,
                "the keys come from CHORUS_SECRET_KEYS: put a new key first there (`chorus secrets new-key`), \
                 restart every instance, run `chorus secrets reseal`, then remove the old key"
            );
            let store = open_store(storage).await?;
            let path = storage.data_dir.join("secret-keys");
            let old = Keyring::load_or_create(&path)?;
            // The file holds old and new keys until every value is re-sealed, so a crash halfway
            // loses nothing; only then is the old key dropped.
            let both = old.with_new_primary();
            both.save(&path)?;
            let n = chorus_app::publishing::reseal_all(&store, &both).await?;
            both.primary_only().save(&path)?;
            println!("rotated: re-sealed {n} channel(s) with a new key; restart running servers to load it");
            Ok(())
        }
    }
}

/// The keys that seal channel credentials: `CHORUS_SECRET_KEYS` (every instance of a scaled-out
/// deployment needs the same ones), else `secret-keys` in the data folder, created on first use.
fn keyring(storage: &Storage, keys: Keys) -> anyhow::Result<chorus_app::secrets::Keyring> {
    let path = storage.data_dir.join("secret-keys");
    match std::env::var("CHORUS_SECRET_KEYS").ok().filter(|k| !k.trim().is_empty()) {
        Some(keys) => chorus_app::secrets::Keyring::parse(&keys).context("read CHORUS_SECRET_KEYS"),
        None if keys == Keys::ExistingOnly && !path.exists() => Ok(chorus_app::secrets::Keyring::ephemeral()),
        None => {
            std::fs::create_dir_all(&storage.data_dir)
                .with_context(|| format!("create data folder {}", storage.data_dir.display()))?;
            chorus_app::secrets::Keyring::load_or_create(&storage.data_dir.join("secret-keys"))
        }
    }
}

fn cli_error(e: chorus_app::Error) -> anyhow::Error {
    match e {
        chorus_app::Error::NotFound => anyhow::anyhow!("not found"),
        chorus_app::Error::Internal(e) => e,
        other => anyhow::anyhow!("{other}"),
    }
}

async fn serve(storage: &Storage, args: ServeArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let store = open_store(storage).await?;
    let base_url = args.base_url.clone().unwrap_or_else(|| format!("http://{}", args.bind));
    let app = build_app(
        storage,
        store.clone(),
        &args.mail,
        &args.content,
        Tuning::new(&args.jobs, args.click_flush_ms),
        base_url,
        Keys::CreateIfMissing,
    )
    .await?;
    // Upload files a crashed process left behind (a day old: another instance may be mid-upload).
    match chorus_media::sweep_stale(&app.config.spool_dir, std::time::Duration::from_secs(86_400)) {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "Removed unfinished uploads left by an earlier run"),
        Err(e) => tracing::warn!(error = %e, "Could not sweep the upload folder"),
    }
    if args.demo {
        demo::seed(&app).await?;
    }
    let listener =
        tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    let web = chorus_web::WebConfig {
        secure_cookies: args.secure_cookies,
        trust_forwarded_for: args.trust_forwarded_for,
        trusted_proxies: args.trusted_proxies.clone(),
        metrics: args.metrics.metrics_bind.is_some(),
    };
    let router = chorus_web::router(app.clone(), web);
    let metrics = args.metrics.start(&app).await?;
    tracing::info!("Chorus is listening on http://{addr} (ready in {} ms)", started.elapsed().as_millis());
    if let Some(link) = chorus_app::setup::link_if_needed(&app).await.map_err(cli_error)? {
        // Printed on stdout too, so it stands out from the log and scripts can read it.
        println!(
            "\nChorus is not set up yet. Open this link to create your organization and owner account:\n\n    {link}\n"
        );
    }

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = (!args.no_worker).then(|| {
        let queue = app.queue.clone();
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            queue
                .run_until(async move {
                    let _ = rx.changed().await;
                })
                .await
        })
    });
    let upkeep = (!args.no_worker).then(|| maintenance(&app));
    let housekeeping = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                every.tick().await;
                if let Err(e) = chorus_app::sessions::prune(&app).await {
                    tracing::warn!(error = %e, "Housekeeping failed");
                }
            }
        })
    };
    // Other instances' withdrawals and opt-outs reach this one's caches (PostgreSQL only).
    let follower = {
        let app = app.clone();
        tokio::spawn(async move { app.follow_changes().await })
    };
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serve HTTP")?;
    tracing::info!("Shutting down: finishing jobs in flight");
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    housekeeping.abort();
    follower.abort();
    if let Some(upkeep) = upkeep {
        upkeep.abort();
    }
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    // Every click the redirect accepted is written before the process ends.
    app.clicks.close().await;
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
