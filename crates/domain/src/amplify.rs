//! Amplification (SPEC §2 steps 6–7): employees share approved content to their own networks
//! through share intents and tracked links. Pure rules: the networks and their intent URLs, share
//! codes, UTM tags, telling bots from people, and the share guard.

use std::{fmt, str::FromStr};

use crate::Invalid;

/// Where a person shares: the networks with a public share intent (no credentials needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareNetwork {
    Linkedin,
    X,
    Facebook,
    Mastodon,
    Bluesky,
}

impl ShareNetwork {
    pub const ALL: [ShareNetwork; 5] = [
        ShareNetwork::Linkedin,
        ShareNetwork::X,
        ShareNetwork::Facebook,
        ShareNetwork::Mastodon,
        ShareNetwork::Bluesky,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ShareNetwork::Linkedin => "linkedin",
            ShareNetwork::X => "x",
            ShareNetwork::Facebook => "facebook",
            ShareNetwork::Mastodon => "mastodon",
            ShareNetwork::Bluesky => "bluesky",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ShareNetwork::Linkedin => "LinkedIn",
            ShareNetwork::X => "X",
            ShareNetwork::Facebook => "Facebook",
            ShareNetwork::Mastodon => "Mastodon",
            ShareNetwork::Bluesky => "Bluesky",
        }
    }

    /// The network's share intent for a tracked link and a caption. LinkedIn and Facebook take
    /// only the link (they read the caption from the page's preview); X takes both apart;
    /// Mastodon and Bluesky take one text, so the link goes at its end. Mastodon needs the
    /// person's own instance (`https://host`).
    pub fn intent_url(self, link: &str, caption: &str, mastodon_instance: Option<&str>) -> Option<String> {
        let with_link =
            if caption.trim().is_empty() { link.to_owned() } else { format!("{} {link}", caption.trim()) };
        Some(match self {
            ShareNetwork::Linkedin => {
                format!("https://www.linkedin.com/sharing/share-offsite/?url={}", encode(link))
            }
            ShareNetwork::X => {
                format!("https://x.com/intent/tweet?text={}&url={}", encode(caption.trim()), encode(link))
            }
            ShareNetwork::Facebook => {
                format!("https://www.facebook.com/sharer/sharer.php?u={}", encode(link))
            }
            ShareNetwork::Bluesky => format!("https://bsky.app/intent/compose?text={}", encode(&with_link)),
            ShareNetwork::Mastodon => {
                let instance = mastodon_instance?.trim_end_matches('/');
                format!("{instance}/share?text={}", encode(&with_link))
            }
        })
    }
}

impl fmt::Display for ShareNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ShareNetwork {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| Invalid::new("network", "must be linkedin, x, facebook, mastodon or bluesky"))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Share codes: base62, long enough that guessing one is hopeless (10 characters ≈ 59 bits).
pub const CODE_LENGTH: usize = 10;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A code from random bytes (the caller brings the randomness).
pub fn code_from(random: &[u8; CODE_LENGTH]) -> String {
    // 62 does not divide 256; the bias (256 mod 62 = 8 values slightly more likely) costs well
    // under a bit of the code's 59, so plain modulo is fine here.
    random.iter().map(|b| char::from(BASE62[usize::from(*b) % 62])).collect()
}

/// Whether a path segment can be a share code at all (checked before any lookup).
pub fn plausible_code(s: &str) -> bool {
    (8..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The destination with the advocacy UTM tags set (any the destination already had for these
/// names are replaced, so a share cannot be attributed to something else).
pub fn with_utm(destination: &url::Url, network: ShareNetwork, campaign: &str, code: &str) -> url::Url {
    const OURS: [&str; 4] = ["utm_source", "utm_medium", "utm_campaign", "utm_content"];
    let kept: Vec<(String, String)> = destination
        .query_pairs()
        .filter(|(k, _)| !OURS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut url = destination.clone();
    url.set_query(None);
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair("utm_source", network.as_str());
        q.append_pair("utm_medium", "employee_advocacy");
        q.append_pair("utm_campaign", campaign);
        q.append_pair("utm_content", code);
    }
    url
}

/// A lowercase slug for a title ("Open day at the depot!" → "open-day-at-the-depot").
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Who followed a link, as far as its request tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    /// A crawler or link-preview fetcher, by name.
    Bot(&'static str),
    Human(Device),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
    Other,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Desktop => "desktop",
            Device::Other => "other",
        }
    }
}

/// Link-preview fetchers and crawlers by a part of their User-Agent (lowercase), with the name
/// they are counted under. The generic markers come last.
const BOTS: &[(&str, &str)] = &[
    ("linkedinbot", "LinkedInBot"),
    ("twitterbot", "Twitterbot"),
    ("facebookexternalhit", "facebookexternalhit"),
    ("facebookcatalog", "facebookexternalhit"),
    ("slackbot", "Slackbot"),
    ("slack-imgproxy", "Slackbot"),
    ("discordbot", "Discordbot"),
    ("mastodon/", "Mastodon"),
    ("akkoma", "Mastodon"),
    ("pleroma", "Mastodon"),
    ("cardyb", "Bluesky cardyb"),
    ("bluesky", "Bluesky cardyb"),
    ("whatsapp", "WhatsApp"),
    ("telegrambot", "TelegramBot"),
    ("googlebot", "Googlebot"),
    ("bingbot", "bingbot"),
    ("applebot", "Applebot"),
    ("yandex", "YandexBot"),
    ("duckduckbot", "DuckDuckBot"),
    ("embedly", "Embedly"),
    ("iframely", "Iframely"),
    ("headlesschrome", "headless browser"),
    ("curl/", "generic bot"),
    ("wget/", "generic bot"),
    ("python-requests", "generic bot"),
    ("python-urllib", "generic bot"),
    ("go-http-client", "generic bot"),
    ("okhttp", "generic bot"),
    ("bot", "generic bot"),
    ("crawler", "generic bot"),
    ("spider", "generic bot"),
    ("preview", "generic bot"),
    ("fetch", "generic bot"),
];

/// Parts of a person's User-Agent that tell their kind of device.
const DEVICE_MARKERS: [&str; 9] =
    ["ipad", "android", "mobile", "tablet", "iphone", "windows", "macintosh", "x11", "cros"];

/// Every marker, bots first, found in one case-insensitive pass over a User-Agent (it runs on
/// every click, where ~40 separate substring searches of a lowercased copy cost microseconds).
static MARKERS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A full DFA: a few dozen short patterns make a small one, and it is the fastest to run.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(BOTS.iter().map(|(marker, _)| *marker).chain(DEVICE_MARKERS))
        .expect("the User-Agent markers are valid patterns")
});

