//! How long a text is on each network, counted the way the network counts (SPEC §4).
//!
//! | network | limit | unit |
//! |---|---|---|
//! | X | 280 | twitter-text config v3 weighted length: after NFC, code points U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 weigh 1, everything else 2; every link 23 (`transformedURLLength`), with or without a scheme, as twitter-text extracts links; every emoji sequence 2 |
//! | Bluesky | 300 | extended grapheme clusters of the text as given, links as written; and at most 3,000 UTF-8 bytes (`app.bsky.feed.post` lexicon: `maxGraphemes: 300`, `maxLength: 3000`) |
//! | Mastodon | 500 by default, per instance ([`Limits::mastodon`]) | grapheme clusters, after Mastodon's `StatusLengthValidator#countable_text` rewrites every link with a scheme to 23 characters and every `@user@domain` mention to `@user` |
//! | Threads | 500 | characters, except that an emoji counts as its UTF-8 bytes (Meta's Threads API documentation, "Limitations": "Emojis are counted as the number of UTF-8 bytes"); a character is a grapheme cluster |
//! | LinkedIn | 3,000 | characters, taken as Unicode scalar values: LinkedIn documents no other unit |
//! | Facebook | 63,206 | characters, taken as Unicode scalar values: Facebook documents no other unit |
//!
//! Known edges: Bluesky's own app shortens long link text before posting, so a text counted here as
//! written may still fit there if posted from the app (a connector posts it as written). Mastodon
//! counts the content warning together with the text; there is none here. Mastodon runs on Ruby's
//! grapheme rules, which may trail Unicode 17 (used here) for the newest emoji and Indic conjuncts.
//!
//! Why not the `twitter-text` crate (0.3.1) for X: its default (Nom) parser back end counts
//! `see example.com ok` as 18 instead of 30, and its Pest back end, though right there, counts
//! `example.de` and the `example.com/x` in `ftp://example.com/x` as links, which twitter-text's own
//! rules (`invalidShortDomain`, `invalidUrlWithoutProtocolPrecedingChars`) and conformance suite do
//! not. It also brings about 95 crates (cxx with a C++ build, pest, nom, ICU through idna, two phf
//! versions). The algorithm is short, so it is implemented here after twitter-text's JavaScript
//! reference (`parseTweet`, `extractUrlsWithIndices`); the expected numbers in the tests come from its
//! conformance suite where it has them, and 20,000 random mixes were compared with the crate's Pest
//! back end: each difference looked at followed the reference.

use std::{borrow::Cow, cell::OnceCell};

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
use unicode_segmentation::UnicodeSegmentation;

use super::{Network, emoji, links, links::Links, terms};

/// Limits that differ per instance. Only Mastodon's so far; start from `Limits::default()` so that more
/// fields can be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Limits {
    /// The instance's `configuration.statuses.max_characters` (500 on a stock Mastodon).
    pub mastodon: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { mastodon: 500 }
    }
}

impl Limits {
    /// These limits with a Mastodon instance's `max_characters`.
    pub fn with_mastodon(mut self, max_characters: usize) -> Self {
        self.mastodon = max_characters;
        self
    }

    /// The length limit of a post on `network`.
    pub fn limit(&self, network: Network) -> usize {
        match network {
            Network::X => 280,
            Network::Bluesky => 300,
            Network::Mastodon => self.mastodon,
            Network::Linkedin => 3_000,
            Network::Facebook => 63_206,
            Network::Threads => 500,
        }
    }
}

/// Bluesky's second limit: the post record's text is at most 3,000 bytes of UTF-8.
pub const BLUESKY_MAX_BYTES: usize = 3_000;

/// A text's length on one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LengthReport {
    /// In the network's own unit (see the module documentation).
    pub length: usize,
    pub limit: usize,
    /// `length <= limit`, and for Bluesky also at most [`BLUESKY_MAX_BYTES`] bytes.
    pub fits: bool,
}

