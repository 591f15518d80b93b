//! Channels and posts: the company's accounts and what is placed on them (SPEC §2 steps 4–5).

use std::{fmt, str::FromStr};

use unicode_segmentation::UnicodeSegmentation as _;

use crate::{
    Invalid,
    guidelines::{Limits, Network, measure},
};

/// Where a channel publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelNetwork {
    Mastodon,
    Bluesky,
    Linkedin,
    X,
    Facebook,
    /// A signed JSON POST to a URL (Slack, Teams, custom).
    Webhook,
    /// The company blog served by Chorus itself, with an Atom feed.
    Blog,
}

impl ChannelNetwork {
    pub const ALL: [ChannelNetwork; 7] = [
        ChannelNetwork::Mastodon,
        ChannelNetwork::Bluesky,
        ChannelNetwork::Linkedin,
        ChannelNetwork::X,
        ChannelNetwork::Facebook,
        ChannelNetwork::Webhook,
        ChannelNetwork::Blog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelNetwork::Mastodon => "mastodon",
            ChannelNetwork::Bluesky => "bluesky",
            ChannelNetwork::Linkedin => "linkedin",
            ChannelNetwork::X => "x",
            ChannelNetwork::Facebook => "facebook",
            ChannelNetwork::Webhook => "webhook",
            ChannelNetwork::Blog => "blog",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelNetwork::Mastodon => "Mastodon",
            ChannelNetwork::Bluesky => "Bluesky",
            ChannelNetwork::Linkedin => "LinkedIn",
            ChannelNetwork::X => "X",
            ChannelNetwork::Facebook => "Facebook",
            ChannelNetwork::Webhook => "Webhook",
            ChannelNetwork::Blog => "Company blog",
        }
    }

    /// The network whose counting limits a post's text, if any.
    pub fn counted_as(self) -> Option<Network> {
        match self {
            ChannelNetwork::Mastodon => Some(Network::Mastodon),
            ChannelNetwork::Bluesky => Some(Network::Bluesky),
            ChannelNetwork::Linkedin => Some(Network::Linkedin),
            ChannelNetwork::X => Some(Network::X),
            ChannelNetwork::Facebook => Some(Network::Facebook),
            ChannelNetwork::Webhook | ChannelNetwork::Blog => None,
        }
    }

    /// The credential fields a channel of this network needs (all required).
    pub fn credential_fields(self) -> &'static [&'static str] {
        match self {
            ChannelNetwork::Mastodon => &["access_token"],
            ChannelNetwork::Linkedin => &["organization_id", "access_token"],
            ChannelNetwork::X => &["client_id", "access_token"],
            ChannelNetwork::Facebook => &["page_id", "access_token"],
            ChannelNetwork::Bluesky => &["identifier", "app_password"],
            ChannelNetwork::Webhook => &["url", "secret"],
            ChannelNetwork::Blog => &[],
        }
    }

    /// Credential fields a channel may also have: what OAuth 2.0 needs to renew an access token
    /// before it expires (a network that issues no refresh token needs a person to renew it).
    pub fn optional_credential_fields(self) -> &'static [&'static str] {
        match self {
            ChannelNetwork::Linkedin => {
                &["refresh_token", "expires_at", "client_id", "client_secret", "token_url"]
            }
            ChannelNetwork::X => &["refresh_token", "expires_at", "client_secret", "token_url"],
            // Kept from "Connect with Mastodon" (the app Chorus registered on the instance).
            ChannelNetwork::Mastodon => &["client_id", "client_secret"],
            _ => &[],
        }
    }
}

impl fmt::Display for ChannelNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelNetwork {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            Invalid::new("network", "must be mastodon, bluesky, linkedin, x, facebook, webhook or blog")
        })
    }
}

/// Where a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Waiting for its time.
    Scheduled,
    /// A publish attempt has started; if found in this state after a crash, its outcome is unknown.
    Publishing,
    Published,
    /// Refused by the network for good, or out of retries: a person has to act.
    Failed,
    /// An attempt's outcome is unknown and the network offers no way to look: a person decides,
    /// rather than risk a duplicate.
    Unconfirmed,
    Cancelled,
}

impl PostStatus {
    pub const ALL: [PostStatus; 6] = [
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Unconfirmed,
        PostStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
            PostStatus::Unconfirmed => "unconfirmed",
            PostStatus::Cancelled => "cancelled",
        }
    }

    /// Whether it may be placed at another time: waiting, failed, or unconfirmed once a person
    /// has checked that it is not out.
    pub fn reschedulable(self) -> bool {
        matches!(self, PostStatus::Scheduled | PostStatus::Failed | PostStatus::Unconfirmed)
    }
}

