//! Markdown from people (captions, blog posts, comments, announcements) to HTML that is safe to
//! put in a page or an e-mail: rendered by pulldown-cmark, then cleaned by ammonia, which keeps
//! only harmless tags and attributes (no script, no event handlers, no `javascript:` links).

use pulldown_cmark::{Event, Options, Parser, html};

pub fn render(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    // A line break someone typed in a caption or comment is meant: keep it (as chat apps and
    // the social networks do), rather than joining the lines as plain Markdown would.
    let events = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES)
        .map(|e| if e == Event::SoftBreak { Event::HardBreak } else { e });
    html::push_html(&mut out, events);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into())
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_renders_and_scripts_never_survive() {
        assert_eq!(render("**Proud** of the team"), "<p><strong>Proud</strong> of the team</p>\n");
        let evil = render("<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>");
        assert!(!evil.contains("<script"), "{evil}");
        assert!(!evil.contains("href=\"javascript"), "{evil}");
        assert!(!render("[x](javascript:void)").contains("href=\"javascript"));
        assert!(!evil.contains("onerror"), "{evil}");
        assert!(render("[site](https://example.com)").contains("rel=\"noopener noreferrer nofollow ugc\""));
        assert_eq!(render("first line\nsecond line"), "<p>first line<br>\nsecond line</p>\n");
    }
}
