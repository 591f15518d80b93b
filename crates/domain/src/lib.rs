//! The pure rules of Chorus.
//!
//! Everything here is plain Rust with no I/O and no async: typed ids, values that are valid by
//! construction (`Email::parse`), roles and the authorization policy, and small rule engines such
//! as the sign-in throttle. The other crates parse at their edges into these types and then trust
//! them.

pub mod amplify;
pub mod analytics;
pub mod cadence;
pub mod chat;
pub mod clock;
pub mod curation;
pub mod error;
pub mod events;
pub mod guidelines;
pub mod ical;
pub mod ids;
pub mod mentoring;
pub mod notify;
pub mod pagination;
pub mod people;
pub mod policy;
pub mod publishing;
pub mod readiness;
pub mod recognition;
pub mod role;
pub mod settings;
pub mod social;
pub mod social_policy;
pub mod sso;
pub mod submission;
pub mod survey;
pub mod throttle;
pub mod training;
pub mod values;

pub use clock::{Clock, FakeClock, SystemClock};
pub use error::Invalid;
pub use ids::*;
pub use people::UserStatus;
pub use policy::{Action, Actor, Denied, authorize};
pub use role::Role;
pub use values::*;
