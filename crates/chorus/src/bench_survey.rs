//! `chorus bench survey`: a `--people`-person organization (50,000 by default) answers a
//! `--questions`-question anonymous survey (30) through a real `chorus serve` over HTTP, each
//! response from its own person with their own API token, `--concurrency` at a time. Prints the
//! intake rate and latency, then closes the survey and times the full report (every department
//! and band, every topic, k-suppression with its differencing check) over HTTP.
//!
//! A benchmark, not a test: results go in docs/benchmarks.md.

use chorus_app::{
    me::Caller,
    surveys::{self, QuestionInput, SurveyInput},
};
use chorus_domain::{DepartmentId, Role, TokenId, UserId, UserStatus};
use serde_json::{Value, json};
use std::{
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use time::OffsetDateTime;

#[derive(clap::Args, Debug, Clone)]
pub struct SurveyArgs {
    /// People in the organization.
    #[arg(long, default_value_t = 50_000)]
    people: usize,
    /// Questions in the survey.
    #[arg(long, default_value_t = 30)]
    questions: usize,
    /// Responses sent (each by a different person; at most --people).
    #[arg(long, default_value_t = 20_000)]
    responses: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Times the report is fetched (the figures are the median and the slowest).
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

/// xorshift64*: deterministic answers and group sizes.
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

const TOPICS: [&str; 8] = [
    "X basics",
    "LinkedIn",
    "Reddit basics",
    "Mastodon basics",
    "Bluesky basics",
    "Brand policy",
    "Video",
    "Habits",
];

fn token_secret(i: usize) -> String {
    format!("{}bench{i:010}", chorus_app::tokens::PREFIX)
}

/// Forty departments of very different sizes (the last five of three people each, under k),
/// people spread over them and over seniority 1–5; an API token for each of the first
/// `responses` people.
async fn seed(app: &chorus_app::App, org: chorus_domain::OrgId, args: &SurveyArgs) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let mut tx = app.store.tx().await?;
    let departments: Vec<DepartmentId> = (0..40).map(|_| DepartmentId::new()).collect();
    for (i, d) in departments.iter().enumerate() {
        chorus_store::departments::insert(&mut tx, org, *d, &format!("Department {i:02}"), now).await?;
    }
    // Department i gets a share proportional to 1/(i+1): a few large ones, a long tail.
    const TINY: usize = 5;
    let weights: Vec<f64> = (0..departments.len() - TINY).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    let total: f64 = weights.iter().sum();
    for i in 0..args.people {
        let mut pick = (rng.below(1_000_000) as f64 / 1_000_000.0) * total;
        let mut d = weights.len() - 1;
        for (j, w) in weights.iter().enumerate() {
            if pick < *w {
                d = j;
                break;
            }
            pick -= w;
        }
        // The first few people (who all answer) fill the tiny departments.
        if i > 0 && i <= 3 * TINY {
            d = departments.len() - TINY + (i - 1) / 3;
        }
        let id = UserId::new();
        let email = format!("person{i}@survey.test");
        let name = format!("Person {i}");
        let user = chorus_store::users::NewUser {
            id,
            org_id: org,
            email: &email,
            name: &name,
            title: None,
            seniority: Some(1 + rng.below(5) as i64),
            role: if i == 0 { Role::Admin } else { Role::Employee },
            department_id: Some(departments[d]),
            status: UserStatus::Active,
            password_hash: None,
            now,
        };
        chorus_store::users::insert(&mut tx, &user).await?;
        if i < args.responses.max(1) {
            let secret = token_secret(i);
            let prefix: String = secret.chars().take(chorus_app::tokens::PREFIX.len() + 6).collect();
            let token = chorus_store::tokens::NewToken {
                id: TokenId::new(),
                org_id: org,
                user_id: id,
                label: "bench",
                token_hash: &chorus_app::security::sha256_hex(&secret),
                prefix: &prefix,
                now,
            };
            chorus_store::tokens::insert(&mut tx, &token).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A survey of `n` questions: mostly scored multiple choice over eight topics, with scales,
/// yes/no with a follow-up, and open questions among them.
async fn survey(app: &chorus_app::App, caller: &Caller, n: usize) -> anyhow::Result<chorus_domain::SurveyId> {
    let err = super::cli_error;
    let input = SurveyInput { title: "Social media knowledge, company-wide".into(), ..Default::default() };
    let s = surveys::create(app, caller, input).await.map_err(err)?;
    for i in 0..n {
        let topic = TOPICS[i % TOPICS.len()].to_owned();
        let q = match i % 10 {
            7 => QuestionInput {
                kind: "likert".into(),
                prompt: format!("How often do you use network {i}?"),
                options: ["Never", "Monthly", "Weekly", "Daily"].map(String::from).to_vec(),
                topics: vec!["Habits".into()],
                ..Default::default()
            },
            8 => QuestionInput {
                kind: "yes_no".into(),
                prompt: format!("Do you follow the company's account {i}?"),
                follow_up: Some("Why or why not?".into()),
                topics: vec!["Habits".into()],
                ..Default::default()
            },
            9 => QuestionInput {
                kind: "text".into(),
                prompt: format!("What would help you share more ({i})?"),
                topics: vec!["Open".into()],
                ..Default::default()
            },
            _ => QuestionInput {
                kind: "choice".into(),
                prompt: format!("Knowledge question {i} about {topic}"),
                options: ["A", "B", "C", "D"].map(String::from).to_vec(),
                correct: Some((i % 4) as i64),
                topics: vec![topic],
                ..Default::default()
            },
        };
        surveys::add_question(app, caller, s.id, q).await.map_err(err)?;
    }
    surveys::open(app, caller, s.id).await.map_err(err)?;
    Ok(s.id)
}

/// Person `i`'s answers: topic t is known by about (30 + 8t) % of people, so gaps differ.
fn answers(questions: &[Value], i: usize) -> Value {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64).wrapping_mul(0x1000_0000_01b3));
    let items: Vec<Value> = questions
        .iter()
        .enumerate()
        .map(|(n, q)| {
            let id = q["id"].clone();
            match q["kind"].as_str() {
                Some("text") => json!({"question_id": id, "text": "More examples from colleagues"}),
                Some("yes_no") => json!({"question_id": id, "option": rng.below(2), "text": "It is useful"}),
                Some("likert") => json!({"question_id": id, "option": rng.below(4)}),
                _ => {
                    let correct = (n % 4) as u64;
                    let knows = rng.below(100) < 30 + 8 * (n % TOPICS.len()) as u64;
                    json!({"question_id": id, "option": if knows { correct } else { (correct + 1) % 4 }})
                }
            }
        })
        .collect();
    json!({ "answers": items })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn run(database_url: Option<String>, args: SurveyArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.people >= 10 && args.questions >= 1 && args.runs > 0 && args.concurrency > 0,
        "bad sizes"
    );
    let responses = args.responses.min(args.people);
    let bench = super::bench_queue::Bench::new(database_url)?;
    let storage = bench.storage();
    super::keyring(&storage, super::Keys::CreateIfMissing)?;
    let _ = super::open_store(&storage).await?;
    let app = super::cli_app(&storage).await?;
    println!(
        "chorus bench survey on {}: {} people, {} questions, {} responses, {} at a time",
        bench.backend, args.people, args.questions, responses, args.concurrency
    );
    let started = Instant::now();
    let org = chorus_app::orgs::create(&app, "Survey Co").await.map_err(super::cli_error)?;
    seed(&app, org.id, &SurveyArgs { responses, ..args.clone() }).await?;
    let id = survey(&app, &Caller::operator(org.id), args.questions).await?;
    println!(
        "seeded the organization, its tokens and the survey in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let exe = std::env::current_exe()?;
    let db = storage.database_url.clone().unwrap_or_default();
    let (mut child, base, _) = super::bench::start_server(&exe, &db, &[], Stdio::inherit()).await?;
    let result = load(&base, id, responses, &args).await;
    crate::bench::ask_to_stop(child.id());
    let _ = child.wait();
    result
}

async fn load(
    base: &str,
    id: chorus_domain::SurveyId,
    responses: usize,
    args: &SurveyArgs,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let admin = token_secret(0);
    let survey: Value =
        client.get(format!("{base}/api/v1/surveys/{id}")).bearer_auth(&admin).send().await?.json().await?;
    let questions: Vec<Value> = survey["questions"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(questions.len() == args.questions, "the survey has {} questions", questions.len());
    let questions = Arc::new(questions);

    // Intake: every response from a different person, `concurrency` in flight.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (client, next, questions, base) =
            (client.clone(), Arc::clone(&next), Arc::clone(&questions), base.to_owned());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut refused = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= responses {
                    break;
                }
                let body = answers(&questions, i);
                let sent = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/surveys/{id}/responses"))
                    .bearer_auth(token_secret(i))
                    .json(&body)
                    .send()
                    .await;
                latencies.push(sent.elapsed());
                match res {
                    Ok(r) if r.status() == 201 => {}
                    _ => refused += 1,
                }
            }
            (latencies, refused)
        });
    }
    let mut latencies = Vec::with_capacity(responses);
    let mut refused = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, r) = done?;
        latencies.extend(l);
        refused += r;
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let rate = responses as f64 / secs;
    println!(
        "intake: {responses} responses in {secs:.1} s = {rate:.0} responses/s; p50 {:.1} ms, p99 {:.1} ms; refused {refused} (target ≥ 1,000/s on SQLite: {})",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        if rate >= 1_000.0 { "met" } else { "MISSED" }
    );
    anyhow::ensure!(refused == 0, "{refused} responses were refused");

    // Close: the last responses waiting in the ballot box are moved.
    let sent = Instant::now();
    let closed = client.post(format!("{base}/api/v1/surveys/{id}/close")).bearer_auth(&admin).send().await?;
    anyhow::ensure!(closed.status() == 200, "close: {}", closed.status());
    println!("closing (moves what still waits): {:.0} ms", sent.elapsed().as_secs_f64() * 1e3);

    // The full report, over HTTP.
    let mut times = Vec::new();
    let mut last = Value::Null;
    for _ in 0..args.runs {
        let sent = Instant::now();
        let res = client.get(format!("{base}/api/v1/surveys/{id}/report")).bearer_auth(&admin).send().await?;
        anyhow::ensure!(res.status() == 200, "report: {}", res.status());
        last = res.json().await?;
        times.push(sent.elapsed());
    }
    times.sort();
    let median = percentile(&times, 0.5).as_secs_f64() * 1e3;
    let columns = last["columns"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        last["responses"].as_u64() == Some(responses as u64),
        "the report counts {} responses",
        last["responses"]
    );
    println!(
        "report: {} responses, {} columns shown (everyone + departments and bands of at least k), {} groups hidden, {} topics; median {median:.1} ms, slowest {:.1} ms over {} runs (target < 200 ms: {})",
        last["responses"],
        columns,
        last["hidden_groups"],
        last["topics"].as_array().map_or(0, Vec::len),
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        args.runs,
        if median < 200.0 { "met" } else { "MISSED" }
    );
    println!("weakest topic: {}", last["weakest_topic"]);
    Ok(())
}
