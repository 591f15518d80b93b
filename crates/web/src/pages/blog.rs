//! The company blog: public pages and an Atom feed of what the social team published on the
//! organization's blog channel. No sign-in: this is the company's public face.

use super::Chrome;
use crate::{AppState, error::PageError, markdown};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chorus_app::{Error, publishing};
use chorus_domain::PostId;
use time::format_description::well_known::Rfc3339;

struct Entry {
    id: String,
    title: String,
    html: String,
    published: String,
    url: String,
}

fn entry(base_url: &str, slug: &str, p: publishing::Post) -> Entry {
    let at = p.published_at.unwrap_or(p.scheduled_at);
    Entry {
        id: p.id.0.to_string(),
        title: p.submission_title,
        html: markdown::render(&p.text),
        published: at.format(&Rfc3339).unwrap_or_default(),
        url: publishing::blog_post_url(base_url, slug, p.id),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "blog/index.html")]
struct BlogIndex {
    chrome: Chrome,
    org_name: String,
    slug: String,
    entries: Vec<Entry>,
}

pub async fn index(State(s): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let (org, posts) = publishing::blog(&s.app, &slug).await?;
    let base = &s.app.config.base_url;
    let entries = posts.into_iter().map(|p| entry(base, &org.slug, p)).collect();
    Ok(BlogIndex { chrome: Chrome::anonymous(String::new()), org_name: org.name, slug: org.slug, entries }
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "blog/post.html")]
struct BlogPost {
    chrome: Chrome,
    org_name: String,
    slug: String,
    entry: Entry,
}

pub async fn post(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: PostId = id.parse::<uuid::Uuid>().map_err(|_| Error::NotFound)?.into();
    let (org, post) = publishing::blog_post(&s.app, &slug, id).await?;
    let entry = entry(&s.app.config.base_url, &org.slug, post);
    Ok(BlogPost { chrome: Chrome::anonymous(String::new()), org_name: org.name, slug: org.slug, entry }
        .into_response())
}

/// Atom 1.0 (RFC 4287). Text is escaped by the template; the content is HTML, escaped once more
/// as `type="html"` requires.
#[derive(Template)]
#[template(path = "blog/feed.xml", escape = "html")]
struct Feed {
    org_id: String,
    org_name: String,
    updated: String,
    self_url: String,
    home_url: String,
    entries: Vec<Entry>,
}

pub async fn feed(State(s): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    let slug = slug.strip_suffix(".atom").ok_or(Error::NotFound)?.to_owned();
    let (org, posts) = publishing::blog(&s.app, &slug).await?;
    let base = s.app.config.base_url.clone();
    let updated = posts
        .first()
        .and_then(|p| p.published_at)
        .unwrap_or(org.created_at)
        .format(&Rfc3339)
        .unwrap_or_default();
    let feed = Feed {
        org_id: org.id.0.to_string(),
        org_name: org.name.clone(),
        updated,
        self_url: format!("{base}/blog/{}.atom", org.slug),
        home_url: format!("{base}/blog/{}", org.slug),
        entries: posts.into_iter().map(|p| entry(&base, &org.slug, p)).collect(),
    };
    let xml = feed.render().map_err(|e| Error::Internal(anyhow::Error::new(e)))?;
    let mut res = xml.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(res)
}
