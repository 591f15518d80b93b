//! Link previews for link submissions: title, description, image and site name from a page's
//! Open Graph tags (falling back to `<title>`, `<meta name="description">` and the `twitter:*`
//! tags), fetched with a total time limit, a cap on the bytes read, and, by default, a refusal
//! to reach private, loopback, link-local and other non-public addresses (SSRF protection).
//!
//! How the address check holds:
//! - every URL, the first and each redirect hop, is parsed by the WHATWG parser (`url`), which
//!   normalises IP literals (`http://2130706433/`, `http://0x7f.1/` are `127.0.0.1`); an IP-literal
//!   host is checked here, because the HTTP connector never asks the resolver about one;
//! - host names go through [`GuardedResolver`], the client's only resolver: it resolves once and
//!   refuses the name if *any* address is non-public, so the connection goes to exactly an
//!   address that was checked (no DNS rebinding window between the check and the connect);
//! - redirects are followed here (reqwest's own policy is off), at most `max_redirects` hops;
//! - no proxy is used (a proxy would resolve the name itself, out of our sight).
//!
//! Any port is allowed. URLs with credentials (`http://user:pass@host/`) are refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// reqwest is built without a default TLS crypto provider; the process uses ring (as sqlx and
/// lettre do). Installing twice is harmless: the first one stays.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What a fetch may do. The defaults suit a background job reading public pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewPolicy {
    /// Allow private, loopback and other non-public addresses (tests, intranets). Default: false.
    pub allow_private: bool,
    /// Total time for the whole fetch: resolving, connecting, every redirect and the body. Default: 5 s.
    pub timeout: Duration,
    /// Bytes of HTML read at most; reading stops there and what was read is parsed. Default: 1 MiB.
    pub max_bytes: usize,
    /// Redirects followed at most. Default: 5.
    pub max_redirects: usize,
    /// The User-Agent header. Default: `ChorusBot/0.1 (+link preview)`.
    pub user_agent: String,
}

impl Default for PreviewPolicy {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(5),
            max_bytes: 1024 * 1024,
            max_redirects: 5,
            user_agent: "ChorusBot/0.1 (+link preview)".to_owned(),
        }
    }
}

/// A page's preview. Each field is `None` when the page does not say.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkPreview {
    /// The final URL, after redirects.
    pub url: String,
    /// At most 300 characters.
    pub title: Option<String>,
    /// At most 1,000 characters.
    pub description: Option<String>,
    /// Absolute (resolved against the page URL), http or https only.
    pub image_url: Option<String>,
    /// At most 300 characters.
    pub site_name: Option<String>,
}

/// Why a preview could not be made. [`PreviewError::is_transient`] tells which are worth a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error("not a usable link: only http and https URLs with a host and without credentials are fetched")]
    InvalidUrl,
    #[error("the link points to a private or reserved network address, which is not fetched")]
    Forbidden,
    #[error("the page did not load in time")]
    Timeout,
    #[error("the link redirects too many times")]
    TooManyRedirects,
    #[error("the link does not point to an HTML page")]
    NotHtml,
    #[error("the site answered with HTTP status {0}")]
    Http(u16),
    #[error("network error: {0}")]
    Network(String),
}

impl PreviewError {
    /// True when trying again later may succeed: timeouts, network errors (refused connections,
    /// failed DNS look-ups, resets), HTTP 408, 429 and 5xx. The others will fail the same way.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Network(_) => true,
            Self::Http(status) => matches!(status, 408 | 429 | 500..=599),
            Self::InvalidUrl | Self::Forbidden | Self::TooManyRedirects | Self::NotHtml => false,
        }
    }
}

/// Fetches previews. Build it once and share it (cloning is cheap): it holds the HTTP client and
/// its connection pool.
#[derive(Debug, Clone)]
pub struct PreviewFetcher {
    client: reqwest::Client,
    policy: PreviewPolicy,
}

impl PreviewFetcher {
    /// # Panics
    /// If the HTTP client cannot be built: the policy's user agent is not a valid header value,
    /// or (once TLS is enabled) the TLS back end has no crypto provider. See [`Self::try_new`].
    pub fn new(policy: PreviewPolicy) -> Self {
        Self::try_new(policy).expect("build the link-preview HTTP client")
    }

