//! "Guideline check of a 3,000-character text for all networks under 1 ms."
//!
//! A realistic post (words in several languages, links, emoji, mentions, hashtags) against a
//! realistic rule set (ten rules, one of them fifty banned terms), checked for all six networks.
//! Prints p50 / p99 / mean per check in microseconds, for `check` (which prepares the rules on every
//! call) and for `CompiledRules::check` (rules prepared once).
//!
//! `cargo bench -p chorus-domain --bench guidelines`

use std::{hint::black_box, time::Instant};

use chorus_domain::{
    guidelines::{
        self, CompiledRules, DomainMode, Limits, Network, Rule, RuleKind, Scope, Severity, Subject, check,
        default_rules,
    },
    submission::Kind,
};

const WARMUP: usize = 200;
const RUNS: usize = 5_000;

fn main() {
    let text = post(3_000);
    let rules = rules();
    let limits = Limits::default();
    let subject = Subject { text: &text, kind: Some(Kind::BlogPost), networks: &Network::ALL };

    let report = check(&rules, &subject, &limits);
    println!("text: {} characters, {} bytes; {} rules", text.chars().count(), text.len(), rules.len());
    for (network, length) in &report.networks {
        println!("  {:<9} {:>5} of {:>6} fits={}", network.label(), length.length, length.limit, length.fits);
    }
    for finding in &report.findings {
        println!("  {:?}: {}", finding.severity, finding.message);
    }

    measure("check(&rules, ..)", || check(black_box(&rules), black_box(&subject), &limits));
    let compiled = CompiledRules::new(&rules);
    measure("CompiledRules::check", || compiled.check(black_box(&subject), &limits));
    println!("one network at a time, no rules (measure):");
    for network in Network::ALL {
        measure(&format!("  {}", network.label()), || {
            guidelines::measure(network, black_box(&text), &limits)
        });
    }
}

fn measure<R>(name: &str, mut f: impl FnMut() -> R) {
    for _ in 0..WARMUP {
        black_box(f());
    }
    let mut micros: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    let mean = micros.iter().sum::<f64>() / micros.len() as f64;
    println!(
        "{name:<24} runs={RUNS} p50={:.1}µs p99={:.1}µs mean={mean:.1}µs max={:.1}µs",
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

/// About `chars` characters of a plausible company post, cut at a word.
fn post(chars: usize) -> String {
    let pieces = [
        "Big news from the Acme team! 🎉 Our new analytics dashboard is live today,",
        "and we could not be prouder of the people who built it.",
        "Read the full story on our blog: https://blog.acme.example.com/2026/11/analytics-dashboard-launch?utm_source=social",
        "Huge thanks to @jordan and @priya@mastodon.social for months of late nights ☕️☕️,",
        "and to our beta customers who sent 1,200+ pieces of feedback 🙏🏽.",
        "#Analytics #DataViz #LaunchDay",
        "Wir freuen uns auch über Feedback aus Deutschland — die Straße zum Erfolg ist lang.",
        "Nous sommes ravis : l'équipe a travaillé dur pour cette version.",
        "日本のお客様にも、新しいダッシュボードをお届けします。",
        "👨‍👩‍👧‍👦 Family plans start at $9/month; details at acme.example.com/pricing.",
        "Questions? Ask us at https://support.acme.example.com/hc/en-us or reply here 👇",
        "Built with care in Berlin 🇩🇪, Lisbon 🇵🇹 and Toronto 🇨🇦.",
        "مرحبا بكم في الإصدار الجديد",
        "Keep an eye on this thread for tips & tricks over the next weeks 🔥🔥🔥",
    ];
    let mut out = String::new();
    'fill: loop {
        for piece in pieces {
            for word in piece.split(' ') {
                if out.chars().count() + word.chars().count() + 1 > chars {
                    break 'fill;
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
            out.push('\n');
        }
    }
    out
}

/// Ten rules as an organization might set them up.
fn rules() -> Vec<Rule> {
    let rule = |name: &str, severity, kind, kinds: &[Kind], networks: &[Network]| Rule {
        name: name.into(),
        severity,
        message: format!("{name}."),
        kind,
        scope: Scope { kinds: kinds.to_vec(), networks: networks.to_vec() },
    };
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let banned = [
        "globex",
        "initech",
        "umbrella corp",
        "hooli",
        "vandelay",
        "soylent",
        "cyberdyne",
        "tyrell",
        "wonka",
        "massive dynamic",
        "guaranteed",
        "risk-free",
        "best in the world",
        "cheapest",
        "free money",
        "act now",
        "limited time only",
        "100% secure",
        "unbreakable",
        "revolutionary",
        "game-changer",
        "synergy",
        "disrupt",
        "ninja",
        "rockstar",
        "guru",
        "crushing it",
        "no-brainer",
        "killer app",
        "world-class",
        "damn",
        "hell",
        "crap",
        "wtf",
        "omg",
        "lol",
        "#fail",
        "#winning",
        "sue",
        "lawsuit",
        "leaked",
        "confidential",
        "internal only",
        "do not share",
        "nda",
        "under embargo",
        "straße zum misserfolg",
        "最悪",
        "insider",
        "password",
    ];
    vec![
        default_rules().remove(0),
        rule(
            "Competitors and hype",
            Severity::Block,
            RuleKind::BannedTerms { terms: strings(&banned) },
            &[],
            &[],
        ),
        rule(
            "Tone on LinkedIn",
            Severity::Warn,
            RuleKind::BannedTerms { terms: strings(&["lol", "omg", "🔥"]) },
            &[],
            &[Network::Linkedin],
        ),
        rule(
            "Sponsored disclosure",
            Severity::Block,
            RuleKind::RequiredText { any_of: strings(&["#ad", "#sponsored", "paid partnership"]) },
            &[Kind::Video, Kind::Podcast],
            &[],
        ),
        rule(
            "Blog hashtag",
            Severity::Warn,
            RuleKind::RequiredText { any_of: strings(&["#AcmeBlog", "#Analytics"]) },
            &[Kind::BlogPost],
            &[Network::X, Network::Bluesky, Network::Mastodon],
        ),
        rule(
            "Our domains only",
            Severity::Warn,
            RuleKind::LinkDomains {
                mode: DomainMode::Allow,
                domains: strings(&["acme.example.com", "acme.com"]),
            },
            &[],
            &[],
        ),
        rule(
            "No shorteners",
            Severity::Block,
            RuleKind::LinkDomains {
                mode: DomainMode::Deny,
                domains: strings(&["bit.ly", "tinyurl.com", "t.co"]),
            },
            &[],
            &[],
        ),
        rule("X length", Severity::Warn, RuleKind::Length {}, &[], &[Network::X]),
        rule(
            "Legal words",
            Severity::Block,
            RuleKind::BannedTerms { terms: strings(&["class action", "settlement"]) },
            &[Kind::BlogPost, Kind::Article],
            &[],
        ),
        rule(
            "Thread length",
            Severity::Warn,
            RuleKind::Length {},
            &[Kind::BlogPost],
            &[Network::Threads, Network::Bluesky],
        ),
    ]
}