/// The length of `text` on `network`.
pub fn measure(network: Network, text: &str, limits: &Limits) -> LengthReport {
    Prepared::new(text).measure(network, limits)
}

/// How many units a link counts for on X and Mastodon.
const LINK_LENGTH: usize = 23;

/// A text with what several counts and rules need, computed at most once each.
pub(crate) struct Prepared<'a> {
    raw: &'a str,
    nfc: OnceCell<Cow<'a, str>>,
    links: OnceCell<Links>,
    nfc_links: OnceCell<Links>,
    folded: OnceCell<String>,
    /// Grapheme clusters of the raw text, and its length on Threads (both need one walk over them).
    clusters: OnceCell<(usize, usize)>,
}

impl<'a> Prepared<'a> {
    pub fn new(raw: &'a str) -> Self {
        Self {
            raw,
            nfc: OnceCell::new(),
            links: OnceCell::new(),
            nfc_links: OnceCell::new(),
            folded: OnceCell::new(),
            clusters: OnceCell::new(),
        }
    }

    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The link candidates of the raw text.
    pub fn links(&self) -> &Links {
        self.links.get_or_init(|| links::find(self.raw))
    }

    /// The text folded for term matching.
    pub fn folded(&self) -> &str {
        self.folded.get_or_init(|| terms::fold(self.raw))
    }

    fn nfc(&self) -> &str {
        self.nfc.get_or_init(|| {
            if is_nfc_quick(self.raw.chars()) == IsNormalized::Yes {
                Cow::Borrowed(self.raw)
            } else {
                Cow::Owned(self.raw.nfc().collect())
            }
        })
    }

    fn nfc_links(&self) -> &Links {
        match self.nfc() {
            nfc if std::ptr::eq(nfc, self.raw) => self.links(),
            nfc => self.nfc_links.get_or_init(|| links::find(nfc)),
        }
    }

    pub fn measure(&self, network: Network, limits: &Limits) -> LengthReport {
        let limit = limits.limit(network);
        let length = match network {
            Network::X => self.x_length(),
            Network::Bluesky => self.clusters().0,
            Network::Mastodon => self.mastodon_length(),
            Network::Threads => self.clusters().1,
            Network::Linkedin | Network::Facebook => self.raw.chars().count(),
        };
        let bytes_fit = network != Network::Bluesky || self.raw.len() <= BLUESKY_MAX_BYTES;
        LengthReport { length, limit, fits: length <= limit && bytes_fit }
    }

    /// twitter-text's `parseTweet` with config v3 (scale 100, default weight 200).
    fn x_length(&self) -> usize {
        let text = self.nfc();
        let mut links = self.nfc_links().x_urls(text).into_iter().peekable();
        let mut weight = 0;
        let mut i = 0;
        while i < text.len() {
            while links.next_if(|l| l.start < i).is_some() {}
            if let Some(link) = links.next_if(|l| l.start == i) {
                weight += LINK_LENGTH * 100;
                i = link.end;
            } else if let Some(len) = emoji::emoji_len(&text[i..]) {
                weight += 200;
                i += len;
            } else if let Some(c) = text[i..].chars().next() {
                weight += x_weight(c);
                i += c.len_utf8();
            }
        }
        weight / 100
    }

