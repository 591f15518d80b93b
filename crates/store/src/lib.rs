//! One storage layer over SQLite (the embedded default) and PostgreSQL (scale-out).
//!
//! SQL is shared by default: `&'static str` constants, lower-case, `$n` placeholders, no `now()`
//! (time comes from the caller's `Clock`). Each query runs on either backend through the
//! [`run!`] macro, which expands to a `match` whose arms are the same code monomorphized per
//! database. Where the dialects really differ, a function branches visibly with a comment.
//!
//! Every function takes the tenant (`OrgId`) first after the connection, except those in
//! [`admin`], which work across organizations (set-up, the CLI) and say so.

use sqlx::{
    PgConnection, Postgres, Sqlite, SqliteConnection,
    pool::PoolConnection,
    postgres::{PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, sync::Arc, time::Duration};

pub mod admin;
pub mod analytics;
pub mod announcements;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod changes;
pub mod channels;
pub mod chat;
pub mod departments;
pub mod digests;
pub mod events;
pub mod feeds;
pub mod guidelines;
pub mod jobs;
pub mod media;
pub mod mentoring;
pub mod notifications;
pub mod oidc;
pub mod policies;
pub mod posts;
pub mod preferences;
pub mod readiness;
pub mod recognition;
pub mod settings;
mod shapes;
pub mod shares;
pub mod social;
pub mod submissions;
pub mod surveys;
pub mod tokens;
pub mod training;
pub mod users;

mod error;
pub use error::{Error, Result};

/// Runs the same code on whichever backend a [`Db`] holds.
macro_rules! run {
    ($db:expr, |$c:ident| $body:expr) => {
        match $crate::Db::ex($db) {
            $crate::Ex::Sqlite($c) => $body,
            $crate::Ex::Postgres($c) => $body,
        }
    };
}
pub(crate) use run;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
enum Pool {
    /// Reads (and the rare write outside a transaction) share `read`; every transaction runs on
    /// the one connection of `write`, so a writer never waits for a reader's connection.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// The database. Cheap to clone: it is a pool handle.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite has one writer at a time. Transactions of this process queue here, in order,
    /// instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries: under
    /// concurrent writes most of the time went to those sleeps.
    write_gate: Arc<tokio::sync::Mutex<()>>,
    /// SQLite: the file whose lock serializes processes opening and migrating the same database
    /// (sqlx takes an advisory lock on PostgreSQL, but none on SQLite).
    setup_lock: Option<std::path::PathBuf>,
}

/// A borrowed connection on one backend: what every query function finally runs on.
pub enum Ex<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

/// Anything queries can run on: a pooled connection or a transaction.
pub trait Db: Send {
    fn ex(&mut self) -> Ex<'_>;
}

/// A connection taken from the pool; statements on it commit one by one.
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Db for Conn {
    fn ex(&mut self) -> Ex<'_> {
        match self {
            Conn::Sqlite(c) => Ex::Sqlite(&mut *c),
            Conn::Postgres(c) => Ex::Postgres(&mut *c),
        }
    }
}

/// One write statement outside a transaction, in line with the transactions (SQLite: the write
/// gate and connection; PostgreSQL: any pooled connection). One round trip instead of three.
pub enum WriteConn {
    Sqlite(PoolConnection<Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(PoolConnection<Postgres>),
}

impl Db for WriteConn {
    fn ex(&mut self) -> Ex<'_> {
        match self {
            WriteConn::Sqlite(c, _) => Ex::Sqlite(&mut *c),
            WriteConn::Postgres(c) => Ex::Postgres(&mut *c),
        }
    }
}

