//! People: invitations, CSV import, profile and role changes, deactivation.

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    departments as depts, mail,
    me::Caller,
    security,
};
use chorus_domain::{
    Action, DepartmentId, DepartmentName, Email, Invalid, InvitationId, PersonName, Role, Seniority, Title,
    UserId, UserStatus, authorize, pagination::Limit, policy::Subject,
};
use chorus_store::{Db, admin, auth, departments, tokens, users};
use std::collections::HashSet;
use time::OffsetDateTime;

pub use chorus_store::users::{ListFilter, User};

fn subject(u: &User) -> Subject {
    Subject { user_id: u.id, role: u.role }
}

pub async fn list(app: &App, caller: &Caller, filter: &ListFilter, limit: Limit) -> Result<Vec<User>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(users::list(&mut db, caller.org_id(), filter, limit.get() + 1).await?)
}

pub async fn directory(app: &App, caller: &Caller, filter: &ListFilter, limit: u32) -> Result<Vec<User>> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(users::list_by_name(&mut db, caller.org_id(), filter, limit).await?)
}

pub async fn get(app: &App, caller: &Caller, id: UserId) -> Result<User> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    users::get(&mut db, caller.org_id(), id).await?.ok_or(Error::NotFound)
}

pub async fn counts(app: &App, caller: &Caller) -> Result<users::Counts> {
    authorize(&caller.actor, Action::ViewDirectory)?;
    let mut db = app.store.conn().await?;
    Ok(users::counts(&mut db, caller.org_id()).await?)
}

/// A new person, as a form or the API describes them.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewPerson {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub seniority: Option<String>,
}

struct Parsed {
    email: Email,
    name: PersonName,
    role: Role,
    department_id: Option<DepartmentId>,
    title: Option<Title>,
    seniority: Option<Seniority>,
}

fn parse_department_id(raw: Option<&str>) -> Result<Option<DepartmentId>, Invalid> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| Invalid::new("department_id", "is not a department id")),
    }
}

fn parse_new(p: &NewPerson) -> Result<Parsed> {
    let mut problems = Problems::default();
    let email = problems.check(Email::parse(&p.email));
    let name = problems.check(PersonName::parse(&p.name));
    let role = problems
        .check(p.role.as_deref().filter(|r| !r.trim().is_empty()).map_or(Ok(Role::Employee), str::parse));
    let department_id = problems.check(parse_department_id(p.department_id.as_deref()));
    let title = problems.check(Title::parse_optional(p.title.as_deref()));
    let seniority = problems.check(Seniority::parse_optional(p.seniority.as_deref()));
    problems.finish()?;
    match (email, name, role, department_id, title, seniority) {
        (Some(email), Some(name), Some(role), Some(department_id), Some(title), Some(seniority)) => {
            Ok(Parsed { email, name, role, department_id, title, seniority })
        }
        _ => Err(Error::Internal(anyhow::anyhow!("parsed values missing after a clean parse"))),
    }
}

fn email_taken(email: &Email) -> Error {
    Error::Conflict(format!("someone with the e-mail {email} is already in this organization"))
}

