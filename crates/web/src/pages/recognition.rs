//! Recognition pages: the shout-out feed and each person's wall, the leaderboard with its
//! opt-out, a person's points and badges (with the rules, editable by admins), and the rewards
//! catalog with requests and their decisions. Every form posts and redirects; no JavaScript.

use super::{Chrome, FormError, NoticeQuery, day, form_errors};
use crate::{
    AppState,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error,
    recognition::{self as rec, BOARD_SIZE, ShoutoutView},
};
use chorus_domain::{
    Action, DepartmentId, Invalid, RedemptionId, RewardId, ShoutoutId, UserId, authorize,
    pagination::Limit,
    recognition::{Period, all_badges},
};
use uuid::Uuid;

/// Fixed messages after a redirect: only known codes, never echoed input.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "thanked" => "Thank you for saying thank you: your shout-out is on their wall.",
        "left_board" => "You are off the leaderboards. Your points and badges stay yours.",
        "joined_board" => "You are back on the leaderboards.",
        "requested" => "Requested. The points are set aside; an admin will confirm.",
        "decided" => "Decision recorded; they have been told.",
        "saved" => "Saved.",
        "replayed" => "Replayed: anything that had not been paid is paid now, and nothing twice.",
        _ => return None,
    })
}

fn chrome(user: &PageUser, section: &'static str, notice: Option<&str>) -> Chrome {
    let mut c = Chrome::for_user(user, section);
    c.notice = notice.and_then(notice_text).map(str::to_owned);
    c
}

