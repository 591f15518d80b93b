//! `/api/v1/analytics` (SPEC §6): the numbers behind the dashboards.

use super::{contrib::PROBLEM, dto::rfc3339};
use crate::{
    AppState,
    error::{ApiError, Problem},
    extract::{ApiQuery, ApiUser},
};
use axum::{Json, extract::State};
use chorus_app::analytics::{self, Scope};
use chorus_domain::DepartmentId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, IntoParams)]
pub struct PeriodQuery {
    /// Start: a day (`2026-12-01`, from its midnight UTC) or an RFC 3339 time. Default: 30 days
    /// before `to`.
    pub from: Option<String>,
    /// End: a day (included) or an RFC 3339 time (excluded). Default: the end of today (UTC). At
    /// most 732 days after `from`.
    pub to: Option<String>,
    /// One department's numbers (its leads may ask for these); absent: the whole organization.
    pub department: Option<String>,
}

impl PeriodQuery {
    /// The period and scope asked for, or a 400 with the reason.
    pub fn parse(
        &self,
        now: time::OffsetDateTime,
    ) -> Result<(chorus_domain::analytics::Period, Scope), chorus_app::Error> {
        let period = analytics::period(self.from.as_deref(), self.to.as_deref(), now)?;
        let department =
            match self.department.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                None => None,
                Some(d) => Some(DepartmentId::from(Uuid::parse_str(d).map_err(|_| {
                    chorus_app::Error::BadRequest("department must be a department id".into())
                })?)),
            };
        Ok((period, Scope { department }))
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClickCounts {
    /// Clicks by people.
    pub human: i64,
    /// Fetches by crawlers and link-preview bots.
    pub bot: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryDto {
    pub from: String,
    pub to: String,
    pub department: Option<Uuid>,
    /// Tracked links made by employees in the period.
    pub shares: i64,
    /// People who shared.
    pub sharers: i64,
    pub clicks: ClickCounts,
    /// People who followed a link, each counted once a day (the visitor hash changes daily).
    pub unique_visitors: i64,
    /// Submissions created.
    pub submissions: i64,
    /// Submissions approved.
    pub approved: i64,
    /// Submissions with a post published.
    pub published: i64,
    /// Share of active people who contributed or shared (0–1).
    pub participation_rate: f64,
    pub people: i64,
    pub participants: i64,
}

/// Shares, clicks, the pipeline and participation over a period. The social team and admins see
/// the organization or any department; a department's leads see their department.
#[utoipa::path(get, path = "/analytics/summary", tag = "analytics", params(PeriodQuery),
    responses((status = 200, body = SummaryDto), (status = 400, body = Problem, content_type = PROBLEM),
        (status = 403, body = Problem, content_type = PROBLEM)))]
pub async fn summary(
    State(s): State<AppState>,
    ApiUser(me): ApiUser,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> Result<Json<SummaryDto>, ApiError> {
    let (period, scope) = q.parse(s.app.now())?;
    let sum = analytics::summary(&s.app, &me.caller, scope, period).await?;
    let at = |ms: i64| {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map(rfc3339)
            .unwrap_or_default()
    };
    Ok(Json(SummaryDto {
        from: at(period.from),
        to: at(period.to),
        department: scope.department.map(|d| d.0),
        shares: sum.shares,
        sharers: sum.sharers,
        clicks: ClickCounts { human: sum.clicks.human, bot: sum.clicks.bot },
        unique_visitors: sum.clicks.visitors,
        submissions: sum.submissions,
        approved: sum.approved,
        published: sum.published,
        participation_rate: sum.participation_rate,
        people: sum.people,
        participants: sum.participants,
    }))
}
