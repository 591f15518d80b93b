use crate::Invalid;
use std::{fmt, str::FromStr};

/// A person's one organization-wide role (SPEC §1). Being a lead *of a department* is recorded
/// separately; `Lead` is the role of people whose main job is leading a department's social media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Social,
    Lead,
    Employee,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Social, Role::Lead, Role::Employee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Social => "social",
            Role::Lead => "lead",
            Role::Employee => "employee",
        }
    }

    /// Human label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Social => "Social media team",
            Role::Lead => "Department lead",
            Role::Employee => "Employee",
        }
    }

    /// Owners and admins run the programme.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("role", "must be one of owner, admin, social, lead, employee"))
    }
}
