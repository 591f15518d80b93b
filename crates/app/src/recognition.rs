//! Recognition: shout-outs, points, badges, leaderboards and rewards.
//!
//! Points are paid inside the transaction of the action that earns them (handing in, approval,
//! publication, sharing, training, the policy, thanks), so the two commit together; the ledger's
//! unique key makes every payment idempotent, and `replay` re-derives payments from what is
//! stored (when the programme starts after content already exists, or after a restore).

use crate::{
    App, Error, Result,
    audit::{self, Entry},
    me::Caller,
    notify::{self, News},
};
use chorus_domain::{
    Action, Denied, DepartmentId, OrgId, RedemptionId, RewardId, ShoutoutId, SubmissionId, UserId,
    UserStatus, authorize,
    clock::from_millis,
    pagination::Limit,
    recognition::{self as rules, Badge, Period, PointEvent, RedemptionStatus, source},
};
use chorus_store::{Db, recognition as store, users};
use time::OffsetDateTime;
use uuid::Uuid;

pub use chorus_store::recognition::{LedgerRow, Redemption, Reward, Shoutout, Standing};

fn person(caller: &Caller) -> Result<UserId> {
    caller.actor.user_id.ok_or(Error::Forbidden(Denied("only a person can do this")))
}

/// What an event pays in this organization now.
async fn weight(db: &mut impl Db, org: OrgId, event: PointEvent) -> Result<i64> {
    Ok(store::rule(db, org, event.as_str()).await?.unwrap_or_else(|| event.default_points()))
}

/// Pays one event to one person, once per source. Answers whether it paid now.
pub async fn pay(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    event: PointEvent,
    source: &str,
    now: OffsetDateTime,
) -> Result<bool> {
    let points = weight(db, org, event).await?;
    let payment =
        store::Payment { user, event: event.as_str(), points, reason: event.label(), source, earned: true };
    Ok(store::pay(db, org, &payment, now).await?)
}

/// Pays every author of an item (co-authors share the credit in full).
pub async fn pay_authors(
    db: &mut impl Db,
    org: OrgId,
    authors: &[UserId],
    event: PointEvent,
    item: SubmissionId,
    now: OffsetDateTime,
) -> Result<()> {
    let source = source::submission(item);
    for author in authors {
        pay(db, org, *author, event, &source, now).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Shout-outs

#[derive(Debug, Clone, Default)]
pub struct ShoutoutInput {
    pub to: Option<UserId>,
    pub message: String,
    pub submission_id: Option<SubmissionId>,
    pub share_id: Option<Uuid>,
}

/// A reaction on a shout-out, as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub key: &'static str,
    pub emoji: &'static str,
    pub count: i64,
    pub mine: bool,
}

#[derive(Debug, Clone)]
pub struct ShoutoutView {
    pub shoutout: Shoutout,
    pub reactions: Vec<Reaction>,
}

/// Thanks a colleague in public. The recipient is told, and earns points (once per thanking
/// person per day).
pub async fn post_shoutout(app: &App, caller: &Caller, input: ShoutoutInput) -> Result<ShoutoutView> {
    let from = person(caller)?;
    let org = caller.org_id();
    let message = rules::message(&input.message).map_err(|e| Error::Invalid(vec![e]))?;
    let to = input.to.ok_or_else(|| {
        Error::Invalid(vec![chorus_domain::Invalid::new("to", "choose who you are thanking")])
    })?;
    if to == from {
        return Err(
            chorus_domain::Invalid::new("to", "thank someone else: a shout-out is for a colleague").into()
        );
    }
    // The item must be one the caller may see: the feed is public in the organization, and it
    // shows the item's title (a draft's title is its authors' business).
    if let Some(item) = input.submission_id {
        match crate::submissions::get(app, caller, item).await {
            Ok(_) => {}
            Err(Error::NotFound | Error::Forbidden(_)) => {
                return Err(chorus_domain::Invalid::new("submission_id", "is not an item you can see").into());
            }
            Err(e) => return Err(e),
        }
    }
    let now = app.now();
    let mut tx = app.store.tx().await?;
    // Someone in another organization is, from here, nobody: the same 404 as an unknown id.
    let recipient = users::get(&mut tx, org, to).await?.ok_or(Error::NotFound)?;
    if recipient.status == UserStatus::Deactivated {
        return Err(chorus_domain::Invalid::new(
            "to",
            format!("{} is no longer active here, so they would never see it", recipient.name),
        )
        .into());
    }
    if let Some(share) = input.share_id
        && store::share_of(&mut tx, org, share).await?.is_none()
    {
        return Err(chorus_domain::Invalid::new("share_id", "is not a share of this organization").into());
    }
    let id = ShoutoutId::new();
    let new = store::NewShoutout {
        id,
        from,
        to,
        message: &message,
        submission_id: input.submission_id,
        share_id: input.share_id,
    };
    store::insert_shoutout(&mut tx, org, &new, now).await?;
    pay(&mut tx, org, to, PointEvent::ShoutoutReceived, &source::thanks(from, now.date()), now).await?;
    let news = News {
        kind: "shoutout.received",
        title: format!("{} thanked you: “{}”", caller.label, ellipsis(&message, 80)),
        link: format!("/shoutouts/people/{to}"),
    };
    notify::send(&mut tx, app, org, vec![to], Some(from), &news, now).await?;
    let link = format!("/shoutouts/people/{to}");
    let chat = crate::chat::ShoutOut {
        from_name: &caller.label,
        to_name: &recipient.name,
        message: &message,
        link: &link,
    };
    crate::chat::shoutout_posted(&mut tx, app, org, &chat, now).await?;
    let shoutout = store::shoutout_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ShoutoutView { shoutout, reactions: empty_reactions() })
}

fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn empty_reactions() -> Vec<Reaction> {
    rules::REACTIONS.iter().map(|(key, emoji)| Reaction { key, emoji, count: 0, mine: false }).collect()
}

/// Every reaction of one shout-out, in the fixed order, with its count and the viewer's own.
fn reactions_of(id: ShoutoutId, counts: &[store::ReactionCount]) -> Vec<Reaction> {
    let mut reactions = empty_reactions();
    for c in counts.iter().filter(|c| c.shoutout_id == id) {
        if let Some(r) = reactions.iter_mut().find(|r| r.key == c.reaction) {
            r.count = c.count;
            r.mine = c.mine;
        }
    }
    reactions
}

/// The company feed, or one person's wall (`to`), newest first. Everyone in the organization
/// reads both: thanks are public by design.
pub async fn shoutouts(
    app: &App,
    caller: &Caller,
    to: Option<UserId>,
    before: Option<ShoutoutId>,
    limit: Limit,
) -> Result<Vec<ShoutoutView>> {
    let org = caller.org_id();
    let mut db = app.store.conn().await?;
    if let Some(to) = to
        && users::get(&mut db, org, to).await?.is_none()
    {
        return Err(Error::NotFound);
    }
    let list = store::shoutouts(&mut db, org, to, before, limit.get() + 1).await?;
    let ids: Vec<ShoutoutId> = list.iter().map(|s| s.id).collect();
    let counts = store::reactions(&mut db, &ids, caller.actor.user_id).await?;
    Ok(list
        .into_iter()
        .map(|shoutout| {
            let reactions = reactions_of(shoutout.id, &counts);
            ShoutoutView { shoutout, reactions }
        })
        .collect())
}

/// Adds or takes back the caller's reaction.
pub async fn react(
    app: &App,
    caller: &Caller,
    id: ShoutoutId,
    reaction: &str,
    on: bool,
) -> Result<ShoutoutView> {
    let me = person(caller)?;
    let key = rules::reaction(reaction).map_err(|e| Error::Invalid(vec![e]))?;
    let org = caller.org_id();
    let mut tx = app.store.tx().await?;
    store::shoutout_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    store::react(&mut tx, id, me, key, on, app.now()).await?;
    tx.commit().await?;
    let mut db = app.store.conn().await?;
    let shoutout = store::shoutout_by_id(&mut db, org, id).await?.ok_or(Error::NotFound)?;
    let counts = store::reactions(&mut db, &[id], Some(me)).await?;
    Ok(ShoutoutView { reactions: reactions_of(id, &counts), shoutout })
}

// ---------------------------------------------------------------------------------------------
// Points and badges

#[derive(Debug, Clone)]
pub struct PointsView {
    pub user_id: UserId,
    pub name: String,
    /// What they may spend.
    pub balance: i64,
    /// Earned, all time and this month.
    pub earned: i64,
    pub earned_this_month: i64,
    pub badges: Vec<Badge>,
    pub history: Vec<LedgerRow>,
}

