//! `chorus serve --demo`: a living example company in an empty database.

use anyhow::Context as _;
use chorus_app::{App, me::Caller, people::CliPerson};
use chorus_app::{Me, submissions::Input};
use chorus_domain::{
    OrgId, SubmissionId,
    submission::{Decision, Step},
};
use chorus_store::admin;

/// The password every demo account gets (printed at start).
pub const DEMO_PASSWORD: &str = "chorus-demo-password";

pub async fn seed(app: &App) -> anyhow::Result<()> {
    let mut db = app.store.conn().await?;
    if admin::count_orgs(&mut db).await? > 0 {
        tracing::info!("--demo: the database already has data; not seeding");
        return Ok(());
    }
    drop(db);
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let org = chorus_app::orgs::create(app, "Northwind Outdoor").await.map_err(err)?;
    let op = Caller::operator(org.id);
    let people = [
        ("Olivia Hart", "olivia@northwind.example", "owner", None, "Chief Executive", "5"),
        ("Sam Rivera", "sam@northwind.example", "social", Some("Marketing"), "Social Media Manager", "3"),
        (
            "Priya Natarajan",
            "priya@northwind.example",
            "lead",
            Some("Engineering"),
            "Developer Advocate",
            "2",
        ),
        ("Tom Becker", "tom@northwind.example", "lead", Some("Field Operations"), "Site Supervisor", "3"),
        (
            "Grace Liu",
            "grace@northwind.example",
            "admin",
            Some("People & Culture"),
            "HR Business Partner",
            "4",
        ),
        ("Marcus Ade", "marcus@northwind.example", "employee", Some("Field Operations"), "Ranger", "1"),
        (
            "Elena Petrova",
            "elena@northwind.example",
            "employee",
            Some("Engineering"),
            "Backend Engineer",
            "2",
        ),
        ("Jonas Berg", "jonas@northwind.example", "employee", Some("Sales"), "Account Executive", "2"),
        ("Aisha Khan", "aisha@northwind.example", "employee", Some("Marketing"), "Content Writer", "1"),
        ("Robert Wells", "robert@northwind.example", "employee", Some("Sales"), "VP Sales", "5"),
    ];
    for (name, email, role, department, title, seniority) in people {
        let input = CliPerson {
            email: email.into(),
            name: name.into(),
            role: role.into(),
            department: department.map(Into::into),
            title: Some(title.into()),
            seniority: Some(seniority.into()),
        };
        let (user, _) = chorus_app::people::add_from_cli(app, &op, &input).await.map_err(err)?;
        let hash = chorus_app::security::hash_password(DEMO_PASSWORD, false).await?;
        let mut db = app.store.conn().await?;
        chorus_store::users::set_password(&mut db, org.id, user.id, &hash, app.now())
            .await
            .context("set demo password")?;
    }
    let invited = chorus_app::people::NewPerson {
        email: "newhire@northwind.example".into(),
        name: "Nina Newhire".into(),
        role: None,
        department_id: None,
        title: Some("Graduate Trainee".into()),
        seniority: Some("1".into()),
    };
    chorus_app::people::invite(app, &op, &invited).await.map_err(err)?;
    let seeded = content(app, org.id).await?;
    amplification(app, org.id, seeded).await?;
    enablement(app, org.id).await?;
    recognition(app, org.id).await?;
    curation(app, org.id).await?;
    communication(app, org.id).await?;
    announcements(app, org.id).await?;
    println!(
        "\nDemo company \"Northwind Outdoor\" is ready. Sign in as olivia@northwind.example (owner), \
         sam@northwind.example (social team: /analytics) or marcus@northwind.example (employee: /share), \
         password: {DEMO_PASSWORD}\n"
    );
    Ok(())
}

