//! Emoji sequences: where one starts and how far it reaches.
//!
//! X's length counting (twitter-text config v3, `emojiParsingEnabled`) weighs a whole emoji sequence —
//! a ZWJ family, a flag, a skin-toned hand, a keycap — as one default-weight character, and Threads counts
//! an emoji as its UTF-8 bytes. Both need to know where a sequence ends, which grapheme clusters do not
//! quite tell: "👍" followed by a combining accent is one grapheme, but X counts the emoji and the accent
//! apart. This follows the shapes of Unicode's emoji sequences (UTS #51) over the Extended_Pictographic
//! property.

/// Extended_Pictographic ranges (Unicode 17.0 emoji-data.txt, as in unicode-segmentation 1.13's grapheme
/// table, which is why the emoji modifiers and regional indicators are handled apart below).
#[rustfmt::skip]
const EXTENDED_PICTOGRAPHIC: &[(u32, u32)] = &[
    (0xA9, 0xA9), (0xAE, 0xAE), (0x203C, 0x203C), (0x2049, 0x2049), (0x2122, 0x2122), (0x2139, 0x2139),
    (0x2194, 0x2199), (0x21A9, 0x21AA), (0x231A, 0x231B), (0x2328, 0x2328), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB), (0x25B6, 0x25B6),
    (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2604), (0x260E, 0x260E), (0x2611, 0x2611),
    (0x2614, 0x2615), (0x2618, 0x2618), (0x261D, 0x261D), (0x2620, 0x2620), (0x2622, 0x2623),
    (0x2626, 0x2626), (0x262A, 0x262A), (0x262E, 0x262F), (0x2638, 0x263A), (0x2640, 0x2640),
    (0x2642, 0x2642), (0x2648, 0x2653), (0x265F, 0x2660), (0x2663, 0x2663), (0x2665, 0x2666),
    (0x2668, 0x2668), (0x267B, 0x267B), (0x267E, 0x267F), (0x2692, 0x2697), (0x2699, 0x2699),
    (0x269B, 0x269C), (0x26A0, 0x26A1), (0x26A7, 0x26A7), (0x26AA, 0x26AB), (0x26B0, 0x26B1),
    (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26C8, 0x26C8), (0x26CE, 0x26CF), (0x26D1, 0x26D1),
    (0x26D3, 0x26D4), (0x26E9, 0x26EA), (0x26F0, 0x26F5), (0x26F7, 0x26FA), (0x26FD, 0x26FD),
    (0x2702, 0x2702), (0x2705, 0x2705), (0x2708, 0x270D), (0x270F, 0x270F), (0x2712, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721), (0x2728, 0x2728),
    (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2763, 0x2764), (0x2795, 0x2797), (0x27A1, 0x27A1),
    (0x27B0, 0x27B0), (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D), (0x3297, 0x3297),
    (0x3299, 0x3299), (0x1F004, 0x1F004), (0x1F02C, 0x1F02F), (0x1F094, 0x1F09F), (0x1F0AF, 0x1F0B0),
    (0x1F0C0, 0x1F0C0), (0x1F0CF, 0x1F0D0), (0x1F0F6, 0x1F0FF), (0x1F170, 0x1F171), (0x1F17E, 0x1F17F),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1AE, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F25F), (0x1F266, 0x1F321),
    (0x1F324, 0x1F393), (0x1F396, 0x1F397), (0x1F399, 0x1F39B), (0x1F39E, 0x1F3F0), (0x1F3F3, 0x1F3F5),
    (0x1F3F7, 0x1F3FA), (0x1F400, 0x1F4FD), (0x1F4FF, 0x1F53D), (0x1F549, 0x1F54E), (0x1F550, 0x1F567),
    (0x1F56F, 0x1F570), (0x1F573, 0x1F57A), (0x1F587, 0x1F587), (0x1F58A, 0x1F58D), (0x1F590, 0x1F590),
    (0x1F595, 0x1F596), (0x1F5A4, 0x1F5A5), (0x1F5A8, 0x1F5A8), (0x1F5B1, 0x1F5B2), (0x1F5BC, 0x1F5BC),
    (0x1F5C2, 0x1F5C4), (0x1F5D1, 0x1F5D3), (0x1F5DC, 0x1F5DE), (0x1F5E1, 0x1F5E1), (0x1F5E3, 0x1F5E3),
    (0x1F5E8, 0x1F5E8), (0x1F5EF, 0x1F5EF), (0x1F5F3, 0x1F5F3), (0x1F5FA, 0x1F64F), (0x1F680, 0x1F6C5),
    (0x1F6CB, 0x1F6D2), (0x1F6D5, 0x1F6E5), (0x1F6E9, 0x1F6E9), (0x1F6EB, 0x1F6F0), (0x1F6F3, 0x1F6FF),
    (0x1F7DA, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F), (0x1F888, 0x1F88F),
    (0x1F8AE, 0x1F8AF), (0x1F8BC, 0x1F8BF), (0x1F8C2, 0x1F8CF), (0x1F8D9, 0x1F8FF), (0x1F90C, 0x1F93A),
    (0x1F93C, 0x1F945), (0x1F947, 0x1F9FF), (0x1FA58, 0x1FA5F), (0x1FA6E, 0x1FAFF), (0x1FC00, 0x1FFFD),
];

