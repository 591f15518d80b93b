//! Posts: one submission placed on one channel. Every state change is a compare-and-set on
//! `version`, so two workers (or a worker and a person rescheduling) never both win.

use crate::{Db, Result, run};
use chorus_domain::{
    ChannelId, OrgId, PostId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub org_id: OrgId,
    pub submission_id: SubmissionId,
    pub submission_title: String,
    pub channel_id: ChannelId,
    pub channel_name: String,
    pub network: String,
    pub text: String,
    pub status: String,
    pub scheduled_at: OffsetDateTime,
    pub version: i64,
    pub attempt_started_at: Option<OffsetDateTime>,
    pub attempts: i64,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub last_error: Option<String>,
    pub published_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    /// The images it carries (media ids); `None`: every image of the submission.
    pub media: Option<Vec<Uuid>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    org_id: Uuid,
    submission_id: Uuid,
    submission_title: String,
    channel_id: Uuid,
    channel_name: String,
    network: String,
    text: String,
    status: String,
    scheduled_at: i64,
    version: i64,
    attempt_started_at: Option<i64>,
    attempts: i64,
    external_id: Option<String>,
    external_url: Option<String>,
    last_error: Option<String>,
    published_at: Option<i64>,
    created_at: i64,
    media: Option<String>,
}

impl From<Row> for Post {
    fn from(r: Row) -> Self {
        Post {
            id: r.id.into(),
            org_id: r.org_id.into(),
            submission_id: r.submission_id.into(),
            submission_title: r.submission_title,
            channel_id: r.channel_id.into(),
            channel_name: r.channel_name,
            network: r.network,
            text: r.text,
            status: r.status,
            scheduled_at: from_millis(r.scheduled_at),
            version: r.version,
            attempt_started_at: r.attempt_started_at.map(from_millis),
            attempts: r.attempts,
            external_id: r.external_id,
            external_url: r.external_url,
            last_error: r.last_error,
            published_at: r.published_at.map(from_millis),
            created_at: from_millis(r.created_at),
            media: r.media.and_then(|m| serde_json::from_str(&m).ok()),
        }
    }
}

macro_rules! post_sql {
    ($tail:literal) => {
        concat!(
            "select p.id, p.org_id, p.submission_id, s.title as submission_title, p.channel_id, \
             c.name as channel_name, c.network, p.text, p.status, p.scheduled_at, p.version, \
             p.attempt_started_at, p.attempts, p.external_id, p.external_url, p.last_error, \
             p.published_at, p.created_at, p.media \
             from posts p join submissions s on s.id = p.submission_id join channels c on c.id = p.channel_id ",
            $tail
        )
    };
}

pub struct NewPost<'a> {
    pub id: PostId,
    pub submission_id: SubmissionId,
    pub channel_id: ChannelId,
    pub text: &'a str,
    pub scheduled_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    /// `None`: every image of the submission.
    pub media: Option<&'a [Uuid]>,
}

pub async fn insert(db: &mut impl Db, org: OrgId, p: &NewPost<'_>, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into posts (id, org_id, submission_id, channel_id, text, status, scheduled_at, \
         version, created_by, created_at, updated_at, media) \
         values ($1, $2, $3, $4, $5, 'scheduled', $6, 1, $7, $8, $8, $9)";
    let media = p.media.map(|m| serde_json::to_string(m).unwrap_or_else(|_| "[]".into()));
    run!(db, |c| sqlx::query(SQL)
        .bind(p.id.0)
        .bind(org.0)
        .bind(p.submission_id.0)
        .bind(p.channel_id.0)
        .bind(p.text)
        .bind(to_millis(p.scheduled_at))
        .bind(p.created_by.map(|u| u.0))
        .bind(to_millis(now))
        .bind(media.as_deref())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: PostId) -> Result<Option<Post>> {
    const SQL: &str = post_sql!("where p.org_id = $1 and p.id = $2");
    let row: Option<Row> =
        run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Post::from))
}

/// A post by id alone, for the publish job (its payload carries the id; the organization comes
/// from the row).
pub async fn get_any(db: &mut impl Db, id: PostId) -> Result<Option<Post>> {
    const SQL: &str = post_sql!("where p.id = $1");
    let row: Option<Row> = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Post::from))
}

/// Posts between two times, optionally of one channel, in time order (calendar, lists).
pub async fn between(
    db: &mut impl Db,
    org: OrgId,
    channel: Option<ChannelId>,
    from: OffsetDateTime,
    to: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Post>> {
    const SQL: &str = post_sql!(
        "where p.org_id = $1 and ($2 is null or p.channel_id = $2) and p.scheduled_at >= $3 and p.scheduled_at < $4 \
         order by p.scheduled_at, p.id limit $5"
    );
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(channel.map(|c| c.0))
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(Post::from).collect())
}

