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
    content(app, org.id).await?;
    println!(
        "\nDemo company \"Northwind Outdoor\" is ready. Sign in as olivia@northwind.example (owner), \
         sam@northwind.example (social team) or marcus@northwind.example (employee), password: {DEMO_PASSWORD}\n"
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

/// Submissions in every state of the workflow, an idea board with votes, goals and a campaign.
async fn content(app: &App, org: OrgId) -> anyhow::Result<()> {
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
    Ok(())
}