/// A transaction: nothing in it is visible to others until [`Tx::commit`]; dropped = rolled back.
pub enum Tx {
    /// SQLite, holding this process's write gate until it commits or is dropped (see `Store::tx`).
    Sqlite(sqlx::Transaction<'static, Sqlite>, tokio::sync::OwnedMutexGuard<()>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Db for Tx {
    fn ex(&mut self) -> Ex<'_> {
        match self {
            Tx::Sqlite(t, _) => Ex::Sqlite(&mut *t),
            Tx::Postgres(t) => Ex::Postgres(&mut *t),
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _gate) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Waits for the OS lock on `path` (created if missing), held until the returned file is
/// dropped or the process dies. No path (an in-memory database), no lock.
async fn take_turn(path: Option<&std::path::Path>) -> Result<Option<std::fs::File>> {
    let Some(path) = path.map(ToOwned::to_owned) else { return Ok(None) };
    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::File::options().create(true).truncate(false).write(true).open(path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| Error::Config(format!("database lock: {e}")))?
    .map(Some)
    .map_err(|e| Error::Config(format!("cannot lock the database file: {e}")))
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The versions each backend's migrations define (the twin-folder test compares them).
pub fn migration_versions(backend: Backend) -> Vec<i64> {
    let m = match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    m.iter().map(|m| m.version).collect()
}

impl Store {
    /// Opens `sqlite://path` (created if missing, WAL) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut setup_lock: Option<std::path::PathBuf> = None;
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Pool::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Reads go through memory-mapped pages instead of read() calls, and each
                // connection keeps a larger page cache: the review queue and the library read
                // many index pages per request.
                .pragma("mmap_size", "268435456")
                .pragma("cache_size", "-16384")
                .busy_timeout(Duration::from_secs(10));
            let file = options.get_filename();
            // (An in-memory database, which sqlx names `file:sqlx-in-memory-…`, has no file to lock.)
            let name = file.to_string_lossy();
            if !name.is_empty() && !name.contains(":memory:") && !name.contains("in-memory") {
                let mut lock = file.as_os_str().to_owned();
                lock.push(".migrate-lock");
                setup_lock = Some(std::path::PathBuf::from(lock));
            }
            // Opening switches a new file to WAL, which needs an exclusive lock; two processes
            // doing that at once can deadlock, and SQLite then answers "database is locked"
            // without waiting out the busy timeout. So processes open the file in turn too.
            let turn = take_turn(setup_lock.as_deref()).await?;
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            drop(turn);
            Pool::Sqlite { read, write }
        } else {
            return Err(Error::Config(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
            )));
        };
        Ok(Self { pool, write_gate: Arc::default(), setup_lock })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL sqlx holds an advisory lock meanwhile, so
    /// several instances starting at once migrate exactly once.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite { write, .. } => {
                // Processes starting together on one SQLite file take turns (an OS file lock,
                // released when the file is closed, even if the process dies).
                let _turn = take_turn(self.setup_lock.as_deref()).await?;
                SQLITE_MIGRATOR.run(write).await?
            }
            Pool::Postgres(p) => POSTGRES_MIGRATOR.run(p).await?,
        }
        Ok(())
    }

    pub async fn conn(&self) -> Result<Conn> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => Conn::Sqlite(read.acquire().await?),
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?),
        })
    }

    /// Starts a write transaction.
    pub async fn tx(&self) -> Result<Tx> {
        Ok(match &self.pool {
            // SQLite: take the write lock up front. A deferred transaction that reads and then
            // writes can fail with SQLITE_BUSY when another writer got there in between.
            // The gate is taken before the connection: waiting in line costs no connection, and
            // the holder always finds the write connection free.
            Pool::Sqlite { write, .. } => {
                let gate = Arc::clone(&self.write_gate).lock_owned().await;
                Tx::Sqlite(write.begin_with("begin immediate").await?, gate)
            }
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A connection for a single write statement (see [`WriteConn`]).
    pub async fn write(&self) -> Result<WriteConn> {
        Ok(match &self.pool {
            Pool::Sqlite { write, .. } => {
                let gate = Arc::clone(&self.write_gate).lock_owned().await;
                WriteConn::Sqlite(write.acquire().await?, gate)
            }
            Pool::Postgres(p) => WriteConn::Postgres(p.acquire().await?),
        })
    }

    /// Readiness: can we run a statement right now?
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.conn().await?;
        run!(&mut c, |c| sqlx::query("select 1").execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Refreshes the planner's statistics. PostgreSQL's autovacuum does this on its own, but
    /// only some time after a bulk load, which is when a benchmark starts.
    pub async fn analyze(&self) -> Result<()> {
        let mut c = self.conn().await?;
        run!(&mut c, |c| sqlx::query("analyze").execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}
