//! Links in a text: where they are, and which ones X, Mastodon and the link-domain rules treat as links.
//!
//! `linkify` finds the candidates; the networks' own rules then decide what of each candidate is a
//! link. X (twitter-text) and Mastodon (which reuses twitter-text's URL regex with its own path
//! characters) only take a host that ends in a known top-level domain, so `node.js` and `file.txt` are
//! text while `example.com` and `asp.net` are links; the domain may end where a top-level domain is
//! followed by a letter of another script (`example.comをご覧`). X also takes links without a scheme,
//! but not a bare `name.cc` on a two-letter country domain (`script.py`) unless a path follows, except
//! on `.co` and `.tv`; its paths stop at characters outside ASCII, Cyrillic and Latin letters, while
//! Mastodon's run to the next space.

use std::{collections::HashSet, ops::Range, sync::LazyLock};

/// Known top-level domains (see the header of `tlds.txt`).
static TLDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("tlds.txt").lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
});

/// Schemes whose links Mastodon shortens to 23 characters (the schemes of its `valid_url` regex).
const MASTODON_SCHEMES: [&str; 9] =
    ["http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "gemini"];

/// The link candidates of a text, found twice (see [`find`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Links {
    /// Candidates in the text with non-ASCII top-level domains masked.
    all: Pass,
    /// Candidates in a copy with every non-ASCII character other than a Latin letter blanked out;
    /// `None` for an ASCII text, where they are the same as `all`.
    latin: Option<Pass>,
}

/// One run of linkify: what it ran over (`None`: the text itself) and what it found.
#[derive(Debug, Clone, Default)]
struct Pass {
    haystack: Option<String>,
    links: Vec<Link>,
}

impl Pass {
    fn new(text: &str, haystack: Option<String>) -> Self {
        let links = candidates(text, haystack.as_deref().unwrap_or(text), 0..text.len());
        Self { haystack, links }
    }

    /// The ranges `range_of` makes of the candidates `wanted` keeps. When a range stops short of its
    /// candidate (a path cut at a character the network does not take, a domain cut before a letter of
    /// another script), linkify runs again over the rest of the candidate, which may hold more links:
    /// `https://example.com.https://example.org` is two links to X, one candidate to linkify.
    fn ranges(
        &self,
        text: &str,
        wanted: impl Fn(&Link) -> bool,
        range_of: impl Fn(&Link, &str) -> Option<Range<usize>>,
    ) -> Vec<Range<usize>> {
        let haystack = self.haystack.as_deref().unwrap_or(text);
        // Each candidate with where the next one starts: a rescan looks no further.
        let next_starts = self.links.iter().skip(1).map(|l| l.range.start).chain([text.len()]);
        let mut todo: Vec<(Link, usize)> =
            self.links.iter().cloned().zip(next_starts).filter(|(l, _)| wanted(l)).collect();
        let mut out = Vec::new();
        while let Some((link, region_end)) = todo.pop() {
            let Some(range) = range_of(&link, text) else { continue };
            if range.end < link.range.end {
                let rest = candidates(text, haystack, range.end..region_end);
                todo.extend(rest.into_iter().filter(|l| wanted(l)).map(|l| (l, region_end)));
            }
            out.push(range);
        }
        out
    }
}

/// Every link candidate in `text`.
///
/// linkify runs twice. Once over the text with each non-ASCII label after a dot replaced by ASCII
/// letters of the same byte length (linkify only takes a top-level domain that starts with two ASCII
/// letters, which leaves out `.рф`, `.中国`, `.پاکستان`; everywhere else it treats non-ASCII letters
/// like ASCII ones, and `valid_host_len` judges the real domain afterwards). And once over the text
/// with every non-ASCII character other than a Latin letter replaced by spaces: X only takes ASCII and
/// Latin domains without a scheme, and in `twitter.comこれは日本語です。example.com中国語t.co/abcde` it
/// finds three links where linkify, seeing letters throughout, finds one. The offsets stay those of
/// `text`.
pub(crate) fn find(text: &str) -> Links {
    if !text.contains('.') {
        // Every candidate (`example.com`, `https://example.com`) has a dot in its host.
        return Links::default();
    }
    if text.is_ascii() {
        return Links { all: Pass::new(text, None), latin: None };
    }
    let mut after_dot = false;
    let masked = text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if after_dot && !c.is_ascii() && (c.is_alphanumeric() || is_mark(c)) {
            out.extend(std::iter::repeat_n('a', c.len_utf8()));
        } else {
            after_dot = c == '.';
            out.push(c);
        }
        out
    });
    let latin = text.chars().fold(String::with_capacity(text.len()), |mut out, c| {
        if c.is_ascii() || is_latin_letter(c) {
            out.push(c);
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
        out
    });
    Links { all: Pass::new(text, Some(masked)), latin: Some(Pass::new(text, Some(latin))) }
}