const VS16: char = '\u{FE0F}';
const ZWJ: char = '\u{200D}';
const KEYCAP: char = '\u{20E3}';
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

pub(crate) fn is_extended_pictographic(c: char) -> bool {
    let c = u32::from(c);
    if c < 0xA9 {
        return false;
    }
    EXTENDED_PICTOGRAPHIC
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

fn is_modifier(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007E}').contains(&c)
}

/// A character that can stand as (or start) an emoji element of a sequence.
fn is_base(c: char) -> bool {
    is_extended_pictographic(c) || is_modifier(c)
}

/// The byte length of the emoji sequence at the start of `s`, if one starts there.
///
/// Recognised: keycaps (`1️⃣`, also without the variation selector), flags (a pair of regional
/// indicators; a lone one counts too), tag sequences (`🏴󠁧󠁢󠁳󠁣󠁴󠁿`), and pictographs with an optional
/// variation selector 16 and skin-tone modifier, joined by ZWJ into longer sequences (`👨‍👩‍👧‍👦`, `🧑🏽‍💻`,
/// `🏳️‍🌈`). `©` and `®` are Extended_Pictographic and count as emoji too, as they do for X.
pub(crate) fn emoji_len(s: &str) -> Option<usize> {
    let first = s.chars().next()?;
    if first.is_ascii_digit() || first == '#' || first == '*' {
        let rest = &s[1..];
        let rest = rest.strip_prefix(VS16).unwrap_or(rest);
        return rest.starts_with(KEYCAP).then(|| s.len() - rest.len() + KEYCAP.len_utf8());
    }
    if is_regional_indicator(first) {
        let len = first.len_utf8();
        let pair = s[len..].chars().next().is_some_and(is_regional_indicator);
        return Some(if pair { 2 * len } else { len });
    }
    if !is_base(first) {
        return None;
    }
    let mut end = element_end(s, 0);
    while let Some(rest) = s[end..].strip_prefix(ZWJ)
        && rest.chars().next().is_some_and(is_base)
    {
        end = element_end(s, end + ZWJ.len_utf8());
    }
    Some(end)
}

/// Where the emoji element whose base character is at `start` ends: the base, then tag characters
/// (for a subdivision flag) or an optional VS16, skin-tone modifier and VS16.
fn element_end(s: &str, start: usize) -> usize {
    let mut chars = s[start..].chars();
    let Some(base) = chars.next() else { return start };
    let mut end = start + base.len_utf8();
    let next = |end: &mut usize, accept: &dyn Fn(char) -> bool| -> bool {
        match s[*end..].chars().next() {
            Some(c) if accept(c) => {
                *end += c.len_utf8();
                true
            }
            _ => false,
        }
    };
    if base == BLACK_FLAG && next(&mut end, &is_tag) {
        while next(&mut end, &is_tag) {}
        next(&mut end, &|c| c == CANCEL_TAG);
        return end;
    }
    next(&mut end, &|c| c == VS16);
    if !is_modifier(base) && next(&mut end, &is_modifier) {
        next(&mut end, &|c| c == VS16);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn len(s: &str) -> Option<usize> {
        emoji_len(s)
    }

    #[test]
    fn whole_sequences() {
        for s in [
            "👍",
            "👍🏽",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦",
            "🇫🇷",
            "1\u{FE0F}\u{20E3}",
            "#\u{20E3}",
            "🏳\u{FE0F}\u{200D}🌈",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "🧑🏽\u{200D}💻",
            "🙂\u{200D}↔\u{FE0F}",
            "©",
            "©\u{FE0F}",
            "🏽",
        ] {
            assert_eq!(len(s), Some(s.len()), "{}", s.escape_unicode());
        }
    }

    #[test]
    fn stops_where_the_sequence_ends() {
        assert_eq!(len("👍\u{301}"), Some(4));
        assert_eq!(len("🇫🇷🇩"), Some(8));
        assert_eq!(len("👨\u{200D}x"), Some(4));
        assert_eq!(len("👍 ok"), Some(4));
    }

    #[test]
    fn not_emoji() {
        for s in ["a", "1", "1\u{FE0F}", "\u{FE0F}", "\u{200D}", "日", "é", ""] {
            assert_eq!(len(s), None, "{}", s.escape_unicode());
        }
    }

    #[test]
    fn table_is_sorted_and_disjoint() {
        assert!(EXTENDED_PICTOGRAPHIC.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(EXTENDED_PICTOGRAPHIC.iter().all(|(lo, hi)| lo <= hi));
    }
}
