//! Contributions and their review (SPEC §2 steps 1–3): create, edit (every edit a revision),
//! submit, decide, comment, vote, and the lists around them.
//!
//! Writes are compare-and-set on the submission's `version`, inside one transaction with the
//! revision, the transition, the audit record and the notifications. Two reviewers deciding at
//! once: one update matches the version, the other matches nothing and gets `Error::Changed`.

use crate::{
    App, Error, Problems, Result,
    audit::{self, Entry},
    guidelines,
    me::Caller,
    notify::{self, News},
};
use chorus_domain::recognition::PointEvent;
use chorus_domain::{
    CampaignId, MediaId, OrgId, Role, SubmissionId, UserId,
    pagination::{Cursor, Limit},
    settings::OrgSettings,
    submission::{self as rules, Decision, Kind, Refusal, Route, Standing, Status, Step, content},
};
use chorus_store::{
    Db, campaigns, media, settings,
    submissions::{self, Author, Content, NewSubmission},
    users,
};
use time::OffsetDateTime;

pub use chorus_store::{
    media::Media,
    submissions::{Comment, Filter, IdeaOrder, Revision, Submission, Transition},
};

/// What a person typed: every field optional, so one type serves create and partial update.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub link: Option<String>,
    pub tags: Option<Vec<String>>,
    pub channels: Option<Vec<String>>,
    /// `Some(None)` clears the campaign.
    pub campaign_id: Option<Option<CampaignId>>,
    pub media_ids: Option<Vec<MediaId>>,
    pub coauthor_ids: Option<Vec<UserId>>,
}

/// A submission with everything its page shows, seen by one caller.
#[derive(Debug, Clone)]
pub struct Detail {
    pub submission: Submission,
    pub authors: Vec<Author>,
    pub media: Vec<Media>,
    pub standing: Standing,
    /// The steps this caller can take now (`submit`, `approve`, …).
    pub steps: Vec<&'static str>,
    pub can_edit: bool,
    pub voted: bool,
}

fn team(role: Role) -> bool {
    matches!(role, Role::Social | Role::Admin | Role::Owner)
}

pub(crate) fn standing(caller: &Caller, s: &Submission, authors: &[Author]) -> Standing {
    let a = &caller.actor;
    Standing {
        author: a.user_id.is_some_and(|me| authors.iter().any(|x| x.user_id == me)),
        lead: s.department_id.is_some_and(|d| a.leads.contains(&d)),
        team: team(a.role),
    }
}

fn me(caller: &Caller) -> Result<UserId> {
    caller.actor.user_id.ok_or(Error::Forbidden(chorus_domain::Denied("sign in as a person to do this")))
}

fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::Forbidden(why) => Error::Forbidden(chorus_domain::Denied(why)),
        illegal => Error::Conflict(illegal.to_string()),
    }
}

/// Loads what a write needs and checks the caller may see it at all (else: not found).
async fn load(
    db: &mut impl Db,
    caller: &Caller,
    id: SubmissionId,
) -> Result<(Submission, Vec<Author>, Standing)> {
    let org = caller.org_id();
    let s = submissions::get(db, org, id).await?.ok_or(Error::NotFound)?;
    let authors = submissions::authors(db, org, id).await?;
    let who = standing(caller, &s, &authors);
    if !rules::visible(s.status, s.kind, who) {
        return Err(Error::NotFound);
    }
    Ok((s, authors, who))
}

async fn route(db: &mut impl Db, org: OrgId, s: &Submission) -> Result<Route> {
    let settings = OrgSettings::from_json(&settings::get(db, org).await?);
    let department_has_lead = match s.department_id {
        Some(d) => submissions::department_has_lead(db, org, d, s.author_id).await?,
        None => false,
    };
    Ok(Route { lead_stage_enabled: settings.lead_review, department_has_lead })
}

/// Refuses a write based on a version older than the stored one, showing the stored one.
fn check_version(s: &Submission, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != s.version => Err(changed(s.clone())),
        _ => Ok(()),
    }
}