/// Inserts the person and an invitation, and queues the invitation e-mail. Returns the link.
async fn insert_invited(
    db: &mut impl Db,
    app: &App,
    caller: &Caller,
    p: &Parsed,
    status: UserStatus,
    now: OffsetDateTime,
) -> Result<(User, String)> {
    let id = UserId::new();
    users::insert(
        db,
        &users::NewUser {
            id,
            org_id: caller.org_id(),
            email: p.email.as_str(),
            name: p.name.as_str(),
            title: p.title.as_ref().map(Title::as_str),
            seniority: p.seniority.map(|s| i64::from(s.get())),
            role: p.role,
            department_id: p.department_id,
            status,
            password_hash: None,
            now,
        },
    )
    .await
    .map_err(|e| if e.is_conflict() { email_taken(&p.email) } else { e.into() })?;
    if p.role == Role::Lead
        && let Some(dept) = p.department_id
    {
        users::add_lead(db, caller.org_id(), dept, id, now).await?;
    }
    let link = issue_invitation(db, app, caller, id, p.email.as_str(), p.name.as_str(), now).await?;
    let user = users::get(db, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    audit::record(
        db,
        caller.org_id(),
        caller,
        now,
        Entry::new("user.invited")
            .target("user", id)
            .detail(serde_json::json!({"email": p.email.as_str(), "role": p.role})),
    )
    .await?;
    Ok((user, link))
}

async fn issue_invitation(
    db: &mut impl Db,
    app: &App,
    caller: &Caller,
    user: UserId,
    email: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<String> {
    auth::expire_invitations(db, caller.org_id(), user, now).await?;
    let token = security::random_token();
    let ttl = app.config.invitation_ttl;
    auth::insert_invitation(
        db,
        InvitationId::new(),
        caller.org_id(),
        user,
        caller.actor.user_id,
        &security::sha256_hex(&token),
        now,
        now + ttl,
    )
    .await?;
    let org = admin::org_by_id(db, caller.org_id()).await?.ok_or(Error::NotFound)?;
    let link = app.url(&format!("/invite/{token}"));
    let email = mail::invitation(email, name, &org.name, &caller.label, &link, ttl.whole_days());
    mail::queue(db, caller.org_id(), email, now).await?;
    Ok(link)
}

async fn check_department(db: &mut impl Db, caller: &Caller, dept: Option<DepartmentId>) -> Result<()> {
    if let Some(d) = dept
        && departments::get(db, caller.org_id(), d).await?.is_none()
    {
        return Err(Invalid::new("department_id", "no such department").into());
    }
    Ok(())
}

/// Invites one person by e-mail.
pub async fn invite(app: &App, caller: &Caller, person: &NewPerson) -> Result<User> {
    let p = parse_new(person)?;
    authorize(&caller.actor, Action::InvitePerson { role: p.role })?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    check_department(&mut tx, caller, p.department_id).await?;
    if users::get_by_email(&mut tx, caller.org_id(), p.email.as_str()).await?.is_some() {
        return Err(email_taken(&p.email));
    }
    let (user, _link) = insert_invited(&mut tx, app, caller, &p, UserStatus::Invited, now).await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(user)
}

/// Sends a fresh invitation to someone who has not joined yet (earlier links stop working).
pub async fn resend_invitation(app: &App, caller: &Caller, id: UserId) -> Result<()> {
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let user = users::get(&mut tx, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    authorize(&caller.actor, Action::InvitePerson { role: user.role })?;
    if user.status != UserStatus::Invited {
        return Err(Error::Conflict(format!("{} has already joined", user.name)));
    }
    issue_invitation(&mut tx, app, caller, user.id, &user.email, &user.name, now).await?;
    audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("user.reinvited").target("user", id))
        .await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(())
}

/// `chorus user add`: an active account with no password yet, and a link to choose one.
/// A department named here is created when missing; `--role lead` makes them its lead.
#[derive(Debug, Clone, Default)]
pub struct CliPerson {
    pub email: String,
    pub name: String,
    pub role: String,
    pub department: Option<String>,
    pub title: Option<String>,
    pub seniority: Option<String>,
}

pub async fn add_from_cli(app: &App, caller: &Caller, input: &CliPerson) -> Result<(User, String)> {
    let mut p = parse_new(&NewPerson {
        email: input.email.clone(),
        name: input.name.clone(),
        role: Some(input.role.clone()),
        department_id: None,
        title: input.title.clone(),
        seniority: input.seniority.clone(),
    })?;
    authorize(&caller.actor, Action::InvitePerson { role: p.role })?;
    let department = input.department.as_deref().map(DepartmentName::parse).transpose()?;
    let now = app.now();
    let mut tx = app.store.tx().await?;
    if let Some(name) = &department {
        p.department_id = Some(depts::find_or_create(&mut tx, caller, name, now).await?.0.id);
    }
    let (user, link) = insert_invited(&mut tx, app, caller, &p, UserStatus::Active, now).await?;
    tx.commit().await?;
    Ok((user, link))
}

// ---- CSV import -----------------------------------------------------------------------------

/// What happened to one line of an import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub email: String,
    /// `None` when the person was invited; otherwise every reason the row was rejected.
    pub rejected: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub rows: Vec<ImportRow>,
    pub invited: usize,
    pub rejected: usize,
    pub departments_created: Vec<String>,
}

/// The most rows one import takes.
pub const IMPORT_MAX_ROWS: usize = 5_000;

/// Imports employees from CSV with a header row naming the columns `name`, `email`, and
/// optionally `department`, `title`, `seniority` (1–5), in any order. Valid rows are invited
/// as employees (departments created as needed); invalid rows are reported, line by line.
pub async fn import_csv(app: &App, caller: &Caller, csv_text: &str) -> Result<ImportReport> {
    authorize(&caller.actor, Action::InvitePerson { role: Role::Employee })?;
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Invalid::new("file", format!("could not read the header row: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(name_col), Some(email_col)) = (col("name"), col("email")) else {
        return Err(
            Invalid::new("file", "the first row must name the columns, including name and email").into()
        );
    };
    let (dept_col, title_col, seniority_col) = (col("department"), col("title"), col("seniority"));

    let now = app.now();
    let mut tx = app.store.tx().await?;
    let mut report = ImportReport::default();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(2);
        if i >= IMPORT_MAX_ROWS {
            return Err(Invalid::new("file", format!("at most {IMPORT_MAX_ROWS} rows per import")).into());
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.rows.push(ImportRow {
                    line,
                    email: String::new(),
                    rejected: Some(format!("unreadable row: {e}")),
                });
                continue;
            }
        };
        let field = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::to_owned);
        let raw_email = field(Some(email_col)).unwrap_or_default();
        let mut problems = Vec::new();
        let email = Email::parse(&raw_email).map_err(|e| problems.push(e.to_string())).ok();
        let name = PersonName::parse(&field(Some(name_col)).unwrap_or_default())
            .map_err(|e| problems.push(e.to_string()))
            .ok();
        let title =
            Title::parse_optional(field(title_col).as_deref()).map_err(|e| problems.push(e.to_string())).ok();
        let seniority = Seniority::parse_optional(field(seniority_col).as_deref())
            .map_err(|e| problems.push(e.to_string()))
            .ok();
        let department = match field(dept_col).filter(|d| !d.trim().is_empty()) {
            Some(d) => DepartmentName::parse(&d).map(Some).map_err(|e| problems.push(e.to_string())).ok(),
            None => Some(None),
        };
        if let Some(email) = &email {
            if !seen.insert(email.clone()) {
                problems.push(format!("email: {email} appears earlier in this file"));
            } else if users::get_by_email(&mut tx, caller.org_id(), email.as_str()).await?.is_some() {
                problems.push(format!("email: {email} is already in this organization"));
            }
        }
        let (Some(email), Some(name), Some(title), Some(seniority), Some(department), true) =
            (email, name, title, seniority, department, problems.is_empty())
        else {
            report.rows.push(ImportRow { line, email: raw_email, rejected: Some(problems.join("; ")) });
            continue;
        };
        let department_id = match department {
            Some(dept_name) => {
                let (dept, created) = depts::find_or_create(&mut tx, caller, &dept_name, now).await?;
                if created {
                    report.departments_created.push(dept.name.clone());
                }
                Some(dept.id)
            }
            None => None,
        };
        let parsed = Parsed { email, name, role: Role::Employee, department_id, title, seniority };
        insert_invited(&mut tx, app, caller, &parsed, UserStatus::Invited, now).await?;
        report.rows.push(ImportRow { line, email: parsed.email.into_inner(), rejected: None });
    }
    report.invited = report.rows.iter().filter(|r| r.rejected.is_none()).count();
    report.rejected = report.rows.len() - report.invited;
    audit::record(
        &mut tx,
        caller.org_id(),
        caller,
        now,
        Entry::new("user.imported")
            .detail(serde_json::json!({"invited": report.invited, "rejected": report.rejected})),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(report)
}