    pub fn try_new(policy: PreviewPolicy) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver { allow_private: policy.allow_private })
            .user_agent(policy.user_agent.as_str())
            .connect_timeout(policy.timeout)
            .build()?;
        Ok(Self { client, policy })
    }

    pub fn policy(&self) -> &PreviewPolicy {
        &self.policy
    }

    /// Fetches `url` and reads its preview. An HTML page without any of the tags gives a
    /// preview whose fields are all `None`.
    pub async fn fetch(&self, url: &str) -> Result<LinkPreview, PreviewError> {
        let url = Url::parse(url.trim()).map_err(|_| PreviewError::InvalidUrl)?;
        check_url(&url, self.policy.allow_private)?;
        match tokio::time::timeout(self.policy.timeout, self.fetch_checked(url)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(PreviewError::Timeout),
        }
    }

    async fn fetch_checked(&self, mut url: Url) -> Result<LinkPreview, PreviewError> {
        let mut redirects = 0;
        let response = loop {
            let response = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "text/html, application/xhtml+xml;q=0.9, */*;q=0.1")
                .send()
                .await
                .map_err(from_reqwest)?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .ok_or(PreviewError::Http(status))?
                .as_bytes();
            if redirects >= self.policy.max_redirects {
                return Err(PreviewError::TooManyRedirects);
            }
            redirects += 1;
            url = redirect_target(&url, &String::from_utf8_lossy(location), self.policy.allow_private)?;
        };
        let status = response.status();
        if !status.is_success() {
            return Err(PreviewError::Http(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .ok_or(PreviewError::NotHtml)?;
        if !is_html(content_type) {
            return Err(PreviewError::NotHtml);
        }
        let head = read_head(response, self.policy.max_bytes).await?;
        // UTF-8 is assumed; other encodings decode lossily (ASCII tags and values survive).
        Ok(extract_preview(&String::from_utf8_lossy(&head), &url))
    }
}

/// Checks a URL before it is fetched: http or https, a host, no credentials, and, unless
/// `allow_private`, no IP-literal host outside the public address space. Host names are checked
/// when they are resolved (see [`GuardedResolver`]). Useful too for refusing a link when it is
/// submitted, before any job runs.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), PreviewError> {
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return Err(PreviewError::InvalidUrl);
    }
    let ip = match url.host() {
        None => return Err(PreviewError::InvalidUrl),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if allow_private || is_public_ip(ip) {
        Ok(())
    } else {
        tracing::debug!(%url, "link preview refused: non-public IP literal");
        Err(PreviewError::Forbidden)
    }
}

/// The next URL of a redirect: `location` (absolute or relative) resolved against the current
/// URL, then checked as [`check_url`] does.
pub fn redirect_target(current: &Url, location: &str, allow_private: bool) -> Result<Url, PreviewError> {
    let next = current.join(location.trim()).map_err(|_| PreviewError::InvalidUrl)?;
    check_url(&next, allow_private)?;
    Ok(next)
}

/// The resolver's filter: the addresses a name resolved to, if every one is public (or
/// `allow_private`). One non-public address refuses the whole name, so that a name with both a
/// public and a private address cannot be used to reach the private one.
pub fn screen_addrs(
    addrs: impl IntoIterator<Item = SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, ScreenError> {
    let addrs: Vec<SocketAddr> = addrs.into_iter().collect();
    if addrs.is_empty() {
        return Err(ScreenError::NoAddress);
    }
    if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public_ip(a.ip())) {
        return Err(ScreenError::NonPublic(bad.ip()));
    }
    Ok(addrs)
}

/// Why [`screen_addrs`] refused a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenError {
    #[error("the name resolves to no address")]
    NoAddress,
    #[error("the name resolves to a non-public address ({0})")]
    NonPublic(IpAddr),
}

/// The HTTP client's resolver: the system resolver (getaddrinfo), then [`screen_addrs`]. The
/// connector uses exactly the addresses it returns.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addrs = screen_addrs(addrs, allow_private).inspect_err(|e| {
                tracing::debug!(host, error = %e, "link preview refused by the resolver");
            })?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Why a request through a client with [`GuardedResolver`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host name resolves to a non-public address, which the resolver refused.
    NonPublic,
    /// Anything else: the error and its causes, in one line.
    Other(String),
}

/// Tells a refusal by [`GuardedResolver`] (buried in reqwest's chain of causes) from other
/// failures.
pub fn failure(error: &reqwest::Error) -> Failure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut message = String::new();
    while let Some(e) = source {
        if let Some(ScreenError::NonPublic(_)) = e.downcast_ref::<ScreenError>() {
            return Failure::NonPublic;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&e.to_string());
        source = e.source();
    }
    Failure::Other(message)
}

