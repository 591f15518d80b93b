//! Pages for contribution and review: the submit form (phone first), a submission with its
//! history and discussion, editing with conflict display, the review queue with bulk decisions,
//! the library, the idea board, notifications, guidelines and campaigns.

use super::{Chrome, FormError, NoticeQuery, form_errors, when};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
    markdown::render as markdown,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Multipart, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error, campaigns, guidelines, media, notify,
    submissions::{self, Detail, Filter, IdeaOrder, Input, Submission},
};
use chorus_domain::{
    CampaignId, DepartmentId, MediaId, NotificationId, SubmissionId,
    guidelines::{DomainMode, Network, Rule, RuleKind, Scope, Severity},
    pagination::{Cursor, Limit, Page},
    submission::{Decision, Kind, Step, content},
};

/// Rows per page of the review queue and the library: a screenful, quick to scan and to serve.
const PAGE_SIZE: u32 = 25;

/// A submission as a row in a list.
pub struct Row {
    pub id: SubmissionId,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub title: String,
    pub excerpt: String,
    pub author: String,
    pub department: String,
    pub tags: Vec<String>,
    pub waited: String,
    pub votes: i64,
    pub voted: bool,
    pub comments: i64,
    pub approved: String,
}

fn excerpt(body: &str) -> String {
    let one_line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = one_line.chars().take(160).collect();
    if one_line.chars().count() > 160 {
        short.push('…');
    }
    short
}

/// "3 h", "2 d": how long something has waited.
fn waited(since: Option<time::OffsetDateTime>, now: time::OffsetDateTime) -> String {
    let Some(since) = since else { return String::new() };
    let d = now - since;
    if d.whole_days() >= 1 {
        format!("{} d", d.whole_days())
    } else if d.whole_hours() >= 1 {
        format!("{} h", d.whole_hours())
    } else {
        format!("{} min", d.whole_minutes().max(0))
    }
}

fn row(s: Submission, now: time::OffsetDateTime) -> Row {
    Row {
        id: s.id,
        kind: s.kind.label(),
        status: s.status.as_str(),
        status_label: s.status.label(),
        excerpt: excerpt(&s.body),
        title: s.title,
        author: s.author_name,
        department: s.department_name.unwrap_or_default(),
        tags: s.tags,
        waited: if s.status.in_review() { waited(s.queued_at, now) } else { String::new() },
        votes: s.vote_count,
        voted: false,
        comments: s.comment_count,
        approved: s.approved_at.map(when).unwrap_or_default(),
    }
}

fn rows(items: Vec<Submission>, now: time::OffsetDateTime) -> Vec<Row> {
    items.into_iter().map(|s| row(s, now)).collect()
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

// ---------------------------------------------------------------- submit

#[derive(Template, WebTemplate)]
#[template(path = "contrib/submit.html")]
struct SubmitPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    campaigns: Vec<(CampaignId, String)>,
    channels: [&'static str; 7],
    errors: Vec<FormError>,
    title: String,
    body: String,
    link: String,
    tags: String,
}

async fn submit_page(
    s: &AppState,
    user: &PageUser,
    kind: &str,
    errors: Vec<FormError>,
) -> Result<SubmitPage, PageError> {
    let campaigns =
        campaigns::campaigns(&s.app, &user.me.caller).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(SubmitPage {
        chrome: Chrome::for_user(user, "submit"),
        kinds: kinds(),
        kind: if kind.is_empty() { "photo".into() } else { kind.to_owned() },
        campaigns,
        channels: content::CHANNELS,
        errors,
        title: String::new(),
        body: String::new(),
        link: String::new(),
        tags: String::new(),
    })
}

#[derive(serde::Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

pub async fn submit_form(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<KindQuery>,
) -> Result<Response, PageError> {
    Ok(submit_page(&s, &user, q.kind.as_deref().unwrap_or_default(), vec![]).await?.into_response())
}

/// The fields of the submit and edit forms, read from a multipart body (a file may come along).
#[derive(Default)]
struct FormFields {
    kind: String,
    title: String,
    body: String,
    link: String,
    tags: String,
    channels: Vec<String>,
    campaign_id: String,
    action: String,
    version: String,
    file: Option<(chorus_media::Spooled, Option<String>)>,
}

async fn read_form(app: &chorus_app::App, mut m: Multipart) -> Result<FormFields, Error> {
    let bad = || Error::from(chorus_domain::Invalid::new("form", "the form could not be read; try again"));
    let mut f = FormFields::default();
    while let Some(mut field) = m.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field.file_name().map(str::to_owned);
            let file = crate::upload::spool(app, &mut field).await?;
            // A file input left empty still sends a part with no name and no bytes.
            if file.len > 0 || filename.as_deref().is_some_and(|n| !n.is_empty()) {
                f.file = Some((file, filename));
            }
            continue;
        }
        let value = field.text().await.map_err(|_| bad())?;
        match name.as_str() {
            "kind" => f.kind = value,
            "title" => f.title = value,
            "body" => f.body = value,
            "link" => f.link = value,
            "tags" => f.tags = value,
            "channels" => f.channels.push(value),
            "campaign_id" => f.campaign_id = value,
            "action" => f.action = value,
            "version" => f.version = value,
            _ => {}
        }
    }
    Ok(f)
}

