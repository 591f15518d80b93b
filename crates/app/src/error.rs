use chorus_domain::{Denied, Invalid};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a use case can answer besides success. The web layer maps each variant to one
/// HTTP status and a problem+json body (or an HTML page); `Internal` is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Missing, or belonging to another organization: the two must look the same.
    #[error("not found")]
    NotFound,
    /// No valid session or token, or wrong credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error(transparent)]
    Forbidden(#[from] Denied),
    /// Input that breaks a rule; one entry per field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    /// The request conflicts with the current state (duplicate e-mail, last owner, …).
    #[error("{0}")]
    Conflict(String),
    /// A write based on an old version of a submission: refused, with the current one to show.
    #[error("{message}")]
    Changed { message: String, current: Box<chorus_store::submissions::Submission> },
    /// A time that breaks a channel's cadence guard, with the next time that would not.
    #[error("{message}")]
    Cadence { message: String, next_free: Option<time::OffsetDateTime> },
    /// An upload refused for its size, type or content.
    #[error(transparent)]
    Upload(chorus_media::MediaError),
    /// A request that makes no sense as asked (an inverted or malformed report period).
    #[error("{0}")]
    BadRequest(String),
    /// A link that has expired or was already used.
    #[error("{0}")]
    Gone(&'static str),
    #[error("too many attempts; try again in {} minutes", .retry_after.whole_minutes().max(1))]
    TooManyRequests { retry_after: time::Duration },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(vec![e])
    }
}

impl From<chorus_store::Error> for Error {
    fn from(e: chorus_store::Error) -> Self {
        match e {
            chorus_store::Error::Conflict { .. } => Error::Conflict("that already exists".into()),
            other => Error::Internal(anyhow::Error::new(other)),
        }
    }
}

impl Error {
    /// A stable, machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::Unauthenticated(_) => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::Changed { .. } => "changed",
            Error::Cadence { .. } => "cadence",
            Error::Upload(_) => "upload_refused",
            Error::Gone(_) => "gone",
            Error::BadRequest(_) => "bad_request",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::Internal(_) => "internal",
        }
    }
}

/// Collects parse results so a form can report every bad field at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<Invalid>);

impl Problems {
    pub fn check<T>(&mut self, r: std::result::Result<T, Invalid>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// `Err` with every collected problem, if any.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Invalid(self.0)) }
    }
}