fn from_reqwest(error: reqwest::Error) -> PreviewError {
    match failure(&error) {
        Failure::NonPublic => PreviewError::Forbidden,
        Failure::Other(_) if error.is_timeout() => PreviewError::Timeout,
        Failure::Other(message) => PreviewError::Network(message),
    }
}

fn is_html(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("text/html") || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

/// Reads the body until the end of the head (`</head` or `<body`), `max_bytes`, or the end,
/// whichever comes first, and returns what precedes the end of the head. The rest of the body is
/// never read: dropping the response closes the connection.
async fn read_head(mut response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, PreviewError> {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < max_bytes {
        let Some(chunk) = response.chunk().await.map_err(from_reqwest)? else { break };
        // Re-scan the tail of what was there before, in case a marker straddles two chunks.
        let scan_from = buf.len().saturating_sub(HEAD_END_MARKER_LEN);
        let room = max_bytes - buf.len();
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if let Some(end) = find_head_end(&buf, scan_from) {
            buf.truncate(end);
            return Ok(buf);
        }
    }
    Ok(buf)
}

/// Length of the longest marker plus its following delimiter (`<body` + one byte).
const HEAD_END_MARKER_LEN: usize = 7;

/// Where the head ends: the first `</head` or `<body` (any case) followed by `>`, `/` or
/// whitespace, at or after `from`. A marker at the very end, whose next byte has not arrived
/// yet, is not reported (the caller re-scans it with more bytes).
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let is_delimiter = |b: u8| matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    (from..buf.len()).find(|&i| {
        [b"</head".as_slice(), b"<body".as_slice()].iter().any(|marker| {
            buf.get(i..i + marker.len()).is_some_and(|w| w.eq_ignore_ascii_case(marker))
                && buf.get(i + marker.len()).is_some_and(|&b| is_delimiter(b))
        })
    })
}

const MAX_TITLE_CHARS: usize = 300;
const MAX_DESCRIPTION_CHARS: usize = 1000;
const MAX_SITE_NAME_CHARS: usize = 300;
const MAX_IMAGE_URL_BYTES: usize = 2048;

/// Reads the preview out of (the head of) an HTML document. The first occurrence of each tag wins.
fn extract_preview(html: &str, page_url: &Url) -> LinkPreview {
    let mut meta = Meta::default();
    // `tl` keeps every node in one flat list and parses without recursion, so a hostile, deeply
    // nested page costs no stack. Only the length check (over 4 GiB) can fail.
    if let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) {
        let parser = dom.parser();
        for node in dom.nodes() {
            let Some(tag) = node.as_tag() else { continue };
            let name = tag.name().as_utf8_str();
            if name.eq_ignore_ascii_case("meta") {
                meta.read_meta_tag(tag);
            } else if name.eq_ignore_ascii_case("title") && meta.title.is_none() {
                // The text directly inside <title> (no recursion into stray child tags).
                let text: String = tag
                    .children()
                    .top()
                    .iter()
                    .filter_map(|child| child.get(parser)?.as_raw())
                    .map(|raw| raw.as_utf8_str())
                    .collect();
                meta.title = Some(text);
            }
        }
    }
    let title = [meta.og_title, meta.twitter_title, meta.title]
        .into_iter()
        .flatten()
        .find_map(|t| clean_text(&t, MAX_TITLE_CHARS));
    let description = [meta.og_description, meta.twitter_description, meta.description]
        .into_iter()
        .flatten()
        .find_map(|t| clean_text(&t, MAX_DESCRIPTION_CHARS));
    let image_url =
        [meta.og_image, meta.twitter_image].into_iter().flatten().find_map(|u| clean_image_url(&u, page_url));
    let site_name = meta.og_site_name.and_then(|t| clean_text(&t, MAX_SITE_NAME_CHARS));
    LinkPreview { url: page_url.to_string(), title, description, image_url, site_name }
}

/// Raw (still entity-encoded) values found in the document.
#[derive(Default)]
struct Meta {
    og_title: Option<String>,
    og_description: Option<String>,
    og_image: Option<String>,
    og_site_name: Option<String>,
    twitter_title: Option<String>,
    twitter_description: Option<String>,
    twitter_image: Option<String>,
    title: Option<String>,
    description: Option<String>,
}

