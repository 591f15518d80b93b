pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique or foreign-key constraint refused the write; `constraint` is the constraint
    /// name on PostgreSQL, the failing columns on SQLite.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("{0}")]
    Config(String),
    /// A stored value that does not parse any more (a bug or a hand edit).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && (db.is_unique_violation() || db.is_foreign_key_violation())
        {
            let constraint = db.constraint().map_or_else(|| db.message().to_owned(), str::to_owned);
            return Error::Conflict { constraint };
        }
        Error::Db(e)
    }
}

impl Error {
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }
}
