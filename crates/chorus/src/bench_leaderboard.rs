//! `chorus bench leaderboard`: an organization of `--people` people (50,000) with `--rows`
//! ledger rows (10,000,000) spread over the past year, then the leaderboard page and API of a
//! real `chorus serve`, signed in, under `--concurrency` clients. Prints requests/s and p50/p99.
//!
//! The ledger is written with set-based SQL (a recursive CTE on SQLite, `generate_series` on
//! PostgreSQL) and the period roll-ups computed from it the way the app keeps them, so the
//! leaderboard reads exactly what it reads in production. A benchmark, not a test: results go in
//! docs/benchmarks.md.

use anyhow::Context as _;
use chorus_domain::{
    DepartmentId, Role, UserId, UserStatus,
    clock::to_millis,
    recognition::{Period, PointEvent},
};
use chorus_store::{Backend, Ex};
use std::{
    process::Stdio,
    time::{Duration, Instant},
};
use time::OffsetDateTime;

#[derive(clap::Args, Debug, Clone)]
pub struct LeaderboardArgs {
    #[arg(long, default_value_t = 50_000)]
    people: usize,
    /// Ledger rows.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Keep the database afterwards (its path is printed) to look at query plans.
    #[arg(long)]
    keep: bool,
}

async fn exec(db: &mut impl chorus_store::Db, sql: &str, org: uuid::Uuid) -> anyhow::Result<u64> {
    let sql = sql.to_owned();
    Ok(match chorus_store::Db::ex(db) {
        Ex::Sqlite(c) => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org).execute(c).await?.rows_affected(),
        Ex::Postgres(c) => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org).execute(c).await?.rows_affected(),
    })
}