impl Meta {
    fn read_meta_tag(&mut self, tag: &tl::HTMLTag<'_>) {
        let mut keys = Vec::new();
        let mut content = None;
        for (attr, value) in tag.attributes().iter() {
            let Some(value) = value else { continue };
            if attr.eq_ignore_ascii_case("property") || attr.eq_ignore_ascii_case("name") {
                keys.push(value.trim().to_ascii_lowercase());
            } else if attr.eq_ignore_ascii_case("content") && content.is_none() {
                content = Some(value.into_owned());
            }
        }
        let Some(content) = content else { return };
        for key in keys {
            let slot = match key.as_str() {
                "og:title" => &mut self.og_title,
                "og:description" => &mut self.og_description,
                "og:image" | "og:image:url" | "og:image:secure_url" => &mut self.og_image,
                "og:site_name" => &mut self.og_site_name,
                "twitter:title" => &mut self.twitter_title,
                "twitter:description" => &mut self.twitter_description,
                "twitter:image" | "twitter:image:src" => &mut self.twitter_image,
                "description" => &mut self.description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(content.clone());
            }
        }
    }
}

/// Decodes entities, collapses runs of (Unicode) whitespace into one space, trims, and keeps at most
/// `max_chars` characters. `None` when nothing is left.
fn clean_text(raw: &str, max_chars: usize) -> Option<String> {
    let decoded = html_escape::decode_html_entities(raw);
    let mut out = String::new();
    for (count, word) in decoded.split_whitespace().enumerate() {
        if count > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= max_chars * 4 {
            break; // plenty to cut from; don't copy a huge value
        }
    }
    let out: String = out.chars().take(max_chars).collect();
    let out = out.trim_end();
    (!out.is_empty()).then(|| out.to_owned())
}

fn clean_image_url(raw: &str, page_url: &Url) -> Option<String> {
    let decoded = html_escape::decode_html_entities(raw);
    let trimmed = decoded.trim();
    if trimmed.is_empty() {
        return None;
    }
    let url = page_url.join(trimmed).ok()?;
    let url = url.as_str();
    (matches!(url.split(':').next(), Some("http" | "https")) && url.len() <= MAX_IMAGE_URL_BYTES)
        .then(|| url.to_owned())
}

