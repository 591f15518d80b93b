//! Organization settings. Stored as JSON; every field has a default so older documents load.

/// What an organization's owners and admins can switch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Submissions from a department with a lead go to that lead before the social team.
    pub lead_review: bool,
    /// Characters a Mastodon post may have on the organization's instance.
    pub mastodon_limit: usize,
    /// The share guard: different items one person may share per day (a ceiling on volume,
    /// never a quota).
    pub share_items_per_day: u32,
    /// The share guard: times one person may share the same item per day.
    pub share_repeats_per_item: u32,
}

impl Default for OrgSettings {
    fn default() -> Self {
        let guard = crate::amplify::ShareGuard::default();
        Self {
            lead_review: true,
            mastodon_limit: 500,
            share_items_per_day: guard.max_items_per_day,
            share_repeats_per_item: guard.max_repeats_per_item,
        }
    }
}

impl OrgSettings {
    /// Reads the stored document; anything unreadable falls back to the defaults rather than
    /// locking an organization out of its own product.
    pub fn from_json(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn share_guard(&self) -> crate::amplify::ShareGuard {
        crate::amplify::ShareGuard {
            max_items_per_day: self.share_items_per_day,
            max_repeats_per_item: self.share_repeats_per_item,
        }
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