/// People in 40 departments, and the ledger with its roll-ups.
async fn seed(
    store: &chorus_store::Store,
    org: chorus_domain::OrgId,
    args: &LeaderboardArgs,
) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut tx = store.tx().await?;
    let departments: Vec<DepartmentId> = (0..40).map(|_| DepartmentId::new()).collect();
    for (i, d) in departments.iter().enumerate() {
        chorus_store::departments::insert(&mut tx, org, *d, &format!("Department {i:02}"), now).await?;
    }
    for i in 0..args.people {
        let email = format!("person{i}@board.test");
        let name = format!("Person {i}");
        let user = chorus_store::users::NewUser {
            id: UserId::new(),
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
    }
    // Every hundredth person opted out: the board skips them.
    exec(
        &mut tx,
        "insert into leaderboard_opt_outs (org_id, user_id, created_at) \
         select org_id, id, 0 from users where org_id = $1 and email like '%50@board.test'",
        org.0,
    )
    .await?;
    tx.commit().await?;

    let postgres = store.backend() == Backend::Postgres;
    let events: Vec<String> = PointEvent::ALL.iter().map(|e| format!("'{}'", e.as_str())).collect();
    let year_ms = 365 * 24 * 3_600_000_i64;
    let now_ms = to_millis(now);
    let started = Instant::now();
    let mut db = store.write().await?;
    // Person k of the bench is `bench_people.k`; row n goes to person (n * 7919) % people, so
    // points are uneven but everybody has some.
    let people = args.people as u64;
    if postgres {
        exec(
            &mut db,
            "create temporary table bench_people as select row_number() over (order by id) - 1 as k, id \
             from users where org_id = $1 and email like '%@board.test'",
            org.0,
        )
        .await?;
        exec(&mut db, "create index on bench_people (k)", org.0).await?;
        let sql = format!(
            "insert into point_ledger (id, org_id, user_id, event, points, reason, source_id, created_at) \
             select gen_random_uuid(), $1, p.id, (array[{events}])[(1 + (g % 8))::int], 1 + (g % 30), 'bench', 'bench:' || g, \
             {now_ms} - (g * 2654435761) % {year_ms} \
             from generate_series(0::bigint, {last}) g join bench_people p on p.k = (g * 7919) % {people}",
            events = events.join(", "),
            last = args.rows.saturating_sub(1),
        );
        exec(&mut db, &sql, org.0).await?;
    } else {
        exec(&mut db, "create temporary table bench_people (k integer primary key, id blob not null)", org.0)
            .await?;
        exec(
            &mut db,
            "insert into bench_people (k, id) select row_number() over (order by id) - 1, id \
             from users where org_id = $1 and email like '%@board.test'",
            org.0,
        )
        .await?;
        let sql = format!(
            "with recursive g(n) as (select 0 union all select n + 1 from g where n < {last}) \
             insert into point_ledger (id, org_id, user_id, event, points, reason, source_id, created_at) \
             select randomblob(16), $1, (select id from bench_people where k = (n * 7919) % {people}), \
             case n % 8 {cases} end, 1 + (n % 30), 'bench', 'bench:' || n, {now_ms} - (n * 2654435761) % {year_ms} from g",
            last = args.rows.saturating_sub(1),
            cases = events
                .iter()
                .enumerate()
                .map(|(i, e)| format!("when {i} then {e}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        exec(&mut db, &sql, org.0).await?;
    }
    println!("wrote {} ledger rows in {:.1} s", args.rows, started.elapsed().as_secs_f64());
    // The roll-ups the app keeps row by row, computed here in one pass per period.
    let started = Instant::now();
    for period in Period::ALL {
        let since = match period {
            Period::All => 0,
            Period::Year => to_millis(
                now.replace_date(time::Date::from_calendar_date(now.year(), time::Month::January, 1)?)
                    .replace_time(time::Time::MIDNIGHT),
            ),
            Period::Month => to_millis(now.replace_day(1)?.replace_time(time::Time::MIDNIGHT)),
            Period::Week => {
                let monday =
                    now.date() - time::Duration::days(i64::from(now.weekday().number_days_from_monday()));
                to_millis(now.replace_date(monday).replace_time(time::Time::MIDNIGHT))
            }
        };
        let sql = format!(
            "insert into point_totals (org_id, period, user_id, points) \
             select org_id, '{key}', user_id, sum(points) from point_ledger \
             where org_id = $1 and created_at >= {since} group by org_id, user_id",
            key = period.key(now)
        );
        exec(&mut db, &sql, org.0).await?;
    }
    exec(
        &mut db,
        "insert into point_balances (org_id, user_id, balance) select org_id, user_id, points \
         from point_totals where org_id = $1 and period = 'all'",
        org.0,
    )
    .await?;
    // Statistics for every table the page reads (users and departments too): a freshly seeded
    // database has none yet, and PostgreSQL's autovacuum may not have come round.
    // (No bound parameter: PostgreSQL refuses a bind to a statement without placeholders.)
    match chorus_store::Db::ex(&mut db) {
        Ex::Sqlite(c) => sqlx::query("analyze").execute(c).await.map(drop)?,
        Ex::Postgres(c) => sqlx::query("analyze").execute(c).await.map(drop)?,
    }
    drop(db);
    println!("computed the period roll-ups in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

pub async fn run(database_url: Option<String>, args: LeaderboardArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.people >= 40 && args.rows > 0 && args.concurrency > 0, "bad sizes");
    let (tmp, db, backend) = super::bench::fresh_database(database_url)?;
    let exe = std::env::current_exe().context("find the chorus binary")?;
    let cli = |a: &[&str]| super::bench::chorus_cli(&exe, &db, a);
    cli(&["migrate"])?;
    let slug = cli(&["org", "create", "--name", "Board Co"])?;
    println!(
        "chorus bench leaderboard on {backend}: {} people, {} ledger rows, {} clients",
        args.people, args.rows, args.concurrency
    );
    let store = chorus_store::Store::connect(&db).await?;
    let mut c = store.conn().await?;
    let org = chorus_store::admin::org_by_slug(&mut c, &slug).await?.context("bench org")?;
    drop(c);
    seed(&store, org.id, &args).await?;
    store.close().await;

    let (mut child, base, _) = super::bench::start_server(&exe, &db, &[], Stdio::null()).await?;
    let session = super::bench::sign_in(&exe, &db, &slug, &base).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let cookie = ("cookie", session);
    let department = {
        let mut c = chorus_store::Store::connect(&db).await?.conn().await?;
        let d = chorus_store::departments::list(&mut c, org.id).await?;
        d.first().map(|d| d.id).context("a department")?
    };
    let scenarios = [
        ("page GET /leaderboard (month)", format!("{base}/leaderboard")),
        ("page, all time", format!("{base}/leaderboard?period=all")),
        ("page, one department, week", format!("{base}/leaderboard?period=week&department={department}")),
    ];
    println!("{:<36} {:>8} {:>8} {:>8} {:>7}", "scenario", "req/s", "p50 ms", "p99 ms", "errors");
    let mut worst = 0.0f64;
    for (name, url) in scenarios {
        let (rps, p50, p99, errors) =
            super::bench::load(&client, &url, &cookie, args.concurrency, Duration::from_secs(args.seconds))
                .await;
        worst = worst.max(p99);
        println!("{name:<36} {rps:>8.0} {p50:>8.2} {p99:>8.2} {errors:>7}");
    }
    println!("slowest p99 {worst:.1} ms (target < 30 ms: {})", if worst < 30.0 { "met" } else { "MISSED" });
    crate::bench::ask_to_stop(child.id());
    let _ = child.wait();
    if args.keep {
        println!("kept the database: {db}");
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}
