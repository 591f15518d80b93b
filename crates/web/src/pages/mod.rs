//! Server-rendered pages. Every form posts and redirects (303); every page works without JavaScript.

mod account;
pub(crate) mod amplify;
mod analytics;
mod auth;
mod blog;
mod contrib;
mod curation;
mod departments;
mod enablement;
mod events;
mod home;
mod integrations;
mod notify;
pub(crate) mod outreach;
mod people;
mod publish;
mod readiness;
mod recognition;
mod sso;
mod training;

use crate::{AppState, error::PageError, extract::PageUser};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chorus_app::Error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/editor.js", get(editor_script))
        .route("/assets/calendar.js", get(calendar_script))
        .route("/setup", get(auth::setup_form).post(auth::setup))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/reset", get(auth::reset_request_form).post(auth::reset_request))
        .route("/reset/{token}", get(auth::reset_form).post(auth::reset))
        .route("/invite/{token}", get(auth::invite_form).post(auth::invite_accept))
        .route("/people", get(people::list).post(people::invite))
        .route("/people/new", get(people::new))
        .route(
            "/people/import",
            get(people::import_form)
                .post(people::import)
                .layer(axum::extract::DefaultBodyLimit::max(people::IMPORT_LIMIT)),
        )
        .route("/people/{id}", get(people::show).post(people::update))
        .route("/people/{id}/status", post(people::set_status))
        .route("/people/{id}/reinvite", post(people::reinvite))
        .route("/departments", get(departments::list).post(departments::create))
        .route("/departments/{id}/leads", post(departments::set_lead))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", get(account::tokens).post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/audit", get(account::audit))
        .route(
            "/submit",
            get(contrib::submit_form).post(contrib::submit).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/submissions", get(contrib::mine))
        .route("/submissions/{id}", get(contrib::show))
        .route(
            "/submissions/{id}/edit",
            get(contrib::edit_form).post(contrib::edit).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/submissions/{id}/step", post(contrib::step))
        .route("/submissions/{id}/delete", post(contrib::delete_draft))
        .route("/submissions/{id}/comments", post(contrib::comment))
        .route("/submissions/{id}/vote", post(contrib::vote))
        .route("/submissions/{id}/promote", post(contrib::promote))
        .route("/submissions/{id}/diff", get(contrib::diff))
        .route("/review", get(contrib::queue).post(contrib::bulk))
        .route("/library", get(contrib::library))
        .route("/ideas", get(contrib::ideas).post(contrib::pitch))
        .route("/media/{id}", get(contrib::media_file))
        .route("/notifications", get(contrib::notifications).post(contrib::read_notification))
        .route("/notifications/preferences", get(notify::preferences).post(notify::save_preferences))
        .route("/announcements", get(notify::announcements_list).post(notify::publish))
        .route("/announcements/{id}", get(notify::announcement))
        .route("/announcements/{id}/read", post(notify::read))
        .route("/unsubscribe/{token}", get(notify::unsubscribe_form).post(notify::unsubscribe))
        .route("/mail", get(notify::mail_queue))
        .route("/guidelines", get(contrib::guidelines_list).post(contrib::create_rule))
        .route("/guidelines/{id}", post(contrib::rule_action))
        .route("/campaigns", post(contrib::create_campaign))
        .route("/messaging-goals", post(contrib::create_pillar))
        .route("/settings", post(contrib::settings))
        // `/blog/{slug}.atom` and `/blog/{slug}` share a segment: the feed handler takes the
        // `.atom` suffix, the index everything else.
        .route("/channels", get(publish::channels).post(publish::create_channel))
        .route("/calendar", get(publish::calendar))
        .route("/posts", post(publish::create_post))
        .route("/posts/{id}/reschedule", post(publish::reschedule))
        .route("/posts/{id}/cancel", post(publish::cancel))
        .route("/posts/{id}/confirm", post(publish::confirm))
        .route("/channels/{id}/credentials", post(publish::renew_credentials))
        .route("/channels/connect/mastodon", post(publish::connect_mastodon))
        .route("/channels/connect/mastodon/callback", get(publish::connect_mastodon_callback))
        .route("/jobs", get(publish::jobs))
        .route("/jobs/{id}/retry", post(publish::retry_job))
        .route(
            "/share",
            get(amplify::hub)
                .post(amplify::share)
                .layer(axum::middleware::map_response(crate::headers::allow_share_intents)),
        )
        .route("/me/shares", get(amplify::mine))
        .route("/analytics", get(analytics::dashboard))
        .route("/analytics/export/{file}", get(analytics::export))
        .route("/submissions/{id}/share-until", post(amplify::set_share_until))
        .route("/surveys", get(enablement::list).post(enablement::create))
        .route("/surveys/{id}", get(enablement::show))
        .route("/surveys/{id}/answer", post(enablement::answer))
        .route("/surveys/{id}/questions", post(enablement::add_question))
        .route("/surveys/{id}/questions/{question}/retire", post(enablement::retire_question))
        .route("/surveys/{id}/status", post(enablement::status))
        .route("/surveys/{id}/participation", get(enablement::participation))
        .route("/surveys/{id}/report", get(enablement::report))
        .route("/policy", get(enablement::policy).post(enablement::publish_policy))
        .route("/policy/{id}", get(enablement::policy_version))
        .route("/policy/{id}/acknowledge", post(enablement::acknowledge_policy))
        .route("/policy/{id}/acknowledgements", get(enablement::policy_report))
        .route("/shoutouts", get(recognition::feed).post(recognition::post))
        .route("/shoutouts/people/{id}", get(recognition::wall))
        .route("/shoutouts/{id}/react", post(recognition::react))
        .route("/leaderboard", get(recognition::leaderboard))
        .route("/leaderboard/opt-out", post(recognition::opt_out))
        .route("/points", get(recognition::points))
        .route("/points/rules", post(recognition::save_rules))
        .route("/points/replay", post(recognition::replay))
        .route("/rewards", get(recognition::rewards).post(recognition::create_reward))
        .route("/rewards/{id}", post(recognition::update_reward))
        .route("/rewards/{id}/redeem", post(recognition::redeem))
        .route("/rewards/redemptions/{id}/decision", post(recognition::decide))
        .route("/readiness", get(readiness::show).post(readiness::record))
        .route("/readiness/actions", post(readiness::add_action))
        .route("/readiness/actions/{id}", post(readiness::update_action))
        .merge(events::routes())
        .merge(outreach::routes())
        .merge(integrations::routes())
        .merge(sso::routes())
        .route("/mentoring", get(enablement::mentoring_home))
        .route("/mentoring/profile", post(enablement::mentoring_profile))
        .route("/mentoring/pairs", post(enablement::confirm_pairs))
        .route("/mentoring/pairs/{id}", post(enablement::pair_action))
        .route("/training", get(training::list).post(training::create))
        .route("/training/rules", post(training::create_rule))
        .route("/training/rules/{rule}/remove", post(training::delete_rule))
        .route("/training/{id}", get(training::show))
        .route("/training/{id}/edit", post(training::edit))
        .route("/training/{id}/lessons", post(training::add_lesson))
        .route("/training/{id}/lessons/{lesson}/done", post(training::lesson_done))
        .route("/training/{id}/lessons/{lesson}/remove", post(training::remove_lesson))
        .route("/training/{id}/quiz", post(training::add_question))
        .route("/training/{id}/quiz/{question}/remove", post(training::remove_question))
        .route("/training/{id}/attempt", post(training::attempt))
        .route("/training/{id}/assign", post(training::assign))
        .route("/training/{id}/report", get(training::report))
        .route("/surveys/{id}/training", post(training::apply_from_survey))
        .route("/feeds", get(curation::feeds).post(curation::add_feed))
        .route("/feeds/{id}", post(curation::feed_action))
        .route("/curation", get(curation::inbox))
        .route("/curation/{id}/submission", post(curation::make_submission))
        .route("/curation/{id}/dismiss", post(curation::dismiss))
        .route("/blog/{slug}", get(blog_index_or_feed))
        .route("/blog/{slug}/{id}", get(blog::post))
}

async fn blog_index_or_feed(
    state: axum::extract::State<AppState>,
    slug: axum::extract::Path<String>,
) -> Result<Response, PageError> {
    if slug.0.ends_with(".atom") { blog::feed(state, slug).await } else { blog::index(state, slug).await }
}

async fn stylesheet() -> Response {
    let mut res = include_str!("../../assets/app.css").into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

async fn editor_script() -> Response {
    script(include_str!("../../assets/editor.js"))
}

async fn calendar_script() -> Response {
    script(include_str!("../../assets/calendar.js"))
}

fn script(body: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

/// What the layout around every page needs.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user_name: Option<String>,
    pub org_name: String,
    pub is_admin: bool,
    pub csrf: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub notice: Option<String>,
    /// Whether the analytics dashboards are open to this person (team, admins, leads).
    pub analytics: bool,
    /// A policy version waiting for this person's acknowledgement.
    pub policy_banner: Option<i64>,
}

impl Chrome {
    pub fn anonymous(csrf: String) -> Self {
        Self { csrf, ..Self::default() }
    }

    pub fn for_user(u: &PageUser, section: &'static str) -> Self {
        Self {
            user_name: Some(u.me.user.name.clone()),
            org_name: u.me.org.name.clone(),
            is_admin: u.me.user.role.is_admin(),
            csrf: u.csrf.clone(),
            section,
            notice: None,
            policy_banner: u.policy_banner,
            analytics: {
                let a = &u.me.caller.actor;
                a.role.is_admin() || a.role == chorus_domain::Role::Social || !a.leads.is_empty()
            },
        }
    }

    /// Whether the current page lives under "More" in the navigation (which then starts open,
    /// so the current page's link is visible).
    pub fn more_open(&self) -> bool {
        const PRIMARY: [&str; 9] =
            ["home", "submit", "mine", "review", "library", "share", "ideas", "shoutouts", "notifications"];
        !self.section.is_empty() && !PRIMARY.contains(&self.section)
    }

    pub fn notice(mut self, code: Option<&str>) -> Self {
        self.notice = code.and_then(notice_text).map(str::to_owned);
        self
    }
}

/// A date as pages show it: `2026-12-07`.
pub(crate) fn day(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    t.format(&f).unwrap_or_default()
}

/// Fixed messages after a redirect (`?notice=code`): only known codes, never echoed input.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "invited" => "Invitation sent.",
        "reinvited" => "A new invitation is on its way.",
        "saved" => "Saved.",
        "password_changed" => "Your password has been changed. Other devices were signed out.",
        "password_reset" => "Your password has been changed. Sign in with it now.",
        "department_created" => "Department created.",
        "revoked" => "Token revoked.",
        "welcome" => "Welcome to Chorus!",
        "submitted" => "Thank you! It is on its way to review.",
        "draft_saved" => "Draft saved. Submit it when it is ready.",
        "draft_deleted" => "Draft deleted, with the files only it used.",
        "saved_not_submitted" => "Saved as a draft, but not sent yet: see what is missing below.",
        "decided" => "Decisions recorded.",
        "scheduled" => "Scheduled.",
        "rescheduled" => "Moved.",
        "cancelled" => "Taken off the calendar.",
        "confirmed" => "Recorded as published.",
        "connected" => "Connected. Chorus can now post on that account.",
        "renewed" => {
            "Credentials renewed. The channel is active again, and the posts it held are on their way."
        }
        "retrying" => "Queued again; it runs in a moment.",
        "idea_posted" => "Your idea is on the board.",
        "promoted" => "A blog-post draft was started from the idea. Write it together here.",
        "answered" => "Thank you! Your answers are in, with nothing that ties them to you.",
        "reminded" => "Reminders sent to everyone who has not answered.",
        "published" => "Published. Everyone is asked to read and acknowledge the new version.",
        "acknowledged" => "Thank you: your acknowledgement is recorded.",
        "opted_in" => "Thank you! An admin pairs people up and lets you know.",
        "opted_out" => "You are no longer on the list.",
        "pairs_confirmed" => "Pairs confirmed. Each pair can now log its sessions here.",
        "session_logged" => "Session logged.",
        "announced" => "Published. Everyone it reaches has been told.",
        "training_assigned" => {
            "Training rules applied: every group below a rule's threshold now has its course (nobody is assigned twice)."
        }
        "feed_added" => "Feed added. Its first articles arrive in the curation inbox in a moment.",
        "feed_removed" => "Feed removed. The articles it brought stay in the inbox.",
        "poll_queued" => "The feed is being read now.",
        "item_dismissed" => "Dismissed. It stays under “Dismissed” in case minds change.",
        _ => return None,
    })
}

