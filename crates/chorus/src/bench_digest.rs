//! `chorus bench digest`: an organization of `--people` (50,000 by default) gets its weekly
//! "wins" digest — every person's e-mail rendered (plain text and HTML, with its own signed
//! unsubscribe link) and queued through the job queue in multi-row batches — and then one
//! company-wide announcement fanned out to everyone (in-app notifications and the e-mail jobs
//! of those who want announcements right away). Prints both times and what was written.
//!
//! A benchmark, not a test: results go in docs/benchmarks.md.

use chorus_app::{announcements, digests, me::Caller};
use chorus_domain::{
    DepartmentId, NotificationId, Role, UserId, UserStatus,
    notify::{Cadence, DigestSchedule},
};
use std::time::Instant;
use time::{Duration, OffsetDateTime};

#[derive(clap::Args, Debug, Clone)]
pub struct DigestArgs {
    /// People in the organization.
    #[arg(long, default_value_t = 50_000)]
    people: usize,
}

pub async fn run(database_url: Option<String>, args: DigestArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.people >= 10, "bad sizes");
    let bench = super::bench_queue::Bench::new(database_url)?;
    let storage = bench.storage();
    let store = super::open_store(&storage).await?;
    // An app that sends e-mail (the jobs are only queued here, never run).
    let mail = super::MailArgs {
        smtp_url: Some("smtp://127.0.0.1:2".into()),
        mail_from: "Chorus <chorus@bench.test>".into(),
        digest_weekday: "monday".into(),
        digest_hour: 8,
    };
    let content = super::ContentArgs {
        max_image_mb: 25,
        max_video_mb: 500,
        max_audio_mb: 200,
        max_pdf_mb: 50,
        allow_private_previews: false,
        allow_private_feeds: false,
        feed_allow_hosts: Vec::new(),
        allow_private_sso: false,
    };
    let app = super::build_app(
        &storage,
        store,
        &mail,
        &content,
        super::Tuning::default(),
        "https://chorus.bench.test".into(),
        super::Keys::CreateIfMissing,
    )
    .await?;
    println!("chorus bench digest on {}: {} people", bench.backend, args.people);
    let started = Instant::now();
    let org = chorus_app::orgs::create(&app, "Digest Co").await.map_err(super::cli_error)?.id;
    let now = OffsetDateTime::now_utc();
    let end = DigestSchedule::default().period_end(Cadence::Weekly, now);
    let week_ago = end - Duration::DAY * 3;
    let mut tx = app.store.tx().await?;
    let departments: Vec<DepartmentId> = (0..20).map(|_| DepartmentId::new()).collect();
    for (i, d) in departments.iter().enumerate() {
        chorus_store::departments::insert(&mut tx, org, *d, &format!("Department {i:02}"), now).await?;
    }
    let mut people = Vec::with_capacity(args.people);
    for i in 0..args.people {
        let id = UserId::new();
        let (email, name) = (format!("person{i}@digest.test"), format!("Person {i}"));
        chorus_store::users::insert(
            &mut tx,
            &chorus_store::users::NewUser {
                id,
                org_id: org,
                email: &email,
                name: &name,
                title: None,
                seniority: Some(1 + (i % 5) as i64),
                role: if i == 0 { Role::Admin } else { Role::Employee },
                department_id: Some(departments[i % departments.len()]),
                status: UserStatus::Active,
                password_hash: None,
                now,
            },
        )
        .await?;
        people.push(id);
        // One in fifty turned the digest off; one in five wants comments weekly and has one.
        if i % 50 == 7 {
            chorus_store::preferences::set(&mut tx, org, id, "digest.weekly", "off", now).await?;
        }
        if i % 5 == 3 {
            chorus_store::preferences::set(&mut tx, org, id, "comment", "weekly", now).await?;
        }
    }
    let notes: Vec<chorus_store::notifications::Notification> = people
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 5 == 3)
        .map(|(i, &u)| chorus_store::notifications::Notification {
            id: NotificationId::new(),
            user_id: u,
            kind: "comment".into(),
            title: format!("Person {} commented on “Our new office opens”", i + 1),
            link: "/submissions/00000000-0000-0000-0000-000000000000".into(),
            read_at: None,
            created_at: week_ago,
        })
        .collect();
    chorus_store::notifications::insert_many(&mut tx, org, &notes).await?;
    tx.commit().await?;
    app.store.analyze().await?;
    println!("seeded {} people in {:.1} s", args.people, started.elapsed().as_secs_f64());

    let t = Instant::now();
    let emails = digests::run_period(&app, org, Cadence::Weekly, end).await.map_err(super::cli_error)?;
    let digest_s = t.elapsed().as_secs_f64();
    println!(
        "weekly digest: {} e-mails rendered (text + HTML) and queued in {:.2} s ({:.0} per second)",
        emails.unwrap_or(0),
        digest_s,
        emails.unwrap_or(0) as f64 / digest_s
    );
    let again = digests::run_period(&app, org, Cadence::Weekly, end).await.map_err(super::cli_error)?;
    println!("claimed again for the same period: {:?} (none: exactly once)", again);

    let t = Instant::now();
    let (_, fan_out) = announcements::publish(
        &app,
        &Caller::operator(org),
        &announcements::Draft {
            title: "The new office opens on Monday".into(),
            body: "Come and see it: **coffee** on the house all week.".into(),
            department_id: None,
            pinned: true,
        },
    )
    .await
    .map_err(super::cli_error)?;
    let fan_s = t.elapsed().as_secs_f64();
    println!(
        "announcement fan-out: {} in-app notifications and {} e-mail jobs written in {:.2} s",
        fan_out.notified, fan_out.emails_queued, fan_s
    );
    Ok(())
}
