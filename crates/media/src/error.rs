use crate::MediaClass;
use crate::limits::human_size;

/// Why an upload was refused. `Display` is a sentence meant for the person who uploaded.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("The file is empty.")]
    Empty,
    /// `class` is `None` when the type was not known yet (the request body was cut at [`crate::Limits::max`]).
    #[error("{}", too_large(*class, *limit))]
    TooLarge { class: Option<MediaClass>, limit: u64 },
    #[error(
        "This kind of file is not accepted: upload a JPEG, PNG, GIF or WebP image, an MP4/MOV/WebM video, \
         an MP3/M4A/OGG/WAV audio file or a PDF."
    )]
    UnsupportedType,
    /// The detail is for logs; it is not part of the message.
    #[error("This image could not be read: the file seems damaged or incomplete.")]
    CorruptImage(String),
    #[error("This image has too many pixels: at most 12,000 × 12,000 are accepted.")]
    TooManyPixels,
    #[error("The file could not be processed because of a problem on our side. Please try again.")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    /// The HTTP status that fits: 413 for size, 415 for type, 422 for bad content, 500 for `Io`.
    pub fn http_status(&self) -> u16 {
        match self {
            MediaError::TooLarge { .. } => 413,
            MediaError::UnsupportedType => 415,
            MediaError::Empty | MediaError::CorruptImage(_) | MediaError::TooManyPixels => 422,
            MediaError::Io(_) => 500,
        }
    }
}

fn too_large(class: Option<MediaClass>, limit: u64) -> String {
    let what = match class {
        Some(MediaClass::Image) => "Photos",
        Some(MediaClass::Video) => "Videos",
        Some(MediaClass::Audio) => "Audio files",
        Some(MediaClass::Pdf) => "PDFs",
        None => "Files",
    };
    format!("{what} may be at most {}.", human_size(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_sentences() {
        let err = MediaError::TooLarge { class: Some(MediaClass::Image), limit: 25 * 1024 * 1024 };
        assert_eq!(err.to_string(), "Photos may be at most 25 MiB.");
        let err = MediaError::TooLarge { class: None, limit: 500 * 1024 * 1024 };
        assert_eq!(err.to_string(), "Files may be at most 500 MiB.");
        assert_eq!(MediaError::Empty.to_string(), "The file is empty.");
        assert!(!MediaError::CorruptImage("zune: bad huffman".into()).to_string().contains("zune"));
        assert_eq!(MediaError::UnsupportedType.http_status(), 415);
    }
}
