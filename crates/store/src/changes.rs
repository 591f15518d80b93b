//! Cross-instance change signals: what one `chorus` process tells the others so they drop what
//! they keep in memory (the tracked-link cache, leaderboards).
//!
//! On PostgreSQL a signal is a `NOTIFY` sent inside the writing transaction, so it reaches the
//! other instances exactly when the change becomes visible to them (at commit), and not at all
//! when the transaction rolls back. SQLite is one machine's database: signals are not sent, and
//! a second process on the same file relies on the caches' short lifetimes.

use crate::{Db, Ex, Pool, Result, Store};

/// The one channel every instance listens on; the payload names what changed.
pub const CHANNEL: &str = "chorus_changes";

/// Announces `what` to every instance (see the module notes). Runs in `db`'s transaction.
pub async fn announce(db: &mut impl Db, what: &str) -> Result<()> {
    if let Ex::Postgres(c) = db.ex() {
        sqlx::query("select pg_notify($1, $2)").bind(CHANNEL).bind(what).execute(c).await?;
    }
    Ok(())
}

/// The signals other instances (and this one) announce, in order.
pub struct Changes(sqlx::postgres::PgListener);

/// What [`Changes::next`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Signal {
    /// A payload given to [`announce`].
    Changed(String),
    /// The connection dropped and was re-established: signals sent meanwhile are lost, so
    /// everything kept in memory should be dropped.
    Missed,
}

impl Store {
    /// Subscribes to change signals; `None` on SQLite, which has no other instances to hear from.
    pub async fn changes(&self) -> Result<Option<Changes>> {
        match &self.pool {
            Pool::Postgres(p) => {
                // A pool of its own: the listener keeps its connection for the life of the
                // process, which would otherwise be one fewer for requests.
                let own = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy_with((*p.connect_options()).clone());
                let mut listener = sqlx::postgres::PgListener::connect_with(&own).await?;
                listener.listen(CHANNEL).await?;
                Ok(Some(Changes(listener)))
            }
            _ => Ok(None),
        }
    }
}

impl Changes {
    /// Waits for the next signal. An error means the database is unreachable right now: signals
    /// may be lost meanwhile, so treat it as [`Signal::Missed`], wait a moment and ask again.
    pub async fn next(&mut self) -> Result<Signal> {
        Ok(match self.0.try_recv().await? {
            Some(n) => Signal::Changed(n.payload().to_owned()),
            None => Signal::Missed,
        })
    }
}
