//! Organization settings. Stored as JSON; every field has a default so older documents load.

/// What an organization's owners and admins can switch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Submissions from a department with a lead go to that lead before the social team.
    pub lead_review: bool,
    /// Characters a Mastodon post may have on the organization's instance.
    pub mastodon_limit: usize,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self { lead_review: true, mastodon_limit: 500 }
    }
}

impl OrgSettings {
    /// Reads the stored document; anything unreadable falls back to the defaults rather than
    /// locking an organization out of its own product.
    pub fn from_json(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_their_defaults() {
        assert_eq!(OrgSettings::from_json("{}"), OrgSettings::default());
        assert!(!OrgSettings::from_json(r#"{"lead_review": false}"#).lead_review);
        assert_eq!(OrgSettings::from_json("not json"), OrgSettings::default());
    }
}
