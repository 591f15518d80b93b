use super::*;

fn rule(name: &str, severity: Severity, kind: RuleKind) -> Rule {
    Rule { name: name.into(), severity, message: format!("{name}."), kind, scope: Scope::default() }
}

fn banned(terms: &[&str]) -> Rule {
    rule(
        "Banned",
        Severity::Block,
        RuleKind::BannedTerms { terms: terms.iter().map(|t| t.to_string()).collect() },
    )
}

fn required(any_of: &[&str]) -> Rule {
    rule(
        "Disclosure",
        Severity::Block,
        RuleKind::RequiredText { any_of: any_of.iter().map(|t| t.to_string()).collect() },
    )
}

fn domains(mode: DomainMode, domains: &[&str]) -> Rule {
    rule(
        "Links",
        Severity::Warn,
        RuleKind::LinkDomains { mode, domains: domains.iter().map(|t| t.to_string()).collect() },
    )
}

fn scoped(mut r: Rule, kinds: &[Kind], networks: &[Network]) -> Rule {
    r.scope = Scope { kinds: kinds.to_vec(), networks: networks.to_vec() };
    r
}

fn run(rules: &[Rule], text: &str, kind: Option<Kind>, networks: &[Network]) -> Report {
    check(rules, &Subject { text, kind, networks }, &Limits::default())
}

fn messages(rules: &[Rule], text: &str) -> Vec<String> {
    run(rules, text, None, &[]).findings.into_iter().map(|f| f.message).collect()
}

#[test]
fn names_parse_and_print() {
    for n in Network::ALL {
        assert_eq!(n.as_str().parse::<Network>(), Ok(n));
        assert_eq!(n.to_string(), n.as_str());
    }
    assert_eq!(" linkedin ".parse::<Network>(), Ok(Network::Linkedin));
    assert_eq!("twitter".parse::<Network>().map_err(|e| e.field), Err("networks"));
    assert_eq!(Network::Linkedin.label(), "LinkedIn");
    assert_eq!("warn".parse::<Severity>(), Ok(Severity::Warn));
    assert_eq!("fatal".parse::<Severity>().map_err(|e| e.field), Err("severity"));
    assert_eq!("deny".parse::<DomainMode>(), Ok(DomainMode::Deny));
}

