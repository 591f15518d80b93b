//! RSS and Atom feeds, fetched politely and parsed defensively.
//!
//! Fetching reuses the link-preview guard (`preview::check_url`, `preview::screen_addrs`): every
//! URL, the first and each redirect hop, is checked, and host names go through a resolver that
//! refuses non-public addresses, so the connection goes to an address that was checked. On top
//! of the previews' rules a feed fetch sends the validators of the last response
//! (`If-None-Match`, `If-Modified-Since`; a `304` is [`Fetched::NotModified`]), identifies itself
//! with a `User-Agent`, and reads the body as a stream that stops at [`FeedPolicy::max_bytes`]
//! (a bigger feed is refused, never buffered whole).
//!
//! Private targets are refused unless [`FeedPolicy::allow_private`] (tests, on-premises
//! intranets) or the host is listed in [`FeedPolicy::allow_hosts`] (one intranet server, without
//! opening the whole private network; a redirect from it to any other private host is still
//! refused).
//!
//! Parsing ([`parse`]) hands `feed-rs` UTF-8 only (see [`to_utf8`] for wrong or missing encoding
//! declarations); `feed-rs` resolves only XML's predefined entities, so a billion-laughs document
//! costs nothing. Titles and summaries come out as plain text (tags removed, entities decoded),
//! to be escaped wherever they are shown.

use crate::preview::{Failure, check_url, failure, install_crypto_provider, screen_addrs};
use std::{borrow::Cow, sync::Arc, time::Duration};
use time::OffsetDateTime;
use url::Url;

/// What a feed fetch may do. The defaults suit a background job reading public feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPolicy {
    /// Allow private, loopback and other non-public addresses (tests, intranets). Default: false.
    pub allow_private: bool,
    /// Host names or IP literals (`intranet.example.local`, `10.0.0.5`) allowed even though they
    /// are private. Exact, case-insensitive matches. Default: none.
    pub allow_hosts: Vec<String>,
    /// Total time for the whole fetch: resolving, connecting, redirects and the body. Default: 15 s.
    pub timeout: Duration,
    /// Bytes of feed read at most; a bigger feed is refused. Default: 5 MiB.
    pub max_bytes: usize,
    /// Redirects followed at most. Default: 5.
    pub max_redirects: usize,
    pub user_agent: String,
}

impl Default for FeedPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            allow_hosts: Vec::new(),
            timeout: Duration::from_secs(15),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 5,
            user_agent: "ChorusFeedReader/0.1 (+curation inbox; polls each feed at most every 15 minutes)"
                .to_owned(),
        }
    }
}

impl FeedPolicy {
    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_hosts
            .iter()
            .any(|h| h.trim_start_matches('[').trim_end_matches(']').eq_ignore_ascii_case(host))
    }

    /// The guard's check of one URL (the first or a redirect hop).
    pub fn check(&self, url: &Url) -> Result<(), FetchError> {
        let listed = url.host_str().is_some_and(|h| self.host_allowed(h));
        check_url(url, self.allow_private || listed).map_err(|e| match e {
            crate::preview::PreviewError::Forbidden => FetchError::Forbidden,
            _ => FetchError::InvalidUrl,
        })
    }
}

/// The validators of a response, sent back on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a fetch brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: nothing changed since the validators were given. Carries the
    /// validators to keep (the response's, where it sent new ones).
    NotModified(Validators),
    /// The feed's bytes, with the response's validators and the final URL after redirects.
    Body { bytes: Vec<u8>, validators: Validators, url: String },
}

/// Why a feed could not be fetched, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error(
        "the address is not usable: only http and https addresses with a host and without a password are read"
    )]
    InvalidUrl,
    #[error("refused: the address (or a redirect) points to a private or internal network address")]
    Forbidden,
    #[error("the site did not answer within the time limit")]
    Timeout,
    #[error("the site redirected too many times")]
    TooManyRedirects,
    #[error("the feed is larger than the {0} MiB limit, so it was not read")]
    TooLarge(usize),
    #[error("the site says the feed is gone for good (HTTP 410)")]
    Gone,
    #[error("the site answered with HTTP status {0}")]
    Http(u16),
    #[error("could not reach the site: {0}")]
    Network(String),
}

/// Fetches feeds. Build it once and share it (cloning is cheap).
#[derive(Debug, Clone)]
pub struct FeedFetcher {
    client: reqwest::Client,
    policy: Arc<FeedPolicy>,
}

