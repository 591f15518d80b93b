//! Signing in and out, sessions, passwords, invitations and reset links.

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    mail,
    me::{Caller, Me},
    security,
};
use chorus_domain::{
    Actor, Email, NewPassword, OrgId, PersonName, Role, UserId, UserStatus, throttle::RecentFailures,
};
use chorus_store::{Db, admin, auth, users};

/// A new session: the cookie value to hand to the browser (its hash is what is stored).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub token: String,
    pub org_id: OrgId,
    pub user_id: UserId,
}

/// How long before expiry we bother to slide a session forward (saves a write per request).
const TOUCH_EVERY: time::Duration = time::Duration::minutes(5);

/// Names a person in the audit log before they have a full session (sign-in, reset links).
/// The least-privileged role: this caller is only ever used for recording, never for deciding.
fn caller_for(org: OrgId, user: UserId, label: &str, client_addr: Option<String>) -> Caller {
    Caller {
        actor: Actor {
            org_id: org,
            user_id: Some(user),
            role: Role::Employee,
            department_id: None,
            leads: vec![],
        },
        label: label.to_owned(),
        client_addr,
    }
}

/// Creates a session for a person who just proved who they are, and records the sign-in.
pub(crate) async fn start(
    app: &App,
    org: OrgId,
    user: UserId,
    name: &PersonName,
    client_addr: Option<String>,
) -> Result<SignedIn> {
    let token = security::random_token();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    auth::insert_session(
        &mut tx,
        &security::sha256_hex(&token),
        org,
        user,
        now,
        now + app.config.session_ttl,
    )
    .await?;
    let who = caller_for(org, user, name.as_str(), client_addr);
    audit::record(&mut tx, org, &who, now, Entry::new("user.signed_in").target("user", user)).await?;
    tx.commit().await?;
    Ok(SignedIn { token, org_id: org, user_id: user })
}

/// What the sign-in form asks for.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// Only needed when the e-mail belongs to people in several organizations.
    #[serde(default)]
    pub organization: Option<String>,
}

const WRONG: &str = "wrong e-mail or password";
/// Told only after the right password, so it reveals nothing to someone guessing.
const SSO_ONLY: &str = "your organization signs in with single sign-on: use \"Sign in with SSO\"";

/// Signs in with e-mail and password, subject to throttling per account and per address.
pub async fn sign_in(app: &App, creds: &Credentials, client_addr: Option<String>) -> Result<SignedIn> {
    let email = Email::parse(&creds.email).map_err(|_| Error::Unauthenticated(WRONG))?;
    let now = app.now();
    let throttle = app.config.login_throttle;
    let account_key = security::sha256_hex(&format!("account:{email}"));
    let address_key = client_addr.as_deref().map(|a| security::sha256_hex(&format!("address:{a}")));
    let mut db = app.store.conn().await?;
    let since = now - throttle.window;
    let recent = RecentFailures {
        account: auth::count_failures(&mut db, &account_key, since).await?,
        address: match &address_key {
            Some(k) => auth::count_failures(&mut db, k, since).await?,
            None => 0,
        },
    };
    if let Err(retry_after) = throttle.check(recent) {
        return Err(Error::TooManyRequests { retry_after });
    }

    let org_filter = creds.organization.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let candidates: Vec<_> = admin::credentials_by_email(&mut db, email.as_str())
        .await?
        .into_iter()
        .filter(|c| org_filter.is_none_or(|slug| c.org_slug == slug))
        .collect();
    let mut matches = Vec::new();
    for c in candidates {
        if security::verify_password(&creds.password, &c.password_hash).await? {
            matches.push(c);
        }
    }
    if matches.is_empty() {
        // Same work whether or not the account exists.
        let _ = security::verify_password(&creds.password, security::DUMMY_HASH).await;
        auth::record_failure(&mut db, &account_key, now).await?;
        if let Some(k) = &address_key {
            auth::record_failure(&mut db, k, now).await?;
        }
        return Err(Error::Unauthenticated(WRONG));
    }
    if matches.len() > 1 {
        let slugs: Vec<_> = matches.iter().map(|c| c.org_slug.as_str()).collect();
        return Err(Error::Invalid(vec![chorus_domain::Invalid::new(
            "organization",
            format!("this e-mail belongs to several organizations; enter one of: {}", slugs.join(", ")),
        )]));
    }
    let found = &matches[0];
    if !crate::oidc::password_allowed(&mut db, found.user.org_id, found.user.role).await? {
        return Err(Error::Unauthenticated(SSO_ONLY));
    }
    auth::clear_failures(&mut db, &account_key).await?;
    drop(db);
    let name = PersonName::parse(&found.user.name)?;
    start(app, found.user.org_id, found.user.id, &name, client_addr).await
}