impl fmt::Display for PostStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| Invalid::new("status", "is not a post status"))
    }
}

/// The text a post starts from: the caption, with the link added when the caption lacks it.
pub fn caption_for_post(body: &str, link: Option<&str>) -> String {
    let body = body.trim();
    match link.map(str::trim).filter(|l| !l.is_empty() && !body.contains(*l)) {
        Some(link) if body.is_empty() => link.to_owned(),
        Some(link) => format!("{body}\n\n{link}"),
        None => body.to_owned(),
    }
}

/// Shortens `text` until it fits `network` as that network counts, cutting at a word boundary
/// and ending with "…"; a link at the end is kept whole when it can be.
pub fn fit(text: &str, network: Network, limits: &Limits) -> String {
    if measure(network, text, limits).fits {
        return text.to_owned();
    }
    // A trailing link usually matters more than the last words before it.
    if let Some((head, link)) = text.trim_end().rsplit_once(char::is_whitespace)
        && (link.starts_with("https://") || link.starts_with("http://"))
    {
        let with_link = |cut: &str| format!("{}…\n\n{link}", cut.trim_end());
        if let Some(best) = longest_prefix(head, |p| measure(network, &with_link(p), limits).fits) {
            return with_link(best);
        }
    }
    let ellipsis = |cut: &str| format!("{}…", cut.trim_end());
    match longest_prefix(text, |p| measure(network, &ellipsis(p), limits).fits) {
        Some(best) => ellipsis(best),
        None => String::new(),
    }
}

/// The longest prefix of `text`, cut before a word (or, for a text without spaces, a grapheme),
/// that `fits` accepts. Binary search: `fits` is monotonic in the prefix length.
fn longest_prefix(text: &str, fits: impl Fn(&str) -> bool) -> Option<&str> {
    let mut cuts: Vec<usize> =
        text.char_indices().filter(|(_, c)| c.is_whitespace()).map(|(i, _)| i).filter(|i| *i > 0).collect();
    if cuts.is_empty() {
        cuts = text.grapheme_indices(true).map(|(i, _)| i).filter(|i| *i > 0).collect();
    }
    let (mut lo, mut hi) = (0usize, cuts.len());
    let mut best = None;
    while lo < hi {
        let mid = usize::midpoint(lo, hi);
        let prefix = &text[..cuts[mid]];
        if fits(prefix) {
            best = Some(prefix);
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_statuses_round_trip() {
        for n in ChannelNetwork::ALL {
            assert_eq!(n.as_str().parse::<ChannelNetwork>().expect("parse"), n);
        }
        for s in PostStatus::ALL {
            assert_eq!(s.as_str().parse::<PostStatus>().expect("parse"), s);
        }
        assert!("myspace".parse::<ChannelNetwork>().is_err());
    }

    #[test]
    fn a_caption_gets_its_link_once() {
        assert_eq!(caption_for_post("Hello", Some("https://a.example/x")), "Hello\n\nhttps://a.example/x");
        assert_eq!(
            caption_for_post("See https://a.example/x", Some("https://a.example/x")),
            "See https://a.example/x"
        );
        assert_eq!(caption_for_post("  Hi ", None), "Hi");
    }

    #[test]
    fn long_text_is_cut_at_a_word_to_fit_each_network_as_it_counts() {
        let limits = Limits::default();
        let words = "harbour ".repeat(60); // 480 characters
        let x = fit(&words, Network::X, &limits);
        assert!(measure(Network::X, &x, &limits).fits, "{x}");
        assert!(x.ends_with("harbour…"), "{x}");
        assert!(x.chars().count() > 260, "as long as fits: {}", x.chars().count());
        // Bluesky counts graphemes: a family emoji is one.
        let family = "👨‍👩‍👧 ".repeat(200);
        let b = fit(&family, Network::Bluesky, &limits);
        assert!(measure(Network::Bluesky, &b, &limits).fits);
        assert!(b.ends_with('…'));
        // What fits already is untouched.
        assert_eq!(fit("Short and sweet", Network::X, &limits), "Short and sweet");
    }

    #[test]
    fn a_trailing_link_survives_the_cut() {
        let limits = Limits::default();
        let text = format!("{} https://example.com/a/very/long/path/that/x/counts/as/23", "word ".repeat(80));
        let x = fit(&text, Network::X, &limits);
        assert!(measure(Network::X, &x, &limits).fits, "{x}");
        assert!(x.ends_with("https://example.com/a/very/long/path/that/x/counts/as/23"), "{x}");
        assert!(x.contains("…\n\n"));
    }
}