/// The client's resolver: the system resolver, then the previews' [`screen_addrs`], unless the
/// name is one the policy lists.
#[derive(Debug, Clone)]
struct FeedResolver {
    policy: Arc<FeedPolicy>,
}

impl reqwest::dns::Resolve for FeedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let allow = self.policy.allow_private || self.policy.host_allowed(&host);
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs = screen_addrs(addrs, allow).inspect_err(|e| {
                tracing::debug!(host, error = %e, "feed fetch refused by the resolver");
            })?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl FeedFetcher {
    pub fn try_new(policy: FeedPolicy) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(FeedResolver { policy: Arc::clone(&policy) })
            .user_agent(policy.user_agent.as_str())
            .connect_timeout(policy.timeout)
            .build()?;
        Ok(Self { client, policy })
    }

    pub fn policy(&self) -> &FeedPolicy {
        &self.policy
    }

    /// Fetches `url`, conditionally when `known` holds validators.
    pub async fn fetch(&self, url: &str, known: &Validators) -> Result<Fetched, FetchError> {
        let url = Url::parse(url.trim()).map_err(|_| FetchError::InvalidUrl)?;
        self.policy.check(&url)?;
        match tokio::time::timeout(self.policy.timeout, self.fetch_checked(url, known)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout),
        }
    }

    async fn fetch_checked(&self, mut url: Url, known: &Validators) -> Result<Fetched, FetchError> {
        use reqwest::header;
        let mut redirects = 0;
        let response = loop {
            let mut request = self.client.get(url.clone()).header(
                header::ACCEPT,
                "application/rss+xml, application/atom+xml, application/feed+json, \
                 application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            );
            if let Some(etag) = &known.etag {
                request = request.header(header::IF_NONE_MATCH, etag.as_str());
            }
            if let Some(lm) = &known.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, lm.as_str());
            }
            let response = request.send().await.map_err(from_reqwest)?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            let location =
                response.headers().get(header::LOCATION).ok_or(FetchError::Http(status))?.as_bytes();
            if redirects >= self.policy.max_redirects {
                return Err(FetchError::TooManyRedirects);
            }
            redirects += 1;
            let next =
                url.join(String::from_utf8_lossy(location).trim()).map_err(|_| FetchError::InvalidUrl)?;
            self.policy.check(&next)?;
            url = next;
        };
        let header_text = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.len() <= 512)
                .map(str::to_owned)
        };
        let validators =
            Validators { etag: header_text(header::ETAG), last_modified: header_text(header::LAST_MODIFIED) };
        match response.status().as_u16() {
            304 => {
                return Ok(Fetched::NotModified(Validators {
                    etag: validators.etag.or_else(|| known.etag.clone()),
                    last_modified: validators.last_modified.or_else(|| known.last_modified.clone()),
                }));
            }
            410 => return Err(FetchError::Gone),
            s if !(200..300).contains(&s) => return Err(FetchError::Http(s)),
            _ => {}
        }
        let bytes = read_capped(response, self.policy.max_bytes).await?;
        Ok(Fetched::Body { bytes, validators, url: url.to_string() })
    }
}

/// Reads the body chunk by chunk and gives up as soon as it passes `max`: a declared length
/// over the cap is refused before reading, an undeclared or lying one when the cap is reached.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge(max.div_ceil(1024 * 1024));
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut buf: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
        if buf.len() + chunk.len() > max {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

fn from_reqwest(error: reqwest::Error) -> FetchError {
    match failure(&error) {
        Failure::NonPublic => FetchError::Forbidden,
        Failure::Other(_) if error.is_timeout() => FetchError::Timeout,
        Failure::Other(message) => FetchError::Network(message),
    }
}

// ------------------------------------------------------------------------------------- parsing

/// Entries read from one feed at most (newest feeds list a few dozen).
pub const MAX_ITEMS: usize = 200;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_SUMMARY_CHARS: usize = 1_000;
pub const MAX_AUTHOR_CHARS: usize = 200;

/// A feed, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub items: Vec<ParsedItem>,
}

/// One entry with a usable link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedItem {
    /// The entry's link, absolute.
    pub link: String,
    /// The entry's `rel="canonical"` link, when it gives one.
    pub canonical: Option<String>,
    /// Plain text; the link when the entry has no title.
    pub title: String,
    /// Plain text, possibly empty.
    pub summary: String,
    pub author: Option<String>,
    pub published: Option<OffsetDateTime>,
}

