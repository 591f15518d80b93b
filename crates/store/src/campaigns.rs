//! Messaging goals (content pillars) and campaigns, defined by the social team.

use crate::{Db, Result, run};
use chorus_domain::{
    CampaignId, OrgId, PillarId,
    clock::{from_millis, to_millis},
};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pillar {
    pub id: PillarId,
    pub name: String,
    pub description: String,
    pub created_at: OffsetDateTime,
}

fn key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub async fn insert_pillar(db: &mut impl Db, org: OrgId, p: &Pillar) -> Result<()> {
    const SQL: &str = "insert into pillars (id, org_id, name, name_key, description, created_at) \
         values ($1, $2, $3, $4, $5, $6)";
    run!(db, |c| sqlx::query(SQL)
        .bind(p.id.0)
        .bind(org.0)
        .bind(&p.name)
        .bind(key(&p.name))
        .bind(&p.description)
        .bind(to_millis(p.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn pillars(db: &mut impl Db, org: OrgId) -> Result<Vec<Pillar>> {
    const SQL: &str =
        "select id, name, description, created_at from pillars where org_id = $1 order by name_key";
    let rows: Vec<(Uuid, String, String, i64)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description, at)| Pillar {
            id: id.into(),
            name,
            description,
            created_at: from_millis(at),
        })
        .collect())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub goal: String,
    pub pillar_id: Option<PillarId>,
    pub pillar_name: Option<String>,
    /// ISO dates (YYYY-MM-DD), inclusive.
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub budget_cents: Option<i64>,
    pub channels: Vec<String>,
    pub created_at: OffsetDateTime,
}

type CampaignRow = (
    Uuid,
    String,
    String,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    String,
    i64,
);

fn campaign(r: CampaignRow) -> Campaign {
    let (id, name, goal, pillar, pillar_name, starts_on, ends_on, budget_cents, channels, at) = r;
    Campaign {
        id: id.into(),
        name,
        goal,
        pillar_id: pillar.map(Into::into),
        pillar_name,
        starts_on,
        ends_on,
        budget_cents,
        channels: channels.split_whitespace().map(str::to_owned).collect(),
        created_at: from_millis(at),
    }
}

macro_rules! campaign_sql {
    ($tail:literal) => {
        concat!(
            "select c.id, c.name, c.goal, c.pillar_id, p.name, c.starts_on, c.ends_on, c.budget_cents, \
             c.channels, c.created_at from campaigns c left join pillars p on p.id = c.pillar_id ",
            $tail
        )
    };
}

pub async fn insert_campaign(db: &mut impl Db, org: OrgId, c: &Campaign) -> Result<()> {
    const SQL: &str = "insert into campaigns (id, org_id, name, name_key, goal, pillar_id, starts_on, ends_on, \
         budget_cents, channels, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    run!(db, |x| sqlx::query(SQL)
        .bind(c.id.0)
        .bind(org.0)
        .bind(&c.name)
        .bind(key(&c.name))
        .bind(&c.goal)
        .bind(c.pillar_id.map(|p| p.0))
        .bind(c.starts_on.as_deref())
        .bind(c.ends_on.as_deref())
        .bind(c.budget_cents)
        .bind(c.channels.join(" "))
        .bind(to_millis(c.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Campaigns, the running and upcoming ones first (by start date), then the rest.
pub async fn campaigns(db: &mut impl Db, org: OrgId) -> Result<Vec<Campaign>> {
    const SQL: &str = campaign_sql!("where c.org_id = $1 order by c.ends_on desc, c.name_key");
    let rows: Vec<CampaignRow> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(campaign).collect())
}

pub async fn get_campaign(db: &mut impl Db, org: OrgId, id: CampaignId) -> Result<Option<Campaign>> {
    const SQL: &str = campaign_sql!("where c.org_id = $1 and c.id = $2");
    let row: Option<CampaignRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(campaign))
}
