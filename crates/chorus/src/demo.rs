//! `chorus serve --demo`: a living example company in an empty database.

use anyhow::Context as _;
use chorus_app::{App, me::Caller, people::CliPerson};
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
    println!(
        "\nDemo company \"Northwind Outdoor\" is ready. Sign in as olivia@northwind.example (owner), \
         sam@northwind.example (social team) or marcus@northwind.example (employee), password: {DEMO_PASSWORD}\n"
    );
    Ok(())
}
