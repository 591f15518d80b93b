//! Finding terms in a text: caseless, Unicode-aware, whole words.
//!
//! Both the text and the terms go through the same folding ([`fold`]): compatibility normalization
//! (NFKC: fullwidth `ＡＢＣ` and ligatures like `ﬁ` become plain letters), full Unicode case folding
//! (`Straße` and `STRASSE` both become `strasse`, final sigma becomes sigma), NFC again, whitespace runs
//! collapsed to one space (so a multi-word term matches across a line break), invisible format
//! characters dropped (soft hyphen, zero-width space), and the combining dot that default case folding
//! leaves after an `i` from Turkish `İ` dropped, so `İSTANBUL` matches `istanbul`. Accents are kept:
//! `resume` does not match `résumé`.
//!
//! A match must stand as a whole word: where the term begins or ends with a letter, digit or `_`, the
//! text next to it must not be one, so `ass` does not match `class`, while `#fail` matches in
//! `so #fail!` but not in `#failure`. Scripts written without spaces between words (Chinese, Japanese
//! kana, Thai, Lao, Khmer, Myanmar) have no such boundaries, so there a term matches anywhere.

use caseless::Caseless;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick, is_nfkc_quick};

use super::links::is_mark;

/// The folded form of `s` (see the module documentation).
pub(crate) fn fold(s: &str) -> String {
    let mut folded = String::with_capacity(s.len() + 8);
    if s.is_ascii() {
        folded.extend(s.chars().map(|c| c.to_ascii_lowercase()));
        return tidy(&folded);
    }
    let nfkc: String;
    let s = if is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        s
    } else {
        nfkc = s.nfkc().collect();
        &nfkc
    };
    for c in s.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
        } else {
            folded.extend(std::iter::once(c).default_case_fold());
        }
    }
    // Folding can leave a decomposed sequence (`ǰ` becomes `j` and a combining caron): compose it.
    if is_nfc_quick(folded.chars()) != IsNormalized::Yes {
        folded = folded.nfc().collect();
    }
    tidy(&folded)
}

/// Whitespace runs to one space; soft hyphen and zero-width characters out; the dot above after `i`
/// or `j` (what default case folding makes of `İ`) out.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut prev = '\0';
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if matches!(c, '\u{AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
            || (c == '\u{307}' && matches!(prev, 'i' | 'j'))
        {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        prev = c;
    }
    if pending_space {
        out.push(' ');
    }
    out
}

/// A letter, digit, `_` or combining mark: something a word boundary cannot fall inside of.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_mark(c) || c == '\u{200C}' || c == '\u{200D}'
}

/// Scripts written without spaces between words, where whole-word matching cannot apply.
fn is_scriptio_continua(c: char) -> bool {
    matches!(c,
        '\u{E00}'..='\u{EFF}'          // Thai, Lao
        | '\u{1000}'..='\u{109F}'      // Myanmar
        | '\u{1780}'..='\u{17FF}'      // Khmer
        | '\u{2E80}'..='\u{2FDF}'      // CJK radicals
        | '\u{3005}'..='\u{3007}'
        | '\u{3021}'..='\u{3029}'
        | '\u{3038}'..='\u{303B}'
        | '\u{3040}'..='\u{30FF}'      // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'      // CJK ideographs
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF66}'..='\u{FF9F}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Whether a word boundary is needed next to `c`.
fn bounded(c: char) -> bool {
    is_word_char(c) && !is_scriptio_continua(c)
}

/// One term, as written and as folded.
#[derive(Debug, Clone)]
struct Term {
    written: String,
    folded: String,
    /// A boundary is needed before the term (it begins with a word character).
    bounded_start: bool,
    /// A boundary is needed after the term.
    bounded_end: bool,
}

/// A list of terms, folded once, to look for in folded texts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Terms {
    terms: Vec<Term>,
}

impl Terms {
    /// Blank terms (nothing left after folding and trimming) are left out: they would match anywhere.
    pub fn new(terms: &[String]) -> Self {
        let mut list: Vec<Term> = Vec::with_capacity(terms.len());
        for written in terms {
            let written = written.trim();
            let folded = fold(written).trim().to_owned();
            let (Some(first), Some(last)) = (folded.chars().next(), folded.chars().next_back()) else {
                continue;
            };
            if list.iter().any(|t| t.folded == folded) {
                continue;
            }
            list.push(Term {
                written: written.to_owned(),
                folded,
                bounded_start: bounded(first),
                bounded_end: bounded(last),
            });
        }
        Self { terms: list }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms as written.
    pub fn written(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|t| t.written.as_str())
    }