/// linkify's candidates in `haystack[within]`, with offsets into `text`.
fn candidates(text: &str, haystack: &str, within: Range<usize>) -> Vec<Link> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]).url_must_have_scheme(false);
    let offset = within.start;
    finder.links(&haystack[within]).map(|l| parse(text, offset + l.start(), offset + l.end())).collect()
}

impl Links {
    fn latin(&self) -> &Pass {
        self.latin.as_ref().unwrap_or(&self.all)
    }

    /// The ranges X counts as URLs (23 characters each), in order.
    pub fn x_urls(&self, text: &str) -> Vec<Range<usize>> {
        let mut urls = self.all.ranges(text, |l| l.scheme.is_some(), Link::x_range);
        urls.extend(self.latin().ranges(text, |_| true, Link::x_range));
        non_overlapping(urls)
    }

    /// The ranges Mastodon replaces by 23 characters, in order.
    pub fn mastodon_urls(&self, text: &str) -> Vec<Range<usize>> {
        non_overlapping(self.all.ranges(text, |l| l.scheme.is_some(), Link::mastodon_range))
    }

    /// The hosts the link-domain rules check, lowercased, without a trailing dot, each once: those of
    /// links with any scheme, and of domains X turns into links without one.
    pub fn hosts(&self, text: &str) -> Vec<String> {
        let with_scheme =
            self.all.links.iter().filter(|l| l.scheme.is_some()).filter_map(|l| l.checked_host(text));
        let on_x =
            self.x_urls(text).into_iter().filter_map(|r| parse(text, r.start, r.end).checked_host(text));
        let mut hosts: Vec<String> = Vec::new();
        for host in with_scheme.chain(on_x) {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        hosts
    }
}

/// Sorted by start, the longer first; each range that overlaps an earlier one is dropped.
fn non_overlapping(mut ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut end = 0;
    ranges.retain(|r| {
        let keep = r.start >= end;
        if keep {
            end = r.end;
        }
        keep
    });
    ranges
}

/// A link candidate, as byte offsets into the text it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link {
    /// The candidate as linkify found it.
    range: Range<usize>,
    /// The scheme without `://`, if the link has one.
    scheme: Option<Range<usize>>,
    /// The host (no user info, no port) as far as linkify took it.
    host: Range<usize>,
}