struct ShoutoutRow {
    id: String,
    from: String,
    to_id: String,
    to: String,
    message: String,
    item: Option<(String, String)>,
    when: String,
    reactions: Vec<(&'static str, &'static str, i64, bool, &'static str)>,
}

fn rows(list: Vec<ShoutoutView>) -> Vec<ShoutoutRow> {
    list.into_iter()
        .map(|v| {
            let s = v.shoutout;
            ShoutoutRow {
                id: s.id.to_string(),
                from: s.from_name,
                to_id: s.to_user_id.to_string(),
                to: s.to_name,
                message: s.message,
                item: s.submission_id.map(|i| (i.to_string(), s.submission_title.unwrap_or_default())),
                when: day(s.created_at),
                reactions: v
                    .reactions
                    .into_iter()
                    .map(|r| {
                        (r.key, r.emoji, r.count, r.mine, chorus_domain::recognition::reaction_label(r.key))
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition/shoutouts.html")]
struct ShoutoutsPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    /// The wall's person, or None for the company feed.
    wall: Option<(String, String)>,
    people: Vec<(String, String)>,
    chosen: String,
    message: String,
    item: String,
    shoutouts: Vec<ShoutoutRow>,
    back: String,
}

#[derive(serde::Deserialize, Default)]
pub struct FeedQuery {
    notice: Option<String>,
    /// Pre-fills the form ("Thank the author" from an item).
    to: Option<String>,
    submission: Option<String>,
}

async fn feed_page(
    s: &AppState,
    user: &PageUser,
    wall: Option<UserId>,
    errors: Vec<FormError>,
    draft: (String, String, String),
    notice: Option<&str>,
) -> Result<ShoutoutsPage, PageError> {
    let caller = &user.me.caller;
    let list = rec::shoutouts(&s.app, caller, wall, None, Limit::new(Some(100))).await?;
    let people: Vec<(String, String)> =
        rec::colleagues(&s.app, caller).await?.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
    let wall = match wall {
        Some(w) => {
            let name = people
                .iter()
                .find(|(id, _)| *id == w.to_string())
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| {
                    if Some(w) == caller.actor.user_id { user.me.user.name.clone() } else { String::new() }
                });
            Some((w.to_string(), name))
        }
        None => None,
    };
    let back = match &wall {
        Some((id, _)) => format!("/shoutouts/people/{id}"),
        None => "/shoutouts".to_owned(),
    };
    let (chosen, message, item) = draft;
    let chosen =
        if chosen.is_empty() { wall.as_ref().map(|w| w.0.clone()).unwrap_or_default() } else { chosen };
    Ok(ShoutoutsPage {
        chrome: chrome(user, "shoutouts", notice),
        errors,
        wall,
        people,
        chosen,
        message,
        item,
        shoutouts: rows(list),
        back,
    })
}

/// `GET /shoutouts`: the company feed and the form.
pub async fn feed(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<FeedQuery>,
) -> Result<Response, PageError> {
    let draft = (q.to.unwrap_or_default(), String::new(), q.submission.unwrap_or_default());
    Ok(feed_page(&s, &user, None, vec![], draft, q.notice.as_deref()).await?.into_response())
}

/// `GET /shoutouts/people/{id}`: the thanks one person received.
pub async fn wall(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let draft = (String::new(), String::new(), String::new());
    Ok(feed_page(&s, &user, Some(id.into()), vec![], draft, q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ShoutoutForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    submission: String,
    /// Which page the form was on (the feed or a wall), to come back to it with problems.
    #[serde(default)]
    wall: String,
}

fn optional_id<T: From<Uuid>>(raw: &str, field: &'static str, what: &str) -> Result<Option<T>, Error> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse::<Uuid>()
            .map(|u| Some(T::from(u)))
            .map_err(|_| Invalid::new(field, what.to_owned()).into()),
    }
}

/// `POST /shoutouts`.
pub async fn post(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<ShoutoutForm>,
) -> Result<Response, PageError> {
    let wall: Option<UserId> = f.wall.trim().parse::<Uuid>().ok().map(Into::into);
    let input = (|| -> Result<rec::ShoutoutInput, Error> {
        Ok(rec::ShoutoutInput {
            to: optional_id(&f.to, "to", "choose who you are thanking")?,
            message: f.message.clone(),
            submission_id: optional_id(&f.submission, "submission", "is not an item of this organization")?,
            share_id: None,
        })
    })();
    let result = match input {
        Ok(input) => rec::post_shoutout(&s.app, &user.me.caller, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/shoutouts/people/{}?notice=thanked", v.shoutout.to_user_id))
            .into_response()),
        Err(Error::NotFound) => {
            let errors = vec![FormError {
                field: "to".into(),
                message: "is not a person of this organization".into(),
            }];
            let page = feed_page(&s, &user, wall, errors, (f.to, f.message, f.submission), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => {
            let errors = form_errors(e)?;
            let page = feed_page(&s, &user, wall, errors, (f.to, f.message, f.submission), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ReactForm {
    reaction: String,
    /// "1" adds, anything else takes back.
    #[serde(default)]
    on: String,
    #[serde(default)]
    back: String,
}

/// Only our own pages: never an open redirect.
fn back_to(raw: &str) -> String {
    let ok = raw == "/shoutouts"
        || raw.strip_prefix("/shoutouts/people/").is_some_and(|id| id.parse::<Uuid>().is_ok());
    if ok { raw.to_owned() } else { "/shoutouts".to_owned() }
}

/// `POST /shoutouts/{id}/react`.
pub async fn react(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<ReactForm>,
) -> Result<Response, PageError> {
    rec::react(&s.app, &user.me.caller, ShoutoutId::from(id), &f.reaction, f.on == "1").await?;
    Ok(Redirect::to(&format!("{}#shoutout-{id}", back_to(&f.back))).into_response())
}

// ------------------------------------------------------------------------------ leaderboard

struct BoardRow {
    rank: u32,
    id: String,
    name: String,
    department: String,
    points: i64,
    me: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition/leaderboard.html")]
struct BoardPage {
    chrome: Chrome,
    period: &'static str,
    periods: Vec<(&'static str, &'static str)>,
    department: String,
    departments: Vec<(String, String)>,
    rows: Vec<BoardRow>,
    my_points: i64,
    opted_out: bool,
    size: u32,
}

#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    period: Option<String>,
    department: Option<String>,
    notice: Option<String>,
}

/// `GET /leaderboard`.
pub async fn leaderboard(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<BoardQuery>,
) -> Result<Response, PageError> {
    let caller = &user.me.caller;
    let period: Period =
        q.period.as_deref().filter(|p| !p.is_empty()).unwrap_or("month").parse().map_err(Error::from)?;
    let department: Option<DepartmentId> = optional_id(
        q.department.as_deref().unwrap_or(""),
        "department",
        "is not a department of this organization",
    )?;
    let board = rec::leaderboard(&s.app, caller, period, department).await?;
    let departments = chorus_app::departments::names(&s.app, caller)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let me = caller.actor.user_id;
    Ok(BoardPage {
        chrome: chrome(&user, "leaderboard", q.notice.as_deref()),
        period: period.as_str(),
        periods: Period::ALL.iter().map(|p| (p.as_str(), p.label())).collect(),
        department: department.map(|d| d.to_string()).unwrap_or_default(),
        departments,
        rows: board
            .top
            .into_iter()
            .map(|r| BoardRow {
                rank: r.rank,
                id: r.standing.user_id.to_string(),
                me: Some(r.standing.user_id) == me,
                name: r.standing.name,
                department: r.standing.department.unwrap_or_default(),
                points: r.standing.points,
            })
            .collect(),
        my_points: board.my_points,
        opted_out: board.opted_out,
        size: BOARD_SIZE,
    }
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct OptOutForm {
    /// "1" leaves the leaderboards, "0" comes back.
    out: String,
}

/// `POST /leaderboard/opt-out`.
pub async fn opt_out(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<OptOutForm>,
) -> Result<Response, PageError> {
    let out = f.out == "1";
    rec::set_opt_out(&s.app, &user.me.caller, out).await?;
    let notice = if out { "left_board" } else { "joined_board" };
    Ok(Redirect::to(&format!("/leaderboard?notice={notice}")).into_response())
}

// ------------------------------------------------------------------------------- points

struct HistoryRow {
    when: String,
    reason: String,
    points: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition/points.html")]
struct PointsPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    name: String,
    mine: bool,
    balance: i64,
    earned: i64,
    earned_this_month: i64,
    badges: Vec<(&'static str, &'static str, bool)>,
    history: Vec<HistoryRow>,
    manage: bool,
    rules: Vec<(&'static str, &'static str, i64, i64)>,
}

#[derive(serde::Deserialize, Default)]
pub struct PointsQuery {
    user: Option<String>,
    notice: Option<String>,
}

async fn points_page(
    s: &AppState,
    user: &PageUser,
    who: Option<UserId>,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<PointsPage, PageError> {
    let caller = &user.me.caller;
    let v = rec::points(&s.app, caller, who, None, Limit::new(Some(100))).await?;
    let held: Vec<&str> = v.badges.iter().map(|b| b.key).collect();
    Ok(PointsPage {
        chrome: chrome(user, "rewards", notice),
        errors,
        mine: Some(v.user_id) == caller.actor.user_id,
        name: v.name,
        balance: v.balance,
        earned: v.earned,
        earned_this_month: v.earned_this_month,
        badges: all_badges().map(|b| (b.name, b.description, held.contains(&b.key))).collect(),
        history: v
            .history
            .into_iter()
            .take(100)
            .map(|r| HistoryRow { when: day(r.at), reason: r.reason, points: r.points })
            .collect(),
        manage: authorize(&caller.actor, Action::ManageEnablement).is_ok(),
        rules: rec::rules(&s.app, caller)
            .await?
            .into_iter()
            .map(|r| (r.event.as_str(), r.event.label(), r.points, r.default))
            .collect(),
    })
}

/// `GET /points`: the caller's (or, for admins, `?user=`) points, badges and history.
pub async fn points(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<PointsQuery>,
) -> Result<Response, PageError> {
    let who: Option<UserId> = optional_id(q.user.as_deref().unwrap_or(""), "user", "is not a person")?;
    Ok(points_page(&s, &user, who, vec![], q.notice.as_deref()).await?.into_response())
}

/// `POST /points/rules`: one field per event, `points-<event>`.
pub async fn save_rules(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(fields): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    authorize(&user.me.caller.actor, Action::ManageEnablement).map_err(Error::from)?;
    let current = rec::rules(&s.app, &user.me.caller).await?;
    let mut errors = Vec::new();
    for (name, value) in &fields {
        let Some(event) = name.strip_prefix("points-") else { continue };
        let Some(rule) = current.iter().find(|r| r.event.as_str() == event) else { continue };
        match value.trim().parse::<i64>() {
            Ok(p) if p == rule.points => {}
            Ok(p) => {
                if let Err(e) = rec::set_rule(&s.app, &user.me.caller, event, p).await {
                    errors.extend(form_errors(e)?);
                }
            }
            Err(_) => errors.push(FormError {
                field: "points".into(),
                message: format!("for “{}” must be a whole number from 0 to 1,000", rule.event.label()),
            }),
        }
    }
    if errors.is_empty() {
        Ok(Redirect::to("/points?notice=saved").into_response())
    } else {
        Ok((StatusCode::UNPROCESSABLE_ENTITY, points_page(&s, &user, None, errors, None).await?)
            .into_response())
    }
}

/// `POST /points/replay`.
pub async fn replay(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    rec::replay(&s.app, &user.me.caller).await?;
    Ok(Redirect::to("/points?notice=replayed").into_response())
}

// ------------------------------------------------------------------------------- rewards

struct RewardRow {
    id: String,
    name: String,
    description: String,
    cost: i64,
    stock: String,
    active: bool,
    affordable: bool,
}

struct RequestRow {
    id: String,
    reward: String,
    person: String,
    cost: i64,
    status: String,
    note: String,
    when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "recognition/rewards.html")]
struct RewardsPage {
    chrome: Chrome,
    errors: Vec<FormError>,
    balance: i64,
    rewards: Vec<RewardRow>,
    mine: Vec<RequestRow>,
    manage: bool,
    requests: Vec<RequestRow>,
}

fn request_rows(list: Vec<rec::Redemption>) -> Vec<RequestRow> {
    list.into_iter()
        .map(|r| RequestRow {
            id: r.id.to_string(),
            reward: r.reward_name,
            person: r.user_name,
            cost: r.cost,
            status: r.status,
            note: r.note,
            when: day(r.created_at),
        })
        .collect()
}

async fn rewards_page(
    s: &AppState,
    user: &PageUser,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<RewardsPage, PageError> {
    let caller = &user.me.caller;
    let manage = authorize(&caller.actor, Action::ManageEnablement).is_ok();
    let balance = rec::points(&s.app, caller, None, None, Limit::new(Some(1))).await?.balance;
    Ok(RewardsPage {
        chrome: chrome(user, "rewards", notice),
        errors,
        balance,
        rewards: rec::rewards(&s.app, caller)
            .await?
            .into_iter()
            .map(|r| RewardRow {
                id: r.id.to_string(),
                affordable: r.cost <= balance && r.stock != Some(0),
                name: r.name,
                description: r.description,
                cost: r.cost,
                stock: r.stock.map(|n| n.to_string()).unwrap_or_default(),
                active: r.active,
            })
            .collect(),
        mine: request_rows(rec::redemptions(&s.app, caller, false).await?),
        manage,
        requests: if manage {
            request_rows(rec::redemptions(&s.app, caller, true).await?)
        } else {
            Vec::new()
        },
    })
}

/// `GET /rewards`.
pub async fn rewards(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(rewards_page(&s, &user, vec![], q.notice.as_deref()).await?.into_response())
}

async fn rewards_problem(s: &AppState, user: &PageUser, e: Error) -> Result<Response, PageError> {
    let errors = form_errors(e)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, rewards_page(s, user, errors, None).await?).into_response())
}

#[derive(serde::Deserialize)]
pub struct RewardForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    stock: String,
    /// On the edit form: "0" retires it.
    #[serde(default)]
    active: Option<String>,
}

fn reward_input(f: &RewardForm) -> Result<rec::RewardInput, Error> {
    let cost = f
        .cost
        .trim()
        .parse::<i64>()
        .map_err(|_| Invalid::new("cost", "must be a whole number of points from 1 to 1,000,000"))?;
    let stock = match f.stock.trim() {
        "" => None,
        t => Some(t.parse::<i64>().map_err(|_| {
            Invalid::new("stock", "must be a whole number from 0 to 1,000,000, or empty for unlimited")
        })?),
    };
    Ok(rec::RewardInput {
        name: f.name.clone(),
        description: f.description.clone(),
        cost,
        stock,
        active: f.active.as_deref() != Some("0"),
    })
}

/// `POST /rewards`: adds a reward (owners and admins).
pub async fn create_reward(
    State(s): State<AppState>,
    user: PageUser,
    PageForm(f): PageForm<RewardForm>,
) -> Result<Response, PageError> {
    let result = match reward_input(&f) {
        Ok(input) => rec::create_reward(&s.app, &user.me.caller, input).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/rewards?notice=saved").into_response()),
        Err(e) => rewards_problem(&s, &user, e).await,
    }
}

/// `POST /rewards/{id}`: changes or retires a reward.
pub async fn update_reward(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<RewardForm>,
) -> Result<Response, PageError> {
    let result = match reward_input(&f) {
        Ok(input) => rec::update_reward(&s.app, &user.me.caller, RewardId::from(id), input).await.map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/rewards?notice=saved").into_response()),
        Err(e) => rewards_problem(&s, &user, e).await,
    }
}

/// `POST /rewards/{id}/redeem`.
pub async fn redeem(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
) -> Result<Response, PageError> {
    match rec::redeem(&s.app, &user.me.caller, RewardId::from(id)).await {
        Ok(_) => Ok(Redirect::to("/rewards?notice=requested").into_response()),
        Err(e) => rewards_problem(&s, &user, e).await,
    }
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// `POST /rewards/redemptions/{id}/decision`.
pub async fn decide(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<Uuid>,
    PageForm(f): PageForm<DecisionForm>,
) -> Result<Response, PageError> {
    let result = match f.decision.as_str() {
        "approve" | "reject" => {
            rec::decide(&s.app, &user.me.caller, RedemptionId::from(id), f.decision == "approve", &f.note)
                .await
                .map(drop)
        }
        _ => Err(Invalid::new("decision", "must be approve or reject").into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/rewards?notice=decided").into_response()),
        Err(e) => rewards_problem(&s, &user, e).await,
    }
}