#[test]
fn rules_are_stored_as_tagged_json() -> Result<(), serde_json::Error> {
    let r = scoped(banned(&["globex"]), &[Kind::BlogPost], &[Network::X]);
    let json = serde_json::to_value(&r)?;
    assert_eq!(
        json,
        serde_json::json!({
            "name": "Banned", "severity": "block", "message": "Banned.",
            "kind": {"type": "banned_terms", "terms": ["globex"]},
            "scope": {"kinds": ["blog_post"], "networks": ["x"]}
        })
    );
    assert_eq!(serde_json::from_value::<Rule>(json)?, r);
    let length: RuleKind = serde_json::from_str(r#"{"type": "length"}"#)?;
    assert_eq!(length, RuleKind::Length {});
    let links: RuleKind =
        serde_json::from_str(r#"{"type": "link_domains", "mode": "allow", "domains": ["a.com"]}"#)?;
    assert_eq!(links, RuleKind::LinkDomains { mode: DomainMode::Allow, domains: vec!["a.com".into()] });
    let no_scope: Rule = serde_json::from_str(
        r##"{"name": "n", "severity": "warn", "message": "m", "kind": {"type": "required_text", "any_of": ["#ad"]}}"##,
    )?;
    assert_eq!(no_scope.scope, Scope::default());
    Ok(())
}

#[test]
fn reports_serialize_with_network_keys() -> Result<(), serde_json::Error> {
    let report = run(&default_rules(), &"a".repeat(281), None, &[Network::X, Network::Bluesky]);
    let json = serde_json::to_value(&report)?;
    assert_eq!(
        json,
        serde_json::json!({
            "networks": {
                "x": {"length": 281, "limit": 280, "fits": false},
                "bluesky": {"length": 281, "limit": 300, "fits": true}
            },
            "findings": [{
                "rule": "Fits the network", "severity": "block",
                "message": "The text is too long for a network it is meant for. (X: 281 of 280)"
            }]
        })
    );
    Ok(())
}

#[test]
fn validation_names_the_fields() {
    let fields =
        |r: &Rule| r.validate().err().unwrap_or_default().into_iter().map(|e| e.field).collect::<Vec<_>>();
    assert_eq!(fields(&banned(&["globex"])), Vec::<&str>::new());
    let mut r = banned(&[]);
    r.name = " ".into();
    r.message = String::new();
    assert_eq!(fields(&r), ["name", "message", "terms"]);
    assert_eq!(fields(&banned(&["ok", "  "])), ["terms"]);
    assert_eq!(fields(&banned(&["\u{AD}"])), ["terms"]);
    assert_eq!(fields(&banned(&[&"x".repeat(201)])), ["terms"]);
    assert_eq!(fields(&required(&[])), ["any_of"]);
    assert_eq!(fields(&required(&["#ad", ""])), ["any_of"]);
    assert_eq!(fields(&domains(DomainMode::Allow, &[])), ["domains"]);
    assert_eq!(
        fields(&domains(DomainMode::Allow, &["example.com", "Sub.Example.ORG.", "例え.jp"])),
        Vec::<&str>::new()
    );
    for bad in [
        "https://example.com",
        "example.com/path",
        "example",
        "exa mple.com",
        "*.example.com",
        "-x.com",
        "a..com",
        "x.com:80",
    ] {
        assert_eq!(fields(&domains(DomainMode::Deny, &[bad])), ["domains"], "{bad}");
    }
    let mut long = rule(&"n".repeat(101), Severity::Warn, RuleKind::Length {});
    long.message = "m".repeat(501);
    assert_eq!(fields(&long), ["name", "message"]);
    for r in default_rules() {
        assert_eq!(r.validate(), Ok(()));
    }
}

#[test]
fn banned_terms_hit_and_miss() {
    let rules = [banned(&["Globex", "free money", "ass", "#fail"])];
    assert_eq!(messages(&rules, "We beat GLOBEX again"), ["Banned. (found “Globex”)"]);
    assert_eq!(messages(&rules, "A classy pass, no Globexing here"), Vec::<String>::new());
    assert_eq!(
        messages(&rules, "FREE   Money and a #Fail, from globex"),
        ["Banned. (found “Globex”, “free money”, “#fail”)"]
    );
    assert_eq!(messages(&rules, "#failure is fine"), Vec::<String>::new());
}

#[test]
fn banned_terms_are_unicode_aware() {
    assert_eq!(messages(&[banned(&["Straße"])], "AN DER STRASSE"), ["Banned. (found “Straße”)"]);
    assert_eq!(messages(&[banned(&["istanbul"])], "İSTANBUL'DA BULUŞALIM"), ["Banned. (found “istanbul”)"]);
    assert_eq!(messages(&[banned(&["Σοφία"])], "Η ΣΟΦΊΑ ΕΊΠΕ"), ["Banned. (found “Σοφία”)"]);
    assert_eq!(messages(&[banned(&["שלום"])], "שלום!"), ["Banned. (found “שלום”)"]);
    assert_eq!(messages(&[banned(&["竞品"])], "我们的竞品很弱"), ["Banned. (found “竞品”)"]);
}

#[test]
fn rules_apply_only_in_their_scope() {
    let by_kind = scoped(banned(&["globex"]), &[Kind::Article, Kind::BlogPost], &[]);
    let text = "globex";
    assert_eq!(run(std::slice::from_ref(&by_kind), text, Some(Kind::Article), &[]).findings.len(), 1);
    assert_eq!(run(std::slice::from_ref(&by_kind), text, Some(Kind::Photo), &[]).findings.len(), 0);
    assert_eq!(run(&[by_kind], text, None, &[]).findings.len(), 0);

    let by_network = scoped(banned(&["globex"]), &[], &[Network::Linkedin]);
    assert_eq!(
        run(std::slice::from_ref(&by_network), text, None, &[Network::X, Network::Linkedin]).findings.len(),
        1
    );
    assert_eq!(run(std::slice::from_ref(&by_network), text, None, &[Network::X]).findings.len(), 0);
    assert_eq!(run(&[by_network], text, None, &[]).findings.len(), 0);

    let unscoped = banned(&["globex"]);
    assert_eq!(run(&[unscoped], text, Some(Kind::Idea), &[]).findings.len(), 1);
}

#[test]
fn required_text() {
    let rules = [scoped(required(&["#ad", "#sponsored"]), &[Kind::Video], &[Network::X, Network::Threads])];
    let report = run(&rules, "Our new video!", Some(Kind::Video), &[Network::X]);
    assert_eq!(
        report.findings,
        [Finding {
            rule: "Disclosure".into(),
            severity: Severity::Block,
            message: "Disclosure. (add one of “#ad”, “#sponsored”)".into()
        }]
    );
    assert!(report.is_blocked());
    assert!(run(&rules, "Our new video! #AD", Some(Kind::Video), &[Network::X]).findings.is_empty());
    assert!(
        run(&rules, "Our new video #Sponsored.", Some(Kind::Video), &[Network::Threads]).findings.is_empty()
    );
    // #adventure is not #ad.
    assert_eq!(run(&rules, "#adventure", Some(Kind::Video), &[Network::X]).findings.len(), 1);
    // Out of scope: another kind, or only other networks.
    assert!(run(&rules, "Our new photo", Some(Kind::Photo), &[Network::X]).findings.is_empty());
    assert!(run(&rules, "Our new video", Some(Kind::Video), &[Network::Linkedin]).findings.is_empty());
    // One finding for the rule however many networks it covers.
    assert_eq!(run(&rules, "video", Some(Kind::Video), &[Network::X, Network::Threads]).findings.len(), 1);
}

#[test]
fn allowed_domains() {
    let rules = [domains(DomainMode::Allow, &["example.com", "Acme.org"])];
    assert!(
        messages(&rules, "Read https://example.com/a and https://blog.example.com and www.acme.org/x")
            .is_empty()
    );
    assert_eq!(
        messages(&rules, "Read https://example.com.evil.net/login or http://notexample.com"),
        ["Links. (not allowed: example.com.evil.net, notexample.com)"]
    );
    assert_eq!(messages(&rules, "evil.net/x and HTTPS://Evil.NET/y"), ["Links. (not allowed: evil.net)"]);
    // File names and e-mail addresses are not links.
    assert!(messages(&rules, "Node.js, report.pdf, mail me@evil.net").is_empty());
    // Links with other schemes are still links.
    assert_eq!(messages(&rules, "ftp://files.evil.net/a"), ["Links. (not allowed: files.evil.net)"]);
    assert!(messages(&rules, "no links at all").is_empty());
}

#[test]
fn denied_domains() {
    let rules = [domains(DomainMode::Deny, &["evil.net"])];
    assert_eq!(messages(&rules, "see https://www.evil.net/x"), ["Links. (denied: www.evil.net)"]);
    assert_eq!(messages(&rules, "see evil.net"), ["Links. (denied: evil.net)"]);
    assert!(messages(&rules, "see https://evil.net.example.com and https://notevil.net").is_empty());
    assert!(messages(&rules, "see https://example.com/evil.net").is_empty());
}

#[test]
fn length_names_network_length_and_limit() {
    let rules = default_rules();
    let text = "日".repeat(156);
    let report = run(&rules, &text, None, &Network::ALL);
    assert_eq!(report.networks.len(), 6);
    assert_eq!(report.networks[&Network::X], LengthReport { length: 312, limit: 280, fits: false });
    assert_eq!(report.networks[&Network::Bluesky], LengthReport { length: 156, limit: 300, fits: true });
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(messages, ["The text is too long for a network it is meant for. (X: 312 of 280)"]);

    let long = "a".repeat(63_300);
    let report = run(&rules, &long, None, &[Network::Facebook, Network::Linkedin]);
    let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "The text is too long for a network it is meant for. (LinkedIn: 63,300 of 3,000)",
            "The text is too long for a network it is meant for. (Facebook: 63,300 of 63,206)",
        ]
    );

    let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦".repeat(150);
    let report = run(&rules, &family, None, &[Network::Bluesky]);
    assert_eq!(
        report.findings[0].message,
        "The text is too long for a network it is meant for. (Bluesky: 3,750 of 3,000 bytes)"
    );
}

