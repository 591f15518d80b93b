//! Feed subscriptions and the curation inbox (migration 0018).

use crate::{Backend, Db, Result, Tx, run};
use chorus_domain::{
    CurationItemId, DepartmentId, FeedId, OrgId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
    curation::{FeedStatus, ItemState},
};
use time::OffsetDateTime;
use uuid::Uuid;

// --------------------------------------------------------------------------------------- feeds

/// One subscription and its polling state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub id: FeedId,
    /// `None`: organization-wide (kept by the social team).
    pub department_id: Option<DepartmentId>,
    /// The department's name (read with the feed; not stored).
    pub department_name: Option<String>,
    pub url: String,
    /// The name people gave it; empty for none.
    pub title: String,
    /// The feed's own title, from its last successful read.
    pub feed_title: Option<String>,
    pub status: FeedStatus,
    pub interval_minutes: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_polled_at: Option<OffsetDateTime>,
    pub last_success_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub next_poll_at: OffsetDateTime,
    /// When the poll now waiting in the job queue was queued.
    pub queued_at: Option<OffsetDateTime>,
    /// New inbox items this feed brought, in all.
    pub items_found: i64,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Feed {
    /// What lists show: the given name, else the feed's own title, else the address.
    pub fn display_name(&self) -> &str {
        if !self.title.is_empty() {
            &self.title
        } else {
            self.feed_title.as_deref().filter(|t| !t.is_empty()).unwrap_or(&self.url)
        }
    }
}

#[derive(sqlx::FromRow)]
struct FeedRow {
    id: Uuid,
    department_id: Option<Uuid>,
    department_name: Option<String>,
    url: String,
    title: String,
    feed_title: Option<String>,
    status: String,
    interval_minutes: i64,
    etag: Option<String>,
    last_modified: Option<String>,
    last_polled_at: Option<i64>,
    last_success_at: Option<i64>,
    last_error: Option<String>,
    failures: i64,
    next_poll_at: i64,
    queued_at: Option<i64>,
    items_found: i64,
    created_by: Option<Uuid>,
    created_at: i64,
    updated_at: i64,
}

impl From<FeedRow> for Feed {
    fn from(r: FeedRow) -> Self {
        Feed {
            id: r.id.into(),
            department_id: r.department_id.map(Into::into),
            department_name: r.department_name,
            url: r.url,
            title: r.title,
            feed_title: r.feed_title,
            // The table's check constraint admits only the two.
            status: FeedStatus::parse(&r.status).unwrap_or(FeedStatus::Paused),
            interval_minutes: r.interval_minutes,
            etag: r.etag,
            last_modified: r.last_modified,
            last_polled_at: r.last_polled_at.map(from_millis),
            last_success_at: r.last_success_at.map(from_millis),
            last_error: r.last_error,
            failures: r.failures,
            next_poll_at: from_millis(r.next_poll_at),
            queued_at: r.queued_at.map(from_millis),
            items_found: r.items_found,
            created_by: r.created_by.map(Into::into),
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        }
    }
}

macro_rules! feed_sql {
    ($tail:literal) => {
        concat!(
            "select f.id, f.department_id, d.name as department_name, f.url, f.title, f.feed_title, \
             f.status, f.interval_minutes, f.etag, f.last_modified, f.last_polled_at, \
             f.last_success_at, f.last_error, f.failures, f.next_poll_at, f.queued_at, \
             f.items_found, f.created_by, f.created_at, f.updated_at \
             from feeds f left join departments d on d.id = f.department_id ",
            $tail
        )
    };
}