pub async fn of_submission(db: &mut impl Db, org: OrgId, submission: SubmissionId) -> Result<Vec<Post>> {
    const SQL: &str = post_sql!("where p.org_id = $1 and p.submission_id = $2 order by p.scheduled_at, p.id");
    let rows: Vec<Row> =
        run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(submission.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Post::from).collect())
}

/// A channel's posts still waiting whose time has come: held while the channel needed attention.
pub async fn overdue_of_channel(
    db: &mut impl Db,
    org: OrgId,
    channel: ChannelId,
    now: OffsetDateTime,
) -> Result<Vec<Post>> {
    const SQL: &str = post_sql!(
        "where p.org_id = $1 and p.channel_id = $2 and p.status = 'scheduled' and p.scheduled_at <= $3 \
         order by p.scheduled_at, p.id"
    );
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(channel.0)
        .bind(to_millis(now))
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(Post::from).collect())
}

/// The times of a channel's posts that take a place in its cadence, near `around` (a day and
/// the given spacing either side is all the guard looks at, but "next free slot" may look far
/// ahead, so the window is the caller's).
pub async fn taken_slots(
    db: &mut impl Db,
    channel: ChannelId,
    from: OffsetDateTime,
    to: OffsetDateTime,
    except: Option<PostId>,
) -> Result<Vec<OffsetDateTime>> {
    const SQL: &str = "select scheduled_at from posts where channel_id = $1 and scheduled_at >= $2 \
         and scheduled_at < $3 and status not in ('cancelled', 'failed') and ($4 is null or id <> $4) \
         order by scheduled_at";
    let rows: Vec<(i64,)> = run!(db, |c| sqlx::query_as(SQL)
        .bind(channel.0)
        .bind(to_millis(from))
        .bind(to_millis(to))
        .bind(except.map(|p| p.0))
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(t,)| from_millis(t)).collect())
}

/// What a state change writes besides the status (absent fields stay as they are).
#[derive(Debug, Default)]
pub struct Change<'a> {
    pub attempt_started_at: Option<OffsetDateTime>,
    pub count_attempt: bool,
    pub external_id: Option<&'a str>,
    pub external_url: Option<&'a str>,
    pub error: Option<&'a str>,
    pub published_at: Option<OffsetDateTime>,
    pub scheduled_at: Option<OffsetDateTime>,
    pub text: Option<&'a str>,
}

/// Moves the post to `status` if it is still at `expected_version`; `false` if someone else
/// moved it first.
pub async fn transition(
    db: &mut impl Db,
    id: PostId,
    expected_version: i64,
    status: &str,
    change: &Change<'_>,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update posts set status = $3, version = version + 1, updated_at = $4, \
         attempt_started_at = coalesce($5, attempt_started_at), \
         attempts = attempts + $6, \
         external_id = coalesce($7, external_id), external_url = coalesce($8, external_url), \
         last_error = $9, published_at = coalesce($10, published_at), \
         scheduled_at = coalesce($11, scheduled_at), text = coalesce($12, text) \
         where id = $1 and version = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(expected_version)
        .bind(status)
        .bind(to_millis(now))
        .bind(change.attempt_started_at.map(to_millis))
        .bind(i64::from(change.count_attempt))
        .bind(change.external_id)
        .bind(change.external_url)
        .bind(change.error)
        .bind(change.published_at.map(to_millis))
        .bind(change.scheduled_at.map(to_millis))
        .bind(change.text)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Published posts on an organization's company-blog channels, newest first.
pub async fn published_blog(db: &mut impl Db, org: OrgId, limit: i64) -> Result<Vec<Post>> {
    const SQL: &str = post_sql!(
        "where p.org_id = $1 and c.network = 'blog' and p.status = 'published' \
         order by p.published_at desc, p.id desc limit $2"
    );
    let rows: Vec<Row> =
        run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Post::from).collect())
}

/// How many of an organization's posts are in each status.
pub async fn count_by_status(db: &mut impl Db, org: OrgId) -> Result<Vec<(String, i64)>> {
    const SQL: &str = "select status, count(*) from posts where org_id = $1 group by status order by status";
    Ok(run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?)
}

/// How many of a submission's posts are not out yet (neither published nor cancelled).
pub async fn not_out_of_submission(db: &mut impl Db, org: OrgId, submission: SubmissionId) -> Result<i64> {
    const SQL: &str = "select count(*) from posts where org_id = $1 and submission_id = $2 \
         and status not in ('published', 'cancelled')";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(submission.0).fetch_one(c).await)?)
}
