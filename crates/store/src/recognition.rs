//! Shout-outs, the points ledger with its roll-ups and balances, leaderboards, rewards and
//! redemptions (migration 0016).

use crate::{Db, Result, run};
use chorus_domain::{
    DepartmentId, OrgId, RedemptionId, RewardId, ShoutoutId, SubmissionId, UserId,
    clock::{from_millis, to_millis},
    recognition::period_keys,
};
use time::OffsetDateTime;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// The ledger

/// One payment (or, with negative points, a spend).
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    pub user: UserId,
    pub event: &'a str,
    pub points: i64,
    pub reason: &'a str,
    pub source: &'a str,
    /// Earned points count on leaderboards; spending and refunds only move the balance.
    pub earned: bool,
}

/// Writes a payment once. Answers false when this (event, person, source) was already paid: the
/// unique key makes replays harmless, and nothing else changes then.
pub async fn pay(db: &mut impl Db, org: OrgId, p: &Payment<'_>, now: OffsetDateTime) -> Result<bool> {
    const LEDGER: &str = "insert into point_ledger (id, org_id, user_id, event, points, reason, source_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (org_id, event, user_id, source_id) do nothing";
    let inserted = run!(db, |c| sqlx::query(LEDGER)
        .bind(Uuid::now_v7())
        .bind(org.0)
        .bind(p.user.0)
        .bind(p.event)
        .bind(p.points)
        .bind(p.reason)
        .bind(p.source)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if inserted == 0 || p.points == 0 {
        return Ok(inserted > 0);
    }
    if p.earned {
        const TOTALS: &str = "insert into point_totals (org_id, period, user_id, points) values \
             ($1, $2, $3, $4), ($1, $5, $3, $4), ($1, $6, $3, $4), ($1, $7, $3, $4) \
             on conflict (org_id, period, user_id) do update set points = point_totals.points + excluded.points";
        let [a, b, c2, d] = period_keys(now);
        run!(db, |c| sqlx::query(TOTALS)
            .bind(org.0)
            .bind(&a)
            .bind(p.user.0)
            .bind(p.points)
            .bind(&b)
            .bind(&c2)
            .bind(&d)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    const BALANCE: &str = "insert into point_balances (org_id, user_id, balance) values ($1, $2, $3) \
         on conflict (org_id, user_id) do update set balance = point_balances.balance + excluded.balance";
    run!(db, |c| sqlx::query(BALANCE)
        .bind(org.0)
        .bind(p.user.0)
        .bind(p.points)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(true)
}

/// Takes `cost` from a balance only if it covers it, in one statement: two redemptions at once
/// cannot both pass (the row lock on PostgreSQL, the write gate on SQLite). False when it does
/// not cover it.
pub async fn spend(db: &mut impl Db, org: OrgId, user: UserId, cost: i64) -> Result<bool> {
    const SQL: &str = "update point_balances set balance = balance - $3 \
         where org_id = $1 and user_id = $2 and balance >= $3";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(cost)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records a spend in the ledger after `spend` took it from the balance.
pub async fn record_spend(db: &mut impl Db, org: OrgId, p: &Payment<'_>, now: OffsetDateTime) -> Result<()> {
    const SQL: &str = "insert into point_ledger (id, org_id, user_id, event, points, reason, source_id, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(Uuid::now_v7())
        .bind(org.0)
        .bind(p.user.0)
        .bind(p.event)
        .bind(p.points)
        .bind(p.reason)
        .bind(p.source)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn balance(db: &mut impl Db, org: OrgId, user: UserId) -> Result<i64> {
    const SQL: &str = "select balance from point_balances where org_id = $1 and user_id = $2";
    let row: Option<(i64,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_optional(c).await)?;
    Ok(row.map_or(0, |r| r.0))
}

/// Points earned in a period (a roll-up key such as `all` or `m2026-12`).
pub async fn earned(db: &mut impl Db, org: OrgId, user: UserId, period: &str) -> Result<i64> {
    const SQL: &str = "select points from point_totals where org_id = $1 and period = $2 and user_id = $3";
    let row: Option<(i64,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(period).bind(user.0).fetch_optional(c).await)?;
    Ok(row.map_or(0, |r| r.0))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: Uuid,
    pub event: String,
    pub points: i64,
    pub reason: String,
    pub source: String,
    pub at: OffsetDateTime,
}

/// A person's history, newest first, before the cursor (a ledger id).
pub async fn history(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    before: Option<Uuid>,
    limit: u32,
) -> Result<Vec<LedgerRow>> {
    const SQL: &str = "select id, event, points, reason, source_id, created_at from point_ledger \
         where org_id = $1 and user_id = $2 and id < $3 order by id desc limit $4";
    type R = (Uuid, String, i64, String, String, i64);
    let rows: Vec<R> = run!(db, |c| sqlx::query_as(SQL)
        .bind(org.0)
        .bind(user.0)
        .bind(before.unwrap_or(Uuid::max()))
        .bind(i64::from(limit))
        .fetch_all(c)
        .await)?;
    Ok(rows
        .into_iter()
        .map(|(id, event, points, reason, source, at)| LedgerRow {
            id,
            event,
            points,
            reason,
            source,
            at: from_millis(at),
        })
        .collect())
}

/// How many times each event paid the person (what badges are made of).
pub async fn event_counts(db: &mut impl Db, org: OrgId, user: UserId) -> Result<Vec<(String, i64)>> {
    const SQL: &str = "select event, count(*) from point_ledger where org_id = $1 and user_id = $2 \
         group by event";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_all(c).await).map_err(Into::into)
}

// ---------------------------------------------------------------------------------------------
// Rules

/// The weights an organization set; events without a row pay their default.
pub async fn rules(db: &mut impl Db, org: OrgId) -> Result<Vec<(String, i64)>> {
    const SQL: &str = "select event, points from point_rules where org_id = $1";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

pub async fn rule(db: &mut impl Db, org: OrgId, event: &str) -> Result<Option<i64>> {
    const SQL: &str = "select points from point_rules where org_id = $1 and event = $2";
    let row: Option<(i64,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(event).fetch_optional(c).await)?;
    Ok(row.map(|r| r.0))
}

pub async fn set_rule(
    db: &mut impl Db,
    org: OrgId,
    event: &str,
    points: i64,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into point_rules (org_id, event, points, updated_at) values ($1, $2, $3, $4) \
         on conflict (org_id, event) do update set points = excluded.points, updated_at = excluded.updated_at";
    run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(event)
        .bind(points)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Leaderboards

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub user_id: UserId,
    pub name: String,
    pub department: Option<String>,
    pub points: i64,
}

type StandingRow = (Uuid, String, Option<String>, i64);

fn standing(r: StandingRow) -> Standing {
    Standing { user_id: r.0.into(), name: r.1, department: r.2, points: r.3 }
}

/// The top of a period's leaderboard: active people who did not opt out, most points first.
/// The roll-up index is read in order and the scan stops at `limit`.
pub async fn leaderboard(
    db: &mut impl Db,
    org: OrgId,
    period: &str,
    department: Option<DepartmentId>,
    limit: u32,
) -> Result<Vec<Standing>> {
    // `cross join` keeps the roll-up as the outer loop on SQLite (it walks the rank index and
    // stops at the limit) instead of starting from a department's people; PostgreSQL plans it
    // as the inner join it is.
    const ALL: &str = "select t.user_id, u.name, d.name, t.points from point_totals t \
         cross join users u \
         left join departments d on d.id = u.department_id \
         where u.id = t.user_id and t.org_id = $1 and t.period = $2 and t.points > 0 and u.status = 'active' \
           and not exists (select 1 from leaderboard_opt_outs o where o.org_id = t.org_id and o.user_id = t.user_id) \
         order by t.points desc, t.user_id limit $3";
    const ONE: &str = "select t.user_id, u.name, d.name, t.points from point_totals t \
         cross join users u \
         left join departments d on d.id = u.department_id \
         where u.id = t.user_id and t.org_id = $1 and t.period = $2 and t.points > 0 and u.status = 'active' \
           and u.department_id = $4 \
           and not exists (select 1 from leaderboard_opt_outs o where o.org_id = t.org_id and o.user_id = t.user_id) \
         order by t.points desc, t.user_id limit $3";
    let rows: Vec<StandingRow> = match department {
        None => run!(db, |c| sqlx::query_as(ALL)
            .bind(org.0)
            .bind(period)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await)?,
        Some(d) => run!(db, |c| sqlx::query_as(ONE)
            .bind(org.0)
            .bind(period)
            .bind(i64::from(limit))
            .bind(d.0)
            .fetch_all(c)
            .await)?,
    };
    Ok(rows.into_iter().map(standing).collect())
}

pub async fn opted_out(db: &mut impl Db, org: OrgId, user: UserId) -> Result<bool> {
    const SQL: &str = "select 1 from leaderboard_opt_outs where org_id = $1 and user_id = $2";
    let row: Option<(i32,)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(user.0).fetch_optional(c).await)?;
    Ok(row.is_some())
}

pub async fn set_opt_out(
    db: &mut impl Db,
    org: OrgId,
    user: UserId,
    out: bool,
    now: OffsetDateTime,
) -> Result<()> {
    const IN: &str = "delete from leaderboard_opt_outs where org_id = $1 and user_id = $2";
    const OUT: &str = "insert into leaderboard_opt_outs (org_id, user_id, created_at) values ($1, $2, $3) \
         on conflict (org_id, user_id) do nothing";
    if out {
        run!(db, |c| sqlx::query(OUT)
            .bind(org.0)
            .bind(user.0)
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    } else {
        run!(db, |c| sqlx::query(IN).bind(org.0).bind(user.0).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Shout-outs

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shoutout {
    pub id: ShoutoutId,
    pub from_user_id: UserId,
    pub from_name: String,
    pub to_user_id: UserId,
    pub to_name: String,
    pub message: String,
    pub submission_id: Option<SubmissionId>,
    pub submission_title: Option<String>,
    pub share_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

pub struct NewShoutout<'a> {
    pub id: ShoutoutId,
    pub from: UserId,
    pub to: UserId,
    pub message: &'a str,
    pub submission_id: Option<SubmissionId>,
    pub share_id: Option<Uuid>,
}

pub async fn insert_shoutout(
    db: &mut impl Db,
    org: OrgId,
    s: &NewShoutout<'_>,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into shoutouts (id, org_id, from_user_id, to_user_id, message, submission_id, \
         share_id, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(s.id.0)
        .bind(org.0)
        .bind(s.from.0)
        .bind(s.to.0)
        .bind(s.message)
        .bind(s.submission_id.map(|i| i.0))
        .bind(s.share_id)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

type ShoutoutRow =
    (Uuid, Uuid, String, Uuid, String, String, Option<Uuid>, Option<String>, Option<Uuid>, i64);

fn shoutout(r: ShoutoutRow) -> Shoutout {
    Shoutout {
        id: r.0.into(),
        from_user_id: r.1.into(),
        from_name: r.2,
        to_user_id: r.3.into(),
        to_name: r.4,
        message: r.5,
        submission_id: r.6.map(Into::into),
        submission_title: r.7,
        share_id: r.8,
        created_at: from_millis(r.9),
    }
}

macro_rules! shoutout_select {
    () => {
        "select s.id, s.from_user_id, f.name, s.to_user_id, t.name, s.message, s.submission_id, sub.title, \
         s.share_id, s.created_at from shoutouts s \
         join users f on f.id = s.from_user_id \
         join users t on t.id = s.to_user_id \
         left join submissions sub on sub.id = s.submission_id "
    };
}

/// The company feed (`to = None`) or one person's wall, newest first, before the cursor.
pub async fn shoutouts(
    db: &mut impl Db,
    org: OrgId,
    to: Option<UserId>,
    before: Option<ShoutoutId>,
    limit: u32,
) -> Result<Vec<Shoutout>> {
    const FEED: &str =
        concat!(shoutout_select!(), "where s.org_id = $1 and s.id < $2 order by s.id desc limit $3");
    const WALL: &str = concat!(
        shoutout_select!(),
        "where s.org_id = $1 and s.id < $2 and s.to_user_id = $4 order by s.id desc limit $3"
    );
    let before = before.map_or(Uuid::max(), |b| b.0);
    let rows: Vec<ShoutoutRow> = match to {
        None => run!(db, |c| sqlx::query_as(FEED)
            .bind(org.0)
            .bind(before)
            .bind(i64::from(limit))
            .fetch_all(c)
            .await)?,
        Some(to) => run!(db, |c| sqlx::query_as(WALL)
            .bind(org.0)
            .bind(before)
            .bind(i64::from(limit))
            .bind(to.0)
            .fetch_all(c)
            .await)?,
    };
    Ok(rows.into_iter().map(shoutout).collect())
}

pub async fn shoutout_by_id(db: &mut impl Db, org: OrgId, id: ShoutoutId) -> Result<Option<Shoutout>> {
    const SQL: &str = concat!(shoutout_select!(), "where s.org_id = $1 and s.id = $2");
    let row: Option<ShoutoutRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(shoutout))
}

/// Adds (true) or takes back (false) one person's reaction. Answers whether anything changed.
pub async fn react(
    db: &mut impl Db,
    id: ShoutoutId,
    user: UserId,
    reaction: &str,
    on: bool,
    now: OffsetDateTime,
) -> Result<bool> {
    const ADD: &str = "insert into shoutout_reactions (shoutout_id, user_id, reaction, created_at) \
         values ($1, $2, $3, $4) on conflict (shoutout_id, user_id, reaction) do nothing";
    const REMOVE: &str =
        "delete from shoutout_reactions where shoutout_id = $1 and user_id = $2 and reaction = $3";
    let n = if on {
        run!(db, |c| sqlx::query(ADD)
            .bind(id.0)
            .bind(user.0)
            .bind(reaction)
            .bind(to_millis(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?
    } else {
        run!(db, |c| sqlx::query(REMOVE)
            .bind(id.0)
            .bind(user.0)
            .bind(reaction)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?
    };
    Ok(n > 0)
}

/// Reaction counts for some shout-outs, and whether `viewer` gave each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionCount {
    pub shoutout_id: ShoutoutId,
    pub reaction: String,
    pub count: i64,
    pub mine: bool,
}

pub async fn reactions(
    db: &mut impl Db,
    ids: &[ShoutoutId],
    viewer: Option<UserId>,
) -> Result<Vec<ReactionCount>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // A page of shout-outs is at most a hundred: one statement with a numbered list.
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "select shoutout_id, reaction, count(*), \
         cast(sum(case when user_id = $1 then 1 else 0 end) as bigint) \
         from shoutout_reactions where shoutout_id in ({}) group by shoutout_id, reaction",
        list.join(", ")
    );
    let viewer = viewer.map_or(Uuid::nil(), |v| v.0);
    type R = (Uuid, String, i64, i64);
    let rows: Vec<R> = run!(db, |c| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(viewer);
        for id in ids {
            q = q.bind(id.0);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, reaction, count, mine)| ReactionCount {
            shoutout_id: id.into(),
            reaction,
            count,
            mine: mine > 0,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Rewards

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    pub id: RewardId,
    pub name: String,
    pub description: String,
    pub cost: i64,
    pub stock: Option<i64>,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

type RewardRow = (Uuid, String, String, i64, Option<i64>, String, i64);

fn reward(r: RewardRow) -> Reward {
    Reward {
        id: r.0.into(),
        name: r.1,
        description: r.2,
        cost: r.3,
        stock: r.4,
        active: r.5 == "active",
        created_at: from_millis(r.6),
    }
}

pub async fn insert_reward(db: &mut impl Db, org: OrgId, r: &Reward) -> Result<()> {
    const SQL: &str = "insert into rewards (id, org_id, name, description, cost, stock, status, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)";
    run!(db, |c| sqlx::query(SQL)
        .bind(r.id.0)
        .bind(org.0)
        .bind(&r.name)
        .bind(&r.description)
        .bind(r.cost)
        .bind(r.stock)
        .bind(if r.active { "active" } else { "retired" })
        .bind(to_millis(r.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_reward(db: &mut impl Db, org: OrgId, r: &Reward) -> Result<bool> {
    const SQL: &str = "update rewards set name = $3, description = $4, cost = $5, stock = $6, status = $7 \
         where org_id = $1 and id = $2";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(r.id.0)
        .bind(&r.name)
        .bind(&r.description)
        .bind(r.cost)
        .bind(r.stock)
        .bind(if r.active { "active" } else { "retired" })
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The catalog, cheapest first; retired rewards only when asked for.
pub async fn rewards(db: &mut impl Db, org: OrgId, with_retired: bool) -> Result<Vec<Reward>> {
    const SQL: &str = "select id, name, description, cost, stock, status, created_at from rewards \
         where org_id = $1 and (status = 'active' or $2 = 1) order by cost, name";
    let rows: Vec<RewardRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(i32::from(with_retired)).fetch_all(c).await)?;
    Ok(rows.into_iter().map(reward).collect())
}

pub async fn reward_by_id(db: &mut impl Db, org: OrgId, id: RewardId) -> Result<Option<Reward>> {
    const SQL: &str = "select id, name, description, cost, stock, status, created_at from rewards \
         where org_id = $1 and id = $2";
    let row: Option<RewardRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(reward))
}

/// Takes one from a limited stock; false when none is left. Unlimited rewards always pass.
pub async fn take_stock(db: &mut impl Db, org: OrgId, id: RewardId) -> Result<bool> {
    const SQL: &str = "update rewards set stock = case when stock is null then null else stock - 1 end \
         where org_id = $1 and id = $2 and status = 'active' and (stock is null or stock > 0)";
    let n =
        run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn return_stock(db: &mut impl Db, org: OrgId, id: RewardId) -> Result<()> {
    const SQL: &str =
        "update rewards set stock = stock + 1 where org_id = $1 and id = $2 and stock is not null";
    run!(db, |c| sqlx::query(SQL).bind(org.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub id: RedemptionId,
    pub reward_id: RewardId,
    pub reward_name: String,
    pub user_id: UserId,
    pub user_name: String,
    pub cost: i64,
    pub status: String,
    pub note: String,
    pub decided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

pub async fn insert_redemption(
    db: &mut impl Db,
    org: OrgId,
    id: RedemptionId,
    reward: RewardId,
    user: UserId,
    cost: i64,
    now: OffsetDateTime,
) -> Result<()> {
    const SQL: &str = "insert into redemptions (id, org_id, reward_id, user_id, cost, status, note, created_at) \
         values ($1, $2, $3, $4, $5, 'pending', '', $6)";
    run!(db, |c| sqlx::query(SQL)
        .bind(id.0)
        .bind(org.0)
        .bind(reward.0)
        .bind(user.0)
        .bind(cost)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

type RedemptionRow = (Uuid, Uuid, String, Uuid, String, i64, String, String, Option<i64>, i64);

fn redemption(r: RedemptionRow) -> Redemption {
    Redemption {
        id: r.0.into(),
        reward_id: r.1.into(),
        reward_name: r.2,
        user_id: r.3.into(),
        user_name: r.4,
        cost: r.5,
        status: r.6,
        note: r.7,
        decided_at: r.8.map(from_millis),
        created_at: from_millis(r.9),
    }
}

macro_rules! redemption_select {
    () => {
        "select x.id, x.reward_id, r.name, x.user_id, u.name, x.cost, x.status, x.note, x.decided_at, x.created_at \
         from redemptions x join rewards r on r.id = x.reward_id join users u on u.id = x.user_id "
    };
}

/// Requests, newest first: one person's (`Some`) or everyone's.
pub async fn redemptions(
    db: &mut impl Db,
    org: OrgId,
    user: Option<UserId>,
    limit: u32,
) -> Result<Vec<Redemption>> {
    const ALL: &str =
        concat!(redemption_select!(), "where x.org_id = $1 order by x.created_at desc limit $2");
    const MINE: &str = concat!(
        redemption_select!(),
        "where x.org_id = $1 and x.user_id = $3 order by x.created_at desc limit $2"
    );
    let rows: Vec<RedemptionRow> = match user {
        None => run!(db, |c| sqlx::query_as(ALL).bind(org.0).bind(i64::from(limit)).fetch_all(c).await)?,
        Some(u) => run!(db, |c| sqlx::query_as(MINE)
            .bind(org.0)
            .bind(i64::from(limit))
            .bind(u.0)
            .fetch_all(c)
            .await)?,
    };
    Ok(rows.into_iter().map(redemption).collect())
}

pub async fn redemption_by_id(db: &mut impl Db, org: OrgId, id: RedemptionId) -> Result<Option<Redemption>> {
    const SQL: &str = concat!(redemption_select!(), "where x.org_id = $1 and x.id = $2");
    let row: Option<RedemptionRow> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(id.0).fetch_optional(c).await)?;
    Ok(row.map(redemption))
}

/// Decides a pending request; false when it was no longer pending (someone else decided).
pub async fn decide_redemption(
    db: &mut impl Db,
    org: OrgId,
    id: RedemptionId,
    status: &str,
    note: &str,
    by: UserId,
    now: OffsetDateTime,
) -> Result<bool> {
    const SQL: &str = "update redemptions set status = $3, note = $4, decided_by = $5, decided_at = $6 \
         where org_id = $1 and id = $2 and status = 'pending'";
    let n = run!(db, |c| sqlx::query(SQL)
        .bind(org.0)
        .bind(id.0)
        .bind(status)
        .bind(note)
        .bind(by.0)
        .bind(to_millis(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------------
// Replay: where payments come from

/// (person, submission) pairs behind each contribution event, for a replay. Authors and
/// co-authors of every submission that ever reached each stage.
pub async fn contribution_facts(
    db: &mut impl Db,
    org: OrgId,
    to_status: &[&str],
) -> Result<Vec<(Uuid, Uuid)>> {
    let list: Vec<String> = (0..to_status.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "select distinct a.user_id, t.submission_id from transitions t \
         join submission_authors a on a.submission_id = t.submission_id \
         where t.org_id = $1 and t.to_status in ({})",
        list.join(", ")
    );
    run!(db, |c| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(org.0);
        for s in to_status {
            q = q.bind(*s);
        }
        q.fetch_all(c).await
    })
    .map_err(Into::into)
}

/// (sharer, submission) pairs of every share.
pub async fn share_facts(db: &mut impl Db, org: OrgId) -> Result<Vec<(Uuid, Uuid)>> {
    const SQL: &str = "select distinct user_id, submission_id from shares where org_id = $1";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

/// Human clicks per share so far (from the hourly roll-ups, which are kept, and are complete
/// up to the watermark while a day's bucket waits for the day to end), with its sharer.
pub async fn share_clicks(db: &mut impl Db, org: OrgId) -> Result<Vec<(Uuid, Uuid, i64)>> {
    const SQL: &str = "select share_id, user_id, cast(sum(human) as bigint) from click_buckets \
         where org_id = $1 and span = 'h' group by share_id, user_id";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

/// Shares with clicks rolled up at or after `since` (every organization): what a milestone
/// check after a roll-up has to look at.
pub async fn recently_clicked(db: &mut impl Db, since: i64) -> Result<Vec<(Uuid, Uuid, Uuid, i64)>> {
    const SQL: &str = "select b.share_id, b.org_id, b.user_id, cast(sum(b.human) as bigint) from click_buckets b \
         where b.span = 'h' and b.share_id in (select share_id from click_buckets where span = 'h' and starts_at >= $1) \
         group by b.share_id, b.org_id, b.user_id";
    run!(db, |c| sqlx::query_as(SQL).bind(since).fetch_all(c).await).map_err(Into::into)
}

/// A share of this organization: who shared which item. None for another organization's.
pub async fn share_of(db: &mut impl Db, org: OrgId, share: Uuid) -> Result<Option<(UserId, SubmissionId)>> {
    const SQL: &str = "select user_id, submission_id from shares where org_id = $1 and id = $2";
    let row: Option<(Uuid, Uuid)> =
        run!(db, |c| sqlx::query_as(SQL).bind(org.0).bind(share).fetch_optional(c).await)?;
    Ok(row.map(|(u, s)| (u.into(), s.into())))
}

/// (author, submission) of every item that went out on a channel.
pub async fn published_facts(db: &mut impl Db, org: OrgId) -> Result<Vec<(Uuid, Uuid)>> {
    const SQL: &str = "select distinct a.user_id, p.submission_id from posts p \
         join submission_authors a on a.submission_id = p.submission_id \
         where p.org_id = $1 and p.status = 'published'";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

/// (person, policy version) of every acknowledgement.
pub async fn acknowledgement_facts(db: &mut impl Db, org: OrgId) -> Result<Vec<(Uuid, Uuid)>> {
    const SQL: &str = "select user_id, version_id from policy_acknowledgements where org_id = $1";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

/// (recipient, thanking person, when) of every shout-out.
pub async fn thanks_facts(db: &mut impl Db, org: OrgId) -> Result<Vec<(Uuid, Uuid, i64)>> {
    const SQL: &str = "select to_user_id, from_user_id, created_at from shoutouts where org_id = $1";
    run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await).map_err(Into::into)
}

/// The active owners and admins: who decides reward requests.
pub async fn admins(db: &mut impl Db, org: OrgId) -> Result<Vec<UserId>> {
    const SQL: &str = "select id from users where org_id = $1 and status = 'active' \
         and role in ('admin', 'owner') order by id";
    let rows: Vec<(Uuid,)> = run!(db, |c| sqlx::query_as(SQL).bind(org.0).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|(u,)| u.into()).collect())
}
