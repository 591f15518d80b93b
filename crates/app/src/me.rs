//! Who is calling: the signed-in person (or the operator at the command line).

use crate::{App, Error, Result};
use chorus_domain::{Actor, OrgId, UserId, UserStatus};
use chorus_store::{admin::Org, users, users::User};

/// The actor of a use case, with what the audit log records about them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    /// How the audit log names them.
    pub label: String,
    pub client_addr: Option<String>,
}

impl Caller {
    /// The operator at the command line.
    pub fn operator(org: OrgId) -> Self {
        Self { actor: Actor::operator(org), label: "command line".into(), client_addr: None }
    }

    pub fn org_id(&self) -> OrgId {
        self.actor.org_id
    }
}

/// A signed-in person, loaded once per request.
#[derive(Debug, Clone)]
pub struct Me {
    pub caller: Caller,
    pub user: User,
    pub org: Org,
}

impl Me {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn org_id(&self) -> OrgId {
        self.org.id
    }

    /// Builds the caller from an already-loaded person and organization (one more query: leads).
    pub async fn assemble(app: &App, user: User, org: Org, client_addr: Option<String>) -> Result<Me> {
        let mut db = app.store.conn().await?;
        let leads = users::leads_of(&mut db, org.id, user.id).await?;
        let actor = Actor {
            org_id: org.id,
            user_id: Some(user.id),
            role: user.role,
            department_id: user.department_id,
            leads,
        };
        Ok(Me { caller: Caller { actor, label: user.name.clone(), client_addr }, user, org })
    }

    /// Loads an active person with their organization and the departments they lead.
    pub async fn load(
        app: &App,
        org: OrgId,
        user: UserId,
        client_addr: Option<String>,
    ) -> Result<Option<Me>> {
        let (user, org) = {
            let mut db = app.store.conn().await?;
            let Some(user) = users::get(&mut db, org, user).await? else {
                return Ok(None);
            };
            if user.status != UserStatus::Active {
                return Ok(None);
            }
            let org = chorus_store::admin::org_by_id(&mut db, org).await?.ok_or(Error::NotFound)?;
            (user, org)
        };
        Me::assemble(app, user, org, client_addr).await.map(Some)
    }
}
