use std::fmt;

use serde::{Deserialize, Serialize};

/// The four kinds of media Chorus accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaClass {
    Image,
    Video,
    Audio,
    Pdf,
}

impl MediaClass {
    pub const ALL: [MediaClass; 4] =
        [MediaClass::Image, MediaClass::Video, MediaClass::Audio, MediaClass::Pdf];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaClass::Image => "image",
            MediaClass::Video => "video",
            MediaClass::Audio => "audio",
            MediaClass::Pdf => "pdf",
        }
    }
}

impl fmt::Display for MediaClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the content of a file says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sniffed {
    /// The content type to store and serve, e.g. `image/jpeg`.
    pub mime: &'static str,
    pub class: MediaClass,
    /// Lower-case file extension without the dot, e.g. `jpg`.
    pub extension: &'static str,
}

const fn sniffed(mime: &'static str, class: MediaClass, extension: &'static str) -> Sniffed {
    Sniffed { mime, class, extension }
}

/// Decides the type of `bytes` by their content alone, against the allow-list:
/// JPEG, PNG, GIF, WebP, MP4, QuickTime, WebM, MP3, M4A, Ogg (Vorbis or Opus), WAV and PDF.
///
/// Everything else (HTML, SVG, executables, archives, office files, HEIC, ...) is `None`.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    use MediaClass::{Audio, Image, Pdf, Video};

    let kind = infer::get(bytes)?;
    let found = match kind.mime_type() {
        "image/jpeg" => sniffed("image/jpeg", Image, "jpg"),
        "image/png" => sniffed("image/png", Image, "png"),
        "image/gif" => sniffed("image/gif", Image, "gif"),
        "image/webp" => sniffed("image/webp", Image, "webp"),
        "video/mp4" => sniffed("video/mp4", Video, "mp4"),
        "video/quicktime" => sniffed("video/quicktime", Video, "mov"),
        "video/webm" => sniffed("video/webm", Video, "webm"),
        "audio/mpeg" => sniffed("audio/mpeg", Audio, "mp3"),
        // `infer` calls M4A `audio/m4a`; the registered type is `audio/mp4`.
        "audio/m4a" => sniffed("audio/mp4", Audio, "m4a"),
        // Ogg Opus (voice notes) is an Ogg file too: RFC 7845 registers it as `audio/ogg`.
        "audio/ogg" | "audio/opus" => sniffed("audio/ogg", Audio, "ogg"),
        "audio/x-wav" => sniffed("audio/wav", Audio, "wav"),
        // `infer` finds `%PDF` anywhere in the first KiB, which lets an HTML page with `%PDF` in a
        // comment pass; we want the header at the very start.
        "application/pdf" if bytes.starts_with(b"%PDF-") => sniffed("application/pdf", Pdf, "pdf"),
        _ => return None,
    };
    Some(found)
}