    /// Mastodon's `StatusLengthValidator#countable_text`, then `each_grapheme_cluster.size`.
    fn mastodon_length(&self) -> usize {
        let text = self.raw;
        // (range, replacement); a mention without a domain stays as it is but still takes its place.
        let mut entities: Vec<(std::ops::Range<usize>, Cow<'_, str>)> = self
            .links()
            .mastodon_urls(text)
            .into_iter()
            .map(|range| (range, Cow::Borrowed(LINK_PLACEHOLDER)))
            .collect();
        entities.extend(
            mastodon_mentions(text).into_iter().map(|(range, user)| (range, Cow::Owned(format!("@{user}")))),
        );
        if entities.is_empty() {
            return self.clusters().0;
        }
        // `Extractor.remove_overlapping_entities`: by start; one overlapping an earlier one is dropped.
        entities.sort_by_key(|(r, _)| r.start);
        let mut countable = String::with_capacity(text.len());
        let mut at = 0;
        for (range, replacement) in entities {
            if range.start < at {
                continue;
            }
            countable.push_str(&text[at..range.start]);
            countable.push_str(&replacement);
            at = range.end;
        }
        countable.push_str(&text[at..]);
        let mut count = 0;
        for_each_cluster(&countable, |_| count += 1);
        count
    }

    /// The number of grapheme clusters, and the length on Threads: an emoji counts its UTF-8 bytes,
    /// anything else one per grapheme cluster.
    fn clusters(&self) -> (usize, usize) {
        *self.clusters.get_or_init(|| {
            let (mut count, mut threads) = (0, 0);
            for_each_cluster(self.raw, |g| {
                count += 1;
                threads += if g.len() > 1 && emoji::emoji_len(g).is_some() { g.len() } else { 1 };
            });
            (count, threads)
        })
    }
}

/// Calls `f` with each extended grapheme cluster of `s`, as `s.graphemes(true)` would yield them, but
/// without running the segmentation tables over ASCII: an ASCII character followed by another is a
/// cluster of its own (except CR LF), and a non-ASCII character followed by an ASCII one ends a
/// cluster unless it is a Prepend character.
fn for_each_cluster<'s>(s: &'s str, mut f: impl FnMut(&'s str)) {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let next_is_ascii = bytes.get(i + 1).is_none_or(|b| b.is_ascii());
        if bytes[i].is_ascii() && next_is_ascii {
            let len = if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            f(&s[i..i + len]);
            i += len;
            continue;
        }
        // A stretch that starts at a boundary (an ASCII character, or the start) and runs to the next
        // ASCII character that must start a cluster.
        let mut end = i + 1;
        loop {
            while end < bytes.len() && !bytes[end].is_ascii() {
                end += 1;
            }
            match s[..end].chars().next_back() {
                Some(c) if end < bytes.len() && is_prepend(c) => end += 1,
                _ => break,
            }
        }
        s[i..end].graphemes(true).for_each(&mut f);
        i = end;
    }
}

/// Grapheme_Cluster_Break=Prepend (Unicode 17): the only non-ASCII characters that join the ASCII
/// character after them.
fn is_prepend(c: char) -> bool {
    matches!(c,
        '\u{600}'..='\u{605}' | '\u{6DD}' | '\u{70F}' | '\u{890}'..='\u{891}' | '\u{8E2}' | '\u{D4E}'
        | '\u{110BD}' | '\u{110CD}' | '\u{111C2}'..='\u{111C3}' | '\u{1193F}' | '\u{11941}' | '\u{11A3A}'
        | '\u{11A84}'..='\u{11A89}' | '\u{11D46}' | '\u{11F02}')
}

const LINK_PLACEHOLDER: &str = "xxxxxxxxxxxxxxxxxxxxxxx";

/// A code point's weight on X (config v3: `defaultWeight` 200, four ranges at 100).
fn x_weight(c: char) -> usize {
    match u32::from(c) {
        0..=4351 | 8192..=8205 | 8208..=8223 | 8242..=8247 => 100,
        _ => 200,
    }
}