/// Someone of the demo company, by e-mail, as a caller.
async fn person(app: &App, org: OrgId, email: &str) -> anyhow::Result<Caller> {
    let mut db = app.store.conn().await?;
    let user = chorus_store::users::get_by_email(&mut db, org, email)
        .await?
        .with_context(|| format!("demo person {email}"))?;
    drop(db);
    let me = Me::load(app, org, user.id, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(me.context("demo person is active")?.caller)
}

/// A landscape picture (a sky-to-ridge gradient), so photos in the demo have something to show.
fn demo_photo() -> anyhow::Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(960, 640, |x, y| {
        let ridge = 420.0 + 60.0 * ((x as f32) / 90.0).sin();
        if (y as f32) > ridge {
            image::Rgb([34, 85 + (y % 40) as u8, 52])
        } else {
            image::Rgb([250 - (y / 4) as u8, 170 + (y / 8) as u8, 90 + (y / 3) as u8])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

/// What [`content`] made that the amplification part builds on.
struct Seeded {
    /// The approved article with a link ("Northwind named a top outdoor employer").
    award: SubmissionId,
    campaign: chorus_domain::CampaignId,
}

/// Submissions in every state of the workflow, an idea board with votes, goals and a campaign.
async fn content(app: &App, org: OrgId) -> anyhow::Result<Seeded> {
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let sam = person(app, org, "sam@northwind.example").await?;
    let tom = person(app, org, "tom@northwind.example").await?;
    let priya = person(app, org, "priya@northwind.example").await?;
    let marcus = person(app, org, "marcus@northwind.example").await?;
    let elena = person(app, org, "elena@northwind.example").await?;
    let aisha = person(app, org, "aisha@northwind.example").await?;
    let jonas = person(app, org, "jonas@northwind.example").await?;
    let robert = person(app, org, "robert@northwind.example").await?;

    let stories =
        chorus_app::campaigns::create_pillar(app, &sam, "Customer stories", "People out on our trails")
            .await
            .map_err(err)?;
    chorus_app::campaigns::create_pillar(app, &sam, "Life at Northwind", "The people behind the gear")
        .await
        .map_err(err)?;
    let campaign = chorus_app::campaigns::create_campaign(
        app,
        &sam,
        chorus_app::campaigns::CampaignInput {
            name: "Spring trails 2027".into(),
            goal: "Show the trails waking up, through the eyes of the people who keep them".into(),
            pillar_id: Some(stories.id),
            starts_on: Some("2027-03-01".into()),
            ends_on: Some("2027-05-31".into()),
            budget_cents: Some(250_000),
            channels: vec!["linkedin".into(), "bluesky".into()],
        },
    )
    .await
    .map_err(err)?;

    let draft = |kind: &str, title: &str, body: &str| Input {
        kind: Some(kind.into()),
        title: Some(title.into()),
        body: Some(body.into()),
        ..Input::default()
    };
    let submit = |who: &Caller, id: SubmissionId| {
        let (app, who) = (app.clone(), who.clone());
        async move { chorus_app::submissions::step(&app, &who, id, Step::Submit, "", None).await }
    };
    let decide = |who: &Caller, id: SubmissionId, d: Decision, comment: &str| {
        let (app, who, comment) = (app.clone(), who.clone(), comment.to_owned());
        async move { chorus_app::submissions::step(&app, &who, id, Step::Decide(d), &comment, None).await }
    };

    // A photo from the field, waiting for the Field Operations lead.
    let photo =
        chorus_app::media::upload(app, &marcus, demo_photo()?, Some("north-ridge.png")).await.map_err(err)?;
    let mut input = draft(
        "photo",
        "Sunrise over the north ridge trail",
        "First light on the north ridge this morning. The new boardwalk held up through the storm! #trails",
    );
    input.media_ids = Some(vec![photo.id]);
    input.tags = Some(vec!["trails field-ops".into()]);
    input.channels = Some(vec!["linkedin".into(), "bluesky".into()]);
    input.campaign_id = Some(Some(campaign.id));
    let s = chorus_app::submissions::create(app, &marcus, input).await.map_err(err)?;
    submit(&marcus, s.submission.id).await.map_err(err)?;

    // A blog post the Engineering lead passed on; it waits for the social team.
    let s = chorus_app::submissions::create(
        app,
        &elena,
        draft(
            "blog_post",
            "How we built offline maps for rangers",
            "## No signal, no problem\n\nOur rangers work where phones don't. This is how the app keeps \
             maps and trail reports working offline, and syncs when it can.",
        ),
    )
    .await
    .map_err(err)?;
    submit(&elena, s.submission.id).await.map_err(err)?;
    decide(&priya, s.submission.id, Decision::Approve, "Great read, ready for the team")
        .await
        .map_err(err)?;

    // Approved content in the library.
    let mut input = draft(
        "article",
        "Northwind named a top outdoor employer",
        "We're proud to be on this year's list of the best outdoor employers. Thank you to every ranger, \
         engineer and seller who makes Northwind what it is.",
    );
    input.link = Some("https://news.example.com/best-outdoor-employers".into());
    input.tags = Some(vec!["culture".into()]);
    input.channels = Some(vec!["linkedin".into()]);
    let s = chorus_app::submissions::create(app, &aisha, input).await.map_err(err)?;
    submit(&aisha, s.submission.id).await.map_err(err)?;
    decide(&sam, s.submission.id, Decision::Approve, "").await.map_err(err)?;
    let award = s.submission.id;

    // Channels: the company blog, served by Chorus itself, and a team-chat webhook whose cadence
    // template offers weekday mornings and afternoons.
    use chorus_app::publishing::{self, ChannelInput, PostInput};
    let blog = publishing::create_channel(
        app,
        &sam,
        ChannelInput { network: "blog".into(), name: "Northwind blog".into(), ..ChannelInput::default() },
    )
    .await
    .map_err(err)?;
    let mut credentials = serde_json::Map::new();
    credentials.insert("url".into(), "http://127.0.0.1:9/demo-team-chat".into());
    credentials.insert("secret".into(), "demo-only-secret".into());
    let chat = publishing::create_channel(
        app,
        &sam,
        ChannelInput {
            network: "webhook".into(),
            name: "Team chat (demo receiver, offline)".into(),
            credentials,
            cadence: Some(chorus_domain::cadence::Cadence {
                min_spacing_minutes: 120,
                max_per_day: 2,
                times: vec!["09:30".into(), "16:00".into()],
                weekdays: vec![1, 2, 3, 4, 5],
                ..chorus_domain::cadence::Cadence::default()
            }),
            ..ChannelInput::default()
        },
    )
    .await
    .map_err(err)?;
    let story = chorus_app::submissions::create(
        app,
        &elena,
        draft(
            "blog_post",
            "A day with the trail crew",
            "We spent a day with the crew who rebuilt the **north ridge boardwalk**.\n\n\
             Forty planks, three storms and one very patient mule later, the trail is open again.",
        ),
    )
    .await
    .map_err(err)?;
    submit(&elena, story.submission.id).await.map_err(err)?;
    decide(&priya, story.submission.id, Decision::Approve, "").await.map_err(err)?;
    decide(&sam, story.submission.id, Decision::Approve, "Lovely").await.map_err(err)?;
    // Due at once: the worker publishes it to the blog as the server starts.
    let post = |submission, channel| PostInput {
        submission_id: submission,
        channel_id: channel,
        text: None,
        media_ids: None,
        scheduled_at: None,
    };
    publishing::create_post(app, &sam, post(story.submission.id, blog.id)).await.map_err(err)?;
    // The next free slot on the team chat's template.
    publishing::create_post(app, &sam, post(award, chat.id)).await.map_err(err)?;

    // Sent back for changes, and one declined.
    let s = chorus_app::submissions::create(
        app,
        &jonas,
        draft("idea", "Customer spotlight: Alpine Club", "The Alpine Club re-equipped with our tents."),
    )
    .await
    .map_err(err)?;
    submit(&jonas, s.submission.id).await.map_err(err)?;
    decide(
        &sam,
        s.submission.id,
        Decision::RequestChanges,
        "Lovely! Can you ask them for a photo we may use?",
    )
    .await
    .map_err(err)?;
    let s = chorus_app::submissions::create(
        app,
        &robert,
        draft("article", "Our Q3 numbers", "Record quarter for the sales team."),
    )
    .await
    .map_err(err)?;
    chorus_app::submissions::update(
        app,
        &robert,
        s.submission.id,
        None,
        Input { link: Some("https://intranet.example.com/q3".into()), ..Input::default() },
    )
    .await
    .map_err(err)?;
    submit(&robert, s.submission.id).await.map_err(err)?;
    decide(
        &sam,
        s.submission.id,
        Decision::Reject,
        "Financial results go out through Investor Relations only.",
    )
    .await
    .map_err(err)?;

    // The idea board, with votes and a mention.
    let idea = chorus_app::submissions::create(
        app,
        &marcus,
        draft(
            "idea",
            "Volunteer trail clean-up day",
            "Invite customers to a clean-up day on the north ridge.",
        ),
    )
    .await
    .map_err(err)?;
    submit(&marcus, idea.submission.id).await.map_err(err)?;
    for voter in [&tom, &elena, &aisha, &jonas] {
        chorus_app::submissions::vote(app, voter, idea.submission.id).await.map_err(err)?;
    }
    chorus_app::submissions::comment(app, &aisha, idea.submission.id, "Love it. @sam could we film it?")
        .await
        .map_err(err)?;
    let idea2 = chorus_app::submissions::create(
        app,
        &elena,
        draft("idea", "A day with a ranger", "Follow one ranger for a day, in photos."),
    )
    .await
    .map_err(err)?;
    submit(&elena, idea2.submission.id).await.map_err(err)?;
    chorus_app::submissions::vote(app, &marcus, idea2.submission.id).await.map_err(err)?;

    // And a draft that is still being written.
    chorus_app::submissions::create(
        app,
        &elena,
        draft("blog_post", "Notes from the trail-sensor pilot", "Draft: what we learned from 40 sensors…"),
    )
    .await
    .map_err(err)?;
    Ok(Seeded { award, campaign: campaign.id })
}

/// A small deterministic generator (SplitMix64), so the demo's numbers are the same on every run
/// (only the dates move with today).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// In `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Who shared what, where, how many days ago, how many people clicked on the first day (fewer
/// each day after), and the caption they wrote (`None`: the suggested one).
type DemoShare = (&'static str, Item, &'static str, i64, f64, Option<&'static str>);

const SHARES: &[DemoShare] = &[
    (
        "aisha",
        Item::Award,
        "linkedin",
        27,
        14.0,
        Some("So proud of this team! (I work at Northwind Outdoor)"),
    ),
    ("aisha", Item::Award, "x", 27, 6.0, None),
    ("robert", Item::Award, "linkedin", 26, 22.0, None),
    ("grace", Item::Award, "linkedin", 24, 9.0, None),
    ("jonas", Item::Tent, "linkedin", 21, 12.0, None),
    ("jonas", Item::Tent, "x", 20, 5.0, None),
    (
        "robert",
        Item::Tent,
        "linkedin",
        19,
        18.0,
        Some("Three storms, one tent. (I work at Northwind Outdoor)"),
    ),
    ("marcus", Item::Guide, "facebook", 16, 8.0, None),
    ("tom", Item::Guide, "linkedin", 15, 10.0, None),
    ("elena", Item::Guide, "mastodon", 14, 7.0, None),
    ("priya", Item::Hiring, "linkedin", 12, 11.0, None),
    (
        "grace",
        Item::Hiring,
        "linkedin",
        11,
        16.0,
        Some("Know someone who'd love a summer outdoors? (I work at Northwind Outdoor)"),
    ),
    ("elena", Item::Hiring, "bluesky", 9, 5.0, None),
    ("marcus", Item::Hiring, "x", 7, 4.0, None),
    ("aisha", Item::Guide, "linkedin", 5, 9.0, None),
    ("sam", Item::Guide, "x", 3, 6.0, None),
    ("jonas", Item::Award, "facebook", 2, 5.0, None),
    ("robert", Item::Guide, "linkedin", 1, 12.0, None),
    ("elena", Item::Tent, "linkedin", 0, 6.0, None),
];

#[derive(Clone, Copy)]
enum Item {
    Award,
    Guide,
    Hiring,
    Tent,
}

/// The amplification part: three more approved items with links (besides the award article),
/// shared over the last four weeks by people of five departments on every network, with clicks
/// that fade day by day after each share, link-preview robots counted apart, and the roll-ups
/// current, so the share hub, "My shares" and the analytics dashboard have something to show.
async fn amplification(app: &App, org: OrgId, seeded: Seeded) -> anyhow::Result<()> {
    use chorus_app::amplify::{ShareInput, create_share};
    use chorus_store::shares::{NewClick, VisitorHash};
    use time::Duration;
    let started = std::time::Instant::now();
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let sam = person(app, org, "sam@northwind.example").await?;
    let tom = person(app, org, "tom@northwind.example").await?;
    let marcus = person(app, org, "marcus@northwind.example").await?;
    let grace = person(app, org, "grace@northwind.example").await?;
    let jonas = person(app, org, "jonas@northwind.example").await?;

    // Written, submitted and approved by every reviewer in turn.
    let approved =
        async |author: &Caller, reviewers: &[&Caller], input: Input| -> anyhow::Result<SubmissionId> {
            let s = chorus_app::submissions::create(app, author, input).await.map_err(err)?;
            let id = s.submission.id;
            chorus_app::submissions::step(app, author, id, Step::Submit, "", None).await.map_err(err)?;
            for r in reviewers {
                chorus_app::submissions::step(app, r, id, Step::Decide(Decision::Approve), "", None)
                    .await
                    .map_err(err)?;
            }
            Ok(id)
        };
    let article = |title: &str, body: &str, link: &str, tag: &str| Input {
        kind: Some("article".into()),
        title: Some(title.into()),
        body: Some(body.into()),
        link: Some(link.into()),
        tags: Some(vec![tag.into()]),
        channels: Some(vec!["linkedin".into()]),
        ..Input::default()
    };
    let mut guide = article(
        "Ten spring routes our rangers love",
        "Our rangers picked their favourite routes for the first warm weekends, from an easy lakeside \
         loop to the north ridge at sunrise. #trails",
        "https://www.northwind.example/guides/spring-routes",
        "trails",
    );
    guide.campaign_id = Some(Some(seeded.campaign));
    let guide = approved(&marcus, &[&tom, &sam], guide).await?;
    let hiring = approved(
        &grace,
        &[&sam],
        article(
            "We're hiring summer rangers",
            "Spend the summer outdoors with us: we're hiring twelve seasonal rangers for the north ridge \
             and the lake district. Training, gear and a tent included.",
            "https://careers.northwind.example/summer-rangers",
            "careers",
        ),
    )
    .await?;
    let tent = approved(
        &jonas,
        &[&sam],
        article(
            "Outdoor Weekly tested the Ridgeline 2 tent",
            "Outdoor Weekly took the Ridgeline 2 through three storms in the Highlands. Their verdict: \
             the one to beat.",
            "https://outdoorweekly.example/reviews/ridgeline-2",
            "product",
        ),
    )
    .await?;

    let now = app.now();
    let today = now.replace_time(time::Time::MIDNIGHT);
    let mut rng = Rng(0x4e6f_7274_6877_696e); // "Northwin"
    let mut clicks: Vec<NewClick> = Vec::new();
    // People click on the way to work, at lunch and in the evening (UTC).
    const HOURS: [i64; 5] = [7, 12, 17, 19, 21];
    const DEVICES: [&str; 20] = [
        "mobile", "mobile", "mobile", "mobile", "mobile", "mobile", "mobile", "mobile", "mobile", "mobile",
        "mobile", "mobile", "desktop", "desktop", "desktop", "desktop", "desktop", "desktop", "tablet",
        "other",
    ];
    for &(who, item, network, days_ago, first_day, caption) in SHARES {
        let caller = person(app, org, &format!("{who}@northwind.example")).await?;
        let submission_id = match item {
            Item::Award => seeded.award,
            Item::Guide => guide,
            Item::Hiring => hiring,
            Item::Tent => tent,
        };
        // Shared in working hours that day (a few hours ago, for today's); the share is made with
        // the clock at that moment, so its date and the daily share guard are those of that day.
        let day = today - Duration::days(days_ago);
        let at = (day + Duration::minutes(9 * 60 + rng.below(8 * 60) as i64)).min(now - Duration::hours(2));
        let then = App { clock: std::sync::Arc::new(chorus_domain::FakeClock::new(at)), ..app.clone() };
        let share = create_share(
            &then,
            &caller,
            ShareInput {
                submission_id,
                network: network.into(),
                caption: caption.map(Into::into),
                mastodon_instance: (network == "mastodon").then(|| "https://mastodon.social".into()),
            },
        )
        .await
        .map_err(err)?
        .share;
        let click = |at,
                     device: &'static str,
                     bot: Option<&'static str>,
                     referrer: Option<&str>,
                     visitor: Option<VisitorHash>| NewClick {
            org_id: org,
            share_id: share.id,
            at,
            network: network.into(),
            referrer_host: referrer.map(Into::into),
            device,
            bot,
            visitor,
        };
        // The network fetches the link's preview card as the post goes out (every Mastodon
        // server the post reaches fetches its own).
        let (preview_bot, fetches, referrers): (&str, u64, &[&str]) = match network {
            "linkedin" => ("LinkedInBot", 1 + rng.below(2), &["www.linkedin.com", "lnkd.in"]),
            "x" => ("Twitterbot", 1 + rng.below(2), &["t.co"]),
            "facebook" => ("facebookexternalhit", 2, &["l.facebook.com", "lm.facebook.com"]),
            "mastodon" => ("Mastodon", 3 + rng.below(5), &["mastodon.social", "fosstodon.org"]),
            _ => ("Bluesky cardyb", 1, &["bsky.app"]),
        };
        for _ in 0..fetches {
            let fetched = at + Duration::seconds(2 + rng.below(90) as i64);
            clicks.push(click(fetched, preview_bot, Some(preview_bot), None, None));
        }
        // Then people, fewer every day.
        for k in 0..=days_ago {
            let expected = first_day * 0.55_f64.powi(k as i32);
            let n = (expected + rng.unit()).floor() as u64;
            let mut visitor = None;
            for _ in 0..n {
                let hour = *rng.pick(&HOURS);
                let mut when =
                    day + Duration::days(k) + Duration::seconds(hour * 3600 + rng.below(3600) as i64);
                if when < at {
                    when = at + Duration::seconds(60 + rng.below(50 * 60) as i64);
                }
                if when >= now {
                    continue;
                }
                // Now and then the same person comes back the same day (counted once).
                if visitor.is_none() || rng.unit() > 0.12 {
                    let (a, b) = (rng.next(), rng.next());
                    visitor =
                        Some(VisitorHash::from_bytes((u128::from(a) << 64 | u128::from(b)).to_be_bytes()));
                }
                let referrer = if rng.unit() < 0.35 { None } else { Some(*rng.pick(referrers)) };
                let device = *rng.pick(&DEVICES);
                clicks.push(click(when, device, None, referrer, visitor));
                // Someone passes it on in a chat, whose preview robot fetches it too.
                if rng.unit() < 0.08 {
                    let bot = *rng.pick(&["Slackbot", "WhatsApp", "Googlebot"]);
                    clicks.push(click(when + Duration::seconds(30), bot, Some(bot), None, None));
                }
            }
        }
    }
    clicks.retain(|c| c.at < now);
    clicks.sort_by_key(|c| c.at);
    let mut tx = app.store.tx().await?;
    chorus_store::shares::insert_clicks(&mut tx, &clicks).await?;
    tx.commit().await?;
    let rolled = chorus_app::analytics::maintain(app).await.map_err(err)?;
    tracing::info!(
        shares = SHARES.len(),
        clicks = clicks.len(),
        hours = rolled.hours_rolled,
        ms = started.elapsed().as_millis(),
        "--demo: shares and clicks seeded"
    );
    Ok(())
}

/// Enablement: two rounds of the knowledge survey (the first closed, with its gaps; the second
/// open, waiting for Marcus among others), the social media policy, and reverse mentoring.
async fn enablement(app: &App, org: OrgId) -> anyhow::Result<()> {
    use chorus_app::{mentoring, policies, surveys};
    use chorus_domain::survey::{QuestionKind, RawAnswer};
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let grace = person(app, org, "grace@northwind.example").await?;
    let everyone = ["olivia", "sam", "priya", "tom", "grace", "marcus", "elena", "jonas", "aisha", "robert"];
    // How person `i` answers: most miss the X question, which makes "X basics" the gap.
    let answers = |questions: &[surveys::StoredQuestion], i: usize| -> Vec<(uuid::Uuid, RawAnswer)> {
        surveys::asked(questions)
            .iter()
            .map(|q| {
                (
                    q.id.0,
                    match q.spec.kind {
                        QuestionKind::Text => RawAnswer {
                            option: None,
                            text: i
                                .is_multiple_of(3)
                                .then(|| "Short examples of good posts from colleagues".to_owned()),
                        },
                        QuestionKind::Likert => RawAnswer { option: Some((i % 5) as i64), text: None },
                        QuestionKind::YesNo => RawAnswer {
                            option: Some((i % 2) as i64),
                            text: (i % 2 == 1)
                                .then(|| "I did not know we had pages on every network".to_owned()),
                        },
                        QuestionKind::Choice => {
                            let right = i64::from(q.spec.correct.unwrap_or(0));
                            let x = q.spec.topics.iter().any(|t| t == "X basics");
                            let wrong = if x { !i.is_multiple_of(4) } else { i.is_multiple_of(5) };
                            RawAnswer {
                                option: Some(if wrong {
                                    (right + 1) % q.spec.options.len() as i64
                                } else {
                                    right
                                }),
                                text: None,
                            }
                        }
                    },
                )
            })
            .collect()
    };
    let round = |title: &str, previous: Option<chorus_domain::SurveyId>| surveys::SurveyInput {
        title: title.into(),
        intro: "Five minutes, anonymous: what we know about social media, and what would help.".into(),
        template: previous.is_none(),
        previous_id: previous,
        ..Default::default()
    };
    let first =
        surveys::create(app, &grace, round("Social media basics — spring round", None)).await.map_err(err)?;
    surveys::open(app, &grace, first.id).await.map_err(err)?;
    let (_, questions) = surveys::get(app, &grace, first.id).await.map_err(err)?;
    for (i, who) in everyone.iter().enumerate() {
        let caller = person(app, org, &format!("{who}@northwind.example")).await?;
        surveys::respond(app, &caller, first.id, answers(&questions, i)).await.map_err(err)?;
    }
    surveys::close(app, &grace, first.id).await.map_err(err)?;
    let second = surveys::create(app, &grace, round("Social media basics — autumn round", Some(first.id)))
        .await
        .map_err(err)?;
    surveys::open(app, &grace, second.id).await.map_err(err)?;
    let (_, questions) = surveys::get(app, &grace, second.id).await.map_err(err)?;
    // Marcus, Olivia and Robert have not answered yet: the survey waits for them.
    for (i, who) in everyone.iter().enumerate().filter(|(_, w)| !["marcus", "olivia", "robert"].contains(w)) {
        let caller = person(app, org, &format!("{who}@northwind.example")).await?;
        // Fewer misses on X this time: the spring training worked.
        surveys::respond(app, &caller, second.id, answers(&questions, i * 2)).await.map_err(err)?;
    }

    let starter = chorus_domain::social_policy::starter();
    let policy = policies::publish(
        app,
        &grace,
        policies::PolicyInput {
            title: starter.title,
            body: starter.body,
            donts: starter.donts,
            summary: String::new(),
        },
    )
    .await
    .map_err(err)?;
    for who in everyone.iter().filter(|w| !["marcus", "jonas"].contains(w)) {
        let caller = person(app, org, &format!("{who}@northwind.example")).await?;
        policies::acknowledge(app, &caller, policy.id).await.map_err(err)?;
    }

    // Reverse mentoring: Olivia (the CEO) learns from Aisha; Robert waits for his match.
    let sign_up =
        async |who: &str, role: &str, skill: i64, capacity: i64, goals: &str| -> anyhow::Result<()> {
            let caller = person(app, org, &format!("{who}@northwind.example")).await?;
            let input = mentoring::OptIn {
                role: role.into(),
                skill: Some(skill),
                quiz: None,
                capacity: Some(capacity),
                goals: goals.into(),
            };
            mentoring::opt_in(app, &caller, input).await.map_err(err)?;
            Ok(())
        };
    sign_up("olivia", "mentee", 1, 1, "Post on LinkedIn without a ghostwriter").await?;
    sign_up("robert", "mentee", 2, 1, "Find customers' conversations on Reddit").await?;
    sign_up("aisha", "mentor", 5, 1, "LinkedIn, Instagram, short video").await?;
    sign_up("marcus", "mentor", 4, 2, "Photos from the field, Bluesky").await?;
    let olivia = person(app, org, "olivia@northwind.example").await?;
    let aisha = person(app, org, "aisha@northwind.example").await?;
    let (Some(o), Some(a)) = (olivia.actor.user_id, aisha.actor.user_id) else {
        anyhow::bail!("demo people have ids")
    };
    let ids = mentoring::confirm(app, &olivia, &[(o, a)]).await.map_err(err)?;
    let today = app.now().date().to_string();
    mentoring::log_session(
        app,
        &aisha,
        ids[0],
        &today,
        45,
        "Rewrote Olivia's LinkedIn headline; first post drafted",
    )
    .await
    .map_err(err)?;
    mentoring::give_feedback(app, &olivia, ids[0], 5, "I finally understand what a good hook is")
        .await
        .map_err(err)?;
    Ok(())
}

/// Recognition: thanks on people's walls (with reactions), a rewards catalog with a request
/// waiting for an admin, and one person who prefers not to be on leaderboards. Points were
/// already paid by everything seeded before (submissions, approvals, shares, the policy).
async fn recognition(app: &App, org: OrgId) -> anyhow::Result<()> {
    use chorus_app::recognition::{self as rec, RewardInput, ShoutoutInput};
    use chorus_domain::pagination::Limit;
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let sam = person(app, org, "sam@northwind.example").await?;
    let tom = person(app, org, "tom@northwind.example").await?;
    let grace = person(app, org, "grace@northwind.example").await?;
    let olivia = person(app, org, "olivia@northwind.example").await?;
    let marcus = person(app, org, "marcus@northwind.example").await?;
    let aisha = person(app, org, "aisha@northwind.example").await?;
    let robert = person(app, org, "robert@northwind.example").await?;
    let thanks = [
        (&sam, &marcus, "Your trail-crew photos made our best LinkedIn post this month. Thank you!"),
        (&tom, &marcus, "Nice job on the storm clean-up report: clear, quick and with great pictures."),
        (&grace, &aisha, "Thank you for mentoring Olivia on social media: she posted her first thread!"),
        (&olivia, &sam, "Thanks for turning everyone's stories into a calendar we are proud of."),
        (&marcus, &tom, "Thanks for reviewing my submissions so quickly."),
    ];
    let mut first = None;
    for (from, to, message) in thanks {
        let input =
            ShoutoutInput { to: to.actor.user_id, message: message.into(), ..ShoutoutInput::default() };
        let v = rec::post_shoutout(app, from, input).await.map_err(err)?;
        first.get_or_insert(v.shoutout.id);
    }
    if let Some(id) = first {
        for (who, reaction) in [(&olivia, "clap"), (&grace, "party"), (&tom, "clap"), (&aisha, "heart")] {
            rec::react(app, who, id, reaction, true).await.map_err(err)?;
        }
    }
    let catalog = [
        ("Northwind hoodie", "The team hoodie, in your size.", 40, Some(25)),
        ("Lunch with the CEO", "An hour with Olivia to talk about anything.", 120, None),
        ("Extra day off", "One more day of holiday this year.", 400, None),
        (
            "Donation to a trail charity",
            "We give €50 to a trail-maintenance charity of your choice.",
            80,
            None,
        ),
    ];
    let mut hoodie = None;
    for (name, description, cost, stock) in catalog {
        let input =
            RewardInput { name: name.into(), description: description.into(), cost, stock, active: true };
        let r = rec::create_reward(app, &grace, input).await.map_err(err)?;
        hoodie.get_or_insert(r.id);
    }
    // Marcus asks for a hoodie if his points cover it (they do with the demo's content).
    let balance = rec::points(app, &marcus, None, None, Limit::new(Some(1))).await.map_err(err)?.balance;
    if let Some(hoodie) = hoodie
        && balance >= 40
    {
        rec::redeem(app, &marcus, hoodie).await.map_err(err)?;
    }
    rec::set_opt_out(app, &robert, true).await.map_err(err)?;
    Ok(())
}

/// Two feeds with articles already in the curation inbox. The demo has no internet, so the feeds
/// are seeded paused (as if read a little while ago): nothing polls in a loop, and resuming one
/// shows what a failing feed looks like.
async fn curation(app: &App, org: OrgId) -> anyhow::Result<()> {
    use chorus_domain::{FeedId, curation::FeedStatus};
    use chorus_store::feeds::{self, Feed, NewItem, PollRecord, Source};
    type Article = (usize, &'static str, &'static str, &'static str, Option<&'static str>, i64);
    let now = app.now();
    let read_at = now - time::Duration::minutes(20);
    let mut tx = app.store.tx().await?;
    let engineering =
        chorus_store::departments::get_by_name(&mut tx, org, "engineering").await?.map(|d| d.id);
    let sam = chorus_store::users::get_by_email(&mut tx, org, "sam@northwind.example").await?.map(|u| u.id);
    let subscriptions = [
        (engineering, "https://trailtech.example/feed.xml", "Trail Tech Weekly"),
        (None, "https://outdoor-industry.example/news/rss", "Outdoor Industry News"),
    ];
    let mut sources = Vec::new();
    for (department_id, url, title) in subscriptions {
        let feed = Feed {
            id: FeedId::new(),
            department_id,
            department_name: None,
            url: url.to_owned(),
            title: String::new(),
            feed_title: None,
            status: FeedStatus::Paused,
            interval_minutes: 60,
            etag: None,
            last_modified: None,
            last_polled_at: None,
            last_success_at: None,
            last_error: None,
            failures: 0,
            next_poll_at: now,
            queued_at: None,
            items_found: 0,
            created_by: sam,
            created_at: now - time::Duration::days(14),
            updated_at: now,
        };
        feeds::insert_feed(&mut tx, org, &feed).await?;
        sources.push((feed.id, department_id, title));
    }
    // (feed, link, title, summary, author, days ago)
    let articles: [Article; 6] = [
        (
            0,
            "https://trailtech.example/2026/gps-collars-for-trail-crews?utm_source=rss",
            "GPS collars for trail crews: what a season of data showed",
            "Three national parks put trackers on maintenance crews. The routes they walked rewrote the repair schedule.",
            Some("Mina Okoro"),
            2,
        ),
        (
            0,
            "https://trailtech.example/2026/solar-trail-counters",
            "Solar trail counters that survive the winter",
            "A field test of six counters at 2,000 metres: which ones still counted hikers in February.",
            None,
            5,
        ),
        (
            0,
            "https://trailtech.example/2026/open-data-for-hut-bookings/",
            "Open data for hut bookings",
            "Why two alpine clubs published their booking data, and what developers built with it in a month.",
            Some("Jan Vogel"),
            8,
        ),
        (
            1,
            "https://outdoor-industry.example/news/employee-advocacy-outdoor-brands",
            "Outdoor brands bet on their own people on social media",
            "Rangers, guides and shop staff post more than the brand accounts do — and their posts travel further.",
            None,
            1,
        ),
        (
            1,
            "https://outdoor-industry.example/news/repair-not-replace",
            "Repair, not replace: the new retail pitch",
            "Repair counters are the busiest corner of the shop this autumn.",
            None,
            3,
        ),
        // The GPS story again, through the other feed with other tracking parameters: one item.
        (
            1,
            "https://TRAILTECH.example/2026/gps-collars-for-trail-crews/?fbclid=IwAR3demo#top",
            "GPS collars for trail crews",
            "Syndicated from Trail Tech Weekly.",
            None,
            2,
        ),
    ];
    let mut found = [0_i64; 2];
    for (feed, url, title, summary, author, days) in articles {
        let canonical = chorus_domain::curation::canonical_url(url).context("demo article URL")?;
        let (feed_id, department_id, source_title) = sources[feed];
        let item = NewItem {
            canonical_url: canonical,
            url: url.to_owned(),
            title: title.to_owned(),
            summary: summary.to_owned(),
            author: author.map(str::to_owned),
            published_at: Some(now - time::Duration::days(days)),
        };
        let source = Source { feed_id, department_id, title: source_title };
        if feeds::file_item(&mut tx, org, source, &item, read_at).await? {
            found[feed] += 1;
        }
    }
    for (i, (feed_id, _, title)) in sources.iter().enumerate() {
        let record = PollRecord {
            polled_at: read_at,
            error: None,
            failures: 0,
            etag: None,
            last_modified: None,
            feed_title: Some((*title).to_owned()),
            next_poll_at: now + time::Duration::minutes(40),
            new_items: found[i],
            pause: false,
        };
        feeds::record_poll(&mut tx, org, *feed_id, &record).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A weekly social session with attendance and a one-off clinic, the company's own accounts,
/// follow lists for two departments, and a Slack integration that is paused (its URL leads
/// nowhere, so it must not fill the queue with retries).
async fn communication(app: &App, org: OrgId) -> anyhow::Result<()> {
    use chorus_app::{chat, events, social};
    use chorus_domain::events::EventInput;
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let sam = person(app, org, "sam@northwind.example").await?;
    let today = app.now().date();
    // Thursdays, as the chat has been for a few weeks already (its past dates have attendance).
    let mut first = today - time::Duration::days(21);
    while first.weekday() != time::Weekday::Thursday {
        first -= time::Duration::days(1);
    }
    let weekly = events::create(
        app,
        &sam,
        EventInput {
            title: "Weekly #OutdoorTrails chat".into(),
            description:
                "One hour on the #OutdoorTrails hashtag: answer questions, share the week's best trail \
                          photos, and cheer on each other's posts. Bring your phone."
                    .into(),
            place: "https://meet.northwind.example/trails".into(),
            hashtag: "#OutdoorTrails".into(),
            start_date: first.to_string(),
            start_time: "17:00".into(),
            duration_minutes: 60,
            time_zone: "Europe/Berlin".into(),
            repeat: "weekly".into(),
            interval: Some(1),
            until: None,
            count: None,
        },
    )
    .await
    .map_err(err)?;
    let regulars = [
        ("marcus@northwind.example", 4),
        ("aisha@northwind.example", 4),
        ("tom@northwind.example", 3),
        ("elena@northwind.example", 2),
        ("jonas@northwind.example", 1),
    ];
    for (email, weeks) in regulars {
        let who = person(app, org, email).await?;
        for week in 0..weeks {
            let date = first + time::Duration::weeks(week);
            events::attend(app, &who, weekly.id, &date.to_string(), true).await.map_err(err)?;
        }
    }
    events::create(
        app,
        &sam,
        EventInput {
            title: "LinkedIn profile clinic".into(),
            description: "Bring your laptop: we polish headlines, photos and About sections together.".into(),
            place: "Basecamp, 2nd floor".into(),
            start_date: (today + time::Duration::days(10)).to_string(),
            start_time: "12:30".into(),
            duration_minutes: 45,
            time_zone: "Europe/Berlin".into(),
            repeat: "once".into(),
            ..EventInput::default()
        },
    )
    .await
    .map_err(err)?;

    let accounts = [
        ("linkedin", "Northwind Outdoor", "https://www.linkedin.com/company/northwind-outdoor"),
        ("x", "@NorthwindOutdoor", "https://x.com/NorthwindOutdoor"),
        ("mastodon", "@northwind@mastodon.social", "https://mastodon.social/@northwind"),
        ("bluesky", "@northwind.bsky.social", "https://bsky.app/profile/northwind.bsky.social"),
        ("instagram", "@northwind.outdoor", "https://www.instagram.com/northwind.outdoor/"),
        ("youtube", "Northwind Outdoor", "https://www.youtube.com/@NorthwindOutdoor"),
    ];
    for (network, handle, url) in accounts {
        let input = social::AccountInput { network: network.into(), handle: handle.into(), url: url.into() };
        social::add_account(app, &sam, input).await.map_err(err)?;
    }

    let lists = social::follow_lists(app, &sam).await.map_err(err)?;
    let department = |name: &str| lists.iter().find(|l| l.department_name == name).map(|l| l.department_id);
    let entries = [
        (
            "priya@northwind.example",
            "Engineering",
            "The Pragmatic Engineer",
            "https://newsletter.pragmaticengineer.com/",
            "newsletter",
            "How good engineering teams work; great for sharing.",
        ),
        (
            "priya@northwind.example",
            "Engineering",
            "Rust Blog",
            "https://blog.rust-lang.org/",
            "blog",
            "Release notes worth a post when we upgrade.",
        ),
        (
            "tom@northwind.example",
            "Field Operations",
            "Trail Runner Magazine",
            "https://www.trailrunnermag.com/",
            "blog",
            "Route features our rangers like to comment on.",
        ),
        (
            "tom@northwind.example",
            "Field Operations",
            "The Outdoor Podcast",
            "https://outdoorpodcast.example/",
            "podcast",
            "Weekly interviews; episode 112 features our Lakeside crew.",
        ),
    ];
    for (lead, dept, name, url, kind, note) in entries {
        let who = person(app, org, lead).await?;
        let d = department(dept).with_context(|| format!("demo department {dept}"))?;
        let input =
            social::EntryInput { name: name.into(), url: url.into(), kind: kind.into(), note: note.into() };
        social::add_entry(app, &who, d, input).await.map_err(err)?;
    }

    let grace = person(app, org, "grace@northwind.example").await?;
    chat::create(
        app,
        &grace,
        chat::IntegrationInput {
            kind: "slack".into(),
            name: "Slack #social-wins (demo, paused)".into(),
            url: "https://hooks.slack.com/services/T000DEMO/B000DEMO/not-a-real-webhook".into(),
            events: vec!["review_queue".into(), "shoutouts".into()],
            status: Some("paused".into()),
        },
    )
    .await
    .map_err(err)?;
    Ok(())
}

/// A pinned company-wide announcement from the owner, a department one from its lead (some
/// people have read them), and a few e-mail preferences changed.
async fn announcements(app: &App, org: OrgId) -> anyhow::Result<()> {
    use chorus_app::announcements::{self, Draft};
    let err = |e: chorus_app::Error| anyhow::anyhow!("{e}");
    let olivia = person(app, org, "olivia@northwind.example").await?;
    let tom = person(app, org, "tom@northwind.example").await?;
    let (pinned, _) = announcements::publish(
        app,
        &olivia,
        &Draft {
            title: "Share our spring trail campaign this week".into(),
            body: "Our **spring trail campaign** is live. Find the approved posts in the [share hub](/share) \
                   and share the ones you like with your own words.\n\n\
                   - Tag the photos with the trail's name\n- Never share a colleague's face without asking\n\n\
                   Thank you for being our best ambassadors!"
                .into(),
            department_id: None,
            pinned: true,
        },
    )
    .await
    .map_err(err)?;
    let field = tom.actor.leads.first().copied();
    let (dept, _) = announcements::publish(
        app,
        &tom,
        &Draft {
            title: "Photo walk on Saturday".into(),
            body: "Field Operations: bring a phone and meet at the north gate at 9:00. The best shots go to the \
                   social team on Monday."
                .into(),
            department_id: field,
            pinned: false,
        },
    )
    .await
    .map_err(err)?;
    for who in ["sam", "grace", "marcus", "aisha"] {
        let caller = person(app, org, &format!("{who}@northwind.example")).await?;
        announcements::mark_read(app, &caller, pinned.id).await.map_err(err)?;
    }
    let marcus = person(app, org, "marcus@northwind.example").await?;
    announcements::mark_read(app, &marcus, dept.id).await.map_err(err)?;
    let elena = person(app, org, "elena@northwind.example").await?;
    chorus_app::notify::set_preferences(
        app,
        &elena,
        &[("comment".into(), "weekly".into()), ("announcement".into(), "daily".into())],
    )
    .await
    .map_err(err)?;
    Ok(())
}