/// A person's points, badges and history: their own, or anyone's for admins.
pub async fn points(
    app: &App,
    caller: &Caller,
    who: Option<UserId>,
    before: Option<Uuid>,
    limit: Limit,
) -> Result<PointsView> {
    let org = caller.org_id();
    let user = match who {
        Some(u) if Some(u) != caller.actor.user_id => {
            authorize(&caller.actor, Action::ManageEnablement)
                .map_err(|_| Denied("only owners and admins can see someone else's points"))?;
            u
        }
        _ => person(caller)?,
    };
    let now = app.now();
    let mut db = app.store.conn().await?;
    let u = users::get(&mut db, org, user).await?.ok_or(Error::NotFound)?;
    let counts = store::event_counts(&mut db, org, user).await?;
    let count_of = |e: PointEvent| counts.iter().find(|(name, _)| name == e.as_str()).map_or(0, |(_, n)| *n);
    Ok(PointsView {
        user_id: user,
        name: u.name,
        balance: store::balance(&mut db, org, user).await?,
        earned: store::earned(&mut db, org, user, &Period::All.key(now)).await?,
        earned_this_month: store::earned(&mut db, org, user, &Period::Month.key(now)).await?,
        badges: rules::badges(count_of),
        history: store::history(&mut db, org, user, before, limit.get() + 1).await?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    pub event: PointEvent,
    pub points: i64,
    pub default: i64,
}

/// What each event pays (everyone may read the rules: no hidden scoring).
pub async fn rules(app: &App, caller: &Caller) -> Result<Vec<RuleView>> {
    let mut db = app.store.conn().await?;
    let set = store::rules(&mut db, caller.org_id()).await?;
    Ok(PointEvent::ALL
        .into_iter()
        .map(|event| RuleView {
            event,
            points: set.iter().find(|(e, _)| e == event.as_str()).map_or(event.default_points(), |(_, p)| *p),
            default: event.default_points(),
        })
        .collect())
}

/// Changes what an event pays from now on (payments already made stay).
pub async fn set_rule(app: &App, caller: &Caller, event: &str, points: i64) -> Result<RuleView> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let event: PointEvent = event.parse().map_err(|e| Error::Invalid(vec![e]))?;
    let points = rules::rule_points(points).map_err(|e| Error::Invalid(vec![e]))?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    store::set_rule(&mut tx, org, event.as_str(), points, now).await?;
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("points.rule_changed")
            .detail(serde_json::json!({"event": event.as_str(), "points": points})),
    )
    .await?;
    tx.commit().await?;
    Ok(RuleView { event, points, default: event.default_points() })
}

/// Re-derives every payment from what is stored and pays what is missing; what was paid is
/// never paid again. Answers how many payments were made now.
pub async fn replay(app: &App, caller: &Caller) -> Result<u64> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let mut paid = 0u64;
    let mut count = |done: bool| paid += u64::from(done);
    let facts = [
        (
            PointEvent::ContributionSubmitted,
            store::contribution_facts(&mut tx, org, &["lead_review", "team_review"]).await?,
        ),
        (PointEvent::ContributionApproved, store::contribution_facts(&mut tx, org, &["approved"]).await?),
        (PointEvent::ContributionPublished, store::published_facts(&mut tx, org).await?),
        (PointEvent::ContentShared, store::share_facts(&mut tx, org).await?),
    ];
    for (event, pairs) in facts {
        for (user, item) in pairs {
            count(pay(&mut tx, org, user.into(), event, &source::submission(item.into()), now).await?);
        }
    }
    for (share, user, clicks) in store::share_clicks(&mut tx, org).await? {
        for m in rules::milestones_crossed(0, clicks) {
            count(
                pay(
                    &mut tx,
                    org,
                    user.into(),
                    PointEvent::ClicksMilestone,
                    &source::milestone(share, m),
                    now,
                )
                .await?,
            );
        }
    }
    for (user, version) in store::acknowledgement_facts(&mut tx, org).await? {
        let src = source::policy(version.into());
        count(pay(&mut tx, org, user.into(), PointEvent::PolicyAcknowledged, &src, now).await?);
    }
    for (to, from, at) in store::thanks_facts(&mut tx, org).await? {
        let src = source::thanks(from.into(), from_millis(at).date());
        count(pay(&mut tx, org, to.into(), PointEvent::ShoutoutReceived, &src, now).await?);
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("points.replayed").detail(serde_json::json!({"paid": paid})),
    )
    .await?;
    tx.commit().await?;
    Ok(paid)
}