/// Whether `ip` is in the public address space. False for: IPv4 "this network" 0/8 (with the
/// unspecified 0.0.0.0), private 10/8, 172.16/12 and 192.168/16, CGNAT 100.64/10, loopback 127/8,
/// link-local 169.254/16 (cloud metadata 169.254.169.254), IETF assignments 192.0.0/24,
/// documentation 192.0.2/24, 198.51.100/24 and 203.0.113/24, the 6to4 relay 192.88.99/24,
/// benchmarking 198.18/15, multicast 224/4, reserved 240/4 and broadcast. IPv6 counts only inside
/// global unicast 2000::/3 (which leaves out ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8,
/// 100::/64 and the rest), less 2001::/23 (Teredo, benchmarking, ORCHID), documentation
/// 2001:db8::/32 and 3fff::/20. An IPv6 address that embeds an IPv4 one, IPv4-mapped
/// ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96 and 6to4 2002::/16, is judged by
/// that IPv4 address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let non_public = a == 0
        || a == 10
        || (a == 100 && (b & 0xc0) == 64)
        || a == 127
        || (a == 169 && b == 254)
        || (a == 172 && (b & 0xf0) == 16)
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (b & 0xfe) == 18)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224;
    !non_public
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_ipv4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let global_unicast = (s[0] & 0xe000) == 0x2000;
    let special = match s[0] {
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8, // 2001::/23, 2001:db8::/32
        0x3fff => s[1] < 0x1000,                   // 3fff::/20
        _ => false,
    };
    global_unicast && !special
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 address.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => {
            Some(low)
        }
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://news.example.com/a/b/story.html").expect("url")
    }

    #[test]
    fn open_graph_wins_over_fallbacks() {
        let html = r#"<!doctype html><html><head>
            <title>Plain title</title>
            <meta name="description" content="Plain description">
            <meta name="twitter:title" content="Twitter title">
            <META PROPERTY="og:title" CONTENT="  Tom &amp; Jerry&#x2019;s   &quot;big&quot;
                day ">
            <meta property="og:description" content='It&#39;s &lt;here&gt; &eacute;'>
            <meta property="og:image" content="../img/cover.png?w=1&amp;h=2">
            <meta property="og:site_name" content="Example&nbsp;News">
            </head><body><meta property="og:title" content="body, never read"></body></html>"#;
        let p = extract_preview(html, &page());
        assert_eq!(p.title.as_deref(), Some("Tom & Jerry\u{2019}s \"big\" day"));
        assert_eq!(p.description.as_deref(), Some("It's <here> \u{e9}"));
        assert_eq!(p.image_url.as_deref(), Some("https://news.example.com/a/img/cover.png?w=1&h=2"));
        // Any Unicode whitespace, &nbsp; included, collapses into one space.
        assert_eq!(p.site_name.as_deref(), Some("Example News"));
        assert_eq!(p.url, "https://news.example.com/a/b/story.html");
    }

    #[test]
    fn falls_back_to_twitter_then_title_and_description() {
        let html = r#"<head><title> A &amp; B </title><meta name="description" content="D1">
            <meta name="twitter:description" content="T-desc">
            <meta name="twitter:image:src" content="//cdn.example.net/x.jpg"></head>"#;
        let p = extract_preview(html, &page());
        assert_eq!(p.title.as_deref(), Some("A & B"));
        assert_eq!(p.description.as_deref(), Some("T-desc"));
        assert_eq!(p.image_url.as_deref(), Some("https://cdn.example.net/x.jpg"));
        assert_eq!(p.site_name, None);

        let p = extract_preview("<title>Only</title><meta name=description content=Short>", &page());
        assert_eq!(p.title.as_deref(), Some("Only"));
        assert_eq!(p.description.as_deref(), Some("Short"));
    }

    #[test]
    fn empty_values_fall_through_and_comments_are_skipped() {
        let html = r#"<!-- <meta property="og:title" content="commented out"> -->
            <meta property="og:title" content="   "><meta property="og:image" content="">
            <title>Real</title>"#;
        let p = extract_preview(html, &page());
        assert_eq!(p.title.as_deref(), Some("Real"));
        assert_eq!(p.image_url, None);
    }

    #[test]
    fn images_must_be_http_or_https() {
        for bad in ["javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://example.com/x.png"] {
            let html = format!(r#"<meta property="og:image" content="{bad}">"#);
            assert_eq!(extract_preview(&html, &page()).image_url, None, "{bad}");
        }
        let long = format!(r#"<meta property="og:image" content="/{}">"#, "x".repeat(3000));
        assert_eq!(extract_preview(&long, &page()).image_url, None);
    }

    #[test]
    fn fields_are_capped_on_char_boundaries() {
        let title = "é".repeat(400);
        let description = "ü".repeat(1500);
        let html = format!(
            r#"<meta property="og:title" content="{title}"><meta property="og:description" content="{description}">"#
        );
        let p = extract_preview(&html, &page());
        assert_eq!(p.title.as_deref().map(|t| t.chars().count()), Some(300));
        assert_eq!(p.description.as_deref().map(|t| t.chars().count()), Some(1000));
        assert_eq!(clean_text("ab  cd", 3).as_deref(), Some("ab"), "no trailing space after the cut");
    }

    #[test]
    fn truncated_and_hostile_documents_do_not_panic() {
        let doc = r#"<html><head><title>T &amp; t</title><!-- c --><meta property="og:image" content="/i.png"><meta name='description' content="d"></head>"#;
        for end in 0..=doc.len() {
            let _ = extract_preview(&doc[..end], &page());
        }
        let deep = "<div>".repeat(200_000);
        let _ = extract_preview(&deep, &page());
        let title_deep = format!("<title>{}", "<b>".repeat(100_000));
        let _ = extract_preview(&title_deep, &page());
        let _ = extract_preview("<title>a < b</title><meta <<<>>> content=\"x\" <", &page());
    }

    #[test]
    fn head_end_is_found_across_chunk_boundaries() {
        assert_eq!(find_head_end(b"<head><title>x</title></head><body>", 0), Some(22));
        assert_eq!(find_head_end(b"<title>x</title><BODY class=a>", 0), Some(16));
        assert_eq!(find_head_end(b"<head></header>", 0), None, "</header> is not </head>");
        assert_eq!(find_head_end(b"<head><bodyguard>", 0), None);
        assert_eq!(find_head_end(b"<title>x</title></HEAD", 0), None, "wait for the next byte");
        assert_eq!(find_head_end(b"<title>x</title></HEAD\n", 10), Some(16));
    }

    #[test]
    fn content_types() {
        assert!(is_html("text/html"));
        assert!(is_html("Text/HTML; charset=utf-8"));
        assert!(is_html("application/xhtml+xml"));
        assert!(!is_html("application/json"));
        assert!(!is_html("text/plain"));
        assert!(!is_html("text/htmlx"));
    }
}