fn changed(current: Submission) -> Error {
    Error::Changed {
        message: format!(
            "this submission changed since you opened it (it is now at version {}); review the \
             current version and try again",
            current.version
        ),
        current: Box::new(current),
    }
}

async fn detail(db: &mut impl Db, caller: &Caller, s: Submission, authors: Vec<Author>) -> Result<Detail> {
    let org = caller.org_id();
    let who = standing(caller, &s, &authors);
    let media = media::of_submission(db, org, s.id).await?;
    let route = route(db, org, &s).await?;
    let steps = [
        Step::Submit,
        Step::Decide(Decision::Approve),
        Step::Decide(Decision::RequestChanges),
        Step::Decide(Decision::Reject),
        Step::Withdraw,
        Step::Archive,
    ]
    .into_iter()
    .filter(|step| rules::transition(s.status, *step, who, route).is_ok())
    .map(Step::as_str)
    .collect();
    let voted = match caller.actor.user_id {
        Some(me) if s.kind == Kind::Idea => submissions::has_voted(db, org, s.id, me).await?,
        _ => false,
    };
    Ok(Detail {
        can_edit: rules::editable(s.status, who),
        standing: who,
        steps,
        voted,
        media,
        authors,
        submission: s,
    })
}

pub async fn get(app: &App, caller: &Caller, id: SubmissionId) -> Result<Detail> {
    let mut db = app.store.conn().await?;
    let (s, authors, _) = load(&mut db, caller, id).await?;
    detail(&mut db, caller, s, authors).await
}

/// Parses the content fields present in `input` over `base`.
fn parse_content(input: &Input, base: Content, kind: Kind) -> Result<Content> {
    let mut p = Problems::default();
    let body = match &input.body {
        Some(b) => p.check(content::body(b)).unwrap_or_default(),
        None => base.body,
    };
    let title = match &input.title {
        Some(t) if t.trim().is_empty() => fallback_title(&body, kind),
        Some(t) => p.check(content::title(t)).unwrap_or_default(),
        None => base.title,
    };
    let link = match &input.link {
        Some(l) => p.check(content::link(l)).flatten(),
        None => base.link,
    };
    let tags = match &input.tags {
        Some(t) => p.check(content::tags(t)).unwrap_or_default(),
        None => base.tags,
    };
    let channels = match &input.channels {
        Some(c) => p.check(content::channels(c)).unwrap_or_default(),
        None => base.channels,
    };
    let campaign_id = input.campaign_id.unwrap_or(base.campaign_id);
    p.finish()?;
    Ok(Content { title, body, link, tags, channels, campaign_id })
}

/// A contributor in a hurry may leave the title empty: the caption's first line stands in.
fn fallback_title(body: &str, kind: Kind) -> String {
    let first = body.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    let short: String = first.chars().take(80).collect();
    if short.is_empty() { format!("Untitled {}", kind.label().to_lowercase()) } else { short }
}

/// Checks that the campaign, media and co-authors named belong to the caller's organization
/// (and the media to the caller, or already to this submission).
async fn check_references(
    db: &mut impl Db,
    caller: &Caller,
    input: &Input,
    content: &Content,
    already: &[Media],
) -> Result<()> {
    let org = caller.org_id();
    let mut p = Problems::default();
    if let Some(c) = content.campaign_id
        && campaigns::get_campaign(db, org, c).await?.is_none()
    {
        p.check::<()>(Err(chorus_domain::Invalid::new("campaign_id", "no such campaign")));
    }
    for m in input.media_ids.iter().flatten() {
        let ok = match media::get(db, org, *m).await? {
            Some(found) => found.uploader_id == caller.actor.user_id || already.iter().any(|a| a.id == *m),
            None => false,
        };
        if !ok {
            p.check::<()>(Err(chorus_domain::Invalid::new("media_ids", format!("no such upload: {}", m.0))));
        }
    }
    for u in input.coauthor_ids.iter().flatten() {
        if users::contact(db, org, *u).await?.is_none() {
            p.check::<()>(Err(chorus_domain::Invalid::new(
                "coauthor_ids",
                format!("no such person: {}", u.0),
            )));
        }
    }
    p.finish()
}

