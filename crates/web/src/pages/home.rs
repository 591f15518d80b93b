use super::{Chrome, NoticeQuery};
use crate::{AppState, error::PageError, extract::PageUser};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    first_name: String,
    is_admin: bool,
    people_active: i64,
    people_invited: i64,
    departments: usize,
    /// For the social team: channels whose credentials the network refused (their posts wait).
    attention: Vec<(String, String)>,
    /// For the social team: background jobs that ran out of attempts.
    dead_letters: usize,
    /// The company's own accounts ("follow us on …").
    company_accounts: Vec<super::outreach::AccountView>,
    /// Whether this person keeps that list.
    manage_accounts: bool,
    /// Pinned announcements the person may see.
    pinned: Vec<super::notify::AnnouncementView>,
    /// The latest shout-outs: (from, to id, to, message).
    thanks: Vec<(String, String, String, String)>,
}

pub async fn show(
    State(s): State<AppState>,
    user: PageUser,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let counts = chorus_app::people::counts(&s.app, &user.me.caller).await?;
    let departments = chorus_app::departments::names(&s.app, &user.me.caller).await?.len();
    let social =
        chorus_domain::authorize(&user.me.caller.actor, chorus_domain::Action::ManageChannels).is_ok();
    let (attention, dead_letters) = if social {
        let channels = chorus_app::publishing::channels(&s.app, &user.me.caller).await?;
        let attention = channels
            .into_iter()
            .filter(|c| c.status == chorus_app::publishing::NEEDS_ATTENTION)
            .map(|c| (c.name, c.status_reason.unwrap_or_default()))
            .collect();
        (attention, chorus_app::dead_letters::list(&s.app, &user.me.caller).await?.len())
    } else {
        (Vec::new(), 0)
    };
    let company_accounts = super::outreach::account_views(&s, &user).await?;
    let manage_accounts = chorus_domain::social::may_manage_accounts(&user.me.caller.actor).is_ok();
    let pinned = super::notify::pinned(&s, &user).await?;
    let thanks = chorus_app::recognition::shoutouts(
        &s.app,
        &user.me.caller,
        None,
        None,
        chorus_domain::pagination::Limit::new(Some(3)),
    )
    .await?
    .into_iter()
    .take(3)
    .map(|v| {
        let s = v.shoutout;
        (s.from_name, s.to_user_id.to_string(), s.to_name, s.message)
    })
    .collect();
    let first_name = user.me.user.name.split_whitespace().next().unwrap_or_default().to_owned();
    Ok(HomePage {
        chrome: Chrome::for_user(&user, "home").notice(q.notice.as_deref()),
        first_name,
        is_admin: user.me.user.role.is_admin(),
        people_active: counts.active,
        people_invited: counts.invited,
        departments,
        attention,
        dead_letters,
        company_accounts,
        manage_accounts,
        pinned,
        thanks,
    }
    .into_response())
}
