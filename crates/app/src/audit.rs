//! Writing and reading the audit log.

use crate::{Result, me::Caller};
use chorus_domain::{Action, AuditEventId, OrgId, authorize, pagination::Limit};
use chorus_store::{Db, audit};
use time::OffsetDateTime;

pub use chorus_store::audit::{AuditEvent, Filter};

/// What happened, for [`record`].
pub struct Entry<'a> {
    /// Dotted verb: `user.invited`, `token.created`, …
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    pub detail: serde_json::Value,
}

impl<'a> Entry<'a> {
    pub fn new(action: &'a str) -> Self {
        Self { action, target_type: None, target_id: None, detail: serde_json::json!({}) }
    }

    pub fn target(mut self, kind: &'a str, id: impl ToString) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends to the log, inside the caller's transaction so the record and the change commit together.
pub async fn record(
    db: &mut impl Db,
    org: OrgId,
    who: &Caller,
    at: OffsetDateTime,
    entry: Entry<'_>,
) -> Result<()> {
    let event = AuditEvent {
        id: AuditEventId::new(),
        at,
        actor_id: who.actor.user_id,
        actor_label: who.label.clone(),
        action: entry.action.to_owned(),
        target_type: entry.target_type.map(str::to_owned),
        target_id: entry.target_id,
        detail: entry.detail.to_string(),
        client_addr: who.client_addr.clone(),
    };
    audit::append(db, org, &event).await?;
    Ok(())
}

/// Admins browse the log, newest first, with filters.
pub async fn list(
    app: &crate::App,
    caller: &Caller,
    filter: &Filter,
    limit: Limit,
) -> Result<Vec<AuditEvent>> {
    authorize(&caller.actor, Action::ViewAuditLog)?;
    let mut db = app.store.conn().await?;
    Ok(audit::list(&mut db, caller.org_id(), filter, limit.get()).await?)
}

pub async fn actions(app: &crate::App, caller: &Caller) -> Result<Vec<String>> {
    authorize(&caller.actor, Action::ViewAuditLog)?;
    let mut db = app.store.conn().await?;
    Ok(audit::actions(&mut db, caller.org_id()).await?)
}