impl Link {
    fn scheme<'t>(&self, text: &'t str) -> Option<&'t str> {
        self.scheme.clone().map(|r| &text[r])
    }

    /// Where the valid host ends, if the host is a valid domain (see [`valid_host_len`]).
    fn valid_host_end(&self, text: &str) -> Option<usize> {
        let next = text[self.host.end..].chars().next();
        valid_host_len(&text[self.host.clone()], next, self.scheme.is_none()).map(|len| self.host.start + len)
    }

    /// The part X counts as a URL, if any.
    fn x_range(&self, text: &str) -> Option<Range<usize>> {
        let schemeless = match self.scheme(text) {
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => false,
            Some(_) => return None,
            None => true,
        };
        if !preceded_validly(text, self.range.start, schemeless) {
            return None;
        }
        let host_end = self.valid_host_end(text)?;
        if !schemeless && text[self.host.start..host_end].eq_ignore_ascii_case("t.co") {
            // twitter-text's `validTcoUrl`: a t.co link ends with its slug, at most 40 characters.
            let slug = text[host_end..self.range.end]
                .strip_prefix('/')
                .map_or(0, |r| r.len() - r.trim_start_matches(|c: char| c.is_ascii_alphanumeric()).len());
            return match slug {
                0 => Some(self.range.start..host_end),
                1..=40 => Some(self.range.start..host_end + 1 + slug),
                _ => None,
            };
        }
        let end = if host_end < self.host.end {
            host_end
        } else {
            url_end(text, host_end, self.range.end, &X_PATH)
        };
        if schemeless && !text[host_end..end].trim_start_matches(port).starts_with('/') {
            // twitter-text's `invalidShortDomain`: `name.cc` without a scheme or path is not a link,
            // except on .co and .tv (`validSpecialShortDomain`).
            let mut labels = text[self.host.start..host_end].split('.');
            if let (Some(_), Some(tld), None) = (labels.next(), labels.next(), labels.next())
                && tld.len() == 2
                && !tld.eq_ignore_ascii_case("co")
                && !tld.eq_ignore_ascii_case("tv")
            {
                return None;
            }
        }
        Some(self.range.start..end)
    }

    /// The part Mastodon's `StatusLengthValidator` replaces by 23 characters, if any: it extracts URLs
    /// only with a scheme (`extract_url_without_protocol: false`).
    fn mastodon_range(&self, text: &str) -> Option<Range<usize>> {
        let scheme = self.scheme(text)?;
        if !MASTODON_SCHEMES.iter().any(|s| scheme.eq_ignore_ascii_case(s))
            || !preceded_validly(text, self.range.start, false)
        {
            return None;
        }
        let host_end = self.valid_host_end(text)?;
        let end = if host_end < self.host.end {
            host_end
        } else {
            url_end(text, host_end, self.range.end, &MASTODON_PATH)
        };
        Some(self.range.start..end)
    }

    /// The host the link-domain rules check: of any link with a scheme (the valid part of it, or all of
    /// it for hosts like `localhost`), and of a scheme-less one that X turns into a link.
    fn checked_host(&self, text: &str) -> Option<String> {
        let end = match self.scheme {
            Some(_) => self.valid_host_end(text).unwrap_or(self.host.end),
            None => {
                self.x_range(text)?;
                self.valid_host_end(text)?
            }
        };
        let host = &text[self.host.start..end];
        let host = host.strip_suffix('.').unwrap_or(host);
        (!host.is_empty()).then(|| host.to_lowercase())
    }
}

fn port(c: char) -> bool {
    c == ':' || c.is_ascii_digit()
}

fn parse(text: &str, start: usize, end: usize) -> Link {
    let url = &text[start..end];
    let (scheme, after_scheme) = match url.find("://") {
        Some(i)
            if i > 0
                && url[..i].starts_with(|c: char| c.is_ascii_alphabetic())
                && url[..i].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            (Some(start..start + i), i + 3)
        }
        _ => (None, 0),
    };
    let rest = &url[after_scheme..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // Drop user info, then the port.
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_and_port = &authority[host_start..];
    let host_len = if host_and_port.starts_with('[') {
        host_and_port.find(']').map_or(host_and_port.len(), |i| i + 1)
    } else {
        match host_and_port.rfind(':') {
            Some(i) if host_and_port[i + 1..].chars().all(|c| c.is_ascii_digit()) => i,
            _ => host_and_port.len(),
        }
    };
    let host_begin = start + after_scheme + host_start;
    Link { range: start..end, scheme, host: host_begin..host_begin + host_len }
}

/// twitter-text's `validUrlPrecedingChars` (and, without a scheme, `invalidUrlWithoutProtocolPrecedingChars`).
fn preceded_validly(text: &str, start: usize, schemeless: bool) -> bool {
    let invalid = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(c, '@' | '＠' | '$' | '#' | '＃')
            || (schemeless && matches!(c, '-' | '_' | '.' | '/'))
    };
    !text[..start].chars().next_back().is_some_and(invalid)
}

