//! Brand-guideline rules: stored as the domain's JSON, in the order admins gave them.

use crate::{Db, Result, run};
use chorus_domain::{OrgId, RuleId, clock::to_millis};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRule {
    pub id: RuleId,
    /// `chorus_domain::guidelines::Rule` as JSON.
    pub rule: String,
    pub enabled: bool,
}

pub async fn list(db: &mut impl Db, org: OrgId) -> Result<Vec<StoredRule>> {
    const SQL: &str = "select id, rule, enabled from guideline_rules where org_id = $1 order by position, id";
    let rows: Vec<(Uuid, String, i64)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, rule, enabled)| StoredRule { id: id.into(), rule, enabled: enabled == 1 })
        .collect())
}

pub async fn insert(
    db: &mut impl Db,
    org: OrgId,
    id: RuleId,
    rule_json: &str,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into guideline_rules (id, org_id, position, rule, enabled, created_at, updated_at) \
         values ($1, $2, (select coalesce(max(position), 0) + 1 from guideline_rules where org_id = $2), $3, 1, $4, $4)";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(rule_json)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update(
    db: &mut impl Db,
    org: OrgId,
    id: RuleId,
    rule_json: &str,
    enabled: bool,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str =
        "update guideline_rules set rule = $3, enabled = $4, updated_at = $5 where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(rule_json)
        .bind(i64::from(enabled))
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete(db: &mut impl Db, org: OrgId, id: RuleId) -> Result<bool> {
    const SQL: &str = "delete from guideline_rules where org_id = $1 and id = $2";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
