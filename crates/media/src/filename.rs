/// The longest name [`safe_filename`] returns, in characters.
pub const MAX_FILENAME_CHARS: usize = 120;

/// Longest extension kept whole when a long name is shortened.
const MAX_KEPT_EXTENSION_CHARS: usize = 16;

/// Makes an uploaded file name fit for display and for download names.
///
/// Keeps only the last path segment (both `/` and `\` separate), removes control characters and
/// bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) plus U+FEFF, trims white
/// space and leading dots, and shortens to [`MAX_FILENAME_CHARS`] characters, keeping a short extension.
/// Returns `"file"` when nothing is left. The result is plain text: still escape it in HTML and encode it
/// in a `Content-Disposition` header (`filename*=UTF-8''…`).
pub fn safe_filename(name: &str) -> String {
    let cleaned: String = name.chars().filter(|&c| !is_unwanted(c)).collect();
    let segment = cleaned.split(['/', '\\']).rev().map(clean_segment).find(|s| !s.is_empty()).unwrap_or("");
    if segment.is_empty() { "file".to_owned() } else { shorten(segment) }
}

fn is_unwanted(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || c == '\u{FEFF}'
}

/// Trims white space and dots at the start, white space at the end; `.` and `..` become empty.
fn clean_segment(segment: &str) -> &str {
    segment.trim_start_matches(|c: char| c == '.' || c.is_whitespace()).trim_end()
}

fn shorten(name: &str) -> String {
    let total = name.chars().count();
    if total <= MAX_FILENAME_CHARS {
        return name.to_owned();
    }
    let extension = name.rfind('.').map(|dot| &name[dot..]).filter(|ext| {
        ext.chars().count() <= MAX_KEPT_EXTENSION_CHARS + 1 && !ext.contains(char::is_whitespace)
    });
    match extension {
        Some(ext) => {
            let keep = MAX_FILENAME_CHARS - ext.chars().count();
            let stem: String = name.chars().take(keep).collect();
            format!("{}{ext}", stem.trim_end())
        }
        None => name.chars().take(MAX_FILENAME_CHARS).collect::<String>().trim_end().to_owned(),
    }
}