fn campaign_of(raw: &str) -> Result<Option<CampaignId>, Error> {
    match raw.trim() {
        "" => Ok(None),
        c => c
            .parse::<uuid::Uuid>()
            .map(|u| Some(CampaignId::from(u)))
            .map_err(|_| chorus_domain::Invalid::new("campaign_id", "no such campaign").into()),
    }
}

/// Creates the submission (uploading the file first) and hands it in unless "save draft".
pub async fn submit(State(s): State<AppState>, user: PageUser, m: Multipart) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let result = async {
        let f = read_form(&s.app, m).await?;
        let media_ids = match f.file {
            Some((file, name)) => vec![media::upload_file(&s.app, caller, file, name.as_deref()).await?.id],
            None => vec![],
        };
        let input = Input {
            kind: Some(f.kind.clone()),
            title: Some(f.title.clone()),
            body: Some(f.body.clone()),
            link: Some(f.link.clone()),
            tags: Some(vec![f.tags.clone()]),
            channels: Some(f.channels.clone()),
            campaign_id: Some(campaign_of(&f.campaign_id)?),
            media_ids: Some(media_ids),
            coauthor_ids: None,
        };
        let d = submissions::create(&s.app, caller, input).await?;
        if f.action == "draft" {
            return Ok((d.submission.id, "draft_saved"));
        }
        // Created, but handing in may still fail (incomplete, a blocking guideline): the draft
        // is kept and its page says what to fix.
        match submissions::step(&s.app, caller, d.submission.id, Step::Submit, "", None).await {
            Ok(_) => Ok((d.submission.id, "submitted")),
            Err(Error::Invalid(_) | Error::Conflict(_)) => Ok((d.submission.id, "saved_not_submitted")),
            Err(e) => Err(e),
        }
    }
    .await;
    match result {
        Ok((id, notice)) => {
            Ok(Redirect::to(&format!("/submissions/{}?notice={notice}", id.0)).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Upload(_))) => {
            let status = crate::error::status_of(&e);
            let errors = match e {
                Error::Upload(u) => vec![FormError { field: "file".into(), message: u.to_string() }],
                other => form_errors(other)?,
            };
            let page = submit_page(&s, &user, "", errors).await?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- one submission

struct MediaView {
    id: MediaId,
    class: String,
    filename: String,
    has_thumbnail: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "contrib/show.html")]
struct ShowPage {
    chrome: Chrome,
    s: Submission,
    body_html: String,
    kind_label: &'static str,
    status_label: &'static str,
    media: Vec<MediaView>,
    authors: Vec<String>,
    steps: Vec<&'static str>,
    can_edit: bool,
    voted: bool,
    can_vote: bool,
    can_promote: bool,
    preview: Option<chorus_app::previews::Preview>,
    findings: Vec<(String, String)>,
    revisions: Vec<(i64, String, String, String)>,
    transitions: Vec<(String, String, String, String)>,
    comments: Vec<(String, String, String, String)>,
    errors: Vec<FormError>,
    /// Channels it may be posted to (for the social team), and its posts.
    publish: super::publish::PublishPanel,
    can_publish: bool,
    /// For the social team: the last day the item is in the share hub (empty: no end).
    share_until: Option<String>,
}

impl ShowPage {
    /// Whether the viewer can take this workflow step now.
    fn can(&self, step: &str) -> bool {
        self.steps.contains(&step)
    }
}

async fn show_page(
    s: &AppState,
    user: &PageUser,
    id: SubmissionId,
    errors: Vec<FormError>,
) -> Result<ShowPage, PageError> {
    let caller = &user.me.caller;
    let Detail { submission, authors, media, standing, steps, can_edit, voted } =
        submissions::get(&s.app, caller, id).await?;
    let revisions = submissions::revisions(&s.app, caller, id).await?;
    let transitions = submissions::transitions(&s.app, caller, id).await?;
    let comments = submissions::comments(&s.app, caller, id).await?;
    let publish = super::publish::panel(s, user, id, &media).await?;
    let can_publish = !publish.previews.is_empty()
        && matches!(
            submission.status,
            chorus_domain::submission::Status::Approved
                | chorus_domain::submission::Status::Scheduled
                | chorus_domain::submission::Status::Published
        );
    let in_hub = matches!(
        submission.status,
        chorus_domain::submission::Status::Approved
            | chorus_domain::submission::Status::Scheduled
            | chorus_domain::submission::Status::Published
    );
    let share_until =
        if in_hub && chorus_domain::authorize(&caller.actor, chorus_domain::Action::SchedulePosts).is_ok() {
            let until = chorus_app::amplify::share_until(&s.app, caller, id).await?;
            Some(until.map(super::amplify::last_day).unwrap_or_default())
        } else {
            None
        };
    // Reviewers and authors see the guideline findings of the current version.
    let findings = if standing.author || standing.lead || standing.team {
        let networks = guidelines::networks_of(&submission.channels);
        let text = guidelines::post_text(&submission);
        guidelines::check(&s.app, caller, &text, &networks, Some(submission.kind))
            .await?
            .findings
            .into_iter()
            .map(|f| (f.severity.as_str().to_owned(), f.message))
            .collect()
    } else {
        vec![]
    };
    Ok(ShowPage {
        chrome: Chrome::for_user(user, "submit"),
        body_html: markdown(&submission.body),
        kind_label: submission.kind.label(),
        status_label: submission.status.label(),
        media: media
            .into_iter()
            .map(|m| MediaView {
                id: m.id,
                class: m.class,
                filename: m.filename,
                has_thumbnail: m.thumbnail_mime.is_some(),
            })
            .collect(),
        authors: authors.into_iter().map(|a| a.name).collect(),
        steps,
        can_edit,
        voted,
        can_vote: chorus_domain::submission::open_for_votes(submission.status, submission.kind),
        can_promote: submission.kind == Kind::Idea
            && chorus_domain::submission::open_for_votes(submission.status, submission.kind)
            && (standing.author || standing.lead || standing.team),
        preview: submission.preview.as_deref().and_then(|p| serde_json::from_str(p).ok()),
        findings,
        revisions: revisions
            .into_iter()
            .map(|r| (r.number, r.editor_name.unwrap_or_default(), when(r.created_at), r.note))
            .collect(),
        transitions: transitions
            .into_iter()
            .map(|t| (when(t.at), t.actor_name.unwrap_or_default(), t.to.label().to_owned(), t.comment))
            .collect(),
        comments: comments
            .into_iter()
            .map(|c| (c.id.0.to_string(), c.author_name, when(c.created_at), markdown(&c.body)))
            .collect(),
        s: submission,
        errors,
        publish,
        can_publish,
        share_until,
    })
}

pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = show_page(&s, &user, id, vec![]).await?;
    page.chrome = page.chrome.notice(q.notice.as_deref());
    Ok(page.into_response())
}

