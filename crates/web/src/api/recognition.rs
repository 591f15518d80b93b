//! `/api/v1/shoutouts`, `/api/v1/points`, `/api/v1/leaderboard`, `/api/v1/rewards`: recognition.
//!
//! Shout-outs and the leaderboard are public inside the organization; a person's points are
//! theirs (admins may look); rules, the catalog and redemption decisions are for owners and
//! admins. Points are whole numbers: `1.5` or `"ten"` is a 422 before anything runs.

use super::{contrib::PROBLEM, cursor, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiJson, ApiPath, ApiQuery, ApiUser},
};
use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use chorus_app::recognition::{
    self as rec, Board, PointsView, Redemption, Reward, RewardInput, ShoutoutView,
};
use chorus_domain::{
    DepartmentId, RedemptionId, RewardId, ShoutoutId, SubmissionId, UserId,
    pagination::{Limit, Page},
    recognition::Period,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReactionDto {
    /// clap, party, heart or raised_hands.
    pub reaction: &'static str,
    pub emoji: &'static str,
    pub count: i64,
    /// Whether the caller gave it.
    pub mine: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShoutoutDto {
    pub id: Uuid,
    pub from: PersonDto,
    pub to: PersonDto,
    pub message: String,
    pub submission_id: Option<Uuid>,
    pub submission_title: Option<String>,
    pub share_id: Option<Uuid>,
    pub created_at: String,
    pub reactions: Vec<ReactionDto>,
}

fn shoutout_dto(v: ShoutoutView) -> ShoutoutDto {
    let s = v.shoutout;
    ShoutoutDto {
        id: s.id.0,
        from: PersonDto { id: s.from_user_id.0, name: s.from_name },
        to: PersonDto { id: s.to_user_id.0, name: s.to_name },
        message: s.message,
        submission_id: s.submission_id.map(|i| i.0),
        submission_title: s.submission_title,
        share_id: s.share_id,
        created_at: rfc3339(s.created_at),
        reactions: v
            .reactions
            .into_iter()
            .map(|r| ReactionDto { reaction: r.key, emoji: r.emoji, count: r.count, mine: r.mine })
            .collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ShoutoutList {
    pub items: Vec<ShoutoutDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ShoutoutQuery {
    /// Only the shout-outs this person received (their wall).
    to: Option<Uuid>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
}

/// The company's shout-outs, newest first, or one person's wall with `to`.
#[utoipa::path(get, path = "/shoutouts", tag = "recognition", params(ShoutoutQuery),
    responses((status = 200, body = ShoutoutList), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn list_shoutouts(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<ShoutoutQuery>,
) -> Result<Json<ShoutoutList>, ApiError> {
    let limit = Limit::new(q.limit);
    let before = cursor::<ShoutoutId>(&q.cursor)?;
    let rows = rec::shoutouts(&s.app, &me.caller, q.to.map(UserId::from), before, limit).await?;
    let page = Page::from_overfetch(rows, limit, |v| v.shoutout.id);
    Ok(Json(ShoutoutList {
        items: page.items.into_iter().map(shoutout_dto).collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShoutout {
    /// Who is thanked: an active person of the caller's organization, not the caller.
    pub to_user_id: Uuid,
    /// Up to 500 characters.
    pub message: String,
    /// The item the thanks is for, if any.
    #[serde(default)]
    pub submission_id: Option<Uuid>,
    /// The share the thanks is for, if any.
    #[serde(default)]
    pub share_id: Option<Uuid>,
}

/// Thanks a colleague in public. They are notified and earn the "shout-out received" points
/// (once per thanking person per day). A deactivated person is a 422; someone of another
/// organization is a 404.
#[utoipa::path(post, path = "/shoutouts", tag = "recognition", request_body = NewShoutout,
    responses((status = 201, body = ShoutoutDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn post_shoutout(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<NewShoutout>,
) -> Result<impl IntoResponse, ApiError> {
    let input = rec::ShoutoutInput {
        to: Some(b.to_user_id.into()),
        message: b.message,
        submission_id: b.submission_id.map(SubmissionId::from),
        share_id: b.share_id,
    };
    let v = rec::post_shoutout(&s.app, &me.caller, input).await?;
    Ok((StatusCode::CREATED, Json(shoutout_dto(v))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReaction {
    /// clap, party, heart or raised_hands.
    pub reaction: String,
}

/// Adds the caller's reaction (adding it twice keeps one).
#[utoipa::path(post, path = "/shoutouts/{id}/reactions", tag = "recognition", params(("id" = Uuid, Path)),
    request_body = NewReaction,
    responses((status = 200, body = ShoutoutDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn add_reaction(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<NewReaction>,
) -> Result<Json<ShoutoutDto>, ApiError> {
    Ok(Json(shoutout_dto(rec::react(&s.app, &me.caller, id.into(), &b.reaction, true).await?)))
}

/// Takes the caller's reaction back.
#[utoipa::path(delete, path = "/shoutouts/{id}/reactions/{reaction}", tag = "recognition",
    params(("id" = Uuid, Path), ("reaction" = String, Path)),
    responses((status = 200, body = ShoutoutDto), (status = 404, body = Problem, content_type = PROBLEM)))]
pub async fn remove_reaction(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath((id, reaction)): ApiPath<(Uuid, String)>,
) -> Result<Json<ShoutoutDto>, ApiError> {
    Ok(Json(shoutout_dto(rec::react(&s.app, &me.caller, id.into(), &reaction, false).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct BadgeDto {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct LedgerDto {
    pub id: Uuid,
    /// e.g. contribution.approved, content.shared, reward.redeemed.
    pub event: String,
    /// Negative for a reward asked for.
    pub points: i64,
    pub reason: String,
    /// What paid it (e.g. `submission:<id>`): the same event and source never pays twice.
    pub source: String,
    pub at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PointsDto {
    pub user: PersonDto,
    /// What can be spent on rewards.
    pub balance: i64,
    /// Earned, all time.
    pub earned: i64,
    pub earned_this_month: i64,
    pub badges: Vec<BadgeDto>,
    /// The ledger, newest first.
    pub items: Vec<LedgerDto>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct PointsQuery {
    /// Someone else's points (owners and admins).
    user_id: Option<Uuid>,
    cursor: Option<String>,
    limit: Option<u32>,
}

/// The caller's points, badges and ledger (or a given person's, for admins).
#[utoipa::path(get, path = "/points", tag = "recognition", params(PointsQuery),
    responses((status = 200, body = PointsDto), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn points(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PointsQuery>,
) -> Result<Json<PointsDto>, ApiError> {
    let limit = Limit::new(q.limit);
    let before = cursor::<Uuid>(&q.cursor)?;
    let v: PointsView = rec::points(&s.app, &me.caller, q.user_id.map(UserId::from), before, limit).await?;
    let page = Page::from_overfetch(v.history, limit, |r| r.id);
    Ok(Json(PointsDto {
        user: PersonDto { id: v.user_id.0, name: v.name },
        balance: v.balance,
        earned: v.earned,
        earned_this_month: v.earned_this_month,
        badges: v
            .badges
            .into_iter()
            .map(|b| BadgeDto { key: b.key, name: b.name, description: b.description })
            .collect(),
        items: page
            .items
            .into_iter()
            .map(|r| LedgerDto {
                id: r.id,
                event: r.event,
                points: r.points,
                reason: r.reason,
                source: r.source,
                at: rfc3339(r.at),
            })
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.to_string()),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub event: &'static str,
    pub label: &'static str,
    pub points: i64,
    pub default_points: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    pub items: Vec<RuleDto>,
    pub next_cursor: Option<String>,
}

fn rule_dto(r: rec::RuleView) -> RuleDto {
    RuleDto { event: r.event.as_str(), label: r.event.label(), points: r.points, default_points: r.default }
}

/// What each event pays in the organization (everyone may read the rules).
#[utoipa::path(get, path = "/points/rules", tag = "recognition", responses((status = 200, body = RuleList)))]
pub async fn list_rules(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<RuleList>, ApiError> {
    let items = rec::rules(&s.app, &me.caller).await?.into_iter().map(rule_dto).collect();
    Ok(Json(RuleList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRule {
    /// A whole number from 0 to 1,000.
    pub points: i64,
}

/// Changes what an event pays from now on (owners and admins). Payments already made stay.
#[utoipa::path(put, path = "/points/rules/{event}", tag = "recognition", params(("event" = String, Path)),
    request_body = SetRule,
    responses((status = 200, body = RuleDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn set_rule(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(event): ApiPath<String>,
    ApiJson(b): ApiJson<SetRule>,
) -> Result<Json<RuleDto>, ApiError> {
    Ok(Json(rule_dto(rec::set_rule(&s.app, &me.caller, &event, b.points).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct ReplayDto {
    /// Payments made now; zero when everything was already paid.
    pub paid: u64,
}

/// Re-derives every payment from what is stored and pays only what is missing (owners and
/// admins): safe to run any number of times.
#[utoipa::path(post, path = "/points/replay", tag = "recognition",
    responses((status = 200, body = ReplayDto), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn replay(State(s): State<AppState>, ApiUser(me): ApiUser) -> Result<Json<ReplayDto>, ApiError> {
    Ok(Json(ReplayDto { paid: rec::replay(&s.app, &me.caller).await? }))
}

#[derive(Deserialize, IntoParams)]
pub struct BoardQuery {
    /// week, month (the default), year or all.
    period: Option<String>,
    department_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct StandingDto {
    pub rank: u32,
    pub user: PersonDto,
    pub department: Option<String>,
    pub points: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BoardDto {
    pub period: &'static str,
    pub department_id: Option<Uuid>,
    /// The top 20 who did not opt out; nobody below is listed.
    pub items: Vec<StandingDto>,
    pub next_cursor: Option<String>,
    /// The caller's points in the period.
    pub my_points: i64,
    pub opted_out: bool,
}

fn board_dto(b: Board) -> BoardDto {
    BoardDto {
        period: b.period.as_str(),
        department_id: b.department.map(|d| d.0),
        items: b
            .top
            .into_iter()
            .map(|r| StandingDto {
                rank: r.rank,
                user: PersonDto { id: r.standing.user_id.0, name: r.standing.name },
                department: r.standing.department,
                points: r.standing.points,
            })
            .collect(),
        next_cursor: None,
        my_points: b.my_points,
        opted_out: b.opted_out,
    }
}

/// The most active people of a period, overall or in one department.
#[utoipa::path(get, path = "/leaderboard", tag = "recognition", params(BoardQuery),
    responses((status = 200, body = BoardDto), (status = 400, body = Problem, content_type = PROBLEM)))]
pub async fn leaderboard(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> Result<Json<BoardDto>, ApiError> {
    // A malformed query is the request's fault: 400, with the reason.
    let period: Period = q
        .period
        .as_deref()
        .unwrap_or("month")
        .parse()
        .map_err(|e: chorus_domain::Invalid| chorus_app::Error::BadRequest(e.to_string()))?;
    let board = rec::leaderboard(&s.app, &me.caller, period, q.department_id.map(DepartmentId::from)).await?;
    Ok(Json(board_dto(board)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOut {
    /// true to leave every leaderboard, false to come back.
    pub opted_out: bool,
}

/// The caller leaves or rejoins the leaderboards (their points stay theirs).
#[utoipa::path(put, path = "/leaderboard/opt-out", tag = "recognition", request_body = OptOut,
    responses((status = 204), (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn opt_out(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<OptOut>,
) -> Result<StatusCode, ApiError> {
    rec::set_opt_out(&s.app, &me.caller, b.opted_out).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RewardDto {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cost: i64,
    /// How many are left; null for unlimited.
    pub stock: Option<i64>,
    pub active: bool,
}

fn reward_dto(r: Reward) -> RewardDto {
    RewardDto {
        id: r.id.0,
        name: r.name,
        description: r.description,
        cost: r.cost,
        stock: r.stock,
        active: r.active,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RewardList {
    pub items: Vec<RewardDto>,
    pub next_cursor: Option<String>,
}

/// The rewards catalog, cheapest first (admins also see retired rewards).
#[utoipa::path(get, path = "/rewards", tag = "recognition", responses((status = 200, body = RewardList)))]
pub async fn list_rewards(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<RewardList>, ApiError> {
    let items = rec::rewards(&s.app, &me.caller).await?.into_iter().map(reward_dto).collect();
    Ok(Json(RewardList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Whole points, 1 to 1,000,000.
    pub cost: i64,
    /// Null or absent for unlimited.
    #[serde(default)]
    pub stock: Option<i64>,
    /// false retires it from the catalog (PATCH).
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn reward_input(b: RewardBody) -> RewardInput {
    RewardInput { name: b.name, description: b.description, cost: b.cost, stock: b.stock, active: b.active }
}

/// Adds a reward to the catalog (owners and admins).
#[utoipa::path(post, path = "/rewards", tag = "recognition", request_body = RewardBody,
    responses((status = 201, body = RewardDto), (status = 403, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn create_reward(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiJson(b): ApiJson<RewardBody>,
) -> Result<impl IntoResponse, ApiError> {
    let r = rec::create_reward(&s.app, &me.caller, reward_input(b)).await?;
    Ok((StatusCode::CREATED, Json(reward_dto(r))))
}

/// Changes a reward, or retires it with `"active": false` (owners and admins).
#[utoipa::path(patch, path = "/rewards/{id}", tag = "recognition", params(("id" = Uuid, Path)),
    request_body = RewardBody,
    responses((status = 200, body = RewardDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn update_reward(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RewardBody>,
) -> Result<Json<RewardDto>, ApiError> {
    Ok(Json(reward_dto(rec::update_reward(&s.app, &me.caller, RewardId::from(id), reward_input(b)).await?)))
}

#[derive(Serialize, ToSchema)]
pub struct RedemptionDto {
    pub id: Uuid,
    pub reward: PersonDto,
    pub user: PersonDto,
    pub cost: i64,
    /// pending, approved or rejected.
    pub status: String,
    pub note: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

fn redemption_dto(r: Redemption) -> RedemptionDto {
    RedemptionDto {
        id: r.id.0,
        reward: PersonDto { id: r.reward_id.0, name: r.reward_name },
        user: PersonDto { id: r.user_id.0, name: r.user_name },
        cost: r.cost,
        status: r.status,
        note: r.note,
        created_at: rfc3339(r.created_at),
        decided_at: r.decided_at.map(rfc3339),
    }
}

/// Asks for a reward. Its cost leaves the balance at once; a 409 says so when the balance does
/// not cover it (two requests at once cannot both spend the same points).
#[utoipa::path(post, path = "/rewards/{id}/redemptions", tag = "recognition", params(("id" = Uuid, Path)),
    responses((status = 201, body = RedemptionDto), (status = 404, body = Problem, content_type = PROBLEM),
        (status = 409, body = Problem, content_type = PROBLEM)))]
pub async fn redeem(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<impl IntoResponse, ApiError> {
    let r = rec::redeem(&s.app, &me.caller, RewardId::from(id)).await?;
    Ok((StatusCode::CREATED, Json(redemption_dto(r))))
}

#[derive(Deserialize, IntoParams)]
pub struct RedemptionQuery {
    /// Everyone's requests (owners and admins); otherwise the caller's own.
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RedemptionList {
    pub items: Vec<RedemptionDto>,
    pub next_cursor: Option<String>,
}

/// Reward requests, newest first: the caller's own, or everyone's with `all=true` (admins).
#[utoipa::path(get, path = "/rewards/redemptions", tag = "recognition", params(RedemptionQuery),
    responses((status = 200, body = RedemptionList), (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn list_redemptions(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<RedemptionQuery>,
) -> Result<Json<RedemptionList>, ApiError> {
    let items = rec::redemptions(&s.app, &me.caller, q.all).await?.into_iter().map(redemption_dto).collect();
    Ok(Json(RedemptionList { items, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionDecision {
    /// approve or reject (a rejection gives the points back).
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// Approves or rejects a pending request (owners and admins); deciding twice is a 409.
#[utoipa::path(post, path = "/rewards/redemptions/{id}/decision", tag = "recognition",
    params(("id" = Uuid, Path)), request_body = RedemptionDecision,
    responses((status = 200, body = RedemptionDto), (status = 409, body = Problem, content_type = PROBLEM),
        (status = 422, body = Problem, content_type = PROBLEM)))]
pub async fn decide_redemption(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(b): ApiJson<RedemptionDecision>,
) -> Result<Json<RedemptionDto>, ApiError> {
    let approve = match b.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(chorus_domain::Invalid::new("decision", "must be approve or reject").into()),
    };
    let r = rec::decide(&s.app, &me.caller, RedemptionId::from(id), approve, &b.note).await?;
    Ok(Json(redemption_dto(r)))
}
