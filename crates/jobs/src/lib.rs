//! The durable job queue, in the Chorus database (no Redis).
//!
//! Semantics ("no lost, no duplicate" in effect):
//! - a job is enqueued in the same transaction as the change that calls for it;
//! - a worker claims it in a short transaction that sets a lease and a fresh fencing token, runs
//!   it outside any transaction, extends the lease with heartbeats, and finishes it only if its
//!   token still matches — a worker whose lease expired cannot overwrite a newer attempt;
//! - failures retry with exponential back-off until `MAX_ATTEMPTS`, then the job is dead (kept,
//!   with its last error, for an operator to look at);
//! - handlers receive ids, re-read state, and are idempotent, because an attempt may be repeated
//!   when a worker dies after doing the work but before recording it.

use anyhow::Context as _;
use chorus_domain::{Clock, JobId, OrgId};
use chorus_store::{Db, Store, jobs as sql};
use serde::{Serialize, de::DeserializeOwned};
use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc, time::Duration};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tracing::Instrument as _;

/// A kind of job: its payload type, name and retry budget.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// Stable name stored in the `jobs.kind` column: never rename one that may be queued.
    const KIND: &'static str;
    const MAX_ATTEMPTS: i64 = 8;
    /// Among jobs that are due, higher runs first.
    const PRIORITY: i32 = 0;
}

/// Adds a job inside the caller's transaction; call [`Queue::wake`] after committing.
pub async fn enqueue<J: Job>(
    db: &mut impl Db,
    job: &J,
    org: Option<OrgId>,
    now: OffsetDateTime,
) -> anyhow::Result<JobId> {
    enqueue_at(db, job, org, now, now).await
}

/// Adds a job that becomes due at `run_at` (a scheduled post), inside the caller's transaction.
pub async fn enqueue_at<J: Job>(
    db: &mut impl Db,
    job: &J,
    org: Option<OrgId>,
    run_at: OffsetDateTime,
    now: OffsetDateTime,
) -> anyhow::Result<JobId> {
    let id = JobId::new();
    let payload = serde_json::to_string(job).context("serialize job payload")?;
    sql::enqueue(
        db,
        &sql::NewJob {
            id,
            org_id: org,
            kind: J::KIND,
            payload: &payload,
            run_at,
            max_attempts: J::MAX_ATTEMPTS,
            priority: J::PRIORITY,
            now,
        },
    )
    .await
    .with_context(|| format!("enqueue {} job", J::KIND))?;
    Ok(id)
}