/// twitter-text's `validDomain`: how much of `host` is a valid domain, if any. Dot-separated labels,
/// the last a known top-level domain or a punycode one; underscores only in subdomains; no label
/// starting or ending with a hyphen or longer than 63 bytes; without a scheme only ASCII and Latin
/// letters (`validAsciiDomain`). The top-level domain must not be followed by `[0-9a-zA-Z@+-]` (its
/// lookahead; `next` is the character after the host), and the longest such domain wins, so
/// `example.comをご覧` has the domain `example.com`, `example.com.https` has `example.com`, and
/// `foo.co-` has none.
fn valid_host_len(host: &str, next: Option<char>, schemeless: bool) -> Option<usize> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || c == '-'
                    || c == '_'
                    || if schemeless { is_latin_letter(c) } else { c.is_alphanumeric() || is_mark(c) }
            })
    };
    let valid = |domain: &str| {
        let Some((labels, tld)) = domain.rsplit_once('.') else { return false };
        let tld_lower = tld.to_lowercase();
        label_ok(tld)
            && !tld.contains('_')
            && ((tld_lower.starts_with("xn--") && tld_lower.len() > 4) || TLDS.contains(tld_lower.as_str()))
            && labels.split('.').all(label_ok)
            && !labels.rsplit('.').next().is_some_and(|name| name.contains('_'))
    };
    let continues =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '+' | '-'));
    let ends = host.char_indices().map(|(i, c)| (i, Some(c))).skip(1).chain([(host.len(), next)]);
    ends.filter(|&(_, following)| !continues(following)).map(|(i, _)| i).filter(|&i| valid(&host[..i])).last()
}

/// What may be in a URL's path and query, per network (twitter-text's `validGeneralUrlPathChars`,
/// `validUrlPathEndingChars`, `validUrlQueryChars`, `validUrlQueryEndingChars`, and Mastodon's
/// redefinitions of them).
struct UrlChars {
    path: fn(char) -> bool,
    path_end: fn(char) -> bool,
    query: fn(char) -> bool,
    query_end: fn(char) -> bool,
}

const X_PATH: UrlChars = UrlChars {
    path: |c| {
        c.is_ascii_alphanumeric()
            || "!*';:=+,.$/%#[]-_~&|@".contains(c)
            || ('\u{400}'..='\u{4FF}').contains(&c)
            || c == '\u{2013}'
            || is_latin_letter(c)
    },
    path_end: |c| {
        c.is_ascii_alphanumeric()
            || "+-=_#/".contains(c)
            || ('\u{400}'..='\u{4FF}').contains(&c)
            || is_latin_letter(c)
    },
    query: |c| c.is_ascii_alphanumeric() || "!?*'@();:&=+$/%#[]-_.,~|".contains(c),
    query_end: |c| c.is_ascii_alphanumeric() || "-_&=#/".contains(c),
};

const MASTODON_PATH: UrlChars = UrlChars {
    path: |c| !c.is_whitespace() && !"<>()?".contains(c),
    path_end: |c| !c.is_whitespace() && !"()?!*\"'「」<>;:=,.$%[]~&|@".contains(c),
    query: |c| {
        if c.is_ascii() {
            c.is_ascii_alphanumeric() || "!?*'();:&=+$/%#[]-_.,~|@^".contains(c)
        } else {
            !c.is_whitespace()
        }
    },
    query_end: |c| {
        if c.is_ascii() { c.is_ascii_alphanumeric() || "_&=#/-".contains(c) } else { !c.is_whitespace() }
    },
};

/// Where a URL whose host ends at `host_end` ends: an optional port, path (with balanced parentheses,
/// one level deep) and query, each ending on a character allowed at its end; never past `limit`.
fn url_end(text: &str, host_end: usize, limit: usize, chars: &UrlChars) -> usize {
    let s = &text[..limit];
    let mut end = host_end;
    if let Some(rest) = s[end..].strip_prefix(':') {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    if s[end..].starts_with('/') {
        let mut depth = 0usize;
        let mut path_end = end + 1;
        for (i, c) in s[end + 1..].char_indices() {
            let at = end + 1 + i;
            match c {
                '(' if depth < 2 => depth += 1,
                ')' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        path_end = at + 1;
                    }
                }
                c if (chars.path)(c) => {
                    if depth == 0 && (chars.path_end)(c) {
                        path_end = at + c.len_utf8();
                    }
                }
                _ => break,
            }
        }
        end = path_end;
    }
    if s[end..].starts_with('?') {
        let mut query_end = None;
        for (i, c) in s[end + 1..].char_indices() {
            if !(chars.query)(c) {
                break;
            }
            if (chars.query_end)(c) {
                query_end = Some(end + 1 + i + c.len_utf8());
            }
        }
        if let Some(q) = query_end {
            end = q;
        }
    }
    end
}