/// Resolves a session cookie to the signed-in person.
pub async fn resolve(app: &App, token: &str, client_addr: Option<String>) -> Result<Option<Me>> {
    let hash = security::sha256_hex(token);
    let now = app.now();
    let found = {
        let mut db = app.store.conn().await?;
        let Some(found) = auth::session_person(&mut db, &hash, now).await? else {
            return Ok(None);
        };
        found
    };
    if now - found.last_seen_at > TOUCH_EVERY {
        // A write: in line with the others on the single SQLite writer (`Store::write`), not
        // on a reader's connection, where it would wait in SQLite's sleeping busy handler.
        let mut db = app.store.write().await?;
        auth::touch_session(&mut db, &hash, now, now + app.config.session_ttl).await?;
    }
    Me::assemble(app, found.user, found.org, client_addr).await.map(Some)
}

/// Ends a session.
pub async fn sign_out(app: &App, me: &Me, token: &str) -> Result<()> {
    let now = app.now();
    let mut tx = app.store.tx().await?;
    auth::delete_session(&mut tx, &security::sha256_hex(token)).await?;
    audit::record(
        &mut tx,
        me.org_id(),
        &me.caller,
        now,
        Entry::new("user.signed_out").target("user", me.id()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes one's own password; every other session of theirs ends.
pub async fn change_password(
    app: &App,
    me: &Me,
    session_token: Option<&str>,
    current: &str,
    new: &str,
) -> Result<()> {
    let new = NewPassword::parse(new)?;
    let stored = {
        let mut db = app.store.conn().await?;
        users::password_hash(&mut db, me.org_id(), me.id()).await?
    };
    let ok = match &stored {
        Some(hash) => security::verify_password(current, hash).await?,
        None => false,
    };
    if !ok {
        return Err(Error::Invalid(vec![chorus_domain::Invalid::new(
            "current_password",
            "is not your current password",
        )]));
    }
    let hash = security::hash_password(new.expose(), app.config.fast_password_hashing).await?;
    let now = app.now();
    let keep = session_token.map(security::sha256_hex);
    let mut tx = app.store.tx().await?;
    users::set_password(&mut tx, me.org_id(), me.id(), &hash, now).await?;
    auth::delete_user_sessions(&mut tx, me.org_id(), me.id(), keep.as_deref()).await?;
    audit::record(
        &mut tx,
        me.org_id(),
        &me.caller,
        now,
        Entry::new("user.password_changed").target("user", me.id()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- password reset -------------------------------------------------------------------------

/// Sends a reset link to every active account with this e-mail. Answers the same whether or
/// not one exists, so the form cannot be used to find out who works here.
pub async fn request_reset(app: &App, email: &str, client_addr: Option<String>) -> Result<()> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let accounts = admin::active_users_by_email(&mut tx, email.as_str()).await?;
    let minutes = app.config.reset_ttl.whole_minutes();
    for (user, _slug) in &accounts {
        // SSO-only organizations send no reset links (but to owners, see `oidc`).
        if !crate::oidc::password_allowed(&mut tx, user.org_id, user.role).await? {
            continue;
        }
        let token = security::random_token();
        auth::insert_reset(
            &mut tx,
            &security::sha256_hex(&token),
            user.org_id,
            user.id,
            now,
            now + app.config.reset_ttl,
        )
        .await?;
        let org = admin::org_by_id(&mut tx, user.org_id).await?.ok_or(Error::NotFound)?;
        let link = app.url(&format!("/reset/{token}"));
        mail::queue(
            &mut tx,
            user.org_id,
            mail::password_reset(&user.email, &user.name, &org.name, &link, minutes),
            now,
        )
        .await?;
        let who = caller_for(user.org_id, user.id, &user.name, client_addr.clone());
        audit::record(
            &mut tx,
            user.org_id,
            &who,
            now,
            Entry::new("user.password_reset_requested").target("user", user.id),
        )
        .await?;
    }
    tx.commit().await?;
    if !accounts.is_empty() {
        app.queue.wake();
    }
    Ok(())
}

/// Checks a reset link before showing the form.
pub async fn check_reset(app: &App, token: &str) -> Result<()> {
    let mut db = app.store.conn().await?;
    let reset = auth::reset(&mut db, &security::sha256_hex(token)).await?;
    usable_reset(app, reset.as_ref()).map(|_| ())
}

fn usable_reset<'a>(app: &App, reset: Option<&'a auth::PasswordReset>) -> Result<&'a auth::PasswordReset> {
    let reset = reset.ok_or(Error::Gone("This reset link is not valid. Ask for a new one."))?;
    if reset.used_at.is_some() {
        return Err(Error::Gone("This reset link was already used. Ask for a new one."));
    }
    if reset.expires_at <= app.now() {
        return Err(Error::Gone("This reset link has expired. Ask for a new one."));
    }
    Ok(reset)
}

/// Sets a new password from a reset link; every session of the person ends.
pub async fn reset_password(app: &App, token: &str, new: &str, client_addr: Option<String>) -> Result<()> {
    let hash_of_token = security::sha256_hex(token);
    let reset = {
        let mut db = app.store.conn().await?;
        auth::reset(&mut db, &hash_of_token).await?
    };
    let reset = usable_reset(app, reset.as_ref())?.clone();
    let new = NewPassword::parse(new)?;
    let hash = security::hash_password(new.expose(), app.config.fast_password_hashing).await?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let user = users::get(&mut tx, reset.org_id, reset.user_id).await?.ok_or(Error::NotFound)?;
    if user.status != UserStatus::Active {
        return Err(Error::Gone("This account is not active. Ask an administrator."));
    }
    if !crate::oidc::password_allowed(&mut tx, user.org_id, user.role).await? {
        return Err(Error::Gone("Your organization signs in with single sign-on; passwords are off."));
    }
    if !auth::use_reset(&mut tx, &hash_of_token, now).await? {
        return Err(Error::Gone("This reset link was already used. Ask for a new one."));
    }
    users::set_password(&mut tx, user.org_id, user.id, &hash, now).await?;
    auth::delete_user_sessions(&mut tx, user.org_id, user.id, None).await?;
    let who = caller_for(user.org_id, user.id, &user.name, client_addr);
    audit::record(&mut tx, user.org_id, &who, now, Entry::new("user.password_reset").target("user", user.id))
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---- invitations ----------------------------------------------------------------------------

/// What the invitation page shows.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub org_name: String,
    pub name: String,
    pub email: String,
}

async fn usable_invitation(
    app: &App,
    db: &mut impl Db,
    token: &str,
) -> Result<(auth::Invitation, users::User)> {
    let inv = auth::invitation(db, &security::sha256_hex(token))
        .await?
        .ok_or(Error::Gone("This invitation link is not valid. Ask for a new one."))?;
    if inv.accepted_at.is_some() {
        return Err(Error::Gone("This invitation was already used. Sign in instead."));
    }
    if inv.expires_at <= app.now() {
        return Err(Error::Gone("This invitation has expired. Ask for a new one."));
    }
    let user = users::get(db, inv.org_id, inv.user_id).await?.ok_or(Error::NotFound)?;
    if user.status == UserStatus::Deactivated {
        return Err(Error::Gone("This account has been deactivated."));
    }
    Ok((inv, user))
}

pub async fn view_invitation(app: &App, token: &str) -> Result<InvitationView> {
    let mut db = app.store.conn().await?;
    let (inv, user) = usable_invitation(app, &mut db, token).await?;
    let org = admin::org_by_id(&mut db, inv.org_id).await?.ok_or(Error::NotFound)?;
    Ok(InvitationView { org_name: org.name, name: user.name, email: user.email })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AcceptInput {
    pub name: String,
    pub password: String,
}

/// Accepts an invitation: the person confirms their name, chooses a password, and is signed in.
pub async fn accept_invitation(
    app: &App,
    token: &str,
    input: &AcceptInput,
    client_addr: Option<String>,
) -> Result<SignedIn> {
    let mut problems = Problems::default();
    let name = problems.check(PersonName::parse(&input.name));
    let password = problems.check(NewPassword::parse(&input.password));
    problems.finish()?;
    let (Some(name), Some(password)) = (name, password) else {
        return Err(Error::Internal(anyhow::anyhow!("parsed values missing after a clean parse")));
    };
    let hash = security::hash_password(password.expose(), app.config.fast_password_hashing).await?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (inv, user) = usable_invitation(app, &mut tx, token).await?;
    if !auth::accept_invitation(&mut tx, inv.id, now).await? {
        return Err(Error::Gone("This invitation was already used. Sign in instead."));
    }
    users::update_profile(
        &mut tx,
        user.org_id,
        user.id,
        name.as_str(),
        user.title.as_deref(),
        user.seniority,
        user.department_id,
        now,
    )
    .await?;
    users::set_password(&mut tx, user.org_id, user.id, &hash, now).await?;
    users::set_status(&mut tx, user.org_id, user.id, UserStatus::Active, now).await?;
    let who = caller_for(user.org_id, user.id, name.as_str(), client_addr.clone());
    audit::record(&mut tx, user.org_id, &who, now, Entry::new("user.joined").target("user", user.id)).await?;
    tx.commit().await?;
    start(app, user.org_id, user.id, &name, client_addr).await
}

/// Housekeeping: expired sessions and old sign-in failures.
pub async fn prune(app: &App) -> Result<()> {
    let now = app.now();
    let mut db = app.store.conn().await?;
    auth::delete_expired_sessions(&mut db, now).await?;
    auth::prune_failures(&mut db, now - app.config.login_throttle.window).await?;
    drop(db);
    crate::oidc::prune(app).await?;
    Ok(())
}
