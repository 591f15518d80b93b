//! First run: on an empty database the server prints a one-time link that lets the first person
//! create the organization and its owner account in the browser.

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    me::Caller,
    orgs, security,
    sessions::{self, SignedIn},
};
use chorus_domain::{Email, NewPassword, OrgName, PersonName, Role, UserId, UserStatus};
use chorus_store::{admin, users};

/// How long a printed set-up link stays valid.
const SETUP_TTL: time::Duration = time::Duration::days(1);

/// On an empty database: a fresh set-up link to print. `None` once an organization exists.
pub async fn link_if_needed(app: &App) -> Result<Option<String>> {
    let mut db = app.store.conn().await?;
    if admin::count_orgs(&mut db).await? > 0 {
        return Ok(None);
    }
    let token = security::random_token();
    let now = app.now();
    admin::insert_setup_token(&mut db, &security::sha256_hex(&token), now, now + SETUP_TTL).await?;
    Ok(Some(app.url(&format!("/setup?token={token}"))))
}

/// Whether a set-up link may still be used.
pub async fn check(app: &App, token: &str) -> Result<()> {
    let mut db = app.store.conn().await?;
    if admin::count_orgs(&mut db).await? > 0 {
        return Err(Error::Gone("Chorus is already set up. Sign in instead."));
    }
    if !admin::setup_token_valid(&mut db, &security::sha256_hex(token), app.now()).await? {
        return Err(Error::Gone(
            "This set-up link is not valid or has expired. Restart the server for a new one.",
        ));
    }
    Ok(())
}

/// What the set-up form asks for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SetupInput {
    pub organization: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Creates the organization and its owner, uses up every set-up link, and signs the owner in.
pub async fn complete(
    app: &App,
    token: &str,
    input: &SetupInput,
    client_addr: Option<String>,
) -> Result<SignedIn> {
    check(app, token).await?;
    let mut problems = Problems::default();
    let org_name = problems.check(OrgName::parse(&input.organization));
    let name = problems.check(PersonName::parse(&input.name));
    let email = problems.check(Email::parse(&input.email));
    let password = problems.check(NewPassword::parse(&input.password));
    problems.finish()?;
    let (Some(org_name), Some(name), Some(email), Some(password)) = (org_name, name, email, password) else {
        return Err(Error::Internal(anyhow::anyhow!("parsed values missing after a clean parse")));
    };
    let hash = security::hash_password(password.expose(), app.config.fast_password_hashing).await?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    // Checked again inside the transaction: two people racing with two links get one organization.
    if admin::count_orgs(&mut tx).await? > 0 {
        return Err(Error::Gone("Chorus is already set up. Sign in instead."));
    }
    let org = orgs::insert(&mut tx, &org_name, now).await?;
    let user_id = UserId::new();
    users::insert(
        &mut tx,
        &users::NewUser {
            id: user_id,
            org_id: org.id,
            email: email.as_str(),
            name: name.as_str(),
            title: None,
            seniority: None,
            role: Role::Owner,
            department_id: None,
            status: UserStatus::Active,
            password_hash: Some(&hash),
            now,
        },
    )
    .await?;
    admin::clear_setup_tokens(&mut tx).await?;
    let mut who = Caller::operator(org.id);
    who.actor.user_id = Some(user_id); // the new owner
    who.label = name.as_str().to_owned();
    who.client_addr = client_addr.clone();
    audit::record(&mut tx, org.id, &who, now, Entry::new("org.created").target("org", org.id)).await?;
    tx.commit().await?;
    sessions::start(app, org.id, user_id, &name, client_addr).await
}