#[test]
fn length_rule_scoped_to_networks() {
    let rules = [scoped(rule("Short on X", Severity::Warn, RuleKind::Length {}), &[], &[Network::X])];
    let text = "a".repeat(400);
    let report = run(&rules, &text, None, &[Network::X, Network::Bluesky, Network::Mastodon]);
    // Every targeted network is measured; only X is checked.
    assert_eq!(report.networks.len(), 3);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].message, "Short on X. (X: 400 of 280)");
    assert!(!report.is_blocked());
    assert_eq!(report.blocking().count(), 0);
    assert!(run(&rules, &text, None, &[Network::Bluesky]).findings.is_empty());
}

#[test]
fn mastodon_limit_comes_from_limits() {
    let text = "a".repeat(600);
    let subject = Subject { text: &text, kind: None, networks: &[Network::Mastodon] };
    assert!(check(&default_rules(), &subject, &Limits::default()).is_blocked());
    let roomy = Limits { mastodon: 1_000 };
    let report = check(&default_rules(), &subject, &roomy);
    assert!(!report.is_blocked());
    assert_eq!(report.networks[&Network::Mastodon], LengthReport { length: 600, limit: 1_000, fits: true });
}

#[test]
fn blocking_and_warning_findings() {
    let mut warn = banned(&["meh"]);
    warn.severity = Severity::Warn;
    warn.name = "Tone".into();
    let rules = [warn, banned(&["globex"])];
    let report = run(&rules, "meh, globex", None, &[]);
    assert_eq!(report.findings.len(), 2);
    assert_eq!(report.blocking().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["Banned"]);
    assert!(report.is_blocked());
    assert!(!run(&rules, "meh", None, &[]).is_blocked());
}