/// After a click roll-up: pays the sharers of shares that crossed a milestone (any
/// organization). Idempotent, so a second worker or a rerun pays nothing more.
pub async fn pay_click_milestones(app: &App, rolled_since: i64) -> Result<u64> {
    let now = app.now();
    let mut db = app.store.conn().await?;
    let shares = store::recently_clicked(&mut db, rolled_since).await?;
    drop(db);
    let mut paid = 0;
    for (share, org, user, clicks) in shares {
        if clicks < rules::CLICK_MILESTONES[0] {
            continue;
        }
        let mut tx = app.store.tx().await?;
        for m in rules::milestones_crossed(0, clicks) {
            let src = source::milestone(share, m);
            paid += u64::from(
                pay(&mut tx, org.into(), user.into(), PointEvent::ClicksMilestone, &src, now).await?,
            );
        }
        tx.commit().await?;
    }
    Ok(paid)
}

// ---------------------------------------------------------------------------------------------
// Leaderboards

#[derive(Debug, Clone)]
pub struct Ranked {
    pub rank: u32,
    pub standing: Standing,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub period: Period,
    pub department: Option<DepartmentId>,
    pub top: Vec<Ranked>,
    /// The caller's own points in the period and whether they opted out. Their rank is not
    /// shown unless they are on the board: nobody is shown how far down they are.
    pub my_points: i64,
    pub opted_out: bool,
}

/// How many people a leaderboard shows: a celebration of the most active, not a ranking of all.
pub const BOARD_SIZE: u32 = 20;

/// Boards are read far more often than they change meaningfully: each (organization, period,
/// department) board is kept this long in memory, so a busy page costs a lookup, not a query.
/// A person who opts out or back in clears their organization's boards at once, on every instance.
const BOARD_TTL: std::time::Duration = std::time::Duration::from_secs(5);

type BoardKey = (OrgId, String, Option<DepartmentId>);

/// A board as computed, and when.
type CachedBoard = (std::time::Instant, std::sync::Arc<Vec<Standing>>);

/// The top of recent boards, kept briefly (see [`BOARD_TTL`]).
#[derive(Default)]
pub struct BoardCache {
    boards: std::sync::Mutex<std::collections::HashMap<BoardKey, CachedBoard>>,
}

impl std::fmt::Debug for BoardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoardCache")
    }
}

impl BoardCache {
    fn get(&self, key: &BoardKey) -> Option<std::sync::Arc<Vec<Standing>>> {
        let boards = self.boards.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        boards.get(key).filter(|(at, _)| at.elapsed() < BOARD_TTL).map(|(_, b)| std::sync::Arc::clone(b))
    }

    fn put(&self, key: BoardKey, board: std::sync::Arc<Vec<Standing>>) {
        let mut boards = self.boards.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Old entries go when the map grows: it holds a few boards per organization.
        if boards.len() > 10_000 {
            boards.retain(|_, (at, _)| at.elapsed() < BOARD_TTL);
        }
        boards.insert(key, (std::time::Instant::now(), board));
    }

