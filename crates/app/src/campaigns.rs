//! Messaging goals (content pillars) and campaigns: the social team sets the direction,
//! contributors pick one when they submit.

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{Action, CampaignId, Invalid, PillarId, authorize, submission::content};
use chorus_store::campaigns;

pub use chorus_store::campaigns::{Campaign, Pillar};

pub async fn pillars(app: &App, caller: &Caller) -> Result<Vec<Pillar>> {
    let mut db = app.store.conn().await?;
    Ok(campaigns::pillars(&mut db, caller.org_id()).await?)
}

pub async fn campaigns(app: &App, caller: &Caller) -> Result<Vec<Campaign>> {
    let mut db = app.store.conn().await?;
    Ok(campaigns::campaigns(&mut db, caller.org_id()).await?)
}

fn name(s: &str, field: &'static str) -> std::result::Result<String, Invalid> {
    content::title(s).map_err(|e| Invalid::new(field, e.message))
}

pub async fn create_pillar(app: &App, caller: &Caller, name_raw: &str, description: &str) -> Result<Pillar> {
    authorize(&caller.actor, Action::ManageGuidelines)?;
    let mut p = Problems::default();
    let name = p.check(name(name_raw, "name"));
    let description = p.check(content::body(description));
    p.finish()?;
    let pillar = Pillar {
        id: PillarId::new(),
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        created_at: app.now(),
    };
    let mut tx = app.store.tx().await?;
    campaigns::insert_pillar(&mut tx, caller.org_id(), &pillar).await.map_err(|e| {
        if e.is_conflict() {
            Error::Conflict(format!("a goal named {:?} exists", pillar.name))
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        pillar.created_at,
        Entry::new("pillar.created")
            .target("pillar", pillar.id)
            .detail(serde_json::json!({"name": pillar.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(pillar)
}

/// What a campaign form or API call carries.
#[derive(Debug, Clone, Default)]
pub struct CampaignInput {
    pub name: String,
    pub goal: String,
    pub pillar_id: Option<PillarId>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub budget_cents: Option<i64>,
    pub channels: Vec<String>,
}

fn date(s: &Option<String>, field: &'static str) -> std::result::Result<Option<String>, Invalid> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => time::Date::parse(d, &fmt)
            .map(|_| Some(d.to_owned()))
            .map_err(|_| Invalid::new(field, "must be a date like 2026-12-01")),
    }
}

pub async fn create_campaign(app: &App, caller: &Caller, input: CampaignInput) -> Result<Campaign> {
    authorize(&caller.actor, Action::ManageGuidelines)?;
    let mut p = Problems::default();
    let name = p.check(name(&input.name, "name"));
    let goal = p.check(content::body(&input.goal));
    let starts_on = p.check(date(&input.starts_on, "starts_on")).flatten();
    let ends_on = p.check(date(&input.ends_on, "ends_on")).flatten();
    if let (Some(s), Some(e)) = (&starts_on, &ends_on)
        && e < s
    {
        p.check::<()>(Err(Invalid::new("ends_on", "must not be before the start")));
    }
    if input.budget_cents.is_some_and(|b| b < 0) {
        p.check::<()>(Err(Invalid::new("budget_cents", "must not be negative")));
    }
    let channels = p.check(content::channels(&input.channels));
    p.finish()?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let pillar_name = match input.pillar_id {
        Some(id) => Some(
            campaigns::pillars(&mut tx, org)
                .await?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| Error::from(Invalid::new("pillar_id", "no such messaging goal")))?
                .name,
        ),
        None => None,
    };
    let c = Campaign {
        id: CampaignId::new(),
        name: name.unwrap_or_default(),
        goal: goal.unwrap_or_default(),
        pillar_id: input.pillar_id,
        pillar_name,
        starts_on,
        ends_on,
        budget_cents: input.budget_cents,
        channels: channels.unwrap_or_default(),
        created_at: app.now(),
    };
    campaigns::insert_campaign(&mut tx, org, &c).await.map_err(|e| {
        if e.is_conflict() {
            Error::Conflict(format!("a campaign named {:?} exists", c.name))
        } else {
            e.into()
        }
    })?;
    audit::record(
        &mut tx,
        org,
        caller,
        c.created_at,
        Entry::new("campaign.created").target("campaign", c.id).detail(serde_json::json!({"name": c.name})),
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}