/// Why a document is not a feed we can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the address did not return a readable RSS or Atom feed ({0})")]
pub struct ParseError(pub String);

/// Reads an RSS (0.9x, 1.0, 2.0), Atom or JSON feed. `base` (the feed's URL) resolves relative
/// links. Entries without a usable http(s) link are skipped; at most [`MAX_ITEMS`] are read.
pub fn parse(bytes: &[u8], base: &str) -> Result<ParsedFeed, ParseError> {
    let text = to_utf8(bytes);
    let feed = feed_rs::parser::Builder::new()
        .build()
        .parse(text.as_bytes())
        .map_err(|e| ParseError(describe(&e)))?;
    let base = Url::parse(base).ok();
    let title =
        feed.title.as_ref().map(|t| plain_text(&t.content, MAX_TITLE_CHARS)).filter(|t| !t.is_empty());
    let mut items = Vec::new();
    for entry in feed.entries.into_iter().take(MAX_ITEMS) {
        let absolute = |href: &str| -> Option<String> {
            let joined = match &base {
                Some(b) => b.join(href.trim()).ok()?,
                None => Url::parse(href.trim()).ok()?,
            };
            matches!(joined.scheme(), "http" | "https").then(|| joined.to_string())
        };
        let canonical = entry
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_some_and(|r| r.eq_ignore_ascii_case("canonical")))
            .and_then(|l| absolute(&l.href));
        let link = entry
            .links
            .iter()
            .filter(|l| l.rel.as_deref().is_none_or(|r| r.eq_ignore_ascii_case("alternate")))
            .chain(entry.links.iter())
            .find_map(|l| absolute(&l.href))
            .or_else(|| {
                // An RSS guid that is a permalink comes through as the id.
                (entry.id.starts_with("http://") || entry.id.starts_with("https://"))
                    .then(|| absolute(&entry.id))
                    .flatten()
            });
        let Some(link) = link else { continue };
        let summary_source = entry
            .summary
            .as_ref()
            .map(|s| s.content.as_str())
            .or_else(|| entry.content.as_ref().and_then(|c| c.body.as_deref()))
            .unwrap_or_default();
        let title = entry
            .title
            .as_ref()
            .map(|t| plain_text(&t.content, MAX_TITLE_CHARS))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| link.chars().take(MAX_TITLE_CHARS).collect());
        let author = entry
            .authors
            .first()
            .and_then(|a| a.name.as_deref().or(a.email.as_deref()))
            .map(|a| plain_text(a, MAX_AUTHOR_CHARS))
            .filter(|a| !a.is_empty() && a != "unknown");
        let published = entry
            .published
            .or(entry.updated)
            .and_then(|d| OffsetDateTime::from_unix_timestamp(d.timestamp()).ok());
        items.push(ParsedItem {
            link,
            canonical,
            title,
            summary: plain_text(summary_source, MAX_SUMMARY_CHARS),
            author,
            published,
        });
    }
    Ok(ParsedFeed { title, items })
}

fn describe(e: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::ParseFeedError as E;
    let text = match e {
        E::ParseError(kind) => format!("{kind:?}"),
        other => other.to_string(),
    };
    let text: String = text.chars().take(200).collect();
    format!("malformed: {text}")
}

/// The document as UTF-8, whatever its bytes and declaration say, without its XML declaration
/// (so that nothing downstream switches decoders again):
/// - a byte-order mark wins;
/// - bytes that are valid UTF-8 are read as UTF-8, even under a declaration that says otherwise
///   (a server that re-encoded the feed without fixing the declaration; legacy text that happens
///   to be valid UTF-8 is vanishingly rare);
/// - otherwise a declared legacy encoding (ISO-8859-1, Windows-1252, Shift_JIS, …) decodes it;
/// - otherwise (declared UTF-8, or nothing declared, but the bytes are not UTF-8: Latin-1 served
///   as UTF-8) Windows-1252, the superset of Latin-1 every browser uses for it.
pub fn to_utf8(bytes: &[u8]) -> Cow<'_, str> {
    let text: Cow<'_, str> = if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        text
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        Cow::Borrowed(s)
    } else {
        let declared = declared_encoding(bytes)
            .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
            .filter(|e| {
                *e != encoding_rs::UTF_8 && *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE
            });
        let encoding = declared.unwrap_or(encoding_rs::WINDOWS_1252);
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        text
    };
    strip_declaration(text)
}