/// twitter-text's `latinAccentChars`, the letters it allows in scheme-less domains besides ASCII.
pub(crate) fn is_latin_letter(c: char) -> bool {
    matches!(c,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{FF}' | '\u{100}'..='\u{24F}'
        | '\u{253}' | '\u{254}' | '\u{256}' | '\u{257}' | '\u{259}' | '\u{25B}' | '\u{263}' | '\u{268}'
        | '\u{26F}' | '\u{272}' | '\u{289}' | '\u{28B}' | '\u{2BB}' | '\u{300}'..='\u{36F}'
        | '\u{1E00}'..='\u{1EFF}')
}

/// Combining marks that `char::is_alphanumeric` leaves out (accents, mostly).
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{300}'..='\u{36F}' | '\u{483}'..='\u{489}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Whether `domain` (a rule's entry, already lowercase) covers `host`: the domain itself or any subdomain.
pub(crate) fn domain_covers(domain: &str, host: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host[..host.len() - domain.len()].ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x_links(text: &str) -> Vec<&str> {
        find(text).x_urls(text).into_iter().map(|r| &text[r]).collect()
    }

    fn mastodon_links(text: &str) -> Vec<&str> {
        find(text).mastodon_urls(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn hosts_ports_and_user_info() {
        let text = "go to https://user:pw@Sub.Example.COM:8080/path?q=1. now";
        let links = find(text);
        let urls: Vec<&str> = links.x_urls(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(urls, ["https://user:pw@Sub.Example.COM:8080/path?q=1"]);
        assert_eq!(links.hosts(text), ["sub.example.com"]);
    }

    #[test]
    fn x_takes_known_domains_with_or_without_scheme() {
        assert_eq!(x_links("see example.com and www.example.org/x"), ["example.com", "www.example.org/x"]);
        assert_eq!(x_links("(https://example.com/a_(b))"), ["https://example.com/a_(b)"]);
        assert_eq!(
            x_links("t.co example.co foo.tv foo.co.jp"),
            ["t.co", "example.co", "foo.tv", "foo.co.jp"]
        );
        assert_eq!(x_links("example.de/page"), ["example.de/page"]);
    }

    #[test]
    fn x_leaves_file_names_and_other_schemes() {
        assert!(x_links("Node.js, file.txt, index.html").is_empty());
        assert!(x_links("script.py and example.de").is_empty());
        assert!(x_links("ftp://files.example.com/a http://localhost:8080/x").is_empty());
        assert!(x_links("me@example.com").is_empty());
        assert!(x_links("_example.com").is_empty());
        assert!(x_links("http://www.-domain4352.com/").is_empty());
    }

    #[test]
    fn internationalized_domains() {
        assert_eq!(x_links("\u{202A}http://foobar.پاکستان/\u{202C}"), ["http://foobar.پاکستان/"]);
        assert_eq!(x_links("сайт: https://пример.рф/путь, ок"), ["https://пример.рф/путь"]);
        assert_eq!(x_links("https://例え.jp"), ["https://例え.jp"]);
        // Without a scheme X only takes ASCII (and Latin) domains; a word.word in Cyrillic is text.
        assert!(x_links("пример.рф и слово.слово").is_empty());
        assert_eq!(mastodon_links("https://пример.рф"), ["https://пример.рф"]);
    }

    /// twitter-text's own extraction conformance cases (extract.yml, "urls_with_indices" and "urls").
    #[test]
    fn x_conformance() {
        assert_eq!(
            x_links(
                "twitter.comこれは日本語です。example.com中国語t.co/abcde한국twitter.com example2.comテストtwitter.com/abcde"
            ),
            ["twitter.com", "example.com", "t.co/abcde", "twitter.com", "example2.com", "twitter.com/abcde"]
        );
        assert_eq!(
            x_links(
                "http://twitter.com/これは日本語です。example.com中国語http://t.co/abcde한국twitter.comテストexample2.comテストhttp://twitter.com/abcde"
            ),
            [
                "http://twitter.com/",
                "example.com",
                "http://t.co/abcde",
                "twitter.com",
                "example2.com",
                "http://twitter.com/abcde"
            ]
        );
        assert_eq!(
            x_links(
                "http://t.co/pbY2NfTZ's http://t.co/2vYHpAc5; http://t.co/ulYGBYSo: http://t.co/8MkmHU0k+c http://t.co/TKLp64dY.x http://t.co/8t7G3ddS#a http://t.co/FNkPfmii-"
            ),
            [
                "http://t.co/pbY2NfTZ",
                "http://t.co/2vYHpAc5",
                "http://t.co/ulYGBYSo",
                "http://t.co/8MkmHU0k",
                "http://t.co/TKLp64dY",
                "http://t.co/8t7G3ddS",
                "http://t.co/FNkPfmii"
            ]
        );
        assert_eq!(x_links("http://t.co http://t.co"), ["http://t.co", "http://t.co"]);
        assert_eq!(x_links("test http://xn--ls8h.XN--ls8h.la/"), ["http://xn--ls8h.XN--ls8h.la/"]);
        assert_eq!(
            x_links("test http://foobar.みんな/ http://foobar.中国/ http://foobar.پاکستان/ "),
            ["http://foobar.みんな/", "http://foobar.中国/", "http://foobar.پاکستان/"]
        );
        assert_eq!(
            x_links(
                "foo.baz foo.co.jp www.xxxxxxx.baz www.foo.co.uk wwwww.xxxxxxx foo.comm foo.somecom foo.govedu foo.jp"
            ),
            ["foo.co.jp", "www.foo.co.uk"]
        );
        assert_eq!(x_links("t.co/abcde bit.ly/abcde"), ["t.co/abcde", "bit.ly/abcde"]);
        assert_eq!(x_links("http://foo.jp http://fooooo.jp"), ["http://foo.jp", "http://fooooo.jp"]);
        assert_eq!(x_links("皆さん見てください！ http://google.com"), ["http://google.com"]);
    }

    #[test]
    fn x_domains_end_where_nothing_can_continue_them() {
        assert_eq!(
            x_links("https://example.com.https://example.org"),
            ["https://example.com", "https://example.org"]
        );
        assert!(x_links("!!foo.co- and example.com-ish").is_empty());
        assert!(x_links("example.comhttps://a.com").is_empty());
        // A path takes in everything X allows in one: one link.
        assert_eq!(x_links("https://a.com/x–https://b.com"), ["https://a.com/x–https://b.com"]);
    }

    #[test]
    fn x_paths_stop_at_other_scripts() {
        assert_eq!(x_links("詳しくはhttps://example.com/abcをご覧ください"), ["https://example.com/abc"]);
        assert_eq!(x_links("詳しくはhttps://example.comをご覧ください"), ["https://example.com"]);
        assert_eq!(x_links("http://example.com/Русские_слова"), ["http://example.com/Русские_слова"]);
        assert_eq!(x_links("https://example.com/a_(b)_c."), ["https://example.com/a_(b)_c"]);
        assert_eq!(x_links("https://example.com/path?q=1&x=y!"), ["https://example.com/path?q=1&x=y"]);
        assert_eq!(x_links("https://example.com/a…"), ["https://example.com/a"]);
    }

    #[test]
    fn mastodon_paths_run_to_the_next_space() {
        assert_eq!(
            mastodon_links("https://example.com/abcをご覧 ください"),
            ["https://example.com/abcをご覧"]
        );
        assert_eq!(mastodon_links("https://example.com/a\u{3000}b"), ["https://example.com/a"]);
    }

    #[test]
    fn checked_hosts() {
        let hosts = |text: &str| find(text).hosts(text);
        assert_eq!(
            hosts("http://localhost:8080/x ftp://Files.Example.com node.js www.Example.org."),
            ["localhost", "files.example.com", "www.example.org"]
        );
        assert_eq!(hosts("https://例え.JP/パス"), ["例え.jp"]);
    }

    #[test]
    fn mastodon_needs_a_scheme() {
        assert!(mastodon_links("example.com").is_empty());
        assert_eq!(
            mastodon_links("https://example.com/a gemini://example.org"),
            ["https://example.com/a", "gemini://example.org"]
        );
        assert!(mastodon_links("ftp://example.com/a").is_empty());
    }

    #[test]
    fn domains_cover_themselves_and_subdomains_only() {
        assert!(domain_covers("example.com", "example.com"));
        assert!(domain_covers("example.com", "www.example.com"));
        assert!(!domain_covers("example.com", "notexample.com"));
        assert!(!domain_covers("example.com", "example.com.evil.net"));
        assert!(!domain_covers("www.example.com", "example.com"));
    }
}
