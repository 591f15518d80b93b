//! An organization's settings, kept as one JSON document (`chorus_domain::settings::OrgSettings`).

use crate::{Db, Result, run};
use chorus_domain::OrgId;

pub async fn get(db: &mut impl Db, org: OrgId) -> Result<String> {
    const SQL: &str = "select settings from organizations where id = $1";
    let row: Option<(String,)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_optional(c).await)?;
    Ok(row.map(|(s,)| s).unwrap_or_else(|| "{}".to_owned()))
}

pub async fn set(db: &mut impl Db, org: OrgId, json: &str) -> Result<()> {
    const SQL: &str = "update organizations set settings = $2 where id = $1";
    run!(db, |c| sqlx::query(SQL).bind(org.0).bind(json).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
