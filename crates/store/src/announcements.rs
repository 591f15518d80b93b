//! Announcements and who has read them (migration 0017).

use crate::{Db, Result, run};
use chorus_domain::{
    AnnouncementId, DepartmentId, OrgId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub id: AnnouncementId,
    /// `None`: company-wide.
    pub department_id: Option<DepartmentId>,
    /// The department's name (read with it; not stored).
    pub department_name: Option<String>,
    pub author_id: Option<UserId>,
    /// The author's name (read with it; not stored).
    pub author_name: Option<String>,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub pinned: bool,
    /// How many people it went to.
    pub audience: i64,
    /// How many of them have read it (read with it; not stored).
    pub reads: i64,
    /// Whether the person asking has read it (read with it; not stored).
    pub read_by_me: bool,
    pub created_at: OffsetDateTime,
}

pub async fn insert(db: &mut impl Db, org: OrgId, a: &Announcement) -> Result<()> {
    const SQL: &str = "insert into announcements (id, org_id, department_id, author_id, title, body, pinned, \
         audience, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    run!(db, |c| sqlx::query(SQL)
        .bind(a.id.0)
        .bind(org.0)
        .bind(a.department_id.map(|d| d.0))
        .bind(a.author_id.map(|u| u.0))
        .bind(&a.title)
        .bind(&a.body)
        .bind(i64::from(a.pinned))
        .bind(a.audience)
        .bind(to_millis(a.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The active people an announcement reaches: everyone, or one department's people.
pub async fn audience(db: &mut impl Db, org: OrgId, department: Option<DepartmentId>) -> Result<Vec<UserId>> {
    const ALL: &str = "select id from users where org_id = $1 and status = 'active' order by id";
    const DEPT: &str =
        "select id from users where org_id = $1 and status = 'active' and department_id = $2 order by id";
    let ids: Vec<Uuid> = match department {
        None => run!(db, |c| sqlx::query_scalar(ALL).bind(org.0).fetch_all(c).await)?,
        Some(d) => run!(db, |c| sqlx::query_scalar(DEPT).bind(org.0).bind(d.0).fetch_all(c).await)?,
    };
    Ok(ids.into_iter().map(Into::into).collect())
}

type Row = (
    Uuid,
    Option<Uuid>,
    Option<String>,
    Option<Uuid>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
);

macro_rules! select {
    ($tail:literal) => {
        concat!(
            "select a.id, a.department_id, d.name, a.author_id, u.name, a.title, a.body, a.pinned, a.audience, \
             (select count(*) from announcement_reads r where r.announcement_id = a.id), \
             (select count(*) from announcement_reads r where r.announcement_id = a.id and r.user_id = $2), \
             a.created_at from announcements a left join departments d on d.id = a.department_id \
             left join users u on u.id = a.author_id ",
            $tail
        )
    };
}

fn announcement(r: Row) -> Announcement {
    Announcement {
        id: r.0.into(),
        department_id: r.1.map(Into::into),
        department_name: r.2,
        author_id: r.3.map(Into::into),
        author_name: r.4,
        title: r.5,
        body: r.6,
        pinned: r.7 != 0,
        audience: r.8,
        reads: r.9,
        read_by_me: r.10 > 0,
        created_at: from_millis(r.11),
    }
}

/// Which announcements a list shows.
#[derive(Debug, Clone, Copy)]
pub struct ListQuery {
    pub viewer: UserId,
    /// The viewer's department: its announcements and the company-wide ones are shown.
    pub department: Option<DepartmentId>,
    /// Every announcement, whatever its department (admins and the social team).
    pub all: bool,
    pub pinned_only: bool,
    pub before: Option<AnnouncementId>,
    pub limit: i64,
}

/// What the viewer may see, newest first, before the cursor.
pub async fn list(db: &mut impl Db, org: OrgId, q: &ListQuery) -> Result<Vec<Announcement>> {
    let ListQuery { viewer, department, all, pinned_only, before, limit } = *q;
    const SQL: &str = select!(
        "where a.org_id = $1 and a.id < $3 and ($4 = 1 or a.department_id is null or a.department_id = $5) \
         and ($6 = 0 or a.pinned = 1) order by a.id desc limit $7"
    );
    let rows: Vec<Row> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(viewer.0)
        .bind(before.map_or(Uuid::max(), |b| b.0))
        .bind(i64::from(all))
        .bind(department.map_or(Uuid::nil(), |d| d.0))
        .bind(i64::from(pinned_only))
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(announcement).collect())
}

pub async fn get(
    db: &mut impl Db,
    org: OrgId,
    viewer: UserId,
    id: AnnouncementId,
) -> Result<Option<Announcement>> {
    const SQL: &str = select!("where a.org_id = $1 and a.id = $3");
    let row: Option<Row> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(viewer.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(announcement))
}

/// Records that a person read it; `false` when they already had.
pub async fn mark_read(
    db: &mut impl Db,
    org: OrgId,
    id: AnnouncementId,
    user: UserId,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "insert into announcement_reads (announcement_id, user_id, org_id, read_at) \
         values ($1, $2, $3, $4) on conflict (announcement_id, user_id) do nothing";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(user.0)
        .bind(org.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
