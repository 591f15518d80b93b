//! Dead letters: background jobs that used every attempt, shown to the social team with their
//! last error and a "retry now".
//!
//! Payloads are never shown (an e-mail job carries a message, perhaps a sign-in link); each kind
//! is described in words, and a publish job links to its post. Retrying a publish job also puts
//! a failed post back on the calendar, since the job only publishes posts that are waiting; an
//! unconfirmed post is refused, because it may already be out.

use chorus_domain::{Action, JobId, PostId, authorize, clock::to_millis, publishing::PostStatus};
use chorus_jobs::Job as _;
use chorus_store::{jobs, posts};
use time::OffsetDateTime;

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    publishing::PublishPost,
};

#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: JobId,
    pub kind: String,
    /// The kind in words ("Publish a post").
    pub what: &'static str,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub failed_at: OffsetDateTime,
    /// The post a publish job was for.
    pub post: Option<PostId>,
}

fn describe(kind: &str) -> &'static str {
    match kind {
        PublishPost::KIND => "Publish a post",
        crate::mail::SendEmail::KIND => "Send an e-mail",
        crate::previews::FetchPreview::KIND => "Fetch a link preview",
        crate::chat::ChatPost::KIND => "Post to Slack or Teams",
        _ => "Background task",
    }
}

fn letter(job: jobs::JobSummary) -> DeadLetter {
    let post = (job.kind == PublishPost::KIND)
        .then(|| serde_json::from_str::<PublishPost>(&job.payload).ok().map(|p| p.post))
        .flatten();
    DeadLetter {
        id: job.id,
        what: describe(&job.kind),
        kind: job.kind,
        attempts: job.attempts,
        last_error: job.last_error,
        failed_at: job.updated_at,
        post,
    }
}

/// The organization's dead jobs, most recent first (at most 200).
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<DeadLetter>> {
    authorize(&caller.actor, Action::HandleFailedJobs)?;
    let mut db = app.store.conn().await?;
    Ok(jobs::dead_of_org(&mut db, caller.org_id(), 200).await?.into_iter().map(letter).collect())
}

/// Queues a dead job again, due now, with a fresh set of attempts.
pub async fn retry_now(app: &App, caller: &Caller, id: JobId) -> Result<DeadLetter> {
    authorize(&caller.actor, Action::HandleFailedJobs)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let job = jobs::get_of_org(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    if job.state != "dead" {
        return Err(Error::Conflict("this job is not waiting for a retry any more".into()));
    }
    if job.kind == PublishPost::KIND {
        let publish: PublishPost =
            serde_json::from_str(&job.payload).map_err(|e| anyhow::anyhow!("publish job payload: {e}"))?;
        let post = posts::get(&mut tx, org, publish.post).await?.ok_or(Error::NotFound)?;
        if to_millis(post.scheduled_at) != publish.scheduled_at {
            return Err(Error::Conflict("the post was rescheduled since; its new time stands".into()));
        }
        match post.status.parse::<PostStatus>()? {
            PostStatus::Failed => {
                let waiting = posts::Change::default();
                if !posts::transition(
                    &mut tx,
                    post.id,
                    post.version,
                    PostStatus::Scheduled.as_str(),
                    &waiting,
                    now,
                )
                .await?
                {
                    return Err(Error::Conflict("the post changed meanwhile; reload and try again".into()));
                }
            }
            PostStatus::Scheduled => {}
            PostStatus::Unconfirmed => {
                return Err(Error::Conflict(
                    "the post may already be out: check the channel, then confirm it or schedule it again"
                        .into(),
                ));
            }
            other => {
                return Err(Error::Conflict(format!("the post is {other}; there is nothing to retry")));
            }
        }
    }
    if !jobs::revive(&mut tx, org, id, now).await? {
        return Err(Error::Conflict("this job is not waiting for a retry any more".into()));
    }
    audit::record(&mut tx, org, caller, now, Entry::new("job.retried").target("job", id)).await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(letter(job))
}
