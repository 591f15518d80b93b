//! What operators watch (Prometheus `/metrics`): figures across every organization, with no
//! organization's data in them (counts by job kind only). Not reachable by any user of the app:
//! the binary serves them on an operator-only listener.

use crate::{App, Result};

pub use chorus_store::jobs::ReadyKind;

/// Due jobs waiting for a worker, by kind, with the oldest due time of each.
pub async fn ready_jobs(app: &App) -> Result<Vec<ReadyKind>> {
    let mut db = app.store.conn().await?;
    Ok(chorus_store::jobs::ready_by_kind(&mut db, app.clock.now()).await?)
}