/// Tells a crawler or preview fetcher from a person, and a person's kind of device.
pub fn classify(user_agent: &str) -> Visitor {
    if user_agent.trim().is_empty() {
        return Visitor::Bot("generic bot");
    }
    // Which markers occur: the earliest bot in `BOTS` wins; device markers are bits 0..9.
    let mut first_bot = usize::MAX;
    let mut devices = 0u16;
    for m in MARKERS.find_overlapping_iter(user_agent) {
        let i = m.pattern().as_usize();
        match i.checked_sub(BOTS.len()) {
            None => first_bot = first_bot.min(i),
            Some(d) => devices |= 1 << d,
        }
    }
    if let Some((_, name)) = BOTS.get(first_bot) {
        return Visitor::Bot(name);
    }
    let has = |marker: &str| {
        DEVICE_MARKERS.iter().position(|m| *m == marker).is_some_and(|d| devices & (1 << d) != 0)
    };
    let device = if has("ipad") || (has("android") && !has("mobile")) || has("tablet") {
        Device::Tablet
    } else if has("mobile") || has("iphone") || has("android") {
        Device::Mobile
    } else if has("windows") || has("macintosh") || has("x11") || has("cros") {
        Device::Desktop
    } else {
        Device::Other
    };
    Visitor::Human(device)
}

/// The host of a `Referer`, lowercased, if it is a URL with a plausible host (`android-app://`
/// referrers name the app). A light parse, as it runs on every click: a scheme and `://`, then
/// the authority up to the first `/`, `?` or `#`, without user info or port. Borrowed from the
/// header unless it had to be lowercased.
pub fn referrer_host(referer: &str) -> Option<std::borrow::Cow<'_, str>> {
    let (scheme, rest) = referer.trim().split_once("://")?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host_port)| host_port);
    let host = match host_port.strip_prefix('[') {
        // An IPv6 address keeps its brackets.
        Some(v6) => &host_port[..v6.find(']')? + 2],
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':'));
    if !(scheme_ok && host_ok) {
        return None;
    }
    Some(if host.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(host.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(host)
    })
}

/// Limits on how much one person shares in a day, so nobody floods their own network. A limit on
/// volume, never a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShareGuard {
    /// Different items a person may share per day.
    pub max_items_per_day: u32,
    /// Times one item may be shared per day (across networks).
    pub max_repeats_per_item: u32,
}

impl Default for ShareGuard {
    fn default() -> Self {
        Self { max_items_per_day: 15, max_repeats_per_item: 5 }
    }
}