    pub(crate) fn clear(&self) {
        self.boards.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    pub(crate) fn forget(&self, org: OrgId) {
        let mut boards = self.boards.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        boards.retain(|(o, _, _), _| *o != org);
    }
}

pub async fn leaderboard(
    app: &App,
    caller: &Caller,
    period: Period,
    department: Option<DepartmentId>,
) -> Result<Board> {
    let org = caller.org_id();
    let now = app.now();
    let key = period.key(now);
    let mut db = app.store.conn().await?;
    let cache_key = (org, key.clone(), department);
    let rows = match app.boards.get(&cache_key) {
        Some(rows) => rows,
        None => {
            let rows =
                std::sync::Arc::new(store::leaderboard(&mut db, org, &key, department, BOARD_SIZE).await?);
            app.boards.put(cache_key, std::sync::Arc::clone(&rows));
            rows
        }
    };
    let rows = rows.iter().cloned();
    let mut top = Vec::with_capacity(rows.len());
    let mut rank = 0;
    let mut last = None;
    for (i, standing) in rows.into_iter().enumerate() {
        if last != Some(standing.points) {
            rank = u32::try_from(i).unwrap_or(u32::MAX) + 1;
            last = Some(standing.points);
        }
        top.push(Ranked { rank, standing });
    }
    let (my_points, opted_out) = match caller.actor.user_id {
        Some(me) => (store::earned(&mut db, org, me, &key).await?, store::opted_out(&mut db, org, me).await?),
        None => (0, false),
    };
    Ok(Board { period, department, top, my_points, opted_out })
}

/// The caller leaves (true) or rejoins (false) every leaderboard. Their points stay theirs.
pub async fn set_opt_out(app: &App, caller: &Caller, out: bool) -> Result<()> {
    let me = person(caller)?;
    let mut tx = app.store.tx().await?;
    store::set_opt_out(&mut tx, caller.org_id(), me, out, app.now()).await?;
    crate::changes::announce(&mut tx, crate::changes::Change::Boards(caller.org_id())).await?;
    tx.commit().await?;
    // At once here; other instances when the signal reaches them.
    app.boards.forget(caller.org_id());
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rewards

#[derive(Debug, Clone, Default)]
pub struct RewardInput {
    pub name: String,
    pub description: String,
    pub cost: i64,
    pub stock: Option<i64>,
    pub active: bool,
}

fn checked(input: RewardInput) -> Result<RewardInput> {
    let mut errors = Vec::new();
    let name = rules::reward_name(&input.name).map_err(|e| errors.push(e)).unwrap_or_default();
    let cost = rules::cost(input.cost).map_err(|e| errors.push(e)).unwrap_or_default();
    let stock = rules::stock(input.stock).map_err(|e| errors.push(e)).unwrap_or_default();
    let description = input.description.trim().to_owned();
    if description.chars().count() > 2_000 {
        errors.push(chorus_domain::Invalid::new("description", "is longer than 2,000 characters"));
    }
    if errors.is_empty() {
        Ok(RewardInput { name, description, cost, stock, active: input.active })
    } else {
        Err(Error::Invalid(errors))
    }
}

/// The catalog: active rewards for everyone; admins also see retired ones.
pub async fn rewards(app: &App, caller: &Caller) -> Result<Vec<Reward>> {
    let admin = authorize(&caller.actor, Action::ManageEnablement).is_ok();
    let mut db = app.store.conn().await?;
    Ok(store::rewards(&mut db, caller.org_id(), admin).await?)
}

pub async fn create_reward(app: &App, caller: &Caller, input: RewardInput) -> Result<Reward> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let input = checked(input)?;
    let org = caller.org_id();
    let now = app.now();
    let reward = Reward {
        id: RewardId::new(),
        name: input.name,
        description: input.description,
        cost: input.cost,
        stock: input.stock,
        active: true,
        created_at: now,
    };
    let mut tx = app.store.tx().await?;
    store::insert_reward(&mut tx, org, &reward).await?;
    audit::record(&mut tx, org, caller, now, Entry::new("reward.created").target("reward", reward.id))
        .await?;
    tx.commit().await?;
    Ok(reward)
}

pub async fn update_reward(app: &App, caller: &Caller, id: RewardId, input: RewardInput) -> Result<Reward> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let input = checked(input)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let old = store::reward_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let reward = Reward {
        name: input.name,
        description: input.description,
        cost: input.cost,
        stock: input.stock,
        active: input.active,
        ..old
    };
    store::update_reward(&mut tx, org, &reward).await?;
    audit::record(&mut tx, org, caller, now, Entry::new("reward.updated").target("reward", id)).await?;
    tx.commit().await?;
    Ok(reward)
}