/// Mastodon's mentions (`Account::MENTION_RE`, `(?<![=/[:word:]])@((USERNAME)(?:@DOMAIN)?)`, with
/// `USERNAME = [a-z0-9_]+([.-]+[a-z0-9_]+)*` case-insensitive and `DOMAIN = [[:word:]]+([.-]+[[:word:]]+)*`),
/// less those followed by `@`, a Latin accented letter or `://` (twitter-text's `end_mention_match`) and
/// those with a domain over 253 characters. Returns each mention's range and its username; only mentions
/// with a domain matter for the length.
fn mastodon_mentions(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut resume = 0;
    for (at, _) in text.match_indices('@') {
        if at < resume {
            continue;
        }
        if text[..at].chars().next_back().is_some_and(|c| c == '=' || c == '/' || is_ruby_word(c)) {
            continue;
        }
        let user_end = at + 1 + dotted_run(&text[at + 1..], |c| c.is_ascii_alphanumeric() || c == '_');
        if user_end == at + 1 {
            continue;
        }
        let mut end = user_end;
        if text[end..].starts_with('@') {
            let domain_len = dotted_run(&text[end + 1..], is_ruby_word);
            if domain_len > 0 {
                end += 1 + domain_len;
            }
        }
        resume = end;
        let after = &text[end..];
        let bad_end = after.starts_with(['@', '＠'])
            || after.starts_with("://")
            || after.starts_with(links::is_latin_letter);
        if bad_end || end - user_end > 254 {
            continue;
        }
        found.push((at..end, &text[at + 1..user_end]));
    }
    found
}

/// The byte length of `word([.-]+word)*` at the start of `s`, where `word` is a run of `is_char`.
fn dotted_run(s: &str, is_char: impl Fn(char) -> bool) -> usize {
    let run =
        |from: usize| s[from..].char_indices().find(|&(_, c)| !is_char(c)).map_or(s.len(), |(i, _)| from + i);
    let mut end = run(0);
    if end == 0 {
        return 0;
    }
    loop {
        let seps =
            s[end..].char_indices().find(|&(_, c)| c != '.' && c != '-').map_or(s.len(), |(i, _)| end + i);
        if seps == end {
            return end;
        }
        let next = run(seps);
        if next == seps {
            return end;
        }
        end = next;
    }
}

