use crate::Invalid;
use std::{fmt, str::FromStr};

/// Where a person's account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Invited or imported; has not chosen a password yet.
    Invited,
    Active,
    /// Cannot sign in; everything they made stays.
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "invited" => Ok(UserStatus::Invited),
            "active" => Ok(UserStatus::Active),
            "deactivated" => Ok(UserStatus::Deactivated),
            _ => Err(Invalid::new("status", "must be invited, active or deactivated")),
        }
    }
}
