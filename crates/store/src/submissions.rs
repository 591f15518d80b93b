//! Submissions, their authors, tags, media, revisions, transitions, comments and votes.
//!
//! Every change to a submission's content or status is a compare-and-set on `version`: the
//! caller passes the version it read, and a write based on an older one changes nothing (the
//! use case then answers 409 with the current version).

use crate::{Db, Error, Result, run};
use chorus_domain::{
    CampaignId, CommentId, DepartmentId, MediaId, OrgId, RevisionId, SubmissionId, TransitionId, UserId,
    clock::{from_millis, to_millis},
    pagination::Cursor,
    submission::{Kind, Status},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub id: SubmissionId,
    pub author_id: UserId,
    pub author_name: String,
    pub department_id: Option<DepartmentId>,
    pub department_name: Option<String>,
    pub kind: Kind,
    pub status: Status,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub tags: Vec<String>,
    pub channels: Vec<String>,
    pub campaign_id: Option<CampaignId>,
    pub campaign_name: Option<String>,
    pub version: i64,
    pub revision: i64,
    /// The link preview as JSON, once fetched.
    pub preview: Option<String>,
    pub promoted_from: Option<SubmissionId>,
    pub vote_count: i64,
    pub comment_count: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub queued_at: Option<OffsetDateTime>,
    pub approved_at: Option<OffsetDateTime>,
    /// The submission's place in the library: given the first time it is approved, never
    /// changed. The library lists newest first by this number.
    pub library_seq: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    author_id: Uuid,
    author_name: String,
    department_id: Option<Uuid>,
    department_name: Option<String>,
    kind: String,
    status: String,
    title: String,
    body: String,
    link: Option<String>,
    tags: String,
    channels: String,
    campaign_id: Option<Uuid>,
    campaign_name: Option<String>,
    version: i64,
    revision: i64,
    preview: Option<String>,
    promoted_from: Option<Uuid>,
    vote_count: i64,
    comment_count: i64,
    created_at: i64,
    updated_at: i64,
    queued_at: Option<i64>,
    approved_at: Option<i64>,
    library_seq: Option<i64>,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl TryFrom<Row> for Submission {
    type Error = Error;
    fn try_from(r: Row) -> Result<Self> {
        Ok(Submission {
            id: r.id.into(),
            author_id: r.author_id.into(),
            author_name: r.author_name,
            department_id: r.department_id.map(Into::into),
            department_name: r.department_name,
            kind: r.kind.parse().map_err(|_| Error::Corrupt(format!("submissions.kind {:?}", r.kind)))?,
            status: r
                .status
                .parse()
                .map_err(|_| Error::Corrupt(format!("submissions.status {:?}", r.status)))?,
            title: r.title,
            body: r.body,
            link: r.link,
            tags: words(&r.tags),
            channels: words(&r.channels),
            campaign_id: r.campaign_id.map(Into::into),
            campaign_name: r.campaign_name,
            version: r.version,
            revision: r.revision,
            preview: r.preview,
            promoted_from: r.promoted_from.map(Into::into),
            vote_count: r.vote_count,
            comment_count: r.comment_count,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
            queued_at: r.queued_at.map(from_millis),
            approved_at: r.approved_at.map(from_millis),
            library_seq: r.library_seq,
        })
    }
}

fn convert(rows: Vec<Row>) -> Result<Vec<Submission>> {
    rows.into_iter().map(Submission::try_from).collect()
}

/// The columns of a submission with the names shown beside it.
macro_rules! submission_columns {
    () => {
        "select s.id, s.author_id, u.name as author_name, s.department_id, d.name as department_name, \
         s.kind, s.status, s.title, s.body, s.link, s.tags, s.channels, s.campaign_id, \
         c.name as campaign_name, s.version, s.revision, s.preview, s.promoted_from, s.vote_count, \
         s.comment_count, s.created_at, s.updated_at, s.queued_at, s.approved_at, s.library_seq "
    };
}

/// The joins that fetch those names.
macro_rules! submission_joins {
    () => {
        "join users u on u.id = s.author_id \
         left join departments d on d.id = s.department_id \
         left join campaigns c on c.id = s.campaign_id "
    };
}

/// The shared `select` of a submission with the names shown beside it, glued to a tail.
macro_rules! submission_sql {
    ($($tail:expr),+ $(,)?) => {
        concat!(submission_columns!(), "from submissions s ", submission_joins!(), $($tail),+)
    };
}

/// The editable content of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub tags: Vec<String>,
    pub channels: Vec<String>,
    pub campaign_id: Option<CampaignId>,
}

