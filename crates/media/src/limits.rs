use serde::{Deserialize, Serialize};

use crate::MediaClass;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// The largest upload accepted for each kind, in bytes. Configurable; missing fields take the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub image: u64,
    pub video: u64,
    pub audio: u64,
    pub pdf: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { image: 25 * MIB, video: 500 * MIB, audio: 200 * MIB, pdf: 50 * MIB }
    }
}

impl Limits {
    pub const MIB: u64 = MIB;

    /// The limit for one kind.
    pub fn for_class(&self, class: MediaClass) -> u64 {
        match class {
            MediaClass::Image => self.image,
            MediaClass::Video => self.video,
            MediaClass::Audio => self.audio,
            MediaClass::Pdf => self.pdf,
        }
    }

    /// The largest of the limits: the cap for a request body before its type is known.
    pub fn max(&self) -> u64 {
        self.image.max(self.video).max(self.audio).max(self.pdf)
    }
}

/// Whole binary units when they divide exactly (`25 MiB`), bytes otherwise.
pub(crate) fn human_size(bytes: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{} {name}", bytes / unit);
        }
    }
    if bytes == 1 { "1 byte".to_owned() } else { format!("{bytes} bytes") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(25 * MIB), "25 MiB");
        assert_eq!(human_size(2 * GIB), "2 GiB");
        assert_eq!(human_size(1536 * MIB), "1536 MiB");
        assert_eq!(human_size(64 * KIB), "64 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
        assert_eq!(human_size(1), "1 byte");
    }

    #[test]
    fn max_and_for_class() {
        let limits = Limits { image: 1, video: 7, audio: 3, pdf: 2 };
        assert_eq!(limits.max(), 7);
        assert_eq!(limits.for_class(MediaClass::Audio), 3);
        assert_eq!(limits.for_class(MediaClass::Pdf), 2);
        assert_eq!(Limits::default().for_class(MediaClass::Image), 25 * MIB);
        assert_eq!(Limits::default().max(), 500 * MIB);
    }
}