// ---- changes --------------------------------------------------------------------------------

/// A partial update: absent fields stay as they are. `department_id: Some("")` clears it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub title: Option<String>,
    pub seniority: Option<String>,
    pub department_id: Option<String>,
    pub role: Option<String>,
    /// `active` or `deactivated`.
    pub status: Option<String>,
}

pub async fn update(app: &App, caller: &Caller, id: UserId, changes: &PersonChanges) -> Result<User> {
    let mut problems = Problems::default();
    let name = changes.name.as_deref().map(|n| problems.check(PersonName::parse(n))).unwrap_or(None);
    let title = changes.title.as_deref().map(|t| problems.check(Title::parse_optional(Some(t))));
    let seniority = changes.seniority.as_deref().map(|s| problems.check(Seniority::parse_optional(Some(s))));
    let department = changes.department_id.as_deref().map(|d| problems.check(parse_department_id(Some(d))));
    let role = changes.role.as_deref().map(|r| problems.check(r.parse::<Role>()));
    let status = changes
        .status
        .as_deref()
        .map(|s| match s.trim() {
            "active" => Ok(UserStatus::Active),
            "deactivated" => Ok(UserStatus::Deactivated),
            _ => Err(Invalid::new("status", "must be active or deactivated")),
        })
        .map(|r| problems.check(r));
    problems.finish()?;

    let now = app.now();
    let mut tx = app.store.tx().await?;
    let user = users::get(&mut tx, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    let who = subject(&user);

    // Asking to set a field needs the right to set it, even when the value would not change.
    if name.is_some() || title.is_some() {
        authorize(&caller.actor, Action::EditPerson { subject: who })?;
    }
    if seniority.is_some() || department.is_some() {
        authorize(&caller.actor, Action::MovePerson { subject: who })?;
    }
    let new_name = name.map_or_else(|| user.name.clone(), PersonName::into_inner);
    let new_title = title.flatten().map_or(user.title.clone(), |t| t.map(Title::into_inner));
    let new_seniority = seniority.flatten().map_or(user.seniority, |s| s.map(|s| i64::from(s.get())));
    let new_department = department.flatten().map_or(user.department_id, |d| d);
    if new_department != user.department_id {
        check_department(&mut tx, caller, new_department).await?;
    }
    let profile_changed = new_name != user.name
        || new_title != user.title
        || new_seniority != user.seniority
        || new_department != user.department_id;
    if profile_changed {
        users::update_profile(
            &mut tx,
            caller.org_id(),
            id,
            &new_name,
            new_title.as_deref(),
            new_seniority,
            new_department,
            now,
        )
        .await?;
        audit::record(&mut tx, caller.org_id(), caller, now, Entry::new("user.updated").target("user", id))
            .await?;
    }

    if let Some(Some(role)) = role {
        authorize(&caller.actor, Action::ChangeRole { subject: who, to: role })?;
        if role != user.role {
            ensure_not_last_owner(&mut tx, caller, &user).await?;
            users::set_role(&mut tx, caller.org_id(), id, role, now).await?;
            audit::record(
                &mut tx,
                caller.org_id(),
                caller,
                now,
                Entry::new("user.role_changed")
                    .target("user", id)
                    .detail(serde_json::json!({"from": user.role, "to": role})),
            )
            .await?;
        }
    }

    if let Some(Some(status)) = status {
        set_status(&mut tx, caller, &user, status, now).await?;
    }
    let updated = users::get(&mut tx, caller.org_id(), id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

async fn ensure_not_last_owner(db: &mut impl Db, caller: &Caller, user: &User) -> Result<()> {
    if user.role == Role::Owner
        && user.status == UserStatus::Active
        && users::count_active_owners(db, caller.org_id()).await? <= 1
    {
        return Err(Error::Conflict(
            "an organization needs at least one active owner; make someone else an owner first".into(),
        ));
    }
    Ok(())
}

async fn set_status(
    db: &mut impl Db,
    caller: &Caller,
    user: &User,
    status: UserStatus,
    now: OffsetDateTime,
) -> Result<()> {
    let who = subject(user);
    match status {
        UserStatus::Deactivated => {
            authorize(&caller.actor, Action::Deactivate { subject: who })?;
            if user.status == UserStatus::Deactivated {
                return Ok(());
            }
            ensure_not_last_owner(db, caller, user).await?;
            users::set_status(db, caller.org_id(), user.id, UserStatus::Deactivated, now).await?;
            // Their content stays; their ways in do not.
            auth::delete_user_sessions(db, caller.org_id(), user.id, None).await?;
            tokens::revoke_all(db, caller.org_id(), user.id, now).await?;
            auth::expire_invitations(db, caller.org_id(), user.id, now).await?;
            audit::record(
                db,
                caller.org_id(),
                caller,
                now,
                Entry::new("user.deactivated").target("user", user.id),
            )
            .await?;
        }
        UserStatus::Active | UserStatus::Invited => {
            authorize(&caller.actor, Action::Reactivate { subject: who })?;
            if user.status != UserStatus::Deactivated {
                return Ok(());
            }
            // Someone who never chose a password goes back to "invited".
            let has_password = users::password_hash(db, caller.org_id(), user.id).await?.is_some();
            let back_to = if has_password { UserStatus::Active } else { UserStatus::Invited };
            users::set_status(db, caller.org_id(), user.id, back_to, now).await?;
            audit::record(
                db,
                caller.org_id(),
                caller,
                now,
                Entry::new("user.reactivated").target("user", user.id),
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn deactivate(app: &App, caller: &Caller, id: UserId) -> Result<User> {
    update(app, caller, id, &PersonChanges { status: Some("deactivated".into()), ..Default::default() }).await
}

pub async fn reactivate(app: &App, caller: &Caller, id: UserId) -> Result<User> {
    update(app, caller, id, &PersonChanges { status: Some("active".into()), ..Default::default() }).await
}
