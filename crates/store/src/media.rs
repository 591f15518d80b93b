//! Uploaded files: the row that describes each object in the object store.

use crate::{Db, Result, run};
use chorus_domain::{
    MediaId, OrgId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: MediaId,
    pub uploader_id: Option<UserId>,
    /// image, video, audio or pdf.
    pub class: String,
    pub mime: String,
    pub extension: String,
    pub bytes: i64,
    pub sha256: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// `image/jpeg` or `image/png` when there is a thumbnail.
    pub thumbnail_mime: Option<String>,
    /// The uploaded name, made safe; for display and downloads only.
    pub filename: String,
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    uploader_id: Option<Uuid>,
    class: String,
    mime: String,
    extension: String,
    bytes: i64,
    sha256: String,
    width: Option<i64>,
    height: Option<i64>,
    thumbnail_mime: Option<String>,
    filename: String,
    created_at: i64,
}

impl From<Row> for Media {
    fn from(r: Row) -> Self {
        Media {
            id: r.id.into(),
            uploader_id: r.uploader_id.map(Into::into),
            class: r.class,
            mime: r.mime,
            extension: r.extension,
            bytes: r.bytes,
            sha256: r.sha256,
            width: r.width,
            height: r.height,
            thumbnail_mime: r.thumbnail_mime,
            filename: r.filename,
            created_at: from_millis(r.created_at),
        }
    }
}

macro_rules! media_sql {
    ($tail:literal) => {
        concat!(
            "select m.id, m.uploader_id, m.class, m.mime, m.extension, m.bytes, m.sha256, m.width, \
             m.height, m.thumbnail_mime, m.filename, m.created_at from media m ",
            $tail
        )
    };
}

pub async fn insert(db: &mut impl Db, org: OrgId, m: &Media) -> Result<()> {
    const SQL: &str = "insert into media (id, org_id, uploader_id, class, mime, extension, bytes, sha256, \
         width, height, thumbnail_mime, filename, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
    run!(db, |c| sqlx::query(SQL)
        .bind(m.id.0)
        .bind(org.0)
        .bind(m.uploader_id.map(|u| u.0))
        .bind(&m.class)
        .bind(&m.mime)
        .bind(&m.extension)
        .bind(m.bytes)
        .bind(&m.sha256)
        .bind(m.width)
        .bind(m.height)
        .bind(m.thumbnail_mime.as_deref())
        .bind(&m.filename)
        .bind(to_millis(m.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &mut impl Db, org: OrgId, id: MediaId) -> Result<Option<Media>> {
    const SQL: &str = media_sql!("where m.org_id = $1 and m.id = $2");
    let row = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(Into::into))
}

/// The media attached to a submission, in order.
pub async fn of_submission(db: &mut impl Db, org: OrgId, id: SubmissionId) -> Result<Vec<Media>> {
    const SQL: &str = media_sql!(
        "join submission_media sm on sm.media_id = m.id where sm.org_id = $1 and sm.submission_id = $2 \
         order by sm.position"
    );
    let rows = run!(db, |c| sqlx::query_as::<_, Row>(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The submissions a file is attached to: who may see the file follows who may see them.
pub async fn attached_to(db: &mut impl Db, org: OrgId, id: MediaId) -> Result<Vec<SubmissionId>> {
    const SQL: &str = "select submission_id from submission_media where org_id = $1 and media_id = $2";
    let rows: Vec<(Uuid,)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(s,)| s.into()).collect())
}

/// Removes a file's row (its objects are the caller's business). Fails while a submission uses it.
pub async fn delete(db: &mut impl Db, org: OrgId, id: MediaId) -> Result<bool> {
    const SQL: &str = "delete from media where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Takes a file off every submission it is attached to.
pub async fn detach(db: &mut impl Db, org: OrgId, id: MediaId) -> Result<u64> {
    const SQL: &str = "delete from submission_media where org_id = $1 and media_id = $2";
    Ok(run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?)
}