/// Starts a draft. The author's department goes with it (for the lead stage and reports).
pub async fn create(app: &App, caller: &Caller, input: Input) -> Result<Detail> {
    let author = me(caller)?;
    let kind: Kind = match input.kind.as_deref() {
        Some(k) => k.parse()?,
        None => return Err(chorus_domain::Invalid::new("kind", "is required").into()),
    };
    let empty = Content {
        title: String::new(),
        body: String::new(),
        link: None,
        tags: vec![],
        channels: vec![],
        campaign_id: None,
    };
    let mut with_title = input.clone();
    if with_title.title.is_none() {
        with_title.title = Some(String::new());
    }
    let content = parse_content(&with_title, empty, kind)?;
    let now = app.now();
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    check_references(&mut tx, caller, &input, &content, &[]).await?;
    let id = SubmissionId::new();
    let new = NewSubmission {
        id,
        author_id: author,
        department_id: caller.actor.department_id,
        kind,
        content: content.clone(),
        promoted_from: None,
    };
    submissions::insert(&mut tx, org, &new, now).await?;
    submissions::insert_revision(&mut tx, org, id, 1, author, &content, "created", now).await?;
    if let Some(media) = &input.media_ids {
        submissions::set_media(&mut tx, org, id, media).await?;
    }
    for co in input.coauthor_ids.iter().flatten() {
        submissions::add_author(&mut tx, org, id, *co, now).await?;
    }
    if let Some(link) = &content.link {
        crate::previews::queue(&mut tx, org, id, link, now).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("submission.created")
            .target("submission", id)
            .detail(serde_json::json!({"kind": kind.as_str(), "title": content.title})),
    )
    .await?;
    let s = submissions::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let authors = submissions::authors(&mut tx, org, id).await?;
    let d = detail(&mut tx, caller, s, authors).await?;
    tx.commit().await?;
    Ok(d)
}