/// The `encoding` of an XML declaration at the very start, if any.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].trim().to_owned())
}

fn strip_declaration(text: Cow<'_, str>) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if let Some(rest) = trimmed.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        return Cow::Owned(rest[end + 2..].to_owned());
    }
    text
}

/// Text for people: tags removed (with what `<script>` and `<style>` hold), entities decoded,
/// control characters dropped, whitespace collapsed, at most `max_chars` characters (an
/// ellipsis marks a cut). A `<` that does not start a tag stays.
pub fn plain_text(raw: &str, max_chars: usize) -> String {
    let stripped = strip_tags(raw);
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = String::new();
    for word in decoded.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
        if out.len() > max_chars * 4 {
            break;
        }
    }
    if out.chars().count() > max_chars {
        let mut cut: String = out.chars().take(max_chars.saturating_sub(1)).collect();
        cut.truncate(cut.trim_end().len());
        cut.push('…');
        cut
    } else {
        out
    }
}

/// Where `needle` (ASCII) first occurs in `haystack`, ignoring ASCII case, without copying the
/// rest of the text (a copy per `<script>` made hostile summaries cost quadratic time).
fn find_ignoring_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fn strip_tags(raw: &str) -> Cow<'_, str> {
    if !raw.contains('<') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let starts_tag =
            after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        let end = if starts_tag { after.find('>') } else { None };
        match end {
            Some(end) => {
                let tag = &after[..end];
                out.push(' ');
                let name: String = tag
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                rest = &after[end + 1..];
                if name == "script" || name == "style" {
                    // Skip to the matching end tag (or the end of the text).
                    let close = format!("</{name}");
                    rest = match find_ignoring_ascii_case(rest, &close) {
                        Some(i) => rest[i..].find('>').map_or("", |j| &rest[i + j + 1..]),
                        None => "",
                    };
                }
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_skipping_is_linear_and_case_blind() {
        assert_eq!(plain_text("a<SCRIPT>x</ScRiPt>b<style>y</STYLE>c", 100), "a b c");
        // Two megabytes of empty scripts: nothing of them is left (and no copy of the rest of
        // the text per tag: this used to take quadratic time).
        let hostile = "<script></script>".repeat(120_000);
        assert_eq!(plain_text(&format!("{hostile}done"), 100), "done");
    }

    #[test]
    fn plain_text_strips_tags_and_decodes() {
        assert_eq!(plain_text("<b>Bold</b> &amp; <i>brave</i>", 100), "Bold & brave");
        assert_eq!(plain_text("x < y and y > z", 100), "x < y and y > z");
        assert_eq!(plain_text("a<script>alert(1)</script>b<style>p{}</style>c", 100), "a b c");
        assert_eq!(plain_text("Tom &lt;script&gt; x", 100), "Tom <script> x", "escaped text stays text");
        assert_eq!(plain_text("one\n\n two\u{0007}", 100), "one two");
        assert_eq!(plain_text(&"é".repeat(50), 10).chars().count(), 10);
        assert!(plain_text(&"word ".repeat(100), 20).ends_with('…'));
        assert_eq!(plain_text("<unclosed", 100), "<unclosed", "not a tag: kept as text");
        assert_eq!(plain_text("a <3 b", 100), "a <3 b");
    }

    #[test]
    fn encodings_end_up_utf8() {
        // Latin-1 bytes declared UTF-8.
        let mut latin = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><t>caf".to_vec();
        latin.push(0xe9);
        latin.extend_from_slice(b"</t></rss>");
        assert_eq!(to_utf8(&latin), "<rss><t>café</t></rss>");
        // UTF-8 bytes declared ISO-8859-1.
        let utf8 = "<?xml version='1.0' encoding='ISO-8859-1'?><rss><t>café</t></rss>";
        assert_eq!(to_utf8(utf8.as_bytes()), "<rss><t>café</t></rss>");
        // Real ISO-8859-15 (the euro sign is 0xA4 there).
        let mut euro = b"<?xml version=\"1.0\" encoding=\"iso-8859-15\"?><t>".to_vec();
        euro.extend_from_slice(&[0xa4, 0xe9]);
        euro.extend_from_slice(b"</t>");
        assert_eq!(to_utf8(&euro), "<t>€é</t>");
        // UTF-16 with a BOM.
        let mut utf16 = vec![0xff, 0xfe];
        for u in "<t>é</t>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(to_utf8(&utf16), "<t>é</t>");
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?>"), None);
    }
}