/// Ruby's `[[:word:]]` on a Unicode string: letters, marks, decimal digits, connector punctuation.
fn is_ruby_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || links::is_mark(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(network: Network, text: &str) -> usize {
        measure(network, text, &Limits::default()).length
    }

    fn x(text: &str) -> usize {
        len(Network::X, text)
    }

    const FAMILY: &str = "👨\u{200D}👩\u{200D}👧\u{200D}👦";

    #[test]
    fn x_plain_and_boundaries() {
        assert_eq!(x(""), 0);
        assert_eq!(x("This is a test."), 15);
        let at_limit = "a".repeat(280);
        assert_eq!(
            measure(Network::X, &at_limit, &Limits::default()),
            LengthReport { length: 280, limit: 280, fits: true }
        );
        let over = "a".repeat(281);
        assert_eq!(
            measure(Network::X, &over, &Limits::default()),
            LengthReport { length: 281, limit: 280, fits: false }
        );
        // General punctuation in the light ranges: en dash, curly quotes, thin space, ZWJ alone.
        assert_eq!(x("\u{2013}\u{201C}\u{201D}\u{2009}\u{200D}"), 5);
        // Ellipsis and bullet are outside them.
        assert_eq!(x("…•"), 4);
    }

    #[test]
    fn x_cjk_weighs_two() {
        assert_eq!(x("日本語"), 6);
        assert_eq!(x("저찀쯿쿿"), 8);
        assert!(measure(Network::X, &"の".repeat(140), &Limits::default()).fits);
        assert_eq!(x(&"の".repeat(141)), 282);
        // twitter-text conformance: "3 latin char + 160 CJK char".
        assert_eq!(x(&format!("the{}", "故".repeat(160))), 323);
    }

    #[test]
    fn x_emoji_sequences_weigh_two() {
        assert_eq!(x("👍"), 2);
        assert_eq!(x(FAMILY), 2);
        assert_eq!(x("🇫🇷"), 2);
        assert_eq!(x("👍🏽"), 2);
        assert_eq!(x("👋🏿 hi"), 5);
        assert_eq!(x("1\u{FE0F}\u{20E3}"), 2);
        assert_eq!(x("🏳\u{FE0F}\u{200D}🌈"), 2);
        assert_eq!(x("© 2026 Acme"), 12);
        assert_eq!(x("x\u{FE0F}"), 3);
        assert_eq!(x("👍\u{301}"), 3);
        // twitter-text conformance (config v3).
        assert_eq!(
            x("Unicode 10.0 emoji: 🤪; 🧕; 🧕🏾; 🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}"),
            34
        );
        assert_eq!(x("Unicode 9.0 emoji: 🤠; 💃; 💃🏾"), 29);
        assert_eq!(x("😷👾😡🔥💩"), 10);
        assert_eq!(x(&FAMILY.repeat(140)), 280);
        assert!(measure(Network::X, &FAMILY.repeat(140), &Limits::default()).fits);
    }

    #[test]
    fn x_normalizes_to_nfc_first() {
        assert_eq!(x("e\u{301}"), 1);
        assert_eq!(x("A\u{301}B"), 2);
        // Hangul jamo compose to one syllable (weight 2).
        assert_eq!(x("\u{1100}\u{1161}\u{11A8}"), 2);
        // twitter-text conformance: "שּׁ is normalized into 3 chars".
        assert_eq!(x("A\u{FB2C}"), 4);
    }

    #[test]
    fn x_right_to_left() {
        assert_eq!(x("مرحبا بالعالم"), 13);
        assert_eq!(x("שלום עולם"), 9);
        // twitter-text conformance: directional marks around a link on an Urdu domain.
        assert_eq!(x("\u{2066}\u{202A}http://foobar.پاکستان/\u{202C}\u{2069}"), 31);
    }

    #[test]
    fn x_links_count_23() {
        assert_eq!(
            x("https://example.com/a/very/long/path/that/keeps/going/and/going/and/going/forever"),
            23
        );
        assert_eq!(x("http://t.co"), 23);
        assert_eq!(x("see example.com ok"), 30);
        assert_eq!(x("see www.example.com ok"), 30);
        assert_eq!(x("Test https://test.com test https://test.com test.com test"), 86);
        assert_eq!(x("Node.js and file.txt"), 20);
        assert_eq!(x("script.py"), 9);
        assert_eq!(x("example.de/x"), 23);
        assert_eq!(x("ftp://example.com/file"), 22);
        // A 64-character label is not a domain (twitter-text conformance).
        assert_eq!(x(&format!("{}.com", "r".repeat(64))), 68);
    }

    #[test]
    fn bluesky_counts_graphemes() {
        let b = |t: &str| len(Network::Bluesky, t);
        assert_eq!(b("hello"), 5);
        assert_eq!(b("👍"), 1);
        assert_eq!(b(FAMILY), 1);
        assert_eq!(b("🇫🇷"), 1);
        assert_eq!(b("👍🏽"), 1);
        assert_eq!(b("e\u{301}"), 1);
        assert_eq!(b("日本語"), 3);
        assert_eq!(b("مرحبا"), 5);
        assert_eq!(b("https://example.com/a/very/long/path"), 36);
        assert!(measure(Network::Bluesky, &"a".repeat(300), &Limits::default()).fits);
        assert!(!measure(Network::Bluesky, &"a".repeat(301), &Limits::default()).fits);
    }

    #[test]
    fn bluesky_also_caps_bytes() {
        // 150 family emoji: 150 graphemes but 3,750 bytes.
        let report = measure(Network::Bluesky, &FAMILY.repeat(150), &Limits::default());
        assert_eq!(report, LengthReport { length: 150, limit: 300, fits: false });
        // 120 of them: 3,000 bytes exactly.
        assert!(measure(Network::Bluesky, &FAMILY.repeat(120), &Limits::default()).fits);
    }

    #[test]
    fn mastodon_counts_graphemes_links_and_local_mentions() {
        let m = |t: &str| len(Network::Mastodon, t);
        assert_eq!(m("hello"), 5);
        assert_eq!(m(FAMILY), 1);
        assert_eq!(m("e\u{301}"), 1);
        assert_eq!(m("🇫🇷"), 1);
        assert_eq!(m("日本語"), 3);
        assert_eq!(m("see https://example.com/a/very/long/path/that/keeps/going"), 27);
        assert_eq!(m("http://t.co"), 23);
        // Without a scheme a link counts as written.
        assert_eq!(m("example.com"), 11);
        assert_eq!(m("hi @alice@mastodon.social!"), 10);
        assert_eq!(m("hi @alice"), 9);
        assert_eq!(m("@Alice.Smith@social.example.org."), 13);
        // Not mentions: an e-mail address, a mention glued to a word.
        assert_eq!(m("mail bob@example.org"), 20);
        // A link that contains a mention is counted once, as a link.
        assert_eq!(m("https://mastodon.social/@alice@example.com"), 23);
    }

    #[test]
    fn mastodon_limit_is_per_instance() {
        let limits = Limits::default().with_mastodon(1_000);
        let text = "a".repeat(501);
        assert!(!measure(Network::Mastodon, &text, &Limits::default()).fits);
        assert_eq!(
            measure(Network::Mastodon, &text, &limits),
            LengthReport { length: 501, limit: 1_000, fits: true }
        );
        assert!(measure(Network::Mastodon, &"a".repeat(500), &Limits::default()).fits);
    }

    #[test]
    fn threads_counts_emoji_as_bytes() {
        let t = |s: &str| len(Network::Threads, s);
        assert_eq!(t("hello"), 5);
        assert_eq!(t("👍"), 4);
        assert_eq!(t("👍🏽"), 8);
        assert_eq!(t(FAMILY), 25);
        assert_eq!(t("🇫🇷"), 8);
        assert_eq!(t("e\u{301}"), 1);
        assert_eq!(t("日本語"), 3);
        assert_eq!(t("https://example.com"), 19);
        assert!(measure(Network::Threads, &"a".repeat(500), &Limits::default()).fits);
        assert!(!measure(Network::Threads, &"a".repeat(501), &Limits::default()).fits);
    }

    #[test]
    fn cluster_walk_matches_unicode_segmentation() {
        for text in [
            "",
            "plain ascii\r\nline",
            "e\u{301} a\u{308}\u{301}x",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦ok 🇫🇷🇩e",
            "1\u{FE0F}\u{20E3}#\u{20E3}",
            "\u{600}1 \u{605}\u{600}ab",
            "क्षa नमस्ते",
            "日本語abc한국어\u{1100}\u{1161}x",
            "\r\n\u{301}\r",
            "a\u{200D}b",
        ] {
            let mut ours = Vec::new();
            for_each_cluster(text, |g| ours.push(g));
            assert_eq!(ours, text.graphemes(true).collect::<Vec<_>>(), "{}", text.escape_unicode());
        }
    }

    #[test]
    fn linkedin_and_facebook_count_code_points() {
        for network in [Network::Linkedin, Network::Facebook] {
            assert_eq!(len(network, "hello"), 5);
            assert_eq!(len(network, "👍"), 1);
            assert_eq!(len(network, FAMILY), 7);
            assert_eq!(len(network, "e\u{301}"), 2);
            assert_eq!(len(network, "日本語"), 3);
            assert_eq!(len(network, "שלום"), 4);
            assert_eq!(len(network, "https://example.com/a/very/long/path"), 36);
        }
        assert!(measure(Network::Linkedin, &"a".repeat(3_000), &Limits::default()).fits);
        assert!(!measure(Network::Linkedin, &"a".repeat(3_001), &Limits::default()).fits);
        assert!(measure(Network::Facebook, &"a".repeat(63_206), &Limits::default()).fits);
        assert!(!measure(Network::Facebook, &"a".repeat(63_207), &Limits::default()).fits);
    }
}
