//! Organization settings.

use crate::{
    App, Result,
    audit::{self, Entry},
    me::Caller,
};
use chorus_domain::{Action, Invalid, authorize, settings::OrgSettings};
use chorus_store::settings;

pub async fn get(app: &App, caller: &Caller) -> Result<OrgSettings> {
    let mut db = app.store.conn().await?;
    Ok(OrgSettings::from_json(&settings::get(&mut db, caller.org_id()).await?))
}

pub async fn update(app: &App, caller: &Caller, new: OrgSettings) -> Result<OrgSettings> {
    authorize(&caller.actor, Action::ManageSettings)?;
    if !(100..=100_000).contains(&new.mastodon_limit) {
        return Err(Invalid::new("mastodon_limit", "must be between 100 and 100000").into());
    }
    if !(1..=100).contains(&new.share_items_per_day) {
        return Err(Invalid::new("share_items_per_day", "must be between 1 and 100").into());
    }
    if !(1..=20).contains(&new.share_repeats_per_item) {
        return Err(Invalid::new("share_repeats_per_item", "must be between 1 and 20").into());
    }
    let json = serde_json::to_string(&new).map_err(|e| crate::Error::Internal(e.into()))?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    settings::set(&mut tx, caller.org_id(), &json).await?;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("settings.updated").detail(serde_json::to_value(&new).unwrap_or_default()),
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}