#[test]
fn compiled_rules_match_check() {
    let rules = [
        banned(&["globex", "initech"]),
        required(&["#ad"]),
        domains(DomainMode::Allow, &["example.com"]),
        rule("Length", Severity::Block, RuleKind::Length {}),
    ];
    let compiled = CompiledRules::new(&rules);
    for text in ["globex https://evil.net", "#ad fine https://example.com", &"x".repeat(300)] {
        let subject = Subject { text, kind: Some(Kind::Article), networks: &Network::ALL };
        assert_eq!(compiled.check(&subject, &Limits::default()), check(&rules, &subject, &Limits::default()));
    }
}

#[test]
fn invalid_rules_are_applied_as_far_as_they_make_sense() {
    let rules =
        [banned(&["", "  ", "globex"]), required(&[" "]), domains(DomainMode::Allow, &["not a domain"])];
    // Blank terms match nothing and do not make the required rule fire; a rule without valid domains
    // allows nothing.
    assert_eq!(messages(&rules, "plain text"), Vec::<String>::new());
    assert_eq!(
        messages(&rules, "globex https://example.com"),
        ["Banned. (found “globex”)", "Links. (not allowed: example.com)"]
    );
}

#[test]
fn same_network_twice_is_measured_once() {
    let report = run(&default_rules(), &"a".repeat(290), None, &[Network::X, Network::X]);
    assert_eq!(report.networks.len(), 1);
    assert_eq!(report.findings.len(), 1);
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000), "1,000");
    assert_eq!(thousands(63_206), "63,206");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