/// Adds many jobs of one kind with multi-row statements, inside the caller's transaction (a
/// digest or an announcement for thousands of people); call [`Queue::wake`] after committing.
pub async fn enqueue_many<J: Job>(
    db: &mut impl Db,
    jobs: &[J],
    org: Option<OrgId>,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let batch = jobs
        .iter()
        .map(|j| {
            Ok(sql::BatchJob {
                id: JobId::new(),
                payload: serde_json::to_string(j).context("serialize job payload")?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let template = sql::NewJob {
        id: JobId::new(),
        org_id: org,
        kind: J::KIND,
        payload: "",
        run_at: now,
        max_attempts: J::MAX_ATTEMPTS,
        priority: J::PRIORITY,
        now,
    };
    sql::enqueue_many(db, &template, &batch).await.with_context(|| format!("enqueue {} jobs", J::KIND))?;
    Ok(())
}

/// How long to wait before attempt `n + 1` after attempt `n` failed: about 2 s, 4 s, 8 s, … up to
/// an hour, each stretched by up to a quarter at random so retries of many jobs that failed
/// together (a network outage) do not return together.
pub fn backoff(attempts: i64) -> time::Duration {
    let base = backoff_base(attempts);
    let mut byte = [0u8; 1];
    let jitter = if getrandom::fill(&mut byte).is_ok() { f64::from(byte[0]) / 255.0 * 0.25 } else { 0.0 };
    base + base * jitter
}

fn backoff_base(attempts: i64) -> time::Duration {
    let exp = u32::try_from(attempts.clamp(1, 12)).unwrap_or(12);
    time::Duration::seconds((1_i64 << exp).min(3600))
}

/// A handler's error meaning "try again after this long" (a network's `429` with `Retry-After`):
/// the retry waits at least that long instead of the usual back-off.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("asked to retry after {} s", .0.as_secs())]
pub struct RetryAfter(pub Duration);

/// A handler's error meaning "this will fail the same way every time" (a webhook answering 404):
/// the job goes dead at once, with this error as its last error, instead of using its retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Permanent(pub String);

type BoxFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type HandlerFn = Arc<dyn Fn(String) -> BoxFuture + Send + Sync>;

type DeadFn = Arc<dyn Fn(String, String) -> BoxFuture + Send + Sync>;

/// Which function handles which kind of job (and, optionally, what to do when one fails for good).
#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, HandlerFn>,
    dead: HashMap<&'static str, DeadFn>,
    /// The priority levels of the registered kinds, highest first (claims go level by level).
    priorities: Vec<i32>,
}

impl Registry {
    /// Runs `f(job, last error)` once a job of this kind has used its last attempt, so the
    /// thing it was for can say so (a post that could not be published is marked failed).
    pub fn on_dead<J, F, Fut>(&mut self, f: F)
    where
        J: Job,
        F: Fn(J, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let f = Arc::new(f);
        self.dead.insert(
            J::KIND,
            Arc::new(move |payload: String, error: String| {
                let f = Arc::clone(&f);
                Box::pin(async move {
                    let job: J = serde_json::from_str(&payload)
                        .with_context(|| format!("decode {} payload", J::KIND))?;
                    f(job, error).await
                }) as BoxFuture
            }),
        );
    }

    pub fn register<J, F, Fut>(&mut self, handler: F)
    where
        J: Job,
        F: Fn(J) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        if !self.priorities.contains(&J::PRIORITY) {
            self.priorities.push(J::PRIORITY);
            self.priorities.sort_unstable_by(|a, b| b.cmp(a));
        }
        self.handlers.insert(
            J::KIND,
            Arc::new(move |payload: String| {
                let handler = Arc::clone(&handler);
                Box::pin(async move {
                    let job: J = serde_json::from_str(&payload)
                        .with_context(|| format!("decode {} payload", J::KIND))?;
                    handler(job).await
                }) as BoxFuture
            }),
        );
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Jobs run at once by one worker process.
    pub concurrency: i64,
    /// How long a claim is valid without a heartbeat.
    pub lease: Duration,
    /// The longest a single attempt may run.
    pub timeout: Duration,
    /// Fallback poll interval (wake-ups within a process are immediate).
    pub poll: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(120),
            poll: Duration::from_secs(1),
        }
    }
}

/// The queue as seen by one process: it runs jobs and can be woken when new ones arrive.
#[derive(Clone)]
pub struct Queue {
    store: Store,
    clock: Arc<dyn Clock>,
    registry: Arc<Registry>,
    wake: Arc<Notify>,
    config: Config,
}

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Retry,
    Dead,
    /// Our lease was lost meanwhile: another worker owns the job; we recorded nothing.
    LeaseLost,
}

impl Queue {
    pub fn new(store: Store, clock: Arc<dyn Clock>, registry: Registry, config: Config) -> Self {
        Self { store, clock, registry: Arc::new(registry), wake: Arc::new(Notify::new()), config }
    }

    /// Tells this process's runner that a job was just committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs every job that is due now, one batch after another, and returns how many attempts
    /// ran. Tests and the CLI use this instead of a background runner.
    pub async fn run_pending(&self) -> anyhow::Result<usize> {
        let mut ran = 0;
        loop {
            let batch = self.claim_up_to(self.config.concurrency).await?;
            if batch.is_empty() {
                return Ok(ran);
            }
            ran += batch.len();
            for job in batch {
                self.execute(job).await?;
            }
        }
    }