/// Asks for a reward: the points are set aside at once (so two requests cannot spend the same
/// points), and an admin approves or rejects; a rejection gives them back.
pub async fn redeem(app: &App, caller: &Caller, reward: RewardId) -> Result<Redemption> {
    let me = person(caller)?;
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let r = store::reward_by_id(&mut tx, org, reward).await?.ok_or(Error::NotFound)?;
    if !r.active {
        return Err(Error::Conflict(format!("“{}” is no longer offered", r.name)));
    }
    if !store::spend(&mut tx, org, me, r.cost).await? {
        let balance = store::balance(&mut tx, org, me).await?;
        return Err(Error::Conflict(format!(
            "“{}” costs {} points and you have {balance}; your points stay as they are",
            r.name, r.cost
        )));
    }
    if !store::take_stock(&mut tx, org, reward).await? {
        // Dropping the transaction undoes the spend above.
        return Err(Error::Conflict(format!("“{}” is out of stock", r.name)));
    }
    let id = RedemptionId::new();
    store::insert_redemption(&mut tx, org, id, reward, me, r.cost, now).await?;
    let spend = store::Payment {
        user: me,
        event: rules::REDEEMED,
        points: -r.cost,
        reason: &format!("Asked for “{}”", r.name),
        source: &format!("redemption:{id}"),
        earned: false,
    };
    store::record_spend(&mut tx, org, &spend, now).await?;
    let admins = store::admins(&mut tx, org).await?;
    let news = News {
        kind: "reward.requested",
        title: format!("{} asked for “{}”", caller.label, r.name),
        link: "/rewards".into(),
    };
    notify::send(&mut tx, app, org, admins, Some(me), &news, now).await?;
    let redemption = store::redemption_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(redemption)
}

/// Requests: the caller's own, or everyone's for admins (`all`).
pub async fn redemptions(app: &App, caller: &Caller, all: bool) -> Result<Vec<Redemption>> {
    let mut db = app.store.conn().await?;
    let org = caller.org_id();
    if all {
        authorize(&caller.actor, Action::ManageEnablement)?;
        Ok(store::redemptions(&mut db, org, None, 200).await?)
    } else {
        Ok(store::redemptions(&mut db, org, Some(person(caller)?), 200).await?)
    }
}

/// An admin approves or rejects a pending request; a rejection refunds the points and the stock.
pub async fn decide(
    app: &App,
    caller: &Caller,
    id: RedemptionId,
    approve: bool,
    note: &str,
) -> Result<Redemption> {
    authorize(&caller.actor, Action::ManageEnablement)?;
    let by = person(caller)?;
    let note = note.trim();
    if note.chars().count() > 1_000 {
        return Err(chorus_domain::Invalid::new("note", "is longer than 1,000 characters").into());
    }
    let org = caller.org_id();
    let now = app.now();
    let mut tx = app.store.tx().await?;
    let r = store::redemption_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    let status = RedemptionStatus::parse(&r.status)
        .ok_or_else(|| anyhow::anyhow!("redemption {id} has status {:?}", r.status))?
        .decide(approve)
        .map_err(|m| Error::Conflict(m.into()))?;
    if !store::decide_redemption(&mut tx, org, id, status.as_str(), note, by, now).await? {
        return Err(Error::Conflict("this request has already been decided".into()));
    }
    if status == RedemptionStatus::Rejected {
        let refund = store::Payment {
            user: r.user_id,
            event: rules::REFUNDED,
            points: r.cost,
            reason: &format!("“{}” was not granted", r.reward_name),
            source: &format!("redemption:{id}"),
            earned: false,
        };
        store::pay(&mut tx, org, &refund, now).await?;
        store::return_stock(&mut tx, org, r.reward_id).await?;
    }
    audit::record(
        &mut tx,
        org,
        caller,
        now,
        Entry::new("reward.decided")
            .target("redemption", id)
            .detail(serde_json::json!({"status": status.as_str()})),
    )
    .await?;
    let verdict = if approve { "was approved" } else { "was not granted; your points are back" };
    let news = News {
        kind: "reward.decided",
        title: format!("Your request for “{}” {verdict}", r.reward_name),
        link: "/rewards".into(),
    };
    notify::send(&mut tx, app, org, vec![r.user_id], Some(by), &news, now).await?;
    let r = store::redemption_by_id(&mut tx, org, id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(r)
}

/// Active colleagues of the caller, by name (whom a shout-out can go to).
pub async fn colleagues(app: &App, caller: &Caller) -> Result<Vec<(UserId, String)>> {
    let filter = users::ListFilter { status: Some(UserStatus::Active), ..Default::default() };
    let mut db = app.store.conn().await?;
    Ok(users::list_by_name(&mut db, caller.org_id(), &filter, 1_000)
        .await?
        .into_iter()
        .filter(|u| Some(u.id) != caller.actor.user_id)
        .map(|u| (u.id, u.name))
        .collect())
}