#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: SubmissionId,
    pub author_id: UserId,
    pub department_id: Option<DepartmentId>,
    pub kind: Kind,
    pub content: Content,
    pub promoted_from: Option<SubmissionId>,
}

pub async fn insert(db: &mut impl Db, org: OrgId, new: &NewSubmission, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into submissions (id, org_id, author_id, department_id, kind, status, title, \
         body, link, tags, channels, campaign_id, version, revision, promoted_from, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, 1, 1, $12, $13, $13)";
    let c = &new.content;
    run!(db, |x| sqlx::query(SQL)
        .bind(new.id.0)
        .bind(org.0)
        .bind(new.author_id.0)
        .bind(new.department_id.map(|d| d.0))
        .bind(new.kind.as_str())
        .bind(&c.title)
        .bind(&c.body)
        .bind(c.link.as_deref())
        .bind(c.tags.join(" "))
        .bind(c.channels.join(" "))
        .bind(c.campaign_id.map(|d| d.0))
        .bind(new.promoted_from.map(|d| d.0))
        .bind(to_millis(now))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    replace_tags(db, org, new.id, &c.tags).await?;
    add_author(db, org, new.id, new.author_id, now).await?;
    Ok(())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Option<Submission>> {
    const SQL: &str = submission_sql!("where s.org_id = $1 and s.id = $2");
    let row = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    row.map(Submission::try_from).transpose()
}

/// The share hub: approved content with somewhere to link to (its own link, or a published
/// post), not expired from the hub; the person's department first, then newest approved.
pub async fn share_hub(
    db: &mut impl Db,
    org: OrgId,
    department: Option<DepartmentId>,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Submission>> {
    const SQL: &str = submission_sql!(
        "where s.org_id = $1 and s.status in ('approved', 'scheduled', 'published') \
         and (s.share_until is null or s.share_until > $3) \
         and (s.link is not null or exists (select 1 from posts p where p.submission_id = s.id \
              and p.status = 'published' and p.external_url is not null)) \
         order by case when $2 is not null and s.department_id = $2 then 0 else 1 end, \
         s.approved_at desc, s.id desc limit $4"
    );
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(department.map(|d| d.0))
        .bind(to_millis(now))
        .bind(limit)
        .fetch_all(c)
        .await)?;
    rows.into_iter().map(Submission::try_from).collect()
}

/// Replaces the content if the submission is still at `expected_version`; `false` if not.
pub async fn update_content(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    expected_version: i64,
    content: &Content,
    revision: i64,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update submissions set title = $4, body = $5, link = $6, tags = $7, channels = $8, \
         campaign_id = $9, revision = $10, version = version + 1, updated_at = $11 \
         where org_id = $1 and id = $2 and version = $3";
    let done = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(expected_version)
        .bind(&content.title)
        .bind(&content.body)
        .bind(content.link.as_deref())
        .bind(content.tags.join(" "))
        .bind(content.channels.join(" "))
        .bind(content.campaign_id.map(|d| d.0))
        .bind(revision)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 1 {
        replace_tags(db, org, id, &content.tags).await?;
    }
    Ok(done == 1)
}

/// Moves the submission to `to` if it is still at `expected_version`; `false` if not.
pub async fn set_status(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    expected_version: i64,
    to: Status,
    now: OffsetDateTime,
) -> Result<bool> {
    // Entering a review stage restarts the waiting clock; approval is stamped once, and the
    // first approval also gives the submission its library number (SQLite writes one at a
    // time, so the next number is the largest plus one; PostgreSQL has a sequence).
    macro_rules! set_status_sql {
        ($next_seq:literal) => {
            concat!(
                "update submissions set status = $4, version = version + 1, updated_at = $5, \
                 queued_at = case when $6 = 1 then $5 else queued_at end, \
                 approved_at = case when $7 = 1 and approved_at is null then $5 else approved_at end, \
                 library_seq = case when $7 = 1 and library_seq is null then ",
                $next_seq,
                " else library_seq end \
                 where org_id = $1 and id = $2 and version = $3"
            )
        };
    }
    const SQLITE: &str = set_status_sql!("(select coalesce(max(library_seq), 0) + 1 from submissions)");
    const POSTGRES: &str = set_status_sql!("nextval('submissions_library_seq')");
    let sql = match db.ex() {
        crate::Ex::Sqlite(_) => SQLITE,
        crate::Ex::Postgres(_) => POSTGRES,
    };
    let flag = |b: bool| i64::from(b);
    let done = run!(db, |c| sqlx::query(sql)
        .bind(org.0)
        .bind(id.0)
        .bind(expected_version)
        .bind(to.as_str())
        .bind(to_millis(now))
        .bind(flag(to.in_review()))
        .bind(flag(to == Status::Approved))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn set_preview(db: &mut impl Db, org: OrgId, id: SubmissionId, preview_json: &str) -> Result<()> {
    const SQL: &str = "update submissions set preview = $3 where org_id = $1 and id = $2";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(preview_json)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

async fn replace_tags(db: &mut impl Db, org: OrgId, id: SubmissionId, tags: &[String]) -> Result<()> {
    const DELETE: &str = "delete from submission_tags where org_id = $1 and submission_id = $2";
    const INSERT: &str = "insert into submission_tags (submission_id, org_id, tag) values ($1, $2, $3)";
    run!(db, |c| sqlx::query(DELETE).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    for tag in tags {
        run!(db, |c| sqlx::query(INSERT)
            .bind(id.0)
            .bind(org.0)
            .bind(tag)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// An author or co-author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    /// The person who created the submission (the others are co-authors).
    pub original: bool,
}

pub async fn add_author(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into submission_authors (submission_id, org_id, user_id, added_at) \
         values ($1, $2, $3, $4) on conflict do nothing";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn authors(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Vec<Author>> {
    const SQL: &str = "select a.user_id, u.name, u.email, case when s.author_id = a.user_id then 1 else 0 end \
         from submission_authors a join users u on u.id = a.user_id join submissions s on s.id = a.submission_id \
         where a.org_id = $1 and a.submission_id = $2 order by a.added_at, u.name";
    let rows: Vec<(Uuid, String, String, i32)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(u, name, email, original)| Author { user_id: u.into(), name, email, original: original == 1 })
        .collect())
}

/// Attaches media in order, replacing what was attached.
pub async fn set_media(db: &mut impl Db, org: OrgId, id: SubmissionId, media: &[MediaId]) -> Result<()> {
    const DELETE: &str = "delete from submission_media where org_id = $1 and submission_id = $2";
    const INSERT: &str =
        "insert into submission_media (submission_id, org_id, media_id, position) values ($1, $2, $3, $4)";
    run!(db, |c| sqlx::query(DELETE).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    for (position, m) in media.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        run!(db, |c| sqlx::query(INSERT)
            .bind(id.0)
            .bind(org.0)
            .bind(m.0)
            .bind(position)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// One saved state of the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: RevisionId,
    pub number: i64,
    pub editor_id: Option<UserId>,
    pub editor_name: Option<String>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub note: String,
    pub created_at: OffsetDateTime,
}

type RevisionRow = (Uuid, i64, Option<Uuid>, Option<String>, String, String, Option<String>, String, i64);

fn revision(r: RevisionRow) -> Revision {
    let (id, number, editor, editor_name, title, body, link, note, at) = r;
    Revision {
        id: id.into(),
        number,
        editor_id: editor.map(Into::into),
        editor_name,
        title,
        body,
        link,
        note,
        created_at: from_millis(at),
    }
}

macro_rules! revision_sql {
    ($tail:literal) => {
        concat!(
            "select r.id, r.number, r.editor_id, u.name, r.title, r.body, r.link, r.note, r.created_at \
             from revisions r left join users u on u.id = r.editor_id ",
            $tail
        )
    };
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_revision(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    number: i64,
    editor: UserId,
    content: &Content,
    note: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into revisions (id, org_id, submission_id, number, editor_id, title, body, link, \
         note, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    run!(db, |c| sqlx::query(SQL)
        .bind(RevisionId::new().0)
        .bind(org.0)
        .bind(id.0)
        .bind(number)
        .bind(editor.0)
        .bind(&content.title)
        .bind(&content.body)
        .bind(content.link.as_deref())
        .bind(note)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn revisions(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Vec<Revision>> {
    const SQL: &str = revision_sql!("where r.org_id = $1 and r.submission_id = $2 order by r.number");
    let rows: Vec<RevisionRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(revision).collect())
}

/// A recorded step of the workflow: who, when, from where to where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub id: TransitionId,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub step: String,
    pub from: Status,
    pub to: Status,
    pub comment: String,
    pub at: OffsetDateTime,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_transition(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    actor: UserId,
    step: &str,
    from: Status,
    to: Status,
    comment: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into transitions (id, org_id, submission_id, actor_id, step, from_status, \
         to_status, comment, at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    run!(db, |c| sqlx::query(SQL)
        .bind(TransitionId::new().0)
        .bind(org.0)
        .bind(id.0)
        .bind(actor.0)
        .bind(step)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(comment)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn transitions(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Vec<Transition>> {
    const SQL: &str = "select t.id, t.actor_id, u.name, t.step, t.from_status, t.to_status, t.comment, t.at \
         from transitions t left join users u on u.id = t.actor_id \
         where t.org_id = $1 and t.submission_id = $2 order by t.at, t.id";
    type R = (Uuid, Option<Uuid>, Option<String>, String, String, String, String, i64);
    let rows: Vec<R> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    rows.into_iter()
        .map(|(id, actor, actor_name, step, from, to, comment, at)| {
            let status =
                |s: String| s.parse().map_err(|_| Error::Corrupt(format!("transitions status {s:?}")));
            Ok(Transition {
                id: id.into(),
                actor_id: actor.map(Into::into),
                actor_name,
                step,
                from: status(from)?,
                to: status(to)?,
                comment,
                at: from_millis(at),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub author_id: UserId,
    pub author_name: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

pub async fn insert_comment(db: &mut impl Db, org: OrgId, id: SubmissionId, comment: &Comment) -> Result<()> {
    const SQL: &str = "insert into comments (id, org_id, submission_id, author_id, body, created_at) \
         values ($1, $2, $3, $4, $5, $6)";
    const COUNT: &str =
        "update submissions set comment_count = comment_count + 1 where org_id = $1 and id = $2";
    run!(db, |c| sqlx::query(SQL)
        .bind(comment.id.0)
        .bind(org.0)
        .bind(id.0)
        .bind(comment.author_id.0)
        .bind(&comment.body)
        .bind(to_millis(comment.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    run!(db, |c| sqlx::query(COUNT).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn comments(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Vec<Comment>> {
    const SQL: &str = "select c.id, c.author_id, u.name, c.body, c.created_at from comments c \
         join users u on u.id = c.author_id where c.org_id = $1 and c.submission_id = $2 order by c.id";
    let rows: Vec<(Uuid, Uuid, String, String, i64)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, author, author_name, body, at)| Comment {
            id: id.into(),
            author_id: author.into(),
            author_name,
            body,
            created_at: from_millis(at),
        })
        .collect())
}

/// Records one person's vote; `false` when they had already voted (it still counts once).
pub async fn vote(
    db: &mut impl Db,
    org: OrgId,
    id: SubmissionId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into votes (submission_id, org_id, user_id, created_at) values ($1, $2, $3, $4) \
         on conflict do nothing";
    const COUNT: &str = "update submissions set vote_count = vote_count + 1 where org_id = $1 and id = $2";
    let added = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(user.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if added == 1 {
        run!(db, |c| sqlx::query(COUNT).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(added == 1)
}

/// Which of `ids` the person has voted for.
pub async fn voted_among(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    ids: &[SubmissionId],
) -> Result<Vec<SubmissionId>> {
    const SQL: &str = "select submission_id from votes where org_id = $1 and user_id = $2";
    let rows: Vec<(Uuid,)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(s,)| SubmissionId::from(s)).filter(|s| ids.contains(s)).collect())
}

pub async fn has_voted(db: &mut impl Db, org: OrgId, id: SubmissionId, user: UserId) -> Result<bool> {
    const SQL: &str = "select count(*) from votes where org_id = $1 and submission_id = $2 and user_id = $3";
    let (n,): (i64,) =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).bind(user.0).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Filters shared by the review queue and the library.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub department: Option<DepartmentId>,
    pub kind: Option<Kind>,
    pub campaign: Option<CampaignId>,
    pub tag: Option<String>,
    /// Review queue: only items waiting since at least this moment. Library: approved since.
    pub since: Option<OffsetDateTime>,
    /// Review queue: only items that have waited at least until this moment. Library: approved
    /// until.
    pub until: Option<OffsetDateTime>,
}

/// Who is asking for their queue.
#[derive(Debug, Clone, Copy)]
pub struct Reviewer {
    pub user: UserId,
    /// On the social team (or an admin): sees the team stage.
    pub team: bool,
    /// Leads a department: sees its lead stage.
    pub leads: bool,
}

macro_rules! stage_sql {
    ($stage:literal) => {
        submission_sql!(
            "where s.org_id = $1 and ",
            $stage,
            "and ($3 is null or s.department_id = $3) and ($4 is null or s.kind = $4) \
             and ($5 is null or s.campaign_id = $5) \
             and ($6 is null or exists (select 1 from submission_tags t where t.submission_id = s.id and t.tag = $6)) \
             and ($7 is null or s.queued_at >= $7) and ($8 is null or s.queued_at <= $8) \
             and (s.queued_at > $9 or (s.queued_at = $9 and s.id > $10)) \
             order by s.queued_at, s.id limit $11"
        )
    };
}

/// What waits for a reviewer, oldest first: the team stage for the team, and the lead stage
/// of the departments the person leads (never their own submissions).
pub async fn review_queue(
    db: &mut impl Db,
    org: OrgId,
    reviewer: Reviewer,
    filter: &Filter,
    after: Option<Cursor>,
    limit: u32,
) -> Result<Vec<Submission>> {
    // One ordered index scan per stage (status, then waiting time), merged here: a single query
    // with `status = a or status = b` makes the database sort every waiting item first.
    const TEAM: &str = stage_sql!("s.status = 'team_review' and $2 is not null ");
    const LEAD: &str = stage_sql!(
        "s.status = 'lead_review' and s.author_id <> $2 and s.department_id in \
         (select l.department_id from department_leads l where l.org_id = $1 and l.user_id = $2) "
    );
    let after = after.unwrap_or(Cursor { key: i64::MIN, id: Uuid::nil() });
    let mut all = Vec::new();
    for (sql, wanted) in [(TEAM, reviewer.team), (LEAD, reviewer.leads)] {
        if !wanted {
            continue;
        }
        let rows = run!(db, |c| sqlx::query_as::<_, Row>(sql)
            .bind(org.0)
            .bind(reviewer.user.0)
            .bind(filter.department.map(|d| d.0))
            .bind(filter.kind.map(Kind::as_str))
            .bind(filter.campaign.map(|d| d.0))
            .bind(filter.tag.as_deref())
            .bind(filter.since.map(to_millis))
            .bind(filter.until.map(to_millis))
            .bind(after.key)
            .bind(after.id)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await)?;
        all.extend(convert(rows)?);
    }
    all.sort_by_key(|s| (s.queued_at, s.id.0));
    all.truncate(limit as usize);
    Ok(all)
}

/// The library's filters after the `where`; `$2` is the search and `$9` the cursor, placed
/// by each variant.
macro_rules! library_filters {
    () => {
        "s.org_id = $1 and s.status in ('approved', 'scheduled', 'published') \
         and ($3 is null or s.department_id = $3) and ($4 is null or s.kind = $4) \
         and ($5 is null or s.campaign_id = $5) \
         and ($6 is null or exists (select 1 from submission_tags t where t.submission_id = s.id and t.tag = $6)) \
         and ($7 is null or s.approved_at >= $7) and ($8 is null or s.approved_at <= $8) "
    };
}

/// Library search on SQLite, driven by the full-text index.
const LIBRARY_SEARCH_SQLITE: &str = concat!(
    submission_columns!(),
    // `cross join` fixes the order: SQLite would otherwise carry `f.rowid < $9` over to
    // `s.library_seq` and walk the library, running the full-text match once per row.
    "from library_fts f cross join submissions s on s.library_seq = f.rowid ",
    submission_joins!(),
    "where library_fts match $2 and f.rowid < $9 and ",
    library_filters!(),
    "order by f.rowid desc limit $10"
);

/// Approved content, newest approval first (by library number), optionally matching every
/// word of `query`. `after` is the library number of the last item of the previous page.
pub async fn library(
    db: &mut impl Db,
    org: OrgId,
    query: Option<&str>,
    filter: &Filter,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<Submission>> {
    // The one dialect branch here: full-text search. SQLite walks the FTS5 index backwards by
    // its rowid, which is the library number, so it stops after a page of matches (the query is
    // rewritten into quoted terms, so no user input is FTS syntax); PostgreSQL matches the
    // generated tsvector. Both use simple, unstemmed, case-folded words.
    const ALL: &str = submission_sql!(
        "where ",
        library_filters!(),
        "and ($2 is null or $2 is not null) and s.library_seq < $9 order by s.library_seq desc limit $10"
    );
    const POSTGRES: &str = submission_sql!(
        "where ",
        library_filters!(),
        "and s.search @@ plainto_tsquery('simple', $2) and s.library_seq < $9 \
         order by s.library_seq desc limit $10"
    );
    let query = query.map(str::trim).filter(|q| !q.is_empty());
    let fts_query = query.map(sqlite_match_query);
    if fts_query.as_deref() == Some("") {
        return Ok(Vec::new());
    }
    let after = after.unwrap_or(i64::MAX);
    let rows = match db.ex() {
        crate::Ex::Sqlite(c) => {
            sqlx::query_as::<_, Row>(if query.is_some() { LIBRARY_SEARCH_SQLITE } else { ALL })
                .bind(org.0)
                .bind(fts_query.as_deref())
                .bind(filter.department.map(|d| d.0))
                .bind(filter.kind.map(Kind::as_str))
                .bind(filter.campaign.map(|d| d.0))
                .bind(filter.tag.as_deref())
                .bind(filter.since.map(to_millis))
                .bind(filter.until.map(to_millis))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        }
        crate::Ex::Postgres(c) => {
            sqlx::query_as::<_, Row>(if query.is_some() { POSTGRES } else { ALL })
                .bind(org.0)
                .bind(query)
                .bind(filter.department.map(|d| d.0))
                .bind(filter.kind.map(Kind::as_str))
                .bind(filter.campaign.map(|d| d.0))
                .bind(filter.tag.as_deref())
                .bind(filter.since.map(to_millis))
                .bind(filter.until.map(to_millis))
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        }
    };
    convert(rows)
}

/// Turns what a person typed into an FTS5 query that can never be a syntax error: every word
/// becomes a quoted term (quotes doubled), all of which must match.
pub fn sqlite_match_query(input: &str) -> String {
    input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How the idea board is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdeaOrder {
    #[default]
    Votes,
    Recent,
}

/// Ideas on the board: handed in, neither rejected nor archived.
pub async fn ideas(
    db: &mut impl Db,
    org: OrgId,
    order: IdeaOrder,
    after: Option<Cursor>,
    limit: u32,
) -> Result<Vec<Submission>> {
    const BY_VOTES: &str = submission_sql!(
        "where s.org_id = $1 and s.kind = 'idea' and s.status not in ('draft', 'rejected', 'archived') \
         and (s.vote_count < $2 or (s.vote_count = $2 and s.id < $3)) \
         order by s.vote_count desc, s.id desc limit $4"
    );
    const RECENT: &str = submission_sql!(
        "where s.org_id = $1 and s.kind = 'idea' and s.status not in ('draft', 'rejected', 'archived') \
         and (s.created_at < $2 or (s.created_at = $2 and s.id < $3)) \
         order by s.created_at desc, s.id desc limit $4"
    );
    let sql = match order {
        IdeaOrder::Votes => BY_VOTES,
        IdeaOrder::Recent => RECENT,
    };
    let after = after.unwrap_or(Cursor { key: i64::MAX, id: Uuid::max() });
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(sql)
        .bind(org.0)
        .bind(after.key)
        .bind(after.id)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    convert(rows)
}

/// What a person wrote or co-writes, most recently changed first.
pub async fn authored_by(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    status: Option<Status>,
    after: Option<Cursor>,
    limit: u32,
) -> Result<Vec<Submission>> {
    const SQL: &str = submission_sql!(
        "where s.org_id = $1 and s.id in (select a.submission_id from submission_authors a \
         where a.org_id = $1 and a.user_id = $2) and ($3 is null or s.status = $3) \
         and (s.updated_at < $4 or (s.updated_at = $4 and s.id < $5)) \
         order by s.updated_at desc, s.id desc limit $6"
    );
    let after = after.unwrap_or(Cursor { key: i64::MAX, id: Uuid::max() });
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(status.map(Status::as_str))
        .bind(after.key)
        .bind(after.id)
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    convert(rows)
}

/// Whether the department has an active lead other than `except` (the author: nobody reviews
/// their own work at the lead stage).
pub async fn department_has_lead(
    db: &mut impl Db,
    org: OrgId,
    department: DepartmentId,
    except: UserId,
) -> Result<bool> {
    const SQL: &str = "select count(*) from department_leads l join users u on u.id = l.user_id \
         where l.org_id = $1 and l.department_id = $2 and l.user_id <> $3 and u.status = 'active'";
    let (n,): (i64,) =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(department.0).bind(except.0).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The active leads of a department (to notify them).
pub async fn department_leads(db: &mut impl Db, org: OrgId, department: DepartmentId) -> Result<Vec<UserId>> {
    const SQL: &str = "select l.user_id from department_leads l join users u on u.id = l.user_id \
         where l.org_id = $1 and l.department_id = $2 and u.status = 'active'";
    let rows: Vec<(Uuid,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(department.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(u,)| u.into()).collect())
}

/// The active social team and admins (to notify them).
pub async fn team_members(db: &mut impl Db, org: OrgId) -> Result<Vec<UserId>> {
    const SQL: &str = "select id from users where org_id = $1 and status = 'active' \
         and role in ('social', 'admin', 'owner') order by id";
    let rows: Vec<(Uuid,)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(u,)| u.into()).collect())
}

/// Removes a draft, only while it is still the draft at `version` (a co-author may have submitted
/// it meanwhile: nothing is then deleted, and `false` says so). Its tags, media links, revisions,
/// comments, votes and transitions go with it (`on delete cascade`); the media rows themselves stay
/// for the caller to handle.
pub async fn delete_draft(db: &mut impl Db, org: OrgId, id: SubmissionId, version: i64) -> Result<bool> {
    const SQL: &str =
        "delete from submissions where org_id = $1 and id = $2 and status = 'draft' and version = $3";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_are_quoted_terms() {
        assert_eq!(sqlite_match_query("solar panels"), "\"solar\" \"panels\"");
        assert_eq!(sqlite_match_query("\"NEAR(a b)\" OR *"), "\"NEAR\" \"a\" \"b\" \"OR\"");
        assert_eq!(sqlite_match_query("---"), "");
        assert_eq!(sqlite_match_query("Straße café"), "\"Straße\" \"café\"");
    }

    /// Library search must walk the full-text index in library order and stop after a page.
    /// The other join order runs the match once per library row: seconds at 100,000 rows.
    #[tokio::test]
    async fn sqlite_library_search_is_driven_by_the_full_text_index() {
        let dir = std::env::temp_dir().join(format!("chorus-plan-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let store =
            crate::Store::connect(&format!("sqlite://{}", dir.join("t.db").display())).await.expect("db");
        store.migrate().await.expect("migrate");
        let mut conn = store.conn().await.expect("conn");
        let crate::Ex::Sqlite(c) = conn.ex() else { unreachable!("sqlite") };
        let sql = format!("explain query plan {LIBRARY_SEARCH_SQLITE}");
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(Uuid::nil())
            .bind("\"word\"")
            .bind(None::<Uuid>)
            .bind(None::<&str>)
            .bind(None::<Uuid>)
            .bind(None::<&str>)
            .bind(None::<i64>)
            .bind(None::<i64>)
            .bind(i64::MAX)
            .bind(26_i64)
            .fetch_all(c)
            .await
            .expect("plan");
        let steps: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
        assert!(steps[0].starts_with("SCAN f VIRTUAL TABLE"), "{steps:?}");
        assert!(!steps.iter().any(|s| s.contains("TEMP B-TREE")), "{steps:?}");
        drop(conn);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