    /// Runs jobs until `shutdown` resolves, then lets the attempts in flight finish.
    pub async fn run_until(&self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let mut in_flight = tokio::task::JoinSet::new();
        loop {
            let free = self.config.concurrency - i64::try_from(in_flight.len()).unwrap_or(i64::MAX);
            let claimed = if free > 0 {
                match self.claim_up_to(free).await {
                    Ok(batch) => batch,
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "Could not claim jobs; retrying");
                        Vec::new()
                    }
                }
            } else {
                Vec::new()
            };
            let got = !claimed.is_empty();
            for job in claimed {
                let queue = self.clone();
                in_flight.spawn(async move {
                    if let Err(e) = queue.execute(job).await {
                        tracing::warn!(error = %format!("{e:#}"), "Could not record a job outcome");
                    }
                });
            }
            if got && free > 0 {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = self.wake.notified() => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    async fn claim_up_to(&self, limit: i64) -> anyhow::Result<Vec<sql::Claimed>> {
        let now = self.clock.now();
        let lease_until = now + self.config.lease;
        let mut tx = self.store.tx().await.context("begin claim")?;
        let batch = sql::claim(&mut tx, now, lease_until, limit, &self.registry.priorities)
            .await
            .context("claim jobs")?;
        tx.commit().await.context("commit claim")?;
        Ok(batch)
    }

    /// Runs one claimed attempt with heartbeats and a timeout, then records the outcome.
    async fn execute(&self, job: sql::Claimed) -> anyhow::Result<Outcome> {
        let span =
            tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind, job.attempt = job.attempts);
        self.attempt(job).instrument(span).await
    }

    async fn attempt(&self, job: sql::Claimed) -> anyhow::Result<Outcome> {
        let result = match self.registry.handlers.get(job.kind.as_str()) {
            None => Err(anyhow::anyhow!("no handler for job kind {:?}", job.kind)),
            Some(handler) => {
                let work = handler(job.payload.clone());
                let heartbeat = self.heartbeat(job.id, job.lease_token);
                tokio::select! {
                    r = tokio::time::timeout(self.config.timeout, work) => {
                        r.unwrap_or_else(|_| Err(anyhow::anyhow!("timed out after {:?}", self.config.timeout)))
                    }
                    () = heartbeat => Err(anyhow::anyhow!("lease lost while running")),
                }
            }
        };
        let now = self.clock.now();
        let mut conn = self.store.conn().await.context("record job outcome")?;
        let (recorded, outcome) = match result {
            Ok(()) => (sql::complete(&mut conn, job.id, job.lease_token).await?, Outcome::Done),
            Err(e) => {
                let error = format!("{e:#}");
                let wait = match e.downcast_ref::<RetryAfter>() {
                    Some(RetryAfter(asked)) => time::Duration::try_from(*asked)
                        .unwrap_or(time::Duration::HOUR)
                        .max(time::Duration::SECOND),
                    None => backoff(job.attempts),
                };
                let permanent = e.downcast_ref::<Permanent>().is_some();
                let retry_at = (job.attempts < job.max_attempts && !permanent).then(|| now + wait);
                let outcome = if retry_at.is_some() { Outcome::Retry } else { Outcome::Dead };
                if outcome == Outcome::Dead {
                    tracing::error!(error = %error, "Job {} failed for good after {} attempts", job.kind, job.attempts);
                    if let Some(dead) = self.registry.dead.get(job.kind.as_str())
                        && let Err(e) = dead(job.payload.clone(), error.clone()).await
                    {
                        tracing::error!(error = %format!("{e:#}"), "Could not record a dead {} job", job.kind);
                    }
                } else {
                    tracing::warn!(error = %error, "Job {} failed; will retry", job.kind);
                }
                (sql::fail(&mut conn, job.id, job.lease_token, &error, retry_at, now).await?, outcome)
            }
        };
        Ok(if recorded { outcome } else { Outcome::LeaseLost })
    }

    /// Extends the lease until the attempt ends; returns only if the lease was lost.
    async fn heartbeat(&self, id: JobId, token: uuid::Uuid) {
        let every = self.config.lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let until = self.clock.now() + self.config.lease;
            let kept = match self.store.conn().await {
                Ok(mut c) => sql::heartbeat(&mut c, id, token, until).await.unwrap_or(true),
                Err(_) => true, // a passing database hiccup: try again next beat
            };
            if !kept {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        assert_eq!(backoff_base(1), time::Duration::seconds(2));
        assert_eq!(backoff_base(2), time::Duration::seconds(4));
        assert_eq!(backoff_base(30), time::Duration::seconds(3600));
        for attempts in [1, 5, 30] {
            let b = backoff(attempts);
            assert!(b >= backoff_base(attempts) && b <= backoff_base(attempts) * 1.25, "{b}");
        }
    }
}