/// Saves an edit. Authors edit drafts and requested changes; reviewers may edit while it waits
/// for them. Each save that changes the text is a new revision; `expected_version` (when
/// given) must be the current one, so nobody silently overwrites another's work.
pub async fn update(
    app: &App,
    caller: &Caller,
    id: SubmissionId,
    expected_version: Option<i64>,
    input: Input,
) -> Result<Detail> {
    let editor = me(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (s, authors, who) = load(&mut tx, caller, id).await?;
    if !rules::editable(s.status, who) {
        return Err(Error::Forbidden(chorus_domain::Denied(if who.author && s.status.in_review() {
            "this is waiting for review; withdraw it to edit it"
        } else {
            "you cannot edit this submission now"
        })));
    }
    // Reviewers adapt the caption; what the contribution is stays the author's.
    let reviewer_only = !who.author;
    if reviewer_only
        && (input.kind.is_some()
            || input.media_ids.is_some()
            || input.coauthor_ids.is_some()
            || input.link.is_some())
    {
        return Err(Error::Forbidden(chorus_domain::Denied(
            "reviewers may edit the title, caption, tags, channels and campaign",
        )));
    }
    if input.kind.as_deref().is_some_and(|k| k != s.kind.as_str()) {
        return Err(chorus_domain::Invalid::new("kind", "cannot be changed; start a new submission").into());
    }
    check_version(&s, expected_version)?;
    let base = Content {
        title: s.title.clone(),
        body: s.body.clone(),
        link: s.link.clone(),
        tags: s.tags.clone(),
        channels: s.channels.clone(),
        campaign_id: s.campaign_id,
    };
    let content = parse_content(&input, base.clone(), s.kind)?;
    let already = media::of_submission(&mut tx, org, id).await?;
    check_references(&mut tx, caller, &input, &content, &already).await?;
    let text_changed = content.title != base.title || content.body != base.body || content.link != base.link;
    let revision = if text_changed { s.revision + 1 } else { s.revision };
    if !submissions::update_content(&mut tx, org, id, s.version, &content, revision, now).await? {
        let current = submissions::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
        return Err(changed(current));
    }
    // Autosave writes often: co-authors hear about an editing session once, not every save.
    let same_session = submissions::revisions(&mut tx, org, id)
        .await?
        .last()
        .is_some_and(|r| r.editor_id == Some(editor) && now - r.created_at < time::Duration::minutes(15));
    if text_changed {
        let note = if reviewer_only { "edited by a reviewer" } else { "edited" };
        submissions::insert_revision(&mut tx, org, id, revision, editor, &content, note, now).await?;
    }
    if let Some(m) = &input.media_ids {
        submissions::set_media(&mut tx, org, id, m).await?;
    }
    for co in input.coauthor_ids.iter().flatten() {
        submissions::add_author(&mut tx, org, id, *co, now).await?;
    }
    if content.link != base.link
        && let Some(link) = &content.link
    {
        crate::previews::queue(&mut tx, org, id, link, now).await?;
    }
    if text_changed {
        audit::record(
            &mut tx,
            org,
            caller,
            now,
            Entry::new("submission.edited")
                .target("submission", id)
                .detail(serde_json::json!({"revision": revision})),
        )
        .await?;
        let news = News {
            kind: "submission.edited",
            title: format!("{} edited “{}”", caller.label, content.title),
            link: format!("/submissions/{}", id.0),
        };
        let others: Vec<UserId> =
            if same_session { vec![] } else { authors.iter().map(|a| a.user_id).collect() };
        notify::send(&mut tx, app, org, others, Some(editor), &news, now).await?;
    }
    let s = submissions::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let authors = submissions::authors(&mut tx, org, id).await?;
    let d = detail(&mut tx, caller, s, authors).await?;
    tx.commit().await?;
    Ok(d)
}

/// One workflow step: submit, a decision, withdraw or archive.
pub async fn step(
    app: &App,
    caller: &Caller,
    id: SubmissionId,
    step: Step,
    comment: &str,
    expected_version: Option<i64>,
) -> Result<Detail> {
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let d = step_in(&mut tx, app, caller, id, step, comment, expected_version, now).await?;
    let withdrawn = matches!(step, Step::Archive | Step::Withdraw);
    if withdrawn {
        crate::changes::announce(&mut tx, crate::changes::Change::Links).await?;
    }
    tx.commit().await?;
    if withdrawn {
        // Tracked links to it stop redirecting at once on this instance, and on the others as
        // soon as the signal reaches them (SQLite: within the link cache's lifetime).
        app.links.clear();
    }
    Ok(d)
}

#[allow(clippy::too_many_arguments)]
async fn step_in(
    tx: &mut chorus_store::Tx,
    app: &App,
    caller: &Caller,
    id: SubmissionId,
    step: Step,
    comment: &str,
    expected_version: Option<i64>,
    now: OffsetDateTime,
) -> Result<Detail> {
    let actor = me(caller)?;
    let org = caller.org_id();
    let comment = content::body(comment)?;
    let (s, authors, who) = load(tx, caller, id).await?;
    let route = route(tx, org, &s).await?;
    check_version(&s, expected_version)?;
    let to = rules::transition(s.status, step, who, route).map_err(refusal)?;
    if let Step::Decide(d) = step
        && d.needs_comment()
        && comment.trim().is_empty()
    {
        let why = if d == Decision::Reject { "give the reason" } else { "say what should change" };
        return Err(chorus_domain::Invalid::new("comment", why).into());
    }
    // Handing in and approving run the guideline engine on the server: a `block` finding
    // stops the step with the rule's message.
    if matches!(step, Step::Submit | Step::Decide(Decision::Approve)) {
        if step == Step::Submit {
            let media = media::of_submission(tx, org, id).await?;
            let classes: Vec<&str> = media.iter().map(|m| m.class.as_str()).collect();
            content::complete(s.kind, &s.body, s.link.as_deref(), &classes).map_err(Error::Invalid)?;
        }
        let report = guidelines::review(tx, org, &s).await?;
        let blocking: Vec<String> = report.blocking().map(|f| f.message.clone()).collect();
        if !blocking.is_empty() {
            return Err(Error::Invalid(
                blocking.into_iter().map(|m| chorus_domain::Invalid::new("guidelines", m)).collect(),
            ));
        }
    }
    if !submissions::set_status(tx, org, id, s.version, to, now).await? {
        let current = submissions::get(tx, org, id).await?.ok_or(Error::NotFound)?;
        return Err(changed(current));
    }
    submissions::insert_transition(tx, org, id, actor, step.as_str(), s.status, to, &comment, now).await?;
    audit::record(
        tx,
        org,
        caller,
        now,
        Entry::new(match step {
            Step::Submit => "submission.submitted",
            Step::Decide(_) => "submission.decided",
            Step::Withdraw => "submission.withdrawn",
            Step::Archive => "submission.archived",
        })
        .target("submission", id)
        .detail(serde_json::json!({
            "step": step.as_str(), "from": s.status.as_str(), "to": to.as_str(), "comment": comment
        })),
    )
    .await?;
    tell_about_step(tx, app, org, &s, &authors, actor, step, to, &comment, now).await?;
    let event = match (step, to) {
        (Step::Submit, _) => Some(PointEvent::ContributionSubmitted),
        (_, Status::Approved) => Some(PointEvent::ContributionApproved),
        _ => None,
    };
    if let Some(event) = event {
        let ids: Vec<UserId> = authors.iter().map(|a| a.user_id).collect();
        crate::recognition::pay_authors(tx, org, &ids, event, id, now).await?;
    }
    let s = submissions::get(tx, org, id).await?.ok_or(Error::NotFound)?;
    detail(tx, caller, s, authors).await
}

/// Reviewers hear when something enters their queue; authors hear every decision.
#[allow(clippy::too_many_arguments)]
async fn tell_about_step(
    db: &mut impl Db,
    app: &App,
    org: OrgId,
    s: &Submission,
    authors: &[Author],
    actor: UserId,
    step: Step,
    to: Status,
    comment: &str,
    now: OffsetDateTime,
) -> Result<()> {
    let link = format!("/submissions/{}", s.id.0);
    let waiting = |title: String| News { kind: "review.waiting", title, link: link.clone() };
    match to {
        Status::LeadReview => {
            let leads = match s.department_id {
                Some(d) => submissions::department_leads(db, org, d).await?,
                None => vec![],
            };
            let news = waiting(format!("“{}” from {} waits for your review", s.title, s.author_name));
            notify::send(db, app, org, leads, Some(actor), &news, now).await?;
        }
        Status::TeamReview => {
            let team = submissions::team_members(db, org).await?;
            let news = waiting(format!("“{}” from {} waits for the social team", s.title, s.author_name));
            notify::send(db, app, org, team, Some(actor), &news, now).await?;
        }
        _ => {}
    }
    if matches!(to, Status::LeadReview | Status::TeamReview) {
        let reviewers =
            if to == Status::LeadReview { "the department's leads" } else { "the social media team" };
        let alert =
            crate::chat::ReviewAlert { title: &s.title, author: &s.author_name, reviewers, link: &link };
        crate::chat::review_waiting(db, app, org, &alert, now).await?;
    }
    if let Step::Decide(d) = step {
        let verdict = match (d, to) {
            (Decision::Approve, Status::Approved) => "was approved".to_owned(),
            (Decision::Approve, _) => {
                "passed the department review and went on to the social team".to_owned()
            }
            (Decision::RequestChanges, _) => format!("needs changes: {comment}"),
            (Decision::Reject, _) => format!("was not accepted: {comment}"),
        };
        let news = News { kind: "submission.decided", title: format!("“{}” {verdict}", s.title), link };
        let authors: Vec<UserId> = authors.iter().map(|a| a.user_id).collect();
        notify::send(db, app, org, authors, Some(actor), &news, now).await?;
    }
    Ok(())
}

/// What happened to each item of a bulk decision.
#[derive(Debug, Clone)]
pub struct BulkOutcome {
    pub id: SubmissionId,
    pub result: std::result::Result<Status, String>,
}

/// The same decision and comment on many items. Each item is decided on its own (its own
/// transaction), so one refusal does not undo the others; the outcome says which failed and why.
pub async fn decide_many(
    app: &App,
    caller: &Caller,
    ids: &[SubmissionId],
    decision: Decision,
    comment: &str,
) -> Result<Vec<BulkOutcome>> {
    if ids.len() > 200 {
        return Err(chorus_domain::Invalid::new("ids", "at most 200 at once").into());
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let result = match step(app, caller, *id, Step::Decide(decision), comment, None).await {
            Ok(d) => Ok(d.submission.status),
            Err(Error::Internal(e)) => return Err(Error::Internal(e)),
            Err(e) => Err(e.to_string()),
        };
        out.push(BulkOutcome { id: *id, result });
    }
    Ok(out)
}

pub async fn revisions(app: &App, caller: &Caller, id: SubmissionId) -> Result<Vec<Revision>> {
    let mut db = app.store.conn().await?;
    load(&mut db, caller, id).await?;
    Ok(submissions::revisions(&mut db, caller.org_id(), id).await?)
}

pub async fn transitions(app: &App, caller: &Caller, id: SubmissionId) -> Result<Vec<Transition>> {
    let mut db = app.store.conn().await?;
    load(&mut db, caller, id).await?;
    Ok(submissions::transitions(&mut db, caller.org_id(), id).await?)
}

/// The difference between two revisions, title and text.
pub struct RevisionDiff {
    pub from: Revision,
    pub to: Revision,
    pub title: Vec<content::Change>,
    pub body: Vec<content::Change>,
}

pub async fn diff(app: &App, caller: &Caller, id: SubmissionId, from: i64, to: i64) -> Result<RevisionDiff> {
    let all = revisions(app, caller, id).await?;
    let pick = |n: i64| {
        all.iter()
            .find(|r| r.number == n)
            .cloned()
            .ok_or_else(|| Error::from(chorus_domain::Invalid::new("revision", format!("no revision {n}"))))
    };
    let (from, to) = (pick(from)?, pick(to)?);
    Ok(RevisionDiff {
        title: content::diff(&from.title, &to.title),
        body: content::diff(&from.body, &to.body),
        from,
        to,
    })
}

pub async fn comments(app: &App, caller: &Caller, id: SubmissionId) -> Result<Vec<Comment>> {
    let mut db = app.store.conn().await?;
    load(&mut db, caller, id).await?;
    Ok(submissions::comments(&mut db, caller.org_id(), id).await?)
}

/// Anyone who can see a submission can discuss it; @mentioned people are told.
pub async fn comment(app: &App, caller: &Caller, id: SubmissionId, body: &str) -> Result<Comment> {
    let author = me(caller)?;
    let body = content::body(body)?;
    if body.trim().is_empty() {
        return Err(chorus_domain::Invalid::new("body", "write something").into());
    }
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (s, authors, _) = load(&mut tx, caller, id).await?;
    let c = Comment {
        id: chorus_domain::CommentId::new(),
        author_id: author,
        author_name: caller.label.clone(),
        body: body.clone(),
        created_at: now,
    };
    submissions::insert_comment(&mut tx, org, id, &c).await?;
    let link = format!("/submissions/{}#comment-{}", id.0, c.id.0);
    let mut mentioned = Vec::new();
    for handle in content::mentions(&body) {
        // A handle that fits several people (same local part, different domains) tells none:
        // better silence than a notification to the wrong person.
        if let [(user, _)] = users::by_handle(&mut tx, org, &handle).await?.as_slice() {
            mentioned.push(*user);
        }
    }
    // Mentioned people only hear about things they can see.
    let mut visible_to = Vec::new();
    for user in mentioned {
        if let Some(person) = users::get(&mut tx, org, user).await? {
            let leads = users::leads_of(&mut tx, org, user).await?;
            let who = Standing {
                author: authors.iter().any(|a| a.user_id == user),
                lead: s.department_id.is_some_and(|d| leads.contains(&d)),
                team: team(person.role),
            };
            if rules::visible(s.status, s.kind, who) {
                visible_to.push(user);
            }
        }
    }
    let news = News {
        kind: "mention",
        title: format!("{} mentioned you on “{}”", caller.label, s.title),
        link: link.clone(),
    };
    notify::send(&mut tx, app, org, visible_to, Some(author), &news, now).await?;
    let news =
        News { kind: "comment", title: format!("{} commented on “{}”", caller.label, s.title), link };
    let authors: Vec<UserId> = authors.iter().map(|a| a.user_id).collect();
    notify::send(&mut tx, app, org, authors, Some(author), &news, now).await?;
    tx.commit().await?;
    Ok(c)
}

/// One vote per person per idea; voting again changes nothing. Returns the vote count.
pub async fn vote(app: &App, caller: &Caller, id: SubmissionId) -> Result<(i64, bool)> {
    let voter = me(caller)?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    let (s, _, _) = load(&mut tx, caller, id).await?;
    if !rules::open_for_votes(s.status, s.kind) {
        return Err(Error::Conflict(if s.kind == Kind::Idea {
            "this idea is not open for votes".into()
        } else {
            "only ideas on the idea board take votes".into()
        }));
    }
    let added = submissions::vote(&mut tx, org, id, voter, app.now()).await?;
    let count = submissions::get(&mut tx, org, id).await?.map_or(s.vote_count, |s| s.vote_count);
    tx.commit().await?;
    Ok((count, added))
}

fn reviewer(caller: &Caller) -> Result<submissions::Reviewer> {
    Ok(submissions::Reviewer {
        user: me(caller)?,
        team: team(caller.actor.role),
        leads: !caller.actor.leads.is_empty(),
    })
}

/// What waits for the caller, oldest first (`limit + 1` rows: the caller pages).
pub async fn review_queue(
    app: &App,
    caller: &Caller,
    filter: &Filter,
    after: Option<Cursor>,
    limit: Limit,
) -> Result<Vec<Submission>> {
    let r = reviewer(caller)?;
    let mut db = app.store.conn().await?;
    Ok(submissions::review_queue(&mut db, caller.org_id(), r, filter, after, limit.get() + 1).await?)
}

/// Approved content, searchable by everyone in the organization.
pub async fn library(
    app: &App,
    caller: &Caller,
    query: Option<&str>,
    filter: &Filter,
    after: Option<Cursor>,
    limit: Limit,
) -> Result<Vec<Submission>> {
    if query.is_some_and(|q| q.chars().count() > 200) {
        return Err(chorus_domain::Invalid::new("q", "may be at most 200 characters").into());
    }
    let mut db = app.store.conn().await?;
    // The library pages by library number; the cursor's id part is not needed.
    let after = after.map(|c| c.key);
    Ok(submissions::library(&mut db, caller.org_id(), query, filter, after, limit.get() + 1).await?)
}

pub async fn ideas(
    app: &App,
    caller: &Caller,
    order: IdeaOrder,
    after: Option<Cursor>,
    limit: Limit,
) -> Result<Vec<Submission>> {
    let mut db = app.store.conn().await?;
    Ok(submissions::ideas(&mut db, caller.org_id(), order, after, limit.get() + 1).await?)
}

/// Which of these ideas the caller has voted for (the board shows it).
pub async fn voted_among(app: &App, caller: &Caller, ids: &[SubmissionId]) -> Result<Vec<SubmissionId>> {
    let Some(me) = caller.actor.user_id else { return Ok(vec![]) };
    let mut db = app.store.conn().await?;
    Ok(submissions::voted_among(&mut db, caller.org_id(), me, ids).await?)
}

/// The caller's own submissions and those they co-write.
pub async fn mine(
    app: &App,
    caller: &Caller,
    status: Option<Status>,
    after: Option<Cursor>,
    limit: Limit,
) -> Result<Vec<Submission>> {
    let me = me(caller)?;
    let mut db = app.store.conn().await?;
    Ok(submissions::authored_by(&mut db, caller.org_id(), me, status, after, limit.get() + 1).await?)
}

/// Turns an idea into a blog-post draft that the idea's author, the promoter and the named
/// co-authors write together. The idea stays on the board, linked to the draft.
pub async fn promote(app: &App, caller: &Caller, idea: SubmissionId, coauthors: &[UserId]) -> Result<Detail> {
    let promoter = me(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (s, authors, who) = load(&mut tx, caller, idea).await?;
    if s.kind != Kind::Idea || !rules::open_for_votes(s.status, s.kind) {
        return Err(Error::Conflict("only an idea on the board can become a blog post".into()));
    }
    if !(who.author || who.lead || who.team) {
        return Err(Error::Forbidden(chorus_domain::Denied(
            "the idea's author, a department lead or the social team can promote it",
        )));
    }
    let input = Input { coauthor_ids: Some(coauthors.to_vec()), ..Input::default() };
    let content = Content {
        title: s.title.clone(),
        body: s.body.clone(),
        link: s.link.clone(),
        tags: s.tags.clone(),
        channels: vec!["blog".into()],
        campaign_id: s.campaign_id,
    };
    check_references(&mut tx, caller, &input, &content, &[]).await?;
    let id = SubmissionId::new();
    let new = NewSubmission {
        id,
        author_id: s.author_id,
        department_id: s.department_id,
        kind: Kind::BlogPost,
        content: content.clone(),
        promoted_from: Some(idea),
    };
    submissions::insert(&mut tx, org, &new, now).await?;
    submissions::insert_revision(&mut tx, org, id, 1, promoter, &content, "promoted from an idea", now)
        .await?;
    let mut writers: Vec<UserId> = authors.iter().map(|a| a.user_id).collect();
    writers.push(promoter);
    writers.extend_from_slice(coauthors);
    for w in &writers {
        submissions::add_author(&mut tx, org, id, *w, now).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("idea.promoted").target("submission", id).detail(serde_json::json!({"idea": idea.0})),
    )
    .await?;
    let news = News {
        kind: "coauthor",
        title: format!("{} invited you to co-write “{}”", caller.label, s.title),
        link: format!("/submissions/{}/edit", id.0),
    };
    notify::send(&mut tx, app, org, writers, Some(promoter), &news, now).await?;
    let s = submissions::get(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let authors = submissions::authors(&mut tx, org, id).await?;
    let d = detail(&mut tx, caller, s, authors).await?;
    tx.commit().await?;
    Ok(d)
}

/// Deletes a draft, by one of its authors: the submission with its revisions and comments, and
/// the files no other submission uses (rows now, objects through the job queue). Anything past
/// the draft stage has a history others rely on; withdraw or archive it instead.
pub async fn delete_draft(app: &App, caller: &Caller, id: SubmissionId) -> Result<()> {
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let (s, _, who) = load(&mut tx, caller, id).await?;
    if !who.author {
        return Err(Error::Forbidden(chorus_domain::Denied("only its authors can delete a draft")));
    }
    if s.status != Status::Draft {
        return Err(Error::Conflict(format!(
            "only a draft can be deleted; this one is {}",
            s.status.as_str().replace('_', " ")
        )));
    }
    let files = media::of_submission(&mut tx, org, id).await?;
    if !submissions::delete_draft(&mut tx, org, id, s.version).await? {
        return Err(Error::Conflict("this draft changed meanwhile (submitted or edited); reload it".into()));
    }
    let files_deleted = crate::media::delete_unused(&mut tx, org, &files, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("submission.deleted")
            .target("submission", id)
            .detail(serde_json::json!({"title": s.title, "files_deleted": files_deleted})),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    Ok(())
}