/// `?notice=code` after a redirect.
#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// A form problem as shown on a page.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormError {
    pub fn message_with_field(&self) -> String {
        let field = self.field.replace('_', " ");
        let mut f = field.chars();
        let field = f.next().map(|c| c.to_uppercase().chain(f).collect::<String>()).unwrap_or_default();
        format!("{field} {}", self.message)
    }
}

/// Turns a use-case error into form problems to show next to the form (422), or passes
/// other errors on to the error page.
pub fn form_errors(e: Error) -> Result<Vec<FormError>, PageError> {
    match e {
        Error::Invalid(list) => Ok(list
            .into_iter()
            .map(|i| FormError { field: i.field.to_owned(), message: i.message })
            .collect()),
        Error::Conflict(msg) => {
            Ok(vec![FormError { field: "request".into(), message: format!("could not be done: {msg}") }])
        }
        other => Err(other.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
}

/// A readable error page with the given status.
pub fn error_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let page = ErrorPage { chrome: Chrome::default(), heading, message };
    (status, page).into_response()
}

/// `GET /s/{code}`: a tracked link. Public, answered from memory; the click is written in the
/// background. HEAD requests (link checkers) are answered but not counted.
pub(crate) async fn follow_link(
    axum::extract::State(s): axum::extract::State<std::sync::Arc<AppState>>,
    method: axum::http::Method,
    code: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
    request: axum::extract::Request,
) -> Response {
    // A code that is not even UTF-8 once decoded leads nowhere, like any other wrong code.
    let code = code.map(|p| p.0).unwrap_or_default();
    let (parts, _) = request.into_parts();
    // At most 512 bytes of a header; `to_str` admits only visible ASCII, so any byte is a boundary.
    let header = |name: header::HeaderName| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| &v[..v.len().min(512)])
    };
    let ctx = chorus_app::amplify::ClickContext {
        user_agent: header(header::USER_AGENT).unwrap_or_default(),
        referer: header(header::REFERER),
        client_ip: crate::extract::client_ip(&parts, &s),
        count: method == axum::http::Method::GET,
    };
    let mut res = match chorus_app::amplify::follow(&s.app, &code, ctx).await {
        Ok(chorus_app::amplify::Resolution::Redirect(to)) => {
            let mut res = StatusCode::FOUND.into_response();
            if let Ok(location) = HeaderValue::from_str(&to) {
                res.headers_mut().insert(header::LOCATION, location);
            }
            res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            res.headers_mut()
                .insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer-when-downgrade"));
            res
        }
        Ok(chorus_app::amplify::Resolution::Withdrawn) => error_page(
            StatusCode::GONE,
            "This content was withdrawn",
            "The company took down what this link pointed to. Nothing is lost on your side.",
        ),
        Ok(chorus_app::amplify::Resolution::NotFound) => error_page(
            StatusCode::NOT_FOUND,
            "This link leads nowhere",
            "Check that it was copied whole. Links shared by our people look like /s/ followed by ten letters and digits.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "Could not follow a tracked link");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again in a moment",
                "This link could not be followed just now.",
            )
        }
    };
    if res.status() != StatusCode::FOUND {
        // The pages carry the headers every page has (this route is outside their layer).
        crate::headers::apply(&mut res);
    }
    res
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::error::ApiError::from(Error::NotFound).into_response();
    }
    error_page(StatusCode::NOT_FOUND, "Not found", "There is nothing at this address.")
}

/// Formats a time for pages (UTC, minutes).
pub fn when(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).unwrap_or_default()
}

/// Roles as (value, label), for selects.
pub fn role_choices() -> Vec<(&'static str, &'static str)> {
    chorus_domain::Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}
