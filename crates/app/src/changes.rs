//! Keeping every instance's in-memory caches true to the database when several `chorus`
//! processes share one PostgreSQL (see `chorus_store::changes`).
//!
//! A use case that makes a cached answer wrong announces it in its transaction; every instance
//! (this one included) drops the affected entries when the signal arrives. When signals may have
//! been lost (the listening connection dropped), everything is dropped: the caches refill from
//! the database.

use chorus_domain::OrgId;
use chorus_store::changes::{self, Signal};

use crate::{App, Result};

/// What a signal says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Some tracked link's destination or status (content withdrawn or archived).
    Links,
    /// An organization's leaderboards (someone opted out or back in).
    Boards(OrgId),
}

impl Change {
    fn payload(self) -> String {
        match self {
            Change::Links => "links".to_owned(),
            Change::Boards(org) => format!("boards:{}", org.0),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            None if payload == "links" => Some(Change::Links),
            Some(("boards", org)) => org.parse().ok().map(|id| Change::Boards(OrgId(id))),
            _ => None,
        }
    }
}

/// Tells every instance, when `db`'s transaction commits, that `change` happened.
pub(crate) async fn announce(db: &mut impl chorus_store::Db, change: Change) -> Result<()> {
    Ok(changes::announce(db, &change.payload()).await?)
}

impl App {
    fn forget(&self, change: Option<Change>) {
        match change {
            Some(Change::Links) => self.links.clear(),
            Some(Change::Boards(org)) => self.boards.forget(org),
            // Lost signals, or one this version does not know (a newer instance sent it).
            None => {
                self.links.clear();
                self.boards.clear();
            }
        }
    }

    /// Applies other instances' changes to this one's caches until the process ends. Returns at
    /// once on SQLite. Spawned by `chorus serve`.
    pub async fn follow_changes(&self) {
        let mut signals = loop {
            match self.store.changes().await {
                Ok(Some(signals)) => {
                    // Requests may have filled the caches before this subscription existed.
                    self.forget(None);
                    break signals;
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "Cannot listen for other instances' changes; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        };
        loop {
            match signals.next().await {
                Ok(Signal::Changed(payload)) => self.forget(Change::parse(&payload)),
                Ok(Signal::Missed) => self.forget(None),
                Err(e) => {
                    self.forget(None);
                    tracing::warn!(error = %e, "Lost the change signals from other instances; reconnecting");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_the_change_they_name() {
        let org = OrgId(uuid::Uuid::new_v4());
        for change in [Change::Links, Change::Boards(org)] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        assert_eq!(Change::parse("boards:not-a-uuid"), None);
        assert_eq!(Change::parse("surveys"), None);
        assert_eq!(Change::parse(""), None);
    }
}
