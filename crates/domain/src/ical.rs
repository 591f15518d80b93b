//! iCalendar (RFC 5545) text: content lines escaped, folded at 75 octets and ended with CRLF.
//!
//! Shared by the publishing calendar (`GET /api/v1/calendar.ics`) and the social sessions'
//! invites (`GET /api/v1/events/{id}.ics`), so both write the same, strict text.

use time::OffsetDateTime;

/// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other control characters are not allowed in a TEXT value (§3.1).
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character; ends it with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

/// A UTC DATE-TIME value: `20261210T160000Z`.
pub fn utc_stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Content lines (unfolded, without line ends) in order; [`Lines::finish`] folds and joins them.
#[derive(Debug, Default, Clone)]
pub struct Lines(Vec<String>);

impl Lines {
    pub fn new() -> Self {
        Self::default()
    }

    /// A line written as is (the caller escaped what needs escaping).
    pub fn raw(&mut self, line: impl Into<String>) -> &mut Self {
        self.0.push(line.into());
        self
    }

    /// `NAME:value` with the value escaped as TEXT.
    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.0.push(format!("{name}:{}", escape(value)));
        self
    }

    /// The whole object: every line folded and ended with CRLF.
    pub fn finish(&self) -> String {
        self.0.iter().map(|l| fold(l)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("DESCRIPTION:{}", "é".repeat(100));
        let folded = fold(&line);
        for part in folded.split("\r\n").filter(|p| !p.is_empty()) {
            assert!(part.len() <= 75, "{} octets", part.len());
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end(), line);
    }

    #[test]
    fn text_values_escape_separators_backslashes_and_line_breaks() {
        assert_eq!(escape("a,b;c\nd"), "a\\,b\\;c\\nd");
        assert_eq!(escape("C:\\path\r\nnext"), "C:\\\\path\\nnext");
        assert_eq!(escape("bell\u{7}"), "bell");
    }
}