impl ShareGuard {
    /// `items_today`: the different items this person shared today; `this_item_today`: how many
    /// times they shared this one (0: it would be a new item today).
    pub fn check(&self, items_today: u32, this_item_today: u32) -> Result<(), String> {
        if this_item_today >= self.max_repeats_per_item {
            let times = match self.max_repeats_per_item {
                1 => "once".to_owned(),
                n => format!("{n} times"),
            };
            return Err(format!("you have shared this {times} today; that is plenty — try again tomorrow"));
        }
        if this_item_today == 0 && items_today >= self.max_items_per_day {
            return Err(format!(
                "you have shared {} different items today; give your network a breather until tomorrow",
                self.max_items_per_day
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_base62_and_plausible() {
        let code = code_from(&[0, 61, 62, 255, 1, 2, 3, 4, 5, 6]);
        assert_eq!(code, "0z07123456"); // 62 % 62 = 0, 255 % 62 = 7
        assert!(plausible_code(&code));
        for bad in ["", "short", "has space!", "%2e%2e%2fetc", "ÄÖÜäöüßßßß", &"a".repeat(33)] {
            assert!(!plausible_code(bad), "{bad}");
        }
    }

    #[test]
    fn utm_tags_are_set_and_replace_any_already_there() {
        let dest = url::Url::parse("https://example.com/news?id=7&utm_source=evil#top").expect("url");
        let tagged = with_utm(&dest, ShareNetwork::Linkedin, "open-day", "Ab3dE6gH9k");
        assert_eq!(
            tagged.as_str(),
            "https://example.com/news?id=7&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=open-day&utm_content=Ab3dE6gH9k#top"
        );
    }

    #[test]
    fn the_referrer_host_is_read_from_urls_only() {
        let cases = [
            ("https://www.LinkedIn.com/feed/?x=1", Some("www.linkedin.com")),
            ("http://t.co", Some("t.co")),
            ("  https://user:pw@l.facebook.com:8443/l.php#top ", Some("l.facebook.com")),
            ("android-app://com.linkedin.android/", Some("com.linkedin.android")),
            ("https://[2001:DB8::1]:443/x", Some("[2001:db8::1]")),
            ("https://bsky.app?ref=1", Some("bsky.app")),
            ("", None),
            ("not a url", None),
            ("mailto:someone@example.com", None),
            ("https:///nohost", None),
            ("https://exa mple.com/", None),
            ("https://<script>/", None),
            ("1http://example.com/", None),
        ];
        for (referer, expected) in cases {
            assert_eq!(referrer_host(referer).as_deref(), expected, "{referer}");
        }
        assert_eq!(referrer_host(&format!("https://{}.com/", "a".repeat(300))), None);
    }

    #[test]
    fn bots_and_preview_fetchers_are_told_apart_from_people() {
        let cases = [
            (
                "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
                Visitor::Bot("LinkedInBot"),
            ),
            ("Twitterbot/1.0", Visitor::Bot("Twitterbot")),
            (
                "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                Visitor::Bot("facebookexternalhit"),
            ),
            ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", Visitor::Bot("Slackbot")),
            ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", Visitor::Bot("Discordbot")),
            ("http.rb/5.1.1 (Mastodon/4.2.8; +https://mastodon.social/)", Visitor::Bot("Mastodon")),
            (
                "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
                Visitor::Bot("Bluesky cardyb"),
            ),
            ("curl/8.5.0", Visitor::Bot("generic bot")),
            ("CURL/8.5.0", Visitor::Bot("generic bot")),
            ("", Visitor::Bot("generic bot")),
            ("   ", Visitor::Bot("generic bot")),
            // The named fetcher wins over a generic marker that comes earlier in the text.
            ("Preview fetcher (compatible; WhatsApp/2.23.20)", Visitor::Bot("WhatsApp")),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/140.0 Safari/537.36",
                Visitor::Human(Device::Tablet),
            ),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36", Visitor::Human(Device::Desktop)),
            ("Lynx/2.9.0dev.12 libwww-FM/2.14", Visitor::Human(Device::Other)),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                Visitor::Human(Device::Mobile),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/140.0 Mobile Safari/537.36",
                Visitor::Human(Device::Mobile),
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
                Visitor::Human(Device::Tablet),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36",
                Visitor::Human(Device::Desktop),
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(classify(ua), expected, "{ua}");
        }
    }

    #[test]
    fn intents_carry_the_tracked_link() {
        let link = "https://chorus.example/s/Ab3dE6gH9k";
        let x = ShareNetwork::X.intent_url(link, "Our new bridge & more", None).expect("x");
        assert_eq!(
            x,
            "https://x.com/intent/tweet?text=Our%20new%20bridge%20%26%20more&url=https%3A%2F%2Fchorus.example%2Fs%2FAb3dE6gH9k"
        );
        assert!(ShareNetwork::Mastodon.intent_url(link, "Hi", None).is_none(), "needs the person's instance");
        let m = ShareNetwork::Mastodon.intent_url(link, "Hi", Some("https://mastodon.social/")).expect("m");
        assert_eq!(
            m,
            "https://mastodon.social/share?text=Hi%20https%3A%2F%2Fchorus.example%2Fs%2FAb3dE6gH9k"
        );
    }

    #[test]
    fn the_share_guard_limits_volume() {
        let g = ShareGuard::default();
        assert!(g.check(0, 0).is_ok());
        assert!(g.check(14, 0).is_ok());
        assert!(g.check(15, 0).is_err(), "a 16th different item");
        assert!(g.check(15, 2).is_ok(), "repeating an item already shared today is not a new item");
        assert!(g.check(3, 5).is_err(), "a 6th repeat");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Open day at the depot!"), "open-day-at-the-depot");
        assert_eq!(slug("Grüße — 2026"), "grüße-2026");
    }
}
