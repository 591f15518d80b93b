//! The curation inbox (SPEC §3): articles from the feeds, one per canonical URL per
//! organization, waiting for a department's leads (items from their department's feeds) or the
//! social team and admins (every item). Each is dismissed, or turned into a submission in one
//! action.
//!
//! The submission is created **and submitted for review** by default: the curator's choice of
//! the article is the contribution, and the normal workflow (lead review where it applies, then
//! the social team, who adapt the caption) takes it from there. Asked for a draft instead
//! (`draft`), or when the guideline engine or the content rules refuse to hand it in, it stays a
//! draft of the curator's to adapt, and the answer says why.

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    submissions,
};
use chorus_domain::{
    CurationItemId, Denied, SubmissionId,
    curation::{self as rules, ItemState},
    pagination::Limit,
    submission::{Kind, Step, content},
};
use chorus_store::{
    Db,
    feeds::{self as store, Decision, Inbox},
    submissions::{Content, NewSubmission},
};

pub use chorus_store::feeds::Item;

fn inbox(caller: &Caller) -> Result<Inbox> {
    rules::may_curate(&caller.actor)?;
    if rules::is_team(&caller.actor) {
        return Ok(Inbox::All);
    }
    let me = caller.actor.user_id.ok_or(Error::Forbidden(Denied("sign in as a person to do this")))?;
    Ok(Inbox::LedBy(me))
}

/// One page of the caller's inbox in one state, newest first (`limit + 1` rows: see
/// `Page::from_overfetch`).
pub async fn list(
    app: &App,
    caller: &Caller,
    state: ItemState,
    before: Option<CurationItemId>,
    limit: Limit,
) -> Result<Vec<Item>> {
    let inbox = inbox(caller)?;
    let mut db = app.store.conn().await?;
    Ok(store::list_items(&mut db, caller.org_id(), inbox, state, before, limit.get()).await?)
}

/// How many items of the caller's inbox are in each state.
pub async fn counts(app: &App, caller: &Caller) -> Result<Vec<(ItemState, i64)>> {
    let inbox = inbox(caller)?;
    let mut db = app.store.conn().await?;
    let raw = store::count_items(&mut db, caller.org_id(), inbox).await?;
    Ok(ItemState::ALL
        .into_iter()
        .map(|s| (s, raw.iter().find(|(k, _)| k == s.as_str()).map_or(0, |(_, n)| *n)))
        .collect())
}

/// Loads an item the caller may act on: another organization's answers 404; an item from
/// another department's feeds 403.
async fn load(db: &mut impl Db, caller: &Caller, id: CurationItemId) -> Result<Item> {
    rules::may_curate(&caller.actor)?;
    let org = caller.org_id();
    let item = store::get_item(db, org, id).await?.ok_or(Error::NotFound)?;
    let departments = store::item_departments(db, org, id).await?;
    if !rules::may_act_on_item(&caller.actor, &departments) {
        return Err(Denied("this item came from another department's feeds").into());
    }
    Ok(item)
}

pub async fn get(app: &App, caller: &Caller, id: CurationItemId) -> Result<Item> {
    let mut db = app.store.conn().await?;
    load(&mut db, caller, id).await
}

/// Not for us. A dismissed item can still become a submission later.
pub async fn dismiss(app: &App, caller: &Caller, id: CurationItemId) -> Result<Item> {
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let item = load(&mut tx, caller, id).await?;
    item.state.may_dismiss().map_err(|m| Error::Conflict(m.to_owned()))?;
    let d = Decision {
        from: item.state,
        to: ItemState::Dismissed,
        submission_id: None,
        by: caller.actor.user_id,
        at: now,
    };
    if !store::decide_item(&mut tx, org, id, &d).await? {
        return Err(Error::Conflict("someone decided on this item meanwhile; reload the inbox".into()));
    }
    audit::record(&mut tx, org, caller, now, Entry::new("curation.dismissed").target("curation_item", id))
        .await?;
    let item = store::get_item(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(item)
}

/// What turning an item into a submission gave.
#[derive(Debug, Clone)]
pub struct Converted {
    pub item: Item,
    pub submission: submissions::Detail,
    /// Why it stayed a draft although it was meant to be submitted (guideline findings, a
    /// content rule), in words for the curator.
    pub not_submitted: Option<String>,
}

/// Turns an item into an `article` submission by the caller: the item's title, its canonical
/// link, and a body quoting the summary and crediting the source. The submission and the item's
/// new state commit together, once: a second attempt (or a second curator at the same moment)
/// gets a conflict. Then, unless `draft`, the submission is handed in for review.
pub async fn to_submission(app: &App, caller: &Caller, id: CurationItemId, draft: bool) -> Result<Converted> {
    let author = caller.actor.user_id.ok_or(Error::Forbidden(Denied("sign in as a person to do this")))?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let item = load(&mut tx, caller, id).await?;
    item.state.may_submit().map_err(|m| Error::Conflict(m.to_owned()))?;
    let title: String = item.title.chars().take(content::TITLE_MAX).collect();
    let content = Content {
        title: content::title(&title).unwrap_or_else(|_| "An article worth sharing".to_owned()),
        body: content::body(&rules::submission_body(
            &item.summary,
            &item.source_title,
            item.author.as_deref(),
            &item.canonical_url,
        ))?,
        link: content::link(&item.canonical_url)?,
        tags: vec![],
        channels: vec![],
        campaign_id: None,
    };
    let sid = SubmissionId::new();
    let new = NewSubmission {
        id: sid,
        author_id: author,
        department_id: caller.actor.department_id,
        kind: Kind::Article,
        content: content.clone(),
        promoted_from: None,
    };
    chorus_store::submissions::insert(&mut tx, org, &new, now).await?;
    chorus_store::submissions::insert_revision(
        &mut tx,
        org,
        sid,
        1,
        author,
        &content,
        "created from the curation inbox",
        now,
    )
    .await?;
    if let Some(link) = &content.link {
        crate::previews::queue(&mut tx, org, sid, link, now).await?;
    }
    let d = Decision {
        from: item.state,
        to: ItemState::Submitted,
        submission_id: Some(sid),
        by: Some(author),
        at: now,
    };
    if !store::decide_item(&mut tx, org, id, &d).await? {
        return Err(Error::Conflict("someone decided on this item meanwhile; reload the inbox".into()));
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("curation.submitted")
            .target("curation_item", id)
            .detail(serde_json::json!({"submission_id": sid, "url": item.canonical_url})),
    )
    .await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("submission.created").target("submission", sid).detail(
            serde_json::json!({"kind": Kind::Article.as_str(), "title": content.title, "from": "curation"}),
        ),
    )
    .await?;
    tx.commit().await?;
    app.queue.wake();
    let mut not_submitted = None;
    let submission = if draft {
        submissions::get(app, caller, sid).await?
    } else {
        match submissions::step(app, caller, sid, Step::Submit, "", None).await {
            Ok(d) => d,
            Err(e @ (Error::Invalid(_) | Error::Conflict(_) | Error::Forbidden(_))) => {
                not_submitted = Some(e.to_string());
                submissions::get(app, caller, sid).await?
            }
            Err(e) => return Err(e),
        }
    };
    let mut db = app.store.conn().await?;
    let item = store::get_item(&mut db, org, id).await?.ok_or(Error::NotFound)?;
    Ok(Converted { item, submission, not_submitted })
}
