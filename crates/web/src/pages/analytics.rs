//! The analytics dashboards: the social team's and admins' (the whole organization, or one
//! department), and a department lead's (their department). Every table is also a CSV download
//! (`/analytics/export/{table}.csv`, same query), and the trend is an SVG chart drawn on the
//! server, so the page works without JavaScript.

use super::Chrome;
use crate::{AppState, api::analytics::PeriodQuery, chart, error::PageError, extract::PageUser};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chorus_app::analytics::{self, Dashboard, Line, Scope};
use chorus_domain::{Role, analytics::Period};

/// A table as the page shows it and the CSV export writes it.
pub struct Table {
    pub slug: &'static str,
    pub title: &'static str,
    pub note: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn percent(r: f64) -> String {
    format!("{:.0} %", r * 100.0)
}

/// "3 h 20 min", "2 d 4 h": durations people read at a glance.
fn duration(seconds: Option<i64>) -> String {
    let Some(s) = seconds else { return "—".into() };
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

fn click_rows(lines: &[Line], label: impl Fn(&Line) -> Vec<String>) -> Vec<Vec<String>> {
    lines
        .iter()
        .map(|l| {
            let mut row = label(l);
            row.extend([
                l.clicks.human.to_string(),
                l.clicks.visitors.to_string(),
                l.clicks.bot.to_string(),
                l.shares.to_string(),
            ]);
            row
        })
        .collect()
}

const CLICK_HEADERS: [&str; 4] = ["People's clicks", "Visitors", "Preview robots", "Shares clicked"];

fn with_clicks(first: &[&'static str]) -> Vec<&'static str> {
    first.iter().copied().chain(CLICK_HEADERS).collect()
}

fn name(l: &Line, none: &str) -> String {
    l.label.clone().unwrap_or_else(|| none.to_owned())
}

/// Every table of a dashboard, in the order the page shows them.
pub fn tables(d: &Dashboard) -> Vec<Table> {
    let s = &d.summary;
    let p = &d.pipeline;
    vec![
        Table {
            slug: "summary",
            title: "Summary",
            note: "",
            headers: vec!["Measure", "Value"],
            rows: vec![
                vec!["Shares".into(), s.shares.to_string()],
                vec!["People who shared".into(), s.sharers.to_string()],
                vec!["People's clicks".into(), s.clicks.human.to_string()],
                vec!["Unique visitors (once a day each)".into(), s.clicks.visitors.to_string()],
                vec!["Preview robots' fetches".into(), s.clicks.bot.to_string()],
                vec!["Submissions".into(), s.submissions.to_string()],
                vec!["Approved".into(), s.approved.to_string()],
                vec!["Published".into(), s.published.to_string()],
                vec![
                    "Participation".into(),
                    format!("{} ({} of {} people)", percent(s.participation_rate), s.participants, s.people),
                ],
            ],
        },
        Table {
            slug: "what-works",
            title: "What works",
            note: "The content people clicked most: open it to see what a good post looks like.",
            headers: with_clicks(&["Content", "Kind"]),
            rows: click_rows(&d.top_content, |l| {
                vec![name(l, "(removed)"), l.extra.clone().unwrap_or_default().replace('_', " ")]
            }),
        },
        Table {
            slug: "participation-departments",
            title: "Participation by department",
            note: "People who contributed or shared in the period. No quotas: this shows reach, not duty.",
            headers: vec!["Department", "People", "Took part", "Rate"],
            rows: d
                .by_department
                .iter()
                .map(|g| {
                    vec![g.label.clone(), g.people.to_string(), g.participants.to_string(), percent(g.rate)]
                })
                .collect(),
        },
        Table {
            slug: "participation-seniority",
            title: "Participation by seniority",
            note: "",
            headers: vec!["Seniority", "People", "Took part", "Rate"],
            rows: d
                .by_seniority
                .iter()
                .map(|g| {
                    vec![g.label.clone(), g.people.to_string(), g.participants.to_string(), percent(g.rate)]
                })
                .collect(),
        },
        Table {
            slug: "pipeline",
            title: "Review pipeline",
            note: "",
            headers: vec!["Measure", "Value"],
            rows: vec![
                vec!["Submissions".into(), p.submissions.to_string()],
                vec!["Approved".into(), p.approved.to_string()],
                vec!["Rejected".into(), p.rejected.to_string()],
                vec!["Approval rate".into(), p.approval_rate.map_or_else(|| "—".into(), percent)],
                vec!["Median time to approval".into(), duration(p.median_decision_seconds)],
                vec!["Waiting for review now".into(), p.waiting.to_string()],
                vec!["Median wait so far".into(), duration(p.median_wait_seconds)],
                vec!["Longest wait so far".into(), duration(p.oldest_wait_seconds)],
            ],
        },
        Table {
            slug: "publishing",
            title: "Posts per channel",
            note: "",
            headers: vec!["Channel", "Network", "Posts published"],
            rows: d
                .publishing
                .iter()
                .map(|(c, n, posts)| vec![c.clone(), n.clone(), posts.to_string()])
                .collect(),
        },
        Table {
            slug: "advocates",
            title: "Top advocates",
            note: "The people whose shares were followed most. Thank them!",
            headers: with_clicks(&["Person"]),
            rows: click_rows(&d.top_advocates, |l| vec![name(l, "(removed)")]),
        },
        Table {
            slug: "networks",
            title: "By network",
            note: "",
            headers: with_clicks(&["Network"]),
            rows: click_rows(&d.by_network, |l| vec![name(l, "")]),
        },
        Table {
            slug: "departments",
            title: "Clicks by the sharer's department",
            note: "",
            headers: with_clicks(&["Department"]),
            rows: click_rows(&d.by_team, |l| vec![name(l, "No department")]),
        },
        Table {
            slug: "campaigns",
            title: "Results per campaign and messaging goal",
            note: "",
            headers: with_clicks(&["Campaign", "Messaging goal"]),
            rows: click_rows(&d.by_campaign, |l| {
                vec![name(l, "No campaign"), l.extra.clone().unwrap_or_default()]
            }),
        },
        Table {
            slug: "goals",
            title: "Results per messaging goal",
            note: "",
            headers: with_clicks(&["Messaging goal"]),
            rows: click_rows(&d.by_goal, |l| vec![name(l, "No messaging goal")]),
        },
        Table {
            slug: "days",
            title: "Day by day",
            note: "",
            headers: vec!["Day (UTC)", "Shares", "People's clicks", "Visitors", "Preview robots"],
            rows: d
                .days
                .iter()
                .map(|day| {
                    vec![
                        day.day.to_string(),
                        day.shares.to_string(),
                        day.clicks.human.to_string(),
                        day.clicks.visitors.to_string(),
                        day.clicks.bot.to_string(),
                    ]
                })
                .collect(),
        },
    ]
}

/// The scope a person gets when they ask for none: the organization for the team and admins,
/// their (first) department for a lead.
fn default_scope(user: &PageUser, asked: Scope) -> Scope {
    let actor = &user.me.caller.actor;
    let team = actor.role.is_admin() || actor.role == Role::Social;
    match asked.department {
        None if !team => Scope { department: actor.leads.first().copied() },
        _ => asked,
    }
}

async fn load(
    s: &AppState,
    user: &PageUser,
    q: &PeriodQuery,
) -> Result<(Period, Scope, Dashboard), PageError> {
    let (period, scope) = q.parse(s.app.now())?;
    let scope = default_scope(user, scope);
    let d = analytics::dashboard(&s.app, &user.me.caller, scope, period).await?;
    Ok((period, scope, d))
}

#[derive(Template, WebTemplate)]
#[template(path = "analytics/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    heading: String,
    from: String,
    to: String,
    /// (id, name, selected); an empty id is the whole organization.
    departments: Vec<(String, String, bool)>,
    chart: String,
    tables: Vec<Table>,
    /// The query string for the CSV links.
    query: String,
}

fn date_of(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN)
}

pub async fn dashboard(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (period, scope, d) = load(&s, &user, &q).await?;
    let actor = &user.me.caller.actor;
    let team = actor.role.is_admin() || actor.role == Role::Social;
    let all = chorus_app::departments::names(&s.app, &user.me.caller).await?;
    let mut departments: Vec<(String, String, bool)> = all
        .into_iter()
        .filter(|(id, _)| team || actor.leads.contains(id))
        .map(|(id, name)| (id.0.to_string(), name, scope.department == Some(id)))
        .collect();
    if team {
        departments.insert(0, (String::new(), "Whole organization".into(), scope.department.is_none()));
    }
    let heading = match departments.iter().find(|dep| dep.2 && !dep.0.is_empty()) {
        Some(dep) => format!("Analytics: {}", dep.1),
        None => "Analytics".into(),
    };
    let points: Vec<chart::Point> = d
        .days
        .iter()
        .map(|day| chart::Point {
            label: format!("{} {}", &day.day.month().to_string()[..3], day.day.day()),
            bar: day.clicks.human,
            line: day.shares,
        })
        .collect();
    let (from, to) = (date_of(period.from), date_of(period.to - 1));
    let mut query = format!("from={from}&to={to}");
    if let Some(dep) = scope.department {
        query.push_str(&format!("&department={}", dep.0));
    }
    Ok(DashboardPage {
        chrome: Chrome::for_user(&user, "analytics"),
        heading,
        from: from.to_string(),
        to: to.to_string(),
        departments,
        chart: chart::bars_and_line(
            "People's clicks and shares per day",
            "People's clicks",
            "Shares",
            &points,
        ),
        tables: tables(&d),
        query,
    }
    .into_response())
}

/// A cell as a spreadsheet will not run it: text starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) is a formula to Excel and LibreOffice, so it gets a leading apostrophe.
fn safe_cell(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// `/analytics/export/{table}.csv`: one dashboard table as CSV.
pub async fn export(
    State(s): State<AppState>,
    user: PageUser,
    Path(file): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let Some(slug) = file.strip_suffix(".csv") else {
        return Err(chorus_app::Error::NotFound.into());
    };
    let (period, _, d) = load(&s, &user, &q).await?;
    let Some(table) = tables(&d).into_iter().find(|t| t.slug == slug) else {
        return Err(chorus_app::Error::NotFound.into());
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| chorus_app::Error::Internal(anyhow::Error::new(e));
    out.write_record(&table.headers).map_err(csv_error)?;
    for row in &table.rows {
        out.write_record(row.iter().map(|c| safe_cell(c))).map_err(csv_error)?;
    }
    let body = out.into_inner().map_err(|e| chorus_app::Error::Internal(anyhow::anyhow!("{e}")))?;
    let filename = format!("chorus-{slug}-{}-{}.csv", date_of(period.from), date_of(period.to - 1));
    let mut res = (StatusCode::OK, body).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_durations_read_well() {
        assert_eq!(safe_cell("=HYPERLINK(\"http://evil\")"), "'=HYPERLINK(\"http://evil\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("Open day"), "Open day");
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(59)), "0 min");
        assert_eq!(duration(Some(3 * 3600 + 20 * 60)), "3 h 20 min");
        assert_eq!(duration(Some(2 * 86_400 + 4 * 3600)), "2 d 4 h");
    }
}