#[derive(serde::Deserialize)]
pub struct StepForm {
    step: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    version: Option<i64>,
}

/// A workflow step from the submission's page.
pub async fn step(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    PageForm(f): PageForm<StepForm>,
) -> Result<Response, PageError> {
    let result = async {
        let step: Step = f.step.parse()?;
        submissions::step(&s.app, &user.me.caller, id, step, &f.comment, f.version).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/submissions/{}?notice=saved", id.0)).into_response()),
        Err(Error::Changed { .. }) => {
            let errors = vec![FormError {
                field: "request".into(),
                message: "was not done: someone changed this submission since you opened it. Here is the \
                          current version; decide again."
                    .into(),
            }];
            Ok((StatusCode::CONFLICT, show_page(&s, &user, id, errors).await?).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let status = crate::error::status_of(&e);
            Ok((status, show_page(&s, &user, id, form_errors(e)?).await?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

pub async fn comment(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    PageForm(f): PageForm<CommentForm>,
) -> Result<Response, PageError> {
    match submissions::comment(&s.app, &user.me.caller, id, &f.body).await {
        Ok(c) => Ok(Redirect::to(&format!("/submissions/{}#comment-{}", id.0, c.id.0)).into_response()),
        Err(e @ Error::Invalid(_)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, show_page(&s, &user, id, form_errors(e)?).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct BackForm {
    #[serde(default)]
    back: String,
}

/// Only paths inside Chorus, so the form cannot be made into an open redirect.
fn local(back: &str, fallback: String) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        fallback
    }
}

pub async fn vote(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    PageForm(f): PageForm<BackForm>,
) -> Result<Response, PageError> {
    submissions::vote(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to(&local(&f.back, format!("/submissions/{}", id.0))).into_response())
}

pub async fn promote(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
) -> Result<Response, PageError> {
    let d = submissions::promote(&s.app, &user.me.caller, id, &[]).await?;
    Ok(Redirect::to(&format!("/submissions/{}/edit?notice=promoted", d.submission.id.0)).into_response())
}

// ---------------------------------------------------------------- edit

#[derive(Template, WebTemplate)]
#[template(path = "contrib/edit.html")]
struct EditPage {
    chrome: Chrome,
    s: Submission,
    campaigns: Vec<(CampaignId, String)>,
    channels: [&'static str; 7],
    errors: Vec<FormError>,
    /// What the person tried to save, when it conflicted with a newer version.
    mine: Option<(String, String)>,
    tags: String,
}

async fn edit_page(
    s: &AppState,
    user: &PageUser,
    sub: Submission,
    errors: Vec<FormError>,
    mine: Option<(String, String)>,
) -> Result<EditPage, PageError> {
    let campaigns =
        campaigns::campaigns(&s.app, &user.me.caller).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(EditPage {
        chrome: Chrome::for_user(user, "submit"),
        tags: sub.tags.join(" "),
        s: sub,
        campaigns,
        channels: content::CHANNELS,
        errors,
        mine,
    })
}

pub async fn edit_form(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let d = submissions::get(&s.app, &user.me.caller, id).await?;
    if !d.can_edit {
        return Err(Error::Forbidden(chorus_domain::Denied("you cannot edit this submission now")).into());
    }
    let mut page = edit_page(&s, &user, d.submission, vec![], None).await?;
    page.chrome = page.chrome.notice(q.notice.as_deref());
    Ok(page.into_response())
}

/// Saves an edit (with an optional new file). A save based on an old version shows both.
pub async fn edit(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    m: Multipart,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let f = match read_form(&s.app, m).await {
        Ok(f) => f,
        Err(e) => return Err(e.into()),
    };
    let mine = (f.title.clone(), f.body.clone());
    let result = async {
        let current = submissions::get(&s.app, caller, id).await?;
        let version = f.version.trim().parse::<i64>().ok();
        let mut media_ids: Option<Vec<MediaId>> = None;
        if let Some((file, name)) = f.file {
            let uploaded = media::upload_file(&s.app, caller, file, name.as_deref()).await?;
            let mut ids: Vec<MediaId> = current.media.iter().map(|m| m.id).collect();
            ids.push(uploaded.id);
            media_ids = Some(ids);
        }
        let reviewer_only = !current.standing.author;
        let input = Input {
            kind: None,
            title: Some(f.title.clone()),
            body: Some(f.body.clone()),
            link: if reviewer_only { None } else { Some(f.link.clone()) },
            tags: Some(vec![f.tags.clone()]),
            channels: Some(f.channels.clone()),
            campaign_id: Some(campaign_of(&f.campaign_id)?),
            media_ids,
            coauthor_ids: None,
        };
        submissions::update(&s.app, caller, id, version, input).await
    }
    .await;
    match result {
        Ok(d) => {
            if f.action == "submit" {
                return match submissions::step(
                    &s.app,
                    caller,
                    id,
                    Step::Submit,
                    "",
                    Some(d.submission.version),
                )
                .await
                {
                    Ok(_) => {
                        Ok(Redirect::to(&format!("/submissions/{}?notice=submitted", id.0)).into_response())
                    }
                    Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
                        let errors = form_errors(e)?;
                        let page = edit_page(&s, &user, d.submission, errors, None).await?;
                        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
                    }
                    Err(e) => Err(e.into()),
                };
            }
            Ok(Redirect::to(&format!("/submissions/{}?notice=saved", id.0)).into_response())
        }
        Err(Error::Changed { current, .. }) => {
            let errors = vec![FormError {
                field: "request".into(),
                message: "was not saved: someone else saved a newer version while you were editing. Both \
                          versions are below; copy what you need into the form and save again."
                    .into(),
            }];
            let page = edit_page(&s, &user, *current, errors, Some(mine)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e @ (Error::Invalid(_) | Error::Upload(_) | Error::Conflict(_))) => {
            let status = crate::error::status_of(&e);
            let errors = match e {
                Error::Upload(u) => vec![FormError { field: "file".into(), message: u.to_string() }],
                other => form_errors(other)?,
            };
            let current = submissions::get(&s.app, caller, id).await?.submission;
            Ok((status, edit_page(&s, &user, current, errors, None).await?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- diff

#[derive(Template, WebTemplate)]
#[template(path = "contrib/diff.html")]
struct DiffPage {
    chrome: Chrome,
    id: SubmissionId,
    title: String,
    from: i64,
    to: i64,
    title_changes: Vec<content::Change>,
    body_changes: Vec<content::Change>,
}

#[derive(serde::Deserialize)]
pub struct DiffQuery {
    from: Option<i64>,
    to: Option<i64>,
}

pub async fn diff(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, PageError> {
    let d = submissions::get(&s.app, &user.me.caller, id).await?;
    let latest = d.submission.revision;
    let to = q.to.unwrap_or(latest);
    let from = q.from.unwrap_or((to - 1).max(1));
    let diff = submissions::diff(&s.app, &user.me.caller, id, from, to).await?;
    Ok(DiffPage {
        chrome: Chrome::for_user(&user, "submit"),
        id,
        title: d.submission.title,
        from,
        to,
        title_changes: diff.title,
        body_changes: diff.body,
    }
    .into_response())
}

// ---------------------------------------------------------------- lists

#[derive(Template, WebTemplate)]
#[template(path = "contrib/mine.html")]
struct MinePage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CursorQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

fn parse_cursor(raw: &Option<String>) -> Result<Option<Cursor>, Error> {
    Ok(raw.as_deref().filter(|c| !c.is_empty()).map(str::parse).transpose()?)
}

pub async fn mine(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<CursorQuery>,
) -> Result<Response, PageError> {
    let limit = Limit::new(Some(50));
    let items = submissions::mine(&s.app, &user.me.caller, None, parse_cursor(&q.cursor)?, limit).await?;
    let page = Page::from_overfetch(items, limit, |s| Cursor {
        key: chorus_domain::clock::to_millis(s.updated_at),
        id: s.id.0,
    });
    Ok(MinePage {
        chrome: Chrome::for_user(&user, "mine").notice(q.notice.as_deref()),
        rows: rows(page.items, s.app.now()),
        next: page.next_cursor.map(|c| c.to_string()),
    }
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    cursor: Option<String>,
    notice: Option<String>,
    department: Option<String>,
    kind: Option<String>,
    campaign: Option<String>,
    tag: Option<String>,
    /// Review queue: waited at least this many hours.
    age: Option<String>,
    q: Option<String>,
}

fn filter_of(q: &ListQuery, now: time::OffsetDateTime) -> Result<Filter, Error> {
    let id = |raw: &Option<String>, field: &'static str| -> Result<Option<uuid::Uuid>, Error> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => {
                v.parse().map(Some).map_err(|_| chorus_domain::Invalid::new(field, "unknown choice").into())
            }
        }
    };
    let kind = q.kind.as_deref().filter(|k| !k.is_empty()).map(str::parse::<Kind>).transpose()?;
    let hours = q.age.as_deref().and_then(|a| a.trim().parse::<i64>().ok()).filter(|h| *h > 0);
    Ok(Filter {
        department: id(&q.department, "department")?.map(DepartmentId::from),
        kind,
        campaign: id(&q.campaign, "campaign")?.map(CampaignId::from),
        tag: q
            .tag
            .as_deref()
            .map(|t| t.trim().trim_start_matches('#').to_lowercase())
            .filter(|t| !t.is_empty()),
        since: None,
        until: hours.map(|h| now - time::Duration::hours(h.min(24 * 365))),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "contrib/queue.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    departments: Vec<(DepartmentId, String)>,
    campaigns: Vec<(CampaignId, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    q: ListQuery,
    errors: Vec<FormError>,
    results: Vec<String>,
}

async fn queue_page(
    s: &AppState,
    user: &PageUser,
    q: ListQuery,
    errors: Vec<FormError>,
) -> Result<QueuePage, PageError> {
    let caller = &user.me.caller;
    let now = s.app.now();
    let limit = Limit::new(Some(PAGE_SIZE));
    let filter = filter_of(&q, now)?;
    let items = submissions::review_queue(&s.app, caller, &filter, parse_cursor(&q.cursor)?, limit).await?;
    let page = Page::from_overfetch(items, limit, |s| Cursor {
        key: s.queued_at.map_or(0, chorus_domain::clock::to_millis),
        id: s.id.0,
    });
    let departments = chorus_app::departments::names(&s.app, caller).await?;
    let campaigns = campaigns::campaigns(&s.app, caller).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(QueuePage {
        chrome: Chrome::for_user(user, "review").notice(q.notice.as_deref()),
        rows: rows(page.items, now),
        next: page.next_cursor.map(|c| c.to_string()),
        departments,
        campaigns,
        kinds: kinds(),
        q,
        errors,
        results: vec![],
    })
}

pub async fn queue(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(queue_page(&s, &user, q, vec![]).await?.into_response())
}

/// Bulk decisions: checked rows, one decision, one comment. Read by hand because a form sends
/// `ids` once per checked box.
pub async fn bulk(
    State(s): State<AppState>,
    user: PageUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| Error::from(chorus_domain::Invalid::new("form", "could not be read")))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let ids: Vec<SubmissionId> = pairs
        .iter()
        .filter(|(n, _)| n == "ids")
        .filter_map(|(_, v)| v.parse::<uuid::Uuid>().ok())
        .map(Into::into)
        .collect();
    let result = async {
        if ids.is_empty() {
            return Err(Error::from(chorus_domain::Invalid::new("ids", "tick at least one item")));
        }
        let decision: Decision = get("decision").parse()?;
        submissions::decide_many(&s.app, &user.me.caller, &ids, decision, &get("comment")).await
    }
    .await;
    match result {
        Ok(outcomes) => {
            let failed: Vec<String> = outcomes
                .iter()
                .filter_map(|o| o.result.as_ref().err().map(|e| format!("{}: {e}", o.id.0)))
                .collect();
            if failed.is_empty() {
                return Ok(Redirect::to("/review?notice=decided").into_response());
            }
            let mut page = queue_page(&s, &user, ListQuery::default(), vec![]).await?;
            page.results = failed;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e @ Error::Invalid(_)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            queue_page(&s, &user, ListQuery::default(), form_errors(e)?).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "contrib/library.html")]
struct LibraryPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    departments: Vec<(DepartmentId, String)>,
    campaigns: Vec<(CampaignId, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    q: ListQuery,
}

pub async fn library(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let now = s.app.now();
    let limit = Limit::new(Some(PAGE_SIZE));
    let mut filter = filter_of(&q, now)?;
    filter.until = None;
    let items =
        submissions::library(&s.app, caller, q.q.as_deref(), &filter, parse_cursor(&q.cursor)?, limit)
            .await?;
    let page = Page::from_overfetch(items, limit, |s| Cursor { key: s.library_seq.unwrap_or(0), id: s.id.0 });
    let departments = chorus_app::departments::names(&s.app, caller).await?;
    let campaigns = campaigns::campaigns(&s.app, caller).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(LibraryPage {
        chrome: Chrome::for_user(&user, "library"),
        rows: rows(page.items, now),
        next: page.next_cursor.map(|c| c.to_string()),
        departments,
        campaigns,
        kinds: kinds(),
        q,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "contrib/ideas.html")]
struct IdeasPage {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
    recent: bool,
    errors: Vec<FormError>,
}

#[derive(serde::Deserialize)]
pub struct IdeasQuery {
    cursor: Option<String>,
    sort: Option<String>,
    notice: Option<String>,
}

pub async fn ideas(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<IdeasQuery>,
) -> Result<Response, PageError> {
    let recent = q.sort.as_deref() == Some("recent");
    let order = if recent { IdeaOrder::Recent } else { IdeaOrder::Votes };
    let limit = Limit::new(Some(50));
    let items = submissions::ideas(&s.app, &user.me.caller, order, parse_cursor(&q.cursor)?, limit).await?;
    let page = Page::from_overfetch(items, limit, |s| Cursor {
        key: if recent { chorus_domain::clock::to_millis(s.created_at) } else { s.vote_count },
        id: s.id.0,
    });
    let ids: Vec<SubmissionId> = page.items.iter().map(|s| s.id).collect();
    let voted = submissions::voted_among(&s.app, &user.me.caller, &ids).await?;
    let mut rows = rows(page.items, s.app.now());
    for r in &mut rows {
        r.voted = voted.contains(&r.id);
    }
    Ok(IdeasPage {
        chrome: Chrome::for_user(&user, "ideas").notice(q.notice.as_deref()),
        rows,
        next: page.next_cursor.map(|c| c.to_string()),
        recent,
        errors: vec![],
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct IdeaForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

/// Pitches an idea: created and put on the board in one go.
pub async fn pitch(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<IdeaForm>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let result = async {
        let input = Input {
            kind: Some("idea".into()),
            title: Some(f.title.clone()),
            body: Some(f.body.clone()),
            ..Input::default()
        };
        let d = submissions::create(&s.app, caller, input).await?;
        submissions::step(&s.app, caller, d.submission.id, Step::Submit, "", None).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/ideas?sort=recent&notice=idea_posted").into_response()),
        Err(e @ Error::Invalid(_)) => {
            let limit = Limit::new(Some(50));
            let items = submissions::ideas(&s.app, caller, IdeaOrder::Votes, None, limit).await?;
            let page = IdeasPage {
                chrome: Chrome::for_user(&user, "ideas"),
                rows: rows(Page::from_overfetch(items, limit, |s| s.id).items, s.app.now()),
                next: None,
                recent: false,
                errors: form_errors(e)?,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- media

#[derive(serde::Deserialize)]
pub struct MediaQuery {
    thumb: Option<String>,
}

/// A file, for people signed in who may see it.
pub async fn media_file(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<MediaId>,
    Query(q): Query<MediaQuery>,
) -> Result<Response, PageError> {
    let content = media::content(&s.app, &user.me.caller, id, q.thumb.is_some()).await?;
    Ok(crate::upload::download(content))
}

// ---------------------------------------------------------------- notifications

#[derive(Template, WebTemplate)]
#[template(path = "contrib/notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    items: Vec<(NotificationId, String, String, String, bool)>,
}

pub async fn notifications(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let items = notify::list(&s.app, &user.me.caller, None, Limit::new(Some(100))).await?;
    Ok(NotificationsPage {
        chrome: Chrome::for_user(&user, "notifications"),
        items: items
            .into_iter()
            .take(100)
            .map(|n| (n.id, n.title, n.link, when(n.created_at), n.read_at.is_none()))
            .collect(),
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct ReadForm {
    id: Option<uuid::Uuid>,
    #[serde(default)]
    link: String,
}

/// Marks one notification read and follows it, or marks all read.
pub async fn read_notification(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<ReadForm>,
) -> Result<Response, PageError> {
    notify::mark_read(&s.app, &user.me.caller, f.id.map(NotificationId::from)).await?;
    Ok(Redirect::to(&local(&f.link, "/notifications".into())).into_response())
}

// ---------------------------------------------------------------- guidelines

#[derive(Template, WebTemplate)]
#[template(path = "contrib/guidelines.html")]
struct GuidelinesPage {
    chrome: Chrome,
    rules: Vec<(chorus_domain::RuleId, String, &'static str, String, String, bool)>,
    can_manage: bool,
    kinds: Vec<(&'static str, &'static str)>,
    networks: Vec<(&'static str, &'static str)>,
    errors: Vec<FormError>,
    campaigns: Vec<campaigns::Campaign>,
    pillars: Vec<campaigns::Pillar>,
    settings: chorus_domain::settings::OrgSettings,
    is_admin: bool,
}

fn describe(kind: &RuleKind) -> String {
    match kind {
        RuleKind::BannedTerms { terms } => format!("Banned terms: {}", terms.join(", ")),
        RuleKind::RequiredText { any_of } => format!("Must contain one of: {}", any_of.join(", ")),
        RuleKind::LinkDomains { mode: DomainMode::Allow, domains } => {
            format!("Links only to: {}", domains.join(", "))
        }
        RuleKind::LinkDomains { mode: DomainMode::Deny, domains } => {
            format!("No links to: {}", domains.join(", "))
        }
        RuleKind::Length { .. } => "Fits every network it is meant for".to_owned(),
    }
}

async fn guidelines_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
) -> Result<GuidelinesPage, PageError> {
    let caller = &user.me.caller;
    let rules = guidelines::list(&s.app, caller).await?;
    Ok(GuidelinesPage {
        chrome: Chrome::for_user(user, "guidelines"),
        rules: rules
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    r.rule.name.clone(),
                    r.rule.severity.as_str(),
                    describe(&r.rule.kind),
                    r.rule.message.clone(),
                    r.enabled,
                )
            })
            .collect(),
        can_manage: chorus_domain::authorize(&caller.actor, chorus_domain::Action::ManageGuidelines).is_ok(),
        kinds: kinds(),
        networks: Network::ALL.iter().map(|n| (n.as_str(), n.label())).collect(),
        errors,
        campaigns: campaigns::campaigns(&s.app, caller).await?,
        pillars: campaigns::pillars(&s.app, caller).await?,
        settings: chorus_app::settings::get(&s.app, caller).await?,
        is_admin: user.me.user.role.is_admin(),
    })
}

pub async fn guidelines_list(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let mut page = guidelines_page(&s, &user, vec![]).await?;
    page.chrome = page.chrome.notice(q.notice.as_deref());
    Ok(page.into_response())
}

/// A new rule from the form: one text box of terms or domains, split on commas and new lines.
pub async fn create_rule(
    State(s): State<AppState>,
    user: PageUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| Error::from(chorus_domain::Invalid::new("form", "could not be read")))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let all = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let list: Vec<String> = get("values")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    let result = async {
        let kind = match get("type").as_str() {
            "banned_terms" => RuleKind::BannedTerms { terms: list },
            "required_text" => RuleKind::RequiredText { any_of: list },
            "allow_domains" => RuleKind::LinkDomains { mode: DomainMode::Allow, domains: list },
            "deny_domains" => RuleKind::LinkDomains { mode: DomainMode::Deny, domains: list },
            "length" => RuleKind::Length {},
            _ => return Err(Error::from(chorus_domain::Invalid::new("type", "choose a kind of rule"))),
        };
        let severity = if get("severity") == "block" { Severity::Block } else { Severity::Warn };
        let kinds = all("kinds").iter().map(|k| k.parse::<Kind>()).collect::<Result<Vec<_>, _>>()?;
        let networks = all("networks").iter().map(|n| n.parse::<Network>()).collect::<Result<Vec<_>, _>>()?;
        let rule = Rule {
            name: get("name"),
            severity,
            message: get("message"),
            kind,
            scope: Scope { kinds, networks },
        };
        guidelines::create(&s.app, &user.me.caller, rule).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/guidelines?notice=saved").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, guidelines_page(&s, &user, form_errors(e)?).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct RuleAction {
    action: String,
}

pub async fn rule_action(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<chorus_domain::RuleId>,
    PageForm(f): PageForm<RuleAction>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    match f.action.as_str() {
        "delete" => guidelines::delete(&s.app, caller, id).await?,
        "enable" | "disable" => {
            let r = guidelines::list(&s.app, caller)
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or(Error::NotFound)?;
            guidelines::update(&s.app, caller, id, r.rule, f.action == "enable").await?;
        }
        _ => return Err(Error::from(chorus_domain::Invalid::new("action", "unknown")).into()),
    }
    Ok(Redirect::to("/guidelines?notice=saved").into_response())
}

#[derive(serde::Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    pillar_id: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

pub async fn create_campaign(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<CampaignForm>,
) -> Result<Response, PageError> {
    let pillar_id = f.pillar_id.trim().parse::<uuid::Uuid>().ok().map(chorus_domain::PillarId::from);
    let input = campaigns::CampaignInput {
        name: f.name,
        goal: f.goal,
        pillar_id,
        starts_on: Some(f.starts_on),
        ends_on: Some(f.ends_on),
        budget_cents: None,
        channels: vec![],
    };
    match campaigns::create_campaign(&s.app, &user.me.caller, input).await {
        Ok(_) => Ok(Redirect::to("/guidelines?notice=saved#campaigns").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, guidelines_page(&s, &user, form_errors(e)?).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct PillarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn create_pillar(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<PillarForm>,
) -> Result<Response, PageError> {
    match campaigns::create_pillar(&s.app, &user.me.caller, &f.name, &f.description).await {
        Ok(_) => Ok(Redirect::to("/guidelines?notice=saved#campaigns").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, guidelines_page(&s, &user, form_errors(e)?).await?)
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    lead_review: Option<String>,
    /// The share guard's limits (absent from older forms: left as they are).
    #[serde(default)]
    share_items_per_day: Option<String>,
    #[serde(default)]
    share_repeats_per_item: Option<String>,
}

/// A whole number from a form field, or the reason it is not one.
fn form_number(
    field: &'static str,
    value: Option<&str>,
    current: u32,
) -> Result<u32, chorus_domain::Invalid> {
    match value.map(str::trim) {
        None => Ok(current),
        Some(v) => v.parse().map_err(|_| chorus_domain::Invalid::new(field, "must be a whole number")),
    }
}

pub async fn settings(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<SettingsForm>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let mut current = chorus_app::settings::get(&s.app, caller).await?;
    current.lead_review = f.lead_review.is_some();
    current.share_items_per_day =
        form_number("share_items_per_day", f.share_items_per_day.as_deref(), current.share_items_per_day)
            .map_err(chorus_app::Error::from)?;
    current.share_repeats_per_item = form_number(
        "share_repeats_per_item",
        f.share_repeats_per_item.as_deref(),
        current.share_repeats_per_item,
    )
    .map_err(chorus_app::Error::from)?;
    chorus_app::settings::update(&s.app, caller, current).await?;
    Ok(Redirect::to("/guidelines?notice=saved").into_response())
}

// ---------------------------------------------------------------- deleting a draft

/// Deletes a draft of the caller's (and the files only it used).
pub async fn delete_draft(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
) -> Result<Response, PageError> {
    submissions::delete_draft(&s.app, &user.me.caller, id).await?;
    Ok(Redirect::to("/submissions?notice=draft_deleted").into_response())
}
