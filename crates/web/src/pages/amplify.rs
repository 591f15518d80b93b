//! The share hub and "my shares": every employee shares approved content in one click, through
//! the networks' share intents, with a tracked link. Works without JavaScript: the form makes the
//! tracked link and redirects to the network's share page.

use super::{Chrome, FormError, NoticeQuery, form_errors};
use crate::{
    AppState, cookies,
    error::PageError,
    extract::{PageForm, PagePath, PageUser},
};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::{
    Error,
    amplify::{self, ShareInput},
};
use chorus_domain::{SubmissionId, amplify::ShareNetwork};

/// Remembers the person's Mastodon instance in their browser, so they are asked once.
const MASTODON_COOKIE: &str = "chorus_mastodon";

struct HubCard {
    id: String,
    title: String,
    kind: String,
    caption: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "amplify/hub.html")]
struct HubPage {
    chrome: Chrome,
    items: Vec<HubCard>,
    networks: Vec<(&'static str, &'static str)>,
    mastodon_instance: String,
    errors: Vec<FormError>,
}

async fn hub_page(
    s: &AppState,
    user: &PageUser,
    headers: &HeaderMap,
    errors: Vec<FormError>,
    notice: Option<&str>,
) -> Result<HubPage, PageError> {
    let items = amplify::share_hub(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|i| HubCard {
            id: i.submission.id.0.to_string(),
            title: i.submission.title,
            kind: i.submission.kind.as_str().replace('_', " "),
            caption: i.caption,
        })
        .collect();
    Ok(HubPage {
        chrome: Chrome::for_user(user, "share").notice(notice),
        items,
        networks: ShareNetwork::ALL.into_iter().map(|n| (n.as_str(), n.label())).collect(),
        mastodon_instance: cookies::get(headers, MASTODON_COOKIE).unwrap_or_default().to_owned(),
        errors,
    })
}

pub async fn hub(
    State(s): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(hub_page(&s, &user, &headers, vec![], q.notice.as_deref()).await?.into_response())
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    submission_id: String,
    #[serde(default)]
    network: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    mastodon_instance: String,
}

/// Makes the tracked link and sends the person to the network's share page with it.
pub async fn share(
    State(s): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    PageForm(f): PageForm<ShareForm>,
) -> Result<Response, PageError> {
    // Only a Mastodon share needs (and checks) the instance.
    let instance = Some(f.mastodon_instance.trim().to_owned())
        .filter(|i| !i.is_empty())
        .or_else(|| cookies::get(&headers, MASTODON_COOKIE).map(str::to_owned))
        .filter(|_| f.network == "mastodon");
    let result = match f.submission_id.parse::<uuid::Uuid>() {
        Err(_) => Err(Error::from(chorus_domain::Invalid::new("submission_id", "is missing"))),
        Ok(id) => {
            amplify::create_share(
                &s.app,
                &user.me.caller,
                ShareInput {
                    submission_id: id.into(),
                    network: f.network.clone(),
                    caption: Some(f.caption),
                    mastodon_instance: instance.clone(),
                },
            )
            .await
        }
    };
    match result {
        Ok(created) => match created.share_url {
            // A Mastodon share always has its instance by now (the use case insists).
            Some(intent) => {
                let mut res = Redirect::to(&intent).into_response();
                if let Some(instance) = instance {
                    // Checked by the share itself (an https URL), so safe as a cookie value.
                    let cookie = cookies::set(
                        MASTODON_COOKIE,
                        &instance,
                        Some(400 * 86_400),
                        "Lax",
                        s.web.secure_cookies,
                    );
                    res.headers_mut().insert(header::SET_COOKIE, cookie);
                }
                Ok(res)
            }
            None => {
                let errors = vec![FormError {
                    field: "mastodon_instance".into(),
                    message: "Which Mastodon instance are you on? Type its address (e.g. https://mastodon.social) and share again.".into(),
                }];
                Ok((StatusCode::UNPROCESSABLE_ENTITY, hub_page(&s, &user, &headers, errors, None).await?)
                    .into_response())
            }
        },
        Err(e @ (Error::Invalid(_) | Error::Conflict(_))) => {
            let status = if matches!(e, Error::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, hub_page(&s, &user, &headers, form_errors(e)?, None).await?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

struct MyShare {
    title: String,
    network: &'static str,
    url: String,
    created: String,
    human: i64,
    bots: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "amplify/mine.html")]
struct MySharesPage {
    chrome: Chrome,
    shares: Vec<MyShare>,
    total: i64,
}

/// A person's own shares and how many people followed each.
pub async fn mine(State(s): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let shares: Vec<MyShare> = amplify::my_shares(&s.app, &user.me.caller)
        .await?
        .into_iter()
        .map(|sh| MyShare {
            title: sh.submission_title,
            network: sh.network.parse::<ShareNetwork>().map_or("", ShareNetwork::label),
            url: s.app.url(&format!("/s/{}", sh.code)),
            created: sh.created_at.date().to_string(),
            human: sh.human_clicks,
            bots: sh.bot_fetches,
        })
        .collect();
    let total = shares.iter().map(|s| s.human).sum();
    Ok(MySharesPage { chrome: Chrome::for_user(&user, "share"), shares, total }.into_response())
}

#[derive(serde::Deserialize)]
pub struct ShareUntilForm {
    /// The last day (UTC) the item is in the share hub; empty: no end.
    #[serde(default)]
    share_until: String,
}

/// The first instant after the last day an item is in the share hub.
fn end_of_day(day: &str) -> Result<Option<time::OffsetDateTime>, Error> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, &format)
        .map_err(|_| chorus_domain::Invalid::new("share_until", "must be a date such as 2026-12-31"))?;
    let next =
        date.next_day().ok_or_else(|| chorus_domain::Invalid::new("share_until", "is too far away"))?;
    Ok(Some(next.midnight().assume_utc()))
}

/// The day shown in the form for a stored end: the last day the item is still in the hub.
pub fn last_day(until: time::OffsetDateTime) -> String {
    (until - time::Duration::nanoseconds(1)).date().to_string()
}

/// The social team's "in the share hub until" form on a submission's page.
pub async fn set_share_until(
    State(s): State<AppState>,
    user: PageUser,
    PagePath(id): PagePath<SubmissionId>,
    PageForm(f): PageForm<ShareUntilForm>,
) -> Result<Response, PageError> {
    let until = end_of_day(&f.share_until)?;
    amplify::set_share_until(&s.app, &user.me.caller, id, until).await?;
    Ok(Redirect::to(&format!("/submissions/{}?notice=saved#share-hub", id.0)).into_response())
}