/// Adds a feed. Fails with `Conflict` when the department (or the organization, for an
/// organization-wide feed) already follows that address.
pub async fn insert_feed(db: &mut impl Db, org: OrgId, f: &Feed) -> Result<()> {
    const SQL: &str = "insert into feeds (id, org_id, department_id, url, title, status, \
         interval_minutes, next_poll_at, created_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    run!(db, |c| sqlx::query(SQL)
        .bind(f.id.0)
        .bind(org.0)
        .bind(f.department_id.map(|d| d.0))
        .bind(&f.url)
        .bind(&f.title)
        .bind(f.status.as_str())
        .bind(f.interval_minutes)
        .bind(to_millis(f.next_poll_at))
        .bind(f.created_by.map(|u| u.0))
        .bind(to_millis(f.created_at))
        .bind(to_millis(f.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get_feed(db: &mut impl Db, org: OrgId, id: FeedId) -> Result<Option<Feed>> {
    const SQL: &str = feed_sql!("where f.org_id = $1 and f.id = $2");
    let row: Option<FeedRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// Every feed of the organization, oldest first (at most `chorus_domain::curation::FEEDS_MAX`).
pub async fn list_feeds(db: &mut impl Db, org: OrgId) -> Result<Vec<Feed>> {
    const SQL: &str = feed_sql!("where f.org_id = $1 order by f.created_at, f.id");
    let rows: Vec<FeedRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn count_feeds(db: &mut impl Db, org: OrgId) -> Result<i64> {
    const SQL: &str = "select count(*) from feeds where org_id = $1";
    Ok(run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).fetch_one(c).await)?)
}

/// What a person may change on a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSettings {
    pub title: String,
    pub status: FeedStatus,
    pub interval_minutes: i64,
    pub next_poll_at: OffsetDateTime,
}

pub async fn update_feed(
    db: &mut impl Db,
    org: OrgId,
    id: FeedId,
    s: &FeedSettings,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update feeds set title = $3, status = $4, interval_minutes = $5, next_poll_at = $6, \
         updated_at = $7 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(&s.title)
        .bind(s.status.as_str())
        .bind(s.interval_minutes)
        .bind(to_millis(s.next_poll_at))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Removes a feed. Its inbox items stay (their department stays recorded on their sources).
pub async fn delete_feed(db: &mut impl Db, org: OrgId, id: FeedId) -> Result<bool> {
    const SQL: &str = "delete from feeds where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Claims up to `limit` active feeds whose poll is due, **across organizations** (the worker's
/// upkeep), by pushing their `next_poll_at` to `lease_until`: a second worker running the same
/// statement finds them not due. The caller enqueues one poll job per feed in the same
/// transaction; the poll sets the real next time when it ends (or the lease runs out and the
/// feed is claimed again, when a worker died with the job).
pub async fn claim_due(
    tx: &mut Tx,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: i64,
) -> Result<Vec<(OrgId, FeedId)>> {
    // PostgreSQL: SKIP LOCKED lets two workers claim disjoint feeds without waiting, and the
    // outer conditions are re-checked on rows another worker updated meanwhile. SQLite: the
    // transaction began with BEGIN IMMEDIATE, which serializes claimers.
    const PG: &str = "update feeds set next_poll_at = $2, queued_at = $1 \
         where status = 'active' and next_poll_at <= $1 and id in \
         (select id from feeds where status = 'active' and next_poll_at <= $1 \
          order by next_poll_at, id limit $3 for update skip locked) returning org_id, id";
    const LITE: &str = "update feeds set next_poll_at = $2, queued_at = $1 \
         where status = 'active' and next_poll_at <= $1 and id in \
         (select id from feeds where status = 'active' and next_poll_at <= $1 \
          order by next_poll_at, id limit $3) returning org_id, id";
    let sql = match tx.backend() {
        Backend::Postgres => PG,
        Backend::Sqlite => LITE,
    };
    let (now, lease) = (to_millis(now), to_millis(lease_until));
    let rows: Vec<(Uuid, Uuid)> =
        run!(tx, |c| sqlx::query_as(sql).bind(now).bind(lease).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(o, f)| (o.into(), f.into())).collect())
}

/// Claims one active feed for a poll now ("poll now"), unless a poll of it is already queued
/// and its lease has not run out. False when it was not claimed.
pub async fn claim_now(
    db: &mut impl Db,
    org: OrgId,
    id: FeedId,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update feeds set next_poll_at = $4, queued_at = $3 \
         where org_id = $1 and id = $2 and status = 'active' and (queued_at is null or next_poll_at <= $3)";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(to_millis(now))
        .bind(to_millis(lease_until))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What one poll found out, written in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRecord {
    pub polled_at: OffsetDateTime,
    /// `None` after a success (or a 304); the failure in plain words otherwise.
    pub error: Option<String>,
    pub failures: i64,
    /// Validators to send next time.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The feed's own title, when it was read this time (else the stored one stays).
    pub feed_title: Option<String>,
    pub next_poll_at: OffsetDateTime,
    pub new_items: i64,
    /// The site says the feed is gone for good (410): stop polling it.
    pub pause: bool,
}

pub async fn record_poll(db: &mut impl Db, org: OrgId, id: FeedId, p: &PollRecord) -> Result<()> {
    const SQL: &str = "update feeds set last_polled_at = $3, \
         last_success_at = case when $12 = 1 then $3 else last_success_at end, \
         last_error = $4, failures = $5, etag = $6, last_modified = $7, \
         feed_title = coalesce($8, feed_title), next_poll_at = $9, queued_at = null, \
         items_found = items_found + $10, \
         status = case when $11 = 1 then 'paused' else status end, updated_at = $3 \
         where org_id = $1 and id = $2";
    let at = to_millis(p.polled_at);
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(at)
        .bind(p.error.as_deref())
        .bind(p.failures)
        .bind(p.etag.as_deref())
        .bind(p.last_modified.as_deref())
        .bind(p.feed_title.as_deref())
        .bind(to_millis(p.next_poll_at))
        .bind(p.new_items)
        .bind(i64::from(p.pause))
        .bind(i64::from(p.error.is_none()))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

// ----------------------------------------------------------------------------------- the inbox

/// An article as a poll found it (already cleaned: plain text, canonical URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub canonical_url: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub author: Option<String>,
    pub published_at: Option<OffsetDateTime>,
}

/// Where an item came from: the feed, its department and its name.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub feed_id: FeedId,
    pub department_id: Option<DepartmentId>,
    pub title: &'a str,
}

/// Files an article in the inbox, once per canonical URL per organization, and records the
/// feed it came through. True when the item is new to the organization.
pub async fn file_item(
    db: &mut impl Db,
    org: OrgId,
    source: Source<'_>,
    item: &NewItem,
    now: OffsetDateTime,
) -> Result<bool> {
    const INSERT: &str = "insert into curation_items (id, org_id, canonical_url, url, title, summary, \
         author, published_at, source_title, state, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', $10) \
         on conflict (org_id, canonical_url) do nothing";
    let new = run!(db, |c| sqlx::query(INSERT)
        .bind(Uuid::now_v7())
        .bind(org.0)
        .bind(&item.canonical_url)
        .bind(&item.url)
        .bind(&item.title)
        .bind(&item.summary)
        .bind(item.author.as_deref())
        .bind(item.published_at.map(to_millis))
        .bind(source.title)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?
        == 1;
    const ID: &str = "select id from curation_items where org_id = $1 and canonical_url = $2";
    let id: Uuid =
        run!(db, |c| sqlx::query_scalar(ID).bind(org.0).bind(&item.canonical_url).fetch_one(c).await)?;
    const SOURCE: &str = "insert into curation_sources (item_id, org_id, feed_id, department_id, seen_at) \
         values ($1, $2, $3, $4, $5) on conflict (item_id, feed_id) do nothing";
    run!(db, |c| sqlx::query(SOURCE)
        .bind(id)
        .bind(org.0)
        .bind(source.feed_id.0)
        .bind(source.department_id.map(|d| d.0))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(new)
}

/// One inbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: CurationItemId,
    pub canonical_url: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub author: Option<String>,
    pub published_at: Option<OffsetDateTime>,
    pub source_title: String,
    /// How many feeds brought it.
    pub sources: i64,
    pub state: ItemState,
    pub submission_id: Option<SubmissionId>,
    pub decided_by: Option<UserId>,
    /// The name of who decided (read with the item; not stored).
    pub decided_by_name: Option<String>,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: Uuid,
    canonical_url: String,
    url: String,
    title: String,
    summary: String,
    author: Option<String>,
    published_at: Option<i64>,
    source_title: String,
    sources: i64,
    state: String,
    submission_id: Option<Uuid>,
    decided_by: Option<Uuid>,
    decided_by_name: Option<String>,
    decided_at: Option<i64>,
    created_at: i64,
}

impl From<ItemRow> for Item {
    fn from(r: ItemRow) -> Self {
        Item {
            id: r.id.into(),
            canonical_url: r.canonical_url,
            url: r.url,
            title: r.title,
            summary: r.summary,
            author: r.author,
            published_at: r.published_at.map(from_millis),
            source_title: r.source_title,
            sources: r.sources,
            // The table's check constraint admits only the three.
            state: ItemState::parse(&r.state).unwrap_or(ItemState::New),
            submission_id: r.submission_id.map(Into::into),
            decided_by: r.decided_by.map(Into::into),
            decided_by_name: r.decided_by_name,
            decided_at: r.decided_at.map(from_millis),
            created_at: from_millis(r.created_at),
        }
    }
}

macro_rules! item_sql {
    ($tail:literal) => {
        concat!(
            "select i.id, i.canonical_url, i.url, i.title, i.summary, i.author, i.published_at, \
             i.source_title, (select count(*) from curation_sources s where s.item_id = i.id) as sources, \
             i.state, i.submission_id, i.decided_by, u.name as decided_by_name, i.decided_at, i.created_at \
             from curation_items i left join users u on u.id = i.decided_by ",
            $tail
        )
    };
}

pub async fn get_item(db: &mut impl Db, org: OrgId, id: CurationItemId) -> Result<Option<Item>> {
    const SQL: &str = item_sql!("where i.org_id = $1 and i.id = $2");
    let row: Option<ItemRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// The departments whose feeds brought an item (organization-wide feeds add none).
pub async fn item_departments(db: &mut impl Db, org: OrgId, id: CurationItemId) -> Result<Vec<DepartmentId>> {
    const SQL: &str = "select distinct department_id from curation_sources \
         where org_id = $1 and item_id = $2 and department_id is not null";
    let rows: Vec<Uuid> = run!(db, |c| sqlx::query_scalar(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Whose inbox to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbox {
    /// Every item of the organization (the social team, admins).
    All,
    /// Items from the feeds of the departments this person leads.
    LedBy(UserId),
}

/// One page of the inbox in one state, newest first; `before` is the last id of the previous
/// page. Fetches `limit + 1` rows (see `Page::from_overfetch`).
pub async fn list_items(
    db: &mut impl Db,
    org: OrgId,
    inbox: Inbox,
    state: ItemState,
    before: Option<CurationItemId>,
    limit: u32,
) -> Result<Vec<Item>> {
    const ALL: &str = item_sql!("where i.org_id = $1 and i.state = $2 order by i.id desc limit $3");
    const ALL_AFTER: &str =
        item_sql!("where i.org_id = $1 and i.state = $2 and i.id < $4 order by i.id desc limit $3");
    const LED: &str = item_sql!(
        "where i.org_id = $1 and i.state = $2 and exists (select 1 from curation_sources s \
         join department_leads l on l.department_id = s.department_id \
         where s.item_id = i.id and l.user_id = $4) order by i.id desc limit $3"
    );
    const LED_AFTER: &str = item_sql!(
        "where i.org_id = $1 and i.state = $2 and i.id < $5 and exists (select 1 from curation_sources s \
         join department_leads l on l.department_id = s.department_id \
         where s.item_id = i.id and l.user_id = $4) order by i.id desc limit $3"
    );
    let n = i64::from(limit) + 1;
    let st = state.as_str();
    let rows: Vec<ItemRow> = match (inbox, before) {
        (Inbox::All, None) => {
            run!(db, |c| sqlx::query_as(ALL).bind(org.0).bind(st).bind(n).fetch_all(c).await)?
        }
        (Inbox::All, Some(b)) => {
            run!(db, |c| sqlx::query_as(ALL_AFTER).bind(org.0).bind(st).bind(n).bind(b.0).fetch_all(c).await)?
        }
        (Inbox::LedBy(u), None) => {
            run!(db, |c| sqlx::query_as(LED).bind(org.0).bind(st).bind(n).bind(u.0).fetch_all(c).await)?
        }
        (Inbox::LedBy(u), Some(b)) => run!(db, |c| sqlx::query_as(LED_AFTER)
            .bind(org.0)
            .bind(st)
            .bind(n)
            .bind(u.0)
            .bind(b.0)
            .fetch_all(c)
            .await)?,
    };
    Ok(rows.into_iter().map(Into::into).collect())
}

/// How many items wait in each state of an inbox (for the tabs).
pub async fn count_items(db: &mut impl Db, org: OrgId, inbox: Inbox) -> Result<Vec<(String, i64)>> {
    const ALL: &str = "select state, count(*) from curation_items where org_id = $1 group by state";
    const LED: &str = "select i.state, count(*) from curation_items i where i.org_id = $1 and exists \
         (select 1 from curation_sources s join department_leads l on l.department_id = s.department_id \
          where s.item_id = i.id and l.user_id = $2) group by i.state";
    Ok(match inbox {
        Inbox::All => run!(db, |c| sqlx::query_as(ALL).bind(org.0).fetch_all(c).await)?,
        Inbox::LedBy(u) => run!(db, |c| sqlx::query_as(LED).bind(org.0).bind(u.0).fetch_all(c).await)?,
    })
}

/// A decision on an item, compare-and-set on its state: false when the item was no longer in
/// `from` (someone else decided first).
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub from: ItemState,
    pub to: ItemState,
    pub submission_id: Option<SubmissionId>,
    pub by: Option<UserId>,
    pub at: OffsetDateTime,
}

pub async fn decide_item(db: &mut impl Db, org: OrgId, id: CurationItemId, d: &Decision) -> Result<bool> {
    const SQL: &str = "update curation_items set state = $4, submission_id = $5, decided_by = $6, \
         decided_at = $7 where org_id = $1 and id = $2 and state = $3";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(d.from.as_str())
        .bind(d.to.as_str())
        .bind(d.submission_id.map(|s| s.0))
        .bind(d.by.map(|u| u.0))
        .bind(to_millis(d.at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