    /// The terms (as written) that occur in `folded`, a text passed through [`fold`].
    pub fn found_in<'a>(&'a self, folded: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.terms.iter().filter(move |t| occurs(t, folded)).map(|t| t.written.as_str())
    }

    /// Whether any of the terms occurs in `folded`.
    pub fn any_in(&self, folded: &str) -> bool {
        self.terms.iter().any(|t| occurs(t, folded))
    }
}

fn occurs(term: &Term, text: &str) -> bool {
    let mut from = 0;
    while let Some(at) = text[from..].find(&term.folded) {
        let start = from + at;
        let end = start + term.folded.len();
        let start_ok = !term.bounded_start || !text[..start].chars().next_back().is_some_and(bounded);
        let end_ok = !term.bounded_end || !text[end..].chars().next().is_some_and(bounded);
        if start_ok && end_ok {
            return true;
        }
        // Try again one character further: occurrences may overlap.
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(terms: &[&str], text: &str) -> Vec<String> {
        let terms = Terms::new(&terms.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        terms.found_in(&fold(text)).map(str::to_owned).collect()
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Hello   WORLD\n\tagain"), "hello world again");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("ΟΔΟΣ οδός"), "οδοσ οδόσ");
        assert_eq!(fold("ＡＢＣ ﬁne"), "abc fine");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("Glo\u{AD}bex"), "globex");
        assert_eq!(fold("e\u{301}"), "é");
    }

    #[test]
    fn whole_words_only() {
        assert_eq!(finds(&["ass"], "a class act"), Vec::<String>::new());
        assert_eq!(finds(&["ass"], "what an ass."), ["ass"]);
        assert_eq!(finds(&["ass"], "ASS"), ["ass"]);
        assert_eq!(finds(&["Globex"], "Globex's new plan"), ["Globex"]);
        assert_eq!(finds(&["Globex"], "globexcorp"), Vec::<String>::new());
        assert_eq!(finds(&["go"], "go-to market"), ["go"]);
    }

    #[test]
    fn phrases_and_punctuation() {
        assert_eq!(finds(&["free money"], "get FREE\n  money now"), ["free money"]);
        assert_eq!(finds(&["free money"], "freemoney"), Vec::<String>::new());
        assert_eq!(finds(&["#fail"], "so #FAIL!"), ["#fail"]);
        assert_eq!(finds(&["#fail"], "#failure"), Vec::<String>::new());
        assert_eq!(finds(&["#ad"], "great stuff #ad"), ["#ad"]);
        assert_eq!(finds(&["#ad"], "great #adventure"), Vec::<String>::new());
        assert_eq!(finds(&["#ad"], "fullwidth ＃ＡＤ"), ["#ad"]);
        assert_eq!(finds(&["c++"], "we love C++!"), ["c++"]);
    }

    #[test]
    fn unicode_case() {
        assert_eq!(finds(&["Straße"], "DIE STRASSE"), ["Straße"]);
        assert_eq!(finds(&["strasse"], "die Straße"), ["strasse"]);
        assert_eq!(finds(&["istanbul"], "İSTANBUL'da"), ["istanbul"]);
        assert_eq!(finds(&["λόγος"], "ΛΌΓΟΣ και"), ["λόγος"]);
        assert_eq!(finds(&["λόγος"], "διάλογος"), Vec::<String>::new());
        assert_eq!(finds(&["привет"], "ПРИВЕТ, мир"), ["привет"]);
        assert_eq!(finds(&["café"], "CAFE\u{301} au lait"), ["café"]);
    }

    #[test]
    fn right_to_left_terms() {
        assert_eq!(finds(&["שלום"], "אמרתי שלום לכולם"), ["שלום"]);
        assert_eq!(finds(&["سلام"], "قال سلام عليكم"), ["سلام"]);
        assert_eq!(finds(&["سلام"], "قال السلامة"), Vec::<String>::new());
    }

    #[test]
    fn scripts_without_spaces_match_inside_words() {
        assert_eq!(finds(&["死"], "去死吧"), ["死"]);
        assert_eq!(finds(&["Acme"], "我爱Acme产品"), ["Acme"]);
        assert_eq!(finds(&["ขาย"], "ขายของออนไลน์"), ["ขาย"]);
    }

    #[test]
    fn overlapping_occurrences() {
        assert_eq!(finds(&["ab ab"], "xab ab ab"), ["ab ab"]);
    }

    #[test]
    fn blank_and_duplicate_terms_are_dropped() {
        let terms = Terms::new(&[" ".into(), "\u{AD}".into(), "Foo".into(), "FOO".into()]);
        assert_eq!(terms.written().collect::<Vec<_>>(), ["Foo"]);
    }
}
